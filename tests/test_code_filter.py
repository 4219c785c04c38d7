"""Outputs limited to one of the study's codes: the narrowed firm (which
events, sources, routines and flows stay), ``stats`` and ``diagram --code``,
and the Matrix and Diagram tabs."""

import copy
import json
import xml.etree.ElementTree as ET

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from conftest import minimal_study
from workbench.cli import main
from workbench.core.analysis import firm_links, study_stats
from workbench.core.coding import carries, code_stage_matrix, code_tree, narrow_firm, narrow_study
from workbench.core.errors import InputError
from workbench.core.frameworks import vocabulary
from workbench.core.model import Study

SVG = "{http://www.w3.org/2000/svg}"


def five_events(links=None):
    """Six events; the code "c" on e1 (the event), e3 (a quote) and e5 (the
    event); "other" on e2; "apart" on e5 and e6; "sub" (under "c") on e4."""
    doc = copy.deepcopy(minimal_study())
    doc["codes"] = [{"id": "c", "name": "Change"}, {"id": "other", "name": "Other things"},
                    {"id": "apart", "name": "Apart"}, {"id": "sub", "name": "Part of change", "parent": "c"}]
    doc["firms"][0]["sources"].append({"id": "college", "name": "College", "kind": "college"})
    doc["firms"][0]["routines"].append({"id": "r2", "name": "Training plan", "sources": ["college"]})
    doc["firms"][0]["events"] = [
        {"id": "e1", "title": "One", "stages": ["intuiting"], "learning_types": ["coercive"], "codes": ["c"],
         "sources": ["cust"]},
        {"id": "e2", "title": "Two", "stages": ["interpreting"], "learning_types": ["mimetic"],
         "codes": ["other"], "sources": ["staff"], "routines": ["r1"]},
        {"id": "e3", "title": "Three", "stages": ["integrating"], "learning_types": ["normative"],
         "routines": ["r2"], "evidence": [{"quote": "We changed.", "speaker": "Ann", "codes": ["c"]}]},
        {"id": "e4", "title": "Four", "stages": ["intuiting"], "learning_types": ["coercive"], "codes": ["sub"]},
        {"id": "e5", "title": "Five", "stages": ["interpreting"], "learning_types": ["normative"],
         "codes": ["c", "apart"]},
        {"id": "e6", "title": "Six", "stages": ["intertwining"], "learning_types": ["normative"],
         "codes": ["apart"]},
    ]
    if links is not None:
        doc["firms"][0]["links"] = links
    return doc


def firm_of(doc):
    return Study.from_dict(doc).firms[0]


def flows(firm):
    return [(ln.source, ln.target, ln.flow, ln.label) for ln in firm_links(firm)]


def test_which_events_carry_a_code():
    firm = firm_of(five_events())
    assert [e.id for e in firm.event_list if carries(e, "c")] == ["e1", "e3", "e5"]
    assert [e.id for e in firm.event_list if carries(e, "sub")] == ["e4"]  # a child is not its parent


def test_narrowed_firm_without_links_each_kept_event_leads_to_the_next():
    firm = narrow_firm(firm_of(five_events()), "c")
    assert [e.id for e in firm.event_list] == ["e1", "e3", "e5"]
    assert flows(firm) == [("e1", "e3", "feed_forward", None), ("e3", "e5", "feedback", None)]
    assert [s.id for s in firm.source_list] == ["cust", "college"]  # e1's, and r2's (the routine of e3)
    assert [r.id for r in firm.routine_list] == ["r2"]
    assert firm.left_out == 3


