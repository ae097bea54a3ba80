"""Fixtures for the extraction tests: settings, rendered documents, a real OpenAI-compatible HTTP server.

The OpenAI-compatible server is a `ThreadingHTTPServer` on 127.0.0.1 whose behaviour each test sets
(answer, bad JSON, slow, HTTP 500, non-JSON body); it records what it received so that tests can
check the Authorization header and the prompt. Bedrock tests use botocore's Stubber on a real client.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from app.core.config import Settings, load_settings
from app.features.ocr.types import DocumentResult
from tests.extraction.samples import EN_INVOICE_LINES, KO_STATEMENT, sample_document


def extraction_settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {"auth_mode": "none", "_env_file": None}
    base.update(overrides)
    return load_settings(**base)


@pytest.fixture
def settings() -> Settings:
    return extraction_settings()


@pytest.fixture(scope="session")
def ko_doc() -> DocumentResult:
    return sample_document(KO_STATEMENT)


@pytest.fixture(scope="session")
def en_doc() -> DocumentResult:
    return sample_document(EN_INVOICE_LINES)


@dataclass
class ChatServer:
    """What the fake endpoint does next, and what it saw."""

    url: str = ""
    mode: str = "ok"  # ok | bad_json | slow | error500 | not_json
    content: str = "{}"  # the assistant message for ok
    delay_s: float = 2.0
    requests: list[dict[str, Any]] = field(default_factory=list)


def _handler(state: ChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            state.requests.append(
                {"path": self.path, "headers": dict(self.headers.items()), "body": json.loads(raw or b"{}")}
            )
            if state.mode == "slow":
                time.sleep(state.delay_s)
            if state.mode == "error500":
                self._send(500, b'{"error": {"message": "upstream exploded"}}')
                return
            if state.mode == "not_json":
                self._send(200, b"<html>gateway</html>", "text/html")
                return
            content = "Sure! Here are the fields: {vendor: Bright" if state.mode == "bad_json" else state.content
            body = {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "model": state.requests[-1]["body"].get("model"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
            }
            self._send(200, json.dumps(body).encode())

    return Handler


@pytest.fixture
def chat_server() -> Iterator[ChatServer]:
    state = ChatServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def templates_dir(tmp_path: Path) -> Path:
    d = tmp_path / "templates"
    d.mkdir()
    return d
