"""The Matrix tab: stages against learning types as a coloured grid, for
the selected firm or across firms, with the counts of each kind of flow.
Loaded when the tab is first shown."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QTableWidget,
                               QTableWidgetItem, QVBoxLayout)

from ..core.frameworks import all_stages, vocabulary
from .controller import StudyController
from .tabs import TYPE_COLOUR, LazyTab


class MatrixTab(LazyTab):
    """The stage x learning-type matrix as a coloured grid, for the firm or
    across firms, with the flow counts."""

    def __init__(self, controller: StudyController):
        super().__init__()
        self._init_lazy()
        self.controller = controller
        self.firm_id: str | None = None
        self.scope = QComboBox()
        self.scope.addItems(["This firm", "All firms"])
        self.scope.currentIndexChanged.connect(lambda _: self.reload())
        self.grid = QTableWidget()
        self.grid.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.flows = QLabel()
        self.flows.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Show"))
        bar.addWidget(self.scope)
        bar.addSpacing(16)
        bar.addWidget(QLabel("Events by their primary stage (rows) and primary learning type (columns)"))
        bar.addStretch()
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.grid)
        layout.addWidget(self.flows)
        controller.changed.connect(lambda *_: self.mark_stale())
        controller.firmsChanged.connect(self.mark_stale)

    def reload(self) -> None:
        from ..core.analysis import firm_counts, study_stats

        s = self.controller.session
        fw = s.framework
        voc = vocabulary()
        if self.scope.currentIndex() == 1:
            counts = study_stats(s.study())["study"]
            scope = "all firms"
        elif self.firm_id and self.firm_id in {f["id"] for f in s.firms()}:
            firm = s.firm(self.firm_id)
            counts = firm_counts(firm, fw)
            scope = firm.name
        else:
            self.grid.clear()
            self.flows.setText("")
            return
        types = list(voc.ids("learning_types"))
        self.grid.setRowCount(len(fw.stages))
        self.grid.setColumnCount(len(types) + 1)
        self.grid.setHorizontalHeaderLabels([voc.label("learning_types", t) for t in types] + ["All types"])
        self.grid.setVerticalHeaderLabels([st.label for st in fw.stages])
        peak = max([v for row in counts["matrix"].values() for v in row.values()] + [1])
        for r, st in enumerate(fw.stages):
            row = counts["matrix"][st.id]
            for c, t in enumerate(types):
                n = row[t]
                item = QTableWidgetItem(str(n))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                colour = QColor(TYPE_COLOUR[t])
                colour.setAlphaF(0.12 + 0.78 * n / peak if n else 0.0)
                item.setBackground(QBrush(colour))
                item.setToolTip(f"{n} event{'s' if n != 1 else ''} with {st.label} as primary stage and "
                                f"{voc.label('learning_types', t)} as primary type ({scope})")
                self.grid.setItem(r, c, item)
            total = QTableWidgetItem(str(sum(row.values())))
            total.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            self.grid.setItem(r, len(types), total)
        self.grid.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.grid.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        f = counts["flows"]
        by_stage = ", ".join(f"{all_stages()[k].label} {v}" for k, v in counts["stages"].items())
        self.flows.setText(f"<b>Flows</b> ({scope}): feed-forward {f['feed_forward']}, feedback {f['feedback']}, "
                           f"within stage {f['within']}. Events: {counts['events']}; coded with each stage "
                           f"(first or not): {by_stage}.")
