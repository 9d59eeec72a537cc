"""The year-end summary report (Biểu mẫu 03 of plan 44-KH/ĐU) as a Word document.

The content comes whole from ``sync.model.Report``; this module only lays it out, following
the form and the party's document conventions (Hướng dẫn 36-HD/VPTW): A4 portrait, Times
New Roman 14 pt (13 pt in tables), margins 2 cm top/bottom/right and 3 cm left.

Layout, in order:
- header: a borderless two-column table; left the parent body (upper case, when given),
  the body (upper case, bold) and "*"; right "ĐẢNG CỘNG SẢN VIỆT NAM" (bold, underlined)
  and the italic "<place>, ngày 18 tháng 11 năm 2026" line from ``report.as_of`` (a day
  below 10 and the months 1 and 2 take a leading zero, as the conventions ask);
- the title "BÁO CÁO", the report's name with the body and the year, and "-----";
- the sections in their order. Headings use Word's "Heading 1"/"Heading 2" styles (restyled
  black Times New Roman, so Word's navigation pane shows the outline). A level-1 heading
  prints its number as given ("I. Khái quát tình hình"); a level-2 heading prints only
  the part after the last dot ("III.2" -> "2. Việc tổ chức ..."), since it sits under its
  roman heading. Under a heading: its sentences (justified, first-line indent), its figures
  as a table "Nội dung | Số lượng | Trên tổng số | Tỷ lệ", its quotes as "- <chi bộ>:
  <text>", and, for ``for_staff`` sections, a grey italic note holding ``STAFF_MARKER``
  followed by empty dotted lines to write on;
- the targets: a level-2 block "Kết quả thực hiện các mục tiêu năm <year>" just before
  section "IV" (without "IV": before "VII", else at the end). It continues the numbering
  of the level-2 section just before it (after "III.5" it is "6."), unnumbered otherwise;
- section "VII" (appendix): the statistics form's title, then a table "MÃ QR | ĐƯỜNG DẪN"
  with the QR code (3.5 cm wide) and the link (a sentence of the section that is just the
  link is not printed twice); without a configured link, one staff note saying so (in
  place of the section's generic one);
- the signature block: "Nơi nhận:" on the left, "T/M ĐẢNG ỦY" (ward) or "T/M CHI ỦY"
  (branch) and "BÍ THƯ" on the right.

Respondent text (quotes) is inserted as plain runs: nothing in it is interpreted (a leading
"=" stays text, "<b>" is escaped by the XML writer). Characters XML 1.0 cannot hold are
dropped from every text (``xml_safe``). The bytes are deterministic: the same report gives
the same file (fixed core properties and zip timestamps taken from ``report.as_of``).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import segno
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Row
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table as DocxTable
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from sync.fsutil import private_dir, write_atomic
from sync.model import Figure, Quote, Report, ReportSection, TargetLine

# the project's one QR function (`kns qr` draws the same codes); qr_png stays importable here
from sync.outputs.qr_page import QR_WIDTH_CM, qr_png
from sync.report import STAFF_MARKER, STAFF_REASON

# Found by tests and by other outputs (the report tab) to tell the places staff must write.
NO_FORM_LINK = "chưa khai báo đường dẫn biểu mẫu thống kê trong cấu hình"
QR_TOO_LONG = "(Đường dẫn quá dài, không tạo được mã QR)"

AUTHOR = "kynangso-sync"
CAMPAIGN = "Đảng viên tiên phong học tập kỹ năng số"
NO_COUNT = "—"

FONT = "Times New Roman"
BODY_PT = 14
TABLE_PT = 13
PAGE_WIDTH_CM, PAGE_HEIGHT_CM = 21.0, 29.7
MARGIN_TOP_CM = MARGIN_BOTTOM_CM = MARGIN_RIGHT_CM = 2.0
MARGIN_LEFT_CM = 3.0
TEXT_WIDTH_CM = PAGE_WIDTH_CM - MARGIN_LEFT_CM - MARGIN_RIGHT_CM  # 16 cm
INDENT_CM = 1.0
STAFF_LINES = 3
STAFF_GREY = RGBColor(0x76, 0x76, 0x76)
HEADER_FILL = "D9D9D9"
CORE_TEXT_MAX = 255  # python-docx's (and Word's) limit on a core property

# Not allowed in XML 1.0 (lxml refuses them; lone surrogates cannot even be encoded).
_ILLEGAL_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_THEME_FONT_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def xml_safe(text: str) -> str:
    """``text`` without the characters an XML 1.0 document cannot hold (respondents paste
    control characters; python-docx would raise on them)."""
    return _ILLEGAL_XML_RE.sub("", text)


def report_title(report: Report) -> str:
    """The report's name under "BÁO CÁO" (also the document's title property)."""
    return f"Tổng kết sinh hoạt chuyên đề “{CAMPAIGN}” tại {report.body.strip()} năm {report.year}"


def date_line(report: Report) -> str:
    """The place-and-date line, "Phường Mẫu, ngày 18 tháng 11 năm 2026" (a leading zero
    for a day below 10 and for the months 1 and 2, as the party's conventions write it)."""
    d = report.as_of
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    place = report.place.strip() or "......"
    return f"{place}, ngày {d.day:02d} tháng {month} năm {d.year}"


def format_percent(share: float | None, *, decimals: int = 1) -> str:
    """0.8 -> "80,0%" (Vietnamese decimal comma); "" for None."""
    if share is None:
        return ""
    return f"{share * 100:.{decimals}f}%".replace(".", ",")


def format_target(share: float) -> str:
    """1.0 -> "100%", 0.8 -> "80%", 0.875 -> "87,5%"."""
    value = round(share * 100, 1)
    text = f"{value:.0f}" if value.is_integer() else f"{value:.1f}".replace(".", ",")
    return f"{text}%"


def staff_note(reason: str) -> str:
    """The grey note of a place staff must write: "(Phần này do cán bộ tự viết: …)"."""
    return f"({STAFF_MARKER}: {reason})"


def render_report_docx(report: Report) -> bytes:
    """The report as .docx bytes; the same report gives the same bytes."""
    doc = Document()
    _setup(doc, report)
    _header(doc, report)
    _title(doc, report)
    sections = report.sections
    at = _targets_position(sections)
    for i, section in enumerate(sections):
        if i == at:
            _targets_block(doc, report, sections[i - 1] if i else None)
        _section(doc, report, section)
    if at == len(sections):
        _targets_block(doc, report, sections[-1] if sections else None)
    _signature(doc, report)
    buf = io.BytesIO()
    doc.save(buf)
    return _fixed_zip(buf.getvalue(), report.as_of)


def write_report_docx(report: Report, path: Path) -> Path:
    """Write the report to ``path`` atomically (a temporary file in the same folder, then a
    rename), readable only by the owner like the project's other outputs."""
    path = Path(path)
    data = render_report_docx(report)
    private_dir(path.parent)
    write_atomic(path, lambda f: f.write(data))
    return path


# ---------------------------------------------------------------------------------------
# Document set-up
# ---------------------------------------------------------------------------------------


def _setup(doc: DocxDocument, report: Report) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(PAGE_WIDTH_CM), Cm(PAGE_HEIGHT_CM)
    section.top_margin, section.bottom_margin = Cm(MARGIN_TOP_CM), Cm(MARGIN_BOTTOM_CM)
    section.left_margin, section.right_margin = Cm(MARGIN_LEFT_CM), Cm(MARGIN_RIGHT_CM)

    styles = doc.styles
    defaults = styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
        if rpr is not None:
            _set_fonts(rpr)
    normal = styles["Normal"]
    _set_fonts(normal.element.get_or_add_rPr())
    normal.font.size = Pt(BODY_PT)
    _set_language(normal.element.get_or_add_rPr())
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.0
    for name in ("Heading 1", "Heading 2"):
        style = styles[name]
        _set_fonts(style.element.get_or_add_rPr())
        style.font.size = Pt(BODY_PT)
        style.font.bold = True
        style.font.italic = False
        style.font.color.rgb = RGBColor(0, 0, 0)
        fmt = style.paragraph_format
        fmt.space_before, fmt.space_after = Pt(6), Pt(6)
        fmt.first_line_indent = Cm(INDENT_CM)
        fmt.keep_with_next = True

    props = doc.core_properties
    props.title = _core_text(report_title(report))
    props.subject = "Biểu mẫu 03"
    props.author = AUTHOR
    props.last_modified_by = AUTHOR
    props.comments = ""
    props.keywords = ""
    props.language = "vi-VN"
    props.revision = 1
    stamp = _utc(report.as_of)
    props.created = stamp
    props.modified = stamp
    _drop_thumbnail(doc)


def _set_fonts(rpr: BaseOxmlElement) -> None:
    """Times New Roman for every script, without the theme fonts that would override it."""
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in _THEME_FONT_ATTRS:
        rfonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), FONT)


