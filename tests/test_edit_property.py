"""No sequence of edits through the Session gives a study whose export
fails ``validate``; undoing every step gives back the study it started as.

Random edit sequences (hypothesis) mix valid and invalid values: a refused
edit must change nothing, an accepted one must keep the study valid.
"""

import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import minimal_study
from workbench import services
from workbench.core.errors import InputError
from workbench.core.validate import validate
from workbench.session import Session

OWN = {"sources": ["cust", "staff", "s3"], "routines": ["r1", "r2"], "events": ["e1", "e2", "e3", "e4"],
       "firms": ["f1"], "codes": ["c1", "c2", "c3"], "passages": ["p1", "p2"],
       "actions": ["recognise_threat", "own1"]}
# actions of the checklist (resources/renewal/actions.json), one of the study's own, and new ones
ACTION_IDS = ["recognise_threat", "seek_outside_help", "own1", "own2"]
CODES = OWN["codes"] + ["nope"]
IDS = OWN["sources"] + OWN["routines"] + OWN["events"] + ["x y"]
STAGES = ["intuiting", "interpreting", "integrating", "institutionalising", "intertwining", "attending", "nope"]
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)

values = {
    ("sources", "via"): st.sampled_from(OWN["sources"] + [None, "r1"]),
    ("sources", "kind"): st.sampled_from(["customer", "college", "other", "alien", None]),
    ("sources", "id"): st.sampled_from(IDS),
    ("sources", "name"): st.one_of(TEXT, st.none()),
    ("routines", "sources"): st.one_of(st.lists(st.sampled_from(IDS), max_size=3), st.none()),
    ("routines", "stage"): st.sampled_from(STAGES + [None, []]),
    ("routines", "id"): st.sampled_from(IDS),
    ("events", "stages"): st.one_of(st.lists(st.sampled_from(STAGES), max_size=3), st.none(),
                                    st.just([{"a": 1}])),
    ("events", "sources"): st.one_of(st.lists(st.sampled_from(OWN["sources"] + ["r1"]), max_size=3), st.none()),
    ("events", "routines"): st.one_of(st.lists(st.sampled_from(OWN["routines"] + ["e1"]), max_size=3), st.none()),
    ("events", "date"): st.sampled_from(["1999", "2001-05", "2003-02-01", "2001-13", "soon", None]),
    ("events", "level"): st.sampled_from(["individual", "group", "organisation", "cosmic", None]),
    ("events", "title"): st.one_of(TEXT, st.none()),
    ("events", "id"): st.sampled_from(IDS),
    ("events", "critical"): st.sampled_from([True, False, "yes", None]),
    ("events", "evidence"): st.sampled_from([
        None,
        [{"quote": "We had no idea.", "document": "d1", "start": 0, "end": 15}],
        [{"quote": "We had an idea.", "document": "d1", "start": 0, "end": 15}],
        [{"quote": "Then the college came.", "speaker": "Owner"}],
        [{"quote": "x", "document": "d9"}],
        [{"quote": "We", "document": "d1", "start": 0}],
    ]),
    ("firms", "name"): st.one_of(TEXT, st.none()),
    ("events", "codes"): st.one_of(st.lists(st.sampled_from(CODES), max_size=3), st.none()),
    ("codes", "parent"): st.sampled_from(CODES + [None]),
    ("codes", "id"): st.sampled_from(CODES),
    ("codes", "colour"): st.sampled_from(["#112233", "blue", None]),
    ("passages", "codes"): st.one_of(st.lists(st.sampled_from(CODES), max_size=2), st.none()),
    ("passages", "end"): st.integers(0, 60),
    ("firms", "attributes"): st.sampled_from([{"sector": "metal"}, {"x": {"y": 1}}, None]),
    ("actions", "status"): st.sampled_from(["done", "planned", "not_relevant", "maybe", None]),
    ("actions", "event"): st.sampled_from(OWN["events"] + ["r1", None]),
    ("actions", "date"): st.sampled_from(["2024", "2024-09", "2024-13", "next week", None]),
    ("actions", "owner"): st.one_of(TEXT, st.none()),
    ("actions", "text"): st.sampled_from(["Call the college", "", None]),
    ("actions", "id"): st.sampled_from(ACTION_IDS),
}

