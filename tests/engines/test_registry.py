"""build_engines: one engine set per owner, language routing, describe/versions, run_check, fallbacks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.engines.base import OrientationClassifier, TextDetector, TextRecognizer
from tests.engines.helpers import models_with_stand_in

REPO = Path(__file__).resolve().parents[2]


def test_engine_set_shape(engines: Any, engine_settings: Any) -> None:
    assert isinstance(engines.detector, TextDetector)
    assert isinstance(engines.orientation, OrientationClassifier)
    general = engines.recognizer_for("en")
    # the defaults serve the bundled model's languages and Korean (OCR_LANGUAGES=korean,en)
    assert {"korean", "en", "ch", "chinese_cht", "japan", "latin", "fr"} <= set(engine_settings.enabled_languages)
    for lang in engine_settings.enabled_languages:
        rec = engines.recognizer_for(lang)
        assert isinstance(rec, TextRecognizer)
        if lang != "korean":
            assert rec is general  # one instance serves every PP-OCR language
    assert engines.recognizer_for("korean") is not general
    assert len(engines.recognizers()) == 2
    with pytest.raises(ValueError, match="unsupported language 'xx'"):
        engines.recognizer_for("xx")
    with pytest.raises(ValueError, match="language 'th' is not enabled"):
        engines.recognizer_for("th")


def test_describe(engines: Any, engine_settings: Any) -> None:
    en = engines.describe("en")
    assert en == {
        "name": "paddleocr",
        "backend": "openvino",  # the shipped ONNX models on OpenVINO's CPU plugin (OCR_CPU_RUNTIME default)
        "device": "cpu",
        "models": {"det": engine_settings.ocr_det_model, "rec": engine_settings.ocr_rec_model},
    }
    ko = engines.describe("korean")
    assert ko["name"] == "paddleocr"
    assert ko["backend"] == "openvino" and ko["device"] == "cpu"
    assert ko["models"]["det"] == engine_settings.ocr_det_model
    assert ko["models"]["rec"] == "korean_PP-OCRv6_small_rec" == engine_settings.ocr_korean_rec_model
    second = ko["models"]["rec_second_opinion"]
    assert second.startswith("tesseract-5") and second.endswith(":kor+eng")
    assert engines.korean_fallback is None
    with pytest.raises(ValueError):
        engines.describe("klingon")


def test_versions(engines: Any) -> None:
    import paddleocr

    v = engines.versions()
    assert v["paddleocr"] == paddleocr.__version__
    assert v["onnxruntime"]
    assert v["compiled_with_cuda"] in (True, False)
    assert v["device"] == "cpu"
    assert set(v) >= {"paddleocr", "paddle", "onnxruntime", "openvino", "compiled_with_cuda", "device"}
    assert v["cpu_runtime"] == "openvino" and v["openvino"]
    assert v["openvino_precision"] in ("bf16", "f32")
    import onnxruntime

    if v["paddle"] is None and "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        assert v["compiled_with_cuda"] is False


@pytest.mark.slow
def test_warmup_and_run_check(engines: Any) -> None:
    engines.warmup()
    assert engines.run_check() is True


@pytest.mark.slow
def test_parts_split_det_and_rec(engine_settings: Any) -> None:
    from app.engines.registry import build_engines

    rec = build_engines(engine_settings, part="rec")
    try:
        assert rec.orientation is None
        with pytest.raises(RuntimeError, match="part='rec'"):
            _ = rec.detector
        # facts about the other part come from settings
        assert rec.describe("en")["models"]["det"] == engine_settings.ocr_det_model
        assert rec.run_check() is True
    finally:
        rec.close()
    det = build_engines(engine_settings, part="det")
    try:
        with pytest.raises(RuntimeError, match="part='det'"):
            det.recognizer_for("en")
        # from settings: the shipped Korean model, with Tesseract's second opinion
        assert det.describe("korean")["models"] == {
            "det": engine_settings.ocr_det_model,
            "rec": "korean_PP-OCRv6_small_rec",
            "rec_second_opinion": "tesseract:kor+eng",
        }
        assert det.run_check() is True
    finally:
        det.close()
    with pytest.raises(ValueError):
        build_engines(engine_settings, part="both")


def _ort_sessions(obj: Any, depth: int = 0, seen: set[int] | None = None) -> list[Any]:
    """Every ONNX Runtime session reachable from an engine (they sit inside the PaddleX predictors)."""
    import onnxruntime as ort

    seen = seen if seen is not None else set()
    if id(obj) in seen or depth > 6:
        return []
    seen.add(id(obj))
    if isinstance(obj, ort.InferenceSession):
        return [obj]
    found: list[Any] = []
    for value in (getattr(obj, "__dict__", None) or {}).values():
        found += _ort_sessions(value, depth + 1, seen)
    return found


@pytest.mark.parametrize("arena", [True, False])
def test_thread_and_arena_settings_reach_the_onnx_sessions(arena: bool) -> None:
    from app.core.config import load_settings
    from app.engines.registry import build_engines

    settings = load_settings(
        auth_mode="none", ocr_cpu_threads=1, ocr_cpu_mem_arena=arena, ocr_cpu_runtime="onnxruntime"
    )
    det = build_engines(settings, part="det")
    try:
        sessions = _ort_sessions(det.detector) + _ort_sessions(det.orientation)
        assert len(sessions) == 2
        for sess in sessions:
            opts = sess.get_session_options()
            assert opts.enable_cpu_mem_arena is arena
            assert opts.intra_op_num_threads == 1
    finally:
        det.close()


@pytest.mark.slow
def test_korean_model_missing_falls_back_to_tesseract(tmp_path: Path) -> None:
    from app.core.config import load_settings
    from app.engines.registry import build_engines

    settings = load_settings(auth_mode="none", ocr_korean_rec_model="korean_PP-OCRv5_mobile_rec")
    rec = build_engines(settings, part="rec")
    try:
        assert rec.korean_fallback and "korean_PP-OCRv5_mobile_rec" in rec.korean_fallback
        assert rec.describe("korean")["name"] == "paddleocr+tesseract"
    finally:
        rec.close()


@pytest.mark.slow
def test_korean_model_when_present_is_used(tmp_path: Path, engine_settings: Any) -> None:
    """A korean_PP-OCRv5_mobile_rec dir in MODELS_DIR replaces Tesseract for lang=korean.

    No wheel ships that model, so a stand-in is made from PP-OCRv6 tiny rec under the Korean name; this
    checks the wiring (local dir -> PaddleX -> recognizer_for("korean") / describe), not Korean accuracy.
    """
    from app.core.config import load_settings
    from app.engines.paddle import PaddleTextRecognizer
    from app.engines.registry import build_engines

    name = "korean_PP-OCRv5_mobile_rec"
    models_with_stand_in(Path(engine_settings.models_dir), tmp_path, name)
    settings = load_settings(
        auth_mode="none", models_dir=tmp_path, ocr_korean_rec_model=name, ocr_korean_second_opinion="none"
    )
    rec = build_engines(settings, part="rec")
    try:
        assert rec.korean_fallback is None
        assert isinstance(rec.recognizer_for("korean"), PaddleTextRecognizer)
        assert rec.describe("korean") == {
            "name": "paddleocr",
            "backend": "openvino",
            "device": "cpu",
            "models": {"det": settings.ocr_det_model, "rec": name},
        }
        assert rec.run_check() is True
    finally:
        rec.close()


@pytest.mark.slow
def test_hub_source_loads_from_the_paddlex_cache(tmp_path: Path, engine_settings: Any) -> None:
    """OCR_MODEL_SOURCE=hub without a local dir: PaddleX resolves the name in PADDLE_PDX_CACHE_HOME.

    The cache is pre-filled (as a production image build would), so nothing is downloaded.
    """
    models = Path(engine_settings.models_dir)
    cache = tmp_path / "pdx"
    (cache / "official_models").mkdir(parents=True)
    shutil.copytree(models / "PP-OCRv6_tiny_rec", cache / "official_models" / "PP-OCRv6_tiny_rec_onnx")
    code = (
        "import numpy as np\n"
        "from app.core.config import load_settings\n"
        "from app.engines.registry import build_engines\n"
        f"s = load_settings(auth_mode='none', models_dir={str(tmp_path / 'none')!r}, ocr_model_source='hub',"
        " ocr_rec_model='PP-OCRv6_tiny_rec')\n"
        "from app.engines.registry import _ref\n"
        "from app.engines.paddle import PaddleTextRecognizer\n"
        "ref = _ref(s, 'PP-OCRv6_tiny_rec')\n"
        "assert ref.path is None, ref\n"
        "r = PaddleTextRecognizer(ref)\n"
        "print('OK', r.info.models, r.recognize([np.full((48, 160, 3), 255, np.uint8)])[0].confidence)\n"
    )
    env = {**os.environ, "PADDLE_PDX_CACHE_HOME": str(cache)}
    env.pop("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", None)
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "OK {'rec': 'PP-OCRv6_tiny_rec'}" in r.stdout


@pytest.mark.slow
def test_korean_reader_default_and_the_tesseract_setting(engines: Any) -> None:
    """Default: the shipped fine-tuned model reads Korean lines, Tesseract gives a second opinion on doubtful
    ones. ``OCR_KOREAN_REC_MODEL=tesseract`` (or empty, what "unset" meant before) selects Tesseract alone."""
    from app.core.config import load_settings
    from app.engines.ensemble import SecondOpinion
    from app.engines.paddle import PaddleTextRecognizer
    from app.engines.registry import build_engines
    from app.engines.tesseract import TesseractRecognizer

    ko = engines.recognizer_for("korean")
    assert isinstance(ko, SecondOpinion)
    assert isinstance(ko.primary, PaddleTextRecognizer) and isinstance(ko.secondary, TesseractRecognizer)
    assert ko.primary.info.models["rec"] == "korean_PP-OCRv6_small_rec"
    for value in ("tesseract", ""):
        settings = load_settings(auth_mode="none", ocr_korean_rec_model=value)
        assert settings.ocr_korean_rec_model == "tesseract"
        rec = build_engines(settings, part="rec")
        try:
            assert isinstance(rec.recognizer_for("korean"), TesseractRecognizer)
            assert rec.describe("korean")["name"] == "paddleocr+tesseract"
            assert rec.korean_fallback is None
        finally:
            rec.close()
