"""Alert planning: a pure function of config, roster, statuses, ledger and ``now``."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sync.alerts import AlertPlan, alert_code, plan_alerts
from sync.config import WardConfig
from sync.model import (
    Alert,
    AlertKind,
    Branch,
    BranchStatus,
    LedgerEntry,
    MilestoneState,
    MilestoneStatus,
    OverallState,
    Roster,
)
from tests.conftest import TZ

DUE = date(2026, 11, 20)  # a Friday; reminders [7, 2] fall on Fri 13/11 and Wed 18/11
PLAN_DUE = date(2026, 5, 11)
WARD = "Đảng bộ phường Thử nghiệm"
EVERY_DAY = {"weekdays": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"}

BRANCHES = (
    Branch(
        code="CB01",
        name="Chi bộ Văn phòng Đảng ủy",
        secretary_name="Nguyễn Văn An",
        secretary_email="an.cb01@phuong.example.vn",
        supervisor_name="Lê Thị Hoa",
        supervisor_email="hoa@phuong.example.vn",
    ),
    Branch(
        code="CB02",
        name="Chi bộ Khu phố Hòa Bình",
        secretary_name="Trần Thị Bình",
        secretary_email="binh.cb02@phuong.example.vn",
        supervisor_name="Phạm Quốc Bảo",
        supervisor_email="",
    ),
    Branch(code="CB03", name="Chi bộ Trường Tiểu học Kim Đồng", secretary_name="Đỗ Văn Cường"),
    Branch(
        code="CB2",
        name="Chi bộ Khu phố Thống Nhất",
        secretary_name="Hồ Thị Lan",
        secretary_email="lan.cb2@phuong.example.vn",
    ),
    Branch(
        code="CB10",
        name="Chi bộ Công an phường",
        secretary_name="Vũ Minh Đức",
        secretary_email="duc.cb10@phuong.example.vn",
    ),
)
ROSTER = Roster(branches=BRANCHES, members=())


def make_cfg(*, ward_staff: list[str] | None = None, **alerts: Any) -> WardConfig:
    return WardConfig.model_validate(
        {
            "ward": {"name": WARD, "year": 2026},
            "rubric": "rubric.yaml",
            "roster": {"branches": "chi-bo.csv", "members": "dang-vien.csv"},
            "sources": [
                {"id": "thong_ke", "kind": "branch_stats", "mapping": "m.yaml", "file": "a.csv"}
            ],
            "destination": {"kind": "xlsx", "path": "out.xlsx"},
            "mail": {
                "sender": "Ban Xây dựng Đảng <bxdd@phuong.example.vn>",
                "ward_staff": ["bxdd@phuong.example.vn"] if ward_staff is None else ward_staff,
                "outbox_dir": "outbox",
            },
            "state": {"path": "state.sqlite"},
            # listed out of alphabetical order on purpose: the config order is the order
            "milestones": [
                {
                    "id": "ke_hoach",
                    "title": "Ban hành kế hoạch, quán triệt đến đảng viên",
                    "due": PLAN_DUE.isoformat(),
                    "done_when": "plan_issued",
                },
                {
                    "id": "bao_cao",
                    "title": "Gửi báo cáo kết quả về Đảng ủy phường",
                    "due": DUE.isoformat(),
                    "done_when": "report_sent",
                },
            ],
            "alerts": alerts,
        }
    )


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def ms(milestone_id: str, code: str, due: date, today: date, *, done: bool = False):
    left = (due - today).days
    if done:
        state = MilestoneState.DONE_ON_TIME
    elif left < 0:
        state = MilestoneState.OVERDUE
    elif left <= 7:
        state = MilestoneState.DUE_SOON
    else:
        state = MilestoneState.NOT_DUE
    return MilestoneStatus(
        milestone_id=milestone_id,
        branch_code=code,
        state=state,
        due=due,
        done_on=today if done else None,
        days_overdue=max(-left, 0) if not done else 0,
        days_left=left,
    )


def status(code: str, *milestones: MilestoneStatus) -> BranchStatus:
    return BranchStatus(
        branch_code=code,
        report=None,
        first_reported_at=None,
        plan_date=None,
        session_date=None,
        session_form=None,
        eligible_members=10,
        participants=None,
        participation_rate=None,
        six_clear_filled=0,
        task_registered=False,
        registered_share=None,
        scored_share=None,
        report_sent=False,
        milestones=tuple(milestones),
        overall=OverallState.IN_PROGRESS,
        max_days_overdue=max((m.days_overdue for m in milestones), default=0),
    )


def report_status(code: str, now: datetime, *, done: bool = False) -> BranchStatus:
    return status(code, ms("bao_cao", code, DUE, now.date(), done=done))


def entry(alert_id: str, status_: str, sent_at: datetime | None = None) -> LedgerEntry:
    parts = alert_id.split(":")
    branch = parts[1] if len(parts) == 4 else ""
    kind = parts[2] if len(parts) == 4 else "digest"
    return LedgerEntry(
        alert_id=alert_id,
        kind=kind,
        branch_code=branch,
        milestone_id=parts[0] if len(parts) == 4 else "",
        status=status_,  # type: ignore[arg-type]
        recipients="x@example.vn",
        subject="…",
        intent_at=sent_at,
        sent_at=sent_at if status_ == "sent" else None,
    )


def ledger_of(*entries: LedgerEntry) -> dict[str, LedgerEntry]:
    return {e.alert_id: e for e in entries}


def everything(plan: AlertPlan) -> list[Alert]:
    return [*plan.due, *plan.waiting, *plan.unaddressable]


def ids(alerts: Iterable[Alert]) -> list[str]:
    return [a.alert_id for a in alerts]


def branch_ids(plan: AlertPlan) -> list[str]:
    return [i for i in ids(everything(plan)) if not i.startswith("digest:")]


def plan(
    now: datetime,
    statuses: list[BranchStatus],
    ledger: dict[str, LedgerEntry] | None = None,
    **cfg: Any,
) -> AlertPlan:
    cfg.setdefault("digest_weekday", None)
    return plan_alerts(make_cfg(**cfg), ROSTER, statuses, ledger or {}, now)


# ---------------------------------------------------------------------------------------
# Reminders
# ---------------------------------------------------------------------------------------


def test_no_reminder_before_the_first_offset():
    now = local("2026-11-12T09:00")  # due − 8
    assert branch_ids(plan(now, [report_status("CB01", now)])) == []


def test_first_reminder_on_due_minus_seven():
    now = local("2026-11-13T09:00")  # Friday, due − 7
    p = plan(now, [report_status("CB01", now)])
    (a,) = p.due
    assert a.alert_id == "bao_cao:CB01:reminder:7d"
    assert a.kind is AlertKind.REMINDER
    assert a.occurrence == "7d"
    assert a.to == ("an.cb01@phuong.example.vn",) and a.cc == ()
    assert a.branch_code == "CB01" and a.milestone_id == "bao_cao"
    assert a.due_at == datetime(2026, 11, 13, 7, 30, tzinfo=TZ)
    assert a.context["days_left"] == 7 and a.context["days_before"] == 7
    assert a.context["due_date"] == "20/11/2026"


def test_reminder_stays_planned_until_sent_then_stops():
    now = local("2026-11-16T09:00")  # Monday, between the two offsets
    assert branch_ids(plan(now, [report_status("CB01", now)])) == ["bao_cao:CB01:reminder:7d"]
    sent = ledger_of(entry("bao_cao:CB01:reminder:7d", "sent", local("2026-11-13T08:00")))
    assert branch_ids(plan(now, [report_status("CB01", now)], sent)) == []


def test_catch_up_plans_only_the_latest_reminder_reached():
    """A daemon that was off from 12/11 to 18/11 sends the 2-day reminder, not both."""
    now = local("2026-11-18T10:00")
    p = plan(now, [report_status("CB01", now)])
    assert branch_ids(p) == ["bao_cao:CB01:reminder:2d"]
    assert p.due[0].due_at == datetime(2026, 11, 18, 7, 30, tzinfo=TZ)


def test_reminder_on_the_due_day_itself():
    now = local("2026-11-20T09:00")
    (a,) = plan(now, [report_status("CB01", now)]).due
    assert a.alert_id == "bao_cao:CB01:reminder:2d"
    assert a.context["days_left"] == 0


def test_single_offset_and_custom_offsets():
    now = local("2026-11-06T09:00")  # due − 14
    assert branch_ids(plan(now, [report_status("CB01", now)], reminder_days_before=[14, 3])) == [
        "bao_cao:CB01:reminder:14d"
    ]
    assert branch_ids(plan(now, [report_status("CB01", now)], reminder_days_before=[3])) == []


@pytest.mark.parametrize("when", ["2026-11-13T09:00", "2026-11-20T09:00", "2026-11-30T09:00"])
@pytest.mark.parametrize("state", [MilestoneState.DONE_ON_TIME, MilestoneState.DONE_LATE])
def test_nothing_once_the_milestone_is_done(when: str, state: MilestoneState):
    now = local(when)
    done = MilestoneStatus("bao_cao", "CB01", state, DUE, now.date(), 0, (DUE - now.date()).days)
    assert branch_ids(plan(now, [status("CB01", done)], window=EVERY_DAY)) == []


# ---------------------------------------------------------------------------------------
# Overdue notices and escalation
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_overdue", "expected"),
    [
        (1, "bao_cao:CB01:overdue:1"),
        (7, "bao_cao:CB01:overdue:1"),
        (8, "bao_cao:CB01:overdue:2"),
        (14, "bao_cao:CB01:overdue:2"),
        (15, "bao_cao:CB01:escalation:3"),  # nominal day 15 ≥ escalate_after_days 14
        (21, "bao_cao:CB01:escalation:3"),
        (22, "bao_cao:CB01:escalation:4"),
        (28, "bao_cao:CB01:escalation:4"),
        (29, None),  # a 5th notice would exceed overdue_max = 4
        (200, None),
    ],
)
def test_overdue_cadence_escalation_and_cap(days_overdue: int, expected: str | None):
    now = datetime.combine(DUE + timedelta(days=days_overdue), datetime.min.time(), TZ)
    now = now.replace(hour=9)
    # the branch had its first notice on time: past the 4th nothing more is sent
    ledger = ledger_of(entry("bao_cao:CB01:overdue:1", "sent", local("2026-11-21T08:00")))
    if expected == "bao_cao:CB01:overdue:1":
        ledger = {}
    got = branch_ids(plan(now, [report_status("CB01", now)], ledger, window=EVERY_DAY))
    assert got == ([expected] if expected else [])


@pytest.mark.parametrize("days_overdue", [29, 200])
def test_overdue_never_notified_gets_one_notice_after_the_cadence(days_overdue: int):
    """The daemon started after the cadence ran out: the item gets the notice its age calls
    for (the 4th, an escalation: more than 14 days over, the supervisor in Cc), once;
    never a burst of the 1st to 3rd."""
    now = datetime.combine(DUE + timedelta(days=days_overdue), datetime.min.time(), TZ)
    now = now.replace(hour=9)
    first = plan(now, [report_status("CB01", now)], window=EVERY_DAY)
    assert branch_ids(first) == ["bao_cao:CB01:escalation:4"]
    (alert,) = first.due
    assert alert.cc == ("hoa@phuong.example.vn",)
    # once sent, the cadence's maximum holds: nothing the next day or a month later
    ledger = ledger_of(entry("bao_cao:CB01:escalation:4", "sent", now))
    for later in (now + timedelta(days=1), now + timedelta(days=30)):
        got = plan(later, [report_status("CB01", later)], ledger, window=EVERY_DAY)
        assert branch_ids(got) == []


def test_overdue_catch_up_is_an_overdue_notice_before_the_escalation_age():
    """With at most one notice, a never-notified item 10 days over gets "overdue:1"
    (10 < escalate_after_days 14), not an escalation."""
    now = datetime.combine(DUE + timedelta(days=10), datetime.min.time(), TZ).replace(hour=9)
    got = plan(now, [report_status("CB01", now)], overdue_max=1, window=EVERY_DAY)
    assert branch_ids(got) == ["bao_cao:CB01:overdue:1"]


def test_overdue_notice_fields():
    now = local("2026-11-28T09:00")  # 8 days overdue, a Saturday
    (a,) = everything(plan(now, [report_status("CB01", now)]))
    assert a.kind is AlertKind.OVERDUE and a.occurrence == "2"
    assert a.cc == ()
    assert a.due_at == datetime(2026, 11, 28, 7, 30, tzinfo=TZ)  # due + 1 + (2 − 1)·7
    assert a.context["days_overdue"] == 8
    assert a.context["notice_number"] == 2 and a.context["notice_max"] == 4
    assert a.context["supervisor_name"] == ""


def test_escalation_copies_the_supervisor():
    now = local("2026-12-07T09:00")  # 17 days overdue, Monday
    (a,) = plan(now, [report_status("CB01", now)]).due
    assert a.alert_id == "bao_cao:CB01:escalation:3"
    assert a.kind is AlertKind.ESCALATION
    assert a.to == ("an.cb01@phuong.example.vn",)
    assert a.cc == ("hoa@phuong.example.vn",)
    assert a.context["supervisor_name"] == "Lê Thị Hoa"
    assert a.context["supervisor_copied"] is True
    assert a.due_at == datetime(2026, 12, 5, 7, 30, tzinfo=TZ)  # nominal day 15


def test_escalation_without_supervisor_address_still_reaches_the_secretary():
    now = local("2026-12-07T09:00")
    (a,) = plan(now, [report_status("CB02", now)]).due
    assert a.kind is AlertKind.ESCALATION
    assert a.to == ("binh.cb02@phuong.example.vn",) and a.cc == ()
    assert a.context["supervisor_copied"] is False


@pytest.mark.parametrize(("escalate_after", "kind"), [(15, "escalation"), (16, "overdue")])
def test_escalation_threshold_uses_the_nominal_day(escalate_after: int, kind: str):
    now = local("2026-12-08T09:00")  # 18 days overdue: occurrence 3, nominal day 15
    got = branch_ids(plan(now, [report_status("CB01", now)], escalate_after_days=escalate_after))
    assert got == [f"bao_cao:CB01:{kind}:3"]


def test_custom_cadence():
    now = local("2026-11-24T09:00")  # 4 days overdue; every 3 days: days 1, 4, 7
    got = branch_ids(plan(now, [report_status("CB01", now)], overdue_every_days=3))
    assert got == ["bao_cao:CB01:overdue:2"]


def test_overdue_max_zero_disables_overdue_notices():
    now = local("2026-11-23T09:00")
    assert branch_ids(plan(now, [report_status("CB01", now)], overdue_max=0)) == []


def test_a_notice_missed_while_the_daemon_was_off_is_replaced_by_the_latest():
    now = local("2026-12-08T09:00")  # occurrence 1 and 2 were never sent
    assert branch_ids(plan(now, [report_status("CB01", now)])) == ["bao_cao:CB01:escalation:3"]


# ---------------------------------------------------------------------------------------
# Send window
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "due"),
    [
        ("2026-11-23T07:29", False),  # Monday, before 07:30
        ("2026-11-23T07:30", True),
        ("2026-11-23T16:59", True),
        ("2026-11-23T17:00", False),  # end is exclusive
        ("2026-11-23T22:00", False),
        ("2026-11-21T10:00", False),  # Saturday
        ("2026-11-22T10:00", False),  # Sunday
    ],
)
def test_send_window(when: str, due: bool):
    now = local(when)
    p = plan(now, [report_status("CB01", now)])
    assert len(everything(p)) == 1
    assert (len(p.due), len(p.waiting)) == ((1, 0) if due else (0, 1))


def test_waiting_alert_is_due_at_the_next_window_with_the_same_id():
    saturday = local("2026-11-21T10:00")
    monday = local("2026-11-23T07:30")
    (waiting,) = plan(saturday, [report_status("CB01", saturday)]).waiting
    (due,) = plan(monday, [report_status("CB01", monday)]).due
    assert waiting.alert_id == due.alert_id == "bao_cao:CB01:overdue:1"


def test_window_is_read_in_the_ward_time_zone():
    utc = ZoneInfo("UTC")
    # 01:00 UTC = 08:00 in Hà Nội (in the window); 23:00 UTC Sunday = 06:00 Monday (not yet)
    in_window = datetime(2026, 11, 23, 1, 0, tzinfo=utc)
    too_early = datetime(2026, 11, 22, 23, 0, tzinfo=utc)
    assert len(plan(in_window, [report_status("CB01", in_window)]).due) == 1
    p = plan(too_early, [report_status("CB01", too_early)])
    assert p.due == () and len(p.waiting) == 1


def test_now_must_be_timezone_aware():
    with pytest.raises(ValueError):
        plan(datetime(2026, 11, 23, 9, 0), [])


# ---------------------------------------------------------------------------------------
# Ledger
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ledger_status", "planned"),
    [
        ("sent", False),
        ("intent", False),
        ("unknown", False),
        ("failed", True),
    ],
)
def test_ledger_suppression(ledger_status: str, planned: bool):
    now = local("2026-11-23T09:00")
    ledger = ledger_of(entry("bao_cao:CB01:overdue:1", ledger_status, local("2026-11-21T08:00")))
    got = branch_ids(plan(now, [report_status("CB01", now)], ledger))
    assert got == (["bao_cao:CB01:overdue:1"] if planned else [])


def test_ledger_entry_of_an_older_occurrence_does_not_block_the_next():
    now = local("2026-11-30T09:00")  # occurrence 2
    ledger = ledger_of(entry("bao_cao:CB01:overdue:1", "sent", local("2026-11-23T08:00")))
    assert branch_ids(plan(now, [report_status("CB01", now)], ledger)) == ["bao_cao:CB01:overdue:2"]


# ---------------------------------------------------------------------------------------
# Unaddressable
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("when", ["2026-11-23T09:00", "2026-11-21T09:00"])
def test_branch_without_secretary_email_is_unaddressable(when: str):
    now = local(when)
    p = plan(now, [report_status("CB03", now), report_status("CB01", now)])
    assert ids(p.unaddressable) == ["bao_cao:CB03:overdue:1"]
    assert p.unaddressable[0].to == ()
    assert "bao_cao:CB03:overdue:1" not in ids([*p.due, *p.waiting])


# ---------------------------------------------------------------------------------------
# Digest
# ---------------------------------------------------------------------------------------


def late_statuses(now: datetime) -> list[BranchStatus]:
    today = now.date()
    return [
        status(
            "CB01",
            ms("ke_hoach", "CB01", PLAN_DUE, today, done=True),
            ms("bao_cao", "CB01", DUE, today),
        ),
        status(
            "CB02",
            ms("ke_hoach", "CB02", PLAN_DUE, today, done=True),
            ms("bao_cao", "CB02", DUE, today, done=True),
        ),
        status(
            "CB10",
            ms("ke_hoach", "CB10", PLAN_DUE, today),
            ms("bao_cao", "CB10", DUE, today),
        ),
    ]


def digest_of(p: AlertPlan) -> Alert | None:
    found = [a for a in everything(p) if a.kind is AlertKind.DIGEST]
    assert len(found) <= 1
    return found[0] if found else None


def test_digest_on_its_weekday_lists_the_late_branches():
    now = local("2026-11-30T08:00")  # Monday, ISO week 49; 10 days after DUE
    ledger = ledger_of(
        entry("bao_cao:CB01:reminder:2d", "sent", local("2026-11-18T08:00")),
        entry("bao_cao:CB01:overdue:1", "sent", local("2026-11-23T08:05")),
        entry("bao_cao:CB01:overdue:2", "failed", local("2026-11-30T07:45")),
        entry("digest:2026-W48", "sent", local("2026-11-23T08:10")),
    )
    p = plan(now, late_statuses(now), ledger, digest_weekday=0)
    d = digest_of(p)
    assert d is not None and d in p.due
    assert p.due[-1] is d  # after the branch notices
    assert d.alert_id == "digest:2026-W49" and d.occurrence == "2026-W49"
    assert d.to == ("bxdd@phuong.example.vn",) and d.cc == ()
    assert d.branch_code == "" and d.milestone_id == ""
    assert d.due_at == datetime(2026, 11, 30, 7, 30, tzinfo=TZ)
    ctx = d.context
    assert ctx["late_count"] == 2 and ctx["branch_count"] == 3
    assert (ctx["week_start"], ctx["week_end"]) == ("30/11/2026", "06/12/2026")
    assert ctx["as_of"] == "30/11/2026" and ctx["summarised"] is False
    cb01, cb10 = ctx["late_branches"]  # type: ignore[misc]
    assert cb01["branch_code"] == "CB01" and cb10["branch_code"] == "CB10"
    assert cb01["secretary_name"] == "Nguyễn Văn An"
    assert [m["title"] for m in cb01["milestones"]] == ["Gửi báo cáo kết quả về Đảng ủy phường"]
    assert cb01["milestones"][0]["days_overdue"] == 10
    assert [m["milestone_id"] for m in cb10["milestones"]] == ["ke_hoach", "bao_cao"]
    assert cb10["max_days_overdue"] == (now.date() - PLAN_DUE).days
    # the digest is built after this cycle's notices: it reports the ones going out now
    # (CB01's second overdue notice, retried after its failure; CB10's second one)
    # CB10's plan, 203 days over and never notified, gets its one catch-up notice
    assert ids(p.due[:-1]) == [
        "bao_cao:CB01:overdue:2",
        "ke_hoach:CB10:escalation:4",
        "bao_cao:CB10:overdue:2",
    ]
    assert cb01["last_notice_at"] == "30/11/2026"
    assert cb01["last_notice_kind"] == "Thông báo quá hạn"
    assert cb10["last_notice_at"] == "30/11/2026"


def test_digest_reports_the_day_of_the_last_notice_actually_sent():
    # before the send window: nothing goes out now, so the digest (waiting for the window)
    # reads the ledger as it is; a failed send does not count, the digest is not a notice
    now = local("2026-11-30T06:00")
    ledger = ledger_of(
        entry("bao_cao:CB01:reminder:2d", "sent", local("2026-11-18T08:00")),
        entry("bao_cao:CB01:overdue:1", "sent", local("2026-11-23T08:05")),
        entry("bao_cao:CB01:overdue:2", "failed", local("2026-11-30T07:45")),
        entry("digest:2026-W48", "sent", local("2026-11-23T08:10")),
    )
    p = plan(now, late_statuses(now), ledger, digest_weekday=0)
    assert p.due == ()
    d = digest_of(p)
    assert d is not None and d in p.waiting
    cb01, cb10 = d.context["late_branches"]  # type: ignore[misc]
    assert cb01["last_notice_at"] == "23/11/2026"  # the day, not the minute
    assert cb01["last_notice_kind"] == "Thông báo quá hạn"
    assert cb10["last_notice_at"] == "" and cb10["last_notice_kind"] == ""


def test_digest_of_many_late_branches_summarises_and_points_to_the_summary():
    now = local("2026-11-30T08:00")
    branches = tuple(
        Branch(code=f"CB{i:03d}", name=f"Chi bộ số {i}", secretary_email=f"b{i}@x.vn")
        for i in range(1, 121)
    )
    statuses = [
        status(
            b.code,
            ms("ke_hoach", b.code, PLAN_DUE, now.date(), done=i % 3 != 0),
            ms("bao_cao", b.code, DUE, now.date()),
        )
        for i, b in enumerate(branches)
    ]
    cfg = make_cfg(digest_weekday=0, digest_max_branches=30)
    p = plan_alerts(cfg, Roster(branches, ()), statuses, {}, now)
    d = digest_of(p)
    assert d is not None
    ctx = d.context
    assert ctx["late_count"] == 120 and ctx["summarised"] is True
    assert ctx["shown_count"] == 30 and len(ctx["late_branches"]) == 30  # type: ignore[arg-type]
    # the longest overdue are the ones shown: those also late with their plan (40 of them)
    shown = ctx["late_branches"]
    assert all(len(b["milestones"]) == 2 for b in shown)
    assert ctx["milestone_counts"] == [
        {"milestone_id": "ke_hoach", "title": cfg.milestones[0].title, "late_count": 40},
        {"milestone_id": "bao_cao", "title": cfg.milestones[1].title, "late_count": 120},
    ]
    assert ctx["summary_location"] == "tệp out.xlsx"


def test_digest_not_before_its_weekday():
    now = local("2026-12-01T09:00")  # Tuesday
    assert digest_of(plan(now, late_statuses(now), digest_weekday=2)) is None
    wednesday = local("2026-12-02T09:00")
    d = digest_of(plan(wednesday, late_statuses(wednesday), digest_weekday=2))
    assert d is not None and d.due_at == datetime(2026, 12, 2, 7, 30, tzinfo=TZ)


def test_digest_missed_on_monday_goes_out_on_tuesday_of_the_same_week():
    tuesday = local("2026-12-01T09:00")
    d = digest_of(plan(tuesday, late_statuses(tuesday), digest_weekday=0))
    assert d is not None and d.alert_id == "digest:2026-W49"
    assert d.due_at == datetime(2026, 11, 30, 7, 30, tzinfo=TZ)
    sent = ledger_of(entry("digest:2026-W49", "sent", local("2026-12-01T09:00")))
    wednesday = local("2026-12-02T09:00")
    assert digest_of(plan(wednesday, late_statuses(wednesday), sent, digest_weekday=0)) is None


def test_digest_of_a_past_week_is_never_sent_the_next_week():
    monday = local("2026-12-07T09:00")  # W49's digest never went out
    d = digest_of(plan(monday, late_statuses(monday), digest_weekday=0))
    assert d is not None and d.alert_id == "digest:2026-W50"


def test_digest_waits_for_the_window_on_a_weekend_weekday():
    saturday = local("2026-12-05T09:00")
    p = plan(saturday, late_statuses(saturday), digest_weekday=5)
    assert ids(p.waiting)[-1] == "digest:2026-W49"
    assert all(a.kind is not AlertKind.DIGEST for a in p.due)


def test_digest_iso_week_belongs_to_the_iso_year():
    friday = local("2027-01-01T09:00")  # ISO 2026-W53
    d = digest_of(plan(friday, late_statuses(friday), digest_weekday=0))
    assert d is not None and d.alert_id == "digest:2026-W53"


def test_no_digest_without_late_branches_unless_asked():
    now = local("2026-11-16T09:00")  # nothing overdue yet
    statuses = [report_status("CB01", now)]
    assert digest_of(plan(now, statuses, digest_weekday=0)) is None
    d = digest_of(plan(now, statuses, digest_weekday=0, digest_when_empty=True))
    assert d is not None and d.context["late_count"] == 0 and d.context["late_branches"] == []


def test_no_digest_when_disabled_or_nobody_to_receive_it():
    now = local("2026-11-30T09:00")
    assert digest_of(plan(now, late_statuses(now), digest_weekday=None)) is None
    assert digest_of(plan(now, late_statuses(now), digest_weekday=0, ward_staff=[])) is None


def test_digest_suppressed_by_ledger_like_any_alert():
    now = local("2026-11-30T09:00")
    for st in ("sent", "intent", "unknown"):
        ledger = ledger_of(entry("digest:2026-W49", st, now))
        assert digest_of(plan(now, late_statuses(now), ledger, digest_weekday=0)) is None
    ledger = ledger_of(entry("digest:2026-W49", "failed", now))
    assert digest_of(plan(now, late_statuses(now), ledger, digest_weekday=0)) is not None


# ---------------------------------------------------------------------------------------
# Context, order, code
# ---------------------------------------------------------------------------------------


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)
    else:
        yield str(value)


def test_a_secretary_alert_speaks_only_of_its_own_branch():
    now = local("2026-11-30T09:00")
    p = plan(now, late_statuses(now) + [report_status("CB03", now)], digest_weekday=0)
    branch_alerts = [a for a in everything(p) if a.kind is not AlertKind.DIGEST]
    assert {a.branch_code for a in branch_alerts} == {"CB01", "CB03", "CB10"}
    for a in branch_alerts:
        own = ROSTER.branch(a.branch_code)
        text = "\n".join(_strings(dict(a.context)))
        assert own.name in text and own.code in text
        for other in BRANCHES:
            if other.code == own.code:
                continue
            for word in (other.name, other.secretary_name, other.secretary_email):
                assert not word or word not in text, (a.alert_id, word)
            assert re.search(rf"\b{other.code}\b", text) is None, (a.alert_id, other.code)
        assert set(a.context) >= {
            "ward_name",
            "branch_name",
            "branch_code",
            "secretary_name",
            "milestone_title",
            "due_date",
            "days_left",
            "days_overdue",
            "occurrence",
            "supervisor_name",
            "alert_code",
        }
        assert a.context["ward_name"] == WARD
        assert a.context["alert_code"] == alert_code(a.alert_id)


def test_order_is_by_branch_code_then_config_milestone_order_then_digest():
    now = local("2026-11-30T09:00")
    statuses = late_statuses(now) + [
        status("CB2", ms("bao_cao", "CB2", DUE, now.date())),
    ]
    for seed in range(5):
        shuffled = statuses[:]
        random.Random(seed).shuffle(shuffled)
        p = plan(now, shuffled, digest_weekday=0, overdue_max=30)
        # CB2 before CB10; for CB10 "ke_hoach" first (config order, not alphabetical)
        assert ids(everything(p)) == [
            "bao_cao:CB01:overdue:2",
            "bao_cao:CB2:overdue:2",
            "ke_hoach:CB10:escalation:29",
            "bao_cao:CB10:overdue:2",
            "digest:2026-W49",
        ]
    assert plan(now, statuses, digest_weekday=0) == plan(now, statuses, digest_weekday=0)


def test_alert_code():
    code = alert_code("bao_cao:CB01:overdue:1")
    assert re.fullmatch(r"KNS-[0-9A-F]{8}", code)
    assert code == alert_code("bao_cao:CB01:overdue:1")
    many = {alert_code(f"bao_cao:CB{i:03d}:overdue:{n}") for i in range(300) for n in range(5)}
    assert len(many) == 1500


def test_status_of_a_branch_missing_from_the_roster_plans_no_branch_notice():
    now = local("2026-11-23T09:00")
    assert branch_ids(plan(now, [report_status("CB99", now)])) == []
