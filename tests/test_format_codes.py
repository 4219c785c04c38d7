"""The format's compatible extension: the study's own codes, codes on events
and evidence, memos on evidence, coded passages on documents."""

import copy
import json

import pytest

from conftest import JM, TRAINING, minimal_study
from workbench import services
from workbench.core.errors import InputError
from workbench.core.validate import validate
from workbench.session import Session


def coded_study():
    doc = minimal_study()
    doc["codes"] = [
        {"id": "trust", "name": "Trust in the main customer", "colour": "#AA3377"},
        {"id": "trust-audit", "name": "Audits as trust", "parent": "trust", "description": "The customer's audits read as a sign of trust."},
        {"id": "x", "name": "Emoji 🙂 code", "x-origin": "NVivo"},
    ]
    doc["documents"][0]["passages"] = [
        {"id": "p1", "start": 16, "end": 38, "speaker": "Owner", "codes": ["trust"], "memo": "Who came?"},
        {"id": "p2", "start": 0, "end": 2},
    ]
    event = doc["firms"][0]["events"][0]
    event["codes"] = ["trust", "trust-audit"]
    event["evidence"][0]["codes"] = ["trust-audit"]
    event["evidence"][0]["memo"] = "Said twice."
    return doc


def errors(doc):
    return [str(p) for p in validate(doc)[1].errors]


def test_coded_study_is_valid_and_round_trips(tmp_path, write_json):
    doc = coded_study()
    assert errors(doc) == []
    lpw = tmp_path / "s.lpw"
    services.import_file(lpw, write_json(doc))
    text, _ = services.export(lpw, None)
    assert json.loads(text) == doc
    # empty lists stay as they were given
    doc2 = copy.deepcopy(doc)
    doc2["codes"] = []
    doc2["documents"][0]["passages"] = []
    doc2["firms"][0]["events"][0]["codes"] = []
    del doc2["firms"][0]["events"][0]["evidence"][0]["codes"]
    lpw2 = tmp_path / "s2.lpw"
    services.import_file(lpw2, write_json(doc2, "two.study.json"))
    assert json.loads(services.export(lpw2, None)[0]) == doc2


@pytest.mark.parametrize("path", [JM, TRAINING])
def test_version_1_files_still_round_trip_byte_for_byte(tmp_path, path):
    lpw = tmp_path / "s.lpw"
    services.import_file(lpw, path)
    out = tmp_path / "out.study.json"
    services.export(lpw, out)
    assert out.read_bytes() == path.read_bytes()


@pytest.mark.parametrize("change, expected", [
    (lambda d: d["codes"].append({"id": "trust", "name": "Again"}), "codes[3].id: duplicate code id 'trust'"),
    (lambda d: d["codes"][0].update(parent="trust-audit"), "codes[0].parent: code 'trust' would sit under itself"),
    (lambda d: d["codes"][1].update(parent="trsut"), "codes[1].parent: no code 'trsut' in the study (did you mean 'trust'?)"),
    (lambda d: d["firms"][0]["events"][0]["codes"].append("nope"), "firms[0].events[0].codes[2]: no code 'nope'"),
    (lambda d: d["firms"][0]["events"][0]["evidence"][0]["codes"].append("nope"),
     "firms[0].events[0].evidence[0].codes[1]: no code 'nope'"),
    (lambda d: d["documents"][0]["passages"][0]["codes"].append("nope"), "documents[0].passages[0].codes[1]: no code"),
    (lambda d: d["documents"][0]["passages"][1].update(end=999), "documents[0].passages[1].end: 999 is beyond the end"),
    (lambda d: d["documents"][0]["passages"][1].update(start=5, end=5), "documents[0].passages[1].start: start 5 must be less"),
    (lambda d: d["documents"][0]["passages"][1].update(id="p1"), "documents[0].passages[1].id: duplicate passage id 'p1'"),
    (lambda d: d["codes"][0].update(colour="red"), "codes[0].colour"),
])
def test_code_rules(change, expected):
    doc = coded_study()
    change(doc)
    assert any(e.startswith(expected) for e in errors(doc)), errors(doc)


def test_codes_through_the_session(tmp_path, write_json):
    lpw = tmp_path / "s.lpw"
    services.import_file(lpw, write_json(coded_study()))
    s = Session(lpw)
    try:
        before = s.db.load_doc()
        s.insert("codes", None, {"id": "new", "name": "New theme", "parent": "trust"})
        s.set_field("events", "f1", "e2", "codes", ["new"])
        s.insert("passages", "d1", {"id": "p3", "start": 3, "end": 6, "codes": ["new"]})
        with pytest.raises(InputError):
            s.set_field("events", "f1", "e3", "codes", ["missing"])
        with pytest.raises(InputError):  # renaming a code that events use would leave them dangling
            s.set_field("codes", None, "trust", "id", "faith")
        with pytest.raises(InputError):
            s.insert("passages", "d1", {"id": "p4", "start": 3, "end": 600})
        _, report = validate(s.db.load_doc())
        assert report.ok
        while s.can_undo():
            s.undo()
        assert s.db.load_doc() == before
    finally:
        s.close()


def test_delete_and_merge_codes_are_one_undoable_step(tmp_path, write_json):
    lpw = tmp_path / "s.lpw"
    services.import_file(lpw, write_json(coded_study()))
    s = Session(lpw)
    try:
        before = s.db.load_doc()
        s.merge_codes("trust-audit", "trust")
        doc = s.db.load_doc()
        event = doc["firms"][0]["events"][0]
        assert event["codes"] == ["trust"] and event["evidence"][0]["codes"] == ["trust"]
        assert [c["id"] for c in doc["codes"]] == ["trust", "x"]
        assert s.undo_label() == "Merge Audits as trust into Trust in the main customer"
        s.undo()
        assert s.db.load_doc() == before
        with pytest.raises(InputError):  # into a code under it
            s.merge_codes("trust", "trust-audit")
        s.delete_code("trust")
        doc = s.db.load_doc()
        assert doc["codes"][0] == {"id": "trust-audit", "name": "Audits as trust",
                                   "description": "The customer's audits read as a sign of trust."}
        assert doc["firms"][0]["events"][0]["codes"] == ["trust-audit"]
        assert "codes" not in doc["documents"][0]["passages"][0]
        assert validate(doc)[1].ok
        s.undo()
        assert s.db.load_doc() == before
    finally:
        s.close()
