"""Biểu mẫu 01 (registration and commitment): is a member's registration complete?

The rules are data (rubric.registration): each section is "all" (every item mandatory),
"at_least" k items, or "none" (commitments, nothing mandatory).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from scoring.rubric import RegistrationSection, Rubric
from sync.model import Registration, RegistrationResult
from sync.text import normalize_title


def _chosen_count(section: RegistrationSection, chosen: Iterable[str]) -> int:
    """How many of the section's items were chosen.

    Compared with normalize_title so an item stored in another Unicode form or with a
    stray space still counts; duplicates and texts that are not items of the section
    count nothing (a checkbox can only be ticked once).
    """
    picked = {normalize_title(c) for c in chosen}
    return sum(1 for key in _item_keys(tuple(section.items)) if key in picked)


@lru_cache(maxsize=64)
def _item_keys(items: tuple[str, ...]) -> tuple[str, ...]:
    # a section's items are compared for every member: key them once
    return tuple(normalize_title(item) for item in items)


def _failure(section: RegistrationSection, n: int) -> str | None:
    """The Vietnamese line for a section whose rule does not hold, else None."""
    total = len(section.items)
    if section.rule == "all" and n < total:
        return f"Mục {section.title}: chọn {n}/{total} nội dung bắt buộc"
    if section.rule == "at_least" and section.at_least is not None and n < section.at_least:
        return f"Mục {section.title}: chọn {n}/{total} nội dung, cần ít nhất {section.at_least}"
    return None  # rule "none", or the rule holds


def evaluate_registration(rubric: Rubric, reg: Registration) -> RegistrationResult:
    """Check one registration against every section rule of the rubric."""
    failed: list[str] = []
    for section in rubric.registration:
        line = _failure(section, _chosen_count(section, reg.sections.get(section.id, ())))
        if line is not None:
            failed.append(line)
    answers = {normalize_title(k): v for k, v in reg.self_assessment.items()}
    return RegistrationResult(
        complete=not failed,
        failed_rules=tuple(failed),
        self_assessment_done=sum(1 for v in reg.self_assessment.values() if v is True),
        self_assessment=tuple(
            answers.get(key) for key in _item_keys(tuple(rubric.self_assessment_rows))
        ),
    )
