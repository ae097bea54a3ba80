"""Value finders, normalisers and validators for extracted fields.

Every field type has two operations:

* ``find_values(type, text)`` scans free text (an OCR line, the part of a line after a key) and returns
  the typed values it contains, with their character spans, so that the rule engine can point at them.
* ``normalize(type, raw)`` turns one value string (from a rule match or from an LLM answer) into its
  typed, normalised form and says whether it validates.

Normalised forms: dates as ISO ``YYYY-MM-DD``; amounts as ``{"amount": float, "currency": "KRW"|...|None}``;
Korean business registration numbers as 10 digits (checksum in ``valid``); phones E.164-like
(``+821012345678``); e-mail lower-cased; numbers as float; ids and text as whitespace-collapsed strings.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from app.features.extraction.amounts import (
    find_amounts,
    normalize_amount,
)
from app.features.extraction.codes import (
    find_biz_numbers,
    find_emails,
    find_ids,
    find_numbers,
    find_phones,
    normalize_biz_number,
    normalize_email,
    normalize_phone,
    normalize_text,
)
from app.features.extraction.dates import (
    find_dates,
    normalize_date,
)
from app.features.extraction.values import Found, collapse_spaces, prep_text

# ------------------------------------------------------------------------------------------ dispatch


def find_values(type_: str, text: str, *, default_currency: str | None = None) -> list[Found]:
    """Typed values inside ``text`` in order of position (empty for ``text``, which has no shape)."""
    if type_ == "date":
        return find_dates(text)
    if type_ == "amount":
        return find_amounts(text, default_currency)
    if type_ == "biz_number":
        return find_biz_numbers(text)
    if type_ == "phone":
        return find_phones(text)
    if type_ == "email":
        return find_emails(text)
    if type_ == "number":
        return find_numbers(text)
    if type_ == "id":
        return find_ids(text)
    return []


def normalize(type_: str, raw: str | None, *, default_currency: str | None = None) -> tuple[Any, bool | None]:
    """``(normalised value or None, valid)``; ``valid`` is None where the type has no validator."""
    if raw is None:
        return None, None
    raw = str(raw)
    if not raw.strip():
        return None, None
    if type_ == "date":
        return normalize_date(raw)
    if type_ == "amount":
        return normalize_amount(raw, default_currency)
    if type_ == "biz_number":
        return normalize_biz_number(raw)
    if type_ == "phone":
        return normalize_phone(raw)
    if type_ == "email":
        return normalize_email(raw)
    if type_ == "number":
        found = find_numbers(raw)
        return (found[0].normalized, True) if found else (None, None)
    if type_ == "id":
        s = collapse_spaces(prep_text(raw)).strip(" :#").replace("×", "*")
        return (s or None), None
    return normalize_text(raw)


def _text_key(value: str) -> str:
    s = unicodedata.normalize("NFKC", value).casefold()
    return re.sub(r"[\s.,:;·]+", "", s)


def values_match(type_: str, got: Any, expected: Any) -> bool:
    """Exact-field comparison used by the accuracy measure.

    ``expected`` may be the normalised form (ISO date, digits, number or amount dict) or a raw string,
    which is normalised with the field type first. Text compares case-, space- and punctuation-blind.
    """
    if got is None or expected is None:
        return got is None and expected is None
    if type_ == "amount":
        exp_amount: float | None
        exp_currency: str | None = None
        if isinstance(expected, dict):
            exp_amount = float(expected["amount"])
            exp_currency = expected.get("currency")
        elif isinstance(expected, int | float):
            exp_amount = float(expected)
        else:
            norm, _ = normalize_amount(str(expected))
            if norm is None:
                return False
            exp_amount, exp_currency = norm["amount"], norm["currency"]
        if not isinstance(got, dict) or abs(float(got["amount"]) - exp_amount) > 0.005:
            return False
        return exp_currency is None or got.get("currency") in (None, exp_currency)
    if type_ in ("date", "biz_number", "phone", "email") and isinstance(expected, str):
        norm, _ = normalize(type_, expected)
        return norm == got or expected == got
    if type_ == "number":
        try:
            return abs(float(got) - float(expected)) < 1e-9
        except (TypeError, ValueError):
            return False
    return _text_key(str(got)) == _text_key(str(expected))
