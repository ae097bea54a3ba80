"""Shadow traffic (OCR_SHADOW): a sample of requests is read again on another profile after the answer was
sent, in the background, and compared with the answer.

A shadow read never holds an admission slot (it cannot make a caller wait or get 429), is dropped when a
request is waiting for a slot or the shadow profile's engine queues hold work (`dropped_busy`), when
OCR_SHADOW_MAX_IN_FLIGHT shadow reads run already (`dropped_limit`), or when its profile does not fit the
memory budget (`refused`); its failures are counted (`failed`) and logged, never seen by a caller.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from app.core.config import Settings
from app.core.errors import AppError, ErrorCode
from app.observability import metrics
from app.serving.profiles import ProfileRuntimes
from app.serving.worker import Admission

log = logging.getLogger(__name__)


class ShadowRunner:
    def __init__(self, settings: Settings, runtimes: ProfileRuntimes, admission: Admission) -> None:
        self.shares = dict(settings.ocr_shadow)
        self.max_in_flight = settings.ocr_shadow_max_in_flight
        self.timeout_s = settings.request_timeout_s
        self._runtimes = runtimes
        self._admission = admission
        self.in_flight = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._random = random.Random()  # noqa: S311 (sampling traffic, not security)

    def sample(self, served: str) -> list[str]:
        """The shadow profiles this request is read again on (each drawn on its own; never its own profile)."""
        return [name for name, pct in self.shares.items() if name != served and self._random.random() * 100 < pct]

    def start(self, profile: str, work: Callable[[], Awaitable[Any]], compare: Callable[[Any, float], None]) -> bool:
        """Run ``work`` (with ``profile``'s engines) in the background, then ``compare(result, seconds)``;
        False where it was dropped instead."""
        if self.in_flight >= self.max_in_flight:
            metrics.SHADOW_RUNS.labels(profile, "dropped_limit").inc()
            return False
        pools = self._runtimes.loaded.get(profile)
        if self._admission.waiting > 0 or self._admission.draining or (pools is not None and pools.busy()):
            metrics.SHADOW_RUNS.labels(profile, "dropped_busy").inc()
            return False
        self.in_flight += 1
        # a context of its own: the caller's request id and profile stay with the caller
        task = asyncio.get_running_loop().create_task(self._run(profile, work, compare), context=contextvars.Context())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _run(
        self, profile: str, work: Callable[[], Awaitable[Any]], compare: Callable[[Any, float], None]
    ) -> None:
        outcome = "failed"
        try:
            async with self._runtimes.use(profile):
                started = time.perf_counter()
                result = await asyncio.wait_for(work(), self.timeout_s)
                took = time.perf_counter() - started
            compare(result, took)
            outcome = "compared"
        except AppError as err:
            outcome = "refused" if err.code is ErrorCode.PROFILE_OVER_MEMORY_BUDGET else "failed"
            log.info("shadow read on %s: %s", profile, err.message)
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        except Exception:
            log.warning("shadow read on %s failed", profile, exc_info=True)
        finally:
            self.in_flight -= 1
            metrics.SHADOW_RUNS.labels(profile, outcome).inc()

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
