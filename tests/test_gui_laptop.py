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
    assert f"{path}: is {kind}" in err and "not a workbench study file" in err
    assert "not valid JSON" not in err
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


# --------------------------------------------------------------------------- the window at 1366 x 768

from PySide6 import QtWidgets  # noqa: E402
from PySide6.QtCore import QPoint, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QColor, QContextMenuEvent  # noqa: E402

from conftest import JM  # noqa: E402
from workbench.gui.mainwindow import SAMPLES, MainWindow  # noqa: E402
from workbench.gui.models import CRITICAL, UNCODED, WARNING  # noqa: E402

JM_LABEL = next(k for k, v in SAMPLES.items() if v == JM.name)
LAPTOP = (1366, 768)




def _laptop_window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(*LAPTOP)
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, errors):
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.ini"))
    w = _laptop_window(qtbot)
    yield w
    w.close_study()


@pytest.fixture
def jm(window, tmp_path, qtbot):
    assert window.open_example(JM_LABEL, str(tmp_path / "study.lpw"))
    window.tabs.setCurrentWidget(window.events_tab)
    qtbot.wait(10)
    return window


def col(model, key):
    return next(i for i, c in enumerate(model.columns) if c.key == key)


def shown(view):
    header = view.horizontalHeader()
    return [view.model().columns[header.logicalIndex(v)].key for v in range(header.count())
            if not header.isSectionHidden(header.logicalIndex(v))]


def test_the_events_table_fits_a_laptop_screen(jm, qtbot):
    assert (jm.width(), jm.height()) == LAPTOP
    view = jm.events_tab.view
    for firm in ("brw", "rsl", "dmf"):
        jm.select_firm(firm)
        qtbot.wait(10)
        assert view.model().rowCount() > 0
        assert view.horizontalScrollBar().maximum() == 0, firm
        assert not view.horizontalScrollBar().isVisible()
    assert shown(view) == ["when", "title", "stages", "learning_types", "level", "critical"]
    assert view.columnWidth(col(view.model(), "title")) >= 300  # the event's title keeps room to be read
    assert jm.events_tab.legend.isVisible()
    assert jm.events_tab.legend.geometry().right() <= jm.events_tab.width()


def _right_click_heading(qtbot, view, choose):
    """Right-click the table's heading as a user does and pick ``choose``
    from the menu that opens."""
    picked = []

    def pick():
        menu = QtWidgets.QApplication.activePopupWidget()
        assert menu is not None, "no menu opened"
        action = next(a for a in menu.actions() if a.text() == choose)
        picked.append(action.isChecked())
        menu.close()
        action.trigger()

    QTimer.singleShot(50, pick)
    header = view.horizontalHeader()
    pos = QPoint(20, header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.RightButton, pos=pos)
    # the right-click's context-menu event, which the platform sends (QTest does not)
    QtWidgets.QApplication.sendEvent(header.viewport(), QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, pos, header.viewport().mapToGlobal(pos)))
    qtbot.waitUntil(lambda: bool(picked))
    return picked[0]


def test_more_columns_from_the_headings_menu_remembered(jm, qtbot, tmp_path):
    view = jm.events_tab.view
    assert _right_click_heading(qtbot, view, "Phase") is False  # it was hidden
    assert "phase" in shown(view)
    assert not view.isColumnHidden(col(view.model(), "phase"))
    assert _right_click_heading(qtbot, view, "Critical") is True
    assert "critical" not in shown(view)
    path = jm.session.path
    jm.close_study()
    assert jm.open_path(str(path))
    jm.tabs.setCurrentWidget(jm.events_tab)
    view = jm.events_tab.view
    assert "phase" in shown(view) and "critical" not in shown(view)  # as the user left them
    _right_click_heading(qtbot, view, "Columns as they first were")
    assert shown(view) == ["when", "title", "stages", "learning_types", "level", "critical"]
    qtbot.wait(10)
    assert view.horizontalScrollBar().maximum() == 0


def test_long_text_is_cut_short_with_the_whole_in_a_tooltip(jm, qtbot):
    tab = jm.events_tab
    view, model = tab.view, tab.model
    title = ("The owner-manager finally agrees, after three years of resisting every suggestion from the "
             "college and the customer, to let the shop floor run its own weekly improvement meetings")
    row = 0
    index = model.index(row, col(model, "title"))
    event_id = model.ids[row]
    assert jm.controller.set_field("events", jm.firm_id, event_id, "title", title)
    index = model.index(model.row_of(event_id), col(model, "title"))
    qtbot.wait(10)
    assert view.fontMetrics().horizontalAdvance(title) > view.columnWidth(index.column())  # too long to show
    assert view.textElideMode() == Qt.TextElideMode.ElideRight
    assert view.horizontalScrollBar().maximum() == 0  # cut short, not widened
    assert model.data(index, Qt.ItemDataRole.ToolTipRole).startswith(title)
    # a list cut short in a narrow column: each item named, with its meaning
    jm.select_firm("dmf")
    r = next(r for r in range(model.rowCount()) if len(model.object_at(r).get("stages") or []) > 1)
    stages = model.data(model.index(r, col(model, "stages")), Qt.ItemDataRole.DisplayRole)
    tip = model.data(model.index(r, col(model, "stages")), Qt.ItemDataRole.ToolTipRole)
    assert all(label.strip() in tip for label in stages.split(","))


