"""Normalise one source: raw answers -> records of its kind + data problems.

``normalize_source`` is pure (no I/O, no clock). Columns are bound to canonical fields by
the source's mapping file (``bind_columns`` for tables keyed by header,
``bind_question_ids`` for the Forms API keyed by question id); values are read by
``sync.values``; people and branches are matched by ``sync.matching``. Every answer that
is not used becomes a DataProblem saying why, in Vietnamese.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import cached_property, lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from scoring.rubric import Rubric
from sync.config import SourceConfig
from sync.mapping import REQUIRED_FIELDS, FieldMapping, FormMapping, rubric_gaps
from sync.matching import RosterIndex
from sync.model import (
    BRANCH_COUNT_KEYS,
    SIX_CLEAR_KEYS,
    Answer,
    BranchReport,
    CriterionValue,
    DataProblem,
    LearningRecord,
    Member,
    NormalizedSource,
    RawResponse,
    Record,
    Registration,
    Roster,
    Scorer,
    ScoreSheet,
    SourceKind,
)
from sync.staff import StaffIndex
from sync.text import clean_spaces, fold, normalize_title
from sync.values import (
    BadValue,
    Locale,
    check_birth_date,
    check_campaign_date,
    clean_text,
    format_date,
    is_blank,
    match_choice,
    parse_date,
    parse_int,
    parse_score,
    parse_timestamp,
    split_checkboxes,
)

# Columns Google adds when a form collects e-mail addresses: used if the mapping has an
# "email" field, otherwise known and ignored (never reported as unmapped).
EMAIL_TITLES = frozenset(normalize_title(t) for t in ("Địa chỉ email", "Email Address", "Email"))

UNMAPPED_REASON = "Cột chưa có trong tệp ánh xạ; dữ liệu của cột này không được dùng"
NOT_USED = "phản hồi không được dùng"
COMMITTEE_SHEET_HELD = (
    "; phiếu cấp ủy chấm này chưa được dùng để xếp loại: đảng viên ở trạng thái "
    '"Cần kiểm tra lại" cho đến khi có phiếu chấm hợp lệ'
)


class _RejectedScore:
    """A criterion answer that could not be read (not the same as a blank one)."""


_REJECTED = _RejectedScore()

# Dates of the campaign itself: outside the ward's year they are typing mistakes.
CAMPAIGN_DATES = frozenset({"plan_date", "session_date", "ro_thoi_gian", "completed_on"})

_GRID = re.compile(r"^(.*\S)\s*\[([^\[\]]+)\]$")

# ---------------------------------------------------------------------------------------
# Binding columns to fields
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoundColumn:
    key: str  # the answer key: header as in the file, or a Forms API question id
    title: str  # what people read: the header (without BOM) or the question's title
    field: FieldMapping
    row: str | None = None  # grid columns: the row, as written in the mapping


@dataclass(frozen=True)
class ColumnBinding:
    columns: tuple[BoundColumn, ...]
    timestamp_key: str | None  # tables only; the Forms API gives submitted_at
    unmapped: tuple[str, ...] = ()  # titles of columns no field binds
    ignored: tuple[str, ...] = ()  # known columns not used (e-mail when not mapped)
    conflicts: tuple[tuple[str, str], ...] = ()  # (title, reason): could not bind safely

    def for_field(self, name: str) -> tuple[BoundColumn, ...]:
        return self._by_field.get(name, ())

    @cached_property
    def _by_field(self) -> dict[str, tuple[BoundColumn, ...]]:
        # read for every field of every row: index it once
        out: dict[str, list[BoundColumn]] = {}
        for c in self.columns:
            out.setdefault(c.field.field, []).append(c)
        return {k: tuple(v) for k, v in out.items()}

    def bound_fields(self) -> set[str]:
        return {c.field.field for c in self.columns}


@dataclass(frozen=True)
class _TitleMatch:
    kind: str  # "field", "timestamp", "ignored", "unmapped", "conflict"
    field: FieldMapping | None = None
    row: str | None = None
    reason: str = ""


def _title_keys(f: FieldMapping) -> set[str]:
    return {normalize_title(t) for t in (*f.titles, *f.aliases)}


def _pattern_hit(f: FieldMapping, title: str) -> bool:
    # patterns are written on the normalised title; a folded title (typed without
    # diacritics) is searched too so a pattern such as "^tieu chi 0?1" also works
    targets = (normalize_title(title), fold(title))
    return any(re.search(p, t) for p in f.patterns for t in targets)


def _match_title(mapping: FormMapping, title: str) -> _TitleMatch:
    title = title.replace("\ufeff", "")
    key = normalize_title(title)
    if not key:
        return _TitleMatch("unmapped")
    if key in {normalize_title(t) for t in mapping.timestamp.titles}:
        return _TitleMatch("timestamp")
    plain = [f for f in mapping.fields if f.type != "grid"]
    grids = [f for f in mapping.fields if f.type == "grid"]
    for f in plain:
        if key in _title_keys(f):
            return _TitleMatch("field", f)
    m = _GRID.match(clean_spaces(title))
    if m:
        question, row_text = m.groups()
        for f in grids:
            if normalize_title(question) in _title_keys(f) or _pattern_hit(f, question):
                row = match_choice(row_text, f.rows)
                if row is None:
                    return _TitleMatch(
                        "conflict",
                        reason=(
                            f"Hàng '{clean_spaces(row_text)}' của câu hỏi dạng lưới không có "
                            "trong danh sách 'rows' của tệp ánh xạ; dữ liệu của cột này không "
                            "được dùng"
                        ),
                    )
                return _TitleMatch("field", f, row)
    hits = [f for f in plain if f.patterns and _pattern_hit(f, title)]
    if len(hits) == 1:
        return _TitleMatch("field", hits[0])
    if len(hits) > 1:
        return _TitleMatch(
            "conflict",
            reason=(
                "Tiêu đề cột khớp mẫu (patterns) của nhiều trường: "
                + ", ".join(f.field for f in hits)
                + "; sửa tệp ánh xạ. Dữ liệu của cột này không được dùng"
            ),
        )
    if key in EMAIL_TITLES:
        email = mapping.field_map("email")
        return _TitleMatch("field", email) if email else _TitleMatch("ignored")
    return _TitleMatch("unmapped")


def _binding(
    mapping: FormMapping, keyed: Sequence[tuple[str, str, _TitleMatch]], *, table: bool
) -> ColumnBinding:
    columns: list[BoundColumn] = []
    unmapped: list[str] = []
    ignored: list[str] = []
    conflicts: list[tuple[str, str]] = []
    timestamp: str | None = None
    for key, title, tm in keyed:
        if tm.kind == "field" and tm.field is not None:
            columns.append(BoundColumn(key, title, tm.field, tm.row))
        elif tm.kind == "timestamp" and table:
            if timestamp is None:
                timestamp = key
            else:
                ignored.append(title)
        elif tm.kind == "timestamp" or tm.kind == "ignored":
            ignored.append(title)
        elif tm.kind == "conflict":
            conflicts.append((title, tm.reason))
        else:
            unmapped.append(title)
    return ColumnBinding(
        tuple(columns), timestamp, tuple(unmapped), tuple(ignored), tuple(conflicts)
    )


def bind_columns(mapping: FormMapping, headers: Sequence[str]) -> ColumnBinding:
    """Bind a table's headers (CSV, XLSX, linked sheet) to the mapping's fields.

    Title or alias equality under normalize_title first, then ``Question [Row]`` for grid
    questions, then the fields' regex ``patterns``; e-mail columns are known.
    """
    keyed = [(h, h.replace("\ufeff", "").strip(), _match_title(mapping, h)) for h in headers]
    return _binding(mapping, keyed, table=True)


def bind_question_ids(
    mapping: FormMapping,
    question_ids: Sequence[str],
    question_titles: Mapping[str, str] | None = None,
) -> ColumnBinding:
    """Bind Forms API question ids: through ``question_id`` in the mapping, else through
    the question's title (``question_titles``: id -> title, grid rows as "Question [Row]")."""
    by_id: dict[str, tuple[FieldMapping, str | None]] = {}
    for f in mapping.fields:
        if not f.question_id:
            continue
        ids = [i for i in re.split(r"[\s,;]+", f.question_id) if i]
        if f.type == "grid":  # one id per row, in the order of ``rows``
            for qid, row in zip(ids, f.rows, strict=False):
                by_id[qid] = (f, row)
        elif ids:
            by_id[ids[0]] = (f, None)
    titles = question_titles or {}
    keyed = []
    for qid in question_ids:
        title = titles.get(qid, "")
        if qid in by_id:
            f, grid_row = by_id[qid]
            keyed.append((qid, title or f.titles[0], _TitleMatch("field", f, grid_row)))
        elif title:
            keyed.append((qid, title, _match_title(mapping, title)))
        else:
            keyed.append((qid, qid, _TitleMatch("unmapped")))
    return _binding(mapping, keyed, table=False)


