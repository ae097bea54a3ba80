"""The serving runtime under load: bounded queue → 429, deadlines → 504, batching, metrics.

A slow fake engine sits behind the REAL queue/workers/routes, served by real uvicorn over real HTTP,
so the timing is deterministic; recognition quality is tested elsewhere with the real engines.
"""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from app.main import create_app
from tests.conftest import TEST_KEY, ThreadServer, make_settings
from tests.fakes import SlowFakeEngines
from tests.render import render_lines, to_bytes

H = {"x-api-key": TEST_KEY}


@pytest.fixture(scope="module")
def png() -> bytes:
    img, _ = render_lines(["hello"], font_name="dejavu", width=300, height=120, margin=10)
    return to_bytes(img)


def _serve(engines: SlowFakeEngines, **settings: object) -> ThreadServer:
    s = make_settings(**settings)
    return ThreadServer(create_app(s, engine_factory=lambda: engines))


async def _post_many(url: str, png: bytes, n: int, timeout: float = 30) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=url, headers=H, timeout=timeout) as c:
        return list(
            await asyncio.gather(*(c.post("/ocr", files={"file": ("a.png", png, "image/png")}) for _ in range(n)))
        )


def test_queue_full_is_a_fast_429_with_retry_after(png: bytes) -> None:
    engines = SlowFakeEngines(det_s=0.5)
    with _serve(engines, max_concurrent_requests=1, queue_max_size=2, max_batch_size=1) as srv:
        t0 = time.perf_counter()
        responses = asyncio.run(_post_many(srv.url, png, 8))
        codes = sorted(r.status_code for r in responses)
        assert codes.count(200) == 3, codes  # 1 in service + 2 waiting
        assert codes.count(429) == 5, codes
        refused = [r for r in responses if r.status_code == 429]
        for r in refused:
            assert r.json()["error"]["code"] == "queue_full"
            assert int(r.headers["retry-after"]) >= 1
            assert r.headers["x-request-id"] == r.json()["error"]["request_id"]
        assert time.perf_counter() - t0 < 5
        # and the service is healthy afterwards
        assert httpx.get(srv.url + "/health").status_code == 200
        ok = httpx.post(srv.url + "/ocr", headers=H, files={"file": ("a.png", png, "image/png")}, timeout=10)
        assert ok.status_code == 200


def test_deadline_is_504_and_queued_work_is_dropped(png: bytes) -> None:
    engines = SlowFakeEngines(det_s=1.0)
    with _serve(engines, request_timeout_s=0.5, max_concurrent_requests=4, max_batch_size=1) as srv:
        responses = asyncio.run(_post_many(srv.url, png, 3))
        assert [r.status_code for r in responses] == [504, 504, 504]
        assert all(r.json()["error"]["code"] == "timeout" for r in responses)
        time.sleep(1.5)  # the first detect finishes; the other two were dropped before compute
        assert len(engines.det_batches) < 3, engines.det_batches
        m = httpx.get(srv.url + "/metrics", headers=H).text
        assert 'ocr_work_dropped_total{queue="det",reason="cancelled"}' in m


def test_concurrent_requests_are_batched_together(png: bytes) -> None:
    engines = SlowFakeEngines(det_s=0.3, rec_s=0.3)
    with _serve(engines, max_concurrent_requests=8, max_batch_size=8, det_batch_size=8, max_batch_wait_ms=50) as srv:
        responses = asyncio.run(_post_many(srv.url, png, 8))
        assert all(r.status_code == 200 for r in responses)
        assert max(engines.det_batches) > 1, engines.det_batches
        assert max(engines.rec_batches) > 1, engines.rec_batches
        assert sum(engines.rec_batches) == 8
        # every client got its own answer
        assert all(r.json()["pages"][0]["lines"][0]["text"].startswith("fake 29") for r in responses)
        m = httpx.get(srv.url + "/metrics", headers=H).text
        assert "ocr_batch_size_bucket" in m


def test_metrics_exposed(png: bytes) -> None:
    engines = SlowFakeEngines()
    with _serve(engines) as srv:
        httpx.post(srv.url + "/ocr", headers=H, files={"file": ("a.png", png, "image/png")}, timeout=10)
        text = httpx.get(srv.url + "/metrics", headers=H).text
        for name in (
            'ocr_http_requests_total{method="POST",route="/ocr",status="200"}',
            "ocr_http_request_duration_seconds_bucket",
            "ocr_queue_depth",
            'ocr_inference_stage_seconds_count{stage="det"}',
            'ocr_inference_stage_seconds_count{stage="rec"}',
            'ocr_inference_stage_seconds_count{stage="decode"}',
            'ocr_pages_processed_total{source="ocr",task="ocr"}',
            "ocr_process_rss_bytes",
            "process_resident_memory_bytes",
        ):
            assert name in text, name


def test_health_is_503_while_loading() -> None:
    gate = threading.Event()

    def slow_factory() -> SlowFakeEngines:
        gate.wait(10)
        return SlowFakeEngines()

    with ThreadServer(create_app(make_settings(), engine_factory=slow_factory)) as srv:
        r = httpx.get(srv.url + "/health")
        assert r.status_code == 503 and r.json()["status"] == "loading"
        assert httpx.get(srv.url + "/health/live").status_code == 200
        busy = httpx.post(srv.url + "/ocr", headers=H, files={"file": ("a.png", b"x", "image/png")})
        assert busy.status_code == 503 and busy.json()["error"]["code"] == "not_ready"
        gate.set()
        deadline = time.monotonic() + 10
        while httpx.get(srv.url + "/health").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)
