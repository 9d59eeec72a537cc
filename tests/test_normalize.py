"""sync/normalize.py: raw answers of every source shape -> records + data problems.

RawResponse objects are built here directly, shaped like the files and API answers the
reference forms produce (see shared/reference-forms.md), and read with the real mapping
files under mappings/.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from sync.config import SourceConfig
from sync.latest import latest_by
from sync.mapping import FormMapping, load_mapping
from sync.model import (
    NOT_APPLICABLE,
    Branch,
    BranchReport,
    DataProblem,
    LearningRecord,
    Member,
    NormalizedSource,
    RawResponse,
    Registration,
    Roster,
    Scorer,
    ScoreSheet,
    SourceKind,
)
from sync.normalize import normalize_source
from tests.conftest import ROOT, RUBRIC, TZ

MAPPINGS = {k: load_mapping(ROOT / "mappings" / f"{k}.yaml") for k in SourceKind}

ROSTER = Roster(
    branches=(
        Branch("CB03", "Chi bộ Khu phố 3", ("KP3",)),
        Branch("CB04", "Chi bộ Khu phố 4", ("KP4",)),
        Branch("CB07", "Chi bộ Trường THCS Lê Lợi", ("THCS Lê Lợi",)),
    ),
    members=(
        *(Member(f"A{i:02d}", f"Người Số {i}", date(1960, 1, 1 + i), "CB03") for i in range(22)),
        Member("A98", "Cụ Già Một", date(1938, 2, 2), "CB03", exempt=True),
        Member("A99", "Cụ Già Hai", date(1939, 3, 3), "CB03", exempt=True),
        Member("DV1", "Nguyễn Văn An", date(1980, 1, 2), "CB04"),
        Member("DV2", "Nguyễn Văn Hùng", date(1975, 3, 12), "CB04"),  # twins: same name and
        Member("DV3", "Nguyễn Văn Hùng", date(1975, 3, 12), "CB07"),  # birth, two branches
        Member("DV4", "Trần Thị Lan", date(1980, 8, 5), "CB07"),
    ),
)  # CB03: 24 members, 2 exempt


def source(kind: SourceKind, *, locale: str = "vi", title: str = "") -> SourceConfig:
    return SourceConfig(
        id=f"src_{kind.value}",
        kind=kind,
        mapping=Path(f"mappings/{kind.value}.yaml"),
        file=Path("x.csv"),
        locale=locale,  # type: ignore[arg-type]
        title=title,
    )


def run(
    kind: SourceKind,
    rows: list[Mapping[str, str]] | list[RawResponse],
    *,
    locale: str = "vi",
    mapping: FormMapping | None = None,
    question_titles: Mapping[str, str] | None = None,
    title: str = "",
) -> NormalizedSource:
    raws = [
        r
        if isinstance(r, RawResponse)
        else RawResponse(f"src_{kind.value}", f"row:{i + 2}", f"Dòng {i + 2}", dict(r))
        for i, r in enumerate(rows)
    ]
    return normalize_source(
        source(kind, locale=locale, title=title),
        mapping or MAPPINGS[kind],
        RUBRIC,
        ROSTER,
        raws,
        year=2026,
        tz=TZ,
        question_titles=question_titles,
    )


def only(ns: NormalizedSource, record: str) -> list[DataProblem]:
    return [p for p in ns.problems if p.record == record]


# ---------------------------------------------------------------------------------------
# Form A — branch statistics
# ---------------------------------------------------------------------------------------

CONTENTS = [
    "Nâng cao nhận thức về chuyển đổi số (mục 3.1)",
    "Hướng dẫn, tập huấn kỹ năng số cơ bản (mục 3.2)",
    "Ứng dụng kỹ năng số trong công việc, cuộc sống (mục 3.3)",
    'Phần việc "Chi bộ tiên phong chuyển đổi số" (mục 3.4)',
    'Đăng ký phần việc "Cán bộ số, đảng viên số tiêu biểu" (mục 3.5)',
]
PARTICIPANTS_NFD = unicodedata.normalize("NFD", "Số đảng viên tham gia sinh hoạt chuyên đề")
BDHVS = 'Số đảng viên hoàn thành học tập trên nền tảng "Bình dân học vụ số"'


def form_a(**over: str) -> dict[str, str]:
    """One linked-sheet / CSV row of form A as the sample ward's copy titles it."""
    row = {
        "\ufeffDấu thời gian": "22/10/2026 10:15:30",  # the BOM stuck to the first header
        "Địa chỉ email": "kp3@example.vn",
        "Tên Chi Bộ ": "Khu phố 3",  # capitals + trailing space; short branch name
        "Họ và tên người báo cáo": "Lê Văn Bí Thư",
        "Ngày ban hành kế hoạch của chi bộ": "04/05/2026",
        "Ngày sinh hoạt chuyên đề": "18/09/2026",  # shortened title (alias)
        "Hình thức sinh hoạt": "Kết hợp trực tiếp và trực tuyến",
        "Tổng số đảng viên của chi bộ": "24",
        "Số đảng viên được miễn sinh hoạt": "2",
        PARTICIPANTS_NFD: "21",  # decomposed Unicode title
        "Nội dung đã triển khai tại buổi sinh hoạt": ", ".join([CONTENTS[4], CONTENTS[1]]),
        "Có mời báo cáo viên hoặc Tổ công nghệ số cộng đồng hướng dẫn thực hành": "Có",
        'Tên nhiệm vụ "Chi bộ tiên phong chuyển đổi số" đã đăng ký': "Số hóa hồ sơ chi bộ",
        "Rõ người (người phụ trách)": "Lê Văn Bí Thư",
        "Rõ việc (nội dung công việc)": "Số hóa hồ sơ",
        "Rõ quy trình (các bước thực hiện)": "B1: khảo sát; B2: số hóa",
        "Rõ thời gian (thời hạn hoàn thành)": "2026-12-15",
        "Rõ trách nhiệm (người chịu trách nhiệm)": "Đồng chí Bí thư",
        "Rõ sản phẩm (sản phẩm đầu ra)": "Kho hồ sơ điện tử",
        "Tiến độ nhiệm vụ": "Đang thực hiện",
        "Số đảng viên có bản đăng ký (Biểu mẫu 01)": "20,0",
        'Số đảng viên đăng ký phần việc "Cán bộ số, đảng viên số tiêu biểu"': "19",
        "Số đảng viên sử dụng thành thạo máy tính, điện thoại thông minh": " 18 ",
        "Số đảng viên sử dụng Sổ tay đảng viên điện tử": "mười lăm",
        "Số đảng viên đã khai báo tài khoản mạng xã hội": "22",
        "Số đảng viên tham gia tuyên truyền thông tin tích cực trên mạng xã hội": "17",
        "Số đảng viên đã tham gia bồi dưỡng, tập huấn kỹ năng số": "21",
        BDHVS: "12",
        "Đã gửi báo cáo tổng kết (Biểu mẫu 03)": "Đã gửi",
        "Mô hình, cách làm hay": '=IMPORTXML("http://x","//a")',
        "Khó khăn, vướng mắc, kiến nghị, đề xuất": "",
    }
    row.update(over)
    return row


