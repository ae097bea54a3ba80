"""One engine profile's pools: a det and a rec pool per device, each a queue with worker threads that own
their engines (app/serving/worker.py); tasks go to the least loaded pool of their stage."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

from app.core.config import Settings
from app.observability.gpu import resolve_devices
from app.serving.tasks import default_handlers
from app.serving.worker import EngineWorkers

# (settings of one device, part) → a function each worker thread calls once to build its own engines
PoolFactory = Callable[[Settings, str], Callable[[], Any]]


class EnginePools:
    def __init__(self, settings: Settings, factory: PoolFactory, profile: str = "default") -> None:
        self.settings = settings
        self.profile = profile
        self.devices = resolve_devices(settings.ocr_device)
        self.pools: dict[str, EngineWorkers] = {}
        self.groups: dict[str, list[str]] = {"det": [], "rec": []}
        self.routes = {"detect": "det", "recognize": "rec", "call": "det"}
        self._turn = 0
        self.started = False
        self.last_used = time.monotonic()
        self.in_use = 0  # requests reading with these engines now (a profile in use is never unloaded)
        for device in self.devices:
            on = settings if device == settings.ocr_device else settings.model_copy(update={"ocr_device": device})
            suffix = "" if len(self.devices) == 1 else f"@{device}"
            prefix = "" if profile == "default" else f"{profile}:"
            handlers = default_handlers()
            for group, kinds, workers, batch in (
                ("det", ("detect", "call"), on.det_pool_workers, on.det_batch),
                # rec batches count text lines, not pages
                ("rec", ("recognize", "call"), on.rec_pool_workers, on.max_batch_size * 4),
            ):
                name = prefix + group + suffix
                self.pools[name] = EngineWorkers(
                    factory(on, group),
                    {k: handlers[k] for k in kinds},
                    workers=workers,
                    max_batch_size=batch,
                    max_batch_wait_ms=on.max_batch_wait_ms,
                    name=name,
                    profile=profile,
                )
                self.groups[group].append(name)

    def add_handler(self, kind: str, handler: Any, pool: str = "det") -> None:
        for name in self.groups.get(pool, [pool]):
            self.pools[name].add_handler(kind, handler)
        self.routes[kind] = pool

    def pick(self, group: str) -> EngineWorkers:
        """The least loaded pool of a group (its queue depth; ties taken in turn): with several devices
        every device gets work, and a slow or busy one gets less."""
        names = self.groups.get(group)
        if not names:
            return self.pools[group]
        if len(names) == 1:
            return self.pools[names[0]]
        self._turn += 1
        order = names[self._turn % len(names) :] + names[: self._turn % len(names)]
        return self.pools[min(order, key=lambda n: self.pools[n].depth())]

    # ---- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        if not self.started:
            self.started = True
            for pool in self.pools.values():
                pool.start()

    async def wait_loaded(self) -> None:
        """Until every worker has built its engines; raises the first load error."""
        for pool in self.pools.values():
            await asyncio.to_thread(pool.wait_loaded)

    @property
    def loaded(self) -> bool:
        return all(pool.loaded for pool in self.pools.values())

    async def stop(self) -> None:
        for pool in self.pools.values():
            await asyncio.to_thread(pool.stop)

    def busy(self) -> bool:
        """Whether any of these pools has work waiting."""
        return any(pool.depth() > 0 for pool in self.pools.values())

    # ---- work --------------------------------------------------------------------------------------
    async def submit(self, kind: str, payload: Any, deadline: float | None = None, pool: str | None = None) -> Any:
        target = self.pools[pool] if pool in self.pools else self.pick(pool or self.routes[kind])
        if not target.loaded:
            await asyncio.to_thread(target.wait_loaded)
        self.last_used = time.monotonic()
        return await target.submit(kind, payload, deadline)

    def engines(self, pool: str = "rec") -> Any:
        """An engine set for read-only facts (describe/versions). Never for inference."""
        workers = self.pools[self.groups[pool][0]] if self.groups.get(pool) else self.pools[pool]
        return workers.engines[0] if workers.engines else None

    def describe(self, lang: str, stages: Sequence[str] = ()) -> dict[str, Any]:
        engines = self.engines()
        if engines is None:
            return {}
        info: dict[str, Any] = engines.describe(lang)
        if not stages:
            return info
        models = dict(info.get("models", {}))
        owner = self.engines("det") or engines
        for stage in stages:
            eng = getattr(owner, stage, None)
            if eng is not None and getattr(eng, "info", None) is not None:
                models.update(eng.info.models)
        return {**info, "models": models}
