"""The service's own web page: GET / serves the page, /static/* its files, /web/config what it needs.

Plain HTML, CSS and ES modules (no build step, no CDN, nothing fetched from the internet), so the
page works on an offline network exactly like the API. It calls the API on its own origin with the
credentials the user types in (kept in the browser's session storage), never with server secrets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from app import __version__
from app.core.config import Settings
from app.core.languages import AUTO, AUTO_NAME, CATALOGUE

STATIC_DIR = Path(__file__).resolve().parent / "static"

# The page and its modules come from this origin only; uploaded images are shown from blob: URLs.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

PAGE_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    # revalidate every time (ETag / Last-Modified make that cheap): a new release is never half-cached
    "cache-control": "no-cache",
}


class _StaticFiles(StaticFiles):
    """StaticFiles with the page's security and caching headers on every file."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        for name, value in PAGE_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def web_config(settings: Settings) -> dict[str, Any]:
    """What the page needs to know to render its form: nothing secret. The languages offered are
    ``auto`` (each page read as the language it turns out to be in, the page's default) and the ones this
    deployment serves (OCR_LANGUAGES), code -> name."""

    return {
        "version": __version__,
        "auth_mode": settings.auth_mode.value,
        "default_lang": settings.ocr_default_lang,
        "page_lang": AUTO,
        "languages": {
            AUTO: AUTO_NAME,
            **{code: CATALOGUE[code].name for code in settings.enabled_languages},
        },
        "max_upload_mb": settings.max_upload_mb,
        "max_pages": settings.max_pages,
        "pdf_dpi": settings.pdf_dpi,
    }


def mount_web(app: FastAPI) -> None:
    """Serve the page on GET / and its files under /static. Safe to call more than once."""
    if getattr(app.state, "web_mounted", False):
        return
    app.state.web_mounted = True
    index = STATIC_DIR / "index.html"

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def web_index() -> FileResponse:
        return FileResponse(index, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    @app.get("/web/config", include_in_schema=False)
    async def web_config_endpoint() -> JSONResponse:
        settings: Settings = app.state.settings
        return JSONResponse(web_config(settings), headers={"cache-control": "no-store"})

    app.mount("/static", _StaticFiles(directory=STATIC_DIR), name="web-static")