def test_narrowed_firm_keeps_to_explicit_links_through_left_out_events():
    links = [{"from": "e1", "to": "e2", "label": "first"}, {"from": "e2", "to": "e3"},
             {"from": "e3", "to": "e5", "label": "then"}, {"from": "e4", "to": "e1"},
             {"from": "e2", "to": "e1"}]
    whole = firm_of(five_events(links))
    firm = narrow_firm(whole, "c")
    # e1 -> e2 -> e3 becomes e1 -> e3 (no label: no such link in the study); e3 -> e5 is kept with
    # its label; e4 -> e1 goes with e4; e1 -> e2 -> e1 leads nowhere new
    assert flows(firm) == [("e1", "e3", "feed_forward", None), ("e3", "e5", "feedback", "then")]
    # kept events the firm does not link stay unlinked: never "each to the next"
    apart = narrow_firm(whole, "apart")
    assert [e.id for e in apart.event_list] == ["e5", "e6"] and flows(apart) == []
    assert len(whole.link_list) == 5  # the firm itself is untouched


def test_narrow_study_and_unknown_code():
    study = Study.from_dict(five_events())
    narrowed = narrow_study(study, "c")
    assert [e.id for e in narrowed.firms[0].event_list] == ["e1", "e3", "e5"]
    assert len(study.firms[0].event_list) == 6
    with pytest.raises(InputError) as exc:
        narrow_study(study, "nope")
    assert exc.value.message == (
        "no code 'nope' in this study; its codes are: c (Change), other (Other things), apart (Apart), "
        "sub (Part of change)")


def test_tree_and_codes_by_stage():
    study = Study.from_dict(five_events())
    assert [(r.code.id, r.depth) for r in code_tree(study)] == [("c", 0), ("sub", 1), ("other", 0), ("apart", 0)]
    m = code_stage_matrix(study.firms, study, study.framework_def())
    assert m["c"] == {"intuiting": 1, "interpreting": 1, "integrating": 1, "institutionalising": 0,
                      "intertwining": 0}
    assert m["apart"]["interpreting"] == 1 and m["apart"]["intertwining"] == 1
    assert sum(m["sub"].values()) == 1 and m["sub"]["intuiting"] == 1


# --------------------------------------------------------------------------- command line


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def coded_file(write_json):
    return write_json(five_events([{"from": "e1", "to": "e2"}, {"from": "e2", "to": "e3"},
                                   {"from": "e3", "to": "e5"}]))


def test_stats_code_json_keeps_its_shape(capsys, coded_file):
    code, out, _ = run(capsys, "stats", coded_file, "--json")
    whole = json.loads(out)
    code, out, err = run(capsys, "stats", coded_file, "--json", "--code", "c")
    assert code == 0, err
    limited = json.loads(out)

    def keys(d):
        return {k: keys(v) for k, v in d.items()} if isinstance(d, dict) else None

    assert keys(limited) == keys(whole)
    f1 = limited["firms"]["f1"]
    assert limited["study"]["events"] == f1["events"] == 3 and whole["study"]["events"] == 6
    assert f1["stages"]["intuiting"] == 1 and f1["stages"]["interpreting"] == 1
    assert f1["matrix"]["integrating"]["normative"] == 1 and f1["matrix"]["interpreting"]["mimetic"] == 0
    assert f1["flows"] == {"feed_forward": 1, "feedback": 1, "within": 0}
    assert f1["source_kinds"]["customer"] == 1 and f1["source_kinds"]["internal_staff"] == 0


def test_stats_code_text(capsys, coded_file):
    code, out, _ = run(capsys, "stats", coded_file, "--code", "c")
    assert code == 0
    assert "Only the events carrying the code “Change” (c)." in out
    assert "  events: 3" in out


@pytest.mark.parametrize("command", ["stats", "diagram"])
def test_unknown_code_exit_2_with_the_codes(capsys, coded_file, tmp_path, command):
    args = [command, coded_file, "--code", "zzz"] + (["-o", tmp_path / "d.svg"] if command == "diagram" else [])
    code, out, err = run(capsys, *args)
    assert code == 2
    assert err.strip() == ("no code 'zzz' in this study; its codes are: c (Change), other (Other things), "
                           "apart (Apart), sub (Part of change)")
    assert "Traceback" not in err and not (tmp_path / "d.svg").exists()


