"""Credentials: scopes per feature, key/token files, file permissions, token writing."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import google.oauth2.credentials
import google.oauth2.service_account
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sync.errors import ConfigError
from sync.google import auth
from sync.google.auth import (
    FORMS_BODY_READONLY,
    FORMS_RESPONSES_READONLY,
    GMAIL_READONLY,
    GMAIL_SEND,
    SPREADSHEETS,
    SPREADSHEETS_READONLY,
    load_credentials,
    permission_warning,
    scopes_for,
)


@pytest.fixture(scope="module")
def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _service_account(tmp_path: Path, pem: str, **override: Any) -> Path:
    data = {
        "type": "service_account",
        "project_id": "phuong-mau",
        "private_key_id": "abc123",
        "private_key": pem,
        "client_email": "kns@phuong-mau.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    data.update(override)
    path = tmp_path / "google.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _authorized_user(tmp_path: Path, **override: Any) -> Path:
    data = {
        "type": "authorized_user",
        "client_id": "cid.apps.googleusercontent.com",
        "client_secret": "not-a-real-secret",
        "refresh_token": "1//not-a-real-refresh-token",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    data.update(override)
    path = tmp_path / "token.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# -- scopes --------------------------------------------------------------------------------


def test_scopes_are_the_minimum_for_the_features_in_use() -> None:
    assert scopes_for(forms=True, sheets_read=False, sheets_write=False, gmail=False) == [
        FORMS_RESPONSES_READONLY,
        FORMS_BODY_READONLY,
    ]
    assert scopes_for(forms=False, sheets_read=True, sheets_write=False, gmail=False) == [
        SPREADSHEETS_READONLY
    ]
    # writing implies reading: no separate read-only scope
    assert scopes_for(forms=False, sheets_read=True, sheets_write=True, gmail=False) == [
        SPREADSHEETS
    ]
    everything = scopes_for(forms=True, sheets_read=True, sheets_write=True, gmail=True)
    assert everything == [
        FORMS_RESPONSES_READONLY,
        FORMS_BODY_READONLY,
        SPREADSHEETS,
        GMAIL_SEND,
        GMAIL_READONLY,
    ]
    assert len(set(everything)) == len(everything)
    assert scopes_for(forms=False, sheets_read=False, sheets_write=False, gmail=False) == []


# -- load_credentials ----------------------------------------------------------------------


def test_service_account_key_with_scopes_and_delegation(tmp_path: Path, private_key_pem: str):
    path = _service_account(tmp_path, private_key_pem)
    creds = load_credentials(path, [GMAIL_SEND], subject="bxdd@phuongmau.gov.vn")
    assert isinstance(creds, google.oauth2.service_account.Credentials)
    assert creds.service_account_email == "kns@phuong-mau.iam.gserviceaccount.com"
    assert list(creds.scopes) == [GMAIL_SEND]
    assert creds._subject == "bxdd@phuongmau.gov.vn"
    plain = load_credentials(path, [SPREADSHEETS])
    assert isinstance(plain, google.oauth2.service_account.Credentials)
    assert plain._subject is None


def test_authorized_user_token(tmp_path: Path) -> None:
    creds = load_credentials(_authorized_user(tmp_path), [SPREADSHEETS])
    assert isinstance(creds, google.oauth2.credentials.Credentials)
    assert creds.refresh_token == "1//not-a-real-refresh-token"
    assert list(creds.scopes) == [SPREADSHEETS]


def test_token_granted_fewer_scopes_asks_for_a_new_login(tmp_path: Path) -> None:
    path = _authorized_user(tmp_path, scopes=[SPREADSHEETS_READONLY])
    with pytest.raises(ConfigError, match="còn thiếu phạm vi") as e:
        load_credentials(path, [SPREADSHEETS_READONLY, GMAIL_SEND])
    assert GMAIL_SEND in str(e.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "không phải tệp JSON hợp lệ (dòng 1"),
        ("[1, 2]", "phải là một đối tượng"),
        ('{"type": "external_account"}', "trường 'type' 'external_account'"),
        ('{"installed": {"client_id": "x"}}', "tệp OAuth client"),
        ('{"type": "authorized_user", "client_id": "x"}', "thiếu trường: client_secret"),
    ],
)
def test_bad_files_are_named_in_vietnamese(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "google.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_credentials(path, [SPREADSHEETS])
    (message,) = e.value.problems
    assert message.startswith(str(path))
    assert expected in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="không tìm thấy tệp thông tin đăng nhập Google"):
        load_credentials(tmp_path / "none.json", [SPREADSHEETS])


def test_errors_never_contain_key_material(tmp_path: Path, private_key_pem: str) -> None:
    broken = private_key_pem.replace("A", "B", 40)
    path = _service_account(tmp_path, broken)
    with pytest.raises(ConfigError) as e:
        load_credentials(path, [SPREADSHEETS])
    text = str(e.value)
    assert "private_key" in text and "không đọc được" in text
    assert "BEGIN" not in text and broken.splitlines()[1][:20] not in text
    missing = _service_account(tmp_path, private_key_pem, client_email="")
    with pytest.raises(ConfigError, match="thiếu trường: client_email") as e2:
        load_credentials(missing, [SPREADSHEETS])
    assert "BEGIN" not in str(e2.value)


def test_delegation_needs_a_service_account(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="delegated_user"):
        load_credentials(_authorized_user(tmp_path), [GMAIL_SEND], subject="a@b.vn")


# -- permissions ---------------------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_permission_warning_when_others_can_read(tmp_path: Path) -> None:
    path = tmp_path / "google.json"
    path.write_text("{}", encoding="utf-8")
    path.chmod(0o644)
    warning = permission_warning(path)
    assert warning is not None and f"chmod 600 {path}" in warning and "644" in warning
    path.chmod(0o620)
    assert permission_warning(path) is not None
    path.chmod(0o600)
    assert permission_warning(path) is None
    assert permission_warning(tmp_path / "missing.json") is None


# -- login: the browser flow is stubbed at the library boundary only ------------------------


class _StubCredentials:
    refresh_token = "1//stub-refresh"

    def to_json(self) -> str:
        return json.dumps({"type": "authorized_user", "refresh_token": self.refresh_token})


class _StubFlow:
    def __init__(self) -> None:
        self.kwargs: dict[str, Any] = {}

    def run_local_server(self, **kwargs: Any) -> _StubCredentials:
        self.kwargs = kwargs
        return _StubCredentials()


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_login_writes_the_token_private_from_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from google_auth_oauthlib.flow import InstalledAppFlow

    secrets = tmp_path / "client_secret.json"
    secrets.write_text('{"installed": {}}', encoding="utf-8")
    flow = _StubFlow()
    seen: dict[str, Any] = {}

    def from_file(path: str, scopes: list[str]) -> _StubFlow:
        seen.update(path=path, scopes=scopes)
        return flow

    monkeypatch.setattr(InstalledAppFlow, "from_client_secrets_file", staticmethod(from_file))
    modes: list[int] = []
    real_open = os.open

    def watching_open(path: Any, flags: int, mode: int = 0o777, **kw: Any) -> int:
        modes.append(mode)
        return real_open(path, flags, mode, **kw)

    monkeypatch.setattr(auth.os, "open", watching_open)
    out = tmp_path / "secrets" / "token.json"
    old_umask = os.umask(0)  # the mode must not depend on a strict umask
    try:
        auth.login(secrets, out, [SPREADSHEETS], open_browser=False, port=8765)
    finally:
        os.umask(old_umask)
    assert modes == [0o600]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert json.loads(out.read_text())["refresh_token"] == "1//stub-refresh"
    assert seen == {"path": str(secrets), "scopes": [SPREADSHEETS]}
    assert flow.kwargs["open_browser"] is False and flow.kwargs["port"] == 8765
    assert "{url}" in flow.kwargs["authorization_prompt_message"]
    assert not list(out.parent.glob("*.tmp"))


def test_login_with_bad_client_secrets(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="không tìm thấy tệp OAuth client"):
        auth.login(tmp_path / "none.json", tmp_path / "t.json", [SPREADSHEETS])
    bad = tmp_path / "client_secret.json"
    bad.write_text('{"something": {}}', encoding="utf-8")
    with pytest.raises(ConfigError, match="Desktop app"):
        auth.login(bad, tmp_path / "t.json", [SPREADSHEETS])
