"""Response models of the /jobs endpoints (async jobs for large documents)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

JobStatusLiteral = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class JobProgress(BaseModel):
    done: int = Field(description="Pages finished so far (all files together)")
    total: int = Field(description="Pages the job will read")


class JobErrorModel(BaseModel):
    code: str = Field(description="Stable snake_case code, as in the error envelope", examples=["corrupt_document"])
    message: str


class JobFileModel(BaseModel):
    filename: str | None
    kind: str = Field(description="Sniffed type: png, jpeg, tiff, bmp, webp or pdf")
    size: int = Field(description="Bytes")
    page_count: int = Field(description="Pages in the document")
    pages: int = Field(description="Pages selected for the job")


class JobWebhookModel(BaseModel):
    status: Literal["pending", "delivered", "failed"]
    attempts: int = 0
    last_error: str | None = None


class JobResponse(BaseModel):
    job_id: str
    status: JobStatusLiteral
    task: Literal["ocr", "structure", "extraction"]
    progress: JobProgress
    result: dict[str, Any] | None = Field(
        None,
        description="When succeeded: the /ocr (or /structure, /extraction) body for one file, "
        'or `{"results": [{"filename", "status", "result"}]}` for several files',
    )
    error: JobErrorModel | None = None
    files: list[JobFileModel] = Field(default_factory=list)
    attempts: int = Field(0, description="Times a worker started the job (an interrupted run is retried once)")
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    expires_at: str | None = Field(None, description="When the job and its result are deleted (JOB_TTL_HOURS)")
    webhook: JobWebhookModel | None = None


class JobAccepted(BaseModel):
    job_id: str
    status: Literal["queued"] = "queued"
    task: str
    progress: JobProgress
    created_at: str | None = None


class JobListResponse(BaseModel):
    jobs: list[JobResponse]