def test_a_level_in_brackets_says_it_is_the_stages_default(jm):
    model = jm.events_tab.model
    jm.select_firm("dmf")
    c = col(model, "level")
    r = next(r for r in range(model.rowCount()) if not model.object_at(r).get("level"))
    ev = model.object_at(r)
    index = model.index(r, c)
    text = model.data(index, Qt.ItemDataRole.DisplayRole)
    assert text.startswith("(") and text.endswith(")")
    tip = model.data(index, Qt.ItemDataRole.ToolTipRole)
    from workbench.core.frameworks import all_stages
    stage = all_stages()[ev["stages"][0]]
    assert "default level" in tip and stage.label in tip and text.strip("()") in tip
    assert model.data(index, Qt.ItemDataRole.FontRole).italic()
    header_tip = model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert "In brackets" in header_tip
    assert "default level" in jm.events_tab.legend.text()
    # a level chosen: no brackets, no italics, its meaning in the tooltip
    r2 = next(r for r in range(model.rowCount()) if model.object_at(r).get("level"))
    i2 = model.index(r2, c)
    assert not model.data(i2, Qt.ItemDataRole.DisplayRole).startswith("(")
    assert model.data(i2, Qt.ItemDataRole.FontRole) is None
    assert "in brackets" not in model.data(i2, Qt.ItemDataRole.ToolTipRole)


def test_a_critical_incident_looks_different_from_needs_attention(jm, qtbot):
    model = jm.events_tab.model
    jm.select_firm("brw")
    c = jm.controller
    plain = [model.ids[r] for r in range(model.rowCount()) if not model.object_at(r).get("critical")]
    first, later, other = plain[:3]
    ids = [first, later]
    # a date running backwards: needs attention
    assert c.set_field("events", "brw", first, "date", "2005")
    assert c.set_field("events", "brw", later, "date", "1990")
    # make another event a critical incident by ticking its box, as a user does
    r = model.row_of(other)
    view = jm.events_tab.view
    cell = model.index(r, col(model, "critical"))
    view.scrollTo(cell)
    opt = QtWidgets.QStyleOptionViewItem()
    opt.rect = view.visualRect(cell)
    opt.features |= QtWidgets.QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
    box = view.style().subElementRect(QtWidgets.QStyle.SubElement.SE_ItemViewItemCheckIndicator, opt, view)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=box.center())
    critical_id = model.ids[r]
    assert jm.session.get("events", "brw", critical_id).get("critical") is True  # stored
    title = col(model, "title")
    crit = model.index(model.row_of(critical_id), title)
    attention = model.index(model.row_of(ids[1]), title)
    assert QColor(model.data(attention, Qt.ItemDataRole.BackgroundRole)) == WARNING
    assert "Needs attention" in model.data(attention, Qt.ItemDataRole.ToolTipRole)
    assert model.data(attention, Qt.ItemDataRole.DecorationRole) is None
    icon = model.data(crit, Qt.ItemDataRole.DecorationRole)
    assert icon is not None and not icon.isNull()
    assert model.data(crit, Qt.ItemDataRole.FontRole).bold()
    background = model.data(crit, Qt.ItemDataRole.BackgroundRole)
    assert background is None or QColor(background) != WARNING
    colour = model.data(crit, Qt.ItemDataRole.ForegroundRole)
    assert colour is None or QColor(colour) != WARNING
    assert CRITICAL.red() < 128 and CRITICAL.blue() > CRITICAL.red()  # not a red: red says "needs attention"
    assert "critical incident" in model.data(crit, Qt.ItemDataRole.ToolTipRole)
    legend = jm.events_tab.legend.text()
    assert "critical incident" in legend and "needs attention" in legend and "not yet coded" in legend
    assert UNCODED.name() in legend and WARNING.name() in legend and CRITICAL.name() in legend


