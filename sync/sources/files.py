"""Embedded backend source: a CSV or XLSX export downloaded from Google Forms.

The reader only turns the file into header -> text cells; every interpretation (dates,
numbers, choices) is the normaliser's job, so the CSV path and the Google Sheets path
share one normaliser.
"""

from __future__ import annotations

import codecs
import csv
import errno
import io
import logging
import stat
import zipfile
from datetime import date, datetime, time
from pathlib import Path

# One definition for every adapter (sync.ports); importing them from here still works
from sync.ports import FetchResult as FetchResult
from sync.ports import Probe
from sync.ports import SourceError as SourceError
from sync.rows import table_to_responses
from sync.sources.probe import file_fingerprint as file_fingerprint
from sync.sources.probe import probe_files

log = logging.getLogger(__name__)


def read_table(path: Path, sheet: str | None = None) -> tuple[list[str], list[list[str]]]:
    """Read a CSV (UTF-8, with or without BOM) or XLSX file into headers and text rows.

    Every way the file can be unreadable (a folder, no permission, empty, half-saved, not
    what its name says, corrupt) is a SourceError with one Vietnamese line naming the file
    and what to do: a bad export is a problem of that source, never a crash of the cycle.
    """
    _check_file(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, _read_bytes(path), sheet)
    if suffix in (".csv", ".txt", ""):
        return _read_csv(path)
    raise SourceError(
        f"Tệp {path.name}: chỉ đọc được .csv hoặc .xlsx; hãy lưu lại tệp dạng .xlsx (Excel) "
        "hoặc .csv UTF-8 và sửa đường dẫn trong cấu hình"
    )


_RELOAD_CSV = "hãy tải lại bản .csv từ Google Biểu mẫu (Tải xuống câu trả lời (.csv))"
_RESAVE_XLSX = 'hãy mở bằng Excel và lưu lại dạng "Sổ làm việc Excel (*.xlsx)", hoặc tải lại tệp'


def _check_file(path: Path) -> None:
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError, ValueError) as e:
        raise SourceError(f"Không tìm thấy tệp {path}") from e
    except OSError as e:
        raise SourceError(_os_problem(path, e)) from e
    if stat.S_ISDIR(st.st_mode):
        raise SourceError(
            f"{path} là một thư mục, không phải tệp: hãy sửa đường dẫn trong cấu hình cho "
            "trỏ tới tệp .csv hoặc .xlsx"
        )


def _read_bytes(path: Path, limit: int = -1) -> bytes:
    """The file's bytes (its first ``limit`` bytes), with a Vietnamese error for every way
    reading can fail, and for an empty file."""
    try:
        with path.open("rb") as f:
            raw = f.read(limit)
    except FileNotFoundError as e:  # it was there a moment ago (_check_file)
        raise SourceError(_vanished(path)) from e
    except OSError as e:
        raise SourceError(_os_problem(path, e)) from e
    if not raw:
        raise SourceError(
            f"Tệp {path.name} trống (0 byte): có thể tải về chưa xong hoặc lưu bị lỗi; "
            "hãy tải lại tệp"
        )
    return raw


def _vanished(path: Path) -> str:
    return (
        f"Tệp {path} vừa bị xóa hoặc đổi tên trong lúc đọc (có thể đang được tải về hay "
        "ghi đè): chu kỳ sau sẽ đọc lại; nếu lỗi lặp lại, hãy kiểm tra tệp"
    )


def _os_problem(path: Path, e: OSError) -> str:
    if isinstance(e, PermissionError):
        return (
            f"Không có quyền đọc tệp {path}: hãy cấp quyền đọc (tệp và thư mục chứa nó) cho "
            "tài khoản chạy chương trình"
        )
    if isinstance(e, IsADirectoryError):
        return f"{path} là một thư mục, không phải tệp"
    code = errno.errorcode.get(e.errno or 0, str(e.errno))
    return (
        f"Không đọc được tệp {path} (lỗi hệ thống {code}): hãy kiểm tra ổ đĩa hoặc chép tệp "
        "sang thư mục khác rồi thử lại"
    )


def _looks_utf16(raw: bytes) -> bool:
    """Mostly-ASCII text saved as UTF-16 without a BOM: every other byte is NUL."""
    sample = raw[:4096]
    half = len(sample) // 2
    return half > 0 and max(sample[0::2].count(0), sample[1::2].count(0)) > half * 0.6


def _is_html(raw: bytes) -> bool:
    head = raw[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<?xml")) and (
        b"<html" in raw[:4096].lower()
    )


