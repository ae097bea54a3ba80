"""Real inference on rendered pages with known text: line detection, CER targets, orientation.

Targets (docs/accuracy.md): Korean CER <= 3 %, English CER <= 1 % on clean rendered pages.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.engines.crops import cer, crop_quad, page_text, read_page_sync
from tests.engines.helpers import DATA, load_rgb
from tests.render import ENGLISH_SAMPLE, KOREAN_SAMPLE, Placed, render_lines

pytestmark = pytest.mark.slow

KOREAN_MAX_CER = 0.03
ENGLISH_MAX_CER = 0.01


def iou(quad: np.ndarray, bbox: tuple[int, int, int, int]) -> float:
    x0, y0, x1, y1 = quad[:, 0].min(), quad[:, 1].min(), quad[:, 0].max(), quad[:, 1].max()
    ix = max(0.0, min(x1, bbox[2]) - max(x0, bbox[0]))
    iy = max(0.0, min(y1, bbox[3]) - max(y0, bbox[1]))
    inter = ix * iy
    union = (x1 - x0) * (y1 - y0) + (bbox[2] - bbox[0]) * (bbox[3] - bbox[1]) - inter
    return float(inter / union) if union > 0 else 0.0


@pytest.mark.parametrize(
    ("sample", "font", "size", "png"),
    [(KOREAN_SAMPLE, "nanum", 30, "korean_invoice.png"), (ENGLISH_SAMPLE, "dejavu", 28, "english_invoice.png")],
)
def test_detector_finds_every_line(engines: Any, sample: list[str], font: str, size: int, png: str) -> None:
    image = load_rgb(DATA / png)
    rendered, placed = render_lines(sample, font_name=font, size=size)
    assert np.array_equal(np.asarray(rendered.convert("L")), image[:, :, 0]), "re-run scripts/make_samples.py"
    quads = engines.detector.detect([image])[0]
    assert len(quads) == len(sample)
    for p in placed:
        best = max(iou(q, p.bbox) for q in quads)
        assert best >= 0.5, (p.text, best)
    for q in quads:
        assert q.shape == (4, 2) and q.dtype == np.float32
        assert q[0, 0] < q[1, 0] and q[0, 1] < q[3, 1]  # clockwise from top-left


def _pages(sample: list[str], font: str, png: str) -> list[tuple[str, np.ndarray]]:
    pages = [(png, load_rgb(DATA / png))]
    for size in (22, 38):
        img, _ = render_lines(sample, font_name=font, size=size)
        pages.append((f"{font} {size}px", np.asarray(img)))
    return pages


def test_korean_cer_target(engines: Any) -> None:
    rec = engines.recognizer_for("korean")
    reference = "\n".join(KOREAN_SAMPLE)
    for name, image in _pages(KOREAN_SAMPLE, "nanum", "korean_invoice.png"):
        results = read_page_sync(engines.detector, rec, image)
        text = page_text(results)
        assert cer(text, reference) <= KOREAN_MAX_CER, (name, text)
        assert all(0.0 <= r.confidence <= 1.0 for _, r in results)


def test_english_cer_target(engines: Any) -> None:
    rec = engines.recognizer_for("en")
    reference = "\n".join(ENGLISH_SAMPLE)
    for name, image in _pages(ENGLISH_SAMPLE, "dejavu", "english_invoice.png"):
        results = read_page_sync(engines.detector, rec, image)
        text = page_text(results)
        assert cer(text, reference) <= ENGLISH_MAX_CER, (name, text)
        assert all(0.5 <= r.confidence <= 1.0 for _, r in results)


def test_korean_lines_one_by_one(engines: Any) -> None:
    """Every line of the invoice, recognised from its own crop: at most one wrong character per line."""
    image = load_rgb(DATA / "korean_invoice.png")
    _, placed = render_lines(KOREAN_SAMPLE, font_name="nanum", size=30)
    quads = engines.detector.detect([image])[0]
    rec = engines.recognizer_for("korean")
    for p in placed:
        q = max(quads, key=lambda q, p=p: iou(q, p.bbox))
        got = rec.recognize([crop_quad(image, q)])[0]
        assert cer(got.text, p.text) * len(p.text) <= 1, (p.text, got.text)


@pytest.mark.parametrize("angle", [90, 180, 270])
def test_orientation_of_rotated_page(engines: Any, angle: int) -> None:
    image = load_rgb(DATA / "korean_invoice.png")
    # content rotated clockwise by `angle` == np.rot90 counter-clockwise by 360 - angle
    rotated = np.ascontiguousarray(np.rot90(image, k=(360 - angle) // 90))
    assert engines.orientation.classify([image, rotated]) == [0, angle]


def test_recognizer_batches_keep_input_order(engines: Any, engine_settings: Any) -> None:
    """Crops of mixed widths in batches of 4 (sorted by aspect ratio inside) come back in input order."""
    from app.engines.models import resolve_model
    from app.engines.paddle import PaddleTextRecognizer

    image = load_rgb(DATA / "english_invoice.png")
    placed: list[Placed] = render_lines(ENGLISH_SAMPLE, font_name="dejavu", size=28)[1]
    crops = [image[p.bbox[1] - 4 : p.bbox[3] + 4, p.bbox[0] - 4 : p.bbox[2] + 4] for p in placed]
    crops.insert(3, np.zeros((0, 10, 3), dtype=np.uint8))  # an empty crop keeps its slot
    ref = resolve_model(engine_settings.models_dir, engine_settings.ocr_rec_model, "onnxruntime")
    batched = PaddleTextRecognizer(ref, max_batch=4)
    out = batched.recognize(crops)
    assert [r.text for r in out] == [*ENGLISH_SAMPLE[:3], "", *ENGLISH_SAMPLE[3:]]
    assert [r.text for r in engines.recognizer_for("en").recognize(crops)] == [r.text for r in out]
    batched.close()


def test_tesseract_blank_and_tiny_crops(engines: Any) -> None:
    rec = engines.recognizer_for("korean")
    blank = np.full((40, 300, 3), 255, dtype=np.uint8)
    out = rec.recognize([blank, np.zeros((1, 1, 3), dtype=np.uint8), np.zeros((0, 0, 3), dtype=np.uint8)])
    assert [r.text for r in out] == ["", "", ""]
    assert all(r.confidence == 0.0 for r in out)
    assert rec.recognize([]) == []
    assert engines.recognizer_for("en").recognize([]) == []
    assert engines.detector.detect([]) == []


def _receipt_rows() -> tuple[np.ndarray, list[list[str]]]:
    """Item rows as a receipt prints them: a name, then price, count and amount far apart (a lone count is a
    box about twice as tall as wide)."""
    from PIL import Image, ImageDraw

    from tests.render import font

    rows = [["콜라", "2,000", "1", "2,000"], ["새로", "5,500", "4", "22,000"], ["할인", "0", "1", "0"]]
    img = Image.new("RGB", (900, 90 * len(rows) + 80), "white")
    draw = ImageDraw.Draw(img)
    f = font("nanum", 34)
    for r, row in enumerate(rows):
        for text, x in zip(row, (60, 330, 560, 720), strict=True):
            draw.text((x, 50 + 90 * r), text, fill="black", font=f)
    return np.asarray(img), rows


@pytest.mark.parametrize("lang", ["korean", "en"])
def test_lone_digits_are_read_standing(engines: Any, lang: str) -> None:
    """A count printed alone (`1`, `4`, `0`) is detected as a box taller than wide. Read only turned a quarter
    (the vertical-text convention) it came back as `—`, `=` or `>`; every row's cells are read right."""
    image, rows = _receipt_rows()
    quads = engines.detector.detect([image])[0]
    crops = [crop_quad(image, q) for q in quads]
    assert any(c.shape[0] >= 1.5 * c.shape[1] for c in crops), "the lone digits' boxes should be tall"
    got = [r.text for r in engines.recognizer_for(lang).recognize(crops)]
    at = [(float(q[:, 1].mean()), float(q[:, 0].mean()), t) for q, t in zip(quads, got, strict=True)]
    read = [[t for _, x, t in sorted(at, key=lambda a: a[1]) if abs(_ - (67 + 90 * r)) < 30] for r in range(len(rows))]
    if lang == "en":
        rows = [row[1:] for row in rows]  # the general reader writes no Hangul
        read = [row[1:] for row in read]
    assert read == rows


def test_a_vertical_line_is_still_read_turned(engines: Any) -> None:
    """Text printed down the page (a spine, a form's margin) is read turned, as before."""
    from PIL import Image, ImageDraw

    from tests.render import font

    img = Image.new("RGB", (520, 80), "white")
    ImageDraw.Draw(img).text((20, 16), "TOTAL 12,500", fill="black", font=font("dejavu", 40))
    down = np.ascontiguousarray(np.rot90(np.asarray(img), k=-1))  # reads top to bottom
    assert down.shape[0] > 1.5 * down.shape[1]
    assert engines.recognizer_for("en").recognize([down])[0].text == "TOTAL 12,500"
    assert engines.recognizer_for("korean").recognize([down])[0].text == "TOTAL 12,500"
