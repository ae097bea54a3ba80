"""Fixtures for the engine tests: real models from MODELS_DIR, built once per test session.

The models must be provisioned (``python scripts/fetch_models.py``, part of scripts/install.sh); the
engines are built once (about 1.5-4 s) and shared by every test here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def engine_settings() -> Any:
    from app.core.config import load_settings

    return load_settings(auth_mode="none")


@pytest.fixture(scope="session")
def engines(engine_settings: Any) -> Iterator[Any]:
    from app.engines.registry import build_engines

    eng = build_engines(engine_settings)
    yield eng
    eng.close()


@pytest.fixture(scope="session")
def script_engines() -> Iterator[Any]:
    """A recognition engine set with every language of the RapidOCR set enabled (OCR_LANGUAGES), whose
    Tesseract data must be installed: a missing package fails the tests that need it, saying which."""
    from app.core.config import load_settings
    from app.engines.base import EngineLoadError
    from app.engines.registry import build_engines
    from tests.engines.helpers import rapidocr_labels

    langs = sorted({lab["lang"] for lab in rapidocr_labels()})
    try:
        eng = build_engines(load_settings(auth_mode="none", ocr_languages=",".join(langs)), part="rec")
    except EngineLoadError as exc:
        pytest.fail(
            f"{exc}\nThe test suite reads these languages: install their data with INSTALL_TEST_TOOLS=1 scripts/install.sh",
            pytrace=False,
        )
    yield eng
    eng.close()
