"""Progress of "Bình dân học vụ số" (seed 003): per learner, per unit, per branch, per group
of staff and ward-wide, and each group's target against its deadline. Pure: the day is
passed in, nothing is read."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Protocol

from sync.model import STAFF_GROUPS, StaffMember
from sync.text import natural_key


class LearningTarget(Protocol):
    """What scoring reads of a group's target (``learning.targets`` in the ward's config)."""

    @property
    def group(self) -> str | None: ...  # None: every staff member

    @property
    def share(self) -> float: ...

    @property
    def due(self) -> date: ...


STATUS_NOT_STARTED = "Chưa học"
STATUS_LEARNING = "Đang học"
STATUS_PASSED = "Đã đạt"
ALL_STAFF = "Toàn bộ cán bộ, công chức, viên chức, người lao động"
UNKNOWN_GROUP = "Đảng viên (chưa rõ nhóm)"  # a member the staff roster does not list
UNKNOWN_UNIT = "(chưa rõ đơn vị)"

# (lessons completed, passed, date passed) of a learner's latest row in the export
Learned = tuple[int | None, bool | None, date | None]


@dataclass(frozen=True)
class LearnerProgress:
    staff: StaffMember
    lessons: int | None  # None: not in the export
    passed: bool | None  # None: not assessed yet
    completed_on: date | None

    @property
    def started(self) -> bool:
        """Has done a lesson or taken the assessment."""
        return bool(self.lessons) or self.passed is not None

    @property
    def status(self) -> str:
        if self.passed:
            return STATUS_PASSED
        return STATUS_LEARNING if self.started else STATUS_NOT_STARTED


@dataclass(frozen=True)
class LearningCount:
    label: str  # a unit, a branch code, a group, or the ward
    branch_code: str  # the unit's (or branch's) branch; "" for groups and the ward
    staff: int
    started: int
    passed: int

    @property
    def rate(self) -> float | None:
        """Share passed (0..1); None when nobody is counted."""
        return self.passed / self.staff if self.staff else None


@dataclass(frozen=True)
class LearningTargetResult:
    group: str | None  # None: every staff member
    label: str
    share: float  # 0..1
    due: date
    staff: int
    passed: int  # passed on or before ``due`` (a pass with no date counts)
    needed: int  # people to pass for the target
    met: bool
    verdict: str  # Vietnamese

    @property
    def actual(self) -> float | None:
        return self.passed / self.staff if self.staff else None


@dataclass(frozen=True)
class LearningProgress:
    learners: tuple[LearnerProgress, ...]  # by branch, unit, name
    units: tuple[LearningCount, ...]  # by branch then unit
    branches: tuple[LearningCount, ...]
    groups: tuple[LearningCount, ...]  # in the plan's order, the unknown group last
    ward: LearningCount
    targets: tuple[LearningTargetResult, ...]

    def of_branch(self, branch_code: str) -> tuple[LearnerProgress, ...]:
        return self._by_branch.get(branch_code, ())

    @cached_property
    def _by_branch(self) -> dict[str, tuple[LearnerProgress, ...]]:
        # one pass: asked once per branch, a province's 3,000 branches would otherwise scan
        # its 100,000 learners 3,000 times
        out: dict[str, list[LearnerProgress]] = {}
        for p in self.learners:
            out.setdefault(p.staff.branch_code, []).append(p)
        return {code: tuple(ps) for code, ps in out.items()}


def group_label(group: str) -> str:
    return group or UNKNOWN_GROUP


def unit_label(unit: str) -> str:
    return unit or UNKNOWN_UNIT


def count_learners(
    label: str, branch_code: str, people: Iterable[LearnerProgress]
) -> LearningCount:
    people = list(people)
    return LearningCount(
        label,
        branch_code,
        staff=len(people),
        started=sum(p.started for p in people),
        passed=sum(bool(p.passed) for p in people),
    )


def _grouped(
    learners: Sequence[LearnerProgress], key: Callable[[LearnerProgress], tuple[str, str]]
) -> dict[tuple[str, str], list[LearnerProgress]]:
    out: dict[tuple[str, str], list[LearnerProgress]] = {}
    for p in learners:
        out.setdefault(key(p), []).append(p)
    return out


def _dmy(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def target_result(
    target: LearningTarget, learners: Sequence[LearnerProgress], today: date
) -> LearningTargetResult:
    """A group's target: met when enough of its staff passed by the deadline. A pass dated
    after the deadline does not count (the plan asks for it on time)."""
    pool = [p for p in learners if target.group is None or p.staff.group == target.group]
    label = target.group or ALL_STAFF
    on_time = sum(
        1 for p in pool if p.passed and (p.completed_on is None or p.completed_on <= target.due)
    )
    needed = math.ceil(target.share * len(pool) - 1e-9)
    met = bool(pool) and on_time >= needed
    if not pool:
        verdict = "Chưa có số liệu: danh sách cán bộ chưa có ai thuộc nhóm này"
    elif met:
        verdict = "Đạt"
    elif today > target.due:
        verdict = f"Không đạt: đã quá hạn {_dmy(target.due)}, thiếu {needed - on_time} người đạt"
    else:
        verdict = f"Chưa đạt: còn thiếu {needed - on_time} người đạt, hạn {_dmy(target.due)}"
    return LearningTargetResult(
        target.group, label, target.share, target.due, len(pool), on_time, needed, met, verdict
    )


def group_counts(learners: Sequence[LearnerProgress]) -> tuple[LearningCount, ...]:
    """Counts per group of staff, in the plan's order, the unknown group last."""
    by_group = _grouped(learners, lambda p: (p.staff.group, ""))
    order = {g: i for i, g in enumerate(STAFF_GROUPS)}
    return tuple(
        count_learners(group_label(g), "", by_group[(g, "")])
        for g in sorted((g for g, _ in by_group), key=lambda g: order.get(g, len(order)))
    )


def _as_of(value: Learned | None, today: date) -> Learned:
    if value is None:
        return (None, None, None)
    lessons, passed, done = value
    if passed and done is not None and done > today:
        return (lessons, None, None)
    return value


def learning_progress(
    staff: Sequence[StaffMember],
    learned: Mapping[str, Learned],
    targets: Sequence[LearningTarget],
    today: date,
) -> LearningProgress:
    """Every staff member's progress (``learned`` keyed by staff code) and the counts. A pass
    dated after ``today`` is not a fact yet: the learner counts as assessed later."""
    learners = sorted(
        (LearnerProgress(s, *_as_of(learned.get(s.code), today)) for s in staff),
        key=lambda p: (
            natural_key(p.staff.branch_code),
            p.staff.unit == "",
            p.staff.unit,
            p.staff.name,
            p.staff.code,
        ),
    )
    units = [
        count_learners(unit_label(unit), branch, people)
        for (branch, unit), people in _grouped(
            learners, lambda p: (p.staff.branch_code, p.staff.unit)
        ).items()
    ]
    branches = [
        count_learners(branch, branch, people)
        for (branch, _), people in _grouped(learners, lambda p: (p.staff.branch_code, "")).items()
    ]
    return LearningProgress(
        learners=tuple(learners),
        units=tuple(units),  # learners are sorted by branch then unit: so are these
        branches=tuple(branches),
        groups=group_counts(learners),
        ward=count_learners("Toàn Đảng bộ", "", learners),
        targets=tuple(target_result(t, learners, today) for t in targets),
    )
