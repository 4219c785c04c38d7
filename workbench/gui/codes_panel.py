"""The Codes dock: the study's own codes as a tree (name, colour, how many
events, quotes and passages carry each), made, renamed, described,
coloured, moved, merged and deleted there, and applied to the events
selected in the Events tab. Every change is one step of Edit → Undo,
made through the window's StudyController."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QGridLayout, QHBoxLayout, QHeaderView,
                               QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton, QTreeWidget,
                               QTreeWidgetItem, QVBoxLayout, QWidget)

from ..core.errors import WorkbenchError
from .delegates import keeps_f2
from .tabs import CommitTextEdit

if TYPE_CHECKING:
    from .controller import StudyController

ID = Qt.ItemDataRole.UserRole


def swatch(colour: str | None, size: int = 12) -> QIcon:
    """A small square of the code's colour (without one, a blank of its size:
    an empty frame would read as a second tick box)."""
    pix = QPixmap(size, size)
    pix.fill(QColor(colour) if colour else QColor(0, 0, 0, 0))  # none: room kept, nothing drawn
    return QIcon(pix)


def code_tree(codes: list[dict]) -> list[tuple[dict, int]]:
    """The codes in the order the tree shows them, each with its depth: a
    code's children follow it, in the study's order (a code whose parent
    is missing stands at the top)."""
    ids = {c["id"] for c in codes}
    children: dict[str | None, list[dict]] = {}
    for c in codes:
        parent = c.get("parent") if c.get("parent") in ids else None
        children.setdefault(parent, []).append(c)
    out: list[tuple[dict, int]] = []
    seen: set[str] = set()

    def walk(parent: str | None, depth: int) -> None:
        for c in children.get(parent, ()):
            if c["id"] in seen:
                continue
            seen.add(c["id"])
            out.append((c, depth))
            walk(c["id"], depth + 1)
    walk(None, 0)
    return out


def descendants(codes: list[dict], code_id: str) -> set[str]:
    """The codes under ``code_id``, at any depth."""
    out: set[str] = set()
    frontier = {code_id}
    while frontier:
        frontier = {c["id"] for c in codes if c.get("parent") in frontier} - out
        out |= frontier
    return out


class CodePicker(QDialog):
    """Pick one code (or, with ``top``, the top level): type to narrow the
    list, arrows to move, Enter to choose."""

    TOP = "\x00top"

    def __init__(self, parent, title: str, prompt: str, codes: list[tuple[dict, int]], top: str | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        label = QLabel(prompt)
        label.setWordWrap(True)
        layout.addWidget(label)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Type to narrow the list")
        layout.addWidget(self.filter)
        self.list = QListWidget()
        if top:
            item = QListWidgetItem(top)
            item.setData(ID, self.TOP)
            self.list.addItem(item)
        for code, depth in codes:
            item = QListWidgetItem("    " * depth + code["name"])
            item.setData(ID, code["id"])
            item.setIcon(swatch(code.get("colour")))
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        layout.addWidget(self.list)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.filter.textChanged.connect(self._narrow)
        self.filter.returnPressed.connect(self.accept)
        self.list.itemActivated.connect(lambda _: self.accept())
        self.filter.installEventFilter(self)
        self.resize(360, 380)

    def eventFilter(self, obj, event):
        from PySide6.QtCore import QEvent

        if obj is self.filter and event.type() == QEvent.Type.KeyPress \
                and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            rows = [i for i in range(self.list.count()) if not self.list.item(i).isHidden()]
            if rows:
                cur = self.list.currentRow()
                at = rows.index(cur) if cur in rows else 0
                at = max(0, min(len(rows) - 1, at + (1 if event.key() == Qt.Key.Key_Down else -1)))
                self.list.setCurrentRow(rows[at])
            return True
        return super().eventFilter(obj, event)

    def _narrow(self, text: str) -> None:
        words = text.casefold().split()
        first = None
        for i in range(self.list.count()):
            item = self.list.item(i)
            shown = all(w in item.text().casefold() for w in words)
            item.setHidden(not shown)
            if shown and first is None:
                first = i
        if first is not None:
            self.list.setCurrentRow(first)

    def chosen(self) -> str | None:
        item = self.list.currentItem()
        if item is None or item.isHidden():
            return None
        return item.data(ID)

    @classmethod
    def pick(cls, parent, title: str, prompt: str, codes: list[tuple[dict, int]],
             top: str | None = None) -> str | None:
        dlg = cls(parent, title, prompt, codes, top)
        try:
            return dlg.chosen() if dlg.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dlg.deleteLater()


class CodeTree(QTreeWidget):
    """The tree; a code dropped on another goes under it, between two it
    goes beside them (the panel makes the move, as one step)."""

    def __init__(self, panel: "CodesPanel"):
        super().__init__()
        self.panel = panel
        # short headings: the names keep the width of a narrow dock (each says in full as a tooltip)
        self.setHeaderLabels(["Code", "Ev", "Qt", "Ps"])
        self.setColumnCount(4)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in (1, 2, 3):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
            self.headerItem().setTextAlignment(c, Qt.AlignmentFlag.AlignRight)
        self.headerItem().setToolTip(1, "Events: how many events carry the code")
        self.headerItem().setToolTip(2, "Quotes: how many quotes (evidence of events) carry it")
        self.headerItem().setToolTip(3, "Passages: how many coded passages of documents carry it")
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed
                             | QAbstractItemView.EditTrigger.SelectedClicked)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setUniformRowHeights(True)
        keeps_f2(self)  # F2 renames the code, not the firm (the window's F2)

    def edit(self, index, trigger=None, event=None):
        """Only the name is edited (F2 on a count opens the name)."""
        if trigger is None:
            return super().edit(index)
        if index.isValid() and index.column() != 0:
            index = index.siblingAtColumn(0)
        return super().edit(index, trigger, event)

    def dropEvent(self, event) -> None:
        dragged = self.currentItem()
        target = self.itemAt(event.position().toPoint())
        where = self.dropIndicatorPosition()
        event.setDropAction(Qt.DropAction.IgnoreAction)
        event.accept()  # the tree is never changed by the drop itself: the study is, then it is shown again
        if dragged is None:
            return
        code_id = dragged.data(0, ID)
        if target is None or where == QAbstractItemView.DropIndicatorPosition.OnViewport:
            self.panel.move_to(code_id, None, None)
            return
        target_id = target.data(0, ID)
        if where == QAbstractItemView.DropIndicatorPosition.OnItem:
            self.panel.move_to(code_id, target_id, None)
        else:
            parent = target.parent().data(0, ID) if target.parent() else None
            self.panel.move_to(code_id, parent, (target_id, where == QAbstractItemView.DropIndicatorPosition.AboveItem))


class CodesPanel(QWidget):
    """The study's own codes (see the module's note)."""

    def __init__(self, window):
        super().__init__()
        self.window_ = window
        self.controller: StudyController | None = None
        self._loading = False
        self._pending: QTreeWidgetItem | None = None  # a new code whose name is being typed
        self._pending_parent: str | None = None
        self._described: str | None = None  # the code whose description the box shows
        self.codes: list[dict] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)

        buttons = QGridLayout()
        buttons.setSpacing(4)
        self.buttons: dict[str, QPushButton] = {}
        for n, (key, text, slot, tip) in enumerate((
                ("new", "New code", self.new_code, "A new code at the top level: type its name, then Enter"),
                ("sub", "New sub-code", self.new_subcode, "A new code under the selected one"),
                ("merge", "Merge into…", self.merge_dialog,
                 "Merge the selected code into another: what carries it then carries the other"),
                ("delete", "Delete…", self.delete_dialog,
                 "Delete the selected code: it comes off every event, quote and passage"),
                ("under", "Move under…", self.move_under_dialog,
                 "Put the selected code under another (or at the top level); you can also drag it"),
                ("up", "↑", lambda: self.move_step(-1), "Move the selected code up among its siblings"),
                ("down", "↓", lambda: self.move_step(+1), "Move the selected code down among its siblings"))):
            b = QPushButton(text)
            b.setToolTip(tip)
            b.setAccessibleName({"up": "Move code up", "down": "Move code down"}.get(key, text.rstrip("…")))
            b.clicked.connect(lambda _=False, s=slot: s())
            self.buttons[key] = b
        grid = [("new", 0, 0, 1, 2), ("sub", 0, 2, 1, 2), ("merge", 1, 0, 1, 2), ("delete", 1, 2, 1, 2),
                ("under", 2, 0, 1, 2), ("up", 2, 2, 1, 1), ("down", 2, 3, 1, 1)]
        for key, r, c, rs, cs in grid:
            buttons.addWidget(self.buttons[key], r, c, rs, cs)
        layout.addLayout(buttons)

        self.tree = CodeTree(self)
        self.tree.itemChanged.connect(self._item_changed)
        self.tree.itemDelegate().closeEditor.connect(lambda *_: QTimer.singleShot(0, self, self._drop_pending))
        self.tree.currentItemChanged.connect(lambda *_: self._show_selected())
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.tree, 1)
        QShortcut(QKeySequence.StandardKey.Delete, self.tree, self.delete_dialog,
                  context=Qt.ShortcutContext.WidgetShortcut)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(lambda pos: self.context_menu().exec(
            self.tree.viewport().mapToGlobal(pos)))

        self.description = CommitTextEdit()
        self.description.setPlaceholderText("What the code means: when to use it, when not")
        self.description.setMaximumHeight(64)
        self.description.committed.connect(self._set_description)
        self.description_label = QLabel("Description")
        layout.addWidget(self.description_label)
        layout.addWidget(self.description)
        colour_row = QHBoxLayout()
        self.colour_button = QPushButton("Colour…")
        self.colour_button.setToolTip("The colour the code is shown in")
        self.colour_button.clicked.connect(self.choose_colour)
        self.no_colour = QPushButton("No colour")
        self.no_colour.clicked.connect(lambda: self.set_colour(None))
        colour_row.addWidget(self.colour_button)
        colour_row.addWidget(self.no_colour)
        colour_row.addStretch()
        layout.addLayout(colour_row)

        apply_row = QHBoxLayout()
        self.apply_button = QPushButton("Apply to selected events")
        self.apply_button.setToolTip("Put the selected codes on the events selected in the Events tab")
        self.apply_button.clicked.connect(lambda: self.apply_to_events(True))
        self.remove_button = QPushButton("Take off")
        self.remove_button.setToolTip("Take the selected codes off the events selected in the Events tab")
        self.remove_button.clicked.connect(lambda: self.apply_to_events(False))
        apply_row.addWidget(self.apply_button, 1)
        apply_row.addWidget(self.remove_button)
        layout.addLayout(apply_row)
        self.query_button = QPushButton("Show the passages carrying it")
        self.query_button.setToolTip("The coding query, in the Search panel: every passage and quote with this code")
        self.query_button.clicked.connect(self.show_passages)
        layout.addWidget(self.query_button)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #555")
        layout.addWidget(self.note)
        self.attach(None)

    def context_menu(self):
        """Right-click on the tree: what the buttons do, for the code under the pointer."""
        from PySide6.QtWidgets import QMenu

        menu = QMenu(self)
        one = self.current_id() is not None
        for text, slot, enabled in (("Rename\tF2", self.rename, one), ("New code", self.new_code, True),
                                    ("New sub-code", self.new_subcode, one), (None, None, None),
                                    ("Colour…", self.choose_colour, one),
                                    ("No colour", lambda: self.set_colour(None), one),
                                    (None, None, None), ("Move under…", self.move_under_dialog, one),
                                    ("Merge into…", self.merge_dialog, one), ("Delete…", self.delete_dialog, one),
                                    (None, None, None),
                                    ("Apply to selected events", lambda: self.apply_to_events(True), one),
                                    ("Take off selected events", lambda: self.apply_to_events(False), one),
                                    ("Show the passages carrying it", self.show_passages, one)):
            if text is None:
                menu.addSeparator()
                continue
            act = menu.addAction(text)
            act.setEnabled(bool(enabled) and self.controller is not None)
            act.triggered.connect(lambda _=False, s=slot: s())
        return menu

    # ------------------------------------------------------------------ the study

    def attach(self, controller: StudyController | None) -> None:
        """Show the codes of the study ``controller`` holds (None: no study)."""
        if self.controller is not None:
            try:
                self.controller.changed.disconnect(self._changed)
            except (RuntimeError, TypeError):
                pass
        self.controller = controller
        if controller is not None:
            controller.changed.connect(self._changed)
        self.reload()

    def _changed(self, _firm: str, table: str) -> None:
        if table in ("codes", "events", "passages", "documents", "firms"):
            self._stale = True
            if self.isVisible():
                QTimer.singleShot(0, self, self.reload)  # not under the editor whose commit changed it

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if getattr(self, "_stale", False):
            self.reload()

    def reload(self) -> None:
        if self.tree.state() == QAbstractItemView.State.EditingState:
            QTimer.singleShot(100, self, self.reload)
            return
        self._stale = False
        selected = self.selected_ids()
        current = self.current_id()
        self._loading = True
        try:
            self._pending = None
            self.tree.clear()
            self.codes = self.controller.session.objects("codes", None) if self.controller else []
            counts = self.controller.session.code_counts() if self.controller else {}
            items: dict[str, QTreeWidgetItem] = {}
            for code, _depth in code_tree(self.codes):
                parent = items.get(code.get("parent"))
                item = QTreeWidgetItem(parent) if parent is not None else QTreeWidgetItem(self.tree)
                n = counts.get(code["id"], {})
                item.setText(0, code["name"])
                item.setData(0, ID, code["id"])
                item.setIcon(0, swatch(code.get("colour")))
                if code.get("description"):
                    item.setToolTip(0, code["description"])
                for col, key in ((1, "events"), (2, "quotes"), (3, "passages")):
                    item.setText(col, str(n.get(key, 0)))
                    item.setToolTip(col, f"{n.get(key, 0)} {key if n.get(key, 0) != 1 else key[:-1]}")
                    item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsDragEnabled
                              | Qt.ItemFlag.ItemIsDropEnabled)
                items[code["id"]] = item
            self.tree.expandAll()
            for code_id in selected:
                if code_id in items:
                    items[code_id].setSelected(True)
            if current in items:
                self.tree.setCurrentItem(items[current], 0,
                                         self.tree.selectionModel().SelectionFlag.NoUpdate)
        finally:
            self._loading = False
        self._show_selected()
        if self.controller and not self.codes:
            self._say("No codes yet: “New code” makes one. Codes are your own themes, built from the material.")

    def item_of(self, code_id: str) -> QTreeWidgetItem | None:
        for item in self._items():
            if item.data(0, ID) == code_id:
                return item
        return None

    def _items(self) -> list[QTreeWidgetItem]:
        out = []
        stack = [self.tree.topLevelItem(i) for i in reversed(range(self.tree.topLevelItemCount()))]
        while stack:
            item = stack.pop()
            out.append(item)
            stack.extend(item.child(i) for i in reversed(range(item.childCount())))
        return out

    def current_id(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, ID) if item is not None and item is not self._pending else None

    def selected_ids(self) -> list[str]:
        ids = [i.data(0, ID) for i in self._items() if i.isSelected() and i.data(0, ID)]
        if not ids and self.current_id():
            ids = [self.current_id()]
        return ids

    def code(self, code_id: str) -> dict:
        return next(c for c in self.codes if c["id"] == code_id)

    def _say(self, text: str) -> None:
        self.note.setText(text)

    def _update_buttons(self) -> None:
        has_study = self.controller is not None
        one = self.current_id() is not None
        self.buttons["new"].setEnabled(has_study)
        for key in ("sub", "merge", "delete", "under", "up", "down"):
            self.buttons[key].setEnabled(one)
        for w in (self.description, self.colour_button, self.no_colour, self.query_button):
            w.setEnabled(one)
        self.apply_button.setEnabled(bool(self.selected_ids()))
        self.remove_button.setEnabled(bool(self.selected_ids()))

    def _show_selected(self) -> None:
        code_id = self.current_id()
        if code_id != self._described:
            self.description.commit()  # what was typed belongs to the code it was typed for
        self._described = code_id
        self._loading = True
        try:
            self.description.load(self.code(code_id).get("description") if code_id else "")
            self.description_label.setText(f"Description of “{self.code(code_id)['name']}”" if code_id
                                           else "Description (select a code)")
        finally:
            self._loading = False
        self._update_buttons()

    def _run(self, fn, done: str = "") -> bool:
        """An edit as one step; a refusal is said in the window's usual way."""
        if self.controller is None:
            return False
        try:
            self.controller.call(fn)
        except WorkbenchError as exc:
            self.controller.error.emit(exc.message)
            return False
        if done:
            self._say(done)
        return True

    # ------------------------------------------------------------------ new, rename, describe, colour

    def new_code(self, parent: str | None = None) -> None:
        """A row to type the new code's name in; Enter makes it, Escape drops it."""
        if self.controller is None:
            return
        self._drop_pending()
        self._loading = True
        try:
            under = self.item_of(parent) if parent else None
            item = QTreeWidgetItem(under) if under is not None else QTreeWidgetItem(self.tree)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            item.setIcon(0, swatch(None))
            if under is not None:
                under.setExpanded(True)
        finally:
            self._loading = False
        self._pending, self._pending_parent = item, parent
        self.tree.setCurrentItem(item)
        self.tree.scrollToItem(item)
        self.tree.setFocus()
        self.tree.editItem(item, 0)
        self._say("Type the new code's name, then Enter (Escape: no new code)")

    def new_subcode(self) -> None:
        if self.current_id():
            self.new_code(self.current_id())

    def _drop_pending(self) -> None:
        """The new-code row left without a name goes."""
        item = self._pending
        if item is None or self.tree.state() == QAbstractItemView.State.EditingState:
            return
        self._pending = None
        self._loading = True
        try:
            (item.parent() or self.tree.invisibleRootItem()).removeChild(item)
        finally:
            self._loading = False
        self._show_selected()

    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._loading or column != 0 or self.controller is None:
            return
        name = " ".join(item.text(0).split())
        if item is self._pending:
            if not name:
                return
            self._pending = None
            self.create(name, self._pending_parent)
            return
        code_id = item.data(0, ID)
        if not any(c["id"] == code_id for c in self.codes):
            return  # the new-code row, made already
        old = self.code(code_id)["name"]
        if not name:
            self._say("A code needs a name: the old one is kept")
            QTimer.singleShot(0, self, self.reload)
        elif name != old:
            self.controller.set_field("codes", None, code_id, "name", name, text=f"Rename code {old} to {name}")

    def create(self, name: str, parent: str | None = None) -> str | None:
        """Make a code called ``name`` (under ``parent``): one step."""
        from ..documents import doc_id_for

        same = next((c for c in self.codes if c["name"].casefold() == name.casefold()), None)
        if same is not None:  # most likely meant: the code there is
            QTimer.singleShot(0, self, lambda: self.select(same["id"]))
            self._say(f"There is a code “{same['name']}” already: it is selected")
            return None
        taken = {c["id"] for c in self.codes}
        code_id = doc_id_for(name, taken)
        code = {"id": code_id, "name": name}
        if parent:
            code["parent"] = parent
        self._new_id = code_id
        if not self.controller.insert("codes", None, code, text=f"New code {name}"):
            QTimer.singleShot(0, self, self.reload)
            return None
        QTimer.singleShot(0, self, lambda: self.select(code_id))
        self._say(f"Made the code “{name}”. Select events in the Events tab, then “Apply to selected events”.")
        return code_id

    def select(self, code_id: str) -> None:
        if self.tree.state() == QAbstractItemView.State.EditingState:
            return
        self.reload()
        item = self.item_of(code_id)
        if item is not None:
            self.tree.setCurrentItem(item)
            self.tree.scrollToItem(item)

    def rename(self) -> None:
        """F2 in the tree does the same: the name opens for typing."""
        item = self.tree.currentItem()
        if item is not None:
            self.tree.editItem(item, 0)

    def _set_description(self, text: str) -> None:
        code_id = self._described  # the code whose description was being typed
        if self._loading or not code_id or self.controller is None \
                or not any(c["id"] == code_id for c in self.codes):
            return
        value = text.strip() or None
        if value != self.code(code_id).get("description"):
            self.controller.set_field("codes", None, code_id, "description", value,
                                      text=f"Describe code {self.code(code_id)['name']}")

    def choose_colour(self) -> None:
        from PySide6.QtWidgets import QColorDialog

        code_id = self.current_id()
        if not code_id:
            return
        now = self.code(code_id).get("colour")
        colour = QColorDialog.getColor(QColor(now) if now else QColor(Qt.GlobalColor.darkCyan), self,
                                       f"Colour of “{self.code(code_id)['name']}”")
        if colour.isValid():
            self.set_colour(colour.name().upper())

    def set_colour(self, colour: str | None) -> None:
        code_id = self.current_id()
        if code_id and self.controller is not None and colour != self.code(code_id).get("colour"):
            self.controller.set_field("codes", None, code_id, "colour", colour,
                                      text=f"Colour code {self.code(code_id)['name']}")

    # ------------------------------------------------------------------ move, merge, delete

    def _flat_index(self, code_id: str) -> int:
        return next(i for i, c in enumerate(self.codes) if c["id"] == code_id)

    def move_to(self, code_id: str, parent: str | None, beside: tuple[str, bool] | None) -> bool:
        """Put a code under ``parent`` (None: the top level), before
        (``(id, True)``) or after (``(id, False)``) a code there, or last
        among its children: one step."""
        if self.controller is None or code_id == parent or (beside and beside[0] == code_id):
            return False
        code = self.code(code_id)
        if parent is not None and parent in descendants(self.codes, code_id):
            self._say(f"“{self.code(parent)['name']}” sits under “{code['name']}”: "
                      "a code cannot go under itself")
            return False
        old = self._flat_index(code_id)
        if beside is not None:
            at = self._flat_index(beside[0])
            k = at if beside[1] else max([at] + [self._flat_index(d) for d in descendants(self.codes, beside[0])]) + 1
        elif parent is not None:
            k = max([self._flat_index(parent)]
                    + [self._flat_index(d) for d in descendants(self.codes, parent) if d != code_id]) + 1
        else:
            k = len(self.codes)
        position = k - (1 if old < k else 0)
        where = f"under {self.code(parent)['name']}" if parent else "to the top level"
        if code.get("parent") == parent and position == old:
            return False

        def do(s):
            with s.group(f"Move code {code['name']} {where}"):
                if code.get("parent") != parent:
                    s.set_field("codes", None, code_id, "parent", parent)
                s.move("codes", None, code_id, position)
        if self._run(do):
            QTimer.singleShot(0, self, lambda: self.select(code_id))
            return True
        return False

    def move_step(self, delta: int) -> None:
        """Up or down among its siblings."""
        code_id = self.current_id()
        if not code_id:
            return
        item = self.item_of(code_id)
        holder = item.parent() or self.tree.invisibleRootItem()
        i = holder.indexOfChild(item) + delta
        if 0 <= i < holder.childCount():
            other = holder.child(i).data(0, ID)
            self.move_to(code_id, self.code(code_id).get("parent"), (other, delta < 0))

    def _other_codes(self, code_id: str) -> list:
        """The codes, as (code, depth) in tree order, that ``code_id`` may go
        under or into: neither itself nor any code beneath it."""
        skip = descendants(self.codes, code_id) | {code_id}
        return [(c, d) for c, d in code_tree(self.codes) if c["id"] not in skip]

    def move_under_dialog(self) -> None:
        code_id = self.current_id()
        if not code_id:
            return
        code = self.code(code_id)
        choices = self._other_codes(code_id)
        picked = CodePicker.pick(self, "Move code under…", f"Put “{code['name']}” under:", choices,
                                 top="(the top level)")
        if picked is not None:
            self.move_to(code_id, None if picked == CodePicker.TOP else picked, None)

    def merge_dialog(self) -> None:
        code_id = self.current_id()
        if not code_id:
            return
        code = self.code(code_id)
        choices = self._other_codes(code_id)
        if not choices:
            self._say("There is no other code to merge it into")
            return
        picked = CodePicker.pick(self, "Merge into…",
                                 f"Merge “{code['name']}” into (what carries “{code['name']}” then carries it, "
                                 f"and “{code['name']}” is gone):", choices)
        if picked:
            self.merge(code_id, picked)

    def merge(self, code_id: str, into: str) -> bool:
        name, target = self.code(code_id)["name"], self.code(into)["name"]
        if self._run(lambda s: s.merge_codes(code_id, into), f"Merged “{name}” into “{target}”"):
            QTimer.singleShot(0, self, lambda: self.select(into))
            return True
        return False

    def uses(self, code_id: str) -> str:
        """How many events, quotes and passages carry a code, in words."""
        n = self.controller.session.code_counts().get(code_id, {})
        parts = [f"{n[k]} {k if n[k] != 1 else k[:-1]}" for k in ("events", "quotes", "passages") if n.get(k)]
        return ", ".join(parts)

    def delete_dialog(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        code_id = self.current_id()
        if not code_id:
            return
        code = self.code(code_id)
        used = self.uses(code_id)
        text = f"Delete the code “{code['name']}”?\n\n"
        text += f"It is used on {used}; it will be taken off them." if used else "Nothing carries it yet."
        under = [c for c in self.codes if c.get("parent") == code_id]
        if under:
            text += (f"\nThe {len(under)} codes under it move up a level." if len(under) > 1
                     else f"\nThe code under it, “{under[0]['name']}”, moves up a level.")
        text += "\n\nYou can undo this (Ctrl+Z)."
        if QMessageBox.question(self, "Delete code", text) == QMessageBox.StandardButton.Yes:
            self._run(lambda s: s.delete_code(code_id), f"Deleted the code “{code['name']}”")

    # ------------------------------------------------------------------ events

    def apply_to_events(self, on: bool = True) -> int:
        """Put the selected codes on (or take them off) the events selected
        in the Events tab: one step. Returns how many events changed."""
        window = self.window_
        codes = self.selected_ids()
        if self.controller is None or not codes or not window.firm_id:
            return 0
        tab = window.events_tab
        ids = tab.selected_ids() if tab is not None else []
        if not ids:
            self._say("Select events in the Events tab first (Ctrl+click or Shift+click for several)")
            return 0
        firm = window.firm_id
        names = ", ".join(self.code(c)["name"] for c in codes)
        events = self.controller.session.events_by_id(firm, ids)
        changes = []
        for event_id in ids:
            now = list(events[event_id].get("codes") or [])
            new = now + [c for c in codes if c not in now] if on else [c for c in now if c not in codes]
            if new != now:
                changes.append((event_id, new or None))
        if not changes:
            self._say(f"The selected events {'already carry' if on else 'do not carry'} {names}")
            return 0
        n = len(changes)
        label = (f"Code {n} event{'s' if n != 1 else ''} with {names}" if on
                 else f"Take {names} off {n} event{'s' if n != 1 else ''}")

        def do(s):
            with s.group(label):
                for event_id, new in changes:
                    s.set_field("events", firm, event_id, "codes", new)
        if self._run(do, label):
            return n
        return 0

    def show_passages(self) -> None:
        code_id = self.current_id()
        if code_id and hasattr(self.window_, "coding_query"):
            self.window_.coding_query(code_id)
