"""Learning frameworks (4I, 5I, 4I-AE) and the shared vocabularies, read from
``resources/frameworks``. Nothing here is hard-coded: the stages, levels,
learning types, phases and source kinds, with their labels and definitions, are
data files that the GUI and the reports show to people coding their data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path


def resources_dir() -> Path:
    """The ``resources`` folder: beside the package in a source checkout,
    ``workbench/_resources`` in an installed wheel."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "resources", here / "_resources"):
        if (candidate / "frameworks").is_dir():
            return candidate
    raise FileNotFoundError("the workbench's resources folder is missing from this installation")


def _load(name: str) -> dict:
    with open(resources_dir() / "frameworks" / name, encoding="utf-8") as fh:
        return json.load(fh)


@dataclass(frozen=True)
class Stage:
    """A stage of a framework (intuiting, interpreting, ...) with its definition and coding hint."""

    id: str
    label: str
    order: int
    default_level: str
    definition: str
    coding_hint: str
    inputs_outcomes: tuple[str, ...]
    citation: str


@dataclass(frozen=True)
class Term:
    """A labelled entry of a vocabulary (level, learning type, phase, ...)."""

    id: str
    label: str
    definition: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Framework:
    """A learning framework (4I, 5I, ...): its stages in order and the levels they act at."""

    id: str
    name: str
    description: str
    stages: tuple[Stage, ...]
    levels: tuple[Term, ...]
    citation: str

    @property
    def stage_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.stages)

    @property
    def level_ids(self) -> tuple[str, ...]:
        return tuple(lv.id for lv in self.levels)

    def stage(self, stage_id: str) -> Stage | None:
        for s in self.stages:
            if s.id == stage_id:
                return s
        return None

    def citation_text(self) -> str:
        return vocabulary().citations.get(self.citation, self.citation)


@dataclass(frozen=True)
class Vocabulary:
    """The shared term lists: levels, learning types, phases, source kinds and the rest."""

    levels: tuple[Term, ...]
    learning_types: tuple[Term, ...]
    phases: tuple[Term, ...]
    source_kinds: tuple[Term, ...]
    knowledge_types: tuple[Term, ...]
    scopes: tuple[Term, ...]
    directions: tuple[Term, ...]
    flows: tuple[Term, ...]
    profile_fields: tuple[Term, ...]
    summary_fields: tuple[Term, ...]
    citations: dict

    def label(self, vocab: str, term_id: str) -> str:
        for t in getattr(self, vocab):
            if t.id == term_id:
                return t.label
        return term_id

    def ids(self, vocab: str) -> tuple[str, ...]:
        return tuple(t.id for t in getattr(self, vocab))

    def term(self, vocab: str, term_id: str) -> Term | None:
        for t in getattr(self, vocab):
            if t.id == term_id:
                return t
        return None


def _terms(mapping: dict) -> tuple[Term, ...]:
    out = []
    for term_id, body in mapping.items():
        rest = {k: v for k, v in body.items() if k not in ("label", "definition")}
        out.append(Term(term_id, body["label"], body.get("definition", ""), rest))
    return tuple(out)


@lru_cache(maxsize=None)
def vocabulary() -> Vocabulary:
    data = _load("vocabulary.json")
    return Vocabulary(
        levels=_terms(data["levels"]),
        learning_types=_terms(data["learning_types"]),
        phases=_terms(data["phases"]),
        source_kinds=_terms(data["source_kinds"]),
        knowledge_types=_terms(data["knowledge_types"]),
        scopes=_terms(data["scopes"]),
        directions=_terms(data["directions"]),
        flows=_terms(data["flows"]),
        profile_fields=_terms(data["profile_fields"]),
        summary_fields=_terms(data["summary_fields"]),
        citations=dict(data["citations"]),
    )


@lru_cache(maxsize=None)
def all_stages() -> dict[str, Stage]:
    data = _load("stages.json")["stages"]
    return {
        sid: Stage(
            id=sid,
            label=body["label"],
            order=int(body["order"]),
            default_level=body["default_level"],
            definition=body["definition"],
            coding_hint=body.get("coding_hint", ""),
            inputs_outcomes=tuple(body.get("inputs_outcomes", ())),
            citation=body.get("citation", ""),
        )
        for sid, body in data.items()
    }


FRAMEWORK_IDS = ("4I", "5I", "4I-AE")


@lru_cache(maxsize=None)
def framework(framework_id: str) -> Framework:
    """The framework of that id; KeyError names the known ones."""
    if framework_id not in FRAMEWORK_IDS:
        raise KeyError(f"unknown framework {framework_id!r}; known: {', '.join(FRAMEWORK_IDS)}")
    data = _load(f"{framework_id}.json")
    stages = all_stages()
    levels = {t.id: t for t in vocabulary().levels}
    return Framework(
        id=data["id"],
        name=data["name"],
        description=data["description"],
        stages=tuple(stages[s] for s in data["stages"]),
        levels=tuple(levels[lv] for lv in data["levels"]),
        citation=data["citation"],
    )
