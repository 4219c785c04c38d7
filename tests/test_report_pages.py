"""The report on paper: A4 or Letter, headings and captions kept with what
follows, header rows repeating, rows never split, no page holding only a
heading or a memo (checked in the XML and in LibreOffice's PDF, page by
page); long tables streamed into the file; the intercoder agreement
appendix."""

import copy
import json
import re
import shutil
import subprocess

import docx
import pytest
from conftest import JM, TRAINING, minimal_study
from docx.oxml.ns import qn
from docx.shared import Inches, Mm

from workbench import services
from workbench.cli import main
from workbench.coders import compare_files
from workbench.core.agreement import LABELS
from workbench.core.model import Study
from workbench.render.report import (
    CAPTION_ROOM,
    INSTITUTIONALISATION_ROWS,
    SPOOL_PARAGRAPHS,
    SPOOL_ROWS,
    ReportOptions,
    build,
    to_bytes,
)

MEMO = (("Memo: the owner-manager's account of the crisis differs from the production manager's; both are "
        "kept here, and the coding follows the owner-manager where the two disagree. ") * 3).strip()


def memo_study() -> dict:
    """The J&M study with a memo on each firm and a long chronology in one."""
    doc = json.loads(JM.read_text(encoding="utf-8"))
    for firm in doc["firms"]:
        firm["memo"] = MEMO
    first = doc["firms"][0]
    extra = copy.deepcopy(first["events"][0])
    for i in range(40):
        e = copy.deepcopy(extra)
        e["id"] = f"x{i}"
        e["title"] = f"Further event {i} with a title long enough to wrap in its column"
        e.pop("evidence", None)
        first["events"].append(e)
    return doc


@pytest.fixture(scope="module")
def memo_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pages")
    study = folder / "memo.study.json"
    study.write_text(json.dumps(memo_study()), encoding="utf-8")
    out = folder / "memo.docx"
    services.report(study, out, diagrams=False)
    return out


def cm(emu) -> float:
    return round(emu / Mm(10), 1)


def ppr_has(p, tag) -> bool:
    ppr = p.find(qn("w:pPr"))
    return ppr is not None and ppr.find(qn(tag)) is not None


def style_of(p) -> str:
    ppr = p.find(qn("w:pPr"))
    s = ppr.find(qn("w:pStyle")) if ppr is not None else None
    return s.get(qn("w:val")) if s is not None else ""


def test_a4_by_default_letter_on_request(tmp_path):
    out = tmp_path / "a4.docx"
    services.report(TRAINING, out, diagrams=False)
    for s in docx.Document(out).sections:
        assert {cm(s.page_width), cm(s.page_height)} == {21.0, 29.7}
        assert cm(s.page_width - s.left_margin - s.right_margin) in (16.0, 24.7)  # cm of text
    assert main(["report", str(TRAINING), "-o", str(tmp_path / "l.docx"), "--no-diagrams", "--paper", "letter"]) == 0
    for s in docx.Document(tmp_path / "l.docx").sections:
        assert {s.page_width, s.page_height} == {Inches(8.5), Inches(11)}
        assert s.page_width - s.left_margin - s.right_margin in (Inches(6.5), Inches(9))
    assert {cm(Inches(8.5)), cm(Inches(11))} != {21.0, 29.7}
    assert main(["tables", str(TRAINING), "-o", str(tmp_path / "t.docx"), "--paper", "letter"]) == 0
    assert docx.Document(tmp_path / "t.docx").sections[0].page_width in (Inches(8.5), Inches(11))


def test_paper_from_the_template(tmp_path):
    t = docx.Document()  # python-docx's own template is Letter
    t.sections[0].left_margin = Inches(0.7)
    t.save(tmp_path / "letter.docx")
    services.report(TRAINING, tmp_path / "r.docx", template=tmp_path / "letter.docx", diagrams=False)
    d = docx.Document(tmp_path / "r.docx")
    assert (d.sections[0].page_width, d.sections[0].page_height) == (Inches(8.5), Inches(11))
    assert d.sections[0].left_margin == Inches(0.7)
    # asked for A4 with a Letter template: A4, the template's margins kept
    services.report(TRAINING, tmp_path / "a.docx", template=tmp_path / "letter.docx", diagrams=False, paper="a4")
    d = docx.Document(tmp_path / "a.docx")
    assert (cm(d.sections[0].page_width), cm(d.sections[0].page_height)) == (21.0, 29.7)
    assert d.sections[0].left_margin == Inches(0.7)


