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
from tests.sample_facts import (
    CAMPAIGN_MESSAGES,
    FIRST_CYCLE_MESSAGES,
    first_cycle_learning_ids,
)

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
    # 89 due on Monday (tests/sample_facts.py), 20 fit. By sync/alerts.py's priorities
    # (digest 0, escalation 1, overdue 2, reminder 3, learning summary 4, learning letter 5)
    # and the order the cycle plans them in:
    # - the notices are planned first with one message kept for the digest: room 20 - 1 = 19,
    #   taken by 19 of the 62 branch escalations (they rank above the ward's own overdue
    #   notice); 43 escalations + tong_ket:ward:overdue:1 = 44 notices wait;
    # - the digest takes the message kept for it: 20 sent;
    # - the "Bình dân học vụ số" follow-ups come last and find no room: all 24 letters and
    #   the ward's summary wait (25). CB21's letter is unaddressable, not queued.
    notices_queued = CAMPAIGN_MESSAGES - 20  # 64 - 20 = 44
    queued = FIRST_CYCLE_MESSAGES - 20  # 44 + 25 = 69
    assert len(first.sent) == 20
    assert len(first.plan.queued) == queued == 69
    assert "digest:2026-W48" in first.sent  # the ward staff hear first
    assert any(a.startswith("bao_cao:") and ":escalation:" in a for a in first.sent)
    assert not any(a.startswith("hoc_tap:") for a in first.sent)
    waiting_ids = [a.alert_id for a in first.plan.queued]
    assert "tong_ket:ward:overdue:1" in waiting_ids
    assert {a for a in waiting_ids if a.startswith("hoc_tap:")} == first_cycle_learning_ids()
    assert f"chờ ngày sau (giới hạn gửi trong ngày): {queued}" in first.summary()
    digest = next(cfg.mail.outbox_dir.glob("digest_*.eml"))
    body = message_from_bytes(digest.read_bytes(), policy=policy.default)
    text = body.get_body(("plain",)).get_content()
    # the digest is written before the follow-ups are planned: it counts the campaign's
    # notices that wait (its words: "thư nhắc, báo quá hạn"), not the learning letters
    assert f"còn {notices_queued} thư nhắc, báo quá hạn chờ gửi" in text

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
    # by hand, with the same priorities: Tue 24/11 sends 20 of the 43 escalations, Wed 25/11
    # 20 more; Thu 26/11 the last 3 and tong_ket's 2nd notice (8 days over: overdue:2 takes
    # overdue:1's place), then the learning summary (priority 4) and 15 letters fill the
    # 20; Fri 27/11 the last 9 letters: nothing waits any more, on the 4th day
    assert days == 4
    assert first_cycle_learning_ids() <= sent  # November's letters, each once
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
