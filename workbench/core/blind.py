"""A blind copy of a study for a second coder (or a student).

The copy keeps the firms, their events (ids, titles, descriptions, dates,
sources, routines, actors, evidence), links, documents, sources, routines
and the study's codebook, and drops the coding: each event's stages, level,
learning types, phase, critical flag and the study's own codes (on events,
on evidence and the coded passages of documents), unless kept; also what
would give the coding away: the coder's name, memos on events and evidence,
event tags, each firm's cross-case summary (which names learning types
and institutional forces) and its renewal checklist (whose actions, each of
a renewal phase, name the events that show them).
"""

from __future__ import annotations

import copy

from .errors import InputError

# what --keep accepts, and the event keys each one covers
KEEPABLE = {
    "stages": ("stages",),
    "level": ("level",),
    "learning_types": ("learning_types",),
    "phase": ("phase",),
    "critical": ("critical",),
    "codes": ("codes",),
}
ALWAYS_DROPPED_EVENT_KEYS = ("memo", "tags")


def blind(doc: dict, firm: str | None = None, keep: tuple[str, ...] | list[str] = ()) -> dict:
    """A new format dict: ``doc`` (valid) with its coding removed. With
    ``firm``, only that firm (and the documents that are about it or that
    its evidence quotes)."""
    unknown = [k for k in keep if k not in KEEPABLE]
    if unknown:
        raise InputError(f"cannot keep {', '.join(repr(k) for k in unknown)}: choose among "
                         f"{', '.join(KEEPABLE)}")
    out = copy.deepcopy(doc)
    out.pop("coder", None)
    firms = out.get("firms", [])
    if firm is not None:
        chosen = [f for f in firms if f["id"] == firm]
        if not chosen:
            raise InputError(f"no firm {firm!r} in this study; its firms are: "
                             f"{', '.join(f['id'] for f in firms) or '(none)'}")
        out["firms"] = firms = chosen
        used = {ev["document"] for f in chosen for e in f.get("events", ())
                for ev in e.get("evidence", ()) if ev.get("document")}
        if "documents" in out:
            out["documents"] = [d for d in out["documents"] if d["id"] in used or d.get("firm") == firm]
    drop = [key for name, keys in KEEPABLE.items() if name not in keep for key in keys]
    keep_codes = "codes" in keep
    for f in firms:
        f.pop("summary", None)
        f.pop("actions", None)
        for e in f.get("events", ()):
            for key in drop:
                e.pop(key, None)
            for key in ALWAYS_DROPPED_EVENT_KEYS:
                e.pop(key, None)
            for ev in e.get("evidence", ()):
                ev.pop("memo", None)
                if not keep_codes:
                    ev.pop("codes", None)
    if not keep_codes:
        for d in out.get("documents", ()):
            d.pop("passages", None)
    return out
