"""The offline destination: the summary tabs as one XLSX workbook.

Layout of every sheet: row 1 the update stamp, row 2 the bold header (frozen, with an
autofilter), data from row 3; section headings of a report-shaped tab in bold. Respondent
text is always stored as text, never as a formula. Printed, every sheet is A4 landscape,
one page wide, with rows 1-2 repeated on each page and the tab and time in the page header.
A table's charts are DrawingML charts over the sheet's own cells, right of the table.
The file is written to a temporary file in the same folder and moved into place, so a
reader never sees a half-written workbook. The same tables give the same bytes.

The SpreadsheetML is generated here rather than with openpyxl: the layout is fixed, and
openpyxl kept every cell as an object (a 100,000 x 15 member tab: about 30 s and 500 MB),
while this writer streams each sheet into the zip in chunks (the same tab: under 2 s and
about 20 MB on top of the tables). openpyxl stays a dependency for reading XLSX sources,
and the tests read this file back with it.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import IO

from sync.fsutil import private_dir, remove_stale, write_atomic
from sync.layout import (
    CHART_COLORS,
    CHART_COLUMNS,
    CHART_GAP_ROWS,
    CHART_ROWS,
    FIRST_DATA_ROW,
    HEADER_FILL_RGB,
    HEADER_ROW,
    HIGHLIGHT_FILL_RGB,
    NUMBER_FORMATS,
    STAMP_FONT_RGB,
    STAMP_ROW,
    drawable_charts,
    nfc_named,
    stamp_text,
    table_hash,
    update_time,
)
from sync.model import Chart, ColumnKind, Table

SHEET_TITLE_MAX = 31  # Excel's limit
CELL_TEXT_MAX = 32767  # Excel's limit on characters (UTF-16 units) in one cell

# Printing: A4 landscape, every column on one page across (fitToHeight 0: as many pages
# down as needed), rows 1-2 repeated on every page. The 28-column branch tab printed at
# 100% took 93 pages of headerless fragments.
PAPER_A4 = 9
PAGE_MARGINS_INCH = {"left": 0.4, "right": 0.4, "top": 0.6, "bottom": 0.6}
HEADER_FOOTER_INCH = 0.3
PAGE_FOOTER = "Trang &P / &N"
# Excel refuses a header/footer over 255 characters: the name, even with every "&" doubled,
# and the time leave room
_HEADER_NAME_MAX = 80

# Deflate level, measured on a 100,000 x 15 member tab (51 MB of XML): 1 -> 6.4 MB in 0.2 s,
# 3 -> 5.7 MB in 0.3 s, 6 -> 5.0 MB in 0.9 s. 3 is 11% smaller for little time; 6 would add
# half of the writer's time to save the last 12%.
COMPRESS_LEVEL = 3

_CREATOR = "kynangso-sync"
_TITLE = "Tổng hợp kết quả học tập kỹ năng số"

# A text starting with one of these could be read as a formula by a spreadsheet.
_FORMULA_START = ("=", "+", "-", "@")

# Not allowed in XML 1.0 (openpyxl's list plus lone surrogates, which cannot even be
# encoded as UTF-8, and the non-characters U+FFFE/U+FFFF).
_ILLEGAL_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Excel decodes "_xHHHH_" in cell text; a literal one keeps its "_" escaped as _x005F_.
_OOXML_ESCAPE_RE = re.compile("_x[0-9A-Fa-f]{4}_")

_EXCEL_EPOCH = datetime(1899, 12, 30)
_EXCEL_EPOCH_DATE = _EXCEL_EPOCH.date()
# Excel counts 29/02/1900 as a day; serial numbers before March 1900 are ambiguous.
_FIRST_SERIAL_DATE = date(1900, 3, 1)
# Excel keeps 15 significant digits: a larger integer would be shown altered.
_EXACT_INT_LIMIT = 10**15

# Escaped XML of repeated texts (choice answers, branch names); long texts are rarely
# repeated and are not kept, and the cache is emptied when full so memory stays bounded.
_CACHE_MAX_ENTRIES = 20_000
_CACHE_MAX_TEXT = 256
# A sheet's XML is handed to the zip in pieces of about this many characters.
_FLUSH_PARTS = 32_768
_FLUSH_CHARS = 4 << 20
# Upper bound of one cell's XML in bytes: 32,767 characters of at most 5 bytes escaped.
_MAX_CELL_BYTES = CELL_TEXT_MAX * 5 + 128

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_NS_CHART = "http://schemas.openxmlformats.org/drawingml/2006/chart"
_NS_DRAWING = "http://schemas.openxmlformats.org/drawingml/2006/main"
_NS_SHEET_DRAWING = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# ---------------------------------------------------------------------------------------
# Styles: a fixed table, every cell refers to one of these cellXfs by index
# ---------------------------------------------------------------------------------------

_FONT_PLAIN, _FONT_BOLD, _FONT_STAMP = 0, 1, 2
_FILL_NONE, _FILL_GRAY125, _FILL_HEADER, _FILL_HIGHLIGHT = 0, 1, 2, 3
# "text", "quote" (text that looks like a formula), then one per number format
_VALUE_STYLES: tuple[str, ...] = ("text", "quote", *NUMBER_FORMATS)
# How a data row looks, as bits: 1 the overdue fill, 2 a section heading (bold). Every value
# style exists in the four variants, so the hot loop only picks an index.
_FILLED, _BOLD = 1, 2
_VARIANTS = (0, _FILLED, _BOLD, _FILLED | _BOLD)


def _number_format_ids() -> dict[str, int]:
    ids: dict[str, int] = {}
    custom = 164  # the first id Excel leaves to a workbook's own formats
    for code in NUMBER_FORMATS.values():
        if code == "0":
            ids[code] = 1  # built in
        elif code not in ids:
            ids[code] = custom
            custom += 1
    return ids


class _Xf:
    """One entry of cellXfs."""

    __slots__ = ("num_fmt", "font", "fill", "wrap_centre", "quote")

    def __init__(
        self,
        num_fmt: int = 0,
        font: int = 0,
        fill: int = 0,
        *,
        wrap: bool = False,
        quote: bool = False,
    ) -> None:
        self.num_fmt, self.font, self.fill = num_fmt, font, fill
        self.wrap_centre, self.quote = wrap, quote

    def xml(self) -> str:
        attrs = f'numFmtId="{self.num_fmt}" fontId="{self.font}" fillId="{self.fill}"'
        attrs += ' borderId="0" xfId="0"'
        if self.num_fmt:
            attrs += ' applyNumberFormat="1"'
        if self.font:
            attrs += ' applyFont="1"'
        if self.fill:
            attrs += ' applyFill="1"'
        if self.quote:
            attrs += ' quotePrefix="1"'
        if self.wrap_centre:
            return (
                f'<xf {attrs} applyAlignment="1"><alignment vertical="center" wrapText="1"/></xf>'
            )
        return f"<xf {attrs}/>"


class _Styles:
    """The cellXfs of the workbook and which one a value takes."""

    DEFAULT, STAMP, HEADER = 0, 1, 2

    def __init__(self) -> None:
        self.num_fmt_ids = _number_format_ids()
        self.xfs: list[_Xf] = [
            _Xf(),
            _Xf(font=_FONT_STAMP),
            _Xf(font=_FONT_BOLD, fill=_FILL_HEADER, wrap=True),
        ]
        # (value style, variant) -> xf index; variants 0 and 1 first, as before headings
        self.index: dict[tuple[str, int], int] = {}
        for variant in _VARIANTS:
            fill = _FILL_HIGHLIGHT if variant & _FILLED else _FILL_NONE
            font = _FONT_BOLD if variant & _BOLD else _FONT_PLAIN
            for style in _VALUE_STYLES:
                if style == "text" and not variant:
                    self.index[style, variant] = self.DEFAULT  # most cells: no s attribute
                    continue
                fmt = self.num_fmt_ids.get(NUMBER_FORMATS.get(style, ""), 0)
                self.index[style, variant] = len(self.xfs)
                self.xfs.append(_Xf(fmt, font, fill, quote=style == "quote"))

    def xml(self) -> str:
        custom = [(i, code) for code, i in self.num_fmt_ids.items() if i >= 164]
        num_fmts = "".join(
            f'<numFmt numFmtId="{i}" formatCode="{_escape_attr(code)}"/>' for i, code in custom
        )
        fonts = (
            '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>',
            '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>',
            f'<font><b/><i/><sz val="11"/><color rgb="{STAMP_FONT_RGB}"/>'
            '<name val="Calibri"/><family val="2"/></font>',
        )
        fills = (
            '<fill><patternFill patternType="none"/></fill>',
            '<fill><patternFill patternType="gray125"/></fill>',  # both required by Excel
            _solid_fill(HEADER_FILL_RGB),
            _solid_fill(HIGHLIGHT_FILL_RGB),
        )
        xfs = "".join(x.xml() for x in self.xfs)
        return (
            f'{_XML_DECL}<styleSheet xmlns="{_NS_MAIN}">'
            f'<numFmts count="{len(custom)}">{num_fmts}</numFmts>'
            f'<fonts count="{len(fonts)}">{"".join(fonts)}</fonts>'
            f'<fills count="{len(fills)}">{"".join(fills)}</fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            "</borders>"
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            "</cellStyleXfs>"
            f'<cellXfs count="{len(self.xfs)}">{xfs}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            "</cellStyles>"
            '<dxfs count="0"/><tableStyles count="0"/>'
            "</styleSheet>"
        )


def _solid_fill(rgb: str) -> str:
    return (
        f'<fill><patternFill patternType="solid"><fgColor rgb="{rgb}"/><bgColor rgb="{rgb}"/>'
        "</patternFill></fill>"
    )


# ---------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------


class XlsxDestination:
    """Writes the tables to ``path``, replacing the whole workbook when any tab changed.

    One file holds every tab, so it is all or nothing: the remembered hash covers every tab
    and the file is rewritten when it differs, or when the file was deleted.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.name = f"xlsx:{self.path}"

    def write(
        self, tables: Sequence[Table], previous: Mapping[str, str] | None = None
    ) -> Mapping[str, str] | None:
        tables = nfc_named(tables)  # an NFD title is the same tab, the same hash
        digest = hashlib.sha256("".join(table_hash(t) for t in tables).encode()).hexdigest()
        if previous and previous.get("*") == digest and self.path.exists():
            return None
        self._write_file(tables)
        return {"*": digest}

    def intact(self, previous: Mapping[str, str]) -> bool:
        """Whether the workbook written last time is still there (an idle cycle writes it
        again when a user deleted or moved it)."""
        return not previous or self.path.is_file()

    def cleanup(self) -> list[Path]:
        """Temporary workbooks a process killed in the middle of a write left behind (the
        caller holds the ward's lock: no write of ours is under way)."""
        return remove_stale(self.path.parent, f".{self.path.name}.*.tmp")

    def _write_file(self, tables: Sequence[Table]) -> None:
        _check_tables(tables)
        private_dir(self.path.parent)  # the workbook names members: a private folder
        # streamed straight to the file: the workbook is never held in memory
        write_atomic(self.path, lambda f: _write_package(f, tables), buffering=1 << 20)


