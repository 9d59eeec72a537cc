"""Form E: support logs of the community digital technology teams ("Tổ công nghệ số cộng
đồng"). Expected values come from hand-computed cases and from the sample generator's own
model (``Truth.support``), never from running the code under test."""

from __future__ import annotations

import logging
import sqlite3
import zipfile
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from scoring.support import summarize_support
from sync.backend import embedded_backend, load_inputs
from sync.config import SourceConfig, TeamTarget, load_config
from sync.cycle import run_cycle
from sync.errors import ConfigError
from sync.mapping import load_mapping
from sync.model import (
    NormalizedSource,
    RawResponse,
    Roster,
    RowAnswers,
    SourceKind,
    SupportLog,
    Team,
)
from sync.normalize import normalize_source
from sync.state import StateStore
from sync.support import (
    SECRET_KEY,
    person_secret,
    scrub_responses,
    teams_from_table,
)
from sync.support_core import HIDDEN, TeamIndex, national_phone, person_key, redact_phones
from sync.tables_support import TAB_SUPPORT
from tests.conftest import ROOT, RUBRIC, TZ, copy_sample_ward
from tools.sample_ward import generate
from tools.sample_ward.support import LOG_FILE, TEAMS_FILE

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=TZ)
MAPPING = load_mapping(ROOT / "mappings" / "support_log.yaml")
KEY = b"k" * 32
TEAMS = (
    Team("T01", "Tổ công nghệ số cộng đồng khu phố 1", ("Tổ CNSCĐ khu phố 1",), "Khu phố 1"),
    Team("T03", "Tổ công nghệ số cộng đồng khu phố 3", ("Tổ CNSCĐ khu phố 3",), "Khu phố 3"),
)
LEARN = 'Học tập trên nền tảng "Bình dân học vụ số"'
OTHER_APPS = "Cài đặt, sử dụng ứng dụng số khác"


# ---------------------------------------------------------------------------------------
# Phones, keys
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "national"),
    [
        ("0912 345 678", "0912345678"),
        ("+84912345678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("912.345.678", "0912345678"),
        ("0912-345-678", "0912345678"),
        ("(0912) 345.678", "0912345678"),
        ("  0912345678 ", "0912345678"),
        ("", ""),
        ("   ", ""),
        ("12345", None),
        ("không có", None),
        ("+1 202 555 0101", None),
        ("0912 345 678 9999", None),
    ],
)
def test_phone_in_national_form(typed: str, national: str | None):
    assert national_phone(typed) == national


def test_the_same_person_typed_differently_has_one_key():
    a = person_key(KEY, "Nguyễn Thị Lan", 1960, "0912 345 678")
    assert person_key(KEY, "NGUYỄN  THỊ LAN ", 1960, "+84912345678") == a
    assert person_key(KEY, "Nguyen Thi Lan", 1960, "912.345.678") == a
    assert person_key(KEY, "Nguyễn Thị Lan", 1961, "0912345678") != a  # other birth year
    assert person_key(KEY, "Nguyễn Thị Lan", 1960, "0912345679") != a  # other phone
    assert person_key(b"another key" * 3, "Nguyễn Thị Lan", 1960, "0912345678") != a
    assert "0912345678" not in a and "912345678" not in a


# ---------------------------------------------------------------------------------------
# Normalising Form E rows
# ---------------------------------------------------------------------------------------


def _row(**over: str) -> dict[str, str]:
    row = {
        "Dấu thời gian": "15/06/2026 10:00:00",
        "Ngày hỗ trợ": "14/06/2026",
        "Tổ công nghệ số cộng đồng": "Tổ công nghệ số cộng đồng khu phố 1",
        "Người hỗ trợ": "Phạm Văn Khải",
        "Vai trò người hỗ trợ": "Thành viên Tổ",
        "Họ và tên người được hỗ trợ": "Nguyễn Thị Lan",
        "Năm sinh người được hỗ trợ": "1960",
        "Số điện thoại người được hỗ trợ": "0912 345 678",
        "Nội dung hỗ trợ": "Dịch vụ công trực tuyến, Định danh điện tử (VNeID)",
        "Kết quả": "Hoàn thành",
        "Ghi chú": "",
    }
    row.update(over)
    return row


