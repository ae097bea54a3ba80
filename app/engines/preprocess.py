"""Per-line image preparation before a recognizer: optional, chosen by OCR_REC_PREPROCESS, kept or dropped
by measurement on real scans and photos (docs/accuracy.md).

- ``stretch``: a faint crop (grey levels spanning less than ``FAINT_SPAN``) is stretched so that its 1st
  and 99th percentiles become black and white: faded thermal print, pencil-grey scans.
- ``clahe``: contrast-limited adaptive histogram equalisation of the crop's lightness (uneven light,
  shadows across a photographed line).
- ``none``: the crop as the detector cut it.

Crops stay RGB uint8 and keep their size, so any TextRecognizer can be wrapped.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from app.engines.base import EngineInfo, Recognized, TextRecognizer, close_engine

METHODS = ("none", "stretch", "clahe")
FAINT_SPAN = 110


def stretch(crop: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY) if crop.ndim == 3 else crop
    lo, hi = np.percentile(grey, (1, 99))
    if hi - lo >= FAINT_SPAN or hi - lo < 8:  # legible already, or nothing to stretch
        return crop
    out = (crop.astype(np.float32) - lo) * (255.0 / (hi - lo))
    return np.clip(out, 0, 255).astype(np.uint8)


def clahe(crop: np.ndarray) -> np.ndarray:
    if crop.ndim != 3:
        crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2RGB)
    lab = cv2.cvtColor(crop, cv2.COLOR_RGB2LAB)
    tiles = max(1, crop.shape[1] // max(1, crop.shape[0]))
    lab[:, :, 0] = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(1, min(8, tiles))).apply(lab[:, :, 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


class Preprocessed:
    """TextRecognizer: ``method`` applied to every crop, then ``inner``."""

    def __init__(self, inner: TextRecognizer, method: str) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown preprocessing {method!r}; one of {', '.join(METHODS)}")
        self.inner = inner
        self.method = method
        self._fn = {"stretch": stretch, "clahe": clahe}.get(method)
        self.info: EngineInfo = inner.info

    def recognize(self, crops: Sequence[np.ndarray]) -> list[Recognized]:
        if self._fn is None:
            return list(self.inner.recognize(crops))
        return list(self.inner.recognize([self._fn(c) if c.size else c for c in crops]))

    def close(self) -> None:
        close_engine(self.inner)
