"""The tabs in which the selected firm is edited: Profile, Events, Sources
and Routines, and what all tabs share (LazyTab). The Diagram and Matrix tabs,
which only show, have modules of their own."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QFormLayout, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QPlainTextEdit, QPushButton, QScrollArea,
                               QSplitter, QTableView, QTableWidget, QTableWidgetItem, QToolButton,
                               QVBoxLayout, QWidget)

from ..core.errors import WorkbenchError
from ..core.frameworks import all_stages, vocabulary
from .controller import StudyController
from .delegates import FieldDelegate, MultiSelect
from .models import ObjectTableModel, choices

TYPE_KEYS = {key: t for t, key in vocabulary().term_values("learning_types", "key").items()}
TYPE_COLOUR = vocabulary().term_values("learning_types", "colour")


class CommitLineEdit(QLineEdit):
    """A line edit that saves when editing finishes (Enter or leaving it)."""

    committed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._loaded = ""
        self.editingFinished.connect(self._finish)

    def load(self, text: str | None) -> None:
        self._loaded = text or ""
        self.setText(self._loaded)

    def _finish(self) -> None:
        if self.text() != self._loaded:
            self._loaded = self.text()
            self.committed.emit(self.text())


class CommitTextEdit(QPlainTextEdit):
    """A text box that saves when it loses focus."""

    committed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._loaded = ""
        self.setTabChangesFocus(True)

    def load(self, text: str | None) -> None:
        self._loaded = text or ""
        self.setPlainText(self._loaded)

    def focusOutEvent(self, event):
        super().focusOutEvent(event)
        self.commit()

    def commit(self) -> None:
        if self.toPlainText() != self._loaded:
            self._loaded = self.toPlainText()
            self.committed.emit(self.toPlainText())


class LazyTab(QWidget):
    """A tab that loads its data only when shown: a hidden tab marks itself
    stale and catches up when it becomes visible. Opening a study then costs
    only the tab in view."""

    def _init_lazy(self) -> None:
        self._stale = True
        self.firm_id: str | None = None

    def set_firm(self, firm_id: str | None) -> None:
        self.firm_id = firm_id
        self.mark_stale()

    def refresh(self) -> None:
        """Load the tab's data (tabs define ``reload`` or override this)."""
        self.reload()

    def mark_stale(self) -> None:
        if self.isVisible():
            self._stale = False
            self.refresh()
        else:
            self._stale = True

    def showEvent(self, event):
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.refresh()


def _table_view(model: ObjectTableModel, drag: bool) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setItemDelegate(FieldDelegate(view))
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    # no editing on any key press: keys 1-5 and N/M/C code the selected events
    view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
                         | QAbstractItemView.EditTrigger.SelectedClicked)
    view.setAlternatingRowColors(False)
    view.setWordWrap(False)
    view.verticalHeader().setDefaultSectionSize(26)
    for i, col in enumerate(model.columns):
        view.setColumnWidth(i, col.width)
    view.horizontalHeader().setStretchLastSection(True)
    if drag:
        view.setDragEnabled(True)
        view.setAcceptDrops(True)
        view.setDropIndicatorShown(True)
        view.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        view.setDefaultDropAction(Qt.DropAction.MoveAction)
        view.setDragDropOverwriteMode(False)
    return view


# --------------------------------------------------------------------------- events


