"""Render every error as the one envelope: {"error": {"code", "message", "request_id"}}, its message in the
language the request's `Accept-Language` prefers (app/core/i18n.py)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core import i18n
from app.core.errors import AppError, ErrorCode

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHENTICATED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    408: ErrorCode.REQUEST_TIMEOUT,
    413: ErrorCode.FILE_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    422: ErrorCode.INVALID_PARAMETER,
    429: ErrorCode.QUEUE_FULL,
    503: ErrorCode.NOT_READY,
    504: ErrorCode.TIMEOUT,
}


def request_id_of(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def language_of(request: Request) -> str:
    """The language a request's answer is written in: `ko` or `en` (the default), by `Accept-Language`."""
    return i18n.negotiate(request.headers.get("accept-language"))


def language_headers(lang: str) -> dict[str, str]:
    """What a response written in `lang` carries: its language, and that it depends on Accept-Language."""
    return {"Content-Language": lang, "Vary": "Accept-Language"}


def render(request: Request, err: AppError) -> JSONResponse:
    rid = request_id_of(request)
    lang = language_of(request)
    headers = {**dict(err.headers), **language_headers(lang)}
    if rid:
        headers["x-request-id"] = rid
    return JSONResponse(status_code=err.status, content=err.body(rid, lang), headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        if exc.status >= 500:
            log.warning("request failed: %s", exc, extra={"code": exc.code.slug})
        return render(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems: list[str] = []
        translated: list[str] = []  # in the caller's language, from pydantic's error types and context
        missing_file = False
        lang = language_of(request)
        for e in exc.errors():
            loc = ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "header"))
            if e.get("type") == "missing" and loc in ("file", "files"):
                missing_file = True
            problems.append(i18n.validation_problem(loc or "request", e, i18n.ENGLISH))
            translated.append(i18n.validation_problem(loc or "request", e, lang))
        code = ErrorCode.MISSING_FILE if missing_file else ErrorCode.INVALID_PARAMETER
        return render(request, AppError(code, "; ".join(problems), translations={lang: "; ".join(translated)}))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, ErrorCode.BAD_REQUEST if exc.status_code < 500 else ErrorCode.INTERNAL)
        message = exc.detail if isinstance(exc.detail, str) else code.default_message
        return render(request, AppError(code, message, headers=dict(exc.headers or {})))

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return render(request, AppError(ErrorCode.INTERNAL))
