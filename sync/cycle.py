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

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from scoring.branches import branch_statuses
from scoring.kpis import ward_kpis
from scoring.members import member_results
from scoring.rubric import Rubric, load_rubric
from sync.alerts import AlertPlan, plan_alerts
from sync.backend import Backend, make_backend
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
from sync.sources.files import FetchResult, SourceError
from sync.state import StateStore
from sync.tables import build_tables
from sync.text import normalize_title

if TYPE_CHECKING:
    from sync.google.apis import GoogleApis

log = logging.getLogger("kns")

MAIL_SOURCE = "Gửi thư"


class Source(Protocol):
    source_id: str

    def fetch(self, cursor: str | None, now: datetime) -> FetchResult:
        """Read the source (incrementally after ``cursor`` where it can); raise SourceError
        (Vietnamese) when it cannot be read this cycle."""
        ...


class Destination(Protocol):
    name: str  # stable: keys the hashes remembered in the state store

    def write(
        self, tables: Sequence[Table], previous: Mapping[str, str]
    ) -> Mapping[str, str] | None:
        """Write what changed since ``previous`` (what this destination returned after its
        last successful write); return what to remember, or None when nothing was written."""
        ...


@dataclass(frozen=True)
class Inputs:
    """Everything the core reads from configuration, loaded and validated once."""

    cfg: WardConfig
    rubric: Rubric
    mappings: Mapping[str, FormMapping]  # by source id
    roster: Roster


def load_inputs(cfg: WardConfig, *, apis: GoogleApis | None = None) -> Inputs:
    """Load rubric, mappings and roster; every problem is reported at once. A roster kept in
    a Google spreadsheet is read through ``apis``."""
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
        roster = _load_roster(cfg, apis)
    except ConfigError as e:
        problems += e.problems
    if problems or rubric is None or roster is None:
        raise ConfigError(problems)
    return Inputs(cfg=cfg, rubric=rubric, mappings=mappings, roster=roster)


def _load_roster(cfg: WardConfig, apis: GoogleApis | None) -> Roster:
    r = cfg.roster
    if r.spreadsheet_id is None:
        assert r.branches is not None and r.members is not None  # validated by RosterConfig
        return load_roster(r.branches, r.members)
    if apis is None:
        raise ConfigError(["roster.spreadsheet_id: cần tài khoản Google (nhóm 'google')"])
    from sync.google.roster_sheet import load_roster_from_sheet

    return load_roster_from_sheet(apis, r.spreadsheet_id, r.branches_tab, r.members_tab)


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
    problems = without_repeats([*source_problems, *(p for ns in normalized for p in ns.problems)])
    return Evaluation(normalized, tuple(problems), members, statuses, kpis)


def without_repeats(problems: Sequence[DataProblem]) -> list[DataProblem]:
    """A question missing from a form is seen by the source (mapping drift) and by the
    normaliser (missing column): one row in "Lỗi dữ liệu" is enough, the first (the source's,
    which says more)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for p in problems:
        if not p.record:
            key = (p.source, normalize_title(p.field))
            if key in seen:
                continue
            seen.add(key)
        out.append(p)
    return out


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


# ---------------------------------------------------------------------------------------
# The shell
# ---------------------------------------------------------------------------------------


def embedded_backend(cfg: WardConfig) -> Backend:
    """CSV/XLSX exports in; an XLSX workbook and .eml files (or SMTP) out."""
    if cfg.uses_google:
        raise ConfigError(["cấu hình dùng Google: chế độ ngoại tuyến chỉ đọc tệp tải về"])
    return make_backend(cfg, {})


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
            + (
                f", chờ ngày sau (giới hạn gửi trong ngày): {len(self.plan.queued)}"
                if self.plan.queued
                else ""
            )
        )


def _source_title(inputs: Inputs, source_id: str) -> str:
    s = next(s for s in inputs.cfg.sources if s.id == source_id)
    return s.title or inputs.mappings[source_id].title


def settle_intents(
    store: StateStore, transport: MailTransport, now: datetime, *, resend_unknown: bool = False
) -> dict[str, str]:
    """Decide what happened to alerts a killed cycle left between intent and result.

    When the transport cannot tell (SMTP), ``resend_unknown`` chooses at-least-once (send
    again, maybe a duplicate) over the default at-most-once (never a duplicate)."""
    settled = {}
    for alert_id in store.intents():
        try:
            went_out = transport.was_sent(alert_id)
        except MailError as e:
            # cannot ask now (Gmail search down): it stays an intent, never resent blindly
            log.warning("Chưa xác định được thông báo %s đã gửi hay chưa: %s", alert_id, e)
            continue
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
    return settled


def _resend_unknown(cfg: WardConfig) -> bool:
    smtp = cfg.mail.smtp
    return (
        cfg.mail.transport == "smtp"
        and smtp is not None
        and smtp.on_interrupted == ("at_least_once")
    )


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
        recovered = (
            {}
            if dry_run
            else settle_intents(store, backend.transport, now, resend_unknown=_resend_unknown(cfg))
        )
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
                if ledger.get(alert.alert_id) and _went_out_after_all(
                    alert.alert_id, store, backend.transport, now
                ):
                    continue
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
            result = source.fetch(store.cursor(s.id), now)
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
        problems.extend(result.problems)
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


def _went_out_after_all(
    alert_id: str, store: StateStore, transport: MailTransport, now: datetime
) -> bool:
    """An alert whose earlier send failed may have gone out all the same (Gmail answered
    5xx after sending, and its search lagged): ask again before sending it twice. True
    when it must not be sent now."""
    try:
        went_out = transport.was_sent(alert_id)
    except MailError as e:
        log.warning("Chưa gửi lại %s: không kiểm tra được thư đã gửi (%s)", alert_id, e)
        return True  # the next cycle asks again
    if went_out:
        store.record_result(alert_id, "sent", now=now)
        return True
    return False


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
    """Write the tabs that changed since the last successful write (the destination
    decides what "changed" means for it); remember what it reports."""
    written = destination.write(tables, store.tab_hashes(destination.name))
    if written is None:
        return False
    store.set_tab_hashes(destination.name, written.items(), now)
    return True
