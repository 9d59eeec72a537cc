"""The ward configuration file (config/<ward>.yaml), validated by pydantic.

Relative paths in the file are resolved against the file's own folder, so a ward's
config, data and output travel together.
"""

from __future__ import annotations

from datetime import date, time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sync.errors import ConfigError, describe_validation_error
from sync.model import SourceKind
from sync.yamlload import SAFE_LOADER


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WardInfo(_Strict):
    name: str = Field(min_length=1)  # "Đảng bộ phường ..."
    year: int = Field(ge=2000, le=2100)
    timezone: str = "Asia/Ho_Chi_Minh"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"múi giờ không tồn tại: {v!r}") from e
        return v


class RosterConfig(_Strict):
    """Roster files (CSV or XLSX), or two tabs of a Google spreadsheet. Columns are
    documented in the README."""

    branches: Path | None = None
    members: Path | None = None
    spreadsheet_id: str | None = None
    branches_tab: str = "Chi bộ"
    members_tab: str = "Đảng viên"
    # a roster that loses many branches or members at once is held back unless accepted
    accept_shrink: bool = False

    @model_validator(mode="after")
    def _one_origin(self) -> RosterConfig:
        files = self.branches is not None or self.members is not None
        if files and self.spreadsheet_id:
            raise ValueError(
                "chọn một trong hai: tệp ('branches', 'members') hoặc 'spreadsheet_id'"
            )
        if not self.spreadsheet_id and (self.branches is None or self.members is None):
            raise ValueError("cần cả 'branches' và 'members' (tệp), hoặc 'spreadsheet_id'")
        return self


