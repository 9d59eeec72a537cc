"""``FakeWorkspace``: a stateful fake of Google's Forms v1, Sheets v4 and Gmail v1 REST
APIs (and Drive v3 ``files.get``) on 127.0.0.1, for the real google-api-python-client and
gspread. See the package docstring for the public API."""

from __future__ import annotations

import contextlib
import copy
import json
import socket
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from .cells import Box
from .discovery import (
    ApiError,
    MaskTree,
    Route,
    Router,
    apply_fields_mask,
    bad_request,
    check_fields_mask,
    guess_api,
    validate_query,
)
from .forms import FormsState, rfc3339
from .gmail import GmailState, StoredMessage, parse_upload
from .sheets import DEFAULT_PIXEL_SIZE, CellView, SheetsState

DEFAULT_MAX_REQUEST_BYTES = 10 * 1024 * 1024


class DropConnection(Exception):  # noqa: N818 - the name says what happens
    """Raise from ``FakeWorkspace.on_send`` to close the connection without an answer."""


@dataclass
class RecordedRequest:
    """One request the fake received. ``status`` 0 means the connection was dropped."""

    api: str
    method_id: str
    http_method: str
    path: str
    query: dict[str, list[str]]
    body: object | None
    status: int
    body_size: int = 0
    path_params: dict[str, str] = field(default_factory=dict)


@dataclass
class _Fault:
    kind: Literal["fail", "drop"]
    remaining: int
    status: int = 503
    api: str | None = None
    method_id: str | None = None
    retry_after: float | None = None
    after_effect: bool = False
    reason: str | None = None
    message: str | None = None
    skip: int = 0  # matching requests let through before the fault applies

    def matches(self, route: Route) -> bool:
        return (self.api is None or self.api == route.api) and (
            self.method_id is None or self.method_id == route.method_id
        )


@dataclass
class _Outcome:
    status: int
    payload: Any
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    sent: StoredMessage | None = None
    record: RecordedRequest | None = None


@cache
def _router() -> Router:
    return Router()


_QUOTA_METRIC = {
    "sheets": ("sheets.googleapis.com", "Read requests", "Write requests"),
    "forms": ("forms.googleapis.com", "Read requests", "Write requests"),
    "gmail": ("gmail.googleapis.com", "Queries", "Queries"),
    "drive": ("drive.googleapis.com", "Queries", "Queries"),
}

