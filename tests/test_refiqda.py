"""REFI-QDA exchange: .qdpx projects and .qdc codebooks, out and in.

Real readers check our exports (pyrefiqda, a strict reader built from the
XSD; qdapy), every .qde/.qdc we write is validated against the published
schemas, and import is tried on projects other tools wrote, read from the
installed packages at test time (never copied into this repository)."""

from __future__ import annotations

import copy
import importlib.metadata
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import warnings
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from lxml import etree

from workbench import services
from workbench.io import refiqda

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_cases"


def _schemas() -> Path:
    """The published REFI-QDA schemas (MIT): LPW_REFI_SCHEMAS, else
    shared/formats/refi-qda beside the checkout or beside its folder."""
    if os.environ.get("LPW_REFI_SCHEMAS"):
        return Path(os.environ["LPW_REFI_SCHEMAS"])
    for base in (ROOT.parent, ROOT.parent.parent):
        if (base / "shared/formats/refi-qda/Project-mrt2019.xsd").exists():
            return base / "shared/formats/refi-qda"
    return ROOT.parent / "shared/formats/refi-qda"


SCHEMAS = _schemas()
WHEN = datetime(2026, 11, 30, 12, 0, 0, tzinfo=timezone.utc)
P = "{urn:QDA-XML:project:1.0}"


def _schema(name: str) -> etree.XMLSchema:
    path = SCHEMAS / name
    if not path.exists():
        pytest.skip(f"the REFI-QDA schema {name} is not at {SCHEMAS}")
    return etree.XMLSchema(etree.parse(str(path)))


def _run(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "workbench", *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=cwd)


def _rich_training() -> dict:
    """The training case with what the samples lack: the study's own codes,
    coded passages, evidence codes and memos, event and firm memos, and a
    character above U+FFFF before some of the evidence."""
    doc = json.loads((SAMPLES / "training-case.study.json").read_text("utf-8"))
    doc["coder"] = "A. Coder"
    doc["codes"] = [
        {"id": "trust", "name": "Trust in the main customer", "description": "Anything on trust",
         "colour": "#AA3377"},
        {"id": "trust-lost", "name": "Trust lost", "parent": "trust"},
        {"id": "skills", "name": "Skills"},
    ]
    d0 = doc["documents"][0]
    # a character above U+FFFF early in the first document: every later offset moves by one
    # code point (and by two UTF-16 units, which readers must not confuse)
    d0["text"] = "\U0001F4DD " + d0["text"]
    for firm in doc["firms"]:
        for ev in firm["events"]:
            for item in ev.get("evidence", ()):
                if item.get("document") == d0["id"]:
                    item["start"] += 2
                    item["end"] += 2
    d0["name"] += ' & "the foreman" <draft>\t2'  # what XML must escape, in names
    d0["passages"] = [{"id": "p1", "start": 0, "end": 40, "codes": ["trust", "skills"],
                       "memo": "First lines\r\nwith <tags> & \"quotes\""},
                      {"id": "p2", "start": 50, "end": 90, "speaker": "Ann O'Kerrigan & <Co>",
                       "codes": ["trust-lost"]}]
    firm = doc["firms"][0]
    firm["memo"] = "A firm memo"
    ev = firm["events"][0]
    ev["memo"] = "An event memo"
    ev["evidence"][0]["codes"] = ["trust-lost"]
    ev["evidence"][0]["memo"] = "Evidence memo"
    ev["level"] = "group"
    return doc


def _projection(doc: dict) -> dict:
    """What a REFI-QDA round trip must keep."""
    firms = []
    for f in doc["firms"]:
        firms.append({
            **{k: f.get(k) for k in ("id", "name", "profile", "attributes", "memo")},
            "events": [{k: e.get(k) for k in ("id", "title", "description", "memo", "stages", "level",
                                               "learning_types", "phase", "evidence")}
                       for e in f.get("events", ())]})
    return {"title": doc["title"], "framework": doc["framework"], "coder": doc.get("coder"),
            "description": doc.get("description"), "codes": doc.get("codes"),
            "documents": doc.get("documents"), "firms": firms}


def _round_trip(tmp_path: Path, doc: dict, name: str, strip_ids: bool = False) -> tuple[dict, Path]:
    src = tmp_path / f"{name}.study.json"
    src.write_text(json.dumps(doc, ensure_ascii=False, indent=2), "utf-8")
    lpw = tmp_path / f"{name}.lpw"
    assert _run("import", lpw, src).returncode == 0
    qdpx = tmp_path / f"{name}.qdpx"
    r = _run("export", lpw, qdpx)
    assert r.returncode == 0, r.stderr
    if strip_ids:
        stripped = tmp_path / f"{name}-noids.qdpx"
        with zipfile.ZipFile(qdpx) as zin, zipfile.ZipFile(stripped, "w") as zout:
            for info in zin.infolist():
                if info.filename != refiqda.IDS_MEMBER:
                    zout.writestr(info, zin.read(info))
                elif strip_ids == "garbage":  # a damaged ids file is ignored, record by record
                    ids = json.loads(zin.read(info))
                    ids["ids"] = {g: ["evidence"] if i % 3 == 0 else [r[0], 7, None] if i % 3 == 1 else "x"
                                  for i, (g, r) in enumerate(ids["ids"].items())}
                    ids["framework"] = ["5I"]
                    zout.writestr(info, json.dumps(ids))
        qdpx = stripped
    back = tmp_path / f"{name}-back.lpw"
    r = _run("import", back, qdpx)
    assert r.returncode == 0, r.stderr
    return services.load(back).study.to_dict(), qdpx


