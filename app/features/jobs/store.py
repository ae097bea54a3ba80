"""The one job store: SQLAlchemy over SQLite (DATA_DIR/jobs/jobs.sqlite3, the default) or PostgreSQL
(DATABASE_URL, production), for both job dispatchers. Its tables: app.features.jobs.tables.

The database is the source of truth for a job's state; the file store holds its bytes. A worker claims a
job atomically (the oldest runnable one, or one named by a Celery message), heart-beats its lease while
it works, and a job whose worker vanished is queued again (`recover`) until JOBS_MAX_ATTEMPTS starts.
Every transition a worker makes is conditional on its claim token, so a cancel or a takeover in
between wins. Tables are created when missing.

Synchronous and short: the async callers run it in a thread (Work.STORE). On SQLite every transaction
starts with BEGIN IMMEDIATE (WAL), so several processes may share one DATA_DIR.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    case,
    create_engine,
    delete,
    event,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.features.jobs.models import ACTIVE, Job, NewJob
from app.features.jobs.tables import Base, DocumentRow, OcrExecution, add_missing_columns, now_utc, timestamp, to_job

SQLITE_FILE = "jobs.sqlite3"


def _later(seconds: float, start: dt.datetime | None = None) -> dt.datetime:
    return (start or now_utc()) + dt.timedelta(seconds=seconds)


# ---- worker identity -------------------------------------------------------------------------------------


def worker_id() -> str:
    """host:pid:nonce — unique per process incarnation (a restarted container reuses pid 1)."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"


def worker_is_dead(worker: str | None, me: str | None) -> bool:
    """True when `worker` was a process on this host that no longer runs (or an earlier incarnation)."""
    if not worker or not me or worker.startswith(me):
        return False
    host, _, rest = worker.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine: only its lease tells
    pid = int(pid_text)
    if pid == os.getpid():
        return True  # same pid, different nonce: this process replaced it (container restart)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def interrupted(attempts: int) -> dict[str, Any]:
    return {
        "code": "job_interrupted",
        "message": f"The job was interrupted {attempts} times (the worker running it stopped); it is not "
        "retried again.",
    }


CANCELLED = {"code": "cancelled", "message": "The job was cancelled."}


# ---- the store -------------------------------------------------------------------------------------------


