"""The truth from the builder's model: each member's and branch's expected figures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tools.sample_ward.model import Branch, RegSub, ScoreSub
from tools.sample_ward.registrations import Registrations
from tools.sample_ward.truth import BranchTruth, LearnerTruth, MemberTruth, Truth
from tools.sample_ward.vocab import (
    COMMITTEE,
    COUNT_KEYS,
    NOW,
    SELF,
    SITUATIONS,
    SIX_CLEAR_KEYS,
)


def _last_day(times: list[datetime | None]) -> date | None:
    """The day of the latest of ``times``; None when there is none or one is missing."""
    known = [t for t in times if t is not None]
    return max(known).date() if known and len(known) == len(times) else None


class AnswerKey(Registrations):
    def truth(self) -> Truth:
        src_rows_b: dict[str, list[RegSub]] = {}
        for s in self.form_b:
            if s.member:
                src_rows_b.setdefault(s.member.code, []).append(s)
        sheets: dict[tuple[str, str], list[ScoreSub]] = {}
        for sheet in self.form_c:
            if sheet.member:
                sheets.setdefault((sheet.member.code, sheet.scorer), []).append(sheet)
        learners = {r.member: r for r in self.learners if r.member}
        members: dict[str, MemberTruth] = {}
        for m in self.members:
            regs = sorted(src_rows_b.get(m.code, []), key=lambda s: s.at)
            reg = regs[-1] if regs else None
            own = sorted(sheets.get((m.code, SELF), []), key=lambda s: s.at)
            com = sorted(sheets.get((m.code, COMMITTEE), []), key=lambda s: s.at)
            fs, fc = (own[-1] if own else None), (com[-1] if com else None)
            self_total = sum(fs.values.values()) if fs else None
            review = fc is not None and bool(fc.rejected)
            com_total = sum(fc.values.values()) if fc and not review else None
            valid = [c for c in com if not c.rejected]
            lr = learners.get(m.code)
            members[m.code] = MemberTruth(
                code=m.code,
                name=m.name,
                birth_date=m.birth,
                branch_code=m.branch,
                exempt=m.exempt,
                registered=reg is not None,
                registration_complete=None
                if reg is None
                else not self.failed_sections(reg.sections),
                registration_failed=() if reg is None else self.failed_sections(reg.sections),
                registration_sections={} if reg is None else dict(reg.sections),
                self_assessment={}
                if reg is None
                else {k: v for k, v in reg.grid.items() if v is not None},
                registration_row=reg.row if reg else None,
                first_registered_at=regs[0].at if regs else None,
                registered_at=reg.at if reg else None,
                self_criteria=dict(sorted(fs.values.items())) if fs else None,
                self_total=self_total,
                self_row=fs.row if fs else None,
                committee_criteria=(dict(sorted(fc.values.items())) if fc and not review else None),
                committee_total=com_total,
                committee_missing=tuple(sorted(fc.rejected)) if fc else (),
                committee_row=fc.row if fc else None,
                committee_at=fc.at if fc else None,
                committee_review=review,
                first_scored_at=valid[0].at if valid else None,
                band=None if com_total is None else self.band(com_total),
                pending=fs is not None and fc is None,
                gap_flag=(
                    self_total is not None
                    and com_total is not None
                    and abs(self_total - com_total) >= self.gap_threshold
                ),
                learning_lessons=lr.lessons if lr else None,
                learning_passed=None if lr is None or not lr.result else lr.result == "Đạt",
                learning_completed_on=lr.completed_on if lr else None,
            )
        branches = {b.code: self.branch_truth(b, members) for b in self.branches}
        learner_truth = tuple(
            LearnerTruth(
                row=r.row,
                name=r.name,
                unit_text=r.unit_text,
                branch_code=r.branch,
                member_code=r.member,
                lessons=r.lessons,
                passed=None if not r.result else r.result == "Đạt",
                completed_on=r.completed_on,
            )
            for r in self.learners
        )
        return Truth(
            seed=self.seed,
            now=NOW,
            branches=branches,
            members=members,
            learners=learner_truth,
            invalid_rows=tuple(self.invalid),
            tolerated=tuple(self.tolerated),
            other_answers=tuple(self.other_answers),
        )

    def band(self, total: float) -> str:
        return next(str(b["name"]) for b in self.bands if total >= float(b["min"]) - 1e-9)

    def branch_truth(self, b: Branch, members: dict[str, MemberTruth]) -> BranchTruth:
        subs = [s for s in self.form_a if s.branch == b.code]  # already in time order
        final = subs[-1] if subs else None
        assert final is None or not final.rejected, "final submissions carry no rejected values"
        v: dict[str, Any] = dict(final.values) if final else {}
        six = {k: v.get(k) for k in SIX_CLEAR_KEYS}

        def task_ok(values: dict[str, Any]) -> bool:
            return bool(values.get("task_name")) and all(values.get(k) for k in SIX_CLEAR_KEYS)

        held: dict[date, tuple[date, str | None, bool | None]] = {}
        for s in subs:  # in time order: a later submission about a session replaces
            d = s.values.get("session_date")
            if d is not None and d <= NOW.date():
                held[d] = (d, s.values.get("session_form"), s.values.get("invited_expert"))
        sent = [s for s in subs if s.values.get("report_sent")]
        tasked = [s for s in subs if task_ok(s.values)]
        mine = [members[m.code] for m in self.members_of(b.code) if not m.exempt]
        regs = [t.first_registered_at for t in mine]
        scored = [t.first_scored_at for t in mine]
        return BranchTruth(
            code=b.code,
            name=b.name,
            situation=SITUATIONS[b.code],
            roster_members=len(self.members_of(b.code)),
            roster_exempt=sum(m.exempt for m in self.members_of(b.code)),
            reported=final is not None,
            rows=tuple(s.row for s in subs),
            final_row=final.row if final else None,
            first_reported_at=subs[0].at if subs else None,
            last_reported_at=final.at if final else None,
            plan_date=v.get("plan_date"),
            session_date=v.get("session_date"),
            session_form=v.get("session_form"),
            total_members=v.get("total_members"),
            exempt_members=v.get("exempt_members"),
            participants=v.get("participants"),
            contents=tuple(v.get("contents", ())),
            invited_expert=v.get("invited_expert"),
            task_name=v.get("task_name"),
            six_clear=six,
            six_clear_filled=sum(1 for x in six.values() if x),
            task_registered=task_ok(v),
            task_registered_on=tasked[0].at.date() if tasked else None,
            task_progress=v.get("task_progress"),
            counts={k: v.get(k) for k in COUNT_KEYS},
            report_sent=bool(v.get("report_sent")),
            report_sent_on=sent[0].at.date() if sent else None,
            good_practices=v.get("good_practices"),
            difficulties=v.get("difficulties"),
            sessions=tuple(held[d] for d in sorted(held)),
            all_registered_on=_last_day(regs),
            all_scored_on=_last_day(scored),
        )
