"""Cells of the fake Sheets: A1 notation, user-entered values, number formats and the
formatted string Google returns with ``FORMATTED_VALUE`` (locale-aware: ``vi_VN`` writes
``3,5`` and ``1.234,5``; ``en_US`` ``3.5`` and ``1,234.5``)."""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

EPOCH = datetime(1899, 12, 30)
SECONDS_PER_DAY = 86400

# locale -> (decimal separator, grouping separator, default DATE, DATE_TIME, TIME patterns)
_LOCALES: dict[str, tuple[str, str, str, str, str]] = {
    "vi_VN": (",", ".", "dd/mm/yyyy", "dd/mm/yyyy HH:mm:ss", "HH:mm:ss"),
    "en_US": (".", ",", "m/d/yyyy", "m/d/yyyy H:mm:ss", "h:mm:ss am/pm"),
    "en_GB": (".", ",", "dd/mm/yyyy", "dd/mm/yyyy HH:mm:ss", "HH:mm:ss"),
}


def _locale(locale: str) -> tuple[str, str, str, str, str]:
    return _LOCALES.get(locale, _LOCALES["en_US"])


# ---------------------------------------------------------------------------------------
# A1 notation
# ---------------------------------------------------------------------------------------


def column_index(letters: str) -> int:
    """``"A"`` -> 0, ``"Z"`` -> 25, ``"AA"`` -> 26."""
    out = 0
    for ch in letters.upper():
        out = out * 26 + (ord(ch) - ord("A") + 1)
    return out - 1


def column_letters(index: int) -> str:
    """0 -> ``"A"``."""
    index += 1
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(ord("A") + rem) + out
    return out


