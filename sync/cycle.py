"""One sync cycle: the pure core (`evaluate`) and the thin shell around it (`run_cycle`).

The shell's order is what makes "never twice, never lost" hold:
1. settle alerts a previous, interrupted cycle left as intents;
2. read every source and store what it returned (a source that fails keeps its stored
   responses and becomes a data problem);
3. evaluate (pure) and plan the alerts (pure);
4. send each due alert: ledger intent (committed) -> send -> ledger result;
5. build the tabs (the mail log included) and write them.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from scoring.branches import branch_statuses
from scoring.kpis import ward_kpis
from scoring.members import member_results
from scoring.rubric import Rubric, load_rubric
from sync.alerts import AlertPlan, plan_alerts
from sync.config import WardConfig
from sync.errors import ConfigError
from sync.latest import latest_by
from sync.mail import MailError, MailTransport, render_alert
from sync.mapping import FormMapping, load_mapping
from sync.model import (
    Alert,
    BranchReport,
    BranchStatus,
    DataProblem,
    KpiResult,
    LearningRecord,
    MemberResult,
    NormalizedSource,
    RawResponse,
    Registration,
    Roster,
    ScoreSheet,
    Table,
)
from sync.normalize import normalize_source
from sync.roster import load_roster
from sync.sources.files import FetchResult, FileSource, SourceError
from sync.state import StateStore
from sync.tables import build_tables

log = logging.getLogger("kns")

MAIL_SOURCE = "Gửi thư"


class Source(Protocol):
    source_id: str

    def fetch(self, cursor: str | None = None) -> FetchResult: ...


class Destination(Protocol):
    name: str

    def write(self, tables: Sequence[Table]) -> None: ...

    def exists(self) -> bool: ...


@dataclass(frozen=True)
class Inputs:
    """Everything the core reads from configuration, loaded and validated once."""

    cfg: WardConfig
    rubric: Rubric
    mappings: Mapping[str, FormMapping]  # by source id
    roster: Roster


def load_inputs(cfg: WardConfig) -> Inputs:
    """Load rubric, mappings and roster; every problem is reported at once."""
    problems: list[str] = []
    rubric = mappings = roster = None
    try:
        rubric = load_rubric(cfg.rubric)
    except ConfigError as e:
        problems += e.problems
    loaded: dict[str, FormMapping] = {}
    for s in cfg.sources:
        try:
            m = load_mapping(s.mapping)
        except ConfigError as e:
            problems += e.problems
            continue
        if m.kind != s.kind:
            problems.append(
                f"{s.mapping}: tệp ánh xạ dành cho loại '{m.kind}', nhưng nguồn '{s.id}' "
                f"khai báo loại '{s.kind}'"
            )
        loaded[s.id] = m
    mappings = loaded
    try:
        roster = load_roster(cfg.roster.branches, cfg.roster.members)
    except ConfigError as e:
        problems += e.problems
    if problems or rubric is None or roster is None:
        raise ConfigError(problems)
    return Inputs(cfg=cfg, rubric=rubric, mappings=mappings, roster=roster)


# ---------------------------------------------------------------------------------------
# The pure core
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    normalized: tuple[NormalizedSource, ...]
    problems: tuple[DataProblem, ...]
    members: tuple[MemberResult, ...]
    statuses: tuple[BranchStatus, ...]
    kpis: tuple[KpiResult, ...]


def evaluate(
    inputs: Inputs,
    responses: Mapping[str, Sequence[RawResponse]],
    now: datetime,
    *,
    question_titles: Mapping[str, Mapping[str, str]] | None = None,
    source_problems: Sequence[DataProblem] = (),
) -> Evaluation:
    """Normalise every source, then score members, branches and the ward's KPIs."""
    cfg, rubric, roster = inputs.cfg, inputs.rubric, inputs.roster
    now = now.astimezone(cfg.tz)
    normalized = tuple(
        normalize_source(
            s,
            inputs.mappings[s.id],
            rubric,
            roster,
            responses.get(s.id, ()),
            year=cfg.ward.year,
            tz=cfg.tz,
            question_titles=(question_titles or {}).get(s.id),
        )
        for s in cfg.sources
    )
    records = [r for ns in normalized for r in ns.records]
    reports = [r for r in records if isinstance(r, BranchReport)]
    registrations = [r for r in records if isinstance(r, Registration)]
    sheets = [r for r in records if isinstance(r, ScoreSheet)]
    learning = [r for r in records if isinstance(r, LearningRecord) and r.member_code]

    members = member_results(
        rubric,
        roster,
        latest_by(registrations, lambda r: r.member_code),
        latest_by(sheets, lambda r: (r.member_code, r.scorer)),
        latest_by(learning, lambda r: r.member_code),
    )
    statuses = branch_statuses(
        roster,
        cfg.milestones,
        reports,
        registrations,
        sheets,
        members,
        today=now.date(),
        due_soon_days=cfg.alerts.due_soon_days,
    )
    kpis = ward_kpis(rubric, roster, statuses, members)
    problems = tuple(source_problems) + tuple(p for ns in normalized for p in ns.problems)
    return Evaluation(normalized, problems, members, statuses, kpis)


