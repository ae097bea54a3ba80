"""Running one job: decode a few pages at a time, send them through the same engine workers as the
synchronous routes, persist every page as it finishes (progress), then assemble the result.

Shared by the embedded runner (SQLite + local files) and the Celery workers (PostgreSQL + S3); where
state and files live is behind `JobIO`. Knows nothing of HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib.util
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from app.core import executors
from app.core.config import Settings
from app.core.errors import AppError, ErrorCode
from app.core.executors import Work
from app.documents import Document, Limits, Page, limits_from_settings
from app.documents.stream import each_page
from app.features.extraction import extract, resolve_fields
from app.features.jobs.documents import chunks, decode_pages
from app.features.jobs.models import TRANSIENT_CODES, Job, JobCancelled, JobError, JobFile
from app.features.ocr.pipeline import OcrOptions, Submitter, ocr_document
from app.features.ocr.types import DocumentResult, Line, PageResult, Unread, result_body
from app.features.structure import markdown as md
from app.features.structure.pipeline import structure_document

EngineInfo = Callable[[str], dict[str, Any]]


class JobIO(Protocol):
    """Where a job's inputs, per-page results and cancellation flag live."""

    async def completed_pages(self) -> set[tuple[int, int]]: ...

    async def load_input(self, file: JobFile) -> bytes: ...

    async def save_page(self, file_index: int, page: int, result: dict[str, Any]) -> None: ...

    async def load_page(self, file_index: int, page: int) -> dict[str, Any]: ...

    async def is_cancelled(self) -> bool: ...


@dataclass(slots=True)
class TaskContext:
    settings: Settings
    submitter: Submitter
    engine_info: EngineInfo
    started: float


# ---- tasks ---------------------------------------------------------------------------------------------


class JobTask(Protocol):
    name: str

    def available(self) -> str | None:
        """None when the task can run in this build, else why not (a 422 message)."""
        ...

    def validate(self, options: dict[str, Any], settings: Settings) -> None: ...

    async def page(self, page: Page, kind: str, options: dict[str, Any], ctx: TaskContext) -> dict[str, Any]: ...

    async def finish(
        self, job: Job, file: JobFile, pages: list[dict[str, Any]], ctx: TaskContext
    ) -> dict[str, Any]: ...


def _ocr_options(options: dict[str, Any]) -> OcrOptions:
    return OcrOptions(
        lang=str(options["lang"]),
        min_confidence=float(options.get("min_confidence", 0.5)),
        detect_orientation=bool(options.get("detect_orientation", True)),
    )


async def _run_page(
    pipeline: Callable[..., Awaitable[Any]],
    page: Page,
    kind: str,
    options: dict[str, Any],
    ctx: TaskContext,
    **extra: Any,
) -> dict[str, Any]:
    """One page through a document pipeline (OCR or structure), within JOBS_PAGE_TIMEOUT_S."""
    opts = _ocr_options(options)
    doc = Document(kind=kind, page_count=1, pages=[page])
    timeout = ctx.settings.jobs_page_timeout_s
    async with asyncio.timeout(timeout):
        result = await pipeline(
            doc,
            opts,
            ctx.submitter,
            engine_info=ctx.engine_info(opts.lang),
            deadline=time.monotonic() + timeout,
            **extra,
        )
    return dict(result.pages[0].to_dict())


def _elapsed_ms(ctx: TaskContext) -> dict[str, float]:
    return {"total": round((time.time() - ctx.started) * 1000, 1)}


def page_from_dict(d: dict[str, Any]) -> PageResult:
    lines = [
        Line(text=ln["text"], confidence=float(ln["confidence"]), box=ln["box"], bbox=ln["bbox"]) for ln in d["lines"]
    ]
    unread = [
        Unread(text=u["text"], confidence=float(u["confidence"]), box=u["box"], bbox=u["bbox"], reason=u["reason"])
        for u in d.get("unread", [])
    ]
    return PageResult(
        page=int(d["page"]),
        width=int(d["width"]),
        height=int(d["height"]),
        rotation=int(d.get("rotation", 0)),
        source=d.get("source", "ocr"),
        lines=lines,
        unread=unread,
        lang=d.get("lang"),
    )