# ---------------------------------------------------------------------------------------
# The normaliser
# ---------------------------------------------------------------------------------------


class _Rejected(Exception):
    """The whole response is not used (the DataProblem is already recorded)."""


@dataclass
class _Context:
    source: SourceConfig
    mapping: FormMapping
    rubric: Rubric
    roster: Roster
    index: RosterIndex
    year: int
    tz: ZoneInfo
    title: str
    problems: list[DataProblem] = field(default_factory=list)
    skipped_fields: set[str] = field(default_factory=set)  # mapping errors, reported once
    # Form E only (sync/support.py): the team roster's index and the HMAC key of people
    teams: Any = None
    secret: bytes = b""

    @property
    def locale(self) -> Locale:
        return self.source.locale

    def source_problem(self, column: str, reason: str, raw_value: str = "") -> None:
        self.problems.append(DataProblem(self.title, "", column, raw_value, reason))

    @cached_property
    def staff(self) -> StaffIndex:
        """The staff roster's index ("Bình dân học vụ số"), built when a learner needs it."""
        return StaffIndex(self.roster)

    @cached_property
    def criteria(self) -> tuple[tuple[str, int, float, tuple[str, ...]], ...]:
        """(field, criterion number, maximum, "not applicable" texts) of every criterion the
        mapping binds and the rubric knows: read once, used for every score sheet."""
        numbers = {c.number: c for c in self.rubric.criteria}
        out = []
        for fm in self.mapping.fields:
            n = fm.criterion_number
            if n is None or n not in numbers:
                continue
            out.append((fm.field, n, numbers[n].max, tuple(fm.not_applicable)))
        return tuple(out)


def _text_of(answer: Answer) -> str:
    if isinstance(answer, str):
        return answer
    return ", ".join(a for a in answer if not is_blank(a))


