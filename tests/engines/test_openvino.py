"""OpenVINO as the CPU runtime of the ONNX models (OCR_CPU_RUNTIME=openvino, the default).

The same ONNX files, the same PaddleX pre/post-processing; only the inference runner changes. What a
user relies on: the models read the same text as under ONNX Runtime, the engines say which runtime and
arithmetic they use, and a misconfiguration fails at load with a message naming the setting.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest

from app.core.config import load_settings
from app.engines import openvino
from app.engines.base import EngineLoadError
from app.engines.models import resolve_model
from app.engines.paddle import PaddleOrientationClassifier, PaddleTextDetector, PaddleTextRecognizer
from tests.engines.helpers import DATA, load_rgb
from tests.render import ENGLISH_SAMPLE, KOREAN_SAMPLE, render_lines

pytest.importorskip("openvino")


def _crops(sample: list[str], font: str) -> list[np.ndarray]:
    image, placed = render_lines(sample, font_name=font, size=28)
    page = np.asarray(image.convert("RGB"))
    return [np.ascontiguousarray(page[p.bbox[1] - 4 : p.bbox[3] + 4, p.bbox[0] - 4 : p.bbox[2] + 4]) for p in placed]


@pytest.fixture(scope="module")
def models() -> Any:
    return load_settings(auth_mode="none").models_dir


def test_f32_runner_gives_onnx_runtimes_outputs(models: Any) -> None:
    """At float32 the replaced runner's raw outputs equal ONNX Runtime's to float rounding."""
    ref = resolve_model(models, "korean_PP-OCRv6_small_rec", "onnxruntime")
    ort_rec = PaddleTextRecognizer(ref, cpu_threads=1)
    ov_rec = PaddleTextRecognizer(ref, cpu_threads=1, runtime="openvino", precision="f32")
    x = np.random.default_rng(0).standard_normal((1, 3, 48, 480)).astype(np.float32)
    try:
        want = ort_rec._predictor.paddlex_predictor.runner(x=[x])
        got = ov_rec._predictor.paddlex_predictor.runner(x=[x])
        assert len(got) == len(want) == 1 and got[0].shape == want[0].shape
        assert float(np.abs(got[0] - want[0]).max()) < 1e-3
        # outputs are copies: the next inference does not overwrite the previous answer
        again = ov_rec._predictor.paddlex_predictor.runner(x=[np.zeros_like(x)])
        assert not np.array_equal(again[0], got[0])
        assert float(np.abs(got[0] - want[0]).max()) < 1e-3
    finally:
        ort_rec.close()
        ov_rec.close()


@pytest.mark.parametrize("precision", ["auto", "f32"])
def test_recognizers_read_the_same_text(models: Any, precision: str) -> None:
    """Korean and English lines read the same under both runtimes, at the precision the service uses."""
    for name, sample, font in (
        ("korean_PP-OCRv6_small_rec", KOREAN_SAMPLE, "nanum"),
        ("PP-OCRv6_small_rec", ENGLISH_SAMPLE, "dejavu"),
    ):
        ref = resolve_model(models, name, "onnxruntime")
        crops = _crops(sample, font)
        ort_rec = PaddleTextRecognizer(ref, cpu_threads=1)
        ov_rec = PaddleTextRecognizer(ref, cpu_threads=1, runtime="openvino", precision=precision)
        try:
            assert ov_rec.info.backend == "openvino" and ort_rec.info.backend == "onnxruntime"
            want, got = ort_rec.recognize(crops), ov_rec.recognize(crops)
            assert [r.text for r in got] == [r.text for r in want] == sample
            # bfloat16 moves a line's confidence by a few hundredths at most (measured up to 0.032)
            tolerance = 0.002 if openvino.resolve_precision(precision) == "f32" else 0.06
            assert max(abs(a.confidence - b.confidence) for a, b in zip(got, want, strict=True)) < tolerance
        finally:
            ort_rec.close()
            ov_rec.close()


def test_detector_and_orientation_on_openvino(models: Any) -> None:
    page = load_rgb(DATA / "korean_invoice.png")
    det_ref = resolve_model(models, "PP-OCRv6_small_det", "onnxruntime")
    ori_ref = resolve_model(models, "PP-LCNet_x1_0_doc_ori", "onnxruntime")
    ort_det = PaddleTextDetector(det_ref, cpu_threads=1)
    ov_det = PaddleTextDetector(det_ref, cpu_threads=1, runtime="openvino", precision="f32")
    ori = PaddleOrientationClassifier(ori_ref, cpu_threads=1, runtime="openvino", precision="bf16")
    try:
        want, got = ort_det.detect([page])[0], ov_det.detect([page])[0]
        assert ov_det.info.backend == "openvino"
        assert len(got) == len(want) == len(KOREAN_SAMPLE)
        pairs = zip(sorted(got, key=lambda q: q[0][1]), sorted(want, key=lambda q: q[0][1]), strict=True)
        assert max(float(np.abs(a - b).max()) for a, b in pairs) <= 2.0
        rotated = np.ascontiguousarray(np.rot90(page, k=2))
        assert ori.info.backend == "openvino"
        assert ori.classify([page, rotated]) == [0, 180]
    finally:
        ort_det.close()
        ov_det.close()
        ori.close()


def test_precision_follows_the_cpu() -> None:
    assert openvino.resolve_precision("f32") == "f32"
    assert openvino.resolve_precision("bf16") == "bf16"
    assert openvino.resolve_precision("auto") == ("bf16" if openvino.cpu_has_bf16() else "f32")
    with pytest.raises(EngineLoadError, match="unknown OpenVINO precision 'fp8'"):
        openvino.resolve_precision("fp8")


def test_only_local_onnx_models_on_the_cpu_change_runtime(models: Any) -> None:
    from app.engines.models import ModelRef
    from app.engines.paddle import use_cpu_runtime

    ref = resolve_model(models, "PP-OCRv6_small_rec", "onnxruntime")
    kw = {"cpu_threads": 1, "runtime": "openvino", "precision": "auto"}
    # a GPU, a Paddle-format model, or a hub model (no local file) keeps its backend; nothing is touched
    assert use_cpu_runtime(object(), ref, device="gpu:0", **kw) == "onnxruntime"
    assert use_cpu_runtime(object(), ModelRef(ref.name, "paddle", ref.path), device="cpu", **kw) == "paddle"
    assert use_cpu_runtime(object(), ModelRef(ref.name, "onnxruntime", None), device="cpu", **kw) == "onnxruntime"
    with pytest.raises(EngineLoadError, match="unknown CPU runtime 'tensorrt'"):
        use_cpu_runtime(object(), ref, device="cpu", cpu_threads=1, runtime="tensorrt", precision="auto")
    with pytest.raises(EngineLoadError, match="no replaceable runner"):
        use_cpu_runtime(object(), ref, device="cpu", **kw)


def test_missing_package_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openvino, "_core", None)
    monkeypatch.setitem(sys.modules, "openvino", None)  # import openvino -> ImportError
    assert openvino.available() is False
    with pytest.raises(EngineLoadError, match="OCR_CPU_RUNTIME=onnxruntime"):
        openvino.OpenVINORunner(DATA / "nothing.onnx")


def test_unreadable_model_is_a_load_error(tmp_path: Any) -> None:
    bad = tmp_path / "inference.onnx"
    bad.write_bytes(b"not an onnx file")
    with pytest.raises(EngineLoadError, match="OpenVINO cannot compile"):
        openvino.OpenVINORunner(bad, precision="f32")


def test_settings_reach_the_compiled_models() -> None:
    """The defaults: detector and page orientation on OpenVINO at float32, one thread each, no pinning;
    recognizers at the precision the CPU supports."""
    from app.engines.registry import build_engines

    settings = load_settings(auth_mode="none", ocr_cpu_threads=1)
    engines = build_engines(settings, part="all")
    try:
        runners = {
            "det": engines.detector._predictor.paddlex_predictor.runner,
            "orientation": engines.orientation._predictor.paddlex_predictor.runner,
            "rec": engines.recognizer_for("en")._predictor.paddlex_predictor.runner,
        }
        for kind, runner in runners.items():
            assert isinstance(runner, openvino.OpenVINORunner), kind
            compiled = runner._compiled
            assert int(compiled.get_property("INFERENCE_NUM_THREADS")) == 1, kind
            assert compiled.get_property("ENABLE_CPU_PINNING") is False, kind
        assert runners["det"].precision == runners["orientation"].precision == "f32"
        assert runners["rec"].precision == openvino.resolve_precision("auto")
        assert engines.versions()["openvino_det_precision"] == "f32"
    finally:
        engines.close()


def test_the_first_inference_of_a_process_runs_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Engine workers starting together once froze the whole process in pyopenvino's first Tensor.data
    (a C++ static initializer that needs the GIL; seen in the kill -9 restart test). Until one inference
    has completed, runners take turns; afterwards they run side by side."""
    import threading
    import time

    monkeypatch.setattr(openvino, "_first_infer_done", threading.Event())
    spans: list[tuple[float, float]] = []

    def slow_infer(self: Any, x: Any) -> list[np.ndarray]:
        t0 = time.monotonic()
        time.sleep(0.2)
        spans.append((t0, time.monotonic()))
        return [np.zeros(1)]

    monkeypatch.setattr(openvino.OpenVINORunner, "_infer", slow_infer)
    runners = [object.__new__(openvino.OpenVINORunner) for _ in range(4)]
    for r in runners:
        r._n_inputs = 1  # type: ignore[attr-defined]
    start = threading.Barrier(len(runners))

    def call(r: Any) -> None:
        start.wait()
        r(x=[np.zeros(1)])

    threads = [threading.Thread(target=call, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert openvino._first_infer_done.is_set() and len(spans) == 4
    first = min(spans)
    assert all(s[0] >= first[1] for s in spans if s != first), spans  # nobody ran beside the first

    # once one has completed, inferences run side by side
    spans.clear()
    start = threading.Barrier(len(runners))
    threads = [threading.Thread(target=call, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    later = sorted(spans)
    assert len(later) == 4 and later[-1][0] < later[0][1], later
