"""An open study for editing: the ``.lpw`` file, a lock that keeps a second
workbench from editing it at the same time, and every edit validated against
the exchange format's rules before it is written (one transaction each).

The GUI drives a Session; so could any other front end. Each method raises
``InputError`` for an edit the rules refuse and ``WorkbenchError`` when the
file cannot be written (read-only, disk full): nothing is then changed.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, NamedTuple

from .core.errors import (FirmsExistError, InputError, NoSuchStudyError, ReadOnlyError, StudyLockedError,
                          WorkbenchError)
from .core.frameworks import UnknownFrameworkError, framework as get_framework, framework_ids
from .core.model import Firm, Study
from .store.study_db import StudyDB, damaged, no_study


class _Edits:
    """``core.edits`` (as ``E``), imported at its first use: a study opened
    to be looked at makes no edit, and setting up its dataclasses is a good
    part of the time the window takes to open."""

    def __getattr__(self, name: str):
        from .core import edits

        value = getattr(edits, name)
        setattr(self, name, value)  # later uses find it here
        return value


E = _Edits()

LOCK_SUFFIX = ".lock"
# Files up to this size are checked for damaged pages when opened for
# editing (about 50 ms at this size; a study of 100,000 events is ~60 MB).
QUICK_CHECK_BYTES = 16 * 1024 * 1024


def _pid_alive(pid: int) -> bool:
    """Whether a process runs. Never signals it: on Windows ``os.kill``
    would terminate the process, so there we ask the system instead."""
    if pid <= 0:
        return False
    if os.name == "nt":
        return _pid_alive_windows(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _pid_alive_windows(pid: int) -> bool:
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return ctypes.get_last_error() == 5  # access denied: it exists, owned by someone else
    try:
        code = wintypes.DWORD()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def _hostname() -> str:
    """This computer's name, as ``socket.gethostname`` gives it (``uname``
    where there is one: the same name, without importing the socket module
    at start-up)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


class StudyLock:
    """``study.lpw.lock`` beside the study, naming the process that edits it.
    A lock left by a process that no longer runs on this machine is taken
    over; so is one that is empty or cannot be read (with a warning in
    ``warnings``: it names no process, so none can be holding it)."""

    def __init__(self, path: Path):
        self.path = Path(str(path) + LOCK_SUFFIX)
        self.held = False
        self.refused = False  # another workbench holds it
        self.warnings: list[str] = []

    @property
    def study_name(self) -> str:
        return self.path.name[:-len(LOCK_SUFFIX)]

    def _holder(self) -> dict | None:
        """Who the lock file names, or None when it names no one (empty,
        unreadable, not ours). A lock just created by another workbench is
        empty for a moment: it is read again before it is judged."""
        for attempt in range(5):
            try:
                other = json.loads(self.path.read_text(encoding="utf-8"))
                if isinstance(other, dict) and other.get("pid"):
                    return other
            except FileNotFoundError:
                return {}
            except (OSError, ValueError):
                pass
            time.sleep(0.05 * (attempt + 1))
        return None

    def acquire(self) -> None:
        """Take the lock: ``StudyLockedError`` when another workbench holds
        it, ``ReadOnlyError`` when the folder cannot be written (so no lock,
        and no edit, is possible)."""
        me = {"pid": os.getpid(), "host": _hostname()}
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                other = self._holder()
                if other == {}:
                    continue  # gone meanwhile: try again
                if other is None:
                    why = "empty" if _size(self.path) == 0 else "unreadable"
                    self.warnings.append(f"The lock file {self.path.name} was {why} and named no workbench: "
                                         f"it was left over from one that stopped, and was taken over.")
                    self._remove_stale()
                    continue
                same_host = other.get("host") == me["host"]
                try:
                    pid = int(other.get("pid", 0) or 0)
                except (TypeError, ValueError):
                    pid = 0
                if same_host and not _pid_alive(pid):
                    self._remove_stale()  # stale: its process has gone
                    continue
                where = "on this computer" if same_host else f"on {other.get('host', 'another computer')}"
                self.refused = True
                raise StudyLockedError(
                    f"{self.study_name} is open in another workbench {where} "
                    f"(process {other.get('pid', '?')}). Close it there first. "
                    f"If that workbench has crashed, delete {self.path} and try again.",
                    holder=other) from None
            except OSError as exc:
                # a read-only folder: no lock can be written, so no edit can be either
                raise ReadOnlyError(f"cannot open {self.study_name} for editing: "
                                    f"{exc.strerror or exc}") from None
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(me, fh)
            except OSError as exc:
                self._remove_stale()
                raise ReadOnlyError(f"cannot open {self.study_name} for editing: "
                                    f"{exc.strerror or exc}") from None
            self.held = True
            return
        raise StudyLockedError(f"could not lock {self.path}: another workbench keeps taking it; "
                               f"try again.")

    def _remove_stale(self) -> None:
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StudyLockedError(f"{self.path} is left over from a workbench that stopped, and "
                                   f"cannot be removed ({exc.strerror or exc}). Delete it and try "
                                   f"again.") from None

    def release(self) -> None:
        if self.held:
            try:
                self.path.unlink()
            except OSError:
                pass
            self.held = False


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def _write_error(path: Path, exc: sqlite3.Error) -> WorkbenchError:
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        why = "the file or its folder is read-only"
    elif "full" in text:
        why = "the disk is full"
    elif "locked" in text or "busy" in text:
        why = "another program is writing to it"
    else:
        why = text
    return WorkbenchError(f"could not save the change to {path.name}: {why}; nothing was changed")


