"""Line images for training, degraded the way real documents are.

``render(text, rng)`` draws ``text`` in a training font and returns a grey uint8 crop 48 px high, as the
service's detector would hand it to the recognizer: some margin around the text (sometimes too little),
now and then a piece of the neighbouring line or a table rule at its edge. Degradations, each with
its own probability (``Degrade``): thermal-printer fade (a smooth loss of ink, dead print-head dots
as thin white lines), dot-matrix print (small bitmap glyphs scaled up), letter spacing and condensed or
expanded type, bold and thin strokes, rotation and perspective, uneven light and shadows, paper tone
and texture, low contrast, blur, a low-resolution bottleneck, noise, JPEG, inverted text.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from scripts.korean_rec.fonts import Font, training_fonts

HEIGHT = 48
MAX_WIDTH = 960


@dataclass
class Degrade:
    """Probabilities of each degradation (the defaults are what the shipped model was trained with)."""

    spacing: float = 0.2
    scale_x: float = 0.5
    bold: float = 0.15
    dot_matrix: float = 0.12
    thermal: float = 0.3
    rotate: float = 0.5
    perspective: float = 0.25
    neighbour: float = 0.15
    rule: float = 0.08
    light: float = 0.4
    texture: float = 0.4
    low_contrast: float = 0.25
    blur: float = 0.5
    lowres: float = 0.2
    noise: float = 0.5
    jpeg: float = 0.5
    invert: float = 0.03


_FONT_CACHE: dict[tuple[str, int, int], ImageFont.FreeTypeFont] = {}


def _font(font: Font, size: int) -> ImageFont.FreeTypeFont:
    key = (str(font.path), font.index, size)
    f = _FONT_CACHE.get(key)
    if f is None:
        if len(_FONT_CACHE) > 4000:
            _FONT_CACHE.clear()
        f = ImageFont.truetype(str(font.path), size, index=font.index)
        _FONT_CACHE[key] = f
    return f


def pick_font(text: str, rng: random.Random, fonts: tuple[Font, ...] | None = None) -> Font | None:
    fonts = fonts or training_fonts()
    hangul = any("\uac00" <= c <= "\ud7a3" or "\u3131" <= c <= "\u318e" for c in text)
    candidates = [f for f in fonts if f.supports(text) and (hangul is False or len(f.covers) > 3000)]
    if not candidates:
        return None
    return rng.choices(candidates, [f.weight for f in candidates])[0]


def _draw_mask(text: str, font: Font, size: int, rng: random.Random, d: Degrade, aliased: bool) -> np.ndarray:
    """Coverage mask (0..255) of the text, tight box plus a small safety border."""
    f = _font(font, size)
    stroke = 1 if (rng.random() < d.bold and size >= 22) else 0
    spacing = rng.uniform(0.05, 0.7) * size if (rng.random() < d.spacing and len(text) > 1) else 0.0
    ascent, descent = f.getmetrics()
    if spacing:
        widths = [f.getlength(c) for c in text]
        width = int(sum(widths) + spacing * (len(text) - 1)) + 4 * size // 10 + 2 * stroke + 4
    else:
        width = int(f.getlength(text)) + 4 * size // 10 + 2 * stroke + 4
    height = ascent + descent + 2 * stroke + 4
    img = Image.new("L", (max(width, 4), height), 0)
    draw = ImageDraw.Draw(img)
    if aliased:
        draw.fontmode = "1"
    x = 2 + stroke
    if spacing:
        for c, w in zip(text, widths, strict=True):
            draw.text((x, 2 + stroke), c, font=f, fill=255, stroke_width=stroke, stroke_fill=255)
            x += w + spacing
    else:
        draw.text((x, 2 + stroke), text, font=f, fill=255, stroke_width=stroke, stroke_fill=255)
    mask = np.asarray(img)
    cols = np.flatnonzero(mask.max(axis=0) > 0)
    if cols.size == 0:
        return mask[:, :0]
    # vertical extent: the ink rows of a reference string in this font and size (so that "ㅡ" and "가"
    # get the same line height, and fonts with a large line gap do not shrink the text), widened by
    # this text's own ink where it reaches further (brackets, descenders)
    top, bottom = _line_rows(font, size, stroke)
    rows = np.flatnonzero(mask.max(axis=1) > 0)
    top, bottom = min(top, int(rows[0])), max(bottom, int(rows[-1]) + 1)
    return mask[max(0, top - 1) : bottom + 1, max(0, cols[0] - 1) : cols[-1] + 2]


_ROWS: dict[tuple[str, int, int, int], tuple[int, int]] = {}
REFERENCE = "가힣Hg|(1"


def _line_rows(font: Font, size: int, stroke: int) -> tuple[int, int]:
    key = (str(font.path), font.index, size, stroke)
    if key not in _ROWS:
        f = _font(font, size)
        ascent, descent = f.getmetrics()
        img = Image.new("L", (int(f.getlength(REFERENCE)) + 8, ascent + descent + 2 * stroke + 4), 0)
        ImageDraw.Draw(img).text((2 + stroke, 2 + stroke), "".join(c for c in REFERENCE if c in font.covers),
                                 font=f, fill=255, stroke_width=stroke, stroke_fill=255)  # fmt: skip
        rows = np.flatnonzero(np.asarray(img).max(axis=1) > 0)
        _ROWS[key] = (int(rows[0]), int(rows[-1]) + 1) if rows.size else (0, img.height)
    return _ROWS[key]


def _smooth_field(h: int, w: int, rng: np.random.Generator, cells: int, lo: float, hi: float) -> np.ndarray:
    coarse = rng.uniform(lo, hi, (max(2, h // max(1, h // 3)), max(2, cells)))
    return cv2.resize(coarse.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def render(
    text: str, rng: random.Random, d: Degrade | None = None, fonts: tuple[Font, ...] | None = None
) -> np.ndarray | None:
    """Grey uint8 (48, W) image of ``text``, or None when no font (default: the training fonts) can draw it."""
    d = d or Degrade()
    font = pick_font(text, rng, fonts)
    if font is None:
        return None
    nrng = np.random.default_rng(rng.getrandbits(32))
    dot = rng.random() < d.dot_matrix
    size = rng.randint(11, 17) if dot else rng.randint(18, 56)
    mask = _draw_mask(text, font, size, rng, d, aliased=dot).astype(np.float32) / 255.0
    if mask.shape[1] < 2:
        return None
    if dot:  # bitmap print: blocky glyphs scaled up
        up = rng.uniform(2.0, 3.5)
        interp = cv2.INTER_NEAREST if rng.random() < 0.6 else cv2.INTER_LINEAR
        mask = cv2.resize(mask, (round(mask.shape[1] * up), round(mask.shape[0] * up)), interpolation=interp)
        if rng.random() < 0.5:  # separate dots
            k = max(1, round(up / 2))
            grid = np.ones_like(mask)
            grid[:: k * 2 if k > 1 else 3, :] *= rng.uniform(0.3, 0.8)
            mask *= grid
    if rng.random() < d.scale_x:
        sx = rng.uniform(0.7, 1.35)
        mask = cv2.resize(mask, (max(2, round(mask.shape[1] * sx)), mask.shape[0]), interpolation=cv2.INTER_AREA)
    th = mask.shape[0]
    if rng.random() < d.thermal:  # faded thermal print: smooth ink loss, dead dots as white lines
        mask *= _smooth_field(th, mask.shape[1], nrng, max(2, mask.shape[1] // 30), rng.uniform(0.4, 0.8), 1.0)
        for _ in range(rng.randint(0, 3)):
            y = rng.randint(0, th - 1)
            mask[y : y + rng.randint(1, 2)] *= rng.uniform(0.0, 0.4)
        if rng.random() < 0.4:
            mask = cv2.erode(mask, np.ones((2, 2), np.uint8))
    # canvas with margins as a detector's box gives them (sometimes cut into the glyphs)
    top = round(th * rng.uniform(-0.06, 0.3))
    bottom = round(th * rng.uniform(-0.06, 0.3))
    left = round(th * rng.uniform(0.0, 0.35))
    right = round(th * rng.uniform(0.0, 0.35))
    h = th + top + bottom
    w = mask.shape[1] + left + right
    canvas = np.zeros((h, w), np.float32)
    ys, yd = max(0, -top), max(0, top)
    hh = min(th - ys, h - yd)
    canvas[yd : yd + hh, left : left + mask.shape[1]] = mask[ys : ys + hh]
    if rng.random() < d.neighbour:  # the bottom of the line above or the top of the line below
        other = _draw_mask(text[::-1] if len(text) > 2 else "가나다라마바사", font, size, rng, d, aliased=False)
        other = other.astype(np.float32) / 255.0
        show = rng.randint(2, max(3, th // 3))
        piece = other[-show:] if rng.random() < 0.5 else other[:show]
        x0 = rng.randint(0, max(0, w - 2))
        piece = piece[:, : w - x0]
        if rng.random() < 0.5 and top > show:
            canvas[:show, x0 : x0 + piece.shape[1]] = np.maximum(canvas[:show, x0 : x0 + piece.shape[1]], piece)
        elif bottom > show:
            canvas[-show:, x0 : x0 + piece.shape[1]] = np.maximum(canvas[-show:, x0 : x0 + piece.shape[1]], piece)
    if rng.random() < d.rule:  # a table rule above or below the text
        y = rng.choice([rng.randint(0, max(0, top - 1)), rng.randint(min(h - 1, top + th), h - 1)])
        t = rng.randint(1, 3)
        canvas[y : y + t, :] = np.maximum(canvas[y : y + t, :], rng.uniform(0.5, 1))
    # geometry
    if rng.random() < d.rotate:
        angle = rng.uniform(-2.0, 2.0)
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        canvas = cv2.warpAffine(canvas, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
    if rng.random() < d.perspective:
        dx, dy = w * 0.04, h * 0.12
        src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        dst = np.float32([[rng.uniform(0, dx), rng.uniform(0, dy)], [w - rng.uniform(0, dx), rng.uniform(0, dy)],
                          [w - rng.uniform(0, dx), h - rng.uniform(0, dy)], [rng.uniform(0, dx), h - rng.uniform(0, dy)]])  # fmt: skip
        canvas = cv2.warpPerspective(canvas, cv2.getPerspectiveTransform(src, dst), (w, h), flags=cv2.INTER_LINEAR)
    # scale to the recognizer's height now: the remaining steps act at the resolution the model sees
    scale = HEIGHT / h
    out_w = max(8, round(w * scale))
    if out_w > MAX_WIDTH:
        return None
    ink_map = cv2.resize(canvas, (out_w, HEIGHT), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    # paper and ink
    paper = rng.uniform(170, 255)
    contrast = rng.uniform(40, 90) if rng.random() < d.low_contrast else rng.uniform(90, paper)
    ink = max(0.0, paper - contrast)
    bg = np.full((HEIGHT, out_w), paper, np.float32)
    if rng.random() < d.texture:
        tex = cv2.GaussianBlur(nrng.normal(0, 1, (HEIGHT, out_w)).astype(np.float32), (0, 0), rng.uniform(0.8, 3))
        bg += tex * rng.uniform(3, 12)
    img = bg * (1 - ink_map) + ink * ink_map
    if rng.random() < d.light:  # shadow or uneven light across the crop (dims paper and ink alike)
        img *= _smooth_field(HEIGHT, out_w, nrng, rng.randint(2, 5), rng.uniform(0.6, 0.95), 1.0)
    if rng.random() < d.blur:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 1.4))
        if rng.random() < 0.15:
            k = rng.randint(3, 5)
            kern = np.zeros((k, k), np.float32)
            kern[k // 2, :] = 1.0 / k
            img = cv2.filter2D(img, -1, kern)
    if rng.random() < d.lowres:
        f = rng.uniform(0.3, 0.6)
        small = cv2.resize(img, (max(4, round(out_w * f)), max(4, round(HEIGHT * f))), interpolation=cv2.INTER_AREA)
        img = cv2.resize(small, (out_w, HEIGHT), interpolation=cv2.INTER_LINEAR)
    if rng.random() < d.noise:
        img = img + nrng.normal(0, rng.uniform(2, 14), img.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    if rng.random() < d.jpeg:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(20, 92)])
        if ok:
            img = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    if rng.random() < d.invert:
        img = 255 - img
    return img


def to_png(img: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()
