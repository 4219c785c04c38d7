"""The desktop workbench, driven offscreen through its real windows."""

import sqlite3

import docx
import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6 import QtWidgets
from PySide6.QtWidgets import QDialog, QMessageBox

from conftest import JM, TRAINING
from workbench.gui.delegates import MultiSelect
from workbench.gui.mainwindow import MainWindow, SAMPLES
from workbench.gui.models import UNCODED, WARNING
from workbench.session import Session
from workbench.store.schema import SCHEMA_VERSION

JM_LABEL = next(k for k, v in SAMPLES.items() if v == JM.name)
TRAINING_LABEL = next(k for k, v in SAMPLES.items() if v == TRAINING.name)




@pytest.fixture
def jm_window(window, tmp_path):
    assert window.open_example(JM_LABEL, str(tmp_path / "study.lpw"))
    return window


def edit_through_delegate(view, row, column, set_value):
    """As a user edits a cell: click it (which closes any editor open
    elsewhere, keeping what it holds), F2 to open its editor, set a value in
    the editor, and commit it as the editor does when it closes."""
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QAbstractItemDelegate, QApplication

    index = view.model().index(row, column)
    view.window().activateWindow()
    view.scrollTo(index)
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center())
    for _ in range(20):  # F2 is ignored while a click on a selected row opens the editor anyway
        if view.state() == view.State.EditingState:
            break
        QTest.keyClick(view, Qt.Key.Key_F2)
        QTest.qWait(25)
    editor = QApplication.focusWidget()
    assert view.currentIndex() == index and editor is not view and view.isAncestorOf(editor)
    while editor.parentWidget() is not view.viewport():  # the editor, not a part of it
        editor = editor.parentWidget()
    set_value(editor)
    delegate = view.itemDelegateForIndex(index)
    delegate.commitData.emit(editor)
    delegate.closeEditor.emit(editor, QAbstractItemDelegate.EndEditHint.NoHint)


def col(model, key):
    return next(i for i, c in enumerate(model.columns) if c.key == key)


def test_start_page_then_example_study(window, tmp_path):
    assert window.stack.currentWidget() is window.start
    assert window.open_example(JM_LABEL, str(tmp_path / "copy.lpw"))
    assert [f["name"] for f in window.firm_model.firms] == ["BRW", "RSL", "DMF"]
    assert window.events_tab.model.rowCount() == 11
    # the example itself is untouched: a copy was made
    assert JM.read_text(encoding="utf-8").count('"id": "brw"') == 1
    assert (tmp_path / "copy.lpw").exists()