class Session:
    """One study open for editing."""

    def __init__(self, path: str | os.PathLike, create: dict | None = None, read_only: bool = False):
        """Open ``path`` for editing; with ``create`` (study fields: title,
        framework, ...), make a new study file there first. With
        ``read_only``, or when the file or its folder cannot be written, the
        study is opened for reading only (``read_only`` is then True, and
        the file is never written). ``warnings`` says what the person should
        know (a stale lock taken over, a copy kept before an update); the
        errors are typed (``StudyLockedError``, ``DamagedStudyError``, ...)
        so a front end can offer what fits."""
        self.path = Path(path)
        self.closed = False
        self.read_only = bool(read_only)
        self.warnings: list[str] = []
        self.backup: Path | None = None
        self.db = None
        self.lock = StudyLock(self.path)
        self._history: list[E.Edit] = []  # the undo history; the first _done steps are applied
        self._done = 0
        self.applied = 0  # edits applied through ``apply`` so far
        self._group: list | None = None  # edits of an open ``group``
        if create is None and not self.path.exists():
            raise NoSuchStudyError(f"{self.path}: no such study file")
        if create is not None and self.path.exists() and self.path.stat().st_size > 0:
            raise InputError(f"{self.path}: already exists; choose another name for the new study")
        if create is not None:
            meta = {"format": "lpw-study", "version": 1, **create}
            if meta.get("framework") not in framework_ids() or not meta.get("title"):
                raise InputError(f"a new study needs a title and a framework ({', '.join(framework_ids())})")
        made = create is not None and not self.path.exists()
        try:
            if not self.read_only:
                self._take_lock(create is not None)
            self.warnings.extend(self.lock.warnings)
            self.db = StudyDB.open(self.path, create=create is not None, read_only=self.read_only)
            self.backup = self.db.backup
            if self.backup is not None:
                self.warnings.append(f"The study was brought up to date for this version of the workbench; "
                                     f"a copy of it as it was is kept as {self.backup.name}.")
            if create is not None:
                self.db.create_study(meta)
            self._check_readable()
            try:
                self.framework = get_framework(self.db.framework)
            except UnknownFrameworkError as exc:  # made with a framework file this installation lacks
                raise InputError(f"{self.path}: {exc.message}") from None
        except BaseException:
            self.close()
            if create is not None and self.path.exists() and not self.lock.refused:
                if made:
                    self.path.unlink()
                else:
                    os.truncate(self.path, 0)  # the empty file it was
            raise

    def _take_lock(self, creating: bool) -> None:
        """Lock the study for editing; a file or folder that cannot be
        written makes the session read-only instead (not for a new study)."""
        try:
            self.lock.acquire()
        except ReadOnlyError:
            if creating:
                raise
            self.read_only = True
            self.warnings.append(f"The folder of {self.path.name} cannot be written, so the study is "
                                 f"open read-only.")
            return
        if self.path.exists() and not os.access(self.path, os.W_OK):
            self.lock.release()
            self.read_only = True
            self.warnings.append(f"The file {self.path.name} is read-only, so the study is open read-only.")

    def _check_readable(self) -> None:
        """DamagedStudyError when the file holds no study, or SQLite finds a
        damaged page in it: checked now, not at the first click that would
        read it, for files up to QUICK_CHECK_BYTES (larger ones would take
        noticeably longer to open; a damaged page there is found when read)."""
        try:
            if not self.db.has_study():
                raise no_study(self.path)
            small = self.path.stat().st_size <= QUICK_CHECK_BYTES
            problems = [r[0] for r in self.db.conn.execute("PRAGMA quick_check(5)")] if small else ["ok"]
        except sqlite3.DatabaseError as exc:
            raise damaged(self.path, exc) from None
        if problems != ["ok"]:
            raise damaged(self.path, sqlite3.DatabaseError("; ".join(problems)))

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.closed = True
        try:
            if self.db is not None:
                self.db.close()
        finally:
            self.lock.release()

    # ------------------------------------------------------------------ reading

    def meta(self) -> dict:
        return self.db.study_meta()

    def firms(self) -> list[dict]:
        return self.db.firm_list()

    def firm(self, firm_id: str) -> Firm:
        return Firm.from_dict(self.db.firm_doc(firm_id))

    def study(self) -> Study:
        return self.db.load_study()

    def get(self, table: str, firm_id: str | None, obj_id: str) -> dict:
        return self.db.get(table, firm_id, obj_id)

    def load_study(self, firm_ids: list[str] | None = None) -> Study:
        """The study with only the chosen firms (all by default)."""
        return self.db.load_study(firm_ids)

    def document(self, doc_id: str) -> dict:
        """A document of the study (id, name, kind, text, ...)."""
        return self.db.document(doc_id)

    def objects(self, table: str, firm_id: str) -> list[dict]:
        """A firm's sources, routines or events (without evidence), in order."""
        return self.db.objects(table, firm_id)

    def links(self, firm_id: str) -> list[dict]:
        return self.db.links(firm_id)

    def event_count(self, firm_id: str, text: str | None = None) -> int:
        return self.db.event_count(firm_id, text)

    def event_ids(self, firm_id: str, text: str | None = None) -> list[str]:
        return self.db.event_ids(firm_id, text)

    def events_by_id(self, firm_id: str, ids: list[str]) -> dict[str, dict]:
        return self.db.events_by_id(firm_id, ids)

    def event_page(self, firm_id: str, text: str | None = None, after: int = -1,
                   limit: int = 1000) -> list[tuple[int, dict]]:
        return self.db.event_page(firm_id, text, after, limit)

    def event_warnings_data(self, firm_id: str):
        return self.db.event_warnings_data(firm_id)

    def used_by(self, firm_id: str, column: str, obj_id: str) -> list[dict]:
        return self.db.used_by(firm_id, column, obj_id)

    def find_events(self, text: str, limit: int = 500) -> list[dict]:
        return self.db.find_events(text, limit)

    # read methods for the Documents tab (docsgui): one query each, through self.db

    def document_list(self, firm_id: str | None = None) -> list[dict]:
        """The study's documents in order (id, name, kind, date, firm, characters, and how many
        quotes and coded passages are anchored in each); with ``firm_id``, those about the firm
        or quoted by its events."""
        return list(self.db.query(
            "SELECT id, name, kind, date, firm, length(text) AS characters, "
            "(SELECT count(*) FROM evidence WHERE document = documents.id) AS quotes, "
            "(SELECT count(*) FROM passages WHERE document = documents.id) AS passages FROM documents "
            "WHERE :f IS NULL OR firm = :f OR id IN (SELECT document FROM evidence WHERE firm = :f) "
            "ORDER BY position", {"f": firm_id}))

    def document_evidence(self, doc_id: str) -> list[dict]:
        """The quotes anchored in a document, in the order of the text: each evidence item
        with ``firm``, ``event`` and ``index`` (its place in the event's evidence)."""
        from .store.study_db import row_to_dict

        return [dict(row_to_dict("evidence", r), firm=r["firm"], event=r["event"], index=r["position"])
                for r in self.db.query("SELECT * FROM evidence WHERE document = ? ORDER BY start_offset", [doc_id])]

    # read methods for the Codes and Search docks (codesgui)

    def documents(self) -> list[dict]:
        """Every document of the study (with its text and passages), in order."""
        return self.db._documents()

    def code_counts(self) -> dict[str, dict]:
        """For each code of the study: how many events, quotes and passages carry it (one pass each)."""
        out = {c["id"]: {"id": c["id"], "events": 0, "quotes": 0, "passages": 0} for c in self.db.codes()}
        for kind, table in (("events", "events"), ("quotes", "evidence"), ("passages", "passages")):
            for r in self.db.query(f"SELECT j.value AS code, count(DISTINCT t.rowid) AS n FROM {table} t, "
                                   f"json_each(t.codes) j WHERE t.codes IS NOT NULL GROUP BY j.value"):
                if r["code"] in out:
                    out[r["code"]][kind] = r["n"]
        return out

    def search_documents(self, query: str, **options) -> list:
        """``workbench.documents.search`` over this study's documents."""
        from .documents import search
        return search(self.db, query, **options)

    def coded(self, code: str, stage: str | None = None) -> list:
        """``workbench.documents.coded``: the passages carrying a code."""
        from .documents import coded
        return coded(self.db, code, stage)

    # ------------------------------------------------------------------ writing
    # Each public edit method reads what it changes, builds the edit as a
    # value (workbench.core.edits) and hands it to ``apply``: the one place
    # where a study is changed.

    def apply(self, edit: E.Edit, label: str | None = None, checked: bool = False) -> E.Edit:
        """Apply an edit in one transaction and check the firms it touched
        against the format's rules; on any problem nothing is changed and
        ``InputError`` (refused) or ``WorkbenchError`` (not written) is
        raised. The edit becomes the newest step of the undo history.
        ``checked``: the caller has just run the same rules over what the
        edit adds (an import), so they are not run twice."""
        if label is not None and not isinstance(edit, E.Compound):
            edit = E.Compound(label, (edit,))
        self._commit(edit, checked)
        self.applied += 1
        if self._group is not None:
            self._group.append(edit)
            return edit
        self._push(edit)
        return edit

    def _push(self, edit: E.Edit) -> None:
        del self._history[self._done:]
        self._history.append(edit)
        self._done = len(self._history)

    @contextmanager
    def group(self, label: str) -> Iterator[None]:
        """Edits made inside ``with session.group(label):`` are written in
        one transaction and become one step of the undo history (a code
        applied to many events, a delete of many). An exception leaving
        the block undoes them all; an edit refused inside it, and caught
        there, leaves the others standing. Groups do not nest: an inner
        one is part of the outer."""
        if self._group is not None:
            yield
            return
        self._group = []
        try:
            with self.db.db.atomic():
                yield
        except BaseException:
            self._group = None
            raise
        edits, self._group = self._group, None
        if edits:
            self._push(E.Compound(label, tuple(edits)))

    @property
    def last_edit(self) -> E.Edit | None:
        """The newest step of the undo history that is applied."""
        return self._history[self._done - 1] if self._done else None

    def _commit(self, edit: E.Edit, checked: bool = False) -> None:
        if self.read_only:
            raise WorkbenchError(f"{self.path.name} is read-only: the change was not made")
        try:
            with self.db.db.atomic():
                self.db.apply(edit)
                problems = [] if checked else self._problems(edit)
                if problems:
                    raise InputError("; ".join(str(p) for p in problems[:5])
                                     + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""),
                                     problems)
        except sqlite3.IntegrityError as exc:
            raise InputError(f"the change was refused: {_integrity_message(exc)}") from None
        except sqlite3.Error as exc:
            raise _write_error(self.path, exc) from None

    def _problems(self, edit: E.Edit) -> list:
        """What the format's rules say of the part of the study ``edit``
        touched, read back inside the edit's transaction: the study's own
        fields and codes; for each firm touched its sources, routines and
        links with the events the edit changed or that name what it changed
        (a whole firm only where it was added); the documents touched, with
        their passages. The rules are those of ``validate``, run over that
        part; in a firm of 100,000 events an edit to one of them reads one."""
        from .core.validate import Problem, check_part

        meta = self.db.study_meta()
        codes = self.db.codes()
        if codes:
            meta["codes"] = codes
        scope: dict[str, set | None] = {}  # firm -> event ids to check (None: all)
        doc_ids: set[str] = set()
        for e in E.primitives(edit):
            for kind, ident, events in self._scope(e):
                if kind == "document":
                    doc_ids.add(ident)
                    continue
                have = scope.get(ident, set())
                scope[ident] = None if events is None or have is None else have | events
        firms, documents = [], {d["id"]: d for d in self.db.documents_by_id(sorted(doc_ids))}
        for firm_id, events in scope.items():
            if not self.db.has_firm(firm_id):
                continue
            firm, docs = self.db.firm_part(firm_id, events)
            firms.append(firm)
            documents.update((d["id"], d) for d in docs)
        problems = check_part(meta, firms, list(documents.values()))
        return [Problem(_readable_path(p.path, firms, list(documents.values()), codes), p.message)
                for p in problems]

    def _scope(self, e) -> list[tuple[str, str, set | None]]:
        """("firm", id, event ids) and ("document", id, None) for what an
        applied primitive edit may have made invalid; an empty set of events
        checks the firm's own fields, sources, routines and links."""
        def users_of_code(code_id: str) -> list:
            events, docs = self.db.code_users(code_id)
            return [("firm", f, {ev}) for f, ev in events] + [("document", d, None) for d in docs]

        def users_of_document(doc_id: str) -> list:
            return [("firm", f, {ev}) for f, ev in self.db.document_users(doc_id)] + \
                [("document", doc_id, None)]

        if isinstance(e, E.SetField):
            if e.table == "firms":
                return [("firm", e.value if e.key == "id" else e.id, set())]
            if e.table == "events":
                return [("firm", e.firm, {e.value if e.key == "id" else e.id})]
            if e.table == "codes":
                return [] if e.key != "id" else users_of_code(e.old)
            if e.table == "documents":
                return users_of_document(e.value if e.key == "id" else e.id)
            if e.table == "passages":
                return [("document", e.firm, None)]
            if e.table == "actions":  # the firm's actions, with the events they name
                return [("firm", e.firm, set())]
            if e.key == "id":  # a source or routine renamed: who named the old id?
                return [("firm", e.firm, {r["id"] for r in self.db.used_by(e.firm, e.table, e.old)})]
            return [("firm", e.firm, set())]
        if isinstance(e, (E.Insert, E.Remove)):
            if e.table == "codes":
                return users_of_code(e.obj["id"]) if isinstance(e, E.Remove) else []
            if e.table == "passages":
                return [("document", e.firm, None)]
            if e.table == "events":
                return [("firm", e.firm, {e.obj["id"]} if isinstance(e, E.Insert) else set())]
            if isinstance(e, E.Insert) or e.table == "actions":
                return [("firm", e.firm, set())]
            return [("firm", e.firm, {r["id"] for r in self.db.used_by(e.firm, e.table, e.obj["id"])})]
        if isinstance(e, E.AddFirm):
            return [("firm", e.firm["id"], None)]
        if isinstance(e, E.SetLinks):
            return [("firm", e.firm, set())]
        if isinstance(e, E.AddDocument):
            return [("document", e.doc["id"], None)]
        return []  # moves (order is a warning), removed firms and documents, study fields

    def _check_shape(self, table: str, obj: dict, parent: str | None = None) -> None:
        """The schema's check of one object, before it is written: a value
        of the wrong type never reaches the file. (Rules across objects are
        checked once the edit is applied, in ``_commit``.) Problems name the
        object: ``firm 'brw', event 'e3': stages[0]: ...``."""
        from .core.validate import Problem, check_object

        problems = check_object(table[:-1], obj, self.framework.id)
        if problems:
            owner = {"sources": "firm", "routines": "firm", "events": "firm", "actions": "firm",
                     "passages": "document"}
            where = f"{owner[table]} {parent!r}, " if parent and table in owner else ""
            where += f"{table[:-1]} {obj.get('id')!r}" if isinstance(obj, dict) and obj.get("id") else table[:-1]
            problems = [Problem(f"{where}: {p.path}" if p.path else where, p.message) for p in problems]
            raise InputError("; ".join(str(p) for p in problems[:5]), problems)

    # ------------------------------------------------------------------ undo

    def can_undo(self) -> bool:
        return self._done > 0

    def can_redo(self) -> bool:
        return self._done < len(self._history)

    def undo_label(self) -> str | None:
        return _label(self._history[self._done - 1]) if self.can_undo() else None

    def redo_label(self) -> str | None:
        return _label(self._history[self._done]) if self.can_redo() else None

    def undo(self) -> E.Edit:
        """Undo the newest step of the history; returns it."""
        if not self.can_undo():
            raise InputError("there is nothing to undo")
        edit = self._history[self._done - 1]
        self._commit(edit.inverse())
        self._done -= 1
        return edit

    def redo(self) -> E.Edit:
        """Redo the step undone last; returns it."""
        if not self.can_redo():
            raise InputError("there is nothing to redo")
        edit = self._history[self._done]
        self._commit(edit)
        self._done += 1
        return edit

    # ------------------------------------------------------------------ edits

    def new_id(self, table: str, firm_id: str | None, prefix: str) -> str:
        if table == "firms":
            taken = {f["id"] for f in self.firms()}
        else:
            taken = {o["id"] for o in self.db.objects(table, firm_id)}
        n = len(taken) + 1
        while f"{prefix}{n}" in taken:
            n += 1
        return f"{prefix}{n}"

    def set_field(self, table: str, firm_id: str | None, obj_id: str, key: str, value: Any,
                  label: str | None = None) -> Any:
        """Change one field (None removes it); returns the old value (None
        if it was absent)."""
        from .core.validate import sanitise

        value, _ = sanitise(value)  # pasted control characters become spaces (format rule 6)
        current = self.db.get(table, firm_id, obj_id)
        old = current.get(key)
        self._check_shape(table, {**current, key: value} if value is not None else current, firm_id)
        self.apply(E.SetField(table, firm_id, obj_id, key, value, old),
                   label or f"Edit {key.replace('_', ' ')}")
        return old

    def set_study_field(self, key: str, value: Any, label: str | None = None) -> Any:
        from .core.validate import sanitise

        if key == "title" and not (isinstance(value, str) and value.strip()):
            raise InputError("a study needs a title")
        if key == "framework":
            raise InputError("a study's framework cannot be changed once it has been created")
        value, _ = sanitise(value)
        old = self.meta().get(key)
        self.apply(E.SetStudyField(key, value, old), label or f"Edit study {key}")
        return old

    def is_applied(self, edit: E.Edit) -> bool:
        """Whether this very edit (as ``apply`` returned it) stands in the
        file now: made, and not undone since (or redone)."""
        return any(e is edit for e in self._history[:self._done])

    # ------------------------------------------------------------------ merge conflicts

    def conflicts(self) -> list[dict]:
        """The records of a merge's unsettled conflicts (``x-conflicts``,
        written by ``workbench merge``): ``{path, keys, base?, ours?,
        theirs?}``, or ``{path, keys, problem}`` for a rule the merge broke."""
        from .core.merge import CONFLICTS_KEY

        records = self.meta().get(CONFLICTS_KEY)
        return list(records) if isinstance(records, list) else []

    def resolve_conflict(self, index: int, side: str, label: str | None = None) -> E.Edit:
        """Settle the ``index``-th merge conflict by taking ``side`` ("ours",
        "theirs" or "base"; a side without a value there removes the field
        or object) and drop its record: one step of the history, as
        ``core.merge.resolve`` would on the study file."""
        from .core.merge import CONFLICTS_KEY, is_broken_rule

        records = self.conflicts()
        if not 0 <= index < len(records):
            raise InputError(f"no conflict number {index + 1}; the study has {len(records)}")
        if side not in ("ours", "theirs", "base"):
            raise InputError(f"choose ours, theirs or base, not {side!r}")
        record = records[index]
        keys = record.get("keys")
        if is_broken_rule(record) or not keys:
            raise InputError(f"{record.get('path')}: {record.get('problem', 'not a choice between versions')}; "
                             f"mend it in the study, then mark it settled")
        steps = self._conflict_steps(record, keys, side)
        rest = records[:index] + records[index + 1:]
        steps.append(E.SetStudyField(CONFLICTS_KEY, rest or None, records))
        return self.apply(E.Compound(label or f"Take {side} at {record['path']}", tuple(steps)))

    def settle_conflict(self, index: int, label: str | None = None) -> E.Edit:
        """Drop the ``index``-th conflict record, changing nothing else (a
        broken rule mended by hand, or the study's value kept). One step."""
        from .core.merge import CONFLICTS_KEY

        records = self.conflicts()
        if not 0 <= index < len(records):
            raise InputError(f"no conflict number {index + 1}; the study has {len(records)}")
        rest = records[:index] + records[index + 1:]
        return self.apply(E.Compound(label or f"Mark {records[index].get('path')} settled",
                                     (E.SetStudyField(CONFLICTS_KEY, rest or None, records),)))

    def _conflict_steps(self, record: dict, keys: list, side: str) -> list:
        """The edits that put ``side``'s value of a conflict into the study."""
        from .core.merge import CONFLICTS_KEY, resolve

        absent = object()
        where = record.get("path", ".".join(map(str, keys)))

        def field_value(current, rel: list):
            """``side``'s value of a field (``rel``: the field and the keys
            below it), worked out by ``core.merge.resolve`` on the field
            alone; ``absent`` where it has none."""
            mini = {} if current is absent else {rel[0]: current}
            mini[CONFLICTS_KEY] = [dict(record, keys=rel)]
            try:
                out = resolve(mini, 0, side)
            except ValueError as exc:
                raise InputError(f"{where}: {exc}") from None
            return out.get(rel[0], absent)

        def set_fields(table: str, parent, obj_id: str, rel: list) -> list:
            cur = self.db.get(table, parent, obj_id)
            new = field_value(cur.get(rel[0], absent), rel)
            new = None if new is absent else new
            return [] if new == cur.get(rel[0]) else [E.SetField(table, parent, obj_id, rel[0], new, cur.get(rel[0]))]

        def replace_fields(table: str, parent, cur: dict, new: dict, skip=()) -> list:
            return [E.SetField(table, parent, cur["id"], k, new.get(k), cur.get(k))
                    for k in list(cur) + [k for k in new if k not in cur]
                    if k not in skip and k != "id" and new.get(k) != cur.get(k)]

        value = record.get(side, absent)
        head = keys[0]
        if head == "firms" and len(keys) >= 2:
            firm_id = keys[1]
            has_firm = self.db.has_firm(firm_id)
            if len(keys) == 2:  # the whole firm
                steps = []
                if has_firm:
                    steps.append(E.RemoveFirm(self.db.firm_doc(firm_id), self.db.position("firms", None, firm_id)))
                if value is not absent:
                    at = steps[0].position if steps else self.db.count("firms")
                    steps.append(E.AddFirm(value, at))
                return steps
            if not has_firm:
                raise InputError(f"{where}: firm {firm_id!r} is no longer in the study")
            table = keys[2]
            if table == "links":
                links = self.db.links(firm_id)
                new = field_value(links, keys[2:])
                new = [] if new is absent else new
                return [] if new == links else [E.SetLinks(firm_id, tuple(new), tuple(links))]
            if table in ("sources", "routines", "events", "actions") and len(keys) >= 4:
                obj_id = keys[3]
                ids = {o["id"] for o in self.db.objects(table, firm_id)}
                if len(keys) == 4:  # the whole object
                    if obj_id in ids and value is absent:
                        return [self._delete_edit(table, firm_id, obj_id)]
                    if obj_id in ids:
                        return replace_fields(table, firm_id, self.db.get(table, firm_id, obj_id), value)
                    if value is not absent:
                        return [E.Insert(table, firm_id, value, self.db.count(table, firm_id))]
                    return []
                if obj_id not in ids:
                    raise InputError(f"{where}: {table[:-1]} {obj_id!r} is no longer in firm {firm_id!r}")
                return set_fields(table, firm_id, obj_id, keys[4:])
            return set_fields("firms", None, firm_id, keys[2:])
        if head in ("documents", "codes") and len(keys) >= 2:
            obj_id = keys[1]
            have = {o["id"]: o for o in (self.db.codes() if head == "codes" else self.db.query(
                "SELECT id FROM documents"))}
            if len(keys) == 2 or (head == "documents" and keys[2] == "passages" and len(keys) == 4):
                table, parent = (head, None) if len(keys) == 2 else ("passages", obj_id)
                ident = obj_id if len(keys) == 2 else keys[3]
                if parent is not None and obj_id not in have:
                    raise InputError(f"{where}: document {obj_id!r} is no longer in the study")
                present = ident in have if parent is None else \
                    any(p["id"] == ident for p in self.db.objects("passages", parent))
                if not present:
                    if value is absent:
                        return []
                    if table == "documents":
                        return [E.AddDocument(value, self.db.count("documents"))]
                    return [E.Insert(table, parent, value, self.db.count(table, parent))]
                cur = self.db.document(ident) if table == "documents" else self.db.get(table, parent, ident)
                if value is not absent:
                    steps = replace_fields(table, parent, cur, value, skip=("passages",))
                    if table == "documents" and cur.get("passages") != value.get("passages"):
                        old_p = cur.get("passages") or []
                        steps += [E.Remove("passages", ident, p, i) for i, p in reversed(list(enumerate(old_p)))]
                        steps += [E.Insert("passages", ident, p, i) for i, p in enumerate(value.get("passages") or ())]
                    return steps
                if table == "codes":
                    return self._code_use_edits(ident, None) + [E.Remove("codes", None, cur, self.db.position(
                        "codes", None, ident))]
                if table == "documents":
                    if self.db.document_users(ident):
                        raise InputError(f"{where}: document {ident!r} is quoted by events; remove it in the "
                                         f"Documents tab (its quotes stay with their events), then mark this "
                                         f"settled")
                    return [E.RemoveDocument(cur, self.db.position("documents", None, ident))]
                return [E.Remove(table, parent, cur, self.db.position(table, parent, ident))]
            if obj_id not in have:
                raise InputError(f"{where}: {head[:-1]} {obj_id!r} is no longer in the study")
            if head == "documents" and keys[2] == "passages" and len(keys) > 4:
                return set_fields("passages", obj_id, keys[3], keys[4:])
            return set_fields(head, None, obj_id, keys[2:])
        if head in ("firms", "documents", "codes", "framework", "format", "version"):
            raise InputError(f"{where}: the {head} of a study cannot be set from here; edit the study "
                             f"file by hand, then mark this settled")
        meta = self.db.study_meta()
        new = field_value(meta.get(head, absent), keys)
        new = None if new is absent else new
        return [] if new == meta.get(head) else [E.SetStudyField(head, new, meta.get(head))]

    def insert(self, table: str, firm_id: str, obj: dict, position: int | None = None,
               label: str | None = None) -> int:
        """Add a source, routine or event to a firm, a passage to a document
        (``firm_id`` is then the document's id) or a code to the study
        (``firm_id`` None); at the end by default. Returns its position."""
        from .core.validate import sanitise

        obj, _ = sanitise(obj)
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            raise InputError(f"a {table[:-1]} needs an id")
        self._check_shape(table, obj, firm_id)
        where = self._parent_name(table, firm_id)
        if any(o["id"] == obj["id"] for o in self.db.objects(table, firm_id)):
            raise InputError(f"{where} already has {'an' if table[0] in 'aeiou' else 'a'} {table[:-1]} "
                             f"{obj['id']!r}")
        n = self.db.count(table, firm_id)
        position = n if position is None or position > n else max(0, position)
        self.apply(E.Insert(table, firm_id, obj, position), label or f"Add {table[:-1]}")
        return position

    def _parent_name(self, table: str, parent: str | None) -> str:
        """What holds a list, in words, after checking it exists: a firm (of
        sources, routines, events, actions), a document (of passages), the study."""
        if table in ("sources", "routines", "events", "actions"):
            if not parent or not self.db.has_firm(parent):
                raise InputError(f"no firm {parent!r}")
            return f"firm {parent!r}"
        if table == "passages":
            self.db.position("documents", None, parent)
            return f"document {parent!r}"
        return "the study"

    def delete(self, table: str, firm_id: str, obj_id: str, label: str | None = None) -> E.Edit:
        """Delete a source, routine or event, and take its name off every
        other object of the firm that names it; one step of the history."""
        return self.apply(self._delete_edit(table, firm_id, obj_id), label or f"Delete {table[:-1]}")

    def _delete_edit(self, table: str, firm_id: str, obj_id: str) -> E.Compound:
        obj = self.db.get(table, firm_id, obj_id)
        steps: list = []
        if table == "events":
            links = self.db.links(firm_id)
            kept = [ln for ln in links if obj_id not in (ln["from"], ln["to"])]
            if len(kept) != len(links):
                steps.append(E.SetLinks(firm_id, tuple(kept), tuple(links)))
            for act in self.db.objects("actions", firm_id):  # the action stays, without its event
                if act.get("event") == obj_id:
                    steps.append(E.SetField("actions", firm_id, act["id"], "event", None, obj_id))
        elif table != "actions":
            holders = [("events", table)] + ([("routines", "sources")] if table == "sources" else [])
            for other, key in holders:
                for o in self.db.objects(other, firm_id):
                    names = o.get(key) or []
                    if obj_id in names:
                        rest = [n for n in names if n != obj_id]
                        steps.append(E.SetField(other, firm_id, o["id"], key, rest or None, names))
            if table == "sources":
                for o in self.db.objects("sources", firm_id):
                    if o.get("via") == obj_id and o["id"] != obj_id:
                        steps.append(E.SetField("sources", firm_id, o["id"], "via", None, obj_id))
        steps.append(E.Remove(table, firm_id, obj, self.db.position(table, firm_id, obj_id)))
        return E.Compound(f"Delete {table[:-1]}", tuple(steps))

    # ------------------------------------------------------------------ documents

    def add_document(self, doc: dict, label: str | None = None) -> str:
        """Add a document (id, name, text, kind?, date?, firm?) at the end of
        the study's list; returns its id."""
        from .core.validate import sanitise

        doc, _ = sanitise(doc)
        self._check_shape("documents", doc)
        if self.db.documents_by_id([doc["id"]]):
            raise InputError(f"there is already a document {doc['id']!r}")
        self.apply(E.AddDocument(doc, self.db.count("documents")), label or f"Add document {doc['name']}")
        return doc["id"]

    def remove_document(self, doc_id: str, label: str | None = None) -> E.Edit:
        """Remove a document. Quotes taken from it stay with their events as
        text without an anchor (their place noted in ``location``); its
        coded passages go with it. One step."""
        from .core.textpos import locate

        doc = self.db.document(doc_id)
        steps: list = []
        for firm_id, event_id in sorted(self.db.document_users(doc_id)):
            items = self.db.get("events", firm_id, event_id).get("evidence") or []
            new = []
            for it in items:
                it = dict(it)
                if it.get("document") == doc_id:
                    where = doc["name"]
                    if it.get("start") is not None:
                        where += f", paragraph {locate(doc['text'], it['start']).paragraph}"
                    for key in ("document", "start", "end"):
                        it.pop(key, None)
                    it.setdefault("location", where[:500])
                new.append(it)
            steps.append(E.SetField("events", firm_id, event_id, "evidence", new, items))
        steps.append(E.RemoveDocument(doc, self.db.position("documents", None, doc_id)))
        return self.apply(E.Compound(label or f"Remove document {doc['name']}", tuple(steps)))

    def replace_document_text(self, doc_id: str, text: str,
                              label: str | None = None) -> tuple[E.Edit | None, list[dict]]:
        """A document read again with changed text: quotes and coded
        passages keep their anchors where their passage is unchanged (moved
        with the text around them); the others are listed and lose them (a
        quote stays with its event, unanchored; a passage is removed). One
        step; returns it (None if the text is the same) and what was dropped,
        each as ``{"event": (firm, id) or None, "passage": id or None, "quote": ...}``."""
        from .core.anchor import reanchor
        from .core.validate import sanitise

        text, _ = sanitise(text)
        doc = self.db.document(doc_id)
        old = doc["text"]
        if text == old:
            return None, []
        steps: list = [E.SetField("documents", None, doc_id, "text", text, old)]
        dropped: list[dict] = []
        for firm_id, event_id in sorted(self.db.document_users(doc_id)):
            items = self.db.get("events", firm_id, event_id).get("evidence") or []
            mine = [dict(it, _at=i) for i, it in enumerate(items) if it.get("document") == doc_id]
            kept, lost = reanchor(old, text, mine)
            new = [dict(it) for it in items]
            for it in kept:
                at = it.pop("_at")
                new[at] = it
            for it in lost:
                at = it.pop("_at")
                moved = {k: v for k, v in it.items() if k not in ("document", "start", "end")}
                moved.setdefault("location", f"{doc['name']} (before it was read again)"[:500])
                new[at] = moved
                dropped.append({"event": (firm_id, event_id), "passage": None, "quote": it["quote"]})
            if new != items:
                steps.append(E.SetField("events", firm_id, event_id, "evidence", new, items))
        passages = doc.get("passages") or []
        as_quotes = [{"quote": old[p["start"]:p["end"]], "start": p["start"], "end": p["end"], "_id": p["id"]}
                     for p in passages]
        kept, lost = reanchor(old, text, as_quotes)
        by_id = {p["id"]: p for p in passages}
        for it in kept:
            pa = by_id[it["_id"]]
            if (it["start"], it["end"]) != (pa["start"], pa["end"]):
                steps.append(E.SetField("passages", doc_id, pa["id"], "start", it["start"], pa["start"]))
                steps.append(E.SetField("passages", doc_id, pa["id"], "end", it["end"], pa["end"]))
        for it in lost:
            pa = by_id[it["_id"]]
            steps.append(E.Remove("passages", doc_id, pa, self.db.position("passages", doc_id, pa["id"])))
            dropped.append({"event": None, "passage": pa["id"], "quote": it["quote"]})
        edit = self.apply(E.Compound(label or f"Read {doc['name']} again", tuple(steps)))
        return edit, dropped

    def anchor_quotes(self, firm_ids: list[str] | None = None, label: str | None = None):
        """Find every quote without an anchor (of the chosen firms, or all)
        in the study's documents, tolerant of quote marks, dashes and
        spacing; anchor those found in exactly one place (the quote becomes
        the document's own characters). One step. Returns the
        ``core.anchor.AnchorReport``; its items are ``Unanchored`` tuples."""
        from .core.anchor import Corpus, anchor_report
        from .core.textpos import speaker_at

        docs = [(d["id"], d["text"]) for d in self.db.documents_by_id(
            [r["id"] for r in self.db.query("SELECT id FROM documents ORDER BY position")])]
        items = []
        for firm_id in firm_ids if firm_ids is not None else self.db.firm_ids():
            for row in self.db.query("SELECT DISTINCT event FROM evidence WHERE firm = ? AND document IS NULL",
                                     [firm_id]):
                for i, ev in enumerate(self.db.get("events", firm_id, row["event"]).get("evidence") or []):
                    if not ev.get("document"):
                        items.append(Unanchored(firm_id, row["event"], i, ev, ev["quote"]))
        report = anchor_report(items, docs, Corpus()) if docs else None
        texts = dict(docs)
        if report is None:
            from .core.anchor import AnchorReport

            return AnchorReport(not_found=items)
        changed: dict[tuple[str, str], list] = {}
        for (firm_id, event_id, i, ev, _), match in report.found:
            key = (firm_id, event_id)
            if key not in changed:
                changed[key] = [dict(e) for e in self.db.get("events", firm_id, event_id)["evidence"]]
            item = {k: v for k, v in ev.items() if k != "location"}
            item.update(quote=match.quote, document=match.document_id, start=match.start, end=match.end)
            if not item.get("speaker"):  # the turn it was found in says who said it
                who = speaker_at(texts[match.document_id], match.start)
                if who:
                    item["speaker"] = who[:500]
            changed[key][i] = item
        steps = [E.SetField("events", f, e, "evidence", new, self.db.get("events", f, e)["evidence"])
                 for (f, e), new in changed.items()]
        if steps:
            self.apply(E.Compound(label or f"Anchor {len(report.found)} quotes", tuple(steps)))
        return report

    # ------------------------------------------------------------------ codes

    def _code_use_edits(self, code_id: str, into: str | None) -> list:
        """Edits that put ``into`` where ``code_id`` is used (on events, on
        evidence, on passages), or take it off where ``into`` is None; codes
        under it move under ``into`` (or under its own parent)."""
        def swap(codes: list) -> list | None:
            out = []
            for c in codes:
                c = into if c == code_id else c
                if c is not None and c not in out:
                    out.append(c)
            return out or None

        steps: list = []
        events, docs = self.db.code_users(code_id)
        for firm_id, event_id in sorted(set(events)):
            ev = self.db.get("events", firm_id, event_id)
            if code_id in (ev.get("codes") or ()):
                steps.append(E.SetField("events", firm_id, event_id, "codes", swap(ev["codes"]), ev["codes"]))
            items = ev.get("evidence") or []
            if any(code_id in (it.get("codes") or ()) for it in items):
                new = []
                for it in items:
                    it = dict(it)
                    if code_id in (it.get("codes") or ()):
                        codes = swap(it.pop("codes"))
                        if codes:
                            it["codes"] = codes
                    new.append(it)
                steps.append(E.SetField("events", firm_id, event_id, "evidence", new, items))
        for doc_id in docs:
            for pa in self.db.objects("passages", doc_id):
                if code_id in (pa.get("codes") or ()):
                    steps.append(E.SetField("passages", doc_id, pa["id"], "codes", swap(pa["codes"]), pa["codes"]))
        gone = self.db.get("codes", None, code_id)
        for c in self.db.codes():
            if c.get("parent") == code_id:
                steps.append(E.SetField("codes", None, c["id"], "parent",
                                        into if into is not None else gone.get("parent"), code_id))
        return steps

    def delete_code(self, code_id: str, label: str | None = None) -> E.Edit:
        """Delete one of the study's codes: it comes off every event,
        quote and passage; the codes under it move up a level. One step."""
        code = self.db.get("codes", None, code_id)
        steps = self._code_use_edits(code_id, None)
        steps.append(E.Remove("codes", None, code, self.db.position("codes", None, code_id)))
        return self.apply(E.Compound(label or f"Delete code {code['name']}", tuple(steps)))

    def merge_codes(self, code_id: str, into: str, label: str | None = None) -> E.Edit:
        """Merge ``code_id`` into ``into``: what carried the one carries the
        other, and ``code_id`` is gone. One step."""
        if code_id == into:
            raise InputError("a code cannot be merged into itself")
        code, target = self.db.get("codes", None, code_id), self.db.get("codes", None, into)
        parent, seen = target.get("parent"), {into}
        while parent and parent not in seen:  # merging a code into one under it
            if parent == code_id:
                raise InputError(f"{target['name']!r} sits under {code['name']!r}: merge it the other way")
            seen.add(parent)
            parent = self.db.get("codes", None, parent).get("parent")
        steps = self._code_use_edits(code_id, into)
        steps.append(E.Remove("codes", None, code, self.db.position("codes", None, code_id)))
        return self.apply(E.Compound(label or f"Merge {code['name']} into {target['name']}", tuple(steps)))

    def move(self, table: str, firm_id: str | None, obj_id: str, to_position: int,
             label: str | None = None) -> int:
        """Move a firm, or a firm's source, routine or event; returns its old position."""
        old = self.db.position(table, firm_id, obj_id)
        new = max(0, min(to_position, self.db.count(table, firm_id) - 1))
        if new != old:
            self.apply(E.Move(table, firm_id, obj_id, old, new), label or f"Move {table[:-1]}")
        return old

    def add_firm(self, firm: dict, position: int | None = None, label: str | None = None) -> None:
        from .core.validate import sanitise

        firm, _ = sanitise(firm)
        if not isinstance(firm, dict) or not isinstance(firm.get("id"), str):
            raise InputError("a firm needs an id")
        self._check_shape("firms", firm)
        if self.db.has_firm(firm["id"]):
            raise InputError(f"there is already a firm {firm['id']!r}")
        n = self.db.count("firms")
        position = n if position is None or position > n else max(0, position)
        self.apply(E.AddFirm(firm, position), label or f"Add firm {firm.get('name', firm['id'])}")

    def delete_firm(self, firm_id: str, label: str | None = None) -> E.Edit:
        firm = self.db.firm_doc(firm_id)
        position = self.db.position("firms", None, firm_id)
        return self.apply(E.RemoveFirm(firm, position), label or f"Delete firm {firm.get('name', firm_id)}")

    def set_links(self, firm_id: str, links: list[dict], label: str | None = None) -> list[dict]:
        """Replace a firm's links; returns the old ones."""
        from .core.validate import sanitise

        links, _ = sanitise(links)
        old = self.db.links(firm_id)
        self.apply(E.SetLinks(firm_id, tuple(links), tuple(old)), label or "Edit links")
        return old

    def import_doc(self, doc: dict, replace: bool = False, label: str | None = None) -> list[str]:
        """Add a validated study's documents and firms (a format dict, as
        ``io.study_json.read_doc`` gives it after checking it); with
        ``replace``, a firm already here is replaced in its place. One step
        of the history; on any problem nothing changes. Returns the firm ids."""
        from .core.validate import Problem

        firms = doc.get("firms") or []
        have = {f["id"]: f["position"] for f in self.db.firm_list()}
        problems = [Problem(f"firms[{i}].id", f"firm {f['id']!r} is already in {self.path.name}; "
                                              f"use --replace to replace it")
                    for i, f in enumerate(firms) if f["id"] in have and not replace]
        n_existing = len(problems)
        have_docs = {d["id"]: d for d in self.db.documents_by_id([d["id"] for d in doc.get("documents") or ()])}
        steps: list = []
        n_docs = self.db.count("documents")
        for i, d in enumerate(doc.get("documents") or ()):
            if d["id"] in have_docs:
                if have_docs[d["id"]] != d:
                    problems.append(Problem(f"documents[{i}].id", f"a different document {d['id']!r} "
                                                                  f"is already in {self.path.name}"))
                continue
            steps.append(E.AddDocument(d, n_docs))
            n_docs += 1
        have_codes = {c["id"]: c for c in self.db.codes()}
        n_codes = len(have_codes)
        for i, c in enumerate(doc.get("codes") or ()):
            if c["id"] in have_codes:
                if have_codes[c["id"]] != c:
                    problems.append(Problem(f"codes[{i}].id", f"a different code {c['id']!r} "
                                                              f"is already in {self.path.name}"))
                continue
            steps.append(E.Insert("codes", None, c, n_codes))
            n_codes += 1
        if problems:
            raise (FirmsExistError if len(problems) == n_existing else InputError)(
                f"cannot import into {self.path}: {len(problems)} problem"
                f"{'s' if len(problems) > 1 else ''}; nothing was changed", problems)
        # the file's firms against this study's framework, with the file's paths
        from .core.validate import check_part

        meta = self.db.study_meta()
        # ``doc`` passed the rules under its own framework (read_doc); under
        # another, they are run again with this study's
        problems = [] if doc.get("framework") == meta["framework"] else \
            check_part(meta, firms, doc.get("documents") or [])
        if problems:
            raise InputError(f"cannot import into {self.path}: {len(problems)} problem"
                             f"{'s' if len(problems) > 1 else ''}; nothing was changed", problems)
        n = len(have)
        for firm in firms:
            if firm["id"] in have:
                position = have[firm["id"]]
                steps.append(E.RemoveFirm(self.db.firm_doc(firm["id"]), position))
            else:
                position, n = n, n + 1
            steps.append(E.AddFirm(firm, position))
        # a merged file's unsettled conflicts come with its firms (once)
        from .core.merge import CONFLICTS_KEY

        if doc.get(CONFLICTS_KEY):
            old_records = meta.get(CONFLICTS_KEY) or []
            records = old_records + [r for r in doc[CONFLICTS_KEY] if r not in old_records]
            if len(records) != len(old_records):
                steps.append(E.SetStudyField(CONFLICTS_KEY, records, meta.get(CONFLICTS_KEY)))
        self.apply(E.Compound(label or f"Import {len(firms)} firm{'s' if len(firms) != 1 else ''}",
                              tuple(steps)), checked=True)
        return [f["id"] for f in firms]

    def import_json(self, json_path: str | os.PathLike, replace: bool = False) -> list[str]:
        from .io.study_json import read_doc

        doc, _ = read_doc(json_path)
        return self.import_doc(doc, replace)


