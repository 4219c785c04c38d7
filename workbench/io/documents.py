"""Reading documents (interview transcripts, notes, reports) into plain text.

``read_document(path)`` takes a .txt/.md, .docx, .odt, .pdf (with a text
layer), .rtf, .vtt or .srt file and gives back a :class:`ReadDocument`: the
text, normalised to NFC with ``\\n`` line ends and otherwise as written, the
encoding used, and the speaker turns found in it. No Qt, no database: the
CLI (``workbench documents add``) and the window store what this returns.

Decisions, so that a quote taken from the text reads well and nothing
surprises the user:

* Offsets (``Turn.start``/``Turn.end``, ``speaker_at``) count Unicode code
  points in ``text``, as Python's ``str`` indexes do; an emoji is one.
* .docx: the body's paragraphs and tables in reading order; a table row is
  one line with its cells joined by ``" | "`` (several paragraphs in a cell
  are joined by a space); tracked insertions are in, tracked deletions out;
  headers, footers, footnotes, comments and text boxes are left out.
* .odt: paragraphs, headings, list items and table rows (as for .docx) of
  the body, with ``text:s`` spaces, ``text:tab`` and ``text:line-break``;
  notes and annotations are left out.
* .rtf: our own small reader of the common subset (groups, control words,
  ``\\'hh`` in the ``\\ansicpg`` code page, ``\\uN`` with ``\\ucN``,
  ``\\par``/``\\line``/``\\tab``, table cells as for .docx, destinations
  such as ``\\fonttbl``, ``\\info`` and ``{\\*...}`` skipped); a font's
  ``\\fcharset`` code page is used for its ``\\'hh`` bytes.
* .txt/.md/.vtt/.srt: a BOM (UTF-8, UTF-16, UTF-32) decides; else valid
  UTF-8; else charset-normalizer guesses (``detected`` True, a warning
  names the guess), Windows-1252 winning a near tie among Latin code pages.
  NUL bytes or many control characters mean binary (UTF-16 without a BOM,
  every other byte zero, is read as such).
* .pdf: the text layer as pypdf extracts it, pages joined by a line break.
* .vtt/.srt: one line per turn, ``Name: text`` (a run of cues by the same
  speaker makes one line; a cue without a speaker is a line of its own);
  ``turns`` has one Turn per cue with the cue's start time, so a quote's
  time is the time of the cue it starts in.
* Limits: a file over MAX_FILE_BYTES (50 MB) is refused from os.stat,
  unread; a .docx/.odt part that says it unpacks to more than
  MAX_PART_BYTES (200 MB) is refused before it is decompressed, and reading
  stops there if it lied.
* XML (.docx, .odt) is parsed by lxml with entities not resolved, no DTD
  loaded and no network: an entity in the file stays unexpanded and nothing
  is fetched.

A speaker line in plain text (also .docx/.odt/.rtf/.pdf text) starts with
a name and a colon followed by a space or the line's end:
``Interviewer: ...``, ``Owner: ...``, ``Q: ...``, ``Maria de Souza: ...``, ``SPEAKER 2: ...``, ``**Anna:** ...`` (Markdown
bold), optionally with a time before or after the name
(``[00:01:02] Anna: ...``, ``Anna (00:01:02): ...``). The name is 1-4 words
of at most 40 characters: each word starts with a capital letter (or a
letter of a script without capitals, such as Chinese or Arabic) or is a
number (``Speaker 2``, ``P1``), with lower-case particles such as ``de``,
``van`` or ``von`` allowed between words. Labels that head notes rather
than speech (``Note:``, ``Date:``, ``Location:``, ``Subject:`` ... see
``NOT_SPEAKERS``) are not speakers. A turn runs from its speaker line to
the next speaker line (or the end); text before the first one has no
speaker.
"""

from __future__ import annotations

import bisect
import codecs
import functools
import html
import os
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import InputError
from ..core.textpos import NOT_SPEAKERS, Turn, find_turns, norm_time, speaker_name  # noqa: F401 (re-exported)

# --------------------------------------------------------------------------
# limits and supported kinds

#: The largest file read at all; checked with os.stat before reading.
MAX_FILE_BYTES = 50 * 1024 * 1024
#: The most a .docx/.odt part (word/document.xml, content.xml) may unpack to;
#: checked before decompressing (and enforced while reading).
MAX_PART_BYTES = 200 * 1024 * 1024

