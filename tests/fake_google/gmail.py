"""Gmail v1 state and behaviour of the fake: sending, listing with ``q`` and getting."""

from __future__ import annotations

import base64
import copy
import html
import json
import random
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Any

from .discovery import ApiError, bad_request, decode_bytes


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass
class StoredMessage:
    message_id: str
    thread_id: str
    raw: bytes
    message: EmailMessage
    labels: list[str]
    internal_date: datetime
    history_id: int
    search_text: str
    search_headers: dict[str, str]

    def parsed_copy(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.raw)
        assert isinstance(parsed, EmailMessage)
        return parsed


def _text_of(message: EmailMessage) -> str:
    parts: list[str] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if ctype not in ("text/plain", "text/html"):
            continue
        try:
            content = part.get_content()
        except (LookupError, ValueError):
            payload = part.get_payload(decode=True)
            content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        if ctype == "text/html":
            content = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", content)
            content = html.unescape(re.sub(r"<[^>]+>", " ", content))
        parts.append(str(content))
    return "\n".join(parts)


def _term_matches(term: str, text: str) -> bool:
    term = " ".join(term.split()).casefold()
    if not term:
        return True
    pattern = r"(?<!\w)" + re.escape(term).replace(r"\ ", r"\s+") + r"(?!\w)"
    return re.search(pattern, text) is not None


_TOKEN_RE = re.compile(r'(-?)(?:([A-Za-z_]+):)?("([^"]*)"|\S+)')
_OPERATORS = frozenset(
    {
        "in",
        "label",
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "rfc822msgid",
        "after",
        "before",
        "newer_than",
        "older_than",
        "is",
    }
)


