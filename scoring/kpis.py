"""Ward KPIs (rubric.targets): each of the year's targets measured by every part it names.

A part is a share of roster branches, or of eligible members, passing a check. Member
parts prefer member-level evidence (Biểu mẫu 01/02) branch by branch; a branch with none
falls back to the count it reported on form A when the rubric names one, so the ward sees
a figure early in the year. The verdict is "Đạt" or "Chưa đạt" only when the part is
measured on every member (or branch) it concerns; otherwise it says what is missing
("Chưa đủ số liệu: ..."): a target is never "Đạt" on half its evidence.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from scoring.rubric import Rubric, Target, TargetPart
from sync.model import (
    BranchStatus,
    Evidence,
    KpiResult,
    Member,
    MemberResult,
    Roster,
    SourceKind,
)
from sync.text import fold

_EPS = 1e-9

MET = "Đạt"
NOT_MET = "Chưa đạt"
NO_DATA = "Chưa có số liệu"  # nothing to measure (no eligible member, no branch)
INCOMPLETE = "Chưa đủ số liệu"  # followed by ": <what is missing>"

_SOURCE_NAMES = {
    SourceKind.BRANCH_STATS: "biểu mẫu thống kê của chi bộ",
    SourceKind.REGISTRATION: "Biểu mẫu 01 (bản đăng ký)",
    SourceKind.SCORING: "Biểu mẫu 02 (chấm điểm)",
}


def _needs(part: TargetPart) -> SourceKind:
    if part.unit == "branch":
        return SourceKind.BRANCH_STATS
    if part.member_check == "criteria":
        return SourceKind.SCORING
    return SourceKind.REGISTRATION


# ---------------------------------------------------------------------------------------
# Branch parts
# ---------------------------------------------------------------------------------------


def _branch_passes(target: Target, check: str | None, st: BranchStatus | None) -> bool:
    if st is None:
        return False
    if check == "session_held":
        return st.session_date is not None  # branches.py keeps only dates already past
    if check == "task_registered":
        return st.task_registered
    if check == "task_completed":
        # registered with all 6 rõ (the product named among them) and reported done
        progress = st.report.task_progress if st.report is not None else None
        done = {fold(t) for t in target.done_progress}
        return st.task_registered and progress is not None and fold(progress) in done
    if check == "report_sent":
        return st.report_sent
    if check == "plan_issued":
        return st.plan_date is not None
    raise ValueError(f"unknown branch_check {check!r}")


def _branch_part(
    target: Target, part: TargetPart, roster: Roster, by_code: dict[str, BranchStatus]
) -> _Measure:
    codes = [b.code for b in roster.branches]
    numerator = sum(1 for c in codes if _branch_passes(target, part.branch_check, by_code.get(c)))
    reported = sum(1 for c in codes if c in by_code and by_code[c].report is not None)
    notes = [f"Theo báo cáo chi bộ: {reported} chi bộ đã báo cáo"]
    if len(codes) - reported:
        notes.append(f"chưa báo cáo: {len(codes) - reported} chi bộ")
    return _Measure(numerator, len(codes), 0, Evidence.BRANCH, "; ".join(notes))


# ---------------------------------------------------------------------------------------
# Member parts
# ---------------------------------------------------------------------------------------


def _member_passes(
    target: Target, part: TargetPart, rubric: Rubric, r: MemberResult | None
) -> bool | None:
    """True/False when known; None when the member's evidence is not there yet."""
    if part.member_check == "has_registration":
        return r is not None and r.registration is not None
    if part.member_check == "registration_complete":
        return r is not None and r.registration is not None and r.registration.complete
    if part.member_check == "criteria":
        if r is None or r.committee_total is None:
            return None  # not scored by the committee (or its sheet needs review)
        for n in part.criteria:
            needed = target.min_score if target.min_score is not None else rubric.criterion(n).max
            if r.committee_criteria.get(n, 0.0) < needed - _EPS:
                return False
        return True
    raise ValueError(f"unknown member_check {part.member_check!r}")


def _population(part: TargetPart, members: Sequence[Member], has_column: bool) -> list[Member]:
    eligible = [m for m in members if not m.exempt]
    if part.who == "civil_servants" and has_column:
        return [m for m in eligible if m.civil_servant]
    return eligible


