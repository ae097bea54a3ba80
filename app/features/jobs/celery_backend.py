"""The API side of JOBS_BACKEND=celery: the job is stored (PostgreSQL + S3, by JobBackend) and a message
goes to the Celery workers through Redis. The API process runs no jobs itself (and loads no engines for
them); cancelling marks the record, and the worker holding the job stops at its next chunk."""

from __future__ import annotations

from typing import Any

from app.core import executors
from app.core.config import Settings
from app.core.executors import Work
from app.features.jobs.models import Job


class CeleryDispatch:
    name = "celery"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.celery: Any = None

    async def start(self) -> None:
        from app.features.jobs.celery_app import make_celery

        self.celery = make_celery(self.settings)

    async def stop(self) -> None:
        return None

    async def submitted(self, job: Job) -> None:
        from app.features.jobs.celery_app import kick

        await executors.run(Work.STORE, kick, job, None, None, self.celery)

    async def stopped(self, job_id: str) -> None:
        return None  # the worker sees the cancel in the record between chunks

    async def notify(self, job: Job) -> None:
        if job.callback_url:
            await executors.run(Work.STORE, self.celery.send_task, "ocr.send_webhook", args=[job.id], queue="ocr")
