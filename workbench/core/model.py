"""The study model: study, document, firm, knowledge source, routine, event,
link, evidence and a firm's renewal actions.

Field names follow the exchange format (``docs/format.md``).
An optional field is ``None`` when the study leaves it out, so that a study
read from a file is written back with exactly the keys it had; the format's
defaults (an event's level, a source's ``external`` flag, ...) are applied by
the ``effective_*`` helpers, never stored. Keys beginning ``x-`` are kept in
``extra`` on every object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .frameworks import Framework, all_stages, vocabulary

FORMAT = "lpw-study"
VERSION = 1


def _split_extra(data: dict) -> dict:
    return {k: v for k, v in data.items() if k.startswith("x-")}


class _Record:
    """Shared to/from-dict plumbing. ``_KEYS`` maps JSON keys to attributes in
    the order the format lists them; ``_NESTED`` names list fields holding
    records."""

    _KEYS: tuple[tuple[str, str], ...] = ()
    _NESTED: dict[str, type] = {}

    @classmethod
    def from_dict(cls, data: dict):
        """Build from a (validated) format dict. The record takes over the
        dict's lists and objects; pass a copy to keep the dict independent."""
        kwargs: dict[str, Any] = {attr: data[key] for key, attr in cls._KEYS if key in data}
        for attr, nested in cls._NESTED.items():
            value = kwargs.get(attr)
            if value is not None:
                kwargs[attr] = [nested.from_dict(v) for v in value]
        if len(data) > len(kwargs):
            kwargs["extra"] = _split_extra(data)
        return cls(**kwargs)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {}
        for key, attr in self._KEYS:
            value = getattr(self, attr)
            if value is None:
                continue
            if attr in self._NESTED:
                value = [v.to_dict() for v in value]
            elif isinstance(value, list):
                value = list(value)
            elif isinstance(value, dict):
                value = dict(value)
            out[key] = value
        out.update(self.extra)
        return out


@dataclass
class Evidence(_Record):
    """A quotation that supports an event's coding, with who said it and where."""

    quote: str
    speaker: str | None = None
    document: str | None = None
    start: int | None = None
    end: int | None = None
    location: str | None = None
    codes: list[str] | None = None
    memo: str | None = None
    extra: dict = field(default_factory=dict)

    _KEYS = (("quote", "quote"), ("speaker", "speaker"), ("document", "document"),
             ("start", "start"), ("end", "end"), ("location", "location"), ("codes", "codes"),
             ("memo", "memo"))


@dataclass
class Passage(_Record):
    """A coded passage of a document, ``text[start:end]``, evidence of no
    event (yet): how material coded in the text, or in another QDA tool,
    is kept."""

    id: str
    start: int
    end: int
    speaker: str | None = None
    codes: list[str] | None = None
    memo: str | None = None
    extra: dict = field(default_factory=dict)

    _KEYS = (("id", "id"), ("start", "start"), ("end", "end"), ("speaker", "speaker"),
             ("codes", "codes"), ("memo", "memo"))


@dataclass
class Code(_Record):
    """One of the study's own codes (a theme built from the material), in a
    tree through ``parent``."""

    id: str
    name: str
    description: str | None = None
    colour: str | None = None
    parent: str | None = None
    extra: dict = field(default_factory=dict)

    _KEYS = (("id", "id"), ("name", "name"), ("description", "description"),
             ("colour", "colour"), ("parent", "parent"))


@dataclass
class Document(_Record):
    """A source document (an interview transcript, a report) that evidence quotes from."""

    id: str
    name: str
    text: str
    kind: str | None = None
    date: str | None = None
    firm: str | None = None
    passages: list[Passage] | None = None
    extra: dict = field(default_factory=dict)

    _KEYS = (("id", "id"), ("name", "name"), ("kind", "kind"), ("date", "date"),
             ("firm", "firm"), ("text", "text"), ("passages", "passages"))
    _NESTED = {"passages": Passage}

    @property
    def passage_list(self) -> list[Passage]:
        return self.passages or []


