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
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from sync.sample_ward import NOW, BranchTruth, generate

NO_EMAIL_BRANCH = "CB21"
FIRST_CYCLE_BRANCH_NOTICES = 62  # the per-branch sum above
# 62 escalations to secretaries + the ward's own overdue notice + the weekly digest
FIRST_CYCLE_MESSAGES = FIRST_CYCLE_BRANCH_NOTICES + 1 + 1
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
    truth = generate().truth
    ids = {
        f"{mid}:{code}:escalation:3"
        for code, b in truth.branches.items()
        if code != NO_EMAIL_BRANCH
        for mid, attr in _NOTIFIED_ON_MONDAY.items()
        if _open(b, attr)
    }
    return frozenset(ids | {"tong_ket:ward:overdue:1", "digest:2026-W48"})
