"""GPU facts through NVML (nvidia-ml-py). Everything here returns None/[] where no NVIDIA GPU is present."""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger(__name__)
_lock = threading.Lock()
_state: dict[str, Any] = {"init": None}


def _init() -> bool:
    with _lock:
        if _state["init"] is None:
            try:
                import pynvml

                pynvml.nvmlInit()
                _state["init"] = True
            except Exception:  # no driver, no GPU, no library
                _state["init"] = False
        return bool(_state["init"])


def gpu_stats() -> list[dict[str, Any]]:
    if not _init():
        return []
    import pynvml

    out = []
    try:
        for i in range(pynvml.nvmlDeviceGetCount()):
            h = pynvml.nvmlDeviceGetHandleByIndex(i)
            name = pynvml.nvmlDeviceGetName(h)
            mem = pynvml.nvmlDeviceGetMemoryInfo(h)
            util = pynvml.nvmlDeviceGetUtilizationRates(h)
            out.append(
                {
                    "index": i,
                    "name": name.decode() if isinstance(name, bytes) else str(name),
                    "memory_total_mb": round(mem.total / 2**20, 1),
                    "memory_used_mb": round(mem.used / 2**20, 1),
                    "utilization_percent": float(util.gpu),
                }
            )
    except Exception as exc:
        log.warning("nvml query failed: %s", exc)
    return out


def resolve_devices(configured: str) -> list[str]:
    """OCR_DEVICE as the devices engines run on: ``cpu`` -> [cpu]; ``gpu`` / ``gpu:N`` -> one device;
    ``gpu:0,gpu:1`` -> each; ``gpu:all`` -> every GPU NVML sees (gpu:0 when it sees none, so that the
    engines' own error says what is missing)."""
    parts = [p.strip() for p in configured.split(",") if p.strip()]
    if parts == ["gpu:all"]:
        count = len(gpu_stats())
        return [f"gpu:{i}" for i in range(max(1, count))]
    return parts or ["cpu"]


def gpu_summary(device: str) -> dict[str, Any] | None:
    """The /debug/paddle `gpu` block for the configured device (gpu:N; the first of a list), or None on CPU."""
    if not device.startswith("gpu"):
        return None
    device = resolve_devices(device)[0]
    idx = int(device.split(":", 1)[1]) if ":" in device else 0
    for s in gpu_stats():
        if s["index"] == idx:
            return {"name": s["name"], "memory_total_mb": s["memory_total_mb"], "memory_used_mb": s["memory_used_mb"]}
    return None


def process_gpu_memory(indices: list[int], pid: int) -> int | None:
    """Bytes of GPU memory process ``pid`` holds on the devices ``indices`` (NVML's compute processes), or
    None where NVML cannot say (no GPU, no driver, a container that hides the process list)."""
    if not _init():
        return None
    import pynvml

    total = 0
    seen = False
    try:
        for i in indices:
            h = pynvml.nvmlDeviceGetHandleByIndex(i)
            for proc in pynvml.nvmlDeviceGetComputeRunningProcesses(h):
                if proc.pid == pid and proc.usedGpuMemory is not None:
                    total += int(proc.usedGpuMemory)
                    seen = True
    except Exception as exc:
        log.warning("nvml process query failed: %s", exc)
        return None
    return total if seen else None
