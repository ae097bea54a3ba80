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

import datetime as _dt
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


_prep = fold_width


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --------------------------------------------------------------------------------------------- dates

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH_RE = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_ORD = r"(?:st|nd|rd|th)?"

# (regex, order) where order names the groups: ymd = year first, mdy = US, dmy = European.
_DATE_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # 2025년 3월 4일, 2025 년 03 월 04 일
    (re.compile(r"(?<!\d)(?P<y>\d{4})\s*년\s*(?P<m>\d{1,2})\s*월\s*(?P<d>\d{1,2})\s*일"), "ymd"),
    # 2025.03.04, 2025-03-04, 2025/3/4, 2025. 3. 4.
    (
        re.compile(
            r"(?<![\d.])(?P<y>\d{4})\s*(?P<s>[.\-/])\s*(?P<m>\d{1,2})\s*(?P=s)\s*(?P<d>\d{1,2})"
            r"(?:(?!\d)|(?=\d{1,2}:\d{2}))\.?"
        ),
        "ymd",
    ),
    # Mar 4, 2025 / March 4th 2025
    (re.compile(_MONTH_RE + r"\.?\s+(?P<d>\d{1,2})" + _ORD + r",?\s+(?P<y>\d{4})(?!\d)", re.I), "mdy_name"),
    # 4 March 2025 / 4-Mar-2025 / 04 Mar. 2025
    (
        re.compile(r"(?<!\d)(?P<d>\d{1,2})" + _ORD + r"[\s\-]+" + _MONTH_RE + r"\.?,?[\s\-]+(?P<y>\d{4})(?!\d)", re.I),
        "dmy_name",
    ),
    # 03/04/2025 (US) or 04.03.2025 (European)
    (re.compile(r"(?<![\d.])(?P<a>\d{1,2})(?P<s>[.\-/])(?P<b>\d{1,2})(?P=s)(?P<y>\d{4})(?!\d)"), "ab_y"),
    # 25.03.04 / 25-03-04 (Korean two-digit year) or 03/04/25 (US)
    (re.compile(r"(?<![\d.])(?P<a>\d{2})(?P<s>[.\-/])(?P<b>\d{1,2})(?P=s)(?P<c>\d{1,2})(?![\d])\.?"), "two"),
]


def _mkdate(y: int, m: int, d: int) -> str | None:
    if not 1900 <= y <= 2100:
        return None
    try:
        return _dt.date(y, m, d).isoformat()
    except ValueError:
        return None


def _date_from_match(m: re.Match[str], order: str) -> str | None:
    g = m.groupdict()
    if order == "ymd":
        return _mkdate(int(g["y"]), int(g["m"]), int(g["d"]))
    if order in ("mdy_name", "dmy_name"):
        mon = _MONTHS.get(g["mon"].lower()[:4] if g["mon"].lower().startswith("sept") else g["mon"].lower()[:3])
        if mon is None:
            return None
        return _mkdate(int(g["y"]), mon, int(g["d"]))
    if order == "ab_y":
        a, b, y = int(g["a"]), int(g["b"]), int(g["y"])
        if g["s"] == "/":  # US month/day unless that is impossible
            return _mkdate(y, a, b) if a <= 12 else _mkdate(y, b, a)
        return _mkdate(y, b, a) if b <= 12 else _mkdate(y, a, b)  # European day.month
    if order == "two":
        a, b, c = int(g["a"]), int(g["b"]), int(g["c"])
        if g["s"] == "/":  # 03/04/25: US month/day/year
            if a <= 12:
                return _mkdate(2000 + c, a, b)
            return _mkdate(2000 + c, b, a)
        return _mkdate(2000 + a, b, c)  # 25.03.04: Korean yy.mm.dd
    return None


def find_dates(text: str) -> list[Found]:
    text = _prep(text)
    out: list[Found] = []
    taken: list[tuple[int, int]] = []
    for rx, order in _DATE_PATTERNS:
        for m in rx.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            iso = _date_from_match(m, order)
            if iso is None:
                continue
            taken.append((m.start(), m.end()))
            out.append(Found(m.start(), m.end(), text[m.start() : m.end()].strip(), iso, True))
    out.sort(key=lambda f: f.start)
    return out


