"""POST /ocr and POST /ocr/batch: thin: parse the form, call the pipeline, shape the response."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile

from app.api.deps import PrincipalDep, RequestIdDep, ServiceDep, SettingsDep, limits_from, resolve_lang
from app.api.schemas import BatchResponse, OcrResponse
from app.api.uploads import (
    check_content_length,
    deadline_in,
    engine_info,
    guarded,
    read_upload,
    run_document_request,
)
from app.core.config import Settings
from app.core.errors import AppError, ErrorCode, error_responses
from app.pipelines.ocr import OcrOptions, ocr_bytes
from app.pipelines.types import DocumentResult
from app.runtime.service import Service

router = APIRouter(tags=["ocr"])

DOC_ERRORS = (
    ErrorCode.MISSING_FILE,
    ErrorCode.EMPTY_FILE,
    ErrorCode.CORRUPT_DOCUMENT,
    ErrorCode.ENCRYPTED_DOCUMENT,
    ErrorCode.UNAUTHENTICATED,
    ErrorCode.INVALID_TOKEN,
    ErrorCode.TOKEN_EXPIRED,
    ErrorCode.FILE_TOO_LARGE,
    ErrorCode.TOO_MANY_PIXELS,
    ErrorCode.TOO_MANY_PAGES,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    ErrorCode.INVALID_PARAMETER,
    ErrorCode.UNSUPPORTED_LANGUAGE,
    ErrorCode.QUEUE_FULL,
    ErrorCode.NOT_READY,
    ErrorCode.TIMEOUT,
)

LangForm = Annotated[
    str | None,
    Form(description="PaddleOCR language code (korean, en, ch, chinese_cht, japan, latin); default OCR_DEFAULT_LANG"),
]
PagesForm = Annotated[
    str | None, Form(description="Pages to read, e.g. `1-3,5` (1-based); default all, at most MAX_PAGES")
]
MinConfForm = Annotated[float, Form(ge=0.0, le=1.0, description="Lines with a lower confidence are dropped")]
OrientForm = Annotated[bool, Form(description="Detect and correct 90/180/270 page rotation")]


def shape(result: DocumentResult, request_id: str | None) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "lang": result.lang,
        "engine": result.engine,
        "text": result.text,
        "pages": [p.to_dict() for p in result.pages],
        "timings_ms": result.timings_ms,
    }


async def _ocr_one(
    data: bytes, *, service: Service, settings: Settings, opts: OcrOptions, pages: str | None, deadline: float
) -> DocumentResult:
    info = engine_info(service, opts.lang)
    return await ocr_bytes(
        data, opts, service, limits=limits_from(settings), pages=pages, engine_info=info, deadline=deadline
    )


@router.post(
    "/ocr",
    response_model=OcrResponse,
    summary="Read the text of an image or PDF",
    responses=error_responses(*DOC_ERRORS),
)
async def ocr(
    request: Request,
    _: PrincipalDep,
    service: ServiceDep,
    settings: SettingsDep,
    request_id: RequestIdDep,
    file: Annotated[UploadFile, File(description="PNG, JPEG, TIFF, BMP, WebP or PDF")],
    lang: LangForm = None,
    pages: PagesForm = None,
    min_confidence: MinConfForm = 0.5,
    detect_orientation: OrientForm = True,
) -> dict[str, Any]:
    opts = OcrOptions(resolve_lang(lang, settings), min_confidence, detect_orientation)

    def work(data: bytes, deadline: float) -> Awaitable[DocumentResult]:
        return _ocr_one(data, service=service, settings=settings, opts=opts, pages=pages, deadline=deadline)

    result = await run_document_request(request, service, settings, file, work)
    return shape(result, request_id)


@router.post(
    "/ocr/batch",
    response_model=BatchResponse,
    summary="Read several files in one request; each gets its own status",
    responses=error_responses(*DOC_ERRORS, ErrorCode.TOO_MANY_FILES),
)
async def ocr_batch(
    request: Request,
    _: PrincipalDep,
    service: ServiceDep,
    settings: SettingsDep,
    request_id: RequestIdDep,
    files: Annotated[list[UploadFile], File(description="Repeated `files` fields, up to MAX_BATCH_FILES")],
    lang: LangForm = None,
    pages: PagesForm = None,
    min_confidence: MinConfForm = 0.5,
    detect_orientation: OrientForm = True,
) -> dict[str, Any]:
    if len(files) > settings.max_batch_files:
        raise AppError(
            ErrorCode.TOO_MANY_FILES, f"{len(files)} files sent; at most {settings.max_batch_files} (MAX_BATCH_FILES)."
        )
    check_content_length(request, settings.max_upload_bytes, files=len(files))
    opts = OcrOptions(resolve_lang(lang, settings), min_confidence, detect_orientation)

    async def one(upload: UploadFile, deadline: float) -> dict[str, Any]:
        try:
            data = await read_upload(upload, settings.max_upload_bytes)
            res = await _ocr_one(data, service=service, settings=settings, opts=opts, pages=pages, deadline=deadline)
        except AppError as err:
            if err.code in (ErrorCode.TIMEOUT, ErrorCode.QUEUE_FULL):
                raise
            return {"filename": upload.filename, "status": err.status, "error": err.body(request_id)["error"]}
        return {"filename": upload.filename, "status": 200, "result": shape(res, request_id)}

    async with service.admission.slot():
        deadline = deadline_in(settings.request_timeout_s)

        async def all_files() -> list[dict[str, Any]]:
            return list(await asyncio.gather(*(one(f, deadline) for f in files)))

        results = await guarded(request, all_files(), settings.request_timeout_s)
    return {"results": results}
