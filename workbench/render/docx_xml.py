"""WordprocessingML built in bulk: tables, paragraphs and caption fields as
XML text, parsed once and put into a python-docx document.

python-docx's ``add_row()`` and ``cell.text`` walk the XML tree for every
cell, which makes a 200-firm study's tables take minutes; one parse of a
whole table takes a fraction of a second. The XML written here is what
python-docx itself would write (and reopens as ordinary Table objects).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from ..core.validate import clean_text

W_NS = nsdecls("w")


def esc(text) -> str:
    """Text for a ``w:t``: XML-clean and escaped."""
    return escape(clean_text(str(text)))


def run(text: str, bold: bool = False, italic: bool = False, colour: str | None = None,
        size_half_points: int | None = None) -> str:
    """A ``w:r`` holding text; newlines become line breaks."""
    props = ""
    if bold or italic or colour or size_half_points:
        props = ("<w:rPr>" + ("<w:b/>" if bold else "") + ("<w:i/>" if italic else "")
                 + (f'<w:color w:val="{colour}"/>' if colour else "")
                 + (f'<w:sz w:val="{size_half_points}"/>' if size_half_points else "") + "</w:rPr>")
    parts = str(text).split("\n")
    body = "<w:br/>".join(f'<w:t xml:space="preserve">{esc(p)}</w:t>' for p in parts)
    return f"<w:r>{props}{body}</w:r>"


def paragraph(runs: str, style_id: str | None = None, keep_next: bool = False,
              align: str | None = None, keep_lines: bool = False) -> str:
    """A ``w:p``. ``keep_next`` keeps it on the page of the paragraph (or
    table row) after it; ``keep_lines`` keeps its own lines together."""
    ppr = ""
    if style_id or keep_next or align or keep_lines:
        ppr = ("<w:pPr>" + (f'<w:pStyle w:val="{style_id}"/>' if style_id else "")
               + ("<w:keepNext/>" if keep_next else "") + ("<w:keepLines/>" if keep_lines else "")
               + (f'<w:jc w:val="{align}"/>' if align else "") + "</w:pPr>")
    return f"<w:p>{ppr}{runs}</w:p>"


def seq_field(name: str, number: int) -> str:
    """A SEQ field (Word numbers captions with it) showing ``number`` until
    Word updates it."""
    return (f'<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            f'<w:r><w:instrText xml:space="preserve"> SEQ {name} \\* ARABIC </w:instrText></w:r>'
            f'<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            f'<w:r><w:t>{number}</w:t></w:r>'
            f'<w:r><w:fldChar w:fldCharType="end"/></w:r>')


def caption(kind: str, number: int, text: str, style_id: str, keep_next: bool) -> str:
    """'Table 3. Text' with the number as a real SEQ field."""
    runs = run(f"{kind} ") + seq_field(kind, number) + run(f". {text}")
    return paragraph(runs, style_id, keep_next=keep_next)


Cell = "str | tuple[str, dict]"  # text, or (text, run options) for emphasis


def _cell(value, width: int, header: bool, shade: str | None, size: int | None,
          keep_next: bool = False) -> str:
    if isinstance(value, tuple):
        text, opts = value
    else:
        text, opts = value, {}
    if header:
        opts = {**opts, "bold": True}
    if size:
        opts = {**opts, "size_half_points": size}
    tcpr = f'<w:tcW w:w="{width}" w:type="dxa"/>'
    if shade:
        tcpr += f'<w:shd w:val="clear" w:color="auto" w:fill="{shade}"/>'
    paras = str(text).split("\n\n")
    body = "".join(paragraph(run(p, **opts) if p else "", keep_next=keep_next) for p in paras)
    return f"<w:tc><w:tcPr>{tcpr}</w:tcPr>{body}</w:tc>"


def table_xml(header: list, rows, widths: list[int], style_id: str | None,
              first_column: bool = False, shades: dict[tuple[int, int], str] | None = None,
              size: int | None = 18, keep_together: bool = False, n_rows: int | None = None):
    """The XML text of a ``w:tbl``, yielded in pieces (a row at a time), so a
    table of 100,000 rows need never be held whole. ``header`` is a repeating
    header row; no row splits across pages; the header is kept with the first
    row (and the caption before it, which keeps with the header), so a table
    never starts at a page's foot. With ``keep_together`` every row but the
    last keeps with the next: the whole table on one page. ``n_rows`` (the
    number of rows, when ``rows`` is an iterator) tells which row is last."""
    shades = shades or {}
    look = (f'<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" '
            f'w:firstColumn="{1 if first_column else 0}" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/>')
    style = f'<w:tblStyle w:val="{style_id}"/>' if style_id else ""
    borders = "" if style_id else (
        "<w:tblBorders>" + "".join(f'<w:{b} w:val="single" w:sz="4" w:space="0" w:color="808080"/>'
                                   for b in ("top", "left", "bottom", "right", "insideH", "insideV"))
        + "</w:tblBorders>")
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    head = [(f'<w:tbl {W_NS}><w:tblPr>{style}<w:tblW w:w="{sum(widths)}" w:type="dxa"/>{borders}'
             f'<w:tblLayout w:type="fixed"/>{look}</w:tblPr><w:tblGrid>{grid}</w:tblGrid>'),
            '<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>']
    head.extend(_cell(h, w, True, None, size, True) for h, w in zip(header, widths))
    head.append("</w:tr>")
    yield "".join(head)
    if n_rows is None:
        rows = list(rows)
        n_rows = len(rows)
    for r, row in enumerate(rows):
        keep = keep_together and r < n_rows - 1
        yield ("<w:tr><w:trPr><w:cantSplit/></w:trPr>"
               + "".join(_cell(v, w, False, shades.get((r, c)), size, keep)
                         for c, (v, w) in enumerate(zip(row, widths)))
               + "</w:tr>")
    yield "</w:tbl>"


def table(header: list, rows: list[list], widths: list[int], style_id: str | None,
          first_column: bool = False, shades: dict[tuple[int, int], str] | None = None,
          size: int | None = 18, keep_together: bool | None = None):
    """A ``w:tbl`` element (see ``table_xml``); ``widths`` in twentieths of
    a point (dxa); text at ``size`` half-points (9 pt). By default a table of
    up to 12 rows is kept on one page."""
    if keep_together is None:
        keep_together = len(rows) <= 12
    return parse_xml("".join(table_xml(header, rows, widths, style_id, first_column, shades, size,
                                       keep_together, len(rows))))


def fragment(xml_paragraphs: list[str]):
    """Parse many paragraphs at once; returns the parsed ``w:p`` elements."""
    wrapper = parse_xml(f"<w:body {W_NS}>{''.join(xml_paragraphs)}</w:body>")
    return list(wrapper)