def _as_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    v = fold(str(value))
    if v in {"true", "yes", "co", "1", "dat", "da gui"}:
        return True
    if v in {"false", "no", "khong", "0", "chua dat", "chua gui"}:
        return False
    return None


def _resolve_choice(f: FieldMapping, text: str) -> tuple[str, object] | None:
    """(canonical choice, its value from ``values`` or the choice itself), else None."""
    choice = match_choice(text, [*f.choices, *f.values], f.choice_aliases)
    if choice is None:
        return None
    key = normalize_title(choice)
    for k, v in f.values.items():
        if normalize_title(k) == key:
            return choice, v
    return choice, choice


def _unknown_choice(f: FieldMapping, effect: str) -> str:
    known = " · ".join(dict.fromkeys([*f.choices, *f.values]))
    return f"Câu trả lời không khớp lựa chọn nào đã biết ({known}); {effect}"


class _Row:
    """One response being read: typed accessors that record problems as they go."""

    __slots__ = ("ctx", "raw", "binding", "branch_code", "_by_field", "_answers", "_skipped")

    def __init__(self, ctx: _Context, raw: RawResponse, binding: ColumnBinding) -> None:
        self.ctx = ctx
        self.raw = raw
        self.binding = binding
        self.branch_code = ""
        # read for every field of the row: looked up once
        self._by_field = binding._by_field
        self._answers = raw.answers
        self._skipped = ctx.skipped_fields

    # -- plumbing ---------------------------------------------------------------------

    def problem(self, column: str, raw_value: str, reason: str) -> None:
        self.ctx.problems.append(
            DataProblem(
                self.ctx.title, self.raw.row_label, column, raw_value, reason, self.branch_code
            )
        )

    def reject(self, column: str, raw_value: str, reason: str) -> _Rejected:
        self.problem(column, raw_value, reason)
        return _Rejected()

    def column_title(self, name: str) -> str:
        cols = self.binding.for_field(name)
        if cols:
            return cols[0].title
        f = self.ctx.mapping.field_map(name)
        return f.titles[0] if f else name

    def cell(self, name: str, row: str | None = None) -> tuple[BoundColumn, Answer] | None:
        """The first non-blank answer among the columns bound to the field: a question
        re-created in the form leaves older rows in one column, newer in the other."""
        if name in self._skipped:
            return None
        for col in self._by_field.get(name, ()):
            if row is not None and col.row != row:
                continue
            answer = self._answers.get(col.key)
            if answer is None:
                continue
            text = answer if isinstance(answer, str) else _text_of(answer)
            stripped = text.strip()
            # most answers start with a letter or digit: skip the full blank test (an
            # answer of only zero-width joiners, soft hyphens... is blank)
            if stripped and (stripped[0].isalnum() or not is_blank(stripped)):
                return col, answer
        return None

    # -- typed accessors --------------------------------------------------------------

    def raw_text(self, name: str) -> tuple[str, str] | None:
        hit = self.cell(name)
        return None if hit is None else (hit[0].title, _text_of(hit[1]))

    def text(self, name: str) -> str | None:
        hit = self.raw_text(name)
        return None if hit is None else clean_text(hit[1])

    def date(self, name: str, *, birth: bool = False) -> date | None:
        hit = self.raw_text(name)
        if hit is None:
            return None
        column, text = hit
        try:
            d = parse_date(text, self.ctx.locale)
            if birth:
                check_birth_date(d, self.ctx.year)
            elif name in CAMPAIGN_DATES:
                check_campaign_date(d, self.ctx.year)
        except BadValue as e:
            self.problem(column, text, f"{e.reason}; không được tính")
            return None
        return d

    def integer(self, name: str) -> int | None:
        hit = self.raw_text(name)
        if hit is None:
            return None
        column, text = hit
        try:
            return parse_int(text)
        except BadValue as e:
            self.problem(column, text, f"{e.reason}; không được tính")
            return None

    def choice(self, name: str) -> tuple[str, object] | None:
        """(canonical choice, its mapped value or the choice itself), None when blank or
        unknown (unknown is a problem)."""
        hit = self.raw_text(name)
        f = self.ctx.mapping.field_map(name)
        if hit is None or f is None:
            return None
        column, text = hit
        got = _resolve_choice(f, text)
        if got is None:
            self.problem(column, text, _unknown_choice(f, "không được tính"))
        return got

    def yes_no(self, name: str) -> bool | None:
        got = self.choice(name)
        if got is None:
            return None
        value = _as_bool(got[1])
        if value is None:
            column, text = self.raw_text(name) or ("", "")
            self.problem(
                column,
                text,
                f"Tệp ánh xạ không cho biết '{got[0]}' nghĩa là có hay không (values); "
                "không được tính",
            )
        return value

    def checkboxes(self, name: str, choices: Sequence[str]) -> tuple[str, ...]:
        hit = self.cell(name)
        if hit is None:
            return ()
        col, answer = hit
        f = col.field
        got = split_checkboxes(answer, choices, f.choice_aliases)
        for piece in got.unknown:
            self.problem(
                col.title,
                piece,
                f'Nội dung "{piece}" không khớp lựa chọn nào đã biết; không được tính '
                "(câu trả lời 'Khác', hoặc lựa chọn đã đổi tên: thêm vào choice_aliases)",
            )
        return got.chosen

    def grid(self, name: str) -> dict[str, bool]:
        f = self.ctx.mapping.field_map(name)
        if f is None:
            return {}
        out: dict[str, bool] = {}
        for row in f.rows:
            hit = self.cell(name, row)
            if hit is None:
                continue
            col, answer = hit
            text = _text_of(answer)
            got = _resolve_choice(f, text)
            value = None if got is None else _as_bool(got[1])
            if value is None:
                self.problem(col.title, text, _unknown_choice(f, "không được tính"))
                continue
            out[row] = value
        return out

    def score(
        self, name: str, maximum: float, not_applicable: Sequence[str], *, effect: str = ""
    ) -> CriterionValue | None | _RejectedScore:
        """The criterion's value, None when blank, ``_REJECTED`` when unreadable."""
        hit = self.raw_text(name)
        if hit is None:
            return None
        column, text = hit
        try:
            return parse_score(text, maximum, not_applicable)
        except BadValue as e:
            self.problem(column, text, f"{e.reason}{effect}")
            return _REJECTED


