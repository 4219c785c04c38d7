"""Validation of a study in the exchange format, exactly as
``docs/format.md`` and ``study.schema.json`` define it.

``validate(doc)`` takes the decoded JSON value and returns a ``Report`` with
every problem found in one pass, each with its place as a path
(``firms[1].events[4].stages[0]``) and a plain message, with a did-you-mean
where one fits. Warnings (dates out of order, characters XML cannot hold)
are kept apart from errors.

The schema part interprets the JSON Schema shipped in
``resources/formats/study.schema.json`` (the keywords it uses), compiled once
into small checking functions, so the contract lives in one file and the
messages stay ours. The lists of frameworks, stages and vocabulary terms that
the schema spells out are taken from the frameworks folder instead (see
``data_schema``): a framework added there as a JSON file is a valid
``framework``, with its stages.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Iterable

from .dates import dates_out_of_order
from .frameworks import all_stages, framework, framework_ids, resources_dir, vocabulary

# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        where = self.path or "(study)"
        return f"{where}: {self.message}"


@dataclass
class Report:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def extend(self, other: "Report") -> None:
        self.errors.extend(other.errors)
        self.warnings.extend(other.warnings)


def fmt_path(parts: Iterable[Any]) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif out:
            out += "." + p
        else:
            out = p
    return out


def did_you_mean(value: Any, choices: Iterable[str]) -> str:
    if not isinstance(value, str):
        return ""
    choices = list(choices)
    cutoff = 0.5 if len(value) <= 3 else 0.6
    match = difflib.get_close_matches(value, choices, n=1, cutoff=cutoff)
    if not match:
        lowered = {c.lower(): c for c in choices}
        if value.lower() in lowered:
            match = [lowered[value.lower()]]
    return f" (did you mean {match[0]!r}?)" if match else ""


def _show(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------- rule 6

_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Replace each character XML 1.0 cannot hold by a space (rule 6)."""
    return _BAD_CHARS.sub(" ", text)


def has_bad_chars(text: str) -> bool:
    return _BAD_CHARS.search(text) is not None


def sanitise(doc: Any) -> tuple[Any, list[Problem]]:
    """A copy of ``doc`` with rule-6 characters replaced by spaces, in values
    and keys alike, and a warning naming each field that changed. Offsets stay
    valid because each character becomes exactly one space."""
    warnings: list[Problem] = []

    def walk(value: Any, path: tuple) -> Any:
        if isinstance(value, str):
            if _BAD_CHARS.search(value):
                n = len(_BAD_CHARS.findall(value))
                warnings.append(Problem(
                    fmt_path(path),
                    f"{n} character{'s' if n > 1 else ''} that XML cannot hold "
                    f"(control characters, lone surrogates, U+FFFE/U+FFFF) replaced by spaces",
                    "warning"))
                return _BAD_CHARS.sub(" ", value)
            return value
        if isinstance(value, list):
            return [walk(v, path + (i,)) for i, v in enumerate(value)]
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                key = k
                if isinstance(k, str) and _BAD_CHARS.search(k):
                    key = _BAD_CHARS.sub(" ", k)
                    warnings.append(Problem(fmt_path(path + (key,)),
                                            "key had characters XML cannot hold; replaced by spaces",
                                            "warning"))
                out[key] = walk(v, path + (key,))
            return out
        return value

    return walk(doc, ()), warnings


# --------------------------------------------------------------------------- schema

Check = Callable[[Any, tuple, list, "Context"], None]


@dataclass
class Context:
    framework: str | None


_TYPE_NAMES = {
    "object": "an object", "array": "a list", "string": "a string",
    "integer": "a whole number", "number": "a number", "boolean": "true or false",
    "null": "null",
}


def _type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _is_type(value: Any, name: str) -> bool:
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "null":
        return value is None
    return False


