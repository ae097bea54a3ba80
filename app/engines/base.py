"""Engine interfaces. Engines know images and models, never requests or HTTP.

A page goes through: orientation (optional) -> text detection -> crops -> text recognition.
Each step is a small protocol so that implementations can be swapped by settings:
PaddleOCR modules (ONNX Runtime offline, paddle/paddle-gpu in production), Tesseract,
or a remote model server.

Implementations are NOT assumed thread-safe: the runtime gives each engine instance exactly one
owner thread (see app/runtime/).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

# 4 points [[x, y], ...] clockwise from top-left, float32 array of shape (4, 2)
Quad = np.ndarray


@dataclass(frozen=True, slots=True)
class Recognized:
    text: str
    confidence: float
    lang: str | None = None  # the language it was read as, where the request asked for lang=auto


@dataclass(slots=True)
class EngineInfo:
    """What /health, /debug/paddle and responses report about an engine."""

    name: str  # e.g. "paddleocr", "tesseract"
    backend: str  # "onnxruntime" | "paddle" | "tesseract" | "remote"
    device: str  # "cpu" | "gpu:0"
    models: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class TextDetector(Protocol):
    info: EngineInfo

    def detect(self, images: Sequence[np.ndarray]) -> list[list[Quad]]:
        """RGB uint8 HxWx3 images -> per image, text-line quads in image pixels (any order)."""
        ...


@runtime_checkable
class TextRecognizer(Protocol):
    info: EngineInfo

    def recognize(self, crops: Sequence[np.ndarray]) -> list[Recognized]:
        """Upright RGB uint8 text-line crops -> one result per crop, same order."""
        ...


@runtime_checkable
class OrientationClassifier(Protocol):
    info: EngineInfo

    def classify(self, images: Sequence[np.ndarray]) -> list[int]:
        """RGB page images -> the clockwise angle (0, 90, 180, 270) the page content is rotated by."""
        ...


class EngineLoadError(RuntimeError):
    """A model could not be loaded (missing files, checksum mismatch, wrong backend)."""


def describe(obj: Any) -> dict[str, Any]:
    info: EngineInfo = obj.info
    return {"name": info.name, "backend": info.backend, "device": info.device, "models": dict(info.models)}


def close_engine(obj: Any) -> None:
    """Close an engine (or a wrapped predictor) if it has a ``close``; engines without one hold nothing."""
    closer = getattr(obj, "close", None)
    if callable(closer):
        closer()
