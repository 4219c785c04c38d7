"""Merge conflicts settled in the window: a real conflict made with
``workbench merge`` (``coders.merge_files``) on two edited copies of the
sample study, opened, and each conflict settled through the study's
session as one step of the history (undo puts it back)."""

import copy
import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from conftest import JM
from keys import focused, key
from workbench import coders, services
from workbench.core.merge import resolve
from workbench.session import Session


def _edited_copies(tmp_path):
    """base, ours, theirs: three versions of the sample study, each side
    changing the same fields differently, removing what the other changed,
    and each adding an event of its own (a clean part of the merge)."""
    base = json.loads(JM.read_text(encoding="utf-8"))
    brw = base["firms"][0]
    brw["links"] = [{"from": "e1", "to": "e4", "label": "leads to"}]
    ours, theirs = copy.deepcopy(base), copy.deepcopy(base)
    o, t = ours["firms"][0], theirs["firms"][0]
    ours["title"], theirs["title"] = "Ours: three SMEs", "Theirs: three SMEs"
    o["events"][0]["stages"], t["events"][0]["stages"] = ["integrating"], ["interpreting", "intuiting"]
    # e2: we remove it, they retitle it
    o["events"] = [e for e in o["events"] if e["id"] != "e2"]
    t["events"][1]["title"] = "BRW fails two supplier audits"
    # e3: we describe it anew, they remove it
    next(e for e in o["events"] if e["id"] == "e3")["description"] = "Ours: the college programme."
    t["events"] = [e for e in t["events"] if e["id"] != "e3"]
    # an extension key of an event, added differently on both sides (no base)
    o["events"][0]["x-note"], t["events"][0]["x-note"] = "ours", "theirs"
    o["links"][0]["label"], t["links"][0]["label"] = "prompts", "forces"
    ours["firms"][1]["name"], theirs["firms"][1]["name"] = "RSL (ours)", "RSL (theirs)"
    o["events"].append({"id": "e90", "title": "Our new event", "stages": ["intuiting"]})
    t["events"].append({"id": "e91", "title": "Their new event", "stages": ["integrating"]})
    paths = []
    for name, doc in (("base", base), ("ours", ours), ("theirs", theirs)):
        p = tmp_path / f"{name}.study.json"
        p.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        paths.append(p)
    return paths


@pytest.fixture
def merged(tmp_path):
    """The merged file, with its conflicts, as ``workbench merge`` leaves it."""
    base, ours, theirs = _edited_copies(tmp_path)
    conflicts = coders.merge_files(base, ours, theirs)
    assert len(conflicts) == 7, [c["path"] for c in conflicts]
    return ours


def _exported(study, tmp_path, name="out.study.json"):
    out = tmp_path / name
    services.export(study, out)
    return json.loads(out.read_text(encoding="utf-8"))


def _canonical(doc):
    return json.loads(coders._canonical(doc, "expected"))


@pytest.mark.parametrize("side", ["ours", "theirs", "base"])
def test_each_conflict_settled_as_merge_resolve_would(merged, tmp_path, side):
    """Every conflict, settled through the session, leaves the study the
    file ``core.merge.resolve`` makes of the merged file; undo gives back
    the study as it was, its record with it."""
    doc = json.loads(merged.read_text(encoding="utf-8"))
    lpw = tmp_path / "merged.lpw"
    services.import_file(lpw, merged)
    before = _exported(lpw, tmp_path, "before.study.json")
    assert before["x-conflicts"] == doc["x-conflicts"]
    for i, record in enumerate(doc["x-conflicts"]):
        with Session(lpw) as s:
            s.resolve_conflict(i, side)
            assert len(s.conflicts()) == len(doc["x-conflicts"]) - 1
            got = _exported(lpw, tmp_path)
            assert got == _canonical(resolve(doc, i, side)), record["path"]
            s.undo()
            assert _exported(lpw, tmp_path) == before, record["path"]


