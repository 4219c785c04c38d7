"""Word reports: tables checked cell by cell against the study, captions as
fields, landscape sections, templates, hostile text, and the commands."""

import json
import re
import shutil
import subprocess

import docx
import pytest
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Inches, Pt, RGBColor

from conftest import JM, TRAINING
from workbench import services
from workbench.cli import main
from workbench.core.analysis import derive_summary, firm_counts
from workbench.core.frameworks import all_stages, vocabulary
from workbench.render.report import ReportOptions, build, to_bytes

VOC = vocabulary()


@pytest.fixture(scope="module")
def jm():
    return services.load(JM).study


@pytest.fixture(scope="module")
def jm_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.docx"
    services.report(JM, out, engine="wasm")
    return out, docx.Document(out)


def expected_figures(study) -> int:
    """Figures in a report at A4: each firm's process figure parts at 16 cm (as tall as the page's text
    less a caption), the renewal figure and the framework figure."""
    from docx.shared import Mm

    from workbench.render.diagram import Options, process_figures
    from workbench.render.report import CAPTION_ROOM
    from workbench.render.units import A4_PORTRAIT

    room = Mm(297 - 2 * 25).pt - CAPTION_ROOM
    return sum(len(process_figures(study, f, Options(width=A4_PORTRAIT, height=room))) for f in study.firms) + 2


def captions(document):
    return [p for p in document.paragraphs if p.style.name == "Caption"]


def table_after(document, caption_text):
    """The table that follows the caption containing ``caption_text``."""
    for p in captions(document):
        if caption_text in p.text:
            el = p._p.getnext()
            while el is not None and el.tag != qn("w:tbl"):
                el = el.getnext()
            return docx.table.Table(el, document)
    raise AssertionError(f"no caption with {caption_text!r}")


def cells(table):
    return [[c.text for c in row.cells] for row in table.rows]


