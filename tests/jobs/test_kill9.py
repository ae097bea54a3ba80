"""The acceptance test of embedded jobs: a 100-page PDF processed as a job by the real service
(`python -m app`, real offline engines) survives a kill -9 of the process mid-way and completes after
a restart, without redoing the pages it had finished, with the right text on every page."""

from __future__ import annotations

import re
import signal
import sqlite3
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageDraw

from tests.conftest import TEST_KEY, LiveServer, free_port
from tests.jobs.conftest import H, wait_job
from tests.render import font, images_to_pdf

pytestmark = [pytest.mark.slow, pytest.mark.integration]

PAGES = 100


def hundred_page_pdf() -> bytes:
    """Small raster pages (no text layer), page n reads `페이지 n 합계 n00원`."""
    f = font("nanum", 26)
    images = []
    for n in range(1, PAGES + 1):
        im = Image.new("RGB", (420, 70), "white")
        ImageDraw.Draw(im).text((12, 18), f"페이지 {n} 합계 {n}00원", fill="black", font=f)
        images.append(im)
    return images_to_pdf(images, dpi=150)


def test_100_page_job_survives_kill_9(tmp_path: Path) -> None:
    env = {
        "AUTH_MODE": "api-key",
        "API_KEY": TEST_KEY,
        "LOG_FORMAT": "json",
        "DATA_DIR": str(tmp_path),
        "JOBS_CHUNK_PAGES": "4",
        "PDF_DPI": "150",
    }
    pdf = hundred_page_pdf()

    first = LiveServer(env, free_port())
    try:
        first.wait_ready(timeout=180)
        r = httpx.post(
            f"{first.url}/jobs",
            headers=H,
            files={"file": ("hundred.pdf", pdf, "application/pdf")},
            data={"lang": "korean"},
            timeout=60,
        )
        assert r.status_code == 202, r.text
        job_id = r.json()["job_id"]
        assert r.json()["progress"]["total"] == PAGES
        wait_job(first.url, job_id, predicate=lambda b: b["progress"]["done"] >= 12, timeout=300)
        first.proc.send_signal(signal.SIGKILL)  # no shutdown hook runs
        first.proc.wait(10)
    finally:
        first.stop()
    con = sqlite3.connect(tmp_path / "jobs" / "jobs.sqlite3")
    status, done, attempts = con.execute(
        "SELECT status, done, attempts FROM ocr_executions WHERE id = ?", (job_id,)
    ).fetchone()
    con.close()
    assert status == "running" and attempts == 1
    assert 12 <= done < PAGES, done

    second = LiveServer(env, free_port())
    try:
        second.wait_ready(timeout=180)
        t0 = time.monotonic()
        body = wait_job(second.url, job_id, timeout=600)
        assert body["status"] == "succeeded", (body, second.log())
        assert body["attempts"] == 2
        assert body["progress"] == {"done": PAGES, "total": PAGES}
        pages = body["result"]["pages"]
        assert [p["page"] for p in pages] == list(range(1, PAGES + 1))
        right = 0
        for p in pages:
            n = p["page"]
            digits = re.sub(r"\s+", "", p["text"])
            right += f"페이지{n}" in digits and f"{n}00원" in digits
        assert right >= PAGES - 2, [p["text"] for p in pages if f"{p['page']}00" not in p["text"]][:5]
        # only the pages left at the kill were processed again
        metrics = httpx.get(f"{second.url}/metrics", headers=H).text
        redone = sum(float(m) for m in re.findall(r'^ocr_job_pages_total\{task="ocr"\} ([0-9.e+]+)$', metrics, re.M))
        assert redone <= PAGES - done + 4, (redone, done)
        print(f"resumed at {done}/{PAGES}; finished {time.monotonic() - t0:.1f}s after the restart")
    finally:
        second.stop()
