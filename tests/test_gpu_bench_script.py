"""scripts/gpu_bench.py must be ready for a lent GPU machine: it runs here on the CPU with the same code,
and a device whose engines cannot load is reported, not a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_the_gpu_benchmark_runs_on_the_cpu_and_writes_its_figures(tmp_path: Path) -> None:
    from scripts import gpu_bench

    out = tmp_path / "gpu-bench.json"
    assert gpu_bench.main(["--device", "cpu", "--batches", "1,2", "--rounds", "1", "--no-cpu", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    (run,) = report["runs"]
    assert run["device"] == "cpu" and [b["batch"] for b in run["batches"]] == [1, 2]
    assert all(b["pages_per_s"] > 0 and b["p50_batch_s"] > 0 for b in run["batches"])
    assert report["versions"]["cpu_runtime"] == "openvino"


def test_a_gpu_the_engines_cannot_use_is_reported(tmp_path: Path) -> None:
    from scripts import gpu_bench

    out = tmp_path / "gpu-bench.json"
    code = gpu_bench.main(["--device", "gpu:0", "--batches", "1", "--rounds", "1", "--no-cpu", "--json", str(out)])
    (run,) = json.loads(out.read_text())["runs"]
    if "error" not in run:
        pytest.skip("this machine has a GPU the engines can use")
    assert code == 1 and "gpu:0" in run["error"]