def test_reopens_and_holds_every_part(jm_report):
    _, d = jm_report
    headings = [p.text for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert "Company details" in headings
    assert "The institutionalisation of knowledge" in headings
    assert any(h.startswith("Appendix A") for h in headings)
    assert any(h.startswith("Appendix B") for h in headings)
    for name, kind in (("BRW", "normative"), ("RSL", "mimetic"), ("DMF", "coercive")):
        assert f"{name}: {kind} learning" in headings
    # each firm's process figure, in as many parts as a portrait page needs, and the framework figure
    assert len(d.inline_shapes) == expected_figures(services.load(JM).study)
    assert d.paragraphs[0].style.name == "Title"


def test_company_details_cell_by_cell(jm, jm_report):
    _, d = jm_report
    rows = cells(table_after(d, "Company details"))
    assert rows[0] == ["Background", "BRW", "RSL", "DMF"]
    by_label = {r[0]: r[1:] for r in rows[1:]}
    for key in VOC.ids("profile_fields"):
        values = [(f.profile or {}).get(key) for f in jm.firms]
        if any(v is not None for v in values):
            assert by_label[VOC.label("profile_fields", key)] == [str(v) if v is not None else "–" for v in values]
    assert by_label["Owner-manager"] == ["Roger Watson", "William White", "Martin Francis"]
    assert rows[-1][0] == "Type of learning"
    assert rows[-1][1:] == [f.summary["learning_type"] for f in jm.firms]


def test_institutionalisation_cell_by_cell(jm, jm_report):
    _, d = jm_report
    rows = cells(table_after(d, "The institutionalisation of knowledge"))
    assert rows[0] == ["Aspect of the learning", "BRW", "RSL", "DMF"]  # what the rows are
    for row, key in zip(rows[1:], VOC.ids("summary_fields")):
        assert row[0] == VOC.label("summary_fields", key).upper()
        assert row[1:] == [f.summary[key] for f in jm.firms]


def test_empty_summary_fields_are_derived_and_marked(tmp_path):
    out = tmp_path / "t.docx"
    services.report(TRAINING, out, diagrams=False)
    d = docx.Document(out)
    study = services.load(TRAINING).study
    firm = study.firms[0]
    derived = derive_summary(firm)
    table = table_after(d, "The institutionalisation of knowledge")
    for row, key in zip(table.rows[1:], VOC.ids("summary_fields")):
        cell = row.cells[1]
        if key in (firm.summary or {}):
            assert cell.text == firm.summary[key]
        elif key in derived:
            assert cell.text == f"{derived[key]} (derived)"
            run = cell.paragraphs[0].runs[0]
            assert run.italic and run.font.color.rgb == RGBColor(0x59, 0x59, 0x59)
    assert any("derived" in p.text and p.runs[0].italic for p in d.paragraphs)


def test_chronology_and_routines_cell_by_cell(jm, jm_report):
    _, d = jm_report
    for firm in jm.firms:
        rows = cells(table_after(d, f"Chronology of {firm.name}"))
        assert rows[0] == ["When", "Event", "Phase", "Stage(s)", "Level", "Learning type(s)", "Knowledge sources"]
        assert len(rows) - 1 == len(firm.events)
        for row, e in zip(rows[1:], firm.events):
            assert row[0] == e.time_label()
            assert row[1] == e.title + (" (critical incident)" if e.is_critical else "")
            assert row[2] == VOC.label("phases", e.phase)
            assert row[3] == ", ".join(all_stages()[s].label for s in e.stages)
            assert row[4] == VOC.label("levels", e.effective_level())
            assert row[5] == ", ".join(VOC.label("learning_types", t) for t in e.learning_types)
            assert row[6] == ", ".join(firm.source(s).name for s in e.sources)
        rows = cells(table_after(d, f"Learning in {firm.name}"))
        assert rows[0] == ["Organisational routine", "Organisational activity", "Learning outcome", "Knowledge source"]
        assert [r[0] for r in rows[1:]] == [r.name for r in firm.routines]
        for row, r in zip(rows[1:], firm.routines):
            assert row[1:] == [r.activity, r.outcome, ", ".join(firm.source(s).name for s in r.sources)]


def test_matrix_cell_by_cell(jm, jm_report):
    _, d = jm_report
    fw = jm.framework_def()
    for firm in jm.firms:
        counts = firm_counts(firm, fw)
        rows = cells(table_after(d, f"Stage by learning type in {firm.name}"))
        assert rows[0] == ["Stage", "Normative", "Mimetic", "Coercive", "Total"]
        for row, stage in zip(rows[1:], fw.stage_ids):
            m = counts["matrix"][stage]
            assert row == [all_stages()[stage].label, str(m["normative"]), str(m["mimetic"]),
                           str(m["coercive"]), str(sum(m.values()))]
        f = counts["flows"]
        text = f"feed-forward {f['feed_forward']}, feedback {f['feedback']}, within stage {f['within']}"
        assert any(text in p.text for p in d.paragraphs)


def test_captions_are_numbered_fields(jm_report):
    _, d = jm_report
    caps = captions(d)
    tables = [p for p in caps if p.text.startswith("Table ")]
    figures = [p for p in caps if p.text.startswith("Figure ")]
    assert len(figures) == expected_figures(services.load(JM).study) and len(tables) >= 11
    for kind, group in (("Table", tables), ("Figure", figures)):
        for n, p in enumerate(group, start=1):
            instr = [t.text for t in p._p.iter(qn("w:instrText"))]
            assert instr == [f" SEQ {kind} \\* ARABIC "]
            assert [c.get(qn("w:fldCharType")) for c in p._p.iter(qn("w:fldChar"))] == ["begin", "separate", "end"]
            assert p.text.startswith(f"{kind} {n}. ")
    # a table caption stays with its table; a figure's caption comes after the picture
    assert all(p.paragraph_format.keep_with_next for p in tables)


def test_header_rows_repeat(jm_report):
    _, d = jm_report
    for table in d.tables:
        first = table.rows[0]._tr
        assert first.trPr is not None and first.trPr.find(qn("w:tblHeader")) is not None


def test_landscape_sections_for_the_firms(jm_report):
    _, d = jm_report
    sections = d.sections
    assert sections[0].orientation == WD_ORIENT.PORTRAIT
    landscape = [s for s in sections if s.orientation == WD_ORIENT.LANDSCAPE]
    assert len(landscape) == 4  # each firm's chronology, and the renewal table across firms
    for s in landscape:
        assert s.page_width > s.page_height
    # each chronology sits in a landscape section: the section break after it is landscape
    body = list(d.element.body)
    for firm in ("BRW", "RSL", "DMF"):
        idx = next(i for i, el in enumerate(body)
                   if el.tag == qn("w:p") and f"Chronology of {firm}" in "".join(el.itertext()))
        sect = next(el for el in body[idx:] if el.find(f".//{qn('w:sectPr')}") is not None or el.tag == qn("w:sectPr"))
        sp = sect if sect.tag == qn("w:sectPr") else sect.find(f".//{qn('w:sectPr')}")
        assert sp.find(qn("w:pgSz")).get(qn("w:orient")) == "landscape"


def test_no_empty_paragraphs_for_spacing(jm_report):
    _, d = jm_report
    for p in d.paragraphs:
        structural = p._p.find(f".//{qn('w:sectPr')}") is not None or p._p.find(f".//{qn('w:drawing')}") is not None
        assert p.text.strip() or structural, "an empty paragraph"


def test_evidence_appendix(jm, jm_report):
    _, d = jm_report
    quotes = [p.text for p in d.paragraphs if p.style.name == "Quote"]
    expected = sum(len(e.evidence or []) for f in jm.firms for e in f.events)
    assert len(quotes) == expected
    assert any("“I knew we'd made cost savings but I couldn't produce evidence” — Roger Watson, owner-manager"
               in q for q in quotes)


def test_evidence_names_document_paragraph_and_speaker(tmp_path):
    from workbench.core.textpos import locate

    out = tmp_path / "t.docx"
    services.report(TRAINING, out, diagrams=False)
    quotes = [p.text for p in docx.Document(out).paragraphs if p.style.name == "Quote"]
    study = services.load(TRAINING).study
    ev = study.firms[0].events[0].evidence[0]
    para = locate(study.document(ev.document).text, ev.start).paragraph
    assert any(f"— Interview: Ann Kerrigan, owner-manager, paragraph {para}, {ev.speaker}" in q for q in quotes)
    assert not any("characters" in q for q in quotes)


def test_options_firms_no_diagrams_no_evidence(tmp_path):
    out = tmp_path / "r.docx"
    services.report(JM, out, firm_ids=["dmf"], diagrams=False, evidence=False)
    d = docx.Document(out)
    headings = [p.text for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert "DMF: coercive learning" in headings and "BRW: normative learning" not in headings
    assert not any(h.startswith("Appendix B") for h in headings)
    assert len(d.inline_shapes) == 0
    assert cells(table_after(d, "Company details"))[0] == ["Background", "DMF"]


def test_template_styles_page_setup_and_headers(tmp_path):
    t = docx.Document()
    t.add_paragraph("TEMPLATE BODY TEXT")
    h1 = t.styles["Heading 1"]
    h1.font.size = Pt(21)
    h1.font.color.rgb = RGBColor(0x12, 0x34, 0x56)
    t.styles["Normal"].font.name = "Courier New"
    section = t.sections[0]
    section.left_margin = Inches(0.6)
    section.header.paragraphs[0].text = "ACME Consulting — confidential"
    template = tmp_path / "corporate.docx"
    t.save(template)
    out = tmp_path / "r.docx"
    services.report(JM, out, template=template, diagrams=False)
    d = docx.Document(out)
    assert "TEMPLATE BODY TEXT" not in [p.text for p in d.paragraphs]
    assert d.styles["Heading 1"].font.size == Pt(21)
    assert d.styles["Heading 1"].font.color.rgb == RGBColor(0x12, 0x34, 0x56)
    assert d.styles["Normal"].font.name == "Courier New"
    assert d.sections[0].left_margin == Inches(0.6)
    for s in d.sections:
        assert s.header.paragraphs[0].text == "ACME Consulting — confidential"


def test_template_without_builtin_styles_still_works(tmp_path):
    """A template whose styles.xml lacks Caption, Quote and the table styles."""
    t = docx.Document()
    styles = t.styles.element
    for style in list(styles.iterchildren(qn("w:style"))):
        name = style.find(qn("w:name"))
        if name is not None and name.get(qn("w:val")) in ("Caption", "Quote", "Light Grid Accent 1", "Table Grid", "Title"):
            styles.remove(style)
    template = tmp_path / "bare.docx"
    t.save(template)
    out = tmp_path / "r.docx"
    services.report(TRAINING, out, template=template, diagrams=False)
    d = docx.Document(out)
    assert captions(d)
    assert d.tables


def test_dotx_template(tmp_path):
    t = docx.Document()
    t.sections[0].header.paragraphs[0].text = "From a .dotx"
    path = tmp_path / "x.docx"
    t.save(path)
    import zipfile
    dotx = tmp_path / "corporate.dotx"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(dotx, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"document.main+xml", b"template.main+xml")
            zout.writestr(item, data)
    out = tmp_path / "r.docx"
    services.report(TRAINING, out, template=dotx, diagrams=False)
    assert docx.Document(out).sections[0].header.paragraphs[0].text == "From a .dotx"


def test_hostile_text(tmp_path):
    from test_diagram import hostile_study
    study = hostile_study()
    document = build(study, ReportOptions(diagrams=True, engine="wasm"))
    data = to_bytes(document)
    out = tmp_path / "h.docx"
    out.write_bytes(data)
    d = docx.Document(out)
    text = "\n".join(p.text for p in d.paragraphs) + "\n".join(c.text for t in d.tables for r in t.rows for c in r.cells)
    assert "<script>alert('x')</script>" in text
    assert "control     \x7f chars" in text  # four control characters, each a space; DEL is legal XML
    assert "emoji 🦉🏭" in text
    assert len(d.inline_shapes) == expected_figures(study)


@pytest.mark.skipif(not shutil.which("libreoffice"), reason="LibreOffice is not installed")
def test_libreoffice_converts_the_report(jm_report, tmp_path):
    out, _ = jm_report
    proc = subprocess.run(["libreoffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(out)],
                          capture_output=True, text=True, timeout=300)
    pdf = tmp_path / "report.pdf"
    assert proc.returncode == 0 and pdf.exists(), proc.stderr
    assert pdf.read_bytes().startswith(b"%PDF")


# ----------------------------------------------------------------- commands


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_cli_report_and_tables(capsys, tmp_path):
    code, out, err = run(capsys, "report", TRAINING, "-o", tmp_path / "r.docx", "--no-diagrams")
    assert code == 0 and "wrote" in out
    assert "[" not in err  # no progress bar when stderr is not a terminal
    code, _, _ = run(capsys, "tables", JM, "-o", tmp_path / "t.docx")
    assert code == 0
    d = docx.Document(tmp_path / "t.docx")
    assert [p.text.split(". ", 1)[1] for p in captions(d)] == [
        "Company details", "The institutionalisation of knowledge",
        "Renewal across firms: the phases (Jones & Macpherson 2006) and the findings"]
    assert len(d.tables) == 3


def test_cli_firm_takes_several_ids(capsys, tmp_path):
    for args in (["--firm", "brw", "dmf"], ["--firm", "brw", "--firm", "dmf"]):
        out = tmp_path / "r.docx"
        code, _, _ = run(capsys, "report", JM, "-o", out, "--no-diagrams", *args)
        assert code == 0
        assert cells(table_after(docx.Document(out), "Company details"))[0] == ["Background", "BRW", "DMF"]


def test_cli_report_errors(capsys, tmp_path):
    code, _, err = run(capsys, "report", JM, "-o", tmp_path / "r.docx", "--firm", "nope")
    assert code == 2 and "brw, rsl, dmf" in err
    code, _, err = run(capsys, "report", JM, "-o", tmp_path / "r.docx", "--template", tmp_path / "missing.docx")
    assert code == 2 and "no such template" in err
    bad = tmp_path / "bad.docx"
    bad.write_text("not a zip")
    code, _, err = run(capsys, "report", JM, "-o", tmp_path / "r.docx", "--template", bad)
    assert code == 2 and "not a Word document" in err
    code, _, err = run(capsys, "report", JM, "-o", tmp_path / "r.pdf")
    assert code == 2 and ".docx" in err
    assert not (tmp_path / "r.docx").exists()


def test_many_firms_continue_in_further_tables(tmp_path):
    import sys
    sys.path.insert(0, str(JM.parent.parent / "bench"))
    import synthetic
    from workbench.core.model import Study
    study = Study.from_dict(synthetic.study(firms=14, events=3))
    d = docx.Document(__import__("io").BytesIO(to_bytes(build(study, ReportOptions(diagrams=False, evidence=False)))))
    company = [p.text for p in captions(d) if "Company details" in p.text]
    assert len(company) == 3 and company[1].endswith("Company details (continued)")
    names = [c for t in d.tables for c in cells(t)[0]]
    for f in study.firms:
        assert f.name in names


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_chronology_columns_hold_their_longest_words_unbroken(tmp_path, paper):
    """No word of the chronology or the framework's tables is cut mid-word by its column ("Institutionalisatio|n", "2023-02-|14"):
    each word, measured in the DejaVu font LibreOffice prints with, fits its column less the cell margins."""
    ImageFont = pytest.importorskip("PIL.ImageFont")
    fonts = {}
    for bold in (False, True):
        path = f"/usr/share/fonts/truetype/dejavu/DejaVuSerif{'-Bold' if bold else ''}.ttf"
        try:
            fonts[bold] = ImageFont.truetype(path, 90)
        except OSError:
            pytest.skip("the DejaVu fonts are not installed")
    doc = minimal_study_with_long_words()
    src = tmp_path / "s.study.json"
    src.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "r.docx"
    services.report(src, out, diagrams=False, paper=paper)
    document = docx.Document(out)
    # the chronology, and the framework appendix's stages and renewal phases (bold first columns)
    for caption in ("Chronology of", "The stages of the", "Phases of strategic renewal"):
        assert_words_fit(table_after(document, caption), fonts)


def assert_words_fit(table, fonts) -> None:
    grid = [int(c.get(qn("w:w"))) / 20 for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    for row in table.rows[1:]:
        for col, (cell, width) in enumerate(zip(row.cells, grid)):
            for run in (r for p in cell.paragraphs for r in p.runs):
                for token in run.text.split():  # a word may break after its hyphen; a date must not
                    for word in re.findall(r"[^-]+-?", token) if re.search("[A-Za-z]", token) else [token]:
                        points = fonts[bool(run.bold) or col == 0].getlength(word) / 10  # at 9 pt
                        assert points <= width - 11.5, f"{word!r} ({points:.0f} pt) is cut in a {width:.0f} pt column"


def minimal_study_with_long_words() -> dict:
    from conftest import minimal_study

    doc = minimal_study()
    firm = doc["firms"][0]
    firm["events"][0].update(date="2023-02-14", phase="institutionalisation", stages=["institutionalising"],
                             level="inter_organisation", critical=True)
    firm["events"][1].update(date="2024-04-02", phase="knowledge_sharing")
    return doc
