"""Google credentials: a service-account key or an OAuth user token (``kns auth login``).

Scopes are the minimum for what the configuration uses. Key material never appears in a
message: errors name the file and say what is wrong with it, nothing more.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from google.auth.credentials import Credentials

from sync.errors import ConfigError

FORMS_RESPONSES_READONLY = "https://www.googleapis.com/auth/forms.responses.readonly"
FORMS_BODY_READONLY = "https://www.googleapis.com/auth/forms.body.readonly"
SPREADSHEETS_READONLY = "https://www.googleapis.com/auth/spreadsheets.readonly"
SPREADSHEETS = "https://www.googleapis.com/auth/spreadsheets"
GMAIL_SEND = "https://www.googleapis.com/auth/gmail.send"
# looking for a message in Sent after a crash needs a search (q=): gmail.metadata forbids it
GMAIL_READONLY = "https://www.googleapis.com/auth/gmail.readonly"

SCOPES: dict[str, tuple[str, ...]] = {
    "forms": (FORMS_RESPONSES_READONLY, FORMS_BODY_READONLY),
    "sheets_read": (SPREADSHEETS_READONLY,),
    "sheets_write": (SPREADSHEETS,),
    "gmail": (GMAIL_SEND, GMAIL_READONLY),
}

_SERVICE_ACCOUNT_FIELDS = ("client_email", "private_key", "token_uri")
_AUTHORIZED_USER_FIELDS = ("client_id", "client_secret", "refresh_token")


def scopes_for(*, forms: bool, sheets_read: bool, sheets_write: bool, gmail: bool) -> list[str]:
    """The smallest set of scopes for the features in use, in a stable order."""
    out: list[str] = []
    if forms:
        out += SCOPES["forms"]
    if sheets_write:  # the full scope also reads: no separate read-only scope
        out += SCOPES["sheets_write"]
    elif sheets_read:
        out += SCOPES["sheets_read"]
    if gmail:
        out += SCOPES["gmail"]
    return list(dict.fromkeys(out))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [
                f"{path}: không tìm thấy tệp thông tin đăng nhập Google (google.credentials); "
                "tạo khóa tài khoản dịch vụ hoặc chạy 'kns auth login'"
            ]
        ) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(
            [f"{path}: không đọc được tệp thông tin đăng nhập Google ({type(e).__name__})"]
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        # only the position: the parser's message never quotes the content, but be sure
        raise ConfigError(
            [f"{path}: không phải tệp JSON hợp lệ (dòng {e.lineno}, cột {e.colno})"]
        ) from None
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: tệp JSON phải là một đối tượng {{...}}"])
    return data


def _missing(data: dict[str, Any], fields: Sequence[str]) -> list[str]:
    return [f for f in fields if not isinstance(data.get(f), str) or not data[f].strip()]


def load_credentials(
    path: Path, scopes: Sequence[str], *, subject: str | None = None
) -> Credentials:
    """A service-account key (``"type": "service_account"``, acting as ``subject`` when
    given: domain-wide delegation) or an authorized-user token from ``kns auth login``."""
    data = _read_json(path)
    kind = data.get("type")
    if kind == "service_account":
        missing = _missing(data, _SERVICE_ACCOUNT_FIELDS)
        if missing:
            raise ConfigError(
                [f"{path}: khóa tài khoản dịch vụ thiếu trường: {', '.join(missing)}"]
            )
        from google.oauth2 import service_account

        try:
            sa = service_account.Credentials.from_service_account_info(data, scopes=list(scopes))
        except (ValueError, TypeError):
            # the library's message may describe the key; say only what to do
            raise ConfigError(
                [
                    f"{path}: khóa riêng tư (private_key) của tài khoản dịch vụ không đọc "
                    "được; tải lại khóa JSON từ Google Cloud"
                ]
            ) from None
        return sa.with_subject(subject) if subject else sa
    if kind == "authorized_user":
        missing = _missing(data, _AUTHORIZED_USER_FIELDS)
        if missing:
            raise ConfigError(
                [
                    f"{path}: tệp đăng nhập thiếu trường: {', '.join(missing)}; "
                    "chạy lại 'kns auth login'"
                ]
            )
        if subject:
            raise ConfigError(
                [
                    f"{path}: 'google.delegated_user' chỉ dùng với khóa tài khoản dịch vụ; "
                    "tệp này là tài khoản người dùng (bỏ 'delegated_user')"
                ]
            )
        granted = data.get("scopes")
        if isinstance(granted, list):
            lacking = [s for s in scopes if s not in granted]
            if lacking:
                raise ConfigError(
                    [
                        f"{path}: tài khoản mới được cấp quyền một phần; còn thiếu phạm vi: "
                        + ", ".join(lacking)
                        + ". Chạy lại 'kns auth login' với cấu hình hiện tại"
                    ]
                )
        from google.oauth2.credentials import Credentials as UserCredentials

        try:
            return UserCredentials.from_authorized_user_info(data, list(scopes))
        except (ValueError, TypeError):
            raise ConfigError(
                [f"{path}: tệp đăng nhập không hợp lệ; chạy lại 'kns auth login'"]
            ) from None
    if "installed" in data or "web" in data:
        raise ConfigError(
            [
                f"{path}: đây là tệp OAuth client (client_secret), không phải thông tin đăng "
                "nhập; dùng nó với 'kns auth login --client-secrets' để tạo tệp đăng nhập"
            ]
        )
    shown = f"'{kind}'" if isinstance(kind, str) and len(kind) <= 40 else "không có"
    raise ConfigError(
        [
            f"{path}: không phải khóa tài khoản dịch vụ ('type': 'service_account') hay tệp "
            f"của 'kns auth login' ('type': 'authorized_user'); trường 'type' {shown}"
        ]
    )


def permission_warning(path: Path) -> str | None:
    """A Vietnamese warning when other users could read or change the credentials file."""
    if os.name != "posix":
        return None
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    if mode & 0o077:
        return (
            f"{path}: tệp thông tin đăng nhập Google đang cho người dùng khác đọc hoặc ghi "
            f"(quyền {mode:o}); hãy chạy 'chmod 600 {path}'"
        )
    return None


_PROMPT = (
    "Mở địa chỉ sau trong trình duyệt để cấp quyền cho kns:\n{url}\n"
    "(Trên máy chủ qua SSH: chạy với cổng cố định, ví dụ --port 8765, rồi mở đường hầm "
    "'ssh -L 8765:localhost:8765 <máy chủ>' trước khi mở địa chỉ.)"
)
_SUCCESS = "Đã cấp quyền cho kns. Có thể đóng cửa sổ này."


def login(
    client_secrets: Path,
    token_out: Path,
    scopes: Sequence[str],
    *,
    open_browser: bool = True,
    port: int = 0,
) -> None:
    """OAuth loopback sign-in; saves the authorized-user token readable only by its owner."""
    from google_auth_oauthlib.flow import InstalledAppFlow

    if not client_secrets.exists():
        raise ConfigError([f"{client_secrets}: không tìm thấy tệp OAuth client (client_secret)"])
    try:
        flow = InstalledAppFlow.from_client_secrets_file(str(client_secrets), scopes=list(scopes))
    except (ValueError, KeyError, json.JSONDecodeError):
        raise ConfigError(
            [
                f"{client_secrets}: không phải tệp OAuth client hợp lệ; trong Google Cloud tạo "
                "OAuth client loại 'Desktop app' và tải tệp JSON của nó"
            ]
        ) from None
    creds = flow.run_local_server(
        port=port,
        open_browser=open_browser,
        authorization_prompt_message=_PROMPT,
        success_message=_SUCCESS,
        prompt="consent",  # always hand back a refresh token, even on a second sign-in
    )
    if not getattr(creds, "refresh_token", None):
        raise ConfigError(
            ["Google không trả về refresh token; thu hồi quyền của ứng dụng rồi đăng nhập lại"]
        )
    write_private(token_out, creds.to_json())


def write_private(path: Path, text: str) -> None:
    """Write a secret file with mode 0600 from its creation (never readable by others),
    replacing any earlier version atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # a leftover .tmp keeps its old mode otherwise
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            fd = -1
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    finally:
        if fd != -1:
            os.close(fd)
    os.replace(tmp, path)
