"""A response table's rows as responses: what an exported CSV/XLSX file and a linked
response sheet both are (a header row of question titles, one row per answer). Pure."""

from __future__ import annotations

from collections.abc import Sequence

from sync.model import RawResponse, RowAnswers


def unique_headers(headers: Sequence[str]) -> list[str]:
    """Two columns may carry the same title; keep both, the second as "Title (2)"."""
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        n = seen.get(h, 0) + 1
        seen[h] = n
        out.append(h if n == 1 else f"{h} ({n})")
    return out


def table_to_responses(
    source_id: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    first_line: int = 2,
) -> tuple[RawResponse, ...]:
    """One RawResponse per row, labelled by its spreadsheet row number ("Dòng 2" = first).
    The rows share one set of titles (``RowAnswers``): no dict per row."""
    names = tuple(unique_headers(headers))
    index = {n: i for i, n in enumerate(names)}
    width = len(names)
    out = []
    for i, row in enumerate(rows):
        line = i + first_line  # row 1 is the header; blank rows keep their number
        if not (row and row[0].strip()) and not any(c.strip() for c in row):
            continue
        cells = list(row[:width])
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        out.append(
            RawResponse(
                source_id=source_id,
                response_id=f"row:{line}",
                row_label=f"Dòng {line}",
                answers=RowAnswers(names, cells, index),
            )
        )
    return tuple(out)
