"""Ward KPIs and their evidence (scoring/kpis.py)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from scoring.kpis import ward_kpis
from scoring.rubric import Target
from sync.model import (
    Branch,
    BranchReport,
    BranchStatus,
    Evidence,
    Member,
    MemberResult,
    OverallState,
    RegistrationResult,
    Roster,
)
from tests.conftest import RUBRIC
from tests.conftest import TZ as VN

# CB01: 3 eligible + 1 exempt; CB02: 2 eligible; CB03: 1 eligible; CB04: only exempt
ROSTER = Roster(
    branches=tuple(Branch(f"CB0{i}", f"Chi bộ {i}") for i in range(1, 5)),
    members=(
        Member("A1", "A1", None, "CB01"),
        Member("A2", "A2", None, "CB01"),
        Member("A3", "A3", None, "CB01"),
        Member("A4", "A4", None, "CB01", exempt=True),
        Member("B1", "B1", None, "CB02"),
        Member("B2", "B2", None, "CB02"),
        Member("C1", "C1", None, "CB03"),
        Member("D1", "D1", None, "CB04", exempt=True),
    ),
)


def _rubric(*targets: Target):
    return RUBRIC.model_copy(update={"targets": list(targets)})


def _report(code: str, **kw) -> BranchReport:
    return BranchReport(
        source_id="a",
        response_id=f"{code}-1",
        row_label="Dòng 2",
        submitted_at=datetime(2026, 10, 1, 9, 0, tzinfo=VN),
        branch_code=code,
        **kw,
    )


def _status(code: str, report: BranchReport | None = None, **kw) -> BranchStatus:
    fields: dict = {
        "branch_code": code,
        "report": report,
        "first_reported_at": report.submitted_at if report else None,
        "plan_date": None,
        "session_date": None,
        "session_form": None,
        "eligible_members": 0,
        "participants": None,
        "participation_rate": None,
        "six_clear_filled": 0,
        "task_registered": False,
        "registered_share": None,
        "scored_share": None,
        "report_sent": False,
        "milestones": (),
        "overall": OverallState.IN_PROGRESS if report else OverallState.NOT_REPORTED,
        "max_days_overdue": 0,
    }
    fields.update(kw)
    return BranchStatus(**fields)


def _member(
    code: str,
    *,
    scores: dict[int, float] | None = None,
    registered: bool | None = None,
) -> MemberResult:
    """registered: None no Biểu mẫu 01, False incomplete, True complete."""
    branch = next(m.branch_code for m in ROSTER.members if m.code == code)
    reg = None if registered is None else RegistrationResult(registered, (), 0)
    return MemberResult(
        member_code=code,
        branch_code=branch,
        registration=reg,
        self_total=None,
        committee_total=sum(scores.values()) if scores is not None else None,
        band=None,
        pending=False,
        gap_flag=False,
        committee_criteria=scores or {},
    )


def _all(codes: list[str], **kw) -> list[MemberResult]:
    return [_member(c, **kw) for c in codes]


PROFICIENT = Target(
    id="tt",
    title="Thành thạo",
    unit="member",
    member_check="criterion",
    criterion=4,
    branch_field="proficient",
    target=1.0,
)


# -- unit: branch --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check", "passing"),
    [
        ("session_held", {"session_date": date(2026, 6, 1)}),
        ("task_registered", {"task_registered": True}),
        ("report_sent", {"report_sent": True}),
        ("plan_issued", {"plan_date": date(2026, 5, 1)}),
    ],
)
def test_branch_targets_count_roster_branches_passing_the_check(check, passing):
    t = Target(id="b", title="Chi bộ", unit="branch", branch_check=check, target=1.0)
    statuses = [
        _status("CB01", _report("CB01"), **passing),
        _status("CB02", _report("CB02")),
        # CB03 has no status at all; CB04 never reported
        _status("CB04"),
        _status("CB99", _report("CB99"), **passing),  # not on the roster: ignored
    ]
    (k,) = ward_kpis(_rubric(t), ROSTER, statuses, [])
    assert (k.numerator, k.denominator) == (1, 4)
    assert k.actual == pytest.approx(0.25) and not k.met
    assert k.evidence is Evidence.BRANCH
    assert k.evidence_note == "Theo báo cáo chi bộ: 2 chi bộ đã báo cáo; chưa báo cáo: 2 chi bộ"


def test_branch_target_met_when_every_branch_passes():
    t = Target(id="b", title="Chi bộ", unit="branch", branch_check="report_sent", target=1.0)
    statuses = [_status(b.code, _report(b.code), report_sent=True) for b in ROSTER.branches]
    (k,) = ward_kpis(_rubric(t), ROSTER, statuses, [])
    assert k.met and k.actual == 1.0
    assert k.evidence_note == "Theo báo cáo chi bộ: 4 chi bộ đã báo cáo"


# -- unit: member, criterion ---------------------------------------------------------------


def test_criterion_member_evidence_counts_unscored_members_as_not_passing():
    members = [
        _member("A1", scores={4: 10}),
        _member("A2", scores={4: 9.5}),  # below the default min_score (the max, 10)
        _member("A3"),  # not scored yet: does not pass
        _member("A4", scores={4: 10}),  # exempt: not counted
    ]
    (k,) = ward_kpis(_rubric(PROFICIENT), ROSTER, [], members)
    assert (k.numerator, k.denominator) == (1, 6)
    assert k.evidence is Evidence.MEMBER
    assert k.evidence_note == "Theo đảng viên (Biểu mẫu 02): 1 chi bộ; chưa có số liệu: 2 chi bộ"


def test_a_scored_exempt_member_is_member_evidence_for_the_branch():
    statuses = [_status("CB01", _report("CB01", counts={"proficient": 3}))]
    (k,) = ward_kpis(_rubric(PROFICIENT), ROSTER, statuses, [_member("A4", scores={4: 10})])
    assert k.numerator == 0  # member evidence wins over the reported 3
    assert k.evidence is Evidence.MEMBER


def test_min_score_from_the_target():
    t = PROFICIENT.model_copy(update={"min_score": 8.0})
    members = [_member("A1", scores={4: 8}), _member("A2", scores={4: 7.5}), _member("A3")]
    (k,) = ward_kpis(_rubric(t), ROSTER, [], members)
    assert k.numerator == 1


def test_branch_figures_fall_back_capped_at_eligible_roster_members():
    statuses = [
        _status("CB01", _report("CB01", counts={"proficient": 2})),
        _status("CB02", _report("CB02", counts={"proficient": 9})),  # capped at 2
        _status("CB03", _report("CB03", counts={"proficient": None})),  # not reported
    ]
    (k,) = ward_kpis(_rubric(PROFICIENT), ROSTER, statuses, [])
    assert (k.numerator, k.denominator) == (4, 6)
    assert k.evidence is Evidence.BRANCH
    assert k.evidence_note == "Theo báo cáo chi bộ: 2 chi bộ; chưa có số liệu: 1 chi bộ"


def test_mixed_evidence():
    statuses = [_status("CB02", _report("CB02", counts={"proficient": 1}))]
    members = _all(["A1", "A2", "A3"], scores={4: 10}) + [_member("C1", scores={4: 10})]
    (k,) = ward_kpis(_rubric(PROFICIENT), ROSTER, statuses, members)
    assert (k.numerator, k.denominator) == (5, 6)
    assert k.evidence is Evidence.MIXED
    # CB04 has only an exempt member: it counts nowhere, not even as "no data"
    assert k.evidence_note == (
        "Theo đảng viên (Biểu mẫu 02): 2 chi bộ; theo báo cáo chi bộ: 1 chi bộ"
    )


def test_no_data_at_all():
    (k,) = ward_kpis(_rubric(PROFICIENT), ROSTER, [_status("CB01", _report("CB01"))], [])
    assert (k.numerator, k.denominator, k.actual) == (0, 6, 0.0)
    assert k.evidence is Evidence.NONE and not k.met
    assert k.evidence_note == "Chưa có số liệu: 3 chi bộ"


def test_target_without_branch_field_has_no_fallback():
    t = Target.model_validate(
        {**PROFICIENT.model_dump(exclude={"parts"}), "criteria": [4], "branch_field": None}
    )
    statuses = [_status("CB01", _report("CB01", counts={"proficient": 3}))]
    (k,) = ward_kpis(_rubric(t), ROSTER, statuses, [])
    assert k.numerator == 0 and k.evidence is Evidence.NONE


def test_share_target_met_at_exactly_the_target():
    t = PROFICIENT.model_copy(update={"target": 0.8})
    roster = Roster(
        branches=(Branch("CB01", "Chi bộ 1"),),
        members=tuple(Member(f"M{i}", f"M{i}", None, "CB01") for i in range(5)),
    )
    members = [
        MemberResult(f"M{i}", "CB01", None, None, 10.0, None, False, False, (), {4: 10.0})
        for i in range(4)
    ] + [MemberResult("M4", "CB01", None, None, 9.0, None, False, False, (), {4: 9.0})]
    (k,) = ward_kpis(_rubric(t), roster, [], members)
    assert (k.numerator, k.denominator) == (4, 5)  # 4/5 = 80 %, every member scored
    assert k.met and k.verdict == "Đạt"


def test_no_eligible_member_gives_no_actual():
    roster = Roster(branches=(Branch("CB04", "Chi bộ 4"),), members=(ROSTER.members[-1],))
    (k,) = ward_kpis(_rubric(PROFICIENT), roster, [], [])
    assert (k.actual, k.denominator, k.met) == (None, 0, False)
    assert k.evidence is Evidence.NONE
    assert k.evidence_note == "Không có đảng viên thuộc diện tính chỉ tiêu"


# -- unit: member, registration ------------------------------------------------------------


def test_has_registration_and_registration_complete():
    has = Target(
        id="dk",
        title="Có bản đăng ký",
        unit="member",
        member_check="has_registration",
        branch_field="registered",
        target=1.0,
    )
    complete = Target.model_validate(
        {
            **has.model_dump(exclude={"parts"}),
            "id": "du",
            "member_check": "registration_complete",
            "branch_field": "registered",
        }
    )
    members = [
        _member("A1", registered=True),
        _member("A2", registered=False),
        _member("A3"),
        _member("B1", scores={4: 10}),  # a score is no registration evidence
    ]
    statuses = [_status("CB02", _report("CB02", counts={"registered": 1}))]
    k_has, k_complete = ward_kpis(_rubric(has, complete), ROSTER, statuses, members)
    assert (k_has.target_id, k_complete.target_id) == ("dk", "du")
    assert (k_has.numerator, k_has.denominator) == (2 + 1, 6)
    assert (k_complete.numerator, k_complete.denominator) == (1 + 1, 6)
    assert k_has.evidence is Evidence.MIXED
    # CB01 has registrations; CB03 has none and reported nothing: nobody registered there
    # is a fact of the registration form (member level); CB02 only reported a figure
    assert k_has.evidence_note == (
        "Theo đảng viên (Biểu mẫu 01): 2 chi bộ; theo báo cáo chi bộ: 1 chi bộ"
    )
    # CB02's figure is not a measure of its members: no verdict yet
    assert k_has.verdict == "Chưa đủ số liệu: 2/6 đảng viên chưa có số liệu từng đảng viên"


def test_results_follow_the_rubric_target_order():
    kpis = ward_kpis(RUBRIC, ROSTER, [], [])
    assert [k.target_id for k in kpis] == [t.id for t in RUBRIC.targets]
    assert [k.title for k in kpis] == [t.title for t in RUBRIC.targets]
    assert all(k.target == t.target for k, t in zip(kpis, RUBRIC.targets, strict=True))
