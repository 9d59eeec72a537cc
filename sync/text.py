"""Vietnamese text helpers shared by matching code.

Two strengths of comparison:
- ``normalize_title``: for question titles and choices. Keeps diacritics (they carry
  meaning), but ignores Unicode normal form (NFC vs NFD typed on another keyboard), case,
  repeated or odd spaces, curly vs straight quotes, and punctuation around the text
  (a trailing "*" of a required question, a final ":" or ".").
- ``fold``: for people's and branches' names typed by respondents. Also drops diacritics
  and maps đ -> d, so "Nguyễn Văn An", "nguyen van an" and "NGUYỄN  VĂN AN" are equal.

Both start from ``clean_spaces``, which drops every invisible or formatting character
(zero-width joiners, soft hyphens, bidi controls, BOM...) and turns every space variant
into a plain space. ``visible`` shows those characters in "Lỗi dữ liệu" as ``⟨U+200D⟩``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache, wraps

_SPACES = re.compile(r"\s+")
# Characters that show nothing: every Unicode format character (category Cf: soft hyphen,
# ZWSP/ZWNJ/ZWJ, LRM/RLM, bidi embeddings, overrides and isolates, word joiner, BOM,
# Arabic/Kaithi number signs, tags...), the other default-ignorable code points (variation
# selectors, Hangul fillers, combining grapheme joiner), control characters that are not
# line breaks or tabs, and lone surrogates. Written as ranges so matching stays in C;
# tests/test_values_strict.py checks every Cf of the running Python is covered.
_INVISIBLE_CLASS = (
    "\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"
    "\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
    "\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ud800-\udfff\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
_INVISIBLE = re.compile(f"[{_INVISIBLE_CLASS}]+")
# What ``visible`` marks: the invisible characters, and every space or line break other
# than the ordinary space, tab and newline (no-break space, U+3000, thin spaces, U+2028...).
_UNUSUAL = re.compile(f"[{_INVISIBLE_CLASS}]" + r"|[^\S \t\n\r]")
_QUOTES = str.maketrans(
    {
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
        "\u200b": "",
        "\ufeff": "",
    }
)
# Punctuation allowed to surround a title without changing it.
_EDGE = " \t\r\n*:.;,-–—?!\"'()[]"


# Answers repeat (choice texts, branch names, a member's name in every form): the three
# comparisons below are memoised by their input. Bounded, so memory does not grow with the
# ward; long free text is not worth keeping.
_MEMO = 1 << 16
_MEMO_MAX_LEN = 300
_MEMO_CLEARS: list[Callable[[], None]] = []


def clear_memos() -> None:
    """Empty the memos below (``sync.values.clear_memos`` empties them with its own)."""
    for clear in _MEMO_CLEARS:
        clear()


def _memoised(fn: Callable[[str], str]) -> Callable[[str], str]:
    cached = lru_cache(maxsize=_MEMO)(fn)
    _MEMO_CLEARS.append(cached.cache_clear)

    @wraps(fn)
    def wrapper(s: str) -> str:
        return cached(s) if len(s) <= _MEMO_MAX_LEN else fn(s)

    # an attribute on a function: a Callable type cannot declare it (a class would cost a
    # method call on every comparison)
    wrapper.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
    return wrapper


def is_invisible(ch: str) -> bool:
    """``ch`` (one character) shows nothing and carries no meaning in an answer."""
    return _INVISIBLE.match(ch) is not None


def strip_invisible(s: str) -> str:
    """``s`` without its invisible and formatting characters (ZWJ, soft hyphen, BOM...)."""
    return _INVISIBLE.sub("", s)


def visible(raw: str) -> str:
    """``raw`` as typed, with invisible characters and unusual spaces shown as
    ``⟨U+200D⟩``: a "Lỗi dữ liệu" row must not look identical to the correct name.
    Ordinary characters, spaces, tabs and line breaks stay as they are; idempotent."""
    if raw.isascii() and raw.isprintable():  # the common case: nothing to show
        return raw
    return _UNUSUAL.sub(lambda m: f"⟨U+{ord(m.group()):04X}⟩", raw)


@_memoised
def clean_spaces(s: str) -> str:
    """No invisible/format characters, NFC, straight quotes, every space variant (U+00A0,
    U+3000...) as one plain space, trimmed."""
    # invisible characters go first: a soft hyphen between a letter and its combining mark
    # would otherwise keep NFC from composing them
    s = unicodedata.normalize("NFC", _INVISIBLE.sub("", s)).translate(_QUOTES)
    return _SPACES.sub(" ", s).strip()


@_memoised
def normalize_title(s: str) -> str:
    """Key for comparing question titles and choice texts (diacritics kept)."""
    s = clean_spaces(s).casefold()
    return _strip_edges(s)


def _strip_edges(s: str) -> str:
    # Strip punctuation around the text, but keep a closing bracket that closes an
    # opening one inside ("... (mục 3.1)"), and a closing quote that closes one inside.
    start, end = 0, len(s)
    while start < end and s[start] in _EDGE and s[start] not in "([\"'":
        start += 1
    while end > start and s[end - 1] in _EDGE:
        ch = s[end - 1]
        if ch in ")]\"'":
            opener = {")": "(", "]": "[", '"': '"', "'": "'"}[ch]
            inner = s[start : end - 1]
            if opener in inner and (opener != ch or inner.count(ch) % 2 == 1):
                break
        end -= 1
    return s[start:end].strip()


@_memoised
def fold(s: str) -> str:
    """Key for comparing names: no diacritics, đ -> d, case-insensitive, single spaces."""
    s = clean_spaces(s).casefold().replace("đ", "d")
    s = unicodedata.normalize("NFD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = re.sub(r"[^\w\s]", " ", s)
    return _SPACES.sub(" ", s).strip()


_DIGIT_RUNS = re.compile(r"(\d+)")


@lru_cache(maxsize=1 << 14)
def natural_key(s: str) -> tuple[tuple[int, str], ...]:
    """Sort key that puts "CB2" before "CB10" and "Dòng 9" before "Dòng 10" (total on any
    string: digit runs compare as zero-padded text, so parts never mix int and str)."""
    return tuple(
        (0, part.zfill(12)) if part.isdigit() else (1, part) for part in _DIGIT_RUNS.split(s)
    )
