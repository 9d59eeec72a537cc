"""A letter handed to the SMTP server whose answer is lost (the connection drops after the
message's content) may have gone out, and an SMTP server cannot be asked. The process keeps
running: the cycle itself records it "unknown" and the next cycle does not send it again
(at most once, the default); a ward that chose at-least-once gets it sent again."""

from __future__ import annotations

import socket
import threading
from collections import Counter
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from sync.cli import main
from sync.config import load_config
from sync.state import StateStore
from tests.conftest import copy_sample_ward

MONDAY = "2026-11-23T08:00:00+07:00"
LATER = "2026-11-23T09:00:00+07:00"


class _HangsUpOnce:
    """Takes every message; for the first one, drops the connection before its "250"."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.lock = threading.Lock()
        self.dropped: str | None = None

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Session, envelope: Envelope
    ) -> str:
        data = envelope.original_content or b""
        key = str(message_from_bytes(data)["X-KNS-Alert-Id"])
        with self.lock:
            self.keys.append(key)
            first = self.dropped is None
            if first:
                self.dropped = key
        if first:
            server.transport.abort()  # stored, and the answer never comes
        return "250 OK"


@pytest.fixture()
def inbox() -> Any:
    handler = _HangsUpOnce()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=5)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def _ward(tmp_path: Path, port: int, on_interrupted: str) -> Path:
    copy_sample_ward(tmp_path)
    config = tmp_path / "config" / "example.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace(
            "  transport: outbox\n  outbox_dir: ../out/outbox\n",
            f"  transport: smtp\n  smtp:\n    host: 127.0.0.1\n    port: {port}\n"
            f"    security: none\n    timeout_seconds: 5\n    on_interrupted: {on_interrupted}\n",
        ),
        encoding="utf-8",
    )
    return config


def _statuses(config: Path, key: str) -> set[str]:
    cfg = load_config(config)
    with StateStore(cfg.state.path) as store:
        return {e.status for e in store.ledger().values() if (e.message_key or "") == key}


@pytest.mark.parametrize(
    ("on_interrupted", "recorded", "copies"),
    [("at_most_once", "unknown", 1), ("at_least_once", "failed", 2)],
)
def test_a_lost_answer_is_unknown_and_not_sent_twice_by_default(
    tmp_path: Path, inbox: Any, on_interrupted: str, recorded: str, copies: int
) -> None:
    handler, port = inbox
    config = _ward(tmp_path, port, on_interrupted)

    assert main(["run", "--once", "--config", str(config), "--now", MONDAY]) in (0, 1)
    assert handler.dropped is not None
    assert _statuses(config, handler.dropped) == {recorded}

    assert main(["run", "--once", "--config", str(config), "--now", LATER]) == 0
    counts = Counter(handler.keys)
    assert counts[handler.dropped] == copies  # default: the one copy it may have had
    assert max(n for k, n in counts.items() if k != handler.dropped) == 1
    if copies == 2:
        assert _statuses(config, handler.dropped) == {"sent"}
