"""The engine profiles at run time: which are loaded, loading on first use within the memory budget,
unloading after OCR_PROFILES_IDLE_S, and which one a request reads with.

A request's profile is held in a context variable for the time it reads (`use`): `Service.submit` sends
its tasks to that profile's pools, so the pipelines stay the same for every profile. Each profile has its
own engine pools (app/serving/pools.py) under the same rules as `default`'s: worker threads that own their
engines, behind the one admission queue (429) and the request's deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from typing import Any

from app.core.config import Settings
from app.core.errors import AppError, ErrorCode
from app.engines.profiles import DEFAULT, Profile, ab_profile
from app.observability import metrics
from app.serving.memory import MemoryGuard
from app.serving.pools import EnginePools

log = logging.getLogger(__name__)

ACTIVE: ContextVar[str] = ContextVar("ocr_profile", default=DEFAULT)

MB = 1024 * 1024


class ProfileRuntimes:
    def __init__(self, settings: Settings, profiles: dict[str, Profile], build: Callable[[Profile], EnginePools]):
        self.settings = settings
        self.profiles = profiles
        self._build = build
        self.memory = MemoryGuard(settings)
        # what each profile's engines took when they loaded (bytes); default's from before its build
        self.measured: dict[str, int] = {}
        self._baseline: dict[str, int] = {DEFAULT: self.memory.used_bytes()}
        self.loaded: dict[str, EnginePools] = {DEFAULT: build(profiles[DEFAULT])}
        self.budget = int(settings.ocr_profiles_memory_mb * MB)
        self.idle_s = settings.ocr_profiles_idle_s
        self._lock: asyncio.Lock | None = None
        # split mode (OCR_MODEL_SERVER_URL): default's engines are the model server's, no local pool loads
        self.remote = bool(settings.ocr_model_server_url)
        self._reaper: asyncio.Task[None] | None = None

    @property
    def default(self) -> EnginePools:
        return self.loaded[DEFAULT]

    # ---- which profile ---------------------------------------------------------------------------
    def get(self, name: str) -> Profile:
        profile = self.profiles.get(name)
        if profile is None:
            raise AppError(
                ErrorCode.UNKNOWN_PROFILE,
                f"Unknown profile {name!r}; this deployment has {', '.join(map(repr, self.profiles))} (GET /models).",
                details={"profiles": list(self.profiles)},
            )
        return profile

    def choose(self, explicit: str | None, caller: str) -> Profile:
        """The request's `profile` field, else OCR_AB's pick for this caller (always the same), else default."""
        if explicit is not None and explicit.strip():
            return self.get(explicit.strip())
        return self.profiles[ab_profile(self.settings.ocr_ab, caller)]

    def current(self) -> EnginePools:
        """The pools of the profile the running request reads with."""
        return self.loaded.get(ACTIVE.get()) or self.default

    # ---- loading ---------------------------------------------------------------------------------
    def used_bytes(self) -> int:
        """What the loaded profiles other than default hold (the memory budget's count)."""
        return sum(self.profiles[name].memory_bytes for name in self.loaded if name != DEFAULT)

    def _admit(self, profile: Profile) -> None:
        # two limits, two messages written out whole (the Korean table matches each one as it is raised)
        retry = {"Retry-After": str(max(1, int(min(self.idle_s or 60, 300))))}
        details = {"profile": profile.name, "needs_mb": round(profile.memory_bytes / MB, 1)}
        if not self.memory.fits(profile.memory_bytes):
            metrics.PROFILE_REFUSED.labels(profile.name).inc()
            kind, held = self.memory.count()
            raise AppError(
                ErrorCode.PROFILE_OVER_MEMORY_BUDGET,
                f"Profile {profile.name!r} needs about {profile.memory_bytes / MB:.1f} MB; this process holds "
                f"{held / MB:.0f} MB ({kind}) of OCR_MEMORY_CEILING_MB={self.memory.ceiling / MB:g}. "
                "Retry when an idle profile has been unloaded, or use another profile.",
                headers=retry,
                details=details,
            )
        used = self.used_bytes()
        if self.budget and used + profile.memory_bytes > self.budget:
            metrics.PROFILE_REFUSED.labels(profile.name).inc()
            raise AppError(
                ErrorCode.PROFILE_OVER_MEMORY_BUDGET,
                f"Profile {profile.name!r} needs about {profile.memory_bytes / MB:.1f} MB of models; the profiles "
                f"loaded now hold {used / MB:.1f} MB of OCR_PROFILES_MEMORY_MB={self.budget / MB:g}. Retry when an "
                "idle profile has been unloaded, or use another profile.",
                headers=retry,
                details=details,
            )

    async def acquire(self, name: str) -> EnginePools:
        """The profile's pools, loading them first (within the budget) where they are not loaded."""
        pools = self.loaded.get(name)
        if self.remote and name == DEFAULT:
            return self.default
        if pools is None:
            profile = self.get(name)
            if self._lock is None:
                self._lock = asyncio.Lock()
            async with self._lock:
                pools = self.loaded.get(name)
                if pools is None:
                    self._admit(profile)
                    log.info("loading profile %s (version %s)", name, profile.version)
                    self._baseline[name] = self.memory.used_bytes()
                    pools = self._build(profile)
                    pools.start()
                    self.loaded[name] = pools
                    metrics.PROFILE_MEMORY.labels(name).set(profile.memory_bytes)
        if not pools.loaded:
            try:
                await pools.wait_loaded()
            except Exception as exc:
                if name != DEFAULT and self.loaded.get(name) is pools:
                    await self.unload(name)
                raise AppError(
                    ErrorCode.NOT_READY, f"Profile {name!r} failed to load: {type(exc).__name__}: {exc}"
                ) from None
        self.note_loaded(name)  # once, the first time it is loaded (engines that loaded at once included)
        metrics.PROFILE_LOADED.labels(name).set(1)
        return pools

    def note_loaded(self, name: str) -> None:
        """Record what the profile's engines took (the memory count now less the one before they loaded)."""
        before = self._baseline.pop(name, None)
        if before is not None:
            kind, now = self.memory.count()
            self.measured[name] = max(0, now - before)
            metrics.PROFILE_MEMORY_MEASURED.labels(name).set(self.measured[name])
            log.info("profile %s loaded: +%.0f MB (%s)", name, self.measured[name] / MB, kind)

    def all_pools(self) -> list[Any]:
        """Every engine pool (EngineWorkers) of the loaded profiles: what the memory guard sheds."""
        return [w for pools in list(self.loaded.values()) for w in pools.pools.values()]

    async def unload(self, name: str) -> None:
        pools = self.loaded.pop(name, None)
        if pools is None:
            return
        await pools.stop()  # each worker closes the engines it owns
        metrics.PROFILE_LOADED.labels(name).set(0)
        metrics.PROFILE_MEMORY.labels(name).set(0)
        self.measured.pop(name, None)
        metrics.PROFILE_MEMORY_MEASURED.labels(name).set(0)
        log.info("profile %s unloaded", name)

    @contextlib.asynccontextmanager
    async def use(self, name: str) -> AsyncIterator[EnginePools]:
        """Read with profile ``name`` inside the block (loaded first; never unloaded while in use)."""
        pools = await self.acquire(name)
        pools.in_use += 1
        token = ACTIVE.set(name)
        try:
            yield pools
        finally:
            ACTIVE.reset(token)
            pools.in_use -= 1
            pools.last_used = time.monotonic()

    async def preload(self) -> None:
        """OCR_PROFILES_PRELOAD: load every profile now; one over the budget stays unloaded (logged)."""
        for name in self.profiles:
            if name == DEFAULT:
                continue
            try:
                await self.acquire(name)
            except AppError as err:
                if err.code is not ErrorCode.PROFILE_OVER_MEMORY_BUDGET:
                    raise
                log.warning("profile %s not preloaded: %s", name, err.message)

    # ---- idle unloading --------------------------------------------------------------------------
    def start_reaper(self) -> None:
        if self.idle_s > 0 and len(self.profiles) > 1 and self._reaper is None:
            self._reaper = asyncio.create_task(self._reap())

    async def _reap(self) -> None:
        every = min(max(self.idle_s / 4, 0.05), 30.0)
        while True:
            await asyncio.sleep(every)
            now = time.monotonic()
            for name, pools in list(self.loaded.items()):
                if name == DEFAULT or pools.in_use or pools.busy():
                    continue
                if now - pools.last_used >= self.idle_s:
                    log.info("profile %s idle for %.0f s", name, now - pools.last_used)
                    await self.unload(name)

    async def stop(self) -> None:
        await self.memory.stop()
        if self._reaper is not None:
            self._reaper.cancel()
            self._reaper = None
        for name in list(self.loaded):
            pools = self.loaded[name] if name == DEFAULT else self.loaded.pop(name)
            await pools.stop()

    # ---- facts -----------------------------------------------------------------------------------
    def _measured_row(self, name: str, pools: EnginePools | None) -> dict[str, Any]:
        measured = self.measured.get(name)
        if measured is None or pools is None:
            return {}
        workers = sum(w.workers for w in pools.pools.values()) or 1
        return {
            "memory_measured_mb": round(measured / MB, 1),
            "memory_per_worker_mb": round(measured / workers / MB, 1),
            "memory_kind": self.memory.kind,
        }

    def listing(self) -> list[dict[str, Any]]:
        """GET /models: every profile, its version, models, languages, and whether it is loaded now."""
        rows = []
        for name, profile in self.profiles.items():
            pools = self.loaded.get(name)
            rows.append(
                {
                    "name": name,
                    "version": profile.version,
                    "default": profile.is_default,
                    "loaded": pools is not None and pools.loaded,
                    "models": dict(profile.models),
                    "languages": list(profile.languages),
                    "overrides": {k: _jsonable(v) for k, v in profile.overrides.items()},
                    "memory_estimate_mb": round(profile.memory_bytes / MB, 1),
                    **self._measured_row(name, pools),
                    "ab_percent": self.settings.ocr_ab.get(name),
                    "shadow_percent": self.settings.ocr_shadow.get(name),
                }
            )
        return rows


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)
