"""The distributed job store (JOBS_BACKEND=celery): PostgreSQL through SQLAlchemy (DATABASE_URL).

Two tables record what was processed:

- `ocr_executions`: one row per job (an OCR execution over one or more documents): owner (API key id),
  task, options, status, progress, attempts, the worker holding it and its lease, error, webhook state,
  where the result is stored, timestamps.
- `documents`: one row per uploaded document of an execution: file name, sniffed type, size, SHA-256,
  page count, pages selected, and its S3 key.

The database is the source of truth; Celery messages only say "look at job X". A worker claims a job
atomically (queued, or running with an expired lease), heart-beats its lease while it works, and a
job whose worker vanished is queued again once (JOBS_MAX_ATTEMPTS) by the `ocr.recover_stale` beat.
Tables are created on start-up when missing (`create_all`); the schema is small and additive.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    case,
    create_engine,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, sessionmaker

from app.features.jobs.models import Job, JobFile, NewJob


class Base(DeclarativeBase):
    pass


def _utc(ts: float | None) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(ts, dt.UTC) if ts is not None else None


def _ts(value: dt.datetime | None) -> float | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class OcrExecution(Base):
    __tablename__ = "ocr_executions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    task: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    total: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    callback_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    webhook: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    result_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)

    documents: Mapped[list[DocumentRow]] = relationship(
        back_populates="execution",
        cascade="all, delete-orphan",
        order_by="DocumentRow.index",
        lazy="selectin",
    )

    __table_args__ = (
        Index("ix_ocr_executions_owner_created", "owner", "created_at"),
        Index("ix_ocr_executions_status", "status"),
        Index("ix_ocr_executions_expires", "expires_at"),
    )


class DocumentRow(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    execution_id: Mapped[str] = mapped_column(ForeignKey("ocr_executions.id", ondelete="CASCADE"), index=True)
    index: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str | None] = mapped_column(Text, nullable=True)
    kind: Mapped[str] = mapped_column(String(10))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    page_count: Mapped[int] = mapped_column(Integer)
    pages: Mapped[list[int]] = mapped_column(JSON)
    s3_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)

    execution: Mapped[OcrExecution] = relationship(back_populates="documents")


def _to_job(row: OcrExecution) -> Job:
    return Job(
        id=row.id,
        owner=row.owner,
        task=row.task,
        status=row.status,
        options=dict(row.options or {}),
        files=[
            JobFile(d.index, d.filename, d.kind, d.size, d.sha256, d.page_count, list(d.pages)) for d in row.documents
        ],
        total=row.total,
        done=row.done,
        attempts=row.attempts,
        retries=row.retries,
        error=row.error,
        callback_url=row.callback_url,
        webhook=row.webhook,
        request_id=row.request_id,
        runner=row.worker,
        lease_until=_ts(row.lease_until),
        created_at=_ts(row.created_at) or 0.0,
        started_at=_ts(row.started_at),
        finished_at=_ts(row.finished_at),
        expires_at=_ts(row.expires_at),
        updated_at=_ts(row.updated_at) or 0.0,
    )


class SqlJobStore:
    """Synchronous; the API calls it from a thread, the Celery worker directly."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        self.engine: Engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, future=True)
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        if create:
            Base.metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def _s(self) -> Session:
        return self._session()

    def create(self, new: NewJob, keys: list[str]) -> Job:
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
            created_at=_now(),
            updated_at=_now(),
        )
        row.documents = [
            DocumentRow(
                index=f.index,
                filename=f.filename,
                kind=f.kind,
                size=f.size,
                sha256=f.sha256,
                page_count=f.page_count,
                pages=list(f.pages),
                s3_key=key,
            )
            for f, key in zip(new.files, keys, strict=True)
        ]
        with self._s() as s, s.begin():
            s.add(row)
        return _to_job(row)

    def get(self, job_id: str) -> Job | None:
        with self._s() as s:
            row = s.get(OcrExecution, job_id)
            return _to_job(row) if row is not None else None

    def list_jobs(self, owner: str, *, status: str | None = None, limit: int = 50) -> list[Job]:
        q = select(OcrExecution).where(OcrExecution.owner == owner)
        if status:
            q = q.where(OcrExecution.status == status)
        q = q.order_by(OcrExecution.created_at.desc()).limit(limit)
        with self._s() as s:
            return [_to_job(r) for r in s.scalars(q).all()]

    def stored_bytes(self, owner: str) -> int:
        q = (
            select(func.coalesce(func.sum(DocumentRow.size), 0))
            .join(OcrExecution, DocumentRow.execution_id == OcrExecution.id)
            .where(OcrExecution.owner == owner)
        )
        with self._s() as s:
            return int(s.scalar(q) or 0)

    def count_active(self, owner: str) -> int:
        q = select(func.count()).where(OcrExecution.owner == owner, OcrExecution.status.in_(("queued", "running")))
        with self._s() as s:
            return int(s.scalar(q) or 0)

    def claim(self, job_id: str, worker: str, lease_s: float) -> tuple[Job | None, str]:
        """Take the job → ("claimed" | "busy": a live worker has it | "gone": finished/cancelled/missing)."""
        now = _now()
        with self._s() as s, s.begin():
            row = s.get(OcrExecution, job_id, with_for_update=True)
            if row is None or row.status not in ("queued", "running"):
                return None, "gone"
            lease = row.lease_until
            if lease is not None and lease.tzinfo is None:
                lease = lease.replace(tzinfo=dt.UTC)
            if row.status == "running" and lease is not None and lease > now:
                return _to_job(row), "busy"
            row.status = "running"
            row.worker = worker
            row.attempts += 1
            row.lease_until = now + dt.timedelta(seconds=lease_s)
            row.started_at = row.started_at or now
            row.updated_at = now
            return _to_job(row), "claimed"

    def heartbeat(self, holders: dict[str, str], lease_s: float) -> None:
        """Extend the leases of {job_id: claim token} that those tokens still hold."""
        if not holders:
            return
        until = _now() + dt.timedelta(seconds=lease_s)
        with self._s() as s, s.begin():
            for job_id, worker in holders.items():
                s.execute(
                    update(OcrExecution)
                    .where(OcrExecution.id == job_id, OcrExecution.worker == worker, OcrExecution.status == "running")
                    .values(lease_until=until)
                )

    def set_done(self, job_id: str, done: int) -> None:
        with self._s() as s, s.begin():
            s.execute(
                update(OcrExecution)
                .where(OcrExecution.id == job_id)
                .values(done=case((OcrExecution.total < done, OcrExecution.total), else_=done), updated_at=_now())
            )

    def increment_done(self, job_id: str) -> None:
        with self._s() as s, s.begin():
            s.execute(
                update(OcrExecution)
                .where(OcrExecution.id == job_id)
                .values(
                    done=case(
                        (OcrExecution.done >= OcrExecution.total, OcrExecution.total),
                        else_=OcrExecution.done + 1,
                    ),
                    updated_at=_now(),
                )
            )

    def holder(self, job_id: str) -> tuple[str | None, str | None]:
        with self._s() as s:
            row = s.execute(select(OcrExecution.status, OcrExecution.worker).where(OcrExecution.id == job_id)).first()
            return (row[0], row[1]) if row else (None, None)

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
        now = _now()
        with self._s() as s, s.begin():
            res = s.execute(
                update(OcrExecution)
                .where(OcrExecution.id == job_id, OcrExecution.status == "running", OcrExecution.worker == worker)
                .values(
                    status=status,
                    error=error,
                    result_key=result_key,
                    finished_at=now,
                    expires_at=now + dt.timedelta(seconds=ttl_s),
                    lease_until=None,
                    updated_at=now,
                )
            )
            return bool(res.rowcount == 1)  # type: ignore[attr-defined]

    def requeue(self, job_id: str, worker: str, *, undo_attempt: bool, transient: bool = False) -> bool:
        with self._s() as s, s.begin():
            res = s.execute(
                update(OcrExecution)
                .where(OcrExecution.id == job_id, OcrExecution.status == "running", OcrExecution.worker == worker)
                .values(
                    status="queued",
                    worker=None,
                    lease_until=None,
                    attempts=OcrExecution.attempts - (1 if undo_attempt else 0),
                    retries=OcrExecution.retries + (1 if transient else 0),
                    updated_at=_now(),
                )
            )
            return bool(res.rowcount == 1)  # type: ignore[attr-defined]

    def cancel(self, job_id: str, *, ttl_s: float) -> Job | None:
        now = _now()
        with self._s() as s, s.begin():
            s.execute(
                update(OcrExecution)
                .where(OcrExecution.id == job_id, OcrExecution.status.in_(("queued", "running")))
                .values(
                    status="cancelled",
                    error={"code": "cancelled", "message": "The job was cancelled."},
                    finished_at=now,
                    expires_at=now + dt.timedelta(seconds=ttl_s),
                    lease_until=None,
                    updated_at=now,
                )
            )
        return self.get(job_id)

    def delete(self, job_id: str) -> None:
        with self._s() as s, s.begin():
            s.execute(delete(DocumentRow).where(DocumentRow.execution_id == job_id))
            s.execute(delete(OcrExecution).where(OcrExecution.id == job_id))

    def recover_stale(self, *, max_attempts: int, ttl_s: float) -> list[tuple[str, str]]:
        """Running jobs whose lease expired (their worker died): queued again, or failed after the last."""
        now = _now()
        out: list[tuple[str, str]] = []
        with self._s() as s, s.begin():
            rows = s.scalars(
                select(OcrExecution)
                .where(OcrExecution.status == "running", OcrExecution.lease_until < now)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                if row.attempts >= max_attempts:
                    row.status = "failed"
                    row.error = {
                        "code": "job_interrupted",
                        "message": f"The job was interrupted {row.attempts} times (the worker running it "
                        "stopped); it is not retried again.",
                    }
                    row.finished_at = now
                    row.expires_at = now + dt.timedelta(seconds=ttl_s)
                else:
                    row.status = "queued"
                    row.worker = None
                row.lease_until = None
                row.updated_at = now
                out.append((row.id, row.status))
        return out

    def stale_queued(self, older_than_s: float) -> list[str]:
        """Queued jobs nobody picked up for a while (their message was lost): kicked again by the beat."""
        cutoff = _now() - dt.timedelta(seconds=older_than_s)
        with self._s() as s:
            return list(
                s.scalars(
                    select(OcrExecution.id).where(OcrExecution.status == "queued", OcrExecution.updated_at < cutoff)
                ).all()
            )

    def touch(self, job_id: str) -> None:
        with self._s() as s, s.begin():
            s.execute(update(OcrExecution).where(OcrExecution.id == job_id).values(updated_at=_now()))

    def expired(self) -> list[str]:
        with self._s() as s:
            return list(
                s.scalars(
                    select(OcrExecution.id).where(
                        OcrExecution.expires_at.is_not(None),
                        OcrExecution.expires_at <= _now(),
                        OcrExecution.status.not_in(("queued", "running")),
                    )
                ).all()
            )

    def update_webhook(self, job_id: str, webhook: dict[str, Any]) -> None:
        with self._s() as s, s.begin():
            s.execute(update(OcrExecution).where(OcrExecution.id == job_id).values(webhook=webhook))
