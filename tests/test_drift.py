"""Mapping drift in the core: the form's questions as neutral records (no API shape), the
bundled form-A mapping, and the "Lỗi dữ liệu" rows drift gives. The Forms API's own parsing
into these records is tested in test_google_forms.py."""

from __future__ import annotations

from sync.drift import FormQuestion, mapping_drift
from sync.mapping import FieldMapping, FormMapping, load_mapping
from tests.conftest import ROOT, RUBRIC

FORM_A = load_mapping(ROOT / "mappings" / "branch_stats.yaml")


def _question(f: FieldMapping, n: int) -> FormQuestion:
    """The question the mapping expects, under its first title, offering its own choices."""
    return FormQuestion(f"q{n}", f.titles[0], tuple(f.choices))


def _form(mapping: FormMapping = FORM_A) -> list[FormQuestion]:
    return [_question(f, n) for n, f in enumerate(mapping.fields) if f.type != "grid"]


def test_a_form_as_the_mapping_expects_has_no_drift() -> None:
    assert mapping_drift(FORM_A, _form(), "Biểu mẫu A", rubric=RUBRIC) == []


def test_a_required_question_gone_and_an_optional_one_gone() -> None:
    questions = [q for q in _form() if q.title not in ("Tên chi bộ", "Hình thức sinh hoạt")]
    problems = mapping_drift(FORM_A, questions, "Biểu mẫu A", rubric=RUBRIC)
    by_field = {p.field: p for p in problems}
    assert sorted(by_field) == ["Hình thức sinh hoạt", "Tên chi bộ"]
    assert all(p.source == "Biểu mẫu A" and p.record == "" for p in problems)
    assert "câu hỏi bắt buộc" in by_field["Tên chi bộ"].reason
    assert by_field["Hình thức sinh hoạt"].reason.endswith("dữ liệu của trường này sẽ để trống")


def test_a_question_retitled_to_a_known_alias_is_not_drift() -> None:
    questions = [
        FormQuestion(q.question_id, "Tiến độ", q.options) if q.title == "Tiến độ nhiệm vụ" else q
        for q in _form()
    ]
    assert mapping_drift(FORM_A, questions, "Biểu mẫu A") == []


def test_a_question_bound_by_id_keeps_its_data_but_a_new_title_is_reported() -> None:
    fields = [
        f.model_copy(update={"question_id": "q_form"}) if f.field == "session_form" else f
        for f in FORM_A.fields
    ]
    by_id = FORM_A.model_copy(update={"fields": fields})
    renamed = "Cách thức họp"
    questions = [
        FormQuestion("q_form", renamed, q.options) if q.title == "Hình thức sinh hoạt" else q
        for q in _form()
    ]
    (p,) = mapping_drift(by_id, questions, "Biểu mẫu A")
    assert (p.field, p.raw_value) == ("Hình thức sinh hoạt", renamed)
    assert "q_form" in p.reason and "aliases" in p.reason


def test_a_new_choice_is_reported_once_and_an_alias_is_known() -> None:
    questions = [
        FormQuestion(q.question_id, q.title, (*q.options, "Họp qua Zalo", "Kết hợp"))
        if q.title == "Hình thức sinh hoạt"
        else q
        for q in _form()
    ]
    (p,) = mapping_drift(FORM_A, questions, "Biểu mẫu A")
    assert (p.field, p.raw_value) == ("Hình thức sinh hoạt", "Họp qua Zalo")
    assert "Lựa chọn mới chưa có trong tệp ánh xạ" in p.reason