class EventDetail(QWidget):
    """The selected event's longer fields: description, actors, memo,
    evidence, routines, knowledge types and the events it leads to."""

    def __init__(self, controller: StudyController):
        super().__init__()
        self.controller = controller
        self.firm_id: str | None = None
        self.event_id: str | None = None
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.heading = QLabel("Select an event")
        self.heading.setWordWrap(True)
        self.heading.setStyleSheet("font-weight: bold; font-size: 13px")
        form.addRow(self.heading)
        self.description = CommitTextEdit()
        self.description.setPlaceholderText("What happened, in your words")
        self.description.setMaximumHeight(90)
        form.addRow("Description", self.description)
        self.actors = CommitLineEdit()
        self.actors.setPlaceholderText("People involved, separated by commas")
        form.addRow("Actors", self.actors)
        self.knowledge = MultiSelect(self, choices("knowledge_types", None), [])
        self.knowledge.setMaximumHeight(110)
        form.addRow("Knowledge types", self.knowledge)
        self.routines = QListWidget()
        self.routines.setMaximumHeight(100)
        form.addRow("Routines built", self.routines)
        self.leads_to = QListWidget()
        self.leads_to.setMaximumHeight(100)
        self.leads_to.setToolTip("Explicit 'led to' links. With none in the firm, each event leads to the next.")
        form.addRow("Leads to", self.leads_to)
        self.evidence = QTableWidget(0, 3)
        self.evidence.setHorizontalHeaderLabels(["Quote", "Speaker", "Where (page, section)"])
        self.evidence.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.evidence.setMaximumHeight(140)
        ev_buttons = QHBoxLayout()
        self.add_quote = QPushButton("Add quote")
        self.remove_quote = QPushButton("Remove quote")
        ev_buttons.addWidget(self.add_quote)
        ev_buttons.addWidget(self.remove_quote)
        ev_buttons.addStretch()
        ev_box = QVBoxLayout()
        ev_box.addWidget(self.evidence)
        ev_box.addLayout(ev_buttons)
        form.addRow("Evidence", ev_box)
        self.memo = CommitTextEdit()
        self.memo.setPlaceholderText("Your analytic memo")
        self.memo.setMaximumHeight(70)
        form.addRow("Memo", self.memo)

        self.description.committed.connect(lambda t: self._set("description", t or None))
        self.memo.committed.connect(lambda t: self._set("memo", t or None))
        self.actors.committed.connect(
            lambda t: self._set("actors", [a.strip() for a in t.split(",") if a.strip()] or None))
        self.knowledge.itemChanged.connect(lambda _: self._set("knowledge_types", self.knowledge.values() or None))
        self.routines.itemChanged.connect(self._routines_changed)
        self.leads_to.itemChanged.connect(self._links_changed)
        self.evidence.itemChanged.connect(self._evidence_changed)
        self.add_quote.clicked.connect(self._add_quote)
        self.remove_quote.clicked.connect(self._remove_quote)
        self._loading = False
        self.setEnabled(False)

    def _set(self, key, value):
        if self._loading or not self.event_id:
            return
        self.controller.set_field("events", self.firm_id, self.event_id, key, value)

    def show_event(self, firm_id: str | None, event_id: str | None) -> None:
        self._loading = True
        try:
            self.firm_id, self.event_id = firm_id, event_id
            if not firm_id or not event_id:
                self.heading.setText("Select an event")
                self.setEnabled(False)
                return
            try:
                ev = self.controller.session.get("events", firm_id, event_id)
            except WorkbenchError:
                self.show_event(None, None)
                return
            self.setEnabled(True)
            self.heading.setText(ev["title"])
            self.description.load(ev.get("description"))
            self.memo.load(ev.get("memo"))
            self.actors.load(", ".join(ev.get("actors") or []))
            self.knowledge.set_checked(ev.get("knowledge_types") or [])
            session = self.controller.session
            self.routines.clear()
            for r in session.objects("routines", firm_id):
                item = QListWidgetItem(r["name"])
                item.setData(Qt.ItemDataRole.UserRole, r["id"])
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                used = r["id"] in (ev.get("routines") or [])
                item.setCheckState(Qt.CheckState.Checked if used else Qt.CheckState.Unchecked)
                self.routines.addItem(item)
            links = session.links(firm_id)
            targets = {ln["to"] for ln in links if ln["from"] == event_id}
            self.leads_to.clear()
            if session.event_count(firm_id) <= 2000:  # a list of every event is no help beyond that
                ids = session.event_ids(firm_id)
                titles = session.events_by_id(firm_id, ids)
                for other in ids:
                    if other == event_id:
                        continue
                    item = QListWidgetItem(titles[other]["title"])
                    item.setData(Qt.ItemDataRole.UserRole, other)
                    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                    item.setCheckState(Qt.CheckState.Checked if other in targets else Qt.CheckState.Unchecked)
                    self.leads_to.addItem(item)
            self.evidence.setRowCount(0)
            for ev_item in ev.get("evidence") or []:
                self._append_quote(ev_item)
        finally:
            self._loading = False

    def _append_quote(self, ev: dict) -> None:
        r = self.evidence.rowCount()
        self.evidence.insertRow(r)
        where = ev.get("location") or ""
        if ev.get("document"):
            where = f"{ev['document']}" + (f" {ev['start']}-{ev['end']}" if ev.get("start") is not None else "")
        items = [QTableWidgetItem(ev.get("quote", "")), QTableWidgetItem(ev.get("speaker", "")),
                 QTableWidgetItem(where)]
        items[0].setData(Qt.ItemDataRole.UserRole, ev)
        if ev.get("document"):
            items[2].setFlags(items[2].flags() & ~Qt.ItemFlag.ItemIsEditable)
            items[2].setToolTip("Anchored to a document of the study")
        for c, item in enumerate(items):
            self.evidence.setItem(r, c, item)

    def _collect_evidence(self) -> list[dict]:
        out = []
        for r in range(self.evidence.rowCount()):
            base = dict(self.evidence.item(r, 0).data(Qt.ItemDataRole.UserRole) or {})
            quote = self.evidence.item(r, 0).text().strip()
            if not quote:
                continue
            speaker = self.evidence.item(r, 1).text().strip()
            if quote != base.get("quote") and base.get("document"):
                for k in ("document", "start", "end"):  # the quote no longer matches its anchor
                    base.pop(k, None)
            base["quote"] = quote
            base.pop("speaker", None)
            if speaker:
                base["speaker"] = speaker
            if not base.get("document"):
                where = self.evidence.item(r, 2).text().strip()
                base.pop("location", None)
                if where:
                    base["location"] = where
            out.append(base)
        return out

    def _evidence_changed(self, _item) -> None:
        if self._loading:
            return
        self._set("evidence", self._collect_evidence() or None)

    def _add_quote(self) -> None:
        self._loading = True
        self._append_quote({"quote": ""})
        self._loading = False
        self.evidence.editItem(self.evidence.item(self.evidence.rowCount() - 1, 0))

    def _remove_quote(self) -> None:
        r = self.evidence.currentRow()
        if r >= 0:
            self.evidence.removeRow(r)
            self._evidence_changed(None)

    def _routines_changed(self, _item) -> None:
        if self._loading:
            return
        chosen = [self.routines.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.routines.count())
                  if self.routines.item(i).checkState() == Qt.CheckState.Checked]
        self._set("routines", chosen or None)

    def _links_changed(self, _item) -> None:
        if self._loading or not self.event_id:
            return
        session = self.controller.session
        links = [ln for ln in session.links(self.firm_id) if ln["from"] != self.event_id]
        for i in range(self.leads_to.count()):
            item = self.leads_to.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                links.append({"from": self.event_id, "to": item.data(Qt.ItemDataRole.UserRole)})
        self.controller.set_links(self.firm_id, links)


