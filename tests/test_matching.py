"""sync/matching.py: branch names and members as respondents type them."""

from __future__ import annotations

from datetime import date

import pytest

from sync.matching import RosterIndex
from sync.model import Branch, Member, Roster

ROSTER = Roster(
    branches=(
        Branch("CB01", "Chi bộ Văn phòng Đảng ủy", ("VP Đảng ủy",)),
        Branch("CB03", "Chi bộ Khu phố 3", ("KP3", "CB KP3")),
        Branch("CB04", "Chi bộ Khu phố 4", ("KP4",)),
        Branch("CB05", "Chi bộ Trường THCS Lê Lợi", ("THCS Lê Lợi", "Lê Lợi")),
        Branch("CB06", "Chi bộ Trường Tiểu học Lê Lợi", ("Lê Lợi",)),  # alias clash
    ),
    members=(
        Member("DV1", "Nguyễn Văn An", date(1980, 1, 2), "CB03"),
        Member("DV2", "Nguyễn Văn Hùng", date(1975, 3, 12), "CB03"),  # twins: same name
        Member("DV3", "Nguyễn Văn Hùng", date(1975, 3, 12), "CB04"),  # and birth date
        Member("DV4", "Trần Thị Lan", date(1980, 8, 5), "CB04"),  # namesakes: same name,
        Member("DV5", "Trần Thị Lan", date(1986, 11, 21), "CB04"),  # other birth dates
    ),
)


@pytest.fixture(scope="module")
def index() -> RosterIndex:
    return RosterIndex(ROSTER)


@pytest.mark.parametrize(
    "text",
    [
        "Chi bộ Khu phố 3",
        "chi bộ khu phố 3",
        "  Chi  bộ Khu phố 3 ",
        "Khu phố 3",  # without "Chi bộ"
        "khu pho 3",  # no diacritics, no "Chi bộ"
        "CHI BO KHU PHO 3",
        "KP3",  # alias
        "CB KP3",  # only through the alias
    ],
)
def test_branch_variants(index: RosterIndex, text: str):
    m = index.match_branch(text)
    assert m.ok and m.code == "CB03" and m.status == "found"


def test_branch_unknown_blank_and_ambiguous(index: RosterIndex):
    unknown = index.match_branch("Chi bộ Tổ dân phố 7")
    assert unknown.status == "unknown" and not unknown.ok
    assert "Không tìm thấy chi bộ" in unknown.reason and "Tên gọi khác" in unknown.reason
    assert index.match_branch("   ").status == "unknown"
    assert index.match_branch(None).reason == "Chưa nhập tên chi bộ"
    clash = index.match_branch("Lê Lợi")
    assert clash.status == "ambiguous" and "CB05" in clash.reason and "CB06" in clash.reason
    # "CB KP" without the number is not a fuzzy match for anything
    assert index.match_branch("CB KP").status == "unknown"


def test_exact_tier_wins_before_folding(index: RosterIndex):
    # the exact name decides even though a looser tier would also find it
    assert index.match_branch("Chi bộ Văn phòng Đảng ủy").code == "CB01"
    assert index.match_branch("van phong dang uy").code == "CB01"


@pytest.mark.parametrize(
    "name", ["Nguyễn Văn An", "nguyen van an", "NGUYỄN  VĂN AN", " Nguyễn Văn An"]
)
def test_member_by_folded_name_and_birth_date(index: RosterIndex, name: str):
    m = index.match_member(name, date(1980, 1, 2), None)
    assert m.ok and m.code == "DV1"


def test_member_twins_are_told_apart_by_the_branch(index: RosterIndex):
    assert index.match_member("Nguyễn Văn Hùng", date(1975, 3, 12), "CB04").code == "DV3"
    assert index.match_member("Nguyễn Văn Hùng", date(1975, 3, 12), "CB03").code == "DV2"
    none = index.match_member("Nguyễn Văn Hùng", date(1975, 3, 12), None)
    assert none.status == "ambiguous" and "CB03, CB04" in none.reason
    other = index.match_member("Nguyễn Văn Hùng", date(1975, 3, 12), "CB01")
    assert other.status == "ambiguous" and "CB01" in other.reason


def test_member_namesakes_are_told_apart_by_birth_date(index: RosterIndex):
    assert index.match_member("Trần Thị Lan", date(1980, 8, 5), "CB04").code == "DV4"
    assert index.match_member("tran thi lan", date(1986, 11, 21), None).code == "DV5"


def test_member_unknown_says_when_the_name_exists_with_another_birth_date(index: RosterIndex):
    wrong_birth = index.match_member("Trần Thị Lan", date(1980, 5, 8), "CB04")
    assert wrong_birth.status == "unknown" and not wrong_birth.ok
    assert "Không tìm thấy đảng viên có họ tên và ngày sinh này" in wrong_birth.reason
    assert "2 đảng viên trùng họ tên nhưng khác ngày sinh" in wrong_birth.reason
    # the roster's birth dates never leak into a reason people read
    assert "1980" not in wrong_birth.reason and "1986" not in wrong_birth.reason
    stranger = index.match_member("Lê Văn Khách", date(1990, 1, 1), None)
    assert stranger.reason == (
        "Không tìm thấy đảng viên có họ tên và ngày sinh này trong danh sách"
    )


def test_member_without_name_or_birth_date(index: RosterIndex):
    assert index.match_member("", date(1980, 1, 2)).status == "unknown"
    no_birth = index.match_member("Nguyễn Văn An", None)
    assert no_birth.status == "unknown" and "ngày sinh" in no_birth.reason
