"""The state store (SQLite): responses seen, the alert ledger, cycles, written tab hashes.

Every change is its own transaction, so a process killed mid-cycle leaves the store
consistent: an alert is either not in the ledger, recorded as an intent (the send may or
may not have happened: the next cycle finds out), or recorded as sent.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from sync.model import LedgerEntry, RawResponse

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS responses (
    source_id TEXT NOT NULL,
    response_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    payload TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    PRIMARY KEY (source_id, response_id)
);
CREATE TABLE IF NOT EXISTS sources (
    source_id TEXT PRIMARY KEY,
    cursor TEXT,
    last_full_read TEXT,
    last_read TEXT
);
CREATE TABLE IF NOT EXISTS alerts (
    alert_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    branch_code TEXT NOT NULL,
    milestone_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('intent', 'sent', 'failed', 'unknown')),
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    intent_at TEXT,
    sent_at TEXT,
    error TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS cycles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS tab_hashes (
    destination TEXT NOT NULL,
    tab TEXT NOT NULL,
    hash TEXT NOT NULL,
    written_at TEXT NOT NULL,
    PRIMARY KEY (destination, tab)
);
"""


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt is not None else None


def _dt(s: str | None) -> datetime | None:
    return datetime.fromisoformat(s) if s else None


def response_payload(r: RawResponse) -> str:
    return json.dumps(
        {
            "row_label": r.row_label,
            "answers": dict(r.answers),
            "submitted_at": _iso(r.submitted_at),
            "keyed_by": r.keyed_by,
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def content_hash(r: RawResponse) -> str:
    return hashlib.sha256(response_payload(r).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoreChanges:
    new: int
    changed: int
    deleted: int


@dataclass(frozen=True)
class CycleRecord:
    id: int
    started_at: datetime
    finished_at: datetime | None
    status: str
    summary: str


class StateStore:
    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        if read_only:
            # a dry run reads what earlier cycles stored and must not create or change a file
            if str(path) == ":memory:" or not Path(path).exists():
                path = ":memory:"
            else:
                uri = Path(path).resolve().as_uri() + "?mode=ro"
                self._db = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30)
                return
        elif str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we open transactions explicitly, one per logical change
        self._db = sqlite3.connect(str(path), isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        with self._tx():
            self._db.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- responses ---------------------------------------------------------------------

    def store_responses(
        self,
        source_id: str,
        responses: Sequence[RawResponse],
        *,
        complete: bool,
        now: datetime,
        cursor: str | None = None,
    ) -> StoreChanges:
        """Upsert what a source returned; after a complete read, drop what is gone."""
        new = changed = deleted = 0
        with self._tx() as db:
            existing = {
                rid: h
                for rid, h in db.execute(
                    "SELECT response_id, content_hash FROM responses WHERE source_id = ?",
                    (source_id,),
                )
            }
            for r in responses:
                h = content_hash(r)
                old = existing.get(r.response_id)
                if old == h:
                    continue
                if old is None:
                    new += 1
                    db.execute(
                        "INSERT INTO responses VALUES (?, ?, ?, ?, ?, ?)",
                        (source_id, r.response_id, h, response_payload(r), _iso(now), _iso(now)),
                    )
                else:
                    # an edited response (or a changed sheet row) replaces its earlier version
                    changed += 1
                    db.execute(
                        "UPDATE responses SET content_hash = ?, payload = ?, changed_at = ? "
                        "WHERE source_id = ? AND response_id = ?",
                        (h, response_payload(r), _iso(now), source_id, r.response_id),
                    )
            if complete:
                present = {r.response_id for r in responses}
                gone = [rid for rid in existing if rid not in present]
                deleted = len(gone)
                db.executemany(
                    "DELETE FROM responses WHERE source_id = ? AND response_id = ?",
                    [(source_id, rid) for rid in gone],
                )
            db.execute(
                "INSERT INTO sources(source_id, cursor, last_full_read, last_read) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(source_id) DO UPDATE SET "
                "cursor = COALESCE(excluded.cursor, sources.cursor), "
                "last_full_read = COALESCE(excluded.last_full_read, sources.last_full_read), "
                "last_read = excluded.last_read",
                (source_id, cursor, _iso(now) if complete else None, _iso(now)),
            )
        return StoreChanges(new, changed, deleted)

    def responses(self, source_id: str) -> tuple[RawResponse, ...]:
        rows = self._db.execute(
            "SELECT response_id, payload FROM responses WHERE source_id = ? ORDER BY rowid",
            (source_id,),
        ).fetchall()
        out = []
        for rid, payload in rows:
            p = json.loads(payload)
            out.append(
                RawResponse(
                    source_id=source_id,
                    response_id=rid,
                    row_label=p["row_label"],
                    answers=p["answers"],
                    submitted_at=_dt(p["submitted_at"]),
                    keyed_by=p["keyed_by"],
                )
            )
        return tuple(out)

    def cursor(self, source_id: str) -> str | None:
        row = self._db.execute(
            "SELECT cursor FROM sources WHERE source_id = ?", (source_id,)
        ).fetchone()
        return row[0] if row else None

    # -- alert ledger --------------------------------------------------------------------

    def ledger(self) -> dict[str, LedgerEntry]:
        rows = self._db.execute(
            "SELECT alert_id, kind, branch_code, milestone_id, status, recipients, subject, "
            "intent_at, sent_at, error FROM alerts ORDER BY alert_id"
        ).fetchall()
        return {
            r[0]: LedgerEntry(
                alert_id=r[0],
                kind=r[1],
                branch_code=r[2],
                milestone_id=r[3],
                status=r[4],
                recipients=r[5],
                subject=r[6],
                intent_at=_dt(r[7]),
                sent_at=_dt(r[8]),
                error=r[9],
            )
            for r in rows
        }

    def record_intent(
        self,
        alert_id: str,
        *,
        kind: str,
        branch_code: str,
        milestone_id: str,
        recipients: str,
        subject: str,
        now: datetime,
    ) -> None:
        """Written (and committed) before the message leaves: the crash-safety anchor."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO alerts(alert_id, kind, branch_code, milestone_id, status, recipients,"
                " subject, intent_at, sent_at, error) VALUES (?, ?, ?, ?, 'intent', ?, ?, ?, NULL,"
                " '') ON CONFLICT(alert_id) DO UPDATE SET status = 'intent', recipients ="
                " excluded.recipients, subject = excluded.subject, intent_at ="
                " excluded.intent_at, error = ''",
                (alert_id, kind, branch_code, milestone_id, recipients, subject, _iso(now)),
            )

    def record_result(
        self,
        alert_id: str,
        status: Literal["sent", "failed", "unknown"],
        *,
        now: datetime,
        error: str = "",
    ) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE alerts SET status = ?, sent_at = ?, error = ? WHERE alert_id = ?",
                (status, _iso(now) if status == "sent" else None, error, alert_id),
            )

    def intents(self) -> list[str]:
        return [
            r[0]
            for r in self._db.execute(
                "SELECT alert_id FROM alerts WHERE status = 'intent' ORDER BY alert_id"
            )
        ]

    # -- cycles ----------------------------------------------------------------------------

    def begin_cycle(self, started_at: datetime) -> int:
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO cycles(started_at, status) VALUES (?, 'running')", (_iso(started_at),)
            )
            return int(cur.lastrowid or 0)

    def finish_cycle(self, cycle_id: int, status: str, summary: str, finished_at: datetime) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE cycles SET status = ?, summary = ?, finished_at = ? WHERE id = ?",
                (status, summary, _iso(finished_at), cycle_id),
            )

    def last_cycle(self) -> CycleRecord | None:
        row = self._db.execute(
            "SELECT id, started_at, finished_at, status, summary FROM cycles "
            "ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        return CycleRecord(row[0], datetime.fromisoformat(row[1]), _dt(row[2]), row[3], row[4])

    # -- written tabs (a destination may skip rewriting an unchanged tab) ----------------

    def tab_hashes(self, destination: str) -> dict[str, str]:
        return dict(
            self._db.execute(
                "SELECT tab, hash FROM tab_hashes WHERE destination = ?", (destination,)
            ).fetchall()
        )

    def set_tab_hashes(
        self, destination: str, hashes: Iterable[tuple[str, str]], now: datetime
    ) -> None:
        """Replace what is remembered for ``destination`` (a key not given is forgotten)."""
        with self._tx() as db:
            db.execute("DELETE FROM tab_hashes WHERE destination = ?", (destination,))
            db.executemany(
                "INSERT INTO tab_hashes(destination, tab, hash, written_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(destination, tab) DO UPDATE SET hash = excluded.hash, "
                "written_at = excluded.written_at",
                [(destination, tab, h, _iso(now)) for tab, h in hashes],
            )