def test_pagination_properties_in_the_xml(memo_report):
    d = docx.Document(memo_report)
    body = d.element.body
    paragraphs = list(body.iter(qn("w:p")))
    headings = [p for p in paragraphs if "Heading" in style_of(p) or style_of(p).startswith("Heading")]
    assert len(headings) > 20
    for p in headings:
        assert ppr_has(p, "w:keepNext"), "".join(p.itertext())
    caption_style = d.styles["Caption"].style_id
    for p in paragraphs:
        if style_of(p) == caption_style and "".join(p.itertext()).startswith("Table"):
            assert ppr_has(p, "w:keepNext")
    memos = [p._p for p in d.paragraphs if p.text == MEMO]
    assert len(memos) == 3 and all(ppr_has(p, "w:keepNext") for p in memos)
    for table in d.tables:
        rows = table._tbl.findall(qn("w:tr"))
        assert rows[0].trPr.find(qn("w:tblHeader")) is not None
        assert all(r.trPr is not None and r.trPr.find(qn("w:cantSplit")) is not None for r in rows)
        # the header keeps with the first row; the last row never chains the table to what follows
        assert all(ppr_has(p, "w:keepNext") for p in rows[0].iter(qn("w:p")))
        if len(rows) > 1:
            assert not any(ppr_has(p, "w:keepNext") for p in rows[-1].iter(qn("w:p")))
    # a short table is kept whole; the long chronology is not
    chronology = next(t for t in d.tables if len(t.rows) > 45)
    middle = chronology._tbl.findall(qn("w:tr"))[20]
    assert not any(ppr_has(p, "w:keepNext") for p in middle.iter(qn("w:p")))


def test_institutionalisation_header_names_its_rows(memo_report):
    d = docx.Document(memo_report)
    table = next(t for t in d.tables if t.rows[0].cells[0].text == INSTITUTIONALISATION_ROWS)
    assert table.rows[1].cells[0].text == "LEARNING CATALYST"
    assert INSTITUTIONALISATION_ROWS != "Background"


def pdf_pages(docx_path, folder) -> list[list[str]]:
    proc = subprocess.run(["libreoffice", "--headless", "--convert-to", "pdf", "--outdir", str(folder),
                           str(docx_path)], check=False, capture_output=True, text=True, timeout=300)
    pdf = folder / (docx_path.stem + ".pdf")
    assert proc.returncode == 0 and pdf.exists(), proc.stderr
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return [[ln.strip() for ln in page.splitlines() if ln.strip()] for page in pages]


@pytest.mark.skipif(not (shutil.which("libreoffice") and shutil.which("pdftotext")),
                    reason="LibreOffice and poppler are not installed")
@pytest.mark.parametrize("which", ["jm", "memo"])
def test_no_page_holds_only_a_heading_or_memo(which, memo_report, tmp_path):
    if which == "jm":
        src = tmp_path / "jm.docx"
        services.report(JM, src, diagrams=False)
    else:
        src = tmp_path / "memo.docx"
        shutil.copy(memo_report, src)
    d = docx.Document(src)
    heads = {norm(p.text) for p in d.paragraphs if p.style.name.startswith(("Heading", "Title"))}
    memo = norm(MEMO)
    pages = pdf_pages(src, tmp_path)
    assert len(pages) > 5
    for n, lines in enumerate(pages, start=1):
        alone = [ln for ln in lines if norm(ln) not in heads and norm(ln) not in memo]
        assert alone, f"page {n} holds only {lines}"
        assert norm(lines[-1]) not in heads, f"page {n} ends with the heading {lines[-1]!r}"


def norm(text: str) -> str:
    """Letters and digits only: pdftotext joins a word hyphenated at a line's end."""
    return re.sub(r"\W", "", text)


