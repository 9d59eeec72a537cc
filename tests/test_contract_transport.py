"""One contract for every mail transport (the model: vdirsyncer's ``StorageTests``).

``TransportContract`` states what the cycle relies on from any ``sync.ports.MailTransport``
(read with ``sync.cycle._send_batch`` and ``settle_intents``): a message arrives whole;
``was_sent`` answers True / False, or None where the transport cannot tell; a send
interrupted midway leaves the ledger neither losing nor duplicating the message; a
temporary refusal (quota, 4xx) is a ``MailError`` in Vietnamese that says the next cycle
sends again (the cycle records it "failed", which is planned again), with nothing
delivered. Where an implementation legitimately differs it says so in a class attribute.
TLS, logins, Gmail's searches and waits, file names stay in each transport's own tests.
"""

from __future__ import annotations

import dataclasses
import errno
import itertools
import os
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from functools import cache
from pathlib import Path
from typing import Any, Literal, Protocol

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from sync.alerts import alert_code
from sync.config import SmtpConfig
from sync.cycle import settle_intents
from sync.google.apis import GoogleApis
from sync.google.gmail import GmailTransport
from sync.mail import render_alert
from sync.model import Alert, AlertKind
from sync.outputs.outbox import OutboxTransport
from sync.outputs.smtp import SmtpTransport
from sync.ports import MailError, MailTransport
from sync.state import StateStore
from tests.fake_google import DropConnection, FakeWorkspace
from tests.fake_google.clients import fake_apis
from tests.test_mail import NOW, TEMPLATES, WARD, alert_for

SENDER = "Ban Xây dựng Đảng phường <bxdd@phuong.example.vn>"
# the escalation tests/test_mail.py plans for CB01 on its NOW, with this test's alert id
RECIPIENTS = frozenset({"an.cb01@phuong.example.vn", "hoa@phuong.example.vn"})
SUBJECT = (
    "[Quá hạn - đồng gửi Ủy viên phụ trách] Gửi báo cáo kết quả về Đảng ủy phường - "
    "quá hạn 17 ngày - Chi bộ Văn phòng Đảng ủy"
)
GREETING = "Kính gửi đồng chí Nguyễn Văn An"
# what the cycle's "failed" means to the staff reading the mail log
RETRY_LATER = re.compile(r"chu kỳ sau sẽ (gửi|thử) lại")
VIETNAMESE = re.compile(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]")
_ids = itertools.count(1)


@cache
def _escalation() -> Alert:
    return alert_for(AlertKind.ESCALATION)


def make_message(alert_id: str) -> EmailMessage:
    """A message as the cycle renders it (the stdlib's own header folding drops spaces in
    long Vietnamese subjects: sync/mail.py folds them itself)."""
    alert = dataclasses.replace(_escalation(), alert_id=alert_id)
    return render_alert(
        alert, templates_dir=TEMPLATES, sender=SENDER, reply_to=None, ward_name=WARD, now=NOW
    )


@dataclass(frozen=True)
class Delivered:
    """A message as it arrived: the addresses it went to, and what it says."""

    recipients: frozenset[str]
    message: EmailMessage


def header_recipients(msg: EmailMessage) -> frozenset[str]:
    pairs = getaddresses([str(v) for h in ("To", "Cc", "Bcc") for v in msg.get_all(h, [])])
    return frozenset(addr for _, addr in pairs)


def plain(msg: EmailMessage, subtype: str) -> str:
    part = msg.get_body(preferencelist=(subtype,))
    assert part is not None, subtype
    return str(part.get_content()).replace("\r\n", "\n")


class Harness(Protocol):
    transport: MailTransport

    def fresh(self) -> MailTransport:
        """The transport a new process builds (same folder, server or mailbox)."""
        ...

    def delivered(self, alert_id: str) -> list[Delivered]:
        """The messages of that alert that arrived."""
        ...

    def interrupt(self, alert_id: str, message: EmailMessage) -> None:
        """Send, dying midway as the transport's failure mode has it."""
        ...

    def refuse_next(self, refusal: str) -> None:
        """The next send is refused for a while (a quota, a 4xx)."""
        ...


