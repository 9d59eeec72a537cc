"""Vietnamese text helpers shared by matching code.

Two strengths of comparison:
- ``normalize_title``: for question titles and choices. Keeps diacritics (they carry
  meaning), but ignores Unicode normal form (NFC vs NFD typed on another keyboard), case,
  repeated or odd spaces, curly vs straight quotes, and punctuation around the text
  (a trailing "*" of a required question, a final ":" or ".").
- ``fold``: for people's and branches' names typed by respondents. Also drops diacritics
  and maps đ -> d, so "Nguyễn Văn An", "nguyen van an" and "NGUYỄN  VĂN AN" are equal.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache, wraps

_SPACES = re.compile(r"\s+")
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


def _memoised(fn: Callable[[str], str]) -> Callable[[str], str]:
    cached = lru_cache(maxsize=_MEMO)(fn)

    @wraps(fn)
    def wrapper(s: str) -> str:
        return cached(s) if len(s) <= _MEMO_MAX_LEN else fn(s)

    wrapper.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
    return wrapper


@_memoised
def clean_spaces(s: str) -> str:
    """NFC, no zero-width/BOM chars, straight quotes, single spaces, trimmed."""
    s = unicodedata.normalize("NFC", s).translate(_QUOTES)
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
