"""The floor: the least any program does with the same input and output.

    python -m bench.floor read FILE...             # every CSV with the stdlib csv module,
                                                   # every XLSX with openpyxl read-only
    python -m bench.floor write OUT.xlsx SHAPE.json  # as many cells, openpyxl write-only

A cycle reads the exports and writes a workbook; these two commands do only that, each
in its own process measured like a cycle (``bench.measure``), so a cycle's figures can be
read as a multiple of the floor. ``SHAPE.json`` is ``[[sheet title, [[cells in the row,
rows like it], ...]], ...]``: the non-empty cells of each row of the cycle's workbook, run
length encoded (``shape_of``). The floor writes that many cells, every third a number and
the others short texts, not the cycle's values: it prices the writing, not the content.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

Shape = list[tuple[str, list[tuple[int, int]]]]


def read(paths: list[Path]) -> dict[str, int]:
    rows = cells = 0
    for path in paths:
        if path.suffix.lower() == ".xlsx":
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True, data_only=True)
            try:
                for ws in wb.worksheets:
                    for row in ws.iter_rows(values_only=True):
                        rows += 1
                        cells += sum(v is not None for v in row)
            finally:
                wb.close()
            continue
        with path.open(encoding="utf-8-sig", newline="") as f:
            for record in csv.reader(f):
                rows += 1
                cells += len(record)
    return {"rows": rows, "cells": cells}


def shape_of(workbook: Path) -> Shape:
    """Non-empty cells per row of each sheet, run-length encoded."""
    from openpyxl import load_workbook

    wb = load_workbook(workbook, read_only=True)
    try:
        return [(ws.title, _runs(ws.iter_rows(values_only=True))) for ws in wb.worksheets]
    finally:
        wb.close()


def shape_of_rows(tabs: dict[str, list[list[Any]]]) -> Shape:
    return [(title, _runs(rows)) for title, rows in tabs.items()]


def _runs(rows: Any) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for row in rows:
        n = sum(v is not None and v != "" for v in row)
        if runs and runs[-1][0] == n:
            runs[-1] = (n, runs[-1][1] + 1)
        else:
            runs.append((n, 1))
    return runs


def cell_count(shape: Shape) -> int:
    return sum(n * times for _, runs in shape for n, times in runs)


def write(out: Path, shape: Shape) -> int:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    written = 0
    for title, runs in shape:
        ws = wb.create_sheet(title)
        r = 0
        for n, times in runs:
            for _ in range(times):
                r += 1
                ws.append([r * 3 + c if c % 3 == 2 else f"Ô {r}.{c}" for c in range(n)])
                written += n
    wb.save(out)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["read"] and len(args) > 1:
        print(json.dumps(read([Path(p) for p in args[1:]])))
        return 0
    if args[:1] == ["write"] and len(args) == 3:
        shape = json.loads(Path(args[2]).read_text(encoding="utf-8"))
        print(json.dumps({"cells": write(Path(args[1]), shape)}))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
