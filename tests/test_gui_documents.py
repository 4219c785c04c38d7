"""The Documents tab, driven offscreen as a user drives it: add a transcript
through File > Add documents..., select passages with the keys, code them,
undo through the Edit menu; everything asserted on what the study stores."""

import pytest
from PySide6 import QtWidgets
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QMessageBox

from conftest import TRAINING
from workbench.core.frameworks import framework
from workbench.core.textpos import stored_text
from workbench.gui.mainwindow import SAMPLES, MainWindow

TRAINING_LABEL = next(k for k, v in SAMPLES.items() if v == TRAINING.name)

# CRLF line ends and a character above U+FFFF (two UTF-16 units in Qt, one code point in the format)
SOURCE = ("Interviewer: How did it all start?\r\n"
          "Ann: We had no idea \U0001d518 at all. Then the college came.\r\n"
          "Ann: The audit was the shock.\r\n"
          "Interviewer: And then?\r\n"
          "Ann: We wrote it all down.\r\n")
TEXT = stored_text(SOURCE)


@pytest.fixture(autouse=True)
def no_qt_warnings(qtlog):
    """A Qt warning fails the test (the offscreen platform's note that it
    cannot resize windows to their hints is not ours)."""
    yield
    from PySide6.QtCore import QtMsgType

    bad = [r.message for r in qtlog.records
           if r.type in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg)
           and "propagateSizeHints" not in r.message]
    assert not bad, bad


@pytest.fixture
def errors(monkeypatch):
    seen = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: seen.append((title, text)))
    return seen


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, errors):
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.ini"))
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    assert w.new_study(str(tmp_path / "study.lpw"), "Transcripts", "5I")
    assert w.add_firm("Acme Tooling") == "acmetooling"
    yield w
    w.close_study()


@pytest.fixture
def transcript(tmp_path):
    path = tmp_path / "Interview with Ann.txt"
    path.write_bytes(SOURCE.encode("utf-8"))
    return path


def add_through_menu(w, monkeypatch, *paths):
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileNames",
                        lambda *a, **k: ([str(p) for p in paths], "Documents"))
    w.act_add_documents.trigger()


def select_with_keys(qtbot, view, line: int, skip: int, length: int):
    """Ctrl+Home, Down to ``line``, Right past ``skip`` characters, then
    Shift+Right over ``length`` (a character above U+FFFF is one key press)."""
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    for _ in range(line):
        qtbot.keyClick(view, Qt.Key.Key_Down)
    qtbot.keyClick(view, Qt.Key.Key_Home)
    for _ in range(skip):
        qtbot.keyClick(view, Qt.Key.Key_Right)
    for _ in range(length):
        qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)


def snapshot(w):
    return w.session.db.load_doc()


