"""One contract, every backend (as vdirsyncer runs one storage test class against every
storage): the sample ward's inputs, run through the embedded backend (files in, XLSX and
.eml out) and through the Google backend (the real google-api-python-client and gspread
against a local fake of Google's APIs), give the same tabs and the same alerts.

Each backend is driven by a small harness with the same four verbs: put the inputs in,
run a cycle, read the tabs back, read the messages sent. The tests below only use those.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from typing import Protocol

import pytest
import yaml
from openpyxl import load_workbook

from sync.alerts import summary_location
from sync.backend import embedded_backend, load_inputs, make_backend
from sync.config import load_config
from sync.cycle import CycleReport, run_cycle
from sync.sources.files import read_table
from sync.state import StateStore
from sync.tables import tab_names
from sync.text import normalize_title
from tests.conftest import copy_sample_ward
from tests.fake_google import FakeWorkspace
from tests.fake_google.clients import fake_apis
from tests.letters_util import items_in, items_of
from tests.sample_facts import (
    FIRST_CYCLE_MESSAGES,
    LEARNING_MESSAGES,
    first_cycle_alert_ids,
    first_cycle_learning_ids,
    learner_birth_dates,
    learning_laggards,
    secretary_emails,
)

MONDAY = datetime.fromisoformat("2026-11-23T08:00:00+07:00")
EXCEL_EPOCH = datetime(1899, 12, 30)


def plain(v: object) -> object:
    """A cell as both destinations can be compared: dates as serial numbers, numbers as
    floats, empty as ""."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return v
    if isinstance(v, datetime):
        return round((v.replace(tzinfo=None) - EXCEL_EPOCH) / timedelta(days=1), 6)
    if isinstance(v, date):
        return float((v - EXCEL_EPOCH.date()).days)
    if isinstance(v, int | float):
        return round(float(v), 6)
    return v


def trimmed(rows: list[list[object]]) -> list[list[object]]:
    out = [[plain(c) for c in r] for r in rows]
    for r in out:
        while r and r[-1] == "":
            r.pop()
    while out and not out[-1]:
        out.pop()
    return out


def _cells(headers: list[str], row: dict[str, str]) -> list[str]:
    """A new answer in the export's own column order; the export's titles are messy, so
    they are matched as the mapping matches them."""
    by_title = {normalize_title(k): v for k, v in row.items()}
    return [by_title.get(normalize_title(h), "") for h in headers]


class Harness(Protocol):
    def cycle(self, now: datetime) -> CycleReport: ...
    def tabs(self) -> dict[str, list[list[object]]]: ...
    def messages(self) -> dict[str, EmailMessage]: ...
    def add_answer(self, source_id: str, row: dict[str, str]) -> None: ...
    def write_count(self) -> int: ...


class EmbeddedHarness:
    def __init__(self, base: Path) -> None:
        copy_sample_ward(base)
        self.config = base / "config" / "example.yaml"
        self.cfg = load_config(self.config)

    def cycle(self, now: datetime) -> CycleReport:
        cfg = load_config(self.config)
        with StateStore(cfg.state.path) as store:
            return run_cycle(load_inputs(cfg), store, embedded_backend(cfg), now)

    def tabs(self) -> dict[str, list[list[object]]]:
        wb = load_workbook(self.cfg.destination.path)
        return {ws.title: trimmed([list(r) for r in ws.iter_rows(values_only=True)]) for ws in wb}

    def messages(self) -> dict[str, EmailMessage]:
        out = {}
        for p in self.cfg.mail.outbox_dir.glob("*.eml"):
            m = message_from_bytes(p.read_bytes(), policy=policy.default)
            out[str(m["X-KNS-Alert-Id"])] = m
        return out

    def add_answer(self, source_id: str, row: dict[str, str]) -> None:
        import csv

        path = next(s.file for s in self.cfg.sources if s.id == source_id)
        headers, _ = read_table(path)
        with path.open("a", encoding="utf-8", newline="") as f:
            csv.writer(f).writerow(_cells(headers, row))

    def write_count(self) -> int:
        return self.cfg.destination.path.stat().st_mtime_ns


