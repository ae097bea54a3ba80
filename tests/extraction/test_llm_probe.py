"""The LLM server probe's rules (app/features/extraction/llm/server.py), one answer at a time."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from app.features.extraction.llm.server import LlmServerHealth, models_url
from tests.extraction.conftest import extraction_settings


def _probe_with(handler: object) -> tuple[LlmServerHealth, httpx.AsyncClient]:
    health = LlmServerHealth("http://llm:8080/v1", "m", token="t0k", timeout_s=0.5)
    return health, httpx.AsyncClient(transport=httpx.MockTransport(handler))  # type: ignore[arg-type]


def _run(health: LlmServerHealth, client: httpx.AsyncClient, times: int = 1) -> None:
    async def go() -> None:
        async with client:
            for _ in range(times):
                await health.probe(client)

    asyncio.run(go())


def test_models_url_sits_beside_chat_completions() -> None:
    assert models_url("http://llm:8080/v1") == "http://llm:8080/v1/models"
    assert models_url("http://llm:8080/v1/") == "http://llm:8080/v1/models"
    assert models_url("https://x/v1/chat/completions") == "https://x/v1/models"


def test_an_answer_is_up_with_its_latency_and_the_token_is_sent() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"object": "list", "data": []})

    health, client = _probe_with(handler)
    assert health.status == "unknown" and health.available
    _run(health, client)
    snap = health.snapshot()
    assert snap["status"] == "up" and snap["latency_ms"] >= 0 and "error" not in snap
    assert seen[0].url == "http://llm:8080/v1/models" and seen[0].headers["authorization"] == "Bearer t0k"


@pytest.mark.parametrize("status, up", [(404, True), (401, True), (500, False), (503, False)])
def test_a_server_that_answers_is_up_unless_it_fails(status: int, up: bool) -> None:
    health, client = _probe_with(lambda request: httpx.Response(status))
    _run(health, client)
    assert health.status == ("up" if up else "down")
    assert health.available is up


def test_a_refused_connection_is_down_at_once() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    health, client = _probe_with(handler)
    _run(health, client)
    assert health.status == "down" and "ConnectError" in health.snapshot()["error"]


def test_a_busy_server_is_down_only_after_three_silent_probes() -> None:
    answers = iter(["ok", "slow", "slow", "ok", "slow", "slow", "slow"])

    def handler(request: httpx.Request) -> httpx.Response:
        if next(answers) == "slow":
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(200, json={"data": []})

    health, client = _probe_with(handler)
    seen = []

    async def go() -> None:
        async with client:
            for _ in range(7):
                await health.probe(client)
                seen.append(health.status)

    asyncio.run(go())
    assert seen == ["up", "up", "up", "up", "up", "up", "down"]


def test_no_probe_without_an_openai_server_or_with_probing_off() -> None:
    on = {"chatocr_enabled": True, "chatocr_backend": "openai", "chatocr_api_base": "http://llm/v1"}
    assert LlmServerHealth.from_settings(extraction_settings(**on)) is not None
    assert LlmServerHealth.from_settings(extraction_settings(**{**on, "chatocr_health_interval_s": 0})) is None
    assert LlmServerHealth.from_settings(extraction_settings(**{**on, "chatocr_backend": "bedrock"})) is None
    assert LlmServerHealth.from_settings(extraction_settings(**{**on, "chatocr_enabled": False})) is None
