"""Spreadsheets: a study's tables out as ``.xlsx`` (or a folder of ``.csv``
files), and events, knowledge sources and routines read back in.

Export writes the sheets Firms, Events, Sources, Routines and Evidence: one
row per object, the header row bold and frozen, lists as ``a; b``, framework
and vocabulary terms by their labels. Import reads the Events, Sources and
Routines sheets (or ``events.csv``, ``sources.csv``, ``routines.csv``) and
adds their rows to the study's firms: columns are matched by header (the
labels written here or the format's keys, any case, spaces, hyphens or
underscores alike), terms by label or id; a column it does not know is
reported and left out; every problem is named with its sheet, row and
column; nothing is written unless the whole file is right, and the import
is one step of the study's history.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from ..core.errors import InputError, WorkbenchError
from ..core.frameworks import all_stages, framework as get_framework, vocabulary
from ..core.model import Study
from ..core.validate import Problem

LIST_SEP = "; "

# (key, header, kind); kind: text, list, bool, int, date, or "vocab:<name>" / "vocabs:<name>" (a list)
EVENTS = (
    ("firm", "Firm", "text"), ("id", "Id", "text"), ("title", "Event", "text"),
    ("description", "Description", "text"), ("date", "Date", "date"), ("when", "When", "text"),
    ("critical", "Critical", "bool"), ("phase", "Phase", "vocab:phases"),
    ("stages", "Stages", "vocabs:stages"), ("level", "Level", "vocab:levels"),
    ("learning_types", "Learning types", "vocabs:learning_types"),
    ("knowledge_types", "Knowledge types", "vocabs:knowledge_types"),
    ("sources", "Knowledge sources", "list"), ("routines", "Routines", "list"),
    ("actors", "Actors", "list"), ("tags", "Tags", "list"), ("memo", "Memo", "text"),
    ("codes", "Codes", "list"),
)
SOURCES = (
    ("firm", "Firm", "text"), ("id", "Id", "text"), ("name", "Name", "text"),
    ("kind", "Kind", "vocab:source_kinds"), ("external", "External", "bool"),
    ("country", "Country", "text"), ("location", "Location", "text"),
    ("scope", "Scope", "vocab:scopes"), ("direction", "Direction", "vocab:directions"),
    ("strategic", "Strategic", "bool"), ("via", "Via", "text"), ("notes", "Notes", "text"),
)
ROUTINES = (
    ("firm", "Firm", "text"), ("id", "Id", "text"), ("name", "Routine", "text"),
    ("activity", "Activity", "text"), ("outcome", "Learning outcome", "text"),
    ("sources", "Knowledge sources", "list"), ("stage", "Stage", "vocab:stages"),
    ("started", "Started", "date"), ("notes", "Notes", "text"),
)
EVIDENCE = (
    ("firm", "Firm", "text"), ("event", "Event", "text"), ("quote", "Quote", "text"),
    ("speaker", "Speaker", "text"), ("document", "Document", "text"), ("start", "Start", "int"),
    ("end", "End", "int"), ("location", "Location", "text"), ("codes", "Codes", "list"),
    ("memo", "Memo", "text"),
)
READ_BACK = {"Events": ("events", EVENTS), "Sources": ("sources", SOURCES), "Routines": ("routines", ROUTINES)}
REQUIRED = {"events": ("title",), "sources": ("name", "kind"), "routines": ("name",)}
# other names a column goes by (besides its key and header)
ALIASES = {"events": {"title": ("title",), "sources": ("sources",)},
           "sources": {"name": ("source",)},
           "routines": {"outcome": ("outcome",), "sources": ("sources",)}}


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", str(text).strip().lower())


def _terms(vocab: str, framework_id: str) -> list[tuple[str, str]]:
    if vocab == "stages":
        stages = all_stages()
        return [(s, stages[s].label) for s in get_framework(framework_id).stage_ids]
    if vocab == "levels":
        return [(lv, vocabulary().label("levels", lv)) for lv in get_framework(framework_id).level_ids]
    voc = vocabulary()
    return [(t, voc.label(vocab, t)) for t in voc.ids(vocab)]


# ==========================================================================
# export


def _cell(value, kind: str, framework_id: str):
    if value is None:
        return None
    if kind.startswith("vocab"):
        labels = dict(_terms(kind.split(":", 1)[1], framework_id))
        if isinstance(value, list):
            return LIST_SEP.join(labels.get(v, v) for v in value)
        return labels.get(value, value)
    if isinstance(value, list):
        return LIST_SEP.join(str(v) for v in value)
    return value


def tables(study: Study) -> dict[str, tuple[list[str], list[list]]]:
    """The study's tables: sheet name -> (headers, rows)."""
    fw = study.framework
    voc = vocabulary()
    profile_keys = [t.id for t in voc.profile_fields]
    attr_keys: list[str] = []
    for firm in study.firms:
        for k in firm.attributes or {}:
            if k not in attr_keys:
                attr_keys.append(k)
    firm_headers = ["Id", "Name"] + [voc.label("profile_fields", k) for k in profile_keys] + attr_keys + ["Memo"]
    firm_rows = [[f.id, f.name] + [(f.profile or {}).get(k) for k in profile_keys]
                 + [(f.attributes or {}).get(k) for k in attr_keys] + [f.memo] for f in study.firms]
    out = {"Firms": (firm_headers, firm_rows)}
    for sheet, table, columns in (("Events", "events", EVENTS), ("Sources", "sources", SOURCES),
                                  ("Routines", "routines", ROUTINES)):
        rows = []
        for firm in study.firms:
            for obj in getattr(firm, f"{table[:-1]}_list"):
                d = obj.to_dict()
                rows.append([firm.id if k == "firm" else _cell(d.get(k), kind, fw) for k, _, kind in columns])
        out[sheet] = ([h for _, h, _ in columns], rows)
    rows = []
    for firm in study.firms:
        for ev in firm.event_list:
            for item in ev.evidence or ():
                d = item.to_dict()
                rows.append([firm.id if k == "firm" else ev.id if k == "event" else _cell(d.get(k), kind, fw)
                             for k, _, kind in EVIDENCE])
    out["Evidence"] = ([h for _, h, _ in EVIDENCE], rows)
    return out


