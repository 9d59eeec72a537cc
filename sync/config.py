"""The ward configuration file (config/<ward>.yaml), validated by pydantic.

Relative paths in the file are resolved against the file's own folder, so a ward's
config, data and output travel together.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sync.learning_config import LearningConfig, StaffConfig
from sync.model import ConcreteMilestone, DoneWhen, MilestoneScope, SourceKind
from sync.yamlload import StrictModel, load_model


class WardInfo(StrictModel):
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


class RosterConfig(StrictModel):
    """Roster files (CSV or XLSX), or two tabs of a Google spreadsheet. Columns are
    documented in the README."""

    branches: Path | None = None
    members: Path | None = None
    spreadsheet_id: str | None = None
    branches_tab: str = "Chi bộ"
    members_tab: str = "Đảng viên"
    # a roster that loses many branches, members or staff at once is held back unless accepted
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


class SourceConfig(StrictModel):
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
    # the form's public link (…/viewform), for prefilled links and QR codes (sync/prefill.py)
    form_url: str = ""

    @field_validator("form_url")
    @classmethod
    def _form_url(cls, v: str) -> str:
        v = v.strip()
        if not v:
            return v
        # a prefilled link appends ?usp=pp_url&entry.N=… to the form's own viewform page:
        # a short forms.gle link or the editor's /edit page cannot carry those
        base = v.split("#", 1)[0].split("?", 1)[0].rstrip("/")
        if not base.startswith("https://docs.google.com/forms/") or not base.endswith("/viewform"):
            raise ValueError(
                "form_url phải là đường dẫn đầy đủ của biểu mẫu dạng "
                "https://docs.google.com/forms/d/e/…/viewform (không dùng đường dẫn rút gọn "
                "forms.gle hay trang chỉnh sửa /edit)"
            )
        return v

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


class DestinationConfig(StrictModel):
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


class SmtpConfig(StrictModel):
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


class MailConfig(StrictModel):
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



_QUARTER_ROMAN = ("I", "II", "III", "IV")


class Milestone(StrictModel):
    """One deadline of the plan, as the ward writes it. A quarterly one stands for several
    occurrences: use ``concrete_milestones(cfg)`` for the list every consumer works on.

    Field order matters: each check reads the fields declared above it."""

    id: str = Field(min_length=1, pattern=r"^[a-z0-9_\-]+$")
    title: str = Field(min_length=1)  # Vietnamese, shown in tabs and e-mails
    scope: MilestoneScope = "branch"
    recurs: Literal["quarterly"] | None = None
    # a recurring milestone's span: quarters ending inside [from, until] give an occurrence
    from_: date | None = Field(default=None, alias="from")
    until: date | None = None
    grace_days: int | None = Field(default=None, ge=0, le=92)  # days after a quarter's end
    # first day of the window ("Từ ngày A - B"): shown in e-mails; a progress review
    # (progress_reviewed) dated before it does not count
    starts: date | None = None
    due: date | None = None  # last day on time (inclusive)
    done_when: DoneWhen | None = None
    done_on: date | None = None  # scope ward: the day staff finished it (they write it here)
    branches: list[str] | None = None  # branch codes; default every branch

    @model_validator(mode="before")
    @classmethod
    def _absent_is_none(cls, data: object) -> object:
        # an absent field is checked as an explicit null, so an error about it is located
        # at the field as the ward writes it ("milestones.6.from", not the Python name)
        if isinstance(data, dict):
            data = {**dict.fromkeys(("from", "until", "due", "done_when")), **data}
        return data

    @field_validator("recurs")
    @classmethod
    def _recurs_branch_only(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is not None and info.data.get("scope") in ("ward", "team"):
            raise ValueError("chỉ mốc của chi bộ (scope: branch) mới lặp lại hằng quý")
        return v

    @field_validator("from_")
    @classmethod
    def _from_with_recurs(cls, v: date | None, info: ValidationInfo) -> date | None:
        recurs = info.data.get("recurs")
        if recurs and v is None:
            raise ValueError("mốc lặp lại hằng quý cần 'from' (ngày bắt đầu tính các quý)")
        if not recurs and v is not None:
            raise ValueError("'from' chỉ dùng cho mốc lặp lại ('recurs: quarterly')")
        return v

    @field_validator("until")
    @classmethod
    def _until_with_recurs(cls, v: date | None, info: ValidationInfo) -> date | None:
        recurs, start = info.data.get("recurs"), info.data.get("from_")
        if recurs and v is None:
            raise ValueError("mốc lặp lại hằng quý cần 'until' (ngày cuối cùng tính các quý)")
        if not recurs and v is not None:
            raise ValueError("'until' chỉ dùng cho mốc lặp lại ('recurs: quarterly')")
        if v is not None and start is not None:
            if v < start:
                raise ValueError(f"'until' ({v:%d/%m/%Y}) trước 'from' ({start:%d/%m/%Y})")
            if not quarters_between(start, v):
                raise ValueError(
                    f"không có quý nào kết thúc trong khoảng {start:%d/%m/%Y} - {v:%d/%m/%Y}"
                )
        return v

    @field_validator("grace_days")
    @classmethod
    def _grace_with_recurs(cls, v: int | None, info: ValidationInfo) -> int | None:
        if v is not None and not info.data.get("recurs"):
            raise ValueError("'grace_days' chỉ dùng cho mốc lặp lại ('recurs: quarterly')")
        return v

    @field_validator("starts")
    @classmethod
    def _starts_not_recurring(cls, v: date | None, info: ValidationInfo) -> date | None:
        if v is not None and info.data.get("recurs"):
            raise ValueError("mốc lặp lại hằng quý dùng 'from', không dùng 'starts'")
        return v

    @field_validator("due")
    @classmethod
    def _due_unless_recurring(cls, v: date | None, info: ValidationInfo) -> date | None:
        if info.data.get("recurs"):
            if v is not None:
                raise ValueError(
                    "mốc lặp lại hằng quý không ghi 'due': hạn là ngày cuối mỗi quý "
                    "(cộng 'grace_days')"
                )
            return v
        if v is None:
            raise ValueError("thiếu hạn chót 'due' (ngày cuối cùng còn đúng hạn, YYYY-MM-DD)")
        starts = info.data.get("starts")
        if starts is not None and starts > v:
            raise ValueError(f"hạn 'due' ({v:%d/%m/%Y}) trước ngày bắt đầu 'starts'")
        return v

    @field_validator("done_when")
    @classmethod
    def _done_when_by_scope(cls, v: DoneWhen | None, info: ValidationInfo) -> DoneWhen | None:
        if info.data.get("scope") == "team":
            if v not in (None, "team_active"):
                raise ValueError(
                    "mốc của tổ công nghệ số (scope: team) dùng 'done_when: team_active'"
                )
            return "team_active"
        if v == "team_active":
            raise ValueError("'done_when: team_active' chỉ dùng cho mốc của tổ (scope: team)")
        if info.data.get("scope") == "ward":
            if v is not None:
                raise ValueError(
                    "mốc của Đảng ủy (scope: ward) không dùng 'done_when': cán bộ ghi ngày "
                    "hoàn thành vào 'done_on'"
                )
            return v
        if v is None:
            raise ValueError("mốc của chi bộ cần 'done_when' (căn cứ ghi nhận hoàn thành)")
        if info.data.get("recurs") and v != "progress_reviewed":
            raise ValueError("mốc lặp lại hằng quý dùng 'done_when: progress_reviewed'")
        return v

    @field_validator("done_on")
    @classmethod
    def _done_on_ward_only(cls, v: date | None, info: ValidationInfo) -> date | None:
        if v is not None and info.data.get("scope", "branch") != "ward":
            raise ValueError(
                "'done_on' chỉ dùng cho mốc của Đảng ủy (scope: ward); mốc của chi bộ được "
                "ghi nhận từ biểu mẫu"
            )
        return v

    @field_validator("branches")
    @classmethod
    def _no_branches_for_ward(cls, v: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if v is not None and info.data.get("scope") == "ward":
            raise ValueError("mốc của Đảng ủy (scope: ward) không áp dụng cho từng chi bộ")
        if v is not None and info.data.get("scope") == "team":
            raise ValueError("mốc của tổ (scope: team) áp dụng cho mọi tổ, không cho từng chi bộ")
        return v


def quarters_between(start: date, until: date) -> list[tuple[int, int, date, date]]:
    """(year, quarter, first day, last day) of each calendar quarter that ends inside
    [start, until] (a quarter still running at ``until`` has no occurrence)."""
    out: list[tuple[int, int, date, date]] = []
    year, q = start.year, (start.month - 1) // 3 + 1
    while True:
        first = date(year, 3 * q - 2, 1)
        last = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - timedelta(days=1)
        if last > until:
            return out
        if last >= start:
            out.append((year, q, first, last))
        year, q = (year + 1, 1) if q == 4 else (year, q + 1)


def _occurrences(m: Milestone) -> list[ConcreteMilestone]:
    assert m.from_ is not None and m.until is not None  # checked when the config was read
    grace = timedelta(days=m.grace_days or 0)
    out: list[ConcreteMilestone] = []
    window_start = m.from_
    for year, q, first, last in quarters_between(m.from_, m.until):
        due = last + grace
        out.append(
            ConcreteMilestone(
                id=f"{m.id}:{year}-Q{q}",
                title=f"{m.title} — quý {_QUARTER_ROMAN[q - 1]}/{year}",
                due=due,
                done_when=m.done_when,
                # the first quarter starts at 'from'; the next ones right after the previous
                # due date, so a review sent in the grace days counts for one quarter only
                starts=max(window_start, first),
                branches=tuple(m.branches) if m.branches is not None else None,
                base_id=m.id,
                occurrence=f"{year}-Q{q}",
            )
        )
        window_start = due + timedelta(days=1)
    return out


def expand_milestones(
    milestones: Iterable[Milestone | ConcreteMilestone],
) -> tuple[ConcreteMilestone, ...]:
    """The concrete list, in config order, each recurring milestone's occurrences in due
    order at its place. Already-concrete milestones pass through unchanged."""
    out: list[ConcreteMilestone] = []
    for m in milestones:
        if isinstance(m, ConcreteMilestone):
            out.append(m)
        elif m.recurs is not None:
            out.extend(_occurrences(m))
        else:
            assert m.due is not None  # checked when the config was read
            out.append(
                ConcreteMilestone(
                    id=m.id,
                    title=m.title,
                    due=m.due,
                    done_when=m.done_when,
                    scope=m.scope,
                    starts=m.starts,
                    branches=tuple(m.branches) if m.branches is not None else None,
                    done_on=m.done_on,
                    base_id=m.id,
                )
            )
    return tuple(out)


def concrete_milestones(cfg: WardConfig) -> tuple[ConcreteMilestone, ...]:
    """Every concrete milestone of the ward (quarterly occurrences expanded, branch and ward
    ones alike): what statuses, alerts, checks and tabs all read instead of ``cfg.milestones``."""
    return expand_milestones(cfg.milestones)


class SendWindow(StrictModel):
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


class AlertPolicy(StrictModel):
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


class RequestsPerMinute(StrictModel):
    """Client-side limits per API, below Google's per-user quotas so a cycle never sees 429."""

    sheets: int = Field(default=60, ge=1)
    forms: int = Field(default=180, ge=1)
    gmail: int = Field(default=250, ge=1)


