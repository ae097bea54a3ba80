"""Table structure recognition: a table image (+ where its text lines are) -> rows, columns, spans.

The engine returns the grid only: every cell's row, column, spans and its box in the image. Cell
text comes from the service's own OCR lines (or a PDF's text layer), matched to those boxes by the
structure pipeline (:func:`assign_lines`), which re-reads a line that crosses cell borders piece by piece.

Three methods, tried in this order by :class:`HybridTableRecognizer` (see docs/structure.md for the
measurements behind the order):

1. ``ruled``: OpenCV line detection. Horizontal and vertical rules are opened out of the binarised
   image, their positions clustered into grid lines, and neighbouring grid cells merged wherever the
   rule between them is missing (row/col spans). Exact on ruled tables, ~10 ms.
2. ``slanet``: rapid-table with the SLANet (PP-Structure en) ONNX model for tables without a full
   grid of rules. Its logical cells give rows/cols/spans; the row and column extents are rebuilt from
   its cell boxes so the OCR lines can be matched.
3. ``alignment``: no model: rows from the lines' vertical positions, columns from the vertical
   whitespace that runs through the rows. The fallback when SLANet is missing or its grid does not
   fit the text.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any, Protocol, runtime_checkable

import cv2
import numpy as np

from app.engines.base import EngineInfo, EngineLoadError

log = logging.getLogger(__name__)

Box = tuple[float, float, float, float]  # x0, y0, x1, y1


@dataclass(slots=True)
class TableCell:
    row: int
    col: int
    rowspan: int
    colspan: int
    bbox: Box  # the cell's extent in the table image


@dataclass(slots=True)
class TableStructure:
    rows: int
    cols: int
    cells: list[TableCell] = field(default_factory=list)
    method: str = "none"  # ruled | slanet | alignment | none
    score: float = 1.0

    @property
    def spans(self) -> bool:
        return any(c.rowspan > 1 or c.colspan > 1 for c in self.cells)

    def shifted(self, dx: float, dy: float) -> TableStructure:
        cells = [
            TableCell(
                c.row,
                c.col,
                c.rowspan,
                c.colspan,
                (c.bbox[0] + dx, c.bbox[1] + dy, c.bbox[2] + dx, c.bbox[3] + dy),
            )
            for c in self.cells
        ]
        return TableStructure(self.rows, self.cols, cells, self.method, self.score)


@runtime_checkable
class TableRecognizer(Protocol):
    info: EngineInfo

    def recognize(self, images: Sequence[np.ndarray], lines: Sequence[Sequence[Box]]) -> list[TableStructure]:
        """Table images (RGB uint8) + the boxes of the text lines in each -> one structure per image."""
        ...

    def find_tables(self, image: np.ndarray, lines: Sequence[Box]) -> list[Box]:
        """Ruled tables on a whole page (boxes), so tables the layout model missed are still read."""
        ...


# ---------------------------------------------------------------------------------------------------
# helpers


def _gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    return cv2.cvtColor(np.ascontiguousarray(image[:, :, :3]), cv2.COLOR_RGB2GRAY)


def _line_height(lines: Sequence[Box], default: float = 24.0) -> float:
    hs = [b[3] - b[1] for b in lines if b[3] - b[1] > 2]
    return float(median(hs)) if hs else default


def _cluster(values: Sequence[float], tol: float) -> list[float]:
    """Sorted values grouped where neighbours are within tol; returns each group's mean."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [float(np.mean(g)) for g in out]


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _center(b: Box) -> tuple[float, float]:
    return (b[0] + b[2]) / 2, (b[1] + b[3]) / 2


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
    gray = _gray(image)
    # dark strokes on a light background; Otsu copes with scans, the floor with pure white renders
    _, bw = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    h_len = max(20, round(2.0 * line_h))
    v_len = max(12, round(1.1 * line_h))
    # a rule drawn with a slight skew still survives a 1-px vertical closing before the opening
    bw_h = cv2.morphologyEx(bw, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 3)))
    bw_v = cv2.morphologyEx(bw, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 1)))
    horizontal = cv2.morphologyEx(bw_h, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (h_len, 1)))
    vertical = cv2.morphologyEx(bw_v, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, v_len)))
    h_segments: list[tuple[float, float, float]] = []
    thick: list[float] = []
    n, _, stats, _ = cv2.connectedComponentsWithStats(horizontal, connectivity=8)
    for i in range(1, n):
        x, y, w, h, _area = (int(v) for v in stats[i])
        if w >= h_len and h <= max(8, 0.5 * line_h):
            h_segments.append((y + h / 2, float(x), float(x + w)))
            thick.append(h)
    v_segments: list[tuple[float, float, float]] = []
    n, _, stats, _ = cv2.connectedComponentsWithStats(vertical, connectivity=8)
    for i in range(1, n):
        x, y, w, h, _area = (int(v) for v in stats[i])
        if h >= v_len and w <= max(8, 0.5 * line_h):
            v_segments.append((x + w / 2, float(y), float(y + h)))
            thick.append(w)
    thickness = float(median(thick)) if thick else 2.0
    return _Rules(horizontal, vertical, h_segments, v_segments, thickness)


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
    line_h = _line_height(lines)
    rules = _rules(image, line_h)
    if len(rules.h_segments) < 2 or len(rules.v_segments) < 2:
        return None
    tol = max(3.0, 2 * rules.thickness)
    ys = _cluster([s[0] for s in rules.h_segments], tol)
    xs = _cluster([s[0] for s in rules.v_segments], tol)
    # open sides (no outer frame): the rules' own extent, when text lies beyond the last rule
    h_x0 = min(s[1] for s in rules.h_segments)
    h_x1 = max(s[2] for s in rules.h_segments)
    v_y0 = min(s[1] for s in rules.v_segments)
    v_y1 = max(s[2] for s in rules.v_segments)
    min_cell = max(8.0, 0.8 * line_h)
    virtual_x: set[int] = set()
    virtual_y: set[int] = set()
    if xs and h_x0 < xs[0] - min_cell:
        xs.insert(0, h_x0)
        virtual_x.add(0)
    if xs and h_x1 > xs[-1] + min_cell:
        xs.append(h_x1)
        virtual_x.add(len(xs) - 1)
    if ys and v_y0 < ys[0] - min_cell:
        ys.insert(0, v_y0)
        virtual_y.add(0)
    if ys and v_y1 > ys[-1] + min_cell:
        ys.append(v_y1)
        virtual_y.add(len(ys) - 1)
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
            1 for b in lines if xs[0] - 2 <= _center(b)[0] <= xs[-1] + 2 and ys[0] - 2 <= _center(b)[1] <= ys[-1] + 2
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
    line_h = _line_height(lines)
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
        ny = len(_cluster([s[0] for s in hs], tol))
        nx = len(_cluster([s[0] for s in vs], tol))
        if ny < 2 or nx < 2 or (ny - 1) * (nx - 1) < min_cells // 2 or max(ny - 1, 1) * max(nx - 1, 1) < 2:
            continue
        if (ny - 1) * (nx - 1) < min_cells and not (ny >= 3 or nx >= 3):
            continue
        out.append((float(x), float(y), float(x + w), float(y + h)))
    return out


