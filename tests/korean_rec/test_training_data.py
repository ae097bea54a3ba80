"""The Korean recognizer's training recipe (scripts/korean_rec/): the dictionary, the fonts kept apart from
the evaluation, the seeded text and image generators, the shard format and the weights patch. Training
itself needs torch (scripts/korean_rec/setup.sh) and is not run here; its output is checked by
tests/engines/test_fetch_models.py (the shipped patch rebuilds the locked model) and by the accuracy tests."""

from __future__ import annotations

import hashlib
import random
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from scripts.korean_rec import charset
from scripts.korean_rec.corpus import LineMaker
from scripts.korean_rec.dataset import read_shard, render_shard
from scripts.korean_rec.fonts import held_out_fonts, training_fonts
from scripts.korean_rec.render import HEIGHT, render
from scripts.ocr_eval.pages import HELD_OUT_FONTS

REPO = Path(__file__).resolve().parents[2]


def test_dictionary_covers_ks_x_1001_ascii_and_jamo_once() -> None:
    chars = charset.characters()
    assert len(chars) == len(set(chars))
    assert all(unicodedata.normalize("NFC", c) == c and len(c) == 1 and c != " " for c in chars)
    hangul = [c for c in chars if charset.is_hangul(c)]
    # 똠 and 뷁 are not in KS X 1001
    assert len(hangul) == 2350 and {"가", "힝", "똠", "뷁"} - set(hangul) == {"똠", "뷁"}
    assert set(charset.ascii_chars()) <= set(chars) and set(charset.jamo()) <= set(chars)
    shipped_yml = REPO / "scripts" / "model_patches" / "korean_PP-OCRv6_small_rec" / "inference.yml"
    shipped = shipped_yml.read_text(encoding="utf-8")
    import yaml

    assert yaml.safe_load(shipped)["PostProcess"]["character_dict"] == chars


def test_training_never_sees_the_evaluation_fonts() -> None:
    train = {str(f.path) for f in training_fonts()}
    held = {str(f.path) for f in held_out_fonts()}
    assert len(held) == len(HELD_OUT_FONTS) and not train & held
    hangul = set(charset.ksx1001_hangul())
    assert all(hangul <= f.covers for f in training_fonts(include_latin=False))


def test_text_lines_are_seeded_and_stay_in_the_dictionary() -> None:
    allowed = set(charset.characters()) | {" "}
    maker1, maker2 = LineMaker(11), LineMaker(11)
    lines = [maker1.line() for _ in range(400)]
    assert lines == [maker2.line() for _ in range(400)]
    assert lines != [LineMaker(12).line() for _ in range(400)]  # another seed, other lines
    assert all(line and set(line) <= allowed and len(line) <= 34 for line in lines)
    text = "".join(lines)
    assert sum(charset.is_hangul(c) for c in text) > len(text) * 0.3
    assert any(c.isdigit() for c in text) and any("A" <= c <= "z" for c in text)


def test_rendered_lines_are_48_px_and_reproducible() -> None:
    images = [render("합계 12,000원 (VAT 포함)", random.Random(s)) for s in range(12)]
    assert all(im is not None and im.dtype == np.uint8 and im.shape[0] == HEIGHT for im in images)
    again = render("합계 12,000원 (VAT 포함)", random.Random(3))
    assert again is not None and np.array_equal(again, images[3])
    assert len({hashlib.sha1(im.tobytes()).hexdigest() for im in images if im is not None}) == 12  # all different
    assert render("\u0e01\u0e02", random.Random(0)) is None  # Thai: no training font draws it


def test_a_shard_round_trips_and_is_rebuilt_identically(tmp_path: Path) -> None:
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        render_shard((tmp_path / d, 3, 0, 40, False))
    images, texts = read_shard(tmp_path / "a" / "shard-00000.npz")
    images_b, texts_b = read_shard(tmp_path / "b" / "shard-00000.npz")
    assert len(images) == len(texts) == 40 and texts == texts_b
    assert all(np.array_equal(x, y) for x, y in zip(images, images_b, strict=True))
    assert all(im.shape[0] == HEIGHT for im in images)


def test_weights_patch_round_trip_on_the_base_model() -> None:
    """A patch stores changes from the base (float16) and the resized classifier (float32); applying it to
    another base is refused."""
    import onnx

    from scripts.korean_rec import model as M

    base_path = REPO / "models" / "PP-OCRv6_small_rec" / "inference.onnx"
    base_bytes = base_path.read_bytes()
    base = onnx.load_from_string(base_bytes)
    arrays = M._arrays(base)
    name = "linear_6.w_0"
    changed = {name: arrays[name] + 0.01, M.CLASSIFIER_B: np.zeros(10, np.float32),
               M.CLASSIFIER_W: np.ones((arrays[M.CLASSIFIER_W].shape[0], 10), np.float32)}  # fmt: skip
    patch = M.patch_bytes(changed, base, hashlib.sha256(base_bytes).hexdigest())
    sha, restored = M.read_patch(patch, base)
    assert sha == hashlib.sha256(base_bytes).hexdigest()
    assert np.abs(restored[name] - changed[name]).max() < 1e-5
    rebuilt = onnx.load_from_string(M.apply_patch(base_bytes, patch))
    assert rebuilt.graph.output[0].type.tensor_type.shape.dim[-1].dim_value == 10
    with pytest.raises(ValueError, match="the patch was made for base model"):
        M.apply_patch(base_bytes + b"x", patch)
