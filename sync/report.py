"""The year-end report (Biểu mẫu 03) as data: every figure the forms give, laid out along
the outline's sections, with marked places for what only people can write.

Pure: built from the cycle's evaluation (statuses, members' results, KPIs, "Bình dân học
vụ số" progress), the branches' form A history and the teams' support summary; the "Báo
cáo tổng hợp" tab and the Word document are two views of the same ``Report``, so their
figures cannot differ.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from scoring.kpis import ward_kpis
from scoring.learning import LearningProgress, count_learners, group_counts
from scoring.rubric import Rubric
from scoring.support import SUPPORT_KINDS, SupportSummary
from sync.config import WardConfig, concrete_milestones
from sync.mapping import FormMapping
from sync.model import (
    BranchReport,
    BranchStatus,
    Figure,
    KpiResult,
    MemberResult,
    MilestoneState,
    Quote,
    Report,
    ReportSection,
    Roster,
    SourceKind,
    TargetLine,
)
from sync.text import fold

# the marked place for what only people can write (the tab and the document say the same)
STAFF_MARKER = "Phần này do cán bộ tự viết"
STAFF_REASON = "các biểu mẫu không thu thập nội dung này"
STAFF_NOTE = f"{STAFF_MARKER}: {STAFF_REASON}"



@dataclass(frozen=True)
class FormAChoices:
    """The statistics form's answer texts the report counts by (the mapping's choices: a
    ward whose form words them otherwise changes its mapping, not this code)."""

    session_forms: tuple[str, ...] = ()
    contents: tuple[str, ...] = ()


def form_a_choices(cfg: WardConfig, mappings: Mapping[str, FormMapping]) -> FormAChoices:
    """From the first statistics-form source's mapping (none configured: empty, and the
    report counts what the answers hold)."""
    for s in cfg.sources:
        if s.kind is SourceKind.BRANCH_STATS and s.id in mappings:
            mapping = mappings[s.id]
            forms, contents = mapping.field_map("session_form"), mapping.field_map("contents")
            return FormAChoices(
                tuple(forms.choices) if forms is not None else (),
                tuple(contents.choices) if contents is not None else (),
            )
    return FormAChoices()


PROGRESS_IN_PROGRESS = "Đang thực hiện"
PROGRESS_NOT_STARTED = "Chưa triển khai"


# ---------------------------------------------------------------------------------------
# Sessions: a branch may report several, on different dates
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    branch_code: str
    held_on: date
    form: str | None  # as the latest submission naming this date says
    invited_expert: bool | None


def sessions_of(history: Iterable[BranchReport], today: date) -> tuple[Session, ...]:
    """Distinct sessions held by ``today``: one per (branch, session date) in the form A
    history; what a later submission says about the same session replaces the earlier."""
    latest: dict[tuple[str, date], BranchReport] = {}
    for r in history:
        if r.session_date is None or r.session_date > today:
            continue  # a date still ahead is a plan, not a session
        key = (r.branch_code, r.session_date)
        old = latest.get(key)
        if old is None or (r.submitted_at, r.response_id) > (old.submitted_at, old.response_id):
            latest[key] = r
    return tuple(
        Session(code, d, r.session_form, r.invited_expert)
        for (code, d), r in sorted(latest.items())
    )


# ---------------------------------------------------------------------------------------
# Per-branch figures (the "Tổng hợp chi bộ" columns and a branch's own report)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BranchFigures:
    branch_code: str
    sessions: int
    contents: tuple[str, ...]  # of the latest report
    invited_sessions: int
    task_completed: bool  # 6 rõ, "Đã hoàn thành", product named
    eligible: int  # roster members not exempt
    registered: int
    registered_complete: int
    registered_items_reported: int | None  # form A count
    scored: int
    bands: Mapping[str, int]
    pending: int  # self score only
    review: int  # the committee's sheet needs review
    gap: int
    not_self_assessed: int  # registered, the year-end grid blank


def _done_progress(rubric: Rubric) -> set[str]:
    for t in rubric.targets:
        for p in t.parts:
            if p.branch_check == "task_completed":
                return {fold(x) for x in t.done_progress}
    return {fold("Đã hoàn thành")}


def task_completed(status: BranchStatus, rubric: Rubric) -> bool:
    report = status.report
    return (
        status.task_registered
        and report is not None
        and report.task_progress is not None
        and fold(report.task_progress) in _done_progress(rubric)
    )


def branch_figures(
    rubric: Rubric,
    roster: Roster,
    statuses: Sequence[BranchStatus],
    members: Sequence[MemberResult],
    sessions: Sequence[Session],
) -> dict[str, BranchFigures]:
    """The report's figures for each roster branch."""
    results = {m.member_code: m for m in members}
    by_branch_sessions: dict[str, list[Session]] = {}
    for s in sessions:
        by_branch_sessions.setdefault(s.branch_code, []).append(s)
    out: dict[str, BranchFigures] = {}
    for st in statuses:
        eligible = [m for m in roster.members_of(st.branch_code) if not m.exempt]
        rs = [results[m.code] for m in eligible if m.code in results]
        own = by_branch_sessions.get(st.branch_code, [])
        report = st.report
        bands = {b.name: 0 for b in sorted(rubric.bands, key=lambda b: -b.min)}
        for r in rs:
            if r.band is not None:
                bands[r.band] = bands.get(r.band, 0) + 1
        out[st.branch_code] = BranchFigures(
            branch_code=st.branch_code,
            sessions=len(own),
            contents=report.contents if report is not None and own else (),
            invited_sessions=sum(1 for s in own if s.invited_expert),
            task_completed=task_completed(st, rubric),
            eligible=len(eligible),
            registered=sum(1 for r in rs if r.registration is not None),
            registered_complete=sum(
                1 for r in rs if r.registration is not None and r.registration.complete
            ),
            registered_items_reported=(
                report.counts.get("registered_item") if report is not None else None
            ),
            scored=sum(1 for r in rs if r.committee_total is not None),
            bands=bands,
            pending=sum(1 for r in rs if r.pending),
            review=sum(1 for r in rs if r.review_reason is not None),
            gap=sum(1 for r in rs if r.gap_flag),
            not_self_assessed=sum(
                1 for r in rs if r.registration is not None and not r.registration.self_assessed
            ),
        )
    return out