def test_add_firm_and_event_code_it_undo_redo_reorder_delete_export_reopen(jm_window, tmp_path, monkeypatch):
    w = jm_window
    path = w.session.path
    firm_id = w.add_firm("Acme Tooling")
    assert firm_id == "acmetooling" and w.firm_id == firm_id
    tab = w.events_tab
    view, model = tab.view, tab.model
    first = tab.add_event()
    second = tab.add_event()
    assert model.rowCount() == 2

    # code the first event through the delegates
    edit_through_delegate(view, 0, col(model, "title"), lambda e: e.setText("Customer audit failed"))
    edit_through_delegate(view, 0, col(model, "when"), lambda e: e.setText("2003-05"))
    tab.show_column(col(model, "phase"), True)  # hidden at first: the heading's menu shows it
    edit_through_delegate(view, 0, col(model, "phase"),
                          lambda e: e.setCurrentIndex(e.findData("critical_incident")))

    def stages(editor: MultiSelect):
        for i in range(editor.count()):
            if editor.item(i).data(Qt.ItemDataRole.UserRole) in ("intuiting", "intertwining"):
                editor.item(i).setCheckState(Qt.CheckState.Checked)
        assert editor.item(0).toolTip()  # the definition is on each choice
    edit_through_delegate(view, 0, col(model, "stages"), stages)

    def types(editor: MultiSelect):
        for i in range(editor.count()):
            if editor.item(i).data(Qt.ItemDataRole.UserRole) == "coercive":
                editor.item(i).setCheckState(Qt.CheckState.Checked)
    edit_through_delegate(view, 0, col(model, "learning_types"), types)
    model.setData(model.index(0, col(model, "critical")), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    ev = w.session.get("events", firm_id, first)
    assert ev == {"id": first, "title": "Customer audit failed", "date": "2003-05", "critical": True,
                  "phase": "critical_incident", "stages": ["intuiting", "intertwining"],
                  "learning_types": ["coercive"]}

    # undo and redo, through the Edit menu's actions
    w.undo_slot.trigger()  # un-critical
    w.undo_slot.trigger()  # no learning types
    assert w.session.get("events", firm_id, first)["learning_types"] == []
    assert "critical" not in w.session.get("events", firm_id, first)
    w.redo_slot.trigger()
    w.redo_slot.trigger()
    assert w.session.get("events", firm_id, first)["learning_types"] == ["coercive"]
    assert w.redo_slot.shortcuts()[0].toString() == "Ctrl+Shift+Z"

    # reorder by dragging the second event above the first
    data = model.mimeData([model.index(1, 0)])
    model.dropMimeData(data, Qt.DropAction.MoveAction, 0, 0, QModelIndex())
    assert w.session.db.event_ids(firm_id) == [second, first]
    w.undo_slot.trigger()
    assert w.session.db.event_ids(firm_id) == [first, second]
    w.redo_slot.trigger()

    # delete with confirmation: No keeps it, Yes deletes it
    view.selectRow(model.row_of(second))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    tab.delete_selected()
    assert second in w.session.db.event_ids(firm_id)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    tab.delete_selected()
    assert w.session.db.event_ids(firm_id) == [first]

    # delete a whole firm and undo it
    w.select_firm("rsl")
    w.delete_firm_dialog()
    assert [f["id"] for f in w.session.firms()] == ["brw", "dmf", firm_id]
    w.undo_slot.trigger()
    assert [f["id"] for f in w.session.firms()] == ["brw", "rsl", "dmf", firm_id]

    # export a Word report in the background
    out = tmp_path / "report.docx"
    worker = w.export_report(str(out), firm_ids=[firm_id, "brw"], diagrams=False, wait=True)
    assert worker.isFinished() and out.exists()
    headings = [p.text for p in docx.Document(out).paragraphs if p.style.name == "Heading 1"]
    assert "Acme Tooling: coercive learning" in headings

    # reopen the file: every change is there
    w.close_study()
    assert w.open_path(str(path))
    assert [f["name"] for f in w.session.firms()] == ["BRW", "RSL", "DMF", "Acme Tooling"]
    assert w.session.db.event_ids(firm_id) == [first]
    assert w.session.get("events", firm_id, first)["stages"] == ["intuiting", "intertwining"]
    assert str(path) in w.recent()[0]


def test_code_as_palette_keys(jm_window, qtbot):
    tab = jm_window.events_tab
    tab.view.setFocus()
    tab.view.selectRow(0)
    qtbot.keyClick(tab.view, "4")
    qtbot.keyClick(tab.view, "M")
    ev = jm_window.session.get("events", "brw", "e1")
    assert ev["stages"][0] == "institutionalising" and ev["stages"][1:] == ["intuiting"]
    assert ev["learning_types"][0] == "mimetic"
    jm_window.undo_slot.trigger()
    assert jm_window.session.get("events", "brw", "e1")["learning_types"][0] == "normative"


def test_coding_several_events_is_one_undo_step(jm_window, qtbot):
    from PySide6.QtCore import QItemSelectionModel

    tab = jm_window.events_tab
    s = jm_window.session
    before = [s.get("events", "brw", e)["learning_types"] for e in ("e1", "e2", "e3")]
    tab.view.setFocus()
    tab.view.selectRow(0)
    sel = tab.view.selectionModel()
    for row in (1, 2):
        sel.select(tab.model.index(row, 0), QItemSelectionModel.SelectionFlag.Select
                   | QItemSelectionModel.SelectionFlag.Rows)
    qtbot.keyClick(tab.view, "C")
    assert [s.get("events", "brw", e)["learning_types"][0] for e in ("e1", "e2", "e3")] == ["coercive"] * 3
    assert jm_window.controller.undo_stack.undoText() == s.undo_label() == "Code 3 events as Coercive"
    jm_window.undo_slot.trigger()  # one step takes all three back
    assert [s.get("events", "brw", e)["learning_types"] for e in ("e1", "e2", "e3")] == before
    assert not s.can_undo()


def test_uncoded_and_warnings_are_highlighted(jm_window):
    tab = jm_window.events_tab
    new = tab.add_event()
    row = tab.model.row_of(new)
    assert QColor(tab.model.data(tab.model.index(row, 1), Qt.ItemDataRole.BackgroundRole)) == UNCODED
    # a date running backwards, and a source that no longer exists (as an older file might hold)
    db = jm_window.session.db
    db.conn.execute("UPDATE events SET date = '1990' WHERE firm = 'brw' AND id = 'e5'")
    db.conn.execute("""UPDATE events SET date = '1999' WHERE firm = 'brw' AND id = 'e4'""")
    db.conn.execute("""UPDATE events SET sources = '["ghost"]' WHERE firm = 'brw' AND id = 'e6'""")
    tab.model.reload()
    r5, r6 = tab.model.row_of("e5"), tab.model.row_of("e6")
    assert QColor(tab.model.data(tab.model.index(r5, 1), Qt.ItemDataRole.BackgroundRole)) == WARNING
    assert "earlier than 1999" in tab.model.data(tab.model.index(r5, 1), Qt.ItemDataRole.ToolTipRole)
    assert "no longer exists" in tab.model.data(tab.model.index(r6, 1), Qt.ItemDataRole.ToolTipRole)


def test_dates_running_backwards_at_mixed_precision(jm_window):
    """A date is compared with those listed before it at the coarser of the
    two precisions: 2001 after 2001-05 is fine, 2001-03-02 after it is not."""
    db = jm_window.session.db
    dates = {"e1": "2001-05", "e2": "2001", "e3": "2001-03-02", "e4": None, "e5": "2000-12-31",
             "e6": "2002", "e7": "2002-01-01", "e8": "2001-12"}
    ids = [r[0] for r in db.conn.execute("SELECT id FROM events WHERE firm = 'brw' ORDER BY position")]
    for ev in ids:
        db.conn.execute("UPDATE events SET date = ?, sources = NULL WHERE firm = 'brw' AND id = ?",
                        [dates.get(ev), ev])
    model = jm_window.events_tab.model
    model.reload()
    assert model.warnings == {
        "e3": "dated 2001-03-02, earlier than 2001-05 listed before it",
        "e5": "dated 2000-12-31, earlier than 2001-05 listed before it",
        "e8": "dated 2001-12, earlier than 2002 listed before it",
    }


def test_filter_and_find(jm_window):
    tab = jm_window.events_tab
    tab.filter.setText("audit")
    assert tab.model.rowCount() == 1 and tab.model.ids == ["e2"]
    tab.filter.setText("")
    assert tab.model.rowCount() == 11
    hits = jm_window.find("LCL")
    assert {h["firm"] for h in hits} == {"dmf"} and len(hits) >= 3
    jm_window._goto_found(jm_window.find_list.item(0))
    assert jm_window.firm_id == "dmf"


def test_sources_used_by_and_delete_takes_the_name_off_events(jm_window, monkeypatch):
    w = jm_window
    tab = w.sources_tab
    w.tabs.setCurrentWidget(tab)  # tabs load their data when shown
    row = tab.model.row_of("lucas")
    tab.view.setCurrentIndex(tab.model.index(row, 0))
    used = [tab.used_by.item(i).data(Qt.ItemDataRole.UserRole) for i in range(tab.used_by.count())]
    assert used == ["e1", "e2", "e3", "e6", "e10"]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    tab.delete_selected()
    assert "lucas" not in (w.session.get("events", "brw", "e1").get("sources") or [])
    assert w.session.get("sources", "brw", "fe_college").get("via") is None
    w.undo_slot.trigger()
    assert "lucas" in w.session.get("events", "brw", "e1")["sources"]
    assert w.session.get("sources", "brw", "fe_college")["via"] == "lucas"
    # add a source and rename it inline
    new = tab.add()
    edit_through_delegate(tab.view, tab.model.row_of(new), 0, lambda e: e.setText("Trade press"))
    edit_through_delegate(tab.view, tab.model.row_of(new), 1, lambda e: e.setCurrentIndex(e.findData("publication")))
    assert w.session.get("sources", "brw", new) == {"id": new, "name": "Trade press", "kind": "publication"}


def test_refused_edit_is_reported_and_not_kept(jm_window, errors):
    tab = jm_window.events_tab
    before = jm_window.session.get("events", "brw", "e1")
    edit_through_delegate(tab.view, 0, col(tab.model, "title"), lambda e: e.setText("x" * 600))
    assert errors and "at most 500" in errors[-1][1]
    assert jm_window.session.get("events", "brw", "e1") == before
    assert not jm_window.controller.undo_stack.canUndo()


def test_write_failure_is_reported_and_nothing_is_dropped_silently(jm_window, errors, monkeypatch):
    from workbench.store.study_db import StudyDB

    def full(*a, **k):
        raise sqlite3.OperationalError("database or disk is full")
    monkeypatch.setattr(StudyDB, "set_field", full)
    tab = jm_window.events_tab
    edit_through_delegate(tab.view, 0, col(tab.model, "title"), lambda e: e.setText("Changed"))
    assert errors and "the disk is full" in errors[-1][1] and "nothing was changed" in errors[-1][1]
    assert tab.model.data(tab.model.index(0, col(tab.model, "title"))) == "Main customer moves to strategic sourcing"
    assert not jm_window.controller.undo_stack.canUndo()


def test_profile_summary_suggestions(window, tmp_path):
    assert window.open_example(TRAINING_LABEL, str(tmp_path / "t.lpw"))
    profile = window.profile_tab
    window.tabs.setCurrentWidget(profile)
    hint, use = profile.suggestions["knowledge_source"]
    assert not hint.isHidden() and "Northgate Homes" in hint.text()
    assert profile.suggestions["learning_catalyst"][0].isHidden()  # filled in by the researcher
    use.click()
    summary = window.session.get("firms", None, "kestrel")["summary"]
    assert summary["knowledge_source"].startswith("Northgate Homes")
    profile.profile["employees"].setText("15")
    profile.profile["employees"].editingFinished.emit()
    assert window.session.get("firms", None, "kestrel")["profile"]["employees"] == 15


def test_diagram_redraws_after_an_edit(jm_window, qtbot):
    w = jm_window
    w.tabs.setCurrentWidget(w.diagram_tab)
    w.diagram_tab.redraw()
    assert b"Main customer moves" in w.diagram_tab.svg
    w.controller.set_field("events", "brw", "e1", "title", "Strategic sourcing starts")
    qtbot.waitUntil(lambda: w.diagram_tab.svg is not None and b"Strategic sourcing starts" in w.diagram_tab.svg,
                    timeout=5000)
    out = w.diagram_tab.export(str(w.session.path.parent / "brw.png"))
    assert open(out, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_diagram_tab_export_draws_the_selected_firm_as_it_is_now(jm_window):
    """The Diagram tab's export, with the tab out of view since it last drew:
    the firm selected now, with its latest edits, not the old picture."""
    w = jm_window
    w.tabs.setCurrentWidget(w.diagram_tab)
    w.diagram_tab.redraw()
    assert b"Main customer moves" in w.diagram_tab.svg  # BRW
    w.tabs.setCurrentWidget(w.events_tab)
    w.select_firm("rsl")
    w.controller.set_field("events", "rsl", "e1", "title", "A freshly renamed event")
    out = w.diagram_tab.export(str(w.session.path.parent / "chosen.svg"))
    svg = open(out, "rb").read()
    assert b"A freshly renamed event" in svg and b"Main customer moves" not in svg


def test_export_diagrams_dialog_reaches_the_command_line_options(jm_window, monkeypatch, tmp_path, errors):
    """Export → Diagrams: process diagrams or the framework figure, for this
    firm, every firm or the study, in SVG, PNG (at a chosen resolution), PDF
    or DOT, with or without sources and routines."""
    from workbench.gui.dialogs import DiagramDialog

    w = jm_window
    w.select_firm("rsl")
    dlg = DiagramDialog("RSL")
    assert [dlg.scope.itemData(i) for i in range(dlg.scope.count())] == ["firm", "all", "study"]
    study_item = dlg.scope.model().item(2)
    assert not study_item.isEnabled()  # the whole study has a framework figure, not a process diagram
    dlg.kind.setCurrentIndex(1)
    assert study_item.isEnabled() and not dlg.sources.isEnabled()
    dlg.format.setCurrentIndex(dlg.format.findData("png"))
    assert dlg.dpi.isEnabled()
    dlg.dpi.setValue(300)
    assert dlg.options() == {"kind": "framework", "scope": "firm", "fmt": "png", "dpi": 300,
                             "sources": True, "routines": True, "width": None}

    # every firm, PNG, into a folder
    folder = tmp_path / "diagrams"
    written = w.export_diagrams(str(folder), scope="all", fmt="png", dpi=72)
    assert sorted(p.name for p in written) == ["brw.png", "dmf.png", "rsl.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in written)
    # this firm as DOT: the Graphviz text, with RSL's events; without sources, no source nodes
    dot = w.export_diagrams(str(tmp_path / "rsl.dot"), fmt="dot")[0].read_text(encoding="utf-8")
    assert dot.lstrip().startswith("digraph") and '"event-rsl-e1"' in dot and '"source-' in dot
    dot = w.export_diagrams(str(tmp_path / "rsl.dot"), fmt="dot", sources=False)[0].read_text(encoding="utf-8")
    assert '"event-rsl-e1"' in dot and '"source-' not in dot and '"routine-' in dot
    # the framework figure of the whole study
    svg = w.export_diagrams(str(tmp_path / "study.svg"), kind="framework", scope="study")[0].read_text("utf-8")
    assert "Intertwining" in svg and "Institutionalising" in svg
    # through the menu's dialog, with the file chosen in the save dialog
    monkeypatch.setattr(DiagramDialog, "exec", lambda self: QDialog.DialogCode.Accepted)
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "menu"), ""))
    w.act_diagram.trigger()
    assert (tmp_path / "menu.svg").read_bytes().lstrip().startswith((b"<?xml", b"<svg"))
    # a folder that is a file: a clear message, nothing written
    blocker = tmp_path / "taken"
    blocker.write_text("not a folder", encoding="utf-8")
    assert w.export_diagrams(str(blocker), scope="all") == []
    assert "names a folder" in errors[-1][1] and blocker.read_text(encoding="utf-8") == "not a folder"


