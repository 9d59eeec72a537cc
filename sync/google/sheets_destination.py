"""The ward's summary spreadsheet in Google Sheets: the same tabs and layout as the XLSX
workbook (row 1 the update stamp, row 2 the header, data from row 3).

A write costs few requests: one metadata read, then only what changed. A tab whose content
hash equals the remembered one is left alone (its stamp too); the changed tabs go in one
``values:batchUpdate`` (RAW, so respondent text such as ``=IMPORTXML(...)`` stays text);
formatting is re-applied in one ``spreadsheets:batchUpdate`` only when a tab's layout
changed. Tabs whose title is not one of the tables' names (the ward's own tabs, a form's
response tab) are never touched.

Sheets has no page setup in its API (printing is set in the print dialog); what it has is
applied with the formatting: the frozen stamp and header rows, bold section headings, and
the tables' charts (``addChart``, right of the table). Charts go with the layout: a restyle
deletes the tab's charts and adds the table's, an unchanged layout sends no chart request.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from gspread.http_client import HTTPClient, ParamsType

from sync.google.apis import GoogleApiError, GoogleApis
from sync.google.sheet_source import a1_tab
from sync.layout import (
    HEADER_FILL_RGB,
    HEADER_ROWS,
    HIGHLIGHT_FILL_RGB,
    NUMBER_FORMATS,
    STAMP_FONT_RGB,
    drawable_charts,
    nfc_named,
    rgb_fraction,
    stamp_text,
    table_hash,
)
from sync.model import Cell, Chart, Column, ColumnKind, Table

# Google advises keeping a request under 2 MB (the hard limit is larger).
ADVISED_PAYLOAD_BYTES = 2 * 1024 * 1024
CELL_TEXT_MAX = 50_000  # Sheets' limit on characters in one cell
MIN_GRID_ROWS = HEADER_ROWS + 1  # Sheets refuses to freeze every row of a grid
PX_PER_CHAR, PX_PADDING = 7, 10
# Bump when the formatting code changes, so the next write re-applies it everywhere.
LAYOUT_VERSION = "2"  # 2: bold headings, charts

# Charts, as in the XLSX workbook: right of the table with one empty column between, from
# the first data row down, one under the other. Sizes in Sheets' default rows (21 px) and
# columns (100 px): the grid is grown to hold them, since Sheets anchors a chart to a cell.
CHART_WIDTH_PX, CHART_HEIGHT_PX = 600, 378
CHART_ROWS = 19  # rows from one chart's anchor to the next: 18 of chart, 1 between
CHART_COLUMNS = 7  # the empty column and 6 default columns of chart

LAYOUT_SUFFIX = "#layout"
EXTENT_SUFFIX = "#extent"

_EPOCH_DATE = date(1899, 12, 30)  # Sheets' (and Excel's) day 0
_EPOCH = datetime(1899, 12, 30)
_ONE_DAY = timedelta(days=1)

_NUMBER_TYPES: dict[str, str] = {
    "int": "NUMBER",
    "number": "NUMBER",
    "percent": "PERCENT",
    "date": "DATE",
    "datetime": "DATE_TIME",
}
# The workbook's colours, in Sheets' form
_HEADER_BG = rgb_fraction(HEADER_FILL_RGB)
_HIGHLIGHT_BG = rgb_fraction(HIGHLIGHT_FILL_RGB)
_STAMP_FG = rgb_fraction(STAMP_FONT_RGB)

_BATCH_PREFIX = '{"valueInputOption": "RAW", "data": ['
_BATCH_SUFFIX = "]}"
_SEPARATOR = 2  # ", " between JSON list items (json.dumps' default, as requests sends it)


@dataclass(frozen=True)
class _Tab:
    """An existing tab, as the metadata read shows it."""

    sheet_id: int
    title: str
    rows: int
    cols: int
    chart_ids: tuple[int, ...] = ()  # the tab's charts, deleted when it is restyled


@dataclass
class _Plan:
    """What one write does to one table's tab."""

    table: Table
    content: str
    layout: str
    extent: tuple[int, int]  # (last used row, last used column), 1-based
    tab: _Tab | None  # None: created by this write
    sheet_id: int
    grid: tuple[int, int]  # rows, columns after this write
    rewrite: bool
    restyle: bool
    clear: bool


