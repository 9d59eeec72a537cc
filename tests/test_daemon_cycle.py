"""What a cycle that runs for months needs: an idle cycle does (almost) nothing, a changed
response is the only one normalised again with the same results as a fresh start, the
digest reports the notices of its own cycle and is the same after a crash and resume,
a killed process leaves nothing behind, the state and outputs are private, and a store
written by the previous version is carried over."""

from __future__ import annotations

import ast
import csv
import io
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from openpyxl import load_workbook

import sync.normalize
import sync.sources.files
from sync.backend import embedded_backend, load_inputs
from sync.config import load_config
from sync.cycle import CycleReport, run_cycle
from sync.state import StateStore
from tests.conftest import ROOT, copy_sample_ward
from tests.letters_util import outbox_items
from tests.sample_facts import (
    BRANCH_LETTERS,
    DIGEST_POSITION,
    FIRST_CYCLE_MESSAGES,
    LATE_BRANCHES_NOTIFIED,
    first_cycle_alert_ids,
)

MONDAY = datetime.fromisoformat("2026-11-23T08:00:00+07:00")


def _copy(base: Path) -> Path:
    return copy_sample_ward(base)


@pytest.fixture()
def ward(tmp_path: Path) -> Path:
    return _copy(tmp_path / "ward")


def _cycle(config: Path, now: datetime, transport=None) -> CycleReport:
    cfg = load_config(config)
    backend = embedded_backend(cfg)
    if transport is not None:
        backend.transport = transport(backend.transport)
    with StateStore(cfg.state.path) as store:
        return run_cycle(load_inputs(cfg, lazy_roster=True), store, backend, now)


def _tabs(config: Path) -> dict[str, list[tuple[object, ...]]]:
    wb = load_workbook(load_config(config).destination.path)
    # row 1 is the update stamp: compared apart
    return {ws.title: list(ws.iter_rows(min_row=2, values_only=True)) for ws in wb}


# ---------------------------------------------------------------------------------------
# Idle and incremental
# ---------------------------------------------------------------------------------------


def test_an_idle_cycle_reads_no_export_and_normalises_nothing(ward: Path, monkeypatch):
    first = _cycle(ward, MONDAY)
    assert first.sent
    workbook = load_config(ward).destination.path.read_bytes()

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("an idle cycle must not do this")

    monkeypatch.setattr(sync.sources.files, "read_table", forbidden)
    monkeypatch.setattr(sync.normalize.SourceNormalizer, "row", forbidden)
    monkeypatch.setattr("sync.roster.load_roster", forbidden)
    idle = _cycle(ward, MONDAY + timedelta(minutes=30))
    assert idle.idle and idle.sent == [] and not idle.wrote_tables
    assert "Không có gì thay đổi" in idle.summary() and "500 đảng viên" in idle.summary()
    assert load_config(ward).destination.path.read_bytes() == workbook
    with StateStore(load_config(ward).state.path) as st:
        assert st.last_cycle().status == "idle"


def test_the_clock_makes_a_cycle_work_again(ward: Path):
    _cycle(ward, MONDAY)
    assert _cycle(ward, MONDAY + timedelta(hours=2)).idle
    # the next day: days overdue change, new notices fall due
    next_day = _cycle(ward, MONDAY + timedelta(days=1))
    assert not next_day.idle and next_day.wrote_tables


def test_a_deleted_workbook_is_written_again_by_an_idle_cycle(ward: Path):
    _cycle(ward, MONDAY)
    path = load_config(ward).destination.path
    path.unlink()
    again = _cycle(ward, MONDAY + timedelta(minutes=30))
    assert again.wrote_tables and path.exists()


def _csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def test_only_changed_responses_are_normalised_and_results_match_a_fresh_start(
    tmp_path: Path, monkeypatch
):
    ward = _copy(tmp_path / "ward")
    _cycle(ward, MONDAY)
    cfg = load_config(ward)
    path = next(s.file for s in cfg.sources if s.id == "bieu_mau_02")
    assert path is not None
    rows = _csv_rows(path)
    # edit two answers in place (rows 6 and 10 of the sheet) and add one submission
    col = next(c for c in range(6, len(rows[0])) if rows[5][c] != rows[9][c])
    rows[5][col], rows[9][col] = rows[9][col], rows[5][col]
    rows.append([*rows[12]])
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    calls: list[str] = []
    real_row = sync.normalize.SourceNormalizer.row

    def counting(self, raw):  # type: ignore[no-untyped-def]
        calls.append(raw.response_id)
        return real_row(self, raw)

    monkeypatch.setattr(sync.normalize.SourceNormalizer, "row", counting)
    later = MONDAY + timedelta(hours=1)
    report = _cycle(ward, later)
    assert not report.idle
    assert sorted(calls) == sorted(["row:6", "row:10", f"row:{len(rows)}"])
    monkeypatch.undo()

    # the same exports from scratch give the same tabs
    fresh = _copy(tmp_path / "fresh")
    fresh_cfg = load_config(fresh)
    fresh_path = next(s.file for s in fresh_cfg.sources if s.id == "bieu_mau_02")
    assert fresh_path is not None
    shutil.copyfile(path, fresh_path)
    _cycle(fresh, MONDAY)  # the same mail history
    _cycle(fresh, later)
    got, want = _tabs(ward), _tabs(fresh)
    assert got == want


