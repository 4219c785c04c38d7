"""``workbench renewal`` and the renewal table of ``workbench tables``."""

import json

import docx
import pytest
from docx.oxml.ns import qn

from conftest import JM, TRAINING
from test_renewal import firm_doc, healthy_events
from workbench import services
from workbench.cli import main
from workbench.core.renewal import actions, load_rules
from workbench.session import Session


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err
    return code, out, err


@pytest.fixture
def kestrel_lpw(tmp_path):
    """The training case as a .lpw, with a checklist a consultant has started."""
    path = tmp_path / "k.lpw"
    services.import_file(path, TRAINING)
    with Session(path) as s:
        s.insert("actions", "kestrel", {"id": "recognise_threat", "status": "done", "event": "e1",
                                        "note": "Kerrigan rang the association the same week"})
        s.insert("actions", "kestrel", {"id": "scan_environment", "status": "planned", "date": "2024-09",
                                        "owner": "Priya Shah"})
        s.insert("actions", "kestrel", {"id": "delegate_responsibility", "status": "not_relevant"})
        s.insert("actions", "kestrel", {"id": "own_quarterly", "status": "planned", "date": "2024-10",
                                        "owner": "Dan Kerrigan", "text": "Quarterly review with Northgate"})
    return path


def test_text_gives_phases_then_findings_then_checklist(capsys):
    code, out, err = run(capsys, "renewal", JM, "--firm", "rsl")
    assert code == 0 and err == ""
    order = [out.index(s) for s in ("1. Critical incident", "2. Opening up", "3. Knowledge-sharing structures",
                                    "4. Institutionalisation", "Findings (1)", "Action checklist (0 of 15 set)")]
    assert order == sorted(order)
    phase3 = out[out.index("3. Knowledge-sharing"):out.index("4. Institutionalisation")]
    assert "e6  years 1-2  Quarterly Local Management Committee meetings" in phase3
    assert "routines: Local Management Committee (LMC)" in phase3
    assert "KTP consultant (Consultant, outside the firm)" in phase3
    findings = out[out.index("Findings (1)"):out.index("Action checklist")]
    assert "NOTE: All 11 events with a learning type are Mimetic." in findings
    assert "why it matters:" in findings and "basis: Jones & Macpherson (2006)" in findings
    assert "for the client:" in findings
    for a in actions():
        assert a.text in out


def test_checklist_shows_what_the_study_records(capsys, kestrel_lpw):
    code, out, _ = run(capsys, "renewal", kestrel_lpw, "--firm", "kestrel")
    assert code == 0
    checklist = out[out.index("Action checklist (4 of 16 set)"):]
    assert "[done] Name the problem or threat early" in checklist
    assert "shown by e1 (Main customer rejects a batch of sash windows)" in checklist
    assert "note: Kerrigan rang the association the same week" in checklist
    assert "2024-09; owner: Priya Shah" in checklist
    assert "[not relevant] Hand real responsibility" in checklist
    assert checklist.index("Own actions") < checklist.index("[planned] Quarterly review with Northgate")
    assert "[not set] Go looking for outside help" in checklist


def test_json_shape(capsys, kestrel_lpw):
    code, out, _ = run(capsys, "renewal", kestrel_lpw, "--firm", "kestrel", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"firm", "phases", "unphased", "findings", "checklist"}
    assert data["firm"] == {"id": "kestrel", "name": "Kestrel Joinery Ltd"}
    assert [p["id"] for p in data["phases"]] == ["critical_incident", "opening_up", "knowledge_sharing",
                                                 "institutionalisation"]
    ou = data["phases"][1]
    assert (ou["start"], ou["end"], ou["span"]) == ("2023-04", "2023-05", "2023-04 – 2023-05")
    assert [e["id"] for e in ou["events"]] == ["e2", "e3"]
    assert ou["sources"][0] == {"id": "trade_assoc", "name": ou["sources"][0]["name"],
                                "kind": "trade_association", "external": True}
    assert {"event", "quote", "speaker", "document"} == set(ou["evidence"][0])
    assert data["findings"] == []
    items = {c["id"]: c for c in data["checklist"]}
    assert len(items) == 16
    assert items["recognise_threat"]["status"] == "done" and items["recognise_threat"]["entry"]["event"] == "e1"
    assert items["seek_outside_help"]["status"] is None and items["seek_outside_help"]["entry"] is None
    assert items["own_quarterly"]["own"] and items["own_quarterly"]["phase"] is None
    assert items["scan_environment"]["who"] == "facilitator"