SUPPORTED = (".txt", ".md", ".docx", ".odt", ".pdf", ".rtf", ".vtt", ".srt")
_SUPPORTED_WORDS = ".txt, .md, .docx, .odt, .pdf, .rtf, .vtt and .srt"


# --------------------------------------------------------------------------
# errors


class DocumentError(InputError):
    """A document cannot be brought in; the message names the file and what
    to do. Nothing was added."""


class UnsupportedFormat(DocumentError):
    pass


class BinaryFile(DocumentError):
    pass


class PasswordProtected(DocumentError):
    pass


class NoTextLayer(DocumentError):
    pass


class DocumentTooLarge(DocumentError):
    pass


class EmptyDocument(DocumentError):
    pass


class DamagedDocument(DocumentError):
    pass


# --------------------------------------------------------------------------
# results


@dataclass
class ReadDocument:
    text: str
    name: str
    kind_hint: str | None = None
    encoding: str | None = None
    detected: bool = False
    turns: list[Turn] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------
# the door


def read_document(path: str | os.PathLike) -> ReadDocument:
    """Read ``path`` into a :class:`ReadDocument`, or raise a
    :class:`DocumentError` saying what is wrong and what to do."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext not in SUPPORTED:
        what = f"'{p.suffix}' files" if p.suffix else "files without an extension"
        raise UnsupportedFormat(
            f"{p}: the workbench does not read {what}; it reads {_SUPPORTED_WORDS}. "
            "Save the document in one of these formats and add it again.")
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise DocumentError(f"{p}: no such file") from None
    except OSError as exc:
        raise DocumentError(f"{p}: cannot read it: {exc.strerror or exc}") from None
    if not p.is_file():
        raise DocumentError(f"{p}: is not a file")
    if st.st_size > MAX_FILE_BYTES:
        raise DocumentTooLarge(
            f"{p} is {_mb(st.st_size)}; the largest document the workbench takes is "
            f"{_mb(MAX_FILE_BYTES)}: split it into smaller files and add each.")
    if st.st_size == 0:
        raise EmptyDocument(f"{p} is empty: there is no text to add.")

    doc = ReadDocument(text="", name=p.stem)
    if ext in (".txt", ".md"):
        doc.text, doc.encoding, doc.detected = _decode_text(p, _read_bytes(p))
        if doc.detected:
            doc.warnings.append(_guessed_warning(p, doc.encoding))
        doc.text = normalise(doc.text)
    elif ext in (".vtt", ".srt"):
        raw, doc.encoding, doc.detected = _decode_text(p, _read_bytes(p))
        if doc.detected:
            doc.warnings.append(_guessed_warning(p, doc.encoding))
        doc.text, doc.turns = _read_cues(p, normalise(raw), ext)
    elif ext == ".docx":
        doc.text = normalise(_read_docx(p, doc.warnings))
    elif ext == ".odt":
        doc.text = normalise(_read_odt(p))
    elif ext == ".rtf":
        doc.text, doc.encoding = _read_rtf(p, _read_bytes(p))
        doc.text = normalise(doc.text)
    elif ext == ".pdf":
        doc.text = normalise(_read_pdf(p, doc.warnings))

    if not doc.text.strip():
        raise EmptyDocument(f"{p} has no text: there is nothing to add.")
    if ext not in (".vtt", ".srt"):
        doc.turns = find_turns(doc.text)
    return doc


def normalise(text: str) -> str:
    """NFC, ``\\n`` line ends, a leading byte order mark dropped; nothing else."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{n} bytes"