class SheetsDestination:
    """Writes the summary tables into the tabs of one spreadsheet (shared with the account
    as editor)."""

    def __init__(
        self,
        apis: GoogleApis,
        spreadsheet_id: str,
        tz: tzinfo,
        *,
        max_payload_bytes: int = ADVISED_PAYLOAD_BYTES,
    ) -> None:
        self.apis = apis
        self.spreadsheet_id = spreadsheet_id
        self.tz = tz
        self.max_payload_bytes = max_payload_bytes
        self.name = f"google_sheets:{spreadsheet_id}"

    # -- the Destination protocol ---------------------------------------------------------

    def write(
        self, tables: Sequence[Table], previous: Mapping[str, str]
    ) -> Mapping[str, str] | None:
        """Write the tabs that changed since ``previous``; return what to remember, or None
        when nothing needed writing. A GoogleApiError propagates (nothing is remembered, so
        the next cycle writes again)."""
        tables = [self._in_ward_time(t) for t in nfc_named(tables)]
        existing, order = self._read_tabs()
        tables = _titled_as_found(tables, existing)
        plans = self._plans(tables, existing, previous)

        if not any(p.rewrite or p.restyle for p in plans):
            return None

        structure = self._structure_requests(plans, order)
        if structure:
            try:
                self._call(lambda s: s.batch_update(self.spreadsheet_id, {"requests": structure}))
            except GoogleApiError as e:
                if e.status != 400:
                    raise
                # The request may have been applied while its answer was lost (a timeout,
                # then a retry: "A sheet with the name … already exists"). Plan again from
                # the tabs as they now are, once; a second refusal is a real one.
                plans = self._replan(tables)
                structure = self._structure_requests(plans, self._read_tabs()[1])
                if structure:
                    self._call(
                        lambda s: s.batch_update(self.spreadsheet_id, {"requests": structure})
                    )
        for body in self._value_batches([p for p in plans if p.rewrite]):

            def update(s: HTTPClient, body: dict[str, Any] = body) -> Any:
                return s.values_batch_update(self.spreadsheet_id, body)

            self._call(update)
        ranges = [r for p in plans if p.clear for r in _leftover_ranges(p)]
        if ranges:
            self._call(lambda s: s.values_batch_clear(self.spreadsheet_id, body={"ranges": ranges}))

        remembered: dict[str, str] = {}
        for p in plans:
            name = p.table.name
            remembered[name] = p.content
            remembered[name + LAYOUT_SUFFIX] = p.layout
            remembered[name + EXTENT_SUFFIX] = f"{p.extent[0]},{p.extent[1]}"
        return remembered

    @staticmethod
    def _plans(
        tables: Sequence[Table], existing: Mapping[str, _Tab], previous: Mapping[str, str]
    ) -> list[_Plan]:
        used_ids = {t.sheet_id for t in existing.values()}
        plans: list[_Plan] = []
        for table in tables:
            plan = _plan(table, existing.get(table.name), previous, used_ids)
            used_ids.add(plan.sheet_id)
            plans.append(plan)
        return plans

    def _replan(self, tables: Sequence[Table]) -> list[_Plan]:
        """Plans from the tabs as they are now, every tab restyled (what the lost answer
        applied is unknown: its charts are deleted and added again)."""
        existing, _ = self._read_tabs()
        return self._plans(tables, existing, {})

    def intact(self, previous: Mapping[str, str]) -> bool:
        """Whether every tab written last time is still there (one metadata read): a tab a
        user deleted by mistake is written again by the next cycle, even an idle one."""
        tabs, _ = self._read_tabs()
        written = [k for k in previous if not k.endswith((LAYOUT_SUFFIX, EXTENT_SUFFIX))]
        return all(name in tabs for name in written)

    # -- calls ---------------------------------------------------------------------------

    def _call(self, fn: Callable[[HTTPClient], Any]) -> Any:
        client = self.apis.sheets()
        return self.apis.call("sheets", lambda: fn(client))

    def _read_tabs(self) -> tuple[dict[str, _Tab], list[str]]:
        """Existing tabs by title, and every title in the spreadsheet's order."""
        params: ParamsType = {
            "includeGridData": "false",
            "fields": "sheets(properties(sheetId,title,index,gridProperties(rowCount,columnCount)),"
            "charts(chartId))",
        }
        meta = self._call(lambda s: s.fetch_sheet_metadata(self.spreadsheet_id, params=params))
        sheets = sorted(
            meta.get("sheets", []), key=lambda s: s.get("properties", {}).get("index", 0)
        )
        tabs: dict[str, _Tab] = {}
        for sheet in sheets:
            p = sheet.get("properties", {})
            grid = p.get("gridProperties", {})
            title = str(p.get("title", ""))
            tabs[title] = _Tab(
                sheet_id=int(p.get("sheetId", 0)),
                title=title,
                rows=int(grid.get("rowCount", 0)),
                cols=int(grid.get("columnCount", 0)),
                chart_ids=tuple(
                    int(c["chartId"]) for c in sheet.get("charts", []) if "chartId" in c
                ),
            )
        return tabs, [str(s.get("properties", {}).get("title", "")) for s in sheets]

    def _in_ward_time(self, table: Table) -> Table:
        if table.updated_at.tzinfo is None:
            return dataclasses.replace(table, updated_at=table.updated_at.replace(tzinfo=self.tz))
        return dataclasses.replace(table, updated_at=table.updated_at.astimezone(self.tz))

    # -- spreadsheets.batchUpdate: new tabs, grid sizes, formatting ------------------------

    def _structure_requests(self, plans: Sequence[_Plan], order: list[str]) -> list[dict[str, Any]]:
        requests: list[dict[str, Any]] = []
        names = [p.table.name for p in plans]
        for i, p in enumerate(plans):
            rows, cols = p.grid
            if p.tab is None:
                index = _insert_index(order, names, i)
                order.insert(index, p.table.name)
                requests.append(
                    {
                        "addSheet": {
                            "properties": {
                                "sheetId": p.sheet_id,
                                "title": p.table.name,
                                "index": index,
                                "gridProperties": {
                                    "rowCount": rows,
                                    "columnCount": cols,
                                    "frozenRowCount": HEADER_ROWS,
                                },
                            }
                        }
                    }
                )
            else:
                fields: list[str] = []
                grid: dict[str, int] = {}
                if rows != p.tab.rows:
                    grid["rowCount"] = rows
                    fields.append("rowCount")
                if cols != p.tab.cols:
                    grid["columnCount"] = cols
                    fields.append("columnCount")
                if p.restyle:
                    grid["frozenRowCount"] = HEADER_ROWS
                    fields.append("frozenRowCount")
                if fields:
                    requests.append(
                        {
                            "updateSheetProperties": {
                                "properties": {"sheetId": p.sheet_id, "gridProperties": grid},
                                "fields": ",".join(f"gridProperties.{f}" for f in fields),
                            }
                        }
                    )
            if p.restyle:
                # the old charts first: their ids are the tab's, read with the metadata
                if p.tab is not None:
                    requests += [
                        {"deleteEmbeddedObject": {"objectId": chart_id}}
                        for chart_id in p.tab.chart_ids
                    ]
                requests += _format_requests(p)
                requests += _chart_requests(p)
        return requests

    # -- values:batchUpdate ------------------------------------------------------------

    def _value_batches(self, plans: Sequence[_Plan]) -> Iterator[dict[str, Any]]:
        """The changed tabs' values as batchUpdate bodies, each under the payload limit (a
        tab is split by rows only when it alone would pass it). Made one tab at a time and
        handed over as each body fills: a province's member tab is never held as Sheets
        values next to the other tabs', nor as every body at once."""
        room = self.max_payload_bytes - len(_BATCH_PREFIX) - len(_BATCH_SUFFIX)
        current: list[dict[str, Any]] = []
        size = 0
        for p in plans:
            for vr, n in _value_ranges(p.table, _sheet_rows(p.table, self.tz), room):
                extra = n + (_SEPARATOR if current else 0)
                if current and size + extra > room:
                    yield {"valueInputOption": "RAW", "data": current}
                    current, size, extra = [], 0, n
                current.append(vr)
                size += extra
        if current:
            yield {"valueInputOption": "RAW", "data": current}


