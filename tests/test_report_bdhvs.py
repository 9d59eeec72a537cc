"""The year-end report quotes "Bình dân học vụ số" (seed 003): learning on the platform per
group of staff, and the community digital technology teams' support to residents, as part
III.6 after Biểu mẫu 03's own five. Expected figures are counted here from the sample
generator's truth (``generate().truth.staff``, ``.support``), never from the pipeline; the
tab, the Word document the cycle writes and `kns report --branch` are checked against them."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from docx import Document
from openpyxl import load_workbook

from sync.backend import embedded_backend, load_inputs
from sync.config import load_config
from sync.cycle import run_cycle
from sync.report import build_report, form_a_choices
from sync.state import StateStore
from tests.conftest import ROOT, copy_sample_ward
from tools.sample_ward import generate

NOW = datetime.fromisoformat("2026-11-23T08:00:00+07:00")
TITLE = 'Kết quả thực hiện Phong trào "Bình dân học vụ số"'
LEARNERS = "Người học (cán bộ, đảng viên, công chức, viên chức, người lao động)"
# the plan's four groups, in its order; a member the staff roster does not list is counted
# in a group of their own (they are party members whose group nobody wrote down)
GROUPS = ("Cán bộ", "Công chức", "Viên chức", "Người lao động")
UNKNOWN_GROUP = "Đảng viên (chưa rõ nhóm)"
# Form E's "Nội dung hỗ trợ" choices, in form order (mappings/support_log.yaml)
KINDS = (
    "Dịch vụ công trực tuyến",
    "Định danh điện tử (VNeID)",
    "Thanh toán không dùng tiền mặt",
    'Học tập trên nền tảng "Bình dân học vụ số"',
    "Cài đặt, sử dụng ứng dụng số khác",
)

Expected = dict[str, tuple[int, int | None]]  # label -> (count, total)


def _copy(base: Path) -> Path:
    return copy_sample_ward(base)


def _cycle(config: Path):
    cfg = load_config(config)
    with StateStore(cfg.state.path) as store:
        return cfg, run_cycle(load_inputs(cfg), store, embedded_backend(cfg), NOW)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    config = _copy(tmp_path_factory.mktemp("ward"))
    cfg, report = _cycle(config)
    return config, cfg, report, generate().truth


# ---------------------------------------------------------------------------------------
# Expected figures, from the generator's truth
# ---------------------------------------------------------------------------------------


def _learning(staff) -> Expected:
    """Everyone the pipeline must count (the staff roster plus the members it does not
    list): started = a lesson done or an assessment taken; passed = assessed "Đạt"."""

    def started(s) -> bool:
        return bool(s.lessons) or s.passed is not None

    out: Expected = {
        LEARNERS: (len(staff), None),
        "Đã tham gia học trên nền tảng": (sum(started(s) for s in staff), len(staff)),
        "Đã đạt đánh giá kỹ năng số": (sum(bool(s.passed) for s in staff), len(staff)),
    }
    for group in (*GROUPS, ""):
        mine = [s for s in staff if s.group == group]
        if not mine:
            continue
        label = group or UNKNOWN_GROUP
        out[f"{label}: đã tham gia học"] = (sum(started(s) for s in mine), len(mine))
        out[f"{label}: đã đạt đánh giá"] = (sum(bool(s.passed) for s in mine), len(mine))
    return out


def _support(support) -> Expected:
    """The teams' log rows of 2026 that name a team of the roster (the row naming no team is
    a data problem); people are distinct over the ward, whichever team helped them."""
    rows = [r for r in support.rows if r.team and r.day.year == 2026]
    kinds = Counter(k for r in rows for k in r.kinds)
    out: Expected = {
        "Tổ công nghệ số cộng đồng có nhật ký hỗ trợ": (
            len({r.team for r in rows}),
            len(support.teams),
        ),
        "Lượt hỗ trợ người dân năm 2026": (len(rows), None),
        "Người dân được hỗ trợ (mỗi người tính một lần)": (len({r.pid for r in rows}), None),
    }
    for kind in KINDS:
        out[f"Lượt hỗ trợ nội dung: {kind}"] = (kinds[kind], len(rows))
    return out


def test_the_truth_exercises_every_figure(run):
    *_, truth = run
    staff = _learning(truth.staff)
    # every group of the plan has people, some of them started and some passed
    for group in (*GROUPS, UNKNOWN_GROUP):
        assert 0 < staff[f"{group}: đã đạt đánh giá"][0] < staff[f"{group}: đã tham gia học"][0]
    support = _support(truth.support)
    assert support["Tổ công nghệ số cộng đồng có nhật ký hỗ trợ"][0] < len(truth.support.teams)
    # repeat visits and people helped by two teams: people < sessions
    assert (
        support["Người dân được hỗ trợ (mỗi người tính một lần)"][0]
        < support["Lượt hỗ trợ người dân năm 2026"][0]
    )
    assert all(support[f"Lượt hỗ trợ nội dung: {k}"][0] for k in KINDS)


# ---------------------------------------------------------------------------------------
# The "Báo cáo tổng hợp" tab and the Word document of the ward
# ---------------------------------------------------------------------------------------


def _tab_section(config: Path, number: str) -> tuple[list[str], dict[str, tuple]]:
    """The rows under ``number``'s heading up to the next heading: its sentences, and its
    figures as label -> (count, total, rate)."""
    wb = load_workbook(load_config(config).destination.path)
    rows = list(wb["Báo cáo tổng hợp"].iter_rows(values_only=True))[2:]
    start = next(i for i, r in enumerate(rows) if r[0] == number)
    sentences: list[str] = []
    figures: dict[str, tuple] = {}
    for r in rows[start + 1 :]:
        if r[0]:  # the next heading
            break
        if r[2] is None and r[3] is None:
            sentences.append(str(r[1]))
        else:
            figures[str(r[1])] = (r[2], r[3], r[4])
    return sentences, figures


def _tab_numbers(config: Path) -> list[str]:
    wb = load_workbook(load_config(config).destination.path)
    rows = list(wb["Báo cáo tổng hợp"].iter_rows(values_only=True))[2:]
    return [str(r[0]) for r in rows if r[0] and not str(r[0]).startswith("MT")]


def _docx_figures(path: Path) -> dict[str, tuple[str, str]]:
    """Figure tables of a report document: label (without its unit) -> (count, total)."""
    out = {}
    for table in Document(str(path)).tables:
        cells = [c.text for c in table.rows[0].cells]
        if cells[:2] != ["Nội dung", "Số lượng"]:
            continue
        for row in table.rows[1:]:
            label, count, total = (c.text for c in row.cells[:3])
            out[label.rsplit(" (", 1)[0]] = (count, total)
    return out


def _as_docx(expected: Expected) -> dict[str, tuple[str, str]]:
    return {k: (str(c), "" if t is None else str(t)) for k, (c, t) in expected.items()}


def test_the_tab_quotes_learning_and_support_as_part_iii_6(run):
    config, _, _, truth = run
    numbers = _tab_numbers(config)
    assert numbers.index("III.6") == numbers.index("III.5") + 1
    assert numbers.index("III.6") < numbers.index("IV")
    expected = {**_learning(truth.staff), **_support(truth.support)}
    sentences, figures = _tab_section(config, "III.6")
    assert set(figures) == set(expected)  # nothing more, nothing less
    for label, (count, total) in expected.items():
        got = figures[label]
        assert (got[0], got[1]) == (count, total), label
        if total:
            assert got[2] == pytest.approx(count / total), label
    staff = len(truth.staff)
    passed = sum(bool(s.passed) for s in truth.staff)
    share = f"{passed / staff * 100:.1f}".replace(".", ",") + "%"
    support = _support(truth.support)
    people = support["Người dân được hỗ trợ (mỗi người tính một lần)"][0]
    sessions = support["Lượt hỗ trợ người dân năm 2026"][0]
    assert sentences[0].startswith(f"{passed}/{staff} cán bộ, đảng viên, công chức")
    assert f"({share})" in sentences[0]
    assert f"đã hỗ trợ {people} người dân qua {sessions} lượt hỗ trợ" in sentences[1]


def test_the_wards_word_document_carries_the_same_figures(run):
    _, cfg, report, truth = run
    assert report.report_path == cfg.report.path and cfg.report.path.exists()
    doc = _docx_figures(cfg.report.path)
    for label, want in _as_docx({**_learning(truth.staff), **_support(truth.support)}).items():
        assert doc[label] == want, label
    paragraphs = Document(str(cfg.report.path)).paragraphs
    headings = [p.text for p in paragraphs if p.style.name.startswith("Heading")]
    i = headings.index(f"6. {TITLE}")
    assert headings[i - 1].startswith("5. Một số mô hình")
    # the targets' block follows, numbered on (as it was after part 5), then section IV
    assert headings[i + 1] == "7. Kết quả thực hiện các mục tiêu năm 2026"
    assert headings[i + 2].startswith("IV.")


# ---------------------------------------------------------------------------------------
# A branch's report: its own units' learners, no teams
# ---------------------------------------------------------------------------------------


def _busiest_branch(truth) -> str:
    """The branch overseeing the most learners (several groups among them)."""
    by_branch = Counter(s.branch_code for s in truth.staff)
    return max(sorted(by_branch), key=lambda code: by_branch[code])


def _kns(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sync.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_kns_report_for_a_branch_counts_its_own_learners_and_no_teams(run, tmp_path):
    config, _, _, truth = run
    code = _busiest_branch(truth)
    mine = [s for s in truth.staff if s.branch_code == code]
    assert len({s.group for s in mine}) > 1
    out = tmp_path / f"{code}.docx"
    done = _kns(
        "report", "--config", str(config), "--now", NOW.isoformat(),
        "--branch", code, "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = _docx_figures(out)
    for label, want in _as_docx(_learning(mine)).items():
        assert doc[label] == want, label
    # groups the branch's units do not have are not quoted
    for group in (*GROUPS, UNKNOWN_GROUP):
        if not any((s.group or UNKNOWN_GROUP) == group for s in mine):
            assert f"{group}: đã đạt đánh giá" not in doc
    # the teams are the ward's: none of their figures in a branch's report
    assert not any(label in doc for label in _support(truth.support))
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert f"6. {TITLE}" in text and "Tổ công nghệ số cộng đồng đã hỗ trợ" not in text


def test_kns_report_for_the_ward_quotes_the_teams(run, tmp_path):
    config, _, _, truth = run
    out = tmp_path / "phuong.docx"
    done = _kns("report", "--config", str(config), "--now", NOW.isoformat(), "--out", str(out))
    assert done.returncode == 0, done.stderr
    doc = _docx_figures(out)
    for label, want in _as_docx({**_learning(truth.staff), **_support(truth.support)}).items():
        assert doc[label] == want, label


# ---------------------------------------------------------------------------------------
# Only what the ward reads
# ---------------------------------------------------------------------------------------


def test_without_support_logs_only_learning_is_quoted(tmp_path):
    config = _copy(tmp_path)
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    support_ids = {s["id"] for s in raw["sources"] if s.get("kind") == "support_log"}
    assert support_ids and raw.get("teams")
    raw["sources"] = [s for s in raw["sources"] if s["id"] not in support_ids]
    raw.pop("teams")
    raw["milestones"] = [m for m in raw.get("milestones", []) if m.get("scope") != "team"]
    config.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    _, report = _cycle(config)
    truth = generate().truth
    _, figures = _tab_section(config, "III.6")
    assert set(figures) == set(_learning(truth.staff))
    assert report.ward_report is not None
    (section,) = [s for s in report.ward_report.sections if s.number == "III.6"]
    assert not any(f.key.startswith("support_") for f in section.figures)


def test_without_either_source_there_is_no_part_iii_6(run):
    _, cfg, report, _ = run
    ev = report.evaluation
    assert ev is not None
    inputs = load_inputs(cfg)
    plain = build_report(
        cfg, inputs.rubric, inputs.roster, ev.statuses, ev.members, ev.kpis, ev.history, NOW
    )
    assert "III.6" not in [s.number for s in plain.sections]
    # with them, the same figures as the cycle's report (build_report is pure)
    quoted = build_report(
        cfg, inputs.rubric, inputs.roster, ev.statuses, ev.members, ev.kpis, ev.history, NOW,
        learning=ev.learning, support=report.support,
        choices=form_a_choices(cfg, inputs.mappings),
    )  # fmt: skip
    assert quoted == report.ward_report
