"""Closed unless configured open: /metrics takes the API's credentials, and the model server will not
start without its key; with the key, everything but /health needs it, checked before any body is read."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from app.core.config import SettingsError
from app.main import create_app
from app.model_server.app import create_model_server_app
from tests.conftest import TEST_KEY, ThreadServer, make_settings
from tests.fakes import SlowFakeEngines
from tests.rawhttp import headers_only

HALF_GIB = str(512 * 1024 * 1024)


def _ready(srv: ThreadServer) -> ThreadServer:
    deadline = time.monotonic() + 30
    while httpx.get(srv.url + "/health").status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return srv


@pytest.fixture(scope="module")
def model_server() -> Iterator[ThreadServer]:
    settings = make_settings(auth_mode="none", model_server_api_key="ms-secret")
    with ThreadServer(create_model_server_app(settings, engine_factory=lambda: SlowFakeEngines())) as srv:
        yield _ready(srv)


def test_metrics_need_the_api_credentials() -> None:
    with ThreadServer(create_app(make_settings(), engine_factory=lambda: SlowFakeEngines())) as srv:
        _ready(srv)
        anonymous = httpx.get(srv.url + "/metrics")
        assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthenticated"
        ok = httpx.get(srv.url + "/metrics", headers={"x-api-key": TEST_KEY})
        assert ok.status_code == 200 and "ocr_http_requests_total" in ok.text


def test_metrics_public_opens_them() -> None:
    settings = make_settings(metrics_public=True)
    with ThreadServer(create_app(settings, engine_factory=lambda: SlowFakeEngines())) as srv:
        _ready(srv)
        assert httpx.get(srv.url + "/metrics").status_code == 200


def test_the_model_server_refuses_to_build_without_a_key() -> None:
    with pytest.raises(SettingsError, match="MODEL_SERVER_API_KEY"):
        create_model_server_app(make_settings(auth_mode="none"), engine_factory=lambda: SlowFakeEngines())


def test_the_model_server_command_exits_with_a_clear_error_without_a_key() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODEL_SERVER_", "AUTH_", "API_KEY"))}
    env.update({"PRELOAD_MODELS": "false", "MODEL_SERVER_PORT": "1"})
    done = subprocess.run(
        [sys.executable, "-m", "app.model_server"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "MODEL_SERVER_API_KEY" in done.stderr and "MODEL_SERVER_OPEN" in done.stderr


def test_model_server_routes_but_health_need_the_key(model_server: ThreadServer) -> None:
    assert httpx.get(model_server.url + "/health").status_code == 200
    metrics = httpx.get(model_server.url + "/metrics")
    assert metrics.status_code == 401 and metrics.json()["error"]["code"] == "unauthenticated"
    assert httpx.get(model_server.url + "/metrics", headers={"x-api-key": "ms-secret"}).status_code == 200
    for path in ("/docs", "/openapi.json"):
        assert httpx.get(model_server.url + path).status_code == 404, path


@pytest.mark.parametrize("path", ["/predict", "/recognize"])
def test_model_server_refuses_an_anonymous_body_before_reading_it(model_server: ThreadServer, path: str) -> None:
    t0 = time.perf_counter()
    status, body = headers_only(
        model_server.port, path, {"Content-Type": "multipart/form-data; boundary=x", "Content-Length": HALF_GIB}
    )
    assert status == 401 and body["error"]["code"] == "unauthenticated"
    assert time.perf_counter() - t0 < 2.0


def test_model_server_refuses_a_body_over_its_limit_before_reading_it(model_server: ThreadServer) -> None:
    status, body = headers_only(
        model_server.port,
        "/predict",
        {"Content-Type": "multipart/form-data; boundary=x", "Content-Length": HALF_GIB, "x-api-key": "ms-secret"},
    )
    assert status == 413 and body["error"]["code"] == "file_too_large"
