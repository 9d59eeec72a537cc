"""The summary tabs as plain data: one table model that every destination writes.

``build_tables`` is pure: the same inputs give the same tables. Cells are typed values
(numbers, shares 0..1 for percentages, ``date`` objects, datetimes aware in the ward's time
zone); destinations decide how they look. The only preformatted strings are the Vietnamese
state texts ("Đúng hạn 10/05", "Quá hạn 16 ngày", "Có", ...), which are the content itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, tzinfo

from scoring.branches import ward_milestone_statuses
from scoring.learning import LearningProgress
from scoring.rubric import Band, Rubric
from sync.alerts import alert_code
from sync.config import ConcreteMilestone, WardConfig, concrete_milestones
from sync.labels import (
    EVIDENCE_LABELS,
    LEDGER_STATUS_LABELS,
    NOT_YET,
    YES,
    alert_kind_label,
    milestone_text,
)
from sync.model import (
    SIX_CLEAR_KEYS,
    Branch,
    BranchReport,
    BranchStatus,
    Cell,
    Chart,
    Column,
    DataProblem,
    KpiResult,
    LedgerEntry,
    MemberResult,
    MilestoneState,
    OverallState,
    Report,
    Roster,
    Table,
)
from sync.report import (
    STAFF_NOTE,
    BranchFigures,
    branch_figures,
    build_report,
    sessions_of,
)
from sync.text import natural_key

TAB_REPORT = "Báo cáo tổng hợp"
TAB_BRANCHES = "Tổng hợp chi bộ"
TAB_MEMBERS = "Đảng viên"
TAB_KPIS = "Chỉ tiêu {year}"  # formatted with the ward's year
TAB_OVERDUE = "Quá hạn"
TAB_PROBLEMS = "Lỗi dữ liệu"
TAB_LEDGER = "Nhật ký gửi thư"

# The tab titles, in order ("Chỉ tiêu {year}" is a template: see ``tab_names``).
TAB_NAMES: tuple[str, ...] = (
    TAB_REPORT,
    TAB_BRANCHES,
    TAB_MEMBERS,
    TAB_KPIS,
    TAB_OVERDUE,
    TAB_PROBLEMS,
    TAB_LEDGER,
)

def tab_names(year: int) -> tuple[str, ...]:
    """The tab titles for a ward year, in order."""
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
    history: Sequence[BranchReport] = (),
    report: Report | None = None,
    learning: LearningProgress | None = None,
) -> tuple[Table, ...]:
    """The summary tabs, in ``TAB_NAMES`` order, stamped with ``now``. ``history``: every
    form A report (sessions are counted from it); ``report``: the ward's year-end report
    when the caller built it already (it is built from the same figures otherwise);
    ``learning``: "Bình dân học vụ số" progress, its two tabs after "Chỉ tiêu <năm>"."""
    tz = cfg.tz
    updated_at = _local(now, tz)
    assert updated_at is not None
    if report is None:
        report = build_report(
            cfg, rubric, roster, statuses, members, kpis, history, now, learning=learning
        )
    sessions = sessions_of(history, updated_at.date())
    figures = branch_figures(rubric, roster, statuses, members, sessions)
    kpi_table = _kpi_table(cfg, kpis, updated_at)
    learning_tabs: tuple[Table, ...] = ()
    if learning is not None:  # seed 003: sync/tables_learning.py
        from sync.tables_learning import learning_tables, with_learning_targets

        kpi_table = with_learning_targets(kpi_table, learning)
        learning_tabs = learning_tables(roster, learning, updated_at)
    return (
        report_table(cfg, report, statuses, updated_at),
        _branch_table(cfg, rubric, roster, statuses, figures, updated_at),
        _member_table(rubric, roster, members, updated_at),
        kpi_table,
        *learning_tabs,
        _overdue_table(cfg, roster, statuses, ledger, updated_at),
        _problem_table(problems, updated_at),
        _ledger_table(cfg, ledger, updated_at),
    )


# ---------------------------------------------------------------------------------------
# 0. Báo cáo tổng hợp (Biểu mẫu 03's figures)
# ---------------------------------------------------------------------------------------

REPORT_COLUMNS = (
    Column("Mục", "text", 8),
    Column("Nội dung", "text", 60),
    Column("Số lượng", "int", 10),
    Column("Trên tổng số", "int", 10),
    Column("Tỷ lệ", "percent", 10),
    Column("Mục tiêu", "percent", 10),
    Column("Đánh giá", "text", 24),
    Column("Ghi chú", "text", 60),
)
TARGETS_HEADING = "Kết quả thực hiện các mục tiêu năm {year}"
MILESTONES_HEADING = "Tiến độ các mốc thời hạn (số chi bộ hoàn thành)"
STAFF_PLACE = f"({STAFF_NOTE})"  # as the document marks it


def report_table(
    cfg: WardConfig, report: Report, statuses: Sequence[BranchStatus], updated_at: datetime
) -> Table:
    """The report as rows: a heading row per section, then its sentences, figures (count,
    denominator, rate), quotes and the marked places for staff; the targets before section
    IV, as in the document; the milestones' progress last. Three charts: completion by
    milestone, members per band, each target's result against its goal."""
    rows: list[tuple[Cell, ...]] = []
    headings: set[int] = set()
    bands: list[int] = []
    target_rows: list[int] = []

    def add(*cells: Cell) -> None:
        rows.append(tuple(cells) + (None,) * (len(REPORT_COLUMNS) - len(cells)))

    def heading(number: str, title: str) -> None:
        headings.add(len(rows))
        add(number, title)

    for section in report.sections:
        if section.number == "IV":
            heading("", TARGETS_HEADING.format(year=report.year))
            for t in report.targets:
                if t.result is not None:
                    target_rows.append(len(rows))
                sub = t.title.startswith("– ")
                add(
                    "" if sub or not t.number else f"MT{t.number}",
                    t.title,
                    t.numerator if t.denominator else None,
                    t.denominator or None,
                    t.result,
                    t.target,
                    t.verdict,
                    t.note,
                )
        heading(section.number, section.title)
        for sentence in section.sentences:
            add("", sentence)
        for f in section.figures:
            if f.key.startswith("band_"):
                bands.append(len(rows))
            add("", f.label, f.count, f.total, f.rate, None, "", f.unit)
        for q in section.quotes:
            add("", q.branch, None, None, None, None, "", q.text)
        if section.for_staff:
            add("", STAFF_PLACE)

    heading("", MILESTONES_HEADING)
    milestone_rows: list[int] = []
    for milestone_id, title in _milestone_titles(cfg, statuses):
        states = [
            ms.state
            for st in statuses
            for ms in st.milestones
            if ms.milestone_id == milestone_id
        ]
        on_time = sum(1 for x in states if x is MilestoneState.DONE_ON_TIME)
        late = sum(1 for x in states if x is MilestoneState.DONE_LATE)
        overdue = sum(1 for x in states if x is MilestoneState.OVERDUE)
        milestone_rows.append(len(rows))
        add(
            "",
            title,
            on_time + late,
            len(states),
            (on_time + late) / len(states) if states else None,
            None,
            "",
            f"Đúng hạn {on_time}, trễ hạn {late}, quá hạn {overdue}, "
            f"chưa đến hạn {len(states) - on_time - late - overdue}",
        )

    # the ward's own milestones (its summary report), after the chart's block
    for ms in ward_milestone_statuses(
        concrete_milestones(cfg), today=updated_at.date(), due_soon_days=cfg.alerts.due_soon_days
    ):
        title = next((m.title for m in concrete_milestones(cfg) if m.id == ms.milestone_id), "")
        add("", title, None, None, None, None, milestone_text(ms), "Mốc của Đảng ủy")

    charts: list[Chart] = []
    if milestone_rows:
        charts.append(
            Chart(
                "Tỷ lệ chi bộ hoàn thành theo từng mốc",
                "bar",
                1,
                (4,),
                milestone_rows[0],
                milestone_rows[-1],
                percent=True,
            )
        )
    if bands:
        charts.append(Chart("Số đảng viên theo xếp loại", "column", 1, (2,), bands[0], bands[-1]))
    if target_rows:
        charts.append(
            Chart(
                "Kết quả các mục tiêu so với mục tiêu đề ra",
                "bar",
                1,
                (4, 5),
                target_rows[0],
                target_rows[-1],
                percent=True,
            )
        )
    return Table(
        TAB_REPORT,
        REPORT_COLUMNS,
        tuple(rows),
        updated_at,
        charts=tuple(charts),
        heading_rows=frozenset(headings),
    )


