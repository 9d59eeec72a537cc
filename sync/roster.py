"""The ward's roster of branches and members, from CSV/XLSX files or two spreadsheet tabs.

Both origins become (label, headers, rows) tables validated by ``roster_from_tables``; the
label (a file path, or "Bảng tính <id>, tab 'Chi bộ'") starts every problem. Every problem
is collected, so `kns check` can show them all at once; any problem makes the roster
unusable (ConfigError), because matching answers to a wrong roster would silently
misattribute them.
"""

from __future__ import annotations

import re
from pathlib import Path

from sync.errors import ConfigError
from sync.model import Branch, Member, Roster, StaffMember
from sync.ports import Probe, SourceError
from sync.roster_columns import RosterTable, birth_of, coded_rows
from sync.sources.files import read_table
from sync.sources.probe import probe_files
from sync.text import clean_spaces, fold

# canonical column -> accepted header titles (compared with normalize_title)
BRANCH_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("Mã chi bộ", "Mã", "code"),
    "name": ("Tên chi bộ", "Chi bộ", "name"),
    "aliases": ("Tên gọi khác", "Tên khác", "aliases"),
    "secretary_name": ("Bí thư", "Bí thư chi bộ", "secretary"),
    "secretary_email": ("Email bí thư", "Thư điện tử bí thư", "secretary_email"),
    "supervisor_name": ("Ủy viên phụ trách", "Đồng chí phụ trách", "supervisor"),
    "supervisor_email": ("Email ủy viên phụ trách", "supervisor_email"),
}
MEMBER_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("Mã đảng viên", "Mã", "code"),
    "name": ("Họ và tên", "Họ tên", "name"),
    "birth_date": ("Ngày sinh", "birth_date"),
    "branch_code": ("Mã chi bộ", "branch_code"),
    "exempt": ("Miễn sinh hoạt", "Miễn sinh hoạt đảng", "exempt"),
    # optional: targets that concern only cán bộ, công chức, viên chức read it (T3)
    "civil_servant": (
        "Cán bộ, công chức, viên chức",
        "Là cán bộ, công chức, viên chức",
        "CBCCVC",
        "civil_servant",
    ),
}
_REQUIRED_BRANCH = ("code", "name")
_REQUIRED_MEMBER = ("code", "name", "birth_date", "branch_code")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_YES = {"co", "x", "yes", "true", "1", "mien"}
_NO = {"", "khong", "no", "false", "0"}


def _read(path: Path, problems: list[str]) -> RosterTable | None:
    try:
        headers, rows = read_table(path)
    except SourceError as e:
        problems.append(f"{path}: {e}")
        return None
    return RosterTable(str(path), headers, rows)


def load_roster(
    branches_path: Path, members_path: Path, staff_path: Path | None = None
) -> Roster:
    """The roster from a branch file and a member file (CSV or XLSX), and the optional
    staff roster of "Bình dân học vụ số" (``sync.staff``)."""
    problems: list[str] = []
    branches = _read(branches_path, problems)
    members = _read(members_path, problems)
    staff = _read(staff_path, problems) if staff_path is not None else None
    if branches is None or members is None or (staff_path is not None and staff is None):
        raise ConfigError(problems)
    return roster_from_tables(branches, members, staff)


def roster_from_tables(
    branches: RosterTable, members: RosterTable, staff: RosterTable | None = None
) -> Roster:
    """Validate the tables; ConfigError lists every problem, each starting with its label."""
    problems: list[str] = []
    found = _load_branches(RosterTable(*branches), problems)
    people = _load_members(RosterTable(*members), {b.code for b in found}, problems)
    workers: list[StaffMember] = []
    if staff is not None:
        from sync.staff import load_staff

        workers = load_staff(RosterTable(*staff), {b.code for b in found}, people, problems)
    if problems:
        raise ConfigError(problems)
    return Roster(branches=tuple(found), members=tuple(people), staff=tuple(workers))


