"""`kns check`: every problem in a ward's setup, reported at once, without side effects."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sync.alerts import fmt_date
from sync.backend import google_apis, load_inputs, make_backend
from sync.config import WardConfig, concrete_milestones, load_config, templates_problem
from sync.errors import ConfigError
from sync.evaluation import Inputs, without_repeats
from sync.mapping import rubric_gaps
from sync.model import AlertKind, SourceKind
from sync.normalize import RUBRIC_GAP, normalize_source
from sync.ports import SourceError
from sync.sources.files import FileSource

if TYPE_CHECKING:
    from sync.google.apis import GoogleApis


@dataclass(frozen=True)
class Finding:
    level: Literal["error", "warning", "info"]
    message: str


def check(config_path: Path, now: datetime, *, apis: GoogleApis | None = None) -> list[Finding]:
    """Every problem at once. ``apis``: Google clients to use (default: built from the
    config when it uses Google)."""
    try:
        cfg = load_config(config_path)
    except ConfigError as e:
        return [Finding("error", p) for p in e.problems]
    findings: list[Finding] = []
    if apis is None and cfg.uses_google:
        try:
            apis = google_apis(cfg)
        except ConfigError as e:
            return [Finding("error", p) for p in e.problems] + _check_mail(cfg) + _check_files(cfg)
    try:
        inputs = load_inputs(cfg, apis=apis)
    except ConfigError as e:
        findings += [Finding("error", p) for p in e.problems]
        # without a valid roster nothing can be matched, but the files can still be read
        return findings + _check_source_files(cfg) + _check_mail(cfg) + _check_files(cfg)
    findings += _check_cross_references(inputs, now)
    findings += _check_links(inputs)
    findings += _check_sources(inputs, now, apis)
    findings += _check_destination(cfg, apis)
    findings += _check_mail(cfg)
    findings += _check_files(cfg)
    return findings


def _check_cross_references(inputs: Inputs, now: datetime) -> list[Finding]:
    cfg, rubric, roster = inputs.cfg, inputs.rubric, inputs.roster
    out: list[Finding] = []
    out += _check_milestones(inputs, now)
    if rubric.year != cfg.ward.year:
        out.append(
            Finding(
                "warning",
                f"{cfg.rubric}: tiêu chí năm {rubric.year}, cấu hình phường năm {cfg.ward.year}",
            )
        )
    for s in cfg.sources:
        out += [
            Finding("error", f"{s.mapping}: {gap.reason}")
            for gap in rubric_gaps(inputs.mappings[s.id], rubric)
        ]
    without_email = [b.code for b in roster.branches if not b.secretary_email]
    if without_email:
        out.append(
            Finding(
                "warning",
                f"{cfg.roster.branches}: chưa có email bí thư của chi bộ "
                + ", ".join(without_email)
                + " (không gửi được nhắc nhở cho các chi bộ này)",
            )
        )
    if cfg.staff is not None:  # "Bình dân học vụ số": staff rows naming an unknown member
        from sync.staff import staff_problems

        where = cfg.staff.roster or f"tab '{cfg.staff.tab}'"
        for p in staff_problems(roster):
            text = (
                f"{where}: cán bộ {p.record}: mã đảng viên '{p.raw_value}' không có trong danh "
                "sách đảng viên (được tính là người ngoài Đảng)"
            )
            out.append(Finding("warning", text))
    return out


def _check_milestones(inputs: Inputs, now: datetime) -> list[Finding]:
    """Milestones against the roster, the ward's year, the mappings and the mail setup; and
    each recurring milestone's occurrences spelled out, so staff see what will be tracked."""
    cfg, roster = inputs.cfg, inputs.roster
    out: list[Finding] = []
    codes = {b.code for b in roster.branches}
    for m in cfg.milestones:
        for code in m.branches or ():
            if code not in codes:
                out.append(
                    Finding(
                        "error",
                        f"milestones.{m.id}.branches: chi bộ '{code}' không có trong danh sách",
                    )
                )
        if m.scope == "ward" and not cfg.mail.ward_staff:
            out.append(
                Finding(
                    "warning",
                    f"milestones.{m.id}: mốc của Đảng ủy nhưng mail.ward_staff chưa có email "
                    "nhận nhắc hạn",
                )
            )
        if m.done_on is not None and m.done_on > now.astimezone(cfg.tz).date():
            out.append(
                Finding(
                    "warning",
                    f"milestones.{m.id}.done_on: ngày {fmt_date(m.done_on)} chưa đến, chưa "
                    "tính là hoàn thành",
                )
            )
    by_base: dict[str, list[str]] = {}
    for c in concrete_milestones(cfg):
        if c.occurrence:
            by_base.setdefault(c.base_id, []).append(
                f"{c.title.rpartition(' — ')[2]} (hạn {fmt_date(c.due)})"
            )
        elif c.due.year != cfg.ward.year:
            out.append(
                Finding(
                    "warning",
                    f"milestones.{c.id}.due: hạn {fmt_date(c.due)} không thuộc năm {cfg.ward.year}",
                )
            )
    for base, occurrences in by_base.items():
        out.append(
            Finding(
                "info",
                f"milestones.{base}: {len(occurrences)} lần rà soát: " + ", ".join(occurrences),
            )
        )
    if any(m.done_when == "progress_reviewed" for m in cfg.milestones):
        answered = any(
            f.field == "task_progress"
            for s in cfg.sources
            if s.kind == SourceKind.BRANCH_STATS
            for f in inputs.mappings[s.id].fields
        )
        if not answered:
            out.append(
                Finding(
                    "error",
                    "milestones: 'done_when: progress_reviewed' cần câu hỏi \"Tiến độ nhiệm vụ\" "
                    "(trường task_progress) trong ánh xạ của biểu mẫu thống kê",
                )
            )
    return out


