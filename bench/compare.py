"""Speed of `workbench compare` against `workbench stats`.

Two synthetic codings of one study of 20 firms x 5,000 events (the second
recoded at random on a third of its events), as *.study.json files and as
.lpw studies. Prints the time of `workbench compare A B --json` divided by
that of `workbench stats A --json` on the same kind of file, both measured
in this run, interleaved (goal: at most 2).

    python bench/compare.py [--firms 20] [--events 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic  # noqa: E402
from timing import interleaved  # noqa: E402

from workbench.cli import main as cli  # noqa: E402


def recoded(doc: dict, seed: int = 2) -> dict:
    rng = random.Random(seed)
    doc = json.loads(json.dumps(doc))
    for firm in doc["firms"]:
        for ev in firm["events"]:
            if rng.random() < 1 / 3:
                ev["stages"] = rng.sample(synthetic.STAGES, rng.randint(1, 2))
                ev["learning_types"] = rng.sample(synthetic.TYPES, rng.randint(1, 2))
                ev["phase"] = rng.choice(synthetic.PHASES)
    return doc


def run(*argv: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = cli(list(argv))
    if code != 0:
        raise SystemExit(f"workbench {' '.join(argv)} failed ({code})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--firms", type=int, default=20)
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="lpw-bench-"))
    a = synthetic.study(args.firms, args.events, seed=1)
    b = recoded(a)
    pa, pb = tmp / "a.study.json", tmp / "b.study.json"
    pa.write_text(json.dumps(a), encoding="utf-8")
    pb.write_text(json.dumps(b), encoding="utf-8")
    run("import", str(tmp / "a.lpw"), str(pa))
    run("import", str(tmp / "b.lpw"), str(pb))
    print(f"two codings of {args.firms} firms x {args.events} events "
          f"({pa.stat().st_size / 1e6:.1f} MB of JSON each)")

    ratios = []
    for kind, (fa, fb) in (("study.json", (pa, pb)), ("lpw", (tmp / "a.lpw", tmp / "b.lpw"))):
        t_cmp, t_stats = interleaved(args.repeat, lambda: run("compare", str(fa), str(fb), "--json"),
                                     lambda: run("stats", str(fa), "--json"))
        ratios.append(t_cmp / t_stats)
        print(f"  {kind:10}  compare {t_cmp:.2f} s, stats {t_stats:.2f} s, ratio {t_cmp / t_stats:.2f}")
    print(f"compare-vs-stats: {max(ratios):.2f}")


if __name__ == "__main__":
    main()
