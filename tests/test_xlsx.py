"""The XLSX destination (sync/outputs/xlsx.py), checked by reading the file back."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sync.layout import stamp_text
from sync.model import Column, Table
from sync.outputs.xlsx import XlsxDestination, render_workbook
from tests.conftest import TZ as VN

NOW = datetime(2026, 11, 23, 8, 5, tzinfo=VN)
RED = "FFFFC7CE"

FORMULA_LIKE = [
    '=IMPORTXML("http://x","//a")',
    "+84 912 345 678",
    "-1 không rõ",
    "@SUM(A1)",
]


def _branches(n: int = 3) -> Table:
    rows = tuple(
        (
            f"CB{i:02d}",
            f"Chi bộ số {i}",
            0.5 + i / 10,
            date(2026, 5, i + 1),
            datetime(2026, 11, 20, 2, 30, tzinfo=UTC),  # 09:30 in Vietnam
            i,
            85.5,
            FORMULA_LIKE[i % len(FORMULA_LIKE)],
        )
        for i in range(n)
    )
    return Table(
        name="Tổng hợp chi bộ",
        columns=(
            Column("Mã chi bộ", "text", 10),
            Column("Tên chi bộ", "text", 36),
            Column("Tỷ lệ tham gia", "percent", 11),
            Column("Ngày ban hành kế hoạch", "date", 14),
            Column("Lần báo cáo gần nhất", "datetime", 17),
            Column("Số ngày quá hạn", "int", 9),
            Column("Điểm", "number", 8),
            Column("Nhiệm vụ chuyển đổi số", "text", 40),
        ),
        rows=rows,
        updated_at=NOW,
        highlight_rows=frozenset({1}) if n > 1 else frozenset(),
    )


def _problems(n: int = 2) -> Table:
    return Table(
        name="Lỗi dữ liệu",
        columns=(Column("Dòng / phản hồi", "text", 14), Column("Lý do", "text", 60)),
        rows=tuple((f"Dòng {i + 2}", "Giá trị không hợp lệ") for i in range(n)),
        updated_at=NOW,
    )


def _empty() -> Table:
    return Table("Quá hạn", (Column("Mã chi bộ"), Column("Hạn", "date", 12)), (), NOW)


def _write(path: Path, *tables: Table) -> None:
    XlsxDestination(path).write(tables or (_branches(), _problems(), _empty()))


def test_sheets_stamp_header_and_layout(tmp_path):
    path = tmp_path / "out" / "nested" / "tong-hop.xlsx"  # parent folders created
    _write(path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["Tổng hợp chi bộ", "Lỗi dữ liệu", "Quá hạn"]
    ws = wb["Tổng hợp chi bộ"]
    assert ws["A1"].value == "Tổng hợp chi bộ — cập nhật lúc 23/11/2026 08:05 (giờ Việt Nam)"
    assert ws["A1"].font.italic
    assert [c.value for c in ws[2]] == [
        "Mã chi bộ",
        "Tên chi bộ",
        "Tỷ lệ tham gia",
        "Ngày ban hành kế hoạch",
        "Lần báo cáo gần nhất",
        "Số ngày quá hạn",
        "Điểm",
        "Nhiệm vụ chuyển đổi số",
    ]
    assert all(c.font.bold and c.fill.fill_type == "solid" for c in ws[2])
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref == "A2:H5"
    assert ws.column_dimensions["B"].width == 36
    assert ws.column_dimensions["H"].width == 40
    assert ws["A3"].value == "CB00" and ws["A5"].value == "CB02"
    assert ws.max_row == 5
    empty = wb["Quá hạn"]
    assert empty.max_row == 2 and empty.auto_filter.ref == "A2:B2"
    assert empty["A1"].value.startswith("Quá hạn — cập nhật lúc 23/11/2026 08:05")


def test_typed_cells_and_number_formats(tmp_path):
    path = tmp_path / "t.xlsx"
    _write(path)
    ws = load_workbook(path)["Tổng hợp chi bộ"]
    pct, day, when, days, score = ws["C4"], ws["D4"], ws["E4"], ws["F4"], ws["G4"]
    assert pct.value == pytest.approx(0.6) and pct.data_type == "n"
    assert pct.number_format == "0.0%"
    assert day.value == datetime(2026, 5, 2) and day.number_format == "dd/mm/yyyy"
    # tz-aware datetime written as the Vietnam wall time, naive
    assert when.value == datetime(2026, 11, 20, 9, 30) and when.value.tzinfo is None
    assert when.number_format == "dd/mm/yyyy hh:mm"
    assert days.value == 1 and days.number_format == "0"
    assert score.value == 85.5 and score.number_format == "0.0#"


def test_highlighted_rows_are_light_red(tmp_path):
    path = tmp_path / "t.xlsx"
    _write(path)
    ws = load_workbook(path)["Tổng hợp chi bộ"]
    assert all(c.fill.fgColor.rgb == RED for c in ws[4])  # table row 1
    for r in (3, 5):
        assert all(c.fill.fgColor.rgb != RED for c in ws[r])
    assert all(c.fill.fgColor.rgb != RED for c in ws[2])


def test_formula_like_text_has_a_quote_prefix(tmp_path):
    # stored as text: tests/test_contract_destination.py; the prefix keeps Excel from
    # reading it as a formula when a user edits the cell
    path = tmp_path / "t.xlsx"
    _write(path, _branches(4))
    ws = load_workbook(path)["Tổng hợp chi bộ"]
    assert all(ws.cell(row=3 + i, column=8).quotePrefix for i in range(4))


def test_control_characters_do_not_break_the_file(tmp_path):
    path = tmp_path / "t.xlsx"
    t = Table("Lỗi dữ liệu", (Column("Giá trị"),), (("a\x0bb\x00c",), ("x" * 40000,)), NOW)
    XlsxDestination(path).write([t])
    ws = load_workbook(path)["Lỗi dữ liệu"]
    assert ws["A3"].value == "abc"
    assert len(ws["A4"].value) == 32767


def test_failed_replace_keeps_the_old_workbook_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "t.xlsx"
    _write(path)
    before = path.read_bytes()

    def boom(src: object, dst: object) -> None:
        raise OSError("tệp đang mở trong Excel")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="đang mở"):
        _write(path, _branches(1))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx"]


def test_deterministic_bytes_and_properties(tmp_path):
    tables = (_branches(), _problems(), _empty())
    assert render_workbook(tables) == render_workbook(tables)
    _write(tmp_path / "t.xlsx", *tables)
    props = load_workbook(tmp_path / "t.xlsx").properties
    assert props.created == datetime(2026, 11, 23, 1, 5)  # UTC, from updated_at
    assert props.modified == datetime(2026, 11, 23, 1, 5)


def test_stamp_text_other_zone():
    t = Table("Quá hạn", (), (), datetime(2026, 1, 2, 3, 4, tzinfo=UTC))
    assert stamp_text(t) == "Quá hạn — cập nhật lúc 02/01/2026 03:04 (UTC+0000)"


def _office() -> str | None:
    return shutil.which("libreoffice") or shutil.which("soffice")


@pytest.mark.skipif(_office() is None, reason="LibreOffice không có trên máy")
def test_libreoffice_opens_the_workbook(tmp_path):
    path = tmp_path / "t.xlsx"
    _write(path)
    office = _office()
    assert office is not None
    result = subprocess.run(
        [
            office,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "csv",
            "--outdir",
            str(tmp_path / "csv"),
            str(path),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "csv" / "t.csv").read_text(encoding="utf-8", errors="replace")
    assert "CB00" in text and "IMPORTXML" in text
