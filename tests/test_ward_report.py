"""The year-end report (Biểu mẫu 03) of the sample ward: the "Báo cáo tổng hợp" tab against
figures counted here from the generator's truth (never from the pipeline), and the Word
documents the cycle and `kns report` write carrying the same figures."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from sync.backend import embedded_backend, load_inputs
from sync.config import load_config
from sync.cycle import run_cycle
from sync.state import StateStore
from tests.conftest import ROOT, copy_sample_ward
from tools.sample_ward import generate

NOW = datetime.fromisoformat("2026-11-23T08:00:00+07:00")
TODAY = NOW.date()
FORMS = ("Trực tiếp", "Trực tuyến", "Kết hợp trực tiếp và trực tuyến")
CONTENTS = (
    "Nâng cao nhận thức về chuyển đổi số (mục 3.1)",
    "Hướng dẫn, tập huấn kỹ năng số cơ bản (mục 3.2)",
    "Ứng dụng kỹ năng số trong công việc, cuộc sống (mục 3.3)",
    'Phần việc "Chi bộ tiên phong chuyển đổi số" (mục 3.4)',
    'Đăng ký phần việc "Cán bộ số, đảng viên số tiêu biểu" (mục 3.5)',
)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("ward")
    copy_sample_ward(base)
    cfg = load_config(base / "config" / "example.yaml")
    inputs = load_inputs(cfg)
    with StateStore(cfg.state.path) as store:
        report = run_cycle(inputs, store, embedded_backend(cfg), NOW)
    wb = load_workbook(cfg.destination.path)
    return cfg, report, wb, generate().truth


def _figures(ws) -> dict[str, tuple]:
    """Tab rows keyed by their text (column B): (count, total, rate)."""
    out = {}
    for row in list(ws.iter_rows(values_only=True))[2:]:
        if row[1]:
            out[row[1]] = (row[2], row[3], row[4])
    return out


def _expected(cfg, truth, codes=None) -> dict[str, tuple[int | None, int | None]]:
    """Every counted figure of the report, from the generator's model of the ward."""
    branches = [b for b in truth.branches.values() if codes is None or b.code in codes]
    members = [
        m
        for m in truth.members.values()
        if not m.exempt and (codes is None or m.branch_code in codes)
    ]
    n = len(branches)
    plan_due = next(m.due for m in cfg.milestones if m.done_when == "plan_issued")
    sessions = [s for b in branches for s in b.sessions]
    held = [b for b in branches if b.sessions]
    # a branch's own figures describe its session; a branch that reported none counts
    # its roster members (exempt excluded)
    required = sum(
        b.total_members - b.exempt_members
        if b.total_members is not None and b.exempt_members is not None
        else b.roster_members - b.roster_exempt
        for b in branches
    )
    forms = Counter(form for _, form, _ in sessions)
    items = [b for b in branches if b.counts.get("registered_item") is not None]
    scored = [m for m in members if m.committee_total is not None]
    bands = Counter(m.band for m in scored)
    out: dict[str, tuple[int | None, int | None]] = {
        "Chi bộ ban hành kế hoạch đúng hạn": (
            sum(1 for b in branches if b.plan_date and b.plan_date <= plan_due),
            n,
        ),
        "Chi bộ ban hành kế hoạch trễ hạn": (
            sum(1 for b in branches if b.plan_date and b.plan_date > plan_due),
            n,
        ),
        "Chi bộ chưa ban hành kế hoạch": (sum(1 for b in branches if not b.plan_date), n),
        "Số buổi sinh hoạt chuyên đề đã tổ chức": (len(sessions), None),
        "Chi bộ đã tổ chức ít nhất 01 buổi": (len(held), n),
        "Đảng viên tham gia sinh hoạt (trên số phải tham gia, trừ miễn sinh hoạt)": (
            sum(b.participants or 0 for b in branches),
            required,
        ),
        "Buổi có mời báo cáo viên hoặc Tổ công nghệ số cộng đồng hướng dẫn thực hành": (
            sum(1 for _, _, invited in sessions if invited),
            len(sessions),
        ),
        "Chi bộ đăng ký nhiệm vụ": (sum(1 for b in branches if b.task_name), n),
        "Nhiệm vụ xây dựng đủ 6 rõ": (sum(1 for b in branches if b.task_registered), n),
        "Nhiệm vụ chưa triển khai": (
            sum(1 for b in branches if b.task_progress == "Chưa triển khai"),
            n,
        ),
        "Nhiệm vụ đang thực hiện": (
            sum(1 for b in branches if b.task_progress == "Đang thực hiện"),
            n,
        ),
        "Nhiệm vụ đã hoàn thành, có sản phẩm cụ thể": (
            sum(1 for b in branches if b.task_registered and b.task_progress == "Đã hoàn thành"),
            n,
        ),
        "Đảng viên có bản đăng ký (Biểu mẫu 01)": (
            sum(1 for m in members if m.registered),
            len(members),
        ),
        "Bản đăng ký đầy đủ các mục bắt buộc": (
            sum(1 for m in members if m.registration_complete),
            len(members),
        ),
        'Đảng viên đăng ký phần việc "Cán bộ số, đảng viên số tiêu biểu" (chi bộ báo cáo)': (
            sum(b.counts["registered_item"] for b in items) if items else None,
            sum(b.roster_members - b.roster_exempt for b in items) if items else None,
        ),
        "Đảng viên được cấp ủy chấm điểm (Biểu mẫu 02)": (len(scored), len(members)),
        "Chờ cấp ủy chấm (mới tự chấm)": (sum(1 for m in members if m.pending), len(members)),
        "Cần kiểm tra lại (phiếu cấp ủy chấm có ô không hợp lệ)": (
            sum(1 for m in members if m.committee_review),
            len(members),
        ),
        "Chênh lệch tự chấm và cấp ủy chấm cần rà soát": (
            sum(1 for m in members if m.gap_flag),
            len(scored),
        ),
    }
    for form in FORMS:
        out[f"Buổi sinh hoạt hình thức {form.lower()}"] = (forms[form], len(sessions))
    for content in CONTENTS:
        out[f"Nội dung: {content}"] = (sum(1 for b in held if content in b.contents), len(held))
    for band in ("Xuất sắc", "Khá", "Đạt", "Chưa đạt"):
        out[f"Xếp loại {band}"] = (bands[band], len(scored))
    return out