def test_add_event_from_the_menu_shows_it_in_the_events_tab(jm_window):
    w = jm_window
    w.tabs.setCurrentWidget(w.profile_tab)
    w.act_add_event.trigger()
    assert w.tabs.currentWidget() is w.events_tab
    new = w.events_tab.selected_ids()
    assert len(new) == 1 and w.session.get("events", "brw", new[0])["title"] == "New event"


def test_matrix_tab(jm_window):
    from workbench import services

    w = jm_window
    w.select_firm("dmf")
    w.tabs.setCurrentWidget(w.matrix_tab)
    stats = services.stats(JM)[0]
    grid = w.matrix_tab.grid
    assert grid.item(0, 2).text() == str(stats["firms"]["dmf"]["matrix"]["intuiting"]["coercive"])
    w.matrix_tab.scope.setCurrentIndex(1)
    assert grid.item(4, 0).text() == str(stats["study"]["matrix"]["intertwining"]["normative"])
    assert f"feed-forward {stats['study']['flows']['feed_forward']}" in w.matrix_tab.flows.text()
    # the grid counts primary stages; the line below it counts every stage an event is coded with
    assert f"Intertwining {stats['study']['stages']['intertwining']}." in w.matrix_tab.flows.text()


def test_second_instance_is_refused(jm_window, qtbot, tmp_path, errors, monkeypatch):
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "other.ini"))
    other = MainWindow()
    qtbot.addWidget(other)
    before = jm_window.session.path.read_bytes()
    asked = []  # the window offers to open it read-only; here the answer is Cancel
    monkeypatch.setattr(QMessageBox, "question", lambda parent, title, text, *a: asked.append(text)
                        or QMessageBox.StandardButton.Cancel)
    assert not other.open_path(str(jm_window.session.path))
    assert "open in another workbench" in asked[-1]
    assert other.session is None and jm_window.session.path.read_bytes() == before