class GoogleHarness:
    """The sample ward in a fake Workspace: roster tabs, one linked response sheet per
    export (cells as Google returns them: formatted strings), a summary spreadsheet that
    already holds a tab of the ward's own, Gmail."""

    SUMMARY = "tong-hop"
    ROSTER = "danh-sach"

    def __init__(self, base: Path, fake: FakeWorkspace) -> None:
        self.fake = fake
        copy_sample_ward(base)
        example = load_config(base / "config" / "example.yaml")
        raw = yaml.safe_load((base / "config" / "example.yaml").read_text(encoding="utf-8"))

        roster_tabs = {
            "Chi bộ": self._table(example.roster.branches),
            "Đảng viên": self._table(example.roster.members),
        }
        if example.staff is not None and example.staff.roster is not None:
            # the staff roster of "Bình dân học vụ số" is a third tab of the same spreadsheet
            roster_tabs["Cán bộ"] = self._table(example.staff.roster)
            raw["staff"] = {"tab": "Cán bộ"}
        fake.add_spreadsheet(self.ROSTER, roster_tabs)
        for s in example.sources:
            assert s.file is not None
            fake.add_spreadsheet(
                f"sheet-{s.id}", {"Câu trả lời biểu mẫu 1": self._table(s.file, s.sheet)}
            )
            src = next(x for x in raw["sources"] if x["id"] == s.id)
            del src["file"]
            src.pop("sheet", None)
            src["spreadsheet_id"] = f"sheet-{s.id}"
        fake.add_spreadsheet(
            self.SUMMARY, {"Ghi chú của phường": [["Tab này của phường, không được sửa"]]}
        )
        raw["roster"] = {"spreadsheet_id": self.ROSTER}
        raw["destination"] = {"kind": "google_sheets", "spreadsheet_id": self.SUMMARY}
        raw["mail"]["transport"] = "gmail"
        del raw["mail"]["outbox_dir"]
        raw["google"] = {"credentials": "khong-dung.json"}  # the test passes its own clients
        self.config = base / "config" / "google.yaml"
        self.config.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        self.cfg = load_config(self.config)
        self.apis = fake_apis(fake)

    @staticmethod
    def _table(path: Path, sheet: str | None = None) -> list[list[object]]:
        headers, rows = read_table(path, sheet)
        return [headers, *rows]

    def cycle(self, now: datetime) -> CycleReport:
        cfg = load_config(self.config)
        inputs = load_inputs(cfg, apis=self.apis)
        backend = make_backend(cfg, inputs.mappings, apis=self.apis, rubric=inputs.rubric)
        with StateStore(cfg.state.path) as store:
            return run_cycle(inputs, store, backend, now)

    def tabs(self) -> dict[str, list[list[object]]]:
        out = {}
        http = self.apis.sheets()
        for title in self.fake.tab_titles(self.SUMMARY):
            got = http.values_get(
                self.SUMMARY, f"'{title}'", params={"valueRenderOption": "UNFORMATTED_VALUE"}
            )
            out[title] = trimmed(got.get("values", []))
        return out

    def messages(self) -> dict[str, EmailMessage]:
        return {str(m["X-KNS-Alert-Id"]): m for m in self.fake.sent_messages()}

    def add_answer(self, source_id: str, row: dict[str, str]) -> None:
        # as Google Forms does: a new row at the end of the linked responses tab
        sheet, tab = f"sheet-{source_id}", "Câu trả lời biểu mẫu 1"
        headers = self.fake.values(sheet, tab)[0]
        self.apis.sheets().values_append(
            sheet,
            f"'{tab}'!A1",
            params={"valueInputOption": "RAW", "insertDataOption": "INSERT_ROWS"},
            body={"values": [_cells(headers, row)]},
        )

    def write_count(self) -> int:
        return len(self.fake.write_calls(api="sheets"))


