"""Fixtures for the /structure tests: the real service (real OCR, layout and table engines, real
queue and workers) served by uvicorn over real HTTP, built once per session.

"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_KEY, ThreadServer, make_settings

H = {"x-api-key": TEST_KEY}


def structure_app(**overrides: object) -> Any:
    """The service exactly as create_app wires it (real engines; /structure included)."""
    from app.main import create_app

    return create_app(make_settings(**overrides))


@pytest.fixture(scope="session")
def structure_server() -> Iterator[ThreadServer]:
    with ThreadServer(structure_app()) as srv:
        deadline = 180.0
        r = httpx.get(srv.url + "/health", timeout=deadline)
        import time

        end = time.monotonic() + deadline
        while r.status_code != 200 and time.monotonic() < end:
            time.sleep(0.25)
            r = httpx.get(srv.url + "/health", timeout=5)
        assert r.status_code == 200, r.text
        yield srv


def post_structure(
    srv: ThreadServer, data: bytes, *, name: str = "page.png", mime: str = "image/png", **form: str
) -> httpx.Response:
    return httpx.post(
        srv.url + "/structure",
        headers=H,
        files={"file": (name, io.BytesIO(data), mime)},
        data=form,
        timeout=120,
    )