def test_form_a_row_becomes_a_branch_report():
    ns = run(SourceKind.BRANCH_STATS, [form_a()])
    assert ns.problems == () and ns.unmapped_columns == ()
    (r,) = ns.records
    assert isinstance(r, BranchReport)
    assert r.branch_code == "CB03" and r.row_label == "Dòng 2" and r.response_id == "row:2"
    assert r.submitted_at == datetime(2026, 10, 22, 10, 15, 30, tzinfo=TZ)
    assert r.submitted_at.tzinfo is not None
    assert (r.plan_date, r.session_date) == (date(2026, 5, 4), date(2026, 9, 18))
    assert r.session_form == "Kết hợp trực tiếp và trực tuyến"
    assert (r.total_members, r.exempt_members, r.participants) == (24, 2, 21)
    assert r.contents == (CONTENTS[1], CONTENTS[4])  # choices with commas, form order
    assert r.invited_expert is True and r.report_sent is True
    assert r.task_name == "Số hóa hồ sơ chi bộ" and r.task_progress == "Đang thực hiện"
    assert r.six_clear["ro_thoi_gian"] == "15/12/2026"  # ISO date shown as dd/mm/yyyy
    assert r.six_clear["ro_quy_trinh"] == "B1: khảo sát; B2: số hóa"
    assert list(r.six_clear) == [
        "ro_nguoi",
        "ro_viec",
        "ro_quy_trinh",
        "ro_thoi_gian",
        "ro_trach_nhiem",
        "ro_san_pham",
    ]
    assert r.counts == {
        "registered": 20,  # "20,0"
        "registered_item": 19,
        "proficient": 18,  # " 18 "
        "handbook": 15,  # "mười lăm"
        "social_declared": 22,
        "positive_sharing": 17,
        "trained": 21,
        "bdhvs_completed": 12,
    }
    # a formula-like answer is kept as plain text; a blank paragraph is None
    assert r.good_practices == '=IMPORTXML("http://x","//a")'
    assert r.difficulties is None


