"""The command line for documents: add (and add again), list, remove,
anchor, search."""

import json

from docx import Document as DocxDocument

from conftest import TRAINING
from workbench import services
from workbench.cli import main
from workbench.core.validate import validate
from workbench.store.study_db import StudyDB


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err
    return code, out, err


def study(tmp_path):
    lpw = tmp_path / "s.lpw"
    services.import_file(lpw, TRAINING)
    return lpw


def test_add_list_search_remove(tmp_path, capsys):
    lpw = study(tmp_path)
    notes = tmp_path / "site visit.txt"
    notes.write_bytes("Interviewer: How did the audit go?\r\nAnn Kerrigan: Badly. We had no idea what "
                      "\u201cquality\u201d meant.\r\n".encode("cp1252"))
    visit = tmp_path / "visit.docx"
    d = DocxDocument()
    d.add_paragraph("Owner: The college came in March.")
    d.add_paragraph("Interviewer: And then?")
    d.save(visit)
    code, out, err = run(capsys, "documents", "add", lpw, notes, visit, "--firm", "kestrel", "--kind", "interview")
    assert code == 0, err
    assert "added as 'site-visit'" in out and "2 speaker turns" in out and "guessed" in out
    with StudyDB.open(lpw) as db:
        doc = db.document("site-visit")
        assert doc["text"].endswith("We had no idea what \u201cquality\u201d meant.\n")  # CRLF stored as \n
        assert doc["firm"] == "kestrel" and doc["kind"] == "interview"
    code, out, _ = run(capsys, "documents", "list", lpw)
    assert "site-visit\tsite visit (interview, firm kestrel)" in out
    code, out, err = run(capsys, "search", lpw, "college", "--speaker", "Owner")
    assert code == 0 and out.startswith("visit, paragraph 1, Owner: ") and "[college]" in out
    code, out, err = run(capsys, "search", lpw, "(unclosed", "--regex")
    assert code == 2 and "not a valid regular expression" in err
    code, out, err = run(capsys, "documents", "remove", lpw, "visit", "nosuch")
    assert code == 2 and "no document 'nosuch'" in err
    code, out, err = run(capsys, "documents", "remove", lpw, "visit")
    assert code == 0
    with StudyDB.open(lpw) as db:
        assert validate(db.load_doc())[1].ok
        assert "visit" not in [d["id"] for d in db.load_doc()["documents"]]


def test_add_again_keeps_unchanged_anchors(tmp_path, capsys):
    lpw = study(tmp_path)
    with StudyDB.open(lpw) as db:
        doc = db.load_doc()["documents"][0]
    path = tmp_path / f"{doc['name']}.txt"
    # the owner's interview again, with a line changed at the top
    path.write_text("Transcribed again.\n" + doc["text"], encoding="utf-8")
    code, out, err = run(capsys, "documents", "add", lpw, path, "--name", doc["name"])
    assert code == 0, err
    assert f"'{doc['id']}' read again" in out and "7 anchors kept, 0 dropped" in out
    with StudyDB.open(lpw) as db:
        assert validate(db.load_doc())[1].ok


def test_bad_files_add_nothing(tmp_path, capsys):
    lpw = study(tmp_path)
    good = tmp_path / "good.txt"
    good.write_text("Ann: fine.\n", encoding="utf-8")
    binary = tmp_path / "photo.txt"
    binary.write_bytes(bytes(range(256)) * 4)
    before = StudyDB.open(lpw).dump()
    code, out, err = run(capsys, "documents", "add", lpw, good, binary)
    assert code == 2 and "photo.txt" in err and "binary" in err
    assert StudyDB.open(lpw).dump() == before


def test_anchor_reports_found_ambiguous_and_missing(tmp_path, capsys, write_json):
    doc = json.loads(TRAINING.read_text(encoding="utf-8"))
    text = doc["documents"][0]["text"]
    ev = doc["firms"][0]["events"][0]
    sentence = text.split("\n")[2][:40].strip()
    ev["evidence"] = [{"quote": sentence.replace("'", "\u2019")}, {"quote": "Nobody said this."}]
    lpw = tmp_path / "s.lpw"
    services.import_file(lpw, write_json(doc))
    code, out, err = run(capsys, "anchor", lpw)
    assert code == 0, err
    assert out.startswith("1 found, 0 ambiguous, 1 not found")
    assert "not found: firm 'kestrel'" in out and "Nobody said this." in out


def test_anchor_gives_the_speaker_and_search_knows_speakers(tmp_path, capsys):
    lpw = study(tmp_path)
    notes = tmp_path / "bakery.txt"
    notes.write_text("Interviewer: Why change?\nRhian Morgan: The supermarket wanted labels.\n", encoding="utf-8")
    assert run(capsys, "documents", "add", lpw, notes, "--firm", "kestrel")[0] == 0
    from workbench.session import Session

    with Session(lpw) as s:
        ev = s.db.get("events", "kestrel", "e1")
        s.set_field("events", "kestrel", "e1", "evidence",
                    ev["evidence"] + [{"quote": "The supermarket wanted labels."}])
    code, out, err = run(capsys, "anchor", lpw)
    assert code == 0 and out.startswith("1 found")
    with StudyDB.open(lpw) as db:
        assert db.get("events", "kestrel", "e1")["evidence"][-1]["speaker"] == "Rhian Morgan"
    code, out, err = run(capsys, "search", lpw, "supermarket", "--speaker", "rhian")
    assert code == 0 and "Rhian Morgan" in out
    code, out, err = run(capsys, "search", lpw, "supermarket", "--speaker", "Nobody")
    assert code == 2 and "no speaker 'Nobody'" in err and "Rhian Morgan" in err
    # the same file again, now said to be about another firm: the document moves
    code, out, err = run(capsys, "documents", "add", lpw, notes, "--kind", "interview")
    assert code == 0 and "details were updated" in out
    code, out, _ = run(capsys, "documents", "list", lpw)
    assert "bakery (interview, firm kestrel)" in out and "1 quote," in out
