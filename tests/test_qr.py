"""`kns qr` and the QR codes (sync.outputs.qr_page): the files, the printable page, the
codes read back as a phone reads them (zxing-cpp), the report's appendix drawn by the
same function, and the Google backend's responderUri when no form_url is configured."""

from __future__ import annotations

import io
import re
from pathlib import Path

import zxingcpp
from docx import Document
from PIL import Image

from sync import cli
from sync.cli import main
from sync.config import WardConfig, load_config
from sync.google.forms_source import responder_uri
from sync.outputs import qr_page, report_docx
from sync.prefill import FormLink, QrCard
from tests.conftest import ROOT
from tests.fake_google import FakeWorkspace
from tests.fake_google.clients import fake_apis

NOW = "2026-11-23T08:00:00+07:00"
WARD = "Đảng bộ Cơ quan UBND phường Mẫu"
BRANCH = "Chi bộ Văn phòng Đảng ủy"
# "Chi bộ Văn phòng Đảng ủy" in UTF-8, percent-encoded by hand: ộ E1 BB 99, ă C4 83,
# ò C3 B2, Đ C4 90, ả E1 BA A3, ủ E1 BB A7
CB01 = "Chi%20b%E1%BB%99%20V%C4%83n%20ph%C3%B2ng%20%C4%90%E1%BA%A3ng%20%E1%BB%A7y"
FORM_A = "https://docs.google.com/forms/d/e/1FAIpQLSfWQ0thUF9bj1Z-3pHBrtomPWyETmPQwKKrMi6g5ZbBE7_1g/viewform"
FORM_01 = "https://docs.google.com/forms/d/e/1FAIpQLS0owWCLdCobmuMWZPTjRKuoimIOnLeSXm98yyqHFgf3eQV86/viewform"
FORM_02 = "https://docs.google.com/forms/d/e/1FAIpQLStD96SfJubCbKTzZoURoCh3g8pswaLiIja3JwyhJ9HiQ-iK-/viewform"
# the sample ward's links for CB01 (config/example.yaml form_url, mappings/*.yaml entry)
EXPECTED = {
    "CB01-thong_ke": f"{FORM_A}?usp=pp_url&entry.435801741={CB01}",
    "CB01-bieu_mau_01": f"{FORM_01}?usp=pp_url&entry.1680087822={CB01}",
    "CB01-bieu_mau_02": f"{FORM_02}?usp=pp_url&entry.129691733={CB01}",
}
TITLES = {
    "CB01-thong_ke": "Thống kê kết quả sinh hoạt chuyên đề 2026",
    "CB01-bieu_mau_01": "Biểu mẫu 01 - Bản đăng ký, cam kết",
    "CB01-bieu_mau_02": "Biểu mẫu 02 - Bảng chấm điểm",
}


def _decode(png: bytes | Path) -> list[str]:
    source = io.BytesIO(png) if isinstance(png, bytes) else png
    return [r.text for r in zxingcpp.read_barcodes(Image.open(source))]


def test_kns_qr_writes_codes_and_a_printable_page(ward: Path, capsys) -> None:
    assert main(["qr", "--config", str(ward), "--branch", "CB01"]) == 0
    folder = ward.parent.parent / "out" / "ma-qr"  # beside the workbook by default
    out = capsys.readouterr().out
    assert f"Đã tạo 3 mã QR (PNG và SVG) cho 1 chi bộ trong: {folder}" in out
    assert "form_url" not in out  # every branch form of the sample has a link

    names = sorted(p.name for p in folder.iterdir())
    images = [f"{stem}{suffix}" for stem in EXPECTED for suffix in (".png", ".svg")]
    assert names == sorted([*images, "ma-qr.html"])
    for stem, url in EXPECTED.items():
        assert _decode(folder / f"{stem}.png") == [url]  # what a phone opens
        assert (folder / f"{stem}.svg").read_bytes().startswith(b"<?xml")

    page = (folder / "ma-qr.html").read_text(encoding="utf-8")
    referenced = set(re.findall(r'(?:src|srcset)="([^"]+)"', page))
    assert referenced == {n for n in names if n != "ma-qr.html"}  # every image, relatively
    assert "@page { size: A4" in page and '<html lang="vi">' in page
    assert page.count('<section class="card">') == 3
    for stem, title in TITLES.items():
        assert title in page
        assert f'href="{EXPECTED[stem].replace("&", "&amp;")}"' in page
    assert WARD in page and "Mã QR biểu mẫu" in page and BRANCH in page
    # the short text under each code: the form's page, not the percent-encoded prefill
    assert f">{FORM_A.removeprefix('https://')}</a>" in page


