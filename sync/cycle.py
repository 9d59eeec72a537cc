"""One sync cycle: the thin shell around the pure core (``sync.evaluation``,
``sync.alerts``, ``sync.tables``). It talks to adapters only through ``sync.ports``.

The order is what makes "never twice, never lost" hold (the caller holds the ward's lock:
``sync.lock``):
0. close what a killed cycle left (a cycle row "running", temporary files);
1. settle alerts a previous, interrupted cycle left as intents;
2. read the roster and every source; a read that would remove many stored answers (or a
   roster that loses many entries) is held back (``sync.guard``); a source that cannot be
   read keeps its stored responses; both become rows of "Lỗi dữ liệu";
3. idle? When no input changed since the last evaluation (same day, same config) and no
   alert is due by the clock, stop here: nothing is normalised or scored again;
4. evaluate: only responses that changed are normalised again (the others come from the
   state's cache), folded one at a time into what scoring needs;
5. send the branch notices due (ledger intent -> send -> result, in batches where the
   transport can tell after a crash whether a message left), then build the weekly digest
   from the ledger as it now stands, and send it;
6. build the tabs (the mail log included) and write what changed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import pickle
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from scoring.support import SupportSummary
from sync.alerts import (
    AlertPlan,
    MilestoneTrack,
    Track,
    _within_daily_limit,
    alert_code,
    digest_would_go,
    plan_alerts,
    plan_digest,
    plan_notices,
    sent_entry,
)
from sync.alerts_learning import plan_learning
from sync.codec import decode as decode_norm
from sync.codec import encode as encode_norm
from sync.codec import vocabulary
from sync.config import SourceConfig, WardConfig
from sync.evaluation import (
    Evaluation,
    Inputs,
    Tally,
    evaluate,
    evaluate_tally,
    roster_digest,
    summarize,
    unaddressable_problems,
    without_repeats,
)
from sync.guard import (
    ROSTER_ID,
    Shrink,
    lost_branches,
    response_shrink,
    roster_problem,
    roster_shrink,
    source_problem,
)
from sync.letters import FactsIndex, Letter, compose_letters, with_facts, within_limit
from sync.model import (
    Alert,
    AlertKind,
    Branch,
    DataProblem,
    LedgerEntry,
    RawResponse,
    Report,
    Roster,
    SourceKind,
    Table,
    Team,
)
from sync.normalize import SourceNormalizer, branch_reader, code_version
from sync.ports import (
    Backend,
    Destination,
    DocumentWriter,
    FetchResult,
    MailError,
    MailOutcomeUnknown,
    MailTransport,
    Probe,
    SourceError,
)
from sync.state import Diff, ReadCounts, StateStore, StoredRow
from sync.support import (
    cycle_teams,
    person_secret,
    roster_fingerprint,
    scrub_result,
    team_unaddressable,
    teams_digest,
    with_teams,
)
from sync.support_core import TeamIndex
from sync.values import clear_memos

log = logging.getLogger("kns")


def _mark(phase: str) -> None:
    """With -v: where the cycle is, and the process's peak memory so far (operators and
    the benchmark see which phase a large ward's memory goes to)."""
    if log.isEnabledFor(logging.DEBUG):
        import resource
        import time

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        log.debug(
            "Giai đoạn %s xong: %.1f s CPU, bộ nhớ cao nhất %.0f MB",
            phase,
            time.process_time(),
            peak,
        )


NORM_BATCH = 2000  # normalised responses written to the cache per transaction

__all__ = [
    "Backend",
    "CycleReport",
    "Inputs",
    "evaluate",
    "run_cycle",
    "settle_intents",
    "without_repeats",
    "unaddressable_problems",
]


@dataclass
class CycleReport:
    now: datetime
    evaluation: Evaluation | None  # None: an idle cycle (nothing changed, nothing due)
    plan: AlertPlan
    tables: tuple[Table, ...]
    sent: list[str] = field(default_factory=list)  # alert ids
    failed: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # keys of the messages that went out
    letters: list[Letter] = field(default_factory=list)  # the messages planned now
    recovered: dict[str, str] = field(default_factory=dict)  # alert id -> settled status
    stored: dict[str, str] = field(default_factory=dict)  # source id -> "new/changed/deleted"
    held: list[str] = field(default_factory=list)  # sources (or "roster") held back
    wrote_tables: bool = False
    last_summary: str = ""  # an idle cycle repeats the figures of the last evaluation
    ward_report: Report | None = None  # the year-end report's figures (full path only)
    # the teams' support logs of the year (Form E), when the ward reads them (full path only)
    support: SupportSummary | None = None
    report_path: Path | None = None  # where the cycle wrote it (``report.path``)

    @property
    def idle(self) -> bool:
        return self.evaluation is None

    def figures(self) -> str:
        ev = self.evaluation
        if ev is None:
            return self.last_summary
        late = sum(1 for s in ev.statuses if s.max_days_overdue > 0)
        return (
            f"{len(ev.statuses)} chi bộ ({late} quá hạn), {len(ev.members)} đảng viên, "
            f"{len(ev.problems)} lỗi dữ liệu"
        )

    def summary(self) -> str:
        head = self.figures()
        if self.idle:
            head = "Không có gì thay đổi kể từ lần tổng hợp trước" + (f" ({head})" if head else "")
        # messages, and the notices they carry (a branch's letter carries several)
        return (
            f"{head}; thư đã gửi: {len(self.messages)} ({len(self.sent)} thông báo), lỗi gửi: "
            f"{len(self.failed)}, chờ khung giờ gửi: {len(self.plan.waiting)}"
            + (
                f", chờ ngày sau (giới hạn gửi trong ngày): {len(self.plan.queued)}"
                if self.plan.queued
                else ""
            )
        )