def _milestone_titles(
    cfg: WardConfig, statuses: Sequence[BranchStatus]
) -> list[tuple[str, str]]:
    titles = {m.id: m.title for m in concrete_milestones(cfg)}
    seen: dict[str, str] = {}
    for st in statuses:
        for ms in st.milestones:
            seen.setdefault(ms.milestone_id, titles.get(ms.milestone_id, ms.milestone_id))
    return list(seen.items())


# ---------------------------------------------------------------------------------------
# 1. Tổng hợp chi bộ
# ---------------------------------------------------------------------------------------


def _branch_table(
    cfg: WardConfig,
    rubric: Rubric,
    roster: Roster,
    statuses: Sequence[BranchStatus],
    figures: Mapping[str, BranchFigures],
    updated_at: datetime,
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
        *(Column(m.title, "text", 22) for m in _branch_milestones(cfg)),
        Column("Số ngày quá hạn nhiều nhất", "int", 12),
        Column("Lần báo cáo gần nhất", "datetime", 17),
        # Biểu mẫu 03's figures, branch by branch (the "Báo cáo tổng hợp" tab adds them up)
        Column("Số buổi sinh hoạt", "int", 10),
        Column("Nội dung đã triển khai", "text", 40),
        Column("Số buổi có mời báo cáo viên, Tổ CNSCĐ", "int", 12),
        Column("Nhiệm vụ hoàn thành, có sản phẩm", "text", 12),
        Column("Số đảng viên phải tham gia (danh sách)", "int", 12),
        Column("Số đảng viên có bản đăng ký", "int", 12),
        Column("Số bản đăng ký đầy đủ", "int", 12),
        Column('Số ĐV đăng ký phần việc "Cán bộ số" (chi bộ báo cáo)', "int", 14),
        Column("Số đảng viên được cấp ủy chấm", "int", 12),
        *(Column(b.name, "int", 9) for b in _bands(rubric)),
        Column("Chờ cấp ủy chấm", "int", 10),
        Column("Cần kiểm tra lại", "int", 10),
        Column("Chênh lệch cần rà soát", "int", 10),
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
            for m in _branch_milestones(cfg)
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
                *_figure_cells(rubric, figures.get(branch.code)),
                (report.good_practices or "") if report else "",
                (report.difficulties or "") if report else "",
                *people,
            )
        )
    return Table(TAB_BRANCHES, tuple(columns), tuple(rows), updated_at, frozenset(highlight))


