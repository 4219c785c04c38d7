"""The GUI's hold on an open study: a Session, an undo stack, and signals
that tell the views what changed.

Every edit is applied once, straight to the .lpw (one transaction), and only
then pushed onto the undo stack; an edit the rules refuse, or that cannot be
written, is reported and never pushed, so no change is silently dropped and
the undo history matches the file.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from ..core.errors import WorkbenchError
from ..session import Session


class _Command(QUndoCommand):
    """An edit already applied by the controller: the first redo() (from
    QUndoStack.push) does nothing; later redo/undo replay it."""

    def __init__(self, controller: "StudyController", text: str, do: Callable[[], Any],
                 undo: Callable[[], Any], notify: Callable[[], None]):
        super().__init__(text)
        self.controller = controller
        self._do, self._undo, self._notify = do, undo, notify
        self._first = True

    def redo(self) -> None:
        if self._first:
            self._first = False
            return
        self.controller._replay(self._do, self._notify)

    def undo(self) -> None:
        self.controller._replay(self._undo, self._notify)


class StudyController(QObject):
    changed = Signal(str, str)   # firm id ("" for the study), table ("events", "sources", ...)
    firmsChanged = Signal()
    error = Signal(str)

    def __init__(self, session: Session, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self.undo_stack = QUndoStack(self)

    # ------------------------------------------------------------------ plumbing

    def _replay(self, fn: Callable[[], Any], notify: Callable[[], None]) -> None:
        try:
            fn()
        except WorkbenchError as exc:
            self.error.emit(exc.message)
        notify()

    def _apply(self, text: str, do: Callable[[], Any], make_undo: Callable[[Any], Callable[[], Any]],
               notify: Callable[[], None]) -> bool:
        """Apply an edit now; if it worked, push it for undo."""
        try:
            result = do()
        except WorkbenchError as exc:
            self.error.emit(exc.message)
            notify()  # views re-read the file: what they show is what it holds
            return False
        self.undo_stack.push(_Command(self, text, do, make_undo(result), notify))
        notify()
        return True

    def _changed(self, firm_id: str, table: str) -> Callable[[], None]:
        return lambda: self.changed.emit(firm_id or "", table)

    # ------------------------------------------------------------------ edits

    def set_field(self, table: str, firm_id: str | None, obj_id: str, key: str, value: Any,
                  text: str | None = None) -> bool:
        s = self.session
        return self._apply(
            text or f"Edit {key.replace('_', ' ')}",
            lambda: s.set_field(table, firm_id, obj_id, key, value),
            lambda old: (lambda: s.set_field(table, firm_id, obj_id, key, old)),
            self._firms_and(firm_id, table) if table == "firms" else self._changed(firm_id, table))

    def _firms_and(self, firm_id, table):
        def notify():
            self.firmsChanged.emit()
            self.changed.emit(firm_id or "", table)
        return notify

    def set_study_field(self, key: str, value: Any) -> bool:
        s = self.session
        return self._apply(f"Edit study {key}", lambda: s.set_study_field(key, value),
                           lambda old: (lambda: s.set_study_field(key, old)), self._changed("", "study"))

    def insert(self, table: str, firm_id: str, obj: dict, position: int | None = None,
               text: str | None = None) -> bool:
        s = self.session
        return self._apply(text or f"Add {table[:-1]}", lambda: s.insert(table, firm_id, obj, position),
                           lambda pos: (lambda: s.delete(table, firm_id, obj["id"])),
                           self._changed(firm_id, table))

    def delete(self, table: str, firm_id: str, obj_id: str, text: str | None = None) -> bool:
        s = self.session
        holder: dict = {}

        def do():
            holder["undo"] = s.delete(table, firm_id, obj_id)
            return holder["undo"]

        def notify():
            self.changed.emit(firm_id, table)
            if table != "events":  # other objects lost the name
                self.changed.emit(firm_id, "events")
                self.changed.emit(firm_id, "routines")
        return self._apply(text or f"Delete {table[:-1]}", do,
                           lambda undo: (lambda: s.restore(table, firm_id, holder["undo"])), notify)

    def move(self, table: str, firm_id: str | None, obj_id: str, to_position: int) -> bool:
        s = self.session
        notify = self.firmsChanged.emit if table == "firms" else self._changed(firm_id, table)
        return self._apply(f"Move {table[:-1]}", lambda: s.move(table, firm_id, obj_id, to_position),
                           lambda old: (lambda: s.move(table, firm_id, obj_id, old)), notify)

    def add_firm(self, firm: dict, position: int | None = None) -> bool:
        s = self.session
        return self._apply(f"Add firm {firm['name']}", lambda: s.add_firm(firm, position),
                           lambda _: (lambda: s.delete_firm(firm["id"])), self.firmsChanged.emit)

    def delete_firm(self, firm_id: str) -> bool:
        s = self.session
        holder: dict = {}

        def do():
            holder["snap"] = s.delete_firm(firm_id)

        return self._apply(f"Delete firm {firm_id}", do,
                           lambda _: (lambda: s.add_firm(*holder["snap"])), self.firmsChanged.emit)

    def set_links(self, firm_id: str, links: list[dict]) -> bool:
        s = self.session
        return self._apply("Edit links", lambda: s.set_links(firm_id, links),
                           lambda old: (lambda: s.set_links(firm_id, old)), self._changed(firm_id, "links"))