def quote_title(title: str) -> str:
    """A tab title as it appears in a range Google returns."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title) and not looks_like_cells(title):
        return title
    return "'" + title.replace("'", "''") + "'"


_CELL_RE = re.compile(r"^\$?([A-Za-z]{0,3})\$?(\d*)$")


def looks_like_cells(text: str) -> bool:
    return parse_cells(text) is not None


@dataclass(frozen=True)
class Box:
    """A rectangle: 0-based, start inclusive, end exclusive; ``None`` = to the grid's end.
    ``anchor``: a single cell or a whole tab, from which written data may extend."""

    r0: int
    c0: int
    r1: int | None
    c1: int | None
    anchor: bool = False


def _ref(text: str) -> tuple[int | None, int | None] | None:
    m = _CELL_RE.match(text)
    if not m or not (m.group(1) or m.group(2)):
        return None
    col = column_index(m.group(1)) if m.group(1) else None
    if m.group(2):
        row = int(m.group(2))
        if row < 1:
            return None
        return row - 1, col
    return None, col


def parse_cells(text: str) -> Box | None:
    """The part after ``!``: ``A1``, ``A1:C10``, ``A:Z``, ``A3:Z``, ``1:5``; None if invalid."""
    text = text.strip()
    if ":" not in text:
        ref = _ref(text)
        if ref is None or ref[0] is None or ref[1] is None:
            return None
        return Box(ref[0], ref[1], ref[0] + 1, ref[1] + 1, anchor=True)
    left, _, right = text.partition(":")
    a, b = _ref(left), _ref(right)
    if a is None or b is None:
        return None
    (ra, ca), (rb, cb) = a, b
    # rows: both given -> bounded; a column-only side leaves that side open
    if ra is None and rb is None:
        if ca is None or cb is None:
            return None
        r0, r1 = 0, None
    elif ra is None:
        r0, r1 = 0, (rb or 0) + 1
    elif rb is None:
        r0, r1 = ra, None
    else:
        r0, r1 = min(ra, rb), max(ra, rb) + 1
    if ca is None and cb is None:
        c0, c1 = 0, None
    elif ca is None:
        c0, c1 = 0, (cb or 0) + 1
    elif cb is None:
        c0, c1 = ca, None
    else:
        c0, c1 = min(ca, cb), max(ca, cb) + 1
    return Box(r0, c0, r1, c1)


def split_range(text: str) -> tuple[str | None, str | None]:
    """``"'Tab'!A1:B2"`` -> (``"Tab"``, ``"A1:B2"``); ``"Tab"`` -> (``"Tab"``, None) when it
    is not a cell range; ``"A1:B2"`` -> (None, ``"A1:B2"``). Raises ValueError."""
    text = text.strip()
    if text.startswith("'"):
        i = 1
        title = []
        while True:
            if i >= len(text):
                raise ValueError("unterminated quote")
            ch = text[i]
            if ch == "'":
                if i + 1 < len(text) and text[i + 1] == "'":
                    title.append("'")
                    i += 2
                    continue
                i += 1
                break
            title.append(ch)
            i += 1
        rest = text[i:]
        if not rest:
            return "".join(title), None
        if not rest.startswith("!"):
            raise ValueError("expected '!' after the quoted title")
        return "".join(title), rest[1:]
    if "!" in text:
        title, _, cells = text.rpartition("!")
        return title, cells
    if looks_like_cells(text):
        return None, text
    return text, None


def box_a1(box: Box, rows: int, cols: int) -> str:
    r1 = box.r1 if box.r1 is not None else rows
    c1 = box.c1 if box.c1 is not None else cols
    start = f"{column_letters(box.c0)}{box.r0 + 1}"
    end = f"{column_letters(max(c1 - 1, box.c0))}{max(r1, box.r0 + 1)}"
    return start if start == end else f"{start}:{end}"


# ---------------------------------------------------------------------------------------
# Cells
# ---------------------------------------------------------------------------------------

Scalar = str | float | bool


@dataclass
class Cell:
    """One cell: what the user entered (``value``; the formula text for a formula),
    ``is_formula`` and the user-entered format (numberFormat, textFormat, backgroundColor)."""

    value: Scalar | None = None
    is_formula: bool = False
    format: dict[str, Any] = field(default_factory=dict)
    note: str | None = None

    def clone(self) -> Cell:
        fmt = copy.deepcopy(self.format) if self.format else {}
        return Cell(self.value, self.is_formula, fmt, self.note)

    @property
    def empty(self) -> bool:
        return self.value is None

    @property
    def effective(self) -> Scalar | None:
        """The value after evaluating a formula (a few simple ones; otherwise ``#N/A``)."""
        if not self.is_formula:
            return self.value
        return evaluate_formula(str(self.value))

    def formatted(self, locale: str) -> str:
        return format_value(self.effective, self.format.get("numberFormat"), locale)

    def extended_value(self, effective: bool = False) -> dict[str, Any] | None:
        value = self.effective if effective else self.value
        if value is None:
            return None
        if self.is_formula and not effective:
            return {"formulaValue": str(value)}
        if isinstance(value, bool):
            return {"boolValue": value}
        if isinstance(value, float | int):
            return {"numberValue": value}
        if self.is_formula and str(value).startswith("#"):
            return {"errorValue": {"type": "N_A", "message": "Formula not evaluated by the fake"}}
        return {"stringValue": value}


_HYPERLINK_RE = re.compile(
    r'^=\s*HYPERLINK\(\s*"((?:[^"]|"")*)"\s*(?:[,;]\s*"((?:[^"]|"")*)"\s*)?\)\s*$', re.I
)


def evaluate_formula(formula: str) -> Scalar:
    """The fake evaluates only literals and HYPERLINK(url[, label]); anything else is #N/A
    (what IMPORTXML and friends show when they cannot load); leading +/- text is #ERROR!."""
    m = _HYPERLINK_RE.match(formula)
    if m:
        return (m.group(2) if m.group(2) is not None else m.group(1)).replace('""', '"')
    body = formula[1:].strip()
    m2 = re.fullmatch(r'"((?:[^"]|"")*)"', body)
    if m2:
        return m2.group(1).replace('""', '"')
    if re.fullmatch(r"[+-]?\d+(\.\d+)?", body):
        return float(body)
    if body.upper() in ("TRUE", "FALSE"):
        return body.upper() == "TRUE"
    if formula.startswith("=+") or formula.startswith("=-"):
        return "#ERROR!"
    return "#N/A"


def json_number(value: float) -> int | float:
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


# ---------------------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------------------


def _group(digits: str, sep: str) -> str:
    out = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return sep.join(out)


def _general(value: float, locale: str) -> str:
    dec, _, _, _, _ = _locale(locale)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if abs(value) >= 1e15 or (value != 0 and abs(value) < 1e-10):
        mantissa, exp = f"{value:.5E}".split("E")
        mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}E{int(exp):+03d}".replace(".", dec)
    text = f"{round(value, 10):.10f}".rstrip("0").rstrip(".")
    return text.replace(".", dec)


def _split_literals(pattern: str) -> tuple[str, str, str]:
    """(prefix, numeric core, suffix) of a number pattern; quoted/escaped text kept."""
    m = re.search(r"[0#?][0#?,.]*", pattern)
    if not m:
        return pattern, "", ""
    prefix, core, suffix = pattern[: m.start()], m.group(0), pattern[m.end() :]

    def literal(text: str) -> str:
        text = re.sub(r'"([^"]*)"', r"\1", text)
        return re.sub(r"\\(.)", r"\1", text)

    return literal(prefix), core, literal(suffix)


