"""Run one command as this process's only child and report that child's own resources.

    python -m bench.measure --json OUT.json [--timeout S] -- COMMAND ARGS...

``getrusage(RUSAGE_CHILDREN)`` of a process that has exactly one child (waited for) is
that child's CPU and peak RSS and nothing else: neither this wrapper, nor the benchmark
runner, nor the fake Google server. The child's output goes to this process's stdout and
stderr (the runner sends them to log files). The JSON holds ``exit`` (the child's exit
code; negative: killed by that signal), ``timeout``, ``user``, ``sys``, ``cpu`` (seconds),
``maxrss_kb`` and ``wall`` (seconds, from start to exit).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def run(cmd: list[str], timeout: float | None) -> dict[str, Any]:
    started = time.perf_counter()
    child = subprocess.Popen(cmd)
    timed_out = False
    try:
        code = child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        child.kill()
        code = child.wait()  # waited for: its usage is counted like a finished child's
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "exit": code,
        "timeout": timed_out,
        "user": usage.ru_utime,
        "sys": usage.ru_stime,
        "cpu": usage.ru_utime + usage.ru_stime,
        "maxrss_kb": usage.ru_maxrss,  # Linux: kilobytes
        "wall": wall,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.measure")
    parser.add_argument("--json", type=Path, required=True, help="where to write the figures")
    parser.add_argument("--timeout", type=float, default=None, help="kill the child after S s")
    parser.add_argument("cmd", nargs=argparse.REMAINDER, help="-- COMMAND ARGS...")
    args = parser.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        parser.error("no command")
    figures = run(cmd, args.timeout)
    args.json.write_text(json.dumps(figures), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
