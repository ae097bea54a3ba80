"""Pieces shared by every page reader: quad crops, a plain det -> crop -> rec loop in the service's
reading order (app.engines.reading_order), and the character error rate used by the accuracy evaluation
and the tests.

The service's batched workers (app/serving/) build on :func:`crop_quad`; :func:`read_page_sync` is a plain
synchronous loop for engine-level tests and the benchmark's baseline (the service's accuracy is measured
through its own path: ``python -m scripts.ocr_eval``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

import cv2
import numpy as np

from app.engines.base import Quad, Recognized, TextDetector, TextRecognizer
from app.engines.reading_order import order_indices, row_groups

# a crop this much taller than wide may be a vertical line: it is also read turned (read_either_way_up)
VERTICAL_RATIO = 1.5


def _to_rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_RGBA2RGB)
    return image


# a crop whose grey levels span less than this has no ink (blank paper, a flat background)
MIN_INK_CONTRAST = 24


def has_ink(crop: np.ndarray, min_contrast: int = MIN_INK_CONTRAST) -> bool:
    """Whether a crop has any contrast at all (readers "read" text into blank crops)."""
    return bool(crop.size) and bool(np.ptp(crop) >= min_contrast)


def to_bgr(image: np.ndarray) -> np.ndarray:
    """RGB/RGBA/gray uint8 -> contiguous BGR uint8 (what PaddleX and the RapidAI engines expect of arrays)."""
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    elif image.shape[2] == 4:
        image = image[:, :, :3]
    return np.ascontiguousarray(image[:, :, ::-1])


def crop_quad(image: np.ndarray, quad: Quad) -> np.ndarray:
    """Perspective-crop the text quad (4 points clockwise from top-left) out of an RGB image.

    The output is the quad as it stands on the page: width = the longer of the top/bottom edges, height =
    the longer of the left/right edges. A crop much taller than wide is left standing: the recognizers read
    it both ways (:func:`read_either_way_up`). Returns an empty (0-size) array for a degenerate quad.
    """
    pts = np.asarray(quad, dtype=np.float32).reshape(4, 2)
    width = round(max(np.linalg.norm(pts[0] - pts[1]), np.linalg.norm(pts[3] - pts[2])))
    height = round(max(np.linalg.norm(pts[0] - pts[3]), np.linalg.norm(pts[1] - pts[2])))
    image = _to_rgb(image)
    if width < 1 or height < 1:
        return np.zeros((0, 0, 3), dtype=np.uint8)
    dst = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(pts, dst)
    return cv2.warpPerspective(image, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def is_tall(crop: np.ndarray) -> bool:
    return crop.ndim >= 2 and crop.shape[0] >= VERTICAL_RATIO * max(1, crop.shape[1])


def _square(crop: np.ndarray) -> np.ndarray:
    """A tall crop widened to a square with its own border: a lone ``1`` padded only on its right to the
    recognizer's minimum width read at 0.5-0.6 (sometimes as ``r``), centred in paper at 1.00."""
    h, w = crop.shape[:2]
    left = (h - w) // 2
    return cv2.copyMakeBorder(crop, 0, 0, left, h - w - left, cv2.BORDER_REPLICATE)


def read_either_way_up(
    read: Callable[[Sequence[np.ndarray]], list[Recognized]], crops: Sequence[np.ndarray]
) -> list[Recognized]:
    """``read`` (a recognizer's own loop) over ``crops``, each crop much taller than wide read both as it
    stands (centred on a square of its own paper) and turned a quarter counter-clockwise; the surer reading
    is kept (the turned one on a tie).

    A tall box is a vertical line (text printed down a spine or a form's margin: turned, it reads left to
    right) or one or two glyphs standing upright: a receipt's count ``1``, ``4`` or ``0`` is a box about
    twice as tall as wide. Turning every tall crop, as line recognizers do, read those counts as ``—``,
    ``=`` or ``>`` at low confidence; upright they read ``1`` at 1.00 (real receipt photos, docs/accuracy.md).
    """
    tall = [i for i, c in enumerate(crops) if c.size and is_tall(c)]
    if not tall:
        return read(crops)
    standing = [_square(c) if k in tall else c for k, c in enumerate(crops)]
    results = read([*standing, *(np.ascontiguousarray(np.rot90(crops[i])) for i in tall)])
    out = list(results[: len(crops)])
    for i, turned in zip(tall, results[len(crops) :], strict=True):
        if turned.confidence >= out[i].confidence:
            out[i] = turned
    return out


# ---------------------------------------------------------------- empty borders

# a pixel is background when every channel is within this of the border colour
CONTENT_TOLERANCE = 16
# kept around the content: the detectors need context around a line (with 32 px PP-OCRv5 det split
# a line of large text into words), and text near the content never sits at the edge of their input
CONTENT_MARGIN = 64


Box = tuple[int, int, int, int]


