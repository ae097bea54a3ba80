"""The page's views in headless Chromium against a contract stub of the API (tests/web/stub_api.py):
structure Markdown (sanitised), extraction fields, multi-page PDFs, background jobs, keyboard use,
exports, themes and small screens. Deterministic and quick; the real service is in test_browser.py."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_KEY
from tests.web.conftest import Browser

pytestmark = pytest.mark.slow


def run(browser: Browser, url: str, doc: Path, task: str = "ocr", *, key: str = TEST_KEY, job: bool = False) -> None:
    browser.open(url)
    browser.choose_file(doc)
    browser.set_task(task)
    browser.set_key(key)
    if job:
        browser.el("details.more summary").click()
        browser.el("#use-job").click()
    browser.submit()
    browser.wait_done(30)


def test_structure_markdown_is_rendered_and_sanitised(browser: Browser, stub_server: Any, korean_png: Path) -> None:
    run(browser, stub_server.url, korean_png, "structure")
    assert browser.error_text() is None
    assert browser.el("#tab-markdown").get_attribute("aria-selected") == "true"
    md = browser.el("#markdown")
    assert "거래명세서" in browser.el("#markdown h2").text
    tables = browser.els("#markdown table")
    assert len(tables) == 2, "the pipe table and the API's <table>"
    assert "100,000원" in tables[0].text
    assert browser.el("#markdown table th.align-right").text == "수량"
    # the HTML table kept its structure and only safe attributes
    assert browser.el("#markdown .html-table th").get_attribute("colspan") == "2"
    assert "110,000원" in tables[1].text
    d = browser.driver
    hostile = d.execute_script(
        "const m = document.getElementById('markdown');"
        "return {script: m.querySelectorAll('script,img,style,iframe').length,"
        " handlers: Array.from(m.querySelectorAll('*')).filter(e => Array.from(e.attributes).some(a => /^on|^style$/i.test(a.name))).length,"
        " jsLinks: Array.from(m.querySelectorAll('a')).filter(a => !/^https?:/.test(a.href)).length,"
        " badSpan: Array.from(m.querySelectorAll('[rowspan]')).filter(e => !/^\\d+$/.test(e.getAttribute('rowspan'))).length,"
        " pwned: window.__pwned === undefined ? null : window.__pwned};"
    )
    assert hostile == {"script": 0, "handlers": 0, "jsLinks": 0, "badSpan": 0, "pwned": None}
    # hostile markup outside tables is shown as text, not dropped silently and never executed
    assert "<img src=x" in md.text
    assert [li.text for li in browser.els("#markdown ul li")] == ["담당자 김민수", "전화 02-1234-5678"]
    # layout blocks are drawn over the page, and can be switched off
    assert len(browser.els("#overlay .block")) == 2
    browser.el("#show-blocks").click()
    assert not browser.els("#overlay .layer-blocks")[0].is_displayed()
    # source view shows the raw Markdown
    browser.el("input[name=md-scope][value=source]").click()
    assert "| 품목 | 수량 | 금액 |" in browser.el("#markdown pre").text
    assert not browser.console_errors()


def test_markdown_renderer_edge_cases(browser: Browser, stub_server: Any) -> None:
    """The renderer module on its own, in the page's origin."""
    browser.open(stub_server.url)
    out = browser.driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        import('/static/markdown.js').then(({ renderMarkdown, sanitizeTableHtml }) => {
          const r = (s) => renderMarkdown(s);
          const a = r('<html><body><table><tr><td>1<td>2<tr><td colspan=3 onmouseover=x()>3</table></body></html>');
          const b = r('## T\\n\\n1. one\\n2. two\\n\\n> quote\\n\\n```\\n<b>code</b>\\n```\\n\\n---\\n\\n**b** *i* `c` [ok](https://example.org) [no](javascript:alert(1))');
          const c = sanitizeTableHtml('<table><tr><td>&lt;script&gt;&amp;&#54620;</td></tr></table><script>alert(1)</script><style>*{}</style>tail');
          const d = r('| a | b |\\n|---|---|\\n| x \\\\| y | z |');
          const e = r('<!-- page 1 -->\\n\\n# A\\n<!-- a note\\nover lines -->\\ntext\\n<!-- page 2 -->\\nmore');
          done({
            aRows: a.querySelectorAll('tr').length, aCells: a.querySelectorAll('td').length,
            aSpan: a.querySelector('td[colspan]').getAttribute('colspan'), aHandlers: a.querySelectorAll('[onmouseover]').length,
            bTags: Array.from(b.children).map((e) => e.tagName).join(','),
            bCode: b.querySelector('pre code').textContent, bLinks: Array.from(b.querySelectorAll('a')).map((x) => x.href),
            bInline: b.querySelector('strong').textContent + b.querySelector('em').textContent + b.querySelector('p code').textContent,
            cText: c.textContent, cElems: Array.from(c.querySelectorAll('*')).map((e) => e.tagName).join(','),
            dCells: Array.from(d.querySelectorAll('td')).map((x) => x.textContent),
            eTags: Array.from(e.children).map((x) => x.className || x.tagName).join(','),
            eText: e.textContent,
          });
        });
        """
    )
    assert out["aRows"] == 2 and out["aCells"] == 3 and out["aSpan"] == "3" and out["aHandlers"] == 0
    assert out["bTags"] == "H3,OL,BLOCKQUOTE,PRE,HR,P"
    assert out["bCode"] == "<b>code</b>"
    assert out["bLinks"] == ["https://example.org/"]
    assert out["bInline"] == "bic"
    assert out["cText"] == "<script>&한tail"
    assert out["cElems"] == "TABLE,TR,TD"
    assert out["dCells"] == ["x | y", "z"]
    assert out["eTags"] == "page-mark,H2,P,page-mark,P"
    assert "note" not in out["eText"] and "<!--" not in out["eText"]


def test_extraction_fields_table(browser: Browser, stub_server: Any, korean_png: Path) -> None:
    run(browser, stub_server.url, korean_png, "extraction")
    assert browser.error_text() is None
    assert browser.el("#tab-fields").get_attribute("aria-selected") == "true"
    rows = browser.els("#fields-table tbody tr")
    assert [r.get_attribute("data-field") for r in rows] == ["total_amount", "business_number", "invoice_number"]
    assert "110,000" in rows[0].text and "91.0%" in rows[0].text
    assert "→ 110000 KRW" in rows[0].text  # the normalised value under the printed one
    assert rows[0].find_element("css selector", "th .concept").text == "Total"  # what the name was understood as
    assert "⚠ the check digit does not match" in rows[1].text  # a failed check says why
    assert "invalid" in rows[1].find_element("css selector", "td.value").get_attribute("class")
    assert "not found" in rows[2].text
    assert "Method: rules" in browser.el("#fields-meta").text
    # the form asks for template=auto by default, and the answer says which template was chosen
    assert browser.el("#template").get_attribute("value") == "auto"
    assert "template invoice" in browser.el("#result-meta").text
    # fields with a bbox are drawn on the page; the name button highlights its box
    assert len(browser.els("#overlay .field-box")) == 2
    browser.el("#fields-table .field-link").click()
    assert "active" in (browser.els("#overlay .field-box")[0].get_attribute("class") or "")
    assert browser.el("#tooltip").is_displayed() and "110,000" in browser.el("#tooltip").text
    # no lines in an extraction answer: the text tab shows the whole text
    browser.el("#tab-text").click()
    assert "합계 110,000원" in browser.el("#all-text").get_attribute("value")


def test_extraction_needs_template_or_fields(browser: Browser, stub_server: Any, korean_png: Path) -> None:
    browser.open(stub_server.url)
    browser.choose_file(korean_png)
    browser.set_task("extraction")
    browser.set_key(TEST_KEY)
    browser.el("#template").clear()
    browser.submit()
    assert "template or a list of fields" in (browser.error_text() or "")
    assert browser.el("#template").get_attribute("aria-invalid") == "true"
    browser.el("#fields").send_keys("total_amount, business_number")
    browser.submit()
    browser.wait_done(30)
    assert browser.error_text() is None and browser.els("#fields-table tbody tr")


def test_multi_page_pdf_page_by_page(browser: Browser, stub_server: Any, two_page_pdf: Path) -> None:
    run(browser, stub_server.url, two_page_pdf, "ocr")
    assert browser.error_text() is None
    assert browser.visible("#pager")
    assert browser.el("#page-count").text == "of 2"
    # the form asked for lang=auto (the page's default) and the answer's languages are named
    assert browser.el("#lang").get_attribute("value") == "auto"
    assert "read as Korean (Hangul + Latin digits), English" in browser.el("#result-meta").text
    # the page the service read is drawn under the boxes (page_images=true), in the page's pixel space
    assert browser.el("#viewer").get_attribute("data-source") == "page-image"
    assert stub_server.server.config.app.state.requests[-1]["fields"]["page_images"] == "true"
    vb = browser.driver.execute_script("return document.getElementById('overlay').getAttribute('viewBox')").split()
    assert [round(float(v)) for v in vb[2:]] == [1653, 2339]
    assert not browser.els("#overlay text.ghost-text")
    assert "거래명세서" in browser.el("#lines").text
    browser.el("#page-next").click()
    assert "Invoice INV-2025-0042" in browser.el("#lines").text
    assert browser.el("#page-next").get_attribute("disabled") is not None
    browser.el("#page-prev").click()
    assert "거래명세서" in browser.el("#lines").text
    # all text: both pages
    browser.el("input[name=text-scope][value=all]").click()
    text = browser.el("#all-text").get_attribute("value")
    assert "거래명세서" in text and "Thank you for your business." in text


def test_background_job_shows_progress(browser: Browser, stub_server: Any, korean_png: Path) -> None:
    browser.open(stub_server.url)
    browser.choose_file(korean_png)
    browser.set_key(TEST_KEY)
    browser.el("details.more summary").click()
    browser.el("#use-job").click()
    browser.submit()
    seen = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and browser.el("#copy").get_attribute("disabled") is not None:
        seen.add(browser.el("#progress-text").text.split("…")[0].split(":")[0])
        time.sleep(0.05)
    assert browser.error_text() is None
    assert {"Job queued", "Job running"} <= seen, seen
    assert len(browser.els("#overlay .box")) == 10
    assert browser.el("#progress-text").text.startswith("Done in")


def test_cancel_a_background_job(browser: Browser, stub_server: Any, korean_png: Path) -> None:
    jobs = stub_server.server.config.app.state.jobs
    browser.open(stub_server.url)
    browser.choose_file(korean_png)
    browser.set_key(TEST_KEY)
    browser.el("details.more summary").click()
    browser.el("#use-job").click()
    before = set(jobs)
    browser.submit()
    browser.wait(lambda: set(jobs) - before, 10, "the job to be created")
    browser.el("#cancel").click()
    browser.wait(lambda: browser.el("#progress-text").text == "Cancelled.", 10, "the cancellation")
    (job_id,) = set(jobs) - before
    browser.wait(lambda: jobs[job_id].get("cancelled"), 10, "POST /jobs/<id>/cancel")
    assert browser.error_text() is None
    assert browser.el("#submit").is_enabled()


def test_routes_not_there_yet_say_so(browser: Browser, stub_server_without_routes: Any, korean_png: Path) -> None:
    run(browser, stub_server_without_routes.url, korean_png, "structure")
    err = browser.error_text() or ""
    assert "Not available on this service" in err and "/structure" in err


def test_local_validation_before_sending(browser: Browser, stub_server: Any, korean_png: Path) -> None:
    browser.open(stub_server.url)
    browser.submit()
    assert "Choose a file first." in (browser.error_text() or "")
    browser.choose_file(korean_png)
    browser.submit()
    assert "Enter the API key." in (browser.error_text() or "")
    assert browser.driver.switch_to.active_element.get_attribute("id") == "secret"


def test_key_lives_in_session_storage_only(browser: Browser, stub_server: Any) -> None:
    browser.open(stub_server.url)
    browser.set_key("my-secret-key")
    d = browser.driver
    assert d.execute_script("return sessionStorage.getItem('ocr.secret.api-key')") == "my-secret-key"
    assert "my-secret-key" not in json.dumps(d.execute_script("return {...localStorage}"))
    d.refresh()
    browser.wait(lambda: d.execute_script("return document.documentElement.dataset.ready"), 10, "reload")
    assert browser.el("#secret").get_attribute("value") == "my-secret-key"
    assert browser.el("#secret").get_attribute("type") == "password"
    browser.el("#secret-show").click()
    assert browser.el("#secret").get_attribute("type") == "text"
    browser.el("#secret-forget").click()
    assert d.execute_script("return sessionStorage.getItem('ocr.secret.api-key')") is None
    # a service that takes API keys offers no other kind of credential, and says where the key comes from
    assert not browser.el("#auth-mode").is_displayed()
    assert browser.el("#secret-label").text == "API key"
    assert "API_KEY" in browser.el("#secret-help").text and "make run" in browser.el("#secret-help").text


def test_a_cognito_service_asks_for_a_token_only(browser: Browser, cognito_stub_server: Any) -> None:
    browser.open(cognito_stub_server.url)
    assert not browser.el("#auth-mode").is_displayed()
    assert browser.el("#auth-mode").get_attribute("value") == "cognito"
    assert browser.el("#secret-label").text == "Cognito token"
    assert "fetchAuthSession" in browser.el("#secret-help").text


def test_keyboard_boxes_and_tabs(browser: Browser, stub_server: Any, korean_png: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    run(browser, stub_server.url, korean_png, "ocr")
    # the pointer is where the submit button was: park it away from the boxes (hover picks a box too)
    ActionChains(browser.driver).move_to_element(browser.el("#health")).perform()
    overlay = browser.el("#overlay")
    overlay.send_keys(Keys.ARROW_RIGHT)
    assert browser.el("#tooltip").is_displayed()
    assert "주식회사 한빛소프트 거래명세서" in browser.el("#tooltip").text
    overlay.send_keys(Keys.ARROW_RIGHT)
    assert "Line 2 of 10" in browser.el("#viewer-live").get_attribute("textContent")
    assert "active" in browser.el('#lines .line[data-index="1"]').get_attribute("class")
    overlay.send_keys(Keys.END)
    assert "감사합니다" in browser.el("#tooltip").text
    overlay.send_keys(Keys.ESCAPE)
    assert not browser.el("#tooltip").is_displayed()
    # tabs follow the WAI-ARIA pattern: arrows move and select
    browser.el("#tab-text").click()
    browser.el("#tab-text").send_keys(Keys.ARROW_RIGHT)
    assert browser.el("#tab-json").get_attribute("aria-selected") == "true"
    assert browser.driver.switch_to.active_element.get_attribute("id") == "tab-json"
    assert json.loads(browser.el("#json").text)["pages"][0]["page"] == 1
    # focusing a line in the list highlights its box
    browser.el("#tab-json").send_keys(Keys.ARROW_LEFT)
    browser.el('#lines .line[data-index="7"]').send_keys("")  # focus
    assert "active" in browser.els("#overlay .box")[7].get_attribute("class")


def test_downloads(browser: Browser, stub_server: Any, korean_png: Path) -> None:
    run(browser, stub_server.url, korean_png, "ocr")
    downloads = Path(browser.driver.downloads_dir)
    for button, name in [
        ("#dl-txt", "korean-invoice.ocr.txt"),
        ("#dl-json", "korean-invoice.ocr.json"),
        ("#dl-md", "korean-invoice.ocr.md"),
    ]:
        browser.el(button).click()
        browser.wait(lambda n=name: (downloads / n).exists(), 10, f"{name} to be downloaded")
    assert (
        (downloads / "korean-invoice.ocr.txt")
        .read_text(encoding="utf-8")
        .startswith("주식회사 한빛소프트 거래명세서\n")
    )
    assert json.loads((downloads / "korean-invoice.ocr.json").read_text(encoding="utf-8"))["pages"][0]["width"] == 1240
    md = (downloads / "korean-invoice.ocr.md").read_text(encoding="utf-8")
    assert md.startswith("# korean-invoice\n") and "## Page 1" in md and "합계 110,000원" in md


def test_dark_theme_small_screen_and_korean_interface(browser: Browser, stub_server: Any, korean_png: Path) -> None:
    d = browser.driver
    d.set_window_size(390, 844)
    browser.open(stub_server.url, theme="dark", ui_lang="ko")
    assert d.execute_script("return document.documentElement.lang") == "ko"
    assert browser.el("#submit").text == "문서 읽기"
    bg = d.execute_script("return getComputedStyle(document.body).backgroundColor")
    assert bg == "rgb(15, 18, 22)"
    browser.choose_file(korean_png)
    browser.set_key(TEST_KEY)
    browser.submit()
    browser.wait_done(30)
    assert len(browser.els("#overlay .box")) == 10
    # one column, nothing wider than the screen
    assert d.execute_script("return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    d.execute_script("document.getElementById('results').scrollIntoView()")
    browser.screenshot("web-mobile-dark.png")


def test_auto_theme_follows_the_system_colour_scheme(browser: Browser, stub_server: Any) -> None:
    d = browser.driver

    def page_colours() -> tuple[str, str]:
        return d.execute_script(
            "const b = getComputedStyle(document.body);"
            "const s = getComputedStyle(document.getElementById('submit'));"
            "return [b.backgroundColor, s.backgroundColor];"
        )

    try:
        for scheme, expected_bg in (("dark", "rgb(15, 18, 22)"), ("light", "rgb(245, 246, 248)")):
            d.execute_cdp_cmd(
                "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]}
            )
            browser.open(stub_server.url, theme="auto")
            bg, button = page_colours()
            assert bg == expected_bg, scheme
            assert button != bg
        # an explicit choice wins over the system's
        browser.open(stub_server.url, theme="dark")
        assert page_colours()[0] == "rgb(15, 18, 22)"  # dark under a light system
        d.execute_cdp_cmd(
            "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}
        )
        browser.open(stub_server.url, theme="light")
        assert page_colours()[0] == "rgb(245, 246, 248)"  # light under a dark system
    finally:
        d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})


def test_every_control_has_an_accessible_name(browser: Browser, stub_server: Any, korean_png: Path) -> None:
    run(browser, stub_server.url, korean_png, "structure")
    unnamed = browser.driver.execute_script(
        """
        const name = (el) => (el.labels && el.labels.length && el.labels[0].textContent.trim())
          || el.getAttribute('aria-label') || (el.getAttribute('aria-labelledby') || '').split(' ')
            .map((id) => document.getElementById(id)?.textContent.trim()).join('')
          || (el.tagName === 'BUTTON' && el.textContent.trim()) || '';
        return Array.from(document.querySelectorAll('input, select, textarea, button, [tabindex="0"]'))
          .filter((el) => !name(el) && !el.closest('[hidden]') && el.id !== 'overlay'
                          && !['panel-text','panel-markdown','panel-fields','panel-json'].includes(el.id)
                          && !el.classList.contains('table-wrap'))
          .map((el) => el.outerHTML.slice(0, 120));
        """
    )
    assert unnamed == []
    # the page view is named for assistive technology once a page is shown
    assert "10 text boxes" in browser.el("#overlay").get_attribute("aria-label")
    # tab panels are labelled by their tabs
    for panel in browser.els("[role=tabpanel]"):
        assert browser.el("#" + panel.get_attribute("aria-labelledby")).get_attribute("role") == "tab"


def test_a_page_selection_is_not_counted_as_the_whole_document(
    browser: Browser, stub_server: Any, two_page_pdf: Path
) -> None:
    """pages=2-3 gives pages 2 and 3: the pager offers 2 and 3 and does not say "Page 3 of 2"."""
    browser.open(stub_server.url)
    browser.choose_file(two_page_pdf)
    browser.set_task("ocr")
    browser.set_key(TEST_KEY)
    details = browser.els("details.more summary")
    if details and not browser.el("#pages").is_displayed():
        details[0].click()
    browser.el("#pages").send_keys("2-3")
    browser.submit()
    browser.wait_done(30)
    assert browser.error_text() is None
    options = [o.text for o in browser.els("#page-select option")]
    assert options == ["2", "3"]
    assert browser.el("#page-count").text == "(2 pages read)"
    assert "of 2" not in browser.el("#pager").text


def test_lines_below_the_threshold_are_counted_and_shown_on_request(
    browser: Browser, stub_server: Any, korean_png: Path
) -> None:
    run(browser, stub_server.url, korean_png, "ocr")
    assert len(browser.els("#lines .line")) == 10
    assert browser.visible("#hidden-lines")
    assert browser.el("#hidden-lines-text").text.endswith(": 1.")
    browser.el("#show-hidden").click()
    assert len(browser.els("#lines .line")) == 11
    low = browser.els("#lines .line.below-threshold")
    assert len(low) == 1 and "흐릿한 도장 자국" in low[0].text and "31" in low[0].text
    assert len(browser.els("#overlay .box")) == 11  # its box is drawn too
    assert browser.el("#show-hidden").text == "Hide them"
    browser.el("#show-hidden").click()
    assert len(browser.els("#lines .line")) == 10


def test_copy_text_copies_the_page_on_screen(browser: Browser, stub_server: Any, two_page_pdf: Path) -> None:
    run(browser, stub_server.url, two_page_pdf, "ocr")
    browser.el("#page-next").click()

    def to_copy() -> str:
        return str(
            browser.driver.execute_async_script(
                "const done = arguments[0];"
                "import('/static/results.js').then((m) => done(m.textToCopy()), (e) => done('ERR ' + e));"
            )
        )

    page_two = to_copy()
    assert "Invoice INV-2025-0042" in page_two and "거래명세서" not in page_two
    browser.el("input[name=text-scope][value=all]").click()
    whole = to_copy()
    assert "Invoice INV-2025-0042" in whole and "거래명세서" in whole
