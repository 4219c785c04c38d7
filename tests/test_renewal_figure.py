"""The renewal figure (diagram --kind renewal): one lane per firm, aligned
on each firm's critical incident, phases shaded, legible at 16 cm, a key
for exactly the marks used. Drawn with the system ``dot`` as a user's
machine would."""

from __future__ import annotations

import copy
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.core.model import Study
from workbench.render.engine import draw
from workbench.render.renewal_figure import renewal_graph
from workbench.render.units import A4_PORTRAIT, parse_length

from test_client_report import harbour_study

SAMPLE = Path(__file__).resolve().parent.parent / "sample_cases" / "jones-macpherson-2006.study.json"
SVG = "{http://www.w3.org/2000/svg}"

needs_dot = pytest.mark.skipif(not shutil.which("dot"), reason="the system Graphviz 'dot' is not installed")


def svg_of(study: Study, **kw) -> ET.Element:
    return ET.fromstring(draw(renewal_graph(study, **kw).source, "svg", engine="dot").data)


def groups(root: ET.Element, cls: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if cls in (g.get("class") or "").split()]


def centre_x(g: ET.Element) -> float:
    shape = next(el for el in g.iter() if el.tag in (f"{SVG}polygon", f"{SVG}ellipse"))
    if shape.tag == f"{SVG}ellipse":
        return float(shape.get("cx"))
    xs = [float(p.split(",")[0]) for p in shape.get("points").split()]
    return (min(xs) + max(xs)) / 2


def texts(root: ET.Element, cls: str) -> list[str]:
    return [t.text or "" for g in groups(root, cls) for t in g.iter(f"{SVG}text")]


def width_pt(root: ET.Element) -> float:
    return float(root.get("width").removesuffix("pt"))


def three_firms() -> Study:
    """The published cases and the joinery firm, one of them with no critical incident."""
    doc = json.loads(SAMPLE.read_text(encoding="utf-8"))
    joinery = harbour_study()["firms"][0]
    doc["firms"].append(joinery)
    for e in doc["firms"][1]["events"]:  # RSL: no critical incident recorded
        e.pop("critical", None)
    return Study.from_dict(doc)


@needs_dot
def test_one_lane_per_firm_incidents_share_x():
    study = three_firms()
    root = svg_of(study)
    lanes = groups(root, "lane")
    assert len(lanes) == len(study.firms) == 4
    incidents = groups(root, "incident")
    assert len(incidents) == 3  # RSL has none
    xs = {round(centre_x(g), 1) for g in incidents}
    assert len(xs) == 1
    # the firm without one is aligned on its first event, and says so
    rsl = study.firm("rsl")
    first = next(g for g in groups(root, "mark") if g.get("id") == f"mark-rsl-{rsl.event_list[0].id}")
    assert round(centre_x(first), 1) in xs
    rsl_lane = " ".join(texts(root, "lane")[i] for i in range(len(texts(root, "lane"))))
    assert "no critical incident:" in rsl_lane and "aligned on first event" in rsl_lane
    # every event a mark, numbered in its firm's order
    marks = groups(root, "mark")
    assert len(marks) == sum(len(f.event_list) for f in study.firms)
    brw = [g for g in marks if g.get("id", "").startswith("mark-brw-")]
    assert [next(g.iter(f"{SVG}text")).text for g in brw] == [str(i) for i in range(1, 12)]
    # positions grow with the events' order in each lane
    assert [centre_x(g) for g in brw] == sorted(centre_x(g) for g in brw)


@needs_dot
def test_legible_at_16cm():
    for study, kw in ((three_firms(), {}), (Study.from_dict(harbour_study()), {"notes": False})):
        root = svg_of(study, **kw)
        assert width_pt(root) == pytest.approx(A4_PORTRAIT, abs=1.5)
        scale = parse_length("16cm") / width_pt(root)
        sizes = [float(t.get("font-size")) * scale for t in root.iter(f"{SVG}text")]
        assert sizes and min(sizes) >= 7.0 - 1e-6