def test_a_changed_mapping_renormalises_its_source_from_the_stored_answers(
    ward: Path, monkeypatch
):
    _cycle(ward, MONDAY)
    mapping = ward.parent.parent / "mappings" / "learning.yaml"
    text = mapping.read_text(encoding="utf-8")
    mapping.write_text(text + "\n# một dòng ghi chú\n", encoding="utf-8")
    assert _cycle(ward, MONDAY + timedelta(minutes=30)).idle  # a comment changes nothing

    calls: list[str] = []
    real_row = sync.normalize.SourceNormalizer.row

    def counting(self, raw):  # type: ignore[no-untyped-def]
        calls.append(raw.source_id)
        return real_row(self, raw)

    def no_read(*args: object, **kwargs: object) -> None:
        raise AssertionError("the exports did not change: they are not read again")

    monkeypatch.setattr(sync.normalize.SourceNormalizer, "row", counting)
    monkeypatch.setattr(sync.sources.files, "read_table", no_read)
    old = 'aliases: ["Đơn vị công tác",'
    mapping.write_text(text.replace(old, 'aliases: ["Nơi công tác", ' + old[10:]), "utf-8")
    report = _cycle(ward, MONDAY + timedelta(minutes=40))
    assert not report.idle
    # the two exports of "Bình dân học vụ số" share the mapping: only they, from the store
    learning = ("binh_dan_hoc_vu_so", "binh_dan_hoc_vu_so_don_vi")
    with StateStore(load_config(ward).state.path) as st:
        stored = {s: st.count(s) for s in learning}
    assert sorted(calls) == sorted(s for s in learning for _ in range(stored[s]))


# ---------------------------------------------------------------------------------------
# The digest is built after the notices, the same after a crash
# ---------------------------------------------------------------------------------------


def _digest_text(config: Path) -> str:
    out = load_config(config).mail.outbox_dir
    (path,) = out.glob("digest_*.eml")
    msg = message_from_bytes(path.read_bytes(), policy=policy.default)
    body = msg.get_body(("plain",))
    assert body is not None
    return str(msg["Subject"]) + "\n" + body.get_content()


def test_the_digest_reports_the_notices_sent_in_its_own_cycle(ward: Path):
    report = _cycle(ward, MONDAY)
    # the digest comes after the notices (the letters, the ward's and the team's), the
    # staff's learning summary after it (tests/sample_facts.py)
    assert report.messages[DIGEST_POSITION - 1] == "digest:2026-W48"
    assert report.messages[DIGEST_POSITION:] == ["hoc_tap:ward:2026-11"]
    text = _digest_text(ward)
    assert "Thông báo gần nhất đã gửi: chưa có" not in text.replace(
        "CB21", ""
    ) or text.count("chưa có") == 1  # CB21 has no e-mail: it never gets a notice
    # every late branch but CB21 (no e-mail) got a notice today: 23 (tests/sample_facts.py)
    assert text.count("Thông báo gần nhất đã gửi: 23/11/2026") == LATE_BRANCHES_NOTIFIED


class _Killed(BaseException):
    """Stands for the process dying: not an Exception, so nothing catches it."""


def _dies_after(n: int):
    class Dying:
        def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
            self.inner, self.count = inner, 0

        def send(self, alert_id: str, message: EmailMessage) -> None:
            self.count += 1
            self.inner.send(alert_id, message)
            if self.count == n:
                raise _Killed  # the message left; the ledger never heard of it

        def was_sent(self, alert_id: str) -> bool | None:
            return self.inner.was_sent(alert_id)

    return Dying


