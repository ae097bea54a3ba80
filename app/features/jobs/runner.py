"""The embedded job runner (JOBS_BACKEND=local): jobs run on this process's engine workers.

- Jobs are claimed from the job store, JOBS_CONCURRENCY at a time, and run by `run_job` (app.features.
  jobs.run), a few pages at a time (JOBS_CHUNK_PAGES) through `Service.submit`: the synchronous routes'
  work and the jobs' pages share one engine queue, and a job never has more than a chunk queued, so
  /ocr requests are not starved.
- Every finished page is persisted before it is counted: after a crash the job goes on from there.
- Start-up: a running job whose process is gone (kill -9, OOM, node loss) is queued again once
  (JOBS_MAX_ATTEMPTS=2 starts in all), then failed; queued jobs simply resume. A graceful shutdown puts
  its running jobs back in the queue without counting the attempt.
- Leases: the runner heart-beats its jobs; a job whose lease expired (its runner hung or vanished) is
  taken over by any runner sharing the store.
- Cancellation stops the job between chunks (and at once when it runs in this process); finished jobs
  expire after JOB_TTL_HOURS (record, inputs, results).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from typing import Any

from app.core import executors
from app.core.executors import Work
from app.features.jobs import metrics as jm
from app.features.jobs.models import Job
from app.features.jobs.run import JobRuntime, cleanup_expired, log_recovered, run_job
from app.features.jobs.store import worker_id
from app.features.jobs.webhook import deliver

log = logging.getLogger(__name__)

_MAINTENANCE_EVERY_S = 60.0
_ORPHANS_EVERY_S = 3600.0


class LocalJobRunner:
    name = "local"

    def __init__(self, rt: JobRuntime) -> None:
        self.rt = rt
        self.settings = rt.settings
        self.store = rt.store
        self.me = worker_id()
        self._wake = asyncio.Event()
        self._running: dict[str, asyncio.Task[None]] = {}
        self._stop_reason: dict[str, str] = {}
        self._loops: list[asyncio.Task[None]] = []
        self._side: set[asyncio.Task[None]] = set()
        self._webhooks_sent: set[str] = set()
        self._stopping = False

    async def _io(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return await executors.run(Work.STORE, fn, *args, **kwargs)

    # ---- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        self._stopping = False
        recovered = await self._recover(startup=True)
        await self._remove_orphans()
        self._loops = [
            asyncio.create_task(self._dispatch(), name="jobs-dispatch"),
            asyncio.create_task(self._heartbeat(), name="jobs-heartbeat"),
            asyncio.create_task(self._maintenance(), name="jobs-maintenance"),
        ]
        await self._send_pending_webhooks()
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

    async def submitted(self, job: Job) -> None:
        self._wake.set()

    def running_ids(self) -> list[str]:
        return list(self._running)

    async def _recover(self, *, startup: bool) -> list[tuple[str, str]]:
        recovered: list[tuple[str, str]] = await self._io(
            self.store.recover,
            self.me,
            max_attempts=self.settings.jobs_max_attempts,
            ttl_s=self.rt.ttl_s,
            startup=startup,
        )
        log_recovered(recovered)
        return recovered

    async def _remove_orphans(self) -> None:
        known = await self._io(self.store.job_ids)
        await self._io(self.rt.files.remove_orphans, known)

    # ---- loops -----------------------------------------------------------------------------------
    def _can_run(self) -> bool:
        return bool(getattr(self.rt.service, "status", "ok") == "ok")

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
                job = await self._io(self.store.claim_next, self.me, self.settings.jobs_lease_s)
                if job is None:
                    await self._sleep(1.0)
                    continue
                task = asyncio.create_task(self._run(job), name=f"job-{job.id}")
                self._running[job.id] = task
                jm.JOBS_RUNNING.set(len(self._running))
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
                holders = dict.fromkeys(self._running, self.me)
                await self._io(self.store.heartbeat, holders, self.settings.jobs_lease_s)
            except Exception:
                log.exception("job heartbeat failed")

    async def _maintenance(self) -> None:
        every = min(_MAINTENANCE_EVERY_S, self.settings.jobs_lease_s)
        last_orphans = time.monotonic()
        while True:
            try:
                await self.cleanup_expired()
                if await self._recover(startup=False):
                    self._wake.set()
                    await self._send_pending_webhooks()
                if time.monotonic() - last_orphans > _ORPHANS_EVERY_S:
                    await self._remove_orphans()
                    last_orphans = time.monotonic()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("job maintenance failed")
            await asyncio.sleep(every)

    async def cleanup_expired(self) -> int:
        """Delete finished jobs past JOB_TTL_HOURS (record and files)."""
        return int(await self._io(cleanup_expired, self.store, self.rt.files))

    # ---- one job ---------------------------------------------------------------------------------
    async def _run(self, job: Job) -> None:
        outcome = await run_job(
            job, self.me, self.rt, shutting_down=lambda: self._stop_reason.pop(job.id, "shutdown") == "shutdown"
        )
        if outcome in ("succeeded", "failed"):
            finished = await self._io(self.store.get, job.id)
            if finished is not None:
                await self.notify(finished)

    async def stopped(self, job_id: str, wait_s: float = 10.0) -> None:
        task = self._running.get(job_id)
        if task is None:
            return
        self._stop_reason[job_id] = "cancel"
        task.cancel()
        await asyncio.wait([task], timeout=wait_s)

    # ---- webhooks --------------------------------------------------------------------------------
    async def notify(self, job: Job) -> None:
        if not job.callback_url or (job.webhook or {}).get("status") != "pending" or job.id in self._webhooks_sent:
            return
        self._webhooks_sent.add(job.id)
        task = asyncio.create_task(self._send_webhook(job), name=f"webhook-{job.id}")
        self._side.add(task)
        task.add_done_callback(self._side.discard)

    async def _send_pending_webhooks(self) -> None:
        for job in await self._io(self.store.pending_webhooks):
            await self.notify(job)

    async def _send_webhook(self, job: Job) -> None:
        try:
            state = await deliver(job, self.settings)
            jm.WEBHOOKS.labels(state["status"]).inc()
            await self._io(self.store.update_webhook, job.id, state)
        finally:
            self._webhooks_sent.discard(job.id)
