"""Sample data of the community digital technology teams (Form E): a team roster and a
support-log export, with the truth the generator knows from its own model.

Hooked into ``tools.sample_ward.generate`` (files under config/sample/, ``Truth.support``).
Its own ``random.Random(seed + SEED_OFFSET)``: the ward's generator draws nothing more, so
adding this sample reshuffled nothing of the rest.

What is planted: the same citizen visiting again, typed differently (upper case, without
diacritics, extra spaces; the phone as ``0912 345 678``, ``+84912345678``,
``912.345.678``); people supported by two teams; people without a phone; one row naming a
team that is not in the roster. Everyone is invented; phones are in the 09xx/03xx ranges
with made-up digits.
"""

from __future__ import annotations

import csv
import io
import random
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

SEED_OFFSET = 8  # issue 8
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TEAMS_FILE = "roster/to-cong-nghe-so.csv"
LOG_FILE = "exports/nhat-ky-ho-tro.csv"
SOURCE_ID = "nhat_ky_ho_tro"
UNKNOWN_TEAM_TEXT = "Tổ CNSCĐ khu phố 9"
MAIL_DOMAIN = "phuongmau.example.vn"
FIRST_DAY = date(2026, 6, 1)
LAST_DAY = date(2026, 11, 22)  # the day before the sample's NOW (23/11/2026)

KINDS = (
    "Dịch vụ công trực tuyến",
    "Định danh điện tử (VNeID)",
    "Thanh toán không dùng tiền mặt",
    'Học tập trên nền tảng "Bình dân học vụ số"',
    "Cài đặt, sử dụng ứng dụng số khác",
)
ROLES = ("Thành viên Tổ", "Đảng viên", "Đoàn viên, thanh niên", "Đại sứ số", "Khác")
DONE, LATER = "Hoàn thành", "Chưa hoàn thành, hẹn lại"

LOG_HEADER = (
    "Dấu thời gian",
    "Ngày hỗ trợ",
    "Tổ công nghệ số cộng đồng",
    "Người hỗ trợ",
    "Vai trò người hỗ trợ",
    "Họ và tên người được hỗ trợ",
    "Năm sinh người được hỗ trợ",
    "Số điện thoại người được hỗ trợ",
    "Nội dung hỗ trợ",
    "Kết quả",
    "Ghi chú",
)
TEAM_HEADER = (
    "Mã tổ",
    "Tên tổ",
    "Tên gọi khác",
    "Khu phố",
    "Tổ trưởng",
    "Email tổ trưởng",
    "Thành viên",
)

# (code, khu phố, leader, members, helpers who are Đại sứ số / đoàn viên)
_TEAMS = (
    ("T01", 1, "Phạm Văn Khải", ("Lê Thị Mận", "Trần Quốc Việt"), ("Ngô Gia Bảo",)),
    ("T02", 2, "Đỗ Thị Hạnh", ("Vũ Minh Khôi", "Hồ Thị Thu"), ("Lý Khánh Vy",)),
    ("T03", 3, "Bùi Văn Thịnh", ("Đinh Thị Lụa",), ("Mai Anh Tú", "Trương Bảo Ngọc")),
    ("T04", 4, "Dương Thị Nhàn", ("Lương Văn Phú",), ()),  # set up, no log yet
)
_SESSIONS = {"T01": 26, "T02": 22, "T03": 18, "T04": 0}

_SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi")
_MIDDLE = ("Văn", "Thị", "Minh", "Ngọc", "Hữu", "Thanh", "Đức", "Kim")
_GIVEN = (
    "An", "Bình", "Cúc", "Dậu", "Em", "Gấm", "Hợi", "Ích", "Kha", "Lài", "Mùi", "Nở",
    "Ổn", "Phấn", "Quý", "Rạng", "Sửu", "Tỵ", "Ửng", "Vẹn", "Xuyến", "Yên",
)  # fmt: skip


@dataclass(frozen=True)
class Citizen:
    pid: int  # the generator's own identity of the person
    name: str
    birth_year: int
    phone: str  # national form "09xxxxxxxx"; "" for someone who gave none