def _set_language(rpr: BaseOxmlElement) -> None:
    """Vietnamese for Word's spelling and hyphenation."""
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "vi-VN")


def _drop_thumbnail(doc: DocxDocument) -> None:
    """python-docx's template carries the thumbnail of a blank page: file browsers would
    show it for the report."""
    rels = doc.part.package.rels
    for r_id, rel in list(rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del rels[r_id]


def _utc(t: datetime) -> datetime:
    # the core properties are written as UTC ("Z"); a naive time is taken as written
    return t.astimezone(UTC) if t.tzinfo is not None else t


def _core_text(text: str) -> str:
    text = xml_safe(text)
    return text if len(text) <= CORE_TEXT_MAX else text[: CORE_TEXT_MAX - 1] + "…"


def _fixed_zip(data: bytes, stamp: datetime) -> bytes:
    """The package again with every entry dated ``stamp`` (python-docx dates them now)."""
    t = stamp.replace(tzinfo=None)  # local wall time, as Word does
    when = (max(t.year, 1980), t.month, t.day, t.hour, t.minute, t.second)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            dst.writestr(info, src.read(item.filename))
    return out.getvalue()


# ---------------------------------------------------------------------------------------
# Text helpers
# ---------------------------------------------------------------------------------------


def _add_run(
    paragraph: Paragraph,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    size: int | None = None,
    color: RGBColor | None = None,
) -> None:
    run = paragraph.add_run(xml_safe(text))
    if bold:
        run.bold = True
    if italic:
        run.italic = True
    if underline:
        run.underline = True
    if size is not None:
        run.font.size = Pt(size)
    if color is not None:
        run.font.color.rgb = color


def _centred(
    paragraph: Paragraph,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    size: int | None = None,
) -> Paragraph:
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _add_run(paragraph, text, bold=bold, italic=italic, underline=underline, size=size)
    return paragraph


def _body(doc: DocxDocument, text: str = "") -> Paragraph:
    """A justified body paragraph with the first-line indent."""
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    fmt.first_line_indent = Cm(INDENT_CM)
    fmt.space_after = Pt(6)
    if text:
        _add_run(p, text)
    return p


def _staff_place(doc: DocxDocument, reason: str) -> None:
    """A visibly marked empty place: the grey note and dotted lines to write on."""
    p = _body(doc)
    _add_run(p, staff_note(reason), italic=True, color=STAFF_GREY)
    # as many "…" as fit in the text width (one em each), less a margin against wrapping
    dots = "…" * int(TEXT_WIDTH_CM / (BODY_PT * 2.54 / 72) - 2)
    for _ in range(STAFF_LINES):
        line = doc.add_paragraph()
        line.paragraph_format.space_after = Pt(6)
        _add_run(line, dots, color=STAFF_GREY)


# ---------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------


def _table(doc: DocxDocument, widths_cm: Sequence[float], *, grid: bool = True) -> DocxTable:
    table = doc.add_table(rows=0, cols=len(widths_cm))
    if grid:
        table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)  # the grid LibreOffice reads
    return table


