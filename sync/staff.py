"""The staff roster of "Bình dân học vụ số" (seed 003): every cán bộ, công chức, viên chức
and người lao động of the ward's units, party member or not, and how a learner of the
platform's export is found in it.

Loading works like ``sync.roster``: a (label, headers, rows) table from a CSV/XLSX file or
a spreadsheet tab; every problem is a Vietnamese line starting with the label and the row,
and any problem makes the roster unusable (ConfigError), because counting learners against
a wrong roster would silently misattribute them. Members missing from the staff roster are
added from the member roster (group unknown), so a ward without one works as before.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from sync.matching import MatchStatus
from sync.model import STAFF_GROUPS, DataProblem, Member, Roster, StaffMember
from sync.roster_columns import RosterTable, birth_of, coded_rows
from sync.text import fold

# canonical column -> accepted header titles (compared with normalize_title)
STAFF_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("Mã cán bộ", "Mã", "code"),
    "name": ("Họ và tên", "Họ tên", "name"),
    "birth_date": ("Ngày sinh", "birth_date"),
    "unit": ("Đơn vị", "Phòng, ban, trung tâm", "unit"),
    "branch_code": ("Mã chi bộ", "branch_code"),
    "group": ("Nhóm", "Nhóm đối tượng", "group"),
    "member_code": ("Mã đảng viên", "member_code"),
}
_REQUIRED = ("code", "name", "birth_date", "unit", "branch_code", "group")
_GROUPS = {fold(g): g for g in STAFF_GROUPS}


def load_staff(
    table: RosterTable,
    branch_codes: set[str],
    members: Sequence[Member],
    problems: list[str],
) -> list[StaffMember]:
    """The staff roster's rows; every problem appended to ``problems`` (label, row, what)."""
    label = table.label
    _, rows = coded_rows(
        table, STAFF_COLUMNS, _REQUIRED, problems,
        missing="mã cán bộ hoặc họ tên", code_name="mã cán bộ",
    )  # fmt: skip
    by_member = {m.code: m for m in members}
    out: list[StaffMember] = []
    member_rows: dict[str, int] = {}
    for r in rows:
        where, n, code, name, cell = r
        birth = birth_of(r, problems)
        unit = cell("unit")
        if not unit:
            problems.append(f"{where}: thiếu đơn vị (phòng, ban, trung tâm)")
        branch_code = cell("branch_code")
        if branch_code not in branch_codes:
            problems.append(f"{where}: mã chi bộ '{branch_code}' không có trong danh sách chi bộ")
        group = _GROUPS.get(fold(cell("group")))
        if group is None:
            problems.append(
                f"{where}: cột 'Nhóm' là '{cell('group')}'; chấp nhận: "
                + ", ".join(f"'{g}'" for g in STAFF_GROUPS)
            )
        member_code = cell("member_code")
        # a code the member roster lacks is a "Lỗi dữ liệu" row (``staff_problems``), not a
        # roster error: a truncated member file must reach the shrink guard, not stop here
        if member_code and member_code in by_member:
            if member_code in member_rows:
                first = member_rows[member_code]
                problems.append(f"{where}: mã đảng viên '{member_code}' đã ghi ở dòng {first}")
            else:
                member_rows[member_code] = n
                m = by_member[member_code]
                # one person, two rosters: a differing birth date would match two people
                if birth is not None and m.birth_date is not None and m.birth_date != birth:
                    problems.append(
                        f"{where}: ngày sinh khác với đảng viên '{member_code}' trong danh sách "
                        "đảng viên"
                    )
        out.append(
            StaffMember(
                code=code,
                name=name,
                birth_date=birth,
                unit=unit,
                branch_code=branch_code,
                group=group or "",
                member_code=member_code,
            )
        )
    if not out and not problems:
        problems.append(f"{label}: danh sách cán bộ trống")
    return out


STAFF_SOURCE = "Danh sách cán bộ (Bình dân học vụ số)"


