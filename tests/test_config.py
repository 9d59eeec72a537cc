from pathlib import Path

import pytest
import yaml

from scoring.rubric import load_rubric
from sync.config import load_config
from sync.errors import ConfigError
from sync.mapping import load_mapping
from tests.conftest import ROOT


def _example() -> dict:
    return yaml.safe_load((ROOT / "config/example.yaml").read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: dict, name: str = "ward.yaml") -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return p


def test_example_config_loads_with_absolute_paths():
    cfg = load_config(ROOT / "config/example.yaml")
    assert cfg.ward.year == 2026 and cfg.tz.key == "Asia/Ho_Chi_Minh"
    assert cfg.rubric == ROOT / "config/rubric-2026.yaml"
    assert all(s.mapping.is_absolute() for s in cfg.sources)


def test_errors_name_file_and_field_in_vietnamese(tmp_path):
    data = _example()
    data["ward"]["timezone"] = "Asia/Hanoi_Typo"
    data["alerts"]["overdue_every_days"] = 0
    data["milestones"][0]["done_when"] = "plan_written"
    data["mail"]["transport"] = "smtp"
    data["sources"][0]["colour"] = "đỏ"
    p = _write(tmp_path, data)
    with pytest.raises(ConfigError) as e:
        load_config(p)
    text = "\n".join(e.value.problems)
    assert f"{p}: trường 'ward.timezone': múi giờ không tồn tại" in text
    assert "'alerts.overdue_every_days': phải ≥ 1" in text
    assert "'milestones.0.done_when': giá trị không hợp lệ" in text
    assert "'sources.0.colour': trường không được hỗ trợ" in text
    assert "gửi thư kiểu 'smtp' cần nhóm 'smtp'" in text


def test_duplicate_ids(tmp_path):
    data = _example()
    data["milestones"].append(dict(data["milestones"][0]))
    with pytest.raises(ConfigError, match="mã trùng trong 'milestones': ke_hoach"):
        load_config(_write(tmp_path, data))


def test_bad_send_window(tmp_path):
    data = _example()
    data["alerts"]["window"] = {"start": "17:00", "end": "07:30"}
    with pytest.raises(ConfigError, match="giờ kết thúc phải sau giờ bắt đầu"):
        load_config(_write(tmp_path, data))
    data["alerts"]["window"] = {"weekdays": [0, 7]}
    with pytest.raises(ConfigError, match=r"từ 0 \(thứ Hai\) đến 6 \(Chủ nhật\): \[7\]"):
        load_config(_write(tmp_path, data))


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="không tìm thấy tệp cấu hình"):
        load_config(tmp_path / "none.yaml")
    p = tmp_path / "bad.yaml"
    p.write_text("ward: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="lỗi cú pháp YAML"):
        load_config(p)


def test_rubric_coherence_errors(tmp_path):
    data = yaml.safe_load((ROOT / "config/rubric-2026.yaml").read_text(encoding="utf-8"))
    data["criteria"][0]["max"] = 12  # group I no longer sums to 25
    data["registration"][1]["at_least"] = 9  # more than the 6 items
    data["targets"][1]["branch_field"] = "khong_co"
    p = _write(tmp_path, data, "rubric.yaml")
    with pytest.raises(ConfigError) as e:
        load_rubric(p)
    text = "\n".join(e.value.problems)
    assert str(p) in text
    assert "'registration.1': 'at_least' = 9 lớn hơn số nội dung (6)" in text
    # a single-part target's keys are read as its part: the error names the target
    assert "'targets.1': branch_field 'khong_co' không có" in text.replace(".parts.0", "")
    data = yaml.safe_load((ROOT / "config/rubric-2026.yaml").read_text(encoding="utf-8"))
    data["criteria"][0]["max"] = 12
    with pytest.raises(ConfigError, match="nhóm I: tổng điểm tối đa các tiêu chí là 27"):
        load_rubric(_write(tmp_path, data, "rubric2.yaml"))


def test_rubric_bands_from_data():
    r = load_rubric(ROOT / "config/rubric-2026.yaml")
    assert r.total_max == 100
    assert [r.band_for(x) for x in (100, 91, 90.5, 81, 80, 71, 70, 0)] == [
        "Xuất sắc",
        "Xuất sắc",
        "Khá",
        "Khá",
        "Đạt",
        "Đạt",
        "Chưa đạt",
        "Chưa đạt",
    ]


def test_mapping_vocabulary_is_checked(tmp_path):
    data = {
        "kind": "branch_stats",
        "title": "Thống kê",
        "fields": [
            {"field": "branch", "titles": ["Tên chi bộ"], "type": "choice"},
            {"field": "criterion:1", "titles": ["Tiêu chí 1"], "type": "score"},
        ],
    }
    with pytest.raises(ConfigError, match="trường 'criterion:1' không dùng được"):
        load_mapping(_write(tmp_path, data, "m.yaml"))
    data["fields"] = [{"field": "reporter_name", "titles": ["Người báo cáo"], "type": "text"}]
    with pytest.raises(ConfigError, match="thiếu khai báo trường bắt buộc: branch"):
        load_mapping(_write(tmp_path, data, "m2.yaml"))


def test_google_example_config_and_origins(tmp_path):
    cfg = load_config(ROOT / "config" / "google-example.yaml")
    assert cfg.uses_google and cfg.google is not None
    # the last: Form E, the teams' support log, read through the Forms API
    assert [s.origin for s in cfg.sources] == ["form", "form", "sheet", "file", "form"]
    assert cfg.google.credentials.is_absolute() and cfg.mail.daily_limit == 1800
    # Google keys without a 'google' section: the error says what is missing
    text = (ROOT / "config" / "google-example.yaml").read_text(encoding="utf-8")
    start, end = text.index("google:\n"), text.index("roster:\n")
    bad = tmp_path / "ward.yaml"
    bad.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(bad)
    assert "thiếu nhóm 'google'" in " ".join(e.value.problems)
    # a source needs exactly one origin
    two = text.replace('    form_id: "MA_BIEU_MAU_01"', '    form_id: "X"\n    file: a.csv')
    bad.write_text(two, encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(bad)
    assert "sources.1" in " ".join(e.value.problems)


def test_gmail_gets_a_daily_limit_unless_the_ward_sets_one(tmp_path):
    text = (ROOT / "config" / "google-example.yaml").read_text(encoding="utf-8")
    path = tmp_path / "ward.yaml"
    path.write_text(text.replace("  daily_limit: 1800", ""), encoding="utf-8")
    assert load_config(path).mail.daily_limit == 500
    assert load_config(ROOT / "config" / "google-example.yaml").mail.daily_limit == 1800
    assert load_config(ROOT / "config" / "example.yaml").mail.daily_limit is None  # outbox


def test_report_form_link_must_be_a_web_address(tmp_path):
    data = _example()
    data["report"]["form_link"] = "docs.google.com/forms/d/e/abc/viewform"
    p = _write(tmp_path, data)
    with pytest.raises(ConfigError) as e:
        load_config(p)
    text = "\n".join(e.value.problems)
    assert str(p) in text and "report.form_link" in text
    assert "đường dẫn biểu mẫu phải bắt đầu bằng https://" in text


def test_report_path_is_resolved_next_to_the_config():
    cfg = load_config(ROOT / "config/example.yaml")
    assert cfg.report.path == (ROOT / "out" / "bao-cao-tong-ket-2026.docx").resolve()
    assert cfg.report.form_link.startswith("https://docs.google.com/forms/")
