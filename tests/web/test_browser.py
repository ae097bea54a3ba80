"""End to end in headless Chromium against the real service (`python -m app`, real engines, real HTTP):
upload a rendered Korean document, wait for the result, check the recognised text and the boxes drawn
over the page, hover a box; a bad key shows the API's error envelope. Screenshots go to artifacts/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.web.conftest import ARTIFACTS, Browser, Target

pytestmark = [pytest.mark.slow, pytest.mark.integration]

# words of tests/render.py KOREAN_SAMPLE that a working Korean recogniser reads back
KNOWN_WORDS = ["거래명세서", "서울특별시", "테헤란로", "사업자등록번호", "부가가치세", "합계", "담당자", "감사합니다"]


def _route_exists(server: Target, path: str) -> bool:
    """POST without a file: a route that exists answers 400/422 (or 401), one that does not 404."""
    r = httpx.post(server.url + path, headers={"x-api-key": server.key}, timeout=30)
    return r.status_code != 404 and r.status_code != 405


def test_ocr_korean_document_boxes_and_text(browser: Browser, web_server: Target, korean_png: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    browser.open(web_server.url)
    browser.choose_file(korean_png)
    # before reading, the page shows the image itself
    assert browser.el("#viewer").get_attribute("data-source") == "image"
    browser.set_task("ocr")
    browser.set_key(web_server.key)
    browser.submit()
    browser.wait_done(timeout=240)
    assert browser.error_text() is None, browser.error_text()

    # boxes drawn over the uploaded image, inside it
    boxes = browser.els("#overlay .box")
    assert len(boxes) >= 7, f"only {len(boxes)} boxes drawn"
    assert browser.el("#viewer").get_attribute("data-source") == "image"
    canvas = browser.el("#page-canvas").rect
    for box in boxes:
        r = box.rect
        assert r["width"] > 5 and r["height"] > 3
        assert canvas["x"] - 2 <= r["x"] and r["x"] + r["width"] <= canvas["x"] + canvas["width"] + 2
        assert canvas["y"] - 2 <= r["y"] and r["y"] + r["height"] <= canvas["y"] + canvas["height"] + 2

    # the text panel beside it has the Korean text
    lines = browser.el("#lines").text
    found = [w for w in KNOWN_WORDS if w in lines]
    assert len(found) >= 5, f"recognised text lacks the sample's words (found {found}):\n{lines}"
    assert len(browser.els("#lines .line")) == len(boxes)

    # hovering a box shows its text and confidence
    target = next(
        i for i, li in enumerate(browser.els("#lines .line-text")) if "합계" in li.text or "거래명세서" in li.text
    )
    ActionChains(browser.driver).move_to_element(boxes[target]).perform()
    browser.wait(lambda: browser.el("#tooltip").is_displayed(), 5, "the tooltip")
    tip = browser.el("#tooltip").text
    assert browser.els("#lines .line-text")[target].text in tip
    assert "confidence" in tip and "%" in tip
    assert "active" in browser.els("#lines .line")[target].get_attribute("class")

    # the whole text, as the API returned it
    result = json.loads(browser.el("#json").get_attribute("textContent"))
    assert result["pages"][0]["width"] == 1240 and result["pages"][0]["height"] == 1754
    browser.el("input[name=text-scope][value=all]").click()
    assert browser.el("#all-text").get_attribute("value") == result["text"]
    browser.el("input[name=text-scope][value=lines]").click()

    # the screenshot: the whole page image with its boxes, the text beside it, one box hovered
    browser.driver.set_window_size(1440, 1700)
    browser.driver.execute_script("document.getElementById('results').scrollIntoView()")
    texts = [li.text for li in browser.els("#lines .line-text")]
    hover = next((i for i, t in enumerate(texts) if "합계" in t), target)
    ActionChains(browser.driver).move_to_element(browser.els("#overlay .box")[hover]).perform()
    browser.wait(lambda: browser.el("#tooltip").is_displayed(), 5, "the tooltip")
    shot = browser.screenshot("web-ocr-korean.png")
    (ARTIFACTS / "web-ocr-korean.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    assert shot.stat().st_size > 20_000
    assert not browser.console_errors()


def test_word_boxes_sit_inside_their_lines_on_the_real_service(
    browser: Browser, web_server: Target, korean_png: Path
) -> None:
    browser.open(web_server.url)
    browser.choose_file(korean_png)
    browser.set_task("ocr")
    browser.set_key(web_server.key)
    browser.el("details.more summary").click()
    browser.el("#words").click()
    browser.submit()
    browser.wait_done(timeout=240)
    assert browser.error_text() is None, browser.error_text()
    result = json.loads(browser.el("#json").get_attribute("textContent"))
    lines = result["pages"][0]["lines"]
    assert all(len(line["words"]) == len(line["text"].split()) for line in lines)
    words = browser.els("#overlay rect.word")
    assert len(words) == sum(len(line["words"]) for line in lines) >= 15
    boxes = browser.els("#overlay .box")
    k = 0
    for box, line in zip(boxes, lines, strict=True):
        outer = box.rect
        for _ in line["words"]:
            r = words[k].rect
            k += 1
            assert (
                r["width"] > 1 and outer["x"] - 2 <= r["x"] and r["x"] + r["width"] <= outer["x"] + outer["width"] + 2
            )
    browser.screenshot("web-word-boxes-real.png")


def test_pdf_pages_are_drawn_under_their_boxes(browser: Browser, web_server: Target, two_page_pdf: Path) -> None:
    """A PDF: the page asks for the pages' images and draws the boxes over the scan, with thumbnails."""
    browser.open(web_server.url)
    browser.choose_file(two_page_pdf)
    browser.set_task("ocr")
    browser.set_key(web_server.key)
    browser.submit()
    browser.wait_done(timeout=300)
    assert browser.error_text() is None, browser.error_text()
    assert browser.el("#viewer").get_attribute("data-source") == "page-image"
    boxes = browser.els("#overlay .box")
    assert len(boxes) >= 7, f"only {len(boxes)} boxes drawn"
    canvas = browser.el("#page-canvas").rect
    for box in boxes:
        r = box.rect
        assert canvas["x"] - 2 <= r["x"] and r["x"] + r["width"] <= canvas["x"] + canvas["width"] + 2
    # the scan under the boxes: the boxes sit on its ink
    lum = browser.canvas_luminance()
    assert lum["inside"] < lum["all"] - 20, lum
    assert any(w in browser.el("#lines").text for w in KNOWN_WORDS)
    thumbs = browser.els("#thumbs .thumb img")
    assert len(thumbs) == 2
    browser.driver.set_window_size(1440, 1700)
    browser.driver.execute_script("document.getElementById('results').scrollIntoView()")
    browser.screenshot("web-pdf-korean.png")
    browser.els("#thumbs .thumb")[1].click()
    browser.wait_page(2)
    assert "Invoice" in browser.el("#lines").text
    lum = browser.canvas_luminance()
    assert lum["inside"] < lum["all"] - 20, lum
    assert not browser.console_errors()


