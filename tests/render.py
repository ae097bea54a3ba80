"""Render test documents with known text (Korean: NanumGothic, Latin: DejaVu Sans from Debian's fonts).

Used by every test that needs a real image or PDF whose content is known exactly.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = [Path("/usr/share/fonts/truetype/nanum"), Path("/usr/share/fonts/truetype/dejavu")]
FONTS = {
    "nanum": "NanumGothic.ttf",
    "nanum-bold": "NanumGothicBold.ttf",
    "dejavu": "DejaVuSans.ttf",
    "dejavu-bold": "DejaVuSans-Bold.ttf",
}


def font_path(name: str) -> Path:
    for d in FONT_DIRS:
        p = d / FONTS[name]
        if p.exists():
            return p
    raise FileNotFoundError(f"font {name!r} not found; install fonts-nanum and fonts-dejavu-core")


def font(name: str = "nanum", size: int = 30) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(name)), size)


@dataclass
class Placed:
    """A piece of text drawn at a known place (bbox in pixels)."""

    text: str
    bbox: tuple[int, int, int, int]


def render_lines(
    lines: Sequence[str],
    *,
    font_name: str = "nanum",
    size: int = 30,
    width: int = 1240,
    height: int = 1754,
    margin: int = 80,
    spacing: float = 1.8,
) -> tuple[Image.Image, list[Placed]]:
    """An A4-like white page (150 dpi) with one text line per entry, top to bottom."""
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    f = font(font_name, size)
    placed: list[Placed] = []
    y = margin
    for text in lines:
        if text:
            x0, y0, x1, y1 = draw.textbbox((margin, y), text, font=f)
            draw.text((margin, y), text, fill="black", font=f)
            placed.append(Placed(text, (x0, y0, x1, y1)))
        y += int(size * spacing)
    return img, placed


def render_blocks(
    blocks: Sequence[tuple[str, int, int]],
    *,
    font_name: str = "nanum",
    size: int = 28,
    width: int = 1240,
    height: int = 1754,
) -> tuple[Image.Image, list[Placed]]:
    """Draw each (text, x, y) where it is asked; returns the image and where each text landed."""
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    f = font(font_name, size)
    placed = []
    for text, x, y in blocks:
        bbox = draw.textbbox((x, y), text, font=f)
        draw.text((x, y), text, fill="black", font=f)
        placed.append(Placed(text, bbox))
    return img, placed


def to_bytes(img: Image.Image, fmt: str = "PNG", **kwargs: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def images_to_pdf(images: Sequence[Image.Image], dpi: int = 150) -> bytes:
    """A PDF of raster pages (no text layer), one image per page."""
    buf = io.BytesIO()
    first, *rest = [im.convert("RGB") for im in images]
    first.save(buf, format="PDF", save_all=True, append_images=rest, resolution=dpi)
    return buf.getvalue()


KOREAN_SAMPLE = [
    "주식회사 한빛소프트 거래명세서",
    "서울특별시 강남구 테헤란로 123",
    "사업자등록번호 123-45-67890",
    "발행일 2025년 3월 4일",
    "품목 수량 단가 금액",
    "문서 인식 서비스 이용료 1 100,000원",
    "부가가치세 10% 10,000원",
    "합계 110,000원",
    "담당자 김민수 전화 02-1234-5678",
    "감사합니다. 다음 달에도 잘 부탁드립니다.",
]

ENGLISH_SAMPLE = [
    "Invoice INV-2025-0042",
    "Bright Data Systems Ltd.",
    "42 Harbour Street, Singapore 049321",
    "Issue date: March 4, 2025",
    "Description Qty Unit price Amount",
    "OCR service subscription 1 1,200.00",
    "Support plan 1 300.00",
    "Total due: $1,500.00",
    "Questions? billing@brightdata.example",
    "Thank you for your business.",
]
