"""execute_job on its own: an in-memory JobIO, the real runtime Service with a fake engine."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from app.features.jobs.execute import execute_job
from app.features.jobs.models import Job, JobCancelled, JobFile
from app.serving.service import Service
from tests.conftest import make_settings
from tests.fakes import SlowFakeEngines
from tests.jobs.conftest import small_pdf


class MemoryIO:
    def __init__(self, data: bytes, done: dict[tuple[int, int], dict[str, Any]] | None = None) -> None:
        self.data = data
        self.pages: dict[tuple[int, int], dict[str, Any]] = dict(done or {})
        self.saved: list[tuple[int, int]] = []
        self.cancel_after: int | None = None

    async def completed_pages(self) -> set[tuple[int, int]]:
        return set(self.pages)

    async def load_input(self, file: JobFile) -> bytes:
        return self.data

    async def save_page(self, file_index: int, page: int, result: dict[str, Any]) -> None:
        self.pages[(file_index, page)] = result
        self.saved.append((file_index, page))

    async def load_page(self, file_index: int, page: int) -> dict[str, Any]:
        return self.pages[(file_index, page)]

    async def is_cancelled(self) -> bool:
        return self.cancel_after is not None and len(self.saved) >= self.cancel_after


def _job(n: int, task: str = "ocr") -> Job:
    f = JobFile(0, "d.pdf", "pdf", 1, "x", n, list(range(1, n + 1)))
    return Job(id="a" * 32, owner="k", task=task, status="running", options={"lang": "en"}, files=[f], total=n)


async def _run(job: Job, io: MemoryIO, **settings: Any) -> dict[str, Any]:
    s = make_settings(jobs_chunk_pages=2, **settings)
    service = Service(s, lambda: SlowFakeEngines())
    await service.start()
    try:
        return await execute_job(job, io, service, s, lambda lang: {"name": "fake"})
    finally:
        await service.stop()


def test_resumes_after_the_pages_already_done() -> None:
    io = MemoryIO(small_pdf(5))
    first = asyncio.run(_run(_job(5), io))
    assert [p["page"] for p in first["pages"]] == [1, 2, 3, 4, 5]
    done = {k: v for k, v in io.pages.items() if k[1] <= 3}
    io2 = MemoryIO(small_pdf(5), done)
    second = asyncio.run(_run(_job(5), io2))
    assert io2.saved == [(0, 4), (0, 5)]
    assert second["text"] == first["text"]


def test_cancellation_is_seen_between_chunks() -> None:
    io = MemoryIO(small_pdf(9))
    io.cancel_after = 2
    with pytest.raises(JobCancelled):
        asyncio.run(_run(_job(9), io))
    assert len(io.saved) == 2  # the first chunk (2 pages), then it stopped


def test_structure_task_pages_and_markdown(monkeypatch: pytest.MonkeyPatch) -> None:
    import app.features.jobs.execute as structure

    seen: list[int] = []

    async def fake_structure_document(doc, opts, service, *, engine_info, deadline=None):  # type: ignore[no-untyped-def]
        page = doc.pages[0]
        seen.append(page.index)
        d = {"page": page.index, "text": f"t{page.index}", "blocks": [], "markdown": f"# p{page.index}", "lines": []}
        return SimpleNamespace(pages=[SimpleNamespace(to_dict=lambda: d)])

    monkeypatch.setattr(structure, "structure_document", fake_structure_document)
    result = asyncio.run(_run(_job(3, "structure"), MemoryIO(small_pdf(3))))
    assert sorted(seen) == [1, 2, 3]
    assert result["text"] == "t1\n\nt2\n\nt3"
    assert "# p1" in result["markdown"] and "<!-- page 3 -->" in result["markdown"]