def _wrong_key_answer(web_server: Target, png: Path, **headers: str) -> httpx.Response:
    """What the service answers a request with a wrong API key (what the page must show)."""
    r = httpx.post(
        web_server.url + "/ocr",
        headers={"x-api-key": "wrong-key", **headers},
        files={"file": ("a.png", png.read_bytes(), "image/png")},
        timeout=30,
    )
    assert r.status_code == 401
    return r


def test_bad_api_key_shows_the_error_envelope(browser: Browser, web_server: Target, korean_png: Path) -> None:
    envelope = _wrong_key_answer(web_server, korean_png).json()["error"]

    browser.open(web_server.url)
    browser.drop_file(korean_png, "image/png")  # drag and drop, this time
    browser.set_key("wrong-key")
    browser.submit()
    browser.wait_done(timeout=60)
    err = browser.error_text()
    assert err is not None, "no error shown"
    assert browser.el("#error").get_attribute("data-status") == "401"
    assert browser.el("#error-title").text == "Not signed in"
    assert browser.el("#error-message").text == envelope["message"]
    assert browser.el("#error-code").text == envelope["code"]
    assert "request id" in browser.el("#error-rid").text
    assert browser.el("#secret").get_attribute("aria-invalid") == "true"
    assert not browser.els("#overlay .box")
    browser.screenshot("web-error-401.png")


