"""Community digital technology teams (Form E, "Nhật ký hỗ trợ người dân"): the team
roster, matching a team name typed in a log, and the keyed hash of a person supported.

Privacy: the people supported are citizens. A person is only ever a keyed hash
(HMAC-SHA256) of the folded name, the birth year and the phone number in its national
form; the key is a random secret generated once and kept in the state file (meta/blob
table ``support_secret``), never in the config, never logged. Before a support-log
response is stored (the state's answer cache) ``scrub_responses`` replaces the person's
name and phone by keyed hashes and blanks every column the counts do not need (the note,
unmapped columns); the normaliser hashes again whatever reaches it in clear (tests,
``evaluate``). Phone digits are never shown in a tab, an e-mail, a log or a data problem.
"""

from __future__ import annotations

import hashlib
import pickle
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sync.mapping import FormMapping
from sync.model import (
    Alert,
    Answer,
    Branch,
    DataProblem,
    RawResponse,
    Roster,
    RowAnswers,
    SparseAnswers,
    Team,
)
from sync.ports import FetchResult, SourceError
from sync.support_core import (
    name_token,
    phone_token,
    redact_phones,
)
from sync.text import clean_spaces, normalize_title

if TYPE_CHECKING:
    from sync.alerts import MilestoneTrack, Track
    from sync.config import WardConfig

SECRET_KEY = "support_secret"  # the state's blob holding the HMAC key
TEAMS_BLOB = "teams"  # the state's copy of the team roster (no citizen in it)
TEAMS_SOURCE = "Danh sách tổ công nghệ số cộng đồng"

# the fields kept in a stored support-log response; person name and phone as hashes
_KEPT = frozenset(
    {
        "support_date",
        "team",
        "helper_name",
        "helper_role",
        "person_birth_year",
        "support_kinds",
        "result",
    }
)

# ---------------------------------------------------------------------------------------
# The secret
# ---------------------------------------------------------------------------------------


class SecretStore(Protocol):
    def blob(self, key: str) -> bytes | None: ...

    def set_blob(self, key: str, value: bytes) -> None: ...


def person_secret(store: SecretStore, *, create: bool = True) -> bytes:
    """The ward's HMAC key: generated once (32 random bytes) and kept in the state. A dry
    run (``create=False``) on a fresh state gets a throw-away key: its counts are right for
    that run, and nothing is stored."""
    got = store.blob(SECRET_KEY)
    if got:
        return got
    key = secrets.token_bytes(32)
    if create:
        store.set_blob(SECRET_KEY, key)
    return key


# ---------------------------------------------------------------------------------------
# Before anything is stored
# ---------------------------------------------------------------------------------------


def _field_keys(
    mapping: FormMapping, keys: Sequence[str], keyed_by: str, titles: Mapping[str, str]
) -> tuple[dict[str, str], set[str]]:
    """answer key -> field for the bound columns, and the timestamp key(s)."""
    from sync.normalize import bind_columns, bind_question_ids

    if keyed_by == "title":
        binding = bind_columns(mapping, keys)
        stamp = {binding.timestamp_key} if binding.timestamp_key else set()
    else:
        binding = bind_question_ids(mapping, list(keys), titles)
        stamp = set()
    return {c.key: c.field.field for c in binding.columns}, stamp


def _scrub_value(field: str | None, value: Answer, secret: bytes) -> Answer:
    if field in ("support_date", "person_birth_year"):
        return value
    if field in _KEPT:  # free text a helper may have typed a phone into ("Khác: ...")
        return redact_phones(value) if isinstance(value, str) else [redact_phones(v) for v in value]
    text = value if isinstance(value, str) else ", ".join(value)
    if field == "person_name":
        return name_token(text, secret)
    if field == "person_phone":
        return phone_token(text, secret)
    return ""  # the note, unmapped columns: not needed to count, not kept


