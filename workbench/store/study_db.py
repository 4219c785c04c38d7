"""A study as one SQLite file (``.lpw``), edited in place.

Foreign keys are on; every user-level operation is one transaction
(sqlite-utils' ``Database.atomic``), so a failure leaves the file as it was;
reads use the plain connection. A file that is not a study, or was written
by a newer version of the workbench, is refused with a clear message and
left untouched.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path
from functools import lru_cache
from typing import Any, Iterable, Iterator

from ..core.errors import InputError, WorkbenchError
from ..core.model import Study
from ..io.sniff import refuse_other_kind
from .schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION
from ..core.errors import (DamagedStudyError, NewerVersionError, NoSuchStudyError, NotAStudyError,
                           ReadOnlyError)

SQLITE_MAGIC = b"SQLite format 3\x00"

# How each table's columns hold the exchange format's keys: (column, key, how),
# where how is "" (as is), "bool" (0/1) or "json" (JSON text). Both directions,
# format dict -> row and row -> format dict, are derived from this one table.
# The parent columns (firm, event, position), extra and empty_lists come on top.
COLUMNS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "study": (("title", "title", ""), ("description", "description", ""),
              ("authors", "authors", "json"), ("coder", "coder", ""),
              ("framework", "framework", "")),
    "documents": (("id", "id", ""), ("name", "name", ""), ("kind", "kind", ""),
                  ("date", "date", ""), ("firm", "firm", ""), ("text", "text", "")),
    "firms": (("id", "id", ""), ("name", "name", ""), ("profile", "profile", "json"),
              ("attributes", "attributes", "json"), ("summary", "summary", "json"),
              ("memo", "memo", "")),
    "sources": (("id", "id", ""), ("name", "name", ""), ("kind", "kind", ""),
                ("external", "external", "bool"), ("country", "country", ""),
                ("location", "location", ""), ("scope", "scope", ""),
                ("direction", "direction", ""), ("strategic", "strategic", "bool"),
                ("via", "via", ""), ("notes", "notes", "")),
    "routines": (("id", "id", ""), ("name", "name", ""), ("activity", "activity", ""),
                 ("outcome", "outcome", ""), ("sources", "sources", "json"),
                 ("stage", "stage", ""), ("started", "started", ""), ("notes", "notes", "")),
    "events": (("id", "id", ""), ("title", "title", ""), ("description", "description", ""),
               ("date", "date", ""), ("when_text", "when", ""), ("critical", "critical", "bool"),
               ("phase", "phase", ""), ("stages", "stages", "json"), ("level", "level", ""),
               ("learning_types", "learning_types", "json"),
               ("knowledge_types", "knowledge_types", "json"), ("sources", "sources", "json"),
               ("routines", "routines", "json"), ("actors", "actors", "json"),
               ("tags", "tags", "json"), ("memo", "memo", ""), ("codes", "codes", "json")),
    "evidence": (("quote", "quote", ""), ("speaker", "speaker", ""),
                 ("document", "document", ""), ("start_offset", "start", ""),
                 ("end_offset", "end", ""), ("location", "location", ""),
                 ("codes", "codes", "json"), ("memo", "memo", "")),
    "links": (("from_event", "from", ""), ("to_event", "to", ""), ("label", "label", "")),
    "codes": (("id", "id", ""), ("name", "name", ""), ("description", "description", ""),
              ("colour", "colour", ""), ("parent", "parent", "")),
    "passages": (("id", "id", ""), ("start_offset", "start", ""), ("end_offset", "end", ""),
                 ("speaker", "speaker", ""), ("codes", "codes", "json"), ("memo", "memo", "")),
    "actions": (("id", "id", ""), ("status", "status", ""), ("event", "event", ""),
                ("date", "date", ""), ("owner", "owner", ""), ("note", "note", ""),
                ("text", "text", "")),
}
PARENTS = {"study": ("id",), "documents": ("position",), "firms": ("position",),
           "sources": ("firm", "position"), "routines": ("firm", "position"),
           "events": ("firm", "position"), "evidence": ("firm", "event", "position"),
           "links": ("firm", "position"), "codes": ("position",), "passages": ("document", "position"),
           "actions": ("firm", "position")}
# The list keys kept as [] when a file gives them empty (see docs/schema.md).
EMPTY_LISTS = {"study": ("authors", "documents", "codes"), "firms": ("sources", "routines", "events", "links", "actions"),
               "events": ("evidence",), "documents": ("passages",)}
FIRM_TABLES = ("firms", "sources", "routines", "events", "evidence", "links", "actions")

_ENCODER = json.JSONEncoder(ensure_ascii=False)
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\ud800-\udfff]')


def _enc(value: Any) -> str:
    """JSON text of a value. Lists of plain strings (ids, codes: most JSON
    columns) are joined directly; the encoder's per-call set-up would
    otherwise dominate a large import."""
    if value.__class__ is list and all(v.__class__ is str for v in value):
        if not _NEEDS_ESCAPE.search("".join(value)):
            return '["' + '","'.join(value) + '"]' if value else "[]"
    return _ENCODER.encode(value)


def _j(value: Any) -> str | None:
    return None if value is None else _enc(value)


def table_columns(table: str) -> list[str]:
    cols = list(PARENTS[table]) + [c for c, _, _ in COLUMNS[table]] + ["extra"]
    if table in EMPTY_LISTS:
        cols.append("empty_lists")
    return cols


# The keys of each table's objects that are not extensions: its columns' keys
# and the lists stored in child tables.
_CHILD_KEYS = {"study": ("format", "version", "documents", "firms", "codes"),
               "firms": ("sources", "routines", "events", "links", "actions"), "events": ("evidence",),
               "documents": ("passages",)}
_KNOWN_KEYS = {t: frozenset([k for _, k, _ in cols] + list(_CHILD_KEYS.get(t, ())))
               for t, cols in COLUMNS.items()}


def row_values(table: str, obj: dict, parents: tuple) -> tuple:
    """The row storing a format dict, in ``table_columns`` order."""
    values = list(parents)
    get = obj.get
    for _, key, how in COLUMNS[table]:
        v = get(key)
        if v is not None and how:
            v = _enc(v) if how == "json" else int(v)
        values.append(v)
    if _KNOWN_KEYS[table].issuperset(obj):
        values.append(None)
    else:
        values.append(_ENCODER.encode({k: v for k, v in obj.items() if k[:2] == "x-"}))
    if table in EMPTY_LISTS:
        empty = [k for k in EMPTY_LISTS[table] if obj.get(k) == []]
        values.append(_ENCODER.encode(empty) if empty else None)
    return tuple(values)


# An event matches a search when one of its texts contains the words (any case).
_TEXT_MATCH = " OR ".join(f"events.{c} LIKE :q ESCAPE '\\'" for c in
                          ("title", "description", "when_text", "memo", "actors"))


def _like(text: str) -> str:
    """A LIKE pattern for 'contains text', with LIKE's own characters escaped."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _stored(value: Any, how: str):
    """A value as its column stores it."""
    if value is None:
        return None
    if how == "json":
        return _enc(value)
    if how == "bool":
        return int(value)
    return value


