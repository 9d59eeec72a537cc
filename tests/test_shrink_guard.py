"""No trust in a shrunken input: a cut-off export (header only, cut at 40 %, a branch's only
report gone) or a roster that loses many members is held back; the stored data stays, the
cycle goes on, "Lỗi dữ liệu" says which source shrank and how to accept it; nothing wrong
is sent. A source that cannot be read at all is that source's problem, never the cycle's."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from sync.backend import embedded_backend, load_inputs
from sync.config import load_config
from sync.cycle import CycleReport, run_cycle
from sync.ports import FetchResult
from sync.state import StateStore
from tests.conftest import ROOT, copy_sample_ward

MONDAY = datetime.fromisoformat("2026-11-23T08:00:00+07:00")
LATER = MONDAY + timedelta(days=7, hours=1)  # the next Monday: new overdue notices are due


def _copy(base: Path) -> Path:
    return copy_sample_ward(base)


@pytest.fixture()
def ward(tmp_path: Path) -> Path:
    return _copy(tmp_path / "ward")


def _cycle(config: Path, now: datetime, accept: tuple[str, ...] = ()) -> CycleReport:
    cfg = load_config(config)
    with StateStore(cfg.state.path) as store:
        return run_cycle(
            load_inputs(cfg), store, embedded_backend(cfg), now, accept_shrink=accept
        )


def _export(config: Path, source_id: str) -> Path:
    cfg = load_config(config)
    path = next(s.file for s in cfg.sources if s.id == source_id)
    assert path is not None
    return path


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def _write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


def _problems(config: Path) -> list[dict[str, object]]:
    wb = load_workbook(load_config(config).destination.path)
    values = list(wb["Lỗi dữ liệu"].iter_rows(values_only=True))
    return [dict(zip(values[1], r, strict=False)) for r in values[2:]]


def _tabs_but_problems(config: Path) -> dict[str, list[tuple[object, ...]]]:
    wb = load_workbook(load_config(config).destination.path)
    return {
        ws.title: list(ws.iter_rows(min_row=2, values_only=True))
        for ws in wb
        if ws.title not in ("Lỗi dữ liệu", "Nhật ký gửi thư")
    }


def _cut(path: Path, keep_share: float) -> None:
    rows = _rows(path)
    _write_rows(path, rows[: 1 + int((len(rows) - 1) * keep_share)])


@pytest.mark.parametrize(
    ("source_id", "keep"),
    [
        ("bieu_mau_02", 0.0),  # header only
        ("bieu_mau_02", 0.4),  # cut at 40 %
        ("bieu_mau_01", 0.4),
        ("thong_ke", 0.0),
    ],
)
def test_a_cut_off_export_is_held_back_and_nothing_wrong_is_sent(
    tmp_path: Path, source_id: str, keep: float
):
    reference, ward = _copy(tmp_path / "reference"), _copy(tmp_path / "ward")
    for config in (reference, ward):
        _cycle(config, MONDAY)
    cfg = load_config(ward)
    with StateStore(cfg.state.path) as st:
        stored = st.count(source_id)
    _cut(_export(ward, source_id), keep)

    expected = _cycle(reference, LATER)
    got = _cycle(ward, LATER)
    assert got.held == [source_id]
    # the same mail as if the download had been whole: no wrong overdue notice
    assert sorted(got.sent) == sorted(expected.sent) and got.sent
    assert _tabs_but_problems(ward) == _tabs_but_problems(reference)
    with StateStore(cfg.state.path) as st:
        assert st.count(source_id) == stored  # nothing deleted
    (row,) = [p for p in _problems(ward) if "ít hơn hẳn" in str(p["Lý do"])]
    reason = str(row["Lý do"])
    assert row["Nguồn"] == next(s.title for s in cfg.sources if s.id == source_id)
    assert f"--accept-shrink {source_id}" in reason and "chưa áp dụng" in reason
    assert str(row["Giá trị"]).startswith(f"{stored} → ")

    # the next cycle, the same cut file: still held, still the same mail as the reference
    again = _cycle(ward, LATER + timedelta(hours=1))
    assert again.held == [source_id] and again.sent == []


def test_accepting_the_shrink_applies_it(ward: Path):
    _cycle(ward, MONDAY)
    path = _export(ward, "bieu_mau_02")
    _cut(path, 0.4)
    held = _cycle(ward, MONDAY + timedelta(hours=1))
    assert held.held == ["bieu_mau_02"]
    cfg = load_config(ward)
    with StateStore(cfg.state.path) as st:
        stored = st.count("bieu_mau_02")
    accepted = _cycle(ward, MONDAY + timedelta(hours=2), accept=("bieu_mau_02",))
    assert accepted.held == []
    assert accepted.stored["bieu_mau_02"].endswith("xóa") and "0 xóa" not in accepted.stored[
        "bieu_mau_02"
    ]
    with StateStore(cfg.state.path) as st:
        assert st.count("bieu_mau_02") < stored
    assert not any("ít hơn" in str(p["Lý do"]) for p in _problems(ward))


def test_a_source_configured_to_accept_shrinks_is_applied(ward: Path):
    _cycle(ward, MONDAY)
    text = ward.read_text(encoding="utf-8")
    ward.write_text(
        text.replace(
            "    file: sample/exports/bieu-mau-02.csv\n",
            "    file: sample/exports/bieu-mau-02.csv\n    accept_shrink: true\n",
        ),
        encoding="utf-8",
    )
    _cut(_export(ward, "bieu_mau_02"), 0.4)
    report = _cycle(ward, MONDAY + timedelta(hours=1))
    assert report.held == []


def test_a_branch_losing_its_only_report_is_held_back(ward: Path):
    _cycle(ward, MONDAY)
    path = _export(ward, "thong_ke")
    rows = _rows(path)
    header = rows[0]
    assert header[2].strip() == "Tên Chi Bộ"
    # CB01's only report: one row of 28 (under the share), but the branch's only one
    single = "Chi bộ Văn phòng Đảng ủy"
    assert [r[2] for r in rows].count(single) == 1
    _write_rows(path, [header, *[r for r in rows[1:] if r[2] != single]])
    report = _cycle(ward, MONDAY + timedelta(hours=1))
    assert report.held == ["thong_ke"]
    (row,) = [p for p in _problems(ward) if "báo cáo duy nhất" in str(p["Lý do"])]
    assert "CB01" in str(row["Lý do"])


def test_a_few_removed_answers_are_applied(ward: Path):
    _cycle(ward, MONDAY)
    path = _export(ward, "bieu_mau_02")
    rows = _rows(path)
    _write_rows(path, rows[:-3])  # 3 of 665 rows: well under 5 %
    report = _cycle(ward, MONDAY + timedelta(hours=1))
    assert report.held == []
    assert report.stored["bieu_mau_02"] == "0 mới, 0 sửa, 3 xóa"


def test_a_roster_that_loses_many_members_is_held_back(ward: Path):
    _cycle(ward, MONDAY)
    cfg = load_config(ward)
    members = cfg.roster.members
    assert members is not None
    lines = members.read_text(encoding="utf-8-sig").splitlines()
    members.write_text("\n".join(lines[:60]) + "\n", encoding="utf-8")
    report = _cycle(ward, LATER)
    assert report.held == ["roster"]
    assert report.evaluation is not None and len(report.evaluation.members) == 500
    (row,) = [p for p in _problems(ward) if p["Nguồn"] == "Danh sách chi bộ, đảng viên"]
    assert "đảng viên: 500 → 59" in str(row["Lý do"])
    assert "--accept-shrink roster" in str(row["Lý do"])
    accepted = _cycle(ward, LATER + timedelta(hours=1), accept=("roster",))
    assert accepted.held == []
    assert accepted.evaluation is not None and len(accepted.evaluation.members) == 59


def _kns(config: Path, now: datetime) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "sync.cli", "run", "--once", "--config", str(config)]
    return subprocess.run(
        [*cmd, "--now", now.isoformat()], env=env, capture_output=True, text=True, timeout=120
    )


def test_the_accept_flag_and_the_held_message_on_the_command_line(ward: Path):
    assert _kns(ward, MONDAY).returncode == 0
    _cut(_export(ward, "bieu_mau_01"), 0.0)
    held = _kns(ward, MONDAY + timedelta(hours=1))
    assert held.returncode == 0, held.stderr
    assert "--accept-shrink bieu_mau_01" in held.stdout
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    accepted = subprocess.run(
        [
            sys.executable,
            "-m",
            "sync.cli",
            "run",
            "--once",
            "--config",
            str(ward),
            "--now",
            (MONDAY + timedelta(hours=2)).isoformat(),
            "--accept-shrink",
            "bieu_mau_01",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert accepted.returncode == 0, accepted.stderr
    assert "--accept-shrink" not in accepted.stdout


# ---------------------------------------------------------------------------------------
# A source that cannot be read
# ---------------------------------------------------------------------------------------


def test_a_cell_over_the_csv_limit_is_a_problem_of_that_source_only(ward: Path):
    first = _kns(ward, MONDAY)
    assert first.returncode == 0
    path = _export(ward, "bieu_mau_01")
    rows = _rows(path)
    rows[3][5] = "x" * 140_000
    _write_rows(path, rows)
    _cut(_export(ward, "bieu_mau_02"), 0.97)  # another source changes at the same time
    result = _kns(ward, LATER)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "Đã ghi bảng tổng hợp" in result.stdout
    problems = _problems(ward)
    (row,) = [p for p in problems if "Không đọc được nguồn" in str(p["Lý do"])]
    assert row["Nguồn"] == "Biểu mẫu 01 - Bản đăng ký, cam kết"
    assert "bieu-mau-01.csv" in str(row["Lý do"])
    cfg = load_config(ward)
    with StateStore(cfg.state.path) as st:
        assert st.count("bieu_mau_01") > 400  # the stored answers stay
        assert st.last_cycle().status == "ok"


@pytest.mark.parametrize("how", ["folder", "not_a_zip", "utf16"])
def test_an_unreadable_export_keeps_its_stored_answers(ward: Path, how: str):
    _cycle(ward, MONDAY)
    cfg = load_config(ward)
    if how == "folder":
        path = _export(ward, "thong_ke")
        path.unlink()
        path.mkdir()
        source = "thong_ke"
    elif how == "not_a_zip":
        path = _export(ward, "binh_dan_hoc_vu_so")
        path.write_bytes(path.read_bytes()[:1000])  # half-saved
        source = "binh_dan_hoc_vu_so"
    else:
        path = _export(ward, "bieu_mau_02")
        path.write_bytes(path.read_text(encoding="utf-8-sig").encode("utf-16"))
        source = "bieu_mau_02"
    with StateStore(cfg.state.path) as st:
        before = st.count(source)
    report = _cycle(ward, LATER)
    assert report.evaluation is not None and report.wrote_tables
    with StateStore(cfg.state.path) as st:
        assert st.count(source) == before
    assert any("Không đọc được nguồn" in str(p["Lý do"]) for p in _problems(ward))


class _FormsLike:
    """A source that answers as the Forms API's nightly full read does: its own list of
    the form's responses (``authoritative``), here with most of them deleted on the form."""

    def __init__(self, source_id: str, responses: tuple, authoritative: bool) -> None:
        self.source_id = source_id
        self.responses = responses
        self.authoritative = authoritative

    def fetch(self, cursor: str | None, now: datetime) -> FetchResult:
        return FetchResult(self.responses, complete=True, authoritative=self.authoritative)


