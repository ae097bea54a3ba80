"""`python -m tests.web.serve`: exactly `python -m app`, with the web page mounted on the app.

Used by the browser tests only while app/main.py does not call mount_web itself (mount_web is
idempotent, so this stays correct afterwards too).
"""

from __future__ import annotations

import sys

import app.main as app_main
from app.web import mount_web

_create_app = app_main.create_app


def create_app_with_web(*args, **kwargs):  # type: ignore[no-untyped-def]
    application = _create_app(*args, **kwargs)
    mount_web(application)
    return application


if __name__ == "__main__":
    app_main.create_app = create_app_with_web  # type: ignore[assignment]
    from app.__main__ import main

    sys.exit(main())