def row_to_dict(table: str, row: dict) -> dict:
    """The format dict a row stores: NULLs left out, JSON decoded, x- keys and
    empty lists restored."""
    out: dict[str, Any] = {}
    for col, key, how in COLUMNS[table]:
        value = row[col]
        if value is None:
            continue
        if how == "json":
            value = json.loads(value)
        elif how == "bool":
            value = bool(value)
        out[key] = value
    if row.get("extra"):
        out.update(json.loads(row["extra"]))
    for name in json.loads(row["empty_lists"]) if row.get("empty_lists") else ():
        out[name] = []
    return out


def firm_rows(firm: dict, position: int, rows: dict[str, list[tuple]]) -> None:
    """Append the rows that store one firm (a format dict) to ``rows``."""
    fid = firm["id"]
    rows["firms"].append(row_values("firms", firm, (position,)))
    for table in ("sources", "routines", "events", "links", "actions"):
        rows[table].extend(row_values(table, obj, (fid, i)) for i, obj in enumerate(firm.get(table) or ()))
    rows["evidence"].extend(
        row_values("evidence", ev, (fid, e["id"], k))
        for e in firm.get("events") or () for k, ev in enumerate(e.get("evidence") or ()))


class StudyDB:
    """An open ``.lpw`` study file."""

    def __init__(self, path: Path, conn: sqlite3.Connection, read_only: bool = False):
        self.path = path
        self.conn = conn
        self.read_only = read_only
        self.backup: Path | None = None  # the copy kept when opening migrated the file
        self.conn.execute("PRAGMA foreign_keys = ON")
        if read_only:
            self.conn.execute("PRAGMA query_only = ON")
        self._db = None

    @property
    def db(self):
        """The file as a ``sqlite_utils.Database``, for writing. Reading goes
        through ``query`` on the plain connection, so that opening a study
        (and starting the desktop app) does not wait for sqlite-utils to load
        its plugins; it is loaded at the first edit."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn)
        return self._db

    def query(self, sql: str, params: Iterable | dict = ()) -> Iterator[dict]:
        """Rows of a SELECT as dicts (as ``sqlite_utils.Database.query``). A
        page SQLite cannot read is a ``DamagedStudyError`` naming the file
        and what to do (see ``damaged``), wherever in the study it lies."""
        try:
            cur = self.conn.execute(sql, params if isinstance(params, dict) else list(params))
            keys = [d[0] for d in cur.description]
            rows = cur.fetchall()
        except (sqlite3.DatabaseError, sqlite3.OperationalError) as exc:
            if isinstance(exc, sqlite3.IntegrityError):
                raise
            raise damaged(self.path, exc) from None
        return (dict(zip(keys, row, strict=True)) for row in rows)

    def _read(self, sql: str, params: Iterable | dict = ()) -> list[tuple]:
        """Rows of a SELECT as tuples, a damaged page reported as ``query`` does."""
        try:
            return self.conn.execute(sql, params if isinstance(params, dict) else list(params)).fetchall()
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.IntegrityError):
                raise
            raise damaged(self.path, exc) from None

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, path: str | os.PathLike, create: bool = False, read_only: bool = False) -> "StudyDB":
        """Open a study file for editing, or with ``read_only`` for reading
        only: the file is then opened read-only and never written (a study
        of an older version is brought up to date in memory). Opened for
        editing, an older study is first copied beside itself
        (``study.lpw.v1.bak``) and then brought up to date in place. With
        ``create``, a missing (or empty) file becomes a new, empty study
        file; the study row is written by the first import or by
        ``init_study``. Raises ``NoSuchStudyError``, ``NotAStudyError``,
        ``DamagedStudyError`` or ``NewerVersionError``; the file is then
        left as it was."""
        path = Path(path)
        if read_only and create:
            raise ValueError("a study file cannot be created read-only")
        if path.is_dir():
            raise NotAStudyError(f"{path}: is a folder, not a study file")
        exists = path.exists()
        if not exists and not create:
            raise NoSuchStudyError(f"{path}: no such study file")
        if exists:
            _check_header(path)
            if not create and path.stat().st_size == 0:
                raise DamagedStudyError(_empty_message(path))
        conn = _connect(path, "ro" if read_only else "rwc" if create else "rw")
        try:
            version, app_id, tables = _file_marks(path, conn)
            if app_id != APPLICATION_ID and (tables or version):
                raise NotAStudyError(f"{path}: is a SQLite database, but not a workbench study; "
                                     f"it was left untouched")
            if version > SCHEMA_VERSION:
                raise NewerVersionError(
                    f"{path}: was written by a newer version of the workbench (study file version "
                    f"{version}; this version reads up to {SCHEMA_VERSION}). Update the workbench to "
                    f"open it; the file was left untouched.")
            if app_id == APPLICATION_ID and version < 1:
                raise DamagedStudyError(f"{path}: is marked as a workbench study but has no version; "
                                        f"it is damaged. {_WHAT_TO_DO}")
            if version == 0 and not create:
                raise DamagedStudyError(_empty_message(path))  # an empty SQLite database
        except BaseException:
            conn.close()
            raise
        if version < SCHEMA_VERSION and read_only:
            conn = _migrated_copy(path, conn, version)
        self = cls(path, conn, read_only=read_only)
        try:
            if version < SCHEMA_VERSION and not read_only:
                self._migrate(version)
            _check_tables(path, self.conn)
        except BaseException:
            self.close()
            raise
        return self

    def _migrate(self, version: int) -> None:
        """Bring the file from ``version`` to this version in one
        transaction; a file that held a study (version 1 or later) is first
        copied beside itself."""
        if version >= 1:
            self.backup = _backup_copy(self.path, self.conn, version)
        try:
            with self.db.atomic():
                _run_migrations(self.conn, version)
        except sqlite3.Error as exc:
            kept = f"; a copy of it as it was is at {self.backup}" if self.backup else ""
            if "readonly" in str(exc) or "read-only" in str(exc):
                raise ReadOnlyError(f"{self.path}: cannot bring this study up to date: the file or its "
                                    f"folder is read-only. Open it read-only, or copy it somewhere "
                                    f"you can write{kept}.") from None
            raise WorkbenchError(f"{self.path}: cannot bring the study file up to date: {exc}. The file "
                                 f"was left as it was{kept}.") from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "StudyDB":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ reading

    def has_study(self) -> bool:
        return self._read("SELECT count(*) FROM study")[0][0] == 1

    def _rows(self, table: str, where: str = "", params: Iterable = ()) -> list[dict]:
        sql = f"SELECT * FROM {table} {where} ORDER BY position"
        return list(self.query(sql, list(params)))

    def study_meta(self) -> dict:
        """The study's own fields as a format dict (no firms)."""
        rows = list(self.query("SELECT * FROM study"))
        if not rows:
            raise InputError(f"{self.path}: holds no study yet (import a *.study.json into it first)")
        return {"format": "lpw-study", "version": 1, **row_to_dict("study", rows[0])}

    @property
    def framework(self) -> str:
        return self.study_meta()["framework"]

    def has_firm(self, firm_id: str) -> bool:
        return bool(self._read("SELECT 1 FROM firms WHERE id = ?", [firm_id]))

    def firm_ids(self) -> list[str]:
        return [r["id"] for r in self.query("SELECT id FROM firms ORDER BY position")]

    def load_doc(self, firm_ids: list[str] | None = None) -> dict:
        """The whole study as a format dict; with ``firm_ids``, only those
        firms and the documents they use or are about (read from the file
        alone: the cost does not grow with the rest of the study)."""
        doc = self.study_meta()  # may carry "documents": [] kept from the file
        if firm_ids is None:
            where, params = "", []
        else:
            firm_ids = list(dict.fromkeys(firm_ids))
            where, params = f"WHERE firm IN ({','.join('?' * len(firm_ids))})", firm_ids

        def grouped(table: str, key=lambda r: r["firm"]) -> dict:
            out: dict = {}
            order = "firm, event, position" if table == "evidence" else "firm, position"
            for row in self.query(f"SELECT * FROM {table} {where} ORDER BY {order}", params):
                out.setdefault(key(row), []).append(row_to_dict(table, row))
            return out

        children = {t: grouped(t) for t in ("sources", "routines", "events", "links", "actions")}
        evidence = grouped("evidence", key=lambda r: (r["firm"], r["event"]))
        firm_rows_ = self._rows("firms") if firm_ids is None else self._rows(
            "firms", f"WHERE id IN ({','.join('?' * len(firm_ids))})", firm_ids)
        firms = []
        for row in firm_rows_:
            fid = row["id"]
            firm = row_to_dict("firms", row)
            for table, by_firm in children.items():
                if fid in by_firm:
                    firm[table] = by_firm[fid]
            for ev in firm.get("events", ()):
                if (fid, ev["id"]) in evidence:
                    ev["evidence"] = evidence[(fid, ev["id"])]
            firms.append(firm)
        if firm_ids is None:
            docs = self._documents()
        else:
            used = sorted({ev["document"] for items in evidence.values() for ev in items if ev.get("document")})
            docs = self._documents(f"WHERE firm IN ({','.join('?' * len(firm_ids))}) "
                                   f"OR id IN ({','.join('?' * len(used))})", firm_ids + used)
        if docs:
            doc["documents"] = docs
        codes = self.codes()
        if codes:
            doc["codes"] = codes
        doc["firms"] = firms
        return doc

    def _documents(self, where: str = "", params: list | None = None) -> list[dict]:
        """Documents as format dicts, with their coded passages."""
        docs = [row_to_dict("documents", r) for r in self._rows("documents", where, params or [])]
        if docs:
            ids = [d["id"] for d in docs]
            by_doc: dict[str, list] = {}
            for r in self.query(f"SELECT * FROM passages WHERE document IN ({','.join('?' * len(ids))}) "
                                f"ORDER BY document, position", ids):
                by_doc.setdefault(r["document"], []).append(row_to_dict("passages", r))
            for d in docs:
                if d["id"] in by_doc:
                    d["passages"] = by_doc[d["id"]]
        return docs

    def codes(self) -> list[dict]:
        """The study's own codes, in order."""
        return [row_to_dict("codes", r) for r in self._rows("codes")]

    def firm_part(self, firm_id: str, event_ids: set | None) -> tuple[dict, list[dict]]:
        """A firm as a format dict holding its own fields, sources, routines
        and links, and of its events only ``event_ids`` (all where None) in
        full; an event that a link names but that is not asked for stands
        as a stub (id and title). With the documents the part's evidence
        uses. What an edit's check reads."""
        if event_ids is None:
            doc = self.load_doc([firm_id])
            return doc["firms"][0], doc.get("documents") or []
        row = next(self.query("SELECT * FROM firms WHERE id = ?", [firm_id]))
        firm = row_to_dict("firms", row)
        for table in ("sources", "routines", "links", "actions"):
            items = self.objects(table, firm_id) if table != "links" else self.links(firm_id)
            if items:
                firm[table] = items
        wanted = set(event_ids) | {ln[end] for ln in firm.get("links", ()) for end in ("from", "to")}
        wanted |= {a["event"] for a in firm.get("actions", ()) if a.get("event")}
        events = self.events_by_id(firm_id, sorted(wanted))
        full = [self.get("events", firm_id, i) for i in sorted(event_ids) if i in events]
        stubs = [{"id": i, "title": events[i]["title"]} for i in sorted(wanted - set(event_ids)) if i in events]
        if full or stubs:
            firm["events"] = full + stubs
        used = [ev["document"] for e in full for ev in e.get("evidence", ()) if ev.get("document")]
        return firm, self.documents_by_id(used)

    def documents_by_id(self, ids: list[str]) -> list[dict]:
        """The study's documents with these ids, in the study's order."""
        ids = list(dict.fromkeys(ids))
        if not ids:
            return []
        return self._documents(f"WHERE id IN ({','.join('?' * len(ids))})", ids)

    def load_study(self, firm_ids: list[str] | None = None) -> Study:
        """The whole study (or the chosen firms) as a model."""
        return Study.from_dict(self.load_doc(firm_ids))

    # ------------------------------------------------------------------ writing

    def _insert(self, table: str, rows: list[tuple]) -> None:
        """Insert rows (tuples in ``table_columns`` order) with one prepared
        statement: the hot path of a large import, where sqlite-utils'
        ``insert_all`` would re-inspect every value."""
        if rows:
            cols = table_columns(table)
            self.conn.executemany(
                f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rows)

    def _next_position(self, table: str) -> int:
        return self._read(f"SELECT coalesce(max(position), -1) + 1 FROM {table}")[0][0]

    # ------------------------------------------------------------------ editing
    # Each method is one transaction; the caller (workbench.session) has
    # validated the values. Objects are format dicts, as in the exchange file.

    def create_study(self, meta: dict) -> None:
        """Write the study row of a new, empty study file."""
        with self.db.atomic():
            self._insert("study", [row_values("study", meta, (1,))])

    def set_study_field(self, key: str, value) -> None:
        if key[:2] == "x-":  # an extension key (a merge's x-conflicts), kept in the extra column
            with self.db.atomic():
                self._set_extra("study", "id = 1", [], key, value)
            return
        col = {k: c for c, k, _ in COLUMNS["study"]}[key]
        how = {k: h for _, k, h in COLUMNS["study"]}[key]
        with self.db.atomic():
            self.conn.execute(f"UPDATE study SET {col} = ? WHERE id = 1", [_stored(value, how)])

    def firm_list(self) -> list[dict]:
        return list(self.query("SELECT id, name, position FROM firms ORDER BY position"))

    def firm_doc(self, firm_id: str) -> dict:
        """One firm with everything it holds, as a format dict."""
        doc = self.load_doc([firm_id])
        if not doc["firms"]:
            raise InputError(f"no firm {firm_id!r} in {self.path.name}")
        return doc["firms"][0]

    def add_firm(self, firm: dict, position: int | None = None) -> None:
        """Insert a firm (with everything it holds) at ``position``."""
        with self.db.atomic():
            n = self._next_position("firms")
            position = n if position is None or position > n else position
            self._shift("firms", "", [], position, +1)
            rows: dict[str, list[tuple]] = {t: [] for t in FIRM_TABLES}
            firm_rows(firm, position, rows)
            for table in FIRM_TABLES:
                self._insert(table, rows[table])

    def delete_firm(self, firm_id: str) -> None:
        """Delete a firm with everything it holds."""
        with self.db.atomic():
            row = next(self.query("SELECT position FROM firms WHERE id = ?", [firm_id]), None)
            if row is None:
                raise InputError(f"no firm {firm_id!r} in {self.path.name}")
            self.conn.execute("DELETE FROM firms WHERE id = ?", [firm_id])
            self._shift("firms", "", [], row["position"] + 1, -1)

    def _shift(self, table: str, where: str, params: list, from_position: int, delta: int) -> None:
        """Move the positions at or after ``from_position`` by ``delta``
        (in two steps, so that no two rows share a position on the way)."""
        cond = f"{where} AND position >= ?" if where else "position >= ?"
        self.conn.execute(f"UPDATE {table} SET position = -(position + {delta}) - 1 WHERE {cond}",
                        params + [from_position])
        neg = f"{where} AND position < 0" if where else "position < 0"
        self.conn.execute(f"UPDATE {table} SET position = -position - 1 WHERE {neg}", params)

    def _where(self, table: str, parent: str | None) -> tuple[str, list]:
        """The condition that picks one list: a firm's sources, routines or
        events, a document's passages; firms, documents and codes are lists
        of the study."""
        if table in ("sources", "routines", "events", "actions"):
            return "firm = ?", [parent]
        if table == "passages":
            return "document = ?", [parent]
        return "", []

    def move(self, table: str, firm_id: str | None, obj_id: str, to_position: int) -> int:
        """Move an object (a firm, or a firm's source, routine or event) to a
        new position; returns its old position."""
        where, params = self._where(table, firm_id)
        key = f"{where} AND id = ?" if where else "id = ?"
        with self.db.atomic():
            row = next(self.query(f"SELECT position FROM {table} WHERE {key}", params + [obj_id]), None)
            if row is None:
                raise InputError(f"no {table[:-1]} {obj_id!r}")
            old = row["position"]
            count = self.count(table, firm_id)
            to_position = max(0, min(to_position, count - 1))
            if to_position == old:
                return old
            self.conn.execute(f"UPDATE {table} SET position = -1 WHERE {key}", params + [obj_id])
            self._shift(table, where, params, old + 1, -1)
            self._shift(table, where, params, to_position, +1)
            self.conn.execute(f"UPDATE {table} SET position = ? WHERE {key}", [to_position] + params + [obj_id])
        return old

    def get(self, table: str, firm_id: str | None, obj_id: str) -> dict:
        """One firm, source, routine or event as a format dict (an event with
        its evidence)."""
        where, params = self._where(table, firm_id)
        key = f"{where} AND id = ?" if where else "id = ?"
        row = next(self.query(f"SELECT * FROM {table} WHERE {key}", params + [obj_id]), None)
        if row is None:
            raise InputError(self._missing(table, firm_id, obj_id))
        obj = row_to_dict(table, row)
        if table == "events":
            ev = [row_to_dict("evidence", r) for r in self.query(
                "SELECT * FROM evidence WHERE firm = ? AND event = ? ORDER BY position", [firm_id, obj_id])]
            if ev:
                obj["evidence"] = ev
        return obj

    def _missing(self, table: str, parent: str | None, obj_id: str) -> str:
        """What to say of an object not found: which firm (or document) was
        looked in, or that the firm itself is not there."""
        if table in ("sources", "routines", "events", "actions"):
            if not self.has_firm(parent):
                known = ", ".join(self.firm_ids()) or "(none)"
                return f"no firm {parent!r} in {self.path.name}; its firms are: {known}"
            return f"no {table[:-1]} {obj_id!r} in firm {parent!r}"
        if table == "passages":
            return f"no passage {obj_id!r} in document {parent!r}"
        return f"no {table[:-1]} {obj_id!r} in {self.path.name}"

    def document(self, doc_id: str) -> dict:
        """One document of the study as a format dict (with its text)."""
        docs = self._documents("WHERE id = ?", [doc_id])
        if not docs:
            raise InputError(f"no document {doc_id!r} in {self.path.name}")
        return docs[0]

    def objects(self, table: str, firm_id: str | None) -> list[dict]:
        """A firm's sources, routines or events (events without evidence), a
        document's passages, or the study's codes, in order."""
        where, params = self._where(table, firm_id)
        return [row_to_dict(table, r) for r in self._rows(table, f"WHERE {where}" if where else "", params)]

    def set_field(self, table: str, firm_id: str | None, obj_id: str, key: str, value) -> None:
        """Set (or, with None, remove) one field of a firm, source, routine or
        event. An event's ``evidence`` replaces its evidence rows."""
        where, params = self._where(table, firm_id)
        cond = f"{where} AND id = ?" if where else "id = ?"
        with self.db.atomic():
            if table == "events" and key == "evidence":
                if not self._read(f"SELECT 1 FROM events WHERE {cond}", params + [obj_id]):
                    raise InputError(f"no event {obj_id!r}")
                self.conn.execute("DELETE FROM evidence WHERE firm = ? AND event = ?", [firm_id, obj_id])
                self._insert("evidence", [row_values("evidence", ev, (firm_id, obj_id, i))
                                          for i, ev in enumerate(value or ())])
                return
            if key[:2] == "x-":
                if not self._set_extra(table, cond, params + [obj_id], key, value):
                    raise InputError(f"no {table[:-1]} {obj_id!r}")
                return
            spec = {k: (c, h) for c, k, h in COLUMNS[table]}
            if key not in spec:
                raise InputError(f"{key!r} is not a field of a {table[:-1]}")
            col, how = spec[key]
            cur = self.conn.execute(f"UPDATE {table} SET {col} = ? WHERE {cond}",
                                  [_stored(value, how)] + params + [obj_id])
            if not cur.rowcount:
                raise InputError(f"no {table[:-1]} {obj_id!r}")

    def _set_extra(self, table: str, cond: str, params: list, key: str, value) -> bool:
        """Set (None: remove) an extension key of one row; False if no row."""
        row = self._read(f"SELECT extra FROM {table} WHERE {cond}", params)
        if not row:
            return False
        extra = json.loads(row[0][0]) if row[0][0] else {}
        if value is None:
            extra.pop(key, None)
        else:
            extra[key] = value
        self.conn.execute(f"UPDATE {table} SET extra = ? WHERE {cond}",
                          [_ENCODER.encode(extra) if extra else None] + params)
        return True

    def insert(self, table: str, firm_id: str, obj: dict, position: int | None = None) -> int:
        """Insert a source, routine or event of a firm at ``position`` (the
        end by default); returns the position."""
        with self.db.atomic():
            where, params = self._where(table, firm_id)
            n = self.count(table, firm_id)
            position = n if position is None or position > n else max(0, position)
            self._shift(table, where, params, position, +1)
            self._insert(table, [row_values(table, obj, (firm_id, position) if where else (position,))])
            if table == "events" and obj.get("evidence"):
                self._insert("evidence", [row_values("evidence", ev, (firm_id, obj["id"], i))
                                          for i, ev in enumerate(obj["evidence"])])
        return position

    def remove(self, table: str, firm_id: str, obj_id: str) -> None:
        """Take a source, routine or event (with its evidence, and the links
        that touch it) out of its firm's list. Names of it in other objects
        are left as they are: the session clears them first, as edits of
        their own, so that undo restores them."""
        where, params = self._where(table, firm_id)
        key = f"{where} AND id = ?" if where else "id = ?"
        with self.db.atomic():
            position = self.position(table, firm_id, obj_id)
            self.conn.execute(f"DELETE FROM {table} WHERE {key}", params + [obj_id])
            self._shift(table, where, params, position + 1, -1)

    def position(self, table: str, firm_id: str | None, obj_id: str) -> int:
        """Where an object stands in its list (0 first)."""
        where, params = self._where(table, firm_id)
        key = f"{where} AND id = ?" if where else "id = ?"
        row = next(self.query(f"SELECT position FROM {table} WHERE {key}", params + [obj_id]), None)
        if row is None:
            raise InputError(f"no {table[:-1]} {obj_id!r}" + (f" in firm {firm_id!r}" if firm_id else ""))
        return row["position"]

    def count(self, table: str, firm_id: str | None = None) -> int:
        where, params = self._where(table, firm_id)
        return self._read(f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else ""), params)[0][0]

    def add_document(self, doc: dict, position: int | None = None) -> None:
        with self.db.atomic():
            n = self._next_position("documents")
            position = n if position is None or position > n else position
            self._shift("documents", "", [], position, +1)
            self._insert("documents", [row_values("documents", doc, (position,))])
            self._insert("passages", [row_values("passages", pa, (doc["id"], i))
                                      for i, pa in enumerate(doc.get("passages") or ())])

    def remove_document(self, doc_id: str) -> None:
        with self.db.atomic():
            position = self.position("documents", None, doc_id)
            self.conn.execute("DELETE FROM documents WHERE id = ?", [doc_id])
            self._shift("documents", "", [], position + 1, -1)

    def apply(self, edit) -> None:
        """Write an edit (``core.edits``), all of it or nothing: one
        transaction. The caller has built it from what the file holds."""
        from ..core import edits as E

        with self.db.atomic():
            for e in E.primitives(edit):
                if isinstance(e, E.SetField):
                    self.set_field(e.table, e.firm, e.id, e.key, e.value)
                elif isinstance(e, E.SetStudyField):
                    self.set_study_field(e.key, e.value)
                elif isinstance(e, E.Insert):
                    self.insert(e.table, e.firm, e.obj, e.position)
                elif isinstance(e, E.Remove):
                    self.remove(e.table, e.firm, e.obj["id"])
                elif isinstance(e, E.Move):
                    self.move(e.table, e.firm, e.id, e.new)
                elif isinstance(e, E.AddFirm):
                    self.add_firm(e.firm, e.position)
                elif isinstance(e, E.RemoveFirm):
                    self.delete_firm(e.firm["id"])
                elif isinstance(e, E.SetLinks):
                    self.set_links(e.firm, list(e.links))
                elif isinstance(e, E.AddDocument):
                    self.add_document(e.doc, e.position)
                elif isinstance(e, E.RemoveDocument):
                    self.remove_document(e.doc["id"])
                else:
                    raise TypeError(f"not an edit: {e!r}")

    def links(self, firm_id: str) -> list[dict]:
        return [row_to_dict("links", r) for r in
                self.query("SELECT * FROM links WHERE firm = ? ORDER BY position", [firm_id])]

    def set_links(self, firm_id: str, links: list[dict]) -> None:
        with self.db.atomic():
            self.conn.execute("DELETE FROM links WHERE firm = ?", [firm_id])
            self._insert("links", [row_values("links", ln, (firm_id, i)) for i, ln in enumerate(links)])

    def event_ids(self, firm_id: str, text: str | None = None) -> list[str]:
        """A firm's event ids in order; with ``text``, only the events whose
        title, description, when, memo or actors contain it (any case)."""
        if not text:
            return [r[0] for r in self._read(
                "SELECT id FROM events WHERE firm = ? ORDER BY position", [firm_id])]
        return [r[0] for r in self._read(
            f"SELECT id FROM events WHERE firm = :firm AND ({_TEXT_MATCH}) ORDER BY position",
            {"firm": firm_id, "q": _like(text)})]

    def event_page(self, firm_id: str, text: str | None = None, after: int = -1,
                   limit: int = 1000) -> list[tuple[int, dict]]:
        """The next ``limit`` events (position, event without evidence) of a
        firm after position ``after``, only those containing ``text`` if
        given: a table fetches a long chronology page by page this way, and
        a search stops as soon as a page is full."""
        match = f" AND ({_TEXT_MATCH})" if text else ""
        params = {"firm": firm_id, "after": after, "n": limit}
        if text:
            params["q"] = _like(text)
        return [(r["position"], row_to_dict("events", r)) for r in self.query(
            f"SELECT * FROM events WHERE firm = :firm AND position > :after{match} "
            f"ORDER BY position LIMIT :n", params)]

    def event_count(self, firm_id: str, text: str | None = None) -> int:
        match = f" AND ({_TEXT_MATCH})" if text else ""
        params = {"firm": firm_id, **({"q": _like(text)} if text else {})}
        return self._read(f"SELECT count(*) FROM events WHERE firm = :firm{match}", params)[0][0]

    def event_warnings_data(self, firm_id: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """For the events table's warnings: (event, source id) pairs naming a
        source the firm does not have, and (event, date) pairs in order."""
        missing = self._read(
            "SELECT events.id, j.value FROM events, json_each(events.sources) AS j "
            "WHERE events.firm = :firm AND events.sources IS NOT NULL "
            "AND j.value NOT IN (SELECT id FROM sources WHERE firm = :firm) ORDER BY events.position",
            {"firm": firm_id})
        dates = self._read(
            "SELECT id, date FROM events WHERE firm = ? AND date IS NOT NULL ORDER BY position", [firm_id])
        return missing, dates

    def code_users(self, code_id: str) -> tuple[list[tuple[str, str]], list[str]]:
        """Where a code of the study is used: (firm, event) pairs whose event
        or evidence carries it, and the documents with a passage carrying it."""
        has = "EXISTS (SELECT 1 FROM json_each({0}.codes) WHERE value = ?)"
        events = self._read(
            f"SELECT firm, id FROM events WHERE codes IS NOT NULL AND {has.format('events')} UNION "
            f"SELECT firm, event FROM evidence WHERE codes IS NOT NULL AND {has.format('evidence')}",
            [code_id, code_id])
        docs = [r[0] for r in self._read(
            f"SELECT DISTINCT document FROM passages WHERE codes IS NOT NULL AND {has.format('passages')}",
            [code_id])]
        return [(f, e) for f, e in events], docs

    def document_users(self, doc_id: str) -> list[tuple[str, str]]:
        """(firm, event) pairs whose evidence quotes a document."""
        return [(f, e) for f, e in self._read(
            "SELECT DISTINCT firm, event FROM evidence WHERE document = ?", [doc_id])]

    def find_events(self, text: str, limit: int = 500) -> list[dict]:
        """Events of every firm whose text contains ``text``: firm, id, title."""
        return list(self.query(
            f"SELECT events.firm AS firm, events.id AS id, events.title AS title FROM events "
            f"JOIN firms ON firms.id = events.firm WHERE {_TEXT_MATCH} "
            f"ORDER BY firms.position, events.position LIMIT :n", {"q": _like(text), "n": limit}))

    def events_by_id(self, firm_id: str, ids: list[str]) -> dict[str, dict]:
        """Events (without evidence) of a firm by id, for a page of a table."""
        out: dict[str, dict] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            marks = ",".join("?" * len(chunk))
            for r in self.query(f"SELECT * FROM events WHERE firm = ? AND id IN ({marks})", [firm_id] + chunk):
                out[r["id"]] = row_to_dict("events", r)
        return out

    def used_by(self, firm_id: str, column: str, obj_id: str) -> list[dict]:
        """The events whose ``column`` (sources or routines) names ``obj_id``."""
        return list(self.query(
            f"SELECT id, title FROM events WHERE firm = ? AND {column} IS NOT NULL AND EXISTS "
            f"(SELECT 1 FROM json_each(events.{column}) WHERE value = ?) ORDER BY position", [firm_id, obj_id]))

    def dump(self) -> str:
        """The whole file as SQL text: two equal dumps mean equal studies."""
        return "\n".join(self.conn.iterdump())


_WHAT_TO_DO = ("If you have the *.study.json it came from, import that into a new study "
               "('workbench import NEW.lpw FILE.study.json'); otherwise open a backup copy.")


def _empty_message(path: Path) -> str:
    return (f"{path}: holds no study: the file is empty (an import into it may have been "
            f"interrupted). Import a *.study.json into it ('workbench import {path.name} "
            f"FILE.study.json'), or choose another file.")


def no_study(path: Path) -> DamagedStudyError:
    """The error for a study file with its tables but no study in them:
    what an import that was interrupted leaves."""
    return DamagedStudyError(
        f"{path}: holds no study: an import into it was interrupted before it was complete. Delete "
        f"the file and import the *.study.json again ('workbench import {path.name} FILE.study.json'), "
        f"or choose another file.")


def _check_header(path: Path) -> None:
    """Refuse a file that is not SQLite before SQLite touches it."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if head and head[:16] != SQLITE_MAGIC:
        try:
            refuse_other_kind(path)  # a Word document, a PDF, a picture ...: named as such
        except InputError as exc:
            raise NotAStudyError(exc.message) from None
        hint = " (it looks like a *.study.json file: use 'workbench import' to load it)" \
            if head.lstrip()[:1] in (b"{", b"[") else ""
        raise NotAStudyError(f"{path}: not a workbench study file{hint}; it was left untouched")
    if head and len(head) < 100:
        raise DamagedStudyError(f"{path}: is cut short ({len(head)} bytes): it is not a whole study "
                                f"file. {_WHAT_TO_DO}")


def _connect(path: Path, mode: str) -> sqlite3.Connection:
    try:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True,
                               isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise InputError(f"{path}: cannot open: {exc}") from None


def _file_marks(path: Path, conn: sqlite3.Connection) -> tuple[int, int, set[str]]:
    """The file's schema version, application id and table names."""
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise damaged(path, exc) from None
    return version, app_id, tables


def damaged(path: Path, exc: BaseException) -> WorkbenchError:
    """The error for a study file SQLite cannot read (a malformed page, a
    file cut short): a ``DamagedStudyError``, unless SQLite only waited in
    vain for another program to finish writing it."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return WorkbenchError(f"{path}: another program is writing to the study file and did not "
                              f"finish in time; try again in a moment.")
    if "readonly" in text or "read-only" in text:
        # a read-only open cannot roll back an edit that was interrupted
        return DamagedStudyError(
            f"{path}: an edit of this study was interrupted and is still to be undone, which needs "
            f"the file opened for editing: open it in the workbench (or copy it with its "
            f"'-journal' file to a folder you can write and open the copy), then try again.")
    return DamagedStudyError(f"{path}: the study file is damaged ({text}). {_WHAT_TO_DO}")


def _run_migrations(conn: sqlite3.Connection, version: int) -> None:
    for target in range(version + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[target](conn)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _migrated_copy(path: Path, conn: sqlite3.Connection, version: int) -> sqlite3.Connection:
    """An older study brought up to date in memory, for reading: the file
    itself is not written."""
    mem = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    try:
        conn.backup(mem)
        mem.execute("BEGIN")
        _run_migrations(mem, version)
        mem.execute("COMMIT")
    except sqlite3.Error as exc:
        mem.close()
        raise damaged(path, exc) from None
    finally:
        conn.close()
    return mem


def _backup_copy(path: Path, conn: sqlite3.Connection, version: int) -> Path:
    """Copy the file beside itself as ``NAME.v<version>.bak`` (never over an
    earlier copy), holding a read lock so that no one writes it meanwhile."""
    import shutil

    target, n = path.with_name(f"{path.name}.v{version}.bak"), 2
    while target.exists():
        target, n = path.with_name(f"{path.name}.v{version}-{n}.bak"), n + 1
    try:
        conn.execute("BEGIN")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # takes the read lock
        with open(path, "rb") as src, open(target, "xb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
            dst.flush()
            os.fsync(dst.fileno())
    except OSError as exc:
        try:
            target.unlink()
        except OSError:
            pass
        raise ReadOnlyError(
            f"{path}: is a study of an older version, which is brought up to date when it is "
            f"opened for editing, after a copy is kept beside it; that copy could not be written "
            f"({exc.strerror or exc}). Open it read-only, or free some space and try again.") from None
    except sqlite3.Error as exc:
        raise damaged(path, exc) from None
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")
    return target


@lru_cache(maxsize=4)
def _expected_tables(migrations: tuple) -> dict[str, frozenset[str]]:
    """The tables (and their columns) a study file of this version has."""
    mem = sqlite3.connect(":memory:")
    try:
        for migrate in migrations:
            migrate(mem)
        names = [r[0] for r in mem.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: frozenset(r[1] for r in mem.execute(f"PRAGMA table_info({t})")) for t in names}
    finally:
        mem.close()


def _check_tables(path: Path, conn: sqlite3.Connection) -> None:
    """DamagedStudyError when a study file lacks tables or columns it should
    have (a half-made file, or one changed by another program)."""
    expected = _expected_tables(tuple(MIGRATIONS[v] for v in range(1, SCHEMA_VERSION + 1)))
    missing = []
    try:
        for table, columns in expected.items():
            have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
            if not have:
                missing.append(f"the table {table!r}")
            elif columns - have:
                missing.append(f"the column{'s' if len(columns - have) > 1 else ''} "
                               f"{', '.join(sorted(columns - have))} of {table!r}")
    except sqlite3.DatabaseError as exc:
        raise damaged(path, exc) from None
    if missing:
        raise DamagedStudyError(f"{path}: is marked as a workbench study but lacks {'; '.join(missing)}: "
                                f"it is half-made or damaged. {_WHAT_TO_DO}")

