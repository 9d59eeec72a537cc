"""Follow-up e-mails of "Bình dân học vụ số" (seed 003): a pure function of the learning
progress, the ledger and the clock value, on the machinery of ``sync.alerts`` (stable ids
in the same ledger, the same send window, the same daily quota).

On the cadence of ``learning.follow_up`` (every month on a day, and N days before each
target's deadline) each branch secretary gets the list of their own units' learners who
have not passed, and the ward staff get the rates per branch. Only the most recently
reached occurrence is planned (no burst after a pause), so ids are:

    hoc_tap:{branch_code}:{YYYY-MM}              the monthly letter
    hoc_tap:{branch_code}:{YYYY-MM-DD}:{N}d      N days before a deadline
    hoc_tap:ward:{...}                           the ward staff's summary, same occurrences
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from scoring.learning import LearningCount, LearningProgress, group_label, unit_label
from sync.alerts import (
    AlertPlan,
    _addresses,
    _at_window_start,
    _blocked,
    _classify,
    _staff,
    _within_daily_limit,
    alert_code,
    fmt_date,
    fmt_datetime,
    summary_location,
)
from sync.config import WardConfig
from sync.model import Alert, AlertKind, LedgerEntry, Roster
from sync.text import natural_key

LEARNING_ALERT_PREFIX = "hoc_tap"
WARD_SCOPE = "ward"


def percent(rate: float | None) -> str:
    """ "45,5%" (Vietnamese decimal comma); "—" when nobody is counted."""
    if rate is None:
        return "—"
    return f"{rate * 100:.1f}".replace(".", ",") + "%"


def follow_up_occurrence(cfg: WardConfig, today: date) -> tuple[str, date, str] | None:
    """(occurrence id, day it was reached, Vietnamese label) of the latest follow-up reached
    on or before ``today``, or None. A pre-deadline letter counts only until its deadline."""
    policy = cfg.learning.follow_up
    found: list[tuple[date, int, str, str]] = []
    if policy.monthly_day is not None and today.day >= policy.monthly_day:
        reached = today.replace(day=policy.monthly_day)
        found.append((reached, 0, f"{today:%Y-%m}", f"tháng {today.month:02d}/{today.year}"))
    for due in sorted({t.due for t in cfg.learning.targets}):
        for n in policy.days_before_due:
            reached = due - timedelta(days=n)
            if reached <= today <= due:
                label = f"{n} ngày trước hạn {fmt_date(due)}"
                found.append((reached, 1, f"{due.isoformat()}:{n}d", label))
    if not found:
        return None
    reached, _, occurrence, label = max(found)
    return occurrence, reached, label


def _count(c: LearningCount) -> dict[str, object]:
    return {
        "staff": c.staff,
        "started": c.started,
        "passed": c.passed,
        "not_passed": c.staff - c.passed,
        "rate": percent(c.rate),
    }


def _targets(progress: LearningProgress) -> list[dict[str, object]]:
    return [
        {
            "label": t.label,
            "share": percent(t.share),
            "due_date": fmt_date(t.due),
            "actual": percent(t.actual),
            "verdict": t.verdict,
        }
        for t in progress.targets
    ]


def plan_learning(
    cfg: WardConfig,
    roster: Roster,
    progress: LearningProgress | None,
    ledger: Mapping[str, LedgerEntry],
    now: datetime,
    *,
    limit: bool = True,
) -> AlertPlan:
    """The follow-ups due at ``now`` (tz-aware): one per branch with learners who have not
    passed (its own learners only), then the ward staff's summary. ``limit=False``: no
    daily limit applied (the cycle bundles the branches' follow-ups into their letters)."""
    if now.tzinfo is None:
        raise ValueError("plan_learning: 'now' must be timezone-aware")
    if progress is None:
        return AlertPlan((), (), ())
    local_now = now.astimezone(cfg.tz)
    today = local_now.date()
    found = follow_up_occurrence(cfg, today)
    if found is None:
        return AlertPlan((), (), ())
    occurrence, reached, label = found
    due_at = _at_window_start(cfg, reached)
    common: dict[str, object] = {
        "ward_name": cfg.ward.name,
        "occurrence_label": label,
        "as_of": fmt_datetime(local_now),
        "targets": _targets(progress),
        "summary_location": summary_location(cfg),
    }
    counts = {c.branch_code: c for c in progress.branches}
    alerts: list[Alert] = []
    for branch in sorted(roster.branches, key=lambda b: natural_key(b.code)):
        mine = progress.of_branch(branch.code)
        laggards = [p for p in mine if not p.passed]
        if not laggards:
            continue
        alert_id = f"{LEARNING_ALERT_PREFIX}:{branch.code}:{occurrence}"
        if _blocked(alert_id, ledger):
            continue
        # only this branch's learners: a secretary's mail never speaks of another branch
        context: dict[str, object] = {
            **common,
            **_count(counts[branch.code]),
            "branch_code": branch.code,
            "branch_name": branch.name,
            "secretary_name": branch.secretary_name.strip(),
            "laggards": [
                {
                    "code": p.staff.code,
                    "name": p.staff.name,
                    "unit": unit_label(p.staff.unit),
                    "group": group_label(p.staff.group),
                    "lessons": "" if p.lessons is None else p.lessons,
                    "result": (
                        "chưa có trên nền tảng"
                        if p.lessons is None
                        else "chưa đánh giá"
                        if p.passed is None
                        else "chưa đạt"
                    ),
                    "status": p.status,
                }
                for p in laggards
            ],
            "alert_code": alert_code(alert_id),
        }
        alerts.append(
            Alert(
                alert_id=alert_id,
                kind=AlertKind.LEARNING,
                to=_addresses(branch.secretary_email),
                cc=(),
                branch_code=branch.code,
                milestone_id=LEARNING_ALERT_PREFIX,
                occurrence=occurrence,
                due_at=due_at,
                context=context,
            )
        )
    ward_id = f"{LEARNING_ALERT_PREFIX}:{WARD_SCOPE}:{occurrence}"
    if _staff(cfg) and not _blocked(ward_id, ledger):
        names = {b.code: b.name for b in roster.branches}
        context = {
            **common,
            **_count(progress.ward),
            "branches": [
                {
                    "branch_code": c.branch_code,
                    "branch_name": names.get(c.branch_code, ""),
                    **_count(c),
                }
                for c in progress.branches
            ],
            "groups": [{"label": c.label, **_count(c)} for c in progress.groups],
            "alert_code": alert_code(ward_id),
        }
        alerts.append(
            Alert(
                alert_id=ward_id,
                kind=AlertKind.LEARNING_DIGEST,
                to=_staff(cfg),
                cc=(),
                branch_code="",
                milestone_id=LEARNING_ALERT_PREFIX,
                occurrence=occurrence,
                due_at=due_at,
                context=context,
            )
        )
    due, waiting, unaddressable = _classify(cfg, alerts, local_now)
    if not limit:
        return AlertPlan(tuple(due), tuple(waiting), tuple(unaddressable))
    due, queued = _within_daily_limit(cfg, due, ledger, today)
    return AlertPlan(tuple(due), tuple(waiting), tuple(unaddressable), tuple(queued))
