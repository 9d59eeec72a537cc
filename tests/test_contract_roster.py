"""The contract of a roster source (``sync.ports.RosterSource``), one suite run against
every implementation: the file roster (CSV and XLSX) and the roster spreadsheet's two tabs
(in the local fake of Google, through the real client). Each builds the same logical roster
(``small_roster_rows`` in tests/conftest.py) in its own medium."""

from __future__ import annotations

import csv
import itertools
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

import pytest
from openpyxl import Workbook

from sync.errors import ConfigError
from sync.google.apis import GoogleApis
from sync.google.roster_sheet import SheetRoster
from sync.model import Branch, Member
from sync.ports import RosterSource
from sync.roster import FileRoster
from tests.fake_google import FakeWorkspace

Rows = Sequence[Sequence[Any]]  # a table as plain rows, header first
Table = Literal["branches", "members"]
NEW_MEMBER = ("DV05", "Võ Thị Mỹ Duyên", date(1992, 9, 9), "CB02", "Không")


class HeldRoster(Protocol):
    """A roster source holding two tables in its medium, and ways to change the medium."""

    source: RosterSource

    def add_member(self, row: Sequence[Any]) -> None: ...

    def lose(self) -> None:
        """The roster becomes unreachable (a file deleted, access taken away)."""
        ...

    def label(self, table: Table) -> str:
        """What starts each problem found in that table."""
        ...


RosterHolding = Callable[[Rows, Rows], HeldRoster]


def is_vietnamese(text: str) -> bool:
    marks = any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", text))
    return "\n" not in text and (marks or "đ" in text.lower())


def without(rows: Rows, column: str) -> list[list[Any]]:
    i = list(rows[0]).index(column)
    return [[c for j, c in enumerate(r) if j != i] for r in rows]


def reversed_columns(rows: Rows) -> list[list[Any]]:
    return [list(r)[::-1] for r in rows]


def expected_branches(rows: Rows) -> tuple[Branch, ...]:
    header, *body = rows
    col = {h: i for i, h in enumerate(header)}
    return tuple(
        Branch(
            code=r[col["Mã chi bộ"]],
            name=r[col["Tên chi bộ"]],
            aliases=tuple(a.strip() for a in r[col["Tên gọi khác"]].split(";") if a.strip()),
            secretary_name=r[col["Bí thư"]],
            secretary_email=r[col["Email bí thư"]],
        )
        for r in body
    )


def expected_members(rows: Rows) -> tuple[Member, ...]:
    header, *body = rows
    col = {h: i for i, h in enumerate(header)}
    return tuple(
        Member(
            code=r[col["Mã đảng viên"]],
            name=r[col["Họ và tên"]],
            birth_date=r[col["Ngày sinh"]],
            branch_code=r[col["Mã chi bộ"]],
            exempt=r[col["Miễn sinh hoạt"]] == "Có",
        )
        for r in body
    )