# What a value of each named definition is called in messages.
_DEF_NOUNS = {
    "stage": "stage", "level": "level", "learning_type": "learning type",
    "phase": "phase", "source_kind": "source kind", "knowledge_type": "knowledge type",
}
_PATTERN_HELP = {
    "id": "is not a valid id: use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit",
    "partial_date": "is not a date: write YYYY, YYYY-MM or YYYY-MM-DD",
    "country": "is not a country code: use the two capital letters of ISO 3166-1 (e.g. GB)",
}


def _stage_message(value: Any, ctx: Context) -> str:
    if ctx.framework in framework_ids():
        fw = framework(ctx.framework)
        listing = f" (its stages: {', '.join(fw.stage_ids)})"
        if isinstance(value, str) and value in all_stages():
            # a real stage of another framework: a suggestion would mislead
            others = [f for f in framework_ids() if value in framework(f).stage_ids]
            return (f"{_show(value)} is not a stage of framework {fw.id}{listing}; "
                    f"it belongs to {' and '.join(others)}")
        return f"{_show(value)} is not a stage of framework {fw.id}{did_you_mean(value, fw.stage_ids) or listing}"
    return f"{_show(value)} is not a stage{did_you_mean(value, all_stages())}"


class _Compiler:
    def __init__(self, schema: dict):
        self.root = schema
        self.defs: dict[str, Check] = {}

    def ref(self, ref: str) -> Check:
        name = ref.rsplit("/", 1)[-1]
        if name not in self.defs:
            # Placeholder first, so recursive definitions terminate.
            holder: list[Check] = []
            self.defs[name] = lambda v, p, out, ctx: holder[0](v, p, out, ctx)
            holder.append(self.compile(self.root["$defs"][name], def_name=name))
        return self.defs[name]

    def compile(self, schema: dict, def_name: str | None = None, field_name: str | None = None) -> Check:
        if "$ref" in schema:
            return self.ref(schema["$ref"])
        checks: list[Check] = []
        kind = schema.get("type")
        if "const" in schema:
            checks.append(self._const(schema["const"], field_name))
        if "enum" in schema:
            checks.append(self._enum(schema["enum"], def_name))
        if kind == "string" and not ({"minimum", "maximum", "properties", "items"} & set(schema)):
            # the common case, fused into one call: type, pattern, length
            checks.append(self._string(schema, def_name or field_name))
        else:
            if kind is not None and kind not in ("object", "array"):
                checks.append(self._type(kind))
            if "pattern" in schema:
                checks.append(self._pattern(schema["pattern"], def_name or field_name))
            if "maxLength" in schema or "minLength" in schema:
                checks.append(self._length(schema.get("minLength"), schema.get("maxLength")))
            if "minimum" in schema or "maximum" in schema:
                checks.append(self._range(schema.get("minimum"), schema.get("maximum")))
            if kind == "object" or "properties" in schema:
                checks.append(self._object(schema, typed=kind == "object"))
            if kind == "array" or "items" in schema:
                checks.append(self._array(schema, typed=kind == "array"))
        if not checks:
            return lambda value, path, out, ctx: None
        if len(checks) == 1:
            return checks[0]

        # Type failures make the other checks meaningless: stop at the first.
        def run(value, path, out, ctx, checks=tuple(checks)):
            for check in checks:
                if check(value, path, out, ctx) is False:
                    return False
            return None

        return run

    def _string(self, schema, what):
        type_check = self._type("string")
        rx = re.compile(schema["pattern"]) if "pattern" in schema else None
        help_text = _PATTERN_HELP.get(what or "", f"does not match the pattern {schema.get('pattern')}")
        length = self._length(schema.get("minLength"), schema.get("maxLength")) \
            if ("maxLength" in schema or "minLength" in schema) else None
        lo, hi = schema.get("minLength"), schema.get("maxLength")

        def check(value, path, out, ctx):
            if value.__class__ is not str:
                return type_check(value, path, out, ctx)
            if rx is not None and not rx.search(value):
                out.append(Problem(fmt_path(path), f"{_show(value)} {help_text}"))
            if length is not None and ((hi is not None and len(value) > hi) or (lo is not None and len(value) < lo)):
                length(value, path, out, ctx)
            return None
        return check

    @staticmethod
    def _const(expected, field_name):
        def check(value, path, out, ctx):
            if value != expected or type(value) is not type(expected):
                if field_name == "version":
                    msg = (f"this file is version {_show(value)} of the study format; "
                           f"this workbench reads version {expected}")
                else:
                    msg = f"must be {_show(expected)}, not {_show(value)}"
                out.append(Problem(fmt_path(path), msg))
                return False
        return check

    @staticmethod
    def _enum(choices, def_name):
        allowed = frozenset(c for c in choices if isinstance(c, str))

        def check(value, path, out, ctx):
            if isinstance(value, str) and value in allowed:
                return None
            if def_name == "stage":
                msg = _stage_message(value, ctx)
            elif def_name in _DEF_NOUNS:
                msg = f"{_show(value)} is not a {_DEF_NOUNS[def_name]}{did_you_mean(value, choices)}"
            else:
                msg = (f"{_show(value)} is not one of: {', '.join(choices)}"
                       f"{did_you_mean(value, choices)}")
            out.append(Problem(fmt_path(path), msg))
            return False
        return check

    @staticmethod
    def _type(types):
        names = [types] if isinstance(types, str) else list(types)

        def check(value, path, out, ctx):
            if not any(_is_type(value, n) for n in names):
                want = " or ".join(_TYPE_NAMES[n] for n in names)
                out.append(Problem(fmt_path(path), f"expected {want}, got {_type_of(value)}"
                                   + (f" {_show(value)}" if isinstance(value, (str, int, float)) and not isinstance(value, bool) else "")))
                return False
        return check

    @staticmethod
    def _pattern(pattern, what):
        rx = re.compile(pattern)
        help_text = _PATTERN_HELP.get(what or "", f"does not match the pattern {pattern}")

        def check(value, path, out, ctx):
            if isinstance(value, str) and not rx.search(value):
                out.append(Problem(fmt_path(path), f"{_show(value)} {help_text}"))
        return check

    @staticmethod
    def _length(lo, hi):
        def check(value, path, out, ctx):
            if not isinstance(value, str):
                return
            n = len(value)
            if hi is not None and n > hi:
                out.append(Problem(fmt_path(path), f"is {n} characters long; at most {hi} are allowed here"))
            if lo is not None and n < lo:
                out.append(Problem(fmt_path(path), "must not be empty" if lo == 1 else f"needs at least {lo} characters"))
        return check

    @staticmethod
    def _range(lo, hi):
        def check(value, path, out, ctx):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return
            if lo is not None and value < lo:
                out.append(Problem(fmt_path(path), f"{_show(value)} is below the minimum {lo}"))
            if hi is not None and value > hi:
                out.append(Problem(fmt_path(path), f"{_show(value)} is above the maximum {hi}"))
        return check

    def _object(self, schema, typed=True):
        props = {name: self.compile(sub, field_name=name) for name, sub in schema.get("properties", {}).items()}
        patterns = [(re.compile(p), self.compile(sub)) for p, sub in schema.get("patternProperties", {}).items()]
        required = list(schema.get("required", ()))
        additional = schema.get("additionalProperties", True)
        additional_check = self.compile(additional) if isinstance(additional, dict) else None
        known = sorted(props)
        type_check = self._type("object")
        # Leaves whose validity is one cheap test, checked inline: a valid
        # value then costs no call (the full check runs only to report).
        quick = {name: q for name, sub in schema.get("properties", {}).items()
                 if (q := self._quick(sub)) is not None}

        def check(value, path, out, ctx):
            if not isinstance(value, dict):
                return type_check(value, path, out, ctx) if typed else None
            for name in required:
                if name not in value:
                    out.append(Problem(fmt_path(path + (name,)), "required, but missing"))
            for key, item in value.items():
                q = quick.get(key)
                if q is not None:
                    kind, arg = q
                    cls = item.__class__
                    if kind == 0:  # bounded string
                        if cls is str and len(item) <= arg:
                            continue
                    elif kind == 1:  # enum of strings
                        if cls is str and item in arg:
                            continue
                    elif kind == 2:  # boolean
                        if cls is bool:
                            continue
                    elif kind == 3:  # string matching a pattern
                        if cls is str and arg(item):
                            continue
                    elif kind == 4:  # any string
                        if cls is str:
                            continue
                sub = props.get(key)
                if sub is not None:
                    sub(item, path + (key,), out, ctx)
                    continue
                matched = False
                for rx, pcheck in patterns:
                    if rx.search(key):
                        matched = True
                        pcheck(item, path + (key,), out, ctx)
                if matched:
                    continue
                if additional is False:
                    hint = did_you_mean(key, known)
                    out.append(Problem(fmt_path(path + (key,)),
                                       f"unknown key {key!r}{hint}; extension keys must begin 'x-'"))
                elif additional_check is not None:
                    additional_check(item, path + (key,), out, ctx)
        return check

    def _quick(self, sub: dict):
        """(kind, arg) for a property schema whose validity is one cheap test."""
        if "$ref" in sub:
            name = sub["$ref"].rsplit("/", 1)[-1]
            if name == "stage":
                return None  # its message depends on the framework: keep the full path
            sub = self.root["$defs"][name]
        keys = set(sub) - {"description"}
        if keys == {"type", "maxLength"} and sub["type"] == "string":
            return (0, sub["maxLength"])
        if keys == {"enum"} and all(isinstance(c, str) for c in sub["enum"]):
            return (1, frozenset(sub["enum"]))
        if keys == {"type"} and sub["type"] == "boolean":
            return (2, None)
        if keys == {"type", "pattern"} and sub["type"] == "string":
            return (3, re.compile(sub["pattern"]).search)
        if keys == {"type"} and sub["type"] == "string":
            return (4, None)
        return None

    def _array(self, schema, typed=True):
        item_check = self.compile(schema["items"]) if "items" in schema else None
        unique = schema.get("uniqueItems", False)
        type_check = self._type("array")
        quick = self._quick(schema["items"]) if "items" in schema else None
        enum = quick[1] if quick and quick[0] == 1 else None
        match = quick[1] if quick and quick[0] == 3 else None

        def check(value, path, out, ctx):
            if not isinstance(value, list):
                return type_check(value, path, out, ctx) if typed else None
            if item_check is not None:
                for i, item in enumerate(value):
                    if item.__class__ is str and ((enum is not None and item in enum)
                                                  or (match is not None and match(item))):
                        continue
                    item_check(item, path + (i,), out, ctx)
            if unique and len(value) > 1:
                seen: dict[str, int] = {}
                for i, item in enumerate(value):
                    key = json.dumps(item, sort_keys=True)
                    if key in seen:
                        out.append(Problem(fmt_path(path + (i,)),
                                           f"{_show(item)} is listed twice (also at [{seen[key]}])"))
                    else:
                        seen[key] = i
        return check


