"""Languages the service accepts (PaddleOCR codes) and which recognizer family serves each."""

from __future__ import annotations

# lang code -> human name. PaddleOCR codes, so clients can pass what they pass to PaddleOCR.
SUPPORTED_LANGS: dict[str, str] = {
    "korean": "Korean (Hangul + Latin digits)",
    "en": "English",
    "ch": "Chinese (simplified) + English",
    "chinese_cht": "Chinese (traditional) + English",
    "japan": "Japanese + English",
    "latin": "Latin-script languages",
}


def supported_list() -> str:
    return ", ".join(SUPPORTED_LANGS)
