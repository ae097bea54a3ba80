"""Crops, reading order and the CER helpers (no models)."""

from __future__ import annotations

import numpy as np
import pytest

from app.engines.base import Recognized
from app.engines.crops import (
    cer,
    crop_quad,
    levenshtein,
    normalize_text,
    order_quad,
    page_text,
    reading_order,
    reading_rows,
)


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


def test_vertical_crop_is_turned() -> None:
    img = np.full((300, 100, 3), 255, dtype=np.uint8)
    crop = crop_quad(img, quad(10, 10, 40, 210))
    assert crop.shape[:2] == (30, 200)


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
    assert reading_order(quads) == [2, 1, 0]
    assert reading_rows(quads) == [[2, 1], [0]]
    results = [(q, Recognized(t, 0.9)) for q, t in zip(quads, ["world", "B", "A"], strict=True)]
    assert page_text(results) == "A B\nworld"
    assert reading_order([]) == []


def test_levenshtein_and_cer() -> None:
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("", "abc") == 3
    assert levenshtein("합계 110,000원", "합계 110,000원") == 0
    assert cer("합게 110,000원", "합계 110,000원") == pytest.approx(1 / 11)
    assert cer("a  b\n\n c ", "a b\nc") == 0.0  # spaces collapsed, blank lines dropped
    assert cer("ab", "a b", keep_spaces=False) == 0.0
    assert cer("", "") == 0.0 and cer("x", "") == 1.0
    assert normalize_text("ｶ") == "ｶ"  # NFC only (no compatibility folding)
