"""``template=auto``: which built-in template a document is, from what it says it is.

Titles and the words only one kind of document prints decide: 영수증 / 카드매출전표 / 가맹점 / Receipt for
receipts, 사업자등록증 / 개업연월일 / Certificate of Business Registration for registration certificates,
and invoices, tax invoices (세금계산서), statements (거래명세서), bills and quotes for ``invoice``, which is
also the answer when nothing points anywhere.
"""

from __future__ import annotations

import re

from app.features.ocr.types import DocumentResult

AUTO = "auto"
DEFAULT = "invoice"

# (template, weight, pattern): titles weigh more than words that merely tend to appear
_SIGNS: list[tuple[str, float, re.Pattern[str]]] = [
    ("receipt", 3.0, re.compile(r"영\s?수\s?증|매출\s?전표|(?i:\breceipt\b)")),
    ("receipt", 1.0, re.compile(r"가맹점|승인\s?번호|카드\s?번호|할부|(?i:\b(?:approval|cashier|change|card type)\b)")),
    ("business_registration", 4.0, re.compile(r"사업자\s?등록\s?증|(?i:certificate\s+of\s+business\s+registration)")),
    (
        "business_registration",
        1.5,
        re.compile(r"개업\s?연월일|사업장\s?소재지|(?i:date\s+of\s+(?:business\s+)?(?:opening|commencement))"),
    ),
    (
        "invoice",
        3.0,
        re.compile(
            r"세금\s?계산서|거래\s?명세[서표]|청구서|견적서|계산서|(?i:\b(?:invoice|statement|bill|quotation)\b)"
        ),
    ),
    ("invoice", 1.0, re.compile(r"공급\s?받는\s?자|지급\s?기한|(?i:\b(?:bill to|due date|payment terms)\b)")),
]


def detect_template(doc: DocumentResult, available: list[str]) -> str:
    """The built-in template the document most looks like (``invoice`` when unsure)."""
    text = doc.text
    score: dict[str, float] = {}
    for name, weight, rx in _SIGNS:
        if name in available:
            score[name] = score.get(name, 0.0) + weight * min(3, len(rx.findall(text)))
    best = max(score.items(), key=lambda kv: kv[1], default=(DEFAULT, 0.0))
    return best[0] if best[1] > 0 else (DEFAULT if DEFAULT in available else available[0])
