"""The linked response sheet, read through gspread's client against the fake Workspace."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from sync.config import SourceConfig
from sync.google.apis import GoogleApis
from sync.google.sheet_source import SheetSource
from sync.mapping import load_mapping
from sync.model import Branch, Member, Roster, ScoreSheet, SourceKind
from sync.normalize import normalize_source
from sync.sources.files import SourceError
from tests.conftest import ROOT, RUBRIC, TZ
from tests.fake_google import FakeWorkspace
from tests.fake_google.clients import fake_apis

SHEET = "RESP_BM02"
TAB = "Câu trả lời biểu mẫu 1"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=TZ)
C1 = "Tiêu chí 1. Tham gia các lớp bồi dưỡng"
C2 = "Tiêu chí 2. Khả năng vận dụng kiến thức"
HEADER = ["Dấu thời gian", "Họ và tên đảng viên", "Ngày sinh", "Người chấm", C1, C2]
ROWS = [
    [datetime(2026, 11, 22, 10, 15, 30), "Nguyễn Văn An", "02/01/1980", "Cấp ủy chấm", 7.5, 10],
    [datetime(2026, 11, 22, 11, 0, 0), "Trần Thị Lan", "05/08/1985", "Đảng viên tự chấm", 9, 8],
]


@pytest.fixture
def fake() -> Iterator[FakeWorkspace]:
    with FakeWorkspace() as f:
        f.add_spreadsheet(SHEET, {TAB: [HEADER, *ROWS], "Ghi chú": [["khác"]]})
        yield f


def test_one_call_with_formatted_values(fake: FakeWorkspace, apis: GoogleApis) -> None:
    result = SheetSource(apis, "bm02", SHEET, TAB).fetch(None, NOW)
    (call,) = fake.calls()
    assert call.method_id == "sheets.spreadsheets.values.get"
    assert call.query["valueRenderOption"] == ["FORMATTED_VALUE"]
    assert result.complete and result.cursor is None
    first, second = result.responses
    assert (first.response_id, first.row_label, second.response_id) == ("row:2", "Dòng 2", "row:3")
    # what the sheet shows in a Vietnamese locale: d/m/y times and decimal commas
    assert first.answers["Dấu thời gian"] == "22/11/2026 10:15:30"
    assert first.answers[C1] == "7,5"
    assert first.keyed_by == "title" and first.submitted_at is None

    # the same normaliser as the CSV path reads it
    rubric = RUBRIC
    mapping = load_mapping(ROOT / "mappings" / "scoring.yaml")
    roster = Roster(
        (Branch("CB01", "Chi bộ Khu phố 1"),),
        (Member("DV1", "Nguyễn Văn An", datetime(1980, 1, 2).date(), "CB01"),),
    )
    src = SourceConfig(
        id="bm02", kind=SourceKind.SCORING, mapping=Path("m.yaml"), spreadsheet_id=SHEET
    )
    ns = normalize_source(src, mapping, rubric, roster, result.responses, year=2026, tz=TZ)
    sheet = next(r for r in ns.records if isinstance(r, ScoreSheet))
    assert sheet.criteria == {1: 7.5, 2: 10}
    assert sheet.submitted_at == datetime(2026, 11, 22, 10, 15, 30, tzinfo=TZ)


def test_first_tab_when_no_worksheet_is_named(fake: FakeWorkspace, apis: GoogleApis) -> None:
    result = SheetSource(apis, "bm02", SHEET).fetch(None, NOW)
    (call,) = fake.calls()
    assert call.path.endswith(f"/spreadsheets/{SHEET}/values/A1:ZZZ10000")
    assert len(result.responses) == 2


def test_errors_become_source_errors_in_vietnamese(fake: FakeWorkspace, apis: GoogleApis) -> None:
    # a missing or unshared spreadsheet: tests/test_contract_source.py
    with pytest.raises(SourceError, match=f"Bảng tính {SHEET} không có trang tính 'Sai tên'"):
        SheetSource(apis, "x", SHEET, "Sai tên").fetch(None, NOW)
    fake.fail_next(5, 503, api="sheets")
    with pytest.raises(SourceError, match="tạm thời không phản hồi sau 2 lần thử"):
        SheetSource(apis, "x", SHEET, TAB).fetch(None, NOW)


def test_an_empty_tab_is_a_source_error(fake: FakeWorkspace, apis: GoogleApis) -> None:
    fake.add_spreadsheet("EMPTY", {"Trang tính1": []})
    with pytest.raises(SourceError, match="trang tính đầu tiên trống"):
        SheetSource(apis, "x", "EMPTY").fetch(None, NOW)


def _row(i: int) -> list[object]:
    return [f"22/11/2026 10:{i % 60:02d}:00", f"Người {i}", "02/01/1980", "Cấp ủy chấm", 5, 5]


@pytest.mark.parametrize(
    ("data_rows", "chunk"),
    [
        (9, 4),  # a chunk ends inside the tab, the last one is clipped by the grid
        (7, 4),  # the grid (header + 7 rows = 8) ends exactly where a chunk is asked to
        (2, 10),  # one chunk
    ],
)
def test_a_long_tab_is_read_in_chunks_and_nothing_is_lost(data_rows: int, chunk: int) -> None:
    rows = [_row(i) for i in range(data_rows)]
    blank = 1  # a blank row inside: kept as a gap, not an end
    rows[blank] = [""] * 6
    with FakeWorkspace() as fake:
        # the tab's grid is exactly its rows (a form's response tab): a read starting past
        # it would be an error, as at Google
        fake.add_spreadsheet(SHEET, {TAB: [HEADER, *rows]}, grid_rows=1 + data_rows)
        apis = fake_apis(fake, max_attempts=1)
        result = SheetSource(apis, "bm02", SHEET, TAB, chunk_rows=chunk).fetch(None, NOW)
        calls = fake.calls()
    expected = [i for i in range(data_rows) if i != blank]
    assert [r.response_id for r in result.responses] == [f"row:{i + 2}" for i in expected]
    assert [r.answers["Họ và tên đảng viên"] for r in result.responses] == [
        f"Người {i}" for i in expected
    ]
    assert all(c.method_id == "sheets.spreadsheets.values.get" for c in calls)
    # chunks overlap by one row; reading stops at the first chunk the grid clips
    grid = 1 + data_rows
    assert len(calls) == (1 if grid < chunk else (grid - chunk) // (chunk - 1) + 2)


def test_a_blank_run_across_a_chunk_boundary_does_not_end_the_read() -> None:
    rows = [_row(i) for i in range(12)]
    for i in (3, 4, 5, 6):  # rows 5..8 of the sheet: the first chunk of 5 ends blank
        rows[i] = [""] * 6
    with FakeWorkspace() as fake:
        fake.add_spreadsheet(SHEET, {TAB: [HEADER, *rows]}, grid_rows=20)
        apis = fake_apis(fake, max_attempts=1)
        result = SheetSource(apis, "bm02", SHEET, TAB, chunk_rows=5).fetch(None, NOW)
    names = [r.answers["Họ và tên đảng viên"] for r in result.responses]
    assert names == [f"Người {i}" for i in range(12) if i not in (3, 4, 5, 6)]
