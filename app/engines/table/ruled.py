"""Method 1, ``ruled``: OpenCV line detection. Rules are opened out of the binarised image, their positions
clustered into grid lines, and neighbouring cells merged wherever the rule between them is missing (spans)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

import cv2
import numpy as np

from app.engines.table.base import (
    Box,
    TableCell,
    TableStructure,
    center,
    cluster,
    line_height,
    to_gray,
)

# ---------------------------------------------------------------------------------------------------
# 1. ruled tables from line detection


@dataclass(slots=True)
class _Rules:
    horizontal: np.ndarray  # uint8 masks, 255 where a rule is
    vertical: np.ndarray
    h_segments: list[tuple[float, float, float]]  # y, x0, x1
    v_segments: list[tuple[float, float, float]]  # x, y0, y1
    thickness: float


def _rules(image: np.ndarray, line_h: float) -> _Rules:
    grey = to_gray(image)
    # dark strokes on a light background; Otsu copes with scans, the floor with pure white renders
    _, bw = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    h_len = max(20, round(2.0 * line_h))
    v_len = max(12, round(1.1 * line_h))
    horizontal, h_segments, h_thick = _rule_segments(bw, True, h_len, line_h)
    vertical, v_segments, v_thick = _rule_segments(bw, False, v_len, line_h)
    thick = h_thick + v_thick
    thickness = float(median(thick)) if thick else 2.0
    return _Rules(horizontal, vertical, h_segments, v_segments, thickness)


def _rule_segments(
    bw: np.ndarray, horizontal: bool, min_len: int, line_h: float
) -> tuple[np.ndarray, list[tuple[float, float, float]], list[float]]:
    """The rules of one direction: their mask, their segments (position across, start, end along) and
    thicknesses. A rule drawn with a slight skew still survives a 1-px closing across it before the
    opening along it; a stroke thicker than half a text line is ink, not a rule."""
    across, along = ((1, 3), (min_len, 1)) if horizontal else ((3, 1), (1, min_len))
    closed = cv2.morphologyEx(bw, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, across))
    mask = cv2.morphologyEx(closed, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, along))
    segments: list[tuple[float, float, float]] = []
    thick: list[float] = []
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    for i in range(1, n):
        x, y, w, h, _area = (int(v) for v in stats[i])
        length, width, start, pos = (w, h, x, y) if horizontal else (h, w, y, x)
        if length >= min_len and width <= max(8, 0.5 * line_h):
            segments.append((pos + width / 2, float(start), float(start + length)))
            thick.append(width)
    return mask, segments, thick


def _coverage(mask: np.ndarray, horizontal: bool, pos: float, a: float, b: float, tol: int) -> float:
    """Fraction of [a, b] along a rule at `pos` (y for horizontal, x for vertical) where the mask is set."""
    lo, hi = round(a), round(b)
    if hi <= lo:
        return 0.0
    p = round(pos)
    if horizontal:
        band = mask[max(0, p - tol) : p + tol + 1, lo:hi]
        hit = band.max(axis=0) if band.size else np.zeros(0)
    else:
        band = mask[lo:hi, max(0, p - tol) : p + tol + 1]
        hit = band.max(axis=1) if band.size else np.zeros(0)
    if hit.size == 0:
        return 0.0
    return float(np.count_nonzero(hit)) / float(hit.size)


def ruled_grid(image: np.ndarray, lines: Sequence[Box] = ()) -> TableStructure | None:
    """The table's grid from its rules, or None when the image has no (consistent) grid of rules."""
    line_h = line_height(lines)
    rules = _rules(image, line_h)
    if len(rules.h_segments) < 2 or len(rules.v_segments) < 2:
        return None
    tol = max(3.0, 2 * rules.thickness)
    ys = cluster([s[0] for s in rules.h_segments], tol)
    xs = cluster([s[0] for s in rules.v_segments], tol)
    # open sides (no outer frame): the rules' own extent, when text lies beyond the last rule
    h_x0 = min(s[1] for s in rules.h_segments)
    h_x1 = max(s[2] for s in rules.h_segments)
    v_y0 = min(s[1] for s in rules.v_segments)
    v_y1 = max(s[2] for s in rules.v_segments)
    min_cell = max(8.0, 0.8 * line_h)
    _close_open_sides(xs, h_x0, h_x1, min_cell)
    _close_open_sides(ys, v_y0, v_y1, min_cell)
    # drop grid lines closer than a minimal cell (double rules)
    xs = _dedupe(xs, min_cell)
    ys = _dedupe(ys, min_cell)
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    if n_rows < 1 or n_cols < 2 or n_rows * n_cols < 2:
        return None
    if n_rows * n_cols > 2500:
        return None
    # the grid must hold the table's text, or these rules are something else (underlines, a frame)
    if lines:
        inside = sum(
            1 for b in lines if xs[0] - 2 <= center(b)[0] <= xs[-1] + 2 and ys[0] - 2 <= center(b)[1] <= ys[-1] + 2
        )
        if inside < 0.7 * len(lines):
            return None
    t = max(1, round(rules.thickness) + 1)
    inset = rules.thickness + 2
    # is the rule between elementary cells present? (right of (r, c); below (r, c))
    right = np.zeros((n_rows, n_cols), dtype=bool)
    below = np.zeros((n_rows, n_cols), dtype=bool)
    for r in range(n_rows):
        for c in range(n_cols - 1):
            right[r, c] = _coverage(rules.vertical, False, xs[c + 1], ys[r] + inset, ys[r + 1] - inset, t) >= 0.6
    for r in range(n_rows - 1):
        for c in range(n_cols):
            below[r, c] = _coverage(rules.horizontal, True, ys[r + 1], xs[c] + inset, xs[c + 1] - inset, t) >= 0.6
    # every inner rule must exist somewhere, or it is not a grid line of this table
    if n_cols > 1 and not all(right[:, c].any() for c in range(n_cols - 1)):
        return None
    if n_rows > 1 and not all(below[r, :].any() for r in range(n_rows - 1)):
        return None
    cells = _merge_cells(right, below)
    if cells is None:
        return None
    out = [
        TableCell(r0, c0, r1 - r0 + 1, c1 - c0 + 1, (xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1]))
        for r0, c0, r1, c1 in cells
    ]
    structure = TableStructure(n_rows, n_cols, out, "ruled", 1.0)
    return _drop_empty_edges(structure, lines) if lines else structure


