"""Word reports: the case tables and figures of a case-study paper, written
from the coded data as a .docx a person can keep editing.

It holds a title page; the company details across firms (as the paper's
Table 1); per firm, its chronology, its routines ("Learning in ...", Tables
2-4), its process diagram and its stage x learning-type matrix; the
institutionalisation of knowledge across firms (Table 5), derived from the
data where the researcher left a field empty; an appendix with the framework
as the study coded it; an appendix with the evidence, each quote cited by
document, paragraph and speaker; and, when the study has codes of its own,
a codebook.

Word's built-in styles throughout (Title, Heading 1-3, Caption, Quote, a
table style), numbered captions as SEQ fields, repeating header rows,
landscape sections for the wide tables. ``template`` takes the styles, page
setup, headers and footers of the user's own document.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import re
import secrets
import tempfile
import types
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import docx
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Inches, Mm, Pt
from docx.text.paragraph import Paragraph
from lxml import etree

from ..core.analysis import derive_summary, dominant_learning_type, firm_counts
from ..core.coding import code_tree, code_use, narrow_firm, require_code
from ..core.errors import InputError, WorkbenchError
from ..core.frameworks import all_stages, vocabulary
from ..core.model import Firm, Study
from ..core.textpos import describe, speaker_at
from ..core.validate import clean_text
from . import docx_xml as X
from .text import shorten

Progress = Callable[[int, int, str], None]

PRINT_PPI = 220  # pixels per printed inch of a figure
FIRMS_PER_TABLE = 6  # cross-firm tables wider than this continue in another table
TWIPS_PER_EMU = 1 / 635
EXAMPLE_CHARS = 300  # an example quote in the codebook is cut to this length
EMU_PER_POINT = 12700
# The first header of the institutionalisation table: what its rows are.
INSTITUTIONALISATION_ROWS = "Aspect of the learning"

# Paper: page size and margins (2.5 cm on A4, 1 inch on Letter: text 16 cm or
# 6.5 in wide in portrait, 24.7 cm or 9 in in landscape).
PAPERS = {
    "a4": (Mm(210), Mm(297), Cm(2.5)),
    "letter": (Inches(8.5), Inches(11), Inches(1)),
}

# A template's parts, bounded before any is decompressed whole (and checked
# again while they are read, since a zip header can lie).
TEMPLATE_PART_LIMIT = 64 * 1024 * 1024
TEMPLATE_TOTAL_LIMIT = 256 * 1024 * 1024
TEMPLATE_PARTS_LIMIT = 2000

# Tables longer than this, and an evidence appendix of more paragraphs, are
# written as XML text to a temporary file and put into the saved document
# as it is written, never held as an element tree.
SPOOL_ROWS = 400
SPOOL_PARAGRAPHS = 2000


@dataclass
class ReportOptions:
    firm_ids: list[str] | None = None
    template: str | Path | None = None
    diagrams: bool = True
    evidence: bool = True
    engine: str = "auto"
    tables_only: bool = False
    progress: Progress | None = None
    today: _dt.date = field(default_factory=_dt.date.today)
    code: str | None = None  # only the events carrying this code in each firm's section and the evidence
    paper: str | None = None  # "a4" or "letter"; None: the template's page size, else A4
    # an "Intercoder agreement" appendix: core.agreement.compare's result, and the two codings' names
    agreement: dict | None = None
    agreement_names: tuple[str, str] = ("this study", "the other coding")
    rules: list | None = None  # renewal rules (core.renewal.Rule); None: resources/renewal/rules.json


_BINARY_PARTS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf", ".svg.bin", ".bin",
                 ".odttf", ".ttf", ".otf", ".fntdata")
_DECL = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _xml_text(data: bytes) -> bytes:
    """An XML part's bytes as UTF-8 for the entity check (a part may be
    written in UTF-16, where ``<!DOCTYPE`` does not appear as ASCII)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(data) > 1 and b"\x00" in data[:4]):
        for enc in ("utf-16", "utf-16-le", "utf-16-be"):
            try:
                return data.decode(enc).encode("utf-8")
            except UnicodeDecodeError:
                continue
    return data


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):,.0f} MB"


