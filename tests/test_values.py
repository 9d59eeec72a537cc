"""sync/values.py: the parsers for every kind of answer real exports carry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from sync.model import NOT_APPLICABLE
from sync.values import (
    BadValue,
    check_birth_date,
    check_campaign_date,
    clean_text,
    format_date,
    is_blank,
    match_choice,
    parse_date,
    parse_int,
    parse_number,
    parse_score,
    parse_timestamp,
    split_checkboxes,
    vietnamese_number,
)
from tests.conftest import TZ

NA = ["Không áp dụng (tính điểm tối đa)"]

# -- timestamps ------------------------------------------------------------------------


def test_vi_timestamp_is_day_first_local_time():
    t = parse_timestamp("22/11/2026 10:15:30", "vi", TZ)
    assert t == datetime(2026, 11, 22, 10, 15, 30, tzinfo=TZ)
    assert t.utcoffset() == timedelta(hours=7)


def test_en_timestamp_is_month_first_local_time():
    assert parse_timestamp("11/22/2026 10:15:30", "en", TZ) == datetime(
        2026, 11, 22, 10, 15, 30, tzinfo=TZ
    )


def test_same_text_05_06_2026_depends_on_the_locale():
    vi = parse_timestamp("05/06/2026 09:00:00", "vi", TZ)
    en = parse_timestamp("05/06/2026 09:00:00", "en", TZ)
    assert (vi.month, vi.day) == (6, 5)  # 5 June
    assert (en.month, en.day) == (5, 6)  # May 6
    assert parse_date("05/06/2026", "vi") == date(2026, 6, 5)
    assert parse_date("05/06/2026", "en") == date(2026, 5, 6)


def test_en_timestamp_with_am_pm():
    assert parse_timestamp("11/22/2026 3:05:09 PM", "en", TZ).hour == 15
    assert parse_timestamp("11/22/2026 12:00:00 AM", "en", TZ).hour == 0
    assert parse_timestamp("11/22/2026 12:30:00 PM", "en", TZ).hour == 12


def test_iso_timestamps_and_offsets_become_local():
    assert parse_timestamp("2026-11-22 10:15:30", "en", TZ) == datetime(
        2026, 11, 22, 10, 15, 30, tzinfo=TZ
    )
    utc = parse_timestamp("2026-11-22T03:15:30Z", "vi", TZ)
    assert utc == datetime(2026, 11, 22, 10, 15, 30, tzinfo=TZ)
    assert utc.tzinfo == TZ
    other = datetime(2026, 11, 22, 3, 15, 30, tzinfo=UTC).isoformat()
    assert parse_timestamp(other, "vi", TZ).hour == 10


@pytest.mark.parametrize(
    "text", ["hôm qua", "22/11/2026", "31/02/2026 10:00:00", "13/22/2026 1:00:00"]
)
def test_unreadable_timestamps_are_rejected_with_a_vietnamese_reason(text: str):
    with pytest.raises(BadValue) as e:
        parse_timestamp(text, "en" if text.startswith("13") else "vi", TZ)
    assert "thời gian" in e.value.reason


# -- dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, locale",
    [
        ("22/11/2026", "vi"),
        ("22-11-2026", "vi"),
        ("22.11.2026", "vi"),
        ("11/22/2026", "en"),
        ("2026-11-22", "vi"),  # Forms API and XLSX cells: ISO whatever the locale
        ("2026-11-22", "en"),
        ("2026-11-22 00:00:00", "vi"),
        (" 22/11/2026 ", "vi"),
    ],
)
def test_dates(text: str, locale):
    assert parse_date(text, locale) == date(2026, 11, 22)


@pytest.mark.parametrize("text", ["22/13/2026", "31/04/2026", "tháng 5", "2026", "22/11/26"])
def test_bad_dates(text: str):
    with pytest.raises(BadValue) as e:
        parse_date(text, "vi")
    assert "ngày" in e.value.reason.lower()


def test_en_date_in_day_first_order_is_rejected_not_guessed():
    with pytest.raises(BadValue) as e:
        parse_date("22/11/2026", "en")
    assert "tháng/ngày/năm" in e.value.reason


def test_campaign_and_birth_date_plausibility():
    check_campaign_date(date(2026, 5, 4), 2026)
    with pytest.raises(BadValue) as e:
        check_campaign_date(date(2025, 5, 4), 2026)
    assert "04/05/2025" in e.value.reason and "2026" in e.value.reason
    check_birth_date(date(1975, 3, 12), 2026)
    check_birth_date(date(2010, 12, 31), 2026)  # 16 in the ward's year
    for bad in (date(2011, 1, 1), date(2030, 1, 1), date(1899, 12, 31)):
        with pytest.raises(BadValue):
            check_birth_date(bad, 2026)


def test_format_date():
    assert format_date(date(2026, 5, 4)) == "04/05/2026"


# -- integers and numbers ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value",
    [
        ("12", 12),
        (" 12 ", 12),
        ("12,0", 12),
        ("12.0", 12),
        ("0", 0),
        ("mười", 10),
        ("muoi lam", 15),
    ],
)
def test_counts(text: str, value: int):
    assert parse_int(text) == value


@pytest.mark.parametrize(
    "text, words",
    [("12,5", "nguyên"), ("-3", "âm"), ("khoảng 20", "không đọc được"), ("1.000", "nguyên")],
)
def test_bad_counts(text: str, words: str):
    with pytest.raises(BadValue) as e:
        parse_int(text)
    assert words in e.value.reason.lower()


@pytest.mark.parametrize(
    "text, value",
    [
        ("không", 0),
        ("một", 1),
        ("bốn", 4),
        ("năm", 5),
        ("bảy", 7),
        ("mười", 10),
        ("mười một", 11),
        ("mười lăm", 15),
        ("mười bốn", 14),
        ("hai mươi", 20),
        ("hai mươi mốt", 21),
        ("hai mươi tư", 24),
        ("ba mươi lăm", 35),
        ("chín mươi chín", 99),
        ("hai mốt", 21),  # spoken short form
        ("MƯỜI", 10),
        ("muoi", 10),  # typed without diacritics
        ("hai muoi moi", None),
        ("lăm", None),
        ("mười không", None),
        ("hai ba", None),  # too loose to trust
        ("một trăm", None),
        ("khá", None),
        ("", None),
    ],
)
def test_vietnamese_number_words(text: str, value: int | None):
    assert vietnamese_number(text) == value


@pytest.mark.parametrize(
    "text, value", [("7,5", 7.5), ("7.5", 7.5), (" 10 ", 10.0), ("0,25", 0.25)]
)
def test_numbers_with_decimal_comma_or_dot(text: str, value: float):
    assert parse_number(text) == value


def test_bad_number():
    with pytest.raises(BadValue):
        parse_number("bảy rưỡi điểm")


# -- scores ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, maximum, value",
    [
        ("7,5", 10, 7.5),  # decimal comma (older paper copy)
        (" 10 ", 10, 10.0),
        ("15/15", 15, 15.0),
        ("12/15", 15, 12.0),
        ("mười", 10, 10.0),
        ("0", 5, 0.0),
        ("5", 5, 5.0),
        ("8 điểm", 10, 8.0),
        ("Không áp dụng (tính điểm tối đa)", 10, NOT_APPLICABLE),
        ("không áp dụng (tính điểm tối đa)", 10, NOT_APPLICABLE),
        ("Khong ap dung (tinh diem toi da)", 10, NOT_APPLICABLE),
        ("Không áp dụng", 10, NOT_APPLICABLE),
    ],
)
def test_scores(text: str, maximum: float, value):
    assert parse_score(text, maximum, NA) == value


@pytest.mark.parametrize(
    "text, maximum, words",
    [
        ("12", 10, "lớn hơn điểm tối đa"),
        ("10,5", 10, "lớn hơn điểm tối đa"),
        ("-1", 10, "âm"),
        ("khá", 10, "không đọc được điểm"),
        ("10/15", 10, "mẫu số"),
        ("mười lăm", 10, "lớn hơn"),
    ],
)
def test_bad_scores(text: str, maximum: float, words: str):
    with pytest.raises(BadValue) as e:
        parse_score(text, maximum, NA)
    assert words in e.value.reason.lower()


# -- choices and checkboxes -------------------------------------------------------------

S2 = [
    "Sử dụng thành thạo hệ thống quản lý văn bản",
    "Sử dụng email, nền tảng số trong trao đổi công việc",
    "Tra cứu, khai thác thông tin chính thống",
    'Truy cập, sử dụng thành thạo ứng dụng "Sổ tay đảng viên điện tử"',
    "Thực hiện dịch vụ công trực tuyến",
    "Ứng dụng công cụ AI trong công việc (soạn thảo, báo cáo, tổng hợp...)",
]


def test_checkbox_cell_is_matched_against_choices_never_split_on_commas():
    cell = ", ".join([S2[5], S2[1], S2[2]])  # Google joins with ", "; choices hold commas
    got = split_checkboxes(cell, S2)
    assert got.chosen == (S2[1], S2[2], S2[5])  # form order
    assert got.unknown == ()


def test_checkbox_other_answer_with_commas_is_reported_not_counted():
    other = "Hướng dẫn người dân cài VNeID, dịch vụ công"
    got = split_checkboxes(f"{S2[0]}, {S2[3]}, {other}", S2)
    assert got.chosen == (S2[0], S2[3])
    assert got.unknown == (other,)


def test_checkbox_unknown_text_in_the_middle_and_renamed_choice():
    got = split_checkboxes(f"{S2[0]}, Dùng Zalo, nhóm chat, {S2[4]}", S2)
    assert got.chosen == (S2[0], S2[4])
    assert got.unknown == ("Dùng Zalo, nhóm chat",)
    renamed = split_checkboxes("Sử dụng hệ thống quản lý văn bản", S2)
    assert renamed.chosen == () and renamed.unknown == ("Sử dụng hệ thống quản lý văn bản",)
    aliased = split_checkboxes(
        "Sử dụng hệ thống quản lý văn bản", S2, {"Sử dụng hệ thống quản lý văn bản": S2[0]}
    )
    assert aliased.chosen == (S2[0],) and aliased.unknown == ()


def test_checkbox_longest_choice_wins_over_its_prefix():
    choices = ["Sử dụng email", "Sử dụng email, nền tảng số"]
    assert split_checkboxes("Sử dụng email, nền tảng số", choices).chosen == (choices[1],)
    both = split_checkboxes("Sử dụng email, Sử dụng email, nền tảng số", choices)
    assert both.chosen == tuple(choices) and both.unknown == ()


def test_checkbox_tolerates_case_spacing_nfd_and_curly_quotes():
    import unicodedata

    cell = "  " + unicodedata.normalize("NFD", S2[3].upper()).replace('"', "\u201c", 1) + " "
    assert split_checkboxes(cell, S2).chosen == (S2[3],)


def test_checkbox_api_list_is_matched_element_by_element():
    got = split_checkboxes([S2[5], "Khác: tự học qua YouTube", ""], S2)
    assert got.chosen == (S2[5],)
    assert got.unknown == ("Khác: tự học qua YouTube",)


def test_match_choice():
    choices = ["Trực tiếp", "Trực tuyến", "Kết hợp trực tiếp và trực tuyến"]
    assert match_choice(" trực TUYẾN ", choices) == "Trực tuyến"
    assert match_choice("ket hop truc tiep va truc tuyen", choices) == choices[2]
    assert match_choice("Kết hợp", choices, {"Kết hợp": choices[2]}) == choices[2]
    assert match_choice("Qua Zalo", choices) is None
    # folded fallback only when it is unambiguous
    assert match_choice("A", ["Á", "À"]) is None
    assert match_choice("Cấp uỷ chấm", ["Đảng viên tự chấm", "Cấp ủy chấm"]) == "Cấp ủy chấm"


def test_text_kept_verbatim_and_blank_is_none():
    assert clean_text('=IMPORTXML("http://x","//a")') == '=IMPORTXML("http://x","//a")'
    assert clean_text("  + Nhiều   đảng viên ") == "+ Nhiều đảng viên"
    assert clean_text("   ") is None and clean_text(None) is None
    assert is_blank(" \u200b ") and not is_blank("0")