# ---------------------------------------------------------------------------------------
# Settling what a killed cycle left
# ---------------------------------------------------------------------------------------


def settle_intents(
    store: StateStore, transport: MailTransport, now: datetime, *, resend_unknown: bool = False
) -> dict[str, str]:
    """Decide what happened to alerts a killed cycle left between intent and result.

    When the transport cannot tell (SMTP), ``resend_unknown`` chooses at-least-once (send
    again, maybe a duplicate) over the default at-most-once (never a duplicate)."""
    settled: dict[str, str] = {}
    for key, alert_ids in store.intent_messages().items():
        try:
            went_out = transport.was_sent(key)
        except MailError as e:
            # cannot ask now (Gmail search down): it stays an intent, never resent blindly
            log.warning("Chưa xác định được thư %s đã gửi hay chưa: %s", alert_code(key), e)
            continue
        for alert_id in alert_ids:
            _settle(store, alert_id, went_out, now, resend_unknown, settled)
    return settled


def _settle(
    store: StateStore,
    alert_id: str,
    went_out: bool | None,
    now: datetime,
    resend_unknown: bool,
    settled: dict[str, str],
) -> None:
    """One alert of a message left as an intent: sent, to send again, or unknown."""
    if went_out is True:
        store.record_result(alert_id, "sent", now=now)
        settled[alert_id] = "sent"
    elif went_out is False or resend_unknown:
        # provably not sent (or the ward chose at-least-once): the plan sends it again
        store.record_result(
            alert_id,
            "failed",
            now=now,
            error="Chu kỳ trước dừng giữa chừng trước khi gửi; sẽ gửi lại"
            if went_out is False
            else "Chu kỳ trước dừng giữa chừng; gửi lại (chế độ ít nhất một lần)",
        )
        settled[alert_id] = "failed"
    else:
        # the transport cannot tell (SMTP): at most once, never a duplicate
        store.record_result(
            alert_id,
            "unknown",
            now=now,
            error="Chu kỳ trước dừng giữa chừng; không xác định được thư đã đi hay chưa",
        )
        settled[alert_id] = "unknown"


def _resend_unknown(cfg: WardConfig) -> bool:
    smtp = cfg.mail.smtp
    return (
        cfg.mail.transport == "smtp"
        and smtp is not None
        and smtp.on_interrupted == ("at_least_once")
    )


def _cleanup(backend: Backend, now: datetime, store: StateStore) -> None:
    """What a killed process left: a cycle row "running" for ever, temporary files."""
    closed = store.close_interrupted_cycles(now)
    if closed:
        log.info("Đã đóng %d chu kỳ bị dừng đột ngột trước đây.", closed)
    for adapter in (backend.destination, backend.transport):
        cleanup = getattr(adapter, "cleanup", None)
        if cleanup is not None:
            try:
                cleanup()
            except OSError as e:  # a leftover file is not worth failing a cycle
                log.warning("Không dọn được tệp tạm: %s", e)


# ---------------------------------------------------------------------------------------
# The cycle
# ---------------------------------------------------------------------------------------


@dataclass
class _Read:
    """What reading the inputs gave."""

    roster: Roster | None  # None: not loaded (unchanged, and maybe not needed)
    roster_key: str
    problems: list[DataProblem]  # source-level: unreadable, held back, mapping drift
    pending: dict[str, Diff]  # dry run: what a read would change, not stored
    teams: tuple[Team, ...] = ()  # Form E: the team roster (sync/support.py)


