"""The OCR pipeline's per-line decisions: what becomes a line, what is reported as unread, what is blank.

A scripted submitter stands in for the engine workers, so the rule under test is the pipeline's own:
read lines at or above min_confidence are lines; a region with ink that gave no text, or text below
min_confidence, is reported in ``unread`` with its box and a reason; a region without ink is left out.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np

from app.documents.types import Document, Page
from app.engines.base import Recognized
from app.features.ocr.pipeline import OcrOptions, ocr_document
from app.serving.tasks import DetectResult


def quad(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)


def inked(width: int) -> np.ndarray:
    crop = np.full((30, width, 3), 255, dtype=np.uint8)
    crop[10:20, 5 : width - 5] = 0
    return crop


WIDTHS = (290, 280, 270, 260)  # line i's crop is WIDTHS[i] wide; line 2 is blank paper


class Scripted:
    """Detects four lines; reads upright crops as scripted, and turned crops (an inked crop has a dark pixel
    at its top-left corner when upright, at its bottom-right when turned) from ``turned``."""

    def __init__(self, recs: list[Recognized], turned: dict[int, Recognized] | None = None) -> None:
        self.recs = recs
        self.turned = turned or {}
        self.calls: list[int] = []

    async def submit(self, kind: str, payload: Any, deadline: float | None = None) -> Any:
        if kind == "detect":
            quads = [quad(10, 10 + 40 * i, 300, 40 + 40 * i) for i in range(4)]
            crops = [inked(w) if i != 2 else np.full((30, w, 3), 250, dtype=np.uint8) for i, w in enumerate(WIDTHS)]
            for i, c in enumerate(crops):
                if i != 2:
                    c[0, 0] = 0
                    c[-1, -1] = 255
            return DetectResult(0, 400, 300, quads, crops)
        assert kind == "recognize"
        self.calls.append(len(payload.crops))
        out = []
        for c in payload.crops:
            i = WIDTHS.index(c.shape[1])
            upright = i == 2 or c[0, 0, 0] == 0
            out.append(self.recs[i] if upright else self.turned.get(i, Recognized("", 0.0)))
        return out


def test_low_confidence_and_empty_readings_are_reported_not_dropped() -> None:
    recs = [
        Recognized("합계 12,000원", 0.97),
        Recognized("", 0.0),  # ink, nothing read
        Recognized("", 0.0),  # no ink (a flat region): nothing to report
        Recognized("카트", 0.31),  # read, but below min_confidence
    ]
    page = Page(index=1, image=np.full((400, 300, 3), 255, dtype=np.uint8))
    doc = Document(kind="png", page_count=1, pages=[page])
    result = asyncio.run(
        ocr_document(doc, OcrOptions(lang="korean", min_confidence=0.5), Scripted(recs), engine_info={})
    )
    p = result.pages[0]
    assert [ln.text for ln in p.lines] == ["합계 12,000원"]
    assert [(u.text, u.reason) for u in p.unread] == [("", "no_text"), ("카트", "low_confidence")]
    assert p.unread[0].bbox == [10.0, 50.0, 300.0, 80.0]
    body = p.to_dict()
    assert body["text"] == "합계 12,000원"  # page text is still made of lines only
    assert body["unread"][1] == {
        "text": "카트",
        "confidence": 0.31,
        "box": [[10.0, 130.0], [300.0, 130.0], [300.0, 160.0], [10.0, 160.0]],
        "bbox": [10.0, 130.0, 300.0, 160.0],
        "reason": "low_confidence",
    }


def test_min_confidence_zero_keeps_every_reading_as_a_line() -> None:
    recs = [Recognized("a", 0.9), Recognized("", 0.0), Recognized("", 0.0), Recognized("b", 0.1)]
    page = Page(index=1, image=np.full((400, 300, 3), 255, dtype=np.uint8))
    doc = Document(kind="png", page_count=1, pages=[page])
    result = asyncio.run(ocr_document(doc, OcrOptions("korean", 0.0), Scripted(recs), engine_info={}))
    assert [ln.text for ln in result.pages[0].lines] == ["a", "b"]
    assert [u.reason for u in result.pages[0].unread] == ["no_text"]


def test_doubtful_lines_are_read_again_turned_and_kept_when_surer() -> None:
    recs = [Recognized("합계", 0.95), Recognized("ʇǝ", 0.2), Recognized("", 0.0), Recognized("낮음", 0.55)]
    turned = {1: Recognized("금액 5,000", 0.93), 3: Recognized("높음", 0.6)}  # line 3: not surer by the margin
    page = Page(index=1, image=np.full((400, 300, 3), 255, dtype=np.uint8))
    doc = Document(kind="png", page_count=1, pages=[page])
    sub = Scripted(recs, turned)
    result = asyncio.run(ocr_document(doc, OcrOptions("korean", 0.5), sub, engine_info={}))
    assert [ln.text for ln in result.pages[0].lines] == ["합계", "금액 5,000", "낮음"]
    assert sub.calls == [4, 2]  # the blank region is not read again

    sub = Scripted(recs, turned)
    off = OcrOptions("korean", 0.5, detect_orientation=False)
    result = asyncio.run(ocr_document(doc, off, sub, engine_info={}))
    assert [ln.text for ln in result.pages[0].lines] == ["합계", "낮음"]
    assert sub.calls == [4]
