"""Learning frameworks and the shared vocabularies, read from
``resources/frameworks``. Nothing here is hard-coded: the frameworks, their
stages, the levels, learning types, phases and source kinds, with their
labels, definitions and colours, are data files that the GUI and the reports
show to people coding their data.

The ``frameworks`` folder holds:

- one file per framework (``4I.json``, ``5I.json``, ...): any JSON file there
  with an ``"id"`` is a framework, and its file name is that id. Adding a
  framework is adding such a file; a stage that no other framework has is
  defined in the file itself, under ``"stage_definitions"``;
- ``stages.json``: the stages frameworks share;
- ``vocabulary.json``: the term lists, the citations, the format's defaults
  and the colours of the diagrams, tables and reports.

The folder is found beside the package (a source checkout) or inside it (an
installed wheel); the environment variable ``LPW_RESOURCES`` names another
``resources`` folder to use instead (a copy with a framework of your own).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .errors import InputError, WorkbenchError

RESOURCES_ENV = "LPW_RESOURCES"


class UnknownFrameworkError(InputError, KeyError):
    """A study names a framework that has no file in the frameworks folder
    (a study made with a framework of someone else's)."""

    def __str__(self) -> str:
        return self.message


@lru_cache(maxsize=None)
def _find_resources(override: str | None) -> Path:
    if override:
        folder = Path(override)
        if not (folder / "frameworks").is_dir():
            raise WorkbenchError(f"{RESOURCES_ENV}={override}: no 'frameworks' folder there")
        return folder
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "resources", here / "_resources"):
        if (candidate / "frameworks").is_dir():
            return candidate
    raise WorkbenchError("the workbench's resources folder is missing from this installation")


class _InUse:
    """The resources folder in use, with the vocabulary and stages read from
    it (asked for per event: kept at hand rather than looked up)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.vocabulary: Vocabulary | None = None
        self.stages: dict[str, Stage] | None = None


# Found at the first call of resources_dir(); None makes the next call look again.
_in_use: _InUse | None = None


def _current() -> _InUse:
    global _in_use
    if _in_use is None:
        _in_use = _InUse(_find_resources(os.environ.get(RESOURCES_ENV) or None))
    return _in_use


def resources_dir() -> Path:
    """The ``resources`` folder: ``$LPW_RESOURCES`` if set (when the workbench
    first needs it), else beside the package in a source checkout,
    ``workbench/_resources`` in an installed wheel."""
    return _current().folder


def _read(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise WorkbenchError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise WorkbenchError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise WorkbenchError(f"{path}: should hold a JSON object")
    return data


def _need(data: dict, key: str, path: Path, kind: type = str):
    value = data.get(key)
    if not isinstance(value, kind):
        what = {str: "a text", list: "a list", dict: "an object"}.get(kind, kind.__name__)
        raise WorkbenchError(f"{path}: '{key}' is missing or not {what}")
    return value


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
    """The shared term lists (levels, learning types, phases, source kinds
    and the rest), the citations, the format's defaults and the colours."""

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
    defaults: dict = field(default_factory=dict, compare=False, hash=False)
    colours: dict = field(default_factory=dict, compare=False, hash=False)
    _index: dict = field(default_factory=dict, compare=False, hash=False, repr=False)
    _external: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        for vocab in _VOCABULARIES:
            for t in getattr(self, vocab):
                self._index[(vocab, t.id)] = t
        self._external.update({t.id: bool(t.extra.get("external", True)) for t in self.source_kinds})

    def label(self, vocab: str, term_id: str) -> str:
        term = self._index.get((vocab, term_id))
        return term.label if term is not None else term_id

    def ids(self, vocab: str) -> tuple[str, ...]:
        return tuple(t.id for t in getattr(self, vocab))

    def term(self, vocab: str, term_id: str) -> Term | None:
        return self._index.get((vocab, term_id))

    def colour(self, name: str) -> str:
        """A named colour of the palette (``#RRGGBB``)."""
        return self.colours[name]

    def term_values(self, vocab: str, key: str) -> dict[str, str]:
        """``{term id: value of key}`` for the terms of a vocabulary that have ``key``
        (a learning type's ``colour``, ``tint`` or ``key``)."""
        return {t.id: t.extra[key] for t in getattr(self, vocab) if key in t.extra}

    def levels_top_down(self) -> tuple[str, ...]:
        """The level ids from the highest (drawn at the top) to the lowest."""
        return tuple(t.id for t in sorted(self.levels, key=lambda t: -t.extra.get("order", 0)))

    def source_is_external(self, kind: str) -> bool:
        """The format's default for ``source.external`` for a kind."""
        return self._external.get(kind, True)


_VOCABULARIES = ("levels", "learning_types", "phases", "source_kinds", "knowledge_types", "scopes",
                 "directions", "flows", "profile_fields", "summary_fields")


def _terms(mapping: dict, path: Path, section: str) -> tuple[Term, ...]:
    out = []
    for term_id, body in mapping.items():
        if not isinstance(body, dict) or not isinstance(body.get("label"), str):
            raise WorkbenchError(f"{path}: {section}.{term_id} needs a 'label'")
        rest = {k: v for k, v in body.items() if k not in ("label", "definition")}
        out.append(Term(term_id, body["label"], body.get("definition", ""), rest))
    return tuple(out)


