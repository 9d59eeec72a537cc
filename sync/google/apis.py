"""One client for the Google APIs the daemon uses: Forms, Sheets (through gspread's
low-level client) and Gmail.

Every call goes through ``GoogleApis.call`` / ``execute`` (or ``call_once`` for a call that
must never be repeated, such as sending a message): a per-API client-side rate limit keeps
a steady cycle under Google's per-minute quotas, 429/5xx answers and dropped connections
are retried with exponential backoff (full jitter, ``Retry-After`` honoured), and whatever
still fails becomes a ``GoogleApiError`` whose message a ward's staff can act on, in
Vietnamese. Discovery documents are the ones bundled with google-api-python-client, so
building a service makes no request; with ``root_url`` every request goes to that server
instead of Google (the tests' fake Workspace).
"""

from __future__ import annotations

import collections
import http.client
import json
import random
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, TypeVar
from urllib.parse import urlsplit

import google.auth.exceptions
import google_auth_httplib2
import gspread
import gspread.exceptions
import gspread.http_client
import httplib2
import requests
import requests.adapters
import tenacity
from google.auth.credentials import Credentials
from google.auth.transport.requests import AuthorizedSession
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError

from sync.errors import ServiceError

T = TypeVar("T")

DEFAULT_PER_MINUTE: dict[str, int] = {"sheets": 60, "forms": 180, "gmail": 250}
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
# 403 reasons that are rate limits, not missing permissions (Gmail and Drive use them)
RATE_LIMIT_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"}
)
# 403 reasons for a quota used up for the day (Gmail, Drive): not a missing permission
DAILY_LIMIT_REASONS = frozenset({"dailyLimitExceeded", "quotaExceeded"})
# 403 reasons that sharing the file with the account does not fix
API_DISABLED_REASONS = frozenset({"SERVICE_DISABLED", "accessNotConfigured"})
SCOPE_REASONS = frozenset({"ACCESS_TOKEN_SCOPE_INSUFFICIENT", "insufficientPermissions"})
# A Retry-After larger than this is capped: a cycle must not hang for hours on one header.
RETRY_AFTER_CAP = 600.0

API_LABELS: dict[str, str] = {
    "forms": "Google Biểu mẫu",
    "sheets": "Google Trang tính",
    "gmail": "Gmail",
}
# Hosts gspread talks to; with ``root_url`` they are redirected there.
REDIRECTED_HOSTS = frozenset({"sheets.googleapis.com", "www.googleapis.com"})

_DISCOVERY = {"forms": "forms.v1.json", "gmail": "gmail.v1.json"}
# OSError subclasses that are about files, not the network: never retried
_LOCAL_OS_ERRORS = (
    FileNotFoundError,
    FileExistsError,
    PermissionError,
    IsADirectoryError,
    NotADirectoryError,
)


class GoogleApiError(ServiceError):
    """A Google call failed for good (non-retryable, or out of attempts). Vietnamese message."""

    def __init__(
        self,
        message: str,
        *,
        api: str,
        status: int | None = None,
        reason: str = "",
        attempts: int = 1,
        transient: bool = False,
        detail: str = "",
        cause: str = "",
    ) -> None:
        super().__init__(message)
        self.status = status  # HTTP status, None for connection errors
        self.reason = reason  # Google's error status/reason, e.g. "PERMISSION_DENIED"
        self.api = api
        self.attempts = attempts
        self.transient = transient  # 429/5xx/connection: the next cycle may well succeed
        self.detail = detail  # Google's own (English) message, for -v diagnostics only
        self.cause = cause  # the precise reason (ErrorInfo / errors[0]), e.g. "SERVICE_DISABLED"

    @property
    def not_shared(self) -> bool:
        """A 403 that sharing the form/spreadsheet with the account would fix."""
        return self.status == 403 and self.cause not in (
            API_DISABLED_REASONS | SCOPE_REASONS | RATE_LIMIT_REASONS | DAILY_LIMIT_REASONS
        )


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    initial_wait: float = 1.0
    max_wait: float = 32.0


