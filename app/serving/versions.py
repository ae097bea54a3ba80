"""Versions and device facts for /health and /debug/paddle."""

from __future__ import annotations

from functools import lru_cache
from importlib import metadata
from typing import Any

from pydantic import BaseModel

from app import __version__


class VersionInfo(BaseModel):
    app: str
    paddleocr: str | None = None
    paddle: str | None = None
    onnxruntime: str | None = None
    openvino: str | None = None
    compiled_with_cuda: bool = False
    device: str = "cpu"


def _dist_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


@lru_cache(maxsize=1)
def package_versions() -> dict[str, Any]:
    paddle = _dist_version("paddlepaddle-gpu") or _dist_version("paddlepaddle")
    compiled_with_cuda = False
    if paddle:
        try:
            import paddle as _paddle

            compiled_with_cuda = bool(_paddle.device.is_compiled_with_cuda())
        except Exception:
            compiled_with_cuda = False
    ort = _dist_version("onnxruntime-gpu") or _dist_version("onnxruntime")
    return {
        "app": __version__,
        "paddleocr": _dist_version("paddleocr"),
        "paddle": paddle,
        "onnxruntime": ort,
        "openvino": _dist_version("openvino"),
        "compiled_with_cuda": compiled_with_cuda,
    }


def version_info(service: Any) -> VersionInfo:
    v = dict(package_versions())
    device = service.settings.ocr_device
    backend = service.settings.ocr_engine_backend
    if backend == "onnxruntime":
        # ONNX Runtime builds: the CUDA provider is what "compiled with CUDA" means there
        try:
            import onnxruntime

            v["compiled_with_cuda"] = v["compiled_with_cuda"] or (
                "CUDAExecutionProvider" in onnxruntime.get_available_providers()
            )
        except ImportError:  # an image without ONNX Runtime (paddle backend only)
            pass
    return VersionInfo(device=device, **v)
