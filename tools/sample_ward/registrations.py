"""Form B (Biểu mẫu 01): members' registrations and year-end grids."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tools.sample_ward.fmt import row_label
from tools.sample_ward.model import Member, RegSub
from tools.sample_ward.roster import WardBase
from tools.sample_ward.truth import InvalidRow, ToleratedValue
from tools.sample_ward.vocab import (
    OTHER_ANSWERS,
    PLANTED,
    SITUATIONS,
    SOURCES,
)


class Registrations(WardBase):
    def choose_sections(self, complete: bool) -> dict[str, tuple[str, ...]]:
        rng = self.rng
        chosen: dict[str, tuple[str, ...]] = {}
        for sec in self.sections:
            items: list[str] = list(sec["items"])
            if sec["rule"] == "all":
                pick = items
            elif sec["rule"] == "at_least":
                pick = rng.sample(items, rng.randint(int(sec["at_least"]), len(items)))
            else:
                pick = rng.sample(items, rng.randint(0, len(items)))
            chosen[sec["id"]] = tuple(i for i in items if i in pick)  # form order
        if not complete:  # break exactly one rule
            sec = rng.choice([s for s in self.sections if s["rule"] != "none"])
            items = list(sec["items"])
            if sec["rule"] == "all":
                drop = rng.choice(items)
                chosen[sec["id"]] = tuple(i for i in items if i != drop)
            else:
                keep = set(rng.sample(items, int(sec["at_least"]) - 1))
                chosen[sec["id"]] = tuple(i for i in items if i in keep)
        return chosen

    def failed_sections(self, sections: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
        failed = []
        for sec in self.sections:
            got = len(sections.get(sec["id"], ()))
            if (sec["rule"] == "all" and got < len(sec["items"])) or (
                sec["rule"] == "at_least" and got < int(sec["at_least"])
            ):
                failed.append(sec["id"])
        return tuple(failed)

    def grid(self, at: datetime) -> dict[str, bool | None]:
        if at.date() < date(2026, 11, 1):
            return dict.fromkeys(self.grid_rows)  # year-end grid not filled yet
        return {r: self.rng.choices((True, False, None), (80, 15, 5))[0] for r in self.grid_rows}

    def add_b(self, m: Member, at: datetime, complete: bool) -> RegSub:
        sub = RegSub(
            at=at,
            member=m,
            name_text=self.name_variant(m.name),
            birth=m.birth,
            branch_text=self.branch(m.branch).name,
            position=m.position,
            sections=self.choose_sections(complete),
            others={},
            grid=self.grid(at),
        )
        self.form_b.append(sub)
        return sub

    def build_form_b(self) -> None:
        rng = self.rng
        rate = {
            "on_time": 0.93,
            "late": 0.85,
            "not_sent": 0.85,
            "overdue": 0.7,
            "never_reported": 0.5,
        }
        full = {"CB01": date(2026, 11, 10), "CB06": date(2026, 11, 10), "CB02": date(2026, 11, 15)}
        registrants: list[Member] = []
        for m in self.members:
            b = self.branch(m.branch)
            p = 0.3 if m.exempt else rate[SITUATIONS[b.code]]
            if m.name in PLANTED or (b.code in full and not m.exempt) or rng.random() < p:
                registrants.append(m)
        resubmit = set(rng.sample([m.code for m in registrants if m.name not in PLANTED], 28))
        kinds = ["fix"] * 12 + ["grid"] * 13 + ["worse"] * 3
        rng.shuffle(kinds)
        for m in registrants:
            b = self.branch(m.branch)
            last = full.get(
                b.code,
                date(2026, 11, 15) if SITUATIONS[b.code] == "on_time" else date(2026, 11, 22),
            )
            first_day = self.day(date(2026, 5, 12), last)
            if m.code in resubmit:
                kind = kinds.pop()
                first_day = self.day(date(2026, 5, 12), date(2026, 10, 20))
                second = self.moment(self.day(first_day + timedelta(days=5), last))
                if kind == "grid":
                    second = self.moment(self.day(date(2026, 11, 2), last))
                self.add_b(m, self.moment(first_day), complete=kind != "fix")
                self.add_b(m, second, complete=kind != "worse")
            else:
                self.add_b(m, self.moment(first_day), complete=rng.random() < 0.86)
        # CB02's last member registers after the milestone (done late)
        cb02 = [s for s in self.form_b if s.member and s.member.branch == "CB02"]
        late = next(s for s in reversed(cb02) if s.member and s.member.code not in resubmit)
        late.at = self.moment(date(2026, 11, 20))
        late.grid = self.grid(late.at)
        # "Other" free text (some containing commas)
        subs = [s for s in self.form_b if s.member and s.member.name not in PLANTED]
        for i, s in enumerate(rng.sample(subs, 4)):
            sid = "s2" if i % 2 == 0 else "s4"
            s.others[sid] = OTHER_ANSWERS[sid][i // 2]
        # a person who is not on the roster
        name, birth = self.unique_person((1970, 1995), stranger=True)
        b = self.branch("CB11")
        stranger = RegSub(
            at=self.moment(date(2026, 10, 14)),
            member=None,
            name_text=name,
            birth=birth,
            branch_text=b.name,
            position=f"Nhân viên, {b.name.removeprefix('Chi bộ ')}",
            sections=self.choose_sections(True),
            others={},
            grid=dict.fromkeys(self.grid_rows),
        )
        self.form_b.append(stranger)
        self.form_b.sort(key=lambda s: s.at)
        for i, s in enumerate(self.form_b):
            s.row = row_label(i)
        src = "bieu_mau_01"
        self.invalid.append(
            InvalidRow(
                src,
                SOURCES[src][0],
                stranger.row,
                "Họ và tên",
                name,
                "person not on the roster",
                "row",
            )
        )
        for s in self.form_b:
            for sid, text in s.others.items():
                self.other_answers.append(
                    ToleratedValue(src, s.row, self.section_title(sid), text, "")
                )

    def section_title(self, sid: str) -> str:
        sec = next(s for s in self.sections if s["id"] == sid)
        if sec["rule"] == "all":
            return f"{sec['title']} (bắt buộc)"
        if sec["rule"] == "at_least":
            return f"{sec['title']} (chọn ít nhất {sec['at_least']} nội dung)"
        return str(sec["title"])
