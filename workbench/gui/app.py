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

    from .mainwindow import MainWindow

    app = QApplication.instance() or QApplication(argv or ["workbench"])
    app.setApplicationName("Learning Process Workbench")
    app.setOrganizationName("LearningProcessWorkbench")
    window = MainWindow()
    window.show()
    if path:
        QTimerOnce(lambda: window.open_path(path))
    return app.exec()


def QTimerOnce(fn) -> None:
    from PySide6.QtCore import QTimer

    QTimer.singleShot(0, fn)
