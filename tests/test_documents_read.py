"""Reading documents into text (workbench.io.documents): every format made
here in the test, the encodings, line ends and normalisation, speaker turns,
and each kind of bad input with its message."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import unicodedata
import zipfile
from pathlib import Path

import docx
import pytest

from workbench.core.errors import InputError
from workbench.io import documents as D
from workbench.io.documents import (
    BinaryFile, DamagedDocument, DocumentTooLarge, EmptyDocument, NoTextLayer,
    PasswordProtected, ReadDocument, UnsupportedFormat, find_turns, read_document,
    speaker_at, turn_at,
)

# --------------------------------------------------------------------------
# helpers that make files


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    p = tmp_path / name
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return p


def turn_texts(doc: ReadDocument) -> list[tuple[str, str]]:
    return [(t.speaker, doc.text[t.start:t.end]) for t in doc.turns]


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_with_body(tmp_path: Path, name: str, body_xml: str, doctype: str = "") -> Path:
    """A .docx made by python-docx whose word/document.xml body is replaced."""
    src = tmp_path / ("base-" + name)
    docx.Document().save(str(src))
    out = tmp_path / name
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{doctype}'
           f'<w:document xmlns:w="{W_NS}" '
           'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
           f"<w:body>{body_xml}</w:body></w:document>")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = xml.encode("utf-8") if item.filename == "word/document.xml" else zin.read(item)
            zout.writestr(item, data)
    return out


def p(text: str) -> str:
    return f"<w:p><w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r></w:p>"


ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"'
)


def make_odt(path: Path, body: str, manifest_extra: str = "") -> Path:
    """A small but complete .odt: mimetype first and stored, a manifest,
    content.xml with ``body`` as office:text."""
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_NS} '
               f'office:version="1.3"><office:body><office:text>{body}</office:text>'
               "</office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?>'
                '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
                'manifest:version="1.3">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.text"/>'
                f'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
                f"{manifest_extra}</manifest:file-entry></manifest:manifest>")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


def make_pdf(path: Path, pages: list[bytes], image: bool = False) -> Path:
    """A minimal PDF written by hand: each page's content stream as given,
    a Helvetica font (WinAnsiEncoding) and, with ``image``, a 2x2 grey
    picture /Im1 that a page can draw."""
    objs: list[bytes] = []

    def add(body: bytes) -> int:
        objs.append(body)
        return len(objs)

    catalog = add(b"")  # filled in below
    pages_id = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    img = add(b"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray "
              b"/BitsPerComponent 8 /Length 4 >>\nstream\n\x00\xff\xff\x00\nendstream") if image else None
    kids = []
    for content in pages:
        c = add(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        xobj = b" /XObject << /Im1 %d 0 R >>" % img if img else b""
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] "
                        b"/Resources << /Font << /F1 %d 0 R >>%s >> /Contents %d 0 R >>"
                        % (pages_id, font, xobj, c)))
    objs[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id
    objs[pages_id - 1] = (b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids)
                          + b"] /Count %d >>" % len(kids))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, catalog, xref)
    path.write_bytes(bytes(out))
    return path


def text_page(*lines: str) -> bytes:
    """A content stream writing each line below the last (WinAnsi bytes)."""
    ops = [b"BT /F1 12 Tf 72 720 Td 14 TL"]
    for line in lines:
        esc = line.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
        ops.append(b"(" + esc + b") Tj T*")
    ops.append(b"ET")
    return b"\n".join(ops)


def make_cfb(path: Path, streams: dict[str, bytes]) -> Path:
    """A minimal OLE compound file (version 3, 512-byte sectors) holding
    ``streams`` (each padded to 4096 bytes, so no mini stream): the container
    Word writes a password-protected .docx in."""
    free, end, fat_sect, nostream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    names = list(streams)
    data = [streams[n].ljust(4096, b"\x00") for n in names]
    fat = [fat_sect, end]  # sector 0: the FAT, sector 1: the directory
    starts = []
    for d in data:
        n = len(d) // 512
        first = len(fat)
        starts.append(first)
        fat.extend(first + i + 1 for i in range(n - 1))
        fat.append(end)
    fat += [free] * (128 - len(fat))
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
              + struct.pack("<I", 0) + struct.pack("<I", free) * 108)
    assert len(header) == 512

    def entry(name: str, kind: int, left: int, right: int, child: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\x00\x00" if name else b""
        return (raw.ljust(64, b"\x00") + struct.pack("<HBB", len(raw), kind, 1)
                + struct.pack("<III", left, right, child) + b"\x00" * 16 + struct.pack("<I", 0)
                + b"\x00" * 16 + struct.pack("<IQ", start, size))

    # sorted as CFB wants (shorter names first): a chain of right siblings
    order = sorted(range(len(names)), key=lambda i: (len(names[i]), names[i].upper()))
    entries = [entry("Root Entry", 5, nostream, nostream, order[0] + 1, end, 0)]
    for i, n in enumerate(names):
        pos = order.index(i)
        right = order[pos + 1] + 1 if pos + 1 < len(order) else nostream
        entries.append(entry(n, 2, nostream, right, nostream, starts[i], len(data[i])))
    while len(entries) % 4:
        entries.append(entry("", 0, nostream, nostream, nostream, 0, 0))
    assert len(entries) == 4
    path.write_bytes(header + struct.pack("<128I", *fat) + b"".join(entries) + b"".join(data))
    return path


# --------------------------------------------------------------------------
# plain text: encodings, line ends, normalisation

SAMPLE = "Interviewer: How did it start?\nOwner: We tried the café’s idea — “naïve”, maybe.\n"


@pytest.mark.parametrize("bom,encoding,name", [
    (b"", "utf-8", "utf-8"),
    (b"\xef\xbb\xbf", "utf-8", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le", "utf-16"),
    (b"\xfe\xff", "utf-16-be", "utf-16"),
])
def test_utf8_and_utf16_read_as_declared(tmp_path, bom, encoding, name):
    doc = read_document(write(tmp_path, "a.txt", bom + SAMPLE.encode(encoding)))
    assert doc.text == SAMPLE
    assert doc.encoding == name
    assert doc.detected is False
    assert doc.warnings == []
    assert doc.name == "a"
    assert doc.kind_hint is None


@pytest.mark.parametrize("encoding,expected,text", [
    ("cp1252", "cp1252",
     "It’s a café — “quoted” and the owner’s idea was naïve, but it worked.\nWe’d tried it before.\n"),
    ("latin-1", "iso8859-1",
     "Ça coûte très cher, à peine né à Zürich, où l'on a déjà vu ça.\n"
     "Le propriétaire a dit: «\xa0on a appris\xa0».\n"),
    ("cp1251", "cp1251", "Владелец сказал, что мы многому научились у клиентов.\n"),
])
def test_other_encodings_are_detected_and_named(tmp_path, encoding, expected, text):
    doc = read_document(write(tmp_path, "legacy.txt", text.encode(encoding)))
    assert doc.text == text
    assert doc.encoding == expected
    assert doc.detected is True
    assert len(doc.warnings) == 1 and expected in doc.warnings[0] and "legacy.txt" in doc.warnings[0]


def test_line_ends_become_newlines_and_nothing_else_changes(tmp_path):
    raw = "Interviewer: one\r\ntwo  \r\rthree\rfour\n\tfive   \r\n"
    doc = read_document(write(tmp_path, "ends.txt", raw))
    assert doc.text == "Interviewer: one\ntwo  \n\nthree\nfour\n\tfive   \n"


def test_nfd_becomes_nfc(tmp_path):
    nfd = unicodedata.normalize("NFD", "Owner: Café crème, Ångström, naïve")
    assert len(nfd) > len("Owner: Café crème, Ångström, naïve")
    doc = read_document(write(tmp_path, "nfd.md", nfd))
    assert doc.text == "Owner: Café crème, Ångström, naïve"
    assert unicodedata.is_normalized("NFC", doc.text)


def test_characters_above_ffff_kept_and_offsets_count_code_points(tmp_path):
    raw = "😀🎉 intro 𝄞\nInterviewer: 👍 good\nOwner: ok 🙂\n"
    doc = read_document(write(tmp_path, "emoji.txt", raw.encode("utf-16")))
    assert doc.text == raw
    owner = doc.turns[1]
    assert owner.speaker == "Owner"
    # a str offset, not a UTF-16 or UTF-8 one: the emoji before count one each
    assert owner.start == raw.index("Owner:") == 31
    assert doc.text[owner.start:owner.end] == "Owner: ok 🙂"
    assert speaker_at(doc, raw.index("👍")) == "Interviewer"
    assert speaker_at(doc, raw.index("🙂")) == "Owner"


def test_markdown_read_as_text_with_bold_speakers(tmp_path):
    raw = "# Interview 3\n\n**Interviewer:** Tell me.\n\n**Owner**: We learned.\n"
    doc = read_document(write(tmp_path, "i3.md", raw))
    assert doc.text == raw
    assert [t.speaker for t in doc.turns] == ["Interviewer", "Owner"]


# --------------------------------------------------------------------------
# speakers in plain text

TRANSCRIPT = """\
Interview with the owner, 3 May 2024
Date: 3 May 2024
Location: the workshop

