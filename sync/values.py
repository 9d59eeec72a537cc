"""Value parsers for form answers: timestamps, dates, counts, numbers, scores, choices.

Every parser takes the raw text of one answer and either returns the value or raises
``BadValue`` with a Vietnamese reason a ward's staff can act on. Blank answers are the
caller's business (``is_blank``): a blank is never an error here.

Nothing here reads the clock: plausibility checks take the ward's year as an argument.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo

from sync.model import NOT_APPLICABLE, CriterionValue
from sync.text import clean_spaces, fold, is_invisible, normalize_title
from sync.text import clear_memos as clear_text_memos

Locale = Literal["vi", "en"]
T = TypeVar("T")


class BadValue(ValueError):
    """An answer that cannot be read; ``reason`` is Vietnamese, with full diacritics."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_blank(text: str | None) -> bool:
    if text is None:
        return True
    s = text.strip()
    # fast path: asked for every cell of every row
    if s and (s[0].isalnum() or not is_invisible(s[0])):
        return False
    return clean_spaces(s) == ""


def format_date(d: date) -> str:
    """dd/mm/yyyy, as Vietnamese users write dates."""
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


_FORMAT_HINT = {"vi": "ngày/tháng/năm", "en": "tháng/ngày/năm"}


def _only_ascii_digits(s: str) -> None:
    """Digits are 0–9 only. int(), float() and ``\\d`` also read "٣" (Arabic-Indic), "３"
    (full-width)...: such an answer comes from another keyboard or a paste, and is
    reported rather than read."""
    if s.isascii():
        return
    for ch in s:
        if ch.isnumeric() and not ch.isascii():
            raise BadValue(
                f"Có chữ số không phải 0–9 ('{ch}', mã U+{ord(ch):04X}); hãy gõ lại bằng chữ "
                "số 0–9 trên bàn phím"
            )


# ---------------------------------------------------------------------------------------
# Dates and timestamps
# ---------------------------------------------------------------------------------------

# [0-9], not \d: \d is any Unicode decimal digit
_ISO_DATE = re.compile(r"^([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})$")
_LOCAL_DATE = re.compile(r"^([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4})$")
# an XLSX cell or an ISO string may carry a midnight time after the date
_MIDNIGHT = re.compile(r"[ T]00:00(:00(\.0+)?)?$")


def parse_date(text: str, locale: Locale) -> date:
    """vi: d/m/y, en: m/d/y; ``YYYY-MM-DD`` (Forms API, XLSX cells) in every locale.

    ``/``, ``-`` and ``.`` are all accepted as separators.
    """
    return _unwrap(_parse_date_memo(text, locale))


@lru_cache(maxsize=1 << 15)
def _parse_date_memo(text: str, locale: Locale) -> date | BadValue:
    # birth dates and session dates repeat across forms: parse each text once
    try:
        return _parse_date(text, locale)
    except BadValue as e:
        return e


def _unwrap(got: T | BadValue) -> T:
    if isinstance(got, BadValue):
        raise BadValue(got.reason)
    return got


def _parse_date(text: str, locale: Locale) -> date:
    s = _MIDNIGHT.sub("", clean_spaces(text))
    _only_ascii_digits(s)
    m = _ISO_DATE.match(s)
    if m:
        y, mo, d = (int(g) for g in m.groups())
    else:
        m = _LOCAL_DATE.match(s)
        if not m:
            raise BadValue(
                f"Không đọc được ngày; cần dạng {_FORMAT_HINT[locale]} (ví dụ "
                f"{'22/11/2026' if locale == 'vi' else '11/22/2026'}) hoặc năm-tháng-ngày"
            )
        a, b, y = (int(g) for g in m.groups())
        d, mo = (a, b) if locale == "vi" else (b, a)
    try:
        return date(y, mo, d)
    except ValueError as e:
        raise BadValue(
            f"Ngày không tồn tại (đọc theo dạng {_FORMAT_HINT[locale]}: ngày {d}, tháng {mo}, "
            f"năm {y})"
        ) from e


def check_campaign_date(d: date, year: int) -> None:
    """Dates of the campaign (plan, session, deadlines) belong to the ward's year."""
    if d.year != year:
        raise BadValue(
            f"Ngày {format_date(d)} không thuộc năm {year} của đợt sinh hoạt chuyên đề; "
            "kiểm tra lại năm đã nhập"
        )


