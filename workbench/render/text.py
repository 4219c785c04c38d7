"""Making any user text safe for Graphviz. Whatever a user typed (quotes,
backslashes, braces, angle brackets, control characters, 10,000-character
titles) ends up as text, never as DOT syntax or attributes.

Labels are plain escString text, not HTML-like labels: the in-process
WebAssembly Graphviz is built without the XML parser those need, and both
engines must draw the same picture.

Every attribute string is bounded here: Graphviz 2.43 (still the ``dot`` of
many Linux distributions) rejects a quoted string of more than 16,384 bytes
("syntax error ... scanning a quoted string"), so a tooltip holds at most
``TOOLTIP_BYTES`` and a label at most ``LABEL_BYTES`` bytes as written in the
DOT text (UTF-8, backslashes doubled, quotes escaped), cut with an ellipsis."""

from __future__ import annotations

import re

import graphviz

from ..core.validate import clean_text


TOOLTIP_BYTES = 4000
LABEL_BYTES = 2000
ELLIPSIS = "…"


def dot_bytes(text: str) -> int:
    """The bytes ``text`` takes inside a quoted DOT string once escaped here
    (backslashes doubled) and by the quoting (double quotes escaped)."""
    return len(text.encode("utf-8", "surrogatepass")) + text.count("\\") + text.count('"')


def bound(text: str, limit: int) -> str:
    """``text`` cut (with an ellipsis) so that ``dot_bytes`` of it is at most
    ``limit``; cut between characters, never inside an escape."""
    if len(text) * 4 <= limit or dot_bytes(text) <= limit:
        return text
    budget = limit - dot_bytes(ELLIPSIS)
    used = 0
    for i, ch in enumerate(text):
        used += dot_bytes(ch)
        if used > budget:
            return text[:i].rstrip() + ELLIPSIS
    return text


def attr_text(text: str, limit: int = TOOLTIP_BYTES) -> graphviz.quoting.NoHtml:
    """Text for an escString attribute (tooltip, URL): backslashes doubled so
    that ``\\N``, ``\\l`` and friends stay literal, at most ``limit`` bytes in
    the DOT text, and marked so the graphviz package always quotes it, even
    when it looks like ``<html>``."""
    return graphviz.nohtml(bound(clean_text(text), limit).replace("\\", "\\\\"))


def wrap(text: str, width: int, max_lines: int) -> list[str]:
    """Wrap for a node; beyond ``max_lines`` the last line ends in an
    ellipsis. Long words break after a hyphen where they have one, else at
    the width."""
    tokens: list[tuple[str, bool]] = []  # (piece, joins the previous piece without a space)
    for word in clean_text(text).split():
        pieces = re.findall(r"[^-]*-+|[^-]+$", word) if "-" in word[1:-1] and len(word) > width else [word]
        for i, piece in enumerate(pieces):
            while len(piece) > width:
                tokens.append((piece[:width], i > 0))
                piece, i = piece[width:], 1
            tokens.append((piece, i > 0))
    lines: list[str] = []
    current = ""
    for piece, glued in tokens:
        if not current:
            current = piece
        elif len(current) + (0 if glued else 1) + len(piece) <= width:
            current += piece if glued else " " + piece
        else:
            lines.append(current)
            current = piece
        if len(lines) > max_lines:
            break
    if current and len(lines) <= max_lines:
        lines.append(current)
    lines = lines or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        lines[-1] = (last[: width - 1].rstrip() + "…") if len(last) >= width else last + "…"
    return lines


def esc(text: str, limit: int = LABEL_BYTES) -> str:
    """One line of escString text: XML-clean, at most ``limit`` bytes in the
    DOT text, backslashes doubled so that ``\\N``, ``\\l`` and friends stay
    literal. An empty line is a space: a label starting with an empty line
    ("\\nI") crashes the WebAssembly Graphviz a few drawings later."""
    return (bound(" ".join(clean_text(text).split()), limit) or " ").replace("\\", "\\\\")


def label(*lines: str, limit: int = LABEL_BYTES) -> graphviz.quoting.NoHtml:
    """A multi-line label from lines of plain text (centred), of about
    ``limit`` bytes at most in the DOT text: the line that would pass it is
    cut with an ellipsis and the lines after it are left out."""
    out: list[str] = []
    used = 0
    for line in lines:
        flat = " ".join(clean_text(line).split())
        room = limit - used - (2 if out else 0)  # 2: the "\\n" joining it to the line before
        if dot_bytes(flat) > room:
            out.append(bound(flat, max(room, dot_bytes(ELLIPSIS))))
            break
        out.append(flat)
        used += dot_bytes(flat) + (2 if len(out) > 1 else 0)
    if len(out) > 1:  # an empty line before another crashes the WebAssembly Graphviz a few drawings on
        out = [line or " " for line in out]
    return graphviz.nohtml("\\n".join(line.replace("\\", "\\\\") for line in out))


BLOCK_BYTES = 8000


def lines_label(lines, just: str = "n", limit: int = BLOCK_BYTES) -> graphviz.quoting.NoHtml:
    """A label of many lines (a wrapped title, a table of notes), each line
    ended by ``\\n`` (centred) or joined by ``\\l`` (left-justified, the last
    one ended too), at most ``limit`` bytes in the DOT text: the lines that
    would pass it are left out and the last one kept ends in an ellipsis."""
    sep = f"\\{just}"
    out: list[str] = []
    used = 0
    for line in lines:
        one = esc(line)
        cost = len(one.encode("utf-8")) + one.count('"') + len(sep)
        if used + cost > limit:
            if out:
                out[-1] = out[-1].rstrip(" …") + " …" if not out[-1].endswith("…") else out[-1]
            else:
                out.append(esc(line, limit // 2))
            break
        out.append(one)
        used += cost
    text = sep.join(out)
    return graphviz.nohtml(text + (sep if just == "l" else ""))


def shorten(text: str, limit: int) -> str:
    flat = " ".join(clean_text(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
