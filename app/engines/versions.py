"""The one place that knows the versions of the packages the engines run on and the device facts
(/health, /debug/paddle, the model server's /health and each engine set's `versions()`)."""

from __future__ import annotations

import sys
from importlib import metadata
from typing import Any

from app import __version__
from app.core.config import Settings
from app.engines import openvino
from app.engines.base import EngineLoadError
from app.engines.paddle import configured_backend

_CACHE: dict[tuple[str, ...], dict[str, Any]] = {}


def _dist_version(*names: str) -> str | None:
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def engine_versions(settings: Settings) -> dict[str, Any]:
    """Package versions and device facts for these settings (computed once per configuration)."""
    key = (
        settings.ocr_engine_backend,
        settings.ocr_device,
        settings.ocr_cpu_runtime,
        settings.ocr_openvino_precision,
        settings.ocr_openvino_det_precision,
    )
    if key not in _CACHE:
        _CACHE[key] = _facts(settings)
    return dict(_CACHE[key])


def _facts(settings: Settings) -> dict[str, Any]:
    paddle_version = _dist_version("paddlepaddle-gpu", "paddlepaddle")
    ort_version = _dist_version("onnxruntime-gpu", "onnxruntime", "onnxruntime-directml")
    compiled_with_cuda = False
    if paddle_version and (settings.ocr_engine_backend == "paddle" or "paddle" in sys.modules):
        try:
            import paddle

            compiled_with_cuda = bool(paddle.device.is_compiled_with_cuda())
        except Exception:
            compiled_with_cuda = False
    elif paddle_version:
        compiled_with_cuda = _dist_version("paddlepaddle-gpu") is not None
    if settings.ocr_engine_backend == "onnxruntime" and ort_version:
        try:
            import onnxruntime

            compiled_with_cuda = compiled_with_cuda or (
                "CUDAExecutionProvider" in onnxruntime.get_available_providers()
            )
        except ImportError:
            pass
    tesseract = None
    try:
        import tesserocr

        tesseract = tesserocr.tesseract_version().split()[1]
    except Exception:
        tesseract = None
    return {
        "app": __version__,
        "paddleocr": _dist_version("paddleocr"),
        "paddlex": _dist_version("paddlex"),
        "paddle": paddle_version,
        "onnxruntime": ort_version,
        "openvino": _dist_version("openvino"),
        "tesseract": tesseract,
        "compiled_with_cuda": compiled_with_cuda,
        "device": settings.ocr_device,
        "backend": settings.ocr_engine_backend,
        "cpu_runtime": settings.ocr_cpu_runtime,
        "openvino_precision": _openvino_precision(settings, settings.ocr_openvino_precision),
        "openvino_det_precision": _openvino_precision(settings, settings.ocr_openvino_det_precision),
    }


def _openvino_precision(settings: Settings, precision: str) -> str | None:
    """The arithmetic OpenVINO uses for these CPU models (None when it does not run them)."""
    if configured_backend(settings.ocr_engine_backend, settings.ocr_device, settings.ocr_cpu_runtime) != "openvino":
        return None
    try:
        return openvino.resolve_precision(precision)
    except EngineLoadError:
        return None
