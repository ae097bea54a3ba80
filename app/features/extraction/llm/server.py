"""The extraction LLM server's health, as the API sees it (``/health`` → ``llm_server``).

With ``CHATOCR_ENABLED`` and ``CHATOCR_BACKEND=openai`` the LLM is a server of its own (the
``llm-model-server`` beside ``ocr-model-server``: llama.cpp server, vLLM, Ollama, …). The API probes it in
the background (``GET <CHATOCR_API_BASE>/models`` every ``CHATOCR_HEALTH_INTERVAL_S``, the OpenAI
model list every such server answers) and keeps what it saw:

- ``up``: the last probe was answered (2xx);
- ``down``: the last probe, or a request's call, could not reach it (refused, 5xx, or no answer to three
  probes in a row: a server busy decoding may answer nothing else for a while); while it
  is down extraction does not wait for it: the answer comes from the rules at once, with
  ``"fallback": "llm_unavailable"``; the next probe that is answered brings it back;
- ``unknown``: not probed yet (extraction tries it).

One probe per process, installed by the app's lifespan (:func:`install`); Bedrock is not probed (its
calls have their own timeouts and fall back the same way).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any, Literal

import httpx

from app.core.background import cancel_and_wait
from app.core.config import Settings
from app.features.extraction.llm.openai_compat import chat_url
from app.observability import metrics

log = logging.getLogger(__name__)

LlmStatus = Literal["unknown", "up", "down"]
_TIMEOUTS_TO_DOWN = 3


def models_url(api_base: str) -> str:
    """The OpenAI model list next to the chat completions URL (``…/v1`` → ``…/v1/models``)."""
    return chat_url(api_base).removesuffix("/chat/completions") + "/models"


class LlmServerHealth:
    """What the last probe (or call) of the LLM server said; thread-safe (calls report from worker threads)."""

    def __init__(
        self,
        api_base: str,
        model: str,
        *,
        token: str | None = None,
        interval_s: float = 15.0,
        timeout_s: float = 3.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = models_url(api_base)
        self.model = model
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self._headers = {"Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._transport = transport
        self._lock = threading.Lock()
        self._status: LlmStatus = "unknown"
        self._error: str | None = None
        self._checked_at: float | None = None
        self._latency_ms: float | None = None
        self._since: float = time.time()
        self._task: asyncio.Task[None] | None = None
        self._timeouts = 0  # probes in a row that got no answer in time

    @classmethod
    def from_settings(cls, settings: Settings) -> LlmServerHealth | None:
        """The probe for this configuration, or None (LLM off, Bedrock, probing off)."""
        if not settings.chatocr_enabled or settings.chatocr_backend != "openai" or not settings.chatocr_api_base:
            return None
        if settings.chatocr_health_interval_s <= 0:
            return None
        return cls(
            settings.chatocr_api_base,
            settings.chatocr_model,
            token=settings.chatocr_api_token,
            interval_s=settings.chatocr_health_interval_s,
        )

    # ---- what callers read ---------------------------------------------------------------------------
    @property
    def status(self) -> LlmStatus:
        return self._status

    @property
    def available(self) -> bool:
        """False only when the server is known to be down (extraction then answers by rules at once)."""
        return self._status != "down"

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            out: dict[str, Any] = {
                "status": self._status,
                "backend": "openai",
                "url": self.url,
                "model": self.model,
                "since": round(self._since, 3),
            }
            if self._checked_at is not None:
                out["checked_at"] = round(self._checked_at, 3)
            if self._latency_ms is not None:
                out["latency_ms"] = self._latency_ms
            if self._error:
                out["error"] = self._error
            return out

    # ---- what probes and calls report ----------------------------------------------------------------
    def report(self, up: bool, *, error: str | None = None, latency_ms: float | None = None) -> None:
        status: LlmStatus = "up" if up else "down"
        with self._lock:
            changed = status != self._status
            self._status = status
            self._error = None if up else (error or "unreachable")[:300]
            self._checked_at = time.time()
            if latency_ms is not None:
                self._latency_ms = round(latency_ms, 1)
            if changed:
                self._since = self._checked_at
        metrics.LLM_SERVER_UP.labels(self.url).set(1 if up else 0)
        if changed:
            if up:
                log.info("LLM server is up", extra={"url": self.url})
            else:
                log.warning("LLM server is down; extraction answers by rules", extra={"url": self.url, "error": error})

    async def probe(self, client: httpx.AsyncClient) -> None:
        started = time.perf_counter()
        try:
            resp = await client.get(self.url, headers=self._headers, timeout=self.timeout_s)
        except httpx.TimeoutException as exc:
            # a server busy decoding may answer nothing else meanwhile (one slot): slow is not down until
            # it stays silent for several probes in a row
            self._timeouts += 1
            if self._timeouts >= _TIMEOUTS_TO_DOWN or self._status != "up":
                self.report(False, error=f"no answer within {self.timeout_s:g} s ({type(exc).__name__})")
            return
        except httpx.HTTPError as exc:
            self.report(False, error=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
            return
        self._timeouts = 0
        latency = (time.perf_counter() - started) * 1000
        if resp.status_code >= 500:
            self.report(False, error=f"HTTP {resp.status_code}", latency_ms=latency)
        else:
            # 2xx, and also 401/404: something answers there (a server without /models still serves chat)
            self.report(True, latency_ms=latency)

    # ---- lifecycle -----------------------------------------------------------------------------------
    async def _loop(self) -> None:
        async with httpx.AsyncClient(transport=self._transport) as client:
            while True:
                try:
                    await self.probe(client)
                except Exception:  # a probe must never end the loop
                    log.exception("LLM server probe failed")
                await asyncio.sleep(self.interval_s)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="llm-server-probe")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)


_current: LlmServerHealth | None = None


def install(health: LlmServerHealth | None) -> None:
    """Make ``health`` the process's LLM server probe (the app's lifespan; None when it stops)."""
    global _current
    _current = health
    if health is None:
        metrics.LLM_SERVER_UP.clear()


def current() -> LlmServerHealth | None:
    return _current
