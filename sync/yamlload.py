"""The YAML loader for config, rubric and mapping files: PyYAML's safe loader, in its C
version (libyaml) when installed: a service reads these files every cycle. ``StrictModel`` is
the base of every model those files are validated into, and ``load_model`` reads a file into
one, so every file answers a mistake the same way.

``load_yaml`` reads such a file the way staff save it (UTF-8 with or without BOM, or UTF-16
with a BOM, as Notepad offers) and turns every way it can be unreadable into one Vietnamese
line naming the file, the line and what to do (a ConfigError), never a traceback.
"""

from __future__ import annotations

import codecs
import errno
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from yaml.constructor import ConstructorError, SafeConstructor

from sync.errors import ConfigError, describe_validation_error

_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE):
    """The safe loader, where an impossible date (2026-02-31) is an error with its line
    instead of PyYAML's bare ValueError."""


def _timestamp(loader: SafeConstructor, node: yaml.ScalarNode) -> object:
    try:
        return SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError as e:
        raise ConstructorError(
            None,
            None,
            f"ngày '{node.value}' không có thật (sai ngày hoặc tháng); hãy sửa lại, "
            "dạng YYYY-MM-DD",
            node.start_mark,
        ) from e


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)

SAFE_LOADER: type[yaml.SafeLoader] = _Loader

_SAVE_UTF8 = (
    "hãy mở tệp bằng Notepad (hoặc Notepad++), chọn Lưu thành (Save As) với mã hóa "
    "(Encoding) UTF-8 rồi chạy lại"
)


class StrictModel(BaseModel):
    """Base of every config, rubric and mapping model: an unknown key is an error (a typo in
    a ward's file is never silently ignored) and a loaded model cannot change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


ModelT = TypeVar("ModelT", bound=BaseModel)


def load_model(path: Path, model: type[ModelT], what: str, hint: str = "") -> ModelT:
    """A YAML file validated into ``model``. An empty file, anything but a group of fields,
    or a field the model refuses is a ConfigError naming the file (and the field). ``hint``
    ends the line said when the file is not a group of fields ("hãy xem mẫu ...")."""
    path = Path(path)
    data = load_yaml(path, what)
    if not isinstance(data, dict):
        raise ConfigError(
            [
                f"{path}: {what} phải là một nhóm trường YAML (các dòng 'tên_trường: giá "
                f"trị'){'; ' + hint if hint else ''}"
            ]
        )
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise ConfigError(describe_validation_error(path, e)) from e


def load_yaml(path: Path, what: str) -> Any:
    """The parsed content of a YAML file; ``what`` names the file for staff ("tệp cấu
    hình"). Raises ConfigError with one line for a missing, unreadable, mis-encoded or
    malformed file."""
    path = Path(path)
    text = _decode(path, _read(path, what), what)
    try:
        return yaml.load(text, Loader=SAFE_LOADER)
    except yaml.MarkedYAMLError as e:
        raise ConfigError([_marked(path, e, text)]) from e
    except yaml.reader.ReaderError as e:  # a control character libyaml refuses
        line = text[: e.position].count("\n") + 1
        raise ConfigError(
            [
                f"{path}: dòng {line}: có ký tự điều khiển không đọc được (mã {e.character:#x}); "
                "hãy xóa ký tự đó (thường do chép từ nơi khác) rồi lưu lại"
            ]
        ) from e
    except yaml.YAMLError as e:
        raise ConfigError([f"{path}: lỗi cú pháp YAML; hãy kiểm tra lại tệp ({e})"]) from e
    except (ValueError, TypeError, RecursionError) as e:  # a value no constructor accepts
        raise ConfigError(
            [f"{path}: có giá trị không đọc được ({e}); hãy kiểm tra lại các giá trị trong tệp"]
        ) from e


def _read(path: Path, what: str) -> bytes:
    if path.is_dir():
        raise ConfigError(
            [f"{path} là một thư mục, không phải {what}: hãy chỉ đường dẫn tới tệp .yaml"]
        )
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError) as e:
        raise ConfigError(
            [f"{path}: không tìm thấy {what}; hãy kiểm tra lại đường dẫn và tên tệp"]
        ) from e
    except PermissionError as e:
        raise ConfigError(
            [
                f"{path}: không có quyền đọc {what}; hãy cấp quyền đọc tệp cho tài khoản chạy "
                "chương trình"
            ]
        ) from e
    except OSError as e:
        code = errno.errorcode.get(e.errno or 0, str(e.errno))
        raise ConfigError(
            [f"{path}: không đọc được {what} (lỗi hệ thống {code}); hãy kiểm tra ổ đĩa"]
        ) from e


def _decode(path: Path, raw: bytes, what: str) -> str:
    # a BOM says how the file was saved; UTF-32's starts like UTF-16's, so it goes first
    boms = (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    )
    encoding = next((name for bom, name in boms if raw.startswith(bom)), "utf-8")
    if encoding == "utf-8" and b"\x00" in raw:  # UTF-16 without a BOM: NUL bytes in text
        raise ConfigError([f"{path}: {what} có vẻ được lưu dạng UTF-16 không có BOM; {_SAVE_UTF8}"])
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        if not encoding.startswith("utf-8"):  # a BOM, then bytes that do not follow it
            raise ConfigError(
                [f"{path}: {what} bị hỏng mã {encoding.upper()} ở dòng {line}; {_SAVE_UTF8}"]
            ) from e
        raise ConfigError(
            [
                f"{path}: {what} không phải mã UTF-8 (byte lạ ở dòng {line}, có lẽ lưu bằng "
                f"bảng mã cũ như Windows-1258 hay TCVN3); {_SAVE_UTF8}"
            ]
        ) from e
    return text


# PyYAML's most common complaints, in words staff can act on
_PROBLEMS = {
    "mapping values are not allowed in this context": (
        "dấu hai chấm ':' không đúng chỗ (giá trị có dấu ':' phải đặt trong ngoặc kép, hoặc "
        "thụt lề sai)"
    ),
    "could not find expected ':'": "thiếu dấu hai chấm ':' sau tên trường",
    "did not find expected key": "thụt lề không thẳng hàng với các dòng cùng cấp",
    "did not find expected ',' or ']'": "thiếu dấu ']' đóng danh sách (hoặc dấu ',')",
    "did not find expected ',' or '}'": "thiếu dấu '}' đóng nhóm (hoặc dấu ',')",
    "found unexpected end of stream": "thiếu dấu ngoặc kép đóng",
    "did not find expected '-' indicator": "thụt lề của danh sách (dòng bắt đầu bằng '-') sai",
}


def _marked(path: Path, e: yaml.MarkedYAMLError, text: str) -> str:
    mark = e.problem_mark or e.context_mark
    if e.problem == "found unexpected end of stream" and e.context_mark:
        mark = e.context_mark  # where the unclosed quote opens, not the end of the file
    where = f"dòng {mark.line + 1}, cột {mark.column + 1}" if mark else "không rõ dòng"
    problem = e.problem or ""
    if isinstance(e, ConstructorError) and problem.startswith("ngày "):
        return f"{path}: {where}: {problem}"  # our own message (_timestamp)
    if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
        vi = "có ký tự Tab; YAML chỉ thụt lề bằng dấu cách"
    else:
        vi = _PROBLEMS.get(problem, problem)
    return f"{path}: {where}: lỗi cú pháp YAML: {vi}; hãy sửa dòng này rồi lưu lại"
