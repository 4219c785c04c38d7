"""The text core: Qt positions against the format's, anchoring typed quotes,
keeping anchors when a document changes, and search across documents."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from workbench.core.anchor import (
    Corpus,
    Match,
    anchor_report,
    find_quote,
    fold,
    fold_quote,
    reanchor,
)
from workbench.core.errors import InputError
from workbench.core.model import Evidence
from workbench.core.search import search
from workbench.core.textpos import (
    Offsets,
    Speakers,
    cp_to_utf16,
    describe,
    locate,
    speaker_at,
    stored_text,
    utf16_to_cp,
)


def u16len(s: str) -> int:
    """The oracle: how many UTF-16 units Python's own encoder makes of s."""
    return len(s.encode("utf-16-le")) // 2


# --- UTF-16 units and code points ----------------------------------------

ASTRAL_TEXT = "😀 Ann: 𝔘nd we said 👍🏽 — fine.\n𝔘𝔘x"


@pytest.mark.parametrize("passage", ["😀 Ann", "𝔘nd we", "said 👍🏽", "fine.\n𝔘𝔘", "𝔘x", "x"])
def test_selection_with_astral_characters_before_inside_and_after(passage):
    text = ASTRAL_TEXT
    start = text.index(passage)
    end = start + len(passage)
    qt_start, qt_end = u16len(text[:start]), u16len(text[:end])
    assert cp_to_utf16(text, start) == qt_start
    assert cp_to_utf16(text, end) == qt_end
    assert utf16_to_cp(text, qt_start) == start
    assert utf16_to_cp(text, qt_end) == end
    assert text[utf16_to_cp(text, qt_start):utf16_to_cp(text, qt_end)] == passage


def test_offset_inside_a_surrogate_pair_is_refused_or_widened():
    text = "ab😀cd"
    off = Offsets(text)
    assert off.u16_length == 6
    with pytest.raises(ValueError, match="inside a character above U\\+FFFF"):
        off.to_cp(3)
    assert off.to_cp(3, inside="before") == 2
    assert off.to_cp(3, inside="after") == 3
    # A selection ending in the middle of the emoji takes the whole emoji.
    assert off.selection_to_cp(3, 1) == (1, 3)
    with pytest.raises(ValueError, match="outside the text"):
        off.to_cp(7)
    with pytest.raises(ValueError, match="outside the text"):
        off.to_u16(6)


texts = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)


@given(texts)
def test_every_offset_round_trips(text):
    off = Offsets(text)
    assert off.u16_length == u16len(text)
    for cp in range(len(text) + 1):
        u16 = off.to_u16(cp)
        assert u16 == u16len(text[:cp])
        assert off.to_cp(u16) == cp
    inside = {u16len(text[:i]) + 1 for i, ch in enumerate(text) if ord(ch) > 0xFFFF}
    for u16 in range(off.u16_length + 1):
        if u16 in inside:
            with pytest.raises(ValueError):
                off.to_cp(u16)
        else:
            assert off.to_u16(off.to_cp(u16)) == u16


def test_conversions_on_a_long_text_are_quick():
    import time

    text = ("plain words 😀 and 𝔘 " * 50_000)[:1_000_000]
    t0 = time.perf_counter()
    off = Offsets(text)
    for cp in range(0, len(text), 250):  # 4,000 conversions each way
        assert off.to_cp(off.to_u16(cp)) == cp
    assert time.perf_counter() - t0 < 2.0  # a linear scan per conversion takes minutes


def test_stored_text_makes_line_ends_newlines_and_nfc():
    assert stored_text("a\r\nb\rc\n") == "a\nb\nc\n"
    assert stored_text("Cafe\u0301") == "Café"
    assert len(stored_text("Cafe\u0301")) == 4


