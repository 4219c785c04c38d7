"""Files: reading never writes, damaged studies get a message saying what to
do, killed writes leave nothing for long, stale locks and read-only folders
do not block opening."""

import contextlib
import hashlib
import json
import re
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import JM, ROOT, minimal_study
from workbench import services
from workbench.cli import main
from workbench.core.errors import (DamagedStudyError, InputError, NotAStudyError, ReadOnlyError,
                                   StudyLockedError, WorkbenchError)
from workbench.io import files
from workbench.session import Session
from workbench.store import schema, study_db
from workbench.store.study_db import StudyDB


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err, err
    return code, out, err


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


def reading_commands(study, out):
    """Each read-only command on ``study``, writing (if at all) into ``out``."""
    return [("validate", study), ("stats", study), ("stats", study, "--json"), ("export", study, "-"),
            ("export", study, out / "x.study.json"),
            ("diagram", study, "--kind", "framework", "--format", "dot", "-o", out / "f.dot"),
            ("report", study, "--no-diagrams", "-o", out / "r.docx"), ("tables", study, "-o", out / "t.docx"),
            ("documents", "list", study), ("search", study, "idea")]


def make_lpw(tmp_path, name="study.lpw", doc=None):
    path = tmp_path / name
    src = tmp_path / f"{name}.study.json"
    src.write_text(json.dumps(doc or minimal_study()), encoding="utf-8")
    services.import_file(path, src)
    src.unlink()
    return path


# --------------------------------------------------------------------------- older versions

def _add_colour(conn):
    conn.execute("ALTER TABLE firms ADD COLUMN colour TEXT")


def one_version_newer(monkeypatch) -> int:
    """This workbench made one version newer: files of today's version are
    then older ones (the mechanism every future migration goes through).
    Returns today's version."""
    old = schema.SCHEMA_VERSION
    monkeypatch.setattr(study_db, "SCHEMA_VERSION", old + 1)
    monkeypatch.setattr(study_db, "MIGRATIONS", {**schema.MIGRATIONS, old + 1: _add_colour})
    return old


@pytest.fixture
def version_2(monkeypatch):
    return one_version_newer(monkeypatch)


def test_reading_commands_never_write_an_older_study(tmp_path, capsys, version_2):
    folder = tmp_path / "study"
    folder.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    monkey_old = version_2
    path = folder / "old.lpw"
    conn = sqlite3.connect(path)
    for v in range(1, monkey_old + 1):
        schema.MIGRATIONS[v](conn)
    conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {monkey_old}")
    conn.commit()
    conn.close()
    # a study of the older version, with content
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO study (id, title, framework) VALUES (1, 'Old study', '5I')")
        conn.execute("INSERT INTO firms (id, position, name) VALUES ('f1', 0, 'Firm One')")
    conn.close()
    before, names = digest(path), listing(folder)
    for args in reading_commands(path, out):
        code, stdout, err = run(capsys, *args)
        assert code == 0, (args, err)
        assert digest(path) == before and listing(folder) == names, args  # no journal, no backup
    assert json.loads(services.export(path, None)[0])["title"] == "Old study"
    # a read-only session reads it too, still without writing
    s = Session(path, read_only=True)
    assert s.read_only and s.meta()["title"] == "Old study" and s.backup is None
    with pytest.raises(WorkbenchError):
        s.set_study_field("title", "New")
    s.close()
    assert digest(path) == before and listing(folder) == names

    # opened for editing: a copy beside it first, then brought up to date in place
    s = Session(path)
    assert not s.read_only
    assert s.backup == folder / f"old.lpw.v{monkey_old}.bak"
    assert digest(s.backup) == before
    assert any(f"old.lpw.v{monkey_old}.bak" in w for w in s.warnings)
    s.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == monkey_old + 1
    assert "colour" in {r[1] for r in conn.execute("PRAGMA table_info(firms)")}
    conn.close()
    # a second older copy never overwrites the first backup
    (folder / "again.lpw").write_bytes(s.backup.read_bytes())
    (folder / f"again.lpw.v{monkey_old}.bak").write_bytes(b"an earlier copy")
    Session(folder / "again.lpw").close()
    assert (folder / f"again.lpw.v{monkey_old}.bak").read_bytes() == b"an earlier copy"
    assert digest(folder / f"again.lpw.v{monkey_old}-2.bak") == before


