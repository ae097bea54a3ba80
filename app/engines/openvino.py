"""OpenVINO as the runtime of the shipped ONNX models on the CPU (``OCR_CPU_RUNTIME=openvino``).

The PaddleX predictors keep doing all pre- and post-processing; only their inference runner (the one
object that turns input arrays into output arrays) is replaced by one that runs the same ONNX file
compiled by OpenVINO's CPU plugin. Outputs are the same arrays ONNX Runtime gives, to float rounding
(f32) or to bfloat16 rounding (bf16).

Precision (``OCR_OPENVINO_PRECISION``):
- ``auto``: what the CPU does fastest without changing the model: bfloat16 where the CPU has bf16
  matrix units (AMX / AVX-512 BF16: Intel Sapphire Rapids and newer, AWS c7i/m7i/r7i), float32
  elsewhere. Measured on a 2-core Sapphire Rapids: PP-OCRv6 small det 2.5x, recognizers 2.7x faster
  than ONNX Runtime at the same CER (docs/performance.md); at f32, det 1.2x and rec 1.0x.
- ``f32`` / ``bf16``: forced (bf16 on a CPU without bf16 units is emulated and slow).

Threads: ``INFERENCE_NUM_THREADS`` = OCR_CPU_THREADS (0 = the plugin's choice, all cores), one stream,
and no CPU pinning: the service runs several single-threaded workers side by side, and pinned plugin
threads piled onto one core (measured: two workers 0.88x of one instead of 1.88x).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np

from app.engines.base import EngineLoadError

log = logging.getLogger(__name__)

PRECISIONS = ("auto", "f32", "bf16")  # after resolving, f32/bf16 are OpenVINO's own precision names

_core_lock = threading.Lock()
_core: Any = None
# The first `Tensor.data` of the process runs a C++ static initializer in pyopenvino that needs the GIL:
# two engine workers entering it at once deadlock (one holds the guard and waits for the GIL, the other
# holds the GIL and waits on the guard), and the whole process freezes, event loop included. Seen in
# the kill -9 restart test (two detection workers starting on a recovered job). Inferences are
# therefore serialised until one has completed in this process; after that the lock is never taken.
_first_infer_lock = threading.Lock()
_first_infer_done = threading.Event()


def available() -> bool:
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


def _get_core() -> Any:
    global _core
    with _core_lock:
        if _core is None:
            try:
                import openvino as ov
            except ImportError as exc:
                raise EngineLoadError(
                    "OCR_CPU_RUNTIME=openvino needs the openvino package (in the default install; "
                    "pip install openvino) or OCR_CPU_RUNTIME=onnxruntime"
                ) from exc
            _core = ov.Core()
        return _core


def cpu_has_bf16() -> bool:
    """Whether OpenVINO's CPU plugin runs bfloat16 natively on this CPU."""
    try:
        caps = _get_core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    except Exception:
        return False
    return "BF16" in [str(c).upper() for c in caps]


def resolve_precision(precision: str) -> str:
    """``auto`` -> ``bf16`` or ``f32`` for this CPU; ``f32``/``bf16`` as given."""
    if precision not in PRECISIONS:
        raise EngineLoadError(f"unknown OpenVINO precision {precision!r} (use one of {', '.join(PRECISIONS)})")
    if precision == "auto":
        return "bf16" if cpu_has_bf16() else "f32"
    return precision


class OpenVINORunner:
    """Drop-in for PaddleX's ONNX Runtime runner: ``runner(x=[arrays]) -> [outputs]``.

    One compiled model and one infer request: like every engine here it is owned by one worker thread.
    OpenVINO releases the GIL while it infers, so workers run side by side.
    """

    def __init__(self, onnx_path: Path, *, threads: int = 1, precision: str = "auto") -> None:
        core = _get_core()
        self.precision = resolve_precision(precision)
        config: dict[str, Any] = {
            "PERFORMANCE_HINT": "LATENCY",
            "NUM_STREAMS": 1,
            "ENABLE_CPU_PINNING": False,
            "INFERENCE_PRECISION_HINT": self.precision,
        }
        if threads > 0:
            config["INFERENCE_NUM_THREADS"] = int(threads)
        try:
            self._compiled = core.compile_model(str(onnx_path), "CPU", config)
        except Exception as exc:
            raise EngineLoadError(f"OpenVINO cannot compile {onnx_path}: {type(exc).__name__}: {exc}") from exc
        self._request = self._compiled.create_infer_request()
        self._n_inputs = len(self._compiled.inputs)
        self._n_outputs = len(self._compiled.outputs)

    def __call__(self, x: Any = None, **kwargs: Any) -> list[np.ndarray]:
        if x is None:
            x = kwargs.get("x")
        if x is None:
            raise TypeError("OpenVINORunner needs its inputs as x")
        if isinstance(x, np.ndarray):
            x = [x]
        if len(x) != self._n_inputs:
            raise ValueError(f"the model takes {self._n_inputs} inputs, got {len(x)}")
        if not _first_infer_done.is_set():
            with _first_infer_lock:
                out = self._infer(x)
                _first_infer_done.set()
                return out
        return self._infer(x)

    def _infer(self, x: list[Any]) -> list[np.ndarray]:
        self._request.infer({i: np.ascontiguousarray(a) for i, a in enumerate(x)})
        # copies: the request's output buffers are overwritten by the next inference
        return [np.array(self._request.get_output_tensor(i).data) for i in range(self._n_outputs)]

    def close(self) -> None:
        self._request = None
        self._compiled = None


def install(predictor: Any, model_dir: Path, *, threads: int, precision: str) -> str:
    """Replace the inference runner of a ``paddleocr`` module object (TextDetection, TextRecognition,
    DocImgOrientationClassification) by an :class:`OpenVINORunner` on the same ONNX file; returns the
    precision in use."""
    inner = getattr(predictor, "paddlex_predictor", None)
    if inner is None or not hasattr(inner, "runner"):
        raise EngineLoadError(
            f"cannot run {type(predictor).__name__} on OpenVINO: this paddleocr/paddlex version has no "
            "replaceable runner (use OCR_CPU_RUNTIME=onnxruntime)"
        )
    onnx_path = Path(model_dir) / "inference.onnx"
    if not onnx_path.is_file():
        raise EngineLoadError(f"OpenVINO needs an ONNX model: {onnx_path} does not exist")
    runner = OpenVINORunner(onnx_path, threads=threads, precision=precision)
    old = inner.runner
    inner.runner = runner
    try:
        old.close()
    except Exception:  # the ONNX Runtime runner's close is a no-op; never fail a load on it
        log.debug("closing the replaced runner failed", exc_info=True)
    return runner.precision
