"""A study as one SQLite file (``.lpw``), edited in place through
sqlite-utils.

Foreign keys are on; every user-level operation is one transaction
(``Database.atomic``), so a failure leaves the file as it was. A file that is
not a study, or was written by a newer version of the workbench, is refused
with a clear message and left untouched.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any, Iterable

import sqlite_utils

from ..core.errors import InputError, WorkbenchError
from ..core.frameworks import framework as get_framework
from ..core.model import Document, Firm, Study
from ..core.validate import Problem, did_you_mean
from .schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION

SQLITE_MAGIC = b"SQLite format 3\x00"

# The exchange-format keys of each table's columns (column -> key), in order.
_SOURCE_COLS = ("id", "name", "kind", "external", "country", "location", "scope",
                "direction", "strategic", "via", "notes")
_ROUTINE_COLS = ("id", "name", "activity", "outcome", "sources", "stage", "started", "notes")
_EVENT_COLS = {"id": "id", "title": "title", "description": "description", "date": "date",
               "when_text": "when", "critical": "critical", "phase": "phase",
               "stages": "stages", "level": "level", "learning_types": "learning_types",
               "knowledge_types": "knowledge_types", "sources": "sources",
               "routines": "routines", "actors": "actors", "tags": "tags", "memo": "memo"}
_EVIDENCE_COLS = {"quote": "quote", "speaker": "speaker", "document": "document",
                  "start_offset": "start", "end_offset": "end", "location": "location"}
_BOOL_COLS = {"external", "strategic", "critical"}
_JSON_COLS = {"authors", "profile", "attributes", "summary", "sources", "stages",
              "learning_types", "knowledge_types", "routines", "actors", "tags", "extra",
              "empty_lists"}


def _j(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _extra(obj: Any) -> str | None:
    return _j(obj.extra) if obj.extra else None


def _empty_lists(obj: Any, names: Iterable[str]) -> str | None:
    """The list keys an object gave as ``[]``: kept so export gives them back."""
    empty = [n for n in names if getattr(obj, n) == []]
    return _j(empty) if empty else None


def _b(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _from_row(row: dict, mapping: dict[str, str]) -> dict:
    """A format dict from a row: columns renamed, JSON decoded, NULLs left out."""
    out: dict[str, Any] = {}
    for col, key in mapping.items():
        value = row[col]
        if value is None:
            continue
        if col in _BOOL_COLS:
            value = bool(value)
        elif col in _JSON_COLS:
            value = json.loads(value)
        out[key] = value
    if row.get("extra"):
        out.update(json.loads(row["extra"]))
    for name in json.loads(row["empty_lists"]) if row.get("empty_lists") else ():
        out[name] = []
    return out


class StudyDB:
    """An open ``.lpw`` study file."""

    def __init__(self, path: Path, conn: sqlite3.Connection):
        self.path = path
        self.db = sqlite_utils.Database(conn)
        self.db.execute("PRAGMA foreign_keys = ON")

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, path: str | os.PathLike, create: bool = False) -> "StudyDB":
        """Open a study file. With ``create``, a missing (or empty) file
        becomes a new, empty study file; the study row is written by the
        first import or by ``init_study``."""
        path = Path(path)
        exists = path.exists()
        if path.is_dir():
            raise InputError(f"{path}: is a folder, not a study file")
        if not exists and not create:
            raise InputError(f"{path}: no such study file")
        if exists:
            _check_header(path)
        try:
            mode = "rwc" if create else "rw"
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True,
                                   isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise InputError(f"{path}: cannot open: {exc}") from None
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise InputError(f"{path}: not a workbench study ({exc})") from None
        if app_id != APPLICATION_ID and (tables or version):
            conn.close()
            raise InputError(f"{path}: is a SQLite database, but not a workbench study; "
                             f"it was left untouched")
        if version > SCHEMA_VERSION:
            conn.close()
            raise InputError(f"{path}: was written by a newer version of the workbench "
                             f"(study file version {version}; this version reads up to "
                             f"{SCHEMA_VERSION}). Update the workbench to open it; the file "
                             f"was left untouched.")
        self = cls(path, conn)
        if version < SCHEMA_VERSION:
            self._migrate(version)
        return self

    def _migrate(self, version: int) -> None:
        try:
            with self.db.atomic():
                for target in range(version + 1, SCHEMA_VERSION + 1):
                    MIGRATIONS[target](self.db.conn)
                self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.Error as exc:
            raise WorkbenchError(f"{self.path}: cannot update the study file: {exc}") from None

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> "StudyDB":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ reading

    def has_study(self) -> bool:
        return self.db.execute("SELECT count(*) FROM study").fetchone()[0] == 1

    def _rows(self, table: str, where: str = "", params: Iterable = ()) -> list[dict]:
        sql = f"SELECT * FROM {table} {where} ORDER BY position"
        return list(self.db.query(sql, list(params)))

    def study_meta(self) -> dict:
        """The study's own fields as a format dict (no documents, no firms)."""
        rows = list(self.db.query("SELECT * FROM study"))
        if not rows:
            raise InputError(f"{self.path}: holds no study yet (import a *.study.json into it first)")
        meta = _from_row(rows[0], {"title": "title", "description": "description",
                                   "authors": "authors", "coder": "coder",
                                   "framework": "framework"})
        return {"format": "lpw-study", "version": 1, **meta}

    @property
    def framework(self) -> str:
        return self.study_meta()["framework"]

    def firm_ids(self) -> list[str]:
        return [r["id"] for r in self.db.query("SELECT id FROM firms ORDER BY position")]

    def load_study(self, firm_ids: list[str] | None = None) -> Study:
        """The whole study (or the chosen firms) as a model."""
        meta = self.study_meta()
        docs = [_from_row(r, {"id": "id", "name": "name", "kind": "kind", "date": "date",
                              "firm": "firm", "text": "text"}) for r in self._rows("documents")]

        def group(table: str) -> dict[str, list[dict]]:
            out: dict[str, list[dict]] = {}
            for row in self.db.query(f"SELECT * FROM {table} ORDER BY firm, position"):
                out.setdefault(row["firm"], []).append(row)
            return out

        sources, routines, events = group("sources"), group("routines"), group("events")
        links = group("links")
        evidence: dict[tuple[str, str], list[dict]] = {}
        for row in self.db.query("SELECT * FROM evidence ORDER BY firm, event, position"):
            evidence.setdefault((row["firm"], row["event"]), []).append(_from_row(row, _EVIDENCE_COLS))

        firms = []
        for row in self._rows("firms"):
            fid = row["id"]
            if firm_ids is not None and fid not in firm_ids:
                continue
            firm = _from_row(row, {"id": "id", "name": "name", "profile": "profile",
                                   "attributes": "attributes", "summary": "summary",
                                   "memo": "memo"})
            if fid in sources:
                firm["sources"] = [_from_row(r, {c: c for c in _SOURCE_COLS}) for r in sources[fid]]
            if fid in routines:
                firm["routines"] = [_from_row(r, {c: c for c in _ROUTINE_COLS}) for r in routines[fid]]
            if fid in events:
                evs = []
                for r in events[fid]:
                    ev = _from_row(r, _EVENT_COLS)
                    if (fid, r["id"]) in evidence:
                        ev["evidence"] = evidence[(fid, r["id"])]
                    evs.append(ev)
                firm["events"] = evs
            if fid in links:
                firm["links"] = [_from_row(r, {"from_event": "from", "to_event": "to", "label": "label"})
                                 for r in links[fid]]
            firms.append(firm)

        doc: dict[str, Any] = dict(meta)  # may carry "documents": [] kept from the file
        if docs:
            doc["documents"] = docs
        doc["firms"] = firms
        return Study.from_dict(doc)

    # ------------------------------------------------------------------ writing

    def init_study(self, study: Study) -> None:
        """Write the study's own fields (title, framework, ...)."""
        with self.db.atomic():
            self._write_meta(study)

    def _write_meta(self, study: Study) -> None:
        empty = [n for n in ("authors", "documents") if getattr(study, n) == []]
        self.db["study"].insert({
            "id": 1, "title": study.title, "description": study.description,
            "authors": _j(study.authors), "coder": study.coder, "framework": study.framework,
            "extra": _extra(study), "empty_lists": _j(empty) if empty else None,
        }, replace=True)

    def import_study(self, study: Study, replace: bool = False) -> list[str]:
        """Add the study's firms and documents. A firm id already here is an
        error unless ``replace``; stages must belong to this study's framework.
        One transaction: on any problem nothing changes. Returns the firm ids
        imported."""
        problems: list[Problem] = []
        fresh = not self.has_study()
        existing = set(self.firm_ids())
        if not fresh:
            fw = get_framework(self.framework)
            stage_ids = set(fw.stage_ids)
            for fi, firm in enumerate(study.firms):
                if firm.id in existing and not replace:
                    problems.append(Problem(f"firms[{fi}].id",
                                            f"firm {firm.id!r} is already in {self.path.name}; "
                                            f"use --replace to replace it"))
                for ei, ev in enumerate(firm.event_list):
                    for si, st in enumerate(ev.stages or ()):
                        if st not in stage_ids:
                            problems.append(Problem(
                                f"firms[{fi}].events[{ei}].stages[{si}]",
                                f"{st!r} is not a stage of framework {fw.id}, the framework of "
                                f"{self.path.name}{did_you_mean(st, stage_ids)}"))
            have_docs = {r["id"]: r for r in self.db.query("SELECT id, name, kind, date, firm, text, extra FROM documents")}
            for di, d in enumerate(study.document_list):
                old = have_docs.get(d.id)
                if old is not None and _doc_differs(old, d):
                    problems.append(Problem(f"documents[{di}].id",
                                            f"a different document {d.id!r} is already in "
                                            f"{self.path.name}"))
        if problems:
            raise InputError(f"cannot import into {self.path}: {len(problems)} problem"
                             f"{'s' if len(problems) > 1 else ''}; nothing was changed", problems)
        try:
            with self.db.atomic():
                if fresh:
                    self._write_meta(study)
                self._insert_documents(study.document_list)
                next_pos = self._next_position("firms")
                for firm in study.firms:
                    position = None
                    if firm.id in existing:
                        position = next(self.db.query("SELECT position FROM firms WHERE id = ?", [firm.id]))["position"]
                        self.db.execute("DELETE FROM firms WHERE id = ?", [firm.id])
                    if position is None:
                        position, next_pos = next_pos, next_pos + 1
                    self._insert_firm(firm, position)
        except sqlite3.Error as exc:
            raise WorkbenchError(f"cannot import into {self.path}: {exc}; nothing was changed") from None
        return [f.id for f in study.firms]

    def _next_position(self, table: str, where: str = "", params: Iterable = ()) -> int:
        row = self.db.execute(f"SELECT coalesce(max(position), -1) + 1 FROM {table} {where}", list(params)).fetchone()
        return row[0]

    def _insert_documents(self, docs: list[Document]) -> None:
        have = {r[0] for r in self.db.execute("SELECT id FROM documents")}
        pos = self._next_position("documents")
        rows = []
        for d in docs:
            if d.id in have:
                continue
            rows.append({"id": d.id, "position": pos, "name": d.name, "kind": d.kind, "date": d.date,
                         "firm": d.firm, "text": d.text, "extra": _extra(d)})
            pos += 1
        if rows:
            self.db["documents"].insert_all(rows)

    def _insert_firm(self, firm: Firm, position: int) -> None:
        fid = firm.id
        self.db["firms"].insert({
            "id": fid, "position": position, "name": firm.name, "profile": _j(firm.profile),
            "attributes": _j(firm.attributes), "summary": _j(firm.summary), "memo": firm.memo,
            "extra": _extra(firm),
            "empty_lists": _empty_lists(firm, ("sources", "routines", "events", "links")),
        })
        self.db["sources"].insert_all(
            ({"firm": fid, "position": i, "id": s.id, "name": s.name, "kind": s.kind,
              "external": _b(s.external), "country": s.country, "location": s.location,
              "scope": s.scope, "direction": s.direction, "strategic": _b(s.strategic),
              "via": s.via, "notes": s.notes, "extra": _extra(s)}
             for i, s in enumerate(firm.source_list)), batch_size=500)
        self.db["routines"].insert_all(
            ({"firm": fid, "position": i, "id": r.id, "name": r.name, "activity": r.activity,
              "outcome": r.outcome, "sources": _j(r.sources), "stage": r.stage,
              "started": r.started, "notes": r.notes, "extra": _extra(r)}
             for i, r in enumerate(firm.routine_list)), batch_size=500)
        self.db["events"].insert_all(
            ({"firm": fid, "position": i, "id": e.id, "title": e.title,
              "description": e.description, "date": e.date, "when_text": e.when,
              "critical": _b(e.critical), "phase": e.phase, "stages": _j(e.stages),
              "level": e.level, "learning_types": _j(e.learning_types),
              "knowledge_types": _j(e.knowledge_types), "sources": _j(e.sources),
              "routines": _j(e.routines), "actors": _j(e.actors), "tags": _j(e.tags),
              "memo": e.memo, "extra": _extra(e), "empty_lists": _empty_lists(e, ("evidence",))}
             for i, e in enumerate(firm.event_list)), batch_size=500)
        self.db["evidence"].insert_all(
            ({"firm": fid, "event": e.id, "position": k, "quote": ev.quote, "speaker": ev.speaker,
              "document": ev.document, "start_offset": ev.start, "end_offset": ev.end,
              "location": ev.location, "extra": _extra(ev)}
             for e in firm.event_list for k, ev in enumerate(e.evidence or ())), batch_size=500)
        self.db["links"].insert_all(
            ({"firm": fid, "position": i, "from_event": ln.from_, "to_event": ln.to,
              "label": ln.label, "extra": _extra(ln)}
             for i, ln in enumerate(firm.link_list)), batch_size=500)

    def delete_firm(self, firm_id: str) -> None:
        with self.db.atomic():
            if not self.db.execute("DELETE FROM firms WHERE id = ?", [firm_id]).rowcount:
                raise InputError(f"no firm {firm_id!r} in {self.path.name}")

    def dump(self) -> str:
        """The whole file as SQL text: two equal dumps mean equal studies."""
        return "\n".join(self.db.conn.iterdump())


def _doc_differs(row: dict, doc: Document) -> bool:
    return (row["name"], row["kind"], row["date"], row["firm"], row["text"],
            json.loads(row["extra"]) if row["extra"] else {}) != (
        doc.name, doc.kind, doc.date, doc.firm, doc.text, doc.extra)


def _check_header(path: Path) -> None:
    """Refuse a file that is not SQLite before SQLite touches it."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if head and head != SQLITE_MAGIC:
        hint = " (it looks like a *.study.json file: use 'workbench import' to load it)" \
            if head.lstrip()[:1] in (b"{", b"[") else ""
        raise InputError(f"{path}: not a workbench study file{hint}; it was left untouched")
