"""Response models of /ocr and /ocr/batch: they document the contract in OpenAPI (/docs) and shape what the
routes return."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.core.errors import ErrorBody


class OcrWordModel(BaseModel):
    text: str
    bbox: list[float] = Field(description="[x0, y0, x1, y1]: the word's share of its line, on the ink")


class OcrLineModel(BaseModel):
    text: str
    confidence: float
    box: list[list[float]] = Field(description="4 points clockwise from top-left, page pixels")
    bbox: list[float] = Field(description="[x0, y0, x1, y1]")
    words: list[OcrWordModel] | None = Field(None, description="With words=true: the line's words and their boxes")
    lang: str | None = Field(
        None,
        description="With lang=auto: the language this line was read as (a line whose script differs from its "
        "page's, such as a Korean name on an English invoice, is read by the reader of its own script)",
    )


class OcrUnreadModel(OcrLineModel):
    reason: Literal["no_text", "low_confidence"] = Field(
        description="`no_text`: ink was detected but nothing could be read; `low_confidence`: the reading "
        "(in `text`) is below the request's `min_confidence`"
    )


class PageImageModel(BaseModel):
    media_type: Literal["image/jpeg"] = "image/jpeg"
    width: int = Field(description="Image pixels")
    height: int = Field(description="Image pixels")
    scale: float = Field(
        description="Image pixels per page pixel: a box's coordinates times `scale` are image pixels (1 when "
        "the page is at most OCR_PAGE_IMAGE_MAX_PX on its longest side)"
    )
    data: str = Field(description="The JPEG, base64")


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
    image: PageImageModel | None = Field(
        None,
        description="Only with `page_images=true`: the page as the engines read it (after the corrected "
        "`rotation`), the boxes' pixel space scaled by `image.scale`; null past OCR_PAGE_IMAGE_MAX_PAGES pages",
    )


class EngineModel(BaseModel):
    name: str
    backend: str
    device: str
    models: dict[str, str]
    profile: str | None = Field(None, description="The engine profile that read it (GET /models)")
    profile_version: str | None = Field(
        None, description="That profile's version: a hash of its engine settings and model file checksums"
    )


class OcrResponse(BaseModel):
    request_id: str | None
    lang: str
    engine: EngineModel
    text: str
    pages: list[OcrPageModel]
    page_images_omitted: int | None = Field(
        None, description="Only with `page_images=true`: how many pages have `image: null`"
    )
    timings_ms: dict[str, float]


class BatchItem(BaseModel):
    filename: str | None
    status: int
    result: OcrResponse | None = None
    error: ErrorBody | None = None


class BatchResponse(BaseModel):
    results: list[BatchItem]