def test_json_findings_carry_reason_and_basis(capsys, tmp_path):
    events = healthy_events()
    events[1]["sources"] = ["owner"]  # opening up with no one from outside
    path = tmp_path / "h.study.json"
    path.write_text(json.dumps(firm_doc(events)), encoding="utf-8")
    code, out, _ = run(capsys, "renewal", path, "--firm", "f", "--json")
    assert code == 0
    f = json.loads(out)["findings"]
    assert [x["id"] for x in f] == ["opening_up_without_outside_source"]
    assert f[0]["severity"] == "concern" and f[0]["events"] == ["e2"]
    assert f[0]["reason"] and f[0]["citation"].startswith("Jones & Macpherson (2006)") and f[0]["plain"]
    # what to do: the rule's Table 7 actions, by their number in the checklist, with the firm's status
    rule = next(r for r in load_rules() if r.id == "opening_up_without_outside_source")
    checklist = {c["id"]: c for c in json.loads(out)["checklist"]}
    assert [a["id"] for a in f[0]["actions"]] == list(rule.actions)
    for a in f[0]["actions"]:
        assert (a["number"], a["text"], a["status"]) == (checklist[a["id"]]["number"], checklist[a["id"]]["text"], None)
    assert [c["number"] for c in json.loads(out)["checklist"]] == list(range(1, 16))
    assert f[0]["advice"] == (rule.advice or None)


def test_text_names_each_findings_actions_by_number_and_text(capsys, tmp_path):
    events = healthy_events()
    events[1]["sources"] = ["owner"]  # opening up with no one from outside
    doc = firm_doc(events, actions=[{"id": "identify_standards", "status": "planned", "owner": "Ann"}])
    path = tmp_path / "h.study.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = run(capsys, "renewal", path, "--firm", "f")
    assert code == 0 and err == ""
    findings = out[out.index("Findings (1)"):out.index("Action checklist")]
    numbers = {a.id: n for n, a in enumerate(actions(), 1)}
    texts = {a.id: a.text for a in actions()}
    rule = next(r for r in load_rules() if r.id == "opening_up_without_outside_source")
    lines = [ln.strip() for ln in findings.splitlines() if ln.strip().startswith("action ")]
    assert lines == [f"action {numbers[a]}: {texts[a]}  [{'planned' if a == 'identify_standards' else 'not set'}]"
                     for a in rule.actions]
    # the checklist below carries the same numbers
    for a in rule.actions:
        assert f"{numbers[a]:>2}. [" in out and f"{texts[a]}" in out.split("Action checklist")[1]
        row = next(ln for ln in out.split("Action checklist")[1].splitlines() if f"<{a}>" in ln)
        assert row.strip().startswith(f"{numbers[a]}. ")


def test_study_warnings_are_printed_as_other_commands_do(capsys, tmp_path):
    events = healthy_events()
    events[2]["date"] = "1999"  # before the events it follows: a warning, not an error
    path = tmp_path / "w.study.json"
    path.write_text(json.dumps(firm_doc(events)), encoding="utf-8")
    _, _, validate_err = run(capsys, "validate", path)
    warnings = [ln for ln in validate_err.splitlines() if "warning: " in ln]
    assert warnings, "the fixture should give a warning"
    for extra in ([], ["--json"]):
        code, out, err = run(capsys, "renewal", path, "--firm", "f", *extra)
        assert code == 0 and err.splitlines() == warnings
        if extra:
            json.loads(out)  # stdout stays JSON


def test_unknown_firm_exits_2(capsys):
    code, out, err = run(capsys, "renewal", JM, "--firm", "xyz")
    assert code == 2 and out == ""
    assert "no firm 'xyz'" in err and "brw, rsl, dmf" in err


def test_a_bad_rules_file_exits_2_naming_file_and_rule(capsys, tmp_path):
    rules = tmp_path / "my-rules.json"
    rules.write_text(json.dumps({"rules": [{"id": "mine", "condition": {"phase": "opening_up", "lacks": "x"},
                                            "message": "m", "reason": "r", "citation": "c", "plain": "p", "advice": "a"}]}))
    code, out, err = run(capsys, "renewal", JM, "--firm", "brw", "--rules", rules)
    assert code == 2 and out == ""
    assert str(rules) in err and "rule 'mine'" in err and "unknown condition key 'lacks'" in err
    code, _, err = run(capsys, "renewal", JM, "--firm", "brw", "--rules", tmp_path / "none.json")
    assert code == 2 and "none.json: no such rules file" in err


