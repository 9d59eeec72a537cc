"""Biểu mẫu 02 (scoring sheet): totals, band, pending and gap flags per member.

The committee's score ("Cấp ủy chấm") classifies; the self score stays visible beside it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from scoring.registration import evaluate_registration
from scoring.rubric import Criterion, Rubric
from sync.model import (
    NOT_APPLICABLE,
    LearningRecord,
    MemberResult,
    Registration,
    RegistrationResult,
    Roster,
    Scorer,
    ScoreSheet,
)

# Float sums of half points (7,5 + ...) must not miss a threshold by a rounding hair.
_EPS = 1e-9


def _ordered(rubric: Rubric) -> list[Criterion]:
    # asked for every member's sheets: sorted once per rubric
    cached = _ORDER.get(id(rubric))
    if cached is None or cached[0] is not rubric:
        if len(_ORDER) > 8:  # a service loads the rubric again every cycle: stay bounded
            _ORDER.clear()
        cached = _ORDER[id(rubric)] = (rubric, sorted(rubric.criteria, key=lambda c: c.number))
    return cached[1]


_ORDER: dict[int, tuple[Rubric, list[Criterion]]] = {}


def sheet_total(
    rubric: Rubric, sheet: ScoreSheet
) -> tuple[float, dict[int, float], tuple[int, ...]]:
    """Total, per-criterion points and the criteria missing from the sheet.

    A criterion answered "Không áp dụng" gets its maximum when the rubric says so
    (rubric.not_applicable_gets_max), else 0. A blank or rejected criterion scores 0 and
    is listed as missing, so staff see why a total is low. Criteria the rubric does not
    know are ignored.
    """
    points: dict[int, float] = {}
    missing: list[int] = []
    for criterion in _ordered(rubric):
        value = sheet.criteria.get(criterion.number)
        if value is None:
            missing.append(criterion.number)
            points[criterion.number] = 0.0
        elif value == NOT_APPLICABLE:
            points[criterion.number] = criterion.max if rubric.not_applicable_gets_max else 0.0
        else:
            # normalisation already rejects out-of-range values; clamp so a bad value can
            # never push a total past the rubric's maximum
            points[criterion.number] = min(max(float(value), 0.0), criterion.max)
    return math.fsum(points.values()), points, tuple(missing)


class Points(Mapping[int, float]):
    """A committee sheet's points per criterion, as a mapping over two tuples (the rubric's
    criterion numbers, shared by every member, and this member's points): a province holds
    100,000 of them."""

    # not "values": that name would hide ``Mapping.values()`` (calling it raised TypeError)
    __slots__ = ("numbers", "scores")

    def __init__(self, numbers: tuple[int, ...], scores: tuple[float, ...]) -> None:
        self.numbers = numbers
        self.scores = scores

    def __getitem__(self, key: int) -> float:
        try:
            return self.scores[self.numbers.index(key)]
        except ValueError:
            raise KeyError(key) from None

    def __iter__(self) -> Iterator[int]:
        return iter(self.numbers)

    def __len__(self) -> int:
        return len(self.numbers)

    def __repr__(self) -> str:
        return repr(dict(self))


@dataclass(frozen=True, slots=True)
class SheetScore:
    """What a member's results need of one score sheet."""

    total: float
    points: Mapping[int, float]
    missing: tuple[int, ...]
    rejected: tuple[int, ...] = ()  # criteria whose answer was unreadable


def score_sheet(rubric: Rubric, sheet: ScoreSheet) -> SheetScore:
    """``sheet_total`` in the compact form members' results keep."""
    total, points, missing = sheet_total(rubric, sheet)
    return SheetScore(
        total, Points(tuple(points), tuple(points.values())), missing, sheet.rejected
    )


def member_results(
    rubric: Rubric,
    roster: Roster,
    registrations: Mapping[str, Registration],
    sheets: Mapping[tuple[str, Scorer], ScoreSheet],
    learning: Mapping[str, LearningRecord],
) -> tuple[MemberResult, ...]:
    """One result per roster member, in roster order.

    The inputs are already reduced to the latest record per member (and per scorer).
    The member's branch is the roster's, whatever branch the member typed on a form.
    """
    return results_of(
        rubric,
        roster,
        {code: evaluate_registration(rubric, reg) for code, reg in registrations.items()},
        {m: sheet_total(rubric, s)[0] for (m, who), s in sheets.items() if who is Scorer.SELF},
        {m: score_sheet(rubric, s) for (m, who), s in sheets.items() if who is Scorer.COMMITTEE},
        {code: (r.lessons_completed, r.passed) for code, r in learning.items()},
    )


def results_of(
    rubric: Rubric,
    roster: Roster,
    registrations: Mapping[str, RegistrationResult],
    self_totals: Mapping[str, float],
    committee: Mapping[str, SheetScore],
    learning: Mapping[str, tuple[int | None, bool | None]],
) -> tuple[MemberResult, ...]:
    """One result per roster member, in roster order, from what was kept of each member's
    latest registration, self score, committee score and learning record."""
    out: list[MemberResult] = []
    for member in roster.members:
        self_total = self_totals.get(member.code)
        scored = committee.get(member.code)
        review = None
        if scored is not None and scored.rejected:
            # the committee's latest sheet has a wrong cell: neither it nor an earlier
            # sheet classifies the member until the committee sends a valid one
            review = "Phiếu cấp ủy chấm có ô không hợp lệ: " + ", ".join(
                f"tiêu chí {n}" for n in scored.rejected
            )
            scored = None
        committee_total = scored.total if scored is not None else None
        learned = learning.get(member.code)
        out.append(
            MemberResult(
                member_code=member.code,
                branch_code=member.branch_code,
                registration=registrations.get(member.code),
                self_total=self_total,
                committee_total=committee_total,
                band=rubric.band_for(committee_total) if committee_total is not None else None,
                pending=self_total is not None and scored is None and review is None,
                gap_flag=(
                    self_total is not None
                    and committee_total is not None
                    and abs(self_total - committee_total) >= rubric.gap_review_threshold - _EPS
                ),
                missing_committee_criteria=scored.missing if scored is not None else (),
                committee_criteria=scored.points if scored is not None else {},
                learning_lessons=learned[0] if learned is not None else None,
                learning_passed=learned[1] if learned is not None else None,
                review_reason=review,
            )
        )
    return tuple(out)