def test_report_tab_figures_equal_the_generators_truth(run):
    cfg, _, wb, truth = run
    tab = _figures(wb["Báo cáo tổng hợp"])
    expected = _expected(cfg, truth)
    for label, (count, total) in expected.items():
        assert label in tab, label
        got = tab[label]
        assert (got[0], got[1]) == (count, total), label
        if count is not None and total:
            assert got[2] == pytest.approx(count / total), label
    # the sample is built so that each kind of figure is exercised
    assert expected["Số buổi sinh hoạt chuyên đề đã tổ chức"][0] > len(
        [b for b in truth.branches.values() if b.sessions]
    ), "one branch reported two sessions on different dates"
    assert expected["Cần kiểm tra lại (phiếu cấp ủy chấm có ô không hợp lệ)"][0] == 2


def test_report_tab_layout_follows_bieu_mau_03(run):
    _, _, wb, truth = run
    ws = wb["Báo cáo tổng hợp"]
    rows = list(ws.iter_rows(values_only=True))[2:]
    numbers = [r[0] for r in rows if r[0] and not str(r[0]).startswith("MT")]
    assert numbers == [
        "I", "II", "II.1", "II.2", "II.3", "III", "III.1", "III.2", "III.3", "III.4",
        "III.5", "III.6", "IV", "IV.1", "IV.2", "IV.3", "V", "VI", "VII",
    ]  # fmt: skip  (III.6: "Bình dân học vụ số", tests/test_report_bdhvs.py)
    # the parts no form collects are marked places for staff, never numbers
    texts = [r[1] for r in rows]
    for number in ("II.2", "II.3", "III.1", "IV.1", "IV.2", "IV.3", "V"):
        i = next(k for k, r in enumerate(rows) if r[0] == number)
        assert rows[i + 1][1].startswith("(Phần này do cán bộ tự viết"), number
        assert rows[i + 1][2:6] == (None, None, None, None), number
    # good practices and recommendations gathered with their branch
    practices = {
        f"{b.code} - {b.name}": b.good_practices
        for b in truth.branches.values()
        if b.good_practices
    }
    start = texts.index("Một số mô hình, cách làm hay, hiệu quả cần nhân rộng")
    got = {r[1]: r[7] for r in rows[start + 1 : start + 1 + len(practices)]}
    assert got == practices
    # the targets, each with result, goal and verdict, before section IV
    assert texts.index("Kết quả thực hiện các mục tiêu năm 2026") < texts.index("Đánh giá chung")
    targets = [r for r in rows if r[0] and str(r[0]).startswith("MT")]
    assert [r[0] for r in targets] == [f"MT{i}" for i in range(1, 8)]


