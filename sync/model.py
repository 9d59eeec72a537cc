"""The data that flows through one cycle.

Every stage of the core is a pure function from these values to these values:

    RawResponse  --normalise-->  BranchReport / Registration / ScoreSheet / LearningRecord
                                  + DataProblem
    records + Roster + Rubric --scoring--> MemberResult, BranchStatus, KpiResult
    statuses + ledger + now --alerts--> Alert
    everything --tables--> Table

Names are English; every string a user reads (reasons, labels) is Vietnamese.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cached_property
from typing import Final, Literal, TypeVar, overload

from sync.text import natural_key, visible

# ---------------------------------------------------------------------------
# Roster
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Branch:
    code: str
    name: str
    aliases: tuple[str, ...] = ()
    secretary_name: str = ""
    secretary_email: str = ""
    supervisor_name: str = ""
    supervisor_email: str = ""


@dataclass(frozen=True)
class Member:
    code: str
    name: str
    birth_date: date | None
    branch_code: str
    exempt: bool = False  # "miễn sinh hoạt đảng": not counted in participation
    # cán bộ, công chức, viên chức (target 3's second part); None: the roster has no column
    civil_servant: bool | None = None


@dataclass(frozen=True)
class StaffMember:
    """A learner of "Bình dân học vụ số" (seed 003): every cán bộ, công chức, viên chức and
    người lao động, party member or not (``sync.staff`` loads them)."""

    code: str  # "Mã cán bộ"; a member added from the member roster keeps its member code
    name: str
    birth_date: date | None
    unit: str  # phòng / ban / trung tâm; "" when unknown (a member not in the staff roster)
    branch_code: str  # the branch that oversees the unit
    group: str  # Cán bộ · Công chức · Viên chức · Người lao động; "" when unknown
    member_code: str = ""  # when a party member


@dataclass(frozen=True)
class Roster:
    branches: tuple[Branch, ...]
    members: tuple[Member, ...]
    staff: tuple[StaffMember, ...] = ()  # the staff roster as loaded (empty: none configured)

    def branch(self, code: str) -> Branch:
        return self._branches[code]

    def members_of(self, branch_code: str) -> tuple[Member, ...]:
        return self._members_by_branch.get(branch_code, ())

    # indexes built on first use: a province asks for 3,000 branches among 100,000 members
    @cached_property
    def _branches(self) -> dict[str, Branch]:
        out: dict[str, Branch] = {}
        for b in self.branches:
            out.setdefault(b.code, b)
        return out

    @cached_property
    def _members_by_branch(self) -> dict[str, tuple[Member, ...]]:
        out: dict[str, list[Member]] = {}
        for m in self.members:
            out.setdefault(m.branch_code, []).append(m)
        return {k: tuple(v) for k, v in out.items()}

    def __getstate__(self) -> dict[str, object]:
        # pickled without the indexes (they are rebuilt on use)
        return {"branches": self.branches, "members": self.members, "staff": self.staff}


# ---------------------------------------------------------------------------
# Raw input, as a source adapter hands it over
# ---------------------------------------------------------------------------

Answer = str | list[str]
_T = TypeVar("_T")


class RowAnswers(Mapping[str, Answer]):
    """A table row's answers keyed by column title, without a dict per row: the titles are
    shared by every row of the table (a province's export has 100,000 rows)."""

    __slots__ = ("names", "cells", "_index")

    def __init__(self, names: tuple[str, ...], cells: list[str], index: dict[str, int]) -> None:
        self.names = names  # as many as cells
        self.cells = cells
        self._index = index  # title -> position, shared by every row

    def __getitem__(self, key: str) -> Answer:
        return self.cells[self._index[key]]

    @overload
    def get(self, key: str, /) -> Answer | None: ...
    @overload
    def get(self, key: str, default: Answer, /) -> Answer: ...
    @overload
    def get(self, key: str, default: _T, /) -> Answer | _T: ...
    def get(self, key: str, default: object = None) -> object:
        # asked for every bound column of every row: not the ABC's try/except get
        i = self._index.get(key)
        return default if i is None else self.cells[i]

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        return repr(dict(self))

    def __reduce__(self) -> tuple[object, ...]:
        return (dict, (dict(self),))


class SparseAnswers(Mapping[str, Answer]):
    """A Forms API response's answers over the form's question ids (shared by every
    response): only the questions answered are keys. No dict per response: a form's
    200,000 responses are read at once."""

    __slots__ = ("names", "cells", "_index")

    def __init__(
        self, names: tuple[str, ...], cells: list[Answer | None], index: dict[str, int]
    ) -> None:
        self.names = names
        self.cells = cells
        self._index = index

    def __getitem__(self, key: str) -> Answer:
        i = self._index.get(key)
        value = None if i is None else self.cells[i]
        if value is None:
            raise KeyError(key)
        return value

    @overload
    def get(self, key: str, /) -> Answer | None: ...
    @overload
    def get(self, key: str, default: Answer, /) -> Answer: ...
    @overload
    def get(self, key: str, default: _T, /) -> Answer | _T: ...
    def get(self, key: str, default: object = None) -> object:
        i = self._index.get(key)
        value = None if i is None else self.cells[i]
        return default if value is None else value

    def __iter__(self) -> Iterator[str]:
        return (n for n, v in zip(self.names, self.cells, strict=True) if v is not None)

    def __len__(self) -> int:
        return sum(1 for v in self.cells if v is not None)

    def __repr__(self) -> str:
        return repr(dict(self))

    def __reduce__(self) -> tuple[object, ...]:
        return (dict, (dict(self),))


@dataclass(frozen=True)
class RawResponse:
    """One submission as read from a source, before any interpretation.

    Tabular sources (CSV, XLSX, linked sheet) key ``answers`` by the column header exactly
    as it appears in the file (the timestamp column included) and leave ``submitted_at``
    empty: the normaliser parses the timestamp with the source's locale. The Forms API keys
    ``answers`` by question id, gives lists of strings, and sets ``submitted_at`` (UTC).
    """

    source_id: str
    response_id: str  # stable within the source: Forms responseId, or "row:<n>" for a table
    row_label: str  # what a person reads in "Lỗi dữ liệu": "Dòng 12", "Phản hồi ACYDBN…"
    answers: Mapping[str, Answer]
    submitted_at: datetime | None = None
    keyed_by: Literal["title", "question_id"] = "title"


# ---------------------------------------------------------------------------
# Data problems: every rejected answer becomes one of these, never silently dropped
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DataProblem:
    source: str  # the source's readable title (SourceConfig.title, else the mapping's title)
    record: str  # row label / response label ("Dòng 12"), or "" for a whole-source problem
    field: str  # the question title / column (as in the source), or canonical field name
    raw_value: str  # as typed, invisible characters shown as ⟨U+200D⟩ (sync.text.visible)
    reason: str  # Vietnamese, full diacritics
    branch_code: str = ""  # when known: lets staff filter by branch

    def __post_init__(self) -> None:
        # every constructor site gets it: a name with a zero-width joiner must not look
        # identical to the roster's in "Lỗi dữ liệu" (idempotent, so re-reads are safe)
        shown = visible(self.raw_value)
        if shown is not self.raw_value:
            object.__setattr__(self, "raw_value", shown)

    def sort_key(self) -> tuple[str, tuple[tuple[int, str], ...], str, str]:
        return (self.source, natural_key(self.record), self.field, self.reason)


# ---------------------------------------------------------------------------
# Normalised records, one type per form kind
# ---------------------------------------------------------------------------


class SourceKind(StrEnum):
    BRANCH_STATS = "branch_stats"  # Form A: "Thống kê kết quả sinh hoạt chuyên đề"
    REGISTRATION = "registration"  # Form B: Biểu mẫu 01
    SCORING = "scoring"  # Form C: Biểu mẫu 02
    LEARNING = "learning"  # Export D: "Bình dân học vụ số" platform
    SUPPORT_LOG = "support_log"  # Form E: "Nhật ký hỗ trợ người dân" (sync/support.py)


# Keys of BranchReport.six_clear, in the order the campaign lists the "6 rõ".
SIX_CLEAR_KEYS: tuple[str, ...] = (
    "ro_nguoi",
    "ro_viec",
    "ro_quy_trinh",
    "ro_thoi_gian",
    "ro_trach_nhiem",
    "ro_san_pham",
)

# Keys of BranchReport.counts: member counts a branch reports on form A.
BRANCH_COUNT_KEYS: tuple[str, ...] = (
    "registered",  # Số đảng viên có bản đăng ký (Biểu mẫu 01)
    "registered_item",  # Số đảng viên đăng ký phần việc "Cán bộ số, đảng viên số tiêu biểu"
    "proficient",  # ... sử dụng thành thạo máy tính, điện thoại thông minh
    "handbook",  # ... sử dụng Sổ tay đảng viên điện tử
    "social_declared",  # ... đã khai báo tài khoản mạng xã hội
    "positive_sharing",  # ... tham gia tuyên truyền thông tin tích cực
    "trained",  # ... đã tham gia bồi dưỡng, tập huấn kỹ năng số
    "bdhvs_completed",  # ... hoàn thành học tập trên nền tảng "Bình dân học vụ số"
)


@dataclass(frozen=True)
class RecordBase:
    source_id: str
    response_id: str
    row_label: str
    submitted_at: datetime  # timezone-aware


@dataclass(frozen=True)
class BranchReport(RecordBase):
    """Form A. Latest submission per branch counts; earlier ones are history."""

    branch_code: str
    reporter_name: str | None = None
    plan_date: date | None = None
    session_date: date | None = None
    session_form: str | None = None  # one of the mapping's choices
    total_members: int | None = None
    exempt_members: int | None = None
    participants: int | None = None
    contents: tuple[str, ...] = ()  # known choices only
    invited_expert: bool | None = None
    task_name: str | None = None
    six_clear: Mapping[str, str | None] = field(default_factory=dict)  # SIX_CLEAR_KEYS
    task_progress: str | None = None
    counts: Mapping[str, int | None] = field(default_factory=dict)  # BRANCH_COUNT_KEYS
    report_sent: bool | None = None
    good_practices: str | None = None
    difficulties: str | None = None


@dataclass(frozen=True)
class Registration(RecordBase):
    """Form B (Biểu mẫu 01). Latest per member counts."""

    member_code: str
    branch_code: str
    position: str | None = None
    # section id (from the rubric's registration rules) -> chosen known items
    sections: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # grid row -> True (Hoàn thành) / False (Chưa hoàn thành); absent when blank
    self_assessment: Mapping[str, bool] = field(default_factory=dict)


class Scorer(StrEnum):
    SELF = "self"  # "Đảng viên tự chấm"
    COMMITTEE = "committee"  # "Cấp ủy chấm"


NOT_APPLICABLE: Final = "N/A"  # a criterion answered "Không áp dụng (tính điểm tối đa)"

CriterionValue = float | Literal["N/A"]


@dataclass(frozen=True)
class ScoreSheet(RecordBase):
    """Form C (Biểu mẫu 02). Latest per (member, scorer) counts.

    ``criteria`` maps criterion number (1..13) to the accepted value; a criterion whose
    answer was blank or rejected is absent (and, if rejected, a DataProblem says why).
    """

    member_code: str
    branch_code: str
    scorer: Scorer
    criteria: Mapping[int, CriterionValue] = field(default_factory=dict)
    # criteria whose answer was rejected (17 for a criterion of 15): the sheet cannot be
    # trusted as a whole, the member "needs review" until a valid sheet arrives
    rejected: tuple[int, ...] = ()


@dataclass(frozen=True)
class LearningRecord(RecordBase):
    """Export D ("Bình dân học vụ số"). member_code is empty for learners who are not
    party members; they count only in the unit's totals."""

    branch_code: str
    member_code: str = ""
    lessons_completed: int | None = None
    passed: bool | None = None  # None: not yet assessed
    completed_on: date | None = None
    staff_code: str = ""  # the learner in the staff roster (a member's code without one)


@dataclass(frozen=True)
class Team:
    """A community digital technology team ("Tổ công nghệ số cộng đồng"), from the team
    roster (``teams.roster`` in the config; see sync/support.py)."""

    code: str
    name: str
    aliases: tuple[str, ...] = ()
    area: str = ""  # khu phố / tổ dân phố
    leader_name: str = ""
    leader_email: str = ""
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class SupportLog(RecordBase):
    """Form E: one person supported by a community digital technology team on one visit.
    The person is only a keyed hash (``sync.support.person_key``): never a name or phone."""

    team_code: str
    person_key: str  # HMAC of (folded name, birth year, national phone): counts distinct people
    support_on: date  # the day of the support (local), else the submission's day
    helper_name: str = ""
    helper_role: str = ""  # one of the mapping's choices, "" when blank or unknown
    kinds: tuple[str, ...] = ()  # known choices only
    completed: bool | None = None  # False: "Chưa hoàn thành, hẹn lại"; None: blank


Record = BranchReport | Registration | ScoreSheet | LearningRecord | SupportLog


@dataclass(frozen=True)
class NormalizedSource:
    """What normalising one source gives: every record (history included) and problems."""

    source_id: str
    kind: SourceKind
    records: tuple[Record, ...]
    problems: tuple[DataProblem, ...]
    unmapped_columns: tuple[str, ...] = ()  # reported once, not an error


# ---------------------------------------------------------------------------
# Results of scoring (scoring/)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RegistrationResult:
    complete: bool
    failed_rules: tuple[str, ...]  # Vietnamese, e.g. "Mục 2: chọn 2/6 nội dung, cần ít nhất 3"
    self_assessment_done: int  # grid rows answered "Hoàn thành"
    # per rubric grid row: True Hoàn thành, False Chưa hoàn thành, None blank
    self_assessment: tuple[bool | None, ...] = ()

    @property
    def self_assessed(self) -> bool:
        """Any row of the year-end grid answered."""
        return self.self_assessment_done > 0 or any(v is not None for v in self.self_assessment)


@dataclass(frozen=True)
class MemberResult:
    member_code: str
    branch_code: str
    registration: RegistrationResult | None  # None: no Biểu mẫu 01 received
    self_total: float | None  # None: no self score received
    committee_total: float | None  # None: not scored by the committee yet
    band: str | None  # from the rubric, by committee_total; None when pending/no score
    pending: bool  # only a self score exists
    gap_flag: bool  # |self - committee| >= rubric threshold
    missing_committee_criteria: tuple[int, ...] = ()  # blank/rejected criteria scored 0
    committee_criteria: Mapping[int, float] = field(default_factory=dict)  # N/A -> max
    learning_lessons: int | None = None
    learning_passed: bool | None = None
    # the latest committee sheet has rejected cells: no total, no band until a valid one
    # arrives ("Cần kiểm tra lại"); the reason names the criteria
    review_reason: str | None = None


DoneWhen = Literal[
    "plan_issued",  # form A: plan date given (done on that date)
    "session_held",  # form A: session date given (done on that date)
    "task_registered",  # form A: task name and all "6 rõ" filled (done when first reported)
    "report_sent",  # form A: "Đã gửi báo cáo tổng kết" (done when first reported)
    "members_registered",  # every eligible member has a Biểu mẫu 01
    "members_scored",  # every eligible member scored by the committee
    # form A: "Tiến độ nhiệm vụ" answered on or after the window's start (done on that day)
    "progress_reviewed",
    # scope team: the team roster names its leader and another member, and the team has a
    # support-log entry (Form E); done on the day of its first support session
    "team_active",
]

# "branch": every branch must meet it (notices to its secretary); "ward": the ward's own
# committee must (its summary report), notices to mail.ward_staff, done when staff record it.
# "team": every community digital technology team (teams.roster), notices to its leader.
MilestoneScope = Literal["branch", "ward", "team"]


@dataclass(frozen=True)
class ConcreteMilestone:
    """One deadline as tabs, statuses and alerts see it: a one-off milestone as written, or
    one quarter of a recurring one (its own id, title, window and due date)."""

    id: str  # "sinh_hoat"; an occurrence: "ra_soat_quy:2026-Q3" (stable: ledger ids use it)
    title: str
    due: date  # last day on time (inclusive)
    done_when: DoneWhen | None  # None for a ward milestone
    scope: MilestoneScope = "branch"
    starts: date | None = None  # window start: evidence dated before it does not count
    branches: tuple[str, ...] | None = None
    done_on: date | None = None  # ward: recorded by staff
    base_id: str = ""  # the config's id ("ra_soat_quy"); equals ``id`` when not recurring
    occurrence: str = ""  # "2026-Q3" for a quarterly occurrence


# The plan's four groups of staff (seed 003), in its order.
STAFF_GROUPS: tuple[str, ...] = ("Cán bộ", "Công chức", "Viên chức", "Người lao động")


class MilestoneState(StrEnum):
    DONE_ON_TIME = "done_on_time"  # "Hoàn thành đúng hạn"
    DONE_LATE = "done_late"  # "Hoàn thành trễ hạn"
    NOT_DUE = "not_due"  # "Chưa đến hạn"
    DUE_SOON = "due_soon"  # "Sắp đến hạn"
    OVERDUE = "overdue"  # "Quá hạn N ngày"


@dataclass(frozen=True)
class MilestoneStatus:
    milestone_id: str
    branch_code: str
    state: MilestoneState
    due: date
    done_on: date | None  # local date the branch met the milestone
    days_overdue: int  # > 0 only when OVERDUE (or DONE_LATE: days late)
    days_left: int  # days until due (negative when past)


class OverallState(StrEnum):
    COMPLETE = "Hoàn thành"
    IN_PROGRESS = "Đang thực hiện"
    NOT_REPORTED = "Chưa báo cáo"
    OVERDUE = "Quá hạn"


@dataclass(frozen=True)
class BranchStatus:
    branch_code: str
    report: BranchReport | None  # latest form A submission, if any
    first_reported_at: datetime | None
    plan_date: date | None
    session_date: date | None
    session_form: str | None
    eligible_members: int  # members - exempt (reported figures, else roster)
    participants: int | None
    participation_rate: float | None  # 0..1
    six_clear_filled: int  # 0..6
    task_registered: bool  # task name and all 6 rõ filled
    registered_share: float | None  # members with a Biểu mẫu 01 / eligible (member level)
    scored_share: float | None  # members scored by the committee / eligible
    report_sent: bool
    milestones: tuple[MilestoneStatus, ...]
    overall: OverallState
    max_days_overdue: int


class Evidence(StrEnum):
    MEMBER = "member"  # from forms B, C (member level)
    BRANCH = "branch"  # from the branch's reported figures (form A)
    MIXED = "mixed"
    NONE = "none"


@dataclass(frozen=True)
class KpiResult:
    target_id: str
    title: str
    actual: float | None  # share 0..1 (None when nothing to measure)
    target: float  # share 0..1
    met: bool
    numerator: int
    denominator: int
    evidence: Evidence
    evidence_note: str  # Vietnamese: which branches counted from which evidence
    number: int | None = None  # as numbered in the plan's section II
    # "Đạt" / "Chưa đạt" / "Chưa đủ số liệu: ..." (never Đạt on half the evidence)
    verdict: str = ""
    rule_note: str = ""  # Vietnamese: what meeting the target means (e.g. full marks)
    parts: tuple[KpiResult, ...] = ()  # a target naming several things: one per part


# ---------------------------------------------------------------------------
# Alerts
# ---------------------------------------------------------------------------


class AlertKind(StrEnum):
    REMINDER = "reminder"  # before the due date
    OVERDUE = "overdue"  # after the due date, every K days up to M times
    ESCALATION = "escalation"  # an overdue notice with the supervisor in Cc
    DIGEST = "digest"  # weekly list of late branches to the ward staff
    # "Bình dân học vụ số" (sync/alerts_learning.py): a branch's learners who have not
    # passed, to its secretary; the rates per branch, to the ward staff
    LEARNING = "learning"
    LEARNING_DIGEST = "learning_digest"
    # one message per branch per cycle carrying the alerts above that are due for it
    # (sync/letters.py): rendered, never a ledger entry of its own
    LETTER = "branch_letter"


@dataclass(frozen=True)
class Alert:
    alert_id: str  # stable: milestone, branch, kind, occurrence
    kind: AlertKind
    to: tuple[str, ...]
    cc: tuple[str, ...]
    branch_code: str  # "" for the digest
    milestone_id: str  # "" for the digest
    occurrence: str  # "14d" before, "3" (3rd overdue notice), "2026-W48" digest week
    due_at: datetime  # the moment it became due (local tz)
    context: Mapping[str, object] = field(default_factory=dict)  # template variables


@dataclass(frozen=True)
class LedgerEntry:
    alert_id: str
    kind: str
    branch_code: str
    milestone_id: str
    status: Literal["intent", "sent", "failed", "unknown"]
    recipients: str
    subject: str
    intent_at: datetime | None
    sent_at: datetime | None
    error: str = ""
    message_key: str = ""  # the letter that carried it; "" = its own message


# ---------------------------------------------------------------------------
# Summary tables: one model, every destination
# ---------------------------------------------------------------------------

ColumnKind = Literal["text", "int", "number", "percent", "date", "datetime", "bool"]
Cell = str | int | float | date | datetime | bool | None


@dataclass(frozen=True)
class Column:
    header: str  # Vietnamese
    kind: ColumnKind = "text"
    width: int = 14  # characters; destinations convert to their unit


@dataclass(frozen=True)
class Table:
    name: str  # tab title, e.g. "Tổng hợp chi bộ"
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    updated_at: datetime
    highlight_rows: frozenset[int] = frozenset()  # row indexes (0-based) shown as overdue
    charts: tuple[Chart, ...] = ()
    # rows (0-based) that are section headings in a report-shaped tab: shown bold
    heading_rows: frozenset[int] = frozenset()

    def content_key(self) -> tuple[object, ...]:
        """What decides whether a tab changed (the update stamp excluded)."""
        return (
            self.name,
            self.columns,
            self.rows,
            tuple(sorted(self.highlight_rows)),
            self.charts,
            tuple(sorted(self.heading_rows)),
        )


# ---------------------------------------------------------------------------
# Charts: drawn by destinations from a table's own cells
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """A simple chart over a block of a table's rows (row indexes are 0-based into
    ``Table.rows``; columns index ``Table.columns``). Destinations place it to the right of
    the table (XLSX: a drawing; Google Sheets: ``addChart``)."""

    title: str  # Vietnamese
    kind: Literal["bar", "column"]  # bar: horizontal bars (long category labels)
    categories: int  # column holding the category labels
    series: tuple[int, ...]  # columns holding the values, one series each (header = name)
    first_row: int  # first data row of the block
    last_row: int  # last data row of the block (inclusive)
    stacked: bool = False
    percent: bool = False  # values are shares 0..1 (axis shown in %)


# ---------------------------------------------------------------------------
# The year-end report (Biểu mẫu 03): one model, the tab and the Word document
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One counted figure of the report: ``count`` of ``total`` (a share when ``total``
    is given). ``count`` None: the forms do not say (yet)."""

    key: str  # stable id, e.g. "plan_on_time"
    label: str  # Vietnamese: "Chi bộ ban hành kế hoạch đúng hạn"
    count: int | None
    total: int | None = None  # the denominator; None for a plain count
    unit: str = ""  # "chi bộ", "đảng viên", "buổi", "phần việc"

    @property
    def rate(self) -> float | None:
        if self.count is None or not self.total:
            return None
        return self.count / self.total


@dataclass(frozen=True)
class Quote:
    """Respondent text gathered with its branch (good practices, recommendations)."""

    branch: str  # "CB03 - Chi bộ ..."
    text: str


@dataclass(frozen=True)
class TargetLine:
    """One 2026 target as the report quotes it."""

    number: int  # 1..7, as in the plan's section II
    title: str
    result: float | None  # share 0..1
    target: float
    numerator: int
    denominator: int
    verdict: str  # "Đạt" / "Chưa đạt" / "Chưa đủ số liệu: ..."
    note: str


@dataclass(frozen=True)
class ReportSection:
    """A heading of Biểu mẫu 03 with what the software knows for it.

    ``for_staff``: the forms do not collect this part; the tab and the document leave a
    marked empty place for the staff to write (never an invented number)."""

    number: str  # "I", "II.1", "III.2", ...
    title: str
    level: int = 1  # 1: roman heading, 2: numbered sub-heading
    sentences: tuple[str, ...] = ()  # computed figures in words
    figures: tuple[Figure, ...] = ()
    quotes: tuple[Quote, ...] = ()
    for_staff: bool = False


@dataclass(frozen=True)
class Report:
    """The ward's (or one branch's) year-end summary report, Biểu mẫu 03."""

    scope: Literal["ward", "branch"]
    body: str  # "Đảng bộ Cơ quan UBND phường Mẫu" or the branch's name
    parent: str  # the line above the body in the header ("ĐẢNG BỘ ..."), "" for none
    year: int
    place: str  # for the "<place>, ngày ... tháng ... năm ..." line
    as_of: datetime  # figures as of (local)
    sections: tuple[ReportSection, ...]
    targets: tuple[TargetLine, ...]
    form_title: str = ""  # appendix VII: the statistics form
    form_link: str = ""  # "" when the ward has not configured it