# ---------------------------------------------------------------------------------------------------
# 2. SLANet through rapid-table


def _bands(spans: Sequence[tuple[int, int, float, float]], n: int, lo: float, hi: float) -> list[float]:
    """Boundaries (n + 1 values) of n rows/columns from the extents of cells spanning one row/column
    ((first, last, a, b) each); rows/columns no such cell covers are interpolated from their neighbours."""
    lows: list[list[float]] = [[] for _ in range(n)]
    highs: list[list[float]] = [[] for _ in range(n)]
    for i0, i1, a, b in spans:
        if i0 == i1 and 0 <= i0 < n:
            lows[i0].append(a)
            highs[i0].append(b)
    known = {i: (float(np.median(lows[i])), float(np.median(highs[i]))) for i in range(n) if lows[i]}
    if not known:
        step = (hi - lo) / max(n, 1)
        return [lo + step * i for i in range(n + 1)]
    centers: list[tuple[float, float]] = []
    for i in range(n):
        if i in known:
            centers.append(known[i])
            continue
        prev = max((k for k in known if k < i), default=-1)
        nxt = min((k for k in known if k > i), default=-1)
        if prev >= 0 and nxt >= 0:
            f = (i - prev) / (nxt - prev)
            (pa, pb), (na, nb) = known[prev], known[nxt]
            centers.append((pa + (na - pa) * f, pb + (nb - pb) * f))
        elif prev >= 0:
            pa, pb = known[prev]
            w = pb - pa
            centers.append((pb + (i - prev - 1) * w, pb + (i - prev) * w))
        else:
            na, nb = known[nxt]
            w = nb - na
            centers.append((na - (nxt - i) * w, na - (nxt - i - 1) * w))
    bounds = [lo]
    for i in range(n - 1):
        cut = (centers[i][1] + centers[i + 1][0]) / 2
        bounds.append(max(bounds[-1] + 1, cut))
    bounds.append(max(bounds[-1] + 1, hi))
    return bounds


