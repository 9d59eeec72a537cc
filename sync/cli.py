"""The `kns` command line."""

from __future__ import annotations

import argparse
import logging
import signal
import sqlite3
import sys
import time
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from sync.config import WardConfig, load_config, templates_problem
from sync.errors import ConfigError, ServiceError

# Everything else is imported where it is used: an idle cycle of the service should not pay
# for loading Google's clients, the e-mail and Excel libraries it will not touch.
if TYPE_CHECKING:
    from sync.cycle import CycleReport
    from sync.evaluation import Inputs
    from sync.google.apis import GoogleApis

log = logging.getLogger("kns")

EXIT_OK = 0
EXIT_FAILED = 1  # the cycle (or the check) could not run; data problems are not failures
EXIT_BUSY = 75  # another cycle holds the ward's lock (EX_TEMPFAIL: try again later)


def _parse_now(text: str | None, cfg: WardConfig | None) -> datetime:
    if text is None:
        now = datetime.now().astimezone()
    else:
        try:
            now = datetime.fromisoformat(text)
        except ValueError as e:
            raise SystemExit(f"--now: '{text}' không phải thời điểm ISO-8601") from e
        if now.tzinfo is None and cfg is not None:
            now = now.replace(tzinfo=cfg.tz)  # a bare time means the ward's local time
        elif now.tzinfo is None:
            now = now.astimezone()
    return now.astimezone(cfg.tz) if cfg is not None else now


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        default=Path("config/example.yaml"),
        help="tệp cấu hình của phường (mặc định: config/example.yaml)",
    )
    common.add_argument(
        "--now",
        help="đánh giá tại thời điểm này (ISO-8601, ví dụ 2026-11-23T08:00:00+07:00); "
        "mặc định: đồng hồ máy",
    )
    common.add_argument("-v", "--verbose", action="store_true", help="ghi nhật ký chi tiết")
    common.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="nhật ký (stderr): text, mỗi sự kiện một dòng (dưới systemd không kèm giờ: "
        "journald đã ghi), hoặc json, mỗi dòng một đối tượng JSON (mặc định: text)",
    )

    p = argparse.ArgumentParser(
        prog="kns",
        description='Đồng bộ, tổng hợp kết quả "Đảng viên tiên phong học tập kỹ năng số".',
    )
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", parents=[common], help="chạy đồng bộ (định kỳ, hoặc một lần)")
    run.add_argument("--once", action="store_true", help="chạy một chu kỳ rồi dừng")
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="tính toán và in kết quả; không ghi, không gửi gì",
    )
    run.add_argument(
        "--accept-shrink",
        action="append",
        default=[],
        metavar="SOURCE_ID",
        help="chấp nhận lần đọc làm giảm nhiều câu trả lời đã lưu của nguồn này "
        "('roster' cho danh sách chi bộ, đảng viên); dùng được nhiều lần",
    )
    sub.add_parser("check", parents=[common], help="kiểm tra cấu hình, ánh xạ, danh sách")
    status = sub.add_parser(
        "status",
        parents=[common],
        help="chu kỳ gần nhất, những gì đang chờ, và bảng tình trạng các chi bộ",
    )
    status.add_argument(
        "--check",
        action="store_true",
        help="chỉ in một dòng cho giám sát; mã thoát 0: bình thường, 1: chu kỳ gần nhất "
        "lỗi hoặc không chạy được vì cấu hình có lỗi (hoặc chưa có chu kỳ nào), 2: quá hai "
        "chu kỳ không có chu kỳ thành công",
    )
    sub.add_parser("preview-mail", parents=[common], help="xem trước các thư đến hạn (không gửi)")
    rep = sub.add_parser(
        "report",
        parents=[common],
        help="viết bản nháp báo cáo tổng kết (Biểu mẫu 03, tệp Word .docx)",
    )
    rep.add_argument(
        "--branch",
        metavar="MÃ_CHI_BỘ",
        help="báo cáo của một chi bộ, từ số liệu của chính chi bộ đó (mặc định: của Đảng bộ)",
    )
    rep.add_argument("--out", type=Path, help="đường dẫn tệp .docx (mặc định: cạnh bảng tổng hợp)")
    qr = sub.add_parser(
        "qr",
        parents=[common],
        help="mã QR biểu mẫu của từng chi bộ (PNG, SVG) và trang in ma-qr.html",
    )
    qr.add_argument(
        "--out", type=Path, help="thư mục ghi (mặc định: thư mục ma-qr cạnh bảng tổng hợp)"
    )
    qr.add_argument("--branch", metavar="MÃ_CHI_BỘ", help="chỉ một chi bộ (mặc định: mọi chi bộ)")
    auth = sub.add_parser("auth", help="đăng nhập tài khoản Google (OAuth)")
    auth_sub = auth.add_subparsers(dest="auth_command", required=True)
    login = auth_sub.add_parser(
        "login",
        parents=[common],
        help="đăng nhập bằng trình duyệt, lưu mã truy cập vào tệp google.credentials",
    )
    login.add_argument(
        "--client-secrets",
        type=Path,
        required=True,
        help="tệp client_secret_*.json của OAuth client (loại Desktop app)",
    )
    login.add_argument(
        "--no-browser",
        action="store_true",
        help="không tự mở trình duyệt: in địa chỉ để mở (ví dụ qua SSH có chuyển cổng)",
    )
    login.add_argument("--port", type=int, default=0, help="cổng loopback (mặc định: tự chọn)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from sync.service import configure_logging

    configure_logging(args.verbose, args.log_format)
    if args.command == "check":
        return _cmd_check(args)
    if args.command == "auth":
        return _cmd_auth_login(args)
    if args.command == "run" and not (args.once or args.dry_run):
        return _cmd_daemon(args.config, args.now)
    try:
        cfg = load_config(args.config)
    except ConfigError as e:
        if args.command == "status" and args.check:  # monitoring: its one line, on stdout
            return _check_config_failure(e)
        return _config_failure(e)
    now = _parse_now(args.now, cfg)
    if args.command == "status" and args.check:
        return _cmd_status_check(cfg, now)  # the state only: no roster, no sources
    if args.command == "run":
        return run_once(cfg, now, dry_run=args.dry_run, accept_shrink=args.accept_shrink)
    try:
        inputs = _inputs(cfg, lazy=False)
    except ConfigError as e:
        return _config_failure(e)
    if args.command == "status":
        return _cmd_status(inputs, now)
    if args.command == "preview-mail":
        return _cmd_preview(inputs, now)
    if args.command == "report":
        return _cmd_report(inputs, now, args.branch, args.out)
    if args.command == "qr":
        return _cmd_qr(inputs, args.branch, args.out)
    return EXIT_FAILED  # pragma: no cover  (argparse enforces the choices)


def _config_failure(e: ConfigError) -> int:
    """One line for one problem (the traceback only with -v), a list for several."""
    log.debug("Chi tiết:", exc_info=e)
    problems = list(dict.fromkeys(e.problems))  # two sources sharing a broken mapping
    if len(problems) == 1:
        print(_problem_line(e, problems[0]), file=sys.stderr)
        return EXIT_FAILED
    print("Cấu hình có lỗi (chạy `kns check` để xem toàn bộ):", file=sys.stderr)
    for p in problems:
        print(f"  - {p}", file=sys.stderr)
    return EXIT_FAILED


def _check_config_failure(e: ConfigError) -> int:
    """`kns status --check` with a config it cannot use: no state path to read, so the
    check itself fails, with the reason in its one line."""
    from sync.health import CHECK_FAILED, config_check_line

    log.debug("Chi tiết:", exc_info=e)
    print(config_check_line(e.problems))
    return CHECK_FAILED


def _record_failure(state_path: Path, e: Exception, now: datetime) -> None:
    """A run that could not start its cycle (a broken input) says so in the cycle log, for
    `kns status --check`. Not when the state file itself is what is broken."""
    from sync.health import failure_reason, record_config_failure
    from sync.state import StateFileError

    if not isinstance(e, StateFileError):
        record_config_failure(state_path, failure_reason(e), now)


def _problem_line(e: ConfigError, problem: str) -> str:
    from sync.state import StateFileError

    # a damaged state file is not a mistake in the config: its line says what it is
    return problem if isinstance(e, StateFileError) else f"Lỗi cấu hình: {problem}"


def _os_failure(path: Path, e: OSError) -> int:
    from sync.errors import describe_os_error

    log.debug("Chi tiết:", exc_info=e)
    print(
        f"Không ghi được {e.filename or path} ({describe_os_error(e)}): hãy kiểm tra đường "
        "dẫn trong tệp cấu hình và quyền ghi thư mục",
        file=sys.stderr,
    )
    return EXIT_FAILED


# One set of Google clients per process: their rate limiters must see every request.
_apis: dict[str, GoogleApis] = {}


def _google(cfg: WardConfig) -> GoogleApis | None:
    if not cfg.uses_google:
        return None
    from sync.backend import google_apis

    key = str(cfg.google.credentials) if cfg.google else ""
    if key not in _apis:
        _apis[key] = google_apis(cfg)
    return _apis[key]


def _inputs(cfg: WardConfig, *, lazy: bool) -> Inputs:
    from sync.backend import load_inputs

    return load_inputs(cfg, apis=_google(cfg), lazy_roster=lazy)


def _failure(what: str, e: Exception) -> None:
    """A service that failed after its retries is one line for staff (the traceback only
    with -v); anything else is a bug and keeps its traceback."""
    if isinstance(e, ServiceError):
        log.error("%s: %s", what, e)
        log.debug("Chi tiết:", exc_info=e)
    elif isinstance(e, ConfigError):  # a damaged state file, a config read again
        log.error("%s: %s", what, "; ".join(dict.fromkeys(e.problems)))
        log.debug("Chi tiết:", exc_info=e)
    elif isinstance(e, OSError) and e.filename:  # the disk, a folder, a permission
        from sync.errors import describe_os_error

        log.error(
            "%s: %s (%s): hãy kiểm tra đường dẫn trong tệp cấu hình và quyền ghi thư mục",
            what,
            e.filename,
            describe_os_error(e),
        )
        log.debug("Chi tiết:", exc_info=e)
    else:
        log.exception("%s: %s", what, e)


def _cycle(
    inputs: Inputs,
    now: datetime,
    *,
    dry_run: bool,
    accept_shrink: Sequence[str] = (),
    apis: GoogleApis | None = None,
) -> CycleReport:
    from sync.backend import make_backend
    from sync.cycle import run_cycle
    from sync.state import damage_as_state_error, open_store

    apis = apis if apis is not None else _google(inputs.cfg)
    backend = make_backend(inputs.cfg, inputs.mappings, apis=apis, rubric=inputs.rubric)
    path = inputs.cfg.state.path
    with damage_as_state_error(path), open_store(path, read_only=dry_run) as store:
        return run_cycle(inputs, store, backend, now, dry_run=dry_run, accept_shrink=accept_shrink)


def run_once(
    cfg: WardConfig,
    now: datetime,
    *,
    dry_run: bool = False,
    accept_shrink: Sequence[str] = (),
    apis: GoogleApis | None = None,
) -> int:
    """`kns run --once` (and `--dry-run`): one cycle, holding the ward's lock (a dry run
    writes nothing and needs no lock). ``apis``: Google clients to use (tests, benchmark).
    Returns the exit code."""
    from sync.lock import WardBusy, WardLock

    lock = WardLock(cfg.state.path)
    if not dry_run:
        try:
            lock.acquire()
        except WardBusy as e:
            print(str(e), file=sys.stderr)
            return EXIT_BUSY
        except OSError as e:  # the state's folder cannot be created or written
            return _os_failure(lock.path, e)
    try:
        from sync.backend import load_inputs

        try:
            inputs = load_inputs(
                cfg, apis=apis if apis is not None else _google(cfg), lazy_roster=True
            )
            if not dry_run and (problem := templates_problem(cfg)):
                raise ConfigError([problem])
        except ConfigError as e:
            if not dry_run:  # the lock is held: the cycle log may say why nothing ran
                _record_failure(cfg.state.path, e, now.astimezone(cfg.tz))
            return _config_failure(e)
        return _report_once(inputs, now, dry_run=dry_run, accept_shrink=accept_shrink, apis=apis)
    finally:
        lock.release()


def _report_once(
    inputs: Inputs,
    now: datetime,
    *,
    dry_run: bool,
    accept_shrink: Sequence[str],
    apis: GoogleApis | None,
) -> int:
    try:
        report = _cycle(inputs, now, dry_run=dry_run, accept_shrink=accept_shrink, apis=apis)
    except ConfigError as e:
        return _config_failure(e)
    except Exception as e:  # the cycle could not run: say so, exit non-zero
        _failure("Chu kỳ không chạy được", e)
        return EXIT_FAILED
    cfg = inputs.cfg
    print(f"Thời điểm đánh giá: {report.now:%d/%m/%Y %H:%M} ({cfg.ward.timezone})")
    print(report.summary())
    for held in report.held:
        print(
            f"Chưa áp dụng lần đọc của '{held}': dữ liệu vừa đọc ít hơn hẳn lần trước (xem tab "
            f"'Lỗi dữ liệu'); nếu đúng, chạy lại với --accept-shrink {held}"
        )
    if dry_run:
        print("Chạy thử (--dry-run): không ghi tệp, không gửi thư. Thư sẽ gửi:")
        for a in report.plan.due:
            print(f"  - {a.alert_id} -> {', '.join(a.to)}")
        _print_status(inputs, report)
        return EXIT_OK
    if report.wrote_tables:
        print(f"Đã ghi bảng tổng hợp: {cfg.destination.path or cfg.destination.spreadsheet_id}")
    else:
        print("Bảng tổng hợp không thay đổi so với lần ghi trước: không ghi lại.")
    if cfg.mail.transport == "outbox":
        print(f"Thư đã gửi ({len(report.messages)}) nằm trong: {cfg.mail.outbox_dir}")
    for alert_id, status in sorted(report.recovered.items()):
        print(f"Thông báo dở dang từ chu kỳ trước: {alert_id}: {status}")
    return EXIT_OK


def _ready(cfg: WardConfig) -> None:
    """What the service checks once at start: rubric, mappings, the mail templates and the
    state file. A ConfigError here would fail every cycle alike."""
    from sync.state import open_store

    _inputs(cfg, lazy=True)
    if problem := templates_problem(cfg):
        raise ConfigError([problem])
    open_store(cfg.state.path).close()


class _Stop:
    """SIGINT/SIGTERM ask the daemon to stop; a running cycle finishes first."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if not self.requested:
            log.info("Nhận tín hiệu dừng: sẽ dừng sau khi chu kỳ hiện tại kết thúc.")
        self.requested = True


def _cmd_daemon(config: Path, now_text: str | None) -> int:
    import schedule

    from sync.lock import WardBusy, WardLock
    from sync.service import Notifier, cycle_status

    if now_text is not None:
        print("--now chỉ dùng với --once hoặc --dry-run", file=sys.stderr)
        return EXIT_FAILED
    try:
        first = load_config(config)
    except ConfigError as e:
        return _config_failure(e)
    # the service holds the ward's lock for its whole life: a second service, or a manual
    # run while it works, is told so instead of sending the same mail again
    lock = WardLock(first.state.path)
    try:
        lock.acquire()
    except WardBusy as e:
        print(str(e), file=sys.stderr)
        return EXIT_BUSY
    except OSError as e:
        return _os_failure(lock.path, e)
    try:
        _ready(first)
    except ConfigError as e:  # a mistake every cycle would repeat: say it once, and stop
        _record_failure(first.state.path, e, datetime.now().astimezone(first.tz))
        lock.release()
        return _config_failure(e)
    except Exception as e:  # a service down: the first cycle retries and says so
        log.debug("Kiểm tra khi khởi động: %s", e, exc_info=e)
    stop = _Stop()
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    minutes = first.schedule.every_minutes
    notify = Notifier()  # systemd (Type=notify): READY, WATCHDOG, STATUS; a no-op elsewhere

    def job() -> None:
        # config and roster are read again each cycle: staff edit them without a restart
        try:
            cfg = load_config(config)
            if cfg.state.path != first.state.path:
                log.error(
                    "state.path đã đổi trong cấu hình: khởi động lại dịch vụ để dùng tệp "
                    "trạng thái mới; chu kỳ này bỏ qua"
                )
                return
            inputs = _inputs(cfg, lazy=True)
            if problem := templates_problem(cfg):
                raise ConfigError([problem])
        except ConfigError as e:
            log.error("Cấu hình có lỗi, bỏ qua chu kỳ này: %s", "; ".join(e.problems))
            notify.status("Bỏ qua chu kỳ: cấu hình có lỗi (xem nhật ký)")
            # the service's own state file (state.path cannot change while it runs)
            _record_failure(first.state.path, e, datetime.now().astimezone(first.tz))
            return
        except Exception as e:
            _failure("Không nạp được cấu hình, bỏ qua chu kỳ này", e)
            notify.status("Bỏ qua chu kỳ: không nạp được cấu hình (xem nhật ký)")
            _record_failure(first.state.path, e, datetime.now().astimezone(first.tz))
            return
        now = datetime.now().astimezone(cfg.tz)
        notify.status(f"Đang chạy chu kỳ bắt đầu lúc {now:%d/%m/%Y %H:%M}")
        try:
            report = _cycle(inputs, now, dry_run=False)
        except Exception as e:  # one failed cycle must not kill the daemon; the next resumes
            _failure("Chu kỳ lỗi, sẽ thử lại ở chu kỳ sau", e)
            # the exception's type only: STATUS= is readable by every user of the machine
            notify.status(f"Chu kỳ lúc {now:%d/%m/%Y %H:%M} lỗi ({type(e).__name__}), xem nhật ký")
        else:
            notify.status(cycle_status(now, report.summary()))

    try:
        scheduler = schedule.Scheduler()
        scheduler.every(minutes).minutes.do(job)
        log.info("Bắt đầu chạy định kỳ mỗi %d phút. Nhấn Ctrl-C để dừng.", minutes)
        notify.ready(f"Chạy định kỳ mỗi {minutes} phút")
        job()
        while not stop.requested:
            scheduler.run_pending()
            notify.watchdog()  # between cycles only: a stuck cycle must starve the watchdog
            time.sleep(notify.tick(1.0))
        notify.stopping()
        log.info("Đã dừng.")
    finally:
        lock.release()
    return EXIT_OK


def _cmd_auth_login(args: argparse.Namespace) -> int:
    from sync.backend import google_scopes
    from sync.google.auth import login

    try:
        cfg = load_config(args.config)
    except ConfigError as e:
        for p in e.problems:
            print(f"Lỗi cấu hình: {p}", file=sys.stderr)
        return EXIT_FAILED
    if cfg.google is None:
        print("Cấu hình chưa có nhóm 'google' (credentials: nơi lưu mã truy cập)", file=sys.stderr)
        return EXIT_FAILED
    try:
        login(
            args.client_secrets,
            cfg.google.credentials,
            google_scopes(cfg),
            open_browser=not args.no_browser,
            port=args.port,
        )
    except ConfigError as e:
        for p in e.problems:
            print(f"Lỗi: {p}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Đã lưu mã truy cập vào {cfg.google.credentials} (chỉ chủ tệp đọc được).")
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    from sync.check import check

    try:
        cfg = load_config(args.config)
    except ConfigError:
        cfg = None
    findings = check(args.config, _parse_now(args.now, cfg))
    labels = {"error": "LỖI", "warning": "CẢNH BÁO", "info": "THÔNG TIN"}
    for f in findings:
        print(f"[{labels[f.level]}] {f.message}")
    errors = sum(1 for f in findings if f.level == "error")
    warnings = sum(1 for f in findings if f.level == "warning")
    print(f"Kết quả kiểm tra: {errors} lỗi, {warnings} cảnh báo.")
    return EXIT_FAILED if errors else EXIT_OK


def _width(s: str) -> int:
    return sum(0 if unicodedata.combining(c) else 1 for c in s)


def _pad(s: str, n: int) -> str:
    return s + " " * max(0, n - _width(s))


def _print_status(inputs: Inputs, report: CycleReport) -> None:
    if report.evaluation is None:  # an idle cycle: a dry run never is one
        print("Chu kỳ không đánh giá lại (không có gì thay đổi): chưa có bảng tình trạng.")
        return
    header = ["Mã", "Chi bộ", "Tình trạng", "Quá hạn", "Tham gia", "Báo cáo"]
    rows = []
    for s in report.evaluation.statuses:
        b = inputs.roster.branch(s.branch_code)
        rate = "" if s.participation_rate is None else f"{s.participation_rate:.0%}"
        rows.append(
            [
                b.code,
                b.name,
                str(s.overall),
                f"{s.max_days_overdue} ngày" if s.max_days_overdue else "",
                rate,
                "Đã gửi" if s.report_sent else "Chưa",
            ]
        )
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print("  ".join(_pad(h, w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)))


def _cmd_status(inputs: Inputs, now: datetime) -> int:
    from sync.health import read_health, status_lines
    from sync.lock import holder
    from sync.state import StateFileError

    cfg = inputs.cfg
    # the service's health first: it is read even when the table below cannot be computed
    try:
        health = read_health(cfg.state.path, now, cfg.schedule.every_minutes)
    except StateFileError as e:  # damaged, a folder: the one line `kns run` prints
        return _config_failure(e)
    except (OSError, sqlite3.Error) as e:
        lines = [f"Không đọc được tệp trạng thái {cfg.state.path}: {e}"]
    else:
        lines = status_lines(health)
    print(f"{cfg.ward.name} — tình trạng lúc {now:%d/%m/%Y %H:%M}")
    for line in lines:
        print(line)
    print()
    try:
        report = _cycle(inputs, now, dry_run=True)
    except StateFileError as e:  # damage the health's few reads did not reach
        return _config_failure(e)
    except Exception as e:
        _failure("Không tính được tình trạng", e)
        return EXIT_FAILED
    running = holder(inputs.cfg.state.path)
    if running:
        print(f"Đang có chu kỳ đồng bộ chạy (PID {running}); số liệu dưới đây tính đến lúc này.")
    _print_status(inputs, report)
    return EXIT_OK


def _cmd_status_check(cfg: WardConfig, now: datetime) -> int:
    """`kns status --check`: one line and an exit code for monitoring (README: "Chạy như một
    dịch vụ (systemd)"). Reads the state read-only and takes no lock: a probe every minute
    must never make a starting cycle find the ward busy."""
    from sync.health import CHECK_FAILED, check_line, read_health
    from sync.state import StateFileError

    try:
        health = read_health(cfg.state.path, now, cfg.schedule.every_minutes)
    except StateFileError as e:  # damaged, a folder: its Vietnamese line, on stdout
        log.debug("Chi tiết:", exc_info=e)
        print(f"LỖI: {e.problems[0]}")
        return CHECK_FAILED
    except (OSError, sqlite3.Error) as e:
        print(f"LỖI: không đọc được tệp trạng thái {cfg.state.path}: {e}")
        return CHECK_FAILED
    print(check_line(health))
    return health.exit_code


def _cmd_preview(inputs: Inputs, now: datetime) -> int:
    from sync.mail import render_alert

    if problem := templates_problem(inputs.cfg):
        return _config_failure(ConfigError([problem]))
    try:
        report = _cycle(inputs, now, dry_run=True)
    except Exception as e:
        _failure("Không tính được thư đến hạn", e)
        return EXIT_FAILED
    cfg = inputs.cfg
    # the messages as they would leave (one letter per branch), then the notices that wait
    print(f"=== Thư đến hạn gửi: {len(report.letters)} ===")
    for letter in report.letters:
        a = letter.message
        msg = render_alert(
            a,
            templates_dir=cfg.mail.templates,
            sender=cfg.mail.sender,
            reply_to=cfg.mail.reply_to,
            ward_name=cfg.ward.name,
            now=report.now,
        )
        print(f"--- {a.alert_id}")
        print(f"Đến: {msg['To'] or ''}")
        if msg["Cc"]:
            print(f"Cc: {msg['Cc']}")
        print(f"Tiêu đề: {msg['Subject']}")
        body = msg.get_body(preferencelist=("plain",))
        if body is not None:
            print(body.get_content())
    for title, alerts in (
        ("Thông báo chờ khung giờ gửi", report.plan.waiting),
        ("Thông báo chờ ngày sau (giới hạn gửi trong ngày)", report.plan.queued),
        ("Không gửi được (thiếu email người nhận)", report.plan.unaddressable),
    ):
        if alerts:
            print(f"=== {title}: {len(alerts)} ===")
            for a in alerts:
                print(f"--- {a.alert_id}")
    return EXIT_OK


def report_path(cfg: WardConfig, branch_code: str | None) -> Path:
    """Where `kns report` writes by default: ``report.path`` for the ward's report, else
    beside the workbook (or the state, on the Google backend)."""
    if branch_code is None and cfg.report.path is not None:
        return cfg.report.path
    if cfg.report.path is not None:
        folder = cfg.report.path.parent
    elif cfg.destination.path is not None:
        folder = cfg.destination.path.parent
    else:
        folder = cfg.state.path.parent
    suffix = f"-{branch_code}" if branch_code else ""
    return folder / f"bao-cao-tong-ket-{cfg.ward.year}{suffix}.docx"


def _cmd_report(inputs: Inputs, now: datetime, branch_code: str | None, out: Path | None) -> int:
    from sync.outputs.report_docx import write_report_docx
    from sync.prefill import report_form_link
    from sync.report import build_report, form_a_choices

    cfg = inputs.cfg
    roster = inputs.roster
    if branch_code is not None and not _known_branch(inputs, branch_code):
        return EXIT_FAILED
    try:
        report = _cycle(inputs, now, dry_run=True)
    except Exception as e:
        _failure("Không tính được số liệu báo cáo", e)
        return EXIT_FAILED
    assert report.evaluation is not None  # a dry run always evaluates
    ev = report.evaluation
    document = build_report(
        cfg,
        inputs.rubric,
        roster,
        ev.statuses,
        ev.members,
        ev.kpis,
        ev.history,
        now,
        branch_code=branch_code,
        learning=ev.learning,
        support=report.support,  # the ward's only: build_report leaves it out of a branch's
        choices=form_a_choices(cfg, inputs.mappings),
        # a branch's appendix: the statistics form opening on that branch's name
        form_link=report_form_link(
            cfg, inputs.mappings, roster.branch(branch_code) if branch_code else None
        ),
    )
    path = out or report_path(cfg, branch_code)
    try:
        written = write_report_docx(document, path)
    except OSError as e:
        print(f"Không ghi được tệp báo cáo {path}: {e.strerror or e}", file=sys.stderr)
        return EXIT_FAILED
    who = f"chi bộ {branch_code}" if branch_code else cfg.ward.name
    print(f"Đã viết bản nháp báo cáo tổng kết ({who}), số liệu đến {report.now:%d/%m/%Y %H:%M}:")
    print(f"  {written}")
    print("Các phần đánh dấu \"Phần này do cán bộ tự viết\" cần cán bộ bổ sung.")
    return EXIT_OK


def _known_branch(inputs: Inputs, branch_code: str) -> bool:
    """Say so (on stderr) when the roster has no branch of that code."""
    known = {b.code for b in inputs.roster.branches}
    if branch_code in known:
        return True
    print(
        f"Không có chi bộ mã '{branch_code}' trong danh sách chi bộ "
        f"(có {len(known)} chi bộ, ví dụ: {', '.join(sorted(known)[:3])}).",
        file=sys.stderr,
    )
    return False


def qr_dir(cfg: WardConfig) -> Path:
    """Where `kns qr` writes by default: a folder ``ma-qr`` beside the workbook (or the
    state, on the Google backend)."""
    folder = cfg.destination.path.parent if cfg.destination.path else cfg.state.path.parent
    return folder / "ma-qr"


def _with_responder_uris(cfg: WardConfig) -> WardConfig:
    """Forms read through the API and without a ``form_url`` get the form's own public
    page (``responderUri``); a form that cannot be read is said and left without a link."""
    from sync.google.forms_source import responder_uri
    from sync.prefill import BRANCH_KINDS, is_form_page

    apis = _google(cfg)
    if apis is None:
        return cfg
    sources = []
    for s in cfg.sources:
        if s.kind in BRANCH_KINDS and s.form_id and not s.form_url:
            try:
                uri = responder_uri(apis, s.form_id)
            except ServiceError as e:
                print(f"Không đọc được đường dẫn của biểu mẫu '{s.id}': {e}", file=sys.stderr)
                uri = ""
            if is_form_page(uri):
                s = s.model_copy(update={"form_url": uri})
        sources.append(s)
    return cfg.model_copy(update={"sources": sources})


def _cmd_qr(inputs: Inputs, branch_code: str | None, out: Path | None) -> int:
    from sync.outputs.qr_page import PAGE_FILE, write_qr_folder
    from sync.prefill import qr_cards, sources_without_branch_key, sources_without_form_url

    if branch_code is not None and not _known_branch(inputs, branch_code):
        return EXIT_FAILED
    cfg = _with_responder_uris(inputs.cfg)
    missing = sources_without_form_url(cfg)
    if missing:
        names = ", ".join(f"{s.id} ({s.title or s.kind})" for s in missing)
        print(f"Chưa có đường dẫn biểu mẫu (form_url) trong cấu hình, không tạo mã QR: {names}")
    plain = sources_without_branch_key(cfg, inputs.mappings)
    if plain:
        names = ", ".join(s.id for s in plain)
        print(
            f"Chưa khai báo mã điền sẵn (entry) cho câu hỏi chi bộ trong tệp ánh xạ của: {names}; "
            "mã QR mở biểu mẫu chưa chọn chi bộ"
        )
    branches = [b for b in inputs.roster.branches if branch_code in (None, b.code)]
    cards = qr_cards(cfg, inputs.mappings, branches)
    if not cards:
        print("Không có mã QR nào để tạo.", file=sys.stderr)
        return EXIT_FAILED
    folder = out or qr_dir(cfg)
    try:
        written = write_qr_folder(cards, folder, cfg.ward.name)
    except OSError as e:
        print(f"Không ghi được thư mục mã QR {folder}: {e.strerror or e}", file=sys.stderr)
        return EXIT_FAILED
    for card in written.too_long:
        print(f"Đường dẫn quá dài, không tạo được mã QR: {card.stem}", file=sys.stderr)
    count = len(written.images) // 2
    print(f"Đã tạo {count} mã QR (PNG và SVG) cho {len(branches)} chi bộ trong: {folder}")
    print(f"Trang in (khổ A4): {written.page.parent / PAGE_FILE}")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
