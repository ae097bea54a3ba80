"""`page_images=true` on /ocr and /structure: each page comes back as the JPEG the engines read (after the
corrected rotation, in the boxes' pixel space), capped in size and in pages, never failing the request."""

from __future__ import annotations

import asyncio
import base64
import io
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from app.documents.stream import PixelBudget
from app.documents.types import Limits
from app.features.ocr.page_images import PageImages, encode_page_image
from app.features.ocr.pipeline import OcrOptions, ocr_bytes
from app.serving.tasks import DetectResult
from tests.conftest import TEST_KEY, LiveServer
from tests.render import ENGLISH_SAMPLE, KOREAN_SAMPLE, images_to_pdf, render_lines

H = {"x-api-key": TEST_KEY}


def jpeg(image: dict[str, Any]) -> Image.Image:
    assert image["media_type"] == "image/jpeg"
    img = Image.open(io.BytesIO(base64.b64decode(image["data"])))
    assert img.format == "JPEG" and img.size == (image["width"], image["height"])
    return img.convert("L")


def marked(width: int, height: int) -> np.ndarray:
    """White page, a black square in its top-left corner."""
    img = np.full((height, width, 3), 255, dtype=np.uint8)
    img[: height // 5, : width // 5] = 0
    return img


def test_the_image_is_turned_like_the_page_the_engines_read_and_scaled_down() -> None:
    # the content was turned 90° clockwise; the service read it upright (rotation 90): 400 x 600 -> 600 x 400
    out = encode_page_image(marked(400, 600), 90, 600, 400, max_px=300)
    img = np.asarray(jpeg(out))
    assert (out["width"], out["height"]) == (300, 200) and out["scale"] == 0.5
    # the corner square is where rotate_image puts it: the bottom-left corner
    assert img[-10:, :10].mean() < 40 and img[:10, :10].mean() > 215 and img[-10:, -10:].mean() > 215
    # a small page is not scaled up
    small = encode_page_image(marked(120, 80), 0, 120, 80, max_px=1600)
    assert (small["width"], small["height"], small["scale"]) == (120, 80, 1.0)


class Upright:
    """Detects one line per page and reads it; pages are reported turned by 90° (as the classifier would)."""

    async def submit(self, kind: str, payload: Any, deadline: float | None = None) -> Any:
        if kind == "detect":
            h, w = payload.image.shape[:2]
            q = np.array([[5, 5], [60, 5], [60, 20], [5, 20]], dtype=np.float32)
            crop = np.zeros((15, 55, 3), dtype=np.uint8)
            return DetectResult(90, h, w, [q], [crop])
        from app.engines.base import Recognized

        return [Recognized("line", 0.99) for _ in payload.crops]


def _tiff(pages: int) -> bytes:
    frames = [Image.fromarray(marked(300, 200)) for _ in range(pages)]
    out = io.BytesIO()
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:])
    return out.getvalue()


def _read(data: bytes, images: PageImages | None) -> Any:
    return asyncio.run(
        ocr_bytes(
            data,
            OcrOptions("en"),
            Upright(),
            limits=Limits(max_bytes=10_000_000, max_pixels=10_000_000, max_pages=10),
            budget=PixelBudget(10_000_000),
            pages=None,
            engine_info={"name": "fake", "backend": "none", "device": "cpu", "models": {}},
            page_images=images,
        )
    )


def test_pages_past_the_cap_carry_null_and_the_answer_counts_them() -> None:
    body = _read(_tiff(3), PageImages(max_px=1600, max_pages=2)).to_dict("rid")
    assert [p["image"] is not None for p in body["pages"]] == [True, True, False]
    assert body["page_images_omitted"] == 1
    first = body["pages"][0]
    # the image is the page as read: turned (200 x 300), in the boxes' pixel space
    assert (first["width"], first["height"]) == (200, 300)
    assert (first["image"]["width"], first["image"]["height"]) == (200, 300)
    assert np.asarray(jpeg(first["image"]))[-10:, :10].mean() < 40
    # not asked for: neither key is in the answer
    plain = _read(_tiff(3), None).to_dict("rid")
    assert "page_images_omitted" not in plain and all("image" not in p for p in plain["pages"])


def test_a_page_that_cannot_be_encoded_does_not_fail_the_request(monkeypatch: pytest.MonkeyPatch) -> None:
    import app.features.ocr.page_images as page_images

    def broken(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise MemoryError("no room for the image")

    monkeypatch.setattr(page_images, "encode_page_image", broken)
    body = _read(_tiff(2), PageImages(max_px=1600, max_pages=5)).to_dict("rid")
    assert [p["image"] for p in body["pages"]] == [None, None]
    assert body["page_images_omitted"] == 2
    assert body["text"] == "line\n\nline"


# --- through the real service ------------------------------------------------------------------------


def _pdf() -> bytes:
    ko, _ = render_lines(KOREAN_SAMPLE)
    en, _ = render_lines(ENGLISH_SAMPLE, font_name="dejavu")
    return images_to_pdf([ko, en])


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("route", ["/ocr", "/structure"])
def test_a_pdf_comes_back_with_its_pages_under_the_boxes(live_server: LiveServer, route: str) -> None:
    files = {"file": ("two.pdf", _pdf(), "application/pdf")}
    r = httpx.post(live_server.url + route, headers=H, files=files, data={"page_images": "true"}, timeout=300)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["page_images_omitted"] == 0
    assert len(body["pages"]) == 2
    for page in body["pages"]:
        image = page["image"]
        assert max(image["width"], image["height"]) <= 1600
        assert image["scale"] == pytest.approx(image["width"] / page["width"], abs=1e-4)
        assert image["height"] == pytest.approx(page["height"] * image["scale"], abs=1)
        gray = np.asarray(jpeg(image), dtype=np.float32)
        # the boxes sit on the ink of the image: darker inside the lines than the page overall
        assert page["lines"]
        inside = []
        for line in page["lines"]:
            x0, y0, x1, y1 = (round(v * image["scale"]) for v in line["bbox"])
            inside.append(gray[y0:y1, x0:x1].mean())
        assert float(np.mean(inside)) < gray.mean() - 20, (np.mean(inside), gray.mean())

    plain = httpx.post(live_server.url + route, headers=H, files=files, timeout=300).json()
    assert "page_images_omitted" not in plain and all("image" not in p for p in plain["pages"])


@pytest.mark.integration
@pytest.mark.slow
def test_a_bad_page_images_value_is_a_422_envelope(live_server: LiveServer) -> None:
    files = {"file": ("two.pdf", _pdf(), "application/pdf")}
    r = httpx.post(live_server.url + "/ocr", headers=H, files=files, data={"page_images": "perhaps"}, timeout=60)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "invalid_parameter" and "page_images" in err["message"] and err["request_id"]
