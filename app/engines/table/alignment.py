"""Method 3, ``alignment`` (no model): rows from the lines' vertical positions, columns from the vertical
whitespace that runs through the rows."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.engines.table.base import (
    Box,
    TableCell,
    TableStructure,
    center,
    line_height,
    overlap,
)

# ---------------------------------------------------------------------------------------------------
# 3. alignment (no model)


def alignment_grid(image: np.ndarray, lines: Sequence[Box]) -> TableStructure | None:
    """Rows from the lines' vertical centres, columns from whitespace running through most rows."""
    boxes = [b for b in lines if b[2] - b[0] > 1 and b[3] - b[1] > 1]
    if len(boxes) < 2:
        return None
    h_img, w_img = image.shape[:2]
    line_h = line_height(boxes)
    # rows
    order = sorted(range(len(boxes)), key=lambda i: center(boxes[i])[1])
    rows: list[list[int]] = []
    for i in order:
        cy = center(boxes[i])[1]
        if rows and abs(cy - float(np.median([center(boxes[j])[1] for j in rows[-1]]))) <= 0.5 * line_h:
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
                if overlap(lb[0], lb[2], bounds_x[c], bounds_x[c + 1])
                >= 0.3 * min(lb[2] - lb[0], bounds_x[c + 1] - bounds_x[c])
            ]
            if not covered:
                cx = center(lb)[0]
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
