"""The year-end report (Biểu mẫu 03) as a Word document: sync.outputs.report_docx."""

from __future__ import annotations

import io
import os
import shutil
import stat
import struct
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph

from sync.model import Figure, Quote, Report, ReportSection, TargetLine
from sync.outputs.report_docx import (
    STAFF_MARKER,
    qr_png,
    render_report_docx,
    write_report_docx,
)
from tests.conftest import TZ

LINK = "https://docs.google.com/forms/d/e/1FAIpQLSfExample/viewform"
HOSTILE = '=IMPORTXML("x") <b>đậm</b> & \x07chuông'


def _sections(link: str) -> tuple[ReportSection, ...]:
    # the appendix as the report's builder makes it: the link as a sentence, or a place
    # for staff when the ward has not configured it
    return (
        ReportSection("I", "Khái quát tình hình", for_staff=True),
        ReportSection("II", "Công tác lãnh đạo, chỉ đạo triển khai thực hiện"),
        ReportSection(
            "II.1",
            "Các văn bản đã ban hành để triển khai thực hiện",
            level=2,
            sentences=("12/15 chi bộ đã ban hành kế hoạch.",),
            figures=(
                Figure("plan_on_time", "Chi bộ ban hành kế hoạch đúng hạn", 12, 15, "chi bộ"),
                Figure("sessions", "Số buổi sinh hoạt chuyên đề", 6, 7, "buổi"),
                Figure("unknown", "Chi bộ được kiểm tra", None, 15, "chi bộ"),
                Figure("plain", "Số đảng viên tham gia", 140),
            ),
        ),
        ReportSection("II.2", "Công tác kiểm tra, giám sát thực hiện", level=2, for_staff=True),
        ReportSection("III", "Kết quả đạt được"),
        ReportSection(
            "III.5",
            "Một số mô hình, cách làm hay, hiệu quả cần nhân rộng",
            level=2,
            quotes=(
                Quote("CB03 - Chi bộ Văn phòng", "Họp chi bộ không giấy trên iPad."),
                Quote("CB07 - Chi bộ Tài chính", HOSTILE),
            ),
        ),
        ReportSection("IV", "Đánh giá chung", for_staff=True),
        ReportSection("VII", "Phụ lục", sentences=(link,) if link else (), for_staff=not link),
    )


def _targets() -> tuple[TargetLine, ...]:
    return (
        TargetLine(1, "Chi bộ tổ chức sinh hoạt chuyên đề", 0.8, 1.0, 12, 15, "Chưa đạt", ""),
        TargetLine(
            4, "Đảng viên chia sẻ thông tin tích cực", 0.85, 0.8, 17, 20, "Đạt", "tiêu chí 9"
        ),
        TargetLine(
            7,
            "Chi bộ thực hiện phần việc chuyển đổi số",
            None,
            1.0,
            0,
            0,
            "Chưa đủ số liệu: chưa có chi bộ nào báo cáo tiến độ",
            "",
        ),
    )


def _report(*, link: str = LINK, scope: str = "ward") -> Report:
    return Report(
        scope=scope,  # type: ignore[arg-type]
        body="Đảng bộ Cơ quan UBND phường Mẫu",
        parent="Đảng bộ phường Mẫu",
        year=2026,
        place="Phường Mẫu",
        as_of=datetime(2026, 11, 18, 8, 30, tzinfo=TZ),
        sections=_sections(link),
        targets=_targets(),
        form_title="Biểu mẫu thống kê kết quả sinh hoạt chuyên đề",
        form_link=link,
    )


def _open(data: bytes) -> DocxDocument:
    return Document(io.BytesIO(data))


def _body_items(doc: DocxDocument) -> list[Paragraph | DocxTable]:
    return list(doc.iter_inner_content())


def _paragraph_texts(doc: DocxDocument) -> list[str]:
    return [p.text for p in doc.paragraphs]


def _rows(table: DocxTable) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def _tables_with_header(doc: DocxDocument, first: str) -> list[DocxTable]:
    return [t for t in doc.tables if t.rows and t.rows[0].cells[0].text == first]


def _all_text(doc: DocxDocument) -> str:
    parts = _paragraph_texts(doc)
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                parts.append(cell.text)
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------