def _row(
    table: DocxTable,
    widths_cm: Sequence[float],
    texts: Sequence[str],
    *,
    header: bool = False,
    aligns: Sequence[WD_ALIGN_PARAGRAPH] | None = None,
) -> list[_Cell]:
    cells = table.add_row().cells
    for i, (cell, width, text) in enumerate(zip(cells, widths_cm, texts, strict=True)):
        cell.width = Cm(width)  # Word reads the cells' widths
        if header:
            _shade(cell, HEADER_FILL)  # before vAlign: Word wants tcPr's children in order
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        p = cell.paragraphs[0]
        if header:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif aligns is not None:
            p.alignment = aligns[i]
        _add_run(p, text, bold=header, size=TABLE_PT)
    _row_flags(table.rows[-1]._tr, header=header)
    return cells


def _shade(cell: _Cell, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)


def _row_flags(tr: CT_Row, *, header: bool) -> None:
    """A row never splits across pages; a header row repeats on every page the table
    runs over."""
    tr_pr = tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    if header:
        tr_pr.append(OxmlElement("w:tblHeader"))


def _after_table(doc: DocxDocument) -> None:
    # a little room between a table and what follows it
    doc.add_paragraph().paragraph_format.space_after = Pt(0)


# ---------------------------------------------------------------------------------------
# The parts of the report
# ---------------------------------------------------------------------------------------

