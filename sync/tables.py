"""The summary tabs as plain data: one table model that every destination writes.

``build_tables`` is pure: the same inputs give the same tables. Cells are typed values
(numbers, shares 0..1 for percentages, ``date`` objects, datetimes aware in the ward's time
zone); destinations decide how they look. The only preformatted strings are the Vietnamese
state texts ("Đúng hạn 10/05", "Quá hạn 16 ngày", "Có", ...), which are the content itself.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, tzinfo
from functools import lru_cache

from scoring.rubric import Rubric
from sync.config import WardConfig
from sync.model import (
    SIX_CLEAR_KEYS,
    Branch,
    BranchStatus,
    Cell,
    Column,
    DataProblem,
    Evidence,
    KpiResult,
    LedgerEntry,
    MemberResult,
    MilestoneState,
    MilestoneStatus,
    OverallState,
    Roster,
    Table,
)

TAB_BRANCHES = "Tổng hợp chi bộ"
TAB_MEMBERS = "Đảng viên"
TAB_KPIS = "Chỉ tiêu {year}"  # formatted with the ward's year
TAB_OVERDUE = "Quá hạn"
TAB_PROBLEMS = "Lỗi dữ liệu"
TAB_LEDGER = "Nhật ký gửi thư"

# The tab titles, in order ("Chỉ tiêu {year}" is a template: see ``tab_names``).
TAB_NAMES: tuple[str, ...] = (
    TAB_BRANCHES,
    TAB_MEMBERS,
    TAB_KPIS,
    TAB_OVERDUE,
    TAB_PROBLEMS,
    TAB_LEDGER,
)

YES = "Có"
NOT_YET = "Chưa"

EVIDENCE_LABELS: Mapping[Evidence, str] = {
    Evidence.MEMBER: "Đảng viên (Biểu mẫu 01/02)",
    Evidence.BRANCH: "Báo cáo chi bộ",
    Evidence.MIXED: "Kết hợp",
    Evidence.NONE: "Chưa có số liệu",
}

ALERT_KIND_LABELS: Mapping[str, str] = {
    "reminder": "Nhắc hạn",
    "overdue": "Quá hạn",
    "escalation": "Quá hạn, báo Ủy viên phụ trách",
    "digest": "Tổng hợp gửi Đảng ủy",
}

LEDGER_STATUS_LABELS: Mapping[str, str] = {
    "sent": "Đã gửi",
    "intent": "Đang gửi",
    "failed": "Lỗi",
    "unknown": "Không rõ (đã dừng giữa chừng)",
}


def table_hash(table: Table) -> str:
    """What a destination compares to skip rewriting an unchanged tab (stamp excluded).
    Row by row: a province's member tab is never one giant string."""
    h = hashlib.sha256()
    h.update(repr((table.name, table.columns, tuple(sorted(table.highlight_rows)))).encode())
    for row in table.rows:
        h.update(repr(row).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def tab_names(year: int) -> tuple[str, ...]:
    """The six tab titles for a ward year, in order."""
    return tuple(name.format(year=year) for name in TAB_NAMES)


def build_tables(
    cfg: WardConfig,
    rubric: Rubric,
    roster: Roster,
    statuses: Sequence[BranchStatus],
    members: Sequence[MemberResult],
    kpis: Sequence[KpiResult],
    problems: Sequence[DataProblem],
    ledger: Sequence[LedgerEntry],
    now: datetime,
) -> tuple[Table, ...]:
    """The six summary tabs, in ``TAB_NAMES`` order, stamped with ``now``."""
    tz = cfg.tz
    updated_at = _local(now, tz)
    assert updated_at is not None
    return (
        _branch_table(cfg, roster, statuses, updated_at),
        _member_table(rubric, roster, members, updated_at),
        _kpi_table(cfg, kpis, updated_at),
        _overdue_table(cfg, roster, statuses, ledger, updated_at),
        _problem_table(problems, updated_at),
        _ledger_table(cfg, ledger, updated_at),
    )


# ---------------------------------------------------------------------------------------
# 1. Tổng hợp chi bộ
# ---------------------------------------------------------------------------------------


def milestone_text(ms: MilestoneStatus) -> str:
    """The Vietnamese state of one milestone for one branch, as the summary shows it."""
    if ms.state is MilestoneState.DONE_ON_TIME:
        return f"Đúng hạn {ms.done_on:%d/%m}" if ms.done_on else "Đúng hạn"
    if ms.state is MilestoneState.DONE_LATE:
        return f"Trễ {ms.days_overdue} ngày"
    if ms.state is MilestoneState.NOT_DUE:
        return "Chưa đến hạn"
    if ms.state is MilestoneState.DUE_SOON:
        if ms.days_left <= 0:
            return "Sắp đến hạn (hạn là hôm nay)"
        return f"Sắp đến hạn (còn {ms.days_left} ngày)"
    return f"Quá hạn {ms.days_overdue} ngày"


def _branch_table(
    cfg: WardConfig, roster: Roster, statuses: Sequence[BranchStatus], updated_at: datetime
) -> Table:
    tz = updated_at.tzinfo
    assert tz is not None
    columns = [
        Column("Mã chi bộ", "text", 10),
        Column("Tên chi bộ", "text", 36),
        Column("Tình trạng", "text", 16),
        Column("Ngày ban hành kế hoạch", "date", 14),
        Column("Ngày sinh hoạt chuyên đề", "date", 14),
        Column("Hình thức sinh hoạt", "text", 18),
        Column("Số đảng viên phải sinh hoạt", "int", 12),
        Column("Số đảng viên tham gia", "int", 12),
        Column("Tỷ lệ tham gia", "percent", 10),
        Column("Nhiệm vụ chuyển đổi số", "text", 40),
        Column('Số "rõ" đã điền', "text", 10),
        Column("Tiến độ nhiệm vụ", "text", 18),
        Column("Tỷ lệ có bản đăng ký", "percent", 12),
        Column("Tỷ lệ được cấp ủy chấm", "percent", 12),
        Column("Đã gửi báo cáo", "text", 10),
        *(Column(m.title, "text", 22) for m in cfg.milestones),
        Column("Số ngày quá hạn nhiều nhất", "int", 12),
        Column("Lần báo cáo gần nhất", "datetime", 17),
        # Biểu mẫu 03 asks for these in the ward's summary; respondent text, kept as text
        Column("Mô hình, cách làm hay", "text", 40),
        Column("Khó khăn, kiến nghị", "text", 40),
        Column("Bí thư", "text", 22),
        Column("Email bí thư", "text", 30),
        Column("Ủy viên phụ trách", "text", 22),
    ]
    by_code = {s.branch_code: s for s in statuses}
    rows: list[tuple[Cell, ...]] = []
    highlight: set[int] = set()
    for branch in sorted(roster.branches, key=lambda b: natural_key(b.code)):
        st = by_code.get(branch.code)
        people = _people(branch)
        if st is None:  # no status computed: show the branch, leave its figures empty
            empty: list[Cell] = [None] * (len(columns) - 2 - len(people))
            rows.append((branch.code, branch.name, *empty, *people))
            continue
        report = st.report
        by_milestone = {ms.milestone_id: ms for ms in st.milestones}
        milestone_cells = tuple(
            milestone_text(by_milestone[m.id]) if m.id in by_milestone else ""
            for m in cfg.milestones
        )
        if st.overall is OverallState.OVERDUE:
            highlight.add(len(rows))
        rows.append(
            (
                branch.code,
                branch.name,
                st.overall.value,
                st.plan_date,
                st.session_date,
                st.session_form or "",
                st.eligible_members,
                st.participants,
                st.participation_rate,
                (report.task_name or "") if report else "",
                f"{st.six_clear_filled}/{len(SIX_CLEAR_KEYS)}",
                (report.task_progress or "") if report else "",
                st.registered_share,
                st.scored_share,
                YES if st.report_sent else NOT_YET,
                *milestone_cells,
                st.max_days_overdue,
                _local(report.submitted_at, tz) if report else None,
                (report.good_practices or "") if report else "",
                (report.difficulties or "") if report else "",
                *people,
            )
        )
    return Table(TAB_BRANCHES, tuple(columns), tuple(rows), updated_at, frozenset(highlight))


def _people(branch: Branch) -> tuple[str, str, str]:
    return (branch.secretary_name, branch.secretary_email, branch.supervisor_name)


# ---------------------------------------------------------------------------------------
# 2. Đảng viên
# ---------------------------------------------------------------------------------------


def _member_table(
    rubric: Rubric, roster: Roster, members: Sequence[MemberResult], updated_at: datetime
) -> Table:
    columns = (
        Column("Mã đảng viên", "text", 12),
        Column("Họ và tên", "text", 26),
        Column("Mã chi bộ", "text", 10),
        Column("Chi bộ", "text", 32),
        Column("Miễn sinh hoạt", "text", 10),
        Column("Bản đăng ký", "text", 14),
        Column("Nội dung chưa đạt", "text", 48),
        Column("Tự đánh giá hoàn thành", "text", 12),
        Column("Điểm tự chấm", "number", 10),
        Column("Điểm cấp ủy", "number", 10),
        Column("Xếp loại", "text", 12),
        Column("Chờ cấp ủy chấm", "text", 10),
        Column("Chênh lệch cần rà soát", "text", 12),
        Column('Bài học "Bình dân học vụ số"', "int", 12),
        Column('Kết quả "Bình dân học vụ số"', "text", 12),
    )
    branch_names = {b.code: b.name for b in roster.branches}
    results = {m.member_code: m for m in members}
    grid_rows = len(rubric.self_assessment_rows)
    rows: list[tuple[Cell, ...]] = []
    for member in sorted(
        roster.members, key=lambda m: (natural_key(m.branch_code), natural_key(m.code))
    ):
        r = results.get(member.code)
        reg = r.registration if r else None
        if reg is None:
            reg_text, failed, self_assessed = "Chưa nộp", "", ""
        else:
            reg_text = "Đầy đủ" if reg.complete else "Chưa đầy đủ"
            failed = "; ".join(reg.failed_rules)
            self_assessed = f"{reg.self_assessment_done}/{grid_rows}" if grid_rows else ""
        passed = r.learning_passed if r else None
        rows.append(
            (
                member.code,
                member.name,
                member.branch_code,
                branch_names.get(member.branch_code, ""),
                YES if member.exempt else "",
                reg_text,
                failed,
                self_assessed,
                r.self_total if r else None,
                r.committee_total if r else None,
                (r.band or "") if r else "",
                YES if r and r.pending else "",
                YES if r and r.gap_flag else "",
                r.learning_lessons if r else None,
                "" if passed is None else ("Đạt" if passed else "Chưa đạt"),
            )
        )
    return Table(TAB_MEMBERS, columns, tuple(rows), updated_at)


# ---------------------------------------------------------------------------------------
# 3. Chỉ tiêu <năm>
# ---------------------------------------------------------------------------------------


def _kpi_table(cfg: WardConfig, kpis: Sequence[KpiResult], updated_at: datetime) -> Table:
    columns = (
        Column("Chỉ tiêu", "text", 48),
        Column("Kết quả", "percent", 10),
        Column("Mục tiêu", "percent", 10),
        Column("Số đạt", "int", 10),
        Column("Tổng số", "int", 10),
        Column("Đánh giá", "text", 16),
        Column("Nguồn số liệu", "text", 26),
        Column("Ghi chú", "text", 60),
    )
    rows: list[tuple[Cell, ...]] = []
    highlight: set[int] = set()
    for i, k in enumerate(kpis):
        verdict = _verdict(k)
        if not k.met:
            highlight.add(i)
        rows.append(
            (
                k.title,
                k.actual,
                k.target,
                k.numerator,
                k.denominator,
                verdict,
                EVIDENCE_LABELS.get(k.evidence, str(k.evidence)),
                k.evidence_note,
            )
        )
    name = TAB_KPIS.format(year=cfg.ward.year)
    return Table(name, columns, tuple(rows), updated_at, frozenset(highlight))


def _verdict(k: KpiResult) -> str:
    if k.actual is None:
        return "Chưa có số liệu"
    return "Đạt" if k.met else "Chưa đạt"


# ---------------------------------------------------------------------------------------
# 4. Quá hạn
# ---------------------------------------------------------------------------------------


def _overdue_table(
    cfg: WardConfig,
    roster: Roster,
    statuses: Sequence[BranchStatus],
    ledger: Sequence[LedgerEntry],
    updated_at: datetime,
) -> Table:
    tz = updated_at.tzinfo
    assert tz is not None
    columns = (
        Column("Mã chi bộ", "text", 10),
        Column("Tên chi bộ", "text", 36),
        Column("Nội dung", "text", 44),
        Column("Hạn", "date", 12),
        Column("Số ngày quá hạn", "int", 10),
        Column("Lần nhắc gần nhất", "datetime", 17),
        Column("Bí thư", "text", 22),
        Column("Email bí thư", "text", 30),
        Column("Ủy viên phụ trách", "text", 22),
    )
    order = {m.id: i for i, m in enumerate(cfg.milestones)}
    titles = {m.id: m.title for m in cfg.milestones}
    branches = {b.code: b for b in roster.branches}
    last_sent = _last_sent(ledger)
    late = [
        (st.branch_code, ms)
        for st in statuses
        for ms in st.milestones
        if ms.state is MilestoneState.OVERDUE
    ]
    late.sort(
        key=lambda x: (
            -x[1].days_overdue,
            natural_key(x[0]),
            order.get(x[1].milestone_id, len(order)),
            x[1].milestone_id,
        )
    )
    rows: list[tuple[Cell, ...]] = []
    for code, ms in late:
        branch = branches.get(code) or Branch(code=code, name="")
        rows.append(
            (
                code,
                branch.name,
                titles.get(ms.milestone_id, ms.milestone_id),
                ms.due,
                ms.days_overdue,
                _local(last_sent.get((code, ms.milestone_id)), tz),
                *_people(branch),
            )
        )
    return Table(TAB_OVERDUE, columns, tuple(rows), updated_at, frozenset(range(len(rows))))


def _last_sent(ledger: Iterable[LedgerEntry]) -> dict[tuple[str, str], datetime]:
    """Latest successful send per (branch, milestone)."""
    out: dict[tuple[str, str], datetime] = {}
    for e in ledger:
        if e.status != "sent" or e.sent_at is None or not e.branch_code:
            continue
        key = (e.branch_code, e.milestone_id)
        if key not in out or e.sent_at > out[key]:
            out[key] = e.sent_at
    return out


# ---------------------------------------------------------------------------------------
# 5. Lỗi dữ liệu
# ---------------------------------------------------------------------------------------


def _problem_table(problems: Sequence[DataProblem], updated_at: datetime) -> Table:
    columns = (
        Column("Nguồn", "text", 30),
        Column("Dòng / phản hồi", "text", 14),
        Column("Trường", "text", 36),
        Column("Giá trị", "text", 30),
        Column("Lý do", "text", 60),
        Column("Mã chi bộ", "text", 10),
    )
    rows = tuple(
        (p.source, p.record, p.field, p.raw_value, p.reason, p.branch_code)
        for p in sorted(problems, key=DataProblem.sort_key)
    )
    return Table(TAB_PROBLEMS, columns, rows, updated_at)


# ---------------------------------------------------------------------------------------
# 6. Nhật ký gửi thư
# ---------------------------------------------------------------------------------------


def _ledger_table(cfg: WardConfig, ledger: Sequence[LedgerEntry], updated_at: datetime) -> Table:
    tz = updated_at.tzinfo
    assert tz is not None
    columns = (
        Column("Thời điểm", "datetime", 17),
        Column("Mã thông báo", "text", 34),
        Column("Loại", "text", 22),
        Column("Mã chi bộ", "text", 10),
        Column("Nội dung", "text", 40),
        Column("Người nhận", "text", 36),
        Column("Tiêu đề", "text", 50),
        Column("Trạng thái", "text", 24),
    )
    titles = {m.id: m.title for m in cfg.milestones}

    def when(e: LedgerEntry) -> datetime | None:
        return _local(e.sent_at or e.intent_at, tz)

    def order(e: LedgerEntry) -> tuple[bool, datetime, str]:
        t = when(e)
        return (t is None, t or updated_at, e.alert_id)  # entries without any time last

    rows: list[tuple[Cell, ...]] = []
    for e in sorted(ledger, key=order):
        if e.status == "failed":
            status = f"Lỗi: {e.error}" if e.error else "Lỗi"
        else:
            status = LEDGER_STATUS_LABELS.get(e.status, e.status)
        content = "" if e.kind == "digest" or not e.milestone_id else e.milestone_id
        rows.append(
            (
                when(e),
                e.alert_id,
                ALERT_KIND_LABELS.get(e.kind, e.kind),
                e.branch_code,
                titles.get(content, content),
                e.recipients,
                e.subject,
                status,
            )
        )
    return Table(TAB_LEDGER, columns, tuple(rows), updated_at)


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------

_DIGITS = re.compile(r"(\d+)")


@lru_cache(maxsize=1 << 14)
def natural_key(s: str) -> tuple[tuple[int, str], ...]:
    """Sort key that puts "CB2" before "CB10" (and is total on any string)."""
    return tuple((0, part.zfill(12)) if part.isdigit() else (1, part) for part in _DIGITS.split(s))


def _local(dt: datetime | None, tz: tzinfo) -> datetime | None:
    """An aware datetime in the ward's zone; a naive one is taken as ward-local already."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=tz)
    return dt.astimezone(tz)
