"""Sheets v4 state and behaviour of the fake: spreadsheets, tabs, cells and the
``spreadsheets`` / ``spreadsheets.values`` methods gspread and the daemon use."""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from .cells import (
    Box,
    Cell,
    box_a1,
    column_letters,
    datetime_to_serial,
    json_number,
    parse_cells,
    parse_user_entered,
    quote_title,
    split_range,
)
from .discovery import ApiError, bad_request

DEFAULT_ROWS = 1000
DEFAULT_COLUMNS = 26
DEFAULT_PIXEL_SIZE = 100


@dataclass(frozen=True)
class CellView:
    """A snapshot of one cell, for assertions: ``value`` is what was entered (the formula
    text for a formula; numbers as float), ``formatted`` what FORMATTED_VALUE returns."""

    value: str | float | bool | None
    formatted: str
    is_formula: bool
    format: dict[str, Any]
    note: str | None = None


@dataclass
class Sheet:
    properties: dict[str, Any]
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    columns: dict[int, dict[str, Any]] = field(default_factory=dict)  # DimensionProperties
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    basic_filter: dict[str, Any] | None = None
    conditional_formats: list[dict[str, Any]] = field(default_factory=list)
    charts: list[dict[str, Any]] = field(default_factory=list)  # EmbeddedChart resources

    @property
    def title(self) -> str:
        return str(self.properties["title"])

    @property
    def sheet_id(self) -> int:
        return int(self.properties["sheetId"])

    @property
    def grid(self) -> dict[str, Any]:
        return self.properties.setdefault("gridProperties", {})

    @property
    def row_count(self) -> int:
        return int(self.grid.get("rowCount", DEFAULT_ROWS))

    @property
    def column_count(self) -> int:
        return int(self.grid.get("columnCount", DEFAULT_COLUMNS))

    def cell(self, r: int, c: int) -> Cell:
        cell = self.cells.get((r, c))
        if cell is None:
            cell = self.cells[(r, c)] = Cell()
        return cell

    def tidy(self, r: int, c: int) -> None:
        cell = self.cells.get((r, c))
        if cell is not None and cell.value is None and not cell.format and cell.note is None:
            del self.cells[(r, c)]

    def clone(self) -> Sheet:
        return Sheet(
            copy.deepcopy(self.properties),
            {key: cell.clone() for key, cell in self.cells.items()},
            copy.deepcopy(self.columns),
            copy.deepcopy(self.rows),
            copy.deepcopy(self.basic_filter),
            copy.deepcopy(self.conditional_formats),
            copy.deepcopy(self.charts),
        )

    def truncate(self) -> None:
        rows, cols = self.row_count, self.column_count
        for key in [k for k in self.cells if k[0] >= rows or k[1] >= cols]:
            del self.cells[key]


@dataclass
class Spreadsheet:
    spreadsheet_id: str
    title: str
    locale: str
    time_zone: str
    sheets: list[Sheet]
    created: datetime
    modified: datetime

    def clone(self) -> Spreadsheet:
        return Spreadsheet(
            self.spreadsheet_id,
            self.title,
            self.locale,
            self.time_zone,
            [sheet.clone() for sheet in self.sheets],
            self.created,
            self.modified,
        )

    def by_title(self, title: str) -> Sheet | None:
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        folded = title.casefold()
        for sheet in self.sheets:
            if sheet.title.casefold() == folded:
                return sheet
        return None

    def by_id(self, sheet_id: int) -> Sheet | None:
        for sheet in self.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        return None

    def chart_ids(self) -> set[int]:
        """Embedded object ids are unique in the whole spreadsheet."""
        return {int(c["chartId"]) for sheet in self.sheets for c in sheet.charts}


# ---------------------------------------------------------------------------------------
# Field masks
# ---------------------------------------------------------------------------------------


def parse_field_mask(mask: str) -> list[str]:
    """``"userEnteredFormat(numberFormat,textFormat.bold),note"`` -> dotted paths."""
    paths: list[str] = []

    def parse(i: int, prefix: str) -> int:
        token = ""
        while i < len(mask):
            ch = mask[i]
            if ch == "(":
                i = parse(i + 1, prefix + token.strip() + ".")
                token = ""
                continue
            if ch == ")":
                if token.strip():
                    paths.append(prefix + token.strip())
                return i + 1
            if ch == ",":
                if token.strip():
                    paths.append(prefix + token.strip())
                token = ""
            else:
                token += ch
            i += 1
        if token.strip():
            paths.append(prefix + token.strip())
        return i

    parse(0, "")
    return [p.replace("/", ".") for p in paths]


def _prune(d: dict[str, Any], keys: list[str]) -> None:
    """Drop dicts left empty along ``keys`` after a deletion."""
    if not keys:
        return
    child = d.get(keys[0])
    if isinstance(child, dict):
        _prune(child, keys[1:])
        if not child:
            del d[keys[0]]


def apply_mask(target: dict[str, Any], source: Mapping[str, Any], paths: Iterable[str]) -> None:
    for path in paths:
        if path == "*":
            target.clear()
            target.update(copy.deepcopy(dict(source)))
            continue
        keys = path.split(".")
        src: Any = source
        for k in keys:
            src = src.get(k) if isinstance(src, Mapping) else None
        node = target
        for k in keys[:-1]:
            nxt = node.get(k)
            if not isinstance(nxt, dict):
                if src is None:
                    node = {}
                    break
                nxt = node[k] = {}
            node = nxt
        if src is None:
            node.pop(keys[-1], None)
            _prune(target, keys[:-1])
        else:
            node[keys[-1]] = copy.deepcopy(src)


# ---------------------------------------------------------------------------------------
# State
# ---------------------------------------------------------------------------------------


