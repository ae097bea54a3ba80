"""Any OpenAI-compatible chat completions endpoint (OpenAI, vLLM, Ollama, LM Studio, LiteLLM, ...).

CHATOCR_API_BASE is the API root (``https://api.openai.com/v1``, ``http://vllm:8000/v1``) or the full
``…/chat/completions`` URL; CHATOCR_API_TOKEN, when set, is sent as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

from typing import Any

import httpx

from app.features.extraction.llm.base import LlmError, LlmTimeout, LlmUnavailable


def chat_url(api_base: str) -> str:
    base = api_base.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    return base + "/chat/completions"


class OpenAICompatBackend:
    name = "openai"

    def __init__(
        self,
        api_base: str,
        model: str,
        *,
        token: str | None = None,
        timeout_s: float,
        max_tokens: int = 2048,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = chat_url(api_base)
        self.model = model
        self.timeout_s = timeout_s
        self.max_tokens = max_tokens
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # one pooled client per backend; httpx.Client is thread-safe for requests
        self._client = httpx.Client(headers=headers, transport=transport)

    def close(self) -> None:
        self._client.close()

    def complete(self, system: str, user: str, *, timeout_s: float) -> str:
        body = {
            "model": self.model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "temperature": 0,
            "max_tokens": self.max_tokens,
        }
        try:
            resp = self._client.post(self.url, json=body, timeout=httpx.Timeout(timeout_s))
        except httpx.TimeoutException as exc:
            raise LlmTimeout(f"openai: timed out after {timeout_s:g}s") from exc
        except (httpx.ConnectError, httpx.RemoteProtocolError) as exc:
            raise LlmUnavailable(f"openai: cannot reach {self.url}: {exc}") from exc
        except httpx.HTTPError as exc:
            raise LlmError(f"openai: {type(exc).__name__}: {exc}") from exc
        if resp.status_code in (502, 503, 504):
            raise LlmUnavailable(f"openai: HTTP {resp.status_code} (server unavailable): {resp.text[:200]}")
        if resp.status_code >= 400:
            raise LlmError(f"openai: HTTP {resp.status_code}: {resp.text[:200]}")
        try:
            data: Any = resp.json()
            content = data["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise LlmError("openai: the response is not a chat completion") from exc
        if not isinstance(content, str):
            raise LlmError("openai: the chat completion has no text content")
        return content
