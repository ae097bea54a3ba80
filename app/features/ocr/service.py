"""The OCR feature's request side, shared by /ocr, /ocr/batch, /structure and /extraction: the OCR form
fields as pipeline options, one document request as the routes receive it (`DocumentCallDep`), and the
OCR of an uploaded document under the service's limits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Request, UploadFile

from app.core.config import Settings
from app.documents.limits import limits_from_settings
from app.documents.stream import PixelBudget
from app.features.ocr.pipeline import OcrOptions, ocr_bytes
from app.features.ocr.types import DocumentResult
from app.http.deps import (
    LangForm,
    MinConfForm,
    OrientForm,
    PrincipalDep,
    RequestIdDep,
    ServiceDep,
    SettingsDep,
    resolve_lang,
)
from app.http.uploads import run_document_request
from app.serving.service import Service

T = TypeVar("T")


def ocr_options(
    settings: SettingsDep,
    lang: LangForm = None,
    min_confidence: MinConfForm = 0.5,
    detect_orientation: OrientForm = True,
) -> OcrOptions:
    """The OCR form fields as pipeline options; an unsupported language is a 422 naming the supported ones."""
    return OcrOptions(resolve_lang(lang, settings), min_confidence, detect_orientation)


OcrOptionsDep = Annotated[OcrOptions, Depends(ocr_options)]


@dataclass(slots=True)
class DocumentCall:
    """One single-document request (/ocr, /structure, /extraction): authenticated, the service ready,
    the OCR options parsed. The upload stays a parameter of the route itself, so that `file` comes first
    in the form as the OpenAPI schema has always listed it."""

    request: Request
    service: Service
    settings: Settings
    request_id: str | None
    opts: OcrOptions

    async def run(self, file: UploadFile, work: Callable[[bytes, float], Awaitable[T]]) -> T:
        """Read the upload, take an admission slot, run `work(data, deadline)` under the request deadline."""
        return await run_document_request(self.request, self.service, self.settings, file, work)

    async def ocr(self, data: bytes, deadline: float, pages: str | None) -> DocumentResult:
        return await ocr_upload(
            data, service=self.service, settings=self.settings, opts=self.opts, pages=pages, deadline=deadline
        )


def document_call(
    request: Request,
    _: PrincipalDep,
    service: ServiceDep,
    settings: SettingsDep,
    request_id: RequestIdDep,
    opts: OcrOptionsDep,
) -> DocumentCall:
    return DocumentCall(request, service, settings, request_id, opts)


DocumentCallDep = Annotated[DocumentCall, Depends(document_call)]


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
