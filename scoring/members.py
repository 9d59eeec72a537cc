"""Biểu mẫu 02 (scoring sheet): totals, band, pending and gap flags per member.

The committee's score ("Cấp ủy chấm") classifies; the self score stays visible beside it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from scoring.registration import evaluate_registration
from scoring.rubric import Criterion, Rubric
from sync.model import (
    NOT_APPLICABLE,
    LearningRecord,
    MemberResult,
    Registration,
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
    out: list[MemberResult] = []
    for member in roster.members:
        reg = registrations.get(member.code)
        own = sheets.get((member.code, Scorer.SELF))
        committee = sheets.get((member.code, Scorer.COMMITTEE))
        self_total = sheet_total(rubric, own)[0] if own is not None else None
        committee_total: float | None = None
        committee_points: dict[int, float] = {}
        missing: tuple[int, ...] = ()
        if committee is not None:
            committee_total, committee_points, missing = sheet_total(rubric, committee)
        learned = learning.get(member.code)
        out.append(
            MemberResult(
                member_code=member.code,
                branch_code=member.branch_code,
                registration=evaluate_registration(rubric, reg) if reg is not None else None,
                self_total=self_total,
                committee_total=committee_total,
                band=rubric.band_for(committee_total) if committee_total is not None else None,
                pending=own is not None and committee is None,
                gap_flag=(
                    self_total is not None
                    and committee_total is not None
                    and abs(self_total - committee_total) >= rubric.gap_review_threshold - _EPS
                ),
                missing_committee_criteria=missing,
                committee_criteria=committee_points,
                learning_lessons=learned.lessons_completed if learned is not None else None,
                learning_passed=learned.passed if learned is not None else None,
            )
        )
    return tuple(out)
