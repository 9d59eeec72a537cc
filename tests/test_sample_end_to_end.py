"""The sample ward end to end: the workbook's figures against values computed here, from the
generator's own model of the ward (never from the pipeline's output)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from sync.backend import embedded_backend, load_inputs
from sync.config import concrete_milestones, load_config
from sync.cycle import run_cycle
from sync.state import StateStore
from sync.text import normalize_title
from tests.conftest import copy_sample_ward
from tests.letters_util import items_of, outbox_items, outbox_messages
from tests.sample_facts import (
    FIRST_CYCLE_MESSAGES,
    TEAMS_WITHOUT_LOGS,
    first_cycle_alert_ids,
    reviews,
)
from tools.sample_ward import generate

NOW = datetime.fromisoformat("2026-11-23T08:00:00+07:00")
TODAY = NOW.date()
TABS = [
    "Báo cáo tổng hợp",
    "Tổng hợp chi bộ",
    "Đảng viên",
    "Chỉ tiêu 2026",
    "Bình dân học vụ số",  # seed 003 (sync/tables_learning.py), after the targets
    "Người học Bình dân học vụ số",
    "Quá hạn",
    "Lỗi dữ liệu",
    "Nhật ký gửi thư",
    "Tổ công nghệ số cộng đồng",  # Form E (sync/tables_support.py), after the seven
]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("ward")
    copy_sample_ward(base)
    cfg = load_config(base / "config" / "example.yaml")
    inputs = load_inputs(cfg)
    with StateStore(cfg.state.path) as store:
        report = run_cycle(inputs, store, embedded_backend(cfg), NOW)
    wb = load_workbook(cfg.destination.path)
    return cfg, report, wb, generate().truth


def _rows(ws) -> list[dict[str, object]]:
    """Data rows keyed by header (row 1 is the update stamp, row 2 the header)."""
    values = list(ws.iter_rows(values_only=True))
    header = values[1]
    return [dict(zip(header, r, strict=False)) for r in values[2:]]


def test_six_tabs_with_stamp_and_header(run):
    _, _, wb, _ = run
    assert wb.sheetnames == TABS
    for ws in wb.worksheets:
        assert "23/11/2026" in str(ws["A1"].value)
        assert ws.freeze_panes == "A3"
        assert ws["A2"].font.bold


def test_members_scores_bands_pending_and_gaps(run):
    _, _, wb, truth = run
    rows = {r["Mã đảng viên"]: r for r in _rows(wb["Đảng viên"])}
    assert set(rows) == set(truth.members)
    for code, m in truth.members.items():
        row = rows[code]
        assert row["Điểm cấp ủy"] == pytest.approx(m.committee_total), code
        assert row["Điểm tự chấm"] == pytest.approx(m.self_total), code
        # a committee sheet with a wrong cell classifies nobody until a valid one arrives
        expected_band = "Cần kiểm tra lại" if m.committee_review else m.band
        assert (row["Xếp loại"] or None) == expected_band, code
        assert (row["Chờ cấp ủy chấm"] == "Có") == m.pending, code
        assert (row["Chênh lệch cần rà soát"] == "Có") == m.gap_flag, code
        expected = (
            "Chưa nộp"
            if not m.registered
            else ("Đầy đủ" if m.registration_complete else "Chưa đầy đủ")
        )
        assert row["Bản đăng ký"] == expected, code
    bands = [m.band for m in truth.members.values() if m.band]
    assert len(set(bands)) == 4  # the sample spreads over every band


REVIEWS = reviews()


def _done_on(b, kind: str, starts: date | None = None) -> date | None:
    if kind == "progress_reviewed":  # the first review on or after the window's start
        d = min((r for r in REVIEWS.get(b.code, []) if starts is None or r >= starts), default=None)
        return d if d is not None and d <= TODAY else None
    d = {
        "plan_issued": b.plan_date,
        "session_held": b.session_date,
        "task_registered": b.task_registered_on,
        "report_sent": b.report_sent_on,
        "members_registered": b.all_registered_on,
        "members_scored": b.all_scored_on,
    }[kind]
    return d if d is not None and d <= TODAY else None


def _expected_overall(cfg, b) -> str:
    states = []
    for m in concrete_milestones(cfg):
        if m.scope != "branch":
            continue  # the ward's own milestone is not a branch's
        done = _done_on(b, m.done_when, m.starts)
        states.append("done" if done else ("overdue" if m.due < TODAY else "open"))
    if all(s == "done" for s in states):
        return "Hoàn thành"
    if "overdue" in states:
        return "Quá hạn"
    return "Chưa báo cáo" if not b.reported else "Đang thực hiện"


def test_branch_summary_status_participation_and_report(run):
    cfg, _, wb, truth = run
    rows = {r["Mã chi bộ"]: r for r in _rows(wb["Tổng hợp chi bộ"])}
    assert list(rows) == sorted(truth.branches)
    for code, b in truth.branches.items():
        row = rows[code]
        assert row["Tình trạng"] == _expected_overall(cfg, b), code
        if b.participants is not None:
            eligible = (
                b.total_members - b.exempt_members
                if b.total_members is not None and b.exempt_members is not None
                else b.roster_members - b.roster_exempt
            )
            assert row["Tỷ lệ tham gia"] == pytest.approx(b.participants / eligible), code
        assert (row["Đã gửi báo cáo"] == "Có") == b.report_sent, code
        assert row['Số "rõ" đã điền'] == f"{b.six_clear_filled}/6", code


def test_kpis_against_independent_counts(run):
    _, _, wb, truth = run
    rows = {r["Mục tiêu số"]: r for r in _rows(wb["Chỉ tiêu 2026"]) if r["Mục tiêu số"]}
    n = len(truth.branches)
    # T1: the branches whose reported session date has passed
    held = sum(1 for b in truth.branches.values() if b.session_date and b.session_date <= TODAY)
    kpi = rows["1"]
    assert (kpi["Số đạt"], kpi["Tổng số"]) == (held, n)
    assert kpi["Kết quả"] == pytest.approx(held / n)
    assert kpi["Đánh giá"] == ("Đạt" if held == n else "Chưa đạt")

    # T6: a complete Biểu mẫu 01, member by member (no registration is a fact, not a gap)
    eligible = [m for m in truth.members.values() if not m.exempt]
    complete = sum(1 for m in eligible if m.registration_complete)
    kpi = rows["6"]
    assert (kpi["Số đạt"], kpi["Tổng số"]) == (complete, len(eligible))
    assert kpi["Mục tiêu"] == pytest.approx(1.0)
    assert kpi["Đánh giá"] == ("Đạt" if complete == len(eligible) else "Chưa đạt")

    # T7: a task with all 6 rõ, reported done
    done = sum(
        1
        for b in truth.branches.values()
        if b.task_registered and b.task_progress == "Đã hoàn thành"
    )
    assert (rows["7"]["Số đạt"], rows["7"]["Tổng số"]) == (done, n)

    # T2: criteria 4 and 5 at full marks, counted in branches with committee scores; the
    # members not (validly) scored leave the target unmeasured
    numerator = unknown = 0
    for code in truth.branches:
        mine = [m for m in eligible if m.branch_code == code]
        if not any(
            m.committee_total is not None for m in truth.members.values() if m.branch_code == code
        ):
            unknown += len(mine)
            continue
        for m in mine:
            if m.committee_total is None:
                unknown += 1
            elif m.committee_criteria[4] == 10 and m.committee_criteria[5] == 15:
                numerator += 1
    kpi = rows["2"]
    assert (kpi["Số đạt"], kpi["Tổng số"]) == (numerator, len(eligible))
    assert unknown > 0  # the sample is mid-way: not every member scored
    assert kpi["Đánh giá"] == (
        f"Chưa đủ số liệu: {unknown}/{len(eligible)} đảng viên chưa có điểm cấp ủy chấm hợp lệ"
    )


def test_every_deliberate_problem_is_in_the_problem_tab(run):
    _, _, wb, truth = run
    rows = _rows(wb["Lỗi dữ liệu"])
    seen = {(r["Dòng / phản hồi"], normalize_title(str(r["Trường"]))) for r in rows}
    for bad in truth.invalid_rows:
        assert (bad.row, normalize_title(bad.field)) in seen, bad
    # the unmapped column is reported once, not per row
    assert sum(1 for r in rows if r["Trường"] == "Ghi chú") == 1
    # the branch without a secretary e-mail cannot be reminded: said, not skipped
    assert any(r["Trường"] == "Email bí thư" and r["Mã chi bộ"] == "CB21" for r in rows)


def test_formula_like_answers_are_text_not_formulas(run):
    cfg, _, _, _ = run
    wb = load_workbook(cfg.destination.path)  # not data_only: a formula would show as "=..."
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    formulas = [c for c in cells if c.data_type == "f"]
    assert formulas == []
    assert any(isinstance(c.value, str) and c.value.startswith("=IMPORTXML") for c in cells), (
        "CB07's formula-like task text reaches the summary as text"
    )


def _notice(policy, milestone_id: str, who: str, due: date, *, escalate: bool) -> str | None:
    days = (TODAY - due).days
    if days >= 1:
        n = 1 + (days - 1) // policy.overdue_every_days
        nominal = 1 + (n - 1) * policy.overdue_every_days
        if n > policy.overdue_max:
            # the first cycle sent nothing before: an item past the cadence gets its last
            # notice once, as urgent as its age
            n, nominal = policy.overdue_max, days
        kind = "escalation" if escalate and nominal >= policy.escalate_after_days else "overdue"
        return f"{milestone_id}:{who}:{kind}:{n}"
    reached = [o for o in policy.reminder_days_before if (due - TODAY).days <= o]
    return f"{milestone_id}:{who}:reminder:{min(reached)}d" if reached else None


def _expected_alert_ids(cfg, truth) -> set[str]:
    """The alert plan, recomputed from the policy's words and the generator's dates."""
    policy = cfg.alerts
    ids = set()
    milestones = concrete_milestones(cfg)
    for code, b in truth.branches.items():
        if code == "CB21":  # no secretary e-mail: unaddressable
            continue
        for m in milestones:
            if m.scope != "branch" or _done_on(b, m.done_when, m.starts):
                continue
            alert_id = _notice(policy, m.id, code, m.due, escalate=True)
            if alert_id:
                ids.add(alert_id)
    for m in milestones:  # the ward's own: to the staff, never escalated
        if m.scope == "ward" and not (m.done_on and m.done_on <= TODAY):
            alert_id = _notice(policy, m.id, "ward", m.due, escalate=False)
            if alert_id:
                ids.add(alert_id)
    for team in TEAMS_WITHOUT_LOGS:  # no support logged: to_cong_nghe_so still open
        for m in milestones:
            if m.scope == "team":
                ids.add(_notice(policy, m.id, f"team:{team}", m.due, escalate=False))
    ids.add("digest:2026-W48")  # Monday, and there are late branches
    return ids | _expected_learning_ids(cfg, truth)


def _expected_learning_ids(cfg, truth) -> set[str]:
    """The "Bình dân học vụ số" follow-ups, from learning.follow_up's words: the latest of
    this month's letter (from its day on) and the letters N days before a target's due
    (from that day to the due date); a letter per branch with a learner who has not passed,
    CB21 (no secretary e-mail) unaddressable, and the ward staff's summary."""
    policy = cfg.learning.follow_up
    reached: list[tuple[date, str]] = []
    if policy.monthly_day is not None and TODAY.day >= policy.monthly_day:
        reached.append((TODAY.replace(day=policy.monthly_day), f"{TODAY:%Y-%m}"))
    for due in {t.due for t in cfg.learning.targets}:
        for n in policy.days_before_due:
            if (due - TODAY).days <= n and due >= TODAY:
                reached.append((due - timedelta(days=n), f"{due.isoformat()}:{n}d"))
    if not reached:
        return set()
    occurrence = max(reached)[1]
    behind = {s.branch_code for s in truth.staff if s.passed is not True}
    ids = {f"hoc_tap:{code}:{occurrence}" for code in behind if code != "CB21"}
    return ids | {f"hoc_tap:ward:{occurrence}"}


