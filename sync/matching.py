"""Match what respondents type to the roster: branch names and members (name + birth date).

Reasons are Vietnamese and never quote a roster member's birth date or another member's
name: they end up in the "Lỗi dữ liệu" tab that many people read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from sync.model import Branch, Member, Roster
from sync.text import fold, normalize_title

MatchStatus = Literal["found", "unknown", "ambiguous"]


@dataclass(frozen=True)
class BranchMatch:
    status: MatchStatus
    branch: Branch | None = None
    reason: str = ""  # Vietnamese, when not found

    @property
    def ok(self) -> bool:
        return self.branch is not None

    @property
    def code(self) -> str:
        return self.branch.code if self.branch else ""


@dataclass(frozen=True)
class MemberMatch:
    status: MatchStatus
    member: Member | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.member is not None

    @property
    def code(self) -> str:
        return self.member.code if self.member else ""


_CHI_BO = "chi bo "


def _without_chi_bo(folded: str) -> str:
    return folded.removeprefix(_CHI_BO)


class RosterIndex:
    """Lookup tables built once per cycle from the roster."""

    def __init__(self, roster: Roster) -> None:
        self.roster = roster
        self._branch_keys: list[tuple[Callable[[str], str], dict[str, set[str]]]] = []
        for key in (normalize_title, fold, lambda s: _without_chi_bo(fold(s))):
            table: dict[str, set[str]] = defaultdict(set)
            for b in roster.branches:
                for text in (b.name, *b.aliases):
                    k = key(text)
                    if k:
                        table[k].add(b.code)
            self._branch_keys.append((key, table))
        self._branches = {b.code: b for b in roster.branches}
        self._branch_memo: dict[str | None, BranchMatch] = {}
        self._members_by_name: dict[str, list[Member]] = defaultdict(list)
        self._sizes: dict[str, tuple[int, int]] = {}
        for m in roster.members:
            self._members_by_name[fold(m.name)].append(m)
            total, exempt = self._sizes.get(m.branch_code, (0, 0))
            self._sizes[m.branch_code] = (total + 1, exempt + int(m.exempt))

    def branch_size(self, code: str) -> tuple[int, int]:
        """(members, exempt members) of a branch in the roster."""
        return self._sizes.get(code, (0, 0))

    def namesakes(self, name: str) -> tuple[Member, ...]:
        """Members whose folded name equals ``name`` folded."""
        return tuple(self._members_by_name.get(fold(name), ()))

    # -- branches ---------------------------------------------------------------------

    def match_branch(self, text: str | None) -> BranchMatch:
        """Exact title comparison first, then folded, then folded without "Chi bộ"."""
        # every response names its branch, in a few spellings per branch: match each once
        found = self._branch_memo.get(text)
        if found is None:
            found = self._match_branch(text)
            if len(self._branch_memo) < 1 << 16:
                self._branch_memo[text] = found
        return found

    def _match_branch(self, text: str | None) -> BranchMatch:
        if text is None or not fold(text):
            return BranchMatch("unknown", reason="Chưa nhập tên chi bộ")
        for key, table in self._branch_keys:
            codes = table.get(key(text), set())
            if len(codes) == 1:
                return BranchMatch("found", self._branches[next(iter(codes))])
            if len(codes) > 1:
                return BranchMatch(
                    "ambiguous",
                    reason=(
                        "Tên chi bộ khớp nhiều chi bộ trong danh sách ("
                        + ", ".join(sorted(codes))
                        + "); hãy chọn đúng tên chi bộ hoặc sửa 'Tên gọi khác' trong danh sách"
                    ),
                )
        return BranchMatch(
            "unknown",
            reason=(
                "Không tìm thấy chi bộ có tên này trong danh sách chi bộ; nếu đây là tên gọi "
                "khác của một chi bộ, thêm vào cột 'Tên gọi khác' của danh sách"
            ),
        )

    # -- members ----------------------------------------------------------------------

    def match_member(
        self, name: str | None, birth_date: date | None, branch_code: str | None = None
    ) -> MemberMatch:
        """A member is identified by full name (folded) and birth date; the branch given in
        the answer only separates members who share both."""
        if name is None or not fold(name):
            return MemberMatch("unknown", reason="Chưa nhập họ và tên đảng viên")
        if birth_date is None:
            return MemberMatch("unknown", reason="Chưa có ngày sinh: không xác định được đảng viên")
        namesakes = self._members_by_name.get(fold(name), [])
        same = [m for m in namesakes if m.birth_date == birth_date]
        if not same:
            if namesakes:
                return MemberMatch(
                    "unknown",
                    reason=(
                        "Không tìm thấy đảng viên có họ tên và ngày sinh này trong danh sách: "
                        f"có {len(namesakes)} đảng viên trùng họ tên nhưng khác ngày sinh; "
                        "kiểm tra lại ngày sinh đã nhập hoặc trong danh sách đảng viên"
                    ),
                )
            return MemberMatch(
                "unknown",
                reason="Không tìm thấy đảng viên có họ tên và ngày sinh này trong danh sách",
            )
        if len(same) == 1:
            return MemberMatch("found", same[0])
        if branch_code:
            narrowed = [m for m in same if m.branch_code == branch_code]
            if len(narrowed) == 1:
                return MemberMatch("found", narrowed[0])
        return MemberMatch("ambiguous", reason=self._ambiguous_reason(same, branch_code))

    def _ambiguous_reason(self, same: Iterable[Member], branch_code: str | None) -> str:
        codes = sorted({m.branch_code for m in same})
        where = ", ".join(codes)
        if not branch_code:
            return (
                f"Có nhiều đảng viên cùng họ tên và ngày sinh (chi bộ {where}); cần ghi đúng "
                "chi bộ nơi sinh hoạt để phân biệt"
            )
        return (
            f"Có nhiều đảng viên cùng họ tên và ngày sinh (chi bộ {where}); chi bộ đã ghi "
            f"({branch_code}) không giúp phân biệt được"
        )
