"""Print setup and charts of the summary tabs: the XLSX workbook (read back from its parts,
with openpyxl, and printed to PDF by LibreOffice when installed) and the Google Sheets
destination (through the fake Workspace and the real client)."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook

from sync.google.apis import GoogleApis
from sync.google.sheets_destination import SheetsDestination
from sync.layout import HEADER_ROWS
from sync.model import Cell, Chart, Column, Table
from sync.outputs.xlsx import FIRST_DATA_ROW, XlsxDestination, render_workbook
from tests.conftest import TZ
from tests.conftest import TZ as VN
from tests.fake_google import FakeWorkspace
from tests.fake_google.clients import fake_apis

NOW = datetime(2026, 11, 23, 8, 5, tzinfo=VN)
WIDE = "Tổng hợp chi bộ"
NOTES = "Kế hoạch & tiến độ"  # an "&" to escape in the printed header
LONG = "Đảng viên"
BAR_TITLE = "Tỷ lệ tham gia sinh hoạt theo chi bộ"
STACK_TITLE = "Đảng viên đăng ký và hoàn thành"

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "pr": "http://schemas.openxmlformats.org/package/2006/relationships",
    "ct": "http://schemas.openxmlformats.org/package/2006/content-types",
    "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
}
R_ID = f"{{{NS['r']}}}id"


def wide_table(*, updated_at: datetime = NOW) -> Table:
    """28 columns like the branch tab, 40 rows, a bar chart over rows 0-9 (shares), a
    stacked column chart over rows 10-19, two heading rows."""
    columns = [Column("Mã chi bộ", "text", 10), Column("Tên chi bộ", "text", 30)]
    columns.append(Column("Tỷ lệ tham gia", "percent", 11))
    columns += [Column("Đăng ký", "int", 10), Column("Hoàn thành", "int", 10)]
    columns += [Column(f"Chỉ tiêu số {j}", "number", 12) for j in range(6, 28)]
    columns.append(Column("Ghi chú cuối", "text", 24))
    rows: list[tuple[Cell, ...]] = []
    for i in range(40):
        figures = tuple(float(i + j) for j in range(6, 28))
        rows.append(
            (f"CB{i + 1:02d}", f"Chi bộ Khu phố {i + 1}", (i % 10) / 10, 20 + i, 10 + i)
            + figures
            + (f"Ghi chú {i + 1}",)
        )
    return Table(
        WIDE,
        tuple(columns),
        tuple(rows),
        updated_at,
        highlight_rows=frozenset({3}),
        charts=(
            Chart(BAR_TITLE, "bar", 1, (2,), 0, 9, percent=True),
            Chart(STACK_TITLE, "column", 0, (3, 4), 10, 19, stacked=True),
        ),
        heading_rows=frozenset({0, 20}),
    )


def notes_table() -> Table:
    columns = (Column("Việc", "text", 30), Column("Hạn", "text", 12))
    return Table(NOTES, columns, (("Sinh hoạt chuyên đề", "30/11/2026"),), NOW)


def long_table(n: int = 110) -> Table:
    """Many rows, three columns: several pages down, each must repeat the header."""
    columns = (Column("Mã đảng viên", "text", 14), Column("Họ và tên", "text", 30))
    columns += (Column("Điểm", "number", 8),)
    rows = tuple((f"DV{i:04d}", f"Đảng viên số {i}", 80 + i % 20) for i in range(n))
    return Table(LONG, columns, rows, NOW)


def parts(data: bytes) -> dict[str, ElementTree.Element]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: ElementTree.fromstring(z.read(name)) for name in z.namelist()}


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# -- XLSX: print setup ---------------------------------------------------------------------


def test_every_sheet_prints_a4_landscape_one_page_wide() -> None:
    p = parts(render_workbook([wide_table(), notes_table()]))

    for n in (1, 2):
        sheet = p[f"xl/worksheets/sheet{n}.xml"]
        children = [local(child.tag) for child in sheet]
        assert children[0] == "sheetPr"
        fit = sheet.find("m:sheetPr/m:pageSetUpPr", NS)
        assert fit is not None and fit.get("fitToPage") == "1"
        setup = sheet.find("m:pageSetup", NS)
        assert setup is not None
        assert setup.get("paperSize") == "9"  # A4
        assert setup.get("orientation") == "landscape"
        assert setup.get("fitToWidth") == "1" and setup.get("fitToHeight") == "0"
        margins = sheet.find("m:pageMargins", NS)
        assert margins is not None and float(margins.get("left", "9")) <= 0.5
        # CT_Worksheet's order: autoFilter, printOptions, pageMargins, pageSetup,
        # headerFooter, drawing
        tail = [c for c in children if c in ("autoFilter", "pageMargins", "pageSetup")]
        tail += [c for c in children if c in ("headerFooter", "drawing")]
        assert [children.index(c) for c in tail] == sorted(children.index(c) for c in tail)
        assert children.index("sheetData") < children.index("autoFilter")


def test_header_and_footer_name_the_tab_and_the_time() -> None:
    p = parts(render_workbook([wide_table(), notes_table()]))

    header = p["xl/worksheets/sheet1.xml"].find("m:headerFooter/m:oddHeader", NS)
    footer = p["xl/worksheets/sheet1.xml"].find("m:headerFooter/m:oddFooter", NS)
    assert header is not None and footer is not None
    assert header.text is not None and footer.text is not None
    left, right = header.text.split("&R")
    assert left.startswith("&L") and left.endswith(WIDE)
    assert right == "Cập nhật lúc 23/11/2026 08:05 (giờ Việt Nam)"
    assert footer.text == "&CTrang &P / &N"
    notes = p["xl/worksheets/sheet2.xml"].find("m:headerFooter/m:oddHeader", NS)
    assert notes is not None and notes.text is not None
    assert "Kế hoạch && tiến độ&R" in notes.text  # "&" alone would start a code


def test_print_titles_repeat_the_stamp_and_header_rows() -> None:
    data = render_workbook([wide_table(), notes_table()])
    workbook = parts(data)["xl/workbook.xml"]

    titles = {
        name.get("localSheetId"): name.text
        for name in workbook.iterfind("m:definedNames/m:definedName", NS)
        if name.get("name") == "_xlnm.Print_Titles"
    }
    assert titles == {"0": f"'{WIDE}'!$1:$2", "1": f"'{NOTES}'!$1:$2"}
    wb = load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        assert ws.print_title_rows == "$1:$2"
        assert ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert wb[NOTES].oddHeader.left.text == "Kế hoạch && tiến độ"  # as stored


# -- XLSX: charts --------------------------------------------------------------------------


def _chart_parts(data: bytes) -> list[ElementTree.Element]:
    """The charts of sheet 1, in drawing order, reached through the relationships."""
    p = parts(data)
    sheet = p["xl/worksheets/sheet1.xml"]
    drawing_ref = sheet.find("m:drawing", NS)
    assert drawing_ref is not None
    sheet_rels = {
        r.get("Id"): r for r in p["xl/worksheets/_rels/sheet1.xml.rels"].iterfind("pr:*", NS)
    }
    rel = sheet_rels[drawing_ref.get(R_ID)]
    assert rel.get("Type", "").endswith("/drawing")
    drawing_name = "xl/" + rel.get("Target", "").removeprefix("../")
    drawing = p[drawing_name]
    folder, _, base = drawing_name.rpartition("/")
    rels = p[f"{folder}/_rels/{base}.rels"].iterfind("pr:*", NS)
    drawing_rels = {r.get("Id"): r.get("Target", "") for r in rels}
    charts = []
    for frame in drawing.iterfind(".//c:chart", NS):
        charts.append(p["xl/" + drawing_rels[frame.get(R_ID, "")].removeprefix("../")])
    return charts


def _refs(chart: ElementTree.Element, path: str) -> list[str]:
    return [f.text or "" for f in chart.iterfind(f".//c:ser/{path}//c:f", NS)]


def test_charts_reference_the_sheets_own_cells() -> None:
    data = render_workbook([wide_table(), notes_table()])

    bar, stack = _chart_parts(data)
    sheet = f"'{WIDE}'"
    # row i of Table.rows is sheet row 3 + i; the series' names are the header cells
    assert _refs(bar, "c:cat") == [f"{sheet}!$B$3:$B$12"]
    assert _refs(bar, "c:val") == [f"{sheet}!$C$3:$C$12"]
    assert _refs(bar, "c:tx") == [f"{sheet}!$C$2"]
    assert _refs(stack, "c:cat") == [f"{sheet}!$A$13:$A$22"] * 2
    assert _refs(stack, "c:val") == [f"{sheet}!$D$13:$D$22", f"{sheet}!$E$13:$E$22"]
    assert _refs(stack, "c:tx") == [f"{sheet}!$D$2", f"{sheet}!$E$2"]

    def val(chart: ElementTree.Element, path: str) -> str | None:
        found = chart.find(path, NS)
        return None if found is None else found.get("val")

    assert val(bar, ".//c:barDir") == "bar" and val(bar, ".//c:grouping") == "clustered"
    assert bar.find(".//c:overlap", NS) is None
    assert val(stack, ".//c:barDir") == "col" and val(stack, ".//c:grouping") == "stacked"
    assert val(stack, ".//c:overlap") == "100"
    bar_axis = bar.find(".//c:valAx/c:numFmt", NS)
    stack_axis = stack.find(".//c:valAx/c:numFmt", NS)
    assert bar_axis is not None and bar_axis.get("formatCode") == "0%"  # shares in %
    assert stack_axis is not None and stack_axis.get("formatCode") == "General"
    assert "".join(t.text or "" for t in bar.iterfind(".//c:title//a:t", NS)) == BAR_TITLE
    assert "".join(t.text or "" for t in stack.iterfind(".//c:title//a:t", NS)) == STACK_TITLE
    # cached values for readers that do not compute: the first bar is row 0's share
    first = bar.find(".//c:val//c:pt[@idx='0']/c:v", NS)
    assert first is not None and float(first.text or "x") == 0.0
    label = bar.find(".//c:cat//c:pt[@idx='0']/c:v", NS)
    assert label is not None and label.text == "Chi bộ Khu phố 1"
    # an opaque chart area: the printed grid lines do not show through
    fill = bar.find("c:spPr/a:solidFill/a:srgbClr", NS)
    assert fill is not None and fill.get("val") == "FFFFFF"


def test_charts_sit_right_of_the_table_one_under_the_other() -> None:
    p = parts(render_workbook([wide_table(), notes_table()]))

    anchors = p["xl/drawings/drawing1.xml"].findall("xdr:twoCellAnchor", NS)
    boxes = []
    for anchor in anchors:
        cells = []
        for end in ("xdr:from", "xdr:to"):
            col, row = anchor.find(f"{end}/xdr:col", NS), anchor.find(f"{end}/xdr:row", NS)
            assert col is not None and row is not None
            cells.append((int(col.text or "-1"), int(row.text or "-1")))
        boxes.append(cells)
    assert len(boxes) == 2
    for (c0, r0), (c1, r1) in boxes:
        assert c0 > 27  # right of column AB, the table's 28th
        assert 7 <= c1 - c0 <= 9 and 16 <= r1 - r0 <= 20
        assert r0 >= FIRST_DATA_ROW - 1
    assert boxes[0][0][0] == boxes[1][0][0]  # same column,
    assert boxes[1][0][1] >= boxes[0][1][1]  # the second below the first


def test_chart_parts_are_declared_and_only_where_charts_are() -> None:
    data = render_workbook([wide_table(), notes_table()])
    p = parts(data)

    overrides = {
        o.get("PartName"): o.get("ContentType", "")
        for o in p["[Content_Types].xml"].iterfind("ct:Override", NS)
    }
    assert overrides["/xl/drawings/drawing1.xml"].endswith(".drawing+xml")
    for n in (1, 2):
        assert overrides[f"/xl/charts/chart{n}.xml"].endswith(".drawingml.chart+xml")
    assert {n for n in p if n.startswith(("xl/charts/", "xl/drawings/"))} == {
        "xl/charts/chart1.xml",
        "xl/charts/chart2.xml",
        "xl/drawings/drawing1.xml",
        "xl/drawings/_rels/drawing1.xml.rels",
    }
    assert p["xl/worksheets/sheet2.xml"].find("m:drawing", NS) is None
    assert "xl/worksheets/_rels/sheet2.xml.rels" not in p
    # openpyxl still opens the workbook (and, in this version, finds both charts)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == [WIDE, NOTES]
    assert wb[WIDE]["AC42"].value is None  # charts are not cells
    # the same tables give the same bytes
    assert render_workbook([wide_table(), notes_table()]) == data


def test_a_chart_outside_its_table_is_left_out() -> None:
    table = wide_table()
    broken = dataclasses.replace(
        table,
        charts=(
            Chart("Quá số dòng", "bar", 1, (2,), 30, 45),
            Chart("Cột không có", "bar", 1, (28,), 0, 3),
            Chart("Không có chuỗi", "bar", 1, (), 0, 3),
        ),
    )

    p = parts(render_workbook([broken]))

    assert not any(n.startswith(("xl/charts/", "xl/drawings/")) for n in p)
    assert p["xl/worksheets/sheet1.xml"].find("m:drawing", NS) is None


def test_heading_rows_are_bold_and_keep_their_fill() -> None:
    table = dataclasses.replace(wide_table(), heading_rows=frozenset({0, 3, 20}))
    ws = load_workbook(io.BytesIO(render_workbook([table])))[WIDE]

    for row in (3, 6, 23):  # table rows 0, 3 and 20
        assert ws.cell(row, 1).font.b and ws.cell(row, 2).font.b
        assert ws.cell(row, 3).font.b and ws.cell(row, 3).number_format == "0.0%"
    assert not ws.cell(4, 1).font.b and not ws.cell(4, 4).font.b
    assert ws.cell(6, 1).fill.fgColor.rgb == "FFFFC7CE"  # row 3 is also overdue
    assert ws.cell(3, 1).fill.fill_type is None


def test_destination_writes_the_charts(tmp_path: Path) -> None:
    path = tmp_path / "tong-hop.xlsx"
    XlsxDestination(path).write([wide_table(), notes_table()])
    with zipfile.ZipFile(path) as z:
        assert {"xl/charts/chart1.xml", "xl/charts/chart2.xml"} <= set(z.namelist())


# -- XLSX printed by LibreOffice -------------------------------------------------------------


def _office() -> str | None:
    return shutil.which("libreoffice") or shutil.which("soffice")


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two workbooks printed to PDF in one LibreOffice run: the wide tab with the notes,
    and the long tab alone."""
    office = _office()
    if office is None:
        pytest.skip("LibreOffice không có trên máy")
    tmp = tmp_path_factory.mktemp("print")
    books = {"wide": [wide_table(), notes_table()], "long": [long_table()]}
    for name, tables in books.items():
        (tmp / f"{name}.xlsx").write_bytes(render_workbook(tables))
    result = subprocess.run(
        [
            office,
            f"-env:UserInstallation=file://{tmp / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp / "pdf"),
            *(str(tmp / f"{name}.xlsx") for name in books),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return {name: tmp / "pdf" / f"{name}.pdf" for name in books}


def _page_count(pdf: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", pdf.read_bytes()))


def _page_texts(pdf: Path) -> list[str]:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext (poppler-utils) không có trên máy")
    out = subprocess.run(
        [tool, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True, timeout=60
    )
    pages = out.stdout.decode("utf-8").split("\f")
    return [p for p in pages if p.strip()]


def test_libreoffice_prints_each_tab_one_page_wide(printed: dict[str, Path]) -> None:
    # 28 columns x 40 rows: one page (two at most) instead of fragments; the notes tab one
    assert 2 <= _page_count(printed["wide"]) <= 3
    assert _page_count(printed["long"]) >= 2  # the long tab needs pages down


def test_libreoffice_pages_carry_headers_titles_and_charts(printed: dict[str, Path]) -> None:
    wide_pages = [t for t in _page_texts(printed["wide"]) if WIDE in t]
    assert 1 <= len(wide_pages) <= 2
    for text in wide_pages:
        # the first and the last column on every page: nothing cut off to the right
        assert "Mã chi bộ" in text and "Ghi chú cuối" in text
        assert "Cập nhật lúc 23/11/2026 08:05" in text  # the page header
        assert re.search(r"Trang \d+ / \d+", text)  # the footer
    together = "\n".join(wide_pages)
    assert BAR_TITLE in together and STACK_TITLE in together  # the charts were drawn
    (notes,) = [t for t in _page_texts(printed["wide"]) if NOTES in t]
    assert "&&" not in notes  # the header's "&&" prints one "&"

    long_pages = _page_texts(printed["long"])
    assert len(long_pages) >= 2
    for text in long_pages:  # rows 1-2 repeated on every page
        assert "Mã đảng viên" in text and "Họ và tên" in text
        assert f"{LONG} — cập nhật lúc" in text
    assert "DV0109" in long_pages[-1] and "DV0109" not in long_pages[0]


# -- Google Sheets ---------------------------------------------------------------------------

SID = "PRINT_SHEET"
BATCH_UPDATE = "sheets.spreadsheets.batchUpdate"


@pytest.fixture
def fake() -> Iterator[FakeWorkspace]:
    with FakeWorkspace() as f:
        f.add_spreadsheet(SID, {"Trang tính1": []})
        yield f


@pytest.fixture
def dest(fake: FakeWorkspace) -> SheetsDestination:
    apis: GoogleApis = fake_apis(fake, max_attempts=2)
    return SheetsDestination(apis, SID, TZ)


def chart_table(*, updated_at: datetime = NOW) -> Table:
    """A 5-column tab: a bar chart of shares over rows 2-6, the first row a heading."""
    columns = (
        Column("Mã chi bộ", "text", 10),
        Column("Tên chi bộ", "text", 30),
        Column("Tỷ lệ tham gia", "percent", 11),
        Column("Đăng ký", "int", 10),
        Column("Hoàn thành", "int", 10),
    )
    rows: list[tuple[Cell, ...]] = [("I", "Khối phường", None, None, None)]
    rows += [(f"CB{i:02d}", f"Chi bộ Khu phố {i}", i / 10, 20 + i, 10 + i) for i in range(1, 9)]
    return Table(
        WIDE,
        columns,
        tuple(rows),
        updated_at,
        charts=(Chart(BAR_TITLE, "bar", 1, (2,), 1, 5, percent=True),),
        heading_rows=frozenset({0}),
    )


def chart_requests(fake: FakeWorkspace) -> list[dict[str, Any]]:
    return [
        r
        for call in fake.calls(method_id=BATCH_UPDATE)
        for r in call.body["requests"]
        if "addChart" in r or "deleteEmbeddedObject" in r
    ]


def _grid(sheet_id: int, col: int, r0: int, r1: int) -> dict[str, int]:
    return {
        "sheetId": sheet_id,
        "startRowIndex": r0,
        "endRowIndex": r1,
        "startColumnIndex": col,
        "endColumnIndex": col + 1,
    }


def test_sheets_a_chart_is_one_add_chart_over_the_right_ranges(
    fake: FakeWorkspace, dest: SheetsDestination
) -> None:
    dest.write([chart_table()], {})

    (request,) = chart_requests(fake)
    sheet_id = fake.sheet(SID, WIDE)["sheetId"]
    chart = request["addChart"]["chart"]
    basic = chart["spec"]["basicChart"]
    assert chart["spec"]["title"] == BAR_TITLE
    assert basic["chartType"] == "BAR" and "stackedType" not in basic
    assert basic["headerCount"] == 1
    # the header cell (the series' name) then table rows 1-5, i.e. grid rows 3..7 (0-based)
    first, last = HEADER_ROWS + 1, HEADER_ROWS + 6

    def sources(col: int) -> dict[str, Any]:
        ranges = [_grid(sheet_id, col, 1, 2), _grid(sheet_id, col, first, last)]
        return {"sourceRange": {"sources": ranges}}

    assert basic["domains"] == [{"domain": sources(1)}]
    assert basic["series"] == [{"series": sources(2)}]
    anchor = chart["position"]["overlayPosition"]["anchorCell"]
    assert anchor["sheetId"] == sheet_id
    assert anchor["columnIndex"] > 4  # right of the table's 5 columns
    assert anchor["rowIndex"] == HEADER_ROWS  # the first data row: not in the frozen rows
    (stored,) = fake.charts(SID, WIDE)
    assert stored["spec"] == chart["spec"]
    props = fake.sheet(SID, WIDE)
    assert props["gridProperties"]["frozenRowCount"] == HEADER_ROWS
    assert props["gridProperties"]["columnCount"] > anchor["columnIndex"]


def test_sheets_heading_rows_are_bold(fake: FakeWorkspace, dest: SheetsDestination) -> None:
    dest.write([chart_table()], {})

    bold = [
        r["repeatCell"]
        for call in fake.calls(method_id=BATCH_UPDATE)
        for r in call.body["requests"]
        if "repeatCell" in r and r["repeatCell"]["fields"] == "userEnteredFormat.textFormat.bold"
    ]
    assert [(b["range"]["startRowIndex"], b["range"]["endRowIndex"]) for b in bold] == [(2, 3)]
    assert fake.cell(SID, WIDE, "A3").format["textFormat"]["bold"] is True
    assert fake.cell(SID, WIDE, "E3").format["textFormat"]["bold"] is True
    assert "textFormat" not in fake.cell(SID, WIDE, "A4").format


def test_sheets_same_tables_send_no_chart_request(
    fake: FakeWorkspace, dest: SheetsDestination
) -> None:
    remembered = dest.write([chart_table()], {})
    assert remembered is not None
    fake.reset_requests()

    assert dest.write([chart_table(updated_at=NOW + timedelta(hours=1))], remembered) is None
    assert fake.write_calls() == []

    # new values in the same layout: the values only, the chart follows its cells
    table = chart_table()
    changed = dataclasses.replace(table, rows=(*table.rows[:-1], ("CB08", "Mới", 0.9, 1, 1)))
    assert dest.write([changed], remembered) is not None
    assert chart_requests(fake) == []
    assert BATCH_UPDATE not in [c.method_id for c in fake.calls(api="sheets")]
    assert len(fake.charts(SID, WIDE)) == 1


def test_sheets_a_layout_change_replaces_the_chart(
    fake: FakeWorkspace, dest: SheetsDestination
) -> None:
    remembered = dest.write([chart_table()], {})
    (old,) = fake.charts(SID, WIDE)
    fake.reset_requests()
    table = chart_table()
    stacked = Chart("Đăng ký và hoàn thành", "column", 0, (3, 4), 0, 8, stacked=True)
    table = dataclasses.replace(table, charts=(stacked,))

    dest.write([table], remembered or {})

    requests = chart_requests(fake)
    assert [next(iter(r)) for r in requests] == ["deleteEmbeddedObject", "addChart"]
    assert requests[0]["deleteEmbeddedObject"]["objectId"] == old["chartId"]
    (new,) = fake.charts(SID, WIDE)
    basic = new["spec"]["basicChart"]
    assert basic["chartType"] == "COLUMN" and basic["stackedType"] == "STACKED"
    assert basic["legendPosition"] == "BOTTOM_LEGEND"  # two series: their names shown
    sheet_id = fake.sheet(SID, WIDE)["sheetId"]
    # a block from the first data row touches the header: one source
    assert basic["series"][1]["series"]["sourceRange"]["sources"] == [_grid(sheet_id, 4, 1, 11)]


def test_sheets_charts_are_not_duplicated_when_the_state_is_lost(
    fake: FakeWorkspace, dest: SheetsDestination
) -> None:
    dest.write([chart_table()], {})
    dest.write([chart_table()], {})  # state.sqlite deleted: everything written again
    assert len(fake.charts(SID, WIDE)) == 1


def test_sheets_two_charts_stack_and_fit_the_grid(
    fake: FakeWorkspace, dest: SheetsDestination
) -> None:
    table = chart_table()
    extra = Chart("Hoàn thành", "column", 0, (4,), 1, 8)
    table = dataclasses.replace(table, charts=(*table.charts, extra))

    dest.write([table], {})

    first, second = (c["position"]["overlayPosition"] for c in fake.charts(SID, WIDE))
    assert first["anchorCell"]["columnIndex"] == second["anchorCell"]["columnIndex"]
    rows_apart = second["anchorCell"]["rowIndex"] - first["anchorCell"]["rowIndex"]
    assert rows_apart * 21 >= first["heightPixels"]  # one under the other, no overlap
    # the grid has rows for both (the tab itself has 11): the fake checks anchors too
    assert fake.sheet(SID, WIDE)["gridProperties"]["rowCount"] > second["anchorCell"]["rowIndex"]
