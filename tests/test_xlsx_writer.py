"""The hand-written SpreadsheetML of sync/outputs/xlsx.py: edge values, the package, streaming.

Every value is checked by reading the file back with openpyxl; LibreOffice, when installed,
opens the same workbooks (skipped in CI).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import struct
import subprocess
import time
import tracemalloc
import zipfile
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import IntEnum, StrEnum
from pathlib import Path
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook

from sync.model import Column, ColumnKind, Table
from sync.outputs import xlsx
from sync.outputs.xlsx import XlsxDestination, render_workbook

VN = timezone(timedelta(hours=7))
NOW = datetime(2026, 11, 23, 8, 5, 31, tzinfo=VN)
RED = "FFFFC7CE"
KINDS: tuple[ColumnKind, ...] = ("text", "int", "number", "percent", "date", "datetime", "bool")
NAN, INF = float("nan"), float("inf")


class Choice(StrEnum):
    DONE = "Hoàn thành"


class Level(IntEnum):
    HIGH = 3


# (column kind, value written, value openpyxl reads back, number format or None for text)
CASES: list[tuple[ColumnKind, object, object, str | None]] = [
    ("text", "  hai đầu có dấu cách  ", "  hai đầu có dấu cách  ", None),
    ("text", "dòng 1\r\ndòng 2\ttab", "dòng 1\r\ndòng 2\ttab", None),
    ("text", "a & b < c > \"d\" 'e'", "a & b < c > \"d\" 'e'", None),
    ("text", "a\x00b\x1fc\ud800d\ufffee\uffffg\x0b", "abcdeg", None),
    ("text", "=SUM(A1:A9)", "=SUM(A1:A9)", None),
    ("text", "Nguyễn Thị Ánh Tuyết", "Nguyễn Thị Ánh Tuyết", None),
    ("text", True, "Có", None),
    ("text", Choice.DONE, "Hoàn thành", None),
    ("text", Decimal("1.50"), "1.50", None),
    ("bool", True, "Có", None),
    ("bool", False, "Không", None),
    ("number", 1e-7, 1e-7, "0.0#"),
    ("number", 1.5e300, 1.5e300, "0.0#"),
    ("number", -0.0, 0.0, "0.0#"),
    ("number", 85.5, 85.5, "0.0#"),
    ("number", 7, 7, "0.0#"),
    ("number", NAN, None, None),  # no NaN in a spreadsheet: empty, as in Google Sheets
    ("number", INF, None, None),
    ("number", -INF, None, None),
    ("int", 10**15 - 1, 10**15 - 1, "0"),
    ("int", -(10**15 - 1), -(10**15 - 1), "0"),
    ("int", 10**20, "100000000000000000000", None),  # beyond 15 digits: text, exact
    ("int", -(10**16), "-10000000000000000", None),
    ("int", Level.HIGH, 3, "0"),
    ("int", 2.5, 2.5, "0"),
    ("percent", 0.125, 0.125, "0.0%"),
    ("percent", 1, 1, "0.0%"),
    ("date", date(2026, 5, 2), datetime(2026, 5, 2), "dd/mm/yyyy"),
    ("date", date(1900, 3, 1), datetime(1900, 3, 1), "dd/mm/yyyy"),
    ("date", date(9999, 12, 31), datetime(9999, 12, 31), "dd/mm/yyyy"),
    # Excel's serial numbers cannot show these days: the column's format, as text
    ("date", date(1900, 2, 28), "28/02/1900", None),
    ("date", date(1850, 1, 2), "02/01/1850", None),
    ("datetime", datetime(1899, 12, 31, 23, 59), "31/12/1899 23:59", None),
    ("datetime", datetime(1, 1, 1, tzinfo=UTC), "01/01/0001 07:00", None),
    ("datetime", datetime(2026, 1, 2, 3, 4, 5), datetime(2026, 1, 2, 3, 4, 5), "dd/mm/yyyy hh:mm"),
    (
        "datetime",
        datetime(2026, 6, 1, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2026, 6, 1, 12, 0),  # the table's zone (Vietnam) wall time
        "dd/mm/yyyy hh:mm",
    ),
    ("datetime", date(2026, 1, 31), datetime(2026, 1, 31), "dd/mm/yyyy"),
    ("date", datetime(2026, 6, 1, 23, 30, tzinfo=UTC), datetime(2026, 6, 2, 6, 30), "dd/mm/yyyy"),
    ("text", "", None, None),
    ("text", None, None, None),
]


def _cases_table() -> Table:
    rows = []
    for kind, value, _, _ in CASES:
        row: list[object] = [None] * len(KINDS)
        row[KINDS.index(kind)] = value
        rows.append(tuple(row))
    return Table(
        "Giá trị biên",
        tuple(Column(f"Cột {k}", k, 12) for k in KINDS),
        tuple(rows),  # type: ignore[arg-type]  # Choice, Level, Decimal on purpose
        NOW,
    )


def _load(data: bytes):
    return load_workbook(io.BytesIO(data))


def _sheet_xml(data: bytes, n: int = 1) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(f"xl/worksheets/sheet{n}.xml").decode("utf-8")


def test_every_edge_value_reads_back():
    ws = _load(render_workbook([_cases_table()]))["Giá trị biên"]
    assert ws.max_row == 2 + len(CASES) - 2  # the last two rows have no cell at all
    for i, (kind, value, expected, fmt) in enumerate(CASES):
        cell = ws.cell(row=3 + i, column=KINDS.index(kind) + 1)
        assert cell.value == expected, (kind, value, cell.value)
        if expected is None:
            continue
        assert type(cell.value) is type(expected), (kind, value)
        if fmt is None:
            assert cell.data_type == "s", (kind, value)
        else:
            assert cell.number_format == fmt, (kind, value)
        # nothing else in the row
        others = [c.value for c in ws[3 + i] if c.column != KINDS.index(kind) + 1]
        assert others == [None] * (len(KINDS) - 1)
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


def test_formula_like_text_has_quote_prefix_and_plain_text_does_not():
    ws = _load(render_workbook([_cases_table()]))["Giá trị biên"]
    formula = next(i for i, c in enumerate(CASES) if c[1] == "=SUM(A1:A9)")
    assert ws.cell(row=3 + formula, column=1).quotePrefix
    assert not ws.cell(row=3, column=1).quotePrefix


def test_long_text_is_cut_at_excel_limit_in_utf16_units():
    t = Table(
        "Dài",
        (Column("Văn bản"),),
        (("x" * 40000,), ("😀" * 20000,), ("a" + "😀" * 16383,), ("ế" * 32767,)),
        NOW,
    )
    ws = _load(render_workbook([t]))["Dài"]
    assert ws["A3"].value == "x" * 32767
    assert ws["A4"].value == "😀" * 16383  # each counts twice in Excel: no half pair left
    assert ws["A5"].value == "a" + "😀" * 16383
    assert ws["A6"].value == "ế" * 32767


def test_leading_and_trailing_spaces_are_marked_preserved():
    t = Table("Dấu cách", (Column("A"),), (("  trước",), ("sau  ",), ("giữa  giữa",)), NOW)
    xml = _sheet_xml(render_workbook([t]))
    assert '<t xml:space="preserve">  trước</t>' in xml
    assert '<t xml:space="preserve">sau  </t>' in xml
    assert "<t>giữa  giữa</t>" in xml


def test_excel_escape_sequences_in_text_stay_literal():
    # Excel reads "_x0041_" in a cell as "A": the "_" is escaped so Excel shows the text
    t = Table("Mã", (Column("A"),), (("_x0041_ và _x00e9_ _X0041_ _x41_",),), NOW)
    xml = _sheet_xml(render_workbook([t]))
    assert "<t>_x005F_x0041_ và _x005F_x00e9_ _X0041_ _x41_</t>" in xml


def test_column_of_none_short_and_long_rows_and_highlight():
    cols = (Column("Mã"), Column("Ghi chú", "text", 30), Column("Điểm", "number", 3))
    rows = (("A", None, 1.0), ("B",), ("C", None, 2.0, "thừa", 99), ("D", None, None))
    t = Table("Cột rỗng", cols, rows, NOW, frozenset({1, 3}))
    ws = _load(render_workbook([t]))["Cột rỗng"]
    assert [c.value for c in ws[2]] == ["Mã", "Ghi chú", "Điểm"]
    assert all(ws.cell(row=r, column=2).value is None for r in range(3, 7))
    assert ws.max_column == 3  # values beyond the columns are not written
    assert [c.value for c in ws[5]] == ["C", None, 2.0]
    assert ws.auto_filter.ref == "A2:C6"
    assert ws.column_dimensions["B"].width == 30
    assert ws.column_dimensions["C"].width == 4  # at least 4
    for r in (4, 6):  # highlighted, empty cells included
        assert [c.fill.fgColor.rgb for c in ws[r]] == [RED] * 3
    for r in (3, 5):
        assert all(c.fill.fgColor.rgb != RED for c in ws[r])


def test_highlighted_nan_and_empty_cells_keep_the_fill():
    cols = (Column("A"), Column("B", "number"), Column("C"))
    t = Table("Tô", cols, (("x", NAN, ""),), NOW, frozenset({0}))
    ws = _load(render_workbook([t]))["Tô"]
    assert [c.value for c in ws[3]] == ["x", None, None]
    assert [c.fill.fgColor.rgb for c in ws[3]] == [RED] * 3


def test_empty_and_columnless_tables():
    empty = Table("Trống", (Column("Mã"), Column("Hạn", "date")), (), NOW)
    bare = Table("Không cột", (), ((), ()), NOW)
    wb = _load(render_workbook([empty, bare]))
    assert wb["Trống"].max_row == 2 and wb["Trống"].auto_filter.ref == "A2:B2"
    ws = wb["Không cột"]
    assert ws.max_row == 1 and ws["A1"].value.startswith("Không cột — cập nhật lúc")
    assert ws.auto_filter.ref is None and ws.freeze_panes == "A3"


def test_sheet_titles_sanitised_short_and_unique():
    names = [
        "Lỗi [dữ] liệu: a*b?c/d\\e",
        "Một tên rất dài vượt quá ba mươi mốt ký tự cho phép",
        "Một tên rất dài vượt quá ba mươi mốt ký tự nữa",
        "QUÁ HẠN",
        "quá hạn",
        "'Trích dẫn'",
        "[]",
        "Chi bộ 'A'",
    ]
    tables = [Table(n, (Column("A"),), (("x",),), NOW) for n in names]
    data = render_workbook(tables)
    titles = _load(data).sheetnames
    assert titles == [
        "Lỗi  dữ  liệu  a b c d e",
        "Một tên rất dài vượt quá ba mươ",
        "Một tên rất dài vượt quá ba (2)",
        "QUÁ HẠN",
        "quá hạn (2)",
        "Trích dẫn",
        "Bảng",
        "Chi bộ 'A",  # Excel refuses an apostrophe at either end
    ]
    assert all(len(t) <= 31 for t in titles)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        workbook = z.read("xl/workbook.xml").decode()
    assert "'Chi bộ ''A'!$A$2:$A$3</definedName>" in workbook


def test_package_parts_and_zip_entries():
    tables = (_cases_table(), Table("Trống", (Column("Mã"),), (), NOW))
    data = render_workbook(tables)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.testzip() is None
        names = z.namelist()
        assert names == [
            "[Content_Types].xml",
            "_rels/.rels",
            "docProps/core.xml",
            "docProps/app.xml",
            "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels",
            "xl/styles.xml",
            "xl/worksheets/sheet1.xml",
            "xl/worksheets/sheet2.xml",
        ]
        parts = {n: ElementTree.fromstring(z.read(n)) for n in names}  # all well formed
        for info in z.infolist():
            assert info.date_time == (2026, 11, 23, 8, 5, 30)  # the stamp, 2 s resolution
            assert info.compress_type == zipfile.ZIP_DEFLATED
        types = z.read("[Content_Types].xml").decode()
        core = z.read("docProps/core.xml").decode()
        workbook = z.read("xl/workbook.xml").decode()
        styles = z.read("xl/styles.xml").decode()
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert parts["xl/workbook.xml"].tag.endswith("}workbook")
    for n in (1, 2):
        assert f'PartName="/xl/worksheets/sheet{n}.xml"' in types
    assert "<dc:creator>kynangso-sync</dc:creator>" in core
    assert "<cp:lastModifiedBy>kynangso-sync</cp:lastModifiedBy>" in core
    assert "<dc:title>Tổng hợp kết quả học tập kỹ năng số</dc:title>" in core
    assert ">2026-11-23T01:05:31Z</dcterms:created>" in core
    names_xml = re.findall(r"<definedName [^>]*>[^<]*</definedName>", workbook)
    assert names_xml == [
        '<definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
        f"'Giá trị biên'!$A$2:$G${2 + len(CASES)}</definedName>",
        '<definedName name="_xlnm._FilterDatabase" localSheetId="1" hidden="1">'
        "'Trống'!$A$2:$A$2</definedName>",
        '<definedName name="_xlnm.Print_Titles" localSheetId="0">'
        "'Giá trị biên'!$1:$2</definedName>",
        '<definedName name="_xlnm.Print_Titles" localSheetId="1">'
        "'Trống'!$1:$2</definedName>",
    ]
    fills = re.findall(r'<patternFill patternType="(\w+)"', styles)
    assert fills[:2] == ["none", "gray125"]  # Excel's two mandatory fills, in this order
    assert 'quotePrefix="1"' in styles
    assert f'<dimension ref="A1:G{2 + len(CASES)}"/>' in sheet
    assert '<pane ySplit="2" topLeftCell="A3" activePane="bottomLeft" state="frozen"/>' in sheet
    order = [sheet.index(tag) for tag in ("<dimension", "<sheetViews", "<sheetFormatPr")]
    order += [sheet.index(tag) for tag in ("<cols", "<sheetData", "<autoFilter", "<pageMargins")]
    assert order == sorted(order)  # the schema's order of worksheet children


def test_stamp_and_header_styles():
    ws = _load(render_workbook([_cases_table()]))["Giá trị biên"]
    stamp = ws["A1"]
    assert stamp.font.b and stamp.font.i and stamp.font.color.rgb == "FF595959"
    for c in ws[2]:
        assert c.font.b and c.fill.fill_type == "solid" and c.fill.fgColor.rgb == "FFDDEBF7"
        assert c.alignment.wrap_text and c.alignment.vertical == "center"
    assert not ws["A3"].font.b


def test_same_bytes_whatever_the_clock(monkeypatch):
    tables = [_cases_table()]
    first = render_workbook(tables)
    later = time.time() + 86400 * 400
    monkeypatch.setattr(time, "time", lambda: later)
    assert render_workbook(tables) == first


def test_chunking_and_cache_bound_do_not_change_the_bytes(monkeypatch):
    names = [f"Người số {i % 37}" for i in range(3000)]
    rows = tuple((f"DV{i:05d}", n, i * 0.5, i % 2 == 0) for i, n in enumerate(names))
    cols = (Column("Mã"), Column("Tên"), Column("Điểm", "number"), Column("Có", "bool"))
    t = Table("Nhiều dòng", cols, rows, NOW, frozenset(range(0, 3000, 7)))
    reference = render_workbook([t])
    monkeypatch.setattr(xlsx, "_FLUSH_PARTS", 50)
    monkeypatch.setattr(xlsx, "_CACHE_MAX_ENTRIES", 10)
    assert render_workbook([t]) == reference


def test_text_cache_stays_bounded(monkeypatch):
    monkeypatch.setattr(xlsx, "_CACHE_MAX_ENTRIES", 10)
    cache = xlsx._TextCache(xlsx._Styles())
    for i in range(1000):
        assert f"<t>v{i}</t>" in cache.tail(f"v{i}", i % 2)
    cache.tail("x" * (xlsx._CACHE_MAX_TEXT + 1), 0)  # long texts are not kept
    assert all(len(c) <= 10 for c in cache.by_fill)
    assert cache.tail("", 0) == "" and 's="' in cache.tail("", 1)


def _members(n: int) -> Table:
    rows = tuple(
        (f"DV{i:06d}", f"Đảng viên {i}", f"CB{i % 300:03d}", "Đầy đủ", i % 90 + 0.5, i % 11)
        for i in range(n)
    )
    cols = (Column("Mã"), Column("Tên"), Column("Chi bộ"), Column("Bản đăng ký"))
    cols += (Column("Điểm", "number"), Column("Bài học", "int"))
    return Table("Đảng viên", cols, rows, NOW)


def _write_traced(path: Path, table: Table) -> tuple[int, list[int]]:
    """Peak traced memory while writing, and the sizes handed to the sheet's zip entry."""
    writes: list[int] = []
    real_open = zipfile.ZipFile.open

    def spy_open(self, name, mode="r", **kw):  # type: ignore[no-untyped-def]
        handle = real_open(self, name, mode, **kw)
        if mode == "w" and "worksheets/" in getattr(name, "filename", str(name)):
            write = handle.write
            handle.write = lambda b: writes.append(len(b)) or write(b)  # type: ignore[method-assign]
        return handle

    with pytest.MonkeyPatch.context() as m:
        m.setattr(zipfile.ZipFile, "open", spy_open)
        tracemalloc.start()
        try:
            XlsxDestination(path)._write_file([table])
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return peak, writes


