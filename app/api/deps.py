"""FastAPI dependencies: settings, service, auth principal, request id, common form options."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.core.config import Settings
from app.core.errors import AppError, ErrorCode
from app.core.security import Principal, require_principal
from app.documents.types import Limits
from app.engines.languages import SUPPORTED_LANGS, supported_list
from app.runtime.service import Service


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def get_request_id(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def ready_service(service: Annotated[Service, Depends(get_service)]) -> Service:
    service.check_ready()
    return service


def limits_from(settings: Settings) -> Limits:
    return Limits(
        max_bytes=settings.max_upload_bytes,
        max_pixels=settings.max_pixels,
        max_pages=settings.max_pages,
        pdf_dpi=settings.pdf_dpi,
    )


def resolve_lang(lang: str | None, settings: Settings) -> str:
    value = (lang or settings.ocr_default_lang).strip()
    if value not in SUPPORTED_LANGS:
        raise AppError(
            ErrorCode.UNSUPPORTED_LANGUAGE,
            f"Unsupported language {value!r}. Supported: {supported_list()}.",
            details={"supported": list(SUPPORTED_LANGS)},
        )
    return value


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ServiceDep = Annotated[Service, Depends(ready_service)]
PrincipalDep = Annotated[Principal, Depends(require_principal)]
RequestIdDep = Annotated[str | None, Depends(get_request_id)]
