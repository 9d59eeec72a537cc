"""Every config or environment mistake ends in one Vietnamese line on stderr that names the
file and says what to do, exit code 1, and no traceback (that only with -v)."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from sync.cli import EXIT_FAILED, main
from sync.state import StateStore
from tests import test_cli
from tests.conftest import ROOT

NOW = test_cli.NOW


def _edit(config: Path, old: str, new: str) -> None:
    text = config.read_text(encoding="utf-8")
    assert old in text, old
    config.write_text(text.replace(old, new), encoding="utf-8")


def _one_line(err: str, *parts: str) -> str:
    """The single line of ``err``, holding every part."""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for part in parts:
        assert part in lines[0], (part, lines[0])
    return lines[0]


def _fails(argv: list[str], capsys: pytest.CaptureFixture[str], *parts: str) -> str:
    assert main(argv) == EXIT_FAILED
    return _one_line(capsys.readouterr().err, *parts)


def _kns(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command, as staff run it."""
    return subprocess.run(
        [sys.executable, "-m", "sync.cli", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _check(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["check", "--config", str(config), "--now", NOW])
    out = capsys.readouterr().out
    return code, [line for line in out.splitlines() if line.startswith("[LỖI]")]


def _cp1258(text: str) -> bytes:
    """``text`` as Windows' Vietnamese code page saves it: a base letter (â, ơ, ư…) and a
    combining tone mark where no precomposed letter exists."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", ch)
            for mark in marks:  # ộ is o, dot below, circumflex: ô carries the circumflex
                letter = unicodedata.normalize("NFC", base + mark)
                if len(letter) == 1 and letter.encode("cp1258", "ignore"):
                    base = letter
                    marks.remove(mark)
                    break
            out += base.encode("cp1258") + "".join(marks).encode("cp1258")
    return bytes(out)


# 1 --------------------------------------------------------------------------------------


def test_an_impossible_date_names_the_file_and_the_line(ward: Path, capsys):
    _edit(ward, "due: 2026-05-11", "due: 2026-02-31")
    line = _fails(
        ["run", "--once", "--config", str(ward), "--now", NOW],
        capsys,
        "example.yaml",
        "2026-02-31",
        "không có thật",
        "dòng ",
    )
    assert line.startswith("Lỗi cấu hình: ")
    code, errors = _check(ward, capsys)
    assert code == EXIT_FAILED and len(errors) == 1 and "2026-02-31" in errors[0]


# 2 --------------------------------------------------------------------------------------


def test_a_utf16_config_with_a_bom_is_read(ward: Path, capsys):
    text = ward.read_text(encoding="utf-8")
    ward.write_bytes(text.encode("utf-16"))  # what Notepad calls "Unicode": BOM + UTF-16-LE
    assert ward.read_bytes()[:2] == b"\xff\xfe"
    code, errors = _check(ward, capsys)
    assert code == 0 and errors == []
    ward.write_bytes(text.encode("utf-16-le"))  # the same without a BOM: said, not guessed
    _fails(
        ["status", "--config", str(ward), "--now", NOW], capsys, "example.yaml", "UTF-16", "UTF-8"
    )


# 3 --------------------------------------------------------------------------------------


def test_a_cp1258_config_is_not_utf8_and_says_how_to_save_it(tmp_path: Path, capsys):
    config = tmp_path / "phuong.yaml"
    config.write_bytes(_cp1258("# Cấu hình của phường\nward:\n  name: Đảng bộ phường Mẫu\n"))
    _fails(
        ["run", "--once", "--config", str(config)],
        capsys,
        "phuong.yaml",
        "không phải mã UTF-8",
        "dòng 1",
        "lưu",
    )


# 4 --------------------------------------------------------------------------------------


def test_config_pointing_at_a_folder(tmp_path: Path, capsys):
    code, errors = _check(tmp_path, capsys)
    assert code == EXIT_FAILED and len(errors) == 1 and "là một thư mục" in errors[0]
    for command in (["run", "--once"], ["run"]):  # the daemon too
        done = _kns(*command, "--config", str(tmp_path))
        assert done.returncode == EXIT_FAILED, done.stderr
        _one_line(done.stderr, str(tmp_path), "là một thư mục", "tệp cấu hình", ".yaml")


# 5 --------------------------------------------------------------------------------------


def test_a_source_file_that_is_a_folder_is_an_unreadable_source(ward: Path, capsys):
    folder = ward.parent / "sample" / "exports"
    _edit(ward, "file: sample/exports/bieu-mau-01.csv", "file: sample/exports")
    code, errors = _check(ward, capsys)
    assert code == EXIT_FAILED
    assert len(errors) == 1 and f"{folder} là một thư mục" in errors[0]
    # the cycle goes on: the source is a data problem (tab 'Lỗi dữ liệu'), not a crash
    assert main(["run", "--once", "--config", str(ward), "--now", NOW]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "Đã ghi bảng tổng hợp" in captured.out
    from openpyxl import load_workbook

    workbook = load_workbook(ward.parent.parent / "out" / "tong-hop-ky-nang-so.xlsx")
    rows = [" ".join(map(str, r)) for r in workbook["Lỗi dữ liệu"].iter_rows(values_only=True)]
    assert any(f"{folder} là một thư mục" in r for r in rows)


# 6 --------------------------------------------------------------------------------------


def test_a_missing_templates_folder_is_one_error_naming_it(ward: Path, capsys):
    _edit(ward, "templates: templates", "templates: mau-thu")
    folder = ward.parent / "mau-thu"
    code, errors = _check(ward, capsys)
    assert code == EXIT_FAILED
    assert len(errors) == 1 and str(folder) in errors[0]  # not one line per template
    for command in (["run", "--once"], ["preview-mail"]):
        _fails(
            [*command, "--config", str(ward), "--now", NOW],
            capsys,
            "mail.templates",
            str(folder),
            "không tồn tại",
        )
    assert not (ward.parent.parent / "out" / "outbox").exists()  # nothing sent, nothing failed
    done = _kns("run", "--config", str(ward))  # the service stops at start, same line
    assert done.returncode == EXIT_FAILED
    _one_line(done.stderr, "mail.templates", str(folder))


# 7 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["random", "truncated"])
def test_a_damaged_state_file_says_restore_or_move_aside(ward: Path, capsys, damage: str):
    state = ward.parent.parent / "out" / "state.sqlite"
    state.parent.mkdir()
    if damage == "random":
        state.write_bytes(os.urandom(4096))
    else:
        with StateStore(state) as store:
            store.set_meta("x", "y" * 20000)
        os.truncate(state, 5000)
    for command in (["run", "--once"], ["run", "--dry-run"]):
        line = _fails(
            [*command, "--config", str(ward), "--now", NOW],
            capsys,
            str(state),
            "bị hỏng",
            "sao lưu",
            "sổ ghi thư đã gửi bị mất",
        )
        assert line.startswith("Tệp trạng thái ")
    code, errors = _check(ward, capsys)
    assert code == EXIT_FAILED and len(errors) == 1 and "bị hỏng" in errors[0]
    if damage == "truncated":
        return
    # the service stops at start with the same line; the traceback only with -v
    done = _kns("run", "--config", str(ward))
    assert done.returncode == EXIT_FAILED
    assert _one_line(done.stderr) == line
    verbose = _kns("run", "--once", "-v", "--config", str(ward), "--now", NOW)
    assert verbose.returncode == EXIT_FAILED and "Traceback" in verbose.stderr


# 8 --------------------------------------------------------------------------------------


def test_check_reports_a_state_path_that_is_a_folder(ward: Path, capsys):
    folder = ward.parent.parent / "out" / "trang-thai"
    folder.mkdir(parents=True)
    _edit(ward, "path: ../out/state.sqlite", "path: ../out/trang-thai")
    code, errors = _check(ward, capsys)
    assert code == EXIT_FAILED
    assert len(errors) == 1 and "state.path" in errors[0]
    assert f"{folder} là một thư mục" in errors[0]
    _fails(
        ["run", "--once", "--config", str(ward), "--now", NOW],
        capsys,
        "state.path",
        str(folder),
        "là một thư mục",
    )


# 9 --------------------------------------------------------------------------------------


def test_check_reports_outputs_that_cannot_be_written(ward: Path, capsys):
    blocker = ward.parent.parent / "out"  # a file where the outputs' folder should be
    blocker.write_text("", encoding="utf-8")
    _edit(ward, "path: ../out/state.sqlite", "path: ../trang-thai/state.sqlite")
    code, errors = _check(ward, capsys)
    assert code == EXIT_FAILED
    fields = sorted(e.split(": ", 1)[0].removeprefix("[LỖI] ") for e in errors)
    assert fields == ["destination.path", "mail.outbox_dir", "report.path"]
    assert all(f"{blocker} là một tệp, không phải thư mục" in e for e in errors)
    assert not (ward.parent.parent / "trang-thai").exists()  # check creates nothing


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_check_reports_a_read_only_output_folder(ward: Path, capsys):
    out = ward.parent.parent / "out"
    out.mkdir()
    out.chmod(0o500)
    try:
        code, errors = _check(ward, capsys)
    finally:
        out.chmod(0o700)
    assert code == EXIT_FAILED
    assert any(e.startswith("[LỖI] destination.path") and "quyền ghi" in e for e in errors)


# 10 -------------------------------------------------------------------------------------


def test_yaml_syntax_and_shape_mistakes(tmp_path: Path, capsys):
    config = tmp_path / "ward.yaml"
    config.write_text("ward:\n  name: [Phường Mẫu\n", encoding="utf-8")
    _fails(["run", "--once", "--config", str(config)], capsys, "ward.yaml", "lỗi cú pháp YAML")
    config.write_text("ward:\n\tname: Phường Mẫu\n", encoding="utf-8")
    _fails(["status", "--config", str(config)], capsys, "ward.yaml", "dòng 2", "Tab")
    for text in ("- ward\n- rubric\n", ""):
        config.write_text(text, encoding="utf-8")
        _fails(["report", "--config", str(config)], capsys, "ward.yaml", "nhóm trường YAML")


def test_a_missing_rubric_or_mapping_names_the_file(ward: Path, capsys):
    _edit(ward, "rubric: rubric-2026.yaml", "rubric: rubric-2025.yaml")
    _fails(
        ["run", "--once", "--config", str(ward), "--now", NOW],
        capsys,
        "rubric-2025.yaml",
        "không tìm thấy tệp tiêu chí chấm điểm",
    )
    _edit(ward, "rubric: rubric-2025.yaml", "rubric: rubric-2026.yaml")
    _edit(ward, "../mappings/registration.yaml", "../mappings")  # a folder, not a file
    _fails(
        ["run", "--once", "--config", str(ward), "--now", NOW],
        capsys,
        "mappings",
        "là một thư mục, không phải tệp ánh xạ biểu mẫu",
    )
