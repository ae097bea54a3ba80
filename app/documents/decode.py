"""Uploaded bytes -> decoded RGB pages, with every limit checked before pixel data is decoded."""

from __future__ import annotations

import io
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import BmpImagePlugin, Image, ImageFile, JpegImagePlugin, PngImagePlugin, TiffImagePlugin

from app.core.errors import AppError, ErrorCode
from app.documents.limits import check_pixels, check_size, parse_pages
from app.documents.sniff import ACCEPTED_DESCRIPTION, describe_unsupported, sniff
from app.documents.tiff import TiffChainError, count_frames
from app.documents.types import Document, Limits, Outline, Page, PageSize

log = logging.getLogger(__name__)

_ORIENTATION_TAG = 0x0112
# EXIF/TIFF Orientation value -> the transpose that makes the image upright.
_ORIENTATION_FIX: dict[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# Most TIFF pages accepted in one file (or MAX_PAGES when that is higher): pages can be selected out of
# a long file, but Pillow's seek to a page is quadratic in its number, so the file has to end somewhere.
MAX_TIFF_FRAMES = 1000
_WHITE = (255, 255, 255)
_BLACK = (0, 0, 0)
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "La", "RGBa"})
_WIDE_GRAY_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I", "F"})


def _webp_factory() -> Callable[[io.BytesIO], ImageFile.ImageFile]:
    from PIL import WebPImagePlugin  # needs Pillow built with libwebp (the wheels are)

    return WebPImagePlugin.WebPImageFile


# The format plugins are used directly rather than through Image.open(), which runs Pillow's own
# global decompression-bomb check (a warning, then an error) before we can apply our limit.
_OPENERS: dict[str, Callable[[], Callable[[io.BytesIO], ImageFile.ImageFile]]] = {
    "png": lambda: PngImagePlugin.PngImageFile,
    "jpeg": lambda: JpegImagePlugin.JpegImageFile,
    "tiff": lambda: TiffImagePlugin.TiffImageFile,
    "bmp": lambda: BmpImagePlugin.BmpImageFile,
    "webp": _webp_factory,
}


class PageSource:
    """A document opened for decoding page by page: its :class:`Outline` is known (every limit checked from
    headers), and :meth:`decode` turns one selected page into pixels when the caller wants it, so a caller
    holds only the pages it is working on. Synchronous and CPU-bound: call from a worker thread, pages in
    ascending order (one at a time: a source is not for concurrent use). Close it (or use ``with``)."""

    outline: Outline

    def decode(self, number: int, deadline: float | None = None) -> Page:
        raise NotImplementedError

    def close(self) -> None:
        return None

    def abandon(self) -> None:
        """The caller no longer wants the page being decoded: stop it if that can be done (a PDF render
        in a worker process is killed). Safe from any thread."""
        return None

    def __enter__(self) -> PageSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_document(
    data: bytes, limits: Limits, pages: str | None = None, *, deadline: float | None = None
) -> PageSource:
    """Open an upload for decoding: its type sniffed, its pages counted and selected, every selected page's
    size checked, nothing decoded yet.

    PDFs are read in the process's PDF workers when a pool is configured (app/documents/pdf_workers.py),
    stopped at ``deadline`` (``time.monotonic()``) with 504. Raises AppError with EMPTY_FILE,
    FILE_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, CORRUPT_DOCUMENT, ENCRYPTED_DOCUMENT, TOO_MANY_PIXELS,
    TOO_MANY_PAGES or INVALID_PARAMETER (`pages`): a bomb on page 7 fails before page 1 is decoded.
    """
    if not isinstance(data, bytes):  # bytearray / memoryview from a caller: PDFium wants bytes
        data = bytes(data)
    check_size(len(data), limits)
    kind = sniff(data)
    if kind is None:
        looks_like = describe_unsupported(data)
        prefix = "The file type is not supported"
        if looks_like:
            prefix = f"This looks like {looks_like}, which is not supported"
        raise AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, f"{prefix}. Accepted types: {ACCEPTED_DESCRIPTION}.")
    if kind == "pdf":
        return _PdfSource(data, limits, pages, deadline)
    return _RasterSource(data, kind, limits, pages)