def study_schema() -> dict:
    """The exchange format's JSON Schema, as shipped (the format's contract)."""
    return _study_schema(resources_dir())


@lru_cache(maxsize=None)
def _study_schema(folder) -> dict:
    with open(folder / "formats" / "study.schema.json", encoding="utf-8") as fh:
        return json.load(fh)


# Where the schema lists values that the frameworks folder defines, and which
# list of the folder defines them. The schema names the frameworks and terms
# the workbench ships with; with the shipped files the lists are equal (a
# test checks), and a framework added as a file extends them.
_DATA_ENUMS = {
    ("properties", "framework"): lambda: framework_ids(),
    ("$defs", "stage"): lambda: tuple(all_stages()),
    ("$defs", "level"): lambda: vocabulary().ids("levels"),
    ("$defs", "learning_type"): lambda: vocabulary().ids("learning_types"),
    ("$defs", "phase"): lambda: vocabulary().ids("phases"),
    ("$defs", "source_kind"): lambda: vocabulary().ids("source_kinds"),
    ("$defs", "knowledge_type"): lambda: vocabulary().ids("knowledge_types"),
    ("$defs", "source", "properties", "scope"): lambda: vocabulary().ids("scopes"),
    ("$defs", "source", "properties", "direction"): lambda: vocabulary().ids("directions"),
}