@pytest.mark.parametrize("authoritative", [True, False])
def test_a_deletion_the_form_itself_reports_is_applied(ward: Path, authoritative: bool):
    _cycle(ward, MONDAY)
    cfg = load_config(ward)
    with StateStore(cfg.state.path) as st:
        kept = st.responses("bieu_mau_02")[:100]  # 565 of 665 deleted on the form
        before = st.count("bieu_mau_02")
    backend = embedded_backend(cfg)
    backend.sources["bieu_mau_02"] = _FormsLike("bieu_mau_02", kept, authoritative)
    with StateStore(cfg.state.path) as store:
        report = run_cycle(load_inputs(cfg), store, backend, MONDAY + timedelta(hours=1))
    with StateStore(cfg.state.path) as st:
        after = st.count("bieu_mau_02")
    if authoritative:
        assert report.held == [] and after == 100
        assert report.stored["bieu_mau_02"] == f"0 mới, 0 sửa, {before - 100} xóa"
    else:  # the same read from a downloaded file: held back
        assert report.held == ["bieu_mau_02"] and after == before


def test_a_dry_run_shows_the_held_read_as_a_cycle_would(ward: Path):
    _cycle(ward, MONDAY)
    _cut(_export(ward, "bieu_mau_02"), 0.4)
    cfg = load_config(ward)
    with StateStore(cfg.state.path, read_only=True) as store:
        dry = run_cycle(load_inputs(cfg), store, embedded_backend(cfg), LATER, dry_run=True)
    real = _cycle(ward, LATER)
    assert dry.held == real.held == ["bieu_mau_02"]
    assert dry.evaluation is not None and real.evaluation is not None
    assert [m.committee_total for m in dry.evaluation.members] == [
        m.committee_total for m in real.evaluation.members
    ]


