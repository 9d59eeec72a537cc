"""What the sample ward's first cycle must send, worked out from the generator's truth and
the plan's dates in config/example.yaml, never from the pipeline.

The first cycle runs on Monday 23/11/2026 08:00 (+07), inside the send window. The alert
policy (config/example.yaml): reminders 7 and 2 days before; an overdue notice every 7 days,
at most 4 (nominal days 1, 8, 15, 22 after the due date); from nominal day 14 on a branch's
overdue notice is an escalation. So on 23/11:

- ke_hoach (due 11/05, 196 days over) and the quarterly reviews ra_soat_quy:2026-Q2 (due
  30/06, 146 days) and 2026-Q3 (due 30/09, 54 days) are past their 4th notice: nothing;
- sinh_hoat, nhiem_vu, dang_ky (due 08/11, 15 days over) and bao_cao, cham_diem (due 07/11,
  16 days over) are in their 3rd notice's week (days 15-21): one "escalation:3" per branch
  where still open;
- the ward's own tong_ket (due 18/11, 5 days over, no done_on): one "tong_ket:ward:overdue:1"
  to the ward staff;
- the digest of week 48 (Monday, and branches are late);
- CB21 has no secretary e-mail: its notices are unaddressable, never sent.

Open branch milestones per branch (session, task, report, registration, scoring), from
``Truth``: CB01 0, CB02 1, CB03 1, CB04 3, CB05 2, CB06 1, CB07 2, CB08 5, CB09 1, CB10 2,
CB11 3, CB12 2, CB13 5, CB14 2, CB15 2, CB16 4, CB17 2, CB18 3, CB19 5, CB20 2, (CB21 5, not
sent), CB22 2, CB23 3, CB24 5, CB25 4: 62 notices to secretaries.

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
  (unaddressable, never sent): 24 letters;
- "hoc_tap:ward:2026-11", the rates per branch, to the ward staff: 1 letter.

They go after the campaign's messages (sync/cycle.py sends the notices, then the digest,
then the follow-ups: the branches' letters in branch order, the ward's summary last).
With no daily limit (the sample's outbox) all of them leave in the first cycle:
62 + 1 + 1 = 64 campaign messages, then 24 + 1 = 25 follow-ups, 89 in all.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from functools import lru_cache

from sync.sample_staff import STAFF_FILE
from sync.sample_ward import NO_EMAIL_BRANCH, NOW, BranchTruth, SampleWard, generate

FIRST_CYCLE_BRANCH_NOTICES = 62  # the per-branch sum above
# 62 escalations to secretaries + the ward's own overdue notice + the weekly digest; the
# digest is the last of these (the 64th message sent)
CAMPAIGN_MESSAGES = FIRST_CYCLE_BRANCH_NOTICES + 1 + 1
# "Bình dân học vụ số" (above): 25 branches have a learner not passed, CB21 unaddressable
LEARNING_BRANCH_LETTERS = 25 - 1
LEARNING_MESSAGES = LEARNING_BRANCH_LETTERS + 1  # + the ward staff's summary
LEARNING_OCCURRENCE = "2026-11"  # November's monthly letter (reached 05/11)
# 64 campaign messages + 25 follow-ups
FIRST_CYCLE_MESSAGES = CAMPAIGN_MESSAGES + LEARNING_MESSAGES
# every branch with an open milestone is late (all five were due by 08/11): all but CB01;
# CB21 gets no notice, so 23 branches have one dated 23/11 in the digest
LATE_BRANCHES_NOTIFIED = 23

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
    ids |= {"tong_ket:ward:overdue:1", "digest:2026-W48"}
    return frozenset(ids | first_cycle_learning_ids())


# ---------------------------------------------------------------------------------------
# "Bình dân học vụ số" follow-ups (the reasoning is in the module's docstring)
# ---------------------------------------------------------------------------------------

ROSTER_FILE = "roster/chi-bo.csv"  # the generator's own branch roster file


@lru_cache(maxsize=1)
def _sample() -> SampleWard:
    return generate()


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
