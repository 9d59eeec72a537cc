"""The "Tổ công nghệ số cộng đồng" tab: what the teams' support logs (Form E) add up to.

Four blocks under bold headings: per team and month, per team over the year (against the
target), per helper, the ward's totals. People are distinct people (keyed hashes, see
sync/support.py): nothing in the tab names or reaches a citizen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from scoring.support import SUPPORT_KINDS, SupportCount, SupportSummary, TeamPeriod
from sync.labels import milestone_text
from sync.model import Cell, Column, MilestoneStatus, Table, Team

TAB_SUPPORT = "Tổ công nghệ số cộng đồng"


HEADINGS = (
    "1. Kết quả hỗ trợ người dân theo tổ và tháng",
    "2. Cả năm {year}: số người được hỗ trợ so với chỉ tiêu",
    "3. Người hỗ trợ",
    "4. Toàn phường năm {year}",
)
MET, NOT_MET = "Đạt", "Chưa đạt"


def _columns(kinds: Sequence[str], milestones: Sequence[str] = ()) -> tuple[Column, ...]:
    return (
        Column("Tổ", "text", 40),
        Column("Kỳ", "text", 10),
        Column("Người hỗ trợ", "text", 24),
        Column("Vai trò", "text", 20),
        Column("Lượt hỗ trợ", "int", 10),
        Column("Số người được hỗ trợ", "int", 12),
        Column("Chỉ tiêu (người)", "int", 10),
        Column("Đánh giá", "text", 10),
        Column("Hoàn thành", "int", 10),
        Column("Chưa hoàn thành, hẹn lại", "int", 12),
        *(Column(k, "int", 14) for k in kinds),
        *(Column(f"Mốc: {m}", "text", 24) for m in milestones),
    )


def _period(period: str) -> str:
    if "-" in period:  # "2026-06" -> "06/2026"
        y, m = period.split("-")
        return f"{m}/{y}"
    return f"Năm {period}"


def _figures(c: SupportCount, kinds: Sequence[str]) -> tuple[Cell, ...]:
    return (c.completed, c.rescheduled, *(c.by_kind.get(k, 0) for k in kinds))


def _verdict(p: TeamPeriod) -> str:
    met = p.met
    return "" if met is None else (MET if met else NOT_MET)


def support_table(
    summary: SupportSummary,
    teams: Sequence[Team],
    year: int,
    updated_at: datetime,
    kinds: Sequence[str] = SUPPORT_KINDS,
    milestones: Sequence[tuple[str, Mapping[str, MilestoneStatus]]] = (),
) -> Table:
    """``milestones``: (title, team code -> status) of each team milestone (scope: team),
    shown in the year's rows."""
    columns = _columns(kinds, [title for title, _ in milestones])
    width = len(columns)
    label = {t.code: f"{t.code} - {t.name}" for t in teams}
    rows: list[tuple[Cell, ...]] = []
    headings: set[int] = set()

    def heading(text: str) -> None:
        headings.add(len(rows))
        rows.append((text, *([None] * (width - 1))))

    def states(p: TeamPeriod) -> tuple[Cell, ...]:
        if "-" in p.period:  # month rows: the milestones are the year's
            return (None,) * len(milestones)
        return tuple(
            milestone_text(by[p.team_code]) if p.team_code in by else None
            for _, by in milestones
        )

    def period_row(p: TeamPeriod) -> tuple[Cell, ...]:
        c = p.count
        return (
            label.get(p.team_code, p.team_code),
            _period(p.period),
            None,
            None,
            c.sessions,
            c.people,
            p.target,
            _verdict(p),
            *_figures(c, kinds),
            *states(p),
        )

    heading(HEADINGS[0])
    rows.extend(period_row(p) for p in summary.months)
    heading(HEADINGS[1].format(year=year))
    rows.extend(period_row(p) for p in summary.years)
    heading(HEADINGS[2])
    for h in summary.helpers:
        rows.append(
            (
                label.get(h.team_code, h.team_code),
                _period(str(year)),
                h.name or "(không ghi tên)",
                h.role,
                h.sessions,
                h.people,
                None,
                None,
                *([None] * (width - 8)),
            )
        )
    heading(HEADINGS[3].format(year=year))
    w = summary.ward
    rows.append(
        (
            f"Toàn phường ({len(summary.teams_with_logs)}/{len(teams)} tổ có nhật ký)",
            _period(str(year)),
            None,
            None,
            w.sessions,
            w.people,
            None,
            None,
            *_figures(w, kinds),
            *((None,) * len(milestones)),
        )
    )
    return Table(TAB_SUPPORT, columns, tuple(rows), updated_at, heading_rows=frozenset(headings))
