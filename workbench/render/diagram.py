"""Process diagrams of a firm's learning, and the framework figure, as
Graphviz graphs (built with the ``graphviz`` package).

Two drawings of a process. For print, ``process_figures`` with
``Options(width=points)``: the levels as columns, time down the page, text
at 7 pt or more at that width, over as many figures as the page height
needs (see "figures for a page width" below). For the screen,
``process_graph`` (``width=None``): one unbounded drawing, described next.

The screen layout is ours: swimlanes for the levels (inter-organisation at the top,
individual at the bottom), time running left to right in event order. Every
node is pinned (``pos="x,y!"``) and the graph is drawn by Graphviz's ``nop2``
layout, which keeps the positions and routes the edges; the lanes are drawn
behind everything through the graph's ``_background``. Because the picture
does not depend on a layout heuristic, the system ``dot`` program and the
in-process WebAssembly build draw the same picture.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import graphviz

from ..core.analysis import FEED_FORWARD, FEEDBACK, FLOWS, WITHIN, firm_links, stage_flow
from ..core.coding import NarrowedFirm
from ..core.frameworks import Framework, all_stages, resources_dir, vocabulary
from ..core.model import Event, Firm, Source, Study
from . import grid
from .text import attr_text, label, shorten, wrap

OUTSIDE = "outside"  # the band above the firm's lanes when the framework has no level outside it


@dataclass(frozen=True)
class _Palette:
    """The colours and lanes of the drawings, from vocabulary.json: the
    learning types' tints (fills) and colours (borders, legend), the flows'
    lines, the levels' lanes from the highest down, and the named colours."""

    type_fill: dict
    type_line: dict
    flow_style: dict
    lane_fill: dict
    lane_order: tuple
    outside_levels: frozenset
    colour: dict


@lru_cache(maxsize=None)
def _palette_for(folder) -> _Palette:
    voc = vocabulary()
    colour = voc.colours
    flow_style = {t.id: {"style": t.extra.get("line", "solid"), "color": t.extra.get("colour", "#000000"),
                         "penwidth": str(t.extra.get("line_width", 1.0))} for t in voc.flows}
    flow_style[None] = {"style": "solid", "color": colour["no_flow_line"], "penwidth": "1.0"}
    lane_fill = voc.term_values("levels", "lane_colour")
    lane_fill[OUTSIDE] = colour["outside_lane"]
    return _Palette(
        type_fill={t.id: t.extra.get("tint", colour["uncoded_fill"]) for t in voc.learning_types},
        type_line={t.id: t.extra.get("colour", colour["uncoded_line"]) for t in voc.learning_types},
        flow_style=flow_style,
        lane_fill=lane_fill,
        lane_order=voc.levels_top_down(),
        outside_levels=frozenset(t.id for t in voc.levels if t.extra.get("outside_firm")),
        colour=colour,
    )


def _palette() -> _Palette:
    return _palette_for(resources_dir())


FONT = "Helvetica"
COL = 175.0       # points between event columns
EVENT_W = 140.0   # event node width (points)
SOURCE_W = 118.0
ROW_H = {"events": 112.0, "sources": 74.0, "routines": 62.0}  # row heights inside a lane
LEFT = 128.0      # room for the lane labels
TITLE_H = 46.0
LEGEND_H = 118.0


def _title_node(g: graphviz.Digraph, text: str, top: float, fontsize: float) -> float:
    """A plain title at the top left; returns the right edge it needs."""
    width = len(text) * fontsize * 0.56 + 20
    g.node("title", label=label(text), shape="plaintext", fontsize=f"{fontsize:.0f}",
           pos=_pos(8 + width / 2, top + TITLE_H / 2), width=_in(width), **{"class": "title"})
    return 8 + width


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


@lru_cache(maxsize=65536)
def _safe_id(*parts: str) -> str:
    return "-".join(_UNSAFE.sub("_", p) for p in parts)


# The many node and edge statements are written to the graph's ``body`` (the
# graphviz package's list of DOT lines) with this quoting: the package quotes
# every attribute through three regular expressions, which made building a
# 100-event diagram slower than drawing it. Every value reaching here is
# already escString-safe (``text.label``, ``text.attr_text``, or ours), so
# quoting is: wrap in double quotes, escape the double quotes.
def _q(value) -> str:
    return '"' + str(value).replace('"', '\\"') + '"'


def _stmt(g: graphviz.Digraph, name: str, attrs: dict, head: str | None = None) -> None:
    items = " ".join(f"{k}={_q(v)}" for k, v in attrs.items())
    target = f" -> {_q(head)}" if head is not None else ""
    g.body.append(f"\t{_q(name)}{target} [{items}]\n")


def _pos(x: float, y: float) -> str:
    return f"{x:.1f},{y:.1f}!"


def _in(points: float) -> str:
    return f"{points / 72.0:.3f}"


@dataclass
class Options:
    sources: bool = True
    routines: bool = True
    width: float | None = None  # points; None: one unbounded drawing (the screen)
    height: float | None = None  # points a figure may take; None: page_height(width)


@dataclass
class Figure:
    """One figure of a drawing split for the page: its graph, which part of
    how many, the events or period it covers ("" when one part), the notes
    (number, full text) for labels too long for their boxes, and the
    drawing's natural size in points (already within the width asked for)."""

    graph: graphviz.Digraph
    part: int = 1
    parts: int = 1
    span: str = ""
    notes: list = field(default_factory=list)
    width_pt: float = 0.0
    height_pt: float = 0.0
    standalone: graphviz.Digraph | None = None   # with the notes drawn under it (files of their own)
    standalone_height: float = 0.0

    def for_file(self) -> graphviz.Digraph:
        """The graph to write to a file of its own: with the notes under it."""
        return self.standalone if self.standalone is not None else self.graph


@dataclass
class _Row:
    lane: str
    kind: str  # "events", "sources", "routines"
    y: float = 0.0


class _Background:
    """xdot drawing operations for the graph's ``_background``: rectangles
    only. (Text operations there crash Graphviz 2.43, still the version of
    many Linux distributions; lane names are plain-text nodes instead.)"""

    def __init__(self) -> None:
        self.ops: list[str] = []

    @staticmethod
    def _s(text: str) -> str:
        data = text.encode("utf-8")
        return f"{len(data)} -{text}"

    def rect(self, x0: float, y0: float, x1: float, y1: float, fill: str, line: str) -> None:
        self.ops.append(f"C {self._s(fill)} c {self._s(line)} "
                        f"P 4 {x0:.1f} {y0:.1f} {x1:.1f} {y0:.1f} {x1:.1f} {y1:.1f} {x0:.1f} {y1:.1f}")

    def value(self) -> str:
        return " ".join(self.ops)


def _is_outside(lane: str) -> bool:
    return lane == OUTSIDE or lane in _palette().outside_levels


def _lanes(fw: Framework, need_outside: bool) -> list[str]:
    """The framework's levels from the highest down, with the band outside
    the firm on top when external sources need it and no level is outside."""
    lanes = [lv for lv in _palette().lane_order if lv in fw.level_ids]
    if need_outside and not any(_is_outside(lv) for lv in lanes):
        lanes.insert(0, OUTSIDE)
    return lanes


def _lane_label(lane: str) -> str:
    if lane == OUTSIDE:
        return "Outside the firm"
    return vocabulary().label("levels", lane)


def _lane_name(g: graphviz.Digraph, lane: str, y: float) -> None:
    name = _lane_label(lane)
    width = max(len(name) * 11 * 0.6, 60)
    g.node(f"lane-{lane}", label=label(name), shape="plaintext", fontsize="11",
           fontcolor=_palette().colour["lane_text"],
           pos=_pos(14 + width / 2, y), width=_in(width), **{"class": "lane"})


def _nearest_lane(level: str, lanes: list[str]) -> str:
    """The level's lane, or for a level the framework lacks (inter-
    organisation in a 4I study) the nearest one it has."""
    if level in lanes:
        return level
    order = _palette().lane_order
    have = [lv for lv in order if lv in lanes]
    rank = order.index(level) if level in order else len(order) - 1
    return min(have, key=lambda lv: abs(order.index(lv) - rank))


def _firm_top_lane(lanes: list[str]) -> str:
    """The highest lane inside the firm (the organisation): where routines
    are drawn and internal sources of no particular level sit."""
    return next(lv for lv in lanes if not _is_outside(lv))


def source_lane(source: Source, lanes: list[str]) -> str:
    """External sources in the lane outside the firm (the inter-organisation
    level, or the band outside the firm); internal ones in the lane of the
    level their kind belongs to (vocabulary.json), else the organisation's."""
    if source.is_external:
        return next((lv for lv in lanes if _is_outside(lv)), OUTSIDE)
    term = vocabulary().term("source_kinds", source.kind)
    level = term.extra.get("level") if term else None
    return _nearest_lane(level, lanes) if level else _firm_top_lane(lanes)


def event_lane(event: Event, lanes: list[str]) -> str:
    """The event's level (its own or its stage's; the lowest when it has
    neither), or the nearest level the framework has."""
    return _nearest_lane(event.effective_level() or _palette().lane_order[-1], lanes)


def _event_label(event: Event):
    voc = vocabulary()
    lines = []
    if event.is_critical:
        lines.append("CRITICAL INCIDENT")
    if event.time_label():
        lines.append(f"[{shorten(event.time_label(), 28)}]")
    lines += wrap(event.title, 24, 3)
    stages = [all_stages()[s].label for s in event.stages or () if s in all_stages()]
    codes = " + ".join(stages) if stages else "not yet coded"
    types = [voc.label("learning_types", t) for t in event.learning_types or ()]
    lines += wrap(codes + (f" · {' / '.join(types)}" if types else ""), 30, 2)
    return label(*lines)