def test_every_submission_is_kept_the_latest_is_picked_later():
    first = form_a(**{"\ufeffDấu thời gian": "01/06/2026 08:00:00", "Tiến độ nhiệm vụ": ""})
    second = form_a(**{"Tên Chi Bộ ": "kp3"})
    ns = run(SourceKind.BRANCH_STATS, [second, first])
    assert len(ns.records) == 2
    latest = latest_by(ns.records, lambda r: r.branch_code)["CB03"]
    assert latest.row_label == "Dòng 2" and latest.task_progress == "Đang thực hiện"


def test_question_added_later_is_blank_for_older_rows_without_a_problem():
    ns = run(SourceKind.BRANCH_STATS, [form_a(**{BDHVS: ""})])
    assert ns.problems == ()
    assert ns.records[0].counts["bdhvs_completed"] is None


def test_participants_above_eligible_members_is_rejected_with_the_figures():
    ns = run(SourceKind.BRANCH_STATS, [form_a(**{PARTICIPANTS_NFD: "25"})])
    (p,) = ns.problems
    assert p.reason == (
        "Số đảng viên tham gia (25) lớn hơn số đảng viên phải sinh hoạt "
        "(22 = 24 − 2 miễn sinh hoạt); không được tính"
    )
    assert (p.record, p.field, p.raw_value, p.branch_code) == (
        "Dòng 2",
        PARTICIPANTS_NFD,  # the column title as it appears in the source
        "25",
        "CB03",
    )
    assert ns.records[0].participants is None
    assert ns.records[0].total_members == 24  # the rest of the row still counts


def test_participants_checked_against_the_roster_when_figures_are_not_reported():
    row = form_a(
        **{
            "Tổng số đảng viên của chi bộ": "",
            "Số đảng viên được miễn sinh hoạt": "",
            PARTICIPANTS_NFD: "23",
        }
    )
    ns = run(SourceKind.BRANCH_STATS, [row])
    (p,) = ns.problems
    assert "(22 = 24 − 2 miễn sinh hoạt, theo danh sách đảng viên)" in p.reason
    assert ns.records[0].participants is None
    ok = run(SourceKind.BRANCH_STATS, [{**row, PARTICIPANTS_NFD: "22"}])
    assert ok.problems == () and ok.records[0].participants == 22


def test_exempt_above_total_and_counts_above_total():
    row = form_a(
        **{
            "Số đảng viên được miễn sinh hoạt": "30",
            "Số đảng viên sử dụng Sổ tay đảng viên điện tử": "40",
        }
    )
    ns = run(SourceKind.BRANCH_STATS, [row])
    reasons = {p.field: p.reason for p in ns.problems}
    assert reasons["Số đảng viên được miễn sinh hoạt"] == (
        "Số đảng viên được miễn sinh hoạt (30) lớn hơn tổng số đảng viên của chi bộ (24); "
        "không được tính"
    )
    assert (
        "(40) lớn hơn tổng số đảng viên của chi bộ (24)"
        in reasons["Số đảng viên sử dụng Sổ tay đảng viên điện tử"]
    )
    r = ns.records[0]
    assert r.exempt_members is None and r.counts["handbook"] is None
    assert r.participants == 21  # 21 <= 24 − 2 (roster's exempt count stands in)


def test_count_above_roster_when_total_not_reported():
    row = form_a(
        **{
            "Tổng số đảng viên của chi bộ": "",
            "Số đảng viên đã khai báo tài khoản mạng xã hội": "25",
        }
    )
    ns = run(SourceKind.BRANCH_STATS, [row])
    (p,) = ns.problems
    assert "số đảng viên của chi bộ theo danh sách (24)" in p.reason
    assert ns.records[0].counts["social_declared"] is None


@pytest.mark.parametrize(
    "value, words", [("-3", "âm"), ("12,5", "số nguyên"), ("khoảng hai chục", "không đọc được")]
)
def test_bad_counts_are_problems_and_left_out(value: str, words: str):
    ns = run(SourceKind.BRANCH_STATS, [form_a(**{"Tổng số đảng viên của chi bộ": value})])
    (p,) = [p for p in ns.problems if p.field == "Tổng số đảng viên của chi bộ"]
    assert words in p.reason.lower() and p.raw_value == value
    assert ns.records[0].total_members is None


