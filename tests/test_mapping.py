"""mappings/*.yaml: they validate, and they bind the reference forms' titles as real copies
of the forms write them (capitals, extra spaces, decomposed Unicode, shortened titles)."""

from __future__ import annotations

import unicodedata

import pytest

from sync.mapping import KNOWN_FIELDS, REQUIRED_FIELDS, FormMapping, load_mapping
from sync.model import BRANCH_COUNT_KEYS, SIX_CLEAR_KEYS, SourceKind
from sync.normalize import UNMAPPED_REASON, bind_columns, bind_question_ids
from tests.conftest import ROOT, RUBRIC


def mapping(kind: str) -> FormMapping:
    return load_mapping(ROOT / "mappings" / f"{kind}.yaml")


# The titles of reference-forms.md, exactly, with the field each must bind to.
FORM_A = {
    "Tên chi bộ": "branch",
    "Họ và tên người báo cáo": "reporter_name",
    "Ngày ban hành kế hoạch của chi bộ": "plan_date",
    "Ngày tổ chức sinh hoạt chuyên đề": "session_date",
    "Hình thức sinh hoạt": "session_form",
    "Tổng số đảng viên của chi bộ": "total_members",
    "Số đảng viên được miễn sinh hoạt": "exempt_members",
    "Số đảng viên tham gia sinh hoạt chuyên đề": "participants",
    "Nội dung đã triển khai tại buổi sinh hoạt": "contents",
    "Có mời báo cáo viên hoặc Tổ công nghệ số cộng đồng hướng dẫn thực hành": "invited_expert",
    'Tên nhiệm vụ "Chi bộ tiên phong chuyển đổi số" đã đăng ký': "task_name",
    "Rõ người (người phụ trách)": "ro_nguoi",
    "Rõ việc (nội dung công việc)": "ro_viec",
    "Rõ quy trình (các bước thực hiện)": "ro_quy_trinh",
    "Rõ thời gian (thời hạn hoàn thành)": "ro_thoi_gian",
    "Rõ trách nhiệm (người chịu trách nhiệm)": "ro_trach_nhiem",
    "Rõ sản phẩm (sản phẩm đầu ra)": "ro_san_pham",
    "Tiến độ nhiệm vụ": "task_progress",
    "Số đảng viên có bản đăng ký (Biểu mẫu 01)": "count:registered",
    'Số đảng viên đăng ký phần việc "Cán bộ số, đảng viên số tiêu biểu"': "count:registered_item",
    "Số đảng viên sử dụng thành thạo máy tính, điện thoại thông minh": "count:proficient",
    "Số đảng viên sử dụng Sổ tay đảng viên điện tử": "count:handbook",
    "Số đảng viên đã khai báo tài khoản mạng xã hội": "count:social_declared",
    "Số đảng viên tham gia tuyên truyền thông tin tích cực trên mạng xã hội": (
        "count:positive_sharing"
    ),
    "Số đảng viên đã tham gia bồi dưỡng, tập huấn kỹ năng số": "count:trained",
    'Số đảng viên hoàn thành học tập trên nền tảng "Bình dân học vụ số"': "count:bdhvs_completed",
    "Đã gửi báo cáo tổng kết (Biểu mẫu 03)": "report_sent",
    "Mô hình, cách làm hay": "good_practices",
    "Khó khăn, vướng mắc, kiến nghị, đề xuất": "difficulties",
}
FORM_B = {
    "Họ và tên": "name",
    "Ngày sinh": "birth_date",
    "Chức vụ, đơn vị công tác": "position",
    "Nơi sinh hoạt (chi bộ)": "branch",
    "1. Nhận thức và học tập (bắt buộc)": "section:s1",
    "2. Ứng dụng kỹ năng số trong công việc, cuộc sống (chọn ít nhất 3 nội dung)": "section:s2",
    "3. Kỹ năng an toàn thông tin (bắt buộc)": "section:s3",
    "4. Vai trò tiên phong, gương mẫu (chọn ít nhất 2 nội dung)": "section:s4",
    "5. Kết quả ứng dụng cụ thể": "section:s5",
}
GRID_ROWS = [
    "Học tập kỹ năng số",
    "Ứng dụng trong công việc",
    "Bảo mật thông tin",
    "Vai trò tiên phong",
    "Kết quả ứng dụng cụ thể",
]
FORM_C = {
    "Họ và tên đảng viên": "name",
    "Ngày sinh": "birth_date",
    "Nơi sinh hoạt (chi bộ)": "branch",
    "Người chấm": "scorer",
    **{f"Tiêu chí {c.number}. {c.title}": f"criterion:{c.number}" for c in RUBRIC.criteria},
}
EXPORT_D = {
    "Họ và tên": "name",
    "Ngày sinh": "birth_date",
    "Đơn vị": "unit",
    "Số bài học đã hoàn thành": "lessons_completed",
    "Kết quả đánh giá": "result",
    "Ngày hoàn thành": "completed_on",
}
REFERENCE = {
    "branch_stats": FORM_A,
    "registration": FORM_B,
    "scoring": FORM_C,
    "learning": EXPORT_D,
}


