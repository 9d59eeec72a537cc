import codecs
import csv
import errno
import io
import os
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import pytest
from openpyxl import Workbook

from sync.errors import ConfigError
from sync.roster import load_roster
from sync.rows import unique_headers
from sync.sources.files import (
    FileSource,
    SourceError,
    file_fingerprint,
    read_table,
)


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


def test_undecodable_files_are_source_errors(tmp_path):
    # a missing file: tests/test_contract_source.py
    p = tmp_path / "latin.csv"
    p.write_bytes("Tên\nNguy\xe1n\n".encode("latin-1"))
    with pytest.raises(SourceError, match="UTF-8"):
        read_table(p)


def test_duplicate_headers_are_kept_apart():
    assert unique_headers(["A", "B", "A"]) == ["A", "B", "A (2)"]


# ---------------------------------------------------------------------------------------
# Every way an export can be unreadable is a SourceError: one Vietnamese line naming the
# file and what to do
# ---------------------------------------------------------------------------------------


def _xlsx_bytes(tmp_path: Path, sheets: Sequence[str] = ("Câu trả lời 1",)) -> bytes:
    wb = Workbook()
    wb.active.title = sheets[0]
    wb.active.append(["Dấu thời gian", "Họ và tên"])
    wb.active.append(["22/11/2026 10:15:30", "Nguyễn Văn An"])
    for title in sheets[1:]:
        wb.create_sheet(title)
    p = tmp_path / "_good.xlsx"
    wb.save(p)
    data = p.read_bytes()
    p.unlink()
    return data


