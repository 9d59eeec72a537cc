"""SmtpTransport against a real local SMTP server (aiosmtpd on 127.0.0.1).

The TLS certificate is self-signed and generated here (``cryptography``); the client trusts
it through the transport's ``ssl_context``, and refuses it with the default context.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sync.config import SmtpConfig
from sync.mail import MailError, render_alert
from sync.model import AlertKind
from sync.outputs.smtp import SmtpTransport
from tests.test_mail import NOW, REPLY_TO, SENDER, TEMPLATES, WARD, alert_for

USER, PASSWORD, PASSWORD_ENV = "bxdd@phuong.example.vn", "Dung-Mat-Khau-123", "KNS_SMTP_PASSWORD"
HOST = "127.0.0.1"


# ---------------------------------------------------------------------------------------
# Fixtures: certificate, server
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cert:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context()
        ctx.load_verify_locations(cafile=self.cert)
        return ctx


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> Cert:
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Cert(cert_path, key_path)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool
    login: str | None


@dataclass
class Sink:
    """The server's handler: keeps every message, can refuse recipients."""

    messages: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: Any, session: Session, envelope: Envelope
    ) -> str:
        auth = session.auth_data
        self.messages.append(
            Received(
                mail_from=str(envelope.mail_from),
                rcpt_tos=list(envelope.rcpt_tos),
                content=bytes(envelope.original_content or b""),
                tls=server.transport.get_extra_info("sslcontext") is not None,
                login=auth.login.decode() if isinstance(auth, LoginPassword) else None,
            )
        )
        return "250 Message accepted"