@dataclass
class Source(_Record):
    """A source of knowledge for a firm: a customer, supplier, college, consultant, a recruit..."""

    id: str
    name: str
    kind: str
    external: bool | None = None
    country: str | None = None
    location: str | None = None
    scope: str | None = None
    direction: str | None = None
    strategic: bool | None = None
    via: str | None = None
    notes: str | None = None
    extra: dict = field(default_factory=dict)

    _KEYS = (("id", "id"), ("name", "name"), ("kind", "kind"), ("external", "external"),
             ("country", "country"), ("location", "location"), ("scope", "scope"),
             ("direction", "direction"), ("strategic", "strategic"), ("via", "via"),
             ("notes", "notes"))

    @property
    def is_external(self) -> bool:
        if self.external is not None:
            return self.external
        return vocabulary().source_is_external(self.kind)

    @property
    def effective_direction(self) -> str:
        return self.direction or vocabulary().defaults["source.direction"]


@dataclass
class Routine(_Record):
    """An internal routine, system or rule a firm built to embed what it learned."""

    id: str
    name: str
    activity: str | None = None
    outcome: str | None = None
    sources: list[str] | None = None
    stage: str | None = None
    started: str | None = None
    notes: str | None = None
    extra: dict = field(default_factory=dict)

    _KEYS = (("id", "id"), ("name", "name"), ("activity", "activity"), ("outcome", "outcome"),
             ("sources", "sources"), ("stage", "stage"), ("started", "started"),
             ("notes", "notes"))

    @property
    def effective_stage(self) -> str:
        return self.stage or vocabulary().defaults["routine.stage"]


@dataclass
class Event(_Record):
    """A critical incident or other event in a firm's chronology, with its coding."""

    id: str
    title: str
    description: str | None = None
    date: str | None = None
    when: str | None = None
    critical: bool | None = None
    phase: str | None = None
    stages: list[str] | None = None
    level: str | None = None
    learning_types: list[str] | None = None
    knowledge_types: list[str] | None = None
    sources: list[str] | None = None
    routines: list[str] | None = None
    actors: list[str] | None = None
    evidence: list[Evidence] | None = None
    tags: list[str] | None = None
    memo: str | None = None
    codes: list[str] | None = None
    extra: dict = field(default_factory=dict)

    _KEYS = (("id", "id"), ("title", "title"), ("description", "description"),
             ("date", "date"), ("when", "when"), ("critical", "critical"),
             ("phase", "phase"), ("stages", "stages"), ("level", "level"),
             ("learning_types", "learning_types"), ("knowledge_types", "knowledge_types"),
             ("sources", "sources"), ("routines", "routines"), ("actors", "actors"),
             ("evidence", "evidence"), ("tags", "tags"), ("memo", "memo"), ("codes", "codes"))
    _NESTED = {"evidence": Evidence}

    @property
    def primary_stage(self) -> str | None:
        return self.stages[0] if self.stages else None

    @property
    def primary_learning_type(self) -> str | None:
        return self.learning_types[0] if self.learning_types else None

    @property
    def is_critical(self) -> bool:
        return bool(self.critical)

    @property
    def is_coded(self) -> bool:
        """Coded = has a stage and a learning type."""
        return bool(self.stages) and bool(self.learning_types)

    def effective_level(self) -> str | None:
        """Its own level, else the default level of its primary stage."""
        if self.level:
            return self.level
        stage = all_stages().get(self.primary_stage or "")
        return stage.default_level if stage else None

    def time_label(self) -> str:
        """What to show for the event's time: its date, its 'when', or both."""
        if self.date and self.when:
            return f"{self.date} ({self.when})"
        return self.date or self.when or ""


@dataclass
class Link(_Record):
    """An explicit "leads to" link between two events of a firm."""

    from_: str
    to: str
    label: str | None = None
    extra: dict = field(default_factory=dict)

    _KEYS = (("from", "from_"), ("to", "to"), ("label", "label"))


