"""The field types and what every finder returns (:class:`Found`); width folding shared by the finders."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

FIELD_TYPES = ("text", "date", "amount", "biz_number", "phone", "email", "number", "id")


@dataclass(frozen=True, slots=True)
class Found:
    """One typed value inside a text: its span, raw text, normalised value and validity."""

    start: int
    end: int
    raw: str
    normalized: Any
    valid: bool | None
    strong: bool = True  # False for weak matches (bare numbers without currency, 10 loose digits, ...)


def fold_width(text: str) -> str:
    """NFKC character by character where that keeps one character (full-width digits, ￦), so that
    offsets into the result are offsets into the original text."""
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
            continue
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded if len(folded) == 1 else (" " if ch.isspace() else ch))
    return "".join(out)


prep_text = fold_width


def collapse_spaces(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
