"""GPU benchmark of the engine layer: pages/s and p50 per batch for A4 pages at detection batch sizes
1/8/32, GPU memory (NVML), and the same machine's CPU figure. Sized for a lent GPU machine's 10-minute run.

    python scripts/gpu_bench.py                              # gpu:0, batches 1,8,32, then the CPU figure
    python scripts/gpu_bench.py --device gpu:0,gpu:1         # every listed device, one after the other
    python scripts/gpu_bench.py --device cpu --batches 1,2 --rounds 1 --no-cpu   # a smoke run anywhere
    python scripts/gpu_bench.py --json $OUT/gpu-bench.json   # keep the figures

What runs is what the service's workers run: ``build_engines`` with ``OCR_DEVICE`` set to the device,
the detector called with a batch of pages, every page's line crops recognised in its language (batched by
``MAX_BATCH_SIZE`` on a GPU). The pages are the committed A4 sample invoices (Korean and English, 150 dpi),
so nothing needs fonts or network on the machine. On a GPU the engines need onnxruntime-gpu (or
paddlepaddle-gpu with ``OCR_ENGINE_BACKEND=paddle``); ../shared/notes/gpu.md says how to carry them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PAGES = [
    (REPO / "tests" / "data" / "korean_invoice.png", "korean"),
    (REPO / "tests" / "data" / "english_invoice.png", "en"),
]


def load_pages() -> list[tuple[np.ndarray, str]]:
    from PIL import Image

    return [(np.asarray(Image.open(p).convert("RGB")), lang) for p, lang in PAGES]


def gpu_memory_mb(device: str) -> float | None:
    from app.observability.gpu import gpu_summary

    summary = gpu_summary(device)
    return None if summary is None else summary["memory_used_mb"]


def measure(device: str, batches: list[int], rounds: int, budget_s: float) -> dict[str, Any]:
    """Build the engines on ``device`` and time det+rec over batches of pages."""
    from app.core.config import load_settings
    from app.engines.base import EngineLoadError
    from app.engines.crops import crop_quad
    from app.engines.registry import build_engines

    on_gpu = device.startswith("gpu")
    settings = load_settings(
        auth_mode="none",
        ocr_device=device,
        max_batch_size=max(batches) if on_gpu else 8,
        det_batch_size=max(batches) if on_gpu else 1,
    )
    t0 = time.perf_counter()
    try:
        engines = build_engines(settings)
    except EngineLoadError as exc:  # e.g. no CUDA provider on this machine: say so, measure the rest
        print(f"  {device}: the engines cannot load: {exc}", flush=True)
        return {"device": device, "error": str(exc), "batches": []}
    load_s = time.perf_counter() - t0
    pages = load_pages()
    started = time.perf_counter()
    out: dict[str, Any] = {"device": device, "load_s": round(load_s, 2), "batches": []}
    try:
        for batch in batches:
            chosen = [pages[i % len(pages)] for i in range(batch)]
            images = [im for im, _ in chosen]
            times: list[float] = []
            for r in range(rounds + 1):  # the first round warms the shapes up and is not timed
                t = time.perf_counter()
                found = engines.detector.detect(images)
                for (im, lang), quads in zip(chosen, found, strict=True):
                    engines.recognizer_for(lang).recognize([crop_quad(im, q) for q in quads])
                if r:
                    times.append(time.perf_counter() - t)
                if time.perf_counter() - started > budget_s:
                    break
            if not times:
                out["batches"].append({"batch": batch, "skipped": "time budget spent"})
                break
            out["batches"].append(
                {
                    "batch": batch,
                    "rounds": len(times),
                    "pages_per_s": round(batch * len(times) / sum(times), 2),
                    "p50_batch_s": round(statistics.median(times), 3),
                    "gpu_memory_used_mb": gpu_memory_mb(device),
                }
            )
            print(f"  {device} batch {batch}: {out['batches'][-1]}", flush=True)
    finally:
        engines.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="gpu:0", help="gpu:N, a list gpu:0,gpu:1, or cpu")
    ap.add_argument("--batches", default="1,8,32")
    ap.add_argument("--rounds", type=int, default=5, help="timed rounds per batch size")
    ap.add_argument("--no-cpu", action="store_true", help="skip the CPU figure (the service's CPU defaults)")
    ap.add_argument("--budget-s", type=float, default=420.0, help="stop starting new rounds after this long")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args(argv)
    batches = [int(b) for b in args.batches.split(",") if b.strip()]
    from app.core.config import load_settings
    from app.engines.versions import engine_versions
    from app.observability.gpu import gpu_stats, resolve_devices
    from scripts.bench import machine

    started = time.perf_counter()
    report: dict[str, Any] = {"machine": machine(), "gpus": gpu_stats(), "runs": []}
    report["versions"] = engine_versions(load_settings(auth_mode="none"))
    for device in resolve_devices(args.device):
        left = args.budget_s - (time.perf_counter() - started)
        report["runs"].append(measure(device, batches, args.rounds, left))
    if not args.no_cpu and args.device != "cpu":
        left = args.budget_s - (time.perf_counter() - started)
        report["runs"].append(measure("cpu", [1], args.rounds, max(30.0, left)))
    print("\n| device | batch | pages/s | p50 per batch s | GPU memory used MB |")
    print("|---|---|---|---|---|")
    for run in report["runs"]:
        for b in run["batches"]:
            if "pages_per_s" in b:
                print(
                    f"| {run['device']} | {b['batch']} | {b['pages_per_s']} | {b['p50_batch_s']} | {b['gpu_memory_used_mb']} |"
                )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1, default=str))
    return 1 if any("error" in run for run in report["runs"]) else 0


if __name__ == "__main__":
    sys.exit(main())
