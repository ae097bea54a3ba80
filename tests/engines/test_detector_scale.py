"""Detection at the size the text needs (OCR_DET_MIN_SCALE, OCR_DET_TEXT_PX) and recognition of narrow crops
at their own width (OCR_REC_MIN_WIDTH): the same lines and text for less model work."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from app.engines.crops import read_page_sync
from tests.engines.test_detector_borders import _boxes, _iou
from tests.render import render_lines

pytestmark = pytest.mark.slow

LINES = ["공급가액 100,000원", "Invoice No. INV-2024-0815", "합계 110,000원", "사업자등록번호 123-45-67890"]


@pytest.fixture(scope="module")
def full_size(engine_settings: Any) -> Iterator[Any]:
    """The same detector, always at the page's own size (the behaviour before this setting)."""
    from app.engines.models import resolve_model
    from app.engines.paddle import PaddleTextDetector

    s = engine_settings
    ref = resolve_model(s.models_dir, s.ocr_det_model, s.ocr_engine_backend)
    det = PaddleTextDetector(ref, min_scale=1.0, cpu_threads=s.ocr_cpu_threads, mem_arena=False)
    yield det
    det.close()


@pytest.fixture
def model_inputs(engines: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, ...]]:
    """The shape of every image the detection model receives."""
    predictor = engines.detector._predictor
    predict = predictor.predict
    seen: list[tuple[int, ...]] = []

    def spy(batch: Any, **kw: Any) -> Any:
        seen.extend(tuple(b.shape) for b in batch)
        return predict(batch, **kw)

    monkeypatch.setattr(predictor, "predict", spy)
    return seen


def _page(size: int, width: int, height: int, repeat: int = 3) -> np.ndarray:
    img, _ = render_lines(LINES * repeat, size=size, width=width, height=height, margin=width // 15)
    return np.asarray(img)


def test_a_page_of_large_text_is_detected_once_at_a_reduced_size_with_the_same_lines(
    engines: Any, full_size: Any, model_inputs: list[tuple[int, ...]]
) -> None:
    page = _page(64, 2480, 3508)  # an A4 page at 300 dpi: lines about 80 px tall
    found = engines.detector.detect([page])[0]
    (shape,) = model_inputs  # one pass, at about 1024 px instead of the text's 1470 x 2900 px box
    assert max(shape[:2]) <= 1024 + 32
    ((scale,),) = [engines.detector.last_scales]
    assert scale < 0.75
    reference = full_size.detect([page])[0]
    assert len(found) == len(reference) == len(LINES) * 3
    # the boxes come back in page coordinates, where the full-size pass put them
    assert min(_iou(a, b) for a, b in zip(_boxes(found), _boxes(reference), strict=True)) >= 0.8
    texts = [r.text for _, r in read_page_sync(engines.detector, engines.recognizer_for("korean"), page)]
    assert [t.replace(" ", "") for t in texts] == [t.replace(" ", "") for t in LINES * 3]


def test_small_text_on_a_large_page_is_detected_again_at_the_size_it_needs(
    engines: Any, full_size: Any, model_inputs: list[tuple[int, ...]]
) -> None:
    page = _page(20, 2480, 3508, repeat=12)  # small print filling a large scan: under 16 px at ~1024 px
    found = engines.detector.detect([page])[0]
    probe, second = engines.detector.last_scales
    assert probe < 0.75 and probe < second <= 1.0
    assert len(model_inputs) == 2 and model_inputs[1][0] > model_inputs[0][0]
    assert len(found) == len(full_size.detect([page])[0]) == len(LINES) * 12


def test_pages_at_most_1024_px_and_a_min_scale_of_one_are_detected_at_their_own_size(
    engines: Any, full_size: Any, model_inputs: list[tuple[int, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    small = _page(30, 1000, 1000)
    engines.detector.detect([small])
    assert engines.detector.last_scales == [1.0] and len(model_inputs) == 1
    large = _page(64, 2480, 3508)
    full_size.detect([large])
    assert full_size.last_scales == [1.0]


def test_the_settings_are_checked_at_start() -> None:
    from app.core.config import SettingsError, load_settings

    s = load_settings(auth_mode="none", ocr_det_min_scale=0.25, ocr_det_text_px=24, ocr_rec_min_width=160)
    assert (s.ocr_det_min_scale, s.ocr_det_text_px, s.ocr_rec_min_width) == (0.25, 24, 160)
    for bad in ({"ocr_det_min_scale": 0}, {"ocr_det_min_scale": 1.5}, {"ocr_det_text_px": 2}, {"ocr_rec_min_width": 0}):
        with pytest.raises(SettingsError, match=next(iter(bad)).upper()):
            load_settings(auth_mode="none", **bad)


def test_narrow_crops_are_read_at_their_own_width_with_the_same_text(engine_settings: Any) -> None:
    """A short word is no longer padded to 320 px: the model call is narrower, the text the same."""
    from app.engines.models import resolve_model
    from app.engines.paddle import PaddleTextRecognizer

    s = engine_settings
    ref = resolve_model(s.models_dir, s.ocr_rec_model, s.ocr_engine_backend)
    crops = []
    for word in ("Total", "1,250", "No. 7", "VAT"):
        font_name = "dejavu" if word.isascii() else "nanum"
        img, placed = render_lines([word], font_name=font_name, size=28, width=400, height=80, margin=10)
        x0, y0, x1, y1 = placed[0].bbox
        crops.append(np.asarray(img)[max(0, y0 - 6) : y1 + 6, max(0, x0 - 6) : x1 + 6])
    widths: dict[int, list[int]] = {}
    for w in (320, s.ocr_rec_min_width):
        rec = PaddleTextRecognizer(ref, min_width=w, cpu_threads=1)
        inner = rec._predictor.paddlex_predictor
        runner, widths[w] = inner.runner, []

        def spy(x: Any = None, _run: Any = runner, _seen: list[int] = widths[w], **kw: Any) -> Any:
            _seen.append(int((x[0] if isinstance(x, list) else x).shape[-1]))
            return _run(x, **kw)

        inner.runner = spy
        try:
            texts = [r.text for r in rec.recognize(crops)]
        finally:
            inner.runner = runner
            rec.close()
        assert [t.replace(" ", "") for t in texts] == ["Total", "1,250", "No.7", "VAT"]
    assert min(widths[320]) == 320
    assert s.ocr_rec_min_width < 320 and max(widths[s.ocr_rec_min_width]) < 320