def check_birth_date(d: date, year: int) -> None:
    """Not after ``year - 16`` (loose on purpose: admission is from 18) nor before 1900."""
    if d.year < 1900:
        raise BadValue(f"Ngày sinh {format_date(d)} trước năm 1900: không hợp lý")
    if d.year > year - 16:
        raise BadValue(
            f"Ngày sinh {format_date(d)} không hợp lý (người sinh sau năm {year - 16} chưa đủ "
            "16 tuổi); kiểm tra lại năm sinh"
        )


_TIME = r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?(?:\.[0-9]+)?"
_LOCAL_TS = re.compile(
    r"^([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4})(?:,)?\s+"
    + _TIME
    + r"(?:\s*([AaPp])\.?[Mm]\.?)?$"
)


def parse_timestamp(text: str, locale: Locale, tz: ZoneInfo) -> datetime:
    """A response sheet's timestamp, as an aware datetime in ``tz``.

    vi: ``22/11/2026 10:15:30`` (d/m/y), en: ``11/22/2026 10:15:30`` or
    ``11/22/2026 10:15:30 AM`` (m/d/y); both are local time. ISO 8601 is accepted too; an
    ISO value with an offset is converted to ``tz``.
    """
    s = clean_spaces(text)
    _only_ascii_digits(s)
    m = _LOCAL_TS.match(s)
    if m:
        a, b, y, hh, mi, ss, ampm = m.groups()
        d, mo = (int(a), int(b)) if locale == "vi" else (int(b), int(a))
        hour = int(hh)
        if ampm:
            if not 1 <= hour <= 12:
                raise BadValue(f"Giờ không hợp lệ trong dấu thời gian: {hour} giờ {ampm}M")
            hour = hour % 12 + (12 if ampm.lower() == "p" else 0)
        try:
            t = datetime(int(y), mo, d, hour, int(mi), int(ss or 0), tzinfo=tz)
        except ValueError as e:
            raise BadValue(
                f"Dấu thời gian không tồn tại (đọc theo dạng {_FORMAT_HINT[locale]} giờ:phút:giây)"
            ) from e
        return _plausible_time(t)
    try:
        t = datetime.fromisoformat(s)
    except ValueError:
        raise BadValue(
            f"Không đọc được dấu thời gian; cần dạng {_FORMAT_HINT[locale]} giờ:phút:giây"
        ) from None
    # checked before converting: "0001-01-01T00:00+14:00" in another zone overflows
    _plausible_time(t)
    return t.replace(tzinfo=tz) if t.tzinfo is None else t.astimezone(tz)


def _plausible_time(t: datetime) -> datetime:
    # the years a ward config may have (sync.config); outside them a timestamp is broken
    if not 2000 <= t.year <= 2100:
        raise BadValue(f"Dấu thời gian năm {t.year} không hợp lý (cần từ năm 2000 đến 2100)")
    return t


# ---------------------------------------------------------------------------------------
# Vietnamese number words (0..99), compared folded so "muoi lam" works too
# ---------------------------------------------------------------------------------------

_UNITS = {
    "khong": 0,
    "mot": 1,  # một, mốt (21 = hai mươi mốt)
    "hai": 2,
    "ba": 3,
    "bon": 4,
    "tu": 4,  # "tư" after a ten: hai mươi tư
    "nam": 5,
    "lam": 5,  # "lăm" after a ten: mười lăm
    "sau": 6,
    "bay": 7,
    "tam": 8,
    "chin": 9,
}
_TEN = "muoi"  # fold() makes "mười" and "mươi" the same word
_FILLERS = {"linh", "le"}  # "linh"/"lẻ" (zero tens) carry no value below 100


def vietnamese_number(text: str) -> int | None:
    """0..99 written in Vietnamese words ("mười", "mười lăm", "hai mươi mốt"), else None."""
    words = [w for w in fold(text).split() if w not in _FILLERS]
    if not words or any(w != _TEN and w not in _UNITS for w in words):
        return None
    if len(words) == 1:
        w = words[0]
        if w == _TEN:
            return 10
        return None if w == "lam" else _UNITS[w]  # "lăm" alone is not a number
    if words[0] == _TEN:  # mười X
        if len(words) == 2 and words[1] in _UNITS and _UNITS[words[1]] > 0:
            return 10 + _UNITS[words[1]]
        return None
    tens = _UNITS.get(words[0], -1)
    if tens < 2:
        return None
    rest = words[1:]
    if rest[0] == _TEN:
        rest = rest[1:]
        if not rest:
            return tens * 10
    elif len(rest) != 1 or rest[0] not in ("mot", "tu", "lam"):
        return None  # colloquial "hai mốt", "ba lăm" only; "hai ba" is too loose
    if len(rest) == 1 and rest[0] in _UNITS and _UNITS[rest[0]] > 0:
        return tens * 10 + _UNITS[rest[0]]
    return None


