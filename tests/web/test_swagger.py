"""Swagger UI (/docs) as a new user meets it, in headless Chromium against the real service: authorize
with the API key, open POST /ocr, "Try it out" with the form as it comes, pick a file, Execute: 200.
The form must not come pre-filled with the literal `string` (which the service refuses with 422)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.conftest import Browser, Target

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def _field(op: object, name: str) -> object:
    from selenium.webdriver.common.by import By

    rows = op.find_elements(By.CSS_SELECTOR, "tr")  # type: ignore[attr-defined]
    for row in rows:
        names = row.find_elements(By.CSS_SELECTOR, ".parameter__name")
        if names and names[0].text.split()[0].strip("*") == name:
            return row.find_element(By.CSS_SELECTOR, "input")
    raise AssertionError(f"no form field {name!r} in the operation")


def test_try_it_out_reads_a_document_with_the_form_as_it_comes(
    browser: Browser, web_server: Target, korean_png: Path
) -> None:
    from selenium.webdriver.common.by import By

    d = browser.driver
    d.get(web_server.url + "/docs")
    browser.wait(lambda: browser.els("#operations-ocr-ocr_ocr_post"), 30, "Swagger UI to render the operations")

    browser.el(".auth-wrapper .authorize").click()
    key_input = browser.wait(lambda: browser.els(".modal-ux input"), 10, "the Authorize dialog")[0]
    key_input.send_keys(web_server.key)
    browser.el(".modal-ux .auth-btn-wrapper .authorize").click()
    browser.wait(lambda: browser.els(".modal-ux .btn-done"), 10, "the dialog to accept the key")
    browser.el(".modal-ux .btn-done").click()

    op = browser.el("#operations-ocr-ocr_ocr_post")
    op.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    browser.wait(lambda: op.find_elements(By.CSS_SELECTOR, ".try-out__btn"), 10, "the Try it out button")
    op.find_element(By.CSS_SELECTOR, ".try-out__btn").click()
    browser.wait(lambda: op.find_elements(By.CSS_SELECTOR, "input[type=file]"), 10, "the form")

    lang = _field(op, "lang")
    pages = _field(op, "pages")
    assert lang.get_attribute("value") == "korean"  # type: ignore[attr-defined]
    assert pages.get_attribute("value") == ""  # type: ignore[attr-defined]
    op.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(korean_png))
    op.find_element(By.CSS_SELECTOR, ".execute").click()

    status = browser.wait(
        lambda: [
            c.text.strip()
            for c in op.find_elements(By.CSS_SELECTOR, ".live-responses-table .response .response-col_status")
            if c.text.strip()
        ],
        240,
        "the response",
    )
    browser.screenshot("swagger-try-it-out.png")
    body = " ".join(
        p.text for p in op.find_elements(By.CSS_SELECTOR, ".live-responses-table .response-col_description pre")
    )
    assert status[0] == "200", body[:500]
    assert "거래명세서" in body or "합계" in body, body[:500]
