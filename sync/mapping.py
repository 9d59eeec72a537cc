"""Mapping files (mappings/*.yaml): bind a form's question titles to canonical fields.

Nothing in code depends on a question title: the code knows canonical field names (the
vocabulary below) and each mapping file says which titles (or Forms API question ids) carry
them in the forms a ward actually uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from scoring.rubric import Rubric
from sync.model import BRANCH_COUNT_KEYS, SIX_CLEAR_KEYS, SourceKind
from sync.yamlload import StrictModel, load_model

FieldType = Literal[
    "text",  # short text / paragraph, kept as written (trimmed)
    "date",  # d/m/y or m/d/y by the source locale, YYYY-MM-DD from the Forms API
    "integer",  # a count; decimal comma tolerated only when the value is whole
    "number",
    "choice",  # one of `choices` (multiple choice, dropdown)
    "checkboxes",  # several of `choices`, joined with ", " in CSV; choices may hold commas
    "grid",  # one column per row: "Question [Row]"; each cell is one of `choices`
    "score",  # a Biểu mẫu 02 criterion: 0..max, "Không áp dụng (tính điểm tối đa)"
    "yes_no",  # a choice whose `values` map to true/false
]

# The canonical fields each form kind may bind. "count:<key>", "section:<id>" and
# "criterion:<n>" are families (see the validator).
KNOWN_FIELDS: dict[SourceKind, frozenset[str]] = {
    SourceKind.BRANCH_STATS: frozenset(
        {
            "branch",
            "email",
            "reporter_name",
            "plan_date",
            "session_date",
            "session_form",
            "total_members",
            "exempt_members",
            "participants",
            "contents",
            "invited_expert",
            "task_name",
            "task_progress",
            "report_sent",
            "good_practices",
            "difficulties",
            *SIX_CLEAR_KEYS,
            *(f"count:{k}" for k in BRANCH_COUNT_KEYS),
        }
    ),
    SourceKind.REGISTRATION: frozenset(
        {"name", "birth_date", "position", "branch", "email", "self_assessment"}
    ),
    SourceKind.SCORING: frozenset({"name", "birth_date", "branch", "email", "scorer", "position"}),
    SourceKind.LEARNING: frozenset(
        {"name", "birth_date", "unit", "lessons_completed", "result", "completed_on"}
    ),
    SourceKind.SUPPORT_LOG: frozenset(
        {
            "support_date",
            "team",
            "helper_name",
            "helper_role",
            "person_name",
            "person_birth_year",
            "person_phone",
            "support_kinds",
            "result",
            "note",
        }
    ),
}

# Fields without which a source cannot be used at all (missing column = error for it).
REQUIRED_FIELDS: dict[SourceKind, frozenset[str]] = {
    SourceKind.BRANCH_STATS: frozenset({"branch"}),
    SourceKind.REGISTRATION: frozenset({"name", "birth_date", "branch"}),
    SourceKind.SCORING: frozenset({"name", "birth_date", "scorer"}),
    SourceKind.LEARNING: frozenset({"name", "unit"}),
    SourceKind.SUPPORT_LOG: frozenset({"team", "person_name"}),
}

_FAMILY = re.compile(r"^(section:[A-Za-z0-9_]+|criterion:[0-9]+)$")


class FieldMapping(StrictModel):
    field: str = Field(min_length=1)  # canonical name, e.g. "plan_date", "criterion:4"
    titles: list[str] = Field(min_length=1)  # titles as on the reference form
    aliases: list[str] = Field(default_factory=list)  # shortened / reworded titles
    patterns: list[str] = Field(default_factory=list)  # regexes on the normalised title
    question_id: str | None = None  # Forms API question id (or grid row question ids)
    # the prefill key, "entry.123456" (or 123456), as in the form's "Lấy đường liên kết
    # điền sẵn" link; sync/prefill.py fills this question in prefilled links and QR codes
    entry: str | None = None
    type: FieldType
    required: bool = False  # a missing column is an error for the source
    # choice / checkboxes / grid columns. For "section:<id>" fields an empty list means
    # "the items of that section in the rubric".
    choices: list[str] = Field(default_factory=list)
    choice_aliases: dict[str, str] = Field(default_factory=dict)  # reworded -> canonical
    values: dict[str, str | bool] = Field(default_factory=dict)  # choice -> canonical value
    rows: list[str] = Field(default_factory=list)  # grid rows
    not_applicable: list[str] = Field(default_factory=list)  # score: texts meaning N/A

    @field_validator("entry", mode="before")
    @classmethod
    def _entry_key(cls, v: object) -> object:
        # YAML gives 123456 as an int and "entry.123456" as a string: keep one spelling
        if v is None:
            return v
        text = str(v).strip()
        digits = text.removeprefix("entry.")
        if not digits.isascii() or not digits.isdigit():
            raise ValueError(
                f"'entry' phải có dạng entry.123456 (chép từ đường liên kết điền sẵn): {v!r}"
            )
        return f"entry.{int(digits)}"

    @model_validator(mode="after")
    def _shape(self) -> FieldMapping:
        for p in self.patterns:
            try:
                re.compile(p)
            except re.error as e:
                raise ValueError(f"biểu thức 'patterns' không hợp lệ: {p!r} ({e})") from e
        if self.type == "grid" and not self.rows:
            raise ValueError("câu hỏi dạng lưới (grid) cần danh sách 'rows'")
        if self.type == "yes_no" and not self.values:
            raise ValueError("câu hỏi có/không (yes_no) cần 'values' (ví dụ Có: true)")
        for alias, target in self.choice_aliases.items():
            if self.choices and target not in self.choices:
                raise ValueError(
                    f"choice_aliases: '{alias}' trỏ tới '{target}' không có trong 'choices'"
                )
        return self

    @property
    def criterion_number(self) -> int | None:
        if self.field.startswith("criterion:"):
            return int(self.field.split(":", 1)[1])
        return None

    @property
    def section_id(self) -> str | None:
        if self.field.startswith("section:"):
            return self.field.split(":", 1)[1]
        return None


class TimestampMapping(StrictModel):
    titles: list[str] = Field(default_factory=lambda: ["Dấu thời gian", "Timestamp"])


class FormMapping(StrictModel):
    kind: SourceKind
    title: str = Field(min_length=1)  # the form's title, for messages
    timestamp: TimestampMapping = Field(default_factory=TimestampMapping)
    fields: list[FieldMapping] = Field(min_length=1)

    @model_validator(mode="after")
    def _vocabulary(self) -> FormMapping:
        known = KNOWN_FIELDS[self.kind]
        seen: set[str] = set()
        for f in self.fields:
            if f.field in seen:
                raise ValueError(f"trường '{f.field}' được khai báo hai lần")
            seen.add(f.field)
            family_ok = _FAMILY.match(f.field) and (
                (f.field.startswith("section:") and self.kind == SourceKind.REGISTRATION)
                or (f.field.startswith("criterion:") and self.kind == SourceKind.SCORING)
            )
            if f.field not in known and not family_ok:
                raise ValueError(
                    f"trường '{f.field}' không dùng được cho biểu mẫu loại '{self.kind}'; "
                    "chấp nhận: " + ", ".join(sorted(known))
                )
        missing = REQUIRED_FIELDS[self.kind] - seen
        if missing:
            raise ValueError("thiếu khai báo trường bắt buộc: " + ", ".join(sorted(missing)))
        return self

    def field_map(self, name: str) -> FieldMapping | None:
        for f in self.fields:
            if f.field == name:
                return f
        return None


def load_mapping(path: Path) -> FormMapping:
    """Read and validate a mapping file; ConfigError names the file and the field."""
    return load_model(path, FormMapping, "tệp ánh xạ biểu mẫu")


@dataclass(frozen=True)
class RubricGap:
    """A mapping field the rubric cannot back (``field`` None: a criterion no field maps)."""

    field: FieldMapping | None
    reason: str  # Vietnamese, without the file's name


def rubric_gaps(mapping: FormMapping, rubric: Rubric) -> list[RubricGap]:
    """Where a mapping and the rubric disagree: the one rule both ``kns check`` (as errors)
    and the normaliser (skipping the field, with a "Lỗi dữ liệu" row) apply."""
    numbers = {c.number for c in rubric.criteria}
    sections = {s.id for s in rubric.registration}
    gaps: list[RubricGap] = []
    for f in mapping.fields:
        n, sid = f.criterion_number, f.section_id
        if n is not None and n not in numbers:
            gaps.append(
                RubricGap(
                    f,
                    f"trường '{f.field}' dùng tiêu chí {n} nhưng tệp tiêu chí năm {rubric.year} "
                    "không có tiêu chí này",
                )
            )
        if sid is not None and not f.choices and sid not in sections:
            gaps.append(
                RubricGap(
                    f,
                    f"trường '{f.field}' dùng mục đăng ký '{sid}' không có trong tệp tiêu chí năm "
                    f"{rubric.year} và không khai báo 'choices'",
                )
            )
    if mapping.kind == SourceKind.SCORING:
        mapped = {f.criterion_number for f in mapping.fields if f.criterion_number}
        gaps += [
            RubricGap(None, f"chưa ánh xạ tiêu chí {n} của Biểu mẫu 02")
            for n in sorted(numbers - mapped)
        ]
    return gaps