def read_template(path: str | Path) -> bytes:
    """The template's bytes as a .docx package, once it is known to be safe
    to open: at most TEMPLATE_PARTS_LIMIT parts, each at most
    TEMPLATE_PART_LIMIT bytes uncompressed and all together at most
    TEMPLATE_TOTAL_LIMIT (by the zip's directory, then again by the bytes
    actually decompressed), and no XML part declaring a DOCTYPE or entities.
    Every XML part is parsed with entities, DTDs and the network off. A
    .dotx comes back as the document it makes. Raises ``InputError``."""
    path = Path(path)
    where = f"{path}: cannot use this file as a template"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the template: {exc.strerror or exc}") from None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            names = [i.filename for i in infos]
            if "[Content_Types].xml" not in names:
                raise zipfile.BadZipFile("it has no [Content_Types].xml")
            if len(infos) > TEMPLATE_PARTS_LIMIT:
                raise InputError(f"{where}: it has {len(infos):,} parts; a Word template has a few dozen "
                                 f"(at most {TEMPLATE_PARTS_LIMIT:,} are accepted)")
            declared = 0
            for info in infos:
                if info.file_size > TEMPLATE_PART_LIMIT:
                    raise InputError(f"{where}: its part {info.filename} would be {_mb(info.file_size)} "
                                     f"uncompressed; a template's parts may be at most "
                                     f"{_mb(TEMPLATE_PART_LIMIT)} each. Nothing was written.")
                declared += info.file_size
            if declared > TEMPLATE_TOTAL_LIMIT:
                raise InputError(f"{where}: its parts would be {_mb(declared)} uncompressed; a template may "
                                 f"be at most {_mb(TEMPLATE_TOTAL_LIMIT)}. Nothing was written.")
            parts: dict[str, bytes] = {}
            total = 0
            for info in infos:
                chunks, size = [], 0
                with zf.open(info) as fh:
                    while True:
                        chunk = fh.read(1 << 20)
                        if not chunk:
                            break
                        size += len(chunk)
                        total += len(chunk)
                        if size > TEMPLATE_PART_LIMIT or total > TEMPLATE_TOTAL_LIMIT:
                            raise InputError(
                                f"{where}: its part {info.filename} decompresses to more than "
                                f"{_mb(min(TEMPLATE_PART_LIMIT, TEMPLATE_TOTAL_LIMIT - total + size))} "
                                f"(its zip header says {_mb(info.file_size)}); a template's parts may be "
                                f"at most {_mb(TEMPLATE_PART_LIMIT)} each and {_mb(TEMPLATE_TOTAL_LIMIT)} "
                                f"together. Nothing was written.")
                        chunks.append(chunk)
                content = b"".join(chunks)
                name = info.filename
                if not name.lower().endswith(_BINARY_PARTS) and _DECL.search(_xml_text(content)):
                    raise InputError(
                        f"{where}: its part {name} declares XML entities (<!DOCTYPE> or <!ENTITY>). "
                        "Word never writes them; they can pull in other files or blow up in memory. "
                        "Save the template again from Word, or choose another. Nothing was written.")
                if name.lower().endswith((".xml", ".rels")):
                    try:
                        etree.fromstring(content, parser)
                    except etree.XMLSyntaxError as exc:
                        raise InputError(f"{where}: its part {name} is not well-formed XML: {exc}. "
                                         "Nothing was written.") from None
                parts[name] = content
        types_xml = parts["[Content_Types].xml"]
        if b"template.main+xml" in types_xml:  # .dotx: same parts, other content type
            parts["[Content_Types].xml"] = types_xml.replace(
                b"wordprocessingml.template.main+xml", b"wordprocessingml.document.main+xml")
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zw:
            for info in infos:
                zw.writestr(info, parts[info.filename])
        return out.getvalue()
    except InputError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, ValueError, NotImplementedError,
            EOFError, OSError, RuntimeError) as exc:
        raise InputError(f"{path}: not a Word document or template (.docx, .dotx): {exc}") from None


def _open_template(path: str | Path) -> docx.document.Document:
    """The user's template, emptied of content but keeping its styles, page
    setup, headers and footers. A .dotx is read as the document it makes."""
    data = read_template(path)
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(f"{path}: not a Word document or template (.docx, .dotx): {exc}") from None
    except Exception as exc:  # python-docx raises several kinds for a broken package
        raise InputError(f"{path}: cannot use this file as a template: {exc}") from None
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    return document


class _Spool:
    """Blocks of WordprocessingML text kept in a temporary file until the
    document is saved; the body holds a placeholder for each."""

    def __init__(self):
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 -- lives as long as the document
        self.blocks: list[tuple[int, int]] = []
        self.token = secrets.token_hex(6)
        # whatever prefix the document gives the w namespace
        self.pattern = re.compile(r'<(?:\w+:)?bookmarkStart [^>]*?(?:\w+:)?name="_lpwraw_' + self.token
                                  + r'_(\d+)"[^>]*/>')

    def add(self, pieces) -> int:
        start = self.file.seek(0, 2)
        for piece in pieces:
            self.file.write(piece.encode("utf-8"))
        self.blocks.append((start, self.file.tell() - start))
        return len(self.blocks) - 1

    def placeholder(self, n: int):
        return etree.fromstring(f'<w:bookmarkStart {X.W_NS} w:id="{900000000 + n}" '
                                f'w:name="_lpwraw_{self.token}_{n}"/>')

    def copy(self, n: int, out) -> None:
        start, length = self.blocks[n]
        self.file.seek(start)
        while length > 0:
            chunk = self.file.read(min(length, 1 << 20))
            if not chunk:
                break
            out.write(chunk)
            length -= len(chunk)

    def save(self, document, path_or_stream) -> None:
        """Save ``document`` with each placeholder replaced by its block,
        written straight into the zip."""
        small = io.BytesIO()
        docx.document.Document.save(document, small)
        small.seek(0)
        with zipfile.ZipFile(small) as zin, zipfile.ZipFile(path_or_stream, "w", zipfile.ZIP_DEFLATED) as zout:
            for item in zin.infolist():
                content = zin.read(item.filename)
                if item.filename != "word/document.xml":
                    zout.writestr(item, content)
                    continue
                text = content.decode("utf-8")
                info = zipfile.ZipInfo(item.filename, date_time=item.date_time)
                info.compress_type = zipfile.ZIP_DEFLATED
                with zout.open(info, "w", force_zip64=True) as out:
                    pos = 0
                    for m in self.pattern.finditer(text):
                        out.write(text[pos:m.start()].encode("utf-8"))
                        self.copy(int(m.group(1)), out)
                        pos = m.end()
                    out.write(text[pos:].encode("utf-8"))


