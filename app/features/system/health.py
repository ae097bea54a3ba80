"""Open health endpoints for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.features.extraction.llm.server import LlmServerHealth
from app.features.system.schemas import HealthResponse, LiveResponse
from app.serving.service import Service
from app.serving.versions import version_info

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=HealthResponse,
    summary="Readiness: 200 when work is accepted (`ok`, or `degraded` with the model server or the extraction LLM "
    "server down), 503 while loading, draining or failed",
    responses={503: {"model": HealthResponse, "description": "Loading, draining or failed to load"}},
)
async def health(request: Request) -> JSONResponse:
    service: Service = request.app.state.service
    remote = service.remote_status()
    status = service.status
    if status == "ok" and remote is not None and remote.get("status") != "ok":
        # split mode, model server unreachable: still 200 (jobs are accepted and wait), but say so
        status = "degraded"
    llm: LlmServerHealth | None = request.app.state.llm_server
    llm_status = llm.snapshot() if llm is not None else None
    if status == "ok" and llm_status is not None and llm_status["status"] == "down":
        # the extraction LLM server unreachable: everything is served, extraction by rules; say so
        status = "degraded"
    body = HealthResponse(
        status=status,  # type: ignore[arg-type]
        models_loaded=service.models_loaded,
        version=version_info(service),
        queue=service.admission.snapshot(),
        model_server=remote,
        llm_server=llm_status,
        error=service.error,
    )
    return JSONResponse(status_code=200 if service.ready else 503, content=body.model_dump(exclude_none=True))


@router.get("/health/live", response_model=LiveResponse, summary="Liveness: 200 while the process runs")
async def live() -> LiveResponse:
    return LiveResponse()
