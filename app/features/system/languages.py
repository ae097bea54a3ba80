"""GET /languages: every language code the service knows, which ones this deployment serves, what reads
each one and how to enable the others. Thin: the facts are the catalogue's (app/core/languages.py)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends

from app.core import languages
from app.core.config import ModelSource
from app.core.errors import ErrorCode, error_responses
from app.features.system.schemas import LanguagesResponse
from app.http.deps import PrincipalDep, SettingsDep, get_service
from app.serving.service import Service

router = APIRouter(tags=["languages"])

_TESSERACT_VERSION = re.compile(r"^tesseract-[^:]*:")


def _live(engines: Any, code: str) -> tuple[str, str] | None:
    """What the loaded engines say reads ``code`` (Korean's fallback, a hub model that did not load)."""
    try:
        rec = str(engines.describe(code)["models"]["rec"])
    except (ValueError, KeyError, TypeError):
        return None
    if rec.startswith("tesseract"):
        return languages.TESSERACT, _TESSERACT_VERSION.sub("tesseract:", rec)
    return "paddleocr", rec


@router.get(
    "/languages",
    response_model=LanguagesResponse,
    summary="The language codes (`lang`) this service knows, which ones it serves, and how to enable the others",
    responses=error_responses(ErrorCode.UNAUTHENTICATED, ErrorCode.INVALID_TOKEN, ErrorCode.TOKEN_EXPIRED),
)
async def list_languages(
    _: PrincipalDep, settings: SettingsDep, service: Service = Depends(get_service)
) -> dict[str, Any]:
    enabled = set(settings.enabled_languages)
    # in split mode the model server's engines are not known here: the settings say what reads what
    engines = service.engines() if service.remote is None else None
    rows = []
    for code, entry in languages.CATALOGUE.items():
        engine, model = languages.served_by(
            entry,
            rec_model=settings.ocr_rec_model,
            hub=settings.ocr_model_source == ModelSource.HUB,
            korean_model=settings.ocr_korean_rec_model,
        )
        if engines is not None and code in enabled:
            engine, model = _live(engines, code) or (engine, model)
        rows.append(
            {
                "code": code,
                "name": entry.name,
                "script": entry.script,
                "enabled": code in enabled,
                "engine": engine,
                "model": model,
                "package": entry.package,
                "how_to_enable": None if code in enabled else languages.how_to_enable(entry),
            }
        )
    return {"default": settings.ocr_default_lang, "languages": rows}
