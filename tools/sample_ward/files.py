"""The ward's files as rows (header first) and export D as clock-free XLSX."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from typing import Any

from tools.sample_ward.branch_reports import BranchReports
from tools.sample_ward.fmt import dmy, en_ts, mdy, vi_ts
from tools.sample_ward.learning import Learning
from tools.sample_ward.registrations import Registrations
from tools.sample_ward.scores import Scores
from tools.sample_ward.vocab import (
    BRANCHES_FILE,
    DEFAULT_SEED,
    DONE,
    EXPORT_D_FILE,
    EXPORT_D_HEADER,
    EXPORT_D_SHEET,
    FORM_A_COLUMNS,
    FORM_A_FILE,
    FORM_B_FILE,
    FORM_C_FILE,
    MEMBERS_FILE,
    NOT_DONE,
)


class Files(BranchReports, Registrations, Scores, Learning):
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
                    dmy(m.birth),
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
            row = [vi_ts(s.at), s.name_text, dmy(s.birth), s.position, s.branch_text]
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
            row = [en_ts(s.at), s.email, s.name_text, mdy(s.birth), s.branch_text, s.scorer]
            row += [s.raw.get(n, "") for n, _, _ in self.criteria]
            rows.append(row)
        return rows

    def export_d_rows(self) -> list[list[Any]]:
        rows: list[list[Any]] = [list(EXPORT_D_HEADER)]
        for r in self.learners:
            rows.append(
                [
                    r.name,
                    dmy(r.birth),
                    r.unit_text,
                    r.lessons,
                    r.result or None,
                    dmy(r.completed_on) or None,
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
            'danh sách chi bộ, đảng viên, cán bộ (người học "Bình dân học vụ số") và tổ công '
            "nghệ số cộng đồng (`roster/`), các tệp tải về từ Google Biểu mẫu (thống kê chi bộ, "
            "Biểu mẫu 01, Biểu mẫu 02, nhật ký hỗ trợ người dân của các tổ) và tệp kết quả học "
            'tập "Bình dân học vụ số" của phường và của một đơn vị (`exports/`), cố ý chứa các '
            "lỗi thường gặp trong tệp thật để kiểm thử chương "
            "trình; mốc đánh giá là 08:00 thứ Hai 23/11/2026. Không sửa tay các tệp này: chúng "
            "được sinh lại y hệt bằng lệnh `python -m tools.sample_ward --out config/sample "
            f"--seed {DEFAULT_SEED}` (chạy ở thư mục gốc dự án).\n"
        )
        return text.encode("utf-8")


def export_d_bytes(rows: list[list[Any]]) -> bytes:
    """The "Bình dân học vụ số" export (rows header first) as XLSX bytes, clock-free."""
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook's only sheet
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
