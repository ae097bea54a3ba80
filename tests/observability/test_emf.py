"""EMF queue-occupancy lines (app/observability/emf.py): valid Embedded Metric Format, the real occupancy of
a running service (real admission, real uvicorn, a slow fake engine), off by default, and the names that
Terraform's alarms and scaling policy read (infra/terraform/monitoring.tf, autoscaling.tf)."""

from __future__ import annotations

import asyncio
import io
import json
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core.config import SettingsError
from app.main import create_app
from app.observability import emf
from app.serving.worker import Admission
from tests.conftest import TEST_KEY, ThreadServer, make_settings
from tests.fakes import SlowFakeEngines
from tests.render import render_lines, to_bytes

TF = Path(__file__).resolve().parents[2] / "infra" / "terraform"
H = {"x-api-key": TEST_KEY}


def assert_valid_emf(obj: Mapping[str, Any]) -> None:
    """The EMF specification's rules for one log event (CloudWatch drops the metrics of an event that breaks them)."""
    meta = obj["_aws"]
    assert isinstance(meta["Timestamp"], int) and abs(meta["Timestamp"] / 1000 - time.time()) < 3600
    directives = meta["CloudWatchMetrics"]
    assert isinstance(directives, list) and directives
    for d in directives:
        ns = d["Namespace"]
        assert isinstance(ns, str) and 1 <= len(ns) <= 1024 and not ns.startswith("AWS/")
        assert isinstance(d["Dimensions"], list) and d["Dimensions"]
        for dim_set in d["Dimensions"]:
            assert isinstance(dim_set, list) and len(dim_set) <= 30
            for key in dim_set:
                assert isinstance(obj[key], str) and obj[key], f"dimension {key} must be a top-level string"
        assert isinstance(d["Metrics"], list) and 1 <= len(d["Metrics"]) <= 100
        for m in d["Metrics"]:
            assert isinstance(m["Name"], str) and m["Name"]
            value = obj[m["Name"]]
            assert isinstance(value, int | float) and not isinstance(value, bool), f"{m['Name']} must be a number"
            assert m.get("Unit", "None") in {"Percent", "Count", "None", "Seconds", "Milliseconds"}


