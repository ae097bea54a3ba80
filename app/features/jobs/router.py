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
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from app.auth.security import Principal
from app.core import executors
from app.core.config import Settings
from app.core.errors import AppError, ErrorCode, error_responses
from app.core.executors import Work
from app.features.jobs.backend import JobBackend, build_backend
from app.features.jobs.documents import inspect_file, remove_tree, stage_upload, staging_dir
from app.features.jobs.execute import get_task, job_limits
from app.features.jobs.models import TASKS, Job, JobFile, NewJob, iso
from app.features.jobs.schemas import JobAccepted, JobListResponse, JobProgress, JobResponse
from app.features.jobs.webhook import validate_callback_url
from app.http.deps import LangForm, MinConfForm, OrientForm, PrincipalDep, RequestIdDep, SettingsDep, resolve_lang
from app.http.uploads import check_content_length

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

SUBMIT_ERRORS = (
    ErrorCode.MISSING_FILE,
    ErrorCode.EMPTY_FILE,
    ErrorCode.CORRUPT_DOCUMENT,
    ErrorCode.ENCRYPTED_DOCUMENT,
    ErrorCode.UNAUTHENTICATED,
    ErrorCode.FILE_TOO_LARGE,
    ErrorCode.TOO_MANY_PIXELS,
    ErrorCode.TOO_MANY_PAGES,
    ErrorCode.TOO_MANY_FILES,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    ErrorCode.INVALID_PARAMETER,
    ErrorCode.UNSUPPORTED_LANGUAGE,
    ErrorCode.LANGUAGE_NOT_ENABLED,
    ErrorCode.QUEUE_FULL,
    ErrorCode.NOT_READY,
)
READ_ERRORS = (ErrorCode.UNAUTHENTICATED, ErrorCode.NOT_FOUND)


def _backend(request: Request) -> JobBackend:
    backend: JobBackend | None = getattr(request.app.state, "jobs", None)
    if backend is None:
        raise AppError(ErrorCode.NOT_READY, "The job backend is not running.", headers={"Retry-After": "5"})
    return backend


def _check_accepting(request: Request, backend: JobBackend) -> None:
    """Local jobs run on this process's engines: refuse new ones while it drains or failed to load."""
    if backend.name != "local":
        return
    service = request.app.state.service
    if service.status == "draining":
        raise AppError(ErrorCode.NOT_READY, "The service is shutting down.", headers={"Retry-After": "5"})
    if service.status == "failed":
        raise AppError(ErrorCode.NOT_READY, f"Engines failed to load: {service.error}")


def _not_found(job_id: str) -> AppError:
    return AppError(ErrorCode.NOT_FOUND, f"No job {job_id!r}.")


async def _owned_job(backend: JobBackend, job_id: str, principal: Principal) -> Job:
    if not _JOB_ID.match(job_id):
        raise _not_found(job_id)
    job = await backend.get(job_id)
    if job is None or job.owner != principal.key_id:  # another key's job is indistinguishable from none
        raise _not_found(job_id)
    return job


async def job_body(backend: JobBackend, job: Job, *, include_result: bool = True) -> dict[str, Any]:
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
        "error": job.error,
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


def _task_options(
    task: str,
    *,
    lang: str,
    pages: str | None,
    min_confidence: float,
    detect_orientation: bool,
    fields: str | None,
    template: str | None,
) -> dict[str, Any]:
    options: dict[str, Any] = {
        "lang": lang,
        "pages": pages,
        "min_confidence": min_confidence,
        "detect_orientation": detect_orientation,
    }
    if task == "extraction":
        options.update(fields=fields, template=template)
    return options