class OcrTask:
    name = "ocr"

    def available(self) -> str | None:
        return None

    def validate(self, options: dict[str, Any], settings: Settings) -> None:
        return None

    async def page(self, page: Page, kind: str, options: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:
        return await _run_page(ocr_document, page, kind, options, ctx, task=f"job_{self.name}")

    async def finish(self, job: Job, file: JobFile, pages: list[dict[str, Any]], ctx: TaskContext) -> dict[str, Any]:
        lang = str(job.options["lang"])
        return result_body(job.request_id, lang, ctx.engine_info(lang), pages, _elapsed_ms(ctx))


def _unless_built(task: str, module: str) -> str | None:
    """None when the pipeline module behind `task` is in this build, else why the task cannot run."""
    if importlib.util.find_spec(module) is None:
        return f"task '{task}' is not available in this build ({module} is missing)"
    return None


class ExtractionTask(OcrTask):
    """OCR every page (progress per page), then extract the fields from the whole document."""

    name = "extraction"

    def available(self) -> str | None:
        return _unless_built(self.name, "app.features.extraction")

    def validate(self, options: dict[str, Any], settings: Settings) -> None:

        resolve_fields(fields=options.get("fields"), template=options.get("template"), settings=settings)

    async def finish(self, job: Job, file: JobFile, pages: list[dict[str, Any]], ctx: TaskContext) -> dict[str, Any]:

        lang = str(job.options["lang"])
        doc = DocumentResult(lang=lang, pages=[page_from_dict(p) for p in pages], engine=ctx.engine_info(lang))
        body = await executors.run(
            Work.CPU,
            extract,
            doc,
            fields=job.options.get("fields"),
            template=job.options.get("template"),
            settings=ctx.settings,
        )
        return {
            "request_id": job.request_id,
            "lang": lang,
            **body,
            "timings_ms": _elapsed_ms(ctx),
        }


class StructureTask:
    """Layout, tables and Markdown (app.features.structure.pipeline), page by page.

    Each page is structured on its own, so what the pipeline decides across pages (running headers and
    footers, document-wide title levels) is decided within a page in a job.
    """

    name = "structure"

    def available(self) -> str | None:
        return _unless_built(self.name, "app.features.structure.pipeline")

    def validate(self, options: dict[str, Any], settings: Settings) -> None:
        return None

    async def page(self, page: Page, kind: str, options: dict[str, Any], ctx: TaskContext) -> dict[str, Any]:

        return await _run_page(structure_document, page, kind, options, ctx)

    async def finish(self, job: Job, file: JobFile, pages: list[dict[str, Any]], ctx: TaskContext) -> dict[str, Any]:

        lang = str(job.options["lang"])
        markdown = md.join_pages([(int(p["page"]), str(p.get("markdown", ""))) for p in pages])
        return result_body(job.request_id, lang, ctx.engine_info(lang), pages, _elapsed_ms(ctx), markdown=markdown)


TASK_REGISTRY: dict[str, JobTask] = {
    "ocr": OcrTask(),
    "structure": StructureTask(),
    "extraction": ExtractionTask(),
}


def get_task(name: str) -> JobTask:
    task = TASK_REGISTRY.get(name)
    if task is None:
        raise AppError(
            ErrorCode.INVALID_PARAMETER,
            f"Unknown task {name!r}; one of: {', '.join(TASK_REGISTRY)}.",
            details={"parameter": "task", "allowed": list(TASK_REGISTRY)},
        )
    reason = task.available()
    if reason is not None:
        raise AppError(ErrorCode.INVALID_PARAMETER, reason, details={"parameter": "task"})
    return task


# ---- execution -----------------------------------------------------------------------------------------


def job_limits(settings: Settings) -> Limits:
    """The decoder's limits for a job: the request's, with JOBS_MAX_UPLOAD_MB and JOBS_MAX_PAGES."""
    return dataclasses.replace(
        limits_from_settings(settings), max_bytes=settings.jobs_max_upload_bytes, max_pages=settings.jobs_max_pages
    )


def as_job_error(exc: BaseException) -> JobError:
    if isinstance(exc, JobError):
        return exc
    if isinstance(exc, AppError):
        return JobError(exc.code.slug, exc.message, transient=exc.code.slug in TRANSIENT_CODES)
    if isinstance(exc, TimeoutError):
        return JobError("timeout", "A page took longer than JOBS_PAGE_TIMEOUT_S.", transient=True)
    return JobError("internal", f"{type(exc).__name__}: {exc}"[:500])


async def _finish_decode(task: asyncio.Task[Document] | None) -> None:
    if task is None:
        return
    if not task.done():
        task.cancel()
    with contextlib.suppress(BaseException):
        await task


async def execute_job(
    job: Job, io: JobIO, submitter: Submitter, settings: Settings, engine_info: EngineInfo
) -> dict[str, Any]:
    """Process what is left of `job` and return its result. Raises JobCancelled, AppError or others."""
    task = get_task(job.task)
    limits = job_limits(settings)
    ctx = TaskContext(settings, submitter, engine_info, time.time())
    done = await io.completed_pages()
    step = max(1, settings.jobs_chunk_pages)
    for f in job.files:
        todo = [p for p in f.pages if (f.index, p) not in done]
        if not todo:
            continue
        data = await io.load_input(f)
        groups = list(chunks(todo, step))
        nxt: asyncio.Task[Document] | None = asyncio.create_task(
            executors.run(Work.DECODE, decode_pages, data, limits, groups[0])
        )
        try:
            for i, _group in enumerate(groups):
                assert nxt is not None
                doc = await nxt
                nxt = None
                if await io.is_cancelled():
                    raise JobCancelled(job.id)
                if i + 1 < len(groups):  # decode the next pages while these are recognised
                    nxt = asyncio.create_task(executors.run(Work.DECODE, decode_pages, data, limits, groups[i + 1]))
                await _run_pages(doc, f, job, task, io, ctx)
        finally:
            await _finish_decode(nxt)
        del data
    if await io.is_cancelled():
        raise JobCancelled(job.id)
    results = []
    for f in job.files:
        pages = [await io.load_page(f.index, p) for p in f.pages]
        results.append(await task.finish(job, f, pages, ctx))
    if len(job.files) == 1:
        return results[0]
    return {
        "results": [
            {"filename": f.filename, "status": 200, "result": r} for f, r in zip(job.files, results, strict=True)
        ]
    }


async def _run_pages(doc: Document, f: JobFile, job: Job, task: JobTask, io: JobIO, ctx: TaskContext) -> None:
    async def one(page: Page) -> None:
        result = await task.page(page, doc.kind, job.options, ctx)
        await io.save_page(f.index, page.index, result)

    await each_page(doc.pages, one)
