"""The command line: exit codes, messages, and the documented --json shape."""

import json
import subprocess
import sys

import pytest

from conftest import JM, TRAINING, minimal_study
from workbench.cli import main


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_validate_samples(capsys):
    code, out, err = run(capsys, "validate", JM, TRAINING)
    assert code == 0
    assert out.count(": valid") == 2


def test_validate_names_all_three_problems(capsys, write_json):
    doc = minimal_study()
    doc["firms"][0]["routines"][0]["sources"] = ["rda"]
    doc["firms"][0]["events"][1]["stages"] = ["institutionalizing"]
    doc["firms"][0]["events"][2]["colour"] = "red"
    path = write_json(doc)
    code, out, err = run(capsys, "validate", path)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 3
    assert any("firms[0].routines[0].sources[0]: no source 'rda' in firm 'f1'" in l for l in lines)
    assert any("firms[0].events[1].stages[0]: 'institutionalizing' is not a stage of framework 5I" in l for l in lines)
    assert any("firms[0].events[2].colour: unknown key 'colour'" in l for l in lines)


def test_validate_warnings_do_not_fail(capsys, write_json):
    doc = minimal_study()
    doc["firms"][0]["events"][2]["date"] = "1999"
    code, out, err = run(capsys, "validate", write_json(doc))
    assert code == 0 and "(1 warning)" in out
    assert "warning: firms[0].events[2].date" in err


@pytest.mark.parametrize("content, expect", [
    (b"{not json", "not valid JSON"),
    (b'{"a": 1, "a": 2}', "appears twice"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b'{"x": NaN}', "not valid JSON"),
    (b"[]", "JSON object"),
])
def test_validate_bad_files(capsys, tmp_path, content, expect):
    path = tmp_path / "bad.study.json"
    path.write_bytes(content)
    code, out, err = run(capsys, "validate", path)
    assert code == 2 and expect in err and str(path) in err


def test_validate_missing_file(capsys, tmp_path):
    code, _, err = run(capsys, "validate", tmp_path / "nope.json")
    assert code == 2 and "no such file" in err


def test_import_export_round_trip(capsys, tmp_path):
    lpw, out = tmp_path / "s.lpw", tmp_path / "out.json"
    code, stdout, _ = run(capsys, "import", lpw, JM)
    assert code == 0 and "imported 3 firms (brw, rsl, dmf)" in stdout
    assert run(capsys, "export", lpw, out)[0] == 0
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(JM.read_text(encoding="utf-8"))


def test_import_twice_needs_replace(capsys, tmp_path):
    lpw = tmp_path / "s.lpw"
    run(capsys, "import", lpw, JM)
    code, _, err = run(capsys, "import", lpw, JM)
    assert code == 2 and "use --replace" in err
    assert run(capsys, "import", lpw, JM, "--replace")[0] == 0


def test_import_invalid_file_exit_2(capsys, tmp_path, write_json):
    doc = minimal_study()
    doc["framework"] = "6I"
    code, _, err = run(capsys, "import", tmp_path / "s.lpw", write_json(doc))
    assert code == 2 and "framework: '6I' is not one of: 4I, 5I, 4I-AE" in err
    assert not (tmp_path / "s.lpw").exists()


def test_export_one_firm_with_its_documents(capsys, tmp_path):
    lpw = tmp_path / "s.lpw"
    run(capsys, "import", lpw, JM)
    run(capsys, "import", lpw, TRAINING)
    code, out, _ = run(capsys, "export", lpw, "-", "--firm", "kestrel")
    doc = json.loads(out)
    assert code == 0 and [f["id"] for f in doc["firms"]] == ["kestrel"]
    assert [d["id"] for d in doc["documents"]] == ["int-owner", "int-foreman"]
    code, out, _ = run(capsys, "export", lpw, "-", "--firm", "brw")
    assert "documents" not in json.loads(out) or json.loads(out)["documents"] == []


def test_unknown_firm_lists_the_firms(capsys):
    code, _, err = run(capsys, "export", JM, "-", "--firm", "xyz")
    assert code == 2 and "no firm 'xyz'" in err and "brw, rsl, dmf" in err
    code, _, err = run(capsys, "stats", JM, "--firm", "xyz")
    assert code == 2 and "brw, rsl, dmf" in err


def test_export_to_unwritable_place_exit_1(capsys, tmp_path):
    code, _, err = run(capsys, "export", JM, tmp_path / "no" / "such" / "dir" / "x.json")
    assert code == 1 and "cannot write" in err
    assert not (tmp_path / "no").exists()


def test_not_a_study_file(capsys, tmp_path):
    bad = tmp_path / "notes.lpw"
    bad.write_text("just some notes")
    code, _, err = run(capsys, "stats", bad)
    assert code == 2 and "notes.lpw" in err


def test_stats_json_shape(capsys):
    code, out, _ = run(capsys, "stats", JM, "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"study", "firms"}
    assert list(data["firms"]) == ["brw", "rsl", "dmf"]
    keys = {"events", "stages", "levels", "phases", "learning_types", "source_kinds", "matrix", "flows"}
    stages = ["intuiting", "interpreting", "integrating", "institutionalising", "intertwining"]
    for counts in [data["study"], *data["firms"].values()]:
        assert set(counts) == keys
        assert list(counts["matrix"]) == stages
        for row in counts["matrix"].values():
            assert set(row) == {"normative", "mimetic", "coercive"}
        assert set(counts["flows"]) == {"feed_forward", "feedback", "within"}
    assert data["firms"]["brw"]["events"] == 11
    assert data["study"]["events"] == sum(f["events"] for f in data["firms"].values())
    # BRW is normative throughout; DMF coercive
    assert data["firms"]["brw"]["learning_types"]["normative"] == 11
    assert data["firms"]["dmf"]["learning_types"]["coercive"] >= 10


def test_stats_from_lpw_equals_stats_from_json(capsys, tmp_path):
    lpw = tmp_path / "s.lpw"
    run(capsys, "import", lpw, JM)
    assert run(capsys, "stats", lpw, "--json")[1] == run(capsys, "stats", JM, "--json")[1]


def test_stats_text(capsys):
    code, out, _ = run(capsys, "stats", JM, "--firm", "dmf")
    assert code == 0 and "DMF [dmf]" in out and "feed-forward" in out and "matrix" in out


@pytest.mark.parametrize("cmd", ["validate", "import", "export", "stats"])
def test_help_on_every_command(capsys, cmd):
    with pytest.raises(SystemExit) as exc:
        main([cmd, "--help"])
    assert exc.value.code == 0
    assert "usage: workbench " + cmd in capsys.readouterr().out


def test_import_help_names_every_kind_of_file_it_takes(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    top = " ".join(capsys.readouterr().out.split())
    assert "spreadsheet" in top and "REFI-QDA" in top
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert ".xlsx" in out and ".qdpx" in out and "*.study.json" in out


def test_usage_error_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["import"])
    assert exc.value.code == 2


@pytest.mark.parametrize("module", ["workbench.cli", "workbench"])
def test_console_entry_point_runs(module, tmp_path):
    """The command as a user types it: ``python -m workbench`` too, for a
    laptop where pip's Scripts folder is not on PATH."""
    proc = subprocess.run([sys.executable, "-m", module, "validate", str(JM)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"{JM}: valid", proc.stdout


def test_written_files_get_ordinary_permissions(capsys, tmp_path):
    import os
    import stat
    out = tmp_path / "out.json"
    assert run(capsys, "export", JM, out)[0] == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask
    out.chmod(0o640)
    assert run(capsys, "export", JM, out)[0] == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640  # an existing file keeps its mode