def _bands(rubric: Rubric) -> list[Band]:  # highest first, as Biểu mẫu 02 lists them
    return sorted(rubric.bands, key=lambda b: -b.min)


def _figure_cells(rubric: Rubric, f: BranchFigures | None) -> tuple[Cell, ...]:
    n = 12 + len(rubric.bands)
    if f is None:
        return (None,) * n
    return (
        f.sessions,
        "; ".join(f.contents),
        f.invited_sessions,
        YES if f.task_completed else NOT_YET,
        f.eligible,
        f.registered,
        f.registered_complete,
        f.registered_items_reported,
        f.scored,
        *(f.bands.get(b.name, 0) for b in _bands(rubric)),
        f.pending,
        f.review,
        f.gap,
    )


WARD_ITSELF = "Đảng ủy (mốc của Đảng ủy)"


def _branch_milestones(cfg: WardConfig) -> list[ConcreteMilestone]:
    """The columns of the branch tab: every concrete milestone a branch meets."""
    return [m for m in concrete_milestones(cfg) if m.scope == "branch"]


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
        *(Column(f"Tự đánh giá: {row}", "text", 12) for row in rubric.self_assessment_rows),
        Column("Điểm tự chấm", "number", 10),
        Column("Điểm cấp ủy", "number", 10),
        Column("Xếp loại", "text", 14),
        Column("Lý do cần kiểm tra", "text", 30),
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
        grid: tuple[Cell, ...] = ("",) * grid_rows
        if reg is None:
            reg_text, failed, self_assessed = "Chưa nộp", "", ""
        else:
            reg_text = "Đầy đủ" if reg.complete else "Chưa đầy đủ"
            failed = "; ".join(reg.failed_rules)
            if not grid_rows:
                self_assessed = ""
            elif not reg.self_assessed:
                self_assessed = NOT_SELF_ASSESSED  # a blank grid is not "0/5"
            else:
                self_assessed = f"{reg.self_assessment_done}/{grid_rows}"
                answers = reg.self_assessment + (None,) * grid_rows
                grid = tuple(_GRID_TEXT[v] for v in answers[:grid_rows])
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
                *grid,
                r.self_total if r else None,
                r.committee_total if r else None,
                _band_text(r),
                (r.review_reason or "") if r else "",
                YES if r and r.pending else "",
                YES if r and r.gap_flag else "",
                r.learning_lessons if r else None,
                "" if passed is None else ("Đạt" if passed else "Chưa đạt"),
            )
        )
    return Table(TAB_MEMBERS, columns, tuple(rows), updated_at)


