"""Response models of /health, /health/live, /debug/paddle and /languages."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from app.serving.versions import VersionInfo


class HealthResponse(BaseModel):
    status: Literal["ok", "degraded", "loading", "draining", "failed"]
    models_loaded: bool
    version: VersionInfo
    queue: dict[str, Any] | None = None
    model_server: dict[str, Any] | None = None
    error: str | None = None


class LiveResponse(BaseModel):
    status: Literal["alive"] = "alive"


class GpuInfo(BaseModel):
    name: str
    memory_total_mb: float
    memory_used_mb: float


class DebugPaddleResponse(BaseModel):
    run_check: bool
    compiled_with_cuda: bool
    device: str
    gpu: GpuInfo | None = None
    backend: str
    engines: dict[str, Any] = Field(default_factory=dict)
    versions: dict[str, Any] = Field(default_factory=dict)
    run_check_ms: float | None = None
    error: str | None = None
    runtime: dict[str, Any] = Field(
        default_factory=dict, description="engine workers per stage, threads per session, batching, limits"
    )


class LanguageModel(BaseModel):
    code: str = Field(description="PaddleOCR `lang` code, as sent in the `lang` form field")
    name: str
    script: str = Field(description="Writing system (Latin, Han, Hangul, Cyrillic, Arabic, Devanagari, Thai, …)")
    enabled: bool = Field(
        description="Whether this deployment serves it (else requests get 422 `language_not_enabled`)"
    )
    engine: Literal["paddleocr", "tesseract"] = Field(description="What reads its text lines")
    model: str = Field(description="The recognizer: a PaddleOCR model name, or `tesseract:<traineddata>`")
    package: str | None = Field(description="The Debian package with its Tesseract data (null: none needed)")
    how_to_enable: str | None = Field(description="What an operator does to serve it (null when enabled)")


class LanguagesResponse(BaseModel):
    default: str = Field(description="The language of requests that give none (OCR_DEFAULT_LANG)")
    languages: list[LanguageModel]