# killed after the first message (the ward's tong_ket), the first letter, a middle one,
# the last letter (25th), T04's notice, the digest (27th), the staff's learning summary
# (28th, the very last): tests/sample_facts.py
@pytest.mark.parametrize(
    "killed_after",
    [
        1,
        2,
        13,
        1 + BRANCH_LETTERS,
        DIGEST_POSITION - 1,
        DIGEST_POSITION,
        FIRST_CYCLE_MESSAGES,
    ],
)
def test_a_resumed_cycle_writes_the_same_digest_as_one_that_ran_through(
    tmp_path: Path, killed_after: int
):
    reference = _copy(tmp_path / "reference")
    _cycle(reference, MONDAY)
    expected = _digest_text(reference)

    ward = _copy(tmp_path / "ward")
    with pytest.raises(_Killed):
        _cycle(ward, MONDAY, transport=_dies_after(killed_after))
    resumed = _cycle(ward, MONDAY + timedelta(minutes=25))
    assert _digest_text(ward) == expected
    with StateStore(load_config(ward).state.path) as st:
        assert {e.status for e in st.ledger().values()} == {"sent"}
    assert resumed.recovered or killed_after == FIRST_CYCLE_MESSAGES
    out = load_config(ward).mail.outbox_dir
    assert len(list(out.glob("*.eml"))) == FIRST_CYCLE_MESSAGES  # no message twice
    assert sorted(outbox_items(out)) == sorted(first_cycle_alert_ids())  # each once, none lost


# ---------------------------------------------------------------------------------------
# Leftovers of a killed process
# ---------------------------------------------------------------------------------------


def test_a_cycle_left_running_is_closed_and_temp_files_are_removed(ward: Path):
    _cycle(ward, MONDAY)
    cfg = load_config(ward)
    with StateStore(cfg.state.path) as st:
        st.begin_cycle(MONDAY + timedelta(minutes=1))  # a process killed in its middle
    assert cfg.mail.outbox_dir is not None and cfg.destination.path is not None
    leftovers = [
        cfg.mail.outbox_dir / ".kns-abc123.tmp",
        cfg.destination.path.parent / f".{cfg.destination.path.name}.x1y2.tmp",
    ]
    for p in leftovers:
        p.write_bytes(b"half a file")
    _cycle(ward, MONDAY + timedelta(minutes=30))
    with StateStore(cfg.state.path) as st:
        statuses = [c.status for c in st.cycles()]
    assert "running" not in statuses and "interrupted" in statuses
    assert not any(p.exists() for p in leftovers)


def test_after_sigkill_the_next_run_closes_the_cycle_and_sends_the_rest_once(ward: Path):
    cfg = load_config(ward)
    cmd = [sys.executable, "-m", "sync.cli", "run", "--once", "--config", str(ward)]
    cmd += ["--now", MONDAY.isoformat()]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if cfg.mail.outbox_dir.exists() and len(list(cfg.mail.outbox_dir.glob("*.eml"))) >= 5:
            proc.kill()
            break
        time.sleep(0.002)
    proc.wait(timeout=60)
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    with StateStore(cfg.state.path) as st:
        statuses = [c.status for c in st.cycles()]
        ledger = st.ledger()
    assert "running" not in statuses
    assert list(cfg.mail.outbox_dir.glob(".kns-*")) == []
    ids = [
        str(message_from_bytes(p.read_bytes())["X-KNS-Alert-Id"])
        for p in cfg.mail.outbox_dir.glob("*.eml")
    ]
    assert len(ids) == len(set(ids)) == FIRST_CYCLE_MESSAGES
    assert sorted(outbox_items(cfg.mail.outbox_dir)) == sorted(first_cycle_alert_ids())
    assert {e.status for e in ledger.values()} == {"sent"}


# ---------------------------------------------------------------------------------------
# Private files
# ---------------------------------------------------------------------------------------


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_state_and_outputs_are_private(ward: Path):
    old = os.umask(0o022)  # a usual umask: files 0644, folders 0755 unless made private
    try:
        _cycle(ward, MONDAY)
    finally:
        os.umask(old)
    cfg = load_config(ward)
    assert cfg.mail.outbox_dir is not None and cfg.destination.path is not None
    out = cfg.state.path.parent
    assert _mode(out) == 0o700
    assert _mode(cfg.mail.outbox_dir) == 0o700
    for p in (cfg.state.path, cfg.destination.path, *cfg.mail.outbox_dir.glob("*.eml")):
        assert _mode(p) == 0o600, p
    for p in out.glob("state.sqlite*"):
        assert _mode(p) == 0o600, p


