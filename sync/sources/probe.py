"""Probing files without reading them: an idle cycle costs one ``stat`` per file.

The stat part (size, mtime, ctime, inode) changes whenever a file may have changed (a user
cannot set ctime, and a file replaced by a new download has a new inode); only then are the
bytes hashed, so a file saved again with the same content is still "unchanged".
"""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Sequence
from pathlib import Path

from sync.ports import Probe

_CHUNK = 1 << 20


def file_fingerprint(path: Path) -> tuple[int, int, int, int] | None:
    """``(st_size, st_mtime_ns, st_ctime_ns, st_ino)`` of a regular file; None when there
    is no such file (or it is a folder, or cannot be stat'ed): read it to learn why.

    A fingerprint different from the previous one means "read and hash the file again";
    the same fingerprint means "unchanged". A user (or a download tool) can set the mtime
    back, but not the ctime: a file rewritten in place gets a new ctime, a file replaced
    by another (rename over it) a new inode.
    """
    try:
        st = path.stat()
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def stat_text(paths: Sequence[Path]) -> str | None:
    parts = []
    for p in paths:
        fp = file_fingerprint(p)
        if fp is None:
            return None
        parts.append(":".join(str(x) for x in fp))
    return "|".join(parts)


def content_hash(paths: Sequence[Path]) -> str | None:
    h = hashlib.sha256()
    try:
        for p in paths:
            with open(p, "rb") as f:
                while chunk := f.read(_CHUNK):
                    h.update(chunk)
            h.update(b"\x00")
    except OSError:
        return None
    return h.hexdigest()


def probe_files(paths: Sequence[Path], previous: Probe | None) -> Probe | None:
    """The files' probe; None when one cannot be read (the reader then says why)."""
    stat = stat_text(paths)
    if stat is None:
        return None
    if previous is not None and previous.stat == stat:
        return previous
    content = content_hash(paths)
    if content is None:
        return None
    return Probe(stat, content)
