"""Embedded backend source: a CSV or XLSX export downloaded from Google Forms.

The reader only turns the file into header -> text cells; every interpretation (dates,
numbers, choices) is the normaliser's job, so the CSV path and the Google Sheets path
share one normaliser.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from sync.model import DataProblem, RawResponse


class SourceError(Exception):
    """A source could not be read this cycle (message in Vietnamese)."""


@dataclass(frozen=True)
class FetchResult:
    responses: tuple[RawResponse, ...]
    complete: bool  # a full read: a stored response absent here was deleted at the source
    cursor: str | None = None  # incremental sources (Forms API) only
    question_titles: dict[str, str] = field(default_factory=dict)  # Forms API: id -> title
    # problems with the source as a whole (Forms API: a mapped question gone, a new choice)
    problems: tuple[DataProblem, ...] = ()


def read_table(path: Path, sheet: str | None = None) -> tuple[list[str], list[list[str]]]:
    """Read a CSV (UTF-8, with or without BOM) or XLSX file into headers and text rows."""
    if not path.exists():
        raise SourceError(f"Không tìm thấy tệp {path}")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet)
    if suffix in (".csv", ".txt", ""):
        return _read_csv(path)
    raise SourceError(f"Tệp {path.name}: chỉ đọc được .csv hoặc .xlsx")


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    raw = path.read_bytes()
    try:
        # utf-8-sig drops the byte-order mark that Excel and some exports put first
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise SourceError(
            f"Tệp {path.name} không phải UTF-8 (byte {e.start}); hãy tải lại bản .csv từ Google "
            "Biểu mẫu hoặc lưu lại với mã hóa UTF-8"
        ) from e
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return [], []
    return rows[0], rows[1:]


def _cell_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        # a date typed into a cell comes back as midnight: keep it a date
        if v.time() == time(0, 0):
            return v.date().isoformat()
        return v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _read_xlsx(path: Path, sheet: str | None) -> tuple[list[str], list[list[str]]]:
    from openpyxl import load_workbook  # imported lazily: only XLSX sources need it

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many types for a broken file
        raise SourceError(f"Không mở được tệp Excel {path.name}: {e}") from e
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise SourceError(f"Tệp {path.name} không có trang tính '{sheet}'")
        ws = wb[sheet] if sheet else wb.worksheets[0]
        rows = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    if not rows:
        return [], []
    header = rows[0]
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    body = [r[:width] + [""] * (width - len(r[:width])) for r in rows[1:]]
    return header, body


def unique_headers(headers: Sequence[str]) -> list[str]:
    """Two columns may carry the same title; keep both, the second as "Title (2)"."""
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        n = seen.get(h, 0) + 1
        seen[h] = n
        out.append(h if n == 1 else f"{h} ({n})")
    return out


def table_to_responses(
    source_id: str, headers: Sequence[str], rows: Sequence[Sequence[str]]
) -> tuple[RawResponse, ...]:
    """One RawResponse per row, labelled by its spreadsheet row number ("Dòng 2" = first)."""
    names = unique_headers(headers)
    out = []
    for i, row in enumerate(rows):
        line = i + 2  # row 1 is the header; blank rows keep their number for the labels
        if not any(c.strip() for c in row):
            continue
        cells = list(row) + [""] * (len(names) - len(row))
        out.append(
            RawResponse(
                source_id=source_id,
                response_id=f"row:{line}",
                row_label=f"Dòng {line}",
                answers=dict(zip(names, cells[: len(names)], strict=True)),
            )
        )
    return tuple(out)


class FileSource:
    """A downloaded export: every read is a full read."""

    def __init__(self, source_id: str, path: Path, sheet: str | None = None) -> None:
        self.source_id = source_id
        self.path = path
        self.sheet = sheet

    def fetch(self, cursor: str | None = None, now: datetime | None = None) -> FetchResult:
        headers, rows = read_table(self.path, self.sheet)
        if not headers:
            raise SourceError(f"Tệp {self.path.name} trống (không có dòng tiêu đề)")
        return FetchResult(table_to_responses(self.source_id, headers, rows), complete=True)
