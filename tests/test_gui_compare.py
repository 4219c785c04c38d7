"""File → Compare with another coding: the disagreements between the open
study (mine) and another coder's file (theirs), each settled as a user
does it (keyboard in the list, the buttons' Alt keys, the picker, Ctrl+Z),
with what the study STORES checked after each choice and each undo."""

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from conftest import JM
from keys import focused, key
from workbench import coders
from workbench.core.agreement import LABELS
from workbench.core.frameworks import framework, vocabulary


def _theirs(tmp_path):
    """A second coder's coding of the sample study: BRW's e1 coded at
    another stage, e2 not critical, e3 mimetic first, e4 in another phase;
    e6 missing, and an event of their own."""
    doc = json.loads(JM.read_text(encoding="utf-8"))
    events = {e["id"]: e for e in doc["firms"][0]["events"]}
    events["e1"]["stages"] = ["interpreting"]
    events["e2"].pop("critical")
    events["e3"]["learning_types"] = ["mimetic", "normative"]
    events["e4"]["phase"] = "institutionalisation"
    doc["firms"][0]["events"] = [e for e in doc["firms"][0]["events"] if e["id"] != "e6"]
    doc["firms"][0]["events"].append({"id": "e99", "title": "Their own event", "stages": ["intuiting"]})
    path = tmp_path / "theirs.study.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def compared(window, qtbot, tmp_path, monkeypatch):
    """The sample study open, compared (through the File menu) with theirs."""
    assert window.open_path(str(JM), json_target=str(tmp_path / "mine.lpw"))
    theirs = _theirs(tmp_path)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(theirs), ""))
    assert window.act_compare.isEnabled()
    window.act_compare.trigger()
    dlg = window.compare_dialog
    assert dlg is not None and dlg.isVisible()
    qtbot.waitUntil(lambda: focused() is dlg.list)
    return window, dlg, theirs


def _stored(window, event):
    return window.session.get("events", "brw", event)


def _row(dlg):
    return dlg.list.indexOfTopLevelItem(dlg.list.currentItem())


def _decision(dlg, row):
    return dlg.list.topLevelItem(row).text(4)


