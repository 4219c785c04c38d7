"""What the workbench does, as functions the CLI and the GUI both call: load
a study from either kind of file, import, export and count. Each raises
``InputError`` or ``WorkbenchError`` with a message fit for a person."""

from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .core.errors import DamagedStudyError, InputError, WorkbenchError
from .core.model import Study
from .store.study_db import SQLITE_MAGIC, StudyDB, damaged, no_study

# Imported where used: the desktop workbench starts without them.
# (analysis: stats; io.study_json and validation: reading and writing files)


def is_lpw(path: str | os.PathLike) -> bool:
    """A .lpw study file (SQLite), judged by its first bytes, else (an
    empty or unreadable file) by name."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return path.suffix.lower() == ".lpw"
    return head == SQLITE_MAGIC or (not head and path.suffix.lower() == ".lpw")


def load(path: str | os.PathLike, firm_ids: list[str] | None = None):
    """A study from a ``.lpw`` or a ``*.study.json`` file (a ``Loaded``:
    the study and its warnings), with only the firms ``firm_ids`` if given
    (``InputError`` naming the study's firms when one is not there). A
    ``.lpw`` is opened read-only, never written; only the chosen firms are
    read from it."""
    from .io.study_json import Loaded, read_study

    if not is_lpw(path):
        loaded = read_study(path)
        if firm_ids is not None:
            require_firms(loaded.study, firm_ids)
        return loaded
    path = Path(path)
    with StudyDB.open(path, read_only=True) as db:
        try:
            if not db.has_study():
                raise no_study(path)
            if firm_ids is not None:
                known = db.firm_ids()
                missing = [f for f in firm_ids if f not in known]
                if missing:
                    raise InputError(f"no firm {', '.join(repr(m) for m in missing)} in this study; "
                                     f"its firms are: {', '.join(known) or '(none)'}")
            doc = db.load_doc(firm_ids)  # with firms, only their rows are read
        except sqlite3.DatabaseError as exc:
            raise damaged(path, exc) from None
    with explained(path):
        return Loaded(Study.from_dict(doc))


@contextmanager
def explained(path: str | os.PathLike):
    """Around work on a study read from a ``.lpw``: a failure caused by a
    value of the wrong type in the file (written there by another program)
    becomes a ``DamagedStudyError`` listing every such value with its path.
    The file is validated only when something failed."""
    try:
        yield
    except WorkbenchError:
        raise
    except Exception:
        if not is_lpw(path):
            raise
        report = check(path)
        if report.ok:
            raise
        n = len(report.errors)
        raise DamagedStudyError(f"{path}: holds values the workbench cannot read ({n} problem"
                                f"{'s' if n > 1 else ''}); it was changed by another program, or is "
                                f"damaged. Correct them (export it, fix the *.study.json and import "
                                f"that into a new study), or open a backup copy.", report.errors) from None


def check(path: str | os.PathLike):
    """Every problem of a study file of either kind, without building the
    study: a ``Report`` (decoding and opening failures as one error at the
    top). A ``.lpw`` is opened read-only."""
    from .core.validate import Problem, Report, validate
    from .io.study_json import check_file

    if not is_lpw(path):
        return check_file(path)
    path = Path(path)
    try:
        with StudyDB.open(path, read_only=True) as db:
            try:
                if not db.has_study():
                    raise no_study(path)
                doc = db.load_doc()
            except sqlite3.DatabaseError as exc:
                raise damaged(path, exc) from None
    except WorkbenchError as exc:
        report = Report(errors=[Problem("", exc.message.removeprefix(f"{path}: "))])
        report.errors.extend(exc.problems)
        return report
    _, report = validate(doc)
    return report


@contextmanager
def reading(path: str | os.PathLike) -> Iterator[StudyDB]:
    """A study opened for reading as a ``StudyDB``: a ``.lpw`` as it is
    (read-only: never written), a ``*.study.json`` read and validated into a
    temporary study first."""
    if is_lpw(path):
        with StudyDB.open(path, read_only=True) as db:
            yield db
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="lpw-") as tmp:
        import_file(Path(tmp) / "study.lpw", path)
        with StudyDB.open(Path(tmp) / "study.lpw") as db:
            yield db


def require_firms(study: Study, firm_ids: list[str] | None) -> None:
    """InputError naming the firms that exist when one asked for does not."""
    known = [f.id for f in study.firms]
    missing = [f for f in firm_ids or () if f not in known]
    if missing:
        raise InputError(f"no firm {', '.join(repr(m) for m in missing)} in this study; "
                         f"its firms are: {', '.join(known) or '(none)'}")


def import_file(study_path: str | os.PathLike, json_path: str | os.PathLike,
                replace: bool = False) -> tuple[list[str], list]:
    """Import a ``*.study.json`` into a new or existing ``.lpw``, through an
    editing session (so a study open in a window is refused, and the import
    is one step of the history). The file is read and validated in full
    first. A new study is built in a temporary file beside the target and
    renamed into place when complete: a killed import leaves no study."""
    if Path(json_path).suffix.lower() in (".qdpx", ".qdc", ".qde"):  # REFI-QDA
        from .io import refiqda

        return refiqda.import_file(study_path, json_path, replace=replace)
    from .io.study_json import read_doc
    from .session import Session

    doc, warnings = read_doc(json_path)
    study_path = Path(study_path)
    if study_path.exists() and study_path.stat().st_size > 0:
        session = Session(study_path)
        try:
            return session.import_doc(doc, replace=replace), warnings
        finally:
            session.close()
    return build_study(study_path, doc), warnings


def build_study(study_path: str | os.PathLike, doc: dict) -> list[str]:
    """A new ``.lpw`` at ``study_path`` holding a validated study (a format
    dict), built in a temporary file beside it and renamed into place when
    complete: a killed import leaves no study. Returns the firm ids."""
    from .session import Session, StudyLock

    study_path = Path(study_path)
    lock = StudyLock(study_path)  # nobody else builds or opens it meanwhile
    lock.acquire()
    try:
        _remove_stale_builds(study_path)
        tmp = study_path.with_name(f".{study_path.name}.{os.getpid()}{BUILD_SUFFIX}")
        try:
            session = Session(tmp, create={k: v for k, v in doc.items() if k != "firms"})
            try:
                firm_ids = session.import_doc(doc)
            finally:
                session.close()
            os.replace(tmp, study_path)
        except OSError as exc:
            raise WorkbenchError(f"cannot write {study_path}: {exc.strerror or exc}; nothing was imported") from None
        finally:
            if tmp.exists():
                tmp.unlink()
    finally:
        lock.release()
    return firm_ids


BUILD_SUFFIX = ".lpw-build"


def _remove_stale_builds(study_path: Path) -> None:
    """Delete what an import into ``study_path`` killed before it finished
    left behind (``.NAME.PID.lpw-build``, its process gone)."""
    from .session import _pid_alive as pid_alive

    for leftover in study_path.parent.glob(f".{study_path.name}.*{BUILD_SUFFIX}"):
        pid = leftover.name[len(study_path.name) + 2:-len(BUILD_SUFFIX)]
        if pid.isdigit() and not pid_alive(int(pid)):
            for path in (leftover, Path(f"{leftover}-journal"), Path(f"{leftover}.lock")):
                try:
                    path.unlink()
                except OSError:
                    pass


def export(study_path: str | os.PathLike, out: str | os.PathLike | None,
           firm_id: str | None = None) -> tuple[str | None, list]:
    """Write the study (or one firm of it) as a ``*.study.json``. With
    ``out`` None the JSON text is returned instead of written."""
    if out is not None and Path(out).suffix.lower() in (".xlsx", ".csv"):  # spreadsheets
        from .io import sheets

        if firm_id is not None:
            raise InputError(f"{out}: a spreadsheet export holds the whole study; leave out --firm")
        if Path(out).resolve() == Path(study_path).resolve():
            raise InputError(f"{out}: export would overwrite the study it reads; choose another file")
        return None, sheets.export(study_path, out)
    if out is not None and Path(out).suffix.lower() in (".qdpx", ".qdc"):  # REFI-QDA
        from .io import refiqda

        if firm_id is not None:
            raise InputError(f"{out}: a REFI-QDA project or codebook holds the whole study; "
                             f"leave out --firm")
        return None, refiqda.export(study_path, out)
    from .io.study_json import dumps_study, write_study

    loaded = load(study_path, [firm_id] if firm_id is not None else None)
    study = loaded.study
    if firm_id is not None:
        study = study.only_firm(firm_id)
    if out is None:
        with explained(study_path):
            return dumps_study(study), loaded.warnings
    if Path(out).resolve() == Path(study_path).resolve():
        raise InputError(f"{out}: export would overwrite the study it reads; choose another file")
    with explained(study_path):
        write_study(study, out)
    return None, loaded.warnings


def stats(study_path: str | os.PathLike, firm_id: str | None = None,
          code: str | None = None) -> tuple[dict, Study, list]:
    """Counts of the study (or one firm); with ``code``, of the events
    carrying that code only (``core.coding.narrow_study``)."""
    from .core.analysis import study_stats
    from .core.coding import narrow_study

    firm_ids = [firm_id] if firm_id is not None else None
    loaded = load(study_path, firm_ids)  # with a firm, only that firm is read
    study = loaded.study if code is None else narrow_study(loaded.study, code)
    with explained(study_path):
        return study_stats(study, firm_ids), study, loaded.warnings


DIAGRAM_SUFFIXES = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot"}


def check_diagram_name(out: str | os.PathLike, fmt: str) -> None:
    """Refuse (``InputError``) a diagram file whose name says another format
    than the one it would hold (``z.jpg`` holding SVG); a name without a
    suffix takes what it is given."""
    suffix = Path(out).suffix.lower()
    if not suffix:
        return
    said = DIAGRAM_SUFFIXES.get(suffix)
    if said is None:
        raise InputError(f"{out}: a diagram cannot be written as {suffix}; name the file .svg, .png, .pdf "
                         f"or .dot (for a picture to paste, .png)")
    if said != fmt:
        raise InputError(f"{out}: the name says {said.upper()} but the format asked for is {fmt.upper()}; "
                         f"name the file .{fmt}, or ask for {said.upper()}")


def diagram(study_path: str | os.PathLike, out: str | os.PathLike, *, firm_id: str | None = None,
            all_firms: bool = False, kind: str = "process", fmt: str = "svg", dpi: int = 150,
            sources: bool = True, routines: bool = True, engine: str = "auto",
            code: str | None = None, width: float | None = None) -> tuple[list[Path], str, list]:
    """Draw the process diagram (or framework figure) of one firm, of every
    firm (``out`` is then a folder, one file per firm), or, for the framework
    figure, of the whole study; with ``code``, of the events carrying that
    code only (``core.coding.narrow_study``). With ``width`` (points), drawn
    for a page that wide, text at 7 pt or more; a drawing that needs more
    than one page is written as NAME-1.EXT, NAME-2.EXT, ... Returns the files
    written, which engine drew, and the study's warnings."""
    from .core.coding import narrow_study
    from .io.files import atomic_write_bytes
    from .render import diagram as dg
    from .render import engine as eng

    if kind not in ("process", "framework"):
        raise InputError(f"unknown kind {kind!r}; choose process or framework")
    if fmt not in eng.FORMATS:
        raise InputError(f"unknown format {fmt!r}; choose one of {', '.join(eng.FORMATS)}")
    if not all_firms:
        check_diagram_name(out, fmt)
    # with a firm, only that firm is read
    loaded = load(study_path, [firm_id] if firm_id is not None and not all_firms else None)
    study = loaded.study if code is None else narrow_study(loaded.study, code)
    targets: list[tuple[Path, object]] = []  # (file, firm or None for the study)
    out = Path(out)
    if all_firms:
        if out.exists() and not out.is_dir():
            raise InputError(f"{out}: with --all, -o names a folder, and this is a file")
        for firm in study.firms:
            name = firm.id if kind == "process" else f"{firm.id}-framework"
            targets.append((out / f"{name}.{fmt}", firm))
    elif firm_id is not None:
        targets.append((out, study.firm(firm_id)))
    elif kind == "framework":
        targets.append((out, None))
    elif len(study.firms) == 1:
        targets.append((out, study.firms[0]))
    else:
        raise InputError(f"this study has {len(study.firms)} firms: choose one with --firm ID, or "
                         f"--all; its firms are: {', '.join(f.id for f in study.firms) or '(none)'}")
    if all_firms:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkbenchError(f"cannot create the folder {out}: {exc.strerror or exc}") from None
    options = dg.Options(sources=sources, routines=routines, width=width)
    drawn_by = ""
    written = []
    planned = {path for path, _ in targets}

    def part_path(path: Path, part: int) -> Path:
        """NAME-2.EXT for a drawing's second page; NAME-part2.EXT where
        NAME-2.EXT is another firm's file (a firm whose id ends in -2)."""
        named = path.with_name(f"{path.stem}-{part}{path.suffix}")
        return named if named not in planned else path.with_name(f"{path.stem}-part{part}{path.suffix}")

    for path, firm in targets:
        with explained(study_path):
            figures = (dg.process_figures(study, firm, options) if kind == "process"
                       else dg.framework_figures(study, firm, width))
        title = f"{firm.name if firm else study.title}: {kind}"
        drawn_all = []
        for fig in figures:
            part = path if fig.parts == 1 else part_path(path, fig.part)
            drawn = eng.draw(fig.for_file().source, fmt, engine=engine, dpi=dpi,
                             title=title + (f", part {fig.part} of {fig.parts}" if fig.parts > 1 else ""))
            drawn_all.append((part, drawn))
        for part, drawn in drawn_all:  # written once all are drawn: nothing half-written
            atomic_write_bytes(part, drawn.data)
            drawn_by = drawn.engine
            written.append(part)
    return written, drawn_by, loaded.warnings


def report(study_path: str | os.PathLike, out: str | os.PathLike, *, firm_ids: list[str] | None = None,
           template: str | os.PathLike | None = None, diagrams: bool = True, evidence: bool = True,
           tables_only: bool = False, engine: str = "auto", progress=None, code: str | None = None,
           audience: str = "research", paper: str | None = None,
           agreement: str | os.PathLike | None = None, rules: str | os.PathLike | None = None) -> list:
    """Write the Word report (or, with ``tables_only``, the cross-case tables)
    of a study or of chosen firms; with ``audience="client"`` the plain
    report of one firm for its owner (render.client_report). The file
    appears only when complete.
    ``paper``: "a4" or "letter" (default: the template's page size, else A4).
    ``agreement``: another coding of the study (.lpw or .study.json); the
    report then ends with an "Intercoder agreement" appendix.
    ``rules``: a renewal rules file to use instead of the workbench's own
    (its findings in the renewal table and the client report)."""
    from .io.files import atomic_write_bytes
    from .render import report as rp

    if audience == "client":
        if agreement is not None:
            raise InputError("the intercoder agreement appendix belongs to the research report, not "
                             "to a client report")
        if paper not in (None, "a4"):
            raise InputError("a client report is written on A4 or on its template's paper; --paper "
                             "letter applies to the research report")
        return client_report(study_path, out, firm_ids=firm_ids, template=template, diagrams=diagrams,
                             engine=engine, progress=progress, code=code, tables_only=tables_only, rules=rules)
    if audience != "research":
        raise InputError(f"unknown audience {audience!r}; choose research or client")
    loaded = load(study_path)
    if firm_ids:
        require_firms(loaded.study, firm_ids)
    _check_report_files(out, template)
    compared = None
    if agreement is not None:
        from .coders import compare_files

        if not Path(agreement).is_file():
            raise InputError(f"{agreement}: no such study to compare with")
        compared = compare_files(study_path, agreement)
    options = rp.ReportOptions(firm_ids=firm_ids or None, template=template, diagrams=diagrams,
                               evidence=evidence, tables_only=tables_only, engine=engine, progress=progress,
                               code=code, paper=paper, agreement=compared,
                               rules=_renewal_rules(study_path, rules),
                               agreement_names=(Path(study_path).name, Path(agreement).name) if agreement else
                               ("", ""))
    with explained(study_path):
        document = rp.build(loaded.study, options)
    atomic_write_bytes(out, rp.to_bytes(document))
    return loaded.warnings


def _renewal_rules(study_path, rules_path):
    """The renewal rules a report uses: those of ``rules_path``, or None for
    the workbench's own (``core.renewal.load_rules``)."""
    if rules_path is None:
        return None
    from .core import renewal as R

    return R.load_rules(rules_path)


def _check_report_files(out, template) -> None:
    """Refuse a report's output name or template before anything is built:
    the template must exist and be safe to open (no XML entities, no huge
    parts: render.report.read_template)."""
    from .render import report as rp

    if template is not None and not Path(template).is_file():
        raise InputError(f"{template}: no such template file")
    if Path(out).suffix.lower() not in (".docx", ""):
        raise InputError(f"{out}: a Word report is written as a .docx file")
    if template is not None:
        rp.read_template(template)


def client_report(study_path: str | os.PathLike, out: str | os.PathLike, *, firm_ids: list[str] | None = None,
                  template: str | os.PathLike | None = None, diagrams: bool = True, engine: str = "auto",
                  progress=None, code: str | None = None, tables_only: bool = False,
                  rules: str | os.PathLike | None = None) -> list:
    """The client report of one firm (``firm_ids`` holds exactly one id)."""
    from .io.files import atomic_write_bytes
    from .render import client_report as cr
    from .render import report as rp

    if tables_only:
        raise InputError("the cross-case tables are part of the research report; a client report is "
                         "about one firm")
    if code:
        raise InputError("--code limits the research report; a client report always shows the "
                         "firm's whole path")
    if not firm_ids or len(firm_ids) != 1:
        known = ", ".join(f.id for f in load(study_path).study.firms)
        got = "no firm" if not firm_ids else f"{len(firm_ids)} firms"
        raise InputError(f"a client report is about one firm, and {got} {'was' if not firm_ids else 'were'} "
                         f"chosen: give one with --firm ID (this study's firms: {known or '(none)'})")
    loaded = load(study_path, list(firm_ids))
    _check_report_files(out, template)
    options = cr.ClientOptions(template=template, engine=engine, diagrams=diagrams, progress=progress,
                               rules=_renewal_rules(study_path, rules))
    with explained(study_path):
        document = cr.build(loaded.study, firm_ids[0], options)
    atomic_write_bytes(out, rp.to_bytes(document))
    return loaded.warnings


def renewal_diagram(study_path: str | os.PathLike, out: str | os.PathLike, *, firm_ids: list[str] | None = None,
                    fmt: str = "svg", width: float | None = None, engine: str = "auto",
                    dpi: int = 150) -> tuple[list[Path], str, list]:
    """The renewal figure (render.renewal_figure) of the chosen firms, or of
    every firm, as one file. Returns it, which engine drew, and the
    study's warnings."""
    from .io.files import atomic_write_bytes
    from .render import engine as eng
    from .render.renewal_figure import renewal_graph

    if fmt not in eng.FORMATS:
        raise InputError(f"unknown format {fmt!r}; choose one of {', '.join(eng.FORMATS)}")
    loaded = load(study_path, list(firm_ids) if firm_ids else None)
    study = loaded.study
    if not study.firms:
        raise InputError(f"{study_path}: the study has no firms to draw")
    if Path(out).is_dir():
        raise InputError(f"{out}: the renewal figure is one file, and this is a folder")
    suffix = Path(out).suffix.lower().lstrip(".")
    if suffix and suffix != fmt:
        raise InputError(f"{out}: the name ends .{suffix} but the figure would be written as {fmt.upper()}; "
                         f"name it .{fmt} (or .svg, .png, .pdf, .dot to choose the format)")
    with explained(study_path):
        graph = renewal_graph(study, firm_ids or None, width=width)
    drawn = eng.draw(graph.source, fmt, engine=engine, dpi=dpi, title=f"{study.title}: renewal paths")
    atomic_write_bytes(out, drawn.data)
    return [Path(out)], drawn.engine, loaded.warnings


__all__ = ["report", "client_report", "renewal_diagram", "diagram", "load", "check", "import_file", "export", "stats", "is_lpw", "require_firms",
           "InputError", "WorkbenchError"]


def renewal(study_path: str | os.PathLike, firm_id: str, rules_path: str | os.PathLike | None = None):
    """A firm's renewal diagnosis and action checklist
    (``core.renewal.diagnose`` and ``checklist``) and the study's
    validation warnings: ``(Diagnosis, [Item], warnings)``.
    ``rules_path`` reads the findings rules from another rules file.
    ``InputError`` naming the study's firms when the firm is not there."""
    from .core import renewal as R

    loaded = load(study_path, [firm_id])
    with explained(study_path):
        rules = R.load_rules(rules_path) if rules_path is not None else None
        study = loaded.study
        return R.diagnose(study, firm_id, rules), R.checklist(study, firm_id), loaded.warnings
