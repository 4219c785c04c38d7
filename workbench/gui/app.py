"""Starting the desktop application."""

from __future__ import annotations

import os
import sys


def run(path: str | None = None, argv: list[str] | None = None) -> int:
    """Open the main window (and the study at ``path``); returns the exit code."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) \
            and not os.environ.get("QT_QPA_PLATFORM"):
        print("workbench: no display to open a window on (set DISPLAY, or QT_QPA_PLATFORM=offscreen)",
              file=sys.stderr)
        return 1
    from PySide6.QtWidgets import QApplication

    _window = open_window(path, argv)  # held here while the application runs
    return QApplication.instance().exec()


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
