"""The Gmail transport, through google-api-python-client against the fake Workspace."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from sync.alerts import alert_code
from sync.google.apis import GoogleApis
from sync.google.gmail import GmailTransport
from sync.mail import MailError
from sync.model import AlertKind
from tests.fake_google import DropConnection, FakeWorkspace
from tests.test_mail import alert_for, render

SEND = "gmail.users.messages.send"
LIST = "gmail.users.messages.list"


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def transport(apis: GoogleApis, sleeps: list[float]) -> GmailTransport:
    return GmailTransport(apis, sleep=sleeps.append)


def overdue() -> tuple[str, EmailMessage]:
    alert = alert_for(AlertKind.OVERDUE)
    return alert.alert_id, render(alert)


def test_an_answered_send_is_one_call_and_no_search(
    fake: FakeWorkspace, transport: GmailTransport
) -> None:
    # that the message arrives whole: tests/test_contract_transport.py; here, its cost
    alert_id, message = overdue()

    transport.send(alert_id, message)

    assert len(fake.calls("gmail", SEND)) == 1 and fake.calls("gmail", LIST) == []


def test_answer_lost_after_gmail_sent_it_is_a_success(
    fake: FakeWorkspace, transport: GmailTransport
) -> None:
    alert_id, message = overdue()

    def crash(_: EmailMessage) -> None:
        raise DropConnection

    fake.on_send = crash
    transport.send(alert_id, message)  # no exception: the Sent folder has it

    assert len(fake.sent_messages()) == 1
    assert len(fake.calls("gmail", SEND)) == 1  # never re-sent, not even by httplib2
    (search,) = fake.calls("gmail", LIST)
    assert search.query["q"] == [f'in:sent "{alert_code(alert_id)}"']

    fake.on_send = None
    assert transport.was_sent(alert_id) is True


def test_503_before_the_send_is_a_mail_error_and_nothing_is_stored(
    fake: FakeWorkspace, transport: GmailTransport, sleeps: list[float]
) -> None:
    alert_id, message = overdue()
    fake.fail_next(1, 503, api="gmail", method_id=SEND)

    with pytest.raises(MailError) as info:
        transport.send(alert_id, message)

    assert fake.sent_messages() == []
    assert len(fake.calls("gmail", SEND)) == 1  # no automatic retry
    assert len(fake.calls("gmail", LIST)) == 2  # searched, waited, searched again
    assert sleeps == [3.0]
    assert "chu kỳ sau sẽ gửi lại" in str(info.value)
    assert alert_code(alert_id) in str(info.value)

    # the next cycle sends it; only one message in the end
    transport.send(alert_id, message)
    assert len(fake.sent_messages()) == 1


def test_unconfirmed_send_is_looked_up_again_before_resending(
    fake: FakeWorkspace, apis: GoogleApis
) -> None:
    """Gmail sent it but could not be searched then (as when its index lags): the next
    attempt looks in Sent first and finds it, so no duplicate."""
    transport = GmailTransport(apis, confirm_delays=(), sleep=lambda s: None)
    alert_id, message = overdue()
    fake.drop_next(1, api="gmail", method_id=SEND, after_effect=True)
    fake.fail_next(2, 503, api="gmail", method_id=LIST)  # both attempts of the search

    with pytest.raises(MailError, match="không kiểm tra được"):
        transport.send(alert_id, message)
    assert len(fake.sent_messages()) == 1

    transport.send(alert_id, message)  # a later cycle: found in Sent, not sent again
    assert len(fake.sent_messages()) == 1
    assert len(fake.calls("gmail", SEND)) == 1


def test_a_rewritten_message_id_does_not_matter(
    fake: FakeWorkspace, transport: GmailTransport
) -> None:
    assert fake.rewrite_message_id is True
    alert_id, message = overdue()
    transport.send(alert_id, message)

    (sent,) = fake.sent_messages()
    assert sent["Message-ID"] != message["Message-ID"]
    assert transport.was_sent(alert_id) is True


def test_was_sent_raises_when_gmail_cannot_be_searched(
    fake: FakeWorkspace, transport: GmailTransport
) -> None:
    fake.fail_next(2, 503, api="gmail", method_id=LIST)
    with pytest.raises(MailError, match="Đã gửi"):
        transport.was_sent("x:CB01:overdue:1")


def test_missing_scope_is_explained(fake: FakeWorkspace, transport: GmailTransport) -> None:
    alert_id, message = overdue()
    fake.fail_next(
        1,
        403,
        api="gmail",
        method_id=SEND,
        reason="ACCESS_TOKEN_SCOPE_INSUFFICIENT",
        message="Request had insufficient authentication scopes.",
    )
    with pytest.raises(MailError) as info:
        transport.send(alert_id, message)
    assert "gmail.send" in str(info.value) and "kns auth login" in str(info.value)
    assert fake.calls("gmail", LIST) == []  # a refusal: nothing to look up


def test_delegation_not_granted_is_explained(fake: FakeWorkspace, apis: GoogleApis) -> None:
    # the fake answers 403 for a mailbox the credentials may not act for
    transport = GmailTransport(apis, "khac@phuong.example")
    alert_id, message = overdue()
    with pytest.raises(MailError) as info:
        transport.send(alert_id, message)
    text = str(info.value)
    assert "ủy quyền toàn miền" in text and "google.delegated_user" in text
    assert "khac@phuong.example" not in text  # no address in the mail log
    assert fake.sent_messages() == []


def test_bad_request_is_explained_without_personal_data(
    fake: FakeWorkspace, transport: GmailTransport
) -> None:
    alert_id, message = overdue()
    fake.fail_next(1, 400, api="gmail", method_id=SEND, message="Invalid To header: x@y.vn")
    with pytest.raises(MailError) as info:
        transport.send(alert_id, message)
    assert "mã 400" in str(info.value) and "@" not in str(info.value)
