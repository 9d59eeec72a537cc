"""The summary tabs as plain data (sync/tables.py), from small hand-built inputs."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest

from sync.config import concrete_milestones, load_config
from sync.labels import milestone_text
from sync.model import (
    Branch,
    BranchReport,
    BranchStatus,
    DataProblem,
    Evidence,
    KpiResult,
    LedgerEntry,
    Member,
    MemberResult,
    MilestoneState,
    MilestoneStatus,
    OverallState,
    RegistrationResult,
    Roster,
    Table,
)
from sync.tables import TAB_NAMES, build_tables, tab_names
from sync.text import natural_key
from tests.conftest import ROOT, RUBRIC
from tests.conftest import TZ as VN

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=VN)
CFG = load_config(ROOT / "config" / "example.yaml")
MILESTONES = {m.id: m for m in CFG.milestones}

ROSTER = Roster(
    branches=(
        Branch("CB10", "Chi bộ Khu phố 10", (), "Trần Văn Mười", "muoi@x.vn", "Lê Thị Hoa"),
        Branch("CB01", "Chi bộ Văn phòng", (), "Võ Xuân Đạt", "dat@x.vn", "Lê Thị Hoa"),
        Branch("CB02", "Chi bộ Công an", (), "Phạm Hải", "hai@x.vn", "Nguyễn Minh Tuấn"),
    ),
    members=(
        Member("DV0010", "Nguyễn Thị Mai", date(1980, 1, 2), "CB10"),
        Member("DV0002", "Nguyễn Minh Lộc", date(1974, 4, 27), "CB01"),
        Member("DV0001", "Võ Xuân Đạt", date(1983, 4, 9), "CB01"),
        Member("DV0003", "Lê Văn Ba", date(1950, 5, 6), "CB02", exempt=True),
    ),
)


def _ms(
    mid: str,
    code: str,
    state: MilestoneState,
    *,
    done_on: date | None = None,
    days_overdue: int = 0,
    days_left: int = 0,
) -> MilestoneStatus:
    return MilestoneStatus(mid, code, state, MILESTONES[mid].due, done_on, days_overdue, days_left)


def _report(code: str, submitted_at: datetime, task: str = "Số hóa hồ sơ") -> BranchReport:
    return BranchReport(
        source_id="thong_ke",
        response_id=f"row:{code}",
        row_label="Dòng 2",
        submitted_at=submitted_at,
        branch_code=code,
        task_name=task,
        task_progress="Đang triển khai",
    )


def _status(
    code: str,
    overall: OverallState,
    milestones: tuple[MilestoneStatus, ...],
    report: BranchReport | None = None,
    **kw: object,
) -> BranchStatus:
    base: dict[str, object] = dict(
        branch_code=code,
        report=report,
        first_reported_at=report.submitted_at if report else None,
        plan_date=None,
        session_date=None,
        session_form=None,
        eligible_members=2,
        participants=None,
        participation_rate=None,
        six_clear_filled=0,
        task_registered=False,
        registered_share=None,
        scored_share=None,
        report_sent=False,
        milestones=milestones,
        overall=overall,
        max_days_overdue=max((m.days_overdue for m in milestones), default=0),
    )
    base.update(kw)
    return BranchStatus(**base)  # type: ignore[arg-type]


ST = OverallState
MS = MilestoneState
STATUSES = (
    _status(
        "CB01",
        ST.OVERDUE,
        (
            _ms("ke_hoach", "CB01", MS.DONE_ON_TIME, done_on=date(2026, 5, 10)),
            _ms("sinh_hoat", "CB01", MS.DONE_LATE, done_on=date(2026, 11, 10), days_overdue=3),
            _ms("nhiem_vu", "CB01", MS.OVERDUE, days_overdue=16),
            _ms("bao_cao", "CB01", MS.OVERDUE, days_overdue=16),
            _ms("dang_ky", "CB01", MS.DUE_SOON, days_left=2),
            _ms("cham_diem", "CB01", MS.NOT_DUE, days_left=9),
        ),
        report=_report("CB01", datetime(2026, 11, 20, 2, 30, tzinfo=UTC)),
        plan_date=date(2026, 5, 10),
        session_date=date(2026, 11, 10),
        session_form="Trực tiếp",
        eligible_members=4,
        participants=3,
        participation_rate=0.75,
        six_clear_filled=5,
        registered_share=0.5,
        scored_share=0.25,
        report_sent=False,
    ),
    _status(
        "CB02",
        ST.OVERDUE,
        (_ms("ke_hoach", "CB02", MS.OVERDUE, days_overdue=196),),
    ),
    _status(
        "CB10",
        ST.COMPLETE,
        (_ms("ke_hoach", "CB10", MS.DONE_ON_TIME, done_on=date(2026, 5, 1)),),
        report=_report("CB10", datetime(2026, 5, 1, 9, 0, tzinfo=VN), task="=IMPORTXML(1)"),
        six_clear_filled=6,
        task_registered=True,
        report_sent=True,
    ),
)

MEMBERS = (
    MemberResult(
        "DV0001",
        "CB01",
        RegistrationResult(True, (), 4),
        self_total=90.0,
        committee_total=85.5,
        band="Khá",
        pending=False,
        gap_flag=False,
        learning_lessons=10,
        learning_passed=True,
    ),
    MemberResult(
        "DV0002",
        "CB01",
        RegistrationResult(False, ("Mục 2: chọn 2/6 nội dung, cần ít nhất 3", "Mục 3: thiếu"), 2),
        self_total=95.0,
        committee_total=None,
        band=None,
        pending=True,
        gap_flag=False,
        learning_lessons=3,
        learning_passed=False,
    ),
    MemberResult("DV0010", "CB10", None, 70.0, 92.0, "Xuất sắc", False, True),
)

KPIS = (
    KpiResult("sh", "Chi bộ tổ chức sinh hoạt", 2 / 3, 1.0, False, 2, 3, Evidence.BRANCH, ""),
    KpiResult("dk", "Có bản đăng ký", 1.0, 1.0, True, 4, 4, Evidence.MIXED, "CB02: báo cáo"),
    KpiResult("bd", "Chia sẻ tích cực", None, 0.8, False, 0, 0, Evidence.NONE, ""),
)

PROBLEMS = (
    DataProblem("Biểu mẫu 01", "Dòng 10", "Họ và tên", "X", "Không có trong danh sách"),
    DataProblem("Biểu mẫu 01", "Dòng 9", "Ngày", "31/02", "Ngày không hợp lệ", "CB01"),
    DataProblem("Biểu mẫu 01", "", "Ghi chú", "", "Cột không dùng"),
    DataProblem("Biểu mẫu 02", "Dòng 2", "Tiêu chí 1", "11", "Vượt điểm tối đa", "CB02"),
)


def _entry(
    alert_id: str,
    kind: str,
    code: str,
    mid: str,
    status: str,
    at: datetime | None,
    *,
    sent: bool = True,
    error: str = "",
) -> LedgerEntry:
    return LedgerEntry(
        alert_id=alert_id,
        kind=kind,
        branch_code=code,
        milestone_id=mid,
        status=status,  # type: ignore[arg-type]
        recipients="dat@x.vn",
        subject=f"Về {alert_id}",
        intent_at=at,
        sent_at=at if sent else None,
        error=error,
    )


T = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam
LEDGER = (
    _entry("nhiem_vu:CB01:overdue:3", "escalation", "CB01", "nhiem_vu", "sent", T),
    _entry("nhiem_vu:CB01:overdue:2", "overdue", "CB01", "nhiem_vu", "sent", T - timedelta(7)),
    _entry(
        "nhiem_vu:CB01:overdue:4",
        "escalation",
        "CB01",
        "nhiem_vu",
        "failed",
        T + timedelta(1),
        sent=False,
        error="550 hộp thư không tồn tại",
    ),  # fmt: skip
    _entry(
        "bao_cao:CB01:overdue:3",
        "escalation",
        "CB01",
        "bao_cao",
        "intent",
        T + timedelta(hours=1),
        sent=False,
    ),  # fmt: skip
    _entry(
        "ke_hoach:CB02:overdue:1",
        "overdue",
        "CB02",
        "ke_hoach",
        "unknown",
        T - timedelta(30),
        sent=False,
    ),  # fmt: skip
    _entry("digest:2026-W47", "digest", "", "", "sent", T),
    _entry("dang_ky:CB01:reminder:2d", "reminder", "CB01", "dang_ky", "sent", T),
)


@pytest.fixture(scope="module")
def tables() -> dict[str, Table]:
    out = build_tables(CFG, RUBRIC, ROSTER, STATUSES, MEMBERS, KPIS, PROBLEMS, LEDGER, NOW)
    return {t.name: t for t in out}


def _dicts(t: Table) -> list[dict[str, object]]:
    headers = [c.header for c in t.columns]
    assert all(len(r) == len(headers) for r in t.rows)
    return [dict(zip(headers, r, strict=True)) for r in t.rows]


def test_seven_tabs_in_order_stamped_now():
    out = build_tables(CFG, RUBRIC, ROSTER, STATUSES, MEMBERS, KPIS, PROBLEMS, LEDGER, NOW)
    names = [t.name for t in out]
    assert names == [
        "Báo cáo tổng hợp",
        "Tổng hợp chi bộ",
        "Đảng viên",
        "Chỉ tiêu 2026",
        "Quá hạn",
        "Lỗi dữ liệu",
        "Nhật ký gửi thư",
    ]
    assert list(tab_names(2026)) == names and len(TAB_NAMES) == 7
    assert all(t.updated_at == NOW and t.updated_at.utcoffset() == timedelta(hours=7) for t in out)
    assert all(len(t.name) <= 31 for t in out)
    again = build_tables(CFG, RUBRIC, ROSTER, STATUSES, MEMBERS, KPIS, PROBLEMS, LEDGER, NOW)
    assert [t.content_key() for t in out] == [t.content_key() for t in again]


def test_branch_summary(tables):
    t = tables["Tổng hợp chi bộ"]
    headers = [c.header for c in t.columns]
    assert headers[:15] == [
        "Mã chi bộ",
        "Tên chi bộ",
        "Tình trạng",
        "Ngày ban hành kế hoạch",
        "Ngày sinh hoạt chuyên đề",
        "Hình thức sinh hoạt",
        "Số đảng viên phải sinh hoạt",
        "Số đảng viên tham gia",
        "Tỷ lệ tham gia",
        "Nhiệm vụ chuyển đổi số",
        'Số "rõ" đã điền',
        "Tiến độ nhiệm vụ",
        "Tỷ lệ có bản đăng ký",
        "Tỷ lệ được cấp ủy chấm",
        "Đã gửi báo cáo",
    ]
    end = headers.index("Số ngày quá hạn nhiều nhất")
    # one column per concrete branch milestone (quarterly reviews expanded; the ward's own
    # summary milestone is not a branch's)
    assert headers[15:end] == [m.title for m in concrete_milestones(CFG) if m.scope == "branch"]
    assert headers[end:] == [
        "Số ngày quá hạn nhiều nhất",
        "Lần báo cáo gần nhất",
        "Số buổi sinh hoạt",
        "Nội dung đã triển khai",
        "Số buổi có mời báo cáo viên, Tổ CNSCĐ",
        "Nhiệm vụ hoàn thành, có sản phẩm",
        "Số đảng viên phải tham gia (danh sách)",
        "Số đảng viên có bản đăng ký",
        "Số bản đăng ký đầy đủ",
        'Số ĐV đăng ký phần việc "Cán bộ số" (chi bộ báo cáo)',
        "Số đảng viên được cấp ủy chấm",
        "Xuất sắc",
        "Khá",
        "Đạt",
        "Chưa đạt",
        "Chờ cấp ủy chấm",
        "Cần kiểm tra lại",
        "Chênh lệch cần rà soát",
        "Mô hình, cách làm hay",
        "Khó khăn, kiến nghị",
        "Bí thư",
        "Email bí thư",
        "Ủy viên phụ trách",
    ]
    kinds = {c.header: c.kind for c in t.columns}
    assert kinds["Tỷ lệ tham gia"] == "percent" and kinds["Ngày sinh hoạt chuyên đề"] == "date"
    rows = _dicts(t)
    assert [r["Mã chi bộ"] for r in rows] == ["CB01", "CB02", "CB10"]
    cb01 = rows[0]
    assert cb01["Tình trạng"] == "Quá hạn"
    assert cb01["Tỷ lệ tham gia"] == 0.75 and isinstance(cb01["Tỷ lệ tham gia"], float)
    assert cb01["Ngày sinh hoạt chuyên đề"] == date(2026, 11, 10)
    assert cb01['Số "rõ" đã điền'] == "5/6"
    assert cb01["Nhiệm vụ chuyển đổi số"] == "Số hóa hồ sơ"
    assert cb01["Đã gửi báo cáo"] == "Chưa" and rows[2]["Đã gửi báo cáo"] == "Có"
    # the six one-off branch milestones (the statuses here are built for them only; the
    # quarterly reviews and the ward's own summary have none)
    one_off = [m for m in CFG.milestones if m.scope == "branch" and m.recurs is None]
    states = [cb01[m.title] for m in one_off]
    assert states == [
        "Đúng hạn 10/05",
        "Trễ 3 ngày",
        "Quá hạn 16 ngày",
        "Quá hạn 16 ngày",
        "Sắp đến hạn (còn 2 ngày)",
        "Chưa đến hạn",
    ]
    assert rows[1][CFG.milestones[1].title] == ""  # no status for that milestone
    assert cb01["Số ngày quá hạn nhiều nhất"] == 16
    latest = cb01["Lần báo cáo gần nhất"]
    assert latest == datetime(2026, 11, 20, 9, 30, tzinfo=VN)
    assert isinstance(latest, datetime) and latest.utcoffset() == timedelta(hours=7)
    assert (cb01["Bí thư"], cb01["Email bí thư"], cb01["Ủy viên phụ trách"]) == (
        "Võ Xuân Đạt",
        "dat@x.vn",
        "Lê Thị Hoa",
    )
    assert t.highlight_rows == frozenset({0, 1})  # both overdue branches, not CB10


def test_branch_without_status_still_listed():
    out = build_tables(CFG, RUBRIC, ROSTER, STATUSES[:1], (), (), (), (), NOW)
    rows = _dicts(out[1])
    assert [r["Mã chi bộ"] for r in rows] == ["CB01", "CB02", "CB10"]
    assert rows[2]["Tình trạng"] is None and rows[2]["Bí thư"] == "Trần Văn Mười"


def test_milestone_texts():
    assert milestone_text(_ms("ke_hoach", "X", MS.DUE_SOON, days_left=0)) == (
        "Sắp đến hạn (hạn là hôm nay)"
    )
    assert milestone_text(_ms("ke_hoach", "X", MS.OVERDUE, days_overdue=1)) == "Quá hạn 1 ngày"


def test_member_tab(tables):
    t = tables["Đảng viên"]
    assert [c.header for c in t.columns] == [
        "Mã đảng viên",
        "Họ và tên",
        "Mã chi bộ",
        "Chi bộ",
        "Miễn sinh hoạt",
        "Bản đăng ký",
        "Nội dung chưa đạt",
        "Tự đánh giá hoàn thành",
        "Tự đánh giá: Học tập kỹ năng số",
        "Tự đánh giá: Ứng dụng trong công việc",
        "Tự đánh giá: Bảo mật thông tin",
        "Tự đánh giá: Vai trò tiên phong",
        "Tự đánh giá: Kết quả ứng dụng cụ thể",
        "Điểm tự chấm",
        "Điểm cấp ủy",
        "Xếp loại",
        "Lý do cần kiểm tra",
        "Chờ cấp ủy chấm",
        "Chênh lệch cần rà soát",
        'Bài học "Bình dân học vụ số"',
        'Kết quả "Bình dân học vụ số"',
    ]
    rows = _dicts(t)
    assert [r["Mã đảng viên"] for r in rows] == ["DV0001", "DV0002", "DV0003", "DV0010"]
    d1, d2, d3, d10 = rows
    assert d1["Bản đăng ký"] == "Đầy đủ" and d1["Tự đánh giá hoàn thành"] == "4/5"
    assert d1["Điểm cấp ủy"] == 85.5 and d1["Xếp loại"] == "Khá"
    assert d1['Kết quả "Bình dân học vụ số"'] == "Đạt" and d1['Bài học "Bình dân học vụ số"'] == 10
    assert d2["Bản đăng ký"] == "Chưa đầy đủ"
    assert d2["Nội dung chưa đạt"] == "Mục 2: chọn 2/6 nội dung, cần ít nhất 3; Mục 3: thiếu"
    assert d2["Chờ cấp ủy chấm"] == "Có" and d2["Điểm cấp ủy"] is None and d2["Xếp loại"] == ""
    assert d2['Kết quả "Bình dân học vụ số"'] == "Chưa đạt"
    # in the roster but no result at all
    assert d3["Miễn sinh hoạt"] == "Có" and d3["Bản đăng ký"] == "Chưa nộp"
    assert d3["Điểm tự chấm"] is None and d3['Kết quả "Bình dân học vụ số"'] == ""
    assert d10["Bản đăng ký"] == "Chưa nộp" and d10["Tự đánh giá hoàn thành"] == ""
    assert d10["Chênh lệch cần rà soát"] == "Có" and d10["Chi bộ"] == "Chi bộ Khu phố 10"
    assert d10["Miễn sinh hoạt"] == ""
    flat = [v for r in t.rows for v in r]
    assert not any(isinstance(v, date) for v in flat)  # no birth dates


def test_kpi_tab(tables):
    t = tables["Chỉ tiêu 2026"]
    assert [c.header for c in t.columns] == [
        "Mục tiêu số",
        "Chỉ tiêu",
        "Kết quả",
        "Mục tiêu",
        "Số đạt",
        "Tổng số",
        "Đánh giá",
        "Cách tính",
        "Nguồn số liệu",
        "Ghi chú",
    ]
    rows = _dicts(t)
    assert [r["Chỉ tiêu"] for r in rows] == [k.title for k in KPIS]
    assert rows[0]["Kết quả"] == pytest.approx(2 / 3) and rows[0]["Mục tiêu"] == 1.0
    assert [r["Đánh giá"] for r in rows] == ["Chưa đạt", "Đạt", "Chưa có số liệu"]
    assert [r["Nguồn số liệu"] for r in rows] == ["Báo cáo chi bộ", "Kết hợp", "Chưa có số liệu"]
    assert rows[1]["Ghi chú"] == "CB02: báo cáo"
    assert rows[2]["Kết quả"] is None
    assert t.highlight_rows == frozenset({0, 2})


def test_overdue_tab_sorted_with_last_reminder(tables):
    t = tables["Quá hạn"]
    assert [c.header for c in t.columns] == [
        "Mã chi bộ",
        "Tên chi bộ",
        "Nội dung",
        "Hạn",
        "Số ngày quá hạn",
        "Lần nhắc gần nhất",
        "Bí thư",
        "Email bí thư",
        "Ủy viên phụ trách",
    ]
    rows = _dicts(t)
    assert [(r["Mã chi bộ"], r["Số ngày quá hạn"]) for r in rows] == [
        ("CB02", 196),
        ("CB01", 16),
        ("CB01", 16),
        ("", 5),  # the ward's own summary, due 18/11 (config), not done on 23/11
    ]
    ward = rows[3]
    assert ward["Tên chi bộ"] == "Đảng ủy (mốc của Đảng ủy)"
    assert ward["Nội dung"] == MILESTONES["tong_ket"].title and ward["Bí thư"] == ""
    # same days and branch: milestone order of the config (nhiem_vu before bao_cao)
    assert [r["Nội dung"] for r in rows[1:3]] == [
        MILESTONES["nhiem_vu"].title,
        MILESTONES["bao_cao"].title,
    ]
    assert rows[1]["Hạn"] == MILESTONES["nhiem_vu"].due
    # latest *sent* entry, in Vietnam time; failed / intent / unknown do not count
    assert rows[1]["Lần nhắc gần nhất"] == datetime(2026, 11, 16, 8, 0, tzinfo=VN)
    assert rows[1]["Lần nhắc gần nhất"].utcoffset() == timedelta(hours=7)
    assert rows[2]["Lần nhắc gần nhất"] is None
    assert rows[0]["Lần nhắc gần nhất"] is None
    assert rows[0]["Bí thư"] == "Phạm Hải" and rows[0]["Tên chi bộ"] == "Chi bộ Công an"
    assert t.highlight_rows == frozenset({0, 1, 2, 3})


def test_problems_sorted_naturally(tables):
    t = tables["Lỗi dữ liệu"]
    assert [c.header for c in t.columns] == [
        "Nguồn",
        "Dòng / phản hồi",
        "Trường",
        "Giá trị",
        "Lý do",
        "Mã chi bộ",
    ]
    assert [(r[0], r[1]) for r in t.rows] == [
        ("Biểu mẫu 01", ""),
        ("Biểu mẫu 01", "Dòng 9"),
        ("Biểu mẫu 01", "Dòng 10"),
        ("Biểu mẫu 02", "Dòng 2"),
    ]
    assert t.rows[1] == ("Biểu mẫu 01", "Dòng 9", "Ngày", "31/02", "Ngày không hợp lệ", "CB01")
    assert not t.highlight_rows


def test_ledger_tab(tables):
    t = tables["Nhật ký gửi thư"]
    assert [c.header for c in t.columns] == [
        "Thời điểm",
        "Mã thông báo",
        "Mã thư",
        "Loại",
        "Mã chi bộ",
        "Nội dung",
        "Người nhận",
        "Tiêu đề",
        "Trạng thái",
    ]
    rows = _dicts(t)
    assert [r["Mã thông báo"] for r in rows] == [
        "ke_hoach:CB02:overdue:1",
        "nhiem_vu:CB01:overdue:2",
        "dang_ky:CB01:reminder:2d",  # same time: by alert id
        "digest:2026-W47",
        "nhiem_vu:CB01:overdue:3",
        "bao_cao:CB01:overdue:3",
        "nhiem_vu:CB01:overdue:4",
    ]
    by_id = {r["Mã thông báo"]: r for r in rows}
    # the code printed in the message: these went alone, so the code of their own id
    digest_code = "KNS-" + hashlib.sha256(b"digest:2026-W47").hexdigest()[:8].upper()
    assert by_id["digest:2026-W47"]["Mã thư"] == digest_code
    escalated = "Thông báo quá hạn (đồng gửi Ủy viên phụ trách)"
    assert by_id["nhiem_vu:CB01:overdue:3"]["Loại"] == escalated
    assert by_id["nhiem_vu:CB01:overdue:2"]["Loại"] == "Thông báo quá hạn"
    assert by_id["dang_ky:CB01:reminder:2d"]["Loại"] == "Nhắc hạn"
    assert by_id["digest:2026-W47"]["Loại"] == "Tổng hợp gửi Đảng ủy"
    assert by_id["digest:2026-W47"]["Nội dung"] == ""
    assert by_id["nhiem_vu:CB01:overdue:3"]["Nội dung"] == MILESTONES["nhiem_vu"].title
    assert [by_id[i]["Trạng thái"] for i in sorted(by_id)] == [
        "Đang gửi",  # bao_cao:...:3
        "Đã gửi",  # dang_ky
        "Đã gửi",  # digest
        "Không rõ (đã dừng giữa chừng)",  # ke_hoach
        "Đã gửi",  # :2
        "Đã gửi",  # :3
        "Lỗi: 550 hộp thư không tồn tại",  # :4
    ]
    first = rows[0]["Thời điểm"]
    assert isinstance(first, datetime) and first.utcoffset() == timedelta(hours=7)
    assert by_id["bao_cao:CB01:overdue:3"]["Thời điểm"] == datetime(2026, 11, 16, 9, tzinfo=VN)


def test_cells_are_plain_typed_values(tables):
    for t in tables.values():
        for row in t.rows:
            for col, v in zip(t.columns, row, strict=True):
                if v is None or v == "":
                    continue
                if col.kind == "percent":
                    assert isinstance(v, float) and 0 <= v <= 1, (t.name, col.header, v)
                elif col.kind == "int":
                    assert isinstance(v, int) and not isinstance(v, bool), (col.header, v)
                elif col.kind == "date":
                    assert isinstance(v, date) and not isinstance(v, datetime)
                elif col.kind == "datetime":
                    assert isinstance(v, datetime) and v.utcoffset() == timedelta(hours=7)
        assert all(c.width > 0 for c in t.columns)


def test_natural_key():
    assert sorted(["CB10", "CB2", "CB01", "A"], key=natural_key) == ["A", "CB01", "CB2", "CB10"]
