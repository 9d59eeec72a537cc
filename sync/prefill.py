"""Prefilled links to the ward's Google Forms: a branch's or a member's form with their
branch, name and birth date already filled in (for e-mails, QR codes, the report's appendix).

Pure: no I/O. A Google prefilled link is the form's public page plus its prefill keys,
``https://docs.google.com/forms/d/e/<published id>/viewform?usp=pp_url&entry.123=value``.
A source's page is ``form_url`` in the config; each question's key is ``entry`` in the
mapping file, copied from the form's "Lấy đường liên kết điền sẵn" link.

Keys derived from Forms API question ids (``entry_from_question_id``): what was found.
- Google does not document it. The Forms API discovery document (forms v1, revision
  20250422, shipped in google-api-python-client) says only that ``Question.questionId`` is
  a "string" ("Read only. The question ID. On creation, it can be provided but the ID must
  not be already used in the form"); it gives no format and no link to ``entry.N``.
- Community findings agree that the key is the question id read as hexadecimal:
  qiita.com/que9/items/19dd5a3b24d654be9c7c builds prefilled links as
  ``<responderUri>?usp=pp_url&entry.<questionId in decimal>=…`` from ``forms.get``;
  gist.github.com/tanaikech/f391fd4d596d45bb846d374ff0ded695 finds the ids are eight hex
  digits, 00000000 to 7fffffff; several public projects use ``parseInt(questionId, 16)``.
So a key is derived only from an id of that observed shape (1 to 8 hex digits, at most
7fffffff), and a configured ``entry`` always wins. If Google changes the scheme, a wrong key
is harmless: the form opens with that question empty (unknown prefill keys are ignored).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote, urlencode

from sync.config import DoneWhen, SourceConfig, WardConfig
from sync.mapping import KNOWN_FIELDS, FieldMapping, FormMapping
from sync.model import Branch, Member, SourceKind, Team
from sync.text import fold, normalize_title

# The forms a branch fills that name the branch (their mappings may bind "branch").
BRANCH_KINDS: tuple[SourceKind, ...] = tuple(k for k in SourceKind if "branch" in KNOWN_FIELDS[k])
# Biểu mẫu 01 and 02: filled by (or for) one member.
MEMBER_KINDS: tuple[SourceKind, ...] = (SourceKind.REGISTRATION, SourceKind.SCORING)

# The form whose answers settle a milestone (sync/config.py DoneWhen).
MILESTONE_FORMS: dict[str, SourceKind] = {
    "plan_issued": SourceKind.BRANCH_STATS,
    "session_held": SourceKind.BRANCH_STATS,
    "task_registered": SourceKind.BRANCH_STATS,
    "report_sent": SourceKind.BRANCH_STATS,
    "progress_reviewed": SourceKind.BRANCH_STATS,
    "members_registered": SourceKind.REGISTRATION,
    "members_scored": SourceKind.SCORING,
    "team_active": SourceKind.SUPPORT_LOG,
}

# The questions each prefilled link fills, in link order: a branch's link to a form it
# fills (letters, `kns qr`, the report's appendix), a member's link to Biểu mẫu 01 or 02
# (letters), a team's link to its support log (the team's letters).
BRANCH_LINK: tuple[str, ...] = ("branch",)
MEMBER_LINK: tuple[str, ...] = ("name", "birth_date", "branch")
TEAM_LINK: tuple[str, ...] = ("team",)

_HEX_ID = re.compile(r"[0-9a-fA-F]{1,8}")
_MAX_ID = 0x7FFFFFFF  # the largest id seen (see the module's docstring)
_CHI_BO = "chi bo "


@dataclass(frozen=True)
class FormLink:
    source_id: str
    kind: str  # a SourceKind value
    title: str  # the form's title, as the config (or the mapping) names it
    url: str  # prefilled when a prefill key was known for a given value, else the form's page


# ---------------------------------------------------------------------------------------
# Keys and URLs
# ---------------------------------------------------------------------------------------


def entry_from_question_id(question_id: str | None) -> str | None:
    """``entry.<decimal>`` for a Forms API question id such as "1a2b3c4d"; None for an id
    of another shape (a grid's row ids, anything not 1-8 hex digits or above 7fffffff)."""
    if not question_id:
        return None
    qid = question_id.strip()
    if not _HEX_ID.fullmatch(qid):
        return None
    n = int(qid, 16)
    return f"entry.{n}" if n <= _MAX_ID else None


def entry_key(field: FieldMapping) -> str | None:
    """The question's prefill key: the mapping's ``entry``, else derived from its id."""
    return field.entry or entry_from_question_id(field.question_id)


def link_fields(kind: SourceKind) -> tuple[str, ...]:
    """Every question some prefilled link to a form of ``kind`` fills (empty: no link is
    made to such a form, e.g. the "Bình dân học vụ số" export)."""
    if kind in MEMBER_KINDS:
        return MEMBER_LINK  # its branch's link fills a part of it (BRANCH_LINK)
    if kind in BRANCH_KINDS:
        return BRANCH_LINK
    if kind is SourceKind.SUPPORT_LOG:
        return TEAM_LINK
    return ()


def prefill_keys(mapping: FormMapping | None, fields: Iterable[str]) -> dict[str, str | None]:
    """Each of ``fields`` with its question's prefill key (``entry_key``); None when the
    mapping does not bind the field, or its question has no ``entry`` and no usable Forms
    API id: a link then leaves that question empty."""
    out: dict[str, str | None] = {}
    for name in fields:
        field = mapping.field_map(name) if mapping is not None else None
        out[name] = entry_key(field) if field is not None else None
    return out


def form_page(source: SourceConfig) -> str:
    """The form's public page without query or fragment ("" when not configured)."""
    url = source.form_url.strip()
    return url.split("#", 1)[0].split("?", 1)[0].rstrip("/") if url else ""


def prefilled_url(page: str, values: Sequence[tuple[str, str]]) -> str:
    """``page?usp=pp_url&entry.N=value…`` (the page itself without values). Values are
    percent-encoded as UTF-8 (``quote``: a space is %20, diacritics kept, never folded)."""
    base = page.split("#", 1)[0].split("?", 1)[0].rstrip("/")
    if not values:
        return base
    return base + "?" + urlencode([("usp", "pp_url"), *values], quote_via=quote)


def form_title(source: SourceConfig, mapping: FormMapping | None) -> str:
    return source.title or (mapping.title if mapping is not None else source.id)


# ---------------------------------------------------------------------------------------
# Values as the form expects them
# ---------------------------------------------------------------------------------------


def _keys() -> tuple[Callable[[str], str], ...]:
    # the three comparisons sync/matching.py reads a branch answer with, strongest first
    return (normalize_title, fold, lambda s: fold(s).removeprefix(_CHI_BO))


def choice_value(field: FieldMapping, names: Sequence[str]) -> str:
    """What to prefill in a question that names a branch or a team: the form's own choice
    when the mapping lists the dropdown's choices (a prefill value must equal a choice
    to select it), else the roster's name as written (what matching reads back)."""
    names = [n for n in names if n.strip()]
    if not names:
        return ""
    options = [(c, c) for c in field.choices]
    options += [(alias, target) for alias, target in field.choice_aliases.items()]
    for key in _keys():
        wanted = {key(n) for n in names} - {""}
        for text, target in options:
            if key(text) in wanted:
                return target
    return names[0]


def date_value(field: FieldMapping, day: date) -> str:
    """A Google date question prefills as YYYY-MM-DD; a short-text question gets the
    Vietnamese dd/mm/yyyy (a ``date`` mapping also reads YYYY-MM-DD typed in a text box)."""
    return day.isoformat() if field.type == "date" else f"{day:%d/%m/%Y}"


def _pairs(
    mapping: FormMapping | None, wanted: Iterable[tuple[str, str | date]]
) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if mapping is None:
        return out
    pairs = list(wanted)
    keys = prefill_keys(mapping, [name for name, _ in pairs])
    for name, value in pairs:
        field, key = mapping.field_map(name), keys[name]
        if field is None or key is None or value == "":
            continue
        # a roster typed on another keyboard may hold decomposed letters; the form's own
        # choices are composed (NFC), and a dropdown selects only an identical text
        text = date_value(field, value) if isinstance(value, date) else value
        out.append((key, unicodedata.normalize("NFC", text)))
    return out


def _branch_value(mapping: FormMapping | None, branch: Branch) -> str:
    field = mapping.field_map("branch") if mapping is not None else None
    names = (branch.name, *branch.aliases)
    return choice_value(field, names) if field is not None else branch.name


# ---------------------------------------------------------------------------------------
# Links
# ---------------------------------------------------------------------------------------


def _sources(cfg: WardConfig, kinds: Iterable[SourceKind]) -> list[SourceConfig]:
    wanted = set(kinds)
    return [s for s in cfg.sources if s.kind in wanted and form_page(s)]


def _wanted(fields: tuple[str, ...], **values: str | date | None) -> list[tuple[str, str | date]]:
    """``fields`` (a link's: BRANCH_LINK, MEMBER_LINK, TEAM_LINK) with their values, in that
    order; a field without a value is left out."""
    return [(f, v) for f in fields if (v := values.get(f)) is not None and v != ""]


def _link(
    source: SourceConfig, mapping: FormMapping | None, wanted: Iterable[tuple[str, str | date]]
) -> FormLink:
    url = prefilled_url(form_page(source), _pairs(mapping, wanted))
    return FormLink(source.id, str(source.kind), form_title(source, mapping), url)


def branch_links(
    cfg: WardConfig, mappings: Mapping[str, FormMapping], branch: Branch
) -> tuple[FormLink, ...]:
    """One link per source of a branch-filled form (statistics, Biểu mẫu 01, 02) that has a
    ``form_url``, in config order, with the branch already chosen."""
    return tuple(
        _link(
            s,
            mappings.get(s.id),
            _wanted(BRANCH_LINK, branch=_branch_value(mappings.get(s.id), branch)),
        )
        for s in _sources(cfg, BRANCH_KINDS)
    )


def member_links(
    cfg: WardConfig, mappings: Mapping[str, FormMapping], member: Member, branch: Branch
) -> tuple[FormLink, ...]:
    """Biểu mẫu 01 and 02 (each source that has a ``form_url``) with the member's name,
    birth date and branch filled in."""
    out = []
    for s in _sources(cfg, MEMBER_KINDS):
        mapping = mappings.get(s.id)
        wanted = _wanted(
            MEMBER_LINK,
            name=member.name,
            birth_date=member.birth_date,
            branch=_branch_value(mapping, branch),
        )
        out.append(_link(s, mapping, wanted))
    return tuple(out)


def milestone_link(
    cfg: WardConfig,
    mappings: Mapping[str, FormMapping],
    branch: Branch | Team,
    done_when: DoneWhen | str | None,
) -> FormLink | None:
    """The link to the form that settles a milestone, prefilled for ``branch`` (for
    ``team_active``: the support log, prefilled with a team's name when given a Team).
    None for a ward milestone or when that form has no ``form_url``."""
    kind = MILESTONE_FORMS.get(done_when or "")
    if kind is None:
        return None
    sources = _sources(cfg, (kind,))
    if not sources:
        return None
    source = sources[0]
    mapping = mappings.get(source.id)
    if isinstance(branch, Team):
        field = mapping.field_map("team") if mapping is not None else None
        names = (branch.name, *branch.aliases)
        team = choice_value(field, names) if field is not None else branch.name
        return _link(source, mapping, _wanted(TEAM_LINK, team=team))
    if "branch" not in KNOWN_FIELDS[kind]:
        return _link(source, mapping, [])
    return _link(source, mapping, _wanted(BRANCH_LINK, branch=_branch_value(mapping, branch)))


def report_form_link(
    cfg: WardConfig, mappings: Mapping[str, FormMapping], branch: Branch | None = None
) -> str:
    """Appendix VII of Biểu mẫu 03: the statistics form's link. The ward's report prints
    ``report.form_link`` (else the statistics source's page); a branch's report the same
    form prefilled with that branch, so the code it prints opens on the branch's name."""
    stats = next((s for s in cfg.sources if s.kind is SourceKind.BRANCH_STATS), None)
    page = form_page(stats) if stats is not None else ""
    if branch is None:
        return cfg.report.form_link or page
    if not page and is_form_page(cfg.report.form_link):
        page = cfg.report.form_link  # the appendix's own link: the statistics form too
    if not page:
        return cfg.report.form_link
    mapping = mappings.get(stats.id) if stats is not None else None
    return prefilled_url(
        page, _pairs(mapping, _wanted(BRANCH_LINK, branch=_branch_value(mapping, branch)))
    )


def is_form_page(url: str) -> bool:
    """A form's public page (…/viewform on docs.google.com), the only link a prefill fits."""
    base = url.split("#", 1)[0].split("?", 1)[0].rstrip("/")
    return base.startswith("https://docs.google.com/forms/") and base.endswith("/viewform")


# ---------------------------------------------------------------------------------------
# The QR page's list (sync/outputs/qr_page.py renders it)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QrCard:
    """One printed code: a branch's prefilled link to one form."""

    branch_code: str
    branch_name: str
    link: FormLink
    stem: str  # ascii-safe file name without extension, "CB01-thong_ke"
    prefilled: bool  # False: no prefill key for the branch question, the plain form


def ascii_name(text: str) -> str:
    """``text`` as a safe ascii file-name part (diacritics dropped, đ -> d, the rest "_")."""
    s = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = re.sub(r"[^A-Za-z0-9_-]+", "_", s).strip("_")
    return s or "x"


def qr_cards(
    cfg: WardConfig, mappings: Mapping[str, FormMapping], branches: Iterable[Branch]
) -> tuple[QrCard, ...]:
    """Every branch's prefilled link to each branch-filled form, branch by branch."""
    out = []
    for b in branches:
        for link in branch_links(cfg, mappings, b):
            out.append(
                QrCard(
                    branch_code=b.code,
                    branch_name=b.name,
                    link=link,
                    stem=f"{ascii_name(b.code)}-{ascii_name(link.source_id)}",
                    prefilled="?" in link.url,
                )
            )
    return tuple(out)


def sources_without_form_url(cfg: WardConfig) -> tuple[SourceConfig, ...]:
    """The branch-filled forms that get no link (no ``form_url``)."""
    return tuple(s for s in cfg.sources if s.kind in BRANCH_KINDS and not form_page(s))


def sources_without_branch_key(
    cfg: WardConfig, mappings: Mapping[str, FormMapping]
) -> tuple[SourceConfig, ...]:
    """Branch-filled forms with a ``form_url`` whose branch question has no prefill key
    (no ``entry`` and no usable ``question_id``): their codes open the plain form."""
    return tuple(
        s
        for s in _sources(cfg, BRANCH_KINDS)
        if prefill_keys(mappings.get(s.id), BRANCH_LINK)["branch"] is None
    )


# ---------------------------------------------------------------------------------------
# What `kns check` warns about (sync/check.py)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkGap:
    """A form some link goes to (``link_fields``) whose links cannot be built as meant."""

    source: SourceConfig
    without_page: bool  # no ``form_url``: the letters carry no link to it at all
    # questions its links fill that the mapping binds without a prefill key (no ``entry``,
    # no usable ``question_id``), in link order; a question the form does not ask (the
    # mapping does not bind it) is not one
    without_key: tuple[str, ...]


def link_gaps(cfg: WardConfig, mappings: Mapping[str, FormMapping]) -> tuple[LinkGap, ...]:
    """Every source whose prefilled links cannot be built, in config order."""
    out = []
    for s in cfg.sources:
        fields = link_fields(s.kind)
        if not fields:
            continue
        mapping = mappings.get(s.id)
        without_key = tuple(
            name
            for name, key in prefill_keys(mapping, fields).items()
            if key is None and mapping is not None and mapping.field_map(name) is not None
        )
        if not form_page(s) or without_key:
            out.append(LinkGap(s, not form_page(s), without_key))
    return tuple(out)