def test_code_a_transcript_from_the_text_and_undo_each_step(window, transcript, qtbot, monkeypatch, errors):
    w = window
    s = w.session
    add_through_menu(w, monkeypatch, transcript)
    tab = w.documents_tab
    assert w.tabs.currentWidget() is tab
    (doc,) = s.document_list("acmetooling")
    assert doc["name"] == "Interview with Ann" and doc["firm"] == "acmetooling"
    assert s.document(doc["id"])["text"] == TEXT
    assert w.statusBar().currentMessage().startswith("Added Interview with Ann (168 characters, 5 speaker turns)")
    assert tab.view.toPlainText() == TEXT
    steps = [snapshot(w)]

    # (a) a new event from a selection holding 𝔘, made with the keys
    quote = "We had no idea \U0001d518 at all."
    select_with_keys(qtbot, tab.view, 1, len("Ann: "), len(quote))
    cursor = tab.view.textCursor()
    assert cursor.selectionEnd() - cursor.selectionStart() == len(quote) + 1  # Qt counts 𝔘 twice
    qtbot.mouseClick(tab.actions["event"], Qt.MouseButton.LeftButton)
    assert tab.prompt.isVisible()
    qtbot.keyClicks(tab.prompt.edit, "No idea about quality")
    qtbot.keyClick(tab.prompt.edit, Qt.Key.Key_Return)
    events = s.objects("events", "acmetooling")
    assert [e["title"] for e in events] == ["No idea about quality"]
    ev = s.get("events", "acmetooling", events[0]["id"])
    (item,) = ev["evidence"]
    assert item == {"quote": quote, "speaker": "Ann", "document": doc["id"],
                    "start": TEXT.index(quote), "end": TEXT.index(quote) + len(quote)}
    assert TEXT[item["start"]:item["end"]] == quote  # code points, though Qt counted one more unit
    steps.append(snapshot(w))

    # keys code the event the selected quote is evidence of
    stages = framework("5I").stages
    tab.view.setFocus()
    qtbot.keyClick(tab.view, Qt.Key.Key_2)
    assert s.get("events", "acmetooling", ev["id"])["stages"] == [stages[1].id]
    steps.append(snapshot(w))
    qtbot.keyClick(tab.view, Qt.Key.Key_C)
    assert s.get("events", "acmetooling", ev["id"])["learning_types"] == ["coercive"]
    steps.append(snapshot(w))

    # (b) another passage, added as evidence to that event through the picker
    second = "Then the college came."
    select_with_keys(qtbot, tab.view, 1, len("Ann: ") + len(quote) + 1, len(second))
    qtbot.mouseClick(tab.actions["evidence"], Qt.MouseButton.LeftButton)
    qtbot.keyClicks(tab.prompt.edit, "quality")
    assert tab.prompt.list.count() == 1
    qtbot.keyClick(tab.prompt.edit, Qt.Key.Key_Return)
    items = s.get("events", "acmetooling", ev["id"])["evidence"]
    assert [it["quote"] for it in items] == [quote, second]
    assert TEXT[items[1]["start"]:items[1]["end"]] == second and items[1]["speaker"] == "Ann"
    steps.append(snapshot(w))

    # (c) a new code on a passage that is no event's evidence: it becomes a coded passage
    third = "The audit was the shock."
    select_with_keys(qtbot, tab.view, 2, 0, len("Ann: " + third))  # the speaker's label is left out
    qtbot.mouseClick(tab.actions["code"], Qt.MouseButton.LeftButton)
    qtbot.keyClicks(tab.prompt.edit, "Audit shock")
    assert tab.prompt.list.currentItem().text() == "New code “Audit shock”"
    qtbot.keyClick(tab.prompt.edit, Qt.Key.Key_Return)
    (code,) = s.objects("codes", None)
    assert code["name"] == "Audit shock"
    (passage,) = s.objects("passages", doc["id"])
    assert TEXT[passage["start"]:passage["end"]] == third
    assert passage["codes"] == [code["id"]] and passage["speaker"] == "Ann"
    steps.append(snapshot(w))

    # (d) a memo on it (the passage is still selected)
    qtbot.mouseClick(tab.actions["memo"], Qt.MouseButton.LeftButton)
    qtbot.keyClicks(tab.prompt.edit, "the turning point")
    qtbot.keyClick(tab.prompt.edit, Qt.Key.Key_Return)
    assert s.objects("passages", doc["id"])[0]["memo"] == "the turning point"
    steps.append(snapshot(w))
    # the margin names what the passage carries
    margin = tab.margin_items
    assert "Memo: the turning point" in tab.margin.toPlainText()
    assert any("Codes: Audit shock" in m and "Memo: the turning point" in m for m in margin)
    assert any("Event: No idea about quality" in m for m in margin)

    # 5. the firm lists the passage as not yet evidence; it becomes an event
    assert tab.unlinked.count() == 1 and third in tab.unlinked.item(0).text()
    tab.unlinked.setCurrentRow(0)
    tab._from_unlinked("title")
    qtbot.keyClicks(tab.prompt.edit, "The audit")
    qtbot.keyClick(tab.prompt.edit, Qt.Key.Key_Return)
    assert s.objects("passages", doc["id"]) == []
    new = next(e for e in s.objects("events", "acmetooling") if e["title"] == "The audit")
    (it,) = s.get("events", "acmetooling", new["id"])["evidence"]
    assert it["quote"] == third and it["codes"] == [code["id"]] and it["memo"] == "the turning point"
    assert tab.unlinked.item(0).text() == "(none yet)" and "(0)" in tab.unlinked_label.text()
    steps.append(snapshot(w))

    # Edit > Undo takes back each step, in turn
    for expected in reversed(steps[:-1]):
        w.undo_slot.trigger()
        assert snapshot(w) == expected
    assert s.document_list() and not s.objects("events", "acmetooling")
    w.redo_slot.trigger()
    assert snapshot(w) == steps[1]
    assert not errors


