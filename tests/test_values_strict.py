"""Numbers and text that must not fool the ward: implausible counts, digits of other
scripts, invisible characters in names and choices, and how "Lỗi dữ liệu" shows them.

Every expected value here is written by hand from the rules (sync/values.py, sync/text.py,
the branch total bound in sync/normalize.py), not copied from the code's output.
"""

from __future__ import annotations

import math
import sys
import unicodedata
from datetime import date

import pytest

from sync.matching import RosterIndex
from sync.model import NOT_APPLICABLE, BranchReport, DataProblem, RawResponse, SourceKind
from sync.text import clean_spaces, fold, is_invisible, normalize_title, visible
from sync.values import (
    BadValue,
    is_blank,
    match_choice,
    parse_date,
    parse_int,
    parse_number,
    parse_score,
    parse_timestamp,
)
from tests.test_normalize import PARTICIPANTS_NFD, ROSTER, TZ, form_a, form_b, run

OTHER_DIGITS = "chữ số không phải 0–9"
TOTAL = "Tổng số đảng viên của chi bộ"
EXEMPT = "Số đảng viên được miễn sinh hoạt"
HANDBOOK = "Số đảng viên sử dụng Sổ tay đảng viên điện tử"
NA = ["Không áp dụng (tính điểm tối đa)"]


def reason_of(fn, *args: object) -> str:
    with pytest.raises(BadValue) as e:
        fn(*args)
    assert type(e.value) is BadValue  # never int()'s own ValueError
    assert e.value.reason
    return e.value.reason


# ---------------------------------------------------------------------------------------
# Digits: 0–9 only
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, shown",
    [
        ("٣", "('٣', mã U+0663)"),  # Arabic-Indic three: int() reads it as 3
        ("۵", "('۵', mã U+06F5)"),  # Extended Arabic-Indic (Persian) five
        ("１２", "('１', mã U+FF11)"),  # full-width, from a CJK keyboard
        ("1٣", "('٣', mã U+0663)"),  # mixed with an ASCII digit
        ("२०", "('२', mã U+0968)"),  # Devanagari
        ("5²", "('²', mã U+00B2)"),  # str.isdigit() says yes
    ],
)
def test_counts_with_digits_of_other_scripts_are_rejected(text: str, shown: str):
    reason = reason_of(parse_int, text)
    assert OTHER_DIGITS in reason and shown in reason


@pytest.mark.parametrize("text", ["٣", "٧,٥", "８", "𝟕"])
def test_scores_and_numbers_with_digits_of_other_scripts_are_rejected(text: str):
    score = reason_of(parse_score, text, 10.0, NA)
    assert OTHER_DIGITS in score and score.endswith("; không được tính")
    assert OTHER_DIGITS in reason_of(parse_number, text)


def test_dates_and_timestamps_with_digits_of_other_scripts_are_rejected():
    assert OTHER_DIGITS in reason_of(parse_date, "٢٢/١٠/٢٠٢٦", "vi")
    assert OTHER_DIGITS in reason_of(parse_date, "２０２６-１０-２２", "vi")
    assert OTHER_DIGITS in reason_of(parse_timestamp, "٢٢/١٠/٢٠٢٦ 10:15:30", "vi", TZ)
    # the ASCII forms still read
    assert parse_date("22/10/2026", "vi") == date(2026, 10, 22)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("3", 3.0),
        ("7,5", 7.5),  # decimal comma
        ("7.5", 7.5),  # and point
        (" 10 ", 10.0),
        ("15/15", None),  # fraction: checked below with its own maximum
        ("mười", 10.0),  # Vietnamese words
        ("8 điểm", 8.0),
        ("Không áp dụng (tính điểm tối đa)", "NA"),
    ],
)
def test_scores_still_accept_ascii_digits_words_and_fractions(text: str, expected: object):
    if expected is None:
        assert parse_score(text, 15.0, NA) == 15.0
    elif expected == "NA":
        assert parse_score(text, 10.0, NA) is NOT_APPLICABLE
    else:
        assert parse_score(text, 10.0, NA) == expected


def test_formula_like_score_is_unreadable_not_evaluated():
    assert reason_of(parse_score, "=1+1", 10.0, NA).startswith("Không đọc được điểm")
    assert reason_of(parse_int, "=1+1").startswith("Không đọc được số lượng")


