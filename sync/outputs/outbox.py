"""The offline mail transport: one .eml file per alert in a folder.

A file appears whole or not at all (temporary file in the same folder, fsync, os.replace),
so after a crash "the file exists" means "the message was sent". The folder is fsynced once
per batch (``flush``), before the ledger records the batch as sent. The file name comes from
the alert id, so sending the same alert again overwrites the same file with the same bytes.
The folder is private (0700 when created here; each file 0600): messages name members.
"""

from __future__ import annotations

import hashlib
import re
from email.message import EmailMessage
from pathlib import Path

from sync.fsutil import fsync_dir, private_dir, remove_stale, write_atomic
from sync.ports import MailError

TEMP_PREFIX, TEMP_SUFFIX = ".kns-", ".tmp"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_NAME_MAX = 120


def eml_name(alert_id: str) -> str:
    """A portable file name for an alert id, unique even when two ids differ only in
    characters the file system cannot hold ("ke_hoach:CB01:overdue:2" ->
    "ke_hoach_CB01_overdue_2-1a2b3c4d.eml")."""
    readable = _UNSAFE.sub("_", alert_id).strip("._")[:_NAME_MAX] or "alert"
    tag = hashlib.sha256(alert_id.encode("utf-8")).hexdigest()[:8]
    return f"{readable}-{tag}.eml"


class OutboxTransport:
    """Writes each message to ``<folder>/<eml_name(alert_id)>``."""

    # was_sent() tells exactly after a crash, so a cycle may record a batch of intents
    # before sending them (one ledger transaction and one folder fsync per batch)
    batch_size = 100

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._unflushed = False

    def path_for(self, alert_id: str) -> Path:
        return self.folder / eml_name(alert_id)

    def send(self, alert_id: str, message: EmailMessage) -> None:
        target = self.path_for(alert_id)
        try:
            data = message.as_bytes()
        except (TypeError, ValueError, UnicodeError) as e:
            raise MailError(f"Không tạo được nội dung thư {alert_id}: {e}") from e
        try:
            private_dir(self.folder)
        except OSError as e:
            raise MailError(f"Không tạo được tệp thư trong thư mục {self.folder}: {e}") from e
        try:
            write_atomic(
                target,
                lambda f: f.write(data),
                prefix=TEMP_PREFIX,
                suffix=TEMP_SUFFIX,
                sync_dir=False,  # once per batch, in flush()
            )
        except OSError as e:
            # a full disk, a file held open: the cycle records it "failed" and sends again
            raise MailError(
                f"Không ghi được tệp thư {target}: {e}; chu kỳ sau sẽ gửi lại"
            ) from e
        self._unflushed = True

    def flush(self) -> None:
        """Make the renames of the files written since the last flush durable."""
        if self._unflushed:
            fsync_dir(self.folder)
            self._unflushed = False

    def was_sent(self, alert_id: str) -> bool | None:
        return self.path_for(alert_id).is_file()

    def cleanup(self) -> list[Path]:
        """Temporary files a process killed in the middle of a write left behind (the
        caller holds the ward's lock: no write of ours is under way)."""
        return remove_stale(self.folder, f"{TEMP_PREFIX}*{TEMP_SUFFIX}")