def _member_part(
    target: Target,
    part: TargetPart,
    rubric: Rubric,
    roster: Roster,
    by_code: dict[str, BranchStatus],
    results: dict[str, MemberResult],
    has_column: bool,
) -> _Measure:
    by_branch: dict[str, list[Member]] = {}
    for member in roster.members:
        by_branch.setdefault(member.branch_code, []).append(member)
    # roster branches first; a member listed under an unknown branch still counts
    codes = list(dict.fromkeys([b.code for b in roster.branches] + list(by_branch)))
    scored_check = part.member_check == "criteria"

    m = _Measure(0, 0, 0, Evidence.NONE, "")
    for code in codes:
        members = by_branch.get(code, [])
        population = _population(part, members, has_column)
        if not population:
            continue  # nothing to count, and "no data" would mislead for such a branch
        m.denominator += len(population)
        # "its members": exempt ones too, a scored exempt member shows the branch scores
        branch_results = [results[x.code] for x in members if x.code in results]
        evidence = (
            any(r.committee_total is not None for r in branch_results)
            if scored_check
            else any(r.registration is not None for r in branch_results)
        )
        st = by_code.get(code)
        reported = (
            st.report.counts.get(part.branch_field)
            if part.branch_field is not None and st is not None and st.report is not None
            else None
        )
        if evidence:
            for x in population:
                ok = _member_passes(target, part, rubric, results.get(x.code))
                if ok is None:
                    m.unknown += 1
                elif ok:
                    m.numerator += 1
            m.used[Evidence.MEMBER] += 1
        elif reported is not None:
            # a figure, not a measure: a reported count above the roster cannot be right
            m.numerator += min(max(reported, 0), len(population))
            m.unknown += len(population)
            m.used[Evidence.BRANCH] += 1
        elif scored_check:
            m.unknown += len(population)  # not scored yet: nothing known
            m.used[Evidence.NONE] += 1
        else:
            m.used[Evidence.MEMBER] += 1  # nobody registered: a fact, not a gap

    if m.used[Evidence.MEMBER] and m.used[Evidence.BRANCH]:
        m.evidence = Evidence.MIXED
    elif m.used[Evidence.MEMBER]:
        m.evidence = Evidence.MEMBER
    elif m.used[Evidence.BRANCH]:
        m.evidence = Evidence.BRANCH
    m.note = _member_note(part, m)
    return m


def _member_note(part: TargetPart, m: _Measure) -> str:
    form = "Biểu mẫu 02" if part.member_check == "criteria" else "Biểu mẫu 01"
    parts = []
    if m.used[Evidence.MEMBER]:
        parts.append(f"Theo đảng viên ({form}): {m.used[Evidence.MEMBER]} chi bộ")
    if m.used[Evidence.BRANCH]:
        parts.append(f"theo báo cáo chi bộ: {m.used[Evidence.BRANCH]} chi bộ")
    if m.used[Evidence.NONE]:
        parts.append(f"chưa có số liệu: {m.used[Evidence.NONE]} chi bộ")
    if not parts:
        return "Không có đảng viên thuộc diện tính chỉ tiêu"
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


# ---------------------------------------------------------------------------------------
# Verdicts
# ---------------------------------------------------------------------------------------


@dataclass
class _Measure:
    numerator: int
    denominator: int
    unknown: int  # members (or branches) the evidence does not cover yet
    evidence: Evidence
    note: str
    used: dict[Evidence, int] = field(default_factory=lambda: dict.fromkeys(Evidence, 0))


