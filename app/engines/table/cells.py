"""Matching OCR lines to cells and cutting cell crops (used by the structure pipeline)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from app.engines.table.base import (
    Box,
    TableStructure,
    center,
    overlap,
    to_gray,
)


def _ink(crop: np.ndarray) -> np.ndarray:
    """Whiten table rules in ``crop`` (in place) and return the mask of the remaining dark pixels.
    A rule runs through the whole crop (dark in the first and last row/column); glyph strokes do not."""
    dark = to_gray(crop) < 140
    if dark.shape[0] >= 8:
        rule_cols = (dark.mean(axis=0) >= 0.9) & dark[0] & dark[-1]
        crop[:, rule_cols] = 255
        dark[:, rule_cols] = False
    if dark.shape[1] >= 8:
        rule_rows = (dark.mean(axis=1) >= 0.9) & dark[:, 0] & dark[:, -1]
        crop[rule_rows, :] = 255
        dark[rule_rows, :] = False
    return dark


def _box_slice(image: np.ndarray, box: Box) -> np.ndarray:
    h_img, w_img = image.shape[:2]
    x0, y0 = max(0, int(np.floor(box[0]))), max(0, int(np.floor(box[1])))
    x1, y1 = min(w_img, int(np.ceil(box[2]))), min(h_img, int(np.ceil(box[3])))
    return np.array(image[y0:y1, x0:x1], dtype=np.uint8)


def _to_ink(crop: np.ndarray, dark: np.ndarray, margin: float) -> np.ndarray | None:
    ys, xs = np.nonzero(dark)
    if ys.size == 0:
        return None
    pad = max(2, int(margin * (ys.max() - ys.min() + 1)))
    ink = np.ascontiguousarray(crop[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])
    return cv2.copyMakeBorder(ink, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(255, 255, 255))


def piece_crop(image: np.ndarray, box: Box, margin: float = 0.3) -> np.ndarray:
    """A cell piece's crop for re-reading: table rules whitened, then cut to the ink with a white
    margin of ``margin`` ink heights (loose or rule-edged crops make line recognizers misread short text)."""
    crop = _box_slice(image, box)
    if crop.size == 0:
        return crop
    out = _to_ink(crop, _ink(crop), margin)
    return crop if out is None else out


def cell_ink_crop(
    image: np.ndarray, box: Box, inset: float = 4.0, min_height: int = 6, margin: float = 0.3
) -> np.ndarray | None:
    """The ink inside a cell that no text line covered (a detector miss, e.g. a lone digit), cropped
    for reading; None when the cell is blank."""
    inner = (box[0] + inset, box[1] + inset, box[2] - inset, box[3] - inset)
    if inner[2] - inner[0] < 4 or inner[3] - inner[1] < 4:
        return None
    crop = _box_slice(image, inner)
    if crop.size == 0:
        return None
    dark = _ink(crop)
    ys = np.nonzero(dark)[0]
    if ys.size < 12 or ys.max() - ys.min() + 1 < min_height:
        return None
    return _to_ink(crop, dark, margin)


# ---------------------------------------------------------------------------------------------------
# matching text lines to cells (used by the structure pipeline)


@dataclass(slots=True)
class LinePiece:
    """The part of a text line that falls inside one cell; ``whole`` when the line is entirely there."""

    line: int  # index into the lines given
    cell: int  # index into structure.cells
    bbox: Box
    whole: bool


def assign_lines(structure: TableStructure, lines: Sequence[Box], *, min_piece: float = 0.5) -> list[LinePiece]:
    """Which line (part) goes into which cell.

    A line whose centre lies in a cell and that barely leaves it belongs wholly to that cell. A line
    that crosses a cell border with a real piece on each side (at least ``min_piece`` line heights
    wide) is split at the borders into one piece per cell; the caller re-reads those pieces.
    Lines outside every cell are not returned.
    """
    out: list[LinePiece] = []
    for li, b in enumerate(lines):
        lh = max(1.0, b[3] - b[1])
        touching: list[tuple[int, Box]] = []
        for ci, cell in enumerate(structure.cells):
            cb = cell.bbox
            ox = overlap(b[0], b[2], cb[0], cb[2])
            oy = overlap(b[1], b[3], cb[1], cb[3])
            if ox <= 0 or oy < 0.5 * min(lh, cb[3] - cb[1]):
                continue
            piece = (max(b[0], cb[0]), max(b[1], cb[1]), min(b[2], cb[2]), min(b[3], cb[3]))
            touching.append((ci, piece))
        if not touching:
            continue
        big = [(ci, p) for ci, p in touching if p[2] - p[0] >= min_piece * lh]
        if len(big) <= 1:
            cx = center(b)[0]
            home = next(
                (ci for ci, _ in touching if structure.cells[ci].bbox[0] <= cx <= structure.cells[ci].bbox[2]),
                max(touching, key=lambda t: t[1][2] - t[1][0])[0],
            )
            out.append(LinePiece(li, home, b, True))
            continue
        for ci, piece in big:
            out.append(LinePiece(li, ci, (piece[0], b[1], piece[2], b[3]), False))
    return out
