"""One rule for a mapping the rubric cannot back (sync.mapping.rubric_gaps): `kns check`
reports it as an error naming the mapping file, and the normaliser skips the field with a
"Lỗi dữ liệu" row of the same words."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.cli import main
from sync.config import SourceConfig
from sync.mapping import FormMapping, load_mapping, rubric_gaps
from sync.model import SourceKind
from sync.normalize import normalize_source
from tests.conftest import ROOT, RUBRIC, TZ, copy_sample_ward
from tests.test_normalize import ROSTER

SCORING = load_mapping(ROOT / "mappings" / "scoring.yaml")
REGISTRATION = load_mapping(ROOT / "mappings" / "registration.yaml")


def _renumbered(mapping: FormMapping, old: str, new: str) -> FormMapping:
    fields = [f.model_copy(update={"field": new}) if f.field == old else f for f in mapping.fields]
    return mapping.model_copy(update={"fields": fields})


def test_the_bundled_mappings_agree_with_the_bundled_rubric() -> None:
    for name in ("scoring", "registration", "branch_stats", "learning", "support_log"):
        assert rubric_gaps(load_mapping(ROOT / "mappings" / f"{name}.yaml"), RUBRIC) == []


def test_a_criterion_the_rubric_lacks_and_a_criterion_left_unmapped() -> None:
    mapping = _renumbered(SCORING, "criterion:3", "criterion:31")
    gaps = rubric_gaps(mapping, RUBRIC)
    assert [(g.field.field if g.field else None, g.reason) for g in gaps] == [
        (
            "criterion:31",
            "trường 'criterion:31' dùng tiêu chí 31 nhưng tệp tiêu chí năm 2026 không có "
            "tiêu chí này",
        ),
        (None, "chưa ánh xạ tiêu chí 3 của Biểu mẫu 02"),
    ]


def test_a_section_the_rubric_lacks_counts_only_without_its_own_choices() -> None:
    mapping = _renumbered(REGISTRATION, "section:s2", "section:s9")
    (gap,) = rubric_gaps(mapping, RUBRIC)
    assert gap.field is not None and gap.field.field == "section:s9"
    assert "mục đăng ký 's9'" in gap.reason and "'choices'" in gap.reason
    fields = [
        f.model_copy(update={"choices": ["Một việc"]}) if f.field == "section:s9" else f
        for f in mapping.fields
    ]
    assert rubric_gaps(mapping.model_copy(update={"fields": fields}), RUBRIC) == []


def test_the_normaliser_skips_the_field_with_the_same_words() -> None:
    mapping = _renumbered(SCORING, "criterion:3", "criterion:31")
    src = SourceConfig(
        id="bm02", kind=SourceKind.SCORING, mapping=Path("m.yaml"), file=Path("x.csv")
    )
    ns = normalize_source(src, mapping, RUBRIC, ROSTER, [], year=2026, tz=TZ)
    (p,) = [p for p in ns.problems if "tiêu chí 31" in p.reason]
    assert p.field == mapping.field_map("criterion:31").titles[0]  # type: ignore[union-attr]
    assert p.reason == (
        "Tệp ánh xạ: trường 'criterion:31' dùng tiêu chí 31 nhưng tệp tiêu chí năm 2026 không "
        "có tiêu chí này; dữ liệu của cột này không được dùng"
    )


def test_kns_check_reports_each_gap_as_an_error_naming_the_mapping(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy_sample_ward(tmp_path)
    mapping = tmp_path / "mappings" / "scoring.yaml"
    text = mapping.read_text(encoding="utf-8")
    mapping.write_text(text.replace('"criterion:3"', '"criterion:31"'), encoding="utf-8")
    config = tmp_path / "config" / "example.yaml"
    code = main(["check", "--config", str(config), "--now", "2026-11-23T08:00:00+07:00"])
    errors = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("[LỖI]")]
    assert code != 0
    assert errors == [
        f"[LỖI] {mapping.resolve()}: trường 'criterion:31' dùng tiêu chí 31 nhưng tệp tiêu chí "
        "năm 2026 không có tiêu chí này",
        f"[LỖI] {mapping.resolve()}: chưa ánh xạ tiêu chí 3 của Biểu mẫu 02",
    ]
