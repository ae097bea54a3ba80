"""One run of one claimed job, the same for the embedded runner and the Celery workers:

    claim (the caller: oldest queued, or the job a message names)
    → execute_job over the job store and file store (pages persisted as they finish)
    → result saved → succeeded | failed (only while the claim holds: a cancel in between wins)
      | queued again (the engines were away: transient, with a back-off) | put back (shutdown).

What differs between the two callers is only how a job is claimed, how it is woken again after a
back-off (the local dispatcher polls; Celery sends a delayed message) and how a webhook is sent; those
come in as arguments. Retention (`cleanup_expired`) is shared too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.core import executors
from app.core.config import Settings
from app.core.executors import Work
from app.features.jobs import metrics as jm
from app.features.jobs.execute import EngineInfo, as_job_error, execute_job
from app.features.jobs.files import JobFiles
from app.features.jobs.models import Job, JobCancelled, JobFile
from app.features.jobs.store import JobStore, interrupted
from app.features.ocr.pipeline import Submitter

log = logging.getLogger(__name__)

MAX_TRANSIENT_RETRIES = 20


def transient_delay(retries: int) -> float:
    return float(min(60, 2 ** min(retries, 6)))


@dataclass(slots=True)
class JobRuntime:
    """What running jobs needs: where state and bytes live, and the engines."""

    settings: Settings
    store: JobStore
    files: JobFiles
    service: Submitter
    engine_info: EngineInfo

    @property
    def ttl_s(self) -> float:
        return self.settings.job_ttl_hours * 3600.0


async def _io(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return await executors.run(Work.STORE, fn, *args, **kwargs)


def _profile(rt: JobRuntime, job: Job) -> contextlib.AbstractAsyncContextManager[Any]:
    """The job reads with its engine profile (loaded first, within the memory budget), as a request that
    names it would; jobs of `default` (and jobs stored before profiles) need nothing."""
    name = job.options.get("profile")
    profiles = getattr(rt.service, "profiles", None)
    if not name or profiles is None:
        return contextlib.nullcontext()
    use: contextlib.AbstractAsyncContextManager[Any] = profiles.use(str(name))
    return use


class StoredJobIO:
    """The JobIO of execute_job over the job store (progress, cancellation) and the file store (bytes)."""

    def __init__(self, rt: JobRuntime, job: Job, token: str) -> None:
        self.rt = rt
        self.job = job
        self.token = token

    async def completed_pages(self) -> set[tuple[int, int]]:
        done: set[tuple[int, int]] = await _io(self.rt.files.completed_pages, self.job.id)
        await _io(self.rt.store.set_done, self.job.id, len(done))  # a page written but not counted
        return done

    async def load_input(self, file: JobFile) -> bytes:
        data: bytes = await _io(self.rt.files.load_input, self.job.id, file.index)
        return data

    async def save_page(self, file_index: int, page: int, result: dict[str, Any]) -> None:
        await _io(self.rt.files.save_page, self.job.id, file_index, page, result)  # persisted, then counted
        await _io(self.rt.store.increment_done, self.job.id)
        jm.JOB_PAGES.labels(self.job.task).inc()

    async def load_page(self, file_index: int, page: int) -> dict[str, Any]:
        data: dict[str, Any] = await _io(self.rt.files.load_page, self.job.id, file_index, page)
        return data

    async def is_cancelled(self) -> bool:
        status, worker = await _io(self.rt.store.holder, self.job.id)
        return bool(status != "running" or worker != self.token)


async def run_job(
    job: Job,
    token: str,
    rt: JobRuntime,
    *,
    requeued: Callable[[Job, float], None] | None = None,
    shutting_down: Callable[[], bool] = lambda: True,
) -> str:
    """Run a job that `token` has claimed; returns its outcome: succeeded | failed | queued (waits for the
    engines, `requeued(job, delay_s)` is told) | cancelled (cancelled or taken over meanwhile)."""
    settings, store = rt.settings, rt.store
    if job.attempts > settings.jobs_max_attempts:  # taken over from workers that kept dying
        failed = await _io(store.finish, job.id, token, "failed", error=interrupted(job.attempts - 1), ttl_s=rt.ttl_s)
        return _finished(job, "failed" if failed else "cancelled")
    started = time.perf_counter()
    log.info("job started", extra={"job_id": job.id, "task": job.task, "attempt": job.attempts, "pages": job.total})
    outcome = "cancelled"
    try:
        async with _profile(rt, job):
            result = await execute_job(job, StoredJobIO(rt, job, token), rt.service, settings, rt.engine_info)
        key = await _io(rt.files.save_result, job.id, result)
        if await _io(store.finish, job.id, token, "succeeded", error=None, ttl_s=rt.ttl_s, result_key=key):
            outcome = "succeeded"
    except asyncio.CancelledError:
        if shutting_down():  # the process stops: the job goes back to the queue, the attempt not counted
            await _io(store.requeue, job.id, token, undo_attempt=True)
            log.info("job put back in the queue (shutdown)", extra={"job_id": job.id})
            outcome = "queued"
        else:
            log.info("job cancelled", extra={"job_id": job.id})
    except JobCancelled:
        log.info("job stopped: cancelled or taken over", extra={"job_id": job.id})
    except Exception as exc:
        err = as_job_error(exc)
        if err.transient and job.retries < MAX_TRANSIENT_RETRIES:
            delay = transient_delay(job.retries)
            if await _io(store.requeue, job.id, token, undo_attempt=True, delay_s=delay, transient=True):
                outcome = "queued"
                if requeued is not None:
                    requeued(job, delay)
            log.warning("job waits for the engines", extra={"job_id": job.id, "error": err.code, "retry_in_s": delay})
        else:
            if err.code == "internal":
                log.error("job failed", exc_info=exc, extra={"job_id": job.id})
            else:
                log.info("job failed", extra={"job_id": job.id, "error": err.code})
            if await _io(store.finish, job.id, token, "failed", error=err.body(), ttl_s=rt.ttl_s):
                outcome = "failed"
    finally:
        jm.JOB_SECONDS.labels(job.task).observe(time.perf_counter() - started)
    return _finished(job, outcome)


def _finished(job: Job, outcome: str) -> str:
    if outcome in ("succeeded", "failed"):
        jm.JOBS_FINISHED.labels(job.task, outcome).inc()
        log.info("job finished", extra={"job_id": job.id, "status": outcome})
    return outcome


def log_recovered(recovered: list[tuple[str, str]]) -> None:
    for job_id, status in recovered:
        jm.JOBS_RECOVERED.labels(status).inc()
        if status == "failed":
            log.warning("interrupted job failed after its last attempt", extra={"job_id": job_id})
        else:
            log.info("interrupted job queued again", extra={"job_id": job_id})


def cleanup_expired(store: JobStore, files: JobFiles) -> int:
    """Delete finished jobs past JOB_TTL_HOURS: files first, then the record (synchronous)."""
    ids = store.expired()
    for job_id in ids:
        files.delete_job(job_id)
        store.delete(job_id)
    if ids:
        log.info("expired jobs deleted", extra={"count": len(ids)})
    return len(ids)
