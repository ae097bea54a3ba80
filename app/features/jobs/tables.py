"""The job store's schema (SQLAlchemy, the same on SQLite and PostgreSQL) and how a row becomes a Job.

- `ocr_executions`: one row per job (an OCR execution over one or more documents): owner (API key id),
  task, options, status, progress, attempts, the worker holding it and its lease, error, webhook state,
  where the result is stored, timestamps.
- `documents`: one row per uploaded document of a job: file name, sniffed type, size, SHA-256, page
  count, pages selected, and where its bytes are in the file store (app.features.jobs.files).

The schema only grows: `add_missing_columns` adds the nullable columns of later versions to an existing
database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from app.features.jobs.models import Job, JobFile


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def timestamp(value: dt.datetime | None) -> float | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite keeps no zone: every value written is UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()


class Base(DeclarativeBase):
    pass


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
    not_before: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    result_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)

    documents: Mapped[list[DocumentRow]] = relationship(
        back_populates="execution",
        cascade="all, delete-orphan",
        order_by="DocumentRow.index",
        lazy="selectin",
    )

    __table_args__ = (
        Index("ix_ocr_executions_owner_created", "owner", "created_at"),
        Index("ix_ocr_executions_status", "status", "created_at"),
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
    storage_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)

    execution: Mapped[OcrExecution] = relationship(back_populates="documents")


def to_job(row: OcrExecution) -> Job:
    """A row as the Job the rest of the service reads: same names, times as epoch seconds."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Job):
        if f.name != "files":
            value = getattr(row, f.name)
            values[f.name] = timestamp(value) if isinstance(value, dt.datetime) else value
    values["options"] = dict(row.options or {})
    names = [f.name for f in dataclasses.fields(JobFile)]
    files = [JobFile(**{name: getattr(d, name) for name in names}) for d in row.documents]
    return Job(files=files, **values)


def add_missing_columns(engine: Engine) -> None:
    """A schema created by an earlier version gains the (nullable) columns added since."""
    with engine.begin() as conn:  # one connection: on SQLite a second one would wait for this one's lock
        insp = inspect(conn)
        for table in Base.metadata.sorted_tables:
            have = {c["name"] for c in insp.get_columns(table.name)}
            for col in table.columns:
                if col.name not in have and col.nullable:
                    kind = col.type.compile(dialect=engine.dialect)
                    conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{col.name}" {kind}'))
