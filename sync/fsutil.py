"""Files that hold personal data (the state, the workbook, the .eml outbox) are private:
folders the software creates are 0700, files 0600 (names, birth dates and e-mail addresses
of members must not be readable by every user of the server)."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

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
