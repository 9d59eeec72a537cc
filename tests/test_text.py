"""sync/text.py: the two strengths of comparison every matcher relies on."""

from __future__ import annotations

import unicodedata

import pytest

from sync.text import clean_spaces, fold, normalize_title


def nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


def test_clean_spaces_nfc_bom_quotes_and_spaces():
    raw = "\ufeff  Tên  nhiệm\u00a0vụ \u201cChi bộ\u201d\u200b  "
    assert clean_spaces(raw) == 'Tên nhiệm vụ "Chi bộ"'
    assert clean_spaces(nfd("Số đảng viên")) == "Số đảng viên"
    assert unicodedata.is_normalized("NFC", clean_spaces(nfd("Rõ thời gian")))


@pytest.mark.parametrize(
    "variant",
    [
        "Tên chi bộ",
        "Tên Chi Bộ ",  # capitals + trailing space (the sample's form A header)
        "TÊN CHI BỘ",
        "  Tên   chi  bộ",
        "Tên chi bộ *",  # a required question's star
        "Tên chi bộ:",
        nfd("Tên chi bộ"),  # typed on another keyboard
    ],
)
def test_normalize_title_ignores_case_spaces_form_and_edge_punctuation(variant: str):
    assert normalize_title(variant) == normalize_title("Tên chi bộ")


def test_normalize_title_keeps_diacritics_and_closing_brackets():
    # diacritics carry meaning in titles: "Ngày sinh" is not "Ngày sính"
    assert normalize_title("Ngày sinh") != normalize_title("Ngày sính")
    assert normalize_title("Số đảng viên có bản đăng ký (Biểu mẫu 01)").endswith("(biểu mẫu 01)")
    assert normalize_title('Phần việc "Chi bộ tiên phong chuyển đổi số" (mục 3.4)').endswith(
        "(mục 3.4)"
    )
    assert normalize_title("Tiêu chí 1. Tham gia các lớp bồi dưỡng.").endswith("bồi dưỡng")
    assert normalize_title("Tự đánh giá cuối năm [Bảo mật thông tin]").endswith("]")


def test_normalize_title_straightens_quotes():
    assert normalize_title("Tên nhiệm vụ \u201cChi bộ\u201d") == normalize_title(
        'Tên nhiệm vụ "Chi bộ"'
    )


@pytest.mark.parametrize(
    "variant",
    ["Nguyễn Văn An", "nguyen van an", "NGUYỄN  VĂN AN", nfd("Nguyễn Văn An"), " Nguyen Van An "],
)
def test_fold_names(variant: str):
    assert fold(variant) == "nguyen van an"


def test_fold_maps_d_stroke_and_drops_punctuation():
    assert fold("Đặng Đình Đức") == "dang dinh duc"
    assert fold("Chi bộ Khối Mặt trận - Đoàn thể") == "chi bo khoi mat tran doan the"
    # two spellings of the same syllable ("uỷ" / "ủy") are one key
    assert fold("Cấp uỷ chấm") == fold("Cấp ủy chấm")
