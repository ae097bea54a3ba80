"""PDF rendering in a small pool of worker processes that can be killed at a deadline.

PDFium is not thread-safe, so in one process every render holds one lock: a PDF that is slow to render
(an 11 KB page of a hundred thousand strokes takes minutes) made every other caller's PDF wait behind
it, and a thread cannot be stopped. Here each render runs in a worker process (started on first use with
``spawn``, reused after):

- a worker is taken from the pool (or started, up to ``size``); if none becomes free before the deadline
  the caller gets 504;
- the document is sent to it (once: a worker keeps the last document open) and its outline, then each
  rendered page, comes back: pages are rendered one at a time, as the caller needs them; past the deadline (the caller's, capped
  at ``render_timeout_s``) the worker is killed, replaced on the next call, and the caller gets 504;
- a render whose request is gone (the client left, a sibling page failed) is stopped the same way
  within a tenth of a second;
- a worker that dies while rendering (a crash in PDFium, or its address-space cap ``memory_mb`` hit)
  answers 400 ``corrupt_document`` and is replaced.

``configure()`` installs the pool for the process (the service does at start, from PDF_WORKERS);
without one, :func:`app.documents.decode.decode_document` renders in the calling thread.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import resource
import signal
import threading
import time
import uuid
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from app.core.errors import AppError, ErrorCode
from app.documents.types import Document, Limits, Outline, Page

log = logging.getLogger(__name__)
# how often a caller waiting for a render looks whether its request is still there
_ABANDON_CHECK_S = 0.1
# longest wait for a new worker process to be ready
_START_TIMEOUT_S = 60.0


def _serve(conn: Connection, memory_mb: int) -> None:  # pragma: no cover - runs in the worker process
    """The worker: answer each (op, key, data, limits, arg) with ("ok", value) or ("error", AppError parts).

    ``op`` is "outline" (arg: the `pages` selection) or "render" (arg: a page number). The last document
    is kept open under its ``key``; ``data`` is None when the parent knows this worker holds it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when a worker ends
    limit = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from app.documents.pdf import open_pdf, pdf_outline, render_pdf_page

    conn.send("ready")  # imports done: from here on, a render's time is the render's alone
    held: Any = None  # the open document of the last key
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        op, _key, data, limits, arg = job
        try:
            if data is not None:
                if held is not None:
                    held.close()
                    held = None
                held = open_pdf(data)
            if op == "outline":
                answer: tuple[str, Any] = ("ok", pdf_outline(held, limits, arg))
            else:
                answer = ("ok", render_pdf_page(held, arg, limits))
        except AppError as exc:
            answer = ("error", (exc.code.name, exc.message, exc.details))
        except MemoryError:
            answer = (
                "error",
                (ErrorCode.TOO_MANY_PIXELS.name, "The PDF needs more memory to render than allowed.", None),
            )
        except Exception:
            answer = ("error", (ErrorCode.CORRUPT_DOCUMENT.name, None, None))
        if answer[0] == "error" and held is not None:
            held.close()  # the parent forgets which document this worker holds after an error
            held = None
        del data, job
        try:
            conn.send(answer)
        except MemoryError:
            conn.send(("error", (ErrorCode.TOO_MANY_PIXELS.name, "The rendered page is too large.", None)))


