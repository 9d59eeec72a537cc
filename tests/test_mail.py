"""Rendering alerts into e-mails, and the .eml outbox transport."""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import jinja2
import pytest

from sync.alerts import alert_code, plan_alerts, plan_digest
from sync.letters import BranchFacts, Letter, compose_letters
from sync.mail import BLOCKS, MailError, render_alert
from sync.model import Alert, AlertKind, Roster
from sync.outputs.outbox import OutboxTransport, eml_name
from tests.test_alerts import (
    BRANCHES,
    ROSTER,
    WARD,
    entry,
    late_statuses,
    ledger_of,
    local,
    make_cfg,
    report_status,
)

TEMPLATES = Path(__file__).resolve().parent.parent / "config" / "templates"
SENDER = "Ban Xây dựng Đảng phường <bxdd@phuong.example.vn>"
REPLY_TO = "vanphong@phuong.example.vn"
NOW = local("2026-12-07T08:00")  # Monday: 17 days after DUE (escalation 3), digest W50


def alert_for(kind: AlertKind, *, roster: Roster = ROSTER, code: str = "CB01") -> Alert:
    if kind in (AlertKind.LEARNING, AlertKind.LEARNING_DIGEST):  # "Bình dân học vụ số"
        from tests.test_learning import learning_alert

        return learning_alert(kind, roster, code, NOW)
    if kind is AlertKind.LETTER:  # a branch's letter: its notices and its follow-up
        return letter_for(roster=roster, code=code).message
    when = {
        AlertKind.REMINDER: local("2026-11-18T08:00"),
        AlertKind.OVERDUE: local("2026-11-23T08:00"),
        AlertKind.ESCALATION: NOW,
        AlertKind.DIGEST: NOW,
    }[kind]
    statuses = late_statuses(when) if kind is AlertKind.DIGEST else [report_status(code, when)]
    ledger = ledger_of(entry("bao_cao:CB01:overdue:2", "sent", local("2026-11-30T08:01")))
    p = plan_alerts(make_cfg(digest_weekday=0), roster, statuses, ledger, when)
    (found,) = [a for a in p.due if a.kind is kind]
    return found


def letter_for(*, roster: Roster = ROSTER, code: str = "CB01") -> Letter:
    items = [
        alert_for(AlertKind.ESCALATION, roster=roster, code=code),
        alert_for(AlertKind.LEARNING, roster=roster, code=code),
    ]
    facts = {
        code: BranchFacts(
            unregistered=({"name": "Phạm Thị Cúc", "link": CUC_LINK},),
            problems=(
                {
                    "source": "Biểu mẫu 02",
                    "record": "Dòng 7",
                    "field": "Tiêu chí 3",
                    "raw_value": "=1+1",
                    "reason": "Điểm không phải là số",
                },
            ),
            problem_count=1,
        )
    }
    (letter,) = compose_letters(make_cfg(digest_weekday=0), roster, items, facts, NOW)
    return letter


CUC_LINK = (
    "https://docs.google.com/forms/d/e/1FAIpQLSx/viewform?usp=pp_url"
    "&entry.1=Ph%E1%BA%A1m%20Th%E1%BB%8B%20C%C3%BAc&entry.2=1970-01-02"
)


def render(alert: Alert, now: datetime = NOW, **kw) -> EmailMessage:
    args = dict(templates_dir=TEMPLATES, sender=SENDER, reply_to=REPLY_TO, ward_name=WARD, now=now)
    args.update(kw)
    return render_alert(alert, **args)  # type: ignore[arg-type]


def parsed(msg: EmailMessage) -> EmailMessage:
    """What a mail client sees: the bytes parsed back."""
    return message_from_bytes(msg.as_bytes(), policy=policy.default)


def parts(msg: EmailMessage) -> tuple[str, str]:
    m = parsed(msg)
    text = m.get_body(preferencelist=("plain",))
    html = m.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    crlf = (text.get_content(), html.get_content())
    return crlf[0].replace("\r\n", "\n"), crlf[1].replace("\r\n", "\n")


# ---------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(AlertKind))
def test_each_template_has_the_three_blocks(kind: AlertKind):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)))
    template = env.get_template(f"{kind.value}.j2")
    assert set(BLOCKS) == {"subject", "text", "html"}
    assert set(BLOCKS) <= set(template.blocks)