class RosterContract:
    """Subclasses provide a ``roster_holding`` fixture: ``roster_holding(branches, members)``
    builds a roster source holding those tables (plain rows, header first)."""

    __test__ = False
    # RosterSource.probe may answer None "when only loading it can tell": none of these do
    probes: ClassVar[bool] = True

    def test_load_gives_the_roster_as_written(
        self, roster_holding: RosterHolding, small_roster_rows: dict[str, Rows]
    ) -> None:
        branches, members = small_roster_rows["branches"], small_roster_rows["members"]
        roster = roster_holding(branches, members).source.load()
        assert roster.branches == expected_branches(branches)
        assert roster.members == expected_members(members)
        assert roster.staff == ()
        assert all(unicodedata.is_normalized("NFC", m.name) for m in roster.members)

    def test_probe_is_stable_until_the_roster_changes(
        self, roster_holding: RosterHolding, small_roster_rows: dict[str, Rows]
    ) -> None:
        members = small_roster_rows["members"]
        held = roster_holding(small_roster_rows["branches"], members)
        source = held.source
        first = source.probe(None)
        assert (first is not None) is self.probes
        assert source.probe(first) == first
        source.load()  # loading does not change it
        assert source.probe(first) == first
        held.add_member(NEW_MEMBER)
        second = source.probe(first)
        assert second is not None and second.content != first.content  # type: ignore[union-attr]
        assert source.probe(second) == second
        # what load() gives is what the probe saw
        assert source.load().members == expected_members([*members, NEW_MEMBER])

    def test_a_missing_column_is_reported_in_vietnamese(
        self, roster_holding: RosterHolding, small_roster_rows: dict[str, Rows]
    ) -> None:
        members = without(small_roster_rows["members"], "Ngày sinh")
        held = roster_holding(small_roster_rows["branches"], members)
        held.source.probe(None)  # never raises: load() says what is wrong
        with pytest.raises(ConfigError) as caught:
            held.source.load()
        assert caught.value.problems == [f"{held.label('members')}: thiếu cột 'Ngày sinh'"]

    def test_bad_rows_are_all_reported_with_their_line(
        self, roster_holding: RosterHolding, small_roster_rows: dict[str, Rows]
    ) -> None:
        branches = [
            *small_roster_rows["branches"],
            ("CB01", "Chi bộ trùng mã", "", "", ""),  # line 4
            ("CB03", "chi bo khu pho hoa binh", "", "", "sai-email"),  # line 5
        ]
        members = [
            *small_roster_rows["members"],
            ("DV01", "Người Trùng Mã", date(1970, 1, 1), "CB01", "Không"),  # line 6
            ("DV06", "Đỗ Văn Sai", "31/02/1970", "CB09", "Hay"),  # line 7
        ]
        held = roster_holding(branches, members)
        with pytest.raises(ConfigError) as caught:
            held.source.load()
        b, m = held.label("branches"), held.label("members")
        problems = caught.value.problems
        expected_starts = [
            f"{b}: dòng 4: mã chi bộ 'CB01' trùng với dòng 2",
            f"{b}: dòng 5: tên 'chi bo khu pho hoa binh' trùng",
            f"{b}: dòng 5: địa chỉ email 'sai-email' không hợp lệ",
            f"{m}: dòng 6: mã đảng viên 'DV01' trùng với dòng 2",
            f"{m}: dòng 7: ngày sinh '31/02/1970' không đọc được",
            f"{m}: dòng 7: mã chi bộ 'CB09' không có",
            f"{m}: dòng 7: cột 'Miễn sinh hoạt' phải là 'Có' hoặc 'Không'",
        ]
        for start in expected_starts:
            assert any(p.startswith(start) for p in problems), (start, problems)
        assert len(problems) == len(expected_starts)  # each problem once, nothing else

    def test_an_unreachable_roster_is_a_config_error_in_vietnamese(
        self, roster_holding: RosterHolding, small_roster_rows: dict[str, Rows]
    ) -> None:
        held = roster_holding(small_roster_rows["branches"], small_roster_rows["members"])
        # as the cycle does: probe, and nothing changed, so no load; then the roster is lost
        first = held.source.probe(None)
        held.lose()
        assert held.source.probe(first) is None  # never raises: load() says why
        with pytest.raises(ConfigError) as caught:
            held.source.load()
        assert caught.value.problems
        assert all(is_vietnamese(p) for p in caught.value.problems), caught.value.problems

    def test_a_blank_secretary_email_and_dates_typed_as_text(
        self, roster_holding: RosterHolding, small_roster_rows: dict[str, Rows]
    ) -> None:
        branches = [list(r) for r in small_roster_rows["branches"]]
        branches[2][4] = ""  # CB02 has no address yet: loaded, `kns check` warns about it
        members = [list(r) for r in small_roster_rows["members"]]
        members[2][2] = "1985-11-02"  # a text cell, ISO
        members[3][2] = " 30/07/1979 "  # a text cell, as an office types it
        roster = roster_holding(branches, members).source.load()
        assert [b.secretary_email for b in roster.branches] == ["hung.nv@phuong.example", ""]
        assert [m.birth_date for m in roster.members] == [
            date(1968, 3, 14),
            date(1985, 11, 2),
            date(1979, 7, 30),
            date(1950, 1, 5),
        ]

    def test_column_order_does_not_matter(
        self, roster_holding: RosterHolding, small_roster_rows: dict[str, Rows]
    ) -> None:
        branches, members = small_roster_rows["branches"], small_roster_rows["members"]
        roster = roster_holding(reversed_columns(branches), reversed_columns(members)).source.load()
        assert roster.branches == expected_branches(branches)
        assert roster.members == expected_members(members)


