"""Headers built pre-encoded: what a reader decodes, line lengths, and no header parsing
when a message is serialised."""

from __future__ import annotations

import email._header_value_parser as header_parser
import re
import smtplib
from dataclasses import replace
from email import headerregistry, message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path

import pytest

from sync.model import AlertKind
from tests.test_mail import SENDER, alert_for, parsed, parts, render

VIET = "Đảng ủy phường Hòa Bình – báo cáo kết quả học tập kỹ năng số của đảng viên"


def header_lines(raw: bytes) -> list[bytes]:
    return raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")


def header_block(raw: bytes, name: str) -> list[bytes]:
    """The lines of one header: its first line and the continuation lines after it."""
    lines = header_lines(raw)
    start = next(i for i, line in enumerate(lines) if line.startswith(name.encode() + b": "))
    end = start + 1
    while end < len(lines) and lines[end].startswith(b" "):
        end += 1
    return lines[start:end]


def all_lines(raw: bytes) -> list[bytes]:
    return raw.split(b"\r\n")


def with_subject(tmp_path: Path, subject: str) -> EmailMessage:
    """A reminder whose subject block is exactly ``subject``."""
    (tmp_path / "reminder.j2").write_text(
        "{% block subject %}{{ s }}{% endblock %}{% block text %}Nội dung{% endblock %}"
        "{% block html %}<p>Nội dung</p>{% endblock %}",
        encoding="utf-8",
    )
    alert = alert_for(AlertKind.REMINDER)
    alert = replace(alert, context={**alert.context, "s": subject})
    return render(alert, templates_dir=tmp_path)


# ---------------------------------------------------------------------------------------
# Subject
# ---------------------------------------------------------------------------------------


def test_a_200_character_vietnamese_subject_round_trips_exactly(tmp_path: Path):
    subject = (VIET + " " + VIET + " " + VIET)[:200].strip()
    assert len(subject) >= 199
    msg = with_subject(tmp_path, subject)
    raw = msg.as_bytes()
    assert raw.isascii()
    assert max(len(line) for line in header_lines(raw)) <= 78
    assert message_from_bytes(raw, policy=policy.default)["Subject"] == subject
    assert str(msg["Subject"]) == subject  # what the cycle stores in the ledger


def test_every_cut_of_a_vietnamese_subject_keeps_its_spaces(tmp_path: Path):
    """Encoded words break at every possible place: no space is lost or added at any."""
    text = VIET + " " + VIET.upper()
    for end in range(1, len(text) + 1):
        subject = " ".join(text[:end].split())
        if not subject:
            continue
        raw = with_subject(tmp_path, subject).as_bytes()
        assert message_from_bytes(raw, policy=policy.default)["Subject"] == subject, end
        assert max(len(line) for line in header_lines(raw)) <= 78, end


@pytest.mark.parametrize(
    "subject",
    [
        "Short ASCII subject",
        " ".join(["Reminder about the weekly report of the ward"] * 5),  # folded at spaces
        "x" * 150,  # one word too long for a line: encoded words instead
        "Looks like =?utf-8?q?an_encoded_word?= but is not",
        'Tỷ lệ 100% (đạt) — "Bình dân học vụ số" <2026> ; a@b: [x]',
    ],
)
def test_other_subjects_read_back_unchanged(tmp_path: Path, subject: str):
    raw = with_subject(tmp_path, subject).as_bytes()
    assert message_from_bytes(raw, policy=policy.default)["Subject"] == subject
    assert max(len(line) for line in header_lines(raw)) <= 78


def test_a_plain_ascii_subject_stays_readable(tmp_path: Path):
    raw = with_subject(tmp_path, "Weekly report").as_bytes()
    assert b"\r\nSubject: Weekly report\r\n" in raw


