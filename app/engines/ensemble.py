"""Two readers for one language: a primary that reads every line, and a second opinion for the lines the
primary is unsure of.

The Korean default is the fine-tuned neural recognizer (``korean_PP-OCRv6_small_rec``) as primary and
Tesseract (``kor+eng``, the previous reader) as the second opinion: a line the primary reads with
confidence below ``below``, or not at all, is read by Tesseract too, and Tesseract's reading replaces
the primary's only when it is more confident by at least ``margin``. The two confidences are not on
one scale (CTC mean character probability vs Tesseract's word confidence), so ``below`` and ``margin``
were chosen by measurement on real scans and photos (docs/accuracy.md). Each replacement is counted
(``ocr_second_opinion_total``), so an operator sees how often the fallback decides.

Not thread-safe, like the recognizers it wraps: one owner thread (app/runtime/).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.engines.base import EngineInfo, Recognized, TextRecognizer, close_engine
from app.observability import metrics


class SecondOpinion:
    """TextRecognizer: ``primary`` for every crop, ``secondary`` for the crops it reads poorly."""

    def __init__(
        self, primary: TextRecognizer, secondary: TextRecognizer, *, below: float, margin: float = 0.0
    ) -> None:
        self.primary = primary
        self.secondary = secondary
        self.below = below
        self.margin = margin
        p, s = primary.info, secondary.info
        self.info = EngineInfo(
            name=p.name,
            backend=p.backend,
            device=p.device,
            models={"rec": p.models.get("rec", "?"), "rec_second_opinion": s.models.get("rec", "?")},
        )

    def recognize(self, crops: Sequence[np.ndarray]) -> list[Recognized]:
        results = list(self.primary.recognize(crops))
        doubtful = [i for i, r in enumerate(results) if not r.text.strip() or r.confidence < self.below]
        if not doubtful:
            return results
        metrics.SECOND_OPINION.labels("consulted").inc(len(doubtful))
        others = self.secondary.recognize([crops[i] for i in doubtful])
        for i, other in zip(doubtful, others, strict=True):
            mine = results[i]
            if other.text.strip() and (not mine.text.strip() or other.confidence >= mine.confidence + self.margin):
                results[i] = other
                metrics.SECOND_OPINION.labels("replaced").inc()
        return results

    def close(self) -> None:
        for rec in (self.primary, self.secondary):
            close_engine(rec)
