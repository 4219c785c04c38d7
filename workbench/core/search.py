"""Search across documents: keyword in context.

Three modes:

- ``"word"``: whole words. The query matches where it is not preceded or
  followed by a letter, digit or underscore (any script): "export" finds
  "export" and "export," but not "exporting". Typed with spaces ("new
  machine"), it is a phrase of whole words.
- ``"phrase"``: the query's characters anywhere, inside words too: "export"
  finds "exporting" and "re-export".
- ``"regex"``: a Python regular expression over the document's own text, with
  ``^`` and ``$`` at line starts and ends (a transcript's turns); ``\\n``
  matches a line break.

Word and phrase are tolerant as anchoring is (:mod:`workbench.core.anchor`):
curly and straight quotes, dashes, ellipses and spacing fold alike, and a line
break counts as a space, so "don't know" finds "don’t\\nknow". They search the
folded copy of each document that a :class:`~workbench.core.anchor.Corpus`
keeps, so a search costs one compiled pattern run over each text. ``case=False``
(the default) ignores case in all three modes.

Time guard for regular expressions: Python's ``re`` cannot be stopped once
running, and a pattern that repeats a part which itself repeats, such as
``(\\w+\\s?)+$``, can take minutes on one long document. Such patterns (an
unbounded repeat inside an unbounded repeat, outside atomic groups and
possessive repeats) are refused with a message before anything runs. Other
slow patterns (e.g. ``(a|aa)*b``) are not detected. ``limit`` caps the number
of hits kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from workbench.core.anchor import Corpus, fold_quote
from workbench.core.errors import InputError

MODES = ("word", "phrase", "regex")


@dataclass(frozen=True)
class Hit:
    """One place a search found: ``start``/``end`` in code points of the
    document's text; ``left``, ``match`` and ``right`` on one line (line breaks
    and runs of spaces shown as one space) for a keyword-in-context list."""

    document_id: str
    start: int
    end: int
    left: str
    match: str
    right: str
    paragraph: int
    line: int
    speaker: str | None = None

    def kwic(self, width: int | None = None) -> str:
        """``left [match] right`` with ``left`` right-aligned to ``width``."""
        left = self.left if width is None else self.left.rjust(width)
        return f"{left}[{self.match}]{self.right}"


def _one_line(s: str) -> str:
    """Each run of whitespace (line breaks too) as one space (str.split is
    several times quicker here than a regular expression)."""
    parts = s.split()
    if not parts:
        return " " if s else ""
    out = " ".join(parts)
    if s[0].isspace():
        out = " " + out
    if s[-1].isspace():
        out += " "
    return out


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _bad_pattern(pattern: str, message: str, pos: int | None) -> InputError:
    problems = [f"    {pattern}"]
    if pos is not None:
        problems.append("    " + " " * pos + "^")
        message += f" at character {pos + 1}"
    return InputError(message, problems)


def _nested_repeat(pattern: str, flags: int) -> bool:
    """Whether the pattern has an unbounded repeat inside another (outside
    atomic groups and possessive repeats). Uses ``re``'s own parser; if that
    ever changes shape, nothing is refused."""
    try:
        from re import _constants as c
        from re import _parser
        parsed = _parser.parse(pattern, flags)
    except Exception:  # noqa: BLE001 - the guard is best effort
        return False
    repeats = (c.MAX_REPEAT, c.MIN_REPEAT)

    def walk(items, inside: bool) -> bool:
        for op, av in items:
            if op in repeats:
                _lo, hi, sub = av
                unbounded = hi == c.MAXREPEAT
                if unbounded and inside:
                    return True
                if walk(sub, inside or unbounded):
                    return True
            elif op == c.SUBPATTERN:
                if walk(av[-1], inside):
                    return True
            elif op == c.BRANCH:
                if any(walk(b, inside) for b in av[1]):
                    return True
            elif op in (c.ASSERT, c.ASSERT_NOT):
                if walk(av[1], inside):
                    return True
            elif op == c.GROUPREF_EXISTS and any(walk(b, inside) for b in av[1:] if b):
                return True
        return False

    try:
        return walk(parsed, False)
    except Exception:  # noqa: BLE001
        return False


def compile_regex(pattern: str, case: bool = False) -> re.Pattern:
    """The pattern compiled as regex mode runs it, or an InputError naming
    the pattern and where it goes wrong."""
    flags = re.MULTILINE | (0 if case else re.IGNORECASE)
    try:
        compiled = re.compile(pattern, flags)
    except re.error as e:
        raise _bad_pattern(pattern, f"The search pattern is not a valid regular expression: {e.msg}",
                           e.pos) from None
    except (OverflowError, RecursionError):
        raise _bad_pattern(pattern, "The search pattern is too large to run", None) from None
    if _nested_repeat(pattern, flags):
        raise _bad_pattern(
            pattern, "The search pattern repeats a part that itself repeats (like (\\w+\\s?)+): "
            "on a long document that can run for minutes. Write it without the repeat "
            "around the repeat", None)
    return compiled


def search(documents: Iterable[tuple[str, str]], query: str, mode: str = "word",
           case: bool = False, context: int = 60,
           speaker_at: Callable[[str, int], str | None] | None = None,
           corpus: Corpus | None = None, limit: int | None = None) -> list[Hit]:
    """Every place ``query`` occurs in ``documents`` ((id, text) pairs), in
    document order, as keyword-in-context hits with ``context`` characters
    either side. ``speaker_at(document_id, offset)``, if given, names the
    speaker of each hit. Pass the study's :class:`Corpus` so that documents
    are folded once, not at every search. Narrowing by firm, speaker or code
    is the caller's: pass only the documents wanted, filter the hits."""
    if mode not in MODES:
        raise InputError(f"Unknown search mode {mode!r}: use word, phrase or regex")
    if not query or not query.strip():
        raise InputError("Nothing to search for: the search text is empty")
    corpus = corpus if corpus is not None else Corpus()
    hits: list[Hit] = []

    if mode == "regex":
        pattern = compile_regex(query, case)
        finder = None
    else:
        folded = fold_quote(query)
        if not folded:
            raise InputError(f"Nothing to search for in {query!r}: it has no letters or signs")
        low = folded.lower()
        lowered = not case and len(low) == len(folded)
        plain = re.compile(re.escape(folded), 0 if case else re.IGNORECASE)
        lower = re.compile(re.escape(low)) if lowered else None
        word = mode == "word"

        def finder(entry):
            text, pat = entry.folded.text, plain
            if lower is not None and entry.lower is not None:
                text, pat = entry.lower, lower
            pos, n = 0, len(text)
            while pos <= n:
                m = pat.search(text, pos)
                if m is None:
                    return
                a, b = m.span()
                if word and ((a > 0 and _is_word(text[a - 1]) and _is_word(text[a]))
                             or (b < n and _is_word(text[b]) and _is_word(text[b - 1]))):
                    pos = a + 1
                    continue
                span = entry.folded.span(a, b)
                if span is None:  # part of what one character became
                    pos = a + 1
                    continue
                yield span
                pos = b

    for doc_id, text in documents:
        entry = corpus.entry(doc_id, text)
        if finder is None:
            spans = ((m.start(), m.end()) for m in pattern.finditer(text) if m.end() > m.start())
        else:
            spans = finder(entry)
        for s, e in spans:
            loc = entry.lines.locate(s)
            hits.append(Hit(
                document_id=doc_id, start=s, end=e,
                left=_one_line(text[max(0, s - context):s]),
                match=_one_line(text[s:e]),
                right=_one_line(text[e:e + context]),
                paragraph=loc.paragraph, line=loc.line,
                speaker=speaker_at(doc_id, s) if speaker_at else None))
            if limit is not None and len(hits) >= limit:
                return hits
    return hits