def _normalise(rows: list[Mapping[str, str]]) -> NormalizedSource:
    raws = [
        RawResponse("nhat_ky", f"row:{i + 2}", f"Dòng {i + 2}", dict(r)) for i, r in enumerate(rows)
    ]
    src = SourceConfig(
        id="nhat_ky", kind=SourceKind.SUPPORT_LOG, mapping=Path("m.yaml"), file=Path("x.csv")
    )
    return normalize_source(
        src,
        MAPPING,
        RUBRIC,
        Roster((), ()),
        raws,
        year=2026,
        tz=TZ,
        teams=TeamIndex(TEAMS),
        secret=KEY,
    )


def test_a_row_becomes_a_support_log_with_only_a_keyed_person():
    ns = _normalise([_row()])
    assert ns.problems == ()
    (r,) = ns.records
    assert isinstance(r, SupportLog)
    assert r.team_code == "T01"
    assert r.support_on == date(2026, 6, 14)
    assert r.helper_name == "Phạm Văn Khải" and r.helper_role == "Thành viên Tổ"
    assert r.kinds == ("Dịch vụ công trực tuyến", "Định danh điện tử (VNeID)")
    assert r.completed is True
    assert r.person_key == person_key(KEY, "Nguyễn Thị Lan", 1960, "0912345678")
    assert "Lan" not in repr(r) and "345" not in repr(r)


def test_every_messy_shape():
    ns = _normalise(
        [
            # short team name, no diacritics, the phone with +84, choices holding commas
            # and quotes matched whole (never split on the commas inside them)
            _row(
                **{
                    "Tổ công nghệ số cộng đồng": "to cnscd khu pho 3",
                    "Họ và tên người được hỗ trợ": "NGUYEN THI  LAN",
                    "Số điện thoại người được hỗ trợ": "+84912345678",
                    "Nội dung hỗ trợ": f"{LEARN}, {OTHER_APPS}",
                    "Kết quả": "Chưa hoàn thành, hẹn lại",
                    "Vai trò người hỗ trợ": "Đoàn viên, thanh niên",
                }
            ),
            _row(**{"Tổ công nghệ số cộng đồng": "Tổ CNSCĐ khu phố 9"}),  # unknown team
            _row(**{"Họ và tên người được hỗ trợ": ""}),  # nobody to count
            _row(**{"Số điện thoại người được hỗ trợ": "09123"}),  # not a phone
            _row(**{"Nội dung hỗ trợ": "Khác: hướng dẫn Zalo"}),
            _row(**{"Ngày hỗ trợ": "", "Số điện thoại người được hỗ trợ": ""}),
        ]
    )
    by_label = {r.row_label: r for r in ns.records}
    assert set(by_label) == {"Dòng 2", "Dòng 5", "Dòng 6", "Dòng 7"}
    first = by_label["Dòng 2"]
    assert isinstance(first, SupportLog)
    assert first.team_code == "T03"
    assert first.kinds == (LEARN, OTHER_APPS)
    assert first.completed is False
    assert first.helper_role == "Đoàn viên, thanh niên"
    assert first.person_key == person_key(KEY, "Nguyễn Thị Lan", 1960, "0912345678")
    # an unreadable phone: told apart by name and birth year, the digits hidden
    bad_phone = by_label["Dòng 5"]
    assert isinstance(bad_phone, SupportLog)
    assert bad_phone.person_key == person_key(KEY, "Nguyễn Thị Lan", 1960, "")
    no_date = by_label["Dòng 7"]
    assert isinstance(no_date, SupportLog) and no_date.support_on == date(2026, 6, 15)
    problems = {p.record: p for p in ns.problems}
    assert problems["Dòng 3"].raw_value == "Tổ CNSCĐ khu phố 9"
    assert "không khớp tổ nào" in problems["Dòng 3"].reason
    assert "Chưa nhập họ và tên người được hỗ trợ" in problems["Dòng 4"].reason
    assert problems["Dòng 5"].raw_value == HIDDEN
    assert "09123" not in repr(ns.problems)
    assert "Khác: hướng dẫn Zalo" in problems["Dòng 6"].raw_value


