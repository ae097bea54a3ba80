"""Rendered training data on disk: shards of line images and their texts, reproducible from a seed.

    python -m scripts.korean_rec.dataset --out data/ko-lines --samples 320000 --workers 2
    python -m scripts.korean_rec.dataset --out data/ko-val --samples 2000 --held-out-fonts --seed 99

A shard ``shard-NNNNN.npz`` holds ``pixels`` (48 x total width, uint8: the lines side by side),
``offsets`` (start column of each line, plus the end) and ``texts`` (UTF-8, one per line). Shard ``i``
of seed ``s`` is rendered from ``random.Random(s * 100003 + i)``, so any shard can be rebuilt alone.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

SHARD = 5000


def render_shard(args: tuple[Path, int, int, int, bool]) -> str:
    out, seed, index, count, held_out = args
    from scripts.korean_rec.corpus import LineMaker
    from scripts.korean_rec.fonts import held_out_fonts
    from scripts.korean_rec.render import render

    path = out / f"shard-{index:05d}.npz"
    if path.is_file():
        return f"{path.name} exists"
    rng = random.Random(seed * 100003 + index)
    maker = LineMaker(seed * 100003 + index)
    fonts = held_out_fonts() if held_out else None
    images, texts = [], []
    while len(images) < count:
        text = maker.line()
        img = render(text, rng, fonts=fonts)
        if img is not None:
            images.append(img)
            texts.append(text)
    widths = np.array([im.shape[1] for im in images], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(widths)])
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, pixels=np.concatenate(images, axis=1), offsets=offsets,
             texts=np.frombuffer(json.dumps(texts, ensure_ascii=False).encode(), dtype=np.uint8))  # fmt: skip
    tmp.rename(path)
    return f"{path.name}: {count} lines, mean width {widths.mean():.0f}"


def build(out: Path, samples: int, seed: int, workers: int, held_out: bool = False) -> None:
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(out, seed, i, min(SHARD, samples - i * SHARD), held_out) for i in range((samples + SHARD - 1) // SHARD)]
    (out / "meta.json").write_text(json.dumps({"samples": samples, "seed": seed, "held_out_fonts": held_out,
                                               "shard": SHARD}), encoding="utf-8")  # fmt: skip
    t0 = time.time()
    with mp.Pool(workers) as pool:
        for msg in pool.imap_unordered(render_shard, jobs):
            print(f"[dataset] {msg} ({time.time() - t0:.0f} s)", flush=True)


def read_shard(path: Path) -> tuple[list[np.ndarray], list[str]]:
    with np.load(path) as z:
        pixels, offsets = z["pixels"], z["offsets"]
        texts = json.loads(z["texts"].tobytes().decode())
    return [pixels[:, offsets[i] : offsets[i + 1]] for i in range(len(texts))], texts


def iter_samples(folder: Path, rng: random.Random, epochs: int = 1) -> Iterator[tuple[np.ndarray, str]]:
    """Every sample of every shard, shard order and sample order shuffled per epoch."""
    shards = sorted(folder.glob("shard-*.npz"))
    for _ in range(epochs):
        rng.shuffle(shards)
        for s in shards:
            images, texts = read_shard(s)
            order = list(range(len(texts)))
            rng.shuffle(order)
            for i in order:
                yield images[i], texts[i]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--samples", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--held-out-fonts", action="store_true", help="render in the evaluation's fonts (validation)")
    a = ap.parse_args()
    build(a.out, a.samples, a.seed, a.workers, a.held_out_fonts)


if __name__ == "__main__":
    main()
