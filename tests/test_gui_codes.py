"""The Codes panel, codes on events and the evidence grid's Where and Find
in documents, as a user works them: keys and clicks, then what the study
stores, then Edit → Undo."""

import copy
import json

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox

from conftest import TRAINING
from workbench.gui.mainwindow import MainWindow

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"),
              pytest.mark.qt_log_ignore("does not support propagateSizeHints")]

CODES = [{"id": "standards", "name": "Meeting standards", "colour": "#1F77B4"},
         {"id": "thermal", "name": "Thermal rating", "parent": "standards"},
         {"id": "voice", "name": "Shop-floor voice", "description": "Staff are asked and heard"}]


def training(codes=True):
    doc = json.loads(TRAINING.read_text(encoding="utf-8"))
    if codes:
        doc["codes"] = copy.deepcopy(CODES)
        events = {e["id"]: e for e in doc["firms"][0]["events"]}
        events["e1"]["codes"] = ["standards", "thermal"]
        events["e7"]["codes"] = ["standards"]
        events["e4"]["codes"] = ["voice"]
        events["e4"]["evidence"][1]["codes"] = ["voice"]
        foreman = next(d for d in doc["documents"] if d["id"] == "int-foreman")
        start = foreman["text"].index("Nobody had asked Jamie")
        foreman["passages"] = [{"id": "p1", "start": start, "end": start + 38, "codes": ["voice"]}]
    return doc


@pytest.fixture
def errors(monkeypatch):
    seen = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: seen.append((title, text)))
    return seen


def open_window(qtbot, tmp_path, monkeypatch, doc):
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.ini"))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: pytest.fail(f"a dialog asked: {a[1:3]}"))
    path = tmp_path / "study.study.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    w.activateWindow()
    assert w.open_path(str(path), json_target=str(tmp_path / "s.lpw"))
    return w


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, errors):
    w = open_window(qtbot, tmp_path, monkeypatch, training())
    yield w
    w.close_study()


def focused():
    return QApplication.focusWidget()


def type_text(qtbot, text):
    for ch in text:
        qtbot.keyClick(focused(), ch)
    QApplication.processEvents()


def key(qtbot, k, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(focused(), k, modifier)
    QApplication.processEvents()


def settle(qtbot):
    qtbot.wait(10)  # the panel shows an edit from the event loop, not under the editor that made it
    QApplication.processEvents()


def codes_panel(w, qtbot):
    w.view_menu_action = next(a for a in w.view_menu.actions() if a.text() == "Codes panel")
    if not w.codes_dock.isVisible():
        w.view_menu_action.trigger()  # View → Codes panel
    qtbot.waitUntil(w.codes_dock.isVisible)
    return w.codes_dock.widget()


def stored_codes(w):
    return {c["id"]: c for c in w.session.objects("codes", None)}


def event(w, event_id):
    return w.session.get("events", "kestrel", event_id)


def undo(w):
    w.undo_slot.trigger()  # Edit → Undo
    QApplication.processEvents()


def click(qtbot, widget):
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
    QApplication.processEvents()


def click_code(qtbot, panel, code_id):
    item = panel.item_of(code_id)
    tree = panel.tree
    tree.scrollToItem(item)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualItemRect(item).center())
    assert panel.current_id() == code_id


def pick_in_dialog(qtbot, text):
    """When the next dialog opens: type ``text`` into its filter, then Enter."""
    def answer():
        dlg = QApplication.activeModalWidget()
        assert dlg is not None
        for ch in text:
            qtbot.keyClick(dlg.filter, ch)
        qtbot.keyClick(dlg.filter, Qt.Key.Key_Return)
    QTimer.singleShot(50, answer)


# --------------------------------------------------------------------------- the tree


