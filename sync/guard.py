"""No trust in a shrunken input: a read that would remove many stored responses, or a
roster that loses many branches, members or staff ("Bình dân học vụ số") at once, is held
back (pure decisions; the cycle keeps the stored data and shows why in "Lỗi dữ liệu").

A cut-off download still parses: a CSV cut at 40 % or left with only its header looks like
answers deleted at the source. Applying it would delete stored answers and send wrong
overdue notices; holding it back costs nothing but a row staff can act on.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sync.model import DataProblem, Roster

ROSTER_ID = "roster"  # what `kns run --accept-shrink` takes for the roster
ROSTER_SOURCE = "Danh sách chi bộ, đảng viên"  # "Nguồn" of a held roster's problem
STAFF_PART = "cán bộ (Bình dân học vụ số)"  # the staff roster, as a shrink names it


@dataclass(frozen=True)
class Shrink:
    before: int  # responses (or roster entries) stored
    after: int  # what the new read would leave
    detail: str  # Vietnamese: what shrank
    staff: bool = False  # the staff roster ("Bình dân học vụ số") is among what shrank


def response_shrink(
    stored: int,
    removed: int,
    read: int,
    *,
    max_share: float,
    lost_branches: Collection[str] = (),
) -> Shrink | None:
    """Whether a complete read that removes ``removed`` of ``stored`` responses (and reads
    ``read``) is suspect: header only, more than ``max_share`` removed, or a branch losing
    its only report (``lost_branches``)."""
    if stored == 0 or (removed == 0 and not lost_branches):
        return None
    after = read  # a complete read is what the store would hold
    if read == 0:
        return Shrink(stored, 0, "tệp chỉ còn dòng tiêu đề, không còn câu trả lời nào")
    if removed > max_share * stored:
        return Shrink(
            stored,
            after,
            f"lần đọc này sẽ xóa {removed}/{stored} câu trả lời đã lưu "
            f"({removed / stored:.0%}, ngưỡng {max_share:.0%})",
        )
    if lost_branches:
        codes = ", ".join(sorted(lost_branches))
        return Shrink(
            stored,
            after,
            f"chi bộ {codes} sẽ mất báo cáo duy nhất đã gửi",
        )
    return None


def lost_branches(before: Mapping[str, str], after: Mapping[str, str]) -> set[str]:
    """Branches with a report before (response id -> branch code) and none after."""
    return {b for b in before.values() if b} - {b for b in after.values() if b}


def roster_shrink(old: Roster, new: Roster, *, max_share: float) -> Shrink | None:
    """Whether ``new`` lost more than ``max_share`` of ``old``'s branches, members or staff
    (the staff roster of "Bình dân học vụ số": a file cut in half would silently drop half
    the learners)."""
    checks = [
        ("chi bộ", {b.code for b in old.branches}, {b.code for b in new.branches}),
        ("đảng viên", {m.code for m in old.members}, {m.code for m in new.members}),
    ]
    # no staff now means none configured (an empty staff file is a ConfigError): a change
    # of configuration, not a cut-off file
    if new.staff:
        checks.append((STAFF_PART, {s.code for s in old.staff}, {s.code for s in new.staff}))
    parts = []
    for what, old_codes, new_codes in checks:
        lost = len(old_codes - new_codes)
        if old_codes and (lost > max_share * len(old_codes) or not new_codes):
            parts.append(f"{what}: {len(old_codes)} → {len(new_codes)} (mất {lost})")
    if not parts:
        return None
    staff_shrank = any(p.startswith(STAFF_PART) for p in parts)
    # a staff roster no longer configured is not compared: not counted either
    before = len(old.branches) + len(old.members) + (len(old.staff) if new.staff else 0)
    after = len(new.branches) + len(new.members) + len(new.staff)
    return Shrink(before, after, "; ".join(parts), staff=staff_shrank)


def source_problem(source_title: str, source_id: str, shrink: Shrink) -> DataProblem:
    return DataProblem(
        source=source_title,
        record="",
        field="",
        raw_value=f"{shrink.before} → {shrink.after} câu trả lời",
        reason=(
            f"Nguồn vừa đọc ít hơn hẳn lần trước ({shrink.detail}). Có thể tệp tải về bị "
            f"thiếu hoặc lưu dở, nên chưa áp dụng: vẫn dùng {shrink.before} câu trả lời đã "
            "lưu. Nếu đúng là câu trả lời đã bị xóa, chạy `kns run --once --accept-shrink "
            f"{source_id}` (hoặc đặt 'accept_shrink: true' cho nguồn này trong cấu hình)"
        ),
    )


def roster_problem(label: str, shrink: Shrink) -> DataProblem:
    # one roster, one accept id: a shrunken staff roster is held back with the rest of it
    source = f"{ROSTER_SOURCE}, cán bộ" if shrink.staff else ROSTER_SOURCE
    return DataProblem(
        source=source,
        record="",
        field=label,
        raw_value=shrink.detail,
        reason=(
            f"Danh sách vừa đọc ít hơn hẳn lần trước ({shrink.detail}). Có thể tệp bị thiếu "
            "hoặc lưu dở, nên chưa áp dụng: vẫn dùng danh sách đã lưu. Nếu đúng là danh sách "
            f"đã thay đổi, chạy `kns run --once --accept-shrink {ROSTER_ID}` (hoặc đặt "
            "'roster.accept_shrink: true' trong cấu hình)"
        ),
    )
