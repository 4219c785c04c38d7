"""From a quote to its place in the documents, and keeping places when a
document's text changes.

A quote typed or pasted without an anchor is looked for *tolerantly*: both
the quote and the document are *folded* (below) and the folded quote is
looked for in the folded text; a match is mapped back to the document's own
characters, so ``text[start:end]`` is what the document says (and becomes
the stored quote; it may differ from the typed one in its quote marks, dashes
and spaces). Matches of the quote exactly as typed are marked ``exact`` and
listed first, but do not hide the tolerant ones: a non-breaking space or a
line break does not show, so a quote found as typed in one place and with
such a difference in another is ambiguous.

Folding (:func:`fold`) makes these the same:

- curly, straight and other single quotes and apostrophes (‘ ’ ‚ ‛ ′ ‵ ‹ › ` ´ ʼ ＇) as ``'``;
  double quotes (“ ” „ ‟ ″ ‶ « » ＂) as ``"``;
- dashes and minus signs (‐ ‑ ‒ – — ― − ⸺ ⸻ ﹘ ﹣ －) and runs of them (``--``) as
  ``-``, with any spaces either side of a dash dropped (``a — b`` is ``a-b``);
- any run of whitespace, line breaks and non-breaking or other Unicode spaces
  as one space;
- the ellipsis … as ``...``; the ligatures ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ as their letters;
- zero-width spaces and joiners and soft hyphens are dropped.

Case is not folded: a quote is meant to be verbatim, and "We" against "we" is
more often a different passage than a slip. The one exception is the quote's
first letter, which quoting conventionally capitalises ("We started..." for
"...and we started..."): it matches in either case, but only if the quote is
not found with its own case. Likewise, only then, a quote wrapped in quote
marks or with a leading or trailing ellipsis (marks of a cut) is looked for
without them.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from workbench.core.textpos import Lines, Speakers

_WHITESPACE = ("\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
               + "".join(chr(c) for c in range(0x2000, 0x200B))
               + "\u2028\u2029\u202f\u205f\u3000")
_SINGLE_QUOTES = "\u2018\u2019\u201a\u201b\u2032\u2035\u2039\u203a`\u00b4\u02bc\uff07"
_DOUBLE_QUOTES = "\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb\uff02"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d"
_EXPAND = {"\u2026": "...", "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi",
           "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"}
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"

# One character for one: the folded text keeps the original's length here.
_ONE_FOR_ONE = {**{c: " " for c in _WHITESPACE if c != " "}, **{c: "'" for c in _SINGLE_QUOTES},
                **{c: '"' for c in _DOUBLE_QUOTES}, **{c: "-" for c in _DASHES}}
# What changes the length: runs of spaces, dashes and zero-width characters,
# and the characters that expand.
_RUN = " -" + _ZERO_WIDTH
_RARE = _ZERO_WIDTH + "".join(_EXPAND)


def _one_for_one(text: str) -> str:
    for c, r in _ONE_FOR_ONE.items():
        if c in text:
            text = text.replace(c, r)
    return text


def _marks(t: str) -> list[int]:
    """Where something may change length: double spaces, dashes, rare
    characters (found with str.find, much faster than a regex scan)."""
    marks = []
    for needle in ("  ", "-", *(c for c in _RARE if c in t)):
        i = t.find(needle)
        while i >= 0:
            marks.append(i)
            i = t.find(needle, i + len(needle))
    marks.sort()
    return marks


class Folded:
    """A folded text and the way back from its offsets to the original's.

    The map is a list of segments: stretches copied one for one (most of the
    text) and replacements (a run of spaces made one, a dash with its spaces,
    an ellipsis made three dots), each with the original span it came from.
    """

    __slots__ = ("_copy", "_f", "_o", "_oe", "text")

    def __init__(self, text: str, f: list[int], o: list[int], oe: list[int], copy: list[bool]):
        self.text = text
        self._f, self._o, self._oe, self._copy = f, o, oe, copy

    def span(self, a: int, b: int) -> tuple[int, int] | None:
        """The original span of folded span ``[a, b)`` (b > a): whole original
        characters, from the one that gave folded ``a`` to the one that gave
        folded ``b - 1``; None if ``[a, b)`` takes only part of what one
        character became (an "f" of "ﬁ", two dots of "…"), which is no match."""
        f = self._f
        i = bisect_right(f, a) - 1
        if self._copy[i]:
            start = self._o[i] + (a - f[i])
        elif a != f[i]:
            return None
        else:
            start = self._o[i]
        j = bisect_right(f, b - 1) - 1
        if self._copy[j]:
            end = self._o[j] + (b - f[j])
        elif b != (f[j + 1] if j + 1 < len(f) else len(self.text)):
            return None
        else:
            end = self._oe[j]
        return start, end


def fold(text: str) -> Folded:
    """``text`` folded as the module's note says, with its map back."""
    t = _one_for_one(text)
    n = len(t)
    parts: list[str] = []
    f: list[int] = []
    o: list[int] = []
    oe: list[int] = []
    copy: list[bool] = []
    pos = fpos = 0

    def add(piece: str, start: int, end: int, is_copy: bool) -> None:
        nonlocal fpos
        parts.append(piece)
        f.append(fpos)
        o.append(start)
        oe.append(end)
        copy.append(is_copy)
        fpos += len(piece)

    for p in _marks(t):
        if p < pos:
            continue
        c = t[p]
        if c in _EXPAND:
            s, e, piece, span = p, p + 1, _EXPAND[c], (p, p + 1)
        else:
            s, e = p, p + 1
            while s > pos and t[s - 1] in _RUN:
                s -= 1
            while e < n and t[e] in _RUN:
                e += 1
            run = t[s:e]
            if "-" in run:
                if run == "-":
                    continue  # a hyphen: kept as it is
                piece, span = "-", (s + run.index("-"), s + run.rindex("-") + 1)
            elif " " in run:
                if run == " ":
                    continue
                piece, span = " ", (s, e)
            else:
                piece, span = "", (s, e)  # zero-width characters only: dropped
        if s > pos:
            add(t[pos:s], pos, s, True)
        if piece:
            add(piece, span[0], span[1], False)
        pos = e
    if pos < n or not parts:
        add(t[pos:], pos, n, True)
    return Folded("".join(parts), f, o, oe, copy)