def test_sheet_is_streamed_in_chunks_with_bounded_memory(tmp_path, monkeypatch):
    # small chunks and cache so that small tables show it: memory follows the chunk size,
    # not the data (with the real sizes: about 15 MB for any province)
    monkeypatch.setattr(xlsx, "_FLUSH_PARTS", 2048)
    monkeypatch.setattr(xlsx, "_CACHE_MAX_ENTRIES", 500)
    n = 4000
    small_peak, _ = _write_traced(tmp_path / "small.xlsx", _members(n))
    peak, writes = _write_traced(tmp_path / "t.xlsx", _members(4 * n))
    size = zipfile.ZipFile(tmp_path / "t.xlsx").getinfo("xl/worksheets/sheet1.xml").file_size
    assert sum(writes) == size and len(writes) > 10
    assert max(writes) < size / 10
    assert peak < small_peak * 1.3, (small_peak, peak)  # four times the rows, same memory
    assert peak < size / 2, (peak, size)
    ws = load_workbook(tmp_path / "t.xlsx", read_only=True)["Đảng viên"]
    assert list(ws.iter_rows(min_row=4 * n + 2, values_only=True)) == [_members(4 * n).rows[-1]]


def test_large_sheet_is_written_as_zip64(monkeypatch):
    monkeypatch.setattr(xlsx, "_MAX_CELL_BYTES", zipfile.ZIP64_LIMIT)  # any sheet is "large"
    data = render_workbook([_cases_table()])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
        small = z.getinfo("xl/styles.xml")
    extra_len = struct.unpack("<H", data[info.header_offset + 28 : info.header_offset + 30])[0]
    assert extra_len == 20  # the ZIP64 extra field of the local header
    assert data[small.header_offset + 28 : small.header_offset + 30] == b"\x00\x00"
    ws = _load(data)["Giá trị biên"]
    assert ws.cell(row=3, column=1).value == CASES[0][2]