def test_bad_files_get_a_clear_dialog(window, tmp_path, errors):
    notes = tmp_path / "notes.lpw"
    notes.write_text("shopping list")
    assert not window.open_path(str(notes))
    assert "not a workbench study file" in errors[-1][1]
    assert notes.read_text() == "shopping list" and window.session is None
    newer = tmp_path / "newer.lpw"
    s = Session(newer, create={"title": "t", "framework": "5I"})
    s.close()
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = newer.read_bytes()
    assert not window.open_path(str(newer))
    assert "newer version" in errors[-1][1] and newer.read_bytes() == before
    broken = tmp_path / "broken.study.json"
    broken.write_text('{"format": "lpw-study", "version": 1, "title": "t", "framework": "6I", "firms": []}')
    assert not window.open_path(str(broken), json_target=str(tmp_path / "broken.lpw"))
    assert "framework" in errors[-1][1] and not (tmp_path / "broken.lpw").exists()


def test_new_study_and_recent_files(window, tmp_path, qtbot, monkeypatch):
    path = tmp_path / "new.lpw"
    assert window.new_study(str(path), "My study", "4I")
    assert window.session.meta()["framework"] == "4I"
    from PySide6.QtWidgets import QToolButton
    palette = [b.text() for b in window.events_tab.findChildren(QToolButton) if b.text()[:1].isdigit()]
    assert palette == ["1 Intuiting", "2 Interpreting", "3 Integrating", "4 Institutionalising"]
    firm = window.add_firm("Solo Ltd")
    assert firm == "sololtd"
    window.close_study()
    again = MainWindow()
    qtbot.addWidget(again)
    again.show()
    assert again.recent()[0] == str(path.resolve())
    assert again.start.recent.item(0).data(Qt.ItemDataRole.UserRole) == str(path.resolve())