def test_team_roster_table_and_bad_rows():
    teams, problems = teams_from_table(
        "to.csv",
        ["Mã tổ", "Tên tổ", "Tên gọi khác", "Khu phố", "Tổ trưởng", "Email tổ trưởng",
         "Thành viên"],
        [
            ["T01", "Tổ công nghệ số cộng đồng khu phố 1", "KP 1; Tổ CNS KP1", "Khu phố 1",
             "Phạm Văn Khải", "khai@x.vn", "Phạm Văn Khải; Lê Thị Mận"],
            ["T01", "Trùng mã", "", "", "", "", ""],
            ["", "Không mã", "", "", "", "", ""],
            ["T02", "Tổ khu phố 2", "", "", "Đỗ Thị Hạnh", "not-an-email", ""],
        ],
    )  # fmt: skip
    assert [t.code for t in teams] == ["T01", "T02"]
    assert teams[0].aliases == ("KP 1", "Tổ CNS KP1")
    assert teams[0].members == ("Phạm Văn Khải", "Lê Thị Mận")
    assert teams[1].leader_email == ""
    assert [p.record for p in problems] == ["Dòng 3", "Dòng 4", "Dòng 5"]
    index = TeamIndex(teams)
    assert index.match("tổ cns kp1").code == "T01"
    assert index.match("Tổ công nghệ số cộng đồng Khu Phố 1").code == "T01"
    assert index.match("Tổ khu phố 7").status == "unknown"


def test_a_bad_team_target_names_the_file_and_the_field(tmp_path: Path):
    text = (ROOT / "config" / "example.yaml").read_text(encoding="utf-8")
    text = text.replace("per: month", "per: week", 1)
    path = tmp_path / "ward.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    message = str(e.value)
    assert "ward.yaml" in message and "teams" in message


# ---------------------------------------------------------------------------------------
# Nothing in clear before storing
# ---------------------------------------------------------------------------------------


def test_scrubbed_rows_keep_what_counts_and_hide_the_rest():
    row = _row(**{"Ghi chú": "gọi lại 0912345678", "SĐT người nhà": "0987654321"})
    names = tuple(row)
    raw = RawResponse(
        "nhat_ky",
        "row:2",
        "Dòng 2",
        RowAnswers(names, list(row.values()), {n: i for i, n in enumerate(names)}),
    )
    (clean,) = scrub_responses(MAPPING, [raw], KEY)
    text = repr(dict(clean.answers))
    for secret in ("0912", "345", "678", "0987654321", "Nguyễn Thị Lan", "gọi lại"):
        assert secret not in text
    assert clean.answers["Người hỗ trợ"] == "Phạm Văn Khải"
    assert clean.answers["Dấu thời gian"] == "15/06/2026 10:00:00"
    # counted the same from the stored form as from the clear one
    from_clear = _normalise([row]).records[0]
    src = SourceConfig(
        id="nhat_ky", kind=SourceKind.SUPPORT_LOG, mapping=Path("m.yaml"), file=Path("x.csv")
    )
    ns = normalize_source(
        src, MAPPING, RUBRIC, Roster((), ()), [clean], year=2026, tz=TZ,
        teams=TeamIndex(TEAMS), secret=KEY,
    )  # fmt: skip
    assert isinstance(from_clear, SupportLog)
    stored = ns.records[0]
    assert isinstance(stored, SupportLog)
    assert stored.person_key == from_clear.person_key


def test_the_secret_is_created_once_and_kept_in_the_state(tmp_path: Path):
    path = tmp_path / "state.sqlite"
    with StateStore(path) as store:
        assert store.blob(SECRET_KEY) is None
        throwaway = person_secret(store, create=False)  # a dry run stores nothing
        assert store.blob(SECRET_KEY) is None
        first = person_secret(store)
        assert len(first) == 32 and first != throwaway
    with StateStore(path) as store:
        assert person_secret(store) == first
        assert store.blob(SECRET_KEY) == first