def _read_bytes(p: Path) -> bytes:
    try:
        with open(p, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise DocumentError(f"{p}: cannot read it: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:  # grew since the stat
        raise DocumentTooLarge(
            f"{p} is larger than {_mb(MAX_FILE_BYTES)}, the largest document the workbench "
            "takes: split it into smaller files and add each.")
    return data


# --------------------------------------------------------------------------
# speakers


def speaker_at(text_or_doc: str | ReadDocument, offset: int) -> str | None:
    """The speaker of the turn that holds ``offset`` (a code point offset),
    or None. For a ReadDocument its ``turns`` are used (for .vtt/.srt the
    cues' speakers); for a str the speaker lines of plain text."""
    turn = turn_at(text_or_doc, offset)
    return turn.speaker if turn else None


def turn_at(text_or_doc: str | ReadDocument, offset: int) -> Turn | None:
    """The turn holding ``offset``, or None (see :func:`speaker_at`)."""
    if isinstance(text_or_doc, ReadDocument):
        turns, starts = text_or_doc.turns, [t.start for t in text_or_doc.turns]
    else:
        turns, starts = _turns_of(text_or_doc)
    i = bisect.bisect_right(starts, offset) - 1
    if i >= 0 and turns[i].start <= offset < max(turns[i].end, turns[i].start + 1):
        return turns[i]
    return None


@functools.lru_cache(maxsize=8)
def _turns_of(text: str) -> tuple[list[Turn], list[int]]:
    """find_turns for speaker_at on a str, kept for the last few texts (a
    window asks about one text many times; a str keeps its hash)."""
    turns = find_turns(text)
    return turns, [t.start for t in turns]


# --------------------------------------------------------------------------
# plain text: encodings


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# C0 controls other than tab, line feed, form feed, carriage return, ESC
# and SUB (a DOS end-of-file mark that old text files end with)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x19\x1c-\x1f\x7f]")


def _decode_text(p: Path, data: bytes) -> tuple[str, str, bool]:
    """(text, encoding, detected): by BOM, else UTF-8, else guessed by
    charset-normalizer. A file that is not text raises BinaryFile."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                break  # a BOM followed by junk: look at it as bytes
            if _looks_binary(text):
                raise _binary(p)
            return text.lstrip("\ufeff"), enc, False
    if b"\x00" in data:
        guess = _utf16_without_bom(data)
        if guess:
            return data.decode(guess), guess, True
        raise _binary(p)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if _looks_binary(text):
            raise _binary(p)
        return text, "utf-8", False
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise _binary(p)
    enc = codecs.lookup(best.encoding).name
    # On short Western text charset-normalizer ranks the Latin code pages
    # (cp1250, cp1252, cp1257 ...) almost at random (tied at no mess at all);
    # Windows-1252 is by far the commonest of them for the text we are given,
    # so it wins a near tie. Without any byte in 0x80-0x9F the file reads the
    # same as ISO-8859-1 (Latin-1), and is named so.
    western = next((m for m in matches
                    if codecs.lookup(m.encoding).name in ("cp1252", "iso8859-1", "iso8859-15")), None)
    if western is not None and western.chaos <= best.chaos + 0.1:
        latin = "cp1252" if re.search(rb"[\x80-\x9f]", data) else "iso8859-1"
        try:
            data.decode(latin)
        except UnicodeDecodeError:  # a byte cp1252 lacks: keep the first guess
            pass
        else:
            enc = latin
    try:
        text = data.decode(enc)
    except (UnicodeDecodeError, LookupError):
        raise _binary(p) from None
    if _looks_binary(text):
        raise _binary(p)
    return text, enc, True


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    if not sample:
        return False
    n = len(_CONTROL.findall(sample))
    return n > 0 and (n > 8 or n / len(sample) > 0.001)


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' for UTF-16 text without a BOM (mostly Latin
    text: every other byte zero), else None."""
    if len(data) % 2 or len(data) < 4:
        return None
    for enc, zeros in (("utf-16-le", data[1::2]), ("utf-16-be", data[0::2])):
        if zeros.count(0) >= 0.7 * len(zeros):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                continue
            if not _looks_binary(text):
                return enc
    return None


def _binary(p: Path) -> BinaryFile:
    return BinaryFile(
        f"{p} looks like a binary file, not text: check that it is the file you meant, "
        "or open it in the program that made it and save it as plain text (.txt).")


def _guessed_warning(p: Path, enc: str) -> str:
    return (f"{p.name}: not UTF-8; read as {enc} (a guess): check accented letters "
            "and quotation marks in the text")


# --------------------------------------------------------------------------
# zip packages (.docx, .odt)


# what zipfile raises on a damaged archive or part
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError,
               RuntimeError, ValueError, UnicodeDecodeError)


def _open_zip(p: Path, what: str) -> zipfile.ZipFile:
    try:
        with open(p, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise DocumentError(f"{p}: cannot read it: {exc.strerror or exc}") from None
    if head == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        data = _read_bytes(p)
        if "EncryptedPackage".encode("utf-16-le") in data or b"EncryptionInfo" in data \
                or "EncryptionInfo".encode("utf-16-le") in data:
            raise PasswordProtected(
                f"{p} is password-protected: remove the password (in Word: File > Info > "
                "Protect Document > Encrypt with Password, and clear it), save, and add it again.")
        old = "an old-style Word (.doc) file" if what == ".docx" else "an old-style Office file"
        raise DamagedDocument(
            f"{p} is {old}, not a {what}: open it in Word or "
            f"LibreOffice, save it as {what}, and add it again.")
    try:
        return zipfile.ZipFile(p)
    except _ZIP_ERRORS:
        raise DamagedDocument(
            f"{p} is not a {what} file or is damaged: open it in the program that made it, "
            "save it again, and add it again.") from None


def _read_part(p: Path, z: zipfile.ZipFile, name: str) -> bytes:
    """A part of a zip package, refusing before decompressing one that says
    it unpacks to more than MAX_PART_BYTES (and stopping if it lies)."""
    try:
        info = z.getinfo(name)
    except KeyError:
        raise KeyError(name) from None
    bomb = DocumentTooLarge(
        f"{p}: its text part {name} unpacks to more than {_mb(MAX_PART_BYTES)}; the file is "
        "damaged or built to fill memory, and was not added.")
    if info.file_size > MAX_PART_BYTES:
        raise bomb
    try:
        with z.open(info) as fh:
            data = fh.read(MAX_PART_BYTES + 1)
    except _ZIP_ERRORS as exc:
        raise DamagedDocument(f"{p} is damaged ({exc}): open it and save it again, then add it again.") from None
    if len(data) > MAX_PART_BYTES:
        raise bomb
    return data


def _xml_parser():
    from lxml import etree

    # no entity expansion, no DTD, no network; huge_tree stays off (libxml2's
    # own limits on depth and text size hold)
    return etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True,
                           dtd_validation=False, remove_comments=True, remove_pis=True)


def _parse_xml(p: Path, data: bytes, part: str):
    from lxml import etree

    try:
        return etree.fromstring(data, _xml_parser())
    except etree.XMLSyntaxError as exc:
        raise DamagedDocument(
            f"{p} is damaged: {part} is not well-formed XML ({exc}); open it and save it again, "
            "then add it again.") from None


# --------------------------------------------------------------------------
# .docx

_W_MAIN = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W_STRICT = "http://purl.oclc.org/ooxml/wordprocessingml/main"
CELL_SEP = " | "


def _read_docx(p: Path, warnings: list[str]) -> str:
    with _open_zip(p, ".docx") as z:
        names = set(z.namelist())
        part = "word/document.xml"
        if part not in names:
            part = _docx_main_part(p, z, names)
        data = _read_part(p, z, part)
        if "word/comments.xml" in names:
            warnings.append(f"{p.name}: comments in the document were left out")
    root = _parse_xml(p, data, part)
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else _W_MAIN
    if ns not in (_W_MAIN, _W_STRICT):
        raise DamagedDocument(f"{p} is not a Word document (.docx): its main part is not WordprocessingML.")
    body = root.find(f"{{{ns}}}body")
    if body is None:
        return ""
    out: list[str] = []
    _DocxWalker(ns).block(body, out)
    return "\n".join(out).rstrip("\n")


def _docx_main_part(p: Path, z: zipfile.ZipFile, names: set[str]) -> str:
    try:
        rels = _parse_xml(p, _read_part(p, z, "_rels/.rels"), "_rels/.rels")
    except KeyError:
        rels = None
    if rels is not None:
        for rel in rels:
            if str(rel.get("Type", "")).endswith("/officeDocument"):
                target = rel.get("Target", "").lstrip("/")
                if target in names:
                    return target
    raise DamagedDocument(
        f"{p} is not a Word document (.docx): it has no main document part; "
        "open it in Word or LibreOffice, save it as .docx, and add it again.")


class _DocxWalker:
    """Text of a WordprocessingML body, in reading order."""

    def __init__(self, ns: str):
        w = "{" + ns + "}"
        self.P, self.TBL, self.TR, self.TC = w + "p", w + "tbl", w + "tr", w + "tc"
        # containers whose children are block content (paragraphs, tables)
        self.BLOCK_WRAP = {w + "sdt", w + "sdtContent", w + "customXml", w + "ins", w + "moveTo"}
        # containers inside a paragraph whose children are runs
        self.RUN_WRAP = {w + "hyperlink", w + "ins", w + "moveTo", w + "smartTag", w + "sdt",
                         w + "sdtContent", w + "customXml", w + "fldSimple", w + "dir", w + "bdo"}
        self.R = w + "r"
        self.T = w + "t"
        self.run_text = {w + "tab": "\t", w + "br": "\n", w + "cr": "\n",
                         w + "noBreakHyphen": "\u2011", w + "ptab": "\t"}

    def block(self, elem, out: list[str]) -> None:
        P, TBL = self.P, self.TBL
        for child in elem:
            tag = child.tag
            if tag == P:
                out.append(self.para(child))
            elif tag == TBL:
                self.table(child, out)
            elif tag in self.BLOCK_WRAP:
                self.block(child, out)

    def para(self, p) -> str:
        parts: list[str] = []
        self._runs(p, parts)
        return "".join(parts)

    def _runs(self, elem, parts: list[str]) -> None:
        R, T, run_text, wrap = self.R, self.T, self.run_text, self.RUN_WRAP
        for child in elem:
            tag = child.tag
            if tag == R:
                for c in child:
                    ct = c.tag
                    if ct == T:
                        if c.text:
                            parts.append(c.text)
                    elif ct in run_text:
                        parts.append(run_text[ct])
            elif tag in wrap:
                self._runs(child, parts)

    def table(self, tbl, out: list[str]) -> None:
        for tr in tbl.iter(self.TR):
            if _nearest(tr, self.TBL) is not tbl:
                continue  # a row of a nested table: it is in its cell's text
            cells = []
            for tc in tr.iter(self.TC):
                if _nearest(tc, self.TR) is not tr:
                    continue
                inner: list[str] = []
                self.block(tc, inner)
                cells.append(" ".join(s.replace("\n", " ") for s in inner if s.strip()))
            out.append(CELL_SEP.join(cells))


def _nearest(elem, tag):
    parent = elem.getparent()
    while parent is not None and parent.tag != tag:
        parent = parent.getparent()
    return parent


# --------------------------------------------------------------------------
# .odt

_ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_ODF_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


def _read_odt(p: Path) -> str:
    with _open_zip(p, ".odt") as z:
        names = set(z.namelist())
        if "META-INF/manifest.xml" in names:
            manifest = _read_part(p, z, "META-INF/manifest.xml")
            if b"encryption-data" in manifest:
                raise PasswordProtected(
                    f"{p} is password-protected: open it, remove the password (File > Properties "
                    "> Security, or save without 'Save with password'), and add it again.")
        if "content.xml" not in names:
            raise DamagedDocument(
                f"{p} is not an OpenDocument text (.odt) or is damaged: it has no content.xml; "
                "open it and save it as .odt again, then add it again.")
        data = _read_part(p, z, "content.xml")
    root = _parse_xml(p, data, "content.xml")
    body = root.find(f"{{{_ODF_OFFICE}}}body")
    if body is None:
        return ""
    out: list[str] = []
    _odt_block(body, out)
    return "\n".join(out).rstrip("\n")


_T = "{" + _ODF_TEXT + "}"
_TB = "{" + _ODF_TABLE + "}"
_ODT_PARA = {_T + "p", _T + "h"}
_ODT_BLOCK_WRAP = {"{" + _ODF_OFFICE + "}text", _T + "list", _T + "list-item", _T + "list-header",
                   _T + "section", _T + "numbered-paragraph", _T + "index-body"}
_ODT_ROW_GROUPS = {_TB + "table-header-rows", _TB + "table-rows", _TB + "table-row-group"}
_ODT_SKIP_INLINE = {_T + "note", _T + "ruby-text", "{" + _ODF_OFFICE + "}annotation",
                    _T + "bookmark-ref"}
_ODT_INLINE_SKIP_PREFIX = ("{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}",)
_MAX_REPEAT = 100


def _odt_block(elem, out: list[str]) -> None:
    for child in elem:
        tag = child.tag
        if tag in _ODT_PARA:
            parts: list[str] = []
            _odt_inline(child, parts)
            out.append("".join(parts))
        elif tag == _TB + "table":
            _odt_table(child, out)
        elif tag in _ODT_BLOCK_WRAP:
            _odt_block(child, out)


def _odt_inline(elem, parts: list[str]) -> None:
    if elem.text:
        parts.append(elem.text)
    for child in elem:
        tag = child.tag
        if not isinstance(tag, str):
            pass
        elif tag == _T + "s":
            parts.append(" " * min(_int(child.get(_T + "c")), 1000))
        elif tag == _T + "tab":
            parts.append("\t")
        elif tag == _T + "line-break":
            parts.append("\n")
        elif tag in _ODT_SKIP_INLINE or tag.startswith(_ODT_INLINE_SKIP_PREFIX):
            pass
        else:  # span, a, meta, bookmarks, soft-page-break, fields: their text
            _odt_inline(child, parts)
        if child.tail:
            parts.append(child.tail)


def _int(value: str | None) -> int:
    """A count attribute (text:c, number-columns-repeated): 1 when absent or bad."""
    try:
        return max(int(value), 1) if value else 1
    except ValueError:
        return 1


def _odt_table(tbl, out: list[str]) -> None:
    def rows(elem):
        for child in elem:
            if child.tag == _TB + "table-row":
                yield child
            elif child.tag in _ODT_ROW_GROUPS:
                yield from rows(child)

    for tr in rows(tbl):
        cells: list[str] = []
        for tc in tr:
            if tc.tag not in (_TB + "table-cell", _TB + "covered-table-cell"):
                continue
            inner: list[str] = []
            _odt_block(tc, inner)
            text = " ".join(s.replace("\n", " ") for s in inner if s.strip())
            rep = min(_int(tc.get(_TB + "number-columns-repeated")), _MAX_REPEAT)
            cells.extend([text] * rep)
        while cells and not cells[-1]:
            cells.pop()  # a spreadsheet-like row's trailing empty columns
        out.append(CELL_SEP.join(cells))


# --------------------------------------------------------------------------
# .rtf

_RTF_TOKEN = re.compile(
    r"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?"    # control word
    r"|\\'([0-9a-fA-F]{2})"                  # \'hh
    r"|\\([^a-zA-Z])"                        # control symbol
    r"|([{}])"
    r"|[\r\n]+"
    r"|([^\\{}\r\n]+)"                        # plain text
)
# groups whose text is not part of the document
_RTF_DESTINATIONS = frozenset("""
fonttbl colortbl stylesheet info listtable listoverridetable revtbl rsidtbl generator
pict object objdata shp shpinst shppict nonshppict themedata colorschememapping datastore
latentstyles header headerl headerr headerf footer footerl footerr footerf footnote
annotation atnid atnauthor atnref atndate atrfstart atrfend fldinst xmlnstbl filetbl
pgdsctbl mmathPr author operator title subject keywords comment doccomm creatim revtim
printim buptim company category manager hlinkbase template ftnsep ftnsepc ftncn aftnsep
aftnsepc aftncn bkmkstart bkmkend protusertbl wgrffmtfilter pnseclvl pntext pntxta pntxtb
listtext userprops docvar passwordhash password
""".split())
_RTF_CHARS = {
    "par": "\n", "line": "\n", "tab": "\t", "sect": "\n", "page": "\n",
    "emdash": "\u2014", "endash": "\u2013", "emspace": "\u2003", "enspace": "\u2002",
    "qmspace": "\u2005", "bullet": "\u2022", "lquote": "\u2018", "rquote": "\u2019",
    "ldblquote": "\u201c", "rdblquote": "\u201d", "zwj": "\u200d", "zwnj": "\u200c",
}
_RTF_SYMBOLS = {"~": "\xa0", "_": "\u2011", "-": "", "{": "{", "}": "}", "\\": "\\",
                "\n": "\n", "\r": "\n", "|": "", ":": ""}
_RTF_CELL = "\x00cell\x00"  # placeholder; rows are joined with CELL_SEP


# \fcharsetN of a font -> its code page (0, 1 and 2: the document's \ansicpg)
_RTF_CHARSETS = {77: "mac_roman", 128: "cp932", 129: "cp949", 130: "johab", 134: "gbk",
                 136: "big5", 161: "cp1253", 162: "cp1254", 163: "cp1258", 177: "cp1255",
                 178: "cp1256", 186: "cp1257", 204: "cp1251", 222: "cp874", 238: "cp1250",
                 254: "cp437", 255: "cp850"}


def _rtf_codepage(n: int) -> str:
    name = {65001: "utf-8", 10000: "mac_roman", 437: "cp437", 850: "cp850"}.get(n, f"cp{n}")
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "cp1252"


def _read_rtf(p: Path, data: bytes) -> tuple[str, str]:
    """(text, code page) of an RTF file."""
    if not data.lstrip().startswith(b"{\\rtf"):
        raise DamagedDocument(
            f"{p} is not an RTF file (it does not start with {{\\rtf): check that it is the "
            "file you meant, or save it again as Rich Text Format.")
    s = data.decode("latin-1")  # byte-transparent; bytes are decoded by code page below
    codepage = "cp1252"
    out: list[str] = []
    pending = bytearray()   # \'hh bytes and 8-bit text waiting for the code page
    units: list[int] = []   # \uN code units waiting (for surrogate pairs)

    fonts: dict[str, str] = {}  # font number -> code page, from \fonttbl
    font: str | None = None     # the current font (\fN)
    table_font: str | None = None
    fonttbl_depth = 0           # inside {\fonttbl ...} while len(stack) >= this

    def flush() -> None:
        if pending:
            out.append(pending.decode(fonts.get(font, codepage) if font else codepage,
                                      errors="replace"))
            pending.clear()
        if units:
            out.append(b"".join(u.to_bytes(2, "little") for u in units)
                       .decode("utf-16-le", errors="replace"))
            units.clear()

    stack: list[tuple[bool, int, str | None]] = []
    ignorable = False
    uc = 1          # \ucN: fallback characters after \uN
    skip = 0        # fallback characters still to skip
    first_in_group = False
    pos, n = 0, len(s)
    match = _RTF_TOKEN.match
    while pos < n:
        m = match(s, pos)
        if m is None:  # a lone backslash at the very end
            break
        pos = m.end()
        word, arg, hexb, sym, brace, text = m.groups()
        if brace:
            skip = 0
            if brace == "{":
                stack.append((ignorable, uc, font))
                first_in_group = True
            elif stack:
                flush()
                ignorable, uc, font = stack.pop()
                if len(stack) < fonttbl_depth:
                    fonttbl_depth = 0
            continue
        was_first, first_in_group = first_in_group, False
        if word is not None:
            if skip and word not in ("bin",):
                skip = 0  # a control word ends the fallback text
            if word == "bin" and arg:
                pos += max(int(arg), 0)
                continue
            if word in _RTF_DESTINATIONS and was_first:
                ignorable = True
                if word == "fonttbl":
                    fonttbl_depth = len(stack)
            elif fonttbl_depth:
                if word == "f" and arg is not None:
                    table_font = arg
                elif word in ("fcharset", "cpg") and arg is not None and table_font is not None:
                    cp = (_RTF_CHARSETS.get(int(arg)) if word == "fcharset"
                          else _rtf_codepage(int(arg)))
                    if cp:
                        fonts[table_font] = codecs.lookup(cp).name
            elif ignorable:
                pass
            elif word == "f" and arg is not None:
                if pending:
                    flush()
                font = arg
            elif word == "ansicpg" and arg:
                flush()
                codepage = _rtf_codepage(int(arg))
            elif word == "mac":
                codepage = "mac_roman"
            elif word == "pc":
                codepage = "cp437"
            elif word == "pca":
                codepage = "cp850"
            elif word == "uc" and arg is not None:
                uc = max(int(arg), 0)
            elif word == "u" and arg is not None:
                if pending:
                    flush()
                v = int(arg)
                v = v + 65536 if v < 0 else v
                units.append(v if 0 <= v <= 0xFFFF else 0xFFFD)
                skip = uc
            elif word in _RTF_CHARS:
                flush()
                out.append(_RTF_CHARS[word])
            elif word == "cell" or word == "nestcell":
                flush()
                out.append(_RTF_CELL)
            elif word == "row" or word == "nestrow":
                flush()
                out.append("\n")
            continue
        if sym is not None:
            if sym == "*" and was_first:
                ignorable = True
            elif skip:
                skip -= 1
            elif not ignorable and sym in _RTF_SYMBOLS:
                flush()
                out.append(_RTF_SYMBOLS[sym])
            continue
        if hexb is not None:
            if skip:
                skip -= 1
            elif not ignorable:
                if units:
                    flush()
                pending.append(int(hexb, 16))
            continue
        if text is not None:
            if skip:
                k = min(skip, len(text))
                skip -= k
                text = text[k:]
            if text and not ignorable:
                if units:
                    flush()
                pending.extend(text.encode("latin-1"))
        # runs of CR/LF in the source are not text
    flush()
    raw = "".join(out)
    # a row: "a<cell>b<cell>\n" -> "a | b\n"
    lines = []
    for line in raw.split("\n"):
        if _RTF_CELL in line:
            cells = line.split(_RTF_CELL)
            if cells and not cells[-1].strip():
                cells.pop()
            line = CELL_SEP.join(c.strip() for c in cells)
        lines.append(line)
    return "\n".join(lines).strip("\n"), codepage


# --------------------------------------------------------------------------
# .pdf


def _read_pdf(p: Path, warnings: list[str]) -> str:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    protected = PasswordProtected(
        f"{p} is password-protected: remove the password (open it and save or print it "
        "to a new PDF without one), and add it again.")
    # pypdf logs what it works around in a damaged file (to stderr, with no
    # handler set): not for the user's eyes; what matters is raised below
    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.CRITICAL + 1)
    try:
        reader = PdfReader(p)
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise protected
            except (FileNotDecryptedError, DependencyError, NotImplementedError):
                raise protected from None
        pages = []
        empty = 0
        for page in reader.pages:
            t = page.extract_text() or ""
            if not t.strip():
                empty += 1
            pages.append(t.rstrip("\n"))
    except DocumentError:
        raise
    except FileNotDecryptedError:
        raise protected from None
    except Exception as exc:  # noqa: BLE001 - pypdf fails on a damaged file in many ways
        raise DamagedDocument(
            f"{p} is not a PDF or is damaged ({type(exc).__name__}: {exc}): open it and save "
            "it again, then add it again.") from None
    finally:
        log.setLevel(level)
    if not pages:
        raise EmptyDocument(f"{p} has no pages: there is nothing to add.")
    if empty == len(pages):
        raise NoTextLayer(
            f"{p} has no text layer: run OCR first (its pages are pictures of text; "
            "ocrmypdf, or 'Recognise text' in a PDF program, adds one), then add the result.")
    if empty:
        warnings.append(f"{p.name}: {empty} of {len(pages)} pages have no text layer and were left out "
                        "(run OCR on them to bring their text in)")
    return "\n".join(t for t in pages if t.strip())