# ---------------------------------------------------------------------------------------
# Roster files
# ---------------------------------------------------------------------------------------


def write_csv(path: Path, rows: Rows) -> None:
    """Text as an office types it: dates dd/mm/yyyy."""
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(
            [c.strftime("%d/%m/%Y") if isinstance(c, date) else c for c in r] for r in rows
        )


def write_xlsx(path: Path, rows: Rows) -> None:
    """Typed cells: a birth date is a date cell."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for r in rows:
        ws.append(list(r))
    wb.save(path)


class FileHeld:
    def __init__(
        self, folder: Path, suffix: str, write: Callable[[Path, Rows], None], b: Rows, m: Rows
    ) -> None:
        self.paths = {
            "branches": folder / f"chi-bo{suffix}",
            "members": folder / f"dang-vien{suffix}",
        }
        self.members, self._write = list(m), write
        write(self.paths["branches"], b)
        write(self.paths["members"], m)
        self.source: RosterSource = FileRoster(self.paths["branches"], self.paths["members"])

    def add_member(self, row: Sequence[Any]) -> None:
        self.members.append(row)
        self._write(self.paths["members"], self.members)

    def lose(self) -> None:
        self.paths["members"].unlink()

    def label(self, table: Table) -> str:
        return str(self.paths[table])


class TestCsvRoster(RosterContract):
    __test__ = True

    @pytest.fixture
    def roster_holding(self, tmp_path: Path) -> RosterHolding:
        return lambda b, m: FileHeld(tmp_path, ".csv", write_csv, b, m)


class TestXlsxRoster(RosterContract):
    __test__ = True

    @pytest.fixture
    def roster_holding(self, tmp_path: Path) -> RosterHolding:
        return lambda b, m: FileHeld(tmp_path, ".xlsx", write_xlsx, b, m)


# ---------------------------------------------------------------------------------------
# The roster spreadsheet: one fake server for the module
# ---------------------------------------------------------------------------------------

_ids = itertools.count(1)  # every test its own spreadsheet on the shared fake
TABS: dict[Table, str] = {"branches": "Chi bộ", "members": "Đảng viên"}


class SheetHeld:
    """Two tabs holding typed cells; a member added as a person types it (vi_VN)."""

    def __init__(self, fake: FakeWorkspace, apis: GoogleApis, b: Rows, m: Rows) -> None:
        self.fake, self.apis = fake, apis
        self.spreadsheet_id = f"ROSTER_{next(_ids)}"
        tabs = {"Hướng dẫn": [["Điền danh sách vào hai tab sau"]]}
        tabs |= {TABS["branches"]: [list(r) for r in b], TABS["members"]: [list(r) for r in m]}
        fake.add_spreadsheet(self.spreadsheet_id, tabs)
        self.source: RosterSource = SheetRoster(
            apis, self.spreadsheet_id, TABS["branches"], TABS["members"]
        )

    def add_member(self, row: Sequence[Any]) -> None:
        typed = [c.strftime("%d/%m/%Y") if isinstance(c, date) else c for c in row]
        self.apis.sheets().values_append(
            self.spreadsheet_id,
            f"'{TABS['members']}'!A1",
            params={"valueInputOption": "USER_ENTERED", "insertDataOption": "INSERT_ROWS"},
            body={"values": [typed]},
        )

    def lose(self) -> None:
        self.fake.deny(self.spreadsheet_id)

    def label(self, table: Table) -> str:
        return f"Bảng tính {self.spreadsheet_id}, tab '{TABS[table]}'"


class TestSheetRoster(RosterContract):
    __test__ = True

    @pytest.fixture
    def roster_holding(self, shared_fake: FakeWorkspace, shared_apis: GoogleApis) -> RosterHolding:
        return lambda b, m: SheetHeld(shared_fake, shared_apis, b, m)