def data_schema() -> dict:
    """The schema the validator checks: the shipped one, with the lists of
    frameworks, stages and terms taken from the frameworks folder."""
    return _data_schema(resources_dir())


@lru_cache(maxsize=None)
def _data_schema(folder) -> dict:
    schema = copy.deepcopy(_study_schema(folder))
    for where, values in _DATA_ENUMS.items():
        node = schema
        for key in where:
            node = node[key]
        node["enum"] = list(values())
    return schema


def _schema_check() -> Check:
    return _compiled(resources_dir(), None)


@lru_cache(maxsize=None)
def _compiled(folder, kind: str | None) -> Check:
    compiler = _Compiler(_data_schema(folder))
    return compiler.compile(compiler.root) if kind is None else compiler.ref(f"#/$defs/{kind}")


# --------------------------------------------------------------------------- rules


def _dicts(value: Any) -> list[tuple[int, dict]]:
    return [(i, v) for i, v in enumerate(value) if isinstance(v, dict)] if isinstance(value, list) else []


def _ids(items: list[tuple[int, dict]]) -> set:
    return {v["id"] for _, v in items if isinstance(v.get("id"), str)}


def _unique_ids(items, base: tuple, what: str, out: list) -> None:
    first: dict[str, int] = {}
    for i, item in items:
        ident = item.get("id")
        if not isinstance(ident, str):
            continue
        if ident in first:
            out.append(Problem(fmt_path(base + (i, "id")),
                               f"duplicate {what} id {ident!r} (also {fmt_path(base + (first[ident],))})"))
        else:
            first[ident] = i


