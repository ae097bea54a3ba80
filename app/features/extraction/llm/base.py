"""The LLM backend interface used by the extraction pipeline (PP-ChatOCR style).

A backend turns a (system, user) prompt into the model's text answer. It knows nothing about fields or
documents; prompt building and answer validation live in ``prompt.py`` and the pipeline. Every failure
is raised as an :class:`LlmError` whose ``kind`` is the ``fallback`` value the API reports.
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

FallbackKind = Literal["llm_timeout", "llm_error", "llm_bad_json", "llm_unavailable"]


class LlmError(Exception):
    """The LLM could not give a usable answer; ``kind`` says why (it becomes the response's fallback)."""

    kind: FallbackKind = "llm_error"

    def __init__(self, message: str, *, kind: FallbackKind | None = None) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind


class LlmTimeout(LlmError):
    kind: FallbackKind = "llm_timeout"


class LlmBadJson(LlmError):
    kind: FallbackKind = "llm_bad_json"


class LlmUnavailable(LlmError):
    """The LLM server could not be reached (connection refused, no route, 502/503/504)."""

    kind: FallbackKind = "llm_unavailable"


@runtime_checkable
class LlmBackend(Protocol):
    """A chat model that answers one prompt. Implementations must be safe to call from several threads."""

    name: str  # "bedrock" | "openai" | ...
    model: str

    def complete(self, system: str, user: str, *, timeout_s: float) -> str:
        """Return the model's text. Raise LlmTimeout past ``timeout_s``, LlmError for anything else."""
        ...