def staff_problems(roster: Roster) -> list[DataProblem]:
    """Staff rows naming a member code the member roster lacks: counted as staff who are
    not members, and said in "Lỗi dữ liệu"."""
    members = {m.code for m in roster.members}
    return [
        DataProblem(
            source=STAFF_SOURCE,
            record=s.code,
            field="Mã đảng viên",
            raw_value=s.member_code,
            reason=(
                "Mã đảng viên không có trong danh sách đảng viên: người này được tính là cán bộ "
                "không phải đảng viên cho đến khi sửa một trong hai danh sách"
            ),
            branch_code=s.branch_code,
        )
        for s in roster.staff
        if s.member_code and s.member_code not in members
    ]


def effective_staff(roster: Roster) -> tuple[StaffMember, ...]:
    """The staff roster plus every member it does not list (group and unit unknown); a
    member code the member roster lacks is dropped (``staff_problems`` says so)."""
    members = {m.code for m in roster.members}
    staff = tuple(
        s if not s.member_code or s.member_code in members else replace(s, member_code="")
        for s in roster.staff
    )
    listed = {s.member_code for s in staff if s.member_code}
    codes = {s.code for s in staff}
    added = tuple(
        StaffMember(
            # a member code that is also some staff code would merge two people: prefix it
            code=m.code if m.code not in codes else f"ĐV-{m.code}",
            name=m.name,
            birth_date=m.birth_date,
            unit="",
            branch_code=m.branch_code,
            group="",
            member_code=m.code,
        )
        for m in roster.members
        if m.code not in listed
    )
    return (*staff, *added)


# ---------------------------------------------------------------------------------------
# Matching a learner of the export
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffMatch:
    status: MatchStatus
    staff: StaffMember | None = None
    reason: str = ""  # Vietnamese, when not found; never quotes anyone's birth date


class StaffIndex:
    """Staff by folded name, built once per roster (``staff_index``)."""

    def __init__(self, roster: Roster) -> None:
        self.staff = effective_staff(roster)
        self._by_name: dict[str, list[StaffMember]] = defaultdict(list)
        self._units: dict[str, set[str]] = defaultdict(set)  # folded unit -> branch codes
        for s in self.staff:
            self._by_name[fold(s.name)].append(s)
            if s.unit:
                self._units[fold(s.unit)].add(s.branch_code)

    def knows_unit(self, text: str | None) -> bool:
        return bool(text) and fold(text or "") in self._units

    def unit_branch(self, text: str | None) -> str:
        """The branch overseeing the unit ``text`` names; "" when unknown or several."""
        codes = self._units.get(fold(text or ""), set())
        return next(iter(codes)) if len(codes) == 1 else ""

    def match(
        self, name: str, birth: date, unit_text: str | None, branch_code: str | None
    ) -> StaffMatch:
        """Full name (folded) and birth date; the unit typed (a unit of the staff roster, or
        a branch's name) only separates people who share both."""
        namesakes = self._by_name.get(fold(name), [])
        same = [s for s in namesakes if s.birth_date == birth]
        if not same:
            reason = "Không tìm thấy người học có họ tên và ngày sinh này trong danh sách cán bộ"
            if namesakes:
                reason += (
                    f": có {len(namesakes)} người trùng họ tên nhưng khác ngày sinh; kiểm tra "
                    "lại ngày sinh trong tệp tải về hoặc trong danh sách cán bộ"
                )
            else:
                reason += "; nếu là cán bộ mới, bổ sung vào danh sách cán bộ"
            return StaffMatch("unknown", reason=reason)
        if len(same) == 1:
            return StaffMatch("found", same[0])
        unit = fold(unit_text or "")
        narrowed = [s for s in same if unit and fold(s.unit) == unit]
        if not narrowed and branch_code:
            narrowed = [s for s in same if s.branch_code == branch_code]
        if len(narrowed) == 1:
            return StaffMatch("found", narrowed[0])
        return StaffMatch(
            "ambiguous",
            reason=(
                f"Có {len(same)} người cùng họ tên và ngày sinh trong danh sách cán bộ; đơn vị "
                "đã ghi không giúp phân biệt được (cần ghi đúng phòng, ban, trung tâm)"
            ),
        )
