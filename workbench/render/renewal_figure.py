"""Renewal paths side by side: one lane per firm, each firm's events in
order, aligned on its critical incident (position 0), the runs of each
renewal phase shaded behind them.

Drawn for a printed width (16 cm by default, the text width of an A4 page)
at that size, so the type sizes in the drawing are the printed sizes: none is
under 7 pt. Events are numbered marks; their titles, by number, are listed
under the figure (``notes=True``) or, in the client report, in the table of
the firm's renewal path beside it. Positions are the events' order, not a
time scale: firms date their events too differently ("late 1990s",
"2004-03", "year 2") for one.
"""

from __future__ import annotations

from dataclasses import dataclass

import graphviz

from ..core.frameworks import vocabulary
from ..core.model import Event, Firm, Study
from .diagram import _Background, _in, _pos, _q, _safe_id
from .text import attr_text, esc, label, wrap
from .units import A4_PORTRAIT

FONT = "Helvetica"
MIN_PT = 7.0          # the smallest type anywhere in the figure
NAME_PT = 8.0         # firm names
CHAR_W = 0.56         # average Helvetica character width, in ems (generous)
NAME_W = 96.0         # the column of firm names
LANE_H = 34.0
MARK = 15.0           # a mark's size
MIN_STEP = 18.0       # closest spacing of two events: marks never touch
MAX_STEP = 44.0
AXIS_H = 34.0         # the axis numbers and its title above the lanes
TITLE_PT = 9.0

# The phases' tints and the marks' colours: resources/client/plain.json
# ("colours"); vocabulary.json's colours "phase_<id>" win where given.


def _c(name: str) -> str:
    from .client_report import plain_words

    return plain_words()["colours"][name]


# The marks, in the order the key lists them.
MARK_KINDS = {
    "incident": ("diamond", "The critical incident (position 0)"),
    "event": ("circle", "An event"),
    "routine": ("square", "An event that built a routine"),
    "outside": (None, "Filled: an outside organisation took part"),
}


@dataclass
class _Lane:
    firm: Firm
    zero: int            # index of the event at position 0
    has_incident: bool
    y: float = 0.0       # centre of the lane


def plain_words_colour(name: str) -> str | None:
    from .client_report import plain_words

    return plain_words()["colours"].get(name)


def _phase_colour(phase: str) -> str:
    colours = vocabulary().colours
    return colours.get(f"phase_{phase}") or plain_words_colour(f"phase_{phase}") or _c("phase_other")


def _text_w(text: str, size: float) -> float:
    return len(text) * size * CHAR_W


def _firms(study: Study, firms) -> list[Firm]:
    if firms is None:
        return list(study.firms)
    out = []
    for f in firms:
        firm = f if isinstance(f, Firm) else study.firm(f)
        if firm is None:
            from ..core.errors import InputError

            raise InputError(f"no firm {f!r} in this study; its firms are: "
                             f"{', '.join(x.id for x in study.firms) or '(none)'}")
        out.append(firm)
    return out


def incident_index(firm: Firm) -> int | None:
    """The index of the firm's first critical incident among its events."""
    return next((i for i, e in enumerate(firm.event_list) if e.is_critical), None)


def mark_kind(firm: Firm, event: Event) -> tuple[str, bool]:
    """The mark of an event (incident, routine or event) and whether an
    outside source took part (the mark is then filled)."""
    outside = any((s := firm.source(sid)) is not None and s.is_external for sid in event.sources or ())
    if event.is_critical:
        return "incident", outside
    if event.routines:
        return "routine", outside
    return "event", outside


def _node(g: graphviz.Digraph, name: str, attrs: dict) -> None:
    items = " ".join(f"{k}={_q(v)}" for k, v in attrs.items())
    g.body.append(f"\t{_q(name)} [{items}]\n")


def _text(g: graphviz.Digraph, name: str, lines: list[str], x: float, y: float, size: float,
          width: float, align: str = "c", colour: str | None = None, cls: str = "text",
          bold: bool = False) -> None:
    """Plain text centred at (x, y) (``align`` "l": left edge at x), each
    line as given."""
    if align == "l":
        body = "".join(esc(line) + "\\l" for line in lines)
        x = x + width / 2
    else:
        body = "\\n".join(esc(line) for line in lines)
    _node(g, name, {"label": graphviz.nohtml(body), "shape": "plaintext", "fontsize": f"{size:.1f}",
                    "fontcolor": colour or _c("mark_text"), "width": _in(width), "height": _in(size * 1.25 * len(lines)),
                    "fixedsize": "true", "margin": "0", "pos": _pos(x, y), "class": cls, "id": name,
                    **({"fontname": f"{FONT}-Bold"} if bold else {})})


