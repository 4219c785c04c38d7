"""The Documents tab: a firm's documents (or the whole study's), the text
with its coded passages highlighted, a margin saying which events and codes
the passages on screen carry, and coding from the text: a selection becomes
a new event, evidence for an event, a coded passage, a memo; keys 1-9 and
the learning-type letters code the event the selection is evidence of.

Also what the main window asks of it: File > Add documents... and files
dropped on the window (``add_documents_dialog``, ``dropped_paths``,
``add_documents``).

Positions: Qt counts in UTF-16 units, the format in code points; every
offset read from or given to the text view goes through
``core.textpos.offsets`` (an emoji is two Qt positions, one code point).
Quotes are taken from the stored text, ``text[start:end]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtWidgets
from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (QCheckBox, QFrame, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem,
                               QPlainTextEdit, QPushButton, QSplitter, QTextBrowser, QTextEdit, QToolButton,
                               QVBoxLayout, QWidget)

from ..core import edits as E
from ..core.errors import InputError, WorkbenchError
from ..core.frameworks import vocabulary
from ..core.textpos import lines, locate, offsets, speaker_at
from .controller import StudyController
from .tabs import TYPE_KEYS, LazyTab

if TYPE_CHECKING:
    from .mainwindow import MainWindow

SUFFIXES = (".txt", ".md", ".docx", ".odt", ".rtf", ".pdf", ".vtt", ".srt")
FILE_FILTER = ("Documents (" + " ".join(f"*{s}" for s in SUFFIXES) + ");;All files (*)")
MAX_EVENTS_LISTED = 200


def _colours() -> tuple[dict[str | None, QColor], QColor, QColor]:
    """The highlights, from the vocabulary's palette: a quote of an event in
    the tint of the event's primary learning type (pale yellow while it has
    none); a coded passage that is evidence of no event in grey, underlined."""
    voc = vocabulary()
    quotes: dict[str | None, QColor] = {t: QColor(c) for t, c in voc.term_values("learning_types", "tint").items()}
    for c in quotes.values():
        c.setAlpha(150)  # the text stays easy to read, and a selection shows on it
    quotes[None] = QColor(voc.colour("uncoded_row"))
    return quotes, QColor(voc.colour("uncoded_fill")), QColor(voc.colour("uncoded_line"))


# --------------------------------------------------------------------------- bringing documents in


def dropped_paths(mime) -> list[str]:
    """The local files among what is dragged onto the window that look like documents."""
    if mime is None or not mime.hasUrls():
        return []
    paths = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
    return [p for p in paths if Path(p).suffix.lower() in SUFFIXES]


def add_documents_dialog(window: "MainWindow") -> None:
    if window.controller is None:
        return
    paths, _ = QtWidgets.QFileDialog.getOpenFileNames(window, "Add documents to the study", "", FILE_FILTER)
    if paths:
        add_documents(window, paths)


def add_documents(window: "MainWindow", paths: list[str]):
    """Read files into the study as documents of the selected firm, all or
    none, one step of Edit > Undo; then show the first of them. A file that
    cannot be read gets a dialog naming it and what to do; nothing is added."""
    from .. import documents

    if window.controller is None or not paths:
        return None
    QtWidgets.QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        results = window.controller.call(lambda s: documents.add(s, paths, firm=window.firm_id))
    except WorkbenchError as exc:
        QtWidgets.QApplication.restoreOverrideCursor()
        n = len(paths)
        window.error("\n".join(exc.lines()[:12]) + f"\n\nNothing was added (of the {n} file{'s' if n != 1 else ''} "
                     f"given). Fix or leave out that file, then add the documents again.",
                     "No documents were added")
        return None
    QtWidgets.QApplication.restoreOverrideCursor()
    window.statusBar().showMessage(added_summary(results), 15000)
    tab = window.documents_tab
    if tab is not None and results:
        if window.firm_id is None:
            tab.all_docs.setChecked(True)  # documents of no firm: listed with the study's
        window.tabs.setCurrentWidget(tab)
        tab.show_document(results[0].doc_id)
    return results


def added_summary(results) -> str:
    """One line for the status bar: what became of each file."""
    parts = []
    for r in results:
        if r.status == "added":
            text = f"added {r.name} ({r.characters:,} characters"
            if r.turns:
                text += f", {r.turns} speaker turns"
            if r.detected and r.encoding:
                text += f", encoding guessed: {r.encoding}: check accented letters and quotation marks"
            text += ")"
        elif r.status == "unchanged":
            text = f"{r.name} is unchanged"
        else:
            text = f"read {r.name} again: {r.kept} anchor{'s' if r.kept != 1 else ''} kept"
            if r.dropped:
                text += f", {len(r.dropped)} dropped (their quotes stay with their events, unanchored)"
        notes = [w for w in r.warnings if not (r.detected and "(a guess)" in w)]  # said above
        if notes:
            text += f" (note: {notes[0]}" + (f", and {len(notes) - 1} more" if len(notes) > 1 else "") + ")"
        parts.append(text)
    line = "; ".join(parts)
    return line[:1].upper() + line[1:] + (" (Edit > Undo takes it back)" if results else "")


# --------------------------------------------------------------------------- what the text carries


@dataclass
class Span:
    """A stretch of the shown document that is coded: a quote of an event
    (``event`` set) or a coded passage (``passage`` set). Code points."""

    start: int
    end: int
    firm: str | None = None
    event: str | None = None
    index: int | None = None
    passage: str | None = None
    speaker: str | None = None
    codes: list = field(default_factory=list)
    memo: str | None = None

    @property
    def is_evidence(self) -> bool:
        return self.event is not None


class DocText(QPlainTextEdit):
    """The document's text: read-only, selectable with mouse and keys. The
    coding keys (1-9, the learning-type letters) are passed to the tab."""

    codeKey = Signal(str)
    menuAsked = Signal(QPoint)
    resized = Signal()

    def __init__(self, keys: set[str]):
        super().__init__()
        self.keys = keys
        self.setReadOnly(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self.menuAsked)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.setFont(font)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.resized.emit()

    def keyPressEvent(self, event) -> None:
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        text = event.text().upper()
        if mods == Qt.KeyboardModifier.NoModifier and text in self.keys:
            self.codeKey.emit(text)
            event.accept()
            return
        super().keyPressEvent(event)


class Prompt(QFrame):
    """The line above the text where a coding step is finished: a title to
    type, an event or a code to pick (type to narrow the list), a memo.
    Enter accepts, Escape cancels."""

    accepted = Signal(str, object)   # the text typed, the item picked (its data) or None
    textEdited = Signal(str)

    def __init__(self):
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(f"Prompt {{ background: {vocabulary().colour('uncoded_row')}; }}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        row = QHBoxLayout()
        self.label = QLabel()
        self.edit = QLineEdit()
        self.edit.installEventFilter(self)
        ok = QPushButton("OK")
        ok.clicked.connect(self.accept)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.cancel)
        self.label.setWordWrap(True)
        self.edit.setMinimumWidth(240)
        row.addWidget(self.edit, 1)
        row.addWidget(ok)
        row.addWidget(cancel)
        layout.addWidget(self.label)
        layout.addLayout(row)
        self.list = QListWidget()
        self.list.setMaximumHeight(150)
        self.list.itemDoubleClicked.connect(lambda _: self.accept())
        layout.addWidget(self.list)
        self.mode: str | None = None
        self.edit.returnPressed.connect(self.accept)
        self.edit.textEdited.connect(self.textEdited)
        self.hide()

    def ask(self, mode: str, label: str, text: str = "", placeholder: str = "", listed: bool = False) -> None:
        self.mode = mode
        self.label.setText(label)
        self.edit.setText(text)
        self.edit.setPlaceholderText(placeholder)
        self.list.clear()
        self.list.setVisible(listed)
        self.show()
        self.edit.setFocus()
        self.edit.selectAll()

    def fill(self, items: list[tuple[str, object]]) -> None:
        self.list.clear()
        for text, data in items:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, data)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    def accept(self) -> None:
        if not self.isVisible():
            return
        item = self.list.currentItem() if self.list.isVisible() else None
        if self.list.isVisible() and item is None:
            return
        text = self.edit.text()
        self.hide()
        self.accepted.emit(text, item.data(Qt.ItemDataRole.UserRole) if item is not None else None)

    def cancel(self) -> None:
        self.mode = None
        self.hide()

    def eventFilter(self, obj, event) -> bool:
        from PySide6.QtCore import QEvent

        if obj is self.edit and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key == Qt.Key.Key_Escape:
                self.cancel()
                return True
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.list.isVisible() and self.list.count():
                row = self.list.currentRow() + (1 if key == Qt.Key.Key_Down else -1)
                self.list.setCurrentRow(max(0, min(row, self.list.count() - 1)))
                return True
        return False


# --------------------------------------------------------------------------- the tab


class DocumentsTab(LazyTab):
    """Documents of the selected firm (or of the study), read and coded."""

    ALL_HIGHLIGHTS = 300  # up to this many passages in a document, all are highlighted at once

    def __init__(self, controller: StudyController):
        super().__init__()
        self._init_lazy()
        self.controller = controller
        session = controller.session
        self.stages = [s for s in session.framework.stages[:9]]
        self.stage_keys = {str(n): s for n, s in enumerate(self.stages, start=1)}
        self.doc_id: str | None = None
        self.doc: dict | None = None
        self.text = ""
        self.spans: list[Span] = []
        self.events: dict[tuple[str, str], dict] = {}
        self.codes: dict[str, dict] = {}
        self._pending: tuple | None = None   # (doc id, start, end, Span or None) the prompt acts on
        self._recent: list[tuple[str, str]] = []  # (firm, event) edited here or elsewhere, newest first
        self._last_step: tuple | None = None

        # the documents and the passages not yet evidence, on the left
        self.all_docs = QCheckBox("All documents of the study")
        self.all_docs.setToolTip("Off: the documents about the selected firm or quoted by its events")
        self.all_docs.toggled.connect(lambda _: self.reload())
        self.doc_list = QListWidget()
        self.doc_list.setWordWrap(True)
        self.doc_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.doc_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.doc_list.currentItemChanged.connect(self._doc_chosen)
        add = QPushButton("Add…")
        add.setToolTip("Add documents to the study (File > Add documents…; or drop files on the window)")
        add.clicked.connect(lambda: add_documents_dialog(self.window()))
        self.remove_button = QPushButton("Remove…")
        self.remove_button.setToolTip("Remove the document; quotes taken from it keep their text")
        self.remove_button.clicked.connect(self.remove_document_dialog)
        QShortcut(QKeySequence.StandardKey.Delete, self.doc_list, self.remove_document_dialog,
                  context=Qt.ShortcutContext.WidgetShortcut)
        doc_buttons = QHBoxLayout()
        doc_buttons.addWidget(add)
        doc_buttons.addWidget(self.remove_button)
        doc_buttons.addStretch()
        self.unlinked_label = QLabel("<b>Passages not yet evidence</b>")
        self.unlinked = QListWidget()
        self.unlinked.setAlternatingRowColors(True)
        self.unlinked.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.unlinked.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.unlinked.setToolTip("Coded passages that no event quotes yet; double-click to see one in its text")
        self.unlinked.itemDoubleClicked.connect(self._goto_unlinked)
        self.unlinked.itemActivated.connect(self._goto_unlinked)
        make_event = QPushButton("New event…")
        make_event.setToolTip("Make the passage the first evidence of a new event")
        make_event.clicked.connect(lambda: self._from_unlinked("title"))
        make_evidence = QPushButton("Evidence for…")
        make_evidence.setToolTip("Make the passage evidence for an event of the firm")
        make_evidence.clicked.connect(lambda: self._from_unlinked("event"))
        un_buttons = QHBoxLayout()
        un_buttons.addWidget(make_event)
        un_buttons.addWidget(make_evidence)
        un_buttons.addStretch()
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.all_docs)
        ll.addWidget(self.doc_list, 3)
        ll.addLayout(doc_buttons)
        ll.addWidget(self.unlinked_label)
        ll.addWidget(self.unlinked, 2)
        ll.addLayout(un_buttons)

        # the text, with the coding bar and the prompt above it
        keys = set(self.stage_keys) | set(TYPE_KEYS)
        self.view = DocText(keys)
        self.view.codeKey.connect(self.code_key)
        self.view.menuAsked.connect(self._context_menu)
        self.heading = QLabel("Choose a document")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        bar = QHBoxLayout()
        bar.setSpacing(2)
        self.actions: dict[str, QToolButton] = {}
        for key, text, tip, slot in (
                ("event", "New event from selection", "The selected passage becomes the first evidence "
                 "of a new event (Ctrl+Shift+E)", self.ask_new_event),
                ("evidence", "Add as evidence to…", "Add the selected passage to an event's evidence "
                 "(Ctrl+Shift+A)", self.ask_evidence),
                ("code", "Apply code…", "Put one of the study's codes on the passage, or take it off",
                 self.ask_code),
                ("newcode", "New code…", "Make a new code and put it on the passage", self.ask_new_code),
                ("memo", "Memo…", "A note on the passage", self.ask_memo)):
            b = QToolButton()
            b.setText(text)
            b.setToolTip(tip)
            b.clicked.connect(lambda _=False, s=slot: s())
            bar.addWidget(b)
            self.actions[key] = b
        bar.addStretch()
        self.quote_colours, self.passage_colour, self.passage_line = _colours()
        voc = vocabulary()
        swatches = "".join(f'<span style="background:{self.quote_colours[t].name()}">&nbsp;{voc.label("learning_types", t)}'
                           f'&nbsp;</span> ' for t in TYPE_KEYS.values())
        legend = QLabel(f'Quotes: {swatches}<span style="background:{self.quote_colours[None].name()}">&nbsp;uncoded'
                        f'&nbsp;</span> &nbsp; <span style="background:{self.passage_colour.name()}; text-decoration: '
                        f'underline">&nbsp;coded, not yet evidence&nbsp;</span>')
        legend.setToolTip("A quote of an event is coloured by the event's primary learning type")
        legend.setWordWrap(True)
        QShortcut(QKeySequence("Ctrl+Shift+E"), self.view, self.ask_new_event,
                  context=Qt.ShortcutContext.WidgetShortcut)
        QShortcut(QKeySequence("Ctrl+Shift+A"), self.view, self.ask_evidence,
                  context=Qt.ShortcutContext.WidgetShortcut)
        self.prompt = Prompt()
        self.prompt.accepted.connect(self._prompt_accepted)
        self.prompt.textEdited.connect(self._prompt_filter)
        middle = QWidget()
        ml = QVBoxLayout(middle)
        ml.setContentsMargins(0, 0, 0, 0)
        ml.addWidget(self.heading)
        ml.addLayout(bar)
        ml.addWidget(self.prompt)
        ml.addWidget(self.view, 1)
        keys_help = "  ".join(f"{n} {s.label}" for n, s in self.stage_keys.items())
        types = "  ".join(f"{k} {vocabulary().label('learning_types', t)}" for k, t in TYPE_KEYS.items())
        hint = QLabel(f"Keys on a quote code its event: {keys_help}   ·   {types}")
        hint.setWordWrap(True)
        ml.addWidget(legend)
        ml.addWidget(hint)

        # the margin: what the passages on screen carry
        self.margin = QTextBrowser()
        self.margin.setOpenLinks(False)
        self.margin.setMinimumWidth(220)
        self.margin.setToolTip("The coded passages on screen, those at the cursor first: their events and "
                               "codes. Click ¶ to select one in the text.")
        self.margin.anchorClicked.connect(self._margin_clicked)
        self.margin_items: list[str] = []   # what the margin shows, one text per passage
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(QLabel("<b>In the margin</b>"))
        rl.addWidget(self.margin)

        split = QSplitter()
        split.addWidget(left)
        split.addWidget(middle)
        split.addWidget(right)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 6)
        split.setStretchFactor(2, 3)
        split.setSizes([190, 610, 340])
        self.splitter = split
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)

        self._margin_timer = QTimer(self)
        self._margin_timer.setSingleShot(True)
        self._margin_timer.setInterval(40)
        self._margin_timer.timeout.connect(self.highlight_visible)
        self._margin_timer.timeout.connect(self.update_margin)
        self._shown_range: tuple[int, int] | None = None
        self.view.verticalScrollBar().valueChanged.connect(lambda _: self.highlight_visible())
        self.view.resized.connect(self.highlight_visible)
        self.view.verticalScrollBar().valueChanged.connect(lambda _: self._margin_timer.start())
        self.view.cursorPositionChanged.connect(self._margin_timer.start)
        self.view.selectionChanged.connect(self._update_actions)
        controller.changed.connect(self._changed)
        self._update_actions()

    # ------------------------------------------------------------------ loading

    def refresh(self) -> None:
        self.reload()

    def reload(self) -> None:
        """The document list (and the shown document, read again)."""
        session = self.controller.session
        firm = None if self.all_docs.isChecked() else self.firm_id
        docs = session.document_list(firm) if (firm or self.all_docs.isChecked()) else []
        keep = self.doc_id
        self.doc_list.blockSignals(True)
        self.doc_list.clear()
        for d in docs:
            counts = []
            if d["quotes"]:
                counts.append(f"{d['quotes']} quote{'s' if d['quotes'] != 1 else ''}")
            if d["passages"]:
                counts.append(f"{d['passages']} coded")
            item = QListWidgetItem(d["name"] + (f"\n    {', '.join(counts)}" if counts else ""))
            item.setData(Qt.ItemDataRole.UserRole, d["id"])
            item.setToolTip(f"{d['name']}\n{d['characters']:,} characters"
                            + (f", {d['kind']}" if d.get("kind") else "") + (f", {d['date']}" if d.get("date") else ""))
            self.doc_list.addItem(item)
        self.doc_list.blockSignals(False)
        ids = [d["id"] for d in docs]
        if not docs:
            hint = ("No documents about this firm yet: File > Add documents…, or drop files on the window."
                    if firm else "No documents in this study yet: File > Add documents…, or drop files on the window.")
            if not firm and not self.all_docs.isChecked():
                hint = "Select a firm, or tick “All documents of the study”."
            self.doc_list.addItem(QListWidgetItem("(none)"))
            self.doc_list.item(0).setFlags(Qt.ItemFlag.NoItemFlags)
            self.show_document(None, hint=hint)
        else:
            target = keep if keep in ids else ids[0]
            self.doc_list.blockSignals(True)
            self.doc_list.setCurrentRow(ids.index(target))
            self.doc_list.blockSignals(False)
            self.show_document(target)
        self.remove_button.setEnabled(bool(docs))
        self.load_unlinked(ids)

    def _doc_chosen(self, item, _previous) -> None:
        if item is not None and item.data(Qt.ItemDataRole.UserRole):
            self.show_document(item.data(Qt.ItemDataRole.UserRole))

    def show_document(self, doc_id: str | None, select: tuple[int, int] | None = None, hint: str = "") -> None:
        """Show a document with its coded passages (``select``: code points
        to select). The text is set only when it is a new one; highlights
        are built again."""
        session = self.controller.session
        if doc_id is None:
            self.doc_id, self.doc, self.text, self.spans = None, None, "", []
            self._shown_range = None
            self.view.setPlainText("")
            self.view.setExtraSelections([])
            self.heading.setText(hint or "Choose a document")
            self.margin.clear()
            self.margin_items = []
            self._update_actions()
            return
        try:
            doc = session.document(doc_id)
        except WorkbenchError:
            self.show_document(None)
            return
        if doc_id != self.doc_id or doc["text"] != self.text:
            self.view.setPlainText(doc["text"])
        self.doc_id, self.doc, self.text = doc_id, doc, doc["text"]
        self._select_in_list(doc_id)
        about = f", about {self._firm_name(doc['firm'])}" if doc.get("firm") else ""
        self.heading.setText(f"<b>{_esc(doc['name'])}</b>{_esc(about)}"
                             + (f" · {_esc(doc['kind'])}" if doc.get("kind") else "")
                             + (f" · {_esc(doc['date'])}" if doc.get("date") else ""))
        self.load_spans()
        if select is not None:
            self.select(*select)
        self.update_margin()
        self._margin_timer.start()  # again once the text is laid out (a new text is laid out as it is shown)
        self._update_actions()

    def _select_in_list(self, doc_id: str) -> None:
        for i in range(self.doc_list.count()):
            if self.doc_list.item(i).data(Qt.ItemDataRole.UserRole) == doc_id:
                if self.doc_list.currentRow() != i:
                    self.doc_list.blockSignals(True)
                    self.doc_list.setCurrentRow(i)
                    self.doc_list.blockSignals(False)
                return

    def _firm_name(self, firm_id: str | None) -> str:
        names = {f["id"]: f["name"] for f in self.controller.session.firms()}
        return names.get(firm_id, firm_id or "")

    def load_spans(self) -> None:
        """Read the shown document's quotes and coded passages and highlight them."""
        session = self.controller.session
        doc_id = self.doc_id
        spans = [Span(it["start"], it["end"], firm=it["firm"], event=it["event"], index=it["index"],
                      speaker=it.get("speaker"), codes=list(it.get("codes") or ()), memo=it.get("memo"))
                 for it in session.document_evidence(doc_id) if it.get("start") is not None]
        spans += [Span(p["start"], p["end"], passage=p["id"], speaker=p.get("speaker"),
                       codes=list(p.get("codes") or ()), memo=p.get("memo"))
                  for p in (self.doc or {}).get("passages") or ()]
        spans.sort(key=lambda s: (s.start, s.end))
        self.spans = spans
        by_firm: dict[str, list[str]] = {}
        for s in spans:
            if s.event:
                by_firm.setdefault(s.firm, []).append(s.event)
        self.events = {}
        for firm, ids in by_firm.items():
            for ev_id, ev in session.events_by_id(firm, sorted(set(ids))).items():
                self.events[(firm, ev_id)] = ev
        self.codes = {c["id"]: c for c in session.objects("codes", None)}
        self.highlight()

    def highlight(self) -> None:
        """Highlight the coded passages (all of them again: after a load or an edit)."""
        self._shown_range = None
        self.highlight_visible()

    def highlight_visible(self) -> None:
        """Highlight the passages on screen and a screen's height either side.
        Qt lays out every line an extra selection touches when it is set, so
        the 2,000 passages of a long transcript are never all set at once:
        only those near what is shown, again when a scroll leaves that stretch."""
        if not self.text:
            return
        if len(self.spans) <= self.ALL_HIGHLIGHTS:
            a, b = 0, len(self.text)
        else:
            a, b = self.visible_range()
            if self._shown_range is not None and self._shown_range[0] <= a and b <= self._shown_range[1]:
                return
            reach = max(b - a, 2000)
            a, b = max(0, a - reach), min(len(self.text), b + reach)
        self._shown_range = (a, b)
        off = offsets(self.text)
        doc = self.view.document()
        formats: dict[tuple, QTextCharFormat] = {}
        selections = []
        # Inside an edit block a cursor does not lay out its line to find its x position on
        # each move. Nothing is edited.
        block = QTextCursor(doc)
        block.beginEditBlock()
        for s in self.spans:
            if s.start >= b or s.end <= a:
                continue
            colour = None
            for c in s.codes:
                colour = (self.codes.get(c) or {}).get("colour")
                if colour:
                    break
            key = (self._kind(s), colour)
            fmt = formats.get(key)
            if fmt is None:
                fmt = QTextCharFormat()
                fmt.setBackground(self._background(s))
                if colour or not s.is_evidence:
                    fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.SingleUnderline if colour
                                          else QTextCharFormat.UnderlineStyle.DotLine)
                    fmt.setUnderlineColor(QColor(colour) if colour else self.passage_line)
                formats[key] = fmt
            cursor = QTextCursor(doc)
            cursor.setPosition(off.to_u16(min(s.start, off.length)))
            cursor.setPosition(off.to_u16(min(s.end, off.length)), QTextCursor.MoveMode.KeepAnchor)
            sel = QTextEdit.ExtraSelection()
            sel.cursor = cursor
            sel.format = fmt
            selections.append(sel)
        block.endEditBlock()
        self.view.setExtraSelections(selections)

    def _kind(self, s: Span) -> str | None:
        """The primary learning type of a quote's event ("" for a passage)."""
        if not s.is_evidence:
            return ""
        types = (self.events.get((s.firm, s.event)) or {}).get("learning_types") or ()
        return types[0] if types and types[0] in self.quote_colours else None

    def _background(self, s: Span) -> QColor:
        kind = self._kind(s)
        return self.passage_colour if kind == "" else self.quote_colours[kind]

    def load_unlinked(self, doc_ids: list[str] | None = None) -> None:
        """The coded passages of the listed documents that are evidence of no event."""
        session = self.controller.session
        if doc_ids is None:
            doc_ids = [self.doc_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.doc_list.count())]
        self.unlinked.clear()
        codes = {c["id"]: c["name"] for c in session.objects("codes", None)}
        n = 0
        for doc_id in [d for d in doc_ids if d]:
            passages = session.objects("passages", doc_id)
            if not passages:
                continue
            doc = self.doc if self.doc_id == doc_id and self.doc else session.document(doc_id)
            where = lines(doc["text"])
            for p in passages:
                quote = _short(doc["text"][p["start"]:p["end"]], 200)
                para = where.locate(p["start"]).paragraph
                line = f"¶{para}" + (f" · {p['speaker']}" if p.get("speaker") else "") + f" · {doc['name']}"
                text = f"{line}\n“{quote}”"
                if p.get("codes"):
                    text += "\nCodes: " + ", ".join(codes.get(c, c) for c in p["codes"])
                item = QListWidgetItem(text)
                item.setToolTip(text + (f"\nMemo: {p['memo']}" if p.get("memo") else ""))
                item.setData(Qt.ItemDataRole.UserRole, (doc_id, p["id"], p["start"], p["end"]))
                self.unlinked.addItem(item)
                n += 1
        self.unlinked_label.setText(f"<b>Passages not yet evidence</b> ({n})")
        if not n:
            item = QListWidgetItem("(none yet)")
            item.setToolTip("A passage coded in the text (Apply code…, Memo…) that no event quotes shows here")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.unlinked.addItem(item)

    def _changed(self, firm_id: str, table: str) -> None:
        """After an edit, undo or redo: the tab read again, once per step
        (the controller names each table the step touched, one signal each)."""
        stack, last = self.controller.undo_stack, self.controller.session.last_edit
        step = (stack.index(), stack.count(), id(last))
        if step == self._last_step:
            return
        self._last_step = step
        for e in E.primitives(last) if last is not None else ():
            ident = getattr(e, "id", None) or (getattr(e, "obj", None) or {}).get("id")
            if getattr(e, "table", None) == "events" and ident:
                key = (e.firm, ident)
                self._recent = [key] + [k for k in self._recent if k != key][:199]
        if not self.isVisible():
            self._stale = True
            return
        self.reload()

    # ------------------------------------------------------------------ the margin

    def visible_range(self) -> tuple[int, int]:
        """The code points shown in the view."""
        vp = self.view.viewport()
        a = self.view.cursorForPosition(QPoint(0, 0)).position()
        b = self.view.cursorForPosition(QPoint(vp.width(), vp.height())).position()
        off = offsets(self.text)
        a, b = min(a, off.u16_length), min(b, off.u16_length)
        return off.to_cp(a, inside="before"), off.to_cp(b, inside="after")

    def describe_span(self, s: Span) -> str:
        para = locate(self.text, s.start).paragraph
        head = f"¶{para}" + (f" · {s.speaker}" if s.speaker else "")
        lines = [head, f"“{_short(self.text[s.start:s.end], 80)}”"]
        if s.is_evidence:
            ev = self.events.get((s.firm, s.event)) or {"title": s.event}
            coding = [self._stage_label(st) for st in ev.get("stages") or ()][:2]
            coding += [vocabulary().label("learning_types", t) for t in (ev.get("learning_types") or ())[:1]]
            firm = f" ({self._firm_name(s.firm)})" if s.firm != self.firm_id else ""
            lines.append(f"Event: {ev['title']}{firm}" + (f" — {', '.join(coding)}" if coding else " — not yet coded"))
            if ev.get("codes"):
                lines.append("Event codes: " + ", ".join(self._code_name(c) for c in ev["codes"]))
        else:
            lines.append("Not yet evidence of an event")
        if s.codes:
            lines.append("Codes: " + ", ".join(self._code_name(c) for c in s.codes))
        if s.memo:
            lines.append(f"Memo: {_short(s.memo, 120)}")
        return "\n".join(lines)

    def _stage_label(self, stage: str) -> str:
        from ..core.frameworks import all_stages

        st = all_stages().get(stage)
        return st.label if st is not None else stage

    def _code_name(self, code_id: str) -> str:
        return (self.codes.get(code_id) or {}).get("name", code_id)

    def update_margin(self) -> None:
        """List the coded passages on screen; those at the cursor first, in bold."""
        self.margin_items = []
        if not self.doc_id:
            self.margin.clear()
            return
        a, b = self.visible_range()
        at = self._cursor_cp()
        shown = [s for s in self.spans if s.start < b and s.end > a]
        here = [s for s in shown if s.start <= at < s.end or s.start < at <= s.end]
        html = []
        for s in here + [s for s in shown if s not in here]:
            text = self.describe_span(s)
            self.margin_items.append(text)
            head, *rest = text.split("\n")
            body = "<br>".join(self._event_line(s, line) if s.is_evidence and line.startswith("Event: ")
                               else _esc(line) for line in rest)
            weight = "font-weight:bold;" if s in here else ""
            html.append(f'<table width="100%" cellspacing="0" cellpadding="4" style="margin-bottom:5px">'
                        f'<tr><td style="background:{_on_white(self._background(s)).name()};{weight}">'
                        f'<a href="span:{s.start}:{s.end}">{_esc(head)}</a><br>{body}</td></tr></table>')
        if not shown:
            html.append("<p style='color:gray'>No coded passages on screen. Select a passage of the text "
                        "to code it.</p>")
        bar = self.margin.verticalScrollBar()
        keep = bar.value() if not here else 0
        self.margin.setHtml("".join(html))
        bar.setValue(keep)

    def _event_line(self, s: Span, line: str) -> str:
        """"Event: title — coding" with the title a link to the event."""
        title, _, coding = line[len("Event: "):].rpartition(" — ")
        return (f'Event: <a href="event:{_esc(s.firm)}:{_esc(s.event)}">{_esc(title)}</a>'
                f' — {_esc(coding)}')

    def _margin_clicked(self, url) -> None:
        kind, first, second = url.toString().split(":", 2)
        if kind == "event":
            self.goto_event(first, second)
            return
        self.select(int(first), int(second))
        self.view.setFocus()

    def goto_event(self, firm_id: str, event_id: str) -> None:
        """The event in the Events tab."""
        window = self.window()
        if not hasattr(window, "events_tab"):
            return
        window.select_firm(firm_id)
        tab = window.events_tab
        window.tabs.setCurrentWidget(tab)
        tab.filter.clear()
        tab.select(event_id)

    # ------------------------------------------------------------------ selection

    def _cursor_cp(self) -> int:
        off = offsets(self.text)
        return off.to_cp(min(self.view.textCursor().position(), off.u16_length), inside="before")

    def select(self, start: int, end: int) -> None:
        """Select code points ``start``-``end`` of the shown text."""
        off = offsets(self.text)
        cursor = self.view.textCursor()
        cursor.setPosition(off.to_u16(start))
        cursor.setPosition(off.to_u16(end), QTextCursor.MoveMode.KeepAnchor)
        self.view.setTextCursor(cursor)
        self.view.ensureCursorVisible()

    def selection(self) -> tuple[int, int] | None:
        """The selected passage in code points, without the whitespace at
        its ends or a speaker's label at its start; None if nothing is selected."""
        cursor = self.view.textCursor()
        if not cursor.hasSelection() or not self.text:
            return None
        a, b = offsets(self.text).selection_to_cp(cursor.selectionStart(), cursor.selectionEnd())
        return _trim(self.text, a, b)

    def target(self) -> tuple[int, int, Span | None] | None:
        """What a coding step acts on: the selection (and the coded passage
        it is exactly, if any), else the innermost coded passage at the cursor."""
        sel = self.selection()
        if sel is not None:
            a, b = sel
            same = [s for s in self.spans if (s.start, s.end) == (a, b)]
            same.sort(key=lambda s: (not s.is_evidence or s.firm != self.firm_id, not s.is_evidence))
            return a, b, (same[0] if same else None)
        if self.view.textCursor().hasSelection():
            return None
        at = self._cursor_cp()
        inside = [s for s in self.spans if s.start <= at < s.end]
        if not inside:
            return None
        s = min(inside, key=lambda s: (s.end - s.start, not s.is_evidence))
        return s.start, s.end, s

    def _update_actions(self) -> None:
        has = self.doc_id is not None
        for b in self.actions.values():
            b.setEnabled(has)

    def _need_target(self) -> tuple | None:
        t = self.target() if self.doc_id else None
        if t is None:
            self._say("Select a passage of the text first (drag over it, or Shift with the arrow keys).")
        return t

    def _say(self, text: str) -> None:
        window = self.window()
        if isinstance(window, QtWidgets.QMainWindow):
            window.statusBar().showMessage(text, 8000)

    def _error(self, message: str) -> None:
        QtWidgets.QMessageBox.warning(self, "Could not do that", message)

    # ------------------------------------------------------------------ the coding steps

    def _coding_firm(self) -> str | None:
        if self.firm_id:
            return self.firm_id
        firm = (self.doc or {}).get("firm")
        return firm if firm else None

    def _no_firm(self) -> None:
        if self.controller.session.firms():
            self._say("Select a firm first: an event is one of a firm's events.")
        else:
            self._say("This study has no firm yet: add one (Firm > Add firm…), then code its events from the text.")

    def _pending_for_firm(self, pending: tuple | None) -> tuple[tuple, str] | None:
        """The passage to code and the firm whose event it will be, kept as
        pending; None (having said why) where there is no passage or firm."""
        t = pending or self._target_pending()
        if t is None:
            return None
        firm = self._coding_firm()
        if firm is None:
            self._no_firm()
            return None
        self._pending = t
        return t, firm

    def ask_new_event(self, pending: tuple | None = None) -> None:
        got = self._pending_for_firm(pending)
        if got is None:
            return
        t, firm = got
        self.prompt.ask("title", f"New event in {self._firm_name(firm)}, from “{_short(self._quote(t), 40)}”:",
                        placeholder="Title of the event, then Enter")

    def ask_evidence(self, pending: tuple | None = None) -> None:
        got = self._pending_for_firm(pending)
        if got is None:
            return
        _, firm = got
        self.prompt.ask("event", f"Evidence for which event of {self._firm_name(firm)}?",
                        placeholder="Type to narrow the list; Enter adds the quote to the event", listed=True)
        self._prompt_filter("")

    def ask_code(self) -> None:
        t = self._target_pending()
        if t is None:
            return
        self._pending = t
        self.prompt.ask("code", "Code:", placeholder="Type to narrow the list, or a new code's name; Enter",
                        listed=True)
        self._prompt_filter("")

    def ask_new_code(self) -> None:
        t = self._target_pending()
        if t is None:
            return
        self._pending = t
        self.prompt.ask("newcode", "New code:", placeholder="Its name, then Enter")

    def ask_memo(self) -> None:
        t = self._target_pending()
        if t is None:
            return
        self._pending = t
        span = t[3]
        self.prompt.ask("memo", "Memo on the passage:", text=(span.memo or "") if span else "",
                        placeholder="Your note on it; Enter saves (empty: no memo)")

    def _target_pending(self) -> tuple | None:
        t = self._need_target()
        return None if t is None else (self.doc_id, t[0], t[1], t[2])

    def _quote(self, pending: tuple) -> str:
        doc_id, a, b, _ = pending
        text = self.text if doc_id == self.doc_id else self.controller.session.document(doc_id)["text"]
        return text[a:b]

    def _prompt_filter(self, text: str) -> None:
        mode = self.prompt.mode
        if mode == "event":
            self.prompt.fill(self.event_choices(text))
        elif mode == "code":
            carried = set(self._pending[3].codes) if self._pending and self._pending[3] else set()
            want = text.strip().casefold()
            items = []
            for c in self.controller.session.objects("codes", None):
                if want and want not in c["name"].casefold():
                    continue
                mark = "✓ " if c["id"] in carried else "    "
                items.append((f"{mark}{c['name']}" + ("   (click to take it off)" if c["id"] in carried else ""),
                              ("code", c["id"])))
            if text.strip() and not any(c["name"].casefold() == want
                                        for c in self.controller.session.objects("codes", None)):
                items.append((f"New code “{text.strip()}”", ("new", text.strip())))
            self.prompt.fill(items)

    def event_choices(self, text: str = "") -> list[tuple[str, object]]:
        """Events of the coding firm for the picker: those edited most
        recently first, then the others from the newest added."""
        firm = self._coding_firm()
        session = self.controller.session
        if firm is None:
            return []
        ids = session.event_ids(firm, text.strip() or None)
        known = set(ids)
        recent = [e for f, e in self._recent if f == firm and e in known]
        order = recent + [e for e in reversed(ids) if e not in set(recent)]
        order = order[:MAX_EVENTS_LISTED]
        events = session.events_by_id(firm, order)
        out = []
        for e in order:
            ev = events.get(e)
            if ev is not None:
                when = ev.get("date") or ev.get("when") or ""
                out.append((f"{ev['title']}" + (f"   ({when})" if when else ""), e))
        return out

    def _prompt_accepted(self, text: str, data) -> None:
        mode, pending = self.prompt.mode, self._pending
        self.prompt.mode = None
        if pending is None:
            return
        if mode == "title":
            if text.strip():
                self.new_event(pending, text.strip())
        elif mode == "event" and data:
            self.add_evidence(pending, data)
        elif mode == "code" and data:
            kind, value = data
            if kind == "new":
                self.new_code(pending, value)
            else:
                self.toggle_code(pending, value)
        elif mode == "newcode" and text.strip():
            self.new_code(pending, text.strip())
        elif mode == "memo":
            self.set_memo(pending, text.strip() or None)
        self.view.setFocus()

    def _evidence_item(self, pending: tuple) -> dict:
        doc_id, a, b, span = pending
        text = self._text_of(doc_id)
        item: dict = {"quote": text[a:b]}
        speaker = span.speaker if span is not None and span.speaker else _speaker(text, a, b)
        if speaker:
            item["speaker"] = speaker
        item.update(document=doc_id, start=a, end=b)
        if span is not None and not span.is_evidence:
            if span.codes:
                item["codes"] = list(span.codes)
            if span.memo:
                item["memo"] = span.memo
        return item

    def _text_of(self, doc_id: str) -> str:
        return self.text if doc_id == self.doc_id else self.controller.session.document(doc_id)["text"]

    def _run(self, fn) -> bool:
        try:
            self.controller.call(fn)
        except WorkbenchError as exc:
            self._error("\n".join(exc.lines()[:10]))
            return False
        return True

    def new_event(self, pending: tuple, title: str) -> str | None:
        """A new event of the coding firm whose first evidence is the passage
        (a coded passage becomes that evidence, with its codes and memo)."""
        firm = self._coding_firm()
        if firm is None:
            return None
        doc_id, a, b, span = pending
        item = self._evidence_item(pending)
        session = self.controller.session
        ev_id = session.new_id("events", firm, "e")
        event = {"id": ev_id, "title": title, "stages": [], "learning_types": [], "evidence": [item]}

        def do(s):
            with s.group(f"New event “{_short(title, 40)}” from the text"):
                if span is not None and not span.is_evidence:
                    s.delete("passages", doc_id, span.passage)
                s.insert("events", firm, event)
        if not self._run(do):
            return None
        self._say(f"Added the event “{title}” with its quote; keys 1-{len(self.stages)} and "
                  f"{'/'.join(TYPE_KEYS)} code it")
        self._show_after(doc_id, a, b)
        return ev_id

    def add_evidence(self, pending: tuple, event_id: str) -> bool:
        firm = self._coding_firm()
        doc_id, a, b, span = pending
        session = self.controller.session
        ev = session.get("events", firm, event_id)
        items = list(ev.get("evidence") or [])
        item = self._evidence_item(pending)
        if any(it.get("document") == doc_id and (it.get("start"), it.get("end")) == (a, b) for it in items):
            self._say(f"That passage is already evidence for “{ev['title']}”")
            return False

        def do(s):
            with s.group(f"Add a quote to “{_short(ev['title'], 40)}”"):
                if span is not None and not span.is_evidence:
                    s.delete("passages", doc_id, span.passage)
                s.set_field("events", firm, event_id, "evidence", items + [item])
        if not self._run(do):
            return False
        self._say(f"Added the quote to “{ev['title']}”")
        self._show_after(doc_id, a, b)
        return True

    def _set_on_target(self, pending: tuple, key: str, value, label: str) -> bool:
        """Set ``codes`` or ``memo`` on the quote or coded passage; a plain
        selection becomes a coded passage carrying it."""
        def do(s):
            with s.group(label):
                self._apply_value(s, pending, key, value)
        if not self._run(do):
            return False
        self._show_after(*pending[:3])
        return True

    def toggle_code(self, pending: tuple, code_id: str) -> bool:
        span = pending[3]
        codes = list(span.codes) if span is not None else []
        name = self._code_name(code_id) if code_id in self.codes else code_id
        if code_id in codes:
            codes.remove(code_id)
            label = f"Take code {name} off"
        else:
            codes.append(code_id)
            label = f"Code passage as {name}"
        ok = self._set_on_target(pending, "codes", codes or None, label)
        if ok:
            self._say(label.replace("Code passage as", "Coded the passage as").replace("Take", "Took"))
        return ok

    def new_code(self, pending: tuple, name: str) -> bool:
        from ..documents import doc_id_for

        session = self.controller.session
        existing = {c["name"].casefold(): c["id"] for c in session.objects("codes", None)}
        if name.casefold() in existing:
            return self.toggle_code(pending, existing[name.casefold()])
        code_id = doc_id_for(name, {c["id"] for c in session.objects("codes", None)})
        span = pending[3]
        codes = (list(span.codes) if span is not None else []) + [code_id]

        def both(s):
            with s.group(f"New code {name}"):
                s.insert("codes", None, {"id": code_id, "name": name})
                self._apply_value(s, pending, "codes", codes)
        if not self._run(both):
            return False
        self._say(f"Made the code “{name}” and put it on the passage")
        self._show_after(pending[0], pending[1], pending[2])
        return True

    def _apply_value(self, s, pending: tuple, key: str, value) -> None:
        doc_id, a, b, span = pending
        if span is not None and span.is_evidence:
            ev = s.get("events", span.firm, span.event)
            items = [dict(it) for it in ev.get("evidence") or ()]
            at = [i for i, it in enumerate(items)  # the quote, wherever it stands in the list now
                  if (it.get("document"), it.get("start"), it.get("end")) == (doc_id, a, b)]
            if not at:
                raise InputError(f"“{ev['title']}” no longer quotes that passage")
            i = span.index if span.index in at else at[0]
            if value is None:
                items[i].pop(key, None)
            else:
                items[i][key] = value
            s.set_field("events", span.firm, span.event, "evidence", items)
        elif span is not None:
            s.set_field("passages", doc_id, span.passage, key, value)
        elif value is not None:
            passage = {"id": s.new_id("passages", doc_id, "p"), "start": a, "end": b}
            speaker = _speaker(self._text_of(doc_id), a, b)
            if speaker:
                passage["speaker"] = speaker
            passage[key] = value
            s.insert("passages", doc_id, passage)

    def set_memo(self, pending: tuple, memo: str | None) -> bool:
        span = pending[3]
        if span is None and memo is None:
            return False
        if span is not None and (span.memo or None) == memo:
            return False
        return self._set_on_target(pending, "memo", memo, "Memo on a passage" if memo else "Take the memo off")

    def _show_after(self, doc_id: str, a: int, b: int) -> None:
        """After an edit (the tab has read the study again): the passage selected."""
        if doc_id == self.doc_id and self.text:
            self.select(a, b)

    def code_key(self, key: str) -> None:
        """Keys 1-9 make a stage the primary stage of the event the passage
        is evidence of; the learning-type letters its primary type."""
        t = self.target() if self.doc_id else None
        if t is None:
            self._say("Select a quote of an event (or put the cursor in one) to code its event with the keys")
            return
        a, b, span = t
        if span is None or not span.is_evidence:
            covering = [s for s in self.spans if s.is_evidence and s.start <= a and b <= s.end]
            covering.sort(key=lambda s: (s.firm != self.firm_id, s.end - s.start))
            span = covering[0] if covering else None
        if span is None:
            self._say("This passage is evidence of no event yet: make it one first (New event from selection)")
            return
        if key in self.stage_keys:
            field_, value = "stages", self.stage_keys[key].id
            label = self.stage_keys[key].label
        else:
            field_, value = "learning_types", TYPE_KEYS[key]
            label = vocabulary().label("learning_types", value)
        ev = self.controller.session.get("events", span.firm, span.event)
        current = ev.get(field_) or []
        new = [value] + [v for v in current if v != value]
        if new != current:
            self.controller.set_field("events", span.firm, span.event, field_, new,
                                      text=f"Code “{_short(ev['title'], 40)}” as {label}")
        self._say(f"“{ev['title']}”: {label}")

    # ------------------------------------------------------------------ passages not yet evidence

    def _unlinked_pending(self) -> tuple | None:
        item = self.unlinked.currentItem()
        data = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if not data:
            self._say("Choose a passage in the list “Passages not yet evidence” first")
            return None
        doc_id, pid, a, b = data
        if doc_id != self.doc_id:
            self.show_document(doc_id)
        span = next((s for s in self.spans if s.passage == pid), None)
        self.select(a, b)
        return doc_id, a, b, span

    def _from_unlinked(self, mode: str) -> None:
        pending = self._unlinked_pending()
        if pending is None:
            return
        if mode == "title":
            self.ask_new_event(pending)
        else:
            self.ask_evidence(pending)

    def _goto_unlinked(self, item) -> None:
        data = item.data(Qt.ItemDataRole.UserRole)
        if data:
            doc_id, _pid, a, b = data
            if doc_id != self.doc_id:
                self.show_document(doc_id)
            self.select(a, b)
            self.view.setFocus()

    # ------------------------------------------------------------------ menus, removing

    def context_menu(self, pos: QPoint):
        """The text's own menu (Copy, Select All) with the coding steps on top."""
        menu = self.view.createStandardContextMenu(pos)
        first = menu.actions()[0] if menu.actions() else None
        for text, slot in (("New event from selection…", self.ask_new_event),
                           ("Add as evidence to…", self.ask_evidence), ("Apply code…", self.ask_code),
                           ("New code…", self.ask_new_code), ("Memo…", self.ask_memo)):
            act = menu.addAction(text)
            act.triggered.connect(lambda _=False, s=slot: s())
            menu.insertAction(first, act)
        t = self.target() if self.doc_id else None
        if t is not None and t[2] is not None and not t[2].is_evidence:
            act = menu.addAction("Remove the coded passage")
            act.triggered.connect(lambda _=False, span=t[2]: self.remove_passage(span))
            menu.insertAction(first, act)
        menu.insertSeparator(first)
        return menu

    def remove_passage(self, span: Span) -> bool:
        """Take a coded passage (evidence of no event) off the text, with its codes and memo."""
        doc_id = self.doc_id
        return self._run(lambda s: s.delete("passages", doc_id, span.passage, "Remove a coded passage"))

    def _context_menu(self, pos: QPoint) -> None:
        menu = self.context_menu(pos)
        menu.exec(self.view.viewport().mapToGlobal(pos))
        menu.deleteLater()

    def remove_document_dialog(self) -> None:
        item = self.doc_list.currentItem()
        doc_id = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if not doc_id:
            return
        info = next((d for d in self.controller.session.document_list() if d["id"] == doc_id), None)
        if info is None:
            return
        text = f"Remove the document “{info['name']}” from the study?"
        if info["quotes"]:
            n = info["quotes"]
            text += (f"\n\n{n} quote{'s' if n != 1 else ''} will keep {'their' if n != 1 else 'its'} text "
                     f"without an anchor (the events keep them).")
        if info["passages"]:
            n = info["passages"]
            text += f"\n\n{n} coded passage{'s' if n != 1 else ''} of it will go with it."
        text += "\n\nYou can undo this (Ctrl+Z)."
        if QtWidgets.QMessageBox.question(self, "Remove document", text) != QtWidgets.QMessageBox.StandardButton.Yes:
            return
        self.remove_document(doc_id)

    def remove_document(self, doc_id: str) -> int | None:
        from .. import documents

        try:
            n = self.controller.call(lambda s: documents.remove(s, [doc_id]))
        except WorkbenchError as exc:
            self._error(exc.message)
            return None
        self._say(f"Removed the document; {n} quote{'s' if n != 1 else ''} kept without an anchor "
                  f"(Edit > Undo brings it back)")
        return n


# --------------------------------------------------------------------------- helpers

_LABEL = re.compile(r"[^\n:]{1,80}:[ \t]+")


def _trim(text: str, a: int, b: int) -> tuple[int, int] | None:
    """``a``-``b`` without whitespace at the ends, and without a speaker's
    label ("Ann: ") where it starts at the start of a turn."""
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if a < b and (a == 0 or text[a - 1] == "\n"):
        who = speaker_at(text, a)
        m = _LABEL.match(text, a, b)
        if who and m and who.split(" (")[0].split(" ")[0] in m.group(0):
            a = m.end()
    return (a, b) if a < b else None


def _speaker(text: str, a: int, b: int) -> str | None:
    """The speaker of ``text[a:b]`` if one speaker's turn holds it all."""
    first = speaker_at(text, a)
    return first if first is not None and speaker_at(text, max(a, b - 1)) == first else None


def _on_white(colour: QColor) -> QColor:
    """A see-through colour as it shows on white."""
    a = colour.alphaF()
    return QColor(*(round(c * a + 255 * (1 - a)) for c in (colour.red(), colour.green(), colour.blue())))


def _short(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n - 1].rstrip() + "…"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