def run_cycle(
    inputs: Inputs,
    store: StateStore,
    backend: Backend,
    now: datetime,
    *,
    dry_run: bool = False,
    accept_shrink: Sequence[str] = (),
) -> CycleReport:
    """One whole cycle. With dry_run nothing is stored, written or sent. The caller holds
    the ward's lock (``sync.lock.WardLock``) unless it is a dry run."""
    cfg = inputs.cfg
    now = now.astimezone(cfg.tz)
    cycle_id = None
    if not dry_run:
        _cleanup(backend, now, store)
        cycle_id = store.begin_cycle(now)
    try:
        recovered = (
            {}
            if dry_run
            else settle_intents(store, backend.transport, now, resend_unknown=_resend_unknown(cfg))
        )
        report = CycleReport(now=now, evaluation=None, plan=AlertPlan((), (), ()), tables=())
        report.recovered = recovered
        read = _read_inputs(inputs, store, backend, now, report, dry_run, set(accept_shrink))
        _mark("đọc nguồn")
        key = _evaluation_key(inputs, store, read, now)
        if not dry_run and not recovered and _idle(inputs, store, backend, key, now, report):
            assert cycle_id is not None
            from sync.health import record_health  # what waits, for `kns status`

            record_health(store, report.plan, report.held)
            store.finish_cycle(cycle_id, "idle", report.summary(), now)
            log.info("Chu kỳ %s: %s", now.isoformat(), report.summary())
            return report
        roster = _roster_of(inputs, store, read)
        evaluation = _evaluate(inputs, roster, read, store, now, dry_run=dry_run)
        report.evaluation = evaluation
        _mark("chuẩn hóa, tính điểm")
        # teams' milestones (scope: team) ride on the branch notices (sync/support.py)
        notice_roster, tracks, team_tracks = with_teams(
            cfg, roster, evaluation.statuses, read.teams, evaluation.support, now
        )
        # one letter per branch: its notices and its "Bình dân học vụ số" follow-up
        report.plan = _deliver(
            inputs,
            notice_roster,
            roster,
            tracks,
            evaluation,
            store,
            backend,
            now,
            report,
            dry_run=dry_run,
        )
        _mark("gửi thư")
        unaddressed, team_problems = team_unaddressable(report.plan.unaddressable)
        problems = (
            list(evaluation.problems) + unaddressable_problems(unaddressed, roster) + team_problems
        )
        # the tables and the year-end report are built on the full path only
        from sync.report import build_report, form_a_choices
        from sync.tables import build_tables

        report.support = _support_summary(inputs, evaluation, read.teams)
        report.ward_report = build_report(
            cfg,
            inputs.rubric,
            roster,
            evaluation.statuses,
            evaluation.members,
            evaluation.kpis,
            evaluation.history,
            now,
            learning=evaluation.learning,
            support=report.support,
            choices=form_a_choices(cfg, inputs.mappings),
        )
        report.tables = build_tables(
            cfg,
            inputs.rubric,
            roster,
            evaluation.statuses,
            evaluation.members,
            evaluation.kpis,
            problems,
            list(store.ledger().values()),
            now,
            evaluation.history,
            report.ward_report,
            learning=evaluation.learning,
        )
        if cfg.teams is not None:  # Form E: the teams' tab (sync/tables_support.py)
            from scoring.support import summarize_support
            from sync.config import concrete_milestones
            from sync.tables_support import support_table

            support = report.support or summarize_support(
                evaluation.support, read.teams, cfg.teams.targets, cfg.ward.year
            )
            stamp = now.astimezone(cfg.tz)
            team_states = [
                (m.title, {t.branch_code[5:]: ms for t in team_tracks for ms in t.milestones
                           if ms.milestone_id == m.id})
                for m in concrete_milestones(cfg)
                if m.scope == "team"
            ]  # fmt: skip
            report.tables = (
                *report.tables,
                support_table(support, read.teams, cfg.ward.year, stamp, milestones=team_states),
            )
        _mark("lập bảng")
        if not dry_run:
            assert cycle_id is not None
            report.wrote_tables = _write_tables(store, backend.destination, report.tables, now)
            _mark("ghi bảng")
            if backend.documents is not None:
                report.report_path = _write_report(store, backend.documents, report.ward_report)
                _mark("ghi báo cáo")
            _remember(store, key, notice_roster, evaluation, report, team_tracks)
            from sync.health import record_health  # what waits, for `kns status`

            record_health(store, report.plan, report.held)
            store.finish_cycle(cycle_id, "ok", report.summary(), now)
        log.info("Chu kỳ %s: %s", now.isoformat(), report.summary())
        return report
    except BaseException as e:
        if cycle_id is not None:
            from sync.health import failure_reason

            # a broken roster is config: the line staff were shown, not "ConfigError: …"
            store.finish_cycle(cycle_id, "error", failure_reason(e), now)
        raise


# ---------------------------------------------------------------------------------------
# 2. Reading the roster and the sources
# ---------------------------------------------------------------------------------------


def _read_inputs(
    inputs: Inputs,
    store: StateStore,
    backend: Backend,
    now: datetime,
    report: CycleReport,
    dry_run: bool,
    accept: set[str],
) -> _Read:
    read = _Read(None, "", [], {})
    _read_roster(inputs, store, backend, read, report, dry_run, accept)
    _mark("đọc danh sách")
    for s in inputs.cfg.sources:
        _read_source(inputs, s, store, backend, now, read, report, dry_run, accept)
        _mark(f"đọc nguồn {s.id}")
    return read


def _read_roster(
    inputs: Inputs,
    store: StateStore,
    backend: Backend,
    read: _Read,
    report: CycleReport,
    dry_run: bool,
    accept: set[str],
) -> None:
    """The roster, guarded: one that lost many branches, members or staff ("Bình dân học vụ
    số") at once is held back (the stored one is used) until staff accept it."""
    source = inputs.roster_source or backend.roster_source
    previous = _probe_of(store.meta("roster_probe"))
    forced = ROSTER_ID in accept
    held = store.held(ROSTER_ID)
    probe = None
    if source is not None and not inputs.roster_loaded:
        probe = source.probe(previous)
    if probe is not None and probe == previous and not forced and not held:
        read.roster_key = store.meta("roster_key") or probe.content
        return  # unchanged: loaded only if the cycle turns out not to be idle
    roster = inputs.roster  # ConfigError (a broken roster) ends the cycle: it is config
    key = probe.content if probe is not None else roster_digest(roster)
    read.roster, read.roster_key = roster, key
    if key == store.meta("roster_key") and not held:
        if not dry_run and probe is not None:
            store.set_meta("roster_probe", json.dumps([probe.stat, probe.content]))
        return
    stored = _stored_roster(store)
    shrink = None
    if stored is not None and not forced and not inputs.cfg.roster.accept_shrink:
        shrink = roster_shrink(stored, roster, max_share=inputs.cfg.shrink_guard.max_removed_share)
    if shrink is not None and stored is not None:
        label = source.label if source is not None else "roster"
        problem = roster_problem(label, shrink)
        log.warning("%s bị giữ lại: %s", problem.source, shrink.detail)
        read.roster = stored
        read.roster_key = store.meta("roster_key") or roster_digest(stored)
        read.problems.append(problem)
        report.held.append(ROSTER_ID)
        if not dry_run:
            store.set_held(ROSTER_ID, [problem])
        return
    if not dry_run:
        with store.transaction():
            store.set_blob("roster", zlib.compress(pickle.dumps(roster, protocol=5), 1))
            store.set_meta("roster_key", key)
            store.set_meta("roster_probe", json.dumps([probe.stat, probe.content]) if probe else "")
            store.set_held(ROSTER_ID, [])


