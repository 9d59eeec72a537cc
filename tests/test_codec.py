"""The normalised cache's encoding: what folding every record of the sample ward needs (all
four forms, every messy shape) and its data problems come back equal."""

from __future__ import annotations

from datetime import datetime

import pytest

from sync.backend import load_inputs
from sync.codec import decode, encode, vocabulary
from sync.config import load_config
from sync.evaluation import summarize
from sync.model import BranchReport
from sync.normalize import SourceNormalizer
from sync.sources.files import FileSource
from tests.conftest import ROOT

NOW = datetime.fromisoformat("2026-11-23T08:00:00+07:00")
SOURCES = [
    "thong_ke",
    "bieu_mau_01",
    "bieu_mau_02",
    "binh_dan_hoc_vu_so",
    "binh_dan_hoc_vu_so_don_vi",  # staff who are not members: summaries with a staff code
]


@pytest.mark.parametrize("source_id", SOURCES)
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
    summaries = problems = 0
    for raw in raws:
        record, found = n.row(raw)
        summary = summarize(record, inputs.rubric) if record is not None else None
        back, back_found = decode(encode(summary, found, vocab), s.id, vocab)
        assert back == summary and back_found == found, raw.row_label
        if isinstance(record, BranchReport):
            assert back.submitted_at.utcoffset() == record.submitted_at.utcoffset()
        summaries += summary is not None
        problems += len(found)
    assert summaries > 0
    if source_id == "bieu_mau_01":
        assert problems > 0  # the sample's invalid rows are covered too


def test_texts_of_the_vocabulary_are_shared_not_copied():
    cfg = load_config(ROOT / "config" / "example.yaml")
    inputs = load_inputs(cfg)
    vocab = vocabulary(inputs.rubric, inputs.mappings["thong_ke"])
    choice = inputs.mappings["thong_ke"].field_map("contents").choices[0]
    assert vocab.text(vocab.ref(choice)) is vocab.texts[vocab.index[choice]]
    assert vocab.ref("không có trong danh mục") == "không có trong danh mục"