class GmailState:
    def __init__(self, *, address: str, seed: int = 20261123) -> None:
        self.address = address
        self.messages: list[StoredMessage] = []
        self.rewrite_message_id = True
        self._rng = random.Random(seed)
        self._history = 1000

    def _hex_id(self) -> str:
        return f"{self._rng.getrandbits(64):016x}"

    def check_user(self, user_id: str) -> None:
        if user_id != "me" and user_id.casefold() != self.address.casefold():
            raise ApiError(403, f"Delegation denied for {self.address}")

    # -- sending ------------------------------------------------------------------------

    def send(
        self, user_id: str, body: Mapping[str, Any] | None, media: bytes | None
    ) -> tuple[dict[str, Any], StoredMessage]:
        self.check_user(user_id)
        body = body or {}
        if media is not None:
            raw = media
        else:
            encoded = body.get("raw")
            if not encoded:
                raise bad_request(
                    "'raw' RFC822 payload message string or uploading message via /upload/* "
                    "URL required"
                )
            decoded = decode_bytes(str(encoded))
            if decoded is None:
                raise bad_request("Invalid value at 'message.raw' (TYPE_BYTES)")
            raw = decoded
        parsed = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(parsed, EmailMessage)
        recipients = [
            addr
            for _, addr in getaddresses(
                [str(v) for h in ("To", "Cc", "Bcc") for v in parsed.get_all(h, [])]
            )
            if addr
        ]
        if not recipients:
            raise bad_request("Recipient address required")
        if not parsed.get("From") or not getaddresses([str(parsed["From"])])[0][1]:
            raise bad_request("Invalid From header")
        message_id = self._hex_id()
        if self.rewrite_message_id or "Message-ID" not in parsed:
            token = "".join(
                self._rng.choice(string.ascii_letters + string.digits + "+_-") for _ in range(40)
            )
            del parsed["Message-ID"]
            parsed["Message-ID"] = f"<CA+{token}@mail.gmail.com>"
        thread_id = self._thread_for(body.get("threadId"), parsed) or message_id
        stored_raw = parsed.as_bytes(policy=policy.SMTP)
        self._history += 1
        text = _text_of(parsed)
        headers = {
            name.lower(): " ".join(str(v) for v in parsed.get_all(name, []))
            for name in ("From", "To", "Cc", "Bcc", "Subject", "Message-ID")
        }
        searchable = "\n".join([*headers.values(), text]).casefold()
        stored = StoredMessage(
            message_id,
            thread_id,
            stored_raw,
            parsed,
            ["SENT"],
            datetime.now(UTC),
            self._history,
            searchable,
            {k: v.casefold() for k, v in headers.items()},
        )
        self.messages.append(stored)
        return {"id": message_id, "threadId": thread_id, "labelIds": ["SENT"]}, stored

    def _thread_for(self, thread_id: Any, parsed: EmailMessage) -> str | None:
        known = {m.thread_id for m in self.messages}
        if thread_id and thread_id in known:
            return str(thread_id)
        refs = " ".join(str(parsed.get(h, "")) for h in ("In-Reply-To", "References"))
        for ref in re.findall(r"<[^>]+>", refs):
            for m in self.messages:
                if str(m.message.get("Message-ID", "")).strip() == ref:
                    return m.thread_id
        return None

    # -- listing ------------------------------------------------------------------------

    def _matches(self, stored: StoredMessage, q: str) -> bool:
        for m in _TOKEN_RE.finditer(q):
            negate, op, whole, quoted = m.group(1) == "-", m.group(2), m.group(3), m.group(4)
            term = quoted if quoted is not None else whole
            if op and op.lower() not in _OPERATORS:
                term, op = f"{op}:{term}", None
            ok = self._match_term(stored, op.lower() if op else None, term)
            if ok == negate:
                return False
        return True

    def _match_term(self, stored: StoredMessage, op: str | None, term: str) -> bool:
        if op is None:
            if term.upper() in ("OR", "AND"):
                return True
            return _term_matches(term, stored.search_text)
        value = term.casefold()
        if op in ("in", "label"):
            if value in ("anywhere", "all"):
                return True
            return value.upper() in stored.labels
        if op == "is":
            return value in ("read", "sent")
        if op in ("from", "to", "cc", "bcc", "subject"):
            return _term_matches(term, stored.search_headers.get(op, ""))
        if op == "rfc822msgid":
            return value.strip("<>") == stored.search_headers.get("message-id", "").strip("<>")
        moment = stored.internal_date
        if op in ("after", "before"):
            bound = _parse_day(term)
            if bound is None:
                return False
            return moment >= bound if op == "after" else moment < bound
        if op in ("newer_than", "older_than"):
            age = _parse_age(term)
            if age is None:
                return False
            cutoff = datetime.now(UTC) - age
            return moment >= cutoff if op == "newer_than" else moment < cutoff
        return False

    def list(self, user_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        self.check_user(user_id)
        q = params.get("q") or ""
        labels = [str(label).upper() for label in params.get("labelIds") or []]
        size = params.get("maxResults")
        size = 100 if size is None else size
        size = max(1, min(size, 500))
        matching = [
            m
            for m in reversed(self.messages)
            if all(label in m.labels for label in labels) and self._matches(m, q)
        ]
        start = 0
        token = params.get("pageToken")
        if token:
            try:
                start = int(json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))))
            except (ValueError, TypeError):
                raise bad_request("Invalid pageToken") from None
        page = matching[start : start + size]
        out: dict[str, Any] = {}
        if page:
            out["messages"] = [{"id": m.message_id, "threadId": m.thread_id} for m in page]
        if start + size < len(matching):
            out["nextPageToken"] = b64url(json.dumps(start + size).encode())
        out["resultSizeEstimate"] = len(matching)
        return out

    # -- getting ------------------------------------------------------------------------

    def find(self, message_id: str) -> StoredMessage:
        for m in self.messages:
            if m.message_id == message_id:
                return m
        raise ApiError(404, "Requested entity was not found.")

    def get(self, user_id: str, message_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        self.check_user(user_id)
        stored = self.find(message_id)
        fmt = params.get("format") or "full"
        out: dict[str, Any] = {
            "id": stored.message_id,
            "threadId": stored.thread_id,
            "labelIds": list(stored.labels),
            "snippet": " ".join(_text_of(stored.message).split())[:200],
            "sizeEstimate": len(stored.raw),
            "historyId": str(stored.history_id),
            "internalDate": str(int(stored.internal_date.timestamp() * 1000)),
        }
        if fmt == "raw":
            out["raw"] = b64url(stored.raw)
        elif fmt == "metadata":
            wanted = {h.casefold() for h in params.get("metadataHeaders") or []}
            headers = [
                {"name": k, "value": str(v)}
                for k, v in stored.message.items()
                if not wanted or k.casefold() in wanted
            ]
            out["payload"] = {"mimeType": stored.message.get_content_type(), "headers": headers}
        elif fmt == "full":
            out["payload"] = _payload(stored.message, "")
        return out

    def sent_messages(self) -> list[EmailMessage]:
        return [m.parsed_copy() for m in self.messages]

    def profile(self, user_id: str) -> dict[str, Any]:
        self.check_user(user_id)
        return {
            "emailAddress": self.address,
            "messagesTotal": len(self.messages),
            "threadsTotal": len({m.thread_id for m in self.messages}),
            "historyId": str(self._history),
        }


def _payload(part: EmailMessage, part_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "partId": part_id,
        "mimeType": part.get_content_type(),
        "filename": part.get_filename() or "",
        "headers": [{"name": k, "value": str(v)} for k, v in part.items()],
    }
    if part.is_multipart():
        out["body"] = {"size": 0}
        children = part.get_payload()
        assert isinstance(children, list)
        out["parts"] = [
            _payload(copy.copy(child), f"{part_id}.{i}" if part_id else str(i))
            for i, child in enumerate(children)
        ]
    else:
        data = part.get_payload(decode=True)
        data = data if isinstance(data, bytes) else b""
        out["body"] = {"size": len(data), "data": b64url(data)} if data else {"size": 0}
    return out


def _parse_day(text: str) -> datetime | None:
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    m = re.fullmatch(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})", text)
    if not m:
        return None
    return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=UTC)


