"""Fixtures for the document decoder tests: default limits and a page with known text."""

from __future__ import annotations

import pytest
from PIL import Image

from app.documents.types import Limits
from tests.render import KOREAN_SAMPLE, render_lines

MB = 1024 * 1024


@pytest.fixture
def limits() -> Limits:
    return Limits(max_bytes=30 * MB, max_pixels=40_000_000, max_pages=10, pdf_dpi=100)


@pytest.fixture(scope="session")
def page_image() -> Image.Image:
    """A small white page with three lines of black Korean text (600 x 400)."""
    img, _ = render_lines(KOREAN_SAMPLE[:3], width=600, height=400, size=28, margin=30)
    return img
