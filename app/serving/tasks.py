"""The engine work the worker threads run, as batchable tasks.

- `detect`: one page image → (corrected rotation, upright image size, text quads, line crops).
  Pages from several requests (and the pages of one document) are detected in one batch.
- `recognize`: the line crops of one page, for one language → texts and confidences.
  Crops from concurrent requests with the same language are recognised together.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.documents import rotate_image
from app.engines.auto_lang import AUTO, read_auto
from app.engines.base import Recognized
from app.engines.crops import crop_quad
from app.observability import metrics


@dataclass(slots=True)
class DetectJob:
    image: np.ndarray
    detect_orientation: bool
    lang: str | None = None  # the language its lines will be read in, for an engine that reads as it detects


@dataclass(slots=True)
class DetectResult:
    rotation: int
    width: int
    height: int
    quads: list[np.ndarray]
    crops: list[np.ndarray]
    # where the engine that detected the lines also read them (split mode: the model server detects and
    # reads a page in one call), their texts and whether each region holds ink; the crops are then empty
    read: list[Recognized] | None = None
    inks: list[bool] | None = None


@dataclass(slots=True)
class RecognizeJob:
    lang: str
    crops: list[np.ndarray]


# the page-orientation model is trained on document pages; on a single text line (a strip, or a tiny image)
# its answers are unreliable (one-line images scored up to 0.77 for wrong turns), so those are not turned
# here; an upside-down line is still read, by the pipeline's 180° re-read of doubtful lines
PAGE_MIN_SIDE = 100
PAGE_MAX_ASPECT = 4.0


def page_like(image: np.ndarray) -> bool:
    h, w = image.shape[:2]
    return min(h, w) >= PAGE_MIN_SIDE and max(h, w) <= PAGE_MAX_ASPECT * min(h, w)


def _observe(stage: str, started: float) -> float:
    took = time.perf_counter() - started
    metrics.STAGE_SECONDS.labels(stage).observe(took)
    return took


class DetectHandler:
    def key(self, payload: DetectJob) -> Any:
        return payload.detect_orientation

    def size(self, payload: DetectJob) -> int:
        return 1

    def run(self, engines: Any, payloads: Sequence[DetectJob]) -> list[DetectResult]:

        images = [p.image for p in payloads]
        rotations = [0] * len(images)
        pages = [i for i, im in enumerate(images) if page_like(im)]
        if payloads[0].detect_orientation and engines.orientation is not None and pages:
            t = time.perf_counter()
            for i, a in zip(pages, engines.orientation.classify([images[i] for i in pages]), strict=True):
                rotations[i] = int(a) % 360
            _observe("cls", t)
            images = [rotate_image(im, a) if a else im for im, a in zip(images, rotations, strict=True)]
        t = time.perf_counter()
        all_quads = engines.detector.detect(images)
        _observe("det", t)
        out = []
        for im, rot, quads in zip(images, rotations, all_quads, strict=True):
            crops = [crop_quad(im, q) for q in quads]
            out.append(DetectResult(rot, int(im.shape[1]), int(im.shape[0]), list(quads), crops))
        return out


class RecognizeHandler:
    def key(self, payload: RecognizeJob) -> Any:
        return payload.lang

    def size(self, payload: RecognizeJob) -> int:
        return max(1, len(payload.crops))

    def run(self, engines: Any, payloads: Sequence[RecognizeJob]) -> list[list[Any]]:
        crops: list[np.ndarray] = [c for p in payloads for c in p.crops]
        if not crops:
            return [[] for _ in payloads]
        t = time.perf_counter()
        if payloads[0].lang == AUTO:  # each page decides its own language
            korean, general = engines.auto_readers()
            per_page = [read_auto(korean, general, p.crops) for p in payloads]
            _observe("rec", t)
            return per_page
        results = engines.recognizer_for(payloads[0].lang).recognize(crops)
        _observe("rec", t)
        out = []
        pos = 0
        for p in payloads:
            out.append(list(results[pos : pos + len(p.crops)]))
            pos += len(p.crops)
        return out


class CallHandler:
    """Runs `fn(engines)` on the worker that owns the engines (diagnostics such as run_check). Never batched."""

    def key(self, payload: Any) -> Any:
        return id(payload)

    def size(self, payload: Any) -> int:
        return 1

    def run(self, engines: Any, payloads: Sequence[Any]) -> list[Any]:
        return [fn(engines) for fn in payloads]


def default_handlers() -> dict[str, Any]:
    return {"detect": DetectHandler(), "recognize": RecognizeHandler(), "call": CallHandler()}