@pytest.mark.parametrize("kind", list(AlertKind))
def test_message_structure_and_headers(kind: AlertKind):
    alert = alert_for(kind)
    msg = parsed(render(alert))
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["From"].addresses[0].addr_spec == "bxdd@phuong.example.vn"
    assert msg["From"].addresses[0].display_name == "Ban Xây dựng Đảng phường"
    assert [a.addr_spec for a in msg["To"].addresses] == list(alert.to)
    assert msg["Reply-To"] == REPLY_TO
    assert msg["Date"] == "Mon, 07 Dec 2026 08:00:00 +0700"
    digest = hashlib.sha256(alert.alert_id.encode()).hexdigest()[:24]
    assert msg["Message-ID"] == f"<kns.{digest}@phuong.example.vn>"
    assert msg["X-KNS-Alert-Id"] == alert.alert_id
    assert msg["Auto-Submitted"] == "auto-generated"
    text, html = parts(render(alert))
    code = alert_code(alert.alert_id)
    assert f"Mã thông báo: {code}" in text
    assert code in html
    for body in (text, html):
        assert "được gửi tự động" in body and WARD in body
        assert "Kính gửi" in body


def test_subject_is_utf8_encoded_and_decodes_with_full_diacritics():
    msg = render(alert_for(AlertKind.REMINDER))
    raw = msg.as_bytes()
    assert raw.isascii()  # headers RFC 2047-encoded, bodies quoted-printable
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n", 1)[0]
    subject = parsed(msg)["Subject"]
    assert subject == (
        "[Nhắc hạn] Gửi báo cáo kết quả về Đảng ủy phường - hạn chót 20/11/2026 - "
        "Chi bộ Văn phòng Đảng ủy"
    )


@pytest.mark.parametrize("repeat", [1, 3, 6])
def test_long_subjects_keep_every_space(repeat: int):
    """CPython's folder can drop a space between wrapped encoded words: not here."""
    name = " ".join(["Chi bộ Khu phố Hòa Bình – Tổ dân phố số 12 phường Mẫu"] * repeat)
    roster = Roster(branches=(replace(BRANCHES[0], name=name), *BRANCHES[1:]), members=())
    msg = render(alert_for(AlertKind.REMINDER, roster=roster))
    head = msg.as_bytes().split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in head.split(b"\r\n")) <= 78
    expected = f"[Nhắc hạn] Gửi báo cáo kết quả về Đảng ủy phường - hạn chót 20/11/2026 - {name}"
    assert parsed(msg)["Subject"] == expected
    assert str(msg["Subject"]) == expected  # what the cycle stores in the ledger


def test_reminder_text():
    text, _ = parts(render(alert_for(AlertKind.REMINDER)))
    assert text.startswith("Kính gửi đồng chí Nguyễn Văn An, Bí thư Chi bộ Văn phòng Đảng ủy,\n")
    assert "Hạn chót: 20/11/2026 (còn 2 ngày)" in text
    assert "Nội dung: Gửi báo cáo kết quả về Đảng ủy phường" in text


def test_overdue_text():
    msg = render(alert_for(AlertKind.OVERDUE))
    text, _ = parts(msg)
    assert "Đã quá hạn: 3 ngày" in text
    assert "lần thứ 1 (tối đa 4 lần)" in text
    assert "Cc" not in msg and "Ủy viên" not in text


def test_escalation_has_cc_and_names_the_supervisor():
    alert = alert_for(AlertKind.ESCALATION)
    msg = parsed(render(alert))
    assert [a.addr_spec for a in msg["Cc"].addresses] == ["hoa@phuong.example.vn"]
    text, html = parts(render(alert))
    assert "Đồng kính gửi đồng chí Lê Thị Hoa, Ủy viên Ban Chấp hành phụ trách chi bộ" in text
    assert "Lê Thị Hoa" in html
    assert "Đã quá hạn: 17 ngày" in text


def test_escalation_without_supervisor_address_does_not_claim_a_copy():
    alert = alert_for(AlertKind.ESCALATION, code="CB02")
    msg = render(alert)
    text, _ = parts(msg)
    assert "Cc" not in msg
    assert "Đồng kính gửi" not in text and "đồng gửi đồng chí Ủy viên" not in text


