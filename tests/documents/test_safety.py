"""Hostile and broken uploads: every failure is a typed AppError, fast, with nothing left behind."""

from __future__ import annotations

import builtins
import io
import os
import resource
import struct
import tempfile
import threading
import time
import zipfile
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image

from app.core.errors import AppError, ErrorCode
from app.documents import Limits, decode_document
from app.documents.decode import MAX_TIFF_FRAMES
from app.documents.tiff import count_frames
from tests.documents.conftest import MB
from tests.documents.pdfgen import ImageSpec, TextLine, hand_pdf, pdfium_text_pdf
from tests.documents.util import many_frame_tiff, raises_code
from tests.render import images_to_pdf, to_bytes

# --- helpers that forge headers -----------------------------------------------------------------


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def png_claiming(width: int, height: int) -> bytes:
    """A well-formed PNG header that claims a huge canvas, with a few bytes of pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 4096))
        + _chunk(b"IEND", b"")
    )


def jpeg_claiming(width: int, height: int) -> bytes:
    data = bytearray(to_bytes(Image.new("RGB", (16, 16), "white"), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def bmp_claiming(width: int, height: int) -> bytes:
    data = bytearray(to_bytes(Image.new("RGB", (16, 16), "white"), "BMP"))
    data[18:26] = struct.pack("<ii", width, height)
    return bytes(data)


def tiff_with_page_claiming(page: int, width: int, height: int) -> bytes:
    """A 3-page little-endian TIFF whose page `page` claims width x height in its IFD."""
    frames = [Image.new("L", (16, 16), 255) for _ in range(3)]
    data = bytearray(to_bytes(frames[0], "TIFF", save_all=True, append_images=frames[1:]))
    ifd = struct.unpack_from("<I", data, 4)[0]
    for _ in range(page - 1):
        count = struct.unpack_from("<H", data, ifd)[0]
        ifd = struct.unpack_from("<I", data, ifd + 2 + 12 * count)[0]
    count = struct.unpack_from("<H", data, ifd)[0]
    for i in range(count):
        entry = ifd + 2 + 12 * i
        tag = struct.unpack_from("<H", data, entry)[0]
        if tag in (256, 257):  # ImageWidth, ImageLength -> LONG values
            struct.pack_into("<HHII", data, entry, tag, 4, 1, width if tag == 256 else height)
    return bytes(data)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- size, type ---------------------------------------------------------------------------------


def test_empty_and_too_large(limits: Limits) -> None:
    with raises_code(ErrorCode.EMPTY_FILE) as info:
        decode_document(b"", limits)
    assert info.value.status == 400
    small = Limits(max_bytes=1 * MB, max_pixels=limits.max_pixels, max_pages=10)
    blob = os.urandom(small.max_bytes + 1)  # size is checked before the type
    with raises_code(ErrorCode.FILE_TOO_LARGE) as info:
        decode_document(blob, small)
    assert "1.0 MB" in info.value.message and "limit is 1 MB" in info.value.message
    png = to_bytes(Image.new("RGB", (10, 10)), "PNG")
    exact = Limits(max_bytes=len(png), max_pixels=100, max_pages=1)
    assert decode_document(png, exact).pages[0].width == 10


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", "<w:document/>" * 50)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "make", "looks_like"),
    [
        ("random", lambda: np.random.default_rng(7).bytes(5000), None),
        ("zip", _zip, "ZIP"),
        ("gif", lambda: to_bytes(Image.new("P", (20, 20)), "GIF"), "GIF"),
        ("text", lambda: "합계 110,000원\n".encode() * 10, None),
        ("html", lambda: b"<!DOCTYPE html><html><body>hi</body></html>", "HTML"),
    ],
)
def test_unsupported_types(limits: Limits, name: str, make: Callable[[], bytes], looks_like: str | None) -> None:
    with raises_code(ErrorCode.UNSUPPORTED_MEDIA_TYPE) as info:
        decode_document(make(), limits)
    message = info.value.message
    assert "PNG, JPEG, TIFF, BMP, WebP or PDF" in message
    assert info.value.status == 415
    if looks_like:
        assert looks_like in message


# --- decompression bombs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "page"),
    [
        ("png", png_claiming(100_000, 100_000), 1),
        ("jpeg", jpeg_claiming(60_000, 60_000), 1),
        ("bmp", bmp_claiming(50_000, 50_000), 1),
        ("tiff page 2", tiff_with_page_claiming(2, 100_000, 100_000), 2),
    ],
)
def test_pixel_bombs_fail_fast_without_allocating(limits: Limits, name: str, data: bytes, page: int) -> None:
    rss_before = _peak_rss_mb()
    start = time.perf_counter()
    with raises_code(ErrorCode.TOO_MANY_PIXELS) as info:
        decode_document(data, limits)
    elapsed = time.perf_counter() - start
    assert elapsed < 0.3, f"{name}: {elapsed:.2f}s"
    assert _peak_rss_mb() - rss_before < 100  # the claimed canvas would be gigabytes
    assert f"Page {page} is" in info.value.message and "limit is 40 megapixels" in info.value.message
    assert info.value.status == 413


def test_tiff_bomb_is_skipped_when_not_selected(limits: Limits) -> None:
    data = tiff_with_page_claiming(3, 100_000, 100_000)
    assert [p.index for p in decode_document(data, limits, pages="1-2").pages] == [1, 2]


def test_pixel_limit_is_inclusive() -> None:
    limits = Limits(max_bytes=MB, max_pixels=100 * 80, max_pages=1)
    assert decode_document(to_bytes(Image.new("RGB", (100, 80)), "PNG"), limits).pages[0].width == 100
    with raises_code(ErrorCode.TOO_MANY_PIXELS):
        decode_document(to_bytes(Image.new("RGB", (101, 80)), "PNG"), limits)


def test_pdf_embedded_image_bomb() -> None:
    """A tiny page that embeds a 4000 x 4000 image: rejected before PDFium decodes the image."""
    data = hand_pdf([[]], page_size=(100, 100), image=ImageSpec(4000, 4000))
    limits = Limits(max_bytes=MB, max_pixels=1_000_000, max_pages=1, pdf_dpi=72)
    start = time.perf_counter()
    with raises_code(ErrorCode.TOO_MANY_PIXELS) as info:
        decode_document(data, limits)
    assert time.perf_counter() - start < 0.3
    assert "embeds an image of 4000 x 4000 pixels" in info.value.message
    small = hand_pdf([[]], page_size=(100, 100), image=ImageSpec(500, 500, value=0))
    page = decode_document(small, limits).pages[0]
    assert page.image.shape == (100, 100, 3) and page.image.max() < 10  # the black image fills the page


# --- corrupt files ------------------------------------------------------------------------------


def _photo() -> Image.Image:
    rng = np.random.default_rng(3)
    return Image.fromarray(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")  # Pillow's note on the cut-off TIFF header
@pytest.mark.parametrize(
    ("fmt", "kwargs"),
    [("PNG", {}), ("JPEG", {}), ("TIFF", {}), ("BMP", {}), ("WEBP", {"lossless": True})],
)
def test_truncated_images_are_corrupt(limits: Limits, fmt: str, kwargs: dict[str, Any]) -> None:
    data = to_bytes(_photo(), fmt, **kwargs)
    for cut in (len(data) // 2, 40):
        with raises_code(ErrorCode.CORRUPT_DOCUMENT) as info:
            decode_document(data[:cut], limits)
        assert info.value.status == 400


def test_damaged_png_data_is_corrupt(limits: Limits) -> None:
    data = bytearray(to_bytes(_photo(), "PNG"))
    idat = data.index(b"IDAT")
    data[idat + 200 : idat + 400] = os.urandom(200)
    with raises_code(ErrorCode.CORRUPT_DOCUMENT):
        decode_document(bytes(data), limits)


def test_broken_pdfs_are_corrupt(limits: Limits) -> None:
    good = hand_pdf([[TextLine("Hello", 72, 100)]] * 2)
    raster = images_to_pdf([_photo(), _photo()])
    cases = [
        good[: len(good) // 2],
        raster[: len(raster) * 3 // 4],
        b"%PDF-1.7\n" + np.random.default_rng(1).bytes(3000),
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF",  # no pages
    ]
    for data in cases:
        with raises_code(ErrorCode.CORRUPT_DOCUMENT) as info:
            decode_document(data, limits)
        assert "PDF" in info.value.message


# --- resources ----------------------------------------------------------------------------------


def test_every_pdfium_object_is_closed(limits: Limits, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[Any] = []
    real_document = pdfium.PdfDocument
    real_get_page = pdfium.PdfDocument.get_page
    real_get_textpage = pdfium.PdfPage.get_textpage

    class SpyDocument(real_document):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            opened.append(self)

    def get_page(self: Any, index: int) -> Any:
        page = real_get_page(self, index)
        opened.append(page)
        return page

    def get_textpage(self: Any) -> Any:
        textpage = real_get_textpage(self)
        opened.append(textpage)
        return textpage

    monkeypatch.setattr(pdfium, "PdfDocument", SpyDocument)
    monkeypatch.setattr(real_document, "get_page", get_page)
    monkeypatch.setattr(pdfium.PdfPage, "get_textpage", get_textpage)

    text_pdf = hand_pdf([[TextLine("Hello", 72, 100)], [TextLine("World", 72, 100)]])
    for _ in range(20):
        assert len(decode_document(text_pdf, limits).pages) == 2
    bomb = hand_pdf([[]], page_size=(100, 100), image=ImageSpec(3000, 3000))
    with raises_code(ErrorCode.TOO_MANY_PIXELS):
        decode_document(bomb, Limits(max_bytes=MB, max_pixels=1_000_000, max_pages=1, pdf_dpi=72))
    with raises_code(ErrorCode.INVALID_PARAMETER):
        decode_document(text_pdf, limits, pages="9")
    kinds = {type(o).__name__ for o in opened}
    assert kinds == {"SpyDocument", "PdfPage", "PdfTextPage"}
    # in the calling thread the document is opened for its outline, then again for each page it renders
    # (nothing of PDFium is held between pages): 3 documents, 2 pages, 2 text pages per decode
    assert len(opened) == 20 * 7 + 3 + 1
    assert all(o.raw is None for o in opened), "a PDFium object was left open"


def test_concurrent_decoding_from_threads(limits: Limits) -> None:
    korean = pdfium_text_pdf([[TextLine("동시에 여러 요청", 60, 80)]] * 2)
    png = to_bytes(_photo(), "PNG")
    expected_pdf = decode_document(korean, limits)
    expected_png = decode_document(png, limits).pages[0].image
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(4):
                doc = decode_document(korean, limits)
                for got, want in zip(doc.pages, expected_pdf.pages, strict=True):
                    assert np.array_equal(got.image, want.image)
                    assert got.text_layer == want.text_layer
                assert np.array_equal(decode_document(png, limits).pages[0].image, expected_png)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors


def test_no_files_are_written_or_opened(limits: Limits, monkeypatch: pytest.MonkeyPatch) -> None:
    """Decoding works purely in memory: any attempt to create or open a file fails the test."""
    inputs = [to_bytes(_photo(), fmt) for fmt in ("PNG", "JPEG", "TIFF", "BMP", "WEBP")] + [
        hand_pdf([[TextLine("Hello", 72, 100)]]),
        images_to_pdf([_photo()]),
        png_claiming(100_000, 100_000),
        b"%PDF-1.4\ngarbage",
    ]
    decode_document(inputs[0], limits)  # warm up lazy imports before files are forbidden

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"file access during decoding: {args!r}")

    for name in ("mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryFile", "SpooledTemporaryFile"):
        monkeypatch.setattr(tempfile, name, forbidden)
    monkeypatch.setattr(builtins, "open", forbidden)
    monkeypatch.setattr(io, "open", forbidden)
    for data in inputs:
        try:
            decode_document(data, limits)
        except AppError:
            pass  # the bomb and the garbage PDF fail, as they should, without touching files


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_mutated_files_only_ever_raise_app_errors() -> None:
    """Random damage to valid files of every type: a decoded document or an AppError, nothing else."""
    rng = np.random.default_rng(2024)
    photo = Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))
    seeds = [
        to_bytes(photo, "PNG"),
        to_bytes(photo, "JPEG"),
        to_bytes(photo, "TIFF", compression="tiff_lzw"),
        to_bytes(photo, "BMP"),
        to_bytes(photo, "WEBP"),
        hand_pdf([[TextLine("Hello world", 20, 50)]], page_size=(150, 150)),
        images_to_pdf([photo]),
    ]
    limits = Limits(max_bytes=MB, max_pixels=2_000_000, max_pages=3, pdf_dpi=72)
    outcomes: set[str] = set()
    for seed in seeds:
        for _ in range(25):
            data = bytearray(seed)
            for _ in range(int(rng.integers(1, 8))):
                pos = int(rng.integers(0, len(data)))
                if rng.random() < 0.5:
                    data[pos] = int(rng.integers(0, 256))
                else:
                    del data[pos : pos + int(rng.integers(1, 40))]
            try:
                doc = decode_document(bytes(data), limits)
                assert all(p.image.dtype == np.uint8 and p.image.ndim == 3 for p in doc.pages)
                outcomes.add("ok")
            except AppError as exc:
                outcomes.add(exc.code.name)
    assert {"ok", "CORRUPT_DOCUMENT"} <= outcomes


# --- TIFF page counting ---------------------------------------------------------------------------------

LIMITS = Limits(max_bytes=8 * MB, max_pixels=1_000_000, max_pages=10)


@pytest.mark.parametrize("big_endian", [False, True])
def test_tiff_pages_are_counted_like_pillow_does(big_endian: bool) -> None:
    data = many_frame_tiff(37, big_endian=big_endian)
    assert count_frames(data, 1000) == Image.open(io.BytesIO(data)).n_frames == 37


@pytest.mark.parametrize("big_tiff", [False, True])
def test_tiff_written_by_pillow_counts_its_pages(big_tiff: bool) -> None:
    buf = io.BytesIO()
    frames = [Image.new("RGB", (20 + i, 10), (i, 0, 0)) for i in range(5)]
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:], big_tiff=big_tiff)
    assert count_frames(buf.getvalue(), 1000) == 5
    assert decode_document(buf.getvalue(), LIMITS, pages="5").pages[0].width == 24


def test_a_tiff_with_too_many_pages_is_refused_before_any_is_read() -> None:
    data = many_frame_tiff(MAX_TIFF_FRAMES + 500)
    t0 = time.perf_counter()
    with raises_code(ErrorCode.TOO_MANY_PAGES) as info:
        decode_document(data, LIMITS, pages="1")
    assert time.perf_counter() - t0 < 0.5
    assert f"more than {MAX_TIFF_FRAMES} pages" in info.value.message


def test_a_page_deep_in_a_long_tiff_can_be_selected() -> None:
    doc = decode_document(many_frame_tiff(MAX_TIFF_FRAMES), LIMITS, pages=str(MAX_TIFF_FRAMES))
    assert doc.page_count == MAX_TIFF_FRAMES and doc.pages[0].index == MAX_TIFF_FRAMES


@pytest.mark.parametrize(
    ("mangle", "why"),
    [(lambda d: d[:-200], "truncated"), (lambda d: d, "loop")],
)
def test_a_broken_tiff_directory_chain_is_corrupt(mangle, why: str) -> None:
    data = mangle(many_frame_tiff(20, loop=why == "loop"))
    with raises_code(ErrorCode.CORRUPT_DOCUMENT):
        decode_document(data, LIMITS)
