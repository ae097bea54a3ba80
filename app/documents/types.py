"""What the document decoder hands to the pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int
    max_pixels: int  # per page, after rendering
    max_pages: int
    pdf_dpi: int = 200


@dataclass(slots=True)
class TextSpan:
    """A line of a PDF's embedded text layer, in page pixels at the render DPI."""

    text: str
    box: list[list[float]]  # 4 points clockwise from top-left


@dataclass(slots=True)
class Page:
    index: int  # 1-based page number in the source document
    image: np.ndarray  # RGB uint8, HxWx3, EXIF orientation already applied
    dpi: int | None = None  # render DPI for PDFs, None for images
    text_layer: list[TextSpan] | None = None  # PDF pages with usable embedded text

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


@dataclass(frozen=True, slots=True)
class PageSize:
    """A selected page's size, known before its pixels are: PDF pages at the render DPI, images as stored
    (before their EXIF orientation turns them)."""

    number: int  # 1-based page number in the source document
    width: int
    height: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


@dataclass(frozen=True, slots=True)
class Outline:
    """What a document holds, read from its headers (every limit already checked): its kind, its page
    count, and the selected pages with their sizes."""

    kind: str
    page_count: int
    pages: tuple[PageSize, ...]


@dataclass(slots=True)
class Document:
    kind: str  # "png" | "jpeg" | "tiff" | "bmp" | "webp" | "pdf"
    page_count: int  # pages in the source document (before selection)
    pages: list[Page] = field(default_factory=list)
