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
import sqlite3
import time
from pathlib import Path
from typing import Any

from .core.errors import InputError, NoSuchStudyError, ReadOnlyError, StudyLockedError, WorkbenchError
from .core.frameworks import framework as get_framework
from .core.model import Firm, Study
from .store.study_db import StudyDB, damaged, no_study

LOCK_SUFFIX = ".lock"


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
                    f"(process {other.get('pid', '?')}). Close it there first, or open it read-only. "
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
        raise StudyLockedError(f"could not lock {self.path}: another workbench keeps taking it. "
                               f"Open it read-only, or try again.")

    def _remove_stale(self) -> None:
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StudyLockedError(f"{self.path} is left over from a workbench that stopped, and "
                                   f"cannot be removed ({exc.strerror or exc}). Delete it, or open "
                                   f"the study read-only.") from None

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
    return WorkbenchError(f"could not save the change to {path.name}: {why}. The change was not made.")


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
        if create is None and not self.path.exists():
            raise NoSuchStudyError(f"{self.path}: no such study file")
        if create is not None and self.path.exists() and self.path.stat().st_size > 0:
            raise InputError(f"{self.path}: already exists; choose another name for the new study")
        if create is not None:
            meta = {"format": "lpw-study", "version": 1, **create}
            if meta.get("framework") not in ("4I", "5I", "4I-AE") or not meta.get("title"):
                raise InputError("a new study needs a title and a framework (4I, 5I or 4I-AE)")
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
        except BaseException:
            self.close()
            if create is not None and self.path.exists() and not self.lock.refused:
                if made:
                    self.path.unlink()
                else:
                    os.truncate(self.path, 0)  # the empty file it was
            raise
        self.framework = get_framework(self.db.framework)

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
        damaged page in it (checked now, not at the first click that would
        read it)."""
        try:
            if not self.db.has_study():
                raise no_study(self.path)
            problems = [r[0] for r in self.db.conn.execute("PRAGMA quick_check(5)")]
        except sqlite3.DatabaseError as exc:
            raise damaged(self.path, exc) from None
        if problems != ["ok"]:
            raise damaged(self.path, sqlite3.DatabaseError("; ".join(problems)))

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

    # ------------------------------------------------------------------ writing

    def _write(self, fn, *args):
        if self.read_only:
            raise WorkbenchError(f"{self.path.name} is read-only: the change was not made")
        try:
            return fn(*args)
        except sqlite3.Error as exc:
            raise _write_error(self.path, exc) from None

    def _check(self, kind: str, obj: dict, firm_id: str | None) -> None:
        from .core.validate import check_object

        problems = check_object(kind, obj, self.framework.id)
        if firm_id is not None and kind in ("event", "routine", "source"):
            sources = {s["id"] for s in self.db.objects("sources", firm_id)}
            for key in ("sources",) if kind != "source" else ():
                for i, ref in enumerate(obj.get(key) or ()):
                    if ref not in sources:
                        problems.append(_problem(f"{key}[{i}]", f"no source {ref!r} in firm {firm_id!r}"))
            if kind == "event":
                routines = {r["id"] for r in self.db.objects("routines", firm_id)}
                for i, ref in enumerate(obj.get("routines") or ()):
                    if ref not in routines:
                        problems.append(_problem(f"routines[{i}]", f"no routine {ref!r} in firm {firm_id!r}"))
                docs = {d.id: d for d in self.db.load_study([]).document_list} if obj.get("evidence") else {}
                for i, ev in enumerate(obj.get("evidence") or ()):
                    if ev.get("document") and ev["document"] not in docs:
                        problems.append(_problem(f"evidence[{i}].document", f"no document {ev['document']!r}"))
                    elif ev.get("document") and ev.get("start") is not None:
                        text = docs[ev["document"]].text
                        if text[ev["start"]:ev.get("end", -1)] != ev.get("quote"):
                            problems.append(_problem(f"evidence[{i}].quote", "does not match the document at "
                                                                              f"{ev['start']}-{ev.get('end')}"))
            if kind == "source" and obj.get("via"):
                if obj["via"] not in sources or obj["via"] == obj.get("id"):
                    problems.append(_problem("via", f"no other source {obj['via']!r} in firm {firm_id!r}"))
        if problems:
            raise InputError("; ".join(str(p) for p in problems), problems)

    def new_id(self, table: str, firm_id: str | None, prefix: str) -> str:
        if table == "firms":
            taken = {f["id"] for f in self.firms()}
        else:
            taken = {o["id"] for o in self.db.objects(table, firm_id)}
        n = len(taken) + 1
        while f"{prefix}{n}" in taken:
            n += 1
        return f"{prefix}{n}"

    def set_field(self, table: str, firm_id: str | None, obj_id: str, key: str, value: Any) -> Any:
        """Change one field (None removes it); returns the old value (None
        if it was absent)."""
        from .core.validate import sanitise

        value, _ = sanitise(value)  # pasted control characters become spaces (format rule 6)
        current = self.db.get(table, firm_id, obj_id)
        old = current.get(key)
        new = dict(current)
        if value is None:
            new.pop(key, None)
        else:
            new[key] = value
        kind = table[:-1]
        self._check(kind, new, firm_id if table != "firms" else None)
        self._write(self.db.set_field, table, firm_id, obj_id, key, value)
        return old

    def set_study_field(self, key: str, value: Any) -> Any:
        old = self.meta().get(key)
        if key == "title" and not (isinstance(value, str) and value.strip()):
            raise InputError("a study needs a title")
        self._write(self.db.set_study_field, key, value)
        return old

    def insert(self, table: str, firm_id: str, obj: dict, position: int | None = None) -> int:
        from .core.validate import sanitise

        obj, _ = sanitise(obj)
        self._check(table[:-1], obj, firm_id)
        if any(o["id"] == obj["id"] for o in self.db.objects(table, firm_id)):
            raise InputError(f"firm {firm_id!r} already has a {table[:-1]} {obj['id']!r}")
        return self._write(self.db.insert, table, firm_id, obj, position)

    def delete(self, table: str, firm_id: str, obj_id: str) -> dict:
        return self._write(self.db.delete, table, firm_id, obj_id)

    def restore(self, table: str, firm_id: str, undo: dict) -> None:
        self._write(self.db.restore, table, firm_id, undo)

    def move(self, table: str, firm_id: str | None, obj_id: str, to_position: int) -> int:
        return self._write(self.db.move, table, firm_id, obj_id, to_position)

    def add_firm(self, firm: dict, position: int | None = None) -> None:
        from .core.validate import check_object, sanitise

        firm, _ = sanitise(firm)
        problems = check_object("firm", firm, self.framework.id)
        if problems:
            raise InputError("; ".join(str(p) for p in problems), problems)
        if any(f["id"] == firm["id"] for f in self.firms()):
            raise InputError(f"there is already a firm {firm['id']!r}")
        self._write(self.db.add_firm, firm, position)

    def delete_firm(self, firm_id: str) -> tuple[dict, int]:
        return self._write(self.db.delete_firm, firm_id)

    def set_links(self, firm_id: str, links: list[dict]) -> list[dict]:
        from .core.validate import check_object

        old = self.db.links(firm_id)
        events = set(self.db.event_ids(firm_id))
        for i, ln in enumerate(links):
            problems = check_object("link", ln, None, f"links[{i}]")
            if ln.get("from") not in events or ln.get("to") not in events or ln.get("from") == ln.get("to"):
                problems.append(_problem(f"links[{i}]", "a link joins two different events of the firm"))
            if problems:
                raise InputError("; ".join(str(p) for p in problems), problems)
        self._write(self.db.set_links, firm_id, links)
        return old

    def import_json(self, json_path: str | os.PathLike, replace: bool = False) -> list[str]:
        from .io.study_json import read_doc

        doc, _ = read_doc(json_path)
        return self._write(self.db.import_doc, doc, replace)


def _problem(path: str, message: str):
    from .core.validate import Problem

    return Problem(path, message)
