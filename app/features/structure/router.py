"""POST /structure: thin: parse the form, call the structure pipeline, shape the response."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from fastapi import APIRouter

from app.core.errors import AppError, ErrorCode, error_responses
from app.documents import limits_from_settings
from app.documents.stream import PixelBudget
from app.features.ocr.router import DOC_ERRORS
from app.features.ocr.service import DocumentCallDep
from app.features.structure.pipeline import structure_bytes
from app.features.structure.schemas import StructureResponse
from app.features.structure.types import StructureResult
from app.http.deps import DocumentFile, PagesForm
from app.serving.service import Service

router = APIRouter(tags=["structure"])
STAGES = ("layout", "table")  # the models /structure adds to the OCR engine block


def check_available(service: Service) -> None:
    """422 where the layout/table engines are not there (split mode: the model server does OCR only)."""
    reason = service.unavailable("layout", "table")
    if reason is not None:
        raise AppError(ErrorCode.INVALID_PARAMETER, f"/structure is not available: {reason}.")


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
async def structure(file: DocumentFile, call: DocumentCallDep, pages: PagesForm = None) -> dict[str, Any]:
    service, settings, opts = call.service, call.settings, call.opts
    check_available(service)

    def work(data: bytes, deadline: float) -> Awaitable[StructureResult]:
        return structure_bytes(
            data,
            opts,
            service,
            limits=limits_from_settings(settings),
            budget=PixelBudget.for_request(settings),
            pages=pages,
            engine_info=service.describe(opts.lang, stages=STAGES),
            deadline=deadline,
        )

    result = await call.run(file, work)
    if not result.document.engine:  # engines were still loading when the request came in
        result.document.engine = service.describe(opts.lang, stages=STAGES)
    return result.to_dict(call.request_id)
