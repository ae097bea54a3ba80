"""Jobs survive their process: graceful restarts resume without counting an attempt, crashed runs are
retried once (then failed), and finished pages are never redone."""

from __future__ import annotations

import json
import socket
import sqlite3
from pathlib import Path

import httpx

from tests.fakes import SlowFakeEngines
from tests.jobs.conftest import H, serve, small_pdf, submit, wait_job


def _db(tmp: Path) -> sqlite3.Connection:
    con = sqlite3.connect(tmp / "jobs" / "jobs.sqlite3", isolation_level=None)
    con.row_factory = sqlite3.Row
    return con


def test_graceful_restart_resumes_from_the_last_page(tmp_path: Path) -> None:
    engines = SlowFakeEngines(det_s=0.1)
    with serve(engines, tmp_path, jobs_chunk_pages=1) as srv:
        job_id = submit(srv.url, small_pdf(12)).json()["job_id"]
        wait_job(srv.url, job_id, predicate=lambda b: b["progress"]["done"] >= 3)
    row = _db(tmp_path).execute("SELECT status, attempts, done FROM ocr_executions WHERE id = ?", (job_id,)).fetchone()
    assert row["status"] == "queued" and row["attempts"] == 0  # shutdown does not count as an attempt
    done_before = row["done"]
    assert 3 <= done_before < 12

    engines2 = SlowFakeEngines()
    with serve(engines2, tmp_path) as srv:
        body = wait_job(srv.url, job_id)
        assert body["status"] == "succeeded" and body["attempts"] == 1
        assert body["progress"] == {"done": 12, "total": 12}
        assert [p["page"] for p in body["result"]["pages"]] == list(range(1, 13))
        # the second process only did the pages the first had not finished
        assert sum(engines2.det_batches) == 12 - done_before


def _crash(tmp: Path, job_id: str, attempts: int) -> None:
    """What a kill -9 leaves behind: status running, held by a process that no longer exists."""
    dead = f"{socket.gethostname()}:{2**22 + 12345}:deadbeef"
    _db(tmp).execute(
        "UPDATE ocr_executions SET status = 'running', worker = ?, lease_until = '9999-01-01 00:00:00.000000', "
        "attempts = ? WHERE id = ?",
        (dead, attempts, job_id),
    )


def test_crashed_job_is_retried_once_then_failed(tmp_path: Path) -> None:
    with serve(SlowFakeEngines(det_s=2), tmp_path, jobs_concurrency=1) as srv:
        blocker = submit(srv.url, small_pdf(1)).json()["job_id"]  # keeps the runner busy
        a = submit(srv.url, small_pdf(2)).json()["job_id"]
        b = submit(srv.url, small_pdf(2)).json()["job_id"]
        httpx.post(f"{srv.url}/jobs/{blocker}/cancel", headers=H)
    _crash(tmp_path, a, attempts=1)
    _crash(tmp_path, b, attempts=2)
    with serve(SlowFakeEngines(), tmp_path) as srv:
        body_a = wait_job(srv.url, a)
        assert body_a["status"] == "succeeded" and body_a["attempts"] == 2
        body_b = wait_job(srv.url, b)
        assert body_b["status"] == "failed"
        assert body_b["error"]["code"] == "job_interrupted"
        assert body_b["expires_at"]


def test_lease_expiry_hands_a_hung_job_to_another_runner(tmp_path: Path) -> None:
    with serve(SlowFakeEngines(det_s=2), tmp_path) as srv:
        blocker = submit(srv.url, small_pdf(1)).json()["job_id"]
        a = submit(srv.url, small_pdf(1)).json()["job_id"]
        httpx.post(f"{srv.url}/jobs/{blocker}/cancel", headers=H)
    # held by a live runner on another machine whose lease ran out
    _db(tmp_path).execute(
        "UPDATE ocr_executions SET status = 'running', worker = 'elsewhere:1:x', "
        "lease_until = '1970-01-01 00:00:01.000000', attempts = 1 WHERE id = ?",
        (a,),
    )
    with serve(SlowFakeEngines(), tmp_path, jobs_lease_s=2.0) as srv:
        assert wait_job(srv.url, a)["status"] == "succeeded"


def test_page_results_are_durable_files(tmp_path: Path) -> None:
    with serve(SlowFakeEngines(), tmp_path) as srv:
        job_id = submit(srv.url, small_pdf(3)).json()["job_id"]
        wait_job(srv.url, job_id)
    pages = sorted((tmp_path / "jobs" / job_id / "pages").glob("*.json"))
    assert [p.name for p in pages] == ["0-00001.json", "0-00002.json", "0-00003.json"]
    assert json.loads(pages[0].read_text())["page"] == 1
    mode = _db(tmp_path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