def _event_tooltip(event: Event) -> str:
    voc = vocabulary()
    lines = [event.title]
    if event.time_label():
        lines.append(f"When: {event.time_label()}")
    if event.phase:
        lines.append(f"Phase: {voc.label('phases', event.phase)}")
    if event.stages:
        lines.append("Stages: " + ", ".join(all_stages()[s].label for s in event.stages if s in all_stages()))
    if event.learning_types:
        lines.append("Learning: " + ", ".join(voc.label("learning_types", t) for t in event.learning_types))
    if event.description:
        lines.append(event.description)
    return "\n".join(lines)


def _event_style(event: Event) -> dict[str, str]:
    pal = _palette()
    fill, line = pal.type_fill, pal.type_line
    types = [t for t in event.learning_types or () if t in fill]
    attrs: dict[str, str] = {}
    if not event.stages or not types:
        attrs.update(style="filled,dashed", fillcolor=pal.colour["uncoded_fill"], color=pal.colour["uncoded_line"])
        if types:
            attrs["fillcolor"] = fill[types[0]]
    elif len(types) == 1:
        attrs.update(style="filled", fillcolor=fill[types[0]], color=line[types[0]])
    else:
        # overlapping types: the primary fills most of the node, the others a strip each
        share = 0.34 / (len(types) - 1)
        stripes = ":".join([f"{fill[types[0]]};0.66"] + [f"{fill[t]};{share:.2f}" for t in types[1:]])
        attrs.update(style="striped", fillcolor=stripes, color=line[types[0]])
    if event.is_critical:
        attrs.update(peripheries="2", penwidth="2.2", color=pal.colour["critical"])
    return attrs


# --------------------------------------------------------------------------- process diagram


@dataclass
class _Layout:
    """Where everything of a process diagram goes: the lanes and their rows
    (y), the columns of events, sources and routines (x), and the extent."""

    events: list
    sources: list
    routines: list
    lanes: list[str]
    src_lane: dict[str, str]
    rows: list[_Row]
    row_of: dict[tuple[str, str], _Row]
    top: float
    ev_x: dict[str, float]
    src_x: dict[str, float]
    rt_x: dict[str, float]
    right: float


def _lane_rows(lanes: list[str], src_lane: dict[str, str], routines: list) -> tuple[list[_Row], float]:
    """The rows from the top lane down: each lane holds an events row, plus
    sources / routines rows where it has any (sources above the events
    outside the firm, below them inside). Returns the rows with their y
    (which grows upwards in Graphviz) and the top of the highest."""
    rows: list[_Row] = []
    routine_lane = _firm_top_lane(lanes)
    for lane in lanes:
        lane_sources = any(v == lane for v in src_lane.values())
        if _is_outside(lane) and lane_sources:
            rows.append(_Row(lane, "sources"))
        if lane != OUTSIDE:
            rows.append(_Row(lane, "events"))
        if lane == routine_lane and routines:
            rows.append(_Row(lane, "routines"))
        if not _is_outside(lane) and lane_sources:
            rows.append(_Row(lane, "sources"))
    y = LEGEND_H
    for row in reversed(rows):
        row.y = y + ROW_H[row.kind] / 2
        y += ROW_H[row.kind]
    return rows, y


def _first_use(events: list, ev_x: dict[str, float]) -> dict[tuple[str, str], float]:
    """x of the first event that involves each source ("s", id) or builds each routine ("r", id)."""
    first: dict[tuple[str, str], float] = {}
    for e in events:
        for sid in e.sources or ():
            first.setdefault(("s", sid), ev_x[e.id])
        for rid in e.routines or ():
            first.setdefault(("r", rid), ev_x[e.id])
    return first


def _place(items, key: str, width: float, first_use: dict, end_x: float) -> dict[str, float]:
    """x for each item of a row: under its first event, shifted right to
    keep clear of its neighbours; unused items at the end."""
    wanted = sorted(items, key=lambda it: first_use.get((key, it.id), end_x))
    xs: dict[str, float] = {}
    last = -1e9
    for it in wanted:
        x = max(first_use.get((key, it.id), end_x), last + width + 36)
        xs[it.id] = x
        last = x
    return xs


def _process_layout(firm: Firm, fw: Framework, options: Options) -> _Layout:
    events = firm.event_list
    sources = firm.source_list if options.sources else []
    routines = firm.routine_list if options.routines else []
    lanes = _lanes(fw, any(s.is_external for s in sources))
    src_lane = {s.id: source_lane(s, lanes) for s in sources}
    rows, top = _lane_rows(lanes, src_lane, routines)

    ev_x = {e.id: LEFT + COL * (i + 0.5) for i, e in enumerate(events)}
    first_use = _first_use(events, ev_x)
    end_x = LEFT + COL * (len(events) + 0.5)
    src_x: dict[str, float] = {}
    for lane in lanes:
        src_x.update(_place([s for s in sources if src_lane[s.id] == lane], "s", SOURCE_W, first_use, end_x))
    rt_x = _place(routines, "r", SOURCE_W, first_use, end_x)
    right = max([end_x] + [x + SOURCE_W for x in src_x.values()] + [x + SOURCE_W for x in rt_x.values()])
    return _Layout(events, sources, routines, lanes, src_lane, rows, {(r.lane, r.kind): r for r in rows},
                   top, ev_x, src_x, rt_x, right)


def _process_canvas(firm: Firm, fw: Framework, lay: _Layout, limit: str = "") -> graphviz.Digraph:
    """The graph with its defaults, the lanes drawn behind, the title and
    the corners that keep the lanes inside the drawing."""
    pal = _palette()
    g = graphviz.Digraph(name=_safe_id("process", firm.id))  # drawn with the nop2 layout: see engine.LAYOUT
    title = f"{firm.name}: learning process ({fw.name}, {fw.id}){limit}"
    g.attr("graph", splines="true", outputorder="edgesfirst", bgcolor="white", pad="0.2",
           fontname=FONT, tooltip=attr_text(title), id=_safe_id("diagram", firm.id))
    g.attr("node", fontname=FONT, fontsize="10", margin="0.08,0.05")
    g.attr("edge", fontname=FONT, fontsize="8", arrowsize="0.7")

    bg = _Background()
    for lane in lay.lanes:
        lane_rows = [r for r in lay.rows if r.lane == lane]
        y0 = min(r.y - ROW_H[r.kind] / 2 for r in lane_rows)
        y1 = max(r.y + ROW_H[r.kind] / 2 for r in lane_rows)
        bg.rect(8, y0, lay.right + 10, y1, pal.lane_fill[lane], pal.colour["lane_border"])
        _lane_name(g, lane, (y0 + y1) / 2)
    g.attr("graph", _background=bg.value())

    title_right = _title_node(g, f"{shorten(firm.name, 80)}: learning process ({fw.name}){limit}", lay.top, 16)
    for name, x, y in (("corner-a", 0, 0), ("corner-b", max(lay.right + 18, title_right), lay.top + TITLE_H)):
        g.node(name, label="", shape="point", style="invis", width="0.01", pos=_pos(x, y))
    return g


def _draw_events(g: graphviz.Digraph, firm: Firm, lay: _Layout) -> None:
    """The events, in their lanes' events rows (shared attributes as the subgraph's defaults)."""
    with g.subgraph(name="events") as sg:
        sg.attr("node", shape="box", width=_in(EVENT_W), **{"class": "event"})
        for e in lay.events:
            row = lay.row_of[(event_lane(e, lay.lanes), "events")]
            _stmt(sg, _safe_id("event", e.id), dict(
                label=_event_label(e), pos=_pos(lay.ev_x[e.id], row.y), tooltip=attr_text(_event_tooltip(e)),
                id=_safe_id("event", firm.id, e.id), **_event_style(e)))


def _draw_flows(g: graphviz.Digraph, firm: Firm, lay: _Layout) -> None:
    """The links between events, one subgraph per flow so that each edge
    carries only its own attributes."""
    voc = vocabulary()
    by_flow: dict = {}
    for i, link in enumerate(firm_links(firm)):
        if link.source in lay.ev_x and link.target in lay.ev_x:
            by_flow.setdefault(link.flow, []).append((i, link))
    for flow, links in by_flow.items():
        flow_name = voc.label("flows", flow) if flow else "no flow (an event is not coded)"
        with g.subgraph(name=f"flows_{flow or 'none'}") as sg:
            sg.attr("edge", **_palette().flow_style[flow], **{"class": f"flow {flow or 'none'}"})
            for i, link in links:
                # a link's label goes in its tooltip: drawn, it would cross nodes
                _stmt(sg, _safe_id("event", link.source), dict(
                    tooltip=attr_text(flow_name + (f": {link.label}" if link.label else "")),
                    id=_safe_id("flow", firm.id, str(i))), head=_safe_id("event", link.target))


