"""The one job store, the same state machine on SQLite (the embedded default) and on a real PostgreSQL
server (production): records, claims, leases, recovery, retention, webhook state, schema upgrades."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from app.features.jobs.models import JobFile, NewJob
from app.features.jobs.store import JobStore, sqlite_url, worker_id
from tests.jobs.servers import postgres_server


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with postgres_server() as pg:
        yield pg.url


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    pg: str = request.getfixturevalue("pg_url")
    fresh = JobStore(pg)
    with fresh.engine.begin() as conn:
        conn.execute(text("DELETE FROM documents"))
        conn.execute(text("DELETE FROM ocr_executions"))
    fresh.close()
    return pg


@pytest.fixture
def store(url: str) -> Iterator[JobStore]:
    s = JobStore(url)
    yield s
    s.close()


def new_job(owner: str = "key-a", pages: int = 2, size: int = 1000, callback: str | None = None) -> NewJob:
    files = [JobFile(0, "a.pdf", "pdf", size, "0" * 64, pages + 1, list(range(1, pages + 1)))]
    return NewJob(owner=owner, task="ocr", options={"lang": "korean"}, files=files, callback_url=callback)


def add(store: JobStore, **kw: object) -> str:
    job = store.create(new_job(**kw), ["x/input/0"])  # type: ignore[arg-type]
    time.sleep(0.002)  # distinct created_at: claims take the oldest
    return job.id


def test_a_job_record_round_trips(store: JobStore) -> None:
    a = add(store, owner="key-a", pages=3, size=1234, callback="https://example.com/hook")
    b = add(store, owner="key-a")
    add(store, owner="key-b", size=99)
    job = store.get(a)
    assert job is not None
    assert (job.status, job.total, job.done, job.attempts, job.task) == ("queued", 3, 0, 0, "ocr")
    assert job.files == [JobFile(0, "a.pdf", "pdf", 1234, "0" * 64, 4, [1, 2, 3])]
    assert job.options == {"lang": "korean"} and job.webhook == {"status": "pending", "attempts": 0}
    assert abs(job.created_at - time.time()) < 60
    assert [j.id for j in store.list_jobs("key-a")] == [b, a]  # newest first, only this owner
    assert store.list_jobs("key-a", status="running") == []
    assert store.stored_bytes("key-a") == 2234 and store.stored_bytes("key-b") == 99
    assert store.stored_bytes("nobody") == 0
    assert store.count_active("key-a") == 2
    assert store.get("0" * 32) is None


def test_claims_take_the_oldest_and_each_job_once(url: str, store: JobStore) -> None:
    ids = [add(store) for _ in range(12)]
    job = store.claim_next("w0", 30)
    assert job is not None and job.id == ids[0] and job.status == "running" and job.attempts == 1
    assert job.worker == "w0" and job.started_at is not None and job.lease_until is not None
    # two more stores (like two processes) race for the rest
    got: dict[str, list[str]] = {"w1": [], "w2": []}

    def claimer(name: str) -> None:
        other = JobStore(url)
        try:
            while (j := other.claim_next(name, 30)) is not None:
                got[name].append(j.id)
        finally:
            other.close()

    threads = [threading.Thread(target=claimer, args=(n,)) for n in got]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    claimed = got["w1"] + got["w2"]
    assert sorted(claimed) == sorted(ids[1:])  # every job once, none twice
    assert store.claim_next("w3", 30) is None


def test_a_back_off_delays_the_next_claim(store: JobStore) -> None:
    a = add(store)
    assert store.claim_next("w", 30) is not None
    assert store.requeue(a, "w", undo_attempt=True, delay_s=0.6, transient=True)
    job = store.get(a)
    assert job is not None and (job.status, job.attempts, job.retries) == ("queued", 0, 1)
    assert store.claim_next("w", 30) is None  # not before the back-off
    time.sleep(0.8)
    again = store.claim_next("w", 30)
    assert again is not None and again.id == a and again.not_before is None


def test_claim_by_id_busy_takeover_and_gone(store: JobStore) -> None:
    a = add(store)
    job, state = store.claim(a, "w1", 30)
    assert state == "claimed" and job is not None and job.attempts == 1
    assert store.claim(a, "w2", 30)[1] == "busy"  # a duplicate message while w1 holds the lease
    short = add(store)
    store.claim(short, "w1", 0.2)
    time.sleep(0.4)
    taken, state = store.claim(short, "w2", 30)  # w1's lease ran out: w2 takes over
    assert state == "claimed" and taken is not None and taken.worker == "w2" and taken.attempts == 2
    assert not store.finish(short, "w1", "succeeded", error=None, ttl_s=60)  # the old holder lost it
    assert store.finish(short, "w2", "succeeded", error=None, ttl_s=60, result_key="r")
    assert store.claim(short, "w3", 30) == (None, "gone")
    assert store.claim("f" * 32, "w3", 30) == (None, "gone")


def test_transitions_hold_only_for_the_claim_token(store: JobStore) -> None:
    a = add(store)
    store.claim(a, "w1", 30)
    assert store.holder(a) == ("running", "w1")
    assert not store.requeue(a, "w2", undo_attempt=True)
    cancelled = store.cancel(a, ttl_s=60)
    assert cancelled is not None and cancelled.status == "cancelled" and cancelled.error
    assert cancelled.error["code"] == "cancelled" and cancelled.expires_at is not None
    assert not store.finish(a, "w1", "succeeded", error=None, ttl_s=60)  # the cancel won
    job = store.get(a)
    assert job is not None and job.status == "cancelled"
    assert store.count_active("key-a") == 0
    b = add(store)
    store.claim(b, "w1", 30)
    assert store.requeue(b, "w1", undo_attempt=True)  # a shutdown: the attempt does not count
    job = store.get(b)
    assert job is not None and (job.status, job.attempts, job.worker) == ("queued", 0, None)


def test_progress_counts_cap_at_the_total(store: JobStore) -> None:
    a = add(store, pages=2)
    for _ in range(3):
        store.increment_done(a)
    job = store.get(a)
    assert job is not None and job.done == 2
    store.set_done(a, 1)
    store.set_done(a, 7)
    job = store.get(a)
    assert job is not None and job.done == 2


def test_heartbeat_extends_only_the_holders_lease(store: JobStore) -> None:
    a, b = add(store), add(store)
    store.claim(a, "w1", 0.3)
    store.claim(b, "w2", 0.3)
    store.heartbeat({a: "w1", b: "not-w2"}, 30)
    time.sleep(0.5)
    assert store.claim(a, "w3", 30)[1] == "busy"
    assert store.claim(b, "w3", 30)[1] == "claimed"


def test_recovery_requeues_then_fails_interrupted_jobs(store: JobStore) -> None:
    me = worker_id()
    mine, once, twice, live = add(store), add(store), add(store), add(store)
    store.claim(mine, me, 0.1)
    store.claim(once, "elsewhere:1:x", 0.1)
    store.claim(twice, "elsewhere:2:y", 0.1)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE ocr_executions SET attempts = 2 WHERE id = :id"), {"id": twice})
    dead = f"{socket.gethostname()}:{2**22 + 4321}:dead"  # a pid on this host that does not run
    store.claim(live, dead, 600)
    time.sleep(0.3)
    assert sorted(store.recover(me, max_attempts=2, ttl_s=60)) == sorted([(once, "queued"), (twice, "failed")])
    failed = store.get(twice)
    assert failed is not None and failed.error is not None and failed.error["code"] == "job_interrupted"
    assert failed.expires_at is not None
    assert store.holder(mine) == ("running", me)  # this process's own jobs are left alone
    assert store.holder(live)[0] == "running"  # its lease still runs: only a start-up check sees it died
    assert store.recover(me, max_attempts=2, ttl_s=60, startup=True) == [(live, "queued")]
    assert store.recover(None, max_attempts=2, ttl_s=60) == [(mine, "queued")]  # the Celery beat: any expired


def test_retention_and_webhook_state(store: JobStore) -> None:
    a = add(store, callback="https://example.com/hook")
    b = add(store)
    store.claim(a, "w", 30)
    store.finish(a, "w", "failed", error={"code": "corrupt_document", "message": "x"}, ttl_s=0.2)
    store.cancel(b, ttl_s=600)
    assert [j.id for j in store.pending_webhooks()] == [a]
    store.update_webhook(a, {"status": "delivered", "attempts": 1})
    assert store.pending_webhooks() == []
    time.sleep(0.4)
    assert store.expired() == [a]
    store.delete(a)
    assert store.get(a) is None and store.job_ids() == {b}
    with store.engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM documents WHERE execution_id = :id"), {"id": a}).scalar() == 0


def test_stale_queued_jobs_are_found_and_touched(store: JobStore) -> None:
    a = add(store)
    time.sleep(0.3)
    assert store.stale_queued(0.2) == [a]
    store.touch(a)
    assert store.stale_queued(0.2) == []


def test_a_schema_from_an_earlier_version_gains_the_new_columns(url: str, store: JobStore) -> None:
    a = add(store)
    with store.engine.begin() as conn:
        conn.execute(text("ALTER TABLE ocr_executions DROP COLUMN not_before"))
        conn.execute(text("ALTER TABLE documents DROP COLUMN storage_key"))
    store.close()
    upgraded = JobStore(url)
    try:
        insp = inspect(upgraded.engine)
        assert "not_before" in {c["name"] for c in insp.get_columns("ocr_executions")}
        assert "storage_key" in {c["name"] for c in insp.get_columns("documents")}
        assert upgraded.get(a) is not None  # the old rows are kept
        assert upgraded.claim_next("w", 30) is not None
    finally:
        upgraded.close()


def test_sqlite_store_is_a_wal_file_under_data_dir(tmp_path: Path) -> None:
    store = JobStore(sqlite_url(tmp_path))
    try:
        assert (tmp_path / "jobs" / "jobs.sqlite3").exists()
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        store.close()
    assert os.path.getsize(tmp_path / "jobs" / "jobs.sqlite3") > 0