def fold_quote(quote: str) -> str:
    """A typed quote folded for looking up: NFC (documents are stored NFC),
    folded, without spaces at either end."""
    return fold(unicodedata.normalize("NFC", quote)).text.strip(" ")


class _Entry:
    """One document's text and what is made of it, each made when first asked for."""

    __slots__ = ("_folded", "_lines", "_lower", "_speakers", "text")

    def __init__(self, text: str):
        self.text = text
        self._folded: Folded | None = None
        self._lower: str | None | bool = False
        self._lines: Lines | None = None
        self._speakers: Speakers | None = None

    @property
    def speakers(self) -> Speakers:
        if self._speakers is None:
            self._speakers = Speakers(self.text)
        return self._speakers

    @property
    def folded(self) -> Folded:
        if self._folded is None:
            self._folded = fold(self.text)
        return self._folded

    @property
    def lower(self) -> str | None:
        """The folded text in lower case, when lowering keeps its length
        (it does for all but a few characters such as İ); else None."""
        if self._lower is False:
            low = self.folded.text.lower()
            self._lower = low if len(low) == len(self.folded.text) else None
        return self._lower

    @property
    def lines(self) -> Lines:
        if self._lines is None:
            self._lines = Lines(self.text)
        return self._lines


class Corpus:
    """Folded copies of documents, kept between searches and look-ups.

    Keep one for an open study and pass it to :func:`find_quote`,
    :func:`anchor_report` and :func:`workbench.core.search.search`: each
    document is folded once, again only when its text changes.
    """

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def entry(self, doc_id: str, text: str) -> _Entry:
        e = self._entries.get(doc_id)
        if e is None or (e.text is not text and e.text != text):
            e = self._entries[doc_id] = _Entry(text)
        return e

    def speaker_at(self, doc_id: str, offset: int) -> str | None:
        """The speaker at ``offset`` of a document this corpus holds, read
        from its turn labels (:class:`~workbench.core.textpos.Speakers`); a
        ``speaker_at`` for :func:`workbench.core.search.search`."""
        e = self._entries.get(doc_id)
        return e.speakers.at(offset) if e is not None else None

    def forget(self, doc_id: str) -> None:
        self._entries.pop(doc_id, None)

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True)
class Match:
    """Where a quote was found: ``text[start:end]`` of document ``document_id``
    (code points), ``quote`` being those characters; ``exact`` when the typed
    quote was found as typed."""

    document_id: str
    start: int
    end: int
    quote: str
    exact: bool