# ---------------------------------------------------------------------------------------
# The sample ward, end to end
# ---------------------------------------------------------------------------------------


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, ...]]:
    base = tmp_path_factory.mktemp("ward")
    copy_sample_ward(base)
    cfg = load_config(base / "config" / "example.yaml")
    capture = _Capture()
    root = logging.getLogger()
    level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        with StateStore(cfg.state.path) as store:
            first = run_cycle(load_inputs(cfg), store, embedded_backend(cfg), NOW)
            secret = store.blob(SECRET_KEY)
        with StateStore(cfg.state.path) as store:
            second = run_cycle(load_inputs(cfg), store, embedded_backend(cfg), NOW)
            assert store.blob(SECRET_KEY) == secret  # created once, reused
    finally:
        root.removeHandler(capture)
        root.setLevel(level)
    yield cfg, first, second, capture.lines, generate().truth.support


def _tab(report: object) -> list[tuple[object, ...]]:
    (table,) = [t for t in report.tables if t.name == TAB_SUPPORT]  # type: ignore[attr-defined]
    return list(table.rows)


def test_committed_sample_matches_the_generator():
    files = generate().files
    for rel in (LOG_FILE, TEAMS_FILE):
        assert (ROOT / "config" / "sample" / rel).read_bytes() == files[rel], rel


def test_sample_has_repeat_visits_and_people_helped_by_two_teams(sample):
    *_, truth = sample
    counted = [r for r in truth.rows if r.team]
    assert len(counted) > sum(truth.people_by_team.values())  # repeat visits
    assert truth.people_in_ward < sum(truth.people_by_team.values())  # two teams
    assert truth.unknown_team_rows


def test_distinct_people_per_team_and_month_match_the_truth(sample):
    _, first, _, _, truth = sample
    rows = _tab(first)
    label = {c: f"{c} - Tổ công nghệ số cộng đồng khu phố {c[-1]}" for c in truth.teams}
    months = {(r[0], r[1]): r for r in rows if isinstance(r[1], str) and "/" in r[1]}
    assert len(months) == len(truth.people_by_team_month)
    for (team, month), people in truth.people_by_team_month.items():
        y, m = month.split("-")
        row = months[(label[team], f"{m}/{y}")]
        assert row[5] == people, (team, month)
        assert row[4] == truth.sessions_by_team_month[(team, month)], (team, month)
        assert row[6] == 5 and row[7] == ("Đạt" if people >= 5 else "Chưa đạt")
    years = {r[0]: r for r in rows if r[1] == "Năm 2026" and r[2] is None and r[6] is not None}
    for team, people in truth.people_by_team.items():
        assert years[label[team]][5] == people, team
        assert years[label[team]][6] == 20
    (ward,) = [r for r in rows if str(r[0]).startswith("Toàn phường")]
    counted = [r for r in truth.rows if r.team]
    assert ward[4] == len(counted)
    assert ward[5] == truth.people_in_ward
    assert ward[8] == sum(r.completed for r in counted)
    assert ward[9] == sum(not r.completed for r in counted)
    assert ward[0] == "Toàn phường (3/4 tổ có nhật ký)"


def test_helpers_sessions_match_the_truth(sample):
    _, first, _, _, truth = sample
    rows = [r for r in _tab(first) if r[2] is not None and r[1] == "Năm 2026"]
    got = {(r[0][:3], r[2], r[3]): r[4] for r in rows}  # type: ignore[index]
    want: dict[tuple[str, str, str], int] = {}
    for r in truth.rows:
        if r.team:
            key = (r.team, r.helper, r.role)
            want[key] = want.get(key, 0) + 1
    assert got == want


def test_unknown_team_is_a_data_problem(sample):
    _, first, _, _, truth = sample
    (problems,) = [t for t in first.tables if t.name == "Lỗi dữ liệu"]
    rows = {(r[1], r[2]) for r in problems.rows if r[0] == "Nhật ký hỗ trợ người dân"}
    for label in truth.unknown_team_rows:
        assert (label, "Tổ công nghệ số cộng đồng") in rows