def _rule_note(target: Target, part: TargetPart, rubric: Rubric, has_column: bool) -> str:
    if part.unit == "branch":
        return {
            "session_held": "Chi bộ đã báo cáo ngày sinh hoạt chuyên đề (ngày đã qua)",
            "task_registered": "Nhiệm vụ có tên và đủ 6 rõ",
            "task_completed": (
                "Nhiệm vụ đủ 6 rõ (có sản phẩm đầu ra), tiến độ "
                + " / ".join(f'"{t}"' for t in target.done_progress)
            ),
            "report_sent": 'Chi bộ báo "Đã gửi" báo cáo tổng kết',
            "plan_issued": "Chi bộ đã báo cáo ngày ban hành kế hoạch",
        }.get(part.branch_check or "", "")
    if part.member_check == "criteria":
        names = ", ".join(f"TC{n}" for n in part.criteria)
        if target.min_score is not None:
            rule = f"Đạt khi cấp ủy chấm từ {target.min_score:g} điểm ở {names}"
        else:
            rule = f"Đạt khi cấp ủy chấm tối đa ở {names}"
        if rubric.not_applicable_gets_max and target.min_score is None:
            rule += ' ("Không áp dụng" tính là đạt)'
        if part.who == "civil_servants":
            rule += (
                "; chỉ tính đảng viên là cán bộ, công chức, viên chức"
                if has_column
                else "; danh sách đảng viên chưa có cột 'Cán bộ, công chức, viên chức': "
                "tính mọi đảng viên"
            )
        return rule
    if part.member_check == "registration_complete":
        return "Bản đăng ký (Biểu mẫu 01) đủ mọi mục bắt buộc"
    return "Có bản đăng ký (Biểu mẫu 01)"


def _part_result(
    target: Target,
    part: TargetPart,
    index: int,
    m: _Measure,
    available: Collection[SourceKind],
    rule: str,
) -> KpiResult:
    goal = part.target if part.target is not None else target.target
    actual = m.numerator / m.denominator if m.denominator else None
    met = actual is not None and actual >= goal - _EPS
    needs = _needs(part)
    if needs not in available:
        verdict = f"{INCOMPLETE}: chưa có nguồn {_SOURCE_NAMES[needs]} trong cấu hình"
        met = False
    elif m.denominator == 0:
        verdict = NO_DATA
    elif m.unknown:
        what = (
            "chưa có điểm cấp ủy chấm hợp lệ"
            if part.member_check == "criteria"
            else "chưa có số liệu từng đảng viên"
        )
        verdict = f"{INCOMPLETE}: {m.unknown}/{m.denominator} đảng viên {what}"
        met = False
    else:
        verdict = MET if met else NOT_MET
    return KpiResult(
        target_id=f"{target.id}#{index + 1}" if len(target.parts) > 1 else target.id,
        title=part.label or target.title,
        actual=actual,
        target=goal,
        met=met,
        numerator=m.numerator,
        denominator=m.denominator,
        evidence=m.evidence,
        evidence_note=m.note,
        number=target.number,
        verdict=verdict,
        rule_note=rule,
    )


def _combine(target: Target, parts: list[KpiResult]) -> KpiResult:
    if len(parts) == 1:
        return parts[0]
    if all(p.verdict == MET for p in parts):
        verdict = MET
    elif any(p.verdict == NOT_MET for p in parts):
        verdict = NOT_MET  # one part certainly missed: the target is missed
    elif any(p.verdict.startswith(INCOMPLETE) for p in parts):
        verdict = f"{INCOMPLETE}: xem từng phần bên dưới"
    else:
        verdict = NO_DATA
    evidence = {p.evidence for p in parts}
    return KpiResult(
        target_id=target.id,
        title=target.title,
        actual=None,  # several shares against several goals: read the parts
        target=target.target,
        met=verdict == MET,
        numerator=0,
        denominator=0,
        evidence=evidence.pop() if len(evidence) == 1 else Evidence.MIXED,
        evidence_note="",
        number=target.number,
        verdict=verdict,
        rule_note="Đạt khi mọi phần bên dưới đạt",
        parts=tuple(parts),
    )


def ward_kpis(
    rubric: Rubric,
    roster: Roster,
    statuses: Sequence[BranchStatus],
    members: Sequence[MemberResult],
    *,
    available: Collection[SourceKind] = tuple(SourceKind),
) -> tuple[KpiResult, ...]:
    """One result per rubric target, in the rubric's order. ``available``: the kinds of
    source the ward configured (a target whose evidence has no source cannot be met)."""
    by_code = {s.branch_code: s for s in statuses}
    results = {r.member_code: r for r in members}
    has_column = any(m.civil_servant is not None for m in roster.members)
    out = []
    for t in rubric.targets:
        parts = []
        for i, p in enumerate(t.parts):
            measure = (
                _branch_part(t, p, roster, by_code)
                if p.unit == "branch"
                else _member_part(t, p, rubric, roster, by_code, results, has_column)
            )
            parts.append(
                _part_result(t, p, i, measure, available, _rule_note(t, p, rubric, has_column))
            )
        out.append(_combine(t, parts))
    return tuple(out)