# ---------------------------------------------------------------------------------------
# Per kind
# ---------------------------------------------------------------------------------------


def _common(ctx: _Context, raw: RawResponse, at: datetime) -> dict[str, Any]:
    return {
        "source_id": ctx.source.id,
        "response_id": raw.response_id,
        "row_label": raw.row_label,
        "submitted_at": at,
    }


# A branch's reported total may exceed the roster (members admitted or moved in since it
# was loaded), but not beyond twice the roster, or the roster plus 20 for a small branch.
TOTAL_MARGIN = 2
TOTAL_SLACK = 20


def _total_bound(roster_total: int) -> int:
    """The largest plausible total for a branch with ``roster_total`` roster members."""
    return max(roster_total * TOTAL_MARGIN, roster_total + TOTAL_SLACK)


def _branch_report(row: _Row, at: datetime) -> BranchReport:
    ctx = row.ctx
    branch_text = row.raw_text("branch")
    match = ctx.index.match_branch(branch_text[1] if branch_text else None)
    if not match.ok:
        raise row.reject(
            row.column_title("branch"),
            branch_text[1] if branch_text else "",
            f"{match.reason}; {NOT_USED}",
        )
    code = match.code
    row.branch_code = code
    roster_total, roster_exempt = ctx.index.branch_size(code)

    total = row.integer("total_members")  # above 100.000 already a problem (parse_int)
    bound = _total_bound(roster_total)
    if total is not None and roster_total > 0 and total > bound:
        # an implausible total would pass every check below (all figures are compared to
        # it): drop it, so they are compared to the roster instead
        row.problem(
            row.column_title("total_members"),
            str(total),
            f"Tổng số đảng viên của chi bộ ({total}) không hợp lý: danh sách đảng viên có "
            f"{roster_total} đảng viên của chi bộ, chỉ chấp nhận tối đa {bound} (gấp "
            f"{TOTAL_MARGIN} lần, hoặc thêm {TOTAL_SLACK} người với chi bộ nhỏ); kiểm tra lại "
            "số đã nhập hoặc cập nhật danh sách đảng viên; không được tính, các số liệu khác "
            "của chi bộ được đối chiếu với danh sách đảng viên",
        )
        total = None
    exempt = row.integer("exempt_members")
    participants = row.integer("participants")
    exempt_limit = total if total is not None else (roster_total or None)
    if exempt is not None and exempt_limit is not None and exempt > exempt_limit:
        of_total = (
            "tổng số đảng viên của chi bộ"
            if total is not None
            else "số đảng viên của chi bộ theo danh sách"
        )
        row.problem(
            row.column_title("exempt_members"),
            str(exempt),
            f"Số đảng viên được miễn sinh hoạt ({exempt}) lớn hơn {of_total} ({exempt_limit}); "
            "không được tính",
        )
        exempt = None
    if participants is not None:
        base_total = total if total is not None else roster_total
        base_exempt = exempt if exempt is not None else roster_exempt
        eligible = base_total - base_exempt
        from_roster = total is None or exempt is None
        if (total is not None or roster_total > 0) and participants > eligible:
            note = ", theo danh sách đảng viên" if from_roster else ""
            row.problem(
                row.column_title("participants"),
                str(participants),
                f"Số đảng viên tham gia ({participants}) lớn hơn số đảng viên phải sinh hoạt "
                f"({eligible} = {base_total} − {base_exempt} miễn sinh hoạt{note}); "
                "không được tính",
            )
            participants = None

    limit = total if total is not None else (roster_total or None)
    counts: dict[str, int | None] = {}
    for key in BRANCH_COUNT_KEYS:
        name = f"count:{key}"
        value = row.integer(name)
        if value is not None and limit is not None and value > limit:
            where = (
                "tổng số đảng viên của chi bộ"
                if total is not None
                else ("số đảng viên của chi bộ theo danh sách")
            )
            row.problem(
                row.column_title(name),
                str(value),
                f"Số đảng viên ({value}) lớn hơn {where} ({limit}); không được tính",
            )
            value = None
        counts[key] = value

    six_clear: dict[str, str | None] = {}
    for key in SIX_CLEAR_KEYS:
        if key == "ro_thoi_gian":
            d = row.date(key)
            six_clear[key] = format_date(d) if d else None
        else:
            six_clear[key] = row.text(key)

    contents_f = ctx.mapping.field_map("contents")
    session_form = row.choice("session_form")
    progress = row.choice("task_progress")
    return BranchReport(
        **_common(ctx, row.raw, at),
        branch_code=code,
        reporter_name=row.text("reporter_name"),
        plan_date=row.date("plan_date"),
        session_date=row.date("session_date"),
        session_form=str(session_form[0]) if session_form else None,
        total_members=total,
        exempt_members=exempt,
        participants=participants,
        contents=row.checkboxes("contents", contents_f.choices) if contents_f else (),
        invited_expert=row.yes_no("invited_expert"),
        task_name=row.text("task_name"),
        six_clear=six_clear,
        task_progress=str(progress[0]) if progress else None,
        counts=counts,
        report_sent=row.yes_no("report_sent"),
        good_practices=row.text("good_practices"),
        difficulties=row.text("difficulties"),
    )


