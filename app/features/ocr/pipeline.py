"""OCR pipeline: pages decoded as the request's pixel budget allows → orientation → detection → crops → recognition → lines in reading order.

Knows nothing of HTTP. Every model call goes through the runtime's workers (`submit`), so the event
loop only awaits; PDF pages with a usable text layer skip the engines entirely.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol, TypeVar

import numpy as np

from app.core import executors
from app.core.executors import Work
from app.documents.decode import open_document
from app.documents.stream import PixelBudget, each_page, map_pages
from app.documents.types import Document, Limits, Page
from app.engines.auto_lang import AUTO, KOREAN, page_lang, text_lang
from app.engines.base import Recognized
from app.engines.crops import has_ink
from app.engines.reading_order import sort_reading_order
from app.features.ocr.page_images import PageImages
from app.features.ocr.types import DocumentResult, Line, PageResult, Unread
from app.features.ocr.words import add_words
from app.observability import metrics
from app.serving.tasks import DetectJob, DetectResult, RecognizeJob

R = TypeVar("R")


class Submitter(Protocol):
    async def submit(self, kind: str, payload: Any, deadline: float | None = None) -> Any: ...


@dataclass(frozen=True, slots=True)
class OcrOptions:
    lang: str
    min_confidence: float = 0.5
    detect_orientation: bool = True
    use_text_layer: bool = True


def _text_layer_page(page: Page, lang: str) -> PageResult:
    assert page.text_layer is not None
    lines = [Line.from_box(span.text, 1.0, span.box) for span in page.text_layer if span.text.strip()]
    lines = sort_reading_order(lines, lambda ln: ln.bbox)
    if lang == AUTO:  # the text is there: its script says the language
        lang = text_lang([ln.text for ln in lines])
    return PageResult(
        page=page.index, width=page.width, height=page.height, source="text_layer", lines=lines, lang=lang
    )


# with orientation detection on, a line read with less confidence than FLIP_BELOW is read again turned by
# 180°, and that reading is kept when it is surer by FLIP_MARGIN: upside-down lines that the page classifier
# does not turn (single-line images, photos it is unsure of) come back upright
FLIP_BELOW = 0.6
FLIP_MARGIN = 0.15


async def read_lines(
    det: DetectResult, lang: str, detect_orientation: bool, workers: Submitter, deadline: float | None
) -> list[Any]:
    """Recognise a page's detected lines; with orientation detection on, doubtful lines are read again
    turned by 180°. Shared by the pipeline and the model server's /predict. A detection that comes already
    read (split mode: the model server read and turned the lines itself) is taken as it is."""
    if det.read is not None:
        return list(det.read)
    if not det.crops:
        return []
    recs: list[Any] = list(await workers.submit("recognize", RecognizeJob(lang, det.crops), deadline))
    if not detect_orientation:
        return recs
    doubtful = [i for i, r in enumerate(recs) if r.confidence < FLIP_BELOW and has_ink(det.crops[i])]
    if doubtful:
        turned = [np.ascontiguousarray(det.crops[i][::-1, ::-1]) for i in doubtful]
        read_as = lang
        if lang == AUTO:  # the turned lines are read by the reader the page chose
            read_as = KOREAN if page_lang([(r.text, r.lang) for r in recs]) in (KOREAN, None) else "en"
        again = await workers.submit("recognize", RecognizeJob(read_as, turned), deadline)
        for i, other in zip(doubtful, again, strict=True):
            if other.text.strip() and other.confidence >= recs[i].confidence + FLIP_MARGIN:
                recs[i] = other if lang != AUTO else Recognized(other.text, other.confidence, recs[i].lang)
                metrics.LINES_TURNED.inc()
    return recs


def ink_at(det: DetectResult, i: int) -> bool:
    """Whether detected region ``i`` holds ink: from its crop, or in split mode as the model server saw it."""
    return bool(det.inks[i]) if det.inks is not None else has_ink(det.crops[i])


async def _ocr_page(page: Page, opts: OcrOptions, workers: Submitter, deadline: float | None) -> PageResult:
    det: DetectResult = await workers.submit(
        "detect", DetectJob(page.image, opts.detect_orientation, opts.lang), deadline
    )
    recs = await read_lines(det, opts.lang, opts.detect_orientation, workers, deadline)
    lang = opts.lang
    if lang == AUTO:
        lang = page_lang([(r.text, r.lang) for r in recs]) or KOREAN
    lines, unread = [], []
    for i, (quad, rec) in enumerate(zip(det.quads, recs, strict=True)):
        text = rec.text.strip()
        box = [[float(x), float(y)] for x, y in quad]
        if text and rec.confidence >= opts.min_confidence:
            line = Line.from_box(text, float(rec.confidence), box)
            if opts.lang == AUTO:
                line.lang = rec.lang
            lines.append(line)
        elif text or ink_at(det, i):  # never drop ink silently: say where it was and why it is not a line
            reason: Literal["no_text", "low_confidence"] = "low_confidence" if text else "no_text"
            unread.append(Unread.from_box(text, float(rec.confidence), box, reason))
            metrics.UNREAD_REGIONS.labels(reason).inc()
    lines = sort_reading_order(lines, lambda ln: ln.bbox)
    unread = sort_reading_order(unread, lambda u: u.bbox)
    return PageResult(
        page=page.index,
        width=det.width,
        height=det.height,
        rotation=det.rotation,
        lines=lines,
        unread=unread,
        lang=lang,
    )


async def ocr_page(
    page: Page, opts: OcrOptions, workers: Submitter, deadline: float | None = None, task: str = "ocr"
) -> PageResult:
    """One decoded page: its text layer where it has a usable one, else through the engines."""
    if opts.use_text_layer and page.text_layer:
        result = _text_layer_page(page, opts.lang)
    else:
        result = await _ocr_page(page, opts, workers, deadline)
    metrics.PAGES.labels(task, result.source).inc()
    return result


async def ocr_document(
    doc: Document,
    opts: OcrOptions,
    workers: Submitter,
    *,
    engine_info: dict[str, Any],
    deadline: float | None = None,
    task: str = "ocr",
) -> DocumentResult:
    """Pages already decoded (a job's few): all go to the workers at once, detected page-batched."""
    started = time.perf_counter()
    pages = await each_page(doc.pages, lambda page: ocr_page(page, opts, workers, deadline, task))
    took = (time.perf_counter() - started) * 1000
    return DocumentResult(lang=opts.lang, pages=pages, engine=engine_info, timings_ms={"ocr": round(took, 1)})


@dataclass(slots=True)
class ReadDocument(Generic[R]):
    """What `read_document` did: a result per page, and when (perf_counter seconds) it began and had the
    document open."""

    results: list[R]
    decode_ms: float  # opening and decoding, summed over the pages
    started: float
    opened: float


async def read_document(
    data: bytes,
    limits: Limits,
    pages: str | None,
    budget: PixelBudget,
    work: Callable[[Page], Awaitable[R]],
    deadline: float | None = None,
) -> ReadDocument[R]:
    """Open an uploaded document (in a thread) and run `work` on each selected page as it is decoded,
    as ``budget`` leaves room (app.documents.stream); the one reading loop of /ocr and /structure."""
    started = time.perf_counter()
    source = await executors.run(Work.DECODE, open_document, data, limits, pages, deadline=deadline)
    opened = time.perf_counter()
    decode_ms = [(opened - started) * 1000]
    try:
        results = await map_pages(source, work, budget, deadline, decode_ms)
    finally:
        source.close()
    metrics.STAGE_SECONDS.labels("decode").observe(decode_ms[0] / 1000)
    return ReadDocument(results, decode_ms[0], started, opened)


async def ocr_bytes(
    data: bytes,
    opts: OcrOptions,
    workers: Submitter,
    *,
    limits: Limits,
    budget: PixelBudget,
    pages: str | None,
    engine_info: dict[str, Any],
    deadline: float | None = None,
    task: str = "ocr",
    page_images: PageImages | None = None,
    words: bool = False,
) -> DocumentResult:
    """Open the document (in a thread), then decode and read its pages as ``budget`` leaves room: pages that
    fit together are detected page-batched. Raises AppError for bad documents. ``page_images``: each page
    also carries its image (as the engines read it); ``words``: each line carries its words with their boxes.

    ``timings_ms``: ``decode`` (opening and decoding, summed), ``ocr`` (from the first page decoded to the
    last page read: decoding overlaps it), ``total``."""

    async def work(page: Page) -> PageResult:
        claimed = page_images.claim() if page_images is not None else False  # pages start in page order
        result = await ocr_page(page, opts, workers, deadline, task)
        if words:
            await executors.run(Work.CPU, add_words, result, page.image)
        if page_images is not None:
            await page_images.attach(page, result, claimed)
        return result

    read = await read_document(data, limits, pages, budget, work, deadline)
    done = time.perf_counter()
    results = read.results
    return DocumentResult(
        lang=opts.lang,
        pages=results,
        engine=engine_info,
        timings_ms={
            "decode": round(read.decode_ms, 1),
            "ocr": round((done - read.opened) * 1000, 1),
            "total": round((done - read.started) * 1000, 1),
        },
        page_images_omitted=page_images.omitted if page_images is not None else None,
    )