def test_open_window_with_a_study_and_with_a_bad_file(qtbot, tmp_path, monkeypatch, errors):
    """``workbench open FILE``: the window comes up with the study open and
    only the tab in view built; a file that is not a study gets a dialog and
    the start page."""
    from workbench import services
    from workbench.gui.app import open_window

    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.ini"))
    path = tmp_path / "study.lpw"
    services.import_file(path, JM)
    w = open_window(str(path))
    qtbot.addWidget(w)
    assert w.isVisible() and w.stack.currentWidget() is w.study_widget
    assert w.start is None  # never built: nobody saw it
    assert list(w._tab_widgets) == ["events"]
    assert w.tabs.currentWidget() is w.events_tab and w.events_tab.model.rowCount() == 11
    sources = next(a for a in w.view_menu.actions() if a.text() == "Sources")
    sources.trigger()
    assert w.tabs.currentWidget() is w.sources_tab and w.tabs.tabText(w.tabs.currentIndex()) == "Sources"
    assert w.sources_tab.model.rowCount() == len(services.load(path).study.firms[0].sources)
    assert [w.tabs.tabText(i) for i in range(w.tabs.count())] == \
        ["Profile", "Events", "Sources", "Routines", "Diagram", "Matrix", "Documents", "Renewal"]
    w.close_study()
    assert w.stack.currentWidget() is w.start
    assert w.start.recent.item(0).data(Qt.ItemDataRole.UserRole) == str(path.resolve())

    bad = tmp_path / "notes.lpw"
    bad.write_text("meeting notes, not a study", encoding="utf-8")
    w2 = open_window(str(bad))
    qtbot.addWidget(w2)
    assert errors and "not a workbench study" in errors[-1][1]
    assert w2.session is None and w2.stack.currentWidget() is w2.start
    assert bad.read_text(encoding="utf-8") == "meeting notes, not a study"