def _branch_hint(row: _Row, name: str) -> str | None:
    """The branch code the respondent gave, when it matches (used to narrow namesakes)."""
    hit = row.raw_text(name)
    if hit is None:
        return None
    m = row.ctx.index.match_branch(hit[1])
    return m.code if m.ok else None


def _birth_date(row: _Row, *, required: bool) -> date | None:
    """The respondent's birth date; without a readable one a member cannot be identified."""
    hit = row.raw_text("birth_date")
    column = row.column_title("birth_date")
    if hit is None:
        if required:
            raise row.reject(
                column, "", f"Chưa nhập ngày sinh: không xác định được đảng viên; {NOT_USED}"
            )
        return None
    try:
        d = parse_date(hit[1], row.ctx.locale)
        check_birth_date(d, row.ctx.year)
    except BadValue as e:
        if required:
            raise row.reject(
                column, hit[1], f"{e.reason}; không xác định được đảng viên; {NOT_USED}"
            ) from None
        row.problem(column, hit[1], f"{e.reason}; không đối chiếu được với danh sách đảng viên")
        return None
    return d


def _member(row: _Row) -> Member:
    """The roster member a form B/C response is about, or _Rejected."""
    name = row.raw_text("name")
    column = row.column_title("name")
    if name is None:
        raise row.reject(column, "", f"Chưa nhập họ và tên đảng viên; {NOT_USED}")
    birth = _birth_date(row, required=True)
    match = row.ctx.index.match_member(name[1], birth, _branch_hint(row, "branch"))
    if match.member is None:
        raise row.reject(column, name[1], f"{match.reason}; {NOT_USED}")
    row.branch_code = match.member.branch_code
    return match.member


def _registration(row: _Row, at: datetime) -> Registration:
    ctx = row.ctx
    member = _member(row)
    sections: dict[str, tuple[str, ...]] = {}
    for f in ctx.mapping.fields:
        sid = f.section_id
        if sid is None or f.field in ctx.skipped_fields or not row.binding.for_field(f.field):
            continue
        choices = f.choices or ctx.rubric.section(sid).items
        sections[sid] = row.checkboxes(f.field, choices)
    return Registration(
        **_common(ctx, row.raw, at),
        member_code=member.code,
        branch_code=member.branch_code,
        position=row.text("position"),
        sections=sections,
        self_assessment=row.grid("self_assessment"),
    )


def _score_sheet(row: _Row, at: datetime) -> ScoreSheet:
    ctx = row.ctx
    member = _member(row)
    column = row.column_title("scorer")
    hit = row.raw_text("scorer")
    if hit is None:
        raise row.reject(column, "", f"Chưa chọn người chấm; {NOT_USED}")
    f = ctx.mapping.field_map("scorer")
    assert f is not None
    got = _resolve_choice(f, hit[1])
    try:
        scorer = Scorer(str(got[1])) if got is not None else None
    except ValueError:  # a mapping whose values are not "self" / "committee"
        scorer = None
    if scorer is None:
        raise row.reject(column, hit[1], _unknown_choice(f, NOT_USED))
    criteria: dict[int, CriterionValue] = {}
    rejected: list[int] = []
    skipped = ctx.skipped_fields
    # a committee sheet with a wrong cell is not used at all: one typo must not drop a
    # member's official score silently
    effect = COMMITTEE_SHEET_HELD if scorer is Scorer.COMMITTEE else ""
    for name, n, maximum, not_applicable in ctx.criteria:
        if name in skipped:
            continue
        value_n = row.score(name, maximum, not_applicable, effect=effect)
        if isinstance(value_n, _RejectedScore):
            rejected.append(n)
        elif value_n is not None:
            criteria[n] = value_n
    return ScoreSheet(
        **_common(ctx, row.raw, at),
        member_code=member.code,
        branch_code=member.branch_code,
        scorer=scorer,
        criteria=criteria,
        rejected=tuple(rejected),
    )


