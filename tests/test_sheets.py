"""Spreadsheets: a study's tables out as .xlsx or a folder of .csv files,
events, sources and routines read back in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

openpyxl = pytest.importorskip("openpyxl")

from workbench import services  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_cases"


def _run(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "workbench", *map(str, args)], capture_output=True,
                          text=True, env=env)


def _sample(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.study.json").read_text("utf-8"))


def _lpw(tmp_path: Path, doc: dict, name: str) -> Path:
    src = tmp_path / f"{name}.study.json"
    src.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    lpw = tmp_path / f"{name}.lpw"
    services.import_file(lpw, src)
    return lpw


def _emptied(doc: dict) -> dict:
    """The study without the tables a spreadsheet brings back."""
    doc = json.loads(json.dumps(doc))
    for f in doc["firms"]:
        for k in ("events", "sources", "routines", "links"):
            f.pop(k, None)
    return doc


def _tables(study: dict) -> dict:
    out = {}
    for f in study["firms"]:
        out[f["id"]] = {"sources": f.get("sources", []), "routines": f.get("routines", []),
                        "events": [{k: v for k, v in e.items() if k != "evidence"} for e in f.get("events", [])]}
    return out


def test_xlsx_export_sheets_header_and_lists(tmp_path):
    lpw = _lpw(tmp_path, _sample("jones-macpherson-2006"), "jm")
    out = tmp_path / "jm.xlsx"
    r = _run("export", lpw, out)
    assert r.returncode == 0, r.stderr
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Firms", "Events", "Sources", "Routines", "Evidence"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert all(c.font.bold for c in ws[1] if c.value)
    ev = wb["Events"]
    headers = [c.value for c in ev[1]]
    study = _sample("jones-macpherson-2006")
    e2 = study["firms"][0]["events"][1]
    row = [c.value for c in ev[3]]
    assert row[headers.index("Id")] == e2["id"]
    assert row[headers.index("Knowledge sources")] == "; ".join(e2["sources"])
    assert row[headers.index("Learning types")] == "; ".join(t.capitalize() for t in e2["learning_types"])
    n_events = sum(len(f["events"]) for f in study["firms"])
    assert ev.max_row == n_events + 1
    ws = wb["Evidence"]
    assert ws.max_row - 1 == sum(len(e.get("evidence", ())) for f in study["firms"] for e in f["events"])
    firms = wb["Firms"]
    fh = [c.value for c in firms[1]]
    assert "Owner-manager" in fh and [c.value for c in firms[2]][fh.index("Owner-manager")] == "Roger Watson"


@pytest.mark.parametrize("sample", ["training-case", "jones-macpherson-2006"])
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_export_imports_back_to_an_equal_study(tmp_path, sample, suffix):
    doc = _sample(sample)
    lpw = _lpw(tmp_path, doc, "full")
    out = tmp_path / f"tables{suffix}"
    assert _run("export", lpw, out).returncode == 0
    target = _lpw(tmp_path, _emptied(doc), "empty")
    r = _run("import", target, out)
    assert r.returncode == 0, r.stderr
    assert _tables(services.load(target).study.to_dict()) == _tables(services.load(lpw).study.to_dict())


def _xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def test_headers_and_terms_are_matched_tolerantly(tmp_path):
    lpw = _lpw(tmp_path, _sample("training-case"), "t")
    before = services.load(lpw).study.firm("kestrel")
    path = _xlsx(tmp_path / "log.xlsx", {
        "events": [[" TITLE ", "learning_types", "Stages", "critical", "DATE", "Colour"],
                   ["Visited a trade fair", "mimetic", "Intuiting; interpreting", "yes", 2019, "red"],
                   ["Hired an apprentice", "Normative", "integrating", "", "2020-03", None]],
        "Sources": [["name", "KIND", "Scope"], ["Trade fair", "Conference fair", "national"]],
    })
    r = _run("import", lpw, path, "--firm", "kestrel")
    assert r.returncode == 0, r.stderr
    assert "column F (Colour)" in r.stderr and "does not know" in r.stderr
    firm = services.load(lpw).study.firm("kestrel")
    new = firm.event_list[len(before.event_list):]
    assert [(e.title, e.stages, e.learning_types, e.critical, e.date) for e in new] == [
        ("Visited a trade fair", ["intuiting", "interpreting"], ["mimetic"], True, "2019"),
        ("Hired an apprentice", ["integrating"], ["normative"], None, "2020-03")]
    assert len({e.id for e in firm.event_list}) == len(firm.event_list)
    src = firm.source_list[-1]
    assert (src.name, src.kind, src.scope) == ("Trade fair", "conference_fair", "national")


def test_problems_name_sheet_row_and_column_and_nothing_is_written(tmp_path):
    lpw = _lpw(tmp_path, _sample("training-case"), "t")
    before = lpw.read_bytes()
    existing = services.load(lpw).study.firm("kestrel").event_list[0].id
    path = _xlsx(tmp_path / "bad.xlsx", {
        "Events": [["Id", "Event", "Stages", "Critical", "Knowledge sources"],
                   ["n1", "Fine", "intuiting", "no", None],
                   ["n2", "Misspelt stage", "intuitng", "", None],
                   ["n3", "Odd flag", "interpreting", "perhaps", None],
                   [existing, "Taken id", "interpreting", "", None],
                   ["n5", "Unknown source", "interpreting", "", "nobody"]],
    })
    r = _run("import", lpw, path, "--firm", "kestrel")
    assert r.returncode == 2, (r.stdout, r.stderr)
    err = r.stderr
    assert "Events, row 3, column C (Stages)" in err and "intuitng" in err
    assert "Events, row 4, column D (Critical)" in err
    assert "Events, row 5, column A (Id)" in err
    assert "Traceback" not in err
    assert lpw.read_bytes() == before
    # once the checks of single cells pass, the format's rules are named by cell too
    path = _xlsx(tmp_path / "bad2.xlsx", {
        "Events": [["Id", "Event", "Stages", "Knowledge sources"],
                   ["n1", "Fine", "intuiting", None],
                   ["n5", "Unknown source", "interpreting", "nobody"]]})
    r = _run("import", lpw, path, "--firm", "kestrel")
    assert r.returncode == 2 and "Events, row 3, column D (Knowledge sources)" in r.stderr
    assert "nobody" in r.stderr
    assert lpw.read_bytes() == before


def test_a_term_not_known_names_the_ones_to_choose_from(tmp_path):
    """A source kind typed in the firm's own words is refused with the kinds the column takes (by label);
    a near miss gets its suggestion by label, as typed in the sheet."""
    lpw = _lpw(tmp_path, _sample("training-case"), "t")
    path = _xlsx(tmp_path / "kinds.xlsx", {
        "Sources": [["Id", "Name", "Kind", "Scope"],
                    ["hub", "County Growth Hub", "Business support agency", "Local"],
                    ["shop", "Northfield Stores", "Custmer", "Regionl"]],
        "Events": [["Id", "Event", "Learning types"], ["n1", "Met the hub", "Normative; copying"]]})
    r = _run("import", lpw, path, "--firm", "kestrel")
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.splitlines()
    kind = next(x for x in lines if "Sources, row 2, column C (Kind)" in x)
    assert "'Business support agency' is not a source kind; the source kinds are: Customer, Supplier," in kind
    assert "Government agency" in kind and "Other" in kind
    assert any("Sources, row 3, column C (Kind): 'Custmer' is not a source kind (did you mean 'Customer'?)"
               in x for x in lines)
    assert any("Sources, row 3, column D (Scope)" in x and "did you mean 'Regional'?" in x for x in lines)
    assert any("Events, row 2, column C (Learning types): 'copying' is not a learning type; the learning "
               "types are: Normative, Mimetic, Coercive" in x for x in lines)
    assert "Traceback" not in r.stderr


def test_a_study_or_firm_not_there_yet_says_how_to_make_it(tmp_path):
    """A consultant's first import: the study, then the firm, do not exist yet; each refusal says where
    to make them, and nothing is written."""
    path = _xlsx(tmp_path / "log.xlsx", {"Events": [["Firm", "Event"], ["hlb", "Supermarket drops us"]]})
    r = _run("import", tmp_path / "new.lpw", path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "no such study" in r.stderr and "File → New study…, then Firm → Add firm…" in r.stderr
    assert "workbench import new.lpw FIRMS.study.json" in r.stderr
    assert not (tmp_path / "new.lpw").exists()
    lpw = _lpw(tmp_path, _sample("training-case"), "t")
    r = _run("import", lpw, path)
    assert r.returncode == 2
    assert ("Events, row 2, column A (Firm): no firm 'hlb' in this study; its firms are: kestrel; add it in the "
            "window (Firm → Add firm…) first, with that id") in r.stderr


def test_a_preview_checks_and_counts_without_writing(tmp_path):
    from workbench.core.errors import InputError
    from workbench.io import sheets

    lpw = _lpw(tmp_path, _sample("training-case"), "t")
    before = lpw.read_bytes()
    path = _xlsx(tmp_path / "p.xlsx", {"Events": [["Event", "Stages"], ["A", "intuiting"], ["B", "integrating"]],
                                      "Routines": [["Routine"], ["Weekly review"]]})
    counts, _ = sheets.import_tables(lpw, path, "kestrel", dry_run=True)
    assert counts == {"kestrel": {"routines": 1, "events": 2}}
    assert lpw.read_bytes() == before
    bad = _xlsx(tmp_path / "b.xlsx", {"Events": [["Event", "Stages"], ["A", "nonsense"]]})
    with pytest.raises(InputError) as info:
        sheets.import_tables(lpw, bad, "kestrel", dry_run=True)
    assert any("row 2, column B (Stages)" in str(p) for p in info.value.problems)


def test_a_title_above_the_header_row_is_passed_over(tmp_path):
    lpw = _lpw(tmp_path, _sample("training-case"), "t")
    path = _xlsx(tmp_path / "log.xlsx", {"Events": [["Project log, Kestrel Joinery"], [],
                                                    ["Event", "Stages"], ["Met the assessor", "intuitng"]]})
    r = _run("import", lpw, path, "--firm", "kestrel")
    assert r.returncode == 2 and "Events, row 4, column B (Stages)" in r.stderr, r.stderr


def test_rows_need_a_firm(tmp_path):
    lpw = _lpw(tmp_path, _sample("jones-macpherson-2006"), "jm")
    path = _xlsx(tmp_path / "nofirm.xlsx", {"Events": [["Event"], ["Something happened"]]})
    r = _run("import", lpw, path)
    assert r.returncode == 2 and "Events, row 2" in r.stderr and "--firm" in r.stderr
    r = _run("import", lpw, path, "--firm", "nope")
    assert r.returncode == 2 and "nope" in r.stderr


def test_firm_option_takes_that_firms_rows(tmp_path):
    doc = _sample("jones-macpherson-2006")
    full = _lpw(tmp_path, doc, "full")
    out = tmp_path / "all.csv"
    assert _run("export", full, out).returncode == 0
    target = _lpw(tmp_path, _emptied(doc), "empty")
    r = _run("import", target, out, "--firm", "rsl")
    assert r.returncode == 0, r.stderr
    got = _tables(services.load(target).study.to_dict())
    want = _tables(services.load(full).study.to_dict())
    assert got["rsl"] == want["rsl"]
    assert got["brw"] == {"sources": [], "routines": [], "events": []}
    assert "left out" in r.stderr


def test_csv_with_semicolons_and_cp1252(tmp_path):
    lpw = _lpw(tmp_path, _sample("training-case"), "t")
    path = tmp_path / "events.csv"
    path.write_bytes("Event;Stages;Memo\r\nCaf\xe9 meeting;intuiting;na\xefve\r\n".encode("cp1252"))
    r = _run("import", lpw, path, "--firm", "kestrel")
    assert r.returncode == 0, r.stderr
    ev = services.load(lpw).study.firm("kestrel").event_list[-1]
    assert (ev.title, ev.stages, ev.memo) == ("Café meeting", ["intuiting"], "naïve")


def test_a_lone_csv_of_another_name_is_read_as_the_table_its_headers_show(tmp_path):
    """'bakery-routines.csv' or 'log.csv' are not named events.csv: the header row says which table."""
    lpw = _lpw(tmp_path, _sample("training-case"), "t")
    (tmp_path / "bakery-routines.csv").write_text("Firm,Routine,Activity\nkestrel,Weekly bake review,Tasting\n",
                                                  "utf-8")
    (tmp_path / "helpers.csv").write_text("Firm,Name,Kind\nkestrel,County Growth Hub,Government agency\n",
                                          "utf-8")
    (tmp_path / "log.csv").write_text("Firm,Event,Date\nkestrel,Supermarket drops the sourdough,2023-02\n",
                                      "utf-8")
    for name, table in (("bakery-routines.csv", "routines"), ("helpers.csv", "sources"), ("log.csv", "events")):
        before = len(services.load(lpw).study.firm("kestrel").to_dict().get(table, []))
        r = _run("import", lpw, tmp_path / name)
        assert r.returncode == 0, (name, r.stderr)
        assert f"1 {table[:-1]}" in r.stdout or f"1 {table}" in r.stdout, r.stdout
        assert len(services.load(lpw).study.firm("kestrel").to_dict().get(table, [])) == before + 1
