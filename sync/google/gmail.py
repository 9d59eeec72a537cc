"""Sending alerts through the Gmail API (``users.messages.send``), exactly once.

A send is never retried automatically: when the answer is lost, Gmail may already have
sent the message, and a retry would deliver it twice. Instead, after a failure that may
have come after the send (429/5xx, connection dropped), the Sent folder is searched for
the alert's code (``KNS-XXXXXXXX``, printed in every message body); the Message-ID is of no
use, since Gmail replaces it.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable, Sequence
from email.message import EmailMessage

from sync.alerts import alert_code
from sync.google.apis import (
    DAILY_LIMIT_REASONS,
    RATE_LIMIT_REASONS,
    SCOPE_REASONS,
    GoogleApiError,
    GoogleApis,
)
from sync.ports import MailError

log = logging.getLogger("kns")

GMAIL_SEND_SCOPE = "https://www.googleapis.com/auth/gmail.send"
# After a send that may have gone out, search the Sent folder again after these waits:
# Gmail's search index can lag a few seconds behind a message it has just sent.
CONFIRM_DELAYS: tuple[float, ...] = (3.0,)
# Gmail's quotas: a 403 "dailyLimitExceeded" is a refusal for today, not a permission
QUOTA_REASONS = RATE_LIMIT_REASONS | DAILY_LIMIT_REASONS


class GmailTransport:
    """Implements ``sync.mail.MailTransport`` for the mailbox ``user_id`` ("me": the
    signed-in user, or the mailbox a service account acts for by delegation)."""

    # after a crash the Sent folder tells whether each intent left: a cycle may record a
    # few intents before sending them (fewer ledger transactions)
    batch_size = 20

    def __init__(
        self,
        apis: GoogleApis,
        user_id: str = "me",
        *,
        confirm_delays: Sequence[float] = CONFIRM_DELAYS,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.apis = apis
        self.user_id = user_id
        self.confirm_delays = tuple(confirm_delays)
        # by default the clients' own sleep, so a test that makes it instant covers this too
        self._sleep = sleep or getattr(apis, "_sleep", None) or time.sleep
        # alerts whose send ended without an answer and were not found in Sent yet: before
        # sending one again (a later cycle of this process), look once more
        self._unconfirmed: set[str] = set()

    def send(self, alert_id: str, message: EmailMessage) -> None:
        if alert_id in self._unconfirmed and self.was_sent(alert_id):
            self._unconfirmed.discard(alert_id)
            return
        try:
            raw = base64.urlsafe_b64encode(message.as_bytes()).decode("ascii")
        except (TypeError, ValueError, UnicodeError) as e:
            raise MailError(f"Không tạo được nội dung thư {alert_code(alert_id)}: {e}") from e
        request = self.apis.gmail().users().messages().send(userId=self.user_id, body={"raw": raw})
        try:
            self.apis.call_once("gmail", lambda: request.execute(num_retries=0))
        except GoogleApiError as e:
            if not _maybe_sent(e):
                raise MailError(_explain(e, self.user_id)) from e
            self._settle(alert_id, e)
            return
        self._unconfirmed.discard(alert_id)

    def was_sent(self, alert_id: str) -> bool:
        """Whether a message carrying the alert's code is in the mailbox's Sent folder.

        Gmail's search index may lag a few seconds behind a message just sent, so a False
        right after a send is not final. Raises MailError when Gmail cannot be searched
        (the caller must not conclude either way).
        """
        try:
            return self._found(alert_id)
        except GoogleApiError as e:
            raise MailError(
                f"Không kiểm tra được thư mục Đã gửi của Gmail (thư {alert_code(alert_id)}): {e}"
            ) from e

    # -- helpers -------------------------------------------------------------------------

    def _found(self, alert_id: str) -> bool:
        query = f'in:sent "{alert_code(alert_id)}"'
        request = (
            self.apis.gmail()
            .users()
            .messages()
            .list(userId=self.user_id, q=query, maxResults=1, includeSpamTrash=False)
        )
        answer = self.apis.execute("gmail", request)
        return bool(answer.get("messages"))

    def _settle(self, alert_id: str, failure: GoogleApiError) -> None:
        """After a send that may have gone out: return if it did, else raise MailError."""
        code = alert_code(alert_id)
        try:
            for delay in (0.0, *self.confirm_delays):
                if delay:
                    self._sleep(delay)
                if self._found(alert_id):
                    log.info("Thư %s đã được Gmail gửi dù không nhận được phản hồi", code)
                    self._unconfirmed.discard(alert_id)
                    return
        except GoogleApiError as e:
            self._unconfirmed.add(alert_id)
            raise MailError(
                f"Không rõ thư {code} đã đi hay chưa ({failure}) và không kiểm tra được thư "
                f"mục Đã gửi ({e}); chu kỳ sau sẽ kiểm tra lại trước khi gửi"
            ) from failure
        if failure.status is None or failure.status >= 500:
            self._unconfirmed.add(alert_id)  # Gmail may still index it: look before resending
        raise MailError(
            f"Chưa gửi được thư {code} ({failure}). Không thấy thư trong thư mục Đã gửi; "
            "chu kỳ sau sẽ gửi lại"
        ) from failure


def _maybe_sent(e: GoogleApiError) -> bool:
    """429/5xx or a dropped connection: the message may or may not have gone out."""
    return e.transient or e.status is None or e.status == 429 or e.status >= 500


def _explain(e: GoogleApiError, user_id: str) -> str:
    """Vietnamese reason for a failure that trying again will not fix."""
    # the mailbox is named by its config key, not its address (no personal data in logs)
    mailbox = "hộp thư của tài khoản" if user_id == "me" else "hộp thư 'mail.gmail_user'"
    if e.cause in QUOTA_REASONS or e.reason in QUOTA_REASONS:
        return str(e)  # the quota, and that the next cycle tries again (sync.google.apis)
    if e.status == 403 and (e.cause in SCOPE_REASONS or e.reason in SCOPE_REASONS):
        return (
            f"Gmail: tài khoản chưa được cấp quyền gửi thư (phạm vi {GMAIL_SEND_SCOPE}); "
            "chạy lại 'kns auth login', hoặc nhờ quản trị viên Workspace bổ sung phạm vi này "
            "trong ủy quyền toàn miền (mã 403)"
        )
    if e.status == 403:
        return (
            f"Gmail: không được phép gửi thư từ {mailbox} (mã 403). Với tài khoản dịch vụ, "
            "quản trị viên Workspace cần ủy quyền toàn miền cho các phạm vi gmail.send và "
            "gmail.readonly, và 'google.delegated_user' phải là hộp thư này"
        )
    if e.status == 400:
        return (
            "Gmail từ chối thư (mã 400): kiểm tra địa chỉ người gửi ('mail.sender' phải là "
            "hộp thư đang dùng hoặc một bí danh của nó) và địa chỉ người nhận trong danh sách "
            "chi bộ"
        )
    if e.status == 401:
        return (
            "Gmail: xác thực thất bại (mã 401); tạo khóa tài khoản dịch vụ mới hoặc chạy lại "
            "'kns auth login'"
        )
    return str(e)
