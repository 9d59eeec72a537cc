"""The sample ward's constants and vocabulary: file names, sources, names, branches,
situations, form A's columns, the texts answers are drawn from."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from tools.sample_ward.truth import Situation

TZ = timezone(timedelta(hours=7))  # Asia/Ho_Chi_Minh has no DST
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=TZ)
ROOT = Path(__file__).resolve().parents[2]  # the checkout: tools/sample_ward/ is 2 deep
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
    # a unit's own download (staff.py: UNIT_EXPORT_ID, UNIT_EXPORT_FILE)
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

SURNAMES = (
    ("Nguyễn", 30), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 4),
    ("Phan", 4), ("Vũ", 4), ("Võ", 3), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 2),
    ("Ngô", 2), ("Dương", 1), ("Lý", 1), ("Đinh", 1), ("Trương", 1), ("Mai", 1), ("Lương", 1),
)  # fmt: skip
MIDDLE_M = ("Văn", "Văn", "Hữu", "Đức", "Minh", "Quốc", "Công", "Thanh", "Xuân", "Đình", "Ngọc")
MIDDLE_F = ("Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Hồng", "Kim", "Phương")
GIVEN_M = (
    "An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hoàng", "Huy", "Khánh", "Kiên",
    "Long", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quang", "Sơn", "Tài", "Thắng", "Thành",
    "Tiến", "Toàn", "Trung", "Tuấn", "Việt", "Vinh", "Hưng", "Lộc", "Đông", "Hậu", "Tâm",
)  # fmt: skip
GIVEN_F = (
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
PLANTED = {TWIN_NAME, NAMESAKE_NAME}

# (name, aliases, kind). Codes CB01.. in this order.
BRANCH_DEFS: tuple[tuple[str, tuple[str, ...], str], ...] = (
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

SUPERVISORS = (
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

TASKS = (
    "Hướng dẫn 100% hộ gia đình cài đặt, sử dụng ứng dụng VNeID mức 2",
    "Số hóa hồ sơ, tài liệu sinh hoạt chi bộ",
    "Chuyển 100% thông báo của chi bộ lên nhóm Zalo và Sổ tay đảng viên điện tử",
    "Hỗ trợ người dân nộp hồ sơ dịch vụ công trực tuyến toàn trình",
    "Thanh toán không dùng tiền mặt tại chợ và cửa hàng trên địa bàn",
    "Tổ công nghệ số cộng đồng hỗ trợ người cao tuổi sử dụng điện thoại thông minh",
)
PRODUCTS = (
    "Danh sách hộ đã cài đặt VNeID mức 2",
    "Kho hồ sơ điện tử của chi bộ",
    "Nhóm Zalo chi bộ hoạt động thường xuyên",
    "Báo cáo số hồ sơ nộp trực tuyến hằng tháng",
    "Bản đồ điểm thanh toán không dùng tiền mặt",
    "Sổ theo dõi các buổi hỗ trợ",
)
PRACTICES = (
    "Mỗi đảng viên kèm cặp 2 hộ gia đình sử dụng dịch vụ công trực tuyến",
    "Sinh hoạt chi bộ kết hợp trình chiếu, hướng dẫn trực tiếp trên điện thoại",
    "Lập nhóm Zalo chi bộ, mỗi tuần chia sẻ một mẹo kỹ năng số",
    "Phân công đảng viên trẻ hỗ trợ đảng viên cao tuổi",
)
DIFFICULTIES = (
    "Một số đảng viên cao tuổi chưa có điện thoại thông minh",
    "Đường truyền Internet tại nhà văn hóa khu phố chưa ổn định",
    "Đề nghị Đảng ủy tổ chức thêm lớp tập huấn chữ ký số",
    "",
)
OTHER_ANSWERS = {
    "s2": ("Sử dụng Zalo để trao đổi công việc", "Hướng dẫn người dân cài VNeID, dịch vụ công"),
    "s4": ("Tham gia Tổ công nghệ số cộng đồng", "Làm video hướng dẫn, chia sẻ lên TikTok"),
}