def scrub_responses(
    mapping: FormMapping,
    responses: Sequence[RawResponse],
    secret: bytes,
    question_titles: Mapping[str, str] | None = None,
) -> tuple[RawResponse, ...]:
    """Support-log responses as they may be stored: the person's name and phone replaced by
    keyed hashes, the note and unmapped columns blanked (timestamps kept)."""
    out: list[RawResponse] = []
    cache: dict[tuple[str, tuple[str, ...]], tuple[dict[str, str], set[str]]] = {}
    for r in responses:
        names = tuple(r.answers)
        ck = (r.keyed_by, names if r.keyed_by == "title" else ())
        if ck not in cache:
            keys = names if r.keyed_by == "title" else tuple(question_titles or names)
            cache[ck] = _field_keys(mapping, [*keys, *names], r.keyed_by, question_titles or {})
        fields, stamp = cache[ck]

        def clean(
            key: str, value: Answer, fields: dict[str, str] = fields, stamp: set[str] = stamp
        ) -> Answer:
            if key in stamp:
                return value
            return _scrub_value(fields.get(key), value, secret)

        answers: Mapping[str, Answer]
        if isinstance(r.answers, RowAnswers):
            a = r.answers
            cells = [str(clean(k, v)) for k, v in zip(a.names, a.cells, strict=True)]
            answers = RowAnswers(a.names, cells, a._index)
        elif isinstance(r.answers, SparseAnswers):
            s = r.answers
            sparse: list[Answer | None] = [
                None if v is None else clean(k, v) for k, v in zip(s.names, s.cells, strict=True)
            ]
            answers = SparseAnswers(s.names, sparse, s._index)
        else:
            answers = {k: clean(k, v) for k, v in r.answers.items()}
        out.append(replace(r, answers=answers))
    return tuple(out)


def scrub_result(mapping: FormMapping, result: FetchResult, secret: bytes) -> FetchResult:
    return replace(
        result,
        responses=scrub_responses(mapping, result.responses, secret, result.question_titles),
    )


# ---------------------------------------------------------------------------------------
# The team roster
# ---------------------------------------------------------------------------------------

TEAM_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("Mã tổ", "Mã", "code"),
    "name": ("Tên tổ", "Tổ công nghệ số cộng đồng", "name"),
    "aliases": ("Tên gọi khác", "Tên khác", "aliases"),
    "area": ("Khu phố", "Địa bàn", "area"),
    "leader_name": ("Tổ trưởng", "leader"),
    "leader_email": ("Email tổ trưởng", "leader_email"),
    "members": ("Thành viên", "Các thành viên", "members"),
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _split_list(text: str) -> tuple[str, ...]:
    # names and aliases are separated by ";" or new lines (a name never holds them)
    return tuple(p for p in (clean_spaces(x) for x in re.split(r"[;\n]", text)) if p)


def teams_from_table(
    label: str, headers: Sequence[str], rows: Sequence[Sequence[str]]
) -> tuple[tuple[Team, ...], list[DataProblem]]:
    """Teams from a roster table; a row that cannot be used is a DataProblem (a bad team
    row must not stop the cycle: its logs are reported as unknown teams)."""
    problems: list[DataProblem] = []
    index: dict[str, int] = {}
    for i, h in enumerate(headers):
        key = normalize_title(h.replace("\ufeff", ""))
        for name, titles in TEAM_COLUMNS.items():
            if key in {normalize_title(t) for t in titles} and name not in index:
                index[name] = i
    for need in ("code", "name"):
        if need not in index:
            problems.append(
                DataProblem(
                    TEAMS_SOURCE,
                    "",
                    TEAM_COLUMNS[need][0],
                    label,
                    f"Danh sách tổ thiếu cột '{TEAM_COLUMNS[need][0]}'; không dùng được danh "
                    "sách này",
                )
            )
    if problems:
        return (), problems
    teams: list[Team] = []
    seen: set[str] = set()
    for n, row in enumerate(rows, start=2):

        def cell(name: str, row: Sequence[str] = row) -> str:
            i = index.get(name)
            return clean_spaces(row[i]) if i is not None and i < len(row) else ""

        code, name, where = cell("code"), cell("name"), f"Dòng {n}"
        if not code and not name:
            continue
        if not code or not name:
            problems.append(
                DataProblem(
                    TEAMS_SOURCE,
                    where,
                    "Mã tổ" if not code else "Tên tổ",
                    code or name,
                    "Tổ thiếu mã hoặc tên; dòng này không được dùng",
                )
            )
            continue
        if code in seen:
            problems.append(
                DataProblem(
                    TEAMS_SOURCE,
                    where,
                    "Mã tổ",
                    code,
                    "Mã tổ trùng với một dòng trước; dòng này không được dùng",
                )
            )
            continue
        seen.add(code)
        email = cell("leader_email")
        if email and not _EMAIL.match(email):
            problems.append(
                DataProblem(
                    TEAMS_SOURCE,
                    where,
                    "Email tổ trưởng",
                    email,
                    "Địa chỉ email không hợp lệ; tổ trưởng không nhận được thư nhắc",
                )
            )
            email = ""
        teams.append(
            Team(
                code=code,
                name=name,
                aliases=_split_list(cell("aliases")),
                area=cell("area"),
                leader_name=cell("leader_name"),
                leader_email=email,
                members=_split_list(cell("members")),
            )
        )
    return tuple(teams), problems


