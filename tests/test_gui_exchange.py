"""File → Import and Export → REFI-QDA / spreadsheet in the window: what the
command line does, through the open study's session, one undo step each."""

import zipfile

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from conftest import TRAINING
from workbench.gui.mainwindow import SAMPLES, MainWindow

TRAINING_LABEL = next(k for k, v in SAMPLES.items() if v == TRAINING.name)


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, errors):
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.ini"))
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    assert w.open_example(TRAINING_LABEL, str(tmp_path / "training.lpw"))
    yield w
    w.close_study()


def test_export_qdpx_and_xlsx_then_import_them_back(window, tmp_path, monkeypatch, errors):
    w = window
    out = tmp_path / "project"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    w.act_qdpx.trigger()
    assert zipfile.ZipFile(tmp_path / "project.qdpx").read("project.qde").startswith(b"<?xml")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "log.xlsx"), ""))
    w.act_xlsx.trigger()
    assert (tmp_path / "log.xlsx").exists() and not errors

    # a new study, into which the project comes back through File → Import
    before = w.session.db.load_doc()
    w.close_study()
    assert w.new_study(str(tmp_path / "again.lpw"), "Again", before["framework"])
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(tmp_path / "project.qdpx"), ""))
    w.act_import.trigger()
    assert not errors, errors
    again = w.session.db.load_doc()
    assert [f["id"] for f in again["firms"]] == [f["id"] for f in before["firms"]]
    assert [d["text"] for d in again["documents"]] == [d["text"] for d in before["documents"]]
    assert w.controller.undo_stack.undoText().startswith("Import project.qdpx")
    w.undo_slot.trigger()
    assert w.session.db.load_doc().get("firms") == []

    # the spreadsheet adds a firm's events, sources and routines after a preview
    firm = before["firms"][0]
    assert w.controller.add_firm({"id": firm["id"], "name": firm["name"]})
    w.select_firm(firm["id"])
    asked = []
    answer = [QMessageBox.StandardButton.No]
    monkeypatch.setattr(QMessageBox, "question", lambda parent, title, text, *a: asked.append(text) or answer[0])
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(tmp_path / "log.xlsx"), ""))
    w.act_import.trigger()
    assert asked and f"{len(firm['events'])} events" in asked[-1] and not errors
    assert w.session.event_count(firm["id"]) == 0  # No: nothing added
    answer[0] = QMessageBox.StandardButton.Yes
    w.act_import.trigger()
    assert not errors, errors
    assert w.session.db.event_ids(firm["id"]) == [e["id"] for e in firm["events"]]
    assert w.session.db.get("events", firm["id"], firm["events"][0]["id"])["title"] == firm["events"][0]["title"]
    w.undo_slot.trigger()
    assert w.session.event_count(firm["id"]) == 0


def test_a_damaged_project_imports_nothing(window, tmp_path, monkeypatch, errors):
    bad = tmp_path / "bad.qdpx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    before = window.session.db.load_doc()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(bad), ""))
    window.act_import.trigger()
    assert errors and errors[-1][0] == "Nothing was imported" and "bad.qdpx" in errors[-1][1]
    assert window.session.db.load_doc() == before


def test_a_spreadsheet_row_goes_to_the_firm_it_names_whichever_firm_is_selected(window, tmp_path, monkeypatch,
                                                                                  errors):
    """A consultant's log of a second firm, imported while the first is selected: its rows go to the firm
    in their Firm column (as on the command line), not 'holds no rows to add'; a row naming a firm the
    study lacks falls back to the selected firm, the others left out, and the preview says so."""
    openpyxl = pytest.importorskip("openpyxl")
    w = window
    first = w.session.firms()[0]["id"]
    assert w.controller.add_firm({"id": "qp", "name": "Quayside Print"})
    w.select_firm(first)
    before = w.session.event_count(first)
    book = openpyxl.Workbook()
    book.active.title = "Events"
    for row in (["Firm", "Event", "Date"], ["qp", "Council contract lost", "2022-09"],
                ["qp", "Owner cuts prices", "2022-11"]):
        book.active.append(row)
    book.save(tmp_path / "qp.xlsx")
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda parent, title, text, *a: asked.append(text) or QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(tmp_path / "qp.xlsx"), ""))
    w.act_import.trigger()
    assert not errors, errors
    assert asked and "Quayside Print: 2 events" in asked[-1]
    assert [e["title"] for e in w.session.objects("events", "qp")] == ["Council contract lost", "Owner cuts prices"]
    assert w.session.event_count(first) == before

    # a sheet naming a firm the study does not have: the selected firm's rows, and a word about the rest
    book.active.append(["zz", "Not a firm of this study", "2023"])
    book.active.append([first, "One for the selected firm", "2023"])
    book.save(tmp_path / "mixed.xlsx")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(tmp_path / "mixed.xlsx"), ""))
    w.act_import.trigger()
    assert not errors, errors
    assert ": 1 event" in asked[-1] and "3 rows of firms other than" in asked[-1]
    assert w.session.event_count(first) == before + 1
    assert len(w.session.objects("events", "qp")) == 2
