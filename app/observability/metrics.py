"""Prometheus metrics. One registry per process; /metrics renders it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import psutil
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120)

REQUESTS = Counter(
    "ocr_http_requests_total", "HTTP requests by route and status", ["method", "route", "status"], registry=REGISTRY
)
REQUEST_LATENCY = Histogram(
    "ocr_http_request_duration_seconds",
    "HTTP request latency by route",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
IN_FLIGHT = Gauge("ocr_http_requests_in_flight", "HTTP requests being served", registry=REGISTRY)
QUEUE_DEPTH = Gauge("ocr_queue_depth", "Work items waiting in an engine queue", ["queue"], registry=REGISTRY)
QUEUE_REJECTED = Counter(
    "ocr_queue_rejected_total", "Work refused because the queue was full (429)", ["queue"], registry=REGISTRY
)
QUEUE_WAIT = Histogram(
    "ocr_queue_wait_seconds",
    "Time from enqueue to a worker picking the item",
    ["queue"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
DROPPED = Counter(
    "ocr_work_dropped_total",
    "Queued work dropped before compute (client gone or deadline passed)",
    ["queue", "reason"],
    registry=REGISTRY,
)
BATCH_SIZE = Histogram(
    "ocr_batch_size", "Items per engine batch", ["stage"], buckets=(1, 2, 4, 8, 16, 32, 64, 128), registry=REGISTRY
)
STAGE_SECONDS = Histogram(
    "ocr_inference_stage_seconds",
    "Time per pipeline stage (decode, orientation, det, rec, layout, table)",
    ["stage"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
PAGES = Counter("ocr_pages_processed_total", "Pages processed", ["task", "source"], registry=REGISTRY)
SECOND_OPINION = Counter(
    "ocr_second_opinion_total",
    "Text lines a second reader was asked about (consulted) and whose reading it replaced (replaced)",
    ["outcome"],
    registry=REGISTRY,
)
LINES_TURNED = Counter(
    "ocr_lines_turned_total",
    "Text lines read upside down and turned by 180° (the turned reading was surer)",
    registry=REGISTRY,
)
UNREAD_REGIONS = Counter(
    "ocr_unread_regions_total",
    "Detected regions with ink that gave no text or text below min_confidence (reported under pages[].unread)",
    ["reason"],
    registry=REGISTRY,
)
MODELS_LOADED = Gauge("ocr_models_loaded", "1 when engines are loaded and the service is ready", registry=REGISTRY)
# ---- memory against OCR_MEMORY_CEILING_MB (app/serving/memory.py) ----
MEMORY_USED = Gauge(
    "ocr_memory_used_bytes",
    "Memory this process holds, as the ceiling counts it (gpu: NVML; rss)",
    ["kind"],
    registry=REGISTRY,
)
MEMORY_CEILING = Gauge(
    "ocr_memory_ceiling_bytes", "OCR_MEMORY_CEILING_MB in bytes (absent: no ceiling)", registry=REGISTRY
)
MEMORY_SHED_LEVEL = Gauge(
    "ocr_memory_shed_level", "Engine batches are 1/2^level of their size (0: not shedding)", registry=REGISTRY
)
BATCH_LIMIT = Gauge("ocr_batch_limit", "Largest batch an engine pool takes now", ["pool"], registry=REGISTRY)
PROFILE_MEMORY_MEASURED = Gauge(
    "ocr_profile_memory_measured_bytes",
    "Memory the process gained while a profile's engines loaded (gpu or rss, as ocr_memory_used_bytes)",
    ["profile"],
    registry=REGISTRY,
)

# ---- the extraction LLM server (docs/extraction.md "The LLM as a model server") ----
LLM_SERVER_UP = Gauge(
    "ocr_llm_server_up",
    "1 when the extraction LLM server answered its last probe, 0 when it could not be reached",
    ["url"],
    registry=REGISTRY,
)
LLM_FALLBACKS = Counter(
    "ocr_extraction_llm_fallbacks_total",
    "Extraction answers that came from the rules although an LLM is configured, by reason",
    ["reason"],
    registry=REGISTRY,
)

# ---- engine profiles (docs/models.md "Engine profiles") ----
PROFILE_REQUESTS = Counter(
    "ocr_profile_requests_total",
    "Document requests (/ocr, /structure, /extraction) by engine profile, route and status",
    ["profile", "route", "status"],
    registry=REGISTRY,
)
PROFILE_LATENCY = Histogram(
    "ocr_profile_request_duration_seconds",
    "Document request latency by engine profile and route",
    ["profile", "route"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
PROFILE_STAGE_SECONDS = Histogram(
    "ocr_profile_stage_seconds",
    "Engine batch time by profile and task kind (detect, recognize, layout, table, call)",
    ["profile", "kind"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
PROFILE_LOADED = Gauge(
    "ocr_profile_loaded", "1 while an engine profile's engines are loaded", ["profile"], registry=REGISTRY
)
PROFILE_MEMORY = Gauge(
    "ocr_profile_memory_estimate_bytes",
    "Model file bytes a loaded profile's engine sets hold (what OCR_PROFILES_MEMORY_MB counts)",
    ["profile"],
    registry=REGISTRY,
)
PROFILE_REFUSED = Counter(
    "ocr_profile_load_refused_total",
    "Profile loads refused because they did not fit OCR_PROFILES_MEMORY_MB or OCR_MEMORY_CEILING_MB",
    ["profile"],
    registry=REGISTRY,
)
SHADOW_RUNS = Counter(
    "ocr_shadow_runs_total",
    "Shadow reads by profile and outcome (compared, dropped_busy, dropped_limit, refused, failed)",
    ["profile", "outcome"],
    registry=REGISTRY,
)
SHADOW_AGREEMENT = Histogram(
    "ocr_shadow_char_agreement",
    "Character agreement of the shadow profile's page texts with the answer's (1 - edit distance / length)",
    ["profile"],
    buckets=(0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 1.0),
    registry=REGISTRY,
)
SHADOW_LINE_DIFF = Histogram(
    "ocr_shadow_line_count_diff",
    "Absolute difference of the line counts (all pages) of the shadow reading and the answer",
    ["profile"],
    buckets=(0, 1, 2, 5, 10, 20, 50),
    registry=REGISTRY,
)
SHADOW_LATENCY = Histogram(
    "ocr_shadow_latency_seconds",
    "OCR time of the answer (side=primary) and of its shadow reading (side=shadow), by shadow profile",
    ["profile", "side"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)


class _MemoryCollector:
    """Process RSS (also covered by process_resident_memory_bytes, kept for dashboards) and GPU via NVML."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        rss = GaugeMetricFamily("ocr_process_rss_bytes", "Resident set size of this process")
        rss.add_metric([], float(psutil.Process(os.getpid()).memory_info().rss))
        yield rss
        from app.observability import gpu

        stats = gpu.gpu_stats()
        if stats:
            util = GaugeMetricFamily("ocr_gpu_utilization_percent", "GPU utilisation", labels=["gpu", "name"])
            used = GaugeMetricFamily("ocr_gpu_memory_used_bytes", "GPU memory used", labels=["gpu", "name"])
            total = GaugeMetricFamily("ocr_gpu_memory_total_bytes", "GPU memory total", labels=["gpu", "name"])
            for s in stats:
                labels = [str(s["index"]), s["name"]]
                util.add_metric(labels, s["utilization_percent"])
                used.add_metric(labels, s["memory_used_mb"] * 1024 * 1024)
                total.add_metric(labels, s["memory_total_mb"] * 1024 * 1024)
            yield util
            yield used
            yield total


REGISTRY.register(_MemoryCollector())


def render() -> bytes:
    return generate_latest(REGISTRY)