def test_new_code_and_sub_code_are_typed_in_place_and_undone(qtbot, tmp_path, monkeypatch, errors):
    w = open_window(qtbot, tmp_path, monkeypatch, training(codes=False))
    panel = codes_panel(w, qtbot)
    assert panel.tree.topLevelItemCount() == 0 and "No codes yet" in panel.note.text()
    click(qtbot, panel.buttons["new"])
    type_text(qtbot, "Trust in the main customer")
    key(qtbot, Qt.Key.Key_Return)
    settle(qtbot)
    codes = stored_codes(w)
    assert list(codes.values()) == [{"id": "trust-in-the-main-customer", "name": "Trust in the main customer"}]
    assert panel.current_id() == "trust-in-the-main-customer"

    click(qtbot, panel.buttons["sub"])
    type_text(qtbot, "Early warnings")
    key(qtbot, Qt.Key.Key_Return)
    settle(qtbot)
    assert stored_codes(w)["early-warnings"] == {"id": "early-warnings", "name": "Early warnings",
                                                 "parent": "trust-in-the-main-customer"}
    top = panel.tree.topLevelItem(0)
    assert top.text(0) == "Trust in the main customer" and top.child(0).text(0) == "Early warnings"
    assert [top.text(c) for c in (1, 2, 3)] == ["0", "0", "0"]

    # a name the study has already selects that code
    click(qtbot, panel.buttons["new"])
    type_text(qtbot, "early WARNINGS")
    key(qtbot, Qt.Key.Key_Return)
    settle(qtbot)
    assert len(stored_codes(w)) == 2 and panel.current_id() == "early-warnings"
    assert "already" in panel.note.text()

    # a new code left without a name (Escape) is not made
    click(qtbot, panel.buttons["new"])
    type_text(qtbot, "Nothing")
    key(qtbot, Qt.Key.Key_Escape)
    settle(qtbot)
    assert len(stored_codes(w)) == 2 and panel.tree.topLevelItemCount() == 1

    undo(w)
    settle(qtbot)
    assert list(stored_codes(w)) == ["trust-in-the-main-customer"]
    undo(w)
    settle(qtbot)
    assert stored_codes(w) == {} and panel.tree.topLevelItemCount() == 0
    assert errors == []
    w.close_study()


def test_tree_shows_counts_and_f2_renames_in_place(window, qtbot, errors):
    panel = codes_panel(window, qtbot)
    standards = panel.item_of("standards")
    assert standards.text(0) == "Meeting standards" and standards.child(0).text(0) == "Thermal rating"
    assert [standards.text(c) for c in (1, 2, 3)] == ["2", "0", "0"]  # e1 and e7
    assert [panel.item_of("voice").text(c) for c in (1, 2, 3)] == ["1", "1", "1"]
    click_code(qtbot, panel, "thermal")
    key(qtbot, Qt.Key.Key_F2)
    assert focused() is not panel.tree  # the name is open for typing, all of it selected
    type_text(qtbot, "U-values")
    key(qtbot, Qt.Key.Key_Return)
    settle(qtbot)
    assert stored_codes(window)["thermal"] == {"id": "thermal", "name": "U-values", "parent": "standards"}
    assert panel.item_of("thermal").text(0) == "U-values"
    assert window.undo_slot.text() == "Undo Rename code Thermal rating to U-values"
    undo(window)
    settle(qtbot)
    assert stored_codes(window)["thermal"]["name"] == "Thermal rating"
    assert panel.item_of("thermal").text(0) == "Thermal rating"
    assert errors == []