@dataclass
class ActionEntry(_Record):
    """Where a firm stands on one action of the renewal checklist (an
    action of ``resources/renewal/actions.json``, or the consultant's own,
    which then carries its ``text``): done (``event`` shows it), planned
    (``date``, ``owner``) or not relevant, with a ``note``."""

    id: str
    status: str
    event: str | None = None
    date: str | None = None
    owner: str | None = None
    note: str | None = None
    text: str | None = None
    extra: dict = field(default_factory=dict)

    _KEYS = (("id", "id"), ("status", "status"), ("event", "event"), ("date", "date"),
             ("owner", "owner"), ("note", "note"), ("text", "text"))


@dataclass
class Firm(_Record):
    """One case: a firm's profile, sources, routines, events and links."""

    id: str
    name: str
    profile: dict | None = None
    attributes: dict | None = None
    summary: dict | None = None
    sources: list[Source] | None = None
    routines: list[Routine] | None = None
    events: list[Event] | None = None
    links: list[Link] | None = None
    actions: list[ActionEntry] | None = None
    memo: str | None = None
    extra: dict = field(default_factory=dict)

    _KEYS = (("id", "id"), ("name", "name"), ("profile", "profile"),
             ("attributes", "attributes"), ("summary", "summary"), ("sources", "sources"),
             ("routines", "routines"), ("events", "events"), ("links", "links"),
             ("actions", "actions"), ("memo", "memo"))
    _NESTED = {"sources": Source, "routines": Routine, "events": Event, "links": Link,
               "actions": ActionEntry}

    # Read-only views that treat a missing list as empty.
    @property
    def source_list(self) -> list[Source]:
        return self.sources or []

    @property
    def routine_list(self) -> list[Routine]:
        return self.routines or []

    @property
    def event_list(self) -> list[Event]:
        return self.events or []

    @property
    def link_list(self) -> list[Link]:
        return self.links or []

    @property
    def action_list(self) -> list[ActionEntry]:
        return self.actions or []

    def source(self, source_id: str) -> Source | None:
        return next((s for s in self.source_list if s.id == source_id), None)

    def routine(self, routine_id: str) -> Routine | None:
        return next((r for r in self.routine_list if r.id == routine_id), None)

    def event(self, event_id: str) -> Event | None:
        return next((e for e in self.event_list if e.id == event_id), None)


@dataclass
class Study(_Record):
    """A study: its framework, its firms and the documents it quotes from."""

    title: str
    framework: str
    firms: list[Firm] = field(default_factory=list)
    format: str = FORMAT
    version: int = VERSION
    description: str | None = None
    authors: list[str] | None = None
    coder: str | None = None
    documents: list[Document] | None = None
    codes: list[Code] | None = None
    extra: dict = field(default_factory=dict)

    _KEYS = (("format", "format"), ("version", "version"), ("title", "title"),
             ("description", "description"), ("authors", "authors"), ("coder", "coder"),
             ("framework", "framework"), ("codes", "codes"), ("documents", "documents"),
             ("firms", "firms"))
    _NESTED = {"documents": Document, "firms": Firm, "codes": Code}

    @property
    def document_list(self) -> list[Document]:
        return self.documents or []

    @property
    def code_list(self) -> list[Code]:
        return self.codes or []

    def code(self, code_id: str) -> Code | None:
        return next((c for c in self.code_list if c.id == code_id), None)

    def firm(self, firm_id: str) -> Firm | None:
        return next((f for f in self.firms if f.id == firm_id), None)

    def document(self, doc_id: str) -> Document | None:
        return next((d for d in self.document_list if d.id == doc_id), None)

    def framework_def(self) -> Framework:
        from .frameworks import framework

        return framework(self.framework)

    def only_firm(self, firm_id: str) -> "Study":
        """A copy holding one firm and the documents it uses or is about."""
        firm = self.firm(firm_id)
        if firm is None:
            raise KeyError(firm_id)
        used = {ev.document for e in firm.event_list for ev in (e.evidence or []) if ev.document}
        docs = None
        if self.documents is not None:
            docs = [d for d in self.documents if d.id in used or d.firm == firm_id]
        copy = Study.from_dict(self.to_dict())
        copy.firms = [f for f in copy.firms if f.id == firm_id]
        copy.documents = None if docs is None else [Document.from_dict(d.to_dict()) for d in docs]
        return copy