def test_a_korean_page_gets_the_service_error_in_korean(browser: Browser, web_server: Target, korean_png: Path) -> None:
    """The page asks for its own language (Accept-Language), whatever the browser's locale (en-US here)."""
    expected = _wrong_key_answer(web_server, korean_png, **{"accept-language": "ko"})
    assert expected.headers["content-language"] == "ko"
    envelope = expected.json()["error"]
    assert any("\uac00" <= ch <= "\ud7a3" for ch in envelope["message"]), envelope

    browser.open(web_server.url, ui_lang="ko")
    browser.choose_file(korean_png)
    browser.set_key("wrong-key")
    browser.submit()
    browser.wait_done(timeout=60)
    assert browser.el("#error").get_attribute("data-status") == "401"
    assert browser.el("#error-message").text == envelope["message"]
    assert browser.el("#error-code").text == envelope["code"]
    browser.screenshot("web-error-401-korean.png")


def test_structure_on_the_real_service(browser: Browser, web_server: Target, korean_png: Path) -> None:
    if not _route_exists(web_server, "/structure"):
        pytest.skip("POST /structure answers 404: not in this build of the service yet")
    browser.open(web_server.url)
    browser.choose_file(korean_png)
    browser.set_task("structure")
    browser.set_key(web_server.key)
    browser.submit()
    browser.wait_done(timeout=300)
    assert browser.error_text() is None, browser.error_text()
    assert browser.el("#tab-markdown").get_attribute("aria-selected") == "true"
    md = browser.el("#markdown").text
    assert any(w in md for w in KNOWN_WORDS), md
    assert browser.els("#overlay .box") or browser.els("#overlay .block")
    browser.screenshot("web-structure-korean.png")
    assert not browser.console_errors()


def test_extraction_on_the_real_service(browser: Browser, web_server: Target, korean_png: Path) -> None:
    if not _route_exists(web_server, "/extraction"):
        pytest.skip("POST /extraction answers 404: not in this build of the service yet")
    browser.open(web_server.url)
    browser.choose_file(korean_png)
    browser.set_task("extraction")
    browser.set_key(web_server.key)
    browser.submit()
    browser.wait_done(timeout=300)
    assert browser.error_text() is None, browser.error_text()
    rows = browser.els("#fields-table tbody tr")
    assert rows, "no fields shown"
    values = {r.get_attribute("data-field"): r.find_elements("css selector", "td")[0].text for r in rows}
    assert any("110,000" in v for v in values.values()), values
    browser.screenshot("web-extraction-korean.png")


def test_background_job_on_the_real_service(browser: Browser, web_server: Target, korean_png: Path) -> None:
    if not _route_exists(web_server, "/jobs"):
        pytest.skip("POST /jobs answers 404: not in this build of the service yet")
    browser.open(web_server.url)
    browser.choose_file(korean_png)
    browser.set_key(web_server.key)
    browser.el("details.more summary").click()
    browser.el("#use-job").click()
    browser.submit()
    browser.wait_done(timeout=300)
    assert browser.error_text() is None, browser.error_text()
    assert len(browser.els("#overlay .box")) >= 7
    assert any(w in browser.el("#lines").text for w in KNOWN_WORDS)


def test_page_assets_are_served_by_the_service(web_server: Target) -> None:
    r = httpx.get(web_server.url + "/", timeout=10)
    assert r.status_code == 200 and "content-security-policy" in r.headers
    for asset in ("app.js", "shared.js", "results.js", "progress.js", "api.js", "viewer.js", "markdown.js", "i18n.js"):
        assert httpx.get(f"{web_server.url}/static/{asset}", timeout=10).status_code == 200, asset
    for sheet in ("app.css", "form.css", "results.css"):
        assert httpx.get(f"{web_server.url}/static/{sheet}", timeout=10).status_code == 200, sheet
    cfg: dict[str, Any] = httpx.get(web_server.url + "/web/config", timeout=10).json()
    assert cfg["auth_mode"] == "api-key"