def _forms(phone: str) -> list[str]:
    rest = phone[1:]
    return [phone, rest, f"{phone[:4]} {phone[4:7]} {phone[7:]}", f"{rest[:3]}.{rest[3:6]}"]


def test_no_phone_digits_anywhere(sample):
    cfg, _, _, logs, truth = sample
    assert truth.phones
    texts: dict[str, str] = {}
    with zipfile.ZipFile(cfg.destination.path) as z:
        texts["xlsx"] = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    for p in sorted(cfg.mail.outbox_dir.glob("*.eml")):
        texts[p.name] = p.read_bytes().decode("utf-8", "replace")
    texts["logs"] = "\n".join(logs)
    state = Path(cfg.state.path)
    for p in state.parent.glob(state.name + "*"):  # the file and any -wal / -journal
        texts[p.name] = p.read_bytes().decode("latin-1")
    assert any(n.endswith(".eml") for n in texts)
    for phone in truth.phones:
        for form in _forms(phone):
            for where, text in texts.items():
                assert form not in text, (form, where)


def test_no_citizen_name_in_the_state_or_the_workbook(sample):
    cfg, *_ = sample
    raw = (ROOT / "config" / "sample" / LOG_FILE).read_text(encoding="utf-8-sig")
    import csv

    names = {r["Họ và tên người được hỗ trợ"].strip() for r in csv.DictReader(raw.splitlines())}
    state = Path(cfg.state.path).read_bytes()
    with zipfile.ZipFile(cfg.destination.path) as z:
        book = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    for name in names:
        assert name.encode("utf-8") not in state, name
        assert name not in book, name


def test_stored_support_answers_hold_only_hashes(sample):
    cfg, *_ = sample
    with sqlite3.connect(cfg.state.path) as db:
        raws = [r for (r,) in db.execute("SELECT raw FROM answers WHERE source_id = ?",
                                           ("nhat_ky_ho_tro",))]  # fmt: skip
    assert raws and all("ẩn:" in r for r in raws)
    assert not any("Hẹn gọi lại" in r for r in raws)  # the note is not kept


def test_second_cycle_gives_the_same_tab(sample):
    _, first, second, _, _ = sample
    if second.tables:  # an idle cycle builds no tables
        assert _tab(second) == _tab(first)


# ---------------------------------------------------------------------------------------
# The pure counts, by hand
# ---------------------------------------------------------------------------------------


def _s(team: str, day: date, person: str, kinds: tuple[str, ...], done: bool | None) -> tuple:
    return ("support", team, (day.toordinal(), person), day.toordinal(), person, "H", "Đại sứ số",
            kinds, done)  # fmt: skip


def test_counts_by_hand():
    dvc, vneid = "Dịch vụ công trực tuyến", "Định danh điện tử (VNeID)"
    sessions = [
        _s("T01", date(2026, 6, 3), "p1", (dvc,), True),
        _s("T01", date(2026, 6, 20), "p1", (vneid,), False),  # p1 again in June
        _s("T01", date(2026, 7, 1), "p1", (dvc, vneid), True),  # and in July
        _s("T01", date(2026, 7, 2), "p2", (), None),
        _s("T03", date(2026, 6, 9), "p2", (dvc,), True),  # p2 also helped by T03
        _s("T03", date(2025, 12, 9), "p9", (dvc,), True),  # another year: left out
    ]
    targets = [TeamTarget(team="*", people=2, per="month"), TeamTarget(team="T03", people=1)]
    got = summarize_support(sessions, TEAMS, targets, 2026)
    months = {(p.team_code, p.period): p for p in got.months}
    assert set(months) == {("T01", "2026-06"), ("T01", "2026-07"), ("T03", "2026-06")}
    june = months[("T01", "2026-06")]
    assert (june.count.sessions, june.count.people, june.target, june.met) == (2, 1, 2, False)
    assert (june.count.completed, june.count.rescheduled) == (1, 1)
    assert june.count.by_kind == {dvc: 1, vneid: 1}
    july = months[("T01", "2026-07")]
    assert (july.count.sessions, july.count.people, july.met) == (2, 2, True)
    assert months[("T03", "2026-06")].target == 1  # the team's own target wins
    years = {p.team_code: p for p in got.years}
    assert (years["T01"].count.sessions, years["T01"].count.people) == (4, 2)
    assert years["T01"].target is None  # no yearly target
    assert (got.ward.sessions, got.ward.people) == (5, 2)
    assert got.teams_with_logs == {"T01", "T03"}
    assert [(h.team_code, h.sessions, h.people) for h in got.helpers] == [
        ("T01", 4, 2),
        ("T03", 1, 1),
    ]