def _refs(values: Any, path: tuple, known: set, what: str, firm_id: Any, out: list) -> None:
    if not isinstance(values, list):
        return
    for j, ref in enumerate(values):
        if isinstance(ref, str) and ref not in known:
            out.append(Problem(fmt_path(path + (j,)),
                               f"no {what} {ref!r} in firm {firm_id!r}{did_you_mean(ref, known)}"))


def _check_order(events: list[tuple[int, dict]], base: tuple, out: list) -> None:
    """Rule 5, as warnings with their paths."""
    for i, date, j, top in dates_out_of_order((i, ev.get("date")) for i, ev in events):
        out.append(Problem(fmt_path(base + (i, "date")),
                           f"{date!r} is earlier than {top!r} of {fmt_path(base + (j,))}, "
                           f"listed before it; events should be in chronological order", "warning"))


def _check_via_cycles(sources: list[tuple[int, dict]], base: tuple, out: list) -> None:
    via = {s["id"]: s.get("via") for _, s in sources if isinstance(s.get("id"), str)}
    for i, src in sources:
        sid = src.get("id")
        if not isinstance(sid, str) or not isinstance(src.get("via"), str):
            continue
        if src["via"] == sid:
            out.append(Problem(fmt_path(base + (i, "via")), f"source {sid!r} cannot be brokered by itself"))
            continue
        chain, seen, cur = [sid], {sid}, src["via"]
        while isinstance(cur, str) and cur in via:
            chain.append(cur)
            if cur == sid:
                out.append(Problem(fmt_path(base + (i, "via")),
                                   f"source {sid!r} is brokered by itself through the chain "
                                   f"{' -> '.join(chain)}"))
                break
            if cur in seen:
                break  # a cycle elsewhere; reported at its own members
            seen.add(cur)
            cur = via.get(cur)