@pytest.mark.parametrize("sample", ["training-case", "jones-macpherson-2006", "rich"])
def test_round_trip_keeps_documents_evidence_codes_attributes_memos(tmp_path, sample):
    doc = _rich_training() if sample == "rich" else \
        json.loads((SAMPLES / f"{sample}.study.json").read_text("utf-8"))
    back, _ = _round_trip(tmp_path, doc, sample)
    assert _projection(back) == _projection(doc)
    n_ev = sum(len(e.get("evidence", ())) for f in doc["firms"] for e in f["events"])
    assert n_ev and n_ev == sum(len(e.get("evidence", ())) for f in back["firms"] for e in f["events"])


@pytest.mark.parametrize("ids", ["none", "garbage"])
def test_round_trip_without_our_ids_keeps_the_content(tmp_path, ids):
    """A project that went through another tool loses lpw/ids.json: ids are
    then made from names, and the content is the same."""
    doc = _rich_training()
    back, _ = _round_trip(tmp_path, doc, "rich", strip_ids=True if ids == "none" else ids)
    texts = {d["name"]: d["text"] for d in doc["documents"]}
    assert {d["name"]: d["text"] for d in back["documents"]} == texts
    code_name = {c["id"]: c["name"] for c in back["codes"]}
    parent_name = {c["name"]: code_name.get(c.get("parent")) for c in back["codes"]}
    assert parent_name == {"Trust in the main customer": None, "Trust lost": "Trust in the main customer",
                           "Skills": None}
    bdoc = {d["name"]: d for d in back["documents"]}
    for d in doc["documents"]:
        got = [(p["start"], p["end"], sorted(code_name[c] for c in p.get("codes", ())), p.get("memo"))
               for p in bdoc[d["name"]].get("passages", ())]
        want_names = {c["id"]: c["name"] for c in doc["codes"]}
        want = [(p["start"], p["end"], sorted(want_names[c] for c in p.get("codes", ())), p.get("memo"))
                for p in d.get("passages", ())]
        assert got == want
    doc_name = {d["id"]: d["name"] for d in back["documents"]}
    orig_doc_name = {d["id"]: d["name"] for d in doc["documents"]}

    def evidence(study, names):
        return sorted((e["title"], x["quote"], names.get(x.get("document")), x.get("start"), x.get("end"),
                       tuple(e.get("stages") or ()), tuple(e.get("learning_types") or ()))
                      for f in study["firms"] for e in f["events"] for x in e.get("evidence", ()))
    assert evidence(back, doc_name) == evidence(doc, orig_doc_name)
    firm = back["firms"][0]
    assert firm["name"] == doc["firms"][0]["name"]
    assert firm["attributes"] == doc["firms"][0]["attributes"]
    assert firm["profile"] == doc["firms"][0]["profile"]


def _lpw(tmp_path: Path, doc: dict, name: str = "s") -> Path:
    src = tmp_path / f"{name}.study.json"
    src.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    lpw = tmp_path / f"{name}.lpw"
    services.import_file(lpw, src)
    return lpw


def test_export_is_deterministic_and_valid_against_the_xsd(tmp_path):
    project = _schema("Project-mrt2019.xsd")
    codebook = _schema("Codebook-mrt2019.xsd")
    for name, doc in (("rich", _rich_training()),
                      ("jm", json.loads((SAMPLES / "jones-macpherson-2006.study.json").read_text("utf-8")))):
        lpw = _lpw(tmp_path, doc, name)
        a, b = tmp_path / f"{name}-a.qdpx", tmp_path / f"{name}-b.qdpx"
        services.export(lpw, a)
        services.export(lpw, b)
        assert a.read_bytes() == b.read_bytes()
        with zipfile.ZipFile(a) as z:
            qde = z.read("project.qde")
            root = etree.fromstring(qde)
            assert project.validate(root), project.error_log
            assert root.get("origin") and root.get("creationDateTime")
            for src in root.iter(f"{P}TextSource"):
                data = z.read("sources/" + src.get("plainTextPath").split("://", 1)[1])
                assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data
        qdc = tmp_path / f"{name}.qdc"
        services.export(lpw, qdc)
        assert codebook.validate(etree.parse(str(qdc))), codebook.error_log
        # another study, another set of GUIDs; same study, same GUIDs
        guids = set(root.xpath("//@guid"))
        doc2 = copy.deepcopy(doc)
        doc2["title"] += " (copy)"
        other = etree.fromstring(refiqda.project_xml(services.load(_lpw(tmp_path, doc2, name + "2")).study, WHEN))
        assert not guids & set(other.xpath("//@guid"))


