"""The service's runtime state: engines in worker threads, admission, readiness and draining."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from app.core.config import Settings
from app.core.errors import AppError, ErrorCode
from app.observability import metrics
from app.runtime.tasks import default_handlers
from app.runtime.worker import Admission, EngineWorkers

log = logging.getLogger(__name__)

EngineFactory = Callable[[], Any]


def default_engine_factory(settings: Settings) -> EngineFactory:
    def build() -> Any:
        from app.engines.registry import build_engines

        return build_engines(settings)

    return build


class Service:
    """Owns the workers; routes reach engines only through `submit` and `slot`."""

    def __init__(self, settings: Settings, engine_factory: EngineFactory | None = None) -> None:
        self.settings = settings
        self.status = "loading"
        self.error: str | None = None
        self.workers = EngineWorkers(
            engine_factory or default_engine_factory(settings),
            default_handlers(),
            workers=settings.ocr_workers,
            max_batch_size=settings.max_batch_size,
            max_batch_wait_ms=settings.max_batch_wait_ms,
        )
        self.admission = Admission(settings.max_concurrent_requests, settings.queue_max_size)
        self._load_task: asyncio.Task[None] | None = None
        self.loaded_at: float | None = None

    # ---- lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> None:
        self.workers.start()
        if self.settings.preload_models:
            self._load_task = asyncio.create_task(self._wait_loaded())
        else:
            self.status = "ok"  # engines finish loading in the background; first requests wait for them

    async def _wait_loaded(self) -> None:
        started = time.perf_counter()
        try:
            await asyncio.to_thread(self.workers.wait_loaded)
        except Exception as exc:
            self.status = "failed"
            self.error = f"{type(exc).__name__}: {exc}"
            log.error("engines failed to load: %s", self.error)
            return
        self.loaded_at = time.time()
        if self.status == "loading":
            self.status = "ok"
        metrics.MODELS_LOADED.set(1)
        log.info("engines loaded", extra={"seconds": round(time.perf_counter() - started, 2)})

    @property
    def ready(self) -> bool:
        return self.status == "ok"

    @property
    def models_loaded(self) -> bool:
        return self.workers.loaded

    async def drain(self, grace_s: float) -> bool:
        """Stop admitting work and wait for what is in flight; True when everything finished."""
        self.status = "draining"
        self.admission.draining = True
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline:
            if self.admission.active == 0 and self.admission.waiting == 0:
                return True
            await asyncio.sleep(0.05)
        return False

    async def stop(self) -> None:
        if self._load_task:
            self._load_task.cancel()
        await asyncio.to_thread(self.workers.stop)
        metrics.MODELS_LOADED.set(0)

    # ---- work --------------------------------------------------------------------------------------
    def check_ready(self) -> None:
        if self.status == "loading" and self.settings.preload_models:
            raise AppError(ErrorCode.NOT_READY, "Models are still loading.", headers={"Retry-After": "10"})
        if self.status == "failed":
            raise AppError(ErrorCode.NOT_READY, f"Engines failed to load: {self.error}")
        if self.status == "draining":
            raise AppError(ErrorCode.NOT_READY, "The service is shutting down.", headers={"Retry-After": "5"})

    async def submit(self, kind: str, payload: Any, deadline: float | None = None) -> Any:
        if not self.workers.loaded:
            await asyncio.to_thread(self.workers.wait_loaded)
        return await self.workers.submit(kind, payload, deadline)

    def engines(self) -> Any:
        """The first worker's engine set, for read-only facts (describe/versions). Never for inference."""
        if not self.workers.engines:
            return None
        return self.workers.engines[0]
