"""ONNX Runtime against OpenVINO (float32 and bfloat16) on the shipped ONNX models, on this CPU.

    python scripts/runtime_bench.py          # ms per call, one thread, per model and runtime
    python scripts/runtime_bench.py --rss    # ... and the service's RSS after 200 requests, per runtime

Inputs are fixed-seed arrays of the shapes the service feeds (recognition crops 48 px high, 320 to
1200 px wide; detection 1280 x 960): the time of a call does not depend on the pixel values. Run it
alone: two cores shared with anything else give other numbers. Numbers in docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

MODELS = {
    "korean_PP-OCRv6_small_rec": [(1, 3, 48, w) for w in (320, 320, 320, 400, 480, 640, 800, 960, 1200, 320)],
    "PP-OCRv6_small_rec": [(1, 3, 48, w) for w in (320, 320, 320, 400, 480, 640, 800, 960, 1200, 320)],
    "PP-OCRv6_small_det": [(1, 3, 1280, 960), (1, 3, 640, 960)],
}


def per_call_ms(models_dir: Path) -> list[str]:
    import onnxruntime as ort
    import openvino as ov

    core = ov.Core()
    rows = ["| model, one thread | ONNX Runtime ms | OpenVINO f32 ms | OpenVINO bf16 ms |", "|---|---|---|---|"]
    for name, shapes in MODELS.items():
        path = str(models_dir / name / "inference.onnx")
        rng = np.random.default_rng(0)
        xs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        so = ort.SessionOptions()
        so.intra_op_num_threads = so.inter_op_num_threads = 1
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        feed = sess.get_inputs()[0].name
        runs: dict[str, Any] = {"ort": lambda x, sess=sess, feed=feed: sess.run(None, {feed: x})}
        for precision in ("f32", "bf16"):
            config = {"INFERENCE_NUM_THREADS": 1, "NUM_STREAMS": 1, "PERFORMANCE_HINT": "LATENCY",
                      "ENABLE_CPU_PINNING": False, "INFERENCE_PRECISION_HINT": precision}  # fmt: skip
            req = core.compile_model(path, "CPU", config).create_infer_request()
            runs[precision] = lambda x, req=req: req.infer({0: x})
        times = {}
        for key, run in runs.items():
            for x in xs:  # warm-up: first calls of a shape compile kernels
                run(x)
            repeats = 3 if len(xs) > 2 else 2
            t = time.perf_counter()
            for _ in range(repeats):
                for x in xs:
                    run(x)
            times[key] = (time.perf_counter() - t) * 1000 / (repeats * len(xs))
        rows.append(f"| {name} | {times['ort']:.1f} | {times['f32']:.1f} | {times['bf16']:.1f} |")
    return rows


def rss_per_runtime() -> list[str]:
    from scripts import bench

    rows = ["| OCR_CPU_RUNTIME | RSS after warm-up MB | after 200 requests MB |", "|---|---|---|"]
    for runtime in ("onnxruntime", "openvino"):
        os.environ["OCR_CPU_RUNTIME"] = runtime
        with bench.served("service") as (url, headers, proc):
            r = asyncio.run(bench.soak(url, 200, proc.pid, headers))
        rows.append(f"| {runtime} | {r['rss_warm_mb']:.0f} | {r['rss_end_mb']:.0f} |")
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rss", action="store_true", help="also the service's memory per runtime")
    args = ap.parse_args()
    from app.core.config import load_settings
    from scripts.bench import machine

    print(f"machine: {machine()}")
    print("\n".join(per_call_ms(Path(load_settings(auth_mode="none").models_dir))))
    if args.rss:
        print()
        print("\n".join(rss_per_runtime()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
