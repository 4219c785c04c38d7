"""Frameworks, vocabularies and colours are data: adding a framework is
adding a JSON file to resources/frameworks, with no change to the code; and
the study file's schema no longer lists the frameworks (migration 2)."""

import ast
import json
import re
import shutil
import sqlite3
import tokenize

import docx
import jsonschema
import pytest

from conftest import JM, ROOT, TRAINING, minimal_study
from workbench.cli import main
from workbench.core import frameworks as fwk
from workbench.core.errors import WorkbenchError
from workbench.core.validate import data_schema, study_schema, validate
from workbench.session import Session
from workbench.store import schema
from workbench.store.study_db import StudyDB

SHIPPED = ROOT / "resources"


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


# ---------------------------------------------------------------- the shipped data


def test_frameworks_are_the_files_of_the_folder():
    files = {p.stem for p in (SHIPPED / "frameworks").glob("*.json")
             if "id" in json.loads(p.read_text(encoding="utf-8"))}
    assert set(fwk.framework_ids()) == files == {"4I", "5I", "4I-AE"}
    assert fwk.framework_ids() == ("4I", "5I", "4I-AE")  # their "order"
    assert fwk.default_framework_id() == "5I"


def test_the_schemas_lists_are_the_data_files_lists():
    """The validator takes framework, stage and term lists from the data
    files; with the shipped files they are exactly the schema's, so the
    format's contract and the validator agree (and the test comparing the
    validator with jsonschema compares like with like)."""
    assert data_schema() == study_schema()
    assert study_schema()["$defs"]["stage"]["enum"] == list(fwk.all_stages())
    assert study_schema()["properties"]["framework"]["enum"] == list(fwk.framework_ids())


def test_no_framework_or_term_lists_in_the_code():
    """No string in the package's code is a framework id, a stage, a level,
    a learning type, a phase, a direction, an internal source kind or a colour."""
    ids = set(fwk.framework_ids()) | set(fwk.all_stages())
    voc = fwk.vocabulary()
    for name in ("levels", "learning_types", "phases", "directions"):
        ids |= set(voc.ids(name))
    ids |= {t.id for t in voc.source_kinds if not voc.source_is_external(t.id)}
    ids |= {"knowledge_transfer_programme", "consultant"}
    found = []
    for path in sorted((ROOT / "workbench").rglob("*.py")):
        with open(path, "rb") as fh:
            for tok in tokenize.tokenize(fh.readline):
                if tok.type != tokenize.STRING:
                    continue
                try:
                    value = ast.literal_eval(tok.string)
                except ValueError:
                    continue  # an f-string
                if not isinstance(value, str):
                    continue
                if value in ids or re.search(r"#[0-9A-Fa-f]{6}\b", value):
                    found.append(f"{path.relative_to(ROOT)}:{tok.start[0]}: {value}")
    # left: the fallback line of a flow without a colour, and the report's
    # progress messages naming its section "institutionalisation" (prose, not a phase)
    # (compared without line numbers, which every edit above them moves)
    unplaced = [re.sub(r":\d+:", ":", f) for f in found]
    assert [f for f in unplaced if f != "workbench/render/report.py: institutionalisation"] == \
        ["workbench/render/diagram.py: #000000"]
    assert unplaced.count("workbench/render/report.py: institutionalisation") == 2


def test_colours_and_keys_come_from_the_vocabulary():
    voc = fwk.vocabulary()
    assert voc.term_values("learning_types", "key") == {"normative": "N", "mimetic": "M", "coercive": "C"}
    for t in voc.learning_types:
        assert re.fullmatch(r"#[0-9A-F]{6}", t.extra["colour"]) and re.fullmatch(r"#[0-9A-F]{6}", t.extra["tint"])
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for k, c in voc.colours.items() if k != "description")


# ---------------------------------------------------------------- a new framework

