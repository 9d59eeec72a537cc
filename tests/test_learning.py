"""'Bình dân học vụ số' (seed 003): the staff roster, matching the platform's export to it,
progress per learner / unit / branch / group, targets, the tabs and the follow-up e-mails.

Expected figures come from the sample generator's truth (tools.sample_ward.staff) or are written
by hand here, never from the code under test."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml

from scoring.learning import (
    STATUS_LEARNING,
    STATUS_NOT_STARTED,
    STATUS_PASSED,
    LearnerProgress,
    learning_progress,
    target_result,
)
from sync.alerts_learning import follow_up_occurrence, plan_learning
from sync.backend import load_inputs
from sync.config import SourceConfig, load_config
from sync.errors import ConfigError
from sync.evaluation import Evaluation, evaluate
from sync.learning_config import LearningFollowUp, LearningTarget
from sync.mail import render_alert
from sync.mapping import load_mapping
from sync.model import (
    AlertKind,
    Branch,
    LearningRecord,
    LedgerEntry,
    Member,
    RawResponse,
    Roster,
    SourceKind,
    StaffMember,
)
from sync.normalize import normalize_source
from sync.roster import RosterTable, load_roster, roster_from_tables
from sync.sources.files import FileSource
from sync.staff import effective_staff, staff_problems
from sync.tables import build_tables
from tests.conftest import ROOT, RUBRIC, TZ, copy_sample_ward
from tests.letters_util import outbox_items
from tools.sample_ward import generate
from tools.sample_ward.staff import (
    HOMONYM,
    HOMONYM_UNITS,
    STAFF_FILE,
    UNIT_EXPORT_FILE,
    UNIT_EXPORT_HEADER,
    UNKNOWN_LEARNER,
)

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=TZ)  # the sample's moment (a Monday, in window)
LEARNING = load_mapping(ROOT / "mappings" / "learning.yaml")

BRANCHES = (
    Branch("CB01", "Chi bộ Văn phòng", ("VP",), secretary_email="a@x.vn"),
    Branch("CB02", "Chi bộ Trường học", ("TH",), secretary_email="b@x.vn"),
)
MEMBERS = (
    Member("DV1", "Nguyễn Văn An", date(1980, 1, 2), "CB01"),
    Member("DV2", "Trần Thị Bình", date(1985, 5, 6), "CB02"),  # not in the staff roster
)
STAFF_HEADER = "Mã cán bộ,Họ và tên,Ngày sinh,Đơn vị,Mã chi bộ,Nhóm,Mã đảng viên\n"
STAFF_ROWS = (
    "NS1,Nguyễn Văn An,02/01/1980,Phòng Kinh tế,CB01,Công chức,DV1\n"
    "NS2,Lê Thị Hà,14/06/1988,Phòng Kinh tế,CB01,Công chức,\n"
    "NS3,Lê Thị Hà,14/06/1988,Phòng Văn hóa,CB01,Người lao động,\n"  # homonym, other unit
    "NS4,Phạm Văn Cường,01/01/1990,Trường Tiểu học,CB02,Viên chức,\n"
)


def _write(tmp: Path, staff: str) -> tuple[Path, Path, Path]:
    b = tmp / "chi-bo.csv"
    b.write_text(
        "Mã chi bộ,Tên chi bộ,Tên gọi khác,Email bí thư\n"
        "CB01,Chi bộ Văn phòng,VP,a@x.vn\nCB02,Chi bộ Trường học,TH,b@x.vn\n",
        encoding="utf-8",
    )
    m = tmp / "dang-vien.csv"
    m.write_text(
        "Mã đảng viên,Họ và tên,Ngày sinh,Mã chi bộ\n"
        "DV1,Nguyễn Văn An,02/01/1980,CB01\nDV2,Trần Thị Bình,06/05/1985,CB02\n",
        encoding="utf-8",
    )
    s = tmp / "can-bo.csv"
    s.write_text(staff, encoding="utf-8")
    return b, m, s


def _roster(tmp: Path) -> Roster:
    return load_roster(*_write(tmp, STAFF_HEADER + STAFF_ROWS))


# ---------------------------------------------------------------------------------------
# 1. The staff roster
# ---------------------------------------------------------------------------------------


def test_staff_roster_loads_and_members_not_listed_are_added(tmp_path: Path):
    roster = _roster(tmp_path)
    assert [s.code for s in roster.staff] == ["NS1", "NS2", "NS3", "NS4"]
    assert roster.staff[0] == StaffMember(
        "NS1", "Nguyễn Văn An", date(1980, 1, 2), "Phòng Kinh tế", "CB01", "Công chức", "DV1"
    )
    everyone = effective_staff(roster)
    # DV1 is listed as NS1; DV2 is added from the member roster, group and unit unknown
    assert [s.code for s in everyone] == ["NS1", "NS2", "NS3", "NS4", "DV2"]
    added = everyone[-1]
    assert (added.group, added.unit, added.member_code, added.branch_code) == (
        "",
        "",
        "DV2",
        "CB02",
    )


def test_without_staff_roster_the_members_are_the_staff():
    roster = Roster(BRANCHES, MEMBERS)
    assert [(s.code, s.member_code, s.group) for s in effective_staff(roster)] == [
        ("DV1", "DV1", ""),
        ("DV2", "DV2", ""),
    ]


def test_staff_roster_problems_name_the_file_and_row(tmp_path: Path):
    bad = (
        STAFF_HEADER
        + "NS1,Nguyễn Văn An,02/01/1980,Phòng Kinh tế,CB01,Công chức,DV1\n"
        + "NS1,Ai Đó,01/01/1990,Phòng Kinh tế,CB01,Công chức,\n"  # 3: duplicate code
        + "NS5,Người Năm,31/02/1990,Phòng Kinh tế,CB01,Công chức,\n"  # 4: no such date
        + "NS6,Người Sáu,01/01/1990,Phòng Kinh tế,CB09,Công chức,\n"  # 5: unknown branch
        + "NS7,Người Bảy,01/01/1990,Phòng Kinh tế,CB01,Học sinh,\n"  # 6: unknown group
        + "NS8,Người Tám,01/01/1990,Phòng Kinh tế,CB01,công chức,DV9\n"  # 7: unknown member
        + "NS9,Trần Thị Bình,07/05/1985,Trường,CB02,Viên chức,DV2\n"  # 8: birth differs
        + "NS10,Người Mười,01/01/1990,,CB01,Viên chức,\n"  # 9: no unit
    )
    paths = _write(tmp_path, bad)
    with pytest.raises(ConfigError) as e:
        load_roster(*paths)
    label = str(paths[2])
    lines = e.value.problems
    assert all(line.startswith(f"{label}: dòng ") for line in lines), lines
    assert any("dòng 3" in x and "trùng với dòng 2" in x for x in lines)
    assert any("dòng 4" in x and "ngày sinh '31/02/1990'" in x for x in lines)
    assert any("dòng 5" in x and "'CB09' không có trong danh sách chi bộ" in x for x in lines)
    assert any("dòng 6" in x and "cột 'Nhóm' là 'Học sinh'" in x for x in lines)
    assert any("dòng 8" in x and "ngày sinh khác với đảng viên 'DV2'" in x for x in lines)
    assert any("dòng 9" in x and "thiếu đơn vị" in x for x in lines)
    # "công chức" in lower case is the group; an unknown member code (dòng 7) is a data
    # problem of the cycle, not a roster error (test below)
    assert len(lines) == 6 and not any("dòng 7" in x for x in lines)


def test_unknown_member_code_in_the_staff_roster_is_a_data_problem(tmp_path: Path):
    rows = STAFF_ROWS.replace(
        "Phạm Văn Cường,01/01/1990,Trường Tiểu học,CB02,Viên chức,",
        "Phạm Văn Cường,01/01/1990,Trường Tiểu học,CB02,Viên chức,DV9",
    )
    roster = load_roster(*_write(tmp_path, STAFF_HEADER + rows))
    (p,) = staff_problems(roster)
    assert (p.record, p.field, p.raw_value, p.branch_code) == ("NS4", "Mã đảng viên", "DV9", "CB02")
    assert "không có trong danh sách đảng viên" in p.reason
    ns4 = next(s for s in effective_staff(roster) if s.code == "NS4")
    assert ns4.member_code == ""  # counted as a staff member who is not a member


def test_staff_roster_missing_column(tmp_path: Path):
    paths = _write(tmp_path, "Mã cán bộ,Họ và tên,Ngày sinh,Đơn vị,Mã chi bộ\n")
    with pytest.raises(ConfigError) as e:
        load_roster(*paths)
    assert e.value.problems == [f"{paths[2]}: thiếu cột 'Nhóm'"]


def test_staff_roster_from_tables_label():
    tables = [
        RosterTable("Bảng tính X, tab 'Chi bộ'", ["Mã chi bộ", "Tên chi bộ"], [["CB01", "A"]]),
        RosterTable(
            "Bảng tính X, tab 'Đảng viên'",
            ["Mã đảng viên", "Họ và tên", "Ngày sinh", "Mã chi bộ"],
            [],
        ),
        RosterTable(
            "Bảng tính X, tab 'Cán bộ'",
            ["Mã cán bộ", "Họ và tên", "Ngày sinh", "Đơn vị", "Mã chi bộ", "Nhóm"],
            [["NS1", "A B", "01/01/1990", "Phòng", "CB02", "Cán bộ"]],
        ),
    ]
    with pytest.raises(ConfigError) as e:
        roster_from_tables(*tables)
    assert e.value.problems == [
        "Bảng tính X, tab 'Cán bộ': dòng 2: mã chi bộ 'CB02' không có trong danh sách chi bộ"
    ]


def _config_text() -> dict:
    return yaml.safe_load((ROOT / "config" / "example.yaml").read_text(encoding="utf-8"))


def test_config_errors_name_the_field(tmp_path: Path):
    raw = _config_text()
    raw["learning"]["targets"][0]["group"] = "Học sinh"
    raw["staff"] = {"roster": "a.csv", "tab": "Cán bộ"}
    path = tmp_path / "ward.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    text = "\n".join(e.value.problems)
    assert f"{path}: trường 'learning.targets.0.group'" in text and "'Học sinh'" in text
    assert f"{path}: trường 'staff'" in text and "chọn một trong hai" in text


def test_staff_tab_needs_the_roster_spreadsheet(tmp_path: Path):
    raw = _config_text()
    raw["staff"] = {"tab": "Cán bộ"}
    path = tmp_path / "ward.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert "staff.tab: cần 'roster.spreadsheet_id'" in "\n".join(e.value.problems)


# ---------------------------------------------------------------------------------------
# 2. Matching the export
# ---------------------------------------------------------------------------------------


def _learner(name: str, birth: str, unit: str, lessons: str = "10", result: str = "Đạt"):
    return {
        "Họ và tên": name,
        "Ngày sinh": birth,
        "Đơn vị": unit,
        "Số bài học đã hoàn thành": lessons,
        "Kết quả đánh giá": result,
        "Ngày hoàn thành": "01/10/2026" if result == "Đạt" else "",
    }


def _normalize(roster: Roster, rows: list[dict[str, str]]):
    src = SourceConfig(id="bdhvs", kind=SourceKind.LEARNING, mapping=Path("m.yaml"), file=Path("x"))
    raws = [RawResponse("bdhvs", f"row:{i + 2}", f"Dòng {i + 2}", r) for i, r in enumerate(rows)]
    return normalize_source(src, LEARNING, RUBRIC, roster, raws, year=2026, tz=TZ)


def test_learners_are_matched_to_the_staff_roster(tmp_path: Path):
    roster = _roster(tmp_path)
    ns = _normalize(
        roster,
        [
            _learner("NGUYỄN VĂN AN", "02/01/1980", "Phòng Kinh tế"),  # a member, listed
            _learner("Lê Thị Hà", "14/06/1988", "phòng văn hóa", "4", ""),  # homonym: unit
            _learner("Lê Thị Hà", "14/06/1988", "Phòng Kinh tế", "10", "Chưa đạt"),
            _learner("Lê Thị Hà", "14/06/1988", "Chi bộ Trường học"),  # unit does not help
            _learner("Trần Thị Bình", "06/05/1985", "TH"),  # a member not listed
            _learner("Người Lạ", "01/01/1990", "Phòng Kinh tế"),  # in no roster
            _learner("Người Lạ", "01/01/1990", "Công ty Minh Phát"),  # unknown unit too
            _learner("Phạm Văn Cường", "", "Trường Tiểu học"),  # no birth date
        ],
    )
    got = {r.row_label: r for r in ns.records}
    assert all(isinstance(r, LearningRecord) for r in got.values())
    assert (got["Dòng 2"].staff_code, got["Dòng 2"].member_code) == ("NS1", "DV1")
    assert (got["Dòng 3"].staff_code, got["Dòng 3"].lessons_completed) == ("NS3", 4)
    assert (got["Dòng 4"].staff_code, got["Dòng 4"].passed) == ("NS2", False)
    assert (got["Dòng 6"].staff_code, got["Dòng 6"].member_code) == ("DV2", "DV2")
    assert got["Dòng 6"].branch_code == "CB02"
    assert set(got) == {"Dòng 2", "Dòng 3", "Dòng 4", "Dòng 6"}
    problems = {p.record: p for p in ns.problems}
    assert set(problems) == {"Dòng 5", "Dòng 7", "Dòng 8", "Dòng 9"}  # none silently dropped
    assert problems["Dòng 5"].field == "Họ và tên"
    assert "Có 2 người cùng họ tên và ngày sinh" in problems["Dòng 5"].reason
    assert (problems["Dòng 7"].field, problems["Dòng 7"].raw_value) == ("Họ và tên", "Người Lạ")
    assert "danh sách cán bộ" in problems["Dòng 7"].reason
    assert problems["Dòng 7"].branch_code == "CB01"  # the unit's branch finds its own rows
    assert (problems["Dòng 8"].field, problems["Dòng 8"].raw_value) == (
        "Đơn vị",
        "Công ty Minh Phát",
    )
    assert problems["Dòng 9"].field == "Ngày sinh"
    # no problem quotes anyone's birth date
    assert not any("1988" in p.reason or "1990" in p.reason for p in ns.problems)


def test_without_staff_roster_non_members_still_count_by_unit():
    roster = Roster(BRANCHES, MEMBERS)
    ns = _normalize(
        roster,
        [_learner("Nguyễn Văn An", "02/01/1980", "VP"), _learner("Người Lạ", "01/01/1990", "TH")],
    )
    a, b = ns.records
    assert (a.member_code, a.staff_code) == ("DV1", "DV1")
    assert (b.member_code, b.staff_code, b.branch_code) == ("", "", "CB02")
    assert ns.problems == ()


# ---------------------------------------------------------------------------------------
# 3. Progress and targets (pure)
# ---------------------------------------------------------------------------------------


def _staff(code: str, group: str, branch: str = "CB01", unit: str = "P") -> StaffMember:
    return StaffMember(code, f"Người {code}", date(1990, 1, 1), unit, branch, group)


def test_status_of_a_learner():
    s = _staff("A", "Công chức")
    assert LearnerProgress(s, None, None, None).status == STATUS_NOT_STARTED
    assert LearnerProgress(s, 0, None, None).status == STATUS_NOT_STARTED
    assert LearnerProgress(s, 3, None, None).status == STATUS_LEARNING
    assert LearnerProgress(s, 0, False, None).status == STATUS_LEARNING  # took the test
    assert LearnerProgress(s, 10, True, date(2026, 9, 1)).status == STATUS_PASSED


DUE = date(2026, 12, 31)
LATE = "Không đạt: đã quá hạn 31/12/2026, thiếu 1 người đạt"  # a late pass does not count
NO_DATA = "Chưa có số liệu: danh sách cán bộ chưa có ai thuộc nhóm này"


def _people(n: int, passed: int, *, late: int = 0, group: str = "Công chức"):
    out = []
    for i in range(n):
        s = _staff(f"{group[:2]}{i}", group)
        if i < passed:
            out.append(LearnerProgress(s, 10, True, date(2026, 10, 1)))
        elif i < passed + late:
            out.append(LearnerProgress(s, 10, True, date(2027, 1, 2)))  # after the deadline
        else:
            out.append(LearnerProgress(s, 2, None, None))
    return out


@pytest.mark.parametrize(
    ("n", "passed", "late", "share", "today", "met", "verdict"),
    [
        (4, 4, 0, 1.0, date(2026, 11, 1), True, "Đạt"),
        (4, 3, 0, 1.0, date(2026, 11, 1), False, "Chưa đạt: còn thiếu 1 người đạt, hạn 31/12/2026"),
        (4, 3, 0, 1.0, DUE, False, "Chưa đạt: còn thiếu 1 người đạt, hạn 31/12/2026"),  # last day
        (4, 3, 1, 1.0, date(2027, 1, 5), False, LATE),
        (5, 4, 0, 0.8, date(2026, 11, 1), True, "Đạt"),  # 4/5 is exactly 80%
        (6, 4, 0, 0.8, date(2026, 11, 1), False, "Chưa đạt: còn thiếu 1 người đạt, hạn 31/12/2026"),
        (0, 0, 0, 1.0, date(2026, 11, 1), False, NO_DATA),
    ],
)  # fmt: skip
def test_target_verdict_edges(n, passed, late, share, today, met, verdict):
    people = _people(n, passed, late=late) + _people(3, 0, group="Viên chức")
    r = target_result(LearningTarget(group="Công chức", share=share, due=DUE), people, today)
    assert (r.met, r.verdict, r.staff, r.passed) == (met, verdict, n, passed)


def test_a_target_without_group_counts_everyone():
    people = _people(2, 2) + _people(2, 1, group="Viên chức")
    r = target_result(LearningTarget(share=0.75, due=DUE), people, date(2026, 11, 1))
    assert (r.staff, r.passed, r.needed, r.met) == (4, 3, 3, True)


def test_counts_per_unit_branch_group():
    staff = [
        _staff("A", "Công chức", "CB01", "P1"),
        _staff("B", "Công chức", "CB01", "P2"),
        _staff("C", "Viên chức", "CB02", "T"),
        StaffMember("DV9", "Người DV9", None, "", "CB02", "", "DV9"),
    ]
    learned = {"A": (10, True, date(2026, 9, 1)), "B": (3, None, None), "DV9": (0, False, None)}
    p = learning_progress(staff, learned, [], date(2026, 11, 23))
    assert [(c.label, c.staff, c.started, c.passed) for c in p.units] == [
        ("P1", 1, 1, 1),
        ("P2", 1, 1, 0),
        ("T", 1, 0, 0),
        ("(chưa rõ đơn vị)", 1, 1, 0),
    ]
    assert [(c.branch_code, c.staff, c.passed, c.rate) for c in p.branches] == [
        ("CB01", 2, 1, 0.5),
        ("CB02", 2, 0, 0.0),
    ]
    assert [c.label for c in p.groups] == ["Công chức", "Viên chức", "Đảng viên (chưa rõ nhóm)"]
    assert (p.ward.staff, p.ward.started, p.ward.passed) == (4, 3, 1)


# ---------------------------------------------------------------------------------------
# 4. The sample ward, end to end (figures from the generator's truth)
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> tuple[Evaluation, object, object]:
    ward = generate()
    cfg = load_config(ROOT / "config" / "example.yaml")
    inputs = load_inputs(cfg)
    responses = {
        s.id: FileSource(s.id, s.file, s.sheet).fetch(None, NOW).responses
        for s in cfg.sources
        if s.file is not None
    }
    return evaluate(inputs, responses, NOW), ward.truth, inputs


def test_committed_sample_files_match_the_generator():
    ward = generate()
    for rel in (STAFF_FILE, UNIT_EXPORT_FILE):
        assert (ROOT / "config" / "sample" / rel).read_bytes() == ward.files[rel], rel


def test_sample_has_the_messy_shapes():
    truth = generate().truth
    groups = Counter(s.group for s in truth.staff if s.in_staff_file and not s.member_code)
    assert {"Công chức", "Viên chức", "Người lao động"} <= set(groups)  # non-members, 3 groups
    homonyms = [
        s for s in truth.staff if (s.name, s.unit) in {(HOMONYM[0], u) for u in HOMONYM_UNITS}
    ]
    assert len(homonyms) == 2
    rows = ROOT / "config" / "sample" / UNIT_EXPORT_FILE
    text = rows.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == ",".join(UNIT_EXPORT_HEADER)  # renamed columns
    assert f"{UNKNOWN_LEARNER[1].month}/{UNKNOWN_LEARNER[1].day}/{UNKNOWN_LEARNER[1].year}" in text


def test_sample_progress_per_learner(sample):
    evaluation, truth, _ = sample
    got = {p.staff.code: p for p in evaluation.learning.learners}
    assert set(got) == {s.code for s in truth.staff}
    for s in truth.staff:
        p = got[s.code]
        assert (p.lessons, p.passed, p.staff.group, p.staff.unit) == (
            s.lessons,
            s.passed,
            s.group,
            s.unit,
        ), s.code
        if s.passed:
            assert p.completed_on == s.completed_on


def _expected(people) -> tuple[int, int, int]:
    people = list(people)
    started = sum(1 for s in people if s.lessons or s.passed is not None)
    return len(people), started, sum(1 for s in people if s.passed)


def test_sample_aggregates_per_unit_branch_group_and_ward(sample):
    evaluation, truth, _ = sample
    lp = evaluation.learning
    assert (lp.ward.staff, lp.ward.started, lp.ward.passed) == _expected(truth.staff)
    for c in lp.branches:
        mine = [s for s in truth.staff if s.branch_code == c.branch_code]
        assert (c.staff, c.started, c.passed) == _expected(mine), c.branch_code
        assert c.rate == pytest.approx(_expected(mine)[2] / len(mine))
    assert {c.branch_code for c in lp.branches} == {s.branch_code for s in truth.staff}
    labels = {"": "Đảng viên (chưa rõ nhóm)"}
    for c in lp.groups:
        mine = [s for s in truth.staff if labels.get(s.group, s.group) == c.label]
        assert (c.staff, c.started, c.passed) == _expected(mine), c.label
    units = Counter((s.branch_code, s.unit or "(chưa rõ đơn vị)") for s in truth.staff)
    assert {(c.branch_code, c.label): c.staff for c in lp.units} == dict(units)


def test_sample_unknown_learner_is_a_problem(sample):
    evaluation, truth, _ = sample
    bad = [p for p in evaluation.problems if p.raw_value == UNKNOWN_LEARNER[0]]
    (row,) = [r for r in truth.unit_export if not r.staff_code]
    assert [(p.record, p.field) for p in bad] == [(row.row, "Họ tên")]


def test_sample_targets_against_truth(sample):
    evaluation, truth, inputs = sample
    for t in evaluation.learning.targets:
        pool = [s for s in truth.staff if s.group == t.group]
        on_time = [
            s for s in pool if s.passed and (s.completed_on is None or s.completed_on <= t.due)
        ]
        assert (t.staff, t.passed) == (len(pool), len(on_time)), t.group
    assert [t.group for t in evaluation.learning.targets] == [
        x.group for x in inputs.cfg.learning.targets
    ]


# ---------------------------------------------------------------------------------------
# 5. The tabs
# ---------------------------------------------------------------------------------------


def _tables(sample):
    evaluation, _, inputs = sample
    return build_tables(
        inputs.cfg,
        inputs.rubric,
        inputs.roster,
        evaluation.statuses,
        evaluation.members,
        evaluation.kpis,
        evaluation.problems,
        [],
        NOW,
        evaluation.history,
        learning=evaluation.learning,
    )


def _rows(t) -> list[dict[str, object]]:
    headers = [c.header for c in t.columns]
    return [dict(zip(headers, r, strict=True)) for r in t.rows]


def test_learning_tabs_figures(sample):
    _, truth, _ = sample
    tabs = {t.name: t for t in _tables(sample)}
    names = list(tabs)
    assert names.index("Bình dân học vụ số") == names.index("Chỉ tiêu 2026") + 1
    assert names.index("Người học Bình dân học vụ số") == names.index("Chỉ tiêu 2026") + 2
    counts = _rows(tabs["Bình dân học vụ số"])
    ward = next(r for r in counts if r["Cấp"] == "Toàn Đảng bộ")
    n, started, passed = _expected(truth.staff)
    assert (ward["Số người"], ward["Đã tham gia học"], ward["Đã đạt"]) == (n, started, passed)
    assert ward["Chưa đạt"] == n - passed and ward["Tỷ lệ đạt"] == pytest.approx(passed / n)
    cb02 = next(r for r in counts if r["Cấp"] == "Chi bộ" and r["Mã chi bộ"] == "CB02")
    assert (cb02["Số người"], cb02["Đã tham gia học"], cb02["Đã đạt"]) == _expected(
        s for s in truth.staff if s.branch_code == "CB02"
    )
    learners = tabs["Người học Bình dân học vụ số"]
    headers = [c.header for c in learners.columns]
    assert not any("sinh" in h.lower() for h in headers)  # no birth dates in tabs
    by_code = {r["Mã cán bộ"]: r for r in _rows(learners)}
    assert len(by_code) == len(truth.staff)
    for s in truth.staff:
        row = by_code[s.code]
        status = (
            "Đã đạt"
            if s.passed
            else "Đang học"
            if (s.lessons or s.passed is not None)
            else "Chưa học"
        )
        assert row["Tình trạng"] == status, s.code
        assert row["Nhóm"] == (s.group or "Đảng viên (chưa rõ nhóm)")


def test_kpi_tab_gets_learning_target_rows_in_its_shape(sample):
    evaluation, _, inputs = sample
    tabs = {t.name: t for t in _tables(sample)}
    kpi = tabs["Chỉ tiêu 2026"]
    without = build_tables(
        inputs.cfg,
        inputs.rubric,
        inputs.roster,
        evaluation.statuses,
        evaluation.members,
        evaluation.kpis,
        evaluation.problems,
        [],
        NOW,
        evaluation.history,
    )
    before = next(t for t in without if t.name == "Chỉ tiêu 2026")
    assert kpi.rows[: len(before.rows)] == before.rows  # existing rows unchanged
    added = _rows(kpi)[len(before.rows) :]
    assert [r["Mục tiêu số"] for r in added] == ["BDHVS"] * len(inputs.cfg.learning.targets)
    first = added[0]
    assert "Công chức" in str(first["Chỉ tiêu"]) and "31/12/2026" in str(first["Chỉ tiêu"])
    assert first["Mục tiêu"] == 1.0 and str(first["Đánh giá"]).startswith("Chưa đạt")
    assert all(len(r) == len(kpi.columns) for r in kpi.rows)


# ---------------------------------------------------------------------------------------
# 6. Follow-up e-mails
# ---------------------------------------------------------------------------------------


def _cfg(inputs, **mail):
    cfg = inputs.cfg
    follow = LearningFollowUp(monthly_day=5, days_before_due=[14])
    update = {"learning": cfg.learning.model_copy(update={"follow_up": follow})}
    if mail:
        update["mail"] = cfg.mail.model_copy(update=mail)
    return cfg.model_copy(update=update)


def _sent(plan, at: datetime) -> dict[str, LedgerEntry]:
    return {
        a.alert_id: LedgerEntry(
            a.alert_id, a.kind.value, a.branch_code, a.milestone_id, "sent", "", "", at, at
        )
        for a in plan.due
    }


def test_follow_up_occurrences():
    class C:  # only what follow_up_occurrence reads
        def __init__(self) -> None:
            self.learning = type(
                "L",
                (),
                {
                    "follow_up": LearningFollowUp(monthly_day=5, days_before_due=[14]),
                    "targets": [LearningTarget(group="Công chức", share=1, due=DUE)],
                },
            )()

    cfg = C()
    assert follow_up_occurrence(cfg, date(2026, 11, 4)) is None  # before the day
    assert follow_up_occurrence(cfg, date(2026, 11, 5))[:2] == ("2026-11", date(2026, 11, 5))
    assert follow_up_occurrence(cfg, date(2026, 11, 30))[0] == "2026-11"
    assert follow_up_occurrence(cfg, date(2026, 12, 16))[0] == "2026-12"
    assert follow_up_occurrence(cfg, date(2026, 12, 17))[0] == "2026-12-31:14d"
    assert follow_up_occurrence(cfg, date(2026, 12, 31))[0] == "2026-12-31:14d"
    assert follow_up_occurrence(cfg, date(2027, 1, 1)) is None  # the deadline passed
    assert follow_up_occurrence(cfg, date(2027, 1, 5))[0] == "2027-01"


def test_follow_ups_once_per_period_own_branch_only(sample):
    evaluation, truth, inputs = sample
    cfg = _cfg(inputs)
    roster = inputs.roster
    plan = plan_learning(cfg, roster, evaluation.learning, {}, NOW)
    laggards: dict[str, set[str]] = {}
    for s in truth.staff:
        if not s.passed:
            laggards.setdefault(s.branch_code, set()).add(s.code)
    branch_alerts = [a for a in (*plan.due, *plan.unaddressable) if a.kind is AlertKind.LEARNING]
    assert {a.alert_id for a in branch_alerts} == {f"hoc_tap:{b}:2026-11" for b in laggards}
    for a in branch_alerts:
        codes = {p["code"] for p in a.context["laggards"]}
        assert codes == laggards[a.branch_code], a.branch_code  # own branch, every laggard
        assert a.to == tuple(
            x.strip() for x in roster.branch(a.branch_code).secretary_email.split(";") if x.strip()
        )
    # the branch without a secretary e-mail is said, not skipped
    assert [a.branch_code for a in plan.unaddressable] == ["CB21"]
    (digest,) = [a for a in plan.due if a.kind is AlertKind.LEARNING_DIGEST]
    assert digest.alert_id == "hoc_tap:ward:2026-11" and digest.to == tuple(cfg.mail.ward_staff)
    assert [b["branch_code"] for b in digest.context["branches"]] == sorted(
        laggards.keys() | {s.branch_code for s in truth.staff}, key=lambda c: int(c[2:])
    )
    # sent once: the same month plans nothing more, the next month plans again
    ledger = _sent(plan, NOW)
    later = datetime(2026, 11, 30, 9, 0, tzinfo=TZ)
    assert plan_learning(cfg, roster, evaluation.learning, ledger, later).due == ()
    december = plan_learning(
        cfg, roster, evaluation.learning, ledger, datetime(2026, 12, 7, 9, 0, tzinfo=TZ)
    )
    assert {a.alert_id for a in december.due} == {
        a.alert_id.replace("2026-11", "2026-12") for a in plan.due
    }
    before_due = plan_learning(
        cfg, roster, evaluation.learning, ledger, datetime(2026, 12, 17, 9, 0, tzinfo=TZ)
    )
    assert "hoc_tap:ward:2026-12-31:14d" in {a.alert_id for a in before_due.due}


def test_follow_ups_wait_for_the_window_and_the_daily_limit(sample):
    evaluation, _, inputs = sample
    saturday = datetime(2026, 11, 28, 9, 0, tzinfo=TZ)
    plan = plan_learning(_cfg(inputs), inputs.roster, evaluation.learning, {}, saturday)
    assert plan.due == () and len(plan.waiting) > 0
    limited = _cfg(inputs, daily_limit=3)
    plan = plan_learning(limited, inputs.roster, evaluation.learning, {}, NOW)
    assert len(plan.due) == 3 and len(plan.queued) > 0
    # the ward's summary is kept first when the limit cannot take everything
    assert AlertKind.LEARNING_DIGEST in {a.kind for a in plan.due}


def test_follow_up_mail_renders_in_vietnamese_for_one_branch(sample):
    evaluation, _, inputs = sample
    cfg = _cfg(inputs)
    plan = plan_learning(cfg, inputs.roster, evaluation.learning, {}, NOW)
    alert = next(a for a in plan.due if a.branch_code == "CB02")
    msg = render_alert(
        alert,
        templates_dir=ROOT / "config" / "templates",
        sender=cfg.mail.sender,
        reply_to=None,
        ward_name=cfg.ward.name,
        now=NOW,
    )
    text = msg.get_body(("plain",)).get_content()
    assert msg.subject_text.startswith("[Bình dân học vụ số]")
    assert "Chi bộ Văn phòng HĐND - UBND phường" in msg.subject_text
    other = [b.name for b in inputs.roster.branches if b.code != "CB02"]
    assert not any(name in text for name in other)  # speaks only of its own branch
    first = alert.context["laggards"][0]
    assert first["name"] in text
    digest = next(a for a in plan.due if a.kind is AlertKind.LEARNING_DIGEST)
    msg = render_alert(
        digest,
        templates_dir=ROOT / "config" / "templates",
        sender=cfg.mail.sender,
        reply_to=None,
        ward_name=cfg.ward.name,
        now=NOW,
    )
    assert "Theo chi bộ" in msg.get_body(("plain",)).get_content()


# ---------------------------------------------------------------------------------------
# 7. The staff roster as a tab of the roster's Google spreadsheet
# ---------------------------------------------------------------------------------------


def test_google_roster_reads_the_staff_tab_in_the_same_call():
    from sync.google.roster_sheet import load_roster_from_sheet
    from tests.fake_google import FakeWorkspace
    from tests.fake_google.clients import fake_apis

    branches = [["Mã chi bộ", "Tên chi bộ"], ["CB01", "Chi bộ Văn phòng"]]
    members = [
        ["Mã đảng viên", "Họ và tên", "Ngày sinh", "Mã chi bộ"],
        ["DV1", "Nguyễn Văn An", "02/01/1980", "CB01"],
    ]
    staff = [
        ["Mã cán bộ", "Họ và tên", "Ngày sinh", "Đơn vị", "Mã chi bộ", "Nhóm", "Mã đảng viên"],
        ["NS1", "Nguyễn Văn An", "02/01/1980", "Phòng Kinh tế", "CB01", "Công chức", "DV1"],
        ["NS2", "Lê Thị Hà", date(1988, 6, 14), "Phòng Kinh tế", "CB01", "Người lao động", ""],
    ]
    with FakeWorkspace() as fake:
        apis = fake_apis(fake, max_attempts=2)
        fake.add_spreadsheet("R", {"Chi bộ": branches, "Đảng viên": members, "Cán bộ": staff})
        roster = load_roster_from_sheet(apis, "R", staff_tab="Cán bộ")
        (call,) = fake.calls()
        assert call.query["ranges"] == ["'Chi bộ'", "'Đảng viên'", "'Cán bộ'"]
        assert [(s.code, s.group, s.birth_date) for s in roster.staff] == [
            ("NS1", "Công chức", date(1980, 1, 2)),
            ("NS2", "Người lao động", date(1988, 6, 14)),
        ]
        with pytest.raises(ConfigError) as e:
            load_roster_from_sheet(apis, "R", staff_tab="CB")
        assert e.value.problems == [
            "roster.spreadsheet_id: Bảng tính R không có tab 'CB' "
            "(kiểm tra roster.branches_tab, roster.members_tab, staff.tab)"
        ]
        bad = [*staff, ["NS3", "X Y", "01/01/1990", "Phòng", "CB01", "Khác", ""]]
        fake.add_spreadsheet("R2", {"Chi bộ": branches, "Đảng viên": members, "Cán bộ": bad})
        with pytest.raises(ConfigError) as e:
            load_roster_from_sheet(apis, "R2", staff_tab="Cán bộ")
        assert len(e.value.problems) == 1
        assert e.value.problems[0].startswith("Bảng tính R2, tab 'Cán bộ': dòng 4: cột 'Nhóm'")


# ---------------------------------------------------------------------------------------
# 8. Through whole cycles: sent once per period, kept waiting outside the window
# ---------------------------------------------------------------------------------------


def test_cycles_send_follow_ups_once_per_period(tmp_path: Path):

    from sync.backend import embedded_backend
    from sync.cycle import run_cycle
    from sync.state import StateStore

    copy_sample_ward(tmp_path)
    path = tmp_path / "config" / "example.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["learning"]["follow_up"] = {"monthly_day": 5, "days_before_due": [14]}
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")

    def cycle(now: datetime):
        cfg = load_config(path)
        with StateStore(cfg.state.path) as store:
            return run_cycle(load_inputs(cfg), store, embedded_backend(cfg), now), cfg

    def learning_ids(cfg) -> list[str]:
        # a branch's follow-up travels in its letter (X-KNS-Items), the staff's alone
        return sorted(i for i in outbox_items(cfg.mail.outbox_dir) if i.startswith("hoc_tap:"))

    early = datetime(2026, 11, 23, 6, 0, tzinfo=TZ)  # before the send window opens
    report, cfg = cycle(early)
    assert learning_ids(cfg) == [] and any(
        a.alert_id == "hoc_tap:ward:2026-11" for a in report.plan.waiting
    )
    report, cfg = cycle(NOW)
    sent = learning_ids(cfg)
    assert "hoc_tap:ward:2026-11" in sent and "hoc_tap:CB02:2026-11" in sent
    assert not any(i.startswith("hoc_tap:CB21:") for i in sent)  # no address: a problem row
    cycle(datetime(2026, 11, 24, 9, 0, tzinfo=TZ))
    cycle(datetime(2026, 11, 24, 9, 30, tzinfo=TZ))
    assert learning_ids(cfg) == sent  # once per month
    cycle(datetime(2026, 12, 7, 9, 0, tzinfo=TZ))
    december = [i for i in learning_ids(cfg) if i not in sent]
    assert december and all(i.endswith(":2026-12") for i in december)


def learning_alert(kind: AlertKind, roster: Roster, code: str, now: datetime):
    """A follow-up of ``kind`` for branch ``code`` of ``roster`` (tests/test_mail.py renders
    every alert kind with it): two staff of the branch, one who passed."""
    from tests.test_alerts import make_cfg

    cfg = make_cfg()
    cfg = cfg.model_copy(
        update={
            "learning": cfg.learning.model_copy(
                update={
                    "targets": [LearningTarget(group="Công chức", share=1.0, due=DUE)],
                    "follow_up": LearningFollowUp(monthly_day=5),
                }
            )
        }
    )
    staff = [_staff("NS1", "Công chức", code, "Phòng Kinh tế"), _staff("NS2", "Viên chức", code)]
    learned = {"NS1": (10, True, date(2026, 10, 1)), "NS2": (4, None, None)}
    progress = learning_progress(staff, learned, cfg.learning.targets, now.date())
    plan = plan_learning(cfg, roster, progress, {}, now)
    (found,) = [a for a in plan.due if a.kind is kind]
    return found


def test_kns_check_validates_the_staff_roster(tmp_path: Path):

    from sync.check import check

    copy_sample_ward(tmp_path)
    config = tmp_path / "config" / "example.yaml"
    path = tmp_path / "config" / "sample" / STAFF_FILE
    original = path.read_text(encoding="utf-8-sig").splitlines()

    def write(row: int, column: int, value: str) -> None:
        lines = list(original)
        cells = lines[row - 1].split(",")
        cells[column] = value
        lines[row - 1] = ",".join(cells)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    write(3, 5, "Học sinh")  # an unknown group: an error naming the file and the row
    errors = [f.message for f in check(config, NOW) if f.level == "error"]
    assert any(f"{path}: dòng 3: cột 'Nhóm' là 'Học sinh'" in e for e in errors), errors
    write(2, 6, "DV9999")  # a member code the member roster lacks: a warning
    found = check(config, NOW)
    assert [f for f in found if f.level == "error"] == []
    warnings = [f.message for f in found if f.level == "warning"]
    assert any("mã đảng viên 'DV9999' không có trong danh sách đảng viên" in w for w in warnings)


def test_a_waiting_follow_up_keeps_the_cycle_off_the_idle_path(tmp_path: Path):
    from email import message_from_bytes

    from sync.backend import embedded_backend
    from sync.cycle import run_cycle
    from sync.state import StateStore

    copy_sample_ward(tmp_path)
    path = tmp_path / "config" / "example.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["learning"]["follow_up"] = {"monthly_day": 5}
    # no campaign notice at all: only the learning follow-ups can make a cycle send
    raw["alerts"].update(reminder_days_before=[], overdue_max=0, digest_weekday=None)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")

    def cycle(now: datetime):
        cfg = load_config(path)
        with StateStore(cfg.state.path) as store:
            return run_cycle(load_inputs(cfg), store, embedded_backend(cfg), now), cfg

    first, cfg = cycle(datetime(2026, 11, 23, 6, 0, tzinfo=TZ))  # before the window
    assert first.sent == [] and first.plan.waiting
    second, _ = cycle(NOW)  # nothing changed since 06:00, but a follow-up was waiting
    assert not second.idle
    sent = {
        str(message_from_bytes(p.read_bytes())["X-KNS-Alert-Id"])
        for p in cfg.mail.outbox_dir.glob("*.eml")
    }
    assert "hoc_tap:ward:2026-11" in sent
    third, _ = cycle(datetime(2026, 11, 23, 8, 30, tzinfo=TZ))
    assert third.idle  # all sent: back to idle cycles


def test_a_pass_dated_ahead_of_today_is_not_counted_yet():
    from sync.model import StaffMember

    staff = [StaffMember("CB1", "Nguyễn Văn A", None, "Phòng Văn hóa", "CB01", "Công chức")]
    learned = {"CB1": (10, True, date(2026, 12, 1))}
    before = learning_progress(staff, learned, (), date(2026, 11, 23))
    assert (before.ward.started, before.ward.passed) == (1, 0)  # lessons done, pass not yet
    assert before.learners[0].status == STATUS_LEARNING
    on_the_day = learning_progress(staff, learned, (), date(2026, 12, 1))
    assert on_the_day.ward.passed == 1 and on_the_day.learners[0].status == STATUS_PASSED
