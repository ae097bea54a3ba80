"""Memory against OCR_MEMORY_CEILING_MB (app/serving/memory.py), over real HTTP with fake engines: what a
profile took when it loaded, a profile that does not fit beside what the process holds is refused, engine
batches shrink near the ceiling and the service keeps answering, and the EMF line carries the share."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from app.core.config import load_settings
from app.observability.emf import emf_record
from app.observability.gpu import process_gpu_memory
from app.serving.memory import MemoryGuard
from tests.test_profiles import H, metric, post, serve, wait_for

MB = 1 << 20


@pytest.fixture(scope="module")
def png() -> bytes:
    from tests.render import render_lines, to_bytes

    img, _ = render_lines(["hello"], font_name="dejavu", width=300, height=120, margin=10)
    return to_bytes(img)


def _profiles(tmp_path: Path) -> str:
    models = tmp_path / "models"
    for name, size in (("big_det", 40 * MB), ("small_det", 64 << 10)):
        (models / name).mkdir(parents=True)
        with open(models / name / "inference.onnx", "wb") as f:
            f.truncate(size)  # sparse: the estimate counts the size, the disk holds nothing
    return "profiles:\n  - name: big\n    ocr_det_model: big_det\n  - name: small\n    ocr_det_model: small_det\n"


def _rss_mb() -> float:
    return psutil.Process(os.getpid()).memory_info().rss / MB


def test_a_profile_that_does_not_fit_under_the_ceiling_is_refused_and_loads_are_measured(
    tmp_path: Path, png: bytes
) -> None:
    body = _profiles(tmp_path)
    ceiling = int(_rss_mb() + 120)  # room for the small profile, not for the big one's ~280 MB estimate
    with serve(tmp_path, body, ocr_memory_ceiling_mb=ceiling) as srv:
        listing = httpx.get(srv.url + "/models", headers=H).json()
        memory = listing["memory"]
        assert memory["kind"] == "rss" and memory["ceiling_mb"] == ceiling and 0 < memory["used_percent"] < 100
        rows = {p["name"]: p for p in listing["profiles"]}
        wait_for(lambda: _row(srv, "default")["memory_measured_mb"] is not None)
        default = _row(srv, "default")
        assert default["memory_measured_mb"] >= 0 and default["memory_kind"] == "rss"
        assert rows["big"]["memory_estimate_mb"] > 120 and rows["big"]["memory_measured_mb"] is None

        r = post(srv.url, png, profile="big")
        assert r.status_code == 503, r.text
        err = r.json()["error"]
        assert err["code"] == "profile_over_memory_budget" and "OCR_MEMORY_CEILING_MB" in err["message"]
        assert int(r.headers["retry-after"]) >= 1
        assert post(srv.url, png, profile="small").json()["text"] == "small line"
        small = _row(srv, "small")
        assert small["loaded"] and small["memory_measured_mb"] >= 0 and small["memory_per_worker_mb"] >= 0
        assert metric(srv.url, "ocr_memory_ceiling_bytes") == ceiling * MB
        assert metric(srv.url, "ocr_profile_load_refused_total", profile="big") >= 1


def _row(srv: Any, name: str) -> dict[str, Any]:
    rows = httpx.get(srv.url + "/models", headers=H).json()["profiles"]
    return dict(next(p for p in rows if p["name"] == name))


def test_near_the_ceiling_batches_shrink_and_requests_still_succeed(tmp_path: Path, png: bytes) -> None:
    # a ceiling under what the process holds already: the guard sheds at its first looks
    with serve(tmp_path, "profiles: []\n", ocr_memory_ceiling_mb=int(_rss_mb() * 0.7)) as srv:
        wait_for(lambda: metric(srv.url, "ocr_memory_shed_level") >= 2, timeout=15)
        assert 0 < metric(srv.url, "ocr_batch_limit", pool="rec") < 64
        assert httpx.get(srv.url + "/models", headers=H).json()["memory"]["shed_level"] >= 2
        for _ in range(3):
            r = post(srv.url, png)
            assert r.status_code == 200 and r.json()["text"] == "default line"
        assert httpx.get(srv.url + "/health").status_code == 200


class _Pool:
    def __init__(self, name: str, base: int) -> None:
        self.name, self.base_batch_size, self.max_batch_size = name, base, base


class _Guard(MemoryGuard):
    used = 0

    def count(self) -> tuple[str, int]:  # what the process holds, as the test sets it
        return "rss", self.used


def test_the_guard_halves_batches_above_90_percent_and_restores_them_below_75() -> None:
    guard = _Guard(load_settings(_env_file=None, auth_mode="none", ocr_memory_ceiling_mb=1000))
    pools = [_Pool("det", 1), _Pool("rec", 64)]
    seen = []
    for used_mb in (500, 950, 950, 950, 800, 700, 700, 700, 700):
        guard.used = used_mb * MB
        guard.check(pools)
        seen.append((guard.shed_level, pools[1].max_batch_size, pools[0].max_batch_size))
    assert seen == [
        (0, 64, 1),
        (1, 32, 1),
        (2, 16, 1),
        (3, 8, 1),
        (3, 8, 1),  # between 75 and 90 %: held where it is
        (2, 16, 1),
        (1, 32, 1),
        (0, 64, 1),
        (0, 64, 1),
    ]


def test_without_a_ceiling_nothing_is_refused_or_shed() -> None:
    guard = MemoryGuard(load_settings(_env_file=None, auth_mode="none"))
    assert guard.fits(10**15) and guard.used_fraction() is None
    pools = [_Pool("rec", 64)]
    guard.check(pools)
    assert pools[0].max_batch_size == 64 and guard.shed_level == 0
    assert guard.snapshot()["used_mb"] > 0 and "ceiling_mb" not in guard.snapshot()


def test_on_the_cpu_the_count_is_the_rss() -> None:
    assert process_gpu_memory([0], os.getpid()) is None  # no NVIDIA GPU here: NVML says nothing
    guard = MemoryGuard(load_settings(_env_file=None, auth_mode="none", ocr_device="cpu"))
    assert guard.kind == "rss" and abs(guard.used_bytes() / MB - _rss_mb()) < 50


def test_the_emf_line_carries_the_memory_share_as_its_own_metric() -> None:
    snap = {"waiting": 0, "active": 1, "max_waiting": 8, "concurrency": 2}
    plain = emf_record(snap, timestamp_ms=1)
    assert len(plain["_aws"]["CloudWatchMetrics"]) == 1 and "MemoryCeilingUsed" not in plain
    rec = emf_record({**snap, "memory_used_percent": 91.234}, timestamp_ms=1, namespace="OCRService/x")
    second = rec["_aws"]["CloudWatchMetrics"][1]
    assert second == {
        "Namespace": "OCRService/x",
        "Dimensions": [["Memory"]],
        "Metrics": [{"Name": "MemoryCeilingUsed", "Unit": "Percent"}],
    }
    assert rec["Memory"] == "process" and rec["MemoryCeilingUsed"] == 91.23 and rec["QueueOccupancy"] == 10.0


def test_on_a_gpu_the_count_is_what_nvml_says_this_process_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    """NVML's compute processes of the configured devices, this process's entries only (no GPU here: a stand-in
    for the nvidia-ml-py module with the same calls)."""
    import sys
    import types

    from app.observability import gpu

    me = os.getpid()
    per_device = {
        0: [types.SimpleNamespace(pid=me, usedGpuMemory=700 * MB), types.SimpleNamespace(pid=1, usedGpuMemory=MB)],
        1: [types.SimpleNamespace(pid=me, usedGpuMemory=300 * MB)],
    }
    fake = types.SimpleNamespace(
        nvmlInit=lambda: None,
        nvmlDeviceGetHandleByIndex=lambda i: i,
        nvmlDeviceGetComputeRunningProcesses=lambda h: per_device[h],
    )
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    monkeypatch.setitem(gpu._state, "init", True)
    assert gpu.process_gpu_memory([0, 1], me) == 1000 * MB
    assert gpu.process_gpu_memory([0], 12345) is None  # a process NVML does not list: nothing to say
    guard = MemoryGuard(
        load_settings(_env_file=None, auth_mode="none", ocr_device="gpu:0,gpu:1", ocr_memory_ceiling_mb=1100)
    )
    assert guard.kind == "gpu" and guard.used_bytes() == 1000 * MB
    pools = [_Pool("rec", 64)]
    guard.check(pools)  # 91 % of the ceiling: batches halve
    assert guard.shed_level == 1 and pools[0].max_batch_size == 32
    assert guard.snapshot()["kind"] == "gpu" and guard.snapshot()["used_percent"] == 90.9
