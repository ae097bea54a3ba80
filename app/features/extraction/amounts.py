"""Amounts: currencies by symbol, code or word, thousands separators in both conventions, Korean numerals
(만/억/조), and the normaliser ({value, currency})."""

from __future__ import annotations

import re
from typing import Any

from app.features.extraction.checks import amount_problem
from app.features.extraction.values import Found, prep_text

# ------------------------------------------------------------------------------------------- amounts

_CURRENCY_WORDS = {
    "krw": "KRW",
    "원": "KRW",
    "₩": "KRW",
    "w": "KRW",
    "won": "KRW",
    "usd": "USD",
    "us$": "USD",
    "$": "USD",
    "달러": "USD",
    "eur": "EUR",
    "€": "EUR",
    "jpy": "JPY",
    "¥": "JPY",
    "엔": "JPY",
    "gbp": "GBP",
    "£": "GBP",
    "cny": "CNY",
    "rmb": "CNY",
    "위안": "CNY",
}
_ZERO_DECIMAL = {"KRW", "JPY"}
# 'W' is how OCR often reads ₩; only taken before a grouped number (W3,520,000)
_PRE = r"(?P<pre>KRW|USD|US\$|EUR|JPY|GBP|CNY|RMB|[₩$€£¥]|W(?=\s?\d{1,3}(?:,\d{3})+(?!\d)))"
_POST = r"(?P<post>원|KRW|USD|EUR|JPY|GBP|CNY|won|달러|엔|위안|[€$£¥])"
_NUM = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d{1,3})?|\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+(?:[.,]\d{1,3})?)"
_AMOUNT_RE = re.compile(
    # not inside a word or a longer number, except after dot leaders ("TAX ......1.87")
    r"(?:(?<![A-Za-z0-9.,/\-])|(?<=[.…]{2}))(?:"
    + _PRE
    + r"\s*)?(?P<sign>-)?\s*"
    + _NUM
    + r"(?![\d%]|[.,]\d)(?:\s*"
    + _POST
    + r"(?![A-Za-z]))?(?:\s*정)?",
    re.I,
)
_KO_DIGITS = {
    "영": 0,
    "공": 0,
    "일": 1,
    "이": 2,
    "삼": 3,
    "사": 4,
    "오": 5,
    "육": 6,
    "칠": 7,
    "팔": 8,
    "구": 9,
}
_KO_SMALL = {"십": 10, "백": 100, "천": 1000}
_KO_BIG = {"만": 10_000, "억": 100_000_000, "조": 1_000_000_000_000}
_KO_AMOUNT_RE = re.compile(
    r"(?:(?<![가-힣])(?P<geum>일금|금)\s*|(?<![가-힣]))(?P<num>[영공일이삼사오육칠팔구십백천만억조\d](?:[영공일이삼사오육칠팔구십백천만억조\d,\s]*[십백천만억조일이삼사오육칠팔구\d])?)\s*원\s*(?:정)?(?:\s*整)?"
)


def _parse_korean_number(text: str) -> int | None:
    text = text.replace(",", "").replace(" ", "")
    if not text:
        return None
    total = 0
    section = 0
    num: int | None = None
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isdigit():
            j = i
            while j < len(text) and text[j].isdigit():
                j += 1
            num = int(text[i:j])
            i = j
            continue
        if ch in _KO_DIGITS:
            num = _KO_DIGITS[ch]
        elif ch in _KO_SMALL:
            section += (1 if num is None else num) * _KO_SMALL[ch]
            num = None
        elif ch in _KO_BIG:
            section += num or 0
            total += (section or 1) * _KO_BIG[ch]
            section = 0
            num = None
        else:
            return None
        i += 1
    return total + section + (num or 0)


def _parse_number(num: str, currency: str | None) -> float | None:
    """'1,234.50' / '1.234,50' / '1,234' / '1.234' / '12,5' -> float, deciding what the separators mean."""
    if "," in num and "." in num:
        if num.rfind(",") > num.rfind("."):  # 1.234,50
            num = num.replace(".", "").replace(",", ".")
        else:  # 1,234.50
            num = num.replace(",", "")
    elif "," in num:
        parts = num.split(",")
        if len(parts) > 2 or len(parts[-1]) == 3:
            num = num.replace(",", "")  # thousands
        else:
            num = num.replace(",", ".")  # decimal comma: 12,5
    elif "." in num:
        parts = num.split(".")
        if len(parts) > 2 or (len(parts[-1]) == 3 and currency in _ZERO_DECIMAL):
            num = num.replace(".", "")  # 1.234.567 or ₩1.234
    try:
        return float(num)
    except ValueError:
        return None


def _currency(token: str | None) -> str | None:
    if not token:
        return None
    return _CURRENCY_WORDS.get(token.lower()) or _CURRENCY_WORDS.get(token)


def find_amounts(text: str, default_currency: str | None = None) -> list[Found]:
    """Money amounts; ``strong`` when a currency sign/code or thousands grouping marks it as money."""
    text = prep_text(text)
    out: list[Found] = []
    taken: list[tuple[int, int]] = []
    for m in _KO_AMOUNT_RE.finditer(text):
        body = m.group("num")
        has_ko_unit = any(c in _KO_SMALL or c in _KO_BIG for c in body)
        if not re.search(r"[영공일이삼사오육칠팔구십백천만억조]", body):
            continue  # plain digits: the arabic pattern below handles them
        if not has_ko_unit and not m.group("geum"):
            continue  # '사원' is not 4 won
        ko_value = _parse_korean_number(body)
        if ko_value is None:
            continue
        start = m.start("geum") if m.group("geum") else m.start("num")
        taken.append((start, m.end()))
        out.append(
            Found(
                start,
                m.end(),
                text[start : m.end()].strip(),
                {"amount": float(ko_value), "currency": "KRW"},
                True,
            )
        )
    for m in _AMOUNT_RE.finditer(text):
        if any(m.start("num") < e and s < m.end("num") for s, e in taken):
            continue
        cur = _currency(m.group("pre")) or _currency(m.group("post"))
        num = m.group("num")
        value = _parse_number(num, cur or default_currency)
        if value is None:
            continue
        if m.group("sign"):
            value = -value
        grouped = bool(re.search(r"\d[,.]\d{3}(?!\d)", num)) or bool(re.search(r"[.,]\d{2}$", num))
        strong = cur is not None or grouped
        start = m.start("pre") if m.group("pre") else (m.start("sign") if m.group("sign") else m.start("num"))
        end = m.end("post") if m.group("post") else m.end("num")
        raw = text[start:end].strip()
        # malformed digit groups ("11023,000": a comma read as a digit) are kept but never preferred
        valid = amount_problem(num) is None
        out.append(Found(start, end, raw, {"amount": value, "currency": cur or default_currency}, valid, strong=strong))
    out.sort(key=lambda f: f.start)
    return out


def normalize_amount(raw: str, default_currency: str | None = None) -> tuple[dict[str, Any] | None, bool | None]:
    found = find_amounts(raw, default_currency)
    if not found:
        return None, None
    best = next((f for f in found if f.strong), found[0])
    return best.normalized, True