def test_foreign_and_empty_files_stay_byte_identical(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    foreign = tmp_path / "music.lpw"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE tracks (title TEXT)")
    conn.execute("INSERT INTO tracks VALUES ('Blue in Green')")
    conn.commit()
    conn.close()
    empty = tmp_path / "empty.lpw"
    empty.touch()
    for path, words in ((foreign, "not a workbench study"), (empty, "the file is empty")):
        before, names = digest(path), listing(tmp_path)
        for args in reading_commands(path, out):
            code, stdout, err = run(capsys, *args)
            assert code == 2, (args, err)
            assert str(path) in err and words in err, (args, err)
            assert digest(path) == before and listing(tmp_path) == names, args
        assert listing(out) == []
    # the window's way in refuses them too, still without writing
    with pytest.raises(NotAStudyError):
        Session(foreign)
    with pytest.raises(DamagedStudyError, match="Import a"):
        Session(empty)
    assert empty.stat().st_size == 0 and not (tmp_path / "empty.lpw.lock").exists()


# --------------------------------------------------------------------------- damaged files

def _damaged_files(tmp_path):
    """(path, what a person is told to do) for each kind of damage."""
    good = make_lpw(tmp_path, "good.lpw")
    out = []
    missing = tmp_path / "missing-table.lpw"
    missing.write_bytes(good.read_bytes())
    with sqlite3.connect(missing) as conn:
        conn.execute("DROP VIEW event_codes")
        conn.execute("DROP TABLE links")
    conn.close()
    out.append((missing, "lacks the table 'links'"))
    conn = sqlite3.connect(good)
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'events'").fetchone()[0]
    conn.close()
    malformed = tmp_path / "malformed.lpw"
    data = bytearray(good.read_bytes())
    data[(root - 1) * page:root * page] = b"\xa5" * page
    malformed.write_bytes(bytes(data))
    out.append((malformed, "damaged"))
    empty = tmp_path / "zero.lpw"
    empty.touch()
    out.append((empty, "empty"))
    # what an import killed after the file was made leaves: the tables, no study
    half = tmp_path / "half.lpw"
    StudyDB.open(half, create=True).close()
    out.append((half, "holds no study"))
    cut = tmp_path / "cut.lpw"
    cut.write_bytes(good.read_bytes()[:3000])
    out.append((cut, "damaged"))
    return out


def test_damaged_studies_get_a_message_naming_the_file_and_what_to_do(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    for path, words in _damaged_files(tmp_path):
        before = digest(path)
        for args in reading_commands(path, out):
            code, stdout, err = run(capsys, *args)
            assert digest(path) == before
            if args[0] in ("documents", "search") and code == 0:
                continue  # a damaged page those do not read
            assert code == 2, (args, err)
            assert str(path) in err and words in err, (args, err)
            assert "import" in err, err  # what to do
            assert digest(path) == before
        with pytest.raises(DamagedStudyError) as exc:
            Session(path)
        assert str(path) in exc.value.message and words in exc.value.message
        assert digest(path) == before and not (tmp_path / (path.name + ".lock")).exists()


def test_damaged_study_opened_in_the_window_gets_a_dialog(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from workbench.gui.mainwindow import MainWindow

    seen = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: seen.append((title, text)))
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.ini"))
    w = MainWindow()
    qtbot.addWidget(w)
    for path, words in _damaged_files(tmp_path):
        assert not w.open_path(str(path))
        title, text = seen[-1]
        assert title == "The study file is damaged"
        assert str(path) in text and words in text and "import" in text
        assert w.session is None
    # a file too large to be checked page by page when opened: found when first read
    import workbench.session as session_mod

    monkeypatch.setattr(session_mod, "QUICK_CHECK_BYTES", 0)
    malformed = tmp_path / "malformed.lpw"
    seen.clear()
    assert not w.open_path(str(malformed))
    assert seen and seen[-1][0] == "The study file is damaged" and str(malformed) in seen[-1][1]
    assert w.session is None and w.stack.currentWidget() is w.start
    assert not (tmp_path / "malformed.lpw.lock").exists()


def test_wrong_types_in_a_study_file_are_problems_with_their_path(tmp_path, capsys, write_json):
    doc = minimal_study()
    doc["firms"][0]["events"][0]["stages"] = [{"a": 1}]
    doc["firms"][0]["routines"][0]["stage"] = []
    doc["firms"][0]["events"][1]["stages"] = [["integrating"]]
    doc["codes"] = [{"id": "c1", "name": "Trust"}, {"id": {"a": 1}, "name": "Doubt", "parent": "c1"}]
    path = write_json(doc)
    code, out, err = run(capsys, "validate", path)
    assert code == 2
    assert "codes[1].id: " in err
    assert "firms[0].events[0].stages[0]: " in err
    assert "firms[0].routines[0].stage: " in err
    assert "firms[0].events[1].stages[0]: " in err
    for command in ("stats", "export"):
        code, out, err = run(capsys, command, path, *(["-"] if command == "export" else []))
        assert code == 2 and "firms[0].events[0].stages[0]" in err
    # the same values written into a .lpw by another program
    lpw = make_lpw(tmp_path)
    with sqlite3.connect(lpw) as conn:
        conn.execute("""UPDATE events SET stages = '[{"a": 1}]' WHERE id = 'e1'""")
        conn.execute("UPDATE routines SET stage = 7 WHERE id = 'r1'")
    conn.close()
    code, out, err = run(capsys, "validate", lpw)
    assert code == 2
    assert "firms[0].events[0].stages[0]: " in err and "firms[0].routines[0].stage: " in err
    code, out, err = run(capsys, "stats", lpw)
    assert code == 2 and str(lpw) in err and "firms[0].events[0].stages[0]" in err


def test_validate_takes_a_lpw(tmp_path, capsys):
    lpw = make_lpw(tmp_path)
    before = digest(lpw)
    code, out, err = run(capsys, "validate", lpw, JM)
    assert code == 0 and out.count(": valid") == 2
    assert digest(lpw) == before and listing(tmp_path) == ["study.lpw"]
    with sqlite3.connect(lpw) as conn:  # a problem only the rules see: a link to itself
        conn.execute("INSERT INTO links (firm, position, from_event, to_event) VALUES ('f1', 0, 'e1', 'e1')")
    conn.close()
    code, out, err = run(capsys, "validate", lpw)
    assert code == 2 and "firms[0].links[0]: a link cannot lead from event 'e1' to itself" in err


# --------------------------------------------------------------------------- temporary files

_KILLED_WRITE = """
import os, sys, time
from workbench.io import files
real = os.replace
def stop(src, dst):
    print(src, flush=True)
    time.sleep(60)
os.replace = stop
from workbench.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(os.name == "nt", reason="kills with SIGKILL")
@pytest.mark.parametrize("command", ["export", "report"])
def test_temporary_file_of_a_killed_write_is_removed_by_the_next(tmp_path, command):
    out = tmp_path / "out"
    out.mkdir()
    target = out / ("s.study.json" if command == "export" else "r.docx")
    args = [str(JM), str(target)] if command == "export" else [str(JM), "--no-diagrams", "-o", str(target)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_WRITE, command, *args], env=env,
                            stdout=subprocess.PIPE, text=True)
    temp = proc.stdout.readline().strip()  # the write is complete but not yet in place
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    left = [p for p in out.iterdir()]
    assert [p.name for p in left] == [os.path.basename(temp)] and temp.endswith(files.TEMP_SUFFIX)
    assert not target.exists()
    # someone else's file that merely looks alike, and one a live process writes, stay
    other = out / ".notes.tmp"
    other.write_text("mine")
    live = out / f".x.{files._host_tag()}-{os.getppid()}.abc123{files.TEMP_SUFFIX}"
    live.write_text("being written")
    code = subprocess.run([sys.executable, "-m", "workbench", command, *args], env=env,
                          capture_output=True, text=True)
    assert code.returncode == 0, code.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted([target.name, other.name, live.name])
    # a temporary file of another computer is removed only when it is old
    foreign = out / f".y.{'0' * 8}-1.abc{files.TEMP_SUFFIX}"
    foreign.write_text("x")
    files.atomic_write_text(out / "z.txt", "z")
    assert foreign.exists()
    old = time.time() - files.STALE_AFTER - 5
    os.utime(foreign, (old, old))
    files.atomic_write_text(out / "z.txt", "z")
    assert not foreign.exists() and live.exists() and other.exists()


# --------------------------------------------------------------------------- locks and read-only

@pytest.mark.parametrize("content", [b"", b"\xff\xfe not json", b'{"host": "x"}'])
def test_empty_or_unreadable_lock_does_not_block_opening(tmp_path, content):
    path = make_lpw(tmp_path)
    lock = tmp_path / "study.lpw.lock"
    lock.write_bytes(content)
    s = Session(path)
    assert not s.read_only
    assert any("study.lpw.lock" in w and "taken over" in w for w in s.warnings)
    assert json.loads(lock.read_text())["pid"] == os.getpid()
    s.close()
    assert not lock.exists()


def test_window_says_a_stale_lock_was_taken_over(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from workbench.gui.mainwindow import MainWindow

    path = make_lpw(tmp_path)
    (tmp_path / "study.lpw.lock").touch()
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: pytest.fail(f"warning {a[1:]}"))
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.ini"))
    w = MainWindow()
    qtbot.addWidget(w)
    assert w.open_path(str(path)) and not w.session.read_only
    assert "The lock file study.lpw.lock was empty" in w.statusBar().currentMessage()
    w.close_study()
    assert not (tmp_path / "study.lpw.lock").exists()


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="a file root can read anyway")
def test_lock_without_read_permission_does_not_block_opening(tmp_path):
    path = make_lpw(tmp_path)
    lock = tmp_path / "study.lpw.lock"
    lock.write_text('{"pid": 1, "host": "elsewhere"}')
    lock.chmod(0)
    s = Session(path)
    assert any("unreadable" in w for w in s.warnings)
    s.close()


@contextlib.contextmanager
def read_only_folder(folder):
    """Make ``folder`` unwritable, for root too (chattr +i), or skip."""
    if os.name != "nt" and os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot make a folder read-only here")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_study_in_a_read_only_folder_opens_read_only_in_the_window(qtbot, tmp_path, monkeypatch, capsys):
    from PySide6.QtWidgets import QMessageBox

    from workbench.gui.mainwindow import MainWindow

    folder = tmp_path / "shared"
    folder.mkdir()
    path = make_lpw(folder)
    before, names = digest(path), listing(folder)
    seen = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a: seen.append((title, text)))
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.ini"))
    with read_only_folder(folder):
        w = MainWindow()
        qtbot.addWidget(w)
        assert w.open_path(str(path))
        assert w.session.read_only and [f["id"] for f in w.session.firms()] == ["f1"]
        assert "read-only" in w.statusBar().currentMessage() and "(read-only)" in w.windowTitle()
        assert w.events_tab.model.rowCount() == 3
        with pytest.raises(WorkbenchError):
            w.session.set_study_field("title", "Changed")
        w.close_study()
        # the reading commands work there too
        code, out, err = run(capsys, "stats", path)
        assert code == 0
    assert digest(path) == before and listing(folder) == names and not seen


def test_locked_study_is_offered_read_only_by_the_error_type(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from workbench.gui.mainwindow import MainWindow

    path = make_lpw(tmp_path)
    editing = Session(path)  # another workbench (this process: alive) has it
    try:
        with pytest.raises(StudyLockedError) as exc:
            Session(path)
        assert exc.value.holder["pid"] == os.getpid()
        asked = []
        monkeypatch.setattr(QMessageBox, "question", lambda parent, title, text, *a: asked.append(title)
                            or QMessageBox.StandardButton.Open)
        monkeypatch.setattr(QMessageBox, "warning", lambda *a: pytest.fail(f"warning {a[1:]}"))
        monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.ini"))
        w = MainWindow()
        qtbot.addWidget(w)
        assert w.open_path(str(path))
        assert asked == ["Open the study read-only?"]
        assert w.session.read_only and not w.session.lock.held
        w.close_study()
        assert (tmp_path / "study.lpw.lock").exists()  # still the other workbench's
    finally:
        editing.close()
    assert issubclass(ReadOnlyError, WorkbenchError) and issubclass(DamagedStudyError, InputError)


# --------------------------------------------------------------------------- one firm

def test_stats_and_diagram_of_one_firm_read_only_that_firm(tmp_path, capsys, monkeypatch):
    lpw = tmp_path / "jm.lpw"
    services.import_file(lpw, JM)
    statements = []
    real = study_db._connect

    def traced(path, mode):
        conn = real(path, mode)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(study_db, "_connect", traced)
    code, out, err = run(capsys, "stats", lpw, "--firm", "rsl", "--json")
    assert code == 0
    firm_reads = [s for s in statements if "FROM events" in s or "FROM evidence" in s or "FROM sources" in s]
    assert firm_reads and all(re.search(r"WHERE firm (= 'rsl'|IN \('rsl'\))", s) for s in firm_reads), firm_reads
    assert json.loads(out)["firms"] == {"rsl": services.stats(JM, "rsl")[0]["firms"]["rsl"]}
    statements.clear()
    code, out, err = run(capsys, "diagram", lpw, "--firm", "dmf", "--format", "dot", "-o", tmp_path / "d.dot")
    assert code == 0
    firm_reads = [s for s in statements if "FROM events" in s or "FROM routines" in s]
    assert firm_reads and all(re.search(r"WHERE firm (= 'dmf'|IN \('dmf'\))", s) for s in firm_reads), firm_reads
    services.diagram(JM, tmp_path / "j.dot", firm_id="dmf", fmt="dot")
    assert (tmp_path / "d.dot").read_text() == (tmp_path / "j.dot").read_text()
    code, out, err = run(capsys, "stats", lpw, "--firm", "nope")
    assert code == 2 and "its firms are: brw, rsl, dmf" in err


def test_older_study_in_a_read_only_folder_is_read_without_being_updated(tmp_path, monkeypatch):
    folder = tmp_path / "shared"
    folder.mkdir()
    path = make_lpw(folder)
    old = one_version_newer(monkeypatch)  # the file is now of an older version
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == old
    conn.close()
    before, names = digest(path), listing(folder)
    with read_only_folder(folder):
        s = Session(path)
        assert s.read_only and s.backup is None
        assert [f["id"] for f in s.firms()] == ["f1"] and s.meta()["title"] == "Test study"
        assert any("cannot be written" in w for w in s.warnings)
        assert "colour" in {r[1] for r in s.db.conn.execute("PRAGMA table_info(firms)")}  # in memory
        s.close()
    assert digest(path) == before and listing(folder) == names


@pytest.mark.skipif(schema.SCHEMA_VERSION == 1, reason="no older version yet")
def test_a_version_1_study_is_read_as_it_is_and_updated_only_for_editing(tmp_path, capsys):
    folder = tmp_path / "study"
    folder.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    path = folder / "v1.lpw"
    conn = sqlite3.connect(path)
    schema.MIGRATIONS[1](conn)
    conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO study (id, title, framework) VALUES (1, 'Version one', '5I')")
    conn.execute("INSERT INTO firms (id, position, name) VALUES ('f1', 0, 'Firm One')")
    conn.execute("""INSERT INTO events (firm, id, position, title, date, stages, learning_types)
                    VALUES ('f1', 'e1', 0, 'Audit failed', '2001', '["intuiting"]', '["coercive"]')""")
    conn.commit()
    conn.close()
    before, names = digest(path), listing(folder)
    for args in reading_commands(path, out):
        code, stdout, err = run(capsys, *args)
        assert code == 0, (args, err)
        assert digest(path) == before and listing(folder) == names, args
    counts = services.stats(path)[0]["firms"]["f1"]
    assert counts["events"] == 1 and counts["stages"]["intuiting"] == 1
    assert counts["learning_types"]["coercive"] == 1
    s = Session(path)
    assert s.backup == folder / "v1.lpw.v1.bak" and digest(s.backup) == before
    s.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    conn.close()
    assert services.stats(path)[0]["firms"]["f1"] == counts


def test_window_says_where_the_copy_of_an_older_study_is(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from workbench.gui.mainwindow import MainWindow

    path = make_lpw(tmp_path)
    before = digest(path)
    old = one_version_newer(monkeypatch)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: pytest.fail(f"warning {a[1:]}"))
    monkeypatch.setenv("WORKBENCH_SETTINGS", str(tmp_path / "settings.ini"))
    w = MainWindow()
    qtbot.addWidget(w)
    assert w.open_path(str(path)) and not w.session.read_only
    assert f"study.lpw.v{old}.bak" in w.statusBar().currentMessage()
    assert w.events_tab.model.rowCount() == 3
    w.close_study()
    assert digest(tmp_path / f"study.lpw.v{old}.bak") == before and digest(path) != before


def test_a_damaged_page_met_by_any_command_is_reported_not_an_internal_error(tmp_path, capsys, monkeypatch):
    lpw = make_lpw(tmp_path)

    def reads_a_bad_page(*a, **k):
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(services, "stats", reads_a_bad_page)
    code, out, err = run(capsys, "stats", lpw)
    assert code == 2 and str(lpw) in err and "damaged" in err and "import" in err
