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
from dataclasses import dataclass, field
from typing import Callable

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.shared import Cm, Emu, Pt
from docx.text.paragraph import Paragraph

from ..core.errors import InputError, WorkbenchError
from ..core.frameworks import all_stages, vocabulary
from ..core.model import Event, Firm, Study
from ..core.validate import clean_text
from . import docx_xml as X

Progress = Callable[[int, int, str], None]

PRINT_PPI = 220
EMU_PER_PT = 12700

# One plain sentence per code, for a reader who has not read the papers.
PHASE_PLAIN = {
    "critical_incident": "The critical incident is the event that shook the firm enough to make it change: "
                         "a lost customer, a failed audit, falling sales.",
    "opening_up": "Opening up is when the owner accepts that the firm needs know-how it does not have and "
                  "looks outside for it: to customers, suppliers, colleges, advisers or new recruits.",
    "knowledge_sharing": "Knowledge-sharing structures are the meetings, forms, training and teams through "
                         "which what one person learns reaches everyone who needs it.",
    "institutionalisation": "Institutionalisation is when the new ways of working become routine, built into "
                            "the firm's systems and kept up with outside partners, so that they last whoever "
                            "comes and goes.",
}
LEVEL_PLAIN = {
    "individual": "what one person, often the owner, notices, learns or decides",
    "group": "what a team, committee or department works out together",
    "organisation": "what the whole firm keeps in its systems, procedures and habits, whoever comes and goes",
    "inter_organisation": "learning that happens together with customers, suppliers, colleges, advisers "
                          "or other outside bodies",
    "outside": "the outside sources of know-how the firm drew on",
}
TYPE_PLAIN = {
    "normative": "taking on the standards that the industry or the customers treat as normal, such as a "
                 "quality system",
    "mimetic": "copying and adapting a practice that has worked elsewhere, such as a method seen at "
               "another firm",
    "coercive": "changing because a powerful customer or a regulator demands it and could penalise the firm "
                "if it did not",
}
STAGE_PLAIN = {
    "intuiting": "someone senses that something is wrong or could be done better, before they can fully "
                 "put it into words",
    "interpreting": "the idea is put into words and talked through with others",
    "integrating": "people agree a shared view and start acting on it together",
    "institutionalising": "the new way of working is built into the firm's procedures, roles and systems",
    "intertwining": "outside organisations, such as customers, colleges or advisers, take an active part "
                    "in the firm's learning",
    "attending": "the firm pays attention to what is happening outside it and picks up new information",
    "experimenting": "the firm tries a new way of working on a small scale to see whether it works",
}
FLOW_PLAIN = {
    "feed_forward": "a solid arrow shows learning moving forward, from a person towards a team and the whole "
                    "firm",
    "feedback": "a dashed arrow shows learning feeding back: what the firm has built, or an outside partner, "
                "shaping how people think and work",
    "within": "a dotted arrow joins two events at the same step of learning",
}
STATUS_WORDS = {"done": "Done", "planned": "Planned", "not_relevant": "Not relevant", None: "To decide"}
WHO_WORDS = {"owner-manager": "Owner-manager", "facilitator": "Adviser"}
# Findings whose rule names no phase: the step whose actions answer them.
TEST_PHASE = {"no_flow": "institutionalisation", "single_learning_type": "opening_up"}
# Findings about the record rather than the firm: what to do in words.
TEST_ADVICE = {"events_without": "Go through these events with your adviser and agree which step each "
                                 "belongs to."}


@dataclass
class ClientOptions:
    template: object = None
    engine: str = "auto"
    diagrams: bool = True
    progress: Progress | None = None
    today: _dt.date = field(default_factory=_dt.date.today)