def xlsx_bytes(study: Study) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    for sheet, (headers, rows) in tables(study).items():
        ws = wb.create_sheet(sheet)
        ws.append(headers)
        for c in ws[1]:
            c.font = bold
            c.alignment = Alignment(vertical="top")
        for row in rows:
            ws.append([_excel_safe(v) for v in row])
            for c in ws[ws.max_row]:
                if isinstance(c.value, str) and c.value.startswith("="):
                    c.data_type = "s"  # text, not a formula
        ws.freeze_panes = "A2"
        for i, h in enumerate(headers, start=1):
            longest = max([len(str(h))] + [min(len(str(r[i - 1] or "")), 60) for r in rows[:200]])
            ws.column_dimensions[get_column_letter(i)].width = max(8, min(60, longest + 2))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _excel_safe(value):
    if isinstance(value, str):
        value = _ILLEGAL.sub(" ", value)
    return value


def export(study_path: str | os.PathLike, out: str | os.PathLike) -> list:
    """Write the study's tables as ``out``: an ``.xlsx`` workbook, or a
    folder ``NAME.csv`` holding one CSV file per table."""
    from .. import services
    from .files import atomic_write_bytes

    out = Path(out)
    loaded = services.load(study_path)
    if out.suffix.lower() == ".xlsx":
        atomic_write_bytes(out, xlsx_bytes(loaded.study))
        return loaded.warnings
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: a .csv export is a folder of CSV files, one per table, and this is a file; "
                         f"choose a new name")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkbenchError(f"cannot create the folder {out}: {exc.strerror or exc}") from None
    for sheet, (headers, rows) in tables(loaded.study).items():
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(headers)
        w.writerows([["" if v is None else v for v in row] for row in rows])
        # UTF-8 with a byte order mark: Excel then reads accents right
        atomic_write_bytes(out / f"{sheet.lower()}.csv", ("\ufeff" + buf.getvalue()).encode("utf-8"))
    return loaded.warnings


# ==========================================================================
# import


@dataclass
class _Cell:
    sheet: str
    row: int
    col: int
    header: str

    def where(self) -> str:
        from openpyxl.utils import get_column_letter

        return f"{self.sheet}, row {self.row}, column {get_column_letter(self.col)} ({self.header})"


def _read_xlsx(path: Path) -> dict[str, list[list]]:
    try:
        from openpyxl import load_workbook
    except ImportError:  # pragma: no cover - a main dependency
        raise WorkbenchError("reading .xlsx needs openpyxl; install it with 'pip install openpyxl'") from None
    from zipfile import BadZipFile

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(f"{path}: not an Excel workbook (.xlsx) that can be read ({exc})") from None
    try:
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()


