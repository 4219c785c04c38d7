"""The report's codebook appendix and its evidence citations, checked cell
by cell against a study built here, and the document as LibreOffice prints it."""

import copy
import shutil
import subprocess

import docx
import pytest
from docx.oxml.ns import qn

from conftest import minimal_study
from workbench import services

TEXT = ("Interviewer: How did it start?\n"
        "Ann: We had no idea what the customer wanted.\n"
        "Interviewer: And then?\n"
        "Ann: The college came and we trusted them.\n"
        "Ann: Costs fell by a third.\n")


def span(text, part):
    start = TEXT.index(part)
    return {"start": start, "end": start + len(part)}


def coded_study():
    doc = copy.deepcopy(minimal_study())
    doc["codes"] = [
        {"id": "trust", "name": "Trust", "description": "Trust between the firm and others"},
        {"id": "cost", "name": "Cost savings"},
        {"id": "trust-cust", "name": "Trust in the customer", "parent": "trust",
         "description": "What the owner says about the main customer"},
        {"id": "unused", "name": "Unused code"},
    ]
    doc["documents"] = [{
        "id": "d1", "name": "Interview with Ann", "firm": "f1", "text": TEXT,
        "passages": [
            {"id": "p1", **span(TEXT, "Costs fell by a third."), "speaker": "Ann", "codes": ["cost"]},
            {"id": "p2", **span(TEXT, "The college came"), "speaker": "Ann", "codes": ["trust"]},
        ],
    }]
    events = doc["firms"][0]["events"]
    events[0]["evidence"] = [{"quote": "We had no idea what the customer wanted.", "speaker": "Ann",
                              "document": "d1", **span(TEXT, "We had no idea what the customer wanted."),
                              "codes": ["trust-cust"]}]
    events[1]["codes"] = ["trust"]
    events[1]["evidence"] = [
        {"quote": "They were good to us.", "speaker": "Bob", "location": "field notes, p. 4"},
        {"quote": "The college came and we trusted them.", "speaker": "Ann", "document": "d1",
         **span(TEXT, "The college came and we trusted them.")},
    ]
    doc["firms"].append({
        "id": "f2", "name": "Firm Two",
        "events": [{"id": "e1", "title": "Prices cut", "stages": ["interpreting"], "learning_types": ["mimetic"],
                    "codes": ["cost"], "evidence": [{"quote": "Cheaper now.", "speaker": "Cy"}]}],
    })
    return doc


@pytest.fixture
def study_file(write_json):
    return write_json(coded_study())


def report(path, out, **kw):
    services.report(path, out, diagrams=False, **kw)
    return docx.Document(out)


def table_after(document, caption_text):
    for p in document.paragraphs:
        if p.style.name == "Caption" and caption_text in p.text:
            el = p._p.getnext()
            while el is not None and el.tag != qn("w:tbl"):
                el = el.getnext()
            return docx.table.Table(el, document)
    raise AssertionError(f"no caption with {caption_text!r}")


def cells(table):
    return [[c.text for c in row.cells] for row in table.rows]


INDENT = "\u00a0" * 4


