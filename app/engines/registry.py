"""Build the engine set from settings, once per owner thread (never per request).

    engines = build_engines(settings)               # everything
    engines = build_engines(settings, part="det")   # orientation + detector (the runtime's det pool)
    engines = build_engines(settings, part="rec")   # recognizers (the runtime's rec pool)

Which recognizer serves which language (the catalogue: app/core/languages.py):
- ``korean``: OCR_KOREAN_REC_MODEL, by default ``korean_PP-OCRv6_small_rec`` (PP-OCRv6 small rec fine-tuned
  on Korean by scripts/korean_rec/, shipped through scripts/fetch_models.py), with Tesseract ``kor+eng`` as
  the second opinion on lines it is unsure of (OCR_KOREAN_SECOND_OPINION, app/engines/ensemble.py). Any
  PaddleOCR model name works too (``korean_PP-OCRv5_mobile_rec`` with OCR_MODEL_SOURCE=hub); ``tesseract``
  selects Tesseract alone, and so does a model that fails to load (logged, reported by /debug/paddle).
- ``en``, ``ch``, ``chinese_cht``, ``japan``, ``latin`` and the Latin-script codes (``fr``, ``de``, ``pl``, …):
  OCR_REC_MODEL (PP-OCRv6_small_rec by default).
- the other scripts (``th``, ``el``, ``ru``, ``eslav``, ``cyrillic``, ``ar``, ``arabic``, ``hi``, ``ta``, ``te``, …;
  app/core/languages.py): Tesseract with the language's Debian data, or with OCR_MODEL_SOURCE=hub the
  language's PaddleOCR model; built on first use (app/engines/script_readers.py), served when OCR_LANGUAGES
  enables them, whose data is checked at start-up.

Models come from MODELS_DIR (OCR_MODEL_SOURCE=local: only local dirs, a missing one is an EngineLoadError
at start-up) or, with OCR_MODEL_SOURCE=hub, local dirs first and PaddleX's cache/model hosts for the rest.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import cv2
import numpy as np

from app.core import languages
from app.core.config import ModelSource, Settings
from app.core.languages import Language
from app.engines.auto_lang import AUTO
from app.engines.base import EngineLoadError, OrientationClassifier, TextDetector, TextRecognizer, close_engine
from app.engines.crops import crop_quad
from app.engines.ensemble import SecondOpinion
from app.engines.models import ModelRef, model_dir_for, resolve_model
from app.engines.paddle import (
    CPU_REC_BATCH,
    PaddleOrientationClassifier,
    PaddleTextDetector,
    PaddleTextRecognizer,
    configured_backend,
)
from app.engines.preprocess import Preprocessed
from app.engines.script_readers import ScriptReaders, check_language_data
from app.engines.structure_registry import build_structure_engines
from app.engines.tesseract import TesseractRecognizer
from app.engines.versions import engine_versions

log = logging.getLogger(__name__)

KOREAN = "korean"
PARTS = ("all", "det", "rec")
TESSERACT = "tesseract"
TESSERACT_LANG = "kor+eng"


class Engines:
    """One owner thread's engines. Attributes not built for its ``part`` raise a clear error."""

    def __init__(
        self,
        settings: Settings,
        part: str,
        detector: TextDetector | None,
        orientation: OrientationClassifier | None,
        general: TextRecognizer | None,
        korean: TextRecognizer | None,
        korean_fallback: str | None = None,
    ) -> None:
        self.settings = settings
        self.part = part
        self._detector = detector
        self.orientation = orientation
        self.layout: Any = None  # set by build_engines for the det part (/structure)
        self.table: Any = None
        self._general = general
        self._korean = korean
        self.korean_fallback = korean_fallback  # why the Korean model configured was not used
        self._versions: dict[str, Any] | None = None
        self._enabled = frozenset(settings.enabled_languages)
        # the other scripts' recognizers, built on first use by this engine set's owner thread
        self._scripts = ScriptReaders(settings, _rec_kwargs(settings), _paddle_kwargs(settings))

    # ------------------------------------------------------------ engines

    @property
    def detector(self) -> TextDetector:
        if self._detector is None:
            raise RuntimeError(f"this engine set was built with part={self.part!r}: no detector")
        return self._detector

    def _language(self, lang: str) -> Language:
        entry = languages.get(lang)
        if entry is None:
            raise ValueError(f"unsupported language {lang!r}; GET /languages lists the codes")
        if lang not in self._enabled:
            raise ValueError(f"language {lang!r} is not enabled: {languages.how_to_enable(entry)}")
        return entry

    def recognizer_for(self, lang: str) -> TextRecognizer:
        entry = self._language(lang)
        if entry.reader == languages.TESSERACT and self.part != "det":
            return self._scripts.get(entry)
        rec = self._korean if lang == KOREAN else self._general
        if rec is None:
            raise RuntimeError(f"this engine set was built with part={self.part!r}: no recognizers")
        return rec

    def auto_readers(self) -> tuple[TextRecognizer, TextRecognizer]:
        """(Korean reader, general reader) for lang=auto (app/engines/auto_lang.py)."""
        korean, general = self._korean, self._general
        if korean is None or general is None:
            raise RuntimeError(f"this engine set was built with part={self.part!r}: no recognizers")
        return korean, general

    def recognizers(self) -> list[TextRecognizer]:
        """The distinct recognizer instances built here."""
        out: list[TextRecognizer] = []
        for rec in (self._general, self._korean, *self._scripts.built()):
            if rec is not None and all(rec is not r for r in out):
                out.append(rec)
        return out

    # ------------------------------------------------------------ facts

    def _det_name(self) -> str:
        if self._detector is not None:
            return self._detector.info.models.get("det", self.settings.ocr_det_model)
        return self.settings.ocr_det_model

    def _det_backend(self) -> str:
        return self._detector.info.backend if self._detector is not None else _backend(self.settings)

    def _rec_info_for(self, lang: str) -> tuple[str, str, dict[str, str]]:
        """(name, backend, models) of the recognizer serving ``lang`` (from settings if not built here):
        ``models`` has ``rec`` and, where a second reader checks doubtful lines, ``rec_second_opinion``."""
        entry = languages.get(lang)
        if entry is not None and entry.reader == languages.TESSERACT:
            return self._scripts.info(entry)
        rec = self._korean if lang == KOREAN else self._general
        if rec is not None:
            info = rec.info
            return info.name, info.backend, {k: v for k, v in info.models.items() if k.startswith("rec")}
        if lang == KOREAN and self.settings.ocr_korean_rec_model == TESSERACT:
            return "tesseract", "tesseract", {"rec": f"tesseract:{TESSERACT_LANG}"}
        if lang == KOREAN and self.settings.ocr_korean_rec_model != self.settings.ocr_rec_model:
            models = {"rec": self.settings.ocr_korean_rec_model}
            if self.settings.ocr_korean_second_opinion == TESSERACT:
                models["rec_second_opinion"] = f"tesseract:{TESSERACT_LANG}"
            return "paddleocr", _backend(self.settings), models
        return "paddleocr", _backend(self.settings), {"rec": self.settings.ocr_rec_model}

    def describe(self, lang: str) -> dict[str, Any]:
        """What answered a request in ``lang``: {"name", "backend", "device", "models": {"det", "rec"}}.
        For ``auto``: the Korean reader's, with the general reader (pages without Hangul) as ``rec_other``."""
        if lang == AUTO:
            auto = self.describe(KOREAN)
            auto["models"]["rec_other"] = self._rec_info_for("en")[2]["rec"]
            return auto
        self._language(lang)
        rec_name, rec_backend, rec_models = self._rec_info_for(lang)
        name = "paddleocr" if rec_name == "paddleocr" else f"paddleocr+{rec_name}"
        backend = self._det_backend()
        if rec_backend not in (backend, "tesseract"):
            backend = f"{backend}+{rec_backend}"
        out: dict[str, Any] = {
            "name": name,
            "backend": backend,
            "device": self.settings.ocr_device,
            "models": {"det": self._det_name(), **rec_models},
        }
        return out

    def versions(self) -> dict[str, Any]:
        """Package versions and device facts (computed once)."""
        if self._versions is None:
            self._versions = engine_versions(self.settings)
        return dict(self._versions)

    # ------------------------------------------------------------ checks

    def warmup(self) -> None:
        """One tiny inference per model (first-call allocations, kernel selection)."""
        t0 = time.perf_counter()
        self._probe()
        log.info("engines warmed up (part=%s) in %.2f s", self.part, time.perf_counter() - t0)

    def run_check(self) -> bool:
        """Really runs a small inference on the configured device; False (logged) if anything fails."""
        try:
            return self._probe()
        except Exception:
            log.exception("engine run_check failed (part=%s, device=%s)", self.part, self.settings.ocr_device)
            return False

    def _probe(self) -> bool:
        page, line = _probe_images()
        ok = True
        if self.orientation is not None:
            angles = self.orientation.classify([page])
            ok &= len(angles) == 1 and angles[0] in (0, 90, 180, 270)
        if self._detector is not None:
            quads = self._detector.detect([page])[0]
            ok &= len(quads) >= 1
            if quads:
                line = crop_quad(page, quads[0])
        for rec in self.recognizers():
            result = rec.recognize([line])
            ok &= len(result) == 1 and 0.0 <= result[0].confidence <= 1.0
        return bool(ok)

    def close(self) -> None:
        for eng in (self._detector, self.orientation, self.layout, self.table, *self.recognizers()):
            try:
                close_engine(eng)
            except Exception:  # closing is best effort
                log.debug("closing %r failed", eng, exc_info=True)


