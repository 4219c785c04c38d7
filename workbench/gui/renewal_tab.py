"""The Renewal tab: where the selected firm stands on Jones & Macpherson's
renewal path (the four phases, each with its events, sources, routines,
quotes and dates, then the findings with their reasons and the paper's
basis), the Table 7 action checklist, edited here, and all firms side by
side. Read through workbench.core.renewal; every edit of the checklist is
one undoable step through the window's controller."""

from __future__ import annotations

import html

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QRect, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QActionGroup, QBrush, QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QMenu,
                               QPushButton, QSplitter, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QTabWidget,
                               QTableView, QTextBrowser, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from ..core.errors import WorkbenchError
from ..core.frameworks import vocabulary
from .controller import StudyController
from .delegates import AfterEditing, TrackingDelegate, keeps_f2
from .tabs import LazyTab

# the tables whose change can change a diagnosis, a checklist or the cross-firm table
WATCHED = {"events", "sources", "routines", "links", "actions", "firms"}
STATUSES = (("", "not set"), ("done", "done"), ("planned", "planned"), ("not_relevant", "not relevant"))
STATUS_LABEL = dict(STATUSES)
STATUS_TINT = {status: f"action_{status}" for status in ("done", "planned", "not_relevant")}  # named colours
GREY = vocabulary().colour("default_text")
NOTE = vocabulary().colour("note_text")  # a finding that is a note, and the lines of sources and routines
WHO_LABEL = {"owner-manager": "Owner-manager", "facilitator": "Facilitator"}


def _renewal():
    from ..core import renewal  # the diagnosis and checklist (branch renewal)

    return renewal


def _phase_label(phase_id: str | None) -> str:
    if not phase_id:
        return "Your own actions"
    return vocabulary().label("phases", phase_id)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _firm_study(session, firm_id: str | None):
    """The study with only this firm, and the firm (None, None when it has gone)."""
    if not firm_id or firm_id not in {f["id"] for f in session.firms()}:
        return None, None
    study = session.load_study([firm_id])
    return study, study.firms[0]


# --------------------------------------------------------------------------- diagnosis


class WrapDelegate(QStyledItemDelegate):
    """Rows of a tree as tall as their text wrapped to the column's width
    (Qt measures a row as if its column were endless: one line)."""

    def initStyleOption(self, option, index):
        super().initStyleOption(option, index)
        option.displayAlignment = Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft  # a row's cells read as one line

    def sizeHint(self, option, index):
        tree = self.parent()
        width = tree.header().sectionSize(index.column())
        if index.column() == 0:
            depth, parent = 1, index.parent()
            while parent.isValid():
                depth, parent = depth + 1, parent.parent()
            width -= depth * tree.indentation()
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.rect = QRect(0, 0, max(width, 40), 10000)  # a valid rect: the style wraps within it
        opt.features |= QStyleOptionViewItem.ViewItemFeature.WrapText
        hint = tree.style().sizeFromContents(QStyle.ContentsType.CT_ItemViewItem, opt, QSize(), tree)
        return QSize(width, max(hint.height(), super().sizeHint(option, index).height()))


