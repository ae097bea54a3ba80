"""Structure pipeline: pages -> OCR lines -> layout -> blocks -> tables -> reading order -> Markdown.

Knows nothing of HTTP. Model work goes through the runtime's workers like OCR does:
``detect``/``recognize`` (via :func:`ocr_document`), ``layout`` and ``table``
(app/runtime/structure_tasks.py), so pages and tables of concurrent requests share batches and the
request's deadline applies to every step. PDF pages with a text layer take their lines from it
(``source: "text_layer"``); layout still runs on the rendered page.

Per page:
1. layout regions (model) + ruled grids (OpenCV) -> cleaned, non-overlapping regions;
2. every text line goes to the region holding most of it; lines outside all regions are grouped
   into paragraphs;
3. block types are checked against the text: lists from item markers, titles from line height,
   headers/footers from position, size, page-number patterns and repetition across pages;
4. tables: the grid from the ``table`` task, lines matched to cells; a line crossing a cell border
   is cut at the border and each piece is read again (``recognize``), as are lines too narrow for
   the line recognizer's crop (single digits);
5. reading order: headers, then the body by a block-level XY-cut that keeps a column together
   across aligned paragraph gaps, then footers.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from statistics import median
from typing import Any

import numpy as np

from app.documents import decode_document, rotate_image
from app.documents.types import Document, Limits, Page
from app.engines.layout import LayoutRegion
from app.engines.table import Box, TableStructure, assign_lines, cell_ink_crop, piece_crop
from app.observability import metrics
from app.pipelines import markdown as md
from app.pipelines.ocr import OcrOptions, Submitter, ocr_document
from app.pipelines.types import DocumentResult, Line, PageResult
from app.runtime.structure_tasks import LayoutJob, LayoutResult, TableJob
from app.runtime.tasks import RecognizeJob

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
# results


@dataclass(slots=True)
class CellResult:
    row: int
    col: int
    rowspan: int
    colspan: int
    text: str
    bbox: list[float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "col": self.col,
            "rowspan": self.rowspan,
            "colspan": self.colspan,
            "text": self.text,
            "bbox": [round(float(v), 1) for v in self.bbox],
        }


@dataclass(slots=True)
class TableResult:
    rows: int
    cols: int
    method: str
    cells: list[CellResult]

    @property
    def html(self) -> str:
        return md.table_html(self.rows, self.cols, self._md_cells())

    @property
    def markdown(self) -> str:
        return md.table_markdown(self.rows, self.cols, self._md_cells())

    def _md_cells(self) -> list[md.MdCell]:
        return [md.MdCell(c.row, c.col, c.rowspan, c.colspan, c.text) for c in self.cells]

    def grid(self) -> list[list[str]]:
        """rows x cols texts; a spanning cell's text at its top-left position."""
        out = [["" for _ in range(self.cols)] for _ in range(self.rows)]
        for c in self.cells:
            if 0 <= c.row < self.rows and 0 <= c.col < self.cols:
                out[c.row][c.col] = c.text
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "cols": self.cols,
            "method": self.method,
            "html": self.html,
            "cells": [c.to_dict() for c in self.cells],
        }


@dataclass(slots=True)
class Block:
    type: str
    label: str  # the layout model's label, or how the block was found (lines, ruled_table, ...)
    bbox: list[float]
    score: float
    lines: list[Line] = field(default_factory=list)
    table: TableResult | None = None
    size: float = 0.0  # median glyph (ink) height of the block's lines, px: the font size, roughly

    @property
    def line_texts(self) -> list[str]:
        return [ln.text for ln in self.lines]

    @property
    def line_height(self) -> float:
        if self.size > 0:
            return self.size
        hs = [ln.bbox[3] - ln.bbox[1] for ln in self.lines]
        return float(median(hs)) if hs else 0.0

    @property
    def text(self) -> str:
        if self.table is not None:
            return "\n".join("\t".join(row) for row in self.table.grid())
        return "\n".join(self.line_texts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "label": self.label,
            "bbox": [round(float(v), 1) for v in self.bbox],
            "score": round(float(self.score), 4),
            "text": self.text,
            "table": self.table.to_dict() if self.table is not None else None,
        }


@dataclass(slots=True)
class StructurePage:
    result: PageResult
    blocks: list[Block]
    markdown: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = self.result.to_dict()
        out["blocks"] = [b.to_dict() for b in self.blocks]
        out["markdown"] = self.markdown
        return out