def _read_csv_file(path: Path) -> list[list]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [list(r) for r in csv.reader(io.StringIO(text), dialect)]


def _read_csv(path: Path) -> dict[str, list[list]]:
    if path.is_dir():
        sheets = {}
        for f in sorted(path.iterdir()):
            if f.suffix.lower() == ".csv":
                sheets[f.stem] = _read_csv_file(f)
        if not sheets:
            raise InputError(f"{path}: a folder with no .csv files in it")
        return sheets
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    rows = _read_csv_file(path)
    name = path.stem if _norm(path.stem) in ("events", "sources", "routines") else _guess_table(rows)
    return {name: rows}


def _guess_table(rows: list[list]) -> str:
    """The table a lone CSV file of another name holds, by its header row:
    a Routine column makes it Routines, Name and Kind Sources; else Events."""
    for row in rows[:5]:
        heads = {_norm(c) for c in row if isinstance(c, str)}
        if heads & {"event", "title"}:
            return "Events"
        if "routine" in heads:
            return "Routines"
        if {"name", "kind"} <= heads:
            return "Sources"
    return "Events"


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (datetime, date)):
        return value.strftime("%Y-%m-%d")
    s = str(value).strip()
    return s or None


_DATE = re.compile(r"^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$")
_TRUE = {"true", "yes", "y", "x", "1", "✓"}
_FALSE = {"false", "no", "n", "0", ""}


def read_tables(path: str | os.PathLike, study: Study, firm_id: str | None
                ) -> tuple[dict[str, dict[str, list[dict]]], list[Problem], list[Problem], dict]:
    """Rows of the Events, Sources and Routines sheets as format dicts per
    firm: ({firm: {table: [obj]}}, errors, warnings, where) with ``where``
    mapping (firm, table, id) -> (sheet, row, {key: cell})."""
    path = Path(path)
    sheets = _read_xlsx(path) if path.suffix.lower() == ".xlsx" else _read_csv(path)
    fw = study.framework
    errors: list[Problem] = []
    warnings: list[Problem] = []
    where: dict = {}
    out: dict[str, dict[str, list[dict]]] = {}
    known_firms = {f.id for f in study.firms}
    found_any = False
    other_firm_rows = 0
    for sheet, rows in sheets.items():
        match = next((v for k, v in READ_BACK.items() if _norm(k) == _norm(sheet)), None)
        if match is None:
            if _norm(sheet) not in ("firms", "evidence"):
                warnings.append(Problem(f"{path}: sheet {sheet}", "not an Events, Sources or Routines "
                                                                   "sheet; not read", "warning"))
            continue
        table, columns = match
        found_any = True
        rows = [r for r in rows]
        if not rows:
            continue
        names: dict[str, str] = {}
        for key, label, _ in columns:
            for n in (key, label, key.replace("_", " ")) + ALIASES.get(table, {}).get(key, ()):
                names[_norm(n)] = key
        # the header row: the first (of the first ten) naming a column the table needs,
        # so that a title or a blank row above it is passed over
        top = next((i for i, row in enumerate(rows[:10])
                    if any(names.get(_norm(h)) in REQUIRED[table] for h in row if h is not None)), 0)
        header = rows[top]
        colmap: dict[int, str] = {}
        for i, h in enumerate(header):
            if h is None or str(h).strip() == "":
                continue
            key = names.get(_norm(h))
            cell = _Cell(sheet, top + 1, i + 1, str(h))
            if key is None:
                warnings.append(Problem(f"{path}: {cell.where()}", "a column the workbench does not know; "
                                                                  "left out", "warning"))
            elif key in colmap.values():
                errors.append(Problem(f"{path}: {cell.where()}", f"a second column for {key!r}"))
            else:
                colmap[i] = key
        missing = [k for k in REQUIRED[table] if k not in colmap.values()]
        if missing:
            errors.append(Problem(f"{path}: {sheet}, row {top + 1}",
                                  f"no column for {', '.join(missing)} (the headers are "
                                  f"{', '.join(str(h) for h in header if h is not None)})"))
            continue
        kinds = {k: kind for k, _, kind in columns}
        for r, row in enumerate(rows[top + 1:], start=top + 2):
            if all(_text(v) is None for v in row):
                continue
            obj: dict = {}
            cells: dict[str, _Cell] = {}
            firm = firm_id
            for i, key in colmap.items():
                value = row[i] if i < len(row) else None
                cell = _Cell(sheet, r, i + 1, str(header[i]))
                cells[key] = cell
                kind = kinds[key]
                if key == "firm":
                    named = _text(value)
                    if firm_id is None:
                        firm = named
                    elif named not in (None, firm_id):
                        firm = None
                    continue
                parsed, problem = _parse(value, kind, fw)
                if problem:
                    errors.append(Problem(f"{path}: {cell.where()}", problem))
                elif parsed is not None:
                    obj[key] = parsed
            if firm_id is not None and firm is None:
                other_firm_rows += 1
                continue
            if firm is None:
                errors.append(Problem(f"{path}: {sheet}, row {r}",
                                      "no firm: give the firm with --firm ID, or a Firm column"))
                continue
            if firm not in known_firms:
                c = cells.get("firm")
                errors.append(Problem(f"{path}: {c.where() if c else f'{sheet}, row {r}'}",
                                      f"no firm {firm!r} in this study; "
                                      + (f"its firms are: {', '.join(sorted(known_firms))}" if known_firms else
                                         "it has no firm yet") + "; add it in the window (Firm → Add firm…) "
                                      "first, with that id"))
                continue
            objs = out.setdefault(firm, {}).setdefault(table, [])
            obj.setdefault("id", None)
            objs.append(obj)
            where[(firm, table, len(objs) - 1)] = (sheet, r, cells)
    if not found_any:
        raise InputError(f"{path}: no Events, Sources or Routines sheet (the sheets are: "
                         f"{', '.join(sheets) or '(none)'})")
    if other_firm_rows:
        warnings.append(Problem(str(path), f"{other_firm_rows} rows of firms other than {firm_id!r} "
                                           f"were left out", "warning"))
    return out, errors, warnings, where


