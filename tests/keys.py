"""Typing into the window as a user does: each key to whatever has the
focus at that moment."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication


def focused():
    return QApplication.focusWidget()


def type_text(qtbot, text):
    """Each key to whatever has the focus then, as a keyboard does."""
    for ch in text:
        qtbot.keyClick(focused(), ch)
    QApplication.processEvents()


def key(qtbot, k, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(focused(), k, modifier)
    QApplication.processEvents()  # Enter commits from the event loop, as Qt queues it
