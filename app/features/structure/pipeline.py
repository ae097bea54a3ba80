"""Structure pipeline: pages -> OCR lines -> layout -> blocks -> tables -> reading order -> Markdown.

Knows nothing of HTTP. Model work goes through the runtime's workers like OCR does:
``detect``/``recognize`` (via :func:`ocr_page`), ``layout`` and ``table``
(app/serving/structure_tasks.py), so pages and tables of concurrent requests share batches and the
request's deadline applies to every step. PDF pages with a text layer take their lines from it
(``source: "text_layer"``); layout still runs on the rendered page.

Pages are decoded as the request's pixel budget leaves room (app/documents/stream.py); per page:
0. its lines read (OCR, or the text layer);
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
from dataclasses import replace
from statistics import median
from typing import Any

import numpy as np

from app.documents import rotate_image
from app.documents.stream import PixelBudget, each_page
from app.documents.types import Document, Limits, Page
from app.engines.table import Box
from app.features.ocr.page_images import PageImages
from app.features.ocr.pipeline import OcrOptions, Submitter, ocr_page, read_document
from app.features.ocr.types import DocumentResult, Line, PageResult
from app.features.ocr.words import to_gray
from app.features.structure import markdown as md
from app.features.structure.aligned_tables import METHOD as METHOD_ALIGNED
from app.features.structure.aligned_tables import find_tables
from app.features.structure.blocks import (
    Region,
    assign_to_regions,
    body_height,
    box_area,
    box_inter,
    box_union,
    clean_regions,
    column_measure,
    group_lines,
    ink_height,
    line_rows,
    merge_lists,
    on_grid,
    pair_columns,
    retype,
    row_slope,
)
from app.features.structure.order import order_page_blocks
from app.features.structure.skew import find_level, page_slope
from app.features.structure.tables import table_block
from app.features.structure.text_tables import split_text_tables
from app.features.structure.types import Block, StructurePage, StructureResult
from app.serving.structure_tasks import LayoutJob, LayoutResult

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
    regions = clean_regions(layout.regions, layout.ruled_tables)
    loose = assign_to_regions(lines, regions)
    # lines below min_confidence are kept only inside tables, where they are read again
    sure = {i for i, ln in enumerate(lines) if ln.confidence >= opts.min_confidence}
    loose = [i for i in loose if i in sure]
    for r in regions:
        if r.type != "table":
            r.lines = [i for i in r.lines if i in sure]
    gray = to_gray(image)
    # tables without rules, found by the alignment of their words (aligned_tables.py)
    aligned, regions, loose = _aligned_tables(lines, regions, loose, sure, gray, layout.ruled_tables)
    regions, loose = _text_out_of_figures(regions, loose, float(image.shape[0] * image.shape[1]))
    blocks: list[Block] = list(aligned)
    for r in regions:
        if not r.lines and r.type not in ("figure", "table"):
            continue
        if r.type == "table" and not r.lines:
            continue  # an empty grid (a form's frame, a drawing) has nothing to read
        rl = [lines[i] for i in sorted(r.lines, key=lambda i: (lines[i].bbox[1], lines[i].bbox[0]))]
        bbox = r.bbox
        if rl and r.type != "figure":
            bbox = (
                box_union([bbox, *(ln.bbox for ln in rl)]) if r.type == "table" else box_union([ln.bbox for ln in rl])
            )
        blocks.append(Block(r.type, r.label, [float(v) for v in bbox], r.score, rl))
    slope = page_slope(lines)  # rows of a slanted photo climb or fall across the page
    for g in pair_columns(lines, group_lines(lines, loose), slope):
        gl = [lines[i] for i in g]
        blocks.append(Block("text", "lines", box_union([ln.bbox for ln in gl]), 0.0, gl))
    # lines inside a block in reading order (rows, left to right)
    for b in blocks:
        if b.type != "table" and len(b.lines) > 1:
            b.slope = row_slope(b.lines, slope)
            b.lines = [b.lines[i] for i in line_rows(b.lines, b.slope)]
    # tables
    t = time.perf_counter()
    tables = [b for b in blocks if b.type == "table" and b.table is None]
    if tables:
        extra = await asyncio.gather(*(table_block(b, image, result.source, opts, workers, deadline) for b in tables))
        for e in extra:
            blocks.extend(e)
    timings["table"] = timings.get("table", 0.0) + (time.perf_counter() - t) * 1000
    # tables without rules inside text blocks, found by their header row (text_tables.py)
    blocks = [part for b in blocks for part in (split_text_tables(b) if b.type == "text" else [b])]
    for b in blocks:
        if b.type == "text":
            b.measure = column_measure(b.bbox, lines)
    for b in blocks:
        sizes = [ink_height(gray, ln.bbox) for ln in b.lines]
        sizes = [v for v in sizes if v > 0]
        b.size = float(median(sizes)) if sizes else 0.0
    return blocks


def _aligned_tables(
    lines: Sequence[Line],
    regions: list[Region],
    loose: list[int],
    sure: set[int],
    gray: np.ndarray,
    grids: Sequence[Box],
) -> tuple[list[Block], list[Region], list[int]]:
    """Tables found by word alignment among the sure lines outside ruled tables, as blocks. The lines they
    take leave their regions; a figure or (unruled) table region they cover gives its other lines back as
    loose lines."""
    ruled = [r for r in regions if r.type == "table" and any(on_grid(r.bbox, g) for g in grids)]
    in_ruled = {i for r in ruled for i in r.lines}
    # on a slanted photo, looked for with the page turned level (skew.py)
    found = find_level(find_tables, lines, [i for i in sorted(sure) if i not in in_ruled], gray)
    if not found:
        return [], regions, loose
    taken = {i for f in found for i in f.lines}
    kept: list[Region] = []
    for r in regions:
        r.lines = [i for i in r.lines if i not in taken]
        covered = any(box_inter(r.bbox, f.bbox) >= 0.5 * box_area(r.bbox) for f in found)
        if r.type in ("figure", "table") and covered and not any(r is k for k in ruled):
            loose = [*loose, *(i for i in r.lines if i in sure)]
        elif r.type == "figure" or r.lines:
            kept.append(r)
    blocks = [Block("table", METHOD_ALIGNED, f.bbox, 0.0, [lines[i] for i in f.lines], table=f.table) for f in found]
    return blocks, kept, [i for i in loose if i not in taken]


FIGURE_TEXT_LINES = 4  # a "figure" holding this many lines of text is a picture of a document
FIGURE_IS_PAGE = 0.6  # ... and one covering this share of the page is the page itself (a photographed receipt)


def _text_out_of_figures(regions: list[Region], loose: list[int], page_area: float) -> tuple[list[Region], list[int]]:
    """The layout model calls a photographed receipt or a scanned slip pasted in a page a figure; its lines
    were then one paragraph after ``*[Figure]*``. A figure with several lines gives them back as loose lines
    (grouped into paragraphs with their line breaks, their item rows found as tables); a figure covering
    most of the page is the page and goes, a smaller one stays as an empty figure where it was."""
    kept: list[Region] = []
    for r in regions:
        if r.type == "figure" and len(r.lines) >= FIGURE_TEXT_LINES:
            loose = [*loose, *r.lines]
            r.lines = []
            if box_area(r.bbox) >= FIGURE_IS_PAGE * page_area:
                continue
        kept.append(r)
    return kept, loose


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


async def _read_and_structure(
    page: Page, opts: OcrOptions, service: Submitter, deadline: float | None, timings: dict[str, float]
) -> tuple[PageResult, list[Block]]:
    """One page: every line read (min_confidence 0: unsure lines inside tables are read again, the others
    are dropped once the blocks are known), then its blocks. The page's pixels are not needed after."""
    t = time.perf_counter()
    result = await ocr_page(page, replace(opts, min_confidence=0.0), service, deadline, task="structure")
    timings["ocr"] = timings.get("ocr", 0.0) + (time.perf_counter() - t) * 1000
    return result, await _structure_page(page, result, opts, service, deadline, timings)


