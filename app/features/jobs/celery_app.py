"""Distributed jobs (JOBS_BACKEND=celery): Celery workers with a Redis broker and result backend, job
files in S3, state in PostgreSQL. The workers are the API's image started with another command:

    celery -A app.features.jobs.celery_app worker --loglevel INFO          (make worker)
    celery -A app.features.jobs.celery_app beat                            (make worker-beat)

Tasks (by name; the API sends them with `send_task`, so it never imports the engines):

    ocr.extract_text(job_id)       task=ocr
    ocr.extract_structure(job_id)  task=structure
    ocr.extract_fields(job_id)     task=extraction
    ocr.send_webhook(job_id)       the signed completion callback
    ocr.recover_stale()            beat, every minute: jobs whose worker died are queued again once
    ocr.cleanup_expired()          beat, every 10 minutes: JOB_TTL_HOURS retention (rows and S3 objects)

A worker process owns one runtime: an event loop thread and a `Service` with the same engine pools and
batching as the API (or, with OCR_MODEL_SERVER_URL, the model server client), shared by the worker's
threads (pool `threads`, JOBS_CONCURRENCY jobs at once). Messages are acknowledged late; the database
lease decides who runs a job, so a redelivered or duplicated message never runs it twice. Running a
claimed job is app.features.jobs.run.run_job, the same as the embedded runner's.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Coroutine
from typing import Any, TypeVar

from celery import Celery, Task
from celery.signals import worker_process_init, worker_process_shutdown, worker_ready, worker_shutdown

from app.core import executors
from app.core.config import AuthMode, Settings, load_settings
from app.core.executors import Work
from app.features.jobs import metrics as jm
from app.features.jobs import run as jobrun
from app.features.jobs.files import open_files
from app.features.jobs.models import Job
from app.features.jobs.store import JobStore, worker_id
from app.features.jobs.webhook import deliver

log = logging.getLogger(__name__)

T = TypeVar("T")

TASK_NAMES: dict[str, str] = {
    "ocr": "ocr.extract_text",
    "structure": "ocr.extract_structure",
    "extraction": "ocr.extract_fields",
}
QUEUE = "ocr"


def _worker_settings() -> Settings:
    # the workers serve no HTTP: the API's auth settings do not apply to them
    return load_settings(auth_mode=AuthMode.NONE)


def make_celery(settings: Settings) -> Celery:
    capp = Celery("ocr", broker=settings.broker_url, backend=settings.result_backend_url)
    configure_celery(capp, settings)
    return capp


def configure_celery(capp: Celery, settings: Settings) -> None:
    capp.conf.update(
        broker_url=settings.broker_url,
        result_backend=settings.result_backend_url,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_default_queue=QUEUE,
        task_acks_late=True,  # a job's message is acknowledged when the job is done
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_pool="threads",
        worker_concurrency=settings.jobs_concurrency,
        worker_hijack_root_logger=False,
        result_expires=int(settings.job_ttl_hours * 3600),
        broker_connection_retry_on_startup=True,
        # a message unacknowledged this long is delivered again; the lease check makes that harmless
        broker_transport_options={"visibility_timeout": 3600},
        result_backend_transport_options={"visibility_timeout": 3600},
        beat_schedule={
            "ocr.recover_stale": {"task": "ocr.recover_stale", "schedule": 60.0},
            "ocr.cleanup_expired": {"task": "ocr.cleanup_expired", "schedule": 600.0},
        },
    )


app = make_celery(_worker_settings())


# ---- the worker process's runtime ------------------------------------------------------------------


class WorkerRuntime:
    """One per worker process: event loop thread + Service (engines) + job store + file store, shared by its
    threads."""

    def __init__(self, settings: Settings, engine_factory: Any = None) -> None:
        from app.serving.service import Service

        if not settings.database_url:
            raise RuntimeError("DATABASE_URL: required for the Celery workers")
        self.settings = settings
        self.worker_id = worker_id()
        self.store = JobStore(settings.database_url)
        self.files = open_files(settings)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="ocr-worker-loop", daemon=True)
        self._thread.start()
        self.service = Service(settings, engine_factory)
        self.run(self._start())
        self.jobs = jobrun.JobRuntime(settings, self.store, self.files, self.service, self.service.describe)
        self._running: dict[str, str] = {}  # job id -> the claim token of the execution running it
        self._lock = threading.Lock()
        self._heartbeat = asyncio.run_coroutine_threadsafe(self._beat(), self.loop)

    async def _start(self) -> None:
        await self.service.start()
        if self.service.remote is None:
            for pool in self.service.pools.values():
                await asyncio.to_thread(pool.wait_loaded)
        self.service.status = "ok"

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _beat(self) -> None:
        every = max(0.5, self.settings.jobs_lease_s / 3)
        while True:
            await asyncio.sleep(every)
            with self._lock:
                holders = dict(self._running)
            if holders:
                try:
                    await executors.run(Work.STORE, self.store.heartbeat, holders, self.settings.jobs_lease_s)
                except Exception:
                    log.exception("job heartbeat failed")

    def claim_token(self) -> str:
        """Each execution claims with its own token: two threads of one worker never share a job."""
        return f"{self.worker_id}:{uuid.uuid4().hex[:8]}"

    def holding(self, job_id: str, token: str | None) -> None:
        with self._lock:
            if token is None:
                self._running.pop(job_id, None)
            else:
                self._running[job_id] = token
            jm.JOBS_RUNNING.set(len(self._running))

    def close(self) -> None:
        self._heartbeat.cancel()
        try:
            self.run(self.service.stop(), timeout=30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self.store.close()


_runtime: WorkerRuntime | None = None
_runtime_lock = threading.Lock()
_configured: tuple[Settings, Any] | None = None


def configure(settings: Settings, engine_factory: Any = None) -> None:
    """Point this process's Celery app and runtime at `settings` (tests, embedding); before any task."""
    global _configured
    _configured = (settings, engine_factory)
    configure_celery(app, settings)


