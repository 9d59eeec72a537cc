"""A form's linked response sheet, read in one call per cycle.

Google returns the cells as the sheet shows them (FORMATTED_VALUE: locale dates, decimal
commas), which is what a CSV download holds, so the same table reader and normaliser
apply. Every read is a full read: a row that changed is an edit (the store compares
content), a row gone is a deletion.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sync.google.apis import GoogleApiError, GoogleApis
from sync.ports import FetchResult, SourceError
from sync.sources.files import table_to_responses

WHOLE_FIRST_TAB = "A:ZZZ"  # A1 without a sheet name: the first tab


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
        self, apis: GoogleApis, source_id: str, spreadsheet_id: str, worksheet: str | None = None
    ) -> None:
        self.apis = apis
        self.source_id = source_id
        self.spreadsheet_id = spreadsheet_id
        self.worksheet = worksheet

    def fetch(self, cursor: str | None = None, now: datetime | None = None) -> FetchResult:
        rng = a1_tab(self.worksheet) if self.worksheet else WHOLE_FIRST_TAB
        params = {"valueRenderOption": "FORMATTED_VALUE", "majorDimension": "ROWS"}
        try:
            data = self.apis.call(
                "sheets",
                lambda: self.apis.sheets().values_get(self.spreadsheet_id, rng, params=params),
            )
        except GoogleApiError as e:
            raise SourceError(
                sheet_error(e, self.spreadsheet_id, self.worksheet, self.apis.account)
            ) from e
        headers, rows = values_as_table(data.get("values"))
        if not headers:
            where = f"trang tính '{self.worksheet}'" if self.worksheet else "trang tính đầu tiên"
            raise SourceError(
                f"Bảng tính {self.spreadsheet_id}: {where} trống (không có dòng tiêu đề)"
            )
        return FetchResult(table_to_responses(self.source_id, headers, rows), complete=True)