# ---------------------------------------------------------------------------------------
# The staff roster of "Bình dân học vụ số" (loaded with the roster, guarded with it)
# ---------------------------------------------------------------------------------------


def _listed_learners(report: CycleReport) -> set[str]:
    """Learners the staff roster lists (members it does not list are added with no unit)."""
    assert report.evaluation is not None and report.evaluation.learning is not None
    return {p.staff.code for p in report.evaluation.learning.learners if p.staff.unit}


@pytest.mark.parametrize("how", ["flag", "config"])
def test_a_cut_off_staff_roster_is_held_back_until_accepted(ward: Path, how: str):
    from tools.sample_ward import generate

    listed = {s.code for s in generate().truth.staff if s.in_staff_file}
    first = _cycle(ward, MONDAY)
    assert _listed_learners(first) == listed
    cfg = load_config(ward)
    assert cfg.staff is not None and cfg.staff.roster is not None
    rows = _rows(cfg.staff.roster)
    assert {r[0].strip() for r in rows[1:]} == listed  # "Mã cán bộ" first
    half = rows[: 1 + len(listed) // 2]  # saved half-way
    kept = {r[0].strip() for r in half[1:]}
    _write_rows(cfg.staff.roster, half)

    held = _cycle(ward, LATER)
    assert held.held == ["roster"]
    assert _listed_learners(held) == listed  # the stored staff roster: nobody dropped
    assert held.evaluation is not None and len(held.evaluation.members) == 500
    (row,) = [p for p in _problems(ward) if str(p["Nguồn"]).startswith("Danh sách chi bộ")]
    reason = str(row["Lý do"])
    assert row["Nguồn"] == "Danh sách chi bộ, đảng viên, cán bộ"
    lost = len(listed) - len(kept)
    assert f"cán bộ (Bình dân học vụ số): {len(listed)} → {len(kept)} (mất {lost})" in reason
    assert "đảng viên:" not in reason and "chi bộ:" not in reason  # only the staff shrank
    assert "--accept-shrink roster" in reason and "chưa áp dụng" in reason
    # the next cycle, the same cut file: still held, nothing sent
    again = _cycle(ward, LATER + timedelta(hours=1))
    assert again.held == ["roster"] and again.sent == []

    if how == "flag":
        accepted = _cycle(ward, LATER + timedelta(hours=2), accept=("roster",))
    else:
        text = ward.read_text(encoding="utf-8")
        ward.write_text(
            text.replace("roster:\n  branches:", "roster:\n  accept_shrink: true\n  branches:", 1),
            encoding="utf-8",
        )
        assert load_config(ward).roster.accept_shrink
        accepted = _cycle(ward, LATER + timedelta(hours=2))
    assert accepted.held == []
    assert _listed_learners(accepted) == kept
    assert not any("ít hơn hẳn" in str(p["Lý do"]) for p in _problems(ward))


def test_a_few_staff_leaving_is_applied(ward: Path):
    _cycle(ward, MONDAY)
    cfg = load_config(ward)
    assert cfg.staff is not None and cfg.staff.roster is not None
    rows = _rows(cfg.staff.roster)
    _write_rows(cfg.staff.roster, rows[:-3])  # 3 of 210: under 5 %
    report = _cycle(ward, LATER)
    assert report.held == []
    assert _listed_learners(report) == {r[0].strip() for r in rows[1:-3]}


def test_the_staff_share_is_measured_on_the_staff_roster_alone():
    from datetime import date

    from sync.guard import roster_shrink
    from sync.model import Branch, Member, Roster, StaffMember

    branches = (Branch("CB01", "Chi bộ 1"),)
    members = tuple(Member(f"DV{i}", f"Đảng viên {i}", date(1980, 1, 1), "CB01") for i in range(40))
    staff = tuple(
        StaffMember(f"NS{i}", f"Cán bộ {i}", date(1990, 1, 1), "Phòng A", "CB01", "Công chức")
        for i in range(20)
    )
    old = Roster(branches, members, staff)
    # 2 of 20 staff (10 %): over 5 % of the staff, though 2 of the 61 roster entries
    cut = roster_shrink(old, Roster(branches, members, staff[2:]), max_share=0.05)
    assert cut is not None and cut.staff
    assert cut.detail == "cán bộ (Bình dân học vụ số): 20 → 18 (mất 2)"
    assert (cut.before, cut.after) == (61, 59)
    assert roster_shrink(old, Roster(branches, members, staff[1:]), max_share=0.05) is None
    # no staff roster configured any more (an empty file would not load): a config change
    assert roster_shrink(old, Roster(branches, members), max_share=0.05) is None
    # members lost alone: the source stays the member roster's
    lost = roster_shrink(old, Roster(branches, members[:30], staff), max_share=0.05)
    assert lost is not None and not lost.staff
