"""The client report (report --audience client): one firm, in plain words,
for its owner. Built from a consultant's log of a firm of 15 events, with a
checklist holding done, planned and not-relevant actions and one of the
consultant's own."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess

import docx
import pytest

from workbench import services
from workbench.cli import main
from workbench.core.frameworks import all_stages, vocabulary
from workbench.core.model import Study
from workbench.core.renewal import action_numbers, actions, checklist, diagnose, finding_items, load_rules
from workbench.render import client_report
from workbench.render.report import to_bytes

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def harbour_firm() -> dict:
    """A joinery firm's renewal as a consultant would log it: 15 events."""
    ev = []

    def e(eid, title, date, phase, stages, types, sources=(), routines=(), critical=False, level=None):
        d = {"id": eid, "title": title, "date": date, "stages": list(stages),
             "learning_types": list(types), "sources": list(sources)}
        if phase:
            d["phase"] = phase
        if routines:
            d["routines"] = list(routines)
        if critical:
            d["critical"] = True
        if level:
            d["level"] = level
        ev.append(d)

    e("e1", "Orders from the housing association start to slip", "2021-02", "critical_incident",
      ["intuiting"], ["coercive"], ["assoc", "owner"])
    e("e2", "Housing association fails the firm on its supplier review", "2021-05", "critical_incident",
      ["intuiting"], ["coercive"], ["assoc", "owner"], critical=True)
    e("e3", "Owner asks the local college about a quality course", "2021-07", "opening_up",
      ["interpreting"], ["normative"], ["college", "owner"], level="individual")
    e("e4", "Owner visits a joinery in Leeds that won the association's award", "2021-09", "opening_up",
      ["interpreting"], ["mimetic"], ["peer", "owner"], level="individual")
    e("e5", "Growth hub adviser maps the workshop's bottlenecks", "2021-11", "opening_up",
      ["interpreting", "intertwining"], ["normative"], ["hub"])
    e("e6", "Workshop foreman joins the college course", "2022-01", "opening_up",
      ["interpreting"], ["normative"], ["college", "foreman"], level="individual")
    e("e7", "Weekly Monday huddle on the workshop floor", "2022-03", "knowledge_sharing",
      ["integrating"], ["normative"], ["foreman", "staff"], ["huddle"], level="group")
    e("e8", "Job cards replace the owner's notebook", "2022-04", "knowledge_sharing",
      ["integrating", "institutionalising"], ["mimetic"], ["staff"], ["job_cards"])
    e("e9", "Fitters suggest a pre-cut check before delivery", "2022-06", None,
      ["intuiting", "integrating"], ["normative"], ["staff"], level="group")  # not yet placed
    e("e10", "Defects board goes up in the workshop", "2022-07", "knowledge_sharing",
      ["integrating"], ["normative"], ["staff", "foreman"], ["defects_board"])
    e("e11", "Quality manual written by the owner and the foreman", "2022-10", "institutionalisation",
      ["institutionalising"], ["normative"], ["foreman", "owner"], ["manual"])
    e("e12", "Quarterly review of defects and late jobs starts", "2023-01", "institutionalisation",
      ["institutionalising", "integrating"], ["normative"], ["foreman", "owner"], ["quarterly_review"])
    e("e13", "Apprentice trained from the manual, not by shadowing", "2023-03", "institutionalisation",
      ["institutionalising"], ["normative"], ["foreman"], ["manual"])
    e("e14", "Workshop passes its own first internal audit against the manual", "2023-06",
      "institutionalisation", ["institutionalising"], ["normative"], ["foreman", "owner"])
    e("e15", "Second apprentice starts, trained from the manual", "2023-09", "institutionalisation",
      ["institutionalising"], ["normative"], ["foreman"], ["manual"])
    return {
        "id": "harbour", "name": "Harbour Joinery",
        "attributes": {"Owner-manager": "Sam Okafor"},
        "sources": [
            {"id": "assoc", "name": "Coastal Housing Association (main customer)", "kind": "customer"},
            {"id": "college", "name": "Bay College", "kind": "college"},
            {"id": "peer", "name": "Aire Joinery, Leeds", "kind": "other_firm"},
            {"id": "hub", "name": "Growth hub adviser", "kind": "consultant"},
            {"id": "owner", "name": "Sam Okafor (owner)", "kind": "owner_manager"},
            {"id": "foreman", "name": "Workshop foreman", "kind": "internal_staff"},
            {"id": "staff", "name": "Fitters and joiners", "kind": "internal_staff"},
        ],
        "routines": [
            {"id": "huddle", "name": "Monday huddle"},
            {"id": "job_cards", "name": "Job cards"},
            {"id": "defects_board", "name": "Defects board"},
            {"id": "manual", "name": "Quality manual"},
            {"id": "quarterly_review", "name": "Quarterly review"},
        ],
        "events": ev,
        "actions": [
            {"id": "recognise_threat", "status": "done", "event": "e2", "note": "Review report read with staff"},
            {"id": "seek_outside_help", "status": "done", "event": "e5"},
            {"id": "delegate_responsibility", "status": "planned", "owner": "Sam Okafor", "date": "2024-03",
             "note": "Foreman to run the huddle"},
            {"id": "staff_ideas", "status": "planned", "owner": "Workshop foreman", "date": "2024-01"},
            {"id": "recruit_or_train", "status": "not_relevant", "note": "Training chosen in 2022"},
            {"id": "x-visit", "status": "planned", "text": "Visit Aire Joinery again with the foreman",
             "owner": "Sam Okafor", "date": "2024-05"},
        ],
    }


