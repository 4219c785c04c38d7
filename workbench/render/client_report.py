"""The client report: one firm's renewal written for its owner, not for a
journal.

Plain language and no academic apparatus: no framework appendix, no
citations; every code (a phase, a level, a learning type, a stage of
learning) is explained in one plain sentence where the report first uses it.
In order: what the report is and the findings in brief; the firm's renewal
path (a one-lane figure, then each phase with its dates, events, outside
help and new routines); how the firm learned (its process diagram at the
page's width, with how to read it); what stands out (each finding's plain
sentence and what to do about it); and the action checklist, each action
done, planned (with owner and date), not relevant, or still to decide.

A4 portrait unless ``template`` gives the page; the template's styles,
headers and footers apply as in the research report.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import docx
from docx.shared import Cm, Emu
from docx.text.paragraph import Paragraph

from ..core.errors import InputError, WorkbenchError
from ..core.frameworks import all_stages, resources_dir, vocabulary
from ..core.model import Firm, Study
from ..core.validate import clean_text
from . import docx_xml as X
from .report import style_id, table_style_id

Progress = Callable[[int, int, str], None]

PRINT_PPI = 220
EMU_PER_PT = 12700

# The plain words (one sentence per code), the checklist's 'who' and the colours: resources/client/plain.json, for a consultant to reword.
PLAIN_FILE = ("client", "plain.json")
STATUS_WORDS = {"done": "Done", "planned": "Planned", "not_relevant": "Not relevant", None: "To decide"}


@lru_cache(maxsize=4)
def _plain(folder: str) -> dict:
    path = Path(folder).joinpath(*PLAIN_FILE)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise WorkbenchError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise WorkbenchError(f"{path}: not valid JSON: {exc}") from None
    keys = ("phases", "levels", "learning_types", "stages", "flows", "who", "colours")
    bad = [k for k in keys if not isinstance(data.get(k), dict)
           or not all(isinstance(v, str) for v in data[k].values())]
    if not isinstance(data, dict) or bad:
        raise WorkbenchError(f"{path}: {', '.join(bad) or 'the file'} should map names to text")
    return data


def plain_words() -> dict:
    """resources/client/plain.json: ``phases``, ``levels``, ``learning_types``,
    ``stages``, ``flows`` (one plain sentence per code), ``who`` and
    ``colours``. What to do about a finding comes from its rule
    (resources/renewal/rules.json: ``actions`` and ``advice``)."""
    return _plain(str(resources_dir()))


def _colour(name: str) -> str:
    """A colour of plain.json as Word writes it (RRGGBB)."""
    return plain_words()["colours"][name].lstrip("#")


@dataclass
class ClientOptions:
    template: object = None
    engine: str = "auto"
    diagrams: bool = True
    progress: Progress | None = None
    today: _dt.date = field(default_factory=_dt.date.today)
    rules: list | None = None  # renewal rules (core.renewal.Rule); None: resources/renewal/rules.json


def _first_sentence(text: str) -> str:
    text = " ".join((text or "").split())
    cut = text.find(". ")
    return text if cut < 0 else text[:cut + 1]


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


_ISO = re.compile(r"\b(\d{4})-(\d{2})(?:-(\d{2}))?\b")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def _plain_date(text: str | None) -> str:
    """Dates as an owner writes them: "2023-02-14" -> "14 February 2023",
    "2023-03" -> "March 2023"; a year, or words ("late 2024"), as they are."""
    def spell(m: re.Match) -> str:
        month = int(m.group(2))
        if not 1 <= month <= 12:
            return m.group(0)
        day = f"{int(m.group(3))} " if m.group(3) else ""
        return f"{day}{_MONTHS[month - 1]} {m.group(1)}"
    return _ISO.sub(spell, text or "")


def _when(e) -> str:
    return _plain_date(e.time_label())


def _event_numbers(numbers: list[int]) -> str:
    """"Event 9", "Events 11 to 15", "Events 2, 5 and 7 to 9"."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    words: list[str] = []
    for r in runs:
        words += [str(n) for n in r] if len(r) < 3 else [f"{r[0]} to {r[-1]}"]
    text = ", ".join(words[:-1]) + (" and " if len(words) > 1 else "") + words[-1]
    return f"Event{'s' if len(numbers) > 1 else ''} {text}"


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


