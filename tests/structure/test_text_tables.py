"""Tables without rules found by their header row, and text blocks that keep their line breaks: the README's
sample invoices through /structure (real engines, real HTTP), and the rules on their own."""

from __future__ import annotations

from typing import Any

import pytest

from app.features.ocr.types import Line
from app.features.structure import markdown as md
from app.features.structure.text_tables import headings, row_cells, split_text_tables
from app.features.structure.types import Block
from tests.conftest import DATA, ThreadServer
from tests.render import ENGLISH_SAMPLE, KOREAN_SAMPLE
from tests.structure.conftest import post_structure

KOREAN_TABLE = [
    ["품목", "수량", "단가", "금액"],
    ["문서 인식 서비스 이용료", "1", "", "100,000원"],
    ["부가가치세", "", "10%", "10,000원"],
    ["합계", "", "", "110,000원"],
]
ENGLISH_TABLE = [
    ["Description", "Qty", "Unit price", "Amount"],
    ["OCR service subscription", "1", "", "1,200.00"],
    ["Support plan", "1", "", "300.00"],
    ["Total due:", "", "", "$1,500.00"],
]


def _line(text: str, y: float, x0: float = 80.0, x1: float | None = None) -> Line:
    return Line.from_box(
        text, 0.99, [[x0, y], [x1 or x0 + 14 * len(text), y], [x1 or x0 + 14 * len(text), y + 30], [x0, y + 30]]
    )


def test_a_header_row_is_three_or_more_column_headings_and_nothing_else() -> None:
    assert headings("품목 수량 단가 금액") == ["품목", "수량", "단가", "금액"]
    assert headings("Description Qty Unit price Amount") == ["Description", "Qty", "Unit price", "Amount"]
    assert headings("품목 금액") is None  # two are not a table
    assert headings("품목 수량 단가 금액 안내") is None  # a sentence that names columns is not a header
    assert headings("Item description follows") is None


def test_row_numbers_fill_the_numeric_columns_from_the_right() -> None:
    heads = ["품목", "수량", "단가", "금액"]
    assert row_cells("문서 인식 서비스 이용료 1 100,000원", heads) == KOREAN_TABLE[1]
    assert row_cells("부가가치세 10% 10,000원", heads) == KOREAN_TABLE[2]
    assert row_cells("노트북 거치대 2 35,000원 70,000원", heads) == ["노트북 거치대", "2", "35,000원", "70,000원"]
    assert row_cells("담당자 김민수 전화 02-1234-5678", heads) is None  # a phone number is not an amount
    assert row_cells("감사합니다.", heads) is None


def test_a_text_block_splits_into_text_table_text_and_keeps_every_line() -> None:
    lines = [_line(t, 80 + 40 * i) for i, t in enumerate(KOREAN_SAMPLE)]
    block = Block("text", "lines", [80, 80, 700, 500], 0.0, lines)
    parts = split_text_tables(block)
    assert [p.type for p in parts] == ["text", "table", "text"]
    table = parts[1].table
    assert table is not None and (table.rows, table.cols, table.method) == (4, 4, "text_columns")
    assert table.grid() == KOREAN_TABLE
    assert [ln.text for p in parts for ln in p.lines] == KOREAN_SAMPLE  # nothing dropped, nothing moved
    # a row detected as separate boxes (wide gaps) is read as one row, left to right
    gapped = [_line("품목", 80), _line("수량", 80, 400), _line("금액", 80, 600), _line("연필", 120), _line("3", 120, 400),
              _line("1,500원", 120, 600), _line("지우개", 160), _line("1", 160, 400), _line("500원", 160, 600)]  # fmt: skip
    (table_block,) = split_text_tables(Block("text", "lines", [80, 80, 700, 200], 0.0, gapped))
    assert table_block.table is not None
    assert table_block.table.grid() == [["품목", "수량", "금액"], ["연필", "3", "1,500원"], ["지우개", "1", "500원"]]


def test_short_lines_keep_their_breaks_and_wrapped_prose_is_joined() -> None:
    address = ["주식회사 한빛소프트", "서울특별시 강남구 테헤란로 123", "사업자등록번호 123-45-67890"]
    assert md.text_lines(address, [300.0, 420.0, 390.0], measure=900.0) == "  \n".join(address)
    prose = ["The district court agreed with the", "government's assessment, but the Ninth", "Circuit reversed."]
    assert md.text_lines(prose, [880.0, 870.0, 300.0], measure=900.0) == " ".join(prose)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "lang", "sample", "truth"),
    [("korean_invoice.png", "korean", KOREAN_SAMPLE, KOREAN_TABLE), ("english_invoice.png", "en", ENGLISH_SAMPLE, ENGLISH_TABLE)],
    ids=["korean", "english"],
)  # fmt: skip
def test_the_readme_sample_invoices_come_back_with_their_item_table(
    structure_server: ThreadServer, name: str, lang: str, sample: list[str], truth: list[list[str]]
) -> None:
    r = post_structure(structure_server, (DATA / name).read_bytes(), lang=lang)
    assert r.status_code == 200, r.text[:500]
    body: dict[str, Any] = r.json()
    (page,) = body["pages"]
    tables = [b["table"] for b in page["blocks"] if b["type"] == "table"]
    assert len(tables) == 1 and tables[0]["method"] == "text_columns"
    table = tables[0]
    grid = [["" for _ in range(table["cols"])] for _ in range(table["rows"])]
    for c in table["cells"]:
        grid[c["row"]][c["col"]] = c["text"]
    assert grid == truth
    markdown = body["markdown"]
    assert "| " + " | ".join(truth[0]) + " |" in markdown
    # the lines above the table stay lines, and every line of the page is in the Markdown
    assert f"{sample[0]}  \n{sample[1]}" in markdown
    squashed = "".join(markdown.split())
    assert all("".join(t.split()) in squashed.replace("|", "") for t in sample)
