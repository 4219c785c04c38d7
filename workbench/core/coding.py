"""The study's own codes as the outputs use them: which events carry a code,
a firm or study narrowed to those events (for a diagram, counts, a report
limited to a code), the code tree in display order, how often each code is
used, and codes crossed with the stages.

An event carries a code when the code is on the event or on one of its
quotes. A code means itself only: an event carrying a child code does not
carry its parent.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InputError
from .frameworks import Framework
from .model import Code, Document, Event, Firm, Link, Study
from .textpos import describe, speaker_at


def carries(event: Event, code: str) -> bool:
    """The code is on the event or on one of its quotes."""
    return code in (event.codes or ()) or any(code in (ev.codes or ()) for ev in event.evidence or ())


def _carried(event: Event) -> set[str]:
    """Every code the event carries (see :func:`carries`)."""
    codes = set(event.codes or ())
    for ev in event.evidence or ():
        codes.update(ev.codes or ())
    return codes


def require_code(study: Study, code: str) -> Code:
    """The study's code ``code``; InputError listing its codes when it has none so."""
    found = study.code(code)
    if found is None:
        names = ", ".join(f"{c.id} ({c.name})" if c.name != c.id else c.id for c in study.code_list)
        raise InputError(f"no code {code!r} in this study; its codes are: {names or '(none yet)'}")
    return found


@dataclass
class NarrowedFirm(Firm):
    """A firm cut down to the events carrying one code (see :func:`narrow_firm`).
    ``had_links``: the whole firm has explicit links, so the kept events
    are linked through them and never each to the next."""

    code: str = ""
    had_links: bool = False
    left_out: int = 0  # events of the firm not carrying the code


def _kept_links(firm: Firm, kept: set[str]) -> list[Link]:
    """Explicit links among the kept events: A leads to B when the firm
    links A to B directly, or through a chain of left-out events only.
    A direct link keeps its label."""
    out_links: dict[str, list[Link]] = {}
    for ln in firm.link_list:
        out_links.setdefault(ln.from_, []).append(ln)
    result: list[Link] = []
    seen: set[tuple[str, str]] = set()
    for e in firm.event_list:
        if e.id not in kept:
            continue
        stack = [(ln, True) for ln in reversed(out_links.get(e.id, []))]
        visited: set[str] = set()
        while stack:
            ln, direct = stack.pop()
            if ln.to in kept:
                if ln.to != e.id and (e.id, ln.to) not in seen:
                    seen.add((e.id, ln.to))
                    result.append(Link(from_=e.id, to=ln.to, label=ln.label if direct else None))
                continue
            if ln.to in visited:
                continue
            visited.add(ln.to)
            stack.extend((nxt, False) for nxt in reversed(out_links.get(ln.to, [])))
    return result


def narrow_firm(firm: Firm, code: str) -> NarrowedFirm:
    """The firm with only the events carrying ``code`` (in their order), the
    sources and routines those events name, and the flows among them: in a
    firm with explicit links, kept events stay linked where the firm links
    them directly or through left-out events; in a firm without, each kept
    event leads to the next kept one."""
    events = [Event.from_dict(e.to_dict()) for e in firm.event_list if carries(e, code)]
    kept = {e.id for e in events}
    src_ids = {s for e in events for s in e.sources or ()}
    rt_ids = {r for e in events for r in e.routines or ()}
    routines = [r for r in firm.routine_list if r.id in rt_ids]
    src_ids |= {s for r in routines for s in r.sources or ()}
    sources = [s for s in firm.source_list if s.id in src_ids]
    return NarrowedFirm(
        id=firm.id, name=firm.name, profile=firm.profile, attributes=firm.attributes, summary=firm.summary,
        sources=sources, routines=routines, events=events,
        links=_kept_links(firm, kept) if firm.link_list else None, memo=firm.memo, extra=dict(firm.extra),
        code=code, had_links=bool(firm.link_list), left_out=len(firm.event_list) - len(events))


def narrow_study(study: Study, code: str) -> Study:
    """A copy of the study whose firms hold only the events carrying ``code``
    (see :func:`narrow_firm`); every firm stays, perhaps with no events.
    InputError when the study has no such code."""
    require_code(study, code)
    copy = Study.from_dict(study.to_dict())
    copy.firms = [narrow_firm(f, code) for f in copy.firms]
    return copy


# --------------------------------------------------------------------------- the code tree


@dataclass(frozen=True)
class TreeRow:
    code: Code
    depth: int  # 0 for a code without a parent


