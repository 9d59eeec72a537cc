"""The service's health, for `kns status` and `kns status --check`: when the last cycle
ended and how, and what waits (mail held by the send window or the daily limit, ledger
entries not settled, sources held back as shrunk).

A cycle records what waits (``record_health``) right before it finishes "ok" or "idle";
the ledger and the cycle log say the rest. A run that cannot start a cycle because an input
is broken (config, rubric, mapping, roster, mail templates) records that in the cycle log
too (``record_config_failure``): monitoring then sees "failed" with the reason, not a
cycle that merely grows old. Everything is read from the state opened read-only: it works
while the daemon holds the ward's lock, and takes no lock itself.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sync.errors import ConfigError

if TYPE_CHECKING:
    from sync.alerts import AlertPlan
    from sync.state import CycleRecord, StateStore

log = logging.getLogger("kns")

HEALTH_KEY = "health"  # meta key: the JSON record_health writes
# cycles.status of a run that could not start a cycle: an input (config, rubric, mapping,
# roster, mail templates) is broken; its summary is the one line staff were shown
CONFIG_ERROR = "config_error"

# `kns status --check` exit codes (README, "Chạy như một dịch vụ (systemd)")
CHECK_OK = 0
CHECK_FAILED = 1  # the last cycle failed (or was interrupted), or no cycle ever finished
CHECK_STALE = 2  # no successful cycle for more than two periods (schedule.every_minutes)

STALE_PERIODS = 2
SUCCESS = ("ok", "idle")
_SHOWN_IDS = 5  # alert ids listed by `kns status` before "…"


def record_health(store: StateStore, plan: AlertPlan, held: Iterable[str]) -> None:
    """What waits after this cycle (its alert plan, the sources it held back), kept in the
    state's meta table. Written only when it changed: an idle cycle every few minutes should
    not cost a write for nothing."""
    text = json.dumps(
        {
            "waiting": len(plan.waiting),
            "queued": len(plan.queued),
            "unaddressable": len(plan.unaddressable),
            "held": sorted(set(held)),
        },
        sort_keys=True,
    )
    if store.meta(HEALTH_KEY) != text:
        store.set_meta(HEALTH_KEY, text)


def config_reason(problems: Sequence[str]) -> str:
    """A broken input in one line: the line `kns run` prints for one problem; several are
    counted and joined (the run prints them as a list)."""
    unique = list(dict.fromkeys(problems))  # two sources sharing a broken mapping
    if len(unique) == 1:
        return f"Lỗi cấu hình: {unique[0]}"
    head = f"Cấu hình có {len(unique)} lỗi (chạy `kns check` để xem toàn bộ)"
    return f"{head}: {'; '.join(unique)}"


def failure_reason(e: BaseException) -> str:
    """What the cycle log keeps for a cycle that failed: a broken input (ConfigError) as the
    line staff were shown, anything else as its type and message."""
    if isinstance(e, ConfigError):
        return config_reason(e.problems)
    return f"{type(e).__name__}: {e}"


def config_check_line(problems: Sequence[str]) -> str:
    """`kns status --check` when the config file itself cannot be used: there is no state
    path to read, so the check fails on its own with the reason (exit CHECK_FAILED)."""
    unique = list(dict.fromkeys(problems))
    if len(unique) == 1:
        return f"{_VERDICT['failed']}: không dùng được tệp cấu hình: {_first_line(unique[0])}"
    return (
        f"{_VERDICT['failed']}: không dùng được tệp cấu hình ({len(unique)} lỗi, chạy "
        f"`kns check` để xem toàn bộ): {_first_line('; '.join(unique))}"
    )


def record_config_failure(state_path: Path, reason: str, now: datetime) -> bool:
    """A run (`kns run --once`, the service) that could not start its cycle because an input
    is broken: one row in the cycle log, finished ``CONFIG_ERROR`` with ``reason``, so
    `kns status --check` answers "failed" with it. Only the cycle log is touched (not the
    ledger, the stored answers, what makes a cycle idle): the next good cycle runs as it
    would have and its success makes the check answer 0 again. The caller holds the ward's
    lock. The same failure again (the service restarted every 30 seconds, the timer every
    period) moves that row's end, so it keeps when the failure began and does not push the
    last good cycles out of the log (``KEEP_CYCLES``). False when the state cannot be
    written (a damaged file, a bad state.path: the caller has already said what is wrong)."""
    from sync.state import open_store

    try:
        with open_store(state_path) as store:
            last = store.last_cycle()
            if last is not None and last.status == CONFIG_ERROR and last.summary == reason:
                cycle_id = last.id
            else:
                cycle_id = store.begin_cycle(now)
            store.finish_cycle(cycle_id, CONFIG_ERROR, reason, now)
    except (ConfigError, OSError, sqlite3.Error) as e:
        log.debug("Không ghi được lỗi vào tệp trạng thái %s: %s", state_path, e)
        return False
    return True


@dataclass(frozen=True)
class Health:
    now: datetime
    period: timedelta  # the daemon's (or the timer's) period
    last: CycleRecord | None  # the last finished cycle, whatever its outcome
    last_success: CycleRecord | None  # the last cycle that finished "ok" or "idle"
    running: CycleRecord | None  # a cycle started after ``last`` and not finished
    waiting: int = 0  # mail due, held for the send window
    queued: int = 0  # mail due, over today's limit (mail.daily_limit)
    unaddressable: int = 0
    held: tuple[str, ...] = ()  # sources ("roster") whose shrunk read was held back
    intents: tuple[str, ...] = ()  # ledger: intent recorded, result not (yet) known
    unknown: tuple[str, ...] = ()  # ledger: "không rõ" (SMTP cut off mid-send): not resent
    recorded: bool = False  # a cycle recorded what waits

    @property
    def stale_after(self) -> timedelta:
        return self.period * STALE_PERIODS

    @property
    def verdict(self) -> str:
        """One of "ok", "stale", "failed" (last cycle error or interrupted), "none"."""
        if self.last is None:
            return "none"
        if self.last.status not in SUCCESS:
            return "failed"
        if self.last_success is None or self._age(self.last_success) > self.stale_after:
            return "stale"
        return "ok"

    @property
    def exit_code(self) -> int:
        return {"ok": CHECK_OK, "stale": CHECK_STALE}.get(self.verdict, CHECK_FAILED)

    def _age(self, cycle: CycleRecord) -> timedelta:
        return self.now - _ended(cycle)

    def waits(self) -> list[str]:
        """What waits, one Vietnamese phrase each (empty: nothing)."""
        out = []
        if self.waiting:
            out.append(f"{self.waiting} thông báo chờ khung giờ gửi")
        if self.queued:
            out.append(f"{self.queued} thông báo chờ ngày sau (giới hạn gửi trong ngày)")
        if self.intents:
            n = len(self.intents)
            out.append(f"{n} thông báo chưa rõ kết quả gửi (chu kỳ sau kiểm tra lại)")
        if self.unknown:
            out.append(f'{len(self.unknown)} thông báo "không rõ" đã đi hay chưa (không gửi lại)')
        if self.held:
            out.append(f"{len(self.held)} nguồn bị giữ lại ({', '.join(self.held)})")
        return out


def read_health(state_path: Path, now: datetime, every_minutes: int) -> Health:
    """The health as the state file tells it (opened read-only; a missing file is a ward
    that never ran). A damaged file, a folder: StateFileError, the line `kns run` prints."""
    from sync.state import damage_as_state_error, open_store

    period = timedelta(minutes=every_minutes)
    with damage_as_state_error(state_path), open_store(state_path, read_only=True) as store:
        cycles = store.cycles()  # at most KEEP_CYCLES rows
        recorded = store.meta(HEALTH_KEY)
        ledger = store.ledger()
    finished = [c for c in cycles if c.status != "running"]
    last = finished[-1] if finished else None
    success = [c for c in finished if c.status in SUCCESS]
    newest = cycles[-1] if cycles else None
    running = newest if newest is not None and newest.status == "running" else None
    data: dict[str, object] = {}
    if recorded:
        try:
            loaded = json.loads(recorded)
        except ValueError:
            loaded = None
        data = loaded if isinstance(loaded, dict) else {}
    held = data.get("held")
    return Health(
        now=now,
        period=period,
        last=last,
        last_success=success[-1] if success else None,
        running=running,
        waiting=_int(data.get("waiting")),
        queued=_int(data.get("queued")),
        unaddressable=_int(data.get("unaddressable")),
        held=tuple(str(h) for h in held) if isinstance(held, list) else (),
        intents=tuple(a for a, e in ledger.items() if e.status == "intent"),
        unknown=tuple(a for a, e in ledger.items() if e.status == "unknown"),
        recorded=bool(data),
    )


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


# ---------------------------------------------------------------------------------------
# What `kns status` prints
# ---------------------------------------------------------------------------------------

_VERDICT = {"ok": "BÌNH THƯỜNG", "stale": "CHẬM", "failed": "LỖI", "none": "LỖI"}
_OUTCOME = {
    "ok": "thành công",
    "idle": "thành công, không có gì thay đổi",
    "error": "lỗi",
    "interrupted": "bị dừng đột ngột giữa chừng",
    CONFIG_ERROR: "không chạy được",
}


def _when(dt: datetime, now: datetime) -> str:
    return f"{dt.astimezone(now.tzinfo):%d/%m/%Y %H:%M} ({_ago(now - dt)})"


def _ago(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 0:
        return "sau thời điểm đánh giá"
    if minutes < 1:
        return "vừa xong"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} ngày"] if days else []
    if hours:
        parts.append(f"{hours} giờ")
    if mins and not days:
        parts.append(f"{mins} phút")
    return "cách đây " + " ".join(parts or ["0 phút"])


def _minutes(delta: timedelta) -> str:
    return f"{int(delta.total_seconds() // 60)} phút"


def _first_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _ended(c: CycleRecord) -> datetime:
    return c.finished_at or c.started_at


def _since(c: CycleRecord, now: datetime) -> str:
    """A failure to start repeated over several runs: since when (the row's start)."""
    first = f"{c.started_at.astimezone(now.tzinfo):%d/%m/%Y %H:%M}"
    last = f"{_ended(c).astimezone(now.tzinfo):%d/%m/%Y %H:%M}"
    return f" (từ {first})" if c.status == CONFIG_ERROR and first != last else ""


def check_line(h: Health) -> str:
    """`kns status --check`: one line for monitoring (the exit code says the same)."""
    verdict = h.verdict
    head = _VERDICT[verdict]
    if h.last is None:
        return f"{head}: chưa có chu kỳ đồng bộ nào kết thúc (dịch vụ chưa chạy lần nào?)"
    if verdict == "failed":
        detail = f": {_first_line(h.last.summary)}" if h.last.summary else ""
        outcome = _OUTCOME.get(h.last.status, h.last.status)
        if h.last.status == CONFIG_ERROR:  # it never started: no "ended"
            line = f"{head}: chu kỳ lúc {_when(_ended(h.last), h.now)} {outcome}"
            line += _since(h.last, h.now)
        else:
            line = f"{head}: chu kỳ gần nhất, kết thúc {_when(_ended(h.last), h.now)}, {outcome}"
        line += detail
    elif verdict == "stale" and h.last_success is not None:
        line = (
            f"{head}: chu kỳ thành công gần nhất kết thúc {_when(_ended(h.last_success), h.now)}"
            f", quá {_minutes(h.stale_after)} ({STALE_PERIODS} chu kỳ {_minutes(h.period)})"
        )
    else:
        outcome = _OUTCOME.get(h.last.status, h.last.status)
        line = f"{head}: chu kỳ gần nhất kết thúc {_when(_ended(h.last), h.now)}, {outcome}"
    waits = h.waits()
    return line + (f"; đang chờ: {', '.join(waits)}" if waits else "")


def status_lines(h: Health) -> list[str]:
    """The health part of `kns status`, before the table of branches."""
    lines: list[str] = []
    if h.last is None:
        lines.append("Chu kỳ gần nhất: chưa có chu kỳ đồng bộ nào kết thúc.")
    else:
        outcome = _OUTCOME.get(h.last.status, h.last.status)
        ended = "lúc" if h.last.status == CONFIG_ERROR else "kết thúc"
        when = _when(_ended(h.last), h.now)
        lines.append(f"Chu kỳ gần nhất: {ended} {when}, {outcome}{_since(h.last, h.now)}.")
        if h.last.summary:
            lines.append(f"  {_first_line(h.last.summary, 500)}")
        if h.last.status not in SUCCESS:
            if h.last_success is None:
                lines.append("Chu kỳ thành công gần nhất: chưa có.")
            else:
                ok_done = _when(_ended(h.last_success), h.now)
                lines.append(f"Chu kỳ thành công gần nhất: kết thúc {ok_done}.")
    if h.running is not None:
        lines.append(
            f"Chu kỳ đang chạy (hoặc tiến trình đã dừng đột ngột): bắt đầu "
            f"{_when(h.running.started_at, h.now)}."
        )
    lines.append(f"Giám sát (kns status --check): {_VERDICT[h.verdict]} (mã thoát {h.exit_code}).")
    lines.extend(_waiting_lines(h))
    return lines


def _ids(ids: tuple[str, ...]) -> str:
    shown = ", ".join(ids[:_SHOWN_IDS])
    return shown + (f", … (thêm {len(ids) - _SHOWN_IDS})" if len(ids) > _SHOWN_IDS else "")


def _waiting_lines(h: Health) -> list[str]:
    if not h.waits():
        return ["Đang chờ: không có gì."]
    lines = ["Đang chờ" + (" (theo chu kỳ thành công gần nhất):" if h.recorded else ":")]
    if h.waiting:
        lines.append(f"  - {h.waiting} thông báo đến hạn chờ khung giờ gửi (alerts.window)")
    if h.queued:
        lines.append(
            f"  - {h.queued} thông báo chờ ngày sau: đã đủ giới hạn gửi trong ngày "
            "(mail.daily_limit)"
        )
    if h.intents:
        note = " (có thể đang gửi)" if h.running is not None else ""
        lines.append(
            f"  - {len(h.intents)} thông báo đã ghi ý định gửi, chưa rõ kết quả{note}; chu kỳ sau "
            f"kiểm tra lại: {_ids(h.intents)}"
        )
    if h.unknown:
        lines.append(
            f'  - {len(h.unknown)} thông báo "không rõ" đã đi hay chưa (chu kỳ bị dừng giữa '
            f"lúc gửi qua SMTP; không gửi lại): hãy xem hộp thư đã gửi: {_ids(h.unknown)}"
        )
    for source in h.held:
        lines.append(
            f"  - nguồn '{source}' bị giữ lại: lần đọc mới ít hơn hẳn lần trước, chưa được "
            f"chấp nhận (xem tab 'Lỗi dữ liệu'; nếu đúng: kns run --once --accept-shrink "
            f"{source})"
        )
    return lines
