"""Inline editors for the tables: text, a combo box for one choice, and a
checkable list for several (stages, learning types, sources), each choice
with its definition as a tooltip. The first checked stage or type is the
primary one; keys 1-5 and N/M/C in the events table set it directly.

The delegate tells the table's model when an editor opens and closes, so
that the model never reloads under one (see models.py). A multi-line cell
(notes, activity, outcome) takes Enter as a new line; Tab saves it and
moves on, as in every other cell, and a tab character is never stored."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QLineEdit, QListWidget, QListWidgetItem,
                               QPlainTextEdit, QStyledItemDelegate)

from .models import ObjectTableModel, choices


class MultiSelect(QListWidget):
    """A checkable list that keeps the order things were checked in (the
    first is the primary)."""

    def __init__(self, parent, items: list[tuple[str, str, str]], selected: list[str]):
        super().__init__(parent)
        self.order = [s for s in selected]
        for value, label, tip in items:
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, value)
            item.setToolTip(tip)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsSelectable)
            item.setCheckState(Qt.CheckState.Checked if value in selected else Qt.CheckState.Unchecked)
            self.addItem(item)
        self.itemChanged.connect(self._changed)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAutoFillBackground(True)

    def _changed(self, item: QListWidgetItem) -> None:
        value = item.data(Qt.ItemDataRole.UserRole)
        if item.checkState() == Qt.CheckState.Checked and value not in self.order:
            self.order.append(value)
        elif item.checkState() != Qt.CheckState.Checked and value in self.order:
            self.order.remove(value)

    def values(self) -> list[str]:
        return list(self.order)

    def set_checked(self, values: list[str]) -> None:
        for i in range(self.count()):
            item = self.item(i)
            checked = item.data(Qt.ItemDataRole.UserRole) in values
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.order = [v for v in values]


class CellTextEdit(QPlainTextEdit):
    """The editor of a multi-line cell: Enter makes a new line; Tab and
    Shift+Tab save and move to the next or previous cell, as in every other
    cell (Qt leaves Tab to a text editor, which would type a tab character
    or move the focus out of the table)."""

    leave = Signal(object)  # how the user left it: a QAbstractItemDelegate.EndEditHint

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setPlaceholderText("Enter: a new line. Tab: save and go on. Ctrl+Enter: save.")

    def event(self, event):
        if event.type() == QEvent.Type.KeyPress:
            mods = event.modifiers()
            hint = QStyledItemDelegate.EndEditHint
            if event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) \
                    and not mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
                back = event.key() == Qt.Key.Key_Backtab or bool(mods & Qt.KeyboardModifier.ShiftModifier)
                self.leave.emit(hint.EditPreviousItem if back else hint.EditNextItem)
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and mods & Qt.KeyboardModifier.ControlModifier:
                self.leave.emit(hint.SubmitModelCache)
                return True
        return super().event(event)

    def text(self) -> str:
        return self.toPlainText().replace("\t", " ")  # pasted tabs too


class _KeepsF2(QObject):
    """F2 edits the current cell of a table, as everywhere in Qt: the
    window's Rename firm shortcut (F2 too) must not take it from a table
    (nor from a cell's editor: the key goes up to the table, which ignores
    it while editing)."""

    def eventFilter(self, obj, event):
        if (event.type() == QEvent.Type.ShortcutOverride and event.key() == Qt.Key.Key_F2
                and event.modifiers() == Qt.KeyboardModifier.NoModifier):
            event.accept()  # the key goes to the table (which opens the editor), not to the shortcut
            return True
        return False


def keeps_f2(widget) -> None:
    widget.installEventFilter(_KeepsF2(widget))


class TrackingDelegate(QStyledItemDelegate):
    """A delegate that knows the editors open on its view, so that the
    view's owner can hold a reload back until the user has finished typing
    (see AfterEditing), or save and close them before it changes the rows."""

    editorGone = Signal()
    TRACKED = "lpwTracked"

    def __init__(self, parent=None):
        super().__init__(parent)
        self._editors: list = []

    @property
    def open_editors(self) -> int:
        return len(self._editors)

    def createEditor(self, parent, option, index):
        editor = self._create_editor(parent, option, index)
        if editor is not None:
            editor.setProperty(self.TRACKED, True)
            self._editors.append(editor)
            self.editor_opened(index)
        return editor

    def _create_editor(self, parent, option, index):
        return super().createEditor(parent, option, index)

    def destroyEditor(self, editor, index):
        if editor.property(self.TRACKED):
            editor.setProperty(self.TRACKED, False)
            self._editors = [e for e in self._editors if e is not editor]
            self.editor_closed()
        super().destroyEditor(editor, index)
        self.editorGone.emit()

    def editor_opened(self, index) -> None:
        pass

    def editor_closed(self) -> None:
        pass

    def finish_editing(self) -> None:
        """Save and close the open editor, as leaving the cell would: before
        a command (Add, Delete, another event) changes the rows under it."""
        for editor in list(self._editors):
            self.commitData.emit(editor)
            self.closeEditor.emit(editor, self.EndEditHint.NoHint)


class AfterEditing(QObject):
    """Runs ``fn`` at once, or, while an editor is open on the grid, once
    the user has finished: after Tab, the next cell's editor opens as soon
    as this one closes, so it waits for the event loop and looks again."""

    def __init__(self, delegate: TrackingDelegate, fn):
        super().__init__(delegate)
        self.delegate, self.fn, self.pending = delegate, fn, False
        delegate.editorGone.connect(self._closed)

    def __call__(self) -> None:
        if self.delegate.open_editors:
            self.pending = True
        else:
            self.pending = False
            self.fn()

    def _closed(self) -> None:
        if self.pending:
            QTimer.singleShot(0, self, self._retry)

    def _retry(self) -> None:
        if self.pending:
            self()


class FieldDelegate(TrackingDelegate):
    """Chooses the editor from the model's column description, and tells
    the model when an editor opens and closes (it never reloads under one)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._model: ObjectTableModel | None = None

    def editor_opened(self, index) -> None:
        model = index.model()
        if isinstance(model, ObjectTableModel):
            self._model = model
            model.editor_opened()

    def editor_closed(self) -> None:
        if self._model is not None:
            self._model.editor_closed()

    def _column(self, index):
        model = index.model()
        return model.columns[index.column()] if isinstance(model, ObjectTableModel) else None

    def _choices(self, model: ObjectTableModel, col) -> list[tuple[str, str, str]]:
        if col.kind in ("ref", "refs"):
            names = model.source_names if col.ref == "sources" else model.routine_names
            return [(i, n, i) for i, n in names.items()]
        return choices(col.vocab, model.controller.session.framework)

    def _create_editor(self, parent, option, index):
        col = self._column(index)
        if col is None:
            return super().createEditor(parent, option, index)
        model: ObjectTableModel = index.model()
        if col.kind in ("choice", "ref"):
            box = QComboBox(parent)
            box.addItem("(none)", "")
            for value, label, tip in self._choices(model, col):
                if col.kind == "ref" and value == model.object_at(index.row())["id"]:
                    continue  # a source is not brokered by itself
                box.addItem(label, value)
                box.setItemData(box.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
            return box
        if col.kind in ("multi", "refs"):
            selected = model.object_at(index.row()).get(col.key) or []
            editor = MultiSelect(parent, self._choices(model, col), selected)
            return editor
        if col.kind == "long":
            editor = CellTextEdit(parent)
            editor.leave.connect(lambda hint, e=editor: self._leave(e, hint))
            return editor
        return QLineEdit(parent)

    def _leave(self, editor, hint) -> None:
        self.commitData.emit(editor)
        self.closeEditor.emit(editor, hint)

    def updateEditorGeometry(self, editor, option, index):
        rect = option.rect
        if isinstance(editor, MultiSelect):
            height = min(24 * editor.count() + 8, 260)
            rect = rect.adjusted(0, 0, max(0, 220 - rect.width()), 0)
            rect.setHeight(height)
        elif isinstance(editor, QPlainTextEdit):
            rect.setHeight(max(rect.height(), 90))
        editor.setGeometry(rect)

    def setEditorData(self, editor, index):
        value = index.data(Qt.ItemDataRole.EditRole)
        if isinstance(editor, QComboBox):
            i = editor.findData(value or "")
            editor.setCurrentIndex(max(i, 0))
        elif isinstance(editor, MultiSelect):
            editor.set_checked(list(value or []))
        elif isinstance(editor, QPlainTextEdit):
            editor.setPlainText(value or "")
        elif isinstance(editor, QLineEdit):
            editor.setText("" if value is None else str(value))
        else:
            super().setEditorData(editor, index)

    def setModelData(self, editor, model, index):
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData() or "", Qt.ItemDataRole.EditRole)
        elif isinstance(editor, MultiSelect):
            model.setData(index, editor.values(), Qt.ItemDataRole.EditRole)
        elif isinstance(editor, (CellTextEdit, QLineEdit)):
            model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)
        else:
            super().setModelData(editor, model, index)

    def sizeHint(self, option, index):
        hint = super().sizeHint(option, index)
        return QSize(hint.width(), max(hint.height(), 24))
