"""The one door: every edit through the Qt-free Session, checked by the
format's one rule set, undoable from a script."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import JM, minimal_study
from workbench import services
from workbench.core import edits as E
from workbench.core.errors import FirmsExistError, InputError, WorkbenchError
from workbench.core.validate import validate
from workbench.session import Session
from workbench.store.study_db import StudyDB


@pytest.fixture
def session(tmp_path, write_json):
    lpw = tmp_path / "s.lpw"
    services.import_file(lpw, write_json(minimal_study()))
    s = Session(lpw)
    yield s
    s.close()


def dump(s: Session) -> str:
    """The study as the exchange format has it (undo restores this exactly;
    rows may come back in another physical order)."""
    return json.dumps(s.db.load_doc(), ensure_ascii=False)


def test_via_cycle_is_refused_and_nothing_changes(session):
    session.set_field("sources", "f1", "cust", "via", "staff")
    before = dump(session)
    with pytest.raises(InputError) as err:
        session.set_field("sources", "f1", "staff", "via", "cust")
    assert "brokered by itself" in err.value.message
    assert "firm 'f1', source 'staff'" in err.value.message  # ids, not positions
    assert dump(session) == before
    _, report = validate(session.db.load_doc())
    assert report.ok


def test_undo_and_redo_from_a_script(session):
    start = dump(session)
    session.set_field("events", "f1", "e2", "title", "Committee formed")
    after_edit = dump(session)
    session.insert("sources", "f1", {"id": "kpt", "name": "KTP", "kind": "knowledge_transfer_programme"})
    assert session.undo_label() == "Add source"
    session.undo()
    assert dump(session) == after_edit
    session.undo()
    assert dump(session) == start
    assert not session.can_undo()
    with pytest.raises(InputError):
        session.undo()
    session.redo()
    session.redo()
    assert session.db.get("events", "f1", "e2")["title"] == "Committee formed"
    assert session.db.get("sources", "f1", "kpt")["name"] == "KTP"
    # a new edit after an undo drops the redo branch
    session.undo()
    session.set_field("firms", None, "f1", "name", "Renamed")
    assert not session.can_redo()


def test_delete_source_clears_its_names_in_one_step(session):
    session.set_field("sources", "f1", "staff", "via", "cust")
    before = dump(session)
    session.delete("sources", "f1", "cust")
    assert session.db.get("events", "f1", "e1").get("sources") is None
    assert session.db.get("sources", "f1", "staff").get("via") is None
    assert session.undo_label() == "Delete source"
    session.undo()
    assert dump(session) == before


def test_delete_event_takes_its_links_and_undo_restores_them(session):
    session.set_links("f1", [{"from": "e1", "to": "e2"}, {"from": "e2", "to": "e3"}])
    before = dump(session)
    session.delete("events", "f1", "e2")
    assert session.db.links("f1") == []
    assert session.db.event_ids("f1") == ["e1", "e3"]
    session.undo()
    assert dump(session) == before


def test_delete_and_move_firm_undo(session, tmp_path, write_json):
    other = minimal_study()
    other["firms"][0]["id"] = "f2"
    session.import_doc(other)
    before = dump(session)
    session.move("firms", None, "f2", 0)
    assert [f["id"] for f in session.firms()] == ["f2", "f1"]
    session.delete_firm("f1")
    assert [f["id"] for f in session.firms()] == ["f2"]
    session.undo()
    session.undo()
    assert dump(session) == before


def test_import_is_one_undo_step(session):
    before = dump(session)
    doc = json.loads(JM.read_text(encoding="utf-8"))
    doc["framework"] = "5I"
    ids = session.import_doc(doc)
    assert ids == [f["id"] for f in doc["firms"]]
    assert session.undo_label().startswith("Import 3 firms")
    session.undo()
    assert dump(session) == before


def test_import_existing_firm_is_a_typed_error(session):
    with pytest.raises(FirmsExistError):
        session.import_doc(minimal_study())
    session.import_doc(minimal_study(), replace=True)  # replaced in place, one step
    session.undo()


def test_evidence_must_match_its_document(session):
    ev = session.db.get("events", "f1", "e1")["evidence"]
    bad = [dict(ev[0], quote="We had an idea.")]
    with pytest.raises(InputError) as err:
        session.set_field("events", "f1", "e1", "evidence", bad)
    assert "does not match document 'd1'" in err.value.message


def test_wrong_values_are_refused(session):
    before = dump(session)
    for args in [("events", "f1", "e1", "stages", ["attending"]),          # not a 5I stage
                 ("events", "f1", "e1", "sources", ["nobody"]),            # no such source
                 ("events", "f1", "e1", "title", None),                    # required
                 ("events", "f1", "e1", "stages", [{"a": 1}]),             # wrong type
                 ("routines", "f1", "r1", "stage", []),
                 ("sources", "f1", "cust", "id", "staff")]:                # id taken
        with pytest.raises(InputError):
            session.set_field(*args)
    with pytest.raises(InputError):
        session.set_links("f1", [{"from": "e1", "to": "e1"}])
    with pytest.raises(InputError):
        session.insert("events", "f1", {"id": "e1", "title": "Again"})
    assert dump(session) == before
    assert not session.can_undo()


def test_compound_edit_is_all_or_nothing(session):
    before = dump(session)
    edit = E.Compound("Code two events", (
        E.SetField("events", "f1", "e2", "learning_types", ["mimetic"], ["normative"]),
        E.SetField("events", "f1", "e3", "stages", ["no-such-stage"], ["intertwining"]),
    ))
    with pytest.raises(InputError):
        session.apply(edit)
    assert dump(session) == before


def test_write_failure_leaves_file_and_history(session, monkeypatch):
    import sqlite3

    before = dump(session)

    def full(*a, **k):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(StudyDB, "set_field", full)
    with pytest.raises(WorkbenchError) as err:
        session.set_field("events", "f1", "e1", "title", "X")
    assert "disk is full" in err.value.message and "nothing was changed" in err.value.message
    assert dump(session) == before and not session.can_undo()


def test_import_honours_the_lock(session, tmp_path, write_json):
    other = minimal_study()
    other["firms"][0]["id"] = "f9"
    with pytest.raises(WorkbenchError) as err:
        services.import_file(session.path, write_json(other))
    assert "open in another workbench" in err.value.message


def test_killed_import_into_new_path_leaves_no_study(tmp_path, write_json):
    """A process killed in the middle of an import into a new path leaves
    no study file; the next import there succeeds."""
    doc = json.loads(JM.read_text(encoding="utf-8"))
    src = write_json(doc)
    target = tmp_path / "new.lpw"
    code = textwrap.dedent(f"""
        import os, workbench.session as s
        real = s.Session.import_doc
        def killed(self, *a, **k):
            real(self, *a, **k)
            os._exit(9)  # after writing, before the rename
        s.Session.import_doc = killed
        from workbench import services
        services.import_file({str(target)!r}, {str(src)!r})
    """)
    proc = subprocess.run([sys.executable, "-c", code], env=dict(os.environ))
    assert proc.returncode == 9
    assert not target.exists()
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".new.lpw")]
    assert leftovers  # the half-built file is there until the next run
    services.import_file(target, src)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".new.lpw")] == []
    with StudyDB.open(target) as db:
        assert db.firm_ids() == [f["id"] for f in doc["firms"]]


def test_firm_scoped_load_reads_only_that_firm(tmp_path, write_json):
    doc = minimal_study()
    doc["documents"].append({"id": "d2", "name": "Other", "text": "Unrelated."})
    second = json.loads(json.dumps(doc["firms"][0]))
    second["id"] = "f2"
    doc["firms"].append(second)
    lpw = tmp_path / "s.lpw"
    services.import_file(lpw, write_json(doc))
    with StudyDB.open(lpw) as db:
        part = db.load_doc(["f2"])
    assert [f["id"] for f in part["firms"]] == ["f2"]
    assert [d["id"] for d in part["documents"]] == ["d1"]  # the one its evidence uses
    _, report = validate(part)
    assert report.ok


def test_group_is_one_transaction_and_one_undo_step(session):
    before = dump(session)
    with session.group("Code 3 events as mimetic"):
        for eid in ("e1", "e2", "e3"):
            session.set_field("events", "f1", eid, "learning_types", ["mimetic"])
        with pytest.raises(InputError):  # refused and caught: the others stand
            session.set_field("events", "f1", "e1", "stages", ["nope"])
    assert [session.db.get("events", "f1", e)["learning_types"] for e in ("e1", "e2", "e3")] == [["mimetic"]] * 3
    assert session.undo_label() == "Code 3 events as mimetic"
    session.undo()
    assert dump(session) == before
    session.redo()
    # an exception leaving the block undoes all of it
    after = dump(session)
    with pytest.raises(RuntimeError):
        with session.group("Delete two events"):
            session.delete("events", "f1", "e1")
            session.delete("events", "f1", "e2")
            raise RuntimeError("stopped")
    assert dump(session) == after
    assert session.undo_label() == "Code 3 events as mimetic"
