"""The Search dock: a word, a phrase or a regular expression across the
study's documents, narrowed by firm, speaker or code, with the results as
keyword-in-context lines; and the coding query (the passages carrying a
code, and a stage). Activating a result opens its document at the
passage (``MainWindow.open_document_at``). Also the small dialogs that
show a passage and pick one of several places a quote was found."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QStyledItemDelegate,
                               QTabWidget, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from ..core.errors import InputError, WorkbenchError
from ..core.frameworks import vocabulary
from ..core.textpos import cp_to_utf16, describe, speakers

AT = Qt.ItemDataRole.UserRole
MODES = (("word", "Word"), ("phrase", "Phrase"), ("regex", "Regular expression"))


class _ElideLeft(QStyledItemDelegate):
    """The text before a match is cut at its start, so that the words next
    to the match stay in view."""

    def initStyleOption(self, option, index):
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideLeft


def _results_tree(headers: list[str]) -> QTreeWidget:
    tree = QTreeWidget()
    tree.setHeaderLabels(headers)
    tree.setRootIsDecorated(False)
    tree.setUniformRowHeights(True)
    tree.setAlternatingRowColors(True)
    tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    tree.setToolTip("Double-click (or Enter) to open the document at this place")
    return tree


class SearchPanel(QWidget):
    """See the module's note."""

    def __init__(self, window):
        super().__init__()
        self.window_ = window
        self.controller = None
        self.corpus = None
        self.hits: list = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.pages = QTabWidget()
        layout.addWidget(self.pages)
        self.pages.addTab(self._build_search(), "Search the documents")
        self.pages.addTab(self._build_query(), "Coding query")
        self.attach(None)

    # ------------------------------------------------------------------ building

    def _build_search(self) -> QWidget:
        page = QWidget()
        v = QVBoxLayout(page)
        v.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        self.text = QLineEdit()
        self.text.setPlaceholderText("A word, a phrase or a regular expression; Enter to search")
        self.text.setClearButtonEnabled(True)
        self.text.returnPressed.connect(self.search)
        self.text.textChanged.connect(self._check_pattern)
        self.mode = QComboBox()
        for key, label in MODES:
            self.mode.addItem(label, key)
        self.mode.setToolTip("Word: whole words only. Phrase: the words in this order, anywhere. "
                             "Regular expression: a pattern (Python's re).\nQuote marks, dashes and "
                             "spacing match whichever kind the document has.")
        self.mode.currentIndexChanged.connect(lambda _: self._check_pattern())
        self.case = QCheckBox("Match case")
        go = QPushButton("Search")
        go.clicked.connect(self.search)
        row.addWidget(self.text, 1)
        row.addWidget(self.mode)
        row.addWidget(self.case)
        row.addWidget(go)
        v.addLayout(row)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setTextFormat(Qt.TextFormat.RichText)
        self.problem.setStyleSheet(f"color: {vocabulary().colour('critical')}")
        self.problem.hide()
        v.addWidget(self.problem)
        narrow = QHBoxLayout()
        narrow.addWidget(QLabel("In"))
        self.firm = QComboBox()
        self.firm.setToolTip("The documents about the selected firm, or quoted by its events; or all of them")
        narrow.addWidget(self.firm)
        narrow.addWidget(QLabel("Speaker"))
        self.speaker = QComboBox()
        self.speaker.setToolTip("Only what this speaker says (their turns in transcripts)")
        self.speaker.setMinimumContentsLength(12)
        narrow.addWidget(self.speaker)
        narrow.addWidget(QLabel("Code"))
        self.code = QComboBox()
        self.code.setToolTip("Only inside passages and quotes carrying this code")
        self.code.setMinimumContentsLength(12)
        narrow.addWidget(self.code)
        narrow.addStretch()
        self.summary = QLabel()
        narrow.addWidget(self.summary)
        v.addLayout(narrow)
        self.results = _results_tree(["Before", "Found", "After", "Document", "Paragraph", "Speaker"])
        self.results.setItemDelegateForColumn(0, _ElideLeft(self.results))
        header = self.results.header()
        header.setStretchLastSection(False)
        for col, width in ((0, 300), (1, 140), (2, 300), (3, 200), (4, 70), (5, 140)):
            header.resizeSection(col, width)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.results.itemActivated.connect(self._open)
        v.addWidget(self.results, 1)
        return page

    def _build_query(self) -> QWidget:
        page = QWidget()
        v = QVBoxLayout(page)
        v.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        row.addWidget(QLabel("Passages carrying the code"))
        self.query_code = QComboBox()
        self.query_code.setMinimumContentsLength(16)
        row.addWidget(self.query_code)
        row.addWidget(QLabel("of events coded as"))
        self.query_stage = QComboBox()
        row.addWidget(self.query_stage)
        show = self.query_show = QPushButton("Show")
        show.clicked.connect(self.coding_query)
        row.addWidget(show)
        row.addStretch()
        self.query_summary = QLabel()
        row.addWidget(self.query_summary)
        v.addLayout(row)
        self.query_results = _results_tree(["Passage", "Document", "Paragraph", "Speaker", "Event"])
        header = self.query_results.header()
        header.setStretchLastSection(False)
        for col, width in ((0, 520), (1, 200), (2, 70), (3, 140), (4, 220)):
            header.resizeSection(col, width)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.query_results.itemActivated.connect(self._open)
        v.addWidget(self.query_results, 1)
        return page

    # ------------------------------------------------------------------ the study

    def attach(self, controller) -> None:
        from ..core.anchor import Corpus

        if self.controller is not None:
            try:
                self.controller.changed.disconnect(self._changed)
            except (RuntimeError, TypeError):
                pass
        self.controller = controller
        self.corpus = Corpus()  # each document folded once, again when its text changes
        self.results.clear()
        self.query_results.clear()
        self.summary.clear()
        self.query_summary.clear()
        if controller is not None:
            controller.changed.connect(self._changed)
        self.refresh_choices()
        self.setEnabled(controller is not None)

    def _changed(self, _firm: str, table: str) -> None:
        if table in ("codes", "documents", "firms"):
            self._stale = True
            if self.isVisible():
                QTimer.singleShot(0, self, self.refresh_choices)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if getattr(self, "_stale", True):
            self.refresh_choices()

    @staticmethod
    def _refill(combo: QComboBox, items: list[tuple[str, object]]) -> None:
        keep = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        for label, data in items:
            combo.addItem(label, data)
        at = combo.findData(keep)
        combo.setCurrentIndex(at if at >= 0 else 0)
        combo.blockSignals(False)

    def refresh_firm(self) -> None:
        """"documents of" the firm selected in the window."""
        session = self.controller.session if self.controller else None
        firm_id = getattr(self.window_, "firm_id", None)
        firm_name = next((f["name"] for f in session.firms() if f["id"] == firm_id), None) if session else None
        self._refill(self.firm, [("all documents", None)]
                     + ([(f"documents of {firm_name}", "\x00firm")] if firm_name else []))

    def refresh_choices(self) -> None:
        """Firm, speakers and codes to narrow by, as the study has them now."""
        self._stale = False
        refill = self._refill
        session = self.controller.session if self.controller else None
        self.refresh_firm()
        names: list[str] = []
        for d in session.documents() if session else []:
            names += [n for n in speakers(d["text"]).names() if n not in names]
        refill(self.speaker, [("anyone", None)] + [(n, n) for n in names])
        from .codes_panel import code_tree

        codes = code_tree(session.objects("codes", None)) if session else []
        refill(self.code, [("any or none", None)] + [("  " * d + c["name"], c["id"]) for c, d in codes])
        refill(self.query_code, [("  " * d + c["name"], c["id"]) for c, d in codes])
        stages = [(s.label, s.id) for s in session.framework.stages] if session else []
        refill(self.query_stage, [("any stage", None)] + stages)

    def _doc_names(self) -> dict[str, tuple[str, str]]:
        return {d["id"]: (d["name"], d["text"]) for d in self.controller.session.documents()}

    # ------------------------------------------------------------------ search

    def _show_problem(self, exc: WorkbenchError | None) -> None:
        if exc is None:
            self.problem.clear()
            self.problem.hide()
            return
        where = "".join(f"<br><code style='white-space: pre'>{html.escape(str(p))}</code>" for p in exc.problems)
        self.problem.setText(html.escape(exc.message) + where)
        self.problem.show()

    def _check_pattern(self) -> None:
        """As a regular expression is typed, what is wrong with it (and where)."""
        from ..core.search import compile_regex

        if self.mode.currentData() != "regex" or not self.text.text().strip():
            self._show_problem(None)
            return
        try:
            compile_regex(self.text.text(), self.case.isChecked())
        except InputError as exc:
            self._show_problem(exc)
            return
        self._show_problem(None)

    def search(self) -> list:
        """Run the search as the fields say; the hits are listed and returned."""
        self.results.clear()
        self.hits = []
        if self.controller is None:
            return []
        query = self.text.text()
        firm = self.window_.firm_id if self.firm.currentData() == "\x00firm" else None
        try:
            hits = self.controller.session.search_documents(
                query, mode=self.mode.currentData(), case=self.case.isChecked(), firm=firm,
                speaker=self.speaker.currentData(), code=self.code.currentData(), corpus=self.corpus)
        except WorkbenchError as exc:
            self._show_problem(exc)
            self.summary.setText("")
            return []
        self._show_problem(None)
        names = self._doc_names()
        for h in hits:
            item = QTreeWidgetItem([h.left, h.match, h.right, names.get(h.document_id, (h.document_id,))[0],
                                    str(h.paragraph), h.speaker or ""])
            item.setTextAlignment(0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            bold = item.font(1)
            bold.setBold(True)
            item.setFont(1, bold)
            item.setData(0, AT, (h.document_id, h.start, h.end))
            item.setToolTip(0, h.kwic())
            item.setToolTip(2, h.kwic())
            item.setToolTip(3, item.text(3))
            self.results.addTopLevelItem(item)
        docs = len({h.document_id for h in hits})
        more = " (the first 2,000)" if len(hits) >= 2000 else ""
        self.summary.setText("Nothing found" if not hits else
                             f"{len(hits)} place{'s' if len(hits) != 1 else ''} in {docs} "
                             f"document{'s' if docs != 1 else ''}{more}")
        self.hits = hits
        if hits:
            self.results.setCurrentItem(self.results.topLevelItem(0))
        return hits

    # ------------------------------------------------------------------ coding query

    def coding_query(self) -> list:
        """The passages and quotes carrying the chosen code (and stage)."""
        self.query_results.clear()
        if self.controller is None or self.query_code.currentData() is None:
            self.query_summary.setText("Make a code first (the Codes panel)" if self.controller else "")
            return []
        session = self.controller.session
        try:
            found = session.coded(self.query_code.currentData(), self.query_stage.currentData())
        except WorkbenchError as exc:
            self.query_summary.setText(exc.message)
            return []
        names = self._doc_names()
        titles: dict[tuple[str, str], str] = {}
        for firm in {c.firm for c in found if c.firm}:
            ids = [c.event for c in found if c.firm == firm]
            for event_id, ev in session.events_by_id(firm, ids).items():
                titles[(firm, event_id)] = ev["title"]
        for c in found:
            name, text = names.get(c.document, (None, None)) if c.document else (None, None)
            if text is not None and c.start is not None:
                where = describe(None, text, c.start, c.end)
            else:
                where = "not anchored"
            event = titles.get((c.firm, c.event), "") if c.event else "(a coded passage, no event yet)"
            item = QTreeWidgetItem([" ".join(c.text.split()), name or "", where.removeprefix("paragraph "),
                                    c.speaker or "", event])
            item.setData(0, AT, (c.document, c.start, c.end) if c.document else ("\x00event", c.firm, c.event))
            item.setToolTip(0, c.text)
            self.query_results.addTopLevelItem(item)
        self.found = found
        n = len(found)
        self.query_summary.setText(f"{n} passage{'s' if n != 1 else ''}" if n else "Nothing carries it yet")
        return found

    def show_code(self, code_id: str) -> None:
        """The coding query for one code (from the Codes panel)."""
        self.pages.setCurrentIndex(1)
        at = self.query_code.findData(code_id)
        if at >= 0:
            self.query_code.setCurrentIndex(at)
        self.query_stage.setCurrentIndex(0)  # any stage
        self.coding_query()

    # ------------------------------------------------------------------ opening

    def _open(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        where = item.data(0, AT)
        if not where:
            return
        if where[0] == "\x00event":
            _, firm, event = where
            self.window_.select_firm(firm)
            self.window_.tabs.setCurrentWidget(self.window_.events_tab)
            self.window_.events_tab.select(event)
            return
        self.window_.open_document_at(*where)


class PassageDialog(QDialog):
    """A document's text, read-only, with a passage selected and in view
    (where the window has no Documents tab)."""

    def __init__(self, parent, name: str, text: str, start: int, end: int, where: str):
        super().__init__(parent)
        self.setWindowTitle(name)
        layout = QVBoxLayout(self)
        label = QLabel(f"<b>{html.escape(where)}</b>")
        label.setWordWrap(True)
        layout.addWidget(label)
        self.view = QPlainTextEdit()
        self.view.setReadOnly(True)
        self.view.setPlainText(text)
        layout.addWidget(self.view)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(720, 520)
        self.select(text, start, end)

    def select(self, text: str, start: int, end: int) -> None:
        cursor = self.view.textCursor()
        cursor.setPosition(cp_to_utf16(text, start))
        cursor.setPosition(cp_to_utf16(text, end), QTextCursor.MoveMode.KeepAnchor)
        self.view.setTextCursor(cursor)
        self.view.centerCursor()

    def selected(self) -> str:
        c = self.view.textCursor()
        return self.view.toPlainText()[c.selectionStart():c.selectionEnd()]


class MatchPicker(QDialog):
    """Where a quote was found, when it was found in several places: pick one."""

    def __init__(self, parent, quote: str, rows: list[tuple[str, str, str]]):
        super().__init__(parent)
        self.setWindowTitle("Found in several places")
        layout = QVBoxLayout(self)
        label = QLabel(f"“{html.escape(quote[:200])}” is in {len(rows)} places. Anchor it to:")
        label.setWordWrap(True)
        layout.addWidget(label)
        self.list = _results_tree(["Document", "Paragraph", "In context"])
        self.list.setToolTip("")
        for doc, para, context in rows:
            self.list.addTopLevelItem(QTreeWidgetItem([doc, para, context]))
        self.list.header().resizeSection(0, 220)
        self.list.header().resizeSection(1, 80)
        self.list.setCurrentItem(self.list.topLevelItem(0))
        self.list.itemActivated.connect(lambda *_: self.accept())
        layout.addWidget(self.list)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Anchor it here")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(760, 320)

    def chosen(self) -> int:
        item = self.list.currentItem()
        return self.list.indexOfTopLevelItem(item) if item is not None else -1