@dataclass(slots=True)
class StructureResult:
    document: DocumentResult
    pages: list[StructurePage]
    markdown: str
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def lang(self) -> str:
        return self.document.lang

    @property
    def engine(self) -> dict[str, Any]:
        return self.document.engine

    @property
    def text(self) -> str:
        return "\n\n".join(p.result.text for p in self.pages)

    def to_dict(self, request_id: str | None = None) -> dict[str, Any]:
        """The POST /structure response body (also what an async job stores as its result)."""
        return {
            "request_id": request_id,
            "lang": self.lang,
            "engine": self.engine,
            "text": self.text,
            "pages": [p.to_dict() for p in self.pages],
            "markdown": self.markdown,
            "timings_ms": self.timings_ms,
        }


# --------------------------------------------------------------------------------------------------
# geometry


def _area(b: Sequence[float]) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def _inter(a: Sequence[float], b: Sequence[float]) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _union(boxes: Sequence[Sequence[float]]) -> list[float]:
    return [
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    ]


def _median_height(lines: Sequence[Line], default: float = 24.0) -> float:
    hs = [ln.bbox[3] - ln.bbox[1] for ln in lines if ln.bbox[3] - ln.bbox[1] > 1]
    return float(median(hs)) if hs else default


# --------------------------------------------------------------------------------------------------
# regions -> blocks


@dataclass(slots=True)
class _Region:
    type: str
    label: str
    bbox: list[float]
    score: float
    lines: list[int] = field(default_factory=list)


def _clean_regions(regions: Sequence[LayoutRegion], grids: Sequence[Box]) -> list[_Region]:
    regs = [_Region(r.type, r.label, list(r.bbox), float(r.score)) for r in regions]
    for g in grids:
        g_area = max(1.0, _area(g))
        tables = [r for r in regs if r.type == "table" and _inter(r.bbox, g) >= 0.3 * min(_area(r.bbox), g_area)]
        # whatever the model thought a ruled grid was (text, figure), it is this table now
        regs = [
            r
            for r in regs
            if r.type == "table"
            or not (
                _inter(r.bbox, g) >= 0.6 * max(1.0, _area(r.bbox))
                or (_inter(r.bbox, g) >= 0.5 * g_area and _area(r.bbox) <= 2 * g_area)
            )
        ]
        if tables:
            merged = _union([*(t.bbox for t in tables), g])
            keep = tables[0]
            keep.bbox = merged
            keep.score = max(t.score for t in tables)
            regs = [r for r in regs if r is keep or not any(r is t for t in tables)]
        else:
            regs.append(_Region("table", "ruled_table", list(g), 1.0))
    # overlaps: a region mostly inside a stronger one is dropped; a caption overlapping the figure or
    # table it belongs to is kept (its lines go to whichever region holds more of each line)
    regs.sort(key=lambda r: (_PRIORITY.get(r.type, 9), -r.score))
    kept: list[_Region] = []
    for r in regs:
        a = max(1.0, _area(r.bbox))
        caption = "caption" in r.label or r.label.endswith("_title")
        if any(_inter(r.bbox, k.bbox) >= (0.9 if caption and k.type in ("figure", "table") else 0.6) * a for k in kept):
            continue
        kept.append(r)
    return kept


def _assign(lines: Sequence[Line], regions: list[_Region]) -> list[int]:
    """Fill region.lines; return the indices of lines that belong to no region."""
    loose = []
    for i, ln in enumerate(lines):
        a = max(1.0, _area(ln.bbox))
        best: _Region | None = None
        best_f = 0.0
        for r in regions:  # most of the line wins; a tie goes to the region listed first (tables are)
            f = _inter(ln.bbox, r.bbox) / a
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
                and _inter(ln.bbox, r.bbox) / a >= TABLE_MIN_OVERLAP
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


def _group_lines(lines: Sequence[Line], idx: Sequence[int]) -> list[list[int]]:
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
            ext = _union([lines[j].bbox for j in g])
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


def _is_page_number(text: str) -> bool:
    return bool(_PAGE_NUMBER.match(text.strip())) and any(ch.isdigit() for ch in text)


_BULLET = re.compile(r"^\s*[•·●○◦▪■□‣⁃\-–*]\s+\S")


