"""PDFs: page count and selection, render size at the configured DPI, and the embedded text layer."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from app.core.errors import ErrorCode
from app.documents import Limits, decode_document
from app.documents.types import Page, TextSpan
from tests.documents.conftest import MB
from tests.documents.pdfgen import TextLine, form_pdf, hand_pdf, pdfium_text_pdf
from tests.documents.util import dark_mask, raises_code
from tests.render import ENGLISH_SAMPLE, KOREAN_SAMPLE, images_to_pdf, render_lines

KOREAN_LINES = [TextLine(text, 60, 80 + 30 * i, 14) for i, text in enumerate(KOREAN_SAMPLE)]


def _limits(dpi: int = 100, **overrides: int) -> Limits:
    values = {"max_bytes": 30 * MB, "max_pixels": 40_000_000, "max_pages": 10, "pdf_dpi": dpi, **overrides}
    return Limits(**values)


def _raster_pdf(n: int) -> bytes:
    pages = []
    for i in range(n):
        img, _ = render_lines([f"Page {i + 1}"], width=620, height=877, size=40, font_name="dejavu")
        pages.append(img)
    return images_to_pdf(pages, dpi=75)  # 620 x 877 px at 75 dpi = 595.2 x 841.9 pt


def _rendered(points: float, dpi: int) -> int:
    return math.ceil(points * dpi / 72)


def test_raster_pdf_pages_and_render_size() -> None:
    data = _raster_pdf(3)
    doc = decode_document(data, _limits(dpi=100))
    assert doc.kind == "pdf" and doc.page_count == 3
    assert [p.index for p in doc.pages] == [1, 2, 3]
    for page in doc.pages:
        assert page.dpi == 100 and page.text_layer is None
        assert page.image.dtype == np.uint8 and page.image.flags.c_contiguous
        assert page.image.shape == (_rendered(877 * 72 / 75, 100), _rendered(620 * 72 / 75, 100), 3)
        assert dark_mask(page.image).any() and dark_mask(page.image).mean() < 0.05


def test_pdf_page_selection() -> None:
    data = _raster_pdf(4)
    doc = decode_document(data, _limits(max_pages=2), pages="2,4")
    assert doc.page_count == 4
    assert [p.index for p in doc.pages] == [2, 4]
    with raises_code(ErrorCode.TOO_MANY_PAGES) as info:
        decode_document(data, _limits(max_pages=2))
    assert "4 pages selected" in info.value.message
    with raises_code(ErrorCode.INVALID_PARAMETER) as info:
        decode_document(data, _limits(), pages="3-6")
    assert "4 pages" in info.value.message


def test_pdf_dpi_changes_the_render_size() -> None:
    data = hand_pdf([[TextLine("Hello", 72, 100, 24)]], page_size=(612, 792))
    for dpi in (72, 150, 200):
        page = decode_document(data, _limits(dpi=dpi)).pages[0]
        assert (page.width, page.height, page.dpi) == (_rendered(612, dpi), _rendered(792, dpi), dpi)


def _ink_covered(page: Page, pad: int = 2) -> tuple[float, list[int]]:
    """Share of the page's ink inside some span box, and the ink count inside each box."""
    ink = dark_mask(page.image)
    covered = np.zeros_like(ink)
    per_span = []
    assert page.text_layer is not None
    for span in page.text_layer:
        (x0, y0), (x1, y1) = span.box[0], span.box[2]
        box = (
            slice(max(int(y0) - pad, 0), math.ceil(y1) + pad),
            slice(max(int(x0) - pad, 0), math.ceil(x1) + pad),
        )
        covered[box] = True
        per_span.append(int(ink[box].sum()))
    return float(ink[covered].sum() / max(ink.sum(), 1)), per_span


def _assert_box_shape(span: TextSpan, page: Page) -> None:
    (x0, y0), (x1, y1b), (x1b, y1), (x0b, y0b) = span.box
    assert (x0, y1b, x1b, y1, x0b, y0b) == (x0, y0, x1, y1, x0, y1)  # clockwise from top-left
    assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height


def test_korean_text_layer_matches_and_lines_up_with_the_render() -> None:
    data = pdfium_text_pdf([KOREAN_LINES])
    page = decode_document(data, _limits(dpi=200)).pages[0]
    assert page.dpi == 200 and page.text_layer is not None
    assert [s.text for s in page.text_layer] == KOREAN_SAMPLE
    for span in page.text_layer:
        _assert_box_shape(span, page)
        # 14 pt glyphs at 200 dpi are about 39 px tall
        assert 30 < span.box[2][1] - span.box[0][1] < 50
    share, per_span = _ink_covered(page)
    assert share > 0.99
    assert all(n > 100 for n in per_span)
    # boxes start where the text was placed: x = 60 pt, baseline y = 80 pt from the top
    first = page.text_layer[0].box
    assert abs(first[0][0] - 60 * 200 / 72) < 3
    assert first[0][1] < 80 * 200 / 72 < first[2][1]


def test_text_layer_on_a_rotated_page() -> None:
    data = pdfium_text_pdf([KOREAN_LINES[:3]], rotate=90)
    page = decode_document(data, _limits(dpi=100)).pages[0]
    assert page.width > page.height  # /Rotate 90 turns the portrait page sideways
    assert page.text_layer is not None
    assert sorted(s.text for s in page.text_layer) == sorted(KOREAN_SAMPLE[:3])
    for span in page.text_layer:
        _assert_box_shape(span, page)
        assert span.box[2][1] - span.box[0][1] > span.box[2][0] - span.box[0][0]  # lines run top to bottom
    share, per_span = _ink_covered(page)
    assert share > 0.99 and all(n > 20 for n in per_span)