def test_an_existing_world_readable_state_is_made_private(tmp_path: Path):
    path = tmp_path / "state.sqlite"
    sqlite3.connect(path).close()
    os.chmod(path, 0o644)
    StateStore(path).close()
    assert _mode(path) == 0o600


# ---------------------------------------------------------------------------------------
# The previous version's state
# ---------------------------------------------------------------------------------------

_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE responses (source_id TEXT NOT NULL, response_id TEXT NOT NULL,
    content_hash TEXT NOT NULL, payload TEXT NOT NULL, first_seen TEXT NOT NULL,
    changed_at TEXT NOT NULL, PRIMARY KEY (source_id, response_id));
CREATE TABLE sources (source_id TEXT PRIMARY KEY, cursor TEXT, last_full_read TEXT,
    last_read TEXT);
CREATE TABLE alerts (alert_id TEXT PRIMARY KEY, kind TEXT NOT NULL, branch_code TEXT NOT NULL,
    milestone_id TEXT NOT NULL, status TEXT NOT NULL, recipients TEXT NOT NULL,
    subject TEXT NOT NULL, intent_at TEXT, sent_at TEXT, error TEXT NOT NULL DEFAULT '');
CREATE TABLE cycles (id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL,
    finished_at TEXT, status TEXT NOT NULL, summary TEXT NOT NULL DEFAULT '');
CREATE TABLE tab_hashes (destination TEXT NOT NULL, tab TEXT NOT NULL, hash TEXT NOT NULL,
    written_at TEXT NOT NULL, PRIMARY KEY (destination, tab));
"""


def test_a_version_1_store_is_carried_over(tmp_path: Path):
    path = tmp_path / "state.sqlite"
    db = sqlite3.connect(path)
    db.executescript(_V1)
    payload = {
        "row_label": "Dòng 2",
        "answers": {"Tên chi bộ": "Chi bộ Khu phố 1", "Số đảng viên": "12"},
        "submitted_at": None,
        "keyed_by": "title",
    }
    forms = {
        "row_label": "Phản hồi ACYD",
        "answers": {"q1": ["a, b", "c"]},
        "submitted_at": "2026-11-22T03:15:30+00:00",
        "keyed_by": "question_id",
    }
    db.executemany(
        "INSERT INTO responses VALUES (?, ?, 'h', ?, 't', 't')",
        [
            ("thong_ke", "row:2", json.dumps(payload, ensure_ascii=False)),
            ("bm02", "ACYD", json.dumps(forms)),
        ],
    )
    db.execute("INSERT INTO sources VALUES ('bm02', 'cursor-1', NULL, 't')")
    db.execute(
        "INSERT INTO alerts VALUES ('digest:2026-W48', 'digest', '', '', 'sent', 'x@y.vn', "
        "'Tổng hợp', '2026-11-23T08:00:00+07:00', '2026-11-23T08:00:00+07:00', '')"
    )
    db.commit()
    db.close()
    with StateStore(path) as st:
        (row,) = st.responses("thong_ke")
        assert row.answers == payload["answers"] and row.row_label == "Dòng 2"
        (api,) = st.responses("bm02")
        assert api.answers == {"q1": ["a, b", "c"]} and api.keyed_by == "question_id"
        assert st.cursor("bm02") == "cursor-1"
        assert st.question_ids("bm02") == ["q1"]
        assert st.ledger()["digest:2026-W48"].status == "sent"
    tables = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}
    assert "responses" not in tables and "answers" in tables


# ---------------------------------------------------------------------------------------
# Ports in one place
# ---------------------------------------------------------------------------------------

ADAPTERS = ("sync.backend", "sync.sources", "sync.outputs", "sync.google", "sync.roster")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_the_cycle_imports_no_adapter_and_the_backend_not_the_cycle():
    cycle = _imports(ROOT / "sync" / "cycle.py")
    assert not [m for m in cycle if m.startswith(ADAPTERS)], cycle
    assert "sync.ports" in cycle
    assert not [m for m in _imports(ROOT / "sync" / "backend.py") if m == "sync.cycle"]


def test_every_port_lives_in_sync_ports():
    import sync.ports as ports

    for name in (
        "Source",
        "FetchResult",
        "SourceError",
        "Destination",
        "MailTransport",
        "MailError",
        "RosterSource",
    ):
        assert getattr(ports, name).__module__ == "sync.ports", name
    # the adapters raise the ports' errors (one class each, caught by the cycle)
    from sync.mail import MailError
    from sync.sources.files import SourceError

    assert MailError is ports.MailError and SourceError is ports.SourceError