def _parse_age(text: str) -> timedelta | None:
    m = re.fullmatch(r"(\d+)([dmy])", text.lower())
    if not m:
        return None
    n = int(m.group(1))
    return timedelta(days=n * {"d": 1, "m": 30, "y": 365}[m.group(2)])


def parse_upload(content_type: str, body: bytes) -> tuple[dict[str, Any] | None, bytes]:
    """A ``multipart/related`` upload (JSON metadata + the message) or a ``media`` one."""
    ctype = content_type.lower()
    if not ctype.startswith("multipart/"):
        return None, body
    m = re.search(r'boundary="?([^";]+)"?', content_type)
    if not m:
        raise bad_request("multipart upload without a boundary")
    boundary = b"--" + m.group(1).encode()
    chunks = body.split(boundary)
    parts: list[tuple[str, bytes]] = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk.lstrip(b"\n")
        found = [(chunk.find(s), s) for s in (b"\r\n\r\n", b"\n\n") if chunk.find(s) >= 0]
        if not found:
            head, content = chunk, b""
        else:
            at, sep = min(found)
            head, content = chunk[:at], chunk[at + len(sep) :]
        if content.endswith(b"\r\n"):
            content = content[:-2]
        elif content.endswith(b"\n"):
            content = content[:-1]
        part_type = ""
        for line in head.decode("latin-1").splitlines():
            if line.lower().startswith("content-type:"):
                part_type = line.split(":", 1)[1].strip().lower()
        parts.append((part_type, content))
    if len(parts) != 2:
        raise bad_request("a multipart upload needs exactly two parts: metadata and media")
    try:
        metadata = json.loads(parts[0][1] or b"{}")
    except ValueError:
        raise bad_request("Invalid JSON payload received in the metadata part.") from None
    if not isinstance(metadata, dict):
        raise bad_request("Invalid JSON payload received in the metadata part.")
    return metadata, parts[1][1]
