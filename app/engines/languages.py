"""Languages the service knows (PaddleOCR codes): re-exported from the catalogue, app/core/languages.py.

Which of them a deployment serves is ``Settings.enabled_languages`` (OCR_LANGUAGES).
"""

from __future__ import annotations

from app.core.languages import CATALOGUE, Language, get

# lang code -> human name, every code of the catalogue (enabled or not)
SUPPORTED_LANGS: dict[str, str] = {code: entry.name for code, entry in CATALOGUE.items()}

__all__ = ["CATALOGUE", "SUPPORTED_LANGS", "Language", "get", "supported_list"]


def supported_list() -> str:
    return ", ".join(SUPPORTED_LANGS)