def _roster_of(inputs: Inputs, store: StateStore, read: _Read) -> Roster:
    """The cycle's roster. When its files did not change, the copy the state keeps of it
    (unpickled in a fraction of the time parsing and checking 100,000 members takes)."""
    if read.roster is None:
        stored = None if inputs.roster_loaded else _stored_roster(store)
        read.roster = stored if stored is not None else inputs.roster
    return read.roster


def _stored_roster(store: StateStore) -> Roster | None:
    blob = store.blob("roster")
    if blob is None:
        return None
    try:
        roster = pickle.loads(zlib.decompress(blob))
    except Exception:  # an unreadable snapshot is no reason to hold a roster back
        return None
    return roster if isinstance(roster, Roster) else None


def _probe_of(text: str | None) -> Probe | None:
    if not text:
        return None
    stat, content = json.loads(text)
    return Probe(stat, content)


def _source_title(inputs: Inputs, s: SourceConfig) -> str:
    return s.title or inputs.mappings[s.id].title


def _read_source(
    inputs: Inputs,
    s: SourceConfig,
    store: StateStore,
    backend: Backend,
    now: datetime,
    read: _Read,
    report: CycleReport,
    dry_run: bool,
    accept: set[str],
) -> None:
    source = backend.sources[s.id]
    forced = s.id in accept
    previous = store.probe(s.id)
    probe: Probe | None = None
    probe_of = getattr(source, "probe", None)
    if probe_of is not None:
        try:
            probe = probe_of(Probe(*previous) if previous else None)
        except OSError:
            probe = None  # the fetch below says what is wrong with the file
        unchanged = probe is not None and previous == (probe.stat, probe.content)
        # a source held back or unreadable is read again every cycle until it is fixed
        if unchanged and not forced and not store.held(s.id):
            return
    try:
        result = source.fetch(store.cursor(s.id), now)
    except SourceError as e:
        _unreadable(inputs, s, store, read, str(e), dry_run)
        return
    except Exception as e:  # a bug in an adapter must not stop the other sources
        log.exception("Nguồn %s: lỗi không lường trước khi đọc", s.id)
        reason = f"lỗi không lường trước ({type(e).__name__})"
        _unreadable(inputs, s, store, read, reason, dry_run)
        return
    read.problems += result.problems
    if inputs.mappings[s.id].kind == SourceKind.SUPPORT_LOG:
        # citizens' names and phones become keyed hashes before anything is stored
        secret = person_secret(store, create=not dry_run)
        result = scrub_result(inputs.mappings[s.id], result, secret)
    guarded = result.complete and not result.authoritative and not forced and not s.accept_shrink
    form_a = inputs.mappings[s.id].kind == SourceKind.BRANCH_STATS
    branch_of = before = None
    after: dict[str, str] = {}
    if guarded and form_a and _changes_anything(store, s.id, result):
        # a branch losing its only report: form A is small, its branches are read here
        branch_of, before = _branches_before(inputs, s, store, result, read)

    def observe(r: RawResponse) -> None:
        if branch_of is not None and r.keyed_by == "title":
            after[r.response_id] = branch_of(r)

    def decide(counts: ReadCounts) -> Shrink | None:
        if not guarded or not (counts.removed or counts.new or counts.changed):
            return None
        lost = lost_branches(before, after) if before is not None else set()
        return response_shrink(
            counts.stored,
            counts.removed,
            counts.read,
            max_share=inputs.cfg.shrink_guard.max_removed_share,
            lost_branches=lost,
        )

    if dry_run:  # what a real cycle would do, nothing stored: the guard holds it back too
        diff = store.diff(s.id, result.responses, complete=result.complete)
        for r in result.responses:
            observe(r)
        c = diff.changes
        held = decide(ReadCounts(diff.stored_count, len(diff.new_ids), c.new, c.changed, c.deleted))
        if held is None:
            read.pending[s.id] = diff
            return
    else:
        changes, held = store.apply_read(
            s.id,
            result.responses,
            complete=result.complete,
            now=now,
            cursor=result.cursor,
            titles=result.question_titles,
            decide=decide,
            observe=observe,
        )
    if isinstance(held, Shrink):
        problem = source_problem(_source_title(inputs, s), s.id, held)
        log.warning(
            "Nguồn %s bị giữ lại (từ %d xuống %d câu trả lời): %s",
            s.id,
            held.before,
            held.after,
            held.detail,
        )
        read.problems.append(problem)
        report.held.append(s.id)
        if not dry_run:
            store.set_held(s.id, [problem])
        return
    with store.transaction():
        store.set_held(s.id, [])
        store.set_probe(s.id, (probe.stat, probe.content) if probe else None)
    report.stored[s.id] = f"{changes.new} mới, {changes.changed} sửa, {changes.deleted} xóa"


