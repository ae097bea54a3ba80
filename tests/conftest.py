"""Shared fixtures: settings, the Korean sample, a live uvicorn server on a free port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
TEST_KEY = "test-key-0123456789"

# the tests never read a developer's .env
os.environ.setdefault("PADDLE_PDX_CACHE_HOME", str(REPO / ".tools" / "paddlex-cache"))


def _forget_the_callers_settings() -> None:
    """The suite sees the defaults whatever shell or make target starts it: a setting exported by the caller
    (`make` exports HOST/PORT; an operator's MODEL_SERVER_API_KEY) would otherwise change what tests assert."""
    from app.core.config import Settings

    names = {name.upper() for name in Settings.model_fields}
    for var in [v for v in os.environ if v.upper() in names]:
        del os.environ[var]


_forget_the_callers_settings()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """`python -m app` in a subprocess, exactly as operators run it; real HTTP on 127.0.0.1."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = REPO / "artifacts" / f"server-{port}.log"
        self.log_path.parent.mkdir(exist_ok=True)
        self._log = open(self.log_path, "wb")
        full_env = {**os.environ, **env, "HOST": "127.0.0.1", "PORT": str(port)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app"], cwd=REPO, env=full_env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, timeout: float = 120.0, status: int = 200) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                r = httpx.get(self.url + "/health", timeout=2)
                last = r.status_code
                if r.status_code == status:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"/health never answered {status} (last {last}):\n{self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-5000:]

    def stop(self, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return int(self.proc.returncode)


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    """The real service with the real offline engines, shared by the integration tests."""
    data_dir = tempfile.mkdtemp(prefix="ocr-live-")
    srv = LiveServer(
        {"AUTH_MODE": "api-key", "API_KEY": TEST_KEY, "LOG_FORMAT": "json", "DATA_DIR": data_dir}, free_port()
    )
    try:
        srv.wait_ready(timeout=180)
        yield srv
    finally:
        srv.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def api_headers() -> dict[str, str]:
    return {"x-api-key": TEST_KEY}


class ThreadServer:
    """uvicorn serving an app object built in this process (e.g. with a fake engine), real HTTP."""

    def __init__(self, app: object) -> None:
        import threading

        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        settings = getattr(getattr(app, "state", None), "settings", None)
        if settings is not None:
            # the configuration the service runs with (timeouts, connection cap), on loopback
            from app.http.server import server_config

            config = server_config(app, settings, self.port, host="127.0.0.1")
        else:
            config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None, access_log=False)  # type: ignore[arg-type]
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)


def make_settings(**overrides: object):  # type: ignore[no-untyped-def]
    from app.core.config import load_settings

    # one detection worker: the fake engine sets of the runtime tests are single instances shared by a pool
    base: dict[str, object] = {
        "auth_mode": "api-key",
        "api_key": TEST_KEY,
        "log_format": "json",
        "det_workers": 1,
        "rec_workers": 1,
    }
    base.update(overrides)
    return load_settings(**base)
