"""Business registration numbers (with the check digit), phone numbers (E.164), e-mail addresses, plain
numbers and IDs."""

from __future__ import annotations

import re

from app.features.extraction.values import Found, collapse_spaces, prep_text

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
    text = prep_text(text)
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
    digits = re.sub(r"\D", "", prep_text(raw))
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
    s = prep_text(raw).strip()
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
    text = prep_text(text)
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
    text = prep_text(text)
    return [Found(m.start(), m.end(), m.group(0), m.group(0).lower(), True) for m in _EMAIL_RE.finditer(text)]


def normalize_email(raw: str) -> tuple[str | None, bool | None]:
    s = re.sub(r"\s*@\s*", "@", prep_text(raw).strip())
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
    text = prep_text(text)
    out = []
    for m in _NUMBER_RE.finditer(text):
        try:
            value = float(m.group(0).replace(",", ""))
        except ValueError:
            continue
        out.append(Found(m.start(), m.end(), m.group(0), value, True))
    return out


# masked card numbers in four groups: "XXXX XXXX XXXX 4965", "5365-78**-****-8662", "**** **** **** 1234"
_CARD_RE = re.compile(r"(?<![0-9A-Za-z*×•\-/.])(?:[0-9Xx*×•]{4}[ \-]){3}[0-9Xx*×•]{1,4}(?![0-9A-Za-z*×•])")


def find_ids(text: str) -> list[Found]:
    text = prep_text(text)
    out = []
    cards = [m for m in _CARD_RE.finditer(text) if re.search(r"\d", m.group(0))]
    for m in cards:
        out.append(Found(m.start(), m.end(), m.group(0), m.group(0).replace("×", "*"), None))
    for m in _ID_RE.finditer(text):
        if any(c.start() < m.end() and m.start() < c.end() for c in cards):
            continue
        raw = m.group(0).lstrip("#").rstrip(".")
        if not raw:
            continue
        start = m.start() + (1 if m.group(0).startswith("#") else 0)
        out.append(Found(start, start + len(raw), raw, raw.replace("×", "*"), None))
    out.sort(key=lambda f: f.start)
    return out


def normalize_text(raw: str) -> tuple[str | None, bool | None]:
    s = collapse_spaces(prep_text(raw)).strip(" :：|-–—·,;")
    return (s or None), None
