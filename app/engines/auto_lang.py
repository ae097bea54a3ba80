"""``lang=auto``: which reader a page's lines need, decided from what the Korean reader sees in them.

The Korean reader reads Hangul, Latin letters and digits; the general reader (PP-OCRv6, the ``en``/``ch``/
``japan`` model) reads Latin, Han and kana but no Hangul. A page is first read in part: its widest lines
(up to ``PROBE_LINES``, the ones with most letters) go through the Korean reader. When Hangul is at least
``HANGUL_SHARE`` of the letters there, the page is Korean and the rest of it is read by the Korean reader
too; otherwise the whole page is read by the general reader (an English receipt read as Korean came back
as ``AUTH 0407의``). A page of digits and signs only stays with the Korean reader, the deployment default.

Each line's ``lang`` says which language it was read as: ``korean``, or for the general reader the script
its text is in (``ch`` for Han, ``japan`` for kana, else ``en``). Languages read by Tesseract (Thai,
Arabic, Cyrillic, Devanagari, ...) are not detected: name them in ``lang``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from app.core.languages import AUTO
from app.engines.base import Recognized, TextRecognizer

__all__ = ["AUTO", "hangul_share", "page_lang", "read_auto", "script_lang", "text_lang"]
KOREAN = "korean"
PROBE_LINES = 12
HANGUL_SHARE = 0.25

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


def hangul_share(texts: Iterable[str]) -> float | None:
    """Hangul among the letters of ``texts`` (Hangul, Latin, Han, kana); None without letters."""
    joined = "".join(texts)
    hangul = len(_HANGUL.findall(joined))
    letters = hangul + len(_LATIN.findall(joined)) + len(_HAN.findall(joined)) + len(_KANA.findall(joined))
    return hangul / letters if letters else None


def korean_text(texts: Iterable[str]) -> bool:
    """Whether ``texts`` are for the Korean reader: Hangul is at least HANGUL_SHARE of their letters, or
    they hold no letters at all (digits and signs stay with the deployment default)."""
    share = hangul_share(texts)
    return share is None or share >= HANGUL_SHARE


def text_lang(texts: Sequence[str]) -> str:
    """The language of text that is already there (a PDF's text layer), by the same rule as read_auto."""
    return KOREAN if korean_text(texts) else script_lang("".join(texts))


def script_lang(text: str) -> str:
    """The language code a text read by the general reader is in, by its script."""
    if _KANA.search(text):
        return "japan"
    if _HAN.search(text):
        return "ch"
    return "en"


def page_lang(lines: Sequence[tuple[str, str | None]]) -> str | None:
    """A page's language from its lines' (text, lang): the language holding most characters."""
    weight: Counter[str] = Counter()
    for text, lang in lines:
        if lang:
            weight[lang] += len(text.strip()) or 1
    return weight.most_common(1)[0][0] if weight else None


def read_auto(korean: TextRecognizer, general: TextRecognizer, crops: Sequence[np.ndarray]) -> list[Recognized]:
    """Read one page's ``crops`` in the language they turn out to be in (module docstring)."""
    if not crops:
        return []
    order = sorted(range(len(crops)), key=lambda i: -crops[i].shape[1] / max(1, crops[i].shape[0]))
    probe = order[:PROBE_LINES]
    first = korean.recognize([crops[i] for i in probe])
    if korean_text(r.text for r in first):
        out: list[Recognized] = [Recognized("", 0.0)] * len(crops)
        for i, r in zip(probe, first, strict=True):
            out[i] = r
        rest = order[PROBE_LINES:]
        for i, r in zip(rest, korean.recognize([crops[i] for i in rest]), strict=True):
            out[i] = r
        return [Recognized(r.text, r.confidence, KOREAN) for r in out]
    return [Recognized(r.text, r.confidence, script_lang(r.text)) for r in general.recognize(list(crops))]
