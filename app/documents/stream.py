"""Pages decoded as they are needed, against a per-request pixel budget.

A document's pages used to be decoded together before OCR started: a 1.6 KB PDF of ten pages at the
largest page size took the process from 3.2 to 4.4 GB. Here a request decodes its pages in order, one
at a time, and a page is decoded only when the pixels of the pages it already holds (decoded and not yet
finished) leave room for it in its :class:`PixelBudget` (``MAX_PIXELS_IN_FLIGHT``). Memory is bounded by
the work in flight, not by the document; pages that fit together still go to the engines together, so
a short document is still detected page-batched. ``/ocr/batch`` gives its files one budget.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

from app.core import executors
from app.core.executors import Work
from app.documents.decode import PageSource
from app.documents.types import Page

if TYPE_CHECKING:
    from app.core.config import Settings

R = TypeVar("R")


class PixelBudget:
    """Decoded pixels that one request may hold at once. Waiters are served in order; a page larger than
    the whole budget is admitted alone (it has passed MAX_PIXELS, so it is a page the service accepts)."""

    @classmethod
    def for_request(cls, settings: Settings) -> PixelBudget:
        """One request's budget: MAX_PIXELS_IN_FLIGHT."""
        return cls(settings.max_pixels_in_flight)

    def __init__(self, pixels: int) -> None:
        if pixels <= 0:
            raise ValueError("a pixel budget must be positive")
        self.total = pixels
        self.free = pixels
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()

    async def acquire(self, pixels: int) -> int:
        """Wait for room for ``pixels``; returns what was taken (give it back with :meth:`release`)."""
        want = min(pixels, self.total)
        if not self._waiters and self.free >= want:
            self.free -= want
            return want
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((want, future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():  # granted, then cancelled: give it back
                self.release(want)
            raise
        return want

    def release(self, taken: int) -> None:
        self.free += taken
        while self._waiters:
            want, future = self._waiters[0]
            if future.done():  # its waiter was cancelled
                self._waiters.popleft()
                continue
            if self.free < want:
                break
            self._waiters.popleft()
            self.free -= want
            future.set_result(None)


async def map_pages(
    source: PageSource,
    work: Callable[[Page], Awaitable[R]],
    budget: PixelBudget,
    deadline: float | None = None,
    decode_ms: list[float] | None = None,
) -> list[R]:
    """``work`` on every selected page of ``source``, each decoded (in page order, on the DECODE pool)
        when ``budget`` has room for it and released when its work is done. Results in page order; the first
        failure cancels the rest and is raised; on a failure or a cancellation the page being decoded is
    abandoned (a PDF render is killed). ``decode_ms`` (a one-element list) sums the decoding time."""
    decoding = asyncio.Lock()  # one page of a source at a time, in order (FIFO)
    failed = False  # a page failed: the pages queued behind it are not decoded

    async def one(number: int) -> R:
        nonlocal failed
        try:
            async with decoding:
                if failed:
                    raise asyncio.CancelledError
                started = time.perf_counter()
                page = await executors.run(Work.DECODE, source.decode, number, deadline)
                if decode_ms is not None:
                    decode_ms[0] += (time.perf_counter() - started) * 1000
            return await work(page)
        except Exception:
            failed = True
            raise

    tasks: list[asyncio.Task[R]] = []
    try:
        async with asyncio.TaskGroup() as tg:
            for size in source.outline.pages:
                taken = await budget.acquire(size.pixels)
                try:
                    task = tg.create_task(one(size.number))
                except BaseException:
                    budget.release(taken)
                    raise
                # given back when the task ends, however it ends (a task cancelled before it ran included)
                task.add_done_callback(lambda _, taken=taken: budget.release(taken))  # type: ignore[misc]
                tasks.append(task)
    except BaseExceptionGroup as group:  # one page failed: siblings are cancelled, surface its error
        source.abandon()
        raise group.exceptions[0] from None
    except asyncio.CancelledError:  # the request is gone (client left, deadline): stop the page decoding
        source.abandon()
        raise
    return [t.result() for t in tasks]


async def _awaited(awaitable: Awaitable[R]) -> R:
    return await awaitable


async def each_page(pages: Iterable[Page], work: Callable[[Page], Awaitable[R]]) -> list[R]:
    """``work`` on pages already decoded (a job's few), all at once; results in order, the first failure
    cancels the rest and is raised."""
    try:
        async with asyncio.TaskGroup() as tg:
            tasks: list[asyncio.Task[R]] = [tg.create_task(_awaited(work(page))) for page in pages]
    except BaseExceptionGroup as group:
        raise group.exceptions[0] from None
    return [t.result() for t in tasks]
