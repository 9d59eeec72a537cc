"""The sample ward end to end on Google with a form read through the Forms API.

Biểu mẫu 02 is served by the fake's Forms API (its answers converted from the sample
export the way the API gives them: keyed by question id, dates as YYYY-MM-DD, times in
UTC); the other forms stay linked response sheets, the roster and the summary are
spreadsheets, mail goes through Gmail. The result must match the embedded backend on the
same inputs, and an idle cycle must make no write call.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from sync.sources.files import read_table
from sync.tables import tab_names
from sync.text import normalize_title
from sync.values import BadValue, parse_date, parse_timestamp
from tests.fake_google import FakeWorkspace
from tests.fake_google.forms_builder import question
from tests.test_contract import MONDAY, EmbeddedHarness, GoogleHarness

SCORING = "bieu_mau_02"
FORM_ID = "form-bieu-mau-02"
SOURCE_TITLE = "Biểu mẫu 02 - Bảng chấm điểm"


def _serve_scoring_form(h: GoogleHarness, fake: FakeWorkspace) -> int:
    """Put the sample's Biểu mẫu 02 export into the fake as a form with responses; point
    the config at it. Returns how many responses it holds."""
    source = next(s for s in load_example(h).sources if s.id == SCORING)
    assert source.file is not None
    headers, rows = read_table(source.file)
    tz = h.cfg.tz
    date_columns = {i for i, t in enumerate(headers) if normalize_title(t) == "ngày sinh"}
    email = {normalize_title("Email Address"), normalize_title("Địa chỉ email")}
    skip = {0} | {i for i, t in enumerate(headers) if normalize_title(t) in email}
    ids = {i: f"q{i:02d}" for i in range(len(headers)) if i not in skip}
    fake.add_form(
        FORM_ID,
        SOURCE_TITLE,
        [
            question(qid, headers[i], "date" if i in date_columns else "text")
            for i, qid in ids.items()
        ],
    )
    count = 0
    for row in rows:
        if not any(c.strip() for c in row):
            continue
        submitted = parse_timestamp(row[0], source.locale, tz).astimezone(UTC)
        answers: dict[str, str] = {}
        for i, qid in ids.items():
            value = row[i] if i < len(row) else ""
            if not value.strip():
                continue
            if i in date_columns:
                # an older copy typed it as text: then the API gives the text
                with contextlib.suppress(BadValue):
                    value = parse_date(value, source.locale).isoformat()
            answers[qid] = value
        fake.add_response(FORM_ID, answers, submitted=submitted)
        count += 1
    raw = yaml.safe_load(h.config.read_text(encoding="utf-8"))
    src = next(s for s in raw["sources"] if s["id"] == SCORING)
    src.pop("spreadsheet_id")
    src["form_id"] = FORM_ID
    h.config.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return count


def load_example(h: GoogleHarness):
    from sync.config import load_config

    return load_config(h.config.parent / "example.yaml")


def _problems_without_row_labels(rows: list[list[object]]) -> Counter[tuple[object, ...]]:
    """'Lỗi dữ liệu' rows with the record column dropped: a CSV row is "Dòng 12", a Forms
    API response "Phản hồi ACYDBN…"; everything else must agree."""
    header = rows[1]
    record = header.index("Dòng / phản hồi") if "Dòng / phản hồi" in header else 1
    return Counter(tuple(c for j, c in enumerate(r) if j != record) for r in rows[2:])


def test_sample_ward_with_the_forms_api_matches_the_embedded_backend(tmp_path: Path):
    embedded = EmbeddedHarness(tmp_path / "embedded")
    e_report = embedded.cycle(MONDAY)
    e_tabs = embedded.tabs()

    with FakeWorkspace() as fake:
        h = GoogleHarness(tmp_path / "google", fake)
        assert _serve_scoring_form(h, fake) == 665
        g_report = h.cycle(MONDAY)
        g_tabs = h.tabs()
        assert g_report.stored[SCORING] == "665 mới, 0 sửa, 0 xóa"

        for name in tab_names(2026):
            if name == "Lỗi dữ liệu":
                continue
            assert g_tabs[name] == e_tabs[name], name
        assert _problems_without_row_labels(g_tabs["Lỗi dữ liệu"]) == (
            _problems_without_row_labels(e_tabs["Lỗi dữ liệu"])
        )
        assert sorted(g_report.sent) == sorted(e_report.sent)
        # Form E's tab (support logs read from a linked sheet) is the same on both backends
        assert g_tabs["Tổ công nghệ số cộng đồng"] == e_tabs["Tổ công nghệ số cộng đồng"]

        # an idle cycle: reads only, and the fewest of them; no write, no mail
        fake.reset_requests()
        idle = h.cycle(MONDAY + timedelta(minutes=30))
        assert idle.sent == [] and not idle.wrote_tables
        assert fake.write_calls(api=None) == []
        by_method = Counter(r.method_id for r in fake.requests)
        assert by_method == {
            "forms.forms.get": 1,  # questions and drift
            "forms.forms.responses.list": 1,  # incremental: nothing new
            "sheets.spreadsheets.values.batchGet": 1,  # roster, both tabs
            # every other source's linked response sheet
            "sheets.spreadsheets.values.get": len(load_example(h).sources) - 1,
            "sheets.spreadsheets.get": 1,  # summary tabs still there
        }, by_method

        # an edit on the form replaces the earlier answer (upsert by response id)
        first = fake.form_responses(FORM_ID)[0]
        fake.edit_response(
            FORM_ID,
            first["responseId"],
            {qid: a["textAnswers"]["answers"][0]["value"] for qid, a in first["answers"].items()},
            submitted=datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
        )
        edited = h.cycle(MONDAY + timedelta(hours=1))
        assert edited.stored[SCORING] == "0 mới, 1 sửa, 0 xóa"