def _zip_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def _replace_in_zip(data: bytes, name: str, content: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        files = {n: z.read(n) for n in z.namelist()}
    files[name] = content
    return _zip_bytes(files)


def _unreadable(path: Path, words: str, sheet: str | None = None) -> str:
    """Both read_table and FileSource.fetch fail with the same one-line message."""
    with pytest.raises(SourceError) as caught:
        read_table(path, sheet)
    message = str(caught.value)
    assert words in message
    assert path.name in message and "\n" not in message
    with pytest.raises(SourceError) as again:
        FileSource("s", path, sheet).fetch()
    assert str(again.value) == message
    return message


HTML = b"<!DOCTYPE html>\n<html><head><title>Google Forms - \xc4\x90\xc4\x83ng nh\xe1\xba\xadp"


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("a.csv", b"", "trống (0 byte)"),
        ("a.xlsx", b"", "trống (0 byte)"),
        ("a.csv", "Tên\tTuổi\nAn\t30\n".encode("utf-16"), "UTF-16"),  # Excel "Unicode Text"
        ("a.csv", "Tên,Tuổi\nAn,30\n".encode("utf-16-le"), "UTF-16"),  # the same, no BOM
        ("a.csv", "Tên\nNguy\x00ễn\n".encode(), "ký tự NUL (byte 0) ở dòng 2"),
        ("a.csv", HTML, "trang web (HTML)"),
        ("a.xlsx", HTML, "trang web (HTML)"),
        ("a.xlsx", "Tên,Tuổi\nAn,30\n".encode(), "tệp văn bản (có lẽ CSV)"),
        ("a.xlsx", b"\x00\x01\x02garbage\xff" * 10, "không phải tệp Excel .xlsx"),
        ("a.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "Excel đời cũ (.xls)"),
        ("a.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "Excel đời cũ (.xls)"),
        ("a.xlsx", _zip_bytes({"a.txt": b"x"}), "tệp nén (zip) nhưng không phải sổ tính"),
        ("a.xlsx", _zip_bytes({"word/document.xml": b"<w/>"}), "có vẻ là tệp Word"),
        ("a.pdf", b"%PDF-1.4", "chỉ đọc được .csv hoặc .xlsx"),
    ],
)
def test_bad_files_are_source_errors(tmp_path: Path, name: str, data: bytes, words: str):
    p = tmp_path / name
    p.write_bytes(data)
    _unreadable(p, words)


def test_a_cell_over_the_csv_field_limit_names_the_row(tmp_path: Path):
    limit = csv.field_size_limit()
    p = tmp_path / "tra-loi.csv"
    # an unbalanced quote swallows the rest of the file into one cell
    p.write_text('Tên,Ghi chú\nAn,ok\nBình,"' + "x" * 140_000 + "\n", encoding="utf-8")
    message = _unreadable(p, "một ô ở dòng 3 dài hơn 131.072 ký tự")
    assert "tải lại" in message
    assert csv.field_size_limit() == limit  # the limit stays: such a file is wrong


def test_an_xlsx_saved_with_a_csv_name(tmp_path: Path):
    p = tmp_path / "tra-loi.csv"
    p.write_bytes(_xlsx_bytes(tmp_path))
    _unreadable(p, "thực ra là tệp Excel (.xlsx)")


def test_a_half_saved_xlsx(tmp_path: Path):
    data = _xlsx_bytes(tmp_path)
    p = tmp_path / "tra-loi.xlsx"
    p.write_bytes(data[: len(data) // 2])
    _unreadable(p, "bị hỏng hoặc chưa lưu xong")


def test_an_xlsx_openpyxl_cannot_load(tmp_path: Path):
    p = tmp_path / "tra-loi.xlsx"
    p.write_bytes(_replace_in_zip(_xlsx_bytes(tmp_path), "xl/workbook.xml", b"<not xml"))
    _unreadable(p, "Tệp Excel tra-loi.xlsx bị hỏng")


def test_an_xlsx_whose_sheet_breaks_while_it_is_read(tmp_path: Path):
    """Read-only openpyxl parses a sheet while iterating: a cut sheet fails there."""
    data = _xlsx_bytes(tmp_path)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    p = tmp_path / "tra-loi.xlsx"
    p.write_bytes(_replace_in_zip(data, "xl/worksheets/sheet1.xml", sheet[: len(sheet) * 2 // 3]))
    _unreadable(p, "bị hỏng, không đọc được trang tính 'Câu trả lời 1'")


def test_a_missing_sheet_lists_the_sheets(tmp_path: Path):
    p = tmp_path / "tra-loi.xlsx"
    p.write_bytes(_xlsx_bytes(tmp_path, ("Câu trả lời 1", "Tổng hợp")))
    message = _unreadable(p, "không có trang tính 'Câu trả lời'", sheet="Câu trả lời")
    assert "'Câu trả lời 1', 'Tổng hợp'" in message
    assert read_table(p, "Tổng hợp") == ([], [])
    assert read_table(p, "Câu trả lời 1")[0] == ["Dấu thời gian", "Họ và tên"]


@pytest.mark.parametrize("name", ["tra-loi.csv", "tra-loi.xlsx"])
def test_a_folder_is_not_a_file(tmp_path: Path, name: str):
    (tmp_path / name).mkdir()
    _unreadable(tmp_path / name, "là một thư mục, không phải tệp")


@pytest.mark.parametrize("name", ["tra-loi.csv", "tra-loi.xlsx"])
def test_a_file_without_read_permission(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str):
    p = tmp_path / name
    p.write_bytes(b"Ten\nAn\n" if name.endswith(".csv") else _xlsx_bytes(tmp_path))
    p.chmod(0)
    if os.access(p, os.R_OK):  # root reads anything: refuse the way the OS does for others

        def refuse(self: Path, *args: object, **kwargs: object) -> NoReturn:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))

        monkeypatch.setattr(Path, "open", refuse)
    try:
        _unreadable(p, "Không có quyền đọc tệp")
    finally:
        p.chmod(0o600)


def test_a_folder_that_cannot_be_entered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    p = tmp_path / "tra-loi.csv"
    p.write_bytes(b"Ten\nAn\n")
    real_stat = Path.stat

    def refuse(self: Path, *args: object, **kwargs: object) -> os.stat_result:
        if self == p:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_stat(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "stat", refuse)
    _unreadable(p, "Không có quyền đọc tệp")


@pytest.mark.parametrize("name", ["tra-loi.csv", "tra-loi.xlsx"])
def test_a_file_vanishing_while_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
):
    real_open = Path.open

    def vanish(self: Path, *args: object, **kwargs: object) -> object:
        self.unlink(missing_ok=True)  # a download tool replacing it right now
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    for method in (read_table, lambda p: FileSource("s", p).fetch()):
        p = tmp_path / name
        p.write_bytes(b"Ten\nAn\n" if name.endswith(".csv") else _xlsx_bytes(tmp_path))
        with monkeypatch.context() as m:
            m.setattr(Path, "open", vanish)
            with pytest.raises(SourceError, match="vừa bị xóa hoặc đổi tên trong lúc đọc"):
                method(p)


def test_a_header_only_csv_and_a_bom_only_csv(tmp_path: Path):
    p = tmp_path / "tra-loi.csv"
    p.write_bytes(codecs.BOM_UTF8)
    assert read_table(p) == ([], [])
    with pytest.raises(SourceError, match="tra-loi.csv trống"):
        FileSource("s", p).fetch()


def test_a_bad_roster_file_is_a_config_problem(tmp_path: Path):
    """The roster reads its files with read_table: the same words reach kns check."""
    branches = tmp_path / "chi-bo.csv"
    branches.write_bytes("Mã chi bộ,Tên chi bộ\nCB01,Văn phòng\n".encode("utf-16"))
    members = tmp_path / "dang-vien.xlsx"
    members.write_bytes(HTML)
    with pytest.raises(ConfigError) as caught:
        load_roster(branches, members)
    text = str(caught.value)
    assert "chi-bo.csv được lưu dạng UTF-16" in text
    assert "dang-vien.xlsx là một trang web (HTML)" in text


# ---------------------------------------------------------------------------------------
# file_fingerprint
# ---------------------------------------------------------------------------------------


def test_fingerprint_of_missing_files_and_folders_is_none(tmp_path: Path):
    assert file_fingerprint(tmp_path / "khong-co.csv") is None
    assert file_fingerprint(tmp_path) is None


def test_fingerprint_changes_when_the_file_may_have_changed(tmp_path: Path):
    p = tmp_path / "tra-loi.csv"
    p.write_bytes(b"Ten\nAn\n")
    first = file_fingerprint(p)
    st = p.stat()
    assert first == (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    assert file_fingerprint(p) == first  # untouched: unchanged

    time.sleep(0.05)  # past the file system's timestamp granularity
    p.write_bytes(b"Ten\nBa\n")  # same size, rewritten in place ...
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))  # ... and the mtime put back
    second = file_fingerprint(p)
    assert second is not None and second[:2] == first[:2]
    assert second != first  # the ctime gives it away

    other = tmp_path / "moi.csv"
    other.write_bytes(b"Ten\nAn\n")
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    other.replace(p)  # replaced by another file
    assert file_fingerprint(p) not in (first, second)
