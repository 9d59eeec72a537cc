"""The summary spreadsheet, written through gspread's client against the fake Workspace."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from sync.google.apis import GoogleApiError, GoogleApis
from sync.google.sheets_destination import (
    EXTENT_SUFFIX,
    LAYOUT_SUFFIX,
    SheetsDestination,
    column_pixels,
)
from sync.model import Cell, Column, Table
from sync.tables import (
    TAB_BRANCHES,
    TAB_KPIS,
    TAB_LEDGER,
    TAB_MEMBERS,
    TAB_OVERDUE,
    TAB_PROBLEMS,
)
from tests.conftest import TZ
from tests.fake_google import FakeWorkspace

SID = "SUMMARY_SHEET"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=TZ)
LATER = datetime(2026, 11, 23, 9, 30, tzinfo=TZ)
# The destination does not care which tabs it writes: six of the daemon's titles, fixed
# here so these tests do not follow the number of tabs sync/tables.py builds.
TABS: tuple[str, ...] = (
    TAB_BRANCHES,
    TAB_MEMBERS,
    TAB_KPIS.format(year=2026),
    TAB_OVERDUE,
    TAB_PROBLEMS,
    TAB_LEDGER,
)
BRANCHES, MEMBERS, KPIS, OVERDUE, PROBLEMS, LEDGER = TABS
RESPONSES_TAB = "Câu trả lời biểu mẫu 1"
TRICKY = ['=IMPORTXML("http://x","//a")', "+1", "-2", "@x"]

BATCH_UPDATE = "sheets.spreadsheets.batchUpdate"
VALUES_UPDATE = "sheets.spreadsheets.values.batchUpdate"
VALUES_CLEAR = "sheets.spreadsheets.values.batchClear"
METADATA = "sheets.spreadsheets.get"


def branch_table(n: int = 3, *, updated_at: datetime = NOW, overdue: int = 1) -> Table:
    columns = (
        Column("Mã chi bộ", "text", 10),
        Column("Tên chi bộ", "text", 36),
        Column("Ngày sinh hoạt chuyên đề", "date", 14),
        Column("Số đảng viên tham gia", "int", 12),
        Column("Tỷ lệ tham gia", "percent", 10),
        Column("Đã gửi báo cáo", "bool", 10),
        Column("Lần báo cáo gần nhất", "datetime", 17),
        Column("Khó khăn, kiến nghị", "text", 40),
    )
    rows: list[tuple[Cell, ...]] = []
    for i in range(n):
        rows.append(
            (
                f"CB{i + 1:02d}",
                f"Chi bộ Khu phố {i + 1}",
                date(2026, 5, 10) + timedelta(days=i),
                20 + i,
                0.875,
                i % 2 == 0,
                datetime(2026, 11, 22, 3, 15, tzinfo=UTC),  # 10:15 in Hà Nội
                TRICKY[i % len(TRICKY)],
            )
        )
    return Table(BRANCHES, columns, tuple(rows), updated_at, frozenset(range(overdue)))


def simple_table(name: str, n: int = 2, *, updated_at: datetime = NOW) -> Table:
    columns = (Column("Nội dung", "text", 30), Column("Điểm", "number", 10))
    rows = tuple((f"{name} dòng {i + 1}", 80 + i + 0.5) for i in range(n))
    return Table(name, columns, rows, updated_at)


def six_tables(*, updated_at: datetime = NOW, branches: int = 3) -> list[Table]:
    return [
        branch_table(branches, updated_at=updated_at),
        *(simple_table(name, updated_at=updated_at) for name in TABS[1:]),
    ]


@pytest.fixture
def fake() -> Iterator[FakeWorkspace]:
    with FakeWorkspace() as f:
        f.add_spreadsheet(
            SID,
            {RESPONSES_TAB: [["Dấu thời gian", "Họ và tên"], ["22/11/2026", "An"]]},
            title="Tổng hợp kỹ năng số",
        )
        yield f


@pytest.fixture
def dest(apis: GoogleApis) -> SheetsDestination:
    return SheetsDestination(apis, SID, TZ)


def method_ids(fake: FakeWorkspace) -> list[str]:
    return [r.method_id for r in fake.calls(api="sheets")]


# -- first write ---------------------------------------------------------------------------


def test_first_write_creates_the_tabs_in_three_calls(
    fake: FakeWorkspace, dest: SheetsDestination
) -> None:
    remembered = dest.write(six_tables(), {})

    assert method_ids(fake) == [METADATA, BATCH_UPDATE, VALUES_UPDATE]
    assert fake.tab_titles(SID) == [RESPONSES_TAB, *TABS]
    assert remembered is not None
    assert set(remembered) == {
        key for name in TABS for key in (name, name + LAYOUT_SUFFIX, name + EXTENT_SUFFIX)
    }
    assert remembered[BRANCHES + EXTENT_SUFFIX] == "5,8"
    (values_call,) = fake.calls(method_id=VALUES_UPDATE)
    assert values_call.body["valueInputOption"] == "RAW"
    assert dest.name == f"google_sheets:{SID}"


def test_layout_and_values_read_back(fake: FakeWorkspace, dest: SheetsDestination) -> None:
    dest.write(six_tables(), {})

    values = fake.values(SID, BRANCHES)
    assert values[0] == ["Tổng hợp chi bộ — cập nhật lúc 23/11/2026 08:00 (giờ Việt Nam)"]
    assert values[1][:3] == ["Mã chi bộ", "Tên chi bộ", "Ngày sinh hoạt chuyên đề"]
    first = values[2]
    # vi_VN formatting: dates d/m/y, percents with a decimal comma, bool as Vietnamese text
    assert first[:7] == [
        "CB01",
        "Chi bộ Khu phố 1",
        "10/05/2026",
        "20",
        "87,5%",
        "Có",
        "22/11/2026 10:15",
    ]
    assert values[3][5] == "Không"
    assert fake.values(SID, MEMBERS)[2] == [f"{MEMBERS} dòng 1", "80,5"]

    date_cell = fake.cell(SID, BRANCHES, "C3")
    assert date_cell.value == 46152.0  # days since 30/12/1899
    assert date_cell.format["numberFormat"] == {"type": "DATE", "pattern": "dd/mm/yyyy"}
    percent = fake.cell(SID, BRANCHES, "E3")
    assert percent.value == 0.875
    assert percent.format["numberFormat"]["type"] == "PERCENT"
    moment = fake.cell(SID, BRANCHES, "G3")
    assert moment.value == pytest.approx(46348 + 10.25 / 24)
    assert moment.format["numberFormat"] == {"type": "DATE_TIME", "pattern": "dd/mm/yyyy hh:mm"}

    sheet = fake.sheet(SID, BRANCHES)
    assert sheet["gridProperties"]["frozenRowCount"] == 2
    assert fake.cell(SID, BRANCHES, "A2").format["textFormat"]["bold"] is True
    assert fake.cell(SID, BRANCHES, "H2").format["textFormat"]["bold"] is True
    assert fake.cell(SID, BRANCHES, "A1").format["textFormat"]["italic"] is True
    widths = fake.column_widths(SID, BRANCHES)
    assert widths[0] == column_pixels(Column("x", "text", 10)) == 80
    assert widths[7] == 40 * 7 + 10
    # overdue row (index 0) light red, the others plain
    assert "backgroundColor" in fake.cell(SID, BRANCHES, "A3").format
    assert "backgroundColor" in fake.cell(SID, BRANCHES, "H3").format
    assert "backgroundColor" not in fake.cell(SID, BRANCHES, "A4").format


# -- nothing changed, something changed ------------------------------------------------------


def test_an_idle_write_costs_one_metadata_read(
    fake: FakeWorkspace, dest: SheetsDestination
) -> None:
    # that it writes nothing: tests/test_contract_destination.py; here, its quota cost
    remembered = dest.write(six_tables(), {})
    assert remembered is not None
    fake.reset_requests()

    assert dest.write(six_tables(updated_at=LATER), remembered) is None
    assert method_ids(fake) == [METADATA]


def test_a_changed_tab_is_rewritten_alone(fake: FakeWorkspace, dest: SheetsDestination) -> None:
    remembered = dest.write(six_tables(), {})
    assert remembered is not None
    fake.reset_requests()
    tables = six_tables(updated_at=LATER)
    changed = simple_table(PROBLEMS, updated_at=LATER)
    changed = dataclasses.replace(changed, rows=(("Lý do mới", 1.5), changed.rows[1]))
    tables[4] = changed

    again = dest.write(tables, remembered)

    # same layout (columns, row count, highlights): no formatting request
    assert method_ids(fake) == [METADATA, VALUES_UPDATE]
    (call,) = fake.calls(method_id=VALUES_UPDATE)
    assert [vr["range"] for vr in call.body["data"]] == [f"'{PROBLEMS}'!A1:B4"]
    assert fake.values(SID, PROBLEMS)[2] == ["Lý do mới", "1,5"]
    assert "09:30" in fake.values(SID, PROBLEMS)[0][0]
    assert "08:00" in fake.values(SID, BRANCHES)[0][0]  # untouched tab keeps its stamp
    assert again is not None and again[PROBLEMS] != remembered[PROBLEMS]
    assert {k: v for k, v in again.items() if not k.startswith(PROBLEMS)} == {
        k: v for k, v in remembered.items() if not k.startswith(PROBLEMS)
    }


def test_shorter_tab_clears_leftovers_and_formats_again(
    fake: FakeWorkspace, dest: SheetsDestination
) -> None:
    remembered = dest.write(six_tables(branches=6), {})
    assert remembered is not None
    fake.reset_requests()
    tables = six_tables(branches=2, updated_at=LATER)
    narrow = dataclasses.replace(
        tables[1], columns=tables[1].columns[:1], rows=tuple(r[:1] for r in tables[1].rows)
    )
    tables[1] = narrow

    dest.write(tables, remembered)

    assert method_ids(fake) == [METADATA, BATCH_UPDATE, VALUES_UPDATE, VALUES_CLEAR]
    values = fake.values(SID, BRANCHES)
    assert len(values) == 4 and values[-1][0] == "CB02"
    assert fake.values(SID, MEMBERS)[2] == [f"{MEMBERS} dòng 1"]  # column B cleared
    assert fake.cell(SID, MEMBERS, "B2").value is None
    # the layout changed: the formats were re-applied, overdue row 1 only
    assert "backgroundColor" in fake.cell(SID, BRANCHES, "A3").format
    (clear,) = fake.calls(method_id=VALUES_CLEAR)
    assert all(r.startswith((f"'{BRANCHES}'!", f"'{MEMBERS}'!")) for r in clear.body["ranges"])


def test_highlight_moves_and_old_highlight_is_cleared(
    fake: FakeWorkspace, dest: SheetsDestination
) -> None:
    tables = six_tables()
    tables[0] = dataclasses.replace(tables[0], highlight_rows=frozenset({0, 1}))
    remembered = dest.write(tables, {})
    fake.reset_requests()
    tables[0] = dataclasses.replace(tables[0], highlight_rows=frozenset({2}))

    dest.write(tables, remembered or {})

    assert METADATA in method_ids(fake) and BATCH_UPDATE in method_ids(fake)
    assert "backgroundColor" not in fake.cell(SID, BRANCHES, "A3").format
    assert "backgroundColor" not in fake.cell(SID, BRANCHES, "A4").format
    assert "backgroundColor" in fake.cell(SID, BRANCHES, "A5").format
    assert "backgroundColor" in fake.cell(SID, BRANCHES, "A2").format  # the header keeps its own


def test_longer_tab_grows_the_grid_before_writing(
    fake: FakeWorkspace, dest: SheetsDestination
) -> None:
    remembered = dest.write(six_tables(branches=2), {})
    assert fake.sheet(SID, BRANCHES)["gridProperties"]["rowCount"] == 4
    fake.reset_requests()

    dest.write(six_tables(branches=40), remembered or {})

    assert method_ids(fake) == [METADATA, BATCH_UPDATE, VALUES_UPDATE]
    assert fake.sheet(SID, BRANCHES)["gridProperties"]["rowCount"] == 42
    assert fake.values(SID, BRANCHES)[-1][0] == "CB40"


# -- tabs the destination does not own -------------------------------------------------------


def test_a_deleted_tab_is_recreated_even_if_hashes_match(
    fake: FakeWorkspace, dest: SheetsDestination
) -> None:
    remembered = dest.write(six_tables(), {})
    assert remembered is not None
    sheet_id = fake.sheet(SID, KPIS)["sheetId"]
    dest.apis.sheets().batch_update(SID, {"requests": [{"deleteSheet": {"sheetId": sheet_id}}]})
    fake.reset_requests()

    again = dest.write(six_tables(), remembered)

    assert method_ids(fake) == [METADATA, BATCH_UPDATE, VALUES_UPDATE]
    assert fake.tab_titles(SID) == [RESPONSES_TAB, *TABS]  # back in its place
    assert fake.values(SID, KPIS)[2] == [f"{KPIS} dòng 1", "80,5"]
    (call,) = fake.calls(method_id=VALUES_UPDATE)
    assert [vr["range"].split("!")[0] for vr in call.body["data"]] == [f"'{KPIS}'"]
    assert again == remembered


# -- payload size ----------------------------------------------------------------------------


def test_values_are_chunked_when_the_payload_would_pass_the_limit(
    fake: FakeWorkspace, apis: GoogleApis
) -> None:
    limit = 3_000
    dest = SheetsDestination(apis, SID, TZ, max_payload_bytes=limit)
    tables = six_tables(branches=60)

    dest.write(tables, {})

    calls = fake.calls(method_id=VALUES_UPDATE)
    assert len(calls) == 3
    assert all(limit * 0.8 < c.body_size <= limit for c in calls)
    ranges = [[vr["range"] for vr in c.body["data"]] for c in calls]
    # the long tab is split by rows; the small tabs share the last request
    assert [r[0].split("!")[0] for r in ranges] == [f"'{BRANCHES}'"] * 3
    assert ranges[0][0].startswith(f"'{BRANCHES}'!A1:H") and len(ranges[2]) == 6
    values = fake.values(SID, BRANCHES)
    assert len(values) == 62 and values[-1][0] == "CB60"
    for name in TABS[1:]:
        assert fake.values(SID, name)[3] == [f"{name} dòng 2", "81,5"]


def test_one_batch_under_the_default_limit(fake: FakeWorkspace, dest: SheetsDestination) -> None:
    dest.write(six_tables(branches=200), {})
    assert len(fake.calls(method_id=VALUES_UPDATE)) == 1


# -- failures --------------------------------------------------------------------------------


def test_a_failure_propagates_and_the_next_write_completes(
    fake: FakeWorkspace, dest: SheetsDestination
) -> None:
    fake.fail_next(2, 503, api="sheets", method_id=VALUES_UPDATE)
    with pytest.raises(GoogleApiError) as info:
        dest.write(six_tables(), {})
    assert info.value.status == 503

    # nothing was remembered: the next cycle passes {} again and fills the tabs
    assert dest.write(six_tables(), {}) is not None
    assert fake.values(SID, BRANCHES)[2][0] == "CB01"


def test_no_access_is_a_google_api_error(fake: FakeWorkspace, dest: SheetsDestination) -> None:
    fake.deny(SID)
    with pytest.raises(GoogleApiError) as info:
        dest.write(six_tables(), {})
    assert info.value.status == 403
    assert fake.write_calls() == []


def test_a_structure_request_applied_but_unanswered_is_planned_again(
    fake: FakeWorkspace, dest: SheetsDestination
) -> None:
    """The tabs were added but the answer was lost (a timeout at a province's size); the
    client's retry hears "A sheet with the name … already exists" (Google's words). The
    destination reads the tabs again and plans from them: the write completes, each tab
    once, with its values."""
    fake.drop_next(1, api="sheets", method_id=BATCH_UPDATE, after_effect=True)
    remembered = dest.write(six_tables(), {})
    assert remembered is not None
    assert fake.tab_titles(SID) == [RESPONSES_TAB, *TABS]  # no tab twice, none missing
    assert fake.values(SID, BRANCHES)[2][0] == "CB01"
    # the lost answer, the refused retry, then the new plan
    assert method_ids(fake).count(BATCH_UPDATE) == 3
    assert dest.write(six_tables(), remembered) is None  # and it converged