def normalize_date(raw: str) -> tuple[str | None, bool | None]:
    found = find_dates(raw)
    if found:
        return found[0].normalized, True
    digits = re.sub(r"\s", "", _prep(raw))
    if re.fullmatch(r"\d{8}", digits):  # 20250304
        iso = _mkdate(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        if iso:
            return iso, True
    return None, None


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
    text = _prep(text)
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
        out.append(Found(start, end, raw, {"amount": value, "currency": cur or default_currency}, True, strong=strong))
    out.sort(key=lambda f: f.start)
    return out


def normalize_amount(raw: str, default_currency: str | None = None) -> tuple[dict[str, Any] | None, bool | None]:
    found = find_amounts(raw, default_currency)
    if not found:
        return None, None
    best = next((f for f in found if f.strong), found[0])
    return best.normalized, True


# -------------------------------------------------------------------- business registration numbers

_BIZ_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)
_BIZ_RE = re.compile(r"(?<![\d-])(\d{3})\s*[-.]\s*(\d{2})\s*[-.]\s*(\d{5})(?![\d-])")
_BIZ_LOOSE_RE = re.compile(r"(?<![\d-])(\d{3})\s?(\d{2})\s?(\d{5})(?![\d-])")


def biz_checksum_ok(digits: str) -> bool:
    """Korean business registration number (사업자등록번호) check digit."""
    if not re.fullmatch(r"\d{10}", digits):
        return False
    d = [int(c) for c in digits]
    total = sum(a * w for a, w in zip(d[:9], _BIZ_WEIGHTS, strict=True)) + (d[8] * 5) // 10
    return (10 - total % 10) % 10 == d[9]


def find_biz_numbers(text: str) -> list[Found]:
    text = _prep(text)
    out: list[Found] = []
    for rx, strong in ((_BIZ_RE, True), (_BIZ_LOOSE_RE, False)):
        for m in rx.finditer(text):
            if any(m.start() < f.end and f.start < m.end() for f in out):
                continue
            digits = "".join(m.groups())
            out.append(Found(m.start(), m.end(), m.group(0), digits, biz_checksum_ok(digits), strong=strong))
    out.sort(key=lambda f: f.start)
    return out


def normalize_biz_number(raw: str) -> tuple[str | None, bool | None]:
    digits = re.sub(r"\D", "", _prep(raw))
    if len(digits) != 10:
        return None, None
    return digits, biz_checksum_ok(digits)


# -------------------------------------------------------------------------------------------- phones

_PHONE_RE = re.compile(
    r"(?<![0-9A-Za-z+\-])(?:"
    r"(?P<intl>\+\s?\d{1,3})[\s.\-]?(?:\(0\)\s?)?\(?\d{1,4}\)?(?:[\s.\-]?\d{2,4}){1,3}\d?"
    r"|\(?0\d{1,2}\)?[\s.\-)]?\d{3,4}[\s.\-]\d{4}"
    r"|1[5-9]\d{2}[\s.\-]\d{4}"
    r"|\(?[2-9]\d{2}\)?[\s.\-]\d{3}[\s.\-]\d{4}"
    r"|0\d{8,10}"
    r")(?![0-9A-Za-z\-])"
)


def _phone_e164(raw: str) -> tuple[str | None, bool | None]:
    s = _prep(raw).strip()
    digits = re.sub(r"\D", "", s)
    if not digits:
        return None, None
    if s.startswith("+"):
        if digits.startswith("82"):
            national = digits[2:]
            if national.startswith("0"):  # +82 (0)10 ...
                national = national[1:]
            return "+82" + national, _kr_national_ok(national)
        return "+" + digits, 8 <= len(digits) <= 15
    if digits.startswith("0"):
        national = digits[1:]
        return "+82" + national, _kr_national_ok(national)
    if re.fullmatch(r"1[5-9]\d{6}", digits):  # 1588-1234 service numbers
        return "+82" + digits, True
    if len(digits) == 10 and not digits.startswith(("0", "1")):  # US national
        return "+1" + digits, True
    if len(digits) == 11 and digits.startswith("1"):
        return "+" + digits, True
    return None, None