def test_qt_selection_on_a_crlf_file_lands_on_the_stored_text(qapp):
    """A QPlainTextEdit given the file's own CRLF text counts each CRLF as one
    position (a block separator), as the stored "\\n" text does; its
    positions are UTF-16 units, so characters above U+FFFF count twice.
    Qt's plain text has "\\n"; its selectedText() has U+2029 for each line
    end, which is why a quote is cut from the stored text."""
    from PySide6.QtGui import QTextCursor, QTextDocument
    from PySide6.QtWidgets import QPlainTextEdit

    raw = "Interviewer: And then?\r\nAnn: 😀 We bought 𝔘 machine\r\nand it \u2014 worked.\r\nBob: 👍🏽 yes\r\n"
    stored = stored_text(raw)
    for shown in (raw, stored):
        edit = QPlainTextEdit()
        edit.setPlainText(shown)
        doc = edit.document()
        assert doc.toPlainText() == stored  # Qt made the CRLFs "\n" itself
        off = Offsets(stored)
        # Keystrokes to select each passage: 👍🏽 (thumb + skin tone, two code
        # points, four UTF-16 units) is one character to the keyboard.
        for passage, keys in (("We bought 𝔘 machine\nand it", 26), ("😀", 1), ("👍🏽 yes", 5),
                              ("worked.\nBob", 11)):
            first_line = passage.split("\n")[0]
            found = doc.find(first_line)
            assert not found.isNull()
            cursor = QTextCursor(doc)
            cursor.setPosition(found.selectionStart())
            # Extend the selection as Shift+Right does, one character at a time.
            cursor.movePosition(QTextCursor.MoveOperation.NextCharacter,
                                QTextCursor.MoveMode.KeepAnchor, keys)
            start, end = off.selection_to_cp(cursor.selectionStart(), cursor.selectionEnd())
            assert stored[start:end] == passage
            assert cursor.selectedText() == passage.replace("\n", "\u2029")
            assert cursor.selectionEnd() == cp_to_utf16(stored, end)
        edit.deleteLater()
    assert QTextDocument(stored).characterCount() == u16len(stored) + 1  # + the final block end


# --- where a quote is, for a reader ---------------------------------------

TRANSCRIPT = ("Interviewer: When did it start?\n"
              "Ann: In 2001, after the audit.\n"
              "\n"
              "Bob: We had no idea.\n"
              "   \n"
              "Ann: The college came in.")


def test_locate_counts_lines_with_text_as_paragraphs():
    t = TRANSCRIPT
    assert locate(t, 0).paragraph == 1
    ann = t.index("In 2001")
    assert locate(t, ann) == locate(t, ann)
    assert (locate(t, ann).paragraph, locate(t, ann).line, locate(t, ann).column) == (2, 2, 6)
    bob = t.index("We had")
    assert (locate(t, bob).paragraph, locate(t, bob).line) == (3, 4)
    college = t.index("college")
    assert (locate(t, college).paragraph, locate(t, college).line) == (4, 6)
    blank = t.index("\n\n") + 1  # on the empty line: the paragraph that follows
    assert locate(t, blank).paragraph == 3
    assert locate(t, len(t)).paragraph == 4
    with pytest.raises(ValueError):
        locate(t, len(t) + 1)


def test_describe_names_document_paragraph_and_speaker():
    t = TRANSCRIPT
    s = t.index("We had")
    assert describe("Interview with Ann", t, s, s + 15, "Bob") == "Interview with Ann, paragraph 3, Bob"
    s2 = t.index("after the audit")
    assert describe("Interview with Ann", t, s2, t.index("no idea") + 7, None) == \
        "Interview with Ann, paragraphs 2\u20133"
    # A passage ending with its line's end stays in its paragraph.
    line_end = t.index("\n", s2) + 1
    assert describe("Doc", t, s2, line_end) == "Doc, paragraph 2"


def test_speakers_are_read_from_turn_labels():
    text = ("Recorded 10:32 at the works.\n"
            "Interviewer: When did it start?\n"
            "Ann: In 2001.\n"
            "It was after the audit.\n"
            "\n"
            "Dr Bob Jones (CEO):\tWe agreed: no more.\n"
            "So I said to him: go away.\n"
            "Ann: Yes.")
    who = Speakers(text)
    assert who.at(0) is None  # before the first turn
    assert who.at(text.index("When")) == "Interviewer"
    assert who.at(text.index("after the audit")) == "Ann"  # a line without a label continues
    assert who.at(text.index("\n\n") + 1) == "Ann"
    assert who.at(text.index("no more")) == "Dr Bob Jones (CEO)"  # a colon inside a turn is no label
    assert who.at(text.index("go away")) == "Dr Bob Jones (CEO)"  # five words are no name
    assert who.at(len(text)) == "Ann"
    assert who.names() == ["Interviewer", "Ann", "Dr Bob Jones (CEO)"]
    assert speaker_at(text, text.index("Yes")) == "Ann"
    assert Speakers("No labels here.\nNone at all.").names() == []