class GoogleConfig(StrictModel):
    # service-account key or authorized-user token (`kns auth login`)
    credentials: Path
    # a service account acting as this Workspace user (domain-wide delegation; Gmail needs it)
    delegated_user: str | None = None
    full_resync_at: time = time(2, 0)  # local time of the nightly full read of each form
    overlap_minutes: int = Field(default=5, ge=0)  # incremental reads look back this far
    requests_per_minute: RequestsPerMinute = Field(default_factory=RequestsPerMinute)
    max_attempts: int = Field(default=6, ge=1, le=20)


class ShrinkGuardConfig(StrictModel):
    """A read that would remove more than this share of a source's stored answers (or of
    the roster's branches, members or staff) is held back until staff accept it."""

    max_removed_share: float = Field(default=0.05, gt=0, le=1)


class ReportConfig(StrictModel):
    """The year-end report (Biểu mẫu 03): what its header and appendix say, and where the
    cycle writes the ward's draft (.docx) when ``path`` is set."""

    place: str = ""  # "Phường Mẫu": the "<place>, ngày ... tháng ... năm ..." line
    parent: str = ""  # the body above the ward's committee, first header line
    form_title: str = "Biểu mẫu thống kê kết quả sinh hoạt chuyên đề"
    form_link: str = ""  # appendix VII: the statistics form's link (and its QR code)
    path: Path | None = None  # the cycle writes the ward's report here after each change

    @field_validator("form_link")
    @classmethod
    def _link(cls, v: str) -> str:
        v = v.strip()
        if v and not v.startswith(("https://", "http://")):
            raise ValueError("đường dẫn biểu mẫu phải bắt đầu bằng https://")
        return v