class Unanchored(NamedTuple):
    """A quote without an anchor: the event it is evidence of, its place in
    the event's evidence, the evidence item and its quote."""

    firm: str
    event: str
    index: int
    evidence: dict
    quote: str


def _label(edit: E.Edit) -> str:
    return edit.label if isinstance(edit, E.Compound) else type(edit).__name__


_INDEXED = re.compile(r"^(firms|documents|codes)\[(\d+)\]((?:\.(?:sources|routines|events|links|actions|passages)\[\d+\])?)(.*)$")


def _readable_path(path: str, firms: list[dict], documents: list[dict] = (), codes: list[dict] = ()) -> str:
    """``firms[0].events[3].stages[0]`` as ``firm 'brw', event 'e4': stages[0]``
    (likewise documents, their passages, and codes): a problem found in a
    part of the study names ids, not positions in it."""
    m = _INDEXED.match(path)
    if not m:
        return path
    owners = {"firms": firms, "documents": documents, "codes": codes}[m.group(1)]
    index = int(m.group(2))
    if index >= len(owners):
        return path
    owner = owners[index]
    out = f"{m.group(1)[:-1]} {owner.get('id')!r}"
    if m.group(3):
        table, at = m.group(3)[1:-1].split("[")
        items = owner.get(table) or []
        obj = items[int(at)] if int(at) < len(items) else {}
        out += f", {table[:-1]} {obj.get('id')!r}" if obj.get("id") else f", {m.group(3)[1:]}"
    rest = m.group(4).lstrip(".")
    return f"{out}: {rest}" if rest else out


def _integrity_message(exc: sqlite3.IntegrityError) -> str:
    text = str(exc)
    if "UNIQUE" in text or "PRIMARY KEY" in text:
        return "that id is taken"
    if "FOREIGN KEY" in text:
        return "something still names what it would remove"
    if "NOT NULL" in text:
        return f"a required field is missing ({text.rsplit(': ', 1)[-1]})"
    return text


def _problem(path: str, message: str):
    from .core.validate import Problem

    return Problem(path, message)