def test_characters_xml_cannot_hold_never_break_an_export(tmp_path):
    from workbench.core.model import Study

    doc = _rich_training()
    doc["codes"][0]["name"] += "\x07bell"
    doc["firms"][0]["memo"] = "form\x0cfeed"
    doc["documents"][0]["name"] += "\x01"
    doc["documents"][0]["passages"][1]["speaker"] = "Ann\x02"
    study = Study.from_dict(doc)  # built directly, not read through the format
    project = _schema("Project-mrt2019.xsd")
    with zipfile.ZipFile(io.BytesIO(refiqda.qdpx_bytes(study, WHEN))) as z:
        assert project.validate(etree.fromstring(z.read("project.qde"))), project.error_log
    assert _schema("Codebook-mrt2019.xsd").validate(etree.fromstring(refiqda.qdc_bytes(study)))


def _our_selections(doc: dict) -> list[tuple[str, int, int, str]]:
    """(document name, start, end, text) of every anchored evidence item and passage."""
    names = {d["id"]: d["name"] for d in doc["documents"]}
    texts = {d["id"]: d["text"] for d in doc["documents"]}
    out = [(names[x["document"]], x["start"], x["end"], x["quote"])
           for f in doc["firms"] for e in f["events"] for x in e.get("evidence", ()) if "start" in x]
    out += [(d["name"], p["start"], p["end"], texts[d["id"]][p["start"]:p["end"]])
            for d in doc["documents"] for p in d.get("passages", ())]
    return sorted(out)


def test_pyrefiqda_reads_our_project_and_finds_each_selection(tmp_path):
    pytest.importorskip("pyrefiqda", reason="pyrefiqda (test extra) is not installed")
    from pyrefiqda import RefiProject

    doc = _rich_training()
    lpw = _lpw(tmp_path, doc)
    out = tmp_path / "s.qdpx"
    services.export(lpw, out)
    project = RefiProject.load(out, extract_dir=str(tmp_path / "x"))
    found = []
    for src in project.sources.text_source:
        path = RefiProject.resolve_source_path(src.plain_text_path, tmp_path / "x")
        text = path.read_bytes().decode("utf-8")
        for sel in src.plain_text_selection:
            found.append((src.name, int(sel.start_position), int(sel.end_position),
                          text[int(sel.start_position):int(sel.end_position)]))
    assert sorted(found) == _our_selections(doc)
    assert project.name == doc["title"]
    assert len(project.cases.case) == len(doc["firms"])


def test_qdapy_reads_our_project_and_finds_each_selection(tmp_path):
    pytest.importorskip("qdapy", reason="qdapy (test extra) is not installed")
    from qdapy.qdpx import read_qdpx

    doc = _rich_training()
    lpw = _lpw(tmp_path, doc)
    out = tmp_path / "s.qdpx"
    services.export(lpw, out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        project = read_qdpx(out, warn=False)
    frag = project.fragments
    got = {(r.title, int(r.positionStart), int(r.positionEnd), r.text) for r in frag.itertuples()}
    want = set(_our_selections(doc))
    # every coded selection is there with the text at its positions (passages without codes are
    # listed as uncoded by qdapy)
    assert got == {w for w in want if w[:3] in {g[:3] for g in got}}
    assert len(got) >= len(want) - 0 and got <= want
    codes = set(frag.code)
    assert "Framework: 5I/Stages/Intuiting" in codes
    assert any(c.startswith("Events/Kestrel") for c in codes)
    assert "Trust in the main customer/Trust lost" in codes


# --------------------------------------------------------------------------- projects other tools wrote


def _package_file(dist: str, suffix: str) -> Path:
    """A file shipped by an installed package, read in place (these packages
    are AGPL/LGPL: their files are never copied into this repository)."""
    try:
        files = importlib.metadata.files(dist) or []
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(f"{dist} (test extra) is not installed")
    for f in files:
        if str(f).replace("\\", "/").endswith(suffix):
            return Path(f.locate())
    pytest.skip(f"{dist} does not ship {suffix}")


def _selections_in(qdpx: Path) -> list[tuple[str, int, int]]:
    with zipfile.ZipFile(qdpx) as z:
        root = etree.fromstring(z.read("project.qde"))
    return [(src.get("guid"), int(s.get("startPosition")), int(s.get("endPosition")))
            for src in root.iter(f"{P}TextSource") for s in src.iter(f"{P}PlainTextSelection")]


def test_import_qualitative_coding_demo(tmp_path):
    qdpx = _package_file("qualitative-coding", "qualitative_coding/demo.qdpx")
    lpw = tmp_path / "demo.lpw"
    r = _run("import", lpw, qdpx)
    assert r.returncode == 0, r.stderr
    study = services.load(lpw).study
    with zipfile.ZipFile(qdpx) as z:
        root = etree.fromstring(z.read("project.qde"))
        files = {n.rsplit("/", 1)[-1]: z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".txt")}
    sources = list(root.iter(f"{P}TextSource"))
    assert len(study.document_list) == len(sources)
    by_text = {d.text: d for d in study.document_list}
    n_codings = 0
    for src in sources:
        text = files[src.get("plainTextPath").rsplit("/", 1)[-1]]
        d = by_text[text]
        sels = sorted((int(s.get("startPosition")), int(s.get("endPosition")))
                      for s in src.iter(f"{P}PlainTextSelection"))
        assert sorted((p.start, p.end) for p in d.passage_list) == sels
        n_codings += sum(len(list(s.iter(f"{P}Coding"))) for s in src.iter(f"{P}PlainTextSelection"))
    assert sum(len(p.codes or ()) for d in study.document_list for p in d.passage_list) <= n_codings
    assert len(study.code_list) == len(list(root.iter(f"{P}Code")))
    # the tree survives: each code's parent is the element around it
    names = {c.id: c.name for c in study.code_list}
    for el in root.iter(f"{P}Code"):
        parent = el.getparent()
        want = parent.get("name") if parent.tag == f"{P}Code" else None
        got = [names.get(c.parent) for c in study.code_list if c.name == el.get("name")]
        assert want in got


