"""Regions -> blocks: layout regions cleaned of overlaps, lines assigned to regions, paragraphs grouped,
block types checked against the text (lists, titles, headers, footers, page numbers)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import median

import numpy as np

from app.engines.layout import LayoutRegion
from app.engines.table import Box
from app.features.ocr.types import Line
from app.features.structure import markdown as md
from app.features.structure.types import Block

# region kinds in the order they win overlaps
_PRIORITY = {
    "table": 0,
    "figure": 1,
    "formula": 2,
    "title": 3,
    "header": 4,
    "footer": 4,
    "list": 5,
    "text": 6,
}
_PAGE_NUMBER = re.compile(
    r"^[\s\-–—·•|(\[]*(?:page|p\.|페이지|쪽)?\s*\d{1,4}\s*(?:(?:/|of|중|-)\s*\d{1,4})?\s*(?:쪽|페이지|page)?[\s\-–—·•|)\]]*$",
    re.IGNORECASE,
)
HEADER_BAND = 0.1  # top/bottom share of the page where running heads and page numbers live
TABLE_PAD = 6  # px around a table region when it is cropped for the table task
TABLE_MIN_OVERLAP = 0.3  # share of a line inside a table region that makes it the table's
# OCR pages: every line of a table is read again from a crop cut to its ink (rules whitened); the
# surer of the two reads wins (short cell texts such as lone digits are often misread from line crops)
REREAD_TABLE_LINES = True


# --------------------------------------------------------------------------------------------------
# geometry


def box_area(b: Sequence[float]) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def box_inter(a: Sequence[float], b: Sequence[float]) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def box_union(boxes: Sequence[Sequence[float]]) -> list[float]:
    return [
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    ]


def median_height(lines: Sequence[Line], default: float = 24.0) -> float:
    hs = [ln.bbox[3] - ln.bbox[1] for ln in lines if ln.bbox[3] - ln.bbox[1] > 1]
    return float(median(hs)) if hs else default


# --------------------------------------------------------------------------------------------------
# regions -> blocks


@dataclass(slots=True)
class Region:
    type: str
    label: str
    bbox: list[float]
    score: float
    lines: list[int] = field(default_factory=list)


def on_grid(bbox: Sequence[float], grid: Box) -> bool:
    """Whether a region is the table of a ruled grid: they share 30 % of the smaller of the two."""
    return box_inter(bbox, grid) >= 0.3 * min(box_area(bbox), max(1.0, box_area(grid)))


def clean_regions(regions: Sequence[LayoutRegion], grids: Sequence[Box]) -> list[Region]:
    regs = [Region(r.type, r.label, list(r.bbox), float(r.score)) for r in regions]
    for g in grids:
        g_area = max(1.0, box_area(g))
        tables = [r for r in regs if r.type == "table" and on_grid(r.bbox, g)]
        # whatever the model thought a ruled grid was (text, figure), it is this table now
        regs = [
            r
            for r in regs
            if r.type == "table"
            or not (
                box_inter(r.bbox, g) >= 0.6 * max(1.0, box_area(r.bbox))
                or (box_inter(r.bbox, g) >= 0.5 * g_area and box_area(r.bbox) <= 2 * g_area)
            )
        ]
        if tables:
            merged = box_union([*(t.bbox for t in tables), g])
            keep = tables[0]
            keep.bbox = merged
            keep.score = max(t.score for t in tables)
            regs = [r for r in regs if r is keep or not any(r is t for t in tables)]
        else:
            regs.append(Region("table", "ruled_table", list(g), 1.0))
    # overlaps: a region mostly inside a stronger one is dropped; a caption overlapping the figure or
    # table it belongs to is kept (its lines go to whichever region holds more of each line)
    regs.sort(key=lambda r: (_PRIORITY.get(r.type, 9), -r.score))
    kept: list[Region] = []
    for r in regs:
        a = max(1.0, box_area(r.bbox))
        caption = "caption" in r.label or r.label.endswith("_title")
        if any(
            box_inter(r.bbox, k.bbox) >= (0.9 if caption and k.type in ("figure", "table") else 0.6) * a for k in kept
        ):
            continue
        kept.append(r)
    return kept


def assign_to_regions(lines: Sequence[Line], regions: list[Region]) -> list[int]:
    """Fill region.lines; return the indices of lines that belong to no region."""
    loose = []
    for i, ln in enumerate(lines):
        a = max(1.0, box_area(ln.bbox))
        best: Region | None = None
        best_f = 0.0
        for r in regions:  # most of the line wins; a tie goes to the region listed first (tables are)
            f = box_inter(ln.bbox, r.bbox) / a
            if f > best_f + 1e-6:
                best, best_f = r, f
        if best is not None and best_f >= 0.5:
            best.lines.append(i)
            continue
        # a table region the model drew too tight (a header row cut in half) still takes its rows
        table = next(
            (
                r
                for r in regions
                if r.type == "table"
                and box_inter(ln.bbox, r.bbox) / a >= TABLE_MIN_OVERLAP
                and r.bbox[0] - 2 <= ln.bbox[0]
                and ln.bbox[2] <= r.bbox[2] + 2
            ),
            None,
        )
        if table is not None:
            table.lines.append(i)
        else:
            loose.append(i)
    return loose


def group_lines(lines: Sequence[Line], idx: Sequence[int]) -> list[list[int]]:
    """Lines outside every region -> paragraphs: vertically close, horizontally overlapping, same size."""
    order = sorted(idx, key=lambda i: (lines[i].bbox[1], lines[i].bbox[0]))
    groups: list[list[int]] = []
    for i in order:
        b = lines[i].bbox
        h = b[3] - b[1]
        placed = False
        for g in reversed(groups[-4:]):
            last = lines[g[-1]].bbox
            lh = last[3] - last[1]
            ext = box_union([lines[j].bbox for j in g])
            gap = b[1] - last[3]
            x_ov = min(b[2], ext[2]) - max(b[0], ext[0])
            similar = max(h, lh) <= 1.35 * max(1.0, min(h, lh))
            if -0.5 * lh <= gap <= 0.9 * max(h, lh) and x_ov >= 0.3 * min(b[2] - b[0], ext[2] - ext[0]) and similar:
                g.append(i)
                placed = True
                break
        if not placed:
            groups.append([i])
    return groups


def pair_columns(lines: Sequence[Line], groups: list[list[int]], slope: float = 0.0) -> list[list[int]]:
    """Groups side by side on the same rows are one block: a receipt's labels and its amounts, a form's
    keys and values (``합계:`` left, ``16,000 원`` right) came out as two paragraphs, every label apart from
    its value. A group joins the one on its left when most of its lines share a row with a line there and it
    is a column of values (narrower than the left one, or mostly figures), and neither is wrapped prose: the
    two columns of an article, whose lines share rows too, stay apart."""
    out = [list(g) for g in groups]
    merged = True
    while merged:
        merged = False
        for a in out:
            for b in out:
                if a is b or not a or not b or _prose(lines, a) or _prose(lines, b):
                    continue
                ea, eb = box_union([lines[i].bbox for i in a]), box_union([lines[i].bbox for i in b])
                if eb[0] < ea[2] - 0.25 * (ea[2] - ea[0]):  # b must lie to the right of a
                    continue
                figures = sum(1 for j in b if any(c.isdigit() for c in lines[j].text))
                if not (eb[2] - eb[0] <= 0.6 * (ea[2] - ea[0]) or figures >= 0.6 * len(b)):
                    continue
                shared = max(
                    sum(1 for j in b if any(md.same_row(lines[i].bbox, lines[j].bbox, k) for i in a))
                    for k in {0.0, slope}  # along the page's slant, or level where the paper curves back
                )
                if shared >= 0.6 * len(b) and (len(b) >= 2 or len(a) == 1):
                    a.extend(b)
                    b.clear()
                    merged = True
    return [sorted(g, key=lambda i: (lines[i].bbox[1], lines[i].bbox[0])) for g in out if g]


def _prose(lines: Sequence[Line], group: Sequence[int]) -> bool:
    """Wrapped prose: three or more lines of sentences (20 characters and more), most of them as wide as the
    group (an article's column)."""
    if len(group) < 3 or median(len(lines[i].text) for i in group) < 20:
        return False
    ext = box_union([lines[i].bbox for i in group])
    full = sum(1 for i in group if lines[i].bbox[2] - lines[i].bbox[0] >= 0.85 * (ext[2] - ext[0]))
    return full >= 0.6 * len(group)


def is_page_number(text: str) -> bool:
    return bool(_PAGE_NUMBER.match(text.strip())) and any(ch.isdigit() for ch in text)


_BULLET = re.compile(r"^\s*[•·●○◦▪■□‣⁃\-–*]\s+\S")


def retype(block: Block, page_h: float, body_h: float, others: Sequence[Block]) -> None:
    """Check the block's type against its text and position (the layout model is often unsure)."""
    n = len(block.lines)
    if block.type in ("table", "figure", "formula") or n == 0:
        return
    h = block.line_height
    text = " ".join(block.line_texts)
    short = n <= 2 and len(text) <= 80
    top = block.bbox[3] <= HEADER_BAND * page_h
    bottom = block.bbox[1] >= (1 - HEADER_BAND) * page_h
    rest = [o for o in others if o is not block and o.type not in ("header", "footer")]
    if block.type in ("header", "footer"):
        # trust the model only near the page's edges and for text no larger than the body's
        near = block.bbox[3] <= 0.2 * page_h if block.type == "header" else block.bbox[1] >= 0.8 * page_h
        if near and h <= 1.2 * body_h:
            return
        block.type = "title" if short and h >= 1.25 * body_h else "text"
    if (top or bottom) and n <= 2:
        if top:
            gap = min((o.bbox[1] for o in rest if o.bbox[1] >= block.bbox[1]), default=page_h) - block.bbox[3]
            above_all = all(o.bbox[1] >= block.bbox[3] - 2 for o in rest)
            if above_all and (is_page_number(text) or (h <= 0.9 * body_h and gap >= 1.0 * body_h)):
                block.type = "header"
                return
        if bottom:
            gap = block.bbox[1] - max((o.bbox[3] for o in rest if o.bbox[3] <= block.bbox[3]), default=0.0)
            below_all = all(o.bbox[3] <= block.bbox[1] + 2 for o in rest)
            if below_all and (is_page_number(text) or (h <= 0.9 * body_h and gap >= 1.0 * body_h)):
                block.type = "footer"
                return
    if block.type == "title":
        # a "title" as small as the body text that reads like a sentence is a paragraph
        sentence = text.rstrip().endswith((".", "。")) and len(text.split()) >= 6
        if sentence or (h < 1.15 * body_h and (n > 3 or len(text) > 80)):
            block.type = "text"
        return
    items = sum(1 for t in block.line_texts if md.is_list_item(t))
    first_is_item = md.is_list_item(block.line_texts[0])
    if first_is_item and items >= 0.5 * n and (n >= 2 or block.type == "list" or _BULLET.match(block.line_texts[0])):
        block.type = "list"
        return
    if block.type == "list" and items == 0:
        block.type = "text"
    if block.type == "text" and short and h >= 1.25 * body_h:
        block.type = "title"


def body_height(blocks: Sequence[Block], lines: Sequence[Line]) -> float:
    """Typical glyph height of the page's body text: text and list blocks' lines, else all lines."""
    sizes = [b.line_height for b in blocks if b.type in ("text", "list") for _ in b.lines]
    if len(sizes) < 2:
        sizes = [b.line_height for b in blocks for _ in b.lines]
    return float(median(sizes)) if sizes else median_height(lines)


def ink_height(gray: np.ndarray, box: Sequence[float]) -> float:
    """Height of the glyphs inside a line box (rows with ink; table rules crossing the box ignored)."""
    h_img, w_img = gray.shape[:2]
    x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
    x1, y1 = min(w_img, int(np.ceil(box[2]))), min(h_img, int(np.ceil(box[3])))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return 0.0
    dark = gray[y0:y1, x0:x1] < 128
    per_row = dark.mean(axis=1)
    rows = np.nonzero((per_row > 0.01) & (per_row < 0.9))[0]
    if rows.size == 0:
        return float(y1 - y0)
    return float(rows[-1] - rows[0] + 1)


def merge_lists(blocks: list[Block]) -> list[Block]:
    """Consecutive list blocks of one column -> one list. The layout model often boxes items one by one,
    or draws two overlapping regions that share a list's items between them (items interleave): the
    merged list's lines are put back in row order."""
    out: list[Block] = []
    for b in blocks:
        prev = out[-1] if out else None
        if prev is not None and prev.type == "list" and b.type == "list":
            h = max(prev.line_height, b.line_height, 1.0)
            if (
                abs(b.bbox[0] - prev.bbox[0]) <= 1.5 * h
                and b.bbox[3] > prev.bbox[1]
                and b.bbox[1] - prev.bbox[3] <= 1.5 * h
            ):
                prev.size = (prev.size * len(prev.lines) + b.size * len(b.lines)) / max(
                    1, len(prev.lines) + len(b.lines)
                )
                merged = prev.lines + b.lines
                prev.lines = [merged[i] for i in line_rows(merged, prev.slope)]
                prev.bbox = box_union([prev.bbox, b.bbox])
                prev.score = max(prev.score, b.score)
                continue
        out.append(b)
    return out


def line_rows(lines: Sequence[Line], slope: float = 0.0) -> list[int]:
    """The lines' indices in reading order: row by row, left to right."""
    return [i for row in row_groups(lines, slope) for i in row]


def row_slope(lines: Sequence[Line], slope: float) -> float:
    """The slope a block's rows follow: the page's (``slope``) when it leaves fewer lines alone on their row
    than level rows do, else 0. A photo's paper curves: the page's median slant puts a receipt's labels
    beside their values in one part of it and a row off in another (kept level there)."""
    if not slope:
        return 0.0

    def alone(k: float) -> int:
        return sum(1 for row in row_groups(lines, k) if len(row) == 1)

    return slope if alone(slope) < alone(0.0) else 0.0


def _level_y(b: Sequence[float], slope: float) -> float:
    """The vertical centre of a box where its row crosses x = 0, on a page whose rows climb by ``slope``
    (dy/dx, positive: they fall to the right; skew.page_slope)."""
    return (b[1] + b[3]) / 2 - slope * (b[0] + b[2]) / 2


def row_groups(lines: Sequence[Line], slope: float = 0.0) -> list[list[int]]:
    """The lines' indices grouped into rows (vertical centres within half a line height, measured along the
    page's ``slope``), top to bottom, each row left to right."""
    h = median_height(lines)
    idx = sorted(range(len(lines)), key=lambda i: _level_y(lines[i].bbox, slope))
    rows: list[list[int]] = []
    for i in idx:
        cy = _level_y(lines[i].bbox, slope)
        if rows:
            ry = median(_level_y(lines[j].bbox, slope) for j in rows[-1])
            if abs(cy - ry) <= 0.5 * h:
                rows[-1].append(i)
                continue
        rows.append([i])
    return [sorted(row, key=lambda j: lines[j].bbox[0]) for row in rows]


def column_measure(bbox: Sequence[float], page_lines: Sequence[Line]) -> float:
    """How wide a full line is in the column of a block at ``bbox``: the 90th percentile of the widths of the
    page's lines that lie mostly within the block's horizontal extent (titles spanning columns are few)."""
    x0, x1 = float(bbox[0]), float(bbox[2])
    widths = sorted(
        ln.bbox[2] - ln.bbox[0]
        for ln in page_lines
        if min(x1, ln.bbox[2]) - max(x0, ln.bbox[0]) >= 0.5 * (ln.bbox[2] - ln.bbox[0]) > 0
    )
    return float(widths[min(len(widths) - 1, int(0.9 * len(widths)))]) if widths else 0.0
