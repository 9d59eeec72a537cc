"""The normalised cache's encoding: every record of the sample ward (all four forms, every
messy shape) and its data problems come back equal to what the normaliser produced."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from sync.backend import load_inputs
from sync.codec import decode, encode, vocabulary
from sync.config import load_config
from sync.normalize import SourceNormalizer
from sync.sources.files import FileSource

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime.fromisoformat("2026-11-23T08:00:00+07:00")


@pytest.mark.parametrize(
    "source_id", ["thong_ke", "bieu_mau_01", "bieu_mau_02", "binh_dan_hoc_vu_so"]
)
def test_every_sample_record_round_trips(source_id: str):
    cfg = load_config(ROOT / "config" / "example.yaml")
    inputs = load_inputs(cfg)
    s = next(x for x in cfg.sources if x.id == source_id)
    assert s.file is not None
    raws = FileSource(s.id, s.file, s.sheet).fetch(None, NOW).responses
    n = SourceNormalizer(
        s, inputs.mappings[s.id], inputs.rubric, inputs.roster, year=2026, tz=cfg.tz
    )
    n.bind("title", list(dict.fromkeys(k for r in raws for k in r.answers)))
    vocab = vocabulary(inputs.rubric, inputs.mappings[s.id])
    records = problems = 0
    for raw in raws:
        record, found = n.row(raw)
        back, back_found = decode(encode(record, found, vocab), s.id, vocab)
        assert back == record and back_found == found, raw.row_label
        assert type(back) is type(record)
        if record is not None:
            assert back.submitted_at.utcoffset() == record.submitted_at.utcoffset()
            records += 1
        problems += len(found)
    assert records > 0
    if source_id == "bieu_mau_01":
        assert problems > 0  # the sample's invalid rows are covered too


def test_texts_of_the_vocabulary_are_shared_not_copied():
    cfg = load_config(ROOT / "config" / "example.yaml")
    inputs = load_inputs(cfg)
    vocab = vocabulary(inputs.rubric, inputs.mappings["bieu_mau_01"])
    item = inputs.rubric.registration[0].items[0]
    assert vocab.text(vocab.ref(item)) is vocab.texts[vocab.index[item]]
    assert vocab.ref("không có trong danh mục") == "không có trong danh mục"