class SlanetStructure:
    """SLANet (rapid-table) structure only: logical cells and their boxes; OCR is our own."""

    def __init__(self, model_path: str | Path, *, cpu_threads: int = 0, device: str = "cpu") -> None:
        try:
            from rapid_table import ModelType, RapidTable, RapidTableInput
            from rapid_table.table_matcher import TableMatch
        except ImportError as exc:
            raise EngineLoadError(f"rapid-table is not installed: {exc}") from exc
        path = Path(model_path)
        if not path.is_file():
            from app.engines.models import FETCH_HINT

            raise EngineLoadError(f"table structure model {path} is missing; {FETCH_HINT}")
        engine_cfg: dict[str, Any] = {}
        if cpu_threads > 0:
            engine_cfg["intra_op_num_threads"] = int(cpu_threads)
        if device.startswith("gpu"):
            engine_cfg["use_cuda"] = True
        cfg = RapidTableInput(
            model_type=ModelType.PPSTRUCTURE_EN,
            model_dir_or_path=str(path),
            engine_cfg=engine_cfg,
            use_ocr=False,
        )
        try:
            self._table = RapidTable(cfg)
        except Exception as exc:
            raise EngineLoadError(f"cannot load table model {path}: {type(exc).__name__}: {exc}") from exc
        self._matcher = TableMatch()
        self.model = path.stem

    def __call__(self, image: np.ndarray) -> TableStructure | None:
        h, w = image.shape[:2]
        bgr = np.ascontiguousarray(image[:, :, :3][:, :, ::-1])
        structs, boxes = self._table.table_structure([bgr])
        if not structs:
            return None
        tokens, score = structs[0]
        logic = self._matcher.decode_one_logic_points(tokens)
        cell_boxes = np.asarray(boxes[0], dtype=np.float64)
        if not logic or len(cell_boxes) != len(logic):
            return None
        if cell_boxes.ndim == 2 and cell_boxes.shape[1] == 8:
            xs, ys = cell_boxes[:, 0::2], cell_boxes[:, 1::2]
            cell_boxes = np.stack([xs.min(1), ys.min(1), xs.max(1), ys.max(1)], axis=1)
        n_rows = max(int(p[1]) for p in logic) + 1
        n_cols = max(int(p[3]) for p in logic) + 1
        row_b = _bands(
            [(int(p[0]), int(p[1]), float(b[1]), float(b[3])) for p, b in zip(logic, cell_boxes, strict=True)],
            n_rows,
            0.0,
            float(h),
        )
        col_b = _bands(
            [(int(p[2]), int(p[3]), float(b[0]), float(b[2])) for p, b in zip(logic, cell_boxes, strict=True)],
            n_cols,
            0.0,
            float(w),
        )
        cells = [
            TableCell(
                int(p[0]),
                int(p[2]),
                int(p[1]) - int(p[0]) + 1,
                int(p[3]) - int(p[2]) + 1,
                (col_b[int(p[2])], row_b[int(p[0])], col_b[int(p[3]) + 1], row_b[int(p[1]) + 1]),
            )
            for p in logic
        ]
        return TableStructure(n_rows, n_cols, cells, "slanet", round(float(score), 4))


# ---------------------------------------------------------------------------------------------------
# 3. alignment (no model)