def test_codebook_table_cell_by_cell(study_file, tmp_path):
    d = report(study_file, tmp_path / "r.docx")
    headings = [p.text for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert any(h.startswith("Appendix A. The framework as coded") for h in headings)
    assert "Appendix B. Evidence" in headings
    assert "Appendix C. Codebook" in headings
    rows = cells(table_after(d, "The codebook"))
    assert rows[0] == ["Code", "Description", "Events", "Quotes", "Passages", "Example"]
    assert rows[1:] == [
        # trust: event e2 of f1 carries it; both its quotes through the event; passage p2
        ["Trust", "Trust between the firm and others", "1", "2", "1", "“They were good to us.”\n— Bob"],
        [INDENT + "Trust in the customer", "What the owner says about the main customer", "1", "1", "0",
         "“We had no idea what the customer wanted.”\n— Ann, Interview with Ann, paragraph 2"],
        # cost: f2's event and its quote; the passage p1 of the document
        ["Cost savings", "–", "1", "1", "1", "“Cheaper now.”\n— Cy"],
        ["Unused code", "–", "0", "0", "0", "–"],
    ]
    intro = [p.text for p in d.paragraphs if p.text.startswith("The study's own codes")]
    assert intro and "Counts are over all firms" in intro[0] and "each event counts once" in intro[0]


def test_codebook_for_chosen_firms(study_file, tmp_path):
    d = report(study_file, tmp_path / "r.docx", firm_ids=["f1"])
    rows = cells(table_after(d, "The codebook"))
    # Firm Two's event is not in this report: the example falls back to the coded passage
    assert rows[3] == ["Cost savings", "–", "0", "0", "1",
                       "“Costs fell by a third.”\n— Ann, Interview with Ann, paragraph 5"]
    intro = next(p.text for p in d.paragraphs if p.text.startswith("The study's own codes"))
    assert "Counts are over the firms in this report" in intro


def test_no_codes_no_codebook(write_json, tmp_path):
    d = report(write_json(minimal_study()), tmp_path / "r.docx")
    headings = [p.text for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert not any("Codebook" in h for h in headings)
    d = report(write_json(coded_study(), "c.study.json"), tmp_path / "c.docx", evidence=False)
    headings = [p.text for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert "Appendix B. Codebook" in headings  # lettered in turn when the evidence is left out


def test_evidence_cites_document_paragraph_speaker(study_file, tmp_path):
    d = report(study_file, tmp_path / "r.docx")
    quotes = [p.text for p in d.paragraphs if p.style.name == "Quote"]
    assert "“We had no idea what the customer wanted.” — Interview with Ann, paragraph 2, Ann" in quotes
    assert "“The college came and we trusted them.” — Interview with Ann, paragraph 4, Ann" in quotes
    assert "“They were good to us.” — Bob; field notes, p. 4" in quotes
    assert "“Cheaper now.” — Cy" in quotes
    first = span(TEXT, "We had no idea what the customer wanted.")
    assert not any(f"{first['start']}–{first['end']}" in q or "character" in q for q in quotes)


def test_evidence_quote_over_two_paragraphs(write_json, tmp_path):
    doc = coded_study()
    part = "The college came and we trusted them.\nAnn: Costs"
    doc["firms"][0]["events"][2]["evidence"] = [{"quote": part, "document": "d1", **span(TEXT, part)}]
    d = report(write_json(doc), tmp_path / "r.docx")
    quotes = [p.text for p in d.paragraphs if p.style.name == "Quote"]
    # no speaker given: the transcript's own speaker line names her
    assert any(q.endswith("— Interview with Ann, paragraphs 4–5, Ann") for q in quotes)


def _pdf(docx_path, outdir):
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None or shutil.which("pdftoppm") is None:
        pytest.skip("LibreOffice and poppler are needed to print the report")
    subprocess.run([office, "--headless", f"-env:UserInstallation=file://{outdir}/lo-profile",
                    "--convert-to", "pdf", "--outdir", str(outdir), str(docx_path)],
                   check=True, capture_output=True, timeout=180)
    return outdir / (docx_path.stem + ".pdf")


def test_printed_by_libreoffice(study_file, tmp_path):
    out = tmp_path / "coded.docx"
    report(study_file, out)
    pdf = _pdf(out, tmp_path)
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    pages = [" ".join(page.split()) for page in text.split("\f")]  # words wrap in narrow cells
    book = [p for p in pages if "Appendix C. Codebook" in p]
    assert book, "no printed page holds the codebook"
    assert "Trust in the customer" in book[0] and "Cheaper now." in book[0]
    assert any("Interview with Ann, paragraph 2, Ann" in p for p in pages)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "page")], check=True)
    assert len(list(tmp_path.glob("page*.png"))) == len([p for p in pages if p.strip()])


def test_report_limited_to_a_code(study_file, tmp_path):
    d = report(study_file, tmp_path / "r.docx", code="trust")
    texts = [p.text for p in d.paragraphs]
    assert any(t.startswith("Limited to the events carrying the code “Trust”") for t in texts)
    rows = cells(table_after(d, "Chronology of Firm One, only the events coded “Trust”"))
    assert [r[1] for r in rows[1:]] == ["Meeting set up"]  # e2; e1 carries only "Trust in the customer"
    assert "1 of the firm's 3 events carries the code “Trust”." in texts
    assert cells(table_after(d, "Chronology of Firm Two"))[1:] == []
    assert "No event of this firm carries the code “Trust”." in texts
    matrix = cells(table_after(d, "Stage by learning type in Firm One"))
    assert matrix[-1][-1] == "1"  # the total: one event
    # the tables across firms are of every event; the evidence only of the events shown
    quotes = [p.text for p in d.paragraphs if p.style.name == "Quote"]
    assert [q.split("”")[0] + "”" for q in quotes] == ["“They were good to us.”",
                                                      "“The college came and we trusted them.”"]
    assert cells(table_after(d, "The codebook"))[1][2] == "1"


def test_report_code_with_diagrams(study_file, tmp_path):
    out = tmp_path / "r.docx"
    services.report(study_file, out, code="cost", engine="wasm")
    d = docx.Document(out)
    figures = [p.text for p in d.paragraphs if p.style.name == "Caption" and p.text.startswith("Figure")
               and "Learning process of" in p.text]
    assert len(figures) >= 2 and all(f.endswith("only the events coded “Cost savings”") for f in figures)


def test_report_unknown_code(study_file, tmp_path, capsys):
    from workbench.cli import main

    out = tmp_path / "r.docx"
    assert main(["report", str(study_file), "-o", str(out), "--code", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("no code 'nope' in this study; its codes are: trust (Trust), cost (Cost savings), "
                           "trust-cust (Trust in the customer), unused (Unused code)")
    assert not out.exists()
