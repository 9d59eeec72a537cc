"""An administrator runs `kns status` as root while the service (its own user) is stopped:
the read-only open creates the state's -wal/-shm files, which it cannot remove. They must
belong to the state's owner, or the service could no longer write its own state. SQLite
does this itself (its unix layer gives a file root creates to the database's owner); this
test keeps it so, should the way the state is opened ever change."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import pytest

from sync.state import StateStore
from tests.conftest import ROOT, TZ

SERVICE_UID = 65534  # "nobody": stands for the service's own user (kns)

needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root reads as another user"
)

# everything imported first: the checkout itself may not be readable by that user
WRITE_AS_SERVICE = """
import os, sys
from datetime import datetime, timezone
from sync.state import StateStore
os.setgid({uid}); os.setuid({uid})
with StateStore(sys.argv[1]) as store:
    store.begin_cycle(datetime(2026, 11, 23, 9, tzinfo=timezone.utc))
print("ok")
"""


@needs_root
def test_a_root_reader_leaves_the_sidecars_to_the_states_owner() -> None:
    # pytest's tmp_path sits under root's private folder: the service user must reach this
    base = Path(tempfile.mkdtemp(prefix="kns-sidecars-"))
    try:
        _check(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _check(base: Path) -> None:
    base.chmod(0o711)
    folder = base / "state"
    folder.mkdir()
    path = folder / "state.sqlite"
    with StateStore(path) as store:  # the service's earlier cycle
        store.begin_cycle(datetime(2026, 11, 23, 8, tzinfo=TZ))
    for p in (folder, path):
        os.chown(p, SERVICE_UID, SERVICE_UID)
    assert not path.with_name("state.sqlite-shm").exists()  # the writer cleaned up on close

    with StateStore(path, read_only=True) as store:  # `kns status`, as root
        assert store.last_cycle() is not None

    sidecars = [path.with_name(path.name + s) for s in ("-wal", "-shm")]
    left = [p for p in sidecars if p.exists()]
    assert left, "SQLite left no sidecar: the case this guards against did not happen"
    assert {p.stat().st_uid for p in left} == {SERVICE_UID}

    # and the service, as its own user, still writes its state
    out = subprocess.run(
        [sys.executable, "-c", WRITE_AS_SERVICE.format(uid=SERVICE_UID), str(path)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