def _probe_images() -> tuple[np.ndarray, np.ndarray]:
    """A small white page with one printed line (OpenCV's built-in font; no font files needed)."""
    page = np.full((160, 480, 3), 255, dtype=np.uint8)
    cv2.putText(page, "OCR 2025 check", (20, 95), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (0, 0, 0), 3, cv2.LINE_AA)
    line = np.ascontiguousarray(page[45:115, 10:470])
    return page, line


# ---------------------------------------------------------------- building


def _backend(settings: Settings) -> str:
    return configured_backend(settings.ocr_engine_backend, settings.ocr_device, settings.ocr_cpu_runtime)


def _rec_batch(settings: Settings) -> int:
    configured = settings.ocr_rec_batch_size
    if configured > 0:
        return configured
    # one crop per call on CPU is fastest (measured, docs/accuracy.md); GPUs want real batches
    return CPU_REC_BATCH if settings.ocr_device == "cpu" else settings.max_batch_size


def _rec_kwargs(settings: Settings) -> dict[str, Any]:
    """How every PaddleOCR recognizer batches and pads its crops."""
    return {"max_batch": _rec_batch(settings), "min_width": settings.ocr_rec_min_width}


def _paddle_kwargs(settings: Settings) -> dict[str, Any]:
    return {
        "device": settings.ocr_device,
        "cpu_threads": settings.ocr_cpu_threads,
        "mem_arena": settings.ocr_cpu_mem_arena,
        "runtime": settings.ocr_cpu_runtime,
        "precision": settings.ocr_openvino_precision,
    }