def test_kns_qr_names_the_forms_without_form_url(ward: Path, capsys) -> None:
    text = ward.read_text(encoding="utf-8")
    line = f'    form_url: "{FORM_02}"\n'
    assert line in text
    ward.write_text(text.replace(line, ""), encoding="utf-8")
    out_dir = ward.parent.parent / "qr"
    assert main(["qr", "--config", str(ward), "--branch", "CB01", "--out", str(out_dir)]) == 0
    out = capsys.readouterr().out
    assert (
        "Chưa có đường dẫn biểu mẫu (form_url) trong cấu hình, không tạo mã QR: "
        "bieu_mau_02 (Biểu mẫu 02 - Bảng chấm điểm)\n"
    ) in out
    assert not list(out_dir.glob("CB01-bieu_mau_02.*"))
    assert "Biểu mẫu 02" not in (out_dir / "ma-qr.html").read_text(encoding="utf-8")
    assert len(list(out_dir.glob("*.png"))) == 2


def test_kns_qr_without_any_link_or_with_an_unknown_branch_fails(ward: Path, capsys) -> None:
    assert main(["qr", "--config", str(ward), "--branch", "CB99"]) == 1
    assert "Không có chi bộ mã 'CB99'" in capsys.readouterr().err
    text = re.sub(r'(?m)^    form_url: ".*"\n', "", ward.read_text(encoding="utf-8"))
    ward.write_text(text, encoding="utf-8")
    assert main(["qr", "--config", str(ward)]) == 1
    captured = capsys.readouterr()
    assert "thong_ke (Thống kê kết quả sinh hoạt chuyên đề 2026)" in captured.out
    assert "Không có mã QR nào để tạo." in captured.err


def test_a_link_too_long_for_a_qr_code_is_left_out(tmp_path: Path) -> None:
    long = FormLink("x", "branch_stats", "Thống kê", FORM_A + "?usp=pp_url&entry.1=" + "a" * 3000)
    short = FormLink("y", "branch_stats", "Thống kê", FORM_A)
    cards = [
        QrCard("CB01", BRANCH, long, "CB01-x", True),
        QrCard("CB01", BRANCH, short, "CB01-y", False),
    ]
    written = qr_page.write_qr_folder(cards, tmp_path / "qr", WARD)
    assert written.too_long == (cards[0],)
    assert [p.name for p in written.images] == ["CB01-y.png", "CB01-y.svg"]
    page = written.page.read_text(encoding="utf-8")
    assert "CB01-x" not in page and "chưa điền sẵn tên chi bộ" in page


# -- one QR function, the report's appendix -----------------------------------------------


def test_the_report_and_kns_qr_share_one_qr_function() -> None:
    assert report_docx.qr_png is qr_page.qr_png
    png = qr_page.qr_png(EXPECTED["CB01-thong_ke"])
    assert _decode(png) == [EXPECTED["CB01-thong_ke"]]


def test_a_branch_report_prints_the_form_prefilled_with_the_branch(ward: Path) -> None:
    path = ward.parent.parent / "bao-cao-CB01.docx"
    args = ["report", "--config", str(ward), "--now", NOW, "--branch", "CB01", "--out", str(path)]
    assert main(args) == 0
    doc = Document(str(path))
    (shape,) = doc.inline_shapes
    blob = doc.part.related_parts[shape._inline.graphic.graphicData.pic.blipFill.blip.embed].blob
    assert _decode(blob) == [EXPECTED["CB01-thong_ke"]]
    (cell,) = [
        c for t in doc.tables for r in t.rows for c in r.cells if c.text.startswith("https://")
    ]
    assert cell.text == EXPECTED["CB01-thong_ke"]


# -- the Google backend: the form's own responderUri ------------------------------------


def test_forms_api_sources_take_the_responder_uri(monkeypatch, capsys) -> None:
    base = load_config(ROOT / "config" / "google-example.yaml")
    with FakeWorkspace() as fake:
        fake.add_form("MA_BIEU_MAU_THONG_KE", "Thống kê", [])
        apis = fake_apis(fake)
        expected = "https://docs.google.com/forms/d/e/1FAIpQLMA_BIEU_MAU_THONG_KE/viewform"
        assert responder_uri(apis, "MA_BIEU_MAU_THONG_KE") == expected

        monkeypatch.setattr(cli, "_google", lambda cfg: apis)
        cfg: WardConfig = cli._with_responder_uris(base)
    urls = {s.id: s.form_url for s in cfg.sources}
    assert urls["thong_ke"] == expected
    assert urls["bieu_mau_02"] == FORM_02  # configured: kept, not asked for
    assert urls["bieu_mau_01"] == ""  # the form cannot be read: said, no link
    assert "Không đọc được đường dẫn của biểu mẫu 'bieu_mau_01'" in capsys.readouterr().err
