"""Engine profiles: named, versioned engine configurations.

The settings the service starts with are the built-in profile ``default``. OCR_PROFILES_FILE names a YAML
file with more, each a name and the engine settings it changes::

    profiles:
      - name: fast
        ocr_det_model: PP-OCRv6_tiny_det
        ocr_rec_model: PP-OCRv6_tiny_rec
      - name: clahe
        OCR_REC_PREPROCESS: clahe        # the environment variable's name works too

A profile's ``version`` is a short hash of its effective engine settings and of the SHA-256 of the model
files it loads (from MODELS_DIR's manifest, else hashed here): it changes whenever either does. Its
``memory_bytes`` is the estimate the memory budget (OCR_PROFILES_MEMORY_MB) counts: the size of every model
file it loads, times the engine sets that hold a copy (one per worker thread), times the resident memory a
loaded model was measured to take per byte of its file.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.core.config import Settings, SettingsError
from app.engines.models import MANIFEST_NAME, TABLE_MODEL, model_dir_for, required_files
from app.observability.gpu import resolve_devices

DEFAULT = "default"
SETTING = "OCR_PROFILES_FILE"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

# the settings a profile may change: what builds and runs the engines (not auth, limits, jobs or the server)
ENGINE_SETTINGS: tuple[str, ...] = tuple(
    sorted(
        {
            "ocr_languages",
            "ocr_model_source",
            "ocr_device",
            "ocr_engine_backend",
            "models_dir",
            "ocr_det_model",
            "ocr_rec_model",
            "ocr_korean_rec_model",
            "ocr_korean_second_opinion",
            "ocr_korean_second_opinion_below",
            "ocr_korean_second_opinion_margin",
            "ocr_rec_preprocess",
            "ocr_orientation_model",
            "ocr_cpu_threads",
            "ocr_cpu_mem_arena",
            "ocr_cpu_runtime",
            "ocr_openvino_precision",
            "ocr_openvino_det_precision",
            "ocr_det_trim_borders",
            "ocr_det_min_scale",
            "ocr_det_text_px",
            "ocr_rec_batch_size",
            "ocr_rec_min_width",
            "tessdata_dir",
            "layout_engine",
            "layout_model_type",
            "layout_model_path",
            "layout_model_name",
            "layout_model_dir",
            "layout_threshold",
            "table_model_path",
            "table_borderless_method",
            "det_workers",
            "rec_workers",
            "max_batch_size",
            "det_batch_size",
            "max_batch_wait_ms",
        }
    )
)


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    settings: Settings = field(repr=False)
    overrides: dict[str, Any]
    version: str
    models: dict[str, str]
    files: dict[str, str] = field(default_factory=dict)  # model file → SHA-256 (or `missing`)
    memory_bytes: int = 0

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT

    @property
    def languages(self) -> list[str]:
        return self.settings.enabled_languages


# ---------------------------------------------------------------- model files


def _model_names(settings: Settings) -> dict[str, str]:
    """The models a profile loads, by role (`tesseract` where Tesseract reads)."""
    models = {"det": settings.ocr_det_model, "rec": settings.ocr_rec_model}
    if settings.ocr_korean_rec_model != settings.ocr_rec_model:
        models["rec_korean"] = settings.ocr_korean_rec_model
    if settings.ocr_orientation_model:
        models["orientation"] = settings.ocr_orientation_model
    return models


def _model_dir(settings: Settings, name: str) -> Path:
    path = model_dir_for(settings.models_dir, name, settings.ocr_engine_backend)
    if settings.ocr_engine_backend == "paddle" and not path.is_dir():
        return model_dir_for(settings.models_dir, name, "onnxruntime")  # ONNX-only models run as ONNX
    return path


def _files_by_part(settings: Settings) -> dict[str, list[Path]]:
    """The local model files each engine part loads (det: orientation, detector, table; rec: recognizers)."""
    names = _model_names(settings)
    out: dict[str, list[Path]] = {"det": [], "rec": []}
    for role, name in names.items():
        if name == "tesseract":
            continue
        folder = _model_dir(settings, name)
        backend = "paddle" if folder.parent.name == "paddle" else "onnxruntime"
        out["rec" if role.startswith("rec") else "det"] += [folder / f for f in required_files(backend)]
    if settings.layout_engine != "none":
        out["det"].append(settings.table_model_path or Path(settings.models_dir) / TABLE_MODEL)
    return out


@lru_cache(maxsize=256)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _manifest_sums(models_dir: Path) -> dict[str, tuple[str, int]]:
    try:
        data = json.loads((Path(models_dir) / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("files", {}) if isinstance(data, dict) else {}
    return {rel: (str(v.get("sha256")), int(v.get("size", -1))) for rel, v in files.items() if isinstance(v, dict)}


def file_checksums(settings: Settings) -> dict[str, str]:
    """SHA-256 of every local model file the profile loads: the manifest's where it lists the file with this
    size, else hashed here (cached by size and mtime); ``missing`` for a file that is not there."""
    manifest = _manifest_sums(settings.models_dir)
    root = Path(settings.models_dir)
    out: dict[str, str] = {}
    for path in sorted({p for paths in _files_by_part(settings).values() for p in paths}):
        try:
            key = path.relative_to(root).as_posix()
        except ValueError:
            key = str(path)
        try:
            st = path.stat()
        except OSError:
            out[key] = "missing"
            continue
        listed = manifest.get(key)
        out[key] = listed[0] if listed and listed[1] == st.st_size else _sha256(str(path), st.st_size, st.st_mtime_ns)
    return out


# resident memory of a loaded engine set per byte of its model files: measured 148 MB of RSS growth for the
# PP-OCRv6 small det + rec pair with page orientation, layout and table (one det and one rec worker, CPU,
# OpenVINO, after warm-up) against 43.6 MB of files (docs/models.md "Engine profiles")
MEMORY_PER_FILE_BYTE = 3.5


def memory_estimate(settings: Settings) -> int:
    """Bytes the profile's engines are expected to hold: its model files' sizes times MEMORY_PER_FILE_BYTE,
    for each copy (each det worker loads the det part's files, each rec worker the rec part's, per device)."""
    sizes: dict[str, int] = {}
    for part, paths in _files_by_part(settings).items():
        sizes[part] = sum(p.stat().st_size for p in paths if p.is_file())
    devices = len(resolve_devices(settings.ocr_device))
    copies = sizes["det"] * settings.det_pool_workers + sizes["rec"] * settings.rec_pool_workers
    return int(devices * copies * MEMORY_PER_FILE_BYTE)


def effective_settings(settings: Settings) -> dict[str, Any]:
    dumped = settings.model_dump(mode="json")
    return {key: dumped[key] for key in ENGINE_SETTINGS}


def profile_version(settings: Settings, files: dict[str, str]) -> str:
    blob = json.dumps({"settings": effective_settings(settings), "files": files}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def make_profile(name: str, settings: Settings, overrides: dict[str, Any] | None = None) -> Profile:
    files = file_checksums(settings)
    return Profile(
        name=name,
        settings=settings,
        overrides=dict(overrides or {}),
        version=profile_version(settings, files),
        models=_model_names(settings),
        files=files,
        memory_bytes=memory_estimate(settings),
    )


# ---------------------------------------------------------------- the file


def _fail(path: Path, message: str) -> SettingsError:
    return SettingsError(f"invalid configuration: {SETTING}={path}: {message}")


def _entries(path: Path, data: Any) -> list[tuple[str, dict[str, Any]]]:
    """The file's profiles as (name, settings) in order: `profiles:` a list of mappings with `name`, or a
    mapping of name → settings."""
    body = data.get("profiles") if isinstance(data, dict) else None
    if isinstance(body, dict):
        for name, value in body.items():
            if value is not None and not isinstance(value, dict):
                raise _fail(path, f"profile {name!r}: expected a mapping of the settings it changes")
        return [(str(name), dict(value or {})) for name, value in body.items()]
    if isinstance(body, list):
        out = []
        for i, item in enumerate(body):
            if not isinstance(item, dict) or "name" not in item:
                raise _fail(
                    path, f"profile #{i + 1}: each entry is a mapping with a `name` and the settings it changes"
                )
            rest = {k: v for k, v in item.items() if k != "name"}
            out.append((str(item["name"]), rest))
        return out
    raise _fail(path, "expected a top-level `profiles:` list (each entry: name and the engine settings it changes)")


def _profile_settings(path: Path, base: Settings, name: str, raw: dict[str, Any]) -> tuple[Settings, dict[str, Any]]:
    where = f"profile {name!r}"
    overrides: dict[str, Any] = {}
    for key, value in raw.items():
        field_name = str(key).strip().lower()
        if field_name not in ENGINE_SETTINGS:
            raise _fail(
                path,
                f"{where}: key {key!r} is not an engine setting a profile may change (one of: "
                f"{', '.join(ENGINE_SETTINGS)})",
            )
        overrides[field_name] = value
    merged = {**base.model_dump(), **overrides}
    try:
        return Settings.model_validate(merged), overrides
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(p) for p in err.get("loc", ())]
        key = loc[0] if loc else "?"
        msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        raise _fail(path, f"{where}: key {key!r}: {msg}") from None


def load_profiles(settings: Settings) -> dict[str, Profile]:
    """``default`` (the settings themselves) and the profiles of OCR_PROFILES_FILE, checked: a bad file
    raises SettingsError naming the file, the profile and the key. OCR_AB / OCR_SHADOW must name them."""
    profiles = {DEFAULT: make_profile(DEFAULT, settings)}
    path = settings.ocr_profiles_file
    if path is not None:
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise _fail(path, "the file does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise _fail(path, f"unreadable ({exc})") from None
        except yaml.YAMLError as exc:
            raise _fail(path, f"not valid YAML ({exc})") from None
        for name, raw in _entries(path, data):
            if not NAME_RE.match(name):
                raise _fail(path, f"profile {name!r}: a name is 1-64 letters, digits, `.`, `_` or `-`")
            if name in profiles:
                why = "is the built-in profile (the environment's settings)" if name == DEFAULT else "appears twice"
                raise _fail(path, f"profile {name!r} {why}")
            own, overrides = _profile_settings(path, settings, name, raw)
            profiles[name] = make_profile(name, own, overrides)
    for var, shares in (("OCR_AB", settings.ocr_ab), ("OCR_SHADOW", settings.ocr_shadow)):
        unknown = [name for name in shares if name not in profiles]
        if unknown:
            raise SettingsError(
                f"invalid configuration: {var}: unknown profile {', '.join(map(repr, unknown))}; "
                f"the profiles are {', '.join(profiles)} ({SETTING} adds more)"
            )
    if len(profiles) > 1 and settings.ocr_model_server_url:
        raise SettingsError(
            f"invalid configuration: {SETTING}: profiles need the engines in this process; "
            "OCR_MODEL_SERVER_URL runs them on a model server"
        )
    return profiles


def caller_bucket(caller: str) -> float:
    """Where a caller falls in [0, 100): the same caller always in the same place."""
    digest = hashlib.sha256(caller.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % 10_000 / 100


def ab_profile(shares: dict[str, float], caller: str) -> str:
    """The profile OCR_AB gives a caller: shares stacked in order, the rest ``default``."""
    at = caller_bucket(caller)
    edge = 0.0
    for name, share in shares.items():
        edge += share
        if at < edge:
            return name
    return DEFAULT
