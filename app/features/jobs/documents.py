"""Job documents: stage uploads to disk without holding them in memory, count and check pages up front,
and decode a few pages at a time while a job runs (a 500-page PDF is never rendered all at once)."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import AppError, ErrorCode
from app.documents import Document, Limits, decode_document, sniff
from app.documents.decode import open_document
from app.documents.limits import AsyncReadable, upload_chunks
from app.documents.sniff import ACCEPTED_DESCRIPTION, describe_unsupported

_SNIFF_BYTES = 64 * 1024


@dataclass(slots=True)
class StagedFile:
    path: Path
    filename: str | None
    size: int
    sha256: str


@dataclass(slots=True)
class Inspected:
    kind: str
    page_count: int
    pages: list[int]


def staging_dir(data_dir: Path) -> Path:
    """A fresh private directory for one submission's uploads (same filesystem as the job store)."""
    root = data_dir / "jobs" / ".incoming"
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="sub-", dir=root))


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


async def stage_upload(upload: AsyncReadable, dest: Path, max_bytes: int) -> StagedFile:
    """Stream an upload to `dest` in 1 MiB chunks (hashing it); FILE_TOO_LARGE / EMPTY_FILE as /ocr."""
    digest = hashlib.sha256()
    size = 0
    name = f" {upload.filename!r}" if upload.filename else ""
    too_large = f"The file{name} is larger than the {max_bytes / 2**20:g} MB limit for jobs (JOBS_MAX_UPLOAD_MB)."
    with open(dest, "wb") as out:  # noqa: ASYNC230 - local disk, 1 MiB writes
        async for chunk in upload_chunks(upload, max_bytes, too_large):
            size += len(chunk)
            digest.update(chunk)
            out.write(chunk)
    return StagedFile(dest, upload.filename, size, digest.hexdigest())


def _unsupported(head: bytes, filename: str | None) -> AppError:
    looks_like = describe_unsupported(head)
    what = f"This looks like {looks_like}, which is not supported" if looks_like else "The file type is not supported"
    name = f" ({filename})" if filename else ""
    return AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, f"{what}{name}. Accepted types: {ACCEPTED_DESCRIPTION}.")


def inspect_file(path: Path, limits: Limits, pages: str | None, filename: str | None = None) -> Inspected:
    """Type, page count and selected pages of a staged document, with every selected page's size checked
    from headers, as the synchronous routes do (so a job never fails at page 300 for a limit it could have
    been refused for at once). Synchronous: call it from a thread."""
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if sniff(head) is None:
        raise _unsupported(head, filename)
    with open_document(path.read_bytes(), limits, pages) as source:
        outline = source.outline
    return Inspected(outline.kind, outline.page_count, [size.number for size in outline.pages])


def decode_pages(data: bytes, limits: Limits, pages: list[int]) -> Document:
    """Decode just these pages (synchronous, CPU-bound: call from a thread)."""
    chunk_limits = Limits(
        max_bytes=limits.max_bytes, max_pixels=limits.max_pixels, max_pages=len(pages), pdf_dpi=limits.pdf_dpi
    )
    return decode_document(data, chunk_limits, ",".join(str(p) for p in pages))


def chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def write_atomic(path: Path, data: bytes) -> None:
    """Write then rename, fsync'd: a kill -9 leaves either the old file or the whole new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