def _first_sentence(text: str) -> str:
    text = " ".join((text or "").split())
    cut = text.find(". ")
    return text if cut < 0 else text[:cut + 1]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


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
        styles = self.doc.styles
        try:
            return styles[name].style_id
        except KeyError:
            style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            if name.startswith("Heading") or name in ("Title", "Subtitle"):
                style.font.bold = True
                style.font.size = Pt({"Title": 24, "Subtitle": 14, "Heading 1": 16, "Heading 2": 13}[name])
                style.paragraph_format.keep_with_next = True
            if name == "Caption":
                style.font.italic = True
                style.font.size = Pt(9)
            return style.style_id

    def _table_style(self) -> str | None:
        for name in ("Light Grid Accent 1", "Table Grid"):
            try:
                style = self.doc.styles[name]
                if style.type == WD_STYLE_TYPE.TABLE:
                    return style.style_id
            except KeyError:
                continue
        return None

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

    def _runs(self, parts: list[tuple[str, dict]], style: str = "Normal", keep_next: bool = False) -> None:
        self._xml([X.paragraph("".join(X.run(t, **o) for t, o in parts), self.style[style], keep_next=keep_next)])

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
               shades=None, first_column: bool = False) -> None:
        total = int(self._width_emu() / 635)  # twips
        widths = [int(total * w / sum(weights)) for w in weights]
        if caption:
            self.tables += 1
            self._xml([X.caption("Table", self.tables, caption, self.style["Caption"], keep_next=True)])
        # rows never split; a table is not chained to what follows (short tables one after another
        # would otherwise move to the next page as one block)
        self._add(X.table(header, rows, widths, self.table_style, first_column, shades, keep_together=False))

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

    def _draw(self, graph) -> bytes:
        from .engine import draw

        try:
            return draw(graph.source, "svg", engine=getattr(self.options, "engine", "auto")).data
        except WorkbenchError as exc:
            raise WorkbenchError(f"a figure of firm {self.firm.id!r} could not be drawn: {exc.message}") from None

    def _progress(self, done: int, total: int, what: str) -> None:
        progress = getattr(self.options, "progress", None)
        if progress:
            progress(done, total, what)

    # ------------------------------------------------------------------ words

    def _event_ref(self, event_id: str) -> str:
        e = self.firm.event(event_id)
        if e is None:
            return event_id
        when = f", {e.time_label()}" if e.time_label() else ""
        return f"event {self.number[e.id]} ({e.title}{when})"

    def _phase_label(self, phase_id: str) -> str:
        return self.voc.label("phases", phase_id)

    # ------------------------------------------------------------------ the report

    def build(self):
        from ..core import renewal

        firm = self.firm
        self._progress(0, 5, "renewal")
        diag = renewal.diagnose(self.study, firm)
        items = renewal.checklist(self.study, firm)
        self.action_no = {id(it): i for i, it in enumerate(items, 1)}
        self.opening(diag, items)
        self._progress(1, 5, "renewal path")
        self.renewal_path(diag)
        self._progress(2, 5, "process diagram")
        if getattr(self.options, "diagrams", True):
            self.process(firm)
        self._progress(3, 5, "findings")
        self.findings(diag, items)
        self._progress(4, 5, "checklist")
        self.checklist(items)
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
        dated = [e.time_label() for e in events if e.time_label()]
        span = f", from {dated[0]} to {dated[-1]}" if len(dated) > 1 else ""
        self._para(f"This report follows how {firm.name} has changed the way it works. It is built from "
                   f"{_plural(len(events), 'event')} in the firm's recent history{span}, recorded with the "
                   f"owner and staff. It shows the path the firm has taken so far, what stands out, and a "
                   f"list of actions to agree, with who does each and by when.")
        self._para("Events are numbered in the order they happened; the same numbers are used in the "
                   "tables and figures throughout.")

        self._heading("In brief", 1)
        bullets: list = []
        incident = next((e for e in events if e.is_critical), None)
        if incident is not None:
            bullets.append([("Turning point: ", {"bold": True}),
                            (f"{incident.title}" + (f" ({incident.time_label()})" if incident.time_label()
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
        self._heading(f"The path {firm.name} has taken", 1, page_break=True)
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
            explain = PHASE_PLAIN.get(phase.id) or _first_sentence(
                getattr(self.voc.term("phases", phase.id), "definition", "") or "")
            self._para(explain, keep_next=True)
            if not phase.events:
                self._para(f"No event of {firm.name} has been recorded for this step yet.")
                continue
            span = getattr(phase, "span", "") or ""
            when = f"from {span.replace(' – ', ' to ')}" if " – " in span else (f"in {span}" if span else "")
            self._para(f"{_plural(len(phase.events), 'event')}" + (f", {when}" if when else "") + ":",
                       keep_next=True)
            rows = [[str(self.number.get(e.id, "")), e.time_label() or "–", (e.title, {"bold": e.is_critical})]
                    for e in phase.events]
            self._table(None, ["No.", "When", "What happened"], rows, [0.7, 1.4, 5.9])
            extra = []
            outside = [s.name for s in phase.sources if s.is_external]
            inside = [s.name for s in phase.sources if not s.is_external]
            if outside:
                extra.append([("Outside help: ", {"bold": True}), (", ".join(outside) + ".", {})])
            if inside:
                extra.append([("People in the firm involved: ", {"bold": True}), (", ".join(inside) + ".", {})])
            if phase.routines:
                extra.append([("New ways of working: ", {"bold": True}),
                              (", ".join(r.name for r in phase.routines) + ".", {})])
            if extra:
                self._bullets(extra)
        others = list(getattr(diag, "unphased", None) or [])
        if others:
            self._heading("Other events", 2)
            self._para("These events are not yet placed in a step of renewal:", keep_next=True)
            rows = [[str(self.number[e.id]), e.time_label() or "–", e.title] for e in others]
            self._table(None, ["No.", "When", "What happened"], rows, [0.7, 1.4, 5.9])

    def _explain_codes(self, firm: Firm) -> None:
        """How to read the process diagram: one sentence per code it uses."""
        from .diagram import _lanes, event_lane, source_lane

        voc = self.voc
        fw = self.study.framework_def()
        events = firm.event_list
        lanes = _lanes(fw, any(s.is_external for s in firm.source_list))
        used_lanes = {event_lane(e, lanes) for e in events} | {source_lane(s, lanes) for s in firm.source_list}
        self._para("How to read the diagram. Each box is one event, numbered in time from left to right. "
                   "The bands across the diagram show who learned:", keep_next=True)
        items = []
        for lane in lanes:
            if lane in used_lanes:
                name = "Outside the firm" if lane == "outside" else voc.label("levels", lane)
                items.append([(f"{name}: ", {"bold": True}),
                              (LEVEL_PLAIN.get(lane) or _lower_first(_first_sentence(
                                  getattr(voc.term("levels", lane), "definition", ""))), {}), (".", {})])
        self._bullets(items)
        types = [t for t in voc.ids("learning_types") if any(t in (e.learning_types or ()) for e in events)]
        if types:
            self._para("The colour of a box shows what drove the learning (see the key under the diagram):",
                       keep_next=True)
            self._bullets([[(f"{voc.label('learning_types', t)}: ", {"bold": True}),
                            (TYPE_PLAIN.get(t) or _lower_first(_first_sentence(voc.term("learning_types", t)
                                                                               .definition)), {}), (".", {})]
                           for t in types])
        stages = []
        for e in events:
            for s in e.stages or ():
                if s not in stages and s in all_stages():
                    stages.append(s)
        order = {s: all_stages()[s].order for s in stages}
        stages.sort(key=lambda s: order[s])
        if stages:
            self._para("The last line of a box names the step of learning the event shows:", keep_next=True)
            self._bullets([[(f"{all_stages()[s].label}: ", {"bold": True}),
                            (STAGE_PLAIN.get(s) or _lower_first(_first_sentence(all_stages()[s].definition)), {}),
                            (".", {})] for s in stages])
        from ..core.analysis import firm_links

        flows = []
        for link in firm_links(firm):
            if link.flow and link.flow not in flows:
                flows.append(link.flow)
        sentences = [FLOW_PLAIN[f] for f in ("feed_forward", "feedback", "within") if f in flows]
        if sentences:
            text = "; ".join(sentences)
            self._para(f"Arrows join events that led one to another: {text}.")
        rest = []
        if firm.source_list:
            rest.append("ovals are the sources of know-how (people and organisations) and thin grey arrows "
                        "show the events they took part in")
        if firm.routine_list:
            rest.append("boxes with two small tabs are the routines the firm built, joined by dotted lines to "
                        "the events that built them")
        if any(e.is_critical for e in events):
            rest.append("the box with a double red border is the critical incident")
        if rest:
            text = "; ".join(rest)
            self._para(text[0].upper() + text[1:] + ".")

    def process(self, firm: Firm) -> None:
        self._heading(f"How {firm.name} learned", 1, page_break=True)
        if not firm.event_list:
            self._para("No events have been recorded yet.")
            return
        self._explain_codes(firm)
        from . import diagram as dg

        width_pt = self._width_emu() / EMU_PER_PT
        figures = None
        if hasattr(dg, "process_figures"):
            try:
                figures = dg.process_figures(self.study, firm, dg.Options(width=width_pt))
            except TypeError:  # an Options without a width
                figures = None
        if figures is None:
            figures = [None]
        for fig in figures:
            graph = fig.graph if fig is not None else dg.process_graph(self.study, firm)
            caption = f"How {firm.name} learned, event by event"
            if fig is not None and getattr(fig, "parts", 1) > 1:
                caption += f" (part {fig.part} of {fig.parts}" + (f", {fig.span}" if fig.span else "") + ")"
            self._picture(self._draw(graph), caption)
            notes = list(getattr(fig, "notes", None) or [])
            if notes:
                self._table(None, ["No.", "In full"], [[str(n), text] for n, text in notes], [0.6, 7.4])

    def _finding_phase(self, finding) -> str | None:
        """The step a finding is about: the phase its rule names, else the
        step whose actions answer its kind of test, else its events' phase."""
        from ..core import renewal

        rule = next((r for r in renewal.load_rules() if r.id == finding.id), None)
        cond = rule.condition if rule is not None else {}
        phase = cond.get("missing_phase") or cond.get("phase")
        if phase is None:
            phase = next((TEST_PHASE[k] for k in cond if k in TEST_PHASE), None)
        if phase is None:
            phases = [e.phase for e in (self.firm.event(i) for i in finding.events or ())
                      if e is not None and e.phase]
            phase = phases[0] if phases else None
        return phase

    def _advice(self, finding, items) -> str:
        """What to do about a finding: the checklist's actions of the step it
        is about that are not yet done or set aside, those still to decide
        first."""
        from ..core import renewal

        rule = next((r for r in renewal.load_rules() if r.id == finding.id), None)
        for test, words in TEST_ADVICE.items():
            if rule is not None and test in rule.condition:
                return words
        phase = self._finding_phase(finding)
        if phase is None:
            return "Go through it with your adviser and agree what, if anything, to do."
        open_items = [it for it in items if it.action.phase == phase
                      and (it.entry or {}).get("status") not in ("done", "not_relevant")]
        open_items.sort(key=lambda it: 0 if it.entry is None else 1)
        if not open_items:
            return (f"The actions for this step ({_lower_first(self._phase_label(phase))}) are done or set "
                    f"aside; look again at whether they went far enough.")
        parts = []
        for it in open_items[:2]:
            text = f"{it.action.text.rstrip('.')} (action {self.action_no[id(it)]}"
            entry = it.entry or {}
            if entry.get("status") == "planned":
                who = ", ".join(x for x in (entry.get("owner"), entry.get("date") and f"by {entry['date']}") if x)
                text += ", planned" + (f": {who}" if who else "")
            parts.append(text + ")")
        return "; ".join(parts) + "."

    def findings(self, diag, items) -> None:
        self._heading("What stands out", 1)
        if not diag.findings:
            self._para(f"Nothing in {self.firm.name}'s path so far calls for attention.")
            return
        self._para("Each point below is followed by what the firm could do about it. Points that need "
                   "attention come first.")
        ordered = sorted(diag.findings, key=lambda f: 0 if f.severity == "concern" else 1)
        for f in ordered:
            lead = "Needs attention" if f.severity == "concern" else "Worth knowing"
            plain = (getattr(f, "plain", "") or f.message).strip()
            self._runs([(f"{lead}. ", {"bold": True}), (plain, {})], keep_next=True)
            refs = [self._event_ref(i) for i in f.events or ()]
            if len(refs) > 3:
                refs = refs[:3] + [f"{len(refs) - 3} more"]
            advice = self._advice(f, items)
            if advice:
                self._runs([("What to do: ", {"italic": True, "bold": True}), (advice, {})],
                           keep_next=bool(refs))
            if refs:
                text = "; ".join(refs[:-1]) + (" and " if len(refs) > 1 else "") + refs[-1]
                self._runs([("Based on ", {"italic": True}), (text + ".", {"italic": True})])

    def checklist(self, items) -> None:
        self._heading("Actions", 1)
        self._para("The actions that help a firm through each step of renewal, with the firm's own actions "
                   "added. For each: done (and the event that shows it), planned (who and by when), not "
                   "relevant, or still to decide.")
        by_phase: dict = {}
        for it in items:
            by_phase.setdefault(it.action.phase or "", []).append(it)
        order = list(self.voc.ids("phases"))
        for phase in sorted(by_phase, key=lambda p: order.index(p) if p in order else len(order)):
            group = by_phase[phase]
            title = self._phase_label(phase) if phase else f"Actions agreed for {self.firm.name}"
            self._heading(title, 2)
            rows, shades = [], {}
            for r, it in enumerate(group):
                entry = it.entry or {}
                status = entry.get("status")
                word = STATUS_WORDS.get(status, str(status))
                if status == "done" and entry.get("event"):
                    e = self.firm.event(entry["event"])
                    word += f", event {self.number[e.id]}" if e is not None else ""
                who = it.action.who or ""
                who = WHO_WORDS.get(who, who.replace("_", " ").replace("-", " ").capitalize())
                text = it.action.text or "–"
                rows.append([str(self.action_no[id(it)]), text, who or "–", (word, {"bold": status is None}),
                             entry.get("owner") or "–", entry.get("date") or "–", entry.get("note") or "–"])
                if status is None:
                    shades[(r, 3)] = "FFF4C2"
            self._table(None, ["No.", "Action", "Who", "Status", "Owner", "By / on", "Note"], rows,
                        [0.7, 2.95, 1.1, 1.0, 1.05, 0.9, 1.55], shades=shades)


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
