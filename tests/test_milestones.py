"""Milestone kinds: the plan's windows (inclusive ends), quarterly reviews expanded into
occurrences, the ward's own milestone (notices to the ward staff only), and their config
errors. Expected dates and ids are written here from the plan's words, never computed by
the code under test."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from scoring.branches import branch_statuses, ward_milestone_statuses
from sync.alerts import plan_alerts
from sync.backend import embedded_backend, load_inputs
from sync.check import check
from sync.config import (
    ConcreteMilestone,
    Milestone,
    WardConfig,
    concrete_milestones,
    expand_milestones,
    load_config,
)
from sync.cycle import run_cycle
from sync.errors import ConfigError
from sync.labels import milestone_text
from sync.mail import render_alert
from sync.model import (
    AlertKind,
    Branch,
    BranchReport,
    BranchStatus,
    MilestoneState,
    Roster,
)
from sync.state import StateStore
from tests.conftest import ROOT, TZ, copy_sample_ward
from tests.sample_facts import learning_laggards, sample_truth
from tools.sample_ward import DEFAULT_SEED, build_ward

WARD = "Đảng bộ Cơ quan UBND phường Thử nghiệm"
STAFF = "bxdd@phuong.example.vn"
SECRETARY = "an.cb01@phuong.example.vn"
EVERY_DAY = {"weekdays": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"}
ROSTER = Roster(
    branches=(
        Branch(
            code="CB01",
            name="Chi bộ Văn phòng Đảng ủy",
            secretary_name="Nguyễn Văn An",
            secretary_email=SECRETARY,
            supervisor_name="Lê Thị Hoa",
            supervisor_email="hoa@phuong.example.vn",
        ),
    ),
    members=(),
)
QUARTERLY: dict[str, Any] = {
    "id": "ra_soat_quy",
    "title": "Rà soát tiến độ phần việc đã đăng ký",
    "recurs": "quarterly",
    "from": "2026-05-12",
    "until": "2026-11-08",
    "done_when": "progress_reviewed",
}
WARD_SUMMARY: dict[str, Any] = {
    "id": "tong_ket",
    "title": "Hoàn thành báo cáo tổng kết của Đảng ủy Cơ quan UBND phường",
    "scope": "ward",
    "starts": "2026-11-08",
    "due": "2026-11-18",
}


def make_cfg(
    milestones: list[dict[str, Any]],
    *,
    staff: list[str] | None = None,
    digest_weekday: int | None = None,
) -> WardConfig:
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
                "ward_staff": [STAFF] if staff is None else staff,
                "outbox_dir": "outbox",
            },
            "state": {"path": "state.sqlite"},
            "milestones": milestones,
            "alerts": {"digest_weekday": digest_weekday, "window": EVERY_DAY},
        }
    )


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


_n = 0


def report(d: date, **kw: Any) -> BranchReport:
    """A form A submission of CB01 at 09:00 local time on ``d``."""
    global _n
    _n += 1
    return BranchReport(
        source_id="thong_ke",
        response_id=f"r{_n:04d}",
        row_label=f"Dòng {_n + 1}",
        submitted_at=datetime(d.year, d.month, d.day, 9, 0, tzinfo=TZ),
        branch_code="CB01",
        **kw,
    )


def statuses(
    milestones: list[Milestone] | tuple[ConcreteMilestone, ...],
    reports: list[BranchReport],
    today: date,
) -> BranchStatus:
    (st,) = branch_statuses(
        ROSTER, expand_milestones(milestones), reports, [], [], [], today=today, due_soon_days=7
    )
    return st


def by_id(st: BranchStatus) -> dict[str, Any]:
    return {m.milestone_id: m for m in st.milestones}


def quarterly(**kw: Any) -> Milestone:
    return Milestone.model_validate({**QUARTERLY, **kw})


# ---------------------------------------------------------------------------------------
# The sample's milestones follow the plan's section IV (and V.2)
# ---------------------------------------------------------------------------------------


def test_the_sample_milestones_are_the_plans_dates():
    cfg = load_config(ROOT / "config" / "example.yaml")
    got = {m.id: m for m in concrete_milestones(cfg)}
    # (due, window start, scope), each from the plan's words:
    expected = {
        "ke_hoach": (date(2026, 5, 11), None, "branch"),  # "Trước ngày 12/5/2026"
        "sinh_hoat": (date(2026, 11, 8), date(2026, 5, 12), "branch"),  # "Từ 12/5 - 08/11"
        "nhiem_vu": (date(2026, 11, 8), date(2026, 5, 12), "branch"),  # same window
        "bao_cao": (date(2026, 11, 7), None, "branch"),  # V.2: "trước ngày 08/11/2026"
        "dang_ky": (date(2026, 11, 8), date(2026, 5, 12), "branch"),  # with the session
        "cham_diem": (date(2026, 11, 7), None, "branch"),  # quoted by the branch's report
        "ra_soat_quy:2026-Q2": (date(2026, 6, 30), date(2026, 5, 12), "branch"),
        "ra_soat_quy:2026-Q3": (date(2026, 9, 30), date(2026, 7, 1), "branch"),
        "tong_ket": (date(2026, 11, 18), date(2026, 11, 8), "ward"),  # "Từ 08/11 - 18/11"
        # seed 003, III.4: the teams "(Hoàn thành trước 30/6/2026)"
        "to_cong_nghe_so": (date(2026, 6, 29), None, "team"),
    }
    assert list(got) == list(expected)  # config order; quarter IV ends after 08/11: none
    assert {k: (m.due, m.starts, m.scope) for k, m in got.items()} == expected
    assert "Đảng ủy Cơ quan UBND phường" in got["bao_cao"].title
    assert got["tong_ket"].done_on is None  # the sample's staff have not recorded it


# ---------------------------------------------------------------------------------------
# "Từ ngày 12/5 - 08/11/2026": the window's last day is on time
# ---------------------------------------------------------------------------------------

SESSION = Milestone(
    id="sinh_hoat",
    title="Tổ chức sinh hoạt chuyên đề",
    starts=date(2026, 5, 12),
    due=date(2026, 11, 8),
    done_when="session_held",
)


def test_a_session_on_the_windows_last_day_is_on_time():
    st = by_id(
        statuses(
            [SESSION],
            [report(date(2026, 11, 8), session_date=date(2026, 11, 8))],
            date(2026, 11, 23),
        )
    )
    ms = st["sinh_hoat"]
    assert (ms.state, ms.days_overdue) == (MilestoneState.DONE_ON_TIME, 0)
    assert milestone_text(ms) == "Đúng hạn 08/11"


def test_a_session_the_day_after_the_window_is_one_day_late():
    st = by_id(
        statuses(
            [SESSION],
            [report(date(2026, 11, 9), session_date=date(2026, 11, 9))],
            date(2026, 11, 23),
        )
    )
    ms = st["sinh_hoat"]
    assert (ms.state, ms.days_overdue) == (MilestoneState.DONE_LATE, 1)
    assert milestone_text(ms) == "Trễ 1 ngày"


def test_without_a_session_the_last_day_is_still_open_and_the_next_is_overdue():
    assert by_id(statuses([SESSION], [], date(2026, 11, 8)))["sinh_hoat"].state is (
        MilestoneState.DUE_SOON
    )
    ms = by_id(statuses([SESSION], [], date(2026, 11, 9)))["sinh_hoat"]
    assert (ms.state, ms.days_overdue) == (MilestoneState.OVERDUE, 1)


# ---------------------------------------------------------------------------------------
# Quarterly reviews: occurrences
# ---------------------------------------------------------------------------------------


def _shape(ms: tuple[ConcreteMilestone, ...]) -> list[tuple[str, date, date | None]]:
    return [(m.id, m.due, m.starts) for m in ms]


def test_a_quarterly_milestone_expands_to_the_quarters_ending_in_its_span():
    got = expand_milestones([quarterly()])
    assert _shape(got) == [
        ("ra_soat_quy:2026-Q2", date(2026, 6, 30), date(2026, 5, 12)),  # clipped at 'from'
        ("ra_soat_quy:2026-Q3", date(2026, 9, 30), date(2026, 7, 1)),
    ]  # Q4 ends 31/12, after 'until' 08/11: not generated
    assert [m.title for m in got] == [
        "Rà soát tiến độ phần việc đã đăng ký — quý II/2026",
        "Rà soát tiến độ phần việc đã đăng ký — quý III/2026",
    ]
    assert {m.base_id for m in got} == {"ra_soat_quy"}
    assert [m.occurrence for m in got] == ["2026-Q2", "2026-Q3"]
    assert {m.done_when for m in got} == {"progress_reviewed"}


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        # 'until' on a quarter's last day keeps that quarter; the day before drops it
        (("2026-05-12", "2026-09-30"), ["2026-Q2", "2026-Q3"]),
        (("2026-05-12", "2026-09-29"), ["2026-Q2"]),
        # 'from' on a quarter's last day still gives that quarter (one day long)
        (("2026-06-30", "2026-09-30"), ["2026-Q2", "2026-Q3"]),
        (("2026-07-01", "2026-09-30"), ["2026-Q3"]),
        # across the new year
        (("2026-11-01", "2027-06-30"), ["2026-Q4", "2027-Q1", "2027-Q2"]),
    ],
)
def test_quarter_boundaries_and_clipping(span: tuple[str, str], expected: list[str]):
    got = expand_milestones([quarterly(**{"from": span[0], "until": span[1]})])
    assert [m.occurrence for m in got] == expected
    assert got[0].starts == date.fromisoformat(span[0])


def test_quarter_titles_across_the_year_and_their_due_dates():
    got = expand_milestones([quarterly(**{"from": "2026-11-01", "until": "2027-06-30"})])
    assert [(m.title.rpartition(" — ")[2], m.due) for m in got] == [
        ("quý IV/2026", date(2026, 12, 31)),
        ("quý I/2027", date(2027, 3, 31)),
        ("quý II/2027", date(2027, 6, 30)),
    ]


def test_grace_days_move_each_due_date_and_the_next_window_starts_after_it():
    got = expand_milestones([quarterly(grace_days=10)])
    assert _shape(got) == [
        ("ra_soat_quy:2026-Q2", date(2026, 7, 10), date(2026, 5, 12)),
        # a review sent in Q2's grace days (1-10/7) counts for Q2 only
        ("ra_soat_quy:2026-Q3", date(2026, 10, 10), date(2026, 7, 11)),
    ]


def test_occurrences_keep_their_place_in_the_config_order_and_expansion_is_idempotent():
    one = Milestone(id="a", title="A", due=date(2026, 12, 1), done_when="plan_issued")
    two = Milestone(id="b", title="B", due=date(2026, 1, 2), done_when="report_sent")
    got = expand_milestones([one, quarterly(), two])
    assert [m.id for m in got] == ["a", "ra_soat_quy:2026-Q2", "ra_soat_quy:2026-Q3", "b"]
    assert expand_milestones(got) == got  # already concrete: unchanged


# ---------------------------------------------------------------------------------------
# Quarterly reviews: done by a progress answer inside the quarter's window
# ---------------------------------------------------------------------------------------

PROGRESS = "Đang thực hiện"


def test_a_progress_answer_inside_the_quarter_does_that_quarter_only():
    st = by_id(
        statuses(
            [quarterly()], [report(date(2026, 6, 15), task_progress=PROGRESS)], date(2026, 10, 5)
        )
    )
    q2, q3 = st["ra_soat_quy:2026-Q2"], st["ra_soat_quy:2026-Q3"]
    assert (q2.state, q2.done_on) == (MilestoneState.DONE_ON_TIME, date(2026, 6, 15))
    # the Q2 answer is not Q3's review: Q3 (due 30/09) is 5 days overdue on 05/10
    assert (q3.state, q3.days_overdue) == (MilestoneState.OVERDUE, 5)


def test_the_done_date_is_the_first_answer_in_the_window_and_a_blank_answer_does_not_count():
    reports = [
        report(date(2026, 5, 10), task_progress=PROGRESS),  # before 'from' (12/05): no
        report(date(2026, 7, 3), task_progress=None),  # progress left blank: no
        report(date(2026, 7, 20), task_progress="  "),  # only spaces: no
        report(date(2026, 8, 4), task_progress="Đã hoàn thành"),
        report(date(2026, 9, 1), task_progress=PROGRESS),
    ]
    st = by_id(statuses([quarterly()], reports, date(2026, 10, 5)))
    q3 = st["ra_soat_quy:2026-Q3"]
    assert (q3.state, q3.done_on) == (MilestoneState.DONE_ON_TIME, date(2026, 8, 4))


def test_an_answer_after_the_quarter_closes_it_late():
    # no review in Q2; the branch answers the overdue notice on 05/07: Q2 is done 5 days
    # late (the notices stop), and the answer is Q3's review too
    st = by_id(
        statuses(
            [quarterly()], [report(date(2026, 7, 5), task_progress=PROGRESS)], date(2026, 7, 20)
        )
    )
    q2, q3 = st["ra_soat_quy:2026-Q2"], st["ra_soat_quy:2026-Q3"]
    assert (q2.state, q2.days_overdue) == (MilestoneState.DONE_LATE, 5)
    assert (q3.state, q3.done_on) == (MilestoneState.DONE_ON_TIME, date(2026, 7, 5))


def test_an_answer_in_the_grace_days_is_the_previous_quarters():
    reviewed = [report(date(2026, 7, 8), task_progress=PROGRESS)]
    st = by_id(statuses([quarterly(grace_days=10)], reviewed, date(2026, 10, 11)))
    q2, q3 = st["ra_soat_quy:2026-Q2"], st["ra_soat_quy:2026-Q3"]
    assert (q2.state, q2.done_on) == (MilestoneState.DONE_ON_TIME, date(2026, 7, 8))
    # Q3's window starts 11/07, due 10/10: 08/07 is not in it, and 11/10 is 1 day over
    assert (q3.state, q3.days_overdue) == (MilestoneState.OVERDUE, 1)


def test_an_answer_dated_ahead_of_today_is_not_done_yet():
    st = by_id(
        statuses(
            [quarterly()], [report(date(2026, 6, 20), task_progress=PROGRESS)], date(2026, 6, 10)
        )
    )
    assert st["ra_soat_quy:2026-Q2"].state is MilestoneState.NOT_DUE  # 20 days left > 7


# ---------------------------------------------------------------------------------------
# Quarterly reviews: notices with their own stable ids, exactly once (the sample ward)
# ---------------------------------------------------------------------------------------


def _q2_reviewed_branches() -> set[str]:
    """Branches whose form A has a "Tiến độ nhiệm vụ" answer dated 12/05-30/06/2026, read
    from the generator's own model of the sample (not from the pipeline)."""
    builder = build_ward(DEFAULT_SEED)
    return {
        s.branch
        for s in builder.form_a
        if s.branch
        and s.values.get("task_progress")
        and date(2026, 5, 12) <= s.at.date() <= date(2026, 6, 30)
    }


