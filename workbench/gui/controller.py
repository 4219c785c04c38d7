"""The window's hold on an open study: the Session, a QUndoStack that
mirrors the session's undo history, and signals that tell the views what
changed.

Every edit goes through the Session (the one door): it is applied once,
checked and written in one transaction, and kept in the session's history.
Only then is a command pushed onto the Qt stack, whose undo and redo call
the session's; an edit the rules refuse, or that cannot be written, is
reported and never pushed, so the menu's history matches the file.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from ..core.errors import WorkbenchError
from ..session import E, Session


class _Command(QUndoCommand):
    """One step of the session's history. The first redo() (from
    QUndoStack.push) does nothing: the session has applied the edit."""

    def __init__(self, controller: "StudyController", text: str):
        super().__init__(text)
        self.controller = controller
        self._first = True

    def redo(self) -> None:
        if self._first:
            self._first = False
            return
        self.controller._replay(self.controller.session.redo)

    def undo(self) -> None:
        self.controller._replay(self.controller.session.undo)


class StudyController(QObject):
    changed = Signal(str, str)   # firm id ("" for the study), table ("events", "sources", ...)
    firmsChanged = Signal()
    error = Signal(str)

    def __init__(self, session: Session, parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self.undo_stack = QUndoStack(self)
        self._grouping = False

    # ------------------------------------------------------------------ plumbing

    def _notify(self, edit: E.Edit | None) -> None:
        """Tell the views what ``edit`` changed (None: a failed edit, after
        which views re-read what they show, so that it is what the file holds)."""
        pairs = E.touched(edit) if edit is not None else {("", "firms")}
        if ("", "firms") in pairs:  # the list of firms itself changed
            self.firmsChanged.emit()
        for firm_id, table in sorted(pairs):
            self.changed.emit(firm_id, table)
            if table in ("sources", "routines"):  # other objects may have lost its name
                self.changed.emit(firm_id, "events")
                self.changed.emit(firm_id, "routines")

    def _replay(self, step: Callable[[], E.Edit]) -> None:
        try:
            edit = step()
        except WorkbenchError as exc:
            self.error.emit(exc.message)
            self._notify(None)
            return
        self._notify(edit)

    def _apply(self, do: Callable[[], Any]) -> bool:
        """Make an edit through the session; if it was made, push it for undo."""
        applied = self.session.applied
        try:
            do()
        except WorkbenchError as exc:
            self.error.emit(exc.message)
            self._notify(None)
            return False
        if self.session.applied == applied:
            return True  # nothing to change (a move to where it stands already)
        if self._grouping:
            return True  # pushed, and shown, when the group ends
        edit = self.session.last_edit
        self.undo_stack.push(_Command(self, self.session.undo_label() or ""))
        self._notify(edit)
        return True

    @contextmanager
    def group(self, label: str) -> Iterator[None]:
        """Edits made inside are one step of the history (the session's
        ``group``), one entry in the Edit menu."""
        applied = self.session.applied
        self._grouping = True
        try:
            with self.session.group(label):
                yield
        except WorkbenchError as exc:
            self.error.emit(exc.message)
            self._notify(None)
            return
        finally:
            self._grouping = False
        if self.session.applied != applied:
            self.undo_stack.push(_Command(self, self.session.undo_label() or label))
            self._notify(self.session.last_edit)

    # ------------------------------------------------------------------ edits

    def set_field(self, table: str, firm_id: str | None, obj_id: str, key: str, value: Any,
                  text: str | None = None) -> bool:
        return self._apply(lambda: self.session.set_field(table, firm_id, obj_id, key, value, text))

    def set_study_field(self, key: str, value: Any) -> bool:
        return self._apply(lambda: self.session.set_study_field(key, value))

    def insert(self, table: str, firm_id: str, obj: dict, position: int | None = None,
               text: str | None = None) -> bool:
        return self._apply(lambda: self.session.insert(table, firm_id, obj, position, text))

    def delete(self, table: str, firm_id: str, obj_id: str, text: str | None = None) -> bool:
        return self._apply(lambda: self.session.delete(table, firm_id, obj_id, text))

    def move(self, table: str, firm_id: str | None, obj_id: str, to_position: int) -> bool:
        return self._apply(lambda: self.session.move(table, firm_id, obj_id, to_position))

    def add_firm(self, firm: dict, position: int | None = None) -> bool:
        return self._apply(lambda: self.session.add_firm(firm, position))

    def delete_firm(self, firm_id: str) -> bool:
        return self._apply(lambda: self.session.delete_firm(firm_id, f"Delete firm {firm_id}"))

    def set_links(self, firm_id: str, links: list[dict]) -> bool:
        return self._apply(lambda: self.session.set_links(firm_id, links))

    def import_json(self, path: str, replace: bool = False) -> list[str]:
        """Import a ``*.study.json`` as one step of the history; its errors
        are raised to the caller (which may offer to replace firms)."""
        return self.call(lambda s: s.import_json(path, replace=replace))

    def call(self, fn: Callable[[Session], Any]) -> Any:
        """Run ``fn(session)``, which edits through the session's methods
        (e.g. ``workbench.documents.add``), as one step of the menu's
        history; what it returns is returned. Its errors are raised to the
        caller, which decides what to tell the user; nothing is changed then."""
        applied = self.session.applied
        result = fn(self.session)
        if self.session.applied != applied:
            self.undo_stack.push(_Command(self, self.session.undo_label() or ""))
            self._notify(self.session.last_edit)
        return result

    def apply(self, edit: E.Edit, text: str) -> bool:
        """Any edit value (a compound of many, e.g. a code applied to every
        selected event) as one step."""
        return self._apply(lambda: self.session.apply(edit, text))