def _draw_sources(g: graphviz.Digraph, firm: Firm, lay: _Layout) -> None:
    """The knowledge sources in their lanes, and their involvement in
    events (the arrow pointing the way the knowledge went)."""
    voc = vocabulary()
    colour = _palette().colour
    for s in lay.sources:
        row = lay.row_of[(lay.src_lane[s.id], "sources")]
        kind = voc.label("source_kinds", s.kind)
        external = s.is_external
        g.node(_safe_id("source", s.id), label=label(*wrap(s.name, 20, 3), *wrap(f"({kind}{', strategic' if s.strategic else ''})", 22, 2)), shape="ellipse" if external else "oval",
               style="filled" + ("" if external else ",dashed"),
               fillcolor=colour["source_fill"] if external else colour["internal_source_fill"],
               color=colour["node_line"],
               fontsize="9", pos=_pos(lay.src_x[s.id], row.y), width=_in(SOURCE_W),
               tooltip=attr_text(f"{s.name} ({kind}{', external' if external else ', internal'})"
                                 + (f"\n{s.notes}" if s.notes else "")),
               id=_safe_id("source", firm.id, s.id), **{"class": "source external" if external else "source internal"})
    arrow = voc.term_values("directions", "arrow")
    directions = {s.id: arrow[s.effective_direction] for s in lay.sources}
    with g.subgraph(name="involvement") as sg:
        sg.attr("edge", arrowhead="vee", arrowtail="vee", arrowsize="0.5", color=colour["involvement_line"],
                penwidth="0.8", **{"class": "involvement"})
        for e in lay.events:
            for sid in e.sources or ():
                if sid in directions:
                    _stmt(sg, _safe_id("source", sid), dict(
                        id=_safe_id("involves", firm.id, e.id, sid),
                        **({} if directions[sid] == "forward" else {"dir": directions[sid]})),
                        head=_safe_id("event", e.id))


def _draw_routines(g: graphviz.Digraph, firm: Firm, lay: _Layout) -> None:
    """The routines in the organisation's lane, and which events built them."""
    colour = _palette().colour
    known_routines = {r.id for r in lay.routines}
    with g.subgraph(name="routines") as sg:
        sg.attr("node", shape="component", style="filled", fillcolor=colour["routine_fill"],
                color=colour["node_line"], fontsize="9", width=_in(SOURCE_W), **{"class": "routine"})
        row = lay.row_of.get((_firm_top_lane(lay.lanes), "routines"), lay.rows[0])
        for r in lay.routines:
            _stmt(sg, _safe_id("routine", r.id), dict(
                label=label(*wrap(r.name, 20, 3)), pos=_pos(lay.rt_x[r.id], row.y),
                id=_safe_id("routine", firm.id, r.id),
                tooltip=attr_text(r.name + (f"\n{r.activity}" if r.activity else "")
                                  + (f"\nOutcome: {r.outcome}" if r.outcome else ""))))
    with g.subgraph(name="builds") as sg:
        sg.attr("edge", style="dotted", color=colour["node_line"], arrowhead="odot", arrowsize="0.6",
                **{"class": "builds"})
        for e in lay.events:
            for rid in e.routines or ():
                if rid in known_routines:
                    _stmt(sg, _safe_id("event", e.id), dict(id=_safe_id("builds", firm.id, e.id, rid)),
                          head=_safe_id("routine", rid))


def _limit_text(study: Study, firms: list[Firm], whole: bool = False) -> str:
    """What a title adds for firms narrowed to a code (core.coding.narrow_firm);
    the code's name shortened, or ``whole`` (a printed title wraps it)."""
    narrowed = next((f for f in firms if isinstance(f, NarrowedFirm)), None)
    if narrowed is None:
        return ""
    code = study.code(narrowed.code)
    name = code.name if code else narrowed.code
    return f", only events coded “{clean(name) if whole else shorten(name, 40)}”"


def process_graph(study: Study, firm: Firm, options: Options | None = None) -> graphviz.Digraph:
    """The learning process of one firm: events in level lanes over time,
    linked by their flows, with the sources and routines involved."""
    options = options or Options()
    fw = study.framework_def()
    lay = _process_layout(firm, fw, options)
    g = _process_canvas(firm, fw, lay, _limit_text(study, [firm]))
    _draw_events(g, firm, lay)
    _draw_flows(g, firm, lay)
    _draw_sources(g, firm, lay)
    _draw_routines(g, firm, lay)
    _legend(g, firm.id, _screen_marks(firm, lay))
    return g


def _screen_marks(firm: Firm, lay: _Layout) -> set:
    """The marks the screen drawing uses, for its key (as _key_items names them)."""
    pal = _palette()
    marks: set = set()
    for e in lay.events:
        types = [t for t in e.learning_types or () if t in pal.type_fill]
        if not e.stages or not types:
            marks.add(("uncoded",))
            marks.update(("type", t) for t in types[:1])
        else:
            marks.update(("type", t) for t in types)
            if len(types) > 1:
                marks.add(("overlap",))
        if e.is_critical:
            marks.add(("critical",))
    for link in firm_links(firm):
        if link.source in lay.ev_x and link.target in lay.ev_x:
            marks.add(("flow", link.flow))
    arrow = vocabulary().term_values("directions", "arrow")
    by_id = {s.id: s for s in lay.sources}
    routines = {r.id for r in lay.routines}
    for s in lay.sources:
        marks.add(("external",) if s.is_external else ("internal",))
    for e in lay.events:
        for sid in e.sources or ():
            if sid in by_id:
                marks.add(("involves", arrow[by_id[sid].effective_direction]))
        if any(rid in routines for rid in e.routines or ()):
            marks.add(("builds",))
    if lay.routines:
        marks.add(("routine",))
    return marks


def _legend(g: graphviz.Digraph, scope: str, marks: set) -> None:
    """The key of the screen drawing, along the bottom: the marks it uses
    (``_key_items``) and only those."""
    y = LEGEND_H - 30
    x = LEFT
    with g.subgraph(name="legend") as lg:
        lg.node("legend-title", label="Key", shape="plaintext", fontsize="11",
                pos=_pos(40, y), id=_safe_id("legend", scope), **{"class": "legend"})
        for i, (kind, attrs, text) in enumerate(_key_items(marks, screen=True)):
            lines = grid.fit(text, 9, 150)
            tw = grid.widest(lines, 9)
            if kind == "box":
                lg.node(f"legend-{i}", label="", **dict(dict(shape="box"), **attrs), width=_in(28), height=_in(16),
                        pos=_pos(x + 14, y), **{"class": "legend"})
            else:
                a, b = f"legend-{i}-a", f"legend-{i}-b"
                lg.node(a, label="", shape="point", width="0.02", style="invis", pos=_pos(x, y))
                lg.node(b, label="", shape="point", width="0.02", style="invis", pos=_pos(x + 28, y))
                lg.edge(a, b, **attrs, **{"class": f"legend {_legend_class(attrs)}"})
            lg.node(f"legend-{i}-text", label=label(*lines), shape="plaintext", fontsize="9",
                    width=_in(tw + 4), pos=_pos(x + 34 + tw / 2, y), **{"class": "legend"})
            x += 34 + tw + 18


def _legend_class(attrs: dict) -> str:
    """The flow a key line stands for (its class in the SVG), from its style."""
    for flow, style in _palette().flow_style.items():
        if flow and style.get("style") == attrs.get("style") and style.get("color") == attrs.get("color"):
            return flow
    return "mark"


# --------------------------------------------------------------------------- framework figure


def stage_flows(firms: list[Firm]) -> dict[tuple[str, str], int]:
    """How many links lead from one primary stage to another."""
    counts: dict[tuple[str, str], int] = {}
    for firm in firms:
        events = {e.id: e for e in firm.event_list}
        for link in firm_links(firm):
            if link.flow is None:
                continue
            a, b = events[link.source].primary_stage, events[link.target].primary_stage
            counts[(a, b)] = counts.get((a, b), 0) + 1
    return counts


def framework_graph(study: Study, firm: Firm | None = None) -> graphviz.Digraph:
    """The framework figure (``framework_figures``) for an A4 page on its side."""
    return framework_figures(study, firm)[0].graph


def flow_totals(firms: list[Firm]) -> dict[str, int]:
    totals = {flow: 0 for flow in FLOWS}
    for f in firms:
        for link in firm_links(f):
            if link.flow:
                totals[link.flow] += 1
    return totals



# --------------------------------------------------------------------------- figures for a page width
#
# For print, the figures are drawn for the width of the page they go on:
# the levels are columns (inter-organisation on the left, individual on the
# right, as Jones & Macpherson's figures run from outside the firm in), time
# runs down the page. Each column is a stack of its own (grid.Stack): the
# events go down in the order of their numbers (level with the one before
# when to its right or of the same time), and the sources, routines and
# links to other parts then fill the free stretches of their level's column
# nearest to their event, so that they never push an event down. An event
# box holds its number, time and coding on one line where they fit (the
# stages' names shortened where needed, the key spelling them out), then its
# title; a routine names the events that build it. Every text is measured
# and wrapped to its box at FONT_MIN points (FONT_FLOOR when that saves a
# page), and the drawing is no wider than the page, so nothing is shrunk
# when placed. Edges run through the gaps between boxes and the gutters
# between columns (grid.Stack.route) and never cross a box. A firm with more
# events than one page holds is drawn over several figures, each saying
# which events (and which period) it covers.

FONT_MIN = 7.5              # points: the smallest text of a printed figure, as a rule
FONT_FLOOR = 7.0            # points: the smallest at all, when it saves a page
PAGE_HEIGHT = (24.7 - 1.7) * 72 / 2.54   # an A4 text height, less room for a two-line caption
LANDSCAPE_HEIGHT = (16.0 - 1.0) * 72 / 2.54   # the same on an A4 page on its side


def page_height(width: float) -> float:
    """The height a figure drawn for ``width`` may take: an A4 portrait
    page's text height (less room for a caption) for the width of a portrait
    page (A4 or Letter), else a landscape page's."""
    return PAGE_HEIGHT if width <= 17.5 * 72 / 2.54 else LANDSCAPE_HEIGHT
