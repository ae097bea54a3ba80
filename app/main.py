"""App factory. The lifespan loads engines (in worker threads), flips readiness, and drains on shutdown."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from app import __version__
from app.auth.cognito import create_jwks_cache
from app.auth.security import require_principal
from app.core.config import Settings, get_settings
from app.core.logging import configure_logging
from app.features.extraction import router as extraction
from app.features.extraction.llm import server as llm_server
from app.features.extraction.llm.server import LlmServerHealth
from app.features.jobs import router as jobs
from app.features.ocr import router as ocr
from app.features.structure import router as structure
from app.features.system import debug, health, languages, models
from app.http.errors import install_error_handlers
from app.http.guard import RequestGuard
from app.http.middleware import RequestContextMiddleware
from app.http.openapi import install_openapi
from app.observability import metrics
from app.observability.emf import emitter_for
from app.serving.service import EngineFactory, ProfileFactory, Service
from app.web import mount_web

log = logging.getLogger("app")

DESCRIPTION = """
OCR for Korean-first business documents: text (`/ocr`), layout/tables/Markdown (`/structure`),
key fields (`/extraction`). Upload documents as `multipart/form-data` in the field `file`.

**Auth**: `x-api-key: <key>` (AUTH_MODE=api-key) or `Authorization: Bearer <Cognito JWT>`
(AUTH_MODE=cognito). `/health*` is open.

**Errors** always have the body `{"error": {"code", "message", "request_id"}}`: 400 bad form or
unreadable document, 401 missing/bad credentials, 403 not allowed, 413 too large (bytes, pixels, pages),
415 unsupported type, 422 invalid parameter, 429 queue full (`Retry-After`), 503 not ready, 504 timed out.
"""


def create_app(
    settings: Settings | None = None,
    engine_factory: EngineFactory | None = None,
    profile_factory: ProfileFactory | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:

        service: Service = app.state.service
        app.state.jwks = await create_jwks_cache(settings)
        await service.start()
        # the extraction LLM's own server, probed in the background (None: no LLM, Bedrock, or probing off)
        llm_health = LlmServerHealth.from_settings(settings)
        app.state.llm_server = llm_health
        llm_server.install(llm_health)
        if llm_health is not None:
            llm_health.start()
        # None when off
        emf = emitter_for(settings.emf_metrics_interval_s, service.metrics_snapshot, settings.emf_namespace)
        if emf is not None:
            emf.start()
        log.info(
            "service started",
            extra={"version": __version__, "auth_mode": settings.auth_mode.value, "device": settings.ocr_device},
        )
        try:
            yield
        finally:
            await service.drain(settings.shutdown_grace_s)
            if emf is not None:
                await emf.stop()
            if llm_health is not None:
                await llm_health.stop()
            llm_server.install(None)
            await service.stop()
            if app.state.jwks is not None:
                await app.state.jwks.aclose()
            log.info("service stopped")

    app = FastAPI(
        title="OCR service",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.service = Service(settings, engine_factory, profile_factory=profile_factory)
    app.state.jwks = None
    app.state.llm_server = None

    install_error_handlers(app)
    # innermost: credentials and body size are checked before a body is read (CORS headers still apply)
    app.add_middleware(RequestGuard.for_api, settings=settings)
    if settings.allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_credentials="*" not in settings.allowed_origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["authorization", "x-api-key", "x-request-id", "content-type"],
            expose_headers=["x-request-id", "retry-after", "www-authenticate"],
            max_age=600,
        )
    app.add_middleware(RequestContextMiddleware)

    app.include_router(health.router)
    app.include_router(ocr.router)
    app.include_router(structure.router)
    app.include_router(extraction.router)
    if settings.jobs_backend != "off":  # JOBS_BACKEND=off: no /jobs routes, no job backend (its lifespan)
        app.include_router(jobs.router)
    app.include_router(languages.router)
    app.include_router(models.router)
    app.include_router(debug.router)
    _mount_docs(app)
    install_openapi(app, settings)
    mount_web(app)

    if settings.metrics_port is None:
        # the API's credentials unless METRICS_PUBLIC (a scraper sends x-api-key or a bearer token)
        guarded = [] if settings.metrics_public else [Depends(require_principal)]

        @app.get(
            "/metrics", include_in_schema=True, tags=["diagnostics"], summary="Prometheus metrics", dependencies=guarded
        )
        async def metrics_endpoint() -> Response:
            return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    return app


def _mount_docs(app: FastAPI) -> None:
    """Swagger UI from a PyPI-packaged copy: /docs works with no internet."""
    import swagger_ui_bundle

    assets = Path(swagger_ui_bundle.swagger_ui_path)
    app.mount("/docs/assets", StaticFiles(directory=assets), name="swagger-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="OCR service – API docs",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/docs/assets/favicon-32x32.png",
        )
