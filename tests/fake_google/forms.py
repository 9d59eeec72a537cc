"""Forms v1 state and behaviour of the fake: forms, their items and responses."""

from __future__ import annotations

import base64
import copy
import json
import random
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .discovery import ApiError, bad_request

MAX_PAGE_SIZE = 5000


def rfc3339(moment: datetime) -> str:
    """UTC with 'Z' and 0, 3 or 6 fractional digits (proto3 JSON Timestamp style)."""
    moment = moment.astimezone(UTC)
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    micros = moment.microsecond
    if micros == 0:
        return base + "Z"
    if micros % 1000 == 0:
        return f"{base}.{micros // 1000:03d}Z"
    return f"{base}.{micros:06d}Z"


_TIMESTAMP_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z")
_FILTER_RE = re.compile(r"\s*timestamp\s*(>=|>)\s*(\S+)\s*")


def parse_timestamp(text: str) -> datetime | None:
    m = _TIMESTAMP_RE.fullmatch(text)
    if not m:
        return None
    frac = (m.group(7) or "").ljust(6, "0")[:6]
    try:
        return datetime(*(int(m.group(i)) for i in range(1, 7)), int(frac), tzinfo=UTC)
    except ValueError:
        return None


def _aware(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (got {moment!r})")
    return moment.astimezone(UTC)


@dataclass
class StoredResponse:
    response_id: str
    create_time: datetime
    last_submitted: datetime
    answers: dict[str, list[str]]
    email: str | None = None

    def key(self) -> tuple[datetime, str]:
        return self.last_submitted, self.response_id

    def resource(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "responseId": self.response_id,
            "createTime": rfc3339(self.create_time),
            "lastSubmittedTime": rfc3339(self.last_submitted),
        }
        if self.email is not None:
            out["respondentEmail"] = self.email
        if self.answers:
            out["answers"] = {
                qid: {
                    "questionId": qid,
                    "textAnswers": {"answers": [{"value": v} for v in values]},
                }
                for qid, values in self.answers.items()
            }
        return out


@dataclass
class Form:
    form_id: str
    title: str
    document_title: str
    items: list[dict[str, Any]]
    linked_sheet_id: str | None
    email_collection: str | None
    revision: int = 1
    responses: dict[str, StoredResponse] = field(default_factory=dict)

    def question_ids(self) -> set[str]:
        ids: set[str] = set()
        for item in self.items:
            question = (item.get("questionItem") or {}).get("question") or {}
            if "questionId" in question:
                ids.add(question["questionId"])
            for q in (item.get("questionGroupItem") or {}).get("questions") or []:
                if "questionId" in q:
                    ids.add(q["questionId"])
        return ids

    def resource(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "formId": self.form_id,
            "info": {"title": self.title, "documentTitle": self.document_title},
            "revisionId": f"{self.revision:08d}",
            "responderUri": f"https://docs.google.com/forms/d/e/1FAIpQL{self.form_id}/viewform",
        }
        settings: dict[str, Any] = {}
        if self.email_collection:
            settings["emailCollectionType"] = self.email_collection
        out["settings"] = settings
        if self.items:
            out["items"] = copy.deepcopy(self.items)
        if self.linked_sheet_id:
            out["linkedSheetId"] = self.linked_sheet_id
        out["publishSettings"] = {
            "publishState": {"isPublished": True, "isAcceptingResponses": True}
        }
        return out


class FormsState:
    def __init__(self, *, seed: int = 20261123) -> None:
        self.forms: dict[str, Form] = {}
        self._rng = random.Random(seed)

    def new_response_id(self) -> str:
        alphabet = string.ascii_letters + string.digits + "-_"
        return "ACYDBN" + "".join(self._rng.choice(alphabet) for _ in range(44))

    def form(self, form_id: str) -> Form:
        form = self.forms.get(form_id)
        if form is None:
            raise ApiError(404, "Requested entity was not found.")
        return form

    # -- set-up -------------------------------------------------------------------------

    def add_form(
        self,
        form_id: str,
        title: str,
        items: Sequence[Mapping[str, Any]],
        *,
        linked_sheet_id: str | None,
        document_title: str | None,
        email_collection: str | None,
    ) -> Form:
        if form_id in self.forms:
            raise ValueError(f"form {form_id!r} already exists")
        form = Form(
            form_id,
            title,
            document_title if document_title is not None else title,
            [copy.deepcopy(dict(i)) for i in items],
            linked_sheet_id,
            email_collection,
        )
        self.forms[form_id] = form
        return form

    def set_items(self, form_id: str, items: Sequence[Mapping[str, Any]]) -> None:
        form = self.forms[form_id]
        form.items = [copy.deepcopy(dict(i)) for i in items]
        form.revision += 1

    @staticmethod
    def _answers(
        form: Form, answers: Mapping[str, str | Iterable[str]], strict: bool
    ) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        known = form.question_ids()
        for qid, value in answers.items():
            if strict and qid not in known:
                raise KeyError(
                    f"form {form.form_id!r} has no question {qid!r} (questions: {sorted(known)})"
                )
            out[qid] = [value] if isinstance(value, str) else [str(v) for v in value]
        return out

    def add_response(
        self,
        form_id: str,
        answers: Mapping[str, str | Iterable[str]],
        *,
        submitted: datetime,
        response_id: str | None,
        created: datetime | None,
        email: str | None,
        strict: bool = True,
    ) -> str:
        form = self.forms[form_id]
        last = _aware(submitted, "submitted")
        first = _aware(created, "created") if created is not None else last
        if first > last:
            raise ValueError("created must not be after submitted")
        rid = response_id or self.new_response_id()
        if rid in form.responses:
            raise ValueError(f"response {rid!r} already exists in form {form_id!r}")
        form.responses[rid] = StoredResponse(
            rid, first, last, self._answers(form, answers, strict), email
        )
        return rid

    def edit_response(
        self,
        form_id: str,
        response_id: str,
        answers: Mapping[str, str | Iterable[str]],
        submitted: datetime,
        *,
        strict: bool = True,
    ) -> None:
        form = self.forms[form_id]
        stored = form.responses[response_id]
        last = _aware(submitted, "submitted")
        if last <= stored.last_submitted:
            raise ValueError(
                f"an edit must be submitted after {stored.last_submitted.isoformat()} "
                f"(got {last.isoformat()})"
            )
        stored.answers = self._answers(form, answers, strict)
        stored.last_submitted = last

    def delete_response(self, form_id: str, response_id: str) -> None:
        del self.forms[form_id].responses[response_id]

    # -- method handlers ----------------------------------------------------------------

    def get(self, form_id: str) -> dict[str, Any]:
        return self.form(form_id).resource()

    def response_get(self, form_id: str, response_id: str) -> dict[str, Any]:
        stored = self.form(form_id).responses.get(response_id)
        if stored is None:
            raise ApiError(404, "Requested entity was not found.")
        return stored.resource()

    def responses_list(self, form_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        flt = params.get("filter") or ""
        op, bound = "", None
        if flt:
            m = _FILTER_RE.fullmatch(flt)
            bound = parse_timestamp(m.group(2)) if m else None
            if m is None or bound is None:
                raise bad_request(
                    f"Invalid filter: {flt!r}. Supported: 'timestamp > T' and 'timestamp >= T' "
                    "with T in RFC3339 UTC (e.g. 2014-10-02T15:01:23Z)."
                )
            op = m.group(1)
        size = params.get("pageSize") or 0
        if size < 0:
            raise bad_request("pageSize must not be negative.")
        size = MAX_PAGE_SIZE if size == 0 else min(size, MAX_PAGE_SIZE)
        after: tuple[datetime, str] | None = None
        token = params.get("pageToken")
        if token:
            after = self._decode_token(form_id, token, flt)
        form = self.form(form_id)
        selected = []
        for stored in form.responses.values():
            if bound is not None:
                if op == ">" and not stored.last_submitted > bound:
                    continue
                if op == ">=" and not stored.last_submitted >= bound:
                    continue
            if after is not None and stored.key() <= after:
                continue
            selected.append(stored)
        selected.sort(key=StoredResponse.key)
        page = selected[:size]
        out: dict[str, Any] = {}
        if page:
            out["responses"] = [s.resource() for s in page]
        if len(selected) > size:
            out["nextPageToken"] = self._encode_token(form_id, page[-1].key(), flt)
        return out

    @staticmethod
    def _encode_token(form_id: str, key: tuple[datetime, str], flt: str) -> str:
        data = {"f": form_id, "t": key[0].isoformat(), "r": key[1], "q": flt}
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def _decode_token(form_id: str, token: str, flt: str) -> tuple[datetime, str]:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            data = json.loads(raw)
            key = (datetime.fromisoformat(data["t"]), str(data["r"]))
        except (ValueError, KeyError, TypeError):
            raise bad_request("Invalid page token.") from None
        if data.get("f") != form_id or data.get("q") != flt:
            raise bad_request(
                "The page token does not match the request: the form and the filter must be "
                "the same as for the request that returned it."
            )
        return key
