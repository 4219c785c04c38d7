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


def listing(session: Session) -> list[dict]:
    """Each document: id, name, kind, date, firm, characters, quotes and
    passages anchored in it."""
    out = []
    for d in session.db.query("SELECT id, name, kind, date, firm, length(text) AS characters FROM documents "
                              "ORDER BY position"):
        d = dict(d)
        d["quotes"] = session.db.conn.execute("SELECT count(*) FROM evidence WHERE document = ?",
                                              [d["id"]]).fetchone()[0]
        d["passages"] = session.db.conn.execute("SELECT count(*) FROM passages WHERE document = ?",
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
