"""The `kns` command line."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from sync.config import WardConfig, load_config
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
    sub.add_parser("status", parents=[common], help="bảng tình trạng các chi bộ")
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
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    if args.command == "check":
        return _cmd_check(args)
    if args.command == "auth":
        return _cmd_auth_login(args)
    if args.command == "run" and not (args.once or args.dry_run):
        return _cmd_daemon(args.config, args.now)
    try:
        cfg = load_config(args.config)
    except ConfigError as e:
        return _config_failure(e)
    now = _parse_now(args.now, cfg)
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
    return EXIT_FAILED  # pragma: no cover  (argparse enforces the choices)


def _config_failure(e: ConfigError) -> int:
    print("Cấu hình có lỗi (chạy `kns check` để xem toàn bộ):", file=sys.stderr)
    for p in e.problems:
        print(f"  - {p}", file=sys.stderr)
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
    from sync.state import StateStore

    apis = apis if apis is not None else _google(inputs.cfg)
    backend = make_backend(inputs.cfg, inputs.mappings, apis=apis, rubric=inputs.rubric)
    with StateStore(inputs.cfg.state.path, read_only=dry_run) as store:
        return run_cycle(
            inputs, store, backend, now, dry_run=dry_run, accept_shrink=accept_shrink
        )


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
    try:
        from sync.backend import load_inputs

        try:
            inputs = load_inputs(
                cfg, apis=apis if apis is not None else _google(cfg), lazy_roster=True
            )
        except ConfigError as e:
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
        for p in e.problems:
            print(f"Lỗi cấu hình: {p}", file=sys.stderr)
        return EXIT_FAILED
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
        print(f"Thư đã gửi ({len(report.sent)}) nằm trong: {cfg.mail.outbox_dir}")
    for alert_id, status in sorted(report.recovered.items()):
        print(f"Thông báo dở dang từ chu kỳ trước: {alert_id}: {status}")
    return EXIT_OK


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
    stop = _Stop()
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    minutes = first.schedule.every_minutes

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
        except ConfigError as e:
            log.error("Cấu hình có lỗi, bỏ qua chu kỳ này: %s", "; ".join(e.problems))
            return
        except Exception as e:
            _failure("Không nạp được cấu hình, bỏ qua chu kỳ này", e)
            return
        try:
            _cycle(inputs, datetime.now().astimezone(cfg.tz), dry_run=False)
        except Exception as e:  # one failed cycle must not kill the daemon; the next resumes
            _failure("Chu kỳ lỗi, sẽ thử lại ở chu kỳ sau", e)

    try:
        scheduler = schedule.Scheduler()
        scheduler.every(minutes).minutes.do(job)
        log.info("Bắt đầu chạy định kỳ mỗi %d phút. Nhấn Ctrl-C để dừng.", minutes)
        job()
        while not stop.requested:
            scheduler.run_pending()
            time.sleep(1)
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
    from sync.lock import holder

    try:
        report = _cycle(inputs, now, dry_run=True)
    except Exception as e:
        _failure("Không tính được tình trạng", e)
        return EXIT_FAILED
    print(f"{inputs.cfg.ward.name} — tình trạng lúc {report.now:%d/%m/%Y %H:%M}")
    running = holder(inputs.cfg.state.path)
    if running:
        print(f"Đang có chu kỳ đồng bộ chạy (PID {running}); số liệu dưới đây tính đến lúc này.")
    _print_status(inputs, report)
    return EXIT_OK


def _cmd_preview(inputs: Inputs, now: datetime) -> int:
    from sync.mail import render_alert

    try:
        report = _cycle(inputs, now, dry_run=True)
    except Exception as e:
        _failure("Không tính được thư đến hạn", e)
        return EXIT_FAILED
    cfg = inputs.cfg
    groups = [
        ("Thư đến hạn gửi", report.plan.due),
        ("Thư chờ khung giờ gửi", report.plan.waiting),
        ("Không gửi được (thiếu email người nhận)", report.plan.unaddressable),
    ]
    for title, alerts in groups:
        print(f"=== {title}: {len(alerts)} ===")
        for a in alerts:
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
                print(body.get_content())  # type: ignore[attr-defined]
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
    from sync.report import build_report, form_a_choices

    cfg = inputs.cfg
    roster = inputs.roster
    if branch_code is not None:
        known = {b.code for b in roster.branches}
        if branch_code not in known:
            print(
                f"Không có chi bộ mã '{branch_code}' trong danh sách chi bộ "
                f"(có {len(known)} chi bộ, ví dụ: {', '.join(sorted(known)[:3])}).",
                file=sys.stderr,
            )
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