class DiagnosisPage(LazyTab):
    """The four phases in order with what happened in each, and the
    findings: double-click an event (or an event named by a finding) to
    see it in the Events tab."""

    eventActivated = Signal(str, str)  # firm id, event id

    EVENT = Qt.ItemDataRole.UserRole

    def __init__(self, controller: StudyController):
        super().__init__()
        self._init_lazy()
        self.controller = controller
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Phase and what happened", "When", "Who said it / detail"])
        self.tree.setAccessibleName("Renewal phases")
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setAlternatingRowColors(False)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.setColumnWidth(1, 100)
        self.tree.setColumnWidth(2, 170)
        self.tree.setItemDelegate(WrapDelegate(self.tree))
        # rows grow to their wrapped text: their heights are worked out again when a column's width changes
        self.tree.header().sectionResized.connect(lambda *_: self.tree.scheduleDelayedItemsLayout())
        self.tree.itemActivated.connect(self._activated)
        self.tree.setToolTip("Double-click an event (or one of its quotes) to see it in the Events tab; "
                             "right-click it to place it in another phase or mark it the critical incident")
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._menu)
        self.findings = QTextBrowser()
        self.findings.setOpenLinks(False)
        self.findings.setAccessibleName("Findings")
        self.findings.anchorClicked.connect(self._link)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(QLabel("<b>Findings</b>"))
        rl.addWidget(self.findings)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(QLabel("<b>The renewal path</b> (Jones &amp; Macpherson 2006)"))
        ll.addWidget(self.tree)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.splitter, 1)
        self.diagnosis = None

    def reload(self) -> None:
        # after an edit the reader stays where they were in the tree and in the findings
        scroll = (self.tree.verticalScrollBar().value(), self.findings.verticalScrollBar().value())
        same_firm = self.diagnosis is not None and self.diagnosis.firm_id == self.firm_id
        self._load()
        if same_firm:
            self.tree.verticalScrollBar().setValue(scroll[0])
            self.findings.verticalScrollBar().setValue(scroll[1])

    def _load(self) -> None:
        session = self.controller.session
        self.tree.clear()
        self.findings.clear()
        study, firm = _firm_study(session, self.firm_id)
        if firm is None:
            self.heading.setText("")
            self.diagnosis = None
            return
        try:
            d = self.diagnosis = _renewal().diagnose(study, firm)
        except WorkbenchError as exc:
            self.heading.setText(f"The diagnosis could not be made: {html.escape(exc.message)}")
            return
        self._fill_tree(firm, d)
        self._fill_findings(firm, d, _renewal().checklist(study, firm))

    def _fill_tree(self, firm, d) -> None:
        critical = QColor(vocabulary().colour("critical"))
        bold = QFont()
        bold.setBold(True)
        titles = {e.id: e.title for e in firm.event_list}
        reached = [p for p in d.phases if p.events]
        self.heading.setText(
            f"<b>{html.escape(firm.name)}</b>: {len(reached)} of {len(d.phases)} phases have events; "
            f"{_plural(sum(f.severity == 'concern' for f in d.findings), 'concern')} and "
            f"{_plural(sum(f.severity != 'concern' for f in d.findings), 'note')}. An event's phase is its "
            f"Phase field (Events tab), or right-click it here.")
        for n, p in enumerate(d.phases, 1):
            top = QTreeWidgetItem([f"{n}. {p.label}", p.span,
                                   ", ".join(x for x in (_plural(len(p.events), "event"),
                                                          _plural(len(p.sources), "source") if p.sources else "",
                                                          _plural(len(p.routines), "routine") if p.routines else "")
                                             if x)])
            for c in range(3):
                top.setFont(c, bold)
            top.setToolTip(0, vocabulary().term("phases", p.id).definition
                           if vocabulary().term("phases", p.id) else p.label)
            self.tree.addTopLevelItem(top)
            quotes: dict[str, list] = {}
            for event_id, ev in p.evidence:
                quotes.setdefault(event_id, []).append(ev)
            if not p.events:
                empty = QTreeWidgetItem(["No event of the firm is in this phase yet."])
                empty.setForeground(0, QBrush(QColor(GREY)))
                top.addChild(empty)
            for e in p.events:
                mark = "⚠ " if e.is_critical else ""
                item = QTreeWidgetItem([f"{mark}{e.title}", e.time_label(),
                                        "critical incident" if e.is_critical else ""])
                item.setData(0, self.EVENT, e.id)
                item.setToolTip(0, (e.description or e.title) + "\n\nDouble-click: show it in the Events tab")
                if e.is_critical:
                    for c in range(3):
                        item.setForeground(c, QBrush(critical))
                    item.setFont(0, bold)
                top.addChild(item)
                for ev in quotes.pop(e.id, []):
                    q = QTreeWidgetItem([f"“{ev.quote}”", "", ev.speaker or ""])
                    q.setData(0, self.EVENT, e.id)
                    q.setToolTip(0, ev.quote)
                    italic = QFont()
                    italic.setItalic(True)
                    q.setFont(0, italic)
                    item.addChild(q)
            for event_id, evs in quotes.items():  # quotes of events shown elsewhere (should not happen)
                for ev in evs:
                    q = QTreeWidgetItem([f"“{ev.quote}” ({titles.get(event_id, event_id)})", "", ev.speaker or ""])
                    q.setData(0, self.EVENT, event_id)
                    top.addChild(q)
            if p.sources:
                names = ", ".join(s.name for s in p.sources)
                outside = sum(1 for s in p.sources if s.is_external)
                row = QTreeWidgetItem([f"Knowledge sources: {names}", "",
                                       f"{outside} from outside" if outside else "none from outside"])
                row.setForeground(0, QBrush(QColor(NOTE)))
                top.addChild(row)
            if p.routines:
                names = ", ".join(r.name for r in p.routines)
                row = QTreeWidgetItem([f"Routines built: {names}", "",
                                       ", ".join(sorted({r.started for r in p.routines if r.started}))])
                row.setForeground(0, QBrush(QColor(NOTE)))
                top.addChild(row)
        if d.unphased:
            top = QTreeWidgetItem(["Not placed in a phase", "", _plural(len(d.unphased), "event")])
            top.setToolTip(0, "Events whose Phase field (Events tab) is empty: they count towards no phase")
            for c in range(3):
                top.setFont(c, bold)
                top.setForeground(c, QBrush(QColor(GREY)))
            self.tree.addTopLevelItem(top)
            for e in d.unphased:
                item = QTreeWidgetItem([("⚠ " if e.is_critical else "") + e.title, e.time_label(), ""])
                item.setData(0, self.EVENT, e.id)
                item.setToolTip(0, "Double-click: show it in the Events tab, where its Phase can be set")
                top.addChild(item)
        self.tree.expandAll()

    def _fill_findings(self, firm, d, items=()) -> None:
        titles = {e.id: e.title for e in firm.event_list}
        if not d.findings:
            self.findings.setHtml("<p>No findings: none of the renewal rules applies to this firm's events "
                                  "(the rules are in <tt>resources/renewal/rules.json</tt>).</p>")
            return
        critical = vocabulary().colour("critical")
        parts = []
        for f in d.findings:
            colour = critical if f.severity == "concern" else NOTE
            kind = "Concern" if f.severity == "concern" else "Note"
            shown = f.events if len(f.events) <= 6 else f.events[:5]
            events = ", ".join(f'<a href="event:{html.escape(e)}">{html.escape(titles.get(e, e))}</a>'
                               for e in shown) + (f" and {len(f.events) - len(shown)} more"
                                                  if len(shown) < len(f.events) else "")
            # what to do, as the rule says: its advice and its actions, by their number in the checklist
            todo = [f"What to do: {html.escape(f.advice)}"] if f.advice else []
            todo += [f"Action {n}: {html.escape(it.action.text)} "
                     f"<i>({STATUS_LABEL.get((it.entry or {}).get('status') or '', 'not set')})</i>"
                     for n, it in _renewal().finding_items(f, list(items))]
            parts.append(
                f'<p style="margin-bottom:10px"><span style="color:{colour}"><b>{kind}:</b></span> '
                f'<b>{html.escape(f.message)}</b><br>'
                f'<span>Why it matters: {html.escape(f.reason)}</span><br>'
                f'<span style="color:{GREY}"><i>Basis: {html.escape(f.citation)}</i></span>'
                + (f"<br>Events: {events}" if events else "")
                + "".join(f"<br>{t}" for t in todo) + "</p>")
        self.findings.setHtml("".join(parts))

    def _activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        event_id = item.data(0, self.EVENT)
        if event_id and self.firm_id:
            self.eventActivated.emit(self.firm_id, event_id)

    def event_menu(self, event_id: str) -> QMenu:
        """What can be changed of an event from here: its phase (one of
        the four, or none) and whether it is a critical incident; each
        choice one undoable edit."""
        ev = self.controller.session.get("events", self.firm_id, event_id)
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        title = ev["title"] if len(ev["title"]) <= 50 else ev["title"][:48] + "…"
        menu.addSection(title)
        group = QActionGroup(menu)
        for phase_id in (*vocabulary().ids("phases"), None):
            act = menu.addAction(f"Phase: {vocabulary().label('phases', phase_id)}" if phase_id
                                 else "In no phase")
            act.setCheckable(True)
            act.setChecked(ev.get("phase") == phase_id)
            act.setActionGroup(group)
            act.triggered.connect(lambda _=False, p=phase_id: self._set_event(
                event_id, "phase", p, f"Place “{title}” in " + (_phase_label(p) if p else "no phase")))
        menu.addSeparator()
        critical = menu.addAction("A critical incident")
        critical.setCheckable(True)
        critical.setChecked(bool(ev.get("critical")))
        critical.setToolTip("An event that threatened the firm and set its renewal off")
        critical.triggered.connect(lambda on: self._set_event(
            event_id, "critical", True if on else None,
            f"Mark “{title}” a critical incident" if on else f"Unmark “{title}” as a critical incident"))
        menu.addSeparator()
        show = menu.addAction("Show it in the Events tab")
        show.triggered.connect(lambda: self.eventActivated.emit(self.firm_id, event_id))
        return menu

    def _set_event(self, event_id: str, key: str, value, text: str) -> None:
        self.controller.set_field("events", self.firm_id, event_id, key, value, text=text)

    def _menu(self, pos) -> None:
        item = self.tree.itemAt(pos)
        if item is None or not item.data(0, self.EVENT):
            item = self.tree.currentItem()  # the menu key: the row the keyboard is on
            if item is not None:
                pos = self.tree.visualItemRect(item).center()
        event_id = item.data(0, self.EVENT) if item is not None else None
        if not event_id or not self.firm_id or self.controller.session.read_only:
            return
        self.menu = self.event_menu(event_id)
        self.menu.popup(self.tree.viewport().mapToGlobal(pos))

    def _link(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith("event:") and self.firm_id:
            self.eventActivated.emit(self.firm_id, text[len("event:"):])


# --------------------------------------------------------------------------- checklist

# (key, header, width); the keys a user edits are those of the stored entry
COLUMNS = (("phase", "Phase", 140), ("text", "Action", 300), ("who", "Role", 112), ("status", "Status", 90),
           ("event", "Shown done by", 150), ("date", "Planned for", 85), ("owner", "Owner", 95),
           ("note", "Note", 150))
KEYS = [c[0] for c in COLUMNS]
EDITABLE = {"status", "event", "date", "owner", "note"}


class ChecklistModel(QAbstractTableModel):
    """A firm's Table 7 checklist, one action a row; an edit is handed to
    ``edit`` (the page's), which makes it through the controller."""

    def __init__(self, page: "ChecklistPage"):
        super().__init__()
        self.page = page
        self.items: list = []
        self.titles: dict[str, str] = {}

    def set_items(self, items: list, titles: dict[str, str]) -> None:
        same = [i.action.id for i in items] == [i.action.id for i in self.items]
        self.titles = titles
        if same and items:
            self.items = items
            self.dataChanged.emit(self.index(0, 0), self.index(len(items) - 1, len(COLUMNS) - 1))
        else:
            self.beginResetModel()
            self.items = items
            self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)  # the action's number, as the findings and the client report name it
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return {"status": "Done, planned or not relevant for this firm (not set: not yet decided)",
                    "event": "The event of the firm that shows the action done (choosing one marks it done)",
                    "date": "When it is planned for (a year, 2025-06 or 2025-06-30)",
                    "owner": "Who will do it (a name)",
                    "who": "Whom Table 7 gives the action to: the owner-manager or an outside helper"}.get(COLUMNS[section][0])
        return None

    def value(self, row: int, key: str):
        item = self.items[row]
        entry = item.entry or {}
        if key == "phase":
            first = row == 0 or self.items[row - 1].action.phase != item.action.phase
            return _phase_label(item.action.phase) if first else ""
        if key == "text":
            return (entry.get("text") if item.action.own else None) or item.action.text
        if key == "who":
            return WHO_LABEL.get(item.action.who or "", item.action.who or "")
        if key == "status":
            return entry.get("status") or ""
        return entry.get(key) or ""

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        key = KEYS[index.column()]
        item = self.items[index.row()]
        value = self.value(index.row(), key)
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "status":
                return STATUS_LABEL.get(value, value) if value else "not set"
            if key == "event":
                return self.titles.get(value, value) if value else ""
            return value
        if role == Qt.ItemDataRole.EditRole:
            return value
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "text":
                return value + ("\n\n(your own action: edit its text here; Remove my action takes it away)"
                                if item.action.own else "")
            if key == "event" and value:
                return self.titles.get(value, value)
            if key == "note" and value:
                return value
            return None
        if role == Qt.ItemDataRole.BackgroundRole and key == "status":
            tint = STATUS_TINT.get(self.value(index.row(), "status"))
            return QBrush(QColor(vocabulary().colour(tint))) if tint else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if key == "status" and not value:
                return QBrush(QColor(GREY))
            if (self.value(index.row(), "status") == "not_relevant" and key != "status"):
                return QBrush(QColor(GREY))
        if role == Qt.ItemDataRole.FontRole and key == "phase" and value:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def flags(self, index):
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if not index.isValid():
            return base
        key = KEYS[index.column()]
        own = self.items[index.row()].action.own
        if key in EDITABLE or (own and key == "text"):
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        key = KEYS[index.column()]
        text = "" if value is None else str(value).replace("\t", " ").strip()
        if text == str(self.value(index.row(), key) or ""):
            return False
        return self.page.edit(self.items[index.row()], key, text)


