"""The contract of a response source (``sync.ports.Source`` / ``ProbedSource``), one suite
run against every implementation, as vdirsyncer's ``StorageTests`` is for its storages.

Every subclass builds the SAME logical answers (members of the shared small roster: a
Vietnamese name, a birth date, a number, a checkbox list, a timestamp) in its own medium: a
CSV export, an XLSX export, a form's linked response sheet and a form read through the Forms
API (both in the local fake of Google, through the real clients). Where a medium legitimately
differs (how it writes a date, whether it carries the timestamp as a column, whether it can
be probed or read incrementally, whether its complete reads are the source's own list) a
class attribute says so and the same test asserts accordingly.
"""

from __future__ import annotations

import csv
import itertools
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Protocol

import pytest
from openpyxl import Workbook

from sync.google.apis import GoogleApis
from sync.google.forms_source import FormsSource
from sync.google.sheet_source import SheetSource
from sync.guard import response_shrink
from sync.mapping import load_mapping
from sync.model import RawResponse
from sync.ports import FetchResult, ProbedSource, Source, SourceError
from sync.sources.files import FileSource
from tests.conftest import ROOT, TZ
from tests.fake_google import FakeWorkspace
from tests.fake_google.forms_builder import question

SOURCE_ID = "nguon"
TIMESTAMP = "Dấu thời gian"  # the first column of every Google Forms export


@dataclass(frozen=True)
class Question:
    key: str  # what the tests compare by
    qid: str  # its Forms API question id
    title: str  # its column header / question title


QUESTIONS = (
    Question("name", "q_ten", "Họ và tên"),
    Question("birth", "q_ngay_sinh", "Ngày sinh"),
    Question("sessions", "q_so_buoi", "Số buổi đã tham gia"),
    Question("topics", "q_noi_dung", "Nội dung đã học"),
)
TOPICS = ("Học tập kỹ năng số", "Ứng dụng trong công việc", "Bảo mật thông tin")


@dataclass(frozen=True)
class Answer:
    name: str
    birth: date
    sessions: int
    topics: tuple[str, ...]
    submitted: datetime  # aware, local time


DAY = datetime(2026, 11, 22, tzinfo=TZ)
READ = DAY.replace(hour=10)  # the first fetch
LATER = DAY.replace(hour=11)  # the next one, the same day
NIGHT = DAY + timedelta(days=1, hours=2, minutes=30)  # after the nightly full read (02:00)


@pytest.fixture
def answers(small_roster_rows: dict[str, tuple[tuple[Any, ...], ...]]) -> list[Answer]:
    """Four answers from the shared roster's members: the first three are in the source at
    first, the fourth is the one appended."""
    header, *members = small_roster_rows["members"]
    name, birth = header.index("Họ và tên"), header.index("Ngày sinh")
    times = [DAY.replace(hour=8), DAY.replace(hour=8, minute=30), DAY.replace(hour=9)]
    times.append(DAY.replace(hour=10, minute=30))
    out = [
        Answer(m[name], m[birth], 10 + i, TOPICS[: 1 + i % 3], t)
        for i, (m, t) in enumerate(zip(members, times, strict=True))
    ]
    # the inputs are NFC, so an equal output is NFC too
    assert all(unicodedata.is_normalized("NFC", a.name) for a in out)
    return out


class Held(Protocol):
    """A source holding some answers in its medium, and ways to change the medium."""

    source: Source

    def append(self, answer: Answer) -> None: ...

    def edit(self, index: int, answer: Answer) -> None: ...

    def remove_last(self) -> None: ...

    def empty(self) -> None:
        """Everything gone: a tabular medium loses its header row too."""
        ...

    def lose(self) -> None:
        """The source becomes unreachable (the file deleted, access taken away)."""
        ...

    def missing(self) -> Source:
        """A source of the same kind naming something that does not exist."""
        ...


Holding = Callable[[Sequence[Answer], Sequence[Question]], Held]
Logical = tuple[object, dict[str, tuple[str, ...]]]  # (timestamp, question key -> values)


def is_vietnamese(text: str) -> bool:
    """One line with Vietnamese letters (a tone or vowel mark, or đ)."""
    marks = any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", text))
    return "\n" not in text and (marks or "đ" in text.lower())


