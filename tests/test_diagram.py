"""Process diagrams and framework figures: content, lanes, flow styles, the
legend, both engines, every format, and hostile text."""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from conftest import JM, ROOT, minimal_study
from workbench import services
from workbench.cli import main
from workbench.core.model import Study
from workbench.render import engine
from workbench.render.diagram import Options, framework_graph, process_graph

SVG = "{http://www.w3.org/2000/svg}"
HAS_DOT = engine.dot_version() is not None
ENGINES = [pytest.param("dot", marks=pytest.mark.skipif(not HAS_DOT, reason="no system dot")), "wasm"]


@pytest.fixture(scope="module")
def jm():
    return services.load(JM).study


def groups(svg_bytes):
    """id -> (class, element) of every <g> with an id."""
    root = ET.fromstring(svg_bytes)
    return {g.get("id"): (g.get("class") or "", g) for g in root.iter(f"{SVG}g") if g.get("id")}


def centre(g):
    """Centre of a node's first shape, in SVG coordinates (y grows downwards)."""
    for tag in ("polygon", "ellipse"):
        el = next(g.iter(f"{SVG}{tag}"), None)
        if el is None:
            continue
        if tag == "ellipse":
            return float(el.get("cx")), float(el.get("cy"))
        pts = [tuple(map(float, p.split(","))) for p in el.get("points").split()]
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    raise AssertionError("no shape")


@pytest.mark.parametrize("which", ENGINES)
def test_every_event_and_source_is_drawn(jm, which):
    for firm in jm.firms:
        svg = engine.svg(process_graph(jm, firm).source, which).data
        ids = groups(svg)
        for e in firm.events:
            assert f"event-{firm.id}-{e.id}" in ids
        for s in firm.sources:
            assert f"source-{firm.id}-{s.id}" in ids
        for r in firm.routines:
            assert f"routine-{firm.id}-{r.id}" in ids
        text = " ".join(t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text"))
        assert f"{firm.name}: learning process (5I framework)" in text


@pytest.mark.parametrize("which", ENGINES)
def test_lanes_order_levels_top_to_bottom(jm, which):
    firm = jm.firm("brw")
    ids = groups(engine.svg(process_graph(jm, firm).source, which).data)
    ys = {}
    for e in firm.events:
        _, y = centre(ids[f"event-brw-{e.id}"][1])
        ys.setdefault(e.effective_level(), []).append(y)
    # every event of a level sits on one line, and the lines go top to bottom
    for level, values in ys.items():
        assert max(values) - min(values) < 1, level
    order = ["inter_organisation", "organisation", "group", "individual"]
    present = [lv for lv in order if lv in ys]
    assert [ys[lv][0] for lv in present] == sorted(ys[lv][0] for lv in present)
    # external sources in the inter-organisation lane (above all events), internal ones lower
    _, lucas = centre(ids["source-brw-lucas"][1])
    _, watson = centre(ids["source-brw-watson"][1])
    assert lucas < min(min(v) for v in ys.values())
    assert watson > min(ys["individual"])


@pytest.mark.parametrize("which", ENGINES)
def test_time_runs_left_to_right(jm, which):
    firm = jm.firm("dmf")
    ids = groups(engine.svg(process_graph(jm, firm).source, which).data)
    xs = [centre(ids[f"event-dmf-{e.id}"][1])[0] for e in firm.events]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)


def _edge_style(g):
    path = next(g.iter(f"{SVG}path"))
    return path.get("stroke"), path.get("stroke-dasharray")


@pytest.mark.parametrize("which", ENGINES)
def test_flow_styles(jm, which):
    firm = jm.firm("brw")  # implicit links: each event leads to the next
    ids = groups(engine.svg(process_graph(jm, firm).source, which).data)
    by_class = {}
    for gid, (cls, g) in ids.items():
        if gid.startswith("flow-"):
            by_class.setdefault(cls, []).append(_edge_style(g))
    from workbench.core.analysis import firm_links
    expected = {}
    for link in firm_links(firm):
        expected[link.flow] = expected.get(link.flow, 0) + 1
    for flow, n in expected.items():
        assert len(by_class[f"edge flow {flow}"]) == n
    ff = set(by_class["edge flow feed_forward"])
    fb = set(by_class["edge flow feedback"])
    wi = set(by_class["edge flow within"])
    assert ff == {("#1a1a1a", None)}  # solid, near black
    assert len(fb) == 1 and next(iter(fb))[0] == "#cc79a7" and next(iter(fb))[1]  # dashed, purple
    assert len(wi) == 1 and next(iter(wi))[1]  # dotted
    assert fb != wi


