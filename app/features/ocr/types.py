"""Result types shared by the pipelines (ocr, structure, extraction) and the API schemas."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(slots=True)
class Line:
    text: str
    confidence: float
    box: list[list[float]]  # 4 points clockwise from top-left, page pixels
    bbox: list[float]  # [x0, y0, x1, y1]
    # words=true on /ocr: each word's text and [x0, y0, x1, y1] (features/ocr/words.py); None: not asked for
    words: list[dict[str, Any]] | None = None
    lang: str | None = None  # lang=auto: the language the line was read as (app/engines/auto_lang.py)

    @classmethod
    def from_box(cls, text: str, confidence: float, box: list[list[float]]) -> Line:
        xs = [p[0] for p in box]
        ys = [p[1] for p in box]
        return cls(text=text, confidence=confidence, box=box, bbox=[min(xs), min(ys), max(xs), max(ys)])

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "text": self.text,
            "confidence": round(float(self.confidence), 4),
            "box": [[round(float(x), 1), round(float(y), 1)] for x, y in self.box],
            "bbox": [round(float(v), 1) for v in self.bbox],
        }
        if self.words is not None:
            out["words"] = self.words
        if self.lang is not None:
            out["lang"] = self.lang
        return out


@dataclass(slots=True)
class Unread:
    """A detected region with ink that gave no text, or text below the request's ``min_confidence``:
    reported (``pages[].unread``) instead of dropped, so a client knows what was not read and where."""

    text: str  # the reader's best guess ("" when it read nothing)
    confidence: float
    box: list[list[float]]
    bbox: list[float]
    reason: Literal["no_text", "low_confidence"]

    @classmethod
    def from_box(
        cls, text: str, confidence: float, box: list[list[float]], reason: Literal["no_text", "low_confidence"]
    ) -> Unread:
        line = Line.from_box(text, confidence, box)
        return cls(text=text, confidence=confidence, box=line.box, bbox=line.bbox, reason=reason)

    def to_dict(self) -> dict[str, Any]:
        return {**Line(self.text, self.confidence, self.box, self.bbox).to_dict(), "reason": self.reason}


@dataclass(slots=True)
class PageResult:
    page: int  # 1-based page number in the document
    width: int
    height: int
    rotation: int = 0  # clockwise degrees that were corrected (0/90/180/270)
    source: Literal["ocr", "text_layer"] = "ocr"
    lines: list[Line] = field(default_factory=list)
    unread: list[Unread] = field(default_factory=list)
    lang: str | None = None  # the language the page was read as (with lang=auto: the one detected)
    # page_images=true: the page as a JPEG (features/ocr/page_images.py), None past the cap; in the answer
    # only when asked for
    image: dict[str, Any] | None = None
    with_image: bool = False

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "page": self.page,
            "width": self.width,
            "height": self.height,
            "rotation": self.rotation,
            "source": self.source,
            "lang": self.lang,
            "text": self.text,
            "lines": [line.to_dict() for line in self.lines],
            "unread": [u.to_dict() for u in self.unread],
        }
        if self.with_image:
            out["image"] = self.image
        return out


@dataclass(slots=True)
class DocumentResult:
    lang: str
    pages: list[PageResult]
    engine: dict[str, Any]
    timings_ms: dict[str, float] = field(default_factory=dict)
    page_images_omitted: int | None = None  # page_images=true: pages whose `image` is null

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages)

    def extras(self) -> dict[str, Any]:
        """The optional top-level keys of the answer (only those that were asked for)."""
        return {} if self.page_images_omitted is None else {"page_images_omitted": self.page_images_omitted}

    def to_dict(self, request_id: str | None = None) -> dict[str, Any]:
        """The POST /ocr response body (also what an async job stores as its result)."""
        pages = [p.to_dict() for p in self.pages]
        return result_body(request_id, self.lang, self.engine, pages, self.timings_ms, **self.extras())


def result_body(
    request_id: str | None,
    lang: str,
    engine: dict[str, Any],
    pages: list[dict[str, Any]],
    timings_ms: dict[str, float],
    **extra: Any,
) -> dict[str, Any]:
    """The body of a document result (/ocr, /structure, and the jobs' results of both), in the contract's
    key order: the document's text is its pages' texts, one blank line apart; `extra` (e.g. `markdown`)
    goes before `timings_ms`."""
    text = "\n\n".join(str(p.get("text", "")) for p in pages)
    return {
        "request_id": request_id,
        "lang": lang,
        "engine": engine,
        "text": text,
        "pages": pages,
        **extra,
        "timings_ms": timings_ms,
    }
