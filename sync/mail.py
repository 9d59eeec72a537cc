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

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from email import headerregistry, policy
from email.message import EmailMessage, MIMEPart
from email.policy import Policy
from email.utils import format_datetime, getaddresses, parseaddr
from functools import cache, lru_cache
from pathlib import Path

import jinja2

from sync.alerts import alert_code, fmt_date, fmt_datetime
from sync.model import Alert

# One definition for every adapter (sync.ports); importing them from here still works
from sync.ports import MailError as MailError
from sync.ports import MailTransport as MailTransport

BLOCKS: tuple[str, ...] = ("subject", "text", "html")


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

    boundary = "=_kns_" + _digest(f"{alert.alert_id}|{now.isoformat()}")[:32]
    # Every header is stored already encoded and folded: see MAIL_POLICY.
    msg = AlertMessage(policy=MAIL_POLICY)
    msg.subject_text = subject
    msg.set_raw("From", _address_header("From", [sender]))
    if alert.to:
        msg.set_raw("To", _address_header("To", alert.to))
    if alert.cc:
        msg.set_raw("Cc", _address_header("Cc", alert.cc))
    if reply_to:
        msg.set_raw("Reply-To", _address_header("Reply-To", [reply_to]))
    msg.set_raw("Subject", _unstructured_header("Subject", subject))
    msg.set_raw("Date", format_datetime(now))
    msg.set_raw("Message-ID", message_id(alert.alert_id, sender))
    msg.set_raw("X-KNS-Alert-Id", _unstructured_header("X-KNS-Alert-Id", alert.alert_id))
    items = alert.context.get("item_ids")
    if isinstance(items, list | tuple) and items:  # a branch's letter: its alerts' ids
        msg.set_raw("X-KNS-Items", _unstructured_header("X-KNS-Items", " ".join(items)))
    msg.set_raw("Auto-Submitted", "auto-generated")  # RFC 3834: no vacation replies, please
    msg.set_raw("MIME-Version", "1.0")
    # A fixed boundary keeps the bytes reproducible; "=_" never occurs in a QP body.
    msg.set_raw("Content-Type", _mime_header("Content-Type", _multipart_type(boundary)))
    msg.set_raw("Content-Language", "vi")
    msg.set_payload([_text_part("plain", text), _text_part("html", html)])
    return msg


class AlertMessage(EmailMessage):
    """A rendered alert; ``subject_text`` is its subject as written, for the mail log
    (reading ``msg["Subject"]`` back would parse the encoded header again)."""

    subject_text: str = ""


def message_id(alert_id: str, sender: str) -> str:
    """``<kns.<sha256(alert_id)[:24]>@<sender's domain>>``: the same alert, the same id."""
    addr = parseaddr(sender)[1]
    domain = addr.rpartition("@")[2].strip() if "@" in addr else ""
    if not domain.isascii():
        domain = _idna(domain)  # headers are 7-bit
    domain = domain or "localhost"
    return f"<kns.{_digest(alert_id)[:24]}@{domain}>"


# ---------------------------------------------------------------------------------------
# Pre-encoded headers and parts
#
# The stdlib generator re-parses and re-folds every header object it writes
# (email._header_value_parser): ~5 ms for a sample message, ~0.5 s with 60 addresses in
# To/Cc, and its folder (3.11, 3.12) can push the space between two wrapped words
# outside the encoded words, where a reader drops it ("kết quả về" arrives as
# "kết quảvề"). So every header is built here as RFC 2047 encoded words, folded, and stored
# with set_raw; MAIL_POLICY tells the generator to write such lines as they are, so
# as_bytes() costs what copying the message costs. Reading msg["Subject"], msg["To"] still
# parses (and decodes) on demand. The generator itself reads Content-Type and
# Content-Transfer-Encoding several times per part: those are stored parsed once
# (_PrefoldedHeader), so it does not parse them again either.
# ---------------------------------------------------------------------------------------