def test_the_policy_gives_the_hand_counted_first_cycle(run):
    cfg, _, _, truth = run
    expected = _expected_alert_ids(cfg, truth)
    assert expected == first_cycle_alert_ids()  # tests/sample_facts.py: why each is due


def test_alerts_sent_are_exactly_the_due_ones(run):
    cfg, report, wb, truth = run
    expected = _expected_alert_ids(cfg, truth)
    assert set(report.sent) == expected
    carried = outbox_items(cfg.mail.outbox_dir)
    assert sorted(carried) == sorted(expected)  # each alert in exactly one message
    assert len(outbox_messages(cfg.mail.outbox_dir)) == FIRST_CYCLE_MESSAGES
    log = {r["Mã thông báo"]: r for r in _rows(wb["Nhật ký gửi thư"])}
    assert set(log) == expected
    assert {r["Trạng thái"] for r in log.values()} == {"Đã gửi"}


def _body(msg) -> str:
    return msg.get_payload(0).get_payload(decode=True).decode("utf-8")


def test_secretary_mail_speaks_only_of_their_branch(run):
    cfg, report, _, truth = run
    names = {code: b.name for code, b in truth.branches.items()}
    for msg in outbox_messages(cfg.mail.outbox_dir):
        key = msg["X-KNS-Alert-Id"]
        if key.startswith("digest:") or key.startswith("hoc_tap:ward:"):
            continue
        body = _body(msg)
        if key.startswith("thu:"):  # a branch's letter: thu:{branch}:{digest}
            own = key.split(":")[1]
            assert names[own] in body
            others = [n for c, n in names.items() if c != own and n in body and n not in names[own]]
            assert others == [], (key, others)
            assert all(i.split(":")[-3] == own or i.split(":")[1] == own for i in items_of(msg))
            continue
        # {milestone}:{who}:{kind}:{n}; a quarter's milestone id has a colon of its own
        own = key.split(":")[-3]
        if own == "ward" or key.split(":")[-4] == "team":
            # the ward's own milestone (to the ward staff) or a team's (to its leader): no
            # branch at all
            assert not [n for n in names.values() if n in body], key
            if own == "ward":
                assert msg["To"] == ", ".join(cfg.mail.ward_staff)
            continue
        raise AssertionError(f"a branch's notice outside its letter: {key}")


