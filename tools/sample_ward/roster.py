"""The builder's base: its state, one random stream, the tiles, helpers and the roster.

Every part of the builder (forms A, B, C, export D, the files, the truth) derives from
``WardBase``; they share ``self.rng``, so the order of the ``build_*`` calls, not the
class layout, fixes every byte.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

import yaml

from tools.sample_ward.fmt import ascii_text, fold, slug
from tools.sample_ward.model import Branch, BranchSub, Learner, Member, RegSub, ScoreSub
from tools.sample_ward.truth import InvalidRow, ToleratedValue
from tools.sample_ward.vocab import (
    BRANCH_DEFS,
    GIVEN_F,
    GIVEN_M,
    MAIL_DOMAIN,
    MIDDLE_F,
    MIDDLE_M,
    NAMESAKE_BIRTHS,
    NAMESAKE_BRANCH,
    NAMESAKE_NAME,
    NO_EMAIL_BRANCH,
    PERSONAL_DOMAIN,
    PLANTED,
    RUBRIC_PATH,
    SAMPLE_MEMBERS,
    SUPERVISORS,
    SURNAMES,
    TWIN_BIRTH,
    TWIN_BRANCHES,
    TWIN_NAME,
    TZ,
)


def load_rubric() -> dict:
    """The bundled rubric as plain data (the generator needs no validated model)."""
    return yaml.safe_load(RUBRIC_PATH.read_text(encoding="utf-8"))


class WardBase:
    """State shared by every part (members, submissions, invalid rows), the random
    stream, the tiles' codes and names, and the roster (``build_roster``)."""

    def __init__(
        self,
        seed: int,
        tile: int = 0,
        used_people: set[tuple[str, date]] | None = None,
        members: int = SAMPLE_MEMBERS,
    ) -> None:
        self.seed = seed
        self.tile = tile  # 0: the sample ward; k >= 1: copy k of a tiled ward
        self.n_members = members
        self.rng = random.Random(seed)
        rubric = load_rubric()
        self.criteria: list[tuple[int, float, str]] = [
            (int(c["number"]), float(c["max"]), str(c["title"])) for c in rubric["criteria"]
        ]
        self.maxima = {n: m for n, m, _ in self.criteria}
        self.sections: list[dict] = rubric["registration"]
        self.grid_rows: list[str] = list(rubric["self_assessment_rows"])
        self.bands = sorted(rubric["bands"], key=lambda b: -float(b["min"]))
        self.gap_threshold = float(rubric.get("gap_review_threshold", 10))
        self.branches: list[Branch] = []
        self.members: list[Member] = []
        self.form_a: list[BranchSub] = []
        self.form_b: list[RegSub] = []
        self.form_c: list[ScoreSub] = []
        self.learners: list[Learner] = []
        self.invalid: list[InvalidRow] = []
        self.tolerated: list[ToleratedValue] = []
        self.other_answers: list[ToleratedValue] = []
        # shared between the copies of a tiled ward: (folded name, birth) unique across all
        self.used_people: set[tuple[str, date]] = set() if used_people is None else used_people

    # -- tiles --------------------------------------------------------------------------
    # The generator's logic keys on the sample's codes (CB01..CB25, "CB10" is a twin's
    # branch...), so copies keep them inside and only render other codes and names.

    def ext_code(self, code: str) -> str:
        """A branch code as written in the files: CB07 in the sample, CB + 4 digits
        numbered across the province in copy k >= 1 (CB0026.. in copy 1)."""
        if self.tile == 0:
            return code
        return f"CB{self.tile * len(BRANCH_DEFS) + int(code[2:]):04d}"

    def member_code(self, n: int) -> str:
        # copy k: DV + 3 digits of k + 4 of n, whatever the copies' sizes
        return f"DV{n:04d}" if self.tile == 0 else f"DV{self.tile:03d}{n:04d}"

    def suffixed(self, name: str) -> str:
        """Copy k's branch names end in " - Phường k": the suffix survives every variant
        (no diacritics, lower case, short form, alias), so each still names one branch."""
        return name if self.tile == 0 else f"{name} - Phường {self.tile}"

    def planted_birth(self, d: date) -> date:
        # the identity traps stay traps inside each copy, but are not shared between copies
        return d + timedelta(days=self.tile)

    # -- helpers ----------------------------------------------------------------------

    def branch(self, code: str) -> Branch:
        return next(b for b in self.branches if b.code == code)

    def members_of(self, code: str) -> list[Member]:
        return [m for m in self.members if m.branch == code]

    def eligible(self, code: str) -> int:
        return sum(1 for m in self.members_of(code) if not m.exempt)

    def day(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def moment(self, d: date, earliest: int = 7, latest: int = 21) -> datetime:
        t = time(
            self.rng.randint(earliest, latest), self.rng.randint(0, 59), self.rng.randint(0, 59)
        )
        return datetime.combine(d, t, tzinfo=TZ)

    def person_name(self) -> tuple[str, bool]:
        """A random full name (and whether female), never one of the planted names."""
        while True:
            surname = self.rng.choices([s for s, _ in SURNAMES], [w for _, w in SURNAMES])[0]
            female = self.rng.random() < 0.45
            middle = self.rng.choice(MIDDLE_F if female else MIDDLE_M)
            given = self.rng.choice(GIVEN_F if female else GIVEN_M)
            name = f"{surname} {middle} {given}"
            if name not in PLANTED:
                return name, female

    def unique_person(self, years: tuple[int, int], stranger: bool = False) -> tuple[str, date]:
        """A name + birth date not used by anyone else in the sample (compared folded).

        ``stranger``: someone who is not a party member; their name matches no member at all.
        """
        roster_names = {fold(m.name) for m in self.members} if stranger else set()
        while True:
            name, _ = self.person_name()
            birth = self.day(date(years[0], 1, 1), date(years[1], 12, 28))
            key = (fold(name), birth)
            if key not in self.used_people and key[0] not in roster_names:
                self.used_people.add(key)
                return name, birth

    def branch_text(self, b: Branch, variant: str) -> str:
        short = b.name.removeprefix("Chi bộ ")
        return {
            "exact": b.name,
            "nodiac": ascii_text(short).lower(),  # "khu pho 3"
            "lower": b.name.lower(),
            "alias": b.aliases[0],
            "short": short,
            "spaces": "  " + b.name.replace(" ", "  ", 1) + " ",
        }[variant]

    def name_variant(self, name: str) -> str:
        r = self.rng.random()
        if r < 0.02:
            return name.lower()
        if r < 0.035:
            return ascii_text(name)
        if r < 0.045:
            return name.upper()
        if r < 0.055:
            return " " + name.replace(" ", "  ") + " "
        return name

    # -- roster -----------------------------------------------------------------------

    def build_roster(self) -> None:
        for i, (name, aliases, kind) in enumerate(BRANCH_DEFS, start=1):
            sup_name, sup_mail = SUPERVISORS[(i - 1) % len(SUPERVISORS)]
            if self.tile:
                sup_mail = f"{sup_mail}.p{self.tile}"  # each copy (ward) has its own committee
            self.branches.append(
                Branch(
                    code=f"CB{i:02d}",
                    name=self.suffixed(name),
                    aliases=tuple(self.suffixed(a) for a in aliases),
                    kind=kind,
                    supervisor=sup_name,
                    supervisor_email=f"{sup_mail}@{MAIL_DOMAIN}",
                )
            )
        sizes = {
            b.code: self.rng.randint(
                *{"office": (9, 16), "school": (14, 22), "area": (20, 30)}[b.kind]
            )
            for b in self.branches
        }
        # adjust area branches so the ward has exactly 500 members (or self.n_members)
        areas = [b.code for b in self.branches if b.kind == "area"]
        i = 0
        while sum(sizes.values()) != self.n_members:
            code = areas[i % len(areas)]
            sizes[code] += 1 if sum(sizes.values()) < self.n_members else -1
            i += 1
        years = {"office": (1968, 1998), "school": (1970, 1998), "area": (1945, 1990)}
        n = 0
        twin_birth = self.planted_birth(TWIN_BIRTH)
        namesake_births = tuple(self.planted_birth(d) for d in NAMESAKE_BIRTHS)
        for b in self.branches:
            people: list[tuple[str, date]] = [
                self.unique_person(years[b.kind]) for _ in range(sizes[b.code])
            ]
            # planted identity traps replace the last generated people of their branches
            if b.code in TWIN_BRANCHES:
                people[-1] = (TWIN_NAME, twin_birth)
            if b.code == NAMESAKE_BRANCH:
                people[-2:] = [
                    (NAMESAKE_NAME, namesake_births[0]),
                    (NAMESAKE_NAME, namesake_births[1]),
                ]
            for name, birth in people:
                n += 1
                self.members.append(
                    Member(
                        code=self.member_code(n),
                        name=name,
                        birth=birth,
                        branch=b.code,
                        exempt=False,
                        position=self.position(b),
                        email=f"{slug(name)}{n % 97:02d}@{PERSONAL_DOMAIN}",
                    )
                )
        for key in (
            (fold(TWIN_NAME), twin_birth),
            *((fold(NAMESAKE_NAME), d) for d in namesake_births),
        ):
            self.used_people.add(key)
        # ~3% exempt ("miễn sinh hoạt"): elderly members of area branches
        area_members = [
            m
            for m in self.members
            if self.branch(m.branch).kind == "area" and m.name not in PLANTED
        ]
        for m in sorted(self.rng.sample(area_members, 15), key=lambda m: m.code):
            m.exempt = True
            m.position = "Hưu trí"
            self.used_people.discard((fold(m.name), m.birth))
            m.birth = date(self.rng.randint(1936, 1944), m.birth.month, min(m.birth.day, 28))
            while (fold(m.name), m.birth) in self.used_people:
                # only ever taken in a tiled province (another copy's elderly namesake)
                m.birth = date(self.rng.randint(1936, 1944), m.birth.month, min(m.birth.day, 28))
            self.used_people.add((fold(m.name), m.birth))
        for b in self.branches:
            sec = next(m for m in self.members_of(b.code) if not m.exempt and m.name not in PLANTED)
            b.secretary = sec.name
            if b.code != NO_EMAIL_BRANCH:
                b.secretary_email = (
                    f"{slug(sec.name)}.{self.ext_code(b.code).lower()}@{MAIL_DOMAIN}"
                )

    def position(self, b: Branch) -> str:
        unit = b.name.removeprefix("Chi bộ ")
        if b.kind == "area":
            return self.rng.choice(
                (
                    "Hưu trí",
                    "Hưu trí",
                    "Tổ trưởng tổ dân phố",
                    "Kinh doanh tự do",
                    "Cựu chiến binh",
                    "Công nhân, Công ty May Việt Tiến",
                    "Nhân viên văn phòng",
                )
            )
        roles = ("Giáo viên", "Giáo viên", "Tổ trưởng chuyên môn", "Phó Hiệu trưởng", "Nhân viên")
        if b.kind == "office":
            roles = ("Chuyên viên", "Chuyên viên", "Cán bộ", "Phó Trưởng ban", "Nhân viên")
        return f"{self.rng.choice(roles)}, {unit}"