def decode_document(
    data: bytes, limits: Limits, pages: str | None = None, *, deadline: float | None = None
) -> Document:
    """Decode every selected page of an upload into RGB (PDF pages rendered at limits.pdf_dpi): the
    :func:`open_document` checks, then each page. For one page, or a few; the request pipelines decode
    page by page (app/documents/stream.py) so that a long document is never held whole."""
    with open_document(data, limits, pages, deadline=deadline) as source:
        out = [source.decode(size.number, deadline) for size in source.outline.pages]
        return Document(kind=source.outline.kind, page_count=source.outline.page_count, pages=out)


class _PdfSource(PageSource):
    """Pages rendered one at a time, in a PDF worker when a pool is configured, else here under the lock."""

    def __init__(self, data: bytes, limits: Limits, pages: str | None, deadline: float | None) -> None:
        from app.documents import pdf_workers

        self._data = data
        self._limits = limits
        self._renderers = pdf_workers.current()
        self._key = uuid.uuid4().hex
        self._abandoned = threading.Event()
        if self._renderers is not None:
            self.outline = self._renderers.outline(self._key, data, limits, pages, deadline)
        else:
            self.outline = self._in_process(lambda pdf, m: m.pdf_outline(pdf, limits, pages))

    def decode(self, number: int, deadline: float | None = None) -> Page:
        if self._renderers is not None:
            return self._renderers.render(self._key, self._data, self._limits, number, deadline, self._abandoned)
        page: Page = self._in_process(lambda pdf, m: m.render_pdf_page(pdf, number, self._limits))
        return page

    def abandon(self) -> None:
        self._abandoned.set()

    def _in_process(self, fn: Callable[[Any, Any], Any]) -> Any:
        from app.documents import pdf as module

        with module.PDFIUM_LOCK:
            document = module.open_pdf(self._data)
            try:
                return fn(document, module)
            finally:
                document.close()