class TransportContract:
    """Subclasses provide the ``harness`` fixture and say how they differ."""

    # was_sent can tell (True/False); SMTP cannot be asked and answers None
    can_tell_sent: bool = True
    # the ledger after an interrupted send (sync.cycle.settle_intents): "failed" = provably
    # not sent, sent again; "sent" = found; "unknown" = cannot tell, never sent twice
    after_interruption: Literal["sent", "failed", "unknown"] = "failed"
    temporary_refusals: tuple[str, ...] = ()

    @pytest.fixture
    def harness(self) -> Harness:
        raise NotImplementedError

    @pytest.fixture
    def alert_id(self) -> str:
        # one per test: the Gmail fake and the SMTP server serve the whole module
        return f"bao_cao:CB01:escalation:{next(_ids)}"

    def not_sent(self) -> bool | None:
        return False if self.can_tell_sent else None

    # -- behaviours ---------------------------------------------------------------------

    def test_a_message_arrives_whole(self, harness: Harness, alert_id: str) -> None:
        message = make_message(alert_id)

        harness.transport.send(alert_id, message)

        (got,) = harness.delivered(alert_id)
        assert got.recipients == RECIPIENTS
        msg = got.message
        assert str(msg["Subject"]) == SUBJECT  # UTF-8, every space kept
        assert [a.addr_spec for a in msg["Cc"].addresses] == ["hoa@phuong.example.vn"]
        text = plain(msg, "plain")
        assert GREETING in text and alert_code(alert_id) in text
        assert text == plain(message, "plain")  # every character of both parts
        assert plain(msg, "html") == plain(message, "html")

    def test_was_sent_after_a_send(self, harness: Harness, alert_id: str) -> None:
        harness.transport.send(alert_id, make_message(alert_id))

        expected = True if self.can_tell_sent else None
        assert harness.transport.was_sent(alert_id) is expected
        assert harness.fresh().was_sent(alert_id) is expected  # a later process too

    def test_was_sent_for_an_alert_never_sent(self, harness: Harness, alert_id: str) -> None:
        harness.transport.send(alert_id, make_message(alert_id))
        other = f"bao_cao:CB01:escalation:{next(_ids)}"

        assert harness.transport.was_sent(other) is self.not_sent()
        assert harness.delivered(other) == []

    def test_an_interrupted_send_is_neither_lost_nor_duplicated(
        self, harness: Harness, alert_id: str
    ) -> None:
        message = make_message(alert_id)
        with StateStore(":memory:") as store:
            store.record_intent(
                alert_id,
                kind="overdue",
                branch_code="CB01",
                milestone_id="bao_cao",
                recipients="an.cb01@phuong.example.vn (Cc: hoa@phuong.example.vn)",
                subject=SUBJECT,
                now=NOW,
            )
            harness.interrupt(alert_id, message)

            # the next cycle, in a new process, settles what the killed one left
            assert settle_intents(store, harness.fresh(), NOW) == {
                alert_id: self.after_interruption
            }
            assert store.ledger()[alert_id].status == self.after_interruption

        if self.after_interruption == "failed":
            assert harness.delivered(alert_id) == []  # provably not sent: sent again
            again = harness.fresh()
            getattr(again, "cleanup", lambda: None)()  # what the cycle does first
            again.send(alert_id, message)
        (got,) = harness.delivered(alert_id)  # exactly one, whole
        assert str(got.message["Subject"]) == SUBJECT
        assert plain(got.message, "plain") == plain(message, "plain")

    def test_a_temporary_refusal_is_a_mail_error_to_retry_later(
        self, harness: Harness, alert_id: str
    ) -> None:
        assert self.temporary_refusals  # every transport has a way to be refused for now
        message = make_message(alert_id)
        for refusal in self.temporary_refusals:
            harness.refuse_next(refusal)

            with pytest.raises(MailError) as info:  # the only failure the cycle catches
                harness.transport.send(alert_id, message)

            text = str(info.value)
            assert VIETNAMESE.search(text), (refusal, text)
            assert RETRY_LATER.search(text), (refusal, text)
            assert harness.delivered(alert_id) == [], refusal
            # nothing claims it went: the next cycle's check lets it be sent again
            assert harness.transport.was_sent(alert_id) is self.not_sent(), refusal

        harness.transport.send(alert_id, message)  # the quota is back
        assert len(harness.delivered(alert_id)) == 1


