"""`kns check` warns, one line per source, when the letters' and `kns qr`'s prefilled links
cannot be built (a source without `form_url`, a question the links fill without `entry`);
`kns status` on a damaged state file prints only the Vietnamese line `kns run` prints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sync.backend import load_inputs
from sync.cli import EXIT_FAILED, EXIT_OK, main
from sync.config import load_config
from sync.health import CHECK_FAILED
from sync.prefill import link_gaps
from sync.state import corrupt_message
from tests import test_cli
from tests.conftest import ROOT

NOW = test_cli.NOW

# what each warning says to do, word for word
FIX_URL = (
    "hãy ghi vào form_url của nguồn trong tệp cấu hình đường dẫn công khai của biểu mẫu "
    '(Google Forms: nút "Gửi" > biểu tượng liên kết), dạng '
    "https://docs.google.com/forms/d/e/…/viewform"
)
FIX_ENTRY = (
    'hãy mở biểu mẫu trên Google Forms, chọn ⋮ > "Lấy đường liên kết điền sẵn", điền thử '
    'rồi "Lấy đường liên kết", và chép mã entry.… của từng câu hỏi vào "entry:" của trường '
    "tương ứng"
)
SCORING_URL = "https://docs.google.com/forms/d/e/1FAIpQLStD96SfJubCbKTzZoURoCh3g8pswaLiIja3JwyhJ9HiQ-iK-/viewform"
SUPPORT_URL = "https://docs.google.com/forms/d/e/1FAIpQLSMZZM5jOGqqqj4YS4kJrJUFeD-jI0r5GqDUoOP_sakZZW5CC/viewform"
REGISTRATION_URL = "https://docs.google.com/forms/d/e/1FAIpQLS0owWCLdCobmuMWZPTjRKuoimIOnLeSXm98yyqHFgf3eQV86/viewform"

STATS_BRANCH_ENTRY = '    entry: "entry.435801741"  # điền sẵn tên chi bộ (mã QR của từng chi bộ)\n'


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _check(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    """Exit code, the warning lines, and the closing count line."""
    code = main(["check", "--config", str(config), "--now", NOW])
    lines = capsys.readouterr().out.splitlines()
    assert not [line for line in lines if line.startswith("[LỖI]")], lines
    return code, [line for line in lines if line.startswith("[CẢNH BÁO]")], lines[-1]


def _new_warnings(
    config: Path, capsys: pytest.CaptureFixture[str], baseline: list[str]
) -> list[str]:
    """The warnings `kns check` gives beyond the sample's own, checking it still exits 0
    (warnings never fail the check) and counts them."""
    code, warnings, total = _check(config, capsys)
    assert code == EXIT_OK
    assert total == f"Kết quả kiểm tra: 0 lỗi, {len(warnings)} cảnh báo."
    assert all(w in warnings for w in baseline)
    return [w for w in warnings if w not in baseline]


def _mapping(config: Path, name: str) -> Path:
    return config.parent.parent / "mappings" / name


# -- 1. prefilled links -------------------------------------------------------------------


def test_the_sample_ward_has_every_link(ward: Path, capsys):
    inputs = load_inputs(load_config(ward))
    assert link_gaps(inputs.cfg, inputs.mappings) == ()  # every form_url and entry is there
    code, warnings, total = _check(ward, capsys)
    assert code == EXIT_OK and total.startswith("Kết quả kiểm tra: 0 lỗi")
    assert not [w for w in warnings if "form_url" in w or "(entry)" in w], warnings


@pytest.mark.parametrize(
    ("source_id", "title", "url", "who"),
    [
        # a form the branches fill: the letters and the QR codes go without it
        (
            "bieu_mau_02",
            "Biểu mẫu 02 - Bảng chấm điểm",
            SCORING_URL,
            "thư nhắc và mã QR (`kns qr`)",
        ),
        # the support log: only the teams' letters link to it (`kns qr` has no code for it)
        ("nhat_ky_ho_tro", "Nhật ký hỗ trợ người dân", SUPPORT_URL, "thư nhắc"),
    ],
)
def test_a_form_without_form_url_is_one_warning(
    ward: Path, capsys, source_id: str, title: str, url: str, who: str
):
    _, baseline, _ = _check(ward, capsys)
    _edit(ward, f'    form_url: "{url}"\n', "")
    assert _new_warnings(ward, capsys, baseline) == [
        f"[CẢNH BÁO] nguồn '{source_id}' ({title}): chưa có form_url nên {who} không có đường "
        f"liên kết tới biểu mẫu này; {FIX_URL}"
    ]


def test_a_question_without_entry_is_one_warning_per_source(ward: Path, capsys):
    _, baseline, _ = _check(ward, capsys)
    stats, scoring = _mapping(ward, "branch_stats.yaml"), _mapping(ward, "scoring.yaml")
    _edit(stats, STATS_BRANCH_ENTRY, "")
    # two of the three questions a member's link fills: still one line for the source
    _edit(scoring, '    entry: "entry.816736769"\n', "")
    _edit(scoring, '    entry: "entry.768376494"\n', "")
    assert _new_warnings(ward, capsys, baseline) == [
        "[CẢNH BÁO] nguồn 'thong_ke' (Thống kê kết quả sinh hoạt chuyên đề 2026), tệp ánh xạ "
        f'{stats}: trường branch ("Tên chi bộ") chưa có mã điền sẵn (entry) nên đường liên '
        f"kết tới biểu mẫu này mở ra chưa điền sẵn tên chi bộ; {FIX_ENTRY}",
        "[CẢNH BÁO] nguồn 'bieu_mau_02' (Biểu mẫu 02 - Bảng chấm điểm), tệp ánh xạ "
        f'{scoring}: trường name ("Họ và tên đảng viên"), birth_date ("Ngày sinh") chưa có '
        "mã điền sẵn (entry) nên đường liên kết tới biểu mẫu này mở ra chưa điền sẵn họ tên, "
        f"ngày sinh; {FIX_ENTRY}",
    ]


def test_a_usable_question_id_stands_for_the_entry(ward: Path, capsys):
    _, baseline, _ = _check(ward, capsys)
    stats = _mapping(ward, "branch_stats.yaml")
    # a Forms API id of the observed shape (1-8 hex digits) gives entry.<decimal>
    _edit(stats, STATS_BRANCH_ENTRY, '    question_id: "1a2b3c4d"\n')
    assert _new_warnings(ward, capsys, baseline) == []
    # an id of another shape gives no key: the warning is back
    _edit(stats, '    question_id: "1a2b3c4d"\n', '    question_id: "cau-hoi-chi-bo"\n')
    (line,) = _new_warnings(ward, capsys, baseline)
    assert line.startswith("[CẢNH BÁO] nguồn 'thong_ke' (")
    assert 'trường branch ("Tên chi bộ")' in line


def test_a_source_without_both_is_still_one_line(ward: Path, capsys):
    _, baseline, _ = _check(ward, capsys)
    registration = _mapping(ward, "registration.yaml")
    _edit(ward, f'    form_url: "{REGISTRATION_URL}"\n', "")
    _edit(registration, '    entry: "entry.1680087822"\n', "")
    assert _new_warnings(ward, capsys, baseline) == [
        "[CẢNH BÁO] nguồn 'bieu_mau_01' (Biểu mẫu 01 - Bản đăng ký, cam kết): chưa có form_url "
        "nên thư nhắc và mã QR (`kns qr`) không có đường liên kết tới biểu mẫu này; "
        f'{FIX_URL}. Tệp ánh xạ {registration}: trường branch ("Nơi sinh hoạt (chi bộ)") chưa '
        "có mã điền sẵn (entry) nên đường liên kết tới biểu mẫu này mở ra chưa điền sẵn tên chi "
        f"bộ; {FIX_ENTRY}"
    ]


# -- 2. `kns status` on a damaged state file ----------------------------------------------


def _damage(ward: Path, damage: str, capsys: pytest.CaptureFixture[str]) -> Path:
    state = load_config(ward).state.path
    if damage == "random":  # not SQLite at all
        state.parent.mkdir(parents=True)
        state.write_bytes(os.urandom(64 * 1024))
    else:  # the state a real cycle wrote, cut in half (a copy stopped midway, a full disk)
        assert main(["run", "--once", "--config", str(ward), "--now", NOW]) == EXIT_OK
        capsys.readouterr()
        size = state.stat().st_size
        assert size > 100_000
        os.truncate(state, size // 2)
    return state


@pytest.mark.parametrize("damage", ["random", "truncated"])
def test_status_on_a_damaged_state_prints_only_the_vietnamese_line(ward: Path, capsys, damage: str):
    state = _damage(ward, damage, capsys)
    expected = corrupt_message(state)
    assert expected.startswith(f"Tệp trạng thái {state} bị hỏng")

    assert main(["status", "--config", str(ward), "--now", NOW]) == EXIT_FAILED
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing before it, not even the heading
    # the line alone: no SQLite text ("file is not a database"), no traceback
    assert captured.err == expected + "\n"

    # the monitoring line says the same, on stdout as its other lines
    assert main(["status", "--check", "--config", str(ward), "--now", NOW]) == CHECK_FAILED
    captured = capsys.readouterr()
    assert captured.out == f"LỖI: {expected}\n" and captured.err == ""

    # the real command: the same line; the traceback only with -v
    for verbose in ([], ["-v"]):
        done = subprocess.run(
            [sys.executable, "-m", "sync.cli", "status", *verbose, "--config", str(ward)],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == EXIT_FAILED and done.stdout == ""
        assert ("Traceback" in done.stderr) == bool(verbose) and expected in done.stderr
        if not verbose:
            assert done.stderr == expected + "\n"