def test_digest_lists_the_late_branches():
    alert = alert_for(AlertKind.DIGEST)
    msg = parsed(render(alert))
    assert msg["Subject"].startswith("[Tổng hợp tuần 50/2026] 2 chi bộ có nội dung quá hạn")
    text, html = parts(render(alert))
    assert text.startswith("Kính gửi các đồng chí cán bộ Đảng ủy,")
    assert "1. CB01 - Chi bộ Văn phòng Đảng ủy" in text
    assert "Bí thư: Nguyễn Văn An" in text
    assert "- Gửi báo cáo kết quả về Đảng ủy phường: hạn 20/11/2026, quá hạn 17 ngày" in text
    # the digest reports the notices of its own cycle (CB01's escalation goes out now)
    assert (
        "Thông báo gần nhất đã gửi: 07/12/2026 (Thông báo quá hạn (đồng gửi Ủy viên phụ trách))"
        in text
    )
    assert "2. CB10 - Chi bộ Công an phường" in text
    assert "Chi bộ Khu phố Hòa Bình" not in text  # CB02 is on time
    assert "<table" in html and "Chi bộ Công an phường" in html


def test_digest_says_when_a_late_branch_had_no_notice_yet():
    # the digest alone (planned from a ledger without any notice to CB10)
    statuses = late_statuses(NOW)
    p = plan_digest(make_cfg(digest_weekday=0), ROSTER, statuses, {}, NOW)
    (digest,) = p.due
    text, html = parts(render(digest))
    assert text.count("Thông báo gần nhất đã gửi: chưa có") == 2
    assert "chưa có" in html


def test_digest_over_its_size_summarises_and_points_to_the_summary():
    statuses = late_statuses(NOW)
    cfg = make_cfg(digest_weekday=0, digest_max_branches=1)
    p = plan_digest(cfg, ROSTER, statuses, {}, NOW)
    (digest,) = p.due
    text, html = parts(render(digest))
    assert "Danh sách dưới đây chỉ gồm 1 chi bộ quá hạn lâu nhất" in text
    assert "danh sách đầy đủ 2 chi bộ xem tại tab \"Quá hạn\"" in text
    assert "- Gửi báo cáo kết quả về Đảng ủy phường: 2 chi bộ quá hạn" in text
    assert "2. " not in text  # one branch listed
    assert "chi bộ quá hạn lâu nhất" in html


def test_empty_digest_renders():
    now = local("2026-11-16T09:00")
    p = plan_alerts(
        make_cfg(digest_weekday=0, digest_when_empty=True),
        ROSTER,
        [report_status("CB01", now)],
        {},
        now,
    )
    (digest,) = [a for a in p.due if a.kind is AlertKind.DIGEST]
    msg = render(digest, now)
    assert "Không có chi bộ quá hạn" in parsed(msg)["Subject"]
    assert "Tuần này không có chi bộ nào có nội dung quá hạn." in parts(msg)[0]


# ---------------------------------------------------------------------------------------
# Safety and determinism
# ---------------------------------------------------------------------------------------


def hostile_roster() -> Roster:
    evil = replace(
        BRANCHES[0],
        name='Chi bộ <script>alert("x")</script> & <b>Khu phố</b>',
        secretary_name="Nguyễn <i>Văn</i> An",
    )
    return Roster(branches=(evil, *BRANCHES[1:]), members=())


@pytest.mark.parametrize("kind", [AlertKind.REMINDER, AlertKind.ESCALATION])
def test_html_part_escapes_roster_text(kind: AlertKind):
    text, html = parts(render(alert_for(kind, roster=hostile_roster())))
    assert "<script>" not in html and "<b>Khu phố</b>" not in html and "<i>" not in html
    assert "&lt;script&gt;" in html and "&amp;" in html
    assert '<script>alert("x")</script> & <b>Khu phố</b>' in text  # plain text is verbatim


def test_subject_stays_on_one_line_whatever_the_roster_says():
    roster = Roster(
        branches=(replace(BRANCHES[0], name="Chi bộ A\r\nBcc: spy@example.com"), *BRANCHES[1:]),
        members=(),
    )
    msg = parsed(render(alert_for(AlertKind.REMINDER, roster=roster)))
    assert "Bcc" not in msg
    assert "\n" not in msg["Subject"] and "Chi bộ A Bcc: spy@example.com" in msg["Subject"]


def test_a_secretary_message_never_names_another_branch():
    msg = render(alert_for(AlertKind.ESCALATION))
    text, html = parts(msg)
    for other in BRANCHES[1:]:
        for body in (text, html, str(parsed(msg)["Subject"])):
            assert other.name not in body
            assert other.secretary_name not in body