class SourceContract:
    """Subclasses provide a ``holding`` fixture: ``holding(answers, questions)`` builds a
    source holding ``answers``, its questions (columns) in the order given."""

    __test__ = False

    # how the medium writes the values; the source must hand them over unchanged
    date_format: ClassVar[str]
    stamp_format: ClassVar[str | None]  # the timestamp column; None: ``submitted_at``
    choices_in_one_cell: ClassVar[bool] = True  # "A, B" in one cell; False: a list
    keyed_by: ClassVar[str] = "title"  # answers keyed by column title, or by question id
    # the abilities that differ
    has_probe: ClassVar[bool] = True  # False: nothing cheap to ask, the cycle always fetches
    incremental: ClassVar[bool] = False  # a fetch with a cursor reads only what changed
    deletions_authoritative: ClassVar[bool] = False  # complete reads list what really exists
    empty_is_unreadable: ClassVar[bool] = True  # no header at all: a broken export

    # -- what the tests compare ------------------------------------------------------------

    def expected(self, a: Answer) -> Logical:
        topics = (", ".join(a.topics),) if self.choices_in_one_cell else a.topics
        values = {
            "name": (a.name,),
            "birth": (a.birth.strftime(self.date_format),),
            "sessions": (str(a.sessions),),
            "topics": topics,
        }
        stamp = a.submitted.strftime(self.stamp_format) if self.stamp_format else a.submitted
        return stamp, values

    def logical(self, r: RawResponse) -> Logical:
        assert r.keyed_by == self.keyed_by
        values = {}
        for q in QUESTIONS:
            v = r.answers[q.title if self.keyed_by == "title" else q.qid]
            values[q.key] = (v,) if isinstance(v, str) else tuple(v)
        if self.stamp_format:
            assert r.submitted_at is None  # the normaliser reads the column in the locale
            return r.answers[TIMESTAMP], values
        assert r.submitted_at is not None and r.submitted_at.tzinfo is not None
        return r.submitted_at, values

    def by_name(self, result: FetchResult) -> dict[str, Logical]:
        out = {}
        for r in result.responses:
            assert r.source_id == SOURCE_ID
            stamp, values = self.logical(r)
            out[values["name"][0]] = (stamp, values)
        assert len(out) == len(result.responses) == len({r.response_id for r in result.responses})
        return out

    def id_of(self, result: FetchResult, name: str) -> str:
        (rid,) = [r.response_id for r in result.responses if self.logical(r)[1]["name"] == (name,)]
        return rid

    # -- the behaviours ----------------------------------------------------------------------

    def test_first_fetch_returns_every_answer_as_written(
        self, holding: Holding, answers: list[Answer]
    ) -> None:
        result = holding(answers[:3], QUESTIONS).source.fetch(None, READ)
        assert result.complete  # a first read is a full read
        assert self.by_name(result) == {a.name: self.expected(a) for a in answers[:3]}

    def test_fetch_with_the_cursor_after_no_change_brings_nothing_new(
        self, holding: Holding, answers: list[Answer]
    ) -> None:
        source = holding(answers[:3], QUESTIONS).source
        first = source.fetch(None, READ)
        seen = {r.response_id: self.logical(r) for r in first.responses}
        again = source.fetch(first.cursor, LATER)
        # whatever comes back is what was seen: the store finds nothing new or changed
        assert all(seen.get(r.response_id) == self.logical(r) for r in again.responses)
        if self.incremental:
            assert again.cursor is not None and not again.complete
            assert len(again.responses) < len(first.responses)  # only near the cursor
        else:
            assert again.complete and {r.response_id for r in again.responses} == set(seen)

    def test_an_appended_answer_is_returned_by_the_next_fetch(
        self, holding: Holding, answers: list[Answer]
    ) -> None:
        held = holding(answers[:3], QUESTIONS)
        first = held.source.fetch(None, READ)
        held.append(answers[3])
        after = held.source.fetch(first.cursor, LATER)
        old = {r.response_id for r in first.responses}
        new = [self.logical(r) for r in after.responses if r.response_id not in old]
        assert new == [self.expected(answers[3])]

    def test_probe_is_stable_until_an_answer_is_added(
        self, holding: Holding, answers: list[Answer]
    ) -> None:
        held = holding(answers[:3], QUESTIONS)
        source = held.source
        if not self.has_probe:
            # no cheap probe: the cycle fetches it every time (getattr(source, "probe"))
            assert not isinstance(source, ProbedSource)
            assert getattr(source, "probe", None) is None
            return
        assert isinstance(source, ProbedSource)
        first = source.probe(None)
        assert first is not None
        assert source.probe(first) == first
        source.fetch(None, READ)  # reading does not change it
        assert source.probe(first) == first
        assert source.probe(None) == first  # nothing remembered: the same again
        held.append(answers[3])
        second = source.probe(first)
        assert second is not None and second.content != first.content
        assert source.probe(second) == second

    def test_an_edited_answer_is_seen(self, holding: Holding, answers: list[Answer]) -> None:
        held = holding(answers[:3], QUESTIONS)
        first = held.source.fetch(None, READ)
        rid = self.id_of(first, answers[0].name)
        edited = replace(
            answers[0], sessions=42, topics=TOPICS, submitted=DAY.replace(hour=10, minute=45)
        )
        held.edit(0, edited)
        after = held.source.fetch(first.cursor, LATER)
        got = {r.response_id: self.logical(r) for r in after.responses}
        # the same response id: the store sees an edit, not a new answer and a deletion
        assert got[rid] == self.expected(edited)
        assert self.expected(answers[0]) not in got.values()

    def test_a_shrunken_source_is_reported_for_the_shrink_guard(
        self, holding: Holding, answers: list[Answer]
    ) -> None:
        held = holding(answers[:3], QUESTIONS)
        first = held.source.fetch(None, READ)
        held.remove_last()
        after = held.source.fetch(first.cursor, NIGHT)
        assert after.complete  # a complete read: what is absent was removed at the source
        removed = {r.response_id for r in first.responses} - {
            r.response_id for r in after.responses
        }
        assert removed == {self.id_of(first, answers[2].name)}
        assert after.authoritative is self.deletions_authoritative
        # how sync.cycle decides whether the guard looks at a read
        guarded = after.complete and not after.authoritative
        assert guarded is not self.deletions_authoritative
        if guarded:  # a third of the answers gone at once is held back
            shrink = response_shrink(
                len(first.responses), len(removed), len(after.responses), max_share=0.2
            )
            assert shrink is not None and (shrink.before, shrink.after) == (3, 2)

    def test_an_emptied_source_is_never_taken_as_an_empty_truth(
        self, holding: Holding, answers: list[Answer]
    ) -> None:
        held = holding(answers[:3], QUESTIONS)
        first = held.source.fetch(None, READ)
        held.empty()
        if self.empty_is_unreadable:  # not even a header row: a broken export
            with pytest.raises(SourceError) as caught:
                held.source.fetch(first.cursor, NIGHT)
            assert is_vietnamese(str(caught.value))
        else:  # every answer deleted on the form: the source's own, complete list
            after = held.source.fetch(first.cursor, NIGHT)
            assert after.complete and after.authoritative and after.responses == ()

    def test_an_unreachable_source_raises_source_error_in_vietnamese(
        self, holding: Holding, answers: list[Answer]
    ) -> None:
        held = holding(answers[:3], QUESTIONS)
        first = held.source.fetch(None, READ)
        held.lose()
        for source in (held.source, held.missing()):
            if self.has_probe:  # None: the cycle fetches, and the fetch says why
                assert isinstance(source, ProbedSource) and source.probe(None) is None
            with pytest.raises(SourceError) as caught:
                source.fetch(first.cursor, LATER)
            assert is_vietnamese(str(caught.value)), str(caught.value)

    def test_question_order_does_not_matter(self, holding: Holding, answers: list[Answer]) -> None:
        result = holding(answers[:3], QUESTIONS[::-1]).source.fetch(None, READ)
        assert self.by_name(result) == {a.name: self.expected(a) for a in answers[:3]}