# ---------------------------------------------------------------------------------------
# The .eml outbox
# ---------------------------------------------------------------------------------------


class _Killed(BaseException):
    """The process dies (not an error the transport could catch)."""


class OutboxHarness:
    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.folder = folder
        self.monkeypatch = monkeypatch
        self.transport = OutboxTransport(folder)

    def fresh(self) -> OutboxTransport:
        return OutboxTransport(self.folder)

    def delivered(self, alert_id: str) -> list[Delivered]:
        path = self.transport.path_for(alert_id)
        if not path.is_file():
            return []
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(msg, EmailMessage)
        return [Delivered(header_recipients(msg), msg)]

    def _fail_fsync_once(self, failure: BaseException, *, half: bool = False) -> None:
        real = os.fsync

        def fsync(fd: int) -> None:
            self.monkeypatch.setattr(os, "fsync", real)
            if half:  # the kernel had half the bytes when the process died
                size = os.fstat(fd).st_size // 2
                # what a kill leaves on disk (an exception would let the writer clean up)
                (self.folder / ".kns-killed.tmp").write_bytes(os.pread(fd, size, 0))
            raise failure

        self.monkeypatch.setattr(os, "fsync", fsync)

    def interrupt(self, alert_id: str, message: EmailMessage) -> None:
        self._fail_fsync_once(_Killed(), half=True)
        with pytest.raises(_Killed):
            self.transport.send(alert_id, message)
        assert list(self.folder.glob(".kns-*.tmp"))  # the half-written file is left

    def refuse_next(self, refusal: str) -> None:
        assert refusal == "disk full"
        self._fail_fsync_once(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))


class TestOutboxTransport(TransportContract):
    after_interruption = "failed"  # the file appears whole or not at all
    temporary_refusals = ("disk full",)

    @pytest.fixture
    def harness(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> OutboxHarness:
        return OutboxHarness(tmp_path / "outbox", monkeypatch)


# ---------------------------------------------------------------------------------------
# SMTP: a real aiosmtpd server on 127.0.0.1, one for the module
# ---------------------------------------------------------------------------------------

HOST = "127.0.0.1"
SMTP_REFUSALS = {
    "421 after DATA": ("DATA", "421 4.7.0 Temporary System Problem. Try again later."),
    "451 to MAIL FROM": ("MAIL", "451 4.7.1 Sending rate exceeded, try again later"),
    "450 to every RCPT": ("RCPT", "450 4.2.1 Mailbox busy, try again later"),
}


@dataclass
class Sink:
    """The server's handler: keeps what it accepts; can refuse or hang up for a while."""

    messages: list[tuple[list[str], bytes]] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # SMTP command -> reply, once
    rcpt_refusal: str = ""
    hang_up_after_data: bool = False

    async def handle_MAIL(  # noqa: N802 (aiosmtpd's hook names)
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if "MAIL" in self.refuse:
            return self.refuse.pop("MAIL")
        self.rcpt_refusal = self.refuse.pop("RCPT", "")  # every recipient of this message
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if self.rcpt_refusal:
            return self.rcpt_refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: Any, session: Session, envelope: Envelope
    ) -> str:
        if "DATA" in self.refuse:
            return self.refuse.pop("DATA")
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.original_content or b"")))
        if self.hang_up_after_data:  # stored, and the connection dies before the "250"
            self.hang_up_after_data = False
            server.transport.abort()
        return "250 Message accepted"


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[tuple[int, Sink]]:
    sink = Sink()
    with socket.socket() as s:
        s.bind((HOST, 0))
        port = int(s.getsockname()[1])
    controller = Controller(sink, hostname=HOST, port=port, ready_timeout=5)
    controller.start()
    try:
        yield port, sink
    finally:
        controller.stop()


