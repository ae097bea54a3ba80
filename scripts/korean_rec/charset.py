"""The Korean recognizer's dictionary: what it can output, in class order.

CTC classes: 0 = blank, 1..N = ``characters()``, N+1 = space (PaddleOCR's ``use_space_char``). The
characters are ASCII, the symbols Korean business documents print, the 2,350 Hangul syllables of
KS X 1001 (EUC-KR 0xB0A1-0xC8FE: they cover practically all modern Korean text) and the 51 modern
compatibility jamo. No Hanja: documents mixing Hanja are read with ``lang=ch`` or, in production,
with PaddleOCR's own Korean model.
"""

from __future__ import annotations

import unicodedata

# symbols seen on receipts, invoices, forms and notices (each must render in the training fonts)
SYMBOLS = (
    "·•※○●◎◇◆□■△▲▽▼▷▶◁◀☆★☎☏♥♡♣♠"
    "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮㈜㈔㉿℃℉°′″‰§¶†‡€£¥₩¢×÷±≠≤≥∞∑√∼∽"
    "‘’“”‥…–—―〃「」『』【】〔〕《》〈〉→←↑↓↔⇒⇔"
    "㎜㎝㎞㎡㎥㎎㎏㎖㎗㎘ℓ㏄Ⅰ ⅡⅢⅣⅤⅥⅦⅧⅨⅩ"
).replace(" ", "")


def ascii_chars() -> list[str]:
    return [chr(c) for c in range(33, 127)]


def ksx1001_hangul() -> list[str]:
    out = []
    for lead in range(0xB0, 0xC9):
        for trail in range(0xA1, 0xFF):
            try:
                ch = bytes([lead, trail]).decode("euc-kr")
            except UnicodeDecodeError:
                continue
            if "\uac00" <= ch <= "\ud7a3":
                out.append(ch)
    return out


def jamo() -> list[str]:
    return [chr(c) for c in range(0x3131, 0x3164)]  # ㄱ..ㅣ (51 letters)


def characters() -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for ch in [*ascii_chars(), *SYMBOLS, *ksx1001_hangul(), *jamo()]:
        ch = unicodedata.normalize("NFC", ch)
        if ch not in seen:
            seen.add(ch)
            out.append(ch)
    return out


def is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3"


# characters the fine-tune never saw and that we can map to one it knows (labels and renders are NFC)
FOLD = {"\u00a0": " ", "\u3000": " ", "～": "~", "－": "-", "：": ":", "，": ",", "．": ".", "（": "(", "）": ")"}


def fold(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return "".join(FOLD.get(c, c) for c in text)