# ---------------------------------------------------------------------------------------
# Addresses
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sender", "display", "addr"),
    [
        (SENDER, "Ban Xây dựng Đảng phường", "bxdd@phuong.example.vn"),
        (
            "Ban Xây dựng Đảng Đảng ủy phường Hòa Bình - thành phố Hồ Chí Minh <bxdd@hb.vn>",
            "Ban Xây dựng Đảng Đảng ủy phường Hòa Bình - thành phố Hồ Chí Minh",
            "bxdd@hb.vn",
        ),
        ('"Đảng ủy, phường Mẫu" <du@pm.vn>', "Đảng ủy, phường Mẫu", "du@pm.vn"),
        ("Ward Party Committee <wpc@pm.vn>", "Ward Party Committee", "wpc@pm.vn"),
        ('"Ban XD (phuong), \\"Mau\\"" <x@pm.vn>', 'Ban XD (phuong), "Mau"', "x@pm.vn"),
        ("bxdd@pm.vn", "", "bxdd@pm.vn"),
    ],
)
def test_from_round_trips_with_its_display_name(sender: str, display: str, addr: str):
    msg = render(alert_for(AlertKind.REMINDER), sender=sender)
    raw = msg.as_bytes()
    assert raw.isascii()
    assert max(len(line) for line in header_lines(raw)) <= 78
    # CPython's address parser before gh-128110 adds a space between two encoded words
    # of a display name (the RFC says to ignore that whitespace): compare words
    for back in (parsed(msg)["From"].addresses, msg["From"].addresses):
        assert [(" ".join(a.display_name.split()), a.addr_spec) for a in back] == [(display, addr)]


def test_a_long_vietnamese_display_name_decodes_exactly_by_rfc_2047():
    """Split over several encoded words, every space inside one: what mail clients show."""
    display = "Ban Xây dựng Đảng Đảng ủy phường Hòa Bình thành phố Hồ Chí Minh"
    msg = render(alert_for(AlertKind.REMINDER), sender=f"{display} <bxdd@hb.vn>")
    raw = msg.as_bytes()
    value = b"".join(header_block(raw, "From")).removeprefix(b"From: ").decode("ascii")
    assert value.count("=?utf-8?b?") > 1
    assert str(make_header(decode_header(value))) == f"{display} <bxdd@hb.vn>"
    (back,) = parsed(msg)["From"].addresses
    assert " ".join(back.display_name.split()) == display  # no word cut in two


def test_a_list_of_30_addresses_is_folded_between_addresses():
    to = tuple(
        f"Đồng chí Nguyễn Thị Cán Bộ Số {i} <canbo{i:02d}@phuong.example.vn>" for i in range(15)
    ) + tuple(f"canbo{i:02d}@phuong.example.vn" for i in range(15, 30))
    cc = tuple(f"uyvien{i}@phuong.example.vn" for i in range(30))
    alert = replace(alert_for(AlertKind.DIGEST), to=to, cc=cc)
    msg = render(alert)
    raw = msg.as_bytes()
    assert max(len(line) for line in header_lines(raw)) <= 78
    assert len(header_block(raw, "To")) > 15
    # bare addresses: several to a line, a line break only after a comma
    cc_lines = header_block(raw, "Cc")
    assert 1 < len(cc_lines) < len(cc)
    for line in cc_lines:
        assert re.fullmatch(
            rb"(Cc:)?( uyvien\d+@phuong\.example\.vn,)+", line.rstrip(b",") + b","
        ), line
    back = parsed(msg)
    got = [(a.display_name, a.addr_spec) for a in back["To"].addresses]
    assert got == getaddresses(list(to))
    assert [a.addr_spec for a in back["Cc"].addresses] == list(cc)
    assert [a.addr_spec for a in msg["To"].addresses] == [a for _, a in got]
    assert render(alert).as_bytes() == raw  # the same bytes every time


def test_reply_to_with_a_vietnamese_name_and_two_addresses():
    msg = render(alert_for(AlertKind.REMINDER), reply_to="Văn phòng Đảng ủy <vp@pm.vn>, bxdd@pm.vn")
    back = parsed(msg)["Reply-To"].addresses
    assert [(a.display_name, a.addr_spec) for a in back] == [
        ("Văn phòng Đảng ủy", "vp@pm.vn"),
        ("", "bxdd@pm.vn"),
    ]


def test_odd_addresses_render_without_crashing():
    """A Vietnamese domain goes out in IDNA (7-bit headers); text that is no address stays
    visible."""
    alert = replace(alert_for(AlertKind.REMINDER), to=("an@phường.vn", "không có"))
    msg = render(alert, sender="Ban Xây dựng Đảng <bxdd@phường.vn>")
    raw = msg.as_bytes()
    assert raw.isascii()
    back = parsed(msg)
    assert back["From"].addresses[0].addr_spec == "bxdd@xn--phng-rib8295b.vn"
    assert back["Message-ID"].endswith("@xn--phng-rib8295b.vn>")
    assert back["To"].addresses[0].addr_spec == "an@xn--phng-rib8295b.vn"
    assert "không có" in str(back["To"])


