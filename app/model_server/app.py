"""The model server (split mode): the same engines and runtime as the API, behind a small HTTP surface.

    POST /predict    form: image (a page: PNG/JPEG/TIFF/BMP/WebP, or a PDF with `page`), lang,
                     detect_orientation, min_confidence, raw
                     → {"status": "ok", "full_text", "text_boxes": [{"text", "confidence", "box", "bbox"}],
                        "width", "height", "rotation", "lang", "engine", "timings_ms",
                        "detections": [...] (raw=true: every detected line in detection order, unfiltered)}
    POST /recognize  form: images (repeated line crops), lang → {"results": [{"text", "confidence"}]}
    GET  /health     → {"status": "healthy", "model_loaded": true, …} (503 while loading or draining)
    GET  /metrics    Prometheus text (x-api-key unless METRICS_PUBLIC)

Closed by default: it will not start without MODEL_SERVER_API_KEY unless MODEL_SERVER_OPEN=true says so
explicitly; every route but /health then needs `x-api-key`, and the request guard checks it (and the body
size and pace) before any body is read. /docs and /openapi.json exist only on an open model server.

Pages go through `Service` (engine pools, dynamic batching across concurrent requests), exactly as in
the API process; the API's remote client (app/serving/remote.py) sends `raw=true` and applies the
OCR pipeline's own filtering and reading order, so both modes give the same text.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from app import __version__
from app.core import executors
from app.core.config import Settings, SettingsError, get_settings
from app.core.errors import AppError, ErrorCode
from app.core.executors import Work
from app.core.logging import configure_logging
from app.documents import Limits, decode_document, limits_from_settings
from app.engines.reading_order import sort_reading_order
from app.features.ocr.pipeline import ink_at, read_lines
from app.features.ocr.types import Line
from app.http.deps import resolve_lang
from app.http.errors import install_error_handlers
from app.http.guard import RequestGuard
from app.http.middleware import RequestContextMiddleware
from app.http.uploads import FORM_OVERHEAD, deadline_in, read_upload
from app.observability import metrics
from app.serving.service import EngineFactory, Service
from app.serving.tasks import DetectJob, DetectResult, RecognizeJob
from app.serving.versions import package_versions

log = logging.getLogger("app.model_server")

MAX_CROPS = 512


def _settings_for_server(settings: Settings) -> Settings:
    """The model server always runs its engines in-process (never forwards to another model server)."""
    return settings.model_copy(update={"ocr_model_server_url": None})


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    service.check_ready()
    return service


async def _check_key(request: Request) -> None:
    """Raise 401 unless the request carries MODEL_SERVER_API_KEY (nothing to check on an open server)."""
    expected = request.app.state.settings.model_server_api_key
    if not expected:
        return
    got = request.headers.get("x-api-key") or ""
    if not hmac.compare_digest(got.encode(), expected.encode()):
        raise AppError(
            ErrorCode.UNAUTHENTICATED,
            "Missing or wrong x-api-key (MODEL_SERVER_API_KEY).",
            headers={"WWW-Authenticate": "APIKey"},
        )


def _body_limit(settings: Settings, path: str) -> int:
    if path.rstrip("/") == "/recognize":
        return settings.max_upload_bytes + FORM_OVERHEAD
    return _page_bytes(settings) + FORM_OVERHEAD


def _page_bytes(settings: Settings) -> int:
    # a page the API decoded can be a larger PNG than MAX_UPLOAD_MB (a photo-like scan at MAX_PIXELS)
    return max(settings.max_upload_bytes, settings.max_pixels * 4)


def _check_open(settings: Settings) -> None:
    if not settings.model_server_api_key and not settings.model_server_open:
        raise SettingsError(
            "MODEL_SERVER_API_KEY: the model server needs a key (the API sends the same MODEL_SERVER_API_KEY); "
            "set MODEL_SERVER_OPEN=true explicitly to run it without one on a private network"
        )


ServiceDep = Annotated[Service, Depends(_service)]


def create_model_server_app(settings: Settings | None = None, engine_factory: EngineFactory | None = None) -> FastAPI:
    settings = _settings_for_server(settings or get_settings())
    _check_open(settings)
    is_open = not settings.model_server_api_key
    configure_logging(settings.log_level, settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service: Service = app.state.service
        await service.start()
        log.info("model server started", extra={"version": __version__, "device": settings.ocr_device})
        try:
            yield
        finally:
            await service.drain(settings.shutdown_grace_s)
            await service.stop()
            log.info("model server stopped")

    app = FastAPI(
        title="OCR model server",
        version=__version__,
        description="The OCR engines behind HTTP, for split deployments (OCR_MODEL_SERVER_URL on the API).",
        lifespan=lifespan,
        docs_url="/docs" if is_open else None,
        redoc_url=None,
        openapi_url="/openapi.json" if is_open else None,
    )
    app.state.settings = settings
    app.state.service = Service(settings, engine_factory)
    install_error_handlers(app)
    app.add_middleware(
        RequestGuard,
        authenticate=_check_key,
        body_limit=lambda path: _body_limit(settings, path),
        read_timeout_s=settings.body_read_timeout_s,
        total_timeout_s=settings.body_timeout_s,
    )
    app.add_middleware(RequestContextMiddleware)

    @app.get("/health", summary="200 with model_loaded=true when the engines are loaded and work is accepted")
    async def health(request: Request) -> JSONResponse:
        service: Service = request.app.state.service
        engines = service.engines()
        body: dict[str, Any] = {
            "status": "healthy" if service.ready and service.models_loaded else service.status,
            "model_loaded": service.models_loaded,
            "version": __version__,
            "versions": package_versions(settings),
            "device": settings.ocr_device,
            "engine": engines.describe(settings.ocr_default_lang) if engines is not None else None,
            "queue": service.queue_depths(),
        }
        if service.error:
            body["error"] = service.error
        ok = service.ready and service.models_loaded
        return JSONResponse(status_code=200 if ok else 503, content=body)

    @app.get(
        "/metrics",
        summary="Prometheus metrics",
        dependencies=[] if settings.metrics_public else [Depends(_check_key)],
    )
    async def metrics_endpoint() -> Response:
        return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.post("/predict", summary="OCR one page image", dependencies=[Depends(_check_key)])
    async def predict(
        request: Request,
        service: ServiceDep,
        image: Annotated[UploadFile, File(description="The page: an image, or a PDF (see `page`)")],
        lang: Annotated[str | None, Form()] = None,
        detect_orientation: Annotated[bool, Form()] = True,
        min_confidence: Annotated[float, Form(ge=0.0, le=1.0)] = 0.5,
        raw: Annotated[bool, Form(description="Also return every detected line, unfiltered")] = False,
        page: Annotated[int, Form(ge=1)] = 1,
    ) -> dict[str, Any]:
        started = time.perf_counter()
        max_bytes = _page_bytes(settings)
        language = resolve_lang(lang, settings)
        data = await read_upload(image, max_bytes)
        limits = limits_from_settings(settings)
        limits = Limits(max_bytes, limits.max_pixels, limits.max_pages, limits.pdf_dpi)
        deadline = deadline_in(settings.request_timeout_s)
        doc = await executors.run(Work.DECODE, decode_document, data, limits, str(page), deadline=deadline)
        pixels = doc.pages[0].image
        decoded = time.perf_counter()
        async with asyncio.timeout(settings.request_timeout_s):
            det: DetectResult = await service.submit("detect", DetectJob(pixels, detect_orientation), deadline)
            recs = await read_lines(det, language, detect_orientation, service, deadline)
        lines = []
        detections = []
        for i, (quad, rec) in enumerate(zip(det.quads, recs, strict=True)):
            box = [[float(x), float(y)] for x, y in quad]
            ink = bool(rec.text.strip()) or ink_at(det, i)
            detections.append(
                {"box": box, "text": rec.text, "confidence": float(rec.confidence), "ink": ink, "lang": rec.lang}
            )
            text = rec.text.strip()
            if text and rec.confidence >= min_confidence:
                lines.append(Line.from_box(text, float(rec.confidence), box))
        lines = sort_reading_order(lines, lambda ln: ln.bbox)
        metrics.PAGES.labels("predict", "ocr").inc()
        engines = service.engines()
        body: dict[str, Any] = {
            "status": "ok",
            "full_text": "\n".join(ln.text for ln in lines),
            "text_boxes": [ln.to_dict() for ln in lines],
            "width": det.width,
            "height": det.height,
            "rotation": det.rotation,
            "lang": language,
            "engine": engines.describe(language) if engines is not None else None,
            "timings_ms": {
                "decode": round((decoded - started) * 1000, 1),
                "total": round((time.perf_counter() - started) * 1000, 1),
            },
        }
        if raw:
            body["detections"] = detections
        return body

    @app.post("/recognize", summary="Recognise text-line crops", dependencies=[Depends(_check_key)])
    async def recognize(
        request: Request,
        service: ServiceDep,
        images: Annotated[list[UploadFile], File(description="Line crops (repeated field)")],
        lang: Annotated[str | None, Form()] = None,
    ) -> dict[str, Any]:
        if len(images) > MAX_CROPS:
            raise AppError(ErrorCode.TOO_MANY_FILES, f"At most {MAX_CROPS} crops per request.")
        language = resolve_lang(lang, settings)
        crops = []
        for upload in images:
            data = await read_upload(upload, settings.max_upload_bytes)
            doc = await executors.run(Work.DECODE, decode_document, data, limits_from_settings(settings), "1")
            crops.append(doc.pages[0].image)
        deadline = deadline_in(settings.request_timeout_s)
        async with asyncio.timeout(settings.request_timeout_s):
            recs = await service.submit("recognize", RecognizeJob(language, crops), deadline)
        return {"results": [{"text": r.text, "confidence": float(r.confidence), "lang": r.lang} for r in recs]}

    return app
