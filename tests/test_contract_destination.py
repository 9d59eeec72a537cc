"""One contract for every summary destination (the model: vdirsyncer's ``StorageTests``).

``DestinationContract`` states what the cycle may rely on from any ``sync.ports.Destination``;
each subclass runs it against one implementation through a small harness: the destination,
its tabs and their cells read back as typed values, a count of writes, and the ward's own
content it must never touch. Layout details (XLSX styles and printing, Sheets batching,
retries and request counts) stay in each implementation's own test file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import unicodedata
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import pytest
from openpyxl import load_workbook

from sync.google.apis import GoogleApis
from sync.google.sheets_destination import SheetsDestination
from sync.model import Cell, Column, Table
from sync.outputs.xlsx import XlsxDestination
from tests.conftest import TZ
from tests.fake_google import FakeWorkspace

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=TZ)
LATER = NOW + timedelta(hours=1, minutes=30)
BRANCHES = "Tổng hợp chi bộ"
PROBLEMS = "Lỗi dữ liệu"
OVERDUE = "Quá hạn"
# respondent text a spreadsheet would read as a formula (or strip a quote from)
FORMULA_LIKE = (
    "=SUM(A1)",
    "+84 912 345 678",
    "-1 không rõ",
    "@x",
    "'abc",
    '=IMPORTXML("http://x","//a")',
)

# A cell as read back: (kind, value); kinds "text", "number", "percent", "date",
# "datetime", "formula". Empty cells are None.
Typed = tuple[str, object] | None


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def stamp(name: str, at: datetime = NOW) -> Typed:
    return ("text", f"{name} — cập nhật lúc {at:%d/%m/%Y %H:%M} (giờ Việt Nam)")


def text(value: str) -> Typed:
    return ("text", value)


def rows_table(name: str, n: int, *, cols: int = 3, at: datetime = NOW) -> Table:
    """``n`` rows of ``cols`` text columns: "<name> r<i>c<j>"."""
    columns = tuple(Column(f"Cột {j + 1}", "text", 12) for j in range(cols))
    rows = tuple(tuple(f"{name} r{i}c{j}" for j in range(cols)) for i in range(n))
    return Table(name, columns, rows, at)


def expected_rows(table: Table) -> list[list[Typed]]:
    """What a text-only table reads back as: stamp, header, its rows."""
    header = [text(c.header) for c in table.columns]
    return [[stamp(table.name, table.updated_at)], header] + [
        [text(str(v)) for v in row] for row in table.rows
    ]


class Harness(Protocol):
    """What a contract test needs from one destination."""

    dest: Any  # the Destination under test (also has ``intact``)

    def tabs(self) -> list[str]:
        """Every tab of the container, in order (the ward's own tabs included)."""
        ...

    def read(self, tab: str) -> list[list[Typed]]:
        """The tab's cells as typed values, trailing empty cells and rows trimmed."""
        ...

    def writes(self) -> object:
        """Changes whenever the destination writes anything."""
        ...

    def destroy(self, tab: str) -> None:
        """What a user does by mistake: delete what was written (the tab, the file)."""
        ...

    def foreign(self) -> object:
        """The ward's own content next to ours (a tab, a file): must never change."""
        ...


class DestinationContract:
    """The behaviours every destination promises. Subclasses provide the ``harness``
    fixture; ``foreign_tabs`` are the ward's own tabs in the container (listed before
    ours: a workbook file is ours alone, a spreadsheet is shared)."""

    foreign_tabs: tuple[str, ...] = ()

    @pytest.fixture
    def harness(self) -> Harness:
        raise NotImplementedError

    def ours(self, h: Harness) -> list[str]:
        return [t for t in h.tabs() if t not in self.foreign_tabs]

    # -- behaviours ---------------------------------------------------------------------

    def test_every_table_lands_in_a_tab_of_its_title(self, harness: Harness) -> None:
        tables = [rows_table(BRANCHES, 2), rows_table(PROBLEMS, 1), rows_table(OVERDUE, 3)]

        assert harness.dest.write(tables, {}) is not None

        assert harness.tabs() == [*self.foreign_tabs, BRANCHES, PROBLEMS, OVERDUE]
        for t in tables:
            assert harness.read(t.name) == expected_rows(t)

    def test_rewriting_the_same_tables_writes_nothing(self, harness: Harness) -> None:
        tables = [rows_table(BRANCHES, 3), rows_table(PROBLEMS, 2)]
        remembered = harness.dest.write(tables, {})
        assert remembered is not None
        before = harness.writes()

        # a later update stamp alone is not a change
        later = [dataclasses.replace(t, updated_at=LATER) for t in tables]
        assert harness.dest.write(later, remembered) is None

        assert harness.writes() == before
        assert harness.read(BRANCHES)[0] == [stamp(BRANCHES)]  # the stamp of the real write

    def test_a_shorter_table_clears_leftover_rows_and_columns(self, harness: Harness) -> None:
        remembered = harness.dest.write([rows_table(BRANCHES, 6, cols=4)], {})
        short = rows_table(BRANCHES, 2, cols=2, at=LATER)

        assert harness.dest.write([short], remembered or {}) is not None

        assert harness.read(BRANCHES) == expected_rows(short)

    def test_lost_state_rewrites_cleanly_without_duplicates(self, harness: Harness) -> None:
        """state.sqlite deleted: the next write passes {} over tabs that already exist."""
        harness.dest.write([rows_table(BRANCHES, 6, cols=4), rows_table(PROBLEMS, 1)], {})
        tables = [rows_table(BRANCHES, 2, cols=2, at=LATER), rows_table(PROBLEMS, 1, at=LATER)]

        assert harness.dest.write(tables, {}) is not None

        assert self.ours(harness) == [BRANCHES, PROBLEMS]
        assert harness.read(BRANCHES) == expected_rows(tables[0])

    def test_formula_like_text_stays_text_exactly_as_written(self, harness: Harness) -> None:
        table = Table(
            BRANCHES,
            (Column("Mã", "text", 8), Column("Khó khăn, kiến nghị", "text", 40)),
            tuple((f"CB{i:02d}", v) for i, v in enumerate(FORMULA_LIKE)),
            NOW,
        )

        harness.dest.write([table], {})

        body = harness.read(BRANCHES)[2:]
        assert [row[1] for row in body] == [text(v) for v in FORMULA_LIKE]

    def test_vietnamese_tab_names_are_found_again_whatever_the_normal_form(
        self, harness: Harness
    ) -> None:
        """Titles typed on another keyboard (NFD) and the program's own (NFC) are one tab."""
        first = [rows_table(nfd(PROBLEMS), 2), rows_table(nfd(BRANCHES), 1)]
        remembered = harness.dest.write(first, {})
        assert remembered is not None
        assert self.ours(harness) == [PROBLEMS, BRANCHES]  # titled in NFC

        second = [rows_table(PROBLEMS, 1, at=LATER), rows_table(BRANCHES, 3, at=LATER)]
        remembered = harness.dest.write(second, remembered)
        assert remembered is not None
        assert self.ours(harness) == [PROBLEMS, BRANCHES]
        assert harness.read(BRANCHES) == expected_rows(second[1])

        # the same content under NFD names again: nothing to write
        before = harness.writes()
        again = [dataclasses.replace(t, name=nfd(t.name)) for t in second]
        assert harness.dest.write(again, remembered) is None
        assert harness.writes() == before

    def test_numbers_dates_booleans_and_percents_keep_their_kind(self, harness: Harness) -> None:
        reported = datetime(2026, 11, 22, 3, 15, tzinfo=UTC)
        columns = (
            Column("Số", "int"),
            Column("Điểm", "number"),
            Column("Tỷ lệ", "percent"),
            Column("Ngày", "date"),
            Column("Lúc", "datetime"),
            Column("Đã gửi", "bool"),
            Column("Chưa có", "number"),
            Column("Ghi chú"),
        )
        rows: tuple[tuple[Cell, ...], ...] = (
            (7, 85.5, 0.875, date(2026, 5, 10), reported, True, float("nan"), "Có dấu"),
            (0, -2.25, 1, date(2026, 12, 31), None, False, None),  # a short row
        )

        harness.dest.write([Table(BRANCHES, columns, rows, NOW)], {})

        body = harness.read(BRANCHES)[2:]
        wall = reported.astimezone(TZ).replace(tzinfo=None)  # the ward's time, as shown
        assert body == [
            [
                ("number", 7),
                ("number", 85.5),
                ("percent", 0.875),
                ("date", date(2026, 5, 10)),
                ("datetime", wall),
                text("Có"),
                None,  # NaN: no such number in a spreadsheet, the cell stays empty
                text("Có dấu"),
            ],
            [
                ("number", 0),
                ("number", -2.25),
                ("percent", 1),
                ("date", date(2026, 12, 31)),
                None,
                text("Không"),
            ],
        ]

    def test_an_empty_table_still_writes_its_header(self, harness: Harness) -> None:
        empty = Table(OVERDUE, (Column("Mã chi bộ"), Column("Hạn", "date")), (), NOW)

        assert harness.dest.write([rows_table(BRANCHES, 1), empty], {}) is not None

        assert self.ours(harness) == [BRANCHES, OVERDUE]
        assert harness.read(OVERDUE) == [[stamp(OVERDUE)], [text("Mã chi bộ"), text("Hạn")]]

    def test_what_is_deleted_by_mistake_is_written_again(self, harness: Harness) -> None:
        tables = [rows_table(BRANCHES, 2), rows_table(PROBLEMS, 1)]
        remembered = harness.dest.write(tables, {})
        assert remembered is not None and harness.dest.intact(remembered)

        harness.destroy(PROBLEMS)

        # the cycle asks first: an idle cycle writes when what it wrote is gone
        assert not harness.dest.intact(remembered)
        assert harness.dest.write(tables, remembered) is not None
        assert self.ours(harness) == [BRANCHES, PROBLEMS]
        assert harness.read(PROBLEMS) == expected_rows(tables[1])

    def test_the_wards_own_content_is_left_alone(self, harness: Harness) -> None:
        before = harness.foreign()

        remembered = harness.dest.write([rows_table(BRANCHES, 6), rows_table(PROBLEMS, 2)], {})
        harness.dest.write([rows_table(BRANCHES, 1, at=LATER)], remembered or {})

        assert harness.foreign() == before
        assert harness.tabs()[: len(self.foreign_tabs)] == list(self.foreign_tabs)


# ---------------------------------------------------------------------------------------
# XLSX: one workbook file, ours alone
# ---------------------------------------------------------------------------------------

_XLSX_KINDS = {
    "0.0%": "percent",
    "dd/mm/yyyy": "date",
    "dd/mm/yyyy hh:mm": "datetime",
}


def _xlsx_typed(cell: Any) -> Typed:
    value = cell.value
    if value is None:
        return None
    if cell.data_type == "f":
        return ("formula", value)
    if isinstance(value, str):
        return ("text", value)
    kind = _XLSX_KINDS.get(cell.number_format, "number")
    if kind == "date":
        return (kind, value.date() if isinstance(value, datetime) else value)
    return (kind, value)


def _trimmed(rows: Sequence[Sequence[Typed]]) -> list[list[Typed]]:
    out = [list(r) for r in rows]
    for r in out:
        while r and r[-1] is None:
            r.pop()
    while out and not out[-1]:
        out.pop()
    return out


class XlsxHarness:
    def __init__(self, folder: Path) -> None:
        self.path = folder / "tong-hop.xlsx"
        self.dest = XlsxDestination(self.path)
        # the ward's own workbook beside ours (the file we write is ours alone)
        self.neighbour = folder / "ghi-chu-cua-phuong.xlsx"
        self.neighbour.write_bytes(b"PK\x03\x04 the ward's own notes")

    def tabs(self) -> list[str]:
        return list(load_workbook(self.path).sheetnames)

    def read(self, tab: str) -> list[list[Typed]]:
        ws = load_workbook(self.path)[tab]  # not data_only: a formula would show as "f"
        return _trimmed([[_xlsx_typed(c) for c in row] for row in ws.iter_rows()])

    def writes(self) -> object:
        st = self.path.stat()
        return (st.st_ino, st.st_mtime_ns, hashlib.sha256(self.path.read_bytes()).hexdigest())

    def destroy(self, tab: str) -> None:
        self.path.unlink()  # one file holds every tab

    def foreign(self) -> object:
        others = sorted(p.name for p in self.path.parent.iterdir() if p != self.path)
        return others, self.neighbour.read_bytes()  # no temporary file left either


class TestXlsxDestination(DestinationContract):
    @pytest.fixture
    def harness(self, tmp_path: Path) -> XlsxHarness:
        return XlsxHarness(tmp_path)


# ---------------------------------------------------------------------------------------
# Google Sheets: tabs of a shared spreadsheet, through gspread against the fake
# ---------------------------------------------------------------------------------------

WARD_TAB = "Ghi chú của phường"
RESPONSES_TAB = "Câu trả lời biểu mẫu 1"
_EPOCH = datetime(1899, 12, 30)
_SHEETS_KINDS = {"NUMBER": "number", "PERCENT": "percent", "DATE": "date", "DATE_TIME": "datetime"}
_ids = itertools.count(1)


def _column(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


class SheetsHarness:
    def __init__(self, fake: FakeWorkspace, apis: GoogleApis) -> None:
        self.fake = fake
        self.sid = f"CONTRACT_{next(_ids)}"  # one spreadsheet per test, one server per module
        fake.add_spreadsheet(
            self.sid,
            {
                WARD_TAB: [["Ghi chú", "=SUM(1,2)"], ["giữ nguyên", 3]],
                RESPONSES_TAB: [["Dấu thời gian", "Họ và tên"], ["22/11/2026", "An"]],
            },
        )
        self.dest = SheetsDestination(apis, self.sid, TZ)

    def tabs(self) -> list[str]:
        return self.fake.tab_titles(self.sid)

    def read(self, tab: str) -> list[list[Typed]]:
        shown = self.fake.values(self.sid, tab)  # trimmed: the extent of what is there
        width = max((len(r) for r in shown), default=0)
        rows = [
            [self._typed(tab, f"{_column(c + 1)}{r + 1}") for c in range(width)]
            for r in range(len(shown))
        ]
        return _trimmed(rows)

    def _typed(self, tab: str, a1: str) -> Typed:
        cell = self.fake.cell(self.sid, tab, a1)
        value = cell.value
        if value is None or value == "":
            return None
        if cell.is_formula:
            return ("formula", value)
        if isinstance(value, str):
            return ("text", value)
        kind = _SHEETS_KINDS.get(cell.format.get("numberFormat", {}).get("type", ""), "number")
        if kind == "date":
            return (kind, (_EPOCH + timedelta(days=float(value))).date())
        if kind == "datetime":
            # serial days: rounded to the second (the float is not exact)
            seconds = round(float(value) * 86400)
            return (kind, _EPOCH + timedelta(seconds=seconds))
        return (kind, value)

    def writes(self) -> object:
        # every request that is not a read, answered or not
        return len([r for r in self.fake.write_calls() if f"/spreadsheets/{self.sid}" in r.path])

    def destroy(self, tab: str) -> None:
        sheet_id = self.fake.sheet(self.sid, tab)["sheetId"]
        self.dest.apis.sheets().batch_update(
            self.sid, {"requests": [{"deleteSheet": {"sheetId": sheet_id}}]}
        )

    def foreign(self) -> object:
        out: dict[str, object] = {}
        for tab in (WARD_TAB, RESPONSES_TAB):
            props = self.fake.sheet(self.sid, tab)
            cells = [self.fake.cell(self.sid, tab, a1) for a1 in ("A1", "B1", "A2", "B2")]
            shown = self.fake.values(self.sid, tab)
            out[tab] = (props, shown, [(c.value, c.format) for c in cells])
            # no write request names the tab, by title or by id
            for call in self.fake.write_calls():
                if f"/spreadsheets/{self.sid}" in call.path:
                    assert tab not in str(call.body)
                    assert f"'sheetId': {props['sheetId']}," not in str(call.body)
        return out


class TestSheetsDestination(DestinationContract):
    foreign_tabs = (WARD_TAB, RESPONSES_TAB)

    @pytest.fixture
    def harness(self, shared_fake: FakeWorkspace, shared_apis: GoogleApis) -> SheetsHarness:
        return SheetsHarness(shared_fake, shared_apis)

    # Sheets only: a tab can exist before the first write, titled on another keyboard
    def test_a_tab_titled_in_nfd_by_hand_is_the_tables_tab(self, harness: SheetsHarness) -> None:
        harness.fake.add_spreadsheet("NFD_" + harness.sid, {nfd(PROBLEMS): [["cũ", "x", "y"]]})
        dest = SheetsDestination(harness.dest.apis, "NFD_" + harness.sid, TZ)
        table = rows_table(PROBLEMS, 2, cols=2)

        remembered = dest.write([table], {})

        assert harness.fake.tab_titles("NFD_" + harness.sid) == [nfd(PROBLEMS)]  # its title
        assert remembered is not None and dest.write([table], remembered) is None
        harness.sid = "NFD_" + harness.sid
        assert harness.read(nfd(PROBLEMS))[1:] == expected_rows(table)[1:]
