"""What the /jobs routes need from a job backend (embedded `local` or distributed `celery`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from app.features.jobs.models import Job, NewJob


class JobBackend(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def submit(self, new: NewJob, staged: list[Path]) -> Job:
        """Store the job and its files (the staged paths are consumed) and queue it."""
        ...

    async def get(self, job_id: str) -> Job | None: ...

    async def result(self, job: Job) -> dict[str, Any] | None: ...

    async def list_jobs(self, owner: str, *, status: str | None, limit: int) -> list[Job]: ...

    async def count_active(self, owner: str) -> int: ...

    async def stored_bytes(self, owner: str) -> int:
        """Bytes of the documents uploaded for ``owner``'s kept jobs (any status)."""
        ...

    async def cancel(self, job_id: str) -> Job | None: ...

    async def delete(self, job_id: str) -> None: ...

    def snapshot(self) -> dict[str, Any]: ...


def build_backend(settings: Any, service: Any) -> JobBackend:
    if settings.jobs_backend == "celery":
        from app.features.jobs.celery_backend import CeleryBackend

        return CeleryBackend(settings)
    from app.features.jobs.runner import LocalBackend

    return LocalBackend(settings, service)
