"""One message per branch per cycle (sync/letters.py): what a letter carries, to whom, its
key, today's limit counted in messages, and what it says of the branch's members."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from email import message_from_bytes, policy

from sync.alerts import sent_on
from sync.letters import (
    BranchFacts,
    branch_facts,
    compose_letters,
    letter_key,
    within_limit,
)
from sync.mail import render_alert
from sync.model import (
    Alert,
    AlertKind,
    DataProblem,
    LedgerEntry,
    Member,
    MemberResult,
    RegistrationResult,
    Roster,
)
from tests.test_alerts import (
    BRANCHES,
    ROSTER,
    TZ,
    entry,
    late_statuses,
    ledger_of,
    local,
    make_cfg,
    plan,
    report_status,
)
from tests.test_mail import REPLY_TO, SENDER, TEMPLATES, WARD

EVERY_DAY = {"weekdays": [0, 1, 2, 3, 4, 5, 6], "start": "00:00", "end": "23:59"}
NOW = local("2026-12-07T08:00")  # 17 days after the tests' DUE (20/11): escalation 3


def _due(now=NOW, **cfg) -> list[Alert]:
    """CB01 and CB10 late (bao_cao; CB10's plan too), as tests/test_alerts.py sets them,
    and the Monday digest."""
    cfg.setdefault("digest_weekday", 0)
    return list(plan(now, late_statuses(now), window=EVERY_DAY, **cfg).due)


def test_a_branch_gets_one_letter_with_every_alert_due_for_it():
    alerts = _due()
    by_branch = {a.branch_code for a in alerts}
    assert {"CB01", "CB10"} <= by_branch
    letters = compose_letters(make_cfg(), ROSTER, alerts, {}, NOW)
    branch_letters = [x for x in letters if x.message.kind is AlertKind.LETTER]
    assert [x.message.branch_code for x in branch_letters] == ["CB01", "CB10"]
    for x in branch_letters:
        mine = [a.alert_id for a in alerts if a.branch_code == x.message.branch_code]
        assert [a.alert_id for a in x.items] == mine  # every one, in plan order
    cb10 = branch_letters[1]
    assert len(cb10.items) == 2  # its plan (caught up) and its report
    # every alert is carried by exactly one message
    carried = [a.alert_id for x in letters for a in x.items]
    assert sorted(carried) == sorted(a.alert_id for a in alerts)


def test_the_supervisor_is_copied_only_when_an_item_is_an_escalation():
    cb01 = next(b for b in BRANCHES if b.code == "CB01")
    escalated = _due()  # 17 days over: escalation 3, the supervisor in Cc
    (letter,) = [
        x for x in compose_letters(make_cfg(), ROSTER, escalated, {}, NOW)
        if x.message.branch_code == "CB01"
    ]  # fmt: skip
    assert letter.message.to == (cb01.secretary_email,)
    assert letter.message.cc == (cb01.supervisor_email,)
    assert letter.message.context["supervisor_copied"] is True
    early = local("2026-11-23T08:00")  # 3 days over: overdue 1, no escalation yet
    alerts = list(plan(early, [report_status("CB01", early)], window=EVERY_DAY).due)
    (letter,) = compose_letters(make_cfg(), ROSTER, alerts, {}, early)
    assert letter.message.cc == () and letter.message.context["supervisor_copied"] is False


def test_the_key_is_the_items_and_nothing_else():
    ids = ["bao_cao:CB01:overdue:1", "dang_ky:CB01:reminder:2d"]
    expected = "thu:CB01:" + hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:12]
    assert letter_key("CB01", ids) == letter_key("CB01", reversed(ids)) == expected
    assert letter_key("CB01", ids[:1]) != expected


def test_staff_team_and_digest_messages_stay_alone():
    ward = Alert(
        alert_id="tong_ket:ward:overdue:1",
        kind=AlertKind.OVERDUE,
        to=("bxdd@phuong.example.vn",),
        cc=(),
        branch_code="",
        milestone_id="tong_ket",
        occurrence="1",
        due_at=NOW,
    )
    team = Alert(
        alert_id="to_cong_nghe_so:team:T01:overdue:1",
        kind=AlertKind.OVERDUE,
        to=("t01@x.vn",),
        cc=(),
        branch_code="team:T01",
        milestone_id="to_cong_nghe_so",
        occurrence="1",
        due_at=NOW,
    )
    alerts = [*_due(), team, ward]
    letters = compose_letters(make_cfg(), ROSTER, alerts, {}, NOW)
    keys = [x.key for x in letters]
    # the staff's first, the branches' letters, the team's, the digest last
    assert keys[0] == ward.alert_id
    assert keys[1].startswith("thu:CB01:") and keys[2].startswith("thu:CB10:")
    assert keys[3] == team.alert_id and keys[4].startswith("digest:")


def _sent(alert_id: str, key: str, day: date) -> LedgerEntry:
    at = local(f"{day.isoformat()}T08:00")
    return LedgerEntry(alert_id, "overdue", "CB01", "m", "sent", "", "", at, at, "", key)


def test_the_daily_limit_counts_messages_not_the_alerts_they_carry():
    today = date(2026, 12, 7)
    ledger = {
        "a": _sent("a", "thu:CB01:x", today),
        "b": _sent("b", "thu:CB01:x", today),  # the same letter
        "c": _sent("c", "", today),  # a message of its own
        "d": _sent("d", "thu:CB02:y", today - timedelta(days=1)),  # yesterday
    }
    assert sent_on(ledger, today, TZ) == 2
    letters = compose_letters(make_cfg(), ROSTER, _due(), {}, NOW)
    cfg = make_cfg()
    # 2 used today: room for 2, one kept for the digest
    cfg = cfg.model_copy(update={"mail": cfg.mail.model_copy(update={"daily_limit": 4})})
    kept, held = within_limit(cfg, letters, ledger, today, reserve=1)
    # CB01's and CB10's letters carry escalations (rank 1), the digest (rank 0) goes first
    assert [x.key.split(":")[0] for x in kept] == ["digest"]
    assert [x.message.branch_code for x in held] == ["CB01", "CB10"]
    kept, held = within_limit(cfg, letters, ledger, today, reserve=0)
    assert [x.key.split(":")[0] for x in kept] == ["thu", "digest"] and len(held) == 1


def _member(code: str, name: str, branch: str, *, exempt: bool = False) -> Member:
    return Member(code, name, date(1970, 1, 2), branch, exempt=exempt)


def _result(code: str, branch: str, *, registered: bool, total: float | None, review=None):
    registration = (
        RegistrationResult(complete=True, failed_rules=(), self_assessment_done=0)
        if registered
        else None
    )
    return MemberResult(
        member_code=code,
        branch_code=branch,
        registration=registration,
        self_total=None,
        committee_total=total,
        band=None,
        pending=False,
        gap_flag=False,
        review_reason=review,
    )


def test_facts_name_only_the_branchs_own_members_and_problems():
    members = (
        _member("M1", "Nguyễn Văn Một", "CB01"),  # registered, scored
        _member("M2", "Trần Thị Hai", "CB01"),  # nothing received
        _member("M3", "Lê Văn Ba", "CB01"),  # registered, sheet to review
        _member("M4", "Phạm Thị Bốn", "CB01", exempt=True),  # exempt: never listed
        _member("M5", "Hoàng Văn Năm", "CB02"),  # another branch: never listed
    )
    roster = Roster(BRANCHES, members)
    results = [
        _result("M1", "CB01", registered=True, total=90.0),
        _result("M3", "CB01", registered=True, total=None, review="Tiêu chí 3 để trống"),
    ]
    problems = [
        DataProblem("Biểu mẫu 02", "Dòng 4", "Tiêu chí 3", "abc", "Điểm không phải số", "CB01"),
        DataProblem("Biểu mẫu 02", "Dòng 9", "Tiêu chí 1", "x", "Điểm không phải số", "CB02"),
    ]
    cfg = make_cfg()
    facts = branch_facts(cfg, {}, roster, results, problems, {"CB01"})
    assert set(facts) == {"CB01"}
    f = facts["CB01"]
    assert [m["name"] for m in f.unregistered] == ["Trần Thị Hai"]
    assert [m["name"] for m in f.unscored] == ["Trần Thị Hai"]
    assert [(m["name"], m["reason"]) for m in f.to_review] == [
        ("Lê Văn Ba", "Tiêu chí 3 để trống")
    ]
    assert [p["record"] for p in f.problems] == ["Dòng 4"] and f.problem_count == 1


def test_a_rendered_letter_lists_items_names_problems_and_links():
    alerts = [a for a in _due() if a.branch_code == "CB10"]
    link = "https://docs.google.com/forms/d/e/X/viewform?usp=pp_url&entry.1=Tr%E1%BA%A7n"
    facts = {
        "CB10": BranchFacts(
            unregistered=({"name": "Trần Thị Hai", "link": link},),
            problems=(
                {
                    "source": "Biểu mẫu 02",
                    "record": "Dòng 4",
                    "field": "Tiêu chí 3",
                    "raw_value": "=HYPERLINK(\"x\")",
                    "reason": "Điểm không phải số",
                },
            ),
            problem_count=1,
            milestone_links={"bao_cao": {"title": "Thống kê", "url": link + "&x=1"}},
        )
    }
    (letter,) = compose_letters(make_cfg(), ROSTER, alerts, facts, NOW)
    msg = render_alert(
        letter.message,
        templates_dir=TEMPLATES,
        sender=SENDER,
        reply_to=REPLY_TO,
        ward_name=WARD,
        now=NOW,
    )
    back = message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert str(back["X-KNS-Items"]).split() == [a.alert_id for a in alerts]
    assert "2 nội dung quá hạn" in str(back["Subject"])
    text = back.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = back.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "1. Trần Thị Hai: " + link in text
    assert f'<a href="{link.replace("&", "&amp;")}">Trần Thị Hai</a>' in html
    assert 'Dòng 4, mục "Tiêu chí 3": "=HYPERLINK("x")"' in text
    assert "=HYPERLINK(&#34;x&#34;)" in html  # respondent text is never markup
    assert 'Cập nhật qua biểu mẫu "Thống kê": ' + link + "&x=1" in text
    assert letter.message.context["alert_code"] in text


def test_a_never_notified_item_joins_the_letter_once():
    """CB10's plan, far past its cadence, is carried once; the next cycle's letter (a new
    notice of the report) does not carry it again."""
    first = _due()
    cb10 = [a.alert_id for a in first if a.branch_code == "CB10"]
    assert cb10[0] == "ke_hoach:CB10:escalation:4"
    ledger = ledger_of(*(entry(a, "sent", NOW) for a in (x.alert_id for x in first)))
    later = NOW + timedelta(days=7)  # the report's 4th notice
    again = [a.alert_id for a in plan(later, late_statuses(later), ledger, window=EVERY_DAY).due]
    assert "ke_hoach:CB10:escalation:4" not in again
    assert "bao_cao:CB10:escalation:4" in again