def _not_what_it_says(path: Path, raw: bytes) -> str | None:
    """What the file really is, when its bytes say it is not what its suffix says."""
    name, suffix = path.name, path.suffix.lower() or "(không có đuôi)"
    if _is_html(raw):
        return (
            f"Tệp {name} là một trang web (HTML), không phải dữ liệu: có lẽ đã lưu trang đăng "
            "nhập hoặc trang báo lỗi thay cho tệp; hãy mở Google Biểu mẫu và tải lại tệp"
        )
    if raw.startswith(b"\xd0\xcf\x11\xe0"):  # OLE: .xls, or an .xlsx with a password
        return (
            f"Tệp {name} là tệp Excel đời cũ (.xls) hoặc tệp Excel có đặt mật khẩu, chương "
            "trình không đọc được: hãy mở bằng Excel, bỏ mật khẩu (nếu có) và lưu lại dạng "
            '"Sổ làm việc Excel (*.xlsx)"'
        )
    if suffix not in (".xlsx", ".xlsm") and raw.startswith(b"PK\x03\x04"):
        return (
            f"Tệp {name} thực ra là tệp Excel (.xlsx) dù có đuôi {suffix}: hãy đổi tên tệp "
            "thành .xlsx (và sửa đường dẫn trong cấu hình) hoặc tải bản .csv"
        )
    return None


_HEAD = 1 << 16  # what the checks of a file's kind look at
_CHUNK = 1 << 20


def _nul_line(path: Path) -> int | None:
    """The line of the first NUL byte, if any (csv accepts NUL since 3.11: a cell would
    carry it silently). A scan of the bytes, chunk by chunk: the file is never whole in
    memory."""
    lines = 1
    try:
        with path.open("rb") as f:
            while chunk := f.read(_CHUNK):
                at = chunk.find(b"\x00")
                if at != -1:
                    return lines + chunk.count(b"\n", 0, at)
                lines += chunk.count(b"\n")
    except OSError as e:
        raise SourceError(_os_problem(path, e)) from e
    return None


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """The CSV's rows, parsed as the file is read (a province's export is 100 MB): never
    the whole text in memory, and one string object per distinct cell text (choice texts,
    dates and names repeat across tens of thousands of rows)."""
    name = path.name
    head = _read_bytes(path, _HEAD)  # the file's kind is told by its first bytes
    odd = _not_what_it_says(path, head)
    if odd:
        raise SourceError(odd)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
        b"\x00" in head and _looks_utf16(head)
    ):
        raise SourceError(
            f'Tệp {name} được lưu dạng UTF-16 (kiểu "Unicode Text" của Excel), không phải CSV '
            f'UTF-8: {_RELOAD_CSV}, hoặc trong Excel chọn lưu dạng "CSV UTF-8 (Comma delimited)"'
        )
    line = _nul_line(path)
    if line is not None:
        raise SourceError(
            f"Tệp {name} chứa ký tự NUL (byte 0) ở dòng {line}: tệp bị hỏng hoặc không phải "
            f"tệp CSV; {_RELOAD_CSV}"
        )
    rows: list[list[str]] = []
    same: dict[str, str] = {}
    try:
        # utf-8-sig drops the byte-order mark that Excel and some exports put first
        with path.open("r", encoding="utf-8-sig", newline="") as f:
            for row in csv.reader(f):
                rows.append([same.setdefault(c, c) for c in row])
    except UnicodeDecodeError:
        raise SourceError(_not_utf8(path)) from None
    except csv.Error as e:
        at = len(rows) + 1  # the record being read: "Dòng N" as in the data problems
        if "field larger than field limit" in str(e):
            limit = f"{csv.field_size_limit():,}".replace(",", ".")
            raise SourceError(
                f"Tệp {name}: một ô ở dòng {at} dài hơn {limit} ký tự, tệp bị hỏng hoặc không "
                f'phải bản .csv của Google Biểu mẫu (thường do thiếu một dấu ngoặc kép "); '
                f"{_RELOAD_CSV}"
            ) from e
        raise SourceError(
            f"Tệp {name} không đọc được như tệp CSV ở dòng {at}: tệp bị hỏng; {_RELOAD_CSV}"
        ) from e
    except FileNotFoundError as e:
        raise SourceError(_vanished(path)) from e
    except OSError as e:
        raise SourceError(_os_problem(path, e)) from e
    if not rows:
        return [], []
    return rows[0], rows[1:]


