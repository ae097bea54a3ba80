#!/usr/bin/env python3
"""The Debian packages (tesseract-ocr-<x>) the enabled languages need, one per line: what
scripts/install.sh installs.

    python3 scripts/lang_packages.py                 # OCR_LANGUAGES from the environment, else .env, else korean,en
    python3 scripts/lang_packages.py --languages th,el
    python3 scripts/lang_packages.py --tests         # also the languages of the test suite (INSTALL_TEST_TOOLS=1)

Runs on the system python3 before the project's environment exists: standard library only, and the
catalogue (app/core/languages.py) is loaded by its file path, not imported as part of the app.
An unknown code exits 2 with the catalogue's message.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
CATALOGUE = REPO / "app" / "core" / "languages.py"
TEST_LABELS = REPO / "tests" / "engines" / "data" / "rapidocr" / "labels.json"
VARIABLE = "OCR_LANGUAGES"


def load_catalogue(path: Path = CATALOGUE) -> ModuleType:
    spec = importlib.util.spec_from_file_location("ocr_language_catalogue", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while the class is created
    spec.loader.exec_module(module)
    return module


def dotenv_value(path: Path, name: str) -> str | None:
    """``name``'s value in a .env file (``NAME=value``, optional ``export`` and quotes; last one wins)."""
    if not path.is_file():
        return None
    value = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        key, sep, rest = line.partition("=")
        if not sep or key.strip() != name:
            continue
        rest = rest.strip()
        if rest[:1] in ("'", '"'):
            end = rest.find(rest[0], 1)
            rest = rest[1:end] if end > 0 else rest[1:]
        else:
            rest = rest.split(" #", 1)[0].strip()
        value = rest
    return value


def configured(env: dict[str, str], dotenv: Path) -> str | None:
    """OCR_LANGUAGES as the service would read it: the environment first, then .env (like pydantic-settings)."""
    if VARIABLE in env:
        return env[VARIABLE]
    return dotenv_value(dotenv, VARIABLE)


def test_languages(labels: Path = TEST_LABELS) -> list[str]:
    """The languages of the committed RapidOCR images (the test suite reads each one)."""
    if not labels.is_file():
        return []
    return sorted({str(lab["lang"]) for lab in json.loads(labels.read_text(encoding="utf-8"))})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--languages", help=f"codes (comma-separated, or all) instead of {VARIABLE}")
    ap.add_argument("--tests", action="store_true", help="add the languages the test suite reads")
    ap.add_argument("--env-file", type=Path, default=REPO / ".env", help="where .env is (default: the repo root)")
    args = ap.parse_args(argv)

    cat = load_catalogue()
    value = args.languages if args.languages is not None else configured(dict(os.environ), args.env_file)
    try:
        chosen = cat.parse_languages(value if value is not None else ",".join(cat.DEFAULT_ENABLED))
        if args.tests:
            chosen += cat.parse_languages(test_languages())
    except ValueError as exc:
        print(f"error: {VARIABLE}: {exc}", file=sys.stderr)
        return 2
    for package in cat.packages_for(chosen):
        print(package)
    return 0


if __name__ == "__main__":
    sys.exit(main())
