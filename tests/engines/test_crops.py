"""Crops, reading order and the CER helpers (no models)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from app.engines.base import Recognized
from app.engines.crops import (
    CONTENT_MARGIN,
    align_box,
    cer,
    content_box,
    crop_quad,
    levenshtein,
    normalize_text,
    order_quad,
    page_text,
    quad_boxes,
    read_either_way_up,
    union_box,
)
from app.engines.reading_order import order_indices, row_groups


def quad(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)


def test_crop_axis_aligned_is_the_region() -> None:
    img = np.zeros((100, 200, 3), dtype=np.uint8)
    img[20:40, 30:130] = (255, 0, 0)
    crop = crop_quad(img, quad(30, 20, 130, 40))
    assert crop.shape == (20, 100, 3)
    assert (crop[2:-2, 2:-2] == (255, 0, 0)).all()


def test_crop_rotated_quad_is_upright() -> None:
    img = np.full((200, 200, 3), 255, dtype=np.uint8)
    # a 100x20 box rotated by 30 degrees around (100, 100)
    a = np.deg2rad(30)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    pts = (quad(-50, -10, 50, 10) @ rot.T + 100).astype(np.float32)
    crop = crop_quad(img, pts)
    assert abs(crop.shape[1] - 100) <= 1 and abs(crop.shape[0] - 20) <= 1


def test_tall_crop_stands_and_is_read_both_ways() -> None:
    img = np.full((300, 100, 3), 255, dtype=np.uint8)
    crop = crop_quad(img, quad(10, 10, 40, 210))
    assert crop.shape[:2] == (200, 30)  # as it stands on the page
    seen: list[tuple[int, int]] = []

    def read(crops: Sequence[np.ndarray]) -> list[Recognized]:
        seen.extend(c.shape[:2] for c in crops)
        # standing crops read as "1" at 0.9 or 0.3; turned ones as "—" at 0.5
        return [
            Recognized("—", 0.5) if c.shape[1] > c.shape[0] else Recognized("1", 0.9 if c[0, 0, 0] else 0.3)
            for c in crops
        ]

    wide = np.full((20, 100, 3), 255, dtype=np.uint8)
    dark = np.zeros((200, 30, 3), dtype=np.uint8)
    out = read_either_way_up(read, [wide, crop, dark])
    assert [r.text for r in out] == ["—", "1", "—"]  # the surer reading of each tall crop; a wide one once
    assert seen == [(20, 100), (200, 200), (200, 200), (30, 200), (30, 200)]  # standing: centred on a square
    assert read_either_way_up(read, []) == []


def test_degenerate_quad_and_gray_input() -> None:
    gray = np.full((50, 50), 128, dtype=np.uint8)
    assert crop_quad(gray, quad(5, 5, 5, 5)).size == 0
    assert crop_quad(gray, quad(0, 0, 10, 5)).shape == (5, 10, 3)


def test_order_quad_from_any_start() -> None:
    q = quad(10, 20, 110, 40)
    for k in range(4):
        assert np.allclose(order_quad(np.roll(q, k, axis=0)), q)
    assert np.allclose(order_quad(q[::-1]), q)


def test_reading_order_rows_then_columns() -> None:
    # row 2 (y 60) given first; row 1 split into two boxes given right-to-left
    quads = [quad(10, 60, 200, 80), quad(120, 12, 300, 30), quad(10, 10, 100, 31)]
    assert order_indices(quad_boxes(quads)) == [2, 1, 0]
    assert row_groups(quad_boxes(quads)) == [[2, 1], [0]]
    results = [(q, Recognized(t, 0.9)) for q, t in zip(quads, ["world", "B", "A"], strict=True)]
    assert page_text(results) == "A B\nworld"
    assert order_indices([]) == []
    assert row_groups([]) == []


def test_levenshtein_and_cer() -> None:
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("", "abc") == 3
    assert levenshtein("합계 110,000원", "합계 110,000원") == 0
    assert cer("합게 110,000원", "합계 110,000원") == pytest.approx(1 / 11)
    assert cer("a  b\n\n c ", "a b\nc") == 0.0  # spaces collapsed, blank lines dropped
    assert cer("ab", "a b", keep_spaces=False) == 0.0
    assert cer("", "") == 0.0 and cer("x", "") == 1.0
    assert normalize_text("ｶ") == "ｶ"  # NFC only (no compatibility folding)


# ---------------------------------------------------------------- empty borders


def test_content_box_is_the_content_plus_a_margin() -> None:
    img = np.full((1000, 800, 3), 255, dtype=np.uint8)
    img[100:140, 200:500] = 0  # a "line" of text
    img[600:610, 300:320] = (255, 0, 0)  # red mark: colour counts, not only brightness
    m = CONTENT_MARGIN
    assert content_box(img) == (200 - m, 100 - m, 500 + m, 610 + m)


def test_content_box_is_clipped_to_the_image_and_finds_corners() -> None:
    img = np.full((300, 400, 3), 250, dtype=np.uint8)
    img[0:5, 390:400] = 20  # touches the top-right corner (the border colour is still the median)
    img[280:300, 0:10] = 20
    assert content_box(img) == (0, 0, 400, 300)


def test_content_box_of_a_blank_page_is_none_also_on_dark_and_gray() -> None:
    for colour in (255, 0, 128):
        assert content_box(np.full((200, 300, 3), colour, dtype=np.uint8)) is None
    assert content_box(np.full((200, 300), 255, dtype=np.uint8)) is None  # grayscale
    # faint paper noise within the tolerance is background
    rng = np.random.default_rng(0)
    noisy = (245 + rng.integers(-8, 9, size=(200, 300, 3))).astype(np.uint8)
    assert content_box(noisy) is None


def test_content_box_on_a_dark_slide_and_a_photo() -> None:
    slide = np.full((400, 600, 3), (20, 30, 60), dtype=np.uint8)
    slide[200:230, 100:300] = 255  # light text on a dark background
    m = CONTENT_MARGIN
    assert content_box(slide) == (100 - m, 200 - m, 300 + m, 230 + m)
    rng = np.random.default_rng(1)
    photo = rng.integers(0, 256, size=(300, 200, 3), dtype=np.uint8)  # no uniform border at all
    assert content_box(photo) == (0, 0, 200, 300)
    rgba = np.dstack([slide, np.full((400, 600), 255, dtype=np.uint8)])
    assert content_box(rgba) == content_box(slide)


def test_union_box() -> None:
    assert union_box([(10, 20, 30, 40), (5, 25, 50, 35)]) == (5, 20, 50, 40)


def test_align_box_grows_to_multiples_inside_the_image() -> None:
    assert align_box((100, 100, 150, 200), 32, 1000, 1000) == (93, 86, 157, 214)  # 50x100 -> 64x128, centred
    assert align_box((0, 0, 40, 40), 32, 1000, 1000) == (0, 0, 64, 64)  # at the corner: grows inwards
    assert align_box((980, 980, 1000, 1000), 32, 1000, 1000) == (968, 968, 1000, 1000)
    assert align_box((5, 5, 95, 60), 32, 100, 70) == (2, 1, 98, 65)
    assert align_box((1, 1, 99, 69), 32, 100, 70) == (0, 0, 100, 70)  # the image is smaller: all of it
