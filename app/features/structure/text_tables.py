"""Tables without ruling lines, found in text blocks by their header row.

Invoices, statements and receipts print their item tables without rules, often with single spaces
between the columns, so the layout model sees text and the detector reads each row as one line. A line
made of column headings (``품목 수량 단가 금액``, ``Description Qty Unit price Amount``: at least three,
nothing else) starts a table; the lines under it that end in numbers (amounts, quantities, rates) are its
rows, up to the first line that does not. Each row's trailing numbers fill the numeric columns from the
right (amounts to the rightmost free column, a bare count to the quantity column), its leading words the
first column. Lines detected as separate boxes on one row (wide gaps) are read as one row, left to right.
``table.method`` is ``text_columns``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.features.ocr.types import Line
from app.features.ocr.words import join_split_numbers
from app.features.structure.blocks import box_union, row_groups
from app.features.structure.types import Block, CellResult, TableResult

METHOD = "text_columns"
# column headings (lower case, spaces removed); the first column holds words, the others numbers
HEADINGS = {
    # Korean
    "품목", "품명", "품목명", "상품명", "내역", "내용", "적요", "거래내용", "항목", "규격", "단위", "수량", "단가",
    "금액", "공급가액", "세액", "부가세", "합계", "합계금액", "비고", "일자", "거래일", "입금", "출금", "잔액",
    "할인", "판매가", "가격", "거래일자", "거래일시", "출금액", "입금액", "찾으신금액", "맡기신금액",
    "거래점", "번호", "순번", "메뉴", "메뉴명", "상품", "상품코드", "코드", "도서명", "구분",
    # English
    "item", "items", "description", "product", "service", "qty", "quantity", "units", "unit", "price",
    "unitprice", "rate", "amount", "total", "subtotal", "tax", "vat", "date", "details", "debit", "credit",
    "balance", "discount", "hours", "no", "no.", "withdrawal", "withdrawals", "deposit", "deposits",
}  # fmt: skip
QUANTITY = {"수량", "qty", "quantity", "units", "hours"}
MIN_COLUMNS = 3
MIN_ROWS = 2

_NUMBER = re.compile(r"^[(₩$€£¥]?[-+]?\d[\d,.]*(원|%|개|EA|ea|\)|시간)?$")
_MONEY = re.compile(r"[,₩$€£¥원]|\.\d{2}$")


def heading_key(word: str) -> str:
    """A heading as the vocabulary spells it (lower case, no spaces, no trailing colon)."""
    return word.lower().rstrip(":").replace(" ", "")


def headings(text: str) -> list[str] | None:
    """The column headings of a header line, or None when it is not one (two-word headings such as
    ``Unit price`` count once)."""
    words = text.split()
    out: list[str] = []
    i = 0
    while i < len(words):
        pair = heading_key(words[i] + words[i + 1]) if i + 1 < len(words) else ""
        if pair in HEADINGS:
            out.append(f"{words[i]} {words[i + 1]}")
            i += 2
        elif heading_key(words[i]) in HEADINGS:
            out.append(words[i])
            i += 1
        else:
            return None
    return out if len(out) >= MIN_COLUMNS else None


def is_number(token: str) -> bool:
    return bool(_NUMBER.match(token))


def row_cells(text: str, heads: Sequence[str]) -> list[str] | None:
    """A row's cells under ``heads``, or None when the line is not a row (it does not end in a number)."""
    words = join_split_numbers(text.split())
    n = 0
    while n < len(words) - 1 and is_number(words[len(words) - 1 - n]):
        n += 1
    if n == 0 and words and is_number(words[-1]):
        n = 1
    if n == 0:
        return None
    numbers, label = words[len(words) - n :], words[: len(words) - n]
    cols = len(heads)
    slots = list(range(1, cols))
    cells = [""] * cols
    if len(numbers) > len(slots):  # more numbers than numeric columns: the first ones belong to the label
        label += numbers[: len(numbers) - len(slots)]
        numbers = numbers[len(numbers) - len(slots) :]
    quantity = next((c for c in slots if heading_key(heads[c]) in QUANTITY), None)
    right = cols  # columns at and right of this are taken
    for token in reversed(numbers):
        free = [c for c in slots if c < right]
        if not free:
            break
        col = free[-1]
        if not _MONEY.search(token) and quantity is not None and quantity in free and token.isdigit():
            col = quantity
        cells[col] = token
        right = col
    cells[0] = " ".join(label)
    return cells


def _text(row: Sequence[Line]) -> str:
    return " ".join(ln.text for ln in row)


def split_text_tables(block: Block) -> list[Block]:
    """``block`` (a text block) as text / table / text blocks where a header row starts a table."""
    rows = [[block.lines[i] for i in row] for row in row_groups(block.lines)]
    for start, header in enumerate(rows):
        heads = headings(_text(header))
        if heads is None:
            continue
        body: list[tuple[list[Line], list[str]]] = []
        for row in rows[start + 1 :]:
            cells = row_cells(_text(row), heads)
            if cells is None:
                break
            body.append((row, cells))
        if len(body) < MIN_ROWS:
            continue
        table_rows = [header, *(r for r, _ in body)]
        grid = [list(heads), *(cells for _, cells in body)]
        result = TableResult(
            rows=len(grid),
            cols=len(heads),
            method=METHOD,
            cells=[
                CellResult(r, c, 1, 1, text, _cell_box(_union(row), c, len(heads)))
                for r, (row, texts) in enumerate(zip(table_rows, grid, strict=True))
                for c, text in enumerate(texts)
            ],
        )
        table_lines = [ln for r in table_rows for ln in r]
        out: list[Block] = []
        before = [ln for r in rows[:start] for ln in r]
        after = [ln for r in rows[start + len(table_rows) :] for ln in r]
        if before:
            out.append(_text_block(before))
        out.append(Block("table", METHOD, _union(table_lines), 0.0, table_lines, table=result, size=block.size))
        if after:
            out.extend(split_text_tables(_text_block(after)))
        return out
    return [block]


def _cell_box(row: Sequence[float], col: int, cols: int) -> list[float]:
    """A cell's place: its share of the row (a row read as one line has no cell positions of its own)."""
    x0, y0, x1, y1 = row
    w = (x1 - x0) / cols
    return [x0 + col * w, y0, x0 + (col + 1) * w, y1]


def _union(lines: Sequence[Line]) -> list[float]:
    return box_union([ln.bbox for ln in lines])


def _text_block(lines: Sequence[Line]) -> Block:
    return Block("text", "lines", _union(lines), 0.0, list(lines))
