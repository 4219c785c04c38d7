"""The tabs in which the selected firm is edited: Profile, Events, Sources
and Routines, and what all tabs share (LazyTab). The Diagram and Matrix tabs,
which only show, have modules of their own."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QFormLayout, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QMainWindow, QPlainTextEdit, QPushButton, QScrollArea,
                               QSplitter, QTableView, QTableWidget, QTableWidgetItem, QToolButton,
                               QVBoxLayout, QWidget)

from ..core.errors import WorkbenchError
from ..core.frameworks import all_stages, vocabulary
from .controller import StudyController
from .delegates import AfterEditing, FieldDelegate, MultiSelect, TrackingDelegate, keeps_f2
from .models import CRITICAL, DEFAULT_TEXT, UNCODED, WARNING, ObjectTableModel, choices

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
        dirty = self.hasFocus() and self.text() != self._loaded
        self._loaded = text or ""
        if not dirty:  # else it is being typed in: the typing stays, and is saved when it ends
            self.setText(self._loaded)

    def _finish(self) -> None:
        if self.text() != self._loaded:
            self._loaded = self.text()
            self.committed.emit(self.text())

    commit = _finish


class CommitTextEdit(QPlainTextEdit):
    """A text box that saves when it loses focus."""

    committed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._loaded = ""
        self.setTabChangesFocus(True)

    def load(self, text: str | None) -> None:
        dirty = self.hasFocus() and self.toPlainText() != self._loaded
        self._loaded = text or ""
        if not dirty:  # else it is being typed in: the typing stays, and is saved when it ends
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


def _grid(rows: int, headers: list[str]) -> QTableWidget:
    """A small editable grid (evidence, attributes) whose owner can tell
    whether an editor is open on it (``grid.itemDelegate().open_editors``)."""
    grid = QTableWidget(rows, len(headers))
    grid.setHorizontalHeaderLabels(headers)
    delegate = TrackingDelegate(grid)
    grid.setItemDelegate(delegate)
    keeps_f2(grid)

    def drop_blank_rows():  # a row added and left empty (Escape, a click elsewhere) goes
        if delegate.open_editors:
            return
        for r in reversed(range(grid.rowCount())):
            if not any(grid.item(r, c) and grid.item(r, c).text().strip() for c in range(grid.columnCount())):
                grid.removeRow(r)
    delegate.editorGone.connect(lambda: QTimer.singleShot(0, grid, drop_blank_rows))
    return grid


def _note_label() -> QLabel:
    """A line under a grid that says what was not saved as typed (hidden while empty)."""
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {vocabulary().colour('critical')}")
    label.hide()
    return label


def _tell(widget: QWidget, message: str) -> None:
    """A passing notice in the window's status bar."""
    window = widget.window()
    if isinstance(window, QMainWindow):
        window.statusBar().showMessage(message, 20000)


