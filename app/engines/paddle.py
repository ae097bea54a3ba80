"""PaddleOCR 3.x module-level engines: text detection, text recognition, document orientation.

Built on ``paddleocr.TextDetection`` / ``TextRecognition`` / ``DocImgOrientationClassification``
(PaddleX predictors), never on the all-in-one ``PaddleOCR`` pipeline, so the service controls batching.

Backends:
- ``onnxruntime`` (default, offline): ONNX model dirs from scripts/fetch_models.py, CPU (or GPU with
  onnxruntime-gpu). ``engine_config`` is the flat ONNX Runtime dict (threads, memory arena).
  With ``OCR_CPU_RUNTIME=openvino`` the same ONNX files run on OpenVINO's CPU plugin instead
  (app/engines/openvino.py; the engine then reports backend ``openvino``).
- ``paddle`` (production): Paddle-format model dirs, needs paddlepaddle / paddlepaddle-gpu; device
  ``gpu:0`` on a GPU host.

A ``ModelRef`` with ``path=None`` (only produced when OCR_MODEL_SOURCE=hub) lets PaddleX load the named
model from its cache (PADDLE_PDX_CACHE_HOME) or its model hosts. Images are RGB uint8 everywhere in
this service; PaddleX treats arrays as BGR, so every call converts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypedDict, Unpack

import cv2
import numpy as np

from app.engines import openvino
from app.engines.base import EngineInfo, EngineLoadError, Quad, Recognized
from app.engines.crops import align_box, content_box, order_quad, read_either_way_up, to_bgr, union_box
from app.engines.models import ModelRef

NAME = "paddleocr"
# PaddleX rejects crops below this size; such crops are answered as empty text
MIN_CROP_SIDE = 2
# crops per inference call when not given: on CPU one crop per call is fastest (measured on 2 cores,
# docs/accuracy.md "Time per stage": batching pads every crop to the widest of its batch); GPUs want batches
CPU_REC_BATCH = 1
GPU_REC_BATCH = 16
# the DB detectors round their input to a multiple of this; page crops are cut to it
DET_ALIGN = 32


def predictor_kwargs(
    *,
    name: str,
    path: Any,
    backend: str,
    device: str,
    cpu_threads: int = 0,
    mem_arena: bool = False,
) -> dict[str, Any]:
    """Constructor arguments shared by the three PaddleOCR module classes."""
    kwargs: dict[str, Any] = {
        "model_name": name,
        "model_dir": None if path is None else str(path),
        "engine": backend,
        "device": device,
    }
    if backend == "onnxruntime":
        cfg: dict[str, Any] = {"enable_cpu_mem_arena": bool(mem_arena)}
        if cpu_threads > 0:
            cfg["intra_op_num_threads"] = int(cpu_threads)
        kwargs["engine_config"] = cfg
    elif backend == "paddle":
        if cpu_threads > 0:
            kwargs["cpu_threads"] = int(cpu_threads)
    else:
        raise EngineLoadError(f"unknown OCR engine backend {backend!r} (use onnxruntime or paddle)")
    return kwargs


class Placement(TypedDict, total=False):
    """Where and how a PaddleOCR module runs (the same keyword arguments for all three classes)."""

    device: str  # cpu | gpu:N
    cpu_threads: int  # 0: the runtime's default
    mem_arena: bool  # ONNX Runtime's CPU memory arena
    runtime: str  # CPU runtime for ONNX models: onnxruntime | openvino
    precision: str  # OpenVINO inference precision: auto | f32 | bf16


PLACEMENT_DEFAULTS: Placement = {
    "device": "cpu",
    "cpu_threads": 0,
    "mem_arena": False,
    "runtime": "onnxruntime",
    "precision": "auto",
}


def _load(
    cls: Any, what: str, model: ModelRef, placement: Placement, extra: dict[str, Any] | None = None
) -> tuple[Any, str, str]:
    """Build one PaddleOCR module object on its device and CPU runtime: (predictor, backend, device)."""
    p: Placement = {**PLACEMENT_DEFAULTS, **placement}
    device = p["device"]
    kwargs = predictor_kwargs(
        name=model.paddlex_name,
        path=model.path,
        backend=model.backend,
        device=device,
        cpu_threads=p["cpu_threads"],
        mem_arena=p["mem_arena"],
    )
    predictor = _create(cls, what, kwargs, extra)
    backend = use_cpu_runtime(
        predictor,
        model,
        device=device,
        cpu_threads=p["cpu_threads"],
        runtime=p["runtime"],
        precision=p["precision"],
    )
    return predictor, backend, device


def _create(cls: Any, what: str, kwargs: dict[str, Any], extra: dict[str, Any] | None = None) -> Any:
    try:
        return cls(**kwargs, **(extra or {}))
    except Exception as exc:
        src = kwargs.get("model_dir") or "PaddleX model cache/hub"
        hint = ""
        if kwargs.get("engine") == "paddle" and "paddle" in str(exc).lower():
            hint = " (engine paddle needs the paddlepaddle or paddlepaddle-gpu package)"
        raise EngineLoadError(
            f"cannot load {what} model {kwargs['model_name']!r} from {src} "
            f"(engine {kwargs['engine']}, device {kwargs['device']}): {type(exc).__name__}: {exc}{hint}"
        ) from exc


CPU_RUNTIMES = ("onnxruntime", "openvino")


def use_cpu_runtime(
    predictor: Any, model: ModelRef, *, device: str, cpu_threads: int, runtime: str, precision: str
) -> str:
    """Put a freshly built ``paddleocr`` module object on the chosen CPU runtime; returns the backend
    name the engine reports. Only ONNX models on the CPU change runtime: Paddle-format models, GPUs
    and hub models (no local ONNX file) keep the backend they were built with."""
    if runtime not in CPU_RUNTIMES:
        raise EngineLoadError(f"unknown CPU runtime {runtime!r} (use one of {', '.join(CPU_RUNTIMES)})")
    if model.path is None or configured_backend(model.backend, device, runtime) != "openvino":
        return model.backend
    openvino.install(predictor, model.path, threads=cpu_threads, precision=precision)
    return "openvino"


def configured_backend(engine_backend: str, device: str, runtime: str) -> str:
    """The backend a locally loaded model of these settings reports (for engines not built here)."""
    if engine_backend == "onnxruntime" and device == "cpu" and runtime == "openvino":
        return "openvino"
    return engine_backend


def _score(value: Any) -> float:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return 0.0
    if math.isnan(f):
        return 0.0
    return min(1.0, max(0.0, f))


class PaddleTextDetector:
    """DB text-line detector (PP-OCRv5/v6 det). ``detect`` returns quads clockwise from top-left.

    ``limit_type="min", limit_side_len=64`` is what the PaddleOCR pipeline uses: the page is kept at
    (about) its own resolution, which finds small lines on A4 pages; the module's own default for
    PP-OCRv5 (max 960) misses lines on 150 dpi pages.

    ``trim_borders``: only the part of a page inside its uniform border (white margins, blank bottoms)
    goes through the model, with a margin; the lines found are the same and a page that is mostly
    margin costs a fraction of the time. A page of one colour is answered with no lines and no inference.
    Pages batched together are cut to one common box, so they keep one shape.

    ``min_scale`` / ``text_px`` (detection at the size the text needs): a page whose (trimmed) longer
    side exceeds ``probe_side`` is first detected at a reduced size (never below ``min_scale`` of its
    own); when the smallest lines found there (10th percentile of their heights) are at least
    ``text_px`` pixels tall, those boxes are the answer, scaled back to the page; otherwise the page is
    detected again at the size that brings those lines to ``text_px`` (at most its own). Large text
    (phone photos, 300 dpi scans) then costs a fraction of the time; small text is read at full size.
    ``min_scale=1`` turns it off.
    """

    def __init__(
        self,
        model: ModelRef,
        *,
        limit_type: str = "min",
        limit_side_len: int = 64,
        max_side_limit: int = 4000,
        thresh: float | None = None,
        box_thresh: float | None = None,
        unclip_ratio: float | None = None,
        trim_borders: bool = True,
        min_scale: float = 1.0,
        text_px: float = 16.0,
        probe_side: int = 1024,
        **placement: Unpack[Placement],
    ) -> None:
        from paddleocr import TextDetection

        extra = {
            "limit_type": limit_type,
            "limit_side_len": limit_side_len,
            "thresh": thresh,
            "box_thresh": box_thresh,
            "unclip_ratio": unclip_ratio,
        }
        self._predictor, backend, device = _load(TextDetection, "text detection", model, placement, extra)
        self._max_side_limit = max_side_limit
        self._trim_borders = trim_borders
        self._min_scale = min(1.0, max(0.05, float(min_scale)))
        self._text_px = float(text_px)
        self._probe_side = int(probe_side)
        # the scales the last page was detected at ([1.0]: its own size; [probe, second pass]): tests, logs
        self.last_scales: list[float] = []
        self.info = EngineInfo(name=NAME, backend=backend, device=device, models={"det": model.name})

    def detect(self, images: Sequence[np.ndarray]) -> list[list[Quad]]:
        out: list[list[Quad]] = [[] for _ in images]
        # same-shape images can share one batch (the detector keeps each page's own resolution)
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, img in enumerate(images):
            groups.setdefault(tuple(img.shape), []).append(i)
        for shape, idx in groups.items():
            x0, y0, x1, y1 = 0, 0, shape[1], shape[0]  # the whole page
            if self._trim_borders:
                found = [content_box(images[i]) for i in idx]
                idx = [i for i, b in zip(idx, found, strict=True) if b is not None]  # a blank page has no lines
                if not idx:
                    continue
                x0, y0, x1, y1 = align_box(union_box([b for b in found if b is not None]), DET_ALIGN, x1, y1)
            offset = np.array([x0, y0], dtype=np.float32)
            crops = [images[i][y0:y1, x0:x1] for i in idx]
            if self._min_scale < 1.0 and max(y1 - y0, x1 - x0) > self._probe_side:
                polys = [self._detect_scaled(crop) for crop in crops]
            else:
                polys = self._predict([to_bgr(c) for c in crops])
                self.last_scales = [1.0] * len(crops)
            for i, found_polys in zip(idx, polys, strict=True):
                quads = []
                for poly in found_polys:
                    q = order_quad(np.asarray(poly, dtype=np.float32) + offset)
                    if _quad_ok(q):
                        quads.append(q)
                out[i] = quads
        return out

    def _predict(self, batch: list[np.ndarray]) -> list[list[np.ndarray]]:
        results = self._predictor.predict(batch, batch_size=len(batch), max_side_limit=self._max_side_limit)
        return [[np.asarray(p, dtype=np.float32) for p in res["dt_polys"]] for res in results]

    def _detect_scaled(self, crop: np.ndarray) -> list[np.ndarray]:
        """Detect at a reduced size first; again at the size the smallest lines need when they are small."""
        h, w = crop.shape[:2]
        probe = max(self._min_scale, self._probe_side / max(h, w))
        small_page, back = _resized(crop, probe)
        polys = self._predict([to_bgr(small_page)])[0]
        heights = [_poly_height(p) for p in polys]
        self.last_scales = [probe]
        if heights:
            small = float(np.percentile(heights, 10))
            if small >= self._text_px:
                return [p * back for p in polys]
            scale = min(1.0, probe * self._text_px / max(small, 1.0))
        else:  # nothing found at the reduced size: tiny text or none; look at full size
            scale = 1.0
        self.last_scales.append(scale)
        if scale >= 1.0:
            return self._predict([to_bgr(crop)])[0]
        page, back = _resized(crop, scale)
        return [p * back for p in self._predict([to_bgr(page)])[0]]

    def close(self) -> None:
        self._predictor.close()


def _resized(image: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """The image at ``scale`` (area interpolation) and the (x, y) factors that map its points back."""
    h, w = image.shape[:2]
    size = (max(DET_ALIGN, round(w * scale)), max(DET_ALIGN, round(h * scale)))
    back = np.array([w / size[0], h / size[1]], dtype=np.float32)
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), back


def _poly_height(poly: np.ndarray) -> float:
    """A detected line's height: the shorter side of its minimum-area rectangle."""
    (_, _), (rw, rh), _ = cv2.minAreaRect(np.asarray(poly, dtype=np.float32).reshape(-1, 2))
    return float(min(rw, rh))