# what a prefilled link leaves empty when a question has no prefill key (sync/prefill.py)
_LINK_VALUES = {
    "branch": "tên chi bộ",
    "name": "họ tên",
    "birth_date": "ngày sinh",
    "team": "tên tổ",
}


def _check_links(inputs: Inputs) -> list[Finding]:
    """Forms the letters and `kns qr` link to whose links cannot be built (no ``form_url``,
    a question the links fill without ``entry``): warnings, one line per source; a ward
    without links still works, its letters go without them."""
    from sync.prefill import BRANCH_KINDS, link_gaps

    out: list[Finding] = []
    for gap in link_gaps(inputs.cfg, inputs.mappings):
        s, mapping = gap.source, inputs.mappings[gap.source.id]
        text = f"nguồn '{s.id}' ({s.title or mapping.title})"
        if gap.without_page:
            # a Forms API source: `kns qr` asks the form for its page, the letters do not
            who = (
                "thư nhắc và mã QR (`kns qr`)"
                if s.kind in BRANCH_KINDS and not s.form_id
                else "thư nhắc"
            )
            text += (
                f": chưa có form_url nên {who} không có đường liên kết tới biểu mẫu này; hãy "
                "ghi vào form_url của nguồn trong tệp cấu hình đường dẫn công khai của biểu mẫu "
                '(Google Forms: nút "Gửi" > biểu tượng liên kết), dạng '
                "https://docs.google.com/forms/d/e/…/viewform"
            )
            text += ". Tệp ánh xạ" if gap.without_key else ""
        else:  # a form with a page is a gap only for its questions without a key
            text += ", tệp ánh xạ"
        if gap.without_key:
            fields = ", ".join(
                f'{name} ("{field.titles[0]}")'
                for name in gap.without_key
                if (field := mapping.field_map(name)) is not None
            )
            values = ", ".join(_LINK_VALUES.get(name, name) for name in gap.without_key)
            text += (
                f" {s.mapping}: trường {fields} chưa có mã điền sẵn (entry) nên đường liên kết "
                f"tới biểu mẫu này mở ra chưa điền sẵn {values}; hãy mở biểu mẫu trên Google "
                'Forms, chọn ⋮ > "Lấy đường liên kết điền sẵn", điền thử rồi "Lấy đường liên '
                'kết", và chép mã entry.… của từng câu hỏi vào "entry:" của trường tương ứng'
            )
        out.append(Finding("warning", text))
    return out


