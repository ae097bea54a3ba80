"""LLM backends for extraction: the interface, Bedrock Converse and OpenAI-compatible chat."""

from __future__ import annotations

from app.features.extraction.llm.base import FallbackKind, LlmBackend, LlmBadJson, LlmError, LlmTimeout

__all__ = ["FallbackKind", "LlmBackend", "LlmBadJson", "LlmError", "LlmTimeout"]
