"""POST /structure: thin: parse the form, call the structure pipeline, shape the response."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from fastapi import APIRouter

from app.core.errors import AppError, ErrorCode, error_responses
from app.documents import limits_from_settings
from app.documents.stream import PixelBudget
from app.features.ocr.page_images import PageImages
from app.features.ocr.router import DOC_ERRORS
from app.features.ocr.service import DocumentCallDep
from app.features.structure.pipeline import structure_bytes
from app.features.structure.schemas import StructureResponse
from app.features.structure.types import StructureResult
from app.http.deps import DocumentFile, PageImagesForm, PagesForm
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
    response_model_exclude_unset=True,  # `image` and `page_images_omitted` only when asked for
    summary="Layout, tables and Markdown of an image or PDF",
    description=(
        "Typed blocks (title, text, table, figure, list, header, footer, formula) per page in reading "
        "order, tables as cells and HTML, and Markdown per page and for the whole document. PDF pages "
        "with a text layer use it (`source: text_layer`)."
    ),
    responses=error_responses(*DOC_ERRORS),
)
async def structure(
    file: DocumentFile, call: DocumentCallDep, pages: PagesForm = None, page_images: PageImagesForm = False
) -> dict[str, Any]:
    service, settings, opts = call.service, call.settings, call.opts
    check_available(service)
    images = PageImages.from_settings(settings) if page_images else None

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
            page_images=images,
        )

    result = await call.run(file, work)
    if not result.document.engine:  # engines were still loading when the request came in
        result.document.engine = service.describe(opts.lang, stages=STAGES)
    return result.to_dict(call.request_id)