@dataclass
class Authenticator:
    seen: list[tuple[str, str]] = field(default_factory=list)

    def __call__(
        self, server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.seen.append((mechanism, auth_data.login.decode()))
        ok = auth_data.login.decode() == USER and auth_data.password.decode() == PASSWORD
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    port: int
    sink: Sink
    auth: Authenticator


def _serve(**kwargs: Any) -> Iterator[Server]:
    sink, auth = Sink(), Authenticator()
    if kwargs.pop("with_auth", False):
        kwargs.update(authenticator=auth, auth_required=True)
    controller = Controller(sink, hostname=HOST, port=_free_port(), ready_timeout=5, **kwargs)
    controller.start()
    try:
        yield Server(controller.port, sink, auth)
    finally:
        controller.stop()


@pytest.fixture()
def plain_server() -> Iterator[Server]:
    yield from _serve()


@pytest.fixture(params=["PLAIN", "LOGIN"])
def starttls_server(request: pytest.FixtureRequest, cert: Cert) -> Iterator[Server]:
    other = {"PLAIN": "LOGIN", "LOGIN": "PLAIN"}[request.param]
    yield from _serve(
        tls_context=cert.server_context(),
        require_starttls=True,
        with_auth=True,
        auth_exclude_mechanism=[other],  # the server offers only the mechanism under test
    )


@pytest.fixture()
def ssl_server(cert: Cert) -> Iterator[Server]:
    # aiosmtpd only counts STARTTLS as TLS for AUTH; this connection is TLS from the start
    yield from _serve(ssl_context=cert.server_context(), with_auth=True, auth_require_tls=False)


def smtp_cfg(port: int, security: str, *, username: str | None = None, **kw: Any) -> SmtpConfig:
    return SmtpConfig(
        host=HOST,
        port=port,
        security=security,  # type: ignore[arg-type]
        username=username,
        password_env=PASSWORD_ENV if username else None,
        timeout_seconds=kw.pop("timeout_seconds", 5),
        **kw,
    )


def message(kind: AlertKind = AlertKind.ESCALATION) -> tuple[str, EmailMessage]:
    alert = alert_for(kind)
    msg = render_alert(
        alert,
        templates_dir=TEMPLATES,
        sender=SENDER,
        reply_to=REPLY_TO,
        ward_name=WARD,
        now=NOW,
    )
    return alert.alert_id, msg


def check_received(got: Received, sent: EmailMessage) -> None:
    assert got.mail_from == "bxdd@phuong.example.vn"
    assert sorted(got.rcpt_tos) == ["an.cb01@phuong.example.vn", "hoa@phuong.example.vn"]
    back = message_from_bytes(got.content, policy=policy.default)
    assert back["Subject"] == (
        "[Quá hạn - đồng gửi Ủy viên phụ trách] Gửi báo cáo kết quả về Đảng ủy phường - "
        "quá hạn 17 ngày - Chi bộ Văn phòng Đảng ủy"
    )
    assert back["Subject"] == str(sent["Subject"])
    assert [a.addr_spec for a in back["Cc"].addresses] == ["hoa@phuong.example.vn"]
    assert back["X-KNS-Alert-Id"] == "bao_cao:CB01:escalation:3"
    assert back.get_content_type() == "multipart/alternative"
    text = back.get_body(preferencelist=("plain",))
    html = back.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert "Kính gửi đồng chí Nguyễn Văn An" in text.get_content()
    assert "Đồng kính gửi đồng chí Lê Thị Hoa" in html.get_content()
    assert "Bcc" not in back


# ---------------------------------------------------------------------------------------
# Delivery
# ---------------------------------------------------------------------------------------


# Plain delivery, was_sent, a dropped connection, 4xx refusals:
# tests/test_contract_transport.py. Here: TLS, logins and the refusals that are final.


def test_starttls_with_login(starttls_server: Server, cert: Cert):
    alert_id, msg = message()
    transport = SmtpTransport(
        smtp_cfg(starttls_server.port, "starttls", username=USER),
        {PASSWORD_ENV: PASSWORD},
        ssl_context=cert.client_context(),
    )
    transport.send(alert_id, msg)
    (got,) = starttls_server.sink.messages
    assert got.tls and got.login == USER
    check_received(got, msg)
    (mechanism, login), *_ = starttls_server.auth.seen
    assert login == USER and mechanism in ("PLAIN", "LOGIN")


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_with_login(ssl_server: Server, cert: Cert):
    alert_id, msg = message()
    transport = SmtpTransport(
        smtp_cfg(ssl_server.port, "ssl", username=USER),
        {PASSWORD_ENV: PASSWORD},
        ssl_context=cert.client_context(),
    )
    transport.send(alert_id, msg)
    (got,) = ssl_server.sink.messages
    assert got.tls and got.login == USER
    check_received(got, msg)


# ---------------------------------------------------------------------------------------
# Failures: always MailError, in Vietnamese, never with the password
# ---------------------------------------------------------------------------------------


def test_wrong_password(starttls_server: Server, cert: Cert):
    alert_id, msg = message()
    wrong = "Sai-Mat-Khau-42"
    transport = SmtpTransport(
        smtp_cfg(starttls_server.port, "starttls", username=USER),
        {PASSWORD_ENV: wrong},
        ssl_context=cert.client_context(),
    )
    with pytest.raises(MailError) as info:
        transport.send(alert_id, msg)
    text = str(info.value)
    assert "từ chối đăng nhập" in text and USER in text
    assert wrong not in text and PASSWORD not in text
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert starttls_server.sink.messages == []


def test_missing_password_variable_names_it():
    alert_id, msg = message()
    transport = SmtpTransport(smtp_cfg(_free_port(), "starttls", username=USER), {})
    with pytest.raises(MailError, match=f"Biến môi trường {PASSWORD_ENV}.*chưa được đặt"):
        transport.send(alert_id, msg)


def test_untrusted_certificate_is_refused(starttls_server: Server):
    alert_id, msg = message()
    transport = SmtpTransport(  # default context: the self-signed certificate is not trusted
        smtp_cfg(starttls_server.port, "starttls", username=USER), {PASSWORD_ENV: PASSWORD}
    )
    with pytest.raises(MailError, match="Chứng chỉ bảo mật"):
        transport.send(alert_id, msg)
    assert starttls_server.sink.messages == []


def test_non_ascii_password_is_refused_before_connecting():
    alert_id, msg = message()
    transport = SmtpTransport(
        smtp_cfg(_free_port(), "starttls", username=USER), {PASSWORD_ENV: "mật khẩu"}
    )
    with pytest.raises(MailError, match=f"{PASSWORD_ENV} có ký tự ngoài bảng ASCII") as info:
        transport.send(alert_id, msg)
    assert 'mật khẩu"' not in str(info.value) and "mật khẩu" + "'" not in str(info.value)


def test_starttls_demanded_but_not_offered(plain_server: Server):
    alert_id, msg = message()
    transport = SmtpTransport(smtp_cfg(plain_server.port, "starttls"), {})
    with pytest.raises(MailError, match="không hỗ trợ STARTTLS"):
        transport.send(alert_id, msg)
    assert plain_server.sink.messages == []


def test_login_demanded_but_not_offered(plain_server: Server):
    alert_id, msg = message()
    transport = SmtpTransport(
        smtp_cfg(plain_server.port, "none", username=USER), {PASSWORD_ENV: PASSWORD}
    )
    with pytest.raises(MailError, match=r"không cho đăng nhập \(AUTH\)"):
        transport.send(alert_id, msg)


def test_every_recipient_refused(plain_server: Server):
    plain_server.sink.refuse = {"an.cb01@phuong.example.vn", "hoa@phuong.example.vn"}
    alert_id, msg = message()
    with pytest.raises(MailError, match="từ chối toàn bộ người nhận: an.cb01@phuong.example.vn"):
        SmtpTransport(smtp_cfg(plain_server.port, "none"), {}).send(alert_id, msg)


def test_one_recipient_refused_is_still_sent(plain_server: Server):
    """The secretary has it: failing would resend it to them next cycle."""
    plain_server.sink.refuse = {"hoa@phuong.example.vn"}
    alert_id, msg = message()
    SmtpTransport(smtp_cfg(plain_server.port, "none"), {}).send(alert_id, msg)
    (got,) = plain_server.sink.messages
    assert got.rcpt_tos == ["an.cb01@phuong.example.vn"]


def test_connection_refused():
    alert_id, msg = message()
    transport = SmtpTransport(smtp_cfg(_free_port(), "none"), {})
    with pytest.raises(MailError, match="từ chối kết nối|Không kết nối được"):
        transport.send(alert_id, msg)


def test_silent_server_times_out():
    with socket.socket() as listener:  # accepts the connection, never says hello
        listener.bind((HOST, 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        alert_id, msg = message()
        transport = SmtpTransport(smtp_cfg(port, "none", timeout_seconds=0.3), {})
        with pytest.raises(MailError, match=r"Hết thời gian chờ máy chủ thư .* \(0.3 giây\)"):
            transport.send(alert_id, msg)
