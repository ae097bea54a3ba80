"""The LLM as a model server of its own, against a real one: llama.cpp's OpenAI-compatible server with a
real model (SmolLM2-135M-Instruct, GGUF), started by the test from ``scripts/llm_server.py`` (installed by
``make test``'s set-up: ``scripts/llm_server.py install``).

The service probes it (``/health`` → ``llm_server``), sends extraction prompts to it, and while it is
down answers by rules at once (``fallback: llm_unavailable``), never waiting for a connection timeout.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.features.extraction import extract
from app.features.extraction.llm.openai_compat import OpenAICompatBackend
from app.features.ocr.types import DocumentResult
from app.main import create_app
from tests.conftest import TEST_KEY, ThreadServer, free_port, make_settings
from tests.extraction.conftest import extraction_settings
from tests.fakes import SlowFakeEngines
from tests.render import render_lines, to_bytes

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "llm_server.py"

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def _installed() -> bool:
    return subprocess.run([sys.executable, str(SCRIPT), "check"], capture_output=True, check=False).returncode == 0


class LlmServer:
    """``scripts/llm_server.py serve`` in a subprocess, as an operator runs it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.base = f"http://127.0.0.1:{port}/v1"
        self.log_path = REPO / "artifacts" / f"llm-server-{port}.log"
        self.log_path.parent.mkdir(exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, str(SCRIPT), "serve", "--port", str(self.port)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log_path.read_text(errors="replace")[-3000:]
            try:
                if httpx.get(self.base + "/models", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise TimeoutError(f"the LLM server did not answer in {timeout} s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(15)
        self.proc = None


@pytest.fixture(scope="module")
def llm() -> Iterator[LlmServer]:
    if not _installed():
        pytest.skip("the local LLM server is not installed: run `python scripts/llm_server.py install`")
    server = LlmServer(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _health(srv: ThreadServer) -> dict:
    r = httpx.get(srv.url + "/health", timeout=5)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _wait_for(srv: ThreadServer, status: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = _health(srv)
        if body.get("llm_server", {}).get("status") == status:
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.1)


def _extraction(srv: ThreadServer) -> tuple[httpx.Response, float]:
    img, _ = render_lines(["INVOICE No. INV-2041", "Total 12,000"], font_name="dejavu", width=500, height=160)
    t0 = time.perf_counter()
    r = httpx.post(
        srv.url + "/extraction",
        files={"file": ("a.png", to_bytes(img), "image/png")},
        data={"fields": "invoice_number,total_amount"},
        headers={"x-api-key": TEST_KEY},
        timeout=60,
    )
    return r, time.perf_counter() - t0


def test_the_server_answers_every_request_and_its_probes_while_it_generates(llm: LlmServer) -> None:
    """The same prompt twice gives the same non-empty answer (the runtime as shipped answered only the first:
    its slot kept the last request's cache), and the model list is answered while a generation runs."""
    body = {
        "model": "smollm2",
        "messages": [{"role": "user", "content": "Write the numbers from one to forty in words."}],
        "temperature": 0,
        "max_tokens": 48,
    }
    answers = [httpx.post(llm.base + "/chat/completions", json=body, timeout=60).json() for _ in range(2)]
    texts = [a["choices"][0]["message"]["content"] for a in answers]
    assert texts[0].strip() and texts[0] == texts[1], texts
    done = threading.Event()

    def generate() -> None:
        httpx.post(llm.base + "/chat/completions", json={**body, "max_tokens": 200}, timeout=60)
        done.set()

    worker = threading.Thread(target=generate)
    worker.start()
    time.sleep(0.3)
    t0 = time.perf_counter()
    assert httpx.get(llm.base + "/models", timeout=5).status_code == 200
    assert time.perf_counter() - t0 < 1.0 and not done.is_set()
    worker.join(60)


def test_the_real_server_answers_an_extraction_prompt(llm: LlmServer, en_doc: DocumentResult) -> None:
    """The prompt the pipeline builds goes to the real server and its answer is used or, when a 135M model
    writes no usable JSON, the rules answer and say why: never a transport failure, never a 500."""
    backend = OpenAICompatBackend(llm.base, "smollm2", timeout_s=60, max_tokens=128)
    settings = extraction_settings(chatocr_timeout_s=60)
    try:
        body = extract(en_doc, fields="invoice_number,total_amount", template=None, settings=settings, llm=backend)
    finally:
        backend.close()
    assert body.get("fallback") in (None, "llm_bad_json"), body.get("fallback")
    assert body["method"] == ("rules" if body.get("fallback") else "llm")
    assert body["fields"]["total_amount"]["value"]  # the rules (or the model, grounded) find what the text says


def test_the_service_probes_the_llm_server_and_answers_by_rules_while_it_is_down(llm: LlmServer) -> None:
    settings = make_settings(
        chatocr_enabled=True,
        chatocr_backend="openai",
        chatocr_api_base=llm.base,
        chatocr_model="smollm2",
        chatocr_timeout_s=60,
        chatocr_max_tokens=128,
        chatocr_health_interval_s=0.5,
    )
    with ThreadServer(create_app(settings, engine_factory=lambda: SlowFakeEngines())) as srv:
        body = _wait_for(srv, "up")
        assert body["status"] == "ok"
        assert body["llm_server"]["url"] == llm.base + "/models" and body["llm_server"]["latency_ms"] >= 0
        r, _ = _extraction(srv)
        assert r.status_code == 200, r.text
        # the server answered (used, or not JSON enough for a 135M model): it was reached
        assert r.json().get("fallback") in (None, "llm_bad_json"), r.json()

        llm.stop()
        body = _wait_for(srv, "down")
        assert body["status"] == "degraded" and body["llm_server"]["error"]
        r, took = _extraction(srv)
        assert r.status_code == 200, r.text
        assert r.json()["method"] == "rules" and r.json()["fallback"] == "llm_unavailable", r.json()
        assert took < 5.0, took  # no wait for the LLM (CHATOCR_TIMEOUT_S is 60 s here)
        metrics = httpx.get(srv.url + "/metrics", headers={"x-api-key": TEST_KEY}).text
        assert f'ocr_llm_server_up{{url="{llm.base}/models"}} 0.0' in metrics
        assert 'ocr_extraction_llm_fallbacks_total{reason="llm_unavailable"}' in metrics

        llm.start()
        body = _wait_for(srv, "up")
        assert body["status"] == "ok" and "error" not in body["llm_server"]