# ---------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------


def _branch_label(roster: Roster, code: str) -> str:
    b = roster.branch(code)
    return f"{b.code} - {b.name}"


def _milestone_states(
    cfg: WardConfig, statuses: Sequence[BranchStatus], done_when: str
) -> tuple[int, int, int] | None:
    """(on time, late, not yet) over the branches the milestone applies to."""
    ids = {m.id for m in concrete_milestones(cfg) if m.done_when == done_when}
    if not ids:
        return None
    on_time = late = not_yet = 0
    for st in statuses:
        for ms in st.milestones:
            if ms.milestone_id not in ids:
                continue
            if ms.state is MilestoneState.DONE_ON_TIME:
                on_time += 1
            elif ms.state is MilestoneState.DONE_LATE:
                late += 1
            else:
                not_yet += 1
            break
    return on_time, late, not_yet


def _pct(x: float) -> str:
    return f"{x * 100:.1f}".replace(".", ",") + "%"


def _staff(number: str, title: str, level: int = 2) -> ReportSection:
    return ReportSection(number, title, level=level, for_staff=True)


def build_report(
    cfg: WardConfig,
    rubric: Rubric,
    roster: Roster,
    statuses: Sequence[BranchStatus],
    members: Sequence[MemberResult],
    kpis: Sequence[KpiResult],
    history: Sequence[BranchReport],
    now: datetime,
    *,
    branch_code: str | None = None,
    learning: LearningProgress | None = None,
    support: SupportSummary | None = None,
    choices: FormAChoices | None = None,
    form_link: str | None = None,
) -> Report:
    """The ward's report, or with ``branch_code`` the same report for one branch from its
    own data (its statuses, members and targets measured on its own members).

    ``learning`` ("Bình dân học vụ số", None: no platform export read) and ``support`` (the
    community digital technology teams' logs of ``cfg.ward.year``, None: none read) add
    section III.6; a branch's report counts its own units' learners and leaves the teams
    out (they are the ward's, not a branch's). ``choices``: the statistics form's session
    forms and contents to count by (``form_a_choices``); without them, those the answers
    hold. ``form_link``: appendix VII's link (``sync.prefill.report_form_link``: a branch's
    report prints the statistics form prefilled with the branch); None: ``report.form_link``."""
    link = cfg.report.form_link if form_link is None else form_link.strip()
    local = now.astimezone(cfg.tz)
    today = local.date()
    if branch_code is not None:
        branch = roster.branch(branch_code)  # KeyError: the caller checks the code
        own = tuple(m for m in roster.members if m.branch_code == branch_code)
        roster = Roster(branches=(branch,), members=own)
        statuses = [s for s in statuses if s.branch_code == branch_code]
        codes = {m.code for m in own}
        members = [m for m in members if m.member_code in codes]
        history = [r for r in history if r.branch_code == branch_code]
        kpis = ward_kpis(rubric, roster, statuses, members, available={s.kind for s in cfg.sources})
        body, parent, unit = branch.name, cfg.ward.name, "chi bộ"
    else:
        body, parent, unit = cfg.ward.name, cfg.report.parent, "đảng bộ"
    sessions = sessions_of(history, today)
    figures = branch_figures(rubric, roster, statuses, members, sessions)
    n_branches = len(roster.branches)
    eligible = sum(f.eligible for f in figures.values())
    exempt = sum(1 for m in roster.members if m.exempt)

    sections: list[ReportSection] = []
    # I. Khái quát tình hình
    overview = (
        f"Toàn {unit} có {n_branches} chi bộ trực thuộc, {len(roster.members)} đảng viên "
        f"({exempt} đảng viên được miễn sinh hoạt đảng)."
        if branch_code is None
        else f"Chi bộ có {len(roster.members)} đảng viên "
        f"({exempt} đảng viên được miễn sinh hoạt đảng)."
    )
    sections.append(ReportSection("I", "Khái quát tình hình", sentences=(overview,)))
    sections.append(ReportSection("II", "Công tác lãnh đạo, chỉ đạo triển khai thực hiện", level=1))
    # II.1 documents
    plan = _milestone_states(cfg, statuses, "plan_issued")
    plan_figs: list[Figure] = []
    plan_sentences: list[str] = []
    if plan is not None:
        on_time, late, not_yet = plan
        plan_figs = [
            Figure(
                "plan_on_time", "Chi bộ ban hành kế hoạch đúng hạn", on_time, n_branches, "chi bộ"
            ),
            Figure("plan_late", "Chi bộ ban hành kế hoạch trễ hạn", late, n_branches, "chi bộ"),
            Figure("plan_missing", "Chi bộ chưa ban hành kế hoạch", not_yet, n_branches, "chi bộ"),
        ]
        if branch_code is None:
            plan_sentences.append(
                f"{on_time + late}/{n_branches} chi bộ đã ban hành kế hoạch thực hiện "
                f"({on_time} đúng hạn, {late} trễ hạn); {not_yet} chi bộ chưa ban hành."
            )
        elif statuses and statuses[0].plan_date is not None:
            when = "đúng hạn" if on_time else "trễ hạn"
            plan_sentences.append(
                f"Chi bộ ban hành kế hoạch thực hiện ngày {statuses[0].plan_date:%d/%m/%Y} "
                f"({when})."
            )
        else:
            plan_sentences.append("Chi bộ chưa báo cáo ngày ban hành kế hoạch thực hiện.")
    else:
        issued = sum(1 for s in statuses if s.plan_date is not None)
        plan_figs = [
            Figure("plan_issued", "Chi bộ đã ban hành kế hoạch", issued, n_branches, "chi bộ")
        ]
    sections.append(
        ReportSection(
            "II.1",
            "Các văn bản đã ban hành để triển khai thực hiện",
            level=2,
            sentences=tuple(plan_sentences),
            figures=tuple(plan_figs),
        )
    )
    sections.append(_staff("II.2", "Công tác kiểm tra, giám sát thực hiện"))
    sections.append(_staff("II.3", "Động viên, biểu dương, khen thưởng trong quá trình thực hiện"))
    sections.append(ReportSection("III", "Kết quả đạt được", level=1))
    sections.append(_staff("III.1", "Công tác tuyên truyền, vận động"))
    sections.append(
        _sessions_section(statuses, sessions, figures, n_branches, choices or FormAChoices())
    )
    sections.append(_tasks_section(statuses, figures, n_branches))
    sections.append(_members_section(rubric, figures, eligible))
    sections.append(
        ReportSection(
            "III.5",
            "Một số mô hình, cách làm hay, hiệu quả cần nhân rộng",
            level=2,
            quotes=_quotes(roster, statuses, "good_practices"),
        )
    )
    movement = _movement_section(
        learning, support if branch_code is None else None, branch_code, cfg.ward.year
    )
    if movement is not None:
        sections.append(movement)
    sections.append(ReportSection("IV", "Đánh giá chung", level=1))
    sections.append(_staff("IV.1", "Về kết quả đạt được"))
    sections.append(_staff("IV.2", "Hạn chế và nguyên nhân"))
    sections.append(_staff("IV.3", "Kinh nghiệm trong triển khai thực hiện"))
    sections.append(_staff("V", "Nhiệm vụ, giải pháp thời gian tới", level=1))
    sections.append(
        ReportSection(
            "VI",
            "Kiến nghị, đề xuất",
            quotes=_quotes(roster, statuses, "difficulties"),
            for_staff=True,  # the branches' words are gathered; the ward writes its own
        )
    )
    sections.append(
        ReportSection(
            "VII",
            "Phụ lục (mã QR và đường dẫn biểu mẫu thống kê để đơn vị cập nhật)",
            sentences=(link,) if link else (),
            for_staff=not link,
        )
    )
    return Report(
        scope="branch" if branch_code is not None else "ward",
        body=body,
        parent=parent,
        year=cfg.ward.year,
        place=cfg.report.place,
        as_of=local,
        sections=tuple(sections),
        targets=target_lines(kpis),
        form_title=cfg.report.form_title,
        form_link=link,
    )


