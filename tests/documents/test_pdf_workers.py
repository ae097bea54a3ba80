"""PDF rendering in worker processes: the same document as in-process, a render past its deadline killed
(and its worker replaced), a crashed worker answered as a bad document, no caller waiting behind another's
slow PDF."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

from app.core.errors import ErrorCode
from app.documents import Limits, decode_document
from app.documents.pdf import decode_pdf
from app.documents.pdf_workers import PdfRenderers
from tests.documents.pdfgen import TextLine, pdfium_text_pdf, slow_pdf
from tests.documents.util import raises_code

LIMITS = Limits(max_bytes=20 * 2**20, max_pixels=40_000_000, max_pages=10, pdf_dpi=100)


@pytest.fixture
def renderers() -> Iterator[PdfRenderers]:
    pool = PdfRenderers(size=2, render_timeout_s=1.5, memory_mb=4096)
    yield pool
    pool.close()


def _text_pdf() -> bytes:
    return pdfium_text_pdf([[TextLine("사업자등록번호 123-45-67890", 72, 100)], [TextLine("합계 12,000원", 72, 100)]])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split()[2] != "Z"


def test_a_worker_renders_what_the_process_would(renderers: PdfRenderers) -> None:
    data = _text_pdf()
    here, there = decode_pdf(data, LIMITS, None), renderers.decode(data, LIMITS, None)
    assert there.page_count == here.page_count == 2
    for a, b in zip(here.pages, there.pages, strict=True):
        assert a.index == b.index and np.array_equal(a.image, b.image)
        assert [s.text for s in a.text_layer or []] == [s.text for s in b.text_layer or []]
        assert "123-45-67890" in " ".join(s.text for s in there.pages[0].text_layer or [])


def test_errors_come_back_as_the_same_error(renderers: PdfRenderers) -> None:
    with raises_code(ErrorCode.INVALID_PARAMETER) as info:
        renderers.decode(_text_pdf(), LIMITS, "3")
    assert "past the end" in info.value.message
    with raises_code(ErrorCode.CORRUPT_DOCUMENT):
        renderers.decode(b"%PDF-1.4\n" + b"garbage" * 100, LIMITS, None)


def test_a_render_past_its_deadline_is_killed_and_the_worker_replaced(renderers: PdfRenderers) -> None:
    renderers.decode(_text_pdf(), LIMITS, None)
    (pid,) = renderers.pids
    t0 = time.monotonic()
    with raises_code(ErrorCode.TIMEOUT) as info:
        renderers.decode(slow_pdf(50_000), LIMITS, None)
    took = time.monotonic() - t0
    assert 1.4 < took < 3.0, took
    assert "stopped" in info.value.message
    assert not _alive(pid)
    assert renderers.decode(_text_pdf(), LIMITS, "1").pages[0].index == 1  # a fresh worker
    assert renderers.pids and renderers.pids[0] != pid


def test_the_callers_deadline_is_honoured(renderers: PdfRenderers) -> None:
    t0 = time.monotonic()
    with raises_code(ErrorCode.TIMEOUT):
        renderers.decode(slow_pdf(50_000), LIMITS, None, deadline=time.monotonic() + 0.5)
    assert time.monotonic() - t0 < 1.4


def test_a_crashed_worker_is_a_bad_document_and_is_replaced(renderers: PdfRenderers) -> None:
    renderers.decode(_text_pdf(), LIMITS, None)
    (pid,) = renderers.pids
    killer = threading.Timer(0.5, os.kill, (pid, 9))
    killer.start()
    with raises_code(ErrorCode.CORRUPT_DOCUMENT) as info:
        renderers.decode(slow_pdf(50_000), LIMITS, None)
    assert "renderer stopped" in info.value.message
    assert renderers.decode(_text_pdf(), LIMITS, "2").pages[0].index == 2


def test_a_slow_pdf_does_not_hold_up_another_callers_pdf(renderers: PdfRenderers) -> None:
    """In one process every render held one lock: a page taking minutes held every other PDF behind it."""
    renderers.warm()
    renderers.decode(_text_pdf(), LIMITS, None)

    def slow_caller() -> None:
        with pytest.raises(Exception, match="took longer"):
            renderers.decode(slow_pdf(50_000), LIMITS, None)

    slow = threading.Thread(target=slow_caller)
    slow.start()
    time.sleep(0.2)
    t0 = time.monotonic()
    doc = renderers.decode(_text_pdf(), LIMITS, None)
    took = time.monotonic() - t0
    slow.join()
    assert doc.page_count == 2
    assert took < 0.8, took  # the other worker answers while the first is busy


def test_decode_document_uses_the_configured_pool() -> None:
    from app.documents import pdf_workers

    pool = pdf_workers.configure(1, 1.0, 4096)
    try:
        assert pool is pdf_workers.current() and pool is not None
        t0 = time.monotonic()
        with raises_code(ErrorCode.TIMEOUT):
            decode_document(slow_pdf(50_000), LIMITS)
        assert time.monotonic() - t0 < 2.5
    finally:
        pdf_workers.configure(0, 1.0, 4096)
    assert pdf_workers.current() is None


def test_an_abandoned_render_is_stopped_at_once(renderers: PdfRenderers) -> None:
    renderers.decode(_text_pdf(), LIMITS, None)
    (pid,) = renderers.pids
    abandoned = threading.Event()
    threading.Timer(0.3, abandoned.set).start()
    t0 = time.monotonic()
    with raises_code(ErrorCode.TIMEOUT) as info:
        renderers.render("slow", slow_pdf(50_000), LIMITS, 1, None, abandoned)
    assert time.monotonic() - t0 < 0.9  # not the 1.5 s render timeout
    assert "cancelled" in info.value.message
    assert not _alive(pid)


def test_a_request_that_is_cancelled_stops_its_render_and_frees_the_worker() -> None:
    """The client left (or another page failed): the page being rendered is not rendered to the end."""
    import asyncio

    from app.documents import open_document, pdf_workers
    from app.documents.stream import PixelBudget, map_pages

    pdf_workers.configure(1, 30.0, 4096)  # one renderer, a render timeout far away
    try:

        async def read_then_leave() -> None:
            source = open_document(slow_pdf(50_000), LIMITS)
            reading = asyncio.ensure_future(map_pages(source, lambda page: asyncio.sleep(0), PixelBudget(10**8)))
            await asyncio.sleep(0.5)
            reading.cancel()
            with pytest.raises(asyncio.CancelledError):
                await reading

        asyncio.run(read_then_leave())
        t0 = time.monotonic()
        assert decode_document(_text_pdf(), LIMITS).page_count == 2  # the one renderer is free again
        assert time.monotonic() - t0 < 3.0
    finally:
        pdf_workers.configure(0, 1.0, 4096)
