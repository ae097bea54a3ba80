"""Helpers for the job tests: an app with the /jobs router on real uvicorn, documents, polling."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, ImageDraw

from app.main import create_app
from tests.conftest import TEST_KEY, ThreadServer, make_settings
from tests.fakes import SlowFakeEngines
from tests.render import font, images_to_pdf

OTHER_KEY = "other-key-9876543210"
H = {"x-api-key": TEST_KEY}
H2 = {"x-api-key": OTHER_KEY}


def serve(engines: Any, tmp: Path, **overrides: Any) -> ThreadServer:
    base: dict[str, Any] = {
        "api_key": f"{TEST_KEY},{OTHER_KEY}",
        "data_dir": tmp,
        "jobs_lease_s": 3.0,
        "max_batch_wait_ms": 2.0,
    }
    base.update(overrides)
    settings = make_settings(**base)
    return ThreadServer(create_app(settings, engine_factory=lambda: engines))


@pytest.fixture
def jobs_server(tmp_path: Path) -> Iterator[Callable[..., ThreadServer]]:
    """Factory: `with jobs_server(engines, **settings) as srv:` (DATA_DIR is the test's tmp dir)."""

    def make(engines: Any | None = None, **overrides: Any) -> ThreadServer:
        return serve(engines or SlowFakeEngines(), tmp_path, **overrides)

    yield make


def page_images(n: int, *, base_width: int = 300, height: int = 80, label: str = "page") -> list[Image.Image]:
    """n small pages, page i is (base_width + i) pixels wide so a fake engine's answer tells pages apart."""
    f = font("dejavu", 28)
    out = []
    for i in range(1, n + 1):
        im = Image.new("RGB", (base_width + i, height), "white")
        ImageDraw.Draw(im).text((10, 20), f"{label} {i}", fill="black", font=f)
        out.append(im)
    return out


def small_pdf(n: int, **kw: Any) -> bytes:
    return images_to_pdf(page_images(n, **kw), dpi=200)


def wait_job(
    url: str,
    job_id: str,
    *,
    headers: dict[str, str] | None = None,
    until: tuple[str, ...] = ("succeeded", "failed", "cancelled"),
    timeout: float = 60.0,
    predicate: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            r = httpx.get(f"{url}/jobs/{job_id}", headers=headers or H, timeout=10)
        except httpx.HTTPError:
            time.sleep(0.2)
            continue
        assert r.status_code == 200, r.text
        body = r.json()
        if predicate is not None and predicate(body):
            return body
        if predicate is None and body["status"] in until:
            return body
        time.sleep(0.1)
    raise TimeoutError(f"job {job_id} did not reach {until}: last {body}")


def submit(url: str, data: bytes, name: str = "doc.pdf", headers: dict[str, str] | None = None, **form: Any):  # type: ignore[no-untyped-def]
    return httpx.post(
        f"{url}/jobs",
        headers=headers or H,
        files={"file": (name, data, "application/octet-stream")},
        data={k: str(v) for k, v in form.items()},
        timeout=60,
    )