def _sample_cycle(config: Path, now: datetime) -> list[str]:
    cfg = load_config(config)
    with StateStore(cfg.state.path) as store:
        return run_cycle(load_inputs(cfg), store, embedded_backend(cfg), now).sent


def test_an_overdue_quarter_is_notified_once_per_notice_with_its_own_id(tmp_path: Path):
    copy_sample_ward(tmp_path)
    config = tmp_path / "config" / "example.yaml"
    branches = [f"CB{i:02d}" for i in range(1, 26)]
    reviewed = _q2_reviewed_branches()
    assert reviewed == {"CB17"}  # its plan-only report of 12/05 answers "Chưa triển khai"
    # Wednesday 01/07/2026 08:00: Q2 (due 30/06) is 1 day overdue for every branch without a
    # review; CB21 has no secretary e-mail. Nothing else is due that day (the plan's
    # notices ended in June, the autumn deadlines are months away), and the digest of week
    # 27 goes out since Monday's weekday has passed.
    late = [c for c in branches if c not in reviewed and c != "CB21"]
    # The plan (ke_hoach, due 11/05) is 51 days over: past its 4th notice, but this first
    # cycle never sent one, so each branch whose plan is not issued by 01/07 (the truth's
    # plan_date) gets that 4th notice once, an escalation (issue 9), in its letter, first
    # (the milestones' order).
    truth = sample_truth().branches
    unplanned = {
        c
        for c in branches
        if c != "CB21" and (truth[c].plan_date is None or truth[c].plan_date > date(2026, 7, 1))
    }
    assert unplanned  # the sample has branches that never issued a plan (CB13, ...)
    first = _sample_cycle(config, local("2026-07-01T08:00"))
    # the teams' milestone (due 29/06) is 2 days overdue for T04, the one team without a
    # support log in the sample: its leader gets the first notice, after the branches'
    team = "to_cong_nghe_so:team:T04"
    expected: list[str] = []
    for c in branches:  # one letter per branch, in branch order
        expected += [f"ke_hoach:{c}:escalation:4"] if c in unplanned else []
        expected += [f"ra_soat_quy:2026-Q2:{c}:overdue:1"] if c in late else []
    assert first == [*expected, f"{team}:overdue:1", "digest:2026-W27"]
    # the next day: still the first notice's period, already sent: nothing again
    assert _sample_cycle(config, local("2026-07-02T08:00")) == []
    # a week after the first notice (Wednesday of week 28): the second one, under its own
    # id, for the same branches (the next review in their form A is dated 15/07 or later).
    # July's "Bình dân học vụ số" letters follow (learning.follow_up.monthly_day 5: reached
    # 05/07, a Sunday, so this is the first cycle in the window since): the sample's files
    # are the same, so the same learners have not passed (tests/sample_facts.py: every
    # branch has some), one letter per branch but CB21 (no e-mail), then the ward's summary
    # (each branch's letter carries its follow-up after its notices; the plan's catch-up
    # notice went on 01/07: nothing more of it)
    third = _sample_cycle(config, local("2026-07-08T08:00"))
    laggards = learning_laggards()
    expected = []
    for c in branches:
        expected += [f"ra_soat_quy:2026-Q2:{c}:overdue:2"] if c in late else []
        expected += [f"hoc_tap:{c}:2026-07"] if laggards.get(c) and c != "CB21" else []
    assert third == [*expected, f"{team}:overdue:2", "digest:2026-W28", "hoc_tap:ward:2026-07"]
    with StateStore(load_config(config).state.path) as st:
        ledger = st.ledger()
    q2 = [e for e in ledger.values() if e.milestone_id == "ra_soat_quy:2026-Q2"]
    assert len(q2) == 2 * len(late) and {e.status for e in q2} == {"sent"}
    assert {e.branch_code for e in q2} == set(late)


