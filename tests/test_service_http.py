"""The service as operators run it (`python -m app`), over real HTTP: start-up, health, auth envelope,
request ids, logs, CORS, offline docs, configuration errors, SIGTERM drain."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from tests.conftest import REPO, TEST_KEY, LiveServer, free_port
from tests.render import images_to_pdf, render_lines

pytestmark = pytest.mark.integration


def run_app(env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("API_KEY", "AUTH_MODE")}
    return subprocess.run(
        [sys.executable, "-m", "app"], cwd=REPO, env={**clean, **env}, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"AUTH_MODE": "api-key"}, ["API_KEY", "AUTH_MODE=none"]),
        ({"AUTH_MODE": "cognito"}, ["COGNITO_ISSUER"]),
        ({"AUTH_MODE": "nonsense", "API_KEY": "k"}, ["AUTH_MODE"]),
        ({"API_KEY": "k", "MAX_UPLOAD_MB": "lots"}, ["MAX_UPLOAD_MB"]),
        ({"API_KEY": "k", "PORT": "99999"}, ["PORT"]),
        ({"API_KEY": "k", "OCR_DEFAULT_LANG": "klingon"}, ["OCR_DEFAULT_LANG", "korean"]),
        ({"API_KEY": "k", "OCR_LANGUAGES": "korean,thai,xx"}, ["OCR_LANGUAGES", "'thai' (did you mean th?)", "'xx'"]),
        (
            {"API_KEY": "k", "OCR_DEFAULT_LANG": "th"},
            ["OCR_DEFAULT_LANG", "add th to OCR_LANGUAGES", "tesseract-ocr-tha"],
        ),
        ({"API_KEY": "k", "LOG_FORMAT": "xml"}, ["LOG_FORMAT"]),
    ],
)
def test_invalid_settings_fail_at_startup_naming_the_variable(env: dict[str, str], names: list[str]) -> None:
    proc = run_app(env)
    assert proc.returncode == 2, proc.stderr
    for name in names:
        assert name in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_health_docs_and_auth_envelope(live_server: LiveServer) -> None:
    url = live_server.url
    h = httpx.get(url + "/health")
    assert h.status_code == 200
    body = h.json()
    assert body["status"] == "ok" and body["models_loaded"] is True
    assert body["version"]["compiled_with_cuda"] is False and body["version"]["device"] == "cpu"
    assert body["version"]["paddleocr"] and body["version"]["onnxruntime"] and body["version"]["openvino"]
    assert httpx.get(url + "/health/live").json() == {"status": "alive"}

    # unauthenticated /ocr: 401 with the envelope and the request id header
    r = httpx.post(url + "/ocr", files={"file": ("a.png", b"x", "image/png")})
    assert r.status_code == 401
    err = r.json()["error"]
    assert err["code"] == "unauthenticated" and err["message"]
    assert err["request_id"] == r.headers["x-request-id"]
    r = httpx.post(url + "/ocr", headers={"x-api-key": "wrong"}, files={"file": ("a.png", b"x", "image/png")})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"

    # a client-sent request id is echoed; a hostile one is replaced
    r = httpx.get(url + "/health", headers={"x-request-id": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = httpx.get(url + "/health", headers={"x-request-id": "x" * 300})
    assert r.headers["x-request-id"] != "x" * 300

    # /docs works offline: HTML and its assets come from this server
    docs = httpx.get(url + "/docs")
    assert docs.status_code == 200 and "/docs/assets/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()
    assert httpx.get(url + "/docs/assets/swagger-ui-bundle.js").status_code == 200
    spec = httpx.get(url + "/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert {"APIKeyHeader", "HTTPBearer"} <= set(schemes)
    ocr_op = spec["paths"]["/ocr"]["post"]
    assert {"401", "413", "415", "422", "429", "503", "504"} <= set(ocr_op["responses"])
    assert ocr_op["security"]

    # unknown route: 404 in the envelope
    r = httpx.get(url + "/nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_debug_paddle_runs_a_real_check(live_server: LiveServer) -> None:
    assert httpx.get(live_server.url + "/debug/paddle").status_code == 401
    r = httpx.get(live_server.url + "/debug/paddle", headers={"x-api-key": TEST_KEY}, timeout=60)
    assert r.status_code == 200
    body = r.json()
    assert body["run_check"] is True
    assert body["compiled_with_cuda"] is False and body["device"] == "cpu" and body["gpu"] is None
    assert body["backend"] == "onnxruntime"
    # ... whose ONNX models run on OpenVINO's CPU plugin, recognizers at the CPU's fastest exact-enough
    # arithmetic, the detector at float32
    assert body["engines"]["default"]["backend"] == "openvino"
    v = body["versions"]
    assert v["cpu_runtime"] == "openvino" and v["openvino"]
    assert v["openvino_precision"] in ("bf16", "f32") and v["openvino_det_precision"] == "f32"
    assert body["run_check_ms"] > 0
    # the CPU defaults: one single-threaded detection worker per core, two recognition workers, ORT arena on
    cores = os.cpu_count() or 1
    rt = body["runtime"]
    assert rt["mode"] == "in-process"
    assert rt["workers"] == {"det": cores, "rec": min(2, cores)}
    assert rt["cpu_threads_per_session"] == 1 and rt["cpu_mem_arena"] is True and rt["det_trim_borders"] is True
    assert rt["cpu_runtime"] == "openvino"
    # detection at the size the text needs, narrow crops at their own width
    assert (rt["det_min_scale"], rt["det_text_px"], rt["rec_min_width"]) == (0.5, 16.0, 64)
    assert rt["batch"]["det"] == 1 and rt["max_concurrent_requests"] == 8 and rt["queue_max_size"] == 32


def test_access_log_is_json_and_never_contains_credentials(live_server: LiveServer) -> None:
    httpx.get(live_server.url + "/debug/paddle", headers={"x-api-key": TEST_KEY}, timeout=60)
    httpx.get(live_server.url + "/debug/paddle", headers={"authorization": "Bearer secret.token.value"})
    time.sleep(0.3)
    log = live_server.log_path.read_text()
    assert TEST_KEY not in log and "secret.token.value" not in log
    access = [json.loads(line) for line in log.splitlines() if line.startswith("{") and '"app.access"' in line]
    assert access, log[-2000:]
    rec = access[-1]
    for field in ("method", "path", "status", "latency_ms", "request_id"):
        assert field in rec, rec


def test_cors_from_allowed_origins() -> None:
    srv = LiveServer(
        {"API_KEY": TEST_KEY, "ALLOWED_ORIGINS": "https://app.example.com", "PRELOAD_MODELS": "false"}, free_port()
    )
    try:
        srv.wait_ready(timeout=60)
        pre = httpx.options(
            srv.url + "/ocr",
            headers={
                "origin": "https://app.example.com",
                "access-control-request-method": "POST",
                "access-control-request-headers": "x-api-key",
            },
        )
        assert pre.status_code == 200
        assert pre.headers["access-control-allow-origin"] == "https://app.example.com"
        other = httpx.options(
            srv.url + "/ocr", headers={"origin": "https://evil.example", "access-control-request-method": "POST"}
        )
        assert "access-control-allow-origin" not in other.headers
        r = httpx.get(srv.url + "/health", headers={"origin": "https://app.example.com"})
        assert r.headers["access-control-allow-origin"] == "https://app.example.com"
        assert "x-request-id" in r.headers["access-control-expose-headers"].lower()
    finally:
        srv.stop()


@pytest.mark.slow
def test_sigterm_drains_in_flight_work_then_exits_zero() -> None:
    pages = [render_lines([f"Page {i} of the drain test document"] * 12, font_name="dejavu")[0] for i in range(4)]
    pdf = images_to_pdf(pages)
    srv = LiveServer({"API_KEY": TEST_KEY, "DRAIN_DELAY_S": "1.5", "SHUTDOWN_GRACE_S": "60"}, free_port())
    try:
        srv.wait_ready(timeout=180)
        result: dict[str, httpx.Response] = {}

        def call() -> None:
            result["r"] = httpx.post(
                srv.url + "/ocr",
                headers={"x-api-key": TEST_KEY},
                files={"file": ("d.pdf", pdf, "application/pdf")},
                data={"lang": "en"},
                timeout=120,
            )

        t = threading.Thread(target=call)
        t.start()
        time.sleep(1.0)  # the request is in service
        srv.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        health = httpx.get(srv.url + "/health", timeout=5)
        assert health.status_code == 503 and health.json()["status"] == "draining"
        refused = httpx.post(
            srv.url + "/ocr", headers={"x-api-key": TEST_KEY}, files={"file": ("d.pdf", pdf, "application/pdf")}
        )
        assert refused.status_code == 503 and refused.json()["error"]["code"] == "not_ready"
        t.join(120)
        r = result["r"]
        assert r.status_code == 200, r.text
        assert len(r.json()["pages"]) == 4
        assert "drain test" in r.json()["text"]
        assert srv.proc.wait(60) == 0
    finally:
        srv.stop()


def test_x_forwarded_for_is_believed_only_from_trusted_proxies(live_server: LiveServer) -> None:
    """Default FORWARDED_ALLOW_IPS=127.0.0.1: a loopback proxy may set the client address; a server that
    trusts another address logs the real peer, whatever X-Forwarded-For says (it was "*")."""

    def logged_client(srv: LiveServer, forged: str) -> str:
        httpx.get(srv.url + "/health/live", headers={"x-forwarded-for": forged})
        time.sleep(0.3)
        lines = srv.log_path.read_text().splitlines()
        access = [json.loads(x) for x in lines if x.startswith("{") and '"app.access"' in x and "/health/live" in x]
        return str(access[-1]["client"])

    assert logged_client(live_server, "203.0.113.7") == "203.0.113.7"
    strict = LiveServer({"AUTH_MODE": "none", "LOG_FORMAT": "json", "FORWARDED_ALLOW_IPS": "10.0.0.0/16"}, free_port())
    try:
        strict.wait_ready(timeout=180)
        assert logged_client(strict, "203.0.113.7") == "127.0.0.1"
    finally:
        strict.stop()