@needs_dot
def test_phases_shaded_behind_the_lanes():
    study = Study.from_dict(harbour_study())
    src = renewal_graph(study).source
    from workbench.render.renewal_figure import _phase_colour

    background = re.search(r'_background="([^"]*)"', src).group(1)
    for phase in ("critical_incident", "opening_up", "knowledge_sharing", "institutionalisation"):
        assert _phase_colour(phase) in background
    # e9 has no phase: five runs of shading (incident, opening up, sharing, [gap], sharing, institutionalisation)
    assert background.count(_phase_colour("knowledge_sharing")) >= 2 * 2 + 1  # two runs (fill+line) and the key


@needs_dot
def test_key_holds_exactly_the_marks_used():
    doc = harbour_study()
    firm = doc["firms"][0]
    root = svg_of(Study.from_dict(doc))
    key = " ".join(texts(root, "key"))
    for words in ("The critical incident", "An event that built a routine", "An event",
                  "Filled: an outside organisation took part", "Critical incident", "Opening up",
                  "Knowledge-sharing structures", "Institutionalisation"):
        assert words in key
    assert any(not e.get("phase") for e in firm["events"]) and "In no phase yet (unshaded)" in key
    # no routines, no outside sources, only two phases: the key says only what is drawn
    for e in firm["events"]:
        e.setdefault("phase", "opening_up")
        e.pop("routines", None)
        e["sources"] = [s for s in e["sources"] if s in ("owner", "foreman", "staff")]
        if e.get("phase") in ("knowledge_sharing", "institutionalisation"):
            e["phase"] = "opening_up"
    root = svg_of(Study.from_dict(doc))
    key = " ".join(texts(root, "key"))
    assert "built a routine" not in key and "outside organisation" not in key
    assert "Knowledge-sharing" not in key and "Institutionalisation" not in key
    assert "Opening up" in key and "The critical incident" in key and "In no phase" not in key


@needs_dot
def test_notes_list_every_event_by_number():
    study = Study.from_dict(harbour_study())
    root = svg_of(study)
    notes = "\n".join(texts(root, "note"))
    for i, e in enumerate(study.firm("harbour").event_list, 1):
        assert f"{i}. {e.title.split()[0]}" in notes
    assert not groups(svg_of(study, notes=False), "note")


