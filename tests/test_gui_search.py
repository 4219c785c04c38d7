"""The Search panel as a user works it: Ctrl+Shift+F, typing, Enter; the
keyword-in-context lines; narrowing; a bad regular expression; the coding
query; opening a result at its passage."""

import json
import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from conftest import TRAINING
from test_gui_codes import codes_panel, key, open_window, opened, settle, training, type_text

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"),
              pytest.mark.qt_log_ignore("does not support propagateSizeHints")]

DOCS = {d["id"]: d for d in json.loads(TRAINING.read_text(encoding="utf-8"))["documents"]}


@pytest.fixture
def errors(monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    seen = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: seen.append((title, text)))
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a: seen.append((title, text)))
    return seen


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, errors):
    w = open_window(qtbot, tmp_path, monkeypatch, training())
    yield w
    w.close_study()


def search_panel(w, qtbot):
    qtbot.keyClick(w, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(w.search_dock.isVisible)
    panel = w.search_dock.widget()
    assert QApplication.focusWidget() is panel.text  # ready to type
    return panel


def rows(tree):
    return [[tree.topLevelItem(r).text(c) for c in range(tree.columnCount())] for r in range(tree.topLevelItemCount())]


def choose(combo, text):
    at = combo.findText(text)
    assert at >= 0, [combo.itemText(i) for i in range(combo.count())]
    combo.setCurrentIndex(at)


def test_word_search_lists_keyword_in_context_lines(window, qtbot, errors):
    panel = search_panel(window, qtbot)
    type_text(qtbot, "joinery")
    key(qtbot, Qt.Key.Key_Return)
    want = sum(len(re.findall(r"\bjoinery\b", d["text"], re.IGNORECASE)) for d in DOCS.values())
    got = rows(panel.results)
    assert len(got) == want == 4
    assert panel.summary.text() == "4 places in 2 documents"
    before, found, after, document, paragraph, speaker = got[1]
    assert found.lower() == "joinery"
    assert document == "Interview: Ann Kerrigan, owner-manager" and speaker == "AK"
    # the line reads as the document does, around the match
    text = " ".join(DOCS["int-owner"]["text"].split())
    assert f"{before}{found}{after}".strip() in text
    assert paragraph == "3"
    # a phrase: the words in this order
    choose(panel.mode, "Phrase")
    panel.text.setFocus()
    panel.text.selectAll()
    type_text(qtbot, "the joinery was fine")
    key(qtbot, Qt.Key.Key_Return)
    got = rows(panel.results)
    assert len(got) == 1 and got[0][1] == "the joinery was fine"
    assert got[0][0].endswith("Not because of the joinery, ") and got[0][2].startswith(". The units")
    assert errors == []


def test_narrow_by_speaker_and_firm(window, qtbot):
    panel = search_panel(window, qtbot)
    type_text(qtbot, "we")
    key(qtbot, Qt.Key.Key_Return)
    everyone = rows(panel.results)
    assert {r[5] for r in everyone} >= {"AK", "TB"}
    choose(panel.speaker, "TB")
    panel.search()
    tom = rows(panel.results)
    assert tom and {r[5] for r in tom} == {"TB"} and len(tom) < len(everyone)
    assert {r[3] for r in tom} == {"Interview: Tom Birch, workshop foreman"}
    choose(panel.speaker, "anyone")
    choose(panel.firm, "documents of Kestrel Joinery Ltd")
    assert len(panel.search()) == len(everyone)  # both transcripts are quoted by Kestrel's events


def test_narrow_by_code(window, qtbot):
    panel = search_panel(window, qtbot)
    choose(panel.code, "Meeting standards")  # on e1 (three quotes) and e7 (one)
    type_text(qtbot, "the")
    key(qtbot, Qt.Key.Key_Return)
    coded = [(e["document"], e["start"], e["end"]) for ev in training()["firms"][0]["events"]
             if "standards" in (ev.get("codes") or ()) for e in ev["evidence"]]
    hits = panel.hits
    assert hits and all(any(d == h.document_id and a <= h.start and h.end <= b for d, a, b in coded) for h in hits)


def test_bad_regular_expression_says_where_under_the_field(window, qtbot, errors):
    panel = search_panel(window, qtbot)
    choose(panel.mode, "Regular expression")
    panel.text.setFocus()
    type_text(qtbot, "thermal (rat")
    assert panel.problem.isVisible()
    assert "missing ), unterminated subpattern at character 9" in panel.problem.text()
    key(qtbot, Qt.Key.Key_Return)
    assert panel.problem.isVisible() and panel.results.topLevelItemCount() == 0
    type_text(qtbot, ")")
    assert not panel.problem.isVisible()
    key(qtbot, Qt.Key.Key_Return)
    assert [r[1] for r in rows(panel.results)] == ["thermal rat"]
    assert errors == []  # no dialog


def test_activating_a_result_opens_the_document_at_it(window, qtbot):
    panel = search_panel(window, qtbot)
    type_text(qtbot, "U-value")
    key(qtbot, Qt.Key.Key_Return)
    hit = panel.hits[0]
    item = panel.results.topLevelItem(0)
    panel.results.setFocus()
    panel.results.setCurrentItem(item)
    qtbot.keyClick(panel.results, Qt.Key.Key_Return)
    assert opened(window) == (hit.document_id, hit.start, hit.end)
    assert DOCS[hit.document_id]["text"][hit.start:hit.end] == "U-value"


def test_coding_query(window, qtbot):
    panel = search_panel(window, qtbot)
    panel.pages.setCurrentIndex(1)
    choose(panel.query_code, "Meeting standards")
    qtbot.mouseClick(panel.query_show, Qt.MouseButton.LeftButton)
    found = panel.found
    got = rows(panel.query_results)
    evs = {e["id"]: e for e in training()["firms"][0]["events"]}
    want = [q["quote"] for k in ("e1", "e7") for q in evs[k]["evidence"]]
    assert [r[0] for r in got] == want and len(found) == 4
    assert got[0][1:4] == ["Interview: Ann Kerrigan, owner-manager", "3", "Ann Kerrigan, owner-manager"]
    assert got[0][4] == evs["e1"]["title"] and panel.query_summary.text() == "4 passages"
    # and of events coded to a stage
    first_stage = evs["e7"]["stages"][0]
    label = window.session.framework.stage(first_stage).label
    choose(panel.query_stage, label)
    qtbot.mouseClick(panel.query_show, Qt.MouseButton.LeftButton)
    want = [q["quote"] for k in ("e1", "e7") if first_stage in evs[k]["stages"] for q in evs[k]["evidence"]]
    assert [r[0] for r in rows(panel.query_results)] == want
    # from the Codes panel: the passages of the selected code
    codes = codes_panel(window, qtbot)
    codes.tree.setCurrentItem(codes.item_of("voice"))
    qtbot.mouseClick(codes.query_button, Qt.MouseButton.LeftButton)
    assert panel.pages.currentIndex() == 1 and panel.query_code.currentData() == "voice"
    got = rows(panel.query_results)
    passage = "Nobody had asked Jamie anything before"
    assert [r[0] for r in got] == [q["quote"] for q in evs["e4"]["evidence"]] + [passage]
    assert got[-1][1:3] == ["Interview: Tom Birch, workshop foreman", "5"]
    assert got[-1][4] == "(a coded passage, no event yet)"
    settle(qtbot)
