"""The ``*.study.json`` exchange format in and out.

Reading decodes the file (UTF-8, strict JSON: no duplicate keys, no NaN),
replaces characters XML cannot hold (with warnings), validates every rule of
the format and builds the model. Any problem raises ``InputError`` listing
all of them with their paths. Writing gives back the keys the study had and
nothing else, so export after import is an equal JSON value.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import InputError
from ..core.model import Study
from ..core.validate import Problem, Report, has_bad_chars, validate
from .files import atomic_write_text
from .sniff import refuse_other_kind


@dataclass
class Loaded:
    study: Study
    warnings: list[Problem] = field(default_factory=list)


class _DuplicateKeys(ValueError):
    pass


def _pairs_hook(pairs):
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeys(key)
            seen.add(key)
    return obj


def _no_constants(name):
    raise ValueError(f"{name} is not allowed in JSON")


# JSON escapes that decode to a character rule 6 replaces. (Kept apart from
# the raw-character search: a lone character class scans much faster.)
_ESCAPED_BAD = re.compile(r"\\u(00[01][0-9a-fA-F]|[dD][89a-fA-F][0-9a-fA-F]{2}|[fF]{3}[eEfF])")


def may_need_sanitising(text: str) -> bool:
    """False when the JSON text can decode to no character that rule 6
    replaces: none raw, none escaped (``\\u0007``, a surrogate, U+FFFE/F).
    Escaped surrogate pairs make this say True; the full check then runs."""
    return has_bad_chars(text) or _ESCAPED_BAD.search(text) is not None


def decode(text: str, where: str) -> object:
    """Strict JSON; InputError with line and column on failure."""
    try:
        # strict=False: raw control characters inside strings are read (and
        # then replaced by spaces, rule 6) rather than making the file unreadable
        return json.loads(text, object_pairs_hook=_pairs_hook, parse_constant=_no_constants,
                          strict=False)
    except _DuplicateKeys as exc:
        raise InputError(f"{where}: the key {exc.args[0]!r} appears twice in one object; "
                         f"a study file must name each key once") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not valid JSON: {exc.msg} at line {exc.lineno}, "
                         f"column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{where}: not valid JSON: {exc}") from None


def read_text(path: str | os.PathLike) -> str:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a study file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if data.startswith(b"SQLite format 3\x00"):
        raise InputError(f"{path}: is a SQLite database (a .lpw study?), not a *.study.json file")
    refuse_other_kind(path, data)  # a Word document, a PDF, a picture ...: named as such
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start} cannot be decoded); "
                         f"study files are UTF-8 JSON") from None


def parse_doc(doc: object, where: str, text: str | None = None) -> tuple[dict, list[Problem]]:
    """Validate a decoded document: the sanitised document and its warnings,
    or InputError listing every problem. Given the JSON text it came from, the
    walk for characters to replace is skipped when the text cannot hold any."""
    doc, report = validate(doc, sanitise_text=text is None or may_need_sanitising(text))
    if not report.ok:
        n = len(report.errors)
        raise InputError(f"{where}: not a valid study ({n} problem{'s' if n > 1 else ''})",
                         report.errors)
    return doc, report.warnings


def parse_study(doc: object, where: str, text: str | None = None) -> Loaded:
    """Validate a decoded document and build the study."""
    doc, warnings = parse_doc(doc, where, text)
    return Loaded(Study.from_dict(doc), warnings)


def check_file(path: str | os.PathLike) -> Report:
    """Validate a file without building the model: the full report, with
    decoding failures as one error at the top."""
    try:
        doc = decode(read_text(path), str(path))
    except InputError as exc:
        return Report(errors=[Problem("", exc.message.split(": ", 1)[-1])])
    _, report = validate(doc)
    return report


def read_doc(path: str | os.PathLike) -> tuple[dict, list[Problem]]:
    """A validated study file as a format dict, and its warnings."""
    where = str(path)
    text = read_text(path)
    return parse_doc(decode(text, where), where, text)


def read_study(path: str | os.PathLike) -> Loaded:
    doc, warnings = read_doc(path)
    return Loaded(Study.from_dict(doc), warnings)


def dumps_study(study: Study) -> str:
    return json.dumps(study.to_dict(), ensure_ascii=False, indent=2) + "\n"


def write_study(study: Study, path: str | os.PathLike) -> None:
    atomic_write_text(path, dumps_study(study))