def test_header_and_title() -> None:
    doc = _open(render_report_docx(_report()))
    header = doc.tables[0]
    left, right = header.rows[0].cells
    assert [p.text for p in left.paragraphs] == [
        "ĐẢNG BỘ PHƯỜNG MẪU",
        "ĐẢNG BỘ CƠ QUAN UBND PHƯỜNG MẪU",
        "*",
    ]
    assert left.paragraphs[1].runs[0].bold
    assert not left.paragraphs[0].runs[0].bold
    texts = [p.text for p in right.paragraphs if p.text]
    assert texts == ["ĐẢNG CỘNG SẢN VIỆT NAM", "Phường Mẫu, ngày 18 tháng 11 năm 2026"]
    party = right.paragraphs[0].runs[0]
    assert party.bold and party.underline
    assert right.paragraphs[-1].runs[0].italic
    # a borderless table: no table style with a grid
    assert header.style is None or header.style.name != "Table Grid"

    paragraphs = [t for t in _paragraph_texts(doc) if t]
    assert paragraphs[:3] == [
        "BÁO CÁO",
        "Tổng kết sinh hoạt chuyên đề “Đảng viên tiên phong học tập kỹ năng số” tại "
        "Đảng bộ Cơ quan UBND phường Mẫu năm 2026",
        "-----",
    ]
    title = next(p for p in doc.paragraphs if p.text == "BÁO CÁO")
    assert title.runs[0].bold and title.alignment == WD_ALIGN_PARAGRAPH.CENTER


def test_header_without_parent_and_early_date() -> None:
    report = replace(_report(), parent="", as_of=datetime(2026, 2, 5, 9, 0, tzinfo=TZ))
    left, right = _open(render_report_docx(report)).tables[0].rows[0].cells
    assert [p.text for p in left.paragraphs] == ["ĐẢNG BỘ CƠ QUAN UBND PHƯỜNG MẪU", "*"]
    assert right.paragraphs[-1].text == "Phường Mẫu, ngày 05 tháng 02 năm 2026"


def test_page_and_fonts() -> None:
    doc = _open(render_report_docx(_report()))
    section = doc.sections[0]
    assert round(section.page_width.cm, 1) == 21.0
    assert round(section.page_height.cm, 1) == 29.7
    assert round(section.left_margin.cm, 1) == 3.0
    assert round(section.right_margin.cm, 1) == 2.0
    normal = doc.styles["Normal"]
    assert normal.font.name == "Times New Roman"
    assert normal.font.size.pt == 14
    props = doc.core_properties
    assert props.author == "kynangso-sync"
    assert props.created == datetime(2026, 11, 18, 1, 30, tzinfo=UTC)
    assert props.title.startswith("Tổng kết sinh hoạt chuyên đề")


def test_sections_in_order_with_their_numbers() -> None:
    doc = _open(render_report_docx(_report()))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [
        "I. Khái quát tình hình",
        "II. Công tác lãnh đạo, chỉ đạo triển khai thực hiện",
        "1. Các văn bản đã ban hành để triển khai thực hiện",
        "2. Công tác kiểm tra, giám sát thực hiện",
        "III. Kết quả đạt được",
        "5. Một số mô hình, cách làm hay, hiệu quả cần nhân rộng",
        "6. Kết quả thực hiện các mục tiêu năm 2026",
        "IV. Đánh giá chung",
        "VII. Phụ lục",
    ]
    level_1 = next(p for p in doc.paragraphs if p.text == "I. Khái quát tình hình")
    assert level_1.style.name == "Heading 1"
    assert level_1.style.font.bold
    assert "12/15 chi bộ đã ban hành kế hoạch." in _paragraph_texts(doc)


def test_figures_table() -> None:
    doc = _open(render_report_docx(_report()))
    (table,) = _tables_with_header(doc, "Nội dung")
    assert _rows(table) == [
        ["Nội dung", "Số lượng", "Trên tổng số", "Tỷ lệ"],
        ["Chi bộ ban hành kế hoạch đúng hạn (chi bộ)", "12", "15", "80,0%"],
        ["Số buổi sinh hoạt chuyên đề (buổi)", "6", "7", "85,7%"],
        ["Chi bộ được kiểm tra (chi bộ)", "—", "15", ""],
        ["Số đảng viên tham gia", "140", "", ""],
    ]
    # the table follows the sentence of its own section
    items = _body_items(doc)
    i = next(
        k
        for k, x in enumerate(items)
        if getattr(x, "text", "") == "12/15 chi bộ đã ban hành kế hoạch."
    )
    assert isinstance(items[i + 1], DocxTable)
    assert items[i + 1]._tbl is table._tbl


def test_quotes_keep_their_branch_and_stay_plain_text() -> None:
    doc = _open(render_report_docx(_report()))
    texts = _paragraph_texts(doc)
    assert "- CB03 - Chi bộ Văn phòng: Họp chi bộ không giấy trên iPad." in texts
    # the formula, the markup and the ampersand are literal text; the bell is dropped
    assert '- CB07 - Chi bộ Tài chính: =IMPORTXML("x") <b>đậm</b> & chuông' in texts
    assert not any("\x07" in t for t in texts)
    quote = next(p for p in doc.paragraphs if p.text.startswith("- CB07"))
    assert quote.runs[0].bold and not quote.runs[1].bold  # only the branch is bold


