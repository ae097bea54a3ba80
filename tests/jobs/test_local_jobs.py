"""Embedded jobs (JOBS_BACKEND=local) over real HTTP, on the real runtime with a fake engine.

What is under test is the job machinery (state, progress, isolation, cancellation, limits, retention,
webhooks); recognition itself is covered by the kill -9 test with the real engines.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from app.features.jobs.webhook import verify
from tests.conftest import ThreadServer
from tests.fakes import SlowFakeEngines
from tests.jobs.conftest import H2, H, page_images, small_pdf, submit, wait_job
from tests.render import to_bytes


def test_submit_poll_result_matches_sync_ocr(jobs_server, tmp_path: Path) -> None:
    pdf = small_pdf(5)
    with jobs_server() as srv:
        r = submit(srv.url, pdf, lang="en")
        assert r.status_code == 202, r.text
        body = r.json()
        job_id = body["job_id"]
        assert body["status"] == "queued"
        assert body["progress"] == {"done": 0, "total": 5}
        assert r.headers["location"] == f"/jobs/{job_id}"
        assert r.headers["x-request-id"]

        done = wait_job(srv.url, job_id)
        assert done["status"] == "succeeded", done
        assert done["progress"] == {"done": 5, "total": 5}
        assert done["error"] is None
        assert done["attempts"] == 1
        assert done["expires_at"] and done["finished_at"]
        result = done["result"]
        assert [p["page"] for p in result["pages"]] == [1, 2, 3, 4, 5]

        sync = httpx.post(
            f"{srv.url}/ocr", headers=H, files={"file": ("d.pdf", pdf, "application/pdf")}, data={"lang": "en"}
        ).json()
        assert result["text"] == sync["text"]
        assert result["pages"] == sync["pages"]
        assert result["lang"] == "en"
        assert result["engine"]["name"] == "fake"

        # files on disk, state in SQLite
        job_dir = tmp_path / "jobs" / job_id
        assert (job_dir / "result.json").exists()
        assert len(list((job_dir / "pages").glob("*.json"))) == 5
        assert (tmp_path / "jobs" / "jobs.sqlite3").exists()
        assert not any((tmp_path / "jobs" / ".incoming").iterdir())  # staging cleaned up

        # status only
        light = httpx.get(f"{srv.url}/jobs/{job_id}", params={"include_result": "false"}, headers=H).json()
        assert light["result"] is None and light["status"] == "succeeded"
        metrics = httpx.get(f"{srv.url}/metrics", headers=H).text
        assert 'ocr_jobs_finished_total{status="succeeded",task="ocr"}' in metrics


def test_several_files_and_page_selection(jobs_server) -> None:
    png = to_bytes(page_images(1, base_width=500)[0])
    tiff_pages = page_images(4, base_width=200)
    import io

    buf = io.BytesIO()
    tiff_pages[0].save(buf, format="TIFF", save_all=True, append_images=tiff_pages[1:])
    with jobs_server() as srv:
        r = httpx.post(
            f"{srv.url}/jobs",
            headers=H,
            files=[("files", ("a.png", png, "image/png")), ("files", ("b.tiff", buf.getvalue(), "image/tiff"))],
            data={"pages": "1"},
        )
        assert r.status_code == 202, r.text
        done = wait_job(srv.url, r.json()["job_id"])
        assert done["status"] == "succeeded"
        assert done["progress"]["total"] == 2
        assert [f["filename"] for f in done["files"]] == ["a.png", "b.tiff"]
        assert done["files"][1]["page_count"] == 4 and done["files"][1]["pages"] == 1
        results = done["result"]["results"]
        assert [x["filename"] for x in results] == ["a.png", "b.tiff"]
        assert all(x["status"] == 200 for x in results)
        assert results[0]["result"]["pages"][0]["width"] == 501


def test_per_key_isolation(jobs_server) -> None:
    with jobs_server() as srv:
        job_id = submit(srv.url, small_pdf(2)).json()["job_id"]
        wait_job(srv.url, job_id)
        for method, path in (
            ("GET", f"/jobs/{job_id}"),
            ("POST", f"/jobs/{job_id}/cancel"),
            ("DELETE", f"/jobs/{job_id}"),
        ):
            r = httpx.request(method, srv.url + path, headers=H2)
            assert r.status_code == 404, (method, r.text)
            assert r.json()["error"]["code"] == "not_found"
        assert httpx.get(f"{srv.url}/jobs", headers=H2).json()["jobs"] == []
        mine = httpx.get(f"{srv.url}/jobs", headers=H).json()["jobs"]
        assert [j["job_id"] for j in mine] == [job_id]
        assert httpx.get(f"{srv.url}/jobs/{job_id}", headers=H).status_code == 200  # still there
        assert httpx.get(f"{srv.url}/jobs/{job_id}").status_code == 401
        assert httpx.get(f"{srv.url}/jobs/not-a-job", headers=H).status_code == 404


def test_cancel_running_job_stops_work(jobs_server) -> None:
    engines = SlowFakeEngines(det_s=0.15)
    with jobs_server(engines, jobs_chunk_pages=1) as srv:
        job_id = submit(srv.url, small_pdf(40)).json()["job_id"]
        wait_job(srv.url, job_id, predicate=lambda b: b["progress"]["done"] >= 2)
        r = httpx.post(f"{srv.url}/jobs/{job_id}/cancel", headers=H)
        assert r.status_code == 200
        assert r.json()["status"] == "cancelled"
        assert r.json()["error"]["code"] == "cancelled"
        calls = len(engines.det_batches)
        time.sleep(0.8)
        assert len(engines.det_batches) <= calls + 1  # at most the batch already on the engine
        body = httpx.get(f"{srv.url}/jobs/{job_id}", headers=H).json()
        assert body["status"] == "cancelled"
        assert body["progress"]["done"] < 40
        # cancelling again is harmless; a new job still runs
        assert httpx.post(f"{srv.url}/jobs/{job_id}/cancel", headers=H).json()["status"] == "cancelled"
        nxt = submit(srv.url, small_pdf(1)).json()["job_id"]
        assert wait_job(srv.url, nxt)["status"] == "succeeded"


def test_delete_removes_record_and_files(jobs_server, tmp_path: Path) -> None:
    with jobs_server() as srv:
        job_id = submit(srv.url, small_pdf(2)).json()["job_id"]
        wait_job(srv.url, job_id)
        assert (tmp_path / "jobs" / job_id).is_dir()
        r = httpx.delete(f"{srv.url}/jobs/{job_id}", headers=H)
        assert r.status_code == 204
        assert httpx.get(f"{srv.url}/jobs/{job_id}", headers=H).status_code == 404
        assert not (tmp_path / "jobs" / job_id).exists()


def test_queued_jobs_run_in_order_and_sync_requests_are_not_starved(jobs_server) -> None:
    engines = SlowFakeEngines(det_s=0.1, rec_s=0.05)
    png = to_bytes(page_images(1)[0])
    with jobs_server(engines, jobs_chunk_pages=2) as srv:
        first = submit(srv.url, small_pdf(30)).json()["job_id"]
        second = submit(srv.url, small_pdf(2)).json()["job_id"]
        wait_job(srv.url, first, predicate=lambda b: b["progress"]["done"] >= 2)
        latencies = []
        for _ in range(3):
            t0 = time.perf_counter()
            r = httpx.post(f"{srv.url}/ocr", headers=H, files={"file": ("a.png", png, "image/png")}, timeout=30)
            latencies.append(time.perf_counter() - t0)
            assert r.status_code == 200
        # a sync request waits for at most about one chunk of job pages (2 pages ≈ 0.3 s), not for the job
        assert max(latencies) < 1.5, latencies
        mid = httpx.get(f"{srv.url}/jobs/{first}", headers=H).json()
        assert mid["status"] == "running" and mid["progress"]["done"] < 30
        assert httpx.get(f"{srv.url}/jobs/{second}", headers=H).json()["status"] == "queued"
        assert wait_job(srv.url, first)["status"] == "succeeded"
        assert wait_job(srv.url, second)["status"] == "succeeded"


@pytest.mark.parametrize(
    ("form", "files", "status", "code"),
    [
        ({"task": "translate"}, None, 422, "invalid_parameter"),
        ({"lang": "klingon"}, None, 422, "unsupported_language"),
        ({"min_confidence": "2"}, None, 422, "invalid_parameter"),
        ({"pages": "7"}, None, 422, "invalid_parameter"),
        ({"callback_url": "http://example.com/hook"}, None, 422, "invalid_parameter"),  # no JOB_WEBHOOK_SECRET
        ({}, [("file", ("x.gif", b"GIF89a" + b"\0" * 20, "image/gif"))], 415, "unsupported_media_type"),
        ({}, [("file", ("e.pdf", b"", "application/pdf"))], 400, "empty_file"),
        ({}, [("file", ("c.pdf", b"%PDF-1.4 garbage", "application/pdf"))], 400, "corrupt_document"),
        ({}, [], 400, "missing_file"),
    ],
)
def test_bad_submissions(jobs_server, tmp_path: Path, form, files, status, code) -> None:
    with jobs_server() as srv:
        send = files if files is not None else [("file", ("d.pdf", small_pdf(2), "application/pdf"))]
        r = httpx.post(f"{srv.url}/jobs", headers=H, files=send or None, data=form)
        assert r.status_code == status, r.text
        assert r.json()["error"]["code"] == code
        assert httpx.get(f"{srv.url}/jobs", headers=H).json()["jobs"] == []
        incoming = tmp_path / "jobs" / ".incoming"
        assert not incoming.exists() or not any(incoming.iterdir())


def test_limits_are_larger_than_sync_and_enforced(jobs_server) -> None:
    pdf = small_pdf(12)
    with jobs_server(max_pages=5, jobs_max_pages=10) as srv:
        sync = httpx.post(f"{srv.url}/ocr", headers=H, files={"file": ("d.pdf", pdf, "application/pdf")})
        assert sync.status_code == 413
        r = submit(srv.url, pdf)
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_many_pages"
        ok = submit(srv.url, pdf, pages="1-10")
        assert ok.status_code == 202, ok.text
        assert wait_job(srv.url, ok.json()["job_id"])["progress"] == {"done": 10, "total": 10}
    with jobs_server(jobs_max_upload_mb=0.001) as srv:
        r = submit(srv.url, pdf)
        assert r.status_code == 413 and r.json()["error"]["code"] == "file_too_large"


def test_per_key_active_limit_is_429(jobs_server) -> None:
    engines = SlowFakeEngines(det_s=0.3)
    with jobs_server(engines, jobs_max_active_per_key=1) as srv:
        assert submit(srv.url, small_pdf(3)).status_code == 202
        r = submit(srv.url, small_pdf(1))
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert submit(srv.url, small_pdf(1), headers=H2).status_code == 202  # another key is not limited


def test_retention_deletes_finished_jobs(jobs_server, tmp_path: Path) -> None:
    with jobs_server(job_ttl_hours=0.5 / 3600) as srv:  # half a second
        job_id = submit(srv.url, small_pdf(1)).json()["job_id"]
        wait_job(srv.url, job_id)
        time.sleep(0.6)
        backend = srv.server.config.app.state.jobs
        removed = asyncio.run_coroutine_threadsafe(backend.dispatcher.cleanup_expired(), _loop_of(srv)).result(10)
        assert removed == 1
        assert httpx.get(f"{srv.url}/jobs/{job_id}", headers=H).status_code == 404
        assert not (tmp_path / "jobs" / job_id).exists()


def _loop_of(srv: ThreadServer) -> asyncio.AbstractEventLoop:
    backend = srv.server.config.app.state.jobs
    return backend.dispatcher._loops[0].get_loop()


class _Receiver:
    """A webhook receiver on real HTTP that checks the signature like a client would."""

    def __init__(self, secret: str, fail_first: int = 0) -> None:
        self.secret = secret
        self.events: list[dict[str, Any]] = []
        self.valid: list[bool] = []
        self.fail_first = fail_first
        self.calls = 0
        self.got = threading.Event()
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> Any:
            from fastapi.responses import JSONResponse

            self.calls += 1
            if self.calls <= self.fail_first:
                return JSONResponse({"error": "try later"}, status_code=503)
            raw = await request.body()
            ok = verify(self.secret, request.headers["x-ocr-timestamp"], raw, request.headers["x-ocr-signature"])
            self.valid.append(ok)
            self.events.append(json.loads(raw))
            self.got.set()
            return {"ok": True}

        self.server = ThreadServer(app)


def test_webhook_is_signed_and_retried(jobs_server) -> None:
    secret = "whsec-test-123"
    rx = _Receiver(secret, fail_first=1)
    with rx.server, jobs_server(job_webhook_secret=secret, job_webhook_allow_private=True) as srv:
        r = submit(srv.url, small_pdf(2), callback_url=f"{rx.server.url}/hook")
        assert r.status_code == 202, r.text
        job_id = r.json()["job_id"]
        wait_job(srv.url, job_id)
        assert rx.got.wait(15)
        assert rx.valid == [True]
        event = rx.events[0]
        assert event["event"] == "job.completed" and event["job_id"] == job_id
        assert event["status"] == "succeeded" and event["progress"] == {"done": 2, "total": 2}
        assert event["result_url"] == f"/jobs/{job_id}"
        body = wait_job(srv.url, job_id, predicate=lambda b: (b["webhook"] or {}).get("status") == "delivered")
        assert body["webhook"]["attempts"] == 2
        assert not verify("wrong-secret", "1", b"{}", "sha256=00")


def test_webhook_refuses_private_targets_by_default(jobs_server) -> None:
    with jobs_server(job_webhook_secret="s") as srv:
        r = submit(srv.url, small_pdf(1), callback_url="http://127.0.0.1:9/hook")
        assert r.status_code == 422 and "private" in r.json()["error"]["message"]
        r = submit(srv.url, small_pdf(1), callback_url="ftp://example.com/x")
        assert r.status_code == 422


def test_extraction_job(jobs_server) -> None:
    with jobs_server() as srv:
        bad = submit(srv.url, small_pdf(1), task="extraction", template="no-such-template")
        assert bad.status_code == 422 and "template" in bad.json()["error"]["message"].lower()
        assert submit(srv.url, small_pdf(1), task="extraction").status_code == 422  # neither fields nor template
        r = submit(srv.url, small_pdf(3), task="extraction", fields="total_amount,invoice_number", lang="en")
        assert r.status_code == 202, r.text
        body = wait_job(srv.url, r.json()["job_id"])
        assert body["status"] == "succeeded", body
        assert body["progress"] == {"done": 3, "total": 3}
        result = body["result"]
        assert result["method"] == "rules"
        assert set(result["fields"]) == {"total_amount", "invoice_number"}
        assert result["text"].count("fake") == 3


def test_a_bad_file_among_several_is_named(jobs_server) -> None:
    with jobs_server() as srv:
        r = httpx.post(
            f"{srv.url}/jobs",
            headers=H,
            files=[
                ("files", ("good.pdf", small_pdf(1), "application/pdf")),
                ("files", ("bad.gif", b"GIF89a" + b"\0" * 30, "image/gif")),
            ],
        )
        assert r.status_code == 415
        err = r.json()["error"]
        assert err["message"].startswith("bad.gif: ") and err["details"]["file"] == "bad.gif"


def test_storage_quota_per_key(jobs_server) -> None:
    """Every kept job's documents count toward its key's quota, finished or not; past it a submission is
    413 with what is stored and how to free it; deleting a job frees its share; other keys are unaffected."""
    doc = small_pdf(1)
    quota_mb = 1.5 * len(doc) / 2**20  # room for one such document, not two
    with jobs_server(jobs_max_stored_mb_per_key=quota_mb) as srv:
        first = submit(srv.url, doc)
        assert first.status_code == 202, first.text
        job_id = first.json()["job_id"]
        assert wait_job(srv.url, job_id)["status"] == "succeeded"
        refused = submit(srv.url, doc)  # the finished job still counts
        assert refused.status_code == 413, refused.text
        err = refused.json()["error"]
        assert err["code"] == "storage_quota_exceeded" and "DELETE /jobs/" in err["message"]
        assert err["details"]["stored_bytes"] == len(doc) and err["details"]["upload_bytes"] == len(doc)
        assert submit(srv.url, doc, headers=H2).status_code == 202  # another key has its own quota
        assert httpx.delete(f"{srv.url}/jobs/{job_id}", headers=H).status_code in (200, 204)
        again = submit(srv.url, doc)
        assert again.status_code == 202, again.text


def test_a_jobs_error_is_in_the_language_the_caller_asks_for(jobs_server) -> None:
    """Job errors are stored in English; GET /jobs/{id} (and the list, and cancel) write the message in the
    Accept-Language's language, the code unchanged, like every other error of the service."""
    with jobs_server(SlowFakeEngines(det_s=0.15), jobs_chunk_pages=1) as srv:
        job_id = submit(srv.url, small_pdf(20)).json()["job_id"]
        ko = {**H, "Accept-Language": "ko-KR,ko;q=0.9"}
        r = httpx.post(f"{srv.url}/jobs/{job_id}/cancel", headers=ko)
        assert r.json()["error"] == {"code": "cancelled", "message": "작업이 취소되었습니다."}
        assert r.headers["content-language"] == "ko" and "Accept-Language" in r.headers["vary"]
        en = httpx.get(f"{srv.url}/jobs/{job_id}", headers=H)
        assert en.json()["error"] == {"code": "cancelled", "message": "The job was cancelled."}
        assert en.headers["content-language"] == "en"
        listed = httpx.get(f"{srv.url}/jobs", headers=ko).json()["jobs"]
        assert listed[0]["error"]["message"] == "작업이 취소되었습니다."


def test_stored_job_errors_of_every_kind_are_translated() -> None:
    from app.features.jobs.router import localized_error
    from app.features.jobs.store import interrupted

    assert localized_error(interrupted(2), "ko") == {
        "code": "job_interrupted",
        "message": "작업이 2회 중단되어(작업을 실행하던 워커가 멈춤) 더 이상 다시 시도하지 않습니다.",
    }
    page_error = {
        "code": "corrupt_document",
        "message": "The document could not be read; the file may be corrupt or truncated.",
    }
    assert localized_error(page_error, "ko")["message"] != page_error["message"]
    assert localized_error(page_error, "en") == page_error and localized_error(None, "ko") is None