@router.post(
    "/jobs",
    status_code=202,
    response_model=JobAccepted,
    summary="Submit a large document (or several) for asynchronous processing",
    description=(
        "Form: `file` or repeated `files`; `task` = `ocr` (default), `structure` or `extraction`; the task's "
        "options (`lang`, `pages`, `min_confidence`, `detect_orientation`; extraction: `fields` or "
        "`template`); optional `callback_url` (POSTed a signed `job.completed` event when the job ends). Up to "
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
) -> JSONResponse:
    backend = _backend(request)
    _check_accepting(request, backend)
    task = (task or "ocr").strip().lower()
    if task not in TASKS:
        raise AppError(
            ErrorCode.INVALID_PARAMETER,
            f"Unknown task {task!r}; one of: {', '.join(TASKS)}.",
            details={"parameter": "task", "allowed": list(TASKS)},
        )
    job_task = get_task(task)
    service = request.app.state.service
    if task == "structure" and backend.name == "local" and not service.supports("layout"):
        where = (
            "this deployment's engines run on a model server (OCR_MODEL_SERVER_URL), which serves text "
            "detection and recognition only"
            if getattr(service, "remote", None) is not None
            else "the layout and table engines are not loaded in this service"
        )
        raise AppError(
            ErrorCode.INVALID_PARAMETER,
            f"task 'structure' is not available: {where}.",
            details={"parameter": "task"},
        )
    options = _task_options(
        task,
        lang=resolve_lang(lang, settings),
        pages=pages.strip() if pages and pages.strip() else None,
        min_confidence=min_confidence,
        detect_orientation=detect_orientation,
        fields=fields,
        template=template,
    )
    job_task.validate(options, settings)
    callback = validate_callback_url(callback_url, settings)

    uploads = [u for u in ([file] if file is not None else []) + list(files or []) if u is not None]
    if not uploads:
        raise AppError(ErrorCode.MISSING_FILE, "Send the document in the form field 'file' (or repeated 'files').")
    if len(uploads) > settings.jobs_max_files:
        raise AppError(
            ErrorCode.TOO_MANY_FILES,
            f"{len(uploads)} files sent; a job takes at most {settings.jobs_max_files} (JOBS_MAX_FILES).",
        )
    check_content_length(request, settings.jobs_max_upload_bytes, files=len(uploads))
    active = await backend.count_active(principal.key_id)
    if active >= settings.jobs_max_active_per_key:
        raise AppError(
            ErrorCode.QUEUE_FULL,
            f"This API key already has {active} unfinished jobs (JOBS_MAX_ACTIVE_PER_KEY); retry when some finish.",
            headers={"Retry-After": "30"},
        )

    quota = settings.jobs_max_stored_bytes_per_key
    stored = await backend.stored_bytes(principal.key_id)
    if stored >= quota:
        raise _over_quota(stored, 0, quota)

    staging = await executors.run(Work.STORE, staging_dir, settings.data_dir)
    try:
        job_files: list[JobFile] = []
        staged_paths: list[Path] = []
        limits = job_limits(settings)
        for i, upload in enumerate(uploads):
            try:
                staged = await stage_upload(upload, staging / str(i), settings.jobs_max_upload_bytes)
                await upload.close()
                found = await executors.run(
                    Work.DECODE, inspect_file, staged.path, limits, options["pages"], staged.filename
                )
            except AppError as err:
                if len(uploads) > 1:  # say which file
                    name = upload.filename or f"file {i + 1}"
                    details = {**(err.details or {}), "file": name}
                    raise AppError(err.code, f"{name}: {err.message}", headers=err.headers, details=details) from err
                raise
            job_files.append(
                JobFile(i, staged.filename, found.kind, staged.size, staged.sha256, found.page_count, found.pages)
            )
            staged_paths.append(staged.path)
        uploaded = sum(f.size for f in job_files)
        if stored + uploaded > quota:
            raise _over_quota(stored, uploaded, quota)
        total = sum(len(f.pages) for f in job_files)
        if total > settings.jobs_max_pages:
            raise AppError(
                ErrorCode.TOO_MANY_PAGES,
                f"{total} pages in all; a job takes at most {settings.jobs_max_pages} (JOBS_MAX_PAGES). "
                "Select fewer pages with `pages` or split the submission.",
                details={"selected": total, "limit": settings.jobs_max_pages},
            )
        new = NewJob(
            owner=principal.key_id,
            task=task,
            options=options,
            files=job_files,
            callback_url=callback,
            request_id=request_id,
        )
        job = await backend.submit(new, staged_paths)
    finally:
        await executors.run(Work.STORE, remove_tree, staging)
    log.info(
        "job submitted",
        extra={"job_id": job.id, "task": task, "pages": job.total, "key_id": principal.key_id},
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
    principal: PrincipalDep,
    status: Annotated[str | None, Query(pattern="^(queued|running|succeeded|failed|cancelled)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    backend = _backend(request)
    jobs = await backend.list_jobs(principal.key_id, status=status, limit=limit)
    return {"jobs": [await job_body(backend, j, include_result=False) for j in jobs]}


@router.get(
    "/jobs/{job_id}",
    response_model=JobResponse,
    summary="A job's status, progress per page, and its result once it succeeded",
    responses=error_responses(*READ_ERRORS),
)
async def get_job(
    request: Request,
    principal: PrincipalDep,
    job_id: str,
    include_result: Annotated[bool, Query(description="false: status and progress only")] = True,
) -> dict[str, Any]:
    backend = _backend(request)
    job = await _owned_job(backend, job_id, principal)
    return await job_body(backend, job, include_result=include_result)


@router.post(
    "/jobs/{job_id}/cancel",
    response_model=JobResponse,
    summary="Cancel a queued or running job (a finished job is returned unchanged)",
    responses=error_responses(*READ_ERRORS),
)
async def cancel_job(request: Request, principal: PrincipalDep, job_id: str) -> dict[str, Any]:
    backend = _backend(request)
    job = await _owned_job(backend, job_id, principal)
    if not job.terminal:
        job = await backend.cancel(job_id) or job
        log.info("job cancelled", extra={"job_id": job_id, "key_id": principal.key_id})
    return await job_body(backend, job)


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


def _over_quota(stored: int, uploaded: int, quota: int) -> AppError:
    adding = f"; this job would add {uploaded / 2**20:.1f} MB" if uploaded else ""
    return AppError(
        ErrorCode.STORAGE_QUOTA_EXCEEDED,
        f"This API key's jobs keep {stored / 2**20:.1f} MB of documents{adding}, and the quota is "
        f"{quota / 2**20:.0f} MB (JOBS_MAX_STORED_MB_PER_KEY). DELETE /jobs/<id> of finished jobs, or wait "
        "for them to expire (JOB_TTL_HOURS).",
        details={"stored_bytes": stored, "upload_bytes": uploaded, "quota_bytes": quota},
    )