def test_hand_written_helvetica_text_layer() -> None:
    lines = [TextLine(text, 72, 90 + 28 * i, 16) for i, text in enumerate(ENGLISH_SAMPLE)]
    page = decode_document(hand_pdf([lines]), _limits(dpi=150)).pages[0]
    assert page.text_layer is not None
    assert [s.text for s in page.text_layer] == ENGLISH_SAMPLE
    share, per_span = _ink_covered(page)
    assert share > 0.99 and all(n > 50 for n in per_span)


def test_far_apart_text_on_one_baseline_is_two_spans() -> None:
    lines = [TextLine("Name", 72, 100), TextLine("Kim Minsu", 300, 100), TextLine("Total  due", 72, 140)]
    page = decode_document(hand_pdf([lines]), _limits(dpi=100)).pages[0]
    assert page.text_layer is not None
    assert [s.text for s in page.text_layer] == ["Name", "Kim Minsu", "Total due"]
    name, value = page.text_layer[0].box, page.text_layer[1].box
    assert name[1][0] < value[0][0]
    assert abs(name[0][1] - value[0][1]) < 1


def test_unusable_text_layers_are_none() -> None:
    garbage = hand_pdf([[TextLine("Glyphs without characters", 72, 100, 20)]], to_unicode_pua=True)
    blank = hand_pdf([[TextLine("     ", 72, 100, 20)]])
    raster = images_to_pdf([Image.new("RGB", (200, 100), "white")])
    for data in (garbage, blank, raster):
        page = decode_document(data, _limits()).pages[0]
        assert page.text_layer is None
    # the garbage text is still drawn: OCR will see it
    assert dark_mask(decode_document(garbage, _limits()).pages[0].image).any()


def test_mixed_pages_text_layer_per_page() -> None:
    data = hand_pdf([[TextLine("Page one has text", 72, 100)], [], [TextLine("Page three", 72, 100)]])
    doc = decode_document(data, _limits())
    assert doc.page_count == 3
    layers = [p.text_layer for p in doc.pages]
    assert layers[1] is None
    assert [s.text for s in layers[0] or []] == ["Page one has text"]
    assert [s.text for s in layers[2] or []] == ["Page three"]
    selected = decode_document(data, _limits(), pages="3")
    assert [p.index for p in selected.pages] == [3]
    assert [s.text for s in selected.pages[0].text_layer or []] == ["Page three"]


def test_pdf_page_over_pixel_limit_fails_before_rendering() -> None:
    data = hand_pdf([[TextLine("small", 72, 100)]], page_size=(612, 792))
    with raises_code(ErrorCode.TOO_MANY_PIXELS) as info:
        decode_document(data, _limits(dpi=200, max_pixels=1_000_000))
    assert "1700 x 2200 pixels when rendered at 200 dpi" in info.value.message
    assert info.value.status == 413
    decode_document(data, _limits(dpi=72, max_pixels=1_000_000))  # the same page at 72 dpi fits


def test_encrypted_pdf() -> None:
    import pypdfium2 as pdfium

    data = hand_pdf([[TextLine("Confidential", 72, 100)]], user_password="secret")
    assert b"Confidential" not in data
    # it really is encrypted: the right password opens it and finds the text
    with pdfium.PdfDocument(data, password="secret") as pdf:
        textpage = pdf[0].get_textpage()
        assert textpage.get_text_range() == "Confidential"
    with raises_code(ErrorCode.ENCRYPTED_DOCUMENT) as info:
        decode_document(data, _limits())
    assert "password" in info.value.message and info.value.status == 400


def test_owner_password_only_pdf_is_readable() -> None:
    data = hand_pdf([[TextLine("Printable", 72, 100)]], user_password="", owner_password="owner")
    page = decode_document(data, _limits()).pages[0]
    assert [s.text for s in page.text_layer or []] == ["Printable"]


def test_pdf_colours_are_rgb() -> None:
    img = Image.new("RGB", (300, 100), "white")
    img.paste((255, 0, 0), (0, 0, 100, 100))
    img.paste((0, 0, 255), (200, 0, 300, 100))
    page = decode_document(images_to_pdf([img], dpi=72), _limits(dpi=72)).pages[0]
    assert page.image.shape == (100, 300, 3)
    assert np.abs(page.image[50, 50].astype(int) - (255, 0, 0)).max() < 8
    assert np.abs(page.image[50, 150].astype(int) - (255, 255, 255)).max() < 8
    assert np.abs(page.image[50, 250].astype(int) - (0, 0, 255)).max() < 8


def test_filled_form_fields_are_rendered() -> None:
    page = decode_document(form_pdf("KIM MINSU"), _limits(dpi=72)).pages[0]
    ink = dark_mask(page.image)
    assert ink.sum() > 300  # the field's value is drawn, so OCR can read it
    rows, cols = np.nonzero(ink)
    assert 30 <= rows.min() and rows.max() <= 70 and 10 <= cols.min()  # inside the field's rectangle


def test_bytearray_input_is_accepted() -> None:
    data = bytearray(hand_pdf([[TextLine("Hello", 72, 100)]]))
    page = decode_document(data, _limits()).pages[0]  # type: ignore[arg-type]
    assert [s.text for s in page.text_layer or []] == ["Hello"]