def alignment_grid(image: np.ndarray, lines: Sequence[Box]) -> TableStructure | None:
    """Rows from the lines' vertical centres, columns from whitespace running through most rows."""
    boxes = [b for b in lines if b[2] - b[0] > 1 and b[3] - b[1] > 1]
    if len(boxes) < 2:
        return None
    h_img, w_img = image.shape[:2]
    line_h = _line_height(boxes)
    # rows
    order = sorted(range(len(boxes)), key=lambda i: _center(boxes[i])[1])
    rows: list[list[int]] = []
    for i in order:
        cy = _center(boxes[i])[1]
        if rows and abs(cy - float(np.median([_center(boxes[j])[1] for j in rows[-1]]))) <= 0.5 * line_h:
            rows[-1].append(i)
        else:
            rows.append([i])
    if len(rows) < 1:
        return None
    # columns: x positions covered by a line in (almost) no row are whitespace
    x0 = int(max(0, min(b[0] for b in boxes)))
    x1 = int(min(w_img, max(b[2] for b in boxes)))
    if x1 - x0 < 4:
        return None
    counts = np.zeros(x1 - x0 + 1, dtype=np.int32)
    for row in rows:
        cover = np.zeros_like(counts, dtype=bool)
        for i in row:
            a = int(max(x0, boxes[i][0])) - x0
            b = int(min(x1, boxes[i][2])) - x0
            cover[a : b + 1] = True
        counts += cover
    # a title or section row may run across columns: tolerate one such row per four
    limit = max(1 if len(rows) >= 3 else 0, int(0.25 * len(rows)))
    free = counts <= limit
    min_gap = max(4, int(0.5 * line_h))
    seps: list[float] = []
    i = 0
    while i < len(free):
        if free[i]:
            j = i
            while j < len(free) and free[j]:
                j += 1
            if i > 0 and j < len(free) and j - i >= min_gap:
                seps.append(x0 + (i + j) / 2)
            i = j
        else:
            i += 1
    n_cols = len(seps) + 1
    n_rows = len(rows)
    if n_cols < 2:
        return None
    bounds_x = [0.0, *seps, float(w_img)]
    # row bounds at the midpoints between rows
    tops = [min(boxes[i][1] for i in row) for row in rows]
    bottoms = [max(boxes[i][3] for i in row) for row in rows]
    bounds_y = [0.0]
    for r in range(n_rows - 1):
        bounds_y.append(max(bounds_y[-1] + 1, (bottoms[r] + tops[r + 1]) / 2))
    bounds_y.append(float(h_img))
    cells: list[TableCell] = []
    for r, row in enumerate(rows):
        taken: set[int] = set()
        for i in sorted(row, key=lambda k: boxes[k][0]):
            lb = boxes[i]
            covered = [
                c
                for c in range(n_cols)
                if _overlap(lb[0], lb[2], bounds_x[c], bounds_x[c + 1])
                >= 0.3 * min(lb[2] - lb[0], bounds_x[c + 1] - bounds_x[c])
            ]
            if not covered:
                cx = _center(lb)[0]
                covered = [max(0, min(n_cols - 1, int(np.searchsorted(bounds_x, cx)) - 1))]
            c0, c1 = min(covered), max(covered)
            if any(c in taken for c in range(c0, c1 + 1)):
                continue  # a second line in the same cell: the cell already exists
            taken.update(range(c0, c1 + 1))
            cells.append(
                TableCell(r, c0, 1, c1 - c0 + 1, (bounds_x[c0], bounds_y[r], bounds_x[c1 + 1], bounds_y[r + 1]))
            )
        for c in range(n_cols):
            if c not in taken:
                cells.append(TableCell(r, c, 1, 1, (bounds_x[c], bounds_y[r], bounds_x[c + 1], bounds_y[r + 1])))
    cells.sort(key=lambda c: (c.row, c.col))
    return TableStructure(n_rows, n_cols, cells, "alignment", 0.5)


def _ink(crop: np.ndarray) -> np.ndarray:
    """Whiten table rules in ``crop`` (in place) and return the mask of the remaining dark pixels.
    A rule runs through the whole crop (dark in the first and last row/column); glyph strokes do not."""
    dark = _gray(crop) < 140
    if dark.shape[0] >= 8:
        rule_cols = (dark.mean(axis=0) >= 0.9) & dark[0] & dark[-1]
        crop[:, rule_cols] = 255
        dark[:, rule_cols] = False
    if dark.shape[1] >= 8:
        rule_rows = (dark.mean(axis=1) >= 0.9) & dark[:, 0] & dark[:, -1]
        crop[rule_rows, :] = 255
        dark[rule_rows, :] = False
    return dark