def render_workbook(tables: Sequence[Table]) -> bytes:
    """The workbook's bytes: deterministic for the same tables."""
    _check_tables(tables)
    buf = io.BytesIO()
    _write_package(buf, nfc_named(tables))
    return buf.getvalue()


def _check_tables(tables: Sequence[Table]) -> None:
    if not tables:
        raise ValueError("không có bảng nào để ghi")


# ---------------------------------------------------------------------------------------
# The package
# ---------------------------------------------------------------------------------------


def _write_package(stream: IO[bytes], tables: Sequence[Table]) -> None:
    titles = _sheet_titles([t.name for t in tables])
    stamp = max(t.updated_at for t in tables)
    when = _zip_date_time(stamp.replace(tzinfo=None))  # local wall time, as Excel does
    styles = _Styles()
    texts = _TextCache(styles)
    charts = [drawable_charts(t) for t in tables]
    # drawing number of each sheet with charts (1, 2, ...), and its charts' first number
    drawings: dict[int, tuple[int, int]] = {}
    next_chart = 1
    for n, found in enumerate(charts, start=1):
        if found:
            drawings[n] = (len(drawings) + 1, next_chart)
            next_chart += len(found)
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf:

        def put(name: str, xml: str) -> None:
            zf.writestr(_zip_entry(name, when), xml.encode("utf-8"))

        put("[Content_Types].xml", _content_types(len(tables), len(drawings), next_chart - 1))
        put("_rels/.rels", _root_rels())
        put("docProps/core.xml", _core_props(stamp))
        put("docProps/app.xml", _app_props(titles))
        put("xl/workbook.xml", _workbook_xml(tables, titles))
        put("xl/_rels/workbook.xml.rels", _workbook_rels(len(tables)))
        put("xl/styles.xml", styles.xml())
        for n, table in enumerate(tables, start=1):
            info = _zip_entry(f"xl/worksheets/sheet{n}.xml", when)
            # zip64 when the sheet could pass 2 GiB uncompressed, every cell at Excel's limit
            # (from about 13,000 cells): the size is not known before it is written
            cells = (len(table.rows) + 2) * max(len(table.columns), 1)
            large = cells * _MAX_CELL_BYTES >= zipfile.ZIP64_LIMIT
            with zf.open(info, "w", force_zip64=large) as out:
                _write_sheet(out, table, styles, texts, first=n == 1, drawing=n in drawings)
        # the charts' parts after every sheet: a workbook without charts keeps its parts
        for n, (drawing, first_chart) in drawings.items():
            table, title, found = tables[n - 1], titles[n - 1], charts[n - 1]
            numbers = range(first_chart, first_chart + len(found))
            put(f"xl/worksheets/_rels/sheet{n}.xml.rels", _sheet_rels(drawing))
            put(f"xl/drawings/drawing{drawing}.xml", _drawing_xml(table, len(found)))
            put(f"xl/drawings/_rels/drawing{drawing}.xml.rels", _drawing_rels(numbers))
            for number, chart in zip(numbers, found, strict=True):
                put(f"xl/charts/chart{number}.xml", _chart_xml(table, title, chart))


