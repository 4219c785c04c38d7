"""Dates listed out of order (the format's rule 5): kept apart from
``validate`` so the events table can warn of them without loading the whole
of the validator when a study opens."""

from __future__ import annotations

import re
from typing import Any, Iterable, Iterator

_DATE_RX = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def dates_out_of_order(dated: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, str, Any, str]]:
    """Rule 5 over ``(key, date)`` pairs in list order: ``(key, date, key
    before, date before)`` for each date earlier than one listed before it,
    comparing at the coarser of the two precisions (a year equals any date
    in it). Values that are not ``YYYY[-MM[-DD]]`` are passed over. Such
    dates compare as texts cut to the shorter one, and the greatest date of
    each precision so far also has the greatest prefix, so keeping those
    three maxima makes this one pass. The events table's warnings use it too."""
    best: dict[int, tuple[str, Any]] = {}  # length of a date -> (greatest date so far, its key)
    for key, date in dated:
        if not isinstance(date, str) or not _DATE_RX.match(date):
            continue
        for length, (top, top_key) in best.items():
            n = min(length, len(date))
            if date[:n] < top[:n]:
                yield key, date, top_key, top
                break
        if date > best.get(len(date), ("", None))[0]:
            best[len(date)] = (date, key)
