"""The pure pieces of Form E the normaliser needs: a person supported as a keyed hash
(HMAC-SHA256 of the folded name, the birth year and the phone in its national form; the
key is the state's secret, see ``sync.support``) and a team name typed in a log matched to
the team roster. No I/O; ``sync.support`` (the roster, the secret, scrubbing before
storage) builds on it."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sync.model import Team
from sync.text import fold, strip_invisible

TOKEN = "ẩn:"  # prefix of a value replaced by its keyed hash (never shown)
HIDDEN = "(đã ẩn)"  # what a data problem shows instead of a citizen's name or phone
INVALID_PHONE = TOKEN + "không hợp lệ"


# ---------------------------------------------------------------------------------------
# Phones, names, keys
# ---------------------------------------------------------------------------------------

_NOT_PHONE = re.compile(r"[^\d+]")


def national_phone(text: str) -> str | None:
    """A Vietnamese phone number in its national form ("0912345678"); "" when blank; None
    when it cannot be one. Accepts spaces, dots, dashes, brackets, "+84"/"84" and a leading
    0 left out ("912.345.678")."""
    raw = _NOT_PHONE.sub("", text.strip())
    if not raw:
        return "" if not re.search(r"\d", text) and not text.strip() else None
    if "+" in raw[1:]:
        return None
    digits = raw.lstrip("+")
    if raw.startswith("+") and not digits.startswith("84"):
        return None  # a foreign number: not one we can put in national form
    if digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    elif len(digits) == 9 and not digits.startswith("0"):
        digits = "0" + digits
    if len(digits) not in (10, 11) or not digits.startswith("0"):
        return None
    return digits


# a phone number typed inside free text ("Khác: gọi lại 0912 345 678")
# digits with separators, any Unicode space among them (a no-break space, U+3000...)
_PHONE_LIKE = re.compile(r"\+?\d(?:[\d.\-()]|\s){7,}\d")


def redact_phones(text: str) -> str:
    """Free text with anything that looks like a phone number replaced by "(đã ẩn)". A
    number split by invisible characters (a zero-width joiner between its digits) is one
    too: they are dropped from a text that holds a number."""
    if not any(c.isdigit() for c in text):
        return text
    seen = strip_invisible(text)
    return _PHONE_LIKE.sub(HIDDEN, seen) if _PHONE_LIKE.search(seen) else text


def _mac(secret: bytes, what: str, value: str) -> str:
    return hmac.new(secret, f"{what}\x00{value}".encode(), hashlib.sha256).hexdigest()[:32]


def is_token(text: str) -> bool:
    return text.startswith(TOKEN)


def name_token(text: str, secret: bytes) -> str:
    """The person's name as stored: a keyed hash of the folded name ("" when blank)."""
    if is_token(text):
        return text
    key = fold(text)
    return TOKEN + _mac(secret, "name", key) if key else ""


def phone_token(text: str, secret: bytes) -> str:
    """The phone as stored: a keyed hash of its national form; "" when blank;
    ``INVALID_PHONE`` when it cannot be a phone number (the digits are not kept)."""
    if is_token(text):
        return text
    national = national_phone(text)
    if national is None:
        return INVALID_PHONE
    return TOKEN + _mac(secret, "phone", national) if national else ""


def person_key(secret: bytes, name: str, birth_year: int | None, phone: str) -> str:
    """Who a person supported is, for counting: the same folded name, birth year and phone
    give the same key; nothing of them can be read back from it. ``name`` and ``phone`` may
    be given in clear or as their tokens."""
    parts = (name_token(name, secret), str(birth_year or ""), phone_token(phone, secret))
    if parts[2] == INVALID_PHONE:
        parts = (parts[0], parts[1], "")  # an unreadable phone: told apart by name and year
    return _mac(secret, "person", "|".join(parts))


# ---------------------------------------------------------------------------------------
# Teams
# ---------------------------------------------------------------------------------------

# the long and short forms of "Tổ công nghệ số cộng đồng", folded: "Tổ CNSCĐ khu phố 3"
# and "Tổ công nghệ số cộng đồng Khu phố 3" both come down to "khu pho 3"
_PREFIXES = ("to cong nghe so cong dong", "to cnscd", "to cnsc", "cnscd", "to cns", "to")


def _short(folded: str) -> str:
    for p in _PREFIXES:
        if folded.startswith(p + " "):
            return folded[len(p) + 1 :]
    return folded


@dataclass(frozen=True)
class TeamMatch:
    code: str  # "" when none
    status: str  # "ok", "unknown", "ambiguous", "blank"


class TeamIndex:
    """Team names, codes and aliases folded (case, diacritics, the "Tổ CNSCĐ" prefix)."""

    def __init__(self, teams: Sequence[Team]) -> None:
        self.teams = tuple(teams)
        self._by_key: dict[str, set[str]] = {}
        for t in self.teams:
            for text in (t.code, t.name, *t.aliases):
                f = fold(text)
                for k in {f, _short(f)}:
                    if k:
                        self._by_key.setdefault(k, set()).add(t.code)
        self.by_code = {t.code: t for t in self.teams}

    def match(self, text: str | None) -> TeamMatch:
        if text is None or not fold(text):
            return TeamMatch("", "blank")
        f = fold(text)
        for k in (f, _short(f)):
            codes = self._by_key.get(k)
            if codes and len(codes) == 1:
                return TeamMatch(next(iter(codes)), "ok")
            if codes:
                return TeamMatch("", "ambiguous")
        return TeamMatch("", "unknown")
