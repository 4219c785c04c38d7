"""The Diagram tab and Export → Diagrams drawn for a printed width: the
user picks the width (A4, Letter or typed), the tab shows the figure(s)
that width takes, a part at a time, and exports one file per part; a file
name that says another format is refused."""

import json
import re
import sys

import pytest
from PySide6 import QtWidgets
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from conftest import ROOT
from keys import key, type_text
from workbench.render import units

sys.path.insert(0, str(ROOT / "bench"))
import synthetic  # noqa: E402

A4_PT = units.A4_PORTRAIT


def svg_width_pt(data: bytes) -> float:
    m = re.search(rb'<svg[^>]*\bwidth="([\d.]+)pt"', data)
    assert m, data[:300]
    return float(m.group(1))


@pytest.fixture
def long_window(window, tmp_path):
    """A study whose one firm has 24 events: more than one A4 page takes."""
    doc = synthetic.study(firms=1, events=24, sources=6, routines=3)
    src = tmp_path / "long.study.json"
    src.write_text(json.dumps(doc), encoding="utf-8")
    assert window.open_path(str(src), json_target=str(tmp_path / "long.lpw"))
    window.tabs.setCurrentWidget(window.diagram_tab)
    return window


def choose_width(qtbot, tab, text_start: str):
    """Pick a width in the tab's "Width for print" box from the keyboard:
    focus it, then Down (or Up) until the item wanted is current."""
    combo = tab.print_width.combo
    combo.setFocus()
    wanted = next(i for i in range(combo.count()) if combo.itemText(i).startswith(text_start))
    step = Qt.Key.Key_Down if wanted > combo.currentIndex() else Qt.Key.Key_Up
    for _ in range(combo.count()):
        if combo.currentIndex() == wanted:
            break
        qtbot.keyClick(combo, step)
    assert combo.currentText().startswith(text_start)


def wait_drawn(qtbot, tab, needle: str):
    qtbot.waitUntil(lambda: needle in tab.status.text() and tab.svg is not None, timeout=20000)


def test_the_tab_draws_for_a4_portrait_in_parts_and_exports_each(long_window, qtbot, tmp_path):
    tab = long_window.diagram_tab
    tab.redraw()
    assert tab.svg is not None and not tab.part.isVisible()  # the screen: one drawing
    screen_width = svg_width_pt(tab.svg)
    assert screen_width > A4_PT

    choose_width(qtbot, tab, "16 cm")
    wait_drawn(qtbot, tab, "16 cm wide")
    parts = len(tab.figures)
    assert parts > 1 and tab.part.isVisible() and tab.part.count() == parts
    assert tab.part.currentText().startswith(f"Part 1 of {parts}")
    assert svg_width_pt(tab.svg) <= A4_PT + 0.5
    first = tab.svg

    # the next part, from the keyboard
    tab.part.setFocus()
    qtbot.keyClick(tab.part, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: tab.svg is not None and tab.svg != first, timeout=20000)
    assert tab.part.currentText().startswith(f"Part 2 of {parts}") and "16 cm wide" in tab.status.text()

    (tmp_path / "out").mkdir()
    (tmp_path / "pdf").mkdir()
    first = tab.export(str(tmp_path / "out" / "firm0.svg"))
    written = tab.written
    assert first == written[0]
    assert [p.rsplit("/", 1)[-1] for p in written] == [f"firm0-{i}.svg" for i in range(1, parts + 1)]
    for path in written:
        data = open(path, "rb").read()
        assert data.lstrip().startswith((b"<?xml", b"<svg")) and svg_width_pt(data) <= A4_PT + 0.5
    assert not (tmp_path / "out" / "firm0.svg").exists()

    # PDF too, one per part
    tab.export(str(tmp_path / "pdf" / "firm0.pdf"))
    written = tab.written
    assert len(written) == parts and all(open(p, "rb").read(5) == b"%PDF-" for p in written)

    # back to the screen: one drawing again, the part box hidden
    choose_width(qtbot, tab, "Screen")
    qtbot.waitUntil(lambda: len(tab.figures) == 1 and tab.svg is not None, timeout=20000)
    assert not tab.part.isVisible() and svg_width_pt(tab.svg) == pytest.approx(screen_width)


