"""Versions and device facts for /health and /debug/paddle."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from app.core.config import Settings
from app.engines.versions import engine_versions


class VersionInfo(BaseModel):
    app: str
    paddleocr: str | None = None
    paddle: str | None = None
    onnxruntime: str | None = None
    openvino: str | None = None
    compiled_with_cuda: bool = False
    device: str = "cpu"


def package_versions(settings: Settings) -> dict[str, Any]:
    """The engines' package versions and device facts (app.engines.versions)."""
    return engine_versions(settings)


def version_info(service: Any) -> VersionInfo:
    """/health's `version` block (the device and CUDA facts come with the package versions)."""
    return VersionInfo(**package_versions(service.settings))