def test_staff_marker_exactly_in_staff_sections() -> None:
    doc = _open(render_report_docx(_report()))
    items = _body_items(doc)
    marked: list[str] = []
    heading = ""
    for item in items:
        if isinstance(item, Paragraph):
            if item.style.name.startswith("Heading"):
                heading = item.text
            elif STAFF_MARKER in item.text:
                marked.append(heading)
                assert item.runs[0].italic
                assert item.text.startswith(f"({STAFF_MARKER}: ")
    assert marked == [
        "I. Khái quát tình hình",
        "2. Công tác kiểm tra, giám sát thực hiện",
        "IV. Đánh giá chung",
    ]
    # dotted lines to write on follow the marker
    texts = _paragraph_texts(doc)
    k = next(i for i, t in enumerate(texts) if STAFF_MARKER in t)
    assert texts[k + 1].startswith("………") and set(texts[k + 1]) == {"…"}


def test_targets_table_before_section_iv() -> None:
    doc = _open(render_report_docx(_report()))
    (table,) = _tables_with_header(doc, "Chỉ tiêu")
    assert _rows(table) == [
        ["Chỉ tiêu", "Kết quả", "Mục tiêu", "Số đạt / Tổng số", "Đánh giá", "Ghi chú"],
        ["1. Chi bộ tổ chức sinh hoạt chuyên đề", "80,0%", "100%", "12/15", "Chưa đạt", ""],
        ["4. Đảng viên chia sẻ thông tin tích cực", "85,0%", "80%", "17/20", "Đạt", "tiêu chí 9"],
        [
            "7. Chi bộ thực hiện phần việc chuyển đổi số",
            "—",
            "100%",
            "—",
            "Chưa đủ số liệu: chưa có chi bộ nào báo cáo tiến độ",
            "",
        ],
    ]
    items = _body_items(doc)
    at_table = next(
        i for i, x in enumerate(items) if isinstance(x, DocxTable) and x._tbl is table._tbl
    )
    at_iv = next(i for i, x in enumerate(items) if getattr(x, "text", "") == "IV. Đánh giá chung")
    at_block = next(
        i
        for i, x in enumerate(items)
        if getattr(x, "text", "") == "6. Kết quả thực hiện các mục tiêu năm 2026"
    )
    assert at_block < at_table < at_iv


def test_targets_without_section_iv_go_before_the_appendix() -> None:
    report = _report()
    sections = tuple(s for s in report.sections if s.number != "IV")
    report = replace(report, sections=sections)
    doc = _open(render_report_docx(report))
    texts = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert texts[-2:] == ["6. Kết quả thực hiện các mục tiêu năm 2026", "VII. Phụ lục"]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_appendix_has_the_qr_code_of_the_link() -> None:
    doc = _open(render_report_docx(_report()))
    (table,) = _tables_with_header(doc, "MÃ QR")
    assert _rows(table)[0] == ["MÃ QR", "ĐƯỜNG DẪN"]
    picture_cell, link_cell = table.rows[1].cells
    assert link_cell.text == LINK
    assert LINK not in _paragraph_texts(doc)  # the section's sentence is not repeated
    assert "Biểu mẫu thống kê kết quả sinh hoạt chuyên đề" in _paragraph_texts(doc)

    (shape,) = doc.inline_shapes
    assert round(shape.width.cm, 2) == 3.5 and shape.width == shape.height
    blips = picture_cell._tc.xpath(".//a:blip/@r:embed")
    assert len(blips) == 1
    image = doc.part.related_parts[blips[0]]
    assert image.content_type == "image/png"
    assert image.blob == qr_png(LINK)
    # a Version-4 code (33 modules) with a 4-module quiet zone: 41 modules, 10 px each,
    # i.e. about 413 px for 3.5 cm at 300 dpi
    assert _png_size(image.blob) == (410, 410)
    assert table.rows[1].cells[1]._tc.xpath(".//w:hyperlink")  # clickable


def test_qr_png_is_deterministic_and_square() -> None:
    first, second = qr_png(LINK), qr_png(LINK)
    assert first == second
    width, height = _png_size(first)
    assert width == height
    assert qr_png("https://example.org/other") != first


def test_appendix_without_link_leaves_the_staff_place() -> None:
    doc = _open(render_report_docx(_report(link="")))
    assert not doc.inline_shapes
    assert not _tables_with_header(doc, "MÃ QR")
    texts = _paragraph_texts(doc)
    k = texts.index("VII. Phụ lục")
    assert texts[k + 1] == (
        f"({STAFF_MARKER}: chưa khai báo đường dẫn biểu mẫu thống kê trong cấu hình)"
    )
    # one note for the appendix, not the section's generic one as well
    assert sum(STAFF_MARKER in t for t in texts[k:]) == 1