def _quad_ok(q: np.ndarray) -> bool:
    w = max(np.linalg.norm(q[0] - q[1]), np.linalg.norm(q[3] - q[2]))
    h = max(np.linalg.norm(q[0] - q[3]), np.linalg.norm(q[1] - q[2]))
    return bool(w >= MIN_CROP_SIDE and h >= MIN_CROP_SIDE)


class PaddleTextRecognizer:
    """CTC text-line recognizer (PP-OCRv5/v6 rec, or a language model such as korean_PP-OCRv5_mobile_rec).

    ``recognize`` takes any number of crops and runs them in batches of at most ``max_batch`` (default:
    1 on CPU, 16 on GPU): crops are sorted by aspect ratio first (PaddleX pads every crop of a batch to the
    widest one), then results are put back in the input order. The runtime may hand in crops of several
    requests at once.
    """

    def __init__(
        self,
        model: ModelRef,
        *,
        max_batch: int | None = None,
        min_width: int | None = None,
        **placement: Unpack[Placement],
    ) -> None:
        from paddleocr import TextRecognition

        self._predictor, backend, device = _load(TextRecognition, "text recognition", model, placement)
        if min_width:
            _set_min_width(self._predictor, int(min_width))
        if max_batch is None:
            max_batch = CPU_REC_BATCH if device == "cpu" else GPU_REC_BATCH
        self.max_batch = max(1, int(max_batch))
        self.info = EngineInfo(name=NAME, backend=backend, device=device, models={"rec": model.name})

    def recognize(self, crops: Sequence[np.ndarray]) -> list[Recognized]:
        return read_either_way_up(self._recognize, crops)

    def _recognize(self, crops: Sequence[np.ndarray]) -> list[Recognized]:
        results: list[Recognized] = [Recognized("", 0.0)] * len(crops)
        valid = [i for i, c in enumerate(crops) if c.ndim >= 2 and min(c.shape[:2]) >= MIN_CROP_SIDE]
        valid.sort(key=lambda i: crops[i].shape[1] / crops[i].shape[0])
        for start in range(0, len(valid), self.max_batch):
            chunk = valid[start : start + self.max_batch]
            preds = self._predictor.predict([to_bgr(crops[i]) for i in chunk], batch_size=len(chunk))
            for i, pred in zip(chunk, preds, strict=True):
                results[i] = Recognized(str(pred["rec_text"]), _score(pred["rec_score"]))
        return results

    def close(self) -> None:
        self._predictor.close()


