"""What a shadow read (OCR_SHADOW) does: the answer's document read again on another profile, compared page
by page with the answer (app/serving/shadow.py runs it in the background, bounded)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from app.features.ocr.types import DocumentResult
from app.observability import metrics


@dataclass(frozen=True, slots=True)
class Agreement:
    chars: float  # 1 - edit distance / the longer text's length, over the pages' texts (1.0: identical)
    line_diff: int  # |lines of the shadow reading - lines of the answer|, all pages


def agreement(answer: DocumentResult, shadow: DocumentResult) -> Agreement:
    a = "\n\n".join(p.text for p in answer.pages)
    b = "\n\n".join(p.text for p in shadow.pages)
    chars = 1.0 if not a and not b else float(Levenshtein.normalized_similarity(a, b))
    lines = abs(sum(len(p.lines) for p in answer.pages) - sum(len(p.lines) for p in shadow.pages))
    return Agreement(chars, lines)


def pages_of(answer: DocumentResult) -> str | None:
    """The answer's pages as a `pages` selection (the shadow reads exactly those)."""
    return ",".join(str(p.page) for p in answer.pages) or None


def compare_with(profile: str, answer: DocumentResult) -> Callable[[DocumentResult, float], None]:
    """Records how the shadow reading agrees with the answer, as metrics labelled by the shadow profile."""

    def compare(shadow: DocumentResult, seconds: float) -> None:
        found = agreement(answer, shadow)
        metrics.SHADOW_AGREEMENT.labels(profile).observe(found.chars)
        metrics.SHADOW_LINE_DIFF.labels(profile).observe(found.line_diff)
        metrics.SHADOW_LATENCY.labels(profile, "shadow").observe(seconds)
        primary = answer.timings_ms.get("ocr")
        if primary is not None:
            metrics.SHADOW_LATENCY.labels(profile, "primary").observe(primary / 1000)

    return compare


ShadowWork = Callable[[], Awaitable[DocumentResult]]