def _parse(value, kind: str, fw: str):
    """(value for the format, problem or None)."""
    if kind == "bool":
        if isinstance(value, bool):
            return value, None
        s = (_text(value) or "").lower()
        if s in _TRUE:
            return True, None
        if s in _FALSE:
            return (None if s == "" else False), None
        return None, f"{value!r} is not yes or no"
    s = _text(value)
    if s is None:
        return None, None
    if kind == "int":
        return (int(s), None) if s.isdigit() else (None, f"{s!r} is not a whole number")
    if kind == "date":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            s = str(int(value))
        return (s, None) if _DATE.match(s) else (None, f"{s!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    if kind in ("list",) or kind.startswith("vocabs:"):
        items = [p.strip() for p in re.split(r"[;\n]", s) if p.strip()]
        if kind == "list":
            return items, None
        out = [_term(i, kind.split(":", 1)[1], fw) for i in items]
        return out, _unknown_term(items, out, kind.split(":", 1)[1], fw)
    if kind.startswith("vocab:"):
        term = _term(s, kind.split(":", 1)[1], fw)
        return term, _unknown_term([s], [term], kind.split(":", 1)[1], fw)
    return s, None


_NOUNS = {"source_kinds": "source kind", "learning_types": "learning type", "levels": "level", "phases": "phase",
          "knowledge_types": "knowledge type"}


def _unknown_term(texts: list[str], terms: list[str], vocab: str, fw: str) -> str | None:
    """What is wrong with the first text that names no term of ``vocab``,
    with the labels to choose from (stages: the format's rules say it, by
    framework)."""
    from ..core.validate import did_you_mean

    if vocab == "stages":
        return None
    known = _terms(vocab, fw)
    ids = {tid for tid, _ in known}
    for text, term in zip(texts, terms):
        if term not in ids:
            labels = [label for _, label in known]
            noun = _NOUNS.get(vocab, vocab.replace("_", " ").rstrip("s"))
            guess = did_you_mean(text, labels)
            return f"{text!r} is not a {noun}" + (guess or f"; the {noun}s are: {', '.join(labels)}")
    return None


def _term(text: str, vocab: str, fw: str) -> str:
    """A term's id from its id or label, any case; else the text (the
    format's rules then say what is wrong with it)."""
    n = _norm(text)
    for tid, label in _terms(vocab, fw):
        if n in (_norm(tid), _norm(label)):
            return tid
    return text


def import_tables(study_path: str | os.PathLike, in_path: str | os.PathLike,
                  firm_id: str | None = None, dry_run: bool = False,
                  session=None) -> tuple[dict, list[Problem]]:
    """Add the events, sources and routines of a spreadsheet to the study's
    firms, as one step of its history. Returns {firm: {table: count}} and
    the warnings; InputError listing every problem (with sheet, row and
    column) and nothing written otherwise. With ``dry_run`` everything is
    checked and counted, and nothing written (a preview of what would be
    added). ``session``: the study's editing session where one is open (the
    window's)."""
    from .. import services
    from ..core.validate import validate
    from ..session import Session

    study_path = Path(study_path)
    if not (study_path.exists() and study_path.stat().st_size > 0):
        raise InputError(f"{study_path}: no such study; a spreadsheet adds events, sources and routines "
                         f"to the firms of a study that exists: make the study and its firms first, in the "
                         f"window (File → New study…, then Firm → Add firm…), or with "
                         f"'workbench import {study_path.name} FIRMS.study.json'")
    study = services.load(study_path).study
    if firm_id is not None:
        services.require_firms(study, [firm_id])
    rows, errors, warnings, where = read_tables(in_path, study, firm_id)
    full = study.to_dict()
    firm_index = {f["id"]: i for i, f in enumerate(full["firms"])}
    counts: dict = {}
    placed: dict = {}  # (firm index, table, index in the firm's table) -> (firm, table, row index)
    for firm, by_table in rows.items():
        f = full["firms"][firm_index[firm]]
        for table in ("sources", "routines", "events"):
            new = by_table.get(table) or []
            if not new:
                continue
            have = f.setdefault(table, [])
            taken = {o["id"] for o in have}
            prefix = {"sources": "s", "routines": "r", "events": "e"}[table]
            n = len(have) + 1
            for k, obj in enumerate(new):
                sheet, r, cells = where[(firm, table, k)]
                if obj["id"] is None:
                    while f"{prefix}{n}" in taken:
                        n += 1
                    obj["id"] = f"{prefix}{n}"
                elif obj["id"] in taken:
                    c = cells.get("id")
                    errors.append(Problem(f"{in_path}: {c.where() if c else f'{sheet}, row {r}'}",
                                          f"firm {firm!r} has {'an' if table == 'events' else 'a'} {table[:-1]} {obj['id']!r} "
                                          f"already"))
                    continue
                taken.add(obj["id"])
                placed[(firm_index[firm], table, len(have))] = (sheet, r, cells)
                have.append(obj)
            counts.setdefault(firm, {})[table] = len(new)
    # the format's rules too, so that one run names every problem
    _, report = validate(full)
    errors.extend(_locate(p, placed, in_path) for p in report.errors)
    if errors:
        raise InputError(f"{in_path}: nothing was imported ({len(errors)} problem"
                         f"{'s' if len(errors) > 1 else ''})", errors)
    if not counts or dry_run:
        return counts, warnings
    doc = {**full, "firms": [full["firms"][firm_index[f]] for f in counts]}
    total = sum(sum(c.values()) for c in counts.values())
    label = f"Import {total} rows from {Path(in_path).name}"
    if session is not None:  # the study open in the window
        session.import_doc(doc, replace=True, label=label)
        return counts, warnings
    session = Session(study_path)
    try:
        session.import_doc(doc, replace=True, label=label)
    finally:
        session.close()
    return counts, warnings


_PATH = re.compile(r"^firms\[(\d+)\]\.(events|sources|routines)\[(\d+)\](?:\.(\w+))?")


def _locate(p: Problem, placed: dict, in_path) -> Problem:
    m = _PATH.match(p.path)
    if m:
        spot = placed.get((int(m.group(1)), m.group(2), int(m.group(3))))
        if spot:
            sheet, r, cells = spot
            c = cells.get(m.group(4) or "")
            return Problem(f"{in_path}: {c.where() if c else f'{sheet}, row {r}'}", p.message)
    return Problem(f"{in_path}: {p.path}", p.message)


def cli_import(args, warn) -> int:
    counts, warnings = import_tables(args.study, args.file, getattr(args, "firm", None))
    warn(warnings)
    if not counts:
        print(f"{args.file}: no rows to import; the study is unchanged")
        return 0
    parts = []
    for firm, c in counts.items():
        parts.append(f"{firm}: " + ", ".join(f"{n} {t if n != 1 else t[:-1]}" for t, n in c.items()))
    print(f"imported into {args.study}: " + "; ".join(parts))
    return 0
