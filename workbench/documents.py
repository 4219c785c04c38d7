"""What the workbench does with a study's documents (interview transcripts,
field notes, company documents): bring them in, list, remove, anchor typed
quotes in them, search them. Functions the CLI and the window both call;
every change goes through a ``Session``.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .core.errors import InputError
from .session import Session


@dataclass
class Added:
    """What became of one file given to ``add``."""

    path: str
    doc_id: str
    name: str
    status: str               # "added", "read again", "unchanged"
    characters: int = 0
    turns: int = 0
    encoding: str | None = None
    detected: bool = False     # the encoding was guessed, not declared
    kept: int = 0              # anchors kept when read again
    dropped: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def doc_id_for(name: str, taken: set[str]) -> str:
    """An id for a document called ``name``: its words in lower case joined
    by '-', ASCII where the name allows, unique among ``taken``."""
    base = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Za-z0-9]+", "-", base).strip("-").lower()[:56] or "document"
    ident, n = base, 2
    while ident in taken:
        ident, n = f"{base}-{n}", n + 1
    return ident


def add(session: Session, paths: list[str | os.PathLike], *, firm: str | None = None,
        kind: str | None = None, date: str | None = None, name: str | None = None) -> list[Added]:
    """Read files into the study as documents, all or none: one step of the
    history. A file whose document (same name) is already in the study is
    read again: where its text changed, anchors are kept only where the
    passage is unchanged, and the dropped ones are listed."""
    from .io.documents import read_document

    if name is not None and len(paths) > 1:
        raise InputError("--name names one document: give one file with it")
    if firm is not None and not session.db.has_firm(firm):
        known = ", ".join(f["id"] for f in session.firms()) or "(none)"
        raise InputError(f"no firm {firm!r} in this study; its firms are: {known}")
    read = [(str(p), read_document(p)) for p in paths]  # every file read before anything changes
    existing = {d["name"]: d["id"] for d in session.db.query("SELECT id, name FROM documents")}
    taken = set(existing.values())
    results: list[Added] = []
    with session.group(f"Add {len(read)} document{'s' if len(read) != 1 else ''}"):
        for path, doc in read:
            doc_name = (name or doc.name).strip()[:500] or Path(path).stem
            result = Added(path, "", doc_name, "added", len(doc.text), len(doc.turns),
                           doc.encoding, doc.detected, warnings=list(doc.warnings))
            if doc_name in existing:
                result.doc_id = existing[doc_name]
                edit, result.dropped = session.replace_document_text(result.doc_id, doc.text)
                result.status = "read again" if edit is not None else "unchanged"
                result.kept = _anchors(session, result.doc_id)
                have = session.db.document(result.doc_id)
                for key, value in (("kind", kind), ("date", date), ("firm", firm)):
                    if value and have.get(key) != value:  # what the command says now wins
                        session.set_field("documents", None, result.doc_id, key, value)
                        result.status = "read again" if result.status == "read again" else "updated"
            else:
                result.doc_id = doc_id_for(doc_name, taken)
                taken.add(result.doc_id)
                new = {"id": result.doc_id, "name": doc_name, "text": doc.text}
                for key, value in (("kind", kind or doc.kind_hint), ("date", date), ("firm", firm)):
                    if value:
                        new[key] = value
                session.add_document(new)
                existing[doc_name] = result.doc_id
            results.append(result)
    return results


def _anchors(session: Session, doc_id: str) -> int:
    """Quotes and passages anchored in a document."""
    quotes = session.db.conn.execute("SELECT count(*) FROM evidence WHERE document = ?", [doc_id]).fetchone()[0]
    passages = session.db.conn.execute("SELECT count(*) FROM passages WHERE document = ?", [doc_id]).fetchone()[0]
    return quotes + passages


def listing(db) -> list[dict]:
    """Each document of a study (``db``: an open ``StudyDB``): id, name,
    kind, date, firm, characters, quotes and passages anchored in it."""
    out = []
    for d in db.query("SELECT id, name, kind, date, firm, length(text) AS characters FROM documents "
                              "ORDER BY position"):
        d = dict(d)
        d["quotes"] = db.conn.execute("SELECT count(*) FROM evidence WHERE document = ?",
                                      [d["id"]]).fetchone()[0]
        d["passages"] = db.conn.execute("SELECT count(*) FROM passages WHERE document = ?",
                                        [d["id"]]).fetchone()[0]
        out.append(d)
    return out


def remove(session: Session, doc_ids: list[str]) -> int:
    """Remove documents (one step); their quotes stay with their events,
    unanchored. Returns how many quotes lost their anchor."""
    known = {d["id"] for d in session.db.query("SELECT id FROM documents")}
    missing = [d for d in doc_ids if d not in known]
    if missing:
        raise InputError(f"no document {', '.join(map(repr, missing))} in this study; "
                         f"'workbench documents list' shows its documents")
    quotes = 0
    with session.group(f"Remove {len(doc_ids)} document{'s' if len(doc_ids) != 1 else ''}"):
        for doc_id in doc_ids:
            quotes += session.db.conn.execute("SELECT count(*) FROM evidence WHERE document = ?",
                                              [doc_id]).fetchone()[0]
            session.remove_document(doc_id)
    return quotes


def search(db, query: str, *, mode: str = "word", case: bool = False,
           firm: str | None = None, speaker: str | None = None, code: str | None = None,
           corpus=None, limit: int | None = 2000) -> list:
    """Keyword-in-context hits (``core.search.Hit``) for a word, a phrase
    or a regular expression in the documents of a study (``db``: an open
    ``StudyDB``); narrowed to the
    documents of a firm (about it, or quoted by its events), to one
    speaker's turns, or to passages carrying a code."""
    from .core.anchor import Corpus
    from .core.search import search as run

    corpus = corpus if corpus is not None else Corpus()
    ids = _document_ids(db, firm)
    docs = [(d["id"], d["text"]) for d in db.documents_by_id(ids)]
    spans = _code_spans(db, code) if code else None
    hits = run(docs, query, mode=mode, case=case, speaker_at=corpus.speaker_at, corpus=corpus,
               limit=None if (speaker or code) else limit)
    if speaker:
        hits = [h for h in hits if speaker_matches(speaker, h.speaker)]
    if spans is not None:
        hits = [h for h in hits if any(a <= h.start and h.end <= b for a, b in spans.get(h.document_id, ()))]
    return hits[:limit] if limit else hits


