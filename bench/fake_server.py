"""The fake Google Workspace (``tests.fake_google``) in a process of its own, so its CPU is
not counted as the cycle's, driven by JSON lines on stdin (one answer line on stdout each):

    {"cmd": "load", "ward": DIR}   the scaled ward in DIR (ward.yaml + files) -> the fake:
                                   roster tabs, linked response sheets for forms A and 01
                                   and the learning export, Biểu mẫu 02 as a Forms API form
                                   with responses (as tests/test_google_end_to_end.py does),
                                   a summary spreadsheet with a tab of the ward's own, Gmail
    {"cmd": "reset"}               forget recorded requests (a cycle's window starts)
    {"cmd": "stats"}               requests since the reset by method, e-mails sent, errors,
                                   and this process's own CPU seconds and peak RSS
    {"cmd": "sync"}                after bench.scale_ward.mutate() changed DIR's exports:
                                   rows edited in place become form edits / cell updates,
                                   rows added become new responses / appended rows
    {"cmd": "shape"}               non-empty cells per row of the summary's tabs (the floor)
    {"cmd": "quit"}

Every answer carries ``cpu`` (user + sys seconds so far) so the runner can take the
difference over a cycle. Data goes straight into the fake's state, not over HTTP, so
loading and mutating are never counted as API calls.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import resource
import sys
import traceback
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # tests.fake_google lives in the repo, not in the package
    sys.path.insert(0, str(ROOT))

from sync.text import normalize_title  # noqa: E402
from sync.values import BadValue, Locale, parse_date, parse_timestamp  # noqa: E402
from tests.fake_google import FakeWorkspace  # noqa: E402
from tests.fake_google.forms_builder import question  # noqa: E402

ROSTER = "danh-sach"
SUMMARY = "tong-hop"
WARD_TAB = "Ghi chú của phường"
RESPONSES_TAB = "Câu trả lời biểu mẫu 1"
FORM_SOURCE = "bieu_mau_02"  # read through the Forms API; the other sources are sheets
FORM_ID = "form-bieu-mau-02"
EMAIL_TITLES = {normalize_title("Email Address"), normalize_title("Địa chỉ email")}


def sheet_id(source_id: str) -> str:
    return f"sheet-{source_id}"


def read_rows(path: Path) -> list[list[str]]:
    """A CSV or XLSX export as text rows, header first (cells as a sheet shows them)."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        try:
            rows = [[_text(v) for v in row] for row in wb.worksheets[0].iter_rows(values_only=True)]
        finally:
            wb.close()
        return rows
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def _text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


