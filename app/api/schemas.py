"""Response models: they document the contract in OpenAPI (/docs) and shape what routes return."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    code: str = Field(description="Stable snake_case error code", examples=["queue_full"])
    message: str = Field(description="Human-readable explanation")
    request_id: str | None = Field(description="Same as the x-request-id response header")
    details: dict[str, Any] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


class VersionInfo(BaseModel):
    app: str
    paddleocr: str | None = None
    paddle: str | None = None
    onnxruntime: str | None = None
    compiled_with_cuda: bool = False
    device: str = "cpu"


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


class OcrLineModel(BaseModel):
    text: str
    confidence: float
    box: list[list[float]] = Field(description="4 points clockwise from top-left, page pixels")
    bbox: list[float] = Field(description="[x0, y0, x1, y1]")


class OcrUnreadModel(OcrLineModel):
    reason: Literal["no_text", "low_confidence"] = Field(
        description="`no_text`: ink was detected but nothing could be read; `low_confidence`: the reading "
        "(in `text`) is below the request's `min_confidence`"
    )


class OcrPageModel(BaseModel):
    page: int
    width: int
    height: int
    rotation: int = Field(0, description="Clockwise rotation (degrees) that was detected and corrected")
    source: Literal["ocr", "text_layer"] = Field(
        "ocr", description="`text_layer` when the PDF page's embedded text was used instead of OCR"
    )
    text: str
    lines: list[OcrLineModel]
    unread: list[OcrUnreadModel] = Field(
        default_factory=list,
        description="Detected regions with ink that are not in `lines` (nothing read, or below `min_confidence`)",
    )


class EngineModel(BaseModel):
    name: str
    backend: str
    device: str
    models: dict[str, str]


class OcrResponse(BaseModel):
    request_id: str | None
    lang: str
    engine: EngineModel
    text: str
    pages: list[OcrPageModel]
    timings_ms: dict[str, float]


class BatchItem(BaseModel):
    filename: str | None
    status: int
    result: OcrResponse | None = None
    error: ErrorBody | None = None


class BatchResponse(BaseModel):
    results: list[BatchItem]


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
