"""The Diagram tab: the selected firm's process diagram, drawn by
workbench.render and shown as SVG; it redraws a moment after each edit,
zooms, pans and exports. For the screen it is one drawing; for a printed
width (A4, Letter or the user's own) it is the figures a page of that width
takes, one part at a time. Loaded when the tab is first shown."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QPainter
from PySide6.QtWidgets import (QComboBox, QFileDialog, QGraphicsScene, QGraphicsView, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QSizePolicy, QVBoxLayout, QWidget)

from ..core.errors import InputError, WorkbenchError
from .controller import StudyController
from .tabs import LazyTab


class WidthChoice(QWidget):
    """"Width for print": the screen (one drawing, as large as it needs), a
    page's text width (A4 or Letter, portrait or landscape) or a width the
    user types (16cm, 120mm, 5in, 400pt). ``points()`` is what
    ``diagram.Options(width=...)`` takes."""

    changed = Signal()
    CUSTOM = "custom"

    def __init__(self, parent=None):
        from ..render import units

        super().__init__(parent)
        self.combo = QComboBox()
        for text, value in (("Screen: as large as it needs", None),
                            ("16 cm: A4 portrait", units.A4_PORTRAIT),
                            ("24.7 cm: A4 landscape", units.A4_LANDSCAPE),
                            ("6.5 in: Letter portrait", units.LETTER_PORTRAIT),
                            ("9 in: Letter landscape", units.LETTER_LANDSCAPE),
                            ("Custom width…", self.CUSTOM)):
            self.combo.addItem(text, value)
        self.combo.setToolTip("Draw for a printed page of this width: text stays readable (7.5 pt or more) "
                              "and a long process is split over several figures")
        self.custom = QLineEdit()
        self.custom.setPlaceholderText("e.g. 12cm, 120mm, 5in")
        self.custom.setAccessibleName("Custom width")
        self.custom.setMaximumWidth(110)
        self.custom.setVisible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        layout.addWidget(self.custom)
        self.combo.currentIndexChanged.connect(self._chosen)
        self.custom.editingFinished.connect(self._typed)
        self._last: float | None = None

    def _chosen(self, _index: int) -> None:
        custom = self.combo.currentData() == self.CUSTOM
        self.custom.setVisible(custom)
        if custom:
            self.custom.setFocus()
            if not self.custom.text().strip():
                return  # drawn once a width is typed
        self._emit()

    def _typed(self) -> None:
        if self.combo.currentData() == self.CUSTOM:
            self._emit()

    def _emit(self) -> None:
        try:
            points = self.points()
        except InputError:
            points = "invalid"
        if points != self._last:
            self._last = points
            self.changed.emit()

    def points(self) -> float | None:
        """The width in points, None for the screen; ``InputError`` (saying
        what is accepted) for a custom width that cannot be read."""
        from ..render.units import parse_length

        value = self.combo.currentData()
        if value != self.CUSTOM:
            return value
        text = self.custom.text().strip()
        if not text:
            raise InputError("type the width to draw for, e.g. 16cm, 160mm, 6.3in or 453pt")
        return parse_length(text)


def show_svg(scene, data: bytes):
    """Put an SVG drawing in ``scene`` (emptied by the caller), the scene as
    large as the drawing; returns its renderer, which the caller keeps while
    the drawing is shown."""
    from PySide6.QtSvg import QSvgRenderer  # loaded with the first drawing, not at start-up
    from PySide6.QtSvgWidgets import QGraphicsSvgItem

    renderer = QSvgRenderer(QByteArray(data), scene)
    item = QGraphicsSvgItem()
    item.setSharedRenderer(renderer)
    scene.addItem(item)
    scene.setSceneRect(QRectF(item.boundingRect()))
    return renderer


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
        self.print_width = WidthChoice()
        self.print_width.changed.connect(self._width_changed)
        width_label = QLabel("Width for print")
        width_label.setBuddy(self.print_width.combo)
        bar.addSpacing(12)
        bar.addWidget(width_label)
        bar.addWidget(self.print_width)
        self.part = QComboBox()  # the figure shown, when the width needs several
        self.part.setAccessibleName("Part")
        self.part.setVisible(False)
        self.part.currentIndexChanged.connect(lambda i: self._filling_parts or i < 0 or self.show_part(i))
        self._filling_parts = False
        bar.addStretch()
        export = QPushButton("Export…")
        export.clicked.connect(self.export)
        bar.addWidget(export)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        # on a line of its own: a long message never widens the window
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        line = QHBoxLayout()
        line.addWidget(self.part)
        line.addWidget(self.status, 1)
        layout.addLayout(line)
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
        self.figures: list = []  # render.diagram.Figure: the drawing for the width chosen, in parts
        self.written: list[str] = []  # the files the last export wrote
        self.drawn_by = ""

    def _width_changed(self) -> None:
        self._auto_fit = True
        self.part.setCurrentIndex(-1)
        self.schedule()

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
        """The DOT text of the drawing shown (for a width in parts: the part shown)."""
        figures = self.build_figures()
        if not figures:
            return None
        return figures[max(self.part.currentIndex(), 0) if len(figures) > 1 else 0].for_file().source

    def build_figures(self) -> list:
        """The figures of the selected firm for the width chosen ([] when
        there is nothing to draw; the status line says why)."""
        from ..render.diagram import Options, process_figures

        s = self.controller.session
        if s.closed or not self.firm_id or self.firm_id not in {f["id"] for f in s.firms()}:
            return []
        width = self.print_width.points()  # InputError for a custom width that cannot be read
        n = s.event_count(self.firm_id)
        if n > self.MAX_EVENTS:
            self.status.setText(f"{n} events: too many to draw here; use Export → Diagrams")
            return []
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
        opts = Options(sources=self.sources.isChecked(), routines=self.routines.isChecked(), width=width)
        return process_figures(study, study.firms[0], opts)

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
        self.scene.clear()
        self.svg = None
        self.figures = []
        try:
            self.figures = self.build_figures()
        except WorkbenchError as exc:
            self.status.setText(f"Could not draw: {exc.message}")
            self._fill_parts()
            return
        self._fill_parts()
        if self.figures:
            self.show_part(max(self.part.currentIndex(), 0))

    def _fill_parts(self) -> None:
        """The part selector: shown when the width needs several figures;
        the part shown is kept while there is one."""
        keep = self.part.currentIndex()
        self._filling_parts = True
        try:
            self.part.clear()
            for fig in self.figures:
                span = f": {fig.span}" if fig.span else ""
                self.part.addItem(f"Part {fig.part} of {fig.parts}{span}")
            if self.figures:
                self.part.setCurrentIndex(keep if 0 <= keep < len(self.figures) else 0)
        finally:
            self._filling_parts = False
        self.part.setVisible(len(self.figures) > 1)

    def show_part(self, index: int) -> None:
        """Draw figure ``index`` of the width chosen and show it."""
        from ..render import engine

        self.scene.clear()
        self.svg = None
        if not 0 <= index < len(self.figures):
            return
        fig = self.figures[index]
        try:
            drawn = engine.svg(fig.for_file().source, "auto")
        except WorkbenchError as exc:
            self.status.setText(f"Could not draw: {exc.message}")
            return
        self.svg = drawn.data
        self.drawn_by = drawn.engine
        self._renderer = show_svg(self.scene, drawn.data)
        width = self.print_width.points()
        if width is not None:
            from ..render.units import describe

            where = f"for a page {describe(width)} wide, text 7.5 pt or more; "
        else:
            where = ""
        self.status.setText(f"{self._note}{where}drawn with {drawn.engine}")
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

    FILTERS = {"SVG (*.svg)": "svg", "PNG (*.png)": "png", "PDF (*.pdf)": "pdf"}

    def export(self, path: str | None = None) -> str | None:
        """Write the drawing as it is now to ``path`` (asked for when None),
        in the format its name says: one file, or for a width that needs
        several figures one per part (NAME-1.svg, NAME-2.svg, ...). Returns
        the file written (with parts, the first; ``self.written`` lists them
        all), or None when cancelled or refused (with a message)."""
        self.written = self._export(path)
        return self.written[0] if self.written else None

    def _export(self, path: str | None) -> list[str]:
        from .. import services
        from ..io.files import atomic_write_bytes
        from ..render import engine

        if self.svg is None or self._stale:  # hidden since the last edit or change of firm
            self._stale = False
            self.redraw()
        if self.svg is None or not self.figures:
            return []
        if path is None:
            path, chosen = QFileDialog.getSaveFileName(self, "Export diagram", f"{self.firm_id}.svg",
                                                       ";;".join(self.FILTERS))
            if not path:
                return []
            if "." not in path.rsplit("/", 1)[-1]:
                path += "." + self.FILTERS.get(chosen, "svg")
        target = Path(path)
        fmt = target.suffix.lower().lstrip(".") or "svg"
        try:
            services.check_diagram_name(target, fmt)  # z.jpg: refused, nothing written
            if len(self.figures) == 1:
                data = {"svg": lambda: self.svg, "png": lambda: engine.png(self.svg, 200),
                        "pdf": lambda: engine.pdf(self.svg),
                        "dot": lambda: self.figures[0].for_file().source.encode("utf-8")}[fmt]()
                files = [(target, data)]
            else:
                files = []
                for fig in self.figures:  # every part drawn before any is written
                    drawn = engine.draw(fig.for_file().source, fmt, "auto", dpi=200,
                                        title=f"{self.firm_id}: part {fig.part} of {fig.parts}")
                    files.append((target.with_name(f"{target.stem}-{fig.part}{target.suffix}"), drawn.data))
            for where, data in files:
                atomic_write_bytes(where, data)
        except WorkbenchError as exc:
            self.controller.error.emit(exc.message)
            return []
        return [str(where) for where, _ in files]
