"""POST /extraction: OCR the document, then pull named fields out of it (rules, or an LLM with fallback)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile

from app.api.deps import PrincipalDep, RequestIdDep, ServiceDep, SettingsDep, limits_from, resolve_lang
from app.api.routes.ocr import DOC_ERRORS, LangForm, MinConfForm, OrientForm, PagesForm
from app.api.uploads import engine_info, run_document_request
from app.core.errors import error_responses
from app.pipelines.extraction import extract, resolve_fields
from app.pipelines.ocr import OcrOptions, ocr_bytes

router = APIRouter(tags=["extraction"])


@router.post(
    "/extraction",
    summary="Extract named fields (invoice, receipt, business registration, or your own) from a document",
    responses={
        200: {"description": "Fields with value, normalized value, confidence, page and bbox"},
        **error_responses(*DOC_ERRORS),
    },
)
async def extraction(
    request: Request,
    _: PrincipalDep,
    service: ServiceDep,
    settings: SettingsDep,
    request_id: RequestIdDep,
    file: Annotated[UploadFile, File(description="PNG, JPEG, TIFF, BMP, WebP or PDF")],
    fields: Annotated[
        str | None,
        Form(description="Comma-separated names, a JSON array of names, or a JSON object {name: description}"),
    ] = None,
    template: Annotated[
        str | None, Form(description="Built-in or user template: invoice, receipt, business_registration")
    ] = None,
    lang: LangForm = None,
    pages: PagesForm = None,
    min_confidence: MinConfForm = 0.5,
    detect_orientation: OrientForm = True,
) -> dict[str, Any]:
    opts = OcrOptions(resolve_lang(lang, settings), min_confidence, detect_orientation)
    # parameter errors (bad JSON, unknown template, neither/both given) come before any OCR work
    resolve_fields(fields=fields, template=template, settings=settings)

    async def work(data: bytes, deadline: float) -> dict[str, Any]:
        info = engine_info(service, opts.lang)
        doc = await ocr_bytes(
            data, opts, service, limits=limits_from(settings), pages=pages, engine_info=info, deadline=deadline
        )
        body = await asyncio.to_thread(extract, doc, fields=fields, template=template, settings=settings)
        return {"request_id": request_id, "lang": opts.lang, **body, "timings_ms": dict(doc.timings_ms)}

    return await run_document_request(request, service, settings, file, work)
