"""The embedded job runner (JOBS_BACKEND=local): jobs run on this process's engine workers.

- Jobs are claimed from the SQLite store, JOBS_CONCURRENCY at a time, and processed a few pages at a
  time (JOBS_CHUNK_PAGES) through `Service.submit`: the synchronous routes' work and the jobs' pages share
  one engine queue, and a job never has more than a chunk queued, so /ocr requests are not starved.
- Every finished page is persisted before it is counted: after a crash the job goes on from there.
- Start-up: a running job whose process is gone (kill -9, OOM, node loss) is queued again once
  (JOBS_MAX_ATTEMPTS=2 starts in all), then failed; queued jobs simply resume. A graceful shutdown puts
  its running jobs back in the queue without counting the attempt.
- Leases: the runner heart-beats its jobs; a job whose lease expired (its runner hung or vanished) is
  taken over by any runner sharing the DATA_DIR.
- Cancellation stops the job between chunks (and at once when it runs in this process); finished jobs
  expire after JOB_TTL_HOURS (record, inputs, results).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from pathlib import Path
from typing import Any

from app.core import executors
from app.core.config import Settings
from app.core.executors import Work
from app.features.jobs import metrics as jm
from app.features.jobs.execute import EngineInfo, as_job_error, execute_job
from app.features.jobs.models import Job, JobCancelled, JobFile, NewJob
from app.features.jobs.store import JobStore, runner_id
from app.features.jobs.webhook import deliver

log = logging.getLogger(__name__)

MAX_TRANSIENT_RETRIES = 20
_MAINTENANCE_EVERY_S = 60.0


def transient_delay(retries: int) -> float:
    return float(min(60, 2 ** min(retries, 6)))


class LocalJobIO:
    """JobIO over the SQLite store and DATA_DIR/jobs/<id>/."""

    def __init__(self, store: JobStore, job: Job, runner: str) -> None:
        self.store = store
        self.job = job
        self.runner = runner

    async def completed_pages(self) -> set[tuple[int, int]]:
        return await executors.run(Work.STORE, self.store.completed_pages, self.job.id)

    async def load_input(self, file: JobFile) -> bytes:
        return await executors.run(Work.STORE, self.store.input_path(self.job.id, file.index).read_bytes)

    async def save_page(self, file_index: int, page: int, result: dict[str, Any]) -> None:
        await executors.run(Work.STORE, self.store.save_page, self.job.id, file_index, page, result)
        jm.JOB_PAGES.labels(self.job.task).inc()

    async def load_page(self, file_index: int, page: int) -> dict[str, Any]:
        return await executors.run(Work.STORE, self.store.load_page, self.job.id, file_index, page)

    async def is_cancelled(self) -> bool:
        job = await executors.run(Work.STORE, self.store.get, self.job.id)
        return job is None or job.status != "running" or job.runner != self.runner


class LocalJobRunner:
    def __init__(self, settings: Settings, service: Any, store: JobStore) -> None:
        self.settings = settings
        self.service = service
        self.store = store
        self.me = runner_id()
        self._wake = asyncio.Event()
        self._running: dict[str, asyncio.Task[None]] = {}
        self._stop_reason: dict[str, str] = {}
        self._loops: list[asyncio.Task[None]] = []
        self._side: set[asyncio.Task[None]] = set()
        self._webhooks_sent: set[str] = set()
        self._stopping = False
        self._engine_info: EngineInfo = service.describe
        self.ttl_s = settings.job_ttl_hours * 3600.0

    # ---- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        self._stopping = False
        recovered = await executors.run(
            Work.STORE,
            self.store.recover,
            self.me,
            max_attempts=self.settings.jobs_max_attempts,
            startup=True,
            ttl_s=self.ttl_s,
        )
        self._log_recovered(recovered)
        await executors.run(Work.STORE, self.store.remove_orphans)
        self._loops = [
            asyncio.create_task(self._dispatch(), name="jobs-dispatch"),
            asyncio.create_task(self._heartbeat(), name="jobs-heartbeat"),
            asyncio.create_task(self._maintenance(), name="jobs-maintenance"),
        ]
        for job in await executors.run(Work.STORE, self.store.pending_webhooks):
            self.notify(job)
        log.info("job runner started", extra={"runner": self.me, "recovered": len(recovered)})

    async def stop(self, grace_s: float = 10.0) -> None:
        """Graceful: running jobs go back to the queue (their finished pages are kept)."""
        self._stopping = True
        for t in self._loops:
            t.cancel()
        for job_id, task in list(self._running.items()):
            self._stop_reason[job_id] = "shutdown"
            task.cancel()
        pending = [*self._running.values(), *self._loops, *self._side]
        for t in self._side:
            t.cancel()  # undelivered webhooks stay `pending` and are sent after the next start
        if pending:
            await asyncio.wait(pending, timeout=grace_s)
        self._loops = []

    def wake(self) -> None:
        self._wake.set()

    def running_ids(self) -> list[str]:
        return list(self._running)

    def _log_recovered(self, recovered: list[tuple[str, str]]) -> None:
        for job_id, status in recovered:
            jm.JOBS_RECOVERED.labels(status).inc()
            if status == "failed":
                log.warning("interrupted job failed after its last attempt", extra={"job_id": job_id})
            else:
                log.info("interrupted job queued again", extra={"job_id": job_id})

    # ---- loops -----------------------------------------------------------------------------------
    def _can_run(self) -> bool:
        return bool(self.service.status == "ok")

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        self._wake.clear()

    async def _dispatch(self) -> None:
        while not self._stopping:
            try:
                if len(self._running) >= self.settings.jobs_concurrency or not self._can_run():
                    await self._sleep(0.5)
                    continue
                job = await executors.run(Work.STORE, self.store.claim, self.me, self.settings.jobs_lease_s)
                if job is None:
                    await self._sleep(1.0)
                    continue
                task = asyncio.create_task(self._run(job), name=f"job-{job.id}")
                self._running[job.id] = task
                task.add_done_callback(functools.partial(self._done, job.id))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("job dispatch failed")
                await asyncio.sleep(1.0)

    def _done(self, job_id: str, _task: asyncio.Task[None] | None = None) -> None:
        self._running.pop(job_id, None)
        jm.JOBS_RUNNING.set(len(self._running))
        self._wake.set()

    async def _heartbeat(self) -> None:
        every = max(0.5, self.settings.jobs_lease_s / 3)
        while True:
            await asyncio.sleep(every)
            try:
                await executors.run(
                    Work.STORE, self.store.heartbeat, self.me, list(self._running), self.settings.jobs_lease_s
                )
            except Exception:
                log.exception("job heartbeat failed")

    async def _maintenance(self) -> None:
        every = min(_MAINTENANCE_EVERY_S, self.settings.jobs_lease_s)
        last_orphans = time.monotonic()
        while True:
            try:
                await self.cleanup_expired()
                recovered = await executors.run(
                    Work.STORE,
                    self.store.recover,
                    self.me,
                    max_attempts=self.settings.jobs_max_attempts,
                    startup=False,
                    ttl_s=self.ttl_s,
                )
                if recovered:
                    self._log_recovered(recovered)
                    self._wake.set()
                    for job in await executors.run(Work.STORE, self.store.pending_webhooks):
                        if job.id not in self._webhooks_sent:
                            self.notify(job)
                if time.monotonic() - last_orphans > 3600:
                    await executors.run(Work.STORE, self.store.remove_orphans)
                    last_orphans = time.monotonic()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("job maintenance failed")
            await asyncio.sleep(every)

    async def cleanup_expired(self) -> int:
        """Delete finished jobs past JOB_TTL_HOURS (record and files)."""
        ids = await executors.run(Work.STORE, self.store.expired)
        for job_id in ids:
            await executors.run(Work.STORE, self.store.delete, job_id)
        if ids:
            log.info("expired jobs deleted", extra={"count": len(ids)})
        return len(ids)

    # ---- one job ---------------------------------------------------------------------------------
    async def _run(self, job: Job) -> None:
        jm.JOBS_RUNNING.set(len(self._running) + 1)
        started = time.perf_counter()
        log.info(
            "job started",
            extra={"job_id": job.id, "task": job.task, "attempt": job.attempts, "pages": job.total},
        )
        io = LocalJobIO(self.store, job, self.me)
        outcome: str | None = None
        try:
            await executors.run(Work.STORE, self.store.sync_progress, job.id)
            result = await execute_job(job, io, self.service, self.settings, self._engine_info)
            await executors.run(Work.STORE, self.store.save_result, job.id, result)
            if await executors.run(
                Work.STORE, self.store.finish, job.id, self.me, "succeeded", error=None, ttl_s=self.ttl_s
            ):
                outcome = "succeeded"
        except asyncio.CancelledError:
            reason = self._stop_reason.pop(job.id, "shutdown")
            if reason == "shutdown":
                await executors.run(Work.STORE, self.store.requeue, job.id, self.me, undo_attempt=True)
                log.info("job put back in the queue (shutdown)", extra={"job_id": job.id})
            else:
                log.info("job cancelled", extra={"job_id": job.id})
            return
        except JobCancelled:
            log.info("job stopped: cancelled or taken over", extra={"job_id": job.id})
            return
        except Exception as exc:
            err = as_job_error(exc)
            if err.transient and job.retries < MAX_TRANSIENT_RETRIES:
                delay = transient_delay(job.retries)
                await executors.run(
                    Work.STORE, self.store.requeue, job.id, self.me, undo_attempt=True, delay_s=delay, transient=True
                )
                log.warning(
                    "job waits for the engines",
                    extra={"job_id": job.id, "error": err.code, "retry_in_s": delay},
                )
                return
            if err.code == "internal":
                log.error("job failed", exc_info=exc, extra={"job_id": job.id})
            else:
                log.info("job failed", extra={"job_id": job.id, "error": err.code})
            if await executors.run(
                Work.STORE, self.store.finish, job.id, self.me, "failed", error=err.body(), ttl_s=self.ttl_s
            ):
                outcome = "failed"
        finally:
            jm.JOB_SECONDS.labels(job.task).observe(time.perf_counter() - started)
        if outcome:
            jm.JOBS_FINISHED.labels(job.task, outcome).inc()
            log.info("job finished", extra={"job_id": job.id, "status": outcome})
            finished = await executors.run(Work.STORE, self.store.get, job.id)
            if finished is not None:
                self.notify(finished)

    async def cancel_local(self, job_id: str, wait_s: float = 10.0) -> None:
        task = self._running.get(job_id)
        if task is None:
            return
        self._stop_reason[job_id] = "cancel"
        task.cancel()
        await asyncio.wait([task], timeout=wait_s)

    # ---- webhooks --------------------------------------------------------------------------------
    def notify(self, job: Job) -> None:
        if not job.callback_url or (job.webhook or {}).get("status") != "pending" or job.id in self._webhooks_sent:
            return
        self._webhooks_sent.add(job.id)
        task = asyncio.create_task(self._send_webhook(job), name=f"webhook-{job.id}")
        self._side.add(task)
        task.add_done_callback(self._side.discard)

    async def _send_webhook(self, job: Job) -> None:
        try:
            state = await deliver(job, self.settings)
            jm.WEBHOOKS.labels(state["status"]).inc()
            await executors.run(Work.STORE, self.store.update_webhook, job.id, state)
        finally:
            self._webhooks_sent.discard(job.id)


class LocalBackend:
    """JOBS_BACKEND=local: the store plus the runner, in the API process."""

    name = "local"

    def __init__(self, settings: Settings, service: Any) -> None:
        self.settings = settings
        self.store = JobStore(settings.data_dir)
        self.runner = LocalJobRunner(settings, service, self.store)

    async def start(self) -> None:
        await self.runner.start()

    async def stop(self) -> None:
        await self.runner.stop()

    async def submit(self, new: NewJob, staged: list[Path]) -> Job:
        def store_it() -> Job:
            self.store.adopt_inputs(new.id, staged)
            return self.store.create(new)

        job = await executors.run(Work.STORE, store_it)
        jm.JOBS_SUBMITTED.labels(job.task).inc()
        self.runner.wake()
        return job

    async def get(self, job_id: str) -> Job | None:
        return await executors.run(Work.STORE, self.store.get, job_id)

    async def result(self, job: Job) -> dict[str, Any] | None:
        if job.status != "succeeded":
            return None
        return await executors.run(Work.STORE, self.store.load_result, job.id)

    async def list_jobs(self, owner: str, *, status: str | None, limit: int) -> list[Job]:
        return await executors.run(Work.STORE, self.store.list_jobs, owner, status=status, limit=limit)

    async def count_active(self, owner: str) -> int:
        return await executors.run(Work.STORE, self.store.count_active, owner)

    async def stored_bytes(self, owner: str) -> int:
        return await executors.run(Work.STORE, self.store.stored_bytes, owner)

    async def cancel(self, job_id: str) -> Job | None:
        before = await executors.run(Work.STORE, self.store.get, job_id)
        job = await executors.run(Work.STORE, self.store.cancel, job_id, ttl_s=self.runner.ttl_s)
        await self.runner.cancel_local(job_id)
        if job is not None and before is not None and not before.terminal and job.status == "cancelled":
            jm.JOBS_FINISHED.labels(job.task, "cancelled").inc()
            self.runner.notify(job)
        return job

    async def delete(self, job_id: str) -> None:
        await executors.run(Work.STORE, self.store.cancel, job_id, ttl_s=self.runner.ttl_s)
        await self.runner.cancel_local(job_id)
        await executors.run(Work.STORE, self.store.delete, job_id)

    def snapshot(self) -> dict[str, Any]:
        return {"backend": self.name, "running": len(self.runner.running_ids())}