def _sessions_section(
    statuses: Sequence[BranchStatus],
    sessions: Sequence[Session],
    figures: Mapping[str, BranchFigures],
    n_branches: int,
    choices: FormAChoices,
) -> ReportSection:
    held = sum(1 for f in figures.values() if f.sessions)
    # every choice of the form, even one nobody chose; then any other the answers hold
    forms = choices.session_forms or tuple(dict.fromkeys(s.form for s in sessions if s.form))
    contents = choices.contents or tuple(
        dict.fromkeys(c for f in figures.values() for c in f.contents)
    )
    # participation: what the branches reported of their latest session, over the members
    # who had to attend (exempt excluded), ward-wide
    participants = sum(s.participants or 0 for s in statuses)
    required = sum(s.eligible_members for s in statuses)
    by_form = {form: 0 for form in forms}
    unknown_form = 0
    for s in sessions:
        if s.form in by_form:
            by_form[s.form] += 1
        else:
            unknown_form += 1
    figs = [
        Figure("sessions", "Số buổi sinh hoạt chuyên đề đã tổ chức", len(sessions), None, "buổi"),
        Figure("branches_held", "Chi bộ đã tổ chức ít nhất 01 buổi", held, n_branches, "chi bộ"),
        Figure(
            "participation",
            "Đảng viên tham gia sinh hoạt (trên số phải tham gia, trừ miễn sinh hoạt)",
            participants,
            required,
            "đảng viên",
        ),
        *(
            Figure(
                f"form_{i}", f"Buổi sinh hoạt hình thức {form.lower()}", n, len(sessions), "buổi"
            )
            for i, (form, n) in enumerate(by_form.items(), start=1)
        ),
    ]
    if unknown_form:
        figs.append(
            Figure(
                "form_unknown",
                "Buổi sinh hoạt chưa rõ hình thức",
                unknown_form,
                len(sessions),
                "buổi",
            )
        )
    for i, content in enumerate(contents, start=1):
        n = sum(1 for f in figures.values() if content in f.contents)
        figs.append(Figure(f"content_{i}", f"Nội dung: {content}", n, held, "chi bộ"))
    figs.append(
        Figure(
            "invited",
            "Buổi có mời báo cáo viên hoặc Tổ công nghệ số cộng đồng hướng dẫn thực hành",
            sum(f.invited_sessions for f in figures.values()),
            len(sessions),
            "buổi",
        )
    )
    rate = f" ({_pct(participants / required)})" if required else ""
    sentences = (
        f"Đã tổ chức {len(sessions)} buổi sinh hoạt chuyên đề tại {held}/{n_branches} chi bộ; "
        f"{participants}/{required} đảng viên phải sinh hoạt đã tham gia{rate}.",
    )
    return ReportSection(
        "III.2",
        "Việc tổ chức sinh hoạt chuyên đề tại các chi bộ",
        level=2,
        sentences=sentences,
        figures=tuple(figs),
    )


