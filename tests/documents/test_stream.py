"""Pages decoded against a pixel budget: never more pixels held than the budget (one oversized page alone),
pages decoded in order, results in order, a failure cancelling the rest, the budget whole again after."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from PIL import Image

from app.core.errors import AppError, ErrorCode
from app.documents import Limits, PageSource, decode_document, open_document
from app.documents.stream import PixelBudget, map_pages
from app.documents.types import Outline, Page, PageSize
from tests.documents.pdfgen import TextLine, pdfium_text_pdf
from tests.render import to_bytes


class SpySource(PageSource):
    def __init__(self, sizes: list[tuple[int, int]], fail_on: int | None = None) -> None:
        self.outline = Outline("pdf", len(sizes), tuple(PageSize(i + 1, w, h) for i, (w, h) in enumerate(sizes)))
        self.decoded: list[int] = []
        self.fail_on = fail_on
        self.closed = False

    def decode(self, number: int, deadline: float | None = None) -> Page:
        size = self.outline.pages[number - 1]
        self.decoded.append(number)
        if number == self.fail_on:
            raise AppError(ErrorCode.CORRUPT_DOCUMENT, f"page {number} is broken")
        return Page(index=number, image=np.zeros((size.height, size.width, 3), np.uint8))


class Holding:
    """Work that records the pixels held at once (pages given to it and not finished)."""

    def __init__(self, hold_s: float = 0.02) -> None:
        self.held = 0
        self.most = 0
        self.hold_s = hold_s

    async def __call__(self, page: Page) -> int:
        self.held += page.width * page.height
        self.most = max(self.most, self.held)
        await asyncio.sleep(self.hold_s)
        self.held -= page.width * page.height
        return page.index


def test_never_more_pixels_than_the_budget_and_results_in_order() -> None:
    source = SpySource([(100, 100)] * 10)  # 10 000 pixels a page
    work = Holding()
    budget = PixelBudget(35_000)
    assert asyncio.run(map_pages(source, work, budget)) == list(range(1, 11))
    assert source.decoded == list(range(1, 11))
    assert work.most == 30_000  # three pages fit, the fourth waited
    assert budget.free == budget.total


def test_pages_that_fit_go_together() -> None:
    work = Holding()
    asyncio.run(map_pages(SpySource([(100, 100)] * 6), work, PixelBudget(10**9)))
    assert work.most == 60_000


def test_a_page_larger_than_the_budget_is_read_alone() -> None:
    source = SpySource([(100, 100), (1000, 1000), (100, 100)])
    work = Holding()
    budget = PixelBudget(50_000)
    assert asyncio.run(map_pages(source, work, budget)) == [1, 2, 3]
    assert work.most == 1_000_000  # the big page, and nothing beside it
    assert budget.free == budget.total


def test_a_failing_page_stops_the_rest_and_the_budget_is_whole_again() -> None:
    source = SpySource([(100, 100)] * 8, fail_on=3)
    budget = PixelBudget(20_000)
    with pytest.raises(AppError, match="page 3 is broken"):
        asyncio.run(map_pages(source, Holding(hold_s=0.05), budget))
    assert source.decoded == [1, 2, 3]  # nothing decoded past the failure
    assert budget.free == budget.total


def test_one_budget_shared_by_several_documents() -> None:
    """/ocr/batch: the files of a request share its pixels in flight."""
    work = Holding()
    budget = PixelBudget(25_000)

    async def both() -> list[list[int]]:
        return list(
            await asyncio.gather(
                map_pages(SpySource([(100, 100)] * 4), work, budget),
                map_pages(SpySource([(100, 100)] * 4), work, budget),
            )
        )

    assert asyncio.run(both()) == [[1, 2, 3, 4]] * 2
    assert work.most == 20_000
    assert budget.free == budget.total


def test_a_cancelled_waiter_gives_nothing_away() -> None:
    async def scenario() -> int:
        budget = PixelBudget(100)
        first = await budget.acquire(80)
        waiter = asyncio.create_task(budget.acquire(50))
        await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        budget.release(first)
        return budget.free

    assert asyncio.run(scenario()) == 100


def test_opening_checks_every_page_and_decodes_none(limits: Limits) -> None:
    data = pdfium_text_pdf([[TextLine("첫 쪽", 72, 100)], [TextLine("둘째 쪽", 72, 100)], [TextLine("셋째", 72, 100)]])
    with open_document(data, limits, "2-3") as source:
        assert source.outline.kind == "pdf" and source.outline.page_count == 3
        assert [s.number for s in source.outline.pages] == [2, 3]
        assert (source.outline.pages[0].width, source.outline.pages[0].height) == (827, 1170)  # A4 at 100 dpi
        page = source.decode(3)
    whole = decode_document(data, limits, "3")
    assert np.array_equal(page.image, whole.pages[0].image)
    assert [s.text for s in page.text_layer or []] == [s.text for s in whole.pages[0].text_layer or []]


def test_an_image_opens_with_its_size_and_decodes_upright(limits: Limits) -> None:
    image = np.zeros((30, 50, 3), np.uint8)
    image[:, :10] = 255
    with open_document(to_bytes(Image.fromarray(image)), limits) as source:
        assert source.outline.pages == (PageSize(1, 50, 30),)
        assert np.array_equal(source.decode(1).image, image)
