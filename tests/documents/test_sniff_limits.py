"""Type sniffing, the `pages` syntax and the byte-size checks."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image

from app.core.config import load_settings
from app.core.errors import ErrorCode
from app.documents import Limits, check_size, limits_from_settings, parse_pages, sniff
from app.documents.sniff import describe_unsupported
from tests.documents.util import raises_code
from tests.render import images_to_pdf, to_bytes


@pytest.mark.parametrize(
    ("fmt", "kind"),
    [("PNG", "png"), ("JPEG", "jpeg"), ("TIFF", "tiff"), ("BMP", "bmp"), ("WEBP", "webp")],
)
def test_sniff_images(fmt: str, kind: str) -> None:
    assert sniff(to_bytes(Image.new("RGB", (8, 8), "white"), fmt)) == kind


def test_sniff_pdf_and_big_endian_tiff() -> None:
    assert sniff(images_to_pdf([Image.new("RGB", (8, 8))])) == "pdf"
    assert sniff(b"\n\r junk before the header %PDF-1.7\n...") == "pdf"
    assert sniff(b"MM\x00*" + b"\x00" * 16) == "tiff"
    assert sniff(b"II+\x00" + b"\x00" * 16) == "tiff"  # BigTIFF


def test_sniff_rejects_other_types() -> None:
    gif = to_bytes(Image.new("P", (8, 8)), "GIF")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("inner.pdf", b"%PDF-1.4 a stored PDF inside a ZIP")
    for data in (
        gif,
        buf.getvalue(),
        b"hello world",
        b"BM",
        b"BMxxxxxxxxxxxxxxxxxxxxxx",
        b"RIFF\x00\x00\x00\x00WAVE",
        b"",
    ):
        assert sniff(data) is None, data[:16]
    assert describe_unsupported(gif) == "a GIF image"
    assert describe_unsupported(buf.getvalue()) == "a ZIP archive (or an Office document)"
    assert describe_unsupported(b"\x00\x00\x00\x18ftypheic\x00\x00") == "a HEIC/HEIF/AVIF image"
    assert describe_unsupported(b"random") is None


@pytest.mark.parametrize(
    ("spec", "total", "expected"),
    [
        (None, 3, [1, 2, 3]),
        ("", 3, [1, 2, 3]),
        ("   ", 2, [1, 2]),
        ("2", 5, [2]),
        ("1-3,5", 5, [1, 2, 3, 5]),
        ("5,1-3", 5, [1, 2, 3, 5]),
        ("3,3,1-2,2", 5, [1, 2, 3]),
        (" 1 - 2 , 4 ", 5, [1, 2, 4]),
        ("4-", 6, [4, 5, 6]),
        ("2~3", 5, [2, 3]),
        ("5-5", 5, [5]),
    ],
)
def test_parse_pages_valid(spec: str | None, total: int, expected: list[int]) -> None:
    assert parse_pages(spec, total, max_pages=10) == expected


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("abc", "'abc'"),
        ("1-2-3", "'1-2-3'"),
        ("1,,2", "empty entry"),
        ("1,", "empty entry"),
        ("-2", "'-2'"),
        ("1.5", "'1.5'"),
        ("0", "numbered from 1"),
        ("0-2", "numbered from 1"),
        ("3-1", "reversed"),
        ("6", "page 6 is past the end"),
        ("4-9", "'4-9' is past the end"),
        ("7-", "past the end"),
        ("\u0661", "not a page number"),  # Arabic-Indic digit one: only ASCII digits count
    ],
)
def test_parse_pages_invalid(spec: str, fragment: str) -> None:
    with raises_code(ErrorCode.INVALID_PARAMETER) as info:
        parse_pages(spec, 5, max_pages=10)
    assert fragment in info.value.message
    assert "5 pages" in info.value.message
    assert info.value.status == 422
    assert info.value.details == {"parameter": "pages", "page_count": 5}


def test_parse_pages_too_long_value() -> None:
    with raises_code(ErrorCode.INVALID_PARAMETER):
        parse_pages("1," * 600 + "1", 5, max_pages=10)


def test_parse_pages_over_max_pages() -> None:
    assert parse_pages("1-3", 200, max_pages=3) == [1, 2, 3]  # a long document, a short selection
    with raises_code(ErrorCode.TOO_MANY_PAGES) as info:
        parse_pages(None, 200, max_pages=50)
    message = info.value.message
    assert "200 pages selected" in message and "at most 50" in message
    assert "`pages`" in message and "/jobs" in message
    assert info.value.status == 413
    with raises_code(ErrorCode.TOO_MANY_PAGES):
        parse_pages("1-3,10-12", 20, max_pages=5)


def test_check_size() -> None:
    limits = Limits(max_bytes=20 * 1024 * 1024, max_pixels=1, max_pages=1)
    check_size(limits.max_bytes, limits)
    with raises_code(ErrorCode.EMPTY_FILE):
        check_size(0, limits)
    with raises_code(ErrorCode.FILE_TOO_LARGE) as info:
        check_size(limits.max_bytes + 300_000, limits)
    assert info.value.message == "The file is 20.3 MB; the limit is 20 MB."
    assert info.value.status == 413


def test_limits_from_settings() -> None:
    settings = load_settings(auth_mode="none", max_upload_mb=2.5, max_pixels=1234, max_pages=7, pdf_dpi=150)
    assert limits_from_settings(settings) == Limits(
        max_bytes=int(2.5 * 1024 * 1024), max_pixels=1234, max_pages=7, pdf_dpi=150
    )


class _EndlessUpload:
    """An upload that never ends (a client streaming forever); counts what was read."""

    filename = "endless.bin"

    def __init__(self) -> None:
        self.read_bytes = 0

    async def read(self, size: int = -1) -> bytes:
        self.read_bytes += size
        return b"\0" * size


def test_upload_reader_stops_at_the_limit_instead_of_reading_everything() -> None:
    import asyncio

    from app.documents.limits import UPLOAD_CHUNK, upload_chunks

    upload = _EndlessUpload()

    async def drain() -> None:
        async for _ in upload_chunks(upload, 3 * UPLOAD_CHUNK, "too large (limit)"):
            pass

    with raises_code(ErrorCode.FILE_TOO_LARGE) as info:
        asyncio.run(drain())
    assert info.value.message == "too large (limit)"
    assert info.value.details == {"limit_bytes": 3 * UPLOAD_CHUNK}
    assert upload.read_bytes == 4 * UPLOAD_CHUNK  # one chunk past the limit, then stop


def test_upload_reader_names_an_empty_file() -> None:
    import asyncio

    from app.documents.limits import upload_chunks

    class Empty:
        filename = "blank.png"

        async def read(self, size: int = -1) -> bytes:
            return b""

    async def drain() -> list[bytes]:
        return [c async for c in upload_chunks(Empty(), 1024, "too large")]

    with raises_code(ErrorCode.EMPTY_FILE) as info:
        asyncio.run(drain())
    assert "'blank.png'" in info.value.message
