"""Helpers shared by the engine tests (image loading, the committed RapidOCR subset)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
RAPIDOCR = Path(__file__).resolve().parent / "data" / "rapidocr"


def load_rgb(path: Path) -> np.ndarray:
    """EXIF-transposed RGB; a transparent image goes on the background that keeps its text visible."""
    img = ImageOps.exif_transpose(Image.open(path))
    assert img is not None
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = np.asarray(img.convert("RGBA")).astype(np.float32)
        alpha = rgba[:, :, 3:] / 255.0
        visible = alpha[:, :, 0] > 0.5
        light_text = bool(visible.any() and rgba[:, :, :3][visible].mean() > 127)
        bg = 0.0 if light_text else 255.0
        return (rgba[:, :, :3] * alpha + bg * (1 - alpha)).astype(np.uint8)
    return np.asarray(img.convert("RGB"))


def rapidocr_labels() -> list[dict[str, Any]]:
    return list(json.loads((RAPIDOCR / "labels.json").read_text(encoding="utf-8")))


def models_with_stand_in(models: Path, into: Path, name: str) -> Path:
    """MODELS_DIR ``models`` linked into ``into``, plus a dir ``name`` holding PP-OCRv6 tiny rec under that
    model name: a stand-in for a PaddleOCR model no wheel ships (checks the wiring, not accuracy)."""
    for entry in models.iterdir():
        (into / entry.name).symlink_to(entry)
    stand_in = into / name
    stand_in.mkdir()
    (stand_in / "inference.onnx").symlink_to(models / "PP-OCRv6_tiny_rec" / "inference.onnx")
    yml = (models / "PP-OCRv6_tiny_rec" / "inference.yml").read_text(encoding="utf-8")
    (stand_in / "inference.yml").write_text(yml.replace("PP-OCRv6_tiny_rec", name, 1), encoding="utf-8")
    return into