PAD = 4.0                   # points Graphviz adds around the drawing (pad)
GUTTER = 10.0               # between columns: room for edges
FW_GUTTER = 14.0            # the same in the framework figure, whose lines carry counts
FW_ROW_GAP = 28.8           # between the framework figure's levels: room for its counted lines
ROW_GAP = 12.0              # between rows: room for edges and arrowheads
STEP = 2.5                  # lines of text: how much lower an event to the left of the one before starts
TAB = 5.0                   # how far a routine's (component) tabs reach left of its box
ARROW = 5.5                 # arrowhead length (arrowsize 0.55)
MAX_TITLE_LINES = 5         # more, and the title goes to a note
MAX_NAME_LINES = 3


def _esc_lines(lines: list[str], just: str = "n") -> graphviz.quoting.NoHtml:
    """Lines of a label, centred (``n``) or left-justified (``l``), bounded
    for Graphviz (``text.lines_label``)."""
    from .text import lines_label

    return lines_label(lines, just)


def _tip(text: str) -> graphviz.quoting.NoHtml:
    return attr_text(shorten(text, 1500))


@dataclass
class _Cell:
    """What a cell of the grid holds before it is drawn."""

    key: str
    kind: str            # event, source, routine, conn
    col: int
    lines: list = field(default_factory=list)
    attrs: dict = field(default_factory=dict)
    halo: float = 0.0
    obj: object = None
    marks: set = field(default_factory=set)   # what the key must explain beyond the kind of box


class _Notes:
    """Labels too long for their boxes: numbered, full text kept."""

    def __init__(self) -> None:
        self.items: list[tuple[int, str]] = []

    def add(self, text: str) -> int:
        n = len(self.items) + 1
        self.items.append((n, " ".join(clean(text).split())))
        return n


def clean(text: str) -> str:
    from ..core.validate import clean_text

    return clean_text(text or "")


class _Measure:
    """Sizes for one page width: the columns, the font, the text width of a box."""

    def __init__(self, width: float, columns: int, left: float = 0.0, fs: float | None = None,
                 gutter: float = GUTTER):
        self.width = width - 2 * PAD - 2.0          # the drawing inside Graphviz's pad, with a margin
        self.left = left
        self.colw = (self.width - left) / max(columns, 1)
        self.fs = fs or (FONT_MIN if self.colw < 140 else 8.5)
        self.col_x = [(left + c * self.colw + gutter / 2, left + (c + 1) * self.colw - gutter / 2)
                      for c in range(columns)]
        self.box_w = self.colw - gutter
        self.abbrev: dict[str, str] = {}   # stage id -> its short form (_stage_abbrevs)

    def text_w(self, strips: int = 0) -> float:
        return self.box_w - 7 - 2 * strips * self.strip

    @property
    def strip(self) -> float:
        return 5.0

    def height(self, lines: int, size: float | None = None) -> float:
        return lines * (size or self.fs) * grid.LINE + 6


def _stage_abbrevs(fw: Framework) -> dict[str, str]:
    """A short form of each stage's name for the event boxes: the shortest
    beginning (three letters at least) that no other stage of the framework
    shares, with a full stop ("Intu.", "Interp.", "Ins." in the 5I)."""
    labels = {sid: all_stages()[sid].label for sid in fw.stage_ids if sid in all_stages()}
    out = {}
    for sid, text in labels.items():
        others = [t.lower() for k, t in labels.items() if k != sid]
        n = min(3, len(text))
        while n < len(text) and any(o.startswith(text[:n].lower()) for o in others):
            n += 1
        out[sid] = text if n >= len(text) - 1 else text[:n] + "."
    return out


def _fit_or_note(text: str, size: float, width: float, notes: _Notes, max_lines: int,
                 what: str) -> list[str]:
    lines = grid.fit(text, size, width)
    if len(lines) <= max_lines:
        return lines
    n = notes.add(text)
    return grid.fit(f"({what}: see note {n})", size, width)


def _event_cell(e: Event, number: int, col: int, m: _Measure, notes: _Notes) -> _Cell:
    voc = vocabulary()
    types = [t for t in e.learning_types or () if t in _palette().type_fill]
    strips = max(len(types) - 1, 0) if e.stages and types else 0
    tw = m.text_w(strips)
    head = f"{number}" + (f". {clean(e.time_label())}" if e.time_label() else "")
    if len(grid.fit(head, m.fs, tw)) > 2:  # a time too long for the box
        head = f"{number}. (time: see note {notes.add(e.time_label())})"
    # the learning types by their letters (the fill shows them too; the key names them)
    keys = [voc.term("learning_types", t).extra.get("key") or voc.label("learning_types", t)
            for t in e.learning_types or () if voc.term("learning_types", t)]
    types_text = f" · {'/'.join(keys)}" if keys else ""
    stage_ids = [s for s in e.stages or () if s in all_stages()]
    full = (" + ".join(all_stages()[s].label for s in stage_ids) if stage_ids else "not yet coded") + types_text
    short = {s: m.abbrev.get(s, all_stages()[s].label) for s in stage_ids}
    brief = "+".join(short[s] for s in stage_ids) + types_text
    abbreviated = {("abbrev", s, short[s]) for s in stage_ids if short[s] != all_stages()[s].label}

    def one_line(text: str) -> bool:
        return grid.text_width(text, m.fs) <= tw

    # the number, time and coding on one line where they fit, the stages by their short
    # forms (which the key spells out) when that keeps them to one line; then the title
    if one_line(f"{head} · {full}"):
        lines, abbreviated = [f"{head} · {full}"], set()
    elif stage_ids and one_line(f"{head} · {brief}"):
        lines = [f"{head} · {brief}"]
    elif one_line(full):
        lines, abbreviated = grid.fit(head, m.fs, tw) + [full], set()
    elif stage_ids and one_line(brief):
        lines = grid.fit(head, m.fs, tw) + [brief]
    else:
        lines = grid.fit(head, m.fs, tw) + _fit_or_note(full, m.fs, tw, notes, 3, "coding")
        abbreviated = set()
    if e.is_critical:
        lines += grid.fit("critical incident", m.fs, tw)
    lines += _fit_or_note(e.title, m.fs, tw, notes, MAX_TITLE_LINES, "title")
    attrs = _event_style(e)
    if attrs.get("style") == "striped":
        share = m.strip / m.box_w
        fills = [_palette().type_fill[t] for t in types]
        attrs["fillcolor"] = ":".join([f"{fills[0]};{1 - share * (len(fills) - 1):.3f}"]
                                      + [f"{f};{share:.3f}" for f in fills[1:]])
    return _Cell(f"event:{e.id}", "event", col, lines, attrs, 4.0 if e.is_critical else 0.0, e, abbreviated)


def _source_cell(s: Source, col: int, m: _Measure, notes: _Notes) -> _Cell:
    kind = vocabulary().label("source_kinds", s.kind)
    tw = m.text_w()
    lines = _fit_or_note(s.name, m.fs, tw, notes, MAX_NAME_LINES, "source")
    said = kind.lower() in clean(s.name).lower()  # "Roger Watson (owner-manager)" says its kind already
    if not said or s.strategic:
        lines += grid.fit(f"({'' if said else kind}{', ' if not said and s.strategic else ''}"
                          f"{'strategic' if s.strategic else ''})", m.fs, tw)
    colour = _palette().colour
    ext = s.is_external
    attrs = dict(shape="box", style="rounded,filled" + ("" if ext else ",dashed"),
                 fillcolor=colour["source_fill"] if ext else colour["internal_source_fill"], color=colour["node_line"])
    return _Cell(f"source:{s.id}", "source", col, lines, attrs, 0.0, s)


def _routine_cell(r, col: int, m: _Measure, notes: _Notes, built_by: list | None = None) -> _Cell:
    """A routine, with the numbers of the events that build it (in print
    these stand for the lines to them, which would run the length of the
    organisation's column: the routines go where there is room)."""
    lines = _fit_or_note(r.name, m.fs, m.text_w() - 6, notes, MAX_NAME_LINES, "routine")
    marks = set()
    if built_by:
        many = len(built_by) > 1
        lines += grid.fit(f"(event{'s' if many else ''} {', '.join(map(str, built_by))})", m.fs, m.text_w() - 6)
        marks.add(("built_by",))
    colour = _palette().colour
    attrs = dict(shape="component", style="filled", fillcolor=colour["routine_fill"], color=colour["node_line"])
    return _Cell(f"routine:{r.id}", "routine", col, lines, attrs, 0.0, r, marks)


def _conn_cell(key: str, text: str, col: int, m: _Measure) -> _Cell:
    attrs = dict(shape="box", style="rounded,dotted", color=_palette().colour["node_line"])
    return _Cell(key, "conn", col, grid.fit(text, m.fs, m.text_w()), attrs)


def _lane_headers(lanes: list[str], m: _Measure, top: float) -> tuple[list[list[str]], float]:
    heads = [grid.fit(_lane_label(lane), m.fs + 0.5, m.colw - 8) for lane in lanes]
    return heads, max(len(h) for h in heads) * (m.fs + 0.5) * grid.LINE + 8


@dataclass
class _Drawn:
    """A laid-out part: boxes, edges, what the key needs, and the size."""

    grid: grid.Grid
    cells: dict
    edges: list
    marks: set
    height: float
    notes: list
    title_lines: list
    title_h: float
    head_lines: list
    head_h: float
    lanes: list
    measure: _Measure


def _used_sources(firm: Firm, events: list[Event], options: Options) -> list[Source]:
    if not options.sources:
        return []
    used = {sid for e in events for sid in e.sources or ()}
    return [s for s in firm.source_list if s.id in used]


