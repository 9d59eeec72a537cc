"""A compact, fast encoding of normalised responses for the state's cache.

What is cached of a response is what folding it needs (``sync.evaluation.summarize``): a
plain tuple for a registration, a score sheet or a learning record (about 100 bytes,
``marshal``-ed: a few µs to load, no object to build), the whole record for a form A report
(a few per branch), and the response's data problems. Pickled records cost about 1.6 KB and
45 µs per Biểu mẫu 01 registration. Texts of a report that belong to the source's
vocabulary (the mapping's choices) are stored as their index in it; the vocabulary is
derived from the rubric and the mapping, which are part of the cache's context key, so an
index always means the same text.
"""

from __future__ import annotations

import marshal
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from scoring.rubric import Rubric
from sync.mapping import FormMapping
from sync.model import (
    BranchReport,
    DataProblem,
)

FORMAT = 2  # part of the cache's context key: bump when the layout below changes

_REPORT = 1


class Vocabulary:
    """The texts a source's records are made of, by index."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = tuple(dict.fromkeys(texts))
        self.index = {t: i for i, t in enumerate(self.texts)}

    def ref(self, text: str) -> int | str:
        i = self.index.get(text)
        return text if i is None else i

    def text(self, ref: int | str) -> str:
        return self.texts[ref] if isinstance(ref, int) else ref


def vocabulary(rubric: Rubric, mapping: FormMapping) -> Vocabulary:
    texts: list[str] = []
    for section in rubric.registration:
        texts += section.items
    texts += rubric.self_assessment_rows
    for f in mapping.fields:
        texts += f.choices
        texts += f.rows
        texts += [str(k) for k in f.values]
        texts += list(f.choice_aliases.values())
    return Vocabulary(texts)


def _date(d: date | None) -> int | None:
    return None if d is None else d.toordinal()


def _undate(n: int | None) -> date | None:
    return None if n is None else date.fromordinal(n)


def _build(cls: type, fields: dict[str, Any]) -> Any:
    # frozen dataclasses: set the fields directly (their __init__ costs a setattr per field)
    obj: object = object.__new__(cls)
    object.__setattr__(obj, "__dict__", fields)
    return obj


def encode(
    summary: tuple[Any, ...] | BranchReport | None,
    problems: Sequence[DataProblem],
    vocab: Vocabulary,
) -> bytes:
    """``summary``: what ``summarize`` gives (a tuple, a BranchReport) or None."""
    item = (
        (_REPORT, _encode_record(summary, vocab))
        if isinstance(summary, BranchReport)
        else (
            0,
            summary,
        )
    )
    return marshal.dumps(
        (
            FORMAT,
            item,
            tuple(
                (p.source, p.record, p.field, p.raw_value, p.reason, p.branch_code)
                for p in problems
            ),
        )
    )


def decode(
    blob: bytes, source_id: str, vocab: Vocabulary
) -> tuple[tuple[Any, ...] | BranchReport | None, tuple[DataProblem, ...]]:
    fmt, (kind, item), problems = marshal.loads(blob)
    if fmt != FORMAT:
        raise ValueError(f"normalised cache format {fmt}")
    summary = _decode_record(item, source_id, vocab) if kind == _REPORT else item
    return (
        summary,
        tuple(_build(DataProblem, dict(zip(_PROBLEM_FIELDS, p, strict=True))) for p in problems),
    )


_PROBLEM_FIELDS = ("source", "record", "field", "raw_value", "reason", "branch_code")


def _base(r: BranchReport) -> tuple[str, str, str]:
    return (r.response_id, r.row_label, r.submitted_at.isoformat())


def _encode_record(r: BranchReport, vocab: Vocabulary) -> tuple[Any, ...]:
    return (
        *_base(r),
        r.branch_code,
        r.reporter_name,
        _date(r.plan_date),
        _date(r.session_date),
        r.session_form,
        r.total_members,
        r.exempt_members,
        r.participants,
        tuple(vocab.ref(c) for c in r.contents),
        r.invited_expert,
        r.task_name,
        dict(r.six_clear),
        r.task_progress,
        dict(r.counts),
        r.report_sent,
        r.good_practices,
        r.difficulties,
    )


def _decode_record(t: tuple[Any, ...], source_id: str, vocab: Vocabulary) -> BranchReport:
    (
        response_id,
        row_label,
        submitted,
        branch,
        reporter,
        plan,
        session,
        form,
        total,
        exempt,
        participants,
        contents,
        expert,
        task,
        six,
        progress,
        counts,
        sent,
        practices,
        difficulties,
    ) = t
    return _build(
        BranchReport,
        {
            "source_id": source_id,
            "response_id": response_id,
            "row_label": row_label,
            "submitted_at": datetime.fromisoformat(submitted),
            "branch_code": branch,
            "reporter_name": reporter,
            "plan_date": _undate(plan),
            "session_date": _undate(session),
            "session_form": form,
            "total_members": total,
            "exempt_members": exempt,
            "participants": participants,
            "contents": tuple(vocab.text(c) for c in contents),
            "invited_expert": expert,
            "task_name": task,
            "six_clear": six,
            "task_progress": progress,
            "counts": counts,
            "report_sent": sent,
            "good_practices": practices,
            "difficulties": difficulties,
        },
    )