# ---------------------------------------------------------------------------------------
# Bounds: no overflow, no float nonsense
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["100001", "99999999999999999999999", "9" * 5000])
def test_counts_above_100_000_are_rejected_with_the_bound(text: str):
    reason = reason_of(parse_int, text)
    assert reason == "Số lượng lớn hơn 100.000 là không hợp lý; kiểm tra lại số đã nhập"


def test_counts_up_to_the_bound_and_leading_zeros_still_read():
    assert parse_int("100000") == 100_000
    assert parse_int("100000,0") == 100_000
    assert parse_int("000012") == 12
    assert parse_int("0" * 50 + "7") == 7  # zeros are not magnitude
    assert parse_int("mười lăm") == 15


def test_numbers_with_more_than_twelve_integer_digits_are_rejected_never_inf():
    assert parse_number("123456789012") == 123_456_789_012.0
    assert "quá lớn" in reason_of(parse_number, "1234567890123")
    assert "quá lớn" in reason_of(parse_number, "9" * 400)  # float() alone gives inf
    assert parse_number("0,5") == 0.5


def test_score_far_above_the_maximum_says_so_in_plain_digits():
    assert reason_of(parse_score, "1234567", 10.0, NA) == (
        "Điểm 1234567 lớn hơn điểm tối đa của tiêu chí (10); không được tính"
    )
    assert reason_of(parse_score, "12,5", 10.0, NA) == (
        "Điểm 12,5 lớn hơn điểm tối đa của tiêu chí (10); không được tính"
    )
    huge = reason_of(parse_score, "9" * 30, 10.0, NA)
    assert "quá lớn" in huge and huge.endswith("; không được tính")
    assert "inf" not in huge and "e+" not in huge
    fraction = reason_of(parse_score, "9" * 30 + "/10", 10.0, NA)
    assert "quá lớn" in fraction and "inf" not in fraction


def test_timestamps_outside_2000_2100_are_rejected_never_overflow():
    # converting year 1 at +14:00 to Vietnam's zone overflows datetime
    assert "năm 1 " in reason_of(parse_timestamp, "0001-01-01T00:00:00+14:00", "vi", TZ)
    assert "năm 9999" in reason_of(parse_timestamp, "9999-12-31T23:59:59-12:00", "vi", TZ)
    assert "năm 1999" in reason_of(parse_timestamp, "31/12/1999 23:59:59", "vi", TZ)
    assert parse_timestamp("2026-10-22T03:15:30+00:00", "vi", TZ).hour == 10


def test_minus_zero_score_is_zero():
    v = parse_score("-0", 10.0, NA)
    assert v == 0.0 and math.copysign(1.0, v) == 1.0


# ---------------------------------------------------------------------------------------
# The branch total: bound by the roster, and never hiding the other checks
# ---------------------------------------------------------------------------------------
# tests/test_normalize.py's roster: CB03 ("Khu phố 3") has 24 members, 2 exempt;
# CB07 ("THCS Lê Lợi") has 2 members. The bound is max(2 × roster, roster + 20).


def problems_by_field(ns) -> dict[str, str]:
    return {p.field: p.reason for p in ns.problems}


def test_absurd_total_is_rejected_and_the_others_are_checked_against_the_roster():
    row = form_a(**{TOTAL: "99999999999999999999999", HANDBOOK: "40"})
    ns = run(SourceKind.BRANCH_STATS, [row])
    reasons = problems_by_field(ns)
    assert "100.000" in reasons[TOTAL]
    # the count is still checked: against the roster, since the total is not used
    assert reasons[HANDBOOK] == (
        "Số đảng viên (40) lớn hơn số đảng viên của chi bộ theo danh sách (24); không được tính"
    )
    (r,) = ns.records
    assert isinstance(r, BranchReport)
    assert r.total_members is None and r.counts["handbook"] is None
    assert r.participants == 21  # 21 <= 24 − 2 from the roster
    assert r.exempt_members == 2


def test_total_above_twice_the_roster_is_rejected_with_the_bound():
    ns = run(SourceKind.BRANCH_STATS, [form_a(**{TOTAL: "49"})])
    (p,) = ns.problems
    assert p.field == TOTAL and p.raw_value == "49"
    assert "(49) không hợp lý" in p.reason and "24 đảng viên" in p.reason
    assert "tối đa 48" in p.reason and p.reason.endswith("danh sách đảng viên")
    assert ns.records[0].total_members is None
    ok = run(SourceKind.BRANCH_STATS, [form_a(**{TOTAL: "48"})])
    assert ok.problems == () and ok.records[0].total_members == 48


