"""The test-wide network guard (tests/conftest.py) blocks every host but loopback."""

from __future__ import annotations

import socket

import pytest

from tests.conftest import NetworkBlocked


def test_guard_blocks_other_hosts() -> None:
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("forms.googleapis.com", 443), timeout=1)
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("169.254.169.254", 80), timeout=1)  # GCE metadata server


def test_guard_lets_loopback_through() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    try:
        port = server.getsockname()[1]
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    finally:
        server.close()