def _unreadable(
    inputs: Inputs,
    s: SourceConfig,
    store: StateStore,
    read: _Read,
    reason: str,
    dry_run: bool,
) -> None:
    """A source that cannot be read keeps its stored responses; staff read why."""
    log.warning("Nguồn %s: không đọc được (%s)", s.id, reason)
    problem = DataProblem(
        source=_source_title(inputs, s),
        record="",
        field="",
        raw_value=str(s.file or s.form_id or s.spreadsheet_id or ""),
        reason=f"Không đọc được nguồn: {reason}. Dùng dữ liệu đã lưu từ lần đọc trước.",
    )
    read.problems.append(problem)
    if not dry_run:
        store.set_held(s.id, [problem])


def _changes_anything(store: StateStore, source_id: str, result: FetchResult) -> bool:
    """Whether a complete read of a (small) source differs from what is stored."""
    stored = store.stored_hashes(source_id)
    if not stored:
        return False  # nothing stored: nothing to lose
    if len(stored) != len(result.responses):
        return True
    return any(stored.get(r.response_id) != store.fingerprint(r)[0] for r in result.responses)


def _branches_before(
    inputs: Inputs, s: SourceConfig, store: StateStore, result: FetchResult, read: _Read
) -> tuple[Callable[[RawResponse], str], dict[str, str]]:
    """How to tell a form A row's branch, and the branch of every stored row."""
    stored = [r for r in store.responses(s.id) if r.keyed_by == "title"]
    keys: dict[str, None] = {}
    for r in stored:
        keys.update(dict.fromkeys(r.answers))
    for r in result.responses:
        if r.keyed_by == "title":
            keys.update(dict.fromkeys(r.answers))
            break  # a table's rows share their titles
    branch_of = branch_reader(inputs.mappings[s.id], list(keys), _roster_of(inputs, store, read))
    return branch_of, {r.response_id: branch_of(r) for r in stored}


# ---------------------------------------------------------------------------------------
# 3. Idle
# ---------------------------------------------------------------------------------------


def _evaluation_key(inputs: Inputs, store: StateStore, read: _Read, now: datetime) -> str:
    """Everything an evaluation depends on but the clock's minute: if this equals the key
    of the last evaluation, evaluating again would give the same tables."""
    cfg = inputs.cfg
    parts = [
        code_version(),
        cfg.model_dump_json(),
        inputs.rubric.model_dump_json(),
        [inputs.mappings[s.id].model_dump_json() for s in cfg.sources],
        read.roster_key,
        roster_fingerprint(cfg.teams.roster if cfg.teams else None),
        store.generation(),
        [p.__dict__ for p in read.problems],
        now.astimezone(cfg.tz).date().isoformat(),
    ]
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _idle(
    inputs: Inputs,
    store: StateStore,
    backend: Backend,
    key: str,
    now: datetime,
    report: CycleReport,
) -> bool:
    """True when nothing changed since the last evaluation and no alert is due now: the
    cycle stops without normalising, scoring or writing."""
    if store.meta("evaluation_key") != key:
        return False
    destination = backend.destination
    intact = getattr(destination, "intact", None)
    if intact is not None and not intact(store.tab_hashes(destination.name)):
        return False
    where = getattr(backend.documents, "path", None)
    if isinstance(where, Path) and not where.exists():
        return False  # the year-end report was deleted: write it again
    basis = _basis(store)
    if basis is None:
        return False
    if store.meta("learning_waiting"):
        return False  # a learning follow-up waits for the send window: the full path sends it
    branches, tracks = basis
    cfg = inputs.cfg
    plan = plan_alerts(cfg, Roster(branches, ()), tracks, store.ledger(), now)
    if plan.due:
        return False  # the clock made alerts due: the full path sends them
    report.plan = plan
    report.last_summary = store.meta("evaluation_summary") or ""
    return True


def _basis(store: StateStore) -> tuple[tuple[Branch, ...], tuple[Track, ...]] | None:
    """What the last evaluation left for planning alerts without evaluating again."""
    blob = store.blob("alert_basis")
    if blob is None:
        return None
    try:
        branches, tracks = pickle.loads(zlib.decompress(blob))
    except Exception:
        return None
    return branches, tracks


def _support_summary(
    inputs: Inputs, evaluation: Evaluation, teams: Sequence[Team]
) -> SupportSummary | None:
    """The teams' year (the tab's and the report's figures), when a support log is read:
    a team roster without logs would report zeros nobody measured."""
    cfg = inputs.cfg
    if cfg.teams is None or not any(
        inputs.mappings[s.id].kind == SourceKind.SUPPORT_LOG for s in cfg.sources
    ):
        return None
    from scoring.support import summarize_support

    return summarize_support(evaluation.support, teams, cfg.teams.targets, cfg.ward.year)


def _day_start(at: datetime) -> datetime:
    """The report's date line names the day: a later minute must not rewrite the report."""
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def _write_report(store: StateStore, documents: DocumentWriter, ward_report: Report) -> Path | None:
    """Rewrite the year-end report when its content (or its date line) changed, or the file
    is gone: a province's draft takes seconds to render. A report that cannot be written is
    one line in the log; the cycle (tabs written, mail sent) stands."""
    key = hashlib.sha256(
        repr(dataclasses.replace(ward_report, as_of=_day_start(ward_report.as_of))).encode()
    ).hexdigest()
    where = getattr(documents, "path", None)
    if store.meta("report_key") == key and isinstance(where, Path) and where.exists():
        return where
    try:
        path = documents.write_report(ward_report)
    except OSError as e:
        log.error("Không ghi được báo cáo tổng kết (Biểu mẫu 03): %s", e)
        return None
    store.set_meta("report_key", key)
    return path