def test_remove_a_document_asks_and_keeps_quotes_unanchored(window, transcript, qtbot, monkeypatch):
    w = window
    s = w.session
    add_through_menu(w, monkeypatch, transcript)
    tab = w.documents_tab
    for n, quote in enumerate(("We had no idea", "We wrote it all down.")):
        a = TEXT.index(quote)
        tab.select(a, a + len(quote))
        tab.ask_new_event()
        qtbot.keyClicks(tab.prompt.edit, f"Event {n}")
        qtbot.keyClick(tab.prompt.edit, Qt.Key.Key_Return)
    before = snapshot(w)
    asked = []

    def answer(parent, title, text, *a):
        asked.append(text)
        return QMessageBox.StandardButton.Yes
    monkeypatch.setattr(QMessageBox, "question", answer)
    qtbot.mouseClick(tab.remove_button, Qt.MouseButton.LeftButton)
    assert "2 quotes will keep their text without an anchor" in asked[0]
    assert s.document_list() == []
    for e in s.objects("events", "acmetooling"):
        (it,) = s.get("events", "acmetooling", e["id"])["evidence"]
        assert "document" not in it and "start" not in it
        assert it["location"].startswith("Interview with Ann, paragraph")
        assert it["quote"] in TEXT
    assert tab.view.toPlainText() == ""
    w.undo_slot.trigger()
    assert snapshot(w) == before
    assert tab.view.toPlainText() == TEXT


def test_a_binary_file_named_txt_is_refused_with_a_message(window, tmp_path, transcript, monkeypatch, errors):
    w = window
    bad = tmp_path / "notes.txt"
    bad.write_bytes(bytes(range(256)) * 40)
    before = snapshot(w)
    depth = w.controller.undo_stack.count()
    add_through_menu(w, monkeypatch, transcript, bad)
    assert snapshot(w) == before and w.controller.undo_stack.count() == depth
    (title, text), = errors
    assert title == "No documents were added"
    assert "notes.txt" in text and "binary" in text and "Nothing was added" in text


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # PySide6 marks QDragEnterEvent(QPoint, ...) deprecated
def test_files_dropped_on_the_window_are_added(window, transcript, qtbot):
    w = window
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(transcript)), QUrl.fromLocalFile(str(transcript.with_suffix(".exe")))])
    enter = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    enter.ignore()
    w.dragEnterEvent(enter)  # Qt delivers drags only from a real drag; the window's handlers are called
    assert enter.isAccepted()
    other = QMimeData()
    other.setUrls([QUrl.fromLocalFile(str(transcript.with_suffix(".exe")))])
    refused = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, other, Qt.MouseButton.LeftButton,
                              Qt.KeyboardModifier.NoModifier)
    refused.ignore()
    w.dragEnterEvent(refused)
    assert not refused.isAccepted()
    w.dropEvent(QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                           Qt.KeyboardModifier.NoModifier))
    assert [d["name"] for d in w.session.document_list()] == ["Interview with Ann"]
    assert w.documents_tab.doc_id == w.session.document_list()[0]["id"]


