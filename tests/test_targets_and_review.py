"""The 2026 targets measured by everything their text names (the rubric file's rules), and
results that do not mislead: a committee sheet with a wrong cell, a blank self-assessment.

Expected values are worked out by hand from the plan's words (seed 001, section II) and the
tiny wards built here."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from scoring.kpis import ward_kpis
from sync.evaluation import Tally
from sync.model import (
    Branch,
    BranchReport,
    BranchStatus,
    Member,
    MemberResult,
    OverallState,
    Registration,
    RegistrationResult,
    Roster,
    Scorer,
    ScoreSheet,
    SourceKind,
)
from sync.tables import NEEDS_REVIEW, NOT_SELF_ASSESSED, _member_table
from tests.conftest import RUBRIC
from tests.conftest import TZ as VN

MAX = {c.number: c.max for c in RUBRIC.criteria}
FULL = dict(MAX)  # every criterion at its maximum: 100 points


def _kpi(kpis, target_id: str):
    return next(k for k in kpis if k.target_id == target_id)


def _roster(n: int, *, civil: list[bool | None] | None = None) -> Roster:
    civil = civil or [None] * n
    return Roster(
        branches=(Branch("CB01", "Chi bộ 1"),),
        members=tuple(
            Member(f"M{i}", f"M{i}", None, "CB01", civil_servant=civil[i]) for i in range(n)
        ),
    )


def _scored(code: str, points: dict[int, float] | None) -> MemberResult:
    return MemberResult(
        member_code=code,
        branch_code="CB01",
        registration=RegistrationResult(True, (), 5),
        self_total=None,
        committee_total=None if points is None else sum(points.values()),
        band=None,
        pending=False,
        gap_flag=False,
        committee_criteria=points or {},
    )


def _status(progress: str | None = None, *, task_ok: bool = False) -> BranchStatus:
    report = BranchReport(
        source_id="a",
        response_id="r1",
        row_label="Dòng 2",
        submitted_at=datetime(2026, 10, 1, 9, 0, tzinfo=VN),
        branch_code="CB01",
        session_date=date(2026, 9, 1),
        task_progress=progress,
    )
    return BranchStatus(
        branch_code="CB01",
        report=report,
        first_reported_at=report.submitted_at,
        plan_date=None,
        session_date=date(2026, 9, 1),
        session_form=None,
        eligible_members=5,
        participants=None,
        participation_rate=None,
        six_clear_filled=6 if task_ok else 0,
        task_registered=task_ok,
        registered_share=None,
        scored_share=None,
        report_sent=False,
        milestones=(),
        overall=OverallState.IN_PROGRESS,
        max_days_overdue=0,
    )


# -- T4: criteria 8 and 10 at 100 %, criterion 9 at 80 % ------------------------------------


def _t4(sharing: int, *, n: int = 5):
    """n members, all with TC8 and TC10 full; ``sharing`` of them with TC9 full."""
    members = [_scored(f"M{i}", {**FULL, 9: 5.0 if i < sharing else 3.0}) for i in range(n)]
    (k,) = [x for x in ward_kpis(RUBRIC, _roster(n), [_status()], members) if x.number == 4]
    return k


def test_t4_sharing_part_met_at_exactly_80_percent():
    k = _t4(sharing=4)  # 4/5 = 80 %
    declare, sharing = k.parts
    assert (declare.numerator, declare.denominator, declare.verdict) == (5, 5, "Đạt")
    assert (sharing.numerator, sharing.denominator) == (4, 5)
    assert sharing.target == pytest.approx(0.8) and sharing.verdict == "Đạt"
    assert k.verdict == "Đạt" and k.met


def test_t4_one_member_short_of_80_percent():
    k = _t4(sharing=3)  # 3/5 = 60 %
    assert k.parts[1].verdict == "Chưa đạt"
    assert k.verdict == "Chưa đạt" and not k.met


def test_t4_declaring_part_needs_every_member():
    members = [_scored(f"M{i}", {**FULL, 10: 4.0 if i == 0 else 5.0}) for i in range(5)]
    k = _kpi(ward_kpis(RUBRIC, _roster(5), [_status()], members), "khong_gian_mang")
    assert (k.parts[0].numerator, k.parts[0].verdict) == (4, "Chưa đạt")
    assert k.verdict == "Chưa đạt"


# -- T2, T5: every criterion the target names ----------------------------------------------


def test_t2_needs_both_criteria_4_and_5():
    # everyone full on TC4; one member one point short on TC5: 4/5, not 5/5
    members = [_scored(f"M{i}", {**FULL, 5: 14.0 if i == 0 else 15.0}) for i in range(5)]
    k = _kpi(ward_kpis(RUBRIC, _roster(5), [_status()], members), "thanh_thao_cong_nghe_so")
    assert (k.numerator, k.denominator, k.verdict) == (4, 5, "Chưa đạt")
    assert k.rule_note.startswith("Đạt khi cấp ủy chấm tối đa ở TC4, TC5")


def test_t5_criteria_1_2_and_3_all_full():
    members = [_scored("M0", FULL), _scored("M1", {**FULL, 3: 4.0})]
    k = _kpi(ward_kpis(RUBRIC, _roster(2), [_status()], members), "boi_duong_va_ung_dung")
    assert (k.numerator, k.denominator, k.verdict) == (1, 2, "Chưa đạt")


# -- what cannot be measured says so --------------------------------------------------------


def test_a_member_not_yet_scored_gives_no_verdict():
    members = [_scored(f"M{i}", FULL) for i in range(4)] + [_scored("M4", None)]
    k = _kpi(ward_kpis(RUBRIC, _roster(5), [_status()], members), "thanh_thao_cong_nghe_so")
    assert (k.numerator, k.denominator) == (4, 5)
    assert k.verdict == "Chưa đủ số liệu: 1/5 đảng viên chưa có điểm cấp ủy chấm hợp lệ"
    assert not k.met


def test_a_missing_source_gives_no_verdict():
    members = [_scored(f"M{i}", FULL) for i in range(5)]
    available = {SourceKind.BRANCH_STATS, SourceKind.REGISTRATION}  # no Biểu mẫu 02
    kpis = ward_kpis(RUBRIC, _roster(5), [_status()], members, available=available)
    k = _kpi(kpis, "thanh_thao_cong_nghe_so")
    assert k.verdict == ("Chưa đủ số liệu: chưa có nguồn Biểu mẫu 02 (chấm điểm) trong cấu hình")
    assert not k.met
    # T6 is measured by Biểu mẫu 01, which is there
    assert _kpi(kpis, "ban_dang_ky").verdict == "Đạt"


def test_branch_reported_figures_show_a_number_but_no_verdict():
    # nobody scored yet; the branch reported 5 members using the handbook
    status = _status()
    report = BranchReport(**{**status.report.__dict__, "counts": {"handbook": 5}})
    status = BranchStatus(**{**status.__dict__, "report": report})
    k = _kpi(ward_kpis(RUBRIC, _roster(5), [status], []), "so_tay_va_phan_mem_cong_vu")
    handbook = k.parts[0]
    assert (handbook.numerator, handbook.denominator) == (5, 5)
    assert handbook.verdict.startswith("Chưa đủ số liệu")
    assert k.verdict.startswith("Chưa đủ số liệu")


# -- T3: criterion 7 for cán bộ, công chức, viên chức ---------------------------------------


def test_t3_official_software_counts_civil_servants_when_the_roster_says():
    members = [_scored("M0", FULL), _scored("M1", {**FULL, 7: 0.0})]
    marked = _roster(2, civil=[True, False])  # M1 is not a civil servant
    k = _kpi(ward_kpis(RUBRIC, marked, [_status()], members), "so_tay_va_phan_mem_cong_vu")
    software = k.parts[1]
    assert (software.numerator, software.denominator, software.verdict) == (1, 1, "Đạt")
    assert k.verdict == "Đạt"
    # without the column every member counts, and M1 misses it
    k = _kpi(ward_kpis(RUBRIC, _roster(2), [_status()], members), "so_tay_va_phan_mem_cong_vu")
    assert (k.parts[1].numerator, k.parts[1].denominator, k.verdict) == (1, 2, "Chưa đạt")
    assert "tính mọi đảng viên" in k.parts[1].rule_note


def test_not_applicable_counts_as_met():
    tally = Tally(RUBRIC)
    sheet = ScoreSheet(
        source_id="c",
        response_id="r1",
        row_label="Dòng 2",
        submitted_at=datetime(2026, 11, 2, 9, 0, tzinfo=VN),
        member_code="M0",
        branch_code="CB01",
        scorer=Scorer.COMMITTEE,
        criteria={**FULL, 7: "N/A"},
    )
    tally.add(sheet)
    results = tally.results(_roster(1))
    k = _kpi(ward_kpis(RUBRIC, _roster(1), [_status()], results), "so_tay_va_phan_mem_cong_vu")
    assert (k.parts[1].numerator, k.parts[1].verdict) == (1, "Đạt")


# -- T7: registered with all 6 rõ and carried out with a product -----------------------------


@pytest.mark.parametrize(
    ("progress", "task_ok", "met"),
    [
        ("Đã hoàn thành", True, True),
        ("Đang thực hiện", True, False),  # registered, not carried out
        ("Đã hoàn thành", False, False),  # done, but not planned with the 6 rõ
    ],
)
def test_t7_registered_and_carried_out(progress, task_ok, met):
    k = _kpi(
        ward_kpis(RUBRIC, _roster(1), [_status(progress, task_ok=task_ok)], []),
        "nhiem_vu_chuyen_doi_so",
    )
    assert k.met is met and k.verdict == ("Đạt" if met else "Chưa đạt")


# -- a committee sheet with a wrong cell ----------------------------------------------------


def _sheet(at: datetime, points: dict[int, float], rejected: tuple[int, ...] = ()) -> ScoreSheet:
    return ScoreSheet(
        source_id="c",
        response_id=f"r{at:%d%H}",
        row_label="Dòng 2",
        submitted_at=at,
        member_code="M0",
        branch_code="CB01",
        scorer=Scorer.COMMITTEE,
        criteria=points,
        rejected=rejected,
    )


def test_a_wrong_cell_holds_the_member_for_review_instead_of_scoring_zero():
    tally = Tally(RUBRIC)
    early = datetime(2026, 11, 2, 9, 0, tzinfo=VN)
    tally.add(_sheet(early, FULL))  # a valid 100-point sheet ("Xuất sắc")
    # the committee resubmits with 17 typed for criterion 5 (max 15): the cell is rejected
    tally.add(_sheet(early + timedelta(days=3), {k: v for k, v in FULL.items() if k != 5}, (5,)))
    (r,) = tally.results(_roster(1))
    assert r.committee_total is None and r.band is None  # not 85 points, not "Khá"
    assert r.review_reason == "Phiếu cấp ủy chấm có ô không hợp lệ: tiêu chí 5"
    assert not r.pending
    table = _member_table(RUBRIC, _roster(1), [r], early)
    row = dict(zip([c.header for c in table.columns], table.rows[0], strict=True))
    assert row["Xếp loại"] == NEEDS_REVIEW
    assert row["Lý do cần kiểm tra"] == "Phiếu cấp ủy chấm có ô không hợp lệ: tiêu chí 5"
    # a valid sheet afterwards settles it
    tally.add(_sheet(early + timedelta(days=5), {**FULL, 1: 8.0}))
    (r,) = tally.results(_roster(1))
    assert (r.committee_total, r.band, r.review_reason) == (98.0, "Xuất sắc", None)


def test_a_member_only_ever_sent_a_wrong_sheet_is_not_scored():
    tally = Tally(RUBRIC)
    at = datetime(2026, 11, 2, 9, 0, tzinfo=VN)
    tally.add(_sheet(at, {k: v for k, v in FULL.items() if k != 5}, (5,)))
    assert tally.first_scored == {}  # the "members scored" milestone does not count it
    (r,) = tally.results(_roster(1))
    members = [r]
    k = _kpi(ward_kpis(RUBRIC, _roster(1), [_status()], members), "thanh_thao_cong_nghe_so")
    assert k.verdict.startswith("Chưa đủ số liệu: 1/1")


# -- the year-end self-assessment grid -------------------------------------------------------


def _registration(grid: dict[str, bool]) -> Registration:
    return Registration(
        source_id="b",
        response_id="r1",
        row_label="Dòng 2",
        submitted_at=datetime(2026, 10, 2, 9, 0, tzinfo=VN),
        member_code="M0",
        branch_code="CB01",
        sections={s.id: tuple(s.items) for s in RUBRIC.registration},
        self_assessment=grid,
    )


def _member_row(grid: dict[str, bool]) -> dict[str, object]:
    tally = Tally(RUBRIC)
    tally.add(_registration(grid))
    results = tally.results(_roster(1))
    table = _member_table(RUBRIC, _roster(1), results, datetime(2026, 11, 23, tzinfo=VN))
    return dict(zip([c.header for c in table.columns], table.rows[0], strict=True))


def test_a_blank_self_assessment_is_not_zero_of_five():
    row = _member_row({})
    assert row["Tự đánh giá hoàn thành"] == NOT_SELF_ASSESSED == "Chưa tự đánh giá"
    assert all(row[f"Tự đánh giá: {r}"] == "" for r in RUBRIC.self_assessment_rows)


def test_the_five_self_assessment_answers_are_visible():
    rows = RUBRIC.self_assessment_rows
    row = _member_row({rows[0]: True, rows[1]: False, rows[3]: True})
    assert row["Tự đánh giá hoàn thành"] == "2/5"
    assert [row[f"Tự đánh giá: {r}"] for r in rows] == [
        "Hoàn thành",
        "Chưa hoàn thành",
        "",
        "Hoàn thành",
        "",
    ]
