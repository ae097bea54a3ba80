"""The admission queue's occupancy as CloudWatch metrics, through Embedded Metric Format (EMF) log lines.

Every EMF_METRICS_INTERVAL_S seconds (0 = off) one JSON line goes to stdout; on ECS the awslogs driver
sends it to CloudWatch Logs, which turns the members named under ``_aws.CloudWatchMetrics`` into metrics
(no agent, no CloudWatch API call, no credentials in the task). Terraform alarms and scales on them
(infra/terraform/monitoring.tf, autoscaling.tf): the names below are that contract. The namespace is
EMF_NAMESPACE (default NAMESPACE); Terraform gives each deployment its own and passes it to the task.

The emitter only reads a snapshot (a few integers) on the event loop and writes one short line, like an
access log record: it never touches the engines and never waits on anything but its own timer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from app.core.background import cancel_and_wait

log = logging.getLogger(__name__)

NAMESPACE = "OCRService"  # the default of EMF_NAMESPACE (app/core/config.py)
DIMENSIONS = {"Queue": "admission"}
# metric name -> CloudWatch unit
METRICS = {
    "QueueOccupancy": "Percent",  # (in service + waiting) / (MAX_CONCURRENT_REQUESTS + QUEUE_MAX_SIZE); 100 = 429s
    "RequestsActive": "Count",  # requests holding an admission slot
    "RequestsWaiting": "Count",  # requests in the waiting room
}

# with OCR_MEMORY_CEILING_MB: the memory this process holds over that ceiling (app/serving/memory.py)
MEMORY_DIMENSIONS = {"Memory": "process"}
MEMORY_METRIC = "MemoryCeilingUsed"  # Percent; the guard sheds engine batches from 90

Snapshot = Callable[[], Mapping[str, float]]


def emf_record(
    snapshot: Mapping[str, float], timestamp_ms: int | None = None, namespace: str = NAMESPACE
) -> dict[str, Any]:
    """One EMF object from an admission snapshot (``waiting``, ``active``, ``max_waiting``, ``concurrency``),
    with ``memory_used_percent`` (of OCR_MEMORY_CEILING_MB) when the snapshot has it."""
    active, waiting = int(snapshot["active"]), int(snapshot["waiting"])
    capacity = int(snapshot["concurrency"]) + int(snapshot["max_waiting"])
    occupancy = 100.0 * (active + waiting) / capacity if capacity > 0 else 0.0
    directives: list[dict[str, Any]] = [
        {
            "Namespace": namespace,
            "Dimensions": [sorted(DIMENSIONS)],
            "Metrics": [{"Name": name, "Unit": unit} for name, unit in METRICS.items()],
        }
    ]
    record: dict[str, Any] = {
        "_aws": {
            "Timestamp": int(time.time() * 1000) if timestamp_ms is None else timestamp_ms,
            "CloudWatchMetrics": directives,
        },
        **DIMENSIONS,
        "QueueOccupancy": round(occupancy, 2),
        "RequestsActive": active,
        "RequestsWaiting": waiting,
        "Capacity": capacity,  # plain log field (not a metric): what 100 % means for this task
        "logger": __name__,
    }
    if snapshot.get("memory_used_percent") is not None:
        directives.append(
            {
                "Namespace": namespace,
                "Dimensions": [sorted(MEMORY_DIMENSIONS)],
                "Metrics": [{"Name": MEMORY_METRIC, "Unit": "Percent"}],
            }
        )
        record.update(MEMORY_DIMENSIONS)
        record[MEMORY_METRIC] = round(float(snapshot["memory_used_percent"]), 2)
    return record


class EmfEmitter:
    """Writes :func:`emf_record` of ``snapshot()`` at start, every ``interval_s``, and once at stop."""

    def __init__(
        self, snapshot: Snapshot, interval_s: float, stream: TextIO | None = None, namespace: str = NAMESPACE
    ) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be > 0")
        self._snapshot = snapshot
        self.interval_s = interval_s
        self.namespace = namespace
        self._stream = stream
        self._task: asyncio.Task[None] | None = None

    def emit(self) -> None:
        """Write one line now; a failure is logged, never raised (metrics must not break serving)."""
        try:
            line = json.dumps(emf_record(self._snapshot(), namespace=self.namespace), separators=(",", ":"))
            stream = self._stream or sys.stdout  # looked up late: the stdout of the moment (tests capture it)
            stream.write(line + "\n")
            stream.flush()
        except Exception:
            log.exception("EMF metrics line not written")

    async def _run(self) -> None:
        while True:
            self.emit()
            await asyncio.sleep(self.interval_s)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="emf-metrics")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        await cancel_and_wait(task)
        self.emit()  # the state at shutdown (usually drained: 0)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()


def emitter_for(interval_s: float, snapshot: Snapshot, namespace: str = NAMESPACE) -> EmfEmitter | None:
    """The emitter EMF_METRICS_INTERVAL_S and EMF_NAMESPACE ask for, or None when the interval is 0 (off)."""
    return EmfEmitter(snapshot, interval_s, namespace=namespace) if interval_s > 0 else None
