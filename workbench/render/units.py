"""Lengths on the page: ``16cm``, ``160mm``, ``6.3in``, ``453pt`` to points.

One place that reads what a user types for a figure's width (the command
line's ``--width``, the window's width box) and names the printed widths the
report draws for.
"""

from __future__ import annotations

import re

from ..core.errors import InputError

POINTS_PER = {"pt": 1.0, "in": 72.0, "cm": 72.0 / 2.54, "mm": 72.0 / 25.4}

# The text width of an A4 page with 2.5 cm margins, portrait and landscape;
# US Letter with 1 inch margins.
A4_PORTRAIT = 16.0 * POINTS_PER["cm"]
A4_LANDSCAPE = 24.7 * POINTS_PER["cm"]
LETTER_PORTRAIT = 6.5 * POINTS_PER["in"]
LETTER_LANDSCAPE = 9.0 * POINTS_PER["in"]

# No figure is drawn for less than this: nothing useful fits.
MIN_WIDTH = 2.0 * POINTS_PER["in"]
MAX_WIDTH = 200.0 * POINTS_PER["in"]

_LENGTH = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(pt|in|cm|mm)?\s*$", re.IGNORECASE)


def parse_length(text: str) -> float:
    """Points for a length such as ``16cm`` or ``6.5 in``; a bare number is
    centimetres. Raises ``InputError`` saying what is accepted."""
    m = _LENGTH.match(str(text))
    if not m:
        raise InputError(f"width {text!r}: give a number and a unit, e.g. 16cm, 160mm, 6.3in or 453pt")
    value = float(m.group(1).replace(",", "."))
    unit = (m.group(2) or "cm").lower()
    points = value * POINTS_PER[unit]
    if not MIN_WIDTH <= points <= MAX_WIDTH:
        raise InputError(f"width {text!r}: give a width between 5 cm and 5 m")
    return points


def describe(points: float) -> str:
    """A width in centimetres, as a user would read it: ``16 cm``."""
    return f"{points / POINTS_PER['cm']:.3g} cm"
