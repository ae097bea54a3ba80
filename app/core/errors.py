"""One error enum, each code mapped to its HTTP status; errors are raised as AppError and rendered once."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, Field

from app.core import i18n


class ErrorCode(Enum):
    # value = (http status, default message)
    BAD_REQUEST = (400, "The request is malformed.")
    MISSING_FILE = (400, "The form field 'file' is required.")
    EMPTY_FILE = (400, "The uploaded file is empty.")
    CORRUPT_DOCUMENT = (400, "The document could not be read; it may be corrupt or truncated.")
    ENCRYPTED_DOCUMENT = (400, "The PDF is encrypted or password-protected.")
    UNAUTHENTICATED = (401, "Missing or invalid credentials.")
    INVALID_TOKEN = (401, "The bearer token is invalid.")
    TOKEN_EXPIRED = (401, "The bearer token has expired.")
    FORBIDDEN = (403, "Authenticated but not allowed.")
    NOT_FOUND = (404, "Not found.")
    METHOD_NOT_ALLOWED = (405, "Method not allowed.")
    REQUEST_TIMEOUT = (408, "The request body did not arrive in time.")
    FILE_TOO_LARGE = (413, "The file is larger than the configured limit.")
    TOO_MANY_PIXELS = (413, "The image has more pixels than the configured limit.")
    TOO_MANY_PAGES = (413, "The document has more pages than the configured limit.")
    TOO_MANY_FILES = (413, "Too many files in one batch.")
    STORAGE_QUOTA_EXCEEDED = (413, "The API key's stored jobs use up its storage quota.")
    UNSUPPORTED_MEDIA_TYPE = (415, "Unsupported document type.")
    INVALID_PARAMETER = (422, "A parameter is invalid.")
    UNSUPPORTED_LANGUAGE = (422, "Unsupported language.")
    LANGUAGE_NOT_ENABLED = (422, "The language is known but not enabled on this deployment (OCR_LANGUAGES).")
    UNKNOWN_PROFILE = (422, "Unknown engine profile; GET /models lists them.")
    QUEUE_FULL = (429, "The service is busy; retry later.")
    CLIENT_CLOSED_REQUEST = (499, "The client closed the connection before the answer was ready.")
    INTERNAL = (500, "Internal server error.")
    AUTH_UNAVAILABLE = (503, "The identity provider's keys could not be fetched.")
    NOT_READY = (503, "The service is not ready (models loading or draining).")
    TOO_MANY_CONNECTIONS = (503, "The service has too many open connections (MAX_CONNECTIONS); retry shortly.")
    MODEL_SERVER_UNAVAILABLE = (503, "The model server is unreachable.")
    PROFILE_OVER_MEMORY_BUDGET = (
        503,
        "Loading this engine profile would pass OCR_PROFILES_MEMORY_MB or OCR_MEMORY_CEILING_MB.",
    )
    TIMEOUT = (504, "The request took longer than the configured timeout.")
    MODEL_SERVER_TIMEOUT = (504, "The model server did not answer in time.")

    @property
    def status(self) -> int:
        return self.value[0]

    @property
    def default_message(self) -> str:
        return self.value[1]

    @property
    def slug(self) -> str:
        return self.name.lower()

    @classmethod
    def from_slug(cls, slug: str) -> ErrorCode | None:
        """The code an envelope's ``code`` names (a model server's answer, a stored job error); None if unknown."""
        return next((c for c in cls if c.slug == slug), None)


class AppError(Exception):
    """An error with a stable code, a status derived from it and a human message."""

    def __init__(
        self,
        code: ErrorCode,
        message: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        details: dict[str, Any] | None = None,
        translations: dict[str, str] | None = None,
    ) -> None:
        self.code = code
        self.message = message or code.default_message
        self.headers = headers or {}
        self.details = details
        self.translations = translations or {}  # the message already written in other languages
        super().__init__(f"{code.slug}: {self.message}")

    @property
    def status(self) -> int:
        return self.code.status

    def localized_message(self, lang: str = i18n.ENGLISH) -> str:
        """The message in `lang` (`app/core/messages_ko.py` for Korean); English as raised."""
        if lang in self.translations:
            return self.translations[lang]
        return i18n.localize(self.code.slug, self.message, lang, self.code.default_message)

    def body(self, request_id: str | None, lang: str = i18n.ENGLISH) -> dict[str, Any]:
        message = self.localized_message(lang)
        error: dict[str, Any] = {"code": self.code.slug, "message": message, "request_id": request_id}
        if self.details:
            error["details"] = self.details
        return {"error": error}


class ErrorBody(BaseModel):
    code: str = Field(description="Stable snake_case error code", examples=["queue_full"])
    message: str = Field(
        description="Human-readable explanation, in the language the request's Accept-Language prefers "
        "(Korean or English; the response's Content-Language says which)"
    )
    request_id: str | None = Field(description="Same as the x-request-id response header")
    details: dict[str, Any] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody


def error_responses(*codes: ErrorCode) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for the given codes, grouped by status, all with the error envelope."""
    by_status: dict[int, list[ErrorCode]] = {}
    for code in codes:
        by_status.setdefault(code.status, []).append(code)
    out: dict[int | str, dict[str, Any]] = {}
    for status, group in sorted(by_status.items()):
        names = ", ".join(f"`{c.slug}`" for c in group)
        out[status] = {"model": ErrorResponse, "description": f"Error envelope; code is one of {names}."}
    return out
