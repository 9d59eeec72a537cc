"""Sending through an SMTP server (smtplib): STARTTLS, implicit TLS or plain.

One connection per message: a cycle sends at most a few dozen messages, and a fresh
connection never hands a message to a server that silently dropped an idle session.
The password is read from the environment variable named in the config at send time and
never appears in a message or a log line.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from typing import TYPE_CHECKING

from sync.config import SmtpConfig
from sync.ports import MailError, MailOutcomeUnknown

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

log = logging.getLogger(__name__)


class SmtpTransport:
    def __init__(
        self,
        cfg: SmtpConfig,
        environ: Mapping[str, str],
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """``ssl_context``: certificate checks for TLS (default: the system's trusted CAs,
        host name verified). Pass one to trust a private CA."""
        self.cfg = cfg
        self._environ = environ
        self._ssl_context = ssl_context

    @property
    def server(self) -> str:
        return f"{self.cfg.host}:{self.cfg.port}"

    def was_sent(self, alert_id: str) -> bool | None:
        return None  # an SMTP server cannot be asked whether it accepted a message

    def send(self, alert_id: str, message: EmailMessage) -> None:
        password = self._password()
        handed_over: list[bool] = []
        try:
            with self._connect() as smtp:
                if self.cfg.username:
                    if not smtp.has_extn("auth"):
                        raise MailError(
                            f"Máy chủ thư {self.server} không cho đăng nhập (AUTH) trên kết nối "
                            "này; kiểm tra mail.smtp.security (starttls / ssl) và cổng"
                        )
                    smtp.login(self.cfg.username, password or "")
                handed_over = _watch_data(smtp)
                refused = smtp.send_message(message)
        except MailError:
            raise
        except Exception as e:  # every failure becomes a MailError, never the password
            text = self._scrub(self._explain(e), password)
            if handed_over and _answer_lost(e):
                raise MailOutcomeUnknown(
                    f"{text}; thư đã được chuyển cho máy chủ nhưng không nhận được trả lời: "
                    "không rõ thư đã đi hay chưa, không gửi lại tự động (tránh gửi trùng)"
                ) from None
            raise MailError(text) from None
        if refused:
            # Some recipients took the message: sending again would duplicate it for them.
            log.warning(
                "Thông báo %s: máy chủ thư %s từ chối một số người nhận: %s",
                alert_id,
                self.server,
                ", ".join(sorted(refused)),
            )

    # -----------------------------------------------------------------------------------

    def _password(self) -> str | None:
        if not self.cfg.username:
            return None
        name = self.cfg.password_env
        if not name:
            raise MailError(
                "Cấu hình mail.smtp có 'username' nhưng thiếu 'password_env' "
                "(tên biến môi trường chứa mật khẩu)"
            )
        password = self._environ.get(name)
        if password is None:
            raise MailError(
                f"Biến môi trường {name} (mật khẩu tài khoản thư {self.cfg.username}) "
                "chưa được đặt: không đăng nhập được máy chủ thư"
            )
        if not password.isascii():
            # smtplib encodes AUTH data as ASCII: it cannot send such a password at all
            raise MailError(
                f"Mật khẩu trong biến môi trường {name} có ký tự ngoài bảng ASCII (chữ có dấu, "
                "ký tự đặc biệt): thư viện gửi thư không dùng được; hãy đổi sang mật khẩu "
                "không dấu (hoặc mật khẩu ứng dụng)"
            )
        return password

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        cfg = self.cfg
        smtp: smtplib.SMTP
        if cfg.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                cfg.host, cfg.port, timeout=cfg.timeout_seconds, context=self._context()
            )
        else:
            smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds)
        try:
            smtp.ehlo()
            if cfg.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise MailError(
                        f"Máy chủ thư {self.server} không hỗ trợ STARTTLS; kiểm tra cổng "
                        "hoặc đặt mail.smtp.security là 'ssl'"
                    )
                smtp.starttls(context=self._context())
                smtp.ehlo()
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _explain(self, e: BaseException) -> str:
        server = self.server
        temporary = _temporary_reply(e)
        if temporary:
            # 4xx (RFC 5321 §4.2.1): a quota, a busy server; the message was not taken
            return (
                f"Máy chủ thư {server} tạm thời chưa nhận thư ({temporary}); "
                "chu kỳ sau sẽ gửi lại"
            )
        if isinstance(e, smtplib.SMTPAuthenticationError):
            return (
                f"Máy chủ thư {server} từ chối đăng nhập tài khoản {self.cfg.username} "
                f"(sai tên đăng nhập hoặc mật khẩu?): {_reply(e.smtp_code, e.smtp_error)}"
            )
        if isinstance(e, smtplib.SMTPNotSupportedError):
            return f"Máy chủ thư {server} không hỗ trợ thao tác được yêu cầu: {e}"
        if isinstance(e, smtplib.SMTPRecipientsRefused):
            who = "; ".join(
                f"{addr} ({_reply(code, msg)})"
                for addr, (code, msg) in sorted(e.recipients.items())
            )
            return f"Máy chủ thư {server} từ chối toàn bộ người nhận: {who}"
        if isinstance(e, smtplib.SMTPSenderRefused):
            return (
                f"Máy chủ thư {server} từ chối địa chỉ người gửi {e.sender}: "
                f"{_reply(e.smtp_code, e.smtp_error)}"
            )
        if isinstance(e, smtplib.SMTPDataError):
            return f"Máy chủ thư {server} từ chối nội dung thư: {_reply(e.smtp_code, e.smtp_error)}"
        if isinstance(e, smtplib.SMTPServerDisconnected) and isinstance(
            e.__context__, TimeoutError
        ):
            return self._timeout_message()
        if isinstance(e, smtplib.SMTPServerDisconnected):
            return f"Máy chủ thư {server} ngắt kết nối giữa chừng: {e}"
        if isinstance(e, smtplib.SMTPResponseException):
            return f"Máy chủ thư {server} báo lỗi: {_reply(e.smtp_code, e.smtp_error)}"
        if isinstance(e, smtplib.SMTPException):
            return f"Lỗi giao tiếp với máy chủ thư {server}: {e}"
        if isinstance(e, ssl.SSLCertVerificationError):
            return (
                f"Chứng chỉ bảo mật của máy chủ thư {server} không hợp lệ hoặc không được tin "
                f"cậy: {e.verify_message or e}"
            )
        if isinstance(e, ssl.SSLError):
            return f"Lỗi kết nối bảo mật (TLS) với máy chủ thư {server}: {e}"
        if isinstance(e, TimeoutError):
            return self._timeout_message()
        if isinstance(e, socket.gaierror):
            return f"Không tìm thấy máy chủ thư {self.cfg.host} (kiểm tra tên máy chủ): {e}"
        if isinstance(e, ConnectionRefusedError):
            return f"Máy chủ thư {server} từ chối kết nối (sai cổng hoặc máy chủ chưa chạy?)"
        if isinstance(e, OSError):
            return f"Không kết nối được máy chủ thư {server}: {e}"
        if isinstance(e, UnicodeError | ValueError):
            return f"Thư có địa chỉ hoặc nội dung máy chủ {server} không nhận được: {e}"
        return f"Lỗi không xác định khi gửi thư qua {server}: {type(e).__name__}: {e}"

    def _timeout_message(self) -> str:
        return (
            f"Hết thời gian chờ máy chủ thư {self.server} ({self.cfg.timeout_seconds:g} giây): "
            "máy chủ không trả lời"
        )

    @staticmethod
    def _scrub(text: str, password: str | None) -> str:
        if password:
            text = text.replace(password, "***")
        return text


def _temporary_reply(e: BaseException) -> str:
    """The server's words when it refused for now (a 4xx reply, or every recipient 4xx)."""
    if isinstance(e, smtplib.SMTPResponseException) and 400 <= e.smtp_code < 500:
        return _reply(e.smtp_code, e.smtp_error)
    if isinstance(e, smtplib.SMTPRecipientsRefused) and e.recipients:
        replies = list(e.recipients.values())
        if all(400 <= code < 500 for code, _ in replies):
            return _reply(*replies[0])
    return ""


def _reply(code: int, msg: bytes | str) -> str:
    text = msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)
    return f"{code} {text}".strip()


def _watch_data(smtp: smtplib.SMTP) -> list[bool]:
    """A flag that turns true once the message's content starts going to the server (the
    DATA phase): a connection lost after that may have delivered it."""
    started: list[bool] = []
    send_data = smtp.data

    def data(msg: ReadableBuffer | str) -> tuple[int, bytes]:
        started.append(True)
        return send_data(msg)

    smtp.data = data  # type: ignore[method-assign]
    return started


def _answer_lost(e: BaseException) -> bool:
    """No reply to the content came back (a drop or a timeout), as opposed to a reply that
    refused it (an SMTPResponseException: the server said it did not take the message)."""
    return not isinstance(e, smtplib.SMTPResponseException) and isinstance(
        e, smtplib.SMTPServerDisconnected | OSError
    )