class Workspace:
    def __init__(self) -> None:
        # as strict as Google: a write past a tab's grid is a 400 (appends grow it)
        self.fake = FakeWorkspace().start()
        self.ward: Path | None = None
        self.sources: dict[str, dict[str, Any]] = {}
        self.tz = ZoneInfo("Asia/Ho_Chi_Minh")
        self.rows: dict[str, list[list[str]]] = {}  # source id -> rows loaded (header first)
        self.response_ids: list[str] = []  # the form's response id of each data row
        self.question_ids: dict[int, str] = {}  # column -> question id
        self.date_columns: set[int] = set()
        self.locale: Locale = "vi"  # the form source's (Biểu mẫu 02's export is en: m/d/y)

    # -- load -----------------------------------------------------------------------------

    def load(self, ward: Path) -> dict[str, Any]:
        raw = yaml.safe_load((ward / "ward.yaml").read_text(encoding="utf-8"))
        self.ward = ward
        self.tz = ZoneInfo(raw["ward"].get("timezone", "Asia/Ho_Chi_Minh"))
        self.sources = {s["id"]: s for s in raw["sources"]}
        self.fake.add_spreadsheet(
            ROSTER,
            {
                "Chi bộ": read_rows(ward / raw["roster"]["branches"]),
                "Đảng viên": read_rows(ward / raw["roster"]["members"]),
            },
        )
        for sid, s in self.sources.items():
            rows = read_rows(ward / s["file"])
            self.rows[sid] = rows
            if sid == FORM_SOURCE:
                self._add_form(rows, s.get("locale", "vi"))
            else:
                self.fake.add_spreadsheet(sheet_id(sid), {RESPONSES_TAB: rows})
        self.fake.add_spreadsheet(SUMMARY, {WARD_TAB: [["Tab này của phường, không được sửa"]]})
        return {
            "url": self.fake.url,
            "token": self.fake.token,
            "responses": len(self.response_ids),
            "rows": {sid: len(rows) - 1 for sid, rows in self.rows.items()},
        }

    def _add_form(self, rows: list[list[str]], locale: Locale) -> None:
        headers = rows[0]
        self.date_columns = {i for i, t in enumerate(headers) if normalize_title(t) == "ngày sinh"}
        skip = {0} | {i for i, t in enumerate(headers) if normalize_title(t) in EMAIL_TITLES}
        self.question_ids = {i: f"q{i:02d}" for i in range(len(headers)) if i not in skip}
        title = self.sources[FORM_SOURCE].get("title", FORM_SOURCE)
        self.fake.add_form(
            FORM_ID,
            title,
            [
                question(qid, headers[i], "date" if i in self.date_columns else "text")
                for i, qid in self.question_ids.items()
            ],
        )
        self.locale = locale
        self.response_ids = [self._add_response(row) for row in rows[1:]]

    def _answers(self, row: list[str]) -> tuple[datetime, dict[str, str]]:
        submitted = parse_timestamp(row[0], self.locale, self.tz).astimezone(UTC)
        answers: dict[str, str] = {}
        for i, qid in self.question_ids.items():
            value = row[i] if i < len(row) else ""
            if not value.strip():
                continue
            if i in self.date_columns:
                # the Forms API gives dates as YYYY-MM-DD; text an older copy typed stays text
                with contextlib.suppress(BadValue):
                    value = parse_date(value, self.locale).isoformat()
            answers[qid] = value
        return submitted, answers

    def _add_response(self, row: list[str]) -> str:
        submitted, answers = self._answers(row)
        return self.fake.add_response(FORM_ID, answers, submitted=submitted)

    # -- mutation -------------------------------------------------------------------------

    def sync(self) -> dict[str, Any]:
        """Carry the changes made to the ward's export files into the fake."""
        assert self.ward is not None
        done: dict[str, dict[str, int]] = {}
        for sid, old in self.rows.items():
            new = read_rows(self.ward / self.sources[sid]["file"])
            edited = [i for i in range(1, min(len(old), len(new))) if old[i] != new[i]]
            added = new[len(old) :]
            if sid == FORM_SOURCE:
                for i in edited:
                    submitted, answers = self._answers(new[i])
                    self.fake.edit_response(FORM_ID, self.response_ids[i - 1], answers, submitted)
                self.response_ids += [self._add_response(row) for row in added]
            else:
                # appended responses grow the tab (values.append), as on Google
                self._sync_sheet(sheet_id(sid), new, edited, added)
            self.rows[sid] = new
            done[sid] = {"edited": len(edited), "added": len(added)}
        return {"changes": done}

    def _sync_sheet(
        self, sid: str, rows: list[list[str]], edited: list[int], added: list[list[str]]
    ) -> None:
        state = self.fake.sheets_state
        tab = "'" + RESPONSES_TAB + "'"
        with self.fake._lock:  # the server thread reads the same state
            for i in edited:
                state.values_update(
                    sid, f"{tab}!A{i + 1}", {"valueInputOption": "RAW"}, {"values": [rows[i]]}
                )
            if added:
                state.values_append(
                    sid,
                    f"{tab}!A1",
                    {"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"},
                    {"values": added},
                )

    # -- figures --------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        calls = self.fake.calls()
        return {
            "calls": dict(sorted(Counter(r.method_id for r in calls).items())),
            "sent": sum(
                1 for r in calls if r.method_id == "gmail.users.messages.send" and r.status == 200
            ),
            "errors": dict(
                Counter(str(r.status) for r in calls if r.status >= 400 or not r.status)
            ),
        }

    def shape(self) -> dict[str, Any]:
        tabs = {t: self.fake.values(SUMMARY, t) for t in self.fake.tab_titles(SUMMARY)}
        return {"tabs": {t: rows for t, rows in tabs.items() if t != WARD_TAB}}


def _usage() -> dict[str, float]:
    u = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu": u.ru_utime + u.ru_stime, "maxrss_kb": u.ru_maxrss}


def main() -> int:
    # answers go to a private copy of stdout; anything printed by accident goes to stderr
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    sys.stdout = sys.stderr
    ws = Workspace()
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            req = json.loads(line)
            cmd = req.get("cmd")
            try:
                if cmd == "load":
                    answer = ws.load(Path(req["ward"]))
                elif cmd == "reset":
                    ws.fake.reset_requests()
                    answer = {}
                elif cmd == "stats":
                    answer = ws.stats()
                elif cmd == "sync":
                    answer = ws.sync()
                elif cmd == "shape":
                    answer = ws.shape()
                elif cmd == "quit":
                    out.write(json.dumps({"ok": True, **_usage()}) + "\n")
                    out.flush()
                    break
                else:
                    raise ValueError(f"unknown command {cmd!r}")
                answer = {"ok": True, **answer, **_usage()}
            except Exception as e:  # report and keep serving: the runner decides
                traceback.print_exc()
                answer = {"ok": False, "error": f"{type(e).__name__}: {e}", **_usage()}
            out.write(json.dumps(answer, ensure_ascii=False) + "\n")
            out.flush()
    finally:
        ws.fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
