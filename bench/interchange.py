"""REFI-QDA speed: a study through a .qdpx against through a .study.json.

    python bench/interchange.py [--firms 20] [--events 5000] [--words 50000] [--runs 1]

Prints, each on its own line so that a script can pick it out:

    qdpx-vs-json: R   export then import (into a new study) of the synthetic
                      study through a .qdpx, divided by the same through a
                      .study.json; goal <= 2, lower is better

The synthetic study (bench/synthetic.py) has 20 firms of 5,000 events, each
event with one piece of evidence anchored in its firm's document, one
50,000-word document per firm. Each side's time is the median of the runs;
the two sides alternate.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402

from workbench import services  # noqa: E402


def make_study(firms: int, events: int, words: int, seed: int = 1) -> dict:
    doc = synthetic.study(firms=firms, events=events, seed=seed)
    rng = random.Random(seed + 1)
    documents = []
    for f, firm in enumerate(doc["firms"]):
        text = synthetic.words(rng, words)
        did = f"d{f}"
        documents.append({"id": did, "name": f"Interview at {firm['name']}", "kind": "interview",
                          "firm": firm["id"], "text": text})
        for ev in firm["events"]:
            for item in ev["evidence"]:
                start = rng.randrange(0, len(text) - 40)
                item.update(document=did, start=start, end=start + 40, quote=text[start:start + 40])
    doc["documents"] = documents
    return doc


def one_way(lpw: Path, out: Path, back: Path) -> float:
    t0 = time.perf_counter()
    services.export(lpw, out)
    services.import_file(back, out)
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--firms", type=int, default=20)
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--words", type=int, default=50_000)
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lpw-bench-") as tmp:
        tmp = Path(tmp)
        src = tmp / "synthetic.study.json"
        src.write_text(json.dumps(make_study(args.firms, args.events, args.words)), "utf-8")
        lpw = tmp / "synthetic.lpw"
        services.import_file(lpw, src)
        times = {"json": [], "qdpx": []}
        for run in range(args.runs):
            for kind, suffix in (("json", ".study.json"), ("qdpx", ".qdpx")):
                out = tmp / f"out{run}{suffix}"
                back = tmp / f"back-{kind}{run}.lpw"
                times[kind].append(one_way(lpw, out, back))
                print(f"  {kind}: {times[kind][-1]:.2f} s, {out.stat().st_size / 1e6:.1f} MB", file=sys.stderr)
        j, q = statistics.median(times["json"]), statistics.median(times["qdpx"])
        print(f"qdpx-vs-json: {q / j:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
