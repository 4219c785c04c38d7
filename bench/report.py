"""Report speed and memory.

Speed: a synthetic study of 200 firms x 50 events. Prints our report
(without diagrams) against a baseline measured in the same run that writes
the same table cells with plain python-docx: ``add_table``, ``add_row()``
and ``cell.text`` (goal: at most 0.5x the baseline's time, and under 10 s).

Memory: ``workbench report STUDY.study.json -o OUT.docx --no-diagrams`` of a
synthetic study of 20 firms x 5,000 events, run as its own process; its peak
resident memory (VmHWM, else ``ru_maxrss``) is printed as ``report-peak-mb: N`` (goal:
under 1 GB); with ``--memory-baseline``, beside the same for a naive
python-docx build of the same table cells (``baseline-peak-mb: N``).

    python bench/report.py [--firms 200] [--events 50] [--mem-firms 20] [--mem-events 5000]
                           [--no-speed] [--no-memory] [--memory-baseline]
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import docx
import synthetic

from workbench.core.model import Study
from workbench.render.report import ReportOptions, build, to_bytes


def naive(tables: list[list[list[str]]]) -> bytes:
    """The same cells with plain python-docx."""
    base = docx.Document()
    for t in tables:
        table = base.add_table(rows=1, cols=len(t[0]))
        for cell, text in zip(table.rows[0].cells, t[0]):
            cell.text = text
        for row in t[1:]:
            cells = table.add_row().cells
            for cell, text in zip(cells, row):
                cell.text = text
    out = io.BytesIO()
    base.save(out)
    return out.getvalue()


def naive_linear(tables: list[list[list[str]]]) -> bytes:
    """The same cells with python-docx's objects (``add_row()``, ``cell.text``),
    each new row's cells taken from its own ``w:tr`` (``row.cells`` walks the
    whole table, which at 100,000 rows would take hours): the tree a plain
    python-docx report holds."""
    from docx.table import _Cell

    base = docx.Document()
    for t in tables:
        table = base.add_table(rows=1, cols=len(t[0]))
        for cell, text in zip(table.rows[0].cells, t[0]):
            cell.text = text
        for row in t[1:]:
            tr = table.add_row()._tr
            for tc, text in zip(tr.tc_lst, row):
                _Cell(tc, table).text = text
    out = io.BytesIO()
    base.save(out)
    return out.getvalue()


def read_tables(path) -> list[list[list[str]]]:
    """The table cells of a .docx, read as a stream (never the whole tree)."""
    from lxml import etree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    tables, depth = [], 0
    with zipfile.ZipFile(path) as z, z.open("word/document.xml") as fh:
        for event, el in etree.iterparse(fh, events=("start", "end"), tag=(w + "tbl", w + "tr")):
            if el.tag == w + "tbl":
                depth += 1 if event == "start" else -1
                if event == "start" and depth == 1:
                    tables.append([])
                continue
            if event == "end" and depth == 1:
                tables[-1].append(["\n".join("".join(t.text or "" for t in p.iter(w + "t"))
                                              for p in tc.iter(w + "p")) for tc in el.iter(w + "tc")])
                el.clear()
                while el.getprevious() is not None:
                    del el.getparent()[0]
    return tables


def speed(firms: int, events: int) -> None:
    study = Study.from_dict(synthetic.study(firms, events))
    t0 = time.perf_counter()
    data = to_bytes(build(study, ReportOptions(diagrams=False)))
    t_ours = time.perf_counter() - t0

    ours = docx.Document(io.BytesIO(data))
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in ours.tables]
    n_cells = sum(len(r) for t in tables for r in t)
    print(f"synthetic study: {firms} firms x {events} events; our report has "
          f"{len(tables)} tables, {n_cells} cells, {len(ours.paragraphs)} paragraphs")
    t0 = time.perf_counter()
    naive(tables)
    t_base = time.perf_counter() - t0
    print(f"baseline python-docx add_row()/cell.text (tables only): {t_base:.2f} s")
    print(f"our report (all of it, without diagrams):              {t_ours:.2f} s (goal: under 10 s)")
    print(f"ratio: {t_ours / t_base:.2f}x (goal: at most 0.5x)")


def _peak_kb() -> int:
    """This process's peak resident memory: VmHWM where /proc has it (it
    starts afresh at exec), else ru_maxrss (which, after a fork, counts the
    parent's memory at that moment too)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _child(argv: list[str]) -> int:
    """Run one measured job in this (fresh) process and print its peak."""
    what = argv[0]
    if what == "make":
        from workbench.io.study_json import dumps_study

        study = Study.from_dict(synthetic.study(int(argv[2]), int(argv[3])))
        Path(argv[1]).write_text(dumps_study(study), encoding="utf-8")
    elif what == "report":
        from workbench.cli import main as cli

        code = cli(["report", argv[1], "-o", argv[2], "--no-diagrams"])
        if code:
            return code
    elif what == "baseline":
        tables = read_tables(argv[1])
        Path(argv[2]).write_bytes(naive_linear(tables))
    print(f"peak-kb: {_peak_kb()}")
    return 0


def _measure(*args: str) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", *args],
                          check=False, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"the measured run failed ({' '.join(args[:1])}):\n{proc.stdout}\n{proc.stderr}")
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("peak-kb: ")][-1]
    return int(line.split()[1]) / 1024, seconds


def memory(firms: int, events: int, baseline: bool) -> None:
    """Each measured run is a process started by this one while it is still
    small: a process started by fork counts its parent's memory at that
    moment in its own peak (ru_maxrss survives exec), so the study is made
    by a process of its own too, and the speed runs come after."""
    with tempfile.TemporaryDirectory() as tmp:
        study_path = Path(tmp) / "synthetic.study.json"
        _measure("make", str(study_path), str(firms), str(events))
        out = Path(tmp) / "report.docx"
        peak, seconds = _measure("report", str(study_path), str(out))
        print(f"synthetic study: {firms} firms x {events} events, 'workbench report --no-diagrams' "
              f"in its own process: {seconds:.1f} s")
        if baseline:
            base_peak, base_seconds = _measure("baseline", str(out), str(Path(tmp) / "naive.docx"))
            print(f"baseline-peak-mb: {base_peak:.0f} (naive python-docx build of the same table cells, "
                  f"{base_seconds:.1f} s)")
        print(f"report-peak-mb: {peak:.0f} (goal: under 1024)")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        sys.exit(_child(sys.argv[2:]))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--firms", type=int, default=200)
    ap.add_argument("--events", type=int, default=50)
    ap.add_argument("--mem-firms", type=int, default=20)
    ap.add_argument("--mem-events", type=int, default=5000)
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--memory-baseline", action="store_true",
                    help="also measure the naive python-docx build of the same cells (at 100,000 rows it "
                         "takes about half an hour on a slow machine; issue 11 measured it at 1.3 GB)")
    args = ap.parse_args()
    if not args.no_memory:
        memory(args.mem_firms, args.mem_events, args.memory_baseline)
    if not args.no_speed:
        speed(args.firms, args.events)


if __name__ == "__main__":
    main()
