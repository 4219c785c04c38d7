"""Edits to a study as values.

Every change to a study, from the window, the command line, an import or a
merge, is one of these values (or a ``Compound`` of them): the session
applies it to the ``.lpw`` in one transaction, checks the firms it touched
against the exchange format's rules, and keeps it in its undo history.
Each edit carries what its inverse needs, so ``edit.inverse()`` undoes it
exactly; nothing here reads or writes a file.

Objects are format dicts, as in a ``*.study.json``. ``table`` is one of
``firms``, ``sources``, ``routines``, ``events``, ``documents``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator


@dataclass(frozen=True)
class SetField:
    """One field of a firm, source, routine or event set to ``value``
    (None removes it); ``old`` is what it was (None: absent). An event's
    ``evidence`` is a field too: the whole list."""

    table: str
    firm: str | None  # None for a firm's own fields (the firm is ``id``)
    id: str
    key: str
    value: Any
    old: Any

    def inverse(self) -> "SetField":
        if self.key == "id":  # the object now goes by the new id
            return SetField(self.table, self.firm, self.value, self.key, self.old, self.value)
        return SetField(self.table, self.firm, self.id, self.key, self.old, self.value)


@dataclass(frozen=True)
class SetStudyField:
    """One of the study's own fields (title, description, authors, coder)."""

    key: str
    value: Any
    old: Any

    def inverse(self) -> "SetStudyField":
        return SetStudyField(self.key, self.old, self.value)


@dataclass(frozen=True)
class Insert:
    """A source, routine or event (an event with its evidence) put into a
    firm's list at ``position``."""

    table: str
    firm: str
    obj: dict
    position: int

    def inverse(self) -> "Remove":
        return Remove(self.table, self.firm, self.obj, self.position)


@dataclass(frozen=True)
class Remove:
    """The inverse of ``Insert``: ``obj`` taken out of ``position``. Names of
    it elsewhere are cleared by edits of their own (see ``Session.delete``)."""

    table: str
    firm: str
    obj: dict
    position: int

    def inverse(self) -> Insert:
        return Insert(self.table, self.firm, self.obj, self.position)


@dataclass(frozen=True)
class Move:
    """A firm, or a firm's source, routine or event, moved in its list."""

    table: str
    firm: str | None
    id: str
    old: int
    new: int

    def inverse(self) -> "Move":
        return Move(self.table, self.firm, self.id, self.new, self.old)


@dataclass(frozen=True)
class AddFirm:
    """A firm with everything it holds, put in the study's list at ``position``."""

    firm: dict
    position: int

    def inverse(self) -> "RemoveFirm":
        return RemoveFirm(self.firm, self.position)


@dataclass(frozen=True)
class RemoveFirm:
    firm: dict
    position: int

    def inverse(self) -> AddFirm:
        return AddFirm(self.firm, self.position)


@dataclass(frozen=True)
class SetLinks:
    """A firm's "led to" links, all at once."""

    firm: str
    links: tuple
    old: tuple

    def inverse(self) -> "SetLinks":
        return SetLinks(self.firm, self.old, self.links)


@dataclass(frozen=True)
class AddDocument:
    """A document of the study (a transcript, notes ...) at ``position``."""

    doc: dict
    position: int

    def inverse(self) -> "RemoveDocument":
        return RemoveDocument(self.doc, self.position)


@dataclass(frozen=True)
class RemoveDocument:
    doc: dict
    position: int

    def inverse(self) -> AddDocument:
        return AddDocument(self.doc, self.position)


@dataclass(frozen=True)
class Compound:
    """Edits applied together, in order, as one step of the undo history
    (a delete that clears the names of what it deletes, an import, a code
    applied to many events)."""

    label: str
    edits: tuple = field(default_factory=tuple)

    def inverse(self) -> "Compound":
        return Compound(self.label, tuple(e.inverse() for e in reversed(self.edits)))


    def primitives(self) -> Iterator:
        for e in self.edits:
            if isinstance(e, Compound):
                yield from e.primitives()
            else:
                yield e


Edit = SetField | SetStudyField | Insert | Remove | Move | AddFirm | RemoveFirm | SetLinks \
    | AddDocument | RemoveDocument | Compound


def primitives(edit: Edit) -> Iterator:
    """The primitive edits of ``edit``, in the order they apply."""
    if isinstance(edit, Compound):
        yield from edit.primitives()
    else:
        yield edit


def touched(edit: Edit) -> set[tuple[str, str]]:
    """(firm id or "", table) pairs whose views show what ``edit`` changed."""
    out: set[tuple[str, str]] = set()
    for e in primitives(edit):
        if isinstance(e, SetStudyField):
            out.add(("", "study"))
        elif isinstance(e, (AddFirm, RemoveFirm)):
            out.add(("", "firms"))
        elif isinstance(e, (AddDocument, RemoveDocument)):
            out.add(("", "documents"))
        elif isinstance(e, SetLinks):
            out.add((e.firm, "links"))
        elif isinstance(e, SetField) and e.table == "firms":
            if e.key in ("id", "name"):  # what the list of firms shows
                out.add(("", "firms"))
            out.add((e.id, "firms"))
            if e.key == "id" and e.value:
                out.add((e.value, "firms"))
        elif isinstance(e, Move) and e.table == "firms":
            out.add(("", "firms"))
        else:
            out.add((e.firm or "", e.table))
    return out
