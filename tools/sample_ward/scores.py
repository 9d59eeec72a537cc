"""Form C (Biểu mẫu 02): self and committee score sheets."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tools.sample_ward.fmt import num, row_label, slug
from tools.sample_ward.model import Member, ScoreSub
from tools.sample_ward.roster import WardBase
from tools.sample_ward.truth import InvalidRow, ToleratedValue
from tools.sample_ward.vocab import (
    COMMITTEE,
    NA_TEXT,
    PERSONAL_DOMAIN,
    PLANTED,
    SELF,
    SITUATIONS,
    SOURCES,
    TZ,
)


class Scores(WardBase):
    def band_target(self) -> int:
        band = self.rng.choices(("xs", "kha", "dat", "cd"), (35, 35, 20, 10))[0]
        lo, hi = {"xs": (91, 100), "kha": (81, 90), "dat": (71, 80), "cd": (52, 70)}[band]
        return self.rng.randint(lo, hi)

    def sheet(self, target: float, registered: bool) -> dict[int, float]:
        """Per-criterion integer values summing to ``target`` (0..max each)."""
        vals = {n: m for n, m, _ in self.criteria}
        if not registered:
            vals[11] = 0.0  # no Biểu mẫu 01
        deficit = int(sum(vals.values()) - target)
        numbers = [n for n, _, _ in self.criteria]
        while deficit > 0:
            n = self.rng.choice(numbers)
            if vals[n] >= 1:
                vals[n] -= 1
                deficit -= 1
        return vals

    def raise_sheet(self, base: dict[int, float], delta: int) -> dict[int, float]:
        vals = dict(base)
        numbers = [n for n, _, _ in self.criteria]
        while delta > 0 and any(vals[n] < self.maxima[n] for n in numbers):
            n = self.rng.choice(numbers)
            if vals[n] + 1 <= self.maxima[n]:
                vals[n] += 1
                delta -= 1
        return vals

    def add_c(self, m: Member, scorer: str, at: datetime, vals: dict[int, float]) -> ScoreSub:
        b = self.branch(m.branch)
        retiree = m.position == "Hưu trí"
        raw = {}
        for n, v in vals.items():
            na = n == 7 and retiree and v == self.maxima[n] and self.rng.random() < 0.6
            raw[n] = NA_TEXT if na else num(v)
        sub = ScoreSub(
            at=at,
            member=m,
            name_text=self.name_variant(m.name),
            birth=m.birth,
            branch_text=b.name,
            scorer=scorer,
            email=m.email if scorer == SELF else b.secretary_email,
            values=dict(vals),
            raw=raw,
        )
        for n, text in raw.items():
            if text == NA_TEXT:
                sub.tolerated[n] = f"N/A -> {num(self.maxima[n])}"
        self.form_c.append(sub)
        return sub

    def build_form_c(self) -> None:
        rng = self.rng
        registered = {s.member.code for s in self.form_b if s.member}
        committee_rate = {
            "on_time": 0.88,
            "late": 0.82,
            "not_sent": 0.78,
            "overdue": 0.35,
            "never_reported": 0.0,
        }
        committee: dict[str, dict[int, float]] = {}
        selfs: dict[str, dict[int, float]] = {}
        for m in self.members:
            sit = SITUATIONS[m.branch]
            reg = m.code in registered
            scored = (
                (m.branch == "CB01" and not m.exempt)
                or m.name in PLANTED
                or (not m.exempt and rng.random() < committee_rate[sit])
            )
            if scored:
                committee[m.code] = self.sheet(self.band_target(), reg)
            if m.name in PLANTED or rng.random() < (0.88 if reg else 0.15):
                if m.code in committee:
                    selfs[m.code] = self.raise_sheet(
                        committee[m.code], rng.choice((0, 0, 1, 2, 3, 4, 5))
                    )
                else:
                    selfs[m.code] = self.sheet(self.band_target(), reg)
        both = [c for c in committee if c in selfs]
        # self/committee gaps >= 10: four overrated, one underrated
        gaps = rng.sample(both, 5)
        for code in gaps[:4]:
            committee[code] = self.sheet(rng.randint(62, 80), code in registered)
            selfs[code] = self.raise_sheet(committee[code], rng.randint(11, 16))
        selfs[gaps[4]] = self.sheet(72, gaps[4] in registered)
        committee[gaps[4]] = self.raise_sheet(selfs[gaps[4]], 12)
        by_code = {m.code: m for m in self.members}
        finals: dict[tuple[str, str], ScoreSub] = {}
        for m in self.members:
            if m.code in selfs:
                d = self.day(date(2026, 11, 2), date(2026, 11, 21))
                finals[(m.code, SELF)] = self.add_c(m, SELF, self.moment(d), selfs[m.code])
            if m.code in committee:
                d = self.day(date(2026, 11, 9), date(2026, 11, 22))
                finals[(m.code, COMMITTEE)] = self.add_c(
                    m, COMMITTEE, self.moment(d), committee[m.code]
                )
        # date trap: a self sheet on 05/06/2026 (6 May) replaced on 06/01/2026 (1 June);
        # read day-first, the two would swap and the wrong one would win
        trap = next(m for m in self.members if m.code in selfs and m.code not in committee)
        self.add_c(trap, SELF, datetime(2026, 5, 6, 9, 12, 44, tzinfo=TZ), self.sheet(60, True))
        finals[(trap.code, SELF)].at = datetime(2026, 6, 1, 15, 40, 5, tzinfo=TZ)
        # resubmissions by the same scorer: the earlier sheet differs, the later wins
        for scorer, pool, n in ((COMMITTEE, committee, 6), (SELF, selfs, 5)):
            for code in rng.sample(sorted(c for c in pool if c not in gaps and c != trap.code), n):
                final = finals[(code, scorer)]
                earlier = final.at - timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 5))
                self.add_c(
                    by_code[code],
                    scorer,
                    earlier,
                    self.sheet(self.band_target(), code in registered),
                )
        # committees scoring on paper typed into the older copy (branches CB15, CB22)
        paper = [
            finals[(m.code, COMMITTEE)]
            for m in self.members
            if m.branch in ("CB15", "CB22") and (m.code, COMMITTEE) in finals and m.code not in gaps
        ]
        paper[0].values[1] = 7.5
        paper[0].raw[1] = "7,5"
        paper[0].tolerated[1] = "7.5"
        paper[1].values[4] = 10.0
        paper[1].raw[4] = " 10 "
        paper[1].tolerated[4] = "10"
        paper[2].values[5] = 15.0
        paper[2].raw[5] = "15/15"
        paper[2].tolerated[5] = "15"
        paper[3].values[2] = 10.0
        paper[3].raw[2] = "mười"
        paper[3].tolerated[2] = "10"
        paper[4].raw[4] = "12"
        paper[4].rejected[4] = "above the criterion's maximum (10)"
        paper[5].raw[9] = "khá"
        paper[5].rejected[9] = "not a number"
        for s in paper[4:6]:
            for n in s.rejected:
                del s.values[n]
        # a scoring sheet for someone not on the roster
        name, birth = self.unique_person((1975, 1995), stranger=True)
        b = self.branch("CB18")
        vals = self.sheet(85, False)
        stranger = ScoreSub(
            at=self.moment(date(2026, 11, 12)),
            member=None,
            name_text=name,
            birth=birth,
            branch_text=b.name,
            scorer=SELF,
            email=f"{slug(name)}@{PERSONAL_DOMAIN}",
            values=vals,
            raw={n: num(v) for n, v in vals.items()},
        )
        self.form_c.append(stranger)
        self.form_c.sort(key=lambda s: s.at)
        for i, s in enumerate(self.form_c):
            s.row = row_label(i)
        src = "bieu_mau_02"
        title = SOURCES[src][0]
        self.invalid.append(
            InvalidRow(
                src,
                title,
                stranger.row,
                "Họ và tên đảng viên",
                name,
                "person not on the roster",
                "row",
            )
        )
        for s in self.form_c:
            for n, why in s.rejected.items():
                self.invalid.append(
                    InvalidRow(src, title, s.row, self.criterion_header(n), s.raw[n], why, "field")
                )
            for n, reading in s.tolerated.items():
                self.tolerated.append(
                    ToleratedValue(src, s.row, self.criterion_header(n), s.raw[n], reading)
                )

    def criterion_header(self, n: int) -> str:
        title = next(t for k, _, t in self.criteria if k == n)
        return f"Tiêu chí {n}. {title}"