def _zip_entry(name: str, when: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when)  # not the clock: same tables, same bytes
    info.compress_type = zipfile.ZIP_DEFLATED
    info._compresslevel = COMPRESS_LEVEL  # type: ignore[attr-defined]  # no public setter
    info.create_system = 3  # the same bytes whatever system writes them
    info.external_attr = 0o600 << 16
    return info


def _zip_date_time(t: datetime) -> tuple[int, int, int, int, int, int]:
    # the zip format counts years from 1980 to 2107
    t = min(max(t, datetime(1980, 1, 1)), datetime(2107, 12, 31, 23, 59, 58))
    return (t.year, t.month, t.day, t.hour, t.minute, t.second)


def _content_types(n_sheets: int, n_drawings: int = 0, n_charts: int = 0) -> str:
    ct = "application/vnd.openxmlformats-officedocument"
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
        f'ContentType="{ct}.spreadsheetml.worksheet+xml"/>'
        for n in range(1, n_sheets + 1)
    )
    sheets += "".join(
        f'<Override PartName="/xl/drawings/drawing{n}.xml" ContentType="{ct}.drawing+xml"/>'
        for n in range(1, n_drawings + 1)
    )
    sheets += "".join(
        f'<Override PartName="/xl/charts/chart{n}.xml" ContentType="{ct}.drawingml.chart+xml"/>'
        for n in range(1, n_charts + 1)
    )
    return (
        f"{_XML_DECL}"
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.spreadsheetml.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{ct}.spreadsheetml.styles+xml"/>'
        f"{sheets}"
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        f'<Override PartName="/docProps/app.xml" ContentType="{ct}.extended-properties+xml"/>'
        "</Types>"
    )


