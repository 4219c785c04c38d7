"""Figures laid out on a grid for a page width: text measured and wrapped
(never cut), boxes in rows and columns with channels between them, and
edges routed along those channels so that none passes through a box.

Coordinates here run downwards (y from the top) in points; the drawing
code turns them into Graphviz's upward ones. Text is measured with the
advance widths of DejaVu Sans, the widest of the fonts a "Helvetica"
label ends up in (Helvetica, Arial, Liberation Sans, DejaVu Sans), so a
label measured to fit fits in all of them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from ..core.validate import clean_text

# DejaVu Sans advance widths in 1/1000 em for the characters " " to "~".
_ASCII = (318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636,
          636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775,
          752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390,
          337, 390, 838, 500, 500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612,
          635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838)
_SAFETY = 1.06  # kerning, hinting and rounding in the renderers
LINE = 1.22     # line height as a multiple of the font size (Graphviz uses about 1.2)


def char_width(ch: str) -> float:
    """Advance width of one character in 1/1000 em."""
    o = ord(ch)
    if 32 <= o < 127:
        return _ASCII[o - 32]
    if unicodedata.combining(ch):
        return 0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1000
    return 700


_TABLE = {chr(32 + i): w for i, w in enumerate(_ASCII)}


@lru_cache(maxsize=65536)
def text_width(text: str, size: float) -> float:
    """The width of one line of text in points at ``size``."""
    get = _TABLE.get
    total = 0
    for c in text:
        w = get(c)
        total += w if w is not None else char_width(c)
    return total * size / 1000.0 * _SAFETY


def _break_word(word: str, size: float, width: float) -> list[str]:
    """A word wider than the line, in pieces: after its hyphens where it
    has them, else as many characters as fit."""
    pieces = re.findall(r"[^-]*-+|[^-]+$", word) if "-" in word[1:-1] else [word]
    out: list[str] = []
    for piece in pieces:
        while text_width(piece, size) > width:
            n = 1  # as many characters as fit with a hyphen after them
            while n < len(piece) and text_width(piece[: n + 1] + "-", size) <= width:
                n += 1
            out.append(piece[:n] + ("-" if piece[n - 1].isalnum() and piece[n:n + 1].isalnum() else ""))
            piece = piece[n:]
        if piece:
            out.append(piece)
    return out


def fit(text: str, size: float, width: float) -> list[str]:
    """``text`` wrapped into lines no wider than ``width`` points at
    ``size``: whole, never cut. Words too long for a line break after a
    hyphen, else where the line is full."""
    return list(_fit(text, size, round(width, 2)))


@lru_cache(maxsize=16384)
def _fit(text: str, size: float, width: float) -> tuple[str, ...]:
    lines: list[str] = []
    current = ""
    for word in clean_text(text).split():
        pieces = [word] if text_width(word, size) <= width else _break_word(word, size, width)
        for i, piece in enumerate(pieces):
            glue = "" if i > 0 else " "
            if not current:
                current = piece
            elif text_width(current + glue + piece, size) <= width:
                current += glue + piece
            else:
                lines.append(current)
                current = piece
    if current:
        lines.append(current)
    return tuple(lines or [""])


def widest(lines: list[str], size: float) -> float:
    return max((text_width(line, size) for line in lines), default=0.0)


# --------------------------------------------------------------------------- the grid


@dataclass
class Box:
    """A box in a cell of the grid: its extent (y downwards) and what it is."""

    key: str
    row: int
    col: int
    x0: float = 0.0
    y0: float = 0.0
    x1: float = 0.0
    y1: float = 0.0
    h: float = 0.0       # wanted height (the width is the column's)
    halo: float = 0.0    # drawn beyond the extent (a second periphery)

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass
class Grid:
    """Columns (x extents of their boxes) and rows (their y extents, from
    the boxes in them), with channels between: ``gutter`` points between
    columns, ``gap`` points between rows."""

    col_x: list[tuple[float, float]]
    gap: float
    top: float = 0.0
    track: float = 1.5   # points between edges sharing a channel (horizontal ones)
    boxes: dict[str, Box] = field(default_factory=dict)
    cells: dict[tuple[int, int], Box] = field(default_factory=dict)
    row_y: list[tuple[float, float]] = field(default_factory=list)
    _tracks: dict = field(default_factory=dict)

    def add(self, box: Box) -> Box:
        self.boxes[box.key] = box
        self.cells[(box.row, box.col)] = box
        return box

    def free(self, row: int, col: int) -> bool:
        return (row, col) not in self.cells

    @property
    def rows(self) -> int:
        return max((r for r, _ in self.cells), default=-1) + 1

    def place(self) -> float:
        """Give every box its extent; returns the bottom of the last row."""
        y = self.top + self.gap / 2
        self.row_y = []
        for r in range(self.rows):
            in_row = [b for (rr, _), b in self.cells.items() if rr == r]
            h = max((b.h + 2 * b.halo for b in in_row), default=0.0)
            self.row_y.append((y, y + h))
            for b in in_row:
                x0, x1 = self.col_x[b.col]
                b.x0, b.x1 = x0 + b.halo, x1 - b.halo
                b.y0 = y + (h - b.h) / 2
                b.y1 = b.y0 + b.h
            y += h + self.gap
        return y - self.gap / 2

    # channels: between rows (horizontal) and between columns (vertical)
    def hchannel(self, r: int) -> float:
        """y of the channel above row ``r`` (r == rows: below the last)."""
        if r <= 0:
            return self.row_y[0][0] - self.gap / 2
        if r >= len(self.row_y):
            return self.row_y[-1][1] + self.gap / 2
        return (self.row_y[r - 1][1] + self.row_y[r][0]) / 2

    def vchannel(self, c: int) -> float:
        """x of the gutter left of column ``c`` (c == columns: right of the last)."""
        # the outer gutters are half as wide: keep to their inner part
        if c <= 0:
            return self.col_x[0][0] - 4
        if c >= len(self.col_x):
            return self.col_x[-1][1] + 4
        return (self.col_x[c - 1][1] + self.col_x[c][0]) / 2

    def _track(self, channel: tuple, spread: float) -> float:
        k = self._tracks.get(channel, 0)
        self._tracks[channel] = k + 1
        return ((k % 5) - 2) * spread * 0.75 * (self.track / 1.5 if channel[0] == "h" else 1.0)

    def _clear(self, col: int, r_from: int, r_to: int) -> bool:
        """No box in column ``col`` in the rows strictly between the two."""
        lo, hi = sorted((r_from, r_to))
        return all(self.free(r, col) for r in range(lo + 1, hi))

    def _row_clear(self, row: int, c_from: int, c_to: int) -> bool:
        lo, hi = sorted((c_from, c_to))
        return all(self.free(row, c) for c in range(lo + 1, hi))

    def route(self, a: Box, b: Box, xa: float | None = None, xb: float | None = None) -> list[tuple[float, float]]:
        """A path from box ``a`` to box ``b`` along the channels, as
        points (the first on a's edge, the last on b's), that enters no box.
        ``xa``/``xb``: where on a's and b's top or bottom edge to attach."""
        xa = a.cx if xa is None else xa
        xb = b.cx if xb is None else xb
        ra, rb = a.row, b.row
        if a is b:  # a loop on the right side
            out = a.x1 + a.halo + 5
            return [(a.x1, a.cy - 5), (out, a.cy - 5), (out, a.cy + 5), (a.x1, a.cy + 5)]
        if ra == rb:
            if self._row_clear(ra, a.col, b.col):
                lo, hi = max(a.y0, b.y0), min(a.y1, b.y1)
                y = (lo + hi) / 2 + self._track(("row", ra, min(a.col, b.col)), 2.0)
                if a.col < b.col:
                    return [(a.x1 + a.halo, y), (b.x0 - b.halo, y)]
                return [(a.x0 - a.halo, y), (b.x1 + b.halo, y)]
            y = self.hchannel(ra + 1) + self._track(("h", ra + 1), 2.0)
            return [(xa, a.y1 + a.halo), (xa, y), (xb, y), (xb, b.y1 + b.halo)]
        down = rb > ra
        start = (xa, a.y1 + a.halo) if down else (xa, a.y0 - a.halo)
        end = (xb, b.y0 - b.halo) if down else (xb, b.y1 + b.halo)
        near_a = ra + 1 if down else ra          # channel next to a, towards b
        near_b = rb if down else rb + 1          # channel next to b, towards a
        if self._clear(b.col, ra, rb):
            y = self.hchannel(near_a) + self._track(("h", near_a), 2.0)
            return [start, (xa, y), (xb, y), end]
        if self._clear(a.col, ra, rb):
            y = self.hchannel(near_b) + self._track(("h", near_b), 2.0)
            return [start, (xa, y), (xb, y), end]
        if a.col < b.col:
            gutter = b.col
        elif a.col > b.col:
            gutter = b.col + 1
        else:
            gutter = b.col + 1
        x = self.vchannel(gutter) + self._track(("v", gutter), 2.0)
        y1 = self.hchannel(near_a) + self._track(("h", near_a), 2.0)
        y2 = self.hchannel(near_b) + self._track(("h", near_b), 2.0)
        return [start, (xa, y1), (x, y1), (x, y2), (xb, y2), end]


def spread(box: Box, n: int, i: int) -> float:
    """x of the i-th of n attachments on a box's top or bottom edge."""
    if n <= 1:
        return box.cx
    inner = (box.x1 - box.x0) * 0.7
    return box.x0 + (box.x1 - box.x0 - inner) / 2 + inner * i / (n - 1)


