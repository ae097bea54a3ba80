"""PDF pages -> RGB images at the configured DPI (pypdfium2), plus the embedded text layer as lines.

PDFium is not thread-safe: every call into it, from any thread, must hold PDFIUM_LOCK. All PDFium
objects are closed before the lock is released, so nothing is left for finalizers on other threads.
"""

from __future__ import annotations

import ctypes
import logging
import math
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from app.core.errors import AppError, ErrorCode
from app.documents.limits import check_pixels, parse_pages
from app.documents.types import Document, Limits, Outline, Page, PageSize, TextSpan

log = logging.getLogger(__name__)

PDFIUM_LOCK = threading.RLock()

_POINTS_PER_INCH = 72.0
# Embedded images (scans inside a PDF) are decoded at full size by PDFium whatever the render DPI,
# so a tiny page can hide a huge image: cap them at this multiple of the per-page pixel limit.
EMBEDDED_IMAGE_FACTOR = 2
_MAX_FORM_DEPTH = 8
_MAX_OBJECTS_CHECKED = 200_000
# Pages with more characters than this are not read for a text layer (OCR still runs on them).
_MAX_TEXT_CHARS = 100_000
# A text layer where more than this share of the visible characters has no real Unicode (missing
# ToUnicode maps, private-use glyph codes, U+FFFD) is treated as unusable.
MAX_BAD_CHAR_FRACTION = 0.3
# Within one PDFium line, a horizontal gap wider than this many character heights starts a new
# span (table cells, columns placed on one baseline).
_GAP_SPLIT = 1.5
# PDFium reports device coordinates as integers; map on a finer grid for sub-pixel boxes.
_SUBPIXEL = 16


def decode_pdf(data: bytes, limits: Limits, pages: str | None = None) -> Document:
    """Render the selected pages at limits.pdf_dpi; fill Page.text_layer where the PDF has real text."""
    with PDFIUM_LOCK:
        pdf = open_pdf(data)
        try:
            outline = pdf_outline(pdf, limits, pages)
            out = [render_pdf_page(pdf, size.number, limits) for size in outline.pages]
            return Document(kind="pdf", page_count=outline.page_count, pages=out)
        finally:
            pdf.close()


def open_pdf(data: bytes) -> pdfium.PdfDocument:
    """The PDF opened for :func:`pdf_outline` and :func:`render_pdf_page` (hold PDFIUM_LOCK while it is
    open where other threads may use PDFium; close it before the lock is released)."""
    pdf = _open(data)
    _init_forms(pdf)  # PDFium wants this before the page count is read or any page is loaded
    return pdf


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise AppError(
                ErrorCode.ENCRYPTED_DOCUMENT,
                "The PDF is password-protected. Remove the password (save an unprotected copy) and upload it again.",
            ) from exc
        if exc.err_code == pdfium_c.FPDF_ERR_SECURITY:
            raise AppError(
                ErrorCode.ENCRYPTED_DOCUMENT,
                "The PDF is encrypted with an unsupported security handler. Upload an unprotected copy.",
            ) from exc
        raise _corrupt(exc) from exc
    except MemoryError:
        raise
    except Exception as exc:
        raise _corrupt(exc) from exc


def _corrupt(exc: BaseException | None = None, page: int | None = None) -> AppError:
    if exc is not None:
        log.info("could not read PDF%s: %s: %s", f" page {page}" if page else "", type(exc).__name__, exc)
    where = f"Page {page} of the PDF" if page is not None else "The PDF"
    return AppError(ErrorCode.CORRUPT_DOCUMENT, f"{where} could not be read; it may be corrupt or truncated.")


