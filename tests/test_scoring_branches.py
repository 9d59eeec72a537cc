"""Branch status, milestones and overall state (scoring/branches.py)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from scoring.branches import branch_statuses, milestone_status
from sync.config import DoneWhen, Milestone, expand_milestones
from sync.model import (
    SIX_CLEAR_KEYS,
    Branch,
    BranchReport,
    BranchStatus,
    Member,
    MilestoneState,
    OverallState,
    Registration,
    Roster,
    Scorer,
    ScoreSheet,
)
from tests.conftest import TZ as VN

TODAY = date(2026, 11, 23)
SIX = dict.fromkeys(SIX_CLEAR_KEYS, "x")

ROSTER = Roster(
    branches=(
        Branch("CB02", "Chi bộ Công an"),
        Branch("CB01", "Chi bộ Văn phòng"),
        Branch("CB03", "Chi bộ Hưu trí"),
    ),
    members=(
        Member("A1", "Võ Xuân Đạt", None, "CB01"),
        Member("A2", "Nguyễn Minh Lộc", None, "CB01"),
        Member("A3", "Lê Văn Ba", None, "CB01", exempt=True),
        Member("B1", "Phạm Hải", None, "CB02"),
        Member("C1", "Trần Văn Mười", None, "CB03", exempt=True),
    ),
)


def _at(d: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=VN)


def _ms(done_when: DoneWhen, due: date, mid: str | None = None, **kw) -> Milestone:
    return Milestone(id=mid or done_when, title="Mốc", due=due, done_when=done_when, **kw)


_n = 0


def _report(code: str, at: datetime, **kw) -> BranchReport:
    global _n
    _n += 1
    return BranchReport(
        source_id="a",
        response_id=f"a{_n:04d}",
        row_label=f"Dòng {_n}",
        submitted_at=at,
        branch_code=code,
        **kw,
    )


def _reg(member: str, at: datetime) -> Registration:
    return Registration(
        source_id="b",
        response_id=f"{member}-{at.isoformat()}",
        row_label="Dòng 2",
        submitted_at=at,
        member_code=member,
        branch_code="CB01",
    )


def _sheet(member: str, scorer: Scorer, at: datetime) -> ScoreSheet:
    return ScoreSheet(
        source_id="c",
        response_id=f"{member}-{scorer}-{at.isoformat()}",
        row_label="Dòng 2",
        submitted_at=at,
        member_code=member,
        branch_code="CB01",
        scorer=scorer,
    )


def _statuses(
    milestones=(), reports=(), regs=(), sheets=(), today: date = TODAY, due_soon_days: int = 7
) -> dict[str, BranchStatus]:
    out = branch_statuses(
        ROSTER,
        expand_milestones(milestones),
        list(reports),
        list(regs),
        list(sheets),
        [],
        today=today,
        due_soon_days=due_soon_days,
    )
    return {s.branch_code: s for s in out}


# -- milestone_status -----------------------------------------------------------------------

DUE = date(2026, 11, 7)


def _state(done_on: date | None, today: date, due_soon_days: int = 7):
    return milestone_status(
        _ms("report_sent", DUE, "bao_cao"),
        done_on,
        today=today,
        due_soon_days=due_soon_days,
        branch_code="CB01",
    )


def test_done_on_the_due_date_is_on_time():
    s = _state(DUE, TODAY)
    assert (s.state, s.days_overdue, s.done_on) == (MilestoneState.DONE_ON_TIME, 0, DUE)
    assert (s.milestone_id, s.branch_code, s.due) == ("bao_cao", "CB01", DUE)
    assert s.days_left == (DUE - TODAY).days == -16


def test_done_after_the_due_date_is_late_by_that_many_days():
    s = _state(date(2026, 11, 10), TODAY)
    assert (s.state, s.days_overdue) == (MilestoneState.DONE_LATE, 3)


def test_not_done_after_the_due_date_is_overdue():
    s = _state(None, date(2026, 11, 8))
    assert (s.state, s.days_overdue, s.days_left) == (MilestoneState.OVERDUE, 1, -1)


@pytest.mark.parametrize(
    ("today", "days", "state"),
    [
        (date(2026, 11, 7), 7, MilestoneState.DUE_SOON),  # due today
        (date(2026, 10, 31), 7, MilestoneState.DUE_SOON),  # exactly due_soon_days ahead
        (date(2026, 10, 30), 7, MilestoneState.NOT_DUE),
        (date(2026, 11, 6), 0, MilestoneState.NOT_DUE),
        (date(2026, 11, 7), 0, MilestoneState.DUE_SOON),
    ],
)
def test_due_soon_window(today, days, state):
    s = _state(None, today, days)
    assert s.state is state
    assert s.days_overdue == 0
    assert s.days_left == (DUE - today).days


def test_a_done_date_after_today_is_not_done_yet():
    s = _state(date(2026, 11, 5), date(2026, 11, 3))
    assert s.state is MilestoneState.DUE_SOON
    assert s.done_on is None


# -- done_when ------------------------------------------------------------------------------


def test_plan_and_session_dates_come_from_the_latest_report():
    ms = [_ms("plan_issued", date(2026, 5, 11)), _ms("session_held", DUE)]
    reports = [
        _report("CB01", _at(date(2026, 5, 2)), plan_date=date(2026, 5, 1)),
        _report(
            "CB01",
            _at(date(2026, 6, 20)),
            plan_date=date(2026, 5, 14),  # corrected date: the latest report wins
            session_date=date(2026, 6, 18),
        ),
    ]
    st = _statuses(ms, reports)["CB01"]
    plan, session = st.milestones
    assert (plan.state, plan.done_on, plan.days_overdue) == (
        MilestoneState.DONE_LATE,
        date(2026, 5, 14),
        3,
    )
    assert (session.state, session.done_on) == (MilestoneState.DONE_ON_TIME, date(2026, 6, 18))
    assert st.plan_date == date(2026, 5, 14) and st.session_date == date(2026, 6, 18)


def test_a_planned_session_in_the_future_is_not_held():
    ms = [_ms("session_held", date(2026, 12, 31))]
    reports = [_report("CB01", _at(date(2026, 11, 1)), session_date=date(2026, 12, 5))]
    st = _statuses(ms, reports)["CB01"]
    assert st.milestones[0].state is MilestoneState.NOT_DUE
    assert st.milestones[0].done_on is None
    assert st.session_date is None  # what the KPI reads
    assert st.report is not None and st.report.session_date == date(2026, 12, 5)


def test_task_registered_on_the_first_report_with_task_and_six_clear():
    ms = [_ms("task_registered", date(2026, 9, 30))]
    five = {**SIX, "ro_san_pham": "  "}  # blank text is not filled
    reports = [
        _report("CB01", _at(date(2026, 9, 20)), task_name="Số hóa hồ sơ", six_clear=five),
        # 00:30 local on 02/10 is still 01/10 in UTC: the local date counts
        _report("CB01", _at(date(2026, 10, 2), 0, 30), task_name="Số hóa hồ sơ", six_clear=SIX),
        _report("CB01", _at(date(2026, 10, 9)), task_name="Số hóa hồ sơ", six_clear=SIX),
    ]
    st = _statuses(ms, reports)["CB01"]
    assert st.milestones[0].done_on == date(2026, 10, 2)
    assert st.milestones[0].state is MilestoneState.DONE_LATE
    assert st.six_clear_filled == 6 and st.task_registered


def test_task_without_name_is_not_registered():
    ms = [_ms("task_registered", DUE)]
    reports = [_report("CB01", _at(date(2026, 10, 2)), task_name=" ", six_clear=SIX)]
    st = _statuses(ms, reports)["CB01"]
    assert st.milestones[0].state is MilestoneState.OVERDUE
    assert st.six_clear_filled == 6 and not st.task_registered


def test_report_sent_on_the_first_report_marked_sent():
    ms = [_ms("report_sent", DUE)]
    reports = [
        _report("CB01", _at(date(2026, 11, 1)), report_sent=False),
        _report("CB01", _at(date(2026, 11, 5)), report_sent=True),
        _report("CB01", _at(date(2026, 11, 12)), report_sent=True),
    ]
    st = _statuses(ms, reports)["CB01"]
    assert (st.milestones[0].state, st.milestones[0].done_on) == (
        MilestoneState.DONE_ON_TIME,
        date(2026, 11, 5),
    )
    assert st.report_sent


def test_members_registered_when_the_last_eligible_member_first_registered():
    ms = [_ms("members_registered", date(2026, 11, 18))]
    regs = [
        _reg("A1", _at(date(2026, 10, 1))),
        _reg("A2", _at(date(2026, 11, 10))),
        _reg("A2", _at(date(2026, 11, 20))),  # a later correction does not move the date
    ]
    st = _statuses(ms, [], regs)  # A3 is exempt and need not register
    assert st["CB01"].milestones[0].done_on == date(2026, 11, 10)
    assert st["CB01"].milestones[0].state is MilestoneState.DONE_ON_TIME
    assert st["CB01"].registered_share == 1.0
    assert st["CB02"].milestones[0].state is MilestoneState.OVERDUE  # B1 has none
    assert st["CB02"].registered_share == 0.0
    # CB03 has nobody eligible: no date to give, the milestone stays open
    assert st["CB03"].milestones[0].done_on is None
    assert st["CB03"].registered_share is None


def test_members_registered_not_done_while_one_member_lacks_a_registration():
    ms = [_ms("members_registered", date(2026, 11, 30))]
    st = _statuses(ms, [], [_reg("A1", _at(date(2026, 10, 1)))])["CB01"]
    assert st.milestones[0].state is MilestoneState.DUE_SOON
    assert st.registered_share == 0.5


def test_members_scored_counts_committee_sheets_only():
    ms = [_ms("members_scored", date(2026, 11, 25))]
    sheets = [
        _sheet("A1", Scorer.COMMITTEE, _at(date(2026, 11, 20))),
        _sheet("A2", Scorer.SELF, _at(date(2026, 11, 1))),
    ]
    st = _statuses(ms, [], [], sheets)["CB01"]
    assert st.milestones[0].done_on is None
    assert st.scored_share == 0.5
    sheets.append(_sheet("A2", Scorer.COMMITTEE, _at(date(2026, 11, 22))))
    st = _statuses(ms, [], [], sheets)["CB01"]
    assert st.milestones[0].done_on == date(2026, 11, 22)
    assert st.scored_share == 1.0


def test_milestone_limited_to_some_branches():
    ms = [_ms("report_sent", DUE), _ms("plan_issued", DUE, "rieng", branches=["CB02"])]
    st = _statuses(ms)
    assert [m.milestone_id for m in st["CB01"].milestones] == ["report_sent"]
    assert [m.milestone_id for m in st["CB02"].milestones] == ["report_sent", "rieng"]


# -- overall --------------------------------------------------------------------------------


def test_overall_complete_when_every_milestone_done_even_late():
    ms = [_ms("plan_issued", date(2026, 5, 11)), _ms("report_sent", DUE)]
    reports = [
        _report("CB01", _at(date(2026, 11, 20)), plan_date=date(2026, 5, 1), report_sent=True)
    ]
    st = _statuses(ms, reports)["CB01"]
    assert [m.state for m in st.milestones] == [
        MilestoneState.DONE_ON_TIME,
        MilestoneState.DONE_LATE,
    ]
    assert st.overall is OverallState.COMPLETE
    assert st.max_days_overdue == 0  # late but done is not overdue


def test_overall_overdue_before_not_reported_and_max_days_overdue():
    ms = [_ms("plan_issued", date(2026, 5, 11)), _ms("report_sent", DUE)]
    st = _statuses(ms)
    assert st["CB01"].report is None  # never reported, but being late says more
    assert st["CB01"].overall is OverallState.OVERDUE
    assert st["CB01"].max_days_overdue == (TODAY - date(2026, 5, 11)).days


def test_overall_not_reported_and_in_progress_before_any_deadline():
    ms = [_ms("report_sent", date(2026, 12, 31))]
    reports = [_report("CB01", _at(date(2026, 10, 1)), report_sent=False)]
    st = _statuses(ms, reports)
    assert st["CB01"].overall is OverallState.IN_PROGRESS
    assert st["CB02"].overall is OverallState.NOT_REPORTED
    assert st["CB02"].report is None and st["CB02"].first_reported_at is None


def test_overall_without_milestones():
    reports = [
        _report("CB01", _at(date(2026, 10, 1)), report_sent=True),
        _report("CB02", _at(date(2026, 10, 1)), report_sent=False),
    ]
    st = _statuses([], reports)
    assert st["CB01"].overall is OverallState.COMPLETE
    assert st["CB02"].overall is OverallState.IN_PROGRESS
    assert st["CB03"].overall is OverallState.NOT_REPORTED
    assert st["CB01"].milestones == ()


# -- figures --------------------------------------------------------------------------------


def test_roster_order_latest_report_and_first_reported_at():
    first = _report("CB01", _at(date(2026, 6, 1)), session_form="Trực tiếp")
    last = _report("CB01", _at(date(2026, 6, 5)), session_form="Trực tuyến")
    out = branch_statuses(ROSTER, [], [last, first], [], [], [], today=TODAY, due_soon_days=7)
    assert [s.branch_code for s in out] == ["CB02", "CB01", "CB03"]
    st = out[1]
    assert st.report == last
    assert st.first_reported_at == first.submitted_at
    assert st.session_form == "Trực tuyến"


def test_participation_uses_reported_totals_when_both_given():
    reports = [
        _report("CB01", _at(date(2026, 6, 1)), total_members=12, exempt_members=2, participants=9)
    ]
    st = _statuses([], reports)["CB01"]
    assert st.eligible_members == 10
    assert st.participants == 9
    assert st.participation_rate == pytest.approx(0.9)


def test_participation_falls_back_to_roster_when_a_figure_is_missing():
    reports = [_report("CB01", _at(date(2026, 6, 1)), total_members=12, participants=1)]
    st = _statuses([], reports)["CB01"]
    assert st.eligible_members == 2  # A1, A2 (A3 exempt)
    assert st.participation_rate == pytest.approx(0.5)


def test_participation_rate_none_without_participants_or_eligible_members():
    reports = [
        _report("CB01", _at(date(2026, 6, 1))),
        _report("CB03", _at(date(2026, 6, 1)), participants=0),
    ]
    st = _statuses([], reports)
    assert st["CB01"].participation_rate is None
    assert st["CB03"].eligible_members == 0
    assert st["CB03"].participation_rate is None
    assert st["CB02"].eligible_members == 1 and st["CB02"].participants is None