def test_small_branch_bound_is_the_roster_plus_twenty():
    base = {"Tên Chi Bộ ": "THCS Lê Lợi", EXEMPT: "0", PARTICIPANTS_NFD: ""}
    base |= {k: "" for k in form_a() if k.startswith("Số đảng viên") and k != EXEMPT}
    ok = run(SourceKind.BRANCH_STATS, [form_a(**base, **{TOTAL: "22"})])  # 2 + 20
    assert ok.problems == () and ok.records[0].total_members == 22
    bad = run(SourceKind.BRANCH_STATS, [form_a(**base, **{TOTAL: "23"})])
    (p,) = bad.problems
    assert p.field == TOTAL and "tối đa 22" in p.reason


def test_exempt_is_checked_against_the_roster_when_the_total_is_rejected():
    row = form_a(**{TOTAL: "5000", EXEMPT: "30"})
    reasons = problems_by_field(run(SourceKind.BRANCH_STATS, [row]))
    assert "tối đa 48" in reasons[TOTAL]
    assert reasons[EXEMPT] == (
        "Số đảng viên được miễn sinh hoạt (30) lớn hơn số đảng viên của chi bộ theo danh "
        "sách (24); không được tính"
    )


def test_other_digit_in_a_count_is_a_problem_of_that_cell_only():
    ns = run(SourceKind.BRANCH_STATS, [form_a(**{HANDBOOK: "١٥"})])
    (p,) = ns.problems
    assert p.field == HANDBOOK and p.raw_value == "١٥" and OTHER_DIGITS in p.reason
    assert ns.records[0].counts["handbook"] is None
    assert ns.records[0].counts["proficient"] == 18


# ---------------------------------------------------------------------------------------
# Invisible characters and space variants
# ---------------------------------------------------------------------------------------

INVISIBLE = [
    "\u200d",  # zero-width joiner
    "\u200c",  # zero-width non-joiner
    "\u2060",  # word joiner
    "\u00ad",  # soft hyphen
    "\u202e",  # right-to-left override
    "\u202a",  # left-to-right embedding
    "\u2066",  # left-to-right isolate
    "\u200f",  # right-to-left mark
    "\u200b",  # zero-width space
    "\ufeff",  # BOM
    "\u180e",  # Mongolian vowel separator
    "\ufe0f",  # variation selector
]
SPACES = ["\u3000", "\u00a0", "\u2002", "\u2009", "\u202f", "\u205f", "\u1680"]


@pytest.mark.parametrize("ch", INVISIBLE)
def test_invisible_characters_anywhere_in_a_name_still_match_the_roster(ch: str):
    index = RosterIndex(ROSTER)
    for typed in (
        f"Nguyễn{ch} Văn An",
        f"Ngu{ch}yễn Văn An",  # inside a word
        f"{ch}Nguyễn Văn An{ch}",
        f"Nguy{ch}{ch}ễn Văn A{ch}n",
    ):
        m = index.match_member(typed, date(1980, 1, 2))
        assert m.ok and m.code == "DV1", typed
    assert index.match_branch(f"Khu{ch} phố 3").code == "CB03"


@pytest.mark.parametrize("ch", SPACES)
def test_every_space_variant_is_a_plain_space(ch: str):
    index = RosterIndex(ROSTER)
    assert index.match_member(f"Nguyễn{ch}Văn{ch}An", date(1980, 1, 2)).code == "DV1"
    assert clean_spaces(f"{ch}Trực{ch}{ch}tiếp{ch}") == "Trực tiếp"


def test_choices_and_titles_ignore_invisible_characters_keeping_diacritics():
    choices = ["Trực tiếp", "Trực tuyến", "Kết hợp trực tiếp và trực tuyến"]
    assert match_choice("Tr\u00adực tiếp\u200d", choices) == "Trực tiếp"
    assert match_choice("\u202eTrực\u3000tuyến\u202c", choices) == "Trực tuyến"
    # a joiner between a letter and its (NFD) combining marks does not block composing
    decomposed = unicodedata.normalize("NFD", "Tên chi bộ")
    with_joiner = decomposed.replace("e\u0302", "e\u200d\u0302")
    assert with_joiner != decomposed
    assert normalize_title(with_joiner) == normalize_title("Tên chi bộ") == "tên chi bộ"
    assert normalize_title("Ngày sinh\u200d") != normalize_title("Ngày sính")


