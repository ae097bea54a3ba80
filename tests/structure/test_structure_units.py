"""Structure pieces without models: grids from rules, line-to-cell matching, block typing, block
reading order, Markdown. Fast; the end-to-end tests with the real engines are in test_structure_api.py."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from app.engines.base import EngineLoadError
from app.engines.layout import LayoutRegion, block_type
from app.engines.structure_registry import build_layout, build_table
from app.engines.table import (
    HybridTableRecognizer,
    TableCell,
    TableStructure,
    alignment_grid,
    assign_lines,
    cell_ink_crop,
    find_ruled_tables,
    piece_crop,
    ruled_grid,
)
from app.features.ocr.types import Line
from app.features.structure import markdown as md
from app.features.structure.blocks import clean_regions, is_page_number, merge_lists, retype
from app.features.structure.order import order_blocks
from app.features.structure.types import Block
from tests.render import font


def _line(text: str, x0: float, y0: float, x1: float, y1: float, conf: float = 0.99) -> Line:
    return Line.from_box(text, conf, [[x0, y0], [x1, y0], [x1, y1], [x0, y1]])


def _grid_image(
    xs: list[int],
    ys: list[int],
    merged: frozenset[tuple[int, int]] | set[tuple[int, int]] = frozenset(),
    texts: dict | None = None,
) -> np.ndarray:
    """A white image with a ruled grid; `merged` lists (row, col) whose right rule is left out."""
    img = Image.new("RGB", (xs[-1] + 40, ys[-1] + 40), "white")
    d = ImageDraw.Draw(img)
    for y in (ys[0], ys[-1]):
        d.line([(xs[0], y), (xs[-1], y)], fill="black", width=2)
    for y in ys[1:-1]:
        d.line([(xs[0], y), (xs[-1], y)], fill="black", width=2)
    for x in (xs[0], xs[-1]):
        d.line([(x, ys[0]), (x, ys[-1])], fill="black", width=2)
    for c, x in enumerate(xs[1:-1]):
        for r in range(len(ys) - 1):
            if (r, c) not in merged:
                d.line([(x, ys[r]), (x, ys[r + 1])], fill="black", width=2)
    for (r, c), text in (texts or {}).items():
        d.text((xs[c] + 10, ys[r] + 12), text, fill="black", font=font("dejavu", 22))
    return np.asarray(img)


# ---- ruled grids --------------------------------------------------------------------------------


def test_ruled_grid_rows_cols_and_a_colspan() -> None:
    xs, ys = [20, 220, 360, 520], [20, 70, 120, 170]
    img = _grid_image(xs, ys, merged={(0, 0)})  # row 0: columns 0 and 1 merged
    s = ruled_grid(img, [(30.0, 30.0, 120.0, 58.0)])
    assert s is not None and s.method == "ruled"
    assert (s.rows, s.cols) == (3, 3)
    spans = {(c.row, c.col): (c.rowspan, c.colspan) for c in s.cells}
    assert spans[(0, 0)] == (1, 2)
    assert (0, 1) not in spans
    assert len(s.cells) == 8
    assert s.spans


def test_ruled_grid_none_without_vertical_rules() -> None:
    img = Image.new("RGB", (600, 300), "white")
    d = ImageDraw.Draw(img)
    for y in (40, 100, 160):
        d.line([(20, y), (580, y)], fill="black", width=2)
    assert ruled_grid(np.asarray(img), [(30.0, 50.0, 200.0, 80.0)]) is None


def test_find_ruled_tables_finds_the_grid_but_not_an_underline() -> None:
    xs, ys = [40, 240, 400, 560], [200, 250, 300, 350]
    img = Image.fromarray(_grid_image(xs, ys))
    d = ImageDraw.Draw(img)
    d.line([(40, 60), (500, 60)], fill="black", width=2)  # a rule under a heading
    boxes = find_ruled_tables(np.asarray(img), [(50.0, 210.0, 150.0, 240.0)])
    assert len(boxes) == 1
    x0, y0, x1, y1 = boxes[0]
    assert abs(x0 - 40) < 6 and abs(y0 - 200) < 6 and abs(x1 - 560) < 6 and abs(y1 - 350) < 6


def test_hybrid_prefers_rules_and_falls_back_to_alignment() -> None:
    rec = HybridTableRecognizer(slanet_model=None, borderless="alignment")
    xs, ys = [20, 220, 360, 520], [20, 70, 120, 170]
    assert rec.recognize_one(_grid_image(xs, ys), [(30.0, 30.0, 120.0, 58.0)]).method == "ruled"
    blank = np.full((200, 600, 3), 255, dtype=np.uint8)
    lines = [
        (10.0, 10.0, 90.0, 40.0),
        (300.0, 10.0, 380.0, 40.0),
        (10.0, 80.0, 90.0, 110.0),
        (300.0, 80.0, 390.0, 110.0),
    ]
    got = rec.recognize_one(blank, lines)
    assert got.method == "alignment" and (got.rows, got.cols) == (2, 2)


def test_alignment_grid_columns_from_whitespace_and_a_spanning_title_row() -> None:
    lines = [
        (10.0, 10.0, 560.0, 40.0),  # a title row across all columns
        (10.0, 60.0, 90.0, 90.0),
        (200.0, 60.0, 260.0, 90.0),
        (400.0, 60.0, 470.0, 90.0),
        (10.0, 110.0, 100.0, 140.0),
        (200.0, 110.0, 250.0, 140.0),
        (400.0, 110.0, 480.0, 140.0),
        (10.0, 160.0, 80.0, 190.0),
        (200.0, 160.0, 270.0, 190.0),
        (400.0, 160.0, 460.0, 190.0),
    ]
    s = alignment_grid(np.full((220, 600, 3), 255, dtype=np.uint8), lines)
    assert s is not None and (s.rows, s.cols) == (4, 3)
    first = [c for c in s.cells if c.row == 0]
    assert len(first) == 1 and first[0].colspan == 3


def test_assign_lines_splits_a_line_that_crosses_a_cell_border() -> None:
    s = TableStructure(
        1,
        2,
        [TableCell(0, 0, 1, 1, (0.0, 0.0, 100.0, 50.0)), TableCell(0, 1, 1, 1, (100.0, 0.0, 200.0, 50.0))],
        "ruled",
    )
    pieces = assign_lines(s, [(10.0, 10.0, 60.0, 40.0), (70.0, 10.0, 180.0, 40.0), (95.0, 10.0, 130.0, 40.0)])
    whole = [(p.line, p.cell) for p in pieces if p.whole]
    split = sorted((p.line, p.cell) for p in pieces if not p.whole)
    assert (0, 0) in whole
    assert split == [(1, 0), (1, 1)]  # 30 px left of the border, 80 px right: both real pieces
    assert (2, 1) in whole  # 5 px over the border is not a piece


def test_spans_from_text_merges_a_label_centred_over_two_rows() -> None:
    from app.engines.table import spans_from_text

    def cell(r: int, c: int) -> TableCell:
        return TableCell(r, c, 1, 1, (c * 100.0, r * 40.0, c * 100.0 + 100, r * 40.0 + 40))

    s = TableStructure(3, 2, [cell(r, c) for r in range(3) for c in range(2)], "slanet")
    lines = [
        (10.0, 25.0, 80.0, 55.0),  # "Region": centred on the border between rows 0 and 1, column 0
        (110.0, 5.0, 180.0, 35.0),
        (110.0, 45.0, 180.0, 75.0),
        (10.0, 85.0, 80.0, 115.0),
        (110.0, 85.0, 180.0, 115.0),
    ]
    out = spans_from_text(s, lines)
    spans = {(c.row, c.col): (c.rowspan, c.colspan) for c in out.cells}
    assert spans[(0, 0)] == (2, 1) and (1, 0) not in spans
    assert len(out.cells) == 5
    # a line inside one cell changes nothing
    assert spans_from_text(s, [(10.0, 5.0, 80.0, 35.0)]) is s


def test_piece_crop_whitens_rules_but_keeps_a_digit_one() -> None:
    img = Image.new("RGB", (80, 60), "white")
    d = ImageDraw.Draw(img)
    d.line([(2, 0), (2, 59)], fill="black", width=2)  # a cell rule through the whole crop
    d.text((35, 15), "1", fill="black", font=font("dejavu", 26))
    crop = piece_crop(np.asarray(img), (0.0, 0.0, 80.0, 60.0))
    gray = crop.mean(axis=2)
    assert crop.shape[1] < 40  # cut to the digit, the rule is gone
    assert (gray < 128).any()  # the digit's stem survived
    ink = cell_ink_crop(np.asarray(img), (0.0, 0.0, 80.0, 60.0))
    assert ink is not None and (ink.mean(axis=2) < 128).any()
    assert cell_ink_crop(np.full((60, 80, 3), 255, dtype=np.uint8), (0.0, 0.0, 80.0, 60.0)) is None


# ---- regions and blocks -------------------------------------------------------------------------


def test_layout_labels_map_to_block_types() -> None:
    assert block_type("title") == "title"
    assert block_type("doc_title") == "title"
    assert block_type("paragraph_title") == "title"
    assert block_type("equation") == "formula"
    assert block_type("table_caption") == "text"
    assert block_type("image") == "figure"
    assert block_type("something_new") == "text"


def test_ruled_grid_wins_over_a_figure_and_extends_a_clipped_table() -> None:
    regions = [
        LayoutRegion("figure", "figure", (100.0, 100.0, 500.0, 300.0), 0.7),
        LayoutRegion("text", "text", (100.0, 400.0, 500.0, 450.0), 0.9),
        LayoutRegion("table", "table", (100.0, 600.0, 450.0, 700.0), 0.9),
    ]
    out = clean_regions(regions, [(98.0, 98.0, 502.0, 305.0), (95.0, 595.0, 520.0, 720.0)])
    types = sorted((r.type, r.label) for r in out)
    assert types == [("table", "ruled_table"), ("table", "table"), ("text", "text")]
    clipped = next(r for r in out if r.label == "table")
    assert clipped.bbox[2] >= 520 and clipped.bbox[3] >= 720


def _block(kind: str, text: str, box: tuple[float, float, float, float], size: float = 20.0) -> Block:
    lines = [_line(t, box[0], box[1] + i * 30, box[2], box[1] + i * 30 + 26) for i, t in enumerate(text.split("\n"))]
    return Block(kind, kind, list(box), 0.9, lines, size=size)


def test_retype_header_footer_title_and_list() -> None:
    page_h = 1754.0
    header = _block("text", "ACME - Annual Report", (90, 30, 500, 56), size=14)
    title = _block("text", "Operations", (90, 170, 400, 230), size=40)
    body = _block("text", "Revenue grew in every quarter.\nIt was a good year.", (90, 300, 900, 356))
    items = _block("text", "• Seoul office\n• Busan office", (100, 400, 500, 456))
    number = _block("text", "- 3 -", (600, 1700, 640, 1722), size=20)
    blocks = [header, title, body, items, number]
    for b in blocks:
        retype(b, page_h, 20.0, blocks)
    assert [b.type for b in blocks] == ["header", "title", "text", "list", "footer"]


def test_retype_distrusts_a_large_model_header_and_a_sentence_title() -> None:
    big = _block("header", "Flight Schedule", (90, 90, 440, 140), size=36)
    sentence = _block("title", "The table below lists the sales of each region.", (90, 190, 900, 226))
    blocks = [big, sentence, _block("text", "x y z", (90, 300, 400, 330))]
    for b in blocks:
        retype(b, 760.0, 20.0, blocks)
    assert big.type == "title"
    assert sentence.type == "text"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3", True), ("- 3 -", True), ("Page 3 of 12", True), ("3 / 12", True), ("12쪽", True), ("Total 3", False)],
)
def test_page_numbers(text: str, expected: bool) -> None:
    assert is_page_number(text) is expected


def test_list_blocks_of_one_column_are_merged() -> None:
    a = _block("list", "• one\n• two", (100, 400, 400, 456))
    b = _block("list", "• three", (100, 470, 400, 496))
    c = _block("text", "after", (90, 560, 400, 586))
    merged = merge_lists([a, b, c])
    assert len(merged) == 2 and merged[0].line_texts == ["• one", "• two", "• three"]


def test_list_items_shared_between_two_overlapping_regions_come_back_in_order() -> None:
    # two overlapping layout regions took the first and third item, and the second
    wide = Block("list", "text", [100, 342, 389, 453], 0.8, [_line("• Seoul", 100, 342, 373, 370)])
    wide.lines.append(_line("• Forty", 100, 426, 389, 453))
    inner = Block("list", "text", [100, 384, 381, 412], 0.9, [_line("• Busan", 100, 384, 381, 412)])
    merged = merge_lists([wide, inner])
    assert len(merged) == 1 and merged[0].line_texts == ["• Seoul", "• Busan", "• Forty"]
    # a list in another column is not pulled in
    other = _block("list", "• right", (700, 384, 1000, 412))
    assert len(merge_lists([_block("list", "• left", (100, 384, 400, 412)), other])) == 2


def test_text_repeated_at_the_top_of_pages_is_a_header() -> None:
    from app.features.ocr.types import PageResult
    from app.features.structure.pipeline import _running_heads

    pages = []
    for n in (1, 2, 3):
        res = PageResult(page=n, width=1240, height=1754)
        head = _block("text", f"Quarterly report {n}/3", (90, 60, 600, 90), size=24)
        body = _block("text", "Body.", (90, 400, 600, 430))
        pages.append((res, [head, body]))
    _running_heads(pages)
    assert [blocks[0].type for _, blocks in pages] == ["header"] * 3
    assert [blocks[1].type for _, blocks in pages] == ["text"] * 3


# ---- reading order of blocks --------------------------------------------------------------------


def test_two_columns_with_aligned_gaps_are_read_column_by_column() -> None:
    boxes = [
        (90, 90, 1150, 150),  # 0 title
        (90, 200, 1150, 260),  # 1 intro
        (650, 300, 1150, 600),  # 2 right one
        (90, 300, 590, 600),  # 3 left one
        (90, 640, 590, 760),  # 4 left two
        (650, 640, 1150, 760),  # 5 right two
        (90, 800, 1150, 840),  # 6 closing
    ]
    assert order_blocks(boxes, 24) == [0, 1, 3, 4, 2, 5, 6]


def test_a_form_row_reads_left_to_right_and_tables_stay_in_place() -> None:
    boxes = [
        (90, 90, 500, 130),  # 0 "Name: ..."
        (700, 90, 1100, 130),  # 1 "Date: ..." (same row)
        (90, 200, 1100, 500),  # 2 table, full width
        (90, 550, 1100, 590),  # 3 paragraph below
    ]
    assert order_blocks(boxes, 24) == [0, 1, 2, 3]


# ---- Markdown -----------------------------------------------------------------------------------


def test_table_markdown_plain_and_with_spans() -> None:
    plain = [
        md.MdCell(0, 0, 1, 1, "품목"),
        md.MdCell(0, 1, 1, 1, "금액"),
        md.MdCell(1, 0, 1, 1, "a|b"),
        md.MdCell(1, 1, 1, 1, "1,000"),
    ]
    out = md.table_markdown(2, 2, plain)
    assert out.splitlines() == ["| 품목 | 금액 |", "| --- | --- |", "| a\\|b | 1,000 |"]
    spans = [md.MdCell(0, 0, 2, 1, "Region"), md.MdCell(0, 1, 1, 1, "2024"), md.MdCell(1, 1, 1, 1, "<10")]
    html = md.table_markdown(2, 2, spans)
    assert html == '<table><tr><td rowspan="2">Region</td><td>2024</td></tr><tr><td>&lt;10</td></tr></table>'


def test_lists_paragraphs_and_pages() -> None:
    assert md.list_markdown(["• one", "continued", "• two"]) == "- one continued\n- two"
    assert md.list_markdown(["1. first", "2) second"]) == "1. first\n2. second"
    assert md.paragraph(["An exam-", "ple of a hyphen", "break."]) == "An example of a hyphen break."
    assert md.escape_text("# not a heading") == "\\# not a heading"
    assert md.join_pages([(1, "a")]) == "a"
    assert md.join_pages([(2, "a"), (3, "b")]) == "<!-- page 2 -->\n\na\n\n<!-- page 3 -->\n\nb"


def test_page_markdown_levels_and_left_out_blocks() -> None:
    blocks = [
        _block("header", "running head", (90, 30, 400, 50), size=12),
        _block("title", "Big", (90, 90, 400, 150), size=40),
        _block("title", "Smaller", (90, 200, 400, 240), size=28),
        _block("text", "Body text.", (90, 260, 400, 290)),
        _block("footer", "- 1 -", (500, 1700, 540, 1720), size=12),
    ]
    out = md.page_markdown(blocks, top_title_height=40)
    assert out == "# Big\n\n## Smaller\n\nBody text."


# ---- engine construction ------------------------------------------------------------------------


class _Settings:
    def __init__(self, **kw: object) -> None:
        self.__dict__.update(kw)


def test_structure_registry_settings() -> None:
    assert build_layout(_Settings(layout_engine="none")).info.name == "none"
    with pytest.raises(EngineLoadError, match="LAYOUT_ENGINE"):
        build_layout(_Settings(layout_engine="magic"))
    with pytest.raises(EngineLoadError, match="LAYOUT_MODEL_PATH"):
        build_layout(_Settings(layout_model_type="pp_doc_layoutv3"))
    with pytest.raises(EngineLoadError, match="not found"):
        build_layout(_Settings(layout_engine="paddlex", models_dir="/nonexistent", ocr_engine_backend="onnxruntime"))
    table = build_table(_Settings(table_borderless_method="alignment"))
    assert table.info.models["table"].startswith("ruled-grid")


def test_structure_route_refuses_without_layout_engines() -> None:
    from app.core.errors import AppError
    from app.features.structure.router import check_available
    from app.serving.service import Service
    from tests.conftest import make_settings
    from tests.fakes import SlowFakeEngines

    split = Service(make_settings(ocr_model_server_url="http://127.0.0.1:9"), lambda: SlowFakeEngines())
    with pytest.raises(AppError) as err:
        check_available(split)
    assert err.value.status == 422 and "model server" in str(err.value)
    assert split.unavailable("detect", "recognize") is None
    local = Service(make_settings(), lambda: SlowFakeEngines())
    assert local.unavailable("detect") is None
    if not local.supports("layout"):
        assert "layout and table engines are not loaded" in (local.unavailable("layout", "table") or "")
