"""Report speed: a synthetic study of 200 firms x 50 events.

Prints our report (without diagrams) against a baseline measured in the same
run that writes the same table cells with plain python-docx: ``add_table``,
``add_row()`` and ``cell.text`` (goal: at most 0.5x the baseline's time, and
under 10 s).

    python bench/report.py [--firms 200] [--events 50]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic  # noqa: E402

import docx  # noqa: E402

from workbench.core.model import Study  # noqa: E402
from workbench.render.report import ReportOptions, build, to_bytes  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--firms", type=int, default=200)
    ap.add_argument("--events", type=int, default=50)
    args = ap.parse_args()
    study = Study.from_dict(synthetic.study(args.firms, args.events))

    t0 = time.perf_counter()
    data = to_bytes(build(study, ReportOptions(diagrams=False)))
    t_ours = time.perf_counter() - t0

    # the same cells, read back from our document
    ours = docx.Document(io.BytesIO(data))
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in ours.tables]
    n_cells = sum(len(r) for t in tables for r in t)
    print(f"synthetic study: {args.firms} firms x {args.events} events; our report has "
          f"{len(tables)} tables, {n_cells} cells, {len(ours.paragraphs)} paragraphs")

    t0 = time.perf_counter()
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
    t_base = time.perf_counter() - t0

    print(f"baseline python-docx add_row()/cell.text (tables only): {t_base:.2f} s")
    print(f"our report (all of it, without diagrams):              {t_ours:.2f} s (goal: under 10 s)")
    print(f"ratio: {t_ours / t_base:.2f}x (goal: at most 0.5x)")


if __name__ == "__main__":
    main()