def test_training_sample_shows_its_quotes_highlighted_and_listed(qtbot, tmp_path, monkeypatch, errors):
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.ini"))
    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    assert w.open_example(TRAINING_LABEL, str(tmp_path / "t.lpw"))
    tab = w.documents_tab
    w.tabs.setCurrentWidget(tab)
    names = [tab.doc_list.item(i).text().split("\n")[0] for i in range(tab.doc_list.count())]
    assert names == [d["name"] for d in w.session.document_list("kestrel")] and len(names) == 2
    quotes = [q for q in w.session.document_evidence(tab.doc_id)]
    assert len(tab.view.extraSelections()) == len(quotes) > 0
    # the highlights sit on the quotes (Qt positions on the stored text)
    for sel, q in zip(tab.view.extraSelections(), sorted(quotes, key=lambda q: q["start"])):
        assert sel.cursor.selectedText() == q["quote"]
    # the event picker lists the firm's events, and keys code a quote's event
    first = sorted(quotes, key=lambda q: q["start"])[0]
    tab.select(first["start"], first["end"])
    tab.view.setFocus()
    qtbot.keyClick(tab.view, Qt.Key.Key_M)
    assert w.session.get("events", "kestrel", first["event"])["learning_types"][0] == "mimetic"
    # a code on a quote goes on that evidence item
    tab.select(first["start"], first["end"])
    tab.ask_code()
    qtbot.keyClicks(tab.prompt.edit, "Thermal rating")
    qtbot.keyClick(tab.prompt.edit, Qt.Key.Key_Return)
    items = w.session.get("events", "kestrel", first["event"])["evidence"]
    coded = [it for it in items if it.get("codes")]
    assert [(it["start"], it["codes"]) for it in coded] == [(first["start"], ["thermal-rating"])]
    assert w.session.objects("passages", tab.doc_id) == []  # no passage made: the quote carries it
    # ... and the event just coded is first in the picker of "Add as evidence to…"
    tab.select(first["start"], first["start"] + 10)
    tab.ask_evidence()
    assert tab.prompt.list.item(0).data(Qt.ItemDataRole.UserRole) == first["event"]
    assert tab.prompt.list.count() == w.session.event_count("kestrel")
    tab.prompt.cancel()
    # the event named in the margin opens in the Events tab
    tab.update_margin()
    assert f'href="event:kestrel:{first["event"]}"' in tab.margin.toHtml()
    tab.margin.anchorClicked.emit(QUrl(f"event:kestrel:{first['event']}"))
    assert w.tabs.currentWidget() is w.events_tab and w.events_tab.selected_ids() == [first["event"]]
    w.close_study()


def test_a_long_transcript_highlights_the_passages_near_the_view(window, tmp_path, qtbot, monkeypatch):
    """Past ALL_HIGHLIGHTS passages only those near the view are handed to
    Qt (which lays out every line a highlight touches); scrolling brings the
    others, each on its own characters though the text has 𝔘 in every line."""
    w = window
    lines = [f"{'Ann' if i % 2 else 'Bob'}: line {i} \U0001d518 we learned from the customer." for i in range(3000)]
    text = "\n".join(lines)
    want = []
    for i in range(0, 3000, 6):  # 500 passages, every sixth line
        a = text.index(f"line {i} ")
        want.append((a, a + len(f"line {i} \U0001d518 we")))
    passages = [{"id": f"p{n}", "start": a, "end": b} for n, (a, b) in enumerate(want)]
    w.controller.call(lambda s: s.add_document({"id": "long", "name": "Long", "firm": "acmetooling", "text": text,
                                                "passages": passages}))
    tab = w.documents_tab
    w.tabs.setCurrentWidget(tab)
    assert tab.doc_id == "long"
    assert len(tab.spans) == 500 > tab.ALL_HIGHLIGHTS

    def shown():
        return [sel.cursor.selectedText() for sel in tab.view.extraSelections()]
    first = shown()
    assert 0 < len(first) < 100 and first[0] == "line 0 \U0001d518 we"
    bar = tab.view.verticalScrollBar()
    bar.setValue(bar.maximum())
    last = shown()
    assert last[-1] == "line 2994 \U0001d518 we" and "line 0 \U0001d518 we" not in last
    assert all(t.startswith("line ") and t.endswith("\U0001d518 we") for t in last)


def test_status_bar_says_what_became_of_each_file(window, tmp_path, transcript, qtbot, monkeypatch, errors):
    w = window
    latin = tmp_path / "Field notes.txt"
    latin.write_bytes("Visit to the caf\xe9: the owner's na\xefve plan, \xa3600k.\n".encode("cp1252") * 20)
    add_through_menu(w, monkeypatch, transcript, latin)
    message = w.statusBar().currentMessage()
    assert "Added Interview with Ann" in message and "added Field notes" in message
    assert "encoding guessed: " in message
    assert "café" in w.session.document(w.session.document_list()[1]["id"])["text"]
    # a quote taken, then the file changed and added again: anchors kept where the passage is unchanged
    tab = w.documents_tab
    tab.show_document(w.session.document_list()[0]["id"])
    for n, quote in enumerate(("The audit was the shock.", "Then the college came.")):
        a = TEXT.index(quote)
        tab.select(a, a + len(quote))
        tab.ask_new_event()
        qtbot.keyClicks(tab.prompt.edit, f"Event {n}")
        qtbot.keyClick(tab.prompt.edit, Qt.Key.Key_Return)
    transcript.write_bytes(SOURCE.replace("Then the college came.", "Then a consultant came.").encode("utf-8"))
    add_through_menu(w, monkeypatch, transcript)
    message = w.statusBar().currentMessage()
    assert "read Interview with Ann again: 1 anchor kept, 1 dropped" in message.replace("Read", "read")
    assert tab.view.toPlainText().count("consultant") == 1  # the view shows the new text
    assert not errors


