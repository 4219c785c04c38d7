"""What kind of file a path holds, judged by its first bytes (and, for a
zip, the names inside), so that a Word document, a PDF or a picture given
as a study is named as such rather than reported as bad JSON or a bad
database."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from ..core.errors import InputError

HEAD = 4096

# Zip-based formats, by a member only they have.
_ZIP_MEMBERS = (
    ("word/document.xml", "a Word document"),
    ("xl/workbook.xml", "an Excel workbook"),
    ("ppt/presentation.xml", "a PowerPoint presentation"),
)
_ODF = {
    "application/vnd.oasis.opendocument.text": "an OpenDocument text (LibreOffice Writer)",
    "application/vnd.oasis.opendocument.spreadsheet": "an OpenDocument spreadsheet (LibreOffice Calc)",
    "application/vnd.oasis.opendocument.presentation": "an OpenDocument presentation (LibreOffice Impress)",
    "application/epub+zip": "an EPUB e-book",
}
# Magic numbers at the start of a file.
_MAGIC = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"{\\rtf", "a Rich Text (RTF) document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "a program (an ELF executable)"),
    (b"%!PS", "a PostScript document"),
)
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Office 97-2003 (.doc, .xls, .ppt), Outlook .msg
_OLE_BY_SUFFIX = {".doc": "a Word 97-2003 document", ".xls": "an Excel 97-2003 workbook",
                  ".ppt": "a PowerPoint 97-2003 presentation", ".msg": "an Outlook message"}


def kind_of(head: bytes, zip_names: list[str] | None = None, mimetype: str = "", suffix: str = "") -> str | None:
    """A phrase naming the kind of a file that begins with ``head`` ("a Word
    document"), or None when it may be a study (SQLite, JSON, empty) or is
    of a kind not known here. For a zip, ``zip_names`` are its members and
    ``mimetype`` the text of its "mimetype" member, if any."""
    if not head or head.startswith(b"SQLite format 3\x00"):
        return None
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        names = set(zip_names or ())
        if mimetype.strip() in _ODF:
            return _ODF[mimetype.strip()]
        for member, kind in _ZIP_MEMBERS:
            if member in names:
                return kind
        return "a zip archive"
    if head.startswith(_OLE):
        return _OLE_BY_SUFFIX.get(suffix.lower(), "an older Microsoft Office document (.doc, .xls or .ppt)")
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    if b"\x00" in head:
        return None  # binary, of a kind not known here
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a character cut at the end of the head
            return None
        text = head[:exc.start].decode("utf-8-sig", errors="ignore")
    start = text.lstrip()[:15].lower()
    if not start or start[0] in "{[":
        return None  # JSON, or nothing: the JSON reader says what is wrong with it
    if start.startswith(("<!doctype html", "<html")):
        return "a web page (HTML)"
    if start.startswith("<"):
        return "an XML or HTML file"
    return "a text file (not JSON)"


def sniff(path: str | os.PathLike, head: bytes | None = None) -> str | None:
    """The kind of the file at ``path`` (see ``kind_of``); ``head``, when
    given, is the file's content already read (or its start)."""
    path = Path(path)
    try:
        if head is None:
            with open(path, "rb") as fh:
                head = fh.read(HEAD)
    except OSError:
        return None  # the caller reports a file it cannot read
    names: list[str] | None = None
    mimetype = ""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
                if "mimetype" in names:
                    mimetype = zf.read("mimetype")[:100].decode("ascii", "replace")
        except (zipfile.BadZipFile, OSError, ValueError, RuntimeError):
            names = None
    return kind_of(head[:HEAD], names, mimetype, path.suffix)


def refuse_other_kind(path: str | os.PathLike, head: bytes | None = None) -> None:
    """InputError naming the kind of file at ``path`` when it is plainly not
    a study ("… is a Word document, not a study"); nothing otherwise."""
    kind = sniff(path, head)
    if kind:
        raise InputError(f"{path}: is {kind}, not a workbench study file. Open a .lpw study, or a *.study.json "
                         f"file to import it; the file was left untouched.")

