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