def test_too_large_a_file_is_refused_unread(window, tmp_path, monkeypatch, errors):
    w = window
    big = tmp_path / "recording.txt"
    with open(big, "wb") as fh:
        fh.truncate(200 * 1024 * 1024)  # sparse: nothing is written
    before = snapshot(w)
    add_through_menu(w, monkeypatch, big)
    assert snapshot(w) == before
    (title, text), = errors
    assert title == "No documents were added" and "recording.txt" in text and "MB" in text


def test_all_documents_switch_and_context_menu(window, transcript, tmp_path, qtbot, monkeypatch):
    w = window
    add_through_menu(w, monkeypatch, transcript)
    other = tmp_path / "Other firm notes.txt"
    other.write_text("Bob: Another firm entirely.\n", encoding="utf-8")
    w.add_firm("Bravo Ltd")
    add_through_menu(w, monkeypatch, other)
    tab = w.documents_tab

    def listed():
        return [tab.doc_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(tab.doc_list.count())]
    assert listed() == ["other-firm-notes"]
    tab.all_docs.setChecked(True)
    assert listed() == ["interview-with-ann", "other-firm-notes"]
    w.select_firm("acmetooling")
    tab.all_docs.setChecked(False)
    assert listed() == ["interview-with-ann"]
    # the context menu on a selection offers the coding steps, above the text's own
    a = TEXT.index("We wrote it all down.")
    tab.select(a, a + len("We wrote it all down."))
    menu = tab.context_menu(tab.view.cursorRect().center())
    seen = [act.text() for act in menu.actions() if act.text()]
    assert seen[:5] == ["New event from selection…", "Add as evidence to…", "Apply code…", "New code…", "Memo…"]
    assert any("Copy" in t for t in seen[5:])
    next(act for act in menu.actions() if act.text() == "Apply code…").trigger()
    menu.deleteLater()
    assert tab.prompt.isVisible() and tab.prompt.mode == "code"
    qtbot.keyClicks(tab.prompt.edit, "Writing down")
    qtbot.keyClick(tab.prompt.edit, Qt.Key.Key_Return)
    (passage,) = w.session.objects("passages", "interview-with-ann")
    assert TEXT[passage["start"]:passage["end"]] == "We wrote it all down."
    menu = tab.context_menu(tab.view.cursorRect().center())  # on a coded passage: it can be removed
    next(act for act in menu.actions() if act.text() == "Remove the coded passage").trigger()
    menu.deleteLater()
    assert w.session.objects("passages", "interview-with-ann") == []
    w.undo_slot.trigger()
    # Escape leaves the prompt, nothing changed
    tab.ask_memo()
    qtbot.keyClicks(tab.prompt.edit, "not kept")
    qtbot.keyClick(tab.prompt.edit, Qt.Key.Key_Escape)
    assert not tab.prompt.isVisible() and "memo" not in w.session.objects("passages", "interview-with-ann")[0]


def test_a_study_without_firms_lists_its_documents_with_the_study(qtbot, tmp_path, transcript, monkeypatch, errors):
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.ini"))
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    assert w.new_study(str(tmp_path / "bare.lpw"), "No firms yet", "4I")
    add_through_menu(w, monkeypatch, transcript)
    tab = w.documents_tab
    assert tab.all_docs.isChecked() and tab.doc_id == "interview-with-ann"
    assert tab.doc_list.item(0).data(Qt.ItemDataRole.UserRole) == "interview-with-ann"
    a = TEXT.index("We wrote it all down.")
    tab.select(a, a + 5)
    tab.ask_new_event()  # no firm to hold an event: said, nothing asked
    assert not tab.prompt.isVisible() and "Firm > Add firm" in w.statusBar().currentMessage()
    assert not errors
    w.close_study()