def _document_ids(db, firm: str | None) -> list[str]:
    if firm is None:
        return [r["id"] for r in db.query("SELECT id FROM documents ORDER BY position")]
    if not db.has_firm(firm):
        raise InputError(f"no firm {firm!r} in this study")
    return [r["id"] for r in db.query(
        "SELECT id FROM documents WHERE firm = ? OR id IN (SELECT document FROM evidence WHERE firm = ?) "
        "ORDER BY position", [firm, firm])]


@dataclass
class Coded:
    """A passage carrying a code: as evidence of an event (``event`` set) or
    as a coded passage of a document."""

    document: str | None
    start: int | None
    end: int | None
    text: str
    speaker: str | None
    firm: str | None = None
    event: str | None = None
    passage: str | None = None


def coded(db, code: str, stage: str | None = None) -> list[Coded]:
    """The coding query: every passage carrying ``code`` (quotes of events
    coded with it, quotes carrying it themselves, coded passages of the
    documents); with ``stage``, only quotes of events coded to that stage."""
    if not any(c["id"] == code for c in db.codes()):
        names = ", ".join(c["id"] for c in db.codes()) or "(none yet)"
        raise InputError(f"no code {code!r} in this study; its codes are: {names}")
    out: list[Coded] = []
    events, docs = db.code_users(code)
    for firm_id, event_id in sorted(set(events)):
        ev = db.get("events", firm_id, event_id)
        if stage is not None and stage not in (ev.get("stages") or ()):
            continue
        whole = code in (ev.get("codes") or ())
        for item in ev.get("evidence") or ():
            if whole or code in (item.get("codes") or ()):
                out.append(Coded(item.get("document"), item.get("start"), item.get("end"), item["quote"],
                                 item.get("speaker"), firm_id, event_id))
    if stage is None:
        for doc_id in docs:
            doc = db.document(doc_id)
            for pa in doc.get("passages") or ():
                if code in (pa.get("codes") or ()):
                    out.append(Coded(doc_id, pa["start"], pa["end"], doc["text"][pa["start"]:pa["end"]],
                                     pa.get("speaker"), passage=pa["id"]))
    return out


def _code_spans(db, code: str) -> dict[str, list[tuple[int, int]]]:
    spans: dict[str, list[tuple[int, int]]] = {}
    for c in coded(db, code):
        if c.document and c.start is not None:
            spans.setdefault(c.document, []).append((c.start, c.end))
    return spans


def speaker_matches(asked: str, speaker: str | None) -> bool:
    """Whether a speaker asked for by name is ``speaker``: the whole name or
    one of its words, in any case ("dafydd" is "Dafydd Evans")."""
    if not speaker:
        return False
    asked, name = asked.casefold().strip(), speaker.casefold()
    return asked == name or asked in name.replace("(", " ").replace(")", " ").split()


def speakers(db) -> list[str]:
    """Every speaker of the study's documents, in the order first met."""
    from .core.textpos import speakers as read

    names: dict[str, None] = {}
    for d in db._documents():
        names.update(dict.fromkeys(read(d["text"]).names()))
    return list(names)
