"""The remote engine client (split mode): with OCR_MODEL_SERVER_URL set, the API process loads no models
and sends every page to the model server (`python -m app.model_server`, POST /predict).

How it plugs in: `Service.submit` hands the runtime's task kinds to `RemoteEngines.submit` instead of
the local engine pools, so the pipelines (OCR, structure, jobs) are unchanged:

- `detect` (a page image and the language it will be read in) → one POST /predict (the page as a
  lossless PNG, the language, `raw=true`): the model server runs orientation, detection and recognition
  and answers every detected line (quad, text, confidence, ink) in detection order. The answer is a real
  `DetectResult` (rotation, upright size, quads) that also carries the lines' readings (`read`), so the
  pipeline does not recognise them again: a page costs one round trip and one pass of each model.
- `recognize` (line crops, e.g. table cells re-read by /structure) → POST /recognize.

Since the same engines see the same pixels, the text is identical to in-process mode. HTTP: one pooled
httpx client (MODEL_SERVER_MAX_CONNECTIONS), MODEL_SERVER_TIMEOUT per call (default 60 s), connection
failures retried (MODEL_SERVER_CONNECT_RETRIES) and nothing else: a request the server may have started
is never sent twice. Unreachable → 503 `model_server_unavailable`; too slow → 504 `model_server_timeout`.
A background probe of GET /health keeps `status()` current for the API's /health.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import time
from typing import Any

import httpx
import numpy as np
from PIL import Image

from app.core import executors
from app.core.config import Settings
from app.core.errors import AppError, ErrorCode
from app.core.executors import Work
from app.engines.base import Recognized
from app.serving.tasks import DetectJob, DetectResult, RecognizeJob

log = logging.getLogger(__name__)

PROBE_EVERY_S = 10.0


def encode_png(image: np.ndarray) -> bytes:
    """Lossless and fast (compress level 1): the model server decodes exactly these pixels."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


