"""Raster images: every format and colour mode decodes to upright RGB uint8 of the right size."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from PIL import Image

from app.core.errors import ErrorCode
from app.documents import Limits, decode_document, rotate_image
from tests.documents.util import dark_mask, raises_code
from tests.render import to_bytes


def _check_rgb(image: np.ndarray, width: int, height: int) -> None:
    assert image.shape == (height, width, 3)
    assert image.dtype == np.uint8
    assert image.flags.c_contiguous and image.flags.writeable


@pytest.mark.parametrize(
    ("fmt", "kind", "kwargs", "tolerance"),
    [
        ("PNG", "png", {}, 0),
        ("BMP", "bmp", {}, 0),
        ("TIFF", "tiff", {"compression": "tiff_lzw"}, 0),
        ("WEBP", "webp", {"lossless": True}, 0),
        ("JPEG", "jpeg", {"quality": 95}, 40),
        ("WEBP", "webp", {"quality": 90}, 60),
    ],
)
def test_formats_decode_to_rgb(
    page_image: Image.Image, limits: Limits, fmt: str, kind: str, kwargs: dict[str, object], tolerance: int
) -> None:
    doc = decode_document(to_bytes(page_image, fmt, **kwargs), limits)
    assert doc.kind == kind and doc.page_count == 1 and len(doc.pages) == 1
    page = doc.pages[0]
    assert (page.index, page.dpi, page.text_layer) == (1, None, None)
    _check_rgb(page.image, 600, 400)
    assert (page.width, page.height) == (600, 400)
    original = np.asarray(page_image)
    diff = np.abs(page.image.astype(int) - original.astype(int))
    assert diff.max() <= tolerance if tolerance == 0 else diff.mean() < 3
    # the text is where it was drawn
    assert (dark_mask(page.image) == dark_mask(original)).mean() > 0.99


def _marked_page() -> Image.Image:
    """Upright 300 x 200 page with a black square in the top-left corner only."""
    img = Image.new("RGB", (300, 200), "white")
    img.paste((0, 0, 0), (10, 10, 70, 60))
    return img


# EXIF orientation -> how the camera stored the pixels of an upright scene.
_STORED_AS = {
    3: Image.Transpose.ROTATE_180,
    6: Image.Transpose.ROTATE_90,  # viewer must turn it 90 degrees clockwise
    8: Image.Transpose.ROTATE_270,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    5: Image.Transpose.TRANSPOSE,
}


@pytest.mark.parametrize("orientation", sorted(_STORED_AS))
def test_exif_orientation_comes_out_upright(limits: Limits, orientation: int) -> None:
    upright = _marked_page()
    stored = upright.transpose(_STORED_AS[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = to_bytes(stored, "JPEG", quality=95, exif=exif.tobytes())
    image = decode_document(data, limits).pages[0].image
    _check_rgb(image, 300, 200)
    ink = dark_mask(image)
    assert ink[15:55, 15:65].mean() > 0.95  # the mark is back in the top-left corner
    assert ink[:, 100:].mean() < 0.01 and ink[100:, :].mean() < 0.01


def test_tiff_orientation_tag_is_applied(limits: Limits) -> None:
    stored = _marked_page().transpose(Image.Transpose.ROTATE_90)
    data = to_bytes(stored, "TIFF", tiffinfo={0x0112: 6})
    image = decode_document(data, limits).pages[0].image
    _check_rgb(image, 300, 200)
    assert dark_mask(image)[15:55, 15:65].mean() > 0.95


def _multipage_tiff() -> bytes:
    frames = [Image.new("RGB", (100 + 10 * i, 50 + 5 * i), (40 * i, 0, 0)) for i in range(4)]
    return to_bytes(frames[0], "TIFF", save_all=True, append_images=frames[1:])


def test_multipage_tiff_every_frame_is_a_page(limits: Limits) -> None:
    doc = decode_document(_multipage_tiff(), limits)
    assert doc.kind == "tiff" and doc.page_count == 4
    assert [p.index for p in doc.pages] == [1, 2, 3, 4]
    for i, page in enumerate(doc.pages):
        _check_rgb(page.image, 100 + 10 * i, 50 + 5 * i)
        assert tuple(page.image[0, 0]) == (40 * i, 0, 0)


def test_multipage_tiff_page_selection(limits: Limits) -> None:
    doc = decode_document(_multipage_tiff(), limits, pages="2,4")
    assert doc.page_count == 4
    assert [p.index for p in doc.pages] == [2, 4]
    assert [p.width for p in doc.pages] == [110, 130]
    with raises_code(ErrorCode.INVALID_PARAMETER) as info:
        decode_document(_multipage_tiff(), limits, pages="5")
    assert "4 pages" in info.value.message
    small = Limits(max_bytes=limits.max_bytes, max_pixels=limits.max_pixels, max_pages=3)
    with raises_code(ErrorCode.TOO_MANY_PAGES):
        decode_document(_multipage_tiff(), small)
    assert len(decode_document(_multipage_tiff(), small, pages="1-3").pages) == 3


def test_single_image_pages_parameter(page_image: Image.Image, limits: Limits) -> None:
    data = to_bytes(page_image, "PNG")
    assert len(decode_document(data, limits, pages="1").pages) == 1
    with raises_code(ErrorCode.INVALID_PARAMETER) as info:
        decode_document(data, limits, pages="2")
    assert "1 page;" in info.value.message


def _decode_one(img: Image.Image, fmt: str, limits: Limits, **kwargs: object) -> np.ndarray:
    image = decode_document(to_bytes(img, fmt, **kwargs), limits).pages[0].image
    _check_rgb(image, img.width, img.height)
    return image


def test_rgba_transparency_is_composited_on_white(limits: Limits) -> None:
    img = Image.new("RGBA", (40, 20), (0, 0, 0, 0))  # fully transparent black
    img.paste((0, 0, 255, 255), (0, 0, 20, 20))  # opaque blue left half
    img.paste((0, 0, 0, 128), (20, 0, 40, 10))  # half-transparent black
    for fmt in ("PNG", "WEBP", "TIFF"):
        kwargs = {"lossless": True} if fmt == "WEBP" else {}
        out = _decode_one(img, fmt, limits, **kwargs)
        assert tuple(out[5, 5]) == (0, 0, 255)
        assert tuple(out[15, 30]) == (255, 255, 255)
        assert all(120 <= v <= 135 for v in out[5, 30])


def test_light_content_on_transparency_goes_on_black(limits: Limits) -> None:
    """White text on a transparent background would vanish on white."""
    img = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    img.paste((255, 255, 255, 255), (5, 5, 35, 15))  # an opaque white "stroke"
    out = _decode_one(img, "PNG", limits)
    assert tuple(out[10, 20]) == (255, 255, 255)
    assert tuple(out[1, 1]) == (0, 0, 0)


def test_la_and_palette_transparency(limits: Limits) -> None:
    la = Image.new("LA", (10, 10), (0, 0))
    la.paste((0, 255), (0, 0, 5, 10))
    out = _decode_one(la, "PNG", limits)
    assert tuple(out[0, 0]) == (0, 0, 0) and tuple(out[0, 9]) == (255, 255, 255)

    pal = Image.new("P", (10, 10), 0)
    pal.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    pal.paste(1, (0, 0, 5, 10))
    out = _decode_one(pal, "PNG", limits, transparency=0)  # index 0 (black) is transparent
    assert tuple(out[0, 0]) == (255, 0, 0) and tuple(out[0, 9]) == (255, 255, 255)
    out = _decode_one(pal, "BMP", limits)  # BMP keeps the palette, no transparency
    assert tuple(out[0, 0]) == (255, 0, 0) and tuple(out[0, 9]) == (0, 0, 0)


def test_grey_bilevel_and_cmyk(limits: Limits) -> None:
    grey = Image.linear_gradient("L").resize((64, 32))
    out = _decode_one(grey, "PNG", limits)
    assert np.array_equal(out[:, :, 0], np.asarray(grey)) and np.array_equal(out[:, :, 0], out[:, :, 2])

    bilevel = Image.new("1", (16, 16), 1)
    bilevel.paste(0, (0, 0, 8, 16))
    out = _decode_one(bilevel, "TIFF", limits, compression="group4")
    assert tuple(out[0, 0]) == (0, 0, 0) and tuple(out[0, 15]) == (255, 255, 255)

    cmyk = Image.new("CMYK", (20, 10), (0, 0, 0, 0))  # paper white
    cmyk.paste((0, 255, 255, 0), (0, 0, 10, 10))  # pure red ink
    for fmt in ("JPEG", "TIFF"):
        out = _decode_one(cmyk, fmt, limits)
        assert np.abs(out[5, 2].astype(int) - (255, 0, 0)).max() < 12
        assert np.abs(out[5, 17].astype(int) - (255, 255, 255)).max() < 12


def test_16_bit_grey_is_scaled_to_8_bit(limits: Limits) -> None:
    values = np.zeros((8, 8), dtype=np.uint16)
    values[:, 4:] = 65535
    values[0, 0] = 32768
    img = Image.fromarray(values)
    assert img.mode == "I;16"
    for fmt in ("PNG", "TIFF"):
        out = _decode_one(img, fmt, limits)
        assert tuple(out[0, 7]) == (255, 255, 255)
        assert tuple(out[1, 0]) == (0, 0, 0)
        assert tuple(out[0, 0]) == (128, 128, 128)


def test_float_and_32_bit_tiff(limits: Limits) -> None:
    floats = np.zeros((4, 4), dtype=np.float32)
    floats[:, 2:] = 1.0
    out = _decode_one(Image.fromarray(floats), "TIFF", limits)
    assert tuple(out[0, 3]) == (255, 255, 255) and tuple(out[0, 0]) == (0, 0, 0)
    ints = np.full((4, 4), -1000, dtype=np.int32)
    ints[:, 2:] = 1_000_000
    out = _decode_one(Image.fromarray(ints), "TIFF", limits)
    assert tuple(out[0, 3]) == (255, 255, 255) and tuple(out[0, 0]) == (0, 0, 0)


def test_pillow_bomb_check_never_fires_first(
    page_image: Image.Image, limits: Limits, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Our limit is the one that applies: a stricter global Pillow limit neither warns nor rejects."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fmt in ("PNG", "JPEG", "TIFF", "BMP", "WEBP"):
            assert decode_document(to_bytes(page_image, fmt), limits).pages[0].width == 600
        assert len(decode_document(_multipage_tiff(), limits).pages) == 4


@pytest.mark.parametrize("angle", [0, 90, 180, 270])
def test_rotate_image_undoes_clockwise_rotation(angle: int) -> None:
    upright = _marked_page()
    rotated_cw = upright.rotate(-angle, expand=True)  # PIL rotates counter-clockwise for positive angles
    restored = rotate_image(np.asarray(rotated_cw), angle)
    assert np.array_equal(restored, np.asarray(upright))
    assert restored.flags.c_contiguous


def test_rotate_image_angles() -> None:
    image = np.arange(6, dtype=np.uint8).reshape(2, 3)
    assert np.array_equal(rotate_image(image, 360), image)
    assert np.array_equal(rotate_image(image, -90), rotate_image(image, 270))
    assert np.array_equal(rotate_image(rotate_image(image, 90), 270), image)
    with pytest.raises(ValueError, match="multiple of 90"):
        rotate_image(image, 45)