# ---------------------------------------------------------------------------------------
# The ward's own milestone: to the ward staff only; 'done_on' stops it
# ---------------------------------------------------------------------------------------

REPORT_MS: dict[str, Any] = {
    "id": "bao_cao",
    "title": "Gửi báo cáo kết quả về Đảng ủy Cơ quan UBND phường",
    "due": "2026-11-07",
    "done_when": "report_sent",
}


def _ward_plan(now: datetime, *, staff: list[str] | None = None, **ward: Any):
    cfg = make_cfg([REPORT_MS, {**WARD_SUMMARY, **ward}], staff=staff)
    st = statuses(concrete_milestones(cfg), [], now.date())
    return cfg, st, plan_alerts(cfg, ROSTER, [st], {}, now)


def test_the_ward_milestone_is_not_a_branch_milestone():
    _, st, _ = _ward_plan(local("2026-11-11T08:00"))
    assert [m.milestone_id for m in st.milestones] == ["bao_cao"]


def test_the_ward_reminder_goes_to_the_ward_staff_never_to_a_secretary():
    # due 18/11: the 7-day reminder falls on 11/11
    _, _, p = _ward_plan(local("2026-11-11T08:00"))
    ward = [a for a in p.due if a.milestone_id == "tong_ket"]
    assert [a.alert_id for a in ward] == ["tong_ket:ward:reminder:7d"]
    (a,) = ward
    assert a.to == (STAFF,) and a.cc == () and a.branch_code == ""
    assert a.kind is AlertKind.REMINDER
    for other in p.due:
        if SECRETARY in other.to:
            assert other.milestone_id != "tong_ket"
            assert "báo cáo tổng kết" not in str(other.context.get("milestone_title"))