def content_box(image: np.ndarray, *, tolerance: int = CONTENT_TOLERANCE, margin: int = CONTENT_MARGIN) -> Box | None:
    """``(x0, y0, x1, y1)`` around everything that differs from the page's border colour, grown by
    ``margin`` and clipped to the image; ``None`` when the whole image is that one colour.

    The border colour is the median of the outermost rows and columns, so white paper, dark slides and
    coloured backgrounds all work; a photo with no uniform border gives (about) the whole image.
    """
    rgb = _to_rgb(image)
    h, w = rgb.shape[:2]
    if h == 0 or w == 0:
        return None
    frame = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    bg = np.median(frame, axis=0)
    lower = tuple(float(max(0.0, v - tolerance)) for v in bg)
    upper = tuple(float(min(255.0, v + tolerance)) for v in bg)
    # 255 where every channel is near the border colour (the stubs lack the Scalar bounds overload)
    background = cv2.inRange(rgb, lower, upper)  # type: ignore[call-overload]
    rows = np.flatnonzero(background.min(axis=1) == 0)
    if rows.size == 0:
        return None
    cols = np.flatnonzero(background.min(axis=0) == 0)
    x0, x1 = max(0, int(cols[0]) - margin), min(w, int(cols[-1]) + 1 + margin)
    y0, y1 = max(0, int(rows[0]) - margin), min(h, int(rows[-1]) + 1 + margin)
    return x0, y0, x1, y1


def align_box(box: Box, multiple: int, width: int, height: int) -> Box:
    """Grow ``box`` so that its sides are multiples of ``multiple`` (where the image is large enough),
    staying inside the ``width`` x ``height`` image: a detector that rounds its input to a multiple of
    32 then sees the crop at its own scale instead of a stretched one."""

    def grow(lo: int, hi: int, size: int) -> tuple[int, int]:
        want = min(size, -(-(hi - lo) // multiple) * multiple)
        lo = max(0, lo - (want - (hi - lo)) // 2)
        lo = min(lo, size - want)
        return lo, lo + want

    x0, x1 = grow(box[0], box[2], width)
    y0, y1 = grow(box[1], box[3], height)
    return x0, y0, x1, y1


def union_box(boxes: Sequence[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def order_quad(points: np.ndarray) -> Quad:
    """4 points in any order -> float32 (4, 2), clockwise from top-left (image coordinates, y down)."""
    pts = np.asarray(points, dtype=np.float32).reshape(4, 2)
    s = pts.sum(axis=1)
    d = np.diff(pts, axis=1).ravel()  # y - x
    tl, br = pts[np.argmin(s)], pts[np.argmax(s)]
    tr, bl = pts[np.argmin(d)], pts[np.argmax(d)]
    out = np.stack([tl, tr, br, bl]).astype(np.float32)
    if len({tuple(p) for p in out.tolist()}) < 4:  # ambiguous (e.g. 45° square): sort by angle instead
        c = pts.mean(axis=0)
        ang = np.arctan2(pts[:, 1] - c[1], pts[:, 0] - c[0])
        out = pts[np.argsort(ang)]
        start = int(np.argmin(out.sum(axis=1)))
        out = np.roll(out, -start, axis=0).astype(np.float32)
    return out


# ---------------------------------------------------------------- reading order


def quad_boxes(quads: Sequence[Quad]) -> list[tuple[float, float, float, float]]:
    """Axis-aligned (x0, y0, x1, y1) of each quad."""
    return [(float(q[:, 0].min()), float(q[:, 1].min()), float(q[:, 0].max()), float(q[:, 1].max())) for q in quads]


def page_text(results: Sequence[tuple[Quad, Recognized]]) -> str:
    """Page text: one visual row per line (boxes on the same row joined by a space), rows joined by \\n."""
    rows = row_groups(quad_boxes([q for q, _ in results]))
    lines = [" ".join(results[i][1].text for i in row if results[i][1].text).strip() for row in rows]
    return "\n".join(line for line in lines if line)


# ---------------------------------------------------------------- synchronous reference pipeline


def read_page_sync(
    detector: TextDetector, recognizer: TextRecognizer, image: np.ndarray
) -> list[tuple[Quad, Recognized]]:
    """Detect lines, crop them, recognise all crops as one batch; results in reading order.

    Boxes whose recognised text is empty (blank or unreadable regions) are left out.
    """
    image = _to_rgb(image)
    quads = detector.detect([image])[0]
    if not quads:
        return []
    order = order_indices(quad_boxes(quads))
    quads = [quads[i] for i in order]
    crops = [crop_quad(image, q) for q in quads]
    recognized = recognizer.recognize(crops)
    return [(q, r) for q, r in zip(quads, recognized, strict=True) if r.text.strip()]


# ---------------------------------------------------------------- character error rate


def levenshtein(a: Sequence[object], b: Sequence[object]) -> int:
    """Edit distance (insert, delete, substitute; cost 1 each) between two sequences."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


_SPACES = re.compile(r"[^\S\n]+")


def normalize_text(text: str, *, keep_spaces: bool = True) -> str:
    """NFC; runs of spaces -> one space; blank lines and line-edge spaces removed."""
    text = unicodedata.normalize("NFC", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    text = "\n".join(line for line in lines if line)
    if not keep_spaces:
        text = text.replace(" ", "")
    return text


def cer(hypothesis: str, reference: str, *, keep_spaces: bool = True) -> float:
    """Character error rate = Levenshtein(hyp, ref) / len(ref), on normalized text (may exceed 1)."""
    hyp = normalize_text(hypothesis, keep_spaces=keep_spaces)
    ref = normalize_text(reference, keep_spaces=keep_spaces)
    if not ref:
        return 0.0 if not hyp else 1.0
    return levenshtein(hyp, ref) / len(ref)
