"""The Matrix tab: stages against learning types as a coloured grid, for
the selected firm or across firms, with the counts of each kind of flow; or
the study's own codes against the stages. Either can be limited to the
events carrying one code. Loaded when the tab is first shown."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QTableWidget,
                               QTableWidgetItem, QVBoxLayout)

from ..core.frameworks import all_stages, vocabulary
from .controller import StudyController
from .tabs import TYPE_COLOUR, LazyTab

BY_TYPE, BY_CODE = 0, 1  # the "Cross" choices
INDENT = "    "  # a child code's row label, per level


class MatrixTab(LazyTab):
    """The stage x learning-type matrix (or code x stage) as a coloured
    grid, for the firm or across firms, with the flow counts."""

    def __init__(self, controller: StudyController):
        super().__init__()
        self._init_lazy()
        self.controller = controller
        self.firm_id: str | None = None
        self.scope = QComboBox()
        self.scope.addItems(["This firm", "All firms"])
        self.scope.currentIndexChanged.connect(lambda _: self.reload())
        self.cross = QComboBox()
        self.cross.addItems(["Stages by learning type", "Codes by stage"])
        self.cross.setToolTip("What the grid crosses: each event by its primary stage and primary learning "
                              "type, or the study's own codes against the events' primary stages")
        self.cross.currentIndexChanged.connect(lambda _: self.reload())
        self.limit = QComboBox()
        self.limit.setToolTip("Count only the events carrying this code (on the event or on one of its quotes)")
        self.limit.setMinimumContentsLength(16)
        self.limit.currentIndexChanged.connect(lambda _: self._limit_chosen())
        self._filling = False
        self.grid = QTableWidget()
        self.grid.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.caption = QLabel()
        self.flows = QLabel()
        self.flows.setWordWrap(True)
        bar = QHBoxLayout()
        for label, widget in (("Show", self.scope), ("Cross", self.cross), ("Limit to code", self.limit)):
            text = QLabel(label)
            text.setBuddy(widget)
            bar.addWidget(text)
            bar.addWidget(widget)
            bar.addSpacing(12)
        bar.addStretch()
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.caption)
        layout.addWidget(self.grid)
        layout.addWidget(self.flows)
        controller.changed.connect(lambda *_: self.mark_stale())
        controller.firmsChanged.connect(self.mark_stale)

    # ------------------------------------------------------------------ choices

    def _limit_chosen(self) -> None:
        if not self._filling:
            self.reload()

    def limit_code(self) -> str | None:
        """The code the matrix is limited to (None: all events)."""
        return self.limit.currentData()

    def _fill_limit(self, study) -> None:
        """The "Limit to code" choices: all events, then the study's codes
        as a tree; the choice is kept while its code exists."""
        from ..core.coding import code_tree

        keep = self.limit.currentData()
        self._filling = True
        try:
            self.limit.clear()
            self.limit.addItem("All events", None)
            for row in code_tree(study):
                self.limit.addItem(INDENT * row.depth + row.code.name, row.code.id)
            i = self.limit.findData(keep) if keep is not None else 0
            self.limit.setCurrentIndex(max(i, 0))
        finally:
            self._filling = False
        self.limit.setEnabled(self.limit.count() > 1)

    # ------------------------------------------------------------------ the grid

    def reload(self) -> None:
        from ..core.analysis import study_stats
        from ..core.coding import narrow_study

        s = self.controller.session
        if self.scope.currentIndex() == 1:
            study = s.study()
            scope = "all firms"
        elif self.firm_id and self.firm_id in {f["id"] for f in s.firms()}:
            study = s.load_study([self.firm_id])
            scope = study.firms[0].name
        else:
            self.grid.clear()
            self.grid.setRowCount(0)
            self.grid.setColumnCount(0)
            self.caption.setText("")
            self.flows.setText("")
            return
        self._fill_limit(study)
        code = self.limit_code()
        if code is not None:
            study = narrow_study(study, code)
            scope += f", only events coded “{study.code(code).name}”"
        counts = study_stats(study)["study"]
        if self.cross.currentIndex() == BY_CODE:
            self._codes_by_stage(study, scope)
        else:
            self._stages_by_type(counts, scope)
        self.grid.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.grid.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        f = counts["flows"]
        by_stage = ", ".join(f"{all_stages()[k].label} {v}" for k, v in counts["stages"].items())
        self.flows.setText(f"<b>Flows</b> ({scope}): feed-forward {f['feed_forward']}, feedback {f['feedback']}, "
                           f"within stage {f['within']}. Events: {counts['events']}; coded with each stage "
                           f"(first or not): {by_stage}.")

    def _cell(self, n: int, colour: str, peak: int, tip: str, strongest: float = 0.9) -> QTableWidgetItem:
        item = QTableWidgetItem(str(n))
        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        c = QColor(colour)
        c.setAlphaF(0.12 + (strongest - 0.12) * n / peak if n else 0.0)
        item.setBackground(QBrush(c))
        item.setToolTip(tip)
        return item

    def _total(self, n: int) -> QTableWidgetItem:
        item = QTableWidgetItem(str(n))
        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        return item

    def _stages_by_type(self, counts: dict, scope: str) -> None:
        fw = self.controller.session.framework
        voc = vocabulary()
        types = list(voc.ids("learning_types"))
        self.caption.setText("Events by their primary stage (rows) and primary learning type (columns)")
        self.grid.clear()
        self.grid.setRowCount(len(fw.stages))
        self.grid.setColumnCount(len(types) + 1)
        self.grid.setHorizontalHeaderLabels([voc.label("learning_types", t) for t in types] + ["All types"])
        self.grid.setVerticalHeaderLabels([st.label for st in fw.stages])
        peak = max([v for row in counts["matrix"].values() for v in row.values()] + [1])
        for r, st in enumerate(fw.stages):
            row = counts["matrix"][st.id]
            for c, t in enumerate(types):
                n = row[t]
                self.grid.setItem(r, c, self._cell(
                    n, TYPE_COLOUR[t], peak,
                    f"{n} event{'s' if n != 1 else ''} with {st.label} as primary stage and "
                    f"{voc.label('learning_types', t)} as primary type ({scope})"))
            self.grid.setItem(r, len(types), self._total(sum(row.values())))

    def _codes_by_stage(self, study, scope: str) -> None:
        from ..core.coding import code_stage_matrix, code_tree

        fw = self.controller.session.framework
        tree = code_tree(study)
        self.grid.clear()
        if not tree:
            self.caption.setText("This study has no codes of its own yet.")
            self.grid.setRowCount(0)
            self.grid.setColumnCount(0)
            return
        self.caption.setText("Events carrying each code (rows), on the event or on one of its quotes, by "
                             "their primary stage (columns). A code counts where it is used, not where "
                             "a code under it is.")
        matrix = code_stage_matrix(study.firms, study, fw)
        self.grid.setRowCount(len(tree))
        self.grid.setColumnCount(len(fw.stages) + 1)
        self.grid.setHorizontalHeaderLabels([st.label for st in fw.stages] + ["All stages"])
        self.grid.setVerticalHeaderLabels([INDENT * row.depth + row.code.name for row in tree])
        peak = max([v for row in matrix.values() for v in row.values()] + [1])
        default = vocabulary().colour("node_line")
        for r, row in enumerate(tree):
            code = row.code
            cells = matrix[code.id]
            for c, st in enumerate(fw.stages):
                n = cells.get(st.id, 0)
                self.grid.setItem(r, c, self._cell(
                    n, code.colour or default, peak,
                    f"{n} event{'s' if n != 1 else ''} carrying “{code.name}” with {st.label} as "
                    f"primary stage ({scope})", strongest=0.55))  # a code's colour may be dark: keep the number legible
            self.grid.setItem(r, len(fw.stages), self._total(sum(cells.get(st.id, 0) for st in fw.stages)))