# --- anchoring a typed quote ----------------------------------------------

DOC = ("Ann: We didn\u2019t know \u2014 at all \u2014 what the auditor wanted.\n"
       "Bob: Then the college\u00a0came in, and\n"
       "they said \u201clean\u201d was the answer\u2026 so we   tried it.\n")


def only(matches: list[Match]) -> Match:
    assert len(matches) == 1, matches
    return matches[0]


def test_exact_quote_is_found_as_typed():
    m = only(find_quote("what the auditor wanted.", [("d1", DOC)]))
    assert (m.document_id, m.exact) == ("d1", True)
    assert DOC[m.start:m.end] == m.quote == "what the auditor wanted."


@pytest.mark.parametrize("typed, document_has", [
    ("We didn't know - at all - what", "We didn\u2019t know \u2014 at all \u2014 what"),   # straight vs curly, hyphen vs em dash
    ("We didn't know--at all", "We didn\u2019t know \u2014 at all"),                      # -- for a dash, no spaces
    ("Then the college came in", "Then the college\u00a0came in"),                        # non-breaking space
    ("came in, and they said", "came in, and\nthey said"),                                # a line break inside
    ("they said  \"lean\"   was", "they said \u201clean\u201d was"),                       # double quotes, extra spaces
    ("the answer... so we tried it", "the answer\u2026 so we   tried it"),                 # ellipsis, spacing
    ("\u201cThen the college came in\u201d", "Then the college\u00a0came in"),             # wrapped in quote marks
    ("...so we tried it", "so we   tried it"),                                            # a cut marked at the start
    ("we didn't know", "We didn\u2019t know"),                                            # first letter's case
])
def test_tolerant_match_gives_the_documents_own_characters(typed, document_has):
    m = only(find_quote(typed, [("d1", DOC)]))
    assert not m.exact
    assert m.quote == document_has == DOC[m.start:m.end]


def test_case_is_not_folded_after_the_first_letter():
    assert find_quote("We Didn't Know", [("d1", DOC)]) == []
    assert find_quote("THEN THE COLLEGE", [("d1", DOC)]) == []


def test_ambiguous_and_not_found():
    docs = [("d1", DOC), ("d2", "Carol: Then the college came in, twice.\n")]
    # As typed in d2, with an invisible non-breaking space in d1: ambiguous,
    # the one as typed first.
    ms = find_quote("Then the college came in", docs)
    assert [(m.document_id, m.exact) for m in ms] == [("d2", True), ("d1", False)]
    assert all(dict(docs)[m.document_id][m.start:m.end] == m.quote for m in ms)
    # A first letter in the other case is tried only when nothing else is found.
    assert [m.document_id for m in find_quote("carol: Then the", docs)] == ["d2"]
    assert find_quote("Carol: then the", docs) == []
    ms = find_quote("College came in", docs)
    assert [(m.document_id, m.quote) for m in ms] == [("d1", "college\u00a0came in"),
                                                     ("d2", "college came in")]
    assert [m.document_id for m in find_quote("college came in, twice", docs)] == ["d2"]
    twice = find_quote("no", [("d", "no, no and no")])
    assert [m.start for m in twice] == [0, 4, 11]
    assert find_quote("the inspector wanted", docs) == []
    assert find_quote("   ", docs) == []


def test_anchor_report_sorts_quotes():
    docs = [("d1", DOC), ("d2", "Carol: so we tried it again.\n")]
    items = [{"quote": "We didn't know - at all", "speaker": "Ann"},
             {"quote": "so we tried it"},
             {"quote": "the inspector wanted"},
             "Then the college came in"]
    report = anchor_report(items, docs)
    assert [(item, m.document_id, m.quote) for item, m in report.found] == [
        (items[0], "d1", "We didn\u2019t know \u2014 at all"),
        (items[3], "d1", "Then the college\u00a0came in")]
    assert [(item, sorted(m.document_id for m in ms)) for item, ms in report.ambiguous] == [
        (items[1], ["d1", "d2"])]
    assert report.not_found == [items[2]]
    assert report.summary() == "2 found, 1 ambiguous, 1 not found"


SPECIALS = " \u00a0\n\t'\u2019\"\u201c\u201d-\u2014\u2013\u2026.\u200bﬁ"