# ---------------------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------------------


def layout_hash(table: Table) -> str:
    """What decides whether a tab's formatting must be re-applied."""
    key = (
        LAYOUT_VERSION,
        tuple((c.header, c.kind, c.width) for c in table.columns),
        len(table.rows),
        tuple(sorted(table.highlight_rows)),
        tuple(sorted(table.heading_rows)),
        drawable_charts(table),  # charts are written with the formatting, not the values
    )
    return hashlib.sha256(repr(key).encode("utf-8")).hexdigest()


def _plan(table: Table, tab: _Tab | None, previous: Mapping[str, str], used_ids: set[int]) -> _Plan:
    content, layout = table_hash(table), layout_hash(table)
    extent = (HEADER_ROWS + len(table.rows), max(len(table.columns), 1))
    need = (max(extent[0], MIN_GRID_ROWS), extent[1])
    charts = len(drawable_charts(table))
    if charts:  # room right of the table for the charts' anchors and width
        need = (
            max(need[0], HEADER_ROWS + charts * CHART_ROWS),
            extent[1] + CHART_COLUMNS,
        )
    name = table.name
    if tab is None:
        return _Plan(
            table=table,
            content=content,
            layout=layout,
            extent=extent,
            tab=None,
            sheet_id=_new_sheet_id(name, used_ids),
            grid=need,
            rewrite=True,
            restyle=True,
            clear=False,
        )
    rewrite = previous.get(name) != content
    restyle = previous.get(name + LAYOUT_SUFFIX) != layout
    # grids only grow (resizing down would delete rows); leftovers are cleared instead
    grid = (tab.rows, tab.cols)
    if rewrite or restyle:
        grid = (max(tab.rows, need[0]), max(tab.cols, need[1]))
    before = _parse_extent(previous.get(name + EXTENT_SUFFIX))
    # unknown extent (state lost, or a tab made by hand): clear the rest of the grid
    clear = rewrite and (before is None or before[0] > extent[0] or before[1] > extent[1])
    return _Plan(
        table=table,
        content=content,
        layout=layout,
        extent=extent,
        tab=tab,
        sheet_id=tab.sheet_id,
        grid=grid,
        rewrite=rewrite,
        restyle=restyle,
        clear=clear,
    )


