"""Reading order for text lines: top-to-bottom, left-to-right, aware of text columns. The one reading
order of the service: the OCR pipeline, the model server and the engines' reference loop all use it.

A recursive XY-cut over line boxes:
- a region splits into columns at a vertical gap that no line crosses, when both sides look like
  text columns (several lines, lines filling a good part of their side) rather than table cells;
- otherwise it splits at its widest horizontal gap and recurses on the two halves;
- a region with no gap left is read as rows (lines whose vertical centres are close) left to right.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from statistics import median
from typing import TypeVar

T = TypeVar("T")
BBox = tuple[float, float, float, float]


def _gaps(intervals: list[tuple[float, float]], lo: float, hi: float) -> list[tuple[float, float]]:
    """Uncovered stretches strictly inside [lo, hi] given covering intervals."""
    out = []
    cur = lo
    for a, b in sorted(intervals):
        if a > cur:
            out.append((cur, a))
        cur = max(cur, b)
    return [(a, b) for a, b in out if a > lo and b < hi]


def order_indices(boxes: Sequence[BBox]) -> list[int]:
    idx = list(range(len(boxes)))
    if len(idx) <= 1:
        return idx
    heights = [max(1.0, b[3] - b[1]) for b in boxes]
    h_med = median(heights)
    out: list[int] = []
    _cut(idx, boxes, h_med, out, depth=0)
    return out


def row_groups(boxes: Sequence[BBox]) -> list[list[int]]:
    """Indices of ``boxes`` grouped into visual rows (top to bottom, each left to right), without the
    column cut: boxes of one printed line split by the detector come out as one row."""
    if not boxes:
        return []
    h_med = median(max(1.0, b[3] - b[1]) for b in boxes)
    return _row_groups(list(range(len(boxes))), boxes, h_med)


def _rows(idx: list[int], boxes: Sequence[BBox], h_med: float) -> list[int]:
    return [i for row in _row_groups(idx, boxes, h_med) for i in row]


def _row_groups(idx: list[int], boxes: Sequence[BBox], h_med: float) -> list[list[int]]:
    items = sorted(idx, key=lambda i: (boxes[i][1] + boxes[i][3]) / 2)
    rows: list[list[int]] = []
    for i in items:
        cy = (boxes[i][1] + boxes[i][3]) / 2
        if rows:
            last = rows[-1]
            ly = median((boxes[j][1] + boxes[j][3]) / 2 for j in last)
            if abs(cy - ly) <= 0.5 * h_med:
                last.append(i)
                continue
        rows.append([i])
    return [sorted(row, key=lambda j: boxes[j][0]) for row in rows]


def _column_split(idx: list[int], boxes: Sequence[BBox], h_med: float) -> tuple[list[int], list[int]] | None:
    x0 = min(boxes[i][0] for i in idx)
    x1 = max(boxes[i][2] for i in idx)
    span = x1 - x0
    gaps = _gaps([(boxes[i][0], boxes[i][2]) for i in idx], x0, x1)
    gaps = [g for g in gaps if g[1] - g[0] >= max(h_med, 0.02 * span)]
    if not gaps:
        return None
    # widest gap first
    for a, b in sorted(gaps, key=lambda g: g[0] - g[1]):
        cut = (a + b) / 2
        left = [i for i in idx if boxes[i][2] <= cut]
        right = [i for i in idx if boxes[i][0] >= cut]
        if len(left) < 2 or len(right) < 2:
            continue
        ok = True
        for side in (left, right):
            sx0 = min(boxes[i][0] for i in side)
            sx1 = max(boxes[i][2] for i in side)
            side_span = max(1.0, sx1 - sx0)
            if side_span < 0.28 * span:
                ok = False  # narrow strip: table column or label column, not a text column
                break
            if median(boxes[i][2] - boxes[i][0] for i in side) < 0.5 * side_span:
                ok = False  # short fragments: table cells, read by rows instead
                break
        if ok:
            return left, right
    return None


def _cut(idx: list[int], boxes: Sequence[BBox], h_med: float, out: list[int], depth: int) -> None:
    if len(idx) <= 1 or depth > 64:
        out.extend(_rows(idx, boxes, h_med) if len(idx) > 1 else idx)
        return
    cols = _column_split(idx, boxes, h_med)
    if cols:
        for side in cols:
            _cut(side, boxes, h_med, out, depth + 1)
        return
    y0 = min(boxes[i][1] for i in idx)
    y1 = max(boxes[i][3] for i in idx)
    # shrink each line a little vertically so touching lines still leave a gap
    shrink = 0.15 * h_med
    ygaps = _gaps([(boxes[i][1] + shrink, boxes[i][3] - shrink) for i in idx], y0, y1)
    if ygaps:
        a, b = max(ygaps, key=lambda g: g[1] - g[0])
        cut = (a + b) / 2
        top = [i for i in idx if (boxes[i][1] + boxes[i][3]) / 2 < cut]
        bottom = [i for i in idx if (boxes[i][1] + boxes[i][3]) / 2 >= cut]
        if top and bottom:
            _cut(top, boxes, h_med, out, depth + 1)
            _cut(bottom, boxes, h_med, out, depth + 1)
            return
    out.extend(_rows(idx, boxes, h_med))


def sort_reading_order(items: Sequence[T], bbox_of: Callable[[T], Sequence[float]]) -> list[T]:
    boxes: list[BBox] = []
    for it in items:
        b = bbox_of(it)
        boxes.append((float(b[0]), float(b[1]), float(b[2]), float(b[3])))
    return [items[i] for i in order_indices(boxes)]
