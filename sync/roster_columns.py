"""Reading roster-like tables (the branches, the members, the staff): a table as (label,
headers, rows), its columns found by any accepted title, birth dates as offices type them.
Shared by ``sync.roster`` and ``sync.staff``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import NamedTuple

from sync.text import normalize_title


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
