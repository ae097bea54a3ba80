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
    llm_server: dict[str, Any] | None = Field(
        None,
        description="The extraction LLM server (CHATOCR_BACKEND=openai): status up|down|unknown, url, model, "
        "checked_at, latency_ms, error",
    )
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


class ProfileModel(BaseModel):
    name: str = Field(description="As sent in the `profile` form field")
    version: str = Field(description="Short hash of its effective engine settings and model file checksums")
    default: bool = Field(description="Whether it is the built-in profile (the deployment's own settings)")
    loaded: bool = Field(description="Whether its engines are loaded now (others load on first use)")
    models: dict[str, str] = Field(description="Its models by role: det, rec, rec_korean, orientation")
    languages: list[str] = Field(description="The `lang` codes it serves")
    overrides: dict[str, Any] = Field(default_factory=dict, description="The settings it changes from default")
    memory_estimate_mb: float = Field(description="Model files its engine sets hold (OCR_PROFILES_MEMORY_MB)")
    memory_measured_mb: float | None = Field(
        None, description="Loaded profiles: memory the process gained while its engines loaded (memory_kind)"
    )
    memory_per_worker_mb: float | None = Field(None, description="memory_measured_mb over its engine workers")
    memory_kind: str | None = Field(None, description="gpu (NVML, this process) or rss")
    ab_percent: float | None = Field(None, description="Share of callers OCR_AB sends to it")
    shadow_percent: float | None = Field(None, description="Share of requests OCR_SHADOW reads again on it")


class ModelsResponse(BaseModel):
    profiles: list[ProfileModel]
    memory: dict[str, Any] | None = Field(
        None,
        description="This process's memory as OCR_MEMORY_CEILING_MB counts it: kind, used_mb, ceiling_mb, "
        "used_percent, shed_level (engine batches are 1/2^level of their size)",
    )