def _remember(
    store: StateStore,
    key: str,
    roster: Roster,
    evaluation: Evaluation,
    report: CycleReport,
    team_tracks: Sequence[MilestoneTrack] = (),
) -> None:
    """After a whole successful cycle: what the next one needs to know it is idle."""
    tracks = tuple(MilestoneTrack(s.branch_code, tuple(s.milestones)) for s in evaluation.statuses)
    tracks += tuple(team_tracks)  # Form E teams (scope: team), as pseudo-branches
    basis = zlib.compress(pickle.dumps((roster.branches, tracks), protocol=5), 1)
    with store.transaction():
        store.set_blob("alert_basis", basis)
        store.set_meta("evaluation_key", key)
        store.set_meta("evaluation_summary", report.figures())


# ---------------------------------------------------------------------------------------
# 4. Evaluating, from the cache of normalised responses
# ---------------------------------------------------------------------------------------


def _evaluate(
    inputs: Inputs,
    roster: Roster,
    read: _Read,
    store: StateStore,
    now: datetime,
    *,
    dry_run: bool,
) -> Evaluation:
    from sync.matching import RosterIndex

    cfg = inputs.cfg
    index = RosterIndex(roster)
    tally = Tally(inputs.rubric)
    problems: list[DataProblem] = list(read.problems)
    support = any(inputs.mappings[s.id].kind == SourceKind.SUPPORT_LOG for s in cfg.sources)
    read.teams, team_problems = cycle_teams(cfg.teams, support, None if dry_run else store)
    problems += team_problems
    team_index = TeamIndex(read.teams)
    secret = person_secret(store, create=not dry_run) if support else b""
    for s in cfg.sources:
        is_support = inputs.mappings[s.id].kind == SourceKind.SUPPORT_LOG
        normalizer = SourceNormalizer(
            s,
            inputs.mappings[s.id],
            inputs.rubric,
            roster,
            year=cfg.ward.year,
            tz=cfg.tz,
            index=index,
            teams=team_index if is_support else None,
            secret=secret if is_support else b"",
        )
        pending = read.pending.get(s.id)
        if pending is None:
            kinds = store.keyed_by(s.id)
            title_keys = store.title_keys(s.id) if "title" in kinds else []
            qids = store.question_ids(s.id)
        else:  # dry run: the keys of the rows as the read would leave them
            kinds, title_keys, qids = _keys_of(store, s.id, pending)
        titles = store.titles(s.id)
        bound: list[object] = []
        if "title" in kinds:
            normalizer.bind("title", title_keys)
            bound.append(["title", title_keys])
        if "question_id" in kinds:
            normalizer.bind("question_id", qids, titles)
            bound.append(["question_id", qids, titles])
        problems += normalizer.source_problems
        if is_support:  # a log's team depends on the team roster
            bound.append(["teams", teams_digest(read.teams)])
        context = _context_key(inputs, s, read.roster_key, bound)
        vocab = vocabulary(inputs.rubric, inputs.mappings[s.id])
        use_cache = store.norm_key(s.id) == context
        if not use_cache and not dry_run:
            store.reset_norms(s.id, context)
            use_cache = True
        fresh: list[tuple[int, bytes, bytes]] = []
        rubric = inputs.rubric
        for row in _rows(store, s.id, pending):
            if use_cache and row.norm is not None:
                summary, found = decode_norm(row.norm, s.id, vocab)
            else:
                raw = store.decode(s.id, row.response_id, row.raw)
                record, found = normalizer.row(raw)
                summary = summarize(record, rubric) if record is not None else None
                if not dry_run:
                    fresh.append((row.answer_id, row.hash, encode_norm(summary, found, vocab)))
                    if len(fresh) >= NORM_BATCH:
                        store.save_norms(s.id, fresh)
                        fresh = []
            if summary is not None:
                tally.add_summary(summary)
            if found:
                problems += found
        if fresh:
            store.save_norms(s.id, fresh)
    clear_memos()  # what the normalisers memoised is not needed by the rest of the cycle
    return evaluate_tally(cfg, inputs.rubric, roster, tally, problems, now)


def _rows(store: StateStore, source_id: str, pending: Diff | None) -> Iterator[StoredRow]:
    """The stored rows, or (dry run) the rows as the pending read would leave them."""
    if pending is None:
        yield from store.rows(source_id)
        return
    gone = set(pending.removed) | {u[0] for u in pending.upserts}
    for row in store.rows(source_id):
        if row.response_id not in gone:
            yield row
    for rid, h, encoded, _ in pending.upserts:
        yield StoredRow(rid, h, encoded, None)


def _keys_of(
    store: StateStore, source_id: str, pending: Diff
) -> tuple[set[str], list[str], list[str]]:
    kinds: set[str] = set()
    title_keys: dict[str, None] = {}
    qids: dict[str, None] = {}
    for row in _rows(store, source_id, pending):
        raw = store.decode(source_id, row.response_id, row.raw)
        kinds.add(raw.keyed_by)
        (title_keys if raw.keyed_by == "title" else qids).update(dict.fromkeys(raw.answers))
    return kinds, list(title_keys), list(qids)