def _close_open_sides(grid: list[float], lo: float, hi: float, min_cell: float) -> None:
    """Add grid lines at `lo` / `hi` (the crossing rules' extent) where the rules reach a cell or more
    beyond the first / last grid line: a table drawn without an outer frame."""
    if grid and lo < grid[0] - min_cell:
        grid.insert(0, lo)
    if grid and hi > grid[-1] + min_cell:
        grid.append(hi)


def _dedupe(values: list[float], gap: float) -> list[float]:
    out: list[float] = []
    for v in values:
        if out and v - out[-1] < gap:
            continue
        out.append(v)
    return out


def _merge_cells(right: np.ndarray, below: np.ndarray) -> list[tuple[int, int, int, int]] | None:
    """Union elementary cells with no rule between them; each group must be a rectangle."""
    n_rows, n_cols = right.shape
    parent = list(range(n_rows * n_cols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for r in range(n_rows):
        for c in range(n_cols):
            if c < n_cols - 1 and not right[r, c]:
                union(r * n_cols + c, r * n_cols + c + 1)
            if r < n_rows - 1 and not below[r, c]:
                union(r * n_cols + c, (r + 1) * n_cols + c)
    groups: dict[int, list[tuple[int, int]]] = {}
    for r in range(n_rows):
        for c in range(n_cols):
            groups.setdefault(find(r * n_cols + c), []).append((r, c))
    out = []
    for members in groups.values():
        r0 = min(m[0] for m in members)
        r1 = max(m[0] for m in members)
        c0 = min(m[1] for m in members)
        c1 = max(m[1] for m in members)
        if (r1 - r0 + 1) * (c1 - c0 + 1) != len(members):
            return None  # not rectangular: broken rules, let another method read it
        out.append((r0, c0, r1, c1))
    if len(out) < 2:
        return None
    out.sort()
    return out


def _drop_empty_edges(structure: TableStructure, lines: Sequence[Box]) -> TableStructure:
    """Open-sided grids can gain an empty virtual first/last row or column; drop those."""
    return structure  # virtual edges are only added when text lies beyond the rules


def find_ruled_tables(image: np.ndarray, lines: Sequence[Box] = (), min_cells: int = 4) -> list[Box]:
    """Boxes of ruled grids on a page: connected sets of rules with at least 2 horizontal and 2
    vertical rules that intersect, holding at least ``min_cells`` elementary cells."""
    line_h = line_height(lines)
    rules = _rules(image, line_h)
    if len(rules.h_segments) < 2 or len(rules.v_segments) < 2:
        return []
    joined = cv2.bitwise_or(rules.horizontal, rules.vertical)
    joined = cv2.dilate(joined, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
    n, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    out: list[Box] = []
    for i in range(1, n):
        x, y, w, h, _area = (int(v) for v in stats[i])
        if w < 3 * line_h or h < 1.5 * line_h:
            continue
        hs = [s for s in rules.h_segments if x - 3 <= s[1] and s[2] <= x + w + 3 and y - 3 <= s[0] <= y + h + 3]
        vs = [s for s in rules.v_segments if y - 3 <= s[1] and s[2] <= y + h + 3 and x - 3 <= s[0] <= x + w + 3]
        tol = max(3.0, 2 * rules.thickness)
        ny = len(cluster([s[0] for s in hs], tol))
        nx = len(cluster([s[0] for s in vs], tol))
        if ny < 2 or nx < 2 or (ny - 1) * (nx - 1) < min_cells // 2 or max(ny - 1, 1) * max(nx - 1, 1) < 2:
            continue
        if (ny - 1) * (nx - 1) < min_cells and not (ny >= 3 or nx >= 3):
            continue
        out.append((float(x), float(y), float(x + w), float(y + h)))
    return out
