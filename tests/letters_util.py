"""Reading what a sent message carries: a branch's letter bundles several alerts
(``X-KNS-Items``); any other message carries the one alert of its ``X-KNS-Alert-Id``."""

from __future__ import annotations

from collections.abc import Iterable
from email import message_from_bytes
from email.message import Message
from pathlib import Path


def items_of(message: Message) -> list[str]:
    carried = message.get("X-KNS-Items")
    if carried:
        return " ".join(str(carried).split()).split(" ")
    return [str(message["X-KNS-Alert-Id"])]


def items_in(messages: Iterable[Message]) -> list[str]:
    return [i for m in messages for i in items_of(m)]


def outbox_messages(folder: Path) -> list[Message]:
    return [message_from_bytes(p.read_bytes()) for p in sorted(Path(folder).glob("*.eml"))]


def outbox_items(folder: Path) -> list[str]:
    """Every alert id carried by the .eml files in ``folder``."""
    return items_in(outbox_messages(folder))