def _check_sources(inputs: Inputs, now: datetime, apis: GoogleApis | None) -> list[Finding]:
    """Read every source through the adapter the cycle uses, and normalise what it gives."""
    cfg = inputs.cfg
    backend = make_backend(cfg, inputs.mappings, apis=apis, rubric=inputs.rubric)
    out: list[Finding] = []
    # Form E: logs are read against the team roster, people hashed with a throw-away key
    # (check stores nothing)
    from sync.support import cycle_teams
    from sync.support_core import TeamIndex

    teams, team_problems = cycle_teams(cfg.teams, False)
    for p in team_problems:
        where = f"{p.record}: " if p.record else ""
        out.append(Finding("error", f"teams.roster: {where}{p.field}: {p.reason}"))
    team_index, secret = TeamIndex(teams), os.urandom(32)
    for s in cfg.sources:
        where = s.file.name if s.file else (s.form_id or s.spreadsheet_id or "")
        support_log = s.kind == SourceKind.SUPPORT_LOG
        try:
            fetched = backend.sources[s.id].fetch(None, now)
        except SourceError as e:
            out.append(Finding("error", f"nguồn '{s.id}' ({where}): {e}"))
            continue
        ns = normalize_source(
            s,
            inputs.mappings[s.id],
            inputs.rubric,
            inputs.roster,
            fetched.responses,
            year=cfg.ward.year,
            tz=cfg.tz,
            question_titles=fetched.question_titles,
            teams=team_index if support_log else None,
            secret=secret if support_log else b"",
        )
        whole = [
            p
            for p in without_repeats([*fetched.problems, *ns.problems])
            if not p.record and not p.reason.startswith(RUBRIC_GAP)  # said once, above
        ]
        for p in whole:
            level: Literal["warning", "error"] = (
                "warning" if p.field in ns.unmapped_columns else "error"
            )
            out.append(Finding(level, f"nguồn '{s.id}' ({where}): {p.field}: {p.reason}"))
        rows = len(ns.problems) - sum(1 for p in ns.problems if not p.record)
        out.append(
            Finding(
                "info",
                f"nguồn '{s.id}': {len(fetched.responses)} câu trả lời, {len(ns.records)} dùng "
                f"được, {rows} lỗi dữ liệu (xem tab 'Lỗi dữ liệu' sau khi chạy)",
            )
        )
    return out


def _check_destination(cfg: WardConfig, apis: GoogleApis | None) -> list[Finding]:
    """The summary spreadsheet must be reachable and writable by the account (read-only
    probe: check never writes)."""
    if cfg.destination.kind != "google_sheets" or apis is None:
        return []
    from sync.google.apis import GoogleApiError

    sheet_id = cfg.destination.spreadsheet_id
    assert sheet_id is not None
    try:
        apis.call("sheets", lambda: apis.sheets().fetch_sheet_metadata(sheet_id))
    except GoogleApiError as e:
        return [Finding("error", f"destination.spreadsheet_id ({sheet_id}): {e}")]
    return []


def _check_source_files(cfg: WardConfig) -> list[Finding]:
    out: list[Finding] = []
    for s in cfg.sources:
        if s.file is None:
            continue
        try:
            FileSource(s.id, s.file, s.sheet).fetch()
        except SourceError as e:
            out.append(Finding("error", f"nguồn '{s.id}': {e}"))
    return out


