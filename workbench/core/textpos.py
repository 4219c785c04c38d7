"""Positions in a document's text: UTF-16 units (Qt) against code points (the
format), and where an offset is for a reader (paragraph, line, column).

The format counts evidence offsets in Unicode code points, i.e. Python ``str``
indices, on the text as stored: NFC, with ``"\\n"`` line ends
(:func:`stored_text` makes a text so). Qt counts positions in UTF-16 units, so a
character above U+FFFF (an emoji, 𝔘) is one code point but two Qt positions.
:class:`Offsets` converts between the two in O(log n) after one pass over the
text that records where such characters are.

Qt and line ends: a ``QTextDocument`` (and so a ``QPlainTextEdit``) given a text
with ``"\\r\\n"`` or a lone ``"\\r"`` makes each one block separator, one
position. Its positions are therefore the positions of the text with its line
ends made ``"\\n"``, which is the stored text: converting Qt's UTF-16 positions
with :class:`Offsets` on the stored text gives the right code points whether
the window was given the stored text or the file's own CRLF text. Qt shows the
block separators as U+2029 in ``QTextCursor.selectedText()``; a quote is
therefore taken from the stored text (``text[start:end]``), never from
``selectedText()``.

Paragraphs: a paragraph is a line that holds something other than
whitespace. A transcript usually has one speaker's turn per line, so its
paragraph numbers are its turns; blank lines (between paragraphs of a pasted
report) are not counted, so "paragraph 12" is the twelfth block of text a
reader sees, whether or not the text separates them with blank lines.
Lines and columns count every line and are 1-based; columns count code points.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache

_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")
_NEWLINE = re.compile("\n")
_LINE_ENDS = re.compile("\r\n?")


def stored_text(text: str) -> str:
    """The text as the format stores a document: NFC, line ends ``"\\n"``.
    Do this before taking any offsets: both change where characters are."""
    return unicodedata.normalize("NFC", _LINE_ENDS.sub("\n", text))


class Offsets:
    """Converts offsets in one text between UTF-16 units and code points.

    Building it is one pass over the text (finding the characters above
    U+FFFF); each conversion is then a binary search over those characters.
    """

    __slots__ = ("_cp", "_u16", "length", "u16_length")

    def __init__(self, text: str):
        self.length = len(text)
        self._cp = [m.start() for m in _ASTRAL.finditer(text)]
        # Where each such character starts in UTF-16 units: each one before it
        # took one unit more than its one code point.
        self._u16 = [cp + k for k, cp in enumerate(self._cp)]
        self.u16_length = self.length + len(self._cp)

    def to_cp(self, u16: int, *, inside: str = "error") -> int:
        """The code-point offset of UTF-16 offset ``u16``.

        An offset between the two halves of a surrogate pair names no place in
        the text: ``inside="error"`` (the default) refuses it with ValueError,
        ``"before"`` and ``"after"`` move it to the start or the end of that
        character (a selection is widened to whole characters so).
        """
        if not 0 <= u16 <= self.u16_length:
            raise ValueError(f"UTF-16 offset {u16} is outside the text (0 to {self.u16_length})")
        k = bisect_left(self._u16, u16)  # characters above U+FFFF starting before u16
        if k and self._u16[k - 1] + 1 == u16:  # u16 falls inside the pair of character k-1
            if inside == "before":
                return self._cp[k - 1]
            if inside == "after":
                return self._cp[k - 1] + 1
            raise ValueError(f"UTF-16 offset {u16} falls inside a character above U+FFFF "
                             f"(at code point {self._cp[k - 1]})")
        return u16 - k

    def to_u16(self, cp: int) -> int:
        """The UTF-16 offset of code-point offset ``cp``."""
        if not 0 <= cp <= self.length:
            raise ValueError(f"offset {cp} is outside the text (0 to {self.length})")
        return cp + bisect_left(self._cp, cp)

    def selection_to_cp(self, u16_start: int, u16_end: int) -> tuple[int, int]:
        """A Qt selection (UTF-16, in either order) as code points, widened
        to whole characters if an end falls inside a surrogate pair."""
        a, b = sorted((u16_start, u16_end))
        return self.to_cp(a, inside="before"), self.to_cp(b, inside="after")


@lru_cache(maxsize=16)
def offsets(text: str) -> Offsets:
    """The :class:`Offsets` of ``text``, kept for the last few texts asked for
    (asking again with the same string object costs a dictionary look-up)."""
    return Offsets(text)


def utf16_to_cp(text: str, u16_offset: int) -> int:
    """Code-point offset (the format's) of a UTF-16 offset (Qt's) in ``text``."""
    return offsets(text).to_cp(u16_offset)


def cp_to_utf16(text: str, cp_offset: int) -> int:
    """UTF-16 offset (Qt's) of a code-point offset (the format's) in ``text``."""
    return offsets(text).to_u16(cp_offset)


@dataclass(frozen=True)
class Location:
    """Where an offset is, for a reader: all numbers 1-based."""

    paragraph: int
    line: int
    column: int


class Lines:
    """Line starts and paragraph numbers of one text (see the module's note
    on what a paragraph is)."""

    __slots__ = ("_para", "paragraphs", "starts")

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
        ends = self.starts[1:] + [len(text) + 1]
        para, count = [], 0
        for s, e in zip(self.starts, ends):
            if not text[s:e - 1].isspace() and e - 1 > s:
                count += 1
                para.append(count)
            else:
                para.append(-count - 1)  # a blank line: "before paragraph count + 1"
        self._para = para
        self.paragraphs = count

    def locate(self, offset: int) -> Location:
        i = bisect_right(self.starts, offset) - 1
        p = self._para[i]
        if p < 0:  # on a blank line: the paragraph that follows it
            p = min(-p, max(self.paragraphs, 1))
        return Location(p, i + 1, offset - self.starts[i] + 1)


@lru_cache(maxsize=16)
def lines(text: str) -> Lines:
    """The :class:`Lines` of ``text``, kept for the last few texts asked for."""
    return Lines(text)


def locate(text: str, start: int) -> Location:
    """Paragraph, line and column of code-point offset ``start`` in ``text``."""
    if not 0 <= start <= len(text):
        raise ValueError(f"offset {start} is outside the text (0 to {len(text)})")
    return lines(text).locate(start)


def describe(doc_name: str | None, text: str, start: int, end: int,
             speaker: str | None = None) -> str:
    """What a quote shows instead of its offsets, e.g.
    ``"Interview with Ann, paragraph 12, Ann"`` or
    ``"Interview with Ann, paragraphs 12–13"``."""
    first = locate(text, start)
    last = locate(text, max(start, end - 1)) if end > start else first
    if last.paragraph != first.paragraph:
        where = f"paragraphs {first.paragraph}\u2013{last.paragraph}"
    else:
        where = f"paragraph {first.paragraph}"
    parts = [p for p in (doc_name, where, speaker) if p]
    return ", ".join(parts)


# A turn label at a line's start: "Ann:", "Interviewer:", "Dr Smith:", "Q:".
@dataclass(frozen=True)
class Turn:
    """A stretch of ``text[start:end]`` spoken by ``speaker``; ``time`` is
    the start time (``HH:MM:SS.mmm``) where the source gives one."""

    start: int
    end: int
    speaker: str
    time: str | None = None



#: Labels at the start of a line that head notes, not speech.
NOT_SPEAKERS = frozenset("""
note notes nb ps pps date time day duration length location place venue site setting
subject re fw fwd title topic theme heading summary abstract keywords key tags
transcript transcription transcriber transcribed interview interviewed recorded recording
file filename source ref reference page pages tel telephone phone mobile fax email e-mail
web website url address company firm organisation organization sector industry size
present attendees participants list project study case code codes category
memo comment comments observation observations action actions todo example examples
warning caution tip important update edit edited version draft status total step phase
part section chapter appendix table figure fig
""".split())

_PARTICLES = frozenset("de da del della der den di du la le van von ter ten bin ibn al el y of and".split())

_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_SPEAKER_LINE = re.compile(
    r"^[ \t]*"
    r"(?:[\[(](?P<t1>" + _TIME + r")[\])][ \t]*)?"          # [00:01:02] before the name
    r"(?P<b>\*\*|__)?"                                          # **Name:** (Markdown)
    r"(?P<name>[^\W\d_][\w.'’\-]{0,39}(?:[ \t]+[\w.'’\-]{1,39}){0,3})"  # 1-4 words
    r"(?:[ \t]+\((?P<role>[^()\d\n][^()\n]{0,39})\))?"             # Name (CEO):
    r"(?:[ \t]*[\[(](?P<t2>" + _TIME + r")[\])])?"             # Name (00:01:02):
    r"(?P=b)?[ \t]*:(?P=b)?(?=[ \t]|$)",
    re.MULTILINE,
)


def speaker_name(label: str) -> str | None:
    """``label`` (what stands before the colon) if it is a sensible
    speaker name (see the module's docstring), else None."""
    label = " ".join(label.split())
    if not label or len(label) > 40:
        return None
    words = label.split(" ")
    if len(words) > 4:
        return None
    if label.lower().rstrip(".") in NOT_SPEAKERS or words[0].lower().rstrip(".") in NOT_SPEAKERS:
        return None
    for i, w in enumerate(words):
        first = w[0]
        # a capital, or a letter of a script without case (Chinese, Arabic ...)
        if first.isupper() or (first.isalpha() and not first.islower()) or (i > 0 and w.isdigit()):
            continue
        if 0 < i < len(words) - 1 and w.lower() in _PARTICLES:
            continue
        # "P1", "R2": a capital then digits is caught by isupper above
        return None
    if not words[-1][-1].isalnum() and words[-1][-1] not in ".'’":
        return None
    return label


def find_turns(text: str) -> list[Turn]:
    """Speaker turns of plain text: a speaker line opens a turn that runs to
    the next speaker line (or the end of the text)."""
    opens: list[tuple[int, str, str | None]] = []
    for m in _SPEAKER_LINE.finditer(text):
        name = speaker_name(m.group("name"))
        if name is not None and m.group("role"):
            name = f"{name} ({' '.join(m.group('role').split())})"
        if name is None:
            continue
        t = m.group("t1") or m.group("t2")
        opens.append((m.start(), name, norm_time(t) if t else None))
    turns = []
    for i, (start, name, t) in enumerate(opens):
        end = opens[i + 1][0] if i + 1 < len(opens) else len(text)
        # the turn ends at its last character, not on the blank lines after it
        stripped = text[start:end].rstrip("\n")
        turns.append(Turn(start, start + len(stripped), name, t))
    return turns


def norm_time(t: str) -> str:
    """``1:02`` / ``00:01:02,5`` -> ``00:01:02.500``."""
    t = t.replace(",", ".")
    main, _, frac = t.partition(".")
    parts = [int(x) for x in main.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0)
    ms = int((frac + "000")[:3]) if frac else 0
    h, m, s = parts
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"



class Speakers:
    """Who is speaking where, read from speaker lines ("Ann: ...", see
    :func:`speaker_name`; "Note: ..." and the like are not speakers). A turn
    runs until the next speaker line, so lines without one continue the turn
    before them. Before the first speaker line nobody is speaking; a
    document without them has no speakers. The same rule reads a document
    when it is added (``io.documents``) and finds a quote's speaker later."""

    __slots__ = ("_names", "_starts")

    def __init__(self, text: str):
        turns = find_turns(text)
        self._starts: list[int] = [turn.start for turn in turns]
        self._names: list[str] = [turn.speaker for turn in turns]

    def at(self, offset: int) -> str | None:
        i = bisect_right(self._starts, offset) - 1
        return self._names[i] if i >= 0 else None

    def names(self) -> list[str]:
        """Each speaker once, in the order they first speak."""
        return list(dict.fromkeys(self._names))


@lru_cache(maxsize=16)
def speakers(text: str) -> Speakers:
    """The :class:`Speakers` of ``text``, kept for the last few texts asked for."""
    return Speakers(text)


def speaker_at(text: str, offset: int) -> str | None:
    """The speaker whose turn holds ``offset`` (see :class:`Speakers`)."""
    return speakers(text).at(offset)
