"""The offline destination: the summary tabs as one XLSX workbook (openpyxl).

Layout of every sheet: row 1 the update stamp, row 2 the bold header (frozen, with an
autofilter), data from row 3. Respondent text is always stored as text, never as a formula.
The file is written to a temporary file in the same folder and moved into place, so a
reader never sees a half-written workbook. The same tables give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from sync.model import ColumnKind, Table
from sync.tables import table_hash

SHEET_TITLE_MAX = 31  # Excel's limit
CELL_TEXT_MAX = 32767  # Excel's limit on characters in one cell
STAMP_ROW, HEADER_ROW, FIRST_DATA_ROW = 1, 2, 3

NUMBER_FORMATS: dict[str, str] = {
    "int": "0",
    "number": "0.0#",
    "percent": "0.0%",
    "date": "dd/mm/yyyy",
    "datetime": "dd/mm/yyyy hh:mm",
}

HEADER_FILL = PatternFill(fill_type="solid", start_color="FFDDEBF7", end_color="FFDDEBF7")
HIGHLIGHT_FILL = PatternFill(fill_type="solid", start_color="FFFFC7CE", end_color="FFFFC7CE")
HEADER_FONT = Font(bold=True)
STAMP_FONT = Font(bold=True, italic=True, color="FF595959")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center")

# A text starting with one of these could be read as a formula by a spreadsheet.
_FORMULA_START = ("=", "+", "-", "@")
_VIETNAM_OFFSET = timedelta(hours=7)


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
        digest = hashlib.sha256("".join(table_hash(t) for t in tables).encode()).hexdigest()
        if previous and previous.get("*") == digest and self.path.exists():
            return None
        self._write_file(tables)
        return {"*": digest}

    def _write_file(self, tables: Sequence[Table]) -> None:
        data = render_workbook(tables)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
        )
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def render_workbook(tables: Sequence[Table]) -> bytes:
    """The workbook's bytes: deterministic for the same tables."""
    if not tables:
        raise ValueError("không có bảng nào để ghi")
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for table in tables:
        _write_sheet(wb.create_sheet(title=_sheet_title(table.name)), table)
    stamp = max(t.updated_at for t in tables)
    utc = _utc_naive(stamp)
    wb.properties.created = utc
    wb.properties.modified = utc
    wb.properties.creator = "kynangso-sync"
    wb.properties.lastModifiedBy = "kynangso-sync"
    wb.properties.title = "Tổng hợp kết quả học tập kỹ năng số"
    buf = io.BytesIO()
    # ExcelWriter directly: save_workbook() would overwrite "modified" with the clock.
    ExcelWriter(wb, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    return _fix_zip_times(buf.getvalue(), _local_naive(stamp))


def stamp_text(table: Table) -> str:
    """Row 1: "<tab> — cập nhật lúc 23/11/2026 08:00 (giờ Việt Nam)"."""
    t = table.updated_at
    offset = t.utcoffset()
    if offset is None:
        zone = ""
    elif offset == _VIETNAM_OFFSET:
        zone = " (giờ Việt Nam)"
    else:
        zone = f" (UTC{t:%z})"
    return f"{table.name} — cập nhật lúc {t:%d/%m/%Y %H:%M}{zone}"


def _write_sheet(ws: Worksheet, table: Table) -> None:
    ncols = len(table.columns)
    stamp = ws.cell(row=STAMP_ROW, column=1)
    _set_value(stamp, stamp_text(table), "text", None)
    stamp.font = STAMP_FONT

    for j, col in enumerate(table.columns, start=1):
        cell = ws.cell(row=HEADER_ROW, column=j)
        _set_value(cell, col.header, "text", None)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = HEADER_ALIGNMENT
        ws.column_dimensions[get_column_letter(j)].width = max(col.width, 4)

    local_tz = table.updated_at.tzinfo
    for i, row in enumerate(table.rows):
        r = FIRST_DATA_ROW + i
        highlighted = i in table.highlight_rows
        for j, col in enumerate(table.columns, start=1):
            value = row[j - 1] if j - 1 < len(row) else None
            cell = ws.cell(row=r, column=j)
            _set_value(cell, value, col.kind, local_tz)
            if highlighted:
                cell.fill = HIGHLIGHT_FILL

    ws.freeze_panes = f"A{FIRST_DATA_ROW}"
    if ncols:
        last = get_column_letter(ncols)
        ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{max(HEADER_ROW, HEADER_ROW + len(table.rows))}"


def _set_value(cell: Cell, value: object, kind: ColumnKind, tz: tzinfo | None) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        _set_text(cell, "Có" if value else "Không")
        return
    if isinstance(value, str):
        _set_text(cell, value)
        return
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            if tz is not None:
                value = value.astimezone(tz)
            value = value.replace(tzinfo=None)  # Excel has no time zones: local wall time
        cell.value = value
        cell.number_format = NUMBER_FORMATS["datetime" if kind != "date" else "date"]
        return
    if isinstance(value, date):
        cell.value = value
        cell.number_format = NUMBER_FORMATS["date"]
        return
    if isinstance(value, int | float):
        cell.value = value
        fmt = NUMBER_FORMATS.get(kind)
        if fmt is None or kind in ("date", "datetime"):
            fmt = "0" if isinstance(value, int) else NUMBER_FORMATS["number"]
        cell.number_format = fmt
        return
    _set_text(cell, str(value))


def _set_text(cell: Cell, text: str) -> None:
    text = ILLEGAL_CHARACTERS_RE.sub("", text)[:CELL_TEXT_MAX]
    cell.value = text
    cell.data_type = "s"  # never a formula, whatever the text starts with
    if text.startswith(_FORMULA_START):
        cell.quotePrefix = True  # Excel keeps it text even when the cell is edited


def _sheet_title(name: str) -> str:
    for ch in "[]:*?/\\":
        name = name.replace(ch, " ")
    return name[:SHEET_TITLE_MAX].strip("'") or "Bảng"


def _utc_naive(t: datetime) -> datetime:
    if t.tzinfo is None:
        return t
    return t.astimezone(UTC).replace(tzinfo=None)


def _local_naive(t: datetime) -> datetime:
    return t.replace(tzinfo=None)


def _fix_zip_times(data: bytes, when: datetime) -> bytes:
    """Rewrite the archive with every entry dated ``when`` (zip stamps use the clock)."""
    stamp = max(when, datetime(1980, 1, 1)).timetuple()[:6]
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as dst,
    ):
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()
