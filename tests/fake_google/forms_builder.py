"""Builders for Forms API ``Item`` dicts (the shape ``forms.get`` returns)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any, Literal

QuestionKind = Literal[
    "text", "paragraph", "date", "time", "radio", "checkbox", "dropdown", "scale"
]

_CHOICE_TYPES = {"radio": "RADIO", "checkbox": "CHECKBOX", "dropdown": "DROP_DOWN"}


def item_id_for(key: str) -> str:
    """A stable 8-hex-digit item id (real ids look like ``"5f1e2a3b"``)."""
    return f"{zlib.crc32(('item:' + key).encode()):08x}"


def question(
    qid: str,
    title: str,
    kind: QuestionKind = "text",
    options: Sequence[str] = (),
    *,
    required: bool = False,
    description: str | None = None,
    item_id: str | None = None,
) -> dict[str, Any]:
    """A question item. ``options`` are the choices of radio/checkbox/dropdown questions."""
    q: dict[str, Any] = {"questionId": qid}
    if required:
        q["required"] = True
    if kind == "text":
        q["textQuestion"] = {}
    elif kind == "paragraph":
        q["textQuestion"] = {"paragraph": True}
    elif kind == "date":
        q["dateQuestion"] = {"includeYear": True}
    elif kind == "time":
        q["timeQuestion"] = {}
    elif kind == "scale":
        q["scaleQuestion"] = {"low": 1, "high": max(2, len(options) or 5)}
    elif kind in _CHOICE_TYPES:
        if not options:
            raise ValueError(f"a {kind} question needs options")
        q["choiceQuestion"] = {
            "type": _CHOICE_TYPES[kind],
            "options": [{"value": o} for o in options],
        }
    else:
        raise ValueError(f"unknown question kind {kind!r}")
    item: dict[str, Any] = {"itemId": item_id or item_id_for(qid), "title": title}
    if description:
        item["description"] = description
    item["questionItem"] = {"question": q}
    return item


def grid(
    item_title: str,
    rows: Sequence[tuple[str, str]],
    columns: Sequence[str],
    *,
    kind: Literal["radio", "checkbox"] = "radio",
    required: bool = False,
    item_id: str | None = None,
) -> dict[str, Any]:
    """A grid (question group): one question per row ``(questionId, row title)``."""
    questions = []
    for qid, row_title in rows:
        q: dict[str, Any] = {"questionId": qid, "rowQuestion": {"title": row_title}}
        if required:
            q["required"] = True
        questions.append(q)
    return {
        "itemId": item_id or item_id_for(item_title),
        "title": item_title,
        "questionGroupItem": {
            "questions": questions,
            "grid": {
                "columns": {
                    "type": _CHOICE_TYPES[kind],
                    "options": [{"value": c} for c in columns],
                }
            },
        },
    }


def page_break(title: str, *, item_id: str | None = None) -> dict[str, Any]:
    """A section header (page break) item."""
    return {"itemId": item_id or item_id_for("page:" + title), "title": title, "pageBreakItem": {}}