def _titled_as_found(tables: Sequence[Table], existing: Mapping[str, _Tab]) -> list[Table]:
    """Each table named as its existing tab is titled: a tab titled in NFD (typed on
    another keyboard) is the table's tab, addressed by its own title, not a second one."""
    found = {unicodedata.normalize("NFC", title): title for title in existing}
    found.update({title: title for title in existing})  # an exact title first
    out = []
    for t in tables:
        title = found.get(t.name, t.name)  # t.name is NFC already
        out.append(t if title == t.name else dataclasses.replace(t, name=title))
    return out


def _parse_extent(text: str | None) -> tuple[int, int] | None:
    try:
        rows, cols = (text or "").split(",")
        return int(rows), int(cols)
    except ValueError:
        return None


def _new_sheet_id(title: str, used: set[int]) -> int:
    """A sheetId chosen here, so the formatting requests in the same batch can name it."""
    seed = f"{title}|{','.join(map(str, sorted(used)))}"
    sheet_id = int(hashlib.sha256(seed.encode("utf-8")).hexdigest()[:8], 16) % (2**31 - 1) + 1
    while sheet_id in used:
        sheet_id = sheet_id % (2**31 - 1) + 1
    return sheet_id


def _insert_index(order: list[str], names: Sequence[str], i: int) -> int:
    """Where a new tab goes: after the previous table's tab, else before the next one's,
    else at the end, so our tabs keep the tables' order around the ward's own tabs."""
    for name in reversed(names[:i]):
        if name in order:
            return order.index(name) + 1
    for name in names[i + 1 :]:
        if name in order:
            return order.index(name)
    return len(order)


# ---------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------


def _sheet_rows(table: Table, tz: tzinfo) -> list[list[Any]]:
    """Row 1 the stamp, row 2 the headers, then the data as Sheets values."""
    ncols = len(table.columns)
    out: list[list[Any]] = [[stamp_text(table)], [_text(c.header) for c in table.columns]]
    for row in table.rows:
        out.append(
            [
                sheet_value(row[j] if j < len(row) else None, table.columns[j], tz)
                for j in range(ncols)
            ]
        )
    return out


def sheet_value(value: Cell, column: Column, tz: tzinfo) -> str | int | float:
    """One cell as written with RAW input: numbers as numbers, dates as serial numbers (the
    column's number format shows them), everything else as text, never a formula."""
    if value is None:
        return ""  # null would leave the old value in place
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, datetime):
        local = value.astimezone(tz).replace(tzinfo=None) if value.tzinfo else value
        return (local - _EPOCH) / _ONE_DAY
    if isinstance(value, date):
        return (value - _EPOCH_DATE).days
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else ""
    return _text(str(value))


