"""The window on a small laptop screen (1366 x 768), and starting it on a
Linux system that lacks libraries Qt needs."""

import ctypes
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from workbench import cli
from workbench.gui import app

# --------------------------------------------------------------------------- Linux start-up


@pytest.fixture
def x11(monkeypatch):
    """A Linux X11 session as far as the start-up check can tell."""
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    for name in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(app, "_ldd_missing", lambda: [])
    monkeypatch.setattr(app, "open_window", lambda *a, **k: pytest.fail("Qt started despite missing libraries"))


def lacking(monkeypatch, *names, because=None):
    """Make the probe find ``names`` missing (``because``: a library each
    of them needs is what is missing)."""
    def probe(soname):
        if soname in names:
            return because or soname
        return None
    monkeypatch.setattr(app, "_try_load", probe)


def test_missing_xcb_libraries_are_named_with_their_packages(x11, monkeypatch, capsys):
    lacking(monkeypatch, "libxcb-icccm.so.4", "libxcb-keysyms.so.1")
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert "libxcb-icccm.so.4" in err and "libxcb-keysyms.so.1" in err
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1" in err
    assert "sudo dnf install xcb-util-wm xcb-util-keysyms" in err
    assert "xcb-cursor" not in err  # what Qt itself would have blamed
    assert "no display" not in err
    assert "Traceback" not in err


def test_missing_libraries_from_workbench_open_too(x11, monkeypatch, capsys, tmp_path):
    lacking(monkeypatch, "libxcb-cursor.so.0")
    assert cli.main(["open", str(tmp_path / "x.lpw")]) == 2
    err = capsys.readouterr().err
    assert "libxcb-cursor.so.0" in err and "apt-get install libxcb-cursor0" in err


def test_a_library_missing_beneath_another_is_named_once(x11, monkeypatch):
    lacking(monkeypatch, "libxcb-image.so.0", "libxcb-util.so.1", because="libxcb-util.so.1")
    assert app.missing_libraries() == ["libxcb-util.so.1"]


def test_a_library_only_ldd_knows_gets_a_way_to_find_its_package(x11, monkeypatch, capsys):
    lacking(monkeypatch)
    monkeypatch.setattr(app, "_ldd_missing", lambda: ["libxcb-newthing.so.2"])
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert "libxcb-newthing.so.2" in err and "apt-file search libxcb-newthing.so.2" in err
    assert "apt-get install" not in err


def test_no_missing_library_no_message(x11, monkeypatch):
    lacking(monkeypatch)
    assert app.check_system() is None