class _ClientWriter:
    def __init__(self, study: Study, firm: Firm, options):
        self.study = study
        self.firm = firm
        self.options = options
        self.voc = vocabulary()
        template = getattr(options, "template", None)
        if template:
            from .report import _open_template

            self.doc = _open_template(template)
        else:
            self.doc = docx.Document()
            section = self.doc.sections[0]
            section.page_width, section.page_height = Cm(21.0), Cm(29.7)
            for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
                setattr(section, side, Cm(2.5))
        self.body = self.doc.element.body
        self.style = {name: self._style(name) for name in
                      ("Title", "Subtitle", "Heading 1", "Heading 2", "Caption", "Normal", "List Bullet")}
        self.table_style = self._table_style()
        self.tables = 0
        self.figures = 0
        self.number = {e.id: i for i, e in enumerate(firm.event_list, 1)}

    # ------------------------------------------------------------------ building blocks

    def _style(self, name: str) -> str:
        return style_id(self.doc, name)

    def _table_style(self) -> str | None:
        return table_style_id(self.doc)

    def _add(self, element) -> None:
        last = self.body[-1] if len(self.body) else None
        if last is not None and last.tag.endswith("}sectPr"):
            last.addprevious(element)
        else:
            self.body.append(element)

    def _xml(self, paragraphs: list[str]) -> None:
        for el in X.fragment(paragraphs):
            self._add(el)

    def _para(self, text: str, style: str = "Normal", keep_next: bool = False, **run) -> None:
        self._xml([X.paragraph(X.run(text, **run), self.style[style], keep_next=keep_next)])

    def _runs(self, parts: list[tuple[str, dict]], style: str = "Normal", keep_next: bool = False,
              space_before: bool = False) -> None:
        xml = X.paragraph("".join(X.run(t, **o) for t, o in parts), self.style[style], keep_next=keep_next)
        if space_before:  # after a table: a little air, without an empty paragraph
            spacing = '<w:spacing w:before="80"/>'
            xml = (xml.replace("</w:pPr>", spacing + "</w:pPr>", 1) if "<w:pPr>" in xml
                   else xml.replace("<w:p>", f"<w:p><w:pPr>{spacing}</w:pPr>", 1))
        self._xml([xml])

    def _heading(self, text: str, level: int = 1, page_break: bool = False) -> None:
        ppr = (f'<w:pPr><w:pStyle w:val="{self.style[f"Heading {level}"]}"/><w:keepNext/>'
               + ("<w:pageBreakBefore/>" if page_break else "") + "</w:pPr>")
        self._xml([f"<w:p>{ppr}{X.run(text)}</w:p>"])

    def _bullets(self, items: list[str | list[tuple[str, dict]]]) -> None:
        paras = []
        for item in items:
            parts = [(item, {})] if isinstance(item, str) else item
            paras.append(X.paragraph("".join(X.run(t, **o) for t, o in parts), self.style["List Bullet"]))
        self._xml(paras)

    def _width_emu(self) -> int:
        s = self.doc.sections[-1]
        try:
            return int(s.page_width - s.left_margin - s.right_margin)
        except TypeError:
            return int(Cm(16))

    def _height_emu(self) -> int:
        s = self.doc.sections[-1]
        try:
            return int(s.page_height - s.top_margin - s.bottom_margin)
        except TypeError:
            return int(Cm(24.7))

    def _table(self, caption: str | None, header: list, rows: list[list], weights: list[float],
               shades=None, first_column: bool = False, size: int = 18) -> None:
        total = int(self._width_emu() / 635)  # twips
        widths = [int(total * w / sum(weights)) for w in weights]
        if caption:
            self.tables += 1
            self._xml([X.caption("Table", self.tables, caption, self.style["Caption"], keep_next=True)])
        # rows never split; a table is not chained to what follows (short tables one after another
        # would otherwise move to the next page as one block)
        self._add(X.table(header, rows, widths, self.table_style, first_column, shades, size=size,
                          keep_together=False))

    def _picture(self, svg: bytes, caption: str) -> None:
        from .engine import png, svg_size_points

        w_pt, h_pt = svg_size_points(svg)
        width = min(self._width_emu(), int(w_pt * EMU_PER_PT))  # never enlarged, shrunk only to fit
        max_h = int(self._height_emu() * 0.82)
        if width * h_pt / w_pt > max_h:
            width = int(max_h * w_pt / h_pt)
        dpi = max(10, min(300, round(PRINT_PPI * (width / 914400) / (w_pt / 72))))
        image = png(svg, dpi=dpi)
        p = X.fragment([X.paragraph("", keep_next=True, align="center")])[0]
        self._add(p)
        Paragraph(p, self.doc._body).add_run().add_picture(io.BytesIO(image), width=Emu(width))
        self.figures += 1
        self._xml([X.caption("Figure", self.figures, caption, self.style["Caption"], keep_next=False)])

    def _draw(self, graph, drop: str | None = None) -> bytes:
        """The graph drawn as SVG; ``drop``: the framework's name, left out
        of the drawing's title (a client has no use for it)."""
        from .engine import draw

        source = graph.source
        if drop:
            words = r"(?:\s|\\n)+".join(re.escape(w) for w in f"({drop})".split())
            source = re.sub(r"(?:\s|\\n)*" + words, "", source)
        try:
            return draw(source, "svg", engine=getattr(self.options, "engine", "auto")).data
        except WorkbenchError as exc:
            raise WorkbenchError(f"a figure of firm {self.firm.id!r} could not be drawn: {exc.message}") from None

    def _progress(self, done: int, total: int, what: str) -> None:
        progress = getattr(self.options, "progress", None)
        if progress:
            progress(done, total, what)

    # ------------------------------------------------------------------ words

    def _phase_label(self, phase_id: str) -> str:
        return self.voc.label("phases", phase_id)

    # ------------------------------------------------------------------ the report

    def build(self):
        from ..core import renewal

        firm = self.firm
        self._progress(0, 5, "renewal")
        diag = renewal.diagnose(self.study, firm, self.options.rules)
        items = renewal.checklist(self.study, firm)
        self.action_no = {id(it): i for i, it in enumerate(items, 1)}  # as renewal.action_numbers
        self.opening(diag, items)
        self._progress(1, 5, "renewal path")
        self.renewal_path(diag)
        self._progress(2, 5, "findings")
        self.findings(diag, items)
        self._progress(3, 5, "checklist")
        self.checklist(items)
        self._progress(4, 5, "process diagram")
        if getattr(self.options, "diagrams", True):  # the detail last: event by event
            self.process(firm)
        props = self.doc.core_properties
        props.title = clean_text(f"{firm.name}: learning and renewal")[:250]
        props.author = clean_text(", ".join(self.study.authors or []))[:250]
        props.comments = "Written by the Learning Process Workbench for the firm"
        self._progress(5, 5, "done")
        return self.doc

    def opening(self, diag, items) -> None:
        firm = self.firm
        events = firm.event_list
        self._para(f"{firm.name}: learning and renewal", "Title")
        self._para(f"A report for the owner and managers of {firm.name}", "Subtitle")
        line = self.options.today.strftime("%d %B %Y").lstrip("0")
        if self.study.authors:
            line = f"Prepared by {', '.join(self.study.authors)}, {line}"
        self._para(line)

        self._heading("About this report", 1)
        dated = [_when(e) for e in events if e.time_label()]
        span = f", from {dated[0]} to {dated[-1]}" if len(dated) > 1 else ""
        self._para(f"This report follows how {firm.name} has changed the way it works. It is built from "
                   f"{_plural(len(events), 'event')} in the firm's recent history{span}, recorded with the "
                   f"owner and staff, numbered in the order they happened (the same numbers throughout). It "
                   f"shows the path the firm has taken so far, what stands out, a list of actions to agree, "
                   f"with who does each and by when, and last, event by event, how the firm learned.")

        self._heading("In brief", 1)
        bullets: list = []
        incident = next((e for e in events if e.is_critical), None)
        if incident is not None:
            bullets.append([("Turning point: ", {"bold": True}),
                            (f"{incident.title}" + (f" ({_when(incident)})" if incident.time_label()
                                                   else "") + ".", {})])
        else:
            bullets.append([("Turning point: ", {"bold": True}),
                            ("none recorded yet. Which event forced the firm to change is worth agreeing first.",
                             {})])
        reached = [p for p in diag.phases if p.events]
        if reached:
            names = ", ".join(_lower_first(p.label) for p in reached)
            bullets.append([("Steps taken: ", {"bold": True}),
                            (f"{len(reached)} of the {len(diag.phases)} steps of renewal have events: "
                             f"{names}.", {})])
        concerns = [f for f in diag.findings if f.severity == "concern"]
        notes = [f for f in diag.findings if f.severity != "concern"]
        if diag.findings:
            bullets.append([("What stands out: ", {"bold": True}),
                            (f"{_plural(len(concerns), 'point needs', 'points need')} attention and "
                             f"{_plural(len(notes), 'point is', 'points are')} worth knowing (see “What "
                             f"stands out”).", {})])
        else:
            bullets.append([("What stands out: ", {"bold": True}), ("nothing that needs attention.", {})])
        counts = {k: 0 for k in STATUS_WORDS}
        for it in items:
            counts[(it.entry or {}).get("status")] = counts.get((it.entry or {}).get("status"), 0) + 1
        bullets.append([("Actions: ", {"bold": True}),
                        (f"of {_plural(len(items), 'action')} on the checklist, {counts['done']} "
                         f"{'is' if counts['done'] == 1 else 'are'} done, {counts['planned']} planned, "
                         f"{counts['not_relevant']} not relevant and {counts[None]} still to decide.", {})])
        self._bullets(bullets)

    def renewal_path(self, diag) -> None:
        firm = self.firm
        self._heading(f"The path {firm.name} has taken", 1)
        self._para("Firms that renew themselves tend to go through four steps, though not always neatly "
                   "one after the other. Each step is explained below, with the events of the firm that "
                   "belong to it.")
        if getattr(self.options, "diagrams", True) and firm.event_list:
            from .renewal_figure import renewal_graph

            width_pt = self._width_emu() / EMU_PER_PT
            svg = self._draw(renewal_graph(self.study, [firm], width=width_pt, notes=False, title=False))
            self._picture(svg, f"The renewal path of {firm.name}: each numbered mark is an event, in order; "
                               f"the shading shows the step it belongs to")
        for n, phase in enumerate(diag.phases, 1):
            self._heading(f"{n}. {phase.label}", 2)
            explain = plain_words()["phases"].get(phase.id) or _first_sentence(
                getattr(self.voc.term("phases", phase.id), "definition", "") or "")
            if not phase.events:
                self._runs([(explain + " ", {}),
                            (f"No event of {firm.name} has been recorded for this step yet.", {"bold": True})])
                continue
            span = _plain_date(getattr(phase, "span", "") or "")
            when = f"from {span.replace(' – ', ' to ')}" if " – " in span else (f"in {span}" if span else "")
            self._runs([(explain + " ", {}),
                        (f"At {firm.name}: {_plural(len(phase.events), 'event')}" + (f", {when}" if when else "")
                         + ".", {"bold": True})], keep_next=True)
            rows = [[str(self.number.get(e.id, "")), _when(e) or "–", (e.title, {"bold": e.is_critical})]
                    for e in phase.events]
            self._table(None, ["No.", "When", "What happened"], rows, [0.7, 1.9, 5.4])
            parts: list[tuple[str, dict]] = []
            outside = [s.name for s in phase.sources if s.is_external]
            inside = [s.name for s in phase.sources if not s.is_external]
            # the first step, the critical incident: the outsiders named are more often the threat than help
            helped = "Outside help: " if n > 1 else "From outside the firm: "
            for lead, names in ((helped, outside), ("In the firm: ", inside),
                                ("New ways of working: ", [r.name for r in phase.routines])):
                if names:
                    parts += [(lead, {"bold": True}), (", ".join(names) + ". ", {})]
            if parts:
                parts[-1] = (parts[-1][0].rstrip(), parts[-1][1])
                self._runs(parts, space_before=True)
        others = list(getattr(diag, "unphased", None) or [])
        if others:
            self._heading("Other events", 2)
            self._para("These events are not yet placed in a step of renewal:", keep_next=True)
            rows = [[str(self.number[e.id]), _when(e) or "–", e.title] for e in others]
            self._table(None, ["No.", "When", "What happened"], rows, [0.7, 1.9, 5.4])

    def _explain_codes(self, firm: Firm) -> None:
        """How to read the process diagram: a row, in one plain sentence, for
        each column, kind of learning, step of learning and arrow it uses."""
        from ..core.analysis import firm_links
        from .diagram import _lanes

        voc = self.voc
        fw = self.study.framework_def()
        events = firm.event_list
        self._para("Time runs down the page. Each box is one event, with its number (as in the path), "
                   "its date and what happened; its last line names the step of learning the event shows and, "
                   "by a letter and its colour, the kind of learning. Arrows join events that led one to "
                   "another. The words used mean:", keep_next=True)
        rows: list[list] = []
        for lane in _lanes(fw, False):  # every column the diagram draws
            rows.append([(f"{voc.label('levels', lane)} (column)", {"bold": True}),
                         _upper_first(plain_words()["levels"].get(lane) or _first_sentence(
                             getattr(voc.term("levels", lane), "definition", ""))) + "."])
        for t in voc.ids("learning_types"):
            if any(t in (e.learning_types or ()) for e in events):
                term = voc.term("learning_types", t)
                letter = term.extra.get("key")
                name = f"{letter} {term.label}" if letter else term.label
                rows.append([(name, {"bold": True}),
                             _upper_first(plain_words()["learning_types"].get(t) or _first_sentence(term.definition)) + "."])
        stages = sorted({s for e in events for s in e.stages or () if s in all_stages()},
                        key=lambda s: all_stages()[s].order)
        for st in stages:
            rows.append([(all_stages()[st].label, {"bold": True}),
                         _upper_first(plain_words()["stages"].get(st) or _first_sentence(all_stages()[st].definition)) + "."])
        flows = {link.flow for link in firm_links(firm) if link.flow}
        for flow in voc.ids("flows"):
            if flow in flows:
                rows.append([(voc.label("flows", flow), {"bold": True}),
                             _upper_first(plain_words()["flows"].get(flow)
                                          or _first_sentence(voc.term("flows", flow).definition)) + "."])
        if any(e.is_critical for e in events):
            rows.append([("Critical incident", {"bold": True}),
                         "The box with a double red border: the event that made the change necessary."])
        known = set(voc.ids("learning_types"))
        if any(not e.stages or not known & set(e.learning_types or ()) for e in events):  # as the diagram marks it
            rows.append([("Not yet coded", {"bold": True}),
                         "A grey box with a dashed border: an event whose step or kind of learning is not yet "
                         "agreed."])
        if rows:
            self._table(None, ["In the diagram", "What it means"], rows, [1.75, 6.25])

    def process(self, firm: Firm) -> None:
        from . import diagram as dg

        self._heading(f"How {firm.name} learned", 1)
        if not firm.event_list:
            self._para("No events have been recorded yet.")
            return
        self._explain_codes(firm)
        width_pt = self._width_emu() / EMU_PER_PT
        # the people and organisations who helped are named in the path; the diagram shows the events
        height_pt = self._height_emu() / EMU_PER_PT * 0.88  # the page's text height, less room for the caption
        figures = dg.process_figures(self.study, firm, dg.Options(width=width_pt, height=height_pt,
                                                                  sources=False, routines=False))
        framework = self.study.framework_def().name
        for fig in figures:
            caption = f"How {firm.name} learned, event by event"
            if fig.parts > 1:
                caption += (f" (part {fig.part} of {fig.parts}" + (f": {_plain_date(fig.span)}" if fig.span else "")
                            + ")")
            self._picture(self._draw(fig.graph, drop=framework), caption)
            if fig.notes:
                self._table(None, ["No.", "In full"], [[str(n), text] for n, text in fig.notes], [0.7, 7.3])

    def _advice(self, finding, items) -> str:
        """What to do about a finding, as its rule says (rules.json): the
        rule's advice, then the Table 7 actions it names that are not yet
        done or set aside, by their number in the checklist (with owner and
        date where planned); those done or set aside are named last."""
        from ..core import renewal

        parts = [finding.advice.strip()] if getattr(finding, "advice", "") else []
        named = renewal.finding_items(finding, items)
        open_, closed = [], []
        for n, it in named:
            entry = it.entry or {}
            if entry.get("status") in ("done", "not_relevant"):
                closed.append(n)
                continue
            words = it.action.text.rstrip(".")
            text = f"{words if not open_ else _lower_first(words)} (action {n}"
            if entry.get("status") == "planned":
                who = ", ".join(x for x in (entry.get("owner"), entry.get("date") and f"by {_plain_date(entry['date'])}") if x)
                text += ", planned" + (f": {who}" if who else "")
            open_.append(text + ")")
        if open_:
            parts.append("; ".join(open_) + ".")
        if closed:
            which = _event_numbers(closed).replace("Event", "Action", 1)
            parts.append(f"{which} {'is' if len(closed) == 1 else 'are'} done or set aside; look again at "
                         f"whether {'it' if len(closed) == 1 else 'they'} went far enough.")
        return " ".join(parts) or "Go through it with your adviser and agree what, if anything, to do."

    def findings(self, diag, items) -> None:
        self._heading("What stands out", 1)
        if not diag.findings:
            self._para(f"Nothing in {self.firm.name}'s path so far calls for attention.")
            return
        ordered = sorted(diag.findings, key=lambda f: 0 if f.severity == "concern" else 1)
        for f in ordered:
            lead = "Needs attention" if f.severity == "concern" else "Worth knowing"
            plain = (getattr(f, "plain", "") or f.message).strip()
            numbers = sorted(self.number[i] for i in f.events or () if i in self.number)
            parts = [(f"{lead}. ", {"bold": True}), (plain, {})]
            if numbers:
                parts.append((f" ({_event_numbers(numbers)}.)", {"italic": True}))
            advice = self._advice(f, items)
            self._runs(parts, keep_next=bool(advice))
            if advice:
                self._runs([("What to do: ", {"italic": True, "bold": True}), (advice, {})])

    def checklist(self, items) -> None:
        self._heading("Actions", 1)
        self._para("What helps a firm through each step of renewal, and the firm's own actions: done (with "
                   "the event that shows it), planned (who, by when), not relevant, or still to decide.",
                   keep_next=True)
        by_phase: dict = {}
        for it in items:
            by_phase.setdefault(it.action.phase or "", []).append(it)
        order = list(self.voc.ids("phases"))
        header = ["No.", "Action", "Led by", "Status", "Owner", "By / on"]
        rows, shades = [], {}
        for phase in sorted(by_phase, key=lambda p: order.index(p) if p in order else len(order)):
            title = self._phase_label(phase) if phase else f"Actions agreed for {self.firm.name}"
            for c in range(len(header)):  # a band naming the step, across the table
                shades[(len(rows), c)] = _colour("step_band")
            rows.append(["", (title, {"bold": True})] + [""] * (len(header) - 2))
            for it in by_phase[phase]:
                entry = it.entry or {}
                status = entry.get("status")
                word = STATUS_WORDS.get(status, str(status))
                if status == "done" and entry.get("event"):
                    e = self.firm.event(entry["event"])
                    word += f", event {self.number[e.id]}" if e is not None else ""
                who = it.action.who or ""
                who = plain_words()["who"].get(who, who.replace("_", " ").replace("-", " ").capitalize())
                if status is None:
                    shades[(len(rows), 3)] = vocabulary().colour("uncoded_row").lstrip("#")
                text = it.action.text or "–"
                if entry.get("note"):  # under the action: the columns stay wide enough to read
                    text += f"\n\nNote: {entry['note']}"
                rows.append([str(self.action_no[id(it)]), text, who or "–",
                             (word, {"bold": status is None}), entry.get("owner") or "–",
                             _plain_date(entry.get("date")) or "–"])
        self._table(None, header, rows, [0.6, 4.05, 0.95, 1.2, 1.1, 1.05], shades=shades, size=17)


def build(study: Study, firm_id: str, options=None):
    """The client report of one firm, as a python-docx Document."""
    firm = study.firm(firm_id) if firm_id else None
    if firm is None:
        known = ", ".join(f.id for f in study.firms) or "(none)"
        if not firm_id:
            raise InputError(f"a client report is about one firm: choose it with --firm ID; "
                             f"this study's firms are: {known}")
        raise InputError(f"no firm {firm_id!r} in this study; its firms are: {known}")
    return _ClientWriter(study, firm, options or ClientOptions()).build()


__all__ = ["build", "ClientOptions"]
