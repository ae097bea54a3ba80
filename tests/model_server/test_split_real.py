"""Split mode with the real engines and the real commands: `python -m app.model_server` and
`python -m app` with OCR_MODEL_SERVER_URL, compared with the in-process service (`python -m app`) on
the same documents: the same text, lines, boxes and confidences. Then the model server goes away: a
clear 503, and the API's /health shows it degraded."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import REPO, TEST_KEY, LiveServer, free_port
from tests.render import ENGLISH_SAMPLE, KOREAN_SAMPLE, images_to_pdf, render_lines, to_bytes

pytestmark = [pytest.mark.slow, pytest.mark.integration]

H = {"x-api-key": TEST_KEY}


class ModelServerProcess(LiveServer):
    def __init__(self, env: dict[str, str], port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = REPO / "artifacts" / f"model-server-{port}.log"
        self.log_path.parent.mkdir(exist_ok=True)
        self._log = open(self.log_path, "wb")
        full_env = {**os.environ, **env, "HOST": "127.0.0.1", "MODEL_SERVER_PORT": str(port)}
        full_env.pop("API_KEY", None)  # the model server needs none
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.model_server"],
            cwd=REPO,
            env=full_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )


@pytest.fixture(scope="module")
def split() -> Iterator[tuple[ModelServerProcess, LiveServer]]:
    if importlib.util.find_spec("app.engines.registry") is None:
        pytest.skip("app.engines.registry (the real engine set) is not available yet")
    ms = ModelServerProcess({"LOG_FORMAT": "json", "MODEL_SERVER_API_KEY": "ms-key"}, free_port())
    api = None
    try:
        ms.wait_ready(timeout=180)
        api = LiveServer(
            {
                "AUTH_MODE": "api-key",
                "API_KEY": TEST_KEY,
                "LOG_FORMAT": "json",
                "OCR_MODEL_SERVER_URL": ms.url,
                "MODEL_SERVER_API_KEY": "ms-key",
                "MODEL_SERVER_CONNECT_RETRIES": "1",
            },
            free_port(),
        )
        api.wait_ready(timeout=120)
        yield ms, api
    finally:
        if api is not None:
            api.stop()
        ms.stop()


def _documents() -> list[tuple[str, bytes, str]]:
    ko, _ = render_lines(KOREAN_SAMPLE[:6], width=900, height=520, margin=30)
    en, _ = render_lines(ENGLISH_SAMPLE[:6], font_name="dejavu", width=900, height=520, margin=30)
    rotated = ko.rotate(90, expand=True)  # orientation correction runs on the model server
    return [
        ("ko.png", to_bytes(ko), "korean"),
        ("en.png", to_bytes(en), "en"),
        ("mixed.pdf", images_to_pdf([en, rotated]), "korean"),
    ]


def test_split_mode_gives_the_same_text_as_in_process(split, live_server) -> None:
    ms, api = split
    h = httpx.get(ms.url + "/health").json()
    assert (h["status"], h["model_loaded"]) == ("healthy", True)
    for name, data, lang in _documents():
        files = {"file": (name, data, "application/octet-stream")}
        local = httpx.post(f"{live_server.url}/ocr", headers=H, files=files, data={"lang": lang}, timeout=120)
        remote = httpx.post(f"{api.url}/ocr", headers=H, files=files, data={"lang": lang}, timeout=120)
        assert local.status_code == 200 and remote.status_code == 200, (local.text, remote.text)
        a, b = local.json(), remote.json()
        assert a["text"].strip(), name
        assert b["text"] == a["text"], name
        assert b["pages"] == a["pages"], name
        assert b["engine"]["backend"] == "remote"
    health = httpx.get(f"{api.url}/health").json()
    assert health["status"] == "ok" and health["model_server"]["status"] == "ok"
    assert health["models_loaded"] is True


def test_model_server_predict_contract(split) -> None:
    ms, _ = split
    png = _documents()[0][1]
    r = httpx.post(ms.url + "/predict", files={"image": ("p.png", png, "image/png")}, timeout=60)
    assert r.status_code == 401  # MODEL_SERVER_API_KEY is set
    r = httpx.post(
        ms.url + "/predict", files={"image": ("p.png", png, "image/png")}, headers={"x-api-key": "ms-key"}, timeout=60
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"] == "ok" and "합계" in body["full_text"]) or "사업자" in body["full_text"]
    assert all({"text", "confidence", "box"} <= set(t) for t in body["text_boxes"])
    assert "ocr_inference_stage_seconds" in httpx.get(ms.url + "/metrics", headers={"x-api-key": "ms-key"}).text


def test_split_mode_detection_is_a_real_detection_read_in_one_call(split) -> None:
    """The detect task in split mode answers real boxes on the upright page, with the lines' readings:
    the pipeline then sends nothing more for that page."""
    import asyncio

    import numpy as np

    from app.core.config import load_settings
    from app.features.ocr.pipeline import read_lines
    from app.serving.remote import RemoteEngines
    from app.serving.tasks import DetectJob

    ms, _ = split
    ko, _ = render_lines(KOREAN_SAMPLE[:6], width=900, height=520, margin=30)
    image = np.asarray(ko.convert("RGB").rotate(90, expand=True))

    class NoMoreCalls:
        def __init__(self, inner: RemoteEngines) -> None:
            self.inner, self.kinds = inner, []

        async def submit(self, kind, payload, deadline=None):  # type: ignore[no-untyped-def]
            self.kinds.append(kind)
            return await self.inner.submit(kind, payload, deadline)

    async def go():  # type: ignore[no-untyped-def]
        remote = RemoteEngines(
            load_settings(ocr_model_server_url=ms.url, model_server_api_key="ms-key", auth_mode="none")
        )
        await remote.start()
        try:
            counted = NoMoreCalls(remote)
            det = await counted.submit("detect", DetectJob(image, True, "korean"))
            recs = await read_lines(det, "korean", True, counted, None)
            return det, recs, counted.kinds
        finally:
            await remote.aclose()

    det, recs, kinds = asyncio.run(go())
    assert kinds == ["detect"]  # one round trip for the page
    assert det.rotation in (90, 270) and (det.width, det.height) == (900, 520)  # turned upright
    assert len(det.quads) >= 6 and len(recs) == len(det.quads) == len(det.inks or [])
    for q in det.quads:
        assert q.shape == (4, 2) and q[:, 0].max() <= det.width + 1 and q[:, 1].max() <= det.height + 1
    assert sum(r.text.strip() != "" for r in recs) >= 6


def test_model_server_down_is_503_and_degraded(split) -> None:
    ms, api = split
    ms.stop()
    png = _documents()[1][1]
    r = httpx.post(f"{api.url}/ocr", headers=H, files={"file": ("en.png", png, "image/png")}, timeout=60)
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == "model_server_unavailable"
    assert ms.url in r.json()["error"]["message"]
    health = httpx.get(f"{api.url}/health").json()
    assert health["model_server"]["status"] == "degraded"