def test_framework_reference(jm_window):
    from workbench.gui.dialogs import FrameworkReference

    from PySide6.QtWidgets import QTextBrowser
    dlg = FrameworkReference("5I", jm_window)
    html = dlg.findChild(QTextBrowser).toPlainText()
    for word in ("Intuiting", "Intertwining", "Inter-organisation", "Normative", "Coercive", "Critical incident"):
        assert word in html


def test_ampersands_in_labels_are_shown_not_eaten(window):
    from PySide6.QtWidgets import QPushButton
    texts = [b.text() for b in window.start.findChildren(QPushButton)]
    assert any(t.startswith("Jones && Macpherson") for t in texts)  # displayed as a single &
    assert any(a.text().startswith("Jones && Macpherson") for a in window.examples_menu.actions())


def test_hidden_tabs_catch_up_when_shown(jm_window):
    w = jm_window
    w.tabs.setCurrentWidget(w.matrix_tab)
    before = int(w.matrix_tab.grid.item(0, 0).text())  # BRW: intuiting x normative
    w.tabs.setCurrentWidget(w.events_tab)
    w.controller.set_field("events", "brw", "e3", "stages", ["intuiting"])  # was interpreting first
    w.tabs.setCurrentWidget(w.matrix_tab)
    assert int(w.matrix_tab.grid.item(0, 0).text()) == before + 1
    w.tabs.setCurrentWidget(w.profile_tab)
    w.controller.set_field("firms", None, "brw", "name", "BRW Ltd")
    assert w.profile_tab.name.text() == "BRW Ltd"