def test_description_and_colour(window, qtbot, monkeypatch):
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QColorDialog

    panel = codes_panel(window, qtbot)
    click_code(qtbot, panel, "voice")
    assert panel.description.toPlainText() == "Staff are asked and heard"
    qtbot.mouseClick(panel.description.viewport(), Qt.MouseButton.LeftButton)
    qtbot.keyClick(panel.description, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    type_text(qtbot, ", and it changes what is done")
    click_code(qtbot, panel, "standards")  # leaving the box saves it, to the code it was typed for
    assert stored_codes(window)["voice"]["description"] == "Staff are asked and heard, and it changes what is done"
    assert "description" not in stored_codes(window)["standards"] and panel.description.toPlainText() == ""
    click_code(qtbot, panel, "voice")
    monkeypatch.setattr(QColorDialog, "getColor", lambda *a, **k: QColor(255, 127, 14))
    click(qtbot, panel.colour_button)
    assert stored_codes(window)["voice"]["colour"] == "#FF7F0E"
    undo(window)
    assert "colour" not in stored_codes(window)["voice"]
    undo(window)
    assert stored_codes(window)["voice"]["description"] == "Staff are asked and heard"


def test_merge_into_picked_code(window, qtbot, errors):
    panel = codes_panel(window, qtbot)
    click_code(qtbot, panel, "voice")
    pick_in_dialog(qtbot, "thermal")
    click(qtbot, panel.buttons["merge"])
    settle(qtbot)
    assert "voice" not in stored_codes(window)
    assert event(window, "e4")["codes"] == ["thermal"]
    assert event(window, "e4")["evidence"][1]["codes"] == ["thermal"]
    assert event(window, "e1")["codes"] == ["standards", "thermal"]  # carried both already: once
    assert panel.item_of("voice") is None and panel.item_of("thermal").text(1) == "2"
    assert panel.current_id() == "thermal"
    undo(window)
    settle(qtbot)
    assert stored_codes(window)["voice"] == CODES[2]
    assert event(window, "e4")["codes"] == ["voice"] and event(window, "e4")["evidence"][1]["codes"] == ["voice"]
    assert errors == []


def test_delete_asks_with_its_uses_and_is_undone(window, qtbot, monkeypatch, errors):
    asked = []

    def question(parent, title, text, *a, **k):
        asked.append(text)
        return QMessageBox.StandardButton.Yes
    monkeypatch.setattr(QMessageBox, "question", question)
    panel = codes_panel(window, qtbot)
    click_code(qtbot, panel, "standards")
    click(qtbot, panel.buttons["delete"])
    settle(qtbot)
    assert "“Meeting standards”" in asked[0] and "used on 2 events" in asked[0]
    assert "The code under it, “Thermal rating”, moves up a level." in asked[0]
    assert "standards" not in stored_codes(window)
    assert stored_codes(window)["thermal"] == {"id": "thermal", "name": "Thermal rating"}  # up a level
    assert event(window, "e1")["codes"] == ["thermal"] and "codes" not in event(window, "e7")
    undo(window)
    settle(qtbot)
    assert stored_codes(window)["standards"] == CODES[0]
    assert stored_codes(window)["thermal"]["parent"] == "standards"
    assert event(window, "e7")["codes"] == ["standards"]
    assert errors == []


def test_move_under_and_up_down(window, qtbot):
    panel = codes_panel(window, qtbot)
    click_code(qtbot, panel, "voice")
    pick_in_dialog(qtbot, "meeting")
    click(qtbot, panel.buttons["under"])
    settle(qtbot)
    assert stored_codes(window)["voice"]["parent"] == "standards"
    standards = panel.item_of("standards")
    assert [standards.child(i).text(0) for i in range(standards.childCount())] == ["Thermal rating",
                                                                                  "Shop-floor voice"]
    click_code(qtbot, panel, "voice")
    click(qtbot, panel.buttons["up"])
    settle(qtbot)
    standards = panel.item_of("standards")
    assert [standards.child(i).text(0) for i in range(standards.childCount())] == ["Shop-floor voice",
                                                                                  "Thermal rating"]
    undo(window)
    undo(window)
    settle(qtbot)
    assert [c["id"] for c in window.session.objects("codes", None)] == ["standards", "thermal", "voice"]
    assert "parent" not in stored_codes(window)["voice"]
    # a code cannot go under its own sub-code
    assert not panel.move_to("standards", "thermal", None)
    assert "cannot go under itself" in panel.note.text()


def test_drag_a_code_onto_another_puts_it_under(window, qtbot):
    panel = codes_panel(window, qtbot)
    tree = panel.tree
    click_code(qtbot, panel, "voice")
    target = tree.visualItemRect(panel.item_of("thermal")).center()
    from PySide6.QtCore import QMimeData, QPointF
    from PySide6.QtGui import QDropEvent

    # what Qt delivers when the code is dropped on the middle of another
    mime = tree.model().mimeData([tree.indexFromItem(panel.item_of("voice"))])
    drop = QDropEvent(QPointF(target), Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    tree.dropIndicatorPosition = lambda: tree.DropIndicatorPosition.OnItem
    tree.dropEvent(drop)
    settle(qtbot)
    assert stored_codes(window)["voice"]["parent"] == "thermal"
    assert panel.item_of("thermal").child(0).text(0) == "Shop-floor voice"
    assert isinstance(mime, QMimeData)


# --------------------------------------------------------------------------- codes on events


def select_events(w, qtbot, ids):
    tab = w.events_tab
    w.tabs.setCurrentWidget(tab)
    view = tab.view
    for n, event_id in enumerate(ids):
        index = tab.model.index(tab.model.row_of(event_id), 1)
        mod = Qt.KeyboardModifier.ControlModifier if n else Qt.KeyboardModifier.NoModifier
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, mod, view.visualRect(index).center())
    assert tab.selected_ids() == ids
    return tab


def test_apply_to_two_selected_events_is_one_step(window, qtbot, errors):
    panel = codes_panel(window, qtbot)
    select_events(window, qtbot, ["e5", "e6"])
    click_code(qtbot, panel, "voice")
    click(qtbot, panel.apply_button)
    settle(qtbot)
    assert event(window, "e5")["codes"] == ["voice"] and event(window, "e6")["codes"] == ["voice"]
    assert panel.item_of("voice").text(1) == "3"
    assert window.undo_slot.text() == "Undo Code 2 events with Shop-floor voice"
    undo(window)
    settle(qtbot)
    assert "codes" not in event(window, "e5") and "codes" not in event(window, "e6")
    # and off again
    select_events(window, qtbot, ["e1", "e7"])
    click_code(qtbot, panel, "standards")
    click(qtbot, panel.remove_button)
    assert event(window, "e1")["codes"] == ["thermal"] and "codes" not in event(window, "e7")
    undo(window)
    assert event(window, "e7")["codes"] == ["standards"]
    assert errors == []


def test_event_detail_ticks_codes_on_and_off(window, qtbot):
    tab = select_events(window, qtbot, ["e4"])
    codes = tab.detail.codes
    labels = [codes.item(i).text() for i in range(codes.count())]
    assert labels == ["Meeting standards", "    Thermal rating", "Shop-floor voice"]
    ticked = [codes.item(i).checkState() == Qt.CheckState.Checked for i in range(codes.count())]
    assert ticked == [False, False, True]
    codes.setFocus()
    codes.setCurrentRow(0)
    qtbot.keyClick(codes, Qt.Key.Key_Space)  # ticks it, as a click on its box does
    assert event(window, "e4")["codes"] == ["voice", "standards"]
    codes.setCurrentRow(2)
    qtbot.keyClick(codes, Qt.Key.Key_Space)
    assert event(window, "e4")["codes"] == ["standards"]
    undo(window)
    assert event(window, "e4")["codes"] == ["voice", "standards"]
    # a code made in the panel appears in the list at once
    panel = codes_panel(window, qtbot)
    assert panel.create("Apprentices") == "apprentices"
    settle(qtbot)
    assert codes.item(codes.count() - 1).text() == "Apprentices"


# --------------------------------------------------------------------------- evidence: where, open, find


def open_event(w, event_id):
    tab = w.events_tab
    w.tabs.setCurrentWidget(tab)
    tab.select(event_id)
    return tab.detail


def opened(w):
    """(document, start, end) the window shows selected after a double-click."""
    from workbench.core.textpos import utf16_to_cp

    for i in range(w.tabs.count()):
        if w.tabs.tabText(i) == "Documents" and w.tabs.currentIndex() == i:
            tab = w.tabs.widget(i)
            return (tab.doc_id, *tab.selection())
    dlg = w.passage_dialog
    assert dlg.isVisible()
    text = dlg.view.toPlainText()
    c = dlg.view.textCursor()
    doc = next(d for d in w.session.documents() if d["text"] == text)
    return doc["id"], utf16_to_cp(text, c.selectionStart()), utf16_to_cp(text, c.selectionEnd())


def test_where_names_document_paragraph_and_speaker_and_double_click_opens_it(window, qtbot):
    grid = open_event(window, "e1").evidence
    texts = [grid.item(r, 2).text() for r in range(grid.rowCount())]
    assert texts == ["Interview: Ann Kerrigan, owner-manager, paragraph 3",
                     "Interview: Ann Kerrigan, owner-manager, paragraph 5",
                     "Interview: Tom Birch, workshop foreman, paragraph 3"]
    assert not any(ch.isdigit() for ch in texts[0].replace("paragraph 3", ""))  # never offsets
    # without a speaker of its own, a quote's Where says who speaks there
    detail = open_event(window, "e1")
    assert detail._where({"quote": "x", "document": "int-owner", "start": 353, "end": 441}) == \
        "Interview: Ann Kerrigan, owner-manager, paragraph 3, AK"
    rect = grid.visualRect(grid.model().index(1, 2))
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    ev = event(window, "e1")["evidence"][1]
    assert opened(window) == (ev["document"], ev["start"], ev["end"])


CURLY = ("Ann: We said \u201cno more rejects\u201d \u2014 and we\u00a0meant it.\n"
         "Tom: It\u2019s the lads\u2019 work,\nnot mine.\n"
         "Ann: It\u2019s the lads\u2019 work, I said.\n")


def curly_study():
    doc = training(codes=False)
    doc["documents"].append({"id": "notes", "name": "Meeting notes", "text": CURLY})
    return doc


def add_typed_quote(window, qtbot, event_id, quote, speaker=None):
    detail = open_event(window, event_id)
    click(qtbot, detail.add_quote)
    type_text(qtbot, quote)
    if speaker:
        key(qtbot, Qt.Key.Key_Tab)
        type_text(qtbot, speaker)
    key(qtbot, Qt.Key.Key_Return)
    detail.evidence.setCurrentCell(detail.evidence.rowCount() - 1, 0)
    return detail


def test_find_in_documents_anchors_a_typed_quote_with_straight_marks(qtbot, tmp_path, monkeypatch, errors):
    w = open_window(qtbot, tmp_path, monkeypatch, curly_study())
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda parent, title, text, *a, **k: asked.append(text) or QMessageBox.StandardButton.Yes)
    detail = add_typed_quote(w, qtbot, "e2", 'We said "no more rejects" - and we meant it.', "Ann Kerrigan")
    n = len(event(w, "e2")["evidence"])
    assert event(w, "e2")["evidence"][-1] == {"quote": 'We said "no more rejects" - and we meant it.',
                                              "speaker": "Ann Kerrigan"}
    assert detail.find_quote.isEnabled()
    click(qtbot, detail.find_quote)
    assert "Meeting notes, paragraph 1" in asked[0]
    start = CURLY.index("We said")
    assert event(w, "e2")["evidence"][-1] == {
        "quote": "We said \u201cno more rejects\u201d \u2014 and we\u00a0meant it.", "speaker": "Ann Kerrigan",
        "document": "notes", "start": start, "end": CURLY.index("\nTom")}
    assert detail.evidence.item(n - 1, 2).text() == "Meeting notes, paragraph 1"
    assert not detail.find_quote.isEnabled()  # anchored now
    undo(w)
    assert event(w, "e2")["evidence"][-1] == {"quote": 'We said "no more rejects" - and we meant it.',
                                              "speaker": "Ann Kerrigan"}
    assert errors == []
    w.close_study()


