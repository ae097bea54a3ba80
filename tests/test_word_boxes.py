"""Word boxes on request (`words=true` on /ocr): each line's words with their boxes, placed on the ink,
through the real service over real HTTP."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image, ImageDraw

from app.features.ocr.types import Line, PageResult
from app.features.ocr.words import add_words
from tests.conftest import TEST_KEY, LiveServer
from tests.render import font

H = {"x-api-key": TEST_KEY}
WORDS = [("합계", 80), ("금액", 190), ("12,000원", 420), ("Total", 700)]  # one row, wide and narrow gaps


def _row_image() -> tuple[bytes, list[tuple[int, int]]]:
    img = Image.new("RGB", (1000, 160), "white")
    draw = ImageDraw.Draw(img)
    spans = []
    for text, x in WORDS:
        f = font("nanum" if not text.isascii() else "dejavu", 34)
        draw.text((x, 60), text, font=f, fill="black")
        b = draw.textbbox((x, 60), text, font=f)
        spans.append((b[0], b[2]))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue(), spans


def _post(srv: LiveServer, data: bytes, **form: str) -> dict[str, Any]:
    r = httpx.post(srv.url + "/ocr", headers=H, files={"file": ("row.png", data, "image/png")}, data=form, timeout=120)
    assert r.status_code == 200, r.text[:300]
    body: dict[str, Any] = r.json()
    return body


def test_words_come_from_the_ink_of_each_line_box() -> None:
    data, spans = _row_image()
    image = __import__("numpy").asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    text = " ".join(t for t, _ in WORDS)
    line = Line.from_box(text, 0.99, [[70, 50], [900, 50], [900, 110], [70, 110]])
    page = PageResult(1, 1000, 160, lines=[line])
    add_words(page, image)
    assert line.words is not None and [w["text"] for w in line.words] == [t for t, _ in WORDS]
    for w, (a, b) in zip(line.words, spans, strict=True):
        assert abs(w["bbox"][0] - a) <= 6 and abs(w["bbox"][2] - b) <= 6, (w, a, b)  # ink vs the glyph advance box
        assert w["bbox"][1] == 50 and w["bbox"][3] == 110  # the line's height
    assert line.to_dict()["words"] == line.words


@pytest.mark.slow
def test_ocr_with_words_true_returns_each_lines_words_and_without_it_none(live_server: LiveServer) -> None:
    data, spans = _row_image()
    body = _post(live_server, data, lang="korean", words="true")
    lines = body["pages"][0]["lines"]
    words = [w for ln in lines for w in ln["words"]]
    for ln in lines:  # the words are the line's text, in order, inside its box
        assert " ".join(w["text"] for w in ln["words"]) == " ".join(ln["text"].split())
        assert all(ln["bbox"][0] - 1 <= w["bbox"][0] < w["bbox"][2] <= ln["bbox"][2] + 1 for w in ln["words"])
    by_text = {w["text"]: w["bbox"] for w in words}
    for (text, _), (a, b) in zip(WORDS, spans, strict=True):
        assert text in by_text, (text, [ln["text"] for ln in lines])
        assert abs(by_text[text][0] - a) <= 8 and abs(by_text[text][2] - b) <= 8, (text, by_text[text], a, b)
    plain = _post(live_server, data, lang="korean")
    assert all("words" not in ln for ln in plain["pages"][0]["lines"])  # the contract as before


def test_a_bad_words_value_is_a_422_envelope(live_server: LiveServer) -> None:
    data, _ = _row_image()
    r = httpx.post(live_server.url + "/ocr", headers=H, files={"file": ("row.png", data, "image/png")},
                   data={"words": "maybe"}, timeout=60)  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_parameter"
    assert httpx.get(live_server.url + "/health", timeout=10).status_code == 200  # and the service is fine