def test_the_ward_overdue_notices_are_never_escalated():
    # 03/12: the ward's summary (due 18/11) is 15 days over, its 3rd weekly notice (nominal
    # day 15 >= escalate_after_days 14: a branch's would be an escalation)
    _, _, p = _ward_plan(local("2026-12-03T08:00"))
    assert [a.alert_id for a in p.due if a.milestone_id == "tong_ket"] == [
        "tong_ket:ward:overdue:3"
    ]
    # while the branch's report (due 07/11, 26 days over: 4th notice) copies its supervisor
    assert "bao_cao:CB01:escalation:4" in [a.alert_id for a in p.due]


@pytest.mark.parametrize(
    ("done_on", "expected"),
    [
        (None, ["tong_ket:ward:overdue:1"]),
        ("2026-11-19", []),  # done (a day late): no notice
        ("2026-11-18", []),  # done on time
        ("2026-11-25", ["tong_ket:ward:overdue:1"]),  # a date still ahead is not done yet
    ],
)
def test_done_on_stops_the_ward_notices(done_on: str | None, expected: list[str]):
    now = local("2026-11-19T08:00")
    _, _, p = _ward_plan(now, done_on=done_on)
    assert [a.alert_id for a in p.due if a.milestone_id == "tong_ket"] == expected


