"""Plausibility checks that make ``valid`` and ``confidence`` mean something.

Each check looks at one value as printed and normalised and says what is wrong with it, if anything:
a business number whose check digit fails, an amount whose digit groups are malformed (``11023,000``:
OCR merged a comma into a digit), a date too far from today for what the field is, an ID with a letter
inside a run of digits (``2O24``: O for 0), a phone number outside the numbering plan. The totals
arithmetic (subtotal + tax = total) is checked in ``totals.py``. A value that fails gets
``valid: false``, a ``reason``, and a confidence of at most :data:`INVALID_CONFIDENCE_CAP`.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

INVALID_CONFIDENCE_CAP = 0.5

# a number with thousands separators: the first group 1-3 digits, every other exactly 3
_GROUPED = re.compile(r"\d[\d,.]*\d")
_LETTER_IN_DIGITS = re.compile(r"(?<=\d)[OoIlS|](?=\d)")

# how far from today a date may lie, per concept: (earliest year, days after today)
_DATE_WINDOWS: dict[str | None, tuple[int, int]] = {
    "document_date": (1980, 366),
    "due_date": (1980, 3 * 366),
    "opening_date": (1900, 31),
}
_DEFAULT_WINDOW = (1900, 30 * 366)


def amount_problem(raw: str) -> str | None:
    """Why a printed amount's digits look misread, or None."""
    for m in _GROUPED.finditer(raw):
        num = m.group(0)
        for sep, dec in ((",", "."), (".", ",")):
            if sep not in num:
                continue
            body = num.rsplit(dec, 1)[0] if dec in num and num.rfind(dec) > num.rfind(sep) else num
            groups = body.split(sep)
            if len(groups) < 2 or (len(groups) == 2 and len(groups[1]) != 3):
                continue  # a decimal mark, not grouping
            if not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:]):
                return f"the digit groups of {num!r} are malformed (a separator misread as a digit?)"
    return None


def date_problem(iso: str, concept: str | None, today: _dt.date | None = None) -> str | None:
    """Why a date is implausible for its field, or None."""
    try:
        value = _dt.date.fromisoformat(iso)
    except (TypeError, ValueError):
        return "not a calendar date"
    today = today or _dt.date.today()
    earliest, ahead = _DATE_WINDOWS.get(concept, _DEFAULT_WINDOW)
    if value.year < earliest:
        return f"{iso} is before {earliest}: a misread year?"
    if value > today + _dt.timedelta(days=ahead):
        return f"{iso} is too far in the future for this field: a misread year?"
    return None


def id_problem(raw: str) -> str | None:
    """Why a code looks misread (a letter among digits: O for 0, l or I for 1), or None."""
    m = _LETTER_IN_DIGITS.search(raw)
    if m and re.search(r"\d", raw):
        return f"{raw!r} has {m.group(0)!r} inside a run of digits (misread 0/1/5?)"
    return None


def check(
    type_: str, concept: str | None, raw: str | None, normalized: Any, valid: bool | None
) -> tuple[bool | None, str | None]:
    """``(valid, reason)`` for one value: the type's own check, then the plausibility checks."""
    if raw is None or normalized is None:
        return valid, None
    if type_ == "biz_number" and valid is False:
        return False, "the check digit does not match: a digit is misread or the number is not a business number"
    if type_ == "phone" and valid is False:
        return False, "not a number of the numbering plan (a digit misread or missing?)"
    if type_ == "amount":
        problem = amount_problem(raw)
        if problem:
            return False, problem
        if (
            isinstance(normalized, dict)
            and float(normalized.get("amount") or 0) < 0
            and concept in {"total", "subtotal"}
        ):
            return False, "a negative total"
    if type_ == "date" and isinstance(normalized, str):
        problem = date_problem(normalized, concept)
        if problem:
            return False, problem
    if type_ == "id":
        problem = id_problem(raw)
        if problem:
            return False, problem
    return valid, None