def test_import_nvivo_export_lists_what_it_skips(tmp_path):
    qdpx = _package_file("qualitative-coding", "qualitative_coding/refi_qda/nvivo_project.qdpx")
    lpw = tmp_path / "nvivo.lpw"
    r = _run("import", lpw, qdpx)
    assert r.returncode == 0, r.stderr
    with zipfile.ZipFile(qdpx) as z:
        root = etree.fromstring(z.read("project.qde"))
    study = services.load(lpw).study
    assert len(study.code_list) == len(list(root.iter(f"{P}Code")))
    # its two sources hold no text (an empty .txt, an empty .docx): each is named as skipped
    for src in root.iter(f"{P}TextSource"):
        assert src.get("name") in r.stderr
    assert r.stderr.count("skipped: it holds no text") == 2


@pytest.mark.parametrize("name", ["portableQDA_Atlasti.qdc", "REFI-QDA-1-5.qdc",
                                  "doorstop-core-tests-files-exported.qdc"])
def test_import_codebooks_portableqda_ships(tmp_path, name):
    qdc = _package_file("portableQDA", f"tests/{name}")
    lpw = tmp_path / "cb.lpw"
    r = _run("import", lpw, qdc)
    assert r.returncode == 0, r.stderr
    root = etree.parse(str(qdc)).getroot()
    ns = root.tag.split("}")[0] + "}"
    study = services.load(lpw).study
    codes = list(root.iter(f"{ns}Code"))
    assert len(study.code_list) == len(codes)
    assert [c.name for c in study.code_list] == [(c.get("name") or "").strip() or "(unnamed code)"
                                                 for c in codes]
    for c in study.code_list:
        if c.colour:
            assert len(c.colour) == 7


def test_codebook_round_trip(tmp_path):
    doc = _rich_training()
    lpw = _lpw(tmp_path, doc)
    qdc = tmp_path / "cb.qdc"
    services.export(lpw, qdc)
    back = tmp_path / "cb.lpw"
    services.import_file(back, qdc)
    got = [c.to_dict() for c in services.load(back).study.code_list]
    # a codebook carries no ids of ours: they are made from the names
    names = {c["id"]: c["name"] for c in got}
    want_names = {c["id"]: c["name"] for c in doc["codes"]}
    assert [{**c, "id": c["name"], **({"parent": names[c["parent"]]} if "parent" in c else {})} for c in got] == \
        [{**c, "id": c["name"], **({"parent": want_names[c["parent"]]} if "parent" in c else {})}
         for c in doc["codes"]]


# --------------------------------------------------------------------------- lenient reading


def _qdpx(tmp_path: Path, qde: str, files: dict[str, bytes], name="p.qdpx") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.qde", qde.encode("utf-8"))
        for n, data in files.items():
            z.writestr(n, data)
    return path


