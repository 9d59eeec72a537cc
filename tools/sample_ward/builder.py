"""The whole builder and the entry points: ``generate`` (files and truth), ``tile_tables``
(one copy of a tiled ward, for the bench) and ``write``."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Any

from tools.sample_ward.answer_key import AnswerKey
from tools.sample_ward.files import Files, export_d_bytes
from tools.sample_ward.fmt import csv_bytes
from tools.sample_ward.staff import build_staff
from tools.sample_ward.support import generate_support
from tools.sample_ward.truth import SampleWard
from tools.sample_ward.vocab import (
    CSV_STYLE,
    DEFAULT_SEED,
    EXPORT_D_FILE,
    README_FILE,
    SAMPLE_MEMBERS,
)


class Builder(Files, AnswerKey):
    """Every part of the sample: the roster, forms A to C, export D, the files, the truth."""


def build_ward(
    seed: int,
    tile: int = 0,
    used_people: set[tuple[str, date]] | None = None,
    members: int = SAMPLE_MEMBERS,
) -> Builder:
    """The builder after every ``build_*`` step, in the one order that fixes the bytes."""
    builder = Builder(seed, tile, used_people, members)
    builder.build_roster()
    builder.build_form_a()
    builder.build_form_b()
    builder.build_form_c()
    builder.build_export_d()
    return builder


def generate(seed: int = DEFAULT_SEED) -> SampleWard:
    """Build the sample ward: files (relative path -> bytes) and the truth."""
    builder = build_ward(seed)
    # the staff roster and a unit's export (seed 003): their own random stream
    staff = build_staff(builder, seed)  # before truth(): it adds an invalid row
    files: dict[str, bytes] = {README_FILE: builder.readme(), **staff.files}
    for rel, rows in builder.tables().items():
        if rel == EXPORT_D_FILE:
            files[rel] = export_d_bytes(rows)
        else:
            bom, crlf = CSV_STYLE[rel]
            files[rel] = csv_bytes(rows, bom=bom, crlf=crlf)
    # Form E (teams' support logs): its own generator and random stream
    support = generate_support(seed)
    files.update(support.files)
    truth = dataclasses.replace(builder.truth(), support=support.truth)
    truth = dataclasses.replace(truth, staff=staff.staff, unit_export=staff.unit_rows)
    return SampleWard(files=dict(sorted(files.items())), truth=truth)


def tile_tables(
    seed: int, tile: int, used_people: set[tuple[str, date]], members: int = SAMPLE_MEMBERS
) -> dict[str, list[list[Any]]]:
    """Copy ``tile`` of the sample as rows, header first, for a ward tiled from many copies.

    Tile 0 with ``DEFAULT_SEED`` and 500 members is the sample ward. Copy k >= 1 has branch
    codes CB + 4 digits (numbered across copies of 25), names and aliases ending in
    " - Phường k", member codes DV + 3 digits of k + 4, its committee's own addresses;
    ``used_people`` (shared by all copies, filled here) keeps every (folded name, birth
    date) unique across them. ``members`` other than 500 grows or shrinks the 16 area
    branches; the planted traps and messy rows stay as many per copy. CSV files are encoded
    as ``CSV_STYLE`` says; ``EXPORT_D_FILE`` is an XLSX sheet named ``EXPORT_D_SHEET``.
    """
    return build_ward(seed, tile, used_people, members).tables()


def write(ward: SampleWard, out: Path) -> list[Path]:
    written = []
    for rel, data in ward.files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written


def drift(ward: SampleWard, folder: Path) -> list[str]:
    """The files under ``folder`` that differ from ``ward``'s, are missing or are extra."""
    present = {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    missing = [rel for rel in ward.files if rel not in present]
    extra = sorted(present - set(ward.files))
    changed = [
        rel
        for rel, data in ward.files.items()
        if rel in present and (folder / rel).read_bytes() != data
    ]
    return sorted(missing + extra + changed)
