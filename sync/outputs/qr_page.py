"""QR codes of the forms' links: the one QR function of the project (the year-end report's
appendix uses ``qr_png`` too), and `kns qr`'s folder: one PNG and one SVG per branch and
form, and a printable A4 page ``ma-qr.html`` with one card per code.

Which codes and with which links is decided in sync/prefill.py (``qr_cards``)."""

from __future__ import annotations

import html
import io
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import segno

from sync.fsutil import private_dir
from sync.prefill import QrCard

QR_WIDTH_CM = 3.5  # the report's appendix prints the code this wide
QR_DPI = 300  # print resolution the QR picture's pixels are sized for
CARD_QR_CM = 4.5  # a card of `kns qr`: held up to a phone across a meeting table
PAGE_FILE = "ma-qr.html"
PAGE_HEADING = "Mã QR biểu mẫu"


def qr_code(link: str) -> segno.QRCode:
    """The QR code of ``link``: never a micro code, error correction M (still readable
    from a slightly smudged printout), the level kept so a code's size is predictable.
    Raises segno.DataOverflowError for a link too long for any QR version."""
    return segno.make(link, error="m", micro=False, boost_error=False)


def qr_png(link: str, width_cm: float = QR_WIDTH_CM, dpi: int = QR_DPI) -> bytes:
    """The QR code of ``link`` as a PNG sized to print ``width_cm`` wide at ``dpi``."""
    return _png(qr_code(link), width_cm, dpi)


def qr_svg(link: str, title: str = "") -> bytes:
    """The QR code of ``link`` as SVG (sharp at any print size; the page sets its size)."""
    return _svg(qr_code(link), title)


def _png(qr: segno.QRCode, width_cm: float, dpi: int) -> bytes:
    modules = qr.symbol_size()[0]  # with the quiet zone
    target_px = width_cm / 2.54 * dpi
    scale = max(1, round(target_px / modules))
    # the picture's own size is width_cm (whole pixels per module: sharp edges)
    density = round(modules * scale * 2.54 / width_cm)
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=scale, dpi=density)
    return buf.getvalue()


def _svg(qr: segno.QRCode, title: str) -> bytes:
    buf = io.BytesIO()
    qr.save(buf, kind="svg", scale=1, title=title or None, xmldecl=True)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------
# `kns qr`: the folder
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QrFolder:
    page: Path  # ma-qr.html
    images: tuple[Path, ...]  # PNG and SVG, card by card
    too_long: tuple[QrCard, ...]  # links no QR version can hold (left out of the page)


def _write(path: Path, data: bytes) -> None:
    # a page open in a browser (or being printed) never sees a half-written file; mkstemp
    # makes it owner-only like the project's other outputs
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_qr_folder(cards: Sequence[QrCard], out_dir: Path, ward_name: str) -> QrFolder:
    """Write each card's PNG and SVG (``<stem>.png``, ``<stem>.svg``) and the page."""
    out_dir = private_dir(Path(out_dir))
    images: list[Path] = []
    done: list[QrCard] = []
    too_long: list[QrCard] = []
    for card in cards:
        try:
            qr = qr_code(card.link.url)  # once for both pictures (encoding is the slow part)
        except segno.DataOverflowError:
            too_long.append(card)
            continue
        png = _png(qr, CARD_QR_CM, QR_DPI)
        svg = _svg(qr, f"{card.branch_name} — {card.link.title}")
        for suffix, data in ((".png", png), (".svg", svg)):
            path = out_dir / f"{card.stem}{suffix}"
            _write(path, data)
            images.append(path)
        done.append(card)
    page = out_dir / PAGE_FILE
    _write(page, render_page(done, ward_name).encode("utf-8"))
    return QrFolder(page=page, images=tuple(images), too_long=tuple(too_long))


def short_link(url: str) -> str:
    """The text printed under a code: the form's page without the scheme and the prefill
    (a prefilled link is hundreds of percent-encoded characters nobody can type)."""
    page = url.split("#", 1)[0].split("?", 1)[0]
    return page.removeprefix("https://").removeprefix("http://")


_CSS = f"""
@page {{ size: A4; margin: 12mm; }}
* {{ box-sizing: border-box; }}
body {{ font-family: "Times New Roman", Times, serif; margin: 0; color: #000; }}
h1 {{ font-size: 16pt; text-align: center; margin: 0 0 6mm; }}
.cards {{ display: flex; flex-wrap: wrap; gap: 6mm; }}
.card {{
  width: calc(50% - 3mm); border: 0.3mm solid #444; border-radius: 2mm; padding: 4mm;
  text-align: center; break-inside: avoid; page-break-inside: avoid;
}}
.ward {{ font-size: 11pt; text-transform: uppercase; margin: 0; }}
.heading {{ font-size: 14pt; font-weight: bold; margin: 1mm 0; }}
.branch {{ font-size: 13pt; font-weight: bold; margin: 1mm 0; }}
.form {{ font-size: 12pt; margin: 0 0 2mm; }}
.card img {{ width: {CARD_QR_CM}cm; height: {CARD_QR_CM}cm; image-rendering: pixelated; }}
.link {{ font-size: 9pt; word-break: break-all; margin: 1mm 0 0; }}
.link a {{ color: #000; text-decoration: none; }}
.note {{ font-size: 9pt; font-style: italic; margin: 1mm 0 0; }}
@media screen {{ body {{ max-width: 190mm; margin: 8mm auto; }} }}
"""


def render_page(cards: Sequence[QrCard], ward_name: str) -> str:
    """The printable page: one card per branch and form, images referenced relatively
    (the page travels with its folder)."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="vi">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{e(PAGE_HEADING)} — {e(ward_name)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{e(ward_name)}<br>{e(PAGE_HEADING)}</h1>",
        '<div class="cards">',
    ]
    for card in cards:
        link = card.link
        note = (
            "Quét mã: biểu mẫu mở sẵn tên chi bộ"
            if card.prefilled
            else "Quét mã: biểu mẫu chưa điền sẵn tên chi bộ, chọn chi bộ khi điền"
        )
        parts += [
            '<section class="card">',
            f'<p class="ward">{e(ward_name)}</p>',
            f'<p class="heading">{e(PAGE_HEADING)}</p>',
            f'<p class="branch">{e(card.branch_name)}</p>',
            f'<p class="form">{e(link.title)}</p>',
            "<picture>",
            f'<source srcset="{e(card.stem)}.svg" type="image/svg+xml">',
            f'<img src="{e(card.stem)}.png" alt="{e(PAGE_HEADING)}: {e(link.title)}">',
            "</picture>",
            f'<p class="link"><a href="{e(link.url)}">{e(short_link(link.url))}</a></p>',
            f'<p class="note">{e(note)}</p>',
            "</section>",
        ]
    if not cards:
        parts.append("<p>Chưa có biểu mẫu nào có đường dẫn (form_url) trong cấu hình.</p>")
    parts += ["</div>", "</body>", "</html>", ""]
    return "\n".join(parts)
