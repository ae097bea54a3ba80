"""Line items of invoices and receipts: the rows of the document's item table.

The item table is found on each page's OCR lines the way /structure finds tables without rules: by the
alignment of its words under a header row (structure/aligned_tables.py; the words are placed by their
characters' widths, as extraction has no page image), else by a header row whose rows flow after it
(structure/text_tables.py). Each heading is given a role by its words (description, quantity, unit
price, amount, tax); totals rows (합계, 소계, Total, …) are not items. Ruled tables need the table models
and are read by /structure only.
"""

from __future__ import annotations

import re
from typing import Any

from app.features.extraction.amounts import normalize_amount
from app.features.ocr.types import DocumentResult, Line
from app.features.structure.aligned_tables import find_tables
from app.features.structure.blocks import box_union
from app.features.structure.skew import find_level
from app.features.structure.text_tables import heading_key, split_text_tables
from app.features.structure.types import Block, TableResult

ROLES = {
    "description": {"품목", "품명", "품목명", "상품명", "메뉴명", "메뉴", "상품", "도서명", "내역", "내용", "항목", "적요",
                    "거래내용", "item", "items",
                    "description", "product", "service", "details"},
    "quantity": {"수량", "qty", "quantity", "units", "hours"},
    "unit_price": {"단가", "판매가", "가격", "unitprice", "price", "rate"},
    "amount": {"금액", "공급가액", "합계금액", "amount", "total", "linetotal"},
    "tax": {"세액", "부가세", "tax", "vat"},
}  # fmt: skip
_TOTALS = re.compile(
    r"^(총\s*)?(합\s*계|소\s*계|공급가액\s*합계|부가가치세|부가세|세액|받은\s*금액|받을\s*금액|결제\s*금액|total|subtotal|tax|vat"
    r"|amount due)\b",
    re.I,
)
_QUANTITY = re.compile(r"^\d+(\.\d+)?")


def _role(heading: str) -> str | None:
    key = heading_key(heading).rstrip(".")
    return next((role for role, words in ROLES.items() if key in words), None)


def _roles(heads: list[str]) -> dict[int, str]:
    """Column index → role; where two columns claim a role (Price and Amount on a receipt), the later one
    is the amount and the earlier the unit price."""
    out: dict[int, str] = {}
    for c, h in enumerate(heads):
        role = _role(h)
        if role is not None and role not in out.values():
            out[c] = role
    if "amount" not in out.values():
        prices = [c for c, r in out.items() if r == "unit_price"]
        if prices:  # a receipt's `Price` column without an amount column is the line's amount
            out[prices[-1]] = "amount"
    return out


def _tables(lines: list[Line]) -> list[TableResult]:
    found = find_level(find_tables, lines, list(range(len(lines))), None)  # a slanted photo: turned level
    tables = [f.table for f in found]
    taken = {i for f in found for i in f.lines}
    rest = [ln for i, ln in enumerate(lines) if i not in taken]
    if rest:
        block = Block("text", "lines", box_union([ln.bbox for ln in rest]), 0.0, rest)
        tables += [b.table for b in split_text_tables(block) if b.table is not None]
    return tables


def _item(
    row: list[str], boxes: list[list[float]], roles: dict[int, str], heads: list[str], currency: str | None, page: int
) -> dict[str, Any] | None:
    item: dict[str, Any] = {"description": None, "quantity": None, "unit_price": None, "amount": None, "tax": None}
    for c, role in roles.items():
        text = row[c].strip()
        if not text:
            continue
        if role == "description":
            item[role] = text
        elif role == "quantity":
            m = _QUANTITY.match(text.replace(",", ""))
            item[role] = float(m.group(0)) if m else None
        else:
            item[role], _ = normalize_amount(text, currency)
    description = item["description"] or next((t for c, t in enumerate(row) if t and c not in roles), None)
    if description is None or _TOTALS.match(description.strip()):
        return None
    if item["amount"] is None and item["unit_price"] is None:
        return None
    item["description"] = description
    item["cells"] = dict(zip(heads, row, strict=True))
    item["page"] = page
    item["bbox"] = [round(v, 1) for v in box_union(boxes)]
    return item


def line_items(doc: DocumentResult, currency: str | None = None) -> list[dict[str, Any]]:
    """The item rows of every page's item tables, in page order."""
    items: list[dict[str, Any]] = []
    for page in doc.pages:
        for table in _tables(page.lines):
            grid = table.grid()
            heads = grid[0]
            roles = _roles(heads)
            if not roles:
                continue
            boxes: dict[int, list[list[float]]] = {}
            for cell in table.cells:
                boxes.setdefault(cell.row, []).append(cell.bbox)
            for r, row in enumerate(grid[1:], 1):
                item = _item(row, boxes[r], roles, heads, currency, page.page)
                if item is not None:
                    items.append(item)
    return items
