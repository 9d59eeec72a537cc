"""How the sample writes values: folded names, dates, timestamps, numbers, CSV bytes."""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import date, datetime


def ascii_text(s: str) -> str:
    """No diacritics (đ -> d), for e-mail slugs and 'typed without diacritics' variants."""
    s = s.replace("đ", "d").replace("Đ", "D")
    s = unicodedata.normalize("NFD", s)
    return "".join(ch for ch in s if not unicodedata.combining(ch))


def slug(name: str) -> str:
    return ascii_text(name).lower().replace(" ", "")


def fold(s: str) -> str:
    return " ".join(ascii_text(s).casefold().split())


def row_label(index: int) -> str:
    return f"Dòng {index + 2}"  # header is row 1


def dmy(d: date | None) -> str:
    return "" if d is None else f"{d.day:02d}/{d.month:02d}/{d.year}"


def mdy(d: date) -> str:
    return f"{d.month:02d}/{d.day:02d}/{d.year}"


def vi_ts(t: datetime) -> str:
    return f"{dmy(t.date())} {t:%H:%M:%S}"


def en_ts(t: datetime) -> str:
    return f"{mdy(t.date())} {t:%H:%M:%S}"


def num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x).replace(".", ",")


def csv_bytes(rows: list[list[str]], *, bom: bool, crlf: bool = True) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n" if crlf else "\n")
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")