def pdf_outline(pdf: pdfium.PdfDocument, limits: Limits, pages: str | None) -> Outline:
    """Page count and every selected page's rendered size, from the page tree (nothing rendered);
    TOO_MANY_PIXELS / TOO_MANY_PAGES / INVALID_PARAMETER / CORRUPT_DOCUMENT as the decoder."""
    total = len(pdf)
    selected = parse_pages(pages, total, limits.max_pages)
    dpi = limits.pdf_dpi
    sizes = []
    for number in selected:
        try:
            width_pt, height_pt = pdf.get_page_size(number - 1)
        except pdfium.PdfiumError as exc:
            raise _corrupt(exc, number) from exc
        if not (_positive(width_pt) and _positive(height_pt)):
            raise _corrupt(ValueError(f"page size {width_pt} x {height_pt}"), number)
        width, height = _pixels(width_pt, dpi), _pixels(height_pt, dpi)
        check_pixels(width, height, limits, page=number, dpi=dpi)
        sizes.append(PageSize(number, width, height))
    return Outline("pdf", total, tuple(sizes))


def _positive(value: float) -> bool:
    return math.isfinite(value) and value > 0


def _pixels(points: float, dpi: int) -> int:
    """Rendered size of a page side; 792 pt at 150 dpi is 1650 px, not 1651 from float noise."""
    return max(1, math.ceil(round(points * dpi / _POINTS_PER_INCH, 6)))


def _init_forms(pdf: pdfium.PdfDocument) -> None:
    """Render filled-in AcroForm fields too (they are part of what the reader sees)."""
    try:
        if pdf.get_formtype() == pdfium_c.FORMTYPE_ACRO_FORM:
            pdf.init_forms()
    except Exception as exc:  # forms are a nicety; the page content renders without them
        log.info("PDF form fields not initialised: %s", exc)


def render_pdf_page(pdf: pdfium.PdfDocument, number: int, limits: Limits) -> Page:
    """One page rendered at limits.pdf_dpi, with its text layer; its embedded images checked first."""
    dpi = limits.pdf_dpi
    try:
        page = pdf.get_page(number - 1)
    except pdfium.PdfiumError as exc:
        raise _corrupt(exc, number) from exc
    try:
        _check_embedded_images(page, number, EMBEDDED_IMAGE_FACTOR * limits.max_pixels)
        width, height = _pixels(page.get_width(), dpi), _pixels(page.get_height(), dpi)
        check_pixels(width, height, limits, page=number, dpi=dpi)  # same as before, now from the loaded page
        image = _render(page, width, height)
        text_layer = _text_layer(page, number, width, height)
        return Page(index=number, image=image, dpi=dpi, text_layer=text_layer)
    finally:
        page.close()


_RENDER_FLAGS = pdfium_c.FPDF_ANNOT | pdfium_c.FPDF_REVERSE_BYTE_ORDER  # annotations on; RGB byte order


def _render(page: pdfium.PdfPage, width: int, height: int) -> np.ndarray:
    """Render straight into a white RGB array (no intermediate bitmap copy); forms drawn on top."""
    image = np.full((height, width, 3), 255, dtype=np.uint8)
    # PDFium writes into the array's own memory; `image` outlives the bitmap, which is destroyed below.
    buffer = image.ctypes.data_as(ctypes.c_void_p)
    bitmap = pdfium_c.FPDFBitmap_CreateEx(width, height, pdfium_c.FPDFBitmap_BGR, buffer, width * 3)
    if not bitmap:
        raise MemoryError(f"PDFium could not create a {width} x {height} bitmap")
    try:
        pdfium_c.FPDF_RenderPageBitmap(bitmap, page.raw, 0, 0, width, height, 0, _RENDER_FLAGS)
        if page.formenv:
            pdfium_c.FPDF_FFLDraw(page.formenv, bitmap, page.raw, 0, 0, width, height, 0, _RENDER_FLAGS)
    finally:
        pdfium_c.FPDFBitmap_Destroy(bitmap)
    return image


# --- embedded image check ----------------------------------------------------------------------


def _check_embedded_images(page: pdfium.PdfPage, number: int, limit: int) -> None:
    budget = [_MAX_OBJECTS_CHECKED]
    _walk_objects(page.raw, pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, 0, budget, number, limit)