def _text(text: str) -> str:
    return text[:CELL_TEXT_MAX]


def _value_ranges(
    table: Table, rows: list[list[Any]], room: int
) -> list[tuple[dict[str, Any], int]]:
    """The tab's ValueRanges with their JSON sizes; one unless it alone exceeds ``room``."""
    last_col = _column_letters(max(len(table.columns), 1))
    tab = a1_tab(table.name)
    sizes = [len(_dumps(r)) for r in rows]
    # the envelope of a ValueRange, with the longest range text this tab can have
    longest = f"{tab}!A{len(rows)}:{last_col}{len(rows)}"
    envelope = len(_dumps({"range": longest, "values": []}))
    out: list[tuple[dict[str, Any], int]] = []
    start = 0
    while start < len(rows):
        end, size = start + 1, envelope + sizes[start]
        while end < len(rows) and size + _SEPARATOR + sizes[end] <= room:
            size += _SEPARATOR + sizes[end]
            end += 1
        vr = {"range": f"{tab}!A{start + 1}:{last_col}{end}", "values": rows[start:end]}
        out.append((vr, len(_dumps(vr))))
        start = end
    return out


def _dumps(obj: object) -> str:
    return json.dumps(obj, allow_nan=False)  # as requests serialises the body


def _leftover_ranges(p: _Plan) -> list[str]:
    """What a longer earlier version (or a hand-made tab) left below and right of the new
    content."""
    rows, cols = p.extent
    grid_rows, grid_cols = p.grid
    tab = a1_tab(p.table.name)
    last = _column_letters(grid_cols)
    out = []
    if rows < grid_rows:
        out.append(f"{tab}!A{rows + 1}:{last}{grid_rows}")
    if cols < grid_cols:
        out.append(f"{tab}!{_column_letters(cols + 1)}1:{last}{min(rows, grid_rows)}")
    return out


def _column_letters(n: int) -> str:
    """1 -> "A", 27 -> "AA"."""
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(ord("A") + rem) + out
    return out


# ---------------------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------------------


def column_pixels(column: Column) -> int:
    return max(column.width, 4) * PX_PER_CHAR + PX_PADDING


def number_format(kind: ColumnKind) -> dict[str, str]:
    """The Sheets number format of a column kind (the XLSX patterns); text columns are TEXT,
    so a cell edited later by hand is not read as a formula either."""
    if kind in _NUMBER_TYPES:
        return {"type": _NUMBER_TYPES[kind], "pattern": NUMBER_FORMATS[kind]}
    return {"type": "TEXT"}


def _format_requests(p: _Plan) -> list[dict[str, Any]]:
    sid, columns = p.sheet_id, p.table.columns
    ncols = max(len(columns), 1)
    grid_rows, grid_cols = p.grid

    def box(r0: int, r1: int, c0: int, c1: int) -> dict[str, int]:
        return {
            "sheetId": sid,
            "startRowIndex": r0,
            "endRowIndex": r1,
            "startColumnIndex": c0,
            "endColumnIndex": c1,
        }

    def repeat(rng: dict[str, int], fmt: dict[str, Any], fields: str) -> dict[str, Any]:
        return {
            "repeatCell": {
                "range": rng,
                "cell": {"userEnteredFormat": fmt} if fmt else {},
                "fields": fields,
            }
        }

    requests = [
        # start from a clean tab: earlier highlights and formats of other kinds go
        repeat(box(0, grid_rows, 0, grid_cols), {}, "userEnteredFormat"),
        repeat(
            box(0, 1, 0, 1),
            {"textFormat": {"bold": True, "italic": True, "foregroundColor": _STAMP_FG}},
            "userEnteredFormat.textFormat",
        ),
        repeat(
            box(1, 2, 0, ncols),
            {
                "textFormat": {"bold": True},
                "backgroundColor": _HEADER_BG,
                "wrapStrategy": "WRAP",
                "verticalAlignment": "MIDDLE",
            },
            "userEnteredFormat(textFormat,backgroundColor,wrapStrategy,verticalAlignment)",
        ),
    ]
    for c0, c1, kind in _runs([c.kind for c in columns]):
        requests.append(
            repeat(
                box(HEADER_ROWS, grid_rows, c0, c1),
                {"numberFormat": number_format(kind)},
                "userEnteredFormat.numberFormat",
            )
        )
    highlighted = sorted(i for i in p.table.highlight_rows if 0 <= i < len(p.table.rows))
    for r0, r1 in _index_runs(highlighted):
        requests.append(
            repeat(
                box(HEADER_ROWS + r0, HEADER_ROWS + r1, 0, ncols),
                {"backgroundColor": _HIGHLIGHT_BG},
                "userEnteredFormat.backgroundColor",
            )
        )
    headings = sorted(i for i in p.table.heading_rows if 0 <= i < len(p.table.rows))
    for r0, r1 in _index_runs(headings):
        requests.append(
            repeat(
                box(HEADER_ROWS + r0, HEADER_ROWS + r1, 0, ncols),
                {"textFormat": {"bold": True}},
                "userEnteredFormat.textFormat.bold",
            )
        )
    for c0, c1, px in _runs([column_pixels(c) for c in columns]):
        requests.append(
            {
                "updateDimensionProperties": {
                    "range": {
                        "sheetId": sid,
                        "dimension": "COLUMNS",
                        "startIndex": c0,
                        "endIndex": c1,
                    },
                    "properties": {"pixelSize": px},
                    "fields": "pixelSize",
                }
            }
        )
    return requests


