"""GoogleApis against the fake Workspace: retries, backoff, Retry-After, rate limits and
Vietnamese errors, through the real google-api-python-client, httplib2, gspread and
requests stacks."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator

import pytest
from google.oauth2.credentials import Credentials

from sync.google.apis import (
    DEFAULT_PER_MINUTE,
    GoogleApiError,
    GoogleApis,
    RateLimiter,
    RetryPolicy,
)
from tests.fake_google import FakeWorkspace
from tests.fake_google.forms_builder import question

FORM = "FORM_A"
SHEET = "SHEET_A"


class VirtualTime:
    """A clock that only moves when something sleeps: shared by the client and the fake."""

    def __init__(self) -> None:
        self.now = 10_000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def vt() -> VirtualTime:
    return VirtualTime()


@pytest.fixture
def fake(vt: VirtualTime) -> Iterator[FakeWorkspace]:
    with FakeWorkspace(clock=vt.clock) as f:
        f.add_form(FORM, "Thống kê", [question("q1", "Tên chi bộ")])
        f.add_spreadsheet(SHEET, {"Trang tính1": [["Mã", "Tên"], ["CB01", "Khu phố 1"]]})
        yield f


def make_apis(
    fake: FakeWorkspace, vt: VirtualTime, *, attempts: int = 6, token: str | None = None, **kw
) -> GoogleApis:
    return GoogleApis(
        Credentials(token=token or fake.token),
        root_url=fake.url,
        retry=RetryPolicy(max_attempts=attempts),
        sleep=vt.sleep,
        clock=vt.clock,
        rng=random.Random(7),
        **kw,
    )


def get_form(apis: GoogleApis) -> dict:
    return apis.execute("forms", apis.forms().forms().get(formId=FORM))


def get_values(apis: GoogleApis, sheet: str = SHEET) -> dict:
    return apis.call("sheets", lambda: apis.sheets().values_get(sheet, "A:ZZZ"))


# -- retries -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_transient_statuses_are_retried_with_jittered_backoff(
    fake: FakeWorkspace, vt: VirtualTime, status: int
) -> None:
    apis = make_apis(fake, vt)
    fake.fail_next(3, status, api="forms")
    assert get_form(apis)["formId"] == FORM
    assert apis.calls["forms"] == 4
    assert [r.status for r in fake.calls("forms")] == [status] * 3 + [200]
    # full jitter: attempt n waits uniformly in [0, min(max_wait, 1 * 2^(n-1))]
    assert len(vt.sleeps) == 3
    for n, s in enumerate(vt.sleeps, start=1):
        assert 0 <= s <= 2 ** (n - 1)

    fake.fail_next(2, status, api="sheets")
    assert get_values(apis)["values"][1] == ["CB01", "Khu phố 1"]
    assert apis.calls["sheets"] == 3


def test_retry_after_is_honoured(fake: FakeWorkspace, vt: VirtualTime) -> None:
    apis = make_apis(fake, vt)
    fake.fail_next(1, 503, api="forms", retry_after=7)
    get_form(apis)
    assert vt.sleeps == [7.0]  # above the 0..1 s jitter of a first retry
    fake.fail_next(1, 429, api="sheets", retry_after=3)
    get_values(apis)
    assert vt.sleeps == [7.0, 3.0]


def test_backoff_is_bounded_by_max_wait(fake: FakeWorkspace, vt: VirtualTime) -> None:
    apis = GoogleApis(
        Credentials(token=fake.token),
        root_url=fake.url,
        retry=RetryPolicy(max_attempts=8, initial_wait=1.0, max_wait=4.0),
        sleep=vt.sleep,
        clock=vt.clock,
        rng=random.Random(1),
    )
    fake.fail_next(7, 500, api="sheets")
    get_values(apis)
    assert len(vt.sleeps) == 7 and max(vt.sleeps) <= 4.0


def test_dropped_connections_are_retried(fake: FakeWorkspace, vt: VirtualTime) -> None:
    apis = make_apis(fake, vt)
    fake.drop_next(2, api="sheets")  # requests: no retry of its own
    assert get_values(apis)["values"][0] == ["Mã", "Tên"]
    assert apis.calls["sheets"] == 3 and len(vt.sleeps) == 2
    assert [r.status for r in fake.calls("sheets")] == [0, 0, 200]

    # httplib2 re-sends once by itself on a dropped keep-alive connection, so three
    # drops need a retry of ours
    fake.drop_next(3, api="forms")
    assert get_form(apis)["formId"] == FORM
    assert apis.calls["forms"] >= 2
    assert [r.status for r in fake.calls("forms")] == [0, 0, 0, 200]


def test_out_of_attempts_is_a_google_api_error(fake: FakeWorkspace, vt: VirtualTime) -> None:
    apis = make_apis(fake, vt, attempts=3)
    fake.fail_next(10, 503, api="sheets")
    with pytest.raises(GoogleApiError) as e:
        get_values(apis)
    err = e.value
    assert (err.status, err.api, err.attempts, err.transient) == (503, "sheets", 3, True)
    assert err.reason == "UNAVAILABLE"
    assert "Google tạm thời không phản hồi sau 3 lần thử (mã 503)" in str(err)
    assert len(fake.calls("sheets")) == 3 and len(vt.sleeps) == 2


def test_unreachable_server_is_a_connection_error(vt: VirtualTime) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    apis = GoogleApis(
        Credentials(token="t"),
        root_url=f"http://127.0.0.1:{port}/",
        retry=RetryPolicy(max_attempts=2),
        sleep=vt.sleep,
        clock=vt.clock,
    )
    for call in (lambda: get_form(apis), lambda: get_values(apis)):
        with pytest.raises(GoogleApiError) as e:
            call()
        assert e.value.status is None and e.value.attempts == 2 and e.value.transient
        assert "không kết nối được tới máy chủ Google sau 2 lần thử" in str(e.value)


# -- no retry for the caller's mistakes -------------------------------------------------


def test_400_is_not_retried(fake: FakeWorkspace, vt: VirtualTime) -> None:
    apis = make_apis(fake, vt)
    fake.fail_next(1, 400, api="forms")
    with pytest.raises(GoogleApiError) as e:
        get_form(apis)
    assert (e.value.status, e.value.attempts, e.value.transient) == (400, 1, False)
    assert "Google từ chối yêu cầu (mã 400" in str(e.value)
    assert vt.sleeps == [] and apis.calls["forms"] == 1


def test_403_not_shared_is_not_retried(fake: FakeWorkspace, vt: VirtualTime) -> None:
    apis = make_apis(fake, vt)
    fake.deny(FORM)
    fake.deny(SHEET)
    with pytest.raises(GoogleApiError) as e:
        get_form(apis)
    assert (e.value.status, e.value.reason, e.value.not_shared) == (403, "PERMISSION_DENIED", True)
    assert "không có quyền truy cập (mã 403): hãy chia sẻ biểu mẫu với quyền chỉnh sửa" in str(
        e.value
    )
    with pytest.raises(GoogleApiError, match="hãy chia sẻ bảng tính") as e2:
        get_values(apis)
    assert e2.value.status == 403
    assert vt.sleeps == [] and len(fake.calls()) == 2


def test_404_is_not_retried(fake: FakeWorkspace, vt: VirtualTime) -> None:
    apis = make_apis(fake, vt)
    with pytest.raises(GoogleApiError, match="không tìm thấy biểu mẫu") as e:
        apis.execute("forms", apis.forms().forms().get(formId="KHONG_CO"))
    assert e.value.status == 404 and e.value.reason == "NOT_FOUND"
    with pytest.raises(GoogleApiError, match="không tìm thấy bảng tính"):
        get_values(apis, "KHONG_CO")
    assert vt.sleeps == [] and len(fake.calls()) == 2


def test_rejected_token_is_an_authentication_error(fake: FakeWorkspace, vt: VirtualTime) -> None:
    apis = make_apis(fake, vt, token="het-han")
    with pytest.raises(GoogleApiError, match="xác thực thất bại") as e:
        get_form(apis)
    assert e.value.status == 401 and e.value.attempts == 1
    with pytest.raises(GoogleApiError, match="xác thực thất bại"):
        get_values(apis)
    assert vt.sleeps == []


def test_programming_errors_are_not_translated(fake: FakeWorkspace, vt: VirtualTime) -> None:
    apis = make_apis(fake, vt)
    with pytest.raises(KeyError):
        apis.call("sheets", lambda: {}["x"])
    with pytest.raises(FileNotFoundError):  # an OSError, but not the network's
        apis.call("sheets", lambda: open("/nonexistent/x"))  # noqa: SIM115
    assert vt.sleeps == []


# -- call_once: never twice -------------------------------------------------------------


def test_call_once_never_retries(fake: FakeWorkspace, vt: VirtualTime) -> None:
    apis = make_apis(fake, vt)
    profile = apis.gmail().users().getProfile(userId="me")
    fake.fail_next(1, 503, api="gmail")
    with pytest.raises(GoogleApiError) as e:
        apis.call_once("gmail", lambda: profile.execute(num_retries=0))
    assert (e.value.status, e.value.attempts) == (503, 1)
    assert "ngay lần thử đầu" in str(e.value)
    assert len(fake.calls("gmail")) == 1 and vt.sleeps == []


def test_a_send_whose_connection_drops_is_not_sent_again(
    fake: FakeWorkspace, vt: VirtualTime
) -> None:
    import base64

    apis = make_apis(fake, vt)
    raw = base64.urlsafe_b64encode(
        b"From: a@x.vn\r\nTo: b@x.vn\r\nSubject: KNS-TEST\r\n\r\nNoi dung\r\n"
    ).decode()
    send = apis.gmail().users().messages().send(userId="me", body={"raw": raw})
    fake.drop_next(1, api="gmail", method_id="gmail.users.messages.send", after_effect=True)
    with pytest.raises(GoogleApiError) as e:
        apis.call_once("gmail", lambda: send.execute(num_retries=0))
    assert e.value.status is None and e.value.transient
    # the message went out once; httplib2's own re-send after a drop was blocked
    assert len(fake.calls("gmail", "gmail.users.messages.send")) == 1
    assert len(fake.sent_messages()) == 1
    # the same transport still sends the next message normally
    apis.call_once("gmail", lambda: send.execute(num_retries=0))
    assert len(fake.sent_messages()) == 2


# -- rate limits ------------------------------------------------------------------------


def test_rate_limiter_sliding_window() -> None:
    vt = VirtualTime()
    limiter = RateLimiter(3, clock=vt.clock, sleep=vt.sleep)
    for _ in range(3):
        limiter.acquire()
    assert vt.sleeps == []
    vt.now += 10
    limiter.acquire()  # the 4th waits until the 1st leaves the window
    assert vt.sleeps == [50.0]
    limiter.acquire()
    limiter.acquire()
    assert vt.sleeps == [50.0]  # requests 2 and 3 left the window at the same moment
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_a_burst_stays_under_the_fake_quota(vt: VirtualTime) -> None:
    with FakeWorkspace(clock=vt.clock, quota_per_minute={"sheets": 60, "forms": 180}) as fake:
        fake.add_spreadsheet(SHEET, {"Trang tính1": [["a"]]})
        fake.add_form(FORM, "Thống kê", [question("q1", "Tên chi bộ")])
        apis = make_apis(fake, vt)
        start = vt.now
        for _ in range(150):
            get_values(apis)
        for _ in range(200):
            get_form(apis)
        assert {r.status for r in fake.calls()} == {200}
        assert apis.calls["sheets"] == 150 and apis.calls["forms"] == 200
        assert vt.now - start >= 120  # 150 sheet reads need three one-minute windows

        # the control: without the client-side limit the same burst meets the quota
        unlimited = make_apis(fake, vt, attempts=1, per_minute={"sheets": 10_000})
        vt.now += 60
        for _ in range(60):
            get_values(unlimited)
        with pytest.raises(GoogleApiError) as e:
            get_values(unlimited)
        assert e.value.status == 429


def test_default_limits() -> None:
    assert DEFAULT_PER_MINUTE == {"sheets": 60, "forms": 180, "gmail": 250}