@settings(max_examples=300)
@given(st.text(alphabet=string.ascii_letters[:6] + SPECIALS, min_size=1, max_size=40),
       st.data())
def test_any_passage_typed_with_other_marks_is_found_at_the_documents_characters(text, data):
    a = data.draw(st.integers(0, len(text) - 1))
    b = data.draw(st.integers(a + 1, len(text)))
    passage = text[a:b]
    assume(fold_quote(passage))
    # a passage of dashes alone ("—" typed as "--" in "—--") is rightly found where the
    # document has the typed characters themselves: a quote worth anchoring has a word in it
    assume(any(c.isalnum() for c in passage))
    typed = passage.translate(str.maketrans({"\u2019": "'", "\u201c": '"', "\u201d": '"',
                                             "\u2014": "--", "\u00a0": " ", "\n": "  ",
                                             "\u2026": "..."}))
    matches = find_quote(typed, [("d", text)])
    assert matches
    want = fold_quote(typed)
    for m in matches:
        assert text[m.start:m.end] == m.quote
        got = fold_quote(m.quote)
        assert got[1:] == want[1:] and got[0].lower() == want[0].lower()
    blank = " \u00a0\n\t\u200b"
    a2 = a + len(passage) - len(passage.lstrip(blank))
    b2 = b - (len(passage) - len(passage.rstrip(blank)))
    assert any(m.start <= a2 and m.end >= b2 for m in matches)


def test_fold_maps_back_to_whole_original_characters():
    text = "x \u2014  y\u2026z  \n w\u200bv"
    f = fold(text)
    assert f.text == "x-y...z wv"
    assert f.span(0, 3) == (0, 6)             # "x-y" is "x \u2014  y"
    assert f.span(1, 2) == (2, 3)             # the dash alone, without its spaces
    assert f.span(3, 6) == (6, 7)             # the three dots are the ellipsis
    assert f.span(7, 8) == (8, 12)            # the space is the whole run
    assert f.span(8, 10) == (12, 15)          # "wv" across a zero-width space
    assert f.span(3, 5) is None               # two dots of the ellipsis are not the ellipsis
    assert f.span(2, 4) is None
    assert find_quote("f", [("d", "\ufb01f")]) == [Match("d", 1, 2, "f", True)]
    assert [h.start for h in search([("d", "\ufb01f \ufb01")], "fi", "phrase")] == [0, 3]


def test_corpus_refolds_a_document_whose_text_changed():
    corpus = Corpus()
    assert find_quote("new \u201cmachine\u201d", [("d", 'a new "machine"')], corpus)[0].start == 2
    ms = find_quote("new \u201cmachine\u201d", [("d", 'the new "machine"')], corpus)
    assert ms[0].start == 4
    assert len(corpus) == 1


# --- a document imported again ---------------------------------------------

OLD = ("Interviewer: When did it start?\n"
       "Ann: In 2001, after the audit failed.\n"
       "Bob: We bought a new machine and it worked.\n"
       "Ann: The college came in.\n")


def anchored(text: str, quote: str, **extra) -> dict:
    start = text.index(quote)
    return {"quote": quote, "document": "d1", "start": start, "end": start + len(quote), **extra}


def test_reanchor_shifts_passages_after_an_insertion_before_them():
    new = "Interviewer: Thanks for coming.\n" + OLD.replace("When did", "So, When did")
    items = [anchored(OLD, "after the audit failed", speaker="Ann"),
             anchored(OLD, "The college came in."),
             anchored(OLD, "When did it start?")]
    kept, dropped = reanchor(OLD, new, items)
    assert dropped == []
    assert [k["quote"] for k in kept] == [i["quote"] for i in items]
    for k in kept:
        assert new[k["start"]:k["end"]] == k["quote"]
    assert kept[0]["speaker"] == "Ann" and kept[0]["start"] > items[0]["start"]
    assert items[0]["start"] == OLD.index("after")  # the items given are not changed


def test_reanchor_drops_a_passage_edited_inside_and_keeps_its_neighbours():
    new = OLD.replace("a new machine", "a used machine")
    inside = anchored(OLD, "We bought a new machine")
    same_line = anchored(OLD, "and it worked.")
    before = anchored(OLD, "after the audit failed.\nBob: We bought")
    kept, dropped = reanchor(OLD, new, [inside, same_line, before])
    assert dropped == [inside]
    assert [k["quote"] for k in kept] == ["and it worked.", "after the audit failed.\nBob: We bought"]
    assert all(new[k["start"]:k["end"]] == k["quote"] for k in kept)