def test_branch_summary_carries_each_branchs_figures(run):
    _, _, wb, truth = run
    values = list(wb["Tổng hợp chi bộ"].iter_rows(values_only=True))
    header = values[1]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in values[2:]}
    for code, b in truth.branches.items():
        row = rows[code]
        members = [m for m in truth.members.values() if m.branch_code == code and not m.exempt]
        assert row["Số buổi sinh hoạt"] == len(b.sessions), code
        assert row["Số buổi có mời báo cáo viên, Tổ CNSCĐ"] == sum(1 for s in b.sessions if s[2]), (
            code
        )
        assert row["Số đảng viên có bản đăng ký"] == sum(m.registered for m in members), code
        assert row["Cần kiểm tra lại"] == sum(m.committee_review for m in members), code
        assert row["Xuất sắc"] == sum(m.band == "Xuất sắc" for m in members), code
    assert rows["CB02"]["Số buổi sinh hoạt"] == 2


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


def _text(n: int | None) -> str:
    return "—" if n is None else str(n)


def test_the_cycle_writes_the_wards_report_with_the_tabs_figures(run):
    cfg, report, _, truth = run
    assert report.report_path == cfg.report.path and cfg.report.path.exists()
    doc = _docx_figures(cfg.report.path)
    for label, (count, total) in _expected(cfg, truth).items():
        assert doc[label] == (_text(count), "" if total is None else str(total)), label
    document = Document(str(cfg.report.path))
    header = "\n".join(c.text for c in document.tables[0].rows[0].cells)
    text = "\n".join(p.text for p in document.paragraphs)
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in header
    assert "Phường Mẫu, ngày 23 tháng 11 năm 2026" in header
    assert "tại Đảng bộ Cơ quan UBND phường Mẫu năm 2026" in text


def _kns(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sync.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_kns_report_for_one_branch_from_its_own_data(run, tmp_path):
    cfg, _, _, truth = run
    out = tmp_path / "cb02.docx"
    done = _kns(
        "report", "--config", str(cfg_path(cfg)), "--now", NOW.isoformat(),
        "--branch", "CB02", "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    doc = _docx_figures(out)
    for label, (count, total) in _expected(cfg, truth, codes={"CB02"}).items():
        assert doc[label] == (_text(count), "" if total is None else str(total)), label
    assert doc["Số buổi sinh hoạt chuyên đề đã tổ chức"] == ("2", "")
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert truth.branches["CB02"].name in text
    # a branch's draft speaks of its own branch only
    assert truth.branches["CB03"].name not in text


def test_kns_report_names_an_unknown_branch(run, tmp_path):
    cfg, *_ = run
    done = _kns("report", "--config", str(cfg_path(cfg)), "--branch", "CB99")
    assert done.returncode != 0
    assert "Không có chi bộ mã 'CB99'" in done.stderr
    assert "Traceback" not in done.stderr


def cfg_path(cfg) -> Path:
    return cfg.state.path.parent.parent / "config" / "example.yaml"


def _soffice() -> str | None:
    return shutil.which("libreoffice") or shutil.which("soffice")


@pytest.mark.skipif(_soffice() is None, reason="LibreOffice không có trên máy")
def test_libreoffice_writer_opens_the_wards_report(run, tmp_path):
    cfg, _, _, truth = run
    soffice = _soffice()
    assert soffice is not None
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--headless",
            "--convert-to",
            "txt:Text",
            "--outdir",
            str(tmp_path),
            str(cfg.report.path),
        ],
        capture_output=True,
        timeout=120,
    )
    txt = tmp_path / (cfg.report.path.stem + ".txt")
    if not txt.exists():
        pytest.skip(f"LibreOffice không chuyển được tệp .docx: {done.stderr[-300:]!r}")
    text = txt.read_text(encoding="utf-8-sig")
    sessions = sum(len(b.sessions) for b in truth.branches.values())
    assert "Tổng kết sinh hoạt chuyên đề" in text
    assert f"Đã tổ chức {sessions} buổi sinh hoạt chuyên đề" in text


@pytest.mark.skipif(
    _soffice() is None or shutil.which("pdftotext") is None,
    reason="LibreOffice hoặc pdftotext không có trên máy",
)
def test_the_sample_workbook_prints_one_page_wide_with_headers_and_charts(run, tmp_path):
    cfg, *_ = run
    soffice = _soffice()
    assert soffice is not None
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(cfg.destination.path),
        ],
        capture_output=True,
        timeout=180,
    )
    pdf = tmp_path / (cfg.destination.path.stem + ".pdf")
    if not pdf.exists():
        pytest.skip("LibreOffice không chuyển được bảng tính sang PDF")
    pages = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=60
    ).stdout.split("\f")
    pages = [p for p in pages if p.strip()]
    # 93 pages before the print setup: now each tab is one page wide (the member tab's 500
    # rows take a few pages down, nothing across; so do the ~580 learners of "Bình dân học
    # vụ số", about ten pages)
    assert len(pages) <= 32, len(pages)
    by_tab = Counter(p.strip().splitlines()[0].split("  ")[0] for p in pages)
    assert by_tab["Tổng hợp chi bộ"] == 1 and by_tab["Chỉ tiêu 2026"] == 1
    assert by_tab["Bình dân học vụ số"] <= 3, by_tab  # ward, groups, branches, units
    members = [p for p in pages if p.strip().startswith("Đảng viên")]
    assert len(members) >= 2
    for page in members:  # the header rows repeat on every page
        assert "Họ và tên" in page and "Bản đăng ký" in page and "Trang " in page
    report = "\n".join(p for p in pages if p.strip().startswith("Báo cáo tổng hợp"))
    for title in (
        "Tỷ lệ chi bộ hoàn thành theo từng mốc",
        "Số đảng viên theo xếp loại",
        "Kết quả các mục tiêu so với mục tiêu đề ra",
    ):
        assert title in report, title


