"""Line items: the rows of an invoice's or receipt's item table, from the OCR lines (line_items.py)."""

from __future__ import annotations

from app.features.extraction.line_items import line_items
from app.features.ocr.types import DocumentResult, Line, PageResult
from tests.render import KOREAN_SAMPLE

H = 30


def _box(text: str, x0: float, y: float, x1: float) -> Line:
    return Line.from_box(text, 0.99, [[x0, y], [x1, y], [x1, y + H], [x0, y + H]])


def _doc(lines: list[Line]) -> DocumentResult:
    return DocumentResult(lang="korean", pages=[PageResult(1, 1240, 1754, lines=lines)], engine={})


def _krw(v: float) -> dict[str, object]:
    return {"amount": float(v), "currency": "KRW"}


def test_an_aligned_item_table_gives_one_item_per_row_and_no_totals() -> None:
    rows = [("품명", "수량", "단가", "금액"), ("A4 복사용지", "2", "12,000", "24,000"),
            ("볼펜 0.5mm", "10", "500", "5,000"), ("합계", "", "", "29,000")]  # fmt: skip
    xs = [(100, 300), (420, 470), (560, 660), (760, 860)]
    lines = [_box("거래명세서", 500, 40, 700)]
    for r, row in enumerate(rows):
        lines += [_box(t, a, 120 + 45 * r, a + 14 * len(t) if c == 0 else b) for c, (t, (a, b)) in enumerate(zip(row, xs)) if t]  # fmt: skip
    items = line_items(_doc(lines), "KRW")
    assert [(i["description"], i["quantity"], i["unit_price"], i["amount"]) for i in items] == [
        ("A4 복사용지", 2.0, _krw(12000), _krw(24000)),
        ("볼펜 0.5mm", 10.0, _krw(500), _krw(5000)),
    ]
    assert items[0]["cells"] == {"품명": "A4 복사용지", "수량": "2", "단가": "12,000", "금액": "24,000"}
    assert items[0]["page"] == 1 and items[0]["bbox"][1] == 165


def test_rows_that_flow_after_a_header_give_items_and_tax_lines_are_not_items() -> None:
    lines = [_box(t, 80, 80 + 40 * i, 80 + 14 * len(t)) for i, t in enumerate(KOREAN_SAMPLE)]
    items = line_items(_doc(lines), "KRW")
    assert [(i["description"], i["quantity"], i["amount"]) for i in items] == [
        ("문서 인식 서비스 이용료", 1.0, _krw(100000))
    ]


def test_a_page_without_an_item_table_has_no_items() -> None:
    lines = [_box("공급자 주식회사 한빛 등록번호 123-45-67890", 80, 100, 700), _box("합계 110,000원", 80, 145, 300)]
    assert line_items(_doc(lines), "KRW") == []
