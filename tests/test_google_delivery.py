"""Never twice, never lost, with Gmail: the sample ward through the real clients against the
fake Workspace, with Gmail failing at the worst moments."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from sync.google.apis import GoogleApiError
from sync.state import StateStore
from tests.fake_google import FakeWorkspace
from tests.letters_util import items_in
from tests.sample_facts import FIRST_CYCLE_MESSAGES, first_cycle_alert_ids
from tests.test_contract import GoogleHarness

MONDAY = datetime.fromisoformat("2026-11-23T08:00:00+07:00")
SEND = "gmail.users.messages.send"
SEARCH = "gmail.users.messages.list"
ATTEMPTS = 6  # RetryPolicy().max_attempts


@pytest.fixture()
def google(tmp_path: Path):
    with FakeWorkspace() as fake:
        yield GoogleHarness(tmp_path, fake), fake


def _ids(fake: FakeWorkspace) -> Counter[str]:
    return Counter(str(m["X-KNS-Alert-Id"]) for m in fake.sent_messages())


def test_sent_but_unconfirmed_is_not_sent_again_next_cycle(google):
    h, fake = google
    # the first send is applied, then the connection drops; Gmail search is down too, for
    # every try of the look-up the transport makes
    fake.drop_next(1, api="gmail", method_id=SEND, after_effect=True)
    fake.fail_next(ATTEMPTS, status=503, api="gmail", method_id=SEARCH)
    first = h.cycle(MONDAY)
    # all of the first cycle's messages but the one whose send dropped (the first: the
    # ward's tong_ket notice, a message of its own)
    assert len(first.messages) == FIRST_CYCLE_MESSAGES - 1
    (uncertain,) = first.failed
    with StateStore(h.cfg.state.path) as st:
        assert st.ledger()[uncertain].status == "failed"

    second = h.cycle(MONDAY + timedelta(minutes=30))
    assert second.sent == []  # found in Sent: recorded, not sent again
    counts = _ids(fake)
    assert counts[uncertain] == 1 and set(counts.values()) == {1}
    assert len(counts) == FIRST_CYCLE_MESSAGES
    with StateStore(h.cfg.state.path) as st:
        assert st.ledger()[uncertain].status == "sent"


def test_a_letter_sent_but_unconfirmed_is_not_sent_again_next_cycle(google):
    """The same with a branch's letter (the 3rd message sent: CB02's): every alert
    it carries is settled by one look-up in Sent, by the letter's own code."""
    h, fake = google
    fake.drop_next(1, api="gmail", method_id=SEND, after_effect=True, skip=2)
    fake.fail_next(ATTEMPTS, status=503, api="gmail", method_id=SEARCH)
    first = h.cycle(MONDAY)
    assert len(first.messages) == FIRST_CYCLE_MESSAGES - 1
    branches = {a.split(":")[-3] if not a.startswith("hoc_tap:") else a.split(":")[1]
                for a in first.failed}  # fmt: skip
    assert len(first.failed) >= 2 and len(branches) == 1  # one letter, several alerts
    second = h.cycle(MONDAY + timedelta(minutes=30))
    assert second.sent == [] and second.messages == []
    assert set(_ids(fake).values()) == {1} and len(_ids(fake)) == FIRST_CYCLE_MESSAGES
    carried = items_in(fake.sent_messages())
    assert sorted(carried) == sorted(first_cycle_alert_ids())
    with StateStore(h.cfg.state.path) as st:
        assert {st.ledger()[a].status for a in first.failed} == {"sent"}


def test_a_send_that_never_happened_is_sent_next_cycle(google):
    h, fake = google
    fake.fail_next(1, status=503, api="gmail", method_id=SEND)
    first = h.cycle(MONDAY)
    (failed,) = first.failed
    assert failed not in _ids(fake)
    second = h.cycle(MONDAY + timedelta(minutes=30))
    assert second.sent == [failed]
    assert _ids(fake)[failed] == 1 and len(_ids(fake)) == FIRST_CYCLE_MESSAGES


