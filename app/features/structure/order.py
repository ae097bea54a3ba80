"""Reading order of blocks: a block-level XY-cut that keeps a column together across aligned paragraph
gaps; headers first, footers last."""

from __future__ import annotations

from collections.abc import Sequence

from app.features.structure.types import Block

# --------------------------------------------------------------------------------------------------
# reading order of blocks


def _vertical_split(
    idx: list[int], boxes: Sequence[Sequence[float]], min_gap: float
) -> tuple[list[int], list[int]] | None:
    x0 = min(boxes[i][0] for i in idx)
    x1 = max(boxes[i][2] for i in idx)
    span = max(1.0, x1 - x0)
    cur = x0
    gaps: list[tuple[float, float]] = []
    for a, b in sorted((boxes[i][0], boxes[i][2]) for i in idx):
        if a - cur >= min_gap and cur > x0:
            gaps.append((cur, a))
        cur = max(cur, b)
    for a, b in sorted(gaps, key=lambda g: g[0] - g[1]):  # widest first
        cut = (a + b) / 2
        left = [i for i in idx if boxes[i][2] <= cut]
        right = [i for i in idx if boxes[i][0] >= cut]
        if not left or not right:
            continue
        l_span = max(boxes[i][2] for i in left) - min(boxes[i][0] for i in left)
        r_span = max(boxes[i][2] for i in right) - min(boxes[i][0] for i in right)
        if l_span >= 0.2 * span and r_span >= 0.2 * span:
            return left, right
    return None


def _strips(idx: list[int], boxes: Sequence[Sequence[float]]) -> list[list[int]]:
    """Horizontal strips: blocks whose vertical extents overlap (transitively) share a strip."""
    strips: list[list[int]] = []
    bottom = -1e9
    for i in sorted(idx, key=lambda i: boxes[i][1]):
        if strips and boxes[i][1] < bottom - 1:
            strips[-1].append(i)
            bottom = max(bottom, boxes[i][3])
        else:
            strips.append([i])
            bottom = boxes[i][3]
    return strips


def order_blocks(boxes: Sequence[Sequence[float]], min_gap: float) -> list[int]:
    """XY-cut over block boxes. Columns are split first; otherwise the region is cut into horizontal
    strips, and consecutive strips that share a column gutter are read together (so two columns whose
    paragraph gaps happen to line up are still read column by column)."""
    out: list[int] = []

    def cut(idx: list[int], depth: int) -> None:
        if len(idx) <= 1 or depth > 50:
            out.extend(sorted(idx, key=lambda i: (boxes[i][1], boxes[i][0])))
            return
        v = _vertical_split(idx, boxes, min_gap)
        if v is not None:
            cut(v[0], depth + 1)
            cut(v[1], depth + 1)
            return
        strips = _strips(idx, boxes)
        if len(strips) == 1:
            out.extend(sorted(idx, key=lambda i: (boxes[i][1], boxes[i][0])))
            return
        groups: list[list[int]] = []
        for s in strips:
            if (
                groups
                and _vertical_split(groups[-1], boxes, min_gap) is not None
                and _vertical_split(groups[-1] + s, boxes, min_gap) is not None
            ):
                groups[-1] = groups[-1] + s
            else:
                groups.append(s)
        if len(groups) == 1:  # cannot happen with a shared gutter (the split above would have found it)
            groups = strips
        for g in groups:
            cut(g, depth + 1)

    cut(list(range(len(boxes))), 0)
    return out


def order_page_blocks(blocks: list[Block], page_w: float, body_h: float) -> list[Block]:
    headers = sorted((b for b in blocks if b.type == "header"), key=lambda b: (b.bbox[1], b.bbox[0]))
    footers = sorted((b for b in blocks if b.type == "footer"), key=lambda b: (b.bbox[1], b.bbox[0]))
    body = [b for b in blocks if b.type not in ("header", "footer")]
    min_gap = max(0.8 * body_h, 0.012 * page_w)
    order = order_blocks([b.bbox for b in body], min_gap)
    return [*headers, *(body[i] for i in order), *footers]
