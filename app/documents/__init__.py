"""Uploaded bytes -> decoded pages (images, PDFs), with every limit enforced before decoding."""

from app.documents.decode import PageSource, decode_document, open_document, rotate_image
from app.documents.limits import check_pixels, check_size, limits_from_settings, parse_pages
from app.documents.sniff import ACCEPTED_DESCRIPTION, ACCEPTED_KINDS, sniff
from app.documents.types import Document, Limits, Outline, Page, PageSize, TextSpan

__all__ = [
    "ACCEPTED_DESCRIPTION",
    "ACCEPTED_KINDS",
    "Document",
    "Limits",
    "Outline",
    "Page",
    "PageSize",
    "PageSource",
    "TextSpan",
    "check_pixels",
    "check_size",
    "decode_document",
    "limits_from_settings",
    "open_document",
    "parse_pages",
    "rotate_image",
    "sniff",
]
