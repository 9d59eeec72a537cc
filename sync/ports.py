"""The interfaces the cycle talks to, in one place.

The cycle (``sync.cycle``) sees only these: the backend factory (``sync.backend``) builds
the adapters that implement them (CSV/XLSX files, Google Forms/Sheets, the XLSX workbook,
the .eml outbox, SMTP, Gmail), so the embedded and the Google backends run the same core.
Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from sync.model import DataProblem, RawResponse, Report, Roster, Table


class SourceError(Exception):
    """A source could not be read this cycle (message in Vietnamese)."""


class MailError(Exception):
    """A message could not be rendered or sent. The text is Vietnamese, for the mail log."""


class MailOutcomeUnknown(MailError):
    """The message was handed over, then the answer was lost (SMTP: the connection dropped
    after the message's content): it may have gone out, and an SMTP server cannot be asked.
    The ledger records it "unknown" (at most once) unless the ward chose at-least-once."""


@dataclass(frozen=True)
class FetchResult:
    responses: tuple[RawResponse, ...]
    complete: bool  # a full read: a stored response absent here was deleted at the source
    cursor: str | None = None  # incremental sources (Forms API) only
    question_titles: dict[str, str] = field(default_factory=dict)  # Forms API: id -> title
    # problems with the source as a whole (Forms API: a mapped question gone, a new choice)
    problems: tuple[DataProblem, ...] = ()
    # a full read whose missing responses were really deleted at the source (the Forms
    # API's own list): not held back by the shrink guard
    authoritative: bool = False


@dataclass(frozen=True)
class Probe:
    """What a file looks like without reading it, and the hash of its bytes.

    ``stat`` changes whenever the file may have changed (size, mtime, ctime, inode); the
    content hash is only recomputed then, so an untouched file costs one ``stat``."""

    stat: str
    content: str


class Source(Protocol):
    source_id: str

    def fetch(self, cursor: str | None, now: datetime) -> FetchResult:
        """Read the source (incrementally after ``cursor`` where it can); raise SourceError
        (Vietnamese) when it cannot be read this cycle."""
        ...


@runtime_checkable
class ProbedSource(Protocol):
    """A source that can tell cheaply whether it changed since a previous probe."""

    source_id: str

    def probe(self, previous: Probe | None) -> Probe | None:
        """The file's probe (None when it cannot be probed: the cycle fetches it)."""
        ...

    def fetch(self, cursor: str | None, now: datetime) -> FetchResult: ...


class RosterSource(Protocol):
    """Where the ward's roster of branches and members comes from."""

    label: str  # names the roster in messages ("roster", a file, a spreadsheet)

    def probe(self, previous: Probe | None) -> Probe | None:
        """A probe of the roster's content, or None when only loading it can tell."""
        ...

    def load(self) -> Roster:
        """The roster; ConfigError (every problem, in Vietnamese) when it is unusable."""
        ...


class Destination(Protocol):
    name: str  # stable: keys the hashes remembered in the state store

    def write(
        self, tables: Sequence[Table], previous: Mapping[str, str]
    ) -> Mapping[str, str] | None:
        """Write what changed since ``previous`` (what this destination returned after its
        last successful write); return what to remember, or None when nothing was written."""
        ...


class MailTransport(Protocol):
    def send(self, alert_id: str, message: EmailMessage) -> None:
        """Deliver ``message``; raise MailError (Vietnamese text) on failure."""
        ...

    def was_sent(self, alert_id: str) -> bool | None:
        """Whether the alert's message went out; None when this transport cannot tell."""
        ...


@dataclass
class Backend:
    """The adapters one cycle uses (built by ``sync.backend.make_backend``)."""

    sources: dict[str, Source]
    destination: Destination
    transport: MailTransport
    roster_source: RosterSource | None = None
    apis: Any = None  # the Google clients, when the config uses Google
    documents: DocumentWriter | None = None  # the year-end report, when configured


class DocumentWriter(Protocol):
    """Writes the year-end report (Biểu mẫu 03) as a document (``report.path``)."""

    def write_report(self, report: Report) -> Path: ...


# Optional abilities an adapter may have (looked up with getattr by the cycle):
#   Destination.intact(previous) -> bool   False when what was written is gone (a deleted
#                                          workbook): the next cycle writes even when idle
#   Destination.cleanup() / MailTransport.cleanup()   remove what a killed process left
#                                          behind (temporary files)
#   MailTransport.flush()                  make what send() did durable (one folder fsync
#                                          for a batch of .eml files)
#   MailTransport.batch_size: int          how many intents may be recorded before their
#                                          sends: 1 for SMTP, which cannot be asked after a
#                                          crash; more where was_sent() can tell