Interviewer: How did the audit go?
It did not go well, I hear.

Owner: Badly. Note: this matters.
Note: the owner laughed here.
so I told them: never again.
See https://example.org: the report.
Then The Whole Team Was Told: nothing.
JOHN SMITH: I was there.
Q: And then?
A: We changed.
Maria de Souza: From the college.
Speaker 2: Yes.
P1: Agreed.
[00:12:03] Dr. O'Neil: Late.
Jean-Luc (1:02:03.5): Later.
"""


def test_speaker_lines_open_turns_that_run_to_the_next():
    turns = find_turns(TRANSCRIPT)
    assert [t.speaker for t in turns] == [
        "Interviewer", "Owner", "JOHN SMITH", "Q", "A", "Maria de Souza", "Speaker 2", "P1",
        "Dr. O'Neil", "Jean-Luc"]
    by = {t.speaker: TRANSCRIPT[t.start:t.end] for t in turns}
    assert by["Interviewer"] == "Interviewer: How did the audit go?\nIt did not go well, I hear."
    # Note:, lower-case "so I told them:", a URL and a five-word label are not speakers:
    # they stay in the Owner's turn
    assert by["Owner"] == ("Owner: Badly. Note: this matters.\nNote: the owner laughed here.\n"
                           "so I told them: never again.\nSee https://example.org: the report.\n"
                           "Then The Whole Team Was Told: nothing.")
    assert by["Dr. O'Neil"] == "[00:12:03] Dr. O'Neil: Late."
    times = {t.speaker: t.time for t in turns}
    assert times["Dr. O'Neil"] == "00:12:03.000"
    assert times["Jean-Luc"] == "01:02:03.500"
    assert times["Owner"] is None


def test_speakers_in_scripts_without_capitals_and_a_colon_needs_a_space():
    text = "王先生: 我们学到了很多。\nأحمد: نعم\nвладелец: lower-case Cyrillic is not a name\nRe:Subject\nOwner:no space\n"
    assert [t.speaker for t in find_turns(text)] == ["王先生", "أحمد"]


def test_speaker_at_offsets_in_plain_text():
    text = TRANSCRIPT
    assert speaker_at(text, 0) is None                      # the heading
    assert speaker_at(text, text.index("Location")) is None  # Location: is not a speaker
    assert speaker_at(text, text.index("did not go well")) == "Interviewer"
    assert speaker_at(text, text.index("the owner laughed")) == "Owner"
    assert speaker_at(text, text.index("never again")) == "Owner"
    assert speaker_at(text, text.index("From the college")) == "Maria de Souza"
    assert speaker_at(text, len(text) - 2) == "Jean-Luc"
    assert turn_at(text, text.index("Late.")).time == "00:12:03.000"


def test_speaker_at_on_a_document_uses_its_turns(tmp_path):
    doc = read_document(write(tmp_path, "t.txt", "Intro.\nOwner: yes.\n\nInterviewer: why?"))
    assert speaker_at(doc, 2) is None
    assert speaker_at(doc, doc.text.index("yes")) == "Owner"
    assert speaker_at(doc, doc.text.index("why")) == "Interviewer"
    assert speaker_at(doc, len(doc.text)) is None


# --------------------------------------------------------------------------
# .vtt / .srt

VTT = """\
WEBVTT
Kind: captions

