"""Test-wide guard: no test may reach the network. Google's APIs are faked on 127.0.0.1;
an attempt to reach anything else (a real Google host, the GCE metadata server) fails the
test at once instead of hanging or leaking a request."""

from __future__ import annotations

import ipaddress
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from scoring.rubric import Rubric, load_rubric

if TYPE_CHECKING:
    from sync.google.apis import GoogleApis
    from tests.fake_google import FakeWorkspace

# Shared by every test module (import them from here, or ask for the fixtures below).
ROOT = Path(__file__).resolve().parent.parent
"""The checkout: config/, mappings/ and the committed sample ward live under it."""
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
"""The wards' time zone (UTC+7 all year)."""
RUBRIC_PATH = ROOT / "config" / "rubric-2026.yaml"
RUBRIC: Rubric = load_rubric(RUBRIC_PATH)
"""The bundled 2026 rubric, loaded once (the model is frozen, so sharing it is safe)."""


def copy_sample_ward(folder: Path) -> Path:
    """The bundled sample ward (config/ and mappings/, as the README runs it) copied into
    ``folder``, to change freely; the path of its config."""
    shutil.copytree(ROOT / "config", folder / "config")
    shutil.copytree(ROOT / "mappings", folder / "mappings")
    return folder / "config" / "example.yaml"


@pytest.fixture
def ward(tmp_path: Path) -> Path:
    """A private copy of the sample ward: its config's path (``copy_sample_ward``)."""
    return copy_sample_ward(tmp_path)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def tz() -> ZoneInfo:
    return TZ


@pytest.fixture(scope="session")
def rubric() -> Rubric:
    return RUBRIC

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class NetworkBlocked(RuntimeError):
    pass


def _is_local(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str):
        return True  # AF_UNIX paths and the like
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _check(sock: socket.socket, address: Any) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
        raise NetworkBlocked(f"test tried to reach {address!r}: only 127.0.0.1 is allowed")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check(self, address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check(self, address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if host is not None and not _is_local(host):
        raise NetworkBlocked(f"test tried to resolve {host!r}: only 127.0.0.1 is allowed")
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo
    try:
        yield
    finally:
        socket.socket.connect = _real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = _real_getaddrinfo


@pytest.fixture
def small_roster_rows() -> dict[str, tuple[tuple[object, ...], ...]]:
    """A small roster as plain rows (header first): 2 branches, 4 members with Vietnamese
    names (NFC). Birth dates are ``date`` objects: each test medium writes them its own way
    (text in a CSV, a date cell in XLSX or Sheets). A new dict per test: safe to change."""
    from datetime import date

    return {
        "branches": (
            ("Mã chi bộ", "Tên chi bộ", "Tên gọi khác", "Bí thư", "Email bí thư"),
            ("CB01", "Chi bộ Khu phố Hòa Bình", "KP Hòa Bình; Hòa Bình", "Nguyễn Văn Hùng",
             "hung.nv@phuong.example"),
            ("CB02", "Chi bộ Khu phố Đông Hưng", "", "Phạm Thị Thu Hà", "ha.pt@phuong.example"),
        ),
        "members": (
            ("Mã đảng viên", "Họ và tên", "Ngày sinh", "Mã chi bộ", "Miễn sinh hoạt"),
            ("DV01", "Nguyễn Văn Hùng", date(1968, 3, 14), "CB01", "Không"),
            ("DV02", "Trần Thị Ngọc Ánh", date(1985, 11, 2), "CB01", "Không"),
            ("DV03", "Phạm Thị Thu Hà", date(1979, 7, 30), "CB02", "Không"),
            ("DV04", "Lê Đức Thắng", date(1950, 1, 5), "CB02", "Có"),
        ),
    }  # fmt: skip


# -- the local fake of Google's APIs (tests/fake_google), through the real client libraries


@pytest.fixture
def fake() -> Iterator[FakeWorkspace]:
    """An empty fake Google for one test (a module that needs files in it overrides this)."""
    from tests.fake_google import FakeWorkspace

    with FakeWorkspace() as workspace:
        yield workspace


@pytest.fixture
def apis(fake: FakeWorkspace) -> GoogleApis:
    """The project's Google client on ``fake``; two attempts keep failure tests quick."""
    from tests.fake_google.clients import fake_apis

    return fake_apis(fake, max_attempts=2)


@pytest.fixture(scope="module")
def shared_fake() -> Iterator[FakeWorkspace]:
    """One fake Google for a whole module: each test works on its own spreadsheet or form."""
    from tests.fake_google import FakeWorkspace

    with FakeWorkspace() as workspace:
        yield workspace


@pytest.fixture(scope="module")
def shared_apis(shared_fake: FakeWorkspace) -> GoogleApis:
    from tests.fake_google.clients import fake_apis

    return fake_apis(shared_fake, max_attempts=2)
