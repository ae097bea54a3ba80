"""Drawing for the extraction evaluation's documents: installed fonts, a page that remembers every string
it draws, the layouts business documents use for a label and its value, item tables, totals, scan effects.

Fonts are looked up by file name anywhere under /usr/share/fonts (Debian's fonts-nanum, fonts-unfonts-core,
fonts-noto-cjk, fonts-baekmuk, fonts-dejavu); a Korean face is used only when its cmap has Hangul, and a
string a face cannot render is drawn with a fallback face rather than as boxes.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from fontTools.ttLib import TTCollection, TTFont
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_ROOT = Path("/usr/share/fonts")
INK = (25, 25, 25)
GREY = (95, 95, 95)

# (name, regular file, bold file); .ttc files use their Korean face
_KO_FACES = [
    ("NanumGothic", "NanumGothic.ttf", "NanumGothicBold.ttf"),
    ("NanumMyeongjo", "NanumMyeongjo.ttf", "NanumMyeongjoBold.ttf"),
    ("NanumBarunGothic", "NanumBarunGothic.ttf", "NanumBarunGothicBold.ttf"),
    ("UnDotum", "UnDotum.ttf", "UnDotumBold.ttf"),
    ("UnBatang", "UnBatang.ttf", "UnBatangBold.ttf"),
    ("NotoSansCJKkr", "NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc"),
    ("NotoSerifCJKkr", "NotoSerifCJK-Regular.ttc", "NotoSerifCJK-Bold.ttc"),
    ("BaekmukDotum", "dotum.ttf", "dotum.ttf"),
    ("BaekmukBatang", "batang.ttf", "batang.ttf"),
]
_LATIN_FACES = [
    ("DejaVuSans", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("DejaVuSerif", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
    ("DejaVuSansMono", "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"),
    ("DejaVuSansCondensed", "DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf"),
]
# Korean faces whose Latin is good enough for an English document
_KO_FOR_LATIN = {"NanumGothic", "NanumBarunGothic", "NotoSansCJKkr", "NotoSerifCJKkr", "UnDotum", "NanumMyeongjo"}


@dataclass(frozen=True)
class Face:
    name: str
    path: str
    index: int
    bold_path: str
    bold_index: int


@cache
def _font_files() -> dict[str, str]:
    return {p.name: str(p) for p in sorted(FONT_ROOT.rglob("*")) if p.suffix.lower() in {".ttf", ".ttc", ".otf"}}


@cache
def _ko_index(path: str) -> int:
    """The Korean face of a collection (Noto CJK: index 1), else 0."""
    if not path.endswith(".ttc"):
        return 0
    for i in range(16):
        try:
            if str(ImageFont.truetype(path, 12, index=i).getname()[0]).endswith(" KR"):
                return i
        except OSError:
            break
    return 0


@cache
def _cmap(path: str, index: int) -> frozenset[int]:
    font = TTCollection(path).fonts[index] if path.endswith(".ttc") else TTFont(path, lazy=True)
    return frozenset(font.getBestCmap() or {})


def _face(name: str, regular: str, bold: str) -> Face | None:
    files = _font_files()
    if regular not in files:
        return None
    path = files[regular]
    bold_path = files.get(bold, path)
    return Face(name, path, _ko_index(path), bold_path, _ko_index(bold_path))


@cache
def faces(lang: str) -> tuple[Face, ...]:
    """Installed faces for ``ko`` (Hangul in the cmap) or ``en`` documents, in a fixed order."""
    if lang == "ko":
        found = [f for spec in _KO_FACES if (f := _face(*spec)) is not None]
        return tuple(f for f in found if ord("가") in _cmap(f.path, f.index) and ord("힣") in _cmap(f.path, f.index))
    latin = [f for spec in _LATIN_FACES if (f := _face(*spec)) is not None]
    return tuple(latin + [f for f in faces("ko") if f.name in _KO_FOR_LATIN])


@cache
def _font(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=index)


class Page:
    """A white (or light grey) sheet; ``lines`` keeps every string drawn, in drawing order."""

    def __init__(self, width: int, height: int, face: Face, bg: tuple[int, int, int] = (255, 255, 255)) -> None:
        self.img = Image.new("RGB", (width, height), bg)
        self.draw = ImageDraw.Draw(self.img)
        self.face = face
        self.lines: list[str] = []
        self.width, self.height = width, height
        self.bottom = 0

    def _pick(self, text: str, bold: bool) -> tuple[str, int]:
        path, index = (self.face.bold_path, self.face.bold_index) if bold else (self.face.path, self.face.index)
        want = {ord(c) for c in text if not c.isspace()}
        if want <= _cmap(path, index):
            return path, index
        for f in (*faces("ko"), *faces("en")):  # a face that has every character
            if want <= _cmap(f.path, f.index):
                return f.path, f.index
        return path, index

    def font(self, text: str, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
        path, index = self._pick(text, bold)
        return _font(path, index, size)

    def length(self, text: str, size: int, bold: bool = False) -> float:
        return float(self.font(text, size, bold).getlength(text))

    def fit(self, text: str, size: int, max_w: float, bold: bool = False) -> int:
        while size > 16 and self.length(text, size, bold) > max_w:
            size -= 1
        return size

    def text(self, x: float, y: float, text: str, size: int, *, bold: bool = False, anchor: str = "la",
             fill: tuple[int, int, int] = INK, max_w: float | None = None) -> float:  # fmt: skip
        """Draw ``text`` with its top at ``y`` (anchor l/m/r + a); returns its width."""
        if max_w is not None:
            size = self.fit(text, size, max_w, bold)
        font = self.font(text, size, bold)
        self.draw.text((x, y), text, font=font, fill=fill, anchor=anchor)
        self.lines.append(text)
        self.bottom = max(self.bottom, int(y + size * 1.3))
        return float(font.getlength(text))

    def hline(self, x0: float, x1: float, y: float, width: int = 1, fill: tuple[int, int, int] = INK) -> None:
        self.draw.line([(x0, y), (x1, y)], fill=fill, width=width)

    def vline(self, x: float, y0: float, y1: float, width: int = 1, fill: tuple[int, int, int] = INK) -> None:
        self.draw.line([(x, y0), (x, y1)], fill=fill, width=width)

    def box(self, x0: float, y0: float, x1: float, y1: float, width: int = 1,
            fill: tuple[int, int, int] | None = None, outline: tuple[int, int, int] = INK) -> None:  # fmt: skip
        self.draw.rectangle([x0, y0, x1, y1], fill=fill, outline=outline, width=width)


# --------------------------------------------------------------------------- layouts

KV_STYLES = ("inline", "column", "above", "table", "grid")


def kv(page: Page, pairs: list[tuple[str, str]], style: str, x: float, y: float, w: float, size: int,
       sep: str = ": ", line: tuple[int, int, int] = INK, cols: int = 3) -> float:  # fmt: skip
    """Labelled values in one of KV_STYLES; returns the y below the block."""
    step = round(size * 1.65)
    if style == "inline":
        for label, value in pairs:
            page.text(x, y, f"{label}{sep}{value}", size, max_w=w)
            y += step
        return y
    if style == "column":
        col = max(page.length(lb, size) for lb, _ in pairs) + size * 1.5
        for label, value in pairs:
            page.text(x, y, label, size, fill=GREY if sep == "" else INK)
            page.text(x + col, y, value, size, max_w=w - col)
            y += step
        return y
    if style == "above":
        small = max(16, round(size * 0.72))
        for label, value in pairs:
            page.text(x, y, label, small, fill=GREY)
            page.text(x, y + small * 1.3, value, size, bold=True, max_w=w)
            y += small * 1.3 + step
        return y
    if style == "table":
        for start in range(0, len(pairs), cols):
            chunk = pairs[start : start + cols]
            cw = w / len(chunk)
            top = y
            for j, (label, value) in enumerate(chunk):
                page.box(x + j * cw, top, x + (j + 1) * cw, top + step, fill=(238, 238, 238), outline=line)
                page.box(x + j * cw, top + step, x + (j + 1) * cw, top + 2 * step, outline=line)
                page.text(x + j * cw + cw / 2, top + step * 0.18, label, size, anchor="ma", max_w=cw - 16)
                page.text(x + j * cw + cw / 2, top + step * 1.18, value, size, anchor="ma", max_w=cw - 16)
            y = top + 2 * step + size * 0.6
        return y
    # grid: label cell | value cell, one pair per row
    lw = min(w * 0.34, max(page.length(lb, size) for lb, _ in pairs) + size * 1.4)
    rh = round(size * 1.9)
    for label, value in pairs:
        page.box(x, y, x + lw, y + rh, fill=(240, 240, 240), outline=line)
        page.box(x + lw, y, x + w, y + rh, outline=line)
        page.text(x + lw / 2, y + rh * 0.2, label, size, anchor="ma", max_w=lw - 12)
        page.text(x + lw + size * 0.5, y + rh * 0.2, value, size, max_w=w - lw - size)
        y += rh
    return y + size * 0.6


def table(page: Page, x: float, y: float, widths: list[float], header: list[str], rows: list[list[str]],
          size: int, *, ruled: bool, right: set[int], line: tuple[int, int, int] = INK) -> float:  # fmt: skip
    """An item table; columns in ``right`` are right-aligned (numbers). Returns the y below it."""
    rh = round(size * 1.75)
    x1 = x + sum(widths)
    for r_i, row in enumerate([header, *rows]):
        top = y + r_i * rh
        if ruled:
            page.box(x, top, x1, top + rh, fill=(236, 236, 236) if r_i == 0 else None, outline=line)
        cx = x
        for c_i, (cell, cw) in enumerate(zip(row, widths, strict=True)):
            if ruled and c_i:
                page.vline(cx, top, top + rh, fill=line)
            if cell:
                if r_i == 0:
                    page.text(cx + cw / 2, top + rh * 0.2, cell, size, anchor="ma", bold=True, max_w=cw - 10)
                elif c_i in right:
                    page.text(cx + cw - 10, top + rh * 0.2, cell, size, anchor="ra", max_w=cw - 14)
                else:
                    page.text(cx + 10, top + rh * 0.2, cell, size, max_w=cw - 14)
            cx += cw
        if not ruled and r_i == 0:
            page.hline(x, x1, top + rh - 2, width=2)
    end = y + (len(rows) + 1) * rh
    if not ruled:
        page.hline(x, x1, end + 2)
    return end + size * 0.8


TOTAL_STYLES = ("leaders", "spaces", "inline", "boxed")


def totals(page: Page, pairs: list[tuple[str, str]], style: str, x0: float, x1: float, y: float, size: int,
           *, bold_last: bool = True, line: tuple[int, int, int] = INK) -> float:  # fmt: skip
    """Totals right-aligned at ``x1``: dot leaders, spaces, one right-aligned string, or ruled rows."""
    step = round(size * 1.7)
    for i, (label, value) in enumerate(pairs):
        bold = bold_last and i == len(pairs) - 1
        if style == "inline":
            page.text(x1, y, f"{label}  {value}", size, anchor="ra", bold=bold)
        elif style == "boxed":
            mid = x0 + (x1 - x0) * 0.45
            page.box(x0, y - size * 0.3, x1, y + step - size * 0.3, outline=line)
            page.vline(mid, y - size * 0.3, y + step - size * 0.3, fill=line)
            page.text(x0 + 12, y, label, size, bold=bold, max_w=mid - x0 - 20)
            page.text(x1 - 12, y, value, size, anchor="ra", bold=bold)
        else:
            lw = page.text(x0, y, label, size, bold=bold)
            vw = page.text(x1, y, value, size, anchor="ra", bold=bold)
            if style == "leaders":
                dot = page.length(".", size)
                n = int((x1 - x0 - lw - vw - 2 * size) / max(dot, 1.0))
                if n > 2:
                    page.text(x0 + lw + size, y, "." * n, size, fill=GREY)
        y += step
    return y


# --------------------------------------------------------------------------- scan effects


def scan(img: Image.Image, r: random.Random) -> tuple[Image.Image, int]:
    """Mild scanner/phone effects that keep text legible: grey paper, rotation ±1.5°, blur ≤ 0.8,
    noise; returns the image and the JPEG quality to encode it with (60–85)."""
    grey = r.randint(228, 246)
    a = np.asarray(img).astype(np.float32) * (grey / 255.0)
    out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    if r.random() < 0.8:
        out = out.rotate(r.uniform(-1.5, 1.5), resample=Image.Resampling.BICUBIC, fillcolor=(grey, grey, grey))
    if r.random() < 0.6:
        out = out.filter(ImageFilter.GaussianBlur(r.uniform(0.3, 0.8)))
    if r.random() < 0.7:
        a = np.asarray(out).astype(np.float32)
        a += np.random.default_rng(r.getrandbits(32)).normal(0.0, r.uniform(3.0, 9.0), a.shape[:2])[..., None]
        out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
    return out, r.randint(60, 85)


def encode(img: Image.Image, jpeg_quality: int | None) -> bytes:
    buf = io.BytesIO()
    if jpeg_quality:
        img.save(buf, format="JPEG", quality=jpeg_quality)
    else:
        img.save(buf, format="PNG", compress_level=3)
    return buf.getvalue()
