"""Export → Word report in the window: "Written for" the firm's owner gives
the client report of the one firm ticked."""

from __future__ import annotations

import json

import docx
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog, QLabel

from test_client_report import harbour_study
from workbench import services
from workbench.gui.mainwindow import MainWindow


@pytest.fixture
def two_firm_window(qtbot, tmp_path, monkeypatch, errors):
    doc = harbour_study()
    quay = json.loads(json.dumps(doc["firms"][0]))
    quay["id"], quay["name"] = "quay", "Quay Joinery"
    quay["actions"] = [{"id": "engage_staff", "status": "planned", "owner": "Lee Quay", "date": "2025-06"}]
    doc["firms"].insert(0, quay)
    src = tmp_path / "two.study.json"
    src.write_text(json.dumps(doc), encoding="utf-8")
    lpw = tmp_path / "two.lpw"
    services.import_file(lpw, src)
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.ini"))
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    assert w.open_path(str(lpw))
    yield w
    w.close_study()


def ticked(dlg) -> list[str]:
    return dlg.chosen()


def test_client_audience_writes_the_firm_report(two_firm_window, qtbot, tmp_path, monkeypatch, errors):
    w = two_firm_window
    w.select_firm("harbour")
    out = tmp_path / "for-sam.docx"
    asked = {}

    def save_as(parent, title, name, filters):
        asked["name"] = name
        return str(out), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    seen = {}

    def operate():
        dlg = QApplication.activeModalWidget()
        assert dlg is not None and dlg.windowTitle() == "Word report"
        seen["before"] = ticked(dlg)
        dlg.audience.setFocus()
        qtbot.keyClick(dlg.audience, Qt.Key.Key_Down)  # the firm's owner
        seen["after"] = ticked(dlg)
        seen["evidence"] = dlg.evidence.isEnabled()
        ok = dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    QTimer.singleShot(50, operate)
    w.act_report.trigger()
    w._worker.wait()
    qtbot.waitUntil(lambda: "Wrote" in w.statusBar().currentMessage(), timeout=20000)
    assert seen["before"] == ["quay", "harbour"]
    assert seen["after"] == ["harbour"]  # the firm in view
    assert seen["evidence"] is False
    assert asked["name"] == "harbour-client-report.docx"
    document = docx.Document(str(out))
    assert document.paragraphs[0].text == "Harbour Joinery: learning and renewal"
    rows = [[c.text for c in r.cells] for t in document.tables for r in t.rows if len(r.cells) == 6]
    # the checklist as stored in this study, owner and date included
    assert any(r[1] == "Visit Aire Joinery again with the foreman" and r[4:6] == ["Sam Okafor", "May 2024"]
               for r in rows)
    assert not any(r[4] == "Lee Quay" for r in rows)  # not the other firm's
    assert not errors


def test_client_audience_needs_exactly_one_firm(two_firm_window, qtbot, tmp_path, monkeypatch, errors):
    w = two_firm_window
    called = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: called.append(a) or ("", ""))
    seen = {}

    def operate():
        dlg = QApplication.activeModalWidget()
        dlg.audience.setFocus()
        qtbot.keyClick(dlg.audience, Qt.Key.Key_Down)
        # tick the second firm too, with the keyboard
        dlg.firms.setFocus()
        for i in range(dlg.firms.count()):
            if dlg.firms.item(i).checkState() != Qt.CheckState.Checked:
                dlg.firms.setCurrentRow(i)
                qtbot.keyClick(dlg.firms, Qt.Key.Key_Space)
        seen["ticked"] = ticked(dlg)
        ok = dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
        seen["open"] = dlg.isVisible()
        seen["hint"] = " ".join(lb.text() for lb in dlg.findChildren(QLabel))
        qtbot.keyClick(dlg.audience, Qt.Key.Key_Escape)

    QTimer.singleShot(50, operate)
    w.act_report.trigger()
    assert len(seen["ticked"]) == 2
    assert seen["open"] is True
    assert "tick exactly one" in seen["hint"]
    assert not called  # no file asked for, nothing written
    assert not errors