def _check_mail(cfg: WardConfig) -> list[Finding]:
    out: list[Finding] = []
    templates = cfg.mail.templates
    missing_folder = templates_problem(cfg)
    if missing_folder:  # one line for the folder, not one per template
        out.append(Finding("error", missing_folder))
    for kind in AlertKind if not missing_folder else ():
        path = Path(templates) / f"{kind.value}.j2"
        if not path.exists():
            out.append(Finding("error", f"mail.templates: thiếu mẫu thư {path}"))
    smtp = cfg.mail.smtp
    if cfg.mail.transport == "smtp" and smtp is not None and smtp.username:
        if not smtp.password_env:
            out.append(
                Finding("error", "mail.smtp.password_env: cần tên biến môi trường chứa mật khẩu")
            )
        elif smtp.password_env not in os.environ:
            out.append(
                Finding(
                    "error",
                    f"mail.smtp.password_env: biến môi trường {smtp.password_env} chưa được đặt",
                )
            )
    if cfg.alerts.digest_weekday is not None and not cfg.mail.ward_staff:
        out.append(Finding("warning", "mail.ward_staff: chưa có email nhận bản tổng hợp hằng tuần"))
    return out


def _check_files(cfg: WardConfig) -> list[Finding]:
    """What the cycle writes must be writable, and the state file readable (read-only
    probes: check creates nothing)."""
    workbook = cfg.destination.path if cfg.destination.kind == "xlsx" else None
    outbox = cfg.mail.outbox_dir if cfg.mail.transport == "outbox" else None
    targets: list[tuple[str, Path | None, bool]] = [
        ("state.path", cfg.state.path, False),
        ("destination.path", workbook, False),
        ("mail.outbox_dir", outbox, True),
        ("report.path", cfg.report.path, False),
    ]
    out = [
        Finding("error", problem)
        for field, path, folder in targets
        if path is not None and (problem := _unwritable(field, path, folder=folder))
    ]
    if not any(f.message.startswith("state.path") for f in out):
        problem = _damaged_state(cfg.state.path)
        if problem:
            out.append(Finding("error", problem))
    return out


def _unwritable(field: str, path: Path, *, folder: bool) -> str | None:
    """Why ``path`` (a file, or a folder with ``folder``) could not be written, or None."""
    fix = f"hãy sửa {field} trong tệp cấu hình"
    if folder and path.exists() and not path.is_dir():
        return f"{field}: {path} là một tệp, không phải thư mục; {fix}"
    if not folder and path.is_dir():
        return f"{field}: {path} là một thư mục, không phải tệp; {fix} thành đường dẫn một tệp"
    # a file is replaced through a temporary file beside it: its folder must be writable;
    # missing folders are created on the first write, in the nearest one that exists
    where = path if folder else path.parent
    while not where.exists() and where != where.parent:
        where = where.parent
    if not where.is_dir():
        return f"{field}: không tạo được {path} vì {where} là một tệp, không phải thư mục; {fix}"
    if not os.access(where, os.W_OK | os.X_OK):
        return (
            f"{field}: không có quyền ghi vào thư mục {where} (cần để ghi {path}); hãy cấp quyền "
            f"ghi cho tài khoản chạy chương trình, hoặc {fix.removeprefix('hãy ')}"
        )
    return None


def _damaged_state(path: Path) -> str | None:
    """A state file that exists but is not a readable SQLite database (read-only probe)."""
    import sqlite3

    from sync.state import corrupt_message, is_corrupt

    if not path.is_file():
        return None  # the first cycle creates it
    try:
        db = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, timeout=30)
        try:
            verdict = db.execute("PRAGMA quick_check(1)").fetchone()
        finally:
            db.close()
    except sqlite3.DatabaseError as e:
        if is_corrupt(e):
            return corrupt_message(path)
        return f"state.path: không đọc được tệp trạng thái {path} ({e}); hãy kiểm tra quyền đọc tệp"
    if verdict is None or verdict[0] != "ok":
        return corrupt_message(path)
    return None
