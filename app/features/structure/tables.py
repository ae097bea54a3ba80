"""Table blocks: the grid from the ``table`` task, lines matched to cells, pieces re-read where a line
crosses a cell border or is too narrow for the line recognizer's crop."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from statistics import median

import numpy as np

from app.engines.table import Box, TableStructure, assign_lines, cell_ink_crop, piece_crop
from app.features.ocr.pipeline import OcrOptions, Submitter
from app.features.ocr.types import Line
from app.features.structure.blocks import (
    REREAD_TABLE_LINES,
    TABLE_PAD,
    box_union,
    group_lines,
)
from app.features.structure.types import Block, CellResult, TableResult
from app.serving.structure_tasks import TableJob
from app.serving.tasks import RecognizeJob

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


async def table_block(
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
        block.bbox = box_union([c.bbox for c in cells])
    # lines of the region outside the grid (a caption caught in the region) become text blocks
    placed = {p.line for p in pieces}
    loose = [i for i in range(len(block.lines)) if i not in placed and block.lines[i].confidence >= opts.min_confidence]
    region_lines, block.lines = block.lines, piece_lines
    extra: list[Block] = []
    if loose:
        for g in group_lines(region_lines, loose):
            lines = [region_lines[i] for i in g]
            extra.append(Block("text", "table_caption", box_union([ln.bbox for ln in lines]), block.score, lines))
    return extra
