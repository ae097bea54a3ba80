"""POST /extraction: OCR the document, then pull named fields out of it (rules, or an LLM with fallback)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Response

from app.core import executors
from app.core.errors import error_responses
from app.core.executors import Work
from app.features.extraction import extract, resolve_fields
from app.features.extraction.labels import label_language
from app.features.extraction.schemas import ExtractionResponse
from app.features.ocr.router import DOC_ERRORS
from app.features.ocr.service import DocumentCallDep
from app.http.deps import DocumentFile, PagesForm

router = APIRouter(tags=["extraction"])


@router.post(
    "/extraction",
    summary="Extract named fields (invoice, receipt, business registration, or your own) from a document",
    response_model=ExtractionResponse,
    # keys the body leaves out stay out (`fallback` appears only when the LLM was not used)
    response_model_exclude_unset=True,
    responses=error_responses(*DOC_ERRORS),
)
async def extraction(
    file: DocumentFile,
    call: DocumentCallDep,
    response: Response,
    fields: Annotated[
        str | None,
        Form(description="Comma-separated names, a JSON array of names, or a JSON object {name: description}"),
    ] = None,
    template: Annotated[
        str | None,
        Form(
            description="Built-in or user template: invoice, receipt, business_registration, or auto (the built-in "
            "one the document looks like; the answer's `template` says which)"
        ),
    ] = None,
    pages: PagesForm = None,
) -> dict[str, Any]:
    # parameter errors (bad JSON, unknown template, neither/both given) come before any OCR work
    settings = call.settings
    resolve_fields(fields=fields, template=template, settings=settings)
    # the fields' labels: in the language Accept-Language prefers, else Korean for a Korean document
    lang = label_language(call.request.headers.get("accept-language"), call.opts.lang)
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language"

    async def work(data: bytes, deadline: float) -> dict[str, Any]:
        doc = await call.ocr(data, deadline, pages)
        body = await executors.run(
            Work.CPU, extract, doc, fields=fields, template=template, settings=settings, label_lang=lang
        )
        return {"request_id": call.request_id, "lang": call.opts.lang, **body, "timings_ms": dict(doc.timings_ms)}

    return await call.run(file, work)