MAIL_POLICY = policy.SMTP.clone(refold_source="none")
MAX_HEADER_LINE = 78  # RFC 5322 "SHOULD"; the hard limit is 998
_EW_START, _EW_END = "=?utf-8?b?", "?="
_EW_MAX = 75  # RFC 2047: an encoded word is at most 75 characters
_PLAIN = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")  # printable words, single spaces
_SPECIALS = re.compile(r'[][\\()<>@,:;".]')  # a display name with these must be quoted
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _fold(name: str, tokens: Sequence[str]) -> str:
    """``tokens`` joined by single spaces, a line break put before a token whenever the line
    would pass MAX_HEADER_LINE (``"Name: "`` counts on the first line). Unfolding removes
    only the line breaks, so the value reads back with exactly one space between tokens."""
    lines: list[str] = []
    line: list[str] = []
    width = len(name) + 2
    for token in tokens:
        if line and width + 1 + len(token) > MAX_HEADER_LINE:
            lines.append(" ".join(line))
            line, width = [], 0
        width += len(token) + (1 if line or lines else 0)
        line.append(token)
    lines.append(" ".join(line))
    return "\n ".join(lines)


def _encoded_words(text: str, first: int = _EW_MAX) -> list[str]:
    """``text`` as base64 UTF-8 encoded words of at most 75 characters, the first at most
    ``first`` (what is left of the line after the header name).

    Each word holds whole characters (RFC 2047 section 5) and every space stays inside a
    word: a reader ignores the whitespace between two encoded words. A word ends after a
    space when one is in its second half: CPython's address parser before gh-128110 does
    not ignore that whitespace in a display name, and then shows "Hòa  Bình", not "Hò aBình".
    """
    words: list[str] = []
    chunk = bytearray()
    room = _ew_room(first)
    for char in text:
        data = char.encode("utf-8", "replace")  # a lone surrogate becomes "?", not a crash
        if chunk and len(chunk) + len(data) > room:
            cut = chunk.rfind(b" ") + 1  # 0x20 is never part of a multi-byte character
            if cut <= len(chunk) // 2:
                cut = len(chunk)
            words.append(_encoded_word(bytes(chunk[:cut])))
            del chunk[:cut]
            room = _ew_room(_EW_MAX)
        chunk += data
    if chunk or not words:
        words.append(_encoded_word(bytes(chunk)))
    return words


