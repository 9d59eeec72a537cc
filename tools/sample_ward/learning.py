"""Export D: the platform's "Bình dân học vụ số" results of the ward."""

from __future__ import annotations

from datetime import date

from tools.sample_ward.fmt import row_label
from tools.sample_ward.model import Branch, Learner
from tools.sample_ward.roster import WardBase
from tools.sample_ward.truth import InvalidRow
from tools.sample_ward.vocab import (
    LESSONS_TOTAL,
    PLANTED,
    SOURCES,
    UNKNOWN_UNIT_TEXT,
)


class Learning(WardBase):
    def learning_result(self) -> tuple[int, str, date | None]:
        rng = self.rng
        lessons = LESSONS_TOTAL if rng.random() < 0.6 else rng.randint(0, LESSONS_TOTAL - 1)
        if lessons == LESSONS_TOTAL:
            result = rng.choices(("Đạt", "Chưa đạt", ""), (85, 10, 5))[0]
        else:
            result = rng.choices(("", "Chưa đạt"), (70, 30))[0]
        done = self.day(date(2026, 3, 1), date(2026, 11, 20)) if result == "Đạt" else None
        return lessons, result, done

    def unit_text(self, b: Branch) -> str:
        variant = self.rng.choices(
            ("exact", "short", "alias", "nodiac", "lower"), (40, 20, 15, 15, 10)
        )[0]
        return self.branch_text(b, variant)

    def build_export_d(self) -> None:
        rng = self.rng
        rate = {"school": 0.7, "office": 0.6, "area": 0.35}
        rows: list[Learner] = []
        for m in self.members:
            b = self.branch(m.branch)
            if m.name in PLANTED or (not m.exempt and rng.random() < rate[b.kind]):
                lessons, result, done = self.learning_result()
                rows.append(
                    Learner(
                        m.name, m.birth, self.unit_text(b), b.code, m.code, lessons, result, done
                    )
                )
        for _ in range(40):  # residents, teachers, staff who are not party members
            b = rng.choice([b for b in self.branches if b.kind != "office"])
            name, birth = self.unique_person((1960, 2006), stranger=True)
            lessons, result, done = self.learning_result()
            rows.append(Learner(name, birth, self.unit_text(b), b.code, "", lessons, result, done))
        name, birth = self.unique_person((1985, 2000), stranger=True)
        lessons, result, done = self.learning_result()
        rows.append(Learner(name, birth, UNKNOWN_UNIT_TEXT, None, "", lessons, result, done))
        rng.shuffle(rows)
        for i, r in enumerate(rows):
            r.row = row_label(i)
        self.learners = rows
        src = "binh_dan_hoc_vu_so"
        bad = next(r for r in rows if r.branch is None)
        self.invalid.append(
            InvalidRow(
                src, SOURCES[src][0], bad.row, "Đơn vị", UNKNOWN_UNIT_TEXT, "unknown unit", "row"
            )
        )