LENIENT = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="From another tool">
 <CodeBook><Codes>
  <Code guid="{AAAAAAAA-0000-0000-0000-000000000001}" name="Theme" isCodable="true" color="#c31"/>
 </Codes></CodeBook>
 <Variables><Variable guid="FFFFFFFF-0000-0000-0000-000000000001" name="Region of site" typeOfVariable="Text"/></Variables>
 <Sources>
  <TextSource guid="{BBBBBBBB-0000-0000-0000-000000000001}" name="crlf2" plainTextPath="internal://a.txt">
   <PlainTextSelection guid="CCCCCCCC-0000-0000-0000-000000000001" name="second line" startPosition="{s2}" endPosition="{e2}">
    <Coding guid="DDDDDDDD-0000-0000-0000-000000000001"><CodeRef targetGUID="aaaaaaaa-0000-0000-0000-000000000001"/></Coding>
    <NoteRef targetGUID="EEEEEEEE-0000-0000-0000-000000000001"/>
   </PlainTextSelection>
  </TextSource>
  <TextSource guid="BBBBBBBB-0000-0000-0000-000000000002" name="crlf1" plainTextPath="internal://b.txt">
   <PlainTextSelection guid="CCCCCCCC-0000-0000-0000-000000000002" name="third line" startPosition="{s1}" endPosition="{e1}">
    <Coding guid="DDDDDDDD-0000-0000-0000-000000000002"><CodeRef targetGUID="{AAAAAAAA-0000-0000-0000-000000000001}"/></Coding>
   </PlainTextSelection>
   <VariableValue><VariableRef targetGUID="FFFFFFFF-0000-0000-0000-000000000001"/><TextValue>north</TextValue></VariableValue>
  </TextSource>
  <TextSource guid="BBBBBBBB-0000-0000-0000-000000000003" name="nvivo">
   <PlainTextContent>{astral}</PlainTextContent>
   <PlainTextSelection guid="CCCCCCCC-0000-0000-0000-000000000003" name="after the emoji" startPosition="{su}" endPosition="{eu}">
    <Coding guid="DDDDDDDD-0000-0000-0000-000000000003"><CodeRef targetGUID="AAAAAAAA-0000-0000-0000-000000000001"/></Coding>
   </PlainTextSelection>
  </TextSource>
  <PictureSource guid="BBBBBBBB-0000-0000-0000-000000000004" name="Whiteboard photo" path="internal://c.png"/>
 </Sources>
 <Notes><Note guid="EEEEEEEE-0000-0000-0000-000000000001" name="memo"><PlainTextContent>A memo without a date</PlainTextContent></Note></Notes>