def _find_all(haystack: str, needle: str) -> list[int]:
    """Every start of ``needle`` in ``haystack``, overlapping ones too."""
    found, i = [], haystack.find(needle)
    while i >= 0:
        found.append(i)
        i = haystack.find(needle, i + 1)
    return found


def _variants(folded: str) -> list[str]:
    """The folded quote, then the same without quote marks or an ellipsis at
    its ends (tried only if the quote itself is not found)."""
    out = [folded]
    q = folded
    while True:
        before = q
        if len(q) >= 2 and q[0] == q[-1] and q[0] in "\"'":
            q = q[1:-1].strip(" ")
        if q.startswith("..."):
            q = q[3:].strip(" ")
        if q.endswith("..."):
            q = q[:-3].strip(" ")
        if q == before:
            break
    if q and q != folded:
        out.append(q)
    return out


def _first_letter_cases(q: str) -> list[str]:
    other = q[0].swapcase()
    if other != q[0] and len(other) == 1:
        return [q, other + q[1:]]
    return [q]


def find_quote(quote: str, documents: Iterable[tuple[str, str]],
               corpus: Corpus | None = None) -> list[Match]:
    """Every place in ``documents`` ((id, text) pairs) where ``quote`` is.

    First the places that have the quote as typed or differ from it only in
    quote marks, dashes and spacing (all of them: a quote found as typed in
    one document and with a non-breaking space in another is ambiguous, as the
    two look the same); those found as typed come first. Only if there are
    none, the places that differ also in the case of the first letter or lack
    the quote marks or ellipsis the quote is wrapped in. More than one match
    means the quote is ambiguous; none, that it is not in these documents.
    """
    docs = list(documents)
    q = unicodedata.normalize("NFC", quote).strip()
    if not q:
        return []
    folded = fold_quote(q)
    corpus = corpus if corpus is not None else Corpus()
    entries = [(doc_id, text, corpus.entry(doc_id, text)) for doc_id, text in docs]

    def look(needles: list[str], exact: bool) -> list[Match]:
        out = []
        for doc_id, text, entry in entries:
            as_typed = [(i, i + len(q)) for i in _find_all(text, q)] if exact else []
            spans = set(as_typed)
            for needle in needles:
                for i in _find_all(entry.folded.text, needle):
                    span = entry.folded.span(i, i + len(needle))
                    if span and not any(span[0] < b and a < span[1] for a, b in as_typed):
                        spans.add(span)
            out.extend(Match(doc_id, s, e, text[s:e], text[s:e] == q) for s, e in sorted(spans))
        return out

    matches = look([folded] if folded else [], True)
    if matches:
        return sorted(matches, key=lambda m: not m.exact)  # stable: documents' order kept
    if not folded:
        return []
    needles = {n for v in _variants(folded) for n in _first_letter_cases(v)} - {folded}
    return look(sorted(needles), False)


def _quote_of(item) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, Mapping):
        return item["quote"]
    return item.quote


@dataclass
class AnchorReport:
    """What :func:`anchor_report` made of a list of quotes: each found one
    with its match, each ambiguous one with all its matches, each one not
    found."""

    found: list[tuple[object, Match]] = field(default_factory=list)
    ambiguous: list[tuple[object, list[Match]]] = field(default_factory=list)
    not_found: list[object] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.found)} found, {len(self.ambiguous)} ambiguous, "
                f"{len(self.not_found)} not found")


def anchor_report(items: Iterable, documents: Iterable[tuple[str, str]],
                  corpus: Corpus | None = None) -> AnchorReport:
    """Look up every quote of ``items`` (strings, evidence dicts or objects
    with a ``quote``) in ``documents``; the items come back as given."""
    docs = list(documents)
    corpus = corpus if corpus is not None else Corpus()
    report = AnchorReport()
    for item in items:
        matches = find_quote(_quote_of(item), docs, corpus)
        if len(matches) == 1:
            report.found.append((item, matches[0]))
        elif matches:
            report.ambiguous.append((item, matches))
        else:
            report.not_found.append(item)
    return report


# --- a document imported again -------------------------------------------

