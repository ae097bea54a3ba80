"""Tables on a page photographed at a slant: find them with the page turned so that its text lines run level.

A handheld photo of a receipt or statement is turned a few degrees; the rows of its item table then climb or
fall across the page, the row grouping (by vertical centre) mixes neighbouring rows and no header holds its
columns. The detector's boxes follow the text (they are turned rectangles), so the page's slant is the
median slope of its wider lines. Above ``MIN_SKEW`` degrees the table search (aligned_tables.py) runs on the
lines and the grey page turned back by that slope; what it finds is turned back onto the page as it came
(each cell's box the envelope of its turned corners). Scan wear below ``MIN_SKEW`` is left as it is: the
search already copes with it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from statistics import median

import cv2
import numpy as np

from app.features.ocr.types import Line
from app.features.structure.aligned_tables import FoundTable

MIN_SKEW = 0.8  # degrees; scan wear (up to about 0.6) needs no turning
MAX_SKEW = 15.0  # beyond this the boxes are more likely rotated text than a slanted page
WIDE = 3.0  # lines at least this many times as wide as high say the slope


def page_skew(lines: Sequence[Line]) -> float:
    """The page's slant in degrees (positive: lines fall to the right), from its wider lines' top edges."""
    slopes = []
    for ln in lines:
        (x0, y0), (x1, y1) = ln.box[0], ln.box[1]
        width, height = x1 - x0, ln.bbox[3] - ln.bbox[1]
        if width > 0 and width >= WIDE * max(1.0, height):
            slopes.append(math.degrees(math.atan2(y1 - y0, x1 - x0)))
    return float(median(slopes)) if len(slopes) >= 3 else 0.0


def _slant(lines: Sequence[Line]) -> float:
    """The page's slant when it is enough to matter (``MIN_SKEW`` to ``MAX_SKEW`` degrees), else 0."""
    skew = page_skew(lines)
    return skew if MIN_SKEW <= abs(skew) <= MAX_SKEW else 0.0


def page_slope(lines: Sequence[Line]) -> float:
    """The rows' rise per pixel across the page (dy/dx) when it is slanted enough to matter, else 0: what
    the row grouping of text blocks follows (blocks.row_groups)."""
    return math.tan(math.radians(_slant(lines)))


def _turn_points(m: np.ndarray, points: Sequence[Sequence[float]]) -> np.ndarray:
    pts = np.asarray(points, dtype=np.float64)
    return pts @ m[:, :2].T + m[:, 2]


def _envelope(m: np.ndarray, bbox: Sequence[float]) -> list[float]:
    x0, y0, x1, y1 = (float(v) for v in bbox)
    pts = _turn_points(m, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    return [float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())]


def turned(
    lines: Sequence[Line], gray: np.ndarray | None, degrees: float
) -> tuple[list[Line], np.ndarray | None, np.ndarray]:
    """The lines and the grey page turned by ``degrees`` about the page's centre (cv2's sense: positive is
    anticlockwise on screen), and the affine map that takes the turned page back. Without a page (/extraction
    reads lines only) the lines turn about their own centre."""
    if gray is not None:
        h, w = gray.shape[:2]
        centre = (w / 2.0, h / 2.0)
    else:
        centre = (
            float(np.mean([(ln.bbox[0] + ln.bbox[2]) / 2 for ln in lines])),
            float(np.mean([(ln.bbox[1] + ln.bbox[3]) / 2 for ln in lines])),
        )
    m = cv2.getRotationMatrix2D(centre, degrees, 1.0)
    page = (
        None
        if gray is None
        else np.asarray(cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=(255.0,)))
    )
    out = []
    for ln in lines:
        quad = _turn_points(m, ln.box)
        xs, ys = quad[:, 0], quad[:, 1]
        box = [[float(x), float(y)] for x, y in quad]
        out.append(replace(ln, box=box, bbox=[float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())]))
    return out, page, cv2.invertAffineTransform(m)


def find_level(
    find: Callable[[Sequence[Line], Sequence[int], np.ndarray | None], list[FoundTable]],
    lines: Sequence[Line],
    candidates: Sequence[int],
    gray: np.ndarray | None,
) -> list[FoundTable]:
    """``find`` (aligned_tables.find_tables) on the page as it is, or turned level when it is slanted."""
    skew = _slant(lines)
    if not skew:
        return find(lines, candidates, gray)
    level, page, back = turned(lines, gray, skew)
    found = find(level, candidates, page)
    for f in found:
        f.bbox = _envelope(back, f.bbox)
        for cell in f.table.cells:
            cell.bbox = _envelope(back, cell.bbox)
    return found