def unaddressable_problems(alerts: Sequence[Alert], roster: Roster) -> list[DataProblem]:
    """An alert nobody can receive is a data problem in the roster, not a silent skip."""
    out = []
    for a in alerts:
        if a.branch_code:
            b = roster.branch(a.branch_code)
            out.append(
                DataProblem(
                    source=MAIL_SOURCE,
                    record=f"{b.code} - {b.name}",
                    field="Email bí thư",
                    raw_value="",
                    reason=(
                        "Chi bộ chưa có địa chỉ email của bí thư trong danh sách chi bộ: "
                        f"không gửi được thông báo {a.alert_id}"
                    ),
                    branch_code=b.code,
                )
            )
        else:
            out.append(
                DataProblem(
                    source=MAIL_SOURCE,
                    record="",
                    field="mail.ward_staff",
                    raw_value="",
                    reason=f"Chưa khai báo email cán bộ Đảng ủy: không gửi được {a.alert_id}",
                )
            )
    return out


def tables_hash(tables: Sequence[Table]) -> str:
    h = hashlib.sha256()
    for t in tables:
        h.update(repr(t.content_key()).encode("utf-8"))
    return h.hexdigest()


# ---------------------------------------------------------------------------------------
# The shell
# ---------------------------------------------------------------------------------------


@dataclass
class Backend:
    sources: dict[str, Source]
    destination: Destination
    transport: MailTransport


def embedded_backend(cfg: WardConfig) -> Backend:
    """CSV/XLSX exports in; an XLSX workbook and .eml files (or SMTP) out."""
    import os

    from sync.outputs.outbox import OutboxTransport
    from sync.outputs.smtp import SmtpTransport
    from sync.outputs.xlsx import XlsxDestination

    sources: dict[str, Source] = {}
    for s in cfg.sources:
        if s.file is None:
            raise ConfigError(
                [f"nguồn '{s.id}': chế độ ngoại tuyến cần 'file' (tệp .csv/.xlsx tải về)"]
            )
        sources[s.id] = FileSource(s.id, s.file, s.sheet)
    if cfg.destination.kind != "xlsx" or cfg.destination.path is None:
        raise ConfigError(["destination: chế độ ngoại tuyến chỉ ghi ra tệp .xlsx"])
    destination = _XlsxTarget(XlsxDestination(cfg.destination.path), cfg.destination.path)
    transport: MailTransport
    if cfg.mail.transport == "smtp":
        assert cfg.mail.smtp is not None  # validated by MailConfig
        transport = SmtpTransport(cfg.mail.smtp, os.environ)
    else:
        assert cfg.mail.outbox_dir is not None
        transport = OutboxTransport(cfg.mail.outbox_dir)
    return Backend(sources=sources, destination=destination, transport=transport)


class _XlsxTarget:
    def __init__(self, writer: object, path: Path) -> None:
        self._writer = writer
        self._path = path
        self.name = f"xlsx:{path}"

    def write(self, tables: Sequence[Table]) -> None:
        self._writer.write(tables)  # type: ignore[attr-defined]

    def exists(self) -> bool:
        return self._path.exists()


@dataclass
class CycleReport:
    now: datetime
    evaluation: Evaluation
    plan: AlertPlan
    tables: tuple[Table, ...]
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    recovered: dict[str, str] = field(default_factory=dict)  # alert id -> settled status
    stored: dict[str, str] = field(default_factory=dict)  # source id -> "new/changed/deleted"
    wrote_tables: bool = False

    def summary(self) -> str:
        ev = self.evaluation
        late = sum(1 for s in ev.statuses if s.max_days_overdue > 0)
        return (
            f"{len(ev.statuses)} chi bộ ({late} quá hạn), {len(ev.members)} đảng viên, "
            f"{len(ev.problems)} lỗi dữ liệu; thư đã gửi: {len(self.sent)}, lỗi gửi: "
            f"{len(self.failed)}, chờ khung giờ gửi: {len(self.plan.waiting)}"
        )


def _source_title(inputs: Inputs, source_id: str) -> str:
    s = next(s for s in inputs.cfg.sources if s.id == source_id)
    return s.title or inputs.mappings[source_id].title