def _variants(title: str) -> list[str]:
    return [
        title,
        unicodedata.normalize("NFD", title),  # typed on another keyboard
        title.upper(),
        "  " + title.replace(" ", "   ") + " ",  # extra spaces
        title + " *",  # a required question's star
        "\ufeff" + title,  # the CSV's byte-order mark stuck to the first header
    ]


def _bound(m: FormMapping, headers: list[str]) -> dict[str, str]:
    b = bind_columns(m, headers)
    return {c.key: c.field.field + (f"[{c.row}]" if c.row else "") for c in b.columns}


@pytest.mark.parametrize("kind", sorted(REFERENCE))
def test_mapping_files_validate_and_declare_the_kind(kind: str):
    m = mapping(kind)
    assert m.kind == SourceKind(kind)
    assert {f.field for f in m.fields} >= REQUIRED_FIELDS[m.kind]


def test_branch_stats_declares_every_field_of_the_vocabulary():
    fields = {f.field for f in mapping("branch_stats").fields}
    assert fields == KNOWN_FIELDS[SourceKind.BRANCH_STATS]
    assert {f"count:{k}" for k in BRANCH_COUNT_KEYS} <= fields
    assert set(SIX_CLEAR_KEYS) <= fields


@pytest.mark.parametrize("kind", sorted(REFERENCE))
def test_reference_titles_and_their_variants_bind(kind: str):
    m = mapping(kind)
    for title, field in REFERENCE[kind].items():
        for v in _variants(title):
            assert _bound(m, [v]) == {v: field}, (kind, v)


@pytest.mark.parametrize("kind", sorted(REFERENCE))
def test_a_whole_reference_header_binds_every_column_once(kind: str):
    m = mapping(kind)
    headers = ["Dấu thời gian", *REFERENCE[kind]]
    b = bind_columns(m, headers)
    assert b.timestamp_key == "Dấu thời gian"
    assert b.unmapped == () and b.conflicts == ()
    fields = [c.field.field for c in b.columns]
    assert sorted(fields) == sorted(REFERENCE[kind].values())


def test_sample_ward_variations_bind():
    a = mapping("branch_stats")
    assert _bound(a, ["Ngày sinh hoạt chuyên đề"]) == {"Ngày sinh hoạt chuyên đề": "session_date"}
    assert _bound(a, ["Chi bộ"]) == {"Chi bộ": "branch"}
    assert _bound(a, ["Tên Chi Bộ "]) == {"Tên Chi Bộ ": "branch"}
    assert _bound(a, ["Số ĐV tham gia"]) == {"Số ĐV tham gia": "participants"}
    c = mapping("scoring")
    assert _bound(c, ["Họ và tên"]) == {"Họ và tên": "name"}


def test_a_shortened_title_binds_through_patterns():
    a = mapping("branch_stats")
    assert _bound(a, ["Số ĐV tham gia sinh hoạt chuyên đề tháng 10"]) == {
        "Số ĐV tham gia sinh hoạt chuyên đề tháng 10": "participants"
    }
    # "Số đảng viên tham gia ..." starts both questions: each keeps its own field
    positive = "Số đảng viên tham gia tuyên truyền trên mạng"
    assert _bound(a, [positive]) == {positive: "count:positive_sharing"}


def test_criterion_patterns_never_confuse_1_and_10():
    c = mapping("scoring")
    headers = ["Tiêu chí 1. Nội dung khác", "Tiêu chí 10. Nội dung khác", "Tiêu chí 01 (rút gọn)"]
    assert _bound(c, headers) == {
        headers[0]: "criterion:1",
        headers[1]: "criterion:10",
        headers[2]: "criterion:1",
    }
    assert _bound(c, ["TIEU CHI 13. Khong dau"]) == {"TIEU CHI 13. Khong dau": "criterion:13"}


def test_scoring_titles_come_from_the_rubric_with_not_applicable():
    c = mapping("scoring")
    for crit in RUBRIC.criteria:
        f = c.field_map(f"criterion:{crit.number}")
        assert f is not None and f.type == "score"
        assert f.titles == [f"Tiêu chí {crit.number}. {crit.title}"]
        assert f.not_applicable == ["Không áp dụng (tính điểm tối đa)"]
    scorer = c.field_map("scorer")
    assert scorer is not None
    assert scorer.values == {"Đảng viên tự chấm": "self", "Cấp ủy chấm": "committee"}


