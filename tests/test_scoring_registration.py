"""Biểu mẫu 01 completion rules (scoring/registration.py), against the 2026 rubric file."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from scoring.registration import evaluate_registration
from scoring.rubric import RegistrationSection
from sync.model import Registration
from tests.conftest import RUBRIC
from tests.conftest import TZ as VN

ITEMS = {s.id: tuple(s.items) for s in RUBRIC.registration}


def _reg(sections: dict[str, tuple[str, ...]], grid: dict[str, bool] | None = None) -> Registration:
    return Registration(
        source_id="b",
        response_id="r1",
        row_label="Dòng 2",
        submitted_at=datetime(2026, 6, 1, 9, 0, tzinfo=VN),
        member_code="DV0001",
        branch_code="CB01",
        sections=sections,
        self_assessment=grid or {},
    )


def _full() -> dict[str, tuple[str, ...]]:
    """Every rule holds with as few items as the rules allow."""
    return {"s1": ITEMS["s1"], "s2": ITEMS["s2"][:3], "s3": ITEMS["s3"], "s4": ITEMS["s4"][:2]}


def test_minimal_registration_is_complete():
    res = evaluate_registration(RUBRIC, _reg(_full()))
    assert res.complete
    assert res.failed_rules == ()
    assert res.self_assessment_done == 0


def test_rule_all_fails_when_one_mandatory_item_is_missing():
    sections = {**_full(), "s1": ITEMS["s1"][:2]}
    res = evaluate_registration(RUBRIC, _reg(sections))
    assert not res.complete
    assert res.failed_rules == ("Mục 1. Nhận thức và học tập: chọn 2/3 nội dung bắt buộc",)


def test_rule_at_least_fails_below_k_and_holds_at_k():
    sections = {**_full(), "s2": ITEMS["s2"][:2]}
    res = evaluate_registration(RUBRIC, _reg(sections))
    assert res.failed_rules == (
        "Mục 2. Ứng dụng kỹ năng số trong công việc, cuộc sống: chọn 2/6 nội dung, cần ít nhất 3",
    )
    # exactly k holds; the item with commas in its text counts as one item
    ai = ITEMS["s2"][5]
    assert "," in ai
    sections = {**_full(), "s2": (ITEMS["s2"][0], ITEMS["s2"][1], ai)}
    assert evaluate_registration(RUBRIC, _reg(sections)).complete


def test_rule_none_always_holds():
    assert evaluate_registration(RUBRIC, _reg({**_full(), "s5": ()})).complete
    assert evaluate_registration(RUBRIC, _reg({**_full(), "s5": ITEMS["s5"]})).complete


def test_missing_sections_fail_in_rubric_order():
    res = evaluate_registration(RUBRIC, _reg({}))
    assert not res.complete
    assert res.failed_rules == (
        "Mục 1. Nhận thức và học tập: chọn 0/3 nội dung bắt buộc",
        "Mục 2. Ứng dụng kỹ năng số trong công việc, cuộc sống: chọn 0/6 nội dung, cần ít nhất 3",
        "Mục 3. Kỹ năng an toàn thông tin: chọn 0/4 nội dung bắt buộc",
        "Mục 4. Vai trò tiên phong, gương mẫu: chọn 0/4 nội dung, cần ít nhất 2",
    )


def test_duplicates_and_unknown_texts_do_not_count_decomposed_unicode_does():
    s2 = (ITEMS["s2"][0], ITEMS["s2"][0], "Khác: tự học qua YouTube")
    res = evaluate_registration(RUBRIC, _reg({**_full(), "s2": s2}))
    assert res.failed_rules == (
        "Mục 2. Ứng dụng kỹ năng số trong công việc, cuộc sống: chọn 1/6 nội dung, cần ít nhất 3",
    )
    s1 = tuple(unicodedata.normalize("NFD", i) for i in ITEMS["s1"])
    assert evaluate_registration(RUBRIC, _reg({**_full(), "s1": s1})).complete


def test_section_ids_and_titles_come_from_the_rubric():
    custom = RUBRIC.model_copy(
        update={
            "registration": [
                RegistrationSection(
                    id="x", title="A. Mục thử", items=["a", "b", "c"], rule="at_least", at_least=1
                )
            ]
        }
    )
    assert evaluate_registration(custom, _reg({"x": ("b",)})).complete
    assert evaluate_registration(custom, _reg({})).failed_rules == (
        "Mục A. Mục thử: chọn 0/3 nội dung, cần ít nhất 1",
    )


def test_self_assessment_counts_rows_answered_done():
    rows = RUBRIC.self_assessment_rows
    grid = {rows[0]: True, rows[1]: False, rows[2]: True}
    assert evaluate_registration(RUBRIC, _reg(_full(), grid)).self_assessment_done == 2
