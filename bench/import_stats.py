"""Import and stats speed on a synthetic study of 200 firms x 50 events.

Prints our JSON import time against a baseline measured in the same run:
sqlite-utils ``insert_all`` of the same rows into the same schema, with no
parsing or validation (goal: at most 2x). Then ``stats`` on the imported
study (goal: under 1 s).

    python bench/import_stats.py [--firms 200] [--events 50]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic  # noqa: E402
from timing import interleaved  # noqa: E402

from workbench import services  # noqa: E402
from workbench.io.study_json import read_doc  # noqa: E402
from workbench.store.study_db import FIRM_TABLES, StudyDB, firm_rows, row_values, table_columns  # noqa: E402


def rows_of(doc):
    """The rows our import writes, built by the same function, as dicts."""
    rows = {t: [] for t in FIRM_TABLES}
    for i, firm in enumerate(doc["firms"]):
        firm_rows(firm, i, rows)
    rows["documents"] = [row_values("documents", d, (i,)) for i, d in enumerate(doc["documents"])]
    return {t: [dict(zip(table_columns(t), r)) for r in rs] for t, rs in rows.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--firms", type=int, default=200)
    ap.add_argument("--events", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="lpw-bench-"))
    src = tmp / "synthetic.study.json"
    src.write_text(json.dumps(synthetic.study(args.firms, args.events)), encoding="utf-8")
    doc, _ = read_doc(src)
    rows = rows_of(doc)
    n_rows = sum(len(v) for v in rows.values())
    print(f"synthetic study: {args.firms} firms x {args.events} events, {n_rows} rows, "
          f"{src.stat().st_size / 1e6:.1f} MB of JSON")

    counter = iter(range(10**6))

    def baseline():
        path = tmp / f"base{next(counter)}.lpw"
        with StudyDB.open(path, create=True) as db:  # same schema, empty
            with db.db.atomic():
                for table in ("documents", "firms", "sources", "routines", "events", "evidence", "links"):
                    db.db[table].insert_all(rows.get(table, []), batch_size=500)

    def ours():
        path = tmp / f"ours{next(counter)}.lpw"
        services.import_file(path, src)

    t_base, t_ours = interleaved(args.repeat, baseline, ours)
    print(f"baseline sqlite-utils insert_all: {t_base:.3f} s")
    print(f"workbench import (read, validate, write): {t_ours:.3f} s")
    print(f"import ratio: {t_ours / t_base:.2f}x (goal: at most 2x)")

    lpw = tmp / "stats.lpw"
    services.import_file(lpw, src)
    (t_stats,) = interleaved(args.repeat, lambda: services.stats(lpw))
    print(f"stats on the .lpw: {t_stats:.3f} s (goal: under 1 s)")
    (t_stats_json,) = interleaved(args.repeat, lambda: services.stats(src))
    print(f"stats on the .study.json: {t_stats_json:.3f} s")


if __name__ == "__main__":
    main()
