"""Recognizers for the languages the bundled PP-OCR model cannot read (Cyrillic, Arabic, Devanagari, Thai,
Greek, Tamil, Telugu, Kannada scripts, and Vietnamese): app/core/languages.py says which, with which data.

Offline each is a ``TesseractRecognizer`` on one traineddata (psm 7: the crop is one text line; no
re-check, which only serves ``kor+eng``), measured on the RapidOCR set (docs/models.md). With
OCR_MODEL_SOURCE=hub the language's PaddleOCR model (e.g. ``th_PP-OCRv5_mobile_rec``) is loaded by name
instead; when it cannot load (no network, not in the PaddleX cache) Tesseract reads the language, which is
logged once and remembered for the process, so every worker and ``describe`` agree.

A ``ScriptReaders`` belongs to one ``Engines`` (one owner thread): readers are built on first use there
and never shared, like every engine (a Tesseract handle is not thread-safe). Languages that share data
(``eslav``, ``cyrillic`` and the Cyrillic minority languages all use ``Cyrillic``) share one reader.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from app.core import languages
from app.core.config import ModelSource, Settings
from app.core.languages import Language
from app.engines.base import EngineInfo, EngineLoadError, Recognized, TextRecognizer, close_engine
from app.engines.models import resolve_model
from app.engines.paddle import PaddleTextRecognizer, configured_backend
from app.engines.tesseract import TesseractRecognizer, find_tessdata

log = logging.getLogger(__name__)

PSM = 7  # one text line per crop; measured better than 13 (raw line) on every script of the RapidOCR set
# hub models that did not load in this process: name -> why (shared by the workers' ScriptReaders)
_HUB_UNAVAILABLE: dict[str, str] = {}


@lru_cache(maxsize=1)
def tesseract_version() -> str:
    try:
        import tesserocr

        return str(tesserocr.tesseract_version().split()[1])
    except Exception:  # reported as unknown, never fatal
        return "?"


class Replacing:
    """A recognizer whose output has some characters replaced (a traineddata's quirk, e.g. µ for μ)."""

    def __init__(self, inner: TextRecognizer, fixes: Sequence[tuple[str, str]]) -> None:
        self.inner = inner
        self.fixes = tuple(fixes)
        self.info: EngineInfo = inner.info

    def recognize(self, crops: Sequence[np.ndarray]) -> list[Recognized]:
        out = []
        for r in self.inner.recognize(crops):
            text = r.text
            for old, new in self.fixes:
                text = text.replace(old, new)
            out.append(Recognized(text, r.confidence))
        return out

    def close(self) -> None:
        close_engine(self.inner)


def check_language_data(settings: Settings) -> None:
    """Start-up check (milliseconds, no handle opened): every language OCR_LANGUAGES enables for Tesseract
    has its traineddata. Raises EngineLoadError naming the setting, the languages and the packages."""

    missing: dict[str, list[Language]] = {}
    for entry in languages.tesseract_entries(settings.ocr_languages):
        try:
            find_tessdata([str(entry.tesseract)], settings.tessdata_dir)
        except EngineLoadError:
            missing.setdefault(str(entry.package), []).append(entry)
    if not missing:
        return
    parts = []
    for package, entries in sorted(missing.items()):
        shown = ", ".join(f"{e.name} ({e.code})" for e in entries[:4]) + (
            f" and {len(entries) - 4} more" if len(entries) > 4 else ""
        )
        parts.append(f"{package} ({entries[0].tesseract}.traineddata: {shown})")
    codes = [e.code for entries in missing.values() for e in entries]
    where = f"TESSDATA_DIR={settings.tessdata_dir}" if settings.tessdata_dir else "the system tessdata directories"
    raise EngineLoadError(
        f"OCR_LANGUAGES enables languages whose Tesseract data is not in {where}: {'; '.join(parts)}. "
        f"Install the packages with scripts/install.sh (it installs those OCR_LANGUAGES needs) or "
        f"`apt-get install {' '.join(sorted(missing))}`, or remove {', '.join(codes[:8])}"
        f"{' …' if len(codes) > 8 else ''} from OCR_LANGUAGES."
    )


class ScriptReaders:
    """The Tesseract (or hub PaddleOCR) recognizers of one engine set, built on first use."""

    def __init__(self, settings: Settings, rec_kwargs: dict[str, Any], paddle_kwargs: dict[str, Any]) -> None:
        self.settings = settings
        self._rec_kwargs = rec_kwargs
        self._paddle_kwargs = paddle_kwargs
        self._built: dict[str, TextRecognizer] = {}

    @property
    def hub(self) -> bool:
        return self.settings.ocr_model_source == ModelSource.HUB

    def get(self, entry: Language) -> TextRecognizer:
        if self.hub and entry.paddle_model not in _HUB_UNAVAILABLE:
            rec = self._built.get(entry.paddle_model)
            if rec is None:
                rec = self._load_hub(entry)
            if rec is not None:
                return rec
        key = f"tesseract:{entry.tesseract}"
        rec = self._built.get(key)
        if rec is None:
            rec = self._built[key] = self._tesseract(entry)
        return rec

    def _load_hub(self, entry: Language) -> TextRecognizer | None:

        name = entry.paddle_model
        try:
            ref = resolve_model(self.settings.models_dir, name, self.settings.ocr_engine_backend, source="hub")
            rec: TextRecognizer = PaddleTextRecognizer(ref, **self._rec_kwargs, **self._paddle_kwargs)
        except EngineLoadError as exc:
            _HUB_UNAVAILABLE[name] = str(exc)
            log.warning(
                "%s (%s): PaddleOCR model %s is not available (%s); Tesseract %s reads it instead",
                entry.name,
                entry.code,
                name,
                exc,
                entry.tesseract,
            )
            return None
        self._built[name] = rec
        return rec

    def _tesseract(self, entry: Language) -> TextRecognizer:

        rec: TextRecognizer = TesseractRecognizer(
            str(entry.tesseract), psm=PSM, tessdata_dir=self.settings.tessdata_dir, recheck_below=0, rtl=entry.rtl
        )
        return Replacing(rec, entry.fixes) if entry.fixes else rec

    def info(self, entry: Language) -> tuple[str, str, dict[str, str]]:
        """(name, backend, models) of what reads ``entry`` here, whether or not it is built yet."""
        if self.hub and entry.paddle_model not in _HUB_UNAVAILABLE:
            s = self.settings
            return (
                "paddleocr",
                configured_backend(s.ocr_engine_backend, s.ocr_device, s.ocr_cpu_runtime),
                {"rec": entry.paddle_model},
            )
        return "tesseract", "tesseract", {"rec": f"tesseract-{tesseract_version()}:{entry.tesseract}"}

    def built(self) -> list[TextRecognizer]:
        return list(self._built.values())