class SmtpHarness:
    def __init__(self, port: int, sink: Sink) -> None:
        self.sink = sink
        self.cfg = SmtpConfig(host=HOST, port=port, security="none", timeout_seconds=5)
        self.transport = self.fresh()

    def fresh(self) -> SmtpTransport:
        return SmtpTransport(self.cfg, {})

    def delivered(self, alert_id: str) -> list[Delivered]:
        out = []
        for rcpt_tos, content in self.sink.messages:
            msg = message_from_bytes(content, policy=policy.default)
            assert isinstance(msg, EmailMessage)
            if msg["X-KNS-Alert-Id"] == alert_id:
                out.append(Delivered(frozenset(rcpt_tos), msg))  # the envelope's recipients
        return out

    def interrupt(self, alert_id: str, message: EmailMessage) -> None:
        self.sink.hang_up_after_data = True
        with pytest.raises(MailError, match="ngắt kết nối"):
            self.transport.send(alert_id, message)

    def refuse_next(self, refusal: str) -> None:
        command, reply = SMTP_REFUSALS[refusal]
        self.sink.refuse[command] = reply


class TestSmtpTransport(TransportContract):
    can_tell_sent = False  # a server cannot be asked whether it accepted a message
    after_interruption = "unknown"  # at most once (mail.smtp.on_interrupted default)
    temporary_refusals = tuple(SMTP_REFUSALS)

    @pytest.fixture
    def harness(self, smtp_server: tuple[int, Sink]) -> Iterator[SmtpHarness]:
        port, sink = smtp_server
        sink.messages.clear()
        yield SmtpHarness(port, sink)
        sink.refuse.clear()
        sink.rcpt_refusal = ""
        sink.hang_up_after_data = False


# ---------------------------------------------------------------------------------------
# Gmail: the real google-api-python-client against the fake, one for the module
# ---------------------------------------------------------------------------------------

SEND = "gmail.users.messages.send"
GMAIL_REFUSALS = {
    # Gmail's sending limit: 429 (the message may still be queued: Sent is searched)
    "429 rateLimitExceeded": (429, "rateLimitExceeded"),
    # the project's daily quota: a refusal before anything is sent
    "403 dailyLimitExceeded": (403, "dailyLimitExceeded"),
}


@pytest.fixture(scope="module")
def gmail_fake() -> Iterator[FakeWorkspace]:
    with FakeWorkspace() as f:
        yield f


@pytest.fixture(scope="module")
def gmail_apis(gmail_fake: FakeWorkspace) -> GoogleApis:
    return fake_apis(gmail_fake, max_attempts=2)


class GmailHarness:
    def __init__(self, fake: FakeWorkspace, apis: GoogleApis) -> None:
        self.fake = fake
        self.apis = apis
        self.transport = self.fresh()

    def fresh(self) -> GmailTransport:
        return GmailTransport(self.apis, sleep=lambda s: None)

    def delivered(self, alert_id: str) -> list[Delivered]:
        return [
            Delivered(header_recipients(m), m)
            for m in self.fake.sent_messages()
            if m["X-KNS-Alert-Id"] == alert_id
        ]

    def interrupt(self, alert_id: str, message: EmailMessage) -> None:
        def hang_up(_: EmailMessage) -> None:
            raise DropConnection  # stored, and the answer is lost

        self.fake.on_send = hang_up
        try:
            self.transport.send(alert_id, message)
        except MailError:
            pass  # the process dies here either way
        finally:
            self.fake.on_send = None

    def refuse_next(self, refusal: str) -> None:
        status, reason = GMAIL_REFUSALS[refusal]
        self.fake.fail_next(1, status, api="gmail", method_id=SEND, reason=reason)


class TestGmailTransport(TransportContract):
    after_interruption = "sent"  # found in the Sent folder by its code
    temporary_refusals = tuple(GMAIL_REFUSALS)

    @pytest.fixture
    def harness(self, gmail_fake: FakeWorkspace, gmail_apis: GoogleApis) -> Iterator[GmailHarness]:
        yield GmailHarness(gmail_fake, gmail_apis)
        gmail_fake.clear_faults()
        gmail_fake.on_send = None
