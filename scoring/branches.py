"""Branch status: figures from the latest form A report, milestones and the overall state.

Milestone done dates come from the full submission history: "when did the branch first
report X" needs the earlier submissions, while the figures shown are the latest ones.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from datetime import date
from typing import TypeVar

from sync.latest import first_by, latest_by
from sync.model import (
    SIX_CLEAR_KEYS,
    BranchReport,
    BranchStatus,
    ConcreteMilestone,
    Member,
    MemberResult,
    MilestoneState,
    MilestoneStatus,
    OverallState,
    RecordBase,
    Registration,
    Roster,
    Scorer,
    ScoreSheet,
)

_DONE = (MilestoneState.DONE_ON_TIME, MilestoneState.DONE_LATE)
R = TypeVar("R", bound=RecordBase)


def milestone_status(
    milestone: ConcreteMilestone,
    done_on: date | None,
    *,
    today: date,
    due_soon_days: int,
    branch_code: str,
) -> MilestoneStatus:
    """The state of one milestone for one branch (``branch_code`` "" for the ward's own) on
    ``today`` (``due`` is inclusive)."""
    due = milestone.due
    if done_on is not None and done_on > today:
        done_on = None  # a date still ahead (a planned session) is not done yet
    if done_on is not None:
        late = (done_on - due).days
        state = MilestoneState.DONE_LATE if late > 0 else MilestoneState.DONE_ON_TIME
        days_overdue = max(late, 0)
    elif today > due:
        state, days_overdue = MilestoneState.OVERDUE, (today - due).days
    elif (due - today).days <= due_soon_days:
        state, days_overdue = MilestoneState.DUE_SOON, 0
    else:
        state, days_overdue = MilestoneState.NOT_DUE, 0
    return MilestoneStatus(
        milestone_id=milestone.id,
        branch_code=branch_code,
        state=state,
        due=due,
        done_on=done_on,
        days_overdue=days_overdue,
        days_left=(due - today).days,
    )


def _filled(value: str | None) -> bool:
    return value is not None and value.strip() != ""


def _six_clear_filled(report: BranchReport) -> int:
    return sum(1 for k in SIX_CLEAR_KEYS if _filled(report.six_clear.get(k)))


def _task_ok(report: BranchReport) -> bool:
    return _filled(report.task_name) and _six_clear_filled(report) == len(SIX_CLEAR_KEYS)


def _past(d: date | None, today: date) -> date | None:
    """A stated date counts only once it has come."""
    return d if d is not None and d <= today else None


def _reviewed_since(reports: Sequence[BranchReport], starts: date | None) -> date | None:
    """Local date of the first submission on or after ``starts`` that answers "Tiến độ
    nhiệm vụ": the branch reviewed its registered items then. One after the due date closes
    the milestone late (the branch answered the overdue notice); one before ``starts``
    belongs to an earlier window and never counts."""
    return _first_date(
        [
            r
            for r in reports
            if _filled(r.task_progress) and (starts is None or r.submitted_at.date() >= starts)
        ]
    )


def ward_milestone_statuses(
    milestones: Sequence[ConcreteMilestone],
    *,
    today: date,
    due_soon_days: int,
) -> tuple[MilestoneStatus, ...]:
    """The ward's own milestones (scope ward), in config order: done on the day staff
    recorded in the config (``done_on``), else open. ``branch_code`` is ""."""
    return tuple(
        milestone_status(m, m.done_on, today=today, due_soon_days=due_soon_days, branch_code="")
        for m in milestones
        if m.scope == "ward"
    )


def _first_date(reports: Sequence[BranchReport]) -> date | None:
    """Local date of the earliest of ``reports`` (already filtered to those that qualify)."""
    if not reports:
        return None
    return min(reports, key=lambda r: (r.submitted_at, r.response_id)).submitted_at.date()


def _all_members_date(eligible: Sequence[Member], first: Mapping[str, date]) -> date | None:
    """When the last eligible member got a first record; None while anyone lacks one.

    A branch with no eligible member has no such date, so the milestone stays open.
    """
    if not eligible or any(m.code not in first for m in eligible):
        return None
    return max(first[m.code] for m in eligible)


def _share(eligible: Sequence[Member], have: Container[str]) -> float | None:
    if not eligible:
        return None
    return sum(1 for m in eligible if m.code in have) / len(eligible)


def _overall(
    statuses: Sequence[MilestoneStatus], reported: bool, report_sent: bool
) -> OverallState:
    if not statuses:  # no deadline applies: the branch is done once its report is sent
        if not reported:
            return OverallState.NOT_REPORTED
        return OverallState.COMPLETE if report_sent else OverallState.IN_PROGRESS
    if all(s.state in _DONE for s in statuses):
        return OverallState.COMPLETE
    if any(s.state is MilestoneState.OVERDUE for s in statuses):
        return OverallState.OVERDUE
    return OverallState.IN_PROGRESS if reported else OverallState.NOT_REPORTED


def _group(records: Iterable[BranchReport]) -> dict[str, list[BranchReport]]:
    out: dict[str, list[BranchReport]] = {}
    for r in records:
        out.setdefault(r.branch_code, []).append(r)
    return out


def branch_statuses(
    roster: Roster,
    milestones: Sequence[ConcreteMilestone],
    reports: Sequence[BranchReport],
    registrations: Sequence[Registration],
    sheets: Sequence[ScoreSheet],
    members: Sequence[MemberResult],
    *,
    today: date,
    due_soon_days: int,
) -> tuple[BranchStatus, ...]:
    """One status per roster branch, in roster order.

    ``reports``, ``registrations`` and ``sheets`` are the full histories. ``members`` is
    accepted for the contract; member-level shares are computed from the histories (a
    member has a registration in the history exactly when a latest one exists).
    """
    del members  # the histories carry everything needed here
    # A member belongs to the roster's branch, whatever branch a form names.
    first_reg = first_dates(registrations, lambda r: r.member_code)
    first_scored = first_dates(
        (s for s in sheets if s.scorer is Scorer.COMMITTEE), lambda s: s.member_code
    )
    return branch_statuses_from(
        roster,
        milestones,
        reports,
        first_reg,
        first_scored,
        today=today,
        due_soon_days=due_soon_days,
    )


def first_dates(records: Iterable[R], key: Callable[[R], str]) -> dict[str, date]:
    """The local date of the earliest submission per key."""
    return {k: r.submitted_at.date() for k, r in first_by(records, key).items()}


def branch_statuses_from(
    roster: Roster,
    milestones: Sequence[ConcreteMilestone],
    reports: Sequence[BranchReport],
    first_reg: Mapping[str, date],
    first_scored: Mapping[str, date],
    *,
    today: date,
    due_soon_days: int,
) -> tuple[BranchStatus, ...]:
    """One status per roster branch, in roster order, from the branches' form A history and
    the date each member first had a registration / a committee score. ``milestones`` are the
    concrete ones (quarterly occurrences expanded); the ward's own are not a branch's."""
    concrete = [m for m in milestones if m.scope == "branch"]
    by_branch = _group(reports)
    out: list[BranchStatus] = []
    for branch in roster.branches:
        history = by_branch.get(branch.code, [])
        latest = latest_by(history, lambda r: r.branch_code).get(branch.code)
        first = first_by(history, lambda r: r.branch_code).get(branch.code)
        eligible = [m for m in roster.members_of(branch.code) if not m.exempt]

        eligible_count = len(eligible)
        if (
            latest is not None
            and latest.total_members is not None
            and latest.exempt_members is not None
        ):
            # the branch's own figures describe the session it reports on
            eligible_count = max(latest.total_members - latest.exempt_members, 0)
        participants = latest.participants if latest is not None else None
        rate = (
            participants / eligible_count
            if participants is not None and eligible_count > 0
            else None
        )
        report_sent = bool(latest is not None and latest.report_sent)

        done_dates: dict[str | None, date | None] = {
            "plan_issued": latest.plan_date if latest is not None else None,
            "session_held": latest.session_date if latest is not None else None,
            "task_registered": _first_date([r for r in history if _task_ok(r)]),
            "report_sent": _first_date([r for r in history if r.report_sent is True]),
            "members_registered": _all_members_date(eligible, first_reg),
            "members_scored": _all_members_date(eligible, first_scored),
        }
        statuses = tuple(
            milestone_status(
                m,
                # a quarterly review is dated within its own window
                _reviewed_since(history, m.starts)
                if m.done_when == "progress_reviewed"
                else done_dates[m.done_when],
                today=today,
                due_soon_days=due_soon_days,
                branch_code=branch.code,
            )
            for m in concrete
            if m.branches is None or branch.code in m.branches
        )
        out.append(
            BranchStatus(
                branch_code=branch.code,
                report=latest,
                first_reported_at=first.submitted_at if first is not None else None,
                # dates still ahead are intentions, not facts (KPIs read these fields)
                plan_date=_past(latest.plan_date, today) if latest is not None else None,
                session_date=_past(latest.session_date, today) if latest is not None else None,
                session_form=latest.session_form if latest is not None else None,
                eligible_members=eligible_count,
                participants=participants,
                participation_rate=rate,
                six_clear_filled=_six_clear_filled(latest) if latest is not None else 0,
                task_registered=latest is not None and _task_ok(latest),
                registered_share=_share(eligible, first_reg),
                scored_share=_share(eligible, first_scored),
                report_sent=report_sent,
                milestones=statuses,
                overall=_overall(statuses, latest is not None, report_sent),
                max_days_overdue=max(
                    (s.days_overdue for s in statuses if s.state is MilestoneState.OVERDUE),
                    default=0,
                ),
            )
        )
    return tuple(out)
