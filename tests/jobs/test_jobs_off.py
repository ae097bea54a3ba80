"""JOBS_BACKEND=off: /jobs does not exist (the Terraform switch `jobs_backend = "off"` sets it on ECS)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from app.core.config import SettingsError
from tests.conftest import ThreadServer, make_settings
from tests.jobs.conftest import H, small_pdf


def test_off_removes_the_routes_and_starts_no_backend(jobs_server: Callable[..., ThreadServer], tmp_path: Path) -> None:
    with jobs_server(jobs_backend="off") as srv:
        pdf = small_pdf(1)
        r = httpx.post(f"{srv.url}/jobs", headers=H, files={"file": ("d.pdf", pdf, "application/pdf")}, timeout=30)
        assert r.status_code == 404
        for path in ("/jobs", "/jobs/0123456789abcdef0123456789abcdef"):
            assert httpx.get(f"{srv.url}{path}", headers=H, timeout=10).status_code == 404
        assert httpx.delete(f"{srv.url}/jobs/x", headers=H, timeout=10).status_code == 404
        schema = httpx.get(f"{srv.url}/openapi.json", headers=H, timeout=10).json()
        assert not [p for p in schema["paths"] if p.startswith("/jobs")]
        assert getattr(srv.server.config.app.state, "jobs", None) is None
        # the rest of the service is there
        assert httpx.get(f"{srv.url}/health/live", timeout=10).status_code == 200
    assert not (tmp_path / "jobs").exists()  # no SQLite store was created


def test_off_needs_no_celery_settings() -> None:
    assert make_settings(jobs_backend="off").jobs_backend == "off"
    with pytest.raises(SettingsError, match="JOBS_BACKEND"):
        make_settings(jobs_backend="none")
