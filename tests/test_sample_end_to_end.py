"""The sample ward end to end: the workbook's figures against values computed here, from the
generator's own model of the ward (never from the pipeline's output)."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from email import message_from_bytes
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sync.backend import embedded_backend, load_inputs
from sync.config import load_config
from sync.cycle import run_cycle
from sync.sample_ward import generate
from sync.state import StateStore
from sync.text import normalize_title

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime.fromisoformat("2026-11-23T08:00:00+07:00")
TODAY = NOW.date()
TABS = [
    "Tổng hợp chi bộ",
    "Đảng viên",
    "Chỉ tiêu 2026",
    "Quá hạn",
    "Lỗi dữ liệu",
    "Nhật ký gửi thư",
]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("ward")
    shutil.copytree(ROOT / "config", base / "config")
    shutil.copytree(ROOT / "mappings", base / "mappings")
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
        assert (row["Xếp loại"] or None) == m.band, code
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


def _done_on(b, kind: str) -> date | None:
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
    for m in cfg.milestones:
        done = _done_on(b, m.done_when)
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
    rows = {r["Chỉ tiêu"]: r for r in _rows(wb["Chỉ tiêu 2026"])}
    held = sum(1 for b in truth.branches.values() if b.session_date and b.session_date <= TODAY)
    kpi = rows["Chi bộ tổ chức sinh hoạt chuyên đề"]
    assert (kpi["Số đạt"], kpi["Tổng số"]) == (held, len(truth.branches))
    assert kpi["Kết quả"] == pytest.approx(held / len(truth.branches))

    # Biểu mẫu 01: member-level where a branch has registrations, else its reported count
    numerator = denominator = 0
    for code, b in truth.branches.items():
        eligible = [m for m in truth.members.values() if m.branch_code == code and not m.exempt]
        denominator += len(eligible)
        if any(m.registered for m in truth.members.values() if m.branch_code == code):
            numerator += sum(1 for m in eligible if m.registered)
        elif b.counts.get("registered") is not None:
            numerator += min(b.counts["registered"], len(eligible))
    kpi = rows["Đảng viên có bản đăng ký (Biểu mẫu 01)"]
    assert (kpi["Số đạt"], kpi["Tổng số"]) == (numerator, denominator)
    assert kpi["Mục tiêu"] == pytest.approx(1.0)
    assert kpi["Đánh giá"] == ("Đạt" if numerator == denominator else "Chưa đạt")


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


def _expected_alert_ids(cfg, truth) -> set[str]:
    """The alert plan, recomputed from the policy's words and the generator's dates."""
    policy = cfg.alerts
    ids = set()
    for code, b in truth.branches.items():
        if code == "CB21":  # no secretary e-mail: unaddressable
            continue
        for m in cfg.milestones:
            if _done_on(b, m.done_when):
                continue
            days = (TODAY - m.due).days
            if days >= 1:
                n = 1 + (days - 1) // policy.overdue_every_days
                if n <= policy.overdue_max:
                    nominal = 1 + (n - 1) * policy.overdue_every_days
                    kind = "escalation" if nominal >= policy.escalate_after_days else "overdue"
                    ids.add(f"{m.id}:{code}:{kind}:{n}")
            else:
                reached = [o for o in policy.reminder_days_before if (m.due - TODAY).days <= o]
                if reached:
                    ids.add(f"{m.id}:{code}:reminder:{min(reached)}d")
    ids.add("digest:2026-W48")  # Monday, and there are late branches
    return ids


def test_alerts_sent_are_exactly_the_due_ones(run):
    cfg, report, wb, truth = run
    expected = _expected_alert_ids(cfg, truth)
    assert set(report.sent) == expected
    files = {
        message_from_bytes(p.read_bytes())["X-KNS-Alert-Id"]
        for p in cfg.mail.outbox_dir.glob("*.eml")
    }
    assert files == expected
    log = {r["Mã thông báo"]: r for r in _rows(wb["Nhật ký gửi thư"])}
    assert set(log) == expected
    assert {r["Trạng thái"] for r in log.values()} == {"Đã gửi"}


def test_secretary_mail_speaks_only_of_their_branch(run):
    cfg, report, _, truth = run
    names = {code: b.name for code, b in truth.branches.items()}
    for p in cfg.mail.outbox_dir.glob("*.eml"):
        msg = message_from_bytes(p.read_bytes())
        alert_id = msg["X-KNS-Alert-Id"]
        if alert_id.startswith("digest:"):
            continue
        own = alert_id.split(":")[1]
        body = msg.get_payload(0).get_payload(decode=True).decode("utf-8")
        assert names[own] in body
        others = [n for c, n in names.items() if c != own and n in body and n not in names[own]]
        assert others == [], (alert_id, others)
