"""Running under systemd: the units in contrib/ pass `systemd-analyze verify`, the daemon
speaks the notify protocol (READY, STATUS, WATCHDOG, STOPPING) to a real AF_UNIX datagram
socket, and logs one line per event (no time under systemd; JSON with --log-format json)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from sync.service import (
    JsonFormatter,
    Notifier,
    OneLineFormatter,
    log_formatter,
)
from tests.conftest import ROOT, copy_sample_ward

CONTRIB = ROOT / "contrib"
UNITS = ("kynangso-sync.service", "kynangso-sync-once.service", "kynangso-sync.timer")
INSTALLED_KNS = "/opt/kynangso-sync/.venv/bin/kns"


def _unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A unit file's sections -> key -> values (a key may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in (CONTRIB / name).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def test_units_are_hardened_and_keep_their_state():
    daemon = _unit("kynangso-sync.service")["Service"]
    once = _unit("kynangso-sync-once.service")["Service"]
    timer = _unit("kynangso-sync.timer")["Timer"]
    assert daemon["Type"] == ["notify"] and daemon["WatchdogSec"] == ["1h"]
    assert daemon["ExecStart"] == [f"{INSTALLED_KNS} run --config /etc/kynangso-sync/config.yaml"]
    assert daemon["Restart"] == ["on-failure"] and daemon["RestartSec"]
    assert once["Type"] == ["oneshot"] and "--once" in once["ExecStart"][0].split()
    assert timer["Unit"] == ["kynangso-sync-once.service"] and timer["OnUnitActiveSec"]
    for service in (daemon, once):
        # a system user of its own, not DynamicUser=: the ledger must outlive every run
        assert service["User"] == ["kns"] and "DynamicUser" not in service
        assert service["StateDirectory"] == ["kynangso-sync"]
        assert service["WorkingDirectory"] == ["/var/lib/kynangso-sync"]
        for key, value in {
            "ProtectSystem": "strict",
            "ProtectHome": "true",
            "NoNewPrivileges": "true",
            "PrivateTmp": "true",
        }.items():
            assert service[key] == [value], key


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_units_pass_systemd_analyze_verify(tmp_path: Path):
    # verify requires ExecStart's binary to exist: point it at this checkout's `kns`
    kns = Path(sys.executable).with_name("kns")
    if not kns.exists():
        kns = tmp_path / "kns"
        kns.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
        kns.chmod(0o755)
    for name in UNITS:
        text = (CONTRIB / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace(INSTALLED_KNS, str(kns)), encoding="utf-8")

    def verify(*names: str) -> tuple[int, str]:
        done = subprocess.run(
            ["systemd-analyze", "verify", *(f"./{n}" for n in names)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done.returncode, done.stdout + done.stderr

    code, out = verify(*UNITS)
    # verify exits 0 on unknown keys and bad values too (it only warns): any line about
    # our units is a failure. It does not look the user `kns` up (it need not exist here).
    ours = [line for line in out.splitlines() if "kynangso" in line or str(tmp_path) in line]
    assert code == 0 and not ours, out

    # the check above would see a typo: verify warns about it
    (tmp_path / "typo.service").write_text(
        (tmp_path / UNITS[0]).read_text(encoding="utf-8").replace("ProtectHome=", "ProtectHom="),
        encoding="utf-8",
    )
    _, out = verify("typo.service")
    assert "ProtectHom" in out


# ---------------------------------------------------------------------------------------
# sd_notify
# ---------------------------------------------------------------------------------------


def _bind(path: Path | str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(5)
    return sock


def test_notify_messages_reach_a_socket_by_path_and_in_the_abstract_namespace(tmp_path: Path):
    with _bind(tmp_path / "n") as sock:
        notify = Notifier({"NOTIFY_SOCKET": str(tmp_path / "n")})
        assert notify.enabled and notify.ping_every is None
        assert notify.ready("Chạy định kỳ mỗi 30 phút")
        assert sock.recv(4096).decode() == "READY=1\nSTATUS=Chạy định kỳ mỗi 30 phút"
        assert notify.status("dòng một\ndòng hai")  # STATUS= stays on one line
        assert sock.recv(4096).decode() == "STATUS=dòng một dòng hai"
        assert notify.stopping()
        assert sock.recv(4096).decode().startswith("STOPPING=1\n")
        assert not notify.watchdog()  # no WATCHDOG_USEC: no pings

    name = f"kns-test-{os.getpid()}-{time.monotonic_ns()}"
    with _bind("\0" + name) as sock:
        assert Notifier({"NOTIFY_SOCKET": "@" + name}).status("trừu tượng")
        assert sock.recv(4096).decode() == "STATUS=trừu tượng"

    outside = Notifier({})
    assert not outside.enabled and not outside.ready("x") and outside.tick() == 1.0
    # a socket that went away: the daemon goes on
    assert not Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone")}).status("x")


def test_watchdog_pings_at_least_every_half_of_watchdog_usec(tmp_path: Path):
    with _bind(tmp_path / "n") as sock:
        env = {"NOTIFY_SOCKET": str(tmp_path / "n"), "WATCHDOG_USEC": "1000000"}
        notify = Notifier(env)
        assert notify.ping_every == 0.5 and notify.tick(1.0) == 0.25
        assert notify.watchdog()
        assert sock.recv(64) == b"WATCHDOG=1"
        assert not notify.watchdog()  # pinged a moment ago
        assert notify.watchdog(force=True)
        assert sock.recv(64) == b"WATCHDOG=1"
        time.sleep(0.26)
        assert notify.watchdog()
    # WATCHDOG_PID names another process: the watchdog is not ours
    other = Notifier({**env, "WATCHDOG_PID": str(os.getpid() + 1)})
    assert other.ping_every is None and not other.watchdog()


def test_the_daemon_notifies_systemd_and_logs_json_lines(tmp_path: Path):
    copy_sample_ward(tmp_path)
    ward = tmp_path / "config" / "example.yaml"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM")
    }
    # a 2-second watchdog: the loop must ping at least every second between cycles
    env.update(
        PYTHONPATH=str(ROOT),
        NOTIFY_SOCKET=str(tmp_path / "notify"),
        WATCHDOG_USEC="2000000",
        INVOCATION_ID="0123456789abcdef",
    )
    messages: list[tuple[float, str]] = []
    with _bind(tmp_path / "notify") as sock:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sync.cli", "run", "--config", str(ward)]
            + ["--log-format", "json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            pings = 0
            while time.monotonic() < deadline and pings < 3:
                try:
                    text = sock.recv(4096).decode()
                except TimeoutError:
                    break
                messages.append((time.monotonic(), text))
                pings += text == "WATCHDOG=1"
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
            sock.settimeout(0.2)
            with contextlib.suppress(TimeoutError):
                while True:  # what came after the last ping read: STOPPING=1 last
                    messages.append((time.monotonic(), sock.recv(4096).decode()))
        finally:
            if proc.poll() is None:
                proc.kill()
    texts = [t for _, t in messages]
    assert proc.returncode == 0, err
    assert texts[0] == "READY=1\nSTATUS=Chạy định kỳ mỗi 30 phút"
    assert texts[1].startswith("STATUS=Đang chạy chu kỳ bắt đầu lúc ")
    assert re.match(r"STATUS=Chu kỳ lúc \d\d/\d\d/\d{4} \d\d:\d\d xong: 25 chi bộ", texts[2])
    stamps = [at for at, t in messages if t == "WATCHDOG=1"]
    assert len(stamps) >= 3
    # at least every half of WATCHDOG_USEC (1 s) between cycles
    assert all(b - a <= 1.0 for a, b in zip(stamps, stamps[1:], strict=False))
    assert texts[-1].startswith("STOPPING=1")
    # --log-format json: every line one object
    entries = [json.loads(line) for line in err.splitlines()]
    assert entries and all(set(e) >= {"time", "level", "message", "logger"} for e in entries)
    assert entries[-1]["message"] == "Đã dừng." and entries[-1]["level"] == "INFO"
    assert datetime.fromisoformat(entries[0]["time"]).tzinfo is not None


# ---------------------------------------------------------------------------------------
# Log lines
# ---------------------------------------------------------------------------------------


def _record(exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("hỏng\ndòng hai")
        except ValueError:
            exc_info = sys.exc_info()
    return logging.LogRecord(
        "kns", logging.ERROR, __file__, 1, "Chu kỳ lỗi: %s", ("nguồn A",), exc_info
    )


def test_under_systemd_a_log_line_has_no_time_and_one_line_per_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    fmt = log_formatter("text", {"INVOCATION_ID": "abc"})
    assert isinstance(fmt, OneLineFormatter) and not fmt.priority_prefix
    line = fmt.format(_record(exc=True))
    assert line.startswith("ERROR Chu kỳ lỗi: nguồn A\\nTraceback")
    assert "\n" not in line and "ValueError: hỏng\\ndòng hai" in line

    # stderr is the journal stream ($JOURNAL_STREAM = its device:inode): a priority prefix
    with open(tmp_path / "journal", "w", encoding="utf-8") as stream:
        monkeypatch.setattr(sys, "stderr", stream)
        st = os.fstat(stream.fileno())
        fmt = log_formatter("text", {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"})
        assert fmt.format(_record()) == "<3>ERROR Chu kỳ lỗi: nguồn A"
        redirected = log_formatter("text", {"JOURNAL_STREAM": "1:2"})
        assert redirected.format(_record()) == "ERROR Chu kỳ lỗi: nguồn A"

    # at a terminal: the time first
    terminal = log_formatter("text", {}).format(_record())
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ERROR Chu kỳ lỗi", terminal)


def test_json_log_lines_carry_time_level_message_logger():
    fmt = log_formatter("json", {"INVOCATION_ID": "abc"})
    assert isinstance(fmt, JsonFormatter)
    line = fmt.format(_record(exc=True))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "kns"
    assert entry["message"] == "Chu kỳ lỗi: nguồn A"
    assert "ValueError: hỏng" in entry["exception"]
    assert datetime.fromisoformat(entry["time"]).utcoffset() is not None