def _ew_room(width: int) -> int:
    """UTF-8 bytes an encoded word of ``width`` characters holds (4 base64 for 3 bytes)."""
    return max(4, (width - len(_EW_START) - len(_EW_END)) // 4 * 3)


def _first_width(name: str) -> int:
    return min(_EW_MAX, MAX_HEADER_LINE - len(name) - 2)


def _encoded_word(data: bytes) -> str:
    return _EW_START + base64.b64encode(data).decode("ascii") + _EW_END


def _fits(name: str, tokens: Sequence[str]) -> bool:
    return all(
        len(line) <= MAX_HEADER_LINE for line in (name + ": " + _fold(name, tokens)).split("\n")
    )


def _unstructured_header(name: str, value: str) -> str:
    """Plain ASCII words when they read back unchanged, otherwise encoded words."""
    value = _CONTROL.sub(" ", value)  # a header value never spans lines
    if _PLAIN.fullmatch(value) and "=?" not in value:
        tokens = value.split(" ")
        if _fits(name, tokens):
            return _fold(name, tokens)
    return _fold(name, _encoded_words(value, _first_width(name)))


def _address_header(name: str, entries: Sequence[str]) -> str:
    """An address list folded between (and within long) mailboxes."""
    mailboxes: list[list[str]] = []
    for entry in entries:
        entry = _CONTROL.sub(" ", entry).strip()
        pairs = getaddresses([entry])
        # getaddresses turns any text into something ("không có" -> "không"): what is not
        # an address stays visible as text; it cannot be delivered either way
        if not pairs or not all("@" in a or (a and a == entry) for _, a in pairs):
            mailboxes.append(_encoded_words(entry, _first_width(name)))
            continue
        for display, addr in pairs:
            # only the header's first word shares its line with the name
            first = _EW_MAX if mailboxes else _first_width(name)
            mailboxes.append(_display_name(display, first) + [_addr_spec(addr, bool(display))])
    tokens: list[str] = []
    for i, mailbox in enumerate(mailboxes):
        if i:
            tokens[-1] += ","
        tokens.extend(mailbox)
    return _fold(name, tokens)


def _display_name(display: str, first: int) -> list[str]:
    display = " ".join(display.split())
    if not display:
        return []
    if _PLAIN.fullmatch(display) and "=?" not in display:
        if not _SPECIALS.search(display):
            return display.split(" ")
        quoted = '"' + display.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if len(quoted) <= _EW_MAX:
            return [quoted]
    return _encoded_words(display, first)


def _addr_spec(addr: str, bracket: bool) -> str:
    addr = addr.strip()
    if not addr.isascii():
        # 7-bit headers: the domain in IDNA (deliverable); a non-ASCII local part cannot be
        # written without SMTPUTF8, so it is kept readable as an encoded word
        local, at, domain = addr.rpartition("@")
        if not at:
            local, domain = domain, ""
        if not domain.isascii():
            domain = _idna(domain) or _encoded_word(domain.encode("utf-8", "replace"))
        if not local.isascii():
            local = _encoded_word(local.encode("utf-8", "replace"))
        addr = local + at + domain
    return f"<{addr}>" if bracket else addr


def _idna(domain: str) -> str:
    """``phường.vn`` as ``xn--phng-rib8295b.vn``; "" when it cannot be a domain name."""
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return ""


class _PrefoldedHeader(headerregistry.BaseHeader):
    """A parsed header (``.params``, ``.content_type`` work as usual) that is written as
    the lines it was built from instead of being re-folded."""

    _lines: str

    def fold(self, *, policy: Policy) -> str:
        return self.name + ": " + self._lines.replace("\n", policy.linesep) + policy.linesep


_MIME_HEADERS = headerregistry.HeaderRegistry(base_class=_PrefoldedHeader)


@cache
def _mime_header_class(name: str) -> type[_PrefoldedHeader]:
    cls = _MIME_HEADERS[name]  # the registry builds a new class on every lookup
    assert issubclass(cls, _PrefoldedHeader)  # the registry's base_class
    return cls


@lru_cache(maxsize=64)
def _mime_header(name: str, lines: str) -> headerregistry.BaseHeader:
    """``lines`` (ASCII, folded with "\n ") as a header the generator need not parse."""
    header = _mime_header_class(name)(name, lines.replace("\n", ""))
    header._lines = lines
    return header


def _multipart_type(boundary: str) -> str:
    return f'multipart/alternative;\n boundary="{boundary}"'


def _text_part(subtype: str, content: str) -> MIMEPart:
    """A text/<subtype> part, UTF-8, quoted-printable, headers stored raw.

    Line breaks are normalised to "\n" as EmailMessage.set_content does (the generator
    writes them as CRLF); binascii's encoder keeps lines within 76 characters.
    """
    data = b"\n".join(content.encode("utf-8", "replace").splitlines()) + b"\n"
    part = MIMEPart(policy=MAIL_POLICY)
    part.set_raw("Content-Type", _mime_header("Content-Type", f'text/{subtype}; charset="utf-8"'))
    part.set_raw(
        "Content-Transfer-Encoding", _mime_header("Content-Transfer-Encoding", "quoted-printable")
    )
    part.set_payload(binascii.b2a_qp(data, istext=True).decode("ascii"))
    return part


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


@lru_cache(maxsize=16)
def _resolved(templates_dir: Path) -> Path:
    return templates_dir.resolve()


def _render_block(
    templates_dir: Path,
    name: str,
    block: str,
    variables: Mapping[str, object],
    *,
    html: bool = False,
) -> str:
    env = _environment(_resolved(templates_dir), html)
    try:
        template = env.get_template(name)
        render = template.blocks.get(block)
        if render is None:
            raise MailError(f"Mẫu thư {templates_dir / name} thiếu phần {{% block {block} %}}")
        context = template.new_context(dict(variables))
        return "".join(render(context))
    except jinja2.TemplateNotFound as e:
        missing = e.name if isinstance(e.name, str) else name  # None or Undefined: ours
        raise MailError(f"Không tìm thấy mẫu thư {templates_dir / missing}") from e
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