_HEADER_WIDTHS = (6.5, 9.5)


def _header(doc: DocxDocument, report: Report) -> None:
    table = _table(doc, _HEADER_WIDTHS, grid=False)
    left, right = table.add_row().cells
    left.width, right.width = Cm(_HEADER_WIDTHS[0]), Cm(_HEADER_WIDTHS[1])
    lines: list[tuple[str, bool]] = []
    if report.parent.strip():
        lines.append((report.parent.strip().upper(), False))
    lines.append((report.body.strip().upper(), True))
    lines.append(("*", False))
    first = True
    for text, bold in lines:
        p = left.paragraphs[0] if first else left.add_paragraph()
        _centred(p, text, bold=bold)
        first = False
    _centred(right.paragraphs[0], "ĐẢNG CỘNG SẢN VIỆT NAM", bold=True, underline=True)
    right.add_paragraph()
    _centred(right.add_paragraph(), date_line(report), italic=True)


def _title(doc: DocxDocument, report: Report) -> None:
    spacer = doc.add_paragraph()
    spacer.paragraph_format.space_after = Pt(6)
    _centred(doc.add_paragraph(), "BÁO CÁO", bold=True, size=BODY_PT + 1)
    _centred(doc.add_paragraph(), report_title(report), bold=True)
    rule = _centred(doc.add_paragraph(), "-----")
    rule.paragraph_format.space_after = Pt(12)


def _heading_text(section: ReportSection) -> str:
    number = section.number.strip()
    if section.level >= 2 and "." in number:
        number = number.rsplit(".", 1)[1]
    title = section.title.strip()
    return f"{number}. {title}" if number else title


def _heading(doc: DocxDocument, text: str, level: int) -> None:
    p = doc.add_paragraph(style="Heading 1" if level <= 1 else "Heading 2")
    p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    _add_run(p, text)