class RateLimiter:
    """At most ``per_minute`` requests in any 60-second window (sliding window)."""

    def __init__(
        self,
        per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be >= 1")
        self.per_minute = per_minute
        self._clock = clock
        self._sleep = sleep
        self._sent: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Block (through the injected sleep) until a request may go, then count it."""
        with self._lock:
            while True:
                now = self._clock()
                while self._sent and self._sent[0] <= now - 60.0:
                    self._sent.popleft()
                if len(self._sent) < self.per_minute:
                    self._sent.append(now)
                    return
                self._sleep(max(self._sent[0] + 60.0 - now, 0.001))


# ---------------------------------------------------------------------------------------
# Transport helpers
# ---------------------------------------------------------------------------------------


class RedirectAdapter(requests.adapters.HTTPAdapter):
    """Sends requests for Google's hosts to ``root_url`` instead (same path and query)."""

    def __init__(self, root_url: str, hosts: frozenset[str] = REDIRECTED_HOSTS) -> None:
        super().__init__()
        self.root_url = root_url.rstrip("/")
        self.hosts = hosts

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        url = request.url or ""
        parts = urlsplit(url)
        if parts.hostname in self.hosts:
            request.url = self.root_url + url[len(f"{parts.scheme}://{parts.netloc}") :]
            proxies = {}  # a proxy chosen for Google's host must not apply here
        return super().send(request, stream, timeout, verify, cert, proxies)


class ResendBlocked(ConnectionAbortedError):
    """The connection dropped after a request was sent; it is not sent a second time."""


class _OneRequest:
    """A connection that accepts one request: httplib2 silently re-sends a request once
    when the connection drops before the answer, which for a Gmail send could deliver
    the message twice."""

    def __init__(self, conn: Any) -> None:
        object.__setattr__(self, "_conn", conn)
        object.__setattr__(self, "_sent", False)

    def request(self, *args: Any, **kwargs: Any) -> Any:
        if self._sent:
            self._conn.close()
            raise ResendBlocked("kết nối bị ngắt trước khi nhận được phản hồi")
        object.__setattr__(self, "_sent", True)
        return self._conn.request(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._conn, name, value)


class SendOnceHttp(httplib2.Http):
    """httplib2.Http that never re-sends a request on its own (see _OneRequest)."""

    def _conn_request(
        self, conn: Any, request_uri: str, method: str, body: Any, headers: Any
    ) -> tuple[Any, bytes]:
        # private in httplib2, so absent from types-httplib2: there is no public hook
        return super()._conn_request(  # type: ignore[misc]
            _OneRequest(conn), request_uri, method, body, headers
        )

    def close_idle(self) -> None:
        """Close pooled connections so the next request opens a fresh one: a keep-alive
        connection the server closed meanwhile must not look like a failed send."""
        for conn in list(self.connections.values()):
            conn.close()


def _discovery_document(name: str, root_url: str | None) -> dict[str, Any]:
    path = resources.files("googleapiclient") / "discovery_cache" / "documents" / name
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if root_url:
        # api_endpoint alone would miss the media-upload and batch paths
        doc["rootUrl"] = root_url
        doc["mtlsRootUrl"] = root_url
        doc["baseUrl"] = root_url + doc.get("servicePath", "")
    return doc


# ---------------------------------------------------------------------------------------
# Failures: what went wrong, and whether trying again can help
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Failure:
    status: int | None
    reason: str = ""  # error.status ("PERMISSION_DENIED"), else the per-error reason
    detail: str = ""
    retry_after: float | None = None
    connection: bool = False
    inner: str = ""  # errors[0].reason ("userRateLimitExceeded", "accessNotConfigured")

    @property
    def retryable(self) -> bool:
        if self.connection:
            return True
        if self.status in RETRYABLE_STATUS:
            return True
        return self.status == 403 and self.inner in RATE_LIMIT_REASONS

    def has(self, *reasons: str) -> bool:
        return self.reason in reasons or self.inner in reasons


def _retry_after(value: object) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(str(value).strip())
    except ValueError:
        return None  # an HTTP-date: rare for Google APIs; the backoff applies
    return seconds if seconds >= 0 else None


def _error_body(data: object) -> tuple[str, str, str]:
    """(status, first per-error reason, message) from Google's JSON error body."""
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            return "", "", ""
    if not isinstance(data, dict):
        return "", "", ""
    err = data.get("error", data)
    if not isinstance(err, dict):
        return "", "", str(err)
    inner = ""
    errors = err.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        inner = str(errors[0].get("reason") or "")
    for d in err.get("details") or []:
        # google.rpc.ErrorInfo carries the precise cause ("SERVICE_DISABLED", ...)
        if (
            isinstance(d, dict)
            and str(d.get("@type", "")).endswith("ErrorInfo")
            and d.get("reason")
        ):
            inner = str(d["reason"])
            break
    return str(err.get("status") or ""), inner, str(err.get("message") or "")


def _classify(exc: BaseException) -> _Failure | None:
    """A Google/network failure, or None for anything else (propagated unchanged)."""
    if isinstance(exc, GoogleApiError):
        return None
    if isinstance(exc, HttpError):
        resp = exc.resp
        status, inner, message = _error_body(exc.content)
        return _Failure(
            status=int(resp.status),
            reason=status or inner,
            detail=message,
            retry_after=_retry_after(resp.get("retry-after")),
            inner=inner,
        )
    if isinstance(exc, gspread.exceptions.APIError):
        response = exc.response
        error = exc.error if isinstance(exc.error, Mapping) else {}
        status, inner, message = _error_body({"error": dict(error)})
        return _Failure(
            status=int(response.status_code),
            reason=status or inner,
            detail=message,
            retry_after=_retry_after(response.headers.get("Retry-After")),
            inner=inner,
        )
    if isinstance(exc, google.auth.exceptions.RefreshError):
        if getattr(exc, "retryable", False):
            return _Failure(None, "REFRESH_FAILED", type(exc).__name__, connection=True)
        return _Failure(401, "REFRESH_FAILED", type(exc).__name__)
    if isinstance(
        exc,
        google.auth.exceptions.TransportError
        | requests.exceptions.ConnectionError
        | requests.exceptions.Timeout
        | requests.exceptions.ChunkedEncodingError
        | httplib2.HttpLib2Error
        | http.client.HTTPException
        | socket.timeout
        | ConnectionError,
    ):
        return _Failure(None, detail=type(exc).__name__, connection=True)
    if isinstance(exc, OSError) and not isinstance(exc, _LOCAL_OS_ERRORS):
        return _Failure(None, detail=type(exc).__name__, connection=True)
    return None


_WHAT = {"forms": "biểu mẫu", "sheets": "bảng tính", "gmail": "hộp thư"}


def _message(api: str, f: _Failure, attempts: int, account: str | None) -> str:
    label = API_LABELS.get(api, api)
    what = _WHAT.get(api, "tài nguyên")
    who = f"tài khoản {account}" if account else "tài khoản mà chương trình dùng"
    tries = f"sau {attempts} lần thử" if attempts > 1 else "ngay lần thử đầu"
    if f.connection:
        return (
            f"{label}: không kết nối được tới máy chủ Google {tries} ({f.detail}); "
            "kiểm tra kết nối mạng, chu kỳ sau sẽ thử lại"
        )
    s = f.status
    if f.retryable:
        return f"{label}: Google tạm thời không phản hồi {tries} (mã {s}); chu kỳ sau sẽ thử lại"
    if s == 401:
        return (
            f"{label}: xác thực thất bại (mã 401): khóa tài khoản dịch vụ hoặc mã đăng nhập "
            "không còn hiệu lực; tạo khóa mới hoặc chạy lại 'kns auth login'"
        )
    if s == 403:
        if f.has(*DAILY_LIMIT_REASONS):
            return (
                f"{label}: đã hết hạn mức sử dụng trong ngày của Google (mã 403, {f.inner}); "
                "chu kỳ sau sẽ thử lại"
            )
        if f.has(*API_DISABLED_REASONS):
            return (
                f"{label}: API chưa được bật trong dự án Google Cloud (mã 403); "
                f"hãy bật {label} API trong console.cloud.google.com"
            )
        if f.has(*SCOPE_REASONS):
            return (
                f"{label}: {who} chưa được cấp đủ phạm vi quyền cho thao tác này (mã 403); "
                "chạy lại 'kns auth login' (hoặc bổ sung phạm vi ủy quyền toàn miền)"
            )
        if api == "gmail":
            return (
                f"{label}: không có quyền truy cập (mã 403): {who} chưa được phép gửi thư "
                "(tài khoản dịch vụ cần ủy quyền toàn miền và 'google.delegated_user')"
            )
        role = " với quyền chỉnh sửa" if api == "forms" else ""
        return f"{label}: không có quyền truy cập (mã 403): hãy chia sẻ {what}{role} cho {who}"
    if s == 404:
        return f"{label}: không tìm thấy {what} (mã 404); kiểm tra lại mã trong tệp cấu hình"
    if s == 400:
        why = f", {f.reason}" if f.reason else ""
        # Google's own words say which part of the request (a range past the grid, a field)
        said = f": {f.detail[:300]}" if f.detail else ""
        return f"{label}: Google từ chối yêu cầu (mã 400{why}){said}"
    why = f", {f.reason}" if f.reason else ""
    return f"{label}: lỗi khi gọi Google (mã {s}{why})"


# ---------------------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------------------


class GoogleApis:
    """Built once per process; services are built lazily and cached."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        root_url: str | None = None,
        per_minute: Mapping[str, int] = DEFAULT_PER_MINUTE,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen, shared safely
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        timeout: float = 60,
        rng: random.Random | None = None,
    ) -> None:
        self.credentials = credentials
        self.root_url = root_url.rstrip("/") + "/" if root_url else None
        self.retry = retry
        self.timeout = timeout
        self._sleep = sleep
        self._rng = rng or random.Random()
        limits = {**DEFAULT_PER_MINUTE, **per_minute}
        self._limiters = {
            api: RateLimiter(n, clock=clock, sleep=sleep) for api, n in limits.items()
        }
        self.calls: collections.Counter[str] = collections.Counter()
        self._services: dict[str, Any] = {}
        self._gmail_http: SendOnceHttp | None = None

    @property
    def account(self) -> str | None:
        """The service account's address (what forms and sheets must be shared with)."""
        email = getattr(self.credentials, "service_account_email", None)
        return email if isinstance(email, str) and "@" in email else None

    # -- services ------------------------------------------------------------------------

    def _build(self, api: str, http: httplib2.Http) -> Any:
        doc = _discovery_document(_DISCOVERY[api], self.root_url)
        authed = google_auth_httplib2.AuthorizedHttp(self.credentials, http=http)
        return build_from_document(doc, http=authed)

    def _http_options(self) -> dict[str, Any]:
        # with root_url (a local server) proxies from the environment must not apply
        return {"timeout": self.timeout, **({"proxy_info": None} if self.root_url else {})}

    def forms(self) -> Any:
        """googleapiclient Resource for Forms v1."""
        if "forms" not in self._services:
            http = httplib2.Http(**self._http_options())
            self._services["forms"] = self._build("forms", http)
        return self._services["forms"]

    def gmail(self) -> Any:
        """googleapiclient Resource for Gmail v1 (its transport never re-sends a request)."""
        if "gmail" not in self._services:
            self._gmail_http = SendOnceHttp(**self._http_options())
            self._services["gmail"] = self._build("gmail", self._gmail_http)
        return self._services["gmail"]

    def sheets(self) -> gspread.http_client.HTTPClient:
        """gspread's low-level client (values_get, values_batch_update, batch_update, ...)."""
        if "sheets" not in self._services:
            session = AuthorizedSession(self.credentials)
            if self.root_url:
                session.mount("https://", RedirectAdapter(self.root_url))
            client = gspread.http_client.HTTPClient(auth=self.credentials, session=session)
            client.set_timeout(self.timeout)
            self._services["sheets"] = client
        return self._services["sheets"]

    # -- calls ---------------------------------------------------------------------------

    def execute(self, api: str, request: Any) -> Any:
        """Execute a googleapiclient HttpRequest with rate limit and retries."""
        return self.call(api, lambda: request.execute(num_retries=0))

    def call(self, api: str, fn: Callable[[], T]) -> T:
        """Any Google call (e.g. a gspread method) with rate limit and retries."""
        return self._run(api, fn, self.retry.max_attempts)

    def call_once(self, api: str, fn: Callable[[], T]) -> T:
        """Rate limit, no retry: for a call that must not happen twice (sending mail)."""
        if api == "gmail" and self._gmail_http is not None:
            self._gmail_http.close_idle()
        return self._run(api, fn, 1)

    def _attempt(self, api: str, fn: Callable[[], T]) -> T:
        limiter = self._limiters.get(api)
        if limiter is not None:
            limiter.acquire()
        self.calls[api] += 1
        return fn()

    def _wait(self, state: tenacity.RetryCallState) -> float:
        backoff = min(
            self.retry.max_wait, self.retry.initial_wait * 2 ** (state.attempt_number - 1)
        )
        wait = self._rng.uniform(0, backoff)  # full jitter
        exc = state.outcome.exception() if state.outcome else None
        failure = _classify(exc) if exc is not None else None
        if failure is not None and failure.retry_after is not None:
            wait = max(wait, min(failure.retry_after, RETRY_AFTER_CAP))
        return wait

    def _run(self, api: str, fn: Callable[[], T], attempts: int) -> T:
        def retryable(exc: BaseException) -> bool:
            f = _classify(exc)
            return f is not None and f.retryable

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception(retryable),
            sleep=self._sleep,
            reraise=True,
        )
        made = 0

        def attempt() -> T:
            nonlocal made
            made += 1
            return self._attempt(api, fn)

        try:
            return retrying(attempt)
        except Exception as exc:
            f = _classify(exc)
            if f is None:
                raise
            raise GoogleApiError(
                _message(api, f, made, self.account),
                api=api,
                status=f.status,
                reason=f.reason,
                attempts=made,
                transient=f.retryable,
                detail=f.detail,
                cause=f.inner,
            ) from exc
