"""Starting the desktop application."""

from __future__ import annotations

import gc
import os
import sys

# The system libraries Qt's xcb platform (X11) and its GUI module load, by soname,
# with the packages that hold them: (Debian/Ubuntu, Fedora). Read from the NEEDED
# entries of PySide6's libqxcb.so, libQt6XcbQpa.so.6 and libQt6Gui.so.6.
XCB_LIBRARIES = {
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
}


def _try_load(soname: str) -> str | None:
    """None if the library loads; else the soname that could not be found
    (the library itself, or one it needs)."""
    import ctypes

    try:
        ctypes.CDLL(soname, mode=getattr(os, "RTLD_LAZY", 1))
    except OSError as exc:
        text = str(exc)
        if "cannot open shared object file" not in text:
            return None  # there, but not loadable for another reason: Qt's own message will say
        first = text.split(":", 1)[0].strip()
        return first if first.startswith("lib") and ".so" in first else soname
    return None


def _ldd_missing() -> list[str]:
    """Libraries that ``ldd`` reports "not found" for Qt's xcb plugin, when
    ``ldd`` and the plugin are there (catches what a newer Qt adds)."""
    import shutil
    import subprocess

    ldd = shutil.which("ldd")
    if not ldd:
        return []
    try:
        import importlib.util

        spec = importlib.util.find_spec("PySide6")
        if spec is None or not spec.submodule_search_locations:
            return []
        qt = os.path.join(list(spec.submodule_search_locations)[0], "Qt")
        files = [os.path.join(qt, "plugins", "platforms", "libqxcb.so"),
                 os.path.join(qt, "lib", "libQt6XcbQpa.so.6")]
        files = [f for f in files if os.path.exists(f)]
        # Loading them is a few milliseconds and says whether anything is
        # missing; ldd (a process per file) runs only to name what is.
        if all(_try_load(f) is None for f in files):
            return []
        out = []
        for f in files:
            text = subprocess.run([ldd, f], capture_output=True, text=True, timeout=10).stdout
            out += [line.split("=>")[0].strip() for line in text.splitlines() if "not found" in line]
        return out
    except (OSError, subprocess.SubprocessError, ValueError):
        return []


def missing_libraries() -> list[str]:
    """The sonames of the system libraries the window needs (on Linux, with
    X11) that cannot be loaded, in a stable order."""
    missing: list[str] = []
    for soname in XCB_LIBRARIES:
        lost = _try_load(soname)
        if lost and lost not in missing:
            missing.append(lost)
    for soname in _ldd_missing():
        if soname not in missing:
            missing.append(soname)
    return missing


def missing_libraries_message(missing: list[str], display: bool = True) -> str:
    """What to tell a user whose system lacks ``missing``: each library, the
    package holding it, and the command that installs them."""
    width = max(len(s) for s in missing)
    lines = ["workbench: the window cannot start: these system libraries, which Qt needs to draw "
             "windows on X11, are not installed:"]
    debian: list[str] = []
    fedora: list[str] = []
    for soname in missing:
        deb, fed = XCB_LIBRARIES.get(soname, (None, None))
        if deb:
            lines.append(f"  {soname.ljust(width)}  package {deb} (Debian, Ubuntu); {fed} (Fedora)")
            debian += [deb] if deb not in debian else []
            fedora += [fed] if fed not in fedora else []
        else:
            lines.append(f"  {soname.ljust(width)}  (find its package with: apt-file search {soname})")
    if debian:
        lines.append("Install them with:")
        lines.append(f"  sudo apt-get install {' '.join(debian)}")
        lines.append(f"  (Fedora: sudo dnf install {' '.join(fedora)})")
    lines.append("The command line (workbench validate, stats, diagram, report) works without them.")
    if not display:
        lines.append("There is also no display to open a window on: DISPLAY is not set.")
    return "\n".join(lines)


def _uses_xcb() -> bool:
    """Whether Qt will draw through X11 (xcb): Linux, not sent elsewhere by
    QT_QPA_PLATFORM (offscreen, wayland, ...), not a Wayland session."""
    if not sys.platform.startswith("linux"):
        return False
    platform = os.environ.get("QT_QPA_PLATFORM", "").strip()
    if platform:
        return platform.split(";")[0].startswith("xcb")
    wayland = os.environ.get("WAYLAND_DISPLAY") and os.environ.get("XDG_SESSION_TYPE", "").lower() == "wayland"
    return not wayland


def check_system() -> tuple[int, str] | None:
    """Before Qt starts: (exit code, message) when the window cannot open
    on this system, else None. Qt's own message on a missing library names
    the wrong one, and then aborts."""
    display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if _uses_xcb():
        missing = missing_libraries()
        if missing:
            return 2, missing_libraries_message(missing, display=display)
    if sys.platform.startswith("linux") and not display and not os.environ.get("QT_QPA_PLATFORM"):
        return 1, "workbench: no display to open a window on (set DISPLAY, or QT_QPA_PLATFORM=offscreen)"
    return None


def run(path: str | None = None, argv: list[str] | None = None) -> int:
    """Open the main window (and the study at ``path``); returns the exit code."""
    # Building the window makes many objects and next to no garbage: Python's
    # cycle collector, which would scan them again and again, waits until the
    # window has been painted.
    gc.disable()
    try:
        problem = check_system()
        if problem:
            code, message = problem
            print(message, file=sys.stderr)
            gc.enable()
            return code
        from PySide6.QtWidgets import QApplication

        _window = open_window(path, argv)  # held here while the application runs
    except BaseException:
        gc.enable()
        raise
    _probe = after_first_paint(_window, quit=bool(os.environ.get(QUIT_AFTER_PAINT)))
    return QApplication.instance().exec()


# For bench/gui.py and tests: with this set, ``workbench open`` writes one line
# to stdout when the window's first paint is over, then quits.
QUIT_AFTER_PAINT = "WORKBENCH_QUIT_AFTER_FIRST_PAINT"


def after_first_paint(window, quit: bool = False):
    """Once ``window`` has been painted the first time (a timer of 0 runs
    when the paint that the first Paint event begins is over): turn Python's
    cycle collector back on and, with ``quit``, write "first paint done" to
    stdout and quit. Returns the event filter to keep."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    def done():
        gc.enable()
        if quit:
            sys.stdout.write("first paint done\n")
            sys.stdout.flush()
            QApplication.instance().quit()

    class FirstPaint(QObject):
        seen = False

        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint and not self.seen:
                self.seen = True
                QTimer.singleShot(0, done)
            return False

    probe = FirstPaint(window)
    window.installEventFilter(probe)
    QTimer.singleShot(5000, gc.enable)  # in case the window is not painted (started minimised)
    return probe


def open_window(path: str | None = None, argv: list[str] | None = None):
    """The application and its main window, shown: with the study at
    ``path`` open if it can be (a problem is reported in a dialog, and the
    start page shown), else the start page."""
    from PySide6.QtWidgets import QApplication

    from .mainwindow import MainWindow

    app = QApplication.instance() or QApplication(argv or ["workbench"])
    app.setApplicationName("Learning Process Workbench")
    app.setOrganizationName("LearningProcessWorkbench")
    window = MainWindow()
    if path:
        window.open_path(path)
    window.show()
    return window