# ---------------------------------------------------------------------------------------
# Counts, numbers, scores
# ---------------------------------------------------------------------------------------

_INT = re.compile(r"^\+?([0-9]+)(?:[.,]0{1,2})?$")
_NUMBER = re.compile(r"^([+-]?)([0-9]+(?:[.,][0-9]+)?|[.,][0-9]+)$")

# No count of people in a ward comes near this: more is a typing mistake (an extra key
# held down), and a bound keeps int() far from its 4300-digit limit.
MAX_COUNT = 100_000
# A number's integer part beyond this many digits is a typing mistake, and float() would
# round it (or give inf)
_MAX_DIGITS = 12


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")  # 100.000, as Vietnamese write it


def parse_int(text: str, maximum: int = MAX_COUNT) -> int:
    """A count of people: ``12``, `` 12 ``, ``12,0``, ``12.0`` or words ("mười lăm").

    Digits 0–9 only; above ``maximum`` (100.000 unless told) the count is not plausible.
    """
    s = clean_spaces(text)
    _only_ascii_digits(s)
    m = _INT.match(s)
    if m:
        digits = m.group(1).lstrip("0") or "0"
        # length first: int() of a 5,000-digit answer raises (and is slow)
        if len(digits) > len(str(maximum)) or int(digits) > maximum:
            raise BadValue(
                f"Số lượng lớn hơn {_thousands(maximum)} là không hợp lý; kiểm tra lại số đã nhập"
            )
        return int(digits)
    if _NUMBER.match(s):
        if s.startswith("-"):
            raise BadValue("Số âm không hợp lệ cho một số lượng")
        raise BadValue("Số lượng phải là số nguyên (không có phần thập phân)")
    words = vietnamese_number(s)
    if words is not None:
        return words
    raise BadValue("Không đọc được số lượng; cần một số nguyên không âm (ví dụ 12)")


def parse_number(text: str) -> float:
    """A number with a decimal comma (``7,5``) or dot (``7.5``); words up to 99."""
    s = clean_spaces(text).replace(" ", "")
    _only_ascii_digits(s)
    if _NUMBER.match(s):
        return _to_float(s)
    words = vietnamese_number(text)
    if words is not None:
        return float(words)
    raise BadValue("Không đọc được số (ví dụ hợp lệ: 7,5 hoặc 7.5)")


def _to_float(s: str) -> float:
    """A text matching _NUMBER as a float; too many digits is a BadValue, never inf."""
    whole = re.split("[.,]", s.lstrip("+-"), maxsplit=1)[0].lstrip("0")
    if len(whole) > _MAX_DIGITS:
        raise BadValue(
            f"Số quá lớn (phần nguyên hơn {_MAX_DIGITS} chữ số): không hợp lý; kiểm tra lại "
            "số đã nhập"
        )
    return float(s.replace(",", "."))


_FRACTION = re.compile(r"^(.+?)\s*/\s*(.+)$")
_POINTS = re.compile(r"\s*(điểm|đ)$", re.IGNORECASE)  # "10 điểm"
_NA_FOLDED = "khong ap dung"
_NOT_COUNTED = "; không được tính"  # every score reason ends so


def _fmt(x: float) -> str:
    # 7,5 and 1234567 as written, never "1.23457e+06"
    return f"{x:.6f}".rstrip("0").rstrip(".").replace(".", ",")


def parse_score(text: str, maximum: float, not_applicable: Sequence[str] = ()) -> CriterionValue:
    """A Biểu mẫu 02 criterion: 0..maximum, ``15/15``, words, or a "not applicable" text."""
    return _unwrap(_parse_score_memo(text, maximum, tuple(not_applicable)))


