"""The sample's truth: what the pipeline must find once it has read the messy files.

Plain frozen dataclasses, built from the generator's own model (never by parsing the
files); the end-to-end tests compare the pipeline's figures with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

Situation = Literal["on_time", "late", "overdue", "not_sent", "never_reported"]


@dataclass(frozen=True)
class InvalidRow:
    """A value (or a whole row) the pipeline must reject and report as a data problem."""

    source_id: str
    source_title: str
    row: str  # "Dòng N", N = spreadsheet row (header is row 1)
    field: str  # column header exactly as in the file
    value: str  # raw cell text
    why: str  # English, for the test reader
    effect: Literal["row", "field"]  # the whole row is dropped, or only this answer
    superseded: bool = False  # a later valid submission of the same key replaces the row


@dataclass(frozen=True)
class ToleratedValue:
    """A messy value the pipeline must accept (and read as ``value``)."""

    source_id: str
    row: str
    field: str
    raw: str
    value: str


@dataclass(frozen=True)
class BranchTruth:
    code: str
    name: str
    situation: Situation
    roster_members: int
    roster_exempt: int
    reported: bool
    rows: tuple[str, ...]  # every form A row resolving to the branch, in file order
    final_row: str | None
    first_reported_at: datetime | None
    last_reported_at: datetime | None
    # facts of the final (latest) submission; None when blank or never reported
    plan_date: date | None
    session_date: date | None
    session_form: str | None
    total_members: int | None
    exempt_members: int | None
    participants: int | None
    contents: tuple[str, ...]
    invited_expert: bool | None
    task_name: str | None
    six_clear: dict[str, str | None]  # SIX_CLEAR_KEYS -> text as typed (dates dd/mm/yyyy)
    six_clear_filled: int
    task_registered: bool  # task name and all 6 rõ filled (final submission)
    task_registered_on: date | None  # first submission with the task and all 6 rõ
    task_progress: str | None
    counts: dict[str, int | None]  # BRANCH_COUNT_KEYS
    report_sent: bool
    report_sent_on: date | None  # local date of the first submission marked "Đã gửi"
    good_practices: str | None
    difficulties: str | None
    # every distinct session held by NOW: (date, form, invited expert) as the latest
    # submission naming that date says
    sessions: tuple[tuple[date, str | None, bool | None], ...]
    all_registered_on: date | None  # every non-exempt member has Biểu mẫu 01 (last date)
    all_scored_on: date | None  # every non-exempt member has a committee score (last date)


@dataclass(frozen=True)
class MemberTruth:
    code: str
    name: str
    birth_date: date
    branch_code: str
    exempt: bool
    registered: bool  # a valid Biểu mẫu 01 counts
    registration_complete: bool | None  # by the rubric's section rules; None: no registration
    registration_failed: tuple[str, ...]  # section ids whose rule fails
    registration_sections: dict[str, tuple[str, ...]]  # section id -> known items chosen
    self_assessment: dict[str, bool]  # grid row -> Hoàn thành; blank rows absent
    registration_row: str | None
    first_registered_at: datetime | None
    registered_at: datetime | None  # the final registration
    self_criteria: dict[int, float] | None  # final self sheet, N/A -> max, rejected absent
    self_total: float | None
    self_row: str | None
    committee_criteria: dict[int, float] | None
    committee_total: float | None
    committee_missing: tuple[int, ...]  # rejected/blank committee criteria (scored 0)
    committee_row: str | None
    committee_at: datetime | None
    # the final committee sheet has a rejected cell: no total, no band ("Cần kiểm tra lại")
    committee_review: bool
    first_scored_at: datetime | None  # the first committee sheet without a rejected cell
    band: str | None  # by committee total
    pending: bool  # self score only
    gap_flag: bool  # |self - committee| >= rubric threshold
    learning_lessons: int | None
    learning_passed: bool | None
    learning_completed_on: date | None


@dataclass(frozen=True)
class LearnerTruth:
    row: str
    name: str
    unit_text: str
    branch_code: str | None  # None: unknown unit (row rejected)
    member_code: str  # "" for learners who are not party members
    lessons: int
    passed: bool | None
    completed_on: date | None


@dataclass(frozen=True)
class Truth:
    seed: int
    now: datetime
    branches: dict[str, BranchTruth]
    members: dict[str, MemberTruth]
    learners: tuple[LearnerTruth, ...]
    invalid_rows: tuple[InvalidRow, ...]
    tolerated: tuple[ToleratedValue, ...]
    other_answers: tuple[ToleratedValue, ...]  # "Other" free text in form B checkboxes
    support: Any = None  # Form E: support.SupportTruth
    # "Bình dân học vụ số": every learner (staff.StaffTruth) and the rows of a
    # unit's own export (staff.UnitExportRow)
    staff: tuple[Any, ...] = ()
    unit_export: tuple[Any, ...] = ()


@dataclass(frozen=True)
class SampleWard:
    files: dict[str, bytes]  # path relative to the output folder -> bytes
    truth: Truth