def _format_numeric(value: float, pattern: str, locale: str) -> str:
    dec, grp, _, _, _ = _locale(locale)
    section = pattern.split(";")
    if value < 0 and len(section) > 1:
        pattern, negative = section[1], False
        value = -value
    else:
        pattern, negative = section[0], value < 0
        value = abs(value)
    prefix, core, suffix = _split_literals(pattern)
    if "%" in prefix + suffix:
        value *= 100
    if "E+" in suffix.upper() or "E-" in suffix.upper():
        decimals = len(core.partition(".")[2])
        mantissa, exp = f"{value:.{decimals}E}".split("E")
        text = mantissa.replace(".", dec) + "E" + f"{int(exp):+03d}"
        return ("-" if negative else "") + text
    int_part, _, frac_part = core.partition(".")
    min_frac = frac_part.count("0")
    max_frac = len(frac_part)
    rounded = round(value, max_frac)
    text = f"{rounded:.{max_frac}f}"
    whole, _, frac = text.partition(".")
    if max_frac > min_frac:
        frac = frac.rstrip("0")
        if len(frac) < min_frac:
            frac = frac.ljust(min_frac, "0")
    if "," in int_part:
        whole = _group(whole, grp)
    if int_part.replace(",", "").startswith("#") and whole == "0" and (frac or max_frac):
        whole = "" if "0" not in int_part else whole
    out = whole + (dec + frac if frac else "")
    if negative and rounded != 0:
        out = "-" + out
    return prefix + out + suffix


_DATE_TOKEN = re.compile(
    r"yyyy|yy|mmmm|mmm|mm|m|dddd|ddd|dd|d|HH|H|hh|h|ss|s|am/pm|AM/PM|a/p|\.0+|\"[^\"]*\"|\\.|.",
    re.S,
)


def serial_to_datetime(serial: float) -> datetime:
    return EPOCH + timedelta(seconds=round(serial * SECONDS_PER_DAY))


def datetime_to_serial(value: datetime | date) -> float:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    return (value - EPOCH).total_seconds() / SECONDS_PER_DAY


def _format_date(serial: float, pattern: str) -> str:
    moment = serial_to_datetime(serial)
    tokens = _DATE_TOKEN.findall(pattern)
    twelve = any(t.lower() in ("am/pm", "a/p") for t in tokens)
    out: list[str] = []
    for i, tok in enumerate(tokens):
        low = tok.lower()
        prev = next((t.lower() for t in reversed(tokens[:i]) if t.strip(" :/-.,")), "")
        nxt = next((t.lower() for t in tokens[i + 1 :] if t.strip(" :/-.,")), "")
        is_minute = low in ("mm", "m") and (prev.startswith("h") or nxt.startswith("s"))
        if low == "yyyy":
            out.append(f"{moment.year:04d}")
        elif low == "yy":
            out.append(f"{moment.year % 100:02d}")
        elif is_minute:
            out.append(f"{moment.minute:02d}" if low == "mm" else str(moment.minute))
        elif low == "mmmm":
            out.append(f"tháng {moment.month}")
        elif low == "mmm":
            out.append(f"thg {moment.month}")
        elif low == "mm":
            out.append(f"{moment.month:02d}")
        elif low == "m":
            out.append(str(moment.month))
        elif low in ("dddd", "ddd"):
            out.append(moment.strftime("%A" if low == "dddd" else "%a"))
        elif low == "dd":
            out.append(f"{moment.day:02d}")
        elif low == "d":
            out.append(str(moment.day))
        elif low in ("hh", "h"):
            hour = moment.hour
            if twelve:
                hour = hour % 12 or 12
            out.append(f"{hour:02d}" if low == "hh" else str(hour))
        elif low in ("ss", "s"):
            out.append(f"{moment.second:02d}" if low == "ss" else str(moment.second))
        elif low in ("am/pm", "a/p"):
            out.append("AM" if moment.hour < 12 else "PM")
        elif tok.startswith(".0"):
            out.append("." + "0" * (len(tok) - 1))
        elif tok.startswith('"'):
            out.append(tok[1:-1])
        elif tok.startswith("\\"):
            out.append(tok[1:])
        else:
            out.append(tok)
    return "".join(out)