def rotate_image(image: np.ndarray, angle: int) -> np.ndarray:
    """Undo a clockwise content rotation of 0, 90, 180 or 270 degrees (returns a contiguous array)."""
    if angle % 90:
        raise ValueError(f"angle must be a multiple of 90 degrees, got {angle}")
    quarter_turns = int(angle // 90) % 4
    if quarter_turns == 0:
        return np.ascontiguousarray(image)
    # np.rot90 turns counter-clockwise, which is exactly the inverse of a clockwise rotation.
    return np.ascontiguousarray(np.rot90(image, k=quarter_turns))


# --- raster images ------------------------------------------------------------------------------


def _corrupt(kind: str, exc: BaseException | None = None, page: int | None = None) -> AppError:
    if exc is not None:
        log.info("could not decode %s: %s: %s", kind, type(exc).__name__, exc)
    where = f" (page {page})" if page is not None else ""
    return AppError(
        ErrorCode.CORRUPT_DOCUMENT,
        f"The {kind.upper()} image could not be read{where}; it may be corrupt or truncated.",
    )


class _RasterSource(PageSource):
    """An image (TIFF: its pages), every selected page's header checked on opening, pixels on decode."""

    def __init__(self, data: bytes, kind: str, limits: Limits, pages: str | None) -> None:
        if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < limits.max_pixels:
            # Our limit is the one that applies; Pillow's (checked again while loading TIFF frames) must
            # not be stricter. Raising it never weakens protection: every page passes check_pixels first.
            Image.MAX_IMAGE_PIXELS = limits.max_pixels
        self.kind = kind
        try:
            self._im = _OPENERS[kind]()(io.BytesIO(data))
        except (AppError, MemoryError):
            raise
        except Image.DecompressionBombError as exc:  # pragma: no cover - the plugins are used without the check
            raise AppError(ErrorCode.TOO_MANY_PIXELS, str(exc)) from exc
        except Exception as exc:  # any parser failure on untrusted bytes means the file is unreadable
            raise _corrupt(kind, exc) from exc
        try:
            self._total = _frame_count(data, kind, limits)
            selected = parse_pages(pages, self._total, limits.max_pages)
            sizes = []
            for number in selected:  # all headers first
                _seek(self._im, kind, number)
                width, height = self._im.size
                check_pixels(width, height, limits, page=number)
                sizes.append(PageSize(number, width, height))  # as stored (EXIF orientation is applied on decode)
        except BaseException:
            self._im.close()
            raise
        self.outline = Outline(kind, self._total, tuple(sizes))

    def decode(self, number: int, deadline: float | None = None) -> Page:
        im, kind = self._im, self.kind
        _seek(im, kind, number)
        try:
            im.load()
            frame = _upright(im)
            rgb = _to_rgb(frame, kind)
        except (AppError, MemoryError):
            raise
        except Exception as exc:
            raise _corrupt(kind, exc, number if self._total > 1 else None) from exc
        return Page(index=number, image=rgb)

    def close(self) -> None:
        self._im.close()


def _frame_count(data: bytes, kind: str, limits: Limits) -> int:
    """Pages of the image: TIFF frames (counted without decoding, refused past a cap before any frame is
    read); animated WebP and the like are read as their first frame only."""
    if kind != "tiff":
        return 1
    cap = max(MAX_TIFF_FRAMES, limits.max_pages)
    try:
        total = count_frames(data, cap)
    except TiffChainError as exc:
        raise _corrupt(kind, exc) from exc
    if total > cap:
        raise AppError(
            ErrorCode.TOO_MANY_PAGES,
            f"The TIFF has more than {cap} pages; at most {cap} are accepted in one file.",
            details={"limit": cap},
        )
    return total


def _seek(im: ImageFile.ImageFile, kind: str, number: int) -> None:
    if number == 1 and im.tell() == 0:
        return
    try:
        im.seek(number - 1)
    except (AppError, MemoryError):
        raise
    except Exception as exc:
        raise _corrupt(kind, exc, number) from exc


def _orientation(im: Image.Image) -> int:
    try:
        tags = getattr(im, "tag_v2", None)  # TIFF: the current frame's own tag
        value = tags.get(_ORIENTATION_TAG) if tags is not None else im.getexif().get(_ORIENTATION_TAG)
        return int(value) if value is not None else 1
    except Exception:  # broken EXIF is common and never a reason to reject the image
        return 1


def _upright(im: Image.Image) -> Image.Image:
    fix = _ORIENTATION_FIX.get(_orientation(im))
    return im.transpose(fix) if fix is not None else im


def _backdrop(rgba: Image.Image) -> tuple[int, int, int]:
    """What a transparent image goes on: white, unless what is visible is light (white text on a transparent
    background, as logos and screen captures have), which would vanish on white: then black."""
    pixels = np.asarray(rgba)
    visible = pixels[:, :, 3] > 127
    if visible.any() and pixels[:, :, :3][visible].mean() > 160:
        return _BLACK
    return _WHITE


def _to_rgb(im: Image.Image, kind: str) -> np.ndarray:
    mode = im.mode
    if mode in _WIDE_GRAY_MODES:
        im = Image.fromarray(_to_gray8(np.asarray(im)))
        mode = "L"
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif mode in ("L", "RGB", "1") and "transparency" in im.info:
        im = im.convert("RGBA")
    if im.mode in _ALPHA_MODES:
        rgba = im.convert("RGBA")
        background = Image.new("RGB", rgba.size, _backdrop(rgba))
        background.paste(rgba, mask=rgba.getchannel("A"))
        im = background
    if im.mode != "RGB":
        try:
            im = im.convert("RGB")
        except ValueError as exc:
            raise AppError(
                ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                f"{kind.upper()} images in colour mode {im.mode} are not supported.",
            ) from exc
    array = np.asarray(im, dtype=np.uint8)
    if not (array.flags.writeable and array.flags.c_contiguous):
        array = np.array(array, dtype=np.uint8, order="C")
    return array


def _to_gray8(values: np.ndarray) -> np.ndarray:
    """16-bit, 32-bit integer or float grey levels -> uint8."""
    if values.dtype.kind == "f":
        finite = np.nan_to_num(values.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        if finite.size == 0 or (finite.min() >= 0.0 and finite.max() <= 1.0):
            return np.rint(finite * 255.0).astype(np.uint8)
        return np.clip(np.rint(finite), 0, 255).astype(np.uint8)
    if values.size == 0:
        return np.zeros(values.shape, dtype=np.uint8)
    low, high = int(values.min()), int(values.max())
    if low >= 0 and high <= 255:  # 8-bit data stored in a wide container
        return values.astype(np.uint8)
    if low >= 0 and high <= 65535:  # true 16-bit: scale 0..65535 to 0..255, rounded
        return ((values.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    # Anything else (signed or 32-bit): stretch the range that is there.
    scaled = (values.astype(np.float64) - low) * (255.0 / (high - low))
    return np.rint(scaled).astype(np.uint8)
