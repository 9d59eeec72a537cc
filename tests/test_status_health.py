"""`kns status` says when the last cycle ended, how, and what waits; `kns status --check`
gives monitoring one line and an exit code (0 fresh, 2 stale, 1 failed or never ran), read
from a real state file while the ward's lock may be held."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from sync.alerts import AlertPlan
from sync.cli import main
from sync.config import load_config
from sync.health import (
    CHECK_FAILED,
    CHECK_OK,
    CHECK_STALE,
    HEALTH_KEY,
    check_line,
    read_health,
    record_health,
    status_lines,
)
from sync.lock import WardLock
from sync.model import Alert, AlertKind
from sync.state import StateStore

T0 = datetime.fromisoformat("2026-11-23T08:00:00+07:00")  # schedule.every_minutes: 30


def _state(ward: Path) -> Path:
    return load_config(ward).state.path


def _cycle(path: Path, status: str, start: datetime, summary: str = "") -> None:
    with StateStore(path) as store:
        cycle_id = store.begin_cycle(start)
        if status != "running":
            store.finish_cycle(cycle_id, status, summary, start + timedelta(minutes=1))


def _check(ward: Path, now: datetime, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["status", "--check", "--config", str(ward), "--now", now.isoformat()])
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 1, out  # one line for the monitoring system
    return code, out.strip()


def test_check_fresh_stale_and_failed_from_a_real_state_file(ward: Path, capsys):
    state = _state(ward)

    code, line = _check(ward, T0, capsys)
    assert code == CHECK_FAILED == 1 and line.startswith("LỖI") and "chưa có chu kỳ" in line
    assert not state.exists()  # the check creates nothing

    _cycle(state, "ok", T0, "25 chi bộ (3 quá hạn); thư đã gửi: 2")
    code, line = _check(ward, T0 + timedelta(minutes=20), capsys)
    assert code == CHECK_OK == 0
    assert line.startswith("BÌNH THƯỜNG") and "23/11/2026 08:01" in line and "thành công" in line

    # two periods (2 × 30 minutes) after the last success: still fine; one minute more: stale
    code, _ = _check(ward, T0 + timedelta(minutes=61), capsys)
    assert code == CHECK_OK
    code, line = _check(ward, T0 + timedelta(minutes=62), capsys)
    assert code == CHECK_STALE == 2
    assert line.startswith("CHẬM") and "quá 60 phút" in line and "cách đây 1 giờ 1 phút" in line

    # an idle cycle is a success too
    _cycle(state, "idle", T0 + timedelta(minutes=30), "Không có gì thay đổi")
    code, line = _check(ward, T0 + timedelta(minutes=40), capsys)
    assert code == CHECK_OK and "không có gì thay đổi" in line

    # the last cycle failed: 1, with its message, even though the last success is recent
    _cycle(state, "error", T0 + timedelta(minutes=60), "ServiceError: Gmail không trả lời")
    code, line = _check(ward, T0 + timedelta(minutes=70), capsys)
    assert code == CHECK_FAILED
    assert line.startswith("LỖI") and "ServiceError: Gmail không trả lời" in line

    # a cycle started and never finished (running, or its process died) does not hide the
    # failure before it; once the failure is two periods old a success is still missing
    _cycle(state, "running", T0 + timedelta(minutes=90))
    code, _ = _check(ward, T0 + timedelta(minutes=95), capsys)
    assert code == CHECK_FAILED

    _cycle(state, "ok", T0 + timedelta(minutes=120))
    code, _ = _check(ward, T0 + timedelta(minutes=125), capsys)
    assert code == CHECK_OK


def test_status_prints_the_last_cycle_and_what_waits_then_the_table(ward: Path, capsys):
    # a Saturday: every notice due waits for Monday's send window
    assert main(["run", "--once", "--config", str(ward), "--now", "2026-11-28T09:05"]) == 0
    capsys.readouterr()
    state = _state(ward)
    with StateStore(state, read_only=True) as store:
        waiting = json.loads(store.meta(HEALTH_KEY) or "{}")["waiting"]
    assert waiting > 0

    # the daemon holds the ward's lock: status reads all the same
    with WardLock(state):
        assert main(["status", "--config", str(ward), "--now", "2026-11-28T09:20"]) == 0
        out = capsys.readouterr().out
        code = main(["status", "--check", "--config", str(ward), "--now", "2026-11-28T09:20"])
        assert code == CHECK_OK
        assert f"{waiting} thông báo chờ khung giờ gửi" in capsys.readouterr().out
    lines = out.splitlines()
    assert lines[1].startswith(
        "Chu kỳ gần nhất: kết thúc 28/11/2026 09:05 (cách đây 15 phút), thành công."
    )
    assert lines[2].startswith("  25 chi bộ (24 quá hạn)")  # the cycle's own summary
    assert "Giám sát (kns status --check): BÌNH THƯỜNG (mã thoát 0)." in lines
    assert f"  - {waiting} thông báo đến hạn chờ khung giờ gửi (alerts.window)" in lines
    assert any(line.startswith("Đang có chu kỳ đồng bộ chạy (PID") for line in lines)
    rows = [i for i, line in enumerate(lines) if line.startswith("CB")]
    assert len(rows) == 25
    assert rows[0] > lines.index("Giám sát (kns status --check): BÌNH THƯỜNG (mã thoát 0).")


def test_an_idle_cycle_records_what_waits_too(ward: Path, capsys):
    assert main(["run", "--once", "--config", str(ward), "--now", "2026-11-23T08:00"]) == 0
    state = _state(ward)
    with StateStore(state) as store:
        store.set_meta(HEALTH_KEY, "")  # forget what the first cycle recorded
    assert main(["run", "--once", "--config", str(ward), "--now", "2026-11-23T08:05"]) == 0
    capsys.readouterr()
    with StateStore(state, read_only=True) as store:
        assert store.last_cycle().status == "idle"
        recorded = json.loads(store.meta(HEALTH_KEY) or "{}")
    assert set(recorded) == {"held", "queued", "unaddressable", "waiting"}
    assert (recorded["held"], recorded["queued"], recorded["waiting"]) == ([], 0, 0)
    code, line = _check(ward, datetime.fromisoformat("2026-11-23T08:10+07:00"), capsys)
    assert code == CHECK_OK
    assert line == (
        "BÌNH THƯỜNG: chu kỳ gần nhất kết thúc 23/11/2026 08:05 (cách đây 5 phút), thành "
        "công, không có gì thay đổi"
    )


def _queued(n: int) -> tuple[Alert, ...]:
    return tuple(
        Alert(
            f"bao_cao:CB0{i}:overdue:1",
            AlertKind.OVERDUE,
            ("a@x.vn",),
            (),
            f"CB0{i}",
            "bao_cao",
            "1",
            T0,
        )
        for i in range(1, n + 1)
    )


def test_ledger_entries_left_unsettled_and_held_sources_are_listed(tmp_path: Path):
    path = tmp_path / "state.sqlite"
    plan = AlertPlan(due=(), waiting=(), unaddressable=(), queued=_queued(3))
    held = ["bieu_mau_02", "roster"]
    with StateStore(path) as store:
        cycle_id = store.begin_cycle(T0)
        for alert_id in ("bao_cao:CB04:escalation:3", "digest:2026-W48"):
            store.record_intent(
                alert_id,
                kind="overdue",
                branch_code="CB04",
                milestone_id="bao_cao",
                recipients="bithu@example.org",
                subject="[Quá hạn]",
                now=T0,
            )
        store.record_result("digest:2026-W48", "unknown", now=T0, error="dừng giữa chừng")
        record_health(store, plan, held)
        store.finish_cycle(cycle_id, "ok", "25 chi bộ", T0)
        recorded = store.meta(HEALTH_KEY)
        record_health(store, plan, held)
        assert store.meta(HEALTH_KEY) == recorded

    health = read_health(path, T0 + timedelta(minutes=5), 30)
    assert health.queued == 3 and health.held == ("bieu_mau_02", "roster")
    assert health.intents == ("bao_cao:CB04:escalation:3",)
    assert health.unknown == ("digest:2026-W48",)
    text = "\n".join(status_lines(health))
    assert "3 thông báo chờ ngày sau: đã đủ giới hạn gửi trong ngày (mail.daily_limit)" in text
    assert (
        "1 thông báo đã ghi ý định gửi, chưa rõ kết quả; chu kỳ sau kiểm tra lại: "
        "bao_cao:CB04:escalation:3" in text
    )
    assert '1 thông báo "không rõ" đã đi hay chưa' in text and "digest:2026-W48" in text
    assert "nguồn 'bieu_mau_02' bị giữ lại" in text
    assert "kns run --once --accept-shrink bieu_mau_02" in text
    assert "bithu@example.org" not in text  # ids only, never the recipients
    line = check_line(health)
    assert line.startswith("BÌNH THƯỜNG") and "2 nguồn bị giữ lại (bieu_mau_02, roster)" in line
    assert health.exit_code == CHECK_OK  # waiting is not a failure: the line says it
