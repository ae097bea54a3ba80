"""What a job is, independent of where it is stored (app.features.jobs.store: SQLite or PostgreSQL)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
ACTIVE: frozenset[str] = frozenset({"queued", "running"})
TERMINAL: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})
TASKS: tuple[str, ...] = ("ocr", "structure", "extraction")

# Errors after which a job is worth trying again later (the engines or the model server were away);
# anything else (a corrupt page, a bad parameter) fails the job at once.
TRANSIENT_CODES: frozenset[str] = frozenset(
    {
        "model_server_unavailable",
        "model_server_timeout",
        "not_ready",
        "timeout",
        "queue_full",
        "profile_over_memory_budget",
    }
)


def new_job_id() -> str:
    return uuid.uuid4().hex


def now() -> float:
    return time.time()


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(slots=True)
class JobFile:
    """One uploaded document of a job and the pages of it that the job reads."""

    index: int
    filename: str | None
    kind: str  # png | jpeg | tiff | bmp | webp | pdf
    size: int
    sha256: str
    page_count: int  # pages in the document
    pages: list[int]  # 1-based pages selected for the job


@dataclass(slots=True)
class Job:
    id: str
    owner: str  # Principal.key_id of the submitter: nobody else can see the job
    task: str
    status: str
    options: dict[str, Any]
    files: list[JobFile]
    total: int  # pages to process, all files together
    done: int = 0
    attempts: int = 0  # times a worker started the job (an interrupted run counts)
    retries: int = 0  # transient failures (engines/model server away) waited out so far
    error: dict[str, Any] | None = None
    callback_url: str | None = None
    webhook: dict[str, Any] | None = None  # {"status": pending|delivered|failed, "attempts", "last_error"}
    request_id: str | None = None
    worker: str | None = None  # the claim token of the execution holding it
    lease_until: float | None = None
    not_before: float | None = None
    created_at: float = field(default_factory=now)
    started_at: float | None = None
    finished_at: float | None = None
    expires_at: float | None = None
    updated_at: float = field(default_factory=now)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


@dataclass(slots=True)
class NewJob:
    """A validated submission, before it is stored."""

    owner: str
    task: str
    options: dict[str, Any]
    files: list[JobFile]
    callback_url: str | None = None
    request_id: str | None = None
    id: str = field(default_factory=new_job_id)

    @property
    def total(self) -> int:
        return sum(len(f.pages) for f in self.files)


class JobCancelled(Exception):
    """Raised inside a running job when its record says it was cancelled."""


class JobError(Exception):
    """A job failed with an error body (`{"code", "message"}`) and whether trying again may help."""

    def __init__(self, code: str, message: str, *, transient: bool = False) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.transient = transient

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}