def test_a_link_too_long_for_a_qr_code_is_still_printed() -> None:
    link = "https://example.org/" + "a" * 3000  # beyond version 40 at level M
    doc = _open(render_report_docx(_report(link=link)))
    (table,) = _tables_with_header(doc, "MÃ QR")
    picture_cell, link_cell = table.rows[1].cells
    assert not doc.inline_shapes
    assert picture_cell.text == "(Đường dẫn quá dài, không tạo được mã QR)"
    assert link_cell.text == link


def test_signature_block() -> None:
    ward = _open(render_report_docx(_report()))
    left, right = ward.tables[-1].rows[0].cells
    assert [p.text for p in left.paragraphs] == ["Nơi nhận:", "- Như trên,", "- Lưu."]
    assert [p.text for p in right.paragraphs if p.text] == ["T/M ĐẢNG ỦY", "BÍ THƯ"]
    branch = _open(render_report_docx(_report(scope="branch")))
    right = branch.tables[-1].rows[0].cells[1]
    assert [p.text for p in right.paragraphs if p.text] == ["T/M CHI ỦY", "BÍ THƯ"]


def test_control_characters_everywhere_are_dropped() -> None:
    report = replace(
        _report(),
        body="Chi bộ\x00 Mẫu\x1b",
        sections=(ReportSection("I", "Khái\x0b quát", sentences=("Câu\x01 một.",)),),
        targets=(),
    )
    doc = _open(render_report_docx(report))
    text = _all_text(doc)
    assert "CHI BỘ MẪU" in text and "I. Khái quát" in text and "Câu một." in text


def test_two_renders_are_identical() -> None:
    assert render_report_docx(_report()) == render_report_docx(_report())


def test_write_is_private_and_atomic(tmp_path: Path) -> None:
    folder = tmp_path / "bao_cao"
    path = folder / "bao_cao_2026.docx"
    assert write_report_docx(_report(), path) == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _open(path.read_bytes()).paragraphs

    # an existing file (world-readable, other content) is replaced, not appended to
    path.write_bytes(b"old")
    os.chmod(path, 0o644)
    old_inode = path.stat().st_ino
    write_report_docx(_report(link=""), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.stat().st_ino != old_inode  # a rename, not a rewrite in place
    assert not _open(path.read_bytes()).inline_shapes
    assert sorted(p.name for p in folder.iterdir()) == ["bao_cao_2026.docx"]


def test_failed_write_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "r.docx"
    path.write_bytes(b"old")

    def refuse(src: object, dst: object) -> None:
        raise OSError("ổ đĩa đầy")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError):
        write_report_docx(_report(), path)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.docx"]


# ---------------------------------------------------------------------------------------


def _office() -> str | None:
    return shutil.which("libreoffice") or shutil.which("soffice")


@pytest.mark.skipif(_office() is None, reason="LibreOffice không có trên máy")
def test_libreoffice_reads_and_prints_the_report(tmp_path: Path) -> None:
    path = write_report_docx(_report(), tmp_path / "bao_cao.docx")
    # a control document: a LibreOffice without Writer (calc-only servers) opens no .docx
    control = tmp_path / "control.docx"
    blank = Document()
    blank.add_paragraph("xin chào")
    blank.save(str(control))
    office = _office()
    assert office is not None
    out = tmp_path / "out"

    def convert(target: str, *paths: Path) -> None:
        result = subprocess.run(
            [
                office,
                f"-env:UserInstallation=file://{tmp_path / 'profile'}",
                "--headless",
                "--convert-to",
                target,
                "--outdir",
                str(out),
                *map(str, paths),
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr

    convert("txt:Text", control, path)
    if not (out / "control.txt").is_file():
        pytest.skip("LibreOffice trên máy không có Writer (không mở được tệp .docx)")
    text = (out / "bao_cao.txt").read_text(encoding="utf-8-sig", errors="replace")
    for expected in (
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "BÁO CÁO",
        "I. Khái quát tình hình",
        "1. Các văn bản đã ban hành để triển khai thực hiện",
        "6. Kết quả thực hiện các mục tiêu năm 2026",
        "VII. Phụ lục",
        "80,0%",
        "85,7%",
        "Chưa đủ số liệu",
        STAFF_MARKER,
        '=IMPORTXML("x") <b>đậm</b> & chuông',
        "T/M ĐẢNG ỦY",
    ):
        assert expected in text, expected
    convert("pdf", path)
    pdf = out / "bao_cao.pdf"
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF")
    assert pdf.stat().st_size > 10_000  # pages with text and the QR picture, not an empty shell
