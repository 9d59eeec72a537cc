"""Biểu mẫu 02 totals, bands, pending and gap flags (scoring/members.py)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from scoring.members import member_results, sheet_total
from scoring.rubric import Band
from sync.model import (
    NOT_APPLICABLE,
    Branch,
    CriterionValue,
    LearningRecord,
    Member,
    Registration,
    Roster,
    Scorer,
    ScoreSheet,
)
from tests.conftest import RUBRIC
from tests.conftest import TZ as VN

AT = datetime(2026, 10, 1, 9, 0, tzinfo=VN)
MAXES = {c.number: c.max for c in RUBRIC.criteria}

ROSTER = Roster(
    branches=(Branch("CB01", "Chi bộ Văn phòng"), Branch("CB02", "Chi bộ Công an")),
    members=(
        Member("DV3", "Lê Văn Ba", date(1950, 5, 6), "CB02", exempt=True),
        Member("DV1", "Võ Xuân Đạt", date(1983, 4, 9), "CB01"),
        Member("DV2", "Nguyễn Minh Lộc", date(1974, 4, 27), "CB01"),
    ),
)


def _scores(total: float) -> dict[int, CriterionValue]:
    """A valid sheet summing to ``total``: points taken off from criterion 5 onwards."""
    vals: dict[int, CriterionValue] = dict(MAXES)
    deficit = RUBRIC.total_max - total
    for n in [5, *(n for n in sorted(MAXES) if n != 5)]:
        off = min(deficit, MAXES[n])
        vals[n] = MAXES[n] - off
        deficit -= off
    return vals


def _sheet(
    member: str, scorer: Scorer, criteria: dict[int, CriterionValue], branch: str = "CB01"
) -> ScoreSheet:
    return ScoreSheet(
        source_id="c",
        response_id=f"{member}-{scorer}",
        row_label="Dòng 2",
        submitted_at=AT,
        member_code=member,
        branch_code=branch,
        scorer=scorer,
        criteria=criteria,
    )


def _one(sheets: list[ScoreSheet], **kw) -> dict:
    keyed = {(s.member_code, s.scorer): s for s in sheets}
    results = member_results(RUBRIC, ROSTER, kw.get("regs", {}), keyed, kw.get("learning", {}))
    return {r.member_code: r for r in results}


# -- sheet_total --------------------------------------------------------------------------


def test_full_sheet_totals_the_rubric_maximum():
    total, points, missing = sheet_total(RUBRIC, _sheet("DV1", Scorer.COMMITTEE, dict(MAXES)))
    assert total == pytest.approx(100)
    assert points == MAXES
    assert missing == ()


def test_not_applicable_gets_the_criterion_max_unless_the_rubric_says_otherwise():
    criteria = {**MAXES, 5: NOT_APPLICABLE, 7: 4.0}
    total, points, _ = sheet_total(RUBRIC, _sheet("DV1", Scorer.COMMITTEE, criteria))
    assert points[5] == 15 and points[7] == 4
    assert total == pytest.approx(94)
    strict = RUBRIC.model_copy(update={"not_applicable_gets_max": False})
    total, points, _ = sheet_total(strict, _sheet("DV1", Scorer.COMMITTEE, criteria))
    assert points[5] == 0
    assert total == pytest.approx(79)


def test_missing_criteria_score_zero_and_are_listed():
    criteria = {n: v for n, v in MAXES.items() if n not in (2, 11)}
    total, points, missing = sheet_total(RUBRIC, _sheet("DV1", Scorer.COMMITTEE, criteria))
    assert missing == (2, 11)
    assert points[2] == 0 and points[11] == 0
    assert total == pytest.approx(85)


def test_fractional_scores_add_up_and_out_of_range_is_clamped():
    criteria = {**MAXES, 1: 7.5, 3: 9.0, 4: -2.0}
    total, points, _ = sheet_total(RUBRIC, _sheet("DV1", Scorer.COMMITTEE, criteria))
    assert points[1] == 7.5 and points[3] == 5 and points[4] == 0
    assert total == pytest.approx(100 - 2.5 - 10)


# -- bands ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "Chưa đạt"),
        (70, "Chưa đạt"),
        (70.5, "Chưa đạt"),
        (71, "Đạt"),
        (80, "Đạt"),
        (81, "Khá"),
        (90, "Khá"),
        (90.5, "Khá"),
        (91, "Xuất sắc"),
        (100, "Xuất sắc"),
    ],
)
def test_band_edges_by_committee_total(total, band):
    r = _one([_sheet("DV1", Scorer.COMMITTEE, _scores(total))])["DV1"]
    assert r.committee_total == pytest.approx(total)
    assert r.band == band


def test_bands_come_from_the_rubric():
    two = RUBRIC.model_copy(
        update={"bands": [Band(name="Tốt", min=50), Band(name="Chưa tốt", min=0)]}
    )
    sheets = {("DV1", Scorer.COMMITTEE): _sheet("DV1", Scorer.COMMITTEE, _scores(60))}
    r = member_results(two, ROSTER, {}, sheets, {})[1]
    assert r.band == "Tốt"


# -- pending, gap, missing, no score ------------------------------------------------------


def test_self_score_only_is_pending_without_band():
    r = _one([_sheet("DV1", Scorer.SELF, _scores(95))])["DV1"]
    assert r.pending
    assert r.self_total == pytest.approx(95)
    assert r.committee_total is None and r.band is None
    assert not r.gap_flag
    assert r.committee_criteria == {}


def test_committee_score_classifies_and_self_stays_visible():
    r = _one(
        [_sheet("DV1", Scorer.SELF, _scores(95)), _sheet("DV1", Scorer.COMMITTEE, _scores(88))]
    )["DV1"]
    assert not r.pending
    assert r.self_total == pytest.approx(95)
    assert r.band == "Khá"
    assert r.committee_criteria[5] == pytest.approx(3)


@pytest.mark.parametrize(("self_total", "flag"), [(90, True), (89.5, False), (70, True)])
def test_gap_flag_at_exactly_the_threshold(self_total, flag):
    # committee 80; threshold 10 in the 2026 rubric: a gap of exactly 10 is flagged,
    # whichever way it goes
    r = _one(
        [
            _sheet("DV1", Scorer.SELF, _scores(self_total)),
            _sheet("DV1", Scorer.COMMITTEE, _scores(80)),
        ]
    )["DV1"]
    assert r.gap_flag is flag


def test_committee_only_is_not_pending_and_has_no_gap():
    r = _one([_sheet("DV1", Scorer.COMMITTEE, _scores(75))])["DV1"]
    assert not r.pending and not r.gap_flag
    assert r.self_total is None and r.band == "Đạt"


def test_missing_committee_criteria_are_reported():
    criteria = {n: v for n, v in MAXES.items() if n != 9}
    r = _one([_sheet("DV1", Scorer.COMMITTEE, criteria)])["DV1"]
    assert r.missing_committee_criteria == (9,)
    assert r.committee_total == pytest.approx(95)
    assert r.committee_criteria[9] == 0


def test_no_sheet_no_registration_no_learning():
    r = _one([])["DV2"]
    assert (r.self_total, r.committee_total, r.band, r.pending, r.gap_flag) == (
        None,
        None,
        None,
        False,
        False,
    )
    assert r.registration is None
    assert r.learning_lessons is None and r.learning_passed is None


# -- one per roster member, registration and learning attached -----------------------------


def test_one_result_per_roster_member_in_roster_order_with_roster_branch():
    # the member typed another branch on the form: the roster decides
    results = member_results(
        RUBRIC,
        ROSTER,
        {},
        {("DV1", Scorer.COMMITTEE): _sheet("DV1", Scorer.COMMITTEE, _scores(92), branch="CB02")},
        {},
    )
    assert [r.member_code for r in results] == ["DV3", "DV1", "DV2"]
    assert results[1].branch_code == "CB01"


def test_registration_and_learning_are_attached():
    reg = Registration(
        source_id="b",
        response_id="r",
        row_label="Dòng 3",
        submitted_at=AT,
        member_code="DV2",
        branch_code="CB01",
        sections={"s1": tuple(RUBRIC.section("s1").items)},
        self_assessment={"Học tập kỹ năng số": True},
    )
    learned = LearningRecord(
        source_id="d",
        response_id="row:4",
        row_label="Dòng 4",
        submitted_at=AT,
        branch_code="CB01",
        member_code="DV2",
        lessons_completed=12,
        passed=True,
    )
    r = _one([], regs={"DV2": reg}, learning={"DV2": learned})["DV2"]
    assert r.registration is not None
    assert not r.registration.complete  # s2..s4 empty
    assert r.registration.self_assessment_done == 1
    assert (r.learning_lessons, r.learning_passed) == (12, True)
