"""`python -m app.model_server`: the engines behind HTTP on HOST:MODEL_SERVER_PORT (default 8001).

The same image as the API, started with a different command; SIGTERM drains like the API does.
"""

from __future__ import annotations

import sys

from app.core.config import AuthMode, SettingsError, load_settings


def main() -> int:
    try:
        # AUTH_MODE/API_KEY are the API's; the model server is internal and checks MODEL_SERVER_API_KEY only
        settings = load_settings(auth_mode=AuthMode.NONE)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from app.__main__ import serve
    from app.model_server.app import create_model_server_app

    try:
        app = create_model_server_app(settings)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    serve(app, settings, settings.model_server_port, logger="app.model_server")
    return 0


if __name__ == "__main__":
    sys.exit(main())
