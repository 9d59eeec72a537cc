"""One message per branch per cycle: the alerts due for a branch, bundled into a letter.

Pure: a function of the planned alerts, what the evaluation says about the branch, the
ledger and the clock value. Each alert keeps its own id in the ledger (exactly once holds
per alert); the letter has a key of its own, derived from the ids it carries, which the
mail transport is asked about after a crash (``was_sent``) and which gives the letter's
code ("KNS-…") and Message-ID.

What goes in a branch's letter (``branch_letter.j2``), for that branch only:
- every reminder, overdue notice and escalation due for it, each with the link to the form
  that settles it (prefilled with the branch: ``sync.prefill``), the supervising committee
  member in Cc when any item is an escalation;
- the "Bình dân học vụ số" follow-up of its learners, when one is due;
- the members who have not registered (Biểu mẫu 01) or not been scored (Biểu mẫu 02), by
  name, each with a link prefilled with their own name, birth date and branch;
- the data problems found in the branch's own submissions, with what to fix.

Messages to the ward staff (the ward's own milestones, the digests) and to a team's
leader go on as one message per alert (their key is the alert id).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sync.alerts import (
    LIMIT_PRIORITY,
    alert_code,
    fmt_datetime,
    quota_split,
    summary_location,
)
from sync.config import WardConfig, concrete_milestones
from sync.model import (
    Alert,
    AlertKind,
    Branch,
    DataProblem,
    LedgerEntry,
    Member,
    MemberResult,
    Roster,
)
from sync.text import natural_key

LETTER_PREFIX = "thu"  # a letter's key: "thu:CB13:3f9a1c2b7d10"
# the alert kinds a branch's letter carries
LETTER_KINDS = frozenset(
    {AlertKind.REMINDER, AlertKind.OVERDUE, AlertKind.ESCALATION, AlertKind.LEARNING}
)
MAX_PROBLEMS = 30  # above this a letter gives the count and sends the reader to the tab
MAX_NAMES = 200  # a branch larger than this is a roster mistake; the tab has the full list



@dataclass(frozen=True)
class Letter:
    """One message: ``message`` is what is rendered and sent (its ``alert_id`` is the
    letter's key), ``items`` the alerts it carries (each its own ledger entry)."""

    message: Alert
    items: tuple[Alert, ...]

    @property
    def key(self) -> str:
        return self.message.alert_id


@dataclass(frozen=True)
class BranchFacts:
    """What a branch's letter says besides its items (built from the evaluation)."""

    unregistered: tuple[dict[str, str], ...] = ()  # name, link
    unscored: tuple[dict[str, str], ...] = ()  # name, link
    to_review: tuple[dict[str, str], ...] = ()  # name, reason, link
    problems: tuple[dict[str, str], ...] = ()  # source, record, field, raw_value, reason
    problem_count: int = 0
    links: tuple[dict[str, str], ...] = ()  # title, url: every form of the branch
    milestone_links: Mapping[str, dict[str, str]] | None = None  # milestone id -> title, url


def letter_key(branch_code: str, item_ids: Iterable[str]) -> str:
    """Stable for the same items: each alert is sent once, so a key is never reused for
    another message, and a letter retried after a failure keeps its key."""
    digest = hashlib.sha256("\n".join(sorted(item_ids)).encode("utf-8")).hexdigest()[:12]
    return f"{LETTER_PREFIX}:{branch_code}:{digest}"


def bundles(alert: Alert) -> bool:
    """Whether the alert goes in its branch's letter (not a staff or team message)."""
    return (
        alert.kind in LETTER_KINDS
        and bool(alert.branch_code)
        and not alert.branch_code.startswith("team:")
    )


def compose_letters(
    cfg: WardConfig,
    roster: Roster,
    alerts: Sequence[Alert],
    facts: Mapping[str, BranchFacts],
    now: datetime,
) -> list[Letter]:
    """The messages that carry ``alerts`` (all due now, addressed): one letter per branch,
    every other alert as its own message. In sending order: the ward staff's messages,
    the branches' letters by code ("CB2" before "CB10"), the teams', then the rest (the
    digests), each group in the order planned."""
    grouped: dict[str, list[Alert]] = {}
    order: list[tuple[str, Alert | None]] = []
    for alert in alerts:
        if bundles(alert):
            if alert.branch_code not in grouped:
                grouped[alert.branch_code] = []
                order.append((alert.branch_code, None))
            grouped[alert.branch_code].append(alert)
        else:
            order.append(("", alert))
    local_now = now.astimezone(cfg.tz)
    letters: list[tuple[tuple[object, ...], Letter]] = []
    for i, (code, single) in enumerate(order):
        if single is not None:
            # the ward staff's messages first, teams' after the branches, others last
            who = single.branch_code
            digest = single.kind in (AlertKind.DIGEST, AlertKind.LEARNING_DIGEST)
            rank = 3 if digest else 0 if not who else 2 if who.startswith("team:") else 3
            letters.append(((rank, natural_key(who), i), Letter(single, (single,))))
            continue
        branch = roster.branch(code)
        letter = _branch_letter(cfg, branch, tuple(grouped[code]), facts.get(code), local_now)
        letters.append(((1, natural_key(code), i), letter))
    letters.sort(key=lambda kl: kl[0])
    return [letter for _, letter in letters]


def within_limit(
    cfg: WardConfig,
    letters: Sequence[Letter],
    ledger: Mapping[str, LedgerEntry],
    today: date,
    *,
    reserve: int = 0,
) -> tuple[list[Letter], list[Letter]]:
    """Split ``letters`` into what fits today's remaining sending quota and what waits: a
    letter ranks by its most urgent item."""
    return quota_split(
        cfg,
        letters,
        lambda letter: min(LIMIT_PRIORITY[a.kind] for a in letter.items),
        ledger,
        today,
        reserve=reserve,
    )


# ---------------------------------------------------------------------------------------
# The branch's facts
# ---------------------------------------------------------------------------------------


def branch_facts(
    cfg: WardConfig,
    mappings: Mapping[str, Any],
    roster: Roster,
    members: Sequence[MemberResult],
    problems: Sequence[DataProblem],
    codes: Iterable[str],
) -> dict[str, BranchFacts]:
    """For each branch in ``codes``: who has not registered or been scored, its own data
    problems, and its prefilled form links."""
    return FactsIndex(cfg, mappings, roster, members, problems).facts(codes)


class FactsIndex:
    """The evaluation indexed by branch once, so that the facts of a batch of letters (one
    letter at a time on SMTP) cost that batch's members, not the whole province's."""

    def __init__(
        self,
        cfg: WardConfig,
        mappings: Mapping[str, Any],
        roster: Roster,
        members: Sequence[MemberResult],
        problems: Sequence[DataProblem],
    ) -> None:
        self.cfg, self.mappings, self.roster = cfg, mappings, roster
        self._members, self._problems = members, problems
        self._results: dict[str, MemberResult] | None = None
        self._by_branch: dict[str, list[DataProblem]] = {}

    def facts(self, codes: Iterable[str]) -> dict[str, BranchFacts]:
        wanted = set(codes)
        if not wanted:
            return {}
        if self._results is None:
            self._results = {r.member_code: r for r in self._members}
            for p in self._problems:
                if p.branch_code:
                    self._by_branch.setdefault(p.branch_code, []).append(p)
        return _facts(self.cfg, self.mappings, self.roster, self._results, self._by_branch, wanted)


def _facts(
    cfg: WardConfig,
    mappings: Mapping[str, Any],
    roster: Roster,
    results: Mapping[str, MemberResult],
    own_problems: Mapping[str, Sequence[DataProblem]],
    wanted: set[str],
) -> dict[str, BranchFacts]:
    from sync.prefill import branch_links, member_links, milestone_link

    concrete = concrete_milestones(cfg)
    out: dict[str, BranchFacts] = {}
    for code in wanted:
        try:
            branch = roster.branch(code)
        except KeyError:
            continue
        unregistered: list[dict[str, str]] = []
        unscored: list[dict[str, str]] = []
        to_review: list[dict[str, str]] = []
        for member in roster.members_of(code):
            if member.exempt:
                continue  # not asked to register or be scored (scoring/branches.py)
            result = results.get(member.code)
            done = (
                result is not None
                and result.registration is not None
                and result.committee_total is not None
                and not result.review_reason
            )
            if done:
                continue  # nothing to ask of this member: no links built
            links = {link.kind: link.url for link in member_links(cfg, mappings, member, branch)}
            if result is None or result.registration is None:
                unregistered.append(_person(member, links.get("registration", "")))
            if result is not None and result.review_reason:
                to_review.append(
                    {
                        **_person(member, links.get("scoring", "")),
                        "reason": result.review_reason,
                    }
                )
            elif result is None or result.committee_total is None:
                unscored.append(_person(member, links.get("scoring", "")))
        mine = sorted(own_problems.get(code, ()), key=DataProblem.sort_key)
        by_milestone: dict[str, dict[str, str]] = {}
        for m in concrete:
            if m.done_when is None:
                continue
            link = milestone_link(cfg, mappings, branch, m.done_when)
            if link is not None:
                by_milestone[m.id] = {"title": link.title, "url": link.url}
        out[code] = BranchFacts(
            unregistered=tuple(unregistered[:MAX_NAMES]),
            unscored=tuple(unscored[:MAX_NAMES]),
            to_review=tuple(to_review[:MAX_NAMES]),
            problems=tuple(
                {
                    "source": p.source,
                    "record": p.record,
                    "field": p.field,
                    "raw_value": p.raw_value,
                    "reason": p.reason,
                }
                for p in mine[:MAX_PROBLEMS]
            ),
            problem_count=len(mine),
            links=tuple(
                {"title": link.title, "url": link.url}
                for link in branch_links(cfg, mappings, branch)
            ),
            milestone_links=by_milestone,
        )
    return out


def _person(member: Member, link: str) -> dict[str, str]:
    return {"name": member.name, "link": link}


# ---------------------------------------------------------------------------------------
# A branch's letter
# ---------------------------------------------------------------------------------------


def _branch_letter(
    cfg: WardConfig,
    branch: Branch,
    items: tuple[Alert, ...],
    facts: BranchFacts | None,
    local_now: datetime,
) -> Letter:
    facts = facts or BranchFacts()
    key = letter_key(branch.code, (a.alert_id for a in items))
    notices = [a for a in items if a.kind is not AlertKind.LEARNING]
    learning = next((a for a in items if a.kind is AlertKind.LEARNING), None)
    escalated = any(a.kind is AlertKind.ESCALATION for a in notices)
    to = tuple(dict.fromkeys(t for a in items for t in a.to))
    cc = tuple(
        dict.fromkeys(
            c for a in items if a.kind is AlertKind.ESCALATION for c in a.cc if c not in to
        )
    )
    supervisor = (
        next((str(a.context.get("supervisor_name", "")) for a in notices if a.cc), "")
        or branch.supervisor_name.strip()
    )
    context: dict[str, object] = {
        "ward_name": cfg.ward.name,
        "scope": "branch",
        "item_ids": [a.alert_id for a in items],
        "branch_code": branch.code,
        "branch_name": branch.name,
        "secretary_name": branch.secretary_name.strip(),
        "supervisor_name": supervisor if cc else "",
        "supervisor_copied": bool(cc),
        "escalated": escalated,
        "as_of": fmt_datetime(local_now),
        "item_count": len(items),
        "learning": dict(learning.context) if learning is not None else None,
        "summary_location": summary_location(cfg),
        "alert_code": alert_code(key),
        **_facts_context(items, facts),
    }
    message = Alert(
        alert_id=key,
        kind=AlertKind.LETTER,
        to=to,
        cc=cc,
        branch_code=branch.code,
        milestone_id="",
        occurrence="",
        due_at=min(a.due_at for a in items),
        context=context,
    )
    return Letter(message, items)


def with_facts(letter: Letter, facts: BranchFacts | None) -> Letter:
    """The letter with what it says of its branch. The cycle adds the facts a batch of
    letters at a time, just before rendering: a province's names and prefilled links are
    never all held at once."""
    if letter.message.kind is not AlertKind.LETTER or facts is None:
        return letter
    context = {**letter.message.context, **_facts_context(letter.items, facts)}
    return Letter(replace(letter.message, context=context), letter.items)


def _facts_context(items: Sequence[Alert], facts: BranchFacts) -> dict[str, object]:
    links = facts.milestone_links or {}
    notices = [
        _item(a, links.get(a.milestone_id)) for a in items if a.kind is not AlertKind.LEARNING
    ]
    return {
        "overdue_items": [e for e in notices if e["overdue"]],
        "upcoming_items": [e for e in notices if not e["overdue"]],
        "unregistered": list(facts.unregistered),
        "unscored": list(facts.unscored),
        "to_review": list(facts.to_review),
        "problems": list(facts.problems),
        "problem_count": facts.problem_count,
        "problems_more": max(0, facts.problem_count - len(facts.problems)),
        "links": list(facts.links),
    }


def _item(alert: Alert, link: dict[str, str] | None) -> dict[str, object]:
    c = alert.context
    return {
        "alert_id": alert.alert_id,
        "kind": alert.kind.value,
        "overdue": alert.kind is not AlertKind.REMINDER,
        "milestone_id": alert.milestone_id,
        "title": c.get("milestone_title", alert.milestone_id),
        "due_date": c.get("due_date", ""),
        "starts_date": c.get("starts_date", ""),
        "days_left": c.get("days_left", 0),
        "days_overdue": c.get("days_overdue", 0),
        "notice_number": c.get("notice_number"),
        "notice_max": c.get("notice_max"),
        "link": (link or {}).get("url", ""),
        "link_title": (link or {}).get("title", ""),
    }