class SourceConfig(_Strict):
    id: str = Field(min_length=1, pattern=r"^[a-z0-9_\-]+$")
    kind: SourceKind
    mapping: Path
    title: str = ""  # shown in "Lỗi dữ liệu"; defaults to the mapping's form title
    locale: Literal["vi", "en"] = "vi"  # how dates in the export are written
    # embedded backend: a downloaded export
    file: Path | None = None
    sheet: str | None = None  # XLSX: worksheet name (default: the first)
    # Google backend: the form itself (Forms API), or its linked response sheet
    form_id: str | None = None
    spreadsheet_id: str | None = None
    worksheet: str | None = None  # linked sheet: the responses tab (default: the first tab)
    # apply reads that remove many stored answers (a form whose answers are cleaned often)
    accept_shrink: bool = False

    @model_validator(mode="after")
    def _has_origin(self) -> SourceConfig:
        given = [k for k in ("file", "form_id", "spreadsheet_id") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(
                "nguồn cần đúng một trong: 'file' (tệp tải về), 'form_id' (Google Biểu mẫu) "
                "hoặc 'spreadsheet_id' (bảng tính câu trả lời)"
            )
        return self

    @property
    def origin(self) -> Literal["file", "form", "sheet"]:
        if self.form_id:
            return "form"
        return "sheet" if self.spreadsheet_id else "file"


class DestinationConfig(_Strict):
    kind: Literal["xlsx", "google_sheets"] = "xlsx"
    path: Path | None = None  # xlsx
    spreadsheet_id: str | None = None  # google_sheets

    @model_validator(mode="after")
    def _target(self) -> DestinationConfig:
        if self.kind == "xlsx" and self.path is None:
            raise ValueError("đích 'xlsx' cần 'path' (đường dẫn tệp .xlsx)")
        if self.kind == "google_sheets" and not self.spreadsheet_id:
            raise ValueError("đích 'google_sheets' cần 'spreadsheet_id'")
        return self


class SmtpConfig(_Strict):
    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password_env: str | None = None  # name of the environment variable holding the password
    timeout_seconds: float = Field(default=30, gt=0)
    # A cycle killed between handing a message to the server and recording it cannot ask
    # the server whether it went: at_most_once never resends (the default: a missed
    # message is better than a duplicate to an official), at_least_once resends.
    on_interrupted: Literal["at_most_once", "at_least_once"] = "at_most_once"


GMAIL_DEFAULT_DAILY_LIMIT = 500


class MailConfig(_Strict):
    sender: str = Field(min_length=3)  # "Ban Xây dựng Đảng <bxdd@phuong.gov.vn>"
    reply_to: str | None = None
    ward_staff: list[str] = Field(default_factory=list)  # digest recipients
    transport: Literal["outbox", "smtp", "gmail"] = "outbox"
    outbox_dir: Path | None = None
    smtp: SmtpConfig | None = None
    gmail_user: str = "me"  # the sending account ("me": the account of the credentials)
    # messages per local day (Gmail: about 2,000 Workspace, 500 consumer); the rest waits
    # for the next day, never dropped
    daily_limit: int | None = Field(default=None, ge=1)
    templates: Path = Path("templates")

    @model_validator(mode="before")
    @classmethod
    def _gmail_limit(cls, data: object) -> object:
        # Gmail refuses mail past its daily quota; without a figure from the ward, assume
        # the smallest (a consumer account's ~500) so nothing is refused, only queued
        if isinstance(data, dict) and data.get("transport") == "gmail":
            data = {"daily_limit": GMAIL_DEFAULT_DAILY_LIMIT, **data}
        return data

    @model_validator(mode="after")
    def _transport(self) -> MailConfig:
        if self.transport == "outbox" and self.outbox_dir is None:
            raise ValueError("gửi thư kiểu 'outbox' cần 'outbox_dir' (thư mục lưu tệp .eml)")
        if self.transport == "smtp" and self.smtp is None:
            raise ValueError("gửi thư kiểu 'smtp' cần nhóm 'smtp' (host, port, ...)")
        return self


DoneWhen = Literal[
    "plan_issued",  # form A: plan date given (done on that date)
    "session_held",  # form A: session date given (done on that date)
    "task_registered",  # form A: task name and all "6 rõ" filled (done when first reported)
    "report_sent",  # form A: "Đã gửi báo cáo tổng kết" (done when first reported)
    "members_registered",  # every eligible member has a Biểu mẫu 01
    "members_scored",  # every eligible member scored by the committee
]


class Milestone(_Strict):
    id: str = Field(min_length=1, pattern=r"^[a-z0-9_\-]+$")
    title: str = Field(min_length=1)  # Vietnamese, shown in tabs and e-mails
    due: date  # last day on which the branch is on time (inclusive)
    done_when: DoneWhen
    branches: list[str] | None = None  # branch codes; default every branch


class SendWindow(_Strict):
    start: time = time(7, 30)
    end: time = time(17, 0)
    weekdays: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4])  # Monday = 0

    @field_validator("weekdays")
    @classmethod
    def _weekday_range(cls, v: list[int]) -> list[int]:
        bad = [d for d in v if not 0 <= d <= 6]
        if bad:
            raise ValueError(f"ngày trong tuần phải từ 0 (thứ Hai) đến 6 (Chủ nhật): {bad}")
        return v

    @model_validator(mode="after")
    def _ordered(self) -> SendWindow:
        if self.end <= self.start:
            raise ValueError("giờ kết thúc phải sau giờ bắt đầu")
        return self


class AlertPolicy(_Strict):
    reminder_days_before: list[int] = Field(default_factory=lambda: [7, 2])
    due_soon_days: int = Field(default=7, ge=0)  # "Sắp đến hạn" when due within N days
    overdue_every_days: int = Field(default=7, ge=1)
    overdue_max: int = Field(default=4, ge=0)
    escalate_after_days: int = Field(default=14, ge=1)
    digest_weekday: int | None = Field(default=0, ge=0, le=6)  # None: no digest
    digest_when_empty: bool = False
    # above this many late branches the digest lists only the longest overdue and sends
    # staff to the summary for the rest (a province's full list is megabytes of mail)
    digest_max_branches: int = Field(default=50, ge=1)
    window: SendWindow = Field(default_factory=SendWindow)

    @field_validator("reminder_days_before")
    @classmethod
    def _positive(cls, v: list[int]) -> list[int]:
        if any(d <= 0 for d in v):
            raise ValueError("số ngày nhắc trước hạn phải lớn hơn 0")
        return sorted(set(v), reverse=True)


class RequestsPerMinute(_Strict):
    """Client-side limits per API, below Google's per-user quotas so a cycle never sees 429."""

    sheets: int = Field(default=60, ge=1)
    forms: int = Field(default=180, ge=1)
    gmail: int = Field(default=250, ge=1)


