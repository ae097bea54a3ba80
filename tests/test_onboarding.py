"""What a new user meets before any request: `make help` in a pipe, the README's quick start, and
what `make run` prints."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_help_prints_no_escape_codes_into_a_pipe() -> None:
    out = subprocess.run(["make", "-s", "help"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert "\x1b[" not in out
    assert re.search(r"^  run\s+\S", out, re.M) and re.search(r"^  test\s+\S", out, re.M)


def test_readme_quick_start_points_at_the_web_page_and_prints_korean() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("## Configuration", 1)[0]
    assert "http://localhost:8080/>" in quick and "/docs" in quick
    for line in quick.splitlines():
        if "json.tool" in line:
            assert "--no-ensure-ascii" in line, line  # else Korean prints as \\uc8fc…


def test_make_run_says_where_the_web_page_is() -> None:
    """scripts/run.sh (what `make run` calls) prints the page's address before serving; an invalid PORT
    makes the service stop right after, with a message naming the variable."""
    if not (REPO / ".venv" / "bin" / "python").exists():
        pytest.skip("needs the project's .venv (scripts/install.sh)")
    env = {"PATH": "/usr/bin:/bin", "PORT": "notaport", "AUTH_MODE": "none", "HOME": str(REPO)}
    done = subprocess.run(
        [str(REPO / "scripts" / "run.sh")], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert "web page: http://localhost:notaport/" in done.stdout and "/docs" in done.stdout
    assert done.returncode != 0 and "PORT" in done.stderr