def _retype(block: Block, page_h: float, body_h: float, others: Sequence[Block]) -> None:
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
            if above_all and (_is_page_number(text) or (h <= 0.9 * body_h and gap >= 1.0 * body_h)):
                block.type = "header"
                return
        if bottom:
            gap = block.bbox[1] - max((o.bbox[3] for o in rest if o.bbox[3] <= block.bbox[3]), default=0.0)
            below_all = all(o.bbox[3] <= block.bbox[1] + 2 for o in rest)
            if below_all and (_is_page_number(text) or (h <= 0.9 * body_h and gap >= 1.0 * body_h)):
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


def _body_height(blocks: Sequence[Block], lines: Sequence[Line]) -> float:
    """Typical glyph height of the page's body text: text and list blocks' lines, else all lines."""
    sizes = [b.line_height for b in blocks if b.type in ("text", "list") for _ in b.lines]
    if len(sizes) < 2:
        sizes = [b.line_height for b in blocks for _ in b.lines]
    return float(median(sizes)) if sizes else _median_height(lines)


def _ink_height(gray: np.ndarray, box: Sequence[float]) -> float:
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


def _merge_lists(blocks: list[Block]) -> list[Block]:
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
                prev.lines = [merged[i] for i in _line_rows(merged)]
                prev.bbox = _union([prev.bbox, b.bbox])
                prev.score = max(prev.score, b.score)
                continue
        out.append(b)
    return out


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


def _order(blocks: list[Block], page_w: float, body_h: float) -> list[Block]:
    headers = sorted((b for b in blocks if b.type == "header"), key=lambda b: (b.bbox[1], b.bbox[0]))
    footers = sorted((b for b in blocks if b.type == "footer"), key=lambda b: (b.bbox[1], b.bbox[0]))
    body = [b for b in blocks if b.type not in ("header", "footer")]
    min_gap = max(0.8 * body_h, 0.012 * page_w)
    order = order_blocks([b.bbox for b in body], min_gap)
    return [*headers, *(body[i] for i in order), *footers]


# --------------------------------------------------------------------------------------------------
# tables


def _crop(image: np.ndarray, box: Sequence[float], pad: int = 0) -> tuple[np.ndarray, int, int]:
    h, w = image.shape[:2]
    x0 = max(0, int(np.floor(box[0])) - pad)
    y0 = max(0, int(np.floor(box[1])) - pad)
    x1 = min(w, int(np.ceil(box[2])) + pad)
    y1 = min(h, int(np.ceil(box[3])) + pad)
    return np.ascontiguousarray(image[y0:y1, x0:x1]), x0, y0


def _reading_sort(items: list[tuple[Box, str]]) -> list[str]:
    """Texts of a cell's pieces in reading order (rows top to bottom, left to right)."""
    if not items:
        return []
    h = median(max(1.0, b[3] - b[1]) for b, _ in items)
    items = sorted(items, key=lambda t: (t[0][1] + t[0][3]) / 2)
    rows: list[list[tuple[Box, str]]] = []
    for it in items:
        cy = (it[0][1] + it[0][3]) / 2
        if rows and abs(cy - (rows[-1][0][0][1] + rows[-1][0][0][3]) / 2) <= 0.5 * h:
            rows[-1].append(it)
        else:
            rows.append([it])
    return [t for row in rows for _, t in sorted(row, key=lambda x: x[0][0])]