def _root_rels() -> str:
    return (
        f'{_XML_DECL}<Relationships xmlns="{_NS_PKG_REL}">'
        f'<Relationship Id="rId1" Type="{_NS_REL}/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
        'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{_NS_REL}/extended-properties" '
        'Target="docProps/app.xml"/>'
        "</Relationships>"
    )


def _core_props(stamp: datetime) -> str:
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(UTC)
    w3c = f"{stamp:%Y-%m-%dT%H:%M:%SZ}"
    return (
        f"{_XML_DECL}<cp:coreProperties "
        'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{_escape_xml(_TITLE)}</dc:title>"
        f"<dc:creator>{_CREATOR}</dc:creator>"
        f"<cp:lastModifiedBy>{_CREATOR}</cp:lastModifiedBy>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{w3c}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{w3c}</dcterms:modified>'
        "</cp:coreProperties>"
    )


def _app_props(titles: Sequence[str]) -> str:
    parts = "".join(f"<vt:lpstr>{_escape_xml(t)}</vt:lpstr>" for t in titles)
    return (
        f"{_XML_DECL}<Properties "
        'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        f"<Application>{_CREATOR}</Application>"
        '<HeadingPairs><vt:vector size="2" baseType="variant">'
        "<vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant>"
        f"<vt:variant><vt:i4>{len(titles)}</vt:i4></vt:variant></vt:vector></HeadingPairs>"
        f'<TitlesOfParts><vt:vector size="{len(titles)}" baseType="lpstr">{parts}'
        "</vt:vector></TitlesOfParts>"
        "</Properties>"
    )


def _workbook_xml(tables: Sequence[Table], titles: Sequence[str]) -> str:
    sheets = "".join(
        f'<sheet name="{_escape_attr(title)}" sheetId="{n}" r:id="rId{n}"/>'
        for n, title in enumerate(titles, start=1)
    )
    # Excel keeps each autofilter's range in a hidden name as well: written the same way
    names = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
        f"{_escape_xml(_quote_sheet(title))}!{_absolute(_filter_ref(table))}</definedName>"
        for i, (table, title) in enumerate(zip(tables, titles, strict=True))
        if table.columns
    )
    # the stamp and the header printed again at the top of every page
    names += "".join(
        f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">'
        f"{_escape_xml(_quote_sheet(title))}!${STAMP_ROW}:${HEADER_ROW}</definedName>"
        for i, title in enumerate(titles)
    )
    defined = f"<definedNames>{names}</definedNames>" if names else ""
    return (
        f'{_XML_DECL}<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">'
        '<workbookPr/><bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{sheets}</sheets>{defined}"
        "</workbook>"
    )


def _workbook_rels(n_sheets: int) -> str:
    sheets = "".join(
        f'<Relationship Id="rId{n}" Type="{_NS_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, n_sheets + 1)
    )
    return (
        f'{_XML_DECL}<Relationships xmlns="{_NS_PKG_REL}">{sheets}'
        f'<Relationship Id="rId{n_sheets + 1}" Type="{_NS_REL}/styles" Target="styles.xml"/>'
        "</Relationships>"
    )


# ---------------------------------------------------------------------------------------
# Charts: a drawing per sheet, a DrawingML chart per Chart, over the sheet's own cells
# ---------------------------------------------------------------------------------------


def _sheet_rels(drawing: int) -> str:
    return (
        f'{_XML_DECL}<Relationships xmlns="{_NS_PKG_REL}">'
        f'<Relationship Id="rId1" Type="{_NS_REL}/drawing" '
        f'Target="../drawings/drawing{drawing}.xml"/>'
        "</Relationships>"
    )


def _drawing_rels(charts: range) -> str:
    rels = "".join(
        f'<Relationship Id="rId{k}" Type="{_NS_REL}/chart" Target="../charts/chart{number}.xml"/>'
        for k, number in enumerate(charts, start=1)
    )
    return f'{_XML_DECL}<Relationships xmlns="{_NS_PKG_REL}">{rels}</Relationships>'


def _chart_cells(table: Table, k: int) -> tuple[int, int, int, int]:
    """Where the k-th chart (0-based) of a table sits: first column, first row, column and
    row after it, all 0-based sheet indexes. Right of the table, one empty column between,
    from the first data row down, one chart under the other."""
    col = len(table.columns) + 1
    row = FIRST_DATA_ROW - 1 + k * (CHART_ROWS + CHART_GAP_ROWS)
    return col, row, col + CHART_COLUMNS, row + CHART_ROWS


