"""SecondOpinion: the primary reads every line; only doubtful lines go to the second reader, whose reading
wins only when it is more confident by the margin. Readers here are scripted, so each rule is visible."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.engines.base import EngineInfo, Recognized
from app.engines.ensemble import SecondOpinion
from app.observability import metrics


class Scripted:
    """A reader that answers from a table keyed by the crop's width, and records what it was asked."""

    def __init__(self, name: str, answers: dict[int, Recognized]) -> None:
        self.info = EngineInfo(name, "test", "cpu", {"rec": f"{name}-model"})
        self.answers = answers
        self.asked: list[int] = []

    def recognize(self, crops: Sequence[np.ndarray]) -> list[Recognized]:
        widths = [c.shape[1] for c in crops]
        self.asked += widths
        return [self.answers[w] for w in widths]


def crop(width: int) -> np.ndarray:
    return np.zeros((20, width, 3), dtype=np.uint8)


def counter(outcome: str) -> float:
    return metrics.REGISTRY.get_sample_value("ocr_second_opinion_total", {"outcome": outcome}) or 0.0


def test_only_doubtful_lines_are_asked_again_and_the_more_confident_reading_wins() -> None:
    primary = Scripted(
        "neural",
        {
            10: Recognized("합계 12,000원", 0.98),  # sure: never asked again
            11: Recognized("카트", 0.40),  # doubtful; the other reader is surer: replaced
            12: Recognized("승인번호", 0.50),  # doubtful; the other reader is less sure: kept
            13: Recognized("", 0.0),  # nothing read: asked, and the other reading is taken
            14: Recognized("", 0.0),  # nothing read by either: stays empty
        },
    )
    second = Scripted(
        "tesseract",
        {
            11: Recognized("카드", 0.90),
            12: Recognized("숭인번호", 0.45),
            13: Recognized("IC", 0.30),
            14: Recognized("", 0.0),
        },
    )
    reader = SecondOpinion(primary, second, below=0.6)
    consulted, replaced = counter("consulted"), counter("replaced")
    got = reader.recognize([crop(w) for w in (10, 11, 12, 13, 14)])
    assert [r.text for r in got] == ["합계 12,000원", "카드", "승인번호", "IC", ""]
    assert primary.asked == [10, 11, 12, 13, 14]
    assert second.asked == [11, 12, 13, 14]
    assert counter("consulted") - consulted == 4
    assert counter("replaced") - replaced == 2
    assert reader.info.models == {"rec": "neural-model", "rec_second_opinion": "tesseract-model"}


def test_margin_keeps_the_primary_unless_the_second_reader_is_clearly_surer() -> None:
    primary = Scripted("neural", {20: Recognized("부가세", 0.55)})
    second = Scripted("tesseract", {20: Recognized("부가새", 0.70)})
    assert SecondOpinion(primary, second, below=0.6, margin=0.2).recognize([crop(20)])[0].text == "부가세"
    assert SecondOpinion(primary, second, below=0.6, margin=0.1).recognize([crop(20)])[0].text == "부가새"


def test_nothing_doubtful_means_the_second_reader_is_never_called() -> None:
    primary = Scripted("neural", {30: Recognized("영수증", 0.99)})
    second = Scripted("tesseract", {})
    assert SecondOpinion(primary, second, below=0.6).recognize([crop(30), crop(30)])[1].text == "영수증"
    assert second.asked == []