def test_diagram_code_draws_only_the_coded_events(capsys, coded_file, tmp_path):
    out = tmp_path / "c.svg"
    code, _, err = run(capsys, "diagram", coded_file, "--code", "c", "--engine", "wasm", "-o", out)
    assert code == 0, err
    root = ET.fromstring(out.read_text(encoding="utf-8"))
    ids = {g.get("id"): g.get("class") for g in root.iter(f"{SVG}g") if g.get("id")}
    assert {i for i in ids if i.startswith("event-")} == {"event-f1-e1", "event-f1-e3", "event-f1-e5"}
    edges = sorted(ids[i] for i in ids if i.startswith("flow-"))
    assert edges == ["edge flow feed_forward", "edge flow feedback"]  # e1 -> e3 (via e2), e3 -> e5
    text = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "only events coded “Change”" in text
    assert "Customer" in text and "Staff" not in text  # the sources the kept events name


def test_diagram_code_with_no_events_still_draws(capsys, write_json, tmp_path):
    doc = five_events()
    doc["codes"].append({"id": "none", "name": "Nothing yet"})
    code, _, err = run(capsys, "diagram", write_json(doc), "--code", "none", "--engine", "wasm",
                       "-o", tmp_path / "n.svg")
    assert code == 0, err
    svg = (tmp_path / "n.svg").read_text(encoding="utf-8")
    assert "event-f1-" not in svg