# ---------------------------------------------------------------------------------------
# The whole message
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(AlertKind))
def test_every_header_is_there_and_every_line_is_short(kind: AlertKind):
    alert = alert_for(kind)
    msg = render(alert)
    raw = msg.as_bytes()
    assert raw.isascii()
    assert max(len(line) for line in header_lines(raw)) <= 78
    assert max(len(line) for line in all_lines(raw)) <= 998
    back = parsed(msg)
    assert back["Content-Language"] == "vi"
    assert back["Auto-Submitted"] == "auto-generated"
    assert back["X-KNS-Alert-Id"] == alert.alert_id
    assert back["MIME-Version"] == "1.0"
    assert back.get_content_type() == "multipart/alternative"
    for part in back.iter_parts():
        assert part.get_content_charset() == "utf-8"
        assert part["Content-Transfer-Encoding"] == "quoted-printable"


@pytest.mark.parametrize("kind", list(AlertKind))
def test_the_rendered_message_reads_like_the_sent_one(kind: AlertKind):
    """kns preview-mail and the transports read the message object itself."""
    msg = render(alert_for(kind))
    back = parsed(msg)
    for name in ("Subject", "To", "Cc", "From", "Reply-To", "Message-ID", "Date"):
        assert (msg[name] is None) == (back[name] is None)
        if msg[name] is not None:
            assert str(msg[name]) == str(back[name])
    text, html = parts(msg)
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content() == text
    body = msg.get_body(preferencelist=("html",))
    assert body is not None and body.get_content() == html


def test_body_line_breaks_of_every_kind_become_crlf(tmp_path: Path):
    (tmp_path / "reminder.j2").write_text(
        "{% block subject %}S{% endblock %}{% block text %}{{ t }}{% endblock %}"
        "{% block html %}<p>{{ t }}</p>{% endblock %}",
        encoding="utf-8",
    )
    alert = alert_for(AlertKind.REMINDER)
    alert = replace(alert, context={**alert.context, "t": "một\r\nhai\rba\n.\nbốn  "})
    raw = render(alert, templates_dir=tmp_path).as_bytes()
    body = raw.split(b"\r\n\r\n", 1)[1]
    assert b"\r" not in body.replace(b"\r\n", b"")
    text, html = parts(render(alert, templates_dir=tmp_path))
    assert text == "một\nhai\nba\n.\nbốn\n"
    assert html == "<p>một\nhai\nba\n.\nbốn  </p>\n"


def _raise(*args: object, **kwargs: object) -> None:
    raise AssertionError("header parsed while serialising")


@pytest.mark.parametrize("kind", list(AlertKind))
def test_serialising_parses_no_header(monkeypatch: pytest.MonkeyPatch, kind: AlertKind):
    """The cost of as_bytes() is the size of the message, not the stdlib's header folder."""
    alert = replace(alert_for(kind), cc=tuple(f"u{i}@pm.vn" for i in range(30)))
    msg = render(alert)
    want = render(alert).as_bytes()
    monkeypatch.setattr(header_parser, "get_unstructured", _raise)
    monkeypatch.setattr(header_parser, "_refold_parse_tree", _raise)
    monkeypatch.setattr(headerregistry.HeaderRegistry, "__call__", _raise)
    assert msg.as_bytes() == want
    assert msg.as_string().encode("ascii") == want
    assert msg.as_bytes(policy=msg.policy.clone(linesep="\n")) == want.replace(b"\r\n", b"\n")


def test_smtplib_sends_the_same_bytes(monkeypatch: pytest.MonkeyPatch):
    """smtplib.send_message flattens with the message's own policy."""
    msg = render(alert_for(AlertKind.ESCALATION))
    sent: list[bytes] = []

    class Recorder(smtplib.SMTP):
        ehlo_resp = b"ok"  # no server: nothing to greet

        def sendmail(self, from_addr, to_addrs, msg, *args, **kwargs):  # type: ignore[no-untyped-def]
            sent.append(msg)
            return {}

    Recorder().send_message(msg)
    assert sent == [msg.as_bytes()]


def test_a_huge_digest_keeps_every_line_short():
    digest = alert_for(AlertKind.DIGEST)
    late = list(digest.context["late_branches"])  # type: ignore[call-overload]
    big = [dict(late[i % len(late)], branch_code=f"CB{i:04d}") for i in range(400)]
    alert = replace(digest, context={**digest.context, "late_branches": big, "late_count": 400})
    msg = render(alert)
    raw = msg.as_bytes()
    assert max(len(line) for line in all_lines(raw)) <= 998
    assert "400. CB0399 - " in parts(msg)[0]
