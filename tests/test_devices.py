"""Several devices (OCR_DEVICE=gpu:0,gpu:1 or gpu:all): one set of engine workers per device, work to the
least loaded one, per-device queues in /metrics; one device keeps the single-device layout."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import numpy as np
import pytest

from app.core.config import SettingsError, load_settings
from app.observability.gpu import resolve_devices
from app.serving import service as service_module
from app.serving.service import Service
from app.serving.tasks import DetectJob
from tests.conftest import make_settings
from tests.fakes import SlowFakeEngines


def test_the_device_setting_takes_one_device_a_list_or_all() -> None:
    for value, stored in (("cpu", "cpu"), ("gpu", "gpu"), ("gpu:1", "gpu:1"), (" gpu:0, gpu:1 ", "gpu:0,gpu:1")):
        assert load_settings(auth_mode="none", ocr_device=value).ocr_device == stored
    assert load_settings(auth_mode="none", ocr_device="gpu:all").ocr_device == "gpu:all"
    for bad in ("tpu", "gpu:0,gpu:0", "cpu,gpu:0", "gpu,gpu:1", "gpu:x", ""):
        with pytest.raises(SettingsError, match="OCR_DEVICE"):
            load_settings(auth_mode="none", ocr_device=bad)
    assert resolve_devices("cpu") == ["cpu"]
    assert resolve_devices("gpu:0,gpu:2") == ["gpu:0", "gpu:2"]
    assert resolve_devices("gpu:all") == ["gpu:0"]  # no GPU visible here: the engines' own error will say so


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[SlowFakeEngines]]:
    """Engine sets built per device (the device the factory was given), slow detection."""
    made: dict[str, list[SlowFakeEngines]] = {}
    lock = threading.Lock()

    def factory(settings: Any, part: str) -> Any:
        def build() -> SlowFakeEngines:
            eng = SlowFakeEngines(det_s=0.2)
            with lock:
                made.setdefault(f"{part}@{settings.ocr_device}", []).append(eng)
            return eng

        return build

    monkeypatch.setattr(service_module, "default_engine_factory", factory)
    return made


def test_two_devices_get_their_own_workers_and_share_the_work(built: dict[str, list[SlowFakeEngines]]) -> None:
    settings = make_settings(ocr_device="gpu:0,gpu:1", det_batch_size=1)

    async def run() -> tuple[Service, list[Any]]:
        service = Service(settings)
        await service.start()
        image = np.full((64, 64, 3), 255, dtype=np.uint8)
        results = await asyncio.gather(
            *(service.submit("detect", DetectJob(image, False)) for _ in range(8)), return_exceptions=True
        )
        return service, results

    service, results = asyncio.run(run())
    try:
        assert not [r for r in results if isinstance(r, BaseException)]
        assert service.devices == ["gpu:0", "gpu:1"]
        assert set(service.pools) == {"det@gpu:0", "rec@gpu:0", "det@gpu:1", "rec@gpu:1"}
        # each device's engines were built for that device (on a GPU host: build_engines with OCR_DEVICE=gpu:N)
        assert {"det@gpu:0", "det@gpu:1", "rec@gpu:0", "rec@gpu:1"} <= set(built)
        per_device = {d: sum(len(e.det_batches) for e in built[f"det@{d}"]) for d in service.devices}
        assert sum(per_device.values()) == 8 and min(per_device.values()) >= 3, per_device  # least loaded first
        info = service.runtime_info()
        assert info["devices"] == ["gpu:0", "gpu:1"] and set(info["workers"]) == set(service.pools)
        assert set(service.queue_depths()) == set(service.pools)  # per-device queues (ocr_queue_depth{queue=…})
    finally:
        asyncio.run(service.stop())


def test_one_device_keeps_the_single_pool_names(built: dict[str, list[SlowFakeEngines]]) -> None:
    service = Service(make_settings())
    assert service.devices == ["cpu"] and set(service.pools) == {"det", "rec"}
