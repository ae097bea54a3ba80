"""Page images in a document answer (``page_images=true`` on /ocr and /structure): each page as the engines
read it (after the rotation the service corrected), as a JPEG in the answer, so that a client can draw
the boxes over the scan. Never fails a request: past the page cap, or when a page cannot be encoded, the
page carries ``image: null`` and the answer counts it in ``page_images_omitted``."""

from __future__ import annotations

import base64
import io
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from app.core import executors
from app.core.config import Settings
from app.core.executors import Work
from app.documents import rotate_image
from app.documents.types import Page
from app.features.ocr.types import PageResult

log = logging.getLogger(__name__)

JPEG_QUALITY = 80


def encode_page_image(
    image: np.ndarray, rotation: int, width: int, height: int, max_px: int, quality: int = JPEG_QUALITY
) -> dict[str, Any]:
    """``image`` turned by ``rotation`` (as the engines read it), scaled into the page's ``width`` x
    ``height`` box space and down so that its longest side is at most ``max_px``, as a base64 JPEG.
    ``scale``: image pixels per page pixel (a box's coordinates times ``scale`` are image pixels)."""
    upright = rotate_image(image, rotation) if rotation else image
    if upright.ndim == 3 and upright.shape[2] == 4:
        upright = upright[:, :, :3]
    pil = Image.fromarray(np.ascontiguousarray(upright))
    if pil.mode not in ("RGB", "L"):
        pil = pil.convert("RGB")
    scale = min(1.0, max_px / max(width, height))
    w, h = max(1, round(width * scale)), max(1, round(height * scale))
    if pil.size != (w, h):
        pil = pil.resize((w, h), Image.Resampling.BILINEAR, reducing_gap=2.0)
    out = io.BytesIO()
    pil.save(out, "JPEG", quality=quality)
    return {
        "media_type": "image/jpeg",
        "width": w,
        "height": h,
        "scale": round(w / width, 6),
        "data": base64.b64encode(out.getvalue()).decode("ascii"),
    }


@dataclass(slots=True)
class PageImages:
    """One request's page images: the first ``max_pages`` pages (in page order) get theirs."""

    max_px: int
    max_pages: int
    quality: int = JPEG_QUALITY
    claimed: int = 0
    omitted: int = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> PageImages:
        return cls(settings.ocr_page_image_max_px, settings.ocr_page_image_max_pages)

    def claim(self) -> bool:
        """Called as a page's work starts (pages start in page order): whether the page gets its image."""
        if self.claimed < self.max_pages:
            self.claimed += 1
            return True
        self.omitted += 1
        return False

    async def attach(self, page: Page, result: PageResult, claimed: bool) -> None:
        """Give ``result`` its ``image`` (or ``None``: past the cap, or it could not be encoded)."""
        result.with_image = True
        result.image = None
        if not claimed:
            return
        try:
            result.image = await executors.run(
                Work.DECODE,
                encode_page_image,
                page.image,
                result.rotation,
                result.width,
                result.height,
                self.max_px,
                self.quality,
            )
        except Exception:  # an image is a courtesy: the text is the answer
            log.warning("page %s: the page image could not be encoded", page.index, exc_info=True)
            self.omitted += 1