async def _table_block(
    block: Block,
    image: np.ndarray,
    source: str,
    opts: OcrOptions,
    workers: Submitter,
    deadline: float | None,
) -> list[Block]:
    """Fill block.table; returns extra text blocks for lines of the region that are in no cell."""
    crop, ox, oy = _crop(image, block.bbox, TABLE_PAD)
    if crop.size == 0:
        block.type = "text"
        return []
    boxes: list[Box] = [(ln.bbox[0] - ox, ln.bbox[1] - oy, ln.bbox[2] - ox, ln.bbox[3] - oy) for ln in block.lines]
    structure: TableStructure = await workers.submit("table", TableJob(crop, boxes), deadline)
    if structure.rows * structure.cols <= 1:
        block.type = "text"
        block.label = f"{block.label}:no_grid"
        return []
    pieces = assign_lines(structure, boxes)
    # pieces read again from a crop cut to their ink: parts of lines that cross cell borders, and on
    # OCR pages every line (the surer read wins)
    reread = [k for k, p in enumerate(pieces) if not p.whole or (source == "ocr" and REREAD_TABLE_LINES)]
    read: dict[int, tuple[str, float]] = {}
    for k, p in enumerate(pieces):
        if p.whole:
            read[k] = (block.lines[p.line].text, block.lines[p.line].confidence)
    if reread:
        crops = []
        for k in reread:
            pb = pieces[k].bbox
            pad = max(2.0, 0.15 * (pb[3] - pb[1]))
            crops.append(piece_crop(image, (pb[0] + ox, pb[1] + oy - pad, pb[2] + ox, pb[3] + oy + pad)))
        recs = await workers.submit("recognize", RecognizeJob(opts.lang, crops), deadline)
        for k, rec in zip(reread, recs, strict=True):
            text, conf = rec.text.strip(), float(rec.confidence)
            before = read.get(k)
            if before is not None and before[0] and (not text or conf < before[1]):
                continue  # the page read was at least as sure
            read[k] = (text, conf)
    # the table's lines become its pieces (so the page's lines show what each cell holds)
    by_cell: dict[int, list[tuple[Box, str]]] = {}
    piece_lines: list[Line] = []
    for k, p in enumerate(pieces):
        text, conf = read.get(k, ("", 0.0))
        if not text or conf < opts.min_confidence:
            continue
        by_cell.setdefault(p.cell, []).append((p.bbox, text))
        x0, y0, x1, y1 = p.bbox[0] + ox, p.bbox[1] + oy, p.bbox[2] + ox, p.bbox[3] + oy
        if p.whole:
            piece_lines.append(replace(block.lines[p.line], text=text, confidence=conf))
        else:
            piece_lines.append(Line.from_box(text, conf, [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))
    # cells with ink but no text line (the detector missed a lone digit, or its read came back empty)
    if source == "ocr":
        blank = []
        for ci, c in enumerate(structure.cells):
            if ci in by_cell:
                continue
            page_box = (c.bbox[0] + ox, c.bbox[1] + oy, c.bbox[2] + ox, c.bbox[3] + oy)
            ink = cell_ink_crop(image, page_box)
            if ink is not None:
                blank.append((ci, ink))
        if blank:
            recs = await workers.submit("recognize", RecognizeJob(opts.lang, [b[1] for b in blank]), deadline)
            for (ci, _), rec in zip(blank, recs, strict=True):
                text = rec.text.strip()
                if text and rec.confidence >= opts.min_confidence:
                    c = structure.cells[ci]
                    by_cell[ci] = [((c.bbox[0], c.bbox[1], c.bbox[2], c.bbox[3]), text)]
                    x0, y0, x1, y1 = c.bbox[0] + ox, c.bbox[1] + oy, c.bbox[2] + ox, c.bbox[3] + oy
                    piece_lines.append(
                        Line.from_box(text, float(rec.confidence), [[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
                    )
    cells = []
    for ci, c in enumerate(structure.cells):
        text = " ".join(_reading_sort(by_cell.get(ci, [])))
        bbox = [c.bbox[0] + ox, c.bbox[1] + oy, c.bbox[2] + ox, c.bbox[3] + oy]
        cells.append(CellResult(c.row, c.col, c.rowspan, c.colspan, text, bbox))
    cells.sort(key=lambda c: (c.row, c.col))
    block.table = TableResult(structure.rows, structure.cols, structure.method, cells)
    if structure.method == "ruled":
        block.bbox = _union([c.bbox for c in cells])
    # lines of the region outside the grid (a caption caught in the region) become text blocks
    placed = {p.line for p in pieces}
    loose = [i for i in range(len(block.lines)) if i not in placed and block.lines[i].confidence >= opts.min_confidence]
    region_lines, block.lines = block.lines, piece_lines
    extra: list[Block] = []
    if loose:
        for g in _group_lines(region_lines, loose):
            lines = [region_lines[i] for i in g]
            extra.append(Block("text", "table_caption", _union([ln.bbox for ln in lines]), block.score, lines))
    return extra


# --------------------------------------------------------------------------------------------------
# one page


async def _structure_page(
    page: Page,
    result: PageResult,
    opts: OcrOptions,
    workers: Submitter,
    deadline: float | None,
    timings: dict[str, float],
) -> list[Block]:
    image = rotate_image(page.image, result.rotation) if result.rotation else page.image
    lines = result.lines
    boxes: list[Box] = [(ln.bbox[0], ln.bbox[1], ln.bbox[2], ln.bbox[3]) for ln in lines]
    t = time.perf_counter()
    layout: LayoutResult = await workers.submit("layout", LayoutJob(image, boxes), deadline)
    timings["layout"] = timings.get("layout", 0.0) + (time.perf_counter() - t) * 1000
    regions = _clean_regions(layout.regions, layout.ruled_tables)
    loose = _assign(lines, regions)
    # lines below min_confidence are kept only inside tables, where they are read again
    sure = {i for i, ln in enumerate(lines) if ln.confidence >= opts.min_confidence}
    loose = [i for i in loose if i in sure]
    for r in regions:
        if r.type != "table":
            r.lines = [i for i in r.lines if i in sure]
    blocks: list[Block] = []
    for r in regions:
        if not r.lines and r.type not in ("figure", "table"):
            continue
        if r.type == "table" and not r.lines:
            continue  # an empty grid (a form's frame, a drawing) has nothing to read
        rl = [lines[i] for i in sorted(r.lines, key=lambda i: (lines[i].bbox[1], lines[i].bbox[0]))]
        bbox = r.bbox
        if rl and r.type != "figure":
            bbox = _union([bbox, *(ln.bbox for ln in rl)]) if r.type == "table" else _union([ln.bbox for ln in rl])
        blocks.append(Block(r.type, r.label, [float(v) for v in bbox], r.score, rl))
    for g in _group_lines(lines, loose):
        gl = [lines[i] for i in g]
        blocks.append(Block("text", "lines", _union([ln.bbox for ln in gl]), 0.0, gl))
    # lines inside a block in reading order (rows, left to right)
    for b in blocks:
        if b.type != "table" and len(b.lines) > 1:
            order = _line_rows(b.lines)
            b.lines = [b.lines[i] for i in order]
    # tables
    t = time.perf_counter()
    tables = [b for b in blocks if b.type == "table"]
    if tables:
        extra = await asyncio.gather(*(_table_block(b, image, result.source, opts, workers, deadline) for b in tables))
        for e in extra:
            blocks.extend(e)
    timings["table"] = timings.get("table", 0.0) + (time.perf_counter() - t) * 1000
    gray = image if image.ndim == 2 else image[:, :, :3].mean(axis=2).astype(np.uint8)
    for b in blocks:
        sizes = [_ink_height(gray, ln.bbox) for ln in b.lines]
        sizes = [v for v in sizes if v > 0]
        b.size = float(median(sizes)) if sizes else 0.0
    return blocks


def _line_rows(lines: Sequence[Line]) -> list[int]:
    h = _median_height(lines)
    idx = sorted(range(len(lines)), key=lambda i: (lines[i].bbox[1] + lines[i].bbox[3]) / 2)
    rows: list[list[int]] = []
    for i in idx:
        cy = (lines[i].bbox[1] + lines[i].bbox[3]) / 2
        if rows:
            ry = median((lines[j].bbox[1] + lines[j].bbox[3]) / 2 for j in rows[-1])
            if abs(cy - ry) <= 0.5 * h:
                rows[-1].append(i)
                continue
        rows.append([i])
    return [i for row in rows for i in sorted(row, key=lambda j: lines[j].bbox[0])]


def _norm_running(text: str) -> str:
    return re.sub(r"\d+", "#", "".join(text.split())).lower()


def _running_heads(pages: Sequence[tuple[PageResult, list[Block]]]) -> None:
    """Text repeated at the top (bottom) of several pages is a header (footer), whatever its size."""
    if len(pages) < 2:
        return
    seen: dict[tuple[str, str], set[int]] = {}
    for n, (res, blocks) in enumerate(pages):
        for b in blocks:
            if b.type in ("table", "figure") or not b.lines or len(b.lines) > 2:
                continue
            where = "top" if b.bbox[3] <= 0.15 * res.height else "bottom" if b.bbox[1] >= 0.85 * res.height else ""
            if where:
                seen.setdefault((where, _norm_running(b.text)), set()).add(n)
    need = max(2, (len(pages) + 1) // 2)
    for res, blocks in pages:
        for b in blocks:
            if b.type in ("table", "figure") or not b.lines or len(b.lines) > 2:
                continue
            top = b.bbox[3] <= 0.15 * res.height
            bottom = b.bbox[1] >= 0.85 * res.height
            key = ("top" if top else "bottom", _norm_running(b.text))
            if (top or bottom) and len(seen.get(key, ())) >= need:
                b.type = "header" if top else "footer"


# --------------------------------------------------------------------------------------------------
# documents


async def structure_document(
    doc: Document,
    opts: OcrOptions,
    service: Submitter,
    *,
    engine_info: dict[str, Any],
    deadline: float | None = None,
) -> StructureResult:
    started = time.perf_counter()
    # every line comes back (min_confidence 0): unsure lines inside tables are read again, the others
    # are dropped once the blocks are known
    ocr = await ocr_document(
        doc,
        replace(opts, min_confidence=0.0),
        service,
        engine_info=engine_info,
        deadline=deadline,
        task="structure",
    )
    ocr_ms = ocr.timings_ms.get("ocr", 0.0)
    timings: dict[str, float] = {}
    try:
        async with asyncio.TaskGroup() as tg:
            tasks = [
                tg.create_task(_structure_page(page, res, opts, service, deadline, timings))
                for page, res in zip(doc.pages, ocr.pages, strict=True)
            ]
    except BaseExceptionGroup as group:  # one page failed: siblings are cancelled, surface its error
        raise group.exceptions[0] from None
    page_blocks = [t.result() for t in tasks]
    # types, then order, then Markdown (titles' levels are document-wide)
    for res, blocks in zip(ocr.pages, page_blocks, strict=True):
        body_h = _body_height(blocks, res.lines)
        for b in sorted(blocks, key=lambda b: b.bbox[1]):
            _retype(b, float(res.height), body_h, blocks)
    _running_heads(list(zip(ocr.pages, page_blocks, strict=True)))
    pages: list[StructurePage] = []
    for res, blocks in zip(ocr.pages, page_blocks, strict=True):
        ordered = _merge_lists(_order(blocks, float(res.width), _body_height(blocks, res.lines)))
        lines = [ln for b in ordered for ln in (b.lines if b.table is None else _table_lines(b))]
        pages.append(StructurePage(replace(res, lines=lines), ordered))
    titles = [b.line_height for p in pages for b in p.blocks if b.type == "title"]
    top = max(titles) if titles else None
    for p in pages:
        p.markdown = md.page_markdown(p.blocks, top_title_height=top)
    markdown = md.join_pages([(p.result.page, p.markdown) for p in pages])
    took = (time.perf_counter() - started) * 1000
    timings_ms = {
        "ocr": round(ocr_ms, 1),
        "layout": round(timings.get("layout", 0.0), 1),
        "table": round(timings.get("table", 0.0), 1),
        "structure": round(took, 1),
    }
    return StructureResult(ocr, pages, markdown, timings_ms)


def _table_lines(block: Block) -> list[Line]:
    """A table's lines in row-major cell order (for the page's line list and text)."""
    if block.table is None:
        return block.lines
    out: list[Line] = []
    used: set[int] = set()
    for cell in sorted(block.table.cells, key=lambda c: (c.row, c.col)):
        inside = [
            (i, ln)
            for i, ln in enumerate(block.lines)
            if i not in used and _inter(ln.bbox, cell.bbox) >= 0.5 * max(1.0, _area(ln.bbox))
        ]
        for i, ln in inside:
            used.add(i)
            out.append(ln)
    out.extend(ln for i, ln in enumerate(block.lines) if i not in used)
    return out


async def structure_bytes(
    data: bytes,
    opts: OcrOptions,
    service: Submitter,
    *,
    limits: Limits,
    pages: str | None,
    engine_info: dict[str, Any],
    deadline: float | None = None,
) -> StructureResult:
    """Decode (in a thread: CPU-bound) then structure. Raises AppError for bad documents."""
    started = time.perf_counter()
    doc = await asyncio.to_thread(decode_document, data, limits, pages)
    decoded = time.perf_counter()
    metrics.STAGE_SECONDS.labels("decode").observe(decoded - started)
    result = await structure_document(doc, opts, service, engine_info=engine_info, deadline=deadline)
    result.timings_ms = {
        "decode": round((decoded - started) * 1000, 1),
        **result.timings_ms,
        "total": round((time.perf_counter() - started) * 1000, 1),
    }
    result.document.timings_ms = result.timings_ms
    return result