NEW_FRAMEWORK = {
    "id": "4I-IM",
    "name": "4I framework with imitating",
    "description": "The 4I framework with imitating: copying what a peer firm does, between interpreting and integrating.",
    "stages": ["intuiting", "interpreting", "imitating", "integrating", "institutionalising"],
    "levels": ["individual", "group", "organisation"],
    "citation": "A test framework.",
    "stage_definitions": {
        "imitating": {
            "label": "Imitating",
            "order": 3,
            "default_level": "group",
            "definition": "A group copies a practice it has seen work in another firm.",
            "coding_hint": "Code here a practice taken over from a peer.",
        }
    },
}


def new_framework_study():
    doc = minimal_study(framework="4I-IM", title="Imitation study")
    events = doc["firms"][0]["events"]
    events[1]["stages"] = ["imitating"]
    events[2]["stages"] = ["institutionalising", "imitating"]
    events[2]["learning_types"] = ["mimetic"]
    return doc


@pytest.fixture
def own_resources(tmp_path, monkeypatch):
    """A copy of the resources folder with one more framework file, used
    through LPW_RESOURCES."""
    folder = tmp_path / "resources"
    shutil.copytree(SHIPPED, folder)
    (folder / "frameworks" / "4I-IM.json").write_text(json.dumps(NEW_FRAMEWORK, indent=2), encoding="utf-8")
    monkeypatch.setenv(fwk.RESOURCES_ENV, str(folder))
    monkeypatch.setattr(fwk, "_in_use", None)  # as at start-up: look for the folder again
    return folder


def test_a_new_framework_is_unknown_without_its_file(write_json, capsys):
    code, _, err = run(capsys, "validate", write_json(new_framework_study()))
    assert code == 2
    assert "framework: '4I-IM' is not one of: 4I, 5I, 4I-AE" in err


def test_a_new_framework_file_is_all_it_takes(own_resources, tmp_path, write_json, capsys):
    assert fwk.framework_ids() == ("4I", "5I", "4I-AE", "4I-IM")
    fw = fwk.framework("4I-IM")
    assert fw.stage_ids == tuple(NEW_FRAMEWORK["stages"])
    assert fw.stage("imitating").label == "Imitating"

    # validate: its new stage is one of its stages, and only of its stages
    doc = new_framework_study()
    _, report = validate(doc)
    assert report.errors == []
    code, out, _ = run(capsys, "validate", write_json(doc))
    assert code == 0 and ": valid" in out
    other = new_framework_study()
    other["framework"] = "5I"
    _, report = validate(other)
    assert [str(p) for p in report.errors][0] == (
        "firms[0].events[1].stages[0]: 'imitating' is not a stage of framework 5I (its stages: "
        "intuiting, interpreting, integrating, institutionalising, intertwining); it belongs to 4I-IM")

    # the schema the validator checks is the shipped one with the folder's lists: a
    # reference validator agrees with it, and the shipped schema alone refuses the framework
    assert list(jsonschema.Draft202012Validator(data_schema()).iter_errors(doc)) == []
    refused = [e.json_path for e in jsonschema.Draft202012Validator(study_schema()).iter_errors(doc)]
    assert refused == ["$.framework", "$.firms[0].events[1].stages[0]", "$.firms[0].events[2].stages[1]"]

    # create a study with it, code an event with its new stage, read it back
    created = tmp_path / "new.lpw"
    s = Session(created, create={"title": "Made here", "framework": "4I-IM"})
    try:
        s.add_firm({"id": "acme", "name": "Acme", "events": [
            {"id": "e1", "title": "Saw the rival's board", "stages": ["imitating"],
             "learning_types": ["mimetic"]}]})
        assert s.meta()["framework"] == "4I-IM"
    finally:
        s.close()
    code, _, _ = run(capsys, "export", created, tmp_path / "made.study.json")
    assert code == 0
    made = json.loads((tmp_path / "made.study.json").read_text(encoding="utf-8"))
    assert made["framework"] == "4I-IM"
    assert made["firms"][0]["events"][0]["stages"] == ["imitating"]

    # import a study.json using it, and export it back unchanged
    lpw = tmp_path / "imported.lpw"
    code, _, err = run(capsys, "import", lpw, write_json(doc))
    assert code == 0, err
    code, _, _ = run(capsys, "export", lpw, tmp_path / "back.study.json")
    assert json.loads((tmp_path / "back.study.json").read_text(encoding="utf-8")) == doc

    # the stats count its stages, with the flows they make
    code, out, _ = run(capsys, "stats", lpw, "--json")
    stats = json.loads(out)["study"]
    assert list(stats["stages"]) == NEW_FRAMEWORK["stages"]
    assert stats["stages"]["imitating"] == 2
    # intuiting (1) -> imitating (3) -> institutionalising (4): feed-forward twice
    assert stats["flows"]["feed_forward"] == 2

    # its process diagram: the new stage on an event in the group lane (its default level)
    code, _, err = run(capsys, "diagram", lpw, "--firm", "f1", "--format", "dot", "-o", tmp_path / "f1.dot")
    assert code == 0, err
    dot = (tmp_path / "f1.dot").read_text(encoding="utf-8")
    assert "Imitating" in dot and "4I framework with imitating" in dot
    assert 'lane-inter_organisation' not in dot  # a level the framework does not have
    # and its framework figure: one box per stage
    code, _, err = run(capsys, "diagram", lpw, "--kind", "framework", "--format", "dot", "-o", tmp_path / "fw.dot")
    assert code == 0, err
    figure = (tmp_path / "fw.dot").read_text(encoding="utf-8")
    for stage in NEW_FRAMEWORK["stages"]:
        assert f'"stage-{stage}"' in figure or f"stage-{stage} " in figure

    # a report, with its diagrams
    code, out, err = run(capsys, "report", lpw, "-o", tmp_path / "r.docx")
    assert code == 0, err
    text = "\n".join(p.text for p in docx.Document(tmp_path / "r.docx").paragraphs)
    assert "4I framework with imitating" in text
    cells = [c.text for t in docx.Document(tmp_path / "r.docx").tables for row in t.rows for c in row.cells]
    assert "Imitating" in cells  # the chronology's and the matrix's stage