class StateConfig(StrictModel):
    path: Path


class ScheduleConfig(StrictModel):
    every_minutes: int = Field(default=30, ge=1)


class TeamTarget(StrictModel):
    """People a team should support in a period (distinct people, not visits)."""

    team: str = Field(default="*", min_length=1)  # a team code, or "*" for every team
    people: int = Field(ge=1)
    per: Literal["month", "year"] = "month"


class TeamsConfig(StrictModel):
    """Community digital technology teams (Form E): their roster file and targets."""

    roster: Path  # CSV or XLSX; columns in the README ("Tổ công nghệ số cộng đồng")
    sheet: str | None = None  # XLSX: worksheet name (default: the first)
    targets: list[TeamTarget] = Field(default_factory=list)


class WardConfig(StrictModel):
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
    report: ReportConfig = Field(default_factory=ReportConfig)
    google: GoogleConfig | None = None
    # "Bình dân học vụ số" (seed 003): the staff roster and the learning targets
    staff: StaffConfig | None = None
    learning: LearningConfig = Field(default_factory=LearningConfig)
    teams: TeamsConfig | None = None  # Form E support logs (sync/support.py)

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

    @model_validator(mode="after")
    def _staff_tab_needs_sheet(self) -> WardConfig:
        if self.staff is not None and self.staff.tab and not self.roster.spreadsheet_id:
            raise ValueError("staff.tab: cần 'roster.spreadsheet_id' (tab nằm trong bảng tính đó)")
        return self

    @model_validator(mode="after")
    def _teams_when_needed(self) -> WardConfig:
        # Form E: its logs and the teams' milestones are read against the team roster
        if self.teams is None:
            if any(s.kind == SourceKind.SUPPORT_LOG for s in self.sources):
                raise ValueError(
                    "có nguồn nhật ký hỗ trợ người dân (kind: support_log) nhưng thiếu nhóm "
                    "'teams' (danh sách tổ công nghệ số cộng đồng)"
                )
            if any(m.scope == "team" for m in self.milestones):
                raise ValueError(
                    "có mốc của tổ công nghệ số (scope: team) nhưng thiếu nhóm 'teams' "
                    "(danh sách tổ công nghệ số cộng đồng)"
                )
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
            "report": cfg.report.model_copy(update={"path": _resolve(base, cfg.report.path)}),
            "staff": cfg.staff.model_copy(update={"roster": _resolve(base, cfg.staff.roster)})
            if cfg.staff
            else None,
            "google": cfg.google.model_copy(
                update={"credentials": _resolve(base, cfg.google.credentials)}
            )
            if cfg.google
            else None,
            "teams": cfg.teams.model_copy(update={"roster": _resolve(base, cfg.teams.roster)})
            if cfg.teams
            else None,
        }
    )


def load_config(path: Path) -> WardConfig:
    """Read and validate a ward config; paths come back absolute."""
    path = Path(path)
    cfg = load_model(path, WardConfig, "tệp cấu hình", hint="hãy xem mẫu config/example.yaml")
    return resolve_paths(cfg, path.resolve().parent)


def templates_problem(cfg: WardConfig) -> str | None:
    """Why mail cannot be written at all (the templates folder is missing), or None. Checked
    before a cycle that sends: one clear line instead of every alert failing alike."""
    folder = cfg.mail.templates
    if folder.is_dir():
        return None
    what = "là một tệp, không phải thư mục" if folder.exists() else "không tồn tại"
    return (
        f"mail.templates: thư mục mẫu thư {folder} {what}; hãy sửa mail.templates trong tệp "
        "cấu hình (đường dẫn tương đối tính từ thư mục chứa tệp cấu hình) hoặc chép lại thư "
        "mục templates"
    )