@needs_dot
def test_cli_all_firms_or_a_list(tmp_path, capsys):
    study_path = tmp_path / "s.study.json"
    doc = json.loads(SAMPLE.read_text(encoding="utf-8"))
    study_path.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "r.svg"
    assert main(["diagram", str(study_path), "--kind", "renewal", "-o", str(out), "--engine", "dot"]) == 0
    root = ET.fromstring(out.read_bytes())
    assert len(groups(root, "lane")) == 3
    assert main(["diagram", str(study_path), "--kind", "renewal", "--firm", "dmf", "brw", "-o", str(out),
                 "--engine", "dot"]) == 0
    root = ET.fromstring(out.read_bytes())
    assert [g.get("id") for g in groups(root, "lane")] == ["lane-dmf", "lane-brw"]
    png = tmp_path / "r.png"
    assert main(["diagram", str(study_path), "--kind", "renewal", "-o", str(png), "--engine", "dot"]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    capsys.readouterr()
    bad = tmp_path / "bad.svg"
    assert main(["diagram", str(study_path), "--kind", "renewal", "--firm", "nope", "-o", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "no firm 'nope'" in err and "brw, rsl, dmf" in err and not bad.exists()
    # a name that says another format is refused, nothing written
    assert main(["diagram", str(study_path), "--kind", "renewal", "-o", str(tmp_path / "z.jpg")]) == 2
    assert ".jpg" in capsys.readouterr().err and not (tmp_path / "z.jpg").exists()
    # --width draws for that width
    assert main(["diagram", str(study_path), "--kind", "renewal", "-o", str(out), "--width", "24.7cm",
                 "--engine", "dot"]) == 0
    assert width_pt(ET.fromstring(out.read_bytes())) == pytest.approx(parse_length("24.7cm"), abs=1.5)
    # the process diagram stays of one firm
    assert main(["diagram", str(study_path), "--firm", "dmf", "brw", "-o", str(bad)]) == 2
    assert "--kind renewal" in capsys.readouterr().err and not bad.exists()


def test_many_events_never_overlap():
    doc = harbour_study()
    firm = doc["firms"][0]
    extra = copy.deepcopy(firm["events"])
    for i, e in enumerate(extra):
        e["id"] = f"x{i}"
    firm["events"] += extra * 1  # 30 events
    for i, e in enumerate(firm["events"][15:]):
        e["id"] = f"y{i}"
        e.pop("critical", None)
    g = renewal_graph(Study.from_dict(doc))
    xs = sorted(float(m.group(1)) for m in re.finditer(r'"mark-harbour-[^"]*" \[.*?pos="([\d.]+),', g.source))
    assert len(xs) == 30
    assert min(b - a for a, b in zip(xs, xs[1:])) >= 15.0  # a mark's width: they never touch


@needs_dot
def test_hostile_and_long_text_draws():
    doc = harbour_study()
    firm = doc["firms"][0]
    firm["name"] = 'Evil "quoted" \\N firm <b>bold</b> {braces} ' + "x" * 1000
    firm["events"][0]["title"] = 'Title with "quotes", \\l backslashes, <html> & ' + "word " * 600
    firm["events"][1]["when"] = "\\G \x01 late"
    study = Study.from_dict(doc)
    root = svg_of(study)  # the system dot (2.43 rejects over-long quoted strings)
    assert len(groups(root, "lane")) == 1
    lane = " ".join(texts(root, "lane"))
    assert lane.startswith('Evil "quoted" \\N firm <b>bold</b>')
    notes = "\n".join(texts(root, "note"))
    assert 'Title with "quotes", \\l backslashes, <html> &' in notes
    from workbench.render import client_report

    document = client_report.build(study, "harbour", client_report.ClientOptions())
    assert document.paragraphs[0].text.startswith('Evil "quoted" \\N firm <b>bold</b>')


@needs_dot
def test_firm_without_events_has_a_lane_and_no_key():
    doc = harbour_study()
    empty = copy.deepcopy(doc["firms"][0])
    empty.update(id="empty", name="Empty Ltd", events=[])
    empty.pop("actions")
    doc["firms"] = [empty]
    root = svg_of(Study.from_dict(doc))
    assert " ".join(texts(root, "lane")) == "Empty Ltd no events yet"
    assert not groups(root, "key") and not groups(root, "mark")
    doc["firms"].append(harbour_study()["firms"][0])
    root = svg_of(Study.from_dict(doc))
    assert len(groups(root, "lane")) == 2 and "Key" in texts(root, "key")


@needs_dot
def test_a_path_too_long_for_the_page_is_drawn_in_parts_never_wider():
    """Firms with more events than fit the width side by side: parts by
    position, each within the width, every event drawn once, the incident
    line only in the part holding position 0."""
    from workbench.render.renewal_figure import renewal_windows

    doc = json.loads(SAMPLE.read_text(encoding="utf-8"))
    brw = doc["firms"][0]
    for i in range(40):
        e = copy.deepcopy(brw["events"][3])
        e["id"], e["critical"] = f"more{i}", False
        e.pop("evidence", None)
        brw["events"].append(e)
    study = Study.from_dict(doc)
    windows = renewal_windows(study, width=A4_PORTRAIT)
    assert len(windows) > 1 and windows[0][0] < 0 < windows[0][1] and windows[-1][1] >= 40
    seen = []
    for i, window in enumerate(windows):
        root = svg_of(study, width=A4_PORTRAIT, window=window, title=i == 0)
        assert width_pt(root) <= A4_PORTRAIT + 1
        seen += [g.get("id") for g in groups(root, "mark")]
    expected = [f"mark_{f['id']}_{e['id']}" for f in doc["firms"] for e in f["events"]]
    assert sorted(seen) == sorted(_safe(x) for x in expected)


def _safe(name: str) -> str:
    from workbench.render.diagram import _safe_id

    return _safe_id(*name.split("_", 2))