class GoogleConfig(_Strict):
    # service-account key or authorized-user token (`kns auth login`)
    credentials: Path
    # a service account acting as this Workspace user (domain-wide delegation; Gmail needs it)
    delegated_user: str | None = None
    full_resync_at: time = time(2, 0)  # local time of the nightly full read of each form
    overlap_minutes: int = Field(default=5, ge=0)  # incremental reads look back this far
    requests_per_minute: RequestsPerMinute = Field(default_factory=RequestsPerMinute)
    max_attempts: int = Field(default=6, ge=1, le=20)


class ShrinkGuardConfig(_Strict):
    """A read that would remove more than this share of a source's stored answers (or of
    the roster's branches or members) is held back until staff accept it."""

    max_removed_share: float = Field(default=0.05, gt=0, le=1)


class StateConfig(_Strict):
    path: Path


class ScheduleConfig(_Strict):
    every_minutes: int = Field(default=30, ge=1)


class WardConfig(_Strict):
    ward: WardInfo
    rubric: Path
    roster: RosterConfig
    sources: list[SourceConfig] = Field(min_length=1)
    destination: DestinationConfig
    mail: MailConfig
    state: StateConfig
    milestones: list[Milestone] = Field(default_factory=list)
    alerts: AlertPolicy = Field(default_factory=AlertPolicy)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    shrink_guard: ShrinkGuardConfig = Field(default_factory=ShrinkGuardConfig)
    google: GoogleConfig | None = None

    @model_validator(mode="after")
    def _google_when_needed(self) -> WardConfig:
        if self.google is None and self.uses_google:
            raise ValueError(
                "cấu hình dùng Google (form_id, spreadsheet_id, google_sheets hoặc gmail) "
                "nhưng thiếu nhóm 'google' (credentials)"
            )
        return self

    @property
    def uses_google(self) -> bool:
        return (
            any(s.origin != "file" for s in self.sources)
            or self.roster.spreadsheet_id is not None
            or self.destination.kind == "google_sheets"
            or self.mail.transport == "gmail"
        )

    @model_validator(mode="after")
    def _unique_ids(self) -> WardConfig:
        for what, ids in (
            ("sources", [s.id for s in self.sources]),
            ("milestones", [m.id for m in self.milestones]),
        ):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            if dup:
                raise ValueError(f"mã trùng trong '{what}': {', '.join(dup)}")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.ward.timezone)


def _resolve(base: Path, p: Path | None) -> Path | None:
    if p is None:
        return None
    return p if p.is_absolute() else (base / p).resolve()


def resolve_paths(cfg: WardConfig, base: Path) -> WardConfig:
    """Return a copy with every relative path made absolute against ``base``."""
    return cfg.model_copy(
        update={
            "rubric": _resolve(base, cfg.rubric),
            "roster": cfg.roster.model_copy(
                update={
                    "branches": _resolve(base, cfg.roster.branches),
                    "members": _resolve(base, cfg.roster.members),
                }
            ),
            "sources": [
                s.model_copy(
                    update={"mapping": _resolve(base, s.mapping), "file": _resolve(base, s.file)}
                )
                for s in cfg.sources
            ],
            "destination": cfg.destination.model_copy(
                update={"path": _resolve(base, cfg.destination.path)}
            ),
            "mail": cfg.mail.model_copy(
                update={
                    "outbox_dir": _resolve(base, cfg.mail.outbox_dir),
                    "templates": _resolve(base, cfg.mail.templates),
                }
            ),
            "state": cfg.state.model_copy(update={"path": _resolve(base, cfg.state.path)}),
            "google": cfg.google.model_copy(
                update={"credentials": _resolve(base, cfg.google.credentials)}
            )
            if cfg.google
            else None,
        }
    )


def load_config(path: Path) -> WardConfig:
    """Read and validate a ward config; paths come back absolute."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except FileNotFoundError as e:
        raise ConfigError([f"{path}: không tìm thấy tệp cấu hình"]) from e
    except yaml.YAMLError as e:
        raise ConfigError([f"{path}: lỗi cú pháp YAML: {e}"]) from e
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: tệp cấu hình phải là một nhóm trường YAML"])
    try:
        cfg = WardConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError(describe_validation_error(path, e)) from e
    return resolve_paths(cfg, path.resolve().parent)