def _load_branches(table: RosterTable, problems: list[str]) -> list[Branch]:
    label = table.label
    _, rows = coded_rows(
        table, BRANCH_COLUMNS, _REQUIRED_BRANCH, problems,
        missing="mã hoặc tên chi bộ", code_name="mã chi bộ",
    )  # fmt: skip
    out: list[Branch] = []
    names: dict[str, tuple[int, str]] = {}  # folded name/alias -> (line, code)
    for r in rows:
        where, n, code, name, cell = r
        aliases = tuple(a for a in (clean_spaces(x) for x in cell("aliases").split(";")) if a)
        for written in (name, *aliases):
            key = fold(written)
            if key in names and names[key][1] != code:
                problems.append(
                    f"{where}: tên '{written}' trùng (không kể dấu, hoa thường) với chi bộ "
                    f"{names[key][1]} ở dòng {names[key][0]}: không phân biệt được khi đối chiếu"
                )
            names.setdefault(key, (n, code))
        for key in ("secretary_email", "supervisor_email"):
            email = cell(key)
            if email and not _EMAIL.match(email):
                problems.append(f"{where}: địa chỉ email '{email}' không hợp lệ")
        out.append(
            Branch(
                code=code,
                name=name,
                aliases=aliases,
                secretary_name=cell("secretary_name"),
                secretary_email=cell("secretary_email"),
                supervisor_name=cell("supervisor_name"),
                supervisor_email=cell("supervisor_email"),
            )
        )
    if not out and not problems:
        problems.append(f"{label}: danh sách chi bộ trống")
    return out


def _load_members(table: RosterTable, branch_codes: set[str], problems: list[str]) -> list[Member]:
    cols, rows = coded_rows(
        table, MEMBER_COLUMNS, _REQUIRED_MEMBER, problems,
        missing="mã hoặc họ tên đảng viên", code_name="mã đảng viên",
    )  # fmt: skip
    out: list[Member] = []
    for r in rows:
        where, _, code, name, cell = r
        birth = birth_of(r, problems)
        branch_code = cell("branch_code")
        if branch_code not in branch_codes:
            problems.append(f"{where}: mã chi bộ '{branch_code}' không có trong danh sách chi bộ")
        exempt_text = fold(cell("exempt"))
        if exempt_text not in _YES | _NO:
            problems.append(
                f"{where}: cột 'Miễn sinh hoạt' phải là 'Có' hoặc 'Không' "
                f"(đang là '{cell('exempt')}')"
            )
        civil: bool | None = None  # no column: the roster does not say
        if "civil_servant" in cols:
            civil_text = fold(cell("civil_servant"))
            if civil_text not in _YES | _NO:
                problems.append(
                    f"{where}: cột 'Cán bộ, công chức, viên chức' phải là 'Có' hoặc 'Không' "
                    f"(đang là '{cell('civil_servant')}')"
                )
            civil = civil_text in _YES
        out.append(
            Member(
                code=code,
                name=name,
                birth_date=birth,
                branch_code=branch_code,
                exempt=exempt_text in _YES,
                civil_servant=civil,
            )
        )
    return out


class FileRoster:
    """The roster from a branch file and a member file (``sync.ports.RosterSource``)."""

    def __init__(
        self, branches_path: Path, members_path: Path, staff_path: Path | None = None
    ) -> None:
        self.branches_path = Path(branches_path)
        self.members_path = Path(members_path)
        self.staff_path = Path(staff_path) if staff_path is not None else None
        self.label = f"{self.branches_path.name}, {self.members_path.name}"
        if self.staff_path is not None:
            self.label += f", {self.staff_path.name}"

    def probe(self, previous: Probe | None) -> Probe | None:
        paths: tuple[Path, ...] = (self.branches_path, self.members_path)
        if self.staff_path is not None:  # a changed staff roster re-matches the learners
            paths += (self.staff_path,)
        return probe_files(paths, previous)

    def load(self) -> Roster:
        return load_roster(self.branches_path, self.members_path, self.staff_path)


class StaticRoster:
    """A roster already in memory (tests, `kns check`)."""

    label = "roster"

    def __init__(self, roster: Roster) -> None:
        self.roster = roster

    def probe(self, previous: Probe | None) -> Probe | None:
        return None

    def load(self) -> Roster:
        return self.roster