def _section(doc: DocxDocument, report: Report, section: ReportSection) -> None:
    _heading(doc, _heading_text(section), section.level)
    appendix = section.number.strip() == "VII"
    link = report.form_link.strip()
    for sentence in section.sentences:
        # the appendix's table shows the link: a sentence holding just the link would repeat it
        if sentence.strip() and not (appendix and link and sentence.strip() == link):
            _body(doc, sentence)
    if section.figures:
        _figures(doc, section.figures)
    if section.quotes:
        _quotes(doc, section.quotes)
    # an appendix without a link gets its own, more precise note (one note, not two)
    if section.for_staff and not (appendix and not link):
        _staff_place(doc, STAFF_REASON)
    if appendix:
        _appendix(doc, report)


_FIGURE_WIDTHS = (9.0, 2.3, 2.4, 2.3)
_FIGURE_ALIGNS = (
    WD_ALIGN_PARAGRAPH.LEFT,
    WD_ALIGN_PARAGRAPH.CENTER,
    WD_ALIGN_PARAGRAPH.CENTER,
    WD_ALIGN_PARAGRAPH.CENTER,
)


def _figure_cells(figure: Figure) -> tuple[str, str, str, str]:
    label = figure.label.strip()
    if figure.unit.strip():
        label = f"{label} ({figure.unit.strip()})"
    count = NO_COUNT if figure.count is None else str(figure.count)
    total = "" if figure.total is None else str(figure.total)
    return label, count, total, format_percent(figure.rate)


def _figures(doc: DocxDocument, figures: Iterable[Figure]) -> None:
    table = _table(doc, _FIGURE_WIDTHS)
    _row(table, _FIGURE_WIDTHS, ("Nội dung", "Số lượng", "Trên tổng số", "Tỷ lệ"), header=True)
    for figure in figures:
        _row(table, _FIGURE_WIDTHS, _figure_cells(figure), aligns=_FIGURE_ALIGNS)
    _after_table(doc)


def _quotes(doc: DocxDocument, quotes: Iterable[Quote]) -> None:
    for quote in quotes:
        text = quote.text.strip()
        if not text:
            continue
        p = _body(doc)
        branch = quote.branch.strip()
        # respondent text: one plain run, never parsed (python-docx escapes it for XML)
        _add_run(p, f"- {branch}: " if branch else "- ", bold=bool(branch))
        _add_run(p, text)


def _targets_position(sections: Sequence[ReportSection]) -> int:
    """Index of the section the targets block goes before (``len`` for the end)."""
    numbers = [s.number.strip() for s in sections]
    for anchor in ("IV", "VII"):
        if anchor in numbers:
            return numbers.index(anchor)
    return len(sections)


_TARGET_WIDTHS = (4.4, 1.9, 1.7, 1.9, 3.3, 2.8)
_TARGET_ALIGNS = (
    WD_ALIGN_PARAGRAPH.LEFT,
    WD_ALIGN_PARAGRAPH.CENTER,
    WD_ALIGN_PARAGRAPH.CENTER,
    WD_ALIGN_PARAGRAPH.CENTER,
    WD_ALIGN_PARAGRAPH.LEFT,
    WD_ALIGN_PARAGRAPH.LEFT,
)


def _target_cells(line: TargetLine) -> tuple[str, str, str, str, str, str]:
    result = NO_COUNT if line.result is None else format_percent(line.result)
    ratio = f"{line.numerator}/{line.denominator}" if line.denominator else NO_COUNT
    return (
        f"{line.number}. {line.title.strip()}",
        result,
        format_target(line.target),
        ratio,
        line.verdict.strip(),
        line.note.strip(),
    )


def _targets_block(doc: DocxDocument, report: Report, before: ReportSection | None) -> None:
    if not report.targets:
        return
    title = f"Kết quả thực hiện các mục tiêu năm {report.year}"
    number = ""
    if before is not None and before.level >= 2:
        last = before.number.strip().rsplit(".", 1)[-1]
        if last.isdigit():
            number = str(int(last) + 1)
    _heading(doc, f"{number}. {title}" if number else title, 2)
    table = _table(doc, _TARGET_WIDTHS)
    _row(
        table,
        _TARGET_WIDTHS,
        ("Chỉ tiêu", "Kết quả", "Mục tiêu", "Số đạt / Tổng số", "Đánh giá", "Ghi chú"),
        header=True,
    )
    for line in report.targets:
        _row(table, _TARGET_WIDTHS, _target_cells(line), aligns=_TARGET_ALIGNS)
    _after_table(doc)


