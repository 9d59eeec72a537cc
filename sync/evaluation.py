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
from dataclasses import astuple, dataclass, field
from datetime import date, datetime

from scoring.branches import branch_statuses_from
from scoring.kpis import ward_kpis
from scoring.members import member_results
from scoring.rubric import Rubric
from sync.config import WardConfig
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
    Roster,
    Scorer,
    ScoreSheet,
)
from sync.normalize import normalize_source
from sync.ports import RosterSource
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
    return h.hexdigest()


def _order(r: RecordBase) -> tuple[datetime, str]:
    # response_id breaks ties between submissions with the same timestamp deterministically
    return (r.submitted_at, r.response_id)


@dataclass
class Tally:
    """The fold of every normalised record of every source."""

    reports: list[BranchReport] = field(default_factory=list)
    registrations: dict[str, Registration] = field(default_factory=dict)  # latest per member
    first_registered: dict[str, tuple[datetime, str]] = field(default_factory=dict)
    sheets: dict[tuple[str, Scorer], ScoreSheet] = field(default_factory=dict)
    first_scored: dict[str, tuple[datetime, str]] = field(default_factory=dict)  # committee
    learning: dict[str, LearningRecord] = field(default_factory=dict)  # members only

    def add(self, r: Record) -> None:
        if isinstance(r, BranchReport):
            self.reports.append(r)
        elif isinstance(r, Registration):
            _keep_latest(self.registrations, r.member_code, r)
            _keep_first(self.first_registered, r.member_code, _order(r))
        elif isinstance(r, ScoreSheet):
            _keep_latest(self.sheets, (r.member_code, r.scorer), r)
            if r.scorer is Scorer.COMMITTEE:
                _keep_first(self.first_scored, r.member_code, _order(r))
        elif isinstance(r, LearningRecord) and r.member_code:
            _keep_latest(self.learning, r.member_code, r)

    def add_all(self, records: Iterable[Record]) -> Tally:
        for r in records:
            self.add(r)
        return self


def _keep_latest(out: dict, key: object, r: RecordBase) -> None:  # type: ignore[type-arg]
    old = out.get(key)
    if old is None or _order(r) > _order(old):
        out[key] = r


def _keep_first(out: dict, key: str, order: tuple[datetime, str]) -> None:  # type: ignore[type-arg]
    old = out.get(key)
    if old is None or order < old:
        out[key] = order


def _dates(firsts: Mapping[str, tuple[datetime, str]]) -> dict[str, date]:
    return {k: at.date() for k, (at, _) in firsts.items()}


@dataclass(frozen=True)
class Evaluation:
    problems: tuple[DataProblem, ...]
    members: tuple[MemberResult, ...]
    statuses: tuple[BranchStatus, ...]
    kpis: tuple[KpiResult, ...]


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
    members = member_results(rubric, roster, tally.registrations, tally.sheets, tally.learning)
    statuses = branch_statuses_from(
        roster,
        cfg.milestones,
        tally.reports,
        _dates(tally.first_registered),
        _dates(tally.first_scored),
        today=now.date(),
        due_soon_days=cfg.alerts.due_soon_days,
    )
    kpis = ward_kpis(rubric, roster, statuses, members)
    return Evaluation(tuple(without_repeats(problems)), members, statuses, kpis)


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
    tally = Tally()
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
