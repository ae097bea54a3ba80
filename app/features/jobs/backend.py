"""The job backend the /jobs routes use: one job store (SQLite or PostgreSQL), one file store (local or
S3), and a dispatcher that runs the jobs:

    JOBS_BACKEND=local    LocalJobRunner: this process's engine workers run them (app.features.jobs.runner)
    JOBS_BACKEND=celery   CeleryDispatch: a message per job to the Celery workers (app.features.jobs.celery_app)

Which stores are used follows the settings, not the dispatcher: DATABASE_URL (else SQLite under
DATA_DIR/jobs) and JOBS_BUCKET (else DATA_DIR/jobs). Celery mode needs both set, since its workers run
elsewhere; the local runner can use them too (several API tasks sharing one database and bucket).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from app.core import executors
from app.core.config import Settings
from app.core.executors import Work
from app.features.jobs import metrics as jm
from app.features.jobs.files import JobFiles, open_files
from app.features.jobs.models import Job, NewJob
from app.features.jobs.run import JobRuntime
from app.features.jobs.runner import LocalJobRunner
from app.features.jobs.store import JobStore, open_store


class Dispatcher(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def submitted(self, job: Job) -> None:
        """A new job is stored: have it run."""
        ...

    async def stopped(self, job_id: str) -> None:
        """The job was cancelled or is being deleted: stop it where it runs (if this process runs it)."""
        ...

    async def notify(self, job: Job) -> None:
        """The job ended: send its completion callback (when it has one)."""
        ...


class JobBackend:
    def __init__(self, settings: Settings, service: Any) -> None:
        self.settings = settings
        self.service = service
        self.name: str = settings.jobs_backend
        self.ttl_s = settings.job_ttl_hours * 3600.0
        self.store: JobStore | Any = None
        self.files: JobFiles | Any = None
        self.dispatcher: Dispatcher | Any = None

    async def _io(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return await executors.run(Work.STORE, fn, *args, **kwargs)

    async def start(self) -> None:
        self.store = await self._io(open_store, self.settings)
        self.files = await self._io(open_files, self.settings)
        if self.name == "celery":
            from app.features.jobs.celery_backend import CeleryDispatch  # celery only where it is used

            self.dispatcher = CeleryDispatch(self.settings)
        else:
            rt = JobRuntime(self.settings, self.store, self.files, self.service, self.service.describe)
            self.dispatcher = LocalJobRunner(rt)
        await self.dispatcher.start()

    async def stop(self) -> None:
        if self.dispatcher is not None:
            await self.dispatcher.stop()
        if self.store is not None:
            await self._io(self.store.close)

    async def submit(self, new: NewJob, staged: list[Path]) -> Job:
        """Store the job and its files (the staged paths are consumed) and have it run."""

        def store_it() -> Job:
            keys = self.files.adopt_inputs(new.id, [(p, f.sha256) for p, f in zip(staged, new.files, strict=True)])
            job: Job = self.store.create(new, keys)
            return job

        job: Job = await self._io(store_it)
        await self.dispatcher.submitted(job)
        jm.JOBS_SUBMITTED.labels(job.task).inc()
        return job

    async def get(self, job_id: str) -> Job | None:
        job: Job | None = await self._io(self.store.get, job_id)
        return job

    async def result(self, job: Job) -> dict[str, Any] | None:
        if job.status != "succeeded":
            return None
        data: dict[str, Any] | None = await self._io(self.files.load_result, job.id)
        return data

    async def list_jobs(self, owner: str, *, status: str | None, limit: int) -> list[Job]:
        jobs: list[Job] = await self._io(self.store.list_jobs, owner, status=status, limit=limit)
        return jobs

    async def count_active(self, owner: str) -> int:
        return int(await self._io(self.store.count_active, owner))

    async def stored_bytes(self, owner: str) -> int:
        """Bytes of the documents uploaded for ``owner``'s kept jobs (any status)."""
        return int(await self._io(self.store.stored_bytes, owner))

    async def cancel(self, job_id: str) -> Job | None:
        before = await self.get(job_id)
        job: Job | None = await self._io(self.store.cancel, job_id, ttl_s=self.ttl_s)
        await self.dispatcher.stopped(job_id)
        if job is not None and before is not None and not before.terminal and job.status == "cancelled":
            jm.JOBS_FINISHED.labels(job.task, "cancelled").inc()
            await self.dispatcher.notify(job)
        return job

    async def delete(self, job_id: str) -> None:
        await self._io(self.store.cancel, job_id, ttl_s=self.ttl_s)
        await self.dispatcher.stopped(job_id)
        await self._io(self.files.delete_job, job_id)
        await self._io(self.store.delete, job_id)


def build_backend(settings: Settings, service: Any) -> JobBackend:
    return JobBackend(settings, service)
