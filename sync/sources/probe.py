"""Probing files without reading them: an idle cycle costs one ``stat`` per file.

The stat part (size, mtime, ctime, inode) changes whenever a file may have changed (a user
cannot set ctime, and a file replaced by a new download has a new inode); only then are the
bytes hashed, so a file saved again with the same content is still "unchanged".
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from sync.ports import Probe
from sync.sources.files import file_fingerprint

_CHUNK = 1 << 20


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