_QR_WIDTHS = (5.0, 11.0)


def _appendix(doc: DocxDocument, report: Report) -> None:
    link = xml_safe(report.form_link.strip())  # the QR says what the text shows
    if not link:
        _staff_place(doc, NO_FORM_LINK)
        return
    if report.form_title.strip():
        p = _body(doc)
        _add_run(p, report.form_title.strip(), bold=True)
    table = _table(doc, _QR_WIDTHS)
    _row(table, _QR_WIDTHS, ("MÃ QR", "ĐƯỜNG DẪN"), header=True)
    picture_cell, link_cell = _row(table, _QR_WIDTHS, ("", ""))
    picture = picture_cell.paragraphs[0]
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    try:
        png = qr_png(link)
    except segno.DataOverflowError:
        _add_run(picture, QR_TOO_LONG, italic=True, size=TABLE_PT, color=STAFF_GREY)
    else:
        picture.add_run().add_picture(io.BytesIO(png), width=Cm(QR_WIDTH_CM))
    _link(doc, link_cell.paragraphs[0], link)
    _after_table(doc)


def _link(doc: DocxDocument, paragraph: Paragraph, link: str) -> None:
    """The link as text, clickable when it is a web address."""
    text = xml_safe(link)
    if not re.match(r"https?://", text, re.IGNORECASE):
        _add_run(paragraph, text, size=TABLE_PT)
        return
    r_id = doc.part.relate_to(text, RT.HYPERLINK, is_external=True)
    hyperlink = OxmlElement("w:hyperlink")
    hyperlink.set(qn("r:id"), r_id)
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    color = OxmlElement("w:color")
    color.set(qn("w:val"), "0563C1")
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), str(TABLE_PT * 2))
    rpr.extend([color, size, underline])  # the schema's order: color, sz, u
    t = OxmlElement("w:t")
    t.text = text
    run.extend([rpr, t])
    hyperlink.append(run)
    paragraph._p.append(hyperlink)


_SIGNATURE_WIDTHS = (8.0, 8.0)


def _signature(doc: DocxDocument, report: Report) -> None:
    doc.add_paragraph()
    table = _table(doc, _SIGNATURE_WIDTHS, grid=False)
    left, right = table.add_row().cells
    left.width, right.width = Cm(_SIGNATURE_WIDTHS[0]), Cm(_SIGNATURE_WIDTHS[1])
    _add_run(left.paragraphs[0], "Nơi nhận:", bold=True, italic=True, size=TABLE_PT)
    for line in ("- Như trên,", "- Lưu."):
        _add_run(left.add_paragraph(), line, size=TABLE_PT)
    committee = "T/M ĐẢNG ỦY" if report.scope == "ward" else "T/M CHI ỦY"
    _centred(right.paragraphs[0], committee, bold=True)
    _centred(right.add_paragraph(), "BÍ THƯ", bold=True)
    for _ in range(4):  # room for the signature and the seal
        right.add_paragraph()



def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sync.outputs.report_docx PATH`` writes the pickled ``Report`` read from
    standard input to PATH: the cycle renders in a child process so python-docx's tree of a
    province's report (tens of MB) never adds to the daemon's peak memory."""
    import pickle
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("cách dùng: python -m sync.outputs.report_docx ĐƯỜNG_DẪN < báo_cáo.pickle")
        return 2
    report = pickle.load(sys.stdin.buffer)  # from the parent process only
    try:
        write_report_docx(report, Path(args[0]))
    except OSError as e:
        print(f"không ghi được {args[0]}: {e.strerror or e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
