"""One writer per ward, tested with real processes: two `kns run --once` started together
(the service's timer and a manual run) deliver every alert exactly once, on the .eml
outbox and on a real SMTP server; a second writer says who holds the lock and exits with
its own code; the service keeps the lock for its whole life."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from sync.cli import EXIT_BUSY
from sync.config import load_config
from sync.lock import WardBusy, WardLock, holder
from sync.state import StateStore
from tests.conftest import ROOT
from tests.letters_util import outbox_items
from tests.sample_facts import FIRST_CYCLE_MESSAGES

NOW = "2026-11-23T08:00:00+07:00"
# the messages due on Monday 23/11 08:00, one letter per branch (why: tests/sample_facts.py)
DUE_ON_MONDAY = FIRST_CYCLE_MESSAGES


def _kns(config: Path, *args: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "sync.cli", "run", "--config", str(config), *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _together(config: Path, n: int = 2) -> list[tuple[int, str]]:
    procs = [_kns(config, "--once", "--now", NOW) for _ in range(n)]
    out = []
    for p in procs:
        _, err = p.communicate(timeout=120)
        out.append((p.returncode, err))
    return out


def _outbox_ids(config: Path) -> list[str]:
    cfg = load_config(config)
    return [
        str(message_from_bytes(p.read_bytes())["X-KNS-Alert-Id"])
        for p in cfg.mail.outbox_dir.glob("*.eml")
    ]


def _assert_runs(results: list[tuple[int, str]]) -> None:
    codes = [code for code, _ in results]
    assert set(codes) <= {0, EXIT_BUSY} and 0 in codes, results
    for code, err in results:
        if code == EXIT_BUSY:
            assert "Một chu kỳ đồng bộ khác đang chạy cho phường này" in err
            assert "Traceback" not in err


def test_two_runs_started_together_write_every_eml_once(ward: Path):
    for _ in range(3):  # each round starts both at once; later rounds find nothing due
        _assert_runs(_together(ward))
    ids = _outbox_ids(ward)
    assert len(ids) == DUE_ON_MONDAY and len(set(ids)) == DUE_ON_MONDAY
    carried = outbox_items(load_config(ward).mail.outbox_dir)
    assert len(carried) == len(set(carried))  # no alert in two messages
    with StateStore(load_config(ward).state.path) as st:
        ledger = st.ledger()
    assert sorted(a for a, e in ledger.items() if e.status == "sent") == sorted(carried)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.ids: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: object, session: Session, envelope: Envelope) -> str:
        data = envelope.content
        assert isinstance(data, bytes)
        with self.lock:
            self.ids.append(str(message_from_bytes(data)["X-KNS-Alert-Id"]))
        return "250 OK"


def test_two_runs_started_together_send_every_smtp_message_once(ward: Path):
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=5)
    controller.start()
    try:
        text = ward.read_text(encoding="utf-8")
        ward.write_text(
            text.replace(
                "  transport: outbox\n  outbox_dir: ../out/outbox\n",
                f"  transport: smtp\n  smtp:\n    host: 127.0.0.1\n    port: {port}\n"
                "    security: none\n",
            ),
            encoding="utf-8",
        )
        for _ in range(3):
            _assert_runs(_together(ward))
    finally:
        controller.stop()
    counts = Counter(inbox.ids)
    assert len(counts) == DUE_ON_MONDAY
    assert max(counts.values()) == 1, [a for a, n in counts.items() if n > 1]


def test_a_second_writer_names_the_holder_and_exits_with_its_own_code(ward: Path):
    cfg = load_config(ward)
    with WardLock(cfg.state.path):
        assert holder(cfg.state.path) == os.getpid()
        p = _kns(ward, "--once", "--now", NOW)
        out, err = p.communicate(timeout=60)
        assert p.returncode == EXIT_BUSY
        assert f"PID {os.getpid()}" in err
        assert err.count("\n") == 1 and "Traceback" not in err  # one line for staff
        with pytest.raises(WardBusy):
            WardLock(cfg.state.path).acquire()
        # readers do not need the lock
        for command in ("status", "preview-mail"):
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            r = subprocess.run(
                [sys.executable, "-m", "sync.cli", command, "--config", str(ward), "--now", NOW],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert r.returncode == 0, r.stderr
        dry = _kns(ward, "--dry-run", "--now", NOW)
        _, err = dry.communicate(timeout=120)
        assert dry.returncode == 0, err
    assert not cfg.mail.outbox_dir.exists()  # nothing ran while the lock was held
    assert holder(cfg.state.path) is None


def test_the_service_holds_the_lock_for_its_whole_life(ward: Path):
    cfg = load_config(ward)
    service = _kns(ward)
    try:
        deadline = time.monotonic() + 60
        while holder(cfg.state.path) != service.pid and time.monotonic() < deadline:
            assert service.poll() is None, service.communicate()
            time.sleep(0.05)
        assert holder(cfg.state.path) == service.pid
        manual = _kns(ward, "--once")
        _, err = manual.communicate(timeout=60)
        assert manual.returncode == EXIT_BUSY and f"PID {service.pid}" in err
        second_service = _kns(ward)
        _, err = second_service.communicate(timeout=60)
        assert second_service.returncode == EXIT_BUSY
    finally:
        service.send_signal(signal.SIGTERM)
        service.communicate(timeout=60)
    assert service.returncode == 0
    assert holder(cfg.state.path) is None


def test_a_killed_holder_leaves_no_lock_behind(ward: Path):
    cfg = load_config(ward)
    service = _kns(ward)
    deadline = time.monotonic() + 60
    while holder(cfg.state.path) != service.pid and time.monotonic() < deadline:
        time.sleep(0.05)
    service.send_signal(signal.SIGKILL)
    service.communicate(timeout=60)
    assert holder(cfg.state.path) is None  # the OS released it with the process
    again = _kns(ward, "--once", "--now", NOW)
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