_SECTION = re.compile(r"^(ĐẢNG VIÊN CHƯA NỘP BẢN ĐĂNG KÝ|ĐẢNG VIÊN CHƯA ĐƯỢC CẤP ỦY CHẤM ĐIỂM)")
_LISTED = re.compile(r"^\d+\. (.+?)(?:: (https://\S+))?$")


def _listed(body: str) -> dict[str, list[tuple[str, str]]]:
    """The letter's two lists of members: section heading -> (name, link) in order."""
    out: dict[str, list[tuple[str, str]]] = {}
    section = None
    for line in body.splitlines():
        head = _SECTION.match(line)
        if head:
            section = head.group(1)
            out[section] = []
            continue
        if section is None:
            continue
        item = _LISTED.match(line)
        if item:
            out[section].append((item.group(1), item.group(2) or ""))
        elif line and not line.startswith("Mỗi đường liên kết"):
            section = None
    return out


def test_letter_names_who_has_not_registered_or_been_scored_with_their_own_links(run):
    """Each letter lists its own branch's members without a Biểu mẫu 01 and without a
    committee score (the generator's truth), each with a link prefilled with their name."""
    cfg, _, _, truth = run
    letters = [
        m for m in outbox_messages(cfg.mail.outbox_dir) if m["X-KNS-Alert-Id"].startswith("thu:")
    ]
    assert len(letters) == 24
    for msg in letters:
        own = msg["X-KNS-Alert-Id"].split(":")[1]
        mine = [m for m in truth.members.values() if m.branch_code == own and not m.exempt]
        listed = _listed(_body(msg))
        unregistered = sorted(m.name for m in mine if not m.registered)
        unscored = sorted(
            m.name for m in mine if m.committee_total is None and not m.committee_review
        )
        got_unregistered = listed.get("ĐẢNG VIÊN CHƯA NỘP BẢN ĐĂNG KÝ", [])
        got_unscored = listed.get("ĐẢNG VIÊN CHƯA ĐƯỢC CẤP ỦY CHẤM ĐIỂM", [])
        assert sorted(n for n, _ in got_unregistered) == unregistered, own
        assert sorted(n for n, _ in got_unscored) == unscored, own
        for name, link in got_unregistered + got_unscored:
            assert link.startswith("https://docs.google.com/forms/"), (own, name)
            assert quote(name) in link, (own, name)  # the member's own link


def test_cb13_gets_one_letter_with_the_plan_overdue_since_may(run):
    """CB13 never reported (tools/sample_ward/vocab.py: "never_reported"): its plan, due 11/05, was
    196 days over on the first cycle, past the cadence's 4th notice. It gets one notice of
    it (an escalation, its supervisor in Cc), in its one letter with everything else."""
    cfg, report, _, truth = run
    letters = [m for m in outbox_messages(cfg.mail.outbox_dir) if ":CB13:" in m["X-KNS-Alert-Id"]]
    assert len(letters) == 1
    (letter,) = letters
    assert "ke_hoach:CB13:escalation:4" in items_of(letter)
    assert letter["Cc"]  # the supervising committee member
    body = _body(letter)
    assert "Ban hành kế hoạch, quán triệt đến đảng viên" in body
    assert "đã quá hạn 196 ngày" in body