def _drawing_xml(table: Table, n_charts: int) -> str:
    anchors = []
    for k in range(n_charts):
        c0, r0, c1, r1 = _chart_cells(table, k)
        anchors.append(
            # oneCell: the chart keeps its size when a user widens the table's columns
            '<xdr:twoCellAnchor editAs="oneCell">'
            f"<xdr:from><xdr:col>{c0}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{r0}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
            f"<xdr:to><xdr:col>{c1}</xdr:col><xdr:colOff>0</xdr:colOff>"
            f"<xdr:row>{r1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>"
            '<xdr:graphicFrame macro="">'
            f'<xdr:nvGraphicFramePr><xdr:cNvPr id="{k + 2}" name="Biểu đồ {k + 1}"/>'
            "<xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>"
            '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
            f'<a:graphic><a:graphicData uri="{_NS_CHART}">'
            f'<c:chart xmlns:c="{_NS_CHART}" r:id="rId{k + 1}"/>'
            "</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/>"
            "</xdr:twoCellAnchor>"
        )
    return (
        f'{_XML_DECL}<xdr:wsDr xmlns:xdr="{_NS_SHEET_DRAWING}" xmlns:a="{_NS_DRAWING}" '
        f'xmlns:r="{_NS_REL}">{"".join(anchors)}</xdr:wsDr>'
    )


def _chart_xml(table: Table, title: str, chart: Chart) -> str:
    """A bar or column chart whose categories, values and series names are references to
    the sheet's cells (with cached values, for readers that do not compute them)."""
    sheet = _escape_xml(_quote_sheet(title))
    r0, r1 = FIRST_DATA_ROW + chart.first_row, FIRST_DATA_ROW + chart.last_row
    block = table.rows[chart.first_row : chart.last_row + 1]

    def ref(col: int, first: int, last: int) -> str:
        letter = _column_letter(col + 1)
        if first == last:
            return f"{sheet}!${letter}${first}"
        return f"{sheet}!${letter}${first}:${letter}${last}"

    def cells(col: int) -> list[object]:
        return [row[col] if col < len(row) else None for row in block]

    labels = "".join(
        f'<c:pt idx="{i}"><c:v>{_escape_text(_chart_label(v))}</c:v></c:pt>'
        for i, v in enumerate(cells(chart.categories))
        if _chart_label(v)
    )
    categories = (
        f"<c:cat><c:strRef><c:f>{ref(chart.categories, r0, r1)}</c:f>"
        f'<c:strCache><c:ptCount val="{len(block)}"/>{labels}</c:strCache></c:strRef></c:cat>'
    )
    series = []
    for order, col in enumerate(chart.series):
        header = _escape_text(_clean_text(table.columns[col].header))
        numbers = "".join(
            f'<c:pt idx="{i}"><c:v>{x!r}</c:v></c:pt>'
            for i, v in enumerate(cells(col))
            if (x := _chart_number(v)) is not None
        )
        color = CHART_COLORS[order % len(CHART_COLORS)]
        series.append(
            f'<c:ser><c:idx val="{order}"/><c:order val="{order}"/>'
            f"<c:tx><c:strRef><c:f>{ref(col, HEADER_ROW, HEADER_ROW)}</c:f>"
            f'<c:strCache><c:ptCount val="1"/><c:pt idx="0"><c:v>{header}</c:v></c:pt>'
            "</c:strCache></c:strRef></c:tx>"
            f'<c:spPr><a:solidFill><a:srgbClr val="{color}"/></a:solidFill></c:spPr>'
            f'<c:invertIfNegative val="0"/>{categories}'
            f"<c:val><c:numRef><c:f>{ref(col, r0, r1)}</c:f><c:numCache>"
            f'<c:formatCode>General</c:formatCode><c:ptCount val="{len(block)}"/>{numbers}'
            "</c:numCache></c:numRef></c:val></c:ser>"
        )
    horizontal = chart.kind == "bar"
    stacked = chart.stacked and len(chart.series) > 1
    value_format = "0%" if chart.percent else "General"
    # stacked bars sit on one another rather than side by side
    overlap = '<c:overlap val="100"/>' if stacked else ""
    legend = (
        '<c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend>'
        if len(chart.series) > 1
        else ""
    )
    return (
        f'{_XML_DECL}<c:chartSpace xmlns:c="{_NS_CHART}" xmlns:a="{_NS_DRAWING}" '
        f'xmlns:r="{_NS_REL}"><c:date1904 val="0"/><c:lang val="vi-VN"/>'
        '<c:roundedCorners val="0"/><c:chart>'
        "<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p>"
        '<a:pPr><a:defRPr sz="1200" b="1"/></a:pPr><a:r><a:rPr lang="vi-VN" sz="1200" b="1"/>'
        f"<a:t>{_escape_text(_clean_text(chart.title))}</a:t></a:r></a:p></c:rich></c:tx>"
        '<c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/>'
        "<c:plotArea><c:layout/><c:barChart>"
        f'<c:barDir val="{"bar" if horizontal else "col"}"/>'
        f'<c:grouping val="{"stacked" if stacked else "clustered"}"/><c:varyColors val="0"/>'
        f'{"".join(series)}<c:gapWidth val="60"/>'
        f"{overlap}"
        '<c:axId val="1001"/><c:axId val="1002"/></c:barChart>'
        # horizontal bars list the rows top-down, as the table does; the value axis then
        # crosses at the last category to stay at the bottom
        '<c:catAx><c:axId val="1001"/>'
        f'<c:scaling><c:orientation val="{"maxMin" if horizontal else "minMax"}"/></c:scaling>'
        f'<c:delete val="0"/><c:axPos val="{"l" if horizontal else "b"}"/>'
        '<c:numFmt formatCode="General" sourceLinked="0"/><c:majorTickMark val="none"/>'
        '<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/><c:crossAx val="1002"/>'
        '<c:crosses val="autoZero"/><c:auto val="1"/><c:lblAlgn val="ctr"/>'
        '<c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
        '<c:valAx><c:axId val="1002"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
        f'<c:delete val="0"/><c:axPos val="{"b" if horizontal else "l"}"/><c:majorGridlines/>'
        f'<c:numFmt formatCode="{value_format}" sourceLinked="0"/>'
        '<c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        f'<c:crossAx val="1001"/><c:crosses val="{"max" if horizontal else "autoZero"}"/>'
        '<c:crossBetween val="between"/></c:valAx></c:plotArea>'
        f'{legend}<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart>'
        # opaque: the printed grid lines must not show through the chart
        '<c:spPr><a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill>'
        '<a:ln><a:solidFill><a:srgbClr val="BFBFBF"/></a:solidFill></a:ln></c:spPr>'
        "</c:chartSpace>"
    )