@pytest.mark.parametrize("kind", list(AlertKind))
def test_same_alert_and_now_give_identical_bytes(kind: AlertKind):
    a = alert_for(kind)
    assert render(a).as_bytes() == render(a).as_bytes()
    later = render(a, local("2026-12-07T08:30"))
    assert later["Message-ID"] == render(a)["Message-ID"]  # the id depends on the alert only
    assert later.as_bytes() != render(a).as_bytes()


def test_unaddressable_alert_still_renders_for_preview():
    alert = replace(alert_for(AlertKind.REMINDER), to=())
    msg = render(alert)
    assert "To" not in msg and msg["Subject"]


def test_sender_without_domain_and_no_reply_to():
    msg = render(alert_for(AlertKind.REMINDER), sender="bxdd", reply_to=None)
    assert msg["Message-ID"].endswith("@localhost>")
    assert "Reply-To" not in msg


# ---------------------------------------------------------------------------------------
# Template errors are MailError, in Vietnamese
# ---------------------------------------------------------------------------------------


def _templates(tmp_path: Path, body: str) -> Path:
    (tmp_path / "reminder.j2").write_text(body, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (None, "Không tìm thấy mẫu thư"),
        ("{% block subject %}x{% endblock %}{% block text %}y{% endblock %}", "thiếu phần"),
        (
            "{% block subject %}{{ khong_co }}{% endblock %}"
            "{% block text %}y{% endblock %}{% block html %}z{% endblock %}",
            "biến không có",
        ),
        ("{% block subject %}{% if %}{% endblock %}", "lỗi cú pháp"),
        (
            "{% block subject %} {% endblock %}{% block text %}y{% endblock %}"
            "{% block html %}z{% endblock %}",
            "tiêu đề thư",
        ),
    ],
)
def test_template_problems_raise_mail_error(tmp_path: Path, body: str | None, words: str):
    folder = tmp_path if body is None else _templates(tmp_path, body)
    with pytest.raises(MailError, match=words):
        render(alert_for(AlertKind.REMINDER), templates_dir=folder)


def test_custom_template_edits_are_picked_up(tmp_path: Path):
    folder = _templates(
        tmp_path,
        "{% block subject %}Một{% endblock %}{% block text %}{{ branch_name }}{% endblock %}"
        "{% block html %}<p>{{ branch_name }}</p>{% endblock %}",
    )
    assert render(alert_for(AlertKind.REMINDER), templates_dir=folder)["Subject"] == "Một"
    path = folder / "reminder.j2"
    path.write_text(path.read_text(encoding="utf-8").replace("Một", "Hai"), encoding="utf-8")
    os.utime(path, (1, 1))  # a different mtime, even within the same second
    assert render(alert_for(AlertKind.REMINDER), templates_dir=folder)["Subject"] == "Hai"


# ---------------------------------------------------------------------------------------
# Outbox transport
# ---------------------------------------------------------------------------------------


# Sending, was_sent, an interrupted write, a full disk: tests/test_contract_transport.py


def test_outbox_resend_overwrites_the_same_file(tmp_path: Path):
    outbox = OutboxTransport(tmp_path)
    alert = alert_for(AlertKind.REMINDER)
    outbox.send(alert.alert_id, render(alert))
    outbox.send(alert.alert_id, render(alert))
    assert [p.name for p in tmp_path.iterdir()] == [eml_name(alert.alert_id)]


def test_outbox_file_names_are_safe_and_distinct():
    names = {eml_name(i) for i in ("a:b/c", "a_b_c", "a:b:c", "../../etc/passwd", "x" * 500)}
    assert len(names) == 5
    for n in names:
        assert "/" not in n and ":" not in n and not n.startswith(".") and len(n) < 150


def test_outbox_failure_is_a_mail_error_and_leaves_no_temp_file(tmp_path: Path):
    blocker = tmp_path / "outbox"
    blocker.write_text("not a folder", encoding="utf-8")
    alert = alert_for(AlertKind.REMINDER)
    with pytest.raises(MailError, match="Không ghi được tệp thư"):  # the outbox is a file
        OutboxTransport(blocker).send(alert.alert_id, render(alert))

    folder = tmp_path / "ok"
    folder.mkdir()
    (folder / eml_name(alert.alert_id)).mkdir()  # the target is a folder: replace fails
    with pytest.raises(MailError, match="Không ghi được tệp thư"):
        OutboxTransport(folder).send(alert.alert_id, render(alert))
    assert [p.name for p in folder.iterdir()] == [eml_name(alert.alert_id)]