def test_ward_milestone_states():
    cfg = make_cfg([WARD_SUMMARY, {**WARD_SUMMARY, "id": "xong", "done_on": "2026-11-20"}])
    got = ward_milestone_statuses(
        concrete_milestones(cfg), today=date(2026, 11, 23), due_soon_days=7
    )
    assert [(s.milestone_id, s.branch_code, s.state, s.days_overdue) for s in got] == [
        ("tong_ket", "", MilestoneState.OVERDUE, 5),
        ("xong", "", MilestoneState.DONE_LATE, 2),
    ]


def test_without_ward_staff_the_ward_notice_is_unaddressable():
    _, _, p = _ward_plan(local("2026-11-19T08:00"), staff=[])
    assert [a.alert_id for a in p.unaddressable] == ["tong_ket:ward:overdue:1"]


def test_the_ward_notice_is_written_to_the_staff():
    now = local("2026-11-19T08:00")
    cfg, _, p = _ward_plan(now)
    (alert,) = [a for a in p.due if a.milestone_id == "tong_ket"]
    msg = render_alert(
        alert,
        templates_dir=ROOT / "config" / "templates",
        sender=cfg.mail.sender,
        reply_to=None,
        ward_name=WARD,
        now=now,
    )
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert msg.subject_text == (
        "[Quá hạn] Hoàn thành báo cáo tổng kết của Đảng ủy Cơ quan UBND phường - quá hạn 1 "
        f"ngày - {WARD}"
    )
    assert "Kính gửi các đồng chí cán bộ Đảng ủy" in text
    assert "Bí thư" not in text and "done_on" in text


