"""LLM backends for extraction: the interface, Bedrock Converse, OpenAI-compatible chat and that server's health."""

from __future__ import annotations

from app.features.extraction.llm.base import FallbackKind, LlmBackend, LlmBadJson, LlmError, LlmTimeout, LlmUnavailable

__all__ = ["FallbackKind", "LlmBackend", "LlmBadJson", "LlmError", "LlmTimeout", "LlmUnavailable"]