</Project>
"""


def test_lenient_with_what_real_tools_write(tmp_path):
    a = "First line\r\nsecond line here\r\nthird\r\n"
    b = "One\r\ntwo\r\nthird line\r\n"
    astral = "\U0001F600\U0001F600 after the emoji, then more"
    sa = a.index("second line")  # CRLF counted as two (the raw file)
    sb = b.replace("\r\n", "\n").index("third line")  # CRLF counted as one
    su = len(astral[:astral.index("after")].encode("utf-16-le")) // 2  # NVivo: UTF-16 units
    qde = (LENIENT.replace("{s2}", str(sa)).replace("{e2}", str(sa + 11))
           .replace("{s1}", str(sb)).replace("{e1}", str(sb + 10))
           .replace("{su}", str(su)).replace("{eu}", str(su + 15)).replace("{astral}", astral))
    path = _qdpx(tmp_path, qde, {"Sources/a.txt": a.encode("utf-8"),
                                 "Sources/b.txt": b"\xef\xbb\xbf" + b.encode("utf-8"),
                                 "Sources/c.png": b"\x89PNG"})
    lpw = tmp_path / "l.lpw"
    r = _run("import", lpw, path)
    assert r.returncode == 0, r.stderr
    assert "Whiteboard photo" in r.stderr and "skipped" in r.stderr
    assert "'Region of site'" in r.stderr  # a document variable is named as left out
    study = services.load(lpw).study
    docs = {d.name: d for d in study.document_list}
    quote = {n: d.text[d.passage_list[0].start:d.passage_list[0].end] for n, d in docs.items()}
    assert quote == {"crlf2": "second line", "crlf1": "third line", "nvivo": "after the emoji"}
    assert "\r" not in docs["crlf2"].text
    assert docs["crlf2"].passage_list[0].memo == "A memo without a date"
    theme = study.code_list[0]
    assert theme.name == "Theme" and theme.colour == "#CC3311"
    assert all(d.passage_list[0].codes == [theme.id] for d in docs.values())


def test_what_a_study_cannot_hold_is_listed_never_dropped_silently(tmp_path):
    qde = ('<Project xmlns="urn:QDA-XML:project:1.0" name="mixed">'
           '<CodeBook><Codes><Code guid="AAAAAAAA-0000-0000-0000-000000000001" name="Theme" isCodable="true"/>'
           '</Codes></CodeBook><Sources>'
           '<PDFSource guid="BBBBBBBB-0000-0000-0000-000000000001" name="Annual report" path="internal://r.pdf">'
           '<PDFSelection guid="CCCCCCCC-0000-0000-0000-000000000009" page="1" firstX="0" firstY="0" secondX="9" secondY="9"/>'
           '<Representation guid="BBBBBBBB-0000-0000-0000-000000000002">'
           '<PlainTextContent>Turnover grew by a third.</PlainTextContent>'
           '<PlainTextSelection guid="CCCCCCCC-0000-0000-0000-000000000001" startPosition="0" endPosition="8">'
           '<Coding guid="DDDDDDDD-0000-0000-0000-000000000001"><CodeRef targetGUID="AAAAAAAA-0000-0000-0000-000000000001"/>'
           '</Coding></PlainTextSelection></Representation></PDFSource>'
           '<TextSource guid="BBBBBBBB-0000-0000-0000-000000000003" name="On the C drive" plainTextPath="absolute://C:/t.txt"/>'
           '<TextSource guid="BBBBBBBB-0000-0000-0000-000000000004" name="Lost file" plainTextPath="internal://gone.txt"/>'
           '<AudioSource guid="BBBBBBBB-0000-0000-0000-000000000005" name="Interview recording" path="internal://a.mp3"/>'
           '</Sources>'
           '<Sets><Set guid="EEEEEEEE-0000-0000-0000-000000000001" name="s"/></Sets></Project>')
    lpw = tmp_path / "m.lpw"
    r = _run("import", lpw, _qdpx(tmp_path, qde, {}))
    assert r.returncode == 0, r.stderr
    for name in ("Annual report", "On the C drive", "Lost file", "Interview recording", "Sets"):
        assert name in r.stderr, name
    d = services.load(lpw).study.document_list
    assert [x.name for x in d] == ["Annual report"]
    assert d[0].text[d[0].passage_list[0].start:d[0].passage_list[0].end] == "Turnover"


def test_a_project_zipped_inside_its_folder(tmp_path):
    path = tmp_path / "f.qdpx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("My project/Project.qde",
                   '<Project xmlns="urn:QDA-XML:project:1.0" name="f"><Sources>'
                   '<TextSource guid="BBBBBBBB-0000-0000-0000-000000000001" name="t" plainTextPath="internal://t.txt"/>'
                   '</Sources></Project>')
        z.writestr("My project/Sources/t.txt", "Some text")
    lpw = tmp_path / "f.lpw"
    r = _run("import", lpw, path)
    assert r.returncode == 0, r.stderr
    assert [d.text for d in services.load(lpw).study.document_list] == ["Some text"]


def test_nvivo_positions_count_characters_above_ffff_as_two(tmp_path):
    """NVivo counts in UTF-16 units; with no selection text to check
    against, a project NVivo wrote is read so, where that is possible."""
    text = "\U0001F600 one \U0001F600 two \U0001F600 three four"
    u16 = lambda i: len(text[:i].encode("utf-16-le")) // 2  # noqa: E731
    s, e = text.index("three"), text.index("three") + 5
    qde = (f'<Project xmlns="urn:QDA-XML:project:1.0" name="n" origin="NVivo 14.23">'
           f'<Sources><TextSource guid="BBBBBBBB-0000-0000-0000-000000000001" name="t">'
           f'<PlainTextContent>{text}</PlainTextContent>'
           f'<PlainTextSelection guid="CCCCCCCC-0000-0000-0000-000000000001" startPosition="{u16(s)}" '
           f'endPosition="{u16(e)}"/></TextSource></Sources></Project>')
    lpw = tmp_path / "n.lpw"
    r = _run("import", lpw, _qdpx(tmp_path, qde, {}))
    assert r.returncode == 0, r.stderr
    d = services.load(lpw).study.document_list[0]
    assert d.text[d.passage_list[0].start:d.passage_list[0].end] == "three"
    assert "UTF-16" in r.stderr


def test_another_tools_events_theme_stays_a_theme(tmp_path):
    """Only the "Events" tree the workbench writes (firms named by cases)
    becomes events; another tool's theme called "Events" stays codes."""
    text = "We met the customer. Then we changed the schedule."
    qde = ('<Project xmlns="urn:QDA-XML:project:1.0" name="other" origin="MAXQDA 2024">'
           '<CodeBook><Codes><Code guid="AAAAAAAA-0000-0000-0000-000000000001" name="Events" isCodable="false">'
           '<Code guid="AAAAAAAA-0000-0000-0000-000000000002" name="Meetings" isCodable="false">'
           '<Code guid="AAAAAAAA-0000-0000-0000-000000000003" name="With customers" isCodable="true"/>'
           '</Code></Code></Codes></CodeBook>'
           '<Sources><TextSource guid="BBBBBBBB-0000-0000-0000-000000000001" name="t">'
           f'<PlainTextContent>{text}</PlainTextContent>'
           '<PlainTextSelection guid="CCCCCCCC-0000-0000-0000-000000000001" startPosition="19" endPosition="0">'
           '<Coding guid="DDDDDDDD-0000-0000-0000-000000000001">'
           '<CodeRef targetGUID="AAAAAAAA-0000-0000-0000-000000000003"/></Coding>'
           '</PlainTextSelection></TextSource></Sources></Project>')
    lpw = tmp_path / "o.lpw"
    r = _run("import", lpw, _qdpx(tmp_path, qde, {}))
    assert r.returncode == 0, r.stderr
    study = services.load(lpw).study
    assert study.firms == []
    assert [c.name for c in study.code_list] == ["Events", "Meetings", "With customers"]
    p = study.document_list[0].passage_list[0]
    assert text[p.start:p.end] == "We met the customer" and p.codes == [study.code_list[2].id]