def test_unknown_branch_rejects_the_whole_response():
    ns = run(SourceKind.BRANCH_STATS, [form_a(**{"Tên Chi Bộ ": "Chi bộ Tổ dân phố 7"})])
    assert ns.records == ()
    (p,) = ns.problems
    assert (p.record, p.field, p.raw_value, p.branch_code) == (
        "Dòng 2",
        "Tên Chi Bộ",
        "Chi bộ Tổ dân phố 7",
        "",
    )
    assert p.reason.startswith("Không tìm thấy chi bộ") and "không được dùng" in p.reason


def test_campaign_dates_outside_the_year_and_unreadable_deadline():
    row = form_a(
        **{
            "Ngày ban hành kế hoạch của chi bộ": "18/04/2025",
            "Rõ thời gian (thời hạn hoàn thành)": "Quý IV",
        }
    )
    ns = run(SourceKind.BRANCH_STATS, [row])
    by_field = {p.field: p for p in ns.problems}
    assert "không thuộc năm 2026" in by_field["Ngày ban hành kế hoạch của chi bộ"].reason
    assert by_field["Rõ thời gian (thời hạn hoàn thành)"].raw_value == "Quý IV"
    r = ns.records[0]
    assert r.plan_date is None and r.six_clear["ro_thoi_gian"] is None
    assert r.session_date == date(2026, 9, 18)


def test_unknown_choice_and_other_checkbox_text_are_reported_not_counted():
    row = form_a(
        **{
            "Hình thức sinh hoạt": "Qua Zalo",
            "Nội dung đã triển khai tại buổi sinh hoạt": f"{CONTENTS[0]}, Chiếu phim, thảo luận",
            "Có mời báo cáo viên hoặc Tổ công nghệ số cộng đồng hướng dẫn thực hành": "Không",
        }
    )
    ns = run(SourceKind.BRANCH_STATS, [row])
    by_field = {p.field: p for p in ns.problems}
    assert by_field["Hình thức sinh hoạt"].raw_value == "Qua Zalo"
    other = by_field["Nội dung đã triển khai tại buổi sinh hoạt"]
    assert other.raw_value == "Chiếu phim, thảo luận"
    assert "không khớp lựa chọn nào đã biết; không được tính" in other.reason
    r = ns.records[0]
    assert r.session_form is None and r.contents == (CONTENTS[0],)
    assert r.invited_expert is False


def test_unmapped_column_is_one_problem_for_the_source_not_one_per_row():
    rows = [form_a(**{"Ghi chú": "x"}), form_a(**{"Ghi chú": ""})]
    ns = run(SourceKind.BRANCH_STATS, rows, title="Thống kê")
    assert ns.unmapped_columns == ("Ghi chú",)
    (p,) = ns.problems
    assert (p.source, p.record, p.field) == ("Thống kê", "", "Ghi chú")
    assert p.reason == "Cột chưa có trong tệp ánh xạ; dữ liệu của cột này không được dùng"
    assert len(ns.records) == 2


def test_missing_required_column_makes_the_source_unusable():
    row = form_a()
    del row["Tên Chi Bộ "]
    ns = run(SourceKind.BRANCH_STATS, [row, row])
    assert ns.records == ()
    (p,) = ns.problems
    assert (p.record, p.field) == ("", "Tên chi bộ")  # the mapping's first title
    assert p.source == MAPPINGS[SourceKind.BRANCH_STATS].title  # no source title set
    assert "không được dùng" in p.reason


def test_missing_timestamp_column_and_unreadable_timestamp():
    row = form_a()
    del row["\ufeffDấu thời gian"]
    ns = run(SourceKind.BRANCH_STATS, [row])
    assert ns.records == () and ns.problems[0].field == "Dấu thời gian"
    bad = run(SourceKind.BRANCH_STATS, [form_a(**{"\ufeffDấu thời gian": "hôm qua"}), form_a()])
    assert [r.row_label for r in bad.records] == ["Dòng 3"]
    (p,) = bad.problems
    assert (p.record, p.field, p.raw_value) == ("Dòng 2", "Dấu thời gian", "hôm qua")