def test_a_consultants_rules_file_replaces_the_rules(capsys, tmp_path):
    rules = tmp_path / "my-rules.json"
    rules.write_text(json.dumps({"rules": [{
        "id": "late_opening", "severity": "note", "condition": {"missing_phase": "opening_up"},
        "message": "never opened up", "reason": "r", "citation": "Table 7", "plain": "p", "actions": ["seek_outside_help"]}, {
        "id": "feedback", "condition": {"no_flow": "within"},
        "message": "learning never stays put", "reason": "r", "citation": "c", "plain": "p", "advice": "a"}]}))
    code, out, _ = run(capsys, "renewal", JM, "--firm", "rsl", "--rules", rules, "--json")
    assert code == 0 and json.loads(out)["findings"] == []  # RSL has both
    code, out, _ = run(capsys, "renewal", JM, "--firm", "rsl", "--rules", rules)
    assert "Findings: none" in out


def _table_after(document, caption_text):
    for p in document.paragraphs:
        if p.style.name == "Caption" and caption_text in p.text:
            el = p._p.getnext()
            while el is not None and el.tag != qn("w:tbl"):
                el = el.getnext()
            return [[c.text for c in row.cells] for row in docx.table.Table(el, document).rows]
    raise AssertionError(f"no caption with {caption_text!r}")


def test_tables_hold_the_renewal_table(capsys, tmp_path):
    code, out, _ = run(capsys, "tables", JM, "-o", tmp_path / "t.docx")
    assert code == 0
    rows = _table_after(docx.Document(tmp_path / "t.docx"), "Renewal across firms")
    assert rows[0] == ["Firm", "Critical incident", "Opening up", "Knowledge-sharing structures",
                       "Institutionalisation", "Findings"]
    assert [r[0] for r in rows[1:]] == ["BRW", "RSL", "DMF"]
    assert rows[1][1:5] == ["late 1990s (2 events)", "year 1 – later (2 events)", "year 1 (2 events)",
                            "year 1 – after year 2 (5 events)"]
    assert rows[1][5] == "none" and rows[3][5] == "none"
    assert rows[2][5] == "Note: All 11 events with a learning type are Mimetic."
    code, _, _ = run(capsys, "tables", TRAINING, "-o", tmp_path / "k.docx")
    rows = _table_after(docx.Document(tmp_path / "k.docx"), "Renewal across firms")
    assert rows[1][1:3] == ["2023-03 (1 event)", "2023-04 – 2023-05 (2 events)"]


def test_a_consultants_rules_reach_the_reports(capsys, tmp_path):
    """--rules on report and tables: the findings of the consultant's own
    rules are what the client report and the renewal table show."""
    rules = tmp_path / "my-rules.json"
    rules.write_text(json.dumps({"rules": [{
        "id": "mine", "severity": "concern", "condition": {"phase": "opening_up", "without": "routine"},
        "message": "Opening up built no routine", "reason": "r", "citation": "c",
        "plain": "Nothing new was set up while the firm looked outside."}]}))
    code, out, _ = run(capsys, "renewal", JM, "--firm", "brw", "--rules", rules, "--json")
    assert code == 0
    fired = [f["id"] for f in json.loads(out)["findings"]]
    assert fired == ["mine"]  # BRW's opening up built no routine; the shipped rules find nothing here
    client = tmp_path / "c.docx"
    code, _, _ = run(capsys, "report", JM, "--firm", "brw", "--audience", "client", "--rules", rules,
                     "-o", client)
    text = "\n".join(p.text for p in docx.Document(client).paragraphs)
    assert code == 0 and "Nothing new was set up while the firm looked outside." in text
    code, _, _ = run(capsys, "tables", JM, "--rules", rules, "-o", tmp_path / "t.docx")
    rows = _table_after(docx.Document(tmp_path / "t.docx"), "Renewal across firms")
    cells = "\n".join(r[-1] for r in rows[1:])
    assert code == 0 and "Opening up built no routine" in cells
    bad = tmp_path / "bad.json"
    bad.write_text('{"rules": [{"id": "x"}]}')
    code, _, err = run(capsys, "report", JM, "--firm", "brw", "--audience", "client", "--rules", bad,
                       "-o", tmp_path / "never.docx")
    assert code == 2 and "bad.json" in err and not (tmp_path / "never.docx").exists()
