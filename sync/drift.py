"""Mapping drift: what in a form no longer agrees with its mapping file. Pure: it reads the
form's questions as neutral records (``FormQuestion``), whatever API or export they came
from, and returns "Lỗi dữ liệu" rows.

Three kinds of drift: a mapped question gone (or retitled beyond its aliases), a question
bound by id whose title changed, a choice offered on the form that the mapping does not
know. Questions the mapping does not bind at all are reported by the normaliser (unmapped
columns), not here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scoring.rubric import Rubric
from sync.mapping import REQUIRED_FIELDS, FieldMapping, FormMapping
from sync.model import DataProblem
from sync.normalize import ColumnBinding, bind_question_ids
from sync.text import clean_spaces
from sync.values import BadValue, match_choice, parse_score

# mapping types whose answers must be one of the offered choices
CHOICE_TYPES = frozenset({"choice", "checkboxes", "yes_no", "grid"})

GONE = (
    "Không còn câu hỏi này trên biểu mẫu (đã bị xóa, hoặc đổi tiêu đề khác với "
    "'titles'/'aliases' trong tệp ánh xạ)"
)
GONE_REQUIRED = (
    "câu hỏi bắt buộc: nguồn này không được dùng cho đến khi sửa biểu mẫu hoặc tệp ánh xạ"
)
GONE_OPTIONAL = "dữ liệu của trường này sẽ để trống"
NEW_CHOICE = (
    "Lựa chọn mới chưa có trong tệp ánh xạ; câu trả lời chọn lựa chọn này sẽ không được "
    "tính (thêm vào 'choices' hoặc 'choice_aliases')"
)


@dataclass(frozen=True)
class FormQuestion:
    """One answerable question of a form: a grid gives one per row."""

    question_id: str
    title: str  # grid rows: "Question [Row]", like the CSV column
    options: tuple[str, ...]  # choices offered (grid: the columns); "Khác" excluded


def mapping_drift(
    mapping: FormMapping,
    questions: Sequence[FormQuestion],
    source_title: str,
    *,
    rubric: Rubric | None = None,
) -> list[DataProblem]:
    """The drift of a form against its mapping, as "Lỗi dữ liệu" rows of ``source_title``.
    ``rubric`` supplies the Biểu mẫu 01 section items and the criteria's maxima; without it
    those choices are not checked."""
    titles = {q.question_id: q.title for q in questions}
    ids = list(titles)
    bound = bind_question_ids(mapping, ids, titles)
    by_title = bind_question_ids(_without_question_ids(mapping), ids, titles)
    found = [
        *_gone(mapping, bound),
        *_retitled(bound, by_title, titles),
        *_new_choices(bound, questions, rubric),
    ]
    return [DataProblem(source_title, "", field, raw, reason) for field, raw, reason in found]


Found = tuple[str, str, str]  # (field shown, raw value, reason)


def _gone(mapping: FormMapping, bound: ColumnBinding) -> list[Found]:
    """Mapped fields with no question on the form (grid rows one by one)."""
    out: list[Found] = []
    required = REQUIRED_FIELDS[mapping.kind]
    for f in mapping.fields:
        if f.field == "email" and not f.required:
            continue  # whether a form collects addresses is the ward's choice
        reason = f"{GONE}; {GONE_REQUIRED if f.required or f.field in required else GONE_OPTIONAL}"
        cols = bound.for_field(f.field)
        if not cols:
            out.append((f.titles[0], "", reason))
        elif f.type == "grid":
            rows = {c.row for c in cols}
            out += [(f"{f.titles[0]} [{row}]", "", reason) for row in f.rows if row not in rows]
    return out


def _retitled(
    bound: ColumnBinding, by_title: ColumnBinding, titles: Mapping[str, str]
) -> list[Found]:
    """Bound by question id, but the title changed to one the mapping does not know."""
    out: list[Found] = []
    for col in bound.columns:
        f = col.field
        if col.key not in _ids_of(f):
            continue
        same = [c for c in by_title.columns if c.key == col.key]
        if same and same[0].field.field == f.field and same[0].row == col.row:
            continue
        now = titles.get(col.key, "")
        out.append(
            (
                f"{f.titles[0]} [{col.row}]" if col.row else f.titles[0],
                now,
                f"Câu hỏi đã đổi tiêu đề thành '{now}' (mã câu hỏi {col.key} vẫn khớp nên dữ "
                "liệu vẫn được dùng); kiểm tra câu hỏi còn cùng nội dung rồi thêm tiêu đề mới "
                "vào 'aliases' của tệp ánh xạ",
            )
        )
    return out


def _new_choices(
    bound: ColumnBinding, questions: Sequence[FormQuestion], rubric: Rubric | None
) -> list[Found]:
    """Choices offered on the form that the mapping does not know, once per field (a
    grid's columns repeat on every row)."""
    by_id = {q.question_id: q for q in questions}
    out: list[Found] = []
    reported: set[tuple[str, str]] = set()
    for col in bound.columns:
        q = by_id.get(col.key)
        if q is None or not q.options:
            continue
        f = col.field
        shown = f.titles[0] if f.type == "grid" else q.title
        for option in q.options:
            key = (f.field, clean_spaces(option))
            if key not in reported and not _option_known(f, option, rubric):
                reported.add(key)
                out.append((shown, option, NEW_CHOICE))
    return out


def _without_question_ids(mapping: FormMapping) -> FormMapping:
    fields = [f.model_copy(update={"question_id": None}) for f in mapping.fields]
    return mapping.model_copy(update={"fields": fields})


def _ids_of(f: FieldMapping) -> list[str]:
    return [i for i in re.split(r"[\s,;]+", f.question_id or "") if i]


def _known_choices(
    f: FieldMapping, rubric: Rubric | None
) -> tuple[list[str], dict[str, str]] | None:
    """The choices the mapping (or the rubric, for registration sections) knows; None when
    they cannot be known here."""
    choices = [*f.choices, *f.values]
    if f.section_id is not None and not f.choices:
        if rubric is None:
            return None
        try:
            choices = list(rubric.section(f.section_id).items)
        except KeyError:
            return None
    if not choices:
        return None
    return choices, dict(f.choice_aliases)


def _option_known(f: FieldMapping, option: str, rubric: Rubric | None) -> bool:
    if f.type == "score":
        n = f.criterion_number
        if rubric is None or n is None:
            return True  # the maximum is the rubric's
        try:
            parse_score(option, rubric.criterion(n).max, f.not_applicable)
        except (BadValue, KeyError):
            return False
        return True
    if f.type not in CHOICE_TYPES:
        return True  # a dropdown of branch names bound as text: the roster decides
    known = _known_choices(f, rubric)
    if known is None:
        return True
    choices, aliases = known
    return match_choice(option, choices, aliases) is not None