def test_english_locale_timestamp_header_and_values():
    row = form_a()
    del row["\ufeffDấu thời gian"], row["Địa chỉ email"]
    row = {"Timestamp": "05/06/2026 09:12:44", "Email Address": "kp3@example.vn", **row}
    row["Ngày ban hành kế hoạch của chi bộ"] = "05/04/2026"
    row["Ngày sinh hoạt chuyên đề"] = "09/18/2026"
    ns = run(SourceKind.BRANCH_STATS, [row], locale="en")
    assert ns.problems == ()
    r = ns.records[0]
    assert r.submitted_at == datetime(2026, 5, 6, 9, 12, 44, tzinfo=TZ)  # May 6 in en
    assert (r.plan_date, r.session_date) == (date(2026, 5, 4), date(2026, 9, 18))


# ---------------------------------------------------------------------------------------
# Form B — Biểu mẫu 01
# ---------------------------------------------------------------------------------------

S = {s.id: s.items for s in RUBRIC.registration}
GRID = "Tự đánh giá cuối năm [{}]"
SECTION_TITLES = {
    "s1": "1. Nhận thức và học tập (bắt buộc)",
    "s2": "2. Ứng dụng kỹ năng số trong công việc, cuộc sống (chọn ít nhất 3 nội dung)",
    "s3": "3. Kỹ năng an toàn thông tin (bắt buộc)",
    "s4": "4. Vai trò tiên phong, gương mẫu (chọn ít nhất 2 nội dung)",
    "s5": "5. Kết quả ứng dụng cụ thể",
}


def form_b(**over: str) -> dict[str, str]:
    row = {
        "\ufeffDấu thời gian": "12/11/2026 20:01:02",
        "Họ và tên": "nguyen van an",
        "Ngày sinh": "02/01/1980",
        "Chức vụ, đơn vị công tác": "Chuyên viên, Văn phòng",
        "Nơi sinh hoạt (chi bộ)": "Chi bộ Khu phố 4",
        SECTION_TITLES["s1"]: ", ".join(S["s1"]),
        SECTION_TITLES["s2"]: ", ".join([S["s2"][5], S["s2"][1], S["s2"][2]]),
        SECTION_TITLES["s3"]: ", ".join(S["s3"]),
        SECTION_TITLES["s4"]: ", ".join(S["s4"][2:]),
        SECTION_TITLES["s5"]: "",
        GRID.format("Học tập kỹ năng số"): "Hoàn thành",
        GRID.format("Ứng dụng trong công việc"): "Chưa hoàn thành",
        GRID.format("Bảo mật thông tin"): "",
        GRID.format("Vai trò tiên phong"): "Hoàn thành",
        GRID.format("Kết quả ứng dụng cụ thể"): "Hoàn thành",
    }
    row.update(over)
    return row


def test_form_b_row_becomes_a_registration():
    ns = run(SourceKind.REGISTRATION, [form_b()])
    assert ns.problems == ()
    (r,) = ns.records
    assert isinstance(r, Registration)
    assert (r.member_code, r.branch_code) == ("DV1", "CB04")
    assert r.position == "Chuyên viên, Văn phòng"
    assert (
        r.sections
        == {
            "s1": tuple(S["s1"]),
            "s2": (S["s2"][1], S["s2"][2], S["s2"][5]),  # items with commas, not split
            "s3": tuple(S["s3"]),
            "s4": tuple(S["s4"][2:]),  # 'Tích cực tham gia xây dựng "chi bộ số...", "đảng bộ..."'
            "s5": (),
        }
    )
    assert r.self_assessment == {
        "Học tập kỹ năng số": True,
        "Ứng dụng trong công việc": False,
        "Vai trò tiên phong": True,
        "Kết quả ứng dụng cụ thể": True,
    }  # the blank row is absent


def test_form_b_other_answer_is_a_problem_and_the_known_items_count():
    other = "Hướng dẫn người dân cài VNeID, dịch vụ công"
    ns = run(SourceKind.REGISTRATION, [form_b(**{SECTION_TITLES["s2"]: f"{S['s2'][0]}, {other}"})])
    (p,) = ns.problems
    assert (p.record, p.field, p.raw_value, p.branch_code) == (
        "Dòng 2",
        SECTION_TITLES["s2"],
        other,
        "CB04",
    )
    assert ns.records[0].sections["s2"] == (S["s2"][0],)