def _chart_requests(p: _Plan) -> list[dict[str, Any]]:
    """One addChart per chart of the table, over the tab's own cells."""
    return [
        {"addChart": {"chart": _embedded_chart(p.table, p.sheet_id, chart, k)}}
        for k, chart in enumerate(drawable_charts(p.table))
    ]


def _embedded_chart(table: Table, sheet_id: int, chart: Chart, k: int) -> dict[str, Any]:
    """A BAR or COLUMN basic chart. Each range is the column's header cell (the series'
    name, ``headerCount`` 1) and the chart's rows: two sources unless they touch."""
    first = HEADER_ROWS + chart.first_row  # 0-based grid rows
    last = HEADER_ROWS + chart.last_row + 1

    def data(col: int) -> dict[str, Any]:
        def rng(r0: int, r1: int) -> dict[str, int]:
            return {
                "sheetId": sheet_id,
                "startRowIndex": r0,
                "endRowIndex": r1,
                "startColumnIndex": col,
                "endColumnIndex": col + 1,
            }

        header = HEADER_ROWS - 1
        if first == HEADER_ROWS:
            sources = [rng(header, last)]
        else:
            sources = [rng(header, header + 1), rng(first, last)]
        return {"sourceRange": {"sources": sources}}

    stacked = chart.stacked and len(chart.series) > 1
    spec: dict[str, Any] = {
        "chartType": "BAR" if chart.kind == "bar" else "COLUMN",
        "legendPosition": "BOTTOM_LEGEND" if len(chart.series) > 1 else "NO_LEGEND",
        "headerCount": 1,
        "domains": [{"domain": data(chart.categories)}],
        "series": [{"series": data(col)} for col in chart.series],
    }
    if stacked:
        spec["stackedType"] = "STACKED"
    return {
        "spec": {"title": chart.title, "basicChart": spec},
        "position": {
            "overlayPosition": {
                "anchorCell": {
                    "sheetId": sheet_id,
                    "rowIndex": HEADER_ROWS + k * CHART_ROWS,
                    "columnIndex": max(len(table.columns), 1) + 1,
                },
                "widthPixels": CHART_WIDTH_PX,
                "heightPixels": CHART_HEIGHT_PX,
            }
        },
    }


def _runs(items: Sequence[Any]) -> list[tuple[int, int, Any]]:
    """[a, a, b] -> [(0, 2, a), (2, 3, b)]."""
    out: list[tuple[int, int, Any]] = []
    for i, item in enumerate(items):
        if out and out[-1][2] == item:
            out[-1] = (out[-1][0], i + 1, item)
        else:
            out.append((i, i + 1, item))
    return out


def _index_runs(indexes: Sequence[int]) -> list[tuple[int, int]]:
    """[1, 2, 3, 7] -> [(1, 4), (7, 8)]."""
    out: list[tuple[int, int]] = []
    for i in indexes:
        if out and out[-1][1] == i:
            out[-1] = (out[-1][0], i + 1)
        else:
            out.append((i, i + 1))
    return out