def _tasks_section(
    statuses: Sequence[BranchStatus], figures: Mapping[str, BranchFigures], n_branches: int
) -> ReportSection:
    named = sum(1 for s in statuses if s.report is not None and (s.report.task_name or "").strip())
    six = sum(1 for s in statuses if s.task_registered)
    progress = [fold(s.report.task_progress or "") if s.report else "" for s in statuses]
    in_progress = sum(1 for p in progress if p == fold(PROGRESS_IN_PROGRESS))
    not_started = sum(1 for p in progress if p == fold(PROGRESS_NOT_STARTED))
    done = sum(1 for f in figures.values() if f.task_completed)
    figs = (
        Figure("task_named", "Chi bộ đăng ký nhiệm vụ", named, n_branches, "chi bộ"),
        Figure("task_six_clear", "Nhiệm vụ xây dựng đủ 6 rõ", six, n_branches, "chi bộ"),
        Figure("task_not_started", "Nhiệm vụ chưa triển khai", not_started, n_branches, "chi bộ"),
        Figure("task_in_progress", "Nhiệm vụ đang thực hiện", in_progress, n_branches, "chi bộ"),
        Figure(
            "task_done",
            "Nhiệm vụ đã hoàn thành, có sản phẩm cụ thể",
            done,
            n_branches,
            "chi bộ",
        ),
    )
    sentences = (
        f'{named}/{n_branches} chi bộ đã đăng ký nhiệm vụ "Chi bộ tiên phong chuyển đổi số", '
        f"trong đó {six} nhiệm vụ đủ 6 rõ; {done} nhiệm vụ đã hoàn thành có sản phẩm, "
        f"{in_progress} đang thực hiện.",
    )
    return ReportSection(
        "III.3",
        'Kết quả triển khai phần việc "Chi bộ tiên phong chuyển đổi số"',
        level=2,
        sentences=sentences,
        figures=figs,
    )