def runtime() -> WorkerRuntime:
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            settings, factory = _configured or (_worker_settings(), None)
            _runtime = WorkerRuntime(settings, factory)
        return _runtime


def shutdown_runtime() -> None:
    global _runtime
    with _runtime_lock:
        if _runtime is not None:
            _runtime.close()
            _runtime = None


@worker_process_init.connect
def _init_child(**_: Any) -> None:  # prefork: each child loads its engines after the fork
    runtime()


@worker_ready.connect
def _init_worker(sender: Any = None, **_: Any) -> None:  # threads/solo: load before the first job
    pool_cls = getattr(getattr(sender, "controller", None), "pool_cls", None)
    if pool_cls is not None and "prefork" in getattr(pool_cls, "__module__", ""):
        return
    runtime()


@worker_process_shutdown.connect
@worker_shutdown.connect
def _shutdown(**_: Any) -> None:
    shutdown_runtime()


# ---- tasks -------------------------------------------------------------------------------------------


def kick(job: Job | str, task: str | None = None, countdown: float | None = None, capp: Celery | None = None) -> None:
    """Send the job's Celery message (by name: the sender needs no engines)."""
    job_id = job if isinstance(job, str) else job.id
    name = TASK_NAMES[task if task is not None else (job.task if isinstance(job, Job) else "ocr")]
    (capp or app).send_task(name, args=[job_id], queue=QUEUE, countdown=countdown)


def run_job(job_id: str) -> dict[str, Any]:
    """The task behind ocr.extract_*: claim the job the message names, then the shared run_job."""
    rt = runtime()
    token = rt.claim_token()
    job, state = rt.store.claim(job_id, token, rt.settings.jobs_lease_s)
    if job is None or state != "claimed":
        # finished/cancelled/deleted, or a live worker has it (a duplicate message): nothing to do
        return {"job_id": job_id, "status": state}
    rt.holding(job_id, token)
    try:
        outcome = rt.run(
            jobrun.run_job(job, token, rt.jobs, requeued=lambda j, delay: kick(j, countdown=delay)),
        )
    finally:
        rt.holding(job_id, None)
    if outcome in ("succeeded", "failed") and job.callback_url:
        app.send_task("ocr.send_webhook", args=[job_id], queue=QUEUE)
    return {"job_id": job_id, "status": outcome}


@app.task(name="ocr.extract_text", bind=True, ignore_result=False)
def extract_text(self: Task, job_id: str) -> dict[str, Any]:
    return run_job(job_id)


@app.task(name="ocr.extract_structure", bind=True, ignore_result=False)
def extract_structure(self: Task, job_id: str) -> dict[str, Any]:
    return run_job(job_id)


@app.task(name="ocr.extract_fields", bind=True, ignore_result=False)
def extract_fields(self: Task, job_id: str) -> dict[str, Any]:
    return run_job(job_id)


@app.task(name="ocr.send_webhook", ignore_result=True)
def send_webhook(job_id: str) -> str:
    rt = runtime()
    job = rt.store.get(job_id)
    if job is None or not job.callback_url or (job.webhook or {}).get("status") != "pending":
        return "skipped"
    state = asyncio.run(deliver(job, rt.settings))
    jm.WEBHOOKS.labels(state["status"]).inc()
    rt.store.update_webhook(job_id, state)
    return str(state["status"])


@app.task(name="ocr.recover_stale")
def recover_stale() -> dict[str, int]:
    rt = runtime()
    settings = rt.settings
    recovered = rt.store.recover(None, max_attempts=settings.jobs_max_attempts, ttl_s=rt.jobs.ttl_s)
    jobrun.log_recovered(recovered)
    requeued = 0
    for job_id, status in recovered:
        job = rt.store.get(job_id)
        if job is None:
            continue
        if status == "queued":
            kick(job)
            requeued += 1
        elif job.callback_url:
            app.send_task("ocr.send_webhook", args=[job_id], queue=QUEUE)
    # messages lost with a flushed broker: queued jobs nobody touched for a long time are sent again
    for job_id in rt.store.stale_queued(older_than_s=max(600.0, settings.jobs_lease_s * 10)):
        job = rt.store.get(job_id)
        if job is not None:
            rt.store.touch(job_id)
            kick(job)
    return {"recovered": len(recovered), "requeued": requeued}


@app.task(name="ocr.cleanup_expired")
def cleanup_expired() -> int:
    rt = runtime()
    return jobrun.cleanup_expired(rt.store, rt.files)
