"""How a summary tab looks, in one place for both destinations (the XLSX workbook and the
Google Spreadsheet): the rows above the data, the number formats, the colours, the charts'
place and the "cập nhật lúc" stamp. Pure: no client library, no I/O."""

from __future__ import annotations

import dataclasses
import hashlib
import unicodedata
from collections.abc import Iterable
from datetime import timedelta

from sync.model import Chart, Table

# Row 1 is the stamp, row 2 the header; both stay frozen (and repeat on printed pages).
STAMP_ROW, HEADER_ROW, FIRST_DATA_ROW = 1, 2, 3
HEADER_ROWS = FIRST_DATA_ROW - 1

# Number formats per column kind, in the pattern syntax both Excel and Sheets read.
NUMBER_FORMATS: dict[str, str] = {
    "int": "0",
    "number": "0.0#",
    "percent": "0.0%",
    "date": "dd/mm/yyyy",
    "datetime": "dd/mm/yyyy hh:mm",
}

# Colours as ARGB hex (Excel's form); ``rgb_fraction`` gives Sheets' form of the same colour.
HEADER_FILL_RGB = "FFDDEBF7"  # the header row
HIGHLIGHT_FILL_RGB = "FFFFC7CE"  # rows that need attention (overdue, "Cần kiểm tra lại")
STAMP_FONT_RGB = "FF595959"  # the grey stamp
CHART_COLORS = ("4472C4", "ED7D31", "A5A5A5", "FFC000", "5B9BD5", "70AD47")

# Charts: drawn to the right of the table, one column left empty, each about 8 columns by
# 18 rows, one under the other with a row between.
CHART_COLUMNS, CHART_ROWS, CHART_GAP_ROWS = 8, 18, 1

VIETNAM_OFFSET = timedelta(hours=7)


def rgb_fraction(argb: str) -> dict[str, float]:
    """ "FFDDEBF7" -> {"red": 0xDD/255, "green": 0xEB/255, "blue": 0xF7/255} (Sheets' Color)."""
    rgb = argb[-6:]
    return {
        name: int(rgb[i : i + 2], 16) / 255
        for name, i in (("red", 0), ("green", 2), ("blue", 4))
    }


def stamp_text(table: Table) -> str:
    """Row 1: "<tab> — cập nhật lúc 23/11/2026 08:00 (giờ Việt Nam)"."""
    return f"{table.name} — cập nhật lúc {update_time(table)}"


def update_time(table: Table) -> str:
    """The stamp's time, "23/11/2026 08:00 (giờ Việt Nam)", also in the printed header."""
    t = table.updated_at
    offset = t.utcoffset()
    if offset is None:
        zone = ""
    elif offset == VIETNAM_OFFSET:
        zone = " (giờ Việt Nam)"
    else:
        zone = f" (UTC{t:%z})"
    return f"{t:%d/%m/%Y %H:%M}{zone}"


def drawable_charts(table: Table) -> tuple[Chart, ...]:
    """The table's charts whose rows and columns exist in it. A chart pointing elsewhere is
    a bug of the table builder: it is left out rather than costing the whole workbook (or,
    in Google Sheets, a rejected batch)."""
    ncols, nrows = len(table.columns), len(table.rows)
    return tuple(
        c
        for c in table.charts
        if c.series
        and 0 <= c.categories < ncols
        and all(0 <= j < ncols for j in c.series)
        and 0 <= c.first_row <= c.last_row < nrows
    )


def table_hash(table: Table) -> str:
    """What a destination compares to skip rewriting an unchanged tab (stamp excluded).
    Row by row: a province's member tab is never one giant string."""
    h = hashlib.sha256()
    h.update(
        repr(
            (
                table.name,
                table.columns,
                tuple(sorted(table.highlight_rows)),
                table.charts,
                tuple(sorted(table.heading_rows)),
            )
        ).encode()
    )
    for row in table.rows:
        h.update(repr(row).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def nfc_named(tables: Iterable[Table]) -> list[Table]:
    """The tables with their names in NFC: a title typed on another keyboard (NFD) names
    the same tab as the program's own, never a second one (destinations call this first)."""
    return [
        t
        if unicodedata.is_normalized("NFC", t.name)
        else dataclasses.replace(t, name=unicodedata.normalize("NFC", t.name))
        for t in tables
    ]