def test_a_cell_of_only_invisible_characters_is_blank():
    assert is_blank("\u200d\u2060\u00ad")
    assert is_blank("\u3000\u00a0")
    assert not is_blank("\u200dA")
    ns = run(SourceKind.BRANCH_STATS, [form_a(**{HANDBOOK: "\u200d\u2060"})])
    assert ns.problems == () and ns.records[0].counts["handbook"] is None


def test_every_format_character_of_this_python_is_dropped_and_every_space_is_plain():
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        cat = unicodedata.category(ch)
        if cat == "Cf":
            assert is_invisible(ch), f"U+{cp:04X}"
            assert clean_spaces(f"a{ch}b") == "ab", f"U+{cp:04X}"
        elif cat == "Zs":
            assert clean_spaces(f"a{ch}b") == "a b", f"U+{cp:04X}"
    # letters, digits and Vietnamese marks are never invisible
    for ch in "aZ09đĐ\u0300\u0301\u0303\u0309\u0323ư":
        assert not is_invisible(ch)


def test_count_with_invisible_characters_reads_as_the_digits():
    assert parse_int("1\u200d2") == 12
    assert parse_int("\u202e12\u202c") == 12
    assert parse_score("7\u00ad,5", 10.0, NA) == 7.5


# ---------------------------------------------------------------------------------------
# "Lỗi dữ liệu": the raw value with its invisible characters made visible
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("Nguyễn\u200d Văn A", "Nguyễn⟨U+200D⟩ Văn A"),
        ("Nguyễn\u3000Văn A", "Nguyễn⟨U+3000⟩Văn A"),
        ("Nguyễn\u00a0Văn A", "Nguyễn⟨U+00A0⟩Văn A"),
        ("\u202eA\u202c", "⟨U+202E⟩A⟨U+202C⟩"),
        ("Nguy\u00adễn", "Nguy⟨U+00AD⟩ễn"),
        ("x\U000e0041", "x⟨U+E0041⟩"),  # tag characters: five hex digits
        ("a\x07b", "a⟨U+0007⟩b"),  # a control character
        ("Nguyễn Văn A", "Nguyễn Văn A"),  # ordinary text, ordinary spaces
        ("dòng 1\ndòng 2\tcột", "dòng 1\ndòng 2\tcột"),  # line breaks and tabs stay
        ("=1+1", "=1+1"),
        ("", ""),
    ],
)
def test_visible_shows_invisible_characters_and_unusual_spaces(raw: str, shown: str):
    assert visible(raw) == shown
    assert visible(shown) == shown  # idempotent: a re-read problem does not change


def test_visible_keeps_decomposed_text_as_typed():
    nfd = unicodedata.normalize("NFD", "Nguyễn Văn A")
    assert visible(nfd) == nfd


def test_data_problem_raw_value_is_shown_visible():
    p = DataProblem("Nguồn", "Dòng 2", "Họ và tên", "Nguyễn\u200d Văn Z", "lý do")
    assert p.raw_value == "Nguyễn⟨U+200D⟩ Văn Z"
    assert DataProblem("Nguồn", "Dòng 2", "Họ và tên", p.raw_value, "lý do") == p


def test_unknown_name_with_a_joiner_is_shown_with_the_joiner_in_the_problem():
    row = form_b(**{"Họ và tên": "Nguyễn Văn\u200d Bình"})  # not on the roster
    ns = run(SourceKind.REGISTRATION, [row])
    (p,) = ns.problems
    assert p.field == "Họ và tên" and p.raw_value == "Nguyễn Văn⟨U+200D⟩ Bình"
    # the same name of a roster member with joiners is found: no problem at all
    found = run(SourceKind.REGISTRATION, [form_b(**{"Họ và tên": "Nguy\u200dễn Văn\u2060 An"})])
    assert found.problems == () and found.records[0].member_code == "DV1"


def test_fold_of_a_name_with_invisible_characters_equals_the_plain_name():
    assert fold("Ngu\u200dyễn\u00a0Văn\u3000An\u202e") == "nguyen van an"


def test_raw_response_with_other_digit_birth_date_rejects_with_the_reason():
    raw = RawResponse(
        "src_registration",
        "row:2",
        "Dòng 2",
        form_b(**{"Ngày sinh": "٠٢/٠١/١٩٨٠"}),
    )
    ns = run(SourceKind.REGISTRATION, [raw])
    (p,) = ns.problems
    assert p.field == "Ngày sinh" and OTHER_DIGITS in p.reason and ns.records == ()
