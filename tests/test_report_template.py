"""Templates that must be refused before anything is written: XML entities
(an external entity in a header, billion laughs), parts too large by their
zip header or by what they decompress to. Each gives a clear message, exit 2
and no output file."""

import struct
import subprocess
import sys
import zipfile

import docx
import pytest
from conftest import JM, ROOT, TRAINING

from workbench.cli import main
from workbench.render.report import TEMPLATE_PART_LIMIT


def plain_template(path, header="ACME"):
    t = docx.Document()
    t.sections[0].header.paragraphs[0].text = header
    t.save(path)
    return path


def rewrite(src, dst, replace: dict, extra: dict | None = None, dotx=False):
    """Copy a .docx part by part, replacing some parts' bytes."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = replace.get(item.filename, zin.read(item.filename))
            if dotx and item.filename == "[Content_Types].xml":
                data = data.replace(b"document.main+xml", b"template.main+xml")
            zout.writestr(item, data)
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return dst


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def header_part(path):
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.startswith("word/header"))
        return name, z.read(name)


def test_external_entity_in_a_header_is_refused(tmp_path, capsys):
    base = plain_template(tmp_path / "base.docx", header="HEADER TEXT")
    name, xml = header_part(base)
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    decl = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<!DOCTYPE w:hdr [<!ENTITY xxe SYSTEM "file://{secret}">]>').encode()
    body = xml.split(b"?>", 1)[1].replace(b"HEADER TEXT", b"&xxe;")
    template = rewrite(base, tmp_path / "xxe.docx", {name: decl + body})
    out = tmp_path / "r.docx"
    code, _, err = run_cli(capsys, "report", JM, "-o", out, "--template", template, "--no-diagrams")
    assert code == 2
    assert f"{template}" in err and name in err and "declares XML entities" in err
    assert "Nothing was written" in err
    assert not out.exists() and not list(tmp_path.glob(".r.docx*"))


def test_billion_laughs_in_a_dotx_is_refused(tmp_path, capsys):
    base = plain_template(tmp_path / "base.docx")
    lol = ['<!ENTITY lol "lol">'] + [f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                                     for i in range(1, 10)]
    with zipfile.ZipFile(base) as z:
        styles = z.read("word/styles.xml")
    head, rest = styles.split(b"?>", 1)
    bomb = head + b"?>" + f'<!DOCTYPE w:styles [{"".join(lol)}]>'.encode() + rest.replace(
        b"</w:styles>", b"<!-- &lol9; --></w:styles>")
    template = rewrite(base, tmp_path / "laughs.dotx", {"word/styles.xml": bomb}, dotx=True)
    out = tmp_path / "r.docx"
    code, _, err = run_cli(capsys, "tables", TRAINING, "-o", out, "--template", template)
    assert code == 2
    assert "word/styles.xml" in err and "declares XML entities" in err
    assert not out.exists()


def test_entity_declared_in_utf16_is_seen(tmp_path, capsys):
    base = plain_template(tmp_path / "base.docx", header="HEADER TEXT")
    name, xml = header_part(base)
    text = xml.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    text = text.replace("?>", '?><!DOCTYPE w:hdr [<!ENTITY x "boom">]>', 1)
    template = rewrite(base, tmp_path / "u16.docx", {name: text.encode("utf-16")})
    out = tmp_path / "r.docx"
    code, _, err = run_cli(capsys, "report", TRAINING, "-o", out, "--template", template, "--no-diagrams")
    assert code == 2 and "declares XML entities" in err and not out.exists()


def _huge_dotx(path, size=1536 * 1024 * 1024):
    """A .dotx holding a part of ``size`` bytes of zeros, written a megabyte at
    a time (never held in memory); about 1.5 MB on disk."""
    base = plain_template(path.with_suffix(".base.docx"))
    rewrite(base, path, {}, dotx=True)
    zero = bytes(1 << 20)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("word/media/image1.png", (2020, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as fh:
            for _ in range(size >> 20):
                fh.write(zero)
    return path


def test_huge_part_is_refused_by_its_size_without_decompressing(tmp_path):
    template = tmp_path / "huge.dotx"
    try:
        _huge_dotx(template)
        assert template.stat().st_size < 3 * 1024 * 1024  # about 1.6 MB
        out = tmp_path / "r.docx"
        # in a process of its own, to measure what refusing it costs (VmHWM: this process's own
        # peak; ru_maxrss would count the memory of the test process it was forked from)
        code = ("import resource, sys\nfrom workbench.cli import main\n"
                f"rc = main(['report', {str(TRAINING)!r}, '-o', {str(out)!r}, '--template', {str(template)!r},"
                " '--no-diagrams'])\n"
                "hwm = [ln.split()[1] for ln in open('/proc/self/status') if ln.startswith('VmHWM:')]\n"
                "print('peak-kb', hwm[0] if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
                "sys.exit(rc)\n")
        proc = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, cwd=ROOT,
                              timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert "word/media/image1.png" in proc.stderr and "1,536 MB uncompressed" in proc.stderr
        assert "Traceback" not in proc.stderr
        peak_mb = int(proc.stdout.split("peak-kb")[1].split()[0]) / 1024
        assert peak_mb < 400, peak_mb
        assert not out.exists()
    finally:
        template.unlink()


def test_part_that_lies_about_its_size_is_refused(tmp_path, capsys):
    """The zip directory says 1,000 bytes; the part decompresses to 80 MB."""
    base = plain_template(tmp_path / "base.docx")
    template = tmp_path / "liar.docx"
    rewrite(base, template, {}, extra={"word/media/image1.png": bytes(80 * 1024 * 1024)})
    data = bytearray(template.read_bytes())
    name = b"word/media/image1.png"
    # central directory entry: uncompressed size at offset 24; local header: offset 22
    cd = data.rfind(b"PK\x01\x02", 0, data.rfind(name))
    lh = data.find(b"PK\x03\x04" + b"", 0)
    while lh != -1 and data[lh + 30:lh + 30 + len(name)] != name:
        lh = data.find(b"PK\x03\x04", lh + 4)
    struct.pack_into("<I", data, cd + 24, 1000)
    struct.pack_into("<I", data, lh + 22, 1000)
    template.write_bytes(bytes(data))
    with zipfile.ZipFile(template) as z:
        assert z.getinfo("word/media/image1.png").file_size == 1000
    out = tmp_path / "r.docx"
    code, _, err = run_cli(capsys, "report", TRAINING, "-o", out, "--template", template, "--no-diagrams")
    assert code == 2
    assert str(template) in err and ("not a Word document" in err or "decompresses to more than" in err)
    assert not out.exists()


def test_ordinary_templates_still_work(tmp_path):
    from workbench import services

    template = plain_template(tmp_path / "fine.docx", header="Fine")
    services.report(TRAINING, tmp_path / "r.docx", template=template, diagrams=False)
    assert docx.Document(tmp_path / "r.docx").sections[0].header.paragraphs[0].text == "Fine"
    assert TEMPLATE_PART_LIMIT >= 16 * 1024 * 1024  # room for a logo or a font


@pytest.mark.parametrize("text", [b"not a zip", b"PK\x03\x04broken"])
def test_not_a_template(tmp_path, capsys, text):
    template = tmp_path / "t.docx"
    template.write_bytes(text)
    out = tmp_path / "r.docx"
    code, _, err = run_cli(capsys, "report", TRAINING, "-o", out, "--template", template, "--no-diagrams")
    assert code == 2 and str(template) in err and not out.exists()


def test_entity_in_a_part_of_any_name_is_refused(tmp_path, capsys):
    base = plain_template(tmp_path / "base.docx")
    template = rewrite(base, tmp_path / "vml.docx", {}, extra={
        "word/vmlDrawing1.vml": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a SYSTEM "http://example.org/">]><x>&a;</x>'})
    out = tmp_path / "r.docx"
    code, _, err = run_cli(capsys, "report", TRAINING, "-o", out, "--template", template, "--no-diagrams")
    assert code == 2 and "word/vmlDrawing1.vml declares XML entities" in err and not out.exists()


def test_malformed_xml_part_is_refused(tmp_path, capsys):
    base = plain_template(tmp_path / "base.docx")
    template = rewrite(base, tmp_path / "bad.docx", {"word/styles.xml": b"<w:styles><unclosed></w:styles>"})
    out = tmp_path / "r.docx"
    code, _, err = run_cli(capsys, "report", TRAINING, "-o", out, "--template", template, "--no-diagrams")
    assert code == 2 and "word/styles.xml is not well-formed XML" in err and not out.exists()
