"""Ward KPIs (rubric.targets): share of branches or of eligible members meeting a target.

Member targets prefer member-level evidence (Biểu mẫu 01/02) branch by branch; a branch
with none falls back to the count it reported on form A, so the ward sees a figure early
in the year and a precise one as members are scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from scoring.rubric import Rubric, Target
from sync.model import BranchStatus, Evidence, KpiResult, Member, MemberResult, Roster

_EPS = 1e-9


class _Source(Enum):
    MEMBER = "member"
    BRANCH = "branch"
    NONE = "none"


def _branch_passes(check: str | None, st: BranchStatus | None) -> bool:
    if st is None:
        return False
    if check == "session_held":
        return st.session_date is not None  # branches.py keeps only dates already past
    if check == "task_registered":
        return st.task_registered
    if check == "report_sent":
        return st.report_sent
    if check == "plan_issued":
        return st.plan_date is not None
    raise ValueError(f"unknown branch_check {check!r}")


def _branch_kpi(target: Target, roster: Roster, by_code: dict[str, BranchStatus]) -> KpiResult:
    codes = [b.code for b in roster.branches]
    numerator = sum(1 for c in codes if _branch_passes(target.branch_check, by_code.get(c)))
    reported = sum(1 for c in codes if c in by_code and by_code[c].report is not None)
    parts = [f"Theo báo cáo chi bộ: {reported} chi bộ đã báo cáo"]
    if len(codes) - reported:
        parts.append(f"chưa báo cáo: {len(codes) - reported} chi bộ")
    return _result(target, numerator, len(codes), Evidence.BRANCH, "; ".join(parts))


def _has_member_evidence(target: Target, results: Sequence[MemberResult]) -> bool:
    if target.member_check == "criterion":
        return any(r.committee_total is not None for r in results)
    return any(r.registration is not None for r in results)


def _member_passes(target: Target, rubric: Rubric, r: MemberResult | None) -> bool:
    if r is None:
        return False
    if target.member_check == "has_registration":
        return r.registration is not None
    if target.member_check == "registration_complete":
        return r.registration is not None and r.registration.complete
    if target.member_check == "criterion":
        assert target.criterion is not None  # enforced by the rubric schema
        if r.committee_total is None:
            return False
        needed = (
            target.min_score
            if target.min_score is not None
            else rubric.criterion(target.criterion).max
        )
        return r.committee_criteria.get(target.criterion, 0.0) >= needed - _EPS
    raise ValueError(f"unknown member_check {target.member_check!r}")


def _member_kpi(
    target: Target,
    rubric: Rubric,
    roster: Roster,
    by_code: dict[str, BranchStatus],
    results: dict[str, MemberResult],
) -> KpiResult:
    roster_members: dict[str, list[Member]] = {}
    for m in roster.members:
        roster_members.setdefault(m.branch_code, []).append(m)
    # roster branches first; a member listed under an unknown branch still counts
    codes = list(dict.fromkeys([b.code for b in roster.branches] + list(roster_members)))

    numerator = denominator = 0
    used: dict[_Source, int] = dict.fromkeys(_Source, 0)
    for code in codes:
        members = roster_members.get(code, [])
        eligible = [m for m in members if not m.exempt]
        if not eligible:
            continue  # nothing to count, and "no data" would mislead for such a branch
        denominator += len(eligible)
        # "its members": exempt ones too, a scored exempt member shows the branch scores
        branch_results = [results[m.code] for m in members if m.code in results]
        st = by_code.get(code)
        reported = (
            st.report.counts.get(target.branch_field)
            if target.branch_field is not None and st is not None and st.report is not None
            else None
        )
        if _has_member_evidence(target, branch_results):
            numerator += sum(
                1 for m in eligible if _member_passes(target, rubric, results.get(m.code))
            )
            used[_Source.MEMBER] += 1
        elif reported is not None:
            # a reported figure above the roster cannot be right: cap it
            numerator += min(max(reported, 0), len(eligible))
            used[_Source.BRANCH] += 1
        else:
            used[_Source.NONE] += 1

    if used[_Source.MEMBER] and used[_Source.BRANCH]:
        evidence = Evidence.MIXED
    elif used[_Source.MEMBER]:
        evidence = Evidence.MEMBER
    elif used[_Source.BRANCH]:
        evidence = Evidence.BRANCH
    else:
        evidence = Evidence.NONE
    return _result(target, numerator, denominator, evidence, _member_note(target, used))


def _member_note(target: Target, used: dict[_Source, int]) -> str:
    form = "Biểu mẫu 02" if target.member_check == "criterion" else "Biểu mẫu 01"
    parts = []
    if used[_Source.MEMBER]:
        parts.append(f"Theo đảng viên ({form}): {used[_Source.MEMBER]} chi bộ")
    if used[_Source.BRANCH]:
        parts.append(f"theo báo cáo chi bộ: {used[_Source.BRANCH]} chi bộ")
    if used[_Source.NONE]:
        parts.append(f"chưa có số liệu: {used[_Source.NONE]} chi bộ")
    if not parts:
        return "Không có đảng viên thuộc diện tính chỉ tiêu"
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


def _result(
    target: Target, numerator: int, denominator: int, evidence: Evidence, note: str
) -> KpiResult:
    actual = numerator / denominator if denominator else None
    return KpiResult(
        target_id=target.id,
        title=target.title,
        actual=actual,
        target=target.target,
        met=actual is not None and actual >= target.target - _EPS,
        numerator=numerator,
        denominator=denominator,
        evidence=evidence,
        evidence_note=note,
    )


def ward_kpis(
    rubric: Rubric,
    roster: Roster,
    statuses: Sequence[BranchStatus],
    members: Sequence[MemberResult],
) -> tuple[KpiResult, ...]:
    """One result per rubric target, in the rubric's order."""
    by_code = {s.branch_code: s for s in statuses}
    results = {r.member_code: r for r in members}
    return tuple(
        _branch_kpi(t, roster, by_code)
        if t.unit == "branch"
        else _member_kpi(t, rubric, roster, by_code, results)
        for t in rubric.targets
    )
