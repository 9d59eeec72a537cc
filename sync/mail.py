"""Turning a planned Alert into an e-mail, and the interface every mail transport offers.

Templates are Jinja2 files in the ward's template folder, one per alert kind
(``reminder.j2``, ``overdue.j2``, ``escalation.j2``, ``digest.j2``), each with the blocks
``subject``, ``text`` and ``html``. The blocks are rendered one by one: subject and text
without escaping, html with autoescaping, so text from a form or the roster never becomes
markup.

The same alert rendered at the same ``now`` gives byte-identical output (fixed MIME boundary,
Message-ID derived from the alert id): resending after a crash writes the same message.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import jinja2

from sync.alerts import alert_code, fmt_date, fmt_datetime
from sync.model import Alert

BLOCKS: tuple[str, ...] = ("subject", "text", "html")


class MailError(Exception):
    """A message could not be rendered or sent. The text is Vietnamese, for the mail log."""


class MailTransport(Protocol):
    def send(self, alert_id: str, message: EmailMessage) -> None:
        """Deliver ``message``; raise MailError (Vietnamese text) on failure."""
        ...

    def was_sent(self, alert_id: str) -> bool | None:
        """Whether the alert's message went out; None when this transport cannot tell."""
        ...


def template_name(alert: Alert) -> str:
    return f"{alert.kind.value}.j2"


def render_alert(
    alert: Alert,
    *,
    templates_dir: Path,
    sender: str,
    reply_to: str | None,
    ward_name: str,
    now: datetime,
) -> EmailMessage:
    """A multipart/alternative (text + html) message for ``alert``, ready to send."""
    variables: dict[str, object] = dict(alert.context)
    variables.update(
        alert_id=alert.alert_id,
        alert_code=alert_code(alert.alert_id),
        kind=alert.kind.value,
        ward_name=ward_name,
        sent_date=fmt_date(now.date()),
        sent_at=fmt_datetime(now),
    )
    name = template_name(alert)
    subject = " ".join(_render_block(Path(templates_dir), name, "subject", variables).split())
    text = _tidy_text(_render_block(Path(templates_dir), name, "text", variables))
    html = _render_block(Path(templates_dir), name, "html", variables, html=True).strip() + "\n"
    if not subject:
        raise MailError(f"Mẫu thư {name}: tiêu đề thư (block subject) đang để trống")

    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    if alert.to:
        msg["To"] = ", ".join(alert.to)
    if alert.cc:
        msg["Cc"] = ", ".join(alert.cc)
    if reply_to:
        msg["Reply-To"] = reply_to
    _set_subject(msg, subject)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(alert.alert_id, sender)
    msg["X-KNS-Alert-Id"] = alert.alert_id
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    # A fixed boundary keeps the bytes reproducible; "=_" never occurs in a QP body.
    msg.set_boundary("=_kns_" + _digest(f"{alert.alert_id}|{now.isoformat()}")[:32])
    msg["Content-Language"] = "vi"  # after set_content, which drops Content-* headers
    return msg


def message_id(alert_id: str, sender: str) -> str:
    """``<kns.<sha256(alert_id)[:24]>@<sender's domain>>``: the same alert, the same id."""
    addr = parseaddr(sender)[1]
    domain = addr.rpartition("@")[2].strip() if "@" in addr else ""
    domain = domain or "localhost"
    return f"<kns.{_digest(alert_id)[:24]}@{domain}>"


def _set_subject(msg: EmailMessage, subject: str) -> None:
    """Store the subject already RFC 2047-encoded.

    CPython's header folder (3.11, 3.12) can put the space between two words outside the
    encoded words when it wraps a long non-ASCII subject, and a reader then drops that
    space ("kết quả về" arrives as "kết quảvề"). email.header.Header keeps every space
    inside an encoded word; set_raw stores the folded lines as they are.
    """
    if subject.isascii() and "=?" not in subject:
        msg["Subject"] = subject
        return
    msg.set_raw("Subject", Header(subject, "utf-8", header_name="Subject").encode())


# ---------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _environment(templates_dir: Path, html: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir), encoding="utf-8"),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=True,
    )


def _render_block(
    templates_dir: Path,
    name: str,
    block: str,
    variables: Mapping[str, object],
    *,
    html: bool = False,
) -> str:
    env = _environment(templates_dir.resolve(), html)
    try:
        template = env.get_template(name)
        render = template.blocks.get(block)
        if render is None:
            raise MailError(f"Mẫu thư {templates_dir / name} thiếu phần {{% block {block} %}}")
        context = template.new_context(dict(variables))
        return "".join(render(context))
    except jinja2.TemplateNotFound as e:
        raise MailError(f"Không tìm thấy mẫu thư {templates_dir / e.name}") from e
    except jinja2.TemplateSyntaxError as e:
        where = e.filename or str(templates_dir / name)
        raise MailError(f"Mẫu thư {where} lỗi cú pháp ở dòng {e.lineno}: {e.message}") from e
    except jinja2.UndefinedError as e:
        raise MailError(
            f"Mẫu thư {templates_dir / name} (phần {block}) dùng biến không có: {e.message}"
        ) from e
    except jinja2.TemplateError as e:
        raise MailError(f"Mẫu thư {templates_dir / name} (phần {block}) lỗi: {e}") from e


def _tidy_text(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    out = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return out + "\n"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()