class ChecklistDelegate(TrackingDelegate):
    """A list of choices for Status and for the event that shows an action
    done; a line for the rest."""

    def __init__(self, page: "ChecklistPage"):
        super().__init__(page.view)
        self.page = page

    def _create_editor(self, parent, option, index):
        key = KEYS[index.column()]
        if key == "status":
            box = QComboBox(parent)
            own = self.page.model.items[index.row()].action.own
            for value, label in STATUSES:
                if own and not value:
                    continue  # one's own action is removed, not left unset
                box.addItem(label, value)
            box.setAccessibleName("Status")
            return box
        if key == "event":
            box = QComboBox(parent)
            box.addItem("(none)", "")
            # the events of the action's phase first: the likeliest to show it done
            phase = self.page.model.items[index.row()].action.phase
            first = [e for e in self.page.events if phase and e[3] == phase]
            rest = [e for e in self.page.events if e not in first]
            for group in (first, rest):
                if group and box.count() > 1:
                    box.insertSeparator(box.count())
                for event_id, title, when, _ in group:
                    box.addItem(f"{title} ({when})" if when else title, event_id)
            box.setAccessibleName("Event that shows it done")
            box.setMaxVisibleItems(20)
            return box
        edit = QLineEdit(parent)
        if key == "date":
            edit.setPlaceholderText("2025-06")
        elif key == "owner":
            edit.setPlaceholderText("who")
        return edit

    def paint(self, painter, option, index):
        super().paint(painter, option, index)
        items = self.page.model.items
        row = index.row()
        if 0 < row < len(items) and items[row].action.phase != items[row - 1].action.phase:
            painter.save()  # a line above the first action of each phase: the groups read apart
            painter.setPen(QColor(vocabulary().colour("node_line")))
            painter.drawLine(option.rect.topLeft(), option.rect.topRight())
            painter.restore()

    def setEditorData(self, editor, index):
        value = index.data(Qt.ItemDataRole.EditRole) or ""
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(editor.findData(value), 0))
        else:
            editor.setText(str(value))

    def setModelData(self, editor, model, index):
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData() or "", Qt.ItemDataRole.EditRole)
        else:
            model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)


