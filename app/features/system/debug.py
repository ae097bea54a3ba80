"""Diagnostics for operators: is the configured device really usable?"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Depends

from app.core.errors import AppError, ErrorCode, error_responses
from app.features.system.schemas import DebugPaddleResponse
from app.http.deps import PrincipalDep, get_service
from app.observability.gpu import gpu_summary
from app.serving.service import Service
from app.serving.versions import package_versions, version_info

router = APIRouter(tags=["diagnostics"])


@router.get(
    "/debug/paddle",
    response_model=DebugPaddleResponse,
    summary="Run a small inference on the configured device and report backend, CUDA and GPU facts",
    responses=error_responses(ErrorCode.UNAUTHENTICATED, ErrorCode.NOT_READY, ErrorCode.TIMEOUT),
)
async def debug_paddle(_: PrincipalDep, service: Service = Depends(get_service)) -> DebugPaddleResponse:
    service.check_ready()
    settings = service.settings
    versions = package_versions(settings)
    started = time.perf_counter()
    error = None
    try:
        ok = bool(await asyncio.wait_for(service.run_check(), timeout=settings.request_timeout_s))
    except TimeoutError:
        raise AppError(ErrorCode.TIMEOUT, "run_check did not finish in time") from None
    except Exception as exc:  # the check itself failing is the answer, not a 500
        ok = False
        error = f"{type(exc).__name__}: {exc}"
    took = (time.perf_counter() - started) * 1000
    engines = service.engines()
    described: dict[str, Any] = {}
    if engines is not None:
        described = {"default": engines.describe(settings.ocr_default_lang)}
        extra = getattr(engines, "versions", None)
        if callable(extra):
            versions = {**versions, **extra()}

    cuda = version_info(service).compiled_with_cuda or bool(versions.get("compiled_with_cuda"))
    return DebugPaddleResponse(
        run_check=ok,
        compiled_with_cuda=cuda,
        device=settings.ocr_device,
        gpu=gpu_summary(settings.ocr_device),  # type: ignore[arg-type]
        backend=settings.ocr_engine_backend,
        engines=described,
        versions=versions,
        run_check_ms=round(took, 1),
        error=error,
        runtime=service.runtime_info(),
    )