def test_intent_left_by_a_crash_waits_while_gmail_search_is_down(google):
    h, fake = google
    with StateStore(h.cfg.state.path) as st:
        st.record_intent(
            "bao_cao:CB04:escalation:3",
            kind="escalation",
            branch_code="CB04",
            milestone_id="bao_cao",
            recipients="x",
            subject="s",
            now=MONDAY,
        )
    fake.fail_next(ATTEMPTS, status=503, api="gmail", method_id=SEARCH)
    report = h.cycle(MONDAY)
    assert report.wrote_tables  # the cycle goes on: tabs written, other alerts sent
    # never resent blindly: CB04's letter went without it
    assert "bao_cao:CB04:escalation:3" not in items_in(fake.sent_messages())
    with StateStore(h.cfg.state.path) as st:
        assert st.ledger()["bao_cao:CB04:escalation:3"].status == "intent"
    # search back: Sent has no such message, so it is sent now, once
    later = h.cycle(MONDAY + timedelta(minutes=30))
    assert later.recovered == {"bao_cao:CB04:escalation:3": "failed"}
    assert items_in(fake.sent_messages()).count("bao_cao:CB04:escalation:3") == 1


def test_storm_of_429_and_5xx_is_survived_with_nothing_lost(google):
    h, fake = google
    # every kind of transient failure, spread over the cycle's calls (each call has up to
    # six tries): reads, the summary writes, the sends
    fake.fail_next(1, status=429, api="sheets", retry_after=1)
    fake.fail_next(1, status=500, api="sheets")
    fake.drop_next(1, api="sheets")
    fake.fail_next(1, status=502, api="sheets", method_id="sheets.spreadsheets.values.batchUpdate")
    fake.fail_next(1, status=504, api="sheets", method_id="sheets.spreadsheets.batchUpdate")
    fake.fail_next(3, status=503, api="gmail", method_id=SEND)
    fake.fail_next(1, status=429, api="gmail", method_id=SEARCH, retry_after=1)
    first = h.cycle(MONDAY)
    assert first.wrote_tables and len(h.tabs()["Đảng viên"]) == 502
    # a send is never retried blindly: the three failed sends wait for the next cycle
    assert len(first.messages) == FIRST_CYCLE_MESSAGES - 3
    second = h.cycle(MONDAY + timedelta(minutes=30))
    assert sorted(second.sent) == sorted(first.failed) and len(second.messages) == 3
    counts = _ids(fake)
    # nothing lost, nothing twice
    assert len(counts) == FIRST_CYCLE_MESSAGES and set(counts.values()) == {1}
    assert sorted(items_in(fake.sent_messages())) == sorted(first_cycle_alert_ids())


def test_summary_out_of_reach_fails_the_cycle_cleanly_and_the_next_resumes(google, caplog):
    h, fake = google
    fake.deny(GoogleHarness.SUMMARY)
    with pytest.raises(GoogleApiError) as failure:
        h.cycle(MONDAY)
    assert "hãy chia sẻ bảng tính" in str(failure.value)
    with StateStore(h.cfg.state.path) as st:
        last = st.last_cycle()
        assert last is not None and last.status == "error"
        sent = {a for a, e in st.ledger().items() if e.status == "sent"}
    # the mail went out before the write failed, and is on record
    assert sent == first_cycle_alert_ids()
    assert len(_ids(fake)) == FIRST_CYCLE_MESSAGES

    fake.allow(GoogleHarness.SUMMARY)
    again = h.cycle(MONDAY + timedelta(minutes=30))
    assert again.wrote_tables and again.sent == []  # nothing was remembered: tabs written now
    assert len(h.tabs()["Đảng viên"]) == 502
    assert set(_ids(fake).values()) == {1}

    # what staff see: one Vietnamese line, no traceback (that needs -v)
    from sync.cli import _failure

    caplog.set_level(logging.DEBUG, logger="kns")
    _failure("Chu kỳ không chạy được", failure.value)
    error = next(r for r in caplog.records if r.levelno == logging.ERROR)
    assert error.exc_info is None and "Chu kỳ không chạy được" in error.getMessage()