def _chart_label(v: object) -> str:
    """A category's cached text (the sheet's own cell is what a reader shows)."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    if isinstance(v, bool):
        return "Có" if v else "Không"
    if isinstance(v, datetime | date):
        return _day_text(v, with_time=isinstance(v, datetime))
    return _clean_text(str.__str__(v) if isinstance(v, str) else str(v))


def _chart_number(v: object) -> float | int | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    if isinstance(v, float):
        return float(v) + 0.0 if math.isfinite(v) else None
    return int(v)


# ---------------------------------------------------------------------------------------
# One sheet
# ---------------------------------------------------------------------------------------


class _TextCache:
    """Escaped cell XML of texts, after the cell reference: ``" t="inlineStr">…</c>``.

    ``hl`` below is a row variant (_FILLED, _BOLD bits), not only the overdue fill."""

    def __init__(self, styles: _Styles) -> None:
        self.styles = styles
        self.by_fill: tuple[dict[str, str], ...] = tuple({} for _ in _VARIANTS)
        # an empty cell is written only to show a fill; bold alone shows nothing
        self.empty: tuple[str, ...] = tuple(
            f'" s="{styles.index["text", v]}"/>' if v & _FILLED else "" for v in _VARIANTS
        )
        for v in _VARIANTS:
            self.by_fill[v][""] = self.empty[v]

    def tail(self, text: str, hl: int) -> str:
        """The cell's XML after ``<c r="A3``; "" for nothing to write (cached if short)."""
        cache = self.by_fill[hl]
        xml = cache.get(text)
        if xml is None:
            xml = self._render(text, hl)
            if len(text) <= _CACHE_MAX_TEXT:
                if len(cache) >= _CACHE_MAX_ENTRIES:
                    cache.clear()
                    cache[""] = self.empty[hl]
                cache[text] = xml
        return xml

    def _render(self, text: str, hl: int) -> str:
        text = _clean_text(text)
        if not text:
            return self.empty[hl]
        style = self.styles.index["quote" if text.startswith(_FORMULA_START) else "text", hl]
        s = f' s="{style}"' if style else ""
        # leading/trailing spaces are dropped by Excel unless asked to keep them
        keep = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
        return f'"{s} t="inlineStr"><is><t{keep}>{_escape_text(text)}</t></is></c>'


class _ColumnStyles:
    """The xf indexes a column's numbers take, by row variant."""

    __slots__ = ("kind", "ints", "floats", "dates", "datetimes")

    def __init__(self, kind: ColumnKind, styles: _Styles) -> None:
        def pair(style: str) -> tuple[int, ...]:
            return tuple(styles.index[style, v] for v in _VARIANTS)

        self.kind = kind
        numeric = kind in ("int", "number", "percent")
        self.ints = pair(kind if numeric else "int")
        self.floats = pair(kind if numeric else "number")
        self.dates = pair("date")
        self.datetimes = pair("date" if kind == "date" else "datetime")