def test_reanchor_keeps_a_moved_passage_only_when_it_is_unique():
    lines = OLD.splitlines(keepends=True)
    moved = "".join([lines[0], lines[3], lines[1], lines[2]])
    first_ann = anchored(OLD, "Ann: ")
    second_ann = {**first_ann, "start": OLD.rindex("Ann: "), "end": OLD.rindex("Ann: ") + 5}
    kept, dropped = reanchor(OLD, moved, [anchored(OLD, "The college came in."), first_ann,
                                          second_ann])
    # The unique quote is followed to its new place, as is "Ann: " on a line
    # that kept its place among its neighbours.
    assert [(k["quote"], k["start"]) for k in kept] == [
        ("The college came in.", moved.index("The college came in.")),
        ("Ann: ", moved.index("Ann: In 2001"))]
    # "Ann: " on the moved line occurs twice: where it went cannot be told,
    # so it is listed, not guessed.
    assert dropped == [second_ann]


def test_reanchor_after_lines_were_joined(monkeypatch):
    new = OLD.replace("\n", " ")
    across = anchored(OLD, "failed.\nBob: We")
    within = anchored(OLD, "a new machine and it worked.")
    second_ann = {"quote": "Ann: ", "start": OLD.rindex("Ann: "), "end": OLD.rindex("Ann: ") + 5}
    kept, dropped = reanchor(OLD, new, [across, within, second_ann])
    assert [(k["quote"], k["start"]) for k in kept] == [
        ("a new machine and it worked.", new.index("a new machine")),
        ("Ann: ", new.rindex("Ann: "))]
    assert dropped == [across]
    # A change too large to compare word by word: only unique quotes are followed.
    monkeypatch.setattr("workbench.core.anchor._TOKEN_DIFF_LIMIT", 0)
    kept, dropped = reanchor(OLD, new, [across, within, second_ann])
    assert [(k["quote"], k["start"]) for k in kept] == [
        ("a new machine and it worked.", new.index("a new machine"))]
    assert dropped == [across, second_ann]


def test_reanchor_handles_evidence_objects_and_unanchored_items():
    ev = Evidence(quote="The college came in.", document="d1",
                  start=OLD.index("The college"), end=OLD.index("The college") + 20)
    stale = {"quote": "not there", "document": "d1", "start": 0, "end": 9}
    loose = {"quote": "anything at all"}
    new = "Preface.\n" + OLD
    kept, dropped = reanchor(OLD, new, [ev, stale, loose])
    assert kept[0].start == ev.start + 9 and isinstance(kept[0], Evidence)
    assert kept[1] is loose
    assert dropped == [stale]
    assert reanchor(OLD, OLD, [ev]) == ([ev], [])


words = st.sampled_from(["we", "bought", "a", "new", "machine", "the", "college", "\n", "audit", "."])


@settings(max_examples=200)
@given(st.lists(words, max_size=30), st.lists(words, max_size=30),
       st.lists(words, max_size=30), st.lists(words, max_size=30))
def test_reanchor_keeps_an_untouched_passage_and_never_keeps_a_wrong_one(before, after, new_before,
                                                                     new_after):
    passage = "Zoe said: quality matters"
    old = " ".join(before) + " " + passage + " " + " ".join(after)
    new = " ".join(new_before) + " " + passage + " " + " ".join(new_after)
    item = anchored(old, passage)
    kept, dropped = reanchor(old, new, [item])
    assert len(kept) == 1 and dropped == []
    assert new[kept[0]["start"]:kept[0]["end"]] == passage
    # A passage that no longer appears is never kept.
    gone = new.replace("quality", "quantity")
    kept, dropped = reanchor(old, gone, [item])
    assert kept == [] and dropped == [item]


# --- search across documents -----------------------------------------------

DOCS = [
    ("d1", ("Interviewer: Did you export?\nAnn: We started exporting in 2001 \u2014 to France.\n"
            "Ann: Export was hard. We didn\u2019t\nknow the market.")),
    ("d2", "Bob: The EXPORT agent helped.\nBob: we didn't know anyone there."),
]


def spans(hits):
    return [(h.document_id, h.match) for h in hits]