_RESOURCE_PARAMS = ("formId", "spreadsheetId", "fileId")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, workspace: FakeWorkspace) -> None:
        self.workspace = workspace
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self.connections_lock:
            open_now = list(self.connections)
            self.connections.clear()
        for sock in open_now:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        return

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = bytearray()
            while True:
                line = self.rfile.readline()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(data)
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        workspace = self.server.workspace
        body = self._read_body()
        outcome = workspace._process(self.command, self.path, self.headers, body)
        if not outcome.drop and outcome.sent is not None and workspace.on_send is not None:
            try:
                workspace.on_send(outcome.sent.parsed_copy())
            except DropConnection:
                outcome.drop = True
                if outcome.record is not None:
                    outcome.record.status = 0
            except Exception as exc:  # a failing hook is a 500, not a silent hang-up
                traceback.print_exc()
                outcome.status = 500
                outcome.payload = ApiError(500, f"on_send hook failed: {exc!r}").body("gmail")
                if outcome.record is not None:
                    outcome.record.status = 500
        if outcome.drop:
            self.close_connection = True
            return
        data = json.dumps(outcome.payload, ensure_ascii=False).encode("utf-8")
        self.send_response(outcome.status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in outcome.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch


class FakeWorkspace:
    """The fake Google Workspace. Use as ``with FakeWorkspace() as fake:`` or
    ``start()`` / ``stop()``; point the clients at ``fake.url``."""

    def __init__(
        self,
        *,
        quota_per_minute: Mapping[str, int | None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        token: str = "fake-token",
        gmail_address: str = "dang-uy@phuong.example",
    ) -> None:
        self.router = _router()
        self.token = token
        self.clock = clock
        self.quota_per_minute: dict[str, int | None] = dict(quota_per_minute or {})
        self.max_request_bytes = DEFAULT_MAX_REQUEST_BYTES
        self.on_send: Callable[[EmailMessage], None] | None = None
        self.requests: list[RecordedRequest] = []
        self.forms_state = FormsState()
        self.sheets_state = SheetsState(self.router.documents["sheets"].get("schemas", {}))
        self.gmail_state = GmailState(address=gmail_address)
        self._denied: set[str] = set()
        self._faults: list[_Fault] = []
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> FakeWorkspace:
        if self._server is None:
            self._server = _Server(self)
            port = self._server.server_address[1]
            self.url = f"http://127.0.0.1:{port}/"
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"fake-google-{port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeWorkspace:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- settings -----------------------------------------------------------------------

    @property
    def rewrite_message_id(self) -> bool:
        return self.gmail_state.rewrite_message_id

    @rewrite_message_id.setter
    def rewrite_message_id(self, value: bool) -> None:
        self.gmail_state.rewrite_message_id = value

    # -- Forms --------------------------------------------------------------------------

    def add_form(
        self,
        form_id: str,
        title: str,
        items: Sequence[Mapping[str, Any]],
        *,
        linked_sheet_id: str | None = None,
        document_title: str | None = None,
        email_collection: str | None = None,
    ) -> None:
        self._check_items(items)
        with self._lock:
            self.forms_state.add_form(
                form_id,
                title,
                items,
                linked_sheet_id=linked_sheet_id,
                document_title=document_title,
                email_collection=email_collection,
            )

    def set_form_items(self, form_id: str, items: Sequence[Mapping[str, Any]]) -> None:
        self._check_items(items)
        with self._lock:
            self.forms_state.set_items(form_id, items)

    def _check_items(self, items: Sequence[Mapping[str, Any]]) -> None:
        validator = self.router.validator("forms")
        for i, item in enumerate(items):
            try:
                validator.check("Item", dict(item), location=f"items[{i}]")
            except ApiError as exc:
                raise ValueError(f"items[{i}] is not a Forms API Item: {exc.message}") from None

    def add_response(
        self,
        form_id: str,
        answers: Mapping[str, str | Iterable[str]],
        *,
        submitted: datetime,
        response_id: str | None = None,
        created: datetime | None = None,
        email: str | None = None,
        strict: bool = True,
    ) -> str:
        with self._lock:
            return self.forms_state.add_response(
                form_id,
                answers,
                submitted=submitted,
                response_id=response_id,
                created=created,
                email=email,
                strict=strict,
            )

    def edit_response(
        self,
        form_id: str,
        response_id: str,
        answers: Mapping[str, str | Iterable[str]],
        submitted: datetime,
        *,
        strict: bool = True,
    ) -> None:
        with self._lock:
            self.forms_state.edit_response(form_id, response_id, answers, submitted, strict=strict)

    def delete_response(self, form_id: str, response_id: str) -> None:
        with self._lock:
            self.forms_state.delete_response(form_id, response_id)

    def form_responses(self, form_id: str) -> list[dict[str, Any]]:
        """The form's responses as the API returns them, in list order."""
        with self._lock:
            stored = sorted(
                self.forms_state.forms[form_id].responses.values(), key=lambda s: s.key()
            )
            return [s.resource() for s in stored]

    def deny(self, resource_id: str) -> None:
        """Requests naming this form / spreadsheet / file id get 403 PERMISSION_DENIED."""
        with self._lock:
            self._denied.add(resource_id)

    def allow(self, resource_id: str) -> None:
        with self._lock:
            self._denied.discard(resource_id)

    # -- Sheets -------------------------------------------------------------------------

    def add_spreadsheet(
        self,
        spreadsheet_id: str,
        tabs: Mapping[str, Sequence[Sequence[object]]],
        *,
        title: str = "Bảng tính",
        locale: str = "vi_VN",
        time_zone: str = "Asia/Ho_Chi_Minh",
        grid_rows: int | None = None,
    ) -> None:
        """``grid_rows``: every tab's row count (default: max(1000, its rows), as Google
        makes a new tab), e.g. exactly its rows, as a form's response tab has."""
        with self._lock:
            self.sheets_state.add_spreadsheet(
                spreadsheet_id,
                tabs,
                title=title,
                locale=locale,
                time_zone=time_zone,
                grid_rows=grid_rows,
            )

    def values(self, spreadsheet_id: str, tab: str) -> list[list[str]]:
        """The tab's formatted values, trailing empty cells and rows trimmed."""
        with self._lock:
            ss = self.sheets_state.spreadsheets[spreadsheet_id]
            sheet = self.sheets_state.tab(spreadsheet_id, tab)
            return [
                [str(v) for v in row]
                for row in self.sheets_state.read(ss, sheet, Box(0, 0, None, None))
            ]

    def cell(self, spreadsheet_id: str, tab: str, a1: str) -> CellView:
        with self._lock:
            return self.sheets_state.cell_view(spreadsheet_id, tab, a1)

    def sheet(self, spreadsheet_id: str, tab: str) -> dict[str, Any]:
        """The tab's properties (sheetId, title, index, gridProperties with rowCount,
        columnCount, frozenRowCount and frozenColumnCount always present)."""
        with self._lock:
            ss = self.sheets_state.spreadsheets[spreadsheet_id]
            sheet = self.sheets_state.tab(spreadsheet_id, tab)
            props = self.sheets_state.sheet_properties(ss, sheet)
            grid = props.setdefault("gridProperties", {})
            grid.setdefault("frozenRowCount", 0)
            grid.setdefault("frozenColumnCount", 0)
            return props

    def tab_titles(self, spreadsheet_id: str) -> list[str]:
        with self._lock:
            return [s.title for s in self.sheets_state.spreadsheets[spreadsheet_id].sheets]

    def column_widths(self, spreadsheet_id: str, tab: str) -> dict[int, int]:
        """Column index (0 = A) -> pixelSize, for the columns whose width was set."""
        with self._lock:
            sheet = self.sheets_state.tab(spreadsheet_id, tab)
            return {
                c: int(p["pixelSize"]) for c, p in sorted(sheet.columns.items()) if "pixelSize" in p
            }

    def basic_filter(self, spreadsheet_id: str, tab: str) -> dict[str, Any] | None:
        with self._lock:
            return self.sheets_state.tab(spreadsheet_id, tab).basic_filter

    def conditional_formats(self, spreadsheet_id: str, tab: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.sheets_state.tab(spreadsheet_id, tab).conditional_formats)

    def charts(self, spreadsheet_id: str, tab: str) -> list[dict[str, Any]]:
        """The tab's charts (EmbeddedChart resources, chartId included), oldest first."""
        with self._lock:
            return copy.deepcopy(self.sheets_state.tab(spreadsheet_id, tab).charts)

    # -- Gmail --------------------------------------------------------------------------

    def sent_messages(self) -> list[EmailMessage]:
        """Every message sent so far (as stored by Gmail, Message-ID rewritten)."""
        with self._lock:
            return self.gmail_state.sent_messages()

    # -- faults -------------------------------------------------------------------------

    def fail_next(
        self,
        n: int,
        status: int = 503,
        *,
        api: str | None = None,
        method_id: str | None = None,
        retry_after: float | None = None,
        reason: str | None = None,
        message: str | None = None,
    ) -> None:
        """The next ``n`` matching requests get ``status`` (nothing is applied). ``reason``
        / ``message`` override ``errors[0].reason`` and the message, e.g. a Gmail-style
        ``fail_next(1, 403, reason="userRateLimitExceeded")``."""
        with self._lock:
            self._faults.append(
                _Fault(
                    "fail",
                    n,
                    status,
                    api,
                    method_id,
                    retry_after=retry_after,
                    reason=reason,
                    message=message,
                )
            )

    def drop_next(
        self,
        n: int,
        *,
        api: str | None = None,
        method_id: str | None = None,
        after_effect: bool = False,
        skip: int = 0,
    ) -> None:
        """The next ``n`` matching requests get no answer: the connection is closed (with
        ``after_effect`` only after the request was applied). ``skip``: that many matching
        requests are answered first."""
        with self._lock:
            self._faults.append(
                _Fault(
                    "drop", n, api=api, method_id=method_id, after_effect=after_effect, skip=skip
                )
            )

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # -- recorded requests --------------------------------------------------------------

    def reset_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def calls(self, api: str | None = None, method_id: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [
                r
                for r in self.requests
                if (api is None or r.api == api) and (method_id is None or r.method_id == method_id)
            ]

    def write_calls(self, api: str | None = "sheets") -> list[RecordedRequest]:
        """Requests (answered or not) that are not GETs."""
        return [r for r in self.calls(api) if r.http_method != "GET"]

    # -- request processing -------------------------------------------------------------

    def _process(
        self, http_method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> _Outcome:
        split = urlsplit(target)
        raw_path = split.path
        query = parse_qs(split.query, keep_blank_values=True)
        match = self.router.match(http_method, raw_path)
        record = RecordedRequest(
            api=match[0].api if match else guess_api(raw_path),
            method_id=match[0].method_id if match else "",
            http_method=http_method,
            path=unquote(raw_path),
            query=query,
            body=_record_body(body),
            status=0,
            body_size=len(body),
            path_params=dict(match[1]) if match else {},
        )
        with self._lock:
            fault: _Fault | None = None
            try:
                if match is None:
                    raise ApiError(404, f"Method not found: {http_method} {unquote(raw_path)}")
                route, path_params = match
                self._authenticate(headers)
                fault = self._take_fault(route)
                if fault is not None and fault.kind == "drop" and not fault.after_effect:
                    self.requests.append(record)
                    return _Outcome(0, None, drop=True, record=record)
                if fault is not None and fault.kind == "fail":
                    extra = {}
                    if fault.retry_after is not None:
                        extra["Retry-After"] = _seconds(fault.retry_after)
                    raise ApiError(fault.status, fault.message, reason=fault.reason, headers=extra)
                self._check_quota(route)
                if route.api == "sheets" and len(body) > self.max_request_bytes:
                    raise bad_request(
                        f"Request payload size exceeds the limit: {self.max_request_bytes} bytes."
                    )
                params = validate_query(
                    route, query, path_params, ignore_unknown=route.api == "drive"
                )
                # checked before anything is applied: a wrong mask changes nothing
                mask: MaskTree | None = None
                if params.get("fields"):
                    schemas = self.router.documents[route.api].get("schemas", {})
                    mask = check_fields_mask(route, str(params["fields"]), schemas)
                payload, media = self._decode_body(route, headers, body, params)
                for name in _RESOURCE_PARAMS:
                    if path_params.get(name) in self._denied:
                        raise ApiError(403, "The caller does not have permission")
                status, result, sent = self._call(route, path_params, params, payload, media)
                if mask is not None:
                    result = apply_fields_mask(result, mask)
                outcome = _Outcome(status, result, sent=sent)
            except ApiError as exc:
                outcome = _Outcome(exc.code, exc.body(record.api), headers=exc.headers)
            except Exception as exc:  # a bug in the fake: answer it instead of hanging up
                traceback.print_exc()
                outcome = _Outcome(
                    500, ApiError(500, f"fake_google internal error: {exc!r}").body(record.api)
                )
            record.status = outcome.status
            outcome.record = record
            self.requests.append(record)
            if fault is not None and fault.kind == "drop":
                record.status = 0
                outcome.drop = True
            return outcome

    def _authenticate(self, headers: Mapping[str, str]) -> None:
        if headers.get("Authorization") != f"Bearer {self.token}":
            raise ApiError(
                401,
                headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )

    def _take_fault(self, route: Route) -> _Fault | None:
        for fault in self._faults:
            if fault.remaining > 0 and fault.matches(route):
                if fault.skip:
                    fault.skip -= 1
                    continue
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _check_quota(self, route: Route) -> None:
        limit = self.quota_per_minute.get(route.api)
        if limit is None:
            return
        now = self.clock()
        hits = self._hits.setdefault(route.api, deque())
        while hits and hits[0] <= now - 60.0:
            hits.popleft()
        if len(hits) >= limit:
            service, read, write = _QUOTA_METRIC.get(
                route.api, (f"{route.api}.googleapis.com", "Queries", "Queries")
            )
            metric = read if route.http_method == "GET" else write
            raise ApiError(
                429,
                f"Quota exceeded for quota metric '{metric}' and limit '{metric} per minute "
                f"per user' of service '{service}' for consumer 'project_number:000000000000'.",
                headers={"Retry-After": "1"},
                details=[
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "RATE_LIMIT_EXCEEDED",
                        "domain": "googleapis.com",
                        "metadata": {
                            "quota_metric": f"{service}/{metric.lower().replace(' ', '_')}",
                            "quota_limit_value": str(limit),
                            "service": service,
                        },
                    }
                ],
            )
        hits.append(now)

    def _decode_body(
        self,
        route: Route,
        headers: Mapping[str, str],
        body: bytes,
        params: Mapping[str, Any],
    ) -> tuple[Any, bytes | None]:
        validator = self.router.validator(route.api)
        media: bytes | None = None
        decoded: Any = None
        if route.media:
            upload = params.get("uploadType")
            if upload == "multipart":
                decoded, media = parse_upload(headers.get("Content-Type") or "", body)
            elif upload == "media":
                media = body
            else:
                raise bad_request(
                    f"uploadType={upload!r}: the fake supports 'media' and 'multipart' uploads "
                    "only (no resumable uploads)."
                )
        elif body.strip():
            try:
                decoded = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                raise bad_request(f"Invalid JSON payload received. {exc}") from None
        if route.request_ref is None:
            if decoded not in (None, {}):
                raise bad_request(
                    "Invalid JSON payload received. Unknown name: this method takes no "
                    "request body."
                )
            return None, media
        if decoded is None:
            decoded = {}
        if not isinstance(decoded, dict):
            raise bad_request(
                f"Invalid JSON payload received. Expected an object, got {type(decoded).__name__}."
            )
        return validator.check(route.request_ref, decoded), media

    def _call(
        self,
        route: Route,
        path: Mapping[str, str],
        params: Mapping[str, Any],
        body: Any,
        media: bytes | None,
    ) -> tuple[int, Any, StoredMessage | None]:
        mid = route.method_id
        forms, sheets, gmail = self.forms_state, self.sheets_state, self.gmail_state
        result: Any
        if mid == "forms.forms.get":
            result = forms.get(path["formId"])
        elif mid == "forms.forms.responses.list":
            result = forms.responses_list(path["formId"], params)
        elif mid == "forms.forms.responses.get":
            result = forms.response_get(path["formId"], path["responseId"])
        elif mid == "sheets.spreadsheets.get":
            result = sheets.spreadsheets_get(path["spreadsheetId"], params)
        elif mid == "sheets.spreadsheets.batchUpdate":
            result = sheets.batch_update(path["spreadsheetId"], body)
        elif mid == "sheets.spreadsheets.values.get":
            result = sheets.values_get(path["spreadsheetId"], path["range"], params)
        elif mid == "sheets.spreadsheets.values.batchGet":
            result = sheets.values_batch_get(path["spreadsheetId"], params)
        elif mid == "sheets.spreadsheets.values.update":
            result = sheets.values_update(path["spreadsheetId"], path["range"], params, body)
        elif mid == "sheets.spreadsheets.values.batchUpdate":
            result = sheets.values_batch_update(path["spreadsheetId"], body)
        elif mid == "sheets.spreadsheets.values.append":
            result = sheets.values_append(path["spreadsheetId"], path["range"], params, body)
        elif mid == "sheets.spreadsheets.values.clear":
            result = sheets.values_clear(path["spreadsheetId"], path["range"])
        elif mid == "sheets.spreadsheets.values.batchClear":
            result = sheets.values_batch_clear(path["spreadsheetId"], body)
        elif mid == "gmail.users.messages.send":
            result, stored = gmail.send(path["userId"], body, media)
            return 200, result, stored
        elif mid == "gmail.users.messages.list":
            result = gmail.list(path["userId"], params)
        elif mid == "gmail.users.messages.get":
            result = gmail.get(path["userId"], path["id"], params)
        elif mid == "gmail.users.getProfile":
            result = gmail.profile(path["userId"])
        elif mid == "drive.files.get":
            result = self._drive_file(path["fileId"])
        else:
            raise ApiError(501, f"The fake Google Workspace does not model {mid}.")
        return 200, result, None

    def _drive_file(self, file_id: str) -> dict[str, Any]:
        ss = self.sheets_state.spreadsheets.get(file_id)
        if ss is not None:
            return {
                "kind": "drive#file",
                "id": file_id,
                "name": ss.title,
                "mimeType": "application/vnd.google-apps.spreadsheet",
                "createdTime": rfc3339(ss.created),
                "modifiedTime": rfc3339(ss.modified),
            }
        form = self.forms_state.forms.get(file_id)
        if form is not None:
            return {
                "kind": "drive#file",
                "id": file_id,
                "name": form.document_title,
                "mimeType": "application/vnd.google-apps.form",
            }
        raise ApiError(404, f"File not found: {file_id}.", location="fileId")


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _record_body(body: bytes) -> object | None:
    if not body:
        return None
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return body


__all__ = [
    "DEFAULT_PIXEL_SIZE",
    "CellView",
    "DropConnection",
    "FakeWorkspace",
    "RecordedRequest",
]
