"""Documents through the session: add, remove keeping quotes, read again
keeping unchanged anchors, anchoring typed quotes."""


import pytest

from conftest import minimal_study
from workbench import services
from workbench.core.errors import InputError
from workbench.core.validate import validate
from workbench.session import Session

TEXT = ("Interviewer: How did it start?\n"
        "Ann: We had no idea. Then the college came.\n"
        "Ann: The \u201cquality\u201d audit \u2014 that was the shock.\n")


@pytest.fixture
def s(tmp_path, write_json):
    doc = minimal_study()
    doc["documents"] = [{"id": "d1", "name": "Interview with Ann", "text": TEXT}]
    start = TEXT.index("We had no idea.")
    ev = doc["firms"][0]["events"][0]
    ev["evidence"] = [{"quote": "We had no idea.", "document": "d1", "start": start, "end": start + 15},
                      {"quote": "The \"quality\" audit - that was the shock", "speaker": "Ann"},
                      {"quote": "Not in any document", "speaker": "Ann"}]
    doc["documents"][0]["passages"] = [{"id": "p1", "start": TEXT.index("Then"), "end": TEXT.index("came.") + 5}]
    lpw = tmp_path / "s.lpw"
    services.import_file(lpw, write_json(doc))
    session = Session(lpw)
    yield session
    session.close()


def evidence(s):
    return s.db.get("events", "f1", "e1")["evidence"]


def test_anchor_typed_quotes(s):
    before = s.db.load_doc()
    report = s.anchor_quotes()
    assert (len(report.found), len(report.ambiguous), len(report.not_found)) == (1, 0, 1)
    ev = evidence(s)[1]
    assert ev["quote"] == "The \u201cquality\u201d audit \u2014 that was the shock"  # the document's own characters
    assert TEXT[ev["start"]:ev["end"]] == ev["quote"] and ev["speaker"] == "Ann"
    assert "document" not in evidence(s)[2]
    assert validate(s.db.load_doc())[1].ok
    s.undo()
    assert s.db.load_doc() == before


def test_read_again_keeps_unchanged_anchors(s):
    new_text = "Interviewer: So, how did it all start?\n" + TEXT.split("\n", 1)[1].replace("the college", "a college")
    before = s.db.load_doc()
    edit, dropped = s.replace_document_text("d1", new_text)
    ev = evidence(s)[0]
    assert ev["document"] == "d1" and new_text[ev["start"]:ev["end"]] == "We had no idea."  # moved with the text
    assert [d["passage"] for d in dropped] == ["p1"]  # "Then the college came." changed
    assert s.db.document("d1").get("passages") is None
    assert validate(s.db.load_doc())[1].ok
    s.undo()
    assert s.db.load_doc() == before
    assert s.replace_document_text("d1", TEXT) == (None, [])


def test_remove_document_keeps_quotes_unanchored(s):
    before = s.db.load_doc()
    s.remove_document("d1")
    ev = evidence(s)[0]
    assert ev["quote"] == "We had no idea." and "document" not in ev
    assert ev["location"] == "Interview with Ann, paragraph 2"
    assert s.db.load_doc().get("documents") in (None, [])
    assert validate(s.db.load_doc())[1].ok
    s.undo()
    assert s.db.load_doc() == before


def test_add_document(s):
    s.add_document({"id": "d2", "name": "Notes", "text": "A visit.", "kind": "observation", "firm": "f1"})
    assert s.db.document("d2")["kind"] == "observation"
    with pytest.raises(InputError):
        s.add_document({"id": "d2", "name": "Again", "text": "x"})
    with pytest.raises(InputError):
        s.add_document({"id": "d3", "name": "Bad", "text": "x", "kind": "novel"})
