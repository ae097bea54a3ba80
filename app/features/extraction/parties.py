"""The buyer's copy of a field: the right-hand value of a same-row pair.

Tax invoices (세금계산서) and many statements print the supplier's block (공급자) on the left and the
buyer's (공급받는자) on the right with the same labels: 등록번호, 상호, 성명, 주소, 업태, 종목. A field
the caller asks for on the buyer's side (``buyer_representative``, ``공급받는자 등록번호``, or the buyer's
name when no buyer label is printed) is searched with the supplier's labels, and only a value that has
a twin on its left on the same row is taken: without the twin nothing says the value is the buyer's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from itertools import combinations

from app.features.extraction.keys import RuleField, same_row
from app.features.extraction.rules import run_rules
from app.features.extraction.templates import FieldSpec
from app.features.ocr.types import DocumentResult

_PAIRED_FACTOR = 0.9  # the pairing is a layout inference on top of the label


def _same_row(a: RuleField, b: RuleField) -> bool:
    return a.page == b.page and a.bbox is not None and b.bbox is not None and same_row(a.bbox, b.bbox)


def right_of_pair(doc: DocumentResult, spec: FieldSpec, vocabulary: Sequence[FieldSpec]) -> RuleField:
    """The top-most same-row pair of ``spec``'s label-anchored values: the right one, or nothing."""
    search = replace(spec, side="supplier", paired=False, prefer="first", patterns=(), scan=False, top_line=False)
    found = run_rules(doc, [search], vocabulary)[spec.name]
    values = [r for r in (found, *found.alternatives) if r.value is not None and r.bbox is not None]
    pairs = []
    for a, b in combinations(values, 2):
        if not _same_row(a, b):
            continue
        left, right = (a, b) if a.bbox[0] < b.bbox[0] else (b, a)  # type: ignore[index]
        if right.bbox[0] > left.bbox[2]:  # type: ignore[index]
            pairs.append((right.page or 0, right.bbox[1], right))  # type: ignore[index]
    if not pairs:
        return RuleField()
    right = min(pairs, key=lambda p: (p[0], p[1]))[2]
    return replace(right, confidence=round(right.confidence * _PAIRED_FACTOR, 3), how="paired", alternatives=[])