def test_the_digest_lists_the_wards_own_overdue_milestone():
    cfg = make_cfg([REPORT_MS, WARD_SUMMARY], digest_weekday=0)
    now = local("2026-11-23T08:00")  # Monday
    st = statuses(concrete_milestones(cfg), [], now.date())
    digest = next(
        a for a in plan_alerts(cfg, ROSTER, [st], {}, now).due if a.kind is AlertKind.DIGEST
    )
    assert digest.context["ward_overdue"] == [
        {
            "milestone_id": "tong_ket",
            "title": WARD_SUMMARY["title"],
            "due_date": "18/11/2026",
            "days_overdue": 5,
        }
    ]
    assert [b["branch_code"] for b in digest.context["late_branches"]] == ["CB01"]


# ---------------------------------------------------------------------------------------
# Config errors name the file and the field, in Vietnamese
# ---------------------------------------------------------------------------------------


def _example() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "config" / "example.yaml").read_text(encoding="utf-8"))


def test_milestone_config_errors_name_the_file_and_the_field(tmp_path: Path):
    data = _example()
    data["milestones"] = [
        {k: v for k, v in QUARTERLY.items() if k != "from"},  # 0: recurs without from
        {**WARD_SUMMARY, "branches": ["CB01"]},  # 1: a ward milestone for branches
        {**REPORT_MS, "done_on": "2026-11-05"},  # 2: done_on on a branch milestone
        {**QUARTERLY, "id": "q_due", "due": "2026-09-30"},  # 3: a due date on a recurring one
        {**QUARTERLY, "id": "q_when", "done_when": "session_held"},  # 4
        {**QUARTERLY, "id": "q_back", "until": "2026-05-01"},  # 5: until before from
        {**QUARTERLY, "id": "q_short", "until": "2026-06-20"},  # 6: no quarter ends inside
        {**REPORT_MS, "id": "grace", "grace_days": 5},  # 7: grace without recurs
        {**WARD_SUMMARY, "id": "w_when", "done_when": "report_sent"},  # 8
        {k: v for k, v in REPORT_MS.items() if k != "due"} | {"id": "no_due"},  # 9
        {**REPORT_MS, "id": "no_when", "done_when": None},  # 10
        {**SESSION.model_dump(mode="json", exclude_none=True), "starts": "2026-12-01"},  # 11
        {**QUARTERLY, "id": "q_scope", "scope": "ward", "done_when": None},  # 12
    ]
    path = tmp_path / "ward.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    text = "\n".join(e.value.problems)
    expected = [
        "'milestones.0.from': mốc lặp lại hằng quý cần 'from'",
        "'milestones.1.branches': mốc của Đảng ủy (scope: ward) không áp dụng cho từng chi bộ",
        "'milestones.2.done_on': 'done_on' chỉ dùng cho mốc của Đảng ủy (scope: ward)",
        "'milestones.3.due': mốc lặp lại hằng quý không ghi 'due'",
        "'milestones.4.done_when': mốc lặp lại hằng quý dùng 'done_when: progress_reviewed'",
        "'milestones.5.until': 'until' (01/05/2026) trước 'from' (12/05/2026)",
        "'milestones.6.until': không có quý nào kết thúc trong khoảng 12/05/2026 - 20/06/2026",
        "'milestones.7.grace_days': 'grace_days' chỉ dùng cho mốc lặp lại",
        "'milestones.8.done_when': mốc của Đảng ủy (scope: ward) không dùng 'done_when'",
        "'milestones.9.due': thiếu hạn chót 'due'",
        "'milestones.10.done_when': mốc của chi bộ cần 'done_when'",
        "'milestones.11.due': hạn 'due' (08/11/2026) trước ngày bắt đầu 'starts'",
        "'milestones.12.recurs': chỉ mốc của chi bộ (scope: branch) mới lặp lại hằng quý",
    ]
    for line in expected:
        assert f"{path}: trường {line}" in text, line


