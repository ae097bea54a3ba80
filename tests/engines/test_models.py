"""Model dirs: fast start-up checks, and actionable errors when something is missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.engines.base import EngineLoadError
from app.engines.models import (
    check_model_dir,
    model_dir_for,
    quick_check,
    resolve_model,
    table_model_path,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def models(engine_settings: object) -> Path:
    return Path(engine_settings.models_dir)  # type: ignore[attr-defined]


def test_resolve_local_models(models: Path) -> None:
    ref = resolve_model(models, "PP-OCRv6_small_det", "onnxruntime")
    assert ref.path == models / "PP-OCRv6_small_det"
    ref = resolve_model(models, "PP-OCRv5_mobile_rec", "paddle")
    assert ref.path == models / "paddle" / "PP-OCRv5_mobile_rec"
    assert table_model_path(models).name == "en_ppstructure_mobile_v2_SLANet.onnx"
    manifest = quick_check(models)
    assert "PP-OCRv6_small_rec/inference.onnx" in manifest["files"]


def test_missing_models_dir_says_run_fetch_models(tmp_path: Path) -> None:
    with pytest.raises(EngineLoadError, match=r"scripts/fetch_models\.py"):
        resolve_model(tmp_path, "PP-OCRv6_small_det", "onnxruntime")
    with pytest.raises(EngineLoadError, match=r"scripts/fetch_models\.py"):
        quick_check(tmp_path)


def test_missing_model_dir_names_path_and_fix(tmp_path: Path, models: Path) -> None:
    shutil.copy(models / "manifest.json", tmp_path / "manifest.json")
    with pytest.raises(EngineLoadError) as err:
        resolve_model(tmp_path, "PP-OCRv5_mobile_det", "onnxruntime")
    msg = str(err.value)
    assert str(tmp_path / "PP-OCRv5_mobile_det") in msg
    assert "scripts/fetch_models.py" in msg
    # a model no wheel ships: say how to provide it
    with pytest.raises(EngineLoadError, match="OCR_MODEL_SOURCE=hub") as err:
        resolve_model(tmp_path, "korean_PP-OCRv5_mobile_rec", "onnxruntime")
    assert "inference.onnx + inference.yml" in str(err.value)


def test_incomplete_and_misnamed_dirs(tmp_path: Path, models: Path) -> None:
    d = tmp_path / "PP-OCRv6_tiny_det"
    d.mkdir()
    shutil.copy(models / "PP-OCRv6_tiny_det" / "inference.yml", d / "inference.yml")
    with pytest.raises(EngineLoadError, match=r"missing inference\.onnx"):
        check_model_dir(d, "PP-OCRv6_tiny_det", "onnxruntime")
    wrong = tmp_path / "PP-OCRv6_small_det"
    wrong.mkdir()
    for f in ("inference.yml", "inference.onnx"):
        (wrong / f).symlink_to(models / "PP-OCRv6_tiny_det" / f)
    with pytest.raises(EngineLoadError, match=r"declares Global\.model_name 'PP-OCRv6_tiny_det'"):
        check_model_dir(wrong, "PP-OCRv6_small_det", "onnxruntime")


def test_fine_tuned_model_dir_keeps_its_architectures_name(models: Path) -> None:
    """korean_PP-OCRv6_small_rec's yml declares PP-OCRv6_small_rec (what PaddleX builds); the dir names the
    weights. Only ``<prefix>_<declared name>`` is accepted."""
    ref = resolve_model(models, "korean_PP-OCRv6_small_rec", "onnxruntime")
    assert ref.path == models / "korean_PP-OCRv6_small_rec"
    assert ref.arch == ref.paddlex_name == "PP-OCRv6_small_rec"
    assert resolve_model(models, "PP-OCRv6_small_rec", "onnxruntime").paddlex_name == "PP-OCRv6_small_rec"
    with pytest.raises(EngineLoadError, match=r"<prefix>_<model name>"):
        check_model_dir(models / "korean_PP-OCRv6_small_rec", "PP-OCRv6_small_rec_korean", "onnxruntime")


def test_hub_source_prefers_local_then_defers_to_paddlex(tmp_path: Path, models: Path) -> None:
    local = resolve_model(models, "PP-OCRv6_small_rec", "onnxruntime", source="hub")
    assert local.path == models / "PP-OCRv6_small_rec"
    remote = resolve_model(tmp_path, "korean_PP-OCRv5_mobile_rec", "paddle", source="hub")
    assert remote.path is None and remote.source == "PaddleX model cache/hub"
    assert model_dir_for(tmp_path, "x", "paddle") == tmp_path / "paddle" / "x"


def test_build_engines_without_models_fails_fast(tmp_path: Path, engine_settings: object) -> None:
    from app.core.config import load_settings
    from app.engines.registry import build_engines

    settings = load_settings(auth_mode="none", models_dir=tmp_path)
    with pytest.raises(EngineLoadError, match=r"run `python scripts/fetch_models\.py`"):
        build_engines(settings, part="det")
    with pytest.raises(EngineLoadError, match=r"run `python scripts/fetch_models\.py`"):
        build_engines(settings, part="rec")


def test_paddle_backend_errors_are_actionable(tmp_path: Path, models: Path) -> None:
    with pytest.raises(EngineLoadError, match="OCR_ENGINE_BACKEND=onnxruntime") as err:
        resolve_model(models, "PP-OCRv6_small_det", "paddle")
    assert "PP-OCRv5_mobile_det" in str(err.value)


@pytest.mark.slow
def test_paddle_backend_without_paddlepaddle(engine_settings: object) -> None:
    import importlib.util

    from app.core.config import load_settings
    from app.engines.paddle import PaddleTextDetector

    if importlib.util.find_spec("paddle") is not None:
        pytest.skip("paddlepaddle is installed here")
    settings = load_settings(auth_mode="none")
    ref = resolve_model(settings.models_dir, "PP-OCRv5_mobile_det", "paddle")
    with pytest.raises(EngineLoadError, match="needs the paddlepaddle or paddlepaddle-gpu package"):
        PaddleTextDetector(ref)
