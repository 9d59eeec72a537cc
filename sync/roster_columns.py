"""Reading roster-like tables (the branches, the members, the staff): a table as (label,
headers, rows), its columns found by any accepted title, birth dates as offices type them.
Shared by ``sync.roster`` and ``sync.staff``."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import NamedTuple

from sync.text import clean_spaces, normalize_title


class RosterTable(NamedTuple):
    label: str  # starts every problem: a file path, or a spreadsheet tab
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]


def _columns(
    label: str, headers: Sequence[str], spec: dict[str, tuple[str, ...]], required: Sequence[str]
) -> tuple[dict[str, int], list[str]]:
    found: dict[str, int] = {}
    problems = []
    keys = {k: {normalize_title(t) for t in titles} for k, titles in spec.items()}
    for i, h in enumerate(headers):
        nh = normalize_title(h)
        for k, titles in keys.items():
            if nh in titles and k not in found:
                found[k] = i
                break
    for k in required:
        if k not in found:
            problems.append(f"{label}: thiếu cột '{spec[k][0]}'")
    return found, problems


_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _parse_birth(text: str) -> date | None:
    text = text.strip()
    m = _DMY.match(text)
    if m:  # the usual dd/mm/yyyy without strptime's cost (a province has 100,000 of them)
        d, mo, y = (int(g) for g in m.groups())
        try:
            return date(y, mo, d)
        except ValueError:
            return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


class Row(NamedTuple):
    """One usable row of a roster table: where it is, its code and name, its cells."""

    where: str  # "<label>: dòng N"
    line: int
    code: str
    name: str
    cell: Callable[[str], str]  # canonical column -> cleaned text ("" when absent)


def coded_rows(
    table: RosterTable,
    spec: dict[str, tuple[str, ...]],
    required: Sequence[str],
    problems: list[str],
    *,
    missing: str,
    code_name: str,
) -> tuple[dict[str, int], list[Row]]:
    """The table's columns and its rows with a code and a name, each code once. Blank rows
    are skipped; a missing column, code or name and a repeated code are problems, worded
    with ``missing`` ("mã hoặc tên chi bộ") and ``code_name`` ("mã chi bộ")."""
    label, headers, rows = table
    cols, col_problems = _columns(label, headers, spec, required)
    problems += col_problems
    if col_problems:
        return cols, []
    out: list[Row] = []
    codes: dict[str, int] = {}
    for n, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row):
            continue

        def cell(key: str, row: Sequence[str] = row) -> str:
            i = cols.get(key)
            return clean_spaces(row[i]) if i is not None and i < len(row) else ""

        where = f"{label}: dòng {n}"
        code, name = cell("code"), cell("name")
        if not code or not name:
            problems.append(f"{where}: thiếu {missing}")
            continue
        if code in codes:
            problems.append(f"{where}: {code_name} '{code}' trùng với dòng {codes[code]}")
            continue
        codes[code] = n
        out.append(Row(where, n, code, name, cell))
    return cols, out


def birth_of(r: Row, problems: list[str]) -> date | None:
    """The row's birth date; a problem when it cannot be read."""
    birth = _parse_birth(r.cell("birth_date"))
    if birth is None:
        problems.append(
            f"{r.where}: ngày sinh '{r.cell('birth_date')}' không đọc được (dạng dd/mm/yyyy)"
        )
    return birth