def _lanes(study: Study, firms) -> list[_Lane]:
    lanes = []
    for f in _firms(study, firms):
        z = incident_index(f)
        lanes.append(_Lane(f, z if z is not None else 0, z is not None))
    return lanes


def _span_of(lanes: list[_Lane]) -> tuple[int, int]:
    """The first and last positions (relative to the incidents) of any firm."""
    lo = min([-ln.zero for ln in lanes if ln.firm.event_list] or [0])
    hi = max([len(ln.firm.event_list) - 1 - ln.zero for ln in lanes if ln.firm.event_list] or [0])
    return lo, hi


def renewal_windows(study: Study, firms=None, width: float | None = None) -> list[tuple[int, int]]:
    """The positions each part of the figure shows when all of them do not
    fit ``width`` with the marks at their closest (a page never shrinks a
    drawing): one window ``(first, last)``, or several side by side in time."""
    lo, hi = _span_of(_lanes(study, firms))
    room = float(width or A4_PORTRAIT) - (NAME_W + 8) - 6
    per = max(1, int(room // MIN_STEP))
    return [(a, min(hi, a + per - 1)) for a in range(lo, hi + 1, per)]


def renewal_graph(study: Study, firms=None, width: float | None = None,
                  notes: bool = True, title: bool = True,
                  window: tuple[int, int] | None = None) -> graphviz.Digraph:
    """One lane per firm (``firms``: ids or Firm objects, default all),
    events as numbered marks aligned on each firm's critical incident,
    phases shaded, for ``width`` points (default 16 cm); with ``notes`` the
    events' titles by number under the key. ``window`` (from
    ``renewal_windows``) draws only those positions: one part of a figure
    too long for the page."""
    voc = vocabulary()
    width = float(width or A4_PORTRAIT)
    lanes = _lanes(study, firms)
    lo, hi = _span_of(lanes)
    if window is not None:
        lo, hi = max(lo, window[0]), min(hi, window[1])

    def shown(ln: _Lane, k: int) -> bool:
        return lo <= k - ln.zero <= hi
    steps = hi - lo + 1
    x0 = NAME_W + 8
    plot_w = width - x0 - 6
    step = min(MAX_STEP, plot_w / steps)
    if step < MIN_STEP:  # too many events for the width: the drawing grows rather than overlap
        step = MIN_STEP
    plot_w = step * steps
    right = x0 + plot_w
    width = max(width, right + 6)

    def x_of(pos: int) -> float:
        return x0 + (pos - lo + 0.5) * step

    # ------------------------------------------------------------ below the lanes: key and notes (bottom up)
    g = graphviz.Digraph(name="renewal")
    g.attr("graph", outputorder="edgesfirst", bgcolor="white", pad="0", fontname=FONT,
           tooltip=attr_text("Renewal paths, aligned on each firm's critical incident"), id="renewal")
    g.attr("node", fontname=FONT)
    bg = _Background()

    used_marks: list[str] = []
    used_fill = False
    used_phases: list[str] = []
    unphased = False  # an event in no phase: drawn on the lane, unshaded
    for ln in lanes:
        for k, e in enumerate(ln.firm.event_list):
            if not shown(ln, k):
                continue
            kind, outside = mark_kind(ln.firm, e)
            if kind not in used_marks:
                used_marks.append(kind)
            used_fill |= outside
            ph = e.phase if e.phase in voc.ids("phases") else ("" if not e.phase else "other")
            if ph and ph not in used_phases:
                used_phases.append(ph)
            unphased |= not ph

    y = 4.0
    note_rows: list[tuple[str, list[str], bool]] = []  # (name, lines, heading)
    if notes:
        col_w = (width - 16) / 2
        chars = int(col_w / (MIN_PT * CHAR_W)) - 1
        for ln in lanes:
            if not ln.firm.event_list:
                continue
            if not any(shown(ln, k) for k in range(len(ln.firm.event_list))):
                continue
            note_rows.append((ln.firm.id, wrap(ln.firm.name, chars, 99), True))
            for i, e in enumerate(ln.firm.event_list, 1):
                if not shown(ln, i - 1):
                    continue
                when = f" ({e.time_label()})" if e.time_label() else ""
                lines = wrap(f"{i}. {e.title}{when}", chars - 3, 99)
                note_rows.append((f"{ln.firm.id}-{i}", [lines[0]] + ["   " + t for t in lines[1:]], False))
        # two columns, filled top to bottom: the first holds half the lines
        line_h = MIN_PT * 1.25
        total = sum(len(r[1]) for r in note_rows)
        half, run, split = total / 2, 0, len(note_rows)
        for i, r in enumerate(note_rows):
            if run >= half:
                split = i
                break
            run += len(r[1])
        cols = [note_rows[:split], note_rows[split:]]
        col_h = max(sum(len(r[1]) for r in c) for c in cols) * line_h if note_rows else 0
        if note_rows:
            top = y + col_h
            for c, rows in enumerate(cols):
                yy = top
                for name, lines, heading in rows:
                    h = len(lines) * line_h
                    _text(g, _safe_id("note", name), lines, 8 + c * (col_w + 4), yy - h / 2,
                          MIN_PT + (0.5 if heading else 0), col_w, align="l", cls="note", bold=heading)
                    yy -= h
            y = top + 4
            _text(g, "notes-title", ["Events by number"], 8, y + 6, 7.5, 140, align="l", cls="note")
            y += 14

    # key: swatches and marks, flowing left to right in rows
    items: list[tuple[str, str, str]] = []  # (kind, id, text)
    for ph in used_phases:
        items.append(("phase", ph, voc.label("phases", ph) if ph != "other" else "Other phase"))
    if unphased:
        items.append(("phase", "none", "In no phase yet (unshaded)"))
    for kind in MARK_KINDS:
        if kind in used_marks:
            items.append(("mark", kind, MARK_KINDS[kind][1]))
    if used_fill:
        items.append(("fill", "outside", MARK_KINDS["outside"][1]))
    key_rows: list[list[tuple[str, str, str, float]]] = [[]]
    x = 8 + 30
    for kind, ident, text in items:
        w = 14 + 4 + _text_w(text, 7.5) + 12
        if x + w > width - 6 and key_rows[-1]:
            key_rows.append([])
            x = 8 + 30
        key_rows[-1].append((kind, ident, text, x))
        x += w
    row_h = 16.0
    key_top = y + row_h * len(key_rows) if items else y
    for r, row in enumerate(key_rows):
        ky = key_top - row_h * (r + 0.5)
        for kind, ident, text, kx in row:
            if kind == "phase":
                fill = _c("lane_fill") if ident == "none" else _phase_colour(ident)
                bg.rect(kx, ky - 6, kx + 14, ky + 6, fill, _c("swatch_line"))
            else:
                shape = MARK_KINDS[ident][0] if kind == "mark" else "circle"
                filled = kind == "fill"
                _node(g, _safe_id("key", kind, ident), {
                    "label": "", "shape": shape, "width": _in(11), "height": _in(11), "fixedsize": "true",
                    "style": "filled", "fillcolor": _c("mark_fill") if filled else "white",
                    "color": voc.colour("critical") if ident == "incident" else _c("mark_line"),
                    "penwidth": "1.4" if ident == "incident" else "1.0",
                    "pos": _pos(kx + 7, ky), "class": "key"})
            _text(g, _safe_id("keytext", kind, ident), [text], kx + 18, ky, 7.5, _text_w(text, 7.5) + 4,
                  align="l", cls="key")
    if items:
        _text(g, "key-title", ["Key"], 8, key_top - row_h / 2, 7.5, 28, align="l", cls="key")
        y = key_top + 10

    # ------------------------------------------------------------ the lanes, the last firm lowest
    bottom = y
    name_chars = int((NAME_W - 4) / (NAME_PT * CHAR_W))
    for i, ln in enumerate(reversed(lanes)):
        ln.y = y + LANE_H * (i + 0.5)
    top = y + LANE_H * len(lanes)
    for idx, ln in enumerate(lanes):
        firm = ln.firm
        y0, y1 = ln.y - LANE_H / 2, ln.y + LANE_H / 2
        bg.rect(x0, y0, right, y1, _c("lane_alternate") if idx % 2 else _c("lane_fill"), _c("lane_line"))
        # runs of one phase, shaded
        events = firm.event_list
        run_start = 0
        for k in range(1, len(events) + 1):
            if k == len(events) or events[k].phase != events[run_start].phase:
                ph = events[run_start].phase
                a, b = max(run_start - ln.zero, lo), min(k - 1 - ln.zero, hi)
                if ph and a <= b:
                    colour = _phase_colour(ph if ph in voc.ids("phases") else "other")
                    xa = x_of(a) - step / 2
                    xb = x_of(b) + step / 2
                    bg.rect(xa + 0.5, y0 + 3, xb - 0.5, y1 - 3, colour, colour)
                run_start = k
        a, b = max(-ln.zero, lo), min(len(events) - 1 - ln.zero, hi)
        if events and a <= b:  # the lane's thread, behind the marks
            xa, xb = x_of(a), x_of(b)
            bg.rect(xa, ln.y - 0.4, xb, ln.y + 0.4, _c("thread"), _c("thread"))
        name_lines = wrap(firm.name, name_chars, 2)
        if not events:
            extra = ["no events yet"]
        elif not ln.has_incident:
            extra = ["no critical incident:", "aligned on first event"]
        else:
            extra = []
        lines = [*name_lines, *extra]
        sizes = NAME_PT if not extra else MIN_PT
        _text(g, _safe_id("lane", firm.id), lines, 4, ln.y, sizes, NAME_W - 2, align="l", cls="lane")
        for k, e in enumerate(events):
            if not shown(ln, k):
                continue
            kind, outside = mark_kind(firm, e)
            shape = MARK_KINDS[kind][0]
            size = MARK + (3 if kind == "incident" else 0)
            tip = f"{firm.name}, {k + 1}: {e.title}" + (f" ({e.time_label()})" if e.time_label() else "")
            if e.phase:
                tip += f"\nPhase: {voc.label('phases', e.phase)}"
            _node(g, _safe_id("mark", firm.id, e.id), {
                "label": label(str(k + 1)), "shape": shape, "fixedsize": "true",
                "width": _in(size), "height": _in(size), "fontsize": f"{MIN_PT:.1f}", "margin": "0",
                "style": "filled", "fillcolor": _c("mark_fill") if outside else "white",
                "fontcolor": "white" if outside else _c("mark_text"),
                "color": voc.colour("critical") if kind == "incident" else _c("mark_line"),
                "penwidth": "1.6" if kind == "incident" else "1.0",
                "pos": _pos(x_of(k - ln.zero), ln.y), "tooltip": attr_text(tip),
                "id": _safe_id("mark", firm.id, e.id), "class": f"mark {kind}"})

    # position 0: the incidents' line, across every lane
    if lo <= 0 <= hi:
        zx = x_of(0)
        crit = voc.colour("critical")
        bg.rect(zx - 0.6, bottom, zx + 0.6, top + 4, crit, crit)

    # ------------------------------------------------------------ the axis above the lanes
    ay = top + 9
    every = 1 if step >= 14 else 2
    for pos in range(lo, hi + 1):
        if pos % every and pos != 0:
            continue
        text = "0" if pos == 0 else f"{pos:+d}"
        _text(g, _safe_id("tick", str(pos)), [text], x_of(pos), ay, MIN_PT, max(step, 14), cls="axis")
    whose = "each firm's" if len(lanes) > 1 else "the"
    axis_title = f"Events before (−) and after (+) {whose} critical incident, in order (not to time scale)"
    lines = wrap(axis_title, int((width - 16) / (7.5 * CHAR_W)), 2)
    tw = min(width - 16, max(_text_w(line, 7.5) for line in lines) + 8)
    cx = min(max(x0 + plot_w / 2, 8 + tw / 2), width - 8 - tw / 2)  # over the lanes, inside the drawing
    _text(g, "axis-title", lines, cx, ay + 11 + 4.5 * (len(lines) - 1), 7.5, tw, cls="axis")
    top = ay + 13 + 9.4 * len(lines)
    if title:
        n = len(lanes)
        text = (f"Renewal paths of {n} firms, aligned on each firm's critical incident" if n != 1 else
                f"Renewal path of {lanes[0].firm.name}, aligned on its critical incident")
        head = wrap(text, int((width - 16) / (TITLE_PT * CHAR_W)), 3)
        h = TITLE_PT * 1.25 * len(head)
        _text(g, "title", head, 8, top + 4 + h / 2, TITLE_PT, width - 16, align="l", cls="title")
        top += h + 8

    g.attr("graph", _background=bg.value())
    for name, x, yy in (("corner-a", 0.5, 0.5), ("corner-b", width - 0.5, top - 0.5)):
        _node(g, name, {"label": "", "shape": "point", "style": "invis", "width": "0.01",
                        "pos": _pos(x, yy)})
    return g


__all__ = ["renewal_graph", "renewal_windows", "incident_index", "mark_kind"]
