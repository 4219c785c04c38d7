"""Process diagrams of a firm's learning, and the framework figure, as
Graphviz graphs (built with the ``graphviz`` package).

The layout is ours: swimlanes for the levels (inter-organisation at the top,
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


def _limit_text(study: Study, firms: list[Firm]) -> str:
    """What a title adds for firms narrowed to a code (core.coding.narrow_firm)."""
    narrowed = next((f for f in firms if isinstance(f, NarrowedFirm)), None)
    if narrowed is None:
        return ""
    code = study.code(narrowed.code)
    return f", only events coded “{shorten(code.name if code else narrowed.code, 40)}”"


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
    _legend(g, firm.id, sources=bool(lay.sources), routines=bool(lay.routines))
    return g


def _legend(g: graphviz.Digraph, scope: str, sources: bool = True, routines: bool = True,
            events: bool = True) -> None:
    """The key, along the bottom: fills, marks and line styles."""
    voc = vocabulary()
    pal = _palette()
    colour = pal.colour
    y = LEGEND_H - 30
    x = LEFT
    with g.subgraph(name="legend") as lg:
        lg.node("legend-title", label="Key", shape="plaintext", fontsize="11",
                pos=_pos(40, y), id=_safe_id("legend", scope), **{"class": "legend"})
        if events:
            types = voc.ids("learning_types")
            for t in types:
                term = voc.term("learning_types", t)
                lg.node(f"legend-{t}", label=label(term.label, f"({term.extra.get('short', '')})"),
                        shape="box", style="filled", fillcolor=pal.type_fill[t], color=pal.type_line[t],
                        fontsize="8", width="1.6", pos=_pos(x + 58, y), **{"class": "legend"})
                x += 126
            lg.node("legend-overlap", label=label("Overlapping", "types"), shape="box", style="striped",
                    fillcolor=f"{pal.type_fill[types[0]]};0.66:{pal.type_fill[types[-1]]};0.34",
                    color=pal.type_line[types[0]], fontsize="9", width="1.0", pos=_pos(x + 40, y),
                    **{"class": "legend"})
            x += 92
            lg.node("legend-critical", label=label("Critical", "incident"), shape="box", peripheries="2",
                    penwidth="2.2", color=colour["critical"], fontsize="9", width="1.0", pos=_pos(x + 40, y),
                    **{"class": "legend"})
            x += 92
            lg.node("legend-uncoded", label=label("Not yet", "coded"), shape="box", style="filled,dashed",
                    fillcolor=colour["uncoded_fill"], color=colour["uncoded_line"], fontsize="9", width="1.0",
                    pos=_pos(x + 40, y), **{"class": "legend"})
            x += 110
        for flow in voc.ids("flows"):
            a, b = f"legend-{flow}-a", f"legend-{flow}-b"
            lg.node(a, label="", shape="point", width="0.02", style="invis", pos=_pos(x, y))
            lg.node(b, label="", shape="point", width="0.02", style="invis", pos=_pos(x + 60, y))
            lg.edge(a, b, **pal.flow_style[flow], **{"class": f"legend {flow}"})
            lg.node(f"legend-{flow}-text", label=label(voc.label("flows", flow)),
                    shape="plaintext", fontsize="9", pos=_pos(x + 30, y - 16), **{"class": "legend"})
            x += 95
        if sources:
            lg.node("legend-ext", label=label("External", "source"), shape="ellipse", style="filled",
                    fillcolor=colour["source_fill"], color=colour["node_line"], fontsize="8", width="0.95",
                    pos=_pos(x + 35, y), **{"class": "legend"})
            x += 88
            lg.node("legend-int", label=label("Internal", "source"), shape="oval", style="filled,dashed",
                    fillcolor=colour["internal_source_fill"], color=colour["node_line"], fontsize="8",
                    width="0.95", pos=_pos(x + 35, y), **{"class": "legend"})
            x += 88
        if routines:
            lg.node("legend-routine", label=label("Routine", "built"), shape="component", style="filled",
                    fillcolor=colour["routine_fill"], color=colour["node_line"], fontsize="8", width="0.95",
                    pos=_pos(x + 35, y), **{"class": "legend"})


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
    """The framework's stages in their levels (as Jones & Macpherson's
    Figure 2), each annotated with the number of events coded to it, and the
    feed-forward and feedback links between stages, for one firm or the
    whole study."""
    fw = study.framework_def()
    firms = [firm] if firm is not None else list(study.firms)
    scope = firm.id if firm is not None else "study"
    coded: dict[str, int] = {s: 0 for s in fw.stage_ids}
    for f in firms:
        for e in f.event_list:
            for s in e.stages or ():
                if s in coded:
                    coded[s] += 1
    flows = stage_flows(firms)
    pal = _palette()
    lanes = [lv for lv in pal.lane_order if lv in fw.level_ids]
    cell_w, row_h = 200.0, 110.0
    lane_y = {lane: LEGEND_H + row_h * (len(lanes) - i - 0.5) for i, lane in enumerate(lanes)}
    top = LEGEND_H + row_h * len(lanes)
    orders = sorted({s.order for s in fw.stages})
    stage_xy: dict[str, tuple[float, float]] = {}
    used: dict[tuple[float, float], int] = {}
    for s in fw.stages:
        x = LEFT + cell_w * (orders.index(s.order) + 0.5)
        y = lane_y.get(s.default_level, lane_y[lanes[-1]])
        n = used.get((x, y), 0)
        used[(x, y)] = n + 1
        stage_xy[s.id] = (x + 60 * n, y - 34 * n)
    right = LEFT + cell_w * len(orders) + 40

    name = f"{firm.name}" if firm is not None else study.title
    g = graphviz.Digraph(name=_safe_id("framework", scope))  # drawn with the nop2 layout: see engine.LAYOUT
    g.attr("graph", splines="curved", outputorder="edgesfirst", bgcolor="white", pad="0.2",
           tooltip=attr_text(f"{fw.name}: {name}"), id=_safe_id("framework", scope))
    g.attr("node", fontname=FONT, fontsize="11")
    g.attr("edge", fontname=FONT, fontsize="9")
    bg = _Background()
    for lane in lanes:
        y = lane_y[lane]
        bg.rect(8, y - row_h / 2, right, y + row_h / 2, pal.lane_fill[lane], pal.colour["lane_border"])
        _lane_name(g, lane, y)
    g.attr("graph", _background=bg.value())
    totals = flow_totals(firms)
    title_right = _title_node(
        g, f"{shorten(name, 70)}: {fw.name}, {len(firms)} firm{'s' if len(firms) != 1 else ''} "
           f"(feed-forward {totals[FEED_FORWARD]}, feedback {totals[FEEDBACK]}, "
           f"within stage {totals[WITHIN]}){_limit_text(study, firms)}", top, 14)
    for cname, x, y in (("corner-a", 0, 0), ("corner-b", max(right + 8, title_right), top + TITLE_H)):
        g.node(cname, label="", shape="point", style="invis", width="0.01", pos=_pos(x, y))

    for s in fw.stages:
        x, y = stage_xy[s.id]
        n = coded[s.id]
        g.node(_safe_id("stage", s.id),
               label=label(s.label, f"{n} event{'s' if n != 1 else ''}"),
               shape="box", style="rounded,filled", fillcolor=pal.colour["stage_fill"],
               color=pal.colour["stage_line"], penwidth="1.4",
               width="1.5", height="0.6", pos=_pos(x, y), tooltip=attr_text(f"{s.label}: {s.definition}"),
               id=_safe_id("stage", scope, s.id), **{"class": "stage"})
    order_of = {s.id: s.order for s in fw.stages}
    for (a, b), n in sorted(flows.items(), key=lambda kv: (order_of.get(kv[0][0], 0), order_of.get(kv[0][1], 0))):
        if a not in stage_xy or b not in stage_xy:
            continue
        flow = stage_flow(a, b)
        style = dict(pal.flow_style[flow])
        style["penwidth"] = f"{min(1.0 + 0.5 * n, 5.0):.1f}"
        g.edge(_safe_id("stage", a), _safe_id("stage", b), label=label(str(n)),
               tooltip=attr_text(f"{vocabulary().label('flows', flow)}: {all_stages()[a].label} to "
                                 f"{all_stages()[b].label}, {n} link{'s' if n != 1 else ''}"),
               id=_safe_id("stageflow", scope, a, b), **{"class": f"flow {flow}"}, **style)
    _legend(g, scope, sources=False, routines=False, events=False)
    return g


def flow_totals(firms: list[Firm]) -> dict[str, int]:
    totals = {flow: 0 for flow in FLOWS}
    for f in firms:
        for link in firm_links(f):
            if link.flow:
                totals[link.flow] += 1
    return totals


def process_figures(study: Study, firm: Firm, options: Options | None = None) -> list[Figure]:
    """The process diagram of one firm as figures for a page width (``options.width``)."""
    return [Figure(process_graph(study, firm, options))]


def framework_figures(study: Study, firm: Firm | None = None, width: float | None = None) -> list[Figure]:
    """The framework figure for a page width."""
    return [Figure(framework_graph(study, firm))]