def big_study(events=SPOOL_ROWS + 100) -> Study:
    doc = minimal_study()
    firm = doc["firms"][0]
    template = firm["events"][0]
    firm["events"] = []
    for i in range(events):
        e = copy.deepcopy(template)
        e["id"] = f"e{i}"
        e["title"] = f"Event {i} <&> “quoted”"
        e["date"] = f"{1900 + i // 12}-{i % 12 + 1:02d}"
        e["evidence"] = [{"quote": f"Quote {i}.{k}"} for k in range(SPOOL_PARAGRAPHS // events + 2)]
        firm["events"].append(e)
    return Study.from_dict(doc)


def test_long_tables_and_evidence_are_streamed_and_read_back(tmp_path):
    study = big_study()
    document = build(study, ReportOptions(diagrams=False))
    # the document's own save writes the streamed parts too
    document.save(tmp_path / "saved.docx")
    for data in ((tmp_path / "saved.docx").read_bytes(), to_bytes(document)):
        (tmp_path / "r.docx").write_bytes(data)
        d = docx.Document(tmp_path / "r.docx")
        chron = next(t for t in d.tables if len(t.rows) == len(study.firms[0].event_list) + 1)
        assert [r.cells[1].text for r in chron.rows[1:]] == [e.title for e in study.firms[0].event_list]
        assert chron.rows[0].cells[0].text == "When"
        quotes = [p.text for p in d.paragraphs if p.style.name == "Quote"]
        expected = [f"“{ev.quote}”" for e in study.firms[0].event_list for ev in e.evidence]
        assert [q.split(" — ")[0] for q in quotes] == expected
        assert "_lpwraw_" not in d.element.xml


def other_coding(tmp_path):
    doc = json.loads(JM.read_text(encoding="utf-8"))
    changed = 0
    for firm in doc["firms"]:
        for e in firm["events"][::3]:
            e["stages"] = ["intuiting"] if e.get("stages") != ["intuiting"] else ["interpreting"]
            changed += 1
    path = tmp_path / "other.study.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path, changed


def test_intercoder_agreement_appendix(tmp_path, capsys):
    other, changed = other_coding(tmp_path)
    out = tmp_path / "r.docx"
    assert main(["report", str(JM), "-o", str(out), "--no-diagrams", "--agreement", str(other)]) == 0
    capsys.readouterr()
    d = docx.Document(out)
    heads = [p.text for p in d.paragraphs if p.style.name.startswith("Heading 1")]
    assert heads[-1] == "Appendix C. Intercoder agreement"
    result = compare_files(JM, other)
    caption = next(p for p in d.paragraphs if p.text.startswith("Table") and "all firms compared" in p.text)
    el = caption._p.getnext()
    table = docx.table.Table(el, d)
    rows = [[c.text for c in r.cells] for r in table.rows]
    assert rows[0] == ["Dimension", "Units", "Agreement", "Cohen's kappa", "Krippendorff's alpha", "Disagreements"]
    by_label = {r[0]: r for r in rows[1:]}
    counts = {}
    for dis in result["disagreements"]:
        counts[dis["dimension"]] = counts.get(dis["dimension"], 0) + 1
    for dim, m in result["dimensions"].items():
        row = by_label[LABELS[dim]]
        assert row[1] == str(m["units"])
        assert row[2] == ("–" if m["agreement"] is None else f"{m['agreement'] * 100:.1f}%")
        assert row[3] == ("–" if m["cohen_kappa"] is None else f"{m['cohen_kappa']:.3f}")
        assert row[4] == ("–" if m["krippendorff_alpha"] is None else f"{m['krippendorff_alpha']:.3f}")
        assert row[5] == str(counts.get(dim, 0))
    assert int(by_label[LABELS["stages"]][5]) >= changed - 1 > 0
    assert float(by_label[LABELS["stages"]][2].rstrip("%")) < 100
    firm_tables = [p.text for p in d.paragraphs if "Intercoder agreement by dimension in" in p.text]
    assert len(firm_tables) == 3
    assert f"{len(result['disagreements'])} disagreements in all" in "\n".join(p.text for p in d.paragraphs)


def test_agreement_with_a_missing_file(tmp_path, capsys):
    out = tmp_path / "r.docx"
    assert main(["report", str(JM), "-o", str(out), "--agreement", str(tmp_path / "nope.study.json")]) == 2
    assert "nope.study.json" in capsys.readouterr().err and not out.exists()


def _with_a_long_firm(folder):
    """The J&M study plus a firm of 40 events (too many for one page) whose
    first title is too long for its box."""
    doc = json.loads(JM.read_text(encoding="utf-8"))
    brw = next(f for f in doc["firms"] if f["id"] == "brw")
    events = []
    for i in range(40):
        e = copy.deepcopy(brw["events"][i % len(brw["events"])])
        e["id"] = f"x{i}"
        e.pop("evidence", None)
        e["critical"] = i == 0
        events.append(e)
    events[0]["title"] = "A very long account of what happened " * 12
    long = {k: copy.deepcopy(v) for k, v in brw.items() if k not in ("events", "links")}
    long.update(id="long", name="Long Firm", events=events)
    doc["firms"].append(long)
    path = folder / "jm-long.study.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def jm_with_figures(tmp_path_factory):
    folder = tmp_path_factory.mktemp("figures")
    study = _with_a_long_firm(folder)
    out = folder / "jm.docx"
    services.report(study, out, engine="wasm")
    return study, out


def test_figures_at_natural_size_in_parts_with_their_notes(jm_with_figures):
    from workbench.render.diagram import Options, framework_figures, process_figures
    from workbench.render.engine import draw, svg_size_points
    from workbench.render.units import A4_PORTRAIT

    path, report = jm_with_figures
    study = services.load(path).study
    room = Mm(297 - 2 * 25).pt - CAPTION_ROOM  # an A4 page's text height, less the caption's
    figures = [(f, fig) for f in study.firms
               for fig in process_figures(study, f, Options(width=A4_PORTRAIT, height=room))]
    from types import SimpleNamespace

    from workbench.render.renewal_figure import renewal_graph
    from workbench.render.units import A4_LANDSCAPE

    # the firms' renewal paths side by side, after the cross-case tables, on a landscape page
    from workbench.render.renewal_figure import renewal_windows

    windows = renewal_windows(study, width=A4_LANDSCAPE)
    assert len(windows) > 1  # the long firm's 40 events do not fit one landscape width
    figures += [("renewal", SimpleNamespace(graph=renewal_graph(study, width=A4_LANDSCAPE, window=w,
                                                                title=i == 0), parts=len(windows),
                                            part=i + 1, notes=[]))
                for i, w in enumerate(windows)]
    figures += [(None, fig) for fig in framework_figures(study, None, width=A4_PORTRAIT)]
    assert any(fig.parts > 1 for _, fig in figures) and any(fig.notes for _, fig in figures)
    # the paper's firms each fit one page
    assert all(fig.parts == 1 for f, fig in figures if getattr(f, "id", None) in ("brw", "rsl", "dmf"))
    d = docx.Document(report)
    shapes = list(d.inline_shapes)
    assert len(shapes) == len(figures)
    body = list(d.element.body)
    pictures = [i for i, el in enumerate(body) if el.find(f".//{qn('w:drawing')}") is not None]
    for (firm, fig), shape, at in zip(figures, shapes, pictures):
        w_pt, _ = svg_size_points(draw(fig.graph.source, "svg", engine="wasm").data)
        # placed at its natural size, never shrunk (and within the 16 cm text width)
        page = A4_LANDSCAPE if firm == "renewal" else A4_PORTRAIT
        assert abs(shape.width.pt - w_pt) < 1 and shape.width.pt <= page + 1
        caption = "".join(body[at + 1].itertext())
        assert caption.startswith("Figure ")
        if firm == "renewal":
            assert ("Renewal paths of the firms side by side" if fig.part == 1 else
                    f"Renewal paths of the firms (continued); part {fig.part} of {fig.parts}") in caption
        elif firm is not None:
            if fig.part > 1:
                assert f"Learning process of {firm.name} (continued); part {fig.part} of {fig.parts}" in caption
            elif fig.parts > 1:
                assert f"part 1 of {fig.parts}" in caption and "(continued)" not in caption
        if fig.notes:
            number = caption.split(".")[0].split()[-1]
            assert ppr_has(body[at + 1], "w:keepNext")
            notes_caption = "".join(body[at + 2].itertext())
            assert notes_caption.endswith(f"Labels of Figure {number} in full (numbered in the figure)")
            table = docx.table.Table(body[at + 3], d)
            assert [[c.text for c in r.cells] for r in table.rows] == \
                [["No.", "Label"]] + [[str(n), text] for n, text in fig.notes]
        else:
            assert not "".join(body[at + 2].itertext()).startswith("Table") or "Labels of" not in \
                "".join(body[at + 2].itertext())


def test_figures_for_letter_width(tmp_path):
    from docx.shared import Inches as In

    out = tmp_path / "l.docx"
    services.report(TRAINING, out, engine="wasm", paper="letter")
    d = docx.Document(out)
    assert d.inline_shapes
    # each picture within the text width of its own section: 6.5 in portrait, 9 in landscape (Letter)
    body = list(d.element.body)
    for i, el in enumerate(body):
        drawing = el.find(f".//{qn('w:drawing')}")
        if drawing is None:
            continue
        sect = next(e for e in body[i:] if e.tag == qn("w:sectPr") or e.find(f".//{qn('w:sectPr')}") is not None)
        sp = sect if sect.tag == qn("w:sectPr") else sect.find(f".//{qn('w:sectPr')}")
        landscape = sp.find(qn("w:pgSz")).get(qn("w:orient")) == "landscape"
        extent = drawing.find(f".//{{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}}extent")
        assert int(extent.get("cx")) <= In(9 if landscape else 6.5) + 12700


def test_widow_control_on_normal(memo_report):
    assert docx.Document(memo_report).styles["Normal"].paragraph_format.widow_control is True