class _FirmIndex:
    """What every part of a firm's figures looks up: events by id and
    position, the links (numbered as the firm's) from and to each event, the
    sources any event names and the routines any event builds. Made once, so
    that laying out a part costs in proportion to the part."""

    def __init__(self, firm: Firm):
        self.events = firm.event_list
        self.pos = {e.id: i for i, e in enumerate(self.events)}
        self.by_id = {e.id: e for e in self.events}
        self.links_from: dict[str, list] = {}
        self.links_to: dict[str, list] = {}
        for i, ln in enumerate(firm_links(firm)):
            if ln.source in self.pos and ln.target in self.pos:
                self.links_from.setdefault(ln.source, []).append((i, ln))
                self.links_to.setdefault(ln.target, []).append((i, ln))
        self.named_sources = {sid for e in self.events for sid in e.sources or ()}
        self.built_routines = {rid for e in self.events for rid in e.routines or ()}
        self.built_by: dict[str, list[int]] = {}
        for i, e in enumerate(self.events):
            for rid in dict.fromkeys(e.routines or ()):
                self.built_by.setdefault(rid, []).append(i + 1)

    def number(self, event_id: str) -> int:
        return self.pos[event_id] + 1


def _process_part(study: Study, firm: Firm, fw: Framework, options: Options, lo: int, hi: int,
                  part_of, title: str, last: bool, ix: _FirmIndex, fs: float | None = None, route: bool = True) -> _Drawn:
    """Lay out events lo..hi-1 of the firm for options.width; ``part_of``
    gives the part an event id is drawn in."""
    events = ix.events[lo:hi]
    number = ix.number
    sources = _used_sources(firm, events, options)
    if last and options.sources:  # sources no event names, at the end of the last part
        sources += [s for s in firm.source_list if s.id not in ix.named_sources]
    routines = firm.routine_list if options.routines else []
    lanes = _lanes(fw, any(s.is_external for s in sources))
    col = {lane: i for i, lane in enumerate(lanes)}
    m = _Measure(options.width, len(lanes), fs=fs)
    m.abbrev = _stage_abbrevs(fw)
    notes = _Notes()

    title_lines = _title_lines(title, m.width, notes)
    title_h = len(title_lines) * 10.0 * grid.LINE + 8
    head_lines, head_h = _lane_headers(lanes, m, title_h)

    # Each column is a stack of its own. The events in order, each no higher than
    # the one before: level with it when of the same time or in a column to its
    # right (read left to right), else at least half its height lower, so the
    # tops read down the page in the order of the numbers. What goes with an
    # event: its new sources (and links from another part) just above it in its
    # column or beside it in theirs, its routines (and links to another part)
    # beside it or below.
    g = grid.Stack(m.col_x, ROW_GAP, top=title_h + head_h + ROW_GAP / 2)
    cells: dict[str, _Cell] = {}
    placed: set[str] = set()
    src_by_id = {s.id: s for s in sources}
    rt_by_id = {r.id: r for r in routines}
    here = {e.id for e in events}

    def outer(cell: _Cell) -> float:
        return m.height(len(cell.lines)) + 2 * cell.halo

    def put(cell: _Cell, y_min: float) -> grid.Box:
        cells[cell.key] = cell
        return g.put(cell.key, cell.col, m.height(len(cell.lines)), y_min, cell.halo)

    # links coming from an earlier part first, at the top of the columns of the
    # events they come from (a later part's: beside their event, as below)
    early = [(e, ln) for e in events for _, ln in ix.links_to.get(e.id, ())
             if ln.source not in here and ix.pos[ln.source] < ix.pos[events[0].id]]
    for e, ln in early:
        text = f"from event {number(ln.source)} (part {part_of(ln.source)})"
        put(_conn_cell(f"conn:in:{ln.source}:{e.id}", text, col[event_lane(ix.by_id[ln.source], lanes)], m), g.top)
    prev = None
    later: list = []
    for e in events:
        cell = _event_cell(e, number(e.id), col[event_lane(e, lanes)], m, notes)
        y_min = g.top
        if prev is not None:
            pbox, ptime = prev
            level = (bool(e.time_label()) and e.time_label() == ptime) or cell.col > pbox.col
            y_min = pbox.y0 - pbox.halo + (0 if level else min(pbox.h / 2, STEP * m.fs))
        before: list[_Cell] = []
        for sid in e.sources or ():
            if sid in src_by_id and f"source:{sid}" not in placed:
                s = src_by_id[sid]
                before.append(_source_cell(s, col[source_lane(s, lanes)], m, notes))
                placed.add(f"source:{sid}")
        for _, ln in ix.links_to.get(e.id, ()):  # links coming back from a later part
            if ln.source not in here and (e, ln) not in early:
                text = f"from event {number(ln.source)} (part {part_of(ln.source)})"
                c = col[event_lane(ix.by_id[ln.source], lanes)]
                before.append(_conn_cell(f"conn:in:{ln.source}:{e.id}", text, c, m))
        after: list[_Cell] = []
        for rid in e.routines or ():
            if rid in rt_by_id and f"routine:{rid}" not in placed:
                after.append(_routine_cell(rt_by_id[rid], col[_firm_top_lane(lanes)], m, notes,
                                           ix.built_by.get(rid)))
                placed.add(f"routine:{rid}")
        for _, ln in ix.links_from.get(e.id, ()):  # links going to another part
            if ln.target not in here:
                text = f"to event {number(ln.target)} (part {part_of(ln.target)})"
                c = col[event_lane(ix.by_id[ln.target], lanes)]
                after.append(_conn_cell(f"conn:out:{e.id}:{ln.target}", text, c, m))
        same = [c for c in before if c.col == cell.col]
        need = sum(outer(c) + g.gap for c in same)
        above = g.bottom[cell.col] + need <= max(y_min, g.top + need)  # room above it in its column
        if above or not prev:
            for c in same:  # just above the event, in its column
                put(c, y_min - need)
                need -= outer(c) + g.gap
        box = put(cell, y_min)
        # the rest (and what found no room above it) afterwards, where it pushes no event down
        later.append((box, [c for c in before if c.col != cell.col or not (above or not prev)], after))
        prev = (box, e.time_label())
    # then what goes in other columns than its event's, in the free stretch nearest to it:
    # the events' places are settled first, so that these never push an event down
    for box, before, after in later:
        for c in before:   # its top level with the event's, or a little above
            cells[c.key] = c
            g.put_near(c.key, c.col, m.height(len(c.lines)), box.y0 - box.halo - outer(c) / 3, c.halo)
        for c in after:   # beside the event, or the nearest free stretch of its column
            cells[c.key] = c
            g.put_near(c.key, c.col, m.height(len(c.lines)), box.y0 - box.halo, c.halo)
    if last:
        y_end = prev[0].y0 if prev else g.top
        for c in [_source_cell(s, col[source_lane(s, lanes)], m, notes) for s in sources
                  if f"source:{s.id}" not in placed] + \
                 [_routine_cell(rt, col[_firm_top_lane(lanes)], m, notes) for rt in routines
                  if f"routine:{rt.id}" not in placed and rt.id not in ix.built_routines]:
            cells[c.key] = c
            g.put_near(c.key, c.col, m.height(len(c.lines)), y_end, c.halo)
    bottom = g.height() if g.boxes else g.top + 10

    # the edges: (kind, tail key, head key, attrs, arrowheads at (head, tail), id)
    wanted = []
    voc = vocabulary()
    marks: set = set()
    part_links = {i: ln for e in events for i, ln in ix.links_from.get(e.id, []) + ix.links_to.get(e.id, [])}
    for i, ln in sorted(part_links.items()):
        a = f"event:{ln.source}" if ln.source in here else f"conn:in:{ln.source}:{ln.target}"
        b = f"event:{ln.target}" if ln.target in here else f"conn:out:{ln.source}:{ln.target}"
        if a not in cells or b not in cells or (ln.source not in here and ln.target not in here):
            continue
        flow = ln.flow
        marks.add(("flow", flow))
        name = voc.label("flows", flow) if flow else "no flow (an event is not coded)"
        wanted.append(("flow", a, b, dict(_palette().flow_style[flow], arrowsize="0.55",
                                           tooltip=_tip(name + (f": {ln.label}" if ln.label else "")),
                                           **{"class": f"flow {flow or 'none'}"}),
                       (True, False), _safe_id("flow", firm.id, str(i))))
    arrow = voc.term_values("directions", "arrow")
    colour = _palette().colour
    for e in events:
        for sid in e.sources or ():
            if f"source:{sid}" in cells:
                d = arrow[src_by_id[sid].effective_direction]
                marks.add(("involves", d))
                wanted.append(("involves", f"source:{sid}", f"event:{e.id}",
                               dict(color=colour["involvement_line"], penwidth="0.8", arrowhead="vee",
                                    arrowtail="vee", arrowsize="0.55", dir=d, **{"class": "involvement"}),
                               (d in ("forward", "both"), d in ("back", "both")),
                               _safe_id("involves", firm.id, e.id, sid)))
    edges = _route_all(g, wanted) if route else []   # measuring a part needs no edges
    for cell in cells.values():
        if cell.kind == "event":
            e = cell.obj
            st = cell.attrs.get("style", "")
            if "dashed" in st:
                marks.add(("uncoded",))
                fill = cell.attrs.get("fillcolor")
                for t in (e.learning_types or ())[:1]:  # its type's tint, though not coded to a stage
                    if fill == _palette().type_fill.get(t):
                        marks.add(("type", t))
            else:
                for t in (e.learning_types or ())[:1]:
                    marks.add(("type", t))
                if st == "striped":
                    marks.add(("overlap",))
                    for t in e.learning_types[1:]:
                        marks.add(("type", t))
            if e.is_critical:
                marks.add(("critical",))
            marks |= cell.marks
        elif cell.kind == "source":
            marks.add(("external",) if cell.obj.is_external else ("internal",))
        elif cell.kind == "routine":
            marks.add(("routine",))
            marks |= cell.marks
        elif cell.kind == "conn":
            marks.add(("conn",))
    return _Drawn(g, cells, edges, marks, bottom, notes.items, title_lines, title_h, head_lines, head_h,
                  lanes, m)