# --------------------------------------------------------------------------
# .vtt / .srt

_CUE_TIME = re.compile(
    r"^\s*(?P<a>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*(?P<b>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})")
_VOICE = re.compile(r"<v(?:\.[^ \t>]*)?[ \t]+([^>]*)>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


def _read_cues(p: Path, text: str, ext: str) -> tuple[str, list[Turn]]:
    """The text of a subtitle file, one line per turn, and a Turn per cue."""
    blocks = re.split(r"\n[ \t]*\n", text.strip("\n"))
    segments: list[tuple[str | None, str, str]] = []  # (speaker, text, time)
    first = True
    for block in blocks:
        lines = block.split("\n")
        if first and ext == ".vtt":
            first = False
            if not lines[0].startswith("WEBVTT"):
                raise DamagedDocument(
                    f"{p} is not a WebVTT file (it does not start with WEBVTT): check that it is "
                    "the file you meant, or save it again as .vtt.")
            continue  # the header block
        first = False
        k = next((i for i, line in enumerate(lines[:3]) if _CUE_TIME.match(line)), None)
        if k is None:
            continue  # NOTE, STYLE, REGION blocks, stray numbers
        t = norm_time(_CUE_TIME.match(lines[k]).group("a"))
        payload = "\n".join(lines[k + 1:])
        for speaker, said in _cue_voices(payload):
            if said:
                segments.append((speaker, said, t))
    if not segments:
        raise EmptyDocument(f"{p} has no cues with text: there is nothing to add.")

    out: list[str] = []
    turns: list[Turn] = []
    pos = 0
    prev: str | None = None
    for speaker, said, t in segments:
        if speaker is not None and speaker == prev:
            out.append(" ")                    # same speaker: the same line
            pos += 1
            start = pos
            out.append(said)
            # the previous cue of this line runs up to this one
            last = turns[-1]
            turns[-1] = Turn(last.start, start, last.speaker, last.time)
        else:
            if out:
                out.append("\n")
                pos += 1
            start = pos
            out.append(f"{speaker}: {said}" if speaker else said)
        pos = start + len(out[-1])
        if speaker:
            turns.append(Turn(start, pos, speaker, t))
        prev = speaker
    return "".join(out), turns


def _cue_voices(payload: str) -> list[tuple[str | None, str]]:
    """(speaker, text) pieces of a cue's payload: WebVTT ``<v Name>`` spans,
    else a ``Name:`` at the start of the text."""
    payload = payload.replace("\n", " ")
    if _VOICE.search(payload):
        pieces = []
        marks = list(_VOICE.finditer(payload))
        head = _clean_cue(payload[:marks[0].start()])
        if head:
            pieces.append((None, head))
        for i, m in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(payload)
            name = " ".join(html.unescape(m.group(1)).split()) or None
            pieces.append((name, _clean_cue(payload[m.end():end])))
        return pieces
    said = _clean_cue(payload)
    m = re.match(r"^-?\s*([^:]{1,40}):\s+(.*)$", said)
    if m and speaker_name(m.group(1)):
        return [(speaker_name(m.group(1)), m.group(2).strip())]
    return [(None, said)]


def _clean_cue(s: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", s)).split())
