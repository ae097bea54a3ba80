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


def many_frame_tiff(frames: int, *, big_endian: bool = False, loop: bool = False) -> bytes:
    """A classic TIFF of ``frames`` one-pixel grey pages (114 bytes each), built directly: Pillow's
    writer is far too slow for tens of thousands of frames. ``loop`` points the last page back at the first."""
    import struct

    o = ">" if big_endian else "<"
    tags = [(256, 1), (257, 1), (258, 8), (259, 1), (262, 1), (273, None), (277, 1), (278, 1), (279, 1)]
    ifd_size = 2 + len(tags) * 12 + 4
    strip = 8 + frames * ifd_size
    out = bytearray((b"MM\x00*" if big_endian else b"II*\x00") + struct.pack(o + "I", 8))
    for i in range(frames):
        out += struct.pack(o + "H", len(tags))
        for tag, value in tags:
            if value is None:  # StripOffsets: LONG
                out += struct.pack(o + "HHII", tag, 4, 1, strip)
            elif tag == 279:  # StripByteCounts: LONG
                out += struct.pack(o + "HHII", tag, 4, 1, value)
            else:  # SHORT, left-justified in the value field
                out += struct.pack(o + "HHIHH", tag, 3, 1, value, 0)
        last = i + 1 == frames
        out += struct.pack(o + "I", (8 if loop else 0) if last else 8 + (i + 1) * ifd_size)
    return bytes(out + b"\x80")
