"""The roster from two tabs of a Google spreadsheet (same columns as the roster files)."""

from __future__ import annotations

import hashlib
import json

from sync.errors import ConfigError
from sync.google.apis import GoogleApiError, GoogleApis
from sync.google.sheet_source import a1_tab, sheet_error, values_as_table
from sync.model import Roster
from sync.ports import Probe
from sync.roster import RosterTable, roster_from_tables


def tab_label(spreadsheet_id: str, tab: str) -> str:
    return f"Bảng tính {spreadsheet_id}, tab '{tab}'"


def load_roster_from_sheet(
    apis: GoogleApis,
    spreadsheet_id: str,
    branches_tab: str = "Chi bộ",
    members_tab: str = "Đảng viên",
    staff_tab: str | None = None,
) -> Roster:
    """The tabs in one ``values.batchGet``; the same validation as the files."""
    tables = read_roster_tables(apis, spreadsheet_id, branches_tab, members_tab, staff_tab)
    return roster_from_tables(*tables)


def read_roster_tables(
    apis: GoogleApis,
    spreadsheet_id: str,
    branches_tab: str = "Chi bộ",
    members_tab: str = "Đảng viên",
    staff_tab: str | None = None,
) -> tuple[RosterTable, ...]:
    """The tabs as tables (one ``values.batchGet``), not yet validated; the staff roster's
    tab third when asked for."""
    tabs = (branches_tab, members_tab) + ((staff_tab,) if staff_tab else ())
    ranges = [a1_tab(t) for t in tabs]
    params = {"valueRenderOption": "FORMATTED_VALUE", "majorDimension": "ROWS"}
    try:
        data = apis.call(
            "sheets",
            lambda: apis.sheets().values_batch_get(spreadsheet_id, ranges, params=dict(params)),
        )
    except GoogleApiError as e:
        reason = _reason(apis, e, spreadsheet_id, *tabs)
        raise ConfigError([f"roster.spreadsheet_id: {reason}"]) from e
    value_ranges = data.get("valueRanges") or []
    tables = []
    for i, tab in enumerate(tabs):
        values = value_ranges[i].get("values") if i < len(value_ranges) else None
        headers, rows = values_as_table(values)
        tables.append(RosterTable(tab_label(spreadsheet_id, tab), headers, rows))
    empty = [t.label for t in tables if not t.headers]
    if empty:
        raise ConfigError([f"{label}: trống (không có dòng tiêu đề)" for label in empty])
    return tuple(tables)


def _reason(apis: GoogleApis, e: GoogleApiError, spreadsheet_id: str, *tabs: str) -> str:
    if e.status != 400:
        return sheet_error(e, spreadsheet_id, None, apis.account)
    # 400 "Unable to parse range": a tab is missing; one more call (only on this error
    # path) names which
    try:
        meta = apis.call("sheets", lambda: apis.sheets().fetch_sheet_metadata(spreadsheet_id))
    except GoogleApiError:
        return sheet_error(e, spreadsheet_id, None, apis.account)
    titles = {s.get("properties", {}).get("title") for s in meta.get("sheets", []) or []}
    missing = [t for t in tabs if t not in titles]
    if not missing:
        return sheet_error(e, spreadsheet_id, None, apis.account)
    return (
        f"Bảng tính {spreadsheet_id} không có tab "
        + ", ".join(f"'{t}'" for t in missing)
        + " (kiểm tra roster.branches_tab, roster.members_tab"
        + (", staff.tab)" if len(tabs) > 2 else ")")
    )


class SheetRoster:
    """The roster from two tabs of a spreadsheet (``sync.ports.RosterSource``): one
    ``values.batchGet`` per load; no probe (only reading the tabs can tell)."""

    def __init__(
        self,
        apis: GoogleApis,
        spreadsheet_id: str,
        branches_tab: str,
        members_tab: str,
        staff_tab: str | None = None,
    ) -> None:
        self.apis = apis
        self.spreadsheet_id = spreadsheet_id
        self.branches_tab = branches_tab
        self.members_tab = members_tab
        self.staff_tab = staff_tab
        shown = f"{branches_tab}', '{members_tab}" + (f"', '{staff_tab}" if staff_tab else "")
        self.label = tab_label(spreadsheet_id, shown)
        self._tables: tuple[RosterTable, ...] | None = None

    def probe(self, previous: Probe | None) -> Probe | None:
        """Read both tabs (one call) and hash them: when they are unchanged the roster is
        not validated again (100,000 members); the tables are kept for ``load``."""
        # tables kept by an earlier probe that no load took (the roster was unchanged) must
        # not stand in for a roster that can no longer be read: load() then says why
        self._tables = None
        try:
            self._tables = read_roster_tables(
                self.apis, self.spreadsheet_id, self.branches_tab, self.members_tab, self.staff_tab
            )
        except ConfigError:
            return None  # load() says what is wrong
        text = json.dumps([[t.headers, t.rows] for t in self._tables], ensure_ascii=False)
        return Probe("", hashlib.sha256(text.encode("utf-8")).hexdigest())

    def load(self) -> Roster:
        tables, self._tables = self._tables, None
        if tables is None:
            tables = read_roster_tables(
                self.apis, self.spreadsheet_id, self.branches_tab, self.members_tab, self.staff_tab
            )
        return roster_from_tables(*tables)