def _alt(qtbot, k, done):
    """A button's Alt key, as a user presses it: Qt clicks the button a moment later."""
    key(qtbot, k, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(done)


def test_summary_list_and_detail_show_both_codings(compared, tmp_path):
    window, dlg, theirs = compared
    expected = coders.compare_files(window.session.path, theirs)
    # the agreement summary: the numbers of `workbench compare`, per dimension
    dims = list(expected["dimensions"])
    assert [dlg.summary.horizontalHeaderItem(c).text().replace("\n", " ") for c in range(len(dims))] == \
        [LABELS[d] for d in dims]
    for c, d in enumerate(dims):
        m = expected["dimensions"][d]
        assert dlg.summary.item(0, c).text() == str(m["units"])
        assert dlg.summary.item(1, c).text() == coders._pct(m["agreement"])
        assert dlg.summary.item(2, c).text() == ("–" if m["cohen_kappa"] is None else f"{m['cohen_kappa']:.3f}")
        assert dlg.summary.item(3, c).text() == ("–" if m["krippendorff_alpha"] is None
                                                 else f"{m['krippendorff_alpha']:.3f}")
    # every disagreement listed, in the comparison's order
    rows = [(d["event"], d["dimension"]) for d in expected["disagreements"]]
    assert rows == [("e1", "primary_stage"), ("e1", "stages"), ("e2", "critical"),
                    ("e3", "primary_learning_type"), ("e3", "learning_types"), ("e4", "phase")]
    assert dlg.list.topLevelItemCount() == len(rows)
    first = dlg.list.topLevelItem(0)
    assert "e1" in first.text(0) and first.text(1) == "Primary stage"
    assert (first.text(2), first.text(3)) == ("Intuiting", "Interpreting")
    # the event, its evidence with the speaker, and both codes' definitions
    shown = dlg.detail.toPlainText()
    ev = _stored(window, "e1")
    assert ev["title"] in shown and ev["description"] in shown
    quote = ev["evidence"][0]
    assert quote["quote"] in shown and quote["speaker"] in shown
    fw = framework("5I")
    assert fw.stage("intuiting").definition[:60] in shown and fw.stage("interpreting").definition[:60] in shown
    # events in one coding only
    only = [dlg.only.item(i).text() for i in range(dlg.only.count())]
    assert any(t.startswith("Only in mine") and "e6" in t for t in only)
    assert any(t.startswith("Only in theirs") and "e99" in t and "Their own event" in t for t in only)


def test_each_choice_is_one_undoable_step(compared, qtbot):
    window, dlg, theirs = compared
    s = window.session
    assert _row(dlg) == 0
    # e1's primary stage: take theirs (Alt+T); theirs comes first, the rest kept
    _alt(qtbot, Qt.Key.Key_T, lambda: _decision(dlg, 0) == "Took theirs")
    assert _stored(window, "e1")["stages"] == ["interpreting", "intuiting"]
    assert _row(dlg) == 1 and focused() is dlg.list  # on to the next undecided
    # Ctrl+Z: the choice is undone in the study and in the list
    key(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _stored(window, "e1")["stages"] == ["intuiting"]
    assert _decision(dlg, 0) == ""
    dlg.list.setCurrentItem(dlg.list.topLevelItem(0))
    assert "not decided yet" in dlg.detail.toPlainText()
    assert "Now in this study" in dlg.detail.toPlainText()
    # redo brings it back
    key(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert _stored(window, "e1")["stages"] == ["interpreting", "intuiting"]
    assert _decision(dlg, 0) == "Took theirs"
    # the set of stages (row 1): theirs, keeping the primary just chosen
    dlg.list.setFocus()
    key(qtbot, Qt.Key.Key_Down)
    assert _row(dlg) == 1
    qtbot.mouseClick(dlg.buttons["theirs"], Qt.MouseButton.LeftButton)
    assert _stored(window, "e1")["stages"] == ["interpreting"]
    assert _decision(dlg, 1) == "Took theirs"
    # e2 critical (row 2): keep mine; nothing changes in the study, but it is one step
    assert _row(dlg) == 2
    steps = s.applied
    _alt(qtbot, Qt.Key.Key_M, lambda: _decision(dlg, 2) == "Kept mine")
    assert _stored(window, "e2")["critical"] is True and s.applied == steps + 1
    key(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _decision(dlg, 2) == "" and _stored(window, "e2")["critical"] is True
    assert _stored(window, "e1")["stages"] == ["interpreting"]  # only the last choice was taken back
    dlg.list.setCurrentItem(dlg.list.topLevelItem(2))
    dlg.list.setFocus()
    _alt(qtbot, Qt.Key.Key_M, lambda: _decision(dlg, 2) == "Kept mine")
    # e3 primary learning type (row 3): set another, from the picker, by keyboard
    assert _row(dlg) == 3
    _alt(qtbot, Qt.Key.Key_S, lambda: getattr(dlg, "picker", None) is not None and dlg.picker.isVisible())
    picker = dlg.picker
    qtbot.waitUntil(lambda: focused() is picker.list)
    ids = vocabulary().ids("learning_types")
    assert picker.list.currentItem().data(Qt.ItemDataRole.UserRole) == "normative"  # what the study holds
    key(qtbot, Qt.Key.Key_Down)
    key(qtbot, Qt.Key.Key_Down)
    assert picker.definition.text() == vocabulary().term("learning_types", ids[2]).definition
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _decision(dlg, 3).startswith("Set"))
    assert _stored(window, "e3")["learning_types"] == [ids[2], "normative"]
    # e3's set of learning types (row 4): tick mimetic too (Space), Enter
    dlg.activateWindow()
    qtbot.waitUntil(lambda: focused() is dlg.list)
    assert _row(dlg) == 4
    _alt(qtbot, Qt.Key.Key_S, lambda: dlg.picker is not picker and dlg.picker.isVisible())
    picker = dlg.picker
    qtbot.waitUntil(lambda: focused() is picker.list)
    ticked = [picker.list.item(i).checkState() == Qt.CheckState.Checked for i in range(picker.list.count())]
    assert ticked == [True, False, True]  # normative and coercive, as stored now
    assert picker.list.currentItem().data(Qt.ItemDataRole.UserRole) == "normative"
    key(qtbot, Qt.Key.Key_Down)
    assert picker.list.currentItem().data(Qt.ItemDataRole.UserRole) == "mimetic"
    key(qtbot, Qt.Key.Key_Space)
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _decision(dlg, 4).startswith("Set"))
    # the primary chosen before stays first; the set is the ticked one
    assert _stored(window, "e3")["learning_types"] == ["coercive", "normative", "mimetic"]
    # e4's phase (row 5): take theirs; now all are decided
    dlg.activateWindow()
    qtbot.waitUntil(lambda: focused() is dlg.list)
    assert _row(dlg) == 5
    qtbot.mouseClick(dlg.buttons["theirs"], Qt.MouseButton.LeftButton)
    assert _stored(window, "e4")["phase"] == "institutionalisation"
    assert "consensus" in dlg.status.text()
    # the open study is the consensus: compared with theirs again, only what was
    # kept or set otherwise still differs
    left = coders.compare_files(s.path, theirs)["disagreements"]
    assert {(d["event"], d["dimension"]) for d in left} == {("e2", "critical"), ("e3", "primary_learning_type"),
                                                            ("e3", "learning_types")}
    # Ctrl+Z in the main window's history reaches the list too
    window.controller.undo_stack.undo()
    assert _stored(window, "e4")["phase"] == "knowledge_sharing" and _decision(dlg, 5) == ""
    assert "consensus" not in dlg.status.text()


def test_comparing_with_a_file_that_is_not_a_study_says_where(window, tmp_path, errors):
    assert window.open_path(str(JM), json_target=str(tmp_path / "mine.lpw"))
    bad = tmp_path / "bad.study.json"
    bad.write_text('{"format": "lpw-study", "version": 1, "title": "x", "framework": "5I", "firms": [{"id": 3}]}',
                   encoding="utf-8")
    assert window.compare_with(str(bad)) is None
    assert errors and errors[-1][0] == "Cannot compare with that file" and "bad.study.json" in errors[-1][1]
    # the study itself is no other coding
    assert window.compare_with(str(window.session.path)) is None
    assert "the study open here" in errors[-1][1]


def test_taking_their_code_brings_the_code_with_it(window, qtbot, tmp_path, write_json, study_doc):
    """The study's own codes are a dimension too; taking theirs where they
    used a code this study lacks adds their code, in the same step."""
    mine = dict(study_doc, codes=[{"id": "c1", "name": "Cost pressure"}])
    mine["firms"][0]["events"][0]["codes"] = ["c1"]
    theirs = json.loads(json.dumps(study_doc))
    theirs["codes"] = [{"id": "c1", "name": "Cost pressure"},
                       {"id": "c2", "name": "Customer push", "description": "The customer makes the firm act."}]
    theirs["firms"][0]["events"][0]["codes"] = ["c2"]
    assert window.open_path(str(write_json(mine, "mine.study.json")), json_target=str(tmp_path / "mine.lpw"))
    dlg = window.compare_with(str(write_json(theirs, "theirs.study.json")))
    rows = [(d["event"], d["dimension"]) for d in dlg.rows]
    assert rows == [("e1", "codes")]
    assert "Customer push" in dlg.list.topLevelItem(0).text(3)
    assert "The customer makes the firm act." in dlg.detail.toPlainText()
    s = window.session
    qtbot.mouseClick(dlg.buttons["theirs"], Qt.MouseButton.LeftButton)
    assert s.get("events", "f1", "e1")["codes"] == ["c2"]
    assert [c["id"] for c in s.objects("codes", None)] == ["c1", "c2"]
    assert s.undo_label() == "Take theirs: f1.e1 the study's own codes"
    dlg.undo_button.click()
    assert s.get("events", "f1", "e1")["codes"] == ["c1"]
    assert [c["id"] for c in s.objects("codes", None)] == ["c1"]
    assert dlg.list.topLevelItem(0).text(4) == ""


def test_every_column_in_view_on_a_small_window(compared, qtbot):
    """On a window narrower than a laptop screen the Decision column is in
    view (no sideways scrolling) and the summary's headings are whole."""
    _, dlg, _ = compared
    dlg.resize(1020, 720)
    qtbot.waitUntil(lambda: dlg.list.viewport().width() > 0)
    qtbot.wait(50)
    assert not dlg.list.horizontalScrollBar().isVisible()
    header = dlg.list.header()
    assert header.sectionViewportPosition(4) + header.sectionSize(4) <= dlg.list.viewport().width()
    metrics = dlg.summary.horizontalHeader().fontMetrics()
    for c in range(dlg.summary.columnCount()):
        widest = max(metrics.horizontalAdvance(line)
                     for line in dlg.summary.horizontalHeaderItem(c).text().split("\n"))
        assert widest <= dlg.summary.columnWidth(c), dlg.summary.horizontalHeaderItem(c).text()
    dlg.grab().save("/tmp/compare-small.png")
