"""The .lpw study file: round trips, atomic imports, versions, bad files."""

import json
import sqlite3

import pytest

from conftest import JM, TRAINING, minimal_study
from workbench import services
from workbench.core.errors import InputError
from workbench.io.study_json import read_study
from workbench.store.schema import APPLICATION_ID, SCHEMA_VERSION
from workbench.store.study_db import StudyDB


def roundtrip(tmp_path, doc):
    src = tmp_path / "in.study.json"
    src.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    lpw = tmp_path / "s.lpw"
    services.import_file(lpw, src)
    out = tmp_path / "out.study.json"
    services.export(lpw, out)
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", [JM, TRAINING], ids=["jones-macpherson", "training"])
def test_samples_round_trip(tmp_path, path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert roundtrip(tmp_path, doc) == doc


def test_absent_and_empty_stay_apart(tmp_path, study_doc):
    study_doc["authors"] = []
    study_doc["firms"][0]["links"] = []
    study_doc["firms"][0]["profile"] = {}
    ev = study_doc["firms"][0]["events"]
    ev[1]["stages"] = []
    ev[1]["evidence"] = []
    ev[1]["critical"] = False
    ev[2]["tags"] = []
    study_doc["firms"].append({"id": "bare", "name": "Bare firm"})
    assert roundtrip(tmp_path, study_doc) == study_doc


def test_extension_keys_survive(tmp_path, study_doc):
    study_doc["x-study"] = {"nested": [1, {"a": None}]}
    firm = study_doc["firms"][0]
    firm["x-firm"] = 1.5
    firm["profile"] = {"employees": 3, "x-sic": "25620"}
    firm["summary"] = {"learning_type": "Normative", "x-note": "n"}
    firm["attributes"] = {"Sector code": 25, "Family": True, "Note": "é"}
    firm["sources"][0]["x-s"] = "s"
    firm["routines"][0]["x-r"] = []
    firm["events"][0]["x-e"] = False
    firm["events"][0]["evidence"][0]["x-ev"] = "v"
    firm["links"] = [{"from": "e1", "to": "e3", "label": "l", "x-l": 0}]
    study_doc["documents"][0]["x-d"] = "d"
    assert roundtrip(tmp_path, study_doc) == study_doc


def test_import_of_export_is_identical(tmp_path):
    a, b = tmp_path / "a.lpw", tmp_path / "b.lpw"
    services.import_file(a, JM)
    text, _ = services.export(a, None)
    out = tmp_path / "x.study.json"
    out.write_text(text, encoding="utf-8")
    services.import_file(b, out)
    with StudyDB.open(a) as da, StudyDB.open(b) as db:
        assert da.dump() == db.dump()


def _dump(path):
    with StudyDB.open(path) as db:
        return db.dump()


def _lpw_with_jm(tmp_path):
    lpw = tmp_path / "s.lpw"
    services.import_file(lpw, JM)
    return lpw


def test_duplicate_firm_import_changes_nothing(tmp_path, write_json):
    lpw = _lpw_with_jm(tmp_path)
    before = _dump(lpw)
    with pytest.raises(InputError) as err:
        services.import_file(lpw, JM)
    assert "firm 'brw' is already in s.lpw; use --replace" in "\n".join(err.value.lines())
    assert _dump(lpw) == before


def test_invalid_file_changes_nothing(tmp_path, write_json):
    lpw = _lpw_with_jm(tmp_path)
    before = _dump(lpw)
    doc = minimal_study()
    doc["firms"][0]["events"][0]["sources"] = ["ghost"]
    with pytest.raises(InputError):
        services.import_file(lpw, write_json(doc))
    assert _dump(lpw) == before


def test_failure_midway_rolls_back(tmp_path, write_json, monkeypatch):
    """A fault after some rows are written (a full disk, say) undoes them."""
    lpw = _lpw_with_jm(tmp_path)
    before = _dump(lpw)
    written = []
    real = StudyDB._insert

    def failing(self, table, rows):
        if table == "evidence":
            raise sqlite3.OperationalError("database or disk is full")
        written.append(table)
        return real(self, table, rows)

    monkeypatch.setattr(StudyDB, "_insert", failing)
    with pytest.raises(Exception) as err:
        services.import_file(lpw, write_json(minimal_study()))
    assert "disk is full" in str(err.value) and "nothing was changed" in str(err.value)
    assert {"firms", "sources", "events"} <= set(written)  # rows had been written...
    assert _dump(lpw) == before  # ...and were rolled back


def test_failed_import_into_new_file_leaves_no_file(tmp_path, write_json):
    doc = minimal_study()
    doc["framework"] = "4I"  # e3 is intertwining: invalid
    lpw = tmp_path / "new.lpw"
    with pytest.raises(InputError):
        services.import_file(lpw, write_json(doc))
    assert not lpw.exists()


def test_replace_keeps_position_and_replaces_content(tmp_path, write_json):
    lpw = _lpw_with_jm(tmp_path)
    study = read_study(JM).study.only_firm("rsl")
    study.firms[0].name = "RSL (recoded)"
    study.firms[0].events = study.firms[0].events[:3]
    path = tmp_path / "rsl.study.json"
    from workbench.io.study_json import write_study
    write_study(study, path)
    services.import_file(lpw, path, replace=True)
    loaded = services.load(lpw).study
    assert [f.id for f in loaded.firms] == ["brw", "rsl", "dmf"]
    assert loaded.firm("rsl").name == "RSL (recoded)"
    assert len(loaded.firm("rsl").events) == 3
    with StudyDB.open(lpw) as db:
        n = db.db.execute("SELECT count(*) FROM evidence WHERE firm = 'rsl'").fetchone()[0]
    assert n == sum(len(e.evidence or []) for e in study.firms[0].events)


def test_import_into_other_framework_checks_stages(tmp_path, write_json):
    lpw = _lpw_with_jm(tmp_path)  # 5I
    doc = minimal_study(framework="4I-AE")
    doc["firms"][0]["id"] = "new"
    doc["firms"][0]["events"][2]["stages"] = ["attending"]
    before = _dump(lpw)
    with pytest.raises(InputError) as err:
        services.import_file(lpw, write_json(doc))
    assert "firms[0].events[2].stages[0]: 'attending' is not a stage of framework 5I" in "\n".join(err.value.lines())
    assert _dump(lpw) == before


def test_conflicting_document_is_refused(tmp_path, write_json):
    lpw = tmp_path / "s.lpw"
    services.import_file(lpw, write_json(minimal_study()))
    doc = minimal_study()
    doc["firms"][0]["id"] = "f2"
    doc["documents"][0]["text"] = "Another text entirely."
    doc["firms"][0]["events"][0].pop("evidence")
    with pytest.raises(InputError) as err:
        services.import_file(lpw, write_json(doc, "b.study.json"))
    assert "documents[0].id: a different document 'd1'" in "\n".join(err.value.lines())


def test_schema_version_and_application_id(tmp_path):
    lpw = _lpw_with_jm(tmp_path)
    conn = sqlite3.connect(lpw)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    conn.close()


def test_foreign_keys_are_enforced(tmp_path):
    lpw = _lpw_with_jm(tmp_path)
    with StudyDB.open(lpw) as db:
        with pytest.raises(sqlite3.IntegrityError):
            db.db.execute("INSERT INTO sources (firm, id, position, name, kind) VALUES ('nope', 's', 0, 'n', 'customer')")
        db.delete_firm("dmf")  # cascades
        assert db.db.execute("SELECT count(*) FROM events WHERE firm = 'dmf'").fetchone()[0] == 0
        assert db.db.execute("SELECT count(*) FROM evidence WHERE firm = 'dmf'").fetchone()[0] == 0


def test_newer_file_is_refused_and_untouched(tmp_path):
    lpw = _lpw_with_jm(tmp_path)
    conn = sqlite3.connect(lpw)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = lpw.read_bytes()
    with pytest.raises(InputError) as err:
        StudyDB.open(lpw)
    assert "newer version of the workbench" in err.value.message
    assert "left untouched" in err.value.message
    assert lpw.read_bytes() == before


def test_other_sqlite_database_is_refused(tmp_path):
    other = tmp_path / "other.lpw"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    with pytest.raises(InputError) as err:
        StudyDB.open(other)
    assert "not a workbench study" in err.value.message
    assert other.read_bytes() == before


def test_json_file_opened_as_study_is_refused(tmp_path):
    fake = tmp_path / "fake.lpw"
    fake.write_bytes(JM.read_bytes())
    with pytest.raises(InputError) as err:
        StudyDB.open(fake)
    assert "looks like a *.study.json" in err.value.message
    assert fake.read_bytes() == JM.read_bytes()


def test_empty_file_gets_the_schema_by_migration(tmp_path):
    lpw = tmp_path / "empty.lpw"
    lpw.touch()
    services.import_file(lpw, TRAINING)
    assert services.load(lpw).study.firms[0].id == "kestrel"


def test_load_from_either_kind_of_file(tmp_path):
    lpw = _lpw_with_jm(tmp_path)
    assert services.load(lpw).study.to_dict() == services.load(JM).study.to_dict()


def test_hostile_strings_in_list_columns_round_trip(tmp_path, study_doc):
    ev = study_doc["firms"][0]["events"][1]
    ev["actors"] = ['He said "no"', "back\\slash", "tab\there", "emoji 🦉", "rtl ‏שלום", "", "\u2028"]
    ev["tags"] = ["{brace}", "<script>alert(1)</script>", "a,b", '","']
    study_doc["firms"][0]["attributes"] = {'key "quoted"': "value\\", "n": 1.25}
    assert roundtrip(tmp_path, study_doc) == study_doc
