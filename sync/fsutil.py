"""Files that hold personal data (the state, the workbook, the .eml outbox) are private:
folders the software creates are 0700, files 0600 (names, birth dates and e-mail addresses
of members must not be readable by every user of the server)."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) readable only by the owner. A folder that
    already exists keeps its mode: it may be the ward's own (a shared documents folder)."""
    path = Path(path)
    missing: list[Path] = []
    p = path
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        with contextlib.suppress(FileExistsError):
            d.mkdir(mode=PRIVATE_DIR)
        with contextlib.suppress(OSError):
            os.chmod(d, PRIVATE_DIR)  # mkdir's mode is filtered by the umask
    return path


def private_file(path: Path) -> None:
    """Make sure ``path`` exists and is readable only by the owner (an older version may
    have created it 0644)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)


def remove_stale(folder: Path, pattern: str, *, older_than: float = 0.0) -> list[Path]:
    """Delete files matching ``pattern`` in ``folder`` (temporary files a killed process
    left); ``older_than`` seconds protects files another process may be writing."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    limit = time.time() - older_than
    for p in folder.glob(pattern):
        try:
            if p.is_file() and p.stat().st_mtime <= limit:
                p.unlink()
                removed.append(p)
        except OSError:
            continue
    return removed


def fsync_dir(folder: Path) -> None:
    """Make the renames in ``folder`` durable (POSIX); a no-op where folders cannot be
    opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(
    path: Path,
    write: Callable[[IO[bytes]], object],
    *,
    prefix: str | None = None,
    suffix: str = ".tmp",
    buffering: int = -1,
    sync_dir: bool = True,
) -> None:
    """Write ``path`` whole or not at all: ``write`` fills a temporary file in the same
    folder (0600 from its creation), which is fsynced and renamed over ``path``; on any
    error it is removed and the error goes on. ``sync_dir`` False leaves the folder's fsync
    to the caller (a batch of files, one fsync)."""
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(
        dir=path.parent, prefix=prefix if prefix is not None else f".{path.name}.", suffix=suffix
    )
    try:
        with os.fdopen(fd, "wb", buffering=buffering) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    if sync_dir:
        fsync_dir(path.parent)
