"""The main window's dialogs: a new study, the framework reference, the
options of the diagram and Word report exports, and the worker that writes a
report in the background. Loaded when first needed, not at start-up."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt, QThread, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton,
                               QSpinBox, QTextBrowser, QVBoxLayout)

from .. import services
from ..core.errors import WorkbenchError
from ..core.frameworks import default_framework_id, framework, framework_ids, vocabulary


def fit_to_screen(width: int, height: int) -> tuple[int, int]:
    """The size asked for, or less on a smaller screen (a 1366 x 768 laptop)."""
    from PySide6.QtWidgets import QApplication

    screen = QApplication.primaryScreen()
    if screen is None:
        return width, height
    room = screen.availableGeometry()
    return min(width, room.width() - 40), min(height, max(400, room.height() - 60))


def add_undo_keys(widget, controller) -> None:
    """Ctrl+Z and Ctrl+Shift+Z (or the platform's redo key) in a window of
    its own, stepping the study's one undo history (``controller.undo_stack``)."""
    from PySide6.QtGui import QAction, QKeySequence

    undo = QAction("Undo", widget)
    undo.setShortcut(QKeySequence.StandardKey.Undo)
    undo.triggered.connect(lambda: controller.undo_stack.undo())
    redo = QAction("Redo", widget)
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence.StandardKey.Redo])
    redo.triggered.connect(lambda: controller.undo_stack.redo())
    widget.addActions([undo, redo])


class NewStudyDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("New study")
        form = QFormLayout(self)
        self.title = QLineEdit()
        self.title.setPlaceholderText("e.g. Learning in engineering SMEs")
        self.framework = QComboBox()
        for fid in framework_ids():
            fw = framework(fid)
            self.framework.addItem(f"{fw.name} ({fid})", fid)
            self.framework.setItemData(self.framework.count() - 1, fw.description, Qt.ItemDataRole.ToolTipRole)
        self.framework.setCurrentIndex(framework_ids().index(default_framework_id()))
        form.addRow("Title", self.title)
        form.addRow("Framework", self.framework)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class FrameworkReference(QDialog):
    """Help → Framework reference: stages, levels and learning types."""

    def __init__(self, framework_id: str, parent=None):
        super().__init__(parent)
        fw = framework(framework_id)
        voc = vocabulary()
        self.setWindowTitle(f"Framework reference: {fw.name}")
        self.resize(760, 640)
        html = [f"<h2>{fw.name} ({fw.id})</h2><p>{fw.description}</p><p><i>{fw.citation_text()}</i></p>",
                "<h3>Stages</h3>"]
        for s in fw.stages:
            html.append(f"<p><b>{s.label}</b> — usually at the {voc.label('levels', s.default_level).lower()} "
                        f"level. {s.definition}<br/><i>Code here:</i> {s.coding_hint}<br/>"
                        f"<i>Inputs and outcomes:</i> {', '.join(s.inputs_outcomes)}</p>")
        html.append("<h3>Levels</h3>")
        html += [f"<p><b>{lv.label}</b>: {lv.definition}</p>" for lv in fw.levels]
        html.append("<h3>Types of learning</h3>")
        for t in voc.learning_types:
            html.append(f"<p><b>{t.label}</b> ({t.extra.get('short', '')}): {t.definition}<br/><i>Examples:</i> "
                        + " ".join(t.extra.get("examples", [])) + "</p>")
        html.append("<h3>The renewal process</h3>")
        for p in voc.phases:
            html.append(f"<p><b>{p.label}</b>: {p.definition}</p><ul>"
                        + "".join(f"<li>{a}</li>" for a in p.extra.get("managerial_actions", [])) + "</ul>")
        html.append("<h3>Sources</h3>" + "".join(f"<p>{c}</p>" for c in sorted(voc.citations.values())))
        text = QTextBrowser()
        text.setHtml("".join(html))
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)