def _box_slice(image: np.ndarray, box: Box) -> np.ndarray:
    h_img, w_img = image.shape[:2]
    x0, y0 = max(0, int(np.floor(box[0]))), max(0, int(np.floor(box[1])))
    x1, y1 = min(w_img, int(np.ceil(box[2]))), min(h_img, int(np.ceil(box[3])))
    return np.array(image[y0:y1, x0:x1], dtype=np.uint8)


def _to_ink(crop: np.ndarray, dark: np.ndarray, margin: float) -> np.ndarray | None:
    ys, xs = np.nonzero(dark)
    if ys.size == 0:
        return None
    pad = max(2, int(margin * (ys.max() - ys.min() + 1)))
    ink = np.ascontiguousarray(crop[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])
    return cv2.copyMakeBorder(ink, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(255, 255, 255))


def piece_crop(image: np.ndarray, box: Box, margin: float = 0.3) -> np.ndarray:
    """A cell piece's crop for re-reading: table rules whitened, then cut to the ink with a white
    margin of ``margin`` ink heights (loose or rule-edged crops make line recognizers misread short text)."""
    crop = _box_slice(image, box)
    if crop.size == 0:
        return crop
    out = _to_ink(crop, _ink(crop), margin)
    return crop if out is None else out


def cell_ink_crop(
    image: np.ndarray, box: Box, inset: float = 4.0, min_height: int = 6, margin: float = 0.3
) -> np.ndarray | None:
    """The ink inside a cell that no text line covered (a detector miss, e.g. a lone digit), cropped
    for reading; None when the cell is blank."""
    inner = (box[0] + inset, box[1] + inset, box[2] - inset, box[3] - inset)
    if inner[2] - inner[0] < 4 or inner[3] - inner[1] < 4:
        return None
    crop = _box_slice(image, inner)
    if crop.size == 0:
        return None
    dark = _ink(crop)
    ys = np.nonzero(dark)[0]
    if ys.size < 12 or ys.max() - ys.min() + 1 < min_height:
        return None
    return _to_ink(crop, dark, margin)


# ---------------------------------------------------------------------------------------------------
# matching text lines to cells (used by the structure pipeline)


@dataclass(slots=True)
class LinePiece:
    """The part of a text line that falls inside one cell; ``whole`` when the line is entirely there."""

    line: int  # index into the lines given
    cell: int  # index into structure.cells
    bbox: Box
    whole: bool


def assign_lines(structure: TableStructure, lines: Sequence[Box], *, min_piece: float = 0.5) -> list[LinePiece]:
    """Which line (part) goes into which cell.

    A line whose centre lies in a cell and that barely leaves it belongs wholly to that cell. A line
    that crosses a cell border with a real piece on each side (at least ``min_piece`` line heights
    wide) is split at the borders into one piece per cell; the caller re-reads those pieces.
    Lines outside every cell are not returned.
    """
    out: list[LinePiece] = []
    for li, b in enumerate(lines):
        lh = max(1.0, b[3] - b[1])
        touching: list[tuple[int, Box]] = []
        for ci, cell in enumerate(structure.cells):
            cb = cell.bbox
            ox = _overlap(b[0], b[2], cb[0], cb[2])
            oy = _overlap(b[1], b[3], cb[1], cb[3])
            if ox <= 0 or oy < 0.5 * min(lh, cb[3] - cb[1]):
                continue
            piece = (max(b[0], cb[0]), max(b[1], cb[1]), min(b[2], cb[2]), min(b[3], cb[3]))
            touching.append((ci, piece))
        if not touching:
            continue
        big = [(ci, p) for ci, p in touching if p[2] - p[0] >= min_piece * lh]
        if len(big) <= 1:
            cx = _center(b)[0]
            home = next(
                (ci for ci, _ in touching if structure.cells[ci].bbox[0] <= cx <= structure.cells[ci].bbox[2]),
                max(touching, key=lambda t: t[1][2] - t[1][0])[0],
            )
            out.append(LinePiece(li, home, b, True))
            continue
        for ci, piece in big:
            out.append(LinePiece(li, ci, (piece[0], b[1], piece[2], b[3]), False))
    return out


