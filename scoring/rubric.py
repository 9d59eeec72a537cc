"""The rubric file (config/rubric-<year>.yaml): criteria, bands, Biểu mẫu 01 rules, targets.

Rules are data: a ward reuses the software next year by writing a new rubric file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from sync.model import BRANCH_COUNT_KEYS
from sync.yamlload import StrictModel, load_model


class Group(StrictModel):
    id: str = Field(min_length=1)  # "I", "II", ...
    title: str = Field(min_length=1)
    max: float = Field(gt=0)


class Criterion(StrictModel):
    number: int = Field(ge=1)
    group: str = Field(min_length=1)
    title: str = Field(min_length=1)  # the criterion text as in Biểu mẫu 02
    short: str = Field(min_length=1)  # column header in the summary
    max: float = Field(gt=0)


class Band(StrictModel):
    name: str = Field(min_length=1)  # "Xuất sắc"
    min: float = Field(ge=0)  # inclusive lower bound of the committee total


class RegistrationSection(StrictModel):
    id: str = Field(min_length=1)  # "s1" ... referenced by the form B mapping
    title: str = Field(min_length=1)  # "1. Nhận thức và học tập"
    items: list[str] = Field(min_length=1)  # the checkbox texts, exactly as on the form
    rule: Literal["all", "at_least", "none"]
    at_least: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _rule_fits(self) -> RegistrationSection:
        if self.rule == "at_least":
            if self.at_least is None:
                raise ValueError("quy tắc 'at_least' cần trường 'at_least' (số nội dung tối thiểu)")
            if self.at_least > len(self.items):
                raise ValueError(
                    f"'at_least' = {self.at_least} lớn hơn số nội dung ({len(self.items)})"
                )
        elif self.at_least is not None:
            raise ValueError("'at_least' chỉ dùng với quy tắc 'at_least'")
        return self


BranchCheck = Literal[
    "session_held", "task_registered", "task_completed", "report_sent", "plan_issued"
]
MemberCheck = Literal["criteria", "criterion", "has_registration", "registration_complete"]
Population = Literal["all", "civil_servants"]

_PART_KEYS = ("branch_check", "member_check", "criteria", "criterion", "who", "branch_field")


class TargetPart(StrictModel):
    """One thing a target names, measured on its own (a target is met when every part is).

    unit=branch: share of roster branches passing ``branch_check``.
    unit=member: share of eligible members (not exempt; ``who`` narrows them) passing
    ``member_check``: ``criteria`` means the committee's score meets every listed criterion
    (see Target.min_score). A branch without member-level evidence falls back to the
    count it reported on form A (``branch_field``), which shows a figure but never a
    verdict.
    """

    label: str = ""  # shown under the target when it has several parts, e.g. "TC8 và TC10"
    branch_check: BranchCheck | None = None
    member_check: MemberCheck | None = None
    criteria: list[int] = Field(default_factory=list)
    criterion: int | None = None  # older rubric files: one criterion
    who: Population = "all"
    target: float | None = Field(default=None, gt=0, le=1)  # default: the target's
    branch_field: str | None = None

    @model_validator(mode="after")
    def _one_check(self) -> TargetPart:
        if self.criterion is not None and not self.criteria:
            object.__setattr__(self, "criteria", [self.criterion])
        if self.criteria and self.member_check in (None, "criterion"):
            object.__setattr__(self, "member_check", "criteria")
        if self.member_check == "criteria" and not self.criteria:
            raise ValueError("member_check 'criteria' cần danh sách 'criteria' (số tiêu chí)")
        if (self.branch_check is None) == (self.member_check is None):
            raise ValueError(
                "mỗi phần của chỉ tiêu cần đúng một trong 'branch_check' (theo chi bộ) hoặc "
                "'member_check'/'criteria' (theo đảng viên)"
            )
        if self.branch_field is not None and self.branch_field not in BRANCH_COUNT_KEYS:
            raise ValueError(
                f"branch_field '{self.branch_field}' không có; chấp nhận: "
                + ", ".join(BRANCH_COUNT_KEYS)
            )
        return self

    @property
    def unit(self) -> Literal["branch", "member"]:
        return "branch" if self.branch_check is not None else "member"


class Target(StrictModel):
    """One ward target of the year (the plan's section II), measured by every part its
    text names. A single-part target may give the part's keys on the target itself."""

    id: str = Field(min_length=1)
    number: int | None = Field(default=None, ge=1)  # as numbered in the plan
    title: str = Field(min_length=1)
    unit: Literal["branch", "member"] | None = None  # older files; read from the parts
    target: float = Field(gt=0, le=1)
    # committee score that meets a criterion; default its maximum ("Không áp dụng" counts
    # as the maximum when the rubric says so)
    min_score: float | None = None
    # form A "Tiến độ nhiệm vụ" answers that mean done (branch_check task_completed)
    done_progress: list[str] = Field(default_factory=lambda: ["Đã hoàn thành"])
    parts: list[TargetPart] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _single_part(cls, data: object) -> object:
        if isinstance(data, dict) and "parts" not in data:
            part = {k: data[k] for k in _PART_KEYS if k in data}
            data = {k: v for k, v in data.items() if k not in _PART_KEYS}
            data["parts"] = [part]
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        units = {p.unit for p in self.parts}
        if self.unit is not None and units != {self.unit}:
            raise ValueError(
                f"unit '{self.unit}' không khớp với các phần của chỉ tiêu "
                "(branch_check: theo chi bộ; member_check/criteria: theo đảng viên)"
            )
        return self


class Rubric(StrictModel):
    year: int = Field(ge=2000, le=2100)
    title: str = 'Bảng chấm điểm đánh giá mức độ "Đảng viên tiên phong học tập kỹ năng số"'
    groups: list[Group] = Field(min_length=1)
    criteria: list[Criterion] = Field(min_length=1)
    not_applicable_gets_max: bool = True
    bands: list[Band] = Field(min_length=1)
    gap_review_threshold: float = Field(default=10, gt=0)
    registration: list[RegistrationSection] = Field(min_length=1)
    self_assessment_rows: list[str] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)

    @model_validator(mode="after")
    def _coherent(self) -> Rubric:
        numbers = [c.number for c in self.criteria]
        if sorted(numbers) != list(range(1, len(numbers) + 1)):
            raise ValueError(f"các tiêu chí phải đánh số liên tục từ 1; đang có {numbers}")
        group_ids = [g.id for g in self.groups]
        if len(set(group_ids)) != len(group_ids):
            raise ValueError("mã nhóm (groups.id) bị trùng")
        for c in self.criteria:
            if c.group not in group_ids:
                raise ValueError(
                    f"tiêu chí {c.number} thuộc nhóm '{c.group}' không có trong groups"
                )
        for g in self.groups:
            total = sum(c.max for c in self.criteria if c.group == g.id)
            if abs(total - g.max) > 1e-9:
                raise ValueError(
                    f"nhóm {g.id}: tổng điểm tối đa các tiêu chí là {total:g}, khác {g.max:g}"
                )
        mins = [b.min for b in self.bands]
        if len(set(mins)) != len(mins):
            raise ValueError("hai mức xếp loại có cùng điểm tối thiểu")
        if min(mins) != 0:
            raise ValueError("phải có một mức xếp loại bắt đầu từ 0 điểm (ví dụ 'Chưa đạt')")
        section_ids = [s.id for s in self.registration]
        if len(set(section_ids)) != len(section_ids):
            raise ValueError("mã mục đăng ký (registration.id) bị trùng")
        target_ids = [t.id for t in self.targets]
        if len(set(target_ids)) != len(target_ids):
            raise ValueError("mã chỉ tiêu (targets.id) bị trùng")
        for t in self.targets:
            for p in t.parts:
                unknown = [n for n in p.criteria if n not in numbers]
                if unknown:
                    raise ValueError(
                        f"chỉ tiêu '{t.id}' dùng tiêu chí {', '.join(map(str, unknown))} không có"
                    )
        return self

    # -- helpers used by scoring and normalisation --------------------------------------

    @property
    def total_max(self) -> float:
        return sum(c.max for c in self.criteria)

    def criterion(self, number: int) -> Criterion:
        for c in self.criteria:
            if c.number == number:
                return c
        raise KeyError(number)

    def band_for(self, total: float) -> str:
        """The band whose lower bound is the highest one not above ``total``."""
        best = min(self.bands, key=lambda b: b.min)
        for b in self.bands:
            if b.min <= total + 1e-9 and b.min >= best.min:
                best = b
        return best.name

    def section(self, section_id: str) -> RegistrationSection:
        for s in self.registration:
            if s.id == section_id:
                return s
        raise KeyError(section_id)


def load_rubric(path: Path) -> Rubric:
    """Read and validate a rubric file; ConfigError names the file and the field."""
    return load_model(path, Rubric, "tệp tiêu chí chấm điểm")