def test_a_study_with_no_firm_says_add_a_firm(window, tmp_path, qtbot, monkeypatch):
    assert window.new_study(str(tmp_path / "new.lpw"), "Empty study", "5I")
    qtbot.wait(10)
    assert window.no_firm.isVisible() and not window.tabs.isVisible()
    assert "Add a firm" in window.add_firm_button.text()
    assert not window.firm_buttons["delete"].isEnabled()
    monkeypatch.setattr(QtWidgets.QInputDialog, "getText", lambda *a, **k: ("Kestrel Joinery", True))
    qtbot.mouseClick(window.add_firm_button, Qt.MouseButton.LeftButton)
    assert [f["name"] for f in window.session.firms()] == ["Kestrel Joinery"]  # stored
    qtbot.wait(10)
    assert window.tabs.isVisible() and not window.no_firm.isVisible()
    assert window.firm_buttons["delete"].isEnabled()
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", lambda *a, **k: QtWidgets.QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(window.firm_buttons["delete"], Qt.MouseButton.LeftButton)
    assert window.session.firms() == []
    assert window.no_firm.isVisible()
    window.undo_slot.trigger()
    assert [f["name"] for f in window.session.firms()] == ["Kestrel Joinery"]
    assert window.tabs.isVisible()


def test_the_firm_buttons_have_names(jm, qtbot):
    buttons = list(jm.firm_buttons.values())
    assert len(buttons) == 4
    for b in buttons:
        assert any(ch.isalpha() for ch in b.text()), b.text()  # a word, not only a sign
        assert b.toolTip() and b.accessibleName()
        assert b.isVisible() and b.width() >= b.fontMetrics().horizontalAdvance(b.text().replace("&", ""))
    jm.select_firm("rsl")
    qtbot.mouseClick(jm.firm_buttons["up"], Qt.MouseButton.LeftButton)
    assert [f["id"] for f in jm.session.firms()] == ["rsl", "brw", "dmf"]  # stored
    qtbot.mouseClick(jm.firm_buttons["down"], Qt.MouseButton.LeftButton)
    assert [f["id"] for f in jm.session.firms()] == ["brw", "rsl", "dmf"]


def test_the_attributes_table_shows_five_rows(jm, qtbot):
    jm.select_firm("dmf")
    jm.tabs.setCurrentWidget(jm.profile_tab)
    qtbot.wait(10)
    table = jm.profile_tab.attributes
    assert table.isVisible()
    assert table.viewport().height() >= 5 * table.verticalHeader().defaultSectionSize()
    assert table.rowCount() >= 1 and table.rowHeight(0) <= table.verticalHeader().defaultSectionSize()


@pytest.mark.parametrize("name", ["interview.docx", "paper.pdf", "figure.png", "bundle.zip"])
def test_the_window_names_a_file_of_another_kind(window, errors, tmp_path, name):
    make, kind = KINDS[name]
    path = make(tmp_path / name)
    assert not window.open_path(str(path), json_target=str(tmp_path / "imported.lpw"))
    assert f"is {kind}" in errors[-1][1] and "not a workbench study file" in errors[-1][1]
    assert not (tmp_path / "imported.lpw").exists() and window.session is None
    # the same file named as a study
    disguised = tmp_path / "study.lpw"
    disguised.write_bytes(path.read_bytes())
    assert not window.open_path(str(disguised))
    assert f"is {kind}" in errors[-1][1]
    assert disguised.read_bytes() == path.read_bytes()


def test_the_window_opens_whole_on_a_small_screen(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QRect

    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.ini"))
    w = MainWindow()
    qtbot.addWidget(w)
    room = QtWidgets.QApplication.primaryScreen().availableGeometry()
    assert w.width() <= room.width() and w.height() <= room.height()

    class Laptop:  # 1366 x 768 less a 40-pixel panel
        def availableGeometry(self):
            return QRect(0, 0, 1366, 728)

    monkeypatch.setattr(QtWidgets.QApplication, "primaryScreen", staticmethod(lambda: Laptop()))
    width, height = w.first_size()
    assert width <= 1366 and height + 40 <= 728


def test_sources_and_routines_fit_too(jm, qtbot):
    for key in ("sources", "routines"):
        tab = getattr(jm, f"{key}_tab")
        jm.tabs.setCurrentWidget(tab)
        for firm in ("brw", "rsl", "dmf"):
            jm.select_firm(firm)
            qtbot.wait(10)
            assert tab.model.rowCount() > 0
            assert tab.view.horizontalScrollBar().maximum() == 0, (key, firm)
            row = tab.model.object_at(0)
            first = tab.model.index(0, 0)
            assert tab.model.data(first, Qt.ItemDataRole.ToolTipRole).startswith(row["name"])


def test_ldd_runs_only_when_the_plugin_does_not_load(monkeypatch):
    """Starting the window on a complete system costs no ldd process: the
    plugin loads, so nothing is missing; ldd only names what is."""
    import subprocess

    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a) or pytest.fail("ran ldd"))
    monkeypatch.setattr(app, "_try_load", lambda soname: None)
    assert app._ldd_missing() == []
    assert calls == []