def test_a_broken_framework_file_is_named(own_resources):
    bad = own_resources / "frameworks" / "4I-IM.json"
    bad.write_text(json.dumps({**NEW_FRAMEWORK, "stages": ["intuiting", "imitatng"]}), encoding="utf-8")
    with pytest.raises(WorkbenchError, match=r"4I-IM\.json: stage 'imitatng' is not defined"):
        fwk.framework("4I-IM")


def test_a_framework_file_is_named_by_its_id(own_resources):
    (own_resources / "frameworks" / "Other.json").write_text(json.dumps({**NEW_FRAMEWORK, "id": "4I-X"}))
    with pytest.raises(WorkbenchError, match=r"Other\.json: holds framework '4I-X'; name the file 4I-X\.json"):
        fwk.framework_ids()


def test_a_new_stage_may_not_redefine_a_shared_one(own_resources):
    path = own_resources / "frameworks" / "4I-IM.json"
    data = json.loads(path.read_text())
    data["stage_definitions"]["intuiting"] = data["stage_definitions"]["imitating"]
    path.write_text(json.dumps(data))
    with pytest.raises(WorkbenchError, match="stage 'intuiting' is already defined"):
        fwk.all_stages()


# ---------------------------------------------------------------- migration 2


def v1_file(path, rows: dict[str, list[dict]]):
    """A study file as the first version of the workbench wrote it."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN")
    for stmt in schema.statements(schema._V1):
        conn.execute(stmt)
    for table in ("study", "documents", "firms", "sources", "routines", "events", "evidence", "links"):
        v1_columns = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        for row in rows[table]:
            assert all(v is None for k, v in row.items() if k not in v1_columns)  # columns added later
            row = {k: v for k, v in row.items() if k in v1_columns}
            cols = ", ".join(row)
            conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    conn.execute("COMMIT")
    conn.close()


def table_rows(conn, table):
    conn.row_factory = sqlite3.Row
    return [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY rowid")]


def test_a_new_file_has_no_framework_check(tmp_path):
    db = StudyDB.open(tmp_path / "new.lpw", create=True)
    try:
        assert db.conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION >= 2
        sql = db.conn.execute("SELECT sql FROM sqlite_master WHERE name = 'study'").fetchone()[0]
        assert "framework" in sql and "4I" not in sql
    finally:
        db.close()


def test_version_1_file_migrates_keeping_every_row(tmp_path, capsys):
    # every row of both sample studies, as a version-1 file holds them
    source = tmp_path / "current.lpw"
    assert run(capsys, "import", source, JM)[0] == 0
    assert run(capsys, "import", source, TRAINING)[0] == 0
    conn = sqlite3.connect(source)
    tables = ("study", "documents", "firms", "sources", "routines", "events", "evidence", "links")
    rows = {t: table_rows(conn, t) for t in tables}
    conn.close()
    assert all(rows[t] for t in tables)

    old = tmp_path / "old.lpw"
    v1_file(old, rows)
    conn = sqlite3.connect(old, isolation_level=None)
    before = list(conn.iterdump())
    with pytest.raises(sqlite3.IntegrityError):  # the version-1 CHECK
        conn.execute("UPDATE study SET framework = '4I-IM'")

    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN")
    for version in range(2, schema.SCHEMA_VERSION + 1):
        schema.MIGRATIONS[version](conn)
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION}")
    conn.execute("COMMIT")
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert {t: table_rows(conn, t) for t in tables} == rows
    after = list(conn.iterdump())

    def data(dump):  # rows of the tables whose columns stayed as they were
        grew = ('INSERT INTO "documents"', 'INSERT INTO "events"', 'INSERT INTO "evidence"')
        return [line for line in dump if not line.startswith("CREATE ") and not line.startswith(grew)]

    assert data(after) == data(before)
    schemas = [[line for line in dump if line.startswith("CREATE TABLE") and "study" in line.split("(")[0]]
               for dump in (before, after)]
    assert "CHECK (framework IN" in schemas[0][0] and "CHECK (framework IN" not in schemas[1][0]
    conn.execute("BEGIN")
    conn.execute("UPDATE study SET framework = '4I-IM'")  # any framework may now be stored
    conn.execute("ROLLBACK")
    conn.close()

    # and the workbench reads it as the study it was
    for path, name in ((source, "current"), (old, "old")):
        assert run(capsys, "export", path, tmp_path / f"{name}.study.json")[0] == 0
    assert json.loads((tmp_path / "old.study.json").read_text(encoding="utf-8")) == \
        json.loads((tmp_path / "current.study.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------- the window


def test_the_window_offers_and_codes_a_new_framework(own_resources, qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QToolButton

    from workbench.gui.dialogs import NewStudyDialog
    from workbench.gui.mainwindow import MainWindow

    dialog = NewStudyDialog()
    qtbot.addWidget(dialog)
    offered = [dialog.framework.itemData(i) for i in range(dialog.framework.count())]
    assert offered == ["4I", "5I", "4I-AE", "4I-IM"]
    assert dialog.framework.currentData() == "5I"

    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.ini"))
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    try:
        assert window.new_study(str(tmp_path / "new.lpw"), "Imitation", "4I-IM")
        palette = [b.text() for b in window.events_tab.findChildren(QToolButton) if b.text()[:1].isdigit()]
        assert palette == ["1 Intuiting", "2 Interpreting", "3 Imitating", "4 Integrating", "5 Institutionalising"]
        firm = window.add_firm("Acme")
        tab = window.events_tab
        event = tab.add_event()  # opens its title for typing
        qtbot.keyClick(tab.view.focusWidget() or tab.view, Qt.Key.Key_Escape)
        window.activateWindow()
        tab.view.setFocus()
        qtbot.waitUntil(tab.view.hasFocus)
        tab.view.selectRow(tab.model.row_of(event))
        qtbot.keyClick(tab.view, "3")
        qtbot.keyClick(tab.view, "M")
        stored = window.session.get("events", firm, event)
        assert stored["stages"] == ["imitating"] and stored["learning_types"] == ["mimetic"]
    finally:
        window.close_study()


def test_a_study_whose_framework_file_is_missing(own_resources, tmp_path, write_json, monkeypatch, capsys):
    """A study made with a framework file this installation lacks: a
    message naming the framework and where its file goes, not a crash."""
    lpw = tmp_path / "theirs.lpw"
    assert run(capsys, "import", lpw, write_json(new_framework_study()))[0] == 0
    monkeypatch.delenv(fwk.RESOURCES_ENV)
    monkeypatch.setattr(fwk, "_in_use", None)
    for args in (["stats", lpw], ["diagram", lpw, "--firm", "f1", "-o", tmp_path / "f1.svg"],
                 ["report", lpw, "-o", tmp_path / "r.docx"]):
        code, _, err = run(capsys, *args)
        assert code == 2
        assert ("the study uses framework '4I-IM', which this workbench does not have (it has 4I, 5I, 4I-AE); "
                f"to work with it, add its file 4I-IM.json to {SHIPPED / 'frameworks'}") in err
    assert not (tmp_path / "f1.svg").exists() and not (tmp_path / "r.docx").exists()
    with pytest.raises(WorkbenchError, match=f"^{re.escape(str(lpw))}: the study uses framework '4I-IM'"):
        Session(lpw)
    # the file was closed again: it can be opened with the framework back
    monkeypatch.setenv(fwk.RESOURCES_ENV, str(own_resources))
    monkeypatch.setattr(fwk, "_in_use", None)
    s = Session(lpw)
    assert s.framework.id == "4I-IM"
    s.close()


# ---------------------------------------------------------------- derived summaries


def test_which_data_a_summary_is_derived_from_is_data(own_resources, monkeypatch):
    from workbench.core.analysis import derive_summary
    from workbench.core.model import Study

    study = Study.from_dict(json.loads(JM.read_text(encoding="utf-8")))
    brw = study.firm("brw")

    path = own_resources / "frameworks" / "vocabulary.json"
    voc = json.loads(path.read_text(encoding="utf-8"))
    fields = voc["summary_fields"]
    # suggest the firm's customers as its transfer mechanism, and drop the intertwining rule
    fields["transfer_mechanism"]["derived_from"] = {"rule": "sources", "source_kinds": ["customer"], "top": 1}
    del fields["intertwining_activity"]["derived_from"]
    path.write_text(json.dumps(voc), encoding="utf-8")
    changed = derive_summary(brw)
    monkeypatch.delenv(fwk.RESOURCES_ENV)
    monkeypatch.setattr(fwk, "_in_use", None)
    shipped = derive_summary(brw)
    assert shipped["learning_catalyst"] and shipped["intertwining_activity"]

    customers = {s.id: s for s in brw.source_list if s.kind == "customer"}
    used = [sid for e in brw.event_list for sid in e.sources or () if sid in customers]
    top = max(dict.fromkeys(used), key=used.count)
    assert changed["transfer_mechanism"] == customers[top].name
    assert "intertwining_activity" not in changed
    assert {k: v for k, v in changed.items() if k != "transfer_mechanism"} == \
        {k: v for k, v in shipped.items() if k not in ("transfer_mechanism", "intertwining_activity")}


def test_an_unknown_summary_rule_is_named(tmp_path, monkeypatch):
    from workbench.core.analysis import derive_summary
    from workbench.core.model import Study

    folder = tmp_path / "resources"
    shutil.copytree(SHIPPED, folder)
    path = folder / "frameworks" / "vocabulary.json"
    voc = json.loads(path.read_text(encoding="utf-8"))
    voc["summary_fields"]["time_period"]["derived_from"] = {"rule": "calendar"}
    path.write_text(json.dumps(voc), encoding="utf-8")
    monkeypatch.setenv(fwk.RESOURCES_ENV, str(folder))
    monkeypatch.setattr(fwk, "_in_use", None)
    study = Study.from_dict(json.loads(JM.read_text(encoding="utf-8")))
    with pytest.raises(WorkbenchError, match="summary field 'time_period' is derived by rule 'calendar'"):
        derive_summary(study.firms[0])