def _set_min_width(predictor: Any, min_width: int) -> None:
    """Crops narrower than ``min_width`` (at the model's input height) are padded to it before recognition;
    PaddleX pads every crop to 320 px. Each model call costs in proportion to its width, so a short word
    padded to 320 costs as much as a line of 320 px."""
    inner = getattr(predictor, "paddlex_predictor", predictor)
    resize = getattr(inner, "pre_tfs", {}).get("ReisizeNorm")
    shape = getattr(resize, "rec_image_shape", None)
    if resize is None or shape is None or len(shape) != 3:
        raise EngineLoadError("this paddlex version has no recognizer input width to set (unset OCR_REC_MIN_WIDTH)")
    resize.rec_image_shape = [shape[0], shape[1], max(8, min_width)]


class PaddleOrientationClassifier:
    """Whole-page orientation (PP-LCNet_x1_0_doc_ori): 0, 90, 180 or 270 degrees, clockwise.

    Answers below ``min_score`` count as 0 (leave the page as it is): on real pages (rendered A4 pages,
    photos of documents) the classifier's top score was 0.82-0.93 for all four rotations, while its
    wrong answers on one-line images, transparent PNGs and a black image scored 0.26-0.77.
    """

    def __init__(
        self,
        model: ModelRef,
        *,
        max_batch: int = 8,
        min_score: float = 0.75,
        **placement: Unpack[Placement],
    ) -> None:
        from paddleocr import DocImgOrientationClassification

        # always float32: the answer is a cut on the top score, and bfloat16 moved a real receipt photo's
        # score across it (0.73 -> 0.78, turned upside down); one 224x224 inference per page costs little
        placement = {**placement, "precision": "f32"}
        self._predictor, backend, device = _load(
            DocImgOrientationClassification, "document orientation", model, placement
        )
        self.max_batch = max(1, int(max_batch))
        self.min_score = min_score
        self.info = EngineInfo(name=NAME, backend=backend, device=device, models={"orientation": model.name})

    def classify_scored(self, images: Sequence[np.ndarray]) -> list[tuple[int, float]]:
        """(angle, score) per image, without the ``min_score`` cut."""
        out: list[tuple[int, float]] = []
        for start in range(0, len(images), self.max_batch):
            chunk = [to_bgr(img) for img in images[start : start + self.max_batch]]
            for pred in self._predictor.predict(chunk, batch_size=len(chunk)):
                labels, scores = pred["label_names"], pred["scores"]
                try:
                    angle = int(labels[0])
                except (TypeError, ValueError, IndexError):
                    angle = 0
                score = _score(scores[0]) if len(scores) else 0.0
                out.append((angle if angle in (0, 90, 180, 270) else 0, score))
        return out

    def classify(self, images: Sequence[np.ndarray]) -> list[int]:
        return [angle if score >= self.min_score else 0 for angle, score in self.classify_scored(images)]

    def close(self) -> None:
        self._predictor.close()