def test_a_typed_width(long_window, qtbot):
    tab = long_window.diagram_tab
    tab.redraw()
    choose_width(qtbot, tab, "Custom")
    assert tab.print_width.custom.isVisible()
    qtbot.waitUntil(lambda: QtWidgets.QApplication.focusWidget() is tab.print_width.custom)
    type_text(qtbot, "30cm")
    key(qtbot, Qt.Key.Key_Return)
    wait_drawn(qtbot, tab, "30 cm wide")
    assert svg_width_pt(tab.svg) <= 30 * 72 / 2.54 + 0.5
    tab.print_width.custom.selectAll()
    type_text(qtbot, "wide")
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Could not draw" in tab.status.text(), timeout=20000)
    assert "16cm" in tab.status.text() and tab.svg is None


def test_the_tab_refuses_a_name_that_says_another_format(long_window, errors, tmp_path):
    tab = long_window.diagram_tab
    tab.redraw()
    assert tab.export(str(tmp_path / "z.jpg")) is None and tab.written == []
    assert "cannot be written as .jpg" in errors[-1][1]
    assert list(tmp_path.glob("z*")) == []


def test_export_diagrams_dialog_passes_the_width(long_window, qtbot, monkeypatch, tmp_path, errors):
    """Export → Diagrams: the width picked in the dialog reaches the drawing;
    a process longer than a page is written as NAME-1, NAME-2, ..."""
    from workbench.gui.dialogs import DiagramDialog

    w = long_window

    def pick_a4(dlg):
        combo = dlg.width_choice.combo
        assert not dlg.parts_note.isVisibleTo(dlg)
        combo.setFocus()
        qtbot.keyClick(combo, Qt.Key.Key_Down)  # Screen → 16 cm: A4 portrait
        assert dlg.parts_note.isVisibleTo(dlg)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(DiagramDialog, "exec", pick_a4)
    target = tmp_path / "export" / "firm0.svg"
    target.parent.mkdir()
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    w.act_diagram.trigger()
    files = sorted(target.parent.iterdir())
    assert len(files) > 1 and [f.name for f in files] == [f"firm0-{i}.svg" for i in range(1, len(files) + 1)]
    for f in files:
        assert svg_width_pt(f.read_bytes()) <= A4_PT + 0.5
    assert f"{len(files)} files, one per part" in w.statusBar().currentMessage()

    # the same through the dialog's options, as a PNG: one file per part too
    dlg = DiagramDialog("Firm")
    dlg.width_choice.combo.setCurrentIndex(dlg.width_choice.combo.findData(units.A4_LANDSCAPE))
    opts = dlg.options()
    assert opts["width"] == pytest.approx(units.A4_LANDSCAPE)
    written = w.export_diagrams(str(tmp_path / "land.png"), **dict(opts, fmt="png", dpi=50))
    assert len(written) >= 1 and all(p.read_bytes()[:4] == b"\x89PNG" for p in written)

    # a name saying another format: refused with a message, nothing written
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "z.jpg"), ""))
    w.act_diagram.trigger()
    assert "cannot be written as .jpg" in errors[-1][1]
    assert not list(tmp_path.glob("z*"))


def test_the_dialog_keeps_a_width_it_cannot_read(qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from workbench.gui.dialogs import DiagramDialog

    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: warned.append(text))
    dlg = DiagramDialog("Firm")
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.width_choice.combo.setCurrentIndex(dlg.width_choice.combo.findData("custom"))
    qtbot.keyClicks(dlg.width_choice.custom, "three feet")
    dlg.accept()
    assert dlg.result() != QDialog.DialogCode.Accepted and "16cm" in warned[-1]
    dlg.width_choice.custom.clear()
    qtbot.keyClicks(dlg.width_choice.custom, "160mm")
    dlg.accept()
    assert dlg.result() == QDialog.DialogCode.Accepted
    assert dlg.options()["width"] == pytest.approx(units.A4_PORTRAIT)