def test_nothing_to_write_is_an_error_and_leaves_no_file(tmp_path):
    with pytest.raises(ValueError, match="không có bảng"):
        render_workbook([])
    with pytest.raises(ValueError, match="không có bảng"):
        XlsxDestination(tmp_path / "t.xlsx").write([])
    assert list(tmp_path.iterdir()) == []


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("giá trị hỏng")


def test_failure_while_streaming_keeps_the_old_file_and_no_temp(tmp_path):
    path = tmp_path / "t.xlsx"
    XlsxDestination(path).write([_cases_table()])
    before = path.read_bytes()
    rows = tuple((f"r{i}",) for i in range(50_000)) + ((_Unprintable(),),)
    bad = Table("Hỏng", (Column("A"),), rows, NOW)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="hỏng"):
        XlsxDestination(path)._write_file([_cases_table(), bad])
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx"]


def _office() -> str | None:
    return shutil.which("libreoffice") or shutil.which("soffice")


@pytest.mark.skipif(_office() is None, reason="LibreOffice không có trên máy")
def test_libreoffice_reads_edge_values_and_zip64(tmp_path, monkeypatch):
    cases = _cases_table()
    escape = Table("Mã thoát", (Column("A"),), (("_x0041_ và x_x0042_",),), NOW)
    XlsxDestination(tmp_path / "edge.xlsx").write([cases, escape])
    monkeypatch.setattr(xlsx, "_MAX_CELL_BYTES", zipfile.ZIP64_LIMIT)
    XlsxDestination(tmp_path / "big.xlsx").write([escape])
    office = _office()
    assert office is not None
    # every sheet, values as shown (number formats applied), UTF-8
    csv_filter = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"
    result = subprocess.run(
        [
            office,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            csv_filter,
            "--outdir",
            str(tmp_path / "csv"),
            str(tmp_path / "edge.xlsx"),
            str(tmp_path / "big.xlsx"),
        ],
        capture_output=True,
        timeout=180,
        check=False,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )
    assert result.returncode == 0, result.stderr
    out = tmp_path / "csv"
    edge = (out / "edge-Giá trị biên.csv").read_text(encoding="utf-8").splitlines()
    assert edge[1].split(",")[:3] == ["Cột text", "Cột int", "Cột number"]
    text = "\n".join(edge)
    for shown in (
        "  hai đầu có dấu cách  ",
        "=SUM(A1:A9)",
        "100000000000000000000",
        "999999999999999",
        "12.5%",
        "02/05/2026",
        "01/03/1900",
        "28/02/1900",
        "31/12/1899 23:59",
        "02/01/2026 03:04",
        "01/06/2026 12:00",
        "Không",
    ):
        assert shown in text, shown
    assert "nan" not in text.lower() and "inf" not in text.lower()
    for name in ("edge-Mã thoát.csv", "big-Mã thoát.csv"):
        assert (out / name).read_text(encoding="utf-8").splitlines()[2] == "_x0041_ và x_x0042_"