def test_help_says_how_flows_are_made(capsys):
    with pytest.raises(SystemExit):
        main(["diagram", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--code CODE" in out and "through events left out" in out and "next kept one" in out


# --------------------------------------------------------------------------- the window


@pytest.fixture
def coded_window(qtbot, tmp_path, monkeypatch, write_json):
    from workbench.gui.mainwindow import MainWindow

    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: pytest.fail(f"warning shown: {a[2]}"))
    path = write_json(five_events([{"from": "e1", "to": "e2"}, {"from": "e2", "to": "e3"},
                                   {"from": "e3", "to": "e5"}]))
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    assert w.open_path(str(path), json_target=str(tmp_path / "study.lpw"))
    w.select_firm("f1")
    yield w
    w.close_study()


def grid_rows(grid):
    return [[grid.verticalHeaderItem(r).text()] + [grid.item(r, c).text() for c in range(grid.columnCount())]
            for r in range(grid.rowCount())]


def choose(qtbot, combo, text):
    """Pick an entry of a combo box as a user does: focus it, then press
    Down until it shows ``text`` (Down moves the choice in a closed box)."""
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(combo.count()):
        if combo.currentText().strip() == text:
            return
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentText().strip() == text, f"no {text!r} in the box"


def test_matrix_codes_by_stage_and_limit(coded_window, qtbot):
    w = coded_window
    tab = w.matrix_tab
    w.tabs.setCurrentWidget(tab)
    assert [tab.limit.itemText(i) for i in range(tab.limit.count())] == [
        "All events", "Change", "    Part of change", "Other things", "Apart"]
    choose(qtbot, tab.cross, "Codes by stage")
    fw = w.session.framework
    assert [tab.grid.horizontalHeaderItem(c).text() for c in range(tab.grid.columnCount())] == \
        [st.label for st in fw.stages] + ["All stages"]
    study = w.session.study()
    m = code_stage_matrix(study.firms, study, fw)
    expected = [[("    " * r.depth) + r.code.name] + [str(m[r.code.id][st.id]) for st in fw.stages]
                + [str(sum(m[r.code.id].values()))] for r in code_tree(study)]
    assert grid_rows(tab.grid) == expected
    assert grid_rows(tab.grid)[0] == ["Change", "1", "1", "1", "0", "0", "3"]

    # limited to "Apart": the codes among e5 and e6
    choose(qtbot, tab.limit, "Apart")
    rows = {r[0].strip(): r[1:] for r in grid_rows(tab.grid)}
    assert rows["Apart"] == ["0", "1", "0", "0", "1", "2"]
    assert rows["Change"] == ["0", "1", "0", "0", "0", "1"]  # e5 carries both
    assert rows["Other things"][-1] == "0"
    assert "only events coded “Apart”" in tab.flows.text() and "Events: 2" in tab.flows.text()

    # back to stages by type, still limited: the narrowed matrix of the command line
    choose(qtbot, tab.cross, "Stages by learning type")
    counts = study_stats(narrow_study(study, "apart"))["study"]
    voc = vocabulary()
    voc_ids = list(voc.ids("learning_types"))
    assert [tab.grid.horizontalHeaderItem(c).text() for c in range(tab.grid.columnCount())] == \
        [voc.label("learning_types", t) for t in voc_ids] + ["All types"]
    for r, st in enumerate(fw.stages):
        for c, t in enumerate(voc_ids):
            assert tab.grid.item(r, c).text() == str(counts["matrix"][st.id][t])
    interpreting = [st.id for st in fw.stages].index("interpreting")
    assert tab.grid.item(interpreting, len(voc_ids)).text() == "1"

    choose(qtbot, tab.limit, "All events")
    assert "Events: 6" in tab.flows.text()


def test_matrix_limit_follows_a_new_code(coded_window, qtbot):
    w = coded_window
    tab = w.matrix_tab
    w.tabs.setCurrentWidget(tab)
    choose(qtbot, tab.limit, "Change")
    assert "Events: 3" in tab.flows.text()
    w.controller.set_field("events", "f1", "e2", "codes", ["other", "c"])  # e2 now carries "Change"
    qtbot.waitUntil(lambda: "Events: 4" in tab.flows.text(), timeout=3000)
    assert tab.limit.currentText() == "Change"


def drawn_events(svg: bytes) -> set[str]:
    root = ET.fromstring(svg)
    return {g.get("id") for g in root.iter(f"{SVG}g") if (g.get("id") or "").startswith("event-")}


def test_diagram_tab_code_combo(coded_window, qtbot):
    w = coded_window
    tab = w.diagram_tab
    w.tabs.setCurrentWidget(tab)
    tab.redraw()
    assert "event-f1-e2" in drawn_events(tab.svg)
    assert [tab.code.itemText(i) for i in range(tab.code.count())] == [
        "All events", "Change", "    Part of change", "Other things", "Apart"]
    choose(qtbot, tab.code, "Change")
    qtbot.waitUntil(lambda: tab.svg is not None and "event-f1-e2" not in drawn_events(tab.svg), timeout=5000)
    assert drawn_events(tab.svg) == {"event-f1-e1", "event-f1-e3", "event-f1-e5"}
    assert tab.status.text().startswith("3 of 6 events carry “Change”")
    out = tab.export(str(w.session.path.parent / "change.svg"))
    assert drawn_events(open(out, "rb").read()) == {"event-f1-e1", "event-f1-e3", "event-f1-e5"}
    choose(qtbot, tab.code, "All events")
    qtbot.waitUntil(lambda: tab.svg is not None and "event-f1-e2" in drawn_events(tab.svg), timeout=5000)


def test_framework_figure_code_counts_only_the_coded_events(capsys, coded_file, tmp_path):
    out = tmp_path / "fw.svg"
    code, _, err = run(capsys, "diagram", coded_file, "--kind", "framework", "--code", "c", "--engine", "wasm",
                       "-o", out)
    assert code == 0, err
    root = ET.fromstring(out.read_text(encoding="utf-8"))
    text = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "only events coded “Change”" in text and "feed-forward 1, feedback 1, within stage 0" in text
    stages = {g.get("id"): " ".join(t.text or "" for t in g.iter(f"{SVG}text"))
              for g in root.iter(f"{SVG}g") if (g.get("id") or "").startswith("stage-study-")}
    assert stages["stage-study-intuiting"].endswith("1 event")  # e1 (e4 carries only the child code)
    assert stages["stage-study-intertwining"].endswith("0 events")