class _Worker:
    def __init__(self, memory_mb: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process: BaseProcess = ctx.Process(
            target=_serve, args=(child, memory_mb), name="pdf-renderer", daemon=True
        )
        self.process.start()
        child.close()
        self.holds: str | None = None  # key of the document the worker has open
        # a new process imports PDFium and the decoder first (about a second; much more on a loaded
        # machine): that start is not counted against the first render's timeout
        try:
            ready = self.conn.poll(_START_TIMEOUT_S) and self.conn.recv() == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.kill()
            raise AppError(ErrorCode.TIMEOUT, "A PDF renderer could not be started; try again.")

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()

    def close(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(2)
        if self.process.is_alive():
            self.kill()
        self.conn.close()


class PdfRenderers:
    """At most ``size`` worker processes rendering PDFs, each killed when its render passes its deadline."""

    def __init__(self, size: int, render_timeout_s: float, memory_mb: int) -> None:
        self.size = size
        self.render_timeout_s = render_timeout_s
        self.memory_mb = memory_mb
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._lock = threading.Lock()
        self._started = 0
        self._closed = False

    @property
    def pids(self) -> list[int]:
        """Process ids of the idle workers (for tests and diagnostics)."""
        with self._idle.mutex:
            return [w.process.pid for w in self._idle.queue if w.process.pid is not None]

    def warm(self) -> None:
        """Start every worker now (they start on demand otherwise: about a second each)."""
        started = []
        with self._lock:
            while self._started < self.size:
                started.append(_Worker(self.memory_mb))
                self._started += 1
        for worker in started:
            self._idle.put(worker)

    def outline(self, key: str, data: bytes, limits: Limits, pages: str | None, deadline: float | None) -> Outline:
        """Like :func:`app.documents.pdf.pdf_outline`, in a worker (``key`` names the document's bytes)."""
        outline: Outline = self._call("outline", key, data, limits, pages, deadline)
        return outline

    def render(
        self,
        key: str,
        data: bytes,
        limits: Limits,
        number: int,
        deadline: float | None,
        abandoned: threading.Event | None = None,
    ) -> Page:
        """Like :func:`app.documents.pdf.render_pdf_page`, in a worker, by ``deadline`` (monotonic); the
        worker is killed as soon as ``abandoned`` is set (the request is gone)."""
        page: Page = self._call("render", key, data, limits, number, deadline, abandoned)
        return page

    def decode(self, data: bytes, limits: Limits, pages: str | None, deadline: float | None = None) -> Document:
        """Every selected page, like :func:`app.documents.pdf.decode_pdf`."""
        key = uuid.uuid4().hex
        outline = self.outline(key, data, limits, pages, deadline)
        rendered = [self.render(key, data, limits, size.number, deadline) for size in outline.pages]
        return Document(kind="pdf", page_count=outline.page_count, pages=rendered)

    def _call(
        self,
        op: str,
        key: str,
        data: bytes,
        limits: Limits,
        arg: Any,
        deadline: float | None,
        abandoned: threading.Event | None = None,
    ) -> Any:
        # waiting for a free worker is bounded by the caller's deadline; the render itself, once a worker
        # has it, by PDF_RENDER_TIMEOUT_S too
        wait_until = time.monotonic() + self.render_timeout_s if deadline is None else deadline
        worker = self._take(wait_until)
        cap = time.monotonic() + self.render_timeout_s
        deadline = cap if deadline is None else min(deadline, cap)
        keep = False
        try:
            worker.conn.send((op, key, None if worker.holds == key else data, limits, arg))
            worker.holds = None
            while not worker.conn.poll(max(0.0, min(_ABANDON_CHECK_S, deadline - time.monotonic()))):
                if abandoned is not None and abandoned.is_set():
                    log.info("PDF render abandoned by its request; its worker is killed")
                    raise AppError(ErrorCode.TIMEOUT, "The request was cancelled; its PDF render was stopped.")
                if time.monotonic() >= deadline:
                    log.warning(
                        "PDF render passed its deadline; its worker is killed", extra={"pid": worker.process.pid}
                    )
                    raise AppError(
                        ErrorCode.TIMEOUT,
                        "Rendering the PDF took longer than allowed (PDF_RENDER_TIMEOUT_S or the request's "
                        "deadline); it was stopped.",
                    )
            try:
                status, payload = worker.conn.recv()
            except (EOFError, OSError):
                log.warning("a PDF worker died while rendering", extra={"exitcode": worker.process.exitcode})
                raise AppError(
                    ErrorCode.CORRUPT_DOCUMENT,
                    "The PDF could not be rendered (its renderer stopped); it may be corrupt or too complex.",
                ) from None
            keep = True
            if status == "ok":
                worker.holds = key
        finally:
            self._give_back(worker, keep)
        if status == "ok":
            return payload
        code, message, details = payload
        raise AppError(ErrorCode[code], message, details=details)

    def _take(self, deadline: float) -> _Worker:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._started < self.size:
                self._started += 1
                try:
                    return _Worker(self.memory_mb)
                except BaseException:
                    self._started -= 1
                    raise
        try:
            return self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AppError(
                ErrorCode.TIMEOUT, "No PDF renderer became free before the deadline (PDF_WORKERS are busy)."
            ) from None

    def _give_back(self, worker: _Worker, keep: bool) -> None:
        if keep and not self._closed:
            self._idle.put(worker)
            return
        worker.kill()
        with self._lock:
            self._started -= 1

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            worker.close()
            with self._lock:
                self._started -= 1


_current: PdfRenderers | None = None
_current_lock = threading.Lock()


def configure(size: int, render_timeout_s: float, memory_mb: int) -> PdfRenderers | None:
    """Install the process's renderer pool (``size`` 0: none, render in the calling thread)."""
    global _current
    with _current_lock:
        old = _current
        if old is not None and (old.size, old.render_timeout_s, old.memory_mb) == (size, render_timeout_s, memory_mb):
            return old
        _current = PdfRenderers(size, render_timeout_s, memory_mb) if size > 0 else None
    if old is not None:
        old.close()
    return _current


def current() -> PdfRenderers | None:
    return _current