class DiagramDialog(QDialog):
    """Export → Diagrams: what to draw (a process diagram or the framework
    figure), for which firms, in which format: the options of the
    ``workbench diagram`` command."""

    FORMATS = (("svg", "SVG: sharp at any size, for documents and the web"),
               ("png", "PNG: a picture"),
               ("pdf", "PDF: for print"),
               ("dot", "DOT: the Graphviz source, to edit by hand"))

    def __init__(self, firm_name: str | None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Export diagrams")
        form = QFormLayout(self)
        self.kind = QComboBox()
        self.kind.addItem("Process diagram: the events, their sources and routines", "process")
        self.kind.addItem("Framework figure: the stages and the flows between them", "framework")
        self.scope = QComboBox()
        if firm_name:
            self.scope.addItem(f"This firm ({firm_name})", "firm")
        self.scope.addItem("Every firm, one file each, into a folder", "all")
        self.scope.addItem("The whole study (framework figure only)", "study")
        self.format = QComboBox()
        for fmt, label in self.FORMATS:
            self.format.addItem(label, fmt)
        self.dpi = QSpinBox()
        self.dpi.setRange(50, 1200)
        self.dpi.setValue(150)
        self.dpi.setSuffix(" dpi")
        self.sources = QCheckBox("Knowledge sources")
        self.sources.setChecked(True)
        self.routines = QCheckBox("Routines")
        self.routines.setChecked(True)
        show = QHBoxLayout()
        show.addWidget(self.sources)
        show.addWidget(self.routines)
        show.addStretch()
        from .diagram_tab import WidthChoice

        self.width_choice = WidthChoice()
        form.addRow("Draw", self.kind)
        form.addRow("For", self.scope)
        form.addRow("Format", self.format)
        form.addRow("Width for print", self.width_choice)
        form.labelForField(self.width_choice).setBuddy(self.width_choice.combo)
        self.parts_note = QLabel("A process too long for one page at this width is drawn as several "
                                 "figures: one file each, NAME-1, NAME-2, …")
        self.parts_note.setWordWrap(True)
        form.addRow("", self.parts_note)
        self.width_choice.changed.connect(self._update)
        self.width_choice.combo.currentIndexChanged.connect(self._update)
        form.addRow("PNG resolution", self.dpi)
        form.addRow("Show", show)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        for combo in (self.kind, self.scope, self.format):
            combo.currentIndexChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        process = self.kind.currentData() == "process"
        study = self.scope.findData("study")
        self.scope.model().item(study).setEnabled(not process)
        if process and self.scope.currentIndex() == study:
            self.scope.setCurrentIndex(0)
        self.dpi.setEnabled(self.format.currentData() == "png")
        self.sources.setEnabled(process)
        self.routines.setEnabled(process)
        self.parts_note.setVisible(process and self.width_choice.combo.currentData() is not None)

    def accept(self) -> None:
        """OK: refused, with what is accepted, while a typed width cannot be read."""
        try:
            self.width_choice.points()
        except WorkbenchError as exc:
            from PySide6.QtWidgets import QMessageBox

            QMessageBox.warning(self, "Width for print", exc.message)
            self.width_choice.custom.setFocus()
            return
        super().accept()

    def options(self) -> dict:
        """The choices, as keyword arguments of MainWindow.export_diagrams."""
        return {"kind": self.kind.currentData(), "scope": self.scope.currentData(),
                "fmt": self.format.currentData(), "dpi": self.dpi.value(),
                "sources": self.sources.isChecked(), "routines": self.routines.isChecked(),
                "width": self.width_choice.points()}


class ReportDialog(QDialog):
    """Export → Word report: which firms, what to include."""

    def __init__(self, firms: list[dict], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Word report")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Firms in the report"))
        self.firms = QListWidget()
        for f in firms:
            item = QListWidgetItem(f["name"])
            item.setData(Qt.ItemDataRole.UserRole, f["id"])
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.firms.addItem(item)
        layout.addWidget(self.firms)
        self.diagrams = QCheckBox("Process diagrams")
        self.diagrams.setChecked(True)
        self.evidence = QCheckBox("Evidence appendix")
        self.evidence.setChecked(True)
        self.tables_only = QCheckBox("Only the cross-case tables")
        layout.addWidget(self.diagrams)
        layout.addWidget(self.evidence)
        layout.addWidget(self.tables_only)
        row = QHBoxLayout()
        self.template = QLineEdit()
        self.template.setPlaceholderText("Word template (optional): styles, page setup, headers")
        browse = QPushButton("Template…")
        browse.clicked.connect(self._browse)
        row.addWidget(self.template, 1)
        row.addWidget(browse)
        layout.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Word template", "", "Word (*.docx *.dotx)")
        if path:
            self.template.setText(path)

    def chosen(self) -> list[str]:
        return [self.firms.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.firms.count())
                if self.firms.item(i).checkState() == Qt.CheckState.Checked]


class _Cancelled(Exception):
    pass


class ReportWorker(QThread):
    """Writes a report in the background; cancellable between firms."""

    progress = Signal(int, int, str)
    finished_ok = Signal(str)
    failed = Signal(str)

    def __init__(self, study_path: str, out: str, kwargs: dict):
        super().__init__()
        self.study_path, self.out, self.kwargs = study_path, out, kwargs
        self.cancel = threading.Event()

    def run(self) -> None:
        def progress(done, total, label):
            if self.cancel.is_set():
                raise _Cancelled()
            self.progress.emit(done, total, label)

        try:
            services.report(self.study_path, self.out, progress=progress, **self.kwargs)
        except _Cancelled:
            self.failed.emit("")
            return
        except WorkbenchError as exc:
            self.failed.emit(exc.message)
            return
        except Exception as exc:  # a bug: reported, never a crash of the window
            self.failed.emit(f"internal error: {exc.__class__.__name__}: {exc}")
            return
        self.finished_ok.emit(self.out)