# ---------------------------------------------------------------------------------------
# Downloaded exports
# ---------------------------------------------------------------------------------------


class FileHeld:
    """An export file, written again whole on every change (as a new download is)."""

    def __init__(
        self,
        path: Path,
        answers: Sequence[Answer],
        questions: Sequence[Question],
        write: Callable[[Path, list[list[object]]], None],
        cells: Callable[[Answer, Question], object],
        stamp: Callable[[datetime], object],
    ) -> None:
        self.path, self.questions, self.answers = path, list(questions), list(answers)
        self._write, self._cells, self._stamp = write, cells, stamp
        self.source: Source = FileSource(SOURCE_ID, path)  # checks it has the port's shape
        self.save()

    def save(self) -> None:
        header: list[object] = [TIMESTAMP, *(q.title for q in self.questions)]
        rows = [[self._stamp(a.submitted), *(self._cells(a, q) for q in self.questions)]
                for a in self.answers]  # fmt: skip
        self._write(self.path, [header, *rows])

    def append(self, answer: Answer) -> None:
        self.answers.append(answer)
        self.save()

    def edit(self, index: int, answer: Answer) -> None:
        self.answers[index] = answer
        self.save()

    def remove_last(self) -> None:
        self.answers.pop()
        self.save()

    def empty(self) -> None:
        self._write(self.path, [])

    def lose(self) -> None:
        self.path.unlink()

    def missing(self) -> Source:
        return FileSource(SOURCE_ID, self.path.with_name("khong-co" + self.path.suffix))


