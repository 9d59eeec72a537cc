"""The state store (SQLite, WAL): responses seen, their normalised form, the alert ledger,
cycles, written tab hashes, and what an idle cycle needs to decide it has nothing to do.

Every change is its own transaction, so a process killed mid-cycle leaves the store
consistent: an alert is either not in the ledger, recorded as an intent (the send may or
may not have happened: the next cycle finds out), or recorded with its result.

Responses are stored once, compactly: a table row's cells as a list aligned with the
source's column titles (stored once per set of titles), a Forms API answer keyed by its
short question id. Each carries a 16-byte hash of that encoding (what decides "changed")
and, once normalised, its record and data problems (``sync.codec``, in a table of their
own), dropped when the response or the normalisation context changes. Reading goes by an
index (no sort, no temporary files) and streams: memory does not grow with the stored
history.

The file is private (0600; its folder 0700 when created here): it holds members' names and
birth dates.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, Literal, NamedTuple, TypeVar

from sync.errors import ConfigError, describe_os_error
from sync.fsutil import private_dir, private_file
from sync.model import DataProblem, LedgerEntry, RawResponse, RowAnswers

SCHEMA_VERSION = 2
KEEP_CYCLES = 2000  # the cycle log is for "kns status" and support, not an archive

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS column_sets (
    id INTEGER PRIMARY KEY,
    source_id TEXT NOT NULL,
    names TEXT NOT NULL,
    UNIQUE (source_id, names)
);
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY,
    source_id TEXT NOT NULL,
    response_id TEXT NOT NULL,
    hash BLOB NOT NULL,
    cols INTEGER NOT NULL,
    raw TEXT NOT NULL,
    UNIQUE (source_id, response_id)
);
-- kept apart from the answers: a row written once, never grown in place (dense pages)
CREATE TABLE IF NOT EXISTS norms (answer_id INTEGER PRIMARY KEY, norm BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS source_state (
    source_id TEXT PRIMARY KEY,
    cursor TEXT,
    last_full_read TEXT,
    last_read TEXT,
    probe TEXT,
    titles TEXT,
    qids TEXT,
    norm_key TEXT,
    held TEXT
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
    error TEXT NOT NULL DEFAULT '',
    -- the message that carries it (a branch's letter bundles several alerts): what the
    -- transport is asked about after a crash; '' = the alert went as its own message
    message_key TEXT NOT NULL DEFAULT ''
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


def row_hash(encoded: str) -> bytes:
    return hashlib.blake2b(encoded.encode("utf-8"), digest_size=16).digest()


def _cells_hash(cid: int, cells: Sequence[object]) -> bytes:
    # a table row's hash from its cells, without encoding it: most rows of a re-read
    # export are unchanged, and only the changed ones are encoded
    try:
        joined = "\x1f".join(cells)  # type: ignore[arg-type]  # str cells: the fast path
    except TypeError:  # a cell that is not text (never from a file or a sheet)
        joined = "\x1f".join(c if isinstance(c, str) else repr(c) for c in cells)
    text = f"{cid}\x1e{joined}"
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


@dataclass(frozen=True)
class StoreChanges:
    new: int
    changed: int
    deleted: int

    @property
    def any(self) -> bool:
        return bool(self.new or self.changed or self.deleted)


@dataclass(frozen=True)
class ReadCounts:
    """What a read would do to the stored responses of one source."""

    stored: int  # before the read
    read: int  # responses in the read
    new: int
    changed: int
    removed: int


_Verdict = TypeVar("_Verdict")


class _HoldBack(Exception, Generic[_Verdict]):
    def __init__(self, verdict: _Verdict) -> None:
        self.verdict = verdict


@dataclass(frozen=True)
class CycleRecord:
    id: int
    started_at: datetime
    finished_at: datetime | None
    status: str
    summary: str


class StoredRow(NamedTuple):
    """One stored response as the evaluation pass reads it (a tuple: a province's pass
    reads 300,000 of them)."""

    response_id: str
    hash: bytes
    raw: str  # the compact encoding; decode with StateStore.decode
    norm: bytes | None  # the encoded (summary | None, problems), None when not normalised
    answer_id: int = 0


@dataclass(frozen=True)
class Diff:
    """What a read would change in the stored responses of one source."""

    upserts: tuple[tuple[str, bytes, str, bool], ...]  # (id, hash, encoded, is_new)
    removed: tuple[str, ...]  # ids stored but absent from a complete read
    stored_count: int  # responses stored before this read
    new_ids: frozenset[str]  # ids of the read
    question_ids: tuple[str, ...] = ()  # Forms API question ids answered in the upserts

    @property
    def changes(self) -> StoreChanges:
        new = sum(1 for u in self.upserts if u[3])
        return StoreChanges(new, len(self.upserts) - new, len(self.removed))


class StateStore:
    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        self._columns: dict[int, tuple[str, ...]] = {}
        self._column_ids: dict[tuple[str, tuple[str, ...]], int] = {}
        self._indexes: dict[int, dict[str, int]] = {}
        self.read_only = read_only
        if read_only:
            # a dry run reads what earlier cycles stored and must not create or change a file
            if str(path) == ":memory:" or not Path(path).exists():
                self._db = sqlite3.connect(":memory:", isolation_level=None)
                self._db.executescript(_SCHEMA)
                self._message_keys = True
                return
            uri = Path(path).resolve().as_uri() + "?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30)
            self._migrate_if_needed(read_only=True)
            self._message_keys = self._has_column("alerts", "message_key")
            return
        if str(path) != ":memory:":
            private_dir(Path(path).parent)
            private_file(Path(path))
        # isolation_level=None: we open transactions explicitly, one per logical change
        self._db = sqlite3.connect(str(path), isolation_level=None, timeout=30)
        # larger pages waste less room around ~1 KB answers (a no-op on an existing file)
        self._db.execute("PRAGMA page_size=8192")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._migrate_if_needed(read_only=False)
        self._db.executescript(_SCHEMA)
        if not self._has_column("alerts", "message_key"):  # a store from before letters
            self._db.execute("ALTER TABLE alerts ADD COLUMN message_key TEXT NOT NULL DEFAULT ''")
        self._message_keys = True
        with self._tx():
            self._db.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    def close(self) -> None:
        self._db.close()

    def _has_column(self, table: str, column: str) -> bool:
        return any(r[1] == column for r in self._db.execute(f"PRAGMA table_info({table})"))

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

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Several changes committed together (a batch of ledger intents or results)."""
        if self._db.in_transaction:
            yield
            return
        with self._tx():
            yield

    def _write(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Cursor:
        if self._db.in_transaction:
            return self._db.execute(sql, params)
        with self._tx() as db:
            return db.execute(sql, params)

    # -- meta and blobs --------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._write(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def blob(self, key: str) -> bytes | None:
        row = self._db.execute("SELECT value FROM blobs WHERE key = ?", (key,)).fetchone()
        return bytes(row[0]) if row else None

    def set_blob(self, key: str, value: bytes) -> None:
        self._write(
            "INSERT INTO blobs(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def generation(self) -> int:
        """Bumped by every change to stored responses: part of what makes a cycle idle."""
        return int(self.meta("generation") or 0)

    def bump_generation(self) -> None:
        self.set_meta("generation", str(self.generation() + 1))

    # -- response encoding -----------------------------------------------------------------

    def _column_set(self, source_id: str, names: tuple[str, ...]) -> int:
        key = (source_id, names)
        found = self._column_ids.get(key)
        if found is not None:
            return found
        text = json.dumps(names, ensure_ascii=False)
        if self.read_only:
            # a dry run: the titles are remembered for this process only
            cid = -1 - len(self._column_ids)
            self._column_ids[key] = cid
            self._columns[cid] = names
            return cid
        row = self._db.execute(
            "SELECT id FROM column_sets WHERE source_id = ? AND names = ?", (source_id, text)
        ).fetchone()
        if row is None:
            with self.transaction():
                cur = self._db.execute(
                    "INSERT INTO column_sets(source_id, names) VALUES (?, ?)", (source_id, text)
                )
                row = (cur.lastrowid,)
        cid = int(row[0])
        self._column_ids[key] = cid
        self._columns[cid] = names
        return cid

    def _names(self, cid: int) -> tuple[str, ...]:
        names = self._columns.get(cid)
        if names is None:
            row = self._db.execute("SELECT names FROM column_sets WHERE id = ?", (cid,)).fetchone()
            names = tuple(json.loads(row[0])) if row else ()
            self._columns[cid] = names
        return names

    def _name_index(self, cid: int) -> dict[str, int]:
        index = self._indexes.get(cid)
        if index is None:
            index = self._indexes[cid] = {n: i for i, n in enumerate(self._names(cid))}
        return index

    def fingerprint(self, r: RawResponse) -> tuple[bytes, str | None]:
        """The response's hash, and its encoding when computing the hash needed it (a table
        row's hash comes from its cells: its encoding waits until it is known to differ)."""
        if isinstance(r.answers, RowAnswers) and r.submitted_at is None:
            cid = self._column_set(r.source_id, r.answers.names)
            return _cells_hash(cid, r.answers.cells), None
        encoded = self.encode(r)
        return row_hash(encoded), encoded

    def encode(self, r: RawResponse) -> str:
        """The compact form of one response (deterministic: same response, same text)."""
        answers: Any
        if isinstance(r.answers, RowAnswers):  # a table row: its cells are the encoding
            cid = self._column_set(r.source_id, r.answers.names)
            answers = r.answers.cells
        elif r.keyed_by == "title":
            names = tuple(r.answers)
            cid = self._column_set(r.source_id, names)
            answers = [r.answers[n] for n in names]
        else:
            cid = 0
            answers = dict(r.answers)
        return json.dumps(
            [cid, r.row_label, _iso(r.submitted_at), r.keyed_by, answers],
            ensure_ascii=False,
            separators=(",", ":"),
        )

    def decode(self, source_id: str, response_id: str, raw: str) -> RawResponse:
        cid, label, submitted, keyed_by, answers = json.loads(raw)
        if keyed_by == "title":
            names = self._names(cid)
            if len(names) != len(answers):
                raise ValueError(f"stored response {response_id}: columns do not match")
            answers = RowAnswers(names, answers, self._name_index(cid))
        return RawResponse(
            source_id=source_id,
            response_id=response_id,
            row_label=label,
            answers=answers,
            submitted_at=_dt(submitted),
            keyed_by=keyed_by,
        )

    # -- responses ---------------------------------------------------------------------

    def stored_hashes(self, source_id: str) -> dict[str, bytes]:
        return {
            rid: bytes(h)
            for rid, h in self._db.execute(
                "SELECT response_id, hash FROM answers WHERE source_id = ?", (source_id,)
            )
        }

    def diff(self, source_id: str, responses: Sequence[RawResponse], *, complete: bool) -> Diff:
        """What storing ``responses`` would change (nothing is written)."""
        existing = self.stored_hashes(source_id)
        upserts: list[tuple[str, bytes, str, bool]] = []
        qids: dict[str, None] = {}
        for r in responses:
            h, encoded = self.fingerprint(r)
            old = existing.get(r.response_id)
            if old == h:
                continue
            upserts.append((r.response_id, h, encoded or self.encode(r), old is None))
            if r.keyed_by == "question_id":
                qids.update(dict.fromkeys(r.answers))
        ids = frozenset(r.response_id for r in responses)
        removed = tuple(sorted(rid for rid in existing if rid not in ids)) if complete else ()
        return Diff(tuple(upserts), removed, len(existing), ids, tuple(qids))

    def apply(
        self,
        source_id: str,
        diff: Diff,
        *,
        complete: bool,
        now: datetime,
        cursor: str | None = None,
        titles: Mapping[str, str] | None = None,
    ) -> StoreChanges:
        """Store a read (its diff): upserts, deletions, cursor; one transaction."""
        stamp = _iso(now)
        with self._tx() as db:
            db.executemany(
                "INSERT INTO answers(source_id, response_id, hash, cols, raw) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (source_id, rid, h, _cols_of(encoded), encoded)
                    for rid, h, encoded, is_new in diff.upserts
                    if is_new
                ],
            )
            # an edited response (or a changed sheet row) replaces its earlier version
            edited = [
                (h, _cols_of(encoded), encoded, source_id, rid)
                for rid, h, encoded, is_new in diff.upserts
                if not is_new
            ]
            db.executemany(
                "DELETE FROM norms WHERE answer_id = (SELECT id FROM answers WHERE "
                "source_id = ? AND response_id = ?)",
                [(source_id, e[4]) for e in edited],
            )
            db.executemany(
                "UPDATE answers SET hash = ?, cols = ?, raw = ? "
                "WHERE source_id = ? AND response_id = ?",
                edited,
            )
            gone = [(source_id, rid) for rid in diff.removed]
            db.executemany(
                "DELETE FROM norms WHERE answer_id = (SELECT id FROM answers WHERE "
                "source_id = ? AND response_id = ?)",
                gone,
            )
            db.executemany("DELETE FROM answers WHERE source_id = ? AND response_id = ?", gone)
            self._after_read(db, source_id, complete, stamp, cursor, titles, diff.question_ids)
            changes = diff.changes
            if changes.any:
                db.execute(
                    "INSERT INTO meta(key, value) VALUES ('generation', '1') ON CONFLICT(key) "
                    "DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)"
                )
        return changes

    def apply_read(
        self,
        source_id: str,
        responses: Iterable[RawResponse],
        *,
        complete: bool,
        now: datetime,
        cursor: str | None = None,
        titles: Mapping[str, str] | None = None,
        decide: Callable[[ReadCounts], _Verdict | None] | None = None,
        observe: Callable[[RawResponse], None] | None = None,
    ) -> tuple[StoreChanges, _Verdict | None]:
        """Store a read as it streams in, inside one transaction; before committing, ask
        ``decide`` (the shrink guard): anything it returns is the reason to hold the read
        back, and the transaction is rolled back. The read's responses are never all
        encoded in memory at once (a province's first read is 100 MB of answers)."""
        try:
            changes = self._apply_read(
                source_id, responses, complete, _iso(now), cursor, titles, decide, observe
            )
        except _HoldBack as held:
            return StoreChanges(0, 0, 0), held.verdict
        return changes, None

    def _apply_read(
        self,
        source_id: str,
        responses: Iterable[RawResponse],
        complete: bool,
        stamp: str | None,
        cursor: str | None,
        titles: Mapping[str, str] | None,
        decide: Callable[[ReadCounts], object | None] | None,
        observe: Callable[[RawResponse], None] | None,
    ) -> StoreChanges:
        with self._tx() as db:
            existing = self.stored_hashes(source_id)
            seen: set[str] = set()
            new = changed = read = 0
            qids: dict[str, None] = {}
            inserts: list[tuple[object, ...]] = []
            updates: list[tuple[object, ...]] = []

            def flush() -> None:
                db.executemany(
                    "INSERT INTO answers(source_id, response_id, hash, cols, raw) "
                    "VALUES (?, ?, ?, ?, ?)",
                    inserts,
                )
                # an edited response (or a changed sheet row) replaces its earlier version
                db.executemany(
                    "DELETE FROM norms WHERE answer_id = (SELECT id FROM answers WHERE "
                    "source_id = ? AND response_id = ?)",
                    [(source_id, u[4]) for u in updates],
                )
                db.executemany(
                    "UPDATE answers SET hash = ?, cols = ?, raw = ? "
                    "WHERE source_id = ? AND response_id = ?",
                    updates,
                )
                inserts.clear()
                updates.clear()

            for r in responses:
                read += 1
                seen.add(r.response_id)
                if observe is not None:
                    observe(r)
                if r.keyed_by == "question_id":
                    qids.update(dict.fromkeys(r.answers))
                h, encoded = self.fingerprint(r)
                old = existing.get(r.response_id)
                if old == h:
                    continue
                if encoded is None:
                    encoded = self.encode(r)
                if old is None:
                    new += 1
                    inserts.append((source_id, r.response_id, h, _cols_of(encoded), encoded))
                else:
                    changed += 1
                    updates.append((h, _cols_of(encoded), encoded, source_id, r.response_id))
                if len(inserts) + len(updates) >= 2000:
                    flush()
            flush()
            removed = [rid for rid in existing if rid not in seen] if complete else []
            counts = ReadCounts(len(existing), read, new, changed, len(removed))
            verdict = decide(counts) if decide is not None else None
            if verdict is not None:
                raise _HoldBack(verdict)
            gone = [(source_id, rid) for rid in removed]
            db.executemany(
                "DELETE FROM norms WHERE answer_id = (SELECT id FROM answers WHERE "
                "source_id = ? AND response_id = ?)",
                gone,
            )
            db.executemany("DELETE FROM answers WHERE source_id = ? AND response_id = ?", gone)
            self._after_read(db, source_id, complete, stamp, cursor, titles, tuple(qids))
            if new or changed or removed:
                db.execute(
                    "INSERT INTO meta(key, value) VALUES ('generation', '1') ON CONFLICT(key) "
                    "DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)"
                )
        return StoreChanges(new, changed, len(removed))

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
        diff = self.diff(source_id, responses, complete=complete)
        return self.apply(source_id, diff, complete=complete, now=now, cursor=cursor)

    @staticmethod
    def _after_read(
        db: sqlite3.Connection,
        source_id: str,
        complete: bool,
        stamp: str | None,
        cursor: str | None,
        titles: Mapping[str, str] | None,
        question_ids: Sequence[str],
    ) -> None:
        db.execute(
            "INSERT INTO source_state(source_id, cursor, last_full_read, last_read, titles) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(source_id) DO UPDATE SET "
            "cursor = COALESCE(excluded.cursor, source_state.cursor), "
            "last_full_read = COALESCE(excluded.last_full_read, "
            "source_state.last_full_read), last_read = excluded.last_read, "
            "titles = COALESCE(excluded.titles, source_state.titles)",
            (
                source_id,
                cursor,
                stamp if complete else None,
                stamp,
                json.dumps(dict(titles), ensure_ascii=False) if titles else None,
            ),
        )
        if question_ids:
            row = db.execute(
                "SELECT qids FROM source_state WHERE source_id = ?", (source_id,)
            ).fetchone()
            known = dict.fromkeys(json.loads(row[0]) if row and row[0] else [])
            known.update(dict.fromkeys(question_ids))
            db.execute(
                "UPDATE source_state SET qids = ? WHERE source_id = ?",
                (json.dumps(list(known), ensure_ascii=False), source_id),
            )

    def rows(self, source_id: str) -> Iterator[StoredRow]:
        """Every stored response of a source, in primary-key order, streamed."""
        cur = self._db.execute(
            "SELECT a.response_id, a.hash, a.raw, n.norm, a.id FROM answers a "
            "LEFT JOIN norms n ON n.answer_id = a.id WHERE a.source_id = ?",
            (source_id,),
        )
        for rid, h, raw, norm, aid in cur:
            yield StoredRow(rid, h, raw, norm, aid)

    def responses(self, source_id: str) -> tuple[RawResponse, ...]:
        return tuple(self.decode(source_id, r.response_id, r.raw) for r in self.rows(source_id))

    def count(self, source_id: str) -> int:
        row = self._db.execute(
            "SELECT COUNT(*) FROM answers WHERE source_id = ?", (source_id,)
        ).fetchone()
        return int(row[0])

    def title_keys(self, source_id: str) -> list[str]:
        """The column titles of the source's stored table rows, in order, once each."""
        names: dict[str, None] = {}
        for (text,) in self._db.execute(
            "SELECT names FROM column_sets WHERE id IN "
            "(SELECT DISTINCT cols FROM answers WHERE source_id = ? AND cols != 0) ORDER BY id",
            (source_id,),
        ):
            names.update(dict.fromkeys(json.loads(text)))
        return list(names)

    def question_ids(self, source_id: str) -> list[str]:
        """Question ids answered in the source's stored Forms API responses."""
        row = self._db.execute(
            "SELECT qids FROM source_state WHERE source_id = ?", (source_id,)
        ).fetchone()
        return list(json.loads(row[0])) if row and row[0] else []

    def keyed_by(self, source_id: str) -> set[str]:
        """How the source's stored responses are keyed: "title" (tables), "question_id"."""
        kinds: set[str] = set()
        for kind, sql in (
            ("title", "cols != 0"),
            ("question_id", "cols = 0"),
        ):
            row = self._db.execute(
                f"SELECT 1 FROM answers WHERE source_id = ? AND {sql} LIMIT 1", (source_id,)
            ).fetchone()
            if row:
                kinds.add(kind)
        return kinds

    # -- the normalised cache ----------------------------------------------------------

    def norm_key(self, source_id: str) -> str | None:
        row = self._db.execute(
            "SELECT norm_key FROM source_state WHERE source_id = ?", (source_id,)
        ).fetchone()
        return row[0] if row else None

    def reset_norms(self, source_id: str, key: str) -> None:
        """The normalisation context changed (roster, mapping, rubric...): forget every
        normalised response of the source and remember the new context."""
        with self._tx() as db:
            db.execute(
                "DELETE FROM norms WHERE answer_id IN (SELECT id FROM answers WHERE source_id = ?)",
                (source_id,),
            )
            db.execute(
                "INSERT INTO source_state(source_id, norm_key) VALUES (?, ?) "
                "ON CONFLICT(source_id) DO UPDATE SET norm_key = excluded.norm_key",
                (source_id, key),
            )

    def save_norms(self, source_id: str, norms: Iterable[tuple[int, bytes, bytes]]) -> None:
        """(answer id, hash the norm was computed from, encoded norm); a response that
        changed since (another hash) is left alone."""
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO norms(answer_id, norm) SELECT id, ? FROM answers "
                "WHERE id = ? AND hash = ?",
                [(blob, aid, h) for aid, h, blob in norms],
            )

    # -- per-source bookkeeping --------------------------------------------------------

    def cursor(self, source_id: str) -> str | None:
        row = self._db.execute(
            "SELECT cursor FROM source_state WHERE source_id = ?", (source_id,)
        ).fetchone()
        return row[0] if row else None

    def titles(self, source_id: str) -> dict[str, str]:
        row = self._db.execute(
            "SELECT titles FROM source_state WHERE source_id = ?", (source_id,)
        ).fetchone()
        return json.loads(row[0]) if row and row[0] else {}

    def probe(self, source_id: str) -> tuple[str, str] | None:
        row = self._db.execute(
            "SELECT probe FROM source_state WHERE source_id = ?", (source_id,)
        ).fetchone()
        if not row or not row[0]:
            return None
        stat, content = json.loads(row[0])
        return stat, content

    def set_probe(self, source_id: str, probe: tuple[str, str] | None) -> None:
        self._write(
            "INSERT INTO source_state(source_id, probe) VALUES (?, ?) "
            "ON CONFLICT(source_id) DO UPDATE SET probe = excluded.probe",
            (source_id, json.dumps(list(probe)) if probe else None),
        )

    def held(self, source_id: str) -> tuple[DataProblem, ...]:
        """Problems of the source's last read that must stay visible while its input is
        unchanged (unreadable, held back as shrunk)."""
        row = self._db.execute(
            "SELECT held FROM source_state WHERE source_id = ?", (source_id,)
        ).fetchone()
        if not row or not row[0]:
            return ()
        return tuple(DataProblem(**p) for p in json.loads(row[0]))

    def set_held(self, source_id: str, problems: Sequence[DataProblem]) -> None:
        text = json.dumps([p.__dict__ for p in problems], ensure_ascii=False) if problems else None
        self._write(
            "INSERT INTO source_state(source_id, held) VALUES (?, ?) "
            "ON CONFLICT(source_id) DO UPDATE SET held = excluded.held",
            (source_id, text),
        )

    # -- alert ledger --------------------------------------------------------------------

    def ledger(self) -> dict[str, LedgerEntry]:
        key = "message_key" if self._message_keys else "''"
        rows = self._db.execute(
            "SELECT alert_id, kind, branch_code, milestone_id, status, recipients, subject, "
            f"intent_at, sent_at, error, {key} FROM alerts ORDER BY alert_id"
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
                message_key=r[10],
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
        message_key: str = "",
    ) -> None:
        """Written (and committed) before the message leaves: the crash-safety anchor.
        ``message_key``: the letter that carries the alert ("" = its own message)."""
        self._write(
            "INSERT INTO alerts(alert_id, kind, branch_code, milestone_id, status, recipients,"
            " subject, intent_at, sent_at, error, message_key) VALUES (?, ?, ?, ?, 'intent',"
            " ?, ?, ?, NULL, '', ?) ON CONFLICT(alert_id) DO UPDATE SET status = 'intent',"
            " recipients = excluded.recipients, subject = excluded.subject, intent_at ="
            " excluded.intent_at, error = '', message_key = excluded.message_key",
            (alert_id, kind, branch_code, milestone_id, recipients, subject, _iso(now),
             message_key),
        )  # fmt: skip

    def record_result(
        self,
        alert_id: str,
        status: Literal["sent", "failed", "unknown"],
        *,
        now: datetime,
        error: str = "",
    ) -> None:
        self._write(
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

    def intent_messages(self) -> dict[str, list[str]]:
        """The messages a killed cycle left between intent and result: message key (the
        alert's own id when it went alone) -> the alerts it carries."""
        key = "message_key" if self._message_keys else "''"
        out: dict[str, list[str]] = {}
        for alert_id, message_key in self._db.execute(
            f"SELECT alert_id, {key} FROM alerts WHERE status = 'intent' ORDER BY alert_id"
        ):
            out.setdefault(message_key or alert_id, []).append(alert_id)
        return out

    # -- cycles ----------------------------------------------------------------------------

    def begin_cycle(self, started_at: datetime) -> int:
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO cycles(started_at, status) VALUES (?, 'running')", (_iso(started_at),)
            )
            cycle_id = int(cur.lastrowid or 0)
            db.execute("DELETE FROM cycles WHERE id <= ?", (cycle_id - KEEP_CYCLES,))
            return cycle_id

    def finish_cycle(self, cycle_id: int, status: str, summary: str, finished_at: datetime) -> None:
        self._write(
            "UPDATE cycles SET status = ?, summary = ?, finished_at = ? WHERE id = ?",
            (status, summary, _iso(finished_at), cycle_id),
        )

    def close_interrupted_cycles(self, now: datetime) -> int:
        """Cycles a killed process left "running" (the caller holds the ward's lock, so no
        other cycle is running): closed as interrupted."""
        cur = self._write(
            "UPDATE cycles SET status = 'interrupted', finished_at = ?, summary = "
            "'Tiến trình dừng đột ngột giữa chu kỳ; chu kỳ sau đã tiếp tục' "
            "WHERE status = 'running'",
            (_iso(now),),
        )
        return cur.rowcount

    def last_cycle(self) -> CycleRecord | None:
        row = self._db.execute(
            "SELECT id, started_at, finished_at, status, summary FROM cycles "
            "ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        return CycleRecord(row[0], datetime.fromisoformat(row[1]), _dt(row[2]), row[3], row[4])

    def cycles(self, status: str | None = None) -> list[CycleRecord]:
        sql = "SELECT id, started_at, finished_at, status, summary FROM cycles"
        params: tuple[object, ...] = ()
        if status is not None:
            sql += " WHERE status = ?"
            params = (status,)
        return [
            CycleRecord(r[0], datetime.fromisoformat(r[1]), _dt(r[2]), r[3], r[4])
            for r in self._db.execute(sql + " ORDER BY id", params)
        ]

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

    # -- migration -------------------------------------------------------------------------

    def _migrate_if_needed(self, *, read_only: bool) -> None:
        tables = {
            r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if "responses" not in tables:
            return  # a new store, or already version 2
        if read_only:
            # a dry run of a version-1 store: read it through a private in-memory copy
            memory = sqlite3.connect(":memory:", isolation_level=None)
            self._db.backup(memory)
            self._db.close()
            self._db = memory
        self._migrate_v1()

    def _migrate_v1(self) -> None:
        """Version 1 kept each response as a JSON payload keyed by full question titles and
        sorted by rowid: re-encode every response compactly; keep ledger, cycles, tabs."""
        self._db.executescript(_SCHEMA)
        old = self._db.execute(
            "SELECT source_id, response_id, payload FROM responses ORDER BY source_id, rowid"
        ).fetchall()
        sources = self._db.execute(
            "SELECT source_id, cursor, last_full_read, last_read FROM sources"
        ).fetchall()
        qids: dict[str, dict[str, None]] = {}
        with self._tx() as db:
            for sid, rid, payload in old:
                p = json.loads(payload)
                r = RawResponse(
                    source_id=sid,
                    response_id=rid,
                    row_label=p["row_label"],
                    answers=p["answers"],
                    submitted_at=_dt(p["submitted_at"]),
                    keyed_by=p["keyed_by"],
                )
                h, encoded = self.fingerprint(r)
                encoded = encoded or self.encode(r)
                db.execute(
                    "INSERT OR REPLACE INTO answers(source_id, response_id, hash, cols, raw) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (sid, rid, h, _cols_of(encoded), encoded),
                )
                if r.keyed_by == "question_id":
                    qids.setdefault(sid, {}).update(dict.fromkeys(r.answers))
            for sid, cursor, last_full, last_read in sources:
                db.execute(
                    "INSERT OR REPLACE INTO source_state(source_id, cursor, last_full_read, "
                    "last_read) VALUES (?, ?, ?, ?)",
                    (sid, cursor, last_full, last_read),
                )
            for sid, known in qids.items():
                db.execute(
                    "INSERT INTO source_state(source_id, qids) VALUES (?, ?) ON CONFLICT("
                    "source_id) DO UPDATE SET qids = excluded.qids",
                    (sid, json.dumps(list(known), ensure_ascii=False)),
                )
            db.execute("DROP TABLE responses")
            db.execute("DROP TABLE sources")
            db.execute(
                "INSERT INTO meta(key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (str(SCHEMA_VERSION),),
            )


def _cols_of(encoded: str) -> int:
    # the encoding starts with the column-set id: "[12,..."
    return int(encoded[1 : encoded.index(",")])


# -- opening the store: every way the file can be unusable is one line for staff ----------


class StateFileError(ConfigError):
    """The state file cannot be opened or is damaged; the problem line is for staff."""


def is_corrupt(e: sqlite3.DatabaseError) -> bool:
    """The file is not an SQLite database, or its pages are damaged (not: locked, busy)."""
    code = (getattr(e, "sqlite_errorcode", 0) or 0) & 0xFF
    return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def corrupt_message(path: Path | str) -> str:
    return (
        f"Tệp trạng thái {path} bị hỏng (không còn là cơ sở dữ liệu SQLite đọc được). Nên khôi "
        "phục tệp từ bản sao lưu; nếu không có, đổi tên hoặc chuyển tệp đi chỗ khác để chương "
        "trình tạo tệp mới, nhưng khi đó sổ ghi thư đã gửi bị mất và các thư nhắc có thể được "
        "gửi lại."
    )


def open_store(path: Path | str, *, read_only: bool = False) -> StateStore:
    """``StateStore(path)``, with a StateFileError naming the file for a folder, a file that
    cannot be created or opened, and a damaged one."""
    if str(path) != ":memory:" and Path(path).is_dir():
        raise StateFileError(
            [
                f"state.path: {path} là một thư mục, không phải tệp; hãy sửa state.path trong "
                f"tệp cấu hình thành đường dẫn một tệp, ví dụ {Path(path) / 'state.sqlite'}"
            ]
        )
    try:
        return StateStore(path, read_only=read_only)
    except sqlite3.DatabaseError as e:
        if is_corrupt(e):
            raise StateFileError([corrupt_message(path)]) from e
        raise StateFileError(
            [
                f"Không mở được tệp trạng thái {path} ({e}); hãy kiểm tra state.path trong tệp "
                "cấu hình và quyền ghi thư mục chứa tệp"
            ]
        ) from e
    except OSError as e:  # creating its folder or the file (sync.fsutil)
        raise StateFileError(
            [
                f"Không tạo được tệp trạng thái {path} ({describe_os_error(e)}); hãy kiểm tra "
                "state.path trong tệp cấu hình và quyền ghi thư mục chứa tệp"
            ]
        ) from e


@contextmanager
def damage_as_state_error(path: Path | str) -> Iterator[None]:
    """Damage found past the first pages (by a query, after ``open_store`` opened the file)
    as the same StateFileError; other database errors (locked, busy) go through."""
    try:
        yield
    except sqlite3.DatabaseError as e:
        if not is_corrupt(e):
            raise
        raise StateFileError([corrupt_message(path)]) from e