def test_word_mode_matches_whole_words_ignoring_case():
    hits = search(DOCS, "export", "word")
    assert spans(hits) == [("d1", "export"), ("d1", "Export"), ("d2", "EXPORT")]
    for h in hits:
        assert dict(DOCS)[h.document_id][h.start:h.end] == h.match
    assert spans(search(DOCS, "export", "word", case=True)) == [("d1", "export")]


def test_phrase_mode_matches_inside_words_and_across_line_breaks_and_marks():
    assert spans(search(DOCS, "export", "phrase")) == [
        ("d1", "export"), ("d1", "export"), ("d1", "Export"), ("d2", "EXPORT")]
    hits = search(DOCS, "we didn't know", "phrase")
    assert spans(hits) == [("d1", "We didn\u2019t know"), ("d2", "we didn't know")]
    d1 = dict(DOCS)["d1"]
    assert d1[hits[0].start:hits[0].end] == "We didn\u2019t\nknow"  # the hit shows it on one line
    assert spans(search(DOCS, "2001 - to France", "word")) == [("d1", "2001 \u2014 to France")]


def test_hits_carry_line_paragraph_and_speaker():
    asked = []

    def speaker_at(doc_id, offset):
        asked.append((doc_id, offset))
        turns = re.findall(r"^(\w+):", dict(DOCS)[doc_id][:offset], re.MULTILINE)
        return turns[-1] if turns else None

    hits = search(DOCS, "know", "word", speaker_at=speaker_at)
    assert [(h.document_id, h.line, h.paragraph, h.speaker) for h in hits] == [
        ("d1", 4, 4, "Ann"), ("d2", 2, 2, "Bob")]
    assert asked == [(h.document_id, h.start) for h in hits]
    # The corpus reads speakers from turn labels.
    corpus = Corpus()
    hits = search(DOCS, "know", "word", speaker_at=corpus.speaker_at, corpus=corpus)
    assert [h.speaker for h in hits] == ["Ann", "Bob"]
    assert corpus.speaker_at("unknown", 0) is None


def test_regex_mode_runs_over_the_documents_own_text():
    hits = search(DOCS, r"^Ann: \w+", "regex")
    assert spans(hits) == [("d1", "Ann: We"), ("d1", "Ann: Export")]
    assert spans(search(DOCS, r"didn't", "regex")) == [("d2", "didn't")]  # no folding here
    assert spans(search(DOCS, r"t\nk", "regex")) == [("d1", "t k")]
    assert spans(search(DOCS, r"x*", "regex")) == [("d1", "x")] * 3 + [("d2", "X")]  # empty matches skipped
    assert spans(search(DOCS, "EXPORT", "regex", case=True)) == [("d2", "EXPORT")]


def test_a_bad_regular_expression_is_named_with_where_it_fails():
    with pytest.raises(InputError) as e:
        search(DOCS, "we (started|stopped exporting", "regex")
    err = e.value
    assert err.exit_code == 2
    assert "not a valid regular expression" in err.message
    assert "missing ), unterminated subpattern at character 4" in err.message
    assert err.lines()[1:] == ["    we (started|stopped exporting", "       ^"]
    with pytest.raises(InputError, match="repeats a part that itself repeats"):
        search(DOCS, r"(\w+\s?)+$", "regex")


def test_nested_repeats_are_refused_before_they_run():
    for pattern in (r"(a+)+b", r"(?:x|(\w+\s?)*)+", r"((ab)*c)*", r"(?=(a+)+)b"):
        with pytest.raises(InputError, match="repeats a part that itself repeats"):
            search(DOCS, pattern, "regex")
    for pattern in (r"(ab)+c", r"(a{1,3})+", r"\w+\s+\w+", r"(?>a+)+b", r"(very )+good"):
        search(DOCS, pattern, "regex")


def test_empty_query_and_unknown_mode_are_refused():
    with pytest.raises(InputError, match="empty"):
        search(DOCS, "  \n", "phrase")
    with pytest.raises(InputError, match="no letters"):
        search(DOCS, "\u200b", "phrase")
    with pytest.raises(InputError, match="Unknown search mode 'fuzzy'"):
        search(DOCS, "x", "fuzzy")


