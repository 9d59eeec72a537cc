"""Delivery policies: the daily sending limit (queued, never dropped; the digest says how
many wait) and what an interrupted SMTP send becomes (at most once / at least once)."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from sync.backend import embedded_backend, load_inputs
from sync.config import SmtpConfig, load_config
from sync.cycle import run_cycle, settle_intents
from sync.outputs.smtp import SmtpTransport
from sync.state import StateStore
from tests.sample_facts import FIRST_CYCLE_MESSAGES

ROOT = Path(__file__).resolve().parent.parent
MONDAY = datetime.fromisoformat("2026-11-23T08:00:00+07:00")


@pytest.fixture()
def ward(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "config", tmp_path / "config")
    shutil.copytree(ROOT / "mappings", tmp_path / "mappings")
    path = tmp_path / "config" / "example.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("  transport: outbox\n", "  transport: outbox\n  daily_limit: 20\n")
    )
    return path


def _cycle(config: Path, now: datetime):
    cfg = load_config(config)
    with StateStore(cfg.state.path) as store:
        return run_cycle(load_inputs(cfg), store, embedded_backend(cfg), now), cfg


def test_daily_limit_queues_the_rest_and_the_digest_says_how_many(ward: Path):
    first, cfg = _cycle(ward, MONDAY)
    # 64 due on Monday (tests/sample_facts.py): 20 fit, the digest and 19 notices, the most
    # urgent first: the 62 branch escalations rank above the ward's own overdue notice
    queued = FIRST_CYCLE_MESSAGES - 20
    assert len(first.sent) == 20
    assert len(first.plan.queued) == queued == 44
    assert "digest:2026-W48" in first.sent  # the ward staff hear first
    assert any(a.startswith("bao_cao:") and ":escalation:" in a for a in first.sent)
    assert "tong_ket:ward:overdue:1" in [a.alert_id for a in first.plan.queued]
    assert f"chờ ngày sau (giới hạn gửi trong ngày): {queued}" in first.summary()
    digest = next(cfg.mail.outbox_dir.glob("digest_*.eml"))
    body = message_from_bytes(digest.read_bytes(), policy=policy.default)
    text = body.get_body(("plain",)).get_content()
    assert f"còn {queued} thư nhắc, báo quá hạn chờ gửi" in text

    # the same day: the limit is used up, nothing more leaves
    again, _ = _cycle(ward, MONDAY.replace(hour=15))
    assert again.sent == [] and len(again.plan.queued) == queued

    # the next days take the rest; every queued notice goes out (or a later one of the same
    # branch and milestone replaces it): nothing is dropped
    sent = set(first.sent)
    for days in range(1, 15):
        report, _ = _cycle(ward, MONDAY + timedelta(days=days))
        assert len(report.sent) <= 20
        sent |= set(report.sent)
        if not report.plan.queued and not report.plan.waiting:
            break
    assert not report.plan.queued, "the queue drains within two weeks"
    with StateStore(cfg.state.path) as st:
        ledger = st.ledger()
    # by the ledger's own columns: a ward notice's id has no branch code in it
    pairs = {(ledger[a].milestone_id, ledger[a].branch_code) for a in sent}
    for alert in first.plan.queued:
        assert (alert.milestone_id, alert.branch_code) in pairs, alert.alert_id
    assert len(ledger) == len(list(cfg.mail.outbox_dir.glob("*.eml")))


def _smtp_store(tmp_path: Path, on_interrupted: str) -> tuple[StateStore, SmtpTransport]:
    store = StateStore(tmp_path / "state.sqlite")
    store.record_intent(
        "bao_cao:CB01:overdue:1",
        kind="overdue",
        branch_code="CB01",
        milestone_id="bao_cao",
        recipients="a@x.vn",
        subject="s",
        now=MONDAY,
    )
    cfg = SmtpConfig(host="127.0.0.1", port=2525, on_interrupted=on_interrupted)
    return store, SmtpTransport(cfg, {})


def test_interrupted_smtp_send_is_not_repeated_by_default(tmp_path: Path):
    store, transport = _smtp_store(tmp_path, "at_most_once")
    assert settle_intents(store, transport, MONDAY) == {"bao_cao:CB01:overdue:1": "unknown"}
    assert store.ledger()["bao_cao:CB01:overdue:1"].status == "unknown"  # never resent


def test_interrupted_smtp_send_is_repeated_when_the_ward_chooses_at_least_once(tmp_path: Path):
    store, transport = _smtp_store(tmp_path, "at_least_once")
    settled = settle_intents(store, transport, MONDAY, resend_unknown=True)
    assert settled == {"bao_cao:CB01:overdue:1": "failed"}  # failed: the plan sends it again
    assert "ít nhất một lần" in store.ledger()["bao_cao:CB01:overdue:1"].error