def _route_all(g: grid.Grid, wanted: list) -> list:
    """Paths for the edges: attachments spread along each box's top and
    bottom, ordered by where the other end is, then routed."""
    ends: dict[tuple[str, str], list] = {}
    plan = []
    stack = isinstance(g, grid.Stack)
    for idx, (kind, a, b, attrs, heads, eid) in enumerate(wanted):
        ba, bb = g.boxes[a], g.boxes[b]
        if stack:
            if g.side_by_side(ba, bb):
                sa = sb = "side"
            elif bb.cy > ba.cy:
                sa, sb = "bottom", "top"
            else:
                sa, sb = "top", "bottom"
        elif ba.row == bb.row:
            sa = sb = "bottom"
        elif bb.row > ba.row:
            sa, sb = "bottom", "top"
        else:
            sa, sb = "top", "bottom"
        ends.setdefault((a, sa), []).append((bb.cx, idx))
        ends.setdefault((b, sb), []).append((ba.cx, idx))
        plan.append((sa, sb))
    at: dict[tuple[str, int], float] = {}
    for (key, side), items in ends.items():
        items.sort()
        for i, (_, idx) in enumerate(items):
            at[(key, idx)] = grid.spread(g.boxes[key], len(items), i)
    out = []
    for idx, (kind, a, b, attrs, heads, eid) in enumerate(wanted):
        if stack:
            pts = g.route(g.boxes[a], g.boxes[b], at[(a, idx)], at[(b, idx)], side=plan[idx][0] == "side")
        else:
            pts = g.route(g.boxes[a], g.boxes[b], at[(a, idx)], at[(b, idx)])
        out.append((kind, a, b, attrs, heads, eid, pts))
    return out


def _key_items(marks: set, screen: bool = False) -> list[tuple[str, dict, str]]:
    """The key's entries for the marks a figure uses, in a fixed order:
    (kind of swatch, its attributes, text). ``screen``: sources are ellipses
    there, rounded boxes in print."""
    voc = vocabulary()
    pal = _palette()
    colour = pal.colour
    items = []
    for t in voc.ids("learning_types"):
        if ("type", t) in marks:
            term = voc.term("learning_types", t)
            letter = term.extra.get("key")
            items.append(("box", dict(style="filled", fillcolor=pal.type_fill[t], color=pal.type_line[t]),
                          f"{letter + ' ' if letter else ''}{term.label} ({term.extra.get('short', '')})"))
    if ("overlap",) in marks:
        types = voc.ids("learning_types")
        items.append(("box", dict(style="striped", fillcolor=f"{pal.type_fill[types[0]]};0.7:"
                                                              f"{pal.type_fill[types[-1]]};0.3",
                                  color=pal.type_line[types[0]]),
                      "More than one type (strip at the right)"))
    if ("uncoded",) in marks:
        items.append(("box", dict(style="filled,dashed", fillcolor=colour["uncoded_fill"],
                                  color=colour["uncoded_line"]), "Not yet coded"))
    if ("critical",) in marks:
        items.append(("box", dict(peripheries="2", penwidth="2.2", color=colour["critical"], style="filled",
                                  fillcolor="white"), "Critical incident"))
    for flow in list(voc.ids("flows")) + [None]:
        if ("flow", flow) in marks:
            items.append(("edge", dict(pal.flow_style[flow], arrowhead="normal"),
                          voc.label("flows", flow) if flow else "Not yet coded (no flow)"))
    if ("external",) in marks:
        items.append(("box", dict(shape="ellipse" if screen else "box", style="filled" if screen else "rounded,filled",
                                  fillcolor=colour["source_fill"], color=colour["node_line"]), "External source"))
    if ("internal",) in marks:
        items.append(("box", dict(shape="ellipse" if screen else "box",
                                  style="filled,dashed" if screen else "rounded,filled,dashed",
                                  fillcolor=colour["internal_source_fill"], color=colour["node_line"]),
                      "Internal source"))
    words = {"forward": "Knowledge from a source", "back": "Knowledge to a source",
             "both": "Knowledge both ways (two-way)"}
    for d in ("forward", "back", "both"):
        if ("involves", d) in marks:
            items.append(("edge", dict(color=colour["involvement_line"], penwidth="0.8", arrowhead="vee",
                                       arrowtail="vee", dir=d), words[d]))
    if ("routine",) in marks:
        items.append(("box", dict(shape="component", style="filled", fillcolor=colour["routine_fill"],
                                  color=colour["node_line"]),
                      "Routine (built by the events numbered)" if ("built_by",) in marks else "Routine"))
    if ("builds",) in marks:
        items.append(("edge", dict(style="dotted", color=colour["node_line"], arrowhead="odot"),
                      "Event builds the routine"))
    if ("conn",) in marks:
        items.append(("box", dict(shape="box", style="rounded,dotted", color=colour["node_line"]),
                      "Link to an event in another part"))
    if ("stage",) in marks:
        items.append(("box", dict(shape="box", style="rounded,filled", fillcolor=colour["stage_fill"],
                                  color=colour["stage_line"]), "Stage, with the events coded to it"))
    if ("loop",) in marks:
        items.append(("edge", dict(pal.flow_style[WITHIN], arrowhead="normal"), "Within stage (loop)"))
    shorts = sorted({mk[1:] for mk in marks if mk[0] == "abbrev"},
                    key=lambda ss: (all_stages()[ss[0]].order, ss[0]) if ss[0] in all_stages() else (99, ss[0]))
    if shorts:  # the short forms of the stages' names, spelt out
        items.append(("text", {}, "Stages: " + ", ".join(
            f"{short} {all_stages()[sid].label if sid in all_stages() else sid}" for sid, short in shorts)))
    return items


SWATCH_W, SWATCH_H = 22.0, 11.0


def _key_layout(items: list, width: float, top: float, fs: float) -> tuple[list, float]:
    """Place the key's entries in lines across the width: returns
    [(kind, attrs, lines, swatch x, y, text x, text w)] and the bottom."""
    placed = []
    x, y = grid.text_width("Key:", fs) + 8, top   # after the word "Key:"
    line_h = fs * grid.LINE
    for kind, attrs, text in items:
        sw = 0.0 if kind == "text" else SWATCH_W + 4   # a text entry has no swatch
        lines = grid.fit(text, fs, width - sw - 2)
        tw = grid.widest(lines, fs)
        w = sw + tw + 9
        if x > 0 and x + w - 9 > width:
            x, y = 0.0, y + line_h + 2.5
            line_h = 0.0
        h = max(SWATCH_H, len(lines) * fs * grid.LINE)
        placed.append((kind, attrs, lines, x, y, h, tw))
        line_h = max(line_h, h)
        x += w
    return placed, (y + line_h if items else top)


def _notes_layout(notes: list, width: float, fs: float) -> list[tuple[list[str], float]]:
    """The notes as blocks of text, a long note in several blocks (a label
    of more than 16384 characters is more than Graphviz 2.43 reads)."""
    out = []
    for n, text in notes:
        lines = grid.fit(f"{n}. {text}", fs, width - 4)
        for i in range(0, len(lines), 40):
            block = lines[i:i + 40]
            out.append((block, len(block) * fs * grid.LINE - (0 if i + 40 >= len(lines) else 2)))
    return out