def test_long_chronology_is_fetched_page_by_page(window, tmp_path, qtbot):
    import json
    import sys
    sys.path.insert(0, str(JM.parent.parent / "bench"))
    import synthetic
    from workbench import services

    src = tmp_path / "long.study.json"
    src.write_text(json.dumps(synthetic.study(firms=1, events=2500)), encoding="utf-8")
    services.import_file(tmp_path / "long.lpw", src)
    assert window.open_path(str(tmp_path / "long.lpw"))
    window.tabs.setCurrentWidget(window.events_tab)
    model = window.events_tab.model
    assert model.rowCount() == 1000 and model.canFetchMore()
    qtbot.waitUntil(lambda: model.total == 2500)  # counted a moment after the first page
    assert window.events_tab.count.text() == "2500 events"
    window.events_tab.select("e2400")  # beyond the first pages: fetched as needed
    assert model.rowCount() == 2500 and window.events_tab.selected_ids() == ["e2400"]
    window.events_tab.filter.setText("kanban")
    expected = window.session.db.event_count("firm0", "kanban")
    assert expected > 1000 and model.rowCount() < expected  # pages, as the view needs them
    assert all("kanban" in (model.object_at(r)["title"] + model.object_at(r).get("description", "")).lower()
               for r in range(model.rowCount()))
    qtbot.waitUntil(lambda: model.total == expected)


