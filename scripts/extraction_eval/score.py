"""Scores of one extracted field against its expected value, and the tables built from them.

- **exact**: the field's ``normalized`` equals the expected value: amounts within 0.005, ISO dates equal,
  business numbers as 10 digits, phones as ``+`` and digits, e-mail lower-case; text and ids compared
  with case, whitespace and punctuation folded away (``fold``).
- **loose**: exact, or for text/id/e-mail one folded string contains the other (the shorter at least 3
  characters) or their edit similarity is >= 0.8; for amounts, dates, phones and business numbers the
  expected digits (a date's year, month and day) appear in the printed ``value``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import Levenshtein

_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def fold(text: Any) -> str:
    """NFKC, lower case, letters and digits only (Hangul included)."""
    return "".join(c for c in unicodedata.normalize("NFKC", str(text)).lower() if c.isalnum())


def digits(text: Any) -> str:
    return "".join(c for c in str(text) if c.isdigit())


def amount_of(normalized: Any) -> float | None:
    if isinstance(normalized, dict):
        normalized = normalized.get("amount", normalized.get("value"))
    if isinstance(normalized, bool) or normalized is None:
        return None
    try:
        return float(normalized)
    except (TypeError, ValueError):
        return None


def exact(typ: str, expected: Any, field: dict[str, Any] | None) -> bool:
    if not field or field.get("value") is None:
        return False
    norm = field.get("normalized")
    if typ == "amount":
        got = amount_of(norm)
        return got is not None and abs(got - float(expected)) <= 0.005
    if norm is None:
        if typ in {"date", "biz_number", "phone", "email"}:
            return False
        norm = field.get("value")
    if typ == "date":
        return str(norm).strip() == expected
    if typ == "biz_number":
        return digits(norm) == expected and len(digits(norm)) == 10
    if typ == "phone":
        return re.sub(r"[^\d+]", "", str(norm)) == expected
    if typ == "email":
        return str(norm).strip().lower() == expected
    return fold(norm) == fold(expected)


def _contains_or_close(a: str, b: str) -> bool:
    if not a or not b:
        return False
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 3 and short in long_:
        return True
    return float(Levenshtein.normalized_similarity(a, b)) >= 0.8


def _date_in(expected: str, value: str) -> bool:
    y, m, d = (int(x) for x in expected.split("-"))
    if f"{y}{m:02d}{d:02d}" in digits(value) or f"{y % 100:02d}{m:02d}{d:02d}" in digits(value):
        return True
    groups = {int(g) for g in re.findall(r"\d+", value)}
    month = m in groups or _MONTHS[m - 1] in value.lower()
    return (y in groups or y % 100 in groups) and month and d in groups


def loose(typ: str, expected: Any, field: dict[str, Any] | None) -> bool:
    if exact(typ, expected, field):
        return True
    if not field or field.get("value") is None:
        return False
    value = str(field["value"])
    if typ in {"text", "id", "email"}:
        return _contains_or_close(fold(expected), fold(value))
    if typ == "amount":
        x = float(expected)
        want = [digits(f"{x:.2f}")] + ([str(int(x))] if x == int(x) else [])
        return any(w in digits(value) for w in want)
    if typ == "date":
        return _date_in(str(expected), value)
    if typ == "phone":
        exp = str(expected).lstrip("+")
        national = "0" + exp[2:] if exp.startswith("82") else exp[-10:]
        return national in digits(value) or exp in digits(value)
    return bool(digits(expected)) and digits(expected) in digits(value)


# --------------------------------------------------------------------------- tables


@dataclass
class FieldScore:
    doc: str
    split: str
    kind: str
    lang: str
    name: str
    concept: str
    type: str
    expected: Any
    value: Any
    normalized: Any
    confidence: float
    valid: bool | None
    exact: bool
    loose: bool

    @property
    def outcome(self) -> str:
        if self.exact:
            return "exact"
        if self.value is None:
            return "not found"
        return "loose" if self.loose else "wrong"

    @property
    def confidently_wrong(self) -> bool:
        return not self.exact and self.value is not None and self.confidence >= 0.9

    @property
    def valid_wrong(self) -> bool:
        return not self.exact and self.valid is True


def score_fields(doc: dict[str, Any], fields: dict[str, Any] | None) -> list[FieldScore]:
    """One FieldScore per expected field of ``doc`` (its id, split, kind, lang, expected, concepts, types)."""
    out = []
    for name, want in doc["expected"].items():
        f = (fields or {}).get(name)
        typ = doc["types"][name]
        out.append(FieldScore(doc["id"], doc["split"], doc["kind"], doc["lang"], name, doc["concepts"][name], typ, want,
                              (f or {}).get("value"), (f or {}).get("normalized"), float((f or {}).get("confidence") or 0.0),
                              (f or {}).get("valid"), exact(typ, want, f), loose(typ, want, f)))  # fmt: skip
    return out


HEADER = ["fields", "exact", "loose", "not found", "wrong, conf ≥ 0.9", "wrong, valid"]


def _row(scores: list[FieldScore]) -> list[str]:
    n = len(scores)

    def pct(k: int) -> str:
        return f"{100 * k / n:.1f} %" if n else "–"

    return [str(n), pct(sum(s.exact for s in scores)), pct(sum(s.loose for s in scores)),
            str(sum(s.value is None for s in scores)), str(sum(s.confidently_wrong for s in scores)),
            str(sum(s.valid_wrong for s in scores))]  # fmt: skip


def group_table(title: str, col: str, scores: Iterable[FieldScore], key: Callable[[FieldScore], str]) -> str:
    groups: dict[str, list[FieldScore]] = defaultdict(list)
    for s in scores:
        groups[key(s)].append(s)
    head = [col, *HEADER]
    lines = [f"##### {title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for k in sorted(groups, key=lambda k: (-len(groups[k]), k)):
        lines.append("| " + " | ".join([k, *_row(groups[k])]) + " |")
    return "\n".join(lines) + "\n"


def summary_row(split: str, docs: int, scores: list[FieldScore]) -> list[str]:
    return [split, str(docs), *_row(scores)]
