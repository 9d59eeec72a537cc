"""Every Vietnamese label and state text the summaries, the digest and the letters show,
in one place: a change of wording is made here once and reaches every output."""

from __future__ import annotations

from collections.abc import Mapping

from sync.model import Evidence, MilestoneState, MilestoneStatus

YES = "Có"
NOT_YET = "Chưa"

EVIDENCE_LABELS: Mapping[Evidence, str] = {
    Evidence.MEMBER: "Đảng viên (Biểu mẫu 01/02)",
    Evidence.BRANCH: "Báo cáo chi bộ",
    Evidence.MIXED: "Kết hợp",
    Evidence.NONE: "Chưa có số liệu",
}

# What a notice is, as the ledger tab ("Nhật ký gửi") and the digest's "last notice" name it.
ALERT_KIND_LABELS: Mapping[str, str] = {
    "reminder": "Nhắc hạn",
    "overdue": "Thông báo quá hạn",
    "escalation": "Thông báo quá hạn (đồng gửi Ủy viên phụ trách)",
    "digest": "Tổng hợp gửi Đảng ủy",
    "learning": "Đôn đốc học Bình dân học vụ số",
    "learning_digest": "Tổng hợp Bình dân học vụ số gửi Đảng ủy",
}

LEDGER_STATUS_LABELS: Mapping[str, str] = {
    "sent": "Đã gửi",
    "intent": "Đang gửi",
    "failed": "Lỗi",
    "unknown": "Không rõ (đã dừng giữa chừng)",
}


def alert_kind_label(kind: str) -> str:
    return ALERT_KIND_LABELS.get(kind, kind)


def milestone_text(ms: MilestoneStatus) -> str:
    """The Vietnamese state of one milestone for one branch or team ("Đúng hạn 10/05",
    "Trễ 3 ngày", "Chưa đến hạn", "Sắp đến hạn (còn 2 ngày)", "Quá hạn 16 ngày")."""
    if ms.state is MilestoneState.DONE_ON_TIME:
        return f"Đúng hạn {ms.done_on:%d/%m}" if ms.done_on else "Đúng hạn"
    if ms.state is MilestoneState.DONE_LATE:
        return f"Trễ {ms.days_overdue} ngày"
    if ms.state is MilestoneState.NOT_DUE:
        return "Chưa đến hạn"
    if ms.state is MilestoneState.DUE_SOON:
        if ms.days_left <= 0:
            return "Sắp đến hạn (hạn là hôm nay)"
        return f"Sắp đến hạn (còn {ms.days_left} ngày)"
    return f"Quá hạn {ms.days_overdue} ngày"
