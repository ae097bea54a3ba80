"""Split mode on the real runtime and HTTP stack with a fake engine: the contract of the model server,
identical answers through the remote client, and a clear 503 (and a degraded /health) when it is down."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from app.main import create_app
from app.model_server.app import create_model_server_app
from tests.conftest import TEST_KEY, ThreadServer, free_port, make_settings
from tests.fakes import SlowFakeEngines
from tests.jobs.conftest import small_pdf, submit, wait_job
from tests.render import ENGLISH_SAMPLE, render_lines, to_bytes

H = {"x-api-key": TEST_KEY}


@pytest.fixture(scope="module")
def page_png() -> bytes:
    img, _ = render_lines(ENGLISH_SAMPLE[:3], font_name="dejavu", width=700, height=260, margin=20)
    return to_bytes(img)


def _rebind(srv: ThreadServer, port: int) -> None:
    """Serve on a given port (ThreadServer picks a free one)."""
    import threading

    import uvicorn

    srv.port, srv.url = port, f"http://127.0.0.1:{port}"
    config = uvicorn.Config(srv.server.config.app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    srv.server = uvicorn.Server(config)
    srv.thread = threading.Thread(target=srv.server.run, daemon=True)


def model_server(engines: SlowFakeEngines, **overrides: object) -> ThreadServer:
    overrides.setdefault("model_server_open", "model_server_api_key" not in overrides)
    settings = make_settings(auth_mode="none", **overrides)
    return ThreadServer(create_model_server_app(settings, engine_factory=lambda: engines))


def api(url: str, tmp: Path, **overrides: object) -> ThreadServer:
    settings = make_settings(ocr_model_server_url=url, model_server_timeout=5.0, data_dir=tmp, **overrides)
    return ThreadServer(create_app(settings))


def test_model_server_contract(page_png: bytes) -> None:
    with model_server(SlowFakeEngines()) as ms:
        h = httpx.get(ms.url + "/health")
        assert h.status_code == 200
        assert h.json()["status"] == "healthy" and h.json()["model_loaded"] is True
        r = httpx.post(ms.url + "/predict", files={"image": ("p.png", page_png, "image/png")})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "ok"
        assert body["full_text"] == "\n".join(b["text"] for b in body["text_boxes"])
        assert body["text_boxes"][0]["text"].startswith("fake ")
        assert set(body["text_boxes"][0]) >= {"text", "confidence", "box"}
        assert "detections" not in body
        raw = httpx.post(
            ms.url + "/predict", files={"image": ("p.png", page_png, "image/png")}, data={"raw": "true"}
        ).json()
        assert len(raw["detections"]) >= len(raw["text_boxes"])
        assert "ocr_inference_stage_seconds" in httpx.get(ms.url + "/metrics").text
        bad = httpx.post(ms.url + "/predict", files={"image": ("x.gif", b"GIF89a" + b"\0" * 30, "image/gif")})
        assert bad.status_code == 415 and bad.json()["error"]["code"] == "unsupported_media_type"
        rec = httpx.post(
            ms.url + "/recognize", files=[("images", ("a.png", page_png, "image/png"))], data={"lang": "en"}
        )
        assert rec.status_code == 200 and rec.json()["results"][0]["text"].startswith("fake ")


def test_model_server_api_key(tmp_path: Path) -> None:
    with model_server(SlowFakeEngines(), model_server_api_key="ms-secret") as ms:
        png = to_bytes(render_lines(["x"], width=100, height=60, margin=5)[0])
        r = httpx.post(ms.url + "/predict", files={"image": ("p.png", png, "image/png")})
        assert r.status_code == 401
        r = httpx.post(
            ms.url + "/predict", files={"image": ("p.png", png, "image/png")}, headers={"x-api-key": "ms-secret"}
        )
        assert r.status_code == 200
        assert httpx.get(ms.url + "/health").status_code == 200  # health stays open
        with api(ms.url, tmp_path, model_server_api_key="ms-secret") as srv:
            ok = httpx.post(srv.url + "/ocr", headers=H, files={"file": ("p.png", png, "image/png")})
            assert ok.status_code == 200, ok.text


def test_split_mode_answers_like_in_process(page_png: bytes, tmp_path: Path) -> None:
    pdf = small_pdf(3)
    local = ThreadServer(create_app(make_settings(data_dir=tmp_path), engine_factory=lambda: SlowFakeEngines()))
    with local, model_server(SlowFakeEngines()) as ms, api(ms.url, tmp_path) as split:
        for name, data, lang in (("p.png", page_png, "en"), ("d.pdf", pdf, "korean")):
            files = {"file": (name, data, "application/octet-stream")}
            a = httpx.post(local.url + "/ocr", headers=H, files=files, data={"lang": lang}).json()
            b = httpx.post(split.url + "/ocr", headers=H, files=files, data={"lang": lang}).json()
            assert b["text"] == a["text"]
            assert b["pages"] == a["pages"]
        assert b["engine"]["backend"] == "remote"
        health = httpx.get(split.url + "/health").json()
        assert health["model_server"]["status"] == "ok"
        assert health["models_loaded"] is True
        # layout/table are not served by the model server: a structure job is refused up front
        r = submit(split.url, small_pdf(1), task="structure")
        assert r.status_code == 422 and "model server" in r.json()["error"]["message"]


def test_model_server_down_is_a_clear_503_and_health_degraded(page_png: bytes, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    files = {"file": ("p.png", page_png, "image/png")}
    with api(url, tmp_path, model_server_connect_retries=1) as srv:
        t0 = time.perf_counter()
        r = httpx.post(srv.url + "/ocr", headers=H, files=files)
        assert time.perf_counter() - t0 < 5
        assert r.status_code == 503, r.text
        err = r.json()["error"]
        assert err["code"] == "model_server_unavailable"
        assert url in err["message"]
        health = httpx.get(srv.url + "/health")
        assert health.status_code == 200 and health.json()["status"] == "degraded"
        assert health.json()["model_server"]["status"] == "degraded"
        assert health.json()["model_server"]["url"] == url
        assert health.json()["models_loaded"] is False

        # a job submitted meanwhile waits for the model server instead of failing
        job_id = submit(srv.url, small_pdf(2)).json()["job_id"]
        time.sleep(1.0)
        assert httpx.get(f"{srv.url}/jobs/{job_id}", headers=H).json()["status"] in ("queued", "running")

        # the model server comes up on that port: the API recovers without a restart
        engines = SlowFakeEngines()
        ms = ThreadServer(
            create_model_server_app(
                make_settings(auth_mode="none", model_server_open=True), engine_factory=lambda: engines
            )
        )
        _rebind(ms, port)
        with ms:
            ok = httpx.post(srv.url + "/ocr", headers=H, files=files)
            assert ok.status_code == 200, ok.text
            assert httpx.get(srv.url + "/health").json()["model_server"]["status"] == "ok"
            assert wait_job(srv.url, job_id, timeout=30)["status"] == "succeeded"


def test_split_mode_checks_the_language_like_in_process(page_png: bytes, tmp_path: Path) -> None:
    """`lang` gets the same 422s in split mode: from the API's own check, and from the model server's when
    the model server does not serve a language the API enables (OCR_LANGUAGES differing between the two)."""
    files = {"file": ("p.png", page_png, "image/png")}
    with model_server(SlowFakeEngines()) as ms:
        r = httpx.post(ms.url + "/predict", files={"image": ("p.png", page_png, "image/png")}, data={"lang": "th"})
        assert r.status_code == 422 and r.json()["error"]["code"] == "language_not_enabled", r.text
        refused = r.json()["error"]["message"]
        assert "add th to OCR_LANGUAGES" in refused and "tesseract-ocr-tha" in refused
        r = httpx.post(ms.url + "/recognize", files=[("images", ("a.png", page_png, "image/png"))], data={"lang": "xx"})
        assert r.status_code == 422 and r.json()["error"]["code"] == "unsupported_language"
        with api(ms.url, tmp_path) as srv:
            r = httpx.post(srv.url + "/ocr", headers=H, files=files, data={"lang": "th"})
            assert r.status_code == 422 and r.json()["error"]["message"] == refused
            r = httpx.post(srv.url + "/ocr", headers=H, files=files, data={"lang": "klingon"})
            assert r.status_code == 422 and r.json()["error"]["code"] == "unsupported_language"
        with api(ms.url, tmp_path, ocr_languages="th") as srv:
            r = httpx.post(srv.url + "/ocr", headers=H, files=files, data={"lang": "th"})
            assert r.status_code == 422, r.text  # the model server's refusal, relayed as it is
            err = r.json()["error"]
            assert (err["code"], err["message"]) == ("language_not_enabled", refused)
    with model_server(SlowFakeEngines(), ocr_languages="th") as ms, api(ms.url, tmp_path, ocr_languages="th") as srv:
        r = httpx.post(srv.url + "/ocr", headers=H, files=files, data={"lang": "th"})
        assert r.status_code == 200 and r.json()["lang"] == "th", r.text