def spline(points: list[tuple[float, float]], height: float, head: float = 0.0, tail: float = 0.0) -> str:
    """Graphviz's ``pos`` for an edge along ``points`` (y downwards, turned
    upwards with ``height``): straight pieces as cubic Béziers; with
    ``head``/``tail`` the arrowhead's length at that end (the line stops
    short of the box by that much and the arrow fills the rest). Graphviz
    wants the start point before the end point."""
    pts = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
    if len(pts) < 2:
        pts = [pts[0], (pts[0][0] + 0.1, pts[0][1])]
    prefix = []
    if tail:
        tip = pts[0]
        pts[0] = _pull(pts[1], tip, tail)
        prefix.append(f"s,{tip[0]:.1f},{height - tip[1]:.1f}")
    if head:
        tip = pts[-1]
        pts[-1] = _pull(pts[-2], tip, head)
        prefix.append(f"e,{tip[0]:.1f},{height - tip[1]:.1f}")
    ctrl = [pts[0]]
    for p, q in zip(pts, pts[1:]):
        ctrl += [p, q, q]
    return " ".join(prefix + [f"{x:.1f},{height - y:.1f}" for x, y in ctrl])


def _pull(frm: tuple[float, float], tip: tuple[float, float], length: float) -> tuple[float, float]:
    """The point ``length`` back from ``tip`` towards ``frm`` (at most half way)."""
    dx, dy = tip[0] - frm[0], tip[1] - frm[1]
    d = (dx * dx + dy * dy) ** 0.5 or 1.0
    k = min(length, d / 2) / d
    return tip[0] - dx * k, tip[1] - dy * k


