"""The distributed topology end to end, each part a real server: the API (celery mode, split mode) on
uvicorn, a model server, `celery -A app.features.jobs.celery_app worker` as its own process (the command
operators run), Redis, PostgreSQL and S3 (moto). The worker is killed with SIGKILL in the middle of a
job; a new worker takes the job over once its lease runs out and finishes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.main import create_app
from app.model_server.app import create_model_server_app
from tests.conftest import REPO, ThreadServer, make_settings
from tests.fakes import SlowFakeEngines
from tests.jobs.conftest import H, small_pdf, submit, wait_job
from tests.jobs.servers import moto_s3, postgres_server, redis_server

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Call to deprecated setex")]


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "app.features.jobs.celery_app",
            "worker",
            "--loglevel",
            "INFO",
            "--pool",
            "threads",
            "--concurrency",
            "1",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=REPO,
        env=env,
        stdout=open(log, "ab"),
        stderr=subprocess.STDOUT,
    )


def test_killed_worker_job_completes_on_a_new_worker(tmp_path: Path) -> None:
    from celery import Celery

    engines = SlowFakeEngines(det_s=0.1)
    with redis_server() as redis, postgres_server() as pg, moto_s3() as s3:
        ms = ThreadServer(
            create_model_server_app(
                make_settings(auth_mode="none", model_server_open=True), engine_factory=lambda: engines
            )
        )
        with ms:
            common = {
                "JOBS_BACKEND": "celery",
                "REDIS_URL": redis.url,
                "DATABASE_URL": pg.url,
                "JOBS_BUCKET": s3.bucket,
                "S3_ENDPOINT_URL": s3.endpoint,
                "OCR_MODEL_SERVER_URL": ms.url,
                "JOBS_LEASE_S": "2",
                "JOBS_CHUNK_PAGES": "1",
                "LOG_FORMAT": "json",
            }
            settings = make_settings(**{k.lower(): v for k, v in common.items()}, data_dir=tmp_path)
            api = ThreadServer(create_app(settings))
            env = {**os.environ, **common, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
            env.pop("API_KEY", None)  # the workers need no API credentials
            log = tmp_path / "worker.log"
            first = _worker(env, log)
            second = None
            try:
                with api:
                    job_id = submit(api.url, small_pdf(16), lang="en").json()["job_id"]
                    body = wait_job(api.url, job_id, predicate=lambda b: b["progress"]["done"] >= 3, timeout=90)
                    assert body["status"] == "running"
                    first.send_signal(signal.SIGKILL)
                    first.wait(10)
                    done_at_kill = httpx.get(f"{api.url}/jobs/{job_id}", headers=H).json()["progress"]["done"]
                    assert done_at_kill < 16

                    second = _worker(env, log)
                    time.sleep(2.5)  # the dead worker's lease runs out
                    producer = Celery(broker=redis.url, backend=redis.url)
                    producer.send_task("ocr.recover_stale", queue="ocr").get(timeout=60)
                    body = wait_job(api.url, job_id, timeout=90)
                    assert body["status"] == "succeeded", (body, log.read_text()[-3000:])
                    assert body["attempts"] == 2
                    assert body["progress"] == {"done": 16, "total": 16}
                    assert [p["page"] for p in body["result"]["pages"]] == list(range(1, 17))
                    # the pages done before the kill were not done again
                    assert sum(engines.det_batches) <= 16 + 1
            finally:
                for proc in (first, second):
                    if proc is not None and proc.poll() is None:
                        proc.terminate()
                        try:
                            proc.wait(20)
                        except subprocess.TimeoutExpired:
                            proc.kill()
