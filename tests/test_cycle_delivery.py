"""Never twice, never lost: repeated cycles, and a cycle killed in the middle of sending."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from sync.backend import embedded_backend, load_inputs
from sync.config import load_config
from sync.cycle import run_cycle
from sync.state import StateStore
from tests.conftest import ROOT, copy_sample_ward
from tests.letters_util import outbox_items, outbox_messages

NOW = datetime.fromisoformat("2026-11-23T08:00:00+07:00")


@pytest.fixture()
def ward(tmp_path: Path) -> Path:
    """A private copy of the sample ward, so outputs land in tmp_path/out."""
    return copy_sample_ward(tmp_path)


def _cycle(config: Path, now: datetime = NOW, transport=None):
    cfg = load_config(config)
    inputs = load_inputs(cfg)
    backend = embedded_backend(cfg)
    if transport is not None:
        backend.transport = transport(backend.transport)
    with StateStore(cfg.state.path) as store:
        return run_cycle(inputs, store, backend, now), cfg


def _outbox_ids(cfg) -> list[str]:
    """Every alert the outbox's messages carry (a branch's letter carries several)."""
    return outbox_items(cfg.mail.outbox_dir)


def test_second_cycle_with_same_inputs_changes_nothing_and_sends_nothing(ward: Path):
    first, cfg = _cycle(ward)
    assert first.sent, "the sample ward has alerts due on Monday 23/11 at 08:00"
    assert first.wrote_tables
    files = {p.name: p.read_bytes() for p in cfg.mail.outbox_dir.glob("*.eml")}
    workbook = cfg.destination.path.read_bytes()
    with StateStore(cfg.state.path) as st:
        ledger = st.ledger()

    second, _ = _cycle(ward)
    assert second.sent == [] and second.failed == []
    assert not second.wrote_tables
    assert {p.name: p.read_bytes() for p in cfg.mail.outbox_dir.glob("*.eml")} == files
    assert cfg.destination.path.read_bytes() == workbook
    with StateStore(cfg.state.path) as st:
        assert st.ledger() == ledger
    assert sorted(_outbox_ids(cfg)) == sorted(first.sent)


def test_dry_run_writes_and_sends_nothing(ward: Path):
    cfg = load_config(ward)
    inputs = load_inputs(cfg)
    with StateStore(cfg.state.path, read_only=True) as store:
        report = run_cycle(inputs, store, embedded_backend(cfg), NOW, dry_run=True)
    assert report.plan.due and report.sent == []
    assert not (ward.parent.parent / "out").exists()


class _Killed(BaseException):
    """Stands for the process dying: not an Exception, so nothing catches it."""


def _dies_after(n: int, *, before_send: bool):
    class Dying:
        def __init__(self, inner) -> None:
            self.inner, self.count = inner, 0

        def send(self, alert_id: str, message: EmailMessage) -> None:
            self.count += 1
            if self.count == n and before_send:
                raise _Killed
            self.inner.send(alert_id, message)
            if self.count == n:
                raise _Killed  # the message left; the ledger never heard of it

        def was_sent(self, alert_id: str) -> bool | None:
            return self.inner.was_sent(alert_id)

    return Dying


@pytest.mark.parametrize("before_send", [False, True])
def test_kill_mid_cycle_then_rerun_sends_every_due_alert_exactly_once(ward: Path, before_send):
    # reference: what one clean cycle sends
    reference_dir = ward.parent.parent / "reference"
    shutil.copytree(ward.parent.parent, reference_dir, ignore=shutil.ignore_patterns("out"))
    clean, _ = _cycle(reference_dir / "config" / "example.yaml")
    assert len(clean.sent) >= 4

    with pytest.raises(_Killed):
        _cycle(ward, transport=_dies_after(3, before_send=before_send))
    cfg = load_config(ward)
    with StateStore(cfg.state.path) as st:
        # the interrupted message is on record: each alert it carries is an intent
        ((key, carried),) = st.intent_messages().items()
    assert key.startswith("thu:") and len(carried) >= 2  # a branch's letter

    rerun, _ = _cycle(ward)
    assert sorted(rerun.recovered) == sorted(carried)
    assert set(rerun.recovered.values()) == {"failed" if before_send else "sent"}
    ids = _outbox_ids(cfg)
    assert sorted(ids) == sorted(clean.sent)  # every due alert, each exactly once
    assert len(ids) == len(set(ids))
    keys = [str(m["X-KNS-Alert-Id"]) for m in outbox_messages(cfg.mail.outbox_dir)]
    assert sorted(keys) == sorted(clean.messages)  # no message twice
    with StateStore(cfg.state.path) as st:
        assert {e.status for e in st.ledger().values()} == {"sent"}


def test_real_sigkill_during_sending_then_rerun(ward: Path):
    """A real process killed with SIGKILL while it writes the outbox."""
    cfg = load_config(ward)
    cmd = [
        sys.executable,
        "-m",
        "sync.cli",
        "run",
        "--once",
        "--config",
        str(ward),
        "--now",
        NOW.isoformat(),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if cfg.mail.outbox_dir.exists() and len(list(cfg.mail.outbox_dir.glob("*.eml"))) >= 2:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.002)
    proc.wait(timeout=60)
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    ids = _outbox_ids(cfg)
    assert len(ids) == len(set(ids))
    with StateStore(cfg.state.path) as st:
        ledger = st.ledger()
    assert sorted(ids) == sorted(a for a, e in ledger.items() if e.status == "sent")
    assert {e.status for e in ledger.values()} == {"sent"}