def settle_intents(store: StateStore, transport: MailTransport, now: datetime) -> dict[str, str]:
    """Decide what happened to alerts a killed cycle left between intent and result."""
    settled = {}
    for alert_id in store.intents():
        went_out = transport.was_sent(alert_id)
        if went_out is True:
            store.record_result(alert_id, "sent", now=now)
            settled[alert_id] = "sent"
        elif went_out is False:
            # provably not sent: mark failed so the plan sends it again
            store.record_result(
                alert_id,
                "failed",
                now=now,
                error="Chu kỳ trước dừng giữa chừng trước khi gửi; sẽ gửi lại",
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
    return settled


def run_cycle(
    inputs: Inputs,
    store: StateStore,
    backend: Backend,
    now: datetime,
    *,
    dry_run: bool = False,
) -> CycleReport:
    """One whole cycle. With dry_run nothing is stored, written or sent."""
    cfg = inputs.cfg
    now = now.astimezone(cfg.tz)
    cycle_id = None if dry_run else store.begin_cycle(now)
    try:
        recovered = {} if dry_run else settle_intents(store, backend.transport, now)
        responses, titles, source_problems, stored = _read_sources(
            inputs, store, backend, now, dry_run=dry_run
        )
        evaluation = evaluate(
            inputs, responses, now, question_titles=titles, source_problems=source_problems
        )
        ledger = store.ledger()
        plan = plan_alerts(cfg, inputs.roster, evaluation.statuses, ledger, now)
        report = CycleReport(
            now=now,
            evaluation=evaluation,
            plan=plan,
            tables=(),
            recovered=recovered,
            stored=stored,
        )
        if not dry_run:
            for alert in plan.due:
                _send(alert, inputs, store, backend.transport, now, report)
        problems = list(evaluation.problems) + unaddressable_problems(
            plan.unaddressable, inputs.roster
        )
        report.tables = build_tables(
            cfg,
            inputs.rubric,
            inputs.roster,
            evaluation.statuses,
            evaluation.members,
            evaluation.kpis,
            problems,
            list(store.ledger().values()),
            now,
        )
        if not dry_run:
            report.wrote_tables = _write_tables(store, backend.destination, report.tables, now)
            assert cycle_id is not None
            store.finish_cycle(cycle_id, "ok", report.summary(), now)
        log.info("Chu kỳ %s: %s", now.isoformat(), report.summary())
        return report
    except BaseException as e:
        if cycle_id is not None:
            store.finish_cycle(cycle_id, "error", f"{type(e).__name__}: {e}", now)
        raise


def _read_sources(
    inputs: Inputs, store: StateStore, backend: Backend, now: datetime, *, dry_run: bool
) -> tuple[
    dict[str, Sequence[RawResponse]],
    dict[str, Mapping[str, str]],
    list[DataProblem],
    dict[str, str],
]:
    responses: dict[str, Sequence[RawResponse]] = {}
    titles: dict[str, Mapping[str, str]] = {}
    problems: list[DataProblem] = []
    stored: dict[str, str] = {}
    for s in inputs.cfg.sources:
        source = backend.sources[s.id]
        try:
            result = source.fetch(store.cursor(s.id))
        except SourceError as e:
            log.warning("Nguồn %s: không đọc được (%s)", s.id, e)
            problems.append(
                DataProblem(
                    source=_source_title(inputs, s.id),
                    record="",
                    field="",
                    raw_value=str(s.file or s.form_id or s.spreadsheet_id or ""),
                    reason=f"Không đọc được nguồn: {e}. Dùng dữ liệu đã lưu từ lần đọc trước.",
                )
            )
            responses[s.id] = store.responses(s.id)
            continue
        titles[s.id] = result.question_titles
        if dry_run:
            responses[s.id] = _merge(store.responses(s.id), result)
            continue
        changes = store.store_responses(
            s.id, result.responses, complete=result.complete, now=now, cursor=result.cursor
        )
        stored[s.id] = f"{changes.new} mới, {changes.changed} sửa, {changes.deleted} xóa"
        responses[s.id] = store.responses(s.id)
    return responses, titles, problems, stored


def _merge(stored: Sequence[RawResponse], result: FetchResult) -> list[RawResponse]:
    """What the store would hold after this fetch, without writing it (dry run)."""
    if result.complete:
        return list(result.responses)
    merged = {r.response_id: r for r in stored}
    merged.update({r.response_id: r for r in result.responses})
    return list(merged.values())


def _send(
    alert: Alert,
    inputs: Inputs,
    store: StateStore,
    transport: MailTransport,
    now: datetime,
    report: CycleReport,
) -> None:
    cfg = inputs.cfg
    message = render_alert(
        alert,
        templates_dir=cfg.mail.templates,
        sender=cfg.mail.sender,
        reply_to=cfg.mail.reply_to,
        ward_name=cfg.ward.name,
        now=now,
    )
    recipients = "; ".join(alert.to) + (f" (Cc: {'; '.join(alert.cc)})" if alert.cc else "")
    store.record_intent(
        alert.alert_id,
        kind=str(alert.kind),
        branch_code=alert.branch_code,
        milestone_id=alert.milestone_id,
        recipients=recipients,
        subject=str(message["Subject"]),
        now=now,
    )
    try:
        transport.send(alert.alert_id, message)
    except MailError as e:
        store.record_result(alert.alert_id, "failed", now=now, error=str(e))
        report.failed.append(alert.alert_id)
        log.warning("Không gửi được thông báo %s: %s", alert.alert_id, e)
        return
    store.record_result(alert.alert_id, "sent", now=now)
    report.sent.append(alert.alert_id)


def _write_tables(
    store: StateStore, destination: Destination, tables: Sequence[Table], now: datetime
) -> bool:
    """Write the tabs unless their content is what was last written (and is still there)."""
    digest = tables_hash(tables)
    previous = store.tab_hashes(destination.name).get("*")
    if previous == digest and destination.exists():
        return False
    destination.write(tables)
    store.set_tab_hashes(destination.name, [("*", digest)], now)
    return True
