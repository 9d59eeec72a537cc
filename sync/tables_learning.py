"""The "Bình dân học vụ số" tabs (seed 003): the counts per group, branch and unit on one
tab, every learner's progress on another (two shapes of rows read better apart), and the
learning targets as rows appended to the "Chỉ tiêu <năm>" tab. Pure, like ``sync.tables``.
No birth dates: the tabs are read by many people."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from scoring.learning import (
    STATUS_NOT_STARTED,
    LearningCount,
    LearningProgress,
    group_label,
    unit_label,
)
from sync.model import Cell, Column, Roster, Table

TAB_LEARNING = "Bình dân học vụ số"
TAB_LEARNERS = "Người học Bình dân học vụ số"
TARGET_NUMBER = "BDHVS"  # the "Mục tiêu số" of the learning targets' rows
TARGET_RULE = (
    "Số người đạt đánh giá trên nền tảng đến hạn (ngày đạt không quá hạn) / số người của nhóm "
    "trong danh sách cán bộ"
)
TARGET_SOURCE = "Nền tảng Bình dân học vụ số"

COUNT_COLUMNS = (
    Column("Cấp", "text", 16),
    Column("Mã chi bộ", "text", 10),
    Column("Chi bộ / đơn vị / nhóm", "text", 44),
    Column("Số người", "int", 10),
    Column("Đã tham gia học", "int", 12),
    Column("Đã đạt", "int", 10),
    Column("Chưa đạt", "int", 10),
    Column("Tỷ lệ đạt", "percent", 10),
)
LEARNER_COLUMNS = (
    Column("Mã chi bộ", "text", 10),
    Column("Đơn vị", "text", 32),
    Column("Mã cán bộ", "text", 12),
    Column("Họ và tên", "text", 26),
    Column("Nhóm", "text", 22),
    Column("Mã đảng viên", "text", 12),
    Column("Số bài đã hoàn thành", "int", 12),
    Column("Kết quả đánh giá", "text", 14),
    Column("Ngày đạt", "date", 12),
    Column("Tình trạng", "text", 12),
)
LEVEL_WARD = "Toàn Đảng bộ"
LEVEL_GROUP = "Nhóm đối tượng"
LEVEL_BRANCH = "Chi bộ"
LEVEL_UNIT = "Đơn vị"


def _result_text(passed: bool | None) -> str:
    if passed is None:
        return "Chưa đánh giá"
    return "Đạt" if passed else "Chưa đạt"


def learning_tables(
    roster: Roster, progress: LearningProgress, updated_at: datetime
) -> tuple[Table, Table]:
    """The counts tab and the learners tab."""
    names = {b.code: b.name for b in roster.branches}
    rows: list[tuple[Cell, ...]] = []
    headings: set[int] = set()

    def heading(title: str) -> None:
        headings.add(len(rows))
        rows.append((title,) + (None,) * (len(COUNT_COLUMNS) - 1))

    def count(level: str, code: str, label: str, c: LearningCount) -> None:
        rows.append((level, code, label, c.staff, c.started, c.passed, c.staff - c.passed, c.rate))

    heading("Tổng hợp chung")
    count(LEVEL_WARD, "", LEVEL_WARD, progress.ward)
    heading("Theo nhóm đối tượng")
    for c in progress.groups:
        count(LEVEL_GROUP, "", c.label, c)
    heading("Theo chi bộ")
    for c in progress.branches:
        count(LEVEL_BRANCH, c.branch_code, names.get(c.branch_code, c.branch_code), c)
    heading("Theo đơn vị (phòng, ban, trung tâm)")
    for c in progress.units:
        count(LEVEL_UNIT, c.branch_code, c.label, c)
    counts = Table(
        TAB_LEARNING, COUNT_COLUMNS, tuple(rows), updated_at, heading_rows=frozenset(headings)
    )

    learner_rows: list[tuple[Cell, ...]] = []
    laggards: set[int] = set()
    for p in progress.learners:
        s = p.staff
        if p.status == STATUS_NOT_STARTED:
            laggards.add(len(learner_rows))
        learner_rows.append(
            (
                s.branch_code,
                unit_label(s.unit),
                s.code,
                s.name,
                group_label(s.group),
                s.member_code,
                p.lessons,
                _result_text(p.passed) if p.lessons is not None else "",
                p.completed_on if p.passed else None,
                p.status,
            )
        )
    learners = Table(
        TAB_LEARNERS, LEARNER_COLUMNS, tuple(learner_rows), updated_at, frozenset(laggards)
    )
    return counts, learners


def with_learning_targets(kpi_table: Table, progress: LearningProgress) -> Table:
    """The "Chỉ tiêu <năm>" tab with one row per learning target appended, in its shape."""
    rows = list(kpi_table.rows)
    highlight = set(kpi_table.highlight_rows)
    for t in progress.targets:
        if not t.met:
            highlight.add(len(rows))
        rows.append(
            (
                TARGET_NUMBER,
                f"Học tập trên nền tảng “Bình dân học vụ số”: {t.label} đạt "
                f"{t.share:.0%} trước hết ngày {t.due:%d/%m/%Y}",
                t.actual,
                t.share,
                t.passed,
                t.staff,
                t.verdict,
                TARGET_RULE,
                TARGET_SOURCE,
                f"Cần {t.needed}/{t.staff} người đạt",
            )
        )
    return replace(kpi_table, rows=tuple(rows), highlight_rows=frozenset(highlight))
