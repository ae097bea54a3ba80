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
