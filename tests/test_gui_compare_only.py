"""File → Compare with another coding: the events only one coding has. An
event only in theirs is brought into the study (Alt+B) at its place in time
order, with its coding and what it names that the study lacks, or refused
saying which; one only in mine is removed (Alt+R) or kept (Alt+K). Each is
one step, checked in what the study STORES, and undone by Ctrl+Z."""

import copy
import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from conftest import JM
from keys import focused, key

NEW_EVENT = {"id": "e5b", "title": "Trainer runs set-up workshops", "when": "year 1",
             "description": "A trainer from the college runs workshops on set-up reduction.",
             "stages": ["interpreting", "integrating"], "level": "group", "learning_types": ["normative"],
             "phase": "opening_up", "critical": True, "sources": ["trainer", "watson"],
             "routines": ["training_log"], "codes": ["workshops"],
             "evidence": [{"quote": "we had the trainer in every week", "speaker": "Works manager"}]}


def _theirs_doc():
    """Their coding of the sample study: BRW's e6 missing, and an event of
    their own after e5 naming a source, a routine and a code only they have
    (the source came through the college, the routine names the source, the
    code sits under another of theirs), led to e7."""
    doc = json.loads(JM.read_text(encoding="utf-8"))
    brw = doc["firms"][0]
    brw["events"] = [e for e in brw["events"] if e["id"] != "e6"]
    at = [e["id"] for e in brw["events"]].index("e5") + 1
    brw["events"].insert(at, copy.deepcopy(NEW_EVENT))
    brw["sources"].append({"id": "trainer", "name": "College trainer", "kind": "college", "via": "fe_college"})
    brw["routines"].append({"id": "training_log", "name": "Training log", "sources": ["trainer"]})
    brw["links"] = [{"from": "e5b", "to": "e7"}]
    doc["codes"] = [{"id": "people", "name": "People"},
                    {"id": "workshops", "name": "Workshops", "parent": "people", "description": "Training on site"}]
    return doc


def _compare(window, qtbot, monkeypatch, path):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    window.act_compare.trigger()
    dlg = window.compare_dialog
    qtbot.waitUntil(lambda: focused() is dlg.list)
    return dlg


def _click_only(qtbot, dlg, text):
    """Click the line of the events-in-one-coding-only list that holds ``text``."""
    row = next(i for i in range(dlg.only.count()) if text in dlg.only.item(i).text())
    rect = dlg.only.visualItemRect(dlg.only.item(row))
    qtbot.mouseClick(dlg.only.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: focused() is dlg.only and dlg.only.currentRow() == row)
    return row


def _ids(s, table, firm="brw"):
    return [o["id"] for o in s.objects(table, firm)]


@pytest.fixture
def compared(window, qtbot, tmp_path, monkeypatch):
    assert window.open_path(str(JM), json_target=str(tmp_path / "mine.lpw"))
    theirs = tmp_path / "theirs.study.json"
    theirs.write_text(json.dumps(_theirs_doc(), ensure_ascii=False), encoding="utf-8")
    return window, _compare(window, qtbot, monkeypatch, theirs)