def _counted(text: str, cp: int, unit: str, crlf: int) -> int:
    """Position ``cp`` of the stored text (\\n line ends) as a tool counts it
    on ``text`` (the file, with CRLF)."""
    raw_prefix = text.replace("\r\n", "\n")[:cp]
    if crlf == 2:
        raw_prefix = raw_prefix.replace("\n", "\r\n")
    return len(raw_prefix.encode("utf-16-le")) // 2 if unit == "u16" else len(raw_prefix)


@pytest.mark.parametrize("named", [True, False])
@pytest.mark.parametrize("unit,crlf", [("cp", 2), ("cp", 1), ("u16", 2), ("u16", 1)])
def test_codings_do_not_shift_however_positions_are_counted(tmp_path, unit, crlf, named):
    """Random texts with CRLF line ends and characters above U+FFFF; the
    selections written as each way of counting would; every one is read
    back at the same text: by the selections' names where a tool names them
    by their text, else because coders select whole words."""
    import random
    from xml.sax.saxutils import quoteattr

    rng = random.Random(f"{unit}{crlf}")
    pieces = ["word", "caf\u00e9", "\U0001F600", "\U0001D518", " ", " ", "\r\n", ".", "na\u00efve"]
    for trial in range(3):
        raw = "".join(rng.choice(pieces) for _ in range(400))
        stored = raw.replace("\r\n", "\n")
        sels = []
        for k in range(25):
            if named:
                a = rng.randrange(0, len(stored) - 10)
                b = a + rng.randrange(3, 10)
            else:  # whole words, as coders select
                starts = [m.start() for m in re.finditer(r"(?<!\w)\w", stored)]
                a = rng.choice(starts[:-3])
                b = re.compile(r"\w(?!\w)").search(stored, a + rng.randrange(1, 20)).end()
            if not stored[a:b].strip():
                continue
            sels.append((a, b))
        xml = "".join(
            f'<PlainTextSelection guid="CCCCCCCC-0000-0000-0000-{k:012d}" '
            f'{"name=" + quoteattr(stored[a:b]) if named else ""} '
            f'startPosition="{_counted(raw, a, unit, crlf)}" endPosition="{_counted(raw, b, unit, crlf)}"/>'
            for k, (a, b) in enumerate(sels))
        qde = ('<Project xmlns="urn:QDA-XML:project:1.0" name="r"><Sources>'
               '<TextSource guid="BBBBBBBB-0000-0000-0000-000000000001" name="t" plainTextPath="internal://t.txt">'
               f'{xml}</TextSource></Sources></Project>')
        lpw = tmp_path / f"r{trial}.lpw"
        r = _run("import", lpw, _qdpx(tmp_path, qde, {"sources/t.txt": raw.encode("utf-8")}, f"r{trial}.qdpx"))
        assert r.returncode == 0, r.stderr
        d = services.load(lpw).study.document_list[0]
        assert d.text == stored
        got = sorted(d.text[p.start:p.end] for p in d.passage_list)
        assert got == sorted(stored[a:b] for a, b in sels)


# --------------------------------------------------------------------------- safety


def _assert_refused(tmp_path, path: Path, *words: str) -> str:
    lpw = tmp_path / "target.lpw"
    r = _run("import", lpw, path)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    for w in words:
        assert w in r.stderr, r.stderr
    assert not lpw.exists() and not list(tmp_path.glob(".target.lpw*"))
    return r.stderr


def test_entities_are_refused(tmp_path):
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
            '<Project xmlns="urn:QDA-XML:project:1.0" name="&lol2;"/>')
    _assert_refused(tmp_path, _qdpx(tmp_path, bomb, {}), "project.qde", "line 2", "entities")
    ext = ('<?xml version="1.0"?>\n<!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
           '<Project xmlns="urn:QDA-XML:project:1.0" name="&x;"/>')
    err = _assert_refused(tmp_path, _qdpx(tmp_path, ext, {}, "e.qdpx"), "project.qde")
    assert "root:" not in err


def test_malformed_xml_is_named_with_part_and_line(tmp_path):
    bad = '<?xml version="1.0"?>\n<Project xmlns="urn:QDA-XML:project:1.0" name="x">\n<Sources>\n</Project>'
    _assert_refused(tmp_path, _qdpx(tmp_path, bad, {}), "project.qde, line 4", "not well-formed")
    qdc = tmp_path / "bad.qdc"
    qdc.write_text('<CodeBook xmlns="urn:QDA-XML:codebook:1.0">\n<Codes>\n<Code name="a"', "utf-8")
    _assert_refused(tmp_path, qdc, "bad.qdc, line 3")


def test_zip_members_leaving_the_folder_are_refused(tmp_path):
    path = tmp_path / "slip.qdpx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.qde", '<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>')
        z.writestr("../../evil.txt", "x")
    _assert_refused(tmp_path, path, "../../evil.txt", "outside")