def test_settling_all_removes_the_record_and_a_broken_rule_is_marked_settled(merged, tmp_path):
    lpw = tmp_path / "merged.lpw"
    services.import_file(lpw, merged)
    with Session(lpw) as s:
        while s.conflicts():
            s.resolve_conflict(0, "theirs")
        assert "x-conflicts" not in s.meta()
        # a rule the merge broke is no choice between versions: marked settled only
        s.set_study_field("x-conflicts", [{"path": "firms[brw].events[e1].sources[0]",
                                           "problem": "no source 'gone' in firm 'brw'"}])
        with pytest.raises(Exception, match="no source 'gone'"):
            s.resolve_conflict(0, "ours")
        s.settle_conflict(0)
        assert "x-conflicts" not in s.meta()
        s.undo()
        assert s.conflicts()[0]["problem"] == "no source 'gone' in firm 'brw'"


def test_importing_a_merged_file_brings_its_conflicts_once(merged, tmp_path):
    doc = json.loads(merged.read_text(encoding="utf-8"))
    lpw = tmp_path / "other.lpw"
    with Session(lpw, create={"title": "Other", "framework": "5I"}) as s:
        s.import_json(merged)
        assert s.conflicts() == doc["x-conflicts"]
        s.undo()
        assert s.conflicts() == []


# --------------------------------------------------------------------------- the window


def _conflicts_dialog(window):
    dlg = window.conflicts_dialog
    assert dlg is not None and dlg.isVisible()
    return dlg