def _check_evidence(ev_list: Any, path: tuple, docs: dict, out: list) -> None:
    for k, ev in _dicts(ev_list):
        p = path + (k,)
        doc_id = ev.get("document")
        start, end = ev.get("start"), ev.get("end")
        has_start, has_end = "start" in ev, "end" in ev
        doc_text = None
        if isinstance(doc_id, str):
            if doc_id not in docs:
                out.append(Problem(fmt_path(p + ("document",)),
                                   f"no document {doc_id!r} in the study{did_you_mean(doc_id, docs)}"))
            else:
                doc_text = docs[doc_id]
        if has_start != has_end:
            missing = "end" if has_start else "start"
            out.append(Problem(fmt_path(p + (missing,)), "start and end must be given together"))
            continue
        if not has_start:
            continue
        if "document" not in ev:
            out.append(Problem(fmt_path(p + ("document",)), "start and end need the document they point into"))
            continue
        if not (_is_type(start, "integer") and _is_type(end, "integer")):
            continue  # the schema pass reported it
        start, end = int(start), int(end)
        if not (0 <= start < end):
            out.append(Problem(fmt_path(p + ("start",)), f"start {start} must be less than end {end}"))
            continue
        if not isinstance(doc_text, str):
            continue
        if end > len(doc_text):
            out.append(Problem(fmt_path(p + ("end",)),
                               f"{end} is beyond the end of document {doc_id!r} ({len(doc_text)} characters)"))
            continue
        quote = ev.get("quote")
        if isinstance(quote, str) and doc_text[start:end] != quote:
            found = doc_text.find(quote) if quote else -1
            hint = f"; the quote is found at {found}-{found + len(quote)}" if found >= 0 else ""
            out.append(Problem(fmt_path(p + ("quote",)),
                               f"does not match document {doc_id!r} at {start}-{end}, which reads "
                               f"{_show(doc_text[start:end])}{hint}"))


def _check_codes(doc: dict, errors: list) -> None:
    """The study's own codes: unique ids, a parent that is another code and
    no cycle of parents; every use of a code (on an event, on evidence, on a
    document's passage) names one; passages lie inside their document, with
    ids unique in it."""
    codes = _dicts(doc.get("codes"))
    _unique_ids(codes, ("codes",), "code", errors)
    code_ids = _ids(codes)
    parent = {c["id"]: c.get("parent") for _, c in codes if isinstance(c.get("id"), str)}
    for ci, code in codes:
        cid, up = code.get("id"), code.get("parent")
        if not isinstance(up, str):
            continue
        if up not in code_ids:
            errors.append(Problem(fmt_path(("codes", ci, "parent")),
                                  f"no code {up!r} in the study{did_you_mean(up, code_ids)}"))
            continue
        if not isinstance(cid, str):
            continue  # the schema pass reported the id
        seen, cur = {cid}, up
        while isinstance(cur, str) and cur in parent:
            if cur in seen:
                errors.append(Problem(fmt_path(("codes", ci, "parent")),
                                      f"code {cid!r} would sit under itself"))
                break
            seen.add(cur)
            cur = parent[cur]

    def uses(values: Any, path: tuple) -> None:
        if not isinstance(values, list):
            return
        for k, ref in enumerate(values):
            if isinstance(ref, str) and ref not in code_ids:
                errors.append(Problem(fmt_path(path + (k,)),
                                      f"no code {ref!r} in the study{did_you_mean(ref, code_ids)}"))

    for di, d in _dicts(doc.get("documents")):
        text = d.get("text") if isinstance(d.get("text"), str) else None
        passages = _dicts(d.get("passages"))
        _unique_ids(passages, ("documents", di, "passages"), "passage", errors)
        for pi, pa in passages:
            p = ("documents", di, "passages", pi)
            start, end = pa.get("start"), pa.get("end")
            if _is_type(start, "integer") and _is_type(end, "integer"):
                if not 0 <= start < end:
                    errors.append(Problem(fmt_path(p + ("start",)), f"start {start} must be less than end {end}"))
                elif text is not None and end > len(text):
                    errors.append(Problem(fmt_path(p + ("end",)),
                                          f"{end} is beyond the end of the document ({len(text)} characters)"))
            uses(pa.get("codes"), p + ("codes",))
    for fi, firm in _dicts(doc.get("firms")):
        for ei, ev in _dicts(firm.get("events")):
            p = ("firms", fi, "events", ei)
            uses(ev.get("codes"), p + ("codes",))
            for k, item in _dicts(ev.get("evidence")):
                uses(item.get("codes"), p + ("evidence", k, "codes"))


