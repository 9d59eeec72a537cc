"""The pure core of a cycle: records in, members' results, branches' statuses and the
ward's KPIs out. No I/O, no clock (``now`` is passed in).

Records arrive one at a time (``Tally.add``) and are folded into what scoring needs: the
latest registration and score sheets per member, the date each member first registered
or was first scored, the branches' form A history (small: a few reports per branch). So a
province's whole history never has to be in memory at once, and the cycle can feed the
fold from its cache of normalised responses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from scoring.branches import branch_statuses_from
from scoring.kpis import ward_kpis
from scoring.learning import LearningProgress, learning_progress
from scoring.members import Points, SheetScore, results_of, sheet_total
from scoring.registration import evaluate_registration
from scoring.rubric import Rubric
from sync.config import WardConfig, concrete_milestones
from sync.mapping import FormMapping
from sync.model import (
    Alert,
    BranchReport,
    BranchStatus,
    DataProblem,
    KpiResult,
    LearningRecord,
    MemberResult,
    RawResponse,
    Record,
    RecordBase,
    Registration,
    RegistrationResult,
    Roster,
    Scorer,
    ScoreSheet,
    SourceKind,
    SupportLog,
)
from sync.normalize import normalize_source
from sync.ports import RosterSource
from sync.staff import effective_staff, staff_problems
from sync.text import normalize_title

MAIL_SOURCE = "Gửi thư"


class Inputs:
    """Everything the core reads from configuration, loaded and validated once.

    The roster is given, or loaded from ``roster_source`` the first time it is asked for:
    an idle cycle of a province never parses its 100,000 members."""

    def __init__(
        self,
        cfg: WardConfig,
        rubric: Rubric,
        mappings: Mapping[str, FormMapping],
        roster: Roster | None = None,
        *,
        roster_source: RosterSource | None = None,
    ) -> None:
        if roster is None and roster_source is None:
            raise ValueError("Inputs: a roster or a roster source is needed")
        self.cfg = cfg
        self.rubric = rubric
        self.mappings = mappings  # by source id
        self.roster_source = roster_source
        self._roster = roster

    @property
    def roster(self) -> Roster:
        """The roster (ConfigError, with every problem, when it cannot be used)."""
        if self._roster is None:
            assert self.roster_source is not None
            self._roster = self.roster_source.load()
        return self._roster

    @property
    def roster_loaded(self) -> bool:
        return self._roster is not None


def roster_digest(roster: Roster) -> str:
    """A hash of the roster's content (what the normalised cache depends on)."""
    h = hashlib.sha256()
    for b in roster.branches:
        h.update(repr(astuple(b)).encode("utf-8"))
    h.update(b"\x00")
    for m in roster.members:
        h.update(repr(astuple(m)).encode("utf-8"))
    for s in roster.staff:  # learners are matched against it
        h.update(repr(astuple(s)).encode("utf-8"))
    return h.hexdigest()