@lru_cache(maxsize=1 << 14)
def _parse_score_memo(
    text: str, maximum: float, not_applicable: tuple[str, ...]
) -> CriterionValue | BadValue:
    # a dropdown offers a dozen scores: 13 criteria x 200,000 sheets are a few texts
    try:
        return _parse_score(text, maximum, not_applicable)
    except BadValue as e:
        return e


def _parse_score(text: str, maximum: float, not_applicable: Sequence[str]) -> CriterionValue:
    s = clean_spaces(text)
    try:
        _only_ascii_digits(s)
        if _NUMBER.match(s):  # the dropdown's plain numbers: the common case, kept fast
            return _in_range(_to_float(s), maximum)
    except BadValue as e:
        if e.reason.endswith(_NOT_COUNTED):
            raise
        raise BadValue(e.reason + _NOT_COUNTED) from None
    key, folded = normalize_title(s), fold(s)
    for na in not_applicable:
        if key == normalize_title(na) or folded == fold(na):
            return NOT_APPLICABLE
    if folded.startswith(_NA_FOLDED):  # "Không áp dụng" reworded in an older copy
        return NOT_APPLICABLE
    s = _POINTS.sub("", s)
    m = _FRACTION.match(s)
    if m:
        num, den = (_number_or_bad(g) for g in m.groups())
        if abs(den - maximum) > 1e-9:
            raise BadValue(
                f"Điểm dạng phân số {_fmt(num)}/{_fmt(den)} có mẫu số khác điểm tối đa của "
                f"tiêu chí ({_fmt(maximum)}); không được tính"
            )
        value = num
    else:
        value = _number_or_bad(s)
    return _in_range(value, maximum)


def _in_range(value: float, maximum: float) -> float:
    if value < 0:
        raise BadValue("Điểm âm không hợp lệ; không được tính")
    if value > maximum + 1e-9:
        raise BadValue(
            f"Điểm {_fmt(value)} lớn hơn điểm tối đa của tiêu chí ({_fmt(maximum)}); "
            "không được tính"
        )
    return value + 0.0  # "-0" is 0, not -0.0


def _number_or_bad(s: str) -> float:
    try:
        return parse_number(s)
    except BadValue as e:
        if _NUMBER.match(clean_spaces(s).replace(" ", "")):
            # a number, only far too long: parse_number's reason says so
            raise BadValue(e.reason + _NOT_COUNTED) from None
        raise BadValue(
            "Không đọc được điểm; cần một số (ví dụ 7,5) hoặc "
            '"Không áp dụng (tính điểm tối đa)"; không được tính'
        ) from None


# ---------------------------------------------------------------------------------------
# Choices and checkboxes
# ---------------------------------------------------------------------------------------


def match_choice(
    text: str, choices: Sequence[str], aliases: Mapping[str, str] | None = None
) -> str | None:
    """The canonical choice ``text`` stands for, else None.

    Compared with normalize_title (case, spaces, Unicode form, quotes); then folded
    (no diacritics, "uỷ"/"ủy") when that gives exactly one choice.
    """
    exact, folded = _choice_keys(tuple(choices), tuple((aliases or {}).items()))
    hit = exact.get(normalize_title(text))
    if hit is not None:
        return hit
    found = folded.get(fold(text), set())
    return next(iter(found)) if len(found) == 1 else None


@lru_cache(maxsize=256)
def _choice_keys(
    choices: tuple[str, ...], aliases: tuple[tuple[str, str], ...]
) -> tuple[dict[str, str], dict[str, set[str]]]:
    # the same few choice lists are compared for every row: key them once
    exact: dict[str, str] = {}
    folded: dict[str, set[str]] = {}
    for written, canonical in [*((c, c) for c in choices), *aliases]:
        exact.setdefault(normalize_title(written), canonical)
        folded.setdefault(fold(written), set()).add(canonical)
    return exact, folded


@dataclass(frozen=True)
class CheckboxAnswer:
    chosen: tuple[str, ...]  # canonical choices, in the order of ``choices``, no repeats
    unknown: tuple[str, ...]  # answer text matching no known choice ("Other", renamed)


def _loose(s: str) -> str:
    s = clean_spaces(s)
    low = s.lower()
    # keep positions aligned with the original text (lower() may change length rarely)
    return low if len(low) == len(s) else s


