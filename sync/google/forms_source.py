"""A Google Form read through the Forms API: answers keyed by question id.

Every fetch reads the form itself (one ``forms.get``) for the question titles and for
drift against the mapping file (``sync.drift``, on the questions as neutral records), then
the responses: incrementally (responses submitted or edited since the newest one seen,
minus an overlap) during the day, and in full once a night, when the store then drops the
responses deleted on the form.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

from scoring.rubric import Rubric
from sync.drift import FormQuestion, mapping_drift
from sync.google.apis import GoogleApiError, GoogleApis
from sync.mapping import FormMapping
from sync.model import Answer, RawResponse, SparseAnswers
from sync.ports import FetchResult, SourceError
from sync.text import clean_spaces

# The respondent's address (forms that collect e-mails) is not an answer in the API; it
# is handed over under this key, titled like the CSV column, so the mapping binds it.
EMAIL_KEY = "respondentEmail"
EMAIL_TITLE = "Địa chỉ email"

MAX_PAGE_SIZE = 5000  # the Forms API's limit for responses.list


# ---------------------------------------------------------------------------------------
# The form's structure
# ---------------------------------------------------------------------------------------


def form_questions(form: Mapping[str, Any]) -> list[FormQuestion]:
    """Every answerable question of a form resource, grid rows one by one, as the neutral
    records drift detection reads; last, the respondent's address when the form collects it
    (the API hands it over apart from the answers)."""
    out: list[FormQuestion] = []
    for item in form.get("items", []) or []:
        title = clean_spaces(str(item.get("title", "")))
        if "questionItem" in item:
            q = item["questionItem"].get("question", {})
            qid = q.get("questionId")
            if qid:
                out.append(FormQuestion(qid, title, _options(q.get("choiceQuestion"))))
        elif "questionGroupItem" in item:
            group = item["questionGroupItem"]
            columns = _options((group.get("grid") or {}).get("columns"))
            for q in group.get("questions", []) or []:
                qid = q.get("questionId")
                row = clean_spaces(str((q.get("rowQuestion") or {}).get("title", "")))
                if qid:
                    out.append(FormQuestion(qid, f"{title} [{row}]", columns))
    if _collects_email(form):
        out.append(FormQuestion(EMAIL_KEY, EMAIL_TITLE, ()))
    return out


def _options(choice_question: Mapping[str, Any] | None) -> tuple[str, ...]:
    if not choice_question:
        return ()
    return tuple(
        str(o["value"])
        for o in choice_question.get("options", []) or []
        if not o.get("isOther") and "value" in o
    )


def question_titles(form: Mapping[str, Any]) -> dict[str, str]:
    """question id -> title (grid rows as "Question [Row]"), plus the e-mail pseudo-question
    when the form collects addresses."""
    return {q.question_id: q.title for q in form_questions(form)}


def _collects_email(form: Mapping[str, Any]) -> bool:
    settings = form.get("settings") or {}
    kind = (settings.get("emailCollectionType") or "").upper()
    return kind in {"VERIFIED", "RESPONDER_INPUT"}


# ---------------------------------------------------------------------------------------
# When to read everything
# ---------------------------------------------------------------------------------------


def needs_full_read(last_full: datetime | None, now: datetime, at: time, tz: tzinfo) -> bool:
    """True when there was no full read yet, or the last one happened before the latest
    ``at`` local-time moment that is not after ``now`` (nightly by default)."""
    if last_full is None:
        return True
    local_now = (now if now.tzinfo else now.replace(tzinfo=tz)).astimezone(tz)
    day = local_now.date()
    moment = datetime.combine(day, at, tzinfo=tz)
    if moment > local_now:
        moment = datetime.combine(day - timedelta(days=1), at, tzinfo=tz)
    last = last_full if last_full.tzinfo else last_full.replace(tzinfo=tz)
    return last < moment


# ---------------------------------------------------------------------------------------
# The cursor: opaque to the core, JSON here
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormsCursor:
    newest: datetime | None  # the newest lastSubmittedTime seen (Google's clock)
    last_full: datetime | None  # when the last full read happened (our clock)

    def dumps(self) -> str:
        return json.dumps(
            {
                "v": 1,
                "newest": _rfc3339(self.newest) if self.newest else None,
                "last_full": self.last_full.isoformat() if self.last_full else None,
            },
            sort_keys=True,
        )

    @staticmethod
    def loads(text: str | None) -> FormsCursor | None:
        """None for no cursor, or one this version cannot read (a full read follows)."""
        if not text:
            return None
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("v") != 1:
                return None
            newest = _parse_time(data["newest"]) if data.get("newest") else None
            last = datetime.fromisoformat(data["last_full"]) if data.get("last_full") else None
        except (ValueError, KeyError, TypeError):
            return None
        return FormsCursor(newest, last)


def _parse_time(text: str) -> datetime:
    """RFC 3339 from Google ("2026-11-22T03:15:30.123456789Z") as an aware UTC datetime
    (Python 3.11 reads "Z" and any number of fraction digits)."""
    dt = datetime.fromisoformat(text.strip())
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _rfc3339(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _filter_bound(dt: datetime) -> str:
    # whole seconds, rounded down: an earlier bound only re-reads a little more
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------
# The source
# ---------------------------------------------------------------------------------------


class Compactor:
    """What the responses of one read share: equal answers are one (never changed) list,
    and, when the form's question ids are known, answers are laid over them
    (``SparseAnswers``) instead of a dict each. A province's form has 200,000 responses
    whose answers are mostly the same few choices and scores."""

    def __init__(self, question_ids: Sequence[str] = ()) -> None:
        self.names = tuple(dict.fromkeys([*question_ids, EMAIL_KEY]))
        self.index = {n: i for i, n in enumerate(self.names)}
        self._lists: dict[tuple[str, ...], list[str]] = {}

    def answer(self, values: tuple[str, ...]) -> list[str]:
        found = self._lists.get(values)
        if found is None:
            found = self._lists[values] = list(values)
        return found

    def answers(self, given: dict[str, list[str]]) -> Mapping[str, Answer]:
        if not self.names or any(k not in self.index for k in given):
            return given  # a question gone from the form: a plain dict for this one
        cells: list[Answer | None] = [None] * len(self.names)
        for k, v in given.items():
            cells[self.index[k]] = v
        return SparseAnswers(self.names, cells, self.index)


def to_raw_response(
    source_id: str, response: Mapping[str, Any], compact: Compactor | None = None
) -> RawResponse:
    """One Forms API response: text answers as lists of strings (file uploads ignored)."""
    rid = str(response["responseId"])
    answers: dict[str, list[str]] = {}
    for qid, answer in (response.get("answers") or {}).items():
        text = answer.get("textAnswers")
        if text is None:
            continue  # file uploads, grades: nothing the normaliser reads
        values = [str(a.get("value", "")) for a in text.get("answers", []) or []]
        answers[qid] = compact.answer(tuple(values)) if compact is not None else values
    email = response.get("respondentEmail")
    if email:
        answers[EMAIL_KEY] = [str(email)]
    stamp = response.get("lastSubmittedTime") or response.get("createTime")
    return RawResponse(
        source_id=source_id,
        response_id=rid,
        row_label=f"Phản hồi {rid[:10]}…" if len(rid) > 10 else f"Phản hồi {rid}",
        answers=compact.answers(answers) if compact is not None else answers,
        submitted_at=_parse_time(stamp) if stamp else None,
        keyed_by="question_id",
    )


class FormsSource:
    """A form read through the Forms API (the account must be an editor of the form)."""

    def __init__(
        self,
        apis: GoogleApis,
        source_id: str,
        form_id: str,
        mapping: FormMapping,
        *,
        source_title: str,
        full_resync_at: time = time(2, 0),
        tz: tzinfo,
        overlap: timedelta = timedelta(minutes=5),
        page_size: int = MAX_PAGE_SIZE,
        rubric: Rubric | None = None,
    ) -> None:
        self.apis = apis
        self.source_id = source_id
        self.form_id = form_id
        self.mapping = mapping
        self.source_title = source_title
        self.full_resync_at = full_resync_at
        self.tz = tz
        self.overlap = overlap
        self.page_size = max(1, min(page_size, MAX_PAGE_SIZE))
        self.rubric = rubric

    def fetch(self, cursor: str | None, now: datetime) -> FetchResult:
        state = FormsCursor.loads(cursor)
        full = state is None or needs_full_read(state.last_full, now, self.full_resync_at, self.tz)
        try:
            form = self.apis.execute("forms", self.apis.forms().forms().get(formId=self.form_id))
            since = None
            if not full and state is not None and state.newest is not None:
                since = state.newest - self.overlap
            # each page becomes compact responses at once: a form's 200,000 answers are
            # never all held as Google's JSON
            compact = Compactor(list(question_titles(form)))
            responses = tuple(
                to_raw_response(self.source_id, r, compact) for r in self._responses(since)
            )
        except GoogleApiError as e:
            raise SourceError(self._error(e)) from e
        stamps = [r.submitted_at for r in responses if r.submitted_at is not None]
        newest = max(stamps, default=None)
        if not full and state is not None and state.newest is not None:
            newest = max(newest, state.newest) if newest else state.newest
        last_full = now if full else (state.last_full if state else None)
        return FetchResult(
            responses=responses,
            complete=full,
            # the form's own list of responses: one missing from it was deleted on the form
            authoritative=full,
            cursor=FormsCursor(newest, last_full).dumps(),
            question_titles=question_titles(form),
            problems=tuple(
                mapping_drift(
                    self.mapping, form_questions(form), self.source_title, rubric=self.rubric
                )
            ),
        )

    def _responses(self, since: datetime | None) -> Iterator[Mapping[str, Any]]:
        api = self.apis.forms().forms().responses()
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"formId": self.form_id, "pageSize": self.page_size}
            if since is not None:
                kwargs["filter"] = f"timestamp >= {_filter_bound(since)}"
            if token:
                kwargs["pageToken"] = token
            page = self.apis.execute("forms", api.list(**kwargs))
            token = page.get("nextPageToken")
            yield from page.get("responses", []) or []  # one page held at a time
            if not token:
                return

    def _error(self, e: GoogleApiError) -> str:
        if e.status == 404:
            return f"Không tìm thấy biểu mẫu {self.form_id} (kiểm tra 'form_id' trong cấu hình)"
        if e.not_shared:
            who = f" {self.apis.account}" if self.apis.account else ""
            return (
                f"Tài khoản{who} chưa được chia sẻ biểu mẫu {self.form_id} (cần quyền chỉnh "
                "sửa để đọc câu trả lời)"
            )
        return f"Không đọc được biểu mẫu {self.form_id}: {e}"


def responder_uri(apis: GoogleApis, form_id: str) -> str:
    """The form's public page (``responderUri`` of ``forms.get``): the base of prefilled
    links (sync/prefill.py) for a source read through the API without a ``form_url``.
    "" when Google gives none; GoogleApiError when the form cannot be read."""
    form = apis.execute("forms", apis.forms().forms().get(formId=form_id))
    return str(form.get("responderUri") or "")