def test_form_b_unknown_person_and_wrong_birth_date_reject_the_response():
    ns = run(
        SourceKind.REGISTRATION,
        [form_b(**{"Họ và tên": "Lê Văn Khách"}), form_b(**{"Ngày sinh": "01/02/1980"})],
    )
    assert ns.records == ()
    first, second = ns.problems
    assert (first.record, first.field, first.raw_value) == ("Dòng 2", "Họ và tên", "Lê Văn Khách")
    assert first.reason.startswith(
        "Không tìm thấy đảng viên có họ tên và ngày sinh này trong danh sách"
    )
    assert "trùng họ tên nhưng khác ngày sinh" in second.reason


def test_form_b_twins_are_told_apart_by_the_branch_given():
    twin = {"Họ và tên": "Nguyễn Văn Hùng", "Ngày sinh": "12/03/1975"}
    ns = run(
        SourceKind.REGISTRATION,
        [
            form_b(**twin, **{"Nơi sinh hoạt (chi bộ)": "THCS Lê Lợi"}),
            form_b(**twin, **{"Nơi sinh hoạt (chi bộ)": "khu pho 4"}),
            form_b(**twin, **{"Nơi sinh hoạt (chi bộ)": "Khu phố 3"}),
        ],
    )
    assert [(r.member_code, r.branch_code) for r in ns.records] == [
        ("DV3", "CB07"),
        ("DV2", "CB04"),
    ]
    (p,) = ns.problems
    assert p.record == "Dòng 4" and "nhiều đảng viên cùng họ tên và ngày sinh" in p.reason


@pytest.mark.parametrize(
    "birth, words",
    [("", "Chưa nhập ngày sinh"), ("31/02/1980", "không tồn tại"), ("02/01/2020", "16 tuổi")],
)
def test_form_b_birth_date_missing_or_implausible_rejects(birth: str, words: str):
    ns = run(SourceKind.REGISTRATION, [form_b(**{"Ngày sinh": birth})])
    assert ns.records == ()
    (p,) = ns.problems
    assert p.field == "Ngày sinh" and words in p.reason and "không được dùng" in p.reason


# ---------------------------------------------------------------------------------------
# Form C — Biểu mẫu 02 (an English-locale copy)
# ---------------------------------------------------------------------------------------

CRIT = {c.number: f"Tiêu chí {c.number}. {c.title}" for c in RUBRIC.criteria}


def form_c(scores: Mapping[int, str] | None = None, **over: str) -> dict[str, str]:
    row = {
        "Timestamp": "11/22/2026 10:15:30",
        "Email Address": "an@example.vn",
        "Họ và tên đảng viên": "Nguyễn Văn An",
        "Ngày sinh": "01/02/1980",  # m/d/y: 2 January
        "Nơi sinh hoạt (chi bộ)": "Chi bộ Khu phố 4",
        "Người chấm": "Cấp ủy chấm",
    }
    row.update({CRIT[n]: (scores or {}).get(n, "5") for n in CRIT})
    row.update(over)
    return row


def test_form_c_scores_in_every_shape_the_paper_copies_produce():
    scores = {
        1: "7,5",
        2: "mười",
        4: " 10 ",
        5: "15/15",
        7: "Không áp dụng (tính điểm tối đa)",
        3: "",  # blank: left out silently
    }
    ns = run(SourceKind.SCORING, [form_c(scores)], locale="en")
    assert ns.problems == ()
    (s,) = ns.records
    assert isinstance(s, ScoreSheet)
    assert (s.member_code, s.branch_code, s.scorer) == ("DV1", "CB04", Scorer.COMMITTEE)
    assert s.submitted_at == datetime(2026, 11, 22, 10, 15, 30, tzinfo=TZ)
    assert s.criteria[1] == 7.5 and s.criteria[2] == 10 and s.criteria[4] == 10
    assert s.criteria[5] == 15 and s.criteria[7] == NOT_APPLICABLE
    assert 3 not in s.criteria
    assert set(s.criteria) == set(range(1, 14)) - {3}


def test_form_c_rejected_scores_are_problems_and_left_out():
    ns = run(SourceKind.SCORING, [form_c({4: "12", 9: "khá", 6: "10/15"})], locale="en")
    by_field = {p.field: p for p in ns.problems}
    assert set(by_field) == {CRIT[4], CRIT[9], CRIT[6]}
    assert by_field[CRIT[4]].reason.startswith("Điểm 12 lớn hơn điểm tối đa của tiêu chí (10)")
    assert by_field[CRIT[9]].raw_value == "khá"
    assert "mẫu số" in by_field[CRIT[6]].reason
    assert all(p.branch_code == "CB04" for p in ns.problems)
    assert not {4, 6, 9} & set(ns.records[0].criteria)


