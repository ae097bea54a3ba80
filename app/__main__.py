"""`python -m app`: serve with uvicorn; SIGTERM drains (503 on /health, finish in-flight work, exit 0)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import threading
from types import FrameType
from typing import Any

import uvicorn

from app.core.config import Settings, SettingsError, get_settings
from app.http.server import server_config


def main() -> int:
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from app.main import create_app

    try:
        app = create_app(settings)  # an invalid OCR_PROFILES_FILE is a configuration error too
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if settings.metrics_port is not None:
        _serve_metrics(settings.host, settings.metrics_port)
    serve(app, settings, settings.port, logger="app")
    return 0


def serve(app: Any, settings: Settings, port: int, *, logger: str) -> None:
    """Run `app` (whose app.state.service drains on SIGTERM) under uvicorn until a clean shutdown."""
    config = server_config(app, settings, port)
    server = DrainingServer(config, app.state.service, settings.drain_delay_s)
    asyncio.run(server.serve())
    logging.getLogger(logger).info("exited cleanly")


class DrainingServer(uvicorn.Server):
    """On the first SIGTERM/SIGINT: /health turns 503 `draining` and new work is refused at once; after
    DRAIN_DELAY_S uvicorn stops listening and waits up to SHUTDOWN_GRACE_S for in-flight requests.
    A second signal exits immediately. A drained shutdown exits 0."""

    def __init__(self, config: uvicorn.Config, service: Any, drain_delay_s: float) -> None:
        super().__init__(config)
        self._service = service
        self._drain_delay_s = drain_delay_s
        self._draining = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # uvicorn re-raises captured signals after shutdown (the process would die by SIGTERM); a drained
        # shutdown is a clean one, so exit 0 instead: set the flags ourselves.
        if self._draining:
            self.force_exit = True
            return
        self._draining = True
        self._service.status = "draining"
        self._service.admission.draining = True
        logging.getLogger("app").info("signal %s: draining", signal.Signals(sig).name)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.should_exit = True
            return
        loop.call_later(self._drain_delay_s, self._stop_listening)

    def _stop_listening(self) -> None:
        self.should_exit = True


def _serve_metrics(host: str, port: int) -> None:
    """Prometheus on its own port, so the public listener (ALB) never exposes it."""
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from prometheus_client import make_wsgi_app

    from app.observability.metrics import REGISTRY

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = make_server(host, port, make_wsgi_app(REGISTRY), handler_class=Quiet)
    threading.Thread(target=httpd.serve_forever, name="metrics", daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
