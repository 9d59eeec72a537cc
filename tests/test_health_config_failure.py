"""A run that cannot start its cycle because an input is broken (a mapping, the rubric, the
roster, the config file itself) makes `kns status --check` answer "failed" (exit 1) with the
one Vietnamese line saying what is wrong, not "stale" (exit 2) once the last good cycle
grows old; the failure record touches neither the ledger nor the next good cycle, whose
success makes the check answer 0 again. Real processes on real files, as staff and a
monitoring tool run them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sync.config import load_config
from sync.health import CHECK_FAILED, CHECK_OK, CHECK_STALE, CONFIG_ERROR
from sync.state import StateStore
from tests.conftest import ROOT

T0 = "2026-11-23T08:00:00+07:00"  # a Monday; schedule.every_minutes: 30


def _at(hhmm: str) -> str:
    return f"2026-11-23T{hhmm}:00+07:00"


def _kns(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command, as staff and a monitoring tool run it."""
    return subprocess.run(
        [sys.executable, "-m", "sync.cli", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _run(config: Path, now: str) -> subprocess.CompletedProcess[str]:
    return _kns("run", "--once", "--config", str(config), "--now", now)


def _check(config: Path, now: str | None = None) -> tuple[int, str]:
    """`kns status --check`: its exit code and its one line (stdout; nothing on stderr)."""
    when = ["--now", now] if now else []
    done = _kns("status", "--check", "--config", str(config), *when)
    assert done.stderr == "", done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1, done.stdout
    return done.returncode, lines[0]


def _one_line(err: str, *parts: str) -> str:
    """The single line of stderr (no traceback without -v), holding every part."""
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    for part in parts:
        assert part in lines[0], (part, lines[0])
    return lines[0]


def _sent(ward: Path) -> list[str]:
    return sorted(p.name for p in (ward.parent.parent / "out" / "outbox").glob("*.eml"))


def _ledger(state: Path) -> dict[str, object]:
    with StateStore(state, read_only=True) as store:
        return dict(store.ledger())


def _statuses(state: Path) -> list[str]:
    with StateStore(state, read_only=True) as store:
        return [c.status for c in store.cycles()]


def test_a_broken_mapping_after_a_good_cycle_is_failed_not_stale_until_fixed(ward: Path):
    state = load_config(ward).state.path
    assert _run(ward, T0).returncode == 0
    sent, ledger = _sent(ward), _ledger(state)
    assert sent and ledger  # the first cycle sent its letters and kept them in the ledger
    assert _check(ward, _at("08:10"))[0] == CHECK_OK

    mapping = ward.parent.parent / "mappings" / "registration.yaml"
    good = mapping.read_text(encoding="utf-8")
    mapping.write_text(good + "\tcot_moi: [\n", encoding="utf-8")  # a tab, an open list

    done = _run(ward, _at("08:30"))
    assert done.returncode == 1
    reason = _one_line(done.stderr, "Lỗi cấu hình: ", "registration.yaml")

    # five minutes later, and long after two periods: "failed" with that very line, never
    # "stale" (2), never "fine" (0)
    for when, ago in (("08:35", "cách đây 5 phút"), ("11:00", "cách đây 2 giờ 30 phút")):
        code, line = _check(ward, _at(when))
        assert code == CHECK_FAILED != CHECK_STALE
        assert line.startswith("LỖI: chu kỳ lúc 23/11/2026 08:30 (")
        assert ago in line
        assert f"không chạy được: {reason[:150]}" in line  # the line the run printed

    # the timer runs again with the file still broken: the same record, its end moved (the
    # cycle log keeps when the failure began, and is not filled with copies of it)
    assert _run(ward, _at("09:00")).returncode == 1
    assert _statuses(state) == ["ok", CONFIG_ERROR]
    code, line = _check(ward, _at("09:05"))
    assert code == CHECK_FAILED
    assert line.startswith(
        "LỖI: chu kỳ lúc 23/11/2026 09:00 (cách đây 5 phút) không chạy được (từ 23/11/2026 "
        "08:30): Lỗi cấu hình: "
    )
    assert "registration.yaml" in line

    # `kns status` reads the same record (and exits 1 itself: the mapping is still broken)
    done = _kns("status", "--config", str(ward), "--now", _at("09:05"))
    assert done.returncode == 1 and "Traceback" not in done.stderr

    # nothing sent, nothing lost: the ledger and the outbox are as the good cycle left them
    assert _sent(ward) == sent and _ledger(state) == ledger

    # fixed: the next run is a good cycle (nothing changed: idle, nothing sent again), and
    # the check answers 0
    mapping.write_text(good, encoding="utf-8")
    done = _run(ward, _at("09:30"))
    assert done.returncode == 0, done.stderr
    assert _sent(ward) == sent and _ledger(state) == ledger
    assert _statuses(state) == ["ok", CONFIG_ERROR, "idle"]
    code, line = _check(ward, _at("09:35"))
    assert code == CHECK_OK
    assert line == (
        "BÌNH THƯỜNG: chu kỳ gần nhất kết thúc 23/11/2026 09:30 (cách đây 5 phút), thành "
        "công, không có gì thay đổi"
    )


def test_a_broken_roster_is_recorded_with_its_vietnamese_line(ward: Path):
    """The roster is read inside the cycle (lazily): the cycle itself ends "error", with the
    line staff were shown, not a class name."""
    assert _run(ward, T0).returncode == 0
    members = ward.parent / "sample" / "roster" / "dang-vien.csv"
    lines = members.read_text(encoding="utf-8-sig").splitlines()
    members.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")  # a duplicate

    done = _run(ward, _at("08:30"))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "dang-vien.csv" in done.stderr
    code, line = _check(ward, _at("11:00"))
    assert code == CHECK_FAILED
    assert line.startswith("LỖI: chu kỳ gần nhất, kết thúc 23/11/2026 08:30")
    assert "lỗi: Lỗi cấu hình: " in line and "dang-vien.csv" in line
    assert "ConfigError" not in line


def test_a_missing_rubric_on_a_ward_that_never_ran(ward: Path):
    """No good cycle yet: the check names the missing file instead of "never ran"."""
    text = ward.read_text(encoding="utf-8")
    ward.write_text(text.replace("rubric: rubric-2026.yaml", "rubric: rubric-2025.yaml"))
    done = _run(ward, T0)
    assert done.returncode == 1
    _one_line(done.stderr, "rubric-2025.yaml", "không tìm thấy tệp tiêu chí chấm điểm")
    code, line = _check(ward, _at("08:05"))
    assert code == CHECK_FAILED
    assert "không chạy được" in line and "rubric-2025.yaml" in line
    assert "chưa có chu kỳ" not in line
    # a dry run records nothing (it writes nothing)
    assert _kns("run", "--dry-run", "--config", str(ward), "--now", T0).returncode == 1
    assert _statuses(load_config(ward).state.path) == [CONFIG_ERROR]


def test_the_service_stopping_at_start_on_a_broken_mapping_is_failed(ward: Path):
    """`kns run` (the service) checks its inputs once at start and stops on a mistake every
    cycle would repeat; systemd restarts it: still one record, and the check says why."""
    state = load_config(ward).state.path
    assert _run(ward, T0).returncode == 0
    text = ward.read_text(encoding="utf-8")
    ward.write_text(text.replace("../mappings/registration.yaml", "../mappings/dang-ky.yaml"))
    for _restart in range(2):
        done = _kns("run", "--config", str(ward))
        assert done.returncode == 1
        _one_line(done.stderr, "Lỗi cấu hình: ", "dang-ky.yaml")
    assert _statuses(state) == ["ok", CONFIG_ERROR]
    code, line = _check(ward)  # the clock, as the monitoring tool runs it
    assert code == CHECK_FAILED
    assert "không chạy được: Lỗi cấu hình: " in line and "dang-ky.yaml" in line


def test_an_unparseable_config_fails_the_check_itself(ward: Path):
    """The state's path is in the config: with a config that cannot be read there is no
    state to record in or to read. The check fails on its own, exit 1, its one line on
    stdout naming the file and the line, no traceback."""
    state = load_config(ward).state.path
    assert _run(ward, T0).returncode == 0
    good = ward.read_text(encoding="utf-8")
    ward.write_text(good.replace("every_minutes: 30", "every_minutes: [30"), encoding="utf-8")

    for command in (["run", "--once", "--now", _at("08:30")], ["run"]):  # timer, service
        done = _kns(*command, "--config", str(ward))
        assert done.returncode == 1
        _one_line(done.stderr, "example.yaml", "lỗi cú pháp YAML")
    assert _statuses(state) == ["ok"]  # nothing could be recorded, nothing was touched

    code, line = _check(ward, _at("11:00"))
    assert code == CHECK_FAILED != CHECK_STALE
    assert line.startswith("LỖI: không dùng được tệp cấu hình: ")
    assert str(ward) in line and "lỗi cú pháp YAML" in line and "dòng " in line
    verbose = _kns("status", "--check", "-v", "--config", str(ward), "--now", _at("11:00"))
    assert verbose.returncode == CHECK_FAILED and "Traceback" in verbose.stderr  # -v only

    # a config that parses but is not valid: the same, several problems counted in one line
    ward.write_text("ward:\n  name: Phường Mẫu\n", encoding="utf-8")
    code, line = _check(ward, _at("11:00"))
    assert code == CHECK_FAILED
    assert line.startswith("LỖI: không dùng được tệp cấu hình (") and "kns check" in line

    # a missing config file too
    code, line = _check(ward.parent / "khong-co.yaml", _at("11:00"))
    assert code == CHECK_FAILED and "khong-co.yaml" in line

    ward.write_text(good, encoding="utf-8")  # fixed: the state was never touched
    assert _check(ward, _at("08:40"))[0] == CHECK_OK
