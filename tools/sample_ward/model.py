"""The generator's own model: branches, members and the submissions it renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass
class Branch:
    code: str
    name: str
    aliases: tuple[str, ...]
    kind: str
    secretary: str = ""
    secretary_email: str = ""
    supervisor: str = ""
    supervisor_email: str = ""


@dataclass
class Member:
    code: str
    name: str
    birth: date
    branch: str
    exempt: bool
    position: str
    email: str


@dataclass
class BranchSub:
    """One form A submission, by value; ``raw`` overrides the rendering of a cell."""

    at: datetime
    branch: str | None  # None: the typed name matches no branch
    branch_text: str
    email: str
    reporter: str
    values: dict[str, Any]
    raw: dict[str, str] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)  # key -> why
    row: str = ""


@dataclass
class RegSub:
    at: datetime
    member: Member | None
    name_text: str
    birth: date
    branch_text: str
    position: str
    sections: dict[str, tuple[str, ...]]
    others: dict[str, str]  # section id -> "Other" free text
    grid: dict[str, bool | None]
    row: str = ""


@dataclass
class ScoreSub:
    at: datetime
    member: Member | None
    name_text: str
    birth: date
    branch_text: str
    scorer: str
    email: str
    values: dict[int, float]  # accepted values (N/A already -> max)
    raw: dict[int, str]  # rendered cells
    rejected: dict[int, str] = field(default_factory=dict)  # criterion -> why
    tolerated: dict[int, str] = field(default_factory=dict)  # criterion -> canonical reading
    row: str = ""


@dataclass
class Learner:
    name: str
    birth: date
    unit_text: str
    branch: str | None
    member: str
    lessons: int
    result: str
    completed_on: date | None
    row: str = ""
