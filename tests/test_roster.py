import pytest

from sync.errors import ConfigError
from sync.roster import load_roster

BRANCHES = (
    "Mã chi bộ,Tên chi bộ,Tên gọi khác,Bí thư,Email bí thư,Ủy viên phụ trách,"
    "Email ủy viên phụ trách\n"
    "CB01,Chi bộ Khu phố 1,KP1;CB KP1,Nguyễn Văn A,a@x.vn,Trần B,b@x.vn\n"
    "CB02,Chi bộ Khu phố 2,,Lê C,,Trần B,b@x.vn\n"
)
MEMBERS = (
    "Mã đảng viên,Họ và tên,Ngày sinh,Mã chi bộ,Miễn sinh hoạt\n"
    "DV1,Phạm Thị D,05/06/1980,CB01,Không\n"
    "DV2,Hoàng E,1950-01-02,CB02,Có\n"
)


def _write(tmp_path, branches: str, members: str):
    b, m = tmp_path / "b.csv", tmp_path / "m.csv"
    b.write_text(branches, encoding="utf-8")
    m.write_text(members, encoding="utf-8")
    return b, m


def test_loads_branches_members_aliases_and_exemption(tmp_path):
    roster = load_roster(*_write(tmp_path, BRANCHES, MEMBERS))
    assert [b.code for b in roster.branches] == ["CB01", "CB02"]
    assert roster.branch("CB01").aliases == ("KP1", "CB KP1")
    assert roster.branch("CB02").secretary_email == ""
    d, e = roster.members
    assert (d.birth_date.day, d.birth_date.month, d.exempt) == (5, 6, False)
    assert e.exempt is True


def test_every_problem_is_reported_at_once_with_file_and_line(tmp_path):
    branches = BRANCHES + "CB01,Chi bộ trùng mã,,,,,\nCB03,chi bo khu pho 1,,,sai-email,,\n"
    members = MEMBERS + "DV1,X,01/01/1970,CB01,Không\nDV3,Y,31/02/1970,CB09,Hay\n"
    with pytest.raises(ConfigError) as e:
        load_roster(*_write(tmp_path, branches, members))
    text = "\n".join(e.value.problems)
    assert "b.csv: dòng 4: mã chi bộ 'CB01' trùng với dòng 2" in text
    assert "dòng 5: tên 'chi bo khu pho 1' trùng" in text
    assert "'sai-email' không hợp lệ" in text
    assert "m.csv: dòng 4: mã đảng viên 'DV1' trùng" in text
    assert "ngày sinh '31/02/1970' không đọc được" in text
    assert "mã chi bộ 'CB09' không có" in text
    assert "'Miễn sinh hoạt' phải là 'Có' hoặc 'Không'" in text


def test_missing_required_column_is_named(tmp_path):
    with pytest.raises(ConfigError, match="thiếu cột 'Ngày sinh'"):
        load_roster(*_write(tmp_path, BRANCHES, "Mã đảng viên,Họ và tên,Mã chi bộ\n"))