@dataclass(frozen=True)
class SupportRowTruth:
    row: str  # "Dòng 5"
    team: str  # team code; "" for the row naming an unknown team
    pid: int
    day: date
    helper: str
    role: str
    kinds: tuple[str, ...]
    completed: bool


@dataclass(frozen=True)
class SupportTruth:
    teams: tuple[str, ...]  # team codes, roster order
    leaders: dict[str, str]  # team code -> leader e-mail
    rows: tuple[SupportRowTruth, ...]  # every log row, the unknown team's included
    unknown_team_rows: tuple[str, ...]  # row labels naming no team of the roster
    phones: tuple[str, ...]  # every citizen's phone, national form (none may leak)
    # distinct people per (team, "2026-06") and per team over the year; the ward's total
    people_by_team_month: dict[tuple[str, str], int]
    sessions_by_team_month: dict[tuple[str, str], int]
    people_by_team: dict[str, int]
    people_in_ward: int


@dataclass(frozen=True)
class SampleSupport:
    files: dict[str, bytes]
    truth: SupportTruth


def _fold(s: str) -> str:
    s = s.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))


def _typed_name(rng: random.Random, name: str) -> str:
    """How a helper types the name on a phone: as written, upper case, without diacritics,
    with doubled spaces."""
    style = rng.choice(("plain", "plain", "upper", "ascii", "spaces"))
    if style == "upper":
        return name.upper()
    if style == "ascii":
        return _fold(name)
    if style == "spaces":
        return "  " + name.replace(" ", "  ") + " "
    return name


def _typed_phone(rng: random.Random, phone: str) -> str:
    if not phone:
        return ""
    rest = phone[1:]
    style = rng.choice(("plain", "spaces", "plus", "dots", "dashes"))
    if style == "spaces":
        return f"{phone[:4]} {phone[4:7]} {phone[7:]}"
    if style == "plus":
        return "+84" + rest
    if style == "dots":
        return f"{rest[:3]}.{rest[3:6]}.{rest[6:]}"  # the leading 0 left out
    if style == "dashes":
        return f"{phone[:4]}-{phone[4:7]}-{phone[7:]}"
    return phone


def _csv(rows: list[list[str]], *, bom: bool) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")


def _month(d: date) -> str:
    return f"{d.year}-{d.month:02d}"