def test_registration_sections_take_their_items_from_the_rubric():
    b = mapping("registration")
    for sec in RUBRIC.registration:
        f = b.field_map(f"section:{sec.id}")
        assert f is not None and f.type == "checkboxes"
        assert f.choices == [] or f.choices == sec.items
    grid = b.field_map("self_assessment")
    assert grid is not None and grid.rows == RUBRIC.self_assessment_rows == GRID_ROWS
    assert grid.values == {"Hoàn thành": True, "Chưa hoàn thành": False}


def test_grid_columns_bind_question_and_row():
    b = mapping("registration")
    headers = [f"Tự đánh giá cuối năm [{r}]" for r in GRID_ROWS]
    headers.append(unicodedata.normalize("NFD", "TỰ ĐÁNH GIÁ CUỐI NĂM  [bảo mật thông tin]"))
    got = _bound(b, headers)
    for r, h in zip(GRID_ROWS, headers, strict=False):
        assert got[h] == f"self_assessment[{r}]"
    assert got[headers[-1]] == "self_assessment[Bảo mật thông tin]"
    unknown_row = bind_columns(b, ["Tự đánh giá cuối năm [Hàng mới]"])
    assert unknown_row.columns == () and "Hàng mới" in unknown_row.conflicts[0][1]


def test_timestamp_email_and_unmapped_columns():
    a = mapping("branch_stats")
    b = bind_columns(a, ["\ufeffTimestamp", "Email Address", "Ghi chú", "Tên chi bộ"])
    assert b.timestamp_key == "\ufeffTimestamp"
    assert _bound(a, ["Địa chỉ email"]) == {"Địa chỉ email": "email"}
    assert b.unmapped == ("Ghi chú",)
    # a mapping without an "email" field knows the column and ignores it silently
    d = mapping("learning")
    ignored = bind_columns(d, ["Địa chỉ email", "Email Address", "Họ và tên"])
    assert ignored.unmapped == () and set(ignored.ignored) == {"Địa chỉ email", "Email Address"}
    assert "không được dùng" in UNMAPPED_REASON


def test_a_title_matching_patterns_of_two_fields_is_a_conflict_not_a_guess():
    m = FormMapping.model_validate(
        {
            "kind": "learning",
            "title": "t",
            "fields": [
                {"field": "name", "titles": ["Họ và tên"], "type": "text"},
                {"field": "unit", "titles": ["Đơn vị"], "patterns": ["^số"], "type": "text"},
                {
                    "field": "lessons_completed",
                    "titles": ["Bài học"],
                    "patterns": ["bài"],
                    "type": "integer",
                },
            ],
        }
    )
    b = bind_columns(m, ["Số bài"])
    assert b.columns == () and "lessons_completed" in b.conflicts[0][1]


def test_forms_api_ids_bind_by_question_id_or_by_title():
    m = FormMapping.model_validate(
        {
            "kind": "registration",
            "title": "Biểu mẫu 01",
            "fields": [
                {"field": "name", "titles": ["Họ và tên"], "type": "text", "question_id": "q1"},
                {"field": "birth_date", "titles": ["Ngày sinh"], "type": "date"},
                {"field": "branch", "titles": ["Nơi sinh hoạt (chi bộ)"], "type": "text"},
                {
                    "field": "self_assessment",
                    "titles": ["Tự đánh giá cuối năm"],
                    "type": "grid",
                    "rows": ["A", "B"],
                    "question_id": "g1, g2",
                    "values": {"Hoàn thành": True, "Chưa hoàn thành": False},
                },
            ],
        }
    )
    titles = {"q2": "NGÀY SINH", "q3": "Nơi sinh hoạt (chi bộ)", "q9": "Câu hỏi mới"}
    b = bind_question_ids(m, ["q1", "q2", "q3", "g1", "g2", "q9", "q10"], titles)
    got = {c.key: (c.field.field, c.row) for c in b.columns}
    assert got == {
        "q1": ("name", None),
        "q2": ("birth_date", None),
        "q3": ("branch", None),
        "g1": ("self_assessment", "A"),
        "g2": ("self_assessment", "B"),
    }
    assert b.unmapped == ("Câu hỏi mới", "q10")
    # grid rows titled "Question [Row]" by forms.get bind like CSV columns
    rows = bind_question_ids(
        mapping("registration"), ["r1"], {"r1": "Tự đánh giá cuối năm [Vai trò tiên phong]"}
    )
    assert [(c.field.field, c.row) for c in rows.columns] == [
        ("self_assessment", "Vai trò tiên phong")
    ]
