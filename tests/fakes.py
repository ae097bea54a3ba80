"""A deterministic stand-in engine set for runtime tests (queue, batching, timeouts, drain).

It is used only where the behaviour under test is the runtime's, not recognition quality: it sleeps
for a configurable time per batch, like a real engine holding the CPU, and records the batches it saw.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np

from app.engines.base import EngineInfo, Recognized


class SlowFakeEngines:
    def __init__(self, det_s: float = 0.0, rec_s: float = 0.0, load_s: float = 0.0) -> None:
        time.sleep(load_s)
        self.det_s = det_s
        self.rec_s = rec_s
        self.det_batches: list[int] = []
        self.rec_batches: list[int] = []
        self.calls = 0
        self._owner: dict[str, int] = {}
        self._lock = threading.Lock()
        self.info = EngineInfo("fake", "none", "cpu", {"det": "fake-det", "rec": "fake-rec"})
        self.detector = self
        self.orientation = None

    def _check_owner(self, part: str) -> None:
        """Each model (detector / recognizer) must only ever be used by one thread."""
        me = threading.get_ident()
        with self._lock:
            owner = self._owner.setdefault(part, me)
            assert owner == me, f"{part} used from two threads"

    # detector
    def detect(self, images: Sequence[np.ndarray]) -> list[list[np.ndarray]]:
        self._check_owner("det")
        self.det_batches.append(len(images))
        time.sleep(self.det_s)
        out = []
        for im in images:
            h, w = im.shape[:2]
            out.append([np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype=np.float32)])
        return out

    # recognizer
    def recognizer_for(self, lang: str) -> SlowFakeEngines:
        return self

    def recognize(self, crops: Sequence[np.ndarray]) -> list[Recognized]:
        self._check_owner("rec")
        self.rec_batches.append(len(crops))
        time.sleep(self.rec_s)
        self.calls += 1
        return [Recognized(f"fake {c.shape[1]}x{c.shape[0]}", 0.99) for c in crops]

    def describe(self, lang: str) -> dict:
        return {"name": "fake", "backend": "none", "device": "cpu", "models": {"det": "fake-det", "rec": "fake-rec"}}

    def run_check(self) -> bool:
        return True

    def versions(self) -> dict:
        return {}
