"""Memory follows the work in flight, not the document: a tiny PDF of many large pages (3 KB, eight pages
of 20 megapixels) sent to a real uvicorn is decoded page by page against MAX_PIXELS_IN_FLIGHT, on /ocr and
on /ocr/batch (whose files share one budget). Measured as the peak RSS of the serving process (/proc), next
to the same requests with the budget lifted, which is how every page used to be decoded before OCR."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from app.main import create_app
from tests.conftest import TEST_KEY, ThreadServer, make_settings
from tests.documents.pdfgen import hand_pdf
from tests.fakes import SlowFakeEngines

REPO = Path(__file__).resolve().parents[1]
MB = 2**20
PAGE_MB = 4000 * 5000 * 3 / MB  # one page decoded: 1440 x 1800 pt at 200 dpi, RGB
BATCH = int(os.environ.get("PAGE_MEMORY_BATCH", "2"))  # documents in one /ocr/batch (three in the docs' figures)
PAGES = int(
    os.environ.get("PAGE_MEMORY_PAGES", "8")
)  # twelve in the figures of docs/security.md (PAGE_MEMORY_PAGES=12); eight keep the suite short


def _status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    raise AssertionError(field)


def peak_growth(request: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    """The request's answer, and how far above the RSS before it the process peaked while it ran (MB)."""
    before = _status("VmRSS:")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets the peak (VmHWM) to the current RSS
    response = request()
    return response, (_status("VmHWM:") - before) / MB


@contextmanager
def serving(**overrides: object) -> Iterator[ThreadServer]:
    settings = make_settings(request_timeout_s=300, max_upload_mb=5, **overrides)
    # detection slower than decoding, as on a real engine: pages pile up unless something holds them back
    with ThreadServer(create_app(settings, engine_factory=lambda: SlowFakeEngines(det_s=0.4))) as srv:
        deadline = time.monotonic() + 30
        while httpx.get(srv.url + "/health").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        warm = hand_pdf([[]], page_size=(1440.0, 1800.0))  # renderers started, first allocations made
        _post(srv, "/ocr", [("file", warm)])
        yield srv


def _post(srv: ThreadServer, path: str, files: list[tuple[str, bytes]]) -> httpx.Response:
    return httpx.post(
        srv.url + path,
        files=[(field, (f"{i}.pdf", data, "application/pdf")) for i, (field, data) in enumerate(files)],
        headers={"x-api-key": TEST_KEY},
        timeout=300,
    )


def long_pdf() -> bytes:
    data = hand_pdf([[]] * PAGES, page_size=(1440.0, 1800.0))
    assert len(data) < 4096
    return data


def measure() -> dict[str, object]:
    """The three peaks, in this process: run in a fresh interpreter by the test (``python -m
    tests.test_page_memory``), so that what the rest of a test session holds or frees cannot move them."""
    doc = long_pdf()
    with serving() as srv:  # MAX_PIXELS_IN_FLIGHT: 40 megapixels, two of these pages
        budgeted, held = peak_growth(lambda: _post(srv, "/ocr", [("file", doc)]))
        batch, held_batch = peak_growth(lambda: _post(srv, "/ocr/batch", [("files", doc)] * BATCH))
    with serving(max_pixels_in_flight=10**10) as srv:
        unbudgeted, held_all = peak_growth(lambda: _post(srv, "/ocr", [("file", doc)]))
    return {
        "held": held,
        "held_batch": held_batch,
        "held_all": held_all,
        "budgeted": [budgeted.status_code, budgeted.json().get("pages")],
        "unbudgeted_pages": unbudgeted.json().get("pages"),
        "batch": [batch.status_code, batch.json().get("results")],
    }


@pytest.mark.slow
def test_a_long_pdf_of_large_pages_is_held_a_few_pages_at_a_time() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "tests.test_page_memory"], capture_output=True, text=True, timeout=600, cwd=REPO
    )
    assert run.returncode == 0, run.stderr[-3000:]
    m = json.loads(run.stdout.strip().splitlines()[-1])
    status, pages = m["budgeted"]
    assert status == 200 and len(pages) == PAGES
    assert m["unbudgeted_pages"] == pages
    batch_status, results = m["batch"]
    assert batch_status == 200
    assert [r["status"] for r in results] == [200] * BATCH
    assert all(len(r["result"]["pages"]) == PAGES for r in results)
    held, held_batch, held_all = m["held"], m["held_batch"], m["held_all"]
    print(
        f"peak growth: /ocr {held:.0f} MB, /ocr/batch x{BATCH} {held_batch:.0f} MB, without a budget {held_all:.0f} MB"
    )
    whole_document = PAGES * PAGE_MB  # 458 MB (eight pages)
    assert held < 0.5 * whole_document, held
    assert held_batch < 0.5 * whole_document, held_batch  # several documents, one budget
    assert held < 0.6 * held_all, (held, held_all)


if __name__ == "__main__":
    print(json.dumps(measure()))
