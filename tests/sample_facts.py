"""What the sample ward's first cycle must send, worked out from the generator's truth and
the plan's dates in config/example.yaml, never from the pipeline.

The first cycle runs on Monday 23/11/2026 08:00 (+07), inside the send window. The alert
policy (config/example.yaml): reminders 7 and 2 days before; an overdue notice every 7 days,
at most 4 (nominal days 1, 8, 15, 22 after the due date); from nominal day 14 on a branch's
overdue notice is an escalation. An item past the cadence's 4th notice that never had an
overdue notice gets that 4th notice once (issue 9: "overdue" never goes with "no notice
ever"), an escalation when it is 14 days over or more. So on 23/11:

- sinh_hoat, nhiem_vu, dang_ky (due 08/11, 15 days over) and bao_cao, cham_diem (due 07/11,
  16 days over) are in their 3rd notice's week (days 15-21): one "escalation:3" per branch
  where still open;
- ke_hoach (due 11/05, 196 days over) and the quarterly reviews ra_soat_quy:2026-Q2 (window
  12/05-30/06, 146 days over) and 2026-Q3 (01/07-30/09, 54 days over) are past their 4th
  notice, and the first cycle has sent nothing before: one "escalation:4" per branch where
  still open (the plan not issued; no "Tiến độ nhiệm vụ" answer dated in the window or later);
- the team T04 (the only team with no support-log row: ``SupportTruth``) has not completed
  to_cong_nghe_so (due 29/06, 147 days over): its leader gets "overdue:4" (a team is never
  escalated: nobody to copy);
- the ward's own tong_ket (due 18/11, 5 days over, no done_on): one "tong_ket:ward:overdue:1"
  to the ward staff;
- the digest of week 48 (Monday, and branches are late);
- CB21 has no secretary e-mail: its notices are unaddressable, never sent.

"Bình dân học vụ số" follow-ups (config/example.yaml, learning.follow_up: monthly_day 5,
days_before_due [14]; every target of learning.targets is due 31/12/2026). On 23/11 the
latest occurrence reached is November's monthly letter (reached 05/11, 23 >= 5); the
letter 14 days before the deadline is only reached on 17/12. So the occurrence is
"2026-11" and:

- one "hoc_tap:{branch}:2026-11" per branch with at least one learner who has not passed
  (``Truth.staff``: ``passed`` is not True, i.e. "Chưa đạt", not assessed yet, or not on
  the platform at all), to that branch's secretary (the roster's "Email bí thư") alone,
  listing that branch's own learners only. Not passed / learners per branch, from the
  truth: CB01 10/14, CB02 20/28, CB03 13/15, CB04 10/16, CB05 10/19, CB06 14/19,
  CB07 18/26, CB08 12/20, CB09 13/18, CB10 20/27, CB11 19/22, CB12 17/23, CB13 20/25,
  CB14 16/22, CB15 25/28, CB16 18/21, CB17 21/29, CB18 18/27, CB19 23/30, CB20 17/25,
  CB21 20/25, CB22 22/27, CB23 17/25, CB24 22/25, CB25 19/25 (434 of 581 learners): every
  one of the 25 branches has someone to follow up; CB21 has no secretary e-mail
  (unaddressable, never sent): 24 follow-ups;
- "hoc_tap:ward:2026-11", the rates per branch, to the ward staff.

Messages (issue 9: one per branch per cycle): everything due for a branch goes in one
letter to its secretary (sync/letters.py). Every one of the 24 addressable branches has a
follow-up due, so 24 letters; then the ward staff's tong_ket notice, T04's leader's notice,
the digest and the staff's learning summary, one message each: 28 messages in all. In the
order sent: tong_ket (the ward's own notices are planned first), the 24 letters in branch
order, T04, the digest (after the notices, it reports them), the learning summary (last).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from functools import lru_cache

from tools.sample_ward import (
    DEFAULT_SEED,
    NO_EMAIL_BRANCH,
    NOW,
    BranchTruth,
    SampleWard,
    build_ward,
    generate,
)
from tools.sample_ward.staff import STAFF_FILE

# every branch with a secretary e-mail has a follow-up due: each gets one letter
BRANCH_LETTERS = 25 - 1
# the ward staff's tong_ket notice, T04's leader's notice, the digest, the learning summary
SINGLE_MESSAGES = 4
FIRST_CYCLE_MESSAGES = BRANCH_LETTERS + SINGLE_MESSAGES  # 28
# the digest is the 27th message sent (before it: tong_ket, 24 letters, T04)
DIGEST_POSITION = 1 + BRANCH_LETTERS + 1 + 1
# "Bình dân học vụ số" (above): 25 branches have a learner not passed, CB21 unaddressable
LEARNING_BRANCH_LETTERS = 25 - 1
LEARNING_MESSAGES = LEARNING_BRANCH_LETTERS + 1  # follow-ups + the ward staff's summary
LEARNING_OCCURRENCE = "2026-11"  # November's monthly letter (reached 05/11)
# every branch with an open milestone is late (all five were due by 08/11): all but CB01;
# CB21 gets no notice, so 23 branches have one dated 23/11 in the digest
LATE_BRANCHES_NOTIFIED = 23
TEAMS_WITHOUT_LOGS = ("T04",)  # tools/sample_ward/support.py: "set up, no log yet"

# The branch milestones of config/example.yaml that give a notice on 23/11 (see above), with
# the date in the truth that closes each.
_NOTIFIED_ON_MONDAY: dict[str, str] = {
    "sinh_hoat": "session_date",
    "nhiem_vu": "task_registered_on",
    "bao_cao": "report_sent_on",
    "dang_ky": "all_registered_on",
    "cham_diem": "all_scored_on",
}


def _open(b: BranchTruth, attr: str) -> bool:
    d: date | None = getattr(b, attr)
    return d is None or d > NOW.date()  # a date still ahead is not done


@lru_cache(maxsize=1)
def first_cycle_alert_ids() -> frozenset[str]:
    """The ids the first cycle sends, from the truth and the reasoning above."""
    truth = _sample().truth
    ids = {
        f"{mid}:{code}:escalation:3"
        for code, b in truth.branches.items()
        if code != NO_EMAIL_BRANCH
        for mid, attr in _NOTIFIED_ON_MONDAY.items()
        if _open(b, attr)
    }
    for code, b in truth.branches.items():
        if code == NO_EMAIL_BRANCH:
            continue
        if b.plan_date is None or b.plan_date > NOW.date():
            ids.add(f"ke_hoach:{code}:escalation:4")
        for quarter, starts in _REVIEW_WINDOWS.items():
            if not any(starts <= d <= NOW.date() for d in reviews().get(code, ())):
                ids.add(f"ra_soat_quy:{quarter}:{code}:escalation:4")
    ids |= {f"to_cong_nghe_so:team:{t}:overdue:4" for t in TEAMS_WITHOUT_LOGS}
    ids |= {"tong_ket:ward:overdue:1", "digest:2026-W48"}
    return frozenset(ids | first_cycle_learning_ids())


# ra_soat_quy (config/example.yaml: recurs quarterly from 12/05 until 08/11): the quarters
# that end inside that span, each with the first day its review counts from
_REVIEW_WINDOWS = {"2026-Q2": date(2026, 5, 12), "2026-Q3": date(2026, 7, 1)}


@lru_cache(maxsize=1)
def reviews() -> dict[str, list[date]]:
    """Per branch, the dates of its form A submissions answering "Tiến độ nhiệm vụ" (the
    truth keeps only the final one: read from the generator's own model)."""
    out: dict[str, list[date]] = {}
    for s in build_ward(DEFAULT_SEED).form_a:
        if s.branch and s.values.get("task_progress"):
            out.setdefault(s.branch, []).append(s.at.date())
    return out


# ---------------------------------------------------------------------------------------
# "Bình dân học vụ số" follow-ups (the reasoning is in the module's docstring)
# ---------------------------------------------------------------------------------------

ROSTER_FILE = "roster/chi-bo.csv"  # the generator's own branch roster file


@lru_cache(maxsize=1)
def _sample() -> SampleWard:
    return generate()


def sample_truth():  # type: ignore[no-untyped-def]
    """The generator's truth of the sample ward."""
    return _sample().truth


@lru_cache(maxsize=1)
def secretary_emails() -> dict[str, str]:
    """Each branch's secretary e-mail as the generator wrote it ("" for CB21): read with
    the csv module from the generator's bytes, not through the pipeline's roster reader."""
    text = _sample().files[ROSTER_FILE].decode("utf-8-sig")
    return {r["Mã chi bộ"]: r["Email bí thư"].strip() for r in csv.DictReader(io.StringIO(text))}


@lru_cache(maxsize=1)
def learning_laggards() -> dict[str, frozenset[str]]:
    """Per branch, the codes of its learners (``Truth.staff``) who have not passed: the
    learners its secretary's follow-up must list, and only they."""
    out: dict[str, set[str]] = {}
    for s in _sample().truth.staff:
        if s.passed is not True:
            out.setdefault(s.branch_code, set()).add(s.code)
    return {code: frozenset(codes) for code, codes in out.items()}


@lru_cache(maxsize=1)
def first_cycle_learning_ids() -> frozenset[str]:
    """The follow-ups the first cycle sends: one per branch with a laggard and a secretary
    e-mail, and the ward staff's summary."""
    emails = secretary_emails()
    ids = {
        f"hoc_tap:{code}:{LEARNING_OCCURRENCE}"
        for code, laggards in learning_laggards().items()
        if laggards and emails.get(code)
    }
    return frozenset(ids | {f"hoc_tap:ward:{LEARNING_OCCURRENCE}"})


@lru_cache(maxsize=1)
def learner_birth_dates() -> frozenset[date]:
    """Every learner's birth date as the generator wrote it (a follow-up must show none):
    the staff roster file's "Ngày sinh" (dd/mm/yyyy), and for the members that file does
    not list, the member truth."""
    sample = _sample()
    text = sample.files[STAFF_FILE].decode("utf-8-sig")
    out = {
        datetime.strptime(r["Ngày sinh"], "%d/%m/%Y").date()
        for r in csv.DictReader(io.StringIO(text))
    }
    out |= {
        sample.truth.members[s.member_code].birth_date
        for s in sample.truth.staff
        if not s.in_staff_file
    }
    return frozenset(out)
