"""Benchmark: tiled wards on the embedded and the Google backend, against a floor.

    .venv/bin/python -m bench [--scales 25,300,3000] [--backends embedded,google]
                              [--keep DIR] [--markdown] [--timeout 1800] [--code REF]

Per scale (branches, or branches/members; the default members are the issue's: 25/500,
300/10,000, 3,000/100,000) it generates the ward (``bench.scale_ward``), then times:

- embedded backend: ``kns run --once`` at 08:00 (first cycle), 08:30 (idle: nothing
  changed), then ``mutate`` (~1 % of the form responses new or edited) and 09:00
  (incremental);
- Google backend: the same three cycles (``bench.google_cycle``) against the fake Google
  Workspace running in a process of its own (``bench.fake_server``), whose CPU is reported
  apart, with the API calls of each cycle by method;
- the floor: reading the same exports and roster (stdlib csv; the XLSX export with openpyxl
  read-only) and writing as many cells as the first cycle's workbook holds (openpyxl
  write-only), each in its own process.

Every command runs under ``bench.measure``: its CPU (user + sys) and peak RSS are its own.
The cycles run the work tree's code (``PYTHONPATH`` = the repo; the venv's ``kns`` alone
would import the copy installed in site-packages), or with ``--code REF`` the code of a git
revision (``git archive`` of sync/, scoring/, the fake, config/ and mappings/ into the work
folder), e.g. to compare HEAD with the work tree. The data is generated with the work tree.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from bench import floor
from bench.scale_ward import (
    CONFIG_FILE,
    EXPORTS,
    OUTBOX,
    SCALES,
    STATE,
    WORKBOOK,
    Scale,
    mutate,
    write_config,
)
from tools import sample_ward as sw

ROOT = Path(__file__).resolve().parent.parent
MARKER = ".kns-bench"  # a folder the benchmark made (and may empty again with --keep)
CYCLES = (("first", "08:00"), ("idle", "08:30"), ("incremental", "09:00"))
DAY = "2026-11-23T{}:00+07:00"
GMAIL_DAILY_LIMIT = 1800  # as config/google-example.yaml (a Workspace account: 2,000)
# what --code REF takes from a revision: the code a cycle runs, the fake, rules and templates
CODE_PATHS = ("sync", "scoring", "tests/__init__.py", "tests/fake_google", "config", "mappings")


@dataclass
class Measured:
    exit: int
    timeout: bool
    cpu: float
    wall: float
    maxrss_kb: int
    out: str = ""  # the command's stdout
    err: str = ""  # the command's stderr

    @property
    def status(self) -> str:
        if self.timeout:
            return "timeout"
        return str(self.exit) if self.exit >= 0 else f"signal {-self.exit}"

    @property
    def ok(self) -> bool:
        return self.exit == 0 and not self.timeout


@dataclass
class Row:
    scale: str
    backend: str
    cycle: str
    m: Measured | None
    state_mb: float | None = None
    emails: int | None = None
    fake_cpu: float | None = None
    calls: dict[str, int] | None = None


@dataclass
class ScaleResult:
    scale: Scale
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    floor_cpu: float | None = None
    floor_wall: float | None = None


class Runner:
    def __init__(self, args: argparse.Namespace, base: Path) -> None:
        self.args = args
        self.base = base
        # the benchmark's own tools (generation, floor) always run with the work tree
        self.env = {**os.environ, "PYTHONPATH": os.pathsep.join(_pythonpath(ROOT))}
        self.kns = Path(sys.executable).with_name("kns")
        # the code under test: the work tree, or a git revision extracted next to the data
        self.code_root, self.code_label = ROOT, work_tree_label()
        if args.code is not None:
            self.code_root, sha = extract_code(args.code, base)
            self.code_label = (
                f"git revision {args.code} = {sha} (extracted at the start; the data is "
                f"generated with the work tree: {self.code_label})"
            )
        self.code_env = {**os.environ, "PYTHONPATH": os.pathsep.join(_pythonpath(self.code_root))}

    # -- one measured command ---------------------------------------------------------

    def measure(
        self, logs: Path, name: str, cmd: list[str], *, code: bool = False, limit: bool = True
    ) -> Measured:
        """Run ``cmd`` under bench.measure; ``code``: it runs the code under test;
        ``limit``: killed after --timeout seconds."""
        logs.mkdir(parents=True, exist_ok=True)
        figures = logs / f"{name}.json"
        out, err = logs / f"{name}.out", logs / f"{name}.err"
        wrapper = [sys.executable, "-m", "bench.measure", "--json", str(figures)]
        if limit:
            wrapper += ["--timeout", str(self.args.timeout)]
        wrapper += ["--", *cmd]
        # cwd first on sys.path for `python -m`: it must be the code under test's root
        cwd, env = (self.code_root, self.code_env) if code else (ROOT, self.env)
        with out.open("wb") as fo, err.open("wb") as fe:
            subprocess.run(wrapper, cwd=cwd, env=env, stdout=fo, stderr=fe, check=True)
        f = json.loads(figures.read_text(encoding="utf-8"))
        return Measured(
            exit=int(f["exit"]),
            timeout=bool(f["timeout"]),
            cpu=float(f["cpu"]),
            wall=float(f["wall"]),
            maxrss_kb=int(f["maxrss_kb"]),
            out=out.read_text(encoding="utf-8", errors="replace"),
            err=err.read_text(encoding="utf-8", errors="replace"),
        )

    # -- per scale --------------------------------------------------------------------

    def run_scale(self, scale: Scale) -> ScaleResult:
        res = ScaleResult(scale)
        folder = self.base / f"scale-{scale.branches}-{scale.members}"
        _fresh(folder)
        logs = folder / "logs"
        emb, goo = folder / "embedded", folder / "google"
        _progress(f"[{scale.label}] generating the ward ...")
        spec = f"{scale.branches}/{scale.members}"
        cmd = [sys.executable, "-m", "bench.scale_ward", "--scale", spec, "--out", str(emb)]
        # not limited: --timeout is for the code under test, the data must exist
        gen = self.measure(logs, "generate", [*cmd, "--seed", str(self.args.seed)], limit=False)
        if not gen.ok:
            res.notes.append(f"{scale.label}: generation failed ({gen.status}):\n{_tail(gen.err)}")
            return res
        size = sum((emb / rel).stat().st_size for rel in EXPORTS)
        res.notes.append(
            f"{scale.label}: generated in {gen.wall:.1f} s wall ({gen.cpu:.1f} s CPU, peak RSS "
            f"{gen.maxrss_kb / 1024:.0f} MB): exports {size / 1e6:.1f} MB, "
            + ", ".join(f"{Path(r).name} {_data_rows(emb / r)} rows" for r in EXPORTS[:3])
        )
        if self.code_root != ROOT:  # the revision's rubric, mappings and templates
            write_config(emb, scale.branches, scale.members, root=self.code_root)
        if "google" in self.args.backends:
            shutil.copytree(emb, goo)  # before any cycle: the Google run starts from the same
        inputs = [emb / sw.BRANCHES_FILE, emb / sw.MEMBERS_FILE, *(emb / r for r in EXPORTS)]
        _progress(f"[{scale.label}] floor: reading ...")
        read = self.measure(
            logs, "floor-read", [sys.executable, "-m", "bench.floor", "read", *map(str, inputs)]
        )
        shape: floor.Shape | None = None
        if "embedded" in self.args.backends:
            shape = self.embedded(res, emb, logs)
        if "google" in self.args.backends:
            try:
                shape = self.google(res, goo, logs, need_shape=shape is None) or shape
            except RuntimeError as e:  # the fake died or refused: say so, keep the rest
                res.notes.append(f"{scale.label}: Google run stopped: {e}")
        if shape is None:
            res.notes.append(f"{scale.label}: no workbook from a first cycle: no floor write")
            res.rows.append(Row(scale.label, "floor", "read exports + roster", read))
            return res
        shape_file = logs / "shape.json"
        shape_file.write_text(json.dumps(shape), encoding="utf-8")
        cells = floor.cell_count(shape)
        _progress(f"[{scale.label}] floor: writing {cells:,} cells ...")
        cmd = [sys.executable, "-m", "bench.floor", "write", str(logs / "floor.xlsx")]
        write = self.measure(logs, "floor-write", [*cmd, str(shape_file)])
        rows_read = json.loads(read.out or "{}").get("rows", "?") if read.ok else "?"
        res.rows.append(
            Row(scale.label, "floor", f"read exports + roster ({rows_read} rows)", read)
        )
        res.rows.append(Row(scale.label, "floor", f"write {cells:,} cells", write))
        if read.ok and write.ok:
            res.floor_cpu, res.floor_wall = read.cpu + write.cpu, read.wall + write.wall
            peak = max(read.maxrss_kb, write.maxrss_kb)
            total = Measured(0, False, res.floor_cpu, res.floor_wall, peak)
            res.rows.append(Row(scale.label, "floor", "total (= 1×)", total))
        return res

    # -- embedded ---------------------------------------------------------------------

    def embedded(self, res: ScaleResult, ward: Path, logs: Path) -> floor.Shape | None:
        label = res.scale.label
        shape = None
        for cycle, at in CYCLES:
            if cycle == "incremental":
                started = time.perf_counter()
                change = mutate(ward, self.args.share, self.args.seed)
                res.notes.append(
                    f"{label}: mutation ({time.perf_counter() - started:.1f} s): "
                    + change.describe()
                )
            _progress(f"[{label}] embedded, {cycle} cycle ...")
            before = _eml(ward / OUTBOX)
            cmd = [str(self.kns), "run", "--once", "--config", str(ward / CONFIG_FILE)]
            m = self.measure(logs, f"embedded-{cycle}", [*cmd, "--now", DAY.format(at)], code=True)
            res.rows.append(
                Row(
                    label,
                    "embedded",
                    cycle,
                    m,
                    state_mb=_state_mb(ward / STATE),
                    emails=_eml(ward / OUTBOX) - before,
                )
            )
            _note_outcome(res, "embedded", cycle, m, _kns_summary(m.out))
            if cycle == "first" and (ward / WORKBOOK).exists():
                shape = floor.shape_of(ward / WORKBOOK)
        return shape

    # -- Google -----------------------------------------------------------------------

    def google(
        self, res: ScaleResult, ward: Path, logs: Path, *, need_shape: bool
    ) -> floor.Shape | None:
        label = res.scale.label
        config = write_google_config(ward, self.args.gmail_daily_limit)
        with (logs / "fake-server.err").open("wb") as err:
            fake = FakeProcess(self.code_root, self.code_env, err)
            try:
                started = time.perf_counter()
                _progress(f"[{label}] google: loading the ward into the fake ...")
                loaded = fake.ask("load", ward=str(ward))
                res.notes.append(
                    f"{label}: fake Google loaded in {time.perf_counter() - started:.1f} s "
                    f"({loaded['cpu']:.1f} s CPU of the fake): {loaded['responses']} Forms API "
                    "responses (Biểu mẫu 02), the other exports as linked response sheets"
                )
                shape = None
                for cycle, at in CYCLES:
                    if cycle == "incremental":
                        change = mutate(ward, self.args.share, self.args.seed)
                        synced = fake.ask("sync")
                        res.notes.append(
                            f"{label}: google mutation: {change.describe()} -> fake: "
                            + json.dumps(synced["changes"], ensure_ascii=False)
                        )
                    _progress(f"[{label}] google, {cycle} cycle ...")
                    cpu0 = fake.ask("reset")["cpu"]
                    cmd = [sys.executable, "-m", "bench.google_cycle", "--config", str(config)]
                    cmd += ["--now", DAY.format(at), "--url", loaded["url"]]
                    cmd += ["--token", loaded["token"]]
                    m = self.measure(logs, f"google-{cycle}", cmd, code=True)
                    stats = fake.ask("stats")
                    res.rows.append(
                        Row(
                            label,
                            "google",
                            cycle,
                            m,
                            state_mb=_state_mb(ward / STATE),
                            emails=stats["sent"],
                            fake_cpu=stats["cpu"] - cpu0,
                            calls=stats["calls"],
                        )
                    )
                    bench = _bench_line(m.out)
                    summary = bench.get("summary", "")
                    if bench.get("throttle_s"):
                        summary += (
                            f"; Google's quotas would have held it {bench['throttle_s']:.0f} s"
                        )
                    if stats["errors"]:
                        summary += f"; fake answered errors {stats['errors']}"
                    _note_outcome(res, "google", cycle, m, summary)
                    if cycle == "first" and need_shape and m.ok:
                        shape = floor.shape_of_rows(fake.ask("shape")["tabs"])
                final = fake.ask("quit")
                res.notes.append(
                    f"{label}: fake Google process: {final['cpu']:.1f} s CPU in all, peak RSS "
                    f"{final['maxrss_kb'] / 1024:.0f} MB"
                )
                return shape
            finally:
                fake.close()


class FakeProcess:
    """``bench.fake_server`` as a child, asked one JSON line at a time."""

    def __init__(self, root: Path, env: dict[str, str], err: IO[bytes]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.fake_server"],
            cwd=root,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            encoding="utf-8",
        )

    def ask(self, cmd: str, **kw: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"cmd": cmd, **kw}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"fake Google server exited (code {self.proc.poll()})")
        answer: dict[str, Any] = json.loads(line)
        if not answer.get("ok"):
            raise RuntimeError(f"fake Google server: {cmd}: {answer.get('error')}")
        return answer

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def write_google_config(ward: Path, daily_limit: int) -> Path:
    """google.yaml: the ward's config read from the fake (fake_server's ids): Biểu mẫu 02
    through the Forms API, the other exports as linked response sheets, the roster from a
    spreadsheet, the summary to a spreadsheet, Gmail."""
    from bench import fake_server as fs

    raw = yaml.safe_load((ward / CONFIG_FILE).read_text(encoding="utf-8"))
    for s in raw["sources"]:
        del s["file"]
        if s["id"] == fs.FORM_SOURCE:
            s["form_id"] = fs.FORM_ID
        else:
            s["spreadsheet_id"] = fs.sheet_id(s["id"])
    raw["roster"] = {"spreadsheet_id": fs.ROSTER}
    raw["destination"] = {"kind": "google_sheets", "spreadsheet_id": fs.SUMMARY}
    raw["mail"]["transport"] = "gmail"
    raw["mail"]["daily_limit"] = daily_limit
    del raw["mail"]["outbox_dir"]
    raw["google"] = {"credentials": "khong-dung.json"}  # bench.google_cycle brings its own
    path = ward / "google.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


def _pythonpath(code_root: Path) -> list[str]:
    # the code under test first; the repo after it for bench.* (absent from a snapshot)
    rest = os.environ.get("PYTHONPATH", "")
    roots = dict.fromkeys([str(code_root), str(ROOT)])
    return [*roots, *([rest] if rest else [])]


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def extract_code(ref: str, base: Path) -> tuple[Path, str]:
    """``git archive`` of the code at ``ref`` into ``base/code-SHA`` (the repo untouched);
    returns the folder and the commit (resolved once: HEAD may move during a long run)."""
    sha = _git("rev-parse", "--short", f"{ref}^{{commit}}")
    target = base / f"code-{sha}"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    tar = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", sha, *CODE_PATHS],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        t.extractall(target, filter="data")
    return target, sha


def work_tree_label() -> str:
    try:
        head = _git("rev-parse", "--short", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "the work tree"
    return f"the work tree at commit {head}" + (" + uncommitted changes" if dirty else "")


def _fresh(folder: Path) -> None:
    if folder.exists():
        if not (folder / MARKER).exists():
            raise SystemExit(f"{folder} exists and was not made by the benchmark: not touching it")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).touch()


def _progress(text: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)


def _eml(outbox: Path) -> int:
    return sum(1 for _ in outbox.glob("*.eml")) if outbox.exists() else 0


def _state_mb(path: Path) -> float | None:
    files = [p for p in (path, path.with_name(path.name + "-wal")) if p.exists()]
    return sum(p.stat().st_size for p in files) / 1e6 if files else None


def _data_rows(path: Path) -> int:
    with path.open("rb") as f:
        return max(0, sum(1 for _ in f) - 1)  # the sample's answers hold no line breaks


def _kns_summary(out: str) -> str:
    return next((ln for ln in out.splitlines() if " chi bộ (" in ln and "đảng viên" in ln), "")


def _bench_line(out: str) -> dict[str, Any]:
    for ln in reversed(out.splitlines()):
        if ln.startswith("BENCH "):
            return dict(json.loads(ln[len("BENCH ") :]))
    return {}


def _tail(text: str, n: int = 6) -> str:
    return "\n".join("    " + ln for ln in text.strip().splitlines()[-n:])


def _note_outcome(res: ScaleResult, backend: str, cycle: str, m: Measured, summary: str) -> None:
    head = f"{res.scale.label} {backend} {cycle}: "
    if m.ok:
        if summary:
            res.notes.append(head + summary)
        _progress(f"    {m.cpu:.1f} s CPU, {m.wall:.1f} s wall")
        return
    why = f"killed after {m.wall:.0f} s (--timeout)" if m.timeout else f"exit {m.status}"
    tail = _tail(m.err)
    res.notes.append(head + f"FAILED: {why}" + (f"; stderr ends:\n{tail}" if tail else ""))
    _progress(f"    FAILED ({m.status})")


def machine(code: str) -> list[str]:
    model = ""
    try:
        for ln in Path("/proc/cpuinfo").read_text().splitlines():
            if ln.startswith("model name"):
                model = ln.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, IndexError, ValueError):
        pass
    return [
        f"Machine: {model or 'unknown CPU'}, {os.cpu_count()} cores{mem}; "
        f"Python {platform.python_version()} ({platform.platform()})",
        f"Code under test: {code}",
    ]


# ---------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------

HEADERS = (
    "scale (branches/members)",
    "backend",
    "cycle",
    "exit",
    "CPU s",
    "CPU × floor",
    "wall s",
    "wall × floor",
    "peak RSS MB",
    "state MB",
    "e-mails",
    "fake Google CPU s",
    "API calls by method",
)


def _calls(calls: dict[str, int] | None) -> str:
    if calls is None:
        return ""
    if not calls:
        return "0"
    short = {
        k.replace("sheets.spreadsheets.", "sheets.")
        .replace("forms.forms.", "forms.")
        .replace("gmail.users.", "gmail."): v
        for k, v in calls.items()
    }
    return f"{sum(calls.values())}: " + ", ".join(f"{k} {v}" for k, v in short.items())


def table_rows(results: list[ScaleResult]) -> list[list[str]]:
    out = []
    for res in results:
        for r in res.rows:
            m = r.m
            cpu_x = wall_x = ""
            if m is not None and r.backend != "floor" and res.floor_cpu and res.floor_wall:
                cpu_x = f"{m.cpu / res.floor_cpu:.1f}"
                wall_x = f"{m.wall / res.floor_wall:.1f}"
            out.append(
                [
                    r.scale,
                    r.backend,
                    r.cycle,
                    m.status if m and r.cycle != "total (= 1×)" else "",
                    f"{m.cpu:.2f}" if m else "",
                    cpu_x,
                    f"{m.wall:.2f}" if m else "",
                    wall_x,
                    f"{m.maxrss_kb / 1024:.0f}" if m else "",
                    "" if r.state_mb is None else f"{r.state_mb:.1f}",
                    "" if r.emails is None else str(r.emails),
                    "" if r.fake_cpu is None else f"{r.fake_cpu:.2f}",
                    _calls(r.calls),
                ]
            )
    return out


def render(rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(HEADERS) + " |"]
        right = range(3, len(HEADERS) - 1)  # figures right-aligned; texts and calls left
        lines.append(
            "|" + "|".join("--:" if i in right else "---" for i in range(len(HEADERS))) + "|"
        )
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(HEADERS)]
    numeric = set(range(3, len(HEADERS) - 1))

    def line(cells: list[str] | tuple[str, ...]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(HEADERS), line(["-" * w for w in widths]), *map(line, rows)])


EXPLAIN = (
    "CPU s = user + sys of that command's own process (bench.measure: getrusage of its only "
    "child); wall s from start to exit; peak RSS = that process's maximum resident set. "
    "× floor = the figure divided by the floor's total for the same scale. state MB = the "
    "state SQLite file (+ WAL) after the cycle. e-mails = .eml files written (embedded) or "
    "Gmail messages.send answered 200 (Google) in that cycle. The fake Google Workspace runs "
    "in a separate process: its CPU during each cycle is the 'fake Google CPU s' column, not "
    "part of 'CPU s'; the cycle's wall time does include waiting for it. Google cycles use "
    "the production clients (rate limits and retries on a virtual clock: no real waiting). "
    "The floor reads the roster and every export (stdlib csv; the XLSX learning export with "
    "openpyxl read-only, counted in the floor) and writes as many cells as the first "
    "cycle's workbook holds with openpyxl write-only, each in its own process."
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--scales",
        default=",".join(map(str, SCALES)),
        help="branch counts (or branches/members), comma-separated; default 25,300,3000",
    )
    parser.add_argument("--backends", default="embedded,google", help="embedded,google")
    parser.add_argument("--keep", type=Path, help="work in DIR and keep every file and log")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds per command (default 1800)"
    )
    parser.add_argument("--share", type=float, default=0.01, help="responses changed (0.01)")
    parser.add_argument("--seed", type=int, default=sw.DEFAULT_SEED)
    parser.add_argument(
        "--code", metavar="REF", help="run the cycles with the code of this git revision (HEAD)"
    )
    parser.add_argument(
        "--gmail-daily-limit",
        type=int,
        default=GMAIL_DAILY_LIMIT,
        help=f"mail.daily_limit of the Google config (default {GMAIL_DAILY_LIMIT})",
    )
    args = parser.parse_args(argv)
    try:
        scales = [Scale.parse(s) for s in args.scales.split(",") if s.strip()]
    except ValueError as e:
        parser.error(str(e))
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if unknown := set(args.backends) - {"embedded", "google"}:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    base = args.keep or Path(tempfile.mkdtemp(prefix="kns-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: list[ScaleResult] = []
    try:
        runner = Runner(args, base)  # inside: a failed `git archive` still cleans up
        for scale in scales:
            results.append(runner.run_scale(scale))
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    print("\n".join(machine(runner.code_label)))
    print(
        f"Benchmark run: {time.perf_counter() - started:.0f} s; per-command timeout "
        f"{args.timeout:.0f} s; {args.share:.0%} of responses changed; seed {args.seed}; "
        f"Google config mail.daily_limit {args.gmail_daily_limit}"
        + (f"; files kept in {base}" if args.keep else "")
    )
    print()
    print(render(table_rows(results), args.markdown))
    print()
    print(EXPLAIN)
    print()
    for res in results:
        for note in res.notes:
            print(("- " if args.markdown else "") + note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