# --------------------------------------------------------------------------- stacks


@dataclass
class Stack:
    """Boxes stacked in columns, each column on its own: a box goes at the
    first free height of its column at or below the height asked for, so a
    tall box in one column leaves the others free (no rows). Between boxes
    of a column there are ``gap`` points, between columns the gutters; an
    edge runs from a box into the gap above or below it, along that gap to
    a gutter (or straight to the other box), and so to the other end, and
    never through a box."""

    col_x: list[tuple[float, float]]
    gap: float
    top: float = 0.0
    boxes: dict[str, Box] = field(default_factory=dict)
    bottom: list[float] = field(default_factory=list)
    _tracks: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.bottom:
            self.bottom = [self.top] * len(self.col_x)

    def put(self, key: str, col: int, h: float, y_min: float = 0.0, halo: float = 0.0) -> Box:
        """A box of height ``h`` (plus ``halo`` all round) in column ``col``,
        at ``y_min`` or lower, below what the column holds already."""
        y = max(self.bottom[col], y_min)
        x0, x1 = self.col_x[col]
        box = Box(key, 0, col, x0 + halo, y + halo, x1 - halo, y + halo + h, h, halo)
        self.bottom[col] = y + h + 2 * halo + self.gap
        self.boxes[key] = box
        return box

    def put_near(self, key: str, col: int, h: float, target: float, halo: float = 0.0,
                 reach: float = 180.0) -> Box:
        """A box of height ``h`` in the free stretch of column ``col``
        nearest to ``target`` (the height of its top wanted), between the
        boxes already there or below them; the stack's columns never move."""
        need = h + 2 * halo
        taken = sorted((b.y0 - b.halo, b.y1 + b.halo) for b in self.boxes.values() if b.col == col)
        floor = max((b.y1 + b.halo for b in self.boxes.values()), default=self.top)
        best, where = None, 0.0
        lo = self.top
        for y0, y1 in taken + [(float("inf"), float("inf"))]:
            hi = y0 - self.gap
            if hi - lo >= need:
                y = min(max(target, lo), hi - need)
                # within the drawing's height rather than below it, unless that is far away
                cost = abs(y - target) + (0 if y + need <= floor else reach)
                if best is None or cost < best:
                    best, where = cost, y
            lo = max(lo, y1 + self.gap)
        x0, x1 = self.col_x[col]
        box = Box(key, 0, col, x0 + halo, where + halo, x1 - halo, where + halo + h, h, halo)
        self.boxes[key] = box
        self.bottom[col] = max(self.bottom[col], where + need + self.gap)
        return box

    def height(self) -> float:
        """The bottom of the lowest box, with half a gap below it."""
        return max((b.y1 + b.halo for b in self.boxes.values()), default=self.top) + self.gap / 2

    # what is free
    def _blocked(self, x0: float, y0: float, x1: float, y1: float, pad: float = 1.5) -> bool:
        xa, xb = sorted((x0, x1))
        ya, yb = sorted((y0, y1))
        for b in self.boxes.values():
            if xa < b.x1 + b.halo + pad and xb > b.x0 - b.halo - pad and \
                    ya < b.y1 + b.halo + pad and yb > b.y0 - b.halo - pad:
                return True
        return False

    def _free_path(self, pts: list[tuple[float, float]], ends: tuple[Box, Box]) -> bool:
        """No piece of the path meets a box, but for the first and last
        pieces' ends on the boxes they join."""
        n = len(pts) - 1
        for i, (p, q) in enumerate(zip(pts, pts[1:])):
            p2, q2 = list(p), list(q)
            if i == 0:  # leave the box it starts on
                p2 = _step(p, q, ends[0].halo + 2.0)
            if i == n - 1:
                q2 = _step(q, p, ends[1].halo + 2.0)
            if self._blocked(p2[0], p2[1], q2[0], q2[1], 1.0):
                return False
        return True

    def gutter(self, c: int) -> float:
        """x of the gutter left of column ``c`` (c == columns: right of the last)."""
        if c <= 0:
            return self.col_x[0][0] - 3
        if c >= len(self.col_x):
            return self.col_x[-1][1] + 3
        return (self.col_x[c - 1][1] + self.col_x[c][0]) / 2

    def _track(self, channel: tuple, spread: float) -> float:
        k = self._tracks.get(channel, 0)
        self._tracks[channel] = k + 1
        return ((k % 5) - 2) * spread

    def side_by_side(self, a: Box, b: Box) -> bool:
        """The two boxes overlap in height enough for a straight line between their sides."""
        lo, hi = max(a.y0, b.y0), min(a.y1, b.y1)
        if a.col == b.col or hi - lo < 8:
            return False
        y = (lo + hi) / 2
        xs, xe = (a.x1 + a.halo, b.x0 - b.halo) if a.col < b.col else (b.x1 + b.halo, a.x0 - a.halo)
        return not self._blocked(xs + 1, y - 2, xe - 1, y + 2, 0.5)

    def route(self, a: Box, b: Box, xa: float | None = None, xb: float | None = None,
              side: bool = False) -> list[tuple[float, float]]:
        xa = a.cx if xa is None else xa
        xb = b.cx if xb is None else xb
        if a is b:  # a loop on the right side
            out = a.x1 + a.halo + 4
            return [(a.x1, a.cy - 5), (out, a.cy - 5), (out, a.cy + 5), (a.x1, a.cy + 5)]
        if side:
            lo, hi = max(a.y0, b.y0), min(a.y1, b.y1)
            mid = (lo + hi) / 2
            y = min(max(mid + self._track(("side", round(lo), round(hi)), 2.5), lo + 3), hi - 3)
            xs, xe = (a.x1 + a.halo, b.x0 - b.halo) if a.col < b.col else (b.x1 + b.halo, a.x0 - a.halo)
            if self._blocked(xs + 1, y - 2, xe - 1, y + 2, 0.5):
                y = mid   # side_by_side found the middle free
            if a.col < b.col:
                return [(a.x1 + a.halo, y), (b.x0 - b.halo, y)]
            return [(a.x0 - a.halo, y), (b.x1 + b.halo, y)]
        down = b.cy > a.cy
        g = self.gap / 2
        start = (xa, a.y1 + a.halo) if down else (xa, a.y0 - a.halo)
        end = (xb, b.y0 - b.halo) if down else (xb, b.y1 + b.halo)
        ya0 = start[1] + g if down else start[1] - g       # the gap next to a, towards b
        yb0 = end[1] - g if down else end[1] + g           # the gap next to b, towards a
        ya = ya0 + self._track(("h", round(ya0)), 1.2)
        yb = yb0 + self._track(("h", round(yb0)), 1.2)
        ends = (a, b)
        # straight down (or up) with one bend in a gap
        for y in (ya, yb):
            pts = [start, (xa, y), (xb, y), end]
            if self._free_path(pts, ends):
                return pts
        # through a gutter beside a or b
        gutters = sorted(range(len(self.col_x) + 1),
                         key=lambda c: (min(abs(self.gutter(c) - xa), abs(self.gutter(c) - xb)), c))
        for c in gutters:
            x = self.gutter(c) + self._track(("v", c), 1.2)
            pts = [start, (xa, ya), (x, ya), (x, yb), (xb, yb), end]
            if self._free_path(pts, ends):
                return pts
            self._tracks[("v", c)] -= 1
        # a gutter beside each, and a height free between them
        ga = min((a.col, a.col + 1), key=lambda c: abs(self.gutter(c) - xb))
        gb = min((b.col, b.col + 1), key=lambda c: abs(self.gutter(c) - xa))
        x1 = self.gutter(ga) + self._track(("v", ga), 1.2)
        x2 = self.gutter(gb) + self._track(("v", gb), 1.2)
        mid = (ya + yb) / 2
        heights = sorted({round(v, 1) for bx in self.boxes.values()
                          for v in (bx.y0 - bx.halo - g, bx.y1 + bx.halo + g)} | {self.height()},
                         key=lambda v: abs(v - mid))
        for y in heights:
            pts = [start, (xa, ya), (x1, ya), (x1, y), (x2, y), (x2, yb), (xb, yb), end]
            if self._free_path(pts, ends):
                return pts
        y = self.height()  # below everything: always free
        return [start, (xa, ya), (x1, ya), (x1, y), (x2, y), (x2, yb), (xb, yb), end]


def _step(p: tuple[float, float], q: tuple[float, float], d: float) -> list[float]:
    """``p`` moved ``d`` towards ``q`` (at most all the way)."""
    dx, dy = q[0] - p[0], q[1] - p[1]
    n = (dx * dx + dy * dy) ** 0.5
    if n <= d or n == 0:
        return [q[0], q[1]]
    return [p[0] + dx * d / n, p[1] + dy * d / n]
