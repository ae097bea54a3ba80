"""POST /structure: thin: parse the form, call the structure pipeline, shape the response."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from fastapi import APIRouter, Request

from app.core.errors import AppError, ErrorCode, error_responses
from app.documents import limits_from_settings
from app.features.ocr.router import DOC_ERRORS
from app.features.ocr.service import OcrOptionsDep
from app.features.structure.pipeline import structure_bytes
from app.features.structure.schemas import StructureResponse
from app.features.structure.types import StructureResult
from app.http.deps import (
    DocumentFile,
    PagesForm,
    PrincipalDep,
    RequestIdDep,
    ServiceDep,
    SettingsDep,
)
from app.http.uploads import run_document_request
from app.serving.service import Service

router = APIRouter(tags=["structure"])


def check_available(service: Service) -> None:
    """422 where the layout/table engines are not there (split mode: the model server does OCR only)."""
    supports = getattr(service, "supports", None)
    if supports is None or all(supports(kind) for kind in ("layout", "table")):
        return
    where = (
        "this deployment's engines run on a model server (OCR_MODEL_SERVER_URL), which serves text "
        "detection and recognition only"
        if getattr(service, "remote", None) is not None
        else "the layout and table engines are not loaded in this service"
    )
    raise AppError(ErrorCode.INVALID_PARAMETER, f"/structure is not available: {where}.")


def engine_info(service: Service, lang: str) -> dict[str, Any]:
    """The OCR engine description plus the layout and table models."""
    engines = service.engines()
    if engines is None:
        return {}
    info: dict[str, Any] = engines.describe(lang)
    models = dict(info.get("models", {}))
    try:
        owner = service.engines("det") or engines  # layout/table live with detection
    except KeyError:
        owner = engines
    for attr in ("layout", "table"):
        eng = getattr(owner, attr, None)
        if eng is not None and getattr(eng, "info", None) is not None:
            models.update(eng.info.models)
    return {**info, "models": models}


def shape(result: StructureResult, request_id: str | None) -> dict[str, Any]:
    return result.to_dict(request_id)


@router.post(
    "/structure",
    response_model=StructureResponse,
    summary="Layout, tables and Markdown of an image or PDF",
    description=(
        "Typed blocks (title, text, table, figure, list, header, footer, formula) per page in reading "
        "order, tables as cells and HTML, and Markdown per page and for the whole document. PDF pages "
        "with a text layer use it (`source: text_layer`)."
    ),
    responses=error_responses(*DOC_ERRORS),
)
async def structure(
    request: Request,
    _: PrincipalDep,
    service: ServiceDep,
    settings: SettingsDep,
    request_id: RequestIdDep,
    file: DocumentFile,
    opts: OcrOptionsDep,
    pages: PagesForm = None,
) -> dict[str, Any]:
    check_available(service)

    def work(data: bytes, deadline: float) -> Awaitable[StructureResult]:
        info = engine_info(service, opts.lang)
        return structure_bytes(
            data, opts, service, limits=limits_from_settings(settings), pages=pages, engine_info=info, deadline=deadline
        )

    result = await run_document_request(request, service, settings, file, work)
    if not result.document.engine:  # engines were still loading when the request came in
        result.document.engine = engine_info(service, opts.lang)
    return shape(result, request_id)