def test_window_offers_and_settles_conflicts_with_keys_and_undo(window, qtbot, merged, tmp_path, monkeypatch,
                                                                 errors):
    """Open the merged file as a user does: the window offers to settle
    its conflicts; each is chosen in the list by keyboard and a button, and
    Ctrl+Z puts it back."""
    asked = []

    def answer(parent, title, text, *a, **k):
        asked.append((title, text))
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    doc = json.loads(merged.read_text(encoding="utf-8"))
    assert window.open_path(str(merged), json_target=str(tmp_path / "merged.lpw"))
    assert asked and "7" in asked[0][1]
    dlg = _conflicts_dialog(window)
    qtbot.waitUntil(lambda: focused() is dlg.list)  # the list has the keyboard, as a user finds it
    s = window.session
    assert dlg.list.count() == 7
    # down to the conflict on brw.e1's stages, and take theirs
    at = next(i for i, r in enumerate(doc["x-conflicts"]) if r["path"] == "firms[brw].events[e1].stages")
    for _ in range(at):
        key(qtbot, Qt.Key.Key_Down)
    assert focused() is dlg.list and dlg.list.currentRow() == at
    shown = dlg.detail.toPlainText()  # base, ours and theirs, by the stages' names
    assert "Intuiting" in shown and "Integrating" in shown and "Interpreting + Intuiting" in shown
    qtbot.mouseClick(dlg.buttons["theirs"], Qt.MouseButton.LeftButton)
    assert s.get("events", "brw", "e1")["stages"] == ["interpreting", "intuiting"]
    assert len(s.conflicts()) == 6
    assert dlg.list.count() == 6
    # Ctrl+Z in the conflicts window takes it back: the record and ours again
    dlg.list.setFocus()
    key(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert s.get("events", "brw", "e1")["stages"] == ["integrating"]
    assert len(s.conflicts()) == 7 and dlg.list.count() == 7
    # the title: base, with the keyboard's Alt+B
    at = next(i for i, r in enumerate(s.conflicts()) if r["path"] == "title")
    dlg.list.setCurrentRow(at)
    dlg.list.setFocus()
    key(qtbot, Qt.Key.Key_B, Qt.KeyboardModifier.AltModifier)  # a button's shortcut clicks it a moment later
    qtbot.waitUntil(lambda: len(s.conflicts()) == 6)
    assert s.meta()["title"] == doc["x-conflicts"][at]["base"]
    # the rest, ours each time (Alt+O), until none is left
    dlg.list.setFocus()
    while s.conflicts():
        left = len(s.conflicts())
        key(qtbot, Qt.Key.Key_O, Qt.KeyboardModifier.AltModifier)
        qtbot.waitUntil(lambda: len(s.conflicts()) == left - 1)
    assert "x-conflicts" not in s.meta()
    assert "settled" in dlg.status.text().lower()
    assert s.get("events", "brw", "e1")["stages"] == ["integrating"]
    assert s.get("events", "brw", "e1")["x-note"] == "ours"
    assert not errors
    dlg.close()


def _rule_broken(tmp_path):
    """A merge whose sides fit alone but not together: we remove a source,
    they add an event naming it. The merged file keeps ours and records
    the broken rule."""
    base = json.loads(JM.read_text(encoding="utf-8"))
    ours, theirs = copy.deepcopy(base), copy.deepcopy(base)
    firm = ours["firms"][0]
    firm["sources"] = [s for s in firm["sources"] if s["id"] != "lucas"]
    for obj in firm["sources"] + firm.get("routines", []) + firm["events"]:
        if "lucas" in (obj.get("sources") or []):
            obj["sources"] = [s for s in obj["sources"] if s != "lucas"]
            if not obj["sources"]:
                del obj["sources"]
        if obj.get("via") == "lucas":
            del obj["via"]
    theirs["firms"][0]["events"].append({"id": "e92", "title": "Lucas visits again", "sources": ["lucas"]})
    paths = []
    for name, doc in (("base", base), ("ours", ours), ("theirs", theirs)):
        p = tmp_path / f"rb-{name}.study.json"
        p.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        paths.append(p)
    records = coders.merge_files(*paths)
    assert records and all("problem" in r for r in records)
    return paths[1], records


def test_imported_merge_offered_and_a_broken_rule_marked_settled(window, qtbot, tmp_path, monkeypatch, errors):
    """File → Import of a merged file into an open study brings its
    conflicts, and the window offers them; a broken rule shows its problem,
    cannot be taken from a side, and is marked settled (Alt+M), undoably."""
    from PySide6.QtWidgets import QFileDialog

    merged, records = _rule_broken(tmp_path)
    assert window.new_study(str(tmp_path / "team.lpw"), "Team study", "5I")
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda parent, title, text, *a, **k: asked.append(text) or QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(merged), ""))
    window.act_import.trigger()
    s = window.session
    assert [f["id"] for f in s.firms()] == ["brw", "rsl", "dmf"]
    assert s.conflicts() == records and asked and "rules the merge broke" in asked[0]
    dlg = _conflicts_dialog(window)
    qtbot.waitUntil(lambda: focused() is dlg.list)
    assert dlg.list.count() == 1 and records[0]["problem"] in dlg.list.item(0).text()
    assert records[0]["problem"] in dlg.detail.toPlainText()
    assert not any(dlg.buttons[side].isEnabled() for side in ("ours", "theirs", "base"))
    assert dlg.buttons["settled"].isEnabled()
    key(qtbot, Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: not s.conflicts())
    assert "x-conflicts" not in s.meta() and dlg.list.count() == 0
    assert "settled" in dlg.status.text()
    key(qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert s.conflicts() == records and dlg.list.count() == 1
    # undoing the import itself takes its conflicts with it
    window.controller.undo_stack.undo()
    assert s.firms() == [] and s.conflicts() == [] and dlg.list.count() == 0
    assert not errors


def test_no_offer_for_a_study_without_conflicts(window, tmp_path, monkeypatch):
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Yes)
    assert window.open_path(str(JM), json_target=str(tmp_path / "plain.lpw"))
    assert not asked and getattr(window, "conflicts_dialog", None) is None
    # asked for anyway, the list says there is nothing to settle
    dlg = window.show_conflicts()
    assert dlg.list.count() == 0 and "no merge conflicts" in dlg.status.text()
    assert not any(b.isEnabled() for b in dlg.buttons.values())


def test_a_conflict_on_what_is_gone_is_refused_with_where(merged, tmp_path):
    lpw = tmp_path / "merged.lpw"
    services.import_file(lpw, merged)
    with Session(lpw) as s:
        at = next(i for i, r in enumerate(s.conflicts()) if r["path"] == "firms[brw].events[e1].stages")
        s.delete("events", "brw", "e1")
        before = s.conflicts()
        with pytest.raises(Exception, match=r"firms\[brw\]\.events\[e1\]\.stages: event 'e1' is no longer"):
            s.resolve_conflict(at, "theirs")
        assert s.conflicts() == before  # nothing changed
        s.settle_conflict(at)  # kept as it is (deleted): marked settled
        assert len(s.conflicts()) == len(before) - 1
