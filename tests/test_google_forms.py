"""Forms API source: the pure pieces (full-read schedule, cursor, form structure, drift),
then FormsSource through the real google-api-python-client against the fake Workspace,
with the real StateStore and normaliser."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from sync.config import SourceConfig
from sync.drift import mapping_drift
from sync.google.apis import GoogleApis
from sync.google.forms_source import (
    EMAIL_KEY,
    FormsCursor,
    FormsSource,
    form_questions,
    needs_full_read,
    question_titles,
    to_raw_response,
)
from sync.mapping import load_mapping
from sync.model import (
    NOT_APPLICABLE,
    Branch,
    Member,
    Registration,
    Roster,
    Scorer,
    ScoreSheet,
    SourceKind,
)
from sync.normalize import normalize_source
from sync.sources.files import FetchResult, SourceError
from sync.state import StateStore
from tests.conftest import ROOT, RUBRIC, TZ
from tests.fake_google import FakeWorkspace
from tests.fake_google.clients import fake_apis
from tests.fake_google.forms_builder import grid, page_break, question

MAPPINGS = {k: load_mapping(ROOT / "mappings" / f"{k}.yaml") for k in SourceKind}
SCORER = ["Đảng viên tự chấm", "Cấp ủy chấm"]
NA = "Không áp dụng (tính điểm tối đa)"


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)  # type: ignore[misc]


# -- needs_full_read -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last_full", "now", "expected"),
    [
        (None, local(2026, 11, 22, 10, 0), True),  # never read in full
        (local(2026, 11, 22, 2, 5), local(2026, 11, 22, 10, 0), False),  # tonight's done
        (local(2026, 11, 21, 23, 0), local(2026, 11, 22, 1, 59), False),  # 02:00 not yet
        (local(2026, 11, 21, 23, 0), local(2026, 11, 22, 2, 0), True),  # 02:00 reached
        (local(2026, 11, 21, 2, 30), local(2026, 11, 22, 1, 0), False),  # last night's
        (local(2026, 11, 20, 2, 30), local(2026, 11, 22, 1, 0), True),  # a night was missed
    ],
)
def test_needs_full_read_nightly(last_full: datetime | None, now: datetime, expected: bool):
    assert needs_full_read(last_full, now, time(2, 0), TZ) is expected


def test_needs_full_read_compares_instants_across_zones() -> None:
    # 19:30 UTC on the 21st is 02:30 local on the 22nd: after tonight's 02:00
    last = datetime(2026, 11, 21, 19, 30, tzinfo=UTC)
    assert not needs_full_read(last, local(2026, 11, 22, 9, 0), time(2, 0), TZ)
    assert needs_full_read(last, local(2026, 11, 23, 2, 1), time(2, 0), TZ)
    assert needs_full_read(last, local(2026, 11, 22, 23, 0), time(23, 0), TZ)


def test_cursor_round_trip_and_unknown_cursor() -> None:
    c = FormsCursor(datetime(2026, 11, 22, 3, 15, 30, 5, tzinfo=UTC), local(2026, 11, 22, 2))
    assert FormsCursor.loads(c.dumps()) == c
    assert FormsCursor.loads(FormsCursor(None, None).dumps()) == FormsCursor(None, None)
    for bad in (None, "", "row:12", "{}", '{"v": 2}', '{"v": 1, "newest": "hôm qua"}'):
        assert FormsCursor.loads(bad) is None


# -- forms as the Forms API returns them (built with the fake's item builders) --------------


def scoring_items() -> list[dict[str, Any]]:
    items = [
        question("q_name", "Họ và tên đảng viên"),
        question("q_birth", "Ngày sinh", "date"),
        question("q_branch", "Nơi sinh hoạt (chi bộ)", "dropdown", ["Chi bộ Khu phố 3"]),
        question("q_scorer", "Người chấm", "radio", SCORER),
        page_break("Phần chấm điểm"),
    ]
    for c in RUBRIC.criteria:
        options = [str(v) for v in range(int(c.max) + 1)] + [NA]
        items.append(
            question(f"q_c{c.number}", f"Tiêu chí {c.number}. {c.title}", "dropdown", options)
        )
    return items


GRID_ROWS = [
    ("r1", "Học tập kỹ năng số"),
    ("r2", "Ứng dụng trong công việc"),
    ("r3", "Bảo mật thông tin"),
    ("r4", "Vai trò tiên phong"),
    ("r5", "Kết quả ứng dụng cụ thể"),
]


def registration_items() -> list[dict[str, Any]]:
    mapping = MAPPINGS[SourceKind.REGISTRATION]
    items = [
        question("n", "Họ và tên"),
        question("b", "Ngày sinh", "date"),
        question("p", "Chức vụ, đơn vị công tác"),
        question("c", "Nơi sinh hoạt (chi bộ)", "dropdown", ["Chi bộ Khu phố 3"]),
    ]
    for s in RUBRIC.registration:
        title = mapping.field_map(f"section:{s.id}").titles[0]  # type: ignore[union-attr]
        items.append(question(s.id, title, "checkbox", list(s.items)))
    items.append(grid("Tự đánh giá cuối năm", GRID_ROWS, ["Hoàn thành", "Chưa hoàn thành"]))
    return items


def form_of(items: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"formId": "F", "info": {"title": "Biểu mẫu"}, "items": items, **extra}


def options_of(item: dict[str, Any]) -> list[dict[str, Any]]:
    if "questionGroupItem" in item:
        return item["questionGroupItem"]["grid"]["columns"]["options"]
    return item["questionItem"]["question"]["choiceQuestion"]["options"]


def by_title(items: list[dict[str, Any]], start: str) -> dict[str, Any]:
    return next(i for i in items if i["title"].startswith(start))


def test_question_titles_grid_rows_like_csv_columns_and_email() -> None:
    form = form_of(
        [
            question("a", "  Họ và  tên "),
            page_break("Phần 2"),
            grid("Tự đánh giá cuối năm", [("r1", "Học tập kỹ năng số")], ["Hoàn thành"]),
        ],
        settings={"emailCollectionType": "VERIFIED"},
    )
    assert question_titles(form) == {
        "a": "Họ và tên",
        "r1": "Tự đánh giá cuối năm [Học tập kỹ năng số]",
        EMAIL_KEY: "Địa chỉ email",
    }
    assert form_questions(form)[1].options == ("Hoàn thành",)


def test_response_becomes_raw_response_keyed_by_question_id() -> None:
    raw = to_raw_response(
        "bm02",
        {
            "responseId": "ACYDBNj1234567890",
            "createTime": "2026-11-22T03:00:00Z",
            "lastSubmittedTime": "2026-11-22T03:15:30.123456789Z",
            "respondentEmail": "a@x.vn",
            "answers": {
                "q_name": {"questionId": "q_name", "textAnswers": {"answers": [{"value": "An"}]}},
                "q_c1": {"questionId": "q_c1", "textAnswers": {"answers": [{"value": "7"}]}},
                "q_file": {"questionId": "q_file", "fileUploadAnswers": {"answers": []}},
            },
        },
    )
    assert raw.response_id == "ACYDBNj1234567890"
    assert raw.row_label == "Phản hồi ACYDBNj123…"
    assert raw.answers == {"q_name": ["An"], "q_c1": ["7"], EMAIL_KEY: ["a@x.vn"]}
    assert raw.submitted_at == datetime(2026, 11, 22, 3, 15, 30, 123456, tzinfo=UTC)
    assert raw.keyed_by == "question_id"


# -- mapping drift ---------------------------------------------------------------------------


def _drift(items: list[dict[str, Any]], kind: SourceKind = SourceKind.SCORING, mapping=None):
    questions = form_questions(form_of(items))
    return mapping_drift(mapping or MAPPINGS[kind], questions, "Biểu mẫu 02", rubric=RUBRIC)


def test_reference_forms_have_no_drift() -> None:
    assert _drift(scoring_items()) == []
    assert _drift(registration_items(), SourceKind.REGISTRATION) == []


def test_removed_required_question_is_reported() -> None:
    items = [i for i in scoring_items() if i["title"] != "Người chấm"]
    (p,) = _drift(items)
    assert (p.source, p.record, p.field) == ("Biểu mẫu 02", "", "Người chấm")
    assert "Không còn câu hỏi này trên biểu mẫu" in p.reason
    assert "câu hỏi bắt buộc" in p.reason


def test_retitled_question_beyond_aliases_is_reported_as_gone() -> None:
    items = scoring_items()
    items[1] = question("q_birth", "Năm sinh của đồng chí", "date")
    problems = _drift(items)
    assert [p.field for p in problems] == ["Ngày sinh"]
    assert "bắt buộc" in problems[0].reason


def test_question_bound_by_id_whose_title_changed() -> None:
    mapping = MAPPINGS[SourceKind.SCORING]
    fields = [
        f.model_copy(update={"question_id": "q_birth"}) if f.field == "birth_date" else f
        for f in mapping.fields
    ]
    by_id = mapping.model_copy(update={"fields": fields})
    items = scoring_items()
    items[1] = question("q_birth", "Năm sinh của đồng chí", "date")
    (p,) = _drift(items, mapping=by_id)
    assert p.field == "Ngày sinh"
    assert p.raw_value == "Năm sinh của đồng chí"
    assert "đã đổi tiêu đề" in p.reason and "q_birth" in p.reason


def test_new_choice_unknown_to_the_mapping() -> None:
    items = scoring_items()
    scorer = by_title(items, "Người chấm")
    options_of(scorer).append({"value": "Chi ủy chấm"})
    options_of(scorer).append({"isOther": True})  # "Khác": reported answer by answer
    c3 = by_title(items, "Tiêu chí 3.")
    options_of(c3).append({"value": "6"})  # above the rubric's maximum (5)
    problems = _drift(items)
    assert [(p.field, p.raw_value) for p in problems] == [
        ("Người chấm", "Chi ủy chấm"),
        (c3["title"], "6"),
    ]
    assert all("Lựa chọn mới chưa có trong tệp ánh xạ" in p.reason for p in problems)


def test_registration_sections_are_checked_against_the_rubric() -> None:
    items = registration_items()
    s2 = by_title(items, "2.")
    options_of(s2).append({"value": "Sử dụng chữ ký số"})
    assessment = items[-1]
    assessment["questionGroupItem"]["questions"].pop()  # a grid row removed
    options_of(assessment).append({"value": "Một phần"})
    mapping = MAPPINGS[SourceKind.REGISTRATION]
    questions = form_questions(form_of(items))
    problems = mapping_drift(mapping, questions, "BM01", rubric=RUBRIC)
    assert sorted((p.field, p.raw_value) for p in problems) == [
        (s2["title"], "Sử dụng chữ ký số"),
        ("Tự đánh giá cuối năm", "Một phần"),
        ("Tự đánh giá cuối năm [Kết quả ứng dụng cụ thể]", ""),
    ]
    # without the rubric the sections' items are unknown here: not reported
    assert len(mapping_drift(mapping, questions, "BM01")) == 2


# ---------------------------------------------------------------------------------------
# FormsSource against the fake
# ---------------------------------------------------------------------------------------

F02 = "FORM_BM02"
F01 = "FORM_BM01"
ROSTER = Roster(
    branches=(Branch("CB03", "Chi bộ Khu phố 3", ("KP3",)),),
    members=(
        Member("DV1", "Nguyễn Văn An", date(1980, 1, 2), "CB03"),
        Member("DV2", "Trần Thị Lan", date(1985, 8, 5), "CB03"),
    ),
)
DAY = local(2026, 11, 22, 10, 0)  # a Sunday morning; the nightly full read is at 02:00


def scores(name: str, birth: str, scorer: str, **overrides: str) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "q_name": name,
        "q_birth": birth,
        "q_branch": "Chi bộ Khu phố 3",
        "q_scorer": scorer,
    }
    for c in RUBRIC.criteria:
        answers[f"q_c{c.number}"] = str(int(c.max) - 1)
    answers.update(overrides)
    return answers


@pytest.fixture
def fake() -> Iterator[FakeWorkspace]:
    with FakeWorkspace() as f:
        f.add_form(F02, "Biểu mẫu 02", scoring_items(), email_collection="VERIFIED")
        f.add_form(F01, "Biểu mẫu 01", registration_items())
        yield f


@pytest.fixture
def apis(fake: FakeWorkspace) -> GoogleApis:
    return fake_apis(fake, max_attempts=3)


def scoring_source(apis: GoogleApis, **kw: Any) -> FormsSource:
    return FormsSource(
        apis,
        "bm02",
        F02,
        MAPPINGS[SourceKind.SCORING],
        source_title="Biểu mẫu 02",
        tz=TZ,
        rubric=RUBRIC,
        **kw,
    )


def list_calls(fake: FakeWorkspace):
    return fake.calls("forms", "forms.forms.responses.list")


def store(db: StateStore, result: FetchResult, now: datetime):
    return db.store_responses(
        "bm02", result.responses, complete=result.complete, now=now, cursor=result.cursor
    )


def test_incremental_sync_reads_only_new_and_edited_responses(
    fake: FakeWorkspace, apis: GoogleApis
) -> None:
    old = fake.add_response(F02, scores("Nguyễn Văn An", "1980-01-02", SCORER[0]), submitted=DAY)
    fake.add_response(
        F02, scores("Trần Thị Lan", "1985-08-05", SCORER[0]), submitted=DAY + timedelta(minutes=1)
    )
    source, db = scoring_source(apis), StateStore(":memory:")

    first = source.fetch(None, DAY + timedelta(minutes=30))
    assert first.complete and len(first.responses) == 2
    assert "filter" not in list_calls(fake)[0].query
    assert store(db, first, DAY + timedelta(minutes=30)).new == 2

    # idle: one forms.get and one responses.list, filtered from the newest answer minus
    # the overlap (5 minutes)
    fake.reset_requests()
    idle = source.fetch(db.cursor("bm02"), DAY + timedelta(minutes=60))
    assert [r.method_id for r in fake.calls()] == [
        "forms.forms.get",
        "forms.forms.responses.list",
    ]
    assert list_calls(fake)[0].query["filter"] == ["timestamp >= 2026-11-22T02:56:00Z"]
    assert not idle.complete
    changes = store(db, idle, DAY + timedelta(minutes=60))
    assert (changes.new, changes.changed, changes.deleted) == (0, 0, 0)

    # a new response and an edit of the first one: only those two come back
    fake.add_response(
        F02, scores("Nguyễn Văn An", "1980-01-02", SCORER[1]), submitted=DAY + timedelta(hours=2)
    )
    fake.edit_response(
        F02,
        old,
        scores("Nguyễn Văn An", "1980-01-02", SCORER[0], q_c1="0"),
        DAY + timedelta(hours=2, minutes=1),
    )
    fake.reset_requests()
    later = source.fetch(db.cursor("bm02"), DAY + timedelta(hours=3))
    assert len(fake.calls()) == 2
    assert list_calls(fake)[0].query["filter"] == ["timestamp >= 2026-11-22T02:56:00Z"]
    assert {r.response_id for r in later.responses} >= {old}
    assert len(later.responses) == 3  # the second answer is inside the overlap: harmless
    changes = store(db, later, DAY + timedelta(hours=3))
    assert (changes.new, changes.changed, changes.deleted) == (1, 1, 0)
    edited = next(r for r in db.responses("bm02") if r.response_id == old)
    assert edited.answers["q_c1"] == ["0"]  # the edit replaced the earlier version
    assert edited.submitted_at == (DAY + timedelta(hours=2, minutes=1)).astimezone(UTC)
    assert len(db.responses("bm02")) == 3

    # the cursor moved on to the newest answer
    fake.reset_requests()
    source.fetch(db.cursor("bm02"), DAY + timedelta(hours=4))
    assert list_calls(fake)[0].query["filter"] == ["timestamp >= 2026-11-22T04:56:00Z"]


def test_paging_over_5000_responses(fake: FakeWorkspace, apis: GoogleApis) -> None:
    answers = {"q_name": "Nguyễn Văn An"}  # small answers: the paging is what is tested
    for i in range(12_000):
        fake.add_response(F02, answers, submitted=DAY - timedelta(seconds=12_000 - i))
    fake.reset_requests()
    result = scoring_source(apis).fetch(None, DAY)
    assert len(result.responses) == 12_000
    assert len({r.response_id for r in result.responses}) == 12_000
    calls = list_calls(fake)
    assert len(calls) == 3
    assert [c.query["pageSize"] for c in calls] == [["5000"]] * 3
    assert "pageToken" not in calls[0].query and "pageToken" in calls[2].query
    assert apis.calls["forms"] == 4  # one forms.get, three pages


def test_deletion_is_found_by_the_nightly_full_read(fake: FakeWorkspace, apis: GoogleApis) -> None:
    keep = fake.add_response(F02, scores("Nguyễn Văn An", "1980-01-02", SCORER[0]), submitted=DAY)
    gone = fake.add_response(F02, scores("Trần Thị Lan", "1985-08-05", SCORER[0]), submitted=DAY)
    source, db = scoring_source(apis), StateStore(":memory:")
    store(db, source.fetch(None, DAY), DAY)
    fake.delete_response(F02, gone)

    afternoon = DAY + timedelta(hours=4)
    during_day = source.fetch(db.cursor("bm02"), afternoon)
    assert not during_day.complete
    assert store(db, during_day, afternoon).deleted == 0  # an incremental read cannot tell

    night = local(2026, 11, 23, 2, 5)
    nightly = source.fetch(db.cursor("bm02"), night)
    assert nightly.complete and "filter" not in list_calls(fake)[-1].query
    assert store(db, nightly, night).deleted == 1
    assert [r.response_id for r in db.responses("bm02")] == [keep]

    # the next fetch the same night is incremental again
    assert not source.fetch(db.cursor("bm02"), night + timedelta(minutes=30)).complete
    state = FormsCursor.loads(db.cursor("bm02"))
    assert state is not None and state.last_full == night


def test_an_unreadable_cursor_means_a_full_read(fake: FakeWorkspace, apis: GoogleApis) -> None:
    fake.add_response(F02, scores("Nguyễn Văn An", "1980-01-02", SCORER[0]), submitted=DAY)
    result = scoring_source(apis).fetch('{"v": 99}', DAY)
    assert result.complete and len(result.responses) == 1
    assert json.loads(result.cursor or "")["v"] == 1


def test_mapping_drift_is_reported_with_the_fetch(fake: FakeWorkspace, apis: GoogleApis) -> None:
    items = scoring_items()
    items = [i for i in items if not i["title"].startswith("Ngày sinh")]  # removed
    by_title(items, "Tiêu chí 2.")["title"] = "Mức độ vận dụng kiến thức"  # retitled
    options_of(by_title(items, "Người chấm")).append({"value": "Tổ đảng chấm"})  # new choice
    fake.set_form_items(F02, items)
    result = scoring_source(apis).fetch(None, DAY)
    found = {(p.field, p.raw_value): p.reason for p in result.problems}
    assert set(found) == {
        ("Ngày sinh", ""),
        (MAPPINGS[SourceKind.SCORING].field_map("criterion:2").titles[0], ""),  # type: ignore[union-attr]
        ("Người chấm", "Tổ đảng chấm"),
    }
    assert "câu hỏi bắt buộc" in found[("Ngày sinh", "")]
    assert all(p.source == "Biểu mẫu 02" and p.record == "" for p in result.problems)


def test_errors_become_source_errors_in_vietnamese(fake: FakeWorkspace, apis: GoogleApis) -> None:
    # a missing or unshared form: tests/test_contract_source.py
    fake.fail_next(5, 503, api="forms")
    with pytest.raises(SourceError, match="tạm thời không phản hồi sau 3 lần thử"):
        scoring_source(apis).fetch(None, DAY)


# -- what the normaliser makes of it -------------------------------------------------------


def test_scoring_form_responses_normalise_into_score_sheets(
    fake: FakeWorkspace, apis: GoogleApis
) -> None:
    fake.add_response(
        F02,
        scores("nguyen van an", "1980-01-02", SCORER[0], q_c13=NA),
        submitted=DAY,
        email="an@x.vn",
    )
    fake.add_response(
        F02,
        scores("NGUYỄN VĂN AN", "1980-01-02", SCORER[1], q_c1="10"),
        submitted=DAY + timedelta(minutes=3),
    )
    fake.add_response(F02, scores("Người Lạ", "1990-01-01", SCORER[0]), submitted=DAY)
    result = scoring_source(apis).fetch(None, DAY + timedelta(hours=1))
    src = SourceConfig(
        id="bm02", kind=SourceKind.SCORING, mapping=Path("m.yaml"), form_id=F02, title="BM02"
    )
    ns = normalize_source(
        src,
        MAPPINGS[SourceKind.SCORING],
        RUBRIC,
        ROSTER,
        result.responses,
        year=2026,
        tz=TZ,
        question_titles=result.question_titles,
    )
    sheets = sorted((r for r in ns.records if isinstance(r, ScoreSheet)), key=lambda r: r.scorer)
    assert [(r.member_code, r.branch_code, r.scorer) for r in sheets] == [
        ("DV1", "CB03", Scorer.COMMITTEE),
        ("DV1", "CB03", Scorer.SELF),
    ]
    committee, self_ = sheets
    assert committee.criteria[1] == 10 and len(committee.criteria) == 13
    assert self_.criteria[13] == NOT_APPLICABLE
    assert self_.criteria[1] == RUBRIC.criterion(1).max - 1
    assert self_.submitted_at == DAY
    assert self_.row_label.startswith("Phản hồi ACYDBN")
    # the stranger is rejected with a reason; nothing is unmapped (e-mail included)
    assert [p.record for p in ns.problems] == [
        next(r.row_label for r in result.responses if r.answers["q_name"] == ["Người Lạ"])
    ]
    assert ns.unmapped_columns == ()


def test_registration_form_responses_normalise_into_registrations(
    fake: FakeWorkspace, apis: GoogleApis
) -> None:
    s1, s2, s3, s4, s5 = (s.items for s in RUBRIC.registration)
    fake.add_response(
        F01,
        {
            "n": "Trần Thị Lan",
            "b": "1985-08-05",
            "p": "Cán bộ phường",
            "c": "Chi bộ Khu phố 3",
            "s1": list(s1),
            "s2": [s2[0], s2[5], s2[1]],  # a choice holding commas stays one choice
            "s3": list(s3),
            "s4": s4[:2],
            "s5": [s5[0]],
            "r1": "Hoàn thành",
            "r2": "Chưa hoàn thành",
        },
        submitted=DAY,
    )
    source = FormsSource(
        apis,
        "bm01",
        F01,
        MAPPINGS[SourceKind.REGISTRATION],
        source_title="Biểu mẫu 01",
        tz=TZ,
        rubric=RUBRIC,
    )
    result = source.fetch(None, DAY)
    assert result.problems == ()
    assert result.question_titles["r2"] == "Tự đánh giá cuối năm [Ứng dụng trong công việc]"
    src = SourceConfig(id="bm01", kind=SourceKind.REGISTRATION, mapping=Path("m.yaml"), form_id=F01)
    ns = normalize_source(
        src,
        MAPPINGS[SourceKind.REGISTRATION],
        RUBRIC,
        ROSTER,
        result.responses,
        year=2026,
        tz=TZ,
        question_titles=result.question_titles,
    )
    assert ns.problems == ()
    (reg,) = ns.records
    assert isinstance(reg, Registration)
    assert (reg.member_code, reg.position) == ("DV2", "Cán bộ phường")
    assert set(reg.sections["s2"]) == {s2[0], s2[1], s2[5]}
    assert reg.sections["s1"] == tuple(s1)
    assert reg.self_assessment == {
        "Học tập kỹ năng số": True,
        "Ứng dụng trong công việc": False,
    }