def generate_support(seed: int) -> SampleSupport:
    rng = random.Random(seed + SEED_OFFSET)
    # -- the people of each area; a few live near two teams' areas -------------------------
    citizens: list[Citizen] = []
    used: set[str] = set()
    for pid in range(48):
        while True:
            name = f"{rng.choice(_SURNAMES)} {rng.choice(_MIDDLE)} {rng.choice(_GIVEN)}"
            if _fold(name).lower() not in used:
                used.add(_fold(name).lower())
                break
        phone = (
            ""
            if pid % 7 == 3
            else rng.choice(("09", "03", "08"))
            + "".join(rng.choice("0123456789") for _ in range(8))
        )
        citizens.append(Citizen(pid, name, rng.randint(1945, 2008), phone))
    pools: dict[str, list[Citizen]] = {
        "T01": citizens[0:16],
        "T02": citizens[14:30],  # 14, 15: helped by T01 and T02
        "T03": [*citizens[30:46], citizens[2]],  # 2: helped by T01 and T03
        "T04": [],
    }
    # -- the roster ---------------------------------------------------------------------
    team_rows = [list(TEAM_HEADER)]
    leaders: dict[str, str] = {}
    helpers: dict[str, list[tuple[str, str]]] = {}
    for code, kp, leader, members, young in _TEAMS:
        email = f"to.cns.kp{kp}@{MAIL_DOMAIN}"
        leaders[code] = email
        team_rows.append(
            [
                code,
                f"Tổ công nghệ số cộng đồng khu phố {kp}",
                f"Tổ CNSCĐ khu phố {kp}; Tổ CNS KP{kp}",
                f"Khu phố {kp}",
                leader,
                email,
                "; ".join((leader, *members)),
            ]
        )
        helpers[code] = [
            (leader, "Thành viên Tổ"),
            *((m, rng.choice(("Thành viên Tổ", "Đảng viên"))) for m in members),
            *((y, rng.choice(("Đại sứ số", "Đoàn viên, thanh niên"))) for y in young),
        ]
    # -- the log ------------------------------------------------------------------------
    span = (LAST_DAY - FIRST_DAY).days
    planned: list[tuple[datetime, str, Citizen]] = []
    for code, *_ in _TEAMS:
        pool = pools[code]
        for _ in range(_SESSIONS[code]):
            day = FIRST_DAY + timedelta(days=rng.randint(0, span))
            at = datetime(
                day.year, day.month, day.day, rng.randint(7, 16), rng.randint(0, 59), tzinfo=TZ
            )
            planned.append((at, code, rng.choice(pool)))
    # the unknown team's row: a person of T01's area
    planned.append((datetime(2026, 9, 14, 9, 30, tzinfo=TZ), "", citizens[5]))
    planned.sort(key=lambda p: (p[0], p[1], p[2].pid))
    log_rows = [list(LOG_HEADER)]
    truth_rows: list[SupportRowTruth] = []
    short_names = {c: f"Tổ CNSCĐ khu phố {kp}" for c, kp, *_ in _TEAMS}
    for i, (at, code, person) in enumerate(planned):
        row_label = f"Dòng {i + 2}"
        helper, role = rng.choice(helpers[code or "T01"])
        kinds = tuple(sorted(rng.sample(KINDS, rng.choice((1, 1, 2))), key=KINDS.index))
        done = rng.random() < 0.8
        if code:
            team_text = rng.choice(
                (
                    f"Tổ công nghệ số cộng đồng khu phố {code[-1]}",
                    f"Tổ công nghệ số cộng đồng khu phố {code[-1]}",
                    short_names[code],
                    short_names[code].lower(),
                )
            )
        else:
            team_text = UNKNOWN_TEAM_TEXT
        submitted = at + timedelta(minutes=rng.randint(5, 600))
        log_rows.append(
            [
                f"{submitted.day:02d}/{submitted.month:02d}/{submitted.year} {submitted:%H:%M:%S}",
                f"{at.day:02d}/{at.month:02d}/{at.year}",
                team_text,
                helper,
                role,
                _typed_name(rng, person.name),
                str(person.birth_year),
                _typed_phone(rng, person.phone),
                ", ".join(kinds),
                DONE if done else LATER,
                # a note as helpers write them: it may hold a phone, it is never kept
                f"Hẹn gọi lại số {person.phone}" if not done and person.phone else "",
            ]
        )
        truth_rows.append(
            SupportRowTruth(row_label, code, person.pid, at.date(), helper, role, kinds, done)
        )
    counted = [r for r in truth_rows if r.team]
    by_month: dict[tuple[str, str], set[int]] = {}
    sessions: dict[tuple[str, str], int] = {}
    by_team: dict[str, set[int]] = {}
    for r in counted:
        key = (r.team, _month(r.day))
        by_month.setdefault(key, set()).add(r.pid)
        sessions[key] = sessions.get(key, 0) + 1
        by_team.setdefault(r.team, set()).add(r.pid)
    truth = SupportTruth(
        teams=tuple(c for c, *_ in _TEAMS),
        leaders=leaders,
        rows=tuple(truth_rows),
        unknown_team_rows=tuple(r.row for r in truth_rows if not r.team),
        phones=tuple(c.phone for c in citizens if c.phone),
        people_by_team_month={k: len(v) for k, v in sorted(by_month.items())},
        sessions_by_team_month=dict(sorted(sessions.items())),
        people_by_team={c: len(by_team.get(c, set())) for c, *_ in _TEAMS},
        people_in_ward=len({r.pid for r in counted}),
    )
    files = {
        TEAMS_FILE: _csv(team_rows, bom=False),
        LOG_FILE: _csv(log_rows, bom=True),
    }
    return SampleSupport(files, truth)