def _write_sheet(
    out: IO[bytes],
    table: Table,
    styles: _Styles,
    texts: _TextCache,
    *,
    first: bool,
    drawing: bool = False,
) -> None:
    columns = table.columns
    ncols = len(columns)
    nrows = len(table.rows)
    letters = [_column_letter(j) for j in range(1, ncols + 1)]
    last = f"{letters[-1]}{HEADER_ROW + nrows}" if ncols else "A1"
    selected = ' tabSelected="1"' if first else ""
    head = [
        f'{_XML_DECL}<worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}">',
        # the schema puts sheetPr first: it switches pageSetup's fitTo* on
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>',
        f'<dimension ref="A1:{last}"/>' if ncols else '<dimension ref="A1"/>',
        f'<sheetViews><sheetView workbookViewId="0"{selected}>',
        f'<pane ySplit="{FIRST_DATA_ROW - 1}" topLeftCell="A{FIRST_DATA_ROW}" '
        'activePane="bottomLeft" state="frozen"/>',
        f'<selection pane="bottomLeft" activeCell="A{FIRST_DATA_ROW}" '
        f'sqref="A{FIRST_DATA_ROW}"/></sheetView></sheetViews>',
        '<sheetFormatPr defaultRowHeight="15"/>',
    ]
    if ncols:
        head.append("<cols>")
        head.extend(
            f'<col min="{j}" max="{j}" width="{_number_text(max(c.width, 4))}" customWidth="1"/>'
            for j, c in enumerate(columns, start=1)
        )
        head.append("</cols>")
    head.append("<sheetData>")
    stamp = _render_text(stamp_text(table), styles.STAMP)
    head.append(f'<row r="{STAMP_ROW}"><c r="A{STAMP_ROW}{stamp}</row>')
    if ncols:
        head.append(f'<row r="{HEADER_ROW}">')
        head.extend(
            f'<c r="{letter}{HEADER_ROW}{_render_text(c.header, styles.HEADER)}'
            for letter, c in zip(letters, columns, strict=True)
        )
        head.append("</row>")
    out.write("".join(head).encode("utf-8"))

    if ncols:
        for chunk in _data_rows(table, letters, styles, texts):
            out.write(chunk.encode("utf-8"))

    tail = ["</sheetData>"]
    if ncols:
        tail.append(f'<autoFilter ref="{_filter_ref(table)}"/>')
    tail.append(_print_setup(table))
    if drawing:
        tail.append('<drawing r:id="rId1"/>')  # the sheet's only relationship
    tail.append("</worksheet>")
    out.write("".join(tail).encode("utf-8"))


def _print_setup(table: Table) -> str:
    """printOptions, pageMargins, pageSetup and headerFooter, in the schema's order."""
    m = PAGE_MARGINS_INCH
    margins = "".join(f' {side}="{m[side]}"' for side in ("left", "right", "top", "bottom"))
    header = f'&L&"-,Bold"{_header_text(table.name[:_HEADER_NAME_MAX])}'
    header += f"&R{_header_text('Cập nhật lúc ' + update_time(table))}"
    # a table printed without its grid is hard to read; a tab with charts is a report
    # page, and the grid would cover the empty cells under its charts too
    grid = "" if table.charts else '<printOptions gridLines="1"/>'
    return (
        f'{grid}<pageMargins{margins} header="{HEADER_FOOTER_INCH}" '
        f'footer="{HEADER_FOOTER_INCH}"/>'
        f'<pageSetup paperSize="{PAPER_A4}" orientation="landscape" fitToWidth="1" '
        'fitToHeight="0"/>'
        f"<headerFooter><oddHeader>{_escape_xml(header)}</oddHeader>"
        f"<oddFooter>{_escape_xml('&C' + PAGE_FOOTER)}</oddFooter></headerFooter>"
    )


def _header_text(text: str) -> str:
    """Text inside a header/footer section: "&" starts a code there, "&&" prints one."""
    return _ILLEGAL_XML_RE.sub("", text).replace("\r", " ").replace("\n", " ").replace("&", "&&")


def _data_rows(
    table: Table, letters: Sequence[str], styles: _Styles, texts: _TextCache
) -> Iterator[str]:
    """The <row> elements of the data, as strings of a few megabytes each.

    The hot loop of the writer: str, int and float cells take the inline paths.
    """
    ncols = len(letters)
    starts = [f'<c r="{letter}' for letter in letters]  # the cell tag up to the row number
    kinds = [_ColumnStyles(c.kind, styles) for c in table.columns]
    tz = table.updated_at.tzinfo
    highlight = table.highlight_rows
    heading = table.heading_rows
    tails = texts.tail
    empties = texts.empty
    filled, bold = _FILLED, _BOLD  # locals: read for every row
    padding = (None,) * ncols
    isfinite = math.isfinite
    parts: list[str] = []
    big = 0  # characters of long texts in ``parts``
    for i, row in enumerate(table.rows):
        r = str(FIRST_DATA_ROW + i)
        hl = filled if i in highlight else 0
        if heading and i in heading:
            hl |= bold
        hl_empty = empties[hl]  # "" unless the row is filled
        if hl_empty and len(row) < ncols:
            row = (*row, *padding[len(row) :])  # every column of the row gets the fill
        mark = len(parts)
        parts.append(f'<row r="{r}">')
        # a short row leaves its last cells empty; values beyond the columns are ignored
        for start, v, col in zip(starts, row, kinds, strict=False):
            # ``type(v) is``, not isinstance: bool and str subclasses take _other_cell
            if type(v) is str:
                xml = tails(v, hl)
                if xml:
                    parts.append(start + r + xml)
                    if len(v) > _CACHE_MAX_TEXT:
                        big += len(xml)
            elif type(v) is int:
                if -_EXACT_INT_LIMIT < v < _EXACT_INT_LIMIT:
                    parts.append(f'{start}{r}" s="{col.ints[hl]}"><v>{v}</v></c>')
                else:
                    parts.append(start + r + tails(str(v), hl))
            elif type(v) is float:  # NaN and infinities: empty, as in Google Sheets
                if isfinite(v):  # + 0.0 turns -0.0 into 0.0: no "-0" on screen
                    parts.append(f'{start}{r}" s="{col.floats[hl]}"><v>{v + 0.0!r}</v></c>')
                elif hl_empty:
                    parts.append(start + r + hl_empty)
            elif v is None:
                if hl_empty:
                    parts.append(start + r + hl_empty)
            else:
                xml = _other_cell(v, col, hl, tz, texts)
                if xml:
                    parts.append(start + r + xml)
                    big += len(xml)
        if len(parts) == mark + 1:
            parts.pop()  # no cell in this row
        else:
            parts.append("</row>")
        if len(parts) >= _FLUSH_PARTS or big >= _FLUSH_CHARS:
            yield "".join(parts)
            parts.clear()
            big = 0
    if parts:
        yield "".join(parts)