def test_context_stops_at_the_edges_of_the_text():
    text = "Export first.\nThen more words here and then the last word export"
    hits = search([("d", text)], "export", "word", context=10)
    assert [(h.left, h.match, h.right) for h in hits] == [
        ("", "Export", " first. Th"), ("last word ", "export", "")]
    assert hits[0].kwic(12) == "            [Export] first. Th"
    wide = search([("d", text)], "export", "word", context=1000)
    assert wide[0].right == text[6:].replace("\n", " ")
    assert wide[1].left == text[:-6].replace("\n", " ")


def test_offsets_are_code_points_with_astral_characters():
    text = "😀😀 we export 𝔘 export"
    hits = search([("d", text)], "export", "word")
    assert [(h.start, h.end) for h in hits] == [(6, 12), (15, 21)]
    assert [text[h.start:h.end] for h in hits] == ["export", "export"]
    assert hits[1].left.endswith("𝔘 ")


def test_search_sees_a_changed_document_and_stops_at_the_limit():
    corpus = Corpus()
    assert len(search([("d", "one export")], "export", corpus=corpus)) == 1
    assert len(search([("d", "export, export, export")], "export", corpus=corpus)) == 3
    assert len(search([("d", "export, export, export")], "export", corpus=corpus, limit=2)) == 2


def test_ignoring_case_where_lower_case_is_longer():
    # "İ".lower() is two characters: that document is searched another way,
    # with the same offsets.
    text = "İstanbul: we export to \u0130ZMIR and Export more"
    hits = search([("d", text), ("e", "EXPORT")], "export", "word")
    assert [(h.document_id, text[h.start:h.end] if h.document_id == "d" else h.match)
            for h in hits] == [("d", "export"), ("d", "Export"), ("e", "EXPORT")]
    assert [h.match for h in search([("d", text)], "izmir", "phrase")] == ["\u0130ZMIR"]


def test_word_mode_after_a_rejected_candidate_finds_the_next_one():
    # "aa" inside "xaa" is not a word; the search goes on to the real one.
    assert [h.start for h in search([("d", "xaa aa")], "aa", "word")] == [4]
    assert [h.start for h in search([("d", "ab ab ab")], "ab ab", "word")] == [0]
    assert search([("d", "Straße")], "strasse", "word") == []


@settings(max_examples=300)
@given(st.text(alphabet="abAB_1 \n\u00a0'\u2019-\u2014\u2026.\U0001d518", min_size=1, max_size=40),
       st.data())
def test_every_hit_is_the_query_up_to_folding_and_case(text, data):
    a = data.draw(st.integers(0, len(text) - 1))
    b = data.draw(st.integers(a + 1, len(text)))
    query = text[a:b]
    assume(fold_quote(query))
    for mode in ("phrase", "word"):
        hits = search([("d", text)], query, mode)
        want = fold_quote(query).lower()
        for h in hits:
            assert fold_quote(text[h.start:h.end]).lower() == want
            assert h.match == re.sub(r"\s+", " ", text[h.start:h.end])
            if mode == "word":
                before, after = text[h.start - 1:h.start], text[h.end:h.end + 1]
                assert not (before and (before.isalnum() or before == "_") and
                            (want[0].isalnum() or want[0] == "_"))
                assert not (after and (after.isalnum() or after == "_") and
                            (want[-1].isalnum() or want[-1] == "_"))
        if mode == "phrase":
            assert hits  # the passage itself is there
            assert any(h.start <= a + len(query) - len(query.lstrip()) for h in hits)


def test_phrase_search_of_a_corpus_is_quick():
    import random
    import time

    rng = random.Random(3)
    vocab = [
        "we", "the", "customer", "quality", "machine", "export", "didn’t", "—", "said",
        "bought", "new", "audit"
    ]
    docs = [(f"d{i}", "\n".join(" ".join(rng.choice(vocab) for _ in range(20)) for _ in range(500)))
            for i in range(50)]
    corpus = Corpus()
    search(docs, "bought a new machine", "phrase", corpus=corpus)  # folds each document once
    t0 = time.perf_counter()
    hits = search(docs, "quality machine", "phrase", corpus=corpus)
    elapsed = time.perf_counter() - t0
    assert hits
    assert elapsed < 1.0  # the goal is 0.2 s (bench/search.py); generous here for a loaded machine
    assert all(re.fullmatch(r"(?i)quality\s+machine", dict(docs)[h.document_id][h.start:h.end])
               for h in hits)