NOT_SELF_ASSESSED = "Chưa tự đánh giá"
NEEDS_REVIEW = "Cần kiểm tra lại"
_GRID_TEXT: Mapping[bool | None, str] = {True: "Hoàn thành", False: "Chưa hoàn thành", None: ""}


def _band_text(r: MemberResult | None) -> str:
    if r is None:
        return ""
    if r.review_reason is not None:
        return NEEDS_REVIEW
    return r.band or ""


# ---------------------------------------------------------------------------------------
# 3. Chỉ tiêu <năm>
# ---------------------------------------------------------------------------------------


def _kpi_table(cfg: WardConfig, kpis: Sequence[KpiResult], updated_at: datetime) -> Table:
    columns = (
        Column("Mục tiêu số", "text", 8),
        Column("Chỉ tiêu", "text", 48),
        Column("Kết quả", "percent", 10),
        Column("Mục tiêu", "percent", 10),
        Column("Số đạt", "int", 10),
        Column("Tổng số", "int", 10),
        Column("Đánh giá", "text", 24),
        Column("Cách tính", "text", 40),
        Column("Nguồn số liệu", "text", 26),
        Column("Ghi chú", "text", 60),
    )
    rows: list[tuple[Cell, ...]] = []
    highlight: set[int] = set()
    for k in kpis:
        for line, sub in ((k, False), *((p, True) for p in k.parts)):
            if not line.met:
                highlight.add(len(rows))
            several = sub or bool(line.parts)
            rows.append(
                (
                    "" if sub or line.number is None else str(line.number),
                    f"– {line.title}" if sub else line.title,
                    line.actual,
                    line.target,
                    None if several and not sub else line.numerator,
                    None if several and not sub else line.denominator,
                    verdict_text(line),
                    line.rule_note,
                    "" if line.parts else EVIDENCE_LABELS.get(line.evidence, str(line.evidence)),
                    line.evidence_note,
                )
            )
    name = TAB_KPIS.format(year=cfg.ward.year)
    return Table(name, columns, tuple(rows), updated_at, frozenset(highlight))


def verdict_text(k: KpiResult) -> str:
    if k.verdict:
        return k.verdict
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
    milestones = concrete_milestones(cfg)
    order = {m.id: i for i, m in enumerate(milestones)}
    titles = {m.id: m.title for m in milestones}
    branches = {b.code: b for b in roster.branches}
    last_sent = _last_sent(ledger)
    late = [
        (st.branch_code, ms)
        for st in statuses
        for ms in st.milestones
        if ms.state is MilestoneState.OVERDUE
    ]
    # the ward's own milestones (its summary report): one line, "Đảng ủy" instead of a branch
    late += [
        ("", ms)
        for ms in ward_milestone_statuses(
            milestones, today=updated_at.date(), due_soon_days=cfg.alerts.due_soon_days
        )
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
        branch = branches.get(code) or Branch(code=code, name=WARD_ITSELF if not code else "")
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
        if e.status != "sent" or e.sent_at is None or not e.milestone_id:
            continue  # the digest (no milestone) reminds nobody of one item
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
        # the code printed in the message (a branch's letter carries several notices)
        Column("Mã thư", "text", 14),
        Column("Loại", "text", 22),
        Column("Mã chi bộ", "text", 10),
        Column("Nội dung", "text", 40),
        Column("Người nhận", "text", 36),
        Column("Tiêu đề", "text", 50),
        Column("Trạng thái", "text", 24),
    )
    titles = {m.id: m.title for m in concrete_milestones(cfg)}

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
                alert_code(e.message_key or e.alert_id),
                alert_kind_label(e.kind),
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

def _local(dt: datetime | None, tz: tzinfo) -> datetime | None:
    """An aware datetime in the ward's zone; a naive one is taken as ward-local already."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=tz)
    return dt.astimezone(tz)
