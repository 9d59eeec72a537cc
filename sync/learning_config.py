"""The config groups of "Bình dân học vụ số" (seed 003): where the staff roster is, the
targets per group of staff and the follow-up cadence. ``sync.config`` holds them as the
optional ``staff`` and ``learning`` groups of a ward's config."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from sync.model import STAFF_GROUPS
from sync.yamlload import StrictModel

# the groups of staff the plan names ("cán bộ, công chức, viên chức, người lao động")


class StaffConfig(StrictModel):
    """The staff roster: a CSV/XLSX file, or a tab of the roster's Google spreadsheet
    (``roster.spreadsheet_id``). Columns are documented in the README."""

    roster: Path | None = None
    tab: str | None = None

    @model_validator(mode="after")
    def _one_origin(self) -> StaffConfig:
        if (self.roster is None) == (self.tab is None):
            raise ValueError("chọn một trong hai: tệp 'roster' hoặc 'tab' của bảng tính danh sách")
        return self


class LearningTarget(StrictModel):
    """A share of a group of staff that must have passed the assessment by ``due``."""

    group: str | None = None  # None: every staff member
    share: float = Field(gt=0, le=1)
    due: date

    @field_validator("group")
    @classmethod
    def _known_group(cls, v: str | None) -> str | None:
        if v is not None and v not in STAFF_GROUPS:
            raise ValueError(
                f"nhóm '{v}' không có; chấp nhận: " + ", ".join(f"'{g}'" for g in STAFF_GROUPS)
            )
        return v


class LearningFollowUp(StrictModel):
    """When branch secretaries get the list of their units' learners who have not passed:
    every month on ``monthly_day``, and ``days_before_due`` days before each target's due."""

    monthly_day: int | None = Field(default=None, ge=1, le=28)  # None: no monthly letter
    days_before_due: list[int] = Field(default_factory=list)

    @field_validator("days_before_due")
    @classmethod
    def _positive(cls, v: list[int]) -> list[int]:
        if any(d < 1 for d in v):
            raise ValueError("số ngày trước hạn phải từ 1 trở lên")
        return sorted(set(v), reverse=True)


class LearningConfig(StrictModel):
    targets: list[LearningTarget] = Field(default_factory=list)
    follow_up: LearningFollowUp = Field(default_factory=LearningFollowUp)

    @model_validator(mode="after")
    def _one_target_per_group(self) -> LearningConfig:
        groups = [t.group or "" for t in self.targets]
        dup = sorted({g for g in groups if groups.count(g) > 1})
        if dup:
            raise ValueError(
                "mỗi nhóm chỉ một chỉ tiêu; trùng: " + ", ".join(g or "(toàn bộ)" for g in dup)
            )
        return self
