"""Where a job's bytes live: the uploaded documents, one JSON object per finished page (the progress a
restarted job goes on from) and the assembled result. One protocol, two stores:

    LocalFiles   DATA_DIR/jobs/<id>/{input/<n>, pages/<n>-<page>.json, result.json}   (the default)
    S3Files      <JOBS_S3_PREFIX><id>/… in JOBS_BUCKET (app.features.jobs.s3)          (JOBS_BUCKET set)

A job's objects have the same names in both. Synchronous: callers run them in a thread (Work.STORE).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Protocol

from app.core.config import Settings
from app.features.jobs.documents import remove_tree, write_atomic


def input_name(index: int) -> str:
    return f"input/{index}"


def page_name(index: int, page: int) -> str:
    return f"pages/{index}-{page:05d}.json"


RESULT_NAME = "result.json"


def parse_page_name(name: str) -> tuple[int, int] | None:
    """(file index, page) of a `pages/<n>-<page>.json` name, else None."""
    stem = name.rsplit("/", 1)[-1].removesuffix(".json")
    a, _, b = stem.partition("-")
    return (int(a), int(b)) if a.isdigit() and b.isdigit() else None


def to_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


class JobFiles(Protocol):
    name: str

    def adopt_inputs(self, job_id: str, staged: list[tuple[Path, str]]) -> list[str]:
        """Take the staged uploads [(path, sha256)] into the job (the paths are consumed); where each is
        stored (an S3 key, or a path under DATA_DIR/jobs), recorded with the job."""
        ...

    def load_input(self, job_id: str, index: int) -> bytes: ...

    def save_page(self, job_id: str, index: int, page: int, result: dict[str, Any]) -> None: ...

    def load_page(self, job_id: str, index: int, page: int) -> dict[str, Any]: ...

    def completed_pages(self, job_id: str) -> set[tuple[int, int]]: ...

    def save_result(self, job_id: str, result: dict[str, Any]) -> str:
        """Store the result; where it is stored (recorded with the job)."""
        ...

    def load_result(self, job_id: str) -> dict[str, Any] | None: ...

    def delete_job(self, job_id: str) -> None: ...

    def remove_orphans(self, known: set[str], older_than_s: float = 3600.0) -> int:
        """Delete what belongs to no job (a crash between staging and the record), once it is old."""
        ...


class LocalFiles:
    """Job files under DATA_DIR/jobs/ (the same filesystem as the staging area: adopting is a rename)."""

    name = "local"

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir) / "jobs"
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, job_id: str, name: str = "") -> Path:
        return self.root / job_id / name if name else self.root / job_id

    def adopt_inputs(self, job_id: str, staged: list[tuple[Path, str]]) -> list[str]:
        (self.path(job_id) / "input").mkdir(parents=True, exist_ok=True)
        (self.path(job_id) / "pages").mkdir(exist_ok=True)
        keys = []
        for i, (path, _sha) in enumerate(staged):
            os.replace(path, self.path(job_id, input_name(i)))
            keys.append(f"{job_id}/{input_name(i)}")
        return keys

    def load_input(self, job_id: str, index: int) -> bytes:
        return self.path(job_id, input_name(index)).read_bytes()

    def save_page(self, job_id: str, index: int, page: int, result: dict[str, Any]) -> None:
        # pages/ exists from submission: a page of a deleted job fails here instead of recreating it
        write_atomic(self.path(job_id, page_name(index, page)), to_json(result))

    def load_page(self, job_id: str, index: int, page: int) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.path(job_id, page_name(index, page)).read_bytes())
        return data

    def completed_pages(self, job_id: str) -> set[tuple[int, int]]:
        pages = self.path(job_id) / "pages"
        found = (parse_page_name(p.name) for p in pages.glob("*.json")) if pages.is_dir() else iter(())
        return {f for f in found if f is not None}

    def save_result(self, job_id: str, result: dict[str, Any]) -> str:
        write_atomic(self.path(job_id, RESULT_NAME), to_json(result))
        return f"{job_id}/{RESULT_NAME}"

    def load_result(self, job_id: str) -> dict[str, Any] | None:
        path = self.path(job_id, RESULT_NAME)
        if not path.exists():
            return None
        data: dict[str, Any] = json.loads(path.read_bytes())
        return data

    def delete_job(self, job_id: str) -> None:
        remove_tree(self.path(job_id))

    def remove_orphans(self, known: set[str], older_than_s: float = 3600.0) -> int:
        cutoff = time.time() - older_than_s
        candidates = [p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")]
        incoming = self.root / ".incoming"
        if incoming.is_dir():
            candidates += [p for p in incoming.iterdir() if p.is_dir()]
        removed = 0
        for p in candidates:
            if p.parent == self.root and p.name in known:
                continue
            try:
                if p.stat().st_mtime > cutoff:
                    continue
            except FileNotFoundError:
                continue
            remove_tree(p)
            removed += 1
        return removed


def open_files(settings: Settings) -> JobFiles:
    """S3 when JOBS_BUCKET is set, else DATA_DIR/jobs."""
    if settings.jobs_bucket:
        from app.features.jobs.s3 import S3Files  # boto3 only where S3 is used

        return S3Files(settings)
    return LocalFiles(settings.data_dir)
