"""Which alerts are due now: a pure function of the statuses, the ledger and the clock value.

Nothing here reads a file, a clock or the network. The cycle recomputes the plan every
time it runs, so an alert that is outside the send window now ("waiting") is simply
planned again at the next cycle and goes out once the window opens.

Alert ids are stable, so the ledger decides what was already sent:

    {milestone_id}:{branch_code}:reminder:{N}d
    {milestone_id}:{branch_code}:overdue:{n}
    {milestone_id}:{branch_code}:escalation:{n}
    {milestone_id}:ward:reminder:{N}d        the ward's own milestones (scope ward),
    {milestone_id}:ward:overdue:{n}          to mail.ward_staff, never escalated
    digest:{ISO year}-W{week:02}

A quarterly occurrence's milestone id carries its quarter ("ra_soat_quy:2026-Q3"), so
each quarter has its own notices. Milestones are always read through
``concrete_milestones(cfg)``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Protocol, TypedDict, TypeVar

from scoring.branches import ward_milestone_statuses
from sync.config import ConcreteMilestone, WardConfig, concrete_milestones
from sync.labels import alert_kind_label
from sync.model import (
    Alert,
    AlertKind,
    Branch,
    LedgerEntry,
    MilestoneState,
    MilestoneStatus,
    Roster,
)
from sync.text import natural_key

# A ledger entry in one of these states blocks planning the same id again. "intent" and
# "unknown" are settled by the cycle itself (it asks the transport); "failed" is retried.
BLOCKING_STATUSES: frozenset[str] = frozenset({"sent", "intent", "unknown"})

_OPEN_STATES = frozenset({MilestoneState.NOT_DUE, MilestoneState.DUE_SOON, MilestoneState.OVERDUE})
_KIND_ORDER = {AlertKind.REMINDER: 0, AlertKind.OVERDUE: 1, AlertKind.ESCALATION: 2}
_BRANCH_NOTICE_KINDS = frozenset(
    {AlertKind.REMINDER.value, AlertKind.OVERDUE.value, AlertKind.ESCALATION.value}
)

@dataclass(frozen=True)
class AlertPlan:
    due: tuple[Alert, ...]  # to send now
    waiting: tuple[Alert, ...]  # due, but now is outside the send window: they wait for it
    unaddressable: tuple[Alert, ...]  # due, but the recipient has no e-mail address
    # due, but over today's sending limit (mail.daily_limit): sent on a later day
    queued: tuple[Alert, ...] = ()

    def with_digest(self, digest: AlertPlan) -> AlertPlan:
        """This plan with the digest's own plan after it."""
        return AlertPlan(
            (*self.due, *digest.due),
            (*self.waiting, *digest.waiting),
            (*self.unaddressable, *digest.unaddressable),
            (*self.queued, *digest.queued),
        )


def alert_code(alert_id: str) -> str:
    """The short code printed in a message, so staff can find it again ("KNS-3F9A1C2B")."""
    return "KNS-" + hashlib.sha256(alert_id.encode("utf-8")).hexdigest()[:8].upper()