def _other_cell(
    v: object, col: _ColumnStyles, hl: int, tz: tzinfo | None, texts: _TextCache
) -> str:
    """The XML after ``<c r="A3`` of a value that is not a plain str, int or float."""
    if isinstance(v, bool):
        return texts.tail("Có" if v else "Không", hl)
    if isinstance(v, str):
        return texts.tail(str.__str__(v), hl)  # a str subclass (StrEnum): its text
    if isinstance(v, datetime):
        if v.tzinfo is not None:
            if tz is not None:
                v = v.astimezone(tz)
            v = v.replace(tzinfo=None)  # Excel has no time zones: local wall time
        with_time = col.kind != "date"
        if v.date() < _FIRST_SERIAL_DATE:
            return texts.tail(_day_text(v, with_time=with_time), hl)
        delta = v - _EXCEL_EPOCH
        serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
        return f'" s="{col.datetimes[hl]}"><v>{serial!r}</v></c>'
    if isinstance(v, date):
        if v < _FIRST_SERIAL_DATE:
            return texts.tail(_day_text(v, with_time=False), hl)
        return f'" s="{col.dates[hl]}"><v>{(v - _EXCEL_EPOCH_DATE).days}</v></c>'
    if isinstance(v, int):  # IntEnum and friends: the number
        n = int(v)
        if -_EXACT_INT_LIMIT < n < _EXACT_INT_LIMIT:
            return f'" s="{col.ints[hl]}"><v>{n}</v></c>'
        return texts.tail(str(n), hl)
    if isinstance(v, float):
        x = float(v)
        if math.isfinite(x):
            return f'" s="{col.floats[hl]}"><v>{x + 0.0!r}</v></c>'
        return texts.empty[hl]
    return texts.tail(str(v), hl)


def _render_text(text: str, style: int) -> str:
    """A stamp or header cell (after ``<c r="A1``), never a formula."""
    text = _clean_text(text)
    keep = ' xml:space="preserve"' if text and (text[0].isspace() or text[-1].isspace()) else ""
    return f'" s="{style}" t="inlineStr"><is><t{keep}>{_escape_text(text)}</t></is></c>'


def _day_text(v: date, *, with_time: bool) -> str:
    # the column's number format, written out: Excel cannot show these days as numbers
    text = f"{v.day:02d}/{v.month:02d}/{v.year:04d}"
    if with_time and isinstance(v, datetime):
        text += f" {v.hour:02d}:{v.minute:02d}"
    return text


def _filter_ref(table: Table) -> str:
    return f"A{HEADER_ROW}:{_column_letter(len(table.columns))}{HEADER_ROW + len(table.rows)}"


def _absolute(ref: str) -> str:
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", part) for part in ref.split(":"))


def _quote_sheet(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _column_letter(n: int) -> str:
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _number_text(x: float) -> str:
    return str(x) if isinstance(x, int) else repr(float(x))


# ---------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------


def _clean_text(text: str) -> str:
    """What XML and Excel accept: no control characters, at most 32,767 UTF-16 units."""
    text = _ILLEGAL_XML_RE.sub("", text)
    if len(text) > CELL_TEXT_MAX // 2:
        text = text[:CELL_TEXT_MAX]
        units = text.encode("utf-16-le")
        if len(units) > 2 * CELL_TEXT_MAX:  # characters beyond U+FFFF count twice
            text = units[: 2 * CELL_TEXT_MAX].decode("utf-16-le", errors="ignore")
    return text


def _escape_xml(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")  # a raw CR would be read back as LF
    return text


def _escape_text(text: str) -> str:
    """Cell text: XML escapes, and a literal "_xHHHH_" kept from Excel's decoding."""
    text = _escape_xml(text)
    if "_x" in text:
        text = _OOXML_ESCAPE_RE.sub(r"_x005F\g<0>", text)
    return text


def _escape_attr(text: str) -> str:
    text = _escape_xml(_ILLEGAL_XML_RE.sub("", text)).replace('"', "&quot;")
    return text.replace("\n", "&#10;").replace("\t", "&#9;")


def _sheet_titles(names: Sequence[str]) -> list[str]:
    """Excel's rules: none of []:*?/\\, at most 31 characters, unique ignoring case."""
    used: set[str] = set()
    titles = []
    for name in names:
        base = _sheet_title(name)
        title, n = base, 1
        while title.casefold() in used:
            n += 1
            suffix = f" ({n})"
            title = base[: SHEET_TITLE_MAX - len(suffix)] + suffix
        used.add(title.casefold())
        titles.append(title)
    return titles


def _sheet_title(name: str) -> str:
    name = _ILLEGAL_XML_RE.sub("", name)
    for ch in "[]:*?/\\":
        name = name.replace(ch, " ")
    title = name[:SHEET_TITLE_MAX].strip("'")
    return title if title.strip() else "Bảng"  # nothing readable left
