import copy
import json
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # Qt tests run without a display
if "WORKBENCH_CACHE_DIR" not in os.environ:  # the compiled WebAssembly module: not in the user's cache
    import atexit
    import shutil
    import tempfile

    os.environ["WORKBENCH_CACHE_DIR"] = tempfile.mkdtemp(prefix="lpw-test-cache-")
    atexit.register(shutil.rmtree, os.environ["WORKBENCH_CACHE_DIR"], True)

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_cases"
JM = SAMPLES / "jones-macpherson-2006.study.json"
TRAINING = SAMPLES / "training-case.study.json"


def minimal_study(**overrides):
    """A small valid study: one firm, two sources, one routine, three events."""
    doc = {
        "format": "lpw-study",
        "version": 1,
        "title": "Test study",
        "framework": "5I",
        "documents": [{"id": "d1", "name": "Interview", "text": "We had no idea. Then the college came."}],
        "firms": [{
            "id": "f1",
            "name": "Firm One",
            "sources": [
                {"id": "cust", "name": "Customer", "kind": "customer"},
                {"id": "staff", "name": "Staff", "kind": "internal_staff"},
            ],
            "routines": [{"id": "r1", "name": "Weekly meeting", "sources": ["staff"]}],
            "events": [
                {"id": "e1", "title": "Audit failed", "date": "2001", "stages": ["intuiting"],
                 "learning_types": ["coercive"], "sources": ["cust"],
                 "evidence": [{"quote": "We had no idea.", "document": "d1", "start": 0, "end": 15}]},
                {"id": "e2", "title": "Meeting set up", "date": "2001-05", "stages": ["integrating"],
                 "learning_types": ["normative"], "routines": ["r1"]},
                {"id": "e3", "title": "Customer helps", "date": "2002-01-10", "stages": ["intertwining"],
                 "learning_types": ["normative"]},
            ],
        }],
    }
    doc.update(overrides)
    return doc


@pytest.fixture
def study_doc():
    return copy.deepcopy(minimal_study())


@pytest.fixture
def write_json(tmp_path):
    def write(doc, name="study.study.json"):
        path = tmp_path / name
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        return path
    return write


@pytest.fixture
def errors(monkeypatch):
    """The window's warning and error dialogs, captured as (title, text)
    instead of shown (a dialog would wait for a user who is not there)."""
    from PySide6.QtWidgets import QMessageBox

    seen = []
    for kind in ("warning", "critical"):
        monkeypatch.setattr(QMessageBox, kind, lambda parent, title, text, *a: seen.append((title, text)))
    return seen


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, errors):
    """The desktop workbench, shown offscreen with settings of its own and
    no study open (a test file may define a window of its own instead)."""
    from workbench.gui.mainwindow import MainWindow

    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.ini"))
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close_study()