class _Emit:
    """Writes a laid-out figure as a Graphviz graph with pinned positions."""

    def __init__(self, name: str, gid: str, tooltip: str, height: float, width: float):
        self.h = height
        self.g = graphviz.Digraph(name=name)
        self.g.attr("graph", outputorder="edgesfirst", bgcolor="white",
                    pad=f"{PAD / 72:.4f}", fontname=FONT, tooltip=_tip(tooltip), id=gid)
        self.g.attr("node", fontname=FONT, fixedsize="true", margin="0")
        self.g.attr("edge", fontname=FONT)
        self.bg = _Background()
        for name_, x, y in (("corner-a", 0, 0), ("corner-b", width, height)):
            self.node(name_, x, y, 0.5, 0.5, label="", shape="point", style="invis")

    def node(self, name: str, cx: float, cy: float, w: float, h: float, **attrs) -> None:
        _stmt(self.g, name, dict(pos=_pos(cx, self.h - cy), width=_in(w), height=_in(h), **attrs))

    def text(self, name: str, lines: list[str], x: float, y: float, size: float, just: str = "l",
             width: float | None = None, **attrs) -> None:
        """Plain text with its top left at (x, y) (centred on x + width/2 when ``just`` is n)."""
        w = width if width is not None else grid.widest(lines, size) + 1
        h = len(lines) * size * grid.LINE
        self.node(name, x + w / 2, y + h / 2, w, h, label=_esc_lines(lines, just), shape="plaintext",
                  fontsize=f"{size:g}", **attrs)

    def edge(self, a: str, b: str, pts: list, head: bool, tail: bool, **attrs) -> None:
        alen = ARROW
        _stmt(self.g, a, dict(pos=grid.spline(pts, self.h, alen if head else 0, alen if tail else 0), **attrs),
              head=b)

    def rect(self, x0: float, y0: float, x1: float, y1: float, fill: str, line: str) -> None:
        self.bg.rect(x0, self.h - y1, x1, self.h - y0, fill, line)

    def key(self, placed: list, top: float, fs: float, scope: str) -> None:
        first_h = placed[0][5] if placed else SWATCH_H
        self.text("legend-title", ["Key:"], 0, top + (first_h - fs * grid.LINE) / 2, fs,
                  id=_safe_id("legend", scope), **{"class": "legend"})
        for i, (kind, attrs, lines, x, y, h, tw) in enumerate(placed):
            cy = y + h / 2
            if kind == "text":
                self.text(f"legend-{i}-text", lines, x, y + (h - len(lines) * fs * grid.LINE) / 2, fs,
                          **{"class": "legend"})
                continue
            if kind == "box":
                a = dict(shape="box", label="")
                a.update(attrs)
                halo = 4.0 if "peripheries" in a else 0.0  # the second border is drawn outside
                self.node(f"legend-{i}", x + SWATCH_W / 2, cy, SWATCH_W - 2 * halo, SWATCH_H - 2 * halo, **a,
                          **{"class": "legend"})
            else:
                pa, pb = f"legend-{i}-a", f"legend-{i}-b"
                self.node(pa, x + 4, cy, 0.5, 0.5, label="", shape="point", style="invis")
                self.node(pb, x + SWATCH_W, cy, 0.5, 0.5, label="", shape="point", style="invis")
                d = attrs.get("dir", "forward")
                heads = d in ("forward", "both"), d in ("back", "both")
                self.edge(pa, pb, [(x + 5, cy), (x + SWATCH_W - 1, cy)], heads[0], heads[1], arrowsize="0.55",
                          **attrs, **{"class": "legend"})
            self.text(f"legend-{i}-text", lines, x + SWATCH_W + 4, y + (h - len(lines) * fs * grid.LINE) / 2,
                      fs, **{"class": "legend"})

    def notes(self, laid: list, top: float, fs: float) -> None:
        y = top
        for i, (lines, h) in enumerate(laid):
            self.text(f"note-{i + 1}", lines, 0, y, fs, **{"class": "note"})
            y += h + 2

    def finish(self) -> graphviz.Digraph:
        self.g.attr("graph", _background=self.bg.value())
        return self.g


def _process_title(study: Study, firm: Firm, fw: Framework, part: int, parts: int, span: str) -> tuple[str, str]:
    """The title as (the part naming the firm, the rest)."""
    rest = f": learning process ({fw.name})"
    if parts > 1:
        rest += f", part {part} of {parts}: {span}" + (" (continued)" if part > 1 else "")
    return clean(firm.name) + _limit_text(study, [firm], whole=True), rest


MAX_HEADING_LINES = 3


def _title_lines(title: tuple[str, str], width: float, notes: _Notes) -> list[str]:
    """The title wrapped at 10 pt; a name too long for three lines goes to
    the figure's first note and the title says so."""
    name, rest = title
    lines = grid.fit(name + rest, 10.0, width)
    if len(lines) <= MAX_HEADING_LINES:
        return lines
    n = notes.add(name)
    return grid.fit(f"(Name: see note {n}){rest}", 10.0, width)


def _draw_process(study: Study, firm: Firm, fw: Framework, d: _Drawn, with_notes: bool) -> tuple:
    """The Graphviz graph of a laid-out part, and its size in points."""
    m = d.measure
    key_top = d.height + 8
    placed, key_bottom = _key_layout(_key_items(d.marks), m.width, key_top, m.fs)
    notes_laid = _notes_layout(d.notes, m.width, m.fs) if with_notes else []
    bottom = key_bottom + 6
    if notes_laid:
        bottom += 8 + m.fs * grid.LINE + sum(h + 2 for _, h in notes_laid)
    em = _Emit(_safe_id("process", firm.id), _safe_id("diagram", firm.id), " ".join(d.title_lines),
               bottom, m.width)
    pal = _palette()
    em.text("title", d.title_lines, 0, 2, 10.0, **{"class": "title"})
    lane_top = d.title_h
    for c, lane in enumerate(d.lanes):
        x0, x1 = m.left + c * m.colw, m.left + (c + 1) * m.colw
        em.rect(x0 + 1, lane_top, x1 - 1, d.height, pal.lane_fill[lane], pal.colour["lane_border"])
        em.text(f"lane-{lane}", d.head_lines[c], x0 + 4, lane_top + 4, m.fs + 0.5, just="n", width=m.colw - 8,
                fontcolor=pal.colour["lane_text"], **{"class": "lane"})
    for key, cell in d.cells.items():
        b = d.grid.boxes[key]
        kind, ident = cell.kind, key.split(":", 1)[1]
        name = _safe_id(kind, ident) if kind != "conn" else _safe_id("conn", ident)
        attrs = dict(shape="box")
        attrs.update(cell.attrs)
        if kind == "event":
            e = cell.obj
            attrs.update(tooltip=_tip(_event_tooltip(e)), id=_safe_id("event", firm.id, e.id), **{"class": "event"})
        elif kind == "source":
            s = cell.obj
            ext = s.is_external
            attrs.update(tooltip=_tip(f"{s.name} ({'external' if ext else 'internal'})"
                                      + (f"\n{s.notes}" if s.notes else "")),
                         id=_safe_id("source", firm.id, s.id),
                         **{"class": "source external" if ext else "source internal"})
        elif kind == "routine":
            r = cell.obj
            attrs.update(id=_safe_id("routine", firm.id, r.id), tooltip=_tip(r.name), **{"class": "routine"})
        else:
            attrs.update(id=_safe_id("conn", firm.id, ident), **{"class": "connector"})
        inset = TAB if kind == "routine" else 0.0   # the component shape's tabs stick out on the left
        em.node(name, b.cx + inset / 2, b.cy, b.x1 - b.x0 - inset, b.y1 - b.y0, label=_esc_lines(cell.lines),
                fontsize=f"{m.fs:g}", **attrs)
    for kind, a, b, attrs, heads, eid, pts in d.edges:
        ka, kb = a.split(":", 1), b.split(":", 1)
        na = _safe_id(ka[0], ka[1]) if ka[0] != "conn" else _safe_id("conn", ka[1])
        nb = _safe_id(kb[0], kb[1]) if kb[0] != "conn" else _safe_id("conn", kb[1])
        em.edge(na, nb, pts, heads[0], heads[1], id=eid, **attrs)
    em.key(placed, key_top, m.fs, firm.id)
    if notes_laid:
        top = key_bottom + 14
        em.text("notes-title", ["Notes"], 0, top, m.fs, **{"class": "note"})
        em.notes(notes_laid, top + m.fs * grid.LINE + 2, m.fs)
    return em.finish(), m.width + 2 * PAD + 1, bottom + 2 * PAD + 1


@dataclass
class _Part:
    lo: int
    hi: int


def _span(firm: Firm, lo: int, hi: int) -> str:
    ev = firm.event_list[lo:hi]
    text = f"events {lo + 1}–{hi}" if hi - lo > 1 else f"event {lo + 1}"
    first, last = clean(ev[0].time_label()), clean(ev[-1].time_label())
    if first and last and first != last:
        text += f" ({first} to {last})"
    elif first and first == last:
        text += f" ({first})"
    return text


def process_figures(study: Study, firm: Firm, options: Options | None = None) -> list[Figure]:
    """The process diagram of one firm as figures for a page width
    (``options.width`` points): time down the page, the levels as
    columns; as many figures as the page height needs, never shrunk.
    Without a width, one unbounded figure (the screen's drawing)."""
    options = options or Options()
    if options.width is None:
        return [Figure(process_graph(study, firm, options))]
    fw = study.framework_def()
    events = firm.event_list
    n = len(events)
    limit = options.height or page_height(options.width)

    ix = _FirmIndex(firm)

    def measure(lo: int, hi: int, last: bool, fs: float) -> float:
        def part_of(event_id: str) -> int:
            return 1 if lo <= ix.pos[event_id] < hi else 2

        whole = lo == 0 and hi == n   # one part: no "part N of M" in the title
        title = _process_title(study, firm, fw, 1 if whole else 88, 1 if whole else 88,
                               _span(firm, lo, hi) if n else "")
        d = _process_part(study, firm, fw, options, lo, hi, part_of, title, last, ix, fs=fs, route=False)
        key_items = _key_items(d.marks)
        _, bottom = _key_layout(key_items, d.measure.width, d.height + 8, d.measure.fs)
        return bottom + 6 + 2 * PAD

    def plan(fs: float) -> list[_Part]:
        """The parts at text size ``fs``."""
        sizes: dict[tuple[int, int], float] = {}

        def size(lo: int, hi: int) -> float:
            if (lo, hi) not in sizes:
                sizes[(lo, hi)] = measure(lo, hi, hi == n, fs)
            return sizes[(lo, hi)]

        def fits(lo: int, hi: int, height: float) -> bool:
            return size(lo, hi) <= height

        def split(height: float) -> list[_Part]:
            """Events to parts, each as long as fits in ``height``, broken
            where the phase changes when that is not too early."""
            out: list[_Part] = []
            lo = 0
            while lo < n:
                hi = lo + 1
                while hi < n and fits(lo, hi + 1, height):
                    hi += 1
                if hi < n:  # a break where the phase changes, if the part still fills 60% of the page
                    for k in range(hi - 1, lo, -1):
                        if events[k].phase != events[k - 1].phase and size(lo, k) >= 0.6 * limit:
                            hi = k
                            break
                out.append(_Part(lo, hi))
                lo = hi
            return out

        parts = split(limit)
        if 1 < len(parts) <= 8:
            # as many pages, evened out: the lowest height that needs no more parts
            low, high = limit * 0.3, limit
            for _ in range(7):
                mid = (low + high) / 2
                if len(split(mid)) <= len(parts):
                    high = mid
                else:
                    low = mid
            parts = split(high)
        return parts or [_Part(0, 0)]

    # the text at FONT_MIN; at FONT_FLOOR only when that saves a page (the
    # smallest text is then still at 7 pt, the least the printed page allows)
    fs = _Measure(options.width, len(_lanes(fw, True))).fs
    parts = plan(fs)
    if len(parts) > 1 and fs > FONT_FLOOR:
        smaller = plan(FONT_FLOOR)
        if len(smaller) < len(parts):
            parts, fs = smaller, FONT_FLOOR
    part_no = {e.id: i + 1 for i, p in enumerate(parts) for e in events[p.lo:p.hi]}
    part_of = part_no.__getitem__
    figures = []
    for i, p in enumerate(parts):
        span = _span(firm, p.lo, p.hi) if len(parts) > 1 and n else ""
        title = _process_title(study, firm, fw, i + 1, len(parts), span)
        d = _process_part(study, firm, fw, options, p.lo, p.hi, part_of, title, i == len(parts) - 1, ix, fs=fs)
        graph, w, h = _draw_process(study, firm, fw, d, with_notes=False)
        fig = Figure(graph, i + 1, len(parts), span, list(d.notes), w, h)
        if d.notes:
            fig.standalone, _, fig.standalone_height = _draw_process(study, firm, fw, d, with_notes=True)
        figures.append(fig)
    return figures