def test_form_c_self_scorer_and_scorer_problems():
    ns = run(
        SourceKind.SCORING,
        [
            form_c(**{"Người chấm": "đảng viên tự chấm"}),
            form_c(**{"Người chấm": "Cấp uỷ chấm"}),  # older tone placement
            form_c(**{"Người chấm": "Chi bộ chấm"}),
            form_c(**{"Người chấm": ""}),
        ],
        locale="en",
    )
    assert [r.scorer for r in ns.records] == [Scorer.SELF, Scorer.COMMITTEE]
    assert [(p.record, p.field) for p in ns.problems] == [
        ("Dòng 4", "Người chấm"),
        ("Dòng 5", "Người chấm"),
    ]
    assert "Chưa chọn người chấm" in ns.problems[1].reason


def test_form_c_05_06_2026_is_may_6_so_the_june_sheet_wins():
    early = form_c({1: "1"}, Timestamp="05/06/2026 09:12:44", **{"Người chấm": "Đảng viên tự chấm"})
    late = form_c({1: "9"}, Timestamp="06/01/2026 15:40:05", **{"Người chấm": "Đảng viên tự chấm"})
    ns = run(SourceKind.SCORING, [late, early], locale="en")
    assert sorted(r.submitted_at.date() for r in ns.records) == [date(2026, 5, 6), date(2026, 6, 1)]
    latest = latest_by(ns.records, lambda r: (r.member_code, r.scorer))[("DV1", Scorer.SELF)]
    assert latest.criteria[1] == 9
    # read day-first (vi), the order would flip: that is why the locale is the source's
    vi_rows = [{**r, "Ngày sinh": "02/01/1980"} for r in (late, early)]
    vi = run(SourceKind.SCORING, vi_rows, locale="vi")
    assert {r.submitted_at.date() for r in vi.records} == {date(2026, 6, 5), date(2026, 1, 6)}


def test_form_c_member_not_on_roster_is_rejected():
    ns = run(SourceKind.SCORING, [form_c(**{"Họ và tên đảng viên": "Đặng Thị Nhung"})], locale="en")
    assert ns.records == ()
    (p,) = ns.problems
    assert (p.field, p.raw_value) == ("Họ và tên đảng viên", "Đặng Thị Nhung")


# ---------------------------------------------------------------------------------------
# Export D — "Bình dân học vụ số"
# ---------------------------------------------------------------------------------------


def learner(
    name: str, birth: str, unit: str, lessons: str, result: str, done: str
) -> dict[str, str]:
    return {
        "Họ và tên": name,
        "Ngày sinh": birth,
        "Đơn vị": unit,
        "Số bài học đã hoàn thành": lessons,
        "Kết quả đánh giá": result,
        "Ngày hoàn thành": done,
    }


def test_learning_members_non_members_and_unknown_units():
    rows = [
        learner("NGUYỄN VĂN AN", "02/01/1980", "khu pho 4", "10", "Đạt", "15/09/2026"),
        learner("Phạm Thị Dân", "03/03/1999", "KP3", "7", "", ""),  # not a party member
        learner("Nguyễn Văn Hùng", "12/03/1975", "THCS Lê Lợi", "10", "Chưa đạt", ""),
        learner("Lê Thị Khách", "01/01/1990", "Công ty TNHH Minh Phát", "3", "", ""),
        learner("Nguyễn Văn Hùng", "12/03/1975", "Khu phố 3", "10", "Đạt", "01/10/2026"),
        learner("Trần Thị Lan", "05/09/1980", "THCS Lê Lợi", "10", "Đạt", "2026-10-01"),
    ]
    ns = run(SourceKind.LEARNING, rows)
    got = {r.row_label: r for r in ns.records}
    assert all(isinstance(r, LearningRecord) for r in ns.records)
    an = got["Dòng 2"]
    assert (an.member_code, an.branch_code, an.lessons_completed, an.passed) == (
        "DV1",
        "CB04",
        10,
        True,
    )
    assert an.completed_on == date(2026, 9, 15)
    # no timestamp column in this export: a deterministic stand-in, never the clock
    assert an.submitted_at == datetime(2026, 9, 15, tzinfo=TZ)
    resident = got["Dòng 3"]
    assert (resident.member_code, resident.branch_code, resident.passed) == ("", "CB03", None)
    assert got["Dòng 4"].member_code == "DV3" and got["Dòng 4"].passed is False
    assert "Dòng 5" not in got and "Dòng 6" not in got
    unknown_unit = only(ns, "Dòng 5")
    assert [(p.field, p.raw_value) for p in unknown_unit] == [("Đơn vị", "Công ty TNHH Minh Phát")]
    ambiguous = only(ns, "Dòng 6")
    assert [p.field for p in ambiguous] == ["Họ và tên"]
    assert "nhiều đảng viên cùng họ tên" in ambiguous[0].reason
    # a namesake of a member with another birth date counts as a non-member, with a hint
    lan = got["Dòng 7"]
    assert (lan.member_code, lan.branch_code) == ("", "CB07")
    (hint,) = only(ns, "Dòng 7")
    assert hint.field == "Ngày sinh" and "khác ngày sinh" in hint.reason


