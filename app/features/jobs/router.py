"""Async jobs for large documents: POST /jobs, GET /jobs, GET /jobs/{id}, POST /jobs/{id}/cancel,
DELETE /jobs/{id}.

Thin: validate the form, stage the uploads, hand them to the job backend (app.features.jobs). The backend
starts and stops with the app: this router carries a lifespan, which FastAPI merges into the app's when
the router is included (inside the service's own start/stop, so jobs stop before the engines do).
A job is visible only to the API key (Principal.key_id) that submitted it: anyone else gets 404.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from app.auth.security import Principal
from app.core import i18n
from app.core.config import Settings
from app.core.errors import AppError, ErrorCode, error_responses
from app.features.jobs.backend import JobBackend, build_backend
from app.features.jobs.models import Job, iso
from app.features.jobs.schemas import JobAccepted, JobListResponse, JobProgress, JobResponse
from app.features.jobs.service import JobForm
from app.features.jobs.service import submit_job as submit
from app.features.ocr.service import ProfileForm
from app.http.deps import LangForm, MinConfForm, OrientForm, PrincipalDep, RequestIdDep, SettingsDep
from app.http.errors import language_headers, language_of
from app.http.uploads import UPLOAD_ERRORS

log = logging.getLogger(__name__)

_JOB_ID = re.compile(r"^[0-9a-f]{32}$")


@asynccontextmanager
async def jobs_lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    backend = build_backend(settings, app.state.service)
    await backend.start()
    app.state.jobs = backend
    log.info("jobs backend started", extra={"backend": backend.name})
    try:
        yield
    finally:
        await backend.stop()
        app.state.jobs = None


router = APIRouter(tags=["jobs"], lifespan=jobs_lifespan)

SUBMIT_ERRORS = (*UPLOAD_ERRORS, ErrorCode.TOO_MANY_FILES)
READ_ERRORS = (ErrorCode.UNAUTHENTICATED, ErrorCode.NOT_FOUND)


def _backend(request: Request) -> JobBackend:
    backend: JobBackend | None = getattr(request.app.state, "jobs", None)
    if backend is None:
        raise AppError(ErrorCode.NOT_READY, "The job backend is not running.", headers={"Retry-After": "5"})
    return backend


def _not_found(job_id: str) -> AppError:
    return AppError(ErrorCode.NOT_FOUND, f"No job {job_id!r}.")


async def _owned_job(backend: JobBackend, job_id: str, principal: Principal) -> Job:
    if not _JOB_ID.match(job_id):
        raise _not_found(job_id)
    job = await backend.get(job_id)
    if job is None or job.owner != principal.key_id:  # another key's job is indistinguishable from none
        raise _not_found(job_id)
    return job


def _language(request: Request, response: Response) -> str:
    """The language of a job's error message, by Accept-Language (and the headers that say so)."""
    lang = language_of(request)
    response.headers.update(language_headers(lang))
    return lang


def localized_error(error: dict[str, Any] | None, lang: str) -> dict[str, Any] | None:
    """A job's stored error (written in English) with its message in ``lang``; the code stays as stored."""
    if not error or lang == i18n.ENGLISH or not isinstance(error.get("message"), str):
        return error
    code = str(error.get("code") or "")
    known = ErrorCode.from_slug(code)
    default = known.default_message if known is not None else None
    return {**error, "message": i18n.localize(code, error["message"], lang, default)}


async def job_body(
    backend: JobBackend, job: Job, *, include_result: bool = True, lang: str = i18n.ENGLISH
) -> dict[str, Any]:
    """A job as GET /jobs/{id} shows it; its error's message in ``lang`` (webhooks and stored copies: English)."""
    result = await backend.result(job) if include_result and job.status == "succeeded" else None
    webhook = None
    if job.webhook:
        webhook = {k: job.webhook.get(k) for k in ("status", "attempts", "last_error")}
    return {
        "job_id": job.id,
        "status": job.status,
        "task": job.task,
        "progress": {"done": job.done, "total": job.total},
        "result": result,
        "error": localized_error(job.error, lang),
        "files": [
            {
                "filename": f.filename,
                "kind": f.kind,
                "size": f.size,
                "page_count": f.page_count,
                "pages": len(f.pages),
            }
            for f in job.files
        ],
        "attempts": job.attempts,
        "created_at": iso(job.created_at),
        "started_at": iso(job.started_at),
        "finished_at": iso(job.finished_at),
        "expires_at": iso(job.expires_at),
        "webhook": webhook,
    }


