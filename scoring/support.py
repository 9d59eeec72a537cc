"""Counts of the community digital technology teams' support logs (Form E). Pure.

Input: the sessions as ``sync.evaluation.summarize`` keeps them,
``("support", team, order, day ordinal, person key, helper name, helper role, kinds,
completed)``. A session is one row of the log; people are counted by their keyed hash
(sync/support.py), so a person helped twice in a month counts once that month, and a
person helped by two teams counts once for each team but once in the ward's total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from scoring.branches import milestone_status
from sync.model import ConcreteMilestone, MilestoneStatus, Team


class TeamTarget(Protocol):
    """What scoring reads of a team's target (``teams.targets`` in the ward's config)."""

    @property
    def team(self) -> str: ...  # a team code, or "*" for every team

    @property
    def people(self) -> int: ...

    @property
    def per(self) -> str: ...  # "month" or "year"


# the choices of Form E's "Nội dung hỗ trợ" (mappings/support_log.yaml), in form order
SUPPORT_KINDS: tuple[str, ...] = (
    "Dịch vụ công trực tuyến",
    "Định danh điện tử (VNeID)",
    "Thanh toán không dùng tiền mặt",
    'Học tập trên nền tảng "Bình dân học vụ số"',
    "Cài đặt, sử dụng ứng dụng số khác",
)

# the session tuple's positions
_TEAM, _DAY, _PERSON, _HELPER, _ROLE, _KINDS, _DONE = 1, 3, 4, 5, 6, 7, 8


@dataclass(frozen=True)
class SupportCount:
    """Sessions and distinct people of some group of sessions."""

    sessions: int
    people: int
    completed: int  # sessions "Hoàn thành"
    rescheduled: int  # sessions "Chưa hoàn thành, hẹn lại"
    by_kind: dict[str, int] = field(default_factory=dict)  # sessions per kind of support


@dataclass(frozen=True)
class TeamPeriod:
    team_code: str
    period: str  # "2026-06" (month) or "2026" (year)
    count: SupportCount
    target: int | None  # people; None: no target for this team and period

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.count.people >= self.target


@dataclass(frozen=True)
class HelperCount:
    team_code: str
    name: str
    role: str
    sessions: int
    people: int


@dataclass(frozen=True)
class SupportSummary:
    months: tuple[TeamPeriod, ...]  # per team and month (months with sessions)
    years: tuple[TeamPeriod, ...]  # per team, the whole year (every team of the roster)
    helpers: tuple[HelperCount, ...]
    ward: SupportCount
    teams_with_logs: frozenset[str]


def count(sessions: Sequence[tuple[Any, ...]]) -> SupportCount:
    by_kind: dict[str, int] = {}
    for s in sessions:
        for k in s[_KINDS]:
            by_kind[k] = by_kind.get(k, 0) + 1
    return SupportCount(
        sessions=len(sessions),
        people=len({s[_PERSON] for s in sessions}),
        completed=sum(1 for s in sessions if s[_DONE] is True),
        rescheduled=sum(1 for s in sessions if s[_DONE] is False),
        by_kind=by_kind,
    )


def target_for(targets: Sequence[TeamTarget], team: str, per: str) -> int | None:
    """The team's own target wins over the "*" one."""
    own = [t.people for t in targets if t.per == per and t.team == team]
    if own:
        return own[-1]
    every = [t.people for t in targets if t.per == per and t.team == "*"]
    return every[-1] if every else None


def month_of(ordinal: int) -> str:
    d = date.fromordinal(ordinal)
    return f"{d.year}-{d.month:02d}"


def summarize_support(
    sessions: Sequence[tuple[Any, ...]],
    teams: Sequence[Team],
    targets: Sequence[TeamTarget],
    year: int,
) -> SupportSummary:
    """Per team and month, per team over ``year``, per helper, and the ward's totals (of
    ``year``: sessions dated in another year are left out of every count)."""
    in_year = [s for s in sessions if date.fromordinal(s[_DAY]).year == year]
    by_team_month: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    by_team: dict[str, list[tuple[Any, ...]]] = {}
    by_helper: dict[tuple[str, str, str], list[tuple[Any, ...]]] = {}
    for s in in_year:
        by_team_month.setdefault((s[_TEAM], month_of(s[_DAY])), []).append(s)
        by_team.setdefault(s[_TEAM], []).append(s)
        helper = (s[_TEAM], s[_HELPER] or "", s[_ROLE] or "")
        by_helper.setdefault(helper, []).append(s)
    order = {t.code: i for i, t in enumerate(teams)}
    months = tuple(
        TeamPeriod(team, month, count(group), target_for(targets, team, "month"))
        for (team, month), group in sorted(
            by_team_month.items(), key=lambda kv: (order.get(kv[0][0], len(order)), kv[0])
        )
    )
    years = tuple(
        TeamPeriod(
            t.code, str(year), count(by_team.get(t.code, [])), target_for(targets, t.code, "year")
        )
        for t in teams
    )
    helpers = tuple(
        HelperCount(team, name, role, len(group), len({s[_PERSON] for s in group}))
        for (team, name, role), group in sorted(
            by_helper.items(), key=lambda kv: (order.get(kv[0][0], len(order)), kv[0])
        )
    )
    return SupportSummary(months, years, helpers, count(in_year), frozenset(by_team))


# ---------------------------------------------------------------------------------------
# The teams' milestones (scope: team, done_when: team_active)
# ---------------------------------------------------------------------------------------

TEAM_PREFIX = "team:"  # a team's code where alerts and the ledger expect a branch code


def team_ready(team: Team) -> bool:
    """The roster names the leader and at least one other member ("kiện toàn" tổ)."""
    others = [m for m in team.members if m.strip() and m.strip() != team.leader_name.strip()]
    return bool(team.leader_name.strip()) and bool(others)


def team_milestone_statuses(
    milestones: Sequence[ConcreteMilestone],
    teams: Sequence[Team],
    sessions: Sequence[tuple[Any, ...]],
    *,
    today: date,
    due_soon_days: int,
) -> tuple[tuple[str, tuple[MilestoneStatus, ...]], ...]:
    """Per team (its code prefixed ``TEAM_PREFIX``), the state of every team milestone: done
    on the day of its first support session once the roster has its leader and a member."""
    first: dict[str, int] = {}
    for s in sessions:
        if s[_TEAM] not in first or s[_DAY] < first[s[_TEAM]]:
            first[s[_TEAM]] = s[_DAY]
    own = [m for m in milestones if m.scope == "team"]
    out = []
    for t in teams:
        day = first.get(t.code)
        done = date.fromordinal(day) if day is not None and team_ready(t) else None
        code = TEAM_PREFIX + t.code
        out.append(
            (
                code,
                tuple(
                    milestone_status(
                        m, done, today=today, due_soon_days=due_soon_days, branch_code=code
                    )
                    for m in own
                ),
            )
        )
    return tuple(out) if own else ()