# ---------------------------------------------------------------------------------------------------
# the engine


METHODS = ("ruled", "slanet", "alignment")


class HybridTableRecognizer:
    """ruled grid -> SLANet -> alignment (see the module docstring). ``methods`` narrows or reorders
    the chain (the accuracy measurement runs each method alone)."""

    def __init__(
        self,
        *,
        slanet_model: str | Path | None,
        borderless: str = "slanet",
        cpu_threads: int = 0,
        device: str = "cpu",
        methods: Sequence[str] | None = None,
    ) -> None:
        if borderless not in ("slanet", "alignment"):
            raise EngineLoadError(f"TABLE_BORDERLESS_METHOD={borderless!r}: use slanet or alignment")
        if methods is None:
            methods = ("ruled", "slanet", "alignment") if borderless == "slanet" else ("ruled", "alignment")
        unknown = [m for m in methods if m not in METHODS]
        if unknown or not methods:
            raise EngineLoadError(f"unknown table methods {unknown or methods}; use {', '.join(METHODS)}")
        self.methods = tuple(methods)
        self.borderless = borderless
        self._slanet: SlanetStructure | None = None
        if slanet_model is not None and "slanet" in self.methods:
            self._slanet = SlanetStructure(slanet_model, cpu_threads=cpu_threads, device=device)
        models = {"table": "ruled-grid (opencv)"}
        if self._slanet is not None:
            models["table"] += f" + {self._slanet.model} (rapid-table)"
        self.info = EngineInfo(name="rapid-table", backend="onnxruntime", device="cpu", models=models)

    def recognize_one(self, image: np.ndarray, lines: Sequence[Box]) -> TableStructure:
        for method in self.methods:
            found: TableStructure | None = None
            if method == "ruled":
                found = ruled_grid(image, lines)
            elif method == "slanet" and self._slanet is not None:
                found = self._slanet_best(image, lines)
                if found is not None:
                    found = spans_from_text(found, lines)
            elif method == "alignment":
                found = alignment_grid(image, lines)
            if found is not None:
                return found
        h, w = image.shape[:2]
        return TableStructure(1, 1, [TableCell(0, 0, 1, 1, (0.0, 0.0, float(w), float(h)))], "none", 0.0)

    def _slanet_best(self, image: np.ndarray, lines: Sequence[Box]) -> TableStructure | None:
        """SLANet on the crop, and again with wider white margins while its grid is ragged or does not
        fit the text lines (the small model is sensitive to framing); the best-fitting grid wins."""
        assert self._slanet is not None
        h, w = image.shape[:2]
        best: tuple[float, TableStructure] | None = None
        for border in SLANET_BORDERS:
            framed = image
            if border:
                framed = cv2.copyMakeBorder(
                    image, border, border, border, border, cv2.BORDER_CONSTANT, value=(255, 255, 255)
                )
            try:
                found = self._slanet(framed)
            except Exception:  # a model failure on one table must not fail the page
                log.exception("SLANet table structure failed")
                return None
            if found is None:
                continue
            if border:
                found = _unframe(found, border, w, h)
            quality = _fit_score(found, lines) + (1.0 if _complete(found) else 0.0)
            if best is None or quality > best[0]:
                best = (quality, found)
            if quality >= 1.9:
                break
        if best is None or best[0] < 1.0 or not _fits(best[1], lines):
            return None
        return best[1]

    def recognize(self, images: Sequence[np.ndarray], lines: Sequence[Sequence[Box]]) -> list[TableStructure]:
        return [self.recognize_one(im, ln) for im, ln in zip(images, lines, strict=True)]

    def find_tables(self, image: np.ndarray, lines: Sequence[Box]) -> list[Box]:
        return find_ruled_tables(image, lines)


SLANET_BORDERS = (0, 12, 28)  # white margins (px) SLANet is tried with