@pytest.fixture(params=["embedded", "google"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    if request.param == "embedded":
        yield EmbeddedHarness(tmp_path)
        return
    with FakeWorkspace() as fake:
        yield GoogleHarness(tmp_path, fake)


# the sample ward's sources add these to the seven tabs every ward has
SAMPLE_EXTRA_TABS = (
    "Bình dân học vụ số",
    "Người học Bình dân học vụ số",
    "Tổ công nghệ số cộng đồng",
)


def _summary_tabs(h: Harness) -> dict[str, list[list[object]]]:
    return {k: v for k, v in h.tabs().items() if k in tab_names(2026)}


def _all_tabs(h: Harness) -> dict[str, list[list[object]]]:
    return {k: v for k, v in h.tabs().items() if k in (*tab_names(2026), *SAMPLE_EXTRA_TABS)}


# ---------------------------------------------------------------------------------------
# The contract: every backend
# ---------------------------------------------------------------------------------------


def test_first_cycle_writes_seven_tabs_and_sends_what_is_due(harness: Harness):
    report = harness.cycle(MONDAY)
    tabs = _summary_tabs(harness)
    assert list(tabs) == list(tab_names(2026))
    for name, rows in tabs.items():
        assert rows[0][0].startswith(name) and "23/11/2026 08:00" in rows[0][0]
    branches = tabs["Tổng hợp chi bộ"]
    assert branches[1][:3] == ["Mã chi bộ", "Tên chi bộ", "Tình trạng"]
    assert len(branches) == 2 + 25
    assert len(tabs["Đảng viên"]) == 2 + 500
    assert any(isinstance(c, str) and c.startswith("=IMPORTXML") for r in branches for c in r)
    sent = harness.messages()
    carried = items_in(sent.values())  # a branch's letter carries several alerts
    assert sorted(carried) == sorted(report.sent) == sorted(a.alert_id for a in report.plan.due)
    assert sorted(carried) == sorted(first_cycle_alert_ids())
    assert len(sent) == FIRST_CYCLE_MESSAGES  # one message per branch: tests/sample_facts.py
    assert sorted(sent) == sorted(report.messages)


def test_the_year_end_report_is_a_file_with_the_tabs_figures(harness: Harness):
    from docx import Document

    report = harness.cycle(MONDAY)
    path = harness.cfg.report.path
    assert path is not None and report.report_path == path and path.exists()
    assert path.stat().st_mode & 0o777 == 0o600
    # every counted figure of the "Báo cáo tổng hợp" tab is in the document's tables
    tab = _summary_tabs(harness)["Báo cáo tổng hợp"]
    figures = {
        r[1]: r[2]
        for r in tab[2:]
        if len(r) > 3 and r[1] and isinstance(r[2], int | float) and r[2] != ""
    }
    doc = {
        row.cells[0].text.rsplit(" (", 1)[0]: row.cells[1].text
        for t in Document(str(path)).tables
        if t.rows[0].cells[0].text == "Nội dung"
        for row in t.rows[1:]
    }
    assert len(figures) > 30
    assert all(doc[label] == f"{n:g}" for label, n in figures.items() if label in doc)
    assert {"Số buổi sinh hoạt chuyên đề đã tổ chức", "Xếp loại Khá"} <= set(figures) & set(doc)


def test_a_second_identical_cycle_writes_and_sends_nothing(harness: Harness):
    harness.cycle(MONDAY)
    before, writes = harness.tabs(), harness.write_count()
    again = harness.cycle(MONDAY + timedelta(minutes=30))
    assert again.sent == [] and not again.wrote_tables
    assert harness.write_count() == writes
    assert harness.tabs() == before
    assert len(harness.messages()) == FIRST_CYCLE_MESSAGES


def test_a_new_answer_reaches_the_tabs(harness: Harness):
    harness.cycle(MONDAY)
    harness.add_answer(
        "thong_ke",
        {
            "Dấu thời gian": "23/11/2026 09:00:00",
            "Tên chi bộ": "Chi bộ Văn phòng Đảng ủy",
            "Mô hình, cách làm hay": "Mô hình mới sau lần chạy đầu",
        },
    )
    report = harness.cycle(MONDAY + timedelta(hours=2))
    assert report.wrote_tables
    cells = [c for r in harness.tabs()["Tổng hợp chi bộ"] for c in r]
    assert "Mô hình mới sau lần chạy đầu" in cells


def _to(m: EmailMessage, header: str) -> list[str]:
    return [addr for _, addr in getaddresses([str(v) for v in m.get_all(header) or []])]


def test_learning_follow_ups_go_to_each_secretary_with_only_their_learners(harness: Harness):
    # "Bình dân học vụ số" (tests/sample_facts.py): November's letter to every branch with a
    # learner who has not passed but CB21 (no e-mail), and the ward staff's summary
    from tools.sample_ward import generate

    harness.cycle(MONDAY)
    # a branch's follow-up travels in its letter; the staff's summary alone
    sent = {
        item: m
        for m in harness.messages().values()
        for item in items_of(m)
        if item.startswith("hoc_tap:")
    }
    assert set(sent) == first_cycle_learning_ids() and len(sent) == LEARNING_MESSAGES == 25
    staff = {s.code: s for s in generate().truth.staff}
    emails, laggards = secretary_emails(), learning_laggards()
    births = {f(d) for d in learner_birth_dates() for f in (_dmy, date.isoformat, _mdy)}
    for alert_id, m in sent.items():
        _, code, occurrence = alert_id.split(":")
        assert occurrence == "2026-11"
        parts = [m.get_body((kind,)).get_content() for kind in ("plain", "html")]
        assert _to(m, "Bcc") == []
        # Cc: only the branch's own supervisor, when its letter carries an escalation
        escalated = any(":escalation:" in i for i in items_of(m))
        assert len(_to(m, "Cc")) == (1 if escalated and code != "ward" else 0), alert_id
        # no learner's birth date, in either part (the platform's matching key stays here);
        # the only dates of birth are inside the prefilled Biểu mẫu 01/02 links of the
        # branch's own members (issue 9: name, birth date and branch filled in)
        text = [re.sub(r"https://docs\.google\.com/forms/\S+", "", part) for part in parts]
        assert not [b for b in births for part in text if b in part], alert_id
        if code == "ward":
            assert _to(m, "To") == list(harness.cfg.mail.ward_staff)
            assert not [c for c in staff for part in parts if f"({c})" in part]  # rates only
            continue
        # to the branch's secretary alone, listing every one of its learners not passed
        # and nobody else (no other branch's learner, nobody who passed)
        assert _to(m, "To") == [emails[code]], alert_id
        for part in parts:
            listed = {c for c in staff if f"({c})" in part}
            assert listed == laggards[code], alert_id
            assert all(staff[c].name in part for c in listed)


def _dmy(d: date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def _mdy(d: date) -> str:
    return f"{d.month}/{d.day}/{d.year}"


# ---------------------------------------------------------------------------------------
# Across backends: the same inputs give the same tabs and the same messages
# ---------------------------------------------------------------------------------------


def test_embedded_and_google_backends_agree(tmp_path: Path):
    embedded = EmbeddedHarness(tmp_path / "embedded")
    embedded.cycle(MONDAY)
    with FakeWorkspace() as fake:
        google = GoogleHarness(tmp_path / "google", fake)
        google.cycle(MONDAY)
        g_tabs, g_mail = _all_tabs(google), google.messages()
        assert "Ghi chú của phường" in fake.tab_titles(GoogleHarness.SUMMARY)
        assert fake.values(GoogleHarness.SUMMARY, "Ghi chú của phường") == [
            ["Tab này của phường, không được sửa"]
        ]
    e_tabs, e_mail = _all_tabs(embedded), embedded.messages()
    e_where, g_where = summary_location(embedded.cfg), summary_location(google.cfg)
    assert e_where != g_where and "" not in (e_where, g_where)
    # every tab, the learners' and the teams' too: the embedded ones are checked against
    # the generator's truth (tests/test_learning.py, tests/test_support_logs.py)
    assert sorted(e_tabs) == sorted(g_tabs) == sorted((*tab_names(2026), *SAMPLE_EXTRA_TABS))
    for name in e_tabs:
        e, g = e_tabs[name], g_tabs[name]
        assert len(e) == len(g), name
        for i, (er, gr) in enumerate(zip(e, g, strict=True)):
            assert er == gr, (name, i)
    assert sorted(e_mail) == sorted(g_mail)
    for alert_id, em in e_mail.items():
        gm = g_mail[alert_id]
        for header in ("To", "Cc", "Subject", "From"):
            assert str(em[header] or "") == str(gm[header] or ""), (alert_id, header)
        # where staff find the summary is each backend's own (the workbook's file name, the
        # spreadsheet's address): the ward staff's learning summary names it
        e_text = em.get_body(("plain",)).get_content().replace(e_where, "<tổng hợp>")
        g_text = gm.get_body(("plain",)).get_content().replace(g_where, "<tổng hợp>")
        assert e_text == g_text, alert_id


def test_support_logs_count_distinct_people_on_every_backend(harness: Harness):
    # Form E: the ward's totals against the sample generator's own model of the visits
    from tools.sample_ward import generate

    harness.cycle(MONDAY)
    rows = harness.tabs()["Tổ công nghệ số cộng đồng"]
    truth = generate().truth.support
    ward = next(r for r in rows if isinstance(r[0], str) and r[0].startswith("Toàn phường"))
    sessions = sum(1 for r in truth.rows if r.team)
    assert [int(ward[4]), int(ward[5])] == [sessions, truth.people_in_ward]