def _members_section(
    rubric: Rubric, figures: Mapping[str, BranchFigures], eligible: int
) -> ReportSection:
    fs = list(figures.values())
    registered = sum(f.registered for f in fs)
    complete = sum(f.registered_complete for f in fs)
    items = [f for f in fs if f.registered_items_reported is not None]
    scored = sum(f.scored for f in fs)
    figs = [
        Figure(
            "registered",
            "Đảng viên có bản đăng ký (Biểu mẫu 01)",
            registered,
            eligible,
            "đảng viên",
        ),
        Figure(
            "registered_complete",
            "Bản đăng ký đầy đủ các mục bắt buộc",
            complete,
            eligible,
            "đảng viên",
        ),
        Figure(
            "registered_items",
            'Đảng viên đăng ký phần việc "Cán bộ số, đảng viên số tiêu biểu" (chi bộ báo cáo)',
            sum(f.registered_items_reported or 0 for f in items) if items else None,
            sum(f.eligible for f in items) if items else None,
            "đảng viên",
        ),
        Figure(
            "scored", "Đảng viên được cấp ủy chấm điểm (Biểu mẫu 02)", scored, eligible, "đảng viên"
        ),
    ]
    for i, band in enumerate(sorted(rubric.bands, key=lambda b: -b.min), start=1):
        figs.append(
            Figure(
                f"band_{i}",
                f"Xếp loại {band.name}",
                sum(f.bands.get(band.name, 0) for f in fs),
                scored,
                "đảng viên",
            )
        )
    figs += [
        Figure(
            "pending",
            "Chờ cấp ủy chấm (mới tự chấm)",
            sum(f.pending for f in fs),
            eligible,
            "đảng viên",
        ),
        Figure(
            "review",
            "Cần kiểm tra lại (phiếu cấp ủy chấm có ô không hợp lệ)",
            sum(f.review for f in fs),
            eligible,
            "đảng viên",
        ),
        Figure(
            "gap",
            "Chênh lệch tự chấm và cấp ủy chấm cần rà soát",
            sum(f.gap for f in fs),
            scored,
            "đảng viên",
        ),
    ]
    band_words = ", ".join(
        f"{f.count} {f.label.removeprefix('Xếp loại ')}" for f in figs if f.key.startswith("band_")
    )
    sentences = (
        f"{registered}/{eligible} đảng viên có bản đăng ký ({complete} bản đầy đủ); "
        f"cấp ủy đã chấm điểm {scored}/{eligible} đảng viên: {band_words}.",
    )
    return ReportSection(
        "III.4",
        'Kết quả triển khai phần việc "Cán bộ số, đảng viên số tiêu biểu"',
        level=2,
        sentences=sentences,
        figures=tuple(figs),
    )


