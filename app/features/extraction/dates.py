"""Dates in the common Korean and English forms: finders and the normaliser (ISO 8601)."""

from __future__ import annotations

import datetime as _dt
import re

from app.features.extraction.values import Found, prep_text

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
    # 4 March 2025 / 4-Mar-2025 / 04 Mar. 2025 / 4th of March, 2025
    (
        re.compile(
            r"(?<!\d)(?P<d>\d{1,2})" + _ORD + r"(?:\s+of)?[\s\-]+" + _MONTH_RE + r"\.?,?[\s\-]+(?P<y>\d{4})(?!\d)", re.I
        ),
        "dmy_name",
    ),
    # 12-Jun-24 / 12 Jun 24 (two-digit year, English statements)
    (
        re.compile(r"(?<!\d)(?P<d>\d{1,2})[\s\-]" + _MONTH_RE + r"\.?[\s\-](?P<y>\d{2})(?![\dA-Za-z:])", re.I),
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
        y = int(g["y"])
        return _mkdate(y + 2000 if y < 100 else y, mon, int(g["d"]))
    if order == "ab_y":
        a, b, y = int(g["a"]), int(g["b"]), int(g["y"])
        if g["s"] == "/":  # US month/day unless that is impossible
            return _mkdate(y, a, b) if a <= 12 else _mkdate(y, b, a)
        return _mkdate(y, b, a) if b <= 12 else _mkdate(y, a, b)  # European day.month
    if order == "two":
        a, b, c = int(g["a"]), int(g["b"]), int(g["c"])
        if g["s"] == "/" and a <= 12:  # 03/04/25: US month/day/year
            return _mkdate(2000 + c, a, b)
        if g["s"] == "/":
            # 24/06/12: a Korean receipt's yy/mm/dd or a European dd/mm/yy; the one nearer today wins
            options = [d for d in (_mkdate(2000 + a, b, c), _mkdate(2000 + c, b, a)) if d]
            today = _dt.date.today()
            return min(options, key=lambda d: abs((_dt.date.fromisoformat(d) - today).days), default=None)
        return _mkdate(2000 + a, b, c)  # 25.03.04: Korean yy.mm.dd
    return None


def find_dates(text: str) -> list[Found]:
    text = prep_text(text)
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
    digits = re.sub(r"\s", "", prep_text(raw))
    if re.fullmatch(r"\d{8}", digits):  # 20250304
        iso = _mkdate(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        if iso:
            return iso, True
    return None, None
