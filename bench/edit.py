"""Does an edit cost the same in a big study?

Two synthetic studies, 10 and 400 firms of 20 events each. In each, time
what a user does on one firm: open it (the firm with everything it holds)
and make one evidence edit through the Session (the one door: checked
against the format's rules, written in one transaction, kept for undo).
Runs alternate between the two studies so that load on this shared machine
falls on both alike. Prints the medians and, last:

    edit-scaling: R      median at 400 firms / median at 10 firms (goal: R <= 1.5)

    python bench/edit.py [--runs 40]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic  # noqa: E402

from workbench import services  # noqa: E402
from workbench.session import Session  # noqa: E402


def make(folder: Path, firms: int) -> Session:
    src = folder / f"{firms}.study.json"
    src.write_text(json.dumps(synthetic.study(firms=firms, events=20)), encoding="utf-8")
    services.import_file(folder / f"{firms}.lpw", src)
    return Session(folder / f"{firms}.lpw")


def one_edit(session: Session, firm_id: str, turn: int) -> float:
    t0 = time.perf_counter()
    firm = session.firm(firm_id)
    event = firm.event_list[turn % len(firm.event_list)]
    quote = {"quote": f"Said at turn {turn}", "speaker": "Owner"}
    evidence = [e.to_dict() for e in event.evidence or []][:1] + [quote]
    session.set_field("events", firm_id, event.id, "evidence", evidence)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small, big = make(Path(tmp), 10), make(Path(tmp), 400)
        try:
            times: dict[str, list[float]] = {"10": [], "400": []}
            for turn in range(args.runs + 3):
                for name, session, firm_id in (("10", small, "firm5"), ("400", big, "firm200")):
                    t = one_edit(session, firm_id, turn)
                    if turn >= 3:  # the first runs warm the caches
                        times[name].append(t)
        finally:
            small.close()
            big.close()
    m10, m400 = statistics.median(times["10"]), statistics.median(times["400"])
    print(f"open a firm + one evidence edit, 10 firms x 20 events: {m10 * 1000:.1f} ms (median of {args.runs})")
    print(f"open a firm + one evidence edit, 400 firms x 20 events: {m400 * 1000:.1f} ms")
    print(f"edit-scaling: {m400 / m10:.2f}")


if __name__ == "__main__":
    main()