def emf_lines(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        if '"_aws"' in line:
            obj = json.loads(line)  # every EMF line is one JSON object on its own line
            assert_valid_emf(obj)
            out.append(obj)
    return out


def test_record_carries_the_snapshot_as_valid_emf() -> None:
    rec = emf.emf_record({"active": 3, "waiting": 5, "concurrency": 4, "max_waiting": 12})
    assert_valid_emf(rec)
    assert rec["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "OCRService"
    assert rec["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Queue"]]
    assert rec["Queue"] == "admission"
    assert (rec["RequestsActive"], rec["RequestsWaiting"], rec["QueueOccupancy"]) == (3, 5, 50.0)
    # a line that is not JSON, or names a metric it does not carry, is refused by the checker
    broken = {**rec}
    del broken["RequestsWaiting"]
    with pytest.raises(KeyError):
        assert_valid_emf(broken)


def test_emitter_lines_follow_a_live_admission_and_survive_a_failing_snapshot() -> None:
    async def scenario() -> tuple[str, str]:
        admission = Admission(concurrency=1, max_waiting=1)
        out, bad = io.StringIO(), io.StringIO()
        emitter = emf.EmfEmitter(admission.snapshot, 0.01, stream=out)
        emitter.start()
        release = asyncio.Event()

        async def hold() -> None:
            async with admission.slot():
                await release.wait()

        tasks = [asyncio.create_task(hold()) for _ in range(2)]
        await asyncio.sleep(0.1)
        release.set()
        await asyncio.gather(*tasks)
        await emitter.stop()
        assert not emitter.running

        def broken() -> Mapping[str, int]:
            raise RuntimeError("snapshot failed")

        failing = emf.EmfEmitter(broken, 0.01, stream=bad)
        failing.start()
        await asyncio.sleep(0.05)
        assert failing.running  # a failing line is logged, the loop goes on
        await failing.stop()
        return out.getvalue(), bad.getvalue()

    text, bad = asyncio.run(scenario())
    lines = emf_lines(text)
    assert any(x["RequestsActive"] == 1 and x["RequestsWaiting"] == 1 and x["QueueOccupancy"] == 100.0 for x in lines)
    assert (lines[-1]["RequestsActive"], lines[-1]["RequestsWaiting"]) == (0, 0)  # written at stop
    assert bad == ""
    with pytest.raises(ValueError):
        emf.EmfEmitter(lambda: {}, 0)


def test_the_namespace_is_the_emf_namespace_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """EMF_NAMESPACE (Terraform gives every deployment its own) is the namespace of the lines the emitter writes;
    unset, it is OCRService. A name CloudWatch would refuse fails at start-up."""
    snap = {"active": 1, "waiting": 0, "concurrency": 4, "max_waiting": 12}
    assert make_settings().emf_namespace == emf.NAMESPACE == "OCRService"
    monkeypatch.setenv("EMF_NAMESPACE", "OCRService/ocr-staging")
    settings = make_settings()
    assert settings.emf_namespace == "OCRService/ocr-staging"
    emitter = emf.emitter_for(1.0, lambda: snap, settings.emf_namespace)
    assert emitter is not None
    out = io.StringIO()
    emitter._stream = out  # the emitter's own stream (stdout otherwise)
    emitter.emit()
    [line] = emf_lines(out.getvalue())
    assert line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "OCRService/ocr-staging"
    assert emf.emf_record(snap)["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "OCRService"
    for bad in ("", "OCR Service", "ocr$", "x" * 256):
        monkeypatch.setenv("EMF_NAMESPACE", bad)
        with pytest.raises(SettingsError, match="EMF_NAMESPACE"):
            make_settings()


@pytest.fixture(scope="module")
def png() -> bytes:
    img, _ = render_lines(["hello"], font_name="dejavu", width=300, height=120, margin=10)
    return to_bytes(img)


async def _post_many(url: str, png: bytes, n: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=url, headers=H, timeout=30) as c:
        return list(
            await asyncio.gather(*(c.post("/ocr", files={"file": ("a.png", png, "image/png")}) for _ in range(n)))
        )


@pytest.mark.integration
def test_running_service_publishes_its_occupancy_and_logs_429s_for_the_metric_filter(
    png: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    engines = SlowFakeEngines(det_s=0.6)
    settings = make_settings(
        max_concurrent_requests=1,
        queue_max_size=2,
        max_batch_size=1,
        emf_metrics_interval_s=0.05,
        emf_namespace="OCRService/it-stack",
    )
    with ThreadServer(create_app(settings, engine_factory=lambda: engines)) as srv:
        codes = sorted(r.status_code for r in asyncio.run(_post_many(srv.url, png, 4)))
    out = capsys.readouterr().out
    assert codes == [200, 200, 200, 429], codes
    lines = emf_lines(out)
    assert len(lines) >= 10, out[-2000:]
    # 1 in service + 2 waiting of 1 + 2: full, the moment the 4th request was refused
    assert any(x["RequestsActive"] == 1 and x["RequestsWaiting"] == 2 and x["QueueOccupancy"] == 100.0 for x in lines)
    assert all(x["Capacity"] == 3 for x in lines)
    assert {x["_aws"]["CloudWatchMetrics"][0]["Namespace"] for x in lines} == {"OCRService/it-stack"}  # EMF_NAMESPACE
    assert (lines[-1]["RequestsActive"], lines[-1]["RequestsWaiting"]) == (0, 0)  # drained at shutdown
    assert sum(engines.det_batches) == 3  # only the admitted requests reached the engine: the emitter ran none

    # the access line the Terraform metric filter counts: logger app.access, status a JSON number
    access = [json.loads(x) for x in out.splitlines() if '"app.access"' in x]
    shed = [a for a in access if a.get("status") == 429]
    assert len(shed) == 1 and shed[0]["logger"] == "app.access" and shed[0]["route"] == "/ocr"
    assert isinstance(shed[0]["latency_ms"], int | float)


@pytest.mark.integration
def test_off_by_default(png: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    assert make_settings().emf_metrics_interval_s == 0
    assert emf.emitter_for(0, lambda: {}) is None
    with ThreadServer(create_app(make_settings(), engine_factory=SlowFakeEngines)) as srv:
        assert httpx.get(srv.url + "/health", timeout=10).status_code in (200, 503)
        time.sleep(0.2)
    assert emf_lines(capsys.readouterr().out) == []


def test_terraform_reads_the_names_the_app_writes() -> None:
    """monitoring.tf and autoscaling.tf must name the namespace, metric and dimension of emf.py, and the metric
    filter must select the access log's fields as the middleware writes them."""
    tf = (TF / "monitoring.tf").read_text() + (TF / "autoscaling.tf").read_text()
    # the namespace is one per deployment (var.app_metrics_namespace, default "OCRService/<project_name>"), and
    # the task gets it as EMF_NAMESPACE (infra/terraform/tests/monitoring.tftest.hcl checks the rendered plan)
    assert re.search(rf'app_metrics_namespace\s*=\s*coalesce\(var\.app_metrics_namespace, "{emf.NAMESPACE}/', tf)
    for name in emf.METRICS:
        assert f'"{name}"' in tf, name
    [(key, value)] = emf.DIMENSIONS.items()
    assert re.search(rf'{key}\s*=\s*"{value}"', tf)
    assert '{ ($.logger = \\"app.access\\") && ($.status = 429) }' in tf
    ecs = (TF / "ecs.tf").read_text()
    assert re.search(r"EMF_METRICS_INTERVAL_S\s*=", ecs)
    assert re.search(r"EMF_NAMESPACE\s*=\s*local\.app_metrics_namespace", ecs)
