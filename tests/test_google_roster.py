"""The roster from two spreadsheet tabs, through gspread's client against the fake."""

from __future__ import annotations

from datetime import date

import pytest

from sync.errors import ConfigError
from sync.google.apis import GoogleApis
from sync.google.roster_sheet import load_roster_from_sheet
from sync.roster import RosterTable, roster_from_tables
from tests.fake_google import FakeWorkspace

ROSTER = "ROSTER_ID"
BRANCH_HEADER = [
    "Mã chi bộ",
    "Tên chi bộ",
    "Tên gọi khác",
    "Bí thư",
    "Email bí thư",
    "Ủy viên phụ trách",
    "Email ủy viên phụ trách",
]
BRANCHES = [
    BRANCH_HEADER,
    ["CB01", "Chi bộ Khu phố 1", "KP1; CB KP1", "Nguyễn Văn A", "a@x.vn", "Trần B", "b@x.vn"],
    ["CB02", "Chi bộ Khu phố 2", "", "Lê C", "", "Trần B", "b@x.vn"],
]
MEMBER_HEADER = ["Mã đảng viên", "Họ và tên", "Ngày sinh", "Mã chi bộ", "Miễn sinh hoạt"]
MEMBERS = [
    MEMBER_HEADER,
    ["DV1", "Phạm Thị D", date(1980, 6, 5), "CB01", "Không"],  # a date cell: dd/mm/yyyy
    ["DV2", "Hoàng E", "02/01/1950", "CB02", "Có"],
]


def test_roster_from_two_tabs_in_one_call(fake: FakeWorkspace, apis: GoogleApis) -> None:
    fake.add_spreadsheet(
        ROSTER, {"Hướng dẫn": [["Đọc kỹ"]], "Chi bộ": BRANCHES, "Đảng viên": MEMBERS}
    )
    roster = load_roster_from_sheet(apis, ROSTER)
    (call,) = fake.calls()
    assert call.method_id == "sheets.spreadsheets.values.batchGet"
    assert call.query["ranges"] == ["'Chi bộ'", "'Đảng viên'"]
    assert call.query["valueRenderOption"] == ["FORMATTED_VALUE"]
    assert [b.code for b in roster.branches] == ["CB01", "CB02"]
    assert roster.branch("CB01").aliases == ("KP1", "CB KP1")
    d, e = roster.members
    assert (d.birth_date, d.exempt) == (date(1980, 6, 5), False)
    assert (e.birth_date, e.exempt) == (date(1950, 1, 2), True)


def test_unreadable_sheets_are_config_errors(fake: FakeWorkspace, apis: GoogleApis) -> None:
    fake.add_spreadsheet(ROSTER, {"Chi bộ": BRANCHES, "DV": MEMBERS})
    with pytest.raises(ConfigError) as e:
        load_roster_from_sheet(apis, ROSTER)
    assert e.value.problems == [
        f"roster.spreadsheet_id: Bảng tính {ROSTER} không có tab 'Đảng viên' "
        "(kiểm tra roster.branches_tab, roster.members_tab)"
    ]
    with pytest.raises(ConfigError, match="Không tìm thấy bảng tính KHONG_CO"):
        load_roster_from_sheet(apis, "KHONG_CO")
    # an unshared spreadsheet, bad rows, a missing column: tests/test_contract_roster.py
    fake.add_spreadsheet("EMPTY", {"Chi bộ": [], "Đảng viên": MEMBERS})
    with pytest.raises(ConfigError, match="tab 'Chi bộ': trống"):
        load_roster_from_sheet(apis, "EMPTY")


def test_roster_from_tables_takes_plain_tuples() -> None:
    roster = roster_from_tables(
        ("chi-bo", BRANCHES[0], [[str(c) for c in r] for r in BRANCHES[1:]]),  # type: ignore[arg-type]
        RosterTable("dang-vien", MEMBER_HEADER, [["DV2", "Hoàng E", "02/01/1950", "CB02", ""]]),
    )
    assert [m.code for m in roster.members] == ["DV2"]
