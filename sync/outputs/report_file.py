"""The year-end report as a file (``sync.ports.DocumentWriter``). A large report (a
province's: thousands of branches' words) is rendered in a child process, so python-docx's
tree (tens of MB) never adds to the daemon's peak memory; a ward's is rendered in place
(a child process costs a second of start-up)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import sync
from sync.model import Report

RENDER_TIMEOUT_S = 600  # a province's report takes a few seconds
IN_PROCESS_MAX_QUOTES = 300  # a ward's report: render in place


class ReportWriteError(OSError):
    """The report could not be written (the message is Vietnamese, for staff)."""


class ReportFile:
    def __init__(self, path: Path, *, in_process_max_quotes: int = IN_PROCESS_MAX_QUOTES) -> None:
        self.path = Path(path)
        self.in_process_max_quotes = in_process_max_quotes

    def write_report(self, report: Report) -> Path:
        if sum(len(s.quotes) for s in report.sections) <= self.in_process_max_quotes:
            from sync.outputs.report_docx import write_report_docx

            return write_report_docx(report, self.path)
        return self._in_child(report)

    def _in_child(self, report: Report) -> Path:
        # the child imports the same code as this process, installed or not
        env = dict(os.environ)
        root = str(Path(sync.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "sync.outputs.report_docx", str(self.path)],
                input=pickle.dumps(report, protocol=pickle.HIGHEST_PROTOCOL),
                capture_output=True,
                timeout=RENDER_TIMEOUT_S,
                env=env,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            raise ReportWriteError(f"không chạy được bước viết báo cáo: {e}") from e
        if done.returncode != 0:
            lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise ReportWriteError(lines[-1] if lines else f"mã lỗi {done.returncode}")
        return self.path
