"""POST /ocr and POST /ocr/batch: thin: parse the form, call the pipeline, shape the response."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile

from app.core.errors import AppError, ErrorCode, error_responses
from app.documents.stream import PixelBudget
from app.features.ocr.schemas import BatchResponse, OcrResponse
from app.features.ocr.service import DocumentCallDep, OcrOptionsDep, ProfileForm, caller_of, ocr_upload
from app.http.deps import (
    DocumentFile,
    PageImagesForm,
    PagesForm,
    PrincipalDep,
    RequestIdDep,
    ServiceDep,
    SettingsDep,
    WordsForm,
)
from app.http.errors import language_of
from app.http.uploads import (
    UPLOAD_ERRORS,
    check_content_length,
    deadline_in,
    guarded,
    read_upload,
)

router = APIRouter(tags=["ocr"])

DOC_ERRORS = (*UPLOAD_ERRORS, ErrorCode.INVALID_TOKEN, ErrorCode.TOKEN_EXPIRED, ErrorCode.TIMEOUT)


@router.post(
    "/ocr",
    response_model=OcrResponse,
    response_model_exclude_unset=True,  # `image`, `page_images_omitted` and `words` only when asked for
    summary="Read the text of an image or PDF",
    responses=error_responses(*DOC_ERRORS),
)
async def ocr(
    file: DocumentFile,
    call: DocumentCallDep,
    pages: PagesForm = None,
    page_images: PageImagesForm = False,
    words: WordsForm = False,
) -> dict[str, Any]:
    result = await call.run(
        file, lambda data, deadline: call.ocr(data, deadline, pages, page_images=page_images, words=words)
    )
    return result.to_dict(call.request_id)


@router.post(
    "/ocr/batch",
    response_model=BatchResponse,
    summary="Read several files in one request; each gets its own status",
    responses=error_responses(*DOC_ERRORS, ErrorCode.TOO_MANY_FILES),
)
async def ocr_batch(
    request: Request,
    principal: PrincipalDep,
    service: ServiceDep,
    settings: SettingsDep,
    request_id: RequestIdDep,
    files: Annotated[list[UploadFile], File(description="Repeated `files` fields, up to MAX_BATCH_FILES")],
    opts: OcrOptionsDep,
    pages: PagesForm = None,
    profile: ProfileForm = None,
) -> dict[str, Any]:
    if len(files) > settings.max_batch_files:
        raise AppError(
            ErrorCode.TOO_MANY_FILES, f"{len(files)} files sent; at most {settings.max_batch_files} (MAX_BATCH_FILES)."
        )
    check_content_length(request, settings.max_upload_bytes, files=len(files))
    chosen = service.profiles.choose(profile, caller_of(principal))  # the engine profile (422 when unknown)

    budget = PixelBudget.for_request(settings)  # the files share one request's pixels in flight

    async def one(upload: UploadFile, deadline: float) -> dict[str, Any]:
        try:
            data = await read_upload(upload, settings.max_upload_bytes)
            res = await ocr_upload(
                data, service=service, settings=settings, opts=opts, pages=pages, deadline=deadline, budget=budget
            )
        except AppError as err:
            if err.code in (ErrorCode.TIMEOUT, ErrorCode.QUEUE_FULL):
                raise
            return {
                "filename": upload.filename,
                "status": err.status,
                "error": err.body(request_id, language_of(request))["error"],
            }
        return {"filename": upload.filename, "status": 200, "result": res.to_dict(request_id)}

    async with service.profiles.use(chosen.name), service.admission.slot():
        deadline = deadline_in(settings.request_timeout_s)

        async def all_files() -> list[dict[str, Any]]:
            return list(await asyncio.gather(*(one(f, deadline) for f in files)))

        results = await guarded(request, all_files(), settings.request_timeout_s)
    return {"results": results}
