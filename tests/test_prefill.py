"""Prefilled form links (sync.prefill): prefill keys, exact URLs for a branch and a member,
the form that settles each milestone, and no link without a form_url."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml
from pydantic import ValidationError

from sync.config import DoneWhen, WardConfig, load_config
from sync.errors import ConfigError
from sync.mapping import FieldMapping, FormMapping, load_mapping
from sync.model import Branch, Member, SourceKind, Team
from sync.prefill import (
    BRANCH_KINDS,
    MILESTONE_FORMS,
    FormLink,
    branch_links,
    entry_from_question_id,
    entry_key,
    member_links,
    milestone_link,
    prefilled_url,
    qr_cards,
    report_form_link,
    sources_without_branch_key,
    sources_without_form_url,
)
from tests.conftest import ROOT

FORM_A = "https://docs.google.com/forms/d/e/1FAIpQLSfFormA/viewform"
FORM_B = "https://docs.google.com/forms/d/e/1FAIpQLSfFormB/viewform"
FORM_C = "https://docs.google.com/forms/d/e/1FAIpQLSfFormC/viewform"
FORM_E = "https://docs.google.com/forms/d/e/1FAIpQLSfFormE/viewform"

# "Chi bộ Khu phố 3": ộ = U+1ED9 = E1 BB 99, ố = U+1ED1 = E1 BB 91 in UTF-8
KP3 = Branch("CB07", "Chi bộ Khu phố 3", aliases=("KP3",))
KP3_TEXT = "Chi%20b%E1%BB%99%20Khu%20ph%E1%BB%91%203"
# "Nguyễn Thị Hà": ễ = U+1EC5 = E1 BB 85, ị = U+1ECB = E1 BB 8B, à = U+00E0 = C3 A0
HA = Member("DV0107", "Nguyễn Thị Hà", date(1975, 3, 2), "CB07")
HA_TEXT = "Nguy%E1%BB%85n%20Th%E1%BB%8B%20H%C3%A0"


def _field(field: str, type_: str = "text", **extra: Any) -> dict[str, Any]:
    return {"field": field, "titles": [field], "type": type_, **extra}


MAPPINGS: dict[str, FormMapping] = {
    "thong_ke": FormMapping.model_validate(
        {
            "kind": "branch_stats",
            "title": "Thống kê",
            "fields": [_field("branch", entry="entry.1000001")],
        }
    ),
    # Biểu mẫu 01: a Google date question; the branch key derived from a Forms API id
    "bieu_mau_01": FormMapping.model_validate(
        {
            "kind": "registration",
            "title": "Biểu mẫu 01",
            "fields": [
                _field("name", entry="entry.2000001"),
                _field("birth_date", "date", entry=2000002),  # YAML's bare number
                _field("branch", question_id="1a2b3c4d"),
            ],
        }
    ),
    # Biểu mẫu 02: the birth date is a short-text question, the branch a dropdown
    "bieu_mau_02": FormMapping.model_validate(
        {
            "kind": "scoring",
            "title": "Biểu mẫu 02",
            "fields": [
                _field("name", entry="entry.3000001"),
                _field("birth_date", entry="3000002"),
                _field(
                    "branch",
                    "choice",
                    entry="entry.3000003",
                    choices=["Văn phòng", "Khu phố 3", "Khu phố 4"],
                ),
                _field("scorer", "choice", choices=["Đảng viên tự chấm", "Cấp ủy chấm"]),
            ],
        }
    ),
    "nhat_ky_ho_tro": FormMapping.model_validate(
        {
            "kind": "support_log",
            "title": "Nhật ký",
            "fields": [_field("team", entry="entry.4000001"), _field("person_name")],
        }
    ),
}


def _cfg(**urls: str) -> WardConfig:
    """The sample ward's config with the test's form links (thong_ke=..., by source id)."""
    cfg = load_config(ROOT / "config" / "example.yaml")
    sources = [s.model_copy(update={"form_url": urls.get(s.id, "")}) for s in cfg.sources]
    return cfg.model_copy(update={"sources": sources})


ALL = {"thong_ke": FORM_A, "bieu_mau_01": FORM_B, "bieu_mau_02": FORM_C, "nhat_ky_ho_tro": FORM_E}


# -- prefill keys -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question_id", "entry"),
    [
        # 1·16^7 + 10·16^6 + 2·16^5 + 11·16^4 + 3·16^3 + 12·16^2 + 4·16 + 13
        ("1a2b3c4d", "entry.439041101"),
        (" 1A2B3C4D ", "entry.439041101"),  # case and stray spaces
        ("0000abcd", "entry.43981"),  # 10·4096 + 11·256 + 12·16 + 13
        ("7fffffff", "entry.2147483647"),  # the largest id seen
        ("00000000", "entry.0"),
        ("80000000", None),  # above the observed range: not guessed
        ("1a2b3c4d5", None),  # nine digits
        ("6e7f1a2b,6e7f1a2c", None),  # a grid's row ids
        ("abc-1", None),
        ("", None),
        (None, None),
    ],
)
def test_entry_from_question_id(question_id: str | None, entry: str | None) -> None:
    assert entry_from_question_id(question_id) == entry


def test_configured_entry_wins_and_has_one_spelling() -> None:
    def f(**kw: Any) -> FieldMapping:
        return FieldMapping.model_validate(_field("branch", **kw))

    assert f(entry=123456).entry == "entry.123456"
    assert f(entry="123456").entry == "entry.123456"
    assert f(entry=" entry.0123456 ").entry == "entry.123456"
    assert entry_key(f(entry="entry.5", question_id="1a2b3c4d")) == "entry.5"
    assert entry_key(f(question_id="1a2b3c4d")) == "entry.439041101"
    assert entry_key(f()) is None
    for bad in ("entry.abc", "entry.", "12a", True):
        with pytest.raises(ValidationError, match="entry.123456"):
            f(entry=bad)


def test_sample_mappings_carry_prefill_keys() -> None:
    for name, fields in {
        "branch_stats": ["branch"],
        "registration": ["name", "birth_date", "branch"],
        "scoring": ["name", "birth_date", "branch"],
        "support_log": ["team"],
    }.items():
        mapping = load_mapping(ROOT / "mappings" / f"{name}.yaml")
        for field in fields:
            fm = mapping.field_map(field)
            assert fm is not None and fm.entry and fm.entry.startswith("entry."), (name, field)


# -- exact links ------------------------------------------------------------------------


def test_branch_links_exact_urls() -> None:
    links = branch_links(_cfg(**ALL), MAPPINGS, KP3)
    title_a = "Thống kê kết quả sinh hoạt chuyên đề 2026"
    assert links == (
        FormLink(
            "thong_ke",
            "branch_stats",
            title_a,
            FORM_A + "?usp=pp_url&entry.1000001=Chi%20b%E1%BB%99%20Khu%20ph%E1%BB%91%203",
        ),
        FormLink(
            "bieu_mau_01",
            "registration",
            "Biểu mẫu 01 - Bản đăng ký, cam kết",
            FORM_B + "?usp=pp_url&entry.439041101=Chi%20b%E1%BB%99%20Khu%20ph%E1%BB%91%203",
        ),
        # the dropdown's own choice "Khu phố 3", matched as sync/matching.py would read it
        FormLink(
            "bieu_mau_02",
            "scoring",
            "Biểu mẫu 02 - Bảng chấm điểm",
            FORM_C + "?usp=pp_url&entry.3000003=Khu%20ph%E1%BB%91%203",
        ),
    )
    assert {link.kind for link in links} == {str(k) for k in BRANCH_KINDS}


def test_member_links_exact_urls() -> None:
    links = member_links(_cfg(**ALL), MAPPINGS, HA, KP3)
    assert [link.url for link in links] == [
        # a Google date question: YYYY-MM-DD
        FORM_B
        + "?usp=pp_url&entry.2000001=Nguy%E1%BB%85n%20Th%E1%BB%8B%20H%C3%A0"
        + "&entry.2000002=1975-03-02"
        + "&entry.439041101=Chi%20b%E1%BB%99%20Khu%20ph%E1%BB%91%203",
        # a short-text birth date: dd/mm/yyyy ("/" encoded)
        FORM_C
        + "?usp=pp_url&entry.3000001=Nguy%E1%BB%85n%20Th%E1%BB%8B%20H%C3%A0"
        + "&entry.3000002=02%2F03%2F1975"
        + "&entry.3000003=Khu%20ph%E1%BB%91%203",
    ]
    assert HA_TEXT in links[0].url and KP3_TEXT in links[0].url
    # no birth date in the roster: that key is left out, the rest still filled
    undated = member_links(_cfg(**ALL), MAPPINGS, Member("DV9", "An", None, "CB07"), KP3)
    assert "entry.2000002" not in undated[0].url and "entry.2000001=An" in undated[0].url


def test_values_are_composed_before_encoding() -> None:
    decomposed = Branch("CB07", unicodedata.normalize("NFD", KP3.name))
    (link,) = branch_links(_cfg(thong_ke=FORM_A), MAPPINGS, decomposed)
    assert link.url.endswith("entry.1000001=" + KP3_TEXT)


def test_prefilled_url_drops_the_forms_own_query() -> None:
    page = FORM_A + "?usp=publish-editor#top"
    assert prefilled_url(page, [("entry.1", "a b&c=d")]) == (
        FORM_A + "?usp=pp_url&entry.1=a%20b%26c%3Dd"
    )
    assert prefilled_url(page, []) == FORM_A


# -- milestones -------------------------------------------------------------------------


def test_every_done_when_has_its_form() -> None:
    assert set(MILESTONE_FORMS) == set(get_args(DoneWhen))


@pytest.mark.parametrize(
    ("done_when", "source_id", "query"),
    [
        ("plan_issued", "thong_ke", "entry.1000001=" + KP3_TEXT),
        ("session_held", "thong_ke", "entry.1000001=" + KP3_TEXT),
        ("task_registered", "thong_ke", "entry.1000001=" + KP3_TEXT),
        ("report_sent", "thong_ke", "entry.1000001=" + KP3_TEXT),
        ("progress_reviewed", "thong_ke", "entry.1000001=" + KP3_TEXT),
        ("members_registered", "bieu_mau_01", "entry.439041101=" + KP3_TEXT),
        ("members_scored", "bieu_mau_02", "entry.3000003=Khu%20ph%E1%BB%91%203"),
    ],
)
def test_milestone_link(done_when: str, source_id: str, query: str) -> None:
    link = milestone_link(_cfg(**ALL), MAPPINGS, KP3, done_when)
    assert link is not None and link.source_id == source_id
    assert link.url == f"{ALL[source_id]}?usp=pp_url&{query}"


def test_milestone_link_of_a_team_and_of_the_ward() -> None:
    cfg = _cfg(**ALL)
    team = Team("TO03", "Tổ công nghệ số khu phố 3")
    link = milestone_link(cfg, MAPPINGS, team, "team_active")
    assert link is not None and link.kind == "support_log"
    assert link.url == (
        FORM_E + "?usp=pp_url&entry.4000001=T%E1%BB%95%20c%C3%B4ng%20ngh%E1%BB%87%20s%E1%BB%91"
        "%20khu%20ph%E1%BB%91%203"
    )
    # a branch has no answer to the teams' form: the plain form
    plain = milestone_link(cfg, MAPPINGS, KP3, "team_active")
    assert plain is not None and plain.url == FORM_E
    assert milestone_link(cfg, MAPPINGS, KP3, None) is None  # a ward milestone


# -- no form_url, no link ---------------------------------------------------------------


def test_a_form_without_form_url_gets_no_link() -> None:
    cfg = _cfg(thong_ke=FORM_A, bieu_mau_01=FORM_B)
    assert [link.source_id for link in branch_links(cfg, MAPPINGS, KP3)] == [
        "thong_ke",
        "bieu_mau_01",
    ]
    assert [link.source_id for link in member_links(cfg, MAPPINGS, HA, KP3)] == ["bieu_mau_01"]
    assert milestone_link(cfg, MAPPINGS, KP3, "members_scored") is None
    assert milestone_link(cfg, MAPPINGS, Team("TO1", "Tổ 1"), "team_active") is None
    assert [s.id for s in sources_without_form_url(cfg)] == ["bieu_mau_02"]
    assert branch_links(_cfg(), MAPPINGS, KP3) == ()


def test_a_branch_question_without_key_gives_the_plain_form() -> None:
    mappings = dict(MAPPINGS)
    mappings["thong_ke"] = FormMapping.model_validate(
        {"kind": "branch_stats", "title": "Thống kê", "fields": [_field("branch")]}
    )
    cfg = _cfg(thong_ke=FORM_A + "?usp=sf_link")
    (link,) = branch_links(cfg, mappings, KP3)
    assert link.url == FORM_A
    assert [s.id for s in sources_without_branch_key(cfg, mappings)] == ["thong_ke"]
    (card,) = qr_cards(cfg, mappings, [KP3])
    assert card.stem == "CB07-thong_ke" and not card.prefilled


def test_qr_cards_file_names_are_ascii() -> None:
    cards = qr_cards(_cfg(**ALL), MAPPINGS, [Branch("Đ/01 ạ", "Chi bộ Đặc biệt"), KP3])
    assert [c.stem for c in cards] == [
        "D_01_a-thong_ke",
        "D_01_a-bieu_mau_01",
        "D_01_a-bieu_mau_02",
        "CB07-thong_ke",
        "CB07-bieu_mau_01",
        "CB07-bieu_mau_02",
    ]
    assert all(c.prefilled for c in cards)


# -- the report's appendix --------------------------------------------------------------


def test_report_form_link() -> None:
    cfg = _cfg(**ALL)
    assert report_form_link(cfg, MAPPINGS, KP3) == (
        FORM_A + "?usp=pp_url&entry.1000001=" + KP3_TEXT
    )
    # the ward's report prints the configured link as it is
    assert report_form_link(cfg, MAPPINGS) == cfg.report.form_link
    # no form_url on the statistics source: the appendix's own link, prefilled
    only_report = _cfg()
    assert report_form_link(only_report, MAPPINGS, KP3) == (
        cfg.report.form_link.split("?")[0] + "?usp=pp_url&entry.1000001=" + KP3_TEXT
    )
    nothing = only_report.model_copy(
        update={"report": only_report.report.model_copy(update={"form_link": ""})}
    )
    assert report_form_link(nothing, MAPPINGS, KP3) == ""


# -- config -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://forms.gle/AbCdEf123",
        "https://docs.google.com/forms/d/1AbCdEf/edit",
        "docs.google.com/forms/d/e/1FAIpQLSf/viewform",
    ],
)
def test_form_url_must_be_the_forms_page(tmp_path: Path, url: str) -> None:
    data = yaml.safe_load((ROOT / "config" / "example.yaml").read_text(encoding="utf-8"))
    data["sources"][0]["form_url"] = url
    data["rubric"] = str(ROOT / "config" / "rubric-2026.yaml")
    path = tmp_path / "ward.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    text = "\n".join(e.value.problems)
    assert "sources.0.form_url" in text and "/viewform" in text


def test_sample_configs_have_form_urls() -> None:
    cfg = load_config(ROOT / "config" / "example.yaml")
    assert sources_without_form_url(cfg) == ()
    google = load_config(ROOT / "config" / "google-example.yaml")
    # Forms API sources take the form's responderUri (`kns qr`); the sheet source needs one
    assert [s.id for s in sources_without_form_url(google)] == ["thong_ke", "bieu_mau_01"]
    assert all(s.form_id for s in sources_without_form_url(google))
    assert SourceKind.SUPPORT_LOG not in BRANCH_KINDS