def format_value(value: Scalar | None, number_format: dict[str, Any] | None, locale: str) -> str:
    """The string Sheets shows (and returns with FORMATTED_VALUE) for ``value``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, str):
        return value
    number = float(value)
    if not math.isfinite(number):
        return "#NUM!"
    kind = (number_format or {}).get("type", "NUMBER_FORMAT_TYPE_UNSPECIFIED")
    pattern = (number_format or {}).get("pattern", "")
    _, _, date_default, datetime_default, time_default = _locale(locale)
    if kind in ("DATE", "DATE_TIME", "TIME"):
        default = {"DATE": date_default, "DATE_TIME": datetime_default, "TIME": time_default}
        return _format_date(number, pattern or default[kind])
    if kind == "TEXT" or pattern == "@":
        return _general(number, locale)
    if kind == "PERCENT":
        return _format_numeric(number, pattern or "0.00%", locale)
    if kind == "SCIENTIFIC":
        return _format_numeric(number, pattern or "0.00E+00", locale)
    if kind in ("NUMBER", "CURRENCY"):
        return _format_numeric(number, pattern or "#,##0.00", locale)
    if pattern:
        return _format_numeric(number, pattern, locale)
    return _general(number, locale)


# ---------------------------------------------------------------------------------------
# USER_ENTERED parsing
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parsed:
    value: Scalar | None
    is_formula: bool = False
    number_format: dict[str, str] | None = None  # set when the cell has none yet


def _parse_number_text(text: str, locale: str) -> float | None:
    dec, grp, _, _, _ = _locale(locale)
    d, g = re.escape(dec), re.escape(grp)
    m = re.fullmatch(rf"([+-]?)(\d{{1,3}}(?:{g}\d{{3}})+|\d+)(?:{d}(\d+))?", text)
    if not m:
        m = re.fullmatch(rf"([+-]?)()(?:{d}(\d+))", text)  # ",5"
        if not m:
            return None
    sign, whole, frac = m.group(1), m.group(2).replace(grp, "") or "0", m.group(3)
    return float(f"{sign}{whole}.{frac or '0'}")


def parse_user_entered(value: Any, locale: str) -> Parsed:
    """What Sheets stores when ``value`` is typed into a cell (valueInputOption USER_ENTERED)."""
    if value is None:
        return Parsed(None)
    if isinstance(value, bool):
        return Parsed(value)
    if isinstance(value, int | float):
        return Parsed(float(value))
    text = str(value)
    if text == "":
        return Parsed(None)
    if text.startswith("'"):
        return Parsed(text[1:])
    if text.startswith("="):
        return Parsed(text, is_formula=True)
    stripped = text.strip()
    if stripped.upper() in ("TRUE", "FALSE"):
        return Parsed(stripped.upper() == "TRUE")
    number = _parse_number_text(stripped, locale)
    if number is not None:
        return Parsed(number)
    if stripped.endswith("%"):
        number = _parse_number_text(stripped[:-1].strip(), locale)
        if number is not None:
            dec, _, _, _, _ = _locale(locale)
            decimals = len(stripped[:-1].partition(dec)[2]) if dec in stripped else 0
            pattern = "0%" if decimals == 0 else "0." + "0" * decimals + "%"
            return Parsed(number / 100, number_format={"type": "PERCENT", "pattern": pattern})
    parsed_date = _parse_date_text(stripped, locale)
    if parsed_date is not None:
        return parsed_date
    if len(stripped) > 1 and stripped[0] in "+-":
        # Sheets reads "-abc" as a formula, which does not parse
        return Parsed("=" + stripped, is_formula=True)
    return Parsed(text)


def _parse_date_text(text: str, locale: str) -> Parsed | None:
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?", text)
    dmy = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?", text)
    try:
        if iso:
            y, mo, d = int(iso.group(1)), int(iso.group(2)), int(iso.group(3))
            hh, mi, ss = iso.group(4), iso.group(5), iso.group(6)
            base = "yyyy-mm-dd"
        elif dmy:
            a, b, y = int(dmy.group(1)), int(dmy.group(2)), int(dmy.group(3))
            d, mo = (b, a) if locale == "en_US" else (a, b)
            hh, mi, ss = dmy.group(4), dmy.group(5), dmy.group(6)
            base = _locale(locale)[2]
        else:
            return None
        moment = datetime(y, mo, d, int(hh or 0), int(mi or 0), int(ss or 0))
    except ValueError:
        return None
    serial = datetime_to_serial(moment)
    if hh is None:
        return Parsed(serial, number_format={"type": "DATE", "pattern": base})
    clock = "HH:mm:ss" if ss is not None else "HH:mm"
    if locale == "en_US":
        clock = clock.replace("HH", "H")
    return Parsed(serial, number_format={"type": "DATE_TIME", "pattern": f"{base} {clock}"})
