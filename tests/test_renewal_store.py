"""A firm's renewal checklist in the study: the format's firm key
``actions`` (validated, round-tripped byte for byte), the .lpw table
``actions`` (schema version 4, migrated from 3 with a backup copy), and
editing and undo through the session's table API."""

import hashlib
import json
import sqlite3

import pytest

from conftest import JM, minimal_study
from workbench import services
from workbench.core.errors import InputError
from workbench.core.renewal import checklist
from workbench.core.validate import validate
from workbench.session import Session
from workbench.store.schema import SCHEMA_VERSION
from workbench.store.study_db import StudyDB

ACTIONS = [
    {"id": "recognise_threat", "status": "done", "event": "e1", "note": "the failed audit"},
    {"id": "seek_outside_help", "status": "planned", "date": "2002-03", "owner": "Jo Bloggs",
     "x-colour": "amber"},
    {"id": "scan_environment", "status": "not_relevant"},
    {"id": "own_visit", "status": "planned", "date": "2002", "text": "Visit the customer's plant with the team"},
]


def doc_with_actions(actions=ACTIONS) -> dict:
    doc = minimal_study()
    doc["firms"][0]["actions"] = json.loads(json.dumps(actions))
    return doc


def canonical(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def errors(doc: dict) -> list[str]:
    return [str(p) for p in validate(doc)[1].errors]


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def lpw(tmp_path):
    src = tmp_path / "in.study.json"
    src.write_text(canonical(doc_with_actions()), encoding="utf-8")
    services.import_file(tmp_path / "s.lpw", src)
    return tmp_path / "s.lpw"


# ---------------------------------------------------------------- format


def test_actions_are_valid_and_round_trip_byte_for_byte(tmp_path):
    doc = doc_with_actions()
    doc["firms"][0]["actions"].append({"id": "delegate_responsibility", "status": "done"})
    assert errors(doc) == []
    text = canonical(doc)
    src = tmp_path / "a.study.json"
    src.write_text(text, encoding="utf-8")
    services.import_file(tmp_path / "a.lpw", src)
    out, _ = services.export(tmp_path / "a.lpw", None)
    assert out == text
    # an empty list is kept as given
    doc["firms"][0]["actions"] = []
    src.write_text(canonical(doc), encoding="utf-8")
    services.import_file(tmp_path / "b.lpw", src)
    assert services.export(tmp_path / "b.lpw", None)[0] == canonical(doc)


def test_a_file_without_actions_is_unchanged(tmp_path):
    text = JM.read_text(encoding="utf-8")
    services.import_file(tmp_path / "jm.lpw", JM)
    assert services.export(tmp_path / "jm.lpw", None)[0] == text
    assert '"actions"' not in text


@pytest.mark.parametrize("change, expected", [
    (lambda a: a.append({"id": "recognise_threat", "status": "planned"}),
     "firms[0].actions[4].id: duplicate action id 'recognise_threat' (also firms[0].actions[0])"),
    (lambda a: a[0].update(status="finished"),
     "firms[0].actions[0].status: 'finished' is not one of: done, planned, not_relevant"),
    (lambda a: a[0].update(event="e9"), "firms[0].actions[0].event: no event 'e9' in firm 'f1'"),
    (lambda a: a[1].update(date="March 2002"),
     "firms[0].actions[1].date: 'March 2002' is not a date: write YYYY, YYYY-MM or YYYY-MM-DD"),
    (lambda a: a[3].pop("text"),
     "firms[0].actions[3]: 'own_visit' is not an action of the checklist; an action of your own needs its 'text'"),
    (lambda a: a[3].update(text="  "),
     "firms[0].actions[3]: 'own_visit' is not an action of the checklist; an action of your own needs its 'text'"),
    (lambda a: a[2].update(who="me"), "firms[0].actions[2].who: unknown key 'who'"),
    (lambda a: a[2].pop("status"), "firms[0].actions[2].status: required, but missing"),
])
def test_actions_rules(change, expected):
    doc = doc_with_actions()
    change(doc["firms"][0]["actions"])
    got = errors(doc)
    assert any(e.startswith(expected) for e in got), got


def test_a_misspelt_action_id_gets_a_suggestion():
    doc = doc_with_actions([{"id": "recognise_thret", "status": "done"}])
    assert "did you mean 'recognise_threat'?" in errors(doc)[0]


# ---------------------------------------------------------------- .lpw schema v4


def test_new_files_have_the_actions_table(lpw):
    assert SCHEMA_VERSION == 4
    conn = sqlite3.connect(lpw)
    try:
        rows = conn.execute("SELECT id, status, event, date, owner, position FROM actions "
                            "WHERE firm = 'f1' ORDER BY position").fetchall()
    finally:
        conn.close()
    assert rows[0] == ("recognise_threat", "done", "e1", None, None, 0)
    assert rows[3][:2] == ("own_visit", "planned")


def _as_version_3(path):
    """What the same study looked like in a version 3 file: no actions table."""
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE actions")
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()


def test_a_version_3_file_is_migrated_with_a_backup(tmp_path):
    services.import_file(tmp_path / "old.lpw", JM)
    _as_version_3(tmp_path / "old.lpw")
    before = digest(tmp_path / "old.lpw")
    # reading does not write it
    assert services.load(tmp_path / "old.lpw").study.firm("brw").actions is None
    assert digest(tmp_path / "old.lpw") == before
    s = Session(tmp_path / "old.lpw")
    try:
        assert s.db.backup == tmp_path / "old.lpw.v3.bak"
        assert digest(s.db.backup) == before
        s.insert("actions", "brw", {"id": "recognise_threat", "status": "done", "event": "e2"})
    finally:
        s.close()
    conn = sqlite3.connect(tmp_path / "old.lpw")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
    conn.close()
    exported = json.loads(services.export(tmp_path / "old.lpw", None)[0])
    original = json.loads(JM.read_text(encoding="utf-8"))
    original["firms"][0]["actions"] = [{"id": "recognise_threat", "status": "done", "event": "e2"}]
    assert exported == original


# ---------------------------------------------------------------- editing and undo


def test_insert_set_delete_are_each_one_undo_step(lpw):
    with Session(lpw) as s:
        start = s.db.load_doc()
        s.insert("actions", "f1", {"id": "engage_staff", "status": "planned", "date": "2002-06",
                                   "owner": "Jo"})
        s.set_field("actions", "f1", "engage_staff", "status", "done")
        s.set_field("actions", "f1", "engage_staff", "event", "e2")
        s.set_field("actions", "f1", "own_visit", "note", "booked")
        s.delete("actions", "f1", "scan_environment")
        items = {it.action.id: it.entry for it in checklist(s.study(), "f1")}
        assert items["engage_staff"] == {"id": "engage_staff", "status": "done", "event": "e2",
                                         "date": "2002-06", "owner": "Jo"}
        assert items["scan_environment"] is None and items["own_visit"]["note"] == "booked"
        assert s.undo_label() == "Delete action"
        for _ in range(5):
            s.undo()
        assert s.db.load_doc() == start and not s.can_undo()
        for _ in range(5):
            s.redo()
        assert {it.action.id: it.entry for it in checklist(s.study(), "f1")} == items


@pytest.mark.parametrize("call, message", [
    (lambda s: s.insert("actions", "f1", {"id": "recognise_threat", "status": "done"}),
     "firm 'f1' already has an action 'recognise_threat'"),
    (lambda s: s.insert("actions", "f1", {"id": "mine", "status": "done"}),
     "firm 'f1', action 'mine': 'mine' is not an action of the checklist"),
    (lambda s: s.insert("actions", "f1", {"id": "engage_staff", "status": "soon"}),
     "firm 'f1', action 'engage_staff': status: 'soon' is not one of"),
    (lambda s: s.insert("actions", "f9", {"id": "engage_staff", "status": "done"}), "no firm 'f9'"),
    (lambda s: s.set_field("actions", "f1", "recognise_threat", "event", "e7"),
     "firm 'f1', action 'recognise_threat': event: no event 'e7' in firm 'f1'"),
    (lambda s: s.set_field("actions", "f1", "own_visit", "text", None),
     "an action of your own needs its 'text'"),
    (lambda s: s.set_field("actions", "f1", "seek_outside_help", "date", "next spring"),
     "date: 'next spring' is not a date"),
    (lambda s: s.set_field("actions", "f1", "nope", "status", "done"), "no action 'nope' in firm 'f1'"),
])
def test_refused_edits_say_why_and_change_nothing(lpw, call, message):
    with Session(lpw) as s:
        before = s.db.load_doc()
        with pytest.raises(InputError) as exc:
            call(s)
        assert message in exc.value.message
        assert s.db.load_doc() == before and not s.can_undo()


def test_deleting_an_event_clears_it_from_actions_and_undo_restores_it(lpw):
    with Session(lpw) as s:
        s.delete("events", "f1", "e1")
        entry = s.get("actions", "f1", "recognise_threat")
        assert "event" not in entry and entry["note"] == "the failed audit"  # the action stays
        s.undo()
        assert s.get("actions", "f1", "recognise_threat")["event"] == "e1"
        assert s.get("events", "f1", "e1")["title"] == "Audit failed"


def test_renaming_an_event_follows_in_actions(lpw):
    with Session(lpw) as s:
        s.set_field("events", "f1", "e1", "id", "audit")
        assert s.get("actions", "f1", "recognise_threat")["event"] == "audit"
        s.undo()
        assert s.get("actions", "f1", "recognise_threat")["event"] == "e1"


def test_deleting_a_firm_takes_its_actions_and_undo_brings_them_back(lpw):
    with Session(lpw) as s:
        s.add_firm({"id": "f2", "name": "Second"})
        s.delete_firm("f1")
        assert s.db.count("actions", "f1") == 0
        s.undo()
        assert [a["id"] for a in s.objects("actions", "f1")] == [a["id"] for a in ACTIONS]


def test_actions_move_in_their_list(lpw):
    with Session(lpw) as s:
        s.move("actions", "f1", "own_visit", 0)
        assert [a["id"] for a in s.objects("actions", "f1")][0] == "own_visit"
        s.undo()
        assert [a["id"] for a in s.objects("actions", "f1")] == [a["id"] for a in ACTIONS]


def test_the_store_reads_what_the_session_wrote(lpw):
    with Session(lpw) as s:
        s.insert("actions", "f1", {"id": "staff_ideas", "status": "done", "event": "e3"})
    with StudyDB.open(lpw, read_only=True) as db:
        firm = db.load_study().firm("f1")
    assert [a.id for a in firm.action_list][-1] == "staff_ideas"
    assert firm.action_list[-1].event == "e3"


def test_a_blind_copy_leaves_the_checklist_out():
    from workbench.core.blind import blind

    out = blind(doc_with_actions(), keep=["phase"])
    assert "actions" not in out["firms"][0]
    assert validate(out)[1].ok


def test_two_consultants_updating_different_actions_merge_cleanly():
    from workbench.core.merge import merge

    base = doc_with_actions(ACTIONS[:1])
    ours = doc_with_actions(ACTIONS[:1] + [{"id": "engage_staff", "status": "planned", "owner": "Jo"}])
    theirs = doc_with_actions([{**ACTIONS[0], "note": "confirmed with the owner"}])
    merged, conflicts = merge(base, ours, theirs)
    assert conflicts == []
    assert merged["firms"][0]["actions"] == [{**ACTIONS[0], "note": "confirmed with the owner"},
                                             {"id": "engage_staff", "status": "planned", "owner": "Jo"}]
    # the same action set two ways is a conflict on that field alone
    theirs = doc_with_actions(ACTIONS[:1] + [{"id": "engage_staff", "status": "done", "owner": "Jo"}])
    _, conflicts = merge(base, ours, theirs)
    assert [(c["path"], c["ours"], c["theirs"]) for c in conflicts] == [
        ("firms[f1].actions[engage_staff].status", "planned", "done")]


def test_a_merge_conflict_on_an_action_is_settled_in_the_session(tmp_path):
    from workbench.core.merge import merge

    base = doc_with_actions(ACTIONS[:1])
    ours = doc_with_actions(ACTIONS[:1] + [{"id": "engage_staff", "status": "planned", "owner": "Jo"}])
    theirs = doc_with_actions(ACTIONS[:1] + [{"id": "engage_staff", "status": "done", "event": "e3"}])
    merged, conflicts = merge(base, ours, theirs)
    assert [c["path"] for c in conflicts] == ["firms[f1].actions[engage_staff].status"]
    merged["x-conflicts"] = conflicts  # as workbench merge writes it
    src = tmp_path / "merged.study.json"
    src.write_text(canonical(merged), encoding="utf-8")
    services.import_file(tmp_path / "m.lpw", src)
    with Session(tmp_path / "m.lpw") as s:
        assert s.get("actions", "f1", "engage_staff") == {"id": "engage_staff", "status": "planned",
                                                          "event": "e3", "owner": "Jo"}
        s.resolve_conflict(0, "theirs")
        assert s.get("actions", "f1", "engage_staff")["status"] == "done" and s.conflicts() == []
        s.undo()
        assert s.get("actions", "f1", "engage_staff")["status"] == "planned" and len(s.conflicts()) == 1