def harbour_study() -> dict:
    return {"format": "lpw-study", "version": 1, "title": "Renewal projects 2021-2023", "framework": "5I",
            "authors": ["Dana Reyes"], "firms": [harbour_firm()]}


@pytest.fixture(scope="module")
def harbour_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("harbour") / "harbour.study.json"
    path.write_text(json.dumps(harbour_study()), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def harbour_report(harbour_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("client") / "harbour.docx"
    assert main(["report", str(harbour_path), "--firm", "harbour", "--audience", "client", "-o", str(out)]) == 0
    return out


def paragraphs(document) -> list[str]:
    return [p.text for p in document.paragraphs]


def all_text(document) -> str:
    parts = paragraphs(document)
    for t in document.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def headings(document) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]


def test_sections_in_order(harbour_report):
    document = docx.Document(str(harbour_report))
    h = headings(document)
    want = ["About this report", "In brief", "The path Harbour Joinery has taken", "1. Critical incident",
            "2. Opening up", "3. Knowledge-sharing structures", "4. Institutionalisation",
            "What stands out", "Actions", "How Harbour Joinery learned"]
    assert [x for x in h if x in want] == want
    assert document.paragraphs[0].text == "Harbour Joinery: learning and renewal"
    # two figures: the renewal path and the process diagram, as pictures
    assert len(document.inline_shapes) >= 2


def test_no_academic_apparatus(harbour_report):
    document = docx.Document(str(harbour_report))
    text = all_text(document)
    for banned in ("Appendix", "Jones", "Macpherson", "Crossan", "References", "et al", "(2006)", "(1999)",
                   "4I", "5I", "framework as coded", "Table 7", "citation"):
        assert banned not in text, banned
    assert not re.search(r"\(\d{4}\)", text)  # no author-year citations
    # no rule's citation text, no rule's research message
    from workbench.core.renewal import load_rules

    for rule in load_rules():
        assert rule.citation not in text
        assert rule.reason not in text


def explanation_rows(document) -> dict[str, str]:
    """The rows of the table that says what the diagram's words mean."""
    for t in document.tables:
        if [c.text for c in t.rows[0].cells] == ["In the diagram", "What it means"]:
            return {r.cells[0].text: r.cells[1].text for r in t.rows[1:]}
    return {}


def plain(sentence: str) -> str:
    return sentence[0].upper() + sentence[1:] + "."


def test_codes_explained_once_where_first_used(harbour_report):
    document = docx.Document(str(harbour_report))
    paras = paragraphs(document)
    voc = vocabulary()
    # each phase: its plain sentence, right after its heading
    for n, phase in enumerate(voc.ids("phases"), 1):
        i = paras.index(f"{n}. {voc.label('phases', phase)}")
        assert paras[i + 1].startswith(client_report.plain_words()["phases"][phase] + " At Harbour Joinery: ")
    # the levels, learning types and stages the firm's events use: one plain sentence each
    rows = explanation_rows(document)
    want = {"N Normative": client_report.plain_words()["learning_types"]["normative"], "M Mimetic": client_report.plain_words()["learning_types"]["mimetic"],
            "C Coercive": client_report.plain_words()["learning_types"]["coercive"]}
    for s in ("intuiting", "interpreting", "integrating", "institutionalising", "intertwining"):
        want[all_stages()[s].label] = client_report.plain_words()["stages"][s]
    for lv in ("individual", "group", "organisation", "inter_organisation"):  # the 5I diagram's columns
        want[f"{voc.label('levels', lv)} (column)"] = client_report.plain_words()["levels"][lv]
    for name, sentence in want.items():
        assert rows.get(name) == plain(sentence), name
    text = all_text(document)
    for sentence in want.values():
        assert text.count(sentence[1:]) == 1, sentence  # explained once in the whole report
    # in the diagram's section, before its first figure
    order = []
    for el in document.element.body:
        if el.tag.endswith("}tbl") and el.xpath("string(.//w:tc[1])") == "In the diagram":
            order.append("table")
        elif el.tag.endswith("}p"):
            t = el.xpath("string(.)")
            if t == "How Harbour Joinery learned":
                order.append("heading")
            elif "How Harbour Joinery learned, event by event" in t:
                order.append("figure")
    assert order.index("heading") < order.index("table") < order.index("figure")


def test_codes_not_used_are_not_explained(tmp_path):
    doc = harbour_study()
    for ev in doc["firms"][0]["events"]:
        ev["learning_types"] = ["normative"]
    study = Study.from_dict(doc)
    text = all_text(client_report.build(study, "harbour", client_report.ClientOptions()))
    assert client_report.plain_words()["learning_types"]["normative"][1:] in text
    assert client_report.plain_words()["learning_types"]["coercive"][1:] not in text
    assert client_report.plain_words()["learning_types"]["mimetic"][1:] not in text
    # a 4I study's diagram has no inter-organisation column: none explained
    doc["framework"] = "4I"
    for ev in doc["firms"][0]["events"]:
        ev["stages"] = [s for s in ev["stages"] if s != "intertwining"] or ["interpreting"]
    rows = explanation_rows(client_report.build(Study.from_dict(doc), "harbour", client_report.ClientOptions()))
    assert "Inter-organisation (column)" not in rows and "Intertwining" not in rows
    assert rows["Organisation (column)"].startswith("What the whole firm keeps")


def test_renewal_path_lists_each_phase_with_events_and_dates(harbour_report):
    document = docx.Document(str(harbour_report))
    paras = paragraphs(document)
    study = Study.from_dict(harbour_study())
    firm = study.firm("harbour")
    text = "\n".join(paras)
    assert "At Harbour Joinery: 4 events, from July 2021 to January 2022." in text
    assert "At Harbour Joinery: 2 events, from February 2021 to May 2021." in text
    # the events tables: number, date and title, each event once, numbered in order
    rows = []
    for t in document.tables:
        if [c.text for c in t.rows[0].cells] == ["No.", "When", "What happened"]:
            rows += [[c.text for c in r.cells] for r in t.rows[1:]]
    # every event once, by its number in time; the one not yet placed in a step comes last, under "Other events"
    assert sorted(rows, key=lambda r: int(r[0])) == [[str(i), client_report._plain_date(e.date), e.title]
                                                      for i, e in enumerate(firm.event_list, 1)]
    assert rows[-1][0] == "9" and "Other events" in headings(document)
    text = "\n".join(paras)
    assert "Outside help: Bay College, Aire Joinery, Leeds, Growth hub adviser" in text  # opening up
    # the critical incident's outsiders set the change off; they are not called help
    incident = text.split("1. Critical incident", 1)[1].split("2. Opening up", 1)[0]
    assert "Outside help" not in incident
    assert f"From outside the firm: {firm.source('assoc').name}." in incident
    assert "New ways of working: Job cards, Monday huddle, Defects board" in text \
        or "New ways of working: Monday huddle, Job cards, Defects board" in text


def test_findings_plain_sentence_and_what_to_do(harbour_report):
    document = docx.Document(str(harbour_report))
    text = "\n".join(paragraphs(document))
    study = Study.from_dict(harbour_study())
    diag = diagnose(study, "harbour")
    assert {f.severity for f in diag.findings} == {"concern", "note"}, "the fixture gives both kinds"
    for f in diag.findings:
        assert f.plain in text
        assert f.message not in text  # the research wording stays out
    start = paragraphs(document).index("What stands out")
    end = paragraphs(document).index("Actions")
    section = paragraphs(document)[start:end]
    assert start < end
    assert sum(p.startswith("What to do: ") for p in section) == len(diag.findings)


def _what_to_do(document) -> dict[str, str]:
    """Each finding's plain sentence -> its 'What to do' paragraph."""
    paras = paragraphs(document)
    section = paras[paras.index("What stands out"):paras.index("Actions")]
    return {section[i - 1]: p[len("What to do: "):] for i, p in enumerate(section) if p.startswith("What to do: ")}


def _numbered_rows(document) -> dict[str, str]:
    """The checklist table: number -> the action's text."""
    for t in document.tables:
        if [c.text for c in t.rows[0].cells][:2] == ["No.", "Action"]:
            return {r.cells[0].text: r.cells[1].text.split("\n")[0] for r in t.rows[1:] if r.cells[0].text}
    raise AssertionError("no checklist table")


def test_what_to_do_names_the_rules_actions_by_their_checklist_number(harbour_report):
    document = docx.Document(str(harbour_report))
    study = Study.from_dict(harbour_study())
    diag = diagnose(study, "harbour")
    todo = _what_to_do(document)
    rows = _numbered_rows(document)
    items = checklist(study, "harbour")
    for f in diag.findings:
        said = next(v for k, v in todo.items() if k.startswith(("Needs attention. " + f.plain, "Worth knowing. " + f.plain)))
        if f.advice:
            assert said.startswith(f.advice)
        shown = [int(n) for n in re.findall(r"\(action (\d+)", said)]
        wanted = [n for n, it in finding_items(f, items)
                  if (it.entry or {}).get("status") not in ("done", "not_relevant")]
        assert shown == wanted
        for n in shown:  # the number is the checklist's, and the text is the action's
            assert rows[str(n)].rstrip(".").lower() in said.lower()
        assert f.actions or f.advice
    intertwining = next(f for f in diag.findings if f.id == "institutionalisation_without_intertwining")
    assert intertwining.actions  # the harbour firm has this finding, with actions to name


def test_what_to_do_follows_the_checklist(tmp_path):
    doc = harbour_study()
    rule = next(r for r in load_rules() if r.id == "institutionalisation_without_intertwining")
    first, second = rule.actions[0], rule.actions[1]
    doc["firms"][0]["actions"] += [{"id": first, "status": "done"},
                                   {"id": second, "status": "planned", "owner": "Jo Bell", "date": "2024-06"}]
    study = Study.from_dict(doc)
    document = client_report.build(study, "harbour", client_report.ClientOptions(diagrams=False))
    numbers = action_numbers(checklist(study, "harbour"))
    said = next(v for k, v in _what_to_do(document).items() if rule.plain in k)
    texts = {a.id: a.text.rstrip(".") for a in actions()}
    assert texts[first].lower() not in said.lower()  # done: not asked for again ...
    assert f"Action {numbers[first]} is done or set aside" in said  # ... but named
    assert f"(action {numbers[second]}, planned: Jo Bell, by June 2024)" in said


def test_checklist_rows_hold_owner_and_date_as_stored(harbour_report):
    document = docx.Document(str(harbour_report))
    study = Study.from_dict(harbour_study())
    items = checklist(study, "harbour")
    rows = []
    for t in document.tables:
        if [c.text for c in t.rows[0].cells][:4] == ["No.", "Action", "Led by", "Status"]:
            rows += [[c.text for c in r.cells] for r in t.rows[1:] if r.cells[0].text]  # not the steps' bands
    assert len(rows) == len(items)
    by_text = {r[1].split("\nNote: ")[0]: r for r in rows}
    stored = {a["id"]: a for a in harbour_firm()["actions"]}
    for it in items:
        row = by_text[it.action.text]
        entry = stored.get(it.action.id)
        if entry is None:
            assert row[3] == "To decide" and row[4] == row[5] == "–"
            continue
        assert row[4] == entry.get("owner", "–")
        assert row[5] == client_report._plain_date(entry.get("date")) or "–"
        assert row[1].endswith(f"\nNote: {entry['note']}") if entry.get("note") else "Note:" not in row[1]
        status = {"done": "Done", "planned": "Planned", "not_relevant": "Not relevant"}[entry["status"]]
        assert row[3].startswith(status)
    assert by_text["Name the problem or threat early and look into what is behind it."][3] == "Done, event 2"
    assert "Visit Aire Joinery again with the foreman" in by_text  # the consultant's own action


def test_checklist_changes_show_in_the_next_report(tmp_path):
    doc = harbour_study()
    doc["firms"][0]["actions"] = [{"id": "engage_staff", "status": "planned", "owner": "Priya Shah",
                                   "date": "2025-02-01"}]
    study = Study.from_dict(doc)
    document = client_report.build(study, "harbour", client_report.ClientOptions(diagrams=False))
    rows = [[c.text for c in r.cells] for t in document.tables for r in t.rows if len(r.cells) == 6]
    row = next(r for r in rows if r[1].startswith("Bring staff into the change itself"))
    assert row[3:6] == ["Planned", "Priya Shah", "1 February 2025"]
    assert sum(r[3] == "Done" or r[3].startswith("Done,") for r in rows) == 0


def test_template_applies(tmp_path, harbour_path):
    tpl = docx.Document()
    tpl.sections[0].header.paragraphs[0].text = "Okafor Advisory — confidential"
    tpl.sections[0].left_margin = docx.shared.Cm(3)
    tpl.styles["Normal"].font.name = "Georgia"
    tpl_path = tmp_path / "house.docx"
    tpl.save(str(tpl_path))
    out = tmp_path / "c.docx"
    assert main(["report", str(harbour_path), "--firm", "harbour", "--audience", "client", "--template",
                 str(tpl_path), "-o", str(out), "--no-diagrams"]) == 0
    document = docx.Document(str(out))
    assert document.sections[0].header.paragraphs[0].text == "Okafor Advisory — confidential"
    assert abs(document.sections[0].left_margin.cm - 3) < 0.01
    assert document.styles["Normal"].font.name == "Georgia"
    assert "What stands out" in headings(document)


def test_a4_without_template(harbour_report):
    s = docx.Document(str(harbour_report)).sections[0]
    assert abs(s.page_width.cm - 21.0) < 0.05 and abs(s.page_height.cm - 29.7) < 0.05
    assert abs(docx.shared.Emu(s.page_width - s.left_margin - s.right_margin).cm - 16.0) < 0.05


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_client_needs_one_firm(capsys, tmp_path, harbour_path):
    doc = harbour_study()
    second = copy.deepcopy(doc["firms"][0])
    second["id"], second["name"] = "quay", "Quay Joinery"
    doc["firms"].append(second)
    path = tmp_path / "two.study.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "c.docx"
    code, _, err = run(capsys, "report", str(path), "--audience", "client", "-o", str(out))
    assert code == 2
    assert "a client report is about one firm" in err and "--firm ID" in err and "harbour, quay" in err
    assert "Traceback" not in err and not out.exists()
    code, _, err = run(capsys, "report", str(path), "--audience", "client", "--firm", "harbour", "quay",
                       "-o", str(out))
    assert code == 2 and "2 firms were chosen" in err and not out.exists()
    code, _, err = run(capsys, "report", str(path), "--audience", "client", "--firm", "nope", "-o", str(out))
    assert code == 2 and "no firm 'nope'" in err and not out.exists()
    code, _, err = run(capsys, "report", str(path), "--audience", "client", "--firm", "quay", "-o", str(out))
    assert code == 0 and out.exists()
    assert docx.Document(str(out)).paragraphs[0].text == "Quay Joinery: learning and renewal"


def test_research_report_unchanged_by_default(tmp_path, harbour_path):
    out = tmp_path / "r.docx"
    assert main(["report", str(harbour_path), "-o", str(out), "--no-diagrams"]) == 0
    text = all_text(docx.Document(str(out)))
    assert "Appendix A" in text and "learning and renewal" not in text


def test_lpw_study_and_services(tmp_path, harbour_path):
    lpw = tmp_path / "h.lpw"
    services.import_file(lpw, harbour_path)
    out = tmp_path / "c.docx"
    services.report(lpw, out, firm_ids=["harbour"], audience="client", diagrams=False)
    rows = [[c.text for c in r.cells] for t in docx.Document(str(out)).tables for r in t.rows]
    assert any(r[1] == "Visit Aire Joinery again with the foreman" and r[4] == "Sam Okafor" for r in rows)


def test_firm_with_no_events_or_findings_still_reads(tmp_path):
    doc = harbour_study()
    doc["firms"][0]["events"] = []
    doc["firms"][0].pop("actions")
    document = client_report.build(Study.from_dict(doc), "harbour", client_report.ClientOptions())
    text = "\n".join(paragraphs(document))
    assert "No event of Harbour Joinery has been recorded for this step yet." in text
    assert "No events have been recorded yet." in text
    assert "still to decide" in text


def _pdf_pages(docx_bytes: bytes, tmp_path) -> int:
    src = tmp_path / "r.docx"
    src.write_bytes(docx_bytes)
    profile = (tmp_path / "lo-profile").as_uri()  # its own profile: another LibreOffice running does not block it
    proc = subprocess.run(["libreoffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                           "--outdir", str(tmp_path), str(src)], capture_output=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    info = subprocess.run(["pdfinfo", str(tmp_path / "r.pdf")], capture_output=True, text=True, timeout=60)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


@pytest.mark.skipif(not (shutil.which("libreoffice") and shutil.which("pdfinfo")),
                    reason="LibreOffice (and pdfinfo) are not installed")
def test_four_to_eight_pages_for_fifteen_events(harbour_report, tmp_path):
    assert 4 <= _pdf_pages(harbour_report.read_bytes(), tmp_path) <= 8


@pytest.mark.skipif(not (shutil.which("libreoffice") and shutil.which("pdfinfo")),
                    reason="LibreOffice (and pdfinfo) are not installed")
def test_four_to_eight_pages_for_a_generated_firm(tmp_path):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    import synthetic

    doc = synthetic.study(firms=1, events=15, sources=6, routines=4, seed=7)
    study = Study.from_dict(doc)
    document = client_report.build(study, "firm0", client_report.ClientOptions())
    assert 4 <= _pdf_pages(to_bytes(document), tmp_path) <= 8


def test_findings_name_their_events_by_number(harbour_report):
    text = "\n".join(paragraphs(docx.Document(str(harbour_report))))
    assert ("The firm is making the changes stick on its own, without an outside partner helping it. "
            "(Events 11 to 15.)") in text
    assert "(Event 9.)" in text
    assert client_report._event_numbers([2, 5, 7, 8, 9]) == "Events 2, 5 and 7 to 9"


def test_dates_are_written_as_an_owner_writes_them(tmp_path):
    """Not "2023-02-14" but "14 February 2023", in the path, the events, the checklist and what to do; a
    year or words ("late 2024") stay as they are."""
    doc = harbour_study()
    firm = doc["firms"][0]
    firm["events"][0].update(date="2021-02-14")
    firm["events"][-1].pop("date", None)
    firm["events"][-1]["when"] = "late 2023"
    firm["actions"] = [{"id": "engage_staff", "status": "planned", "owner": "Priya Shah", "date": "2025-06-30"},
                       {"id": "staff_ideas", "status": "planned", "owner": "Jo Bell", "date": "2025"}]
    document = client_report.build(Study.from_dict(doc), "harbour", client_report.ClientOptions(diagrams=False))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    assert "from 14 February 2021 to late 2023" in text  # about this report
    assert "(14 February 2021)" in text or "14 February 2021" in cells
    assert "At Harbour Joinery: 2 events, from 14 February 2021 to May 2021." in text
    assert "30 June 2025" in cells and "2025" in cells and "late 2023" in cells
    assert not [c for c in cells + text.split() if re.search(r"\b\d{4}-\d{2}\b", c)]  # no ISO date left
    assert client_report._plain_date("events 9–15 (2022-06 to 2023-09)") == \
        "events 9–15 (June 2022 to September 2023)"  # a figure's part, as its caption names it


def test_a_full_date_stays_on_one_line_in_the_when_column(tmp_path):
    """"30 September 2022", the longest date there is, fits the events tables' When column on one line
    (measured in the DejaVu font LibreOffice prints with, less the cell margins)."""
    ImageFont = pytest.importorskip("PIL.ImageFont")
    try:
        font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 100)
    except OSError:
        pytest.skip("the DejaVu fonts are not installed")
    from docx.oxml.ns import qn

    doc = harbour_study()
    doc["firms"][0]["events"][0].update(date="2022-09-30")
    document = client_report.build(Study.from_dict(doc), "harbour", client_report.ClientOptions(diagrams=False))
    table = next(t for t in document.tables if [c.text for c in t.rows[0].cells] == ["No.", "When",
                                                                                      "What happened"])
    width = int(table._tbl.tblGrid.findall(qn("w:gridCol"))[1].get(qn("w:w"))) / 20
    cell = table.rows[1].cells[1]
    assert cell.text == "30 September 2022"
    size = max((r.font.size.pt for p in cell.paragraphs for r in p.runs if r.font.size), default=9.0)
    assert font.getlength(cell.text) * size / 100 <= width - 11.5, width


def test_an_event_not_yet_coded_is_explained_as_the_diagram_key_shows_it():
    """The diagram's key says "Not yet coded" for an event without a kind of learning; the owner reads
    what that means in the table of words, and only when the diagram shows one."""
    doc = harbour_study()
    study = Study.from_dict(doc)
    assert all(e.stages and e.learning_types for e in study.firm("harbour").event_list)

    def words(study):
        document = client_report.build(study, "harbour", client_report.ClientOptions(engine="wasm"))
        return [r.cells[0].text for t in document.tables for r in t.rows]
    assert "Critical incident" in words(study) and "Not yet coded" not in words(study)
    doc["firms"][0]["events"][-1].pop("learning_types", None)
    assert "Not yet coded" in words(Study.from_dict(doc))
