"""The service's runtime state: engines in worker threads, admission, readiness and draining."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from app.core import executors
from app.core.config import Settings
from app.core.errors import AppError, ErrorCode
from app.documents import pdf_workers
from app.engines.profiles import DEFAULT, Profile, load_profiles
from app.engines.registry import build_engines
from app.observability import metrics
from app.observability.gpu import resolve_devices
from app.serving.pools import EnginePools, PoolFactory
from app.serving.profiles import ACTIVE, ProfileRuntimes
from app.serving.remote import RemoteEngines
from app.serving.shadow import ShadowRunner
from app.serving.structure_tasks import structure_handlers
from app.serving.worker import Admission, EngineWorkers

log = logging.getLogger(__name__)

EngineFactory = Callable[[], Any]
# (profile, settings of one device, part) → the engines one worker thread owns (tests: fake engines per profile)
ProfileFactory = Callable[[Profile, Settings, str], Any]


def default_engine_factory(settings: Settings, part: str) -> EngineFactory:
    """Each worker thread calls this once to build the engine instances it alone will own."""

    def build() -> Any:

        return build_engines(settings, part=part)

    return build


class Service:
    """Owns the engine pools; routes reach engines only through `submit` and `slot`.

    One pool (queue + worker threads, each thread owning its own engine instances) per engine stage:
    `det` (orientation + detection, plus layout/table for /structure) and `rec` (text recognition).
    The stages run in parallel: while one page is being recognised the next one is being detected,
    which a single lock around the whole pipeline cannot do.

    Each engine profile (app/engines/profiles.py) has its own such pools (app/serving/pools.py);
    `default`'s load at start-up, the others on first use (app/serving/profiles.py). `submit` sends a task
    to the pools of the profile the running request reads with; all profiles share the one admission.
    """

    def __init__(
        self,
        settings: Settings,
        engine_factory: EngineFactory | None = None,
        rec_factory: EngineFactory | None = None,
        profile_factory: ProfileFactory | None = None,
    ) -> None:
        self.settings = settings
        self.status = "loading"
        self.error: str | None = None
        # one det and one rec pool per device (OCR_DEVICE=gpu:0,gpu:1 or gpu:all); one device: "det", "rec"
        self.devices = resolve_devices(settings.ocr_device)
        self._handlers: dict[str, tuple[Any, str]] = {}

        def factory_for(profile: Profile) -> PoolFactory:
            if profile_factory is not None:
                return lambda on, part: lambda: profile_factory(profile, on, part)

            def factory(on: Settings, part: str) -> EngineFactory:
                if part == "rec" and rec_factory is not None:
                    return rec_factory
                return engine_factory or default_engine_factory(on, part)

            return factory

        def build(profile: Profile) -> EnginePools:
            pools = EnginePools(profile.settings, factory_for(profile), profile.name)
            for kind, (handler, pool) in self._handlers.items():
                pools.add_handler(kind, handler, pool)
            return pools

        # `default` (these settings) and OCR_PROFILES_FILE's profiles; a bad file raises SettingsError
        self.profiles = ProfileRuntimes(settings, load_profiles(settings), build)
        self.pools: dict[str, EngineWorkers] = self.profiles.default.pools

        for kind, handler in structure_handlers().items():  # /structure: layout and tables, det pool
            self.add_handler(kind, handler, pool="det")
        # Split mode (OCR_MODEL_SERVER_URL): every task goes to the model server (app/serving/remote.py);
        # the local pools are never started, so no model is loaded in this process.
        self.remote: Any = None
        if settings.ocr_model_server_url:
            self.remote = RemoteEngines(settings)
        self.admission = Admission(settings.max_concurrent_requests, settings.queue_max_size)
        self.shadows = ShadowRunner(settings, self.profiles, self.admission)
        self._load_task: asyncio.Task[None] | None = None
        self.loaded_at: float | None = None

    def add_handler(self, kind: str, handler: Any, pool: str = "det") -> None:
        """Register another task kind (e.g. layout/table for /structure) on a pool (on every device, in
        every profile, loaded now or later)."""
        self._handlers[kind] = (handler, pool)
        for pools in self.profiles.loaded.values():
            pools.add_handler(kind, handler, pool)

    # ---- lifecycle ---------------------------------------------------------------------------------
    async def start(self) -> None:
        executors.configure(
            decode=self.settings.decode_threads, store=self.settings.store_threads, cpu=self.settings.cpu_work_threads
        )
        # PDFs are rendered in killable worker processes (started on the first PDF)
        pdf_workers.configure(
            self.settings.pdf_workers, self.settings.pdf_render_timeout_s, self.settings.pdf_worker_memory_mb
        )
        if self.remote is not None:
            await self.remote.start()
            self.status = "ok"
            return
        self.profiles.default.start()
        self.profiles.start_reaper()
        self.profiles.memory.start(self.profiles.all_pools)  # OCR_MEMORY_CEILING_MB: batches shed near it
        if self.settings.preload_models:
            self._load_task = asyncio.create_task(self._wait_loaded())
        else:
            self.status = "ok"  # engines finish loading in the background; first requests wait for them
            self._load_task = asyncio.create_task(self._load_in_background())

    async def _load_in_background(self) -> None:
        with contextlib.suppress(Exception):  # a load error is the first request's to report
            await self.profiles.default.wait_loaded()
            self.profiles.note_loaded(DEFAULT)
        if self.settings.ocr_profiles_preload:
            await self._preload_profiles()

    async def _wait_loaded(self) -> None:
        started = time.perf_counter()
        try:
            await self.profiles.default.wait_loaded()
            self.profiles.note_loaded(DEFAULT)
            if self.settings.ocr_profiles_preload:
                await self.profiles.preload()
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

    async def _preload_profiles(self) -> None:
        try:
            await self.profiles.preload()
        except Exception as exc:
            self.status = "failed"
            self.error = f"{type(exc).__name__}: {exc}"
            log.error("profiles failed to load: %s", self.error)

    @property
    def ready(self) -> bool:
        return self.status == "ok"

    @property
    def models_loaded(self) -> bool:
        if self.remote is not None:
            return bool(self.remote.model_loaded)
        return all(pool.loaded for pool in self.pools.values())

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
        await self.shadows.stop()
        if self.remote is not None:
            await self.remote.aclose()
        await self.profiles.stop()
        metrics.MODELS_LOADED.set(0)

    def metrics_snapshot(self) -> dict[str, float]:
        """What the EMF line reports: the admission queue, and memory over OCR_MEMORY_CEILING_MB if set."""
        out: dict[str, float] = dict(self.admission.snapshot())
        fraction = self.profiles.memory.used_fraction()
        if fraction is not None:
            out["memory_used_percent"] = 100 * fraction
        return out

    # ---- work --------------------------------------------------------------------------------------
    def check_ready(self) -> None:
        if self.status == "loading" and self.settings.preload_models:
            raise AppError(ErrorCode.NOT_READY, "Models are still loading.", headers={"Retry-After": "10"})
        if self.status == "failed":
            raise AppError(ErrorCode.NOT_READY, f"Engines failed to load: {self.error}")
        if self.status == "draining":
            raise AppError(ErrorCode.NOT_READY, "The service is shutting down.", headers={"Retry-After": "5"})

    async def submit(self, kind: str, payload: Any, deadline: float | None = None, pool: str | None = None) -> Any:
        if self.remote is not None:
            return await self.remote.submit(kind, payload, deadline)
        # the pools of the profile the request reads with (app/serving/profiles.py `use`), else default's
        return await self.profiles.current().submit(kind, payload, deadline, pool)

    async def run_check(self) -> bool:
        """A small real inference on every pool (each on the thread that owns its engines)."""
        if self.remote is not None:
            return bool(await self.remote.run_check())
        results = [await self.submit("call", lambda e: e.run_check(), pool=name) for name in self.pools]
        return all(bool(r) for r in results)

    def engines(self, pool: str = "rec") -> Any:
        """An engine set for read-only facts (describe/versions). Never for inference."""
        if self.remote is not None:
            return self.remote
        return self.profiles.current().engines(pool)

    def supports(self, kind: str) -> bool:
        """Whether a task kind can run here (e.g. `layout` for /structure; split mode serves OCR only)."""
        if self.remote is not None:
            return kind in ("detect", "recognize", "call")
        return kind in self.profiles.default.routes

    def unavailable(self, *kinds: str) -> str | None:
        """Why some of these task kinds cannot run here, for a clear 422 (None: they all can)."""
        if all(self.supports(kind) for kind in kinds):
            return None
        if self.remote is not None:
            return (
                "this deployment's engines run on a model server (OCR_MODEL_SERVER_URL), which serves text "
                "detection and recognition only"
            )
        return f"the {' and '.join(kinds)} engines are not loaded in this service"

    def describe(self, lang: str, *, stages: Sequence[str] = ()) -> dict[str, Any]:
        """A response's `engine` block for this language ({} while the engines are still loading), with
        the models of the extra ``stages`` (``layout``, ``table``: they live with detection) and the
        profile that read it (`profile`, `profile_version`)."""
        if self.remote is not None:
            info: dict[str, Any] = self.remote.describe(lang)
            if info and stages:
                models = dict(info.get("models", {}))
                for stage in stages:
                    eng = getattr(self.remote, stage, None)
                    if eng is not None and getattr(eng, "info", None) is not None:
                        models.update(eng.info.models)
                info = {**info, "models": models}
        else:
            info = self.profiles.current().describe(lang, stages)
        if not info:
            return {}
        profile = self.profiles.profiles.get(ACTIVE.get()) or self.profiles.profiles[DEFAULT]
        return {**info, "profile": profile.name, "profile_version": profile.version}

    def remote_status(self) -> dict[str, Any] | None:
        """Split mode: the model server's reachability for /health (`ok` | `degraded`); else None."""
        return self.remote.status() if self.remote is not None else None

    def runtime_info(self) -> dict[str, Any]:
        """How the engines are laid out in this process (for /debug/paddle): workers, threads, batching."""
        s = self.settings
        info: dict[str, Any] = {
            "max_concurrent_requests": s.max_concurrent_requests,
            "queue_max_size": s.queue_max_size,
            "request_timeout_s": s.request_timeout_s,
        }
        if self.remote is not None:
            return {**info, "mode": "split", "model_server_url": s.ocr_model_server_url}
        return {
            **info,
            "mode": "in-process",
            "workers": {name: pool.alive for name, pool in self.pools.items()},
            "batch": {name: pool.max_batch_size for name, pool in self.pools.items()},
            "max_batch_wait_ms": s.max_batch_wait_ms,
            "cpu_threads_per_session": s.ocr_cpu_threads or "all cores",
            "cpu_mem_arena": s.ocr_cpu_mem_arena,
            "cpu_runtime": s.ocr_cpu_runtime,
            "devices": self.devices,
            "det_trim_borders": s.ocr_det_trim_borders,
            "det_min_scale": s.ocr_det_min_scale,
            "det_text_px": s.ocr_det_text_px,
            "rec_min_width": s.ocr_rec_min_width,
        }

    def queue_depths(self) -> dict[str, int]:
        return {name: pool.depth() for name, pool in self.pools.items()}