@lru_cache(maxsize=None)
def _vocabulary(folder: Path) -> Vocabulary:
    path = folder / "frameworks" / "vocabulary.json"
    data = _read(path)
    terms = {name: _terms(_need(data, name, path, dict), path, name) for name in _VOCABULARIES}
    return Vocabulary(**terms, citations=dict(_need(data, "citations", path, dict)),
                      defaults=dict(data.get("defaults", {})), colours=dict(data.get("colours", {})))


def vocabulary() -> Vocabulary:
    use = _in_use or _current()
    if use.vocabulary is None:
        use.vocabulary = _vocabulary(use.folder)
    return use.vocabulary


def _stage(sid: str, body: dict, path: Path) -> Stage:
    if not isinstance(body, dict):
        raise WorkbenchError(f"{path}: stage {sid!r} should be an object")
    try:
        return Stage(
            id=sid,
            label=body["label"],
            order=int(body["order"]),
            default_level=body["default_level"],
            definition=body["definition"],
            coding_hint=body.get("coding_hint", ""),
            inputs_outcomes=tuple(body.get("inputs_outcomes", ())),
            citation=body.get("citation", ""),
        )
    except KeyError as exc:
        raise WorkbenchError(f"{path}: stage {sid!r} needs {exc.args[0]!r}") from None
    except (TypeError, ValueError):
        raise WorkbenchError(f"{path}: stage {sid!r}: 'order' should be a whole number") from None


@lru_cache(maxsize=None)
def _framework_files(folder: Path) -> dict[str, tuple[Path, dict]]:
    """``{id: (file, data)}`` of every framework file, in the frameworks'
    order (their ``order``, then id; a file without one comes after)."""
    found = []
    for path in sorted((folder / "frameworks").glob("*.json")):
        data = _read(path)
        if "id" not in data:
            continue  # stages.json, vocabulary.json: shared data, not a framework
        fid = _need(data, "id", path)
        if fid != path.stem:
            raise WorkbenchError(f"{path}: holds framework {fid!r}; name the file {fid}.json")
        found.append((data.get("order", float("inf")), fid, path, data))
    found.sort(key=lambda item: (item[0], item[1]))
    return {fid: (path, data) for _, fid, path, data in found}


@lru_cache(maxsize=None)
def _all_stages(folder: Path) -> dict[str, Stage]:
    path = folder / "frameworks" / "stages.json"
    stages = {sid: _stage(sid, body, path) for sid, body in _need(_read(path), "stages", path, dict).items()}
    for fw_path, data in _framework_files(folder).values():
        for sid, body in data.get("stage_definitions", {}).items():
            if sid in stages:
                raise WorkbenchError(f"{fw_path}: stage {sid!r} is already defined (in stages.json "
                                     f"or another framework); use it by its id instead")
            stages[sid] = _stage(sid, body, fw_path)
    return stages


def all_stages() -> dict[str, Stage]:
    """Every stage any framework uses, by id: ``stages.json`` first, then
    those the framework files define."""
    use = _in_use or _current()
    if use.stages is None:
        use.stages = _all_stages(use.folder)
    return use.stages


def framework_ids() -> tuple[str, ...]:
    """The ids of the frameworks in the frameworks folder, in their order."""
    return tuple(_framework_files(resources_dir()))


def default_framework_id() -> str:
    """The framework a new study starts with: the one marked ``"default"``, else the first."""
    files = _framework_files(resources_dir())
    return next((fid for fid, (_, data) in files.items() if data.get("default")), next(iter(files)))


@lru_cache(maxsize=None)
def _framework(folder: Path, framework_id: str) -> Framework:
    files = _framework_files(folder)
    if framework_id not in files:
        raise UnknownFrameworkError(
            f"the study uses framework {framework_id!r}, which this workbench does not have "
            f"(it has {', '.join(files)}); to work with it, add its file {framework_id}.json "
            f"to {folder / 'frameworks'}")
    path, data = files[framework_id]
    stages = _all_stages(folder)
    levels = {t.id: t for t in _vocabulary(folder).levels}
    for sid in _need(data, "stages", path, list):
        if sid not in stages:
            raise WorkbenchError(f"{path}: stage {sid!r} is not defined (in stages.json or the "
                                 f"file's 'stage_definitions')")
    for lv in _need(data, "levels", path, list):
        if lv not in levels:
            raise WorkbenchError(f"{path}: level {lv!r} is not one of vocabulary.json's levels "
                                 f"({', '.join(levels)})")
    return Framework(
        id=framework_id,
        name=_need(data, "name", path),
        description=data.get("description", ""),
        stages=tuple(stages[s] for s in data["stages"]),
        levels=tuple(levels[lv] for lv in data["levels"]),
        citation=data.get("citation", ""),
    )


def framework(framework_id: str) -> Framework:
    """The framework of that id; UnknownFrameworkError (a KeyError) names the known ones."""
    return _framework(resources_dir(), framework_id)