def _learning(row: _Row, at: datetime) -> LearningRecord:
    ctx = row.ctx
    name = row.raw_text("name")
    if name is None:
        raise row.reject(row.column_title("name"), "", f"Chưa nhập họ và tên người học; {NOT_USED}")
    if ctx.roster.staff:
        return _staff_learning(row, at, name[1])
    unit = row.raw_text("unit")
    unit_match = ctx.index.match_branch(unit[1] if unit else None)
    birth = _birth_date(row, required=False)
    member_code, branch_code = "", ""
    if birth is not None:
        match = ctx.index.match_member(name[1], birth, unit_match.code or None)
        if match.status == "ambiguous":
            raise row.reject(row.column_title("name"), name[1], f"{match.reason}; {NOT_USED}")
        if match.member is not None:
            member_code, branch_code = match.member.code, match.member.branch_code
    if not member_code:
        if not unit_match.ok:
            raise row.reject(
                row.column_title("unit"),
                unit[1] if unit else "",
                _unit_reason(unit_match.status),
            )
        branch_code = unit_match.code
        row.branch_code = branch_code
        namesakes = [m for m in ctx.index.namesakes(name[1]) if m.branch_code == branch_code]
        if namesakes and birth is not None:
            row.problem(
                row.column_title("birth_date"),
                format_date(birth) if birth else "",
                "Trùng họ tên với đảng viên của chi bộ nhưng khác ngày sinh: được tính là người "
                "học ngoài Đảng; nếu là đảng viên, kiểm tra lại ngày sinh",
            )
    row.branch_code = branch_code
    passed = row.yes_no("result")
    return LearningRecord(
        **_common(ctx, row.raw, at),
        branch_code=branch_code,
        member_code=member_code,
        lessons_completed=row.integer("lessons_completed"),
        passed=passed,
        completed_on=row.date("completed_on"),
        staff_code=member_code,  # without a staff roster the members are the staff
    )


def _staff_learning(row: _Row, at: datetime, name: str) -> LearningRecord:
    """A learner found in the staff roster like form B (name + birth date, the unit telling
    namesakes apart); one not found is a problem, never silently dropped."""
    ctx = row.ctx
    unit = row.raw_text("unit")
    unit_text = unit[1] if unit else None
    unit_match = ctx.index.match_branch(unit_text)
    hit = row.raw_text("birth_date")
    column = row.column_title("birth_date")
    if hit is None:
        raise row.reject(
            column, "", f"Chưa có ngày sinh: không xác định được người học; {NOT_USED}"
        )
    try:
        birth = parse_date(hit[1], ctx.locale)
        check_birth_date(birth, ctx.year)
    except BadValue as e:
        raise row.reject(
            column, hit[1], f"{e.reason}; không xác định được người học; {NOT_USED}"
        ) from None
    match = ctx.staff.match(name, birth, unit_text, unit_match.code or None)
    # the problem carries the branch the unit names, so each branch finds its own rows
    row.branch_code = unit_match.code or ctx.staff.unit_branch(unit_text)
    if match.staff is None:
        if match.status == "unknown" and not unit_match.ok and not ctx.staff.knows_unit(unit_text):
            # the unit is unknown too: say it on the unit, where the fix usually is
            raise row.reject(
                row.column_title("unit"),
                unit_text or "",
                "Người học không có trong danh sách cán bộ và đơn vị không khớp đơn vị, chi bộ "
                f"nào; {NOT_USED}",
            )
        raise row.reject(row.column_title("name"), name, f"{match.reason}; {NOT_USED}")
    staff = match.staff
    row.branch_code = staff.branch_code
    return LearningRecord(
        **_common(ctx, row.raw, at),
        branch_code=staff.branch_code,
        member_code=staff.member_code,
        lessons_completed=row.integer("lessons_completed"),
        passed=row.yes_no("result"),
        completed_on=row.date("completed_on"),
        staff_code=staff.code,
    )


def _unit_reason(status: str) -> str:
    if status == "ambiguous":
        what = "khớp nhiều chi bộ trong danh sách"
    elif status == "unknown":
        what = "không khớp chi bộ nào trong danh sách chi bộ"
    else:
        what = "để trống"
    return (
        f"Người học không có trong danh sách đảng viên và đơn vị {what}, nên không biết tính "
        "vào chi bộ nào; nếu đây là tên gọi khác của một chi bộ, thêm vào cột 'Tên gọi khác' "
        f"của danh sách chi bộ; {NOT_USED}"
    )


def _support_log(row: _Row, at: datetime) -> Record:
    """Form E: one person supported. The person becomes a keyed hash at once; their name
    and phone never reach a record or a data problem (shown as "(đã ẩn)")."""
    from sync.model import SupportLog
    from sync.support_core import (
        HIDDEN,
        INVALID_PHONE,
        TeamIndex,
        person_key,
        phone_token,
        redact_phones,
    )

    ctx = row.ctx
    teams: TeamIndex = ctx.teams if ctx.teams is not None else TeamIndex(())
    team = row.raw_text("team")
    match = teams.match(team[1] if team else None)
    if match.status != "ok":
        what = {
            "blank": "Chưa nhập tên tổ công nghệ số cộng đồng",
            "ambiguous": "Tên tổ khớp nhiều tổ trong danh sách tổ",
        }.get(match.status, "Tên tổ không khớp tổ nào trong danh sách tổ công nghệ số cộng đồng")
        raise row.reject(
            row.column_title("team"),
            team[1] if team else "",
            f"{what} (nếu là tên gọi khác của một tổ, thêm vào cột 'Tên gọi khác' của danh "
            f"sách tổ); {NOT_USED}",
        )
    name = row.raw_text("person_name")
    if name is None:
        raise row.reject(
            row.column_title("person_name"),
            "",
            f"Chưa nhập họ và tên người được hỗ trợ: không đếm được người này; {NOT_USED}",
        )
    year = row.integer("person_birth_year")
    if year is not None and not 1900 <= year <= ctx.year:
        row.problem(
            row.column_title("person_birth_year"),
            str(year),
            f"Năm sinh phải từ 1900 đến {ctx.year}; người này được nhận diện không có năm sinh",
        )
        year = None
    phone = row.raw_text("person_phone")
    if phone is not None and phone_token(phone[1], ctx.secret) == INVALID_PHONE:
        row.problem(
            phone[0],
            HIDDEN,
            "Số điện thoại không đúng dạng số Việt Nam (10 chữ số, có thể ghi +84); người này "
            "được nhận diện theo họ tên và năm sinh",
        )
    f = ctx.mapping.field_map("support_kinds")
    role = row.choice("helper_role")
    kinds = row.checkboxes("support_kinds", f.choices if f else ())
    # an "Other" answer may hold a phone: never shown in "Lỗi dữ liệu"
    ctx.problems[:] = [replace(p, raw_value=redact_phones(p.raw_value)) for p in ctx.problems]
    return SupportLog(
        **_common(ctx, row.raw, at),
        team_code=match.code,
        person_key=person_key(ctx.secret, name[1], year, phone[1] if phone else ""),
        support_on=row.date("support_date") or at.date(),
        helper_name=row.text("helper_name") or "",
        helper_role=role[0] if role else "",
        kinds=kinds,
        completed=row.yes_no("result"),
    )