def _kr_national_ok(national: str) -> bool:
    """Korean national significant number (without the trunk 0)."""
    return bool(
        re.fullmatch(r"2\d{7,8}", national)  # Seoul
        or re.fullmatch(r"1[016789]\d{7,8}", national)  # mobile
        or re.fullmatch(r"[3-6][1-5]\d{7,8}", national)  # regional
        or re.fullmatch(r"70\d{8}", national)  # VoIP
        or re.fullmatch(r"50\d{8,9}", national)  # personal numbers
        or re.fullmatch(r"80\d{7,8}", national)  # toll free
        or re.fullmatch(r"1[5-9]\d{6}", national)  # 1588-xxxx
    )


def find_phones(text: str) -> list[Found]:
    text = _prep(text)
    out: list[Found] = []
    for m in _PHONE_RE.finditer(text):
        raw = m.group(0).strip()
        if _BIZ_RE.fullmatch(raw) or _date_like(raw):
            continue
        norm, valid = _phone_e164(raw)
        if norm is None:
            continue
        out.append(Found(m.start(), m.end(), raw, norm, valid, strong=bool(valid)))
    return out


def _date_like(raw: str) -> bool:
    return bool(re.fullmatch(r"\d{4}[.\-/]\d{1,2}[.\-/]\d{1,2}", raw))


def normalize_phone(raw: str) -> tuple[str | None, bool | None]:
    found = find_phones(raw)
    if found:
        return found[0].normalized, found[0].valid
    return _phone_e164(raw)


# -------------------------------------------------------------------------------------------- e-mail

_EMAIL_RE = re.compile(r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")


def find_emails(text: str) -> list[Found]:
    text = _prep(text)
    return [Found(m.start(), m.end(), m.group(0), m.group(0).lower(), True) for m in _EMAIL_RE.finditer(text)]


def normalize_email(raw: str) -> tuple[str | None, bool | None]:
    s = re.sub(r"\s*@\s*", "@", _prep(raw).strip())
    m = _EMAIL_RE.fullmatch(s) or _EMAIL_RE.search(s)
    if not m:
        return None, None
    return m.group(0).lower(), True


# ------------------------------------------------------------------------------------ numbers and ids

_NUMBER_RE = re.compile(r"(?<![\w.,])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d%])|(?<![\w.,])-?\d+(?:\.\d+)?(?![\d%])")
# codes with at least one digit; '*' (or OCR's '×') for masked card numbers (4518-42**-****-3321)
_ID_RE = re.compile(
    r"(?<![A-Za-z0-9\-/#*×])#?(?=[A-Za-z0-9\-_/.*×]*\d)[A-Za-z0-9][A-Za-z0-9\-_/.*×]*[A-Za-z0-9]"
    r"|(?<![A-Za-z0-9])\d(?![A-Za-z0-9])"
)


def find_numbers(text: str) -> list[Found]:
    text = _prep(text)
    out = []
    for m in _NUMBER_RE.finditer(text):
        try:
            value = float(m.group(0).replace(",", ""))
        except ValueError:
            continue
        out.append(Found(m.start(), m.end(), m.group(0), value, True))
    return out


def find_ids(text: str) -> list[Found]:
    text = _prep(text)
    out = []
    for m in _ID_RE.finditer(text):
        raw = m.group(0).lstrip("#").rstrip(".")
        if not raw:
            continue
        start = m.start() + (1 if m.group(0).startswith("#") else 0)
        out.append(Found(start, start + len(raw), raw, raw.replace("×", "*"), None))
    return out


def normalize_text(raw: str) -> tuple[str | None, bool | None]:
    s = _collapse(_prep(raw)).strip(" :：|-–—·,;")
    return (s or None), None


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
        s = _collapse(_prep(raw)).strip(" :#").replace("×", "*")
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