_TOKEN = re.compile(r"\w+|\s+|.", re.DOTALL)
# Token pairs above which a changed stretch is not compared token by token (about
# 3,000 words on each side; a second at most). Its passages can still be kept
# by their quote being unique (see reanchor).
_TOKEN_DIFF_LIMIT = 10_000_000


def _equal_spans(old: str, new: str) -> list[tuple[int, int, int]]:
    """(old start, old end, new start) of the stretches the two texts share,
    found line by line and then, inside changed lines, token by token (words,
    runs of spaces, single other characters)."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    a_at, b_at = [0], [0]
    for line in a:
        a_at.append(a_at[-1] + len(line))
    for line in b:
        b_at.append(b_at[-1] + len(line))
    spans: list[tuple[int, int, int]] = []
    lines = difflib.SequenceMatcher(None, a, b)  # blank lines etc. extend matches, do not start them
    for tag, i1, i2, j1, j2 in lines.get_opcodes():
        if tag == "equal":
            spans.append((a_at[i1], a_at[i2], b_at[j1]))
        elif tag == "replace":
            o0, n0 = a_at[i1], b_at[j1]
            ta = _TOKEN.findall(old[o0:a_at[i2]])
            tb = _TOKEN.findall(new[n0:b_at[j2]])
            if len(ta) * len(tb) > _TOKEN_DIFF_LIMIT:
                continue
            ta_at, tb_at = [o0], [n0]
            for t in ta:
                ta_at.append(ta_at[-1] + len(t))
            for t in tb:
                tb_at.append(tb_at[-1] + len(t))
            # autojunk: runs of spaces and common words do not start a match
            # (they still extend one), which keeps this fast.
            words = difflib.SequenceMatcher(None, ta, tb)
            for k1, k2, m1, _ in (op[1:] for op in words.get_opcodes() if op[0] == "equal"):
                spans.append((ta_at[k1], ta_at[k2], tb_at[m1]))
    # Touching stretches are one: a passage across a line end stays whole.
    merged: list[list[int]] = []
    for s, e, n in spans:
        if merged and merged[-1][1] == s and merged[-1][2] + (s - merged[-1][0]) == n:
            merged[-1][1] = e
        else:
            merged.append([s, e, n])
    return [tuple(m) for m in merged]


def _get(item, key):
    return item.get(key) if isinstance(item, Mapping) else getattr(item, key, None)


def _moved(item, start: int, end: int):
    if isinstance(item, Mapping):
        return {**item, "start": start, "end": end}
    return dataclasses.replace(item, start=start, end=end)


def reanchor(old_text: str, new_text: str, evidence_items: Iterable) -> tuple[list, list]:
    """Anchors of one document whose text changed from ``old_text`` to
    ``new_text``: ``(kept, dropped)``.

    ``evidence_items`` are evidence dicts (or objects with ``quote``,
    ``start``, ``end``) anchored in this document. An item is kept, with its
    offsets moved, when its passage is unchanged: it lies inside a stretch
    the two texts share (so edits elsewhere only shift it), or, failing that,
    its quote occurred exactly once in the old text and occurs exactly once in
    the new one (the passage was moved whole). Every other item is dropped and
    returned as given, to be listed for the user. Items without offsets are
    kept as they are.

    The texts are compared line by line, then changed lines word by word
    (difflib). A changed stretch of more than about 3,000 words on each side
    (a document re-wrapped throughout) is not compared word by word: there
    only the unique-quote rule keeps passages.
    """
    items = list(evidence_items)
    kept: list = []
    dropped: list = []
    if old_text == new_text:
        return items, []
    spans = None
    for item in items:
        quote, start, end = _get(item, "quote"), _get(item, "start"), _get(item, "end")
        if start is None or end is None:
            kept.append(item)
            continue
        if not quote or old_text[start:end] != quote:
            dropped.append(item)  # the anchor did not hold even before
            continue
        if spans is None:
            spans = _equal_spans(old_text, new_text)
            starts = [s for s, _, _ in spans]
        k = bisect_right(starts, start) - 1
        if k >= 0 and end <= spans[k][1]:
            shift = spans[k][2] - spans[k][0]
            kept.append(_moved(item, start + shift, end + shift))
            continue
        at = _find_all(new_text, quote)
        if len(at) == 1 and len(_find_all(old_text, quote)) == 1:
            kept.append(_moved(item, at[0], at[0] + len(quote)))
        else:
            dropped.append(item)
    return kept, dropped
