"""Choosing the adapters: each source, the destination and the mail transport come from the
ward's config, so a ward moves from offline files to Google by editing its config only.

The Google adapters share one ``GoogleApis`` (credentials, rate limits, retries); it is
built only when the config uses Google, so the offline backend needs no Google account.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sync.config import SourceConfig, WardConfig
from sync.errors import ConfigError
from sync.mapping import FormMapping
from sync.sources.files import FileSource

if TYPE_CHECKING:
    from scoring.rubric import Rubric
    from sync.cycle import Destination, Source
    from sync.google.apis import GoogleApis
    from sync.mail import MailTransport

log = logging.getLogger("kns")


@dataclass
class Backend:
    sources: dict[str, Source]
    destination: Destination
    transport: MailTransport
    apis: GoogleApis | None = field(default=None)


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
        apis=apis,
    )


def _source(
    cfg: WardConfig,
    s: SourceConfig,
    mappings: Mapping[str, FormMapping],
    apis: GoogleApis | None,
    rubric: Rubric | None,
) -> Source:
    if s.file is not None:
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
