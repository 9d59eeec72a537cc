"""Running as a service: the systemd notify protocol and the log format.

``sd_notify`` is a datagram of ``KEY=value`` lines to the AF_UNIX socket named by
$NOTIFY_SOCKET (an abstract socket when the name starts with "@"); it is a few lines, so
it is implemented here rather than adding a dependency. Outside systemd (no
$NOTIFY_SOCKET) every call is a no-op.

The watchdog is pinged from the daemon's main loop, between cycles, never from a thread of
its own: a thread pinging on its own would keep a cycle stuck on the network alive for ever,
which is exactly what the watchdog is there to catch. A cycle is not interrupted to ping,
so WatchdogSec= in the unit must exceed the longest cycle (contrib/kynangso-sync.service
sets one hour; a province's first cycle on Google takes minutes).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import time
from collections.abc import Mapping
from datetime import datetime

log = logging.getLogger("kns")

LOG_FORMATS = ("text", "json")


# ---------------------------------------------------------------------------------------
# sd_notify
# ---------------------------------------------------------------------------------------


def _one_line(text: str, limit: int = 400) -> str:
    # STATUS= is shown on one line by `systemctl status`; a newline would end the field
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class Notifier:
    """Messages to systemd (Type=notify). ``environ`` defaults to the process's."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        name = env.get("NOTIFY_SOCKET", "")
        self.address: str | bytes | None = None
        if name.startswith("@"):
            self.address = "\0" + name[1:]  # Linux abstract namespace
        elif name.startswith("/"):
            self.address = name
        elif name:
            log.debug("NOTIFY_SOCKET không dùng được (chỉ hỗ trợ AF_UNIX): bỏ qua")
        # half of WatchdogSec: systemd's own advice for how often to ping
        self.ping_every: float | None = None
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        if usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid())):
            self.ping_every = int(usec) / 2_000_000
        self._last_ping = float("-inf")

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, *fields: str) -> bool:
        """One datagram of ``KEY=value`` fields; False when not sent (never raises: a lost
        notification must not stop the daemon)."""
        if self.address is None:
            return False
        payload = "\n".join(fields).encode("utf-8")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
                s.sendto(payload, self.address)
        except OSError as e:
            log.debug("Không gửi được thông báo cho systemd: %s", e)
            return False
        return True

    def ready(self, status: str) -> bool:
        return self.send("READY=1", f"STATUS={_one_line(status)}")

    def status(self, text: str) -> bool:
        return self.send(f"STATUS={_one_line(text)}")

    def stopping(self, status: str = "Đang dừng") -> bool:
        return self.send("STOPPING=1", f"STATUS={_one_line(status)}")

    def watchdog(self, *, force: bool = False) -> bool:
        """WATCHDOG=1, at most every quarter of WatchdogSec (the loop calls it every tick)."""
        if self.ping_every is None:
            return False
        now = time.monotonic()
        if not force and now - self._last_ping < self.ping_every / 2:
            return False
        self._last_ping = now
        return self.send("WATCHDOG=1")

    def tick(self, default: float = 1.0) -> float:
        """How long the main loop may sleep between two checks of the clock and the
        watchdog: a watchdog shorter than two seconds needs shorter naps."""
        if self.ping_every is None:
            return default
        return max(0.01, min(default, self.ping_every / 2))


def cycle_status(now: datetime, summary: str) -> str:
    """STATUS= after a cycle: when it ended and its one-line summary (counts only)."""
    return f"Chu kỳ lúc {now:%d/%m/%Y %H:%M} xong: {summary}"


# ---------------------------------------------------------------------------------------
# Logging
# ---------------------------------------------------------------------------------------

# syslog priorities: journald reads a "<N>" line prefix as the entry's priority, so
# `journalctl -p warning` finds warnings
_PRIORITY = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}


def _priority(levelno: int) -> int:
    for level, prio in sorted(_PRIORITY.items(), reverse=True):
        if levelno >= level:
            return prio
    return 7


def under_systemd(environ: Mapping[str, str] | None = None) -> bool:
    """Started by systemd (a service, or `systemd-run`): journald stamps the time."""
    env = os.environ if environ is None else environ
    return bool(env.get("JOURNAL_STREAM") or env.get("INVOCATION_ID"))


def stderr_is_journal(environ: Mapping[str, str] | None = None) -> bool:
    """$JOURNAL_STREAM names stderr ("device:inode"): only then does a "<N>" prefix mean
    something (stderr may be redirected to a file by the unit)."""
    env = os.environ if environ is None else environ
    dev, _, ino = env.get("JOURNAL_STREAM", "").partition(":")
    if not (dev.isdigit() and ino.isdigit()):
        return False
    try:
        st = os.fstat(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return st.st_dev == int(dev) and st.st_ino == int(ino)


class OneLineFormatter(logging.Formatter):
    """One line per event (a traceback too: its newlines become "\\n"), no time (the
    journal has it), with a "<N>" priority prefix when stderr is the journal."""

    def __init__(self, *, priority_prefix: bool) -> None:
        super().__init__("%(levelname)s %(message)s")
        self.priority_prefix = priority_prefix

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record).replace("\r\n", "\n").replace("\n", "\\n")
        if self.priority_prefix:
            return f"<{_priority(record.levelno)}>{text}"
        return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO-8601 with offset), level, message, logger; and
    exception when there is one. For log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created)
            .astimezone()
            .isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def log_formatter(fmt: str, environ: Mapping[str, str] | None = None) -> logging.Formatter:
    """The formatter for ``--log-format``: "json", or "text" (with the time on a terminal,
    without it under systemd)."""
    if fmt == "json":
        return JsonFormatter()
    if under_systemd(environ):
        return OneLineFormatter(priority_prefix=stderr_is_journal(environ))
    # a person at a terminal: the time, and a traceback (with -v) on lines of its own
    return logging.Formatter("%(asctime)s %(levelname)s %(message)s")


def configure_logging(verbose: bool, fmt: str = "text") -> None:
    """Logs to stderr. Like ``logging.basicConfig``, nothing changes when the root logger
    already has handlers (a host program, pytest)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(log_formatter(fmt))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