def load_teams(path: Path, sheet: str | None = None) -> tuple[tuple[Team, ...], list[DataProblem]]:
    """The team roster file (CSV or XLSX); an unreadable file is one DataProblem."""
    from sync.sources.files import read_table

    try:
        headers, rows = read_table(path, sheet)
    except (SourceError, OSError) as e:
        return (), [
            DataProblem(
                TEAMS_SOURCE, "", "teams.roster", str(path), f"Không đọc được danh sách tổ: {e}"
            )
        ]
    return teams_from_table(str(path), headers, rows)


def teams_digest(teams: Sequence[Team]) -> str:
    return hashlib.sha256(repr(tuple(teams)).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------
# Matching a team name as typed in a log
# ---------------------------------------------------------------------------------------

# ---------------------------------------------------------------------------------------
# What the cycle needs
# ---------------------------------------------------------------------------------------


def roster_fingerprint(path: Path | None) -> str:
    """A hash of the team roster file's bytes ("" without one): part of the idle check."""
    if path is None:
        return ""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def cycle_teams(
    teams_cfg: object | None, needed: bool, store: SecretStore | None = None
) -> tuple[tuple[Team, ...], list[DataProblem]]:
    """The team roster of a cycle: loaded from ``teams.roster``, or (file unchanged) the
    copy the state keeps (``store``: blob "teams", keyed by the file's hash), so a cycle
    whose inputs did not change parses nothing. A support-log source without a ``teams``
    section is one data problem (every row then names an unknown team)."""
    roster = getattr(teams_cfg, "roster", None)
    if roster is None:
        if not needed:
            return (), []
        return (), [
            DataProblem(
                TEAMS_SOURCE,
                "",
                "teams",
                "",
                "Có nguồn nhật ký hỗ trợ người dân nhưng tệp cấu hình chưa khai báo nhóm "
                "'teams' (danh sách tổ công nghệ số cộng đồng)",
            )
        ]
    sheet = getattr(teams_cfg, "sheet", None)
    key = f"{roster_fingerprint(roster)}:{sheet or ''}".encode()
    if store is not None:
        kept = store.blob(TEAMS_BLOB)
        if kept is not None and kept.startswith(key + b"\n"):
            try:
                teams, problems = pickle.loads(kept[len(key) + 1 :])
                return tuple(teams), list(problems)
            except Exception:  # an unreadable copy: read the file again
                pass
    teams, problems = load_teams(roster, sheet)
    if store is not None:
        store.set_blob(TEAMS_BLOB, key + b"\n" + pickle.dumps((teams, problems), protocol=5))
    return teams, problems


def with_teams(
    cfg: WardConfig,
    roster: Roster,
    statuses: Sequence[Track],
    teams: Sequence[Team],
    sessions: Sequence[tuple[Any, ...]],
    now: datetime,
) -> tuple[Roster, tuple[Track, ...], tuple[MilestoneTrack, ...]]:
    """The roster and tracks alert planning reads, with every team as a pseudo-branch
    ("team:T01", its leader as the addressee) when the config has team milestones: the
    same reminder / overdue machinery, the same ledger, exactly-once ids. Also the team
    tracks alone (the idle check keeps them)."""
    from scoring.support import TEAM_PREFIX, team_milestone_statuses
    from sync.alerts import MilestoneTrack
    from sync.config import concrete_milestones

    local = now.astimezone(cfg.tz)
    found = team_milestone_statuses(
        concrete_milestones(cfg),
        teams,
        sessions,
        today=local.date(),
        due_soon_days=cfg.alerts.due_soon_days,
    )
    if not found:
        return roster, tuple(statuses), ()
    pseudo = tuple(
        Branch(
            code=TEAM_PREFIX + t.code,
            name=t.name,
            secretary_name=t.leader_name,
            secretary_email=t.leader_email,
        )
        for t in teams
    )
    tracks = tuple(MilestoneTrack(code, ms) for code, ms in found)
    merged = replace(roster, branches=(*roster.branches, *pseudo))
    return merged, (*statuses, *tracks), tracks


def team_unaddressable(alerts: Sequence[Alert]) -> tuple[list[Alert], list[DataProblem]]:
    """Split the alerts nobody can receive: a team's (its leader has no e-mail) become a
    data problem about the team roster; the rest are left to the caller."""
    from scoring.support import TEAM_PREFIX

    rest: list[Alert] = []
    problems: list[DataProblem] = []
    for a in alerts:
        if not a.branch_code.startswith(TEAM_PREFIX):
            rest.append(a)
            continue
        problems.append(
            DataProblem(
                TEAMS_SOURCE,
                a.branch_code.removeprefix(TEAM_PREFIX),
                "Email tổ trưởng",
                "",
                "Tổ chưa có địa chỉ email của tổ trưởng trong danh sách tổ: không gửi được "
                f"thông báo {a.alert_id}",
            )
        )
    return rest, problems
