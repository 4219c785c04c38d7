"""Making any user text safe for Graphviz. Whatever a user typed (quotes,
backslashes, braces, angle brackets, control characters, 10,000-character
titles) ends up as text, never as DOT syntax or attributes.

Labels are plain escString text, not HTML-like labels: the in-process
WebAssembly Graphviz is built without the XML parser those need, and both
engines must draw the same picture."""

from __future__ import annotations

import re

import graphviz

from ..core.validate import clean_text


def attr_text(text: str) -> graphviz.quoting.NoHtml:
    """Text for an escString attribute (tooltip, URL): backslashes doubled so
    that ``\\N``, ``\\l`` and friends stay literal, and marked so the graphviz
    package always quotes it, even when it looks like ``<html>``."""
    return graphviz.nohtml(clean_text(text).replace("\\", "\\\\"))


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


def esc(text: str) -> str:
    """One line of escString text: XML-clean, backslashes doubled so that
    ``\\N``, ``\\l`` and friends stay literal."""
    return " ".join(clean_text(text).split()).replace("\\", "\\\\")


def label(*lines: str) -> graphviz.quoting.NoHtml:
    """A multi-line label from lines of plain text (centred)."""
    return graphviz.nohtml("\\n".join(esc(line) for line in lines))


def shorten(text: str, limit: int) -> str:
    flat = " ".join(clean_text(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