def _table_view(model: ObjectTableModel, drag: bool) -> QTableView:
    view = QTableView()
    keeps_f2(view)
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
    evidence, routines, knowledge types and the events it leads to.

    Its own edits change one event: the events table updates that row in
    place (``model.in_place``), so nothing here is reloaded under the
    user's hands, and a reload that comes from elsewhere (an undo) waits
    while a cell of the evidence grid is being typed in."""

    def __init__(self, controller: StudyController, model: ObjectTableModel | None = None):
        super().__init__()
        self.controller = controller
        self.model = model
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
        self.codes = QListWidget()
        self.codes.setMaximumHeight(100)
        self.codes.setToolTip("The study's own codes on this event: tick to apply, untick to take off "
                              "(make and arrange codes in the Codes panel, View → Codes panel)")
        self.codes.setAccessibleName("Codes of the event")
        form.addRow("Codes", self.codes)
        self.routines = QListWidget()
        self.routines.setMaximumHeight(100)
        form.addRow("Routines built", self.routines)
        self.leads_to = QListWidget()
        self.leads_to.setMaximumHeight(100)
        self.leads_to.setToolTip("Explicit 'led to' links. With none in the firm, each event leads to the next.")
        form.addRow("Leads to", self.leads_to)
        form.addRow("Evidence", self._build_evidence())
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
        self.codes.itemChanged.connect(self._codes_changed)
        controller.changed.connect(lambda _f, table: table == "codes" and self.event_id and self._reload())
        self.leads_to.itemChanged.connect(self._links_changed)
        self._loading = False
        self._grid_event: tuple | None = None  # the event whose evidence the grid shows
        self._reload = AfterEditing(self.evidence.itemDelegate(), self._load)
        self.setEnabled(False)

    def _build_evidence(self) -> QVBoxLayout:
        self.evidence = _grid(0, ["Quote", "Speaker", "Where (page, section)"])
        self.evidence.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.evidence.setColumnWidth(1, 140)
        # the header whole, and an anchored quote's document and paragraph in two lines
        self.evidence.setColumnWidth(2, 240)
        self.evidence.horizontalHeaderItem(2).setToolTip(
            "A quote anchored in a document: the document, paragraph and speaker (double-click to open "
            "the document there). Any other quote: where it comes from, as you write it (page, section).")
        self.evidence.setMaximumHeight(140)
        self.evidence.itemChanged.connect(self._evidence_changed)
        self.evidence.cellDoubleClicked.connect(self._evidence_double_clicked)
        self.evidence.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.evidence.customContextMenuRequested.connect(self._evidence_menu)
        self.evidence.currentCellChanged.connect(lambda *_: self._update_find())
        self.evidence_note = _note_label()
        buttons = QHBoxLayout()
        self.add_quote = QPushButton("Add quote")
        self.remove_quote = QPushButton("Remove quote")
        self.find_quote = QPushButton("Find in documents…")
        self.find_quote.setToolTip("Find the selected quote in the study's documents and anchor it there "
                                   "(curly or straight quote marks, dashes, spacing and line breaks may differ)")
        self.add_quote.clicked.connect(self._add_quote)
        self.remove_quote.clicked.connect(self._remove_quote)
        self.find_quote.clicked.connect(self.find_in_documents)
        buttons.addWidget(self.add_quote)
        buttons.addWidget(self.remove_quote)
        buttons.addWidget(self.find_quote)
        buttons.addStretch()
        box = QVBoxLayout()
        box.addWidget(self.evidence)
        box.addWidget(self.evidence_note)
        box.addLayout(buttons)
        return box

    def _set(self, key, value) -> bool:
        if self._loading or not self.event_id:
            return False
        if self.model is None or self.model.firm_id != self.firm_id:
            return self.controller.set_field("events", self.firm_id, self.event_id, key, value)
        with self.model.in_place(self.event_id):
            return self.controller.set_field("events", self.firm_id, self.event_id, key, value)

    def show_event(self, firm_id: str | None, event_id: str | None) -> None:
        if (firm_id, event_id) != (self.firm_id, self.event_id):
            # what is being typed belongs to the event it was typed for
            self.evidence.itemDelegate().finish_editing()
            for edit in (self.description, self.actors, self.memo):
                edit.commit()
            self.firm_id, self.event_id = firm_id, event_id
            self._note("")
        self._reload()

    def _load(self) -> None:
        self._loading = True
        self._docs: dict[str, dict] = {}  # documents read for the Where column, while this event is shown
        try:
            firm_id, event_id = self.firm_id, self.event_id
            if not firm_id or not event_id:
                self.heading.setText("Select an event")
                self.evidence.setRowCount(0)
                self._grid_event = None
                self.setEnabled(False)
                return
            try:
                ev = self.controller.session.get("events", firm_id, event_id)
            except WorkbenchError:
                self.firm_id = self.event_id = None
                self._load()
                return
            self.setEnabled(True)
            self.heading.setText(ev["title"])
            self.description.load(ev.get("description"))
            self.memo.load(ev.get("memo"))
            self.actors.load(", ".join(ev.get("actors") or []))
            self.knowledge.set_checked(ev.get("knowledge_types") or [])
            session = self.controller.session
            self._load_codes(ev.get("codes") or [])
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
            evidence = ev.get("evidence") or []
            shown = [base for _, base in self._grid_rows()]
            if self._grid_event != (firm_id, event_id) or shown != evidence:  # else rows without a quote stay
                self._grid_event = (firm_id, event_id)
                self.evidence.setRowCount(0)
                for ev_item in evidence:
                    self._append_quote(ev_item)
            self._update_find()
        finally:
            self._loading = False

    def set_heading(self, title: str) -> None:
        self.heading.setText(title)

    # ------------------------------------------------------------------ evidence

    def _append_quote(self, ev: dict) -> None:
        r = self.evidence.rowCount()
        self.evidence.insertRow(r)
        for c in range(3):
            self.evidence.setItem(r, c, QTableWidgetItem())
        self._show_quote(r, ev)

    def _show_quote(self, r: int, ev: dict) -> None:
        """Row ``r`` shows the evidence item ``ev`` (as stored)."""
        quote, speaker, where = (self.evidence.item(r, c) for c in range(3))
        quote.setText(ev.get("quote", ""))
        quote.setData(Qt.ItemDataRole.UserRole, ev)
        speaker.setText(ev.get("speaker", ""))
        editable = Qt.ItemFlag.ItemIsEditable
        if ev.get("document"):
            text = self._where(ev)
            where.setText(text)
            where.setFlags(where.flags() & ~editable)
            where.setToolTip(f"{text}\nAnchored to a document of the study: the quote is the document's text "
                             "there. Double-click to open the document at the passage.")
        else:
            where.setText(ev.get("location", ""))
            where.setFlags(where.flags() | editable)
            where.setToolTip("")

    def _where(self, ev: dict) -> str:
        """Where an anchored quote stands, for a reader: the document's
        name, the paragraph and the speaker, never offsets."""
        from ..core.textpos import describe, speaker_at

        cache = self.__dict__.setdefault("_docs", {})
        try:
            doc = cache.get(ev["document"]) or cache.setdefault(
                ev["document"], self.controller.session.document(ev["document"]))
        except WorkbenchError:
            return ev["document"]
        start, end = ev.get("start"), ev.get("end")
        if start is None or end is None or end > len(doc["text"]):
            return doc["name"]
        # the speaker, unless the Speaker column beside it names them already
        speaker = None if ev.get("speaker") else speaker_at(doc["text"], start)
        return describe(doc["name"], doc["text"], start, end, speaker)

    def _evidence_double_clicked(self, row: int, column: int) -> None:
        """A double-click on an anchored quote's Where opens its document there."""
        item = self.evidence.item(row, 0)
        ev = item.data(Qt.ItemDataRole.UserRole) if item else None
        if column == 2 and ev and ev.get("document") and ev.get("start") is not None:
            window = self.window()
            if hasattr(window, "open_document_at"):
                window.open_document_at(ev["document"], ev["start"], ev["end"])

    def _evidence_menu(self, pos) -> None:
        """Right-click on a quote: open it in its document, or find it there."""
        from PySide6.QtWidgets import QMenu

        r = self.evidence.rowAt(pos.y())
        item = self.evidence.item(r, 0) if r >= 0 else None
        ev = item.data(Qt.ItemDataRole.UserRole) if item else None
        if not ev or not ev.get("quote"):
            return
        self.evidence.setCurrentCell(r, 0)
        menu = QMenu(self)
        if ev.get("document") and ev.get("start") is not None:
            menu.addAction("Open the document at this quote", lambda: self._evidence_double_clicked(r, 2))
        else:
            menu.addAction("Find in documents…", self.find_in_documents)
        menu.exec(self.evidence.viewport().mapToGlobal(pos))

    def _update_find(self) -> None:
        r = self.evidence.currentRow()
        item = self.evidence.item(r, 0) if r >= 0 else None
        ev = item.data(Qt.ItemDataRole.UserRole) if item else None
        self.find_quote.setEnabled(bool(ev and ev.get("quote") and not ev.get("document")))

    def find_in_documents(self) -> bool:
        """Find the selected (unanchored) quote in the study's documents:
        found once, offer to anchor it there; in several places, pick one;
        nowhere, say so. Anchoring is one step: the quote becomes the
        document's own characters, its speaker kept. Returns whether it
        was anchored."""
        from PySide6.QtWidgets import QDialog, QMessageBox

        from ..core.anchor import find_quote
        from ..core.textpos import describe

        r = self.evidence.currentRow()
        item = self.evidence.item(r, 0) if r >= 0 else None
        ev = item.data(Qt.ItemDataRole.UserRole) if item else None
        if not ev or not ev.get("quote") or ev.get("document") or not self.event_id:
            self._note("Select a quote without an anchor first (a row whose Where you typed)")
            return False
        docs = {d["id"]: d for d in self.controller.session.documents()}
        if not docs:
            self._note("This study has no documents to look in: add the transcripts first")
            return False
        matches = find_quote(ev["quote"], [(d["id"], d["text"]) for d in docs.values()])

        def place(m) -> str:
            return describe(docs[m.document_id]["name"], docs[m.document_id]["text"], m.start, m.end)

        if not matches:
            self._note(f"“{ev['quote'][:80]}” is not in any of the study's {len(docs)} documents "
                       "(even allowing for quote marks, dashes and spacing)")
            return False
        if len(matches) == 1:
            m = matches[0]
            if QMessageBox.question(self, "Anchor the quote",
                                    f"Found in {place(m)}:\n\n“{m.quote}”\n\nAnchor the quote there? "
                                    "It then reads as the document does.") != QMessageBox.StandardButton.Yes:
                return False
        else:
            from .search_panel import MatchPicker

            def context(m) -> str:
                text = docs[m.document_id]["text"]
                return " ".join((text[max(0, m.start - 40):m.start] + "[" + m.quote + "]"
                                 + text[m.end:m.end + 40]).split())
            rows = [(docs[m.document_id]["name"], str(place(m).rsplit("paragraph ", 1)[-1]), context(m))
                    for m in matches]
            picker = MatchPicker(self, ev["quote"], rows)
            chosen = picker.chosen() if picker.exec() == QDialog.DialogCode.Accepted else -1
            picker.deleteLater()
            if chosen < 0:
                return False
            m = matches[chosen]
        stored = self.controller.session.get("events", self.firm_id, self.event_id).get("evidence") or []
        at = next((i for i, it in enumerate(stored) if it == ev), None)
        if at is None:
            return False
        anchored = {k: v for k, v in ev.items() if k != "location"}
        anchored.update(quote=m.quote, document=m.document_id, start=m.start, end=m.end)
        new = list(stored)
        new[at] = anchored
        label = f"Anchor quote in {docs[m.document_id]['name']}"
        if self.model is None or self.model.firm_id != self.firm_id:
            done = self.controller.set_field("events", self.firm_id, self.event_id, "evidence", new, text=label)
        else:
            with self.model.in_place(self.event_id):
                done = self.controller.set_field("events", self.firm_id, self.event_id, "evidence", new, text=label)
        if done:
            self._grid_event = None
            self._reload()
            self._note("")
            _tell(self, f"Anchored the quote in {place(m)}")
        return done

    def _grid_rows(self) -> list[tuple[int, dict]]:
        """(row, evidence item as stored) for each row saved so far."""
        out = []
        for r in range(self.evidence.rowCount()):
            item = self.evidence.item(r, 0)
            base = item.data(Qt.ItemDataRole.UserRole) if item else None
            if base and base.get("quote"):
                out.append((r, base))
        return out

    def _row_as_evidence(self, r: int) -> tuple[dict | None, str]:
        """The evidence item row ``r`` now shows (None without a quote), and
        a notice for the user when a quote's anchor had to change."""
        base = dict(self.evidence.item(r, 0).data(Qt.ItemDataRole.UserRole) or {})
        was_anchored = bool(base.get("document"))  # then Where showed the anchor, not a location
        text = self.evidence.item(r, 0).text()
        notice = ""
        if text != base.get("quote"):
            text = text.strip()
            if base.get("document") and text:
                notice = self._reanchor(base, text)
            base["quote"] = text
        if not base.get("quote"):
            return None, ""
        speaker = self.evidence.item(r, 1).text().strip()
        base.pop("speaker", None)
        if speaker:
            base["speaker"] = speaker
        if not was_anchored:
            where = self.evidence.item(r, 2).text().strip()
            base.pop("location", None)
            if where:
                base["location"] = where
        return base, notice

    def _reanchor(self, base: dict, quote: str) -> str:
        """Keep the anchor of an edited quote while the document still reads
        so there (narrowed or widened to where it now lies, overlapping the
        old place); drop it otherwise, and say so."""
        doc_id, start, end = base["document"], base.get("start"), base.get("end")
        try:
            doc = self.controller.session.document(doc_id)
        except WorkbenchError:
            doc = {"name": doc_id, "text": None}
        text = doc.get("text")
        name = doc.get("name") or doc_id
        if text is not None and start is not None and end is not None:
            places = []
            i = text.find(quote)
            while i >= 0:
                if i < end and i + len(quote) > start:  # overlaps the old place
                    places.append(i)
                i = text.find(quote, i + 1)
            if places:
                new = min(places, key=lambda p: abs(p - start))
                if (new, new + len(quote)) == (start, end):
                    return ""
                base["start"], base["end"] = new, new + len(quote)
                return f"The quote still matches “{name}”: its anchor now spans {new}-{new + len(quote)}."
        for k in ("document", "start", "end"):
            base.pop(k, None)
        where = f" at {start}-{end}" if start is not None else ""
        return (f"The edited quote no longer matches the text of “{name}”{where}: its anchor to the "
                "document was dropped. Write where it comes from (page, section) in Where.")

    def _note(self, text: str) -> None:
        self.evidence_note.setText(text)
        self.evidence_note.setVisible(bool(text))

    def _evidence_changed(self, _item=None) -> None:
        if self._loading or not self.event_id:
            return
        rows, notices, unsaved = [], [], 0
        for r in range(self.evidence.rowCount()):
            ev, notice = self._row_as_evidence(r)
            if ev is None:
                unsaved += any(self.evidence.item(r, c).text().strip() for c in (1, 2))
                continue
            rows.append((r, ev))
            notices += [notice] if notice else []
        evidence = [ev for _, ev in rows]
        stored = self.controller.session.get("events", self.firm_id, self.event_id).get("evidence") or []
        if evidence != stored and not self._set("evidence", evidence or None):
            self._grid_event = None  # refused (the user was told why): show what the file holds
            self._reload()
            return
        self._loading = True
        try:
            for r, ev in rows:
                self._show_quote(r, ev)
        finally:
            self._loading = False
        if unsaved:
            notices.append("A row without a quote is not saved until its quote is typed.")
        if notices:
            self._note(" ".join(notices))
            _tell(self, notices[0])
        elif not self.evidence_note.text().startswith("The edited quote"):
            self._note("")
        self._update_find()

    def _add_quote(self) -> None:
        self._loading = True
        self._append_quote({"quote": ""})
        self._loading = False
        r = self.evidence.rowCount() - 1
        self.evidence.setCurrentCell(r, 0)
        self.evidence.editItem(self.evidence.item(r, 0))

    def _remove_quote(self) -> None:
        r = self.evidence.currentRow()
        if r >= 0:
            self.evidence.removeRow(r)
            self._evidence_changed()

    # ------------------------------------------------------------------ routines and links

    def _load_codes(self, on: list[str]) -> None:
        """The study's codes as a checkable list (sub-codes indented), those on the event ticked."""
        from .codes_panel import code_tree, swatch

        self.codes.clear()
        codes = code_tree(self.controller.session.objects("codes", None))
        for code, depth in codes:
            item = QListWidgetItem("    " * depth + code["name"])
            item.setData(Qt.ItemDataRole.UserRole, code["id"])
            item.setIcon(swatch(code.get("colour")))
            if code.get("description"):
                item.setToolTip(code["description"])
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if code["id"] in on else Qt.CheckState.Unchecked)
            self.codes.addItem(item)
        if not codes:
            item = QListWidgetItem("(no codes yet: make them in the Codes panel, View → Codes panel)")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.codes.addItem(item)

    def _codes_changed(self, _item) -> None:
        if self._loading or not self.event_id:
            return
        ev = self.controller.session.get("events", self.firm_id, self.event_id)
        now = list(ev.get("codes") or [])
        ticked = [self.codes.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.codes.count())
                  if self.codes.item(i).checkState() == Qt.CheckState.Checked]
        new = [c for c in now if c in ticked] + [c for c in ticked if c not in now]  # the order they were put on
        if new != now:
            self._set("codes", new or None)

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
        self.legend = QLabel(
            f'<span style="color:{CRITICAL.name()}">◆</span> <b>bold</b>: critical incident &nbsp;&nbsp; '
            f'<span style="background:{UNCODED.name()}">&nbsp;not yet coded&nbsp;</span> &nbsp; '
            f'<span style="background:{WARNING.name()}">&nbsp;needs attention&nbsp;</span> &nbsp;&nbsp; '
            f'<i style="color:{DEFAULT_TEXT.name()}">(Organisation)</i>: the default level of the stage, '
            "not chosen &nbsp;&nbsp; Right-click a heading: more columns")
        self.legend.setWordWrap(True)
        self.legend.setToolTip("A critical incident (the Critical column ticked) has a ◆ and a bold title.\n"
                               "Yellow: the event has no stage or no learning type yet.\n"
                               "Red: it names a source that no longer exists, or its date is earlier than "
                               "an event listed before it.\n"
                               "A level in brackets and grey is the default level of the event's primary "
                               "stage; double-click it to choose one.")

        self.detail = EventDetail(controller, self.model)
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
        ul.addWidget(self.legend)
        split.addWidget(upper)
        split.addWidget(detail_scroll)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        self.model.modelReset.connect(self._restore_detail)
        self.model.dataChanged.connect(self._rows_changed)
        QShortcut(QKeySequence.StandardKey.Delete, self.view, self.delete_selected,
                  context=Qt.ShortcutContext.WidgetShortcut)
        header = self.view.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(lambda pos: self.column_menu().exec(header.mapToGlobal(pos)))
        self.default_columns()

    # the order of the columns on screen: the coding first, the optional ones last
    COLUMN_ORDER = ("when", "title", "stages", "learning_types", "level", "critical", "phase", "sources")

    def _column(self, key: str) -> int:
        return next(i for i, c in enumerate(self.model.columns) if c.key == key)

    def default_columns(self) -> None:
        """The columns as they first are: those that matter shown, in order,
        the event's title taking the width the others leave (so the table
        fits a 1366-pixel screen without scrolling sideways), the optional
        ones (phase, knowledge sources) hidden."""
        header = self.view.horizontalHeader()
        for visual, key in enumerate(self.COLUMN_ORDER):
            header.moveSection(header.visualIndex(self._column(key)), visual)
        for i, col in enumerate(self.model.columns):
            header.setSectionHidden(i, col.optional)
            if col.key != "title":
                header.resizeSection(i, col.width)
        self.fit_columns()

    def fit_columns(self) -> None:
        """The title column stretches to the width left (also after a saved
        layout is restored)."""
        header = self.view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(self._column("title"), QHeaderView.ResizeMode.Stretch)

    def column_menu(self):
        """The heading's right-click menu: tick the columns to show."""
        from PySide6.QtWidgets import QMenu

        header = self.view.horizontalHeader()
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        for visual in range(header.count()):
            i = header.logicalIndex(visual)
            col = self.model.columns[i]
            if col.key == "title":
                continue
            act = menu.addAction(col.header)
            act.setCheckable(True)
            act.setChecked(not header.isSectionHidden(i))
            act.toggled.connect(lambda on, i=i: self.show_column(i, on))
        menu.addSeparator()
        menu.addAction("Columns as they first were", self.default_columns)
        return menu

    def show_column(self, i: int, shown: bool) -> None:
        header = self.view.horizontalHeader()
        header.setSectionHidden(i, not shown)
        if shown and header.sectionSize(i) < 30:
            header.resizeSection(i, self.model.columns[i].width)

    def set_firm(self, firm_id: str | None) -> None:
        other = firm_id != self.model.firm_id
        self.model.set_firm(firm_id)
        if other:  # the same firm again keeps its event in view
            self.detail.show_event(None, None)

    def _rows_changed(self, top, bottom) -> None:
        """A row updated in place: the detail's heading follows its title."""
        row = self.model.loaded_row(self.detail.event_id) if self.detail.event_id else -1
        if top.row() <= row <= bottom.row():
            self.detail.set_heading(self.model.object_at(row)["title"])

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
        self.view.itemDelegate().finish_editing()
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
        self.view.itemDelegate().finish_editing()
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
        self.view.itemDelegate().finish_editing()
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
        self.view.itemDelegate().finish_editing()
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
    the summary that the data suggests shown beside each empty field.

    A change to the firm reloads the tab, but never under an open editor of
    the attributes grid (it waits until the user has finished), and a grid
    that already shows what is stored is left as it is."""

    MAX_DERIVE_EVENTS = 5000

    def __init__(self, controller: StudyController):
        super().__init__()
        self._init_lazy()
        self.controller = controller
        self.firm_id: str | None = None
        self._loading = False
        self._derived: dict[str, str] = {}
        self._attributes_firm: str | None = None  # the firm whose attributes the grid shows
        inner = QWidget()
        grid = QGridLayout(inner)
        row = self._build_details(grid, 0)
        row = self._build_attributes(grid, row)
        row = self._build_summary(grid, row)
        self._build_memo(grid, row)
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(2, 2)
        scroll = QScrollArea()
        scroll.setWidget(inner)
        scroll.setWidgetResizable(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self._reload = AfterEditing(self.attributes.itemDelegate(), self.reload)
        controller.changed.connect(lambda firm, table: firm == (self.firm_id or "") and self.mark_stale())

    def _build_details(self, grid: QGridLayout, row: int) -> int:
        """The firm's name and its profile fields (founded, employees, ...)."""
        grid.addWidget(QLabel("<b>Company details</b>"), row, 0, 1, 3)
        row += 1
        self.name = CommitLineEdit()
        self.name.committed.connect(lambda t: t.strip() and self.controller.set_field(
            "firms", None, self.firm_id, "name", t.strip(), text="Rename firm"))
        grid.addWidget(QLabel("Name"), row, 0)
        grid.addWidget(self.name, row, 1, 1, 2)
        row += 1
        self.profile: dict[str, CommitLineEdit] = {}
        for term in vocabulary().profile_fields:
            edit = CommitLineEdit()
            if term.id in ("founded", "employees"):
                edit.setPlaceholderText("a whole number")
            edit.committed.connect(lambda t, k=term.id: self._set_profile(k, t))
            self.profile[term.id] = edit
            grid.addWidget(QLabel(term.label), row, 0)
            grid.addWidget(edit, row, 1, 1, 2)
            row += 1
        return row

    def _build_attributes(self, grid: QGridLayout, row: int) -> int:
        """The free attributes: a name and a value a row, Add and Remove."""
        grid.addWidget(QLabel("<b>Attributes</b> (free case attributes: shown as extra rows of the "
                              "company-details table)"), row, 0, 1, 3)
        row += 1
        self.attributes = _grid(0, ["Attribute", "Value"])
        self.attributes.horizontalHeader().setStretchLastSection(True)
        self.attributes.horizontalHeader().resizeSection(0, 200)
        self.attributes.setWordWrap(False)
        rows = self.attributes.verticalHeader()
        rows.setDefaultSectionSize(24)
        # five rows in view (more scroll), however the grid is squeezed
        height = self.attributes.horizontalHeader().sizeHint().height() + 5 * 24 + 2 * self.attributes.frameWidth() + 2
        self.attributes.setMinimumHeight(height)
        self.attributes.setMaximumHeight(height + 3 * 24)
        self.attributes.itemChanged.connect(self._attributes_changed)
        self.attributes_note = _note_label()
        box = QVBoxLayout()
        box.addWidget(self.attributes)
        box.addWidget(self.attributes_note)
        grid.addLayout(box, row, 0, 1, 2)
        buttons = QVBoxLayout()
        self.add_attribute = QPushButton("Add")
        self.add_attribute.clicked.connect(self._add_attribute)
        self.remove_attribute = QPushButton("Remove")
        self.remove_attribute.clicked.connect(self._remove_attribute)
        buttons.addWidget(self.add_attribute)
        buttons.addWidget(self.remove_attribute)
        buttons.addStretch()
        grid.addLayout(buttons, row, 2)
        return row + 1

    def _build_summary(self, grid: QGridLayout, row: int) -> int:
        """The researcher's summary, each field with the suggestion the
        coded events give beside it while it is empty."""
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
        for term in vocabulary().summary_fields:
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
        return row

    def _build_memo(self, grid: QGridLayout, row: int) -> None:
        grid.addWidget(QLabel("<b>Memo</b>"), row, 0)
        self.memo = CommitTextEdit()
        self.memo.setMaximumHeight(70)
        self.memo.committed.connect(lambda t: self.controller.set_field("firms", None, self.firm_id, "memo", t or None))
        grid.addWidget(self.memo, row, 1, 1, 2)

    def set_firm(self, firm_id: str | None) -> None:
        if firm_id != self.firm_id and self.firm_id:  # what is being typed is saved to the firm it was typed for
            self.attributes.itemDelegate().finish_editing()
            for edit in [self.name, self.memo, *self.profile.values(), *self.summary.values()]:
                edit.commit()
        super().set_firm(firm_id)

    def refresh(self) -> None:
        self._reload()  # at once, or when the attribute being typed is done

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
            self._load_attributes(firm.get("attributes") or {})
            self._load_summary(firm)
            self.memo.load(firm.get("memo"))
        finally:
            self._loading = False

    def _load_attributes(self, attrs: dict) -> None:
        if self._attributes_firm == self.firm_id and self._collect_attributes()[0] == attrs:
            return  # it shows what is stored: rows still without a name stay
        self._attributes_firm = self.firm_id
        self.attributes_note.hide()
        self.attributes.setRowCount(0)
        for k, v in attrs.items():
            r = self.attributes.rowCount()
            self.attributes.insertRow(r)
            self.attributes.setItem(r, 0, QTableWidgetItem(k))
            value = QTableWidgetItem(str(v))
            value.setData(Qt.ItemDataRole.UserRole, v)
            self.attributes.setItem(r, 1, value)

    def _load_summary(self, firm: dict) -> None:
        from ..core.analysis import derive_summary

        summary = firm.get("summary") or {}
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

    def _set_object(self, key: str, mapping: dict) -> bool:
        return self.controller.set_field("firms", None, self.firm_id, key, mapping or None,
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
                self._reload()
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

    def _collect_attributes(self) -> tuple[dict, list[str]]:
        """The attributes the grid shows, and what in it cannot be stored."""
        attrs: dict = {}
        problems = []
        for r in range(self.attributes.rowCount()):
            k, v = self.attributes.item(r, 0), self.attributes.item(r, 1)
            name = k.text().strip() if k else ""
            text = v.text() if v else ""
            if not name:
                if text.strip():
                    problems.append(f"the value “{text.strip()}” is saved once its attribute has a name")
                continue
            if name in attrs:
                problems.append(f"two attributes are named “{name}”: only the last one is kept")
            original = v.data(Qt.ItemDataRole.UserRole) if v else None
            attrs[name] = original if original is not None and str(original) == text else text.replace("\t", " ")
        return attrs, problems

    def _attributes_changed(self, _item=None) -> None:
        if self._loading or not self.firm_id:
            return
        attrs, problems = self._collect_attributes()
        self.attributes_note.setText(("Not saved yet: " + "; ".join(problems) + ".") if problems else "")
        self.attributes_note.setVisible(bool(problems))
        stored = self.controller.session.get("firms", None, self.firm_id).get("attributes") or {}
        if attrs != stored or list(attrs) != list(stored):
            self._set_object("attributes", attrs)

    def _add_attribute(self) -> None:
        self._loading = True
        r = self.attributes.rowCount()
        self.attributes.insertRow(r)
        self.attributes.setItem(r, 0, QTableWidgetItem(""))
        self.attributes.setItem(r, 1, QTableWidgetItem(""))
        self._loading = False
        self.attributes.setCurrentCell(r, 0)
        self.attributes.editItem(self.attributes.item(r, 0))

    def _remove_attribute(self) -> None:
        r = self.attributes.currentRow()
        if r >= 0:
            self.attributes.removeRow(r)
            self._attributes_changed()
