"""One writer per ward: an exclusive OS lock on a file next to the state file.

The service and a manual `kns run --once` started together would otherwise both read the
same ledger, both find the same alerts unsent and both send them. The lock is taken
without waiting: a second writer is told at once which process holds it (a cycle can take
minutes; waiting silently looks like a hang, and a timer would pile up waiting runs). The
OS releases the lock when the holder dies, even by SIGKILL, so a stale lock file never
blocks anyone; the file itself is left in place (deleting it would let two processes lock
two different files of the same name).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from types import TracebackType

from sync.fsutil import PRIVATE_FILE, private_dir

if sys.platform == "win32":  # pragma: no cover - Windows
    import msvcrt
else:
    import fcntl


class WardBusy(Exception):
    """Another process holds the ward's lock. The message is Vietnamese, for staff."""

    def __init__(self, path: Path, pid: int | None) -> None:
        self.path = path
        self.pid = pid
        who = f"tiến trình PID {pid}" if pid else "một tiến trình khác"
        super().__init__(
            f"Một chu kỳ đồng bộ khác đang chạy cho phường này ({who}, tệp khóa {path}); "
            "lần chạy này không chạy thêm để không gửi thư hai lần. Hãy đợi chu kỳ đó xong, "
            "hoặc dừng dịch vụ trước khi chạy tay."
        )


def lock_path(state_path: Path) -> Path:
    return Path(str(state_path) + ".lock")


class WardLock:
    """``with WardLock(state_path):`` — raises WardBusy when another process holds it."""

    def __init__(self, state_path: Path) -> None:
        self.path = lock_path(Path(state_path))
        self._fd: int | None = None

    def acquire(self) -> None:
        private_dir(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
        try:
            _lock(fd)
        except OSError:
            pid = _read_pid(fd)
            os.close(fd)
            raise WardBusy(self.path, pid) from None
        # the holder's PID, for the message a second writer prints
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        with contextlib.suppress(OSError):
            _unlock(self._fd)
        os.close(self._fd)
        self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> WardLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def holder(state_path: Path) -> int | None:
    """The PID holding the ward's lock, or None when nobody does (for `kns status`)."""
    path = lock_path(Path(state_path))
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return None
    try:
        try:
            _lock(fd)
        except OSError:
            return _read_pid(fd) or -1
        _unlock(fd)
        return None
    finally:
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _lock(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover - Windows
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    else:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _unlock(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover - Windows
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
