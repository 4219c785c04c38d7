"""Two coders and students in the window: a blind copy, practice with an
example, and checking one's coding against the authors'."""

import json

from PySide6.QtWidgets import QFileDialog, QInputDialog



def test_practice_code_check_and_blind_copy(window, tmp_path, monkeypatch, errors):
    w = window
    mine = tmp_path / "mine.lpw"
    monkeypatch.setattr(QInputDialog, "getItem", lambda *a, **k: ("training-case", True))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(mine), ""))
    w.act_practice.trigger()
    assert not errors and w.session is not None and w.session.path == mine
    firm = w.session.firms()[0]["id"]
    first = w.session.event_ids(firm)[0]
    assert not w.session.get("events", firm, first).get("stages")  # the coding was taken out
    # code the first event as the authors did not, then check
    w.controller.set_field("events", firm, first, "stages", ["institutionalising"])
    w.controller.set_field("events", firm, first, "learning_types", ["mimetic"])
    text = w.check_coding()
    assert text and "You have coded 1 of its" in text
    assert "the authors" in text and "What the codes mean" in text and "The evidence" in text
    # a blind copy of what is open, for a second coder
    out = tmp_path / "blind.study.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    w.act_blind.trigger()
    doc = json.loads(out.read_text(encoding="utf-8"))
    ev = doc["firms"][0]["events"][0]
    assert ev["id"] == first and "stages" not in ev and "learning_types" not in ev and "coder" not in doc


def test_check_on_a_study_made_from_no_example_says_so(window, tmp_path, errors):
    assert window.new_study(str(tmp_path / "own.lpw"), "Own study", "5I")
    assert window.check_coding() is None
    assert errors and errors[-1][0] == "Nothing to check against"