class ChecklistPage(LazyTab):
    """Table 7 as a checklist for the firm: each action done (with the
    event that shows it), planned (date, owner) or not relevant, with a
    note; the consultant's own actions added and removed."""

    def __init__(self, controller: StudyController):
        super().__init__()
        self._init_lazy()
        self.controller = controller
        self.events: list[tuple[str, str, str, str | None]] = []  # (id, title, time, phase) of the firm's events
        intro = QLabel("What the owner-manager and outside helpers do at each step of renewal (Jones &amp; "
                       "Macpherson 2006, Table 7). Mark each action <b>done</b> (with the event that shows it), "
                       "<b>planned</b> (when, and who will do it) or <b>not relevant</b> for this firm. "
                       "Double-click a cell, or type in it, to change it; Ctrl+Z undoes.")
        intro.setWordWrap(True)
        self.view = QTableView()
        keeps_f2(self.view)
        self.view.setAccessibleName("Action checklist")
        self.model = ChecklistModel(self)
        self.view.setModel(self.model)
        self.delegate = ChecklistDelegate(self)
        self.view.setItemDelegate(self.delegate)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QAbstractItemView.EditTrigger.SelectedClicked
                                  | QAbstractItemView.EditTrigger.AnyKeyPressed)
        if controller.session.read_only:  # a study open to look at, not to change
            self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setWordWrap(True)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for i, (_, _, width) in enumerate(COLUMNS):
            self.view.setColumnWidth(i, width)
        # the action's words take the room there is; the last column stretches too when the window is wide
        self.view.horizontalHeader().setSectionResizeMode(KEYS.index("text"), QHeaderView.ResizeMode.Stretch)
        self.view.selectionModel().currentChanged.connect(lambda *_: self._update_buttons())
        self.new_text = QLineEdit()
        self.new_text.setPlaceholderText("An action of your own for this firm, e.g. Agree a date with the college "
                                         "for the first training day")
        self.new_text.setAccessibleName("New action of your own")
        self.new_text.returnPressed.connect(self.add_own)
        self.add_button = QPushButton("Add")
        self.add_button.setToolTip("Add the action typed beside it to this firm's checklist, planned (Enter "
                                   "does it too)")
        self.add_button.clicked.connect(self.add_own)
        self.remove_button = QPushButton("Remove my action")
        self.remove_button.setToolTip("Take away the selected action of your own (Ctrl+Z brings it back)")
        self.remove_button.clicked.connect(self.remove_own)
        self.counts = QLabel()
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Your own action:"))
        bar.addWidget(self.new_text, 1)
        bar.addWidget(self.add_button)
        bar.addWidget(self.remove_button)
        counts = QHBoxLayout()
        counts.addWidget(self.counts, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(intro)
        layout.addLayout(counts)
        layout.addWidget(self.view, 1)
        layout.addLayout(bar)
        delete = QShortcut(QKeySequence.StandardKey.Delete, self.view)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self._delete_key)
        self._reload = AfterEditing(self.delegate, self.reload)

    def set_firm(self, firm_id: str | None) -> None:
        if firm_id != self.firm_id:
            self.delegate.finish_editing()  # what is being typed belongs to the firm it was typed for
        super().set_firm(firm_id)

    def refresh(self) -> None:
        """Show what is stored: at once when the rows stay as they are
        (the cell being typed in is left alone), else when it is done."""
        if self.delegate.open_editors and self._same_rows():
            self.reload()
        else:
            self._reload()

    def _same_rows(self) -> bool:
        study, firm = _firm_study(self.controller.session, self.firm_id)
        if firm is None:
            return False
        return [i.action.id for i in _renewal().checklist(study, firm)] == [i.action.id for i in self.model.items]

    def reload(self) -> None:
        session = self.controller.session
        study, firm = _firm_study(session, self.firm_id)
        if firm is None:
            self.events = []
            self.model.set_items([], {})
            self.counts.setText("")
            self._update_buttons()
            self.setEnabled(False)
            return
        self.setEnabled(True)
        self.events = [(e.id, e.title, e.time_label(), e.phase) for e in firm.event_list]
        try:
            items = _renewal().checklist(study, firm)
        except WorkbenchError as exc:
            self.counts.setText(f"The checklist could not be read: {exc.message}")
            return
        current = self.view.currentIndex()
        keep = (self.model.items[current.row()].action.id, current.column()) if current.isValid() \
            and current.row() < len(self.model.items) else None
        self.model.set_items(items, {e.id: e.title for e in firm.event_list})
        if keep is not None:
            row = self.row_of(keep[0])
            if row >= 0 and self.view.currentIndex() != self.model.index(row, keep[1]):
                self.view.setCurrentIndex(self.model.index(row, keep[1]))
        self.view.resizeRowsToContents()
        by: dict[str, int] = {}
        for i in items:
            status = (i.entry or {}).get("status") or ""
            by[status] = by.get(status, 0) + 1
        self.counts.setText(", ".join(f"{by[s]} {label}" for s, label in
                                      (("done", "done"), ("planned", "planned"),
                                       ("not_relevant", "not relevant"), ("", "not set")) if by.get(s))
                            + f" (of {_plural(len(items), 'action')})")
        self._update_buttons()

    def row_of(self, action_id: str) -> int:
        return next((r for r, i in enumerate(self.model.items) if i.action.id == action_id), -1)

    def _update_buttons(self) -> None:
        index = self.view.currentIndex()
        own = index.isValid() and index.row() < len(self.model.items) and self.model.items[index.row()].action.own
        self.remove_button.setEnabled(bool(own))
        writable = bool(self.firm_id) and not self.controller.session.read_only
        self.add_button.setEnabled(writable)
        self.new_text.setEnabled(writable)

    # ------------------------------------------------------------------ edits

    def edit(self, item, key: str, text: str) -> bool:
        """Store ``key`` = ``text`` ("" clears it) for the action of ``item``,
        as one step of the history."""
        c, firm, aid = self.controller, self.firm_id, item.action.id
        entry = self.stored(aid)  # what the file holds now: the row may not show the edit just made
        value = text or None
        if key == "text" and not item.action.own:
            return False
        if key == "text" and not text:
            c.error.emit("An action of your own needs its text: to take it away, use Remove my action.")
            self.refresh()
            return False
        if entry is None:
            if key == "status":
                if not text:
                    return False
                return c.insert("actions", firm, {"id": aid, "status": text}, text=f"Mark “{_short(item)}” "
                                f"{STATUS_LABEL[text]}")
            # an event shows it done; a date, an owner or a note make it planned
            status = "done" if key == "event" else "planned"
            if not value:
                return False
            return c.insert("actions", firm, {"id": aid, "status": status, key: value},
                            text=f"Mark “{_short(item)}” {STATUS_LABEL[status]}")
        if key == "status":
            if not text:
                if item.action.own:
                    return False
                return c.delete("actions", firm, aid, text=f"Unset “{_short(item)}”")
            if text != "done" and entry.get("event"):  # an event shows it done: not when planned
                with c.group(f"Mark “{_short(item)}” {STATUS_LABEL[text]}"):
                    c.set_field("actions", firm, aid, "status", text)
                    c.set_field("actions", firm, aid, "event", None)
                return True
            return c.set_field("actions", firm, aid, "status", text,
                               text=f"Mark “{_short(item)}” {STATUS_LABEL[text]}")
        if key == "event" and value and entry.get("status") != "done":
            with c.group(f"Mark “{_short(item)}” done"):
                c.set_field("actions", firm, aid, "event", value)
                c.set_field("actions", firm, aid, "status", "done")
            return True
        label = {"event": "event", "date": "planned date", "owner": "owner", "note": "note",
                 "text": "text"}[key]
        return c.set_field("actions", firm, aid, key, value, text=f"Set the {label} of “{_short(item)}”")

    def stored(self, action_id: str) -> dict | None:
        """The firm's entry for the action, as the study holds it (None: not set)."""
        try:
            return self.controller.session.get("actions", self.firm_id, action_id)
        except WorkbenchError:
            return None

    def new_own_id(self) -> str:
        taken = {i.action.id for i in self.model.items}
        n = 1
        while f"own{n}" in taken:
            n += 1
        return f"own{n}"

    def add_own(self) -> str | None:
        """The action typed in the line under the table, added to the
        firm's checklist as planned (one step of the history)."""
        text = " ".join(self.new_text.text().split())
        if not self.firm_id or not text:
            return None
        self.delegate.finish_editing()
        aid = self.new_own_id()
        if not self.controller.insert("actions", self.firm_id, {"id": aid, "status": "planned", "text": text},
                                      text="Add an action of your own"):
            return None
        self.new_text.clear()
        self.reload()
        row = self.row_of(aid)
        if row >= 0:
            index = self.model.index(row, KEYS.index("date"))
            self.view.setCurrentIndex(index)
            self.view.scrollTo(index)
        return aid

    def remove_own(self) -> bool:
        index = self.view.currentIndex()
        if not index.isValid():
            return False
        item = self.model.items[index.row()]
        if not item.action.own:
            return False
        self.delegate.finish_editing()
        return self.controller.delete("actions", self.firm_id, item.action.id,
                                      text=f"Remove “{_short(item)}”")

    def _delete_key(self) -> None:
        """Delete: clears the cell (a status: not set); on an own action's
        text, removes the action."""
        index = self.view.currentIndex()
        if not index.isValid():
            return
        key = KEYS[index.column()]
        item = self.model.items[index.row()]
        if key == "text" and item.action.own:
            self.remove_own()
        elif self.model.flags(index) & Qt.ItemFlag.ItemIsEditable and key != "text":
            self.model.setData(index, "", Qt.ItemDataRole.EditRole)