def test_the_report_file_is_rewritten_only_when_it_changed_or_vanished(tmp_path):
    copy_sample_ward(tmp_path)
    cfg = load_config(tmp_path / "config" / "example.yaml")
    assert cfg.report.path is not None

    def cycle(at: datetime):
        inputs = load_inputs(cfg)
        with StateStore(cfg.state.path) as store:
            return run_cycle(inputs, store, embedded_backend(cfg), at)

    cycle(NOW)
    first = cfg.report.path.stat().st_mtime_ns
    # a config change the report does not show: a full cycle, the same report
    path = tmp_path / "config" / "example.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("every_minutes: 30", "every_minutes: 20"),
        encoding="utf-8",
    )
    cfg = load_config(path)
    again = cycle(NOW.replace(minute=30))
    assert not again.idle and cfg.report.path.stat().st_mtime_ns == first
    cfg.report.path.unlink()  # deleted by hand: the next cycle writes it again
    back = cycle(NOW.replace(minute=45))
    assert not back.idle and cfg.report.path.exists()


def test_a_report_that_cannot_be_written_does_not_undo_the_cycle(tmp_path, caplog):
    copy_sample_ward(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the report's folder should be", encoding="utf-8")
    path = tmp_path / "config" / "example.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "path: ../out/bao-cao-tong-ket-2026.docx", f"path: {blocker}/bao-cao.docx"
    )
    path.write_text(text, encoding="utf-8")
    cfg = load_config(path)
    inputs = load_inputs(cfg)
    with StateStore(cfg.state.path) as store:
        report = run_cycle(inputs, store, embedded_backend(cfg), NOW)
    assert report.wrote_tables and report.sent  # the tabs and the mail stand
    assert report.report_path is None
    assert any("Không ghi được báo cáo tổng kết" in r.getMessage() for r in caplog.records)


def test_a_large_report_is_rendered_in_a_child_process(run, tmp_path):
    from sync.outputs.report_file import ReportFile, ReportWriteError

    _, cycle_report, _, _ = run
    ward = cycle_report.ward_report
    assert ward is not None
    child = ReportFile(tmp_path / "lon.docx", in_process_max_quotes=0)  # always a child
    assert child.write_report(ward) == tmp_path / "lon.docx"
    assert _docx_figures(tmp_path / "lon.docx") == _docx_figures(run[0].report.path)
    assert (tmp_path / "lon.docx").stat().st_mode & 0o777 == 0o600
    # the child's failure comes back as one line for staff
    (tmp_path / "tep").write_text("x", encoding="utf-8")
    with pytest.raises(ReportWriteError, match="không ghi được"):
        ReportFile(tmp_path / "tep" / "a.docx", in_process_max_quotes=0).write_report(ward)


def test_sessions_are_counted_by_the_mappings_choices(run):
    from sync.mapping import load_mapping
    from sync.report import FormAChoices, build_report, form_a_choices

    cfg, cycle_report, _, _ = run
    mapping = load_mapping(ROOT / "mappings" / "branch_stats.yaml")
    choices = form_a_choices(cfg, {"thong_ke": mapping})
    assert choices.session_forms == FORMS and choices.contents == CONTENTS
    # a choice nobody picked is still a row (0 sessions): the form's words, not the answers'
    extra = FormAChoices((*FORMS, "Trực tuyến qua Zalo"), CONTENTS)
    ev = cycle_report.evaluation
    inputs = load_inputs(cfg)
    report = build_report(
        cfg, inputs.rubric, inputs.roster, ev.statuses, ev.members, ev.kpis, ev.history, NOW,
        choices=extra,
    )  # fmt: skip
    figures = {f.label: f.count for s in report.sections for f in s.figures}
    assert figures["Buổi sinh hoạt hình thức trực tuyến qua zalo"] == 0