def split_checkboxes(
    answer: str | Sequence[str],
    choices: Sequence[str],
    aliases: Mapping[str, str] | None = None,
) -> CheckboxAnswer:
    """Known choices in a checkbox answer (see ``_split_checkboxes``)."""
    pairs = tuple((aliases or {}).items())
    if isinstance(answer, str):
        if len(answer) <= 2000:  # the same few combinations of ticks repeat a lot
            return _split_memo(answer, tuple(choices), pairs)
        return _split_checkboxes(answer, tuple(choices), pairs)
    return _split_checkboxes(tuple(answer), tuple(choices), pairs)


@lru_cache(maxsize=1 << 15)
def _split_memo(
    answer: str, choices: tuple[str, ...], aliases: tuple[tuple[str, str], ...]
) -> CheckboxAnswer:
    return _split_checkboxes(answer, choices, aliases)


def _split_checkboxes(
    answer: str | tuple[str, ...],
    choices: tuple[str, ...],
    alias_pairs: tuple[tuple[str, str], ...],
) -> CheckboxAnswer:
    """Known choices in a checkbox answer.

    A CSV cell joins the choices with ", " and choices contain commas themselves, so the
    cell is never split on commas: known choices are matched left to right, longest
    first. Text between known choices (or after them) is reported as unknown. A list (the
    Forms API) is matched element by element.
    """
    aliases = dict(alias_pairs)
    picked: set[str] = set()
    unknown: list[str] = []
    if not isinstance(answer, str):
        for element in answer:
            if is_blank(element):
                continue
            c = match_choice(element, choices, aliases)
            if c is None:
                unknown.append(clean_spaces(element))
            else:
                picked.add(c)
        return CheckboxAnswer(_in_order(picked, choices), tuple(unknown))

    cell = clean_spaces(answer)
    low = _loose(cell)
    candidates = _checkbox_candidates(tuple(choices), tuple((aliases or {}).items()))

    def match_at(i: int) -> tuple[int, str] | None:
        for written, canonical in candidates:
            if written and low.startswith(written, i):
                j = i + len(written)
                # a choice ends at the end of the cell or at the next ", "
                if j == len(low) or low[j] == ",":
                    return j, canonical
        return None

    i = 0
    while i < len(low):
        while i < len(low) and low[i] in ", ":
            i += 1
        if i >= len(low):
            break
        hit = match_at(i)
        if hit:
            i, canonical = hit
            picked.add(canonical)
            continue
        # unknown text runs up to the next ", " followed by a known choice, else to the end
        end = len(low)
        k = low.find(",", i)
        while k != -1:
            j = k + 1
            while j < len(low) and low[j] == " ":
                j += 1
            if j < len(low) and match_at(j):
                end = k
                break
            k = low.find(",", k + 1)
        piece = cell[i:end].strip(" ,")
        if piece:
            unknown.append(piece)
        i = end
    return CheckboxAnswer(_in_order(picked, choices), tuple(unknown))


@lru_cache(maxsize=256)
def _checkbox_candidates(
    choices: tuple[str, ...], aliases: tuple[tuple[str, str], ...]
) -> tuple[tuple[str, str], ...]:
    """(text as it may appear in a cell, canonical choice), longest first."""
    pairs = [*((c, c) for c in choices), *aliases]
    found = {(_loose(normalize_title(w)), c) for w, c in pairs} | {(_loose(w), c) for w, c in pairs}
    return tuple(sorted(found, key=lambda wc: (-len(wc[0]), wc)))


def _in_order(picked: set[str], choices: Sequence[str]) -> tuple[str, ...]:
    # form order; an alias target missing from ``choices`` (empty list) goes last
    return tuple(c for c in choices if c in picked) + tuple(sorted(picked - set(choices)))


def clean_text(text: str | None) -> str | None:
    """Free text as written (single spaces, trimmed); blank -> None.

    Nothing is interpreted: a value such as ``=IMPORTXML(...)`` stays a plain string; the
    outputs are the ones that must write it as text.
    """
    if text is None:
        return None
    s = clean_spaces(text)
    return s or None


def clear_memos() -> None:
    """Empty the memos of answer texts (dates, scores, checkboxes, and ``sync.text``'s):
    they pay while a cycle normalises; kept, a province's 150,000 entries would hold their
    memory through the letters and the tables (the cycle calls this after normalising)."""
    clear_text_memos()
    for memo in (_parse_date_memo, _parse_score_memo, _split_memo):
        memo.cache_clear()