def _check_actions(actions: list[tuple[int, dict]], base: tuple, firm_id: Any, event_ids: set,
                   out: list) -> None:
    """A firm's renewal actions: ids unique, ``event`` an event of the firm,
    and an action that is not one of ``resources/renewal/actions.json``
    (the consultant's own) carries its text."""
    if not actions:
        return
    from .renewal import action_ids

    _unique_ids(actions, base, "action", out)
    known = action_ids()
    for i, act in actions:
        ref = act.get("event")
        if isinstance(ref, str) and ref not in event_ids:
            out.append(Problem(fmt_path(base + (i, "event")),
                               f"no event {ref!r} in firm {firm_id!r}{did_you_mean(ref, event_ids)}"))
        ident = act.get("id")
        text = act.get("text")
        if isinstance(ident, str) and ident not in known and not (isinstance(text, str) and text.strip()):
            out.append(Problem(fmt_path(base + (i,)),
                               f"{ident!r} is not an action of the checklist{did_you_mean(ident, known)}; "
                               f"an action of your own needs its 'text'"))


def check_rules(doc: dict) -> Report:
    """The rules the schema cannot express (format rules 1-5)."""
    errors: list[Problem] = []
    warnings: list[Problem] = []
    fw_id = doc.get("framework")
    fw_stages = set(framework(fw_id).stage_ids) if fw_id in framework_ids() else None

    documents = _dicts(doc.get("documents"))
    _unique_ids(documents, ("documents",), "document", errors)
    docs = {d["id"]: d.get("text") for _, d in documents if isinstance(d.get("id"), str)}

    firms = _dicts(doc.get("firms"))
    _unique_ids(firms, ("firms",), "firm", errors)
    firm_ids = _ids(firms)
    for i, d in documents:
        if isinstance(d.get("firm"), str) and d["firm"] not in firm_ids:
            warnings.append(Problem(fmt_path(("documents", i, "firm")),
                                    f"no firm {d['firm']!r} in this study{did_you_mean(d['firm'], firm_ids)}",
                                    "warning"))

    for fi, firm in firms:
        base = ("firms", fi)
        fid = firm.get("id")
        sources = _dicts(firm.get("sources"))
        routines = _dicts(firm.get("routines"))
        events = _dicts(firm.get("events"))
        links = _dicts(firm.get("links"))
        _unique_ids(sources, base + ("sources",), "source", errors)
        _unique_ids(routines, base + ("routines",), "routine", errors)
        _unique_ids(events, base + ("events",), "event", errors)
        source_ids, routine_ids, event_ids = _ids(sources), _ids(routines), _ids(events)

        for si, src in sources:
            via = src.get("via")
            if isinstance(via, str) and via not in source_ids:
                errors.append(Problem(fmt_path(base + ("sources", si, "via")),
                                      f"no source {via!r} in firm {fid!r}{did_you_mean(via, source_ids)}"))
        _check_via_cycles(sources, base + ("sources",), errors)

        for ri, rt in routines:
            _refs(rt.get("sources"), base + ("routines", ri, "sources"), source_ids, "source", fid, errors)

        for ei, ev in events:
            p = base + ("events", ei)
            _refs(ev.get("sources"), p + ("sources",), source_ids, "source", fid, errors)
            _refs(ev.get("routines"), p + ("routines",), routine_ids, "routine", fid, errors)
            stages = ev.get("stages")
            if fw_stages is not None and isinstance(stages, list):
                for si, st in enumerate(stages):
                    # values outside the schema's enum were reported by the schema pass
                    if isinstance(st, str) and st in all_stages() and st not in fw_stages:
                        errors.append(Problem(fmt_path(p + ("stages", si)),
                                              _stage_message(st, Context(fw_id))))
            _check_evidence(ev.get("evidence"), p + ("evidence",), docs, errors)

        for li, ln in links:
            p = base + ("links", li)
            for end in ("from", "to"):
                ref = ln.get(end)
                if isinstance(ref, str) and ref not in event_ids:
                    errors.append(Problem(fmt_path(p + (end,)),
                                          f"no event {ref!r} in firm {fid!r}{did_you_mean(ref, event_ids)}"))
            if isinstance(ln.get("from"), str) and ln.get("from") == ln.get("to"):
                errors.append(Problem(fmt_path(p), f"a link cannot lead from event {ln['from']!r} to itself"))

        _check_actions(_dicts(firm.get("actions")), base + ("actions",), fid, event_ids, errors)
        _check_order(events, base + ("events",), warnings)

    _check_codes(doc, errors)
    return Report(errors, warnings)


