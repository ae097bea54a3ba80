"""Human labels of extraction fields (the response's `label`), in Korean or English.

A template field or a field concept carries its label in its data file (``label: {ko: 합계 금액, en: Total
amount}``, or one string for every language); a caller's field name that no template or concept
knows is shown as the name made readable (``supplier_tax_id`` → ``Supplier tax id``).
"""

from __future__ import annotations

import re
from typing import Any

from app.core.i18n import parse_accept_language

LANGUAGES = ("ko", "en")
KOREAN, ENGLISH = LANGUAGES
MAX_LABEL_LEN = 80

Label = tuple[tuple[str, str], ...]  # (language, text) pairs

_BUYER = {KOREAN: "공급받는자 {label}", ENGLISH: "Buyer {label}"}


class LabelError(ValueError):
    """A `label` entry of a template or concept file is malformed."""


def parse_label(raw: Any, where: str) -> Label:
    """A data file's `label`: one string (every language) or a mapping of `ko` / `en` to strings."""
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = dict.fromkeys(LANGUAGES, raw)
    if not isinstance(raw, dict):
        raise LabelError(f"{where}: label must be a string or a mapping of ko / en to strings")
    unknown = sorted(set(raw) - set(LANGUAGES))
    if unknown:
        raise LabelError(f"{where}: label has unknown languages {unknown}; allowed: {list(LANGUAGES)}")
    out = []
    for lang in LANGUAGES:
        text = raw.get(lang)
        if text is None:
            continue
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_LABEL_LEN:
            raise LabelError(f"{where}: label.{lang} must be a non-empty string of at most {MAX_LABEL_LEN} characters")
        out.append((lang, text.strip()))
    return tuple(out)


def readable(name: str) -> str:
    """A field name as words: ``amountDue`` → ``Amount due``, ``PO_number`` → ``PO number``; Korean kept."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    words = [w if w.isupper() and len(w) > 1 else w.lower() for w in re.split(r"[_\s]+", spaced) if w]
    text = " ".join(words) or name
    return text[:1].upper() + text[1:]


def label_for(label: Label, name: str, lang: str, *, buyer: bool = False) -> str:
    """The label in `lang`: the data file's, else the name made readable (a buyer's copy of a supplier
    field says so: ``공급받는자 전화번호``, ``Buyer phone number``)."""
    text = dict(label).get(lang)
    if text is None:
        return readable(name)
    if buyer:
        return _BUYER[lang].format(label=text if lang == KOREAN else text[:1].lower() + text[1:])
    return text


def label_language(accept_language: str | None, ocr_lang: str | None) -> str:
    """The language of the labels: the one Accept-Language prefers among ko / en; without a preference
    for either, Korean when the document is read as Korean, else English."""
    for tag, _q in parse_accept_language(accept_language):
        if tag in LANGUAGES:
            return tag
    return KOREAN if (ocr_lang or "").lower() in ("korean", "ko") else ENGLISH