def code_tree(study: Study) -> list[TreeRow]:
    """The study's codes in display order, each followed by its children
    (depth first). A code whose parent is missing is shown at the top."""
    codes = study.code_list
    ids = {c.id for c in codes}
    children: dict[str | None, list[Code]] = {}
    for c in codes:
        children.setdefault(c.parent if c.parent in ids else None, []).append(c)
    out: list[TreeRow] = []
    placed: set[str] = set()

    def walk(parent: str | None, depth: int) -> None:
        for c in children.get(parent, []):
            if c.id in placed:  # a cycle the format forbids: show it once
                continue
            placed.add(c.id)
            out.append(TreeRow(c, depth))
            walk(c.id, depth + 1)

    walk(None, 0)
    for c in codes:  # codes in a cycle of parents: at the top
        if c.id not in placed:
            placed.add(c.id)
            out.append(TreeRow(c, 0))
            walk(c.id, 1)
    return out


# --------------------------------------------------------------------------- use of each code


@dataclass
class Example:
    """A quote (or, without one, a coded passage) to show for a code."""

    text: str
    speaker: str | None
    document: str | None  # the document's name, or its id when the study lacks it
    location: str | None = None
    firm: str | None = None  # the firm's name, for a quote
    place: str | None = None  # "paragraph 12" in the document, for an anchored quote or a passage


def _place(doc: Document | None, start: int | None, end: int | None) -> str | None:
    """Where ``doc.text[start:end]`` is, for a reader ("paragraph 12");
    None when it is not known."""
    if doc is None or start is None or end is None or not 0 <= start <= end <= len(doc.text):
        return None
    return describe(None, doc.text, start, end)


@dataclass
class CodeUse:
    events: int = 0
    quotes: int = 0
    passages: int = 0
    example: Example | None = None


def code_use(study: Study, firm_ids: list[str] | None = None) -> dict[str, CodeUse]:
    """For each of the study's codes: the events carrying it (on the event
    or on a quote), the quotes carrying it (themselves or through their
    event), the coded passages of documents carrying it, and an example:
    the first quote carrying it in the study's order (firm, event, quote),
    else the first such passage. With ``firm_ids``: events and quotes of
    those firms, passages of the documents they are about or quote from."""
    use = {c.id: CodeUse() for c in study.code_list}
    docs = {d.id: d for d in study.document_list}
    firms = [f for f in study.firms if firm_ids is None or f.id in firm_ids]
    for firm in firms:
        for e in firm.event_list:
            own = set(e.codes or ())
            for code in _carried(e):
                u = use.get(code)
                if u is not None:
                    u.events += 1
            for ev in e.evidence or ():
                for code in own | set(ev.codes or ()):  # the quote's codes and its event's
                    u = use.get(code)
                    if u is None:
                        continue
                    u.quotes += 1
                    if u.example is None:
                        doc = docs.get(ev.document) if ev.document else None
                        speaker = ev.speaker
                        if speaker is None and doc is not None and _place(doc, ev.start, ev.end):
                            speaker = speaker_at(doc.text, ev.start)
                        u.example = Example(ev.quote, speaker, doc.name if doc else ev.document,
                                            ev.location, firm.name, _place(doc, ev.start, ev.end))
    if firm_ids is None:
        chosen_docs = study.document_list
    else:
        used = {ev.document for f in firms for e in f.event_list for ev in e.evidence or () if ev.document}
        chosen_docs = [d for d in study.document_list if d.id in used or d.firm in firm_ids]
    for doc in chosen_docs:
        for pa in doc.passage_list:
            for code in pa.codes or ():
                u = use.get(code)
                if u is None:
                    continue
                u.passages += 1
    for code, u in use.items():
        if u.example is None:
            first = _first_passage(chosen_docs, code)
            if first is not None:
                doc, pa = first
                u.example = Example(doc.text[pa.start:pa.end], pa.speaker or speaker_at(doc.text, pa.start),
                                    doc.name, place=_place(doc, pa.start, pa.end))
    return use


def _first_passage(docs: list[Document], code: str):
    for doc in docs:
        for pa in doc.passage_list:
            if code in (pa.codes or ()):
                return doc, pa
    return None


def code_stage_matrix(firms: list[Firm], study: Study, fw: Framework) -> dict[str, dict[str, int]]:
    """``{code: {stage: n}}``: for each of the study's codes, the events of
    ``firms`` carrying it, by primary stage (events without a stage are not
    counted)."""
    out = {c.id: {s: 0 for s in fw.stage_ids} for c in study.code_list}
    for firm in firms:
        for e in firm.event_list:
            stage = e.primary_stage
            if stage is None:
                continue
            for code in _carried(e):
                row = out.get(code)
                if row is not None:
                    row[stage] = row.get(stage, 0) + 1
    return out