def test_bring_their_event_in_with_what_it_names_and_undo(compared, qtbot, errors):
    window, dlg = compared
    s = window.session
    before_events, before_sources = _ids(s, "events"), _ids(s, "sources")
    before_routines, before_links = _ids(s, "routines"), s.links("brw")
    assert s.objects("codes", None) == []
    row = _click_only(qtbot, dlg, "e5b")
    shown = dlg.detail.toPlainText()
    assert NEW_EVENT["title"] in shown and NEW_EVENT["description"] in shown
    assert "Interpreting + Integrating" in shown and "we had the trainer in every week" in shown
    # what comes with it is said before it is done
    assert "source 'trainer' (College trainer)" in shown and "routine 'training_log'" in shown
    assert "code 'workshops'" in shown and "code 'people'" in shown
    assert dlg.only_buttons["bring"].isEnabled() and not dlg.only_buttons["remove"].isEnabled()
    steps = s.applied
    key(qtbot, Qt.Key.Key_B, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: "e5b" in _ids(s, "events"))
    assert s.applied == steps + 1  # one step
    # at its place in time order: after e5, as in their coding (before e6, which they lack)
    events = _ids(s, "events")
    assert events == before_events[:5] + ["e5b"] + before_events[5:]
    stored = s.get("events", "brw", "e5b")
    for k, v in NEW_EVENT.items():
        assert stored[k] == v, k
    assert _ids(s, "sources") == before_sources + ["trainer"]
    assert s.get("sources", "brw", "trainer")["via"] == "fe_college"
    assert _ids(s, "routines") == before_routines + ["training_log"]
    assert {c["id"]: c.get("parent") for c in s.objects("codes", None)} == {"workshops": "people", "people": None}
    assert [(ln["from"], ln["to"]) for ln in s.links("brw")] == \
        [(ln["from"], ln["to"]) for ln in before_links] + [("e5b", "e7")]
    assert dlg.only.item(row).text().endswith("brought into this study")
    assert not dlg.only_buttons["bring"].isEnabled()  # it is in the study now
    assert "Bring in their event brw.e5b" in dlg.status.text()
    assert not errors
    # Ctrl+Z takes it all back, and the list shows it undecided again
    key(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _ids(s, "events") == before_events and _ids(s, "sources") == before_sources
    assert _ids(s, "routines") == before_routines and s.objects("codes", None) == []
    assert s.links("brw") == before_links
    assert not dlg.only.item(row).text().endswith("study")
    assert dlg.only_buttons["bring"].isEnabled()
    # redo puts it back
    key(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert _ids(s, "events") == before_events[:5] + ["e5b"] + before_events[5:]


def test_remove_or_keep_my_event(compared, qtbot, errors):
    window, dlg = compared
    s = window.session
    before = _ids(s, "events")
    e6 = s.get("events", "brw", "e6")
    # from the disagreements, Tab reaches the list of events in one coding only
    key(qtbot, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: focused() is dlg.only)
    row = dlg.only.currentRow()
    assert dlg.only.item(row).text().startswith("Only in mine")
    assert "e6" in dlg.only.item(row).text() and e6["title"] in dlg.detail.toPlainText()
    assert not dlg.only_buttons["bring"].isEnabled()
    assert dlg.only_buttons["remove"].isEnabled() and dlg.only_buttons["keep"].isEnabled()
    # Alt+R removes it: one step
    steps = s.applied
    key(qtbot, Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: "e6" not in _ids(s, "events"))
    assert s.applied == steps + 1 and _ids(s, "events") == [e for e in before if e != "e6"]
    assert dlg.only.item(row).text().endswith("removed from this study") and e6["title"] in dlg.only.item(row).text()
    assert not dlg.only_buttons["remove"].isEnabled()
    # Ctrl+Z: back where it was, as it was
    key(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _ids(s, "events") == before and s.get("events", "brw", "e6") == e6
    assert not dlg.only.item(row).text().endswith("study")
    # Alt+K keeps it: nothing changes but the choice, which is one step too
    steps = s.applied
    key(qtbot, Qt.Key.Key_K, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: dlg.only.item(row).text().endswith("kept in this study"))
    assert s.applied == steps + 1 and _ids(s, "events") == before
    assert "1 of 2 settled" in dlg.status.text()
    key(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not dlg.only.item(row).text().endswith("study") and "0 of 2 settled" in dlg.status.text()
    assert not errors


def test_an_event_that_quotes_a_document_the_study_lacks_is_refused_saying_which(
        window, qtbot, tmp_path, monkeypatch, errors):
    assert window.open_path(str(JM), json_target=str(tmp_path / "mine.lpw"))
    doc = _theirs_doc()
    text = "Interview with the works manager: we had the trainer in every week."
    doc["documents"] = [{"id": "int-wm", "name": "Works manager interview", "text": text}]
    ev = next(e for e in doc["firms"][0]["events"] if e["id"] == "e5b")
    start = text.index("we had")
    ev["evidence"] = [{"quote": text[start:-1], "document": "int-wm", "start": start, "end": len(text) - 1}]
    theirs = tmp_path / "theirs.study.json"
    theirs.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    dlg = _compare(window, qtbot, monkeypatch, theirs)
    s = window.session
    before = {t: _ids(s, t) for t in ("events", "sources", "routines")}
    _click_only(qtbot, dlg, "e5b")
    assert "cannot be brought in" in dlg.detail.toPlainText() and "int-wm" in dlg.detail.toPlainText()
    steps = s.applied
    key(qtbot, Qt.Key.Key_B, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: bool(errors))
    message = errors[-1][1]
    assert "e5b" in message and "document 'int-wm'" in message and "does not hold" in message
    # nothing was changed, nothing was added to the history
    assert s.applied == steps and {t: _ids(s, t) for t in before} == before
    assert s.objects("codes", None) == []


def test_a_dated_event_goes_to_its_place_in_time_order(window, qtbot, tmp_path, monkeypatch, errors):
    """Both codings dated; their new event is last in their list but dated
    between two of mine, so it goes between them."""
    mine = json.loads(JM.read_text(encoding="utf-8"))
    for i, e in enumerate(mine["firms"][0]["events"]):
        e["date"] = f"{1998 + i}"
    path = tmp_path / "mine.study.json"
    path.write_text(json.dumps(mine, ensure_ascii=False), encoding="utf-8")
    assert window.open_path(str(path), json_target=str(tmp_path / "mine.lpw"))
    theirs = copy.deepcopy(mine)
    theirs["firms"][0]["events"].append({"id": "late-find", "title": "Found later", "date": "2001-06",
                                         "stages": ["intuiting"]})
    tpath = tmp_path / "theirs.study.json"
    tpath.write_text(json.dumps(theirs, ensure_ascii=False), encoding="utf-8")
    dlg = _compare(window, qtbot, monkeypatch, tpath)
    s = window.session
    before = _ids(s, "events")
    _click_only(qtbot, dlg, "late-find")
    key(qtbot, Qt.Key.Key_B, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: "late-find" in _ids(s, "events"))
    # e4 is dated 2001: 2001-06 falls in it, so after it and before e5 (2002)
    assert _ids(s, "events") == before[:4] + ["late-find"] + before[4:]
    assert s.get("events", "brw", "late-find")["stages"] == ["intuiting"]
    key(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _ids(s, "events") == before
    assert not errors


def test_an_event_of_a_firm_the_study_lacks_is_refused(window, qtbot, tmp_path, monkeypatch, errors):
    assert window.open_path(str(JM), json_target=str(tmp_path / "mine.lpw"))
    doc = _theirs_doc()
    doc["firms"].append({"id": "newco", "name": "New Co", "events": [{"id": "n1", "title": "Founded"}]})
    theirs = tmp_path / "theirs.study.json"
    theirs.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    dlg = _compare(window, qtbot, monkeypatch, theirs)
    s = window.session
    steps = s.applied
    _click_only(qtbot, dlg, "n1")
    assert "firm 'newco' (New Co) is not in this study" in dlg.detail.toPlainText()
    key(qtbot, Qt.Key.Key_B, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: bool(errors))
    assert "n1" in errors[-1][1] and "firm 'newco' (New Co) is not in this study" in errors[-1][1]
    assert s.applied == steps and [f["id"] for f in s.firms()] == ["brw", "rsl", "dmf"]