def test_no_display_and_missing_libraries_says_both(x11, monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY")
    lacking(monkeypatch, "libxcb-icccm.so.4")
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert "libxcb-icccm4" in err and "DISPLAY is not set" in err


@pytest.mark.parametrize("env", [{"QT_QPA_PLATFORM": "offscreen"}, {"QT_QPA_PLATFORM": "wayland"},
                                 {"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}])
def test_no_xcb_no_library_check(x11, monkeypatch, env):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(app, "_try_load", lambda soname: pytest.fail("checked xcb libraries without xcb"))
    assert app.check_system() is None


def test_forcing_xcb_checks(x11, monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    lacking(monkeypatch, "libxkbcommon-x11.so.0")
    code, message = app.check_system()
    assert code == 2 and "libxkbcommon-x11-0" in message


def test_the_probe_loads_real_libraries():
    assert app._try_load("libc.so.6") is None
    assert app._try_load("libno-such-thing.so.7") == "libno-such-thing.so.7"


def _really_missing():
    out = []
    for soname in app.XCB_LIBRARIES:
        try:
            ctypes.CDLL(soname)
        except OSError:
            out.append(soname)
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux start-up")
def test_on_this_machine(tmp_path):
    """For real: ``workbench`` on this system, as a user would start it."""
    missing = _really_missing()
    if not missing:
        pytest.skip("every library Qt needs is installed here")
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE")}
    env.update(DISPLAY=":99", PYTHONPATH=str(ROOT), WORKBENCH_SETTINGS=str(tmp_path / "s.ini"))
    done = subprocess.run([sys.executable, "-m", "workbench"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    for soname in missing:
        assert soname in done.stderr
        assert app.XCB_LIBRARIES[soname][0] in done.stderr
    assert "platform plugin" not in done.stderr  # Qt's own message never appears


# --------------------------------------------------------------------------- a file of another kind

import gzip  # noqa: E402
import json  # noqa: E402
import zipfile  # noqa: E402

from workbench.io.sniff import kind_of, sniff  # noqa: E402


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _write(path, data, encoding="utf-8"):
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def _docx(path):
    import docx

    d = docx.Document()
    d.add_paragraph("Interview with the owner-manager")
    d.save(str(path))
    return path


def _image(path, fmt):
    from PySide6.QtGui import QImage

    img = QImage(8, 8, QImage.Format.Format_RGB32)
    img.fill(0x336699)
    assert img.save(str(path), fmt)
    return path


KINDS = {
    "interview.docx": (_docx, "a Word document"),
    "codes.xlsx": (lambda p: _zip(p, {"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"}),
                   "an Excel workbook"),
    "talk.pptx": (lambda p: _zip(p, {"[Content_Types].xml": "<Types/>", "ppt/presentation.xml": "<p/>"}),
                  "a PowerPoint presentation"),
    "notes.odt": (lambda p: _zip(p, {"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>"}),
                  "an OpenDocument text"),
    "bundle.zip": (lambda p: _zip(p, {"a.study.json": "{}"}), "a zip archive"),
    "paper.pdf": (lambda p: _write(p, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"), "a PDF document"),
    "figure.png": (lambda p: _image(p, "PNG"), "a PNG image"),
    "photo.jpg": (lambda p: _image(p, "JPG"), "a JPEG image"),
    "old.doc": (lambda p: _write(p, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)),
                "a Word 97-2003 document"),
    "memo.rtf": (lambda p: _write(p, "{\\rtf1\\ansi Hello}"), "a Rich Text (RTF) document"),
    "transcript.txt": (lambda p: _write(p, "Interviewer: when did the audit fail?\n", encoding="utf-8"),
                       "a text file (not JSON)"),
    "page.html": (lambda p: _write(p, "<!DOCTYPE html><html><body>x</body></html>"), "a web page (HTML)"),
    "study.json.gz": (lambda p: _write(p, gzip.compress(b"{}")), "a gzip-compressed file"),
}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_a_file_of_another_kind_is_named(tmp_path, name):
    make, kind = KINDS[name]
    path = make(tmp_path / name)
    assert (sniff(path) or "").startswith(kind)


@pytest.mark.parametrize("name", ["interview.docx", "paper.pdf", "figure.png", "transcript.txt"])
def test_the_command_line_names_the_kind(tmp_path, capsys, name):
    make, kind = KINDS[name]
    path = make(tmp_path / name)
    before = path.read_bytes()
    assert cli.main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: is {kind}" in err and "not a workbench study file" in err and "JSON" not in err.replace("(not JSON)", "")
    assert path.read_bytes() == before


def test_studies_are_not_taken_for_other_kinds(tmp_path, study_doc, write_json):
    from conftest import JM
    from workbench.session import Session

    assert sniff(JM) is None
    assert sniff(write_json(study_doc)) is None
    bom = tmp_path / "bom.study.json"
    bom.write_bytes(b"\xef\xbb\xbf" + json.dumps(study_doc).encode())
    assert sniff(bom) is None
    lpw = tmp_path / "s.lpw"
    Session(str(lpw), create={"title": "T", "framework": "5I"}).close()
    assert sniff(lpw) is None
    empty = tmp_path / "empty.lpw"
    empty.write_bytes(b"")
    assert sniff(empty) is None
    broken = tmp_path / "broken.study.json"
    broken.write_text('{"format": "lpw-study", ', encoding="utf-8")
    assert sniff(broken) is None  # the JSON reader says where it breaks
    assert kind_of(bytes(range(256))) is None  # binary of a kind not known: no guess


def test_a_study_with_a_truncated_utf8_character_at_4kb_is_not_a_text_file():
    head = ("{" + "é" * 3000).encode()[:4096]
    assert kind_of(head) is None
