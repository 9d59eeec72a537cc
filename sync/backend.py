"""Choosing the adapters: the roster, each source, the destination and the mail transport
come from the ward's config, so a ward moves from offline files to Google by editing its
config only. The cycle (``sync.cycle``) never imports an adapter: it gets them from here.

The Google adapters share one ``GoogleApis`` (credentials, rate limits, retries); it is
built only when the config uses Google, so the offline backend needs no Google account.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from scoring.rubric import load_rubric
from sync.config import SourceConfig, WardConfig
from sync.errors import ConfigError
from sync.evaluation import Inputs
from sync.mapping import FormMapping, load_mapping
from sync.ports import (
    Backend,
    Destination,
    DocumentWriter,
    MailTransport,
    RosterSource,
    Source,
)

if TYPE_CHECKING:
    from scoring.rubric import Rubric
    from sync.google.apis import GoogleApis

log = logging.getLogger("kns")

__all__ = ["Backend", "embedded_backend", "load_inputs", "make_backend", "roster_source"]


def load_inputs(
    cfg: WardConfig, *, apis: GoogleApis | None = None, lazy_roster: bool = False
) -> Inputs:
    """Load rubric, mappings and roster; every problem is reported at once. A roster kept in
    a Google spreadsheet is read through ``apis``. With ``lazy_roster`` the roster is read
    only when the cycle needs it (an idle cycle does not)."""
    problems: list[str] = []
    rubric = None
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
    source = None
    try:
        source = roster_source(cfg, apis)
    except ConfigError as e:
        problems += e.problems
    roster = None
    if source is not None and not lazy_roster:
        try:
            roster = source.load()
        except ConfigError as e:
            problems += e.problems
    if problems or rubric is None or source is None:
        raise ConfigError(problems)
    return Inputs(cfg, rubric, loaded, roster, roster_source=source)


def roster_source(cfg: WardConfig, apis: GoogleApis | None) -> RosterSource:
    r = cfg.roster
    if r.spreadsheet_id is None:
        from sync.roster import FileRoster

        assert r.branches is not None and r.members is not None  # validated by RosterConfig
        return FileRoster(r.branches, r.members, cfg.staff.roster if cfg.staff else None)
    if apis is None:
        raise ConfigError(["roster.spreadsheet_id: cần tài khoản Google (nhóm 'google')"])
    if cfg.staff is not None and cfg.staff.roster is not None:
        # one origin for the whole roster: the tabs are read in one call
        raise ConfigError(
            ["staff.roster: danh sách đảng viên nằm ở bảng tính Google; dùng 'staff.tab'"]
        )
    from sync.google.roster_sheet import SheetRoster

    staff_tab = cfg.staff.tab if cfg.staff else None
    return SheetRoster(apis, r.spreadsheet_id, r.branches_tab, r.members_tab, staff_tab)


def embedded_backend(cfg: WardConfig) -> Backend:
    """CSV/XLSX exports in; an XLSX workbook and .eml files (or SMTP) out."""
    if cfg.uses_google:
        raise ConfigError(["cấu hình dùng Google: chế độ ngoại tuyến chỉ đọc tệp tải về"])
    return make_backend(cfg, {})


def google_scopes(cfg: WardConfig) -> list[str]:
    """The minimal OAuth scopes for the Google features this config uses."""
    from sync.google.auth import scopes_for

    return scopes_for(
        forms=any(s.origin == "form" for s in cfg.sources),
        sheets_read=any(s.origin == "sheet" for s in cfg.sources)
        or cfg.roster.spreadsheet_id is not None,
        sheets_write=cfg.destination.kind == "google_sheets",
        gmail=cfg.mail.transport == "gmail",
    )


def google_apis(cfg: WardConfig) -> GoogleApis:
    """The Google clients for this config, with the minimal scopes its features need."""
    from sync.google.apis import GoogleApis, RetryPolicy
    from sync.google.auth import load_credentials, permission_warning

    g = cfg.google
    if g is None:
        raise ConfigError(["google: cấu hình dùng Google nhưng thiếu nhóm 'google'"])
    scopes = google_scopes(cfg)
    warning = permission_warning(g.credentials)
    if warning:
        log.warning("%s", warning)
    credentials = load_credentials(g.credentials, scopes, subject=g.delegated_user)
    limits = g.requests_per_minute
    return GoogleApis(
        credentials,
        per_minute={"sheets": limits.sheets, "forms": limits.forms, "gmail": limits.gmail},
        retry=RetryPolicy(max_attempts=g.max_attempts),
    )


def make_backend(
    cfg: WardConfig,
    mappings: Mapping[str, FormMapping],
    *,
    apis: GoogleApis | None = None,
    rubric: Rubric | None = None,
) -> Backend:
    """The adapters ``cfg`` asks for. ``apis`` is built from the config when it uses Google
    and none is given (tests pass one pointed at a local fake of Google's APIs)."""
    if apis is None and cfg.uses_google:
        apis = google_apis(cfg)
    sources = {s.id: _source(cfg, s, mappings, apis, rubric) for s in cfg.sources}
    return Backend(
        sources=sources,
        destination=_destination(cfg, apis),
        transport=_transport(cfg, apis),
        roster_source=roster_source(cfg, apis),
        apis=apis,
        documents=_documents(cfg),
    )


def _documents(cfg: WardConfig) -> DocumentWriter | None:
    """The year-end report is a file on every backend (a Drive upload can come later)."""
    if cfg.report.path is None:
        return None
    from sync.outputs.report_file import ReportFile

    return ReportFile(cfg.report.path)


def _source(
    cfg: WardConfig,
    s: SourceConfig,
    mappings: Mapping[str, FormMapping],
    apis: GoogleApis | None,
    rubric: Rubric | None,
) -> Source:
    if s.file is not None:
        from sync.sources.files import FileSource

        return FileSource(s.id, s.file, s.sheet)
    assert apis is not None and cfg.google is not None  # cfg.uses_google
    if s.form_id:
        from datetime import timedelta

        from sync.google.forms_source import FormsSource

        mapping = mappings[s.id]
        return FormsSource(
            apis,
            s.id,
            s.form_id,
            mapping,
            source_title=s.title or mapping.title,
            full_resync_at=cfg.google.full_resync_at,
            tz=cfg.tz,
            overlap=timedelta(minutes=cfg.google.overlap_minutes),
            rubric=rubric,  # the Biểu mẫu 01 items a form's choices are checked against
        )
    from sync.google.sheet_source import SheetSource

    assert s.spreadsheet_id is not None
    return SheetSource(apis, s.id, s.spreadsheet_id, s.worksheet)


def _destination(cfg: WardConfig, apis: GoogleApis | None) -> Destination:
    if cfg.destination.kind == "google_sheets":
        from sync.google.sheets_destination import SheetsDestination

        assert apis is not None and cfg.destination.spreadsheet_id is not None
        return SheetsDestination(apis, cfg.destination.spreadsheet_id, cfg.tz)
    from sync.outputs.xlsx import XlsxDestination

    assert cfg.destination.path is not None  # validated by DestinationConfig
    return XlsxDestination(cfg.destination.path)


def _transport(cfg: WardConfig, apis: GoogleApis | None) -> MailTransport:
    if cfg.mail.transport == "gmail":
        from sync.google.gmail import GmailTransport

        assert apis is not None
        return GmailTransport(apis, cfg.mail.gmail_user)
    if cfg.mail.transport == "smtp":
        from sync.outputs.smtp import SmtpTransport

        assert cfg.mail.smtp is not None  # validated by MailConfig
        return SmtpTransport(cfg.mail.smtp, os.environ)
    from sync.outputs.outbox import OutboxTransport

    assert cfg.mail.outbox_dir is not None  # validated by MailConfig
    return OutboxTransport(cfg.mail.outbox_dir)