_BUILDERS: dict[SourceKind, Callable[[_Row, datetime], Record]] = {
    SourceKind.BRANCH_STATS: _branch_report,
    SourceKind.REGISTRATION: _registration,
    SourceKind.SCORING: _score_sheet,
    SourceKind.LEARNING: _learning,
    SourceKind.SUPPORT_LOG: _support_log,
}


# ---------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------


# How a rubric gap's "Lỗi dữ liệu" row begins (``kns check`` names the mapping file instead)
RUBRIC_GAP = "Tệp ánh xạ: "


def _check_mapping_against_rubric(ctx: _Context) -> None:
    """Fields the rubric cannot back are skipped (once, with a source problem)."""
    for gap in rubric_gaps(ctx.mapping, ctx.rubric):
        if gap.field is not None:
            ctx.skipped_fields.add(gap.field.field)
            ctx.source_problem(
                gap.field.titles[0],
                f"{RUBRIC_GAP}{gap.reason}; dữ liệu của cột này không được dùng",
            )


def _usable(ctx: _Context, binding: ColumnBinding, *, table: bool) -> bool:
    """Report the binding's problems; False when the source cannot be used at all."""
    for title, reason in binding.conflicts:
        ctx.source_problem(title, reason)
    for title in binding.unmapped:
        ctx.source_problem(title, UNMAPPED_REASON)
    usable = True
    # the learning platform's export has no submission time (see _timestamp)
    if table and binding.timestamp_key is None and ctx.mapping.kind != SourceKind.LEARNING:
        ctx.source_problem(
            ctx.mapping.timestamp.titles[0],
            "Không tìm thấy cột dấu thời gian ("
            + " / ".join(ctx.mapping.timestamp.titles)
            + "); nguồn này không được dùng trong lần tổng hợp này",
        )
        usable = False
    required = REQUIRED_FIELDS[ctx.mapping.kind] | {
        f.field for f in ctx.mapping.fields if f.required
    }
    bound = binding.bound_fields()
    for name in sorted(required - bound):
        f = ctx.mapping.field_map(name)
        ctx.source_problem(
            f.titles[0] if f else name,
            "Không tìm thấy cột của câu hỏi bắt buộc này (kiểm tra tiêu đề câu hỏi hoặc thêm "
            "vào 'aliases' trong tệp ánh xạ); nguồn này không được dùng trong lần tổng hợp này",
        )
        usable = False
    return usable


def _timestamp(row: _Row, ctx: _Context) -> datetime:
    raw = row.raw
    if raw.keyed_by == "title" and row.binding.timestamp_key is None and raw.submitted_at is None:
        # Only the learning export gets here (_usable): its rows carry no submission time.
        # The completion date stands in (a row with a result wins over one without), else
        # the start of the ward's year: deterministic, no clock.
        done = _quiet_date(row, "completed_on")
        start = done or date(ctx.year, 1, 1)
        return datetime(start.year, start.month, start.day, tzinfo=ctx.tz)
    if raw.keyed_by == "question_id" or row.binding.timestamp_key is None:
        if raw.submitted_at is None:
            raise row.reject("Dấu thời gian", "", f"Phản hồi không có thời điểm gửi; {NOT_USED}")
        at = raw.submitted_at
        if at.tzinfo is None:  # the Forms API gives UTC
            at = at.replace(tzinfo=UTC)
        return at.astimezone(ctx.tz)
    key = row.binding.timestamp_key
    title = key.replace("\ufeff", "").strip()
    text = _text_of(raw.answers.get(key, ""))
    if is_blank(text):
        if raw.submitted_at is not None:
            return raw.submitted_at.astimezone(ctx.tz)
        raise row.reject(title, "", f"Thiếu dấu thời gian; {NOT_USED}")
    try:
        return parse_timestamp(text, ctx.locale, ctx.tz)
    except BadValue as e:
        raise row.reject(title, text, f"{e.reason}; {NOT_USED}") from None


def _quiet_date(row: _Row, name: str) -> date | None:
    """A date read without reporting (the normal read reports it once, later)."""
    hit = row.raw_text(name)
    if hit is None:
        return None
    try:
        return parse_date(hit[1], row.ctx.locale)
    except BadValue:
        return None


