"""The API side of JOBS_BACKEND=celery: uploads go to S3, the job row to PostgreSQL, and a message to
the Celery workers through Redis. The API process runs no jobs itself (and loads no engines for them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.core import executors
from app.core.config import Settings
from app.core.executors import Work
from app.features.jobs import metrics as jm
from app.features.jobs.models import Job, NewJob


class CeleryBackend:
    name = "celery"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.ttl_s = settings.job_ttl_hours * 3600.0
        self.store: Any = None
        self.files: Any = None
        self.celery: Any = None

    async def start(self) -> None:
        from app.features.jobs.celery_app import make_celery
        from app.features.jobs.s3 import S3Files
        from app.features.jobs.sql import SqlJobStore

        assert self.settings.database_url is not None
        self.store = await executors.run(Work.STORE, SqlJobStore, self.settings.database_url)
        self.files = S3Files(self.settings)
        self.celery = make_celery(self.settings)

    async def stop(self) -> None:
        if self.store is not None:
            await executors.run(Work.STORE, self.store.close)

    async def submit(self, new: NewJob, staged: list[Path]) -> Job:
        from app.features.jobs.celery_app import kick

        keys = [self.files.input_key(new.id, f.index) for f in new.files]

        def store_it() -> Job:
            for path, key, f in zip(staged, keys, new.files, strict=True):
                self.files.upload(path, key, f.sha256)
            job: Job = self.store.create(new, keys)
            return job

        job = await executors.run(Work.STORE, store_it)
        await executors.run(Work.STORE, kick, job, None, None, self.celery)
        jm.JOBS_SUBMITTED.labels(job.task).inc()
        return job

    async def get(self, job_id: str) -> Job | None:
        job: Job | None = await executors.run(Work.STORE, self.store.get, job_id)
        return job

    async def result(self, job: Job) -> dict[str, Any] | None:
        if job.status != "succeeded":
            return None
        data: dict[str, Any] | None = await executors.run(
            Work.STORE, self.files.get_json_or_none, self.files.result_key(job.id)
        )
        return data

    async def list_jobs(self, owner: str, *, status: str | None, limit: int) -> list[Job]:
        jobs: list[Job] = await executors.run(Work.STORE, self.store.list_jobs, owner, status=status, limit=limit)
        return jobs

    async def count_active(self, owner: str) -> int:
        return int(await executors.run(Work.STORE, self.store.count_active, owner))

    async def stored_bytes(self, owner: str) -> int:
        return int(await executors.run(Work.STORE, self.store.stored_bytes, owner))

    async def cancel(self, job_id: str) -> Job | None:
        before: Job | None = await executors.run(Work.STORE, self.store.get, job_id)
        job: Job | None = await executors.run(Work.STORE, self.store.cancel, job_id, ttl_s=self.ttl_s)
        if job is not None and before is not None and not before.terminal and job.status == "cancelled":
            jm.JOBS_FINISHED.labels(job.task, "cancelled").inc()
            if job.callback_url:
                await executors.run(Work.STORE, self.celery.send_task, "ocr.send_webhook", args=[job_id], queue="ocr")
        return job

    async def delete(self, job_id: str) -> None:
        await executors.run(Work.STORE, self.store.cancel, job_id, ttl_s=self.ttl_s)
        await executors.run(Work.STORE, self.files.delete_job, job_id)
        await executors.run(Work.STORE, self.store.delete, job_id)

    def snapshot(self) -> dict[str, Any]:
        return {"backend": self.name}
