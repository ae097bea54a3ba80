"""``lang=auto``: which reader a page's lines need, decided from what the Korean reader sees in them.

The Korean reader reads Hangul, Latin letters and digits; the general reader (PP-OCRv6, the ``en``/``ch``/
``japan`` model) reads Latin, Han and kana but no Hangul. A page is first read in part: its widest lines
(up to ``PROBE_LINES``, the ones with most letters) go through the Korean reader. When Hangul is at least
``HANGUL_SHARE`` of the letters there, the page is Korean and the rest of it is read by the Korean reader
too; otherwise the whole page is read by the general reader (an English receipt read as Korean came back
as ``AUTH 0407의``). A page of digits and signs only stays with the Korean reader, the deployment default.

Then line by line, where a line's script differs from its page's: a line the page's reader reads below
``LINE_DOUBT`` is read by the other reader too, and the other reading replaces it when it is in the script
only that reader writes (Hangul for the Korean reader; Han or kana for the general one) and at least
``LINE_MARGIN`` more confident: a Korean company name on an English invoice, a Chinese line on a Korean
page. Latin and digits never move a line (both readers write them; the page's reader keeps them).

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
LINE_DOUBT = 0.80  # a line read less surely than this by its page's reader is read by the other one too
LINE_MARGIN = 0.05

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


def _doubtful(lines: Sequence[Recognized]) -> list[int]:
    return [i for i, r in enumerate(lines) if not r.text.strip() or r.confidence < LINE_DOUBT]


def _better(mine: Recognized, other: Recognized) -> bool:
    return bool(other.text.strip()) and (not mine.text.strip() or other.confidence >= mine.confidence + LINE_MARGIN)


def read_auto(korean: TextRecognizer, general: TextRecognizer, crops: Sequence[np.ndarray]) -> list[Recognized]:
    """Read one page's ``crops`` in the language they turn out to be in (module docstring)."""
    if not crops:
        return []
    order = sorted(range(len(crops)), key=lambda i: -crops[i].shape[1] / max(1, crops[i].shape[0]))
    probe = order[:PROBE_LINES]
    first = korean.recognize([crops[i] for i in probe])
    by_korean: dict[int, Recognized] = dict(zip(probe, first, strict=True))
    if korean_text(r.text for r in first):
        rest = order[PROBE_LINES:]
        by_korean.update(zip(rest, korean.recognize([crops[i] for i in rest]), strict=True))
        out = [Recognized(by_korean[i].text, by_korean[i].confidence, KOREAN) for i in range(len(crops))]
        # lines in a script the Korean reader does not write (Han, kana): the general reader's, if surer
        doubtful = [i for i in _doubtful(out) if not _HANGUL.search(out[i].text)]
        if doubtful:
            for i, other in zip(doubtful, general.recognize([crops[i] for i in doubtful]), strict=True):
                if (_HAN.search(other.text) or _KANA.search(other.text)) and _better(out[i], other):
                    out[i] = Recognized(other.text, other.confidence, script_lang(other.text))
        return out
    out = [Recognized(r.text, r.confidence, script_lang(r.text)) for r in general.recognize(list(crops))]
    # lines in Hangul, which the general reader does not write: the Korean reader's, if surer (the probe's
    # readings are reused)
    doubtful = _doubtful(out)
    unread = [i for i in doubtful if i not in by_korean]
    if unread:
        by_korean.update(zip(unread, korean.recognize([crops[i] for i in unread]), strict=True))
    for i in doubtful:
        other = by_korean[i]
        if (hangul_share([other.text]) or 0.0) >= 0.5 and _better(out[i], other):
            out[i] = Recognized(other.text, other.confidence, KOREAN)
    return out