ops = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(sorted(values)), st.integers(0, 4), st.data()),
    st.tuples(st.just("insert"), st.sampled_from(["sources", "routines", "events"]), st.sampled_from(IDS),
              st.integers(0, 5)),
    st.tuples(st.just("delete"), st.sampled_from(["sources", "routines", "events"]), st.sampled_from(IDS)),
    st.tuples(st.just("move"), st.sampled_from(["sources", "routines", "events"]), st.sampled_from(IDS),
              st.integers(0, 5)),
    st.tuples(st.just("links"), st.lists(st.tuples(st.sampled_from(IDS), st.sampled_from(IDS)), max_size=3)),
    st.tuples(st.just("firm"), st.sampled_from(["add", "delete"])),
    st.tuples(st.just("code"), st.sampled_from(["add", "delete", "merge"]), st.sampled_from(CODES),
              st.sampled_from(CODES)),
    st.tuples(st.just("passage"), st.sampled_from(OWN["passages"] + ["p9"]), st.integers(0, 45), st.integers(1, 45)),
    st.tuples(st.just("action"), st.sampled_from(["add", "delete"]), st.sampled_from(ACTION_IDS),
              st.sampled_from(OWN["events"] + [None])),
    st.tuples(st.just("undo")),
    st.tuples(st.just("redo")),
)


def new_object(table: str, obj_id: str) -> dict:
    if table == "sources":
        return {"id": obj_id, "name": "New source", "kind": "other"}
    if table == "routines":
        return {"id": obj_id, "name": "New routine"}
    return {"id": obj_id, "title": "New event", "stages": ["interpreting"]}


def apply_op(s: Session, op) -> None:
    kind = op[0]
    if kind == "set":
        (table, key), index, data = op[1], op[2], op[3]
        obj_id = OWN[table][index % len(OWN[table])]
        value = data.draw(values[(table, key)])
        if table == "firms":
            s.set_field("firms", None, "f1", key, value)
        elif table == "codes":
            s.set_field("codes", None, obj_id, key, value)
        elif table == "passages":
            s.set_field("passages", "d1", obj_id, key, value)
        else:
            s.set_field(table, "f1", obj_id, key, value)
    elif kind == "insert":
        s.insert(op[1], "f1", new_object(op[1], op[2]), op[3])
    elif kind == "delete":
        s.delete(op[1], "f1", op[2])
    elif kind == "move":
        s.move(op[1], "f1", op[2], op[3])
    elif kind == "links":
        s.set_links("f1", [{"from": a, "to": b} for a, b in op[1]])
    elif kind == "firm" and op[1] == "add":
        s.add_firm({"id": "f2", "name": "Second", "events": [{"id": "e1", "title": "Start"}]})
    elif kind == "firm":
        s.delete_firm("f2")
    elif kind == "code" and op[1] == "add":
        s.insert("codes", None, {"id": op[2], "name": f"Code {op[2]}", "parent": op[3]})
    elif kind == "code" and op[1] == "delete":
        s.delete_code(op[2])
    elif kind == "code":
        s.merge_codes(op[2], op[3])
    elif kind == "passage":
        s.insert("passages", "d1", {"id": op[1], "start": op[2], "end": op[2] + op[3], "codes": ["c1"]})
    elif kind == "action" and op[1] == "add":  # an own action (own2) without text is refused
        entry = {"id": op[2], "status": "done" if op[3] else "planned"}
        if op[3]:
            entry["event"] = op[3]
        s.insert("actions", "f1", entry)
    elif kind == "action":
        s.delete("actions", "f1", op[2])
    elif kind == "undo":
        s.undo()
    elif kind == "redo":
        s.redo()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ops, min_size=1, max_size=25))
def test_random_edits_keep_the_study_valid_and_undo_restores_it(sequence):
    folder = Path(tempfile.mkdtemp())
    try:
        src = folder / "in.study.json"
        start_doc = minimal_study()
        start_doc["codes"] = [{"id": "c1", "name": "Trust"}, {"id": "c2", "name": "Pressure", "parent": "c1"}]
        start_doc["documents"][0]["passages"] = [{"id": "p1", "start": 0, "end": 7, "codes": ["c2"]},
                                                 {"id": "p2", "start": 16, "end": 20}]
        start_doc["firms"][0]["events"][1]["codes"] = ["c1"]
        start_doc["firms"][0]["actions"] = [
            {"id": "recognise_threat", "status": "done", "event": "e2", "note": "the audit"},
            {"id": "own1", "status": "planned", "date": "2024", "owner": "Jo", "text": "Call the college"}]
        src.write_text(json.dumps(start_doc), encoding="utf-8")
        services.import_file(folder / "s.lpw", src)
        s = Session(folder / "s.lpw")
        try:
            start = s.db.load_doc()
            for op in sequence:
                before = s.db.load_doc()
                try:
                    apply_op(s, op)
                except InputError:
                    assert s.db.load_doc() == before, f"a refused edit changed the study: {op}"
                doc = s.db.load_doc()
                _, report = validate(json.loads(json.dumps(doc)))
                assert report.ok, f"after {op}: {[str(p) for p in report.errors]}"
            while s.can_undo():
                s.undo()
            assert s.db.load_doc() == start
        finally:
            s.close()
        # and what is on disk exports to a file that validates
        text, _ = services.export(folder / "s.lpw", None)
        assert validate(json.loads(text))[1].ok
    finally:
        shutil.rmtree(folder, ignore_errors=True)
