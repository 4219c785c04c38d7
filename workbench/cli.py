"""The ``workbench`` command: a thin shell over ``workbench.services``.

Exit codes: 0 success, 2 invalid input (problems on stderr, one per line),
1 any other failure. A user's mistake never shows a traceback.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sqlite3
import sys
from typing import TYPE_CHECKING

from . import services
from .core.errors import WorkbenchError
from .core.frameworks import vocabulary

if TYPE_CHECKING:
    from .core.validate import Problem

PROG = "workbench"


def _err(line: str) -> None:
    print(line, file=sys.stderr)


def _warn(warnings: list[Problem], prefix: str = "") -> None:
    for w in warnings:
        _err(f"{prefix}warning: {w}")


# --------------------------------------------------------------------------- commands


def cmd_validate(args) -> int:
    status = 0
    many = len(args.files) > 1
    for path in args.files:
        report = services.check(path)
        prefix = f"{path}: " if many or not report.ok else ""
        for p in report.errors:
            _err(f"{prefix}{p}" if p.path else f"{path}: {p.message}")
        _warn(report.warnings, prefix)
        if report.ok:
            n = len(report.warnings)
            print(f"{path}: valid" + (f" ({n} warning{'s' if n > 1 else ''})" if n else ""))
        else:
            status = 2
    return status


def cmd_import(args) -> int:
    if os.path.splitext(args.file)[1].lower() in (".qdpx", ".qdc", ".qde"):  # REFI-QDA
        from .io import refiqda

        return refiqda.cli_import(args, _warn)
    if os.path.splitext(args.file.rstrip("/\\"))[1].lower() in (".xlsx", ".csv"):  # spreadsheets
        from .io import sheets

        return sheets.cli_import(args, _warn)
    if getattr(args, "firm", None):
        _err("--firm is for importing a spreadsheet (.xlsx or .csv)")
        return 2
    firm_ids, warnings = services.import_file(args.study, args.file, replace=args.replace)
    _warn(warnings)
    print(f"imported {len(firm_ids)} firm{'s' if len(firm_ids) != 1 else ''} "
          f"({', '.join(firm_ids)}) into {args.study}")
    return 0


def cmd_export(args) -> int:
    out = None if args.file == "-" else args.file
    text, warnings = services.export(args.study, out, firm_id=args.firm)
    _warn(warnings)
    if text is not None:
        sys.stdout.write(text)
    else:
        print(f"wrote {args.file}", file=sys.stderr)
    return 0


def _format_counts(title: str, counts: dict) -> list[str]:
    voc = vocabulary()
    lines = [title, f"  events: {counts['events']}"]

    def row(name: str, mapping: dict, vocab: str | None = None) -> None:
        items = [f"{voc.label(vocab, k) if vocab else k} {v}" for k, v in mapping.items() if v]
        lines.append(f"  {name}: {', '.join(items) if items else '-'}")

    row("stages", counts["stages"])
    row("levels", counts["levels"], "levels")
    row("phases", counts["phases"], "phases")
    row("learning types", counts["learning_types"], "learning_types")
    row("source kinds", counts["source_kinds"], "source_kinds")
    f = counts["flows"]
    lines.append(f"  flows: feed-forward {f['feed_forward']}, feedback {f['feedback']}, "
                 f"within stage {f['within']}")
    types = list(next(iter(counts["matrix"].values()), {}).keys())
    width = max([len(s) for s in counts["matrix"]] + [len("stage")])
    lines.append("  matrix (primary stage x primary learning type):")
    lines.append("    " + "stage".ljust(width) + "".join(t.rjust(11) for t in types))
    for stage, cells in counts["matrix"].items():
        lines.append("    " + stage.ljust(width) + "".join(str(cells[t]).rjust(11) for t in types))
    return lines


def cmd_stats(args) -> int:
    result, study, warnings = services.stats(args.study, firm_id=args.firm, code=args.code)
    _warn(warnings)
    if args.json:
        json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    lines = [f"{study.title} (framework {study.framework})"]
    if args.code:
        lines.append(f"Only the events carrying the code “{study.code(args.code).name}” ({args.code}).")
    if args.firm is None:
        lines += _format_counts(f"All firms ({len(result['firms'])})", result["study"])
    for fid, counts in result["firms"].items():
        firm = study.firm(fid)
        lines.append("")
        lines += _format_counts(f"{firm.name} [{fid}]", counts)
    print("\n".join(lines))
    return 0


def cmd_diagram(args) -> int:
    from .render.engine import FORMATS

    fmt = args.format
    if fmt is None:
        suffix = args.output.rsplit(".", 1)[-1].lower() if "." in args.output else ""
        fmt = suffix if suffix in FORMATS and not (args.all and args.kind != "renewal") else "svg"
    firms = args.firm or []
    if args.kind == "renewal":  # all firms (or those named) in one figure, 16 cm wide unless --width
        if args.code:
            raise services.InputError("--code: the renewal figure shows each firm's whole path; "
                                      "leave out --code")
        written, engine, warnings = services.renewal_diagram(
            args.study, args.output, firm_ids=firms or None, fmt=fmt, engine=args.engine, dpi=args.dpi,
            width=_diagram_width(args))
    elif len(firms) > 1:
        raise services.InputError(f"--firm {' '.join(firms)}: a {args.kind} diagram is of one firm; "
                                  f"use --all for one file per firm (several firms side by side: --kind renewal)")
    else:
        written, engine, warnings = services.diagram(
            args.study, args.output, firm_id=firms[0] if firms else None, all_firms=args.all, kind=args.kind,
            fmt=fmt, dpi=args.dpi, sources=not args.no_sources, routines=not args.no_routines, engine=args.engine,
            code=args.code, width=_diagram_width(args))
    _warn(warnings)
    if fmt != "dot":
        _err(f"drawn with {engine}")
    if not args.all and len(written) > 1:
        _err(f"the drawing needs {len(written)} pages at this width: one file per part")
    for path in written:
        print(f"wrote {path}")
    return 0


def _diagram_width(args) -> float | None:
    """--width in points; without it None: one drawing as large as it needs
    (as on screen), whatever the format."""
    from .render.units import parse_length

    return parse_length(args.width) if args.width is not None else None


class _ProgressBar:
    """A one-line progress bar on stderr, drawn only on a terminal."""

    def __init__(self, label: str):
        self.label = label
        self.active = sys.stderr.isatty()
        self.shown = False

    def __call__(self, done: int, total: int, what: str) -> None:
        if not self.active or total <= 0:
            return
        width = 28
        filled = int(width * done / total)
        sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] "
                         f"{done}/{total} {what[:30]:<30}")
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


def cmd_report(args, tables_only: bool = False) -> int:
    bar = _ProgressBar("writing" if not tables_only else "tables")
    try:
        warnings = services.report(
            args.study, args.output, firm_ids=getattr(args, "firm", None),
            template=getattr(args, "template", None), diagrams=not getattr(args, "no_diagrams", False),
            evidence=not getattr(args, "no_evidence", False), tables_only=tables_only,
            engine=getattr(args, "engine", "auto"), progress=bar, code=getattr(args, "code", None),
            audience=getattr(args, "audience", "research"), paper=getattr(args, "paper", None),
            agreement=getattr(args, "agreement", None), rules=getattr(args, "rules", None))
    finally:
        bar.close()
    _warn(warnings)
    print(f"wrote {args.output}")
    return 0


def cmd_tables(args) -> int:
    return cmd_report(args, tables_only=True)


def _renewal_text(firm, diagnosis, items) -> list[str]:
    """``workbench renewal``: the phases, then the findings (each with the
    numbered actions that address it), then the numbered checklist."""
    from .core import renewal as R

    status_words = {"done": "done", "planned": "planned", "not_relevant": "not relevant"}
    lines = [f"{firm.name} [{firm.id}]: the renewal path (Jones & Macpherson 2006)", ""]
    for n, p in enumerate(diagnosis.phases, 1):
        lines.append(f"{n}. {p.label}" + (f"   {p.span}" if p.span else "")
                     + f"   ({_n(len(p.events), 'event')})")
        for e in p.events:
            when = e.time_label()
            lines.append(f"   {e.id}  {(when + '  ') if when else ''}{e.title}"
                         + ("  [critical incident]" if e.is_critical else ""))
        if p.sources:
            lines.append("   sources: " + "; ".join(
                f"{s.name} ({vocabulary().label('source_kinds', s.kind)}, "
                f"{'outside' if s.is_external else 'inside'} the firm)" for s in p.sources))
        if p.routines:
            lines.append("   routines: " + "; ".join(r.name for r in p.routines))
        for eid, ev in p.evidence:
            lines.append(f"   {eid}: {_short(ev.quote)}" + (f" ({ev.speaker})" if ev.speaker else ""))
        if not p.events:
            lines.append("   no event in this phase")
        lines.append("")
    if diagnosis.unphased:
        lines.append(f"In no phase ({_n(len(diagnosis.unphased), 'event')}; not counted in the phases above):")
        for e in diagnosis.unphased:
            when = e.time_label()
            lines.append(f"   {e.id}  {(when + '  ') if when else ''}{e.title}")
        lines.append("")
    lines.append(f"Findings ({len(diagnosis.findings)})" if diagnosis.findings else "Findings: none")
    for f in diagnosis.findings:
        lines.append(f"  {f.severity.upper()}: {f.message}")
        lines.append(f"    why it matters: {f.reason}")
        lines.append(f"    basis: {f.citation}")
        if f.events:
            lines.append(f"    events: {', '.join(f.events)}")
        lines.append(f"    for the client: {f.plain}")
        if f.advice:
            lines.append(f"    what to do: {f.advice}")
        for n, it in R.finding_items(f, items):
            status = status_words.get((it.entry or {}).get("status"), "not set")
            lines.append(f"    action {n}: {it.action.text}  [{status}]")
    lines.append("")
    set_ = sum(1 for it in items if it.entry)
    lines.append(f"Action checklist ({set_} of {len(items)} set)")
    phase = object()
    for n, it in enumerate(items, 1):
        a, entry = it.action, it.entry or {}
        if a.phase != phase:
            phase = a.phase
            lines.append("  " + (vocabulary().label("phases", a.phase) if a.phase else "Own actions"))
        status = status_words.get(entry.get("status"), "not set")
        details = []
        if entry.get("event"):
            ev = firm.event(entry["event"])
            details.append(f"shown by {entry['event']}" + (f" ({ev.title})" if ev else ""))
        if entry.get("date"):
            details.append(entry["date"])
        if entry.get("owner"):
            details.append(f"owner: {entry['owner']}")
        who = f" ({a.who})" if a.who else ""
        lines.append(f"    {n:>2}. [{status}] {a.text}{who}  <{a.id}>")
        if details:
            lines.append(f"            {'; '.join(details)}")
        if entry.get("note"):
            lines.append(f"            note: {entry['note']}")
    return lines


def cmd_renewal(args) -> int:
    from .core import renewal as R

    diagnosis, items, warnings = services.renewal(args.study, args.firm, rules_path=args.rules)
    _warn(warnings)
    firm = diagnosis.firm
    if args.json:
        json.dump(R.diagnosis_json(firm, diagnosis, items), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    print("\n".join(_renewal_text(firm, diagnosis, items)))
    return 0


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Learning Process Workbench: log how small firms learn, code events onto "
                    "the 4I/5I frameworks, and get diagrams and case tables out.",
        epilog="STUDY may be a .lpw study file or a *.study.json exchange file. "
               "Run 'workbench COMMAND --help' for a command's options.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", help="check study files (.lpw or *.study.json) against the exchange format",
                       description="Check study files (.lpw or *.study.json) against every rule of the "
                                   "exchange format. Prints each problem with its place in the file. "
                                   "A .lpw is only read, never changed.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("import", help="add a *.study.json, a REFI-QDA project or a spreadsheet to a .lpw study",
                       description="Import the firms and documents of a *.study.json or a REFI-QDA "
                                   "project (.qdpx, .qdc) into a .lpw study file, creating it if needed; "
                                   "or add the events, sources and routines of a spreadsheet (.xlsx, a "
                                   "folder of .csv files, or events.csv) to the firms of a study that "
                                   "exists. Nothing changes if the file has any problem.")
    p.add_argument("study", metavar="STUDY.lpw")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--replace", action="store_true",
                   help="replace firms whose id is already in the study (otherwise an error)")
    p.add_argument("--firm", metavar="ID",
                   help="for a spreadsheet: the firm its rows are added to (else its Firm column)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="write a study (or one firm) as a *.study.json",
                       description="Write a study, or one of its firms, as a *.study.json "
                                   "exchange file ('-' writes to standard output).")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--firm", metavar="ID", help="export only this firm (and the documents it uses)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("stats", help="counts per stage, level, phase, learning type; matrix; flows",
                       description="Count a study's events per stage, level, phase and learning "
                                   "type, its sources per kind, the stage x learning-type matrix "
                                   "and the feed-forward/feedback flows, per firm and across firms.")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("--firm", metavar="ID", help="only this firm")
    p.add_argument("--json", action="store_true", help="machine-readable output for scripts")
    p.add_argument("--code", metavar="CODE", help="count only the events carrying this code of the study (on "
                                                  "the event or on one of its quotes); flows as in 'diagram --code'")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("diagram", help="draw a firm's learning process, or the framework figure",
                       description="Draw a firm's learning process (events in level lanes over time, "
                                   "linked by feed-forward and feedback flows, with the knowledge sources "
                                   "and routines involved), or the framework figure with the number of "
                                   "events per stage and the flows between stages.")
    p.add_argument("study", metavar="STUDY")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--firm", action="extend", nargs="+", metavar="ID",
                       help="the firm to draw (with --kind renewal: one or more firms; default all)")
    which.add_argument("--all", action="store_true", help="every firm: -o is then a folder, one file per firm")
    p.add_argument("--kind", choices=["process", "framework", "renewal"], default="process",
                   help="process diagram (default); framework figure (without --firm/--all: the whole study); "
                        "renewal: the firms side by side, one lane each, aligned on each firm's critical "
                        "incident, phases shaded, drawn for a 16 cm page width (one file)")
    p.add_argument("--format", choices=["svg", "png", "pdf", "dot"],
                   help="output format (default: from -o's extension, else svg)")
    p.add_argument("--dpi", type=int, default=150, help="resolution of PNG output (default 150)")
    p.add_argument("--width", metavar="LENGTH",
                   help="draw for a page this wide, e.g. 16cm, 160mm, 6.3in or 453pt: text at 7 pt or more "
                        "at that size, nothing shrunk; a long process is drawn over several pages "
                        "(NAME-1.svg, NAME-2.svg, ...). Without it: one drawing as large as "
                        "the process needs, as on screen")
    p.add_argument("--no-sources", action="store_true", help="leave out the knowledge sources")
    p.add_argument("--no-routines", action="store_true", help="leave out the routines")
    p.add_argument("--engine", choices=["auto", "dot", "wasm"], default="auto",
                   help="the system 'dot' program, or Graphviz in-process (WebAssembly); "
                        "auto: dot where installed (default)")
    p.add_argument("--code", metavar="CODE",
                   help="draw only the events carrying this code of the study (on the event or on one of its "
                        "quotes) and the sources and routines they name. Their flows: where the firm has "
                        "explicit links, A leads to B when the firm links them directly or through events "
                        "left out; otherwise each kept event leads to the next kept one")
    p.add_argument("-o", "--output", required=True, metavar="PATH", help="file to write (a folder with --all)")
    p.set_defaults(func=cmd_diagram)

    p = sub.add_parser("report", help="write the study's case tables and figures as a Word document",
                       description="Write a Word (.docx) report: title page, company details across firms, "
                                   "per firm its chronology, routines, process diagram and stage x "
                                   "learning-type matrix, the institutionalisation of knowledge across "
                                   "firms, and appendices with the framework and the evidence.")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("-o", "--output", required=True, metavar="OUT.docx")
    p.add_argument("--firm", action="extend", nargs="+", metavar="ID",
                   help="only these firms (--firm a b, or --firm a --firm b)")
    p.add_argument("--template", metavar="T.docx", help="take styles, page setup, headers and footers from "
                                                         "this Word document or template")
    p.add_argument("--audience", choices=["research", "client"], default="research",
                   help="research: the case tables and figures of a paper (default); client: a plain report "
                        "of one firm (--firm ID) for its owner: its renewal path, process diagram, findings "
                        "and action checklist, without the academic apparatus")
    p.add_argument("--no-diagrams", action="store_true", help="leave out the process diagrams")
    p.add_argument("--no-evidence", action="store_true", help="leave out the evidence appendix")
    p.add_argument("--engine", choices=["auto", "dot", "wasm"], default="auto",
                   help="Graphviz engine for the diagrams (see 'workbench diagram --help')")
    p.add_argument("--code", metavar="CODE",
                   help="each firm's chronology, diagram and matrix, and the evidence, hold only the events "
                        "carrying this code of the study (flows as in 'workbench diagram --code')")
    p.add_argument("--paper", choices=["a4", "letter"],
                   help="page size (default: the template's, else A4); figures are drawn for its text width")
    p.add_argument("--agreement", metavar="OTHER",
                   help="add an appendix with the intercoder agreement between this study and OTHER, another "
                        "coding of it (.lpw or .study.json; see 'workbench compare')")
    p.add_argument("--rules", metavar="RULES.json", help="the renewal findings from this rules file instead of "
                                                         "resources/renewal/rules.json (as 'workbench renewal')")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("tables", help="write the cross-case tables alone as a Word document",
                       description="Write the cross-case tables (company details; the institutionalisation "
                                   "of knowledge; renewal across firms: each firm's renewal phases with "
                                   "their dates and the findings of 'workbench renewal') as a Word "
                                   "(.docx) document.")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("-o", "--output", required=True, metavar="OUT.docx")
    p.add_argument("--template", metavar="T.docx", help="take styles and page setup from this document")
    p.add_argument("--paper", choices=["a4", "letter"], help="page size (default: the template's, else A4)")
    p.add_argument("--rules", metavar="RULES.json", help="the renewal findings from this rules file instead of "
                                                         "resources/renewal/rules.json (as 'workbench renewal')")
    p.set_defaults(func=cmd_tables)

    p = sub.add_parser("renewal", help="a firm's renewal path, findings and action checklist",
                       description="Read a firm's renewal the way Jones & Macpherson (2006) trace it: the "
                                   "four phases in order (critical incident, opening up, knowledge-sharing "
                                   "structures, institutionalisation) with their events, sources, routines, "
                                   "evidence and dates; then the findings of the rules in "
                                   "resources/renewal/rules.json, each with why it matters, its basis "
                                   "in the paper and what to do (advice and the Table 7 actions, by their "
                                   "number in the checklist); then the numbered Table 7 action checklist "
                                   "with what the study records of each action. See docs/renewal.md.")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("--firm", required=True, metavar="ID", help="the firm to read")
    p.add_argument("--json", action="store_true", help="machine-readable output (shape in docs/renewal.md)")
    p.add_argument("--rules", metavar="RULES.json", help="use the findings rules of this file instead of "
                                                         "the workbench's own (same shape as "
                                                         "resources/renewal/rules.json)")
    p.set_defaults(func=cmd_renewal)

    p = sub.add_parser("documents", help="add, list or remove a study's documents (transcripts, notes)",
                       description="Bring interview transcripts, field notes and other documents into a "
                                   "study, list them, or remove them.")
    docs = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    q = docs.add_parser("add", help="read files into the study as documents",
                        description="Read files into the study as documents: .txt and .md (any encoding; "
                                    "a guessed one is named), .docx, .odt, .rtf, .pdf with a text layer, "
                                    ".vtt and .srt subtitles. A file added again (same name) is read "
                                    "again: quotes keep their anchors where their passage is unchanged.")
    q.add_argument("study", metavar="STUDY.lpw")
    q.add_argument("files", nargs="+", metavar="FILE")
    q.add_argument("--firm", metavar="ID", help="the firm the documents are about")
    q.add_argument("--kind", choices=["interview", "observation", "company_document", "survey", "other"])
    q.add_argument("--date", metavar="YYYY[-MM[-DD]]")
    q.add_argument("--name", metavar="NAME", help="the document's name (one file only; default: the file's)")
    q.set_defaults(func=cmd_documents_add)
    q = docs.add_parser("list", help="list the study's documents")
    q.add_argument("study", metavar="STUDY")
    q.set_defaults(func=cmd_documents_list)
    q = docs.add_parser("remove", help="remove documents; their quotes stay with their events, unanchored")
    q.add_argument("study", metavar="STUDY.lpw")
    q.add_argument("ids", nargs="+", metavar="ID")
    q.set_defaults(func=cmd_documents_remove)

    p = sub.add_parser("anchor", help="find typed or pasted quotes in the study's documents",
                       description="Look up every quote without an anchor in the study's documents, "
                                   "tolerant of curly and straight quotes, dashes, spacing and line breaks; "
                                   "anchor those found in one place and report the rest.")
    p.add_argument("study", metavar="STUDY.lpw")
    p.add_argument("--firm", metavar="ID", help="only this firm's quotes")
    p.set_defaults(func=cmd_anchor)

    p = sub.add_parser("search", help="search the study's documents (keyword in context)",
                       description="Search the study's documents for a word, a phrase or a regular "
                                   "expression; one line per hit with its document, paragraph and speaker.")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("query", metavar="TEXT")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--phrase", action="store_true", help="the words as a phrase, also inside longer words")
    how.add_argument("--regex", action="store_true", help="TEXT is a regular expression")
    p.add_argument("--case", action="store_true", help="match upper and lower case exactly")
    p.add_argument("--firm", metavar="ID", help="only the documents of this firm")
    p.add_argument("--speaker", metavar="NAME", help="only what this speaker said")
    p.add_argument("--code", metavar="CODE", help="only inside passages carrying this code")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("blind", help="a copy of a study without its coding, for a second coder",
                       description="Write a blind copy of a study for a second coder: the same firms, events "
                                   "(ids, titles, descriptions, dates), evidence, documents, sources and "
                                   "routines, without the coding (stages, level, learning types, phase, "
                                   "critical, the study's own codes), memos, tags, the firms' summaries and "
                                   "the coder's name.")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("-o", "--output", required=True, metavar="COPY.study.json")
    p.add_argument("--firm", metavar="ID", help="only this firm")
    p.add_argument("--keep", nargs="+", default=[], metavar="DIMENSION",
                   choices=["stages", "level", "learning_types", "phase", "critical", "codes"],
                   help="keep these parts of the coding: stages, level, learning_types, phase, "
                        "critical, codes")
    p.set_defaults(func=cmd_blind)

    p = sub.add_parser("compare", help="intercoder agreement between two codings of a study",
                       description="Compare two codings of the same study, event by event (matched by firm "
                                   "and id): per coding dimension, overall and per firm, the units coded by "
                                   "both, percent agreement, Cohen's kappa, Krippendorff's alpha (nominal; "
                                   "MASI distance for sets) and the confusion table; then each disagreement.")
    p.add_argument("a", metavar="A", help="the first coding (.lpw or *.study.json)")
    p.add_argument("b", metavar="B", help="the second coding")
    p.add_argument("--firm", metavar="ID", help="only this firm")
    p.add_argument("--json", action="store_true", help="machine-readable output for scripts")
    p.add_argument("-o", "--output", metavar="OUT.docx", help="also write the tables as a Word document")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("merge", help="three-way merge of a *.study.json (a git merge driver)",
                       description="Merge two versions of a *.study.json changed in parallel since a common "
                                   "BASE, field by field: objects matched by id, both sides' new events kept "
                                   "in order; a field changed differently on both sides is a conflict. "
                                   "Writes over OURS (as git expects of a merge driver) unless -o is given. "
                                   "Exit 0: merged cleanly; 1: conflicts, listed here and recorded in the "
                                   "file's x-conflicts list, ours kept where they are; 2: a file is not a "
                                   "valid study.")
    p.add_argument("base", metavar="BASE")
    p.add_argument("ours", metavar="OURS")
    p.add_argument("theirs", metavar="THEIRS")
    p.add_argument("-o", "--output", metavar="OUT", help="write the merge here instead of over OURS")
    p.set_defaults(func=cmd_merge)

    p = sub.add_parser("practice", help="start coding an example study yourself",
                       description="Make a new study file holding an example study without its coding, "
                                   "for you to code; then 'workbench check' compares your coding with the "
                                   "authors'. Examples: jones-macpherson-2006, training-case.")
    p.add_argument("example", metavar="EXAMPLE")
    p.add_argument("-o", "--output", required=True, metavar="MY.lpw")
    p.set_defaults(func=cmd_practice)

    p = sub.add_parser("check", help="compare your coding of an example with the authors'",
                       description="Compare your coding of a practice study with the authors' coding: "
                                   "agreement per dimension, and for each event you coded differently "
                                   "the authors' coding, the evidence and what the codes mean.")
    p.add_argument("study", metavar="MY.lpw")
    p.add_argument("--example", metavar="NAME", help="the example it copies (default: the one it was made from)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("open", help="open a study in the desktop workbench",
                       description="Open a study in the desktop workbench. A *.study.json is imported "
                                   "into a new .lpw file first (you are asked where).")
    p.add_argument("file", metavar="FILE", nargs="?")
    p.set_defaults(func=cmd_open)

    return parser


def _editing(path):
    from .session import Session

    return Session(path)


def cmd_documents_add(args) -> int:
    from . import documents

    session = _editing(args.study)
    try:
        results = documents.add(session, args.files, firm=args.firm, kind=args.kind, date=args.date,
                                name=args.name)
    finally:
        session.close()
    for r in results:
        about = f"{r.characters:,} characters" + (f", {r.turns} speaker turns" if r.turns else "")
        if r.detected:
            about += f"; encoding {r.encoding} (guessed: check the text reads right)"
        if r.status == "added":
            print(f"{r.path}: added as {r.doc_id!r} ({about})")
        elif r.status == "unchanged":
            print(f"{r.path}: {r.doc_id!r} is already in the study, unchanged")
        elif r.status == "updated":
            print(f"{r.path}: {r.doc_id!r} is already in the study with this text; its details were updated")
        else:
            print(f"{r.path}: {r.doc_id!r} read again ({about}); {_n(r.kept, 'anchor')} kept, "
                  f"{len(r.dropped)} dropped")
            for d in r.dropped:
                where = f"event {d['event'][1]!r} of firm {d['event'][0]!r}" if d["event"] else \
                    f"passage {d['passage']!r}"
                print(f"  dropped: {where}: {_short(d['quote'])}")
        for w in r.warnings:
            _err(f"{r.path}: warning: {w}")
    return 0


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _short(text: str, n: int = 70) -> str:
    text = " ".join(text.split())
    if len(text) > n:
        text = text[:n - 1] + "…"
    return f"“{text}”"


def cmd_documents_list(args) -> int:
    from . import documents

    with services.reading(args.study) as db:
        rows = documents.listing(db)
    if not rows:
        print("no documents")
    for d in rows:
        extra = ", ".join(x for x in (d.get("kind"), d.get("date"), f"firm {d['firm']}" if d.get("firm") else None)
                          if x)
        print(f"{d['id']}\t{d['name']}" + (f" ({extra})" if extra else "")
              + f"\t{d['characters']:,} characters, {_n(d['quotes'], 'quote')}, {_n(d['passages'], 'passage')}")
    return 0


def cmd_documents_remove(args) -> int:
    from . import documents

    session = _editing(args.study)
    try:
        quotes = documents.remove(session, args.ids)
    finally:
        session.close()
    print(f"removed {len(args.ids)} document{'s' if len(args.ids) != 1 else ''}"
          + (f"; {quotes} quote{'s' if quotes != 1 else ''} kept without an anchor" if quotes else ""))
    return 0


def cmd_anchor(args) -> int:
    from .core.textpos import describe

    session = _editing(args.study)
    try:
        if args.firm is not None and not session.db.has_firm(args.firm):
            raise services.InputError(f"no firm {args.firm!r} in this study")
        report = session.anchor_quotes([args.firm] if args.firm else None)
        docs = {d["id"]: d for d in session.db.documents_by_id(
            [m.document_id for _, ms in report.ambiguous for m in ms])}
    finally:
        session.close()
    print(f"{report.summary()}")
    for item, matches in report.ambiguous:
        print(f"ambiguous: firm {item.firm!r}, event {item.event!r}: {_short(item.quote)}")
        for m in matches:
            d = docs[m.document_id]
            print(f"  {describe(d['name'], d['text'], m.start, m.end, None)}")
    for item in report.not_found:
        print(f"not found: firm {item.firm!r}, event {item.event!r}: {_short(item.quote)}")
    return 0


def cmd_search(args) -> int:
    from . import documents

    mode = "regex" if args.regex else "phrase" if args.phrase else "word"
    with services.reading(args.study) as db:
        hits = documents.search(db, args.query, mode=mode, case=args.case, firm=args.firm,
                                speaker=args.speaker, code=args.code)
        names = {d["id"]: d["name"] for d in db.query("SELECT id, name FROM documents")}
        if args.speaker:
            known = documents.speakers(db)
            if not any(documents.speaker_matches(args.speaker, k) for k in known):
                raise services.InputError(f"no speaker {args.speaker!r} in the documents; "
                                          f"their speakers are: {', '.join(known) or '(none found)'}")
    for h in hits:
        who = f", {h.speaker}" if h.speaker else ""
        print(f"{names[h.document_id]}, paragraph {h.paragraph}{who}: {h.kwic()}")
    print(f"{len(hits)} hit{'s' if len(hits) != 1 else ''}", file=sys.stderr)
    return 0


def cmd_blind(args) -> int:
    from . import coders

    copy = coders.blind_file(args.study, args.output, firm_id=args.firm, keep=args.keep)
    n = sum(len(f.get("events", ())) for f in copy.get("firms", ()))
    kept = f" (kept: {', '.join(args.keep)})" if args.keep else ""
    print(f"wrote {args.output}: {len(copy.get('firms', ()))} firm(s), {n} events without their coding{kept}")
    return 0


def _fmt_value(v) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, list):
        return "+".join(v)
    return "(uncoded)" if v is None else str(v)


def cmd_compare(args) -> int:
    from . import coders

    result = coders.compare_files(args.a, args.b, firm_id=args.firm)
    if args.output:
        coders.agreement_docx(result, args.a, args.b, args.output)
    if args.json:
        # indented on a terminal; one line for a script (much faster for large studies)
        indent = 2 if sys.stdout.isatty() else None
        sys.stdout.write(json.dumps(result, indent=indent, ensure_ascii=False) + "\n")
    else:
        lines = [f"A: {args.a}", f"B: {args.b}",
                 f"{result['units']} events in both; {len(result['only_in_a'])} only in A, "
                 f"{len(result['only_in_b'])} only in B", "", "All firms:"]
        lines += coders.fmt_measures(result["dimensions"])
        if len(result["firms"]) > 1 or args.firm:
            for fid, f in result["firms"].items():
                lines += ["", f"Firm {fid}:"] + coders.fmt_measures(f["dimensions"])
        for side in ("a", "b"):
            only = result[f"only_in_{side}"]
            if only:
                shown = ", ".join(f"{o['firm']}.{o['event']}" for o in only[:20])
                more = f" and {len(only) - 20} more" if len(only) > 20 else ""
                lines += ["", f"only in {side.upper()}: {shown}{more}"]
        if result["disagreements"]:
            lines += ["", f"Disagreements ({len(result['disagreements'])}):"]
            for d in result["disagreements"]:
                lines.append(f"  {d['firm']}.{d['event']}  {d['dimension']}: A {_fmt_value(d['a'])}, "
                             f"B {_fmt_value(d['b'])}")
        print("\n".join(lines))
    if args.output:
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def cmd_merge(args) -> int:
    from . import coders

    conflicts = coders.merge_files(args.base, args.ours, args.theirs, args.output)
    out = args.output or args.ours
    if not conflicts:
        print(f"merged cleanly into {out}", file=sys.stderr)
        return 0
    for c in conflicts:
        if "problem" in c:
            _err(f"conflict: {c['path'] or '(the study)'}: {c['problem']}")
            continue
        sides = []
        for name in ("ours", "theirs", "base"):
            sides.append(f"{name} {json.dumps(c[name], ensure_ascii=False)[:80]}" if name in c
                         else f"{name}: removed" if name != "base" else "base: absent")
        _err(f"conflict: {c['path']}: " + "; ".join(sides))
    n = len(conflicts)
    _err(f"{out}: {n} conflict{'s' if n != 1 else ''}; ours kept there, each recorded in the "
         f"file's x-conflicts list")
    return 1


def cmd_practice(args) -> int:
    from . import coders

    firm_ids = coders.practice(args.example, args.output)
    print(f"wrote {args.output}: the example {args.example!r} without its coding "
          f"({len(firm_ids)} firm{'s' if len(firm_ids) != 1 else ''}: {', '.join(firm_ids)}).")
    print(f"Code its events, then run: workbench check {args.output}")
    return 0


def cmd_check(args) -> int:
    from . import coders

    print(coders.check_text(coders.check(args.study, args.example)))
    return 0


def cmd_open(args) -> int:
    from .gui.app import run

    return run(args.file)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 2 and argv[0] == "open" and not argv[1].startswith("-"):
        # the window as soon as it can be: without building every command's parser
        return cmd_open(argparse.Namespace(file=argv[1]))
    gc.enable()  # paused while importing (__main__); the window pauses it again until it is painted
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        from .gui.app import run  # no command: the desktop workbench

        return run()
    try:
        return args.func(args)
    except WorkbenchError as exc:
        for line in exc.lines():
            _err(line)
        return exc.exit_code
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:
        return 0
    except sqlite3.DatabaseError as exc:  # a damaged page found where no check at opening reached
        from pathlib import Path

        from .store.study_db import damaged

        err = damaged(Path(getattr(args, "study", None) or "the study file"), exc)
        for line in err.lines():
            _err(line)
        return err.exit_code
    except Exception as exc:  # a bug: say so briefly; details on request
        _err(f"{PROG}: internal error: {exc.__class__.__name__}: {exc}")
        if os.environ.get("WORKBENCH_DEBUG"):
            import traceback

            traceback.print_exc()
        else:
            _err("(set WORKBENCH_DEBUG=1 to see the details, and please report it)")
        return 1


if __name__ == "__main__":
    sys.exit(main())
