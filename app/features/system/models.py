"""GET /models: the engine profiles this deployment serves, with their versions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from app.core.errors import ErrorCode, error_responses
from app.features.system.schemas import ModelsResponse
from app.http.deps import PrincipalDep, get_service
from app.serving.service import Service

router = APIRouter(tags=["models"])


@router.get(
    "/models",
    response_model=ModelsResponse,
    summary="The engine profiles (`profile` on /ocr, /structure, /extraction): versions, models, languages",
    responses=error_responses(ErrorCode.UNAUTHENTICATED, ErrorCode.INVALID_TOKEN, ErrorCode.TOKEN_EXPIRED),
)
async def list_models(_: PrincipalDep, service: Service = Depends(get_service)) -> dict[str, Any]:
    return {"profiles": service.profiles.listing(), "memory": service.profiles.memory.snapshot()}