class SheetsState:
    def __init__(self, schemas: Mapping[str, Any], *, seed: int = 20261123) -> None:
        self.schemas = schemas
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self._rng = random.Random(seed)

    # -- set-up -------------------------------------------------------------------------

    def new_sheet_id(self, ss: Spreadsheet | None) -> int:
        used = {s.sheet_id for s in ss.sheets} if ss else set()
        while True:
            candidate = self._rng.randrange(1, 2**31 - 1)
            if candidate not in used:
                return candidate

    def add_spreadsheet(
        self,
        spreadsheet_id: str,
        tabs: Mapping[str, Sequence[Sequence[object]]],
        *,
        title: str,
        locale: str,
        time_zone: str,
        grid_rows: int | None = None,
    ) -> Spreadsheet:
        if spreadsheet_id in self.spreadsheets:
            raise ValueError(f"spreadsheet {spreadsheet_id!r} already exists")
        now = datetime.now(UTC)
        ss = Spreadsheet(spreadsheet_id, title, locale, time_zone, [], now, now)
        for index, (tab_title, rows) in enumerate((tabs or {"Trang tính1": []}).items()):
            n_rows = len(rows)
            n_cols = max((len(r) for r in rows), default=0)
            sheet = Sheet(
                {
                    "sheetId": 0 if index == 0 else self.new_sheet_id(ss),
                    "title": tab_title,
                    "index": index,
                    "sheetType": "GRID",
                    "gridProperties": {
                        "rowCount": max(DEFAULT_ROWS, n_rows) if grid_rows is None else max(
                            grid_rows, n_rows, 1
                        ),
                        "columnCount": max(DEFAULT_COLUMNS, n_cols),
                    },
                }
            )
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    self._store_seed(sheet, r, c, value)
            ss.sheets.append(sheet)
        self.spreadsheets[spreadsheet_id] = ss
        return ss

    @staticmethod
    def _store_seed(sheet: Sheet, r: int, c: int, value: object) -> None:
        if value is None or value == "":
            return
        cell = sheet.cell(r, c)
        if isinstance(value, datetime):
            cell.value = datetime_to_serial(value)
            cell.format["numberFormat"] = {"type": "DATE_TIME", "pattern": "dd/mm/yyyy HH:mm:ss"}
        elif isinstance(value, date):
            cell.value = datetime_to_serial(value)
            cell.format["numberFormat"] = {"type": "DATE", "pattern": "dd/mm/yyyy"}
        elif isinstance(value, bool):
            cell.value = value
        elif isinstance(value, int | float):
            cell.value = float(value)
        else:
            cell.value = str(value)

    def get(self, spreadsheet_id: str) -> Spreadsheet:
        ss = self.spreadsheets.get(spreadsheet_id)
        if ss is None:
            raise ApiError(404, "Requested entity was not found.")
        return ss

    def tab(self, spreadsheet_id: str, title: str) -> Sheet:
        ss = self.spreadsheets[spreadsheet_id]
        sheet = ss.by_title(title)
        if sheet is None:
            raise KeyError(
                f"no tab {title!r} in {spreadsheet_id!r}: {[s.title for s in ss.sheets]}"
            )
        return sheet

    # -- ranges -------------------------------------------------------------------------

    def resolve(self, ss: Spreadsheet, text: str) -> tuple[Sheet, Box]:
        try:
            title, cells = split_range(text)
        except ValueError:
            raise bad_request(f"Unable to parse range: {text}") from None
        if title is None:
            sheet: Sheet | None = ss.sheets[0] if ss.sheets else None
        else:
            sheet = ss.by_title(title)
        if sheet is None:
            raise bad_request(f"Unable to parse range: {text}")
        if cells is None or cells == "":
            return sheet, Box(0, 0, None, None, anchor=True)
        box = parse_cells(cells)
        if box is None:
            raise bad_request(f"Unable to parse range: {text}")
        return sheet, box

    @staticmethod
    def a1(sheet: Sheet, box: Box) -> str:
        r1 = min(box.r1, sheet.row_count) if box.r1 is not None else sheet.row_count
        c1 = min(box.c1, sheet.column_count) if box.c1 is not None else sheet.column_count
        clamped = Box(box.r0, box.c0, r1, c1)
        return f"{quote_title(sheet.title)}!{box_a1(clamped, sheet.row_count, sheet.column_count)}"

    @staticmethod
    def _grid_error(sheet: Sheet, a1: str) -> ApiError:
        return bad_request(
            f"Range ({quote_title(sheet.title)}!{a1}) exceeds grid limits. "
            f"Max rows: {sheet.row_count}, max columns: {sheet.column_count}"
        )

    def _check_start(self, sheet: Sheet, box: Box) -> None:
        if box.r0 >= sheet.row_count or box.c0 >= sheet.column_count:
            a1 = f"{column_letters(box.c0)}{box.r0 + 1}"
            raise self._grid_error(sheet, a1)

    # -- reading ------------------------------------------------------------------------

    def render(
        self, cell: Cell | None, render: str, date_time: str, locale: str
    ) -> str | int | float | bool:
        if cell is None or cell.value is None:
            return ""
        if render == "FORMULA" and cell.is_formula:
            return str(cell.value)
        if render == "FORMATTED_VALUE":
            return cell.formatted(locale)
        value = cell.effective
        if value is None:
            return ""
        if isinstance(value, bool | str):
            return value
        kind = cell.format.get("numberFormat", {}).get("type")
        if date_time == "FORMATTED_STRING" and kind in ("DATE", "DATE_TIME", "TIME"):
            return cell.formatted(locale)
        return json_number(float(value))

    def read(
        self,
        ss: Spreadsheet,
        sheet: Sheet,
        box: Box,
        *,
        render: str = "FORMATTED_VALUE",
        date_time: str = "SERIAL_NUMBER",
        major: str = "ROWS",
    ) -> list[list[Any]]:
        r1 = min(box.r1, sheet.row_count) if box.r1 is not None else sheet.row_count
        c1 = min(box.c1, sheet.column_count) if box.c1 is not None else sheet.column_count
        found: dict[tuple[int, int], Any] = {}
        for (r, c), cell in sheet.cells.items():
            if box.r0 <= r < r1 and box.c0 <= c < c1 and cell.value is not None:
                value = self.render(cell, render, date_time, ss.locale)
                if value != "":
                    found[(r - box.r0, c - box.c0)] = value
        if major == "COLUMNS":
            found = {(c, r): v for (r, c), v in found.items()}
        if not found:
            return []
        n_rows = max(r for r, _ in found) + 1
        out: list[list[Any]] = [[] for _ in range(n_rows)]
        widths = [0] * n_rows
        for r, c in found:
            widths[r] = max(widths[r], c + 1)
        for r in range(n_rows):
            out[r] = [found.get((r, c), "") for c in range(widths[r])]
        return out

    def value_range(
        self, ss: Spreadsheet, text: str, params: Mapping[str, Any], *, check: bool = True
    ) -> dict[str, Any]:
        sheet, box = self.resolve(ss, text)
        if check:
            self._check_start(sheet, box)
        major = params.get("majorDimension") or "ROWS"
        if major == "DIMENSION_UNSPECIFIED":
            major = "ROWS"
        values = self.read(
            ss,
            sheet,
            box,
            render=params.get("valueRenderOption") or "FORMATTED_VALUE",
            date_time=params.get("dateTimeRenderOption") or "SERIAL_NUMBER",
            major=major,
        )
        out: dict[str, Any] = {"range": self.a1(sheet, box), "majorDimension": major}
        if values:
            out["values"] = values
        return out

    # -- writing ------------------------------------------------------------------------

    def _plan_write(
        self,
        ss: Spreadsheet,
        value_range: Mapping[str, Any],
        option: str,
        where: str,
        range_text: str | None = None,
        *,
        grow: bool = False,
    ) -> tuple[Sheet, Box, list[tuple[int, int, Any]]]:
        """``grow``: rows and columns past the grid are added (values.append); otherwise
        such a write is Google's 400 "Range (...) exceeds grid limits"."""
        if option not in ("RAW", "USER_ENTERED"):
            raise bad_request(
                f"Invalid valueInputOption: {option or 'INPUT_VALUE_OPTION_UNSPECIFIED'}"
            )
        text = range_text if range_text is not None else value_range.get("range")
        if not text:
            raise bad_request(f"Invalid {where}: range is required")
        sheet, box = self.resolve(ss, text)
        body_range = value_range.get("range")
        if range_text is not None and body_range:
            other = self.resolve(ss, body_range)
            if other != (sheet, box):
                raise bad_request(
                    f"Requested update range [{body_range}] doesn't match the URL range "
                    f"[{range_text}]."
                )
        major = value_range.get("majorDimension") or "ROWS"
        rows = value_range.get("values") or []
        writes: list[tuple[int, int, Any]] = []
        shown = self.a1(sheet, box)
        for i, row in enumerate(rows):
            if not isinstance(row, list):
                raise bad_request(f"Invalid {where}.values[{i}]: expected a list of values")
            for j, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, dict | list):
                    kind = "struct_value" if isinstance(value, dict) else "list_value"
                    raise bad_request(f"Invalid values[{i}][{j}]: {kind} {{ {str(value)[:80]} }}")
                r, c = (box.r0 + i, box.c0 + j) if major != "COLUMNS" else (box.r0 + j, box.c0 + i)
                if not box.anchor:
                    if box.r1 is not None and r >= box.r1:
                        raise bad_request(
                            f"Requested writing within range [{shown}], but tried writing to "
                            f"row [{r + 1}]"
                        )
                    if box.c1 is not None and c >= box.c1:
                        raise bad_request(
                            f"Requested writing within range [{shown}], but tried writing to "
                            f"column [{column_letters(c)}]"
                        )
                writes.append((r, c, value))
        if writes:
            max_r = max(w[0] for w in writes)
            max_c = max(w[1] for w in writes)
            if (max_r >= sheet.row_count or max_c >= sheet.column_count) and not grow:
                # Google names the range written, e.g. "Range (Sheet1!AP1:AW1) exceeds grid
                # limits. Max rows: 1000, max columns: 41"
                first = f"{column_letters(box.c0)}{box.r0 + 1}"
                last = f"{column_letters(max_c)}{max_r + 1}"
                raise self._grid_error(sheet, first if first == last else f"{first}:{last}")
        return sheet, box, writes

    def _store(
        self, ss: Spreadsheet, sheet: Sheet, r: int, c: int, value: Any, option: str
    ) -> None:
        cell = sheet.cell(r, c)
        if option == "RAW":
            cell.is_formula = False
            if isinstance(value, bool):
                cell.value = value
            elif isinstance(value, int | float):
                cell.value = float(value)
            else:
                cell.value = str(value) if str(value) != "" else None
        else:
            parsed = parse_user_entered(value, ss.locale)
            cell.value = parsed.value
            cell.is_formula = parsed.is_formula
            if parsed.number_format and "numberFormat" not in cell.format:
                cell.format["numberFormat"] = dict(parsed.number_format)
        sheet.tidy(r, c)

    def _apply_write(
        self,
        ss: Spreadsheet,
        sheet: Sheet,
        box: Box,
        writes: list[tuple[int, int, Any]],
        option: str,
    ) -> dict[str, Any]:
        if writes:
            max_r = max(w[0] for w in writes)
            max_c = max(w[1] for w in writes)
            grid = sheet.grid
            grid["rowCount"] = max(sheet.row_count, max_r + 1)
            grid["columnCount"] = max(sheet.column_count, max_c + 1)
        for r, c, value in writes:
            self._store(ss, sheet, r, c, value, option)
        ss.modified = datetime.now(UTC)
        out: dict[str, Any] = {"spreadsheetId": ss.spreadsheet_id}
        if writes:
            rows = {w[0] for w in writes}
            cols = {w[1] for w in writes}
            span = Box(box.r0, box.c0, max(rows) + 1, max(cols) + 1)
            out["updatedRange"] = (
                f"{quote_title(sheet.title)}!{box_a1(span, sheet.row_count, sheet.column_count)}"
            )
            out["updatedRows"] = len(rows)
            out["updatedColumns"] = len(cols)
            out["updatedCells"] = len(writes)
        else:
            out["updatedRange"] = self.a1(sheet, box)
        return out

    def _with_values(
        self, ss: Spreadsheet, response: dict[str, Any], params: Mapping[str, Any]
    ) -> None:
        if params.get("includeValuesInResponse") and "updatedRange" in response:
            response["updatedData"] = self.value_range(
                ss,
                response["updatedRange"],
                {
                    "valueRenderOption": params.get("responseValueRenderOption"),
                    "dateTimeRenderOption": params.get("responseDateTimeRenderOption"),
                },
                check=False,
            )

    # -- method handlers ----------------------------------------------------------------

    def values_get(self, sid: str, range_text: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return self.value_range(self.get(sid), range_text, params)

    def values_batch_get(self, sid: str, params: Mapping[str, Any]) -> dict[str, Any]:
        ss = self.get(sid)
        ranges = params.get("ranges") or []
        out: dict[str, Any] = {"spreadsheetId": sid}
        if ranges:
            out["valueRanges"] = [self.value_range(ss, r, params) for r in ranges]
        return out

    def values_update(
        self, sid: str, range_text: str, params: Mapping[str, Any], body: Mapping[str, Any]
    ) -> dict[str, Any]:
        ss = self.get(sid)
        option = params.get("valueInputOption") or ""
        sheet, box, writes = self._plan_write(ss, body, option, "data", range_text)
        response = self._apply_write(ss, sheet, box, writes, option)
        self._with_values(ss, response, params)
        return response

    def values_batch_update(self, sid: str, body: Mapping[str, Any]) -> dict[str, Any]:
        ss = self.get(sid)
        option = body.get("valueInputOption") or ""
        plans = [
            self._plan_write(ss, vr, option, f"data[{i}]")
            for i, vr in enumerate(body.get("data") or [])
        ]
        if not plans and option not in ("RAW", "USER_ENTERED"):
            raise bad_request(
                f"Invalid valueInputOption: {option or 'INPUT_VALUE_OPTION_UNSPECIFIED'}"
            )
        responses = [self._apply_write(ss, *plan, option) for plan in plans]
        render = {
            "includeValuesInResponse": body.get("includeValuesInResponse"),
            "responseValueRenderOption": body.get("responseValueRenderOption"),
            "responseDateTimeRenderOption": body.get("responseDateTimeRenderOption"),
        }
        for response in responses:
            self._with_values(ss, response, render)
        out: dict[str, Any] = {"spreadsheetId": sid}
        written = [r for r in responses if r.get("updatedCells")]
        if written:
            out["totalUpdatedRows"] = sum(r["updatedRows"] for r in written)
            out["totalUpdatedColumns"] = sum(r["updatedColumns"] for r in written)
            out["totalUpdatedCells"] = sum(r["updatedCells"] for r in written)
            out["totalUpdatedSheets"] = len({p[0].sheet_id for p in plans if p[2]})
        if responses:
            out["responses"] = responses
        return out

    def values_append(
        self, sid: str, range_text: str, params: Mapping[str, Any], body: Mapping[str, Any]
    ) -> dict[str, Any]:
        ss = self.get(sid)
        option = params.get("valueInputOption") or ""
        sheet, box = self.resolve(ss, range_text)
        c1 = box.c1 if box.c1 is not None else sheet.column_count
        last, last_col = box.r0 - 1, box.c0
        for (r, c), cell in sheet.cells.items():
            if r >= box.r0 and box.c0 <= c < c1 and cell.value is not None:
                last, last_col = max(last, r), max(last_col, c)
        start = last + 1
        anchor = Box(start, box.c0, None, None, anchor=True)
        rows = body.get("values") or []
        plan_body = {"values": rows, "majorDimension": body.get("majorDimension")}
        text = f"{quote_title(sheet.title)}!{column_letters(box.c0)}{start + 1}"
        # "adding data to the end of the sheet will still insert new rows or columns so the
        # data can be written" (InsertDataOption OVERWRITE, Sheets API reference)
        sheet, _, writes = self._plan_write(ss, plan_body, option, "data", text, grow=True)
        if params.get("insertDataOption") == "INSERT_ROWS" and writes:
            n = max(w[0] for w in writes) - start + 1
            moved = {}
            for (r, c), cell in list(sheet.cells.items()):
                if r >= start:
                    del sheet.cells[(r, c)]
                    moved[(r + n, c)] = cell
            sheet.cells.update(moved)
            sheet.grid["rowCount"] = sheet.row_count + n
        updates = self._apply_write(ss, sheet, anchor, writes, option)
        self._with_values(ss, updates, params)
        out: dict[str, Any] = {"spreadsheetId": sid, "updates": updates}
        if last >= box.r0:
            table = Box(box.r0, box.c0, last + 1, last_col + 1)
            out["tableRange"] = (
                f"{quote_title(sheet.title)}!{box_a1(table, sheet.row_count, sheet.column_count)}"
            )
        return out

    def _clear(self, ss: Spreadsheet, text: str) -> str:
        sheet, box = self.resolve(ss, text)
        r1 = box.r1 if box.r1 is not None else sheet.row_count
        c1 = box.c1 if box.c1 is not None else sheet.column_count
        for r, c in [k for k in sheet.cells if box.r0 <= k[0] < r1 and box.c0 <= k[1] < c1]:
            cell = sheet.cells[(r, c)]
            cell.value = None
            cell.is_formula = False
            sheet.tidy(r, c)
        ss.modified = datetime.now(UTC)
        return self.a1(sheet, box)

    def values_clear(self, sid: str, range_text: str) -> dict[str, Any]:
        ss = self.get(sid)
        return {"spreadsheetId": sid, "clearedRange": self._clear(ss, range_text)}

    def values_batch_clear(self, sid: str, body: Mapping[str, Any]) -> dict[str, Any]:
        ss = self.get(sid)
        ranges = body.get("ranges") or []
        for text in ranges:  # validate every range before clearing any
            self.resolve(ss, text)
        out: dict[str, Any] = {"spreadsheetId": sid}
        if ranges:
            out["clearedRanges"] = [self._clear(ss, text) for text in ranges]
        return out

    # -- spreadsheets.get ---------------------------------------------------------------

    @staticmethod
    def sheet_properties(ss: Spreadsheet, sheet: Sheet) -> dict[str, Any]:
        props = copy.deepcopy(sheet.properties)
        props["index"] = ss.sheets.index(sheet)
        grid = props.get("gridProperties", {})
        for key in ("frozenRowCount", "frozenColumnCount"):
            if not grid.get(key):
                grid.pop(key, None)
        return props

    def _grid_data(self, ss: Spreadsheet, sheet: Sheet, box: Box) -> dict[str, Any]:
        r1 = min(box.r1, sheet.row_count) if box.r1 is not None else sheet.row_count
        c1 = min(box.c1, sheet.column_count) if box.c1 is not None else sheet.column_count
        present = [k for k in sheet.cells if box.r0 <= k[0] < r1 and box.c0 <= k[1] < c1]
        last_row = max((k[0] for k in present), default=box.r0 - 1)
        row_data: list[dict[str, Any]] = []
        for r in range(box.r0, last_row + 1):
            cols = [k[1] for k in present if k[0] == r]
            values: list[dict[str, Any]] = []
            for c in range(box.c0, (max(cols) + 1) if cols else box.c0):
                cell = sheet.cells.get((r, c))
                values.append(self._cell_data(ss, cell) if cell else {})
            row_data.append({"values": values} if values else {})
        data: dict[str, Any] = {}
        if box.r0:
            data["startRow"] = box.r0
        if box.c0:
            data["startColumn"] = box.c0
        if row_data:
            data["rowData"] = row_data
        data["rowMetadata"] = [
            {"pixelSize": 21, **sheet.rows.get(r, {})} for r in range(box.r0, r1)
        ]
        data["columnMetadata"] = [
            {"pixelSize": DEFAULT_PIXEL_SIZE, **sheet.columns.get(c, {})} for c in range(box.c0, c1)
        ]
        return data

    @staticmethod
    def _cell_data(ss: Spreadsheet, cell: Cell) -> dict[str, Any]:
        out: dict[str, Any] = {}
        entered = cell.extended_value()
        if entered is not None:
            out["userEnteredValue"] = entered
            effective = cell.extended_value(effective=True)
            if effective is not None:
                out["effectiveValue"] = effective
            out["formattedValue"] = cell.formatted(ss.locale)
        if cell.format:
            out["userEnteredFormat"] = copy.deepcopy(cell.format)
            out["effectiveFormat"] = copy.deepcopy(cell.format)
        if cell.note is not None:
            out["note"] = cell.note
        return out

    def spreadsheet_resource(
        self,
        ss: Spreadsheet,
        *,
        include_grid: bool = False,
        ranges: Sequence[str] = (),
    ) -> dict[str, Any]:
        wanted: dict[int, list[Box]] = {}
        for text in ranges:
            sheet, box = self.resolve(ss, text)
            wanted.setdefault(sheet.sheet_id, []).append(box)
        sheets = []
        for sheet in ss.sheets:
            if ranges and sheet.sheet_id not in wanted:
                continue
            entry: dict[str, Any] = {"properties": self.sheet_properties(ss, sheet)}
            if sheet.basic_filter is not None:
                entry["basicFilter"] = copy.deepcopy(sheet.basic_filter)
            if sheet.conditional_formats:
                entry["conditionalFormats"] = copy.deepcopy(sheet.conditional_formats)
            if sheet.charts:
                entry["charts"] = copy.deepcopy(sheet.charts)
            if include_grid:
                boxes = wanted.get(sheet.sheet_id) or [Box(0, 0, None, None)]
                entry["data"] = [self._grid_data(ss, sheet, b) for b in boxes]
            sheets.append(entry)
        return {
            "spreadsheetId": ss.spreadsheet_id,
            "properties": {
                "title": ss.title,
                "locale": ss.locale,
                "autoRecalc": "ON_CHANGE",
                "timeZone": ss.time_zone,
                "defaultFormat": {
                    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
                    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
                    "verticalAlignment": "BOTTOM",
                    "wrapStrategy": "OVERFLOW_CELL",
                    "textFormat": {"fontFamily": "arial,sans,sans-serif", "fontSize": 10},
                },
            },
            "sheets": sheets,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{ss.spreadsheet_id}/edit",
        }

    def spreadsheets_get(self, sid: str, params: Mapping[str, Any]) -> dict[str, Any]:
        ss = self.get(sid)
        fields = str(params.get("fields") or "")
        wants_data = bool(params.get("includeGridData")) or bool(
            re.search(r"(^|[.,/(])data([.,/()]|$)", fields)
        )
        return self.spreadsheet_resource(
            ss, include_grid=wants_data, ranges=params.get("ranges") or []
        )

    # -- spreadsheets.batchUpdate -------------------------------------------------------

    SUPPORTED_REQUESTS = (
        "addSheet",
        "deleteSheet",
        "updateSheetProperties",
        "updateDimensionProperties",
        "repeatCell",
        "updateCells",
        "autoResizeDimensions",
        "setBasicFilter",
        "clearBasicFilter",
        "appendDimension",
        "addConditionalFormatRule",
        "deleteConditionalFormatRule",
        "addChart",
        "deleteEmbeddedObject",
    )

    def batch_update(self, sid: str, body: Mapping[str, Any]) -> dict[str, Any]:
        ss = self.get(sid)
        requests = body.get("requests") or []
        work = ss.clone()  # the batch is atomic: applied to a copy
        replies: list[dict[str, Any]] = []
        for i, request in enumerate(requests):
            kinds = [k for k, v in request.items() if v is not None]
            if len(kinds) != 1:
                if not kinds:
                    raise bad_request(f"Invalid requests[{i}]: No request set.")
                raise bad_request(
                    f"Invalid value at 'requests[{i}]' (oneof), oneof field 'kind' is already "
                    f"set. Cannot set '{kinds[1]}'"
                )
            kind = kinds[0]
            if kind not in self.SUPPORTED_REQUESTS:
                raise bad_request(
                    f"Invalid requests[{i}].{kind}: the fake Sheets API does not model this "
                    f"request kind (supported: {', '.join(self.SUPPORTED_REQUESTS)})"
                )
            handler = getattr(self, f"_req_{kind}")
            try:
                reply = handler(work, request[kind])
            except _RequestError as exc:
                raise bad_request(f"Invalid requests[{i}].{kind}: {exc}") from None
            replies.append(reply or {})
        if requests:
            work.modified = datetime.now(UTC)
        self.spreadsheets[sid] = work
        out: dict[str, Any] = {"spreadsheetId": sid, "replies": replies}
        if body.get("includeSpreadsheetInResponse"):
            out["updatedSpreadsheet"] = self.spreadsheet_resource(
                work,
                include_grid=bool(body.get("responseIncludeGridData")),
                ranges=body.get("responseRanges") or [],
            )
        return out

    # helpers for the request handlers

    def _sheet(self, ss: Spreadsheet, sheet_id: int | None) -> Sheet:
        sheet = ss.by_id(sheet_id or 0)
        if sheet is None:
            raise _RequestError(f"No grid with id: {sheet_id or 0}")
        return sheet

    def _check_mask(self, schema: str, paths: Sequence[str], what: str) -> None:
        if not paths:
            raise _RequestError(f"At least one field must be specified in '{what}'.")
        for path in paths:
            if path == "*":
                continue
            node: Mapping[str, Any] | None = self.schemas.get(schema)
            for key in path.split("."):
                props = (node or {}).get("properties", {})
                if key not in props:
                    raise _RequestError(f"Invalid field mask path '{path}' for {schema}.")
                prop = props[key]
                ref = prop.get("$ref") or (prop.get("items") or {}).get("$ref")
                node = self.schemas.get(ref) if ref else {}

    def _grid_box(self, sheet: Sheet, grid_range: Mapping[str, Any]) -> tuple[int, int, int, int]:
        r0 = grid_range.get("startRowIndex") or 0
        c0 = grid_range.get("startColumnIndex") or 0
        r1 = grid_range.get("endRowIndex")
        c1 = grid_range.get("endColumnIndex")
        r1 = sheet.row_count if r1 is None else r1
        c1 = sheet.column_count if c1 is None else c1
        if r0 < 0 or c0 < 0 or r1 < r0 or c1 < c0:
            raise _RequestError("Invalid range: start index after end index.")
        if r1 > sheet.row_count or c1 > sheet.column_count:
            a1 = box_a1(Box(r0, c0, r1, c1), sheet.row_count, sheet.column_count)
            raise _RequestError(
                f"Range ({quote_title(sheet.title)}!{a1}) exceeds grid limits. "
                f"Max rows: {sheet.row_count}, max columns: {sheet.column_count}"
            )
        return r0, c0, r1, c1

    def _apply_cell_data(
        self,
        ss: Spreadsheet,
        sheet: Sheet,
        r: int,
        c: int,
        data: Mapping[str, Any],
        paths: list[str],
    ) -> None:
        cell = sheet.cell(r, c)
        current: dict[str, Any] = {}
        if cell.format:
            current["userEnteredFormat"] = cell.format
        entered = cell.extended_value()
        if entered is not None:
            current["userEnteredValue"] = entered
        if cell.note is not None:
            current["note"] = cell.note
        apply_mask(current, data, paths)
        cell.format = current.get("userEnteredFormat") or {}
        cell.note = current.get("note")
        value = current.get("userEnteredValue") or {}
        cell.is_formula = "formulaValue" in value
        if "formulaValue" in value:
            cell.value = str(value["formulaValue"])
        elif "numberValue" in value:
            cell.value = float(value["numberValue"])
        elif "boolValue" in value:
            cell.value = bool(value["boolValue"])
        elif "stringValue" in value:
            cell.value = str(value["stringValue"]) or None
        else:
            cell.value = None
        sheet.tidy(r, c)

    # request handlers: each gets the working copy and the request payload

    def _req_addSheet(self, ss: Spreadsheet, payload: Mapping[str, Any]) -> dict[str, Any]:
        given = copy.deepcopy(dict(payload.get("properties") or {}))
        title = given.get("title")
        if title is None:
            n = len(ss.sheets) + 1
            while ss.by_title(f"Sheet{n}"):
                n += 1
            title = f"Sheet{n}"
        if not str(title).strip():
            raise _RequestError("Sheet title must not be empty.")
        if ss.by_title(title):
            raise _RequestError(
                f'A sheet with the name "{title}" already exists. Please enter another name.'
            )
        sheet_id = given.get("sheetId")
        if sheet_id is None:
            sheet_id = self.new_sheet_id(ss)
        elif ss.by_id(sheet_id) is not None or sheet_id < 0:
            raise _RequestError(f"Sheet with id {sheet_id} already exists.")
        grid = {"rowCount": DEFAULT_ROWS, "columnCount": DEFAULT_COLUMNS}
        grid.update(given.get("gridProperties") or {})
        props = {**given, "sheetId": sheet_id, "title": title, "sheetType": "GRID"}
        props["gridProperties"] = grid
        index = given.get("index")
        index = len(ss.sheets) if index is None else max(0, min(index, len(ss.sheets)))
        sheet = Sheet(props)
        ss.sheets.insert(index, sheet)
        return {"addSheet": {"properties": self.sheet_properties(ss, sheet)}}

    def _req_deleteSheet(self, ss: Spreadsheet, payload: Mapping[str, Any]) -> None:
        sheet = self._sheet(ss, payload.get("sheetId"))
        if len(ss.sheets) == 1:
            raise _RequestError("You can't remove all the sheets in a document.")
        ss.sheets.remove(sheet)

    def _req_updateSheetProperties(self, ss: Spreadsheet, payload: Mapping[str, Any]) -> None:
        source = payload.get("properties") or {}
        sheet = self._sheet(ss, source.get("sheetId"))
        paths = parse_field_mask(str(payload.get("fields") or ""))
        self._check_mask("SheetProperties", paths, "fields")
        old_title, old_index = sheet.title, ss.sheets.index(sheet)
        props = copy.deepcopy(sheet.properties)
        apply_mask(props, source, paths)
        props["sheetId"] = sheet.sheet_id
        props.setdefault("sheetType", "GRID")
        grid = props.setdefault("gridProperties", {})
        grid.setdefault("rowCount", sheet.row_count)
        grid.setdefault("columnCount", sheet.column_count)
        if grid["rowCount"] < 1 or grid["columnCount"] < 1:
            raise _RequestError("A sheet must have at least one row and one column.")
        title = props.get("title") or old_title
        if title != old_title and ss.by_title(title) not in (None, sheet):
            raise _RequestError(
                f'A sheet with the name "{title}" already exists. Please enter another name.'
            )
        props["title"] = title
        sheet.properties = props
        sheet.truncate()
        index = props.get("index", old_index)
        if index != old_index:
            ss.sheets.remove(sheet)
            ss.sheets.insert(max(0, min(index, len(ss.sheets))), sheet)

    def _req_updateDimensionProperties(self, ss: Spreadsheet, payload: Mapping[str, Any]) -> None:
        rng = payload.get("range") or {}
        sheet = self._sheet(ss, rng.get("sheetId"))
        paths = parse_field_mask(str(payload.get("fields") or ""))
        self._check_mask("DimensionProperties", paths, "fields")
        dimension = rng.get("dimension")
        if dimension not in ("ROWS", "COLUMNS"):
            raise _RequestError("range.dimension must be ROWS or COLUMNS.")
        limit = sheet.row_count if dimension == "ROWS" else sheet.column_count
        start = rng.get("startIndex") or 0
        end = limit if rng.get("endIndex") is None else rng["endIndex"]
        if start < 0 or end < start or end > limit:
            raise _RequestError(
                f"Invalid dimension range {start}..{end}: the sheet has {limit} "
                f"{dimension.lower()}."
            )
        store = sheet.rows if dimension == "ROWS" else sheet.columns
        for index in range(start, end):
            props = store.setdefault(index, {})
            apply_mask(props, payload.get("properties") or {}, paths)
            if not props:
                del store[index]

    def _req_repeatCell(self, ss: Spreadsheet, payload: Mapping[str, Any]) -> None:
        rng = payload.get("range") or {}
        sheet = self._sheet(ss, rng.get("sheetId"))
        paths = parse_field_mask(str(payload.get("fields") or ""))
        self._check_mask("CellData", paths, "fields")
        r0, c0, r1, c1 = self._grid_box(sheet, rng)
        data = payload.get("cell") or {}
        for r in range(r0, r1):
            for c in range(c0, c1):
                self._apply_cell_data(ss, sheet, r, c, data, paths)

    def _req_updateCells(self, ss: Spreadsheet, payload: Mapping[str, Any]) -> None:
        paths = parse_field_mask(str(payload.get("fields") or ""))
        self._check_mask("CellData", paths, "fields")
        rows = payload.get("rows") or []
        if "start" in payload:
            start = payload["start"]
            sheet = self._sheet(ss, start.get("sheetId"))
            r0, c0 = start.get("rowIndex") or 0, start.get("columnIndex") or 0
            r1 = r0 + len(rows)
            c1 = c0 + max((len(r.get("values") or []) for r in rows), default=0)
            self._grid_box(
                sheet,
                {
                    "startRowIndex": r0,
                    "startColumnIndex": c0,
                    "endRowIndex": r1,
                    "endColumnIndex": c1,
                },
            )
            bounded = False
        else:
            rng = payload.get("range") or {}
            sheet = self._sheet(ss, rng.get("sheetId"))
            r0, c0, r1, c1 = self._grid_box(sheet, rng)
            bounded = True
        for i, row in enumerate(rows):
            for j, data in enumerate(row.get("values") or []):
                r, c = r0 + i, c0 + j
                if bounded and (r >= r1 or c >= c1):
                    continue
                self._apply_cell_data(ss, sheet, r, c, data, paths)
        if bounded:  # cells of the range without data are cleared of the masked fields
            for r in range(r0, r1):
                for c in range(c0, c1):
                    i, j = r - r0, c - c0
                    if i < len(rows) and j < len(rows[i].get("values") or []):
                        continue
                    if (r, c) in sheet.cells:
                        self._apply_cell_data(ss, sheet, r, c, {}, paths)

    def _req_autoResizeDimensions(self, ss: Spreadsheet, payload: Mapping[str, Any]) -> None:
        dims = payload.get("dimensions") or {}
        self._sheet(ss, dims.get("sheetId"))  # accepted, nothing to measure

    def _req_setBasicFilter(self, ss: Spreadsheet, payload: Mapping[str, Any]) -> None:
        flt = copy.deepcopy(dict(payload.get("filter") or {}))
        rng = flt.get("range") or {}
        sheet = self._sheet(ss, rng.get("sheetId"))
        self._grid_box(sheet, rng)
        sheet.basic_filter = flt

    def _req_clearBasicFilter(self, ss: Spreadsheet, payload: Mapping[str, Any]) -> None:
        self._sheet(ss, payload.get("sheetId")).basic_filter = None

    def _req_appendDimension(self, ss: Spreadsheet, payload: Mapping[str, Any]) -> None:
        sheet = self._sheet(ss, payload.get("sheetId"))
        length = payload.get("length") or 0
        if length < 1:
            raise _RequestError("length must be at least 1.")
        if payload.get("dimension") == "ROWS":
            sheet.grid["rowCount"] = sheet.row_count + length
        elif payload.get("dimension") == "COLUMNS":
            sheet.grid["columnCount"] = sheet.column_count + length
        else:
            raise _RequestError("dimension must be ROWS or COLUMNS.")

    def _req_addConditionalFormatRule(self, ss: Spreadsheet, payload: Mapping[str, Any]) -> None:
        rule = copy.deepcopy(dict(payload.get("rule") or {}))
        ranges = rule.get("ranges") or []
        if not ranges:
            raise _RequestError("A conditional format rule needs at least one range.")
        sheet = self._sheet(ss, ranges[0].get("sheetId"))
        for rng in ranges:
            if (rng.get("sheetId") or 0) != sheet.sheet_id:
                raise _RequestError("All ranges of a rule must be on the same sheet.")
            self._grid_box(sheet, rng)
        index = payload.get("index") or 0
        sheet.conditional_formats.insert(min(index, len(sheet.conditional_formats)), rule)

    def _req_deleteConditionalFormatRule(
        self, ss: Spreadsheet, payload: Mapping[str, Any]
    ) -> dict[str, Any]:
        sheet = self._sheet(ss, payload.get("sheetId"))
        index = payload.get("index") or 0
        if not 0 <= index < len(sheet.conditional_formats):
            raise _RequestError(f"No conditional format on sheet {sheet.sheet_id} at index {index}")
        rule = sheet.conditional_formats.pop(index)
        return {"deleteConditionalFormatRule": {"rule": rule}}

    def _req_addChart(self, ss: Spreadsheet, payload: Mapping[str, Any]) -> dict[str, Any]:
        """A basic chart overlaid on a grid (the only kind modelled): every source range and
        the anchor cell must lie inside an existing sheet's grid."""
        chart = copy.deepcopy(dict(payload.get("chart") or {}))
        spec = chart.get("spec") or {}
        basic = spec.get("basicChart")
        if basic is None:
            raise _RequestError(
                "the fake Sheets API models only basic charts (spec.basicChart is required)"
            )
        domains = basic.get("domains") or []
        series = basic.get("series") or []
        if len(domains) > 1:
            raise _RequestError("Only a single domain is supported.")
        if not series:
            raise _RequestError("A basic chart needs at least one series.")
        data = [(f"domains[{i}].domain", d.get("domain") or {}) for i, d in enumerate(domains)]
        data += [(f"series[{i}].series", x.get("series") or {}) for i, x in enumerate(series)]
        counts = set()
        for where, item in data:
            sources = (item.get("sourceRange") or {}).get("sources") or []
            if not sources:
                raise _RequestError(f"basicChart.{where}: a source range is required.")
            counts.add(len(sources))
            for j, rng in enumerate(sources):
                sheet = ss.by_id(rng.get("sheetId") or 0)
                if sheet is None:
                    raise _RequestError(
                        f"basicChart.{where}.sourceRange.sources[{j}]: "
                        f"No grid with id: {rng.get('sheetId') or 0}"
                    )
                r0, c0, r1, c1 = self._grid_box(sheet, rng)
                if min(r1 - r0, c1 - c0) != 1:
                    raise _RequestError(
                        f"basicChart.{where}.sourceRange.sources[{j}]: exactly one dimension "
                        "of a chart's source range must have a length of 1."
                    )
        if len(counts) > 1:
            raise _RequestError(
                "The domain and all series must have the same number of source ranges."
            )
        position = chart.get("position") or {}
        overlay = position.get("overlayPosition")
        if overlay is None:
            raise _RequestError(
                "the fake Sheets API models only charts overlaid on a grid "
                "(position.overlayPosition is required)"
            )
        anchor = overlay.get("anchorCell") or {}
        sheet = ss.by_id(anchor.get("sheetId") or 0)
        if sheet is None:
            raise _RequestError(f"No grid with id: {anchor.get('sheetId') or 0}")
        row, col = anchor.get("rowIndex") or 0, anchor.get("columnIndex") or 0
        if not (0 <= row < sheet.row_count and 0 <= col < sheet.column_count):
            raise _RequestError(
                f"Invalid anchor cell ({quote_title(sheet.title)}!{column_letters(col)}"
                f"{row + 1}): it exceeds grid limits. Max rows: {sheet.row_count}, "
                f"max columns: {sheet.column_count}"
            )
        used = ss.chart_ids()
        chart_id = chart.get("chartId")
        if chart_id is None:
            chart_id = self._rng.randrange(1, 2**31 - 1)
            while chart_id in used:
                chart_id = self._rng.randrange(1, 2**31 - 1)
        elif chart_id in used or chart_id < 0:
            raise _RequestError(f"An embedded object with id {chart_id} already exists.")
        overlay.setdefault("widthPixels", 600)  # the API's defaults, as a read returns them
        overlay.setdefault("heightPixels", 371)
        chart["chartId"] = chart_id
        sheet.charts.append(chart)
        return {"addChart": {"chart": copy.deepcopy(chart)}}

    def _req_deleteEmbeddedObject(self, ss: Spreadsheet, payload: Mapping[str, Any]) -> None:
        object_id = payload.get("objectId")
        for sheet in ss.sheets:
            for chart in sheet.charts:
                if chart.get("chartId") == object_id:
                    sheet.charts.remove(chart)
                    return
        raise _RequestError(f"No embedded object with id: {object_id}")

    # -- accessors for tests ------------------------------------------------------------

    def cell_view(self, sid: str, title: str, a1: str) -> CellView:
        ss = self.spreadsheets[sid]
        sheet = self.tab(sid, title)
        box = parse_cells(a1)
        if box is None or not box.anchor:
            raise ValueError(f"not a single cell: {a1!r}")
        cell = sheet.cells.get((box.r0, box.c0)) or Cell()
        return CellView(
            value=cell.value,
            formatted=cell.formatted(ss.locale),
            is_formula=cell.is_formula,
            format=copy.deepcopy(cell.format),
            note=cell.note,
        )


class _RequestError(Exception):
    """A batchUpdate request that cannot be applied (becomes a 400 naming the request)."""