def test_explicit_links_are_drawn_instead_of_the_list(jm):
    firm = jm.firm("dmf")
    ids = groups(engine.svg(process_graph(jm, firm).source, "wasm").data)
    assert sum(1 for i in ids if i.startswith("flow-dmf-")) == len(firm.links)


@pytest.mark.parametrize("which", ENGINES)
def test_legend(jm, which):
    svg = engine.svg(process_graph(jm, jm.firm("rsl")).source, which).data
    text = " ".join(t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text"))
    # the marks RSL's drawing uses, and only those (it is a mimetic case: no other type)
    for word in ("Key", "Mimetic", "Critical incident", "Feed-forward", "Feedback", "Within stage",
                 "External source", "Internal source", "Knowledge from a source", "two-way", "Routine",
                 "Event builds the routine"):
        assert word in text, word
    for word in ("Normative", "Coercive", "More than one type", "Not yet coded"):
        assert word not in text, word
    classes = [c for c, _ in groups(svg).values()]
    assert any("legend feedback" in c for c in classes)


def test_no_sources_and_no_routines(jm):
    firm = jm.firm("brw")
    ids = groups(engine.svg(process_graph(jm, firm, Options(sources=False, routines=False)).source, "wasm").data)
    assert not any(i.startswith(("source-", "routine-", "involves-", "builds-")) for i in ids)
    assert all(f"event-brw-{e.id}" in ids for e in firm.events)


def test_critical_and_overlapping_types_are_marked(jm):
    firm = jm.firm("brw")
    src = process_graph(jm, firm).source
    stmt = lambda name: re.search(rf'"{name}" \[(.*?)\]\n', src, re.S).group(1)
    e2 = stmt("event-e2")
    assert "CRITICAL INCIDENT" in e2 and 'peripheries="2"' in e2
    assert 'style="striped"' in e2  # normative + coercive
    e4 = stmt("event-e4")
    assert "striped" not in e4 and 'fillcolor="#9BCBEB"' in e4


def test_engines_draw_the_same_picture(jm):
    if not HAS_DOT:
        pytest.skip("no system dot")
    src = process_graph(jm, jm.firm("dmf")).source
    a, b = groups(engine.svg(src, "dot").data), groups(engine.svg(src, "wasm").data)
    nodes = [i for i in a if i.startswith(("event-", "source-", "routine-"))]
    assert set(nodes) == {i for i in b if i.startswith(("event-", "source-", "routine-"))}
    for i in nodes:
        (xa, ya), (xb, yb) = centre(a[i][1]), centre(b[i][1])
        assert abs(xa - xb) < 2 and abs(ya - yb) < 2, i


def test_framework_figure_counts(jm):
    ids = groups(engine.svg(framework_graph(jm).source, "wasm").data)
    text = {gid: " ".join(t.text or "" for t in g.iter(f"{SVG}text")) for gid, (_, g) in ids.items()}
    stats = services.stats(JM)[0]["study"]
    for stage, n in stats["stages"].items():
        assert f" {n} events" in text[f"stage-study-{stage}"]
    flows = stats["flows"]
    title = next(t for t in text.values() if "feed-forward" in t)
    assert f"feed-forward {flows['feed_forward']}, feedback {flows['feedback']}, within stage {flows['within']}" in title
    # intertwining -> institutionalising is feedback: outside help embedding knowledge
    cls, _ = ids["stageflow-study-intertwining-institutionalising"]
    assert "feedback" in cls


def test_framework_figure_per_firm_and_4i(jm, tmp_path):
    ids = groups(engine.svg(framework_graph(jm, jm.firm("rsl")).source, "wasm").data)
    assert "stage-rsl-intertwining" in ids
    doc = minimal_study(framework="4I")
    doc["firms"][0]["events"][2]["stages"] = ["institutionalising"]
    study = Study.from_dict(doc)
    ids = groups(engine.svg(framework_graph(study).source, "wasm").data)
    assert "stage-study-intertwining" not in ids and "stage-study-intuiting" in ids
    # no inter-organisation lane in 4I: external sources get a band of their own
    svg = engine.svg(process_graph(study, study.firms[0]).source, "wasm").data
    text = " ".join(t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text"))
    assert "Inter-organisation" not in text and "Outside the firm" in text


def test_png_and_pdf(jm):
    src = framework_graph(jm).source
    low = engine.draw(src, "png", "wasm", dpi=72).data
    high = engine.draw(src, "png", "wasm", dpi=144).data
    assert low[:8] == b"\x89PNG\r\n\x1a\n" and high[:8] == b"\x89PNG\r\n\x1a\n"
    width = lambda png: int.from_bytes(png[16:20], "big")
    assert abs(width(high) - 2 * width(low)) <= 2
    pdf = engine.draw(src, "pdf", "wasm").data
    assert pdf.startswith(b"%PDF") and b"%%EOF" in pdf[-64:]


# ----------------------------------------------------------------- hostile text

HOSTILE = [
    'He said "stop" \\N \\G \\l',
    "back\\slash at the end\\",
    "{braces} [brackets] ; -> -- a [color=red]",
    '"] ; injected [shape=box, label="owned"',
    "<script>alert('x')</script> <b>bold</b> &amp; &lt;",
    "line one\nline two\r\nline three\ttabbed",
    "control \x00\x01\x07\x1b\x7f chars",
    "emoji 🦉🏭 and right-to-left: שלום עולם مرحبا",
    "x" * 10_000,
    "word " * 2_500,
]


def hostile_study():
    doc = minimal_study()
    firm = doc["firms"][0]
    firm["name"] = HOSTILE[0]
    for i, text in enumerate(HOSTILE):
        firm["events"].append({"id": f"h{i}", "title": text[:500], "description": text, "when": text[:500],
                               "stages": ["integrating"], "learning_types": ["mimetic", "coercive"],
                               "critical": i % 2 == 0, "sources": ["cust"]})
        firm["sources"].append({"id": f"s{i}", "name": text[:500], "kind": "consultant", "notes": text})
    firm["routines"][0]["name"] = HOSTILE[3]
    firm["links"] = []
    doc["title"] = HOSTILE[4]
    from workbench.core.validate import validate
    clean, report = validate(doc)
    assert report.ok, report.errors
    return Study.from_dict(clean)


@pytest.mark.parametrize("which", ENGINES)
def test_hostile_text_is_safe(which):
    study = hostile_study()
    firm = study.firms[0]
    for graph in (process_graph(study, firm), framework_graph(study), framework_graph(study, firm)):
        svg = engine.svg(graph.source, which).data
        root = ET.fromstring(svg)  # well-formed XML
        assert not list(root.iter(f"{SVG}script")) and not list(root.iter("script"))
    ids = groups(engine.svg(process_graph(study, firm).source, which).data)
    for i in range(len(HOSTILE)):
        assert f"event-{firm.id}-h{i}" in ids and f"source-{firm.id}-s{i}" in ids
    # nothing injected: no node called "injected", no label "owned" outside the text it came from
    assert not any("injected" in gid for gid in ids)
    drawn = [gid for gid in ids if gid.startswith(("event-", "source-"))]
    assert len(drawn) == len(firm.events) + len(firm.sources)


def test_hostile_text_is_shortened_in_the_node_and_bounded_in_the_tooltip():
    study = hostile_study()
    firm = study.firms[0]
    svg = engine.svg(process_graph(study, firm).source, "wasm").data
    ids = groups(svg)
    g = ids[f"event-{firm.id}-h8"][1]  # the 10,000-character title (500 kept by the format)
    lines = [t.text for t in g.iter(f"{SVG}text")]
    assert all(len(line) <= 40 for line in lines)
    assert any(line.endswith("…") for line in lines)
    tip = next(a.get("{http://www.w3.org/1999/xlink}title") for a in g.iter(f"{SVG}a"))
    from workbench.render.text import TOOLTIP_BYTES
    assert "x" * 2_500 in tip and tip.endswith("…")  # the description, as much as a tooltip holds
    assert len(tip.encode("utf-8")) <= TOOLTIP_BYTES
    g = ids[f"event-{firm.id}-h0"][1]
    assert any('"stop" \\N \\G \\l' in (t.text or "") for t in g.iter(f"{SVG}text"))


# ----------------------------------------------------------------- the command


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


@pytest.mark.parametrize("fmt", ["svg", "png", "pdf", "dot"])
def test_cli_all_firms(capsys, tmp_path, fmt):
    code, out, err = run(capsys, "diagram", JM, "--all", "--format", fmt, "--dpi", "60", "-o", tmp_path / "out")
    assert code == 0
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == [f"brw.{fmt}", f"dmf.{fmt}", f"rsl.{fmt}"]
    if fmt == "svg":
        for name in files:
            ET.parse(tmp_path / "out" / name)
    if fmt != "dot":
        assert "drawn with Graphviz" in err


def test_cli_format_from_extension_and_engine_named(capsys, tmp_path):
    code, out, err = run(capsys, "diagram", JM, "--firm", "rsl", "--engine", "wasm", "-o", tmp_path / "rsl.pdf")
    assert code == 0 and (tmp_path / "rsl.pdf").read_bytes().startswith(b"%PDF")
    assert "drawn with Graphviz (WebAssembly, in-process)" in err


def test_cli_framework_of_the_study(capsys, tmp_path):
    code, _, _ = run(capsys, "diagram", JM, "--kind", "framework", "-o", tmp_path / "fw.svg")
    assert code == 0 and "stage-study-intertwining" in groups((tmp_path / "fw.svg").read_bytes())


def test_cli_unknown_firm_and_missing_choice(capsys, tmp_path):
    code, _, err = run(capsys, "diagram", JM, "--firm", "xyz", "-o", tmp_path / "x.svg")
    assert code == 2 and "brw, rsl, dmf" in err
    code, _, err = run(capsys, "diagram", JM, "-o", tmp_path / "x.svg")
    assert code == 2 and "--firm ID, or --all" in err and "brw, rsl, dmf" in err
    assert not (tmp_path / "x.svg").exists()


def test_cli_without_dot_on_path_uses_webassembly(tmp_path):
    """As on a laptop without Graphviz: only the Python environment on PATH."""
    env = dict(os.environ, PATH=os.path.dirname(sys.executable), QT_QPA_PLATFORM="offscreen")
    for fmt in ("svg", "png", "pdf"):
        out = tmp_path / f"all-{fmt}"
        proc = subprocess.run([sys.executable, "-m", "workbench.cli", "diagram", str(JM), "--all",
                               "--format", fmt, "--dpi", "50", "-o", str(out)],
                              capture_output=True, text=True, env=env, cwd=ROOT)
        assert proc.returncode == 0, proc.stderr
        assert "WebAssembly" in proc.stderr
        assert len(list(out.iterdir())) == 3
    proc = subprocess.run([sys.executable, "-m", "workbench.cli", "diagram", str(JM), "--firm", "brw",
                           "--engine", "dot", "-o", str(tmp_path / "x.svg")],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    assert proc.returncode == 1 and "'dot' program is not installed" in proc.stderr


def test_wrap():
    from workbench.render.text import wrap
    assert wrap("Continuous-improvement consultant", 20, 3) == ["Continuous-", "improvement", "consultant"]
    assert wrap("the quick brown fox jumps over the lazy dog", 12, 3) == ["the quick", "brown fox", "jumps over…"]
    assert wrap("x" * 60, 24, 3) == ["x" * 24, "x" * 24, "x" * 12]
    assert wrap("x" * 73, 24, 3)[-1].endswith("…")  # a fourth line would be needed
    assert wrap("", 10, 2) == [""]
    assert wrap("tab\tand\nnewline\x00", 40, 2) == ["tab and newline"]


def test_event_at_a_level_the_framework_lacks(tmp_path):
    """A 4I study has no inter-organisation lane: such an event goes to the
    organisation lane, and external sources to a band of their own."""
    doc = minimal_study(framework="4I")
    firm = doc["firms"][0]
    firm["events"][2]["stages"] = ["integrating"]
    firm["events"][2]["level"] = "inter_organisation"
    firm["events"][2]["sources"] = ["cust"]
    study = Study.from_dict(doc)
    ids = groups(engine.svg(process_graph(study, study.firms[0]).source, "wasm").data)
    _, y3 = centre(ids["event-f1-e3"][1])
    _, y2 = centre(ids["event-f1-e2"][1])  # integrating, default level organisation
    assert abs(y3 - y2) < 1
    _, ys = centre(ids["source-f1-cust"][1])
    assert ys < y3  # the external source above, outside the firm