def branch_reader(
    mapping: FormMapping, keys: Sequence[str], roster: Roster
) -> Callable[[RawResponse], str]:
    """The roster branch a form A table row names ("" when none matches): what the shrink
    guard needs to see a branch losing its only report, without normalising the row."""
    binding = bind_columns(mapping, keys)
    columns = binding.for_field("branch")
    index = RosterIndex(roster)

    def branch_of(raw: RawResponse) -> str:
        for col in columns:
            answer = raw.answers.get(col.key)
            if answer is not None and not is_blank(_text_of(answer)):
                return index.match_branch(_text_of(answer)).code
        return ""

    return branch_of


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the installed code (the ``sync`` and ``scoring`` packages): a new version
    never trusts what an older one cached (normalised responses, the last evaluation)."""
    import hashlib
    from pathlib import Path

    import scoring

    h = hashlib.sha256()
    for root in (Path(__file__).parent, Path(scoring.__file__).parent):
        for path in sorted(root.rglob("*.py")):
            h.update(path.relative_to(root.parent).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


class SourceNormalizer:
    """Normalises the responses of one source one at a time, so a cycle can normalise only
    what changed (the rest comes from the state's cache) and never hold every response.

    ``bind`` the column titles (tables) and the question ids (Forms API) first; the
    source-level problems (unmapped or missing columns, mapping vs rubric) are in
    ``source_problems``; ``row`` gives one response's record (or None) and its problems.
    Pure: no I/O, no clock.
    """

    def __init__(
        self,
        source: SourceConfig,
        mapping: FormMapping,
        rubric: Rubric,
        roster: Roster,
        *,
        year: int,
        tz: ZoneInfo,
        index: RosterIndex | None = None,
        teams: Any = None,
        secret: bytes = b"",
    ) -> None:
        self.ctx = _Context(
            source=source,
            mapping=mapping,
            rubric=rubric,
            roster=roster,
            index=index or RosterIndex(roster),
            year=year,
            tz=tz,
            title=source.title or mapping.title,
            teams=teams,
            secret=secret,
        )
        _check_mapping_against_rubric(self.ctx)
        self._build = _BUILDERS[mapping.kind]
        self._bindings: dict[str, ColumnBinding | None] = {}  # None: not usable
        self._source_problems: list[DataProblem] = list(self.ctx.problems)
        self.ctx.problems = []
        self.unmapped_columns: list[str] = []

    @property
    def source_problems(self) -> tuple[DataProblem, ...]:
        return tuple(self._source_problems)

    def bind(
        self,
        keyed_by: str,
        keys: Sequence[str],
        question_titles: Mapping[str, str] | None = None,
    ) -> bool:
        """Bind the answers' keys of one kind; False when the source cannot be used."""
        if keyed_by == "title":
            binding = bind_columns(self.ctx.mapping, keys)
        else:
            ids = list(dict.fromkeys([*(question_titles or {}), *keys]))
            binding = bind_question_ids(self.ctx.mapping, ids, question_titles)
        self.unmapped_columns += [t for t in binding.unmapped if t not in self.unmapped_columns]
        usable = _usable(self.ctx, binding, table=keyed_by == "title")
        self._source_problems += self.ctx.problems
        self.ctx.problems = []
        self._bindings[keyed_by] = binding if usable else None
        return usable

    def usable(self, keyed_by: str) -> bool:
        return self._bindings.get(keyed_by) is not None

    def row(self, raw: RawResponse) -> tuple[Record | None, tuple[DataProblem, ...]]:
        """One response: its record (None when not used) and every problem in it."""
        binding = self._bindings.get(raw.keyed_by)
        if binding is None:
            return None, ()
        ctx = self.ctx
        ctx.problems = []
        row = _Row(ctx, raw, binding)
        try:
            record: Record | None = self._build(row, _timestamp(row, ctx))
        except _Rejected:
            record = None
        problems = tuple(ctx.problems)
        ctx.problems = []
        return record, problems


def normalize_source(
    source: SourceConfig,
    mapping: FormMapping,
    rubric: Rubric,
    roster: Roster,
    raws: Sequence[RawResponse],
    *,
    year: int,
    tz: ZoneInfo,
    question_titles: Mapping[str, str] | None = None,
    index: RosterIndex | None = None,
    teams: Any = None,
    secret: bytes = b"",
) -> NormalizedSource:
    """Every acceptable submission of one source as a record (history included), and a
    DataProblem for every answer not used. Pure: no I/O, no clock."""
    n = SourceNormalizer(
        source, mapping, rubric, roster, year=year, tz=tz, index=index, teams=teams, secret=secret
    )
    by_title = [r for r in raws if r.keyed_by == "title"]
    by_id = [r for r in raws if r.keyed_by == "question_id"]
    if by_title:
        n.bind("title", list(dict.fromkeys(k for r in by_title for k in r.answers)))
    if by_id:
        n.bind("question_id", [k for r in by_id for k in r.answers], question_titles)
    records: list[Record] = []
    problems: list[DataProblem] = []
    for group in (by_title, by_id):
        for raw in group:
            record, found = n.row(raw)
            problems += found
            if record is not None:
                records.append(record)
    return NormalizedSource(
        source_id=source.id,
        kind=mapping.kind,
        records=tuple(records),
        problems=(*n.source_problems, *problems),
        unmapped_columns=tuple(n.unmapped_columns),
    )