def validate(doc: Any, sanitise_text: bool = True) -> tuple[Any, Report]:
    """Validate a decoded study. Returns the (sanitised) document and the
    report; the document is what a reader should use."""
    report = Report()
    if sanitise_text:
        doc, warns = sanitise(doc)
        report.warnings.extend(warns)
    if not isinstance(doc, dict):
        report.errors.append(Problem("", f"a study file holds a JSON object; this one holds {_type_of(doc)}"))
        return doc, report
    fw = doc.get("framework")
    schema_errors: list[Problem] = []
    _schema_check()(doc, (), schema_errors, Context(fw if isinstance(fw, str) else None))
    report.errors.extend(schema_errors)
    report.extend(check_rules(doc))
    return doc, report


def check_object(kind: str, obj: Any, framework_id: str | None, where: str = "") -> list[Problem]:
    """Schema problems of one object (``kind`` a definition of the schema:
    firm, source, routine, event, link, evidence, document), with the
    framework rule for an event's stages; for checking a single edit."""
    problems: list[Problem] = []
    obj, _ = sanitise(obj)
    _object_check(kind)(obj, (where,) if where else (), problems, Context(framework_id))
    if kind == "event" and framework_id in framework_ids() and isinstance(obj, dict):
        stages = set(framework(framework_id).stage_ids)
        listed = obj.get("stages")
        for i, st in enumerate(listed if isinstance(listed, list) else ()):
            if isinstance(st, str) and st in all_stages() and st not in stages:
                problems.append(Problem(fmt_path(((where,) if where else ()) + ("stages", i)),
                                        _stage_message(st, Context(framework_id))))
    return problems


def _object_check(kind: str) -> Check:
    return _compiled(resources_dir(), kind)


def check_part(meta: dict, firms: list[dict], documents: list[dict]) -> list[Problem]:
    """The errors of a study holding only ``firms`` and ``documents`` (with
    the study's own fields from ``meta``): what an edit to those firms must
    not bring about. The same schema and rules as ``validate``, run over
    the part of the study an edit touched."""
    doc = {k: v for k, v in meta.items() if k not in ("firms", "documents")}
    doc["firms"] = firms
    if documents:
        doc["documents"] = documents
    _, report = validate(doc, sanitise_text=False)
    return report.errors
