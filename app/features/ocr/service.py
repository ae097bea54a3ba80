"""The OCR feature's request side, shared by /ocr, /ocr/batch, /structure and /extraction: the OCR form
fields as pipeline options, and the OCR of an uploaded document under the service's limits."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.core.config import Settings
from app.documents.limits import limits_from_settings
from app.documents.stream import PixelBudget
from app.features.ocr.pipeline import OcrOptions, ocr_bytes
from app.features.ocr.types import DocumentResult
from app.http.deps import LangForm, MinConfForm, OrientForm, SettingsDep, resolve_lang
from app.serving.service import Service


def ocr_options(
    settings: SettingsDep,
    lang: LangForm = None,
    min_confidence: MinConfForm = 0.5,
    detect_orientation: OrientForm = True,
) -> OcrOptions:
    """The OCR form fields as pipeline options; an unsupported language is a 422 naming the supported ones."""
    return OcrOptions(resolve_lang(lang, settings), min_confidence, detect_orientation)


OcrOptionsDep = Annotated[OcrOptions, Depends(ocr_options)]


async def ocr_upload(
    data: bytes,
    *,
    service: Service,
    settings: Settings,
    opts: OcrOptions,
    pages: str | None,
    deadline: float,
    budget: PixelBudget | None = None,
) -> DocumentResult:
    """OCR an uploaded document under the service's limits (what /ocr, /ocr/batch and /extraction read);
    ``budget``: the request's pixel budget when it reads several documents (/ocr/batch), else its own."""
    info = service.describe(opts.lang)
    return await ocr_bytes(
        data,
        opts,
        service,
        limits=limits_from_settings(settings),
        budget=budget or PixelBudget.for_request(settings),
        pages=pages,
        engine_info=info,
        deadline=deadline,
    )
