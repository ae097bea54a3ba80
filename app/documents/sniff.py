"""Identify a document's type from its first bytes (never from a filename or a Content-Type)."""

from __future__ import annotations

# What the service accepts, in the order the error messages list them.
ACCEPTED_KINDS: tuple[str, ...] = ("png", "jpeg", "tiff", "bmp", "webp", "pdf")
ACCEPTED_DESCRIPTION = "PNG, JPEG, TIFF, BMP, WebP or PDF"

_PNG = b"\x89PNG\r\n\x1a\n"
_TIFF = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF, both byte orders
# BITMAPINFOHEADER sizes Pillow understands (OS/2 core, Windows v1..v5 and the 52/56/64 variants).
_BMP_DIB_SIZES = frozenset({12, 40, 52, 56, 64, 108, 124})
# PDF readers accept the header anywhere in the first KiB (some producers prepend junk).
_PDF_HEADER_WINDOW = 1024


def sniff(data: bytes) -> str | None:
    """Return "png" | "jpeg" | "tiff" | "bmp" | "webp" | "pdf" from the magic bytes, or None."""
    head = bytes(data[:_PDF_HEADER_WINDOW])
    if head.startswith(_PNG):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(_TIFF):
        return "tiff"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"BM") and len(head) >= 18 and int.from_bytes(head[14:18], "little") in _BMP_DIB_SIZES:
        return "bmp"
    if head.startswith(b"%PDF-"):
        return "pdf"
    # A header after some leading junk is still a PDF, unless the junk is another container's
    # signature (a ZIP whose first member is a stored PDF is a ZIP, not a PDF).
    if b"%PDF-" in head and describe_unsupported(head) is None:
        return "pdf"
    return None


# Common uploads we do not take, so the error can say what the file looks like.
_KNOWN_OTHERS: tuple[tuple[bytes, int, str], ...] = (
    (b"GIF87a", 0, "a GIF image"),
    (b"GIF89a", 0, "a GIF image"),
    (b"PK\x03\x04", 0, "a ZIP archive (or an Office document)"),
    (b"PK\x05\x06", 0, "an empty ZIP archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "a legacy Office document"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", 0, "a JPEG 2000 image"),
    (b"\xff\x4f\xff\x51", 0, "a JPEG 2000 codestream"),
    (b"8BPS", 0, "a Photoshop document"),
    (b"\x1f\x8b", 0, "a gzip archive"),
    (b"Rar!", 0, "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", 0, "a 7-Zip archive"),
    (b"\x00\x00\x01\x00", 0, "an icon file"),
)
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis")


def describe_unsupported(data: bytes) -> str | None:
    """A short human name for a few well-known types we reject (for error messages), or None."""
    head = bytes(data[:64])
    for magic, offset, name in _KNOWN_OTHERS:
        if head[offset:].startswith(magic):
            return name
    if head[4:8] == b"ftyp":
        if head[8:12] in _HEIF_BRANDS:
            return "a HEIC/HEIF/AVIF image"
        return "an ISO media file (video or HEIF)"
    stripped = head.lstrip()
    if stripped.startswith((b"<svg", b"<?xml")):
        return "an XML/SVG file"
    if stripped[:15].lower().startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    return None
