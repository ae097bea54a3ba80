"""FastAPI dependencies: settings, service, auth principal, request id, common form options."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, File, Form, Request, UploadFile

from app.auth.security import Principal, require_principal
from app.core import languages
from app.core.config import Settings
from app.core.errors import AppError, ErrorCode
from app.serving.service import Service


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


def resolve_lang(lang: str | None, settings: Settings) -> str:
    """The request's language (default OCR_DEFAULT_LANG), checked for every route that takes `lang`
    (and the model server's): unknown -> 422 `unsupported_language`; known but not served here ->
    422 `language_not_enabled`, saying which setting and Debian package enable it."""
    value = (lang or settings.ocr_default_lang).strip()
    if value == languages.AUTO:
        return value
    entry = languages.get(value)
    enabled = settings.enabled_languages
    if entry is None:
        close = languages.suggest(value)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise AppError(
            ErrorCode.UNSUPPORTED_LANGUAGE,
            f"Unsupported language {value!r}: use a PaddleOCR `lang` code such as {', '.join(enabled[:6])}.{hint} "
            "GET /languages lists every code and which ones this deployment serves.",
            details={"supported": enabled},
        )
    if value not in enabled:
        raise AppError(
            ErrorCode.LANGUAGE_NOT_ENABLED,
            f"{languages.how_to_enable(entry)}.",
            details={"lang": value, "setting": languages.SETTING, "package": entry.package},
        )
    return value


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ServiceDep = Annotated[Service, Depends(ready_service)]
PrincipalDep = Annotated[Principal, Depends(require_principal)]
RequestIdDep = Annotated[str | None, Depends(get_request_id)]

# ---- the form fields every document route shares (multipart/form-data) ---------------------------------
DocumentFile = Annotated[UploadFile, File(description="PNG, JPEG, TIFF, BMP, WebP or PDF")]
LangForm = Annotated[
    str | None,
    Form(
        description="PaddleOCR language code (korean, en, ch, japan, latin, fr, th, ru, ar, hi, …: GET /languages); "
        "default OCR_DEFAULT_LANG"
    ),
]
PagesForm = Annotated[
    str | None, Form(description="Pages to read, e.g. `1-3,5` (1-based); default all, at most MAX_PAGES")
]
MinConfForm = Annotated[float, Form(ge=0.0, le=1.0, description="Lines with a lower confidence are dropped")]
OrientForm = Annotated[bool, Form(description="Detect and correct 90/180/270 page rotation")]
PageImagesForm = Annotated[
    bool,
    Form(
        description="Also return each page's image (`pages[].image`, a JPEG as the engines read the page, in the "
        "boxes' pixel space), for OCR_PAGE_IMAGE_MAX_PAGES pages at most; default false"
    ),
]
WordsForm = Annotated[
    bool,
    Form(
        description="Also return each line's words with their boxes (`lines[].words`: text and [x0, y0, x1, y1], "
        "placed on the page's ink); default false"
    ),
]