# ---------------------------------------------------------------------------------------
# The teams' milestone (scope: team): same machinery, to the team leaders, exactly once
# ---------------------------------------------------------------------------------------

TEAM_DUE = date(2026, 6, 29)  # "hoàn thành trước 30/6/2026"


def test_team_milestone_states_in_the_tab(sample):
    _, first, _, _, truth = sample
    rows = _tab(first)
    (table,) = [t for t in first.tables if t.name == TAB_SUPPORT]
    col = [c.header for c in table.columns].index(
        "Mốc: Kiện toàn, phát huy vai trò Tổ công nghệ số cộng đồng"
    )
    years = {r[0][:3]: r for r in rows if r[1] == "Năm 2026" and r[2] is None and r[6]}  # type: ignore[index]
    for team in truth.teams:
        days = [r.day for r in truth.rows if r.team == team]
        if days:
            assert min(days) <= TEAM_DUE
            assert years[team][col] == f"Đúng hạn {min(days):%d/%m}", team
        else:
            assert years[team][col] == f"Quá hạn {(NOW.date() - TEAM_DUE).days} ngày", team


def _ward_with_team_due(base: Path, due: str) -> Path:
    copy_sample_ward(base)
    path = base / "config" / "example.yaml"
    text = path.read_text(encoding="utf-8")
    assert "    due: 2026-06-29\n    done_when: team_active" in text
    path.write_text(
        text.replace("    due: 2026-06-29\n    done_when: team_active",
                     f"    due: {due}\n    done_when: team_active"),
        encoding="utf-8",
    )  # fmt: skip
    return path


@pytest.mark.parametrize(
    ("due", "alert"),
    [("2026-11-25", "reminder:2d"), ("2026-11-20", "overdue:1")],
)
def test_team_milestone_notices_go_to_team_leaders_once(tmp_path: Path, due: str, alert: str):
    from email import message_from_bytes

    path = _ward_with_team_due(tmp_path, due)
    truth = generate().truth.support
    idle = [t for t in truth.teams if not any(r.team == t for r in truth.rows)]
    assert idle == ["T04"]  # the generator's model: one team without a log
    cfg = load_config(path)
    with StateStore(cfg.state.path) as store:
        first = run_cycle(load_inputs(cfg), store, embedded_backend(cfg), NOW)
    with StateStore(cfg.state.path) as store:
        again = run_cycle(load_inputs(cfg), store, embedded_backend(cfg), NOW.replace(hour=10))
    expected = {f"to_cong_nghe_so:team:T04:{alert}"}
    assert {a for a in first.sent if a.startswith("to_cong_nghe_so:")} == expected
    assert not [a for a in again.sent if a.startswith("to_cong_nghe_so:")]
    mails = [message_from_bytes(p.read_bytes()) for p in sorted(cfg.mail.outbox_dir.glob("*.eml"))]
    team_mails = [m for m in mails if m["X-KNS-Alert-Id"] in expected]
    assert len(team_mails) == 1
    (mail,) = team_mails
    assert mail["To"] == truth.leaders["T04"]
    assert not mail["Cc"]
    body = mail.get_payload(0).get_payload(decode=True).decode("utf-8")
    assert "Dương Thị Nhàn, Tổ trưởng Tổ công nghệ số cộng đồng khu phố 4" in body
    assert "chi bộ" not in body.lower()
    assert "khu phố 1" not in body and "khu phố 2" not in body
    # no other team leader hears of it; the digest speaks of branches only
    for m in mails:
        if m["X-KNS-Alert-Id"].startswith("digest:"):
            text = m.get_payload(0).get_payload(decode=True).decode("utf-8")
            assert "team:" not in text


