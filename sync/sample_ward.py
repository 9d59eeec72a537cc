"""The bundled sample ward: a deterministic generator of its roster and form exports.

``python -m sync.sample_ward [--out config/sample] [--seed 2026]`` writes the roster
(``roster/``), the four exports (``exports/``) and a short README. Every run with the same
seed gives the same bytes: one ``random.Random(seed)``, no clock, fixed iteration order.

``generate(seed)`` also returns a ``Truth`` built from the generator's own model (never by
parsing the files): what the pipeline must find once it has read the messy files, and the
rows deliberately made invalid. The end-to-end test checks the pipeline's figures against it.

The sample is evaluated at ``NOW`` (Monday 23/11/2026 08:00, Asia/Ho_Chi_Minh); no
submission is later than that.

``tile_tables(seed, tile, used_people)`` gives one copy of the sample as rows (header first)
for a bigger ward made of many copies (``bench/scale_ward.py``): copy ``tile`` >= 1 has its
own branch codes, names and members, and shares ``used_people`` with the other copies so
nobody appears twice in the province. Tile 0 is the sample ward itself, byte for byte.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import random
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

import yaml

TZ = timezone(timedelta(hours=7))  # Asia/Ho_Chi_Minh has no DST
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=TZ)
ROOT = Path(__file__).resolve().parent.parent
RUBRIC_PATH = ROOT / "config" / "rubric-2026.yaml"
DEFAULT_OUT = ROOT / "config" / "sample"
DEFAULT_SEED = 2026

# Paths inside the output folder (config/example.yaml points at them).
BRANCHES_FILE = "roster/chi-bo.csv"
MEMBERS_FILE = "roster/dang-vien.csv"
FORM_A_FILE = "exports/thong-ke-chi-bo.csv"
FORM_B_FILE = "exports/bieu-mau-01.csv"
FORM_C_FILE = "exports/bieu-mau-02.csv"
EXPORT_D_FILE = "exports/binh-dan-hoc-vu-so.xlsx"
README_FILE = "README.md"

# How each CSV is encoded: (byte-order mark, CRLF line ends), as the real downloads differ.
CSV_STYLE: dict[str, tuple[bool, bool]] = {
    BRANCHES_FILE: (False, False),
    MEMBERS_FILE: (False, False),
    FORM_A_FILE: (True, True),
    FORM_B_FILE: (True, True),
    FORM_C_FILE: (False, True),
}
SAMPLE_MEMBERS = 500  # build_roster grows or shrinks the area branches to exactly this

# Source ids and titles as in config/example.yaml.
SOURCES: dict[str, tuple[str, str]] = {
    "thong_ke": ("Thống kê kết quả sinh hoạt chuyên đề 2026", FORM_A_FILE),
    "bieu_mau_01": ("Biểu mẫu 01 - Bản đăng ký, cam kết", FORM_B_FILE),
    "bieu_mau_02": ("Biểu mẫu 02 - Bảng chấm điểm", FORM_C_FILE),
    "binh_dan_hoc_vu_so": ("Kết quả học tập Bình dân học vụ số", EXPORT_D_FILE),
    # a unit's own download (sync/sample_staff.py: UNIT_EXPORT_ID, UNIT_EXPORT_FILE)
    "binh_dan_hoc_vu_so_don_vi": (
        "Kết quả học tập Bình dân học vụ số (tệp của đơn vị)",
        "exports/binh-dan-hoc-vu-so-don-vi.csv",
    ),
}

MAIL_DOMAIN = "phuongmau.example.vn"
PERSONAL_DOMAIN = "mail.example.vn"
NA_TEXT = "Không áp dụng (tính điểm tối đa)"
DONE, NOT_DONE = "Hoàn thành", "Chưa hoàn thành"
SELF, COMMITTEE = "Đảng viên tự chấm", "Cấp ủy chấm"
BDHVS_ADDED = datetime(2026, 9, 15, tzinfo=TZ)  # form A's last count question added then
LESSONS_TOTAL = 10  # lessons in the platform's course

Situation = Literal["on_time", "late", "overdue", "not_sent", "never_reported"]

# ---------------------------------------------------------------------------
# Truth: what the pipeline must find (plain dataclasses)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InvalidRow:
    """A value (or a whole row) the pipeline must reject and report as a data problem."""

    source_id: str
    source_title: str
    row: str  # "Dòng N", N = spreadsheet row (header is row 1)
    field: str  # column header exactly as in the file
    value: str  # raw cell text
    why: str  # English, for the test reader
    effect: Literal["row", "field"]  # the whole row is dropped, or only this answer
    superseded: bool = False  # a later valid submission of the same key replaces the row


@dataclass(frozen=True)
class ToleratedValue:
    """A messy value the pipeline must accept (and read as ``value``)."""

    source_id: str
    row: str
    field: str
    raw: str
    value: str


@dataclass(frozen=True)
class BranchTruth:
    code: str
    name: str
    situation: Situation
    roster_members: int
    roster_exempt: int
    reported: bool
    rows: tuple[str, ...]  # every form A row resolving to the branch, in file order
    final_row: str | None
    first_reported_at: datetime | None
    last_reported_at: datetime | None
    # facts of the final (latest) submission; None when blank or never reported
    plan_date: date | None
    session_date: date | None
    session_form: str | None
    total_members: int | None
    exempt_members: int | None
    participants: int | None
    contents: tuple[str, ...]
    invited_expert: bool | None
    task_name: str | None
    six_clear: dict[str, str | None]  # SIX_CLEAR_KEYS -> text as typed (dates dd/mm/yyyy)
    six_clear_filled: int
    task_registered: bool  # task name and all 6 rõ filled (final submission)
    task_registered_on: date | None  # first submission with the task and all 6 rõ
    task_progress: str | None
    counts: dict[str, int | None]  # BRANCH_COUNT_KEYS
    report_sent: bool
    report_sent_on: date | None  # local date of the first submission marked "Đã gửi"
    good_practices: str | None
    difficulties: str | None
    # every distinct session held by NOW: (date, form, invited expert) as the latest
    # submission naming that date says
    sessions: tuple[tuple[date, str | None, bool | None], ...]
    all_registered_on: date | None  # every non-exempt member has Biểu mẫu 01 (last date)
    all_scored_on: date | None  # every non-exempt member has a committee score (last date)


@dataclass(frozen=True)
class MemberTruth:
    code: str
    name: str
    birth_date: date
    branch_code: str
    exempt: bool
    registered: bool  # a valid Biểu mẫu 01 counts
    registration_complete: bool | None  # by the rubric's section rules; None: no registration
    registration_failed: tuple[str, ...]  # section ids whose rule fails
    registration_sections: dict[str, tuple[str, ...]]  # section id -> known items chosen
    self_assessment: dict[str, bool]  # grid row -> Hoàn thành; blank rows absent
    registration_row: str | None
    first_registered_at: datetime | None
    registered_at: datetime | None  # the final registration
    self_criteria: dict[int, float] | None  # final self sheet, N/A -> max, rejected absent
    self_total: float | None
    self_row: str | None
    committee_criteria: dict[int, float] | None
    committee_total: float | None
    committee_missing: tuple[int, ...]  # rejected/blank committee criteria (scored 0)
    committee_row: str | None
    committee_at: datetime | None
    # the final committee sheet has a rejected cell: no total, no band ("Cần kiểm tra lại")
    committee_review: bool
    first_scored_at: datetime | None  # the first committee sheet without a rejected cell
    band: str | None  # by committee total
    pending: bool  # self score only
    gap_flag: bool  # |self - committee| >= rubric threshold
    learning_lessons: int | None
    learning_passed: bool | None
    learning_completed_on: date | None


@dataclass(frozen=True)
class LearnerTruth:
    row: str
    name: str
    unit_text: str
    branch_code: str | None  # None: unknown unit (row rejected)
    member_code: str  # "" for learners who are not party members
    lessons: int
    passed: bool | None
    completed_on: date | None


@dataclass(frozen=True)
class Truth:
    seed: int
    now: datetime
    branches: dict[str, BranchTruth]
    members: dict[str, MemberTruth]
    learners: tuple[LearnerTruth, ...]
    invalid_rows: tuple[InvalidRow, ...]
    tolerated: tuple[ToleratedValue, ...]
    other_answers: tuple[ToleratedValue, ...]  # "Other" free text in form B checkboxes
    support: Any = None  # Form E: sync.sample_support.SupportTruth
    # "Bình dân học vụ số": every learner (sync.sample_staff.StaffTruth) and the rows of a
    # unit's own export (sync.sample_staff.UnitExportRow)
    staff: tuple[Any, ...] = ()
    unit_export: tuple[Any, ...] = ()


@dataclass(frozen=True)
class SampleWard:
    files: dict[str, bytes]  # path relative to the output folder -> bytes
    truth: Truth


# ---------------------------------------------------------------------------
# Vocabulary: names, branches, form titles
# ---------------------------------------------------------------------------

_SURNAMES = (
    ("Nguyễn", 30), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 4),
    ("Phan", 4), ("Vũ", 4), ("Võ", 3), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 2),
    ("Ngô", 2), ("Dương", 1), ("Lý", 1), ("Đinh", 1), ("Trương", 1), ("Mai", 1), ("Lương", 1),
)  # fmt: skip
_MIDDLE_M = ("Văn", "Văn", "Hữu", "Đức", "Minh", "Quốc", "Công", "Thanh", "Xuân", "Đình", "Ngọc")
_MIDDLE_F = ("Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Hồng", "Kim", "Phương")
_GIVEN_M = (
    "An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hoàng", "Huy", "Khánh", "Kiên",
    "Long", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quang", "Sơn", "Tài", "Thắng", "Thành",
    "Tiến", "Toàn", "Trung", "Tuấn", "Việt", "Vinh", "Hưng", "Lộc", "Đông", "Hậu", "Tâm",
)  # fmt: skip
_GIVEN_F = (
    "Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Huệ", "Hương", "Liên",
    "Linh", "Loan", "Mai", "My", "Nga", "Ngân", "Nhung", "Oanh", "Phượng", "Quyên", "Thảo",
    "Thủy", "Trang", "Tuyết", "Vân", "Xuân", "Yến", "Nhàn", "Hiền",
)  # fmt: skip

# Planted identity traps (never produced by the random name generator).
TWIN_NAME, TWIN_BIRTH = "Nguyễn Văn Hùng", date(1975, 3, 12)  # same name+birth, 2 branches
TWIN_BRANCHES = ("CB10", "CB15")
NAMESAKE_NAME = "Trần Thị Lan"  # same name, different birth dates, same branch
NAMESAKE_BIRTHS = (date(1980, 8, 5), date(1986, 11, 21))
NAMESAKE_BRANCH = "CB07"
_PLANTED = {TWIN_NAME, NAMESAKE_NAME}

# (name, aliases, kind). Codes CB01.. in this order.
_BRANCH_DEFS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("Chi bộ Văn phòng Đảng ủy", ("VP Đảng ủy",), "office"),
    ("Chi bộ Văn phòng HĐND - UBND phường", ("VP HĐND-UBND", "Văn phòng UBND"), "office"),
    ("Chi bộ Công an phường", ("Công an phường",), "office"),
    ("Chi bộ Ban Chỉ huy Quân sự phường", ("Quân sự phường",), "office"),
    ("Chi bộ Khối Mặt trận - Đoàn thể", ("MTTQ và các đoàn thể",), "office"),
    ("Chi bộ Trạm Y tế phường", ("Trạm Y tế",), "office"),
    ("Chi bộ Trường THCS Lê Lợi", ("THCS Lê Lợi",), "school"),
    ("Chi bộ Trường Tiểu học Nguyễn Du", ("TH Nguyễn Du",), "school"),
    ("Chi bộ Trường Mầm non Hoa Sen", ("MN Hoa Sen",), "school"),
    *((f"Chi bộ Khu phố {n}", (f"KP{n}",), "area") for n in range(1, 17)),
)

_SUPERVISORS = (
    ("Lê Thị Hoa", "hoa.lt"),
    ("Nguyễn Minh Tuấn", "tuan.nm"),
    ("Phạm Quốc Bảo", "bao.pq"),
    ("Đỗ Thị Thanh Hương", "huong.dtt"),
    ("Trần Văn Lực", "luc.tv"),
    ("Võ Ngọc Ánh", "anh.vn"),
)
NO_EMAIL_BRANCH = "CB21"  # its secretary has no e-mail: alerts are unaddressable

# Branch situations at NOW (form A).
SITUATIONS: dict[str, Situation] = {
    **dict.fromkeys(
        ("CB01", "CB02", "CB03", "CB06", "CB07", "CB10", "CB12", "CB14", "CB17", "CB20"),
        "on_time",
    ),
    **dict.fromkeys(("CB05", "CB09", "CB15", "CB22"), "late"),
    **dict.fromkeys(("CB08", "CB16", "CB25"), "overdue"),
    **dict.fromkeys(("CB04", "CB11", "CB18", "CB23"), "not_sent"),
    **dict.fromkeys(("CB13", "CB19", "CB21", "CB24"), "never_reported"),
}
UNKNOWN_BRANCH_TEXT = "Chi bộ Tổ dân phố 7"
UNKNOWN_UNIT_TEXT = "Công ty TNHH Minh Phát"

SESSION_FORMS = ("Trực tiếp", "Trực tuyến", "Kết hợp trực tiếp và trực tuyến")
CONTENTS = (
    "Nâng cao nhận thức về chuyển đổi số (mục 3.1)",
    "Hướng dẫn, tập huấn kỹ năng số cơ bản (mục 3.2)",
    "Ứng dụng kỹ năng số trong công việc, cuộc sống (mục 3.3)",
    'Phần việc "Chi bộ tiên phong chuyển đổi số" (mục 3.4)',
    'Đăng ký phần việc "Cán bộ số, đảng viên số tiêu biểu" (mục 3.5)',
)
PROGRESS = ("Chưa triển khai", "Đang thực hiện", "Đã hoàn thành")
SIX_CLEAR_KEYS = (
    "ro_nguoi", "ro_viec", "ro_quy_trinh", "ro_thoi_gian", "ro_trach_nhiem", "ro_san_pham",
)  # fmt: skip
COUNT_KEYS = (
    "registered", "registered_item", "proficient", "handbook", "social_declared",
    "positive_sharing", "trained", "bdhvs_completed",
)  # fmt: skip

# Form A columns: (canonical key, header exactly as in this ward's export).
FORM_A_COLUMNS: tuple[tuple[str, str], ...] = (
    ("timestamp", "Dấu thời gian"),
    ("email", "Địa chỉ email"),
    ("branch", "Tên Chi Bộ "),  # caps + trailing space
    ("reporter_name", "Họ và tên người báo cáo"),
    ("plan_date", "Ngày ban hành kế hoạch của chi bộ"),
    ("session_date", "Ngày sinh hoạt chuyên đề"),  # shortened title
    ("session_form", "Hình thức sinh hoạt"),
    ("total_members", "Tổng số đảng viên của chi bộ"),
    ("exempt_members", "Số đảng viên được miễn sinh hoạt"),
    # typed on another keyboard: decomposed Unicode
    ("participants", unicodedata.normalize("NFD", "Số đảng viên tham gia sinh hoạt chuyên đề")),
    ("contents", "Nội dung đã triển khai tại buổi sinh hoạt"),
    ("invited_expert", "Có mời báo cáo viên hoặc Tổ công nghệ số cộng đồng hướng dẫn thực hành"),
    ("task_name", 'Tên nhiệm vụ "Chi bộ tiên phong chuyển đổi số" đã đăng ký'),
    ("ro_nguoi", "Rõ người (người phụ trách)"),
    ("ro_viec", "Rõ việc (nội dung công việc)"),
    ("ro_quy_trinh", "Rõ quy trình (các bước thực hiện)"),
    ("ro_thoi_gian", "Rõ thời gian (thời hạn hoàn thành)"),
    ("ro_trach_nhiem", "Rõ trách nhiệm (người chịu trách nhiệm)"),
    ("ro_san_pham", "Rõ sản phẩm (sản phẩm đầu ra)"),
    ("task_progress", "Tiến độ nhiệm vụ"),
    ("registered", "Số đảng viên có bản đăng ký (Biểu mẫu 01)"),
    ("registered_item", 'Số đảng viên đăng ký phần việc "Cán bộ số, đảng viên số tiêu biểu"'),
    ("proficient", "Số đảng viên sử dụng thành thạo máy tính, điện thoại thông minh"),
    ("handbook", "Số đảng viên sử dụng Sổ tay đảng viên điện tử"),
    ("social_declared", "Số đảng viên đã khai báo tài khoản mạng xã hội"),
    ("positive_sharing", "Số đảng viên tham gia tuyên truyền thông tin tích cực trên mạng xã hội"),
    ("trained", "Số đảng viên đã tham gia bồi dưỡng, tập huấn kỹ năng số"),
    # added to the form later: empty for rows before BDHVS_ADDED
    ("bdhvs_completed", 'Số đảng viên hoàn thành học tập trên nền tảng "Bình dân học vụ số"'),
    ("report_sent", "Đã gửi báo cáo tổng kết (Biểu mẫu 03)"),
    ("good_practices", "Mô hình, cách làm hay"),
    ("difficulties", "Khó khăn, vướng mắc, kiến nghị, đề xuất"),
    ("note", "Ghi chú"),  # extra column no mapping binds
)
FORM_A_HEADER = dict(FORM_A_COLUMNS)

EXPORT_D_SHEET = "Kết quả học tập"
EXPORT_D_HEADER = (
    "Họ và tên", "Ngày sinh", "Đơn vị", "Số bài học đã hoàn thành", "Kết quả đánh giá",
    "Ngày hoàn thành",
)  # fmt: skip

_TASKS = (
    "Hướng dẫn 100% hộ gia đình cài đặt, sử dụng ứng dụng VNeID mức 2",
    "Số hóa hồ sơ, tài liệu sinh hoạt chi bộ",
    "Chuyển 100% thông báo của chi bộ lên nhóm Zalo và Sổ tay đảng viên điện tử",
    "Hỗ trợ người dân nộp hồ sơ dịch vụ công trực tuyến toàn trình",
    "Thanh toán không dùng tiền mặt tại chợ và cửa hàng trên địa bàn",
    "Tổ công nghệ số cộng đồng hỗ trợ người cao tuổi sử dụng điện thoại thông minh",
)
_PRODUCTS = (
    "Danh sách hộ đã cài đặt VNeID mức 2",
    "Kho hồ sơ điện tử của chi bộ",
    "Nhóm Zalo chi bộ hoạt động thường xuyên",
    "Báo cáo số hồ sơ nộp trực tuyến hằng tháng",
    "Bản đồ điểm thanh toán không dùng tiền mặt",
    "Sổ theo dõi các buổi hỗ trợ",
)
_PRACTICES = (
    "Mỗi đảng viên kèm cặp 2 hộ gia đình sử dụng dịch vụ công trực tuyến",
    "Sinh hoạt chi bộ kết hợp trình chiếu, hướng dẫn trực tiếp trên điện thoại",
    "Lập nhóm Zalo chi bộ, mỗi tuần chia sẻ một mẹo kỹ năng số",
    "Phân công đảng viên trẻ hỗ trợ đảng viên cao tuổi",
)
_DIFFICULTIES = (
    "Một số đảng viên cao tuổi chưa có điện thoại thông minh",
    "Đường truyền Internet tại nhà văn hóa khu phố chưa ổn định",
    "Đề nghị Đảng ủy tổ chức thêm lớp tập huấn chữ ký số",
    "",
)
_OTHER_ANSWERS = {
    "s2": ("Sử dụng Zalo để trao đổi công việc", "Hướng dẫn người dân cài VNeID, dịch vụ công"),
    "s4": ("Tham gia Tổ công nghệ số cộng đồng", "Làm video hướng dẫn, chia sẻ lên TikTok"),
}

# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def _ascii(s: str) -> str:
    """No diacritics (đ -> d), for e-mail slugs and 'typed without diacritics' variants."""
    s = s.replace("đ", "d").replace("Đ", "D")
    s = unicodedata.normalize("NFD", s)
    return "".join(ch for ch in s if not unicodedata.combining(ch))


def _slug(name: str) -> str:
    return _ascii(name).lower().replace(" ", "")


def _fold(s: str) -> str:
    return " ".join(_ascii(s).casefold().split())


def _row_label(index: int) -> str:
    return f"Dòng {index + 2}"  # header is row 1


def _dmy(d: date | None) -> str:
    return "" if d is None else f"{d.day:02d}/{d.month:02d}/{d.year}"


def _mdy(d: date) -> str:
    return f"{d.month:02d}/{d.day:02d}/{d.year}"


def _vi_ts(t: datetime) -> str:
    return f"{_dmy(t.date())} {t:%H:%M:%S}"


def _en_ts(t: datetime) -> str:
    return f"{_mdy(t.date())} {t:%H:%M:%S}"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x).replace(".", ",")


def _csv_bytes(rows: list[list[str]], *, bom: bool, crlf: bool = True) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n" if crlf else "\n")
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")


def _load_rubric() -> dict:
    return yaml.safe_load(RUBRIC_PATH.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------
# The generator's model
# ---------------------------------------------------------------------------


@dataclass
class _Branch:
    code: str
    name: str
    aliases: tuple[str, ...]
    kind: str
    secretary: str = ""
    secretary_email: str = ""
    supervisor: str = ""
    supervisor_email: str = ""


@dataclass
class _Member:
    code: str
    name: str
    birth: date
    branch: str
    exempt: bool
    position: str
    email: str


@dataclass
class _BranchSub:
    """One form A submission, by value; ``raw`` overrides the rendering of a cell."""

    at: datetime
    branch: str | None  # None: the typed name matches no branch
    branch_text: str
    email: str
    reporter: str
    values: dict[str, Any]
    raw: dict[str, str] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)  # key -> why
    row: str = ""


@dataclass
class _RegSub:
    at: datetime
    member: _Member | None
    name_text: str
    birth: date
    branch_text: str
    position: str
    sections: dict[str, tuple[str, ...]]
    others: dict[str, str]  # section id -> "Other" free text
    grid: dict[str, bool | None]
    row: str = ""


@dataclass
class _ScoreSub:
    at: datetime
    member: _Member | None
    name_text: str
    birth: date
    branch_text: str
    scorer: str
    email: str
    values: dict[int, float]  # accepted values (N/A already -> max)
    raw: dict[int, str]  # rendered cells
    rejected: dict[int, str] = field(default_factory=dict)  # criterion -> why
    tolerated: dict[int, str] = field(default_factory=dict)  # criterion -> canonical reading
    row: str = ""


@dataclass
class _Learner:
    name: str
    birth: date
    unit_text: str
    branch: str | None
    member: str
    lessons: int
    result: str
    completed_on: date | None
    row: str = ""


class _Builder:
    def __init__(
        self,
        seed: int,
        tile: int = 0,
        used_people: set[tuple[str, date]] | None = None,
        members: int = SAMPLE_MEMBERS,
    ) -> None:
        self.seed = seed
        self.tile = tile  # 0: the sample ward; k >= 1: copy k of a tiled ward
        self.n_members = members
        self.rng = random.Random(seed)
        rubric = _load_rubric()
        self.criteria: list[tuple[int, float, str]] = [
            (int(c["number"]), float(c["max"]), str(c["title"])) for c in rubric["criteria"]
        ]
        self.maxima = {n: m for n, m, _ in self.criteria}
        self.sections: list[dict] = rubric["registration"]
        self.grid_rows: list[str] = list(rubric["self_assessment_rows"])
        self.bands = sorted(rubric["bands"], key=lambda b: -float(b["min"]))
        self.gap_threshold = float(rubric.get("gap_review_threshold", 10))
        self.branches: list[_Branch] = []
        self.members: list[_Member] = []
        self.form_a: list[_BranchSub] = []
        self.form_b: list[_RegSub] = []
        self.form_c: list[_ScoreSub] = []
        self.learners: list[_Learner] = []
        self.invalid: list[InvalidRow] = []
        self.tolerated: list[ToleratedValue] = []
        self.other_answers: list[ToleratedValue] = []
        # shared between the copies of a tiled ward: (folded name, birth) unique across all
        self._used_people: set[tuple[str, date]] = set() if used_people is None else used_people

    # -- tiles --------------------------------------------------------------------------
    # The generator's logic keys on the sample's codes (CB01..CB25, "CB10" is a twin's
    # branch...), so copies keep them inside and only render other codes and names.

    def ext_code(self, code: str) -> str:
        """A branch code as written in the files: CB07 in the sample, CB + 4 digits
        numbered across the province in copy k >= 1 (CB0026.. in copy 1)."""
        if self.tile == 0:
            return code
        return f"CB{self.tile * len(_BRANCH_DEFS) + int(code[2:]):04d}"

    def member_code(self, n: int) -> str:
        # copy k: DV + 3 digits of k + 4 of n, whatever the copies' sizes
        return f"DV{n:04d}" if self.tile == 0 else f"DV{self.tile:03d}{n:04d}"

    def suffixed(self, name: str) -> str:
        """Copy k's branch names end in " - Phường k": the suffix survives every variant
        (no diacritics, lower case, short form, alias), so each still names one branch."""
        return name if self.tile == 0 else f"{name} - Phường {self.tile}"

    def planted_birth(self, d: date) -> date:
        # the identity traps stay traps inside each copy, but are not shared between copies
        return d + timedelta(days=self.tile)

    # -- helpers ----------------------------------------------------------------------

    def branch(self, code: str) -> _Branch:
        return next(b for b in self.branches if b.code == code)

    def members_of(self, code: str) -> list[_Member]:
        return [m for m in self.members if m.branch == code]

    def eligible(self, code: str) -> int:
        return sum(1 for m in self.members_of(code) if not m.exempt)

    def day(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def moment(self, d: date, earliest: int = 7, latest: int = 21) -> datetime:
        t = time(
            self.rng.randint(earliest, latest), self.rng.randint(0, 59), self.rng.randint(0, 59)
        )
        return datetime.combine(d, t, tzinfo=TZ)

    def person_name(self) -> tuple[str, bool]:
        """A random full name (and whether female), never one of the planted names."""
        while True:
            surname = self.rng.choices([s for s, _ in _SURNAMES], [w for _, w in _SURNAMES])[0]
            female = self.rng.random() < 0.45
            middle = self.rng.choice(_MIDDLE_F if female else _MIDDLE_M)
            given = self.rng.choice(_GIVEN_F if female else _GIVEN_M)
            name = f"{surname} {middle} {given}"
            if name not in _PLANTED:
                return name, female

    def unique_person(self, years: tuple[int, int], stranger: bool = False) -> tuple[str, date]:
        """A name + birth date not used by anyone else in the sample (compared folded).

        ``stranger``: someone who is not a party member; their name matches no member at all.
        """
        roster_names = {_fold(m.name) for m in self.members} if stranger else set()
        while True:
            name, _ = self.person_name()
            birth = self.day(date(years[0], 1, 1), date(years[1], 12, 28))
            key = (_fold(name), birth)
            if key not in self._used_people and key[0] not in roster_names:
                self._used_people.add(key)
                return name, birth

    def branch_text(self, b: _Branch, variant: str) -> str:
        short = b.name.removeprefix("Chi bộ ")
        return {
            "exact": b.name,
            "nodiac": _ascii(short).lower(),  # "khu pho 3"
            "lower": b.name.lower(),
            "alias": b.aliases[0],
            "short": short,
            "spaces": "  " + b.name.replace(" ", "  ", 1) + " ",
        }[variant]

    # -- roster -----------------------------------------------------------------------

    def build_roster(self) -> None:
        for i, (name, aliases, kind) in enumerate(_BRANCH_DEFS, start=1):
            sup_name, sup_mail = _SUPERVISORS[(i - 1) % len(_SUPERVISORS)]
            if self.tile:
                sup_mail = f"{sup_mail}.p{self.tile}"  # each copy (ward) has its own committee
            self.branches.append(
                _Branch(
                    code=f"CB{i:02d}",
                    name=self.suffixed(name),
                    aliases=tuple(self.suffixed(a) for a in aliases),
                    kind=kind,
                    supervisor=sup_name,
                    supervisor_email=f"{sup_mail}@{MAIL_DOMAIN}",
                )
            )
        sizes = {
            b.code: self.rng.randint(
                *{"office": (9, 16), "school": (14, 22), "area": (20, 30)}[b.kind]
            )
            for b in self.branches
        }
        # adjust area branches so the ward has exactly 500 members (or self.n_members)
        areas = [b.code for b in self.branches if b.kind == "area"]
        i = 0
        while sum(sizes.values()) != self.n_members:
            code = areas[i % len(areas)]
            sizes[code] += 1 if sum(sizes.values()) < self.n_members else -1
            i += 1
        years = {"office": (1968, 1998), "school": (1970, 1998), "area": (1945, 1990)}
        n = 0
        twin_birth = self.planted_birth(TWIN_BIRTH)
        namesake_births = tuple(self.planted_birth(d) for d in NAMESAKE_BIRTHS)
        for b in self.branches:
            people: list[tuple[str, date]] = [
                self.unique_person(years[b.kind]) for _ in range(sizes[b.code])
            ]
            # planted identity traps replace the last generated people of their branches
            if b.code in TWIN_BRANCHES:
                people[-1] = (TWIN_NAME, twin_birth)
            if b.code == NAMESAKE_BRANCH:
                people[-2:] = [
                    (NAMESAKE_NAME, namesake_births[0]),
                    (NAMESAKE_NAME, namesake_births[1]),
                ]
            for name, birth in people:
                n += 1
                self.members.append(
                    _Member(
                        code=self.member_code(n),
                        name=name,
                        birth=birth,
                        branch=b.code,
                        exempt=False,
                        position=self.position(b),
                        email=f"{_slug(name)}{n % 97:02d}@{PERSONAL_DOMAIN}",
                    )
                )
        for key in (
            (_fold(TWIN_NAME), twin_birth),
            *((_fold(NAMESAKE_NAME), d) for d in namesake_births),
        ):
            self._used_people.add(key)
        # ~3% exempt ("miễn sinh hoạt"): elderly members of area branches
        area_members = [
            m
            for m in self.members
            if self.branch(m.branch).kind == "area" and m.name not in _PLANTED
        ]
        for m in sorted(self.rng.sample(area_members, 15), key=lambda m: m.code):
            m.exempt = True
            m.position = "Hưu trí"
            self._used_people.discard((_fold(m.name), m.birth))
            m.birth = date(self.rng.randint(1936, 1944), m.birth.month, min(m.birth.day, 28))
            while (_fold(m.name), m.birth) in self._used_people:
                # only ever taken in a tiled province (another copy's elderly namesake)
                m.birth = date(self.rng.randint(1936, 1944), m.birth.month, min(m.birth.day, 28))
            self._used_people.add((_fold(m.name), m.birth))
        for b in self.branches:
            sec = next(
                m for m in self.members_of(b.code) if not m.exempt and m.name not in _PLANTED
            )
            b.secretary = sec.name
            if b.code != NO_EMAIL_BRANCH:
                b.secretary_email = (
                    f"{_slug(sec.name)}.{self.ext_code(b.code).lower()}@{MAIL_DOMAIN}"
                )

    def position(self, b: _Branch) -> str:
        unit = b.name.removeprefix("Chi bộ ")
        if b.kind == "area":
            return self.rng.choice(
                (
                    "Hưu trí",
                    "Hưu trí",
                    "Tổ trưởng tổ dân phố",
                    "Kinh doanh tự do",
                    "Cựu chiến binh",
                    "Công nhân, Công ty May Việt Tiến",
                    "Nhân viên văn phòng",
                )
            )
        roles = ("Giáo viên", "Giáo viên", "Tổ trưởng chuyên môn", "Phó Hiệu trưởng", "Nhân viên")
        if b.kind == "office":
            roles = ("Chuyên viên", "Chuyên viên", "Cán bộ", "Phó Trưởng ban", "Nhân viên")
        return f"{self.rng.choice(roles)}, {unit}"

    # -- form A -----------------------------------------------------------------------

    def branch_facts(self, b: _Branch, plan: date | None, session: date | None) -> dict[str, Any]:
        rng = self.rng
        members = self.members_of(b.code)
        total = len(members)
        exempt = sum(m.exempt for m in members)
        elig = total - exempt
        task = rng.randrange(len(_TASKS))
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
            "task_name": _TASKS[task],
            "ro_nguoi": b.secretary,
            "ro_viec": _TASKS[task],
            "ro_quy_trinh": "B1: khảo sát; B2: tập huấn; B3: hỗ trợ tận nơi; B4: sơ kết, đánh giá",
            "ro_thoi_gian": _dmy(date(2026, 12, rng.choice((15, 20, 31)))),
            "ro_trach_nhiem": f"Đồng chí {b.secretary}, Bí thư chi bộ",
            "ro_san_pham": _PRODUCTS[task],
            "task_progress": rng.choice(PROGRESS[1:]),
            **counts,
            "report_sent": False,
            "good_practices": rng.choice(_PRACTICES),
            "difficulties": rng.choice(_DIFFICULTIES) or None,
            "note": "",
        }

    def add_a(
        self, b: _Branch, at: datetime, values: dict[str, Any], variant: str = "exact", **kw
    ) -> _BranchSub:
        values = dict(values)
        if at < BDHVS_ADDED:
            values["bdhvs_completed"] = None  # the question did not exist yet
        sub = _BranchSub(
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
        stranger = _BranchSub(
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
            s.row = _row_label(i)
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

    def render_a(self, s: _BranchSub) -> dict[str, str]:
        cells: dict[str, str] = {}
        for key, _ in FORM_A_COLUMNS:
            if key == "timestamp":
                text = _vi_ts(s.at)
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
                    text = _dmy(v)
                else:
                    text = str(v)
            cells[key] = s.raw.get(key, text)
        return cells

    # -- form B -----------------------------------------------------------------------

    def choose_sections(self, complete: bool) -> dict[str, tuple[str, ...]]:
        rng = self.rng
        chosen: dict[str, tuple[str, ...]] = {}
        for sec in self.sections:
            items: list[str] = list(sec["items"])
            if sec["rule"] == "all":
                pick = items
            elif sec["rule"] == "at_least":
                pick = rng.sample(items, rng.randint(int(sec["at_least"]), len(items)))
            else:
                pick = rng.sample(items, rng.randint(0, len(items)))
            chosen[sec["id"]] = tuple(i for i in items if i in pick)  # form order
        if not complete:  # break exactly one rule
            sec = rng.choice([s for s in self.sections if s["rule"] != "none"])
            items = list(sec["items"])
            if sec["rule"] == "all":
                drop = rng.choice(items)
                chosen[sec["id"]] = tuple(i for i in items if i != drop)
            else:
                keep = set(rng.sample(items, int(sec["at_least"]) - 1))
                chosen[sec["id"]] = tuple(i for i in items if i in keep)
        return chosen

    def failed_sections(self, sections: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
        failed = []
        for sec in self.sections:
            got = len(sections.get(sec["id"], ()))
            if (sec["rule"] == "all" and got < len(sec["items"])) or (
                sec["rule"] == "at_least" and got < int(sec["at_least"])
            ):
                failed.append(sec["id"])
        return tuple(failed)

    def grid(self, at: datetime) -> dict[str, bool | None]:
        if at.date() < date(2026, 11, 1):
            return dict.fromkeys(self.grid_rows)  # year-end grid not filled yet
        return {r: self.rng.choices((True, False, None), (80, 15, 5))[0] for r in self.grid_rows}

    def name_variant(self, name: str) -> str:
        r = self.rng.random()
        if r < 0.02:
            return name.lower()
        if r < 0.035:
            return _ascii(name)
        if r < 0.045:
            return name.upper()
        if r < 0.055:
            return " " + name.replace(" ", "  ") + " "
        return name

    def add_b(self, m: _Member, at: datetime, complete: bool) -> _RegSub:
        sub = _RegSub(
            at=at,
            member=m,
            name_text=self.name_variant(m.name),
            birth=m.birth,
            branch_text=self.branch(m.branch).name,
            position=m.position,
            sections=self.choose_sections(complete),
            others={},
            grid=self.grid(at),
        )
        self.form_b.append(sub)
        return sub

    def build_form_b(self) -> None:
        rng = self.rng
        rate = {
            "on_time": 0.93,
            "late": 0.85,
            "not_sent": 0.85,
            "overdue": 0.7,
            "never_reported": 0.5,
        }
        full = {"CB01": date(2026, 11, 10), "CB06": date(2026, 11, 10), "CB02": date(2026, 11, 15)}
        registrants: list[_Member] = []
        for m in self.members:
            b = self.branch(m.branch)
            p = 0.3 if m.exempt else rate[SITUATIONS[b.code]]
            if m.name in _PLANTED or (b.code in full and not m.exempt) or rng.random() < p:
                registrants.append(m)
        resubmit = set(rng.sample([m.code for m in registrants if m.name not in _PLANTED], 28))
        kinds = ["fix"] * 12 + ["grid"] * 13 + ["worse"] * 3
        rng.shuffle(kinds)
        for m in registrants:
            b = self.branch(m.branch)
            last = full.get(
                b.code,
                date(2026, 11, 15) if SITUATIONS[b.code] == "on_time" else date(2026, 11, 22),
            )
            first_day = self.day(date(2026, 5, 12), last)
            if m.code in resubmit:
                kind = kinds.pop()
                first_day = self.day(date(2026, 5, 12), date(2026, 10, 20))
                second = self.moment(self.day(first_day + timedelta(days=5), last))
                if kind == "grid":
                    second = self.moment(self.day(date(2026, 11, 2), last))
                self.add_b(m, self.moment(first_day), complete=kind != "fix")
                self.add_b(m, second, complete=kind != "worse")
            else:
                self.add_b(m, self.moment(first_day), complete=rng.random() < 0.86)
        # CB02's last member registers after the milestone (done late)
        cb02 = [s for s in self.form_b if s.member and s.member.branch == "CB02"]
        late = next(s for s in reversed(cb02) if s.member and s.member.code not in resubmit)
        late.at = self.moment(date(2026, 11, 20))
        late.grid = self.grid(late.at)
        # "Other" free text (some containing commas)
        subs = [s for s in self.form_b if s.member and s.member.name not in _PLANTED]
        for i, s in enumerate(rng.sample(subs, 4)):
            sid = "s2" if i % 2 == 0 else "s4"
            s.others[sid] = _OTHER_ANSWERS[sid][i // 2]
        # a person who is not on the roster
        name, birth = self.unique_person((1970, 1995), stranger=True)
        b = self.branch("CB11")
        stranger = _RegSub(
            at=self.moment(date(2026, 10, 14)),
            member=None,
            name_text=name,
            birth=birth,
            branch_text=b.name,
            position=f"Nhân viên, {b.name.removeprefix('Chi bộ ')}",
            sections=self.choose_sections(True),
            others={},
            grid=dict.fromkeys(self.grid_rows),
        )
        self.form_b.append(stranger)
        self.form_b.sort(key=lambda s: s.at)
        for i, s in enumerate(self.form_b):
            s.row = _row_label(i)
        src = "bieu_mau_01"
        self.invalid.append(
            InvalidRow(
                src,
                SOURCES[src][0],
                stranger.row,
                "Họ và tên",
                name,
                "person not on the roster",
                "row",
            )
        )
        for s in self.form_b:
            for sid, text in s.others.items():
                self.other_answers.append(
                    ToleratedValue(src, s.row, self.section_title(sid), text, "")
                )

    def section_title(self, sid: str) -> str:
        sec = next(s for s in self.sections if s["id"] == sid)
        if sec["rule"] == "all":
            return f"{sec['title']} (bắt buộc)"
        if sec["rule"] == "at_least":
            return f"{sec['title']} (chọn ít nhất {sec['at_least']} nội dung)"
        return str(sec["title"])

    # -- form C -----------------------------------------------------------------------

    def band_target(self) -> int:
        band = self.rng.choices(("xs", "kha", "dat", "cd"), (35, 35, 20, 10))[0]
        lo, hi = {"xs": (91, 100), "kha": (81, 90), "dat": (71, 80), "cd": (52, 70)}[band]
        return self.rng.randint(lo, hi)

    def sheet(self, target: float, registered: bool) -> dict[int, float]:
        """Per-criterion integer values summing to ``target`` (0..max each)."""
        vals = {n: m for n, m, _ in self.criteria}
        if not registered:
            vals[11] = 0.0  # no Biểu mẫu 01
        deficit = int(sum(vals.values()) - target)
        numbers = [n for n, _, _ in self.criteria]
        while deficit > 0:
            n = self.rng.choice(numbers)
            if vals[n] >= 1:
                vals[n] -= 1
                deficit -= 1
        return vals

    def raise_sheet(self, base: dict[int, float], delta: int) -> dict[int, float]:
        vals = dict(base)
        numbers = [n for n, _, _ in self.criteria]
        while delta > 0 and any(vals[n] < self.maxima[n] for n in numbers):
            n = self.rng.choice(numbers)
            if vals[n] + 1 <= self.maxima[n]:
                vals[n] += 1
                delta -= 1
        return vals

    def add_c(self, m: _Member, scorer: str, at: datetime, vals: dict[int, float]) -> _ScoreSub:
        b = self.branch(m.branch)
        retiree = m.position == "Hưu trí"
        raw = {}
        for n, v in vals.items():
            na = n == 7 and retiree and v == self.maxima[n] and self.rng.random() < 0.6
            raw[n] = NA_TEXT if na else _num(v)
        sub = _ScoreSub(
            at=at,
            member=m,
            name_text=self.name_variant(m.name),
            birth=m.birth,
            branch_text=b.name,
            scorer=scorer,
            email=m.email if scorer == SELF else b.secretary_email,
            values=dict(vals),
            raw=raw,
        )
        for n, text in raw.items():
            if text == NA_TEXT:
                sub.tolerated[n] = f"N/A -> {_num(self.maxima[n])}"
        self.form_c.append(sub)
        return sub

    def build_form_c(self) -> None:
        rng = self.rng
        registered = {s.member.code for s in self.form_b if s.member}
        committee_rate = {
            "on_time": 0.88,
            "late": 0.82,
            "not_sent": 0.78,
            "overdue": 0.35,
            "never_reported": 0.0,
        }
        committee: dict[str, dict[int, float]] = {}
        selfs: dict[str, dict[int, float]] = {}
        for m in self.members:
            sit = SITUATIONS[m.branch]
            reg = m.code in registered
            scored = (
                (m.branch == "CB01" and not m.exempt)
                or m.name in _PLANTED
                or (not m.exempt and rng.random() < committee_rate[sit])
            )
            if scored:
                committee[m.code] = self.sheet(self.band_target(), reg)
            if m.name in _PLANTED or rng.random() < (0.88 if reg else 0.15):
                if m.code in committee:
                    selfs[m.code] = self.raise_sheet(
                        committee[m.code], rng.choice((0, 0, 1, 2, 3, 4, 5))
                    )
                else:
                    selfs[m.code] = self.sheet(self.band_target(), reg)
        both = [c for c in committee if c in selfs]
        # self/committee gaps >= 10: four overrated, one underrated
        gaps = rng.sample(both, 5)
        for code in gaps[:4]:
            committee[code] = self.sheet(rng.randint(62, 80), code in registered)
            selfs[code] = self.raise_sheet(committee[code], rng.randint(11, 16))
        selfs[gaps[4]] = self.sheet(72, gaps[4] in registered)
        committee[gaps[4]] = self.raise_sheet(selfs[gaps[4]], 12)
        by_code = {m.code: m for m in self.members}
        finals: dict[tuple[str, str], _ScoreSub] = {}
        for m in self.members:
            if m.code in selfs:
                d = self.day(date(2026, 11, 2), date(2026, 11, 21))
                finals[(m.code, SELF)] = self.add_c(m, SELF, self.moment(d), selfs[m.code])
            if m.code in committee:
                d = self.day(date(2026, 11, 9), date(2026, 11, 22))
                finals[(m.code, COMMITTEE)] = self.add_c(
                    m, COMMITTEE, self.moment(d), committee[m.code]
                )
        # date trap: a self sheet on 05/06/2026 (6 May) replaced on 06/01/2026 (1 June);
        # read day-first, the two would swap and the wrong one would win
        trap = next(m for m in self.members if m.code in selfs and m.code not in committee)
        self.add_c(trap, SELF, datetime(2026, 5, 6, 9, 12, 44, tzinfo=TZ), self.sheet(60, True))
        finals[(trap.code, SELF)].at = datetime(2026, 6, 1, 15, 40, 5, tzinfo=TZ)
        # resubmissions by the same scorer: the earlier sheet differs, the later wins
        for scorer, pool, n in ((COMMITTEE, committee, 6), (SELF, selfs, 5)):
            for code in rng.sample(sorted(c for c in pool if c not in gaps and c != trap.code), n):
                final = finals[(code, scorer)]
                earlier = final.at - timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 5))
                self.add_c(
                    by_code[code],
                    scorer,
                    earlier,
                    self.sheet(self.band_target(), code in registered),
                )
        # committees scoring on paper typed into the older copy (branches CB15, CB22)
        paper = [
            finals[(m.code, COMMITTEE)]
            for m in self.members
            if m.branch in ("CB15", "CB22") and (m.code, COMMITTEE) in finals and m.code not in gaps
        ]
        paper[0].values[1] = 7.5
        paper[0].raw[1] = "7,5"
        paper[0].tolerated[1] = "7.5"
        paper[1].values[4] = 10.0
        paper[1].raw[4] = " 10 "
        paper[1].tolerated[4] = "10"
        paper[2].values[5] = 15.0
        paper[2].raw[5] = "15/15"
        paper[2].tolerated[5] = "15"
        paper[3].values[2] = 10.0
        paper[3].raw[2] = "mười"
        paper[3].tolerated[2] = "10"
        paper[4].raw[4] = "12"
        paper[4].rejected[4] = "above the criterion's maximum (10)"
        paper[5].raw[9] = "khá"
        paper[5].rejected[9] = "not a number"
        for s in paper[4:6]:
            for n in s.rejected:
                del s.values[n]
        # a scoring sheet for someone not on the roster
        name, birth = self.unique_person((1975, 1995), stranger=True)
        b = self.branch("CB18")
        vals = self.sheet(85, False)
        stranger = _ScoreSub(
            at=self.moment(date(2026, 11, 12)),
            member=None,
            name_text=name,
            birth=birth,
            branch_text=b.name,
            scorer=SELF,
            email=f"{_slug(name)}@{PERSONAL_DOMAIN}",
            values=vals,
            raw={n: _num(v) for n, v in vals.items()},
        )
        self.form_c.append(stranger)
        self.form_c.sort(key=lambda s: s.at)
        for i, s in enumerate(self.form_c):
            s.row = _row_label(i)
        src = "bieu_mau_02"
        title = SOURCES[src][0]
        self.invalid.append(
            InvalidRow(
                src,
                title,
                stranger.row,
                "Họ và tên đảng viên",
                name,
                "person not on the roster",
                "row",
            )
        )
        for s in self.form_c:
            for n, why in s.rejected.items():
                self.invalid.append(
                    InvalidRow(src, title, s.row, self.criterion_header(n), s.raw[n], why, "field")
                )
            for n, reading in s.tolerated.items():
                self.tolerated.append(
                    ToleratedValue(src, s.row, self.criterion_header(n), s.raw[n], reading)
                )

    def criterion_header(self, n: int) -> str:
        title = next(t for k, _, t in self.criteria if k == n)
        return f"Tiêu chí {n}. {title}"

    # -- export D ---------------------------------------------------------------------

    def learning_result(self) -> tuple[int, str, date | None]:
        rng = self.rng
        lessons = LESSONS_TOTAL if rng.random() < 0.6 else rng.randint(0, LESSONS_TOTAL - 1)
        if lessons == LESSONS_TOTAL:
            result = rng.choices(("Đạt", "Chưa đạt", ""), (85, 10, 5))[0]
        else:
            result = rng.choices(("", "Chưa đạt"), (70, 30))[0]
        done = self.day(date(2026, 3, 1), date(2026, 11, 20)) if result == "Đạt" else None
        return lessons, result, done

    def unit_text(self, b: _Branch) -> str:
        variant = self.rng.choices(
            ("exact", "short", "alias", "nodiac", "lower"), (40, 20, 15, 15, 10)
        )[0]
        return self.branch_text(b, variant)

    def build_export_d(self) -> None:
        rng = self.rng
        rate = {"school": 0.7, "office": 0.6, "area": 0.35}
        rows: list[_Learner] = []
        for m in self.members:
            b = self.branch(m.branch)
            if m.name in _PLANTED or (not m.exempt and rng.random() < rate[b.kind]):
                lessons, result, done = self.learning_result()
                rows.append(
                    _Learner(
                        m.name, m.birth, self.unit_text(b), b.code, m.code, lessons, result, done
                    )
                )
        for _ in range(40):  # residents, teachers, staff who are not party members
            b = rng.choice([b for b in self.branches if b.kind != "office"])
            name, birth = self.unique_person((1960, 2006), stranger=True)
            lessons, result, done = self.learning_result()
            rows.append(_Learner(name, birth, self.unit_text(b), b.code, "", lessons, result, done))
        name, birth = self.unique_person((1985, 2000), stranger=True)
        lessons, result, done = self.learning_result()
        rows.append(_Learner(name, birth, UNKNOWN_UNIT_TEXT, None, "", lessons, result, done))
        rng.shuffle(rows)
        for i, r in enumerate(rows):
            r.row = _row_label(i)
        self.learners = rows
        src = "binh_dan_hoc_vu_so"
        bad = next(r for r in rows if r.branch is None)
        self.invalid.append(
            InvalidRow(
                src, SOURCES[src][0], bad.row, "Đơn vị", UNKNOWN_UNIT_TEXT, "unknown unit", "row"
            )
        )

    # -- files ------------------------------------------------------------------------

    def roster_rows(self) -> dict[str, list[list[str]]]:
        branches = [
            [
                "Mã chi bộ",
                "Tên chi bộ",
                "Tên gọi khác",
                "Bí thư",
                "Email bí thư",
                "Ủy viên phụ trách",
                "Email ủy viên phụ trách",
            ]
        ]
        for b in self.branches:
            branches.append(
                [
                    self.ext_code(b.code),
                    b.name,
                    ";".join(b.aliases),
                    b.secretary,
                    b.secretary_email,
                    b.supervisor,
                    b.supervisor_email,
                ]
            )
        members = [["Mã đảng viên", "Họ và tên", "Ngày sinh", "Mã chi bộ", "Miễn sinh hoạt"]]
        for m in self.members:
            members.append(
                [
                    m.code,
                    m.name,
                    _dmy(m.birth),
                    self.ext_code(m.branch),
                    "Có" if m.exempt else "Không",
                ]
            )
        return {BRANCHES_FILE: branches, MEMBERS_FILE: members}

    def form_a_rows(self) -> list[list[str]]:
        rows = [[h for _, h in FORM_A_COLUMNS]]
        for s in self.form_a:
            cells = self.render_a(s)
            rows.append([cells[k] for k, _ in FORM_A_COLUMNS])
        return rows

    def form_b_rows(self) -> list[list[str]]:
        header = [
            "Dấu thời gian",
            "Họ và tên",
            "Ngày sinh",
            "Chức vụ, đơn vị công tác",
            "Nơi sinh hoạt (chi bộ)",
        ]
        header += [self.section_title(s["id"]) for s in self.sections]
        header += [f"Tự đánh giá cuối năm [{r}]" for r in self.grid_rows]
        rows = [header]
        for s in self.form_b:
            row = [_vi_ts(s.at), s.name_text, _dmy(s.birth), s.position, s.branch_text]
            for sec in self.sections:
                chosen = list(s.sections.get(sec["id"], ()))
                if sec["id"] in s.others:
                    chosen.append(s.others[sec["id"]])  # "Other" text comes last
                row.append(", ".join(chosen))
            for r in self.grid_rows:
                g = s.grid.get(r)
                row.append("" if g is None else DONE if g else NOT_DONE)
            rows.append(row)
        return rows

    def form_c_rows(self) -> list[list[str]]:
        header = [
            "Timestamp",
            "Email Address",
            "Họ và tên đảng viên",
            "Ngày sinh",
            "Nơi sinh hoạt (chi bộ)",
            "Người chấm",
        ]
        header += [self.criterion_header(n) for n, _, _ in self.criteria]
        rows = [header]
        for s in self.form_c:
            row = [_en_ts(s.at), s.email, s.name_text, _mdy(s.birth), s.branch_text, s.scorer]
            row += [s.raw.get(n, "") for n, _, _ in self.criteria]
            rows.append(row)
        return rows

    def export_d_rows(self) -> list[list[Any]]:
        rows: list[list[Any]] = [list(EXPORT_D_HEADER)]
        for r in self.learners:
            rows.append(
                [
                    r.name,
                    _dmy(r.birth),
                    r.unit_text,
                    r.lessons,
                    r.result or None,
                    _dmy(r.completed_on) or None,
                ]
            )
        return rows

    def tables(self) -> dict[str, list[list[Any]]]:
        """Every file of the ward as rows, header first (the XLSX export's cells typed)."""
        return {
            **self.roster_rows(),
            FORM_A_FILE: self.form_a_rows(),
            FORM_B_FILE: self.form_b_rows(),
            FORM_C_FILE: self.form_c_rows(),
            EXPORT_D_FILE: self.export_d_rows(),
        }

    def readme(self) -> bytes:
        text = (
            "# Phường Mẫu: dữ liệu giả lập\n\n"
            'Thư mục này chứa dữ liệu giả lập của "Đảng bộ Cơ quan UBND phường Mẫu" (không phải '
            "người thật): "
            "danh sách chi bộ, đảng viên, cán bộ (người học \"Bình dân học vụ số\") và tổ công "
            "nghệ số cộng đồng (`roster/`), các tệp tải về từ Google Biểu mẫu (thống kê chi bộ, "
            "Biểu mẫu 01, Biểu mẫu 02, nhật ký hỗ trợ người dân của các tổ) và tệp kết quả học "
            'tập "Bình dân học vụ số" của phường và của một đơn vị (`exports/`), cố ý chứa các '
            "lỗi thường gặp trong tệp thật để kiểm thử chương "
            "trình; mốc đánh giá là 08:00 thứ Hai 23/11/2026. Không sửa tay các tệp này: chúng "
            "được sinh lại y hệt bằng lệnh `python -m sync.sample_ward --out config/sample "
            f"--seed {DEFAULT_SEED}` (chạy ở thư mục gốc dự án).\n"
        )
        return text.encode("utf-8")

    # -- truth ------------------------------------------------------------------------

    def truth(self) -> Truth:
        src_rows_b: dict[str, list[_RegSub]] = {}
        for s in self.form_b:
            if s.member:
                src_rows_b.setdefault(s.member.code, []).append(s)
        sheets: dict[tuple[str, str], list[_ScoreSub]] = {}
        for s in self.form_c:
            if s.member:
                sheets.setdefault((s.member.code, s.scorer), []).append(s)
        learners = {r.member: r for r in self.learners if r.member}
        members: dict[str, MemberTruth] = {}
        for m in self.members:
            regs = sorted(src_rows_b.get(m.code, []), key=lambda s: s.at)
            reg = regs[-1] if regs else None
            own = sorted(sheets.get((m.code, SELF), []), key=lambda s: s.at)
            com = sorted(sheets.get((m.code, COMMITTEE), []), key=lambda s: s.at)
            fs, fc = (own[-1] if own else None), (com[-1] if com else None)
            self_total = sum(fs.values.values()) if fs else None
            review = fc is not None and bool(fc.rejected)
            com_total = sum(fc.values.values()) if fc and not review else None
            valid = [c for c in com if not c.rejected]
            lr = learners.get(m.code)
            members[m.code] = MemberTruth(
                code=m.code,
                name=m.name,
                birth_date=m.birth,
                branch_code=m.branch,
                exempt=m.exempt,
                registered=reg is not None,
                registration_complete=None
                if reg is None
                else not self.failed_sections(reg.sections),
                registration_failed=() if reg is None else self.failed_sections(reg.sections),
                registration_sections={} if reg is None else dict(reg.sections),
                self_assessment={}
                if reg is None
                else {k: v for k, v in reg.grid.items() if v is not None},
                registration_row=reg.row if reg else None,
                first_registered_at=regs[0].at if regs else None,
                registered_at=reg.at if reg else None,
                self_criteria=dict(sorted(fs.values.items())) if fs else None,
                self_total=self_total,
                self_row=fs.row if fs else None,
                committee_criteria=(
                    dict(sorted(fc.values.items())) if fc and not review else None
                ),
                committee_total=com_total,
                committee_missing=tuple(sorted(fc.rejected)) if fc else (),
                committee_row=fc.row if fc else None,
                committee_at=fc.at if fc else None,
                committee_review=review,
                first_scored_at=valid[0].at if valid else None,
                band=None if com_total is None else self.band(com_total),
                pending=fs is not None and fc is None,
                gap_flag=(
                    self_total is not None
                    and com_total is not None
                    and abs(self_total - com_total) >= self.gap_threshold
                ),
                learning_lessons=lr.lessons if lr else None,
                learning_passed=None if lr is None or not lr.result else lr.result == "Đạt",
                learning_completed_on=lr.completed_on if lr else None,
            )
        branches = {b.code: self.branch_truth(b, members) for b in self.branches}
        learner_truth = tuple(
            LearnerTruth(
                row=r.row,
                name=r.name,
                unit_text=r.unit_text,
                branch_code=r.branch,
                member_code=r.member,
                lessons=r.lessons,
                passed=None if not r.result else r.result == "Đạt",
                completed_on=r.completed_on,
            )
            for r in self.learners
        )
        return Truth(
            seed=self.seed,
            now=NOW,
            branches=branches,
            members=members,
            learners=learner_truth,
            invalid_rows=tuple(self.invalid),
            tolerated=tuple(self.tolerated),
            other_answers=tuple(self.other_answers),
        )

    def band(self, total: float) -> str:
        return next(str(b["name"]) for b in self.bands if total >= float(b["min"]) - 1e-9)

    def branch_truth(self, b: _Branch, members: dict[str, MemberTruth]) -> BranchTruth:
        subs = [s for s in self.form_a if s.branch == b.code]  # already in time order
        final = subs[-1] if subs else None
        assert final is None or not final.rejected, "final submissions carry no rejected values"
        v: dict[str, Any] = dict(final.values) if final else {}
        six = {k: v.get(k) for k in SIX_CLEAR_KEYS}

        def task_ok(values: dict[str, Any]) -> bool:
            return bool(values.get("task_name")) and all(values.get(k) for k in SIX_CLEAR_KEYS)

        held: dict[date, tuple[date, str | None, bool | None]] = {}
        for s in subs:  # in time order: a later submission about a session replaces
            d = s.values.get("session_date")
            if d is not None and d <= NOW.date():
                held[d] = (d, s.values.get("session_form"), s.values.get("invited_expert"))
        sent = [s for s in subs if s.values.get("report_sent")]
        tasked = [s for s in subs if task_ok(s.values)]
        mine = [members[m.code] for m in self.members_of(b.code) if not m.exempt]
        regs = [t.first_registered_at for t in mine]
        scored = [t.first_scored_at for t in mine]
        return BranchTruth(
            code=b.code,
            name=b.name,
            situation=SITUATIONS[b.code],
            roster_members=len(self.members_of(b.code)),
            roster_exempt=sum(m.exempt for m in self.members_of(b.code)),
            reported=final is not None,
            rows=tuple(s.row for s in subs),
            final_row=final.row if final else None,
            first_reported_at=subs[0].at if subs else None,
            last_reported_at=final.at if final else None,
            plan_date=v.get("plan_date"),
            session_date=v.get("session_date"),
            session_form=v.get("session_form"),
            total_members=v.get("total_members"),
            exempt_members=v.get("exempt_members"),
            participants=v.get("participants"),
            contents=tuple(v.get("contents", ())),
            invited_expert=v.get("invited_expert"),
            task_name=v.get("task_name"),
            six_clear=six,
            six_clear_filled=sum(1 for x in six.values() if x),
            task_registered=task_ok(v),
            task_registered_on=tasked[0].at.date() if tasked else None,
            task_progress=v.get("task_progress"),
            counts={k: v.get(k) for k in COUNT_KEYS},
            report_sent=bool(v.get("report_sent")),
            report_sent_on=sent[0].at.date() if sent else None,
            good_practices=v.get("good_practices"),
            difficulties=v.get("difficulties"),
            sessions=tuple(held[d] for d in sorted(held)),
            all_registered_on=max(regs).date() if regs and all(regs) else None,
            all_scored_on=max(scored).date() if scored and all(scored) else None,
        )


def export_d_bytes(rows: list[list[Any]]) -> bytes:
    """The "Bình dân học vụ số" export (rows header first) as XLSX bytes, clock-free."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook()
    ws = wb.active
    ws.title = EXPORT_D_SHEET
    for row in rows:
        ws.append(row)
    fixed = datetime(2026, 11, 22, 8, 0, 0)
    wb.properties.creator = "Bình dân học vụ số"
    wb.properties.created = fixed
    wb.properties.modified = fixed
    buf = io.BytesIO()
    # ExcelWriter directly: save_workbook() would stamp the clock into docProps/core.xml
    ExcelWriter(wb, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED)).save()
    return _repack_zip(buf.getvalue())


def _repack_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed entry timestamps, so the bytes do not depend on the clock."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 11, 22, 8, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------


def _build(
    seed: int,
    tile: int = 0,
    used_people: set[tuple[str, date]] | None = None,
    members: int = SAMPLE_MEMBERS,
) -> _Builder:
    builder = _Builder(seed, tile, used_people, members)
    builder.build_roster()
    builder.build_form_a()
    builder.build_form_b()
    builder.build_form_c()
    builder.build_export_d()
    return builder


def generate(seed: int = DEFAULT_SEED) -> SampleWard:
    """Build the sample ward: files (relative path -> bytes) and the truth."""
    builder = _build(seed)
    # the staff roster and a unit's export (seed 003): their own random stream
    from sync.sample_staff import Kit
    from sync.sample_staff import build as build_staff

    kit = Kit(_SURNAMES, _GIVEN_F, _GIVEN_M, _MIDDLE_F, _csv_bytes, _fold, InvalidRow)
    staff = build_staff(builder, seed, kit)  # before truth(): it adds an invalid row
    files: dict[str, bytes] = {README_FILE: builder.readme(), **staff.files}
    for rel, rows in builder.tables().items():
        if rel == EXPORT_D_FILE:
            files[rel] = export_d_bytes(rows)
        else:
            bom, crlf = CSV_STYLE[rel]
            files[rel] = _csv_bytes(rows, bom=bom, crlf=crlf)
    # Form E (teams' support logs): its own generator and random stream
    from sync.sample_support import generate_support

    support = generate_support(seed)
    files.update(support.files)
    truth = dataclasses.replace(builder.truth(), support=support.truth)
    truth = dataclasses.replace(truth, staff=staff.staff, unit_export=staff.unit_rows)
    return SampleWard(files=dict(sorted(files.items())), truth=truth)


def tile_tables(
    seed: int, tile: int, used_people: set[tuple[str, date]], members: int = SAMPLE_MEMBERS
) -> dict[str, list[list[Any]]]:
    """Copy ``tile`` of the sample as rows, header first, for a ward tiled from many copies.

    Tile 0 with ``DEFAULT_SEED`` and 500 members is the sample ward. Copy k >= 1 has branch
    codes CB + 4 digits (numbered across copies of 25), names and aliases ending in
    " - Phường k", member codes DV + 3 digits of k + 4, its committee's own addresses;
    ``used_people`` (shared by all copies, filled here) keeps every (folded name, birth
    date) unique across them. ``members`` other than 500 grows or shrinks the 16 area
    branches; the planted traps and messy rows stay as many per copy. CSV files are encoded
    as ``CSV_STYLE`` says; ``EXPORT_D_FILE`` is an XLSX sheet named ``EXPORT_D_SHEET``.
    """
    return _build(seed, tile, used_people, members).tables()


def write(ward: SampleWard, out: Path) -> list[Path]:
    written = []
    for rel, data in ward.files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sync.sample_ward", description="Sinh dữ liệu giả lập của phường Mẫu."
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="thư mục ghi (config/sample)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="hạt giống ngẫu nhiên")
    args = parser.parse_args(argv)
    ward = generate(args.seed)
    for path in write(ward, args.out):
        print(f"{path} ({path.stat().st_size} byte)")
    t = ward.truth
    print(
        f"{len(t.branches)} chi bộ, {len(t.members)} đảng viên, "
        f"{sum(m.registered for m in t.members.values())} có Biểu mẫu 01, "
        f"{sum(m.committee_total is not None for m in t.members.values())} được cấp ủy chấm, "
        f"{len(t.invalid_rows)} dòng/ô cố ý sai"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