def sqlite_url(data_dir: Path) -> str:
    root = Path(data_dir) / "jobs"
    root.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{root / SQLITE_FILE}"


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes in WAL mode
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # take the write lock up front: a read that later writes can never fail on a lock upgrade
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class JobStore:
    """Synchronous; the API and the local runner call it from a thread, the Celery worker directly."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        self.url = url
        self.dialect = url.split(":", 1)[0].split("+", 1)[0]
        if self.dialect == "sqlite":
            self.engine: Engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
            _sqlite_pragmas(self.engine)
        else:
            self.engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        if create:
            Base.metadata.create_all(self.engine)
            add_missing_columns(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        with self._session() as s, s.begin():
            yield s

    # ---- records ---------------------------------------------------------------------------------------
    def create(self, new: NewJob, keys: list[str]) -> Job:
        t = now_utc()
        row = OcrExecution(
            id=new.id,
            owner=new.owner,
            task=new.task,
            status="queued",
            options=new.options,
            total=new.total,
            done=0,
            attempts=0,
            retries=0,
            callback_url=new.callback_url,
            webhook={"status": "pending", "attempts": 0} if new.callback_url else None,
            request_id=new.request_id,
            created_at=t,
            updated_at=t,
        )
        row.documents = [
            DocumentRow(**dataclasses.asdict(f), storage_key=key) for f, key in zip(new.files, keys, strict=True)
        ]
        with self._tx() as s:
            s.add(row)
        return to_job(row)

    def get(self, job_id: str) -> Job | None:
        with self._tx() as s:
            row = s.get(OcrExecution, job_id)
            return to_job(row) if row is not None else None

    def list_jobs(self, owner: str, *, status: str | None = None, limit: int = 50) -> list[Job]:
        q = select(OcrExecution).where(OcrExecution.owner == owner)
        if status:
            q = q.where(OcrExecution.status == status)
        q = q.order_by(OcrExecution.created_at.desc()).limit(limit)
        with self._tx() as s:
            return [to_job(r) for r in s.scalars(q).all()]

    def job_ids(self) -> set[str]:
        with self._tx() as s:
            return set(s.scalars(select(OcrExecution.id)).all())

    def stored_bytes(self, owner: str) -> int:
        q = (
            select(func.coalesce(func.sum(DocumentRow.size), 0))
            .join(OcrExecution, DocumentRow.execution_id == OcrExecution.id)
            .where(OcrExecution.owner == owner)
        )
        with self._tx() as s:
            return int(s.scalar(q) or 0)

    def count_active(self, owner: str) -> int:
        q = select(func.count()).where(OcrExecution.owner == owner, OcrExecution.status.in_(tuple(ACTIVE)))
        with self._tx() as s:
            return int(s.scalar(q) or 0)

    def holder(self, job_id: str) -> tuple[str | None, str | None]:
        """(status, worker token) of the job; (None, None) when it is gone."""
        with self._tx() as s:
            row = s.execute(select(OcrExecution.status, OcrExecution.worker).where(OcrExecution.id == job_id)).first()
            return (row[0], row[1]) if row else (None, None)

    # ---- claims and leases -----------------------------------------------------------------------------
    @staticmethod
    def _take(row: OcrExecution, worker: str, lease_s: float, t: dt.datetime) -> None:
        row.status = "running"
        row.worker = worker
        row.attempts += 1
        row.lease_until = _later(lease_s, t)
        row.not_before = None
        row.started_at = row.started_at or t
        row.updated_at = t

    def claim_next(self, worker: str, lease_s: float) -> Job | None:
        """Take the oldest runnable queued job (atomic across processes), or None."""
        t = now_utc()
        q = (
            select(OcrExecution)
            .where(
                OcrExecution.status == "queued",
                or_(OcrExecution.not_before.is_(None), OcrExecution.not_before <= t),
            )
            .order_by(OcrExecution.created_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        with self._tx() as s:
            row = s.scalars(q).first()
            if row is None:
                return None
            self._take(row, worker, lease_s, t)
            return to_job(row)

    def claim(self, job_id: str, worker: str, lease_s: float) -> tuple[Job | None, str]:
        """Take this job → ("claimed" | "busy": a live worker has it | "gone": finished, cancelled, missing).

        A running job whose lease expired is taken over (its worker died)."""
        t = now_utc()
        with self._tx() as s:
            row = s.get(OcrExecution, job_id, with_for_update=True)
            if row is None or row.status not in ACTIVE:
                return None, "gone"
            lease = timestamp(row.lease_until)
            if row.status == "running" and lease is not None and lease > t.timestamp():
                return to_job(row), "busy"
            self._take(row, worker, lease_s, t)
            return to_job(row), "claimed"

    def heartbeat(self, holders: dict[str, str], lease_s: float) -> None:
        """Extend the leases of {job_id: claim token} that those tokens still hold."""
        if not holders:
            return
        until = _later(lease_s)
        with self._tx() as s:
            for job_id, worker in holders.items():
                s.execute(
                    update(OcrExecution)
                    .where(OcrExecution.id == job_id, OcrExecution.worker == worker, OcrExecution.status == "running")
                    .values(lease_until=until)
                )

    # ---- progress --------------------------------------------------------------------------------------
    def set_done(self, job_id: str, done: int) -> None:
        """Set the pages done from the file store (after a crash between a page write and its count)."""
        with self._tx() as s:
            s.execute(
                update(OcrExecution)
                .where(OcrExecution.id == job_id)
                .values(done=case((OcrExecution.total < done, OcrExecution.total), else_=done), updated_at=now_utc())
            )

    def increment_done(self, job_id: str) -> None:
        with self._tx() as s:
            s.execute(
                update(OcrExecution)
                .where(OcrExecution.id == job_id)
                .values(
                    done=case(
                        (OcrExecution.done >= OcrExecution.total, OcrExecution.total), else_=OcrExecution.done + 1
                    ),
                    updated_at=now_utc(),
                )
            )

    # ---- transitions -----------------------------------------------------------------------------------
    def _held(self, job_id: str, worker: str) -> Any:
        return update(OcrExecution).where(
            OcrExecution.id == job_id, OcrExecution.status == "running", OcrExecution.worker == worker
        )

    def finish(
        self,
        job_id: str,
        worker: str,
        status: str,
        *,
        error: dict[str, Any] | None,
        ttl_s: float,
        result_key: str | None = None,
    ) -> bool:
        """running → succeeded | failed, only while `worker` holds it (a cancel in between wins)."""
        t = now_utc()
        with self._tx() as s:
            res = s.execute(
                self._held(job_id, worker).values(
                    status=status,
                    error=error,
                    result_key=result_key,
                    finished_at=t,
                    expires_at=_later(ttl_s, t),
                    lease_until=None,
                    updated_at=t,
                )
            )
            return bool(res.rowcount == 1)  # type: ignore[attr-defined]

    def requeue(
        self, job_id: str, worker: str, *, undo_attempt: bool, delay_s: float = 0.0, transient: bool = False
    ) -> bool:
        """running → queued (shutdown: the attempt does not count; transient failure: wait `delay_s`)."""
        t = now_utc()
        with self._tx() as s:
            res = s.execute(
                self._held(job_id, worker).values(
                    status="queued",
                    worker=None,
                    lease_until=None,
                    not_before=_later(delay_s, t) if delay_s else None,
                    attempts=case(
                        (OcrExecution.attempts > 0, OcrExecution.attempts - (1 if undo_attempt else 0)), else_=0
                    ),
                    retries=OcrExecution.retries + (1 if transient else 0),
                    updated_at=t,
                )
            )
            return bool(res.rowcount == 1)  # type: ignore[attr-defined]

    def cancel(self, job_id: str, *, ttl_s: float) -> Job | None:
        t = now_utc()
        with self._tx() as s:
            s.execute(
                update(OcrExecution)
                .where(OcrExecution.id == job_id, OcrExecution.status.in_(tuple(ACTIVE)))
                .values(
                    status="cancelled",
                    error=CANCELLED,
                    finished_at=t,
                    expires_at=_later(ttl_s, t),
                    lease_until=None,
                    updated_at=t,
                )
            )
        return self.get(job_id)

    def delete(self, job_id: str) -> None:
        with self._tx() as s:
            s.execute(delete(DocumentRow).where(DocumentRow.execution_id == job_id))
            s.execute(delete(OcrExecution).where(OcrExecution.id == job_id))

    def recover(
        self, me: str | None, *, max_attempts: int, ttl_s: float, startup: bool = False
    ) -> list[tuple[str, str]]:
        """Running jobs whose worker is gone: queued again, or failed after `max_attempts` starts.

        Gone = lease expired, or (at `startup`) an earlier process on this host that no longer runs.
        Jobs held by `me` (this process) are left alone. Returns (job_id, new status) pairs.
        """
        t = now_utc()
        out: list[tuple[str, str]] = []
        q = select(OcrExecution).where(OcrExecution.status == "running").with_for_update(skip_locked=True)
        with self._tx() as s:
            for row in s.scalars(q).all():
                if me and row.worker and row.worker.startswith(me):
                    continue
                lease = timestamp(row.lease_until)
                expired = lease is None or lease < t.timestamp()
                if not (expired or (startup and worker_is_dead(row.worker, me))):
                    continue
                if row.attempts >= max_attempts:
                    row.status = "failed"
                    row.error = interrupted(row.attempts)
                    row.finished_at = t
                    row.expires_at = _later(ttl_s, t)
                else:
                    row.status = "queued"
                    row.worker = None
                row.lease_until = None
                row.updated_at = t
                out.append((row.id, row.status))
        return out

    def stale_queued(self, older_than_s: float) -> list[str]:
        """Queued jobs nobody picked up for a while (their message was lost)."""
        cutoff = _later(-older_than_s)
        q = select(OcrExecution.id).where(OcrExecution.status == "queued", OcrExecution.updated_at < cutoff)
        with self._tx() as s:
            return list(s.scalars(q).all())

    def touch(self, job_id: str) -> None:
        with self._tx() as s:
            s.execute(update(OcrExecution).where(OcrExecution.id == job_id).values(updated_at=now_utc()))

    def expired(self) -> list[str]:
        """Finished jobs past their retention (JOB_TTL_HOURS)."""
        q = select(OcrExecution.id).where(
            OcrExecution.expires_at.is_not(None),
            OcrExecution.expires_at <= now_utc(),
            OcrExecution.status.not_in(tuple(ACTIVE)),
        )
        with self._tx() as s:
            return list(s.scalars(q).all())

    # ---- webhooks --------------------------------------------------------------------------------------
    def update_webhook(self, job_id: str, webhook: dict[str, Any]) -> None:
        with self._tx() as s:
            s.execute(update(OcrExecution).where(OcrExecution.id == job_id).values(webhook=webhook))

    def pending_webhooks(self) -> list[Job]:
        """Finished jobs whose completion callback was not delivered yet (sent again after a restart)."""
        q = select(OcrExecution).where(
            OcrExecution.callback_url.is_not(None),
            OcrExecution.status.not_in(tuple(ACTIVE)),
            OcrExecution.webhook["status"].as_string() == "pending",
        )
        with self._tx() as s:
            return [to_job(r) for r in s.scalars(q).all()]


def open_store(settings: Settings) -> JobStore:
    """DATABASE_URL when set (PostgreSQL), else SQLite under DATA_DIR/jobs."""
    return JobStore(settings.database_url or sqlite_url(settings.data_dir))
