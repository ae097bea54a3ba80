"""Where each word of a recognised line sits on the page (``words=true`` on /ocr, and the tables without
rules of /structure).

The recogniser returns a line's text, not where its words are; tables without rules need the words'
x-positions (a line box often spans several columns separated by a space or two). A line's words are
placed on the ink: the columns of the line box with no dark pixel form gaps, and the widest gaps (as many
as the text has spaces) are taken as the spaces, left to right. Where the ink does not show enough gaps
(touching glyphs, noise), the words are placed by their characters' typical widths instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.documents import rotate_image
from app.features.ocr.types import Line, PageResult

MIN_GAP = 0.12  # a space is at least this share of the line height wide
_GROUP_END = re.compile(r"^[(₩$€£¥]?[-+]?\d{1,3}(,\d{3})*,$")  # "19," of "19, 000"
_GROUP = re.compile(r"^\d{3}([,.]\d+)*(원|\))?$")


@dataclass(slots=True)
class Word:
    text: str
    x0: float
    x1: float
    line: int  # index of the line it belongs to

    @property
    def center(self) -> float:
        return (self.x0 + self.x1) / 2


def _char_width(ch: str) -> float:
    if ch.isspace():
        return 0.3
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0
    if ch in ",.:;'|!()[]":
        return 0.3
    if ch.isupper():
        return 0.68
    return 0.56


def _by_widths(words: list[str], x0: float, x1: float) -> list[tuple[float, float]]:
    text = " ".join(words)
    weights = [_char_width(c) for c in text]
    scale = (x1 - x0) / max(sum(weights), 1e-6)
    out = []
    pos = 0
    for w in words:
        start = x0 + sum(weights[:pos]) * scale
        end = start + sum(weights[pos : pos + len(w)]) * scale
        out.append((start, end))
        pos += len(w) + 1
    return out


def _ink(gray: np.ndarray, line: Line) -> tuple[float, float, list[tuple[float, float]]] | None:
    """The first and last inked x inside the line box, and its blank column runs, widest first
    ((start, end) in page x); None when the box shows no ink."""
    h_img, w_img = gray.shape[:2]
    x0, y0, x1, y1 = line.bbox
    ix0, iy0 = max(0, int(x0)), max(0, int(y0))
    ix1, iy1 = min(w_img, int(np.ceil(x1))), min(h_img, int(np.ceil(y1)))
    if ix1 - ix0 < 4 or iy1 - iy0 < 4:
        return None
    crop = gray[iy0:iy1, ix0:ix1]
    # ink: darker than the crop's paper by a margin (grey paper, faded print)
    paper = float(np.percentile(crop, 90))
    dark = crop < min(paper - 40.0, 160.0)
    cols: np.ndarray = np.asarray(dark.any(axis=0), dtype=bool)
    ink = np.nonzero(cols)[0]
    if ink.size == 0:
        return None
    first, last = int(ink[0]), int(ink[-1])
    min_gap = max(2.0, MIN_GAP * (iy1 - iy0))
    # blank runs between the first and last ink: where a blank stretch starts and where ink resumes
    blank = ~cols[first : last + 1]
    edges = np.diff(np.concatenate(([0], blank.astype(np.int8), [0])))
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    runs = [
        (float(ix0 + first + a), float(ix0 + first + b)) for a, b in zip(starts, ends, strict=True) if b - a >= min_gap
    ]
    runs.sort(key=lambda r: r[1] - r[0], reverse=True)
    return float(ix0 + first), float(ix0 + last + 1), runs


def join_split_numbers(words: Sequence[str]) -> list[str]:
    """Words with amounts the recogniser split after a thousands comma put back together
    (``19, 000`` -> ``19,000``; photos of receipts often read so)."""
    out: list[str] = []
    for w in words:
        if out and _GROUP_END.match(out[-1]) and _GROUP.match(w):
            out[-1] += w
        else:
            out.append(w)
    return out


def line_words(line: Line, index: int, gray: np.ndarray | None, *, join_numbers: bool = True) -> list[Word]:
    """``line``'s words (split at spaces; amounts split after a thousands comma joined unless
    ``join_numbers`` is false) with their x-extents on the page."""
    words = join_split_numbers(line.text.split()) if join_numbers else line.text.split()
    if not words:
        return []
    x0, x1 = float(line.bbox[0]), float(line.bbox[2])
    if len(words) == 1:
        return [Word(words[0], x0, x1, index)]
    spans = None
    ink = _ink(gray, line) if gray is not None else None
    if ink is not None:
        first, last, gaps = ink
        if len(gaps) >= len(words) - 1:
            cuts = sorted(gaps[: len(words) - 1])
            edges = [first, *(v for g in cuts for v in g), last]
            spans = [(edges[2 * k], edges[2 * k + 1]) for k in range(len(words))]
    if spans is None:
        spans = _by_widths(words, x0, x1)
    return [Word(w, a, b, index) for w, (a, b) in zip(words, spans, strict=True)]


def to_gray(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else image[:, :, :3].mean(axis=2).astype(np.uint8)


def add_words(result: PageResult, image: np.ndarray | None) -> None:
    """Give every line of ``result`` its words (its text split at spaces, as read) with their boxes
    (``image``: the page as it was read, before the rotation the service corrected; None places words by
    character widths). A word's box spans its line's height; on a tilted line it is the axis-aligned
    share of the line's box."""
    upright = rotate_image(image, result.rotation) if image is not None and result.rotation else image
    gray = to_gray(upright) if upright is not None else None
    for i, line in enumerate(result.lines):
        y0, y1 = round(float(line.bbox[1]), 1), round(float(line.bbox[3]), 1)
        line.words = [
            {"text": w.text, "bbox": [round(w.x0, 1), y0, round(w.x1, 1), y1]}
            for w in line_words(line, i, gray, join_numbers=False)
        ]