def spans_from_text(structure: TableStructure, lines: Sequence[Box], min_share: float = 0.3) -> TableStructure:
    """Merge neighbouring cells that one text line straddles when the other cell holds no text of its
    own: a label centred over two rows (rowspan) or two columns (colspan) of a table without rules,
    where the structure model split it."""
    cells = list(structure.cells)
    if not lines or len(cells) < 2:
        return structure

    def home(b: Box) -> int | None:
        cx, cy = _center(b)
        for i, c in enumerate(cells):
            if c.bbox[0] <= cx <= c.bbox[2] and c.bbox[1] <= cy <= c.bbox[3]:
                return i
        return None

    merged = True
    while merged:
        merged = False
        owners = [home(b) for b in lines]
        for li, b in enumerate(lines):
            i = owners[li]
            if i is None:
                continue
            a = cells[i]
            lh, lw = max(1.0, b[3] - b[1]), max(1.0, b[2] - b[0])
            for j, c in enumerate(cells):
                if j == i or any(o == j for o in owners):
                    continue
                vertical = (
                    c.col == a.col
                    and c.colspan == a.colspan
                    and (c.row == a.row + a.rowspan or a.row == c.row + c.rowspan)
                )
                horizontal = (
                    c.row == a.row
                    and c.rowspan == a.rowspan
                    and (c.col == a.col + a.colspan or a.col == c.col + c.colspan)
                )
                if vertical:
                    share = _overlap(b[1], b[3], c.bbox[1], c.bbox[3]) / lh
                elif horizontal:
                    share = _overlap(b[0], b[2], c.bbox[0], c.bbox[2]) / lw
                else:
                    continue
                if share < min_share:
                    continue
                top, left = min(a.row, c.row), min(a.col, c.col)
                cells[i] = TableCell(
                    top,
                    left,
                    a.rowspan + c.rowspan if vertical else a.rowspan,
                    a.colspan + c.colspan if horizontal else a.colspan,
                    (
                        min(a.bbox[0], c.bbox[0]),
                        min(a.bbox[1], c.bbox[1]),
                        max(a.bbox[2], c.bbox[2]),
                        max(a.bbox[3], c.bbox[3]),
                    ),
                )
                del cells[j]
                merged = True
                break
            if merged:
                break
    if len(cells) == len(structure.cells):
        return structure
    cells.sort(key=lambda c: (c.row, c.col))
    return TableStructure(structure.rows, structure.cols, cells, structure.method, structure.score)


def _complete(structure: TableStructure) -> bool:
    """Every grid position covered by exactly one cell (SLANet can emit ragged rows)."""
    seen: set[tuple[int, int]] = set()
    for c in structure.cells:
        for r in range(c.row, c.row + c.rowspan):
            for k in range(c.col, c.col + c.colspan):
                if (r, k) in seen:
                    return False
                seen.add((r, k))
    return len(seen) == structure.rows * structure.cols


def _unframe(structure: TableStructure, border: int, width: int, height: int) -> TableStructure:
    def clip(b: Box) -> Box:
        return (
            min(max(0.0, b[0] - border), float(width)),
            min(max(0.0, b[1] - border), float(height)),
            min(max(0.0, b[2] - border), float(width)),
            min(max(0.0, b[3] - border), float(height)),
        )

    cells = [TableCell(c.row, c.col, c.rowspan, c.colspan, clip(c.bbox)) for c in structure.cells]
    return TableStructure(structure.rows, structure.cols, cells, structure.method, structure.score)


def _fit_score(structure: TableStructure, lines: Sequence[Box]) -> float:
    """Share of the text lines that sit wholly in one cell, less a penalty for empty columns/rows."""
    if not lines:
        return 1.0
    pieces = assign_lines(structure, lines)
    whole = {p.line for p in pieces if p.whole} - {p.line for p in pieces if not p.whole}
    used_cols: set[int] = set()
    used_rows: set[int] = set()
    for p in pieces:
        c = structure.cells[p.cell]
        used_cols.update(range(c.col, c.col + c.colspan))
        used_rows.update(range(c.row, c.row + c.rowspan))
    empty = (structure.cols - len(used_cols)) + (structure.rows - len(used_rows))
    return len(whole) / len(lines) - 0.1 * empty


def _fits(structure: TableStructure, lines: Sequence[Box]) -> bool:
    """A predicted grid fits when it has 2+ columns and most lines sit in one cell each."""
    if structure.cols < 2 or not structure.cells:
        return False
    if not lines:
        return True
    pieces = assign_lines(structure, lines)
    split = {p.line for p in pieces if not p.whole}
    placed = {p.line for p in pieces}
    return len(placed) >= 0.8 * len(lines) and len(split) <= 0.25 * len(lines)
