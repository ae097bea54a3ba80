"""Bounded thread pools, one per kind of blocking work, so that one kind cannot starve another.

All blocking calls made from the event loop used to share asyncio's default executor: threads waiting
on slow documents filled it, and `GET /jobs` (a quick database read) waited 6 s behind them. Each kind
now has its own pool:

- ``Work.DECODE``: decoding uploads, rendering PDFs (waiting for a PDF worker), encoding pages;
- ``Work.STORE``: the job store and job files (database, disk, S3);
- ``Work.CPU``: pure-Python work on results (extraction rules, result assembly).

``configure()`` sets the sizes (the app does from DECODE_THREADS, STORE_THREADS, CPU_WORK_THREADS); a pool
is created on first use. ``run()`` is ``asyncio.to_thread`` on the kind's pool (context variables carried).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from enum import Enum
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class Work(Enum):
    DECODE = "decode"
    STORE = "store"
    CPU = "cpu"


_sizes: dict[Work, int] = {Work.DECODE: 4, Work.STORE: 8, Work.CPU: 2}
_pools: dict[Work, ThreadPoolExecutor] = {}
_lock = threading.Lock()


def configure(*, decode: int, store: int, cpu: int) -> None:
    """Set the pool sizes; a pool whose size changes is replaced (its running work finishes)."""
    wanted = {Work.DECODE: decode, Work.STORE: store, Work.CPU: cpu}
    with _lock:
        for work, size in wanted.items():
            if _sizes[work] != size:
                _sizes[work] = size
                old = _pools.pop(work, None)
                if old is not None:
                    old.shutdown(wait=False)


def pool(work: Work) -> ThreadPoolExecutor:
    with _lock:
        executor = _pools.get(work)
        if executor is None:
            executor = ThreadPoolExecutor(_sizes[work], thread_name_prefix=f"{work.value}-")
            _pools[work] = executor
        return executor


async def run(work: Work, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``fn(*args, **kwargs)`` on the pool for ``work`` and await it."""
    loop = asyncio.get_running_loop()
    ctx = contextvars.copy_context()
    call = functools.partial(ctx.run, fn, *args, **kwargs)
    return await loop.run_in_executor(pool(work), call)
