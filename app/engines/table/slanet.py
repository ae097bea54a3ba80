"""Method 2, ``slanet``: rapid-table with the SLANet (PP-Structure en) ONNX model, for tables without a full
grid of rules; row and column extents are rebuilt from its cell boxes so the OCR lines can be matched."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from app.engines.base import EngineLoadError
from app.engines.models import FETCH_HINT, rapid_engine_cfg
from app.engines.table.base import (
    TableCell,
    TableStructure,
)

# ---------------------------------------------------------------------------------------------------
# 2. SLANet through rapid-table


def _bands(spans: Sequence[tuple[int, int, float, float]], n: int, lo: float, hi: float) -> list[float]:
    """Boundaries (n + 1 values) of n rows/columns from the extents of cells spanning one row/column
    ((first, last, a, b) each); rows/columns no such cell covers are interpolated from their neighbours."""
    lows: list[list[float]] = [[] for _ in range(n)]
    highs: list[list[float]] = [[] for _ in range(n)]
    for i0, i1, a, b in spans:
        if i0 == i1 and 0 <= i0 < n:
            lows[i0].append(a)
            highs[i0].append(b)
    known = {i: (float(np.median(lows[i])), float(np.median(highs[i]))) for i in range(n) if lows[i]}
    if not known:
        step = (hi - lo) / max(n, 1)
        return [lo + step * i for i in range(n + 1)]
    centers: list[tuple[float, float]] = []
    for i in range(n):
        if i in known:
            centers.append(known[i])
            continue
        prev = max((k for k in known if k < i), default=-1)
        nxt = min((k for k in known if k > i), default=-1)
        if prev >= 0 and nxt >= 0:
            f = (i - prev) / (nxt - prev)
            (pa, pb), (na, nb) = known[prev], known[nxt]
            centers.append((pa + (na - pa) * f, pb + (nb - pb) * f))
        elif prev >= 0:
            pa, pb = known[prev]
            w = pb - pa
            centers.append((pb + (i - prev - 1) * w, pb + (i - prev) * w))
        else:
            na, nb = known[nxt]
            w = nb - na
            centers.append((na - (nxt - i) * w, na - (nxt - i - 1) * w))
    bounds = [lo]
    for i in range(n - 1):
        cut = (centers[i][1] + centers[i + 1][0]) / 2
        bounds.append(max(bounds[-1] + 1, cut))
    bounds.append(max(bounds[-1] + 1, hi))
    return bounds


class SlanetStructure:
    """SLANet (rapid-table) structure only: logical cells and their boxes; OCR is our own."""

    def __init__(self, model_path: str | Path, *, cpu_threads: int = 0, device: str = "cpu") -> None:
        try:
            from rapid_table import ModelType, RapidTable, RapidTableInput
            from rapid_table.table_matcher import TableMatch
        except ImportError as exc:
            raise EngineLoadError(f"rapid-table is not installed: {exc}") from exc
        path = Path(model_path)
        if not path.is_file():
            raise EngineLoadError(f"table structure model {path} is missing; {FETCH_HINT}")
        cfg = RapidTableInput(
            model_type=ModelType.PPSTRUCTURE_EN,
            model_dir_or_path=str(path),
            engine_cfg=rapid_engine_cfg(cpu_threads=cpu_threads, device=device),
            use_ocr=False,
        )
        try:
            self._table = RapidTable(cfg)
        except Exception as exc:
            raise EngineLoadError(f"cannot load table model {path}: {type(exc).__name__}: {exc}") from exc
        self._matcher = TableMatch()
        self.model = path.stem

    def __call__(self, image: np.ndarray) -> TableStructure | None:
        h, w = image.shape[:2]
        bgr = np.ascontiguousarray(image[:, :, :3][:, :, ::-1])
        structs, boxes = self._table.table_structure([bgr])
        if not structs:
            return None
        tokens, score = structs[0]
        logic = self._matcher.decode_one_logic_points(tokens)
        cell_boxes = np.asarray(boxes[0], dtype=np.float64)
        if not logic or len(cell_boxes) != len(logic):
            return None
        if cell_boxes.ndim == 2 and cell_boxes.shape[1] == 8:
            xs, ys = cell_boxes[:, 0::2], cell_boxes[:, 1::2]
            cell_boxes = np.stack([xs.min(1), ys.min(1), xs.max(1), ys.max(1)], axis=1)
        n_rows = max(int(p[1]) for p in logic) + 1
        n_cols = max(int(p[3]) for p in logic) + 1
        row_b = _bands(
            [(int(p[0]), int(p[1]), float(b[1]), float(b[3])) for p, b in zip(logic, cell_boxes, strict=True)],
            n_rows,
            0.0,
            float(h),
        )
        col_b = _bands(
            [(int(p[2]), int(p[3]), float(b[0]), float(b[2])) for p, b in zip(logic, cell_boxes, strict=True)],
            n_cols,
            0.0,
            float(w),
        )
        cells = [
            TableCell(
                int(p[0]),
                int(p[2]),
                int(p[1]) - int(p[0]) + 1,
                int(p[3]) - int(p[2]) + 1,
                (col_b[int(p[2])], row_b[int(p[0])], col_b[int(p[3]) + 1], row_b[int(p[1]) + 1]),
            )
            for p in logic
        ]
        return TableStructure(n_rows, n_cols, cells, "slanet", round(float(score), 4))