def _walk_objects(
    container: Any,
    count: Callable[[Any], int],
    get: Callable[[Any, int], Any],
    depth: int,
    budget: list[int],
    number: int,
    limit: int,
) -> None:
    width, height = ctypes.c_uint(), ctypes.c_uint()
    for i in range(max(count(container), 0)):
        budget[0] -= 1
        if budget[0] < 0:
            return  # pathological page; rendering is still bounded by the page pixel limit
        obj = get(container, i)
        if not obj:
            continue
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            if pdfium_c.FPDFImageObj_GetImagePixelSize(obj, ctypes.byref(width), ctypes.byref(height)):
                pixels = width.value * height.value
                if pixels > limit:
                    raise AppError(
                        ErrorCode.TOO_MANY_PIXELS,
                        f"Page {number} embeds an image of {width.value} x {height.value} pixels "
                        f"({pixels / 1e6:.1f} megapixels); embedded images are limited to "
                        f"{limit / 1e6:g} megapixels.",
                        details={
                            "page": number,
                            "width": width.value,
                            "height": height.value,
                            "limit_pixels": limit,
                        },
                    )
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth < _MAX_FORM_DEPTH:
            _walk_objects(
                obj,
                pdfium_c.FPDFFormObj_CountObjects,
                pdfium_c.FPDFFormObj_GetObject,
                depth + 1,
                budget,
                number,
                limit,
            )


# --- text layer --------------------------------------------------------------------------------


@dataclass
class _Line:
    chars: list[str] = field(default_factory=list)
    space_pending: bool = False
    # union of the glyph boxes, PDF page space (points, y up)
    left: float = math.inf
    bottom: float = math.inf
    right: float = -math.inf
    top: float = -math.inf
    # last glyph, to decide whether the next one continues this line
    last: tuple[float, float, float, float] | None = None
    last_horizontal: bool = False

    def add(self, ch: str, box: tuple[float, float, float, float], horizontal: bool) -> None:
        if self.space_pending and self.chars:
            self.chars.append(" ")
        self.space_pending = False
        self.chars.append(ch)
        left, bottom, right, top = box
        self.left, self.bottom = min(self.left, left), min(self.bottom, bottom)
        self.right, self.top = max(self.right, right), max(self.top, top)
        self.last, self.last_horizontal = box, horizontal

    def continues(self, box: tuple[float, float, float, float], horizontal: bool) -> bool:
        """Whether a glyph at `box` belongs on this line (PDFium's own line breaks come first)."""
        if self.last is None or not (horizontal and self.last_horizontal):
            return True
        left, bottom, _, top = box
        p_left, p_bottom, p_right, p_top = self.last
        height = max(top - bottom, p_top - p_bottom, 1e-3)
        overlap = min(top, p_top) - max(bottom, p_bottom)
        if overlap < 0.5 * min(top - bottom, p_top - p_bottom):
            return False  # different baseline
        if left < p_left - 0.5 * height:
            return False  # went back to the left: another column or an overprint
        return left - p_right <= _GAP_SPLIT * height


class _Affine:
    """PDF page space (points, y up) -> rendered bitmap pixels (y down), page /Rotate included."""

    def __init__(self, page: pdfium.PdfPage, width: int, height: int) -> None:
        size_x, size_y = width * _SUBPIXEL, height * _SUBPIXEL
        dx, dy = ctypes.c_int(), ctypes.c_int()

        def device(x: float, y: float) -> tuple[float, float]:
            pdfium_c.FPDF_PageToDevice(page.raw, 0, 0, size_x, size_y, 0, x, y, ctypes.byref(dx), ctypes.byref(dy))
            return dx.value / _SUBPIXEL, dy.value / _SUBPIXEL

        step = 1000.0
        self.ox, self.oy = device(0.0, 0.0)
        ax, ay = device(step, 0.0)
        bx, by = device(0.0, step)
        self.xx, self.xy = (ax - self.ox) / step, (ay - self.oy) / step
        self.yx, self.yy = (bx - self.ox) / step, (by - self.oy) / step

    def box(self, left: float, bottom: float, right: float, top: float) -> tuple[float, float, float, float]:
        xs, ys = [], []
        for x, y in ((left, bottom), (right, bottom), (right, top), (left, top)):
            xs.append(self.ox + self.xx * x + self.yx * y)
            ys.append(self.oy + self.xy * x + self.yy * y)
        return min(xs), min(ys), max(xs), max(ys)


