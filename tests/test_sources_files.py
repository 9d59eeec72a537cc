import codecs

import pytest
from openpyxl import Workbook

from sync.sources.files import FileSource, SourceError, read_table, unique_headers


def test_csv_with_bom_and_commas_inside_quoted_cells(tmp_path):
    p = tmp_path / "a.csv"
    p.write_bytes(
        codecs.BOM_UTF8
        + 'Dấu thời gian,Nội dung\n22/11/2026 10:15:30,"Sử dụng email, nền tảng số"\n'.encode()
    )
    headers, rows = read_table(p)
    assert headers == ["Dấu thời gian", "Nội dung"]  # no BOM left on the first header
    assert rows == [["22/11/2026 10:15:30", "Sử dụng email, nền tảng số"]]


def test_blank_rows_are_skipped_but_keep_row_numbers(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("Timestamp,X\n1,a\n,\n3,c\n", encoding="utf-8")
    res = FileSource("s", p).fetch()
    assert res.complete
    assert [(r.response_id, r.row_label) for r in res.responses] == [
        ("row:2", "Dòng 2"),
        ("row:4", "Dòng 4"),
    ]


def test_short_rows_are_padded_for_columns_added_later(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("Timestamp,Old,New\n1,a\n", encoding="utf-8")
    (r,) = FileSource("s", p).fetch().responses
    assert dict(r.answers) == {"Timestamp": "1", "Old": "a", "New": ""}


def test_xlsx_dates_and_numbers_become_text(tmp_path):
    from datetime import date, datetime

    wb = Workbook()
    ws = wb.active
    ws.append(["Họ và tên", "Ngày sinh", "Số bài", "Lúc"])
    ws.append(["A", date(1980, 5, 6), 12.0, datetime(2026, 11, 2, 9, 30)])
    p = tmp_path / "d.xlsx"
    wb.save(p)
    headers, rows = read_table(p)
    assert headers == ["Họ và tên", "Ngày sinh", "Số bài", "Lúc"]
    assert rows == [["A", "1980-05-06", "12", "2026-11-02 09:30:00"]]


def test_missing_and_undecodable_files_are_source_errors(tmp_path):
    with pytest.raises(SourceError, match="Không tìm thấy"):
        read_table(tmp_path / "x.csv")
    p = tmp_path / "latin.csv"
    p.write_bytes("Tên\nNguy\xe1n\n".encode("latin-1"))
    with pytest.raises(SourceError, match="UTF-8"):
        read_table(p)


def test_duplicate_headers_are_kept_apart():
    assert unique_headers(["A", "B", "A"]) == ["A", "B", "A (2)"]
