"""Bigger wards for the benchmark, tiled from the sample ward, and the 1 % mutation.

A ward of ``n`` x 25 branches is ``n`` copies of the sample ward
(``tools.sample_ward.tile_tables``): copy 0 is seeded 2026, copy k is the sample's builder
run with seed + k, with its own branch codes (CB + 4 digits), names ("... - Phường k"),
member codes (DV + 7 digits) and people, every (folded name, birth date) unique across the
province. The members are shared out evenly between the copies (the sample's builder grows
its 16 area branches to fit), so the issue's sizes hold: 25/500 is the sample ward byte for
byte, 300/10,000 is 12 copies of 833-834 members, 3,000/100,000 is 120. ``300/6000`` gives
copies of exactly 500. The copies' rows are concatenated into one roster pair and one file
per export (one header; each CSV keeps the sample's BOM / CRLF quirks; export D stays an
XLSX), streamed to disk copy by copy so memory stays flat. ``ward.yaml`` next to the data
runs it with the repo's rubric, mappings and templates:

    python -m bench.scale_ward --scale 300 --out /tmp/ward300
    kns run --once --config /tmp/ward300/ward.yaml --now 2026-11-23T08:00:00+07:00

``mutate(dir)`` then makes about 1 % of the form responses new or edited (deterministic).
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from tools import sample_ward as sw

ROOT = Path(__file__).resolve().parent.parent
BRANCHES_PER_TILE = 25
# the sizes (branches -> members); any other branch count gets 20 members a branch
MEMBERS = {25: 500, 300: 10_000, 3000: 100_000}
SCALES = tuple(MEMBERS)
CONFIG_FILE = "ward.yaml"
OUT_DIR = "out"  # cycle outputs (workbook, outbox, state) inside the ward folder
WORKBOOK = f"{OUT_DIR}/tong-hop-ky-nang-so.xlsx"
OUTBOX = f"{OUT_DIR}/outbox"
STATE = f"{OUT_DIR}/state.sqlite"
CSV_FILES = (sw.BRANCHES_FILE, sw.MEMBERS_FILE, sw.FORM_A_FILE, sw.FORM_B_FILE, sw.FORM_C_FILE)
EXPORTS = (sw.FORM_A_FILE, sw.FORM_B_FILE, sw.FORM_C_FILE, sw.EXPORT_D_FILE)
# the form exports mutate() touches (export D is the learning platform's, not a form)
FORM_FILES = (sw.FORM_A_FILE, sw.FORM_B_FILE, sw.FORM_C_FILE)
SOURCE_FILES = {source_id: rel for source_id, (_, rel) in sw.SOURCES.items()}


@dataclass(frozen=True)
class WardInfo:
    folder: Path
    branches: int
    members: int
    rows: dict[str, int]  # file -> data rows (header excluded)
    bytes: dict[str, int]  # file -> size
    seconds: float  # wall time to generate

    @property
    def export_bytes(self) -> int:
        return sum(self.bytes[rel] for rel in EXPORTS)


@dataclass(frozen=True)
class Scale:
    branches: int
    members: int

    @property
    def label(self) -> str:
        return f"{self.branches:,}/{self.members:,}"

    @classmethod
    def parse(cls, text: str) -> Scale:
        """``"300"`` (the issue's member count for it) or ``"300/6000"``."""
        b, _, m = text.strip().partition("/")
        branches = int(b)
        if branches < BRANCHES_PER_TILE or branches % BRANCHES_PER_TILE:
            raise ValueError(f"branches must be a multiple of {BRANCHES_PER_TILE}, not {b}")
        members = int(m) if m else MEMBERS.get(branches, 20 * branches)
        return cls(branches, members)

    def tile_members(self) -> list[int]:
        """Members of each copy: as even as can be (the first ones get the remainder)."""
        tiles = self.branches // BRANCHES_PER_TILE
        base, extra = divmod(self.members, tiles)
        return [base + (k < extra) for k in range(tiles)]


def generate_ward(out: Path, scale: Scale, seed: int = sw.DEFAULT_SEED) -> WardInfo:
    """Write a tiled ward of ``scale`` into ``out`` (data + ``ward.yaml``)."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    used_people: set[tuple[str, date]] = set()
    handles: dict[str, Any] = {}
    writers: dict[str, Any] = {}
    rows = dict.fromkeys((*CSV_FILES, sw.EXPORT_D_FILE), 0)
    learners: list[list[Any]] = []  # export D is small (~1/3 of members): kept for one write
    try:
        for rel in CSV_FILES:
            bom, crlf = sw.CSV_STYLE[rel]
            path = out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            # utf-8-sig writes the BOM once at the start, as the sample's files have it
            f = path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="")
            handles[rel] = f
            writers[rel] = csv.writer(f, lineterminator="\r\n" if crlf else "\n")
        headers: dict[str, list[Any]] = {}
        for k, members in enumerate(scale.tile_members()):
            tables = sw.tile_tables(seed + k, k, used_people, members)
            for rel, table in tables.items():
                header, body = table[0], table[1:]
                if k == 0:
                    headers[rel] = header
                    if rel in writers:
                        writers[rel].writerow(header)
                    else:
                        learners.append(header)
                elif header != headers[rel]:  # pragma: no cover - one builder, one header
                    raise AssertionError(f"{rel}: copy {k} has another header")
                if rel in writers:
                    writers[rel].writerows(body)
                else:
                    learners.extend(body)
                rows[rel] += len(body)
    finally:
        for f in handles.values():
            f.close()
    # the sample's own XLSX writer: fixed timestamps, so the files are the same every run
    (out / sw.EXPORT_D_FILE).write_bytes(sw.export_d_bytes(learners))
    write_config(out, rows[sw.BRANCHES_FILE], rows[sw.MEMBERS_FILE])
    sizes = {rel: (out / rel).stat().st_size for rel in rows}
    return WardInfo(
        folder=out,
        branches=rows[sw.BRANCHES_FILE],
        members=rows[sw.MEMBERS_FILE],
        rows=rows,
        bytes=sizes,
        seconds=time.perf_counter() - started,
    )


def write_config(out: Path, branches: int, members: int, root: Path = ROOT) -> Path:
    """``ward.yaml``: config/example.yaml with this ward's data, the rubric, mappings and
    templates of ``root`` (the repo, or a snapshot of its code; absolute paths), outputs
    under ``out/``."""
    raw = yaml.safe_load((root / "config" / "example.yaml").read_text(encoding="utf-8"))
    raw["ward"]["name"] = f"Đảng bộ Mẫu ({branches} chi bộ, {members} đảng viên)"
    raw["rubric"] = str(root / "config" / "rubric-2026.yaml")
    raw["roster"] = {"branches": sw.BRANCHES_FILE, "members": sw.MEMBERS_FILE}
    # the tiles carry the campaign's forms and export D; the staff roster, a unit's own
    # learning export and the teams' support log (issue 8) are not tiled: left out
    raw["sources"] = [s for s in raw["sources"] if SOURCE_FILES.get(s["id"]) in EXPORTS]
    for key in ("staff", "teams"):
        raw.pop(key, None)
    raw["milestones"] = [m for m in raw["milestones"] if m.get("scope") != "team"]
    if raw.get("report", {}).get("path"):
        raw["report"]["path"] = str(Path(WORKBOOK).with_name("bao-cao-tong-ket.docx"))
    for s in raw["sources"]:
        s["mapping"] = str(root / "mappings" / Path(s["mapping"]).name)
        s["file"] = SOURCE_FILES[s["id"]]
    raw["destination"] = {"kind": "xlsx", "path": WORKBOOK}
    raw["mail"]["outbox_dir"] = OUTBOX
    raw["mail"]["templates"] = str(root / "config" / "templates")
    raw["state"] = {"path": STATE}
    path = out / CONFIG_FILE
    header = (
        "# Sinh bởi `python -m bench.scale_ward` (dữ liệu giả lập, dựng lại được, không commit).\n"
    )
    path.write_text(header + yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), "utf-8")
    return path


# ---------------------------------------------------------------------------------------
# The 1 % mutation
# ---------------------------------------------------------------------------------------

# New and edited answers are stamped on the evaluation morning, before 08:00: later than
# every answer already there (the Forms API's incremental read sees them; an edit on a form
# must be later than the answer it replaces) and never in the future of any cycle.
MUTATION_DAY = datetime(2026, 11, 23, 0, 0, 0)
MUTATION_SECONDS = 8 * 3600 - 1
_CRITERION = re.compile(r"^Tiêu chí (\d+)\.")
_GRID_PREFIX = "Tự đánh giá cuối năm ["


@dataclass(frozen=True)
class Mutation:
    new: dict[str, int]  # file -> rows appended
    edited: dict[str, int]  # file -> rows edited in place

    def describe(self) -> str:
        return ", ".join(
            f"{Path(rel).stem}: {self.new[rel]} mới, {self.edited[rel]} sửa" for rel in self.new
        )


def _read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def _write_csv(path: Path, rel: str, rows: list[list[str]]) -> None:
    bom, crlf = sw.CSV_STYLE[rel]
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        csv.writer(f, lineterminator="\r\n" if crlf else "\n").writerows(rows)


def _stamp(moment: datetime, locale: str) -> str:
    day = f"{moment:%m/%d/%Y}" if locale == "en" else f"{moment:%d/%m/%Y}"
    return f"{day} {moment:%H:%M:%S}"


def _maxima() -> dict[int, int]:
    rubric = yaml.safe_load((ROOT / "config" / "rubric-2026.yaml").read_text(encoding="utf-8"))
    return {int(c["number"]): int(float(c["max"])) for c in rubric["criteria"]}


class _Changer:
    """Changes one export's answers the way respondents do, per form."""

    def __init__(self, rel: str, header: list[str], rng: random.Random) -> None:
        self.rel = rel
        self.rng = rng
        self.col = {h: i for i, h in enumerate(header)}
        self.scores = [
            (i, n) for i, h in enumerate(header) if (m := _CRITERION.match(h)) for n in [int(m[1])]
        ]
        self.grid = [i for i, h in enumerate(header) if h.startswith(_GRID_PREFIX)]
        self.maxima = _maxima()

    def change(self, row: list[str], resubmission: bool) -> None:
        rng = self.rng
        if self.rel == sw.FORM_C_FILE:  # Biểu mẫu 02: other scores (1 to 3 criteria)
            for i, n in rng.sample(self.scores, rng.randint(1, 3)):
                row[i] = str(rng.randint(0, self.maxima[n]))
        elif self.rel == sw.FORM_B_FILE:  # Biểu mẫu 01: the year-end grid re-answered
            for i in rng.sample(self.grid, rng.randint(1, len(self.grid))):
                row[i] = rng.choice((sw.DONE, sw.NOT_DONE))
        else:  # form A: progress and good practice updated; a resubmission sends the report
            row[self.col[sw.FORM_A_HEADER["task_progress"]]] = rng.choice(sw.PROGRESS)
            row[self.col[sw.FORM_A_HEADER["good_practices"]]] = (
                f"Cập nhật lần {rng.randint(2, 9)}: thêm mô hình hỗ trợ người dân qua Zalo"
            )
            if resubmission:
                row[self.col[sw.FORM_A_HEADER["report_sent"]]] = "Đã gửi"


def mutate(folder: Path, share: float = 0.01, seed: int = sw.DEFAULT_SEED) -> Mutation:
    """Make about ``share`` of each form export's responses new or edited, in place.

    Half are new rows at the end (a later re-submission of an existing row: the same member
    and scorer, or the same branch, with changed answers), half are existing rows edited in
    place (answers changed and the timestamp moved, as Google Forms does on an edit). Every
    new timestamp is on 23/11/2026 before 08:00, later than anything already there."""
    new: dict[str, int] = {}
    edited: dict[str, int] = {}
    for rel in FORM_FILES:
        path = folder / rel
        rows = _read_csv(path)
        header, body = rows[0], rows[1:]
        rng = random.Random(f"{seed}:{rel}")  # str seeds are stable across runs
        locale = "en" if rel == sw.FORM_C_FILE else "vi"
        n = max(1, round(share * len(body)))
        n_new, n_edit = n - n // 2, n // 2
        picked = rng.sample(range(len(body)), n_edit + n_new)
        seconds = sorted(rng.sample(range(MUTATION_SECONDS), n_edit + n_new))
        stamps = [_stamp(MUTATION_DAY + timedelta(seconds=s), locale) for s in seconds]
        changer = _Changer(rel, header, rng)
        appended = []
        for k, i in enumerate(picked):
            resubmission = k >= n_edit
            row = list(body[i]) if resubmission else body[i]
            row[0] = stamps[k]
            changer.change(row, resubmission)
            if resubmission:
                appended.append(row)
        body.extend(appended)
        _write_csv(path, rel, [header, *body])
        new[rel], edited[rel] = n_new, n_edit
    return Mutation(new=new, edited=edited)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale_ward", description="Sinh một phường/tỉnh giả lập lớn hơn."
    )
    parser.add_argument("--scale", type=Scale.parse, default="300", help="300 or 300/10000")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=sw.DEFAULT_SEED)
    parser.add_argument("--mutate", action="store_true", help="then change ~1 %% of answers")
    args = parser.parse_args(argv)
    info = generate_ward(args.out, args.scale, args.seed)
    for rel in info.rows:
        print(f"{args.out / rel}: {info.rows[rel]} dòng, {info.bytes[rel] / 1e6:.1f} MB")
    print(
        f"{info.branches} chi bộ, {info.members} đảng viên, xuất {info.export_bytes / 1e6:.1f} MB "
        f"trong {info.seconds:.1f} s; cấu hình: {args.out / CONFIG_FILE}"
    )
    if args.mutate:
        print(mutate(args.out, seed=args.seed).describe())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