def _is_bad(code: int) -> bool:
    """Glyphs without a real character behind them."""
    return (
        code == 0
        or code in (0xFFFD, 0xFFFE, 0xFFFF)
        or 0xE000 <= code <= 0xF8FF  # private use area: font-internal codes, no meaning
        or code >= 0xF0000
        or code < 0x20
        or 0x7F <= code <= 0x9F
    )


_BREAKS = frozenset({0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0x2028, 0x2029})


def _text_layer(page: pdfium.PdfPage, number: int, width: int, height: int) -> list[TextSpan] | None:
    try:
        textpage = page.get_textpage()
    except pdfium.PdfiumError as exc:
        log.info("PDF page %d: no text page: %s", number, exc)
        return None
    try:
        count = textpage.count_chars()
        if count <= 0:
            return None
        if count > _MAX_TEXT_CHARS:
            log.info("PDF page %d: %d characters, text layer skipped", number, count)
            return None
        return _read_lines(textpage, page, count, width, height)
    except (pdfium.PdfiumError, ValueError, OverflowError) as exc:
        log.info("PDF page %d: text layer unreadable: %s", number, exc)
        return None
    finally:
        textpage.close()


def _read_lines(
    textpage: pdfium.PdfTextPage, page: pdfium.PdfPage, count: int, width: int, height: int
) -> list[TextSpan] | None:
    raw = textpage.raw
    get_unicode = pdfium_c.FPDFText_GetUnicode
    map_error = pdfium_c.FPDFText_HasUnicodeMapError
    get_angle = pdfium_c.FPDFText_GetCharAngle
    get_box = pdfium_c.FPDFText_GetLooseCharBox
    rect = pdfium_c.FS_RECTF()
    to_pixels = _Affine(page, width, height)

    spans: list[TextSpan] = []
    good = bad = 0
    line = _Line()

    def flush() -> None:
        nonlocal line
        if line.chars:
            span = _make_span(line, to_pixels, width, height)
            if span is not None:
                spans.append(span)
        line = _Line()

    for i in range(count):
        code = get_unicode(raw, i)
        if code in _BREAKS:
            flush()
            continue
        if code <= 0x10FFFF and (chr(code).isspace() or code == 0xA0):
            line.space_pending = True
            continue
        if _is_bad(code) or map_error(raw, i) == 1:
            bad += 1
            continue
        if not get_box(raw, i, rect):
            continue
        box = (float(rect.left), float(rect.bottom), float(rect.right), float(rect.top))
        if not all(math.isfinite(v) for v in box):
            continue
        angle = float(get_angle(raw, i))
        horizontal = 0 <= angle < 0.05 or angle > 2 * math.pi - 0.05
        good += 1
        if not line.continues(box, horizontal):
            flush()
        line.add(chr(code), box, horizontal)
    flush()

    if good == 0 or bad > MAX_BAD_CHAR_FRACTION * (good + bad) or not spans:
        return None
    return spans


def _make_span(line: _Line, to_pixels: _Affine, width: int, height: int) -> TextSpan | None:
    text = "".join(line.chars)
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):  # UTF-16 halves from PDFium on some platforms
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if not text:
        return None
    x0, y0, x1, y1 = to_pixels.box(line.left, line.bottom, line.right, line.top)
    x0, x1 = max(0.0, x0), min(float(width), x1)
    y0, y1 = max(0.0, y0), min(float(height), y1)
    if x1 <= x0 or y1 <= y0:
        return None  # drawn outside the visible page
    x0, y0, x1, y1 = (round(v, 2) for v in (x0, y0, x1, y1))
    return TextSpan(text=text, box=[[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
