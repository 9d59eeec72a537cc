"""Form A (thống kê chi bộ): each branch's reports, by the situation it is in at NOW."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from tools.sample_ward.fmt import dmy, row_label, vi_ts
from tools.sample_ward.model import Branch, BranchSub
from tools.sample_ward.roster import WardBase
from tools.sample_ward.truth import InvalidRow, ToleratedValue
from tools.sample_ward.vocab import (
    BDHVS_ADDED,
    CONTENTS,
    COUNT_KEYS,
    DIFFICULTIES,
    FORM_A_COLUMNS,
    FORM_A_HEADER,
    PERSONAL_DOMAIN,
    PRACTICES,
    PRODUCTS,
    PROGRESS,
    SESSION_FORMS,
    SITUATIONS,
    SIX_CLEAR_KEYS,
    SOURCES,
    TASKS,
    TZ,
    UNKNOWN_BRANCH_TEXT,
)


class BranchReports(WardBase):
    def branch_facts(self, b: Branch, plan: date | None, session: date | None) -> dict[str, Any]:
        rng = self.rng
        members = self.members_of(b.code)
        total = len(members)
        exempt = sum(m.exempt for m in members)
        elig = total - exempt
        task = rng.randrange(len(TASKS))
        counts = {k: max(0, elig - rng.randint(0, max(1, elig // 4))) for k in COUNT_KEYS}
        n_contents = rng.randint(2, 5)
        contents = tuple(c for c in CONTENTS if c in set(rng.sample(CONTENTS, n_contents)))
        return {
            "plan_date": plan,
            "session_date": session,
            "session_form": rng.choice(SESSION_FORMS),
            "total_members": total,
            "exempt_members": exempt,
            "participants": elig - rng.choice((0, 0, 1, 2, 3)),
            "contents": contents,
            "invited_expert": rng.random() < 0.6,
            "task_name": TASKS[task],
            "ro_nguoi": b.secretary,
            "ro_viec": TASKS[task],
            "ro_quy_trinh": "B1: khảo sát; B2: tập huấn; B3: hỗ trợ tận nơi; B4: sơ kết, đánh giá",
            "ro_thoi_gian": dmy(date(2026, 12, rng.choice((15, 20, 31)))),
            "ro_trach_nhiem": f"Đồng chí {b.secretary}, Bí thư chi bộ",
            "ro_san_pham": PRODUCTS[task],
            "task_progress": rng.choice(PROGRESS[1:]),
            **counts,
            "report_sent": False,
            "good_practices": rng.choice(PRACTICES),
            "difficulties": rng.choice(DIFFICULTIES) or None,
            "note": "",
        }

    def add_a(
        self, b: Branch, at: datetime, values: dict[str, Any], variant: str = "exact", **kw
    ) -> BranchSub:
        values = dict(values)
        if at < BDHVS_ADDED:
            values["bdhvs_completed"] = None  # the question did not exist yet
        sub = BranchSub(
            at=at,
            branch=b.code,
            branch_text=self.branch_text(b, variant),
            email=b.secretary_email or f"chibo.{self.ext_code(b.code).lower()}@{PERSONAL_DOMAIN}",
            reporter=b.secretary,
            values=values,
            **kw,
        )
        self.form_a.append(sub)
        return sub

    def build_form_a(self) -> None:
        rng = self.rng
        variants = ("exact", "exact", "lower", "alias", "short", "nodiac", "spaces")
        blank_task = dict.fromkeys(("task_name", *SIX_CLEAR_KEYS, "task_progress"))
        plan_only = {
            "session_date": None,
            "session_form": None,
            "participants": None,
            "contents": (),
            "invited_expert": None,
            **blank_task,
            **dict.fromkeys(COUNT_KEYS),
            "good_practices": None,
            "difficulties": None,
            "report_sent": False,
        }
        for b in self.branches:
            sit = SITUATIONS[b.code]
            v = variants[int(b.code[2:]) % len(variants)]
            if sit == "never_reported":
                continue
            if sit in ("on_time", "not_sent"):
                plan = self.day(date(2026, 4, 6), date(2026, 5, 8))
                session = self.day(date(2026, 6, 10), date(2026, 10, 28))
                facts = self.branch_facts(b, plan, session)
                final_day = min(session + timedelta(days=rng.randint(1, 6)), date(2026, 11, 6))
                if b.code in ("CB03", "CB10", "CB17", "CB11"):  # an early plan-only report
                    early = {**facts, **plan_only, "task_progress": "Chưa triển khai"}
                    self.add_a(
                        b, self.moment(plan + timedelta(days=rng.randint(1, 5))), early, "exact"
                    )
                if b.code == "CB02":
                    # two sessions on different dates ("ít nhất 01 lần", mục III.2): the first
                    # reported after it was held, the final submission names the second
                    first_session = session - timedelta(days=21)
                    assert first_session > plan, "the first session follows the plan"
                    early = {
                        **facts,
                        "session_date": first_session,
                        "session_form": "Trực tiếp",
                        "invited_expert": False,
                        "report_sent": False,
                    }
                    # a fixed time of day: one more random draw would reshuffle the ward
                    at = datetime.combine(first_session + timedelta(days=2), time(16, 5), TZ)
                    self.add_a(b, at, early, v)
                if b.code == "CB06":  # first figures impossible, corrected three days later
                    bad = {**facts, "participants": self.eligible(b.code) + 2}
                    sub = self.add_a(b, self.moment(session + timedelta(days=1)), bad, v)
                    final_day = session + timedelta(days=4)
                    sub.rejected["participants"] = "participants > total members - exempt members"
                    facts["note"] = "Sửa lại số đảng viên tham gia"
                facts["report_sent"] = sit == "on_time"
                if b.code == "CB07":
                    facts["good_practices"] = '=IMPORTXML("http://x","//a")'
                if b.code == "CB14":
                    facts["difficulties"] = (
                        "+ Nhiều đảng viên cao tuổi chưa có điện thoại thông minh"
                    )
                if b.code == "CB20":
                    facts["good_practices"] = "@Zalo chi bộ: mỗi tuần một mẹo kỹ năng số"
                sub = self.add_a(
                    b, self.moment(final_day), facts, "nodiac" if b.code == "CB12" else v
                )
                if b.code == "CB07":
                    sub.raw["total_members"] = f"{facts['total_members']},0"
                if b.code == "CB14":
                    sub.raw["registered"] = f"{facts['registered']},0"
            elif b.code == "CB05":  # plan issued late, everything else on time
                facts = self.branch_facts(b, date(2026, 6, 2), date(2026, 9, 18))
                facts["report_sent"] = True
                self.add_a(b, self.moment(date(2026, 9, 25)), facts, v)
            elif b.code == "CB09":  # session held late, report sent late
                facts = self.branch_facts(b, date(2026, 5, 4), date(2026, 11, 12))
                facts["report_sent"] = True
                self.add_a(b, self.moment(date(2026, 11, 14)), facts, v)
            elif b.code == "CB15":  # first without the report, then "Đã gửi" (late)
                facts = self.branch_facts(b, date(2026, 5, 7), date(2026, 10, 15))
                self.add_a(b, self.moment(date(2026, 10, 20)), facts, "alias")
                sent = {
                    **facts,
                    "report_sent": True,
                    "note": "Đã gửi bản giấy Biểu mẫu 03 ngày 10/11",
                }
                self.add_a(b, self.moment(date(2026, 11, 10)), sent, "exact")
            elif b.code == "CB22":  # plan year mistyped and task incomplete; corrected late
                facts = self.branch_facts(b, date(2026, 4, 18), date(2026, 9, 28))
                first = {
                    **facts,
                    "plan_date": date(2025, 4, 18),
                    "ro_quy_trinh": None,
                    "ro_san_pham": None,
                }
                sub = self.add_a(b, self.moment(date(2026, 10, 5)), first, "lower")
                sub.rejected["plan_date"] = "plan date outside the ward year 2026"
                fixed = {
                    **facts,
                    "report_sent": True,
                    "note": "Sửa ngày ban hành kế hoạch (gõ nhầm năm)",
                }
                self.add_a(b, self.moment(date(2026, 11, 16)), fixed, "exact")
            elif b.code == "CB08":  # only the plan: session, task, report overdue
                facts = {**self.branch_facts(b, date(2026, 5, 5), None), **plan_only}
                self.add_a(b, self.moment(date(2026, 5, 6)), facts, v)
            elif b.code == "CB16":  # session held, task with 3 of 6 rõ, report not sent
                facts = self.branch_facts(b, date(2026, 4, 28), date(2026, 10, 10))
                facts.update(ro_quy_trinh=None, ro_thoi_gian=None, ro_san_pham=None)
                self.add_a(b, self.moment(date(2026, 10, 12)), facts, v)
            elif b.code == "CB25":  # no plan, late session, no task, report not sent
                facts = {**self.branch_facts(b, None, date(2026, 11, 15)), **blank_task}
                self.add_a(b, self.moment(date(2026, 11, 17)), facts, v)
            else:  # pragma: no cover - SITUATIONS covers every branch
                raise AssertionError(b.code)
        # a branch name no roster entry matches
        stranger = BranchSub(
            at=self.moment(date(2026, 10, 30)),
            branch=None,
            branch_text=UNKNOWN_BRANCH_TEXT,
            email=f"tdp7@{PERSONAL_DOMAIN}",
            reporter="Lương Văn Phú",
            values={
                **self.branch_facts(self.branch("CB13"), date(2026, 5, 2), date(2026, 10, 25)),
                "total_members": 18,
                "exempt_members": 0,
                "participants": 17,
                "ro_nguoi": "Lương Văn Phú",
                "ro_trach_nhiem": "Đồng chí Lương Văn Phú",
            },
        )
        self.form_a.append(stranger)
        self.form_a.sort(key=lambda s: s.at)
        for i, s in enumerate(self.form_a):
            s.row = row_label(i)
        src = "thong_ke"
        self.invalid.append(
            InvalidRow(
                src,
                SOURCES[src][0],
                stranger.row,
                FORM_A_HEADER["branch"],
                UNKNOWN_BRANCH_TEXT,
                "unknown branch name",
                "row",
            )
        )
        for s in self.form_a:
            for key, why in s.rejected.items():
                self.invalid.append(
                    InvalidRow(
                        src,
                        SOURCES[src][0],
                        s.row,
                        FORM_A_HEADER[key],
                        self.render_a(s)[key],
                        why,
                        "field",
                        superseded=True,
                    )
                )
            for key, raw in s.raw.items():
                self.tolerated.append(
                    ToleratedValue(src, s.row, FORM_A_HEADER[key], raw, str(s.values[key]))
                )

    def render_a(self, s: BranchSub) -> dict[str, str]:
        cells: dict[str, str] = {}
        for key, _ in FORM_A_COLUMNS:
            if key == "timestamp":
                text = vi_ts(s.at)
            elif key == "email":
                text = s.email
            elif key == "branch":
                text = s.branch_text
            elif key == "reporter_name":
                text = s.reporter
            else:
                v = s.values.get(key)
                if v is None:
                    text = ""
                elif key == "contents":
                    text = ", ".join(v)
                elif key == "invited_expert":
                    text = "Có" if v else "Không"
                elif key == "report_sent":
                    text = "Đã gửi" if v else "Chưa gửi"
                elif isinstance(v, date):
                    text = dmy(v)
                else:
                    text = str(v)
            cells[key] = s.raw.get(key, text)
        return cells