def test_find_in_documents_several_places_and_none(qtbot, tmp_path, monkeypatch, errors):
    w = open_window(qtbot, tmp_path, monkeypatch, curly_study())
    detail = add_typed_quote(w, qtbot, "e3", "It's the lads' work,")

    def choose_second():
        dlg = QApplication.activeModalWidget()
        rows = [(dlg.list.topLevelItem(i).text(0), dlg.list.topLevelItem(i).text(1))
                for i in range(dlg.list.topLevelItemCount())]
        assert rows == [("Meeting notes", "2"), ("Meeting notes", "4")]
        assert "[It\u2019s the lads\u2019 work,]" in dlg.list.topLevelItem(1).text(2)
        qtbot.keyClick(dlg.list, Qt.Key.Key_Down)
        qtbot.keyClick(dlg.list, Qt.Key.Key_Return)
    QTimer.singleShot(50, choose_second)
    click(qtbot, detail.find_quote)
    w.activateWindow()  # as the window manager does when the dialog closes
    start = CURLY.index("It\u2019s the lads\u2019 work, I")
    assert event(w, "e3")["evidence"][-1] == {"quote": "It\u2019s the lads\u2019 work,", "document": "notes",
                                              "start": start, "end": start + 20}
    # a line break in the document matches a space typed
    detail = add_typed_quote(w, qtbot, "e3", "lads' work, not mine")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    click(qtbot, detail.find_quote)
    assert event(w, "e3")["evidence"][-1]["quote"] == "lads\u2019 work,\nnot mine"
    detail = add_typed_quote(w, qtbot, "e3", "Nobody said this anywhere")
    click(qtbot, detail.find_quote)
    assert "is not in any of the study's 3 documents" in detail.evidence_note.text()
    assert "document" not in event(w, "e3")["evidence"][-1]
    assert errors == []
    w.close_study()


def test_right_click_menus_offer_what_the_buttons_do(window, qtbot):
    panel = codes_panel(window, qtbot)
    click_code(qtbot, panel, "voice")
    menu = panel.context_menu()
    texts = [a.text() for a in menu.actions() if a.text()]
    assert texts[:3] == ["Rename\tF2", "New code", "New sub-code"] and "Merge into…" in texts
    next(a for a in menu.actions() if a.text() == "Rename\tF2").trigger()
    assert focused() is not panel.tree  # the name open for typing
    type_text(qtbot, "Voices")
    key(qtbot, Qt.Key.Key_Return)
    assert stored_codes(window)["voice"]["name"] == "Voices"
