"""The OCR feature's request side, shared by /ocr, /ocr/batch, /structure and /extraction: the OCR form
fields as pipeline options, one document request as the routes receive it (`DocumentCallDep`), and the
OCR of an uploaded document under the service's limits."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, TypeVar

from fastapi import BackgroundTasks, Depends, Form, Request, UploadFile

from app.auth.security import Principal
from app.core.config import Settings
from app.core.errors import AppError
from app.documents.limits import limits_from_settings
from app.documents.stream import PixelBudget
from app.engines.profiles import Profile
from app.features.ocr.page_images import PageImages
from app.features.ocr.pipeline import OcrOptions, ocr_bytes
from app.features.ocr.shadow import compare_with, pages_of
from app.features.ocr.types import DocumentResult
from app.http.deps import (
    LangForm,
    MinConfForm,
    OrientForm,
    PrincipalDep,
    RequestIdDep,
    ServiceDep,
    SettingsDep,
    resolve_lang,
)
from app.http.uploads import run_document_request
from app.observability import metrics
from app.serving.service import Service

T = TypeVar("T")


def ocr_options(
    settings: SettingsDep,
    lang: LangForm = None,
    min_confidence: MinConfForm = 0.5,
    detect_orientation: OrientForm = True,
) -> OcrOptions:
    """The OCR form fields as pipeline options; an unsupported language is a 422 naming the supported ones."""
    return OcrOptions(resolve_lang(lang, settings), min_confidence, detect_orientation)


OcrOptionsDep = Annotated[OcrOptions, Depends(ocr_options)]
ProfileForm = Annotated[
    str | None,
    Form(
        description="Engine profile to read with (GET /models lists them); default: the deployment's choice "
        "for this caller (OCR_AB), else `default`"
    ),
]


@dataclass(slots=True)
class DocumentCall:
    """One single-document request (/ocr, /structure, /extraction): authenticated, the service ready,
    the OCR options parsed. The upload stays a parameter of the route itself, so that `file` comes first
    in the form as the OpenAPI schema has always listed it."""

    request: Request
    service: Service
    settings: Settings
    request_id: str | None
    opts: OcrOptions
    profile: Profile  # the engine profile it reads with (the `profile` field, else OCR_AB's pick)
    background: BackgroundTasks | None = None
    _read: DocumentResult | None = field(default=None, repr=False)  # its OCR reading, for a shadow read

    async def run(self, file: UploadFile, work: Callable[[bytes, float], Awaitable[T]]) -> T:
        """Read the upload, take an admission slot, run `work(data, deadline)` under the request deadline,
        with the request's engine profile; counted by profile (ocr_profile_requests_total)."""
        route = getattr(self.request.scope.get("route"), "path", None) or self.request.url.path
        started, status = time.perf_counter(), 500
        data = b""

        async def read(upload: bytes, deadline: float) -> T:
            nonlocal data
            data = upload
            return await work(upload, deadline)

        try:
            async with self.service.profiles.use(self.profile.name):
                result = await run_document_request(self.request, self.service, self.settings, file, read)
            status = 200
        except AppError as err:
            status = err.status
            raise
        finally:
            metrics.PROFILE_REQUESTS.labels(self.profile.name, route, str(status)).inc()
            metrics.PROFILE_LATENCY.labels(self.profile.name, route).observe(time.perf_counter() - started)
        answer = self._read or getattr(result, "document", None)
        if isinstance(answer, DocumentResult):
            self._shadow(data, answer)
        return result

    def _shadow(self, data: bytes, answer: DocumentResult) -> None:
        """OCR_SHADOW: read the answer's pages again on the sampled profiles once the answer has been sent."""
        background = self.background
        if background is None:
            return
        shadows, service, settings, opts, pages = (
            self.service.shadows,
            self.service,
            self.settings,
            self.opts,
            pages_of(answer),
        )

        def reading() -> Awaitable[DocumentResult]:
            deadline = time.monotonic() + settings.request_timeout_s
            return ocr_upload(data, service=service, settings=settings, opts=opts, pages=pages, deadline=deadline)

        async def launch(name: str) -> None:  # a background task of the response: runs once it was sent
            shadows.start(name, reading, compare_with(name, answer))

        for name in shadows.sample(self.profile.name):
            background.add_task(launch, name)

    async def ocr(
        self, data: bytes, deadline: float, pages: str | None, *, page_images: bool = False, words: bool = False
    ) -> DocumentResult:
        self._read = await ocr_upload(
            data,
            service=self.service,
            settings=self.settings,
            opts=self.opts,
            pages=pages,
            deadline=deadline,
            page_images=PageImages.from_settings(self.settings) if page_images else None,
            words=words,
        )
        return self._read


def document_call(
    request: Request,
    principal: PrincipalDep,
    service: ServiceDep,
    settings: SettingsDep,
    request_id: RequestIdDep,
    opts: OcrOptionsDep,
    background: BackgroundTasks,
    profile: ProfileForm = None,
) -> DocumentCall:
    """An unknown `profile` is a 422 `unknown_profile`; without one, OCR_AB picks by caller (sticky)."""
    chosen = service.profiles.choose(profile, caller_of(principal))
    return DocumentCall(request, service, settings, request_id, opts, chosen, background)


DocumentCallDep = Annotated[DocumentCall, Depends(document_call)]


def caller_of(principal: Principal) -> str:
    """Who OCR_AB splits by: the API key's id, or the Cognito subject."""
    return principal.subject if principal.method == "cognito" else principal.key_id


async def ocr_upload(
    data: bytes,
    *,
    service: Service,
    settings: Settings,
    opts: OcrOptions,
    pages: str | None,
    deadline: float,
    budget: PixelBudget | None = None,
    page_images: PageImages | None = None,
    words: bool = False,
) -> DocumentResult:
    """OCR an uploaded document under the service's limits (what /ocr, /ocr/batch and /extraction read);
    ``budget``: the request's pixel budget when it reads several documents (/ocr/batch), else its own;
    ``page_images``: each page also carries its image; ``words``: each line its words' boxes."""
    info = service.describe(opts.lang)
    return await ocr_bytes(
        data,
        opts,
        service,
        limits=limits_from_settings(settings),
        budget=budget or PixelBudget.for_request(settings),
        pages=pages,
        engine_info=info,
        deadline=deadline,
        page_images=page_images,
        words=words,
    )
