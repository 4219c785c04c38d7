"""Two coders, one study: blind copies, comparing codings, merging parallel
work, and students practising on the example studies. Functions the CLI
(and the window) call; the numbers are computed in ``core.agreement``, the
merge in ``core.merge``. Each raises ``InputError`` with a message fit for
a person."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .core.errors import InputError, WorkbenchError

PRACTICE_KEY = "x-practice"


# --------------------------------------------------------------------------- reading


def read_format(path: str | os.PathLike, firm_id: str | None = None) -> dict:
    """A study as a validated format dict, from a ``.lpw`` or a ``*.study.json``."""
    from .services import is_lpw

    if is_lpw(path):
        from .store.study_db import StudyDB

        with StudyDB.open(path) as db:
            return db.load_doc()
    from .io.study_json import read_doc

    doc, _warnings = read_doc(path)
    return doc


def read_coding(path: str | os.PathLike) -> dict:
    """What ``compare`` needs of a study, as a format dict: its codes, and
    each firm's events with their ids and coding only. From a ``.lpw`` this
    reads the coding columns alone (far quicker than the whole study); a
    ``*.study.json`` is read and validated whole."""
    from .services import is_lpw

    if not is_lpw(path):
        return read_format(path)
    from .store.study_db import StudyDB

    loads = json.loads
    with StudyDB.open(path) as db:
        conn = db.conn
        firms: dict[str, list] = {}
        for (fid,) in conn.execute("SELECT id FROM firms ORDER BY position"):
            firms[fid] = []
        for fid, eid, critical, phase, stages, level, types, codes in conn.execute(
                "SELECT firm, id, critical, phase, stages, level, learning_types, codes "
                "FROM events ORDER BY firm, position"):
            ev = {"id": eid}
            if critical is not None:
                ev["critical"] = bool(critical)
            if phase is not None:
                ev["phase"] = phase
            if stages is not None:
                ev["stages"] = loads(stages)
            if level is not None:
                ev["level"] = level
            if types is not None:
                ev["learning_types"] = loads(types)
            if codes is not None:
                ev["codes"] = loads(codes)
            firms[fid].append(ev)
        has_codes = conn.execute("SELECT EXISTS (SELECT 1 FROM codes)").fetchone()[0]
    doc = {"firms": [{"id": fid, "events": evs} for fid, evs in firms.items()]}
    if has_codes:
        doc["codes"] = [{"id": "(any)"}]  # only whether the study has codes matters here
    return doc


def _require_firm(doc: dict, firm_id: str, where) -> None:
    ids = [f["id"] for f in doc.get("firms", ())]
    if firm_id not in ids:
        raise InputError(f"{where}: no firm {firm_id!r} in this study; its firms are: "
                         f"{', '.join(ids) or '(none)'}")


def _canonical(doc: dict, where: str) -> str:
    """The canonical text of a study dict (validated; InputError if not valid)."""
    from .core.model import Study
    from .io.study_json import dumps_study, parse_doc

    doc, _ = parse_doc(doc, where)
    return dumps_study(Study.from_dict(doc))


# --------------------------------------------------------------------------- blind copy


def blind_file(study_path, out_path, firm_id: str | None = None, keep=()) -> dict:
    """Write a blind copy of a study (see ``core.blind``) as a ``*.study.json``."""
    from .core.blind import blind
    from .io.files import atomic_write_text

    doc = read_format(study_path)
    if firm_id is not None:
        _require_firm(doc, firm_id, study_path)
    copy = blind(doc, firm=firm_id, keep=tuple(keep))
    if Path(out_path).exists() and Path(out_path).resolve() == Path(study_path).resolve():
        raise InputError(f"{out_path}: the blind copy would overwrite the study it is made from; "
                         f"choose another file")
    atomic_write_text(out_path, _canonical(copy, str(out_path)))
    return copy


# --------------------------------------------------------------------------- compare


def compare_files(a_path, b_path, firm_id: str | None = None) -> dict:
    """The comparison of two codings (``core.agreement.compare``), from
    ``.lpw`` or ``*.study.json`` files."""
    import gc

    from .core.agreement import compare

    # Two large studies held at once: the cyclic garbage collector would walk
    # them again and again while they are read and compared (they hold no
    # cycles), so it rests while they are read and leaves them out after.
    enabled = gc.isenabled()
    gc.disable()
    frozen = False
    try:
        a = read_coding(a_path)
        b = read_coding(b_path)
        if firm_id is not None:
            ids = {f["id"] for f in a.get("firms", ())} | {f["id"] for f in b.get("firms", ())}
            if firm_id not in ids:
                raise InputError(f"no firm {firm_id!r} in either study; their firms are: "
                                 f"{', '.join(sorted(ids)) or '(none)'}")
        gc.freeze()
        frozen = True
        if enabled:
            gc.enable()
        return compare(a, b, firm=firm_id)
    finally:
        if frozen:
            gc.unfreeze()
        if enabled:
            gc.enable()


def agreement_docx(result: dict, a_name: str, b_name: str, out_path) -> None:
    """A Word document with the agreement tables and the disagreements."""
    import io

    from docx import Document

    from .core.agreement import LABELS
    from .io.files import atomic_write_bytes

    if Path(out_path).suffix.lower() != ".docx":
        raise InputError(f"{out_path}: the agreement report is written as a .docx file")
    document = Document()
    document.add_heading("Intercoder agreement", level=1)
    document.add_paragraph(
        f"Coder A: {a_name}. Coder B: {b_name}. Units: the {result['units']} events in both codings "
        f"({len(result['only_in_a'])} only in A, {len(result['only_in_b'])} only in B). Agreement is "
        f"the share of units coded alike; kappa is Cohen's; alpha is Krippendorff's (nominal; MASI "
        f"distance for sets). An event left uncoded by either coder is left out of that dimension.")

    def table(dims: dict) -> None:
        t = document.add_table(rows=1, cols=5)
        t.style = "Table Grid"
        for cell, text in zip(t.rows[0].cells, ("Dimension", "Units", "Agreement", "Cohen's kappa",
                                                "Krippendorff's alpha")):
            cell.text = text
        for dim, m in dims.items():
            row = t.add_row().cells
            row[0].text = LABELS.get(dim, dim)
            row[1].text = str(m["units"])
            row[2].text = _pct(m["agreement"])
            row[3].text = _num(m["cohen_kappa"])
            row[4].text = _num(m["krippendorff_alpha"])

    document.add_heading("All firms", level=2)
    table(result["dimensions"])
    for fid, f in result["firms"].items():
        document.add_heading(f"Firm {fid}", level=2)
        table(f["dimensions"])
    if result["disagreements"]:
        document.add_heading("Disagreements", level=2)
        t = document.add_table(rows=1, cols=4)
        t.style = "Table Grid"
        for cell, text in zip(t.rows[0].cells, ("Event", "Dimension", "A", "B")):
            cell.text = text
        for d in result["disagreements"]:
            row = t.add_row().cells
            row[0].text = f"{d['firm']}.{d['event']}"
            row[1].text = LABELS.get(d["dimension"], d["dimension"])
            row[2].text = _show(d["a"])
            row[3].text = _show(d["b"])
    buf = io.BytesIO()
    document.save(buf)
    atomic_write_bytes(out_path, buf.getvalue())


def _pct(x) -> str:
    return "-" if x is None else f"{x * 100:.1f}%"


def _num(x) -> str:
    return "-" if x is None else f"{x:.3f}"


def _show(v) -> str:
    if v is None:
        return "(uncoded)"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, list):
        return " + ".join(v)
    return str(v)


# --------------------------------------------------------------------------- merge


def _read_json_study(path, role: str, allow_empty: bool = False) -> dict | None:
    from .io.study_json import decode, parse_doc, read_text

    try:
        text = read_text(path)
        if allow_empty and not text.strip():
            return None
        doc = decode(text, f"{path} ({role})")
        doc, _ = parse_doc(doc, f"{path} ({role})", text)
    except InputError as exc:
        raise InputError(f"{exc.message}; nothing was merged", exc.problems) from None
    return doc


def merge_files(base_path, ours_path, theirs_path, out_path=None) -> list[dict]:
    """Merge three versions of a ``*.study.json`` into ``out_path`` (default:
    over ``ours_path``, as git expects of a merge driver). Returns the
    conflicts (empty: a clean merge). With conflicts, the file holds ours
    where they are, and a top-level ``x-conflicts`` list recording each."""
    from .core.merge import CONFLICTS_KEY, broken_rules, merge
    from .io.files import atomic_write_text

    base = _read_json_study(base_path, "base", allow_empty=True)
    ours = _read_json_study(ours_path, "ours")
    theirs = _read_json_study(theirs_path, "theirs")
    merged, conflicts = merge(base, ours, theirs)
    if conflicts:
        merged[CONFLICTS_KEY] = list(ours.get(CONFLICTS_KEY, [])) + conflicts
    out = out_path or ours_path
    try:
        text = _canonical(merged, str(out))
    except InputError as exc:
        # each side's changes fit, but together they break a rule of the format
        # (an event names a source the other side removed): keep ours whole
        records = broken_rules(merged, exc.problems)
        kept = dict(ours)
        kept[CONFLICTS_KEY] = list(ours.get(CONFLICTS_KEY, [])) + records
        text = _canonical(kept, str(out))
        conflicts = records
    atomic_write_text(out, text)
    return conflicts


# --------------------------------------------------------------------------- practice


def examples() -> dict[str, Path]:
    """The example studies shipped with the workbench, by name."""
    from .core.frameworks import resources_dir

    res = resources_dir()
    for folder in (res / "sample_cases", res.parent / "sample_cases"):
        if folder.is_dir():
            found = {p.name[:-len(".study.json")]: p for p in sorted(folder.glob("*.study.json"))}
            if found:
                return found
    raise WorkbenchError("the example studies are missing from this installation")


def example_path(name: str) -> Path:
    found = examples()
    if name not in found:
        raise InputError(f"no example {name!r}; the examples are: {', '.join(found)}")
    return found[name]


def practice(name: str, out_path) -> list[str]:
    """A new ``.lpw`` holding a blind copy of an example study, to code.
    Returns the firms imported."""
    from . import services
    from .core.blind import blind
    from .io.study_json import read_doc

    out_path = Path(out_path)
    if out_path.exists() and out_path.stat().st_size > 0:
        raise InputError(f"{out_path}: already exists; choose a new file for your practice study")
    if out_path.suffix.lower() != ".lpw":
        raise InputError(f"{out_path}: a practice study is a .lpw study file; name it so")
    doc, _ = read_doc(example_path(name))
    copy = blind(doc)
    copy[PRACTICE_KEY] = name
    with tempfile.TemporaryDirectory(prefix="lpw-practice-") as tmp:
        src = Path(tmp) / f"{name}.study.json"
        src.write_text(json.dumps(copy, ensure_ascii=False), encoding="utf-8")
        firm_ids, _ = services.import_file(out_path, src)
    return firm_ids


def check(study_path, example: str | None = None) -> dict:
    """The student's coding compared with the authors': the comparison (A =
    the authors, B = the student), and feedback on each event coded
    differently or left uncoded."""
    from .core.agreement import compare, dimensions_of
    from .io.study_json import read_doc

    mine = read_format(study_path)
    name = example or mine.get(PRACTICE_KEY)
    if not name:
        titles = {n: read_doc(p)[0].get("title") for n, p in examples().items()}
        matches = [n for n, t in titles.items() if t == mine.get("title")]
        if len(matches) != 1:
            raise InputError(f"{study_path}: not made with 'workbench practice'; name the example "
                             f"it copies with --example ({', '.join(titles)})")
        name = matches[0]
    ref, _ = read_doc(example_path(name))
    dims = dimensions_of(ref, mine)
    feedback, uncoded = _feedback(ref, mine, dims)
    # the numbers over the events the student has coded (an event not coded
    # at all is not counted as "not critical")
    skip = {(u["firm"], u["event"]) for u in uncoded}

    def coded_only(doc: dict) -> dict:
        return dict(doc, firms=[dict(f, events=[e for e in f.get("events", ())
                                                if (f["id"], e["id"]) not in skip])
                                for f in doc.get("firms", ())])

    result = compare(coded_only(ref), coded_only(mine))
    if result["units"] == 0 and not uncoded:
        raise InputError(f"{study_path}: has none of the events of the example {name!r}; "
                         f"is it the right example?")
    return {"example": name, "title": ref.get("title"), "comparison": result, "events": feedback,
            "uncoded": uncoded}


def _definition(dim: str, value, codes: dict) -> str:
    from .core.frameworks import all_stages, vocabulary

    voc = vocabulary()
    if dim in ("primary_stage", "stages"):
        s = all_stages().get(value)
        return s.definition if s else ""
    vocab = {"level": "levels", "primary_learning_type": "learning_types",
             "learning_types": "learning_types", "phase": "phases"}.get(dim)
    if vocab:
        t = voc.term(vocab, value)
        return t.definition if t else ""
    if dim == "codes":
        c = codes.get(value, {})
        return c.get("description", "")
    if dim == "critical":
        return ("an event that threatens the firm or its way of working and sets its learning off; "
                "the catalyst of what follows." if value else
                "an event in the course of the firm's learning, not its catalyst.")
    return ""


def _label(dim: str, value, codes: dict) -> str:
    from .core.frameworks import all_stages, vocabulary

    voc = vocabulary()
    if dim in ("primary_stage", "stages"):
        s = all_stages().get(value)
        return s.label if s else str(value)
    vocab = {"level": "levels", "primary_learning_type": "learning_types",
             "learning_types": "learning_types", "phase": "phases"}.get(dim)
    if vocab:
        return voc.label(vocab, value)
    if dim == "codes":
        return codes.get(value, {}).get("name", value)
    if dim == "critical":
        return "Critical incident" if value else "Not critical"
    return str(value)


def meaning(dim: str, value, codes: dict | None = None) -> tuple[str, str]:
    """A coding value's label and definition (from the framework data, or
    the study's codes by id), as feedback and the window's side-by-side
    comparison show them."""
    codes = codes or {}
    return _label(dim, value, codes), _definition(dim, value, codes)


_CODING_KEYS = ("stages", "level", "learning_types", "phase", "critical", "codes")


def _feedback(ref: dict, mine: dict, dims) -> tuple[list[dict], list[dict]]:
    """Per event the student coded differently from the authors: each
    differing dimension with both codings (labels), the dimensions the
    student has not coded yet, what the codes involved mean (each once),
    and the event's evidence. Then the events not coded at all (their
    coding is not given away)."""
    from .core.agreement import Coder, Labeller

    coder, labeller = Coder(), Labeller()
    codes = {c["id"]: c for c in ref.get("codes", ())}
    firms_mine = {f["id"]: f for f in mine.get("firms", ())}
    out, uncoded = [], []
    for firm in ref.get("firms", ()):
        fm = firms_mine.get(firm["id"])
        if fm is None:
            continue
        events_mine = {e["id"]: e for e in fm.get("events", ())}
        for ev in firm.get("events", ()):
            em = events_mine.get(ev["id"])
            if em is None:
                continue
            where = {"firm": firm["id"], "firm_name": firm.get("name", firm["id"]), "event": ev["id"],
                     "title": ev.get("title", "")}
            if not any(em.get(k) not in (None, []) for k in _CODING_KEYS):
                uncoded.append(where)
                continue
            diffs, missing, meanings = [], [], {}
            for dim in dims:
                a, b = coder.value(ev, dim), coder.value(em, dim)
                if a == b or a is None:
                    continue
                if b is None:
                    missing.append(dim)
                    continue

                def shown(v):
                    if isinstance(v, frozenset):
                        return [_label(dim, i, codes) for i in labeller.items(dim, v)]
                    return _label(dim, v, codes)

                diffs.append({"dimension": dim, "reference": labeller.json_value(dim, a),
                              "yours": labeller.json_value(dim, b),
                              "reference_label": shown(a), "yours_label": shown(b)})
                vocab = "stages" if dim in ("primary_stage", "stages") else \
                    "learning_types" if dim in ("primary_learning_type", "learning_types") else dim
                for v in (a, b):
                    for item in (labeller.items(dim, v) if isinstance(v, frozenset) else [v]):
                        meaning = _definition(dim, item, codes)
                        if meaning and (vocab, item) not in meanings:
                            meanings[(vocab, item)] = {"code": item, "label": _label(dim, item, codes),
                                                       "definition": meaning}
            if diffs or missing:
                out.append(dict(where, differences=diffs, not_coded=missing,
                                definitions=list(meanings.values()),
                                evidence=[{"quote": q["quote"], "speaker": q.get("speaker")}
                                          for q in ev.get("evidence", ())]))
    return out, uncoded


def fmt_measures(dims: dict, indent: str = "  ") -> list[str]:
    from .core.agreement import LABELS

    width = max(len(LABELS.get(d, d)) for d in dims) if dims else 10
    lines = [indent + "dimension".ljust(width) + "   units  agreement    kappa    alpha"]
    for d, m in dims.items():
        pct = "-" if m["agreement"] is None else f"{m['agreement'] * 100:.1f}%"
        k = "-" if m["cohen_kappa"] is None else f"{m['cohen_kappa']:.4f}"
        a = "-" if m["krippendorff_alpha"] is None else f"{m['krippendorff_alpha']:.4f}"
        lines.append(indent + LABELS.get(d, d).ljust(width) + f"{m['units']:>8}{pct:>11}{k:>9}{a:>9}")
    return lines


def check_text(report: dict) -> str:
    """``check``'s report as the text a student reads: agreement per
    dimension, then each event coded differently with both codings, what
    the codes mean and the evidence. The command line prints it; the
    window shows it."""
    import textwrap

    from .core.agreement import LABELS

    result = report["comparison"]
    done = result["units"]
    total = done + len(report["uncoded"])
    lines = [f"Your coding of {report['title']!r} against the authors'",
             f"You have coded {done} of its {total} events.", ""]
    lines += fmt_measures(result["dimensions"])

    def show(v) -> str:
        if isinstance(v, bool):
            return "yes" if v else "no"
        return " + ".join(v) if isinstance(v, list) else str(v)

    wrap = textwrap.TextWrapper(width=96, initial_indent="    ", subsequent_indent="      ")
    if not report["events"] and done:
        lines += ["", "Every event you coded is coded as the authors did."]
    for ev in report["events"]:
        lines += ["", f"{ev['firm_name']}, event {ev['event']}: {ev['title']}"]
        for d in ev["differences"]:
            lines.append(f"  {LABELS.get(d['dimension'], d['dimension'])}: the authors "
                         f"{show(d['reference_label'])}; you {show(d['yours_label'])}")
        if ev["not_coded"]:
            lines.append("  Not coded yet: " + ", ".join(LABELS.get(d, d).lower() for d in ev["not_coded"]))
        if ev["definitions"]:
            lines.append("  What the codes mean:")
            for item in ev["definitions"]:
                lines += wrap.wrap(f"{item['label']}: {item['definition']}")
        if ev["evidence"]:
            lines.append("  The evidence:")
            for q in ev["evidence"]:
                who = f" ({q['speaker']})" if q.get("speaker") else ""
                lines += wrap.wrap(f"“{q['quote']}”{who}")
    if report["uncoded"]:
        lines += ["", f"Not coded yet ({len(report['uncoded'])}): "
                  + ", ".join(f"{u['firm']}.{u['event']}" for u in report["uncoded"][:30])
                  + (" ..." if len(report["uncoded"]) > 30 else "")]
    return "\n".join(lines)