def framework_figures(study: Study, firm: Firm | None = None, width: float | None = None) -> list[Figure]:
    """The framework figure (as Jones & Macpherson's Figure 2: the stages in
    their levels, each with the number of events coded to it, and the flows
    between stages with their counts) drawn for ``width`` points, text at
    7.5 pt or more; without a width, for an A4 page on its side."""
    from .units import A4_LANDSCAPE

    width = width or A4_LANDSCAPE
    fw = study.framework_def()
    firms = [firm] if firm is not None else list(study.firms)
    scope = firm.id if firm is not None else "study"
    coded: dict[str, int] = {sid: 0 for sid in fw.stage_ids}
    for f in firms:
        for e in f.event_list:
            for sid in e.stages or ():
                if sid in coded:
                    coded[sid] += 1
    flows = stage_flows(firms)
    pal = _palette()
    lanes = [lv for lv in pal.lane_order if lv in fw.level_ids]
    stages = sorted(fw.stages, key=lambda st: (st.order, st.id))
    name = clean(firm.name if firm is not None else study.title)
    totals = flow_totals(firms)
    rest = (f": {fw.name}, {len(firms)} firm{'s' if len(firms) != 1 else ''} "
            f"(feed-forward {totals[FEED_FORWARD]}, feedback {totals[FEEDBACK]}, "
            f"within stage {totals[WITHIN]})")
    title = (name + _limit_text(study, firms, whole=True), rest)

    probe = _Measure(width, len(stages), gutter=FW_GUTTER)
    lane_lines = {lane: grid.fit(_lane_label(lane), probe.fs + 0.5, 74) for lane in lanes}
    left = max(grid.widest(v, probe.fs + 0.5) for v in lane_lines.values()) + 10
    m = _Measure(width, len(stages), left=left, gutter=FW_GUTTER)
    notes = _Notes()
    title_lines = _title_lines(title, m.width, notes)
    title_h = len(title_lines) * 10.0 * grid.LINE + 10
    g = grid.Grid(m.col_x, FW_ROW_GAP, top=title_h, track=3.0)  # room between the counted lines
    cells: dict[str, _Cell] = {}
    row_of = {lane: i for i, lane in enumerate(lanes)}
    for c, st in enumerate(stages):
        n = coded[st.id]
        lines = grid.fit(st.label, m.fs + 0.5, m.text_w()) + grid.fit(f"{n} event{'s' if n != 1 else ''}",
                                                                      m.fs + 0.5, m.text_w())
        k = flows.get((st.id, st.id), 0)
        if k:  # links within the stage: a count in the box, no loop to crowd the gutter
            lines += grid.fit(f"{k} link{'s' if k != 1 else ''} within", m.fs + 0.5, m.text_w())
        key = f"stage:{st.id}"
        cells[key] = _Cell(key, "stage", c, lines, obj=st)
        r = row_of.get(st.default_level, len(lanes) - 1)
        g.add(grid.Box(key, r, c, h=m.height(len(lines), m.fs + 0.5)))
    for r in range(len(lanes)):  # a level without a stage still gets its band
        if all(g.free(r, c) for c in range(len(stages))):
            g.add(grid.Box(f"empty:{r}", r, 0, h=24.0))
    bottom = g.place()
    wanted = []
    marks = {("stage",)}
    order_of = {st.id: st.order for st in fw.stages}
    counts = {}
    for (a, b), n in sorted(flows.items(), key=lambda kv: (order_of.get(kv[0][0], 0), order_of.get(kv[0][1], 0))):
        if f"stage:{a}" not in cells or f"stage:{b}" not in cells or a == b:
            continue
        flow = stage_flow(a, b)
        marks.add(("flow", flow))
        style = dict(pal.flow_style[flow])
        style["penwidth"] = f"{min(1.0 + 0.3 * n, 3.0):.1f}"
        eid = _safe_id("stageflow", scope, a, b)
        counts[eid] = n
        wanted.append(("flow", f"stage:{a}", f"stage:{b}", dict(
            style, arrowsize="0.55", tooltip=_tip(f"{vocabulary().label('flows', flow)}: {all_stages()[a].label} to "
                                                  f"{all_stages()[b].label}, {n} link{'s' if n != 1 else ''}"),
            **{"class": f"flow {flow}"}), (True, False), eid))
    edges = _route_all(g, wanted)
    key_top = bottom + 10
    placed, key_bottom = _key_layout(_key_items(marks), m.width, key_top, m.fs)

    def emit(with_notes: bool):
        """The graph, with the notes under it or not, and its height."""
        notes_laid = _notes_layout(notes.items, m.width, m.fs) if with_notes else []
        height = key_bottom + 6
        if notes_laid:
            height += 8 + m.fs * grid.LINE + sum(h + 2 for _, h in notes_laid)
        em = _Emit(_safe_id("framework", scope), _safe_id("framework", scope), f"{fw.name}: {name}", height,
                   m.width)
        em.text("title", title_lines, 0, 2, 10.0, **{"class": "title"})
        for r, lane in enumerate(lanes):
            y0, y1 = g.row_y[r]
            em.rect(0, y0 - g.gap / 2 + 1, m.width, y1 + g.gap / 2 - 1, pal.lane_fill[lane], pal.colour["lane_border"])
            lines = lane_lines[lane]
            em.text(f"lane-{lane}", lines, 4, (y0 + y1) / 2 - len(lines) * (m.fs + 0.5) * grid.LINE / 2, m.fs + 0.5,
                    fontcolor=pal.colour["lane_text"], **{"class": "lane"})
        for key, cell in cells.items():
            b = g.boxes[key]
            st = cell.obj
            em.node(_safe_id("stage", st.id), b.cx, b.cy, b.x1 - b.x0, b.y1 - b.y0, label=_esc_lines(cell.lines),
                    fontsize=f"{m.fs + 0.5:g}", shape="box", style="rounded,filled", fillcolor=pal.colour["stage_fill"],
                    color=pal.colour["stage_line"], penwidth="1.4", tooltip=_tip(f"{st.label}: {st.definition}"),
                    id=_safe_id("stage", scope, st.id), **{"class": "stage"})
        taken: list[tuple[float, float]] = []
        for kind, a, b, attrs, heads, eid, pts in edges:
            em.edge(_safe_id("stage", a.split(":", 1)[1]), _safe_id("stage", b.split(":", 1)[1]), pts, heads[0],
                    heads[1], id=eid, **attrs)
            # the count, on the longest straight piece of the path, clear of the counts placed before
            p, q = max(zip(pts, pts[1:]), key=lambda pq: abs(pq[0][0] - pq[1][0]) + abs(pq[0][1] - pq[1][1]))
            text = str(counts[eid])
            tw = grid.text_width(text, m.fs) + 2
            at = (p[0] + q[0]) / 2, (p[1] + q[1]) / 2
            for t in (0.5, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6):
                at = p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t
                if all(abs(at[0] - x) > tw + 2 or abs(at[1] - y) > m.fs * grid.LINE for x, y in taken):
                    break
            taken.append(at)
            em.node(f"count-{eid}", at[0], at[1], tw, m.fs * grid.LINE,
                    label=_esc_lines([text]), shape="plaintext", fontsize=f"{m.fs:g}", style="filled",
                    fillcolor="white", **{"class": "count"})
        em.key(placed, key_top, m.fs, scope)
        if notes_laid:
            top = key_bottom + 14
            em.text("notes-title", ["Notes"], 0, top, m.fs, **{"class": "note"})
            em.notes(notes_laid, top + m.fs * grid.LINE + 2, m.fs)
        return em.finish(), height

    graph, height = emit(False)
    fig = Figure(graph, 1, 1, "", list(notes.items), m.width + 2 * PAD + 1, height + 2 * PAD + 1)
    if notes.items:
        fig.standalone, fig.standalone_height = emit(True)
    return [fig]