def _assemble(
    read: list[tuple[PageResult, list[Block]]],
    opts: OcrOptions,
    engine_info: dict[str, Any],
    timings: dict[str, float],
    took_ms: float,
) -> StructureResult:
    """What is decided across pages: block types, running heads, reading order, document-wide titles."""
    results = [res for res, _ in read]
    # types, then order, then Markdown (titles' levels are document-wide)
    for res, blocks in read:
        body_h = body_height(blocks, res.lines)
        for b in sorted(blocks, key=lambda b: b.bbox[1]):
            retype(b, float(res.height), body_h, blocks)
    _running_heads(read)
    pages: list[StructurePage] = []
    for res, blocks in read:
        ordered = merge_lists(order_page_blocks(blocks, float(res.width), body_height(blocks, res.lines)))
        lines = [ln for b in ordered for ln in (b.lines if b.table is None else _table_lines(b))]
        pages.append(StructurePage(replace(res, lines=lines), ordered))
    titles = [b.line_height for p in pages for b in p.blocks if b.type == "title"]
    top = max(titles) if titles else None
    for p in pages:
        p.markdown = md.page_markdown(p.blocks, top_title_height=top)
    markdown = md.join_pages([(p.result.page, p.markdown) for p in pages])
    timings_ms = {
        "ocr": round(timings.get("ocr", 0.0), 1),
        "layout": round(timings.get("layout", 0.0), 1),
        "table": round(timings.get("table", 0.0), 1),
        "structure": round(took_ms, 1),
    }
    document = DocumentResult(lang=opts.lang, pages=results, engine=engine_info, timings_ms={"ocr": timings_ms["ocr"]})
    return StructureResult(document, pages, markdown, timings_ms)


