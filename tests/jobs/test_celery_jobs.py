"""JOBS_BACKEND=celery against real servers: Redis (broker and result backend) and PostgreSQL started
from the Debian binaries, S3 through moto's server, a real Celery worker (in this process, so that it
can be given the fake engine), and the API over real HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.main import create_app
from tests.conftest import ThreadServer, make_settings
from tests.fakes import SlowFakeEngines
from tests.jobs.conftest import H2, OTHER_KEY, TEST_KEY, H, small_pdf, submit, wait_job
from tests.jobs.servers import moto_s3, postgres_server, redis_server

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Call to deprecated setex")]


class Env:
    def __init__(self, settings: Any, engines: SlowFakeEngines, api: ThreadServer, s3: Any, pg: Any) -> None:
        self.settings = settings
        self.engines = engines
        self.api = api
        self.s3 = s3
        self.pg = pg

    @property
    def url(self) -> str:
        return self.api.url

    def sql(self, query: str, *args: Any) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.pg.dsn, autocommit=True) as con:
            cur = con.execute(query, args)
            return list(cur.fetchall()) if cur.description else []

    def s3_keys(self, job_id: str) -> list[str]:
        import boto3

        c = boto3.client("s3", endpoint_url=self.s3.endpoint, region_name="ap-northeast-2")
        out = c.list_objects_v2(Bucket=self.s3.bucket, Prefix=f"jobs/{job_id}/")
        return sorted(o["Key"] for o in out.get("Contents", []))


@pytest.fixture(scope="module")
def celery_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    from celery.contrib.testing.worker import start_worker

    from app.features.jobs import celery_app as capp

    tmp: Path = tmp_path_factory.mktemp("celery")
    with redis_server() as redis, postgres_server() as pg, moto_s3() as s3:
        settings = make_settings(
            api_key=f"{TEST_KEY},{OTHER_KEY}",
            data_dir=tmp,
            jobs_backend="celery",
            redis_url=redis.url,
            database_url=pg.url,
            jobs_bucket=s3.bucket,
            s3_endpoint_url=s3.endpoint,
            jobs_lease_s=2.0,
            jobs_concurrency=2,
            jobs_chunk_pages=1,
            job_webhook_secret="celery-whsec",
            job_webhook_allow_private=True,
        )
        engines = SlowFakeEngines(det_s=0.02)
        capp.configure(settings, lambda: engines)
        api = ThreadServer(create_app(settings, engine_factory=lambda: SlowFakeEngines()))
        try:
            with start_worker(capp.app, pool="threads", concurrency=2, perform_ping_check=False, shutdown_timeout=30):
                with api:
                    capp.runtime()  # engines loaded before the first job
                    yield Env(settings, engines, api, s3, pg)
        finally:
            capp.shutdown_runtime()


def test_task_names_are_registered() -> None:
    from app.features.jobs import celery_app as capp

    for name in (
        "ocr.extract_text",
        "ocr.extract_structure",
        "ocr.extract_fields",
        "ocr.send_webhook",
        "ocr.recover_stale",
        "ocr.cleanup_expired",
    ):
        assert name in capp.app.tasks


def test_job_runs_on_a_celery_worker(celery_env: Env) -> None:
    pdf = small_pdf(4)
    r = submit(celery_env.url, pdf, name="four.pdf", lang="en")
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    body = wait_job(celery_env.url, job_id, timeout=60)
    assert body["status"] == "succeeded", body
    assert body["progress"] == {"done": 4, "total": 4}
    assert [p["page"] for p in body["result"]["pages"]] == [1, 2, 3, 4]
    sync = httpx.post(
        f"{celery_env.url}/ocr", headers=H, files={"file": ("d.pdf", pdf, "application/pdf")}, data={"lang": "en"}
    ).json()
    assert body["result"]["text"] == sync["text"]

    # state in PostgreSQL: the execution and its document
    rows = celery_env.sql(
        "SELECT owner, task, status, total, done, attempts, result_key FROM ocr_executions WHERE id = %s", job_id
    )
    from app.auth.api_key import api_key_id

    assert rows == [(api_key_id(TEST_KEY), "ocr", "succeeded", 4, 4, 1, f"jobs/{job_id}/result.json")]
    docs = celery_env.sql(
        "SELECT filename, kind, page_count, pages, storage_key FROM documents WHERE execution_id = %s", job_id
    )
    assert docs == [("four.pdf", "pdf", 4, [1, 2, 3, 4], f"jobs/{job_id}/input/0")]
    # files in S3
    keys = celery_env.s3_keys(job_id)
    assert f"jobs/{job_id}/input/0" in keys and f"jobs/{job_id}/result.json" in keys
    assert sum(k.startswith(f"jobs/{job_id}/pages/") for k in keys) == 4


def test_isolation_and_delete(celery_env: Env) -> None:
    job_id = submit(celery_env.url, small_pdf(1)).json()["job_id"]
    wait_job(celery_env.url, job_id, timeout=60)
    assert httpx.get(f"{celery_env.url}/jobs/{job_id}", headers=H2).status_code == 404
    assert httpx.delete(f"{celery_env.url}/jobs/{job_id}", headers=H2).status_code == 404
    assert httpx.delete(f"{celery_env.url}/jobs/{job_id}", headers=H).status_code == 204
    assert httpx.get(f"{celery_env.url}/jobs/{job_id}", headers=H).status_code == 404
    assert celery_env.s3_keys(job_id) == []
    assert celery_env.sql("SELECT count(*) FROM documents WHERE execution_id = %s", job_id) == [(0,)]


def test_cancel_stops_the_worker(celery_env: Env) -> None:
    celery_env.engines.det_s = 0.2
    try:
        job_id = submit(celery_env.url, small_pdf(30)).json()["job_id"]
        wait_job(celery_env.url, job_id, predicate=lambda b: b["progress"]["done"] >= 1, timeout=60)
        r = httpx.post(f"{celery_env.url}/jobs/{job_id}/cancel", headers=H)
        assert r.json()["status"] == "cancelled"
        time.sleep(1.0)
        done_after = httpx.get(f"{celery_env.url}/jobs/{job_id}", headers=H).json()["progress"]["done"]
        time.sleep(1.0)
        body = httpx.get(f"{celery_env.url}/jobs/{job_id}", headers=H).json()
        assert body["status"] == "cancelled"
        assert body["progress"]["done"] == done_after < 30
    finally:
        celery_env.engines.det_s = 0.02


def test_a_dead_workers_job_is_retried_once_then_failed(celery_env: Env) -> None:
    from app.features.jobs import celery_app as capp

    a = submit(celery_env.url, small_pdf(2)).json()["job_id"]
    b = submit(celery_env.url, small_pdf(2)).json()["job_id"]
    wait_job(celery_env.url, a, timeout=60)
    wait_job(celery_env.url, b, timeout=60)
    # what a worker killed mid-job leaves: running, its lease run out
    for job_id, attempts in ((a, 1), (b, 2)):
        celery_env.sql(
            "UPDATE ocr_executions SET status = 'running', worker = 'dead:1:x', attempts = %s, "
            "lease_until = now() - interval '1 minute', finished_at = NULL WHERE id = %s",
            attempts,
            job_id,
        )
    out = capp.recover_stale.delay().get(timeout=30)
    assert out["recovered"] >= 2
    body_a = wait_job(celery_env.url, a, timeout=60)
    assert body_a["status"] == "succeeded" and body_a["attempts"] == 2
    body_b = httpx.get(f"{celery_env.url}/jobs/{b}", headers=H).json()
    assert body_b["status"] == "failed" and body_b["error"]["code"] == "job_interrupted"


def test_duplicate_messages_run_a_job_once(celery_env: Env) -> None:
    from app.features.jobs import celery_app as capp

    job_id = submit(celery_env.url, small_pdf(3)).json()["job_id"]
    for _ in range(3):
        capp.kick(job_id, "ocr")
    body = wait_job(celery_env.url, job_id, timeout=60)
    assert body["status"] == "succeeded" and body["attempts"] == 1
    assert body["progress"] == {"done": 3, "total": 3}


def test_retention_removes_rows_and_objects(celery_env: Env) -> None:
    from app.features.jobs import celery_app as capp

    job_id = submit(celery_env.url, small_pdf(1)).json()["job_id"]
    wait_job(celery_env.url, job_id, timeout=60)
    celery_env.sql("UPDATE ocr_executions SET expires_at = now() - interval '1 second' WHERE id = %s", job_id)
    assert capp.cleanup_expired.delay().get(timeout=30) >= 1
    assert httpx.get(f"{celery_env.url}/jobs/{job_id}", headers=H).status_code == 404
    assert celery_env.s3_keys(job_id) == []


def test_webhook_from_a_worker_is_signed(celery_env: Env) -> None:
    from tests.jobs.test_local_jobs import _Receiver

    rx = _Receiver("celery-whsec")
    with rx.server:
        r = submit(celery_env.url, small_pdf(1), callback_url=f"{rx.server.url}/hook")
        assert r.status_code == 202, r.text
        job_id = r.json()["job_id"]
        assert rx.got.wait(60)
        assert rx.valid == [True]
        assert rx.events[0]["job_id"] == job_id and rx.events[0]["status"] == "succeeded"
        body = wait_job(
            celery_env.url, job_id, predicate=lambda b: (b["webhook"] or {}).get("status") == "delivered", timeout=30
        )
        assert body["webhook"]["attempts"] == 1


def test_stored_bytes_per_key_on_postgresql(celery_env: Env) -> None:
    """The storage quota's count on the real database: the sum of the key's documents, no one else's."""
    from app.auth.api_key import api_key_id
    from app.features.jobs.store import JobStore

    doc = small_pdf(1)
    r = submit(celery_env.url, doc, headers=H2)
    assert r.status_code == 202, r.text
    store = JobStore(celery_env.settings.database_url or "")
    try:
        for key in (TEST_KEY, OTHER_KEY):
            (expected,) = celery_env.sql(
                "SELECT COALESCE(SUM(d.size), 0) FROM documents d JOIN ocr_executions e ON d.execution_id = e.id "
                "WHERE e.owner = %s",
                api_key_id(key),
            )
            assert store.stored_bytes(api_key_id(key)) == int(expected[0])
        assert store.stored_bytes(api_key_id(OTHER_KEY)) >= len(doc)
        assert store.stored_bytes("no-such-key") == 0
    finally:
        store.close()