def fmt_date(d: date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def fmt_datetime(dt: datetime) -> str:
    return f"{fmt_date(dt.date())} {dt.hour:02d}:{dt.minute:02d}"


class Track(Protocol):
    """What planning reads of a branch's status: its code and its milestones' states
    (a ``BranchStatus``, or a ``MilestoneTrack`` rebuilt by an idle cycle)."""

    @property
    def branch_code(self) -> str: ...

    @property
    def milestones(self) -> Sequence[MilestoneStatus]: ...


@dataclass(frozen=True)
class MilestoneTrack:
    branch_code: str
    milestones: tuple[MilestoneStatus, ...]


def plan_alerts(
    cfg: WardConfig,
    roster: Roster,
    statuses: Sequence[Track],
    ledger: Mapping[str, LedgerEntry],
    now: datetime,
) -> AlertPlan:
    """Every alert due at ``now`` (tz-aware), split into due / waiting / unaddressable /
    queued, the digest last. The digest is planned as the cycle builds it: after the
    branch notices due now went out (it reports them)."""
    notices = plan_notices(cfg, roster, statuses, ledger, now)
    after = {**ledger, **{a.alert_id: sent_entry(a, now) for a in notices.due}}
    digest = plan_digest(cfg, roster, statuses, after, now, queued_count=len(notices.queued))
    return notices.with_digest(digest)


def sent_entry(alert: Alert, now: datetime) -> LedgerEntry:
    """The ledger entry an alert sent at ``now`` leaves (what the digest reads)."""
    return LedgerEntry(
        alert_id=alert.alert_id,
        kind=alert.kind.value,
        branch_code=alert.branch_code,
        milestone_id=alert.milestone_id,
        status="sent",
        recipients="",
        subject="",
        intent_at=now,
        sent_at=now,
    )


def plan_notices(
    cfg: WardConfig,
    roster: Roster,
    statuses: Sequence[Track],
    ledger: Mapping[str, LedgerEntry],
    now: datetime,
    *,
    limit: bool = True,
) -> AlertPlan:
    """The branch notices (reminders, overdue notices, escalations) due at ``now``. When
    the weekly digest is due too, one message of today's sending limit is kept for it.
    ``limit=False``: every due notice in ``due`` (the cycle bundles them into letters and
    applies the daily limit to the letters: ``sync.letters``)."""
    if now.tzinfo is None:
        raise ValueError("plan_alerts: 'now' must be timezone-aware")
    local_now = now.astimezone(cfg.tz)
    today = local_now.date()
    concrete = concrete_milestones(cfg)
    milestones = {m.id: m for m in concrete}
    order = {m.id: i for i, m in enumerate(concrete)}
    branches = {b.code: b for b in roster.branches}
    notified = _NoticeIndex(ledger)

    keyed: list[tuple[tuple[object, ...], Alert]] = []
    # The ward's own milestones depend on the config and the day only: planned here, so an
    # idle cycle plans them too. Their key sorts before every branch's.
    for ms in ward_milestone_statuses(concrete, today=today, due_soon_days=0):
        if ms.state not in _OPEN_STATES:
            continue
        alert = _ward_alert(
            cfg, ms, milestones[ms.milestone_id], today, local_now, ledger, notified
        )
        if alert is not None:
            ward_key = ((), order[ms.milestone_id], ms.milestone_id, _KIND_ORDER[alert.kind])
            keyed.append((ward_key, alert))
    for status in statuses:
        branch = branches.get(status.branch_code)
        if branch is None:  # statuses come from the roster; nobody to address otherwise
            continue
        for ms in status.milestones:
            if ms.state not in _OPEN_STATES:
                continue
            milestone = milestones.get(ms.milestone_id)
            alert = _branch_alert(cfg, branch, ms, milestone, today, local_now, ledger, notified)
            if alert is None:
                continue
            key = (
                natural_key(branch.code),
                order.get(ms.milestone_id, len(order)),
                ms.milestone_id,
                _KIND_ORDER[alert.kind],
            )
            keyed.append((key, alert))
    keyed.sort(key=lambda ka: ka[0])
    due, waiting, unaddressable = _classify(cfg, [a for _, a in keyed], local_now)
    if not limit:
        return AlertPlan(tuple(due), tuple(waiting), tuple(unaddressable))
    reserve = 1 if digest_would_go(cfg, statuses, ledger, now) else 0
    due, queued = _within_daily_limit(cfg, due, ledger, today, reserve=reserve)
    return AlertPlan(tuple(due), tuple(waiting), tuple(unaddressable), tuple(queued))


def plan_digest(
    cfg: WardConfig,
    roster: Roster,
    statuses: Sequence[Track],
    ledger: Mapping[str, LedgerEntry],
    now: datetime,
    *,
    queued_count: int = 0,
) -> AlertPlan:
    """The weekly digest, if due at ``now``, built from ``ledger`` as it stands (after the
    cycle's notices were sent), saying how many notices wait for a later day."""
    local_now = now.astimezone(cfg.tz)
    digest = _digest(cfg, roster, statuses, ledger, local_now)
    if digest is None or _blocked(digest.alert_id, ledger):
        return AlertPlan((), (), ())
    if queued_count:
        digest = replace(digest, context={**digest.context, "queued_count": queued_count})
    due, waiting, unaddressable = _classify(cfg, [digest], local_now)
    due, queued = _within_daily_limit(cfg, due, ledger, local_now.date())
    return AlertPlan(tuple(due), tuple(waiting), tuple(unaddressable), tuple(queued))


def digest_would_go(
    cfg: WardConfig,
    statuses: Sequence[Track],
    ledger: Mapping[str, LedgerEntry],
    now: datetime,
) -> bool:
    """Whether a digest is due, addressed and in the send window at ``now``."""
    local_now = now.astimezone(cfg.tz)
    return (
        _digest_week(cfg, ledger, local_now) is not None
        and _in_window(cfg, local_now)
        and (
            cfg.alerts.digest_when_empty
            or any(
                m.state is MilestoneState.OVERDUE
                for st in _branches_only(statuses)
                for m in st.milestones
            )
        )
    )


def _branches_only(statuses: Sequence[Track]) -> list[Track]:
    # the digest speaks of branches; teams' tracks ("team:T01", sync/support.py) are
    # followed in their own tab ("Tổ công nghệ số cộng đồng")
    return [st for st in statuses if not st.branch_code.startswith("team:")]


def _classify(
    cfg: WardConfig, alerts: Sequence[Alert], local_now: datetime
) -> tuple[list[Alert], list[Alert], list[Alert]]:
    in_window = _in_window(cfg, local_now)
    due: list[Alert] = []
    waiting: list[Alert] = []
    unaddressable: list[Alert] = []
    for a in alerts:
        if not a.to:
            unaddressable.append(a)
        elif in_window:
            due.append(a)
        else:
            waiting.append(a)
    return due, waiting, unaddressable


# What goes first when the daily limit cannot take everything: the most urgent notices
# (the digest has a message of its own kept for it).
LIMIT_PRIORITY = {
    AlertKind.DIGEST: 0,
    AlertKind.ESCALATION: 1,
    AlertKind.OVERDUE: 2,
    AlertKind.REMINDER: 3,
    AlertKind.LEARNING_DIGEST: 4,  # learning follow-ups wait behind the campaign's notices
    AlertKind.LEARNING: 5,
}


def sent_on(ledger: Mapping[str, LedgerEntry], day: date, tz: tzinfo) -> int:
    """Messages handed to the mail transport on a local day (sent, or possibly sent): a
    letter that carried several alerts is one message."""
    messages: set[str] = set()
    for e in ledger.values():
        if e.status == "failed":
            continue
        at = e.sent_at or e.intent_at
        if at is not None and at.astimezone(tz).date() == day:
            messages.add(e.message_key or e.alert_id)
    return len(messages)


T = TypeVar("T")


def quota_split(
    cfg: WardConfig,
    items: Sequence[T],
    urgency: Callable[[T], int],
    ledger: Mapping[str, LedgerEntry],
    today: date,
    *,
    reserve: int = 0,
) -> tuple[list[T], list[T]]:
    """Split ``items`` (alerts or letters, one message each) into what fits today's remaining
    sending quota (``mail.daily_limit``, less ``reserve`` messages kept for the digest) and
    what waits for a later day: the most urgent first (``LIMIT_PRIORITY``), else in order."""
    limit = cfg.mail.daily_limit
    if limit is None:
        return list(items), []
    room = max(0, limit - sent_on(ledger, today, cfg.tz) - reserve)
    keep = set(sorted(range(len(items)), key=lambda i: (urgency(items[i]), i))[:room])
    return (
        [x for i, x in enumerate(items) if i in keep],
        [x for i, x in enumerate(items) if i not in keep],
    )


def _within_daily_limit(
    cfg: WardConfig,
    due: list[Alert],
    ledger: Mapping[str, LedgerEntry],
    today: date,
    *,
    reserve: int = 0,
) -> tuple[list[Alert], list[Alert]]:
    return quota_split(
        cfg, due, lambda a: LIMIT_PRIORITY[a.kind], ledger, today, reserve=reserve
    )


# ---------------------------------------------------------------------------------------
# Branch notices
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Timing:
    """Which notice a milestone open on ``today`` calls for."""

    kind: AlertKind
    occurrence: str  # "7d" (reminder N days before), "3" (3rd overdue notice)
    reached_on: date  # the day it became due
    notice_number: int | None
    days_before: int | None


def _timing(
    cfg: WardConfig,
    due: date,
    today: date,
    *,
    escalate: bool,
    notified: Callable[[], bool] = lambda: True,
) -> _Timing | None:
    """The reminder or overdue notice due on ``today`` for a milestone due on ``due``, or
    None. ``escalate``: overdue notices turn into escalations after escalate_after_days.

    Past the cadence's last notice nothing more is sent, unless the item never had an
    overdue notice at all (``notified()`` False: the daemon started, or the branch was
    added, after the cadence ran out): then it gets the last one, once. Missed notices are
    never sent in a burst, and "overdue" never goes with "no notice ever"."""
    policy = cfg.alerts
    if today <= due:
        reached = [o for o in policy.reminder_days_before if due - timedelta(days=o) <= today]
        if not reached:
            return None
        offset = min(reached)  # only the most recent offset: no burst after a pause
        return _Timing(AlertKind.REMINDER, f"{offset}d", due - timedelta(offset), None, offset)
    if policy.overdue_max == 0:
        return None
    days_overdue = (today - due).days
    every = policy.overdue_every_days
    n = 1 + (days_overdue - 1) // every
    reached_on = due + timedelta(days=1 + (n - 1) * every)
    if n > policy.overdue_max:
        if notified():
            return None
        # the catch-up notice: the last of the cadence, as urgent as the item's age
        n, reached_on = policy.overdue_max, today
    kind = (
        AlertKind.ESCALATION
        if escalate and (reached_on - due).days >= policy.escalate_after_days
        else AlertKind.OVERDUE
    )
    return _Timing(kind, str(n), reached_on, n, None)


def _milestone_context(
    cfg: WardConfig,
    ms: MilestoneStatus,
    milestone: ConcreteMilestone | None,
    timing: _Timing,
    today: date,
    local_now: datetime,
    alert_id: str,
) -> dict[str, object]:
    """What every reminder / overdue template reads about the milestone itself."""
    due = ms.due
    starts = milestone.starts if milestone is not None else None
    return {
        "ward_name": cfg.ward.name,
        "milestone_id": ms.milestone_id,
        "milestone_title": milestone.title if milestone is not None else ms.milestone_id,
        "due_date": fmt_date(due),
        "starts_date": fmt_date(starts) if starts is not None else "",
        "days_left": max((due - today).days, 0),
        "days_overdue": max((today - due).days, 0),
        "days_before": timing.days_before,
        "notice_number": timing.notice_number,
        "notice_max": cfg.alerts.overdue_max,
        "occurrence": timing.occurrence,
        "as_of": fmt_datetime(local_now),
        "alert_code": alert_code(alert_id),
    }


def _branch_alert(
    cfg: WardConfig,
    branch: Branch,
    ms: MilestoneStatus,
    milestone: ConcreteMilestone | None,
    today: date,
    local_now: datetime,
    ledger: Mapping[str, LedgerEntry] | None = None,
    notified: Callable[[str, str], bool] = lambda milestone_id, code: True,
) -> Alert | None:
    # a community digital technology team ("team:T01", scope: team; sync/support.py): its
    # leader is addressed like a secretary, never escalated (no supervisor to copy)
    team = branch.code.startswith("team:")
    timing = _timing(
        cfg,
        ms.due,
        today,
        escalate=not team,
        notified=lambda: notified(ms.milestone_id, branch.code),
    )
    if timing is None:
        return None
    kind = timing.kind
    alert_id = f"{ms.milestone_id}:{branch.code}:{kind.value}:{timing.occurrence}"
    if ledger is not None and _blocked(alert_id, ledger):
        return None  # already sent: nothing to build (most of an idle cycle's plan)
    to = _addresses(branch.secretary_email)
    cc: tuple[str, ...] = ()
    supervisor_name = ""
    if kind is AlertKind.ESCALATION:
        cc = tuple(a for a in _addresses(branch.supervisor_email) if a not in to)
        supervisor_name = branch.supervisor_name.strip()
    # Only this branch's own data: a secretary's mail never speaks of another branch.
    context: dict[str, object] = {
        **_milestone_context(cfg, ms, milestone, timing, today, local_now, alert_id),
        "scope": "team" if team else "branch",
        "branch_code": branch.code,
        "branch_name": branch.name,
        "secretary_name": branch.secretary_name.strip(),
        "supervisor_name": supervisor_name,
        "supervisor_copied": bool(cc),
    }
    return Alert(
        alert_id=alert_id,
        kind=kind,
        to=to,
        cc=cc,
        branch_code=branch.code,
        milestone_id=ms.milestone_id,
        occurrence=timing.occurrence,
        due_at=_at_window_start(cfg, timing.reached_on),
        context=context,
    )


WARD_ALERT_SCOPE = "ward"  # the middle part of a ward milestone's alert ids


def _ward_alert(
    cfg: WardConfig,
    ms: MilestoneStatus,
    milestone: ConcreteMilestone,
    today: date,
    local_now: datetime,
    ledger: Mapping[str, LedgerEntry] | None = None,
    notified: Callable[[str, str], bool] = lambda milestone_id, code: True,
) -> Alert | None:
    """A reminder / overdue notice of the ward's own milestone, to the ward staff only (a
    branch secretary never hears of it). Never escalated: there is nobody above to copy."""
    timing = _timing(
        cfg,
        ms.due,
        today,
        escalate=False,
        notified=lambda: notified(ms.milestone_id, WARD_ALERT_SCOPE),
    )
    if timing is None:
        return None
    alert_id = f"{ms.milestone_id}:{WARD_ALERT_SCOPE}:{timing.kind.value}:{timing.occurrence}"
    if ledger is not None and _blocked(alert_id, ledger):
        return None
    context: dict[str, object] = {
        **_milestone_context(cfg, ms, milestone, timing, today, local_now, alert_id),
        "scope": "ward",
        "branch_code": "",
        "branch_name": "",
        "secretary_name": "",
        "supervisor_name": "",
        "supervisor_copied": False,
    }
    return Alert(
        alert_id=alert_id,
        kind=timing.kind,
        to=_staff(cfg),
        cc=(),
        branch_code="",  # not a branch's: the digest and the branch columns skip it
        milestone_id=ms.milestone_id,
        occurrence=timing.occurrence,
        due_at=_at_window_start(cfg, timing.reached_on),
        context=context,
    )


# ---------------------------------------------------------------------------------------
# Weekly digest
# ---------------------------------------------------------------------------------------


class _LateMilestone(TypedDict):
    milestone_id: str
    title: str
    due_date: str
    days_overdue: int


class _LateBranch(TypedDict):
    """One late branch in the digest's template context."""

    branch_code: str
    branch_name: str
    secretary_name: str
    max_days_overdue: int
    milestones: list[_LateMilestone]
    last_notice_at: str
    last_notice_kind: str


def _digest(
    cfg: WardConfig,
    roster: Roster,
    statuses: Sequence[Track],
    ledger: Mapping[str, LedgerEntry],
    local_now: datetime,
) -> Alert | None:
    policy = cfg.alerts
    staff = _staff(cfg)
    weekday = policy.digest_weekday
    if weekday is None or _digest_week(cfg, ledger, local_now) is None:
        return None
    statuses = _branches_only(statuses)
    iso_year, week, _ = local_now.isocalendar()
    week_start = date.fromisocalendar(iso_year, week, 1)
    digest_day = week_start + timedelta(days=weekday)

    concrete = concrete_milestones(cfg)
    milestones = {m.id: m for m in concrete}
    order = {m.id: i for i, m in enumerate(concrete)}
    branches = {b.code: b for b in roster.branches}
    last_notice = _last_notice_by_branch(ledger, cfg.tz)
    late: list[_LateBranch] = []
    for status in sorted(statuses, key=lambda s: natural_key(s.branch_code)):
        overdue = [m for m in status.milestones if m.state is MilestoneState.OVERDUE]
        if not overdue:
            continue
        overdue.sort(key=lambda m: (order.get(m.milestone_id, len(order)), m.milestone_id))
        branch = branches.get(status.branch_code) or Branch(
            code=status.branch_code, name=status.branch_code
        )
        notice = last_notice.get(branch.code)
        late.append(
            {
                "branch_code": branch.code,
                "branch_name": branch.name,
                "secretary_name": branch.secretary_name.strip(),
                "max_days_overdue": max(m.days_overdue for m in overdue),
                "milestones": [
                    {
                        "milestone_id": m.milestone_id,
                        "title": (
                            milestones[m.milestone_id].title
                            if m.milestone_id in milestones
                            else m.milestone_id
                        ),
                        "due_date": fmt_date(m.due),
                        "days_overdue": m.days_overdue,
                    }
                    for m in overdue
                ],
                # the day, not the minute: a cycle resumed after a crash on the same day
                # must write the same digest as one that ran through
                "last_notice_at": (
                    fmt_date(notice.sent_at.astimezone(cfg.tz).date())
                    if notice is not None and notice.sent_at is not None
                    else ""
                ),
                "last_notice_kind": (
                    alert_kind_label(notice.kind) if notice is not None else ""
                ),
            }
        )
    if not late and not policy.digest_when_empty:
        return None
    # A province has thousands of late branches: above a size the digest gives the counts
    # and the longest overdue, and sends staff to the summary's "Quá hạn" tab for the rest.
    shown = late
    summarised = len(late) > policy.digest_max_branches
    if summarised:
        shown = sorted(late, key=lambda b: -b["max_days_overdue"])[
            : policy.digest_max_branches
        ]
        shown.sort(key=lambda b: natural_key(b["branch_code"]))
    by_milestone: dict[str, int] = {}
    for b in late:
        for m in b["milestones"]:
            by_milestone[m["milestone_id"]] = by_milestone.get(m["milestone_id"], 0) + 1
    milestone_counts = [
        {"milestone_id": m.id, "title": m.title, "late_count": by_milestone[m.id]}
        for m in concrete
        if m.id in by_milestone
    ]
    # the ward's own overdue milestones, so the staff's weekly page is complete
    ward_overdue = [
        {
            "milestone_id": ms.milestone_id,
            "title": milestones[ms.milestone_id].title,
            "due_date": fmt_date(ms.due),
            "days_overdue": ms.days_overdue,
        }
        for ms in ward_milestone_statuses(concrete, today=local_now.date(), due_soon_days=0)
        if ms.state is MilestoneState.OVERDUE
    ]
    occurrence = f"{iso_year}-W{week:02d}"
    alert_id = f"digest:{occurrence}"
    context: dict[str, object] = {
        "ward_name": cfg.ward.name,
        "iso_year": iso_year,
        "week_number": week,
        "week": occurrence,
        "week_start": fmt_date(week_start),
        "week_end": fmt_date(week_start + timedelta(days=6)),
        "as_of": fmt_date(local_now.date()),
        "branch_count": len(statuses),
        "late_count": len(late),
        "late_branches": shown,
        "summarised": summarised,
        "shown_count": len(shown),
        "milestone_counts": milestone_counts,
        "ward_overdue": ward_overdue,
        "summary_location": summary_location(cfg),
        "alert_code": alert_code(alert_id),
        "queued_count": 0,  # set when the daily sending limit holds messages back
    }
    return Alert(
        alert_id=alert_id,
        kind=AlertKind.DIGEST,
        to=staff,
        cc=(),
        branch_code="",
        milestone_id="",
        occurrence=occurrence,
        due_at=_at_window_start(cfg, digest_day),
        context=context,
    )


def _staff(cfg: WardConfig) -> tuple[str, ...]:
    return tuple(a for s in cfg.mail.ward_staff for a in _addresses(s))


def _digest_week(
    cfg: WardConfig, ledger: Mapping[str, LedgerEntry], local_now: datetime
) -> str | None:
    """This week's digest id when one is wanted now and not sent yet (its content aside)."""
    weekday = cfg.alerts.digest_weekday
    # The digest of an ISO week is due from its weekday on, and only within that week.
    if weekday is None or not _staff(cfg) or local_now.weekday() < weekday:
        return None
    iso_year, week, _ = local_now.isocalendar()
    alert_id = f"digest:{iso_year}-W{week:02d}"
    return None if _blocked(alert_id, ledger) else alert_id


def summary_location(cfg: WardConfig) -> str:
    """Where staff find the summary tabs: the spreadsheet's address, or the workbook."""
    d = cfg.destination
    if d.kind == "google_sheets" and d.spreadsheet_id:
        return f"https://docs.google.com/spreadsheets/d/{d.spreadsheet_id}"
    return f"tệp {d.path.name}" if d.path is not None else ""


def _last_notice_by_branch(ledger: Mapping[str, LedgerEntry], tz: tzinfo) -> dict[str, LedgerEntry]:
    """Per branch, the sent reminder / overdue notice of the latest day; on that day the
    most urgent one. By day, not by minute: a cycle resumed after a crash sends part of its
    notices minutes later, and must still write the same digest."""
    out: dict[str, tuple[tuple[date, int, str], LedgerEntry]] = {}
    for entry in ledger.values():
        if (
            entry.status != "sent"
            or entry.sent_at is None
            or not entry.branch_code
            or entry.kind not in _BRANCH_NOTICE_KINDS
        ):
            continue
        key = (entry.sent_at.astimezone(tz).date(), _URGENCY[entry.kind], entry.alert_id)
        best = out.get(entry.branch_code)
        if best is None or key > best[0]:
            out[entry.branch_code] = (key, entry)
    return {code: entry for code, (_, entry) in out.items()}


_URGENCY = {AlertKind.REMINDER.value: 0, AlertKind.OVERDUE.value: 1, AlertKind.ESCALATION.value: 2}


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


class _NoticeIndex:
    """Whether an item (milestone, branch code or "ward") ever had an overdue notice or an
    escalation that went out or may have. Built on first use: only an item past its
    cadence asks, and most cycles have none."""

    def __init__(self, ledger: Mapping[str, LedgerEntry]) -> None:
        self._ledger = ledger
        self._items: set[tuple[str, str]] | None = None

    def __call__(self, milestone_id: str, code: str) -> bool:
        if self._items is None:
            self._items = {
                (e.milestone_id, e.branch_code or _ward_code(e.alert_id))
                for e in self._ledger.values()
                if e.kind in _OVERDUE_KINDS and e.status in BLOCKING_STATUSES
            }
        return (milestone_id, code) in self._items


_OVERDUE_KINDS = frozenset({AlertKind.OVERDUE.value, AlertKind.ESCALATION.value})


def _ward_code(alert_id: str) -> str:
    # a ward milestone's entry has no branch code; its id says "…:ward:overdue:n"
    parts = alert_id.rsplit(":", 3)
    return parts[1] if len(parts) == 4 else ""


def _blocked(alert_id: str, ledger: Mapping[str, LedgerEntry]) -> bool:
    entry = ledger.get(alert_id)
    return entry is not None and entry.status in BLOCKING_STATUSES


def _in_window(cfg: WardConfig, local_now: datetime) -> bool:
    w = cfg.alerts.window
    return local_now.weekday() in w.weekdays and w.start <= local_now.time() < w.end


def _at_window_start(cfg: WardConfig, day: date) -> datetime:
    return datetime.combine(day, cfg.alerts.window.start, tzinfo=cfg.tz)


def _addresses(raw: str) -> tuple[str, ...]:
    """A roster cell may hold one address or several separated by ';' or ','."""
    return tuple(a for a in (p.strip() for p in re.split(r"[;,]", raw or "")) if a)
