"""Timing helpers for the bench scripts."""

from __future__ import annotations

import time


def interleaved(n: int, *fns) -> list[float]:
    """Best time of each function over ``n`` rounds, run in turns so that a
    burst of load on this shared machine falls on all of them alike."""
    best = [float("inf")] * len(fns)
    for _ in range(n):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best