def _context_key(inputs: Inputs, s: SourceConfig, roster_key: str, bound: list[object]) -> str:
    """What a normalised response depends on besides its own answers."""
    cfg = inputs.cfg
    parts = [
        code_version(),
        s.model_dump(mode="json"),
        inputs.mappings[s.id].model_dump(mode="json"),
        inputs.rubric.model_dump(mode="json"),
        roster_key,
        cfg.ward.year,
        cfg.ward.timezone,
        bound,
    ]
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------
# 5. Delivering the alerts
# ---------------------------------------------------------------------------------------


@dataclass
class LetterPlan:
    """The messages due now (one letter per branch; staff and team messages alone)."""

    letters: list[Letter]  # to send now, within today's sending limit
    held: list[Letter]  # due, over today's limit (mail.daily_limit): a later day
    waiting: tuple[Alert, ...]  # due, outside the send window
    unaddressable: tuple[Alert, ...]  # due, nobody to address
    staff_learning: tuple[Alert, ...]  # the staff's learning summary: after the digest
    learning_pending: bool  # a learning follow-up waits (window or limit)

    def alerts(self, digest: AlertPlan, staff_sent: Sequence[Alert] = ()) -> AlertPlan:
        """What the plan says of every alert, the digest's plan after the letters'."""
        staff_held = tuple(a for a in self.staff_learning if a not in staff_sent)
        return (
            AlertPlan(
                tuple(a for x in self.letters for a in x.items),
                self.waiting,
                self.unaddressable,
                tuple(a for x in self.held for a in x.items),
            )
            .with_digest(digest)
            .with_digest(AlertPlan(tuple(staff_sent), (), (), staff_held))
        )


def plan_letters(
    inputs: Inputs,
    notice_roster: Roster,
    roster: Roster,
    tracks: Sequence[Track],
    evaluation: Evaluation,
    ledger: Mapping[str, LedgerEntry],
    now: datetime,
    *,
    went_out: Callable[[Alert], bool] = lambda alert: False,
) -> LetterPlan:
    """The branch notices and learning follow-ups due now, bundled into one letter per
    branch (``sync.letters``), within today's sending limit (one message kept for the
    weekly digest when it is due). ``went_out``: an alert whose earlier send failed but
    went out after all (the shell asks the transport); it is left out."""
    cfg = inputs.cfg
    notices = plan_notices(cfg, notice_roster, tracks, ledger, now, limit=False)
    learning = plan_learning(cfg, roster, evaluation.learning, ledger, now, limit=False)
    follow_ups = [a for a in learning.due if a.kind is AlertKind.LEARNING]
    staff_learning = tuple(a for a in learning.due if a.kind is not AlertKind.LEARNING)
    items = [a for a in (*notices.due, *follow_ups) if a.alert_id not in ledger or not went_out(a)]
    # what a letter says of its branch is added when it is rendered (_with_facts)
    letters = compose_letters(cfg, notice_roster, items, {}, now)
    reserve = 1 if digest_would_go(cfg, tracks, ledger, now) else 0
    today = now.astimezone(cfg.tz).date()
    letters, held = within_limit(cfg, letters, ledger, today, reserve=reserve)
    return LetterPlan(
        letters,
        held,
        (*notices.waiting, *learning.waiting),
        (*notices.unaddressable, *learning.unaddressable),
        staff_learning,
        bool(learning.waiting or any(a.kind is AlertKind.LEARNING for x in held for a in x.items)),
    )


def _deliver(
    inputs: Inputs,
    notice_roster: Roster,
    roster: Roster,
    tracks: Sequence[Track],
    evaluation: Evaluation,
    store: StateStore,
    backend: Backend,
    now: datetime,
    report: CycleReport,
    *,
    dry_run: bool = False,
) -> AlertPlan:
    """The letters first; the digest after them, from the ledger as it then stands; the
    staff's learning summary last. A dry run plans the same and sends nothing."""
    cfg = inputs.cfg
    transport = backend.transport
    ledger = store.ledger()

    def went_out(alert: Alert) -> bool:
        entry = ledger[alert.alert_id]
        return _went_out_after_all(entry, store, transport, now)

    planned = plan_letters(
        inputs,
        notice_roster,
        roster,
        tracks,
        evaluation,
        ledger,
        now,
        went_out=(lambda alert: False) if dry_run else went_out,
    )
    report.letters = planned.letters

    index = FactsIndex(cfg, inputs.mappings, notice_roster, evaluation.members, evaluation.problems)

    def enrich(letters: Sequence[Letter]) -> list[Letter]:
        codes = {x.message.branch_code for x in letters if x.message.kind is AlertKind.LETTER}
        facts = index.facts(codes)
        return [with_facts(x, facts.get(x.message.branch_code)) for x in letters]

    if dry_run:
        after = {
            **ledger,
            **{a.alert_id: sent_entry(a, now) for x in planned.letters for a in x.items},
        }
        digest = plan_digest(cfg, notice_roster, tracks, after, now, queued_count=len(planned.held))
        singles = (*digest.due, *planned.staff_learning)
        report.letters = [*enrich(planned.letters), *(Letter(a, (a,)) for a in singles)]
        return planned.alerts(digest, planned.staff_learning)
    _send_all(inputs, planned.letters, store, transport, now, report, enrich)
    digest = plan_digest(
        cfg, notice_roster, tracks, store.ledger(), now, queued_count=len(planned.held)
    )
    _send_all(inputs, [Letter(a, (a,)) for a in digest.due], store, transport, now, report)
    # the staff's learning summary waits behind every campaign message for today's room
    staff, staff_held = _within_daily_limit(
        cfg, list(planned.staff_learning), store.ledger(), now.astimezone(cfg.tz).date()
    )
    _send_all(inputs, [Letter(a, (a,)) for a in staff], store, transport, now, report)
    store.set_meta("learning_waiting", "1" if planned.learning_pending or staff_held else "")
    return planned.alerts(digest, staff)