def _short(item) -> str:
    text = ((item.entry or {}).get("text") if item.action.own else None) or item.action.text
    return text if len(text) <= 40 else text[:38].rstrip() + "…"


# --------------------------------------------------------------------------- all firms


class CrossFirmPage(LazyTab):
    """Firms side by side: each firm's phases with their dates and numbers
    of events, its critical incident and its findings; and the renewal
    figure (one lane per firm) where the workbench can draw it."""

    firmActivated = Signal(str)
    eventActivated = Signal(str, str)  # a firm's critical incident chosen: firm id, event id

    def __init__(self, controller: StudyController):
        super().__init__()
        self._init_lazy()
        self.controller = controller
        from PySide6.QtWidgets import QTableWidget

        self.table = QTableWidget()
        self.table.setAccessibleName("Firms side by side")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().hide()
        self.table.cellActivated.connect(self._activated)
        self.caption = QLabel("Each firm's renewal phases: when they ran (from the first event's date, or its "
                              "'when', to the last's) and how many events each holds; the critical incident "
                              "that set the firm's renewal off; and the findings. "
                              "Double-click a firm to see its diagnosis, or its critical incident to see that "
                              "event.")
        self.caption.setWordWrap(True)
        self.figure = None  # the renewal figure's view, when the workbench can draw it
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.figure_status = QLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.caption)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.figure_status)
        self.rows: list = []

    def reload(self) -> None:
        session = self.controller.session
        study = session.study()
        try:
            rows = self.rows = _renewal().cross_firm(study)
        except WorkbenchError as exc:
            self.caption.setText(f"The firms could not be compared: {exc.message}")
            return
        phases = list(vocabulary().ids("phases"))
        # long phase names on two lines: the header keeps the columns narrow
        headers = ["Firm", "What set it off"] + [_phase_label(p).replace(" ", "\n", 1)
                                                       if len(_phase_label(p)) > 18 else _phase_label(p)
                                                       for p in phases] + ["Concerns", "Notes", "Actions"]
        self.table.clear()
        self.table.setColumnCount(len(headers))
        self.table.setRowCount(len(rows))
        self.table.setHorizontalHeaderLabels(headers)
        from PySide6.QtWidgets import QTableWidgetItem

        critical = QColor(vocabulary().colour("critical"))
        titles = {(f.id, e.id): e.title for f in study.firms for e in f.event_list}
        cells = _renewal().cross_firm_table(rows)[1]  # the phases' cells, one row per firm
        progress = {}  # each firm's checklist in a few words
        for f in study.firms:
            by: dict[str, int] = {}
            for a in f.action_list:
                by[a.status] = by.get(a.status, 0) + 1
            progress[f.id] = "\n".join(f"{by[s]} {STATUS_LABEL[s]}" for s in ("done", "planned", "not_relevant")
                                       if by.get(s)) or "none set"
        for r, row in enumerate(rows):
            name = QTableWidgetItem(row.name)
            name.setData(Qt.ItemDataRole.UserRole, row.firm_id)
            font = QFont()
            font.setBold(True)
            name.setFont(font)
            self.table.setItem(r, 0, name)
            title = titles.get((row.firm_id, row.incident_event))
            self.table.setItem(r, 1, QTableWidgetItem(
                "\n".join(x for x in (title, row.incident_when) if x) if title else "none recorded"))
            if not row.incident_when:
                self.table.item(r, 1).setForeground(QBrush(QColor(GREY)))
            for c, p in enumerate(phases, 2):  # worded as in workbench tables
                cell = QTableWidgetItem(cells[r][1 + phases.index(p)])
                if not row.phases.get(p, (None, None, 0))[2]:
                    cell.setForeground(QBrush(QColor(GREY)))
                    cell.setToolTip(f"No event of {row.name} is in {_phase_label(p)}")
                self.table.setItem(r, c, cell)
            for c, severity in ((len(headers) - 3, "concern"), (len(headers) - 2, "note")):
                found = [f for f in row.findings if f.severity == severity]
                cell = QTableWidgetItem("\n".join(("⚠ " if severity == "concern" else "• ") + f.message
                                                  for f in found) if found else "none")
                cell.setToolTip("\n\n".join(f"{f.message}\nWhy it matters: {f.reason}\nBasis: {f.citation}"
                                             for f in found))
                if not found or severity == "concern":
                    cell.setForeground(QBrush(critical if found else QColor(GREY)))
                self.table.setItem(r, c, cell)
            self.table.setItem(r, len(headers) - 1, QTableWidgetItem(progress.get(row.firm_id, "")))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(0, 110)
        self.table.setColumnWidth(1, 160)
        for c in range(2, 2 + len(phases)):
            self.table.setColumnWidth(c, 120)
        header.setSectionResizeMode(len(headers) - 3, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(len(headers) - 2, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(len(headers) - 1, 95)
        self.table.resizeRowsToContents()
        self._draw_figure(study)

    def _draw_figure(self, study) -> None:
        """The renewal figure, one lane per firm (drawn by the client branch's
        workbench.render.renewal_figure, where it is installed)."""
        try:
            from ..render.renewal_figure import renewal_graph
        except ImportError:
            self.figure_status.setText("")
            return
        from ..render import engine

        if not study.firms:
            return
        try:
            from ..render.units import A4_LANDSCAPE

            drawn = engine.svg(renewal_graph(study, width=A4_LANDSCAPE).source, "auto")
        except WorkbenchError as exc:
            self.figure_status.setText(f"The renewal figure could not be drawn: {exc.message}")
            return
        from .diagram_tab import ZoomView, show_svg
        from PySide6.QtGui import QPainter
        from PySide6.QtWidgets import QGraphicsScene, QGraphicsView

        if self.figure is None:
            self.scene = QGraphicsScene(self)
            self.figure = ZoomView(self.scene)
            self.figure.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
            self.figure.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
                                       | QPainter.RenderHint.SmoothPixmapTransform)
            self.figure.setBackgroundBrush(QBrush(QColor("white")))
            self.figure.setAccessibleName("Renewal figure")
            self.splitter.addWidget(self.figure)
            self.splitter.setStretchFactor(0, 1)
            self.splitter.setStretchFactor(1, 2)
        self.scene.clear()
        self._renderer = show_svg(self.scene, drawn.data)
        self.figure_status.setText(f"Renewal figure: one lane per firm, aligned on each firm's critical "
                                   f"incident, the events by number under it (drawn with "
                                   f"{drawn.engine}; Ctrl + wheel zooms)")
        # the table as tall as its rows (up to half the page), the figure below it the rest
        need = self.table.horizontalHeader().height() + 2 * self.table.frameWidth() + 4 + sum(
            self.table.rowHeight(r) for r in range(self.table.rowCount()))
        total = max(self.splitter.height(), 400)
        self.splitter.setSizes([min(need, total // 2), total - min(need, total // 2)])
        QTimer.singleShot(0, self._fit)

    def _fit(self) -> None:
        """The figure as wide as the view, its top in view: the lanes large
        enough to read; the list of events under them by scrolling down."""
        if self.figure is None or not self.scene.items():
            return
        rect = self.scene.sceneRect()
        if rect.width() <= 0:
            return
        scale = max(self.figure.viewport().width() - 4, 50) / rect.width()
        self.figure.resetTransform()
        self.figure.scale(scale, scale)
        self.figure.verticalScrollBar().setValue(0)

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._fit()

    def _activated(self, row: int, column: int = 0) -> None:
        item = self.table.item(row, 0)
        if item is None:
            return
        firm_id = item.data(Qt.ItemDataRole.UserRole)
        incident = next((r.incident_event for r in self.rows if r.firm_id == firm_id), None)
        if column == 1 and incident:
            self.eventActivated.emit(firm_id, incident)
        else:
            self.firmActivated.emit(firm_id)


# --------------------------------------------------------------------------- the tab


class RenewalTab(QWidget):
    """Where the firm stands, its action checklist, and all firms side by
    side, as three pages; each loads when shown and again after an edit
    that changes what it shows."""

    eventActivated = Signal(str, str)  # firm id, event id: show it in the Events tab
    firmActivated = Signal(str)        # a firm chosen in the cross-firm table

    def __init__(self, controller: StudyController):
        super().__init__()
        self.controller = controller
        self.firm_id: str | None = None
        self.diagnosis = DiagnosisPage(controller)
        self.checklist = ChecklistPage(controller)
        self.cross = CrossFirmPage(controller)
        self.pages = QTabWidget()
        self.pages.setDocumentMode(True)
        self.pages.addTab(self.diagnosis, "Where the firm stands")
        self.pages.addTab(self.checklist, "Action checklist")
        self.pages.addTab(self.cross, "All firms side by side")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)
        self.diagnosis.eventActivated.connect(self.eventActivated)
        self.cross.firmActivated.connect(self._firm_chosen)
        self.cross.eventActivated.connect(self.eventActivated)
        controller.changed.connect(self._changed)
        controller.firmsChanged.connect(self._firms_changed)

    def set_firm(self, firm_id: str | None) -> None:
        self.firm_id = firm_id
        self.diagnosis.set_firm(firm_id)
        self.checklist.set_firm(firm_id)

    def _changed(self, firm_id: str, table: str) -> None:
        if table not in WATCHED:
            return
        if firm_id == (self.firm_id or "") or table == "firms":
            self.diagnosis.mark_stale()
            self.checklist.mark_stale()
        self.cross.mark_stale()

    def _firms_changed(self) -> None:
        self.cross.mark_stale()

    def _firm_chosen(self, firm_id: str) -> None:
        self.firmActivated.emit(firm_id)
        self.pages.setCurrentWidget(self.diagnosis)
