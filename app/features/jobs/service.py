"""The jobs feature's request side: a POST /jobs submission checked against the job limits, its uploads
staged and inspected, and handed to the job backend. The router only reads the form and shapes the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request, UploadFile

from app.auth.security import Principal
from app.core import executors
from app.core.config import Settings
from app.core.errors import AppError, ErrorCode
from app.core.executors import Work
from app.engines.profiles import DEFAULT
from app.features.jobs.backend import JobBackend
from app.features.jobs.documents import inspect_file, remove_tree, stage_upload, staging_dir
from app.features.jobs.execute import get_task, job_limits
from app.features.jobs.models import TASKS, Job, JobFile, NewJob
from app.features.jobs.webhook import validate_callback_url
from app.features.ocr.service import caller_of
from app.http.deps import resolve_lang
from app.http.uploads import check_content_length


@dataclass(slots=True)
class JobForm:
    """The POST /jobs form, less the files."""

    task: str
    lang: str | None  # as sent; a language code once submit_job has resolved it
    pages: str | None
    min_confidence: float
    detect_orientation: bool
    fields: str | None
    template: str | None
    callback_url: str | None
    profile: str | None = None  # as sent; the engine profile's name once submit_job has resolved it

    def options(self) -> dict[str, Any]:
        """What the task runs with, as the job stores it."""
        options: dict[str, Any] = {
            "lang": self.lang,
            "pages": self.pages.strip() if self.pages and self.pages.strip() else None,
            "min_confidence": self.min_confidence,
            "detect_orientation": self.detect_orientation,
        }
        if self.task == "extraction":
            options.update(fields=self.fields, template=self.template)
        if self.profile and self.profile != DEFAULT:  # jobs of default (and older jobs) have no key
            options["profile"] = self.profile
        return options


def check_accepting(request: Request, backend: JobBackend) -> None:
    """Local jobs run on this process's engines: refuse new ones while it drains or failed to load."""
    if backend.name != "local":
        return
    service = request.app.state.service
    if service.status == "draining":
        raise AppError(ErrorCode.NOT_READY, "The service is shutting down.", headers={"Retry-After": "5"})
    if service.status == "failed":
        raise AppError(ErrorCode.NOT_READY, f"Engines failed to load: {service.error}")


def _task_name(task: str | None) -> str:
    name = (task or "ocr").strip().lower()
    if name not in TASKS:
        raise AppError(
            ErrorCode.INVALID_PARAMETER,
            f"Unknown task {name!r}; one of: {', '.join(TASKS)}.",
            details={"parameter": "task", "allowed": list(TASKS)},
        )
    return name


def _over_quota(stored: int, uploaded: int, quota: int) -> AppError:
    adding = f"; this job would add {uploaded / 2**20:.1f} MB" if uploaded else ""
    return AppError(
        ErrorCode.STORAGE_QUOTA_EXCEEDED,
        f"This API key's jobs keep {stored / 2**20:.1f} MB of documents{adding}, and the quota is "
        f"{quota / 2**20:.0f} MB (JOBS_MAX_STORED_MB_PER_KEY). DELETE /jobs/<id> of finished jobs, or wait "
        "for them to expire (JOB_TTL_HOURS).",
        details={"stored_bytes": stored, "upload_bytes": uploaded, "quota_bytes": quota},
    )


async def _check_key_limits(backend: JobBackend, settings: Settings, key_id: str) -> int:
    """Refuse a key with too many unfinished jobs or a full document quota; returns the bytes it stores."""
    active = await backend.count_active(key_id)
    if active >= settings.jobs_max_active_per_key:
        raise AppError(
            ErrorCode.QUEUE_FULL,
            f"This API key already has {active} unfinished jobs (JOBS_MAX_ACTIVE_PER_KEY); retry when some finish.",
            headers={"Retry-After": "30"},
        )
    stored = await backend.stored_bytes(key_id)
    if stored >= settings.jobs_max_stored_bytes_per_key:
        raise _over_quota(stored, 0, settings.jobs_max_stored_bytes_per_key)
    return stored


async def _stage(
    uploads: list[UploadFile], staging: Path, settings: Settings, pages: str | None
) -> tuple[list[JobFile], list[Path]]:
    """Each upload written to the staging folder (size-capped, hashed) and inspected (type, pages)."""
    job_files: list[JobFile] = []
    paths: list[Path] = []
    limits = job_limits(settings)
    for i, upload in enumerate(uploads):
        try:
            staged = await stage_upload(upload, staging / str(i), settings.jobs_max_upload_bytes)
            await upload.close()
            found = await executors.run(Work.DECODE, inspect_file, staged.path, limits, pages, staged.filename)
        except AppError as err:
            if len(uploads) > 1:  # say which file
                name = upload.filename or f"file {i + 1}"
                details = {**(err.details or {}), "file": name}
                raise AppError(err.code, f"{name}: {err.message}", headers=err.headers, details=details) from err
            raise
        job_files.append(
            JobFile(i, staged.filename, found.kind, staged.size, staged.sha256, found.page_count, found.pages)
        )
        paths.append(staged.path)
    return job_files, paths


async def submit_job(
    request: Request,
    backend: JobBackend,
    settings: Settings,
    principal: Principal,
    request_id: str | None,
    uploads: list[UploadFile],
    form: JobForm,
) -> Job:
    """Check the submission (task, options, files, the key's limits), stage the uploads and create the job.
    Every refusal is an AppError before anything is stored; the staging folder is removed either way."""
    check_accepting(request, backend)
    form.task = _task_name(form.task)
    service = request.app.state.service
    if form.task == "structure" and backend.name == "local":
        reason = service.unavailable("layout", "table")
        if reason is not None:
            raise AppError(
                ErrorCode.INVALID_PARAMETER,
                f"task 'structure' is not available: {reason}.",
                details={"parameter": "task"},
            )
    form.lang = resolve_lang(form.lang, settings)
    # the engine profile: the `profile` field (unknown: 422), else OCR_AB's sticky pick for this caller
    form.profile = service.profiles.choose(form.profile, caller_of(principal)).name
    options = form.options()
    get_task(form.task).validate(options, settings)
    callback = validate_callback_url(form.callback_url, settings)
    if not uploads:
        raise AppError(ErrorCode.MISSING_FILE, "Send the document in the form field 'file' (or repeated 'files').")
    if len(uploads) > settings.jobs_max_files:
        raise AppError(
            ErrorCode.TOO_MANY_FILES,
            f"{len(uploads)} files sent; a job takes at most {settings.jobs_max_files} (JOBS_MAX_FILES).",
        )
    check_content_length(request, settings.jobs_max_upload_bytes, files=len(uploads))
    stored = await _check_key_limits(backend, settings, principal.key_id)

    staging = await executors.run(Work.STORE, staging_dir, settings.data_dir)
    try:
        job_files, paths = await _stage(uploads, staging, settings, options["pages"])
        uploaded = sum(f.size for f in job_files)
        if stored + uploaded > settings.jobs_max_stored_bytes_per_key:
            raise _over_quota(stored, uploaded, settings.jobs_max_stored_bytes_per_key)
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
            task=form.task,
            options=options,
            files=job_files,
            callback_url=callback,
            request_id=request_id,
        )
        return await backend.submit(new, paths)
    finally:
        await executors.run(Work.STORE, remove_tree, staging)