def _ref(settings: Settings, name: str) -> ModelRef:
    return resolve_model(settings.models_dir, name, settings.ocr_engine_backend, source=settings.ocr_model_source)


def _onnx_instead_of_paddle(settings: Settings, name: str) -> ModelRef | None:
    """With OCR_ENGINE_BACKEND=paddle, a local model that ships only in ONNX format (the page-orientation
    model, the Korean model) runs on ONNX Runtime: its ref, else None."""
    if (
        settings.ocr_engine_backend == "paddle"
        and settings.ocr_model_source == ModelSource.LOCAL
        and not model_dir_for(settings.models_dir, name, "paddle").is_dir()
        and model_dir_for(settings.models_dir, name, "onnxruntime").is_dir()
    ):
        return resolve_model(settings.models_dir, name, "onnxruntime")
    return None


def _build_orientation(settings: Settings) -> OrientationClassifier | None:
    name = settings.ocr_orientation_model
    if not name:
        return None
    onnx = _onnx_instead_of_paddle(settings, name)
    if onnx is not None:
        # no Paddle-format page-orientation model ships in a wheel; the ONNX one on the CPU is as good
        # (one 224x224 inference per page)
        log.info("orientation model %s: no Paddle-format dir, using its ONNX model on the CPU", name)
        return PaddleOrientationClassifier(onnx, **(_paddle_kwargs(settings) | {"device": "cpu"}))
    return PaddleOrientationClassifier(_ref(settings, name), **_paddle_kwargs(settings))


