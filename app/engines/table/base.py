"""The table engine's types (cells, the grid, the recognizer protocol) and the geometry helpers its methods share."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Protocol, runtime_checkable

import cv2
import numpy as np

from app.engines.base import EngineInfo

log = logging.getLogger(__name__)

Box = tuple[float, float, float, float]  # x0, y0, x1, y1


@dataclass(slots=True)
class TableCell:
    row: int
    col: int
    rowspan: int
    colspan: int
    bbox: Box  # the cell's extent in the table image


@dataclass(slots=True)
class TableStructure:
    rows: int
    cols: int
    cells: list[TableCell] = field(default_factory=list)
    method: str = "none"  # ruled | slanet | alignment | none
    score: float = 1.0

    @property
    def spans(self) -> bool:
        return any(c.rowspan > 1 or c.colspan > 1 for c in self.cells)

    def shifted(self, dx: float, dy: float) -> TableStructure:
        cells = [
            TableCell(
                c.row,
                c.col,
                c.rowspan,
                c.colspan,
                (c.bbox[0] + dx, c.bbox[1] + dy, c.bbox[2] + dx, c.bbox[3] + dy),
            )
            for c in self.cells
        ]
        return TableStructure(self.rows, self.cols, cells, self.method, self.score)


@runtime_checkable
class TableRecognizer(Protocol):
    info: EngineInfo

    def recognize(self, images: Sequence[np.ndarray], lines: Sequence[Sequence[Box]]) -> list[TableStructure]:
        """Table images (RGB uint8) + the boxes of the text lines in each -> one structure per image."""
        ...

    def find_tables(self, image: np.ndarray, lines: Sequence[Box]) -> list[Box]:
        """Ruled tables on a whole page (boxes), so tables the layout model missed are still read."""
        ...


# ---------------------------------------------------------------------------------------------------
# helpers


def to_gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    return cv2.cvtColor(np.ascontiguousarray(image[:, :, :3]), cv2.COLOR_RGB2GRAY)


def line_height(lines: Sequence[Box], default: float = 24.0) -> float:
    hs = [b[3] - b[1] for b in lines if b[3] - b[1] > 2]
    return float(median(hs)) if hs else default


def cluster(values: Sequence[float], tol: float) -> list[float]:
    """Sorted values grouped where neighbours are within tol; returns each group's mean."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [float(np.mean(g)) for g in out]


def overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def center(b: Box) -> tuple[float, float]:
    return (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
