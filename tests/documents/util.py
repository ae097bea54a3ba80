"""Assertion helpers shared by the document decoder tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest

from app.core.errors import AppError, ErrorCode


@contextmanager
def raises_code(code: ErrorCode) -> Iterator[pytest.ExceptionInfo[AppError]]:
    """Like pytest.raises(AppError), and the error must carry `code`."""
    with pytest.raises(AppError) as info:
        yield info
    assert info.value.code is code, f"expected {code.name}, got {info.value.code.name}: {info.value.message}"


def dark_mask(image: np.ndarray, threshold: int = 128) -> np.ndarray:
    """Pixels that are ink rather than paper."""
    return np.asarray(image.min(axis=2) < threshold)
