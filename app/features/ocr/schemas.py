"""Response models of /ocr and /ocr/batch: they document the contract in OpenAPI (/docs) and shape what the
routes return."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.core.errors import ErrorBody


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
    lang: str | None = Field(
        None,
        description="The language the page was read as: the request's `lang`, or with `lang=auto` the one "
        "detected on this page (`korean`, `en`, `ch`, `japan`)",
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
