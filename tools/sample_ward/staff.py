"""The sample ward's staff roster and a unit's own download of the platform's results
("Bình dân học vụ số", seed 003), built on top of the ward builder's members and export D.

Its own ``random.Random(seed + STAFF_SEED_OFFSET)``: drawing from the ward generator's
stream would reshuffle the whole sample. The truth is written as the files are built (who
is who, what each learner's latest row says), never read back from the pipeline.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from tools.sample_ward.fmt import csv_bytes, fold
from tools.sample_ward.truth import InvalidRow
from tools.sample_ward.vocab import GIVEN_F, GIVEN_M, MIDDLE_F, SURNAMES

if TYPE_CHECKING:  # the builder imports this module: type-only, no circle
    from tools.sample_ward.roster import WardBase

STAFF_SEED_OFFSET = 3003
STAFF_FILE = "roster/can-bo.csv"
UNIT_EXPORT_FILE = "exports/binh-dan-hoc-vu-so-don-vi.csv"
UNIT_EXPORT_ID = "binh_dan_hoc_vu_so_don_vi"
UNIT_EXPORT_TITLE = "Kết quả học tập Bình dân học vụ số (tệp của đơn vị)"
STAFF_HEADER = (
    "Mã cán bộ", "Họ và tên", "Ngày sinh", "Đơn vị", "Mã chi bộ", "Nhóm", "Mã đảng viên",
)  # fmt: skip
# a newer platform version: renamed columns (every one an alias in mappings/learning.yaml)
# and dates written month first (the source's locale is "en")
UNIT_EXPORT_HEADER = (
    "Họ tên", "Ngày sinh", "Đơn vị công tác", "Số bài đã hoàn thành", "Kết quả", "Ngày đạt",
)  # fmt: skip
LESSONS_TOTAL = 10

# the units each office or school branch oversees (phòng / ban / trung tâm)
UNITS: dict[str, tuple[str, ...]] = {
    "CB01": ("Văn phòng Đảng ủy",),
    "CB02": (
        "Văn phòng HĐND và UBND",
        "Phòng Kinh tế, Hạ tầng và Đô thị",
        "Phòng Văn hóa - Xã hội",
        "Trung tâm Phục vụ hành chính công",
    ),
    "CB03": ("Công an phường",),
    "CB04": ("Ban Chỉ huy Quân sự phường",),
    "CB05": ("Ủy ban MTTQ Việt Nam phường",),
    "CB06": ("Trạm Y tế phường",),
    "CB07": ("Trường THCS Lê Lợi",),
    "CB08": ("Trường Tiểu học Nguyễn Du",),
    "CB09": ("Trường Mầm non Hoa Sen",),
}
# the groups of staff per kind of branch, with weights
_GROUPS: dict[str, tuple[tuple[str, int], ...]] = {
    "office": (("Cán bộ", 30), ("Công chức", 55), ("Người lao động", 15)),
    "school": (("Viên chức", 85), ("Người lao động", 15)),
}
HOMONYM = ("Lê Thị Thu Hà", date(1988, 6, 14))  # two staff, same name and birth, two units
HOMONYM_UNITS = ("Phòng Văn hóa - Xã hội", "Trung tâm Phục vụ hành chính công")
UNKNOWN_LEARNER = ("Đào Thị Mỹ Duyên", date(1999, 2, 3))  # in no roster: a data problem
UNKNOWN_LEARNER_UNIT = "Phòng Kinh tế, Hạ tầng và Đô thị"


@dataclass(frozen=True)
class StaffTruth:
    """One learner as the pipeline must see them (the staff roster plus the members it
    does not list), with their latest result on the platform."""

    code: str
    name: str
    unit: str  # "" for a member the staff roster does not list
    branch_code: str
    group: str  # "" for a member the staff roster does not list
    member_code: str
    in_staff_file: bool
    lessons: int | None  # None: in no export
    passed: bool | None
    completed_on: date | None


@dataclass(frozen=True)
class UnitExportRow:
    row: str
    name: str
    unit_text: str
    staff_code: str  # "" for the unknown learner
    lessons: int
    passed: bool | None
    completed_on: date | None


@dataclass
class SampleStaff:
    files: dict[str, bytes]
    staff: tuple[StaffTruth, ...]
    unit_rows: tuple[UnitExportRow, ...]


def _dmy(d: date | None) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}" if d else ""


def _mdy(d: date | None) -> str:
    return f"{d.month}/{d.day}/{d.year}" if d else ""


def _result(rng: random.Random) -> tuple[int, str, date | None]:
    lessons = LESSONS_TOTAL if rng.random() < 0.5 else rng.randint(0, LESSONS_TOTAL - 1)
    if lessons == LESSONS_TOTAL:
        result = rng.choices(("Đạt", "Chưa đạt", ""), (80, 10, 10))[0]
    else:
        result = rng.choices(("", "Chưa đạt"), (80, 20))[0]
    done = None
    if result == "Đạt":
        done = date(2026, 3, 1) + timedelta(days=rng.randint(0, 260))
    return lessons, result, done


def build_staff(builder: WardBase, seed: int) -> SampleStaff:
    """The staff roster (members of office and school branches, the non-member learners of
    export D, more non-member staff), a unit's export, and the truth. ``builder``: the
    sample ward's builder (its members, branches, learners and invalid rows)."""
    rng = random.Random(seed + STAFF_SEED_OFFSET)
    kinds = {b.code: b.kind for b in builder.branches}
    rows: list[dict[str, Any]] = []  # the staff file, in order
    n = 0

    def add(name: str, birth: date, unit: str, branch: str, group: str, member: str) -> str:
        nonlocal n
        n += 1
        code = f"NS{n:04d}"
        rows.append(
            {
                "code": code,
                "name": name,
                "birth": birth,
                "unit": unit,
                "branch": branch,
                "group": group,
                "member": member,
            }
        )
        return code

    def group_of(branch: str) -> str:
        # teachers and health workers are viên chức
        table = _GROUPS["school" if kinds[branch] == "school" or branch == "CB06" else "office"]
        return rng.choices([g for g, _ in table], [w for _, w in table])[0]

    used = builder.used_people  # (folded name, birth) unique across the sample
    member_names = {fold(m.name) for m in builder.members}

    def stranger(years: tuple[int, int]) -> tuple[str, date]:
        while True:
            surname = rng.choices([s for s, _ in SURNAMES], [w for _, w in SURNAMES])[0]
            female = rng.random() < 0.55
            given = rng.choice(GIVEN_F if female else GIVEN_M)
            middle = rng.choice(MIDDLE_F) if female else rng.choice(("Văn", "Hữu", "Đức"))
            name = f"{surname} {middle} {given}"
            birth = date(years[0], 1, 1) + timedelta(
                days=rng.randint(0, (date(years[1], 12, 28) - date(years[0], 1, 1)).days)
            )
            key = (fold(name), birth)
            if key not in used and key[0] not in member_names:
                used.add(key)
                return name, birth

    # 1. members of office and school branches (area members are residents: not listed,
    #    the pipeline adds them from the member roster with an unknown group)
    for m in builder.members:
        if m.branch in UNITS:
            add(m.name, m.birth, rng.choice(UNITS[m.branch]), m.branch, group_of(m.branch), m.code)
    # 2. export D's learners who are not members (teachers, khu phố staff)
    for lr in builder.learners:
        if lr.member or lr.branch is None:
            continue
        if lr.branch in UNITS:
            add(lr.name, lr.birth, UNITS[lr.branch][0], lr.branch, group_of(lr.branch), "")
        else:
            kp = builder.branch(lr.branch).name.removeprefix("Chi bộ ")
            add(lr.name, lr.birth, f"Ban điều hành {kp}", lr.branch, "Người lao động", "")
    # 3. more staff who are not members, two to five per unit; about half learn on the
    #    platform and appear only in the unit's own export
    extra: list[str] = []
    for branch, units in UNITS.items():
        for unit in units:
            for _ in range(rng.randint(2, 5)):
                name, birth = stranger((1966, 2002))
                extra.append(add(name, birth, unit, branch, group_of(branch), ""))
    homonyms = [
        add(HOMONYM[0], HOMONYM[1], unit, "CB02", "Công chức", "") for unit in HOMONYM_UNITS
    ]
    used.add((fold(HOMONYM[0]), HOMONYM[1]))
    rng.shuffle(rows)  # the office keeps its file in no particular order
    by_code = {r["code"]: r for r in rows}

    # the unit's export: the homonyms with their units, half the extra staff, one unknown
    learners: list[tuple[str, str, date, str]] = [
        (c, by_code[c]["name"], by_code[c]["birth"], by_code[c]["unit"]) for c in homonyms
    ]
    learners += [
        (c, by_code[c]["name"], by_code[c]["birth"], by_code[c]["unit"])
        for c in extra
        if rng.random() < 0.5
    ]
    learners.append(("", UNKNOWN_LEARNER[0], UNKNOWN_LEARNER[1], UNKNOWN_LEARNER_UNIT))
    rng.shuffle(learners)
    unit_rows: list[UnitExportRow] = []
    table: list[list[str]] = [list(UNIT_EXPORT_HEADER)]
    for i, (code, name, birth, unit) in enumerate(learners):
        lessons, result, done = _result(rng)
        unit_text = unit if rng.random() < 0.7 else unit.lower()
        unit_rows.append(
            UnitExportRow(
                f"Dòng {i + 2}",
                name,
                unit_text,
                code,
                lessons,
                None if not result else result == "Đạt",
                done,
            )
        )
        table.append([name, _mdy(birth), unit_text, str(lessons), result, _mdy(done)])
    unknown = next(r for r in unit_rows if not r.staff_code)
    builder.invalid.append(
        InvalidRow(
            UNIT_EXPORT_ID,
            UNIT_EXPORT_TITLE,
            unknown.row,
            UNIT_EXPORT_HEADER[0],
            unknown.name,
            "learner in no roster",
            "row",
        )
    )

    # the truth: export D's member and non-member learners, then the unit's export
    results: dict[str, tuple[int, bool | None, date | None]] = {}
    staff_of_person = {(fold(r["name"]), r["birth"]): r["code"] for r in rows}
    for lr in builder.learners:
        if lr.branch is None:
            continue
        who = lr.member if lr.member and lr.branch not in UNITS else None
        if who is None:
            who = staff_of_person[(fold(lr.name), lr.birth)]
        passed = None if not lr.result else lr.result == "Đạt"
        results[who] = (lr.lessons, passed, lr.completed_on)
    for ur in unit_rows:
        if ur.staff_code:
            results[ur.staff_code] = (ur.lessons, ur.passed, ur.completed_on)
    truth: list[StaffTruth] = []
    for r in rows:
        got = results.get(r["code"])
        truth.append(
            StaffTruth(
                r["code"],
                r["name"],
                r["unit"],
                r["branch"],
                r["group"],
                r["member"],
                True,
                *(got or (None, None, None)),
            )
        )
    for m in builder.members:
        if m.branch not in UNITS:
            got = results.get(m.code)
            truth.append(
                StaffTruth(
                    m.code, m.name, "", m.branch, "", m.code, False, *(got or (None, None, None))
                )
            )

    staff_table = [list(STAFF_HEADER)] + [
        [
            r["code"],
            r["name"],
            _dmy(r["birth"]),
            r["unit"],
            r["branch"],
            r["group"],
            r["member"],
        ]
        for r in rows
    ]
    files = {
        STAFF_FILE: csv_bytes(staff_table, bom=True, crlf=True),
        UNIT_EXPORT_FILE: csv_bytes(table, bom=True, crlf=True),
    }
    return SampleStaff(files, tuple(truth), tuple(unit_rows))