async def structure_document(
    doc: Document,
    opts: OcrOptions,
    service: Submitter,
    *,
    engine_info: dict[str, Any],
    deadline: float | None = None,
) -> StructureResult:
    """Pages already decoded (a job's one page at a time)."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    read = await each_page(doc.pages, lambda page: _read_and_structure(page, opts, service, deadline, timings))
    return _assemble(read, opts, engine_info, timings, (time.perf_counter() - started) * 1000)


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
            if i not in used and box_inter(ln.bbox, cell.bbox) >= 0.5 * max(1.0, box_area(ln.bbox))
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
    budget: PixelBudget,
    pages: str | None,
    engine_info: dict[str, Any],
    deadline: float | None = None,
    page_images: PageImages | None = None,
) -> StructureResult:
    """Open the document (in a thread), then decode, read and structure its pages as ``budget`` leaves room
    (a page's pixels are let go once its blocks are known). Raises AppError for bad documents.
    ``page_images``: each page also carries its image (as the engines read it)."""
    timings: dict[str, float] = {}

    async def work(page: Page) -> tuple[PageResult, list[Block]]:
        claimed = page_images.claim() if page_images is not None else False  # pages start in page order
        result, blocks = await _read_and_structure(page, opts, service, deadline, timings)
        if page_images is not None:
            await page_images.attach(page, result, claimed)
        return result, blocks

    read = await read_document(data, limits, pages, budget, work, deadline)
    result = _assemble(read.results, opts, engine_info, timings, (time.perf_counter() - read.opened) * 1000)
    result.timings_ms = {
        "decode": round(read.decode_ms, 1),
        **result.timings_ms,
        "total": round((time.perf_counter() - read.started) * 1000, 1),
    }
    result.document.timings_ms = result.timings_ms
    if page_images is not None:
        result.document.page_images_omitted = page_images.omitted
    return result