def text_cell(a: Answer, q: Question, date_format: str) -> str:
    value: object = getattr(a, q.key)
    if isinstance(value, date):
        return value.strftime(date_format)
    if isinstance(value, tuple):
        return ", ".join(value)
    return str(value)


def write_csv(path: Path, rows: list[list[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


class TestCsvSource(SourceContract):
    """Google Forms' "Tải xuống câu trả lời (.csv)": every cell text as the sheet shows it."""

    __test__ = True
    date_format = "%d/%m/%Y"
    stamp_format = "%d/%m/%Y %H:%M:%S"

    @pytest.fixture
    def holding(self, tmp_path: Path) -> Holding:
        def make(answers: Sequence[Answer], questions: Sequence[Question]) -> Held:
            return FileHeld(
                tmp_path / "tra-loi.csv",
                answers,
                questions,
                write_csv,
                lambda a, q: text_cell(a, q, self.date_format),
                lambda t: t.strftime(self.stamp_format or ""),
            )

        return make


def write_xlsx(path: Path, rows: list[list[object]]) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Câu trả lời biểu mẫu 1"
    for row in rows:
        ws.append(row)
    wb.save(path)


def xlsx_cell(a: Answer, q: Question) -> object:
    if q.key == "sessions":
        return float(a.sessions)  # Excel keeps every number as a float
    if q.key == "topics":
        return ", ".join(a.topics)
    return getattr(a, q.key)  # text, and a real date cell


class TestXlsxSource(SourceContract):
    """The response sheet downloaded as .xlsx: typed cells (dates, datetimes, numbers) that
    the reader turns into ISO text."""

    __test__ = True
    date_format = "%Y-%m-%d"
    stamp_format = "%Y-%m-%d %H:%M:%S"

    @pytest.fixture
    def holding(self, tmp_path: Path) -> Holding:
        def make(answers: Sequence[Answer], questions: Sequence[Question]) -> Held:
            return FileHeld(
                tmp_path / "tra-loi.xlsx",
                answers,
                questions,
                write_xlsx,
                xlsx_cell,
                lambda t: t.replace(tzinfo=None),  # Excel has no time zones
            )

        return make


# ---------------------------------------------------------------------------------------
# Google: one fake server for the module
# ---------------------------------------------------------------------------------------

_ids = itertools.count(1)  # every test its own spreadsheet or form on the shared fake


TAB = "Câu trả lời biểu mẫu 1"
VI_DATE, VI_STAMP = "%d/%m/%Y", "%d/%m/%Y %H:%M:%S"  # a vi_VN sheet's formatted values


class SheetHeld:
    """A form's linked response sheet: the form writes typed cells; later changes are made
    through the Sheets API as a person typing (USER_ENTERED, vi_VN)."""

    def __init__(
        self,
        fake: FakeWorkspace,
        apis: GoogleApis,
        answers: Sequence[Answer],
        questions: Sequence[Question],
    ) -> None:
        self.fake, self.apis, self.questions = fake, apis, list(questions)
        self.spreadsheet_id = f"RESP_{next(_ids)}"
        self.rows = len(answers)
        header = [TIMESTAMP, *(q.title for q in questions)]
        typed = [[a.submitted.replace(tzinfo=None), *(xlsx_cell(a, q) for q in questions)]
                 for a in answers]  # fmt: skip
        # a response tab's grid is exactly its rows
        fake.add_spreadsheet(self.spreadsheet_id, {TAB: [header, *typed]}, grid_rows=1 + len(typed))
        self.source: Source = SheetSource(apis, SOURCE_ID, self.spreadsheet_id, TAB)

    def _typed(self, a: Answer) -> list[str]:
        return [a.submitted.strftime(VI_STAMP), *(text_cell(a, q, VI_DATE) for q in self.questions)]

    def append(self, answer: Answer) -> None:
        self.apis.sheets().values_append(
            self.spreadsheet_id,
            f"'{TAB}'!A1",
            params={"valueInputOption": "USER_ENTERED", "insertDataOption": "INSERT_ROWS"},
            body={"values": [self._typed(answer)]},
        )
        self.rows += 1

    def edit(self, index: int, answer: Answer) -> None:
        self.apis.sheets().values_update(
            self.spreadsheet_id,
            f"'{TAB}'!A{index + 2}",
            params={"valueInputOption": "USER_ENTERED"},
            body={"values": [self._typed(answer)]},
        )

    def remove_last(self) -> None:
        self.apis.sheets().values_clear(self.spreadsheet_id, f"'{TAB}'!A{self.rows + 1}:Z")
        self.rows -= 1

    def empty(self) -> None:
        self.apis.sheets().values_clear(self.spreadsheet_id, f"'{TAB}'")

    def lose(self) -> None:
        self.fake.deny(self.spreadsheet_id)  # the sheet no longer shared with the account

    def missing(self) -> Source:
        return SheetSource(self.apis, SOURCE_ID, "KHONG_CO_" + self.spreadsheet_id, TAB)


class TestSheetSource(SourceContract):
    __test__ = True
    date_format = VI_DATE
    stamp_format = VI_STAMP
    has_probe = False

    @pytest.fixture
    def holding(self, shared_fake: FakeWorkspace, shared_apis: GoogleApis) -> Holding:
        return lambda answers, questions: SheetHeld(shared_fake, shared_apis, answers, questions)


KINDS: dict[str, Any] = {"name": "text", "birth": "date", "sessions": "text", "topics": "checkbox"}
MAPPING = load_mapping(ROOT / "mappings" / "registration.yaml")  # drift is not tested here


class FormHeld:
    """A form read through the Forms API; answers are submitted (and edited) on the form."""

    def __init__(
        self,
        fake: FakeWorkspace,
        apis: GoogleApis,
        answers: Sequence[Answer],
        questions: Sequence[Question],
    ) -> None:
        self.fake, self.apis = fake, apis
        self.form_id = f"FORM_{next(_ids)}"
        items = [
            question(q.qid, q.title, KINDS[q.key], TOPICS if q.key == "topics" else ())
            for q in questions
        ]
        fake.add_form(self.form_id, "Biểu mẫu thử", items)
        self.ids = [self._submit(a) for a in answers]
        self.source: Source = self.make(self.form_id)

    def make(self, form_id: str) -> FormsSource:
        return FormsSource(
            self.apis, SOURCE_ID, form_id, MAPPING, source_title="Biểu mẫu thử", tz=TZ
        )

    @staticmethod
    def _answers(a: Answer) -> dict[str, str | list[str]]:
        # what the API gives: a date question answers "YYYY-MM-DD", checkboxes a list
        return {
            "q_ten": a.name,
            "q_ngay_sinh": a.birth.isoformat(),
            "q_so_buoi": str(a.sessions),
            "q_noi_dung": list(a.topics),
        }

    def _submit(self, a: Answer) -> str:
        return self.fake.add_response(self.form_id, self._answers(a), submitted=a.submitted)

    def append(self, answer: Answer) -> None:
        self.ids.append(self._submit(answer))

    def edit(self, index: int, answer: Answer) -> None:
        self.fake.edit_response(
            self.form_id, self.ids[index], self._answers(answer), answer.submitted
        )

    def remove_last(self) -> None:
        self.fake.delete_response(self.form_id, self.ids.pop())

    def empty(self) -> None:
        while self.ids:
            self.remove_last()

    def lose(self) -> None:
        self.fake.deny(self.form_id)

    def missing(self) -> Source:
        return self.make("KHONG_CO_" + self.form_id)


class TestFormsSource(SourceContract):
    __test__ = True
    date_format = "%Y-%m-%d"
    stamp_format = None  # lastSubmittedTime, as submitted_at (UTC)
    choices_in_one_cell = False
    keyed_by = "question_id"
    has_probe = False
    incremental = True
    deletions_authoritative = True  # the nightly full read is the form's own list
    empty_is_unreadable = False  # a form with no answers is a form with no answers

    @pytest.fixture
    def holding(self, shared_fake: FakeWorkspace, shared_apis: GoogleApis) -> Holding:
        return lambda answers, questions: FormHeld(shared_fake, shared_apis, answers, questions)