def _not_utf8(path: Path) -> str:
    """The message for a file that is not UTF-8, with the offset of the first bad byte
    (found by decoding the whole file: an error path only)."""
    where = ""
    try:
        path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        where = f" (byte {e.start})"
    except OSError:
        pass
    return (
        f"Tệp {path.name} không phải UTF-8{where}; hãy tải lại bản .csv từ Google Biểu mẫu "
        "hoặc lưu lại với mã hóa UTF-8"
    )


def _cell_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        # a date typed into a cell comes back as midnight: keep it a date
        if v.time() == time(0, 0):
            return v.date().isoformat()
        return v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _read_xlsx(path: Path, raw: bytes, sheet: str | None) -> tuple[list[str], list[list[str]]]:
    from openpyxl import load_workbook  # imported lazily: only XLSX sources need it

    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many types for a broken file
        log.debug("openpyxl: %s", path, exc_info=True)
        raise SourceError(_xlsx_problem(path, raw)) from e
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            listed = ", ".join(f"'{n}'" for n in wb.sheetnames) or "(không có)"
            raise SourceError(
                f"Tệp {path.name} không có trang tính '{sheet}'; các trang tính trong tệp: "
                f"{listed}. Hãy sửa 'sheet' trong cấu hình cho đúng tên"
            )
        if sheet is None and not wb.worksheets:
            raise SourceError(f"Tệp {path.name} không có trang tính nào: {_RESAVE_XLSX}")
        ws = wb[sheet] if sheet else wb.worksheets[0]
        try:
            # read-only mode parses the sheet while iterating: a broken sheet fails here
            rows = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
        except Exception as e:
            log.debug("openpyxl: %s", path, exc_info=True)
            raise SourceError(
                f"Tệp Excel {path.name} bị hỏng, không đọc được trang tính '{ws.title}': "
                f"{_RESAVE_XLSX}"
            ) from e
    finally:
        wb.close()
    if not rows:
        return [], []
    header = rows[0]
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    body = [r[:width] + [""] * (width - len(r[:width])) for r in rows[1:]]
    return header, body


def _xlsx_problem(path: Path, raw: bytes) -> str:
    """Why openpyxl could not open ``raw``, in words a ward clerk can act on."""
    odd = _not_what_it_says(path, raw)
    if odd:
        return odd
    name = path.name
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except Exception:  # zipfile raises several types (and zlib.error) for a broken archive
        if raw.startswith(b"PK"):
            return f"Tệp Excel {name} bị hỏng hoặc chưa lưu xong (lưu dở): {_RESAVE_XLSX}"
        if _is_text(raw):
            return (
                f"Tệp {name} là tệp văn bản (có lẽ CSV) nhưng có đuôi {path.suffix}: hãy đổi "
                "tên tệp thành .csv và sửa đường dẫn trong cấu hình"
            )
        return f"Tệp {name} không phải tệp Excel .xlsx: {_RESAVE_XLSX}"
    if "xl/workbook.xml" not in names:
        kind = (
            " (có vẻ là tệp Word)"
            if any(n.startswith("word/") for n in names)
            else " (có vẻ là tệp PowerPoint)"
            if any(n.startswith("ppt/") for n in names)
            else " (có vẻ là bảng tính OpenDocument .ods)"
            if b"opendocument.spreadsheet" in mimetype
            else ""
        )
        return f"Tệp {name} là tệp nén (zip) nhưng không phải sổ tính Excel{kind}: {_RESAVE_XLSX}"
    return f"Tệp Excel {name} bị hỏng, không mở được: {_RESAVE_XLSX}"


def _is_text(raw: bytes) -> bool:
    sample = raw[:4096]
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as e:
        # a character cut by the end of the sample is fine; anything else is not text
        if len(raw) == len(sample) or e.start < len(sample) - 3:
            return False
    return b"\x00" not in sample


class FileSource:
    """A downloaded export: every read is a full read."""

    def __init__(self, source_id: str, path: Path, sheet: str | None = None) -> None:
        self.source_id = source_id
        self.path = path
        self.sheet = sheet

    def probe(self, previous: Probe | None) -> Probe | None:
        """Unchanged since ``previous`` costs one stat (``sync.sources.probe``)."""
        return probe_files((self.path,), previous)

    def fetch(self, cursor: str | None = None, now: datetime | None = None) -> FetchResult:
        headers, rows = read_table(self.path, self.sheet)
        if not headers:
            raise SourceError(f"Tệp {self.path.name} trống (không có dòng tiêu đề)")
        return FetchResult(table_to_responses(self.source_id, headers, rows), complete=True)
