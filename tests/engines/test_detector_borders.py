"""Detection inside a page's uniform border (OCR_DET_TRIM_BORDERS): same lines, blank pages skip the model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.engines.crops import read_page_sync
from tests.render import render_blocks

pytestmark = pytest.mark.slow

BLOCKS = [("합계 110,000원", 700, 1300), ("Invoice No. 2024-001", 700, 1360), ("공급가액 100,000", 700, 1420)]


@pytest.fixture(scope="module")
def untrimmed(engine_settings: Any) -> Any:
    from app.engines.models import resolve_model
    from app.engines.paddle import PaddleTextDetector

    s = engine_settings
    ref = resolve_model(s.models_dir, s.ocr_det_model, s.ocr_engine_backend)
    det = PaddleTextDetector(ref, trim_borders=False, cpu_threads=s.ocr_cpu_threads, mem_arena=False)
    yield det
    det.close()


def _boxes(quads: list[np.ndarray]) -> np.ndarray:
    b = np.array([[q[:, 0].min(), q[:, 1].min(), q[:, 0].max(), q[:, 1].max()] for q in quads])
    return b[np.lexsort((b[:, 0], b[:, 1]))]


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union)


@pytest.fixture
def model_inputs(engines: Any, monkeypatch: pytest.MonkeyPatch) -> list[list[tuple[int, ...]]]:
    """The shapes of the images each call of the detection model receives."""
    predictor = engines.detector._predictor
    predict = predictor.predict
    calls: list[list[tuple[int, ...]]] = []

    def spy(batch: Any, **kw: Any) -> Any:
        calls.append([tuple(b.shape) for b in batch])
        return predict(batch, **kw)

    monkeypatch.setattr(predictor, "predict", spy)
    return calls


def test_trimmed_detection_finds_the_same_lines_in_page_coordinates(
    engines: Any, untrimmed: Any, model_inputs: list[list[tuple[int, ...]]]
) -> None:
    img, placed = render_blocks(BLOCKS)  # text in the lower right of an A4 page, the rest blank
    page = np.asarray(img)
    trimmed = engines.detector.detect([page])[0]
    # the model saw the text and its margin only, cut to multiples of 32
    ((shape,),) = model_inputs
    assert shape[0] < 400 and shape[1] < 500 and shape[0] % 32 == shape[1] % 32 == 0
    full = untrimmed.detect([page])[0]
    assert len(trimmed) == len(full) == len(BLOCKS)
    # the same boxes (a few pixels apart: the model sees less of the page around them), in the
    # coordinates of the whole page
    assert min(_iou(a, b) for a, b in zip(_boxes(trimmed), _boxes(full), strict=True)) >= 0.6
    for box, p in zip(_boxes(trimmed), sorted(placed, key=lambda p: p.bbox[1]), strict=True):
        # every box holds its line of text (DB boxes may end a few pixels inside the last glyph's ink)
        assert box[0] <= p.bbox[0] + 4 and box[2] >= p.bbox[2] - 4
        assert box[1] <= p.bbox[1] + 4 and box[3] >= p.bbox[3] - 4
    texts = [r.text for _, r in read_page_sync(engines.detector, engines.recognizer_for("korean"), page)]
    assert [t.replace(" ", "") for t in texts] == [b[0].replace(" ", "") for b in BLOCKS]


def test_pages_batched_together_keep_their_own_lines(engines: Any) -> None:
    a, _ = render_blocks([("First page line", 100, 120)])
    b, _ = render_blocks([("Second page, other corner", 650, 1500), ("and one more", 650, 1560)])
    pa, pb = np.asarray(a), np.asarray(b)
    together = engines.detector.detect([pa, pb])
    alone = [engines.detector.detect([p])[0] for p in (pa, pb)]
    assert [len(q) for q in together] == [len(q) for q in alone] == [1, 2]
    for t, s in zip(together, alone, strict=True):
        assert min(_iou(x, y) for x, y in zip(_boxes(t), _boxes(s), strict=True)) >= 0.6


def test_a_blank_page_has_no_lines_and_runs_no_inference(
    engines: Any, model_inputs: list[list[tuple[int, ...]]]
) -> None:
    blank = np.full((1754, 1240, 3), 255, dtype=np.uint8)
    img, _ = render_blocks([("Only this page has text", 100, 100)])
    out = engines.detector.detect([blank, np.asarray(img), blank])
    assert [len(q) for q in out] == [0, 1, 0]
    assert len(model_inputs) == 1 and len(model_inputs[0]) == 1  # only the page with text was inferred