def _send_all(
    inputs: Inputs,
    letters: Sequence[Letter],
    store: StateStore,
    transport: MailTransport,
    now: datetime,
    report: CycleReport,
    enrich: Callable[[Sequence[Letter]], list[Letter]] = list,
) -> None:
    """Each letter: intent of every alert it carries (committed) -> send -> result. Where
    the transport can tell after a crash whether a message left (the outbox, Gmail),
    intents and results are committed a batch at a time; SMTP, which cannot, goes one
    message at a time."""
    batch_size = max(1, int(getattr(transport, "batch_size", 1)))
    for start in range(0, len(letters), batch_size):
        batch = enrich(letters[start : start + batch_size])
        _send_batch(inputs, batch, store, transport, now, report)


def _send_batch(
    inputs: Inputs,
    letters: Sequence[Letter],
    store: StateStore,
    transport: MailTransport,
    now: datetime,
    report: CycleReport,
) -> None:
    from sync.mail import render_alert

    cfg = inputs.cfg
    ready: list[tuple[Letter, EmailMessage]] = []
    for letter in letters:
        try:
            message = render_alert(
                letter.message,
                templates_dir=cfg.mail.templates,
                sender=cfg.mail.sender,
                reply_to=cfg.mail.reply_to,
                ward_name=cfg.ward.name,
                now=now,
            )
        except MailError as e:
            _record_failure(store, letter, str(e), now, report)
            continue
        ready.append((letter, message))
    with store.transaction():
        for letter, message in ready:
            subject = getattr(message, "subject_text", "") or str(message["Subject"])
            for alert in letter.items:
                _record_intent(store, alert, subject, now, letter.key, letter.message)
    # (letter, status, error or "")
    results: list[tuple[Letter, Literal["sent", "failed", "unknown"], str]] = []
    for letter, message in ready:
        try:
            transport.send(letter.key, message)
        except MailOutcomeUnknown as e:
            # maybe delivered: at most once unless the ward chose at-least-once
            unknown: Literal["failed", "unknown"] = (
                "failed" if _resend_unknown(cfg) else "unknown"
            )
            results.append((letter, unknown, str(e)))
            log.warning("Không rõ thư %s đã đi hay chưa: %s", alert_code(letter.key), e)
            continue
        except MailError as e:
            results.append((letter, "failed", str(e) or "Lỗi gửi thư"))
            log.warning("Không gửi được thư %s: %s", alert_code(letter.key), e)
            continue
        results.append((letter, "sent", ""))
    flush = getattr(transport, "flush", None)
    if flush is not None:
        flush()  # the messages are durable before the ledger says "sent"
    with store.transaction():
        for letter, status, error in results:
            for alert in letter.items:
                if status == "sent":
                    store.record_result(alert.alert_id, "sent", now=now)
                    report.sent.append(alert.alert_id)
                else:
                    store.record_result(alert.alert_id, status, now=now, error=error)
                    report.failed.append(alert.alert_id)
            if status == "sent":
                report.messages.append(letter.key)


def _record_intent(
    store: StateStore,
    alert: Alert,
    subject: str,
    now: datetime,
    message_key: str,
    message: Alert,
) -> None:
    recipients = "; ".join(message.to) + (f" (Cc: {'; '.join(message.cc)})" if message.cc else "")
    store.record_intent(
        alert.alert_id,
        kind=str(alert.kind),
        branch_code=alert.branch_code,
        milestone_id=alert.milestone_id,
        recipients=recipients,
        subject=subject,
        now=now,
        message_key=message_key,
    )


def _record_failure(
    store: StateStore, letter: Letter, error: str, now: datetime, report: CycleReport
) -> None:
    with store.transaction():
        for alert in letter.items:
            _record_intent(store, alert, "", now, letter.key, letter.message)
            store.record_result(alert.alert_id, "failed", now=now, error=error)
            report.failed.append(alert.alert_id)
    log.warning("Không tạo được thư %s: %s", alert_code(letter.key), error)


def _went_out_after_all(
    entry: LedgerEntry, store: StateStore, transport: MailTransport, now: datetime
) -> bool:
    """An alert whose earlier send failed may have gone out all the same (Gmail answered
    5xx after sending, and its search lagged): ask again, about the message that carried
    it, before sending it twice. True when it must not be sent now."""
    key = entry.message_key or entry.alert_id
    try:
        went_out = transport.was_sent(key)
    except MailError as e:
        log.warning("Chưa gửi lại thư %s: không kiểm tra được thư đã gửi (%s)", alert_code(key), e)
        return True  # the next cycle asks again
    if went_out:
        store.record_result(entry.alert_id, "sent", now=now)
        return True
    return False


# ---------------------------------------------------------------------------------------
# 6. Writing the tabs
# ---------------------------------------------------------------------------------------


def _write_tables(
    store: StateStore, destination: Destination, tables: Sequence[Table], now: datetime
) -> bool:
    """Write the tabs that changed since the last successful write (the destination
    decides what "changed" means for it); remember what it reports."""
    written = destination.write(tables, store.tab_hashes(destination.name))
    if written is None:
        return False
    store.set_tab_hashes(destination.name, written.items(), now)
    return True