class RemoteEngines:
    def __init__(self, settings: Settings) -> None:
        if not settings.ocr_model_server_url:
            raise ValueError("OCR_MODEL_SERVER_URL is not set")
        self.settings = settings
        self.url = settings.ocr_model_server_url.rstrip("/")
        self.timeout = settings.model_server_timeout
        self.retries = settings.model_server_connect_retries
        self._client: httpx.AsyncClient | None = None
        self._probe: asyncio.Task[None] | None = None
        self.healthy: bool | None = None  # None until the first answer or failure
        self.model_loaded = False
        self.last_error: str | None = None
        self.checked_at: float | None = None
        self._engine: dict[str, Any] = {}
        self._engine_by_lang: dict[str, dict[str, Any]] = {}
        self._versions: dict[str, Any] = {}

    # ---- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        limits = httpx.Limits(
            max_connections=self.settings.model_server_max_connections,
            max_keepalive_connections=self.settings.model_server_max_connections,
        )
        headers = {"user-agent": "ocr-service-api"}
        if self.settings.model_server_api_key:
            headers["x-api-key"] = self.settings.model_server_api_key
        self._client = httpx.AsyncClient(
            base_url=self.url,
            limits=limits,
            headers=headers,
            timeout=httpx.Timeout(self.timeout, connect=min(5.0, self.timeout)),
        )
        await self.check_health()
        self._probe = asyncio.create_task(self._probe_loop(), name="model-server-probe")

    async def aclose(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(BaseException):
                await self._probe
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _probe_loop(self) -> None:
        while True:
            await asyncio.sleep(PROBE_EVERY_S)
            await self.check_health()

    async def check_health(self) -> bool:
        try:
            r = await self._send("GET", "/health", timeout_s=min(5.0, self.timeout), retries=0)
            body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
            self.model_loaded = bool(body.get("model_loaded"))
            if isinstance(body.get("engine"), dict):
                self._engine = body["engine"]
            if isinstance(body.get("versions"), dict):
                self._versions = body["versions"]
            ok = r.status_code == 200 and self.model_loaded
            self._mark(ok, None if ok else f"model server /health answered {r.status_code}")
            return ok
        except AppError as err:
            self.model_loaded = False
            self._mark(False, err.message)
            return False

    def _mark(self, ok: bool, error: str | None) -> None:
        if ok and self.healthy is False:
            log.info("model server reachable again", extra={"url": self.url})
        if not ok and self.healthy is not False:
            log.warning("model server unavailable", extra={"url": self.url, "error": error})
        self.healthy = ok
        self.last_error = error
        self.checked_at = time.time()

    def status(self) -> dict[str, Any]:
        """For the API's /health: `ok` or `degraded` (unreachable or not loaded)."""
        return {
            "url": self.url,
            "status": "ok" if self.healthy else "degraded",
            "model_loaded": self.model_loaded,
            "error": self.last_error,
            "checked_at": self.checked_at,
        }

    # ---- facts (what Service.engines() callers read) ------------------------------------------------
    def describe(self, lang: str) -> dict[str, Any]:
        info = self._engine_by_lang.get(lang) or self._engine
        return {
            "name": str(info.get("name", "remote")),
            "backend": "remote",
            "device": str(info.get("device", "remote")),
            "models": {str(k): str(v) for k, v in dict(info.get("models", {})).items()},
        }

    def versions(self) -> dict[str, Any]:
        return {"model_server": self.url, **self._versions}

    async def run_check(self) -> bool:
        """A real small inference on the model server."""
        blank = np.full((48, 160, 3), 255, dtype=np.uint8)
        await self._predict(blank, lang=self.settings.ocr_default_lang, detect_orientation=False, deadline=None)
        return True

    # ---- HTTP ------------------------------------------------------------------------------------
    async def _send(
        self,
        method: str,
        path: str,
        *,
        timeout_s: float,
        retries: int | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        if self._client is None:
            raise AppError(ErrorCode.MODEL_SERVER_UNAVAILABLE, "The model server client is not started.")
        attempts = 1 + (self.retries if retries is None else retries)
        last: Exception | None = None
        for n in range(attempts):
            try:
                timeout = httpx.Timeout(timeout_s, connect=min(5.0, timeout_s))
                return await self._client.request(method, path, timeout=timeout, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # nothing was sent: safe to retry
                last = exc
                if n + 1 < attempts:
                    await asyncio.sleep(min(1.0, 0.1 * 2**n))
            except httpx.TimeoutException as exc:
                raise AppError(
                    ErrorCode.MODEL_SERVER_TIMEOUT,
                    f"The model server at {self.url} did not answer within {timeout_s:g} s (MODEL_SERVER_TIMEOUT).",
                ) from exc
            except httpx.HTTPError as exc:
                self._mark(False, f"{type(exc).__name__}: {exc}")
                raise AppError(
                    ErrorCode.MODEL_SERVER_UNAVAILABLE,
                    f"The model server at {self.url} failed: {type(exc).__name__}.",
                ) from exc
        self._mark(False, f"{type(last).__name__}: {last}")
        raise AppError(
            ErrorCode.MODEL_SERVER_UNAVAILABLE,
            f"The model server at {self.url} is unreachable ({type(last).__name__}); "
            "check OCR_MODEL_SERVER_URL and that `python -m app.model_server` is running.",
            headers={"Retry-After": "5"},
        )

    def _call_timeout(self, deadline: float | None) -> float:
        if deadline is None:
            return self.timeout
        left = deadline - time.monotonic()
        if left <= 0:
            raise AppError(ErrorCode.TIMEOUT, "deadline passed before the model server was called")
        return min(self.timeout, left)

    def _raise_for(self, r: httpx.Response) -> None:
        if r.status_code == 200:
            return
        try:
            err = r.json()["error"]
            code_slug, message = str(err["code"]), str(err["message"])
        except Exception:
            code_slug, message = "", r.text[:200]
        if r.status_code == 503:
            self._mark(False, f"model server answered 503: {message}")
            raise AppError(
                ErrorCode.MODEL_SERVER_UNAVAILABLE,
                f"The model server is not ready: {message}",
                headers={"Retry-After": r.headers.get("retry-after", "5")},
            )
        code = ErrorCode.from_slug(code_slug)
        if code is not None and code.status < 500:
            raise AppError(code, message)
        raise AppError(ErrorCode.MODEL_SERVER_UNAVAILABLE, f"The model server failed (HTTP {r.status_code}): {message}")

    async def _predict(
        self, image: np.ndarray, *, lang: str, detect_orientation: bool, deadline: float | None
    ) -> dict[str, Any]:
        png = await executors.run(Work.DECODE, encode_png, image)
        r = await self._send(
            "POST",
            "/predict",
            timeout_s=self._call_timeout(deadline),
            files={"image": ("page.png", png, "image/png")},
            data={"lang": lang, "detect_orientation": str(detect_orientation).lower(), "raw": "true"},
        )
        self._raise_for(r)
        body: dict[str, Any] = r.json()
        if not self.healthy:
            self._mark(True, None)
            self.model_loaded = True
        if isinstance(body.get("engine"), dict):
            self._engine_by_lang[lang] = body["engine"]
        return body

    # ---- the runtime's task kinds ----------------------------------------------------------------
    async def submit(self, kind: str, payload: Any, deadline: float | None = None) -> Any:
        if kind == "detect":
            return await self._detect(payload, deadline)
        if kind == "recognize":
            return await self._recognize(payload, deadline)
        if kind == "call":
            return payload(self)
        raise AppError(
            ErrorCode.INVALID_PARAMETER,
            f"This deployment runs its engines on a model server (OCR_MODEL_SERVER_URL), which serves text "
            f"detection and recognition only; '{kind}' (used by /structure) is not available.",
        )

    async def _detect(self, job: DetectJob, deadline: float | None) -> DetectResult:
        """One POST /predict: the model server turns, detects and reads the page (in `job.lang`) and answers
        every detected line unfiltered; the detection carries those readings, so nothing is sent twice."""
        lang = job.lang or self.settings.ocr_default_lang
        answer = await self._predict(job.image, lang=lang, detect_orientation=job.detect_orientation, deadline=deadline)
        found = answer.get("detections") or []
        return DetectResult(
            rotation=int(answer["rotation"]),
            width=int(answer["width"]),
            height=int(answer["height"]),
            quads=[np.asarray(d["box"], dtype=np.float32) for d in found],
            crops=[],
            read=[Recognized(str(d["text"]), float(d["confidence"]), d.get("lang")) for d in found],
            inks=[bool(d.get("ink", True)) for d in found],
        )

    async def _recognize(self, job: RecognizeJob, deadline: float | None) -> list[Recognized]:
        """Line crops (e.g. table cells re-read by /structure): one POST /recognize."""
        if not job.crops:
            return []
        return await self._recognize_crops(list(job.crops), job.lang, deadline)

    async def _recognize_crops(self, crops: list[np.ndarray], lang: str, deadline: float | None) -> list[Recognized]:
        pngs = await executors.run(Work.DECODE, lambda: [encode_png(c) for c in crops])
        r = await self._send(
            "POST",
            "/recognize",
            timeout_s=self._call_timeout(deadline),
            files=[("images", (f"{i}.png", png, "image/png")) for i, png in enumerate(pngs)],
            data={"lang": lang},
        )
        self._raise_for(r)
        return [Recognized(str(x["text"]), float(x["confidence"]), x.get("lang")) for x in r.json()["results"]]