def _korean_ref(settings: Settings, name: str) -> tuple[ModelRef, str]:
    """The Korean model and the backend to run it on. The shipped Korean model is ONNX only: with
    OCR_ENGINE_BACKEND=paddle it runs as ONNX on the CPU (OCR_CPU_RUNTIME; like the page-orientation model)."""
    onnx = _onnx_instead_of_paddle(settings, name)
    if onnx is not None:
        log.info("Korean model %s: no Paddle-format dir, using its ONNX model on the CPU", name)
        return onnx, "cpu"
    return _ref(settings, name), settings.ocr_device


def _build_korean(settings: Settings, general: TextRecognizer) -> tuple[TextRecognizer, str | None]:

    name = settings.ocr_korean_rec_model

    def tesseract() -> TesseractRecognizer:
        return TesseractRecognizer(TESSERACT_LANG, tessdata_dir=settings.tessdata_dir)

    if name == TESSERACT:
        return tesseract(), None
    if name == settings.ocr_rec_model:
        return general, None
    try:
        ref, device = _korean_ref(settings, name)
        kwargs = _paddle_kwargs(settings) | {"device": device}
        primary: TextRecognizer = PaddleTextRecognizer(ref, **_rec_kwargs(settings), **kwargs)
        if settings.ocr_rec_preprocess != "none":
            primary = Preprocessed(primary, settings.ocr_rec_preprocess)
    except EngineLoadError as exc:
        fallback = f"OCR_KOREAN_REC_MODEL={name} is not available ({exc}); using Tesseract {TESSERACT_LANG}"
        log.warning(fallback)
        return tesseract(), fallback
    if settings.ocr_korean_second_opinion == TESSERACT:
        return (
            SecondOpinion(
                primary,
                tesseract(),
                below=settings.ocr_korean_second_opinion_below,
                margin=settings.ocr_korean_second_opinion_margin,
            ),
            None,
        )
    return primary, None


def build_engines(settings: Settings, part: str | None = None) -> Engines:
    """Load the models for ``part`` (``"det"``, ``"rec"`` or everything). Raises EngineLoadError."""
    part = part or "all"
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, got {part!r}")
    t0 = time.perf_counter()
    detector: TextDetector | None = None
    orientation: OrientationClassifier | None = None
    general: TextRecognizer | None = None
    korean: TextRecognizer | None = None
    fallback: str | None = None
    if part in ("all", "det"):
        orientation = _build_orientation(settings)
        detector = PaddleTextDetector(
            _ref(settings, settings.ocr_det_model),
            trim_borders=settings.ocr_det_trim_borders,
            min_scale=settings.ocr_det_min_scale,
            text_px=settings.ocr_det_text_px,
            **(_paddle_kwargs(settings) | {"precision": settings.ocr_openvino_det_precision}),
        )
    if part in ("all", "rec"):
        check_language_data(settings)  # OCR_LANGUAGES' Tesseract data, before any model is loaded
        general = PaddleTextRecognizer(
            _ref(settings, settings.ocr_rec_model), **_rec_kwargs(settings), **_paddle_kwargs(settings)
        )
        korean, fallback = _build_korean(settings, general)
    engines = Engines(settings, part, detector, orientation, general, korean, fallback)
    if part in ("all", "det"):
        # /structure's layout and table engines live with the detector (the runtime's det pool)

        engines.layout, engines.table = build_structure_engines(settings)
    log.info(
        "engines built (part=%s, backend=%s, device=%s, source=%s) in %.2f s: %s",
        part,
        settings.ocr_engine_backend,
        settings.ocr_device,
        settings.ocr_model_source,
        time.perf_counter() - t0,
        {lang: engines.describe(lang)["models"] for lang in (KOREAN, "en")},
    )
    return engines