# What the fold keeps of a record: a plain tuple (marshal-able, so the state's cache stores
# it as is, and folding a cached response builds no object). ``order`` is (submitted at, in
# microseconds since the epoch; response id): later submissions replace earlier ones, the
# id breaks ties deterministically. ``day`` is the local date's ordinal.
#   registration: ("reg", member, order, day, complete, failed rules, rows done, row answers)
#   score sheet:  ("sheet", member, scorer, order, day, total, numbers, points, missing,
#                  rejected criteria)
#   learning:     ("learn", member, order, lessons, passed, staff code, day passed or None);
#                 member "" for staff who are not party members
#   form A:       the BranchReport itself (a few per branch; statuses read it whole)
Summary = tuple[Any, ...] | BranchReport

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def _order(r: RecordBase) -> tuple[int, str]:
    return ((r.submitted_at - _EPOCH) // _MICRO, r.response_id)


def summarize(r: Record, rubric: Rubric) -> Summary | None:
    """What folding ``r`` needs, computed once (the rubric is part of the cache's key)."""
    if isinstance(r, BranchReport):
        return r
    if isinstance(r, Registration):
        result = evaluate_registration(rubric, r)
        return (
            "reg",
            r.member_code,
            _order(r),
            r.submitted_at.date().toordinal(),
            result.complete,
            result.failed_rules,
            result.self_assessment_done,
            result.self_assessment,
        )
    if isinstance(r, ScoreSheet):
        total, points, missing = sheet_total(rubric, r)
        return (
            "sheet",
            r.member_code,
            r.scorer.value,
            _order(r),
            r.submitted_at.date().toordinal(),
            total,
            tuple(points),
            tuple(points.values()),
            missing,
            r.rejected,
        )
    if isinstance(r, LearningRecord) and r.member_code:
        return ("learn", r.member_code, _order(r), r.lessons_completed, r.passed, *_staff_learn(r))
    if isinstance(r, LearningRecord) and r.staff_code:  # staff who are not members
        return ("learn", "", _order(r), r.lessons_completed, r.passed, *_staff_learn(r))
    if isinstance(r, SupportLog):
        # every Form E row is one session: kept whole (a tuple, no name, no phone)
        return (
            "support",
            r.team_code,
            _order(r),
            r.support_on.toordinal(),
            r.person_key,
            r.helper_name,
            r.helper_role,
            r.kinds,
            r.completed,
        )
    return None  # a learner who is not a member counts in no member's results


def _staff_learn(r: LearningRecord) -> tuple[str, int | None]:
    return (r.staff_code, r.completed_on.toordinal() if r.completed_on else None)


class Tally:
    """The fold of every normalised record of every source, keeping per member only what
    results need of the latest record (a registration's verdict, a sheet's points): a
    province's 300,000 records are never all in memory, and a cached response folds in
    without being rebuilt."""

    def __init__(self, rubric: Rubric) -> None:
        self.rubric = rubric
        self.reports: list[BranchReport] = []
        self.registrations: dict[str, tuple[Any, ...]] = {}
        self.first_registered: dict[str, tuple[tuple[int, str], int]] = {}
        self.self_sheets: dict[str, tuple[Any, ...]] = {}
        self.committee: dict[str, tuple[Any, ...]] = {}
        self.first_scored: dict[str, tuple[tuple[int, str], int]] = {}  # committee
        self.learning: dict[str, tuple[Any, ...]] = {}
        self.staff_learning: dict[str, tuple[Any, ...]] = {}  # by staff code (seed 003)
        self.support: list[tuple[Any, ...]] = []  # Form E sessions (scoring/support.py)

    def add(self, r: Record) -> None:
        s = summarize(r, self.rubric)
        if s is not None:
            self.add_summary(s)

    def add_summary(self, s: Summary) -> None:
        if isinstance(s, BranchReport):
            self.reports.append(s)
            return
        kind, member = s[0], s[1]
        if kind == "reg":
            _keep_first(self.first_registered, member, s[2], s[3])
            _keep_latest(self.registrations, member, s, 2)
        elif kind == "sheet":
            if s[2] == Scorer.COMMITTEE.value:
                if not s[9]:  # a sheet with a wrong cell does not score the member
                    _keep_first(self.first_scored, member, s[3], s[4])
                _keep_latest(self.committee, member, s, 3)
            else:
                _keep_latest(self.self_sheets, member, s, 3)
        elif kind == "learn":
            if member:
                _keep_latest(self.learning, member, s, 2)
            if len(s) > 5 and s[5]:
                _keep_latest(self.staff_learning, s[5], s, 2)
        elif kind == "support":
            self.support.append(s)

    def add_all(self, records: Iterable[Record]) -> Tally:
        for r in records:
            self.add(r)
        return self

    def results(self, roster: Roster) -> tuple[MemberResult, ...]:
        texts: dict[str, str] = {}  # one object per distinct failed-rule text
        floats: dict[float, float] = {}
        numbers: dict[tuple[int, ...], tuple[int, ...]] = {}
        return results_of(
            self.rubric,
            roster,
            {
                k: RegistrationResult(
                    complete=s[4],
                    failed_rules=tuple(texts.setdefault(t, t) for t in s[5]),
                    self_assessment_done=s[6],
                    self_assessment=s[7],
                )
                for k, s in self.registrations.items()
            },
            {k: s[5] for k, s in self.self_sheets.items()},
            {
                k: SheetScore(
                    s[5],
                    Points(
                        numbers.setdefault(s[6], s[6]),
                        tuple(floats.setdefault(v, v) for v in s[7]),
                    ),
                    s[8],
                    s[9],
                )
                for k, s in self.committee.items()
            },
            {k: (s[3], s[4]) for k, s in self.learning.items()},
        )


def _keep_latest(kept: dict[str, tuple[Any, ...]], key: str, s: tuple[Any, ...], at: int) -> None:
    old = kept.get(key)
    if old is None or s[at] > old[at]:
        kept[key] = s


def _keep_first(
    out: dict[str, tuple[tuple[int, str], int]], key: str, order: tuple[int, str], day: int
) -> None:
    old = out.get(key)
    if old is None or order < old[0]:
        out[key] = (order, day)


def _dates(firsts: Mapping[str, tuple[tuple[int, str], int]]) -> dict[str, date]:
    return {k: date.fromordinal(day) for k, (_, day) in firsts.items()}


@dataclass(frozen=True)
class Evaluation:
    problems: tuple[DataProblem, ...]
    members: tuple[MemberResult, ...]
    statuses: tuple[BranchStatus, ...]
    kpis: tuple[KpiResult, ...]
    history: tuple[BranchReport, ...] = ()  # every form A report (the year-end report's)
    support: tuple[tuple[Any, ...], ...] = ()  # Form E sessions, as summarised
    learning: LearningProgress | None = None  # "Bình dân học vụ số"; None: no export D source


def evaluate_tally(
    cfg: WardConfig,
    rubric: Rubric,
    roster: Roster,
    tally: Tally,
    problems: Sequence[DataProblem],
    now: datetime,
) -> Evaluation:
    """Score members, branches and the ward's KPIs from the folded records."""
    now = now.astimezone(cfg.tz)
    members = tally.results(roster)
    statuses = branch_statuses_from(
        roster,
        concrete_milestones(cfg),
        tally.reports,
        _dates(tally.first_registered),
        _dates(tally.first_scored),
        today=now.date(),
        due_soon_days=cfg.alerts.due_soon_days,
    )
    kpis = ward_kpis(
        rubric, roster, statuses, members, available={s.kind for s in cfg.sources}
    )
    return Evaluation(
        tuple(without_repeats([*problems, *staff_problems(roster)])),
        members,
        statuses,
        kpis,
        tuple(tally.reports),
        support=tuple(sorted(tally.support, key=lambda s: s[2])),
        learning=learning_of(cfg, roster, tally, now.date()),
    )


def learning_of(
    cfg: WardConfig, roster: Roster, tally: Tally, today: date
) -> LearningProgress | None:
    """Every staff member's progress, when the ward reads a platform export."""
    if not any(s.kind == SourceKind.LEARNING for s in cfg.sources):
        return None
    learned = {
        code: (s[3], s[4], date.fromordinal(s[6]) if s[6] is not None else None)
        for code, s in tally.staff_learning.items()
    }
    return learning_progress(effective_staff(roster), learned, cfg.learning.targets, today)


def evaluate(
    inputs: Inputs,
    responses: Mapping[str, Sequence[RawResponse]],
    now: datetime,
    *,
    question_titles: Mapping[str, Mapping[str, str]] | None = None,
    source_problems: Sequence[DataProblem] = (),
) -> Evaluation:
    """Normalise every response of every source, then score (the whole pipeline in memory:
    for tests and small checks; the cycle feeds ``evaluate_tally`` from its cache)."""
    cfg = inputs.cfg
    tally = Tally(inputs.rubric)
    problems = list(source_problems)
    for s in cfg.sources:
        ns = normalize_source(
            s,
            inputs.mappings[s.id],
            inputs.rubric,
            inputs.roster,
            responses.get(s.id, ()),
            year=cfg.ward.year,
            tz=cfg.tz,
            question_titles=(question_titles or {}).get(s.id),
        )
        tally.add_all(ns.records)
        problems += ns.problems
    return evaluate_tally(cfg, inputs.rubric, inputs.roster, tally, problems, now)


def without_repeats(problems: Sequence[DataProblem]) -> list[DataProblem]:
    """A question missing from a form is seen by the source (mapping drift) and by the
    normaliser (missing column): one row in "Lỗi dữ liệu" is enough, the first (the source's,
    which says more)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for p in problems:
        if not p.record:
            key = (p.source, normalize_title(p.field))
            if key in seen:
                continue
            seen.add(key)
        out.append(p)
    return out


def unaddressable_problems(alerts: Sequence[Alert], roster: Roster) -> list[DataProblem]:
    """An alert nobody can receive is a data problem in the roster, not a silent skip."""
    out = []
    for a in alerts:
        if a.branch_code:
            b = roster.branch(a.branch_code)
            out.append(
                DataProblem(
                    source=MAIL_SOURCE,
                    record=f"{b.code} - {b.name}",
                    field="Email bí thư",
                    raw_value="",
                    reason=(
                        "Chi bộ chưa có địa chỉ email của bí thư trong danh sách chi bộ: "
                        f"không gửi được thông báo {a.alert_id}"
                    ),
                    branch_code=b.code,
                )
            )
        else:
            out.append(
                DataProblem(
                    source=MAIL_SOURCE,
                    record="",
                    field="mail.ward_staff",
                    raw_value="",
                    reason=f"Chưa khai báo email cán bộ Đảng ủy: không gửi được {a.alert_id}",
                )
            )
    return out