@router.post(
    "/jobs",
    status_code=202,
    response_model=JobAccepted,
    summary="Submit a large document (or several) for asynchronous processing",
    description=(
        "Form: `file` or repeated `files`; `task` = `ocr` (default), `structure` or `extraction`; the task's "
        "options (`lang`, `pages`, `min_confidence`, `detect_orientation`; extraction: `fields` or "
        "`template`); `profile` (an engine profile of GET /models; default: OCR_AB's pick for the caller, else "
        "`default`); optional `callback_url` (POSTed a signed `job.completed` event when the job ends). Up to "
        "JOBS_MAX_PAGES pages (default 500) and JOBS_MAX_UPLOAD_MB per file. Answers 202 with "
        "`Location: /jobs/<id>`; poll that for progress and the result."
    ),
    responses={
        202: {"headers": {"Location": {"description": "/jobs/<job_id>", "schema": {"type": "string"}}}},
        **error_responses(*SUBMIT_ERRORS),
    },
)
async def submit_job(
    request: Request,
    principal: PrincipalDep,
    settings: SettingsDep,
    request_id: RequestIdDep,
    file: Annotated[UploadFile | None, File(description="The document (PNG, JPEG, TIFF, BMP, WebP or PDF)")] = None,
    files: Annotated[list[UploadFile] | None, File(description="Several documents (repeated field)")] = None,
    task: Annotated[str, Form(description="ocr | structure | extraction")] = "ocr",
    lang: LangForm = None,
    pages: Annotated[str | None, Form(description="Pages to read in each file, e.g. `1-3,5`; default all")] = None,
    min_confidence: MinConfForm = 0.5,
    detect_orientation: OrientForm = True,
    fields: Annotated[str | None, Form(description="extraction: field names, JSON array or object")] = None,
    template: Annotated[str | None, Form(description="extraction: built-in template, e.g. invoice")] = None,
    callback_url: Annotated[str | None, Form(description="http(s) URL called when the job ends")] = None,
    profile: ProfileForm = None,
) -> JSONResponse:
    form = JobForm(task, lang, pages, min_confidence, detect_orientation, fields, template, callback_url, profile)
    uploads = [u for u in ([file] if file is not None else []) + list(files or []) if u is not None]
    job = await submit(request, _backend(request), settings, principal, request_id, uploads, form)
    log.info(
        "job submitted",
        extra={"job_id": job.id, "task": job.task, "pages": job.total, "key_id": principal.key_id},
    )
    body = JobAccepted(
        job_id=job.id,
        task=job.task,
        progress=JobProgress(done=0, total=job.total),
        created_at=iso(job.created_at),
    )
    return JSONResponse(status_code=202, content=body.model_dump(), headers={"Location": f"/jobs/{job.id}"})


@router.get(
    "/jobs",
    response_model=JobListResponse,
    summary="This API key's jobs, newest first (without results)",
    responses=error_responses(ErrorCode.UNAUTHENTICATED),
)
async def list_jobs(
    request: Request,
    response: Response,
    principal: PrincipalDep,
    status: Annotated[str | None, Query(pattern="^(queued|running|succeeded|failed|cancelled)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    backend = _backend(request)
    jobs = await backend.list_jobs(principal.key_id, status=status, limit=limit)
    lang = _language(request, response)
    return {"jobs": [await job_body(backend, j, include_result=False, lang=lang) for j in jobs]}


@router.get(
    "/jobs/{job_id}",
    response_model=JobResponse,
    summary="A job's status, progress per page, and its result once it succeeded",
    responses=error_responses(*READ_ERRORS),
)
async def get_job(
    request: Request,
    response: Response,
    principal: PrincipalDep,
    job_id: str,
    include_result: Annotated[bool, Query(description="false: status and progress only")] = True,
) -> dict[str, Any]:
    backend = _backend(request)
    job = await _owned_job(backend, job_id, principal)
    return await job_body(backend, job, include_result=include_result, lang=_language(request, response))


@router.post(
    "/jobs/{job_id}/cancel",
    response_model=JobResponse,
    summary="Cancel a queued or running job (a finished job is returned unchanged)",
    responses=error_responses(*READ_ERRORS),
)
async def cancel_job(request: Request, response: Response, principal: PrincipalDep, job_id: str) -> dict[str, Any]:
    backend = _backend(request)
    job = await _owned_job(backend, job_id, principal)
    if not job.terminal:
        job = await backend.cancel(job_id) or job
        log.info("job cancelled", extra={"job_id": job_id, "key_id": principal.key_id})
    return await job_body(backend, job, lang=_language(request, response))


@router.delete(
    "/jobs/{job_id}",
    status_code=204,
    summary="Cancel the job if it is still running and delete it with its files and result",
    responses=error_responses(*READ_ERRORS),
)
async def delete_job(request: Request, principal: PrincipalDep, job_id: str) -> Response:
    backend = _backend(request)
    await _owned_job(backend, job_id, principal)
    await backend.delete(job_id)
    log.info("job deleted", extra={"job_id": job_id, "key_id": principal.key_id})
    return Response(status_code=204)