def style_id(doc: docx.document.Document, name: str) -> str:
    """The id of the document's paragraph style ``name`` (a template may
    lack Word's built-in ones: the style is then added, plain)."""
    styles = doc.styles
    try:
        return styles[name].style_id
    except KeyError:
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles["Normal"] if "Normal" in [s.name for s in styles] else None
        if name.startswith("Heading") or name in ("Title", "Subtitle"):
            style.font.bold = True
            style.font.size = Pt({"Title": 24, "Subtitle": 14, "Heading 1": 16,
                                  "Heading 2": 13, "Heading 3": 11}.get(name, 11))
            style.paragraph_format.keep_with_next = True
        if name == "Caption":
            style.font.italic = True
            style.font.size = Pt(9)
        return style.style_id


def table_style_id(doc: docx.document.Document) -> str | None:
    """A grid table style of the document, or None (tables then draw their
    own borders)."""
    for name in ("Light Grid Accent 1", "Table Grid"):
        try:
            style = doc.styles[name]
            if style.type == WD_STYLE_TYPE.TABLE:
                return style.style_id
        except KeyError:
            continue
    return None


CAPTION_ROOM = 1.7 * 72 / 2.54  # points kept under a figure for its caption


class _Writer:
    """Builds the document: one instance per report."""

    def __init__(self, study: Study, options: ReportOptions):
        self.study = study
        self.options = options
        self.voc = vocabulary()
        self.fw = study.framework_def()
        self.doc = _open_template(options.template) if options.template else docx.Document()
        if options.paper is not None and options.paper not in PAPERS:
            raise InputError(f"paper {options.paper!r}: choose one of {', '.join(PAPERS)}")
        self.body = self.doc.element.body
        self.spool: _Spool | None = None  # large tables' XML, until the document is saved
        self._anchor = None  # the body's final w:sectPr, found on first use
        self._width_twips: int | None = None  # content width of the current section
        self.tables = 0
        self.figures = 0
        self.appendices = 0
        self.firms = [f for f in study.firms if options.firm_ids is None or f.id in options.firm_ids]
        self.code = require_code(study, options.code) if options.code else None
        self.style = {
            "title": self._style("Title"), "subtitle": self._style("Subtitle"),
            "h1": self._style("Heading 1"), "h2": self._style("Heading 2"), "h3": self._style("Heading 3"),
            "caption": self._style("Caption"), "quote": self._style("Quote"), "normal": self._style("Normal"),
        }
        self.table_style = self._table_style()
        try:  # no paragraph's first or last line alone at a page's foot or head (unless the template says)
            normal = self.doc.styles["Normal"].paragraph_format
            if normal.widow_control is None:
                normal.widow_control = True
        except KeyError:
            pass

    # ------------------------------------------------------------------ styles and structure

    def _style(self, name: str) -> str:
        return style_id(self.doc, name)

    def _table_style(self) -> str | None:
        return table_style_id(self.doc)

    def _add(self, element) -> None:
        """Insert before the body's final section properties. That element
        stays the body's last child (new sections put theirs in a paragraph),
        so it is looked up once: python-docx's ``body.sectPr`` scans every
        element, which made a large report quadratic."""
        if self._anchor is None:
            last = self.body[-1] if len(self.body) else None
            self._anchor = last if last is not None and last.tag == qn("w:sectPr") else False
        if self._anchor is False:
            self.body.append(element)
        else:
            self._anchor.addprevious(element)

    def _add_xml(self, paragraphs: list[str]) -> None:
        for el in X.fragment(paragraphs):
            self._add(el)

    def _section(self, landscape: bool, first: bool = False) -> None:
        """Start a new page section in the orientation asked for."""
        section = self.doc.sections[-1] if first else self.doc.add_section(WD_SECTION.NEW_PAGE)
        if first:
            self._paper(section)
        width, height = section.page_width, section.page_height
        if width is None or height is None:
            return
        if landscape != (width > height):
            section.page_width, section.page_height = height, width
        section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        self._section_obj = section
        self._width_twips = None

    def _paper(self, section) -> None:
        """A4 (or Letter) with its margins; a template keeps its own page
        size and margins unless a paper is asked for, and then keeps its
        margins."""
        paper = self.options.paper or (None if self.options.template else "a4")
        if paper is None:
            return
        width, height, margin = PAPERS[paper]
        if section.page_width is not None and section.page_height is not None \
                and section.page_width > section.page_height:
            width, height = height, width
        section.page_width, section.page_height = width, height
        if not self.options.template:
            section.left_margin = section.right_margin = margin
            section.top_margin = section.bottom_margin = margin

    def text_width_points(self) -> float:
        """The text width of the current section, in points (what a figure
        is drawn for)."""
        return self._content_width_twips() / 20

    def _body_height_points(self) -> float:
        s = self._last_section()
        try:
            return (s.page_height - s.top_margin - s.bottom_margin) / EMU_PER_POINT
        except TypeError:
            return 9 * 72.0

    def _content_width_twips(self) -> int:
        if self._width_twips is not None:
            return self._width_twips
        s = self._last_section()
        try:
            emu = s.page_width - s.left_margin - s.right_margin
        except TypeError:
            emu = Emu(int(6.3 * 914400))
        self._width_twips = max(int(emu * TWIPS_PER_EMU), 2880)
        return self._width_twips

    def _last_section(self):
        section = getattr(self, "_section_obj", None)
        return section if section is not None else self.doc.sections[-1]

    def _heading(self, text: str, level: int, page_break: bool = False) -> None:
        """A heading, kept on the page of what follows it (whatever the
        template's heading styles say)."""
        ppr = f'<w:pPr><w:pStyle w:val="{self.style[f"h{level}"]}"/><w:keepNext/><w:keepLines/>' + \
              ("<w:pageBreakBefore/>" if page_break else "") + "</w:pPr>"
        self._add_xml([f"<w:p>{ppr}{X.run(text)}</w:p>"])

    def _para(self, text: str, style: str = "normal", keep_next: bool = False, **run_opts) -> None:
        """A paragraph; ``keep_next`` for one that introduces what follows
        (a memo under a heading, a note before a table), so it is never left
        alone at a page's foot."""
        self._add_xml([X.paragraph(X.run(text, **run_opts), self.style[style], keep_next=keep_next,
                                   keep_lines=keep_next)])

    def _caption(self, kind: str, text: str, keep_next: bool | None = None) -> None:
        """A numbered caption: a table's above it, kept with it; a figure's
        under it (kept with what follows only when asked)."""
        if kind == "Table":
            self.tables += 1
            number = self.tables
        else:
            self.figures += 1
            number = self.figures
        keep = kind == "Table" if keep_next is None else keep_next
        self._add_xml([X.caption(kind, number, text, self.style["caption"], keep_next=keep)])

    def _table(self, title: str, header: list, rows: list[list], weights: list[float],
               first_column: bool = False, shades=None) -> None:
        """A captioned table across the text width, columns in proportion to
        ``weights``. Its caption and header row stay with its first row; a
        table that fits in about two thirds of a page is kept on one page.
        A long table is spooled (see ``_Spool``): same XML, never a tree."""
        total = self._content_width_twips()
        widths = [int(total * w / sum(weights)) for w in weights]
        self._caption("Table", title)
        together = len(rows) <= 40 and self._table_height(header, rows, widths) <= 0.66 * self._body_height_points()
        if len(rows) > SPOOL_ROWS:
            self._add_spooled(X.table_xml(header, rows, widths, self.table_style, first_column, shades,
                                          keep_together=together, n_rows=len(rows)))
        else:
            self._add(X.table(header, rows, widths, self.table_style, first_column, shades,
                              keep_together=together))

    @staticmethod
    def _table_height(header: list, rows: list[list], widths: list[int], size: float = 9.0) -> float:
        """About how tall a table prints, in points: each cell's text wrapped
        at about half an em a character, lines of 1.2 em, cell margins."""
        char = size * 0.5
        line = size * 1.2
        height = 0.0
        for row in [header, *rows]:
            tallest = 1
            for value, width in zip(row, widths):
                text = value[0] if isinstance(value, tuple) else str(value)
                per_line = max(1, int((width / 20 - 11) / char))
                lines = sum(max(1, math.ceil(len(part) / per_line)) for part in str(text).split("\n"))
                tallest = max(tallest, lines)
            height += tallest * line + 4
        return height

    def _add_spooled(self, pieces) -> None:
        """Put XML text (a table, or paragraphs each declaring the w
        namespace) into the document when it is saved."""
        if self.spool is None:
            self.spool = _Spool()
            spool = self.spool
            self.doc.save = types.MethodType(lambda document, target: spool.save(document, target), self.doc)
        self._add(self.spool.placeholder(self.spool.add(pieces)))

    def _progress(self, done: int, total: int, label: str) -> None:
        if self.options.progress:
            self.options.progress(done, total, label)

    # ------------------------------------------------------------------ content

    def title_page(self) -> None:
        s = self.study
        self._section(landscape=False, first=True)
        self._para(s.title, "title")
        self._para(f"Organisational learning coded on the {self.fw.name} ({self.fw.id})", "subtitle")
        if s.authors:
            self._para(", ".join(s.authors))
        self._para(self.options.today.strftime("%d %B %Y").lstrip("0"))
        firms = ", ".join(f.name for f in self.firms) or "none"
        self._para(f"Firms: {firms}.")
        self._para(f"Framework: {self.fw.description} ({self.fw.citation_text()})")
        if s.description:
            self._para(s.description)
        if s.coder:
            self._para(f"Coded by {s.coder}.")
        if self.code:
            self._para(f"Limited to the events carrying the code “{self.code.name}” (on the event or on one "
                       "of its quotes): each firm's chronology, diagram and stage by learning type table, "
                       "and the evidence, hold only those events. The tables across firms are of every event.")

    def _chunks(self):
        firms = self.firms
        return [firms[i:i + FIRMS_PER_TABLE] for i in range(0, len(firms), FIRMS_PER_TABLE)] or [[]]

    def company_details(self) -> None:
        self._heading("Company details", 1, page_break=not self.options.tables_only or self.tables > 0)
        firms = self.firms
        voc = self.voc
        profile_keys = [k for k in voc.ids("profile_fields") if any(k in (f.profile or {}) for f in firms)]
        attr_keys: list[str] = []
        for f in firms:
            for k in (f.attributes or {}):
                if k not in attr_keys:
                    attr_keys.append(k)
        for i, chunk in enumerate(self._chunks()):
            header = ["Background"] + [f.name for f in chunk]
            rows = []
            for k in profile_keys:
                rows.append([voc.label("profile_fields", k)] + [_value((f.profile or {}).get(k)) for f in chunk])
            for k in attr_keys:
                rows.append([k] + [_value((f.attributes or {}).get(k)) for f in chunk])
            learning = []
            for f in chunk:
                given = (f.summary or {}).get("learning_type")
                learning.append(given if given else _derived(self._type_label(f)))
            rows.append(["Type of learning"] + learning)
            title = "Company details" if i == 0 else "Company details (continued)"
            self._table(title, header, rows, [1.3] + [1.0] * len(chunk), first_column=True)

    def _type_label(self, firm: Firm) -> str:
        t = dominant_learning_type(firm)
        if t is None:
            return "not yet coded"
        term = self.voc.term("learning_types", t)
        return f"{term.label} ({term.extra.get('short', '')})"

    def _shown(self, firm: Firm) -> Firm:
        """The firm as its section and the evidence show it: only the events
        carrying the report's code, when it has one."""
        return narrow_firm(firm, self.code.id) if self.code else firm

    def _limit_note(self) -> str:
        if not self.code:
            return ""
        return f", only the events coded “{self.code.name}”"

    def firm_section(self, whole: Firm) -> None:
        voc = self.voc
        firm = self._shown(whole)
        self._section(landscape=True)
        t = dominant_learning_type(whole)
        heading = f"{firm.name}: {voc.label('learning_types', t).lower()} learning" if t else firm.name
        self._heading(heading, 1)
        if firm.memo:
            self._para(firm.memo, keep_next=True)

        self._heading("Chronology", 2)
        if self.code:
            n, of = len(firm.event_list), len(whole.event_list)
            if n == 0:
                note = f"No event of this firm carries the code “{self.code.name}”."
            else:
                note = (f"{n} of the firm's {of} event{'s' if of != 1 else ''} "
                        f"carr{'y' if n != 1 else 'ies'} the code “{self.code.name}”.")
            self._add_xml([X.paragraph(X.run(note), self.style["normal"], keep_next=True)])  # with its table
        rows = []
        shades = {}
        for r, e in enumerate(firm.event_list):
            title = e.title + (" (critical incident)" if e.is_critical else "")
            rows.append([
                e.time_label() or "–",
                (title, {"bold": e.is_critical}),
                voc.label("phases", e.phase) if e.phase else "–",
                ", ".join(all_stages()[s].label for s in e.stages or () if s in all_stages()) or "not coded",
                voc.label("levels", e.effective_level()) if e.effective_level() else "–",
                ", ".join(voc.label("learning_types", lt) for lt in e.learning_types or ()) or "–",
                ", ".join(firm.source(s).name if firm.source(s) else s for s in e.sources or ()) or "–",
            ])
            if e.is_critical:
                shades[(r, 1)] = _docx_colour("critical_row")
        self._table(f"Chronology of {firm.name}{self._limit_note()}",
                    ["When", "Event", "Phase", "Stage(s)", "Level", "Learning type(s)", "Knowledge sources"],
                    rows, [1.2, 1.9, 1.75, 1.6, 1.25, 1.2, 2.1], shades=shades)

        self._heading(f"Learning in {firm.name}", 2)
        rows = []
        for r in whole.routine_list:
            rows.append([(r.name, {"bold": True}), r.activity or "–", r.outcome or "–",
                         ", ".join(firm.source(s).name if firm.source(s) else s for s in r.sources or ()) or "–"])
        if rows:
            self._table(f"Learning in {firm.name}",
                        ["Organisational routine", "Organisational activity", "Learning outcome", "Knowledge source"],
                        rows, [1.6, 2.6, 2.6, 1.9], first_column=True)
        else:
            self._para("No routines have been recorded for this firm.")

        if self.options.diagrams:
            self._figure(firm)

        self._heading("Stages and learning types", 2)
        counts = firm_counts(firm, self.fw)
        types = list(voc.ids("learning_types"))
        rows = []
        for stage in self.fw.stage_ids:
            cells = counts["matrix"][stage]
            rows.append([all_stages()[stage].label] + [str(cells[t]) for t in types] + [str(sum(cells.values()))])
        totals = [str(sum(counts["matrix"][s][t] for s in self.fw.stage_ids)) for t in types]
        rows.append([("Total", {"bold": True})] + totals + [str(sum(int(x) for x in totals))])
        self._table(f"Stage by learning type in {firm.name} (each event by its primary stage and type"
                    f"{self._limit_note()})",
                    ["Stage"] + [voc.label("learning_types", t) for t in types] + ["Total"],
                    rows, [2.0] + [1.0] * (len(types) + 1), first_column=True)
        f = counts["flows"]
        if self.code:
            basis = ("the firm's links, directly or through events left out" if whole.link_list
                     else "each event and the next one shown")
        else:
            basis = "explicit links" if firm.link_list else "each event and the next"
        self._para(f"Flows between linked events ({basis}): feed-forward {f['feed_forward']}, "
                   f"feedback {f['feedback']}, within stage {f['within']}.")

    def _figure(self, firm: Firm) -> None:
        """The firm's learning process, drawn for the text width: one figure,
        or several parts each captioned "(continued)"; each placed at its
        natural size, with the full text of any numbered label in a table
        under it."""
        from . import diagram

        self._section(landscape=False)  # the figures run down a portrait page
        self._heading("Learning process", 2)
        caption = f"Learning process of {firm.name} ({self.fw.name})"  # the figure's key explains its marks
        room = self._body_height_points() - CAPTION_ROOM  # the page's text height, less the caption's
        figures = diagram.process_figures(self.study, firm, diagram.Options(width=self.text_width_points(),
                                                                            height=room))
        for fig in figures:
            self._place_figure(fig, caption, f"the diagram of firm {firm.id!r}",
                               short=f"Learning process of {firm.name}", tail=self._limit_note())

    def _place_figure(self, fig, caption: str, what: str, short: str = "", tail: str = "") -> None:
        """One part of a figure (``diagram.Figure``): the picture at its
        natural size, its caption (``caption`` on the first part, ``short``
        "(continued)" on the others, each naming its part and span, then
        ``tail``), and its notes as a numbered table."""
        from .engine import draw, png, svg_size_points

        try:
            svg = draw(fig.graph.source, "svg", engine=self.options.engine).data
            w_pt, _h_pt = svg_size_points(svg)
            width_pt = min(w_pt, self.text_width_points())  # its natural size (drawn to fit the width)
            image = png(svg, dpi=max(10, min(600, round(PRINT_PPI * width_pt / w_pt))))
        except WorkbenchError as exc:
            raise WorkbenchError(f"{what} could not be drawn: {exc.message}") from None
        p = X.fragment([X.paragraph("", keep_next=True, align="center")])[0]
        self._add(p)
        Paragraph(p, self.doc._body).add_run().add_picture(io.BytesIO(image), width=Emu(int(width_pt * EMU_PER_POINT)))
        text = caption
        if getattr(fig, "parts", 1) > 1:
            part = f"; part {fig.part} of {fig.parts}" + (f", {fig.span}" if fig.span else "")
            text = f"{caption}{part}" if fig.part == 1 else f"{short or caption} (continued){part}"
        text += tail
        notes = list(getattr(fig, "notes", None) or [])
        self._caption("Figure", text, keep_next=bool(notes))
        if notes:
            self._table(f"Labels of Figure {self.figures} in full (numbered in the figure)",
                        ["No.", "Label"], [[str(n), full] for n, full in notes], [0.6, 7.0])

    def institutionalisation(self) -> None:
        voc = self.voc
        self._section(landscape=len(self.firms) > 3)
        self._heading("The institutionalisation of knowledge", 1)
        derived_any = False
        derived = {f.id: derive_summary(f) for f in self.firms}
        for i, chunk in enumerate(self._chunks()):
            rows = []
            for key in voc.ids("summary_fields"):
                row = [voc.label("summary_fields", key).upper()]
                for f in chunk:
                    given = (f.summary or {}).get(key)
                    if given:
                        row.append(given)
                    elif key in derived[f.id]:
                        row.append(_derived(derived[f.id][key]))
                        derived_any = True
                    else:
                        row.append("–")
                rows.append(row)
            title = "The institutionalisation of knowledge" + (" (continued)" if i else "")
            self._table(title, [INSTITUTIONALISATION_ROWS] + [f.name for f in chunk], rows,
                        [1.6] + [1.0] * len(chunk), first_column=True)
        if derived_any:
            self._para("Entries in grey italics marked “derived” were left empty in the study; the "
                       "workbench read them from the coded events, sources and routines. Check them "
                       "before use.", italic=True)

    def framework_appendix(self) -> None:
        voc = self.voc
        fw = self.fw
        self._section(landscape=False)
        self._heading(self._appendix_title(f"The framework as coded: {fw.name}"), 1)
        self._para(f"{fw.description} Source: {fw.citation_text()}", keep_next=True)
        if self.options.diagrams and not self.options.tables_only:
            from . import diagram
            if hasattr(diagram, "framework_figures"):
                for fig in diagram.framework_figures(self.study, None, width=self.text_width_points()):
                    self._place_figure(fig, f"The {fw.name} as coded in this study: each stage at its level "
                                            "with the events coded to it, and the flows between stages "
                                            "with their counts",
                                       "the framework figure")
        self._heading("Stages", 2)
        rows = [[(s.label, {"bold": True}), voc.label("levels", s.default_level), s.definition,
                 ", ".join(s.inputs_outcomes)] for s in fw.stages]
        self._table(f"The stages of the {fw.name}", ["Stage", "Level", "Definition", "Inputs and outcomes"],
                    rows, [1.8, 1.3, 3.1, 1.6], first_column=True)
        self._heading("Levels", 2)
        rows = [[(lv.label, {"bold": True}), lv.definition] for lv in fw.levels]
        self._table("Levels of learning", ["Level", "Definition"], rows, [1.7, 5.0], first_column=True)
        self._heading("Types of learning", 2)
        rows = [[(t.label, {"bold": True}), f"{t.definition}", "\n\n".join(t.extra.get("examples", []))]
                for t in voc.learning_types]
        self._table("Types of learning", ["Type", "Definition", "Examples"], rows, [1.3, 2.9, 3.0],
                    first_column=True)
        self._heading("The renewal process", 2)
        rows = [[(p.label, {"bold": True}), p.definition, "\n\n".join(p.extra.get("managerial_actions", []))]
                for p in voc.phases]
        self._table("Phases of strategic renewal and managerial actions",
                    ["Phase", "What happens", "Managerial actions"], rows, [1.85, 2.4, 2.95], first_column=True)
        self._heading("References", 2)
        cited = {fw.citation, "crossan1999", "jones2006"} | {s.citation for s in fw.stages}
        cited |= {t.extra.get("origin") for t in voc.learning_types if t.extra.get("origin")}
        refs = sorted(voc.citations[c] for c in cited if c in voc.citations)
        self._add_xml([X.paragraph(X.run(r), self.style["normal"]) for r in refs])

    def _appendix_title(self, name: str) -> str:
        self.appendices += 1
        return f"Appendix {chr(ord('A') + self.appendices - 1)}. {name}"

    def _cite(self, ev, docs: dict) -> str:
        """Where a quote is, for a reader: an anchored quote as document,
        paragraph and speaker (never its character offsets); otherwise its
        speaker, document and location as the study gives them."""
        doc = docs.get(ev.document) if ev.document else None
        anchored = (doc is not None and ev.start is not None and ev.end is not None
                    and 0 <= ev.start <= ev.end <= len(doc.text))
        if anchored:
            speaker = ev.speaker or speaker_at(doc.text, ev.start)  # who speaks there, by the transcript
            parts = [describe(doc.name, doc.text, ev.start, ev.end, speaker)]
        else:
            parts = [ev.speaker or "unattributed"]
            if ev.document:
                parts.append(doc.name if doc else ev.document)
        if ev.location:
            parts.append(ev.location)
        return "; ".join(parts)

    def evidence_appendix(self) -> None:
        self._section(landscape=False)
        self._heading(self._appendix_title("Evidence"), 1)
        docs = {d.id: d for d in self.study.document_list}
        paras: list[str] = []
        any_quote = False
        h2, h3, quote = self.style["h2"], self.style["h3"], self.style["quote"]
        for firm in self.firms:
            with_quotes = [e for e in self._shown(firm).event_list if e.evidence]
            if not with_quotes:
                continue
            paras.append(X.paragraph(X.run(firm.name), h2, keep_next=True))
            for e in with_quotes:
                when = f" ({e.time_label()})" if e.time_label() else ""
                paras.append(X.paragraph(X.run(f"{e.title}{when}"), h3, keep_next=True))
                for ev in e.evidence:
                    any_quote = True
                    attribution = f" — {self._cite(ev, docs)}"
                    paras.append(X.paragraph(X.run(f"“{ev.quote}”") + X.run(attribution, italic=True), quote))
                if len(paras) >= SPOOL_PARAGRAPHS:  # a long appendix: written out as it goes
                    self._add_spooled(f"<w:p {X.W_NS}>" + p[5:] for p in paras)
                    paras = []
        if not any_quote:
            paras.append(X.paragraph(X.run("No quotes have been recorded for these firms."), self.style["normal"]))
        if paras:
            self._add_xml(paras)

    def codebook_appendix(self) -> None:
        """The study's codes as a tree, with how often each is used and an
        example quote."""
        self._section(landscape=False)
        self._heading(self._appendix_title("Codebook"), 1)
        scope = "the firms in this report" if self.options.firm_ids else "all firms"
        self._para("The study's own codes, each under the code it belongs to. Counts are over "
                   f"{scope}. Events: the events carrying the code, on the event itself or on one "
                   "of its quotes; each event counts once. Quotes: the quotes carrying the code, "
                   "themselves or because their event carries it. Passages: the passages of the "
                   "documents coded with it that are not quotes of an event. A code counts only "
                   "where it is used, not where one of the codes under it is. The example is the "
                   "first quote carrying the code in the order of this report (firm, event, "
                   "quote), else the first coded passage.", keep_next=True)
        use = code_use(self.study, self.options.firm_ids)
        rows = []
        for row in code_tree(self.study):
            code, u = row.code, use[row.code.id]
            example = "–"
            if u.example is not None:
                who = [p for p in (u.example.speaker, u.example.document, u.example.place) if p]
                example = f"“{shorten(u.example.text, EXAMPLE_CHARS)}”"
                if who:
                    example += f"\n— {', '.join(who)}"
            rows.append([("\u00a0" * 4 * row.depth + code.name, {"bold": row.depth == 0}),
                         code.description or "–", str(u.events), str(u.quotes), str(u.passages), example])
        self._table("The codebook: each code with the events, quotes and passages carrying it, and an example",
                    ["Code", "Description", "Events", "Quotes", "Passages", "Example"],
                    rows, [1.15, 1.35, 0.85, 0.85, 1.0, 2.0], first_column=True)

    def agreement_appendix(self) -> None:
        """Intercoder agreement with another coding of the study
        (``options.agreement``, as ``core.agreement.compare`` gives it): per
        dimension the units, agreement, kappa, alpha and disagreements,
        overall and per firm of this report."""
        from ..core.agreement import LABELS

        result = self.options.agreement
        a_name, b_name = self.options.agreement_names
        self._section(landscape=False)
        self._heading(self._appendix_title("Intercoder agreement"), 1)
        only_a, only_b = len(result.get("only_in_a", ())), len(result.get("only_in_b", ()))
        disagreements = result.get("disagreements", [])
        self._para(
            f"Coder A: {a_name}. Coder B: {b_name}. The units are the {result['units']} events present in both "
            f"codings, matched by firm and event id ({only_a} only in A, {only_b} only in B). For each "
            "dimension: the units both coders coded, percent agreement (the share coded alike), Cohen's kappa "
            "and Krippendorff's alpha (nominal distance; MASI distance for the sets), and the number of events "
            "coded differently. An event left uncoded on a dimension by either coder is left out of that "
            "dimension. A dash: the measure is undefined (no units, or only one category used). "
            f"{len(disagreements)} disagreement{'s' if len(disagreements) != 1 else ''} in all.", keep_next=True)

        def count(firm: str | None) -> dict:
            out: dict[str, int] = {}
            for d in disagreements:
                if firm is None or d.get("firm") == firm:
                    out[d["dimension"]] = out.get(d["dimension"], 0) + 1
            return out

        def rows(dims: dict, counts: dict) -> list[list]:
            return [[(LABELS.get(dim, dim), {"bold": True}), str(m["units"]), _pct(m["agreement"]),
                     _num(m["cohen_kappa"]), _num(m["krippendorff_alpha"]), str(counts.get(dim, 0))]
                    for dim, m in dims.items()]

        header = ["Dimension", "Units", "Agreement", "Cohen's kappa", "Krippendorff's alpha", "Disagreements"]
        weights = [2.4, 0.8, 1.1, 1.1, 1.3, 1.3]
        self._table(f"Intercoder agreement by dimension, all firms compared ({a_name} and {b_name})",
                    header, rows(result["dimensions"], count(None)), weights, first_column=True)
        names = {f.id: f.name for f in self.study.firms}
        shown = {f.id for f in self.firms}
        for fid, firm in result.get("firms", {}).items():
            if fid not in shown:
                continue
            self._table(f"Intercoder agreement by dimension in {names.get(fid, fid)}",
                        header, rows(firm["dimensions"], count(fid)), weights, first_column=True)

    # ------------------------------------------------------------------ whole documents

    def report(self) -> docx.document.Document:
        codebook = bool(self.study.code_list)
        agreement = self.options.agreement is not None
        steps = 3 + len(self.firms) + (1 if self.options.evidence else 0) + (1 if codebook else 0) + agreement
        done = 0
        self.title_page()
        self.company_details()
        done += 1
        self._progress(done, steps, "company details")
        for firm in self.firms:
            self.firm_section(firm)
            done += 1
            self._progress(done, steps, f"firm {firm.id}")
        self.institutionalisation()
        self.renewal_table()
        if self.options.diagrams:
            self.renewal_figure()
        done += 1
        self._progress(done, steps, "institutionalisation")
        self.framework_appendix()
        done += 1
        self._progress(done, steps, "framework")
        if self.options.evidence:
            self.evidence_appendix()
            done += 1
            self._progress(done, steps, "evidence")
        if codebook:
            self.codebook_appendix()
            done += 1
            self._progress(done, steps, "codebook")
        if agreement:
            self.agreement_appendix()
            done += 1
            self._progress(done, steps, "intercoder agreement")
        self._metadata()
        return self.doc

    def cross_case_tables(self) -> docx.document.Document:
        self._section(landscape=len(self.firms) > 3, first=True)
        self._para(self.study.title, "title")
        self.company_details()
        self._progress(1, 2, "company details")
        self.institutionalisation()
        self._progress(2, 3, "institutionalisation")
        self.renewal_table()
        self._progress(3, 3, "renewal")
        self._metadata()
        return self.doc

    def renewal_table(self) -> None:
        """The firms side by side on the renewal path (``core.renewal``):
        each phase's time and number of events, and the findings."""
        from ..core.renewal import cross_firm, cross_firm_table

        self._section(landscape=True)
        self._heading("Renewal across firms", 1)
        study = Study(self.study.title, self.study.framework, list(self.firms))
        header, rows = cross_firm_table(cross_firm(study, self.options.rules))
        rows = [[c.replace("\n", "\n\n") for c in r] for r in rows]
        self._table("Renewal across firms: the phases (Jones & Macpherson 2006) and the findings", header,
                    rows, [0.8, 1.1, 1.1, 1.2, 1.7, 2.5], first_column=True)
        self._para("A phase shows its dates (or, without dates, the events' own time words) and its number "
                   "of events; “–”: no event of the firm is in it. Findings come from the rules in "
                   "resources/renewal/rules.json; 'workbench renewal STUDY --firm ID' gives each one's "
                   "reason and basis.", italic=True)

    def renewal_figure(self) -> None:
        """The firms' renewal paths side by side (``render.renewal_figure``):
        one lane per firm, aligned on each firm's critical incident, drawn
        for the text width with its events listed by number."""
        from types import SimpleNamespace

        from .renewal_figure import renewal_graph, renewal_windows

        width = self.text_width_points()
        windows = renewal_windows(self.study, list(self.firms), width=width)
        for part, window in enumerate(windows, 1):
            graph = renewal_graph(self.study, list(self.firms), width=width, window=window,
                                  title=part == 1)
            span = f"positions {window[0]:+d} to {window[1]:+d}".replace("+0 ", "0 ")
            fig = SimpleNamespace(graph=graph, parts=len(windows), part=part, span=span, notes=[])
            self._place_figure(fig, "Renewal paths of the firms side by side, each aligned on its critical "
                               "incident (position 0); the shading shows each event's phase",
                               "the renewal figure", short="Renewal paths of the firms")

    def _metadata(self) -> None:
        props = self.doc.core_properties
        props.title = clean_text(self.study.title)[:250]
        props.author = clean_text(", ".join(self.study.authors or []))[:250]
        props.comments = "Written by the Learning Process Workbench"


def _value(v) -> str:
    if v is None or v == "":
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


def _pct(x) -> str:
    return "–" if x is None else f"{x * 100:.1f}%"


def _num(x) -> str:
    return "–" if x is None else f"{x:.3f}"


def _derived(text: str):
    return (f"{text} (derived)", {"italic": True, "colour": _docx_colour("derived_text")})


def _docx_colour(name: str) -> str:
    """A colour of vocabulary.json as Word writes it (RRGGBB, no '#')."""
    return vocabulary().colour(name).lstrip("#")


def build(study: Study, options: ReportOptions) -> docx.document.Document:
    """The whole report, or with ``tables_only`` the cross-case tables."""
    writer = _Writer(study, options)
    return writer.cross_case_tables() if options.tables_only else writer.report()


def to_bytes(document: docx.document.Document) -> bytes:
    """The saved document (with any spooled tables in place)."""
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


__all__ = ["INSTITUTIONALISATION_ROWS", "PAPERS", "ReportOptions", "build", "read_template", "to_bytes"]
