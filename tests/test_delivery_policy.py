"""Delivery policies: the daily sending limit (queued, never dropped; the digest says how
many wait) and what an interrupted SMTP send becomes (at most once / at least once)."""

from __future__ import annotations

from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from sync.backend import embedded_backend, load_inputs
from sync.config import SmtpConfig, load_config
from sync.cycle import run_cycle, settle_intents
from sync.outputs.smtp import SmtpTransport
from sync.state import StateStore
from tests.conftest import copy_sample_ward
from tests.sample_facts import first_cycle_learning_ids

MONDAY = datetime.fromisoformat("2026-11-23T08:00:00+07:00")


@pytest.fixture()
def ward(tmp_path: Path) -> Path:
    copy_sample_ward(tmp_path)
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
    # 28 messages are due on Monday (tests/sample_facts.py), 20 fit. The limit counts
    # messages: a branch's letter is one, however many notices it carries. A letter ranks
    # by its most urgent notice (sync/alerts.py: digest 0, escalation 1, overdue 2,
    # reminder 3, learning summary 4, learning follow-up 5), then in plan order:
    # - one message is kept for the digest: room 19, taken by the letters of CB02-CB20
    #   (escalations, branch order); CB22-CB25's letters (escalations), tong_ket and T04's
    #   notices (overdue) and CB01's letter (its learning follow-up only) wait: 7 messages;
    # - the digest takes the message kept for it: 20 sent; the staff's learning summary
    #   finds no room and waits too.
    assert len(first.messages) == 20
    assert first.messages[-1] == "digest:2026-W48"  # the ward staff hear on the first day
    held_letters = 7
    sent_branches = {k.split(":")[1] for k in first.messages if k.startswith("thu:")}
    assert sent_branches == {f"CB{n:02d}" for n in range(2, 21)}
    waiting_ids = {a.alert_id for a in first.plan.queued}
    assert "tong_ket:ward:overdue:1" in waiting_ids
    assert "to_cong_nghe_so:team:T04:overdue:4" in waiting_ids
    assert "hoc_tap:CB01:2026-11" in waiting_ids and "hoc_tap:ward:2026-11" in waiting_ids
    assert {a.branch_code for a in first.plan.queued if a.branch_code.startswith("CB")} == {
        "CB01",
        "CB22",
        "CB23",
        "CB24",
        "CB25",
    }
    assert f"chờ ngày sau (giới hạn gửi trong ngày): {len(first.plan.queued)}" in (
        first.summary()
    )
    digest = next(cfg.mail.outbox_dir.glob("digest_*.eml"))
    body = message_from_bytes(digest.read_bytes(), policy=policy.default)
    text = body.get_body(("plain",)).get_content()
    assert f"còn {held_letters} thư nhắc, báo quá hạn chờ gửi" in text

    # the same day: the limit is used up, nothing more leaves
    again, _ = _cycle(ward, MONDAY.replace(hour=15))
    assert again.sent == [] and len(again.plan.queued) == len(first.plan.queued)

    # Tuesday: the 7 held messages and the learning summary (8 <= 20), nothing new is due
    # (every notice sent on Monday is in its week; the digest went): the queue is empty
    second, _ = _cycle(ward, MONDAY + timedelta(days=1))
    assert len(second.messages) == held_letters + 1
    assert not second.plan.queued and not second.plan.waiting
    assert set(second.sent) == waiting_ids  # every queued notice went, none dropped
    assert first_cycle_learning_ids() <= set(first.sent) | set(second.sent)
    with StateStore(cfg.state.path) as st:
        ledger = st.ledger()
    messages = {e.message_key or e.alert_id for e in ledger.values()}
    assert len(messages) == len(list(cfg.mail.outbox_dir.glob("*.eml"))) == 28


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


class _Asked:
    """A transport that cannot tell (as SMTP), recording what it is asked about."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def send(self, alert_id: str, message) -> None:  # pragma: no cover - never called here
        raise AssertionError("settling never sends")

    def was_sent(self, alert_id: str) -> bool | None:
        self.asked.append(alert_id)
        return None


def test_an_interrupted_letter_is_settled_as_one_message(tmp_path: Path):
    """Two alerts carried by one letter: one question about the letter, the same answer
    for both (never one resent and the other not)."""
    store = StateStore(tmp_path / "state.sqlite")
    for alert_id in ("bao_cao:CB01:escalation:3", "hoc_tap:CB01:2026-11"):
        store.record_intent(
            alert_id,
            kind="escalation",
            branch_code="CB01",
            milestone_id="bao_cao",
            recipients="a@x.vn",
            subject="s",
            now=MONDAY,
            message_key="thu:CB01:0123456789ab",
        )
    transport = _Asked()
    settled = settle_intents(store, transport, MONDAY)
    assert transport.asked == ["thu:CB01:0123456789ab"]
    assert settled == {
        "bao_cao:CB01:escalation:3": "unknown",
        "hoc_tap:CB01:2026-11": "unknown",
    }
    store.close()
