"""One sync cycle on the Google backend, in a process of its own (run by bench.measure).

    python -m bench.google_cycle --config google.yaml --now 2026-11-23T08:00:00+07:00 \\
        --url http://127.0.0.1:PORT/ --token TOKEN

The Google clients are the production ``GoogleApis`` pointed at the fake's address (as
``tests.fake_google.clients.fake_apis`` does). Their client-side rate limits and retry
back-off stay on, but on a virtual clock: a wait moves the clock instead of sleeping, so no
CPU is burnt spinning and the cycle reports how long Google's quotas would have held it up.
The last line of output is ``BENCH {json}`` (summary, e-mails sent, throttle seconds).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from datetime import datetime
from pathlib import Path

from google.oauth2.credentials import Credentials

from sync.google.apis import GoogleApis, RetryPolicy


class VirtualClock:
    """time.monotonic() plus every second "slept" so far."""

    def __init__(self) -> None:
        self.slept = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.slept

    def sleep(self, seconds: float) -> None:
        self.slept += max(seconds, 0.0)


def run_one_cycle(config: Path, now: datetime, apis: GoogleApis) -> tuple[str, int]:
    """One cycle as tests/test_contract.py's GoogleHarness.cycle runs it; returns the
    cycle's summary line and how many e-mails it sent. The benchmark's only use of the
    cycle's API: adapt this function when that API changes."""
    from sync.backend import make_backend
    from sync.config import load_config
    from sync.cycle import run_cycle
    from sync.state import StateStore

    try:  # moved from sync.cycle to sync.backend in 0b8f186; older revisions for --code
        from sync.backend import load_inputs
    except ImportError:
        from sync.cycle import load_inputs  # type: ignore[attr-defined,no-redef]

    cfg = load_config(config)
    try:  # as `kns run --once` does: the ward's lock, the roster read only when needed
        from sync.lock import WardLock

        lock = WardLock(cfg.state.path)
        lock.acquire()
        inputs = load_inputs(cfg, apis=apis, lazy_roster=True)
    except (ImportError, TypeError):  # older revisions (--code)
        lock = None
        inputs = load_inputs(cfg, apis=apis)
    try:
        backend = make_backend(cfg, inputs.mappings, apis=apis, rubric=inputs.rubric)
        with StateStore(cfg.state.path) as store:
            report = run_cycle(inputs, store, backend, now)
    finally:
        if lock is not None:
            lock.release()
    return report.summary(), len(report.sent)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.google_cycle")
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--now", type=datetime.fromisoformat, required=True)
    parser.add_argument("--url", required=True, help="the fake Google's root URL")
    parser.add_argument("--token", default="fake-token")
    args = parser.parse_args(argv)
    clock = VirtualClock()
    apis = GoogleApis(
        Credentials(token=args.token),
        root_url=args.url,
        retry=RetryPolicy(max_attempts=6),
        sleep=clock.sleep,
        clock=clock,
        # the fake applies a province's formatting cell by cell (a minute or more where
        # Google takes seconds): waiting for it measures our side, not the fake's
        timeout=900,
    )
    try:
        summary, sent = run_one_cycle(args.config, args.now, apis)
    except Exception:  # the runner shows the exit code; the traceback goes to the log
        traceback.print_exc()
        print("BENCH " + json.dumps({"error": True, "throttle_s": clock.slept}))
        return 1
    print(summary)
    print("BENCH " + json.dumps({"summary": summary, "sent": sent, "throttle_s": clock.slept}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
