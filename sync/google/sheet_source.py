"""A form's linked response sheet, read in one call per cycle.

Google returns the cells as the sheet shows them (FORMATTED_VALUE: locale dates, decimal
commas), which is what a CSV download holds, so the same table reader and normaliser
apply. Every read is a full read: a row that changed is an edit (the store compares
content), a row gone is a deletion.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from gspread.http_client import ParamsType

from sync.google.apis import GoogleApiError, GoogleApis
from sync.model import RawResponse
from sync.ports import FetchResult, SourceError
from sync.rows import table_to_responses

WHOLE_FIRST_TAB = "A:ZZZ"  # A1 without a sheet name: the first tab
CHUNK_ROWS = 10_000  # rows per values.get: about 10 MB of JSON for a response sheet


def _last_row(a1: str) -> int:
    """The last row of an A1 range as Google answers it ("'Tab'!A1:T1000" -> 1000)."""
    m = re.search(r"(\d+)$", a1)
    return int(m.group(1)) if m else 0


def a1_tab(title: str) -> str:
    """A whole tab in A1 notation: the quoted title (quotes inside doubled)."""
    return "'" + title.replace("'", "''") + "'"


def values_as_table(values: Any) -> tuple[list[str], list[list[str]]]:
    """Sheets ``values`` (rows, trailing blanks omitted) -> header and text rows."""
    rows = [["" if c is None else str(c) for c in row] for row in (values or [])]
    if not rows:
        return [], []
    header = rows[0]
    while header and not header[-1].strip():
        header.pop()
    return header, rows[1:]


def sheet_error(
    e: GoogleApiError, spreadsheet_id: str, tab: str | None, account: str | None
) -> str:
    """Vietnamese reason a spreadsheet (tab) could not be read."""
    if e.status == 404:
        return f"Không tìm thấy bảng tính {spreadsheet_id} (kiểm tra mã trong cấu hình)"
    if e.status == 400 and tab:
        # Sheets answers 400 "Unable to parse range" for a tab that does not exist
        return f"Bảng tính {spreadsheet_id} không có trang tính '{tab}' (kiểm tra tên trang tính)"
    if e.not_shared:
        who = f" {account}" if account else ""
        return f"Tài khoản{who} chưa được chia sẻ bảng tính {spreadsheet_id} (cần quyền xem)"
    return f"Không đọc được bảng tính {spreadsheet_id}: {e}"


class SheetSource:
    """The responses tab of a spreadsheet (``worksheet`` None: the first tab)."""

    def __init__(
        self,
        apis: GoogleApis,
        source_id: str,
        spreadsheet_id: str,
        worksheet: str | None = None,
        *,
        chunk_rows: int = CHUNK_ROWS,
    ) -> None:
        self.apis = apis
        self.source_id = source_id
        self.spreadsheet_id = spreadsheet_id
        self.worksheet = worksheet
        self.chunk_rows = max(2, chunk_rows)

    def fetch(self, cursor: str | None = None, now: datetime | None = None) -> FetchResult:
        """The whole tab, read ``chunk_rows`` rows at a time: a province's responses tab is
        100,000 rows, and Google's JSON for it would be hundreds of megabytes in memory at
        once. Each chunk becomes compact responses before the next is read. A chunk ends
        where it was asked to unless the tab ends first (Google clips a read range to the
        grid, and says so in the answer's ``range``); the next chunk starts on the last row
        of the one before, so it never starts past the grid (an error at Google)."""
        prefix = a1_tab(self.worksheet) + "!" if self.worksheet else ""
        params: ParamsType = {"valueRenderOption": "FORMATTED_VALUE", "majorDimension": "ROWS"}
        headers: list[str] = []
        responses: list[RawResponse] = []
        same: dict[str, str] = {}  # one object per distinct cell text
        start = 1
        while True:
            end = start + self.chunk_rows - 1
            rng = f"{prefix}A{start}:ZZZ{end}"

            def get(rng: str = rng) -> Any:
                return self.apis.sheets().values_get(self.spreadsheet_id, rng, params=params)

            try:
                data = self.apis.call("sheets", get)
            except GoogleApiError as e:
                raise SourceError(
                    sheet_error(e, self.spreadsheet_id, self.worksheet, self.apis.account)
                ) from e
            values = [
                [same.setdefault(t, t) for t in ("" if c is None else str(c) for c in row)]
                for row in data.get("values") or []
            ]
            data.pop("values", None)
            if start == 1:
                headers, rows = values_as_table(values)
                if not headers:
                    where = "trang tính đầu tiên"
                    if self.worksheet:
                        where = f"trang tính '{self.worksheet}'"
                    raise SourceError(
                        f"Bảng tính {self.spreadsheet_id}: {where} trống (không có dòng tiêu đề)"
                    )
                first_line = 2
            else:
                rows, first_line = values[1:], start + 1  # row ``start`` was read already
            responses += table_to_responses(self.source_id, headers, rows, first_line=first_line)
            # not where the values end: trailing blank rows of a chunk are left out by Google,
            # and more answers may follow them
            if _last_row(data.get("range", "")) < end:
                return FetchResult(tuple(responses), complete=True)
            start = end
