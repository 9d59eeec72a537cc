"""The `kns` commands as a ward's staff runs them: check, status, preview-mail, dry run,
and the daemon stopping cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sync.cli import main
from tests.conftest import ROOT
from tests.sample_facts import FIRST_CYCLE_MESSAGES

NOW = "2026-11-23T08:00:00+07:00"


def test_check_sample_ward_has_no_errors(ward: Path, capsys):
    assert main(["check", "--config", str(ward), "--now", NOW]) == 0
    out = capsys.readouterr().out
    assert "Kết quả kiểm tra: 0 lỗi" in out
    assert "CB21" in out  # the branch without a secretary's e-mail is a warning
    assert not (ward.parent.parent / "out").exists()  # check writes nothing


def test_check_reports_every_problem_at_once(ward: Path, capsys):
    cfg_dir = ward.parent
    text = ward.read_text(encoding="utf-8")
    text = text.replace("sample/exports/bieu-mau-01.csv", "sample/exports/khong-co.csv")
    text = text.replace(
        "    done_when: members_scored",
        "    done_when: members_scored\n    branches: [CB01, CB99]",
    )
    ward.write_text(text, encoding="utf-8")
    members = cfg_dir / "sample" / "roster" / "dang-vien.csv"
    lines = members.read_text(encoding="utf-8-sig").splitlines()
    members.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")

    assert main(["check", "--config", str(ward), "--now", NOW]) == 1
    out = capsys.readouterr().out
    assert "dang-vien.csv" in out and "trùng" in out  # duplicate member code
    assert "khong-co.csv" in out  # the sources are still read with a broken roster

    members.write_text("\n".join(lines) + "\n", encoding="utf-8")  # roster fixed
    assert main(["check", "--config", str(ward), "--now", NOW]) == 1
    out = capsys.readouterr().out
    assert "CB99" in out  # unknown branch in a milestone
    assert "khong-co.csv" in out  # missing export
    assert out.count("[LỖI]") >= 2  # both reported in the same run


def test_check_config_error_names_file_and_field(ward: Path, capsys):
    ward.write_text(
        ward.read_text(encoding="utf-8").replace("every_minutes: 30", "every_minutes: 0"),
        encoding="utf-8",
    )
    assert main(["check", "--config", str(ward)]) == 1
    out = capsys.readouterr().out
    assert "example.yaml" in out and "schedule.every_minutes" in out


def test_status_prints_every_branch_and_writes_nothing(ward: Path, capsys):
    assert main(["status", "--config", str(ward), "--now", NOW]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("CB")]
    assert len(rows) == 25
    assert any("Quá hạn" in r and "16 ngày" in r for r in rows)
    assert not (ward.parent.parent / "out").exists()


def test_preview_mail_renders_due_alerts_without_sending(ward: Path, capsys):
    assert main(["preview-mail", "--config", str(ward), "--now", NOW]) == 0
    out = capsys.readouterr().out
    # tests/sample_facts.py: one letter per branch (24), the ward's own overdue notice,
    # T04's notice, the digest and the staff's "Bình dân học vụ số" summary
    assert f"=== Thư đến hạn gửi: {FIRST_CYCLE_MESSAGES} ===" in out
    assert out.count("--- thu:CB") == 24
    assert "Tiêu đề: [Quá hạn - đồng gửi Ủy viên phụ trách]" in out
    assert "Kính gửi đồng chí" in out
    assert "Tiêu đề: [Bình dân học vụ số]" in out
    assert not (ward.parent.parent / "out").exists()
    # on a Saturday nothing is due: everything waits for Monday's window
    assert main(["preview-mail", "--config", str(ward), "--now", "2026-11-28T09:00"]) == 0
    out = capsys.readouterr().out
    assert "=== Thư đến hạn gửi: 0 ===" in out and "Thư chờ khung giờ gửi: 0" not in out


def test_dry_run_prints_and_writes_nothing(ward: Path, capsys):
    assert main(["run", "--dry-run", "--config", str(ward), "--now", NOW]) == 0
    out = capsys.readouterr().out
    assert "Chạy thử (--dry-run)" in out and "bao_cao:CB04:escalation:3" in out
    assert not (ward.parent.parent / "out").exists()


def test_run_once_then_again_sends_nothing_twice(ward: Path, capsys):
    assert main(["run", "--once", "--config", str(ward), "--now", NOW]) == 0
    first = capsys.readouterr().out
    assert "25 chi bộ" in first and f"thư đã gửi: {FIRST_CYCLE_MESSAGES}" in first
    assert main(["run", "--once", "--config", str(ward), "--now", NOW]) == 0
    second = capsys.readouterr().out
    assert "thư đã gửi: 0" in second and "không ghi lại" in second


def test_missing_config_exits_1(tmp_path: Path, capsys):
    assert main(["run", "--once", "--config", str(tmp_path / "nope.yaml")]) == 1
    assert "không tìm thấy tệp cấu hình" in capsys.readouterr().err


def test_daemon_runs_a_cycle_then_stops_cleanly_on_sigterm(ward: Path):
    workbook = ward.parent.parent / "out" / "tong-hop-ky-nang-so.xlsx"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sync.cli", "run", "--config", str(ward)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not workbook.exists():
            assert proc.poll() is None, proc.communicate()[1]
            time.sleep(0.05)
        assert workbook.exists(), "the daemon runs a first cycle at start"
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Đã dừng." in err