class EventsTab(QWidget):
    """The chronology: a table with inline editors, a filter, the code-as
    palette and the detail pane."""

    def __init__(self, controller: StudyController):
        super().__init__()
        self.controller = controller
        self.model = ObjectTableModel(controller, "events")
        self.view = _table_view(self.model, drag=True)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter events by a word (title, description, when, memo, actors)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter)
        self.count = QLabel()
        self.model.modelReset.connect(self._update_count)
        self.model.countChanged.connect(self._update_count)

        add = QPushButton("Add event")
        add.clicked.connect(self.add_event)
        delete = QPushButton("Delete")
        delete.clicked.connect(self.delete_selected)
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.count)
        top.addWidget(add)
        top.addWidget(delete)

        palette = QHBoxLayout()
        palette.addWidget(QLabel("Code as:"))
        fw = controller.session.framework
        for n, stage in enumerate(fw.stages[:9], start=1):
            b = QToolButton()
            b.setText(f"{n} {stage.label}")
            b.setToolTip(f"Make {stage.label} the primary stage of the selected events (key {n})\n\n{stage.definition}")
            b.clicked.connect(lambda _=False, s=stage.id: self.code_stage(s))
            palette.addWidget(b)
            QShortcut(QKeySequence(str(n)), self.view, lambda s=stage.id: self.code_stage(s),
                      context=Qt.ShortcutContext.WidgetShortcut)
        palette.addSpacing(12)
        voc = vocabulary()
        for key, t in TYPE_KEYS.items():
            term = voc.term("learning_types", t)
            b = QToolButton()
            b.setText(f"{key} {term.label}")
            b.setStyleSheet(f"QToolButton {{ border-bottom: 3px solid {TYPE_COLOUR[t]}; }}")
            b.setToolTip(f"Make {term.label} the primary learning type (key {key})\n\n{term.definition}")
            b.clicked.connect(lambda _=False, t=t: self.code_type(t))
            palette.addWidget(b)
            QShortcut(QKeySequence(key), self.view, lambda t=t: self.code_type(t),
                      context=Qt.ShortcutContext.WidgetShortcut)
        palette.addStretch()
        legend = QLabel(f'<span style="background:{voc.colour("uncoded_row")}">&nbsp;not yet coded&nbsp;</span> '
                        f'<span style="background:{voc.colour("attention_row")}">&nbsp;needs attention&nbsp;</span>')
        palette.addWidget(legend)

        self.detail = EventDetail(controller)
        detail_scroll = QScrollArea()
        detail_scroll.setWidget(self.detail)
        detail_scroll.setWidgetResizable(True)
        split = QSplitter(Qt.Orientation.Vertical)
        upper = QWidget()
        ul = QVBoxLayout(upper)
        ul.setContentsMargins(0, 0, 0, 0)
        ul.addLayout(top)
        ul.addLayout(palette)
        ul.addWidget(self.view)
        split.addWidget(upper)
        split.addWidget(detail_scroll)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        self.model.modelReset.connect(self._restore_detail)
        QShortcut(QKeySequence.StandardKey.Delete, self.view, self.delete_selected,
                  context=Qt.ShortcutContext.WidgetShortcut)

    def set_firm(self, firm_id: str | None) -> None:
        self.model.set_firm(firm_id)
        self.detail.show_event(None, None)

    def _filter(self, text: str) -> None:
        self.view.scrollToTop()  # results from the top (scrolled to the end, the view would fetch them all)
        self.model.set_filter(text)

    def _update_count(self) -> None:
        total = self.model.total
        text = f"{len(self.model.ids)}+ events" if total is None else f"{total} event{'s' if total != 1 else ''}"
        self.count.setText(text + (" found" if self.model.filter_text else ""))

    def _current_changed(self, current, _previous) -> None:
        if current.isValid():
            self.detail.show_event(self.model.firm_id, self.model.ids[current.row()])
        else:
            self.detail.show_event(None, None)

    def _restore_detail(self) -> None:
        # only among the rows fetched: looking further would fetch a whole chronology
        if self.detail.event_id and self.model.loaded_row(self.detail.event_id) >= 0:
            row = self.model.loaded_row(self.detail.event_id)
            if row < self.model.rowCount():
                self.view.selectionModel().setCurrentIndex(
                    self.model.index(row, 0),
                    QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            self.detail.show_event(self.model.firm_id, self.detail.event_id)

    def selected_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        if not rows and self.view.currentIndex().isValid():
            rows = [self.view.currentIndex().row()]
        return [self.model.ids[r] for r in rows]

    def select(self, event_id: str) -> None:
        row = self.model.row_of(event_id)
        if row >= 0:
            index = self.model.index(row, 1)
            self.view.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            self.view.scrollTo(index)

    def add_event(self) -> str | None:
        firm = self.model.firm_id
        if not firm:
            return None
        s = self.controller.session
        new_id = s.new_id("events", firm, "e")
        selected = self.selected_ids()
        position = self.model.row_of(selected[-1]) + 1 if selected and not self.model.filter_text else None
        if self.controller.insert("events", firm, {"id": new_id, "title": "New event", "stages": [],
                                                    "learning_types": []}, position, text="Add event"):
            self.select(new_id)
            self.view.edit(self.model.index(self.model.row_of(new_id), 1))
            return new_id
        return None

    def delete_selected(self, confirm=None) -> None:
        from PySide6.QtWidgets import QMessageBox

        ids = self.selected_ids()
        if not ids:
            return
        firm = self.model.firm_id
        titles = [self.model.object_at(self.model.row_of(i))["title"] for i in ids]
        answer = QMessageBox.question(
            self, "Delete events",
            f"Delete {len(ids)} event{'s' if len(ids) > 1 else ''}?\n\n" + "\n".join(titles[:10])
            + ("\n…" if len(ids) > 10 else "") + "\n\nYou can undo this (Ctrl+Z).")
        if answer != QMessageBox.StandardButton.Yes:
            return
        with self.controller.group(f"Delete {len(ids)} event{'s' if len(ids) > 1 else ''}"):
            for i in ids:
                self.controller.delete("events", firm, i)

    def _code(self, key: str, value: str, label: str) -> None:
        ids = self.selected_ids()
        if not ids or not self.model.firm_id:
            return
        with self.controller.group(f"Code {len(ids)} event{'s' if len(ids) > 1 else ''} as {label}"):
            for i in ids:
                current = self.model.object_at(self.model.row_of(i)).get(key) or []
                new = [value] + [v for v in current if v != value]
                if new != current:
                    self.controller.set_field("events", self.model.firm_id, i, key, new)
        if ids:
            self.select(ids[0])

    def code_stage(self, stage: str) -> None:
        self._code("stages", stage, all_stages()[stage].label)

    def code_type(self, learning_type: str) -> None:
        self._code("learning_types", learning_type, vocabulary().label("learning_types", learning_type))


# --------------------------------------------------------------------------- sources and routines


class ObjectTab(LazyTab):
    """Sources or routines: a table with inline editors and, for the
    selected one, the events that use it."""

    def __init__(self, controller: StudyController, table: str):
        super().__init__()
        self._init_lazy()
        self.controller = controller
        self.table = table
        self.model = ObjectTableModel(controller, table)
        self.view = _table_view(self.model, drag=True)
        self.used_by = QListWidget()
        self.used_by.setToolTip("Events that name it; double-click to go to one")
        noun = "source" if table == "sources" else "routine"
        add = QPushButton(f"Add {noun}")
        add.clicked.connect(self.add)
        delete = QPushButton("Delete")
        delete.clicked.connect(self.delete_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(delete)
        buttons.addStretch()
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addLayout(buttons)
        ll.addWidget(self.view)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(QLabel("Used by"))
        rl.addWidget(self.used_by)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._show_used_by())
        self.model.modelReset.connect(self._show_used_by)
        QShortcut(QKeySequence.StandardKey.Delete, self.view, self.delete_selected,
                  context=Qt.ShortcutContext.WidgetShortcut)

    def refresh(self) -> None:
        self.model.set_firm(self.firm_id)

    def _show_used_by(self) -> None:
        self.used_by.clear()
        index = self.view.currentIndex()
        if not index.isValid() or not self.model.firm_id:
            return
        obj_id = self.model.ids[index.row()]
        for ev in self.controller.session.used_by(self.model.firm_id, self.table, obj_id):
            item = QListWidgetItem(ev["title"])
            item.setData(Qt.ItemDataRole.UserRole, ev["id"])
            self.used_by.addItem(item)
        if not self.used_by.count():
            self.used_by.addItem("(no event names it)")

    def add(self) -> str | None:
        firm = self.model.firm_id
        if not firm:
            return None
        s = self.controller.session
        prefix = "s" if self.table == "sources" else "r"
        new_id = s.new_id(self.table, firm, prefix)
        obj = {"id": new_id, "name": f"New {'source' if self.table == 'sources' else 'routine'}"}
        if self.table == "sources":
            obj["kind"] = "other"
        if self.controller.insert(self.table, firm, obj):
            row = self.model.row_of(new_id)
            self.view.setCurrentIndex(self.model.index(row, 0))
            self.view.edit(self.model.index(row, 0))
            return new_id
        return None

    def delete_selected(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        index = self.view.currentIndex()
        if not index.isValid():
            return
        obj = self.model.object_at(index.row())
        users = self.controller.session.used_by(self.model.firm_id, self.table, obj["id"])
        noun = "source" if self.table == "sources" else "routine"
        text = f"Delete the {noun} “{obj['name']}”?"
        if users:
            text += f"\n\n{len(users)} event{'s' if len(users) > 1 else ''} name it; it will be taken off them."
        text += "\n\nYou can undo this (Ctrl+Z)."
        if QMessageBox.question(self, f"Delete {noun}", text) == QMessageBox.StandardButton.Yes:
            self.controller.delete(self.table, self.model.firm_id, obj["id"])


# --------------------------------------------------------------------------- profile


class ProfileTab(LazyTab):
    """Company details, free attributes and the researcher's summary, with
    the summary that the data suggests shown beside each empty field."""

    MAX_DERIVE_EVENTS = 5000

    def __init__(self, controller: StudyController):
        super().__init__()
        self._init_lazy()
        self.controller = controller
        self.firm_id: str | None = None
        voc = vocabulary()
        inner = QWidget()
        grid = QGridLayout(inner)
        row = 0
        title = QLabel("<b>Company details</b>")
        grid.addWidget(title, row, 0, 1, 3)
        row += 1
        self.name = CommitLineEdit()
        self.name.committed.connect(lambda t: t.strip() and self.controller.set_field(
            "firms", None, self.firm_id, "name", t.strip(), text="Rename firm"))
        grid.addWidget(QLabel("Name"), row, 0)
        grid.addWidget(self.name, row, 1, 1, 2)
        row += 1
        self.profile: dict[str, CommitLineEdit] = {}
        for term in voc.profile_fields:
            edit = CommitLineEdit()
            if term.id in ("founded", "employees"):
                edit.setPlaceholderText("a whole number")
            edit.committed.connect(lambda t, k=term.id: self._set_profile(k, t))
            self.profile[term.id] = edit
            grid.addWidget(QLabel(term.label), row, 0)
            grid.addWidget(edit, row, 1, 1, 2)
            row += 1
        grid.addWidget(QLabel("<b>Attributes</b> (free case attributes: shown as extra rows of the "
                              "company-details table)"), row, 0, 1, 3)
        row += 1
        self.attributes = QTableWidget(0, 2)
        self.attributes.setHorizontalHeaderLabels(["Attribute", "Value"])
        self.attributes.horizontalHeader().setStretchLastSection(True)
        self.attributes.setMaximumHeight(150)
        self.attributes.itemChanged.connect(self._attributes_changed)
        grid.addWidget(self.attributes, row, 0, 1, 2)
        ab = QVBoxLayout()
        add_attr = QPushButton("Add")
        add_attr.clicked.connect(self._add_attribute)
        del_attr = QPushButton("Remove")
        del_attr.clicked.connect(self._remove_attribute)
        ab.addWidget(add_attr)
        ab.addWidget(del_attr)
        ab.addStretch()
        grid.addLayout(ab, row, 2)
        row += 1
        grid.addWidget(QLabel("<b>Summary</b> (the institutionalisation of knowledge; suggestions "
                              "from the coded events appear beside empty fields)"), row, 0, 1, 3)
        row += 1
        self.too_many = QLabel(f"This firm has more than {self.MAX_DERIVE_EVENTS:,} events: suggestions are "
                               "not worked out here (the Word report still derives empty fields).")
        self.too_many.setStyleSheet("color: #555; font-style: italic")
        self.too_many.hide()
        grid.addWidget(self.too_many, row, 0, 1, 3)
        row += 1
        self.summary: dict[str, CommitTextEdit] = {}
        self.suggestions: dict[str, tuple[QLabel, QPushButton]] = {}
        for term in voc.summary_fields:
            edit = CommitTextEdit()
            edit.setMaximumHeight(48)
            edit.setToolTip(term.definition)
            edit.committed.connect(lambda t, k=term.id: self._set_summary(k, t))
            hint = QLabel()
            hint.setWordWrap(True)
            hint.setStyleSheet("color: #555; font-style: italic")
            use = QPushButton("Use")
            use.setToolTip("Copy the suggestion into the field")
            use.clicked.connect(lambda _=False, k=term.id: self._use_suggestion(k))
            box = QVBoxLayout()
            box.addWidget(hint)
            box.addWidget(use, 0, Qt.AlignmentFlag.AlignLeft)
            grid.addWidget(QLabel(term.label), row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(edit, row, 1)
            grid.addLayout(box, row, 2)
            self.summary[term.id] = edit
            self.suggestions[term.id] = (hint, use)
            row += 1
        grid.addWidget(QLabel("<b>Memo</b>"), row, 0)
        self.memo = CommitTextEdit()
        self.memo.setMaximumHeight(70)
        self.memo.committed.connect(lambda t: self.controller.set_field("firms", None, self.firm_id, "memo", t or None))
        grid.addWidget(self.memo, row, 1, 1, 2)
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(2, 2)
        scroll = QScrollArea()
        scroll.setWidget(inner)
        scroll.setWidgetResizable(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self._loading = False
        self._derived: dict[str, str] = {}
        controller.changed.connect(lambda firm, table: firm == (self.firm_id or "") and self.mark_stale())

    def reload(self) -> None:
        if not self.firm_id or self.firm_id not in {f["id"] for f in self.controller.session.firms()}:
            self.setEnabled(False)
            return
        self.setEnabled(True)
        self._loading = True
        try:
            firm = self.controller.session.get("firms", None, self.firm_id)
            self.name.load(firm.get("name"))
            profile = firm.get("profile") or {}
            for key, edit in self.profile.items():
                edit.load("" if profile.get(key) is None else str(profile.get(key)))
            self.attributes.setRowCount(0)
            for k, v in (firm.get("attributes") or {}).items():
                r = self.attributes.rowCount()
                self.attributes.insertRow(r)
                self.attributes.setItem(r, 0, QTableWidgetItem(k))
                value = QTableWidgetItem(str(v))
                value.setData(Qt.ItemDataRole.UserRole, v)
                self.attributes.setItem(r, 1, value)
            summary = firm.get("summary") or {}
            from ..core.analysis import derive_summary

            n = self.controller.session.event_count(self.firm_id)
            # deriving reads every event of the firm: beyond a size coded by hand, the
            # window would freeze for seconds at each visit (the report still derives them)
            self._derived = derive_summary(self.controller.session.firm(self.firm_id)) \
                if n <= self.MAX_DERIVE_EVENTS else {}
            self.too_many.setVisible(n > self.MAX_DERIVE_EVENTS)
            for key, edit in self.summary.items():
                edit.load(summary.get(key))
                hint, use = self.suggestions[key]
                suggestion = self._derived.get(key) if not summary.get(key) else None
                hint.setText(f"Suggested: {suggestion}" if suggestion else "")
                hint.setVisible(bool(suggestion))
                use.setVisible(bool(suggestion))
            self.memo.load(firm.get("memo"))
        finally:
            self._loading = False

    def _set_object(self, key: str, mapping: dict) -> None:
        self.controller.set_field("firms", None, self.firm_id, key, mapping or None,
                                  text=f"Edit {key}")

    def _set_profile(self, key: str, text: str) -> None:
        if self._loading:
            return
        firm = self.controller.session.get("firms", None, self.firm_id)
        profile = dict(firm.get("profile") or {})
        text = text.strip()
        if not text:
            profile.pop(key, None)
        elif key in ("founded", "employees"):
            try:
                profile[key] = int(text)
            except ValueError:
                self.controller.error.emit(f"{vocabulary().label('profile_fields', key)}: "
                                           f"write a whole number, not {text!r}")
                self.reload()
                return
        else:
            profile[key] = text
        self._set_object("profile", profile)

    def _set_summary(self, key: str, text: str) -> None:
        if self._loading:
            return
        firm = self.controller.session.get("firms", None, self.firm_id)
        summary = dict(firm.get("summary") or {})
        if text.strip():
            summary[key] = text.strip()
        else:
            summary.pop(key, None)
        self._set_object("summary", summary)

    def _use_suggestion(self, key: str) -> None:
        if key in self._derived:
            self._set_summary(key, self._derived[key])

    def _attributes_changed(self, _item) -> None:
        if self._loading:
            return
        attrs = {}
        for r in range(self.attributes.rowCount()):
            k = self.attributes.item(r, 0)
            v = self.attributes.item(r, 1)
            if k and k.text().strip():
                original = v.data(Qt.ItemDataRole.UserRole) if v else None
                text = v.text() if v else ""
                attrs[k.text().strip()] = original if original is not None and str(original) == text else text
        self._set_object("attributes", attrs)

    def _add_attribute(self) -> None:
        self._loading = True
        r = self.attributes.rowCount()
        self.attributes.insertRow(r)
        self.attributes.setItem(r, 0, QTableWidgetItem(""))
        self.attributes.setItem(r, 1, QTableWidgetItem(""))
        self._loading = False
        self.attributes.editItem(self.attributes.item(r, 0))

    def _remove_attribute(self) -> None:
        r = self.attributes.currentRow()
        if r >= 0:
            self.attributes.removeRow(r)
            self._attributes_changed(None)
