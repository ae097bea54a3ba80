"""Job metrics, in the service's one Prometheus registry."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from app.observability.metrics import REGISTRY

JOBS_SUBMITTED = Counter("ocr_jobs_submitted_total", "Jobs accepted", ["task"], registry=REGISTRY)
JOBS_FINISHED = Counter("ocr_jobs_finished_total", "Jobs that ended, by outcome", ["task", "status"], registry=REGISTRY)
JOBS_RUNNING = Gauge("ocr_jobs_running", "Jobs being processed by this process", registry=REGISTRY)
JOBS_RECOVERED = Counter(
    "ocr_jobs_recovered_total",
    "Interrupted jobs taken over again (queued) or given up (failed)",
    ["outcome"],
    registry=REGISTRY,
)
JOB_PAGES = Counter("ocr_job_pages_total", "Job pages processed", ["task"], registry=REGISTRY)
JOB_SECONDS = Histogram(
    "ocr_job_duration_seconds",
    "Wall time of one job run",
    ["task"],
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600, 7200),
    registry=REGISTRY,
)
WEBHOOKS = Counter("ocr_job_webhooks_total", "Completion webhooks by outcome", ["outcome"], registry=REGISTRY)
