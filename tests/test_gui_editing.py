"""Editing in the window's tables as a user does it: keys, Tab, Enter,
Escape and clicks, then what the study file holds."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMessageBox, QPushButton

from conftest import minimal_study
from workbench.gui.mainwindow import MainWindow

# a Qt warning ("commitData called with an editor that does not belong to this view", ...) fails the test
# (the offscreen platform's own notice about size hints is no fault of the window)
pytestmark = [pytest.mark.qt_log_level_fail("WARNING"),
              pytest.mark.qt_log_ignore("does not support propagateSizeHints")]

DOC = "We had no idea. Then the college came."


@pytest.fixture
def errors(monkeypatch):
    seen = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: seen.append((title, text)))
    return seen


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, errors, write_json):
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.ini"))
    # a dialog would wait for a user who is not there: the test fails instead
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: pytest.fail(f"a dialog asked: {a[1:3]}"))
    doc = minimal_study()
    doc["firms"][0]["events"][0]["evidence"] = [
        {"quote": "We had no idea.", "document": "d1", "start": 0, "end": 15},
        {"quote": "Then the college came.", "document": "d1", "start": 16, "end": 38, "speaker": "Owner"},
    ]
    doc["firms"][0]["attributes"] = {"sector": "Printing"}
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    w.activateWindow()
    assert w.open_path(str(write_json(doc)), json_target=str(tmp_path / "s.lpw"))
    yield w
    w.close_study()


def focused():
    return QApplication.focusWidget()


def type_text(qtbot, text):
    """Each key to whatever has the focus then, as a keyboard does."""
    for ch in text:
        qtbot.keyClick(focused(), ch)
    QApplication.processEvents()


def key(qtbot, k, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(focused(), k, modifier)
    QApplication.processEvents()  # Enter commits from the event loop, as Qt queues it


def stored(w, table, firm, obj_id):
    return w.session.get(table, firm, obj_id)


def double_click(qtbot, view, index):
    view.scrollTo(index)  # as the user scrolls to a cell before clicking it
    pos = view.visualRect(index).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)  # the press before the double click
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def edit_cell(qtbot, view, index):
    """Make ``index`` current with a click, then F2, as a user opens an editor.
    (A click on a row already selected opens the editor by itself a moment
    later, and Qt ignores F2 until then: the user sees it open and types.)"""
    view.scrollTo(index)
    row_selected = view.selectionModel().isSelected(index)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center())
    if row_selected:
        qtbot.waitUntil(lambda: focused() is not view)
    else:
        qtbot.keyClick(view, Qt.Key.Key_F2)
    assert view.currentIndex() == index and focused() is not view  # an editor is open on the cell


# --------------------------------------------------------------------------- evidence grid


def open_event(w, event_id):
    tab = w.events_tab
    w.tabs.setCurrentWidget(tab)
    tab.select(event_id)
    return tab.detail


def test_evidence_add_quote_tab_speaker_enter(window, qtbot):
    detail = open_event(window, "e1")
    qtbot.mouseClick(detail.add_quote, Qt.MouseButton.LeftButton)
    type_text(qtbot, "The college came.")
    key(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "Manager")
    key(qtbot, Qt.Key.Key_Return)
    assert stored(window, "events", "f1", "e1")["evidence"] == [
        {"quote": "We had no idea.", "document": "d1", "start": 0, "end": 15},
        {"quote": "Then the college came.", "document": "d1", "start": 16, "end": 38, "speaker": "Owner"},
        {"quote": "The college came.", "speaker": "Manager"},
    ]


def test_evidence_speaker_of_an_anchored_quote_keeps_the_anchor(window, qtbot):
    detail = open_event(window, "e1")
    grid = detail.evidence
    double_click(qtbot, grid, grid.model().index(0, 1))
    type_text(qtbot, "Founder")
    key(qtbot, Qt.Key.Key_Return)
    assert stored(window, "events", "f1", "e1")["evidence"] == [
        {"quote": "We had no idea.", "document": "d1", "start": 0, "end": 15, "speaker": "Founder"},
        {"quote": "Then the college came.", "document": "d1", "start": 16, "end": 38, "speaker": "Owner"},
    ]


def test_evidence_editing_an_anchored_quote(window, qtbot):
    detail = open_event(window, "e1")
    grid = detail.evidence
    # shortened to a part of the anchored passage: the anchor follows it
    edit_cell(qtbot, grid, grid.model().index(1, 0))
    key(qtbot, Qt.Key.Key_End)
    key(qtbot, Qt.Key.Key_Backspace)
    key(qtbot, Qt.Key.Key_Return)
    ev = stored(window, "events", "f1", "e1")["evidence"]
    assert ev[1] == {"quote": "Then the college came", "document": "d1", "start": 16, "end": 37, "speaker": "Owner"}
    assert DOC[16:37] == ev[1]["quote"]
    # reworded: it no longer matches the document, the anchor goes and the user is told
    edit_cell(qtbot, grid, grid.model().index(0, 0))
    key(qtbot, Qt.Key.Key_Home)
    type_text(qtbot, "Honestly, ")
    key(qtbot, Qt.Key.Key_Return)
    ev = stored(window, "events", "f1", "e1")["evidence"]
    assert ev[0] == {"quote": "Honestly, We had no idea."}
    assert ev[1]["document"] == "d1"  # the other quote keeps its own
    assert "no longer matches" in detail.evidence_note.text() and detail.evidence_note.isVisible()
    assert "no longer matches" in window.statusBar().currentMessage()
    # the grid shows what is stored: the first quote's place can now be typed in
    assert grid.item(0, 2).text() == "" and grid.item(0, 2).flags() & Qt.ItemFlag.ItemIsEditable
    assert grid.item(1, 2).text() == "Interview, paragraph 1"  # where it stands, for a reader (its speaker is beside it)


def test_evidence_escape_stores_nothing(window, qtbot):
    detail = open_event(window, "e1")
    before = stored(window, "events", "f1", "e1")["evidence"]
    edit_cell(qtbot, detail.evidence, detail.evidence.model().index(0, 0))
    type_text(qtbot, "typed, then thought better of it")
    key(qtbot, Qt.Key.Key_Escape)
    assert stored(window, "events", "f1", "e1")["evidence"] == before
    assert detail.evidence.item(0, 0).text() == "We had no idea."
    # a quote added, then Escape: no empty row is left behind
    qtbot.mouseClick(detail.add_quote, Qt.MouseButton.LeftButton)
    assert detail.evidence.rowCount() == 3
    key(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: detail.evidence.rowCount() == 2)
    assert stored(window, "events", "f1", "e1")["evidence"] == before


# --------------------------------------------------------------------------- profile attributes


def open_profile(w):
    tab = w.profile_tab
    w.tabs.setCurrentWidget(tab)
    return tab


def test_attribute_add_name_tab_value_enter(window, qtbot):
    profile = open_profile(window)
    qtbot.mouseClick(profile.add_attribute, Qt.MouseButton.LeftButton)
    type_text(qtbot, "Employees abroad")
    key(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "90%")
    key(qtbot, Qt.Key.Key_Return)
    assert stored(window, "firms", None, "f1")["attributes"] == {"sector": "Printing", "Employees abroad": "90%"}
    # a second one, the value typed first: nothing is lost while the name is still missing
    qtbot.mouseClick(profile.add_attribute, Qt.MouseButton.LeftButton)
    key(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "family")
    key(qtbot, Qt.Key.Key_Return)
    assert profile.attributes.item(2, 1).text() == "family"
    assert "once its attribute has a name" in profile.attributes_note.text()
    edit_cell(qtbot, profile.attributes, profile.attributes.model().index(2, 0))
    type_text(qtbot, "Ownership")
    key(qtbot, Qt.Key.Key_Return)
    assert stored(window, "firms", None, "f1")["attributes"] == {
        "sector": "Printing", "Employees abroad": "90%", "Ownership": "family"}
    assert not profile.attributes_note.isVisible()
    # added, then thought better of: Escape leaves no empty row
    qtbot.mouseClick(profile.add_attribute, Qt.MouseButton.LeftButton)
    key(qtbot, Qt.Key.Key_Tab)
    key(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: profile.attributes.rowCount() == 3)
    assert len(stored(window, "firms", None, "f1")["attributes"]) == 3


# --------------------------------------------------------------------------- multi-line cells


def test_multi_line_cells_tab_commits_and_moves_on(window, qtbot):
    tab = window.routines_tab
    window.tabs.setCurrentWidget(tab)
    qtbot.mouseClick(next(b for b in tab.findChildren(QPushButton) if b.text() == "Add routine"),
                     Qt.MouseButton.LeftButton)
    new_id = tab.model.ids[-1]
    key(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_text(qtbot, "Toolbox talk")
    key(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "Foremen explain one new method")
    key(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "Methods shared")
    key(qtbot, Qt.Key.Key_Return)
    type_text(qtbot, "on site")
    key(qtbot, Qt.Key.Key_Tab)
    key(qtbot, Qt.Key.Key_Escape)
    r = stored(window, "routines", "f1", new_id)
    assert r["name"] == "Toolbox talk"
    assert r["activity"] == "Foremen explain one new method"
    assert r["outcome"] == "Methods shared\non site"
    assert "\t" not in repr(r)


def test_notes_cell_never_stores_a_tab(window, qtbot):
    tab = window.sources_tab
    window.tabs.setCurrentWidget(tab)
    notes = next(i for i, c in enumerate(tab.model.columns) if c.key == "notes")
    edit_cell(qtbot, tab.view, tab.model.index(0, notes))
    type_text(qtbot, "Big buyer")
    key(qtbot, Qt.Key.Key_Tab)
    assert stored(window, "sources", "f1", "cust")["notes"] == "Big buyer"
    assert focused() is not tab.view  # the next cell (scope, ...) is being edited
    key(qtbot, Qt.Key.Key_Escape)
    edit_cell(qtbot, tab.view, tab.model.index(1, notes))
    type_text(qtbot, "Owner and")
    key(qtbot, Qt.Key.Key_Return)
    type_text(qtbot, "two staff")
    key(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # saves, and leaves the cell
    assert stored(window, "sources", "f1", "staff")["notes"] == "Owner and\ntwo staff"
    assert focused() is tab.view and tab.view.currentIndex() == tab.model.index(1, notes)


# --------------------------------------------------------------------------- F2


def test_f2_edits_the_current_cell_and_renames_the_firm_in_the_firm_list(window, qtbot, monkeypatch):
    tab = window.events_tab
    window.tabs.setCurrentWidget(tab)
    title = next(i for i, c in enumerate(tab.model.columns) if c.key == "title")
    index = tab.model.index(1, title)
    assert not tab.view.selectionModel().isSelected(index)
    qtbot.mouseClick(tab.view.viewport(), Qt.MouseButton.LeftButton, pos=tab.view.visualRect(index).center())
    assert focused() is tab.view and tab.view.currentIndex() == index
    key(qtbot, Qt.Key.Key_F2)
    assert isinstance(focused(), QLineEdit)  # the cell's editor, not the Rename firm dialog
    key(qtbot, Qt.Key.Key_F2)  # F2 again, in the editor: nothing happens (the fixture fails on a dialog)
    key(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_text(qtbot, "Weekly meeting set up")
    key(qtbot, Qt.Key.Key_Return)
    assert stored(window, "events", "f1", "e2")["title"] == "Weekly meeting set up"
    assert window.firm_list.model().firms[0]["name"] == "Firm One"

    asked = []
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: asked.append(a) or ("Firm Uno", True))
    detail = open_event(window, "e1")  # the small grids too
    grid = detail.evidence
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=grid.visualRect(grid.model().index(1, 1)).center())
    key(qtbot, Qt.Key.Key_F2)
    key(qtbot, Qt.Key.Key_End)
    type_text(qtbot, " (founder)")
    key(qtbot, Qt.Key.Key_Return)
    assert stored(window, "events", "f1", "e1")["evidence"][1]["speaker"] == "Owner (founder)"

    window.firm_list.setFocus()
    qtbot.keyClick(window.firm_list, Qt.Key.Key_F2)
    assert stored(window, "firms", None, "f1")["name"] == "Firm Uno"


# --------------------------------------------------------------------------- reloads


def test_a_change_elsewhere_does_not_close_an_open_editor(window, qtbot):
    tab = window.events_tab
    window.tabs.setCurrentWidget(tab)
    title = next(i for i, c in enumerate(tab.model.columns) if c.key == "title")
    edit_cell(qtbot, tab.view, tab.model.index(2, title))
    key(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_text(qtbot, "The customer")
    # meanwhile a source is renamed (another tab, an undo): the events table waits for the editor
    window.controller.set_field("sources", "f1", "cust", "name", "Main customer")
    type_text(qtbot, " helps")
    key(qtbot, Qt.Key.Key_Return)
    assert stored(window, "events", "f1", "e3")["title"] == "The customer helps"
    qtbot.waitUntil(lambda: "Main customer" in tab.model.source_names.values())


def test_undo_from_the_menu_waits_for_the_open_editor(window, qtbot):
    tab = window.sources_tab
    window.tabs.setCurrentWidget(tab)
    name = next(i for i, c in enumerate(tab.model.columns) if c.key == "name")
    notes = next(i for i, c in enumerate(tab.model.columns) if c.key == "notes")
    edit_cell(qtbot, tab.view, tab.model.index(1, name))
    key(qtbot, Qt.Key.Key_End)  # the editor opens with its text selected
    type_text(qtbot, " team")
    key(qtbot, Qt.Key.Key_Return)
    assert stored(window, "sources", "f1", "staff")["name"] == "Staff team"
    edit_cell(qtbot, tab.view, tab.model.index(0, notes))
    type_text(qtbot, "Buys most")
    window.undo_slot.trigger()  # the menu, while the notes are being typed
    assert stored(window, "sources", "f1", "staff")["name"] == "Staff"
    type_text(qtbot, " of the output")
    key(qtbot, Qt.Key.Key_Tab)
    key(qtbot, Qt.Key.Key_Escape)
    assert stored(window, "sources", "f1", "cust")["notes"] == "Buys most of the output"
    qtbot.waitUntil(lambda: tab.model.object_at(1)["name"] == "Staff")  # the table caught up afterwards


def test_shift_tab_in_a_multi_line_cell_goes_back(window, qtbot):
    tab = window.routines_tab
    window.tabs.setCurrentWidget(tab)
    outcome = next(i for i, c in enumerate(tab.model.columns) if c.key == "outcome")
    edit_cell(qtbot, tab.view, tab.model.index(0, outcome))
    type_text(qtbot, "Shared agenda")
    key(qtbot, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    type_text(qtbot, "Staff meet")
    key(qtbot, Qt.Key.Key_Tab)
    key(qtbot, Qt.Key.Key_Escape)
    r = stored(window, "routines", "f1", "r1")
    assert (r["activity"], r["outcome"]) == ("Staff meet", "Shared agenda")


def test_title_edit_keeps_the_row_and_the_detail(window, qtbot):
    tab = window.events_tab
    window.tabs.setCurrentWidget(tab)
    title = next(i for i, c in enumerate(tab.model.columns) if c.key == "title")
    edit_cell(qtbot, tab.view, tab.model.index(2, title))
    key(qtbot, Qt.Key.Key_End)
    type_text(qtbot, " a lot")
    key(qtbot, Qt.Key.Key_Return)
    assert stored(window, "events", "f1", "e3")["title"] == "Customer helps a lot"
    assert tab.view.currentIndex().row() == 2 and tab.detail.event_id == "e3"
    assert tab.detail.heading.text() == "Customer helps a lot"


def test_a_quote_being_typed_stays_with_its_event(window, qtbot):
    detail = open_event(window, "e2")
    qtbot.mouseClick(detail.add_quote, Qt.MouseButton.LeftButton)
    type_text(qtbot, "We meet every Monday.")
    window.events_tab.select("e3")  # e.g. from Find, while the quote is still being typed
    assert stored(window, "events", "f1", "e2")["evidence"] == [{"quote": "We meet every Monday."}]
    assert "evidence" not in stored(window, "events", "f1", "e3")
    assert detail.event_id == "e3" and detail.evidence.rowCount() == 0


def test_rename_a_firm_in_the_firm_list(window, qtbot):
    fl = window.firm_list
    double_click(qtbot, fl, fl.model().index(0, 0))
    key(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_text(qtbot, "Firm Uno")
    key(qtbot, Qt.Key.Key_Return)
    assert stored(window, "firms", None, "f1")["name"] == "Firm Uno"
    assert fl.model().data(fl.model().index(0, 0)) == "Firm Uno"


def test_typing_in_the_detail_survives_a_change_and_stays_with_its_event(window, qtbot):
    detail = open_event(window, "e1")
    qtbot.mouseClick(detail.description.viewport(), Qt.MouseButton.LeftButton)
    type_text(qtbot, "The customer's auditor")
    window.controller.set_field("events", "f1", "e1", "memo", "Check the audit date")  # a change from elsewhere
    assert detail.description.toPlainText() == "The customer's auditor"
    type_text(qtbot, " failed us")
    qtbot.mouseClick(detail.actors, Qt.MouseButton.LeftButton)  # leaving the box saves it
    assert stored(window, "events", "f1", "e1")["description"] == "The customer's auditor failed us"
    type_text(qtbot, "Owner, auditor")
    window.events_tab.select("e2")  # from Find, say, while the actors are being typed
    assert stored(window, "events", "f1", "e1")["actors"] == ["Owner", "auditor"]
    assert "actors" not in stored(window, "events", "f1", "e2") and detail.actors.text() == ""


def test_escape_in_a_multi_line_cell_stores_nothing(window, qtbot):
    tab = window.sources_tab
    window.tabs.setCurrentWidget(tab)
    notes = next(i for i, c in enumerate(tab.model.columns) if c.key == "notes")
    edit_cell(qtbot, tab.view, tab.model.index(0, notes))
    type_text(qtbot, "Second thoughts")
    key(qtbot, Qt.Key.Key_Escape)
    assert "notes" not in stored(window, "sources", "f1", "cust")


def test_a_refused_quote_is_reported_and_the_grid_shows_what_is_stored(window, qtbot, errors):
    detail = open_event(window, "e1")
    before = stored(window, "events", "f1", "e1")["evidence"]
    double_click(qtbot, detail.evidence, detail.evidence.model().index(0, 1))
    type_text(qtbot, "x" * 501)  # longer than a speaker may be (500)
    key(qtbot, Qt.Key.Key_Return)
    assert errors and "speaker" in errors[-1][1]
    assert stored(window, "events", "f1", "e1")["evidence"] == before
    qtbot.waitUntil(lambda: detail.evidence.item(0, 1).text() == "")


def test_a_refused_cell_is_reported_and_the_next_cell_keeps_its_editor(window, qtbot, errors):
    tab = window.routines_tab
    window.tabs.setCurrentWidget(tab)
    name = next(i for i, c in enumerate(tab.model.columns) if c.key == "name")
    edit_cell(qtbot, tab.view, tab.model.index(0, name))
    type_text(qtbot, "x" * 501)  # longer than a name may be (500)
    key(qtbot, Qt.Key.Key_Tab)
    assert errors and "at most 500" in errors[-1][1]
    type_text(qtbot, "Staff meet")  # the activity's editor, opened by Tab, is still there
    key(qtbot, Qt.Key.Key_Tab)
    key(qtbot, Qt.Key.Key_Escape)
    r = stored(window, "routines", "f1", "r1")
    assert (r["name"], r["activity"]) == ("Weekly meeting", "Staff meet")
    qtbot.waitUntil(lambda: tab.model.object_at(0)["name"] == "Weekly meeting")


def test_editing_a_second_firms_profile_keeps_that_firm_in_view(window, qtbot):
    """Typed into the profile of the firm in view: the firm list keeps it
    selected, and the other tabs stay on it."""
    w = window
    w.add_firm("Second Firm")
    second = w.firm_id
    assert second != "f1"
    w.tabs.setCurrentWidget(w.profile_tab)
    box = next(iter(w.profile_tab.profile.values()))
    box.setFocus()
    box.selectAll()
    type_text(qtbot, "Family-owned")
    key(qtbot, Qt.Key.Key_Tab)
    stored_profile = w.session.get("firms", None, second).get("profile") or {}
    assert "Family-owned" in stored_profile.values()
    assert w.firm_id == second
    assert w.firm_list.currentIndex().row() == [f["id"] for f in w.session.firms()].index(second)
    w.tabs.setCurrentWidget(w.events_tab)
    assert w.events_tab.model.firm_id == second