# Seed 003 ("Bình dân học vụ số") as a numbered part after III.5 rather than under III.1:
# its figures are results (the plan, III.5, asks supervision to look at "mức độ tham gia
# học tập ..., kết quả đánh giá kỹ năng số, số người được hỗ trợ"), so they belong in III
# "Kết quả đạt được"; III.1 "Công tác tuyên truyền, vận động" is the staff's own account of
# how they informed and mobilised, which no form collects. A part of its own keeps the
# form's five parts and their numbers as Biểu mẫu 03 gives them.
MOVEMENT_NUMBER = "III.6"
MOVEMENT_TITLE = 'Kết quả thực hiện Phong trào "Bình dân học vụ số"'
LEARNERS = "cán bộ, đảng viên, công chức, viên chức, người lao động"


def _movement_section(
    learning: LearningProgress | None,
    support: SupportSummary | None,
    branch_code: str | None,
    year: int,
) -> ReportSection | None:
    """Learning on the platform (per group) and the teams' support to residents, when the
    ward reads them; None when it reads neither."""
    if learning is None and support is None:
        return None
    figs: list[Figure] = []
    sentences: list[str] = []
    if learning is not None:
        learners = learning.learners
        if branch_code is not None:  # the learners of the units the branch oversees
            learners = learning.of_branch(branch_code)
        total = count_learners("", branch_code or "", learners)
        figs += [
            Figure("learn_staff", f"Người học ({LEARNERS})", total.staff, None, "người"),
            Figure(
                "learn_started",
                "Đã tham gia học trên nền tảng",
                total.started,
                total.staff,
                "người",
            ),
            Figure(
                "learn_passed", "Đã đạt đánh giá kỹ năng số", total.passed, total.staff, "người"
            ),
        ]
        for i, g in enumerate(group_counts(learners), start=1):
            figs += [
                Figure(
                    f"learn_group_{i}_started",
                    f"{g.label}: đã tham gia học",
                    g.started,
                    g.staff,
                    "người",
                ),
                Figure(
                    f"learn_group_{i}_passed",
                    f"{g.label}: đã đạt đánh giá",
                    g.passed,
                    g.staff,
                    "người",
                ),
            ]
        rate = f" ({_pct(total.passed / total.staff)})" if total.staff else ""
        sentences.append(
            f"{total.passed}/{total.staff} {LEARNERS} đã đạt đánh giá kỹ năng số trên nền tảng "
            f'"Bình dân học vụ số"{rate}; {total.started} người đã tham gia học.'
        )
    if support is not None:
        w = support.ward
        teams = len(support.years)  # one per team of the roster
        figs += [
            Figure(
                "support_teams",
                "Tổ công nghệ số cộng đồng có nhật ký hỗ trợ",
                len(support.teams_with_logs),
                teams,
                "tổ",
            ),
            Figure(
                "support_sessions", f"Lượt hỗ trợ người dân năm {year}", w.sessions, None, "lượt"
            ),
            Figure(
                "support_people",
                "Người dân được hỗ trợ (mỗi người tính một lần)",
                w.people,
                None,
                "người",
            ),
        ]
        # a session may give several kinds of support: the shares need not add up to 100 %
        kinds = [*SUPPORT_KINDS, *sorted(k for k in w.by_kind if k not in SUPPORT_KINDS)]
        for i, kind in enumerate(kinds, start=1):
            figs.append(
                Figure(
                    f"support_kind_{i}",
                    f"Lượt hỗ trợ nội dung: {kind}",
                    w.by_kind.get(kind, 0),
                    w.sessions,
                    "lượt",
                )
            )
        sentences.append(
            f"Các Tổ công nghệ số cộng đồng đã hỗ trợ {w.people} người dân qua {w.sessions} "
            f"lượt hỗ trợ trong năm {year} ({len(support.teams_with_logs)}/{teams} tổ có "
            "nhật ký hỗ trợ)."
        )
    return ReportSection(
        MOVEMENT_NUMBER, MOVEMENT_TITLE, level=2, sentences=tuple(sentences), figures=tuple(figs)
    )


def _quotes(roster: Roster, statuses: Sequence[BranchStatus], attr: str) -> tuple[Quote, ...]:
    out = []
    for s in statuses:
        text = getattr(s.report, attr, None) if s.report is not None else None
        if text and text.strip():
            out.append(Quote(_branch_label(roster, s.branch_code), text.strip()))
    return tuple(out)


def target_lines(kpis: Sequence[KpiResult]) -> tuple[TargetLine, ...]:
    """One line per target, then one per part of a target naming several things."""
    out: list[TargetLine] = []
    for k in kpis:
        out.append(_line(k, k.title))
        out.extend(_line(p, f"– {p.title}") for p in k.parts)
    return tuple(out)


def _line(k: KpiResult, title: str) -> TargetLine:
    note = "; ".join(x for x in (k.rule_note, k.evidence_note) if x)
    return TargetLine(
        number=k.number or 0,
        title=title,
        result=k.actual,
        target=k.target,
        numerator=k.numerator,
        denominator=k.denominator,
        verdict=k.verdict,
        note=note,
    )