NOTE made by the meeting tool
over two lines

STYLE
::cue { color: yellow }

1
00:00:01.000 --> 00:00:04.000 align:start
<v Interviewer>How did it start,
<b>really</b>?</v>

2
00:00:04.500 --> 00:00:09.000
<v.loud Anna Berg>It started &amp; went on.</v>

00:00:09.000 --> 00:00:12.250
<v Anna Berg>Then the college came.

01:02.000 --> 01:05.000
<v Interviewer>Right.</v><v Anna Berg>Yes!

00:01:06.000 --> 00:01:08.000
[laughter]
"""


def test_vtt_one_line_per_turn_with_speakers_and_times(tmp_path):
    doc = read_document(write(tmp_path, "call.vtt", VTT))
    assert doc.text == ("Interviewer: How did it start, really?\n"
                        "Anna Berg: It started & went on. Then the college came.\n"
                        "Interviewer: Right.\n"
                        "Anna Berg: Yes!\n"
                        "[laughter]")
    assert [(t.speaker, t.time) for t in doc.turns] == [
        ("Interviewer", "00:00:01.000"), ("Anna Berg", "00:00:04.500"), ("Anna Berg", "00:00:09.000"),
        ("Interviewer", "00:01:02.000"), ("Anna Berg", "00:01:02.000")]
    t = doc.text
    assert turn_at(doc, t.index("went on")).time == "00:00:04.500"
    assert turn_at(doc, t.index("college")).time == "00:00:09.000"
    assert speaker_at(doc, t.index("college")) == "Anna Berg"
    assert speaker_at(doc, t.index("Right")) == "Interviewer"
    assert speaker_at(doc, t.index("laughter")) is None
    # the turns of one speaker's line cover it without gaps
    a1, a2 = doc.turns[1], doc.turns[2]
    assert a1.end == a2.start and t[a1.start:a2.end] == "Anna Berg: It started & went on. Then the college came."


def test_srt_speakers_from_name_colon(tmp_path):
    srt = ("1\r\n00:00:01,000 --> 00:00:03,000\r\nInterviewer: So, the audit?\r\n\r\n"
           "2\r\n00:00:03,500 --> 00:00:06,000\r\nOwner: It failed.\r\n<i>We had</i> no idea.\r\n\r\n"
           "3\r\n00:00:06,000 --> 00:00:07,000\r\nNo speaker here.\r\n")
    doc = read_document(write(tmp_path, "a.srt", srt))
    assert doc.text == "Interviewer: So, the audit?\nOwner: It failed. We had no idea.\nNo speaker here."
    assert [(t.speaker, t.time, doc.text[t.start:t.end]) for t in doc.turns] == [
        ("Interviewer", "00:00:01.000", "Interviewer: So, the audit?"),
        ("Owner", "00:00:03.500", "Owner: It failed. We had no idea."),
    ]


def test_vtt_without_header_is_refused(tmp_path):
    with pytest.raises(DamagedDocument, match=r"notes\.vtt is not a WebVTT file"):
        read_document(write(tmp_path, "notes.vtt", "Just some notes\n\nmore\n"))


# --------------------------------------------------------------------------
# .docx


def test_docx_paragraphs_and_tables_in_reading_order(tmp_path):
    d = docx.Document()
    d.add_heading("Interview 1", level=1)
    d.add_paragraph("Interviewer: What changed?")
    r = d.add_paragraph("Owner: The ").add_run("café")
    r.add_tab()
    r.add_text("opened")
    r.add_break()
    r.add_text("late.")
    table = d.add_table(rows=2, cols=2)
    for i, row in enumerate(table.rows):
        for j, cell in enumerate(row.cells):
            cell.text = f"r{i}c{j}"
    table.rows[1].cells[1].add_paragraph("second para")
    last = d.add_paragraph("Interviewer: After the table.")
    d.add_comment(last.runs, text="COMMENT TEXT", author="me")
    d.sections[0].header.paragraphs[0].text = "HEADER TEXT"
    d.sections[0].footer.paragraphs[0].text = "FOOTER TEXT"
    path = tmp_path / "Interview 1.docx"
    d.save(str(path))

    doc = read_document(path)
    assert doc.text == ("Interview 1\n"
                        "Interviewer: What changed?\n"
                        "Owner: The café\topened\nlate.\n"
                        "r0c0 | r0c1\n"
                        "r1c0 | r1c1 second para\n"
                        "Interviewer: After the table.")
    assert doc.name == "Interview 1"
    assert "HEADER" not in doc.text and "FOOTER" not in doc.text and "COMMENT" not in doc.text
    assert any("comments" in w for w in doc.warnings)
    assert [t.speaker for t in doc.turns] == ["Interviewer", "Owner", "Interviewer"]
    assert speaker_at(doc, doc.text.index("r1c0")) == "Owner"


def test_docx_text_matches_python_docx_block_by_block(tmp_path):
    import random

    rng = random.Random(5)
    words = ["we", "Firm", "café", "naïve", "“quoted”", "—", "😀", "10:30", "a&b", "<x>"]
    d = docx.Document()
    expected = []
    for i in range(60):
        if i % 9 == 4:
            t = d.add_table(rows=rng.randint(1, 3), cols=rng.randint(1, 4))
            for row in t.rows:
                for cell in row.cells:
                    cell.text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 5)))
        else:
            speaker = rng.choice(["Interviewer: ", "Owner: ", ""])
            d.add_paragraph(speaker + " ".join(rng.choice(words) for _ in range(rng.randint(0, 30))))
    path = tmp_path / "random.docx"
    d.save(str(path))
    for block in docx.Document(str(path)).iter_inner_content():
        if isinstance(block, docx.table.Table):
            for row in block.rows:
                expected.append(" | ".join(" ".join(x.text for x in c.paragraphs if x.text.strip())
                                           for c in row.cells))
        else:
            expected.append(block.text)
    assert read_document(path).text == "\n".join(expected).rstrip("\n")


def test_docx_tracked_changes_nested_tables_and_wrappers(tmp_path):
    body = (
        "<w:p><w:r><w:t>Kept </w:t></w:r>"
        "<w:ins w:id=\"1\" w:author=\"a\"><w:r><w:t>inserted </w:t></w:r></w:ins>"
        "<w:del w:id=\"2\" w:author=\"a\"><w:r><w:delText>DELETED </w:delText></w:r></w:del>"
        "<w:hyperlink><w:r><w:t>link</w:t></w:r></w:hyperlink>"
        "<w:r><mc:AlternateContent><mc:Choice><w:t>TEXTBOX</w:t></mc:Choice>"
        "<mc:Fallback><w:t>TEXTBOX</w:t></mc:Fallback></mc:AlternateContent></w:r>"
        "<w:r><w:instrText>PAGE</w:instrText></w:r></w:p>"
        "<w:sdt><w:sdtContent>" + p("In a content control.") + "</w:sdtContent></w:sdt>"
        "<w:tbl><w:tr><w:tc>" + p("outer") +
        "<w:tbl><w:tr><w:tc>" + p("inner a") + "</w:tc><w:tc>" + p("inner b") + "</w:tc></w:tr></w:tbl>"
        "</w:tc><w:tc>" + p("right") + "</w:tc></w:tr></w:tbl>"
        + p("End.") + "<w:sectPr/>"
    )
    doc = read_document(docx_with_body(tmp_path, "t.docx", body))
    assert doc.text == ("Kept inserted link\n"
                        "In a content control.\n"
                        "outer inner a | inner b | right\n"
                        "End.")


def test_docx_xml_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT")
    doctype = (f'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file://{secret}">'
               '<!ENTITY big "BIGBIGBIGBIG">]>')
    body = p("Before &xxe; after") + p("&big;&big;&big;")
    path = docx_with_body(tmp_path, "xxe.docx", body + p("Owner: plain."), doctype=doctype)
    doc = read_document(path)
    assert "SECRET" not in doc.text
    assert "BIG" not in doc.text
    assert "Owner: plain." in doc.text


def test_password_protected_docx_is_refused(tmp_path):
    path = make_cfb(tmp_path / "locked.docx", {"EncryptionInfo": b"\x04\x00\x04\x00" + b"\x40" * 200,
                                               "EncryptedPackage": os.urandom(3000)})
    with pytest.raises(PasswordProtected) as exc:
        read_document(path)
    msg = str(exc.value)
    assert "locked.docx" in msg and "password-protected" in msg and "remove the password" in msg
    assert exc.value.exit_code == 2


def test_cfb_helper_makes_a_real_compound_file(tmp_path):
    olefile = pytest.importorskip("olefile")
    path = make_cfb(tmp_path / "x.docx", {"EncryptionInfo": b"info", "EncryptedPackage": b"pkg" * 10})
    with olefile.OleFileIO(str(path)) as ole:
        assert sorted("/".join(e) for e in ole.listdir()) == ["EncryptedPackage", "EncryptionInfo"]
        assert ole.openstream("EncryptedPackage").read()[:30] == b"pkg" * 10


def test_old_word_doc_named_docx_is_refused(tmp_path):
    path = make_cfb(tmp_path / "old.docx", {"WordDocument": b"\xec\xa5" + b"\x00" * 500,
                                            "1Table": b"\x00" * 600})
    with pytest.raises(DamagedDocument, match=r"old\.docx is an old-style Word \(\.doc\) file"):
        read_document(path)


def test_not_a_zip_named_docx_is_refused(tmp_path):
    with pytest.raises(DamagedDocument, match=r"x\.docx is not a \.docx file or is damaged"):
        read_document(write(tmp_path, "x.docx", b"hello, I am plain text"))


def test_docx_zip_bomb_refused_before_decompressing(tmp_path, monkeypatch):
    # a real one: word/document.xml unpacks to 210 MB (a few hundred kB packed)
    src = docx_with_body(tmp_path, "base.docx", p("x"))
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename == "word/document.xml":
                with zout.open("word/document.xml", "w", force_zip64=True) as fh:
                    chunk = b" " * (1 << 20)
                    for _ in range(210):
                        fh.write(chunk)
            else:
                zout.writestr(item, zin.read(item))
    assert bomb.stat().st_size < 2_000_000
    read = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open",
                        lambda self, name, *a, **k: (read.append(getattr(name, "filename", name)),
                                                     real_open(self, name, *a, **k))[1])
    with pytest.raises(DocumentTooLarge) as exc:
        read_document(bomb)
    assert "bomb.docx" in str(exc.value) and "word/document.xml" in str(exc.value)
    assert "word/document.xml" not in read  # refused from the zip's directory, unread


def test_docx_part_that_lies_about_its_size_is_refused_as_damaged(tmp_path, monkeypatch):
    path = docx_with_body(tmp_path, "t.docx", p("a") * 5000)
    monkeypatch.setattr(D, "MAX_PART_BYTES", 10_000)
    real = zipfile.ZipFile.getinfo

    def lying(self, name):
        info = real(self, name)
        info.file_size = 100  # claims to be small
        return info

    monkeypatch.setattr(zipfile.ZipFile, "getinfo", lying)
    # reading stops at the size it claimed, and the check of the zip's CRC then fails
    with pytest.raises(DamagedDocument, match=r"t\.docx is damaged"):
        read_document(path)


def test_empty_docx_is_refused(tmp_path):
    path = tmp_path / "blank.docx"
    d = docx.Document()
    d.add_paragraph("   ")
    d.save(str(path))
    with pytest.raises(EmptyDocument, match=r"blank\.docx has no text"):
        read_document(path)


# --------------------------------------------------------------------------
# .odt


def test_odt_paragraphs_headings_lists_tables_and_spacing(tmp_path):
    body = (
        '<text:h text:outline-level="1">Interview <text:span>two</text:span></text:h>'
        "<text:p>Interviewer:<text:s/>What<text:s text:c=\"3\"/>happened?</text:p>"
        "<text:p>Owner: We<text:tab/>moved<text:line-break/>to the <text:span>new</text:span> site"
        '<text:note text:note-class="footnote"><text:note-citation>1</text:note-citation>'
        "<text:note-body><text:p>FOOTNOTE</text:p></text:note-body></text:note>."
        "<office:annotation><dc:creator>me</dc:creator><text:p>ANNOTATION</text:p></office:annotation>"
        "</text:p>"
        "<text:list><text:list-item><text:p>first item</text:p></text:list-item>"
        "<text:list-item><text:p>second item</text:p></text:list-item></text:list>"
        "<table:table><table:table-column/>"
        "<table:table-header-rows><table:table-row><table:table-cell><text:p>Who</text:p></table:table-cell>"
        "<table:table-cell><text:p>What</text:p></table:table-cell></table:table-row></table:table-header-rows>"
        "<table:table-row><table:table-cell table:number-columns-repeated=\"2\"><text:p>same</text:p>"
        "</table:table-cell><table:table-cell table:number-columns-repeated=\"1000\"/></table:table-row>"
        "</table:table>"
        '<text:section text:name="s"><text:p>Interviewer: In a section. 😀</text:p></text:section>'
    )
    doc = read_document(make_odt(tmp_path / "two.odt", body))
    assert doc.text == ("Interview two\n"
                        "Interviewer: What   happened?\n"
                        "Owner: We\tmoved\nto the new site.\n"
                        "first item\n"
                        "second item\n"
                        "Who | What\n"
                        "same | same\n"
                        "Interviewer: In a section. 😀")
    assert [t.speaker for t in doc.turns] == ["Interviewer", "Owner", "Interviewer"]
    assert speaker_at(doc, doc.text.index("second item")) == "Owner"


def test_password_protected_odt_is_refused(tmp_path):
    enc = ('<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="x">'
           '<manifest:algorithm manifest:algorithm-name="Blowfish CFB" manifest:initialisation-vector="x"/>'
           "</manifest:encryption-data>")
    path = make_odt(tmp_path / "locked.odt", "<text:p>x</text:p>", manifest_extra=enc)
    with pytest.raises(PasswordProtected, match=r"locked\.odt is password-protected"):
        read_document(path)


def test_odt_zip_bomb_refused(tmp_path, monkeypatch):
    path = make_odt(tmp_path / "big.odt", "<text:p>" + "word " * 5000 + "</text:p>")
    monkeypatch.setattr(D, "MAX_PART_BYTES", 10_000)
    with pytest.raises(DocumentTooLarge, match=r"big\.odt: its text part content\.xml unpacks to more than"):
        read_document(path)


def test_odt_with_broken_xml_is_refused(tmp_path):
    path = tmp_path / "bad.odt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content><unclosed>")
    with pytest.raises(DamagedDocument, match=r"bad\.odt is damaged: content\.xml is not well-formed XML"):
        read_document(path)


# --------------------------------------------------------------------------
# .rtf

RTF = r"""{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fnil\fcharset0 Calibri;}{\f1\fnil\fcharset204 Arial;}}
{\colortbl ;\red255\green0\blue0;}{\stylesheet{\s0 Normal;}}{\*\generator Riched20 10.0.19041}
{\info{\title SECRET TITLE}{\author Someone}}\viewkind4\uc1
\pard\f0\fs22 Interviewer: The caf\'e9\u8217?s owner said \ldblquote yes\rdblquote .\par
Owner: It\rquote s \b true\b0  \{really\}\line second line\tab tabbed\par
\f1 \'cf\'f0\'e8\'e2\'e5\'f2 \f0 and \u-10179\u-8704? smile\par
{\*\unknowndest IGNORED}{\pict\wmetafile8 0102ABCDEF}{\footnote FOOTNOTE}
\trowd\cellx2000\cellx4000\pard\intbl Who\cell What\cell\row
\pard {\field{\*\fldinst HYPERLINK "http://example.org"}{\fldrslt the link}} ends\par
{\uc2 two\u8220\'93\'93 fallback skipped\par}
}"""


def test_rtf_common_subset(tmp_path):
    doc = read_document(write(tmp_path, "notes.rtf", RTF.encode("latin-1")))
    assert doc.text == ("Interviewer: The café’s owner said “yes”.\n"
                        "Owner: It’s true {really}\nsecond line\ttabbed\n"
                        "Привет and 😀 smile\n"
                        "Who | What\n"
                        "the link ends\n"
                        "two“ fallback skipped")
    assert doc.encoding == "cp1252"
    for hidden in ("SECRET", "Someone", "Calibri", "Normal", "IGNORED", "FOOTNOTE", "ABCDEF",
                   "HYPERLINK", "Riched"):
        assert hidden not in doc.text
    assert [t.speaker for t in doc.turns] == ["Interviewer", "Owner"]


def test_rtf_other_code_page(tmp_path):
    rtf = r"{\rtf1\ansi\ansicpg1251{\fonttbl{\f0 Times;}}\f0 \'c2\'eb\'e0\'e4\'e5\'eb\'e5\'f6: \'e4\'e0.\par}"
    doc = read_document(write(tmp_path, "ru.rtf", rtf.encode("ascii")))
    assert doc.text == "Владелец: да."
    assert doc.encoding == "cp1251"
    assert [t.speaker for t in doc.turns] == ["Владелец"]


def test_not_rtf_named_rtf_is_refused(tmp_path):
    with pytest.raises(DamagedDocument, match=r"plain\.rtf is not an RTF file"):
        read_document(write(tmp_path, "plain.rtf", "just text"))


# --------------------------------------------------------------------------
# .pdf


def test_pdf_text_layer(tmp_path):
    path = make_pdf(tmp_path / "minutes.pdf", [
        text_page("Interviewer: How did it start?", "Owner: The café opened (in 1998)."),
        text_page("Interviewer: And then?"),
    ])
    doc = read_document(path)
    assert doc.text == ("Interviewer: How did it start?\nOwner: The café opened (in 1998).\n"
                        "Interviewer: And then?")
    assert [t.speaker for t in doc.turns] == ["Interviewer", "Owner", "Interviewer"]
    assert doc.warnings == []


def test_pdf_without_text_layer_says_run_ocr(tmp_path):
    path = make_pdf(tmp_path / "scan.pdf", [b"q 400 0 0 500 100 100 cm /Im1 Do Q"] * 2, image=True)
    with pytest.raises(NoTextLayer) as exc:
        read_document(path)
    assert "scan.pdf has no text layer: run OCR first" in str(exc.value)


def test_pdf_with_some_pages_scanned_warns(tmp_path):
    path = make_pdf(tmp_path / "mixed.pdf", [text_page("Owner: typed."),
                                             b"q 400 0 0 500 100 100 cm /Im1 Do Q"], image=True)
    doc = read_document(path)
    assert doc.text == "Owner: typed."
    assert doc.warnings and "1 of 2 pages have no text layer" in doc.warnings[0]


def test_password_protected_pdf_is_refused_and_owner_password_only_is_read(tmp_path):
    from pypdf import PdfReader, PdfWriter

    plain = make_pdf(tmp_path / "plain.pdf", [text_page("Owner: confidential figures.")])
    for name, user in (("locked.pdf", "open-sesame"), ("restricted.pdf", "")):
        w = PdfWriter(clone_from=PdfReader(plain))
        w.encrypt(user_password=user, owner_password="owner-secret", algorithm="RC4-128")
        with open(tmp_path / name, "wb") as fh:
            w.write(fh)
    with pytest.raises(PasswordProtected) as exc:
        read_document(tmp_path / "locked.pdf")
    assert "locked.pdf is password-protected: remove the password" in str(exc.value)
    # a PDF with only an owner password (no password to open it) reads as usual
    assert read_document(tmp_path / "restricted.pdf").text == "Owner: confidential figures."


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256"])
def test_aes_encrypted_pdf(tmp_path, algorithm):
    from pypdf import PdfReader, PdfWriter

    plain = make_pdf(tmp_path / "plain.pdf", [text_page("Owner: the AES one.")])
    for name, user in (("locked.pdf", "pw"), ("restricted.pdf", "")):
        w = PdfWriter(clone_from=PdfReader(plain))
        w.encrypt(user_password=user, owner_password="owner-secret", algorithm=algorithm)
        with open(tmp_path / name, "wb") as fh:
            w.write(fh)
    with pytest.raises(PasswordProtected, match=r"locked\.pdf is password-protected"):
        read_document(tmp_path / "locked.pdf")
    assert read_document(tmp_path / "restricted.pdf").text == "Owner: the AES one."


def test_not_a_pdf_named_pdf_is_refused(tmp_path):
    with pytest.raises(DamagedDocument, match=r"junk\.pdf is not a PDF or is damaged"):
        read_document(write(tmp_path, "junk.pdf", b"%PDF-1.4\nnothing useful here\n" * 3))


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed")
def test_pdf_written_by_libreoffice(tmp_path):
    d = docx.Document()
    d.add_paragraph("Interviewer: How did the café start?")
    d.add_paragraph("Owner: With a loan — and “luck”.")
    src = tmp_path / "lo.docx"
    d.save(str(src))
    out = tmp_path / "out"
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
                    "--convert-to", "pdf", "--outdir", str(out), str(src)],
                   check=True, capture_output=True, timeout=180)
    doc = read_document(out / "lo.pdf")
    lines = [line.strip() for line in doc.text.split("\n") if line.strip()]
    assert lines == ["Interviewer: How did the café start?", "Owner: With a loan — and “luck”."]
    assert [t.speaker for t in doc.turns] == ["Interviewer", "Owner"]


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed")
def test_odt_and_rtf_written_by_libreoffice_read_as_the_docx(tmp_path):
    d = docx.Document()
    d.add_heading("Interview 4", 1)
    d.add_paragraph("Interviewer: How did the café start? 😀")
    r = d.add_paragraph("Owner: With a loan — and “luck”.").add_run(" more")
    r.add_tab()
    r.add_text("after tab")
    t = d.add_table(rows=2, cols=2)
    for i, row in enumerate(t.rows):
        for j, c in enumerate(row.cells):
            c.text = f"r{i}c{j} é"
    d.add_paragraph("Interviewer: Привет, Ελληνικά, 中文.")
    src = tmp_path / "src.docx"
    d.save(str(src))
    want = read_document(src).text
    assert want == ("Interview 4\nInterviewer: How did the café start? 😀\n"
                    "Owner: With a loan — and “luck”. more\tafter tab\nr0c0 é | r0c1 é\nr1c0 é | r1c1 é\n"
                    "Interviewer: Привет, Ελληνικά, 中文.")
    for fmt in ("odt", "rtf"):
        subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo-profile",
                        "--convert-to", fmt, "--outdir", str(tmp_path / "out"), str(src)],
                       check=True, capture_output=True, timeout=180)
        doc = read_document(tmp_path / "out" / f"src.{fmt}")
        assert doc.text == want, fmt
        assert [t.speaker for t in doc.turns] == ["Interviewer", "Owner", "Interviewer"]


# --------------------------------------------------------------------------
# bad input: messages, and nothing read that should not be


def test_unknown_extension_lists_the_supported_ones(tmp_path):
    for name in ("memo.doc", "sheet.xlsx", "README"):
        with pytest.raises(UnsupportedFormat) as exc:
            read_document(write(tmp_path, name, "text"))
        msg = str(exc.value)
        assert name in msg
        for ext in (".txt", ".md", ".docx", ".odt", ".pdf", ".rtf", ".vtt", ".srt"):
            assert ext in msg


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
    b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 4,
    b"\x7fELF\x02\x01\x01" + b"\x01\x02\x03\x04\x05\x06\x0e\x0f" * 100,
])
def test_binary_file_named_txt_is_refused(tmp_path, data):
    with pytest.raises(BinaryFile) as exc:
        read_document(write(tmp_path, "photo.txt", data))
    assert "photo.txt looks like a binary file, not text" in str(exc.value)


def test_dos_text_ending_in_ctrl_z_is_text(tmp_path):
    doc = read_document(write(tmp_path, "dos.txt", b"Owner: saved in 1994.\r\n\x1a"))
    assert doc.text == "Owner: saved in 1994.\n\x1a"
    assert doc.turns[0].speaker == "Owner"


def test_utf16_without_bom_is_read_not_refused(tmp_path):
    doc = read_document(write(tmp_path, "w.txt", "Owner: plain words here.\n".encode("utf-16-le")))
    assert doc.text == "Owner: plain words here.\n"
    assert doc.encoding == "utf-16-le" and doc.detected is True


@pytest.mark.parametrize("name", ["huge.txt", "huge.docx", "huge.pdf", "huge.srt"])
def test_file_over_the_limit_is_refused_without_being_read(tmp_path, monkeypatch, name):
    path = tmp_path / name
    with open(path, "wb") as fh:  # sparse: 200 MB on paper, nothing on disk
        fh.truncate(200 * 1024 * 1024)

    def no_reading(*a, **k):
        raise AssertionError("the file was opened")

    monkeypatch.setattr(D, "open", no_reading, raising=False)
    monkeypatch.setattr(zipfile, "ZipFile", no_reading)
    with pytest.raises(DocumentTooLarge) as exc:
        read_document(path)
    assert f"{name} is 200 MB; the largest document the workbench takes is 50 MB" in str(exc.value)


@pytest.mark.parametrize("name,data", [("empty.txt", b""), ("blank.txt", b" \n\n\t\r\n"),
                                       ("bom.txt", b"\xef\xbb\xbf"), ("blank.rtf", b"{\\rtf1\\ansi \\par}")])
def test_empty_document_is_refused(tmp_path, name, data):
    with pytest.raises(EmptyDocument) as exc:
        read_document(write(tmp_path, name, data))
    assert name in str(exc.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"gone\.txt: no such file"):
        read_document(tmp_path / "gone.txt")


def test_every_refusal_is_an_input_error():
    for cls in (UnsupportedFormat, BinaryFile, PasswordProtected, NoTextLayer, DocumentTooLarge,
                EmptyDocument, DamagedDocument):
        assert issubclass(cls, InputError)
        assert cls("x").exit_code == 2


# --------------------------------------------------------------------------
# any input: a document or a clear refusal, never a traceback

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_RTF_TOKENS = ["{", "}", "\\par ", "\\u", "-", "1", "9", "?", "\\'", "e9", "ff", "\\uc", "\\*",
               "\\fonttbl", "\\f", "\\fcharset", "204", "\\bin", "\\ansicpg", "65001", "abc", " ",
               "\n", "\\", "\\cell", "\\row", "Name: ", "\xe9", "\\u-10179", "\\u55357", "\\line"]


def _read_or_refuse(path: Path) -> None:
    try:
        doc = read_document(path)
    except D.DocumentError as exc:
        assert path.name in str(exc)
        return
    assert doc.text.strip()
    assert "\r" not in doc.text and unicodedata.is_normalized("NFC", doc.text)
    for t in doc.turns:
        assert 0 <= t.start < t.end <= len(doc.text)
        assert speaker_at(doc, t.start) == t.speaker


_SETTINGS = settings(max_examples=100, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@_SETTINGS
@given(tokens=st.lists(st.sampled_from(_RTF_TOKENS), max_size=60))
def test_any_rtf_reads_or_is_refused(tmp_path, tokens):
    path = tmp_path / "any.rtf"
    path.write_bytes(("{\\rtf1 " + "".join(tokens)).encode("latin-1"))
    _read_or_refuse(path)


@_SETTINGS
@given(data=st.binary(min_size=1, max_size=300), ext=st.sampled_from([".txt", ".md", ".srt", ".vtt", ".pdf"]),
       vtt_head=st.booleans())
def test_any_bytes_read_or_are_refused(tmp_path, data, ext, vtt_head):
    path = tmp_path / ("any" + ext)
    path.write_bytes((b"WEBVTT\n\n00:01.000 --> 00:02.000\n" if vtt_head else b"") + data)
    _read_or_refuse(path)


@pytest.fixture(scope="module")
def good_packages(tmp_path_factory):
    d = tmp_path_factory.mktemp("good")
    return {
        ".docx": docx_with_body(d, "g.docx", p("Owner: hi, café") * 20 + "<w:tbl><w:tr><w:tc>"
                                + p("cell") + "</w:tc></w:tr></w:tbl>").read_bytes(),
        ".odt": make_odt(d / "g.odt", "<text:p>Owner: x<text:s text:c='3'/>y</text:p>" * 20).read_bytes(),
        ".pdf": make_pdf(d / "g.pdf", [text_page("Owner: hi, café")]).read_bytes(),
    }


@_SETTINGS
@given(ext=st.sampled_from([".docx", ".odt", ".pdf"]),
       flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=6))
def test_damaged_packages_read_or_are_refused(tmp_path, good_packages, ext, flips):
    data = bytearray(good_packages[ext])
    for where, byte in flips:
        data[int(where * len(data))] = byte
    path = tmp_path / ("damaged" + ext)
    path.write_bytes(bytes(data))
    _read_or_refuse(path)