def test_stale_lock_is_taken_over_and_a_live_one_is_not(tmp_path, monkeypatch):
    import json
    import os
    import socket
    from workbench.core.errors import WorkbenchError
    import workbench.session as session_mod

    path = tmp_path / "s.lpw"
    Session(path, create={"title": "t", "framework": "5I"}).close()
    lock = tmp_path / "s.lpw.lock"
    lock.write_text(json.dumps({"pid": 2 ** 22 + 12345, "host": socket.gethostname()}))  # no such process
    s = Session(path)  # a lock left by a crash is taken over
    assert json.loads(lock.read_text())["pid"] == os.getpid()
    s.close()
    assert not lock.exists()
    lock.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}))
    with pytest.raises(WorkbenchError, match="open in another workbench"):
        Session(path)
    # the liveness check never signals a process (on Windows os.kill would end it)
    calls = []
    monkeypatch.setattr(session_mod.os, "name", "nt")
    monkeypatch.setattr(session_mod, "_pid_alive_windows", lambda pid: calls.append(pid) or True)
    monkeypatch.setattr(session_mod.os, "kill", lambda *a: pytest.fail("os.kill called on Windows"))
    assert session_mod._pid_alive(4242) and calls == [4242]


def test_report_can_be_cancelled_and_nothing_is_written(jm_window, tmp_path):
    from workbench.gui.dialogs import ReportWorker
    out = tmp_path / "cancelled.docx"
    worker = ReportWorker(str(jm_window.session.path), str(out), {"diagrams": False})
    results = []
    worker.failed.connect(results.append)
    worker.cancel.set()  # as the Cancel button does
    worker.run()  # in this thread, to see the outcome at once
    assert results == [""] and not out.exists()


def test_report_with_template_and_one_firm_as_json(jm_window, tmp_path):
    import json
    t = docx.Document()
    t.sections[0].header.paragraphs[0].text = "House style"
    t.save(tmp_path / "t.docx")
    out = tmp_path / "r.docx"
    jm_window.export_report(str(out), firm_ids=["rsl"], diagrams=False, template=str(tmp_path / "t.docx"),
                            wait=True)
    assert docx.Document(out).sections[0].header.paragraphs[0].text == "House style"
    jm_window.select_firm("rsl")
    assert jm_window.export_json(str(tmp_path / "rsl.study.json"), "rsl")
    doc = json.loads((tmp_path / "rsl.study.json").read_text(encoding="utf-8"))
    assert [f["id"] for f in doc["firms"]] == ["rsl"]


def test_pasted_control_characters_are_stored_as_spaces(jm_window, tmp_path):
    tab = jm_window.events_tab
    edit_through_delegate(tab.view, 0, col(tab.model, "title"), lambda e: e.setText("Bell\x07and\x1bescape"))
    assert jm_window.session.get("events", "brw", "e1")["title"] == "Bell and escape"
    jm_window.add_firm("Tab\there")
    assert any(f["name"] == "Tab\there" for f in jm_window.session.firms())  # tab is allowed XML
    assert jm_window.export_json(str(tmp_path / "out.study.json"))
    from workbench.io.study_json import check_file
    report = check_file(tmp_path / "out.study.json")
    assert report.ok and not report.warnings


def test_delete_key_and_remembered_column_widths(jm_window, qtbot, monkeypatch, tmp_path):
    w = jm_window
    view = w.events_tab.view
    view.setFocus()
    view.selectRow(w.events_tab.model.row_of("e11"))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert "e11" not in w.session.db.event_ids("brw")
    view.setColumnWidth(4, 233)  # stages (the event's title takes the width left: it is not set)
    path = str(w.session.path)
    w.close_study()
    assert w.open_path(path)
    assert w.events_tab.view.columnWidth(4) == 233
