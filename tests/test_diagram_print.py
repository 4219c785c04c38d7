"""Figures drawn for a page width, measured from the drawn SVG: the
smallest text at printed size, no cut text, no edge through a box, a key
of exactly the marks used, and long firms split over pages."""

import re
import xml.etree.ElementTree as ET

import pytest
from conftest import JM, TRAINING, minimal_study

from workbench import services
from workbench.cli import main
from workbench.core.model import Study
from workbench.render import diagram as dg
from workbench.render import engine
from workbench.render.units import A4_LANDSCAPE, A4_PORTRAIT, parse_length

SVG = "{http://www.w3.org/2000/svg}"
ENGINE = "dot" if engine.dot_version() else "wasm"
WIDTHS = [A4_PORTRAIT, A4_LANDSCAPE, parse_length("12cm")]
BOXES = ("event", "source", "routine", "connector", "stage")


def hostile_firm_doc(n=60):
    """A firm of ``n`` events with long and hostile titles, sources and routines."""
    doc = minimal_study()
    firm = doc["firms"][0]
    nasty = ['He said "no" \\ then {left} <b>bold</b> & ; -> "quoted"',
             "Supercalifragilisticexpialidociousandevenlongerwordwithoutanyspaceatallxxxxxxxxxxxxxxxxxxxxxx",
             "A very long title " + "that goes on and on " * 23,
             "Ünïcödé — “curly” ‘quotes’ and 中文字符 mixed in",
             "Short"]
    firm["sources"] = [{"id": f"s{i}", "name": f"Source {i} " + "with a long name " * (i % 4),
                        "kind": ["customer", "internal_staff", "consultant", "new_recruit"][i % 4],
                        "direction": ["inbound", "outbound", "two_way"][i % 3]} for i in range(12)]
    firm["routines"] = [{"id": f"r{i}", "name": f"Routine {i} " + "x" * (i * 7)} for i in range(8)]
    stages = ["intuiting", "interpreting", "integrating", "institutionalising", "intertwining"]
    types = [["normative"], ["mimetic"], ["coercive", "normative"], ["normative", "mimetic", "coercive"], []]
    phases = ["critical_incident", "opening_up", "knowledge_sharing", "institutionalisation"]
    firm["events"] = [{
        "id": f"e{i}", "title": f"{i}: " + nasty[i % len(nasty)], "date": str(1990 + i // 4),
        "stages": [stages[i % 5]] if i % 11 else [], "learning_types": types[i % 5],
        "critical": i == 3, "phase": phases[min(i // 15, 3)],
        "sources": [f"s{(i * 7) % 12}", f"s{(i * 5 + 1) % 12}"] if i % 3 else [],
        "routines": [f"r{i % 8}"] if i % 4 == 0 else [],
    } for i in range(n)]
    return doc


def ordinary_firm_doc(n=15, seed=1):
    """A firm of ``n`` events as a consultant records them: titles of four to
    eight ordinary words, one or two stages and types, a few sources each,
    two routines, one critical incident."""
    import random

    rnd = random.Random(seed)
    words = ("customer audit staff training quality manager new process review supplier meeting owner plan "
             "system standard market export order").split()
    doc = minimal_study()
    firm = doc["firms"][0]
    firm["sources"] = [{"id": f"s{i}", "name": name, "kind": kind, "direction": way}
                       for i, (name, kind, way) in enumerate([
                           ("Main customer", "customer", "inbound"), ("Business adviser", "consultant", "inbound"),
                           ("Owner-manager", "owner_manager", "two_way"),
                           ("Shop-floor staff", "internal_staff", "inbound"),
                           ("Trade association", "network", "inbound"),
                           ("New sales manager", "new_recruit", "two_way")])]
    firm["routines"] = [{"id": "r0", "name": "Weekly quality review"},
                        {"id": "r1", "name": "Monthly planning meeting"}]
    stages = ["intuiting", "interpreting", "integrating", "institutionalising", "intertwining"]
    types = ["normative", "mimetic", "coercive"]
    firm["events"] = [{
        "id": f"e{i}", "title": " ".join(rnd.choice(words) for _ in range(rnd.randint(4, 8))).capitalize(),
        "date": str(2001 + i // 3), "stages": rnd.sample(stages, rnd.choice([1, 1, 2])),
        "learning_types": rnd.sample(types, rnd.choice([1, 1, 2])), "critical": i == 2,
        "sources": rnd.sample([f"s{k}" for k in range(6)], rnd.choice([0, 1, 1, 2])),
        "routines": ["r0"] if i == 6 else (["r1"] if i == 11 else []),
    } for i in range(n)]
    return doc


@pytest.fixture(scope="module")
def studies():
    return {"jm": services.load(JM).study, "training": services.load(TRAINING).study,
            "hostile": Study.from_dict(hostile_firm_doc())}


def drawn(fig):
    return engine.svg(fig.for_file().source, ENGINE).data


def svg_width(svg):
    root = ET.fromstring(svg)
    return float(root.get("viewBox").split()[2]), float(root.get("viewBox").split()[3])


def texts(svg):
    return [(t.text or "", float(t.get("font-size"))) for t in ET.fromstring(svg).iter(f"{SVG}text")]


def node_boxes(svg):
    """id -> (x0, y0, x1, y1) of every box-like node, from all its shapes."""
    out = {}
    for g in ET.fromstring(svg).iter(f"{SVG}g"):
        cls = (g.get("class") or "").split()
        if "node" not in cls or not any(c in BOXES for c in cls):
            continue
        pts = []
        for poly in g.iter(f"{SVG}polygon"):
            pts += [tuple(map(float, p.split(","))) for p in poly.get("points").split()]
        for path in g.iter(f"{SVG}path"):
            nums = list(map(float, re.findall(r"-?\d+(?:\.\d+)?", path.get("d"))))
            pts += list(zip(nums[::2], nums[1::2]))
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        out[g.get("id")] = (min(xs), min(ys), max(xs), max(ys))
    return out


def edge_points(svg):
    """id -> points sampled along each edge's path (not the key's)."""
    out = {}
    for g in ET.fromstring(svg).iter(f"{SVG}g"):
        cls = (g.get("class") or "").split()
        if "edge" not in cls or "legend" in cls:
            continue
        d = next(g.iter(f"{SVG}path")).get("d")
        nums = list(map(float, re.findall(r"-?\d+(?:\.\d+)?", d)))
        pts = list(zip(nums[::2], nums[1::2]))
        samples = []
        for i in range(0, len(pts) - 3, 3):
            p0, p1, p2, p3 = pts[i:i + 4]
            for k in range(21):
                t = k / 20
                a, b, c, e = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t * t, t ** 3
                samples.append((a * p0[0] + b * p1[0] + c * p2[0] + e * p3[0],
                                a * p0[1] + b * p1[1] + c * p2[1] + e * p3[1]))
        out[g.get("id")] = samples
    return out


def check_printable(svg, target):
    w, _ = svg_width(svg)
    assert w <= target + 1, f"drawing {w:.1f} pt wide for a {target:.1f} pt page"
    scale = min(1.0, target / w)
    sizes = [size for _, size in texts(svg)]
    assert min(sizes) * scale >= 7.0, f"smallest text {min(sizes) * scale:.2f} pt when printed"
    for text, _ in texts(svg):
        assert "..." not in text and "…" not in text, text
    boxes = node_boxes(svg)
    for eid, samples in edge_points(svg).items():
        for x, y in samples:
            for nid, (x0, y0, x1, y1) in boxes.items():
                assert not (x0 + 1.5 < x < x1 - 1.5 and y0 + 1.5 < y < y1 - 1.5), \
                    f"edge {eid} passes through {nid} at {x:.1f},{y:.1f}"


def key_texts(svg):
    root = ET.fromstring(svg)
    return {" ".join(t.text or "" for t in g.iter(f"{SVG}text")) for g in root.iter(f"{SVG}g")
            if "legend" in (g.get("class") or "").split() and "node" in (g.get("class") or "")}


def check_key(svg):
    """The key names a mark exactly when the figure uses it."""
    root = ET.fromstring(svg)
    classes = [set((g.get("class") or "").split()) for g in root.iter(f"{SVG}g")
               if "legend" not in (g.get("class") or "")]
    key = " | ".join(key_texts(svg))

    def used(*cs):
        return any(set(cs) <= c for c in classes)

    pairs = {
        "Feed-forward": used("edge", "feed_forward"),
        "Feedback": used("edge", "feedback"),
        "Within stage": used("edge", "within"),
        "Knowledge from a source": "forward" in _dirs(root),
        "Knowledge to a source": "back" in _dirs(root),
        "two-way": "both" in _dirs(root),
        "Routine": used("node", "routine"),
        "Event builds the routine": used("edge", "builds"),
        "External source": used("node", "external"),
        "Internal source": used("node", "internal"),
        "Link to an event in another part": used("node", "connector"),
        "Critical incident": _critical(root),
    }
    fills = _event_fills(root)
    for t in ("normative", "mimetic", "coercive"):
        tint = dg._palette().type_fill[t].lower()
        pairs[dg.vocabulary().label("learning_types", t) + " ("] = tint in fills
    for text, is_used in pairs.items():
        assert (text in key) == is_used, f"key entry {text!r}: in key {text in key}, used {is_used}"


def _dirs(root):
    """The ways the source arrows drawn point (forward, back, both), read
    from the figure's DOT by _set_dirs."""
    return _drawn_dirs


_drawn_dirs = set()


def _critical(root):
    for g in root.iter(f"{SVG}g"):
        cls = (g.get("class") or "").split()
        critical = dg._palette().colour["critical"].lower()
        if "event" in cls and "node" in cls and len(list(g.iter(f"{SVG}polygon"))) >= 2 and \
                any((p.get("stroke") or "").lower() == critical for p in g.iter(f"{SVG}polygon")):
            return True
    return False


def _event_fills(root):
    fills = set()
    for g in root.iter(f"{SVG}g"):
        cls = (g.get("class") or "").split()
        if "event" in cls and "node" in cls and "dashed" not in ET.tostring(g, encoding="unicode"):
            fills |= {(p.get("fill") or "").lower() for p in g.iter(f"{SVG}polygon")}
    return fills


def _set_dirs(fig):
    _drawn_dirs.clear()
    for line in fig.graph.source.splitlines():
        if 'class="involvement"' in line:
            _drawn_dirs.add(re.search(r'dir="(\w+)"', line).group(1))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["jm", "training", "hostile"])
def test_process_figures_print_legibly(studies, name, width):
    study = studies[name]
    for firm in study.firms:
        figs = dg.process_figures(study, firm, dg.Options(width=width))
        assert figs and all(f.parts == len(figs) for f in figs)
        assert [f.part for f in figs] == list(range(1, len(figs) + 1))
        for fig in figs:
            svg = drawn(fig)
            check_printable(svg, width)
            _set_dirs(fig)
            check_key(svg)
            w, h = svg_width(svg)
            assert w <= fig.width_pt + 1 and (fig.notes or abs(h - fig.height_pt) < 2)
            # taller than the page only when one event with its sources needs more
            assert h <= dg.page_height(width) + 1 or fig.notes or fig.span.startswith("event "), \
                f"part {fig.part}: {h:.0f} pt tall"


def test_every_event_once_and_parts_say_so(studies):
    study = studies["hostile"]
    firm = study.firms[0]
    figs = dg.process_figures(study, firm, dg.Options(width=A4_PORTRAIT))
    assert len(figs) > 3
    seen = []
    for fig in figs:
        ids = re.findall(r'id="event-f1-(e\d+)"', fig.graph.source)
        seen += ids
        assert fig.span.startswith(("events ", "event "))
        title = " ".join(t for t, _ in texts(drawn(fig)) if t)
        assert f"part {fig.part} of {fig.parts}" in title
        assert ("(continued)" in title) == (fig.part > 1)
        assert fig.height_pt <= dg.page_height(A4_PORTRAIT) + 1
    assert seen == [e.id for e in firm.event_list]
    # every link crossing a page break is shown on both pages
    assert "to event" in figs[0].graph.source and "from event" in figs[1].graph.source


def test_long_labels_go_to_numbered_notes(studies):
    study = studies["hostile"]
    firm = study.firms[0]
    figs = dg.process_figures(study, firm, dg.Options(width=A4_PORTRAIT))
    notes = [(fig, n, text) for fig in figs for n, text in fig.notes]
    long_title = next(e.title for e in firm.event_list if "on and on" in e.title)
    fig, n, _ = next(x for x in notes if x[2] == " ".join(long_title.split()))
    svg = drawn(fig)
    joined = " ".join(t for t, _ in texts(svg))
    assert f"see note {n}" in joined
    assert joined.count("on and on") >= 23  # the full text drawn under the figure (standalone)
    # the report's graph leaves the notes to a table under the figure
    assert "on and on" not in " ".join(t for t, _ in texts(engine.svg(fig.graph.source, ENGINE).data))
    check_printable(svg, A4_PORTRAIT)


def test_overlapping_types_keep_text_off_the_strip(studies):
    study = studies["jm"]
    firm = study.firm("brw")
    fig = dg.process_figures(study, firm, dg.Options(width=A4_PORTRAIT))[0]
    root = ET.fromstring(drawn(fig))
    checked = 0
    for g in root.iter(f"{SVG}g"):
        cls = (g.get("class") or "").split()
        polys = [p for p in g.iter(f"{SVG}polygon") if p.get("fill") not in (None, "none")]
        if "event" not in cls or len({p.get("fill") for p in polys}) < 2:
            continue
        # the stripes, left to right: the primary type, then a narrow strip per other type
        lefts = sorted(min(float(pt.split(",")[0]) for pt in p.get("points").split()) for p in polys)
        strip_left = lefts[1]
        for t in g.iter(f"{SVG}text"):
            x = float(t.get("x"))
            half = dg.grid.text_width(t.text or "", float(t.get("font-size"))) / 2
            assert x + half < strip_left, (t.text, x + half, strip_left)
            checked += 1
    assert checked


@pytest.mark.parametrize("width", WIDTHS + [parse_length("8cm")])
def test_framework_figure_for_a_width(studies, width):
    study = studies["jm"]
    for firm in [None, *study.firms]:
        fig, = dg.framework_figures(study, firm, width)
        svg = drawn(fig)
        check_printable(svg, width)
        key = " | ".join(key_texts(svg))
        assert "Feed-forward" in key and "Within stage" not in key
        title = " ".join(t for t, _ in texts(svg)[:4])
        assert "within stage" in " ".join(t for t, _ in texts(svg))
        assert "…" not in title


def test_hostile_framework_title_is_whole():
    doc = hostile_firm_doc(10)
    doc["title"] = "A study " + "with a very long title " * 30 + "THE-END"
    study = Study.from_dict(doc)
    fig, = dg.framework_figures(study, None, A4_PORTRAIT)
    svg = drawn(fig)
    check_printable(svg, A4_PORTRAIT)
    assert "THE-END" in " ".join(t for t, _ in texts(svg))


def test_screen_drawing_is_unbounded_and_unchanged(studies):
    study = studies["jm"]
    fig, = dg.process_figures(study, study.firm("brw"), dg.Options())
    assert fig.parts == 1 and fig.graph.source == dg.process_graph(study, study.firm("brw")).source


def test_cli_width_writes_numbered_parts(tmp_path, capsys, write_json):
    # a firm of Jones & Macpherson's size: one page, the name as given
    out = tmp_path / "brw.svg"
    assert main(["diagram", str(JM), "--firm", "brw", "--width", "16cm", "--engine", ENGINE, "-o", str(out)]) == 0
    assert out.exists() and not list(tmp_path.glob("brw-*.svg"))
    check_printable(out.read_bytes(), A4_PORTRAIT)
    capsys.readouterr()
    # a long one: numbered parts
    path = write_json(ordinary_firm_doc(40))
    out = tmp_path / "long.svg"
    assert main(["diagram", str(path), "--firm", "f1", "--width", "16cm", "--engine", ENGINE, "-o", str(out)]) == 0
    cap = capsys.readouterr()
    parts = sorted(tmp_path.glob("long-*.svg"))
    assert len(parts) > 1 and not out.exists()
    assert f"needs {len(parts)} pages" in cap.err
    for p in parts:
        assert f"wrote {p}" in cap.out
        check_printable(p.read_bytes(), A4_PORTRAIT)
    # one page: the name as given
    out2 = tmp_path / "fw.svg"
    assert main(["diagram", str(JM), "--kind", "framework", "--width", "6.3in", "--engine", ENGINE,
                 "-o", str(out2)]) == 0
    check_printable(out2.read_bytes(), parse_length("6.3in"))


@pytest.mark.parametrize("bad", ["3cm", "wide", "16 furlongs", "-5cm"])
def test_cli_bad_width(tmp_path, capsys, bad):
    out = tmp_path / "x.svg"
    assert main(["diagram", str(JM), "--firm", "brw", f"--width={bad}", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "width" in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())


@pytest.mark.skipif(not engine.wasm_available(), reason="no in-process Graphviz")
def test_in_process_engine_draws_the_same_figures(studies):
    study = studies["jm"]
    firm = study.firm("rsl")
    for fig in dg.process_figures(study, firm, dg.Options(width=A4_PORTRAIT)):
        svg = engine.svg(fig.for_file().source, "wasm").data
        check_printable(svg, A4_PORTRAIT)
        _set_dirs(fig)
        check_key(svg)
    fig, = dg.framework_figures(study, firm, A4_PORTRAIT)
    check_printable(engine.svg(fig.graph.source, "wasm").data, A4_PORTRAIT)


def test_long_names_and_times_go_to_notes_never_cut():
    doc = hostile_firm_doc(6)
    doc["firms"][0]["name"] = "Firm " + "with an extraordinarily long name " * 20 + "NAME-END"
    doc["firms"][0]["events"][1]["when"] = "sometime " * 60 + "WHEN-END"
    doc["firms"][0]["events"][1]["critical"] = True
    study = Study.from_dict(doc)
    figs = dg.process_figures(study, study.firms[0], dg.Options(width=A4_PORTRAIT))
    fig = figs[0]
    assert fig.notes[0][1].endswith("NAME-END")
    drawn_text = [t for t, _ in texts(drawn(fig))]
    assert "(Name: see note 1): learning process (5I framework)" in " ".join(drawn_text[:3])
    assert any("WHEN-END" in text for _, text in fig.notes)
    assert any("critical incident" in t for t in drawn_text)
    for f in figs:
        check_printable(drawn(f), A4_PORTRAIT)
    # a study title too long for the framework figure's heading: a note too
    doc["title"] = "Study " + "title " * 200 + "TITLE-END"
    fig, = dg.framework_figures(Study.from_dict(doc), None, A4_PORTRAIT)
    assert fig.notes and fig.notes[0][1].endswith("TITLE-END")
    check_printable(drawn(fig), A4_PORTRAIT)
    assert "TITLE-END" not in " ".join(t for t, _ in texts(engine.svg(fig.graph.source, ENGINE).data))


def test_a_huge_note_still_draws_with_dot_2_43():
    doc = hostile_firm_doc(3)
    doc["firms"][0]["events"][0]["title"] = "word " * 6000 + "LAST"
    study = Study.from_dict(doc)
    fig = dg.process_figures(study, study.firms[0], dg.Options(width=A4_PORTRAIT))[0]
    svg = drawn(fig)
    assert "LAST" in " ".join(t for t, _ in texts(svg))


def test_height_follows_the_page_or_the_caller(studies):
    study = studies["jm"]
    firm = study.firm("dmf")
    landscape = dg.process_figures(study, firm, dg.Options(width=A4_LANDSCAPE))
    assert len(landscape) > 1
    assert all(f.height_pt <= dg.LANDSCAPE_HEIGHT + 1 or f.span.startswith("event ") for f in landscape)
    tall = dg.process_figures(study, firm, dg.Options(width=A4_LANDSCAPE, height=2000))
    assert len(tall) == 1 and tall[0].height_pt > dg.LANDSCAPE_HEIGHT
    check_printable(drawn(tall[0]), A4_LANDSCAPE)


def test_cli_all_firms_parts_never_overwrite_another_firm(tmp_path, capsys, write_json):
    doc = hostile_firm_doc(20)
    second = dict(doc["firms"][0], id="f1-1", name="Firm f1-1")
    doc["firms"].append(second)
    path = write_json(doc)
    out = tmp_path / "out"
    assert main(["diagram", str(path), "--all", "--width", "16cm", "--engine", ENGINE, "-o", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert "f1-part1.svg" in names and "f1-1-1.svg" in names and "f1-1.svg" not in names
    assert len(names) == len(set(names)) == capsys.readouterr().out.count("wrote ")


def test_a_firm_of_the_papers_size_fits_one_portrait_page(studies):
    """Jones & Macpherson's firms (11 and 12 events), the training case and
    a consultant's firm of 15 ordinary events: one figure each at 16 cm,
    within the page's height, text at 7 pt or more; on an A4 page on its
    side (lower), two at most."""
    cases = [(studies["jm"], f) for f in studies["jm"].firms] + [(studies["training"], studies["training"].firms[0])]
    ordinary = Study.from_dict(ordinary_firm_doc(15))
    cases.append((ordinary, ordinary.firms[0]))
    for study, firm in cases:
        figs = dg.process_figures(study, firm, dg.Options(width=A4_PORTRAIT))
        assert len(figs) == 1, f"{firm.id}: {len(figs)} parts"
        fig, = figs
        assert fig.span == "" and fig.height_pt <= dg.page_height(A4_PORTRAIT) + 1
        svg = drawn(fig)
        check_printable(svg, A4_PORTRAIT)
        assert "part 1" not in " ".join(t for t, _ in texts(svg))
        assert re.findall(r'id="event-[^"]*"', fig.graph.source)
        assert len(dg.process_figures(study, firm, dg.Options(width=A4_LANDSCAPE))) <= 2


def test_a_long_firm_still_splits(studies):
    study = Study.from_dict(ordinary_firm_doc(40))
    firm = study.firms[0]
    figs = dg.process_figures(study, firm, dg.Options(width=A4_PORTRAIT))
    assert len(figs) >= 2
    seen = []
    for fig in figs:
        assert fig.height_pt <= dg.page_height(A4_PORTRAIT) + 1
        seen += re.findall(r'id="event-f1-(e\d+)"', fig.graph.source)
        svg = drawn(fig)
        check_printable(svg, A4_PORTRAIT)
        _set_dirs(fig)
        check_key(svg)
    assert seen == [e.id for e in firm.event_list]


def test_stage_short_forms_are_spelt_out_in_the_key(studies):
    """An event box too narrow for its stages' names uses their short
    forms; the key spells out exactly the short forms the figure uses."""
    study = studies["jm"]
    for firm in study.firms:
        fig, = dg.process_figures(study, firm, dg.Options(width=A4_PORTRAIT))
        svg = drawn(fig)
        key = " ".join(key_texts(svg))
        boxes = " ".join(t for g in ET.fromstring(svg).iter(f"{SVG}g") if "event" in (g.get("class") or "")
                         for t in [" ".join(x.text or "" for x in g.iter(f"{SVG}text"))])
        shorts = dg._stage_abbrevs(study.framework_def())
        for sid, short in shorts.items():
            used = re.search(rf"(^|[ +]){re.escape(short)}($|[ +])", boxes) is not None
            assert (f"{short} {dg.all_stages()[sid].label}" in key) == used, (firm.id, short)


def test_events_read_in_order_down_the_page(studies):
    """The events' tops go down the page in the order of their numbers,
    an event level with the one before only when to its right or of the
    same time."""
    study = studies["jm"]
    for firm in study.firms:
        fig, = dg.process_figures(study, firm, dg.Options(width=A4_PORTRAIT))
        boxes = node_boxes(drawn(fig))
        events = firm.event_list
        tops = [boxes[f"event-{firm.id}-{e.id}"] for e in events]
        for i in range(1, len(events)):
            (x0, y0, _, _), (px0, py0, _, _) = tops[i], tops[i - 1]
            same_time = events[i].time_label() and events[i].time_label() == events[i - 1].time_label()
            assert y0 > py0 + 5 or (y0 >= py0 - 5 and (x0 > px0 or same_time)), (firm.id, events[i].id)
