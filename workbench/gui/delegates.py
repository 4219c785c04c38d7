"""Inline editors for the tables: text, a combo box for one choice, and a
checkable list for several (stages, learning types, sources), each choice
with its definition as a tooltip. The first checked stage or type is the
primary one; keys 1-5 and N/M/C in the events table set it directly."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
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


class FieldDelegate(QStyledItemDelegate):
    """Chooses the editor from the model's column description."""

    def _column(self, index):
        model = index.model()
        return model.columns[index.column()] if isinstance(model, ObjectTableModel) else None

    def _choices(self, model: ObjectTableModel, col) -> list[tuple[str, str, str]]:
        if col.kind in ("ref", "refs"):
            names = model.source_names if col.ref == "sources" else model.routine_names
            return [(i, n, i) for i, n in names.items()]
        return choices(col.vocab, model.controller.session.framework)

    def createEditor(self, parent, option, index):
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
            return QPlainTextEdit(parent)
        return QLineEdit(parent)

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
        elif isinstance(editor, QPlainTextEdit):
            model.setData(index, editor.toPlainText(), Qt.ItemDataRole.EditRole)
        elif isinstance(editor, QLineEdit):
            model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)
        else:
            super().setModelData(editor, model, index)

    def sizeHint(self, option, index):
        hint = super().sizeHint(option, index)
        return QSize(hint.width(), max(hint.height(), 24))
