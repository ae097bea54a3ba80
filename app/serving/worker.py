"""Bounded admission + engine worker threads with dynamic batching.

Shape (the same as the serving frameworks this service is modelled on):

    request ──admit()──▶ waiting room (bounded: QUEUE_MAX_SIZE) ──▶ in service (≤ concurrency)
                                 full → 429 + Retry-After
    in service: pipeline coroutine ──submit(task)──▶ engine queue ──▶ worker thread (owns the engines)
                                                                      └ pulls several compatible tasks
                                                                        at once (≤ MAX_BATCH_SIZE items,
                                                                        waits ≤ MAX_BATCH_WAIT_MS) and
                                                                        runs them as one batch

Engines are not thread-safe, so each worker thread owns its own engine set and nothing else touches it.
Work whose caller has gone (client disconnected, deadline passed → its future was cancelled) is dropped
before compute.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import queue
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from app.core.errors import AppError, ErrorCode
from app.observability import metrics

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class BatchHandler(Protocol):
    """Runs one kind of task. `key` groups tasks that may share a batch (e.g. the recognition language)."""

    def key(self, payload: Any) -> Any: ...

    def size(self, payload: Any) -> int: ...

    def run(self, engines: Any, payloads: Sequence[Any]) -> list[Any]: ...


@dataclass(eq=False)
class _Task(Generic[T]):
    kind: str
    payload: Any
    key: Any
    size: int
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[T]
    deadline: float | None
    enqueued: float = field(default_factory=time.perf_counter)

    def dead(self) -> str | None:
        if self.future.cancelled() or self.future.done():
            return "cancelled"
        if self.deadline is not None and time.monotonic() > self.deadline:
            return "deadline"
        return None


def _resolve(fut: asyncio.Future[Any], result: Any = None, exc: BaseException | None = None) -> None:
    if fut.done():
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(result)


class EngineWorkers:
    """N worker threads, each owning one engine set built by `engine_factory`, fed from one queue."""

    def __init__(
        self,
        engine_factory: Callable[[], Any],
        handlers: dict[str, BatchHandler],
        *,
        workers: int = 1,
        max_batch_size: int = 16,
        max_batch_wait_ms: float = 5.0,
        name: str = "ocr",
        profile: str = "default",
    ) -> None:
        self._factory = engine_factory
        self.profile = profile
        self._handlers = handlers
        self._n = workers
        self.max_batch_size = max_batch_size  # lowered by the memory guard near OCR_MEMORY_CEILING_MB
        self.base_batch_size = max_batch_size
        self.max_batch_wait_s = max_batch_wait_ms / 1000.0
        self.name = name
        self._q: queue.Queue[_Task[Any] | None] = queue.Queue()
        self._pending: list[_Task[Any]] = []  # pulled from _q but not batched yet (worker-local use only)
        self._threads: list[threading.Thread] = []
        self._ready = threading.Event()
        self._load_error: BaseException | None = None
        self._loaded = 0
        self._lock = threading.Lock()
        self.engines: list[Any] = []

    @property
    def workers(self) -> int:
        return self._n

    # ---- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        for i in range(self._n):
            t = threading.Thread(target=self._main, name=f"{self.name}-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def wait_loaded(self, timeout: float | None = None) -> bool:
        """Blocks until every worker has built its engines (True) or one failed (raises)."""
        ok = self._ready.wait(timeout)
        if self._load_error is not None:
            raise self._load_error
        return ok

    @property
    def loaded(self) -> bool:
        return self._ready.is_set() and self._load_error is None

    @property
    def load_error(self) -> BaseException | None:
        return self._load_error

    def stop(self, timeout: float = 5.0) -> None:
        for _ in self._threads:
            self._q.put(None)
        for t in self._threads:
            t.join(timeout)

    def add_handler(self, kind: str, handler: BatchHandler) -> None:
        self._handlers[kind] = handler

    def depth(self) -> int:
        return self._q.qsize()

    @property
    def alive(self) -> int:
        """Worker threads running now (each owns one engine set)."""
        return sum(t.is_alive() for t in self._threads)

    # ---- submit (event loop side) ----------------------------------------------------------------
    async def submit(self, kind: str, payload: Any, deadline: float | None = None) -> Any:
        handler = self._handlers[kind]
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        task: _Task[Any] = _Task(kind, payload, handler.key(payload), handler.size(payload), loop, fut, deadline)
        self._q.put(task)
        metrics.QUEUE_DEPTH.labels(self.name).set(self._q.qsize())
        try:
            return await fut
        except asyncio.CancelledError:
            fut.cancel()  # the worker will see it and drop the task
            raise

    # ---- worker thread ---------------------------------------------------------------------------
    def _main(self) -> None:
        try:
            engines = self._factory()
        except BaseException as exc:
            log.exception("engine load failed")
            self._load_error = exc
            self._ready.set()
            return
        with self._lock:
            self.engines.append(engines)
            self._loaded += 1
            if self._loaded == self._n:
                self._ready.set()
        try:
            self._serve(engines)
        finally:
            with self._lock:
                self.engines = [e for e in self.engines if e is not engines]
            close = getattr(engines, "close", None)
            if callable(close):  # by the thread that owns them (an unloaded profile frees its models)
                try:
                    close()
                except Exception:
                    log.debug("closing engines failed", exc_info=True)

    def _serve(self, engines: Any) -> None:
        pending: list[_Task[Any]] = []
        while True:
            first = pending.pop(0) if pending else self._q.get()
            if first is None:
                return
            batch = self._collect(first, pending)
            if batch is None:  # stop sentinel seen while collecting
                return
            self._run(engines, batch)

    def _collect(self, first: _Task[Any], pending: list[_Task[Any]]) -> list[_Task[Any]] | None:
        """Greedily gather tasks of the same kind and key as `first`, up to max_batch_size items."""
        batch = [first]
        total = first.size
        deadline = time.perf_counter() + self.max_batch_wait_s
        # tasks already pulled that did not fit the previous batch come first
        for t in list(pending):
            if total >= self.max_batch_size:
                break
            if t.kind == first.kind and t.key == first.key and total + t.size <= self.max_batch_size:
                pending.remove(t)
                batch.append(t)
                total += t.size
        while total < self.max_batch_size:
            remaining = deadline - time.perf_counter()
            try:
                nxt = self._q.get(timeout=remaining) if remaining > 0 else self._q.get_nowait()
            except queue.Empty:
                break
            if nxt is None:
                self._q.put(None)  # let the loop see the sentinel after this batch
                break
            if nxt.kind == first.kind and nxt.key == first.key and total + nxt.size <= self.max_batch_size:
                batch.append(nxt)
                total += nxt.size
            else:
                pending.append(nxt)
                break
        return batch

    def _run(self, engines: Any, batch: list[_Task[Any]]) -> None:
        live = []
        now = time.perf_counter()
        for t in batch:
            reason = t.dead()
            if reason:
                metrics.DROPPED.labels(self.name, reason).inc()
                if reason == "deadline":
                    t.loop.call_soon_threadsafe(
                        _resolve, t.future, None, AppError(ErrorCode.TIMEOUT, "deadline passed while queued")
                    )
                continue
            metrics.QUEUE_WAIT.labels(self.name).observe(now - t.enqueued)
            live.append(t)
        metrics.QUEUE_DEPTH.labels(self.name).set(self._q.qsize())
        if not live:
            return
        handler = self._handlers[live[0].kind]
        metrics.BATCH_SIZE.labels(live[0].kind).observe(sum(t.size for t in live))
        started = time.perf_counter()
        try:
            results = handler.run(engines, [t.payload for t in live])
        except BaseException as exc:
            log.exception("engine batch failed", extra={"kind": live[0].kind, "tasks": len(live)})
            for t in live:
                t.loop.call_soon_threadsafe(_resolve, t.future, None, exc)
            return
        metrics.PROFILE_STAGE_SECONDS.labels(self.profile, live[0].kind).observe(time.perf_counter() - started)
        for t, r in zip(live, results, strict=True):
            t.loop.call_soon_threadsafe(_resolve, t.future, r, None)


class Admission:
    """The bounded waiting room in front of the engines.

    At most `concurrency` requests are in service; at most `max_waiting` more wait for a slot.
    Anything beyond is refused at once with 429 and a Retry-After estimated from recent service times.
    """

    def __init__(self, concurrency: int, max_waiting: int) -> None:
        self.concurrency = concurrency
        self.max_waiting = max_waiting
        self._sem = asyncio.Semaphore(concurrency)
        self.waiting = 0
        self.active = 0
        self._avg_service_s = 1.0
        self.draining = False

    def retry_after(self) -> int:
        backlog = self.waiting + self.active
        return max(1, min(60, math.ceil(backlog * self._avg_service_s / max(1, self.concurrency))))

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self.draining:
            raise AppError(ErrorCode.NOT_READY, "The service is shutting down.", headers={"Retry-After": "5"})
        if self._sem.locked() and self.waiting >= self.max_waiting:
            metrics.QUEUE_REJECTED.labels("admission").inc()
            raise AppError(
                ErrorCode.QUEUE_FULL,
                f"The queue is full ({self.waiting} waiting, {self.active} in progress); retry later.",
                headers={"Retry-After": str(self.retry_after())},
            )
        self.waiting += 1
        metrics.QUEUE_DEPTH.labels("admission").set(self.waiting)
        try:
            await self._sem.acquire()
        finally:
            self.waiting -= 1
            metrics.QUEUE_DEPTH.labels("admission").set(self.waiting)
        self.active += 1
        start = time.perf_counter()
        try:
            yield
        finally:
            self.active -= 1
            self._sem.release()
            took = time.perf_counter() - start
            self._avg_service_s = 0.8 * self._avg_service_s + 0.2 * took

    def snapshot(self) -> dict[str, int]:
        return {
            "waiting": self.waiting,
            "active": self.active,
            "max_waiting": self.max_waiting,
            "concurrency": self.concurrency,
        }