def test_zip_bombs_are_refused(tmp_path):
    path = tmp_path / "bomb.qdpx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.qde", '<Project xmlns="urn:QDA-XML:project:1.0" name="x"/>')
        z.writestr("sources/a.txt", b"\0" * (50 * 1024 * 1024))
    _assert_refused(tmp_path, path, "sources/a.txt", "compressed more than")


def test_not_a_zip_and_no_project(tmp_path):
    p = tmp_path / "x.qdpx"
    p.write_text("hello", "utf-8")
    _assert_refused(tmp_path, p, "not a .qdpx project")
    q = tmp_path / "empty.qdpx"
    with zipfile.ZipFile(q, "w") as z:
        z.writestr("readme.txt", "x")
    _assert_refused(tmp_path, q, "no project.qde")


def test_failed_import_leaves_an_existing_study_unchanged(tmp_path):
    lpw = _lpw(tmp_path, json.loads((SAMPLES / "training-case.study.json").read_text("utf-8")), "target")
    before = lpw.read_bytes()
    bad = _qdpx(tmp_path, '<Project xmlns="urn:QDA-XML:project:1.0" name="x"><Sources>', {})
    r = _run("import", lpw, bad)
    assert r.returncode == 2 and "line 1" in r.stderr
    assert lpw.read_bytes() == before


def test_import_into_an_existing_study_adds_documents_and_codes(tmp_path):
    lpw = _lpw(tmp_path, json.loads((SAMPLES / "jones-macpherson-2006.study.json").read_text("utf-8")))
    qdpx = _package_file("qualitative-coding", "qualitative_coding/demo.qdpx")
    r = _run("import", lpw, qdpx)
    assert r.returncode == 0, r.stderr
    study = services.load(lpw).study
    assert [f.id for f in study.firms] == ["brw", "rsl", "dmf"]
    assert len(study.document_list) == 2 and study.code_list
    # the same project again: its documents are there already, under other ids
    r = _run("import", lpw, qdpx)
    assert r.returncode == 0, r.stderr
    assert len(services.load(lpw).study.document_list) == 4


def test_coded_further_in_another_tool_and_brought_back_with_replace(tmp_path):
    """LPW > qdpx > (a passage coded with an event in another tool) > import
    --replace into the same study: the event gains the evidence, and what a
    project does not carry (sources, routines, links, dates) is kept."""
    doc = _rich_training()
    lpw = _lpw(tmp_path, doc, "orig")
    out = tmp_path / "o.qdpx"
    services.export(lpw, out)
    with zipfile.ZipFile(out) as z:
        members = {n: z.read(n) for n in z.namelist()}
    root = etree.fromstring(members["project.qde"])
    event = root.xpath("//p:Code[@name='Events']/p:Code/p:Code", namespaces={"p": P[1:-1]})[2]
    src = root.find(f"{P}Sources/{P}TextSource")
    text = members["sources/" + src.get("plainTextPath").split("://")[1]].decode("utf-8")
    start = text.index("thermal") if "thermal" in text else 100
    sel = etree.Element(f"{P}PlainTextSelection", guid="99999999-0000-0000-0000-000000000001",
                        startPosition=str(start), endPosition=str(start + 20))
    etree.SubElement(etree.SubElement(sel, f"{P}Coding", guid="99999999-0000-0000-0000-000000000002"),
                     f"{P}CodeRef", targetGUID=event.get("guid"))
    src.find(f"{P}PlainTextSelection").addprevious(sel)
    members["project.qde"] = etree.tostring(root, xml_declaration=True, encoding="utf-8")
    edited = tmp_path / "edited.qdpx"
    with zipfile.ZipFile(edited, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    r = _run("import", lpw, edited)
    assert r.returncode == 2 and "--replace" in r.stderr
    r = _run("import", lpw, edited, "--replace")
    assert r.returncode == 0, r.stderr
    back = services.load(lpw).study.to_dict()
    before = doc["firms"][0]
    after = back["firms"][0]
    for key in ("sources", "routines", "links", "summary", "profile", "attributes", "memo"):
        assert after.get(key) == before.get(key), key
    changed = after["events"][2]
    orig = before["events"][2]
    assert changed["id"] == orig["id"] and changed.get("date") == orig.get("date")
    assert changed.get("sources") == orig.get("sources")
    quotes = [x["quote"] for x in changed["evidence"]]
    assert text[start:start + 20] in quotes
    assert len(quotes) == len(orig.get("evidence", ())) + 1
    assert [e["id"] for e in after["events"]] == [e["id"] for e in before["events"]]
    assert len(back["documents"]) == len(doc["documents"])


def test_export_refuses_firm_option_for_a_project(tmp_path):
    lpw = _lpw(tmp_path, json.loads((SAMPLES / "training-case.study.json").read_text("utf-8")))
    r = _run("export", lpw, tmp_path / "o.qdpx", "--firm", "kestrel")
    assert r.returncode == 2 and "--firm" in r.stderr and not (tmp_path / "o.qdpx").exists()
