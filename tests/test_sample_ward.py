"""The bundled sample ward: deterministic, committed as generated, and as messy as real files."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.conftest import ROOT
from tools import sample_ward as sw

SAMPLE = ROOT / "config" / "sample"


@pytest.fixture(scope="module")
def ward() -> sw.SampleWard:
    return sw.generate()


def _csv(data: bytes) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return rows[0], rows[1:]


def _cell(rows: list[list[str]], header: list[str], label: str, column: str) -> str:
    n = int(label.removeprefix("Dòng "))
    return rows[n - 2][header.index(column)]


def _fold(s: str) -> str:
    s = unicodedata.normalize("NFD", s.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in s if not unicodedata.combining(c)).casefold().split())


# -- determinism and drift ----------------------------------------------------------------


def test_generate_is_deterministic(ward: sw.SampleWard):
    again = sw.generate()
    assert again.files == ward.files
    assert again.truth == ward.truth
    assert sw.generate(7).files[sw.MEMBERS_FILE] != ward.files[sw.MEMBERS_FILE]


def test_committed_sample_matches_the_generator(ward: sw.SampleWard):
    committed = {
        p.relative_to(SAMPLE).as_posix()
        for p in SAMPLE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert committed == set(ward.files), "regenerate: python -m tools.sample_ward"
    for rel, data in ward.files.items():
        assert (SAMPLE / rel).read_bytes() == data, f"{rel} drifted: python -m tools.sample_ward"


def test_cli_writes_the_files(tmp_path: Path, ward: sw.SampleWard):
    assert sw.main(["--out", str(tmp_path), "--seed", "2026"]) == 0
    for rel, data in ward.files.items():
        assert (tmp_path / rel).read_bytes() == data


# -- roster -------------------------------------------------------------------------------


def test_roster_sizes_and_identity_traps(ward: sw.SampleWard):
    header, branches = _csv(ward.files[sw.BRANCHES_FILE])
    assert header == [
        "Mã chi bộ",
        "Tên chi bộ",
        "Tên gọi khác",
        "Bí thư",
        "Email bí thư",
        "Ủy viên phụ trách",
        "Email ủy viên phụ trách",
    ]
    assert [b[0] for b in branches] == [f"CB{i:02d}" for i in range(1, 26)]
    assert sum(1 for b in branches if not b[4]) == 1  # one unaddressable secretary
    supervisors = Counter(b[5] for b in branches)
    assert 5 <= len(supervisors) <= 6 and min(supervisors.values()) >= 3
    assert all(e.endswith("example.vn") for b in branches for e in (b[4], b[6]) if e)

    header, members = _csv(ward.files[sw.MEMBERS_FILE])
    assert header == ["Mã đảng viên", "Họ và tên", "Ngày sinh", "Mã chi bộ", "Miễn sinh hoạt"]
    assert 450 <= len(members) <= 550
    exempt = sum(m[4] == "Có" for m in members)
    assert 0.02 <= exempt / len(members) <= 0.04
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4}", m[2]) for m in members)
    by_identity = Counter((m[1], m[2]) for m in members)
    twins = [k for k, n in by_identity.items() if n > 1]
    assert twins == [(sw.TWIN_NAME, "12/03/1975")]
    assert {m[3] for m in members if m[1] == sw.TWIN_NAME} == set(sw.TWIN_BRANCHES)
    namesakes = [m for m in members if m[1] == sw.NAMESAKE_NAME]
    assert len({m[2] for m in namesakes}) == 2


# -- form A -------------------------------------------------------------------------------


def test_form_a_is_messy_like_a_real_export(ward: sw.SampleWard):
    data = ward.files[sw.FORM_A_FILE]
    assert data.startswith(b"\xef\xbb\xbf")
    header, rows = _csv(data)
    assert header[:3] == ["Dấu thời gian", "Địa chỉ email", "Tên Chi Bộ "]
    nfd = [h for h in header if h != unicodedata.normalize("NFC", h)]
    assert (
        nfd and unicodedata.normalize("NFC", nfd[0]) == "Số đảng viên tham gia sinh hoạt chuyên đề"
    )
    assert "Ngày sinh hoạt chuyên đề" in header and "Ngày tổ chức sinh hoạt chuyên đề" not in header
    assert header[-1] == "Ghi chú"
    col = {h: i for i, h in enumerate(header)}
    assert all(re.fullmatch(r"\d\d/\d\d/2026 \d\d:\d\d:\d\d", r[0]) for r in rows)

    bdhvs = col['Số đảng viên hoàn thành học tập trên nền tảng "Bình dân học vụ số"']
    assert rows[0][bdhvs] == "" and any(r[bdhvs] for r in rows)  # added later

    branch_texts = {r[col["Tên Chi Bộ "]] for r in rows}
    assert {"khu pho 3", sw.UNKNOWN_BRANCH_TEXT} <= branch_texts
    assert any(t.islower() and t.startswith("chi bộ") for t in branch_texts)
    assert any(t.startswith("KP") for t in branch_texts)  # alias
    assert any(not t.lower().startswith("chi") and t != "khu pho 3" for t in branch_texts)

    contents = [r[col["Nội dung đã triển khai tại buổi sinh hoạt"]] for r in rows]
    assert any("Hướng dẫn, tập huấn kỹ năng số cơ bản (mục 3.2)" in c for c in contents)
    cells = [c for r in rows for c in r]
    assert any(re.fullmatch(r"\d+,0", c) for c in cells)  # whole number with decimal comma
    assert '=IMPORTXML("http://x","//a")' in cells
    assert any(c.startswith("+") for c in cells) and any(c.startswith("@") for c in cells)
    assert any(re.fullmatch(r"\d\d/\d\d/2025", c) for c in cells)  # plan date outside 2026


def test_form_a_branch_situations(ward: sw.SampleWard):
    branches = ward.truth.branches
    assert len(branches) == 25
    situations = Counter(b.situation for b in branches.values())
    assert situations["never_reported"] == 4
    assert min(situations.values()) >= 3
    assert not any(b.reported for b in branches.values() if b.situation == "never_reported")
    assert sum(len(b.rows) > 1 for b in branches.values()) >= 4  # resubmissions
    cb15 = branches["CB15"]  # first without the report, then "Đã gửi"
    assert len(cb15.rows) == 2 and cb15.report_sent and cb15.report_sent_on.day == 10
    not_sent = [b for b in branches.values() if b.situation == "not_sent"]
    assert all(b.reported and not b.report_sent and b.task_registered for b in not_sent)
    on_time = [b for b in branches.values() if b.situation == "on_time"]
    assert all(
        b.plan_date.month <= 5 and b.report_sent_on.isoformat() <= "2026-11-07" for b in on_time
    )
    unaddressable = ward.truth.branches[sw.NO_EMAIL_BRANCH]
    assert unaddressable.situation == "never_reported"


def test_form_a_truth_reads_the_final_row(ward: sw.SampleWard):
    header, rows = _csv(ward.files[sw.FORM_A_FILE])
    for b in ward.truth.branches.values():
        if not b.reported:
            continue
        assert _cell(rows, header, b.final_row, "Hình thức sinh hoạt") == (b.session_form or "")
        plan = _cell(rows, header, b.final_row, "Ngày ban hành kế hoạch của chi bộ")
        assert plan == (b.plan_date.strftime("%d/%m/%Y") if b.plan_date else "")
        # the earlier rows are earlier in the file (latest wins)
        assert b.rows[-1] == b.final_row


# -- form B -------------------------------------------------------------------------------


def test_form_b_checkboxes_grid_and_duplicates(ward: sw.SampleWard):
    data = ward.files[sw.FORM_B_FILE]
    assert data.startswith(b"\xef\xbb\xbf")
    header, rows = _csv(data)
    assert header[0] == "Dấu thời gian"
    grid = [h for h in header if h.startswith("Tự đánh giá cuối năm [")]
    assert len(grid) == 5
    ai = "Ứng dụng công cụ AI trong công việc (soạn thảo, báo cáo, tổng hợp...)"
    quotes = 'Tích cực tham gia xây dựng "chi bộ số tiêu biểu", "đảng bộ số tiêu biểu"'
    s2 = header.index("2. Ứng dụng kỹ năng số trong công việc, cuộc sống (chọn ít nhất 3 nội dung)")
    s4 = header.index("4. Vai trò tiên phong, gương mẫu (chọn ít nhất 2 nội dung)")
    assert any(ai in r[s2] and ", " in r[s2] for r in rows)
    assert any(quotes in r[s4] for r in rows)
    grid_values = Counter(r[header.index(g)] for r in rows for g in grid)
    assert {"Hoàn thành", "Chưa hoàn thành", ""} <= set(grid_values)
    people = Counter((_fold(r[1]), r[2], r[4]) for r in rows)
    assert sum(n > 1 for n in people.values()) >= 10  # later submission wins
    assert any(r[1] != unicodedata.normalize("NFC", r[1].strip()) or r[1].islower() for r in rows)
    others = ward.truth.other_answers
    assert others and any("," in o.raw for o in others)
    for o in others:
        assert o.raw in _cell(rows, header, o.row, o.field)


def test_form_b_truth(ward: sw.SampleWard):
    members = ward.truth.members.values()
    registered = [m for m in members if m.registered]
    assert 0.75 <= len(registered) / len(ward.truth.members) <= 0.85
    complete = Counter(m.registration_complete for m in registered)
    assert complete[True] > complete[False] > 10
    assert all((not m.registration_failed) == m.registration_complete for m in registered)
    twins = [m for m in members if m.name == sw.TWIN_NAME]
    assert len(twins) == 2 and all(m.registered for m in twins)
    assert len({m.branch_code for m in twins}) == 2
    header, rows = _csv(ward.files[sw.FORM_B_FILE])
    for m in registered:
        assert _fold(_cell(rows, header, m.registration_row, "Họ và tên")) == _fold(m.name)
        assert _cell(rows, header, m.registration_row, "Ngày sinh") == m.birth_date.strftime(
            "%d/%m/%Y"
        )


# -- form C -------------------------------------------------------------------------------


def test_form_c_is_an_english_export_with_messy_scores(ward: sw.SampleWard):
    data = ward.files[sw.FORM_C_FILE]
    assert not data.startswith(b"\xef\xbb\xbf")
    header, rows = _csv(data)
    assert header[:6] == [
        "Timestamp",
        "Email Address",
        "Họ và tên đảng viên",
        "Ngày sinh",
        "Nơi sinh hoạt (chi bộ)",
        "Người chấm",
    ]
    assert [h.split(".")[0] for h in header[6:]] == [f"Tiêu chí {n}" for n in range(1, 14)]
    assert all(re.fullmatch(r"\d\d/\d\d/2026 \d\d:\d\d:\d\d", r[0]) for r in rows)
    assert any(int(r[0][3:5]) > 12 for r in rows)  # month first
    assert any(r[0].startswith("05/06/2026") for r in rows)  # ambiguous without the locale
    assert any(int(r[3].split("/")[1]) > 12 for r in rows)  # birth dates m/d/y too
    cells = {c for r in rows for c in r[6:]}
    assert {"7,5", " 10 ", "15/15", "mười", "12", "khá", sw.NA_TEXT} <= cells
    assert {r[5] for r in rows} == {sw.SELF, sw.COMMITTEE}
    pairs = Counter((_fold(r[2]), r[3], r[4], r[5]) for r in rows)
    assert sum(n > 1 for n in pairs.values()) >= 10  # resubmissions by the same scorer


def test_form_c_truth(ward: sw.SampleWard):
    members = list(ward.truth.members.values())
    committee = [m for m in members if m.committee_total is not None]
    assert len(committee) > len(members) / 2
    assert {m.band for m in committee} == {"Xuất sắc", "Khá", "Đạt", "Chưa đạt"}
    assert sum(m.pending for m in members) >= 10
    assert sum(m.gap_flag for m in members) >= 3
    for m in members:
        for crit, total in (
            (m.self_criteria, m.self_total),
            (m.committee_criteria, m.committee_total),
        ):
            assert (crit is None) == (total is None)
            if crit is not None:
                assert abs(sum(crit.values()) - total) < 1e-9
    # a committee sheet with a rejected cell classifies nobody: "Cần kiểm tra lại"
    missing = [m for m in members if m.committee_missing]
    assert len(missing) == 2 and all(
        m.committee_review and m.committee_total is None and m.band is None for m in missing
    )
    # the 05/06/2026 sheet (6 May) is replaced by the 06/01/2026 one (1 June)
    header, rows = _csv(ward.files[sw.FORM_C_FILE])
    trap = next(r for r in rows if r[0].startswith("05/06/2026"))
    owner = next(m for m in members if _fold(m.name) == _fold(trap[2]) and m.self_row)
    assert _cell(rows, header, owner.self_row, "Timestamp").startswith("06/01/2026")


# -- export D -----------------------------------------------------------------------------


def test_export_d_learning_results(ward: sw.SampleWard):
    wb = load_workbook(io.BytesIO(ward.files[sw.EXPORT_D_FILE]), read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    assert rows[0] == sw.EXPORT_D_HEADER
    body = rows[1:]
    assert all(isinstance(r[1], str) and re.fullmatch(r"\d\d/\d\d/\d{4}", r[1]) for r in body)
    assert {r[4] for r in body} == {"Đạt", "Chưa đạt", None}
    assert all(isinstance(r[5], str) for r in body if r[4] == "Đạt")
    assert sw.UNKNOWN_UNIT_TEXT in {r[2] for r in body}
    learners = ward.truth.learners
    assert len(learners) == len(body)
    assert sum(1 for x in learners if x.member_code) >= 100
    assert sum(1 for x in learners if not x.member_code and x.branch_code) >= 20
    assert any(
        x.unit_text != ward.truth.branches[x.branch_code].name for x in learners if x.branch_code
    )


# -- invalid rows -------------------------------------------------------------------------


def test_invalid_rows_point_at_their_cells(ward: sw.SampleWard):
    invalid = ward.truth.invalid_rows
    assert {i.source_id for i in invalid} == set(sw.SOURCES)
    for i in invalid:
        path = sw.SOURCES[i.source_id][1]
        if path.endswith(".xlsx"):
            wb = load_workbook(io.BytesIO(ward.files[path]), read_only=True)
            table = [[str(c) if c is not None else "" for c in r] for r in wb.worksheets[0].values]
            wb.close()
            header, rows = table[0], table[1:]
        else:
            header, rows = _csv(ward.files[path])
        assert _cell(rows, header, i.row, i.field) == i.value, i
    # rejected people never reach the truth
    names = {_fold(m.name) for m in ward.truth.members.values()}
    assert all(_fold(i.value) not in names for i in invalid if i.why == "person not on the roster")
    # rows whose rejected value is superseded are never a branch's final row
    finals = {b.final_row for b in ward.truth.branches.values()}
    assert all(i.row not in finals for i in invalid if i.source_id == "thong_ke")
