"""The process's memory against a ceiling (OCR_MEMORY_CEILING_MB): what engine profiles hold, measured, and
batches shed before the process runs out.

What is counted: on a GPU (OCR_DEVICE gpu…) the memory this process holds on its devices, from NVML; on the
CPU, or where NVML cannot say, the process's resident set (RSS). Nothing here allocates or waits.

- **Accounting**: a profile's memory is measured when it loads (the count before its engines were built
  and after they all loaded; requests running meanwhile blur it, so it is a figure to read, not a limit),
  shown by GET /models (`memory_measured_mb`, and per worker) and in /metrics.
- **Ceiling**: a profile whose estimate does not fit under the ceiling beside what the process holds now is
  not loaded (503 `profile_over_memory_budget`).
- **Shedding**: a watcher looks every MEMORY_CHECK_S; above SHED_AT of the ceiling every engine pool's
  batch limit is halved (down to one item), below RESTORE_AT it doubles back to the configured size. Smaller
  batches hold smaller activations: the memory an engine needs in a batch falls before an out-of-memory.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Iterable
from typing import Any

import psutil

from app.core.background import cancel_and_wait
from app.core.config import Settings
from app.observability import metrics
from app.observability.gpu import process_gpu_memory, resolve_devices

log = logging.getLogger(__name__)

MB = 1024 * 1024
SHED_AT = 0.90
RESTORE_AT = 0.75
MEMORY_CHECK_S = 2.0


class MemoryGuard:
    def __init__(self, settings: Settings) -> None:
        self.ceiling = int(settings.ocr_memory_ceiling_mb * MB)
        devices = resolve_devices(settings.ocr_device)
        self._gpus = [int(d.split(":", 1)[1]) if ":" in d else 0 for d in devices if d.startswith("gpu")]
        self._pid = os.getpid()
        self._process = psutil.Process(self._pid)
        self.shed_level = 0  # batches are divided by 2 ** shed_level
        self._task: asyncio.Task[None] | None = None
        if self.ceiling:
            metrics.MEMORY_CEILING.set(self.ceiling)

    def count(self) -> tuple[str, int]:
        """(what is counted, bytes): ``gpu`` (NVML, this process on its devices) or ``rss``, in one look."""
        if self._gpus:
            held = process_gpu_memory(self._gpus, self._pid)
            if held is not None:
                return "gpu", held
        return "rss", int(self._process.memory_info().rss)

    @property
    def kind(self) -> str:
        return self.count()[0]

    def used_bytes(self) -> int:
        return self.count()[1]

    def fits(self, more_bytes: int) -> bool:
        return not self.ceiling or self.used_bytes() + more_bytes <= self.ceiling

    def used_fraction(self) -> float | None:
        return self.used_bytes() / self.ceiling if self.ceiling else None

    def snapshot(self) -> dict[str, Any]:
        kind, used = self.count()
        out: dict[str, Any] = {"kind": kind, "used_mb": round(used / MB, 1), "shed_level": self.shed_level}
        if self.ceiling:
            out["ceiling_mb"] = round(self.ceiling / MB, 1)
            out["used_percent"] = round(100 * used / self.ceiling, 1)
        return out

    # ---- shedding ------------------------------------------------------------------------------------
    def check(self, pools: Iterable[Any]) -> None:
        """One look: shed or restore the batch limit of every pool (EngineWorkers) by the memory held now."""
        kind, used = self.count()
        metrics.MEMORY_USED.labels(kind).set(used)
        if not self.ceiling:
            return
        fraction = used / self.ceiling
        level = self.shed_level
        if fraction >= SHED_AT and level < 6:
            level += 1
        elif fraction < RESTORE_AT and level > 0:
            level -= 1
        if level != self.shed_level:
            (log.warning if level > self.shed_level else log.info)(
                "memory at %.0f%% of OCR_MEMORY_CEILING_MB: engine batches now 1/%d of their size",
                100 * fraction,
                2**level,
            )
            self.shed_level = level
        for pool in pools:
            base = getattr(pool, "base_batch_size", None)
            if base is None:
                continue
            pool.max_batch_size = max(1, base >> self.shed_level)
            metrics.BATCH_LIMIT.labels(pool.name).set(pool.max_batch_size)
        metrics.MEMORY_SHED_LEVEL.set(self.shed_level)

    async def _watch(self, pools: Callable[[], Iterable[Any]]) -> None:
        while True:
            try:
                self.check(pools())
            except Exception:  # the watcher must never stop serving
                log.exception("memory check failed")
            await asyncio.sleep(MEMORY_CHECK_S)

    def start(self, pools: Callable[[], Iterable[Any]]) -> None:
        if self.ceiling and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._watch(pools), name="memory-guard")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)