def test_check_spells_out_the_quarters_and_warns_about_a_ward_milestone_without_staff(
    tmp_path: Path,
):
    copy_sample_ward(tmp_path)
    path = tmp_path / "config" / "example.yaml"
    data = _example()
    data["mail"]["ward_staff"] = []
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    findings = check(path, local("2026-11-23T08:00"))
    messages = [(f.level, f.message) for f in findings]
    assert (
        "info",
        "milestones.ra_soat_quy: 2 lần rà soát: quý II/2026 (hạn 30/06/2026), "
        "quý III/2026 (hạn 30/09/2026)",
    ) in messages
    assert any(
        level == "warning" and m.startswith("milestones.tong_ket: mốc của Đảng ủy")
        for level, m in messages
    )


def test_a_future_done_on_is_a_warning_of_check(tmp_path: Path):
    copy_sample_ward(tmp_path)
    path = tmp_path / "config" / "example.yaml"
    data = _example()
    ward = next(m for m in data["milestones"] if m["id"] == "tong_ket")
    ward["done_on"] = "2026-11-30"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    findings = check(path, local("2026-11-23T08:00"))
    assert any(
        f.level == "warning"
        and f.message.startswith("milestones.tong_ket.done_on: ngày 30/11/2026")
        for f in findings
    )


def test_the_ward_milestone_is_open_on_its_last_day_and_overdue_the_next():
    cfg = make_cfg([WARD_SUMMARY])
    day = date(2026, 11, 18)
    (on_due,) = ward_milestone_statuses(concrete_milestones(cfg), today=day, due_soon_days=0)
    (after,) = ward_milestone_statuses(
        concrete_milestones(cfg), today=day + timedelta(days=1), due_soon_days=0
    )
    assert on_due.state is MilestoneState.DUE_SOON and after.state is MilestoneState.OVERDUE
