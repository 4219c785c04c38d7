"""The main window: a start page, then the study: firms on the left, the
selected firm's tabs on the right, menus for everything."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtWidgets
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
# Dialogs (QtWidgets.QFileDialog, QMessageBox, ...) are named through the module where they are
# used, so PySide6 sets up their types when first needed rather than at start-up.
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QGridLayout, QHBoxLayout, QLabel, QListView, QListWidget,
                               QListWidgetItem, QMainWindow, QPushButton, QSplitter, QStackedWidget, QTabWidget,
                               QVBoxLayout, QWidget)

from .. import services
from ..core.errors import DamagedStudyError, WorkbenchError
from ..session import Session
from .controller import StudyController
from .models import FirmListModel
from .tabs import EventsTab, ObjectTab, ProfileTab

if TYPE_CHECKING:
    from .dialogs import ReportWorker

APP = "Learning Process Workbench"
SAMPLES = {"Jones & Macpherson (2006): BRW, RSL and DMF": "jones-macpherson-2006.study.json",
           "Training case: Kestrel Joinery": "training-case.study.json"}
# The study's tabs, in order: (key, label).
TABS = (("profile", "Profile"), ("events", "Events"), ("sources", "Sources"), ("routines", "Routines"),
        ("diagram", "Diagram"), ("matrix", "Matrix"), ("documents", "Documents"), ("renewal", "Renewal"))


def samples_dir() -> Path:
    from ..core.frameworks import resources_dir

    here = Path(__file__).resolve().parents[2] / "sample_cases"
    return here if here.is_dir() else resources_dir() / "sample_cases"


def column_key(table: str) -> str:
    """Where the columns of a table (widths, order, shown or hidden) are
    remembered. The events table's layout changed to fit a laptop screen:
    a layout saved before then is not restored."""
    return "columns/events-2" if table == "events" else f"columns/{table}"


def settings() -> QSettings:
    path = os.environ.get("WORKBENCH_SETTINGS")
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings("LearningProcessWorkbench", "Workbench")


class StartPage(QWidget):
    """What a user sees with no study open."""

    def __init__(self, window: "MainWindow"):
        super().__init__()
        self.window = window
        layout = QVBoxLayout(self)
        layout.setContentsMargins(60, 40, 60, 40)
        title = QLabel(f"<h1>{APP}</h1><p>Map how small firms learn: log critical incidents, code them "
                       "onto the 4I/5I frameworks, see the process and write case tables.</p>")
        title.setWordWrap(True)
        layout.addWidget(title)
        row = QHBoxLayout()
        for text, slot in (("New study…", window.new_study_dialog), ("Open…", window.open_dialog)):
            b = QPushButton(text)
            b.setMinimumHeight(36)
            b.clicked.connect(slot)
            row.addWidget(b)
        row.addStretch()
        layout.addLayout(row)
        layout.addWidget(QLabel("<h3>Open an example study</h3><p>A copy is made, so the example stays "
                                "as it is.</p>"))
        for label in SAMPLES:
            b = QPushButton(label.replace("&", "&&"))  # a lone & would be a keyboard accelerator
            b.setMinimumHeight(32)
            b.clicked.connect(lambda _=False, lb=label: window.open_example_dialog(lb))
            layout.addWidget(b, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(QLabel("<h3>Recent studies</h3>"))
        self.recent = QListWidget()
        self.recent.itemActivated.connect(lambda item: window.open_path(item.data(Qt.ItemDataRole.UserRole)))
        layout.addWidget(self.recent, 1)

    def refresh(self, recent: list[str]) -> None:
        self.recent.clear()
        for path in recent:
            item = QListWidgetItem(f"{Path(path).name}    —    {Path(path).parent}")
            item.setData(Qt.ItemDataRole.UserRole, path)
            self.recent.addItem(item)
        if not recent:
            item = QListWidgetItem("(none yet)")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.recent.addItem(item)


class MainWindow(QMainWindow):
    def __init__(self):
        super().__init__()
        self.setWindowTitle(APP)
        self.resize(*self.first_size())
        self.controller: StudyController | None = None
        self.session: Session | None = None
        self.firm_id: str | None = None
        self.stack = QStackedWidget()
        self.start: StartPage | None = None  # built when first shown: not at all if a study opens first
        self.setCentralWidget(self.stack)
        self.setAcceptDrops(True)  # document files dropped on the window are added (docsgui)
        self.study_widget: QWidget | None = None
        self._tab_widgets: dict[str, QWidget] = {}
        self._build_actions()
        self._build_menus()
        self._update_actions()
        s = settings()
        if s.value("geometry"):
            self.restoreGeometry(s.value("geometry"))
        self.statusBar().showMessage("Open a study, or start a new one")

    def first_size(self) -> tuple[int, int]:
        """1360 x 860, or less on a smaller screen (a 1366 x 768 laptop): the
        window opens whole on the screen, not cut off at its foot."""
        screen = QtWidgets.QApplication.primaryScreen()
        if screen is None:
            return 1360, 860
        room = screen.availableGeometry()
        frame = 40  # the title bar and borders the window manager adds
        return min(1360, room.width()), min(860, max(400, room.height() - frame))

    # ------------------------------------------------------------------ actions and menus

    def _action(self, text, slot, shortcut=None, tip=None) -> QAction:
        act = QAction(text, self)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
        if tip:
            act.setStatusTip(tip)
        act.triggered.connect(lambda _=False: slot())
        return act

    def _build_actions(self) -> None:
        A = self._action
        self.act_new = A("&New study…", self.new_study_dialog, QKeySequence.StandardKey.New)
        self.act_open = A("&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        self.act_import = A("&Import into this study…", self.import_dialog)
        self.act_add_documents = A("Add &documents…", self.add_documents_dialog)  # docsgui
        self.act_close = A("&Close study", self.close_study, QKeySequence.StandardKey.Close)
        self.act_quit = A("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.act_find = A("&Find in all firms…", self.find_dialog, QKeySequence.StandardKey.Find)
        self.act_add_firm = A("&Add firm…", self.add_firm_dialog, "Ctrl+Shift+N")
        self.act_rename_firm = A("&Rename firm…", self.rename_firm_dialog, "F2")
        self.act_delete_firm = A("&Delete firm…", self.delete_firm_dialog)
        self.act_up = A("Move firm &up", lambda: self.move_firm(-1), "Ctrl+Shift+Up")
        self.act_down = A("Move firm do&wn", lambda: self.move_firm(+1), "Ctrl+Shift+Down")
        self.act_add_event = A("Add &event", self.add_event, "Ctrl+E")
        self.act_report = A("&Word report…", self.export_report_dialog, "Ctrl+R")
        self.act_diagram = A("&Diagrams…", self.export_diagram_dialog)
        self.act_json = A("Study as &JSON…", self.export_json_dialog)
        self.act_firm_json = A("This &firm as JSON…", lambda: self.export_json_dialog(firm=True))
        self.act_qdpx = A("REFI-QDA &project (.qdpx)…", lambda: self.export_as_dialog("qdpx"))
        self.act_qdc = A("REFI-QDA &codebook (.qdc)…", lambda: self.export_as_dialog("qdc"))
        self.act_xlsx = A("&Spreadsheet (.xlsx)…", lambda: self.export_as_dialog("xlsx"))
        self.act_blind = A("&Blind copy for a second coder…", self.blind_copy_dialog)
        self.act_practice = A("&Practice with an example…", self.practice_dialog)
        self.act_check = A("&Check my coding", self.check_coding)
        self.act_compare = A("Co&mpare with another coding…", self.compare_dialog_open)  # comparegui
        self.act_conflicts = A("Settle merge con&flicts…", self.show_conflicts)  # comparegui
        self.act_reference = A("&Framework reference", self.show_reference, QKeySequence.StandardKey.HelpContents)
        self.act_about = A("&About", self.about)
        self.act_search = A("&Search the documents…", self.show_search, "Ctrl+Shift+F")
        self.study_actions = [self.act_import, self.act_close, self.act_find, self.act_add_firm,
                              self.act_rename_firm, self.act_delete_firm, self.act_up, self.act_down,
                              self.act_add_event, self.act_report, self.act_diagram, self.act_json,
                              self.act_firm_json, self.act_add_documents, self.act_search,
                              self.act_qdpx, self.act_qdc, self.act_xlsx, self.act_blind, self.act_check,
                              self.act_compare, self.act_conflicts]

    def _build_menus(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addAction(self.act_new)
        m.addAction(self.act_open)
        self.examples_menu = m.addMenu("Open an &example study")
        for label in SAMPLES:
            self.examples_menu.addAction(self._action(label.replace("&", "&&"),
                                                      lambda lb=label: self.open_example_dialog(lb)))
        self.recent_menu = m.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        m.addSeparator()
        m.addAction(self.act_import)
        m.addAction(self.act_add_documents)
        m.addAction(self.act_compare)
        m.addAction(self.act_conflicts)
        m.addAction(self.act_close)
        m.addSeparator()
        m.addAction(self.act_quit)
        self.edit_menu = mb.addMenu("&Edit")
        self.undo_slot = self.edit_menu.addAction("Undo")
        self.undo_slot.setEnabled(False)
        self.redo_slot = self.edit_menu.addAction("Redo")
        self.redo_slot.setEnabled(False)
        self.edit_menu.addSeparator()
        self.edit_menu.addAction(self.act_add_event)
        self.edit_menu.addAction(self.act_find)
        self.edit_menu.addAction(self.act_search)
        self.view_menu = mb.addMenu("&View")
        self.tab_actions = []
        m = mb.addMenu("F&irm")
        for a in (self.act_add_firm, self.act_rename_firm, self.act_delete_firm, self.act_up, self.act_down):
            m.addAction(a)
        m = mb.addMenu("E&xport")
        for a in (self.act_report, self.act_diagram, self.act_json, self.act_firm_json):
            m.addAction(a)
        m.addSeparator()
        for a in (self.act_qdpx, self.act_qdc, self.act_xlsx):
            m.addAction(a)
        m.addSeparator()
        m.addAction(self.act_blind)
        m = mb.addMenu("&Help")
        m.addAction(self.act_practice)
        m.addAction(self.act_check)
        m.addSeparator()
        m.addAction(self.act_reference)
        m.addAction(self.act_about)

    def _update_actions(self) -> None:
        open_ = self.session is not None
        for a in self.study_actions:
            a.setEnabled(open_)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.recent():
            self.recent_menu.addAction(self._action(path.replace("&", "&&"), lambda p=path: self.open_path(p)))

    # ------------------------------------------------------------------ settings

    def recent(self) -> list[str]:
        value = settings().value("recent", [])
        if isinstance(value, str):
            value = [value]
        return [p for p in (value or []) if Path(p).exists()][:10]

    def _remember(self, path: str) -> None:
        s = settings()
        items = [str(Path(path).resolve())] + [p for p in self.recent() if Path(p).resolve() != Path(path).resolve()]
        s.setValue("recent", items[:10])
        if self.start is not None:
            self.start.refresh(items[:10])

    def show_start(self) -> None:
        """The start page, with the recent studies as they are now."""
        if self.start is None:
            self.start = StartPage(self)
            self.stack.addWidget(self.start)
        self.start.refresh(self.recent())
        self.stack.setCurrentWidget(self.start)

    def showEvent(self, event) -> None:
        if self.session is None:
            self.show_start()
        super().showEvent(event)

    def closeEvent(self, event) -> None:
        s = settings()
        s.setValue("geometry", self.saveGeometry())
        if self.study_widget is not None:
            s.setValue("splitter", self.splitter.saveState())
        self.close_study()
        super().closeEvent(event)

    # ------------------------------------------------------------------ messages

    def error(self, message: str, title: str = "Could not do that") -> None:
        QtWidgets.QMessageBox.warning(self, title, message)

    # ------------------------------------------------------------------ opening and closing

    def open_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open a study", "",
                                                        "Studies (*.lpw *.study.json *.json);;All files (*)")
        if path:
            self.open_path(path)

    def open_path(self, path: str, json_target: str | None = None) -> bool:
        """Open a .lpw, or import a *.study.json into a new .lpw (asking where,
        unless ``json_target`` says)."""
        path = str(path)
        if not services.is_lpw(path) and not path.lower().endswith(".lpw"):
            target = json_target
            if target is None:
                suggested = str(Path(path).with_suffix("")).removesuffix(".study") + ".lpw"
                target, _ = QtWidgets.QFileDialog.getSaveFileName(
                    self, "Save the study as", suggested, "Workbench studies (*.lpw)")
                if not target:
                    return False
            if Path(target).exists():
                self.error(f"{target} already exists: choose a new file for the imported study.")
                return False
            try:
                services.import_file(target, path)
            except WorkbenchError as exc:
                self.error("\n".join(exc.lines()[:25]), "This file is not a study the workbench can open")
                return False
            path = target
        return self._open_session(path)

    def _open_session(self, path: str, create: dict | None = None) -> bool:
        session = self._session_or_explain(path, create)
        if session is None:
            return False
        self.close_study()
        self.session = session
        try:
            self.controller = StudyController(session, self)
            self.controller.error.connect(self.error)
            self.controller.firmsChanged.connect(self._firms_changed)
            self._build_study_widget()
            meta = session.meta()
            firms = session.firms()
            if firms:
                self.select_firm(firms[0]["id"])
        except WorkbenchError as exc:  # a damaged page the check at opening did not reach
            self.close_study()
            self.error(exc.message, "The study file is damaged" if isinstance(exc, DamagedStudyError)
                       else "The study could not be opened")
            return False
        self._remember(path)
        self._update_actions()
        self.setWindowTitle(f"{Path(path).name}{' (read-only)' if session.read_only else ''} — "
                            f"{meta['title']} — {APP}")
        if session.read_only:
            status = "This study is open read-only: you can look, not change it."
        else:
            status = f"Every change is saved to {path} as you make it."
        self.statusBar().showMessage(" ".join(session.warnings + [status]))
        self._offer_conflicts()
        return True

    def _session_or_explain(self, path: str, create: dict | None = None) -> Session | None:
        """A Session on the study, or None after a dialog saying why not. What
        the dialog offers follows from the error's type: a study locked by
        another workbench, or one whose file cannot be written, can still be
        opened read-only."""
        from ..core.errors import (DamagedStudyError, NewerVersionError, NotAStudyError, ReadOnlyError,
                                   StudyLockedError)

        try:
            return Session(path, create=create)
        except (StudyLockedError, ReadOnlyError) as exc:
            if create is not None:
                self.error(exc.message, "Cannot create the study")
                return None
            buttons = QtWidgets.QMessageBox.StandardButton
            answer = QtWidgets.QMessageBox.question(
                self, "Open the study read-only?",
                f"{exc.message}\n\nOpen {Path(path).name} read-only, to look at it without changing it?",
                buttons.Open | buttons.Cancel, buttons.Open)
            if answer != buttons.Open:
                return None
            try:
                return Session(path, read_only=True)
            except WorkbenchError as exc2:
                self.error("\n".join(exc2.lines()[:25]), "Cannot open the study")
                return None
        except WorkbenchError as exc:
            title = {DamagedStudyError: "The study file is damaged", NotAStudyError: "Not a study file",
                     NewerVersionError: "Made by a newer workbench"}.get(type(exc), "Cannot open the study")
            self.error("\n".join(exc.lines()[:25]), title)
            return None

    def new_study_dialog(self) -> None:
        from .dialogs import NewStudyDialog

        dlg = NewStudyDialog(self)
        if dlg.exec() != QDialog.DialogCode.Accepted or not dlg.title.text().strip():
            return
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save the new study as", "study.lpw",
                                                        "Workbench studies (*.lpw)")
        if path:
            self.new_study(path, dlg.title.text().strip(), dlg.framework.currentData())

    def new_study(self, path: str, title: str, framework_id: str) -> bool:
        if Path(path).exists():
            self.error(f"{path} already exists: choose another name for the new study.")
            return False
        return self._open_session(path, create={"title": title, "framework": framework_id})

    def open_example_dialog(self, label: str) -> None:
        name = SAMPLES[label]
        suggested = str(Path.home() / name.replace(".study.json", ".lpw"))
        target, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save your copy of the example as", suggested,
                                                          "Workbench studies (*.lpw)")
        if target:
            self.open_example(label, target)

    def open_example(self, label: str, target: str) -> bool:
        """Copy an example into a new study file and open it."""
        source = samples_dir() / SAMPLES[label]
        return self.open_path(str(source), json_target=target)

    def close_study(self) -> None:
        if self.session is None:
            return
        for name in ("compare_dialog", "conflicts_dialog"):  # comparegui: they show this study
            if getattr(self, name, None) is not None:
                getattr(self, name).close()
                setattr(self, name, None)
        if self.study_widget is not None:
            focused = self.focusWidget()
            if focused is not None:
                focused.clearFocus()  # commits a text box being edited
            settings().setValue("splitter", self.splitter.saveState())
            settings().setValue("tab", self.tabs.currentIndex())
            for name, view in self._tables().items():
                settings().setValue(column_key(name), view.horizontalHeader().saveState())
            if "diagram" in self._tab_widgets:
                self._tab_widgets["diagram"].timer.stop()
            self.controller.blockSignals(True)
            self.stack.removeWidget(self.study_widget)
            self.study_widget.deleteLater()
            self.study_widget = None
            self._tab_widgets = {}
        for dock in (getattr(self, "codes_dock", None), getattr(self, "search_dock", None)):
            if dock is not None:
                settings().setValue(f"dock/{dock.objectName()}", dock.isVisible())
                if hasattr(dock.widget(), "attach"):  # a panel, not the placeholder of one never shown
                    dock.widget().attach(None)
        self.session.close()
        self.session = None
        self.controller = None
        self.firm_id = None
        self.show_start()
        self.setWindowTitle(APP)
        self._rebind_undo(None)
        self._update_actions()

    # ------------------------------------------------------------------ the study view

    def _build_study_widget(self) -> None:
        c = self.controller
        self.firm_model = FirmListModel(c)
        self.firm_list = QListView()
        self.firm_list.setModel(self.firm_model)
        self.firm_list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.firm_list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.firm_list.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed
                                       | QAbstractItemView.EditTrigger.DoubleClicked)
        self.firm_list.selectionModel().currentChanged.connect(
            lambda cur, _: cur.isValid() and self.select_firm(self.firm_model.firms[cur.row()]["id"]))
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(4, 4, 4, 4)
        ll.addWidget(QLabel("<b>Firms</b>"))
        ll.addWidget(self.firm_list)
        buttons = QGridLayout()  # two by two: the words fit the narrow pane
        buttons.setSpacing(4)
        self.firm_buttons: dict[str, QPushButton] = {}
        for key, text, name, slot, tip in (
                ("add", "Add…", "Add firm", self.add_firm_dialog, "Add a firm to the study (Ctrl+Shift+N)"),
                ("delete", "Delete…", "Delete firm", self.delete_firm_dialog,
                 "Delete the selected firm, with its events, sources and routines (you can undo it)"),
                ("up", "↑ Up", "Move firm up", lambda: self.move_firm(-1),
                 "Move the selected firm up the list (Ctrl+Shift+Up)"),
                ("down", "↓ Down", "Move firm down", lambda: self.move_firm(+1),
                 "Move the selected firm down the list (Ctrl+Shift+Down)")):
            b = QPushButton(text)
            b.setToolTip(tip)
            b.setAccessibleName(name)
            b.setAccessibleDescription(tip)
            b.clicked.connect(lambda _=False, s=slot: s())
            n = len(self.firm_buttons)
            self.firm_buttons[key] = b
            buttons.addWidget(b, n // 2, n % 2)
        ll.addLayout(buttons)

        self._tab_widgets = {}
        self.tabs = QTabWidget()
        for _, label in TABS:
            self.tabs.addTab(QWidget(), label)  # each a placeholder until first shown
        self.tabs.currentChanged.connect(lambda i: i >= 0 and self._tab(TABS[i][0]))
        self.view_menu.clear()
        for i in range(self.tabs.count()):
            act = self._action(self.tabs.tabText(i), lambda i=i: self.tabs.setCurrentIndex(i), f"Ctrl+{i + 1}")
            self.view_menu.addAction(act)
        self._build_docks()

        # a study with no firm shows, where the tabs would be, what to do first
        self.no_firm = QWidget()
        nl = QVBoxLayout(self.no_firm)
        nl.addStretch(1)
        message = QLabel("<h2>Add a firm</h2><p>This study has no firms yet. Add a firm, then log its "
                         "events, knowledge sources and routines.</p>")
        message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        message.setWordWrap(True)
        nl.addWidget(message)
        self.add_firm_button = QPushButton("Add a firm…")
        self.add_firm_button.setAccessibleName("Add a firm")
        self.add_firm_button.setMinimumHeight(36)
        self.add_firm_button.clicked.connect(self.add_firm_dialog)
        nl.addWidget(self.add_firm_button, 0, Qt.AlignmentFlag.AlignCenter)
        nl.addStretch(2)
        self.right = QStackedWidget()
        self.right.addWidget(self.tabs)
        self.right.addWidget(self.no_firm)

        self.splitter = QSplitter()
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.right)
        self.splitter.setStretchFactor(1, 5)
        state = settings().value("splitter")
        if state:
            self.splitter.restoreState(state)
        else:
            self.splitter.setSizes([220, 1140])
        self.study_widget = self.splitter
        self.stack.addWidget(self.splitter)
        self.stack.setCurrentWidget(self.splitter)
        tab = str(settings().value("tab", ""))
        self.tabs.setCurrentIndex(int(tab) if tab.isdigit() and int(tab) < len(TABS) else 1)
        self._tab(TABS[self.tabs.currentIndex()][0])
        self._rebind_undo(c.undo_stack)
        self._show_no_firm()

    def _build_docks(self) -> None:
        """The Codes and Search docks (built once; shown as they were left),
        and their entries in the View menu. A panel is built when its dock is
        first shown (``_dock_panel``): hidden, it costs nothing at start-up."""
        from PySide6.QtWidgets import QDockWidget

        if getattr(self, "codes_dock", None) is None:
            for name, title, area in (("codes", "Codes", Qt.DockWidgetArea.RightDockWidgetArea),
                                      ("search", "Search", Qt.DockWidgetArea.BottomDockWidgetArea)):
                dock = QDockWidget(title, self)
                dock.setObjectName(name)
                dock.setWidget(QWidget())  # the panel's placeholder
                dock.visibilityChanged.connect(lambda shown, n=name: shown and self._dock_panel(n))
                self.addDockWidget(area, dock)
                setattr(self, f"{name}_dock", dock)
                dock.setVisible(settings().value(f"dock/{name}", "false") in (True, "true"))
            # the code names readable beside their counts; the events table keeps most of a laptop's height
            self.resizeDocks([self.codes_dock], [360], Qt.Orientation.Horizontal)
            self.resizeDocks([self.search_dock], [250], Qt.Orientation.Vertical)
        self.view_menu.addSeparator()
        for dock, keys in ((self.codes_dock, "Ctrl+Shift+K"), (self.search_dock, "Ctrl+Shift+F")):
            act = dock.toggleViewAction()
            act.setText(f"{dock.windowTitle()} panel")
            if dock is self.codes_dock:
                act.setShortcut(QKeySequence(keys))
            self.view_menu.addAction(act)
        for dock in (self.codes_dock, self.search_dock):
            if hasattr(dock.widget(), "attach"):
                dock.widget().attach(self.controller)

    def _dock_panel(self, name: str):
        """The Codes or Search panel, built (and given the study) the first
        time it is asked for."""
        dock = getattr(self, f"{name}_dock")
        panel = dock.widget()
        if not hasattr(panel, "attach"):
            if name == "codes":
                from .codes_panel import CodesPanel as Panel
            else:
                from .search_panel import SearchPanel as Panel
            placeholder, panel = panel, Panel(self)
            dock.setWidget(panel)
            placeholder.deleteLater()
            if self.controller is not None:
                panel.attach(self.controller)
        return panel

    def show_search(self) -> None:
        """Ctrl+Shift+F: the Search panel, its field ready to type in."""
        if self.controller is None:
            return
        panel = self._dock_panel("search")
        self.search_dock.show()
        self.search_dock.raise_()
        panel.pages.setCurrentIndex(0)
        panel.text.setFocus()
        panel.text.selectAll()

    def coding_query(self, code_id: str) -> None:
        self.search_dock.show()
        self._dock_panel("search").show_code(code_id)

    def open_document_at(self, doc_id: str, start: int, end: int) -> None:
        """Show a document with the passage ``start``-``end`` selected: in the
        Documents tab where there is one, else in a read-only window."""
        for i in range(self.tabs.count()):
            if self.tabs.tabText(i).replace("&", "") == "Documents":
                self.tabs.setCurrentIndex(i)  # builds the tab if it is not yet
                tab = self.tabs.widget(i)
                if hasattr(tab, "show_passage"):
                    return tab.show_passage(doc_id, start, end)
                if hasattr(tab, "show_document"):
                    return tab.show_document(doc_id, select=(start, end))
        from ..core.textpos import describe
        from .search_panel import PassageDialog

        doc = self.session.document(doc_id)
        where = describe(doc["name"], doc["text"], start, end)
        self.passage_dialog = PassageDialog(self, doc["name"], doc["text"], start, end, where)
        self.passage_dialog.show()

    def _show_no_firm(self) -> None:
        """The tabs, or (a study with no firm) the "Add a firm" page in their
        place; the firm buttons that need a firm are enabled when there is one."""
        if self.study_widget is not None:
            any_firm = bool(self.session.firms())
            self.right.setCurrentWidget(self.tabs if any_firm else self.no_firm)
            for key in ("delete", "up", "down"):
                self.firm_buttons[key].setEnabled(any_firm)

    def _tab(self, key: str) -> QWidget | None:
        """The study's tab ``key``, built the first time it is asked for (shown,
        or used by a menu command): opening a study builds only the tab in
        view. None when no study is open."""
        if self.controller is None:
            return None
        widget = self._tab_widgets.get(key)
        if widget is not None:
            return widget
        c = self.controller
        if key in ("sources", "routines"):
            widget = ObjectTab(c, key)
            widget.used_by.itemDoubleClicked.connect(self._goto_event)
        elif key == "diagram":
            from .diagram_tab import DiagramTab  # QtSvg and the graphics view: loaded with the tab

            widget = DiagramTab(c)
        elif key == "documents":
            from .documents_tab import DocumentsTab

            widget = DocumentsTab(c)
        elif key == "matrix":
            from .matrix_tab import MatrixTab

            widget = MatrixTab(c)
        elif key == "renewal":
            from .renewal_tab import RenewalTab

            widget = RenewalTab(c)
            widget.eventActivated.connect(self.show_event)
            widget.firmActivated.connect(self.select_firm)
        else:
            widget = {"profile": ProfileTab, "events": EventsTab}[key](c)
        self._tab_widgets[key] = widget
        if key in ("events", "sources", "routines"):
            state = settings().value(column_key(key))
            if state:
                widget.view.horizontalHeader().restoreState(state)
            if key == "events":
                widget.fit_columns()
        i = [k for k, _ in TABS].index(key)
        current = self.tabs.currentIndex()
        placeholder = self.tabs.widget(i)
        self.tabs.blockSignals(True)
        self.tabs.removeTab(i)
        self.tabs.insertTab(i, widget, TABS[i][1])
        self.tabs.setCurrentIndex(current)
        self.tabs.blockSignals(False)
        placeholder.deleteLater()
        widget.set_firm(self.firm_id)
        return widget

    profile_tab = property(lambda self: self._tab("profile"))
    events_tab = property(lambda self: self._tab("events"))
    sources_tab = property(lambda self: self._tab("sources"))
    routines_tab = property(lambda self: self._tab("routines"))
    diagram_tab = property(lambda self: self._tab("diagram"))
    matrix_tab = property(lambda self: self._tab("matrix"))
    documents_tab = property(lambda self: self._tab("documents"))
    renewal_tab = property(lambda self: self._tab("renewal"))

    # ------------------------------------------------------------------ documents (docsgui)
    # File > Add documents…, and document files dropped on the window: see documents_tab.

    def add_documents_dialog(self) -> None:
        from .documents_tab import add_documents_dialog

        add_documents_dialog(self)

    def dragEnterEvent(self, event) -> None:
        from .documents_tab import dropped_paths

        if self.session is not None and dropped_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        from .documents_tab import add_documents, dropped_paths

        paths = dropped_paths(event.mimeData()) if self.session is not None else []
        if paths:
            event.acceptProposedAction()
            add_documents(self, paths)

    def _tables(self) -> dict:
        """The tables built so far, by name."""
        return {k: self._tab_widgets[k].view for k in ("events", "sources", "routines") if k in self._tab_widgets}

    def _rebind_undo(self, stack) -> None:
        self.edit_menu.removeAction(self.undo_slot)
        self.edit_menu.removeAction(self.redo_slot)
        first = self.edit_menu.actions()[0] if self.edit_menu.actions() else None
        if stack is None:
            self.undo_slot = QAction("Undo", self)
            self.undo_slot.setEnabled(False)
            self.redo_slot = QAction("Redo", self)
            self.redo_slot.setEnabled(False)
        else:
            self.undo_slot = stack.createUndoAction(self, "Undo")
            self.undo_slot.setShortcut(QKeySequence.StandardKey.Undo)
            self.redo_slot = stack.createRedoAction(self, "Redo")
            self.redo_slot.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence.StandardKey.Redo])
        self.edit_menu.insertAction(first, self.undo_slot)
        self.edit_menu.insertAction(first, self.redo_slot)

    def select_firm(self, firm_id: str | None) -> None:
        self._show_no_firm()
        if firm_id == self.firm_id and firm_id is not None:
            return
        self.firm_id = firm_id
        row = self.firm_model.row_of(firm_id) if firm_id else -1
        if row >= 0 and self.firm_list.currentIndex().row() != row:
            self.firm_list.setCurrentIndex(self.firm_model.index(row))
        for tab in self._tab_widgets.values():
            tab.set_firm(firm_id)
        if getattr(self, "search_dock", None) is not None and hasattr(self.search_dock.widget(), "attach"):
            self.search_dock.widget().refresh_firm()

    def add_event(self) -> str | None:
        """Edit → Add event: a new event after the selected one, shown in
        the Events tab with its title ready to type."""
        tab = self.events_tab
        if tab is None:
            return None
        self.tabs.setCurrentWidget(tab)
        return tab.add_event()

    def _firms_changed(self) -> None:
        """The list of firms changed (a firm added, removed, renamed or
        moved): the list shows it, and the firm in view stays in view."""
        self.firm_model.reload()  # before choosing: this handler may run before the model's own
        ids = [f["id"] for f in self.firm_model.firms]
        keep = self.firm_id if self.firm_id in ids else (ids[0] if ids else None)
        self.firm_id = None
        self.select_firm(keep)

    def show_event(self, firm_id: str, event_id: str) -> None:
        """The event in the Events tab, selected (from the Renewal tab)."""
        self.select_firm(firm_id)
        self.tabs.setCurrentWidget(self.events_tab)
        self.events_tab.filter.clear()
        self.events_tab.select(event_id)

    def _goto_event(self, item) -> None:
        event_id = item.data(Qt.ItemDataRole.UserRole)
        if event_id:
            self.tabs.setCurrentWidget(self.events_tab)
            self.events_tab.filter.clear()
            self.events_tab.select(event_id)

    # ------------------------------------------------------------------ firms

    def add_firm(self, name: str) -> str | None:
        s = self.session
        base = "".join(ch for ch in name.lower() if ch.isalnum())[:20] or "firm"
        taken = {f["id"] for f in s.firms()}
        firm_id, n = base, 2
        while firm_id in taken:
            firm_id, n = f"{base}{n}", n + 1
        if self.controller.add_firm({"id": firm_id, "name": name}):
            self.select_firm(firm_id)
            return firm_id
        return None

    def add_firm_dialog(self) -> None:
        if not self.session:
            return
        name, ok = QtWidgets.QInputDialog.getText(self, "Add firm", "Name of the firm")
        if ok and name.strip():
            self.add_firm(name.strip())

    def rename_firm_dialog(self) -> None:
        if not self.firm_id:
            return
        current = self.session.get("firms", None, self.firm_id)["name"]
        name, ok = QtWidgets.QInputDialog.getText(self, "Rename firm", "New name", text=current)
        if ok and name.strip() and name.strip() != current:
            self.controller.set_field("firms", None, self.firm_id, "name", name.strip(), text="Rename firm")

    def delete_firm_dialog(self) -> None:
        if not self.firm_id:
            return
        firm = self.session.firm(self.firm_id)
        answer = QtWidgets.QMessageBox.question(
            self, "Delete firm",
            f"Delete the firm “{firm.name}” with its {len(firm.event_list)} events, "
            f"{len(firm.source_list)} sources and {len(firm.routine_list)} routines?\n\n"
            f"You can undo this (Ctrl+Z).")
        if answer == QtWidgets.QMessageBox.StandardButton.Yes:
            self.controller.delete_firm(self.firm_id)

    def move_firm(self, delta: int) -> None:
        if not self.firm_id:
            return
        row = self.firm_model.row_of(self.firm_id)
        if 0 <= row + delta < len(self.firm_model.firms):
            self.controller.move("firms", None, self.firm_id, row + delta)

    # ------------------------------------------------------------------ find

    def find_dialog(self) -> None:
        if not self.session:
            return
        text, ok = QtWidgets.QInputDialog.getText(self, "Find in all firms", "Events containing")
        if ok and text.strip():
            self.find(text.strip())

    def find(self, text: str) -> list[dict]:
        hits = self.session.find_events(text)
        names = {f["id"]: f["name"] for f in self.session.firms()}
        dock = getattr(self, "find_dock", None)
        if dock is None:
            dock = self.find_dock = QtWidgets.QDockWidget("Found", self)
            dock.setObjectName("find")
            self.find_list = QListWidget()
            self.find_list.itemActivated.connect(self._goto_found)
            self.find_list.itemDoubleClicked.connect(self._goto_found)
            dock.setWidget(self.find_list)
            self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        self.find_list.clear()
        for h in hits:
            item = QListWidgetItem(f"{names.get(h['firm'], h['firm'])}: {h['title']}")
            item.setData(Qt.ItemDataRole.UserRole, (h["firm"], h["id"]))
            self.find_list.addItem(item)
        dock.setWindowTitle(f"Found {len(hits)} event{'s' if len(hits) != 1 else ''} containing “{text}”")
        dock.show()
        return hits

    def _goto_found(self, item) -> None:
        firm_id, event_id = item.data(Qt.ItemDataRole.UserRole)
        self.select_firm(firm_id)
        self.tabs.setCurrentWidget(self.events_tab)
        self.events_tab.filter.clear()
        self.events_tab.select(event_id)

    # ------------------------------------------------------------------ import and export

    EXPORTS = {"qdpx": ("REFI-QDA project", "REFI-QDA projects (*.qdpx)"),
               "qdc": ("REFI-QDA codebook", "REFI-QDA codebooks (*.qdc)"),
               "xlsx": ("spreadsheet", "Excel workbooks (*.xlsx)")}

    def export_as_dialog(self, kind: str) -> None:
        """Export → REFI-QDA project, codebook or spreadsheet, for NVivo,
        ATLAS.ti, MAXQDA, QualCoder or Excel."""
        what, pattern = self.EXPORTS[kind]
        suggested = f"{Path(str(self.session.path)).stem}.{kind}"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, f"Export as a {what}", suggested, pattern)
        if not path:
            return
        if Path(path).suffix.lower() != f".{kind}":
            path += f".{kind}"
        try:
            services.export(self.session.path, path)
        except WorkbenchError as exc:
            self.error(exc.message, "Export failed")
            return
        self.statusBar().showMessage(f"Wrote {path}")

    def import_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Import into this study", "",
            "Study files (*.study.json *.json);;REFI-QDA projects and codebooks (*.qdpx *.qdc);;"
            "Spreadsheets of events, sources and routines (*.xlsx *.csv)")
        if not path:
            return
        suffix = Path(path).suffix.lower()
        if suffix in (".qdpx", ".qdc", ".xlsx", ".csv"):
            self.import_other(path)
            return
        from ..core.errors import FirmsExistError

        try:
            ids = self.controller.import_json(path)
        except FirmsExistError as exc:
            question = "\n".join(exc.lines()[:12]) + "\n\nReplace those firms with the file's?"
            if QtWidgets.QMessageBox.question(self, "Replace firms?", question) \
                    != QtWidgets.QMessageBox.StandardButton.Yes:
                return
            try:
                ids = self.controller.import_json(path, replace=True)
            except WorkbenchError as exc2:
                self.error("\n".join(exc2.lines()[:25]), "Nothing was imported")
                return
        except WorkbenchError as exc:
            self.error("\n".join(exc.lines()[:25]), "Nothing was imported")
            return
        self.firm_model.reload()
        self.statusBar().showMessage(f"Imported {', '.join(ids)} (Edit → Undo takes the import back)")
        self._offer_conflicts()

    def import_other(self, path: str) -> bool:
        """A REFI-QDA project or codebook, or a spreadsheet of events,
        sources and routines (shown first: what would be added, and to which
        firm), imported through the study's session as one step."""
        from ..io import refiqda, sheets

        try:
            if Path(path).suffix.lower() in (".xlsx", ".csv"):
                # each row to the firm its Firm column names, as on the command line; else (no Firm
                # column, or a firm this study lacks) the selected firm's rows, the others left out and said so
                from ..core.errors import InputError

                try:
                    target = None
                    counts, warns = sheets.import_tables(self.session.path, path, None, dry_run=True)
                except InputError:
                    target = self.firm_id
                    counts, warns = sheets.import_tables(self.session.path, path, target, dry_run=True)
                notes = "".join(f"\n{w.message}" for w in warns)
                if not counts:
                    self.statusBar().showMessage(f"{Path(path).name} holds no rows to add"
                                                 + notes.replace("\n", "; "))
                    return False
                names = {f["id"]: f["name"] for f in self.session.firms()}
                lines = [f"{names.get(firm, firm)}: " + ", ".join(f"{n} {t if n != 1 else t[:-1]}"
                                                                  for t, n in by.items())
                         for firm, by in counts.items()]
                if QtWidgets.QMessageBox.question(
                        self, "Import from a spreadsheet",
                        f"{Path(path).name} adds:\n\n" + "\n".join(lines) + (f"\n{notes}" if notes else "")
                        + "\n\nAdd them? (Edit → Undo takes them back.)") \
                        != QtWidgets.QMessageBox.StandardButton.Yes:
                    return False
                self.controller.call(lambda s: sheets.import_tables(s.path, path, target, session=s))
            else:
                ids, warnings, counts = self.controller.call(
                    lambda s: refiqda.import_into(s.path, path, session=s))
                skipped = [str(w) for w in warnings]
                self.statusBar().showMessage(
                    f"Imported {Path(path).name}: {counts.get('documents', 0)} documents, "
                    f"{counts.get('codes', 0)} codes, {counts.get('firms', 0)} firms"
                    + (f"; {len(skipped)} notes (see the log)" if skipped else ""))
        except WorkbenchError as exc:
            self.error("\n".join(exc.lines()[:25]), "Nothing was imported")
            return False
        self.firm_model.reload()
        return True

    def export_json_dialog(self, firm: bool = False) -> None:
        firm_id = self.firm_id if firm else None
        if firm and not firm_id:
            return
        suggested = f"{firm_id or 'study'}.study.json"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export as a study file", suggested,
                                                        "Study files (*.study.json)")
        if path:
            self.export_json(path, firm_id)

    def export_json(self, path: str, firm_id: str | None = None) -> bool:
        try:
            services.export(self.session.path, path, firm_id=firm_id)
        except WorkbenchError as exc:
            self.error(exc.message, "Export failed")
            return False
        self.statusBar().showMessage(f"Wrote {path}")
        return True

    def export_diagram_dialog(self) -> None:
        from .dialogs import DiagramDialog

        firm = next((f["name"] for f in self.session.firms() if f["id"] == self.firm_id), None)
        dlg = DiagramDialog(firm, self)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            opts = dlg.options()
        except WorkbenchError as exc:  # a typed width that cannot be read
            self.error(exc.message, "Export failed")
            return
        if opts["scope"] == "all":
            out = QtWidgets.QFileDialog.getExistingDirectory(self, "Folder for the diagrams")
        else:
            name = (self.firm_id if opts["scope"] == "firm" else "study") + \
                ("-framework" if opts["kind"] == "framework" else "")
            out, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export the diagram as", f"{name}.{opts['fmt']}",
                                                           f"{opts['fmt'].upper()} (*.{opts['fmt']})")
            if out and not Path(out).suffix:
                out += f".{opts['fmt']}"
        if out:
            self.export_diagrams(out, **opts)

    def export_diagrams(self, out: str, kind: str = "process", scope: str = "firm", fmt: str = "svg",
                        dpi: int = 150, sources: bool = True, routines: bool = True,
                        width: float | None = None) -> list[Path]:
        """Draw diagrams as ``workbench diagram`` does: ``scope`` is "firm"
        (the selected one), "all" (``out`` is a folder) or "study" (the
        framework figure of the whole study); ``width`` in points draws for a
        printed page that wide (None: one drawing for the screen), one file
        per part where a process needs several. Returns the files written."""
        QtWidgets.QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            written, engine, _ = services.diagram(
                self.session.path, out, firm_id=self.firm_id if scope == "firm" else None,
                all_firms=scope == "all", kind=kind, fmt=fmt, dpi=dpi, sources=sources, routines=routines,
                width=width)
        except WorkbenchError as exc:
            self.error(exc.message, "Export failed")
            return []
        finally:
            QtWidgets.QApplication.restoreOverrideCursor()
        if len(written) == 1:
            where = str(written[0])
        elif scope == "all":
            where = f"{len(written)} files to {out}"
        else:
            where = f"{len(written)} files, one per part at this width: {written[0].name} to {written[-1].name}"
        self.statusBar().showMessage(f"Wrote {where}" + (f" (drawn with {engine})" if fmt != "dot" else ""))
        return written

    def _audience_choice(self, dlg) -> QtWidgets.QComboBox:
        """The report dialog's "Written for" choice: researchers (the case
        tables and figures) or the firm's owner (the client report of one
        firm). Choosing the client keeps one firm ticked (the one in view)
        and turns off what only the research report has."""
        box = QtWidgets.QComboBox(dlg)
        box.addItem("Researchers: case tables, figures and appendices", "research")
        box.addItem("The firm's owner: a plain report of one firm (client report)", "client")
        row = QHBoxLayout()
        label = QLabel("&Written for")
        label.setBuddy(box)
        row.addWidget(label)
        row.addWidget(box, 1)
        dlg.layout().insertLayout(0, row)
        hint = QLabel("")
        hint.setWordWrap(True)
        dlg.layout().insertWidget(1, hint)

        def changed() -> None:
            client = box.currentData() == "client"
            for check in (dlg.evidence, dlg.tables_only):
                check.setEnabled(not client)
            hint.setText("Tick the one firm the report is for." if client else "")
            hint.setVisible(client)
            if client:
                chosen = dlg.chosen()
                keep = self.firm_id if self.firm_id in chosen or not chosen else chosen[0]
                for i in range(dlg.firms.count()):
                    item = dlg.firms.item(i)
                    item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) == keep
                                       else Qt.CheckState.Unchecked)

        def accept() -> None:
            if box.currentData() == "client" and len(dlg.chosen()) != 1:
                hint.setText(f"A client report is about one firm: tick exactly one "
                             f"({len(dlg.chosen())} {'is' if len(dlg.chosen()) == 1 else 'are'} ticked).")
                return
            dlg.accept()

        buttons = dlg.findChild(QtWidgets.QDialogButtonBox)
        buttons.accepted.disconnect()
        buttons.accepted.connect(accept)
        box.currentIndexChanged.connect(changed)
        hint.setVisible(False)
        dlg.audience = box
        return box

    def export_report_dialog(self) -> None:
        from .dialogs import ReportDialog

        dlg = ReportDialog(self.session.firms(), self)
        audience = self._audience_choice(dlg)
        if dlg.exec() != QDialog.DialogCode.Accepted or not dlg.chosen():
            return
        client = audience.currentData() == "client"
        name = f"{dlg.chosen()[0]}-client-report.docx" if client else "report.docx"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save the report as", name, "Word (*.docx)")
        if path:
            self.export_report(path, dlg.chosen(), dlg.diagrams.isChecked(), dlg.evidence.isChecked(),
                               dlg.tables_only.isChecked() and not client,
                               template=dlg.template.text().strip() or None, audience=audience.currentData())

    def export_report(self, path: str, firm_ids: list[str] | None = None, diagrams: bool = True,
                      evidence: bool = True, tables_only: bool = False, template: str | None = None,
                      wait: bool = False, audience: str = "research") -> ReportWorker:
        """Write the report in the background with a cancellable progress dialog."""
        dialog = QtWidgets.QProgressDialog("Writing the report…", "Cancel", 0, 100, self)
        dialog.setWindowTitle("Word report")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        from .dialogs import ReportWorker

        worker = ReportWorker(str(self.session.path), path,
                              {"firm_ids": firm_ids, "diagrams": diagrams, "evidence": evidence,
                               "tables_only": tables_only, "template": template, "audience": audience})
        worker.progress.connect(lambda d, t, label: (dialog.setMaximum(t), dialog.setValue(d),
                                                     dialog.setLabelText(f"Writing the report: {label}")))
        dialog.canceled.connect(worker.cancel.set)

        def done(out):
            dialog.reset()
            self.statusBar().showMessage(f"Wrote {out}")

        def failed(message):
            dialog.reset()
            if message:
                self.error(message, "The report was not written")
            else:
                self.statusBar().showMessage("Report cancelled: nothing was written")

        worker.finished_ok.connect(done)
        worker.failed.connect(failed)
        self._worker = worker
        worker.start()
        if wait:
            worker.wait()
        return worker

    # ------------------------------------------------------------------ help

    # ------------------------------------------------------------------ two coders, students

    def blind_copy_dialog(self) -> None:
        """Export → Blind copy: the study without its coding, for a second coder."""
        from .. import coders

        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, "Blind copy for a second coder", f"{Path(str(self.session.path)).stem}-blind.study.json",
            "Study files (*.study.json)")
        if not path:
            return
        try:
            copy = coders.blind_file(self.session.path, path)
        except WorkbenchError as exc:
            self.error(exc.message, "No copy was written")
            return
        n = sum(len(f.get("events", ())) for f in copy.get("firms", ()))
        self.statusBar().showMessage(f"Wrote {path}: {n} events without their coding, no coder named")

    def practice_dialog(self) -> None:
        """Help → Practice: a copy of an example study without its coding,
        opened here to be coded; Help → Check my coding compares it."""
        from .. import coders

        names = list(coders.examples())
        name, ok = QtWidgets.QInputDialog.getItem(self, "Practice with an example",
                                                  "Code this example study yourself:", names, 0, False)
        if not ok:
            return
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save your practice study as",
                                                        f"my-{name}.lpw", "Studies (*.lpw)")
        if not path:
            return
        try:
            coders.practice(name, path)
        except WorkbenchError as exc:
            self.error(exc.message, "The practice study was not made")
            return
        if self.open_path(path):
            self.statusBar().showMessage("Code the events, then Help → Check my coding compares yours "
                                         "with the authors'")

    def check_coding(self) -> str | None:
        """Help → Check my coding: this study's coding against the example it
        was made from, as feedback to learn from (shown, and returned)."""
        from .. import coders

        try:
            text = coders.check_text(coders.check(self.session.path))
        except WorkbenchError as exc:
            self.error(exc.message, "Nothing to check against")
            return None
        dlg = QDialog(self)
        dlg.setWindowTitle("Your coding against the authors'")
        layout = QtWidgets.QVBoxLayout(dlg)
        view = QtWidgets.QPlainTextEdit(text)
        view.setReadOnly(True)
        layout.addWidget(view)
        close = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(dlg.reject)
        layout.addWidget(close)
        dlg.resize(760, 560)
        self.check_dialog = dlg
        dlg.show()
        return text

    def compare_dialog_open(self) -> None:
        """File → Compare with another coding (see gui/compare_dialog.py)."""
        from .compare_dialog import open_compare

        open_compare(self)

    def compare_with(self, path: str):
        from .compare_dialog import show_compare

        return show_compare(self, path)

    def show_conflicts(self):
        """File → Settle merge conflicts (see gui/conflicts.py)."""
        from .conflicts import show

        return show(self)

    def _offer_conflicts(self) -> None:
        session = self.session
        if session is None or session.read_only or not session.conflicts():
            return  # nothing to settle: the dialog's module is not loaded
        from .conflicts import offer

        offer(self)

    def show_reference(self) -> None:
        from ..core.frameworks import default_framework_id
        from .dialogs import FrameworkReference

        fid = self.session.framework.id if self.session else default_framework_id()

        FrameworkReference(fid, self).exec()

    def about(self) -> None:
        QtWidgets.QMessageBox.about(self, APP, f"<b>{APP}</b><p>Maps how small firms learn, on the 4I and 5I "
                                               "frameworks (Crossan, Lane &amp; White 1999; Jones &amp; Macpherson "
                                               "2006).</p>")