# ---------------------------------------------------------------------------------------
# Forms API — answers keyed by question id
# ---------------------------------------------------------------------------------------


def test_forms_api_answers_lists_iso_dates_and_utc_times():
    titles = {
        "q_name": "Họ và tên",
        "q_birth": "Ngày sinh",
        "q_branch": "Nơi sinh hoạt (chi bộ)",
        "q_s2": SECTION_TITLES["s2"],
        "q_g1": GRID.format("Học tập kỹ năng số"),
        "q_g3": GRID.format("Bảo mật thông tin"),
        "q_new": "Câu hỏi mới thêm",
    }
    raw = RawResponse(
        source_id="src_registration",
        response_id="ACYDBNabc",
        row_label="Phản hồi ACYDBNabc",
        answers={
            "q_name": ["Nguyễn Văn An"],
            "q_birth": ["1980-01-02"],
            "q_branch": ["Chi bộ Khu phố 4"],
            "q_s2": [S["s2"][5], S["s2"][1], "Tự học qua YouTube"],
            "q_g1": ["Hoàn thành"],
            "q_g3": ["Chưa hoàn thành"],
        },
        submitted_at=datetime(2026, 11, 21, 18, 30, tzinfo=UTC),
        keyed_by="question_id",
    )
    no_time = RawResponse(
        "src_registration",
        "ACYDBNdef",
        "Phản hồi ACYDBNdef",
        dict(raw.answers),
        None,
        "question_id",
    )
    ns = run(SourceKind.REGISTRATION, [raw, no_time], question_titles=titles)
    (r,) = ns.records
    assert r.member_code == "DV1"
    assert r.submitted_at == datetime(2026, 11, 22, 1, 30, tzinfo=TZ)  # UTC -> local
    assert r.submitted_at.tzinfo == TZ
    assert r.sections["s2"] == (S["s2"][1], S["s2"][5])
    assert r.self_assessment == {"Học tập kỹ năng số": True, "Bảo mật thông tin": False}
    assert ns.unmapped_columns == ("Câu hỏi mới thêm",)
    problems = {(p.record, p.field, p.raw_value) for p in ns.problems}
    assert ("Phản hồi ACYDBNabc", SECTION_TITLES["s2"], "Tự học qua YouTube") in problems
    assert ("", "Câu hỏi mới thêm", "") in problems
    assert any(p.record == "Phản hồi ACYDBNdef" for p in ns.problems)  # no submission time


def test_empty_source_gives_nothing():
    ns = run(SourceKind.SCORING, [])
    assert (ns.records, ns.problems, ns.unmapped_columns) == ((), (), ())
    assert ns.kind == SourceKind.SCORING and ns.source_id == "src_scoring"


def test_form_c_committee_cell_out_of_range_holds_the_sheet_for_review():
    ns = run(SourceKind.SCORING, [form_c({5: "17"})], locale="en")
    (p,) = ns.problems
    (s,) = ns.records
    # the problem names the cell (row and column) and says what happens to the member
    assert (p.record, p.field, p.raw_value) == ("Dòng 2", CRIT[5], "17")
    assert p.reason.startswith("Điểm 17 lớn hơn điểm tối đa của tiêu chí (15)")
    assert '"Cần kiểm tra lại"' in p.reason
    assert s.rejected == (5,) and 5 not in s.criteria


def test_form_c_self_sheet_wrong_cell_is_only_left_out():
    ns = run(
        SourceKind.SCORING, [form_c({5: "17"}, **{"Người chấm": "Đảng viên tự chấm"})], locale="en"
    )
    (p,) = ns.problems
    assert "Cần kiểm tra lại" not in p.reason