def test_team_milestone_config_errors_name_the_field(tmp_path: Path):
    path = _ward_with_team_due(tmp_path, "2026-06-29")
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("    done_when: team_active", "    done_when: plan_issued"), encoding="utf-8"
    )
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert "done_when" in str(e.value) and "scope: team" in str(e.value)


def test_a_support_log_source_needs_the_teams_section(tmp_path: Path):
    text = (ROOT / "config" / "example.yaml").read_text(encoding="utf-8")
    start = text.index("\nteams:\n")
    end = text.index("\ndestination:\n")
    path = tmp_path / "ward.yaml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert "ward.yaml" in str(e.value) and "'teams'" in str(e.value)


def test_forms_api_answers_are_scrubbed_too():
    from sync.model import SparseAnswers

    titles = {
        "q1": "Tổ công nghệ số cộng đồng",
        "q2": "Họ và tên người được hỗ trợ",
        "q3": "Số điện thoại người được hỗ trợ",
        "q4": "Ghi chú",
        "q5": "Năm sinh người được hỗ trợ",
    }
    names = tuple(titles)
    cells: list[object] = [
        ["Tổ CNSCĐ khu phố 1"],
        ["Nguyễn Thị Lan"],
        ["0912 345 678"],
        ["gọi lại 0912345678"],
        None,
    ]
    raw = RawResponse(
        "nhat_ky",
        "ACYDBN",
        "Phản hồi ACYDBN",
        SparseAnswers(names, cells, {n: i for i, n in enumerate(names)}),  # type: ignore[arg-type]
        submitted_at=datetime(2026, 6, 14, 3, 0, tzinfo=ZoneInfo("UTC")),
        keyed_by="question_id",
    )
    (clean,) = scrub_responses(MAPPING, [raw], KEY, titles)
    text = repr(dict(clean.answers))
    assert "Lan" not in text and "0912" not in text and "345" not in text
    assert clean.answers["q1"] == ["Tổ CNSCĐ khu phố 1"]
    assert "q5" not in clean.answers  # unanswered stays unanswered


def test_a_phone_typed_into_an_other_answer_is_hidden_everywhere():
    other = "Khác: gọi lại cho con 0987 654 321"
    ns = _normalise([_row(**{"Nội dung hỗ trợ": f"Dịch vụ công trực tuyến, {other}"})])
    (p,) = ns.problems
    assert "0987" not in p.raw_value and HIDDEN in p.raw_value
    row = _row(**{"Nội dung hỗ trợ": other})
    names = tuple(row)
    raw = RawResponse(
        "nhat_ky",
        "row:2",
        "Dòng 2",
        RowAnswers(names, list(row.values()), {n: i for i, n in enumerate(names)}),
    )
    (clean,) = scrub_responses(MAPPING, [raw], KEY)
    assert "0987" not in repr(dict(clean.answers))
    assert clean.answers["Ngày hỗ trợ"] == "14/06/2026"
    assert clean.answers["Năm sinh người được hỗ trợ"] == "1960"


@pytest.mark.parametrize(
    "note",
    [
        "gọi lại 0912345678 sau",
        "gọi lại 0912\u200d345\u200d678 sau",  # split by zero-width joiners
        "gọi lại 0912\u00a0345\u00a0678 sau",  # no-break spaces, as a phone keyboard types
        "gọi lại 0912\u2009345.678 sau",  # a thin space and a dot
        "gọi lại +84\u00ad912 345 678 sau",  # a soft hyphen after the country code
    ],
)
def test_a_phone_in_free_text_is_hidden_however_it_is_split(note: str) -> None:
    assert redact_phones(note) == f"gọi lại {HIDDEN} sau"


def test_text_without_a_phone_is_kept_as_typed() -> None:
    for note in ("hỗ trợ 3 lần, ngày 12/6", "Tổ\u200dT04", "mã 12345"):
        assert redact_phones(note) == note
