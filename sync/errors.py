"""Errors a ward's staff can act on: each names the file and the field, in Vietnamese."""

from __future__ import annotations

import errno
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails


class ConfigError(Exception):
    """One or more problems in a configuration, mapping, rubric or roster file."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class ServiceError(Exception):
    """An outside service (Google, a mail server) failed after every retry. The message is
    Vietnamese and meant for staff; the next cycle tries again."""


def describe_validation_error(path: Path | str, err: ValidationError) -> list[str]:
    """Turn pydantic's errors into one Vietnamese line each: file, field path, what is wrong."""
    lines = []
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(toàn tệp)"
        lines.append(f"{path}: trường '{where}': {_vi_message(e)}")
    return lines


def _vi_message(e: ErrorDetails) -> str:
    kind = e.get("type", "")
    given = e.get("input")
    shown = "" if isinstance(given, dict | list) else f" (giá trị: {given!r})"
    messages = {
        "missing": "thiếu trường bắt buộc",
        "extra_forbidden": "trường không được hỗ trợ (gõ sai tên?)",
        "int_parsing": "phải là số nguyên",
        "int_type": "phải là số nguyên",
        "float_parsing": "phải là số",
        "float_type": "phải là số",
        "bool_parsing": "phải là true/false",
        "bool_type": "phải là true/false",
        "date_from_datetime_parsing": "phải là ngày dạng YYYY-MM-DD",
        "date_parsing": "phải là ngày dạng YYYY-MM-DD",
        "date_type": "phải là ngày dạng YYYY-MM-DD",
        "string_type": "phải là chuỗi văn bản",
        "list_type": "phải là danh sách",
        "dict_type": "phải là một nhóm trường (mapping)",
        "literal_error": "giá trị không hợp lệ; chấp nhận: "
        + str(e.get("ctx", {}).get("expected", "")),
        "enum": "giá trị không hợp lệ; chấp nhận: " + str(e.get("ctx", {}).get("expected", "")),
        "greater_than_equal": f"phải ≥ {e.get('ctx', {}).get('ge')}",
        "less_than_equal": f"phải ≤ {e.get('ctx', {}).get('le')}",
        "greater_than": f"phải > {e.get('ctx', {}).get('gt')}",
        "too_short": "không được để trống",
    }
    if kind == "value_error":
        # our own validators raise ValueError with a Vietnamese message
        msg = str(e.get("msg", ""))
        return msg.removeprefix("Value error, ") + shown
    return messages.get(kind, str(e.get("msg", kind))) + shown


def describe_os_error(e: OSError) -> str:
    """Why the system refused to read or write a file, in Vietnamese (strerror is English)."""
    reasons = {
        errno.EACCES: "không có quyền ghi hoặc đọc",
        errno.EPERM: "không có quyền ghi hoặc đọc",
        errno.EROFS: "ổ đĩa chỉ cho đọc",
        errno.ENOSPC: "ổ đĩa đã đầy",
        errno.ENOTDIR: "một phần của đường dẫn là tệp, không phải thư mục",
        errno.EISDIR: "đường dẫn là một thư mục, không phải tệp",
        errno.ENOENT: "không tìm thấy tệp hay thư mục",
        errno.EEXIST: "đã có một tệp trùng tên",
    }
    code = errno.errorcode.get(e.errno or 0, str(e.errno))
    return reasons.get(e.errno or 0, f"lỗi hệ thống {code}")
