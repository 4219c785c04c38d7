"""The Diagram tab: the selected firm's process diagram, drawn by
workbench.render and shown as SVG; it redraws a moment after each edit,
zooms, pans and exports. Loaded when the tab is first shown."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QPainter
from PySide6.QtWidgets import (QComboBox, QFileDialog, QGraphicsScene, QGraphicsView, QHBoxLayout, QLabel,
                               QPushButton, QVBoxLayout)

from ..core.errors import WorkbenchError
from .controller import StudyController
from .tabs import LazyTab


class ZoomView(QGraphicsView):
    """Ctrl + wheel zooms; dragging pans."""

    zoomed = Signal()

    def wheelEvent(self, event):
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            factor = 1.15 if event.angleDelta().y() > 0 else 1 / 1.15
            self.scale(factor, factor)
            self.zoomed.emit()
        else:
            super().wheelEvent(event)


class DiagramTab(LazyTab):
    """The firm's process diagram, redrawn a moment after each edit."""

    MAX_EVENTS = 400  # beyond this the picture is unreadable on screen: export it instead

    def __init__(self, controller: StudyController):
        super().__init__()
        self._init_lazy()
        self.controller = controller
        self.firm_id: str | None = None
        self.svg: bytes | None = None
        self.scene = QGraphicsScene(self)
        self.view = ZoomView(self.scene)
        self.view.zoomed.connect(lambda: setattr(self, "_auto_fit", False))
        self.view.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.view.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
                                 | QPainter.RenderHint.SmoothPixmapTransform)
        self.view.setBackgroundBrush(QBrush(QColor("white")))
        self.status = QLabel()
        bar = QHBoxLayout()
        for text, slot in (("Zoom in", lambda: self.zoom(1.2)), ("Zoom out", lambda: self.zoom(1 / 1.2)),
                           ("Fit", self.fit), ("Actual size", self.actual)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            bar.addWidget(b)
        self.sources = QPushButton("Sources")
        self.sources.setCheckable(True)
        self.sources.setChecked(True)
        self.sources.toggled.connect(lambda _: self.schedule())
        self.routines = QPushButton("Routines")
        self.routines.setCheckable(True)
        self.routines.setChecked(True)
        self.routines.toggled.connect(lambda _: self.schedule())
        bar.addWidget(self.sources)
        bar.addWidget(self.routines)
        self.code = QComboBox()
        self.code.addItem("All events", None)
        self.code.setMinimumContentsLength(16)
        self.code.setToolTip("Draw only the events carrying this code (on the event or on one of its quotes). "
                             "Where the firm has links, two of them are linked when the firm links them "
                             "directly or through events left out; otherwise each leads to the next.")
        self.code.currentIndexChanged.connect(lambda _: self._filling or self.schedule())
        self._filling = False
        code_label = QLabel("Code")
        code_label.setBuddy(self.code)
        bar.addSpacing(12)
        bar.addWidget(code_label)
        bar.addWidget(self.code)
        bar.addStretch()
        bar.addWidget(self.status)
        export = QPushButton("Export…")
        export.clicked.connect(self.export)
        bar.addWidget(export)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.view)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(300)
        self.timer.timeout.connect(self.redraw)
        controller.changed.connect(
            lambda firm, table: (firm == (self.firm_id or "") or table == "codes") and self.schedule())
        controller.firmsChanged.connect(self.schedule)
        self._auto_fit = True
        self._note = ""  # how many events the Code choice kept, for the status line

    def set_firm(self, firm_id):
        self.firm_id = firm_id
        self._auto_fit = True
        self.schedule()

    def schedule(self) -> None:
        """Redraw a moment from now if in view (edits come in bursts), else when shown."""
        if self.isVisible():
            self.timer.start()
        else:
            self._stale = True

    def refresh(self) -> None:
        self.timer.start()

    def graph_source(self) -> str | None:
        from ..render.diagram import Options, process_graph

        s = self.controller.session
        if s.closed or not self.firm_id or self.firm_id not in {f["id"] for f in s.firms()}:
            return None
        n = s.event_count(self.firm_id)
        if n > self.MAX_EVENTS:
            self.status.setText(f"{n} events: too many to draw here; use Export → Diagram")
            return None
        study = s.load_study([self.firm_id])
        self._fill_codes(study)
        code = self.code.currentData()
        self._note = ""
        if code is not None:
            from ..core.coding import narrow_study

            name = study.code(code).name
            study = narrow_study(study, code)
            kept = len(study.firms[0].event_list)
            self._note = f"{kept} of {n} events carry “{name}”; "
        opts = Options(sources=self.sources.isChecked(), routines=self.routines.isChecked())
        return process_graph(study, study.firms[0], opts).source

    def _fill_codes(self, study) -> None:
        """The Code choices: all events, then the study's codes as a tree;
        the choice is kept while its code exists."""
        from ..core.coding import code_tree

        keep = self.code.currentData()
        self._filling = True
        try:
            self.code.clear()
            self.code.addItem("All events", None)
            for row in code_tree(study):
                self.code.addItem("    " * row.depth + row.code.name, row.code.id)
            i = self.code.findData(keep) if keep is not None else 0
            self.code.setCurrentIndex(max(i, 0))
        finally:
            self._filling = False
        self.code.setEnabled(self.code.count() > 1)

    def redraw(self) -> None:
        from ..render import engine

        self.scene.clear()
        self.svg = None
        try:
            source = self.graph_source()
            if source is None:
                return
            drawn = engine.svg(source, "auto")
        except WorkbenchError as exc:
            self.status.setText(f"Could not draw: {exc.message}")
            return
        self.svg = drawn.data
        from PySide6.QtSvg import QSvgRenderer  # loaded with the first diagram, not at start-up
        from PySide6.QtSvgWidgets import QGraphicsSvgItem

        renderer = QSvgRenderer(QByteArray(drawn.data), self.scene)
        item = QGraphicsSvgItem()
        item.setSharedRenderer(renderer)
        self._renderer = renderer
        self.scene.addItem(item)
        self.scene.setSceneRect(QRectF(item.boundingRect()))
        self.status.setText(f"{self._note}drawn with {drawn.engine}")
        if self._auto_fit:
            self.fit()

    def fit(self) -> None:
        """Fit the whole diagram in the view, and keep fitting it as the
        window changes size, until the user zooms."""
        self._auto_fit = True
        if self.scene.items():
            self.view.fitInView(self.scene.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def zoom(self, factor: float) -> None:
        self._auto_fit = False
        self.view.scale(factor, factor)

    def actual(self) -> None:
        self._auto_fit = False
        self.view.resetTransform()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        if self._auto_fit:
            self.fit()

    def showEvent(self, event):
        super().showEvent(event)  # LazyTab: redraws if stale
        if self._auto_fit:
            QTimer.singleShot(0, self.fit)

    def export(self, path: str | None = None) -> str | None:
        from ..io.files import atomic_write_bytes
        from ..render import engine

        if self.svg is None or self._stale:  # hidden since the last edit or change of firm
            self._stale = False
            self.redraw()
        if self.svg is None:
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export diagram", f"{self.firm_id}.svg",
                                                  "SVG (*.svg);;PNG (*.png);;PDF (*.pdf)")
            if not path:
                return None
        fmt = path.rsplit(".", 1)[-1].lower()
        try:
            data = {"svg": lambda: self.svg, "png": lambda: engine.png(self.svg, 200),
                    "pdf": lambda: engine.pdf(self.svg)}.get(fmt, lambda: self.svg)()
            atomic_write_bytes(path, data)
        except WorkbenchError as exc:
            self.controller.error.emit(exc.message)
            return None
        return path
