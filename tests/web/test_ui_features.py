"""The page's newer views in headless Chromium against the API's contract stub (tests/web/stub_api.py):
PDF pages drawn from their page images with thumbnails, text selected line by line, tables as grids with
CSV, the code for a request (run for real), one-click samples, recent runs, and field labels."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATA, TEST_KEY
from tests.render import KOREAN_SAMPLE
from tests.web.conftest import Browser
from tests.web.test_typescript_client import type_check_script

pytestmark = pytest.mark.slow


def read(browser: Browser, url: str, doc: Path, task: str = "ocr", *, job: bool = False) -> None:
    browser.open(url)
    browser.choose_file(doc)
    browser.set_task(task)
    browser.set_key(TEST_KEY)
    if job:
        browser.el("details.more summary").click()
        browser.el("#use-job").click()
    browser.submit()
    browser.wait_done(30)
    assert browser.error_text() is None, browser.error_text()


def sent(server: Any) -> dict[str, Any]:
    """What the page's last upload sent to the stub: path, form fields, file name."""
    return dict(server.server.config.app.state.requests[-1])


def test_pdf_pages_are_drawn_from_their_images_with_thumbnails(
    browser: Browser, stub_server: Any, two_page_pdf: Path
) -> None:
    read(browser, stub_server.url, two_page_pdf)
    assert sent(stub_server)["fields"]["page_images"] == "true"
    assert browser.el("#viewer").get_attribute("data-source") == "page-image"
    # the scan is under the boxes: ink inside the boxes, paper around them
    lum = browser.canvas_luminance()
    assert lum["boxes"] == 10 and lum["inside"] < lum["all"] - 25, lum
    # one thumbnail per page, its image; the current page is marked, a click goes to the page
    thumbs = browser.els("#thumbs .thumb")
    assert browser.visible("#thumbs") and len(thumbs) == 2
    assert [t.get_attribute("aria-label") for t in thumbs] == ["Page 1", "Page 2"]
    assert all(
        t.find_element("css selector", "img").get_attribute("src").startswith("data:image/jpeg;base64,") for t in thumbs
    )
    assert thumbs[0].get_attribute("aria-current") == "page"
    thumbs[1].click()
    browser.wait_page(2)
    assert "Invoice INV-2025-0042" in browser.el("#lines").text
    assert browser.el("#page-select").get_attribute("value") == "1"
    assert thumbs[1].get_attribute("aria-current") == "page" and thumbs[0].get_attribute("aria-current") is None
    assert browser.canvas_luminance()["inside"] < browser.canvas_luminance()["all"] - 25
    # the JSON tab shortens the images; the JSON download is the answer as it came
    assert "base64 characters>" in browser.el("#json").get_attribute("textContent")
    browser.driver.execute_script("document.getElementById('results').scrollIntoView()")
    browser.screenshot("web-pdf-page-images.png")
    assert not browser.console_errors()


def test_without_page_images_a_pdf_is_drawn_as_its_text(browser: Browser, stub_server: Any, two_page_pdf: Path) -> None:
    """A job's answer has no page images: a white page of the right size with the recognised text in place."""
    read(browser, stub_server.url, two_page_pdf, job=True)
    assert "page_images" not in sent(stub_server)["fields"]
    assert browser.el("#viewer").get_attribute("data-source") == "blank"
    assert len(browser.els("#overlay text.ghost-text")) == 10
    assert browser.canvas_luminance()["all"] > 250  # nothing but paper on the canvas
    assert len(browser.els("#thumbs .thumb .thumb-blank")) == 2


def test_text_is_selected_and_copied_line_by_line(browser: Browser, stub_server: Any, korean_png: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    read(browser, stub_server.url, korean_png)
    d = browser.driver
    d.execute_script(
        "window.__copied = [];"
        "document.addEventListener('copy', (e) => window.__copied.push(e.clipboardData.getData('text/plain')));"
    )
    # select from inside line 2 to inside line 4 (as a drag does), then Ctrl+C
    d.execute_script(
        """
        const t = document.querySelectorAll('#lines .line-text');
        const r = document.createRange();
        r.setStart(t[1].firstChild, 3);
        r.setEnd(t[3].firstChild, 4);
        const s = window.getSelection(); s.removeAllRanges(); s.addRange(r);
        """
    )
    ActionChains(d).key_down(Keys.CONTROL).send_keys("c").key_up(Keys.CONTROL).perform()
    browser.wait(lambda: d.execute_script("return window.__copied.length"), 5, "the copy")
    want = "\n".join([KOREAN_SAMPLE[1][3:], KOREAN_SAMPLE[2], KOREAN_SAMPLE[3][:4]])
    assert d.execute_script("return window.__copied[0]") == want  # no numbers, no confidences

    # a mouse drag across a line selects its text (a line is text, not a button)
    d.execute_script("window.getSelection().removeAllRanges()")
    line = browser.els("#lines .line-text")[4]
    w = line.rect["width"]
    ActionChains(d).move_to_element_with_offset(line, -w / 2 + 2, 0).click_and_hold().move_by_offset(
        w * 0.6, 0
    ).release().perform()
    picked = d.execute_script("return window.getSelection().toString()")
    assert len(picked) >= 4 and picked in KOREAN_SAMPLE[4], picked

    # a click (no selection) on a line highlights its box; so does keyboard focus, and Enter moves to the box
    d.execute_script("window.getSelection().removeAllRanges()")
    browser.els("#lines .line")[6].click()
    assert "active" in browser.els("#overlay .box")[6].get_attribute("class")
    assert browser.els("#lines .line")[6].get_attribute("tabindex") == "0"
    browser.els("#lines .line")[6].send_keys(Keys.ARROW_DOWN)
    assert d.switch_to.active_element.get_attribute("data-index") == "7"
    assert "active" in browser.els("#overlay .box")[7].get_attribute("class")
    d.switch_to.active_element.send_keys(Keys.ENTER)
    assert d.switch_to.active_element.get_attribute("id") == "overlay"
    assert "합계 110,000원" in browser.el("#tooltip").text
    browser.el("#overlay").send_keys(Keys.ARROW_RIGHT)
    assert "담당자" in browser.el("#tooltip").text


def test_tables_are_grids_with_their_csv(browser: Browser, stub_server: Any, korean_png: Path) -> None:
    read(browser, stub_server.url, korean_png, "structure")
    assert browser.visible("#tab-tables")
    browser.el("#tab-tables").click()
    cards = browser.els("#tables .table-card")
    assert len(cards) == 1 and "Table 1 · page 1 · 4 × 3" in cards[0].text
    rows = browser.els("#tables .grid-table tr")
    assert [len(r.find_elements("css selector", "td")) for r in rows] == [3, 3, 2, 3]  # 합계 spans two columns
    assert browser.el("#tables .grid-table tr:nth-child(3) td").get_attribute("colspan") == "2"
    assert rows[1].text.startswith('문서 인식 "프로" 이용료')
    browser.el("#tables button.csv").click()
    path = Path(browser.driver.downloads_dir) / "korean-invoice.table-1-1.csv"
    browser.wait(path.exists, 10, "the CSV download")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel reads the Korean text right
    text = raw.decode("utf-8-sig")
    assert '"문서 인식 ""프로"" 이용료",1,"100,000원"\r\n' in text
    assert list(csv.reader(io.StringIO(text))) == [
        ["품목", "수량", "금액"],
        ['문서 인식 "프로" 이용료', "1", "100,000원"],
        ["합계", "", "110,000원"],
        # a cell a spreadsheet would run as a formula is written as text (a leading '); a number stays one
        ['\'=HYPERLINK("http://evil.example","x")', "-3", "'+82-2-1234-5678"],
    ]
    browser.screenshot("web-structure-tables.png")


def test_code_for_this_request_repeats_it(
    browser: Browser, stub_server: Any, two_page_pdf: Path, tmp_path: Path
) -> None:
    read(browser, stub_server.url, two_page_pdf)
    asked = sent(stub_server)
    browser.el("#code-panel summary").click()
    curl = browser.el("#code-text").get_attribute("textContent")
    assert curl.startswith(f"curl -sS -X POST '{stub_server.url}/ocr'")
    assert '"x-api-key: $OCR_API_KEY"' in curl and TEST_KEY not in curl
    assert "'file=@two-pages.pdf'" in curl and "--form-string 'page_images=true'" in curl
    assert "OCR_API_KEY" in browser.el("#code-help").text

    # run it: the same request reaches the service
    shutil.copy(two_page_pdf, tmp_path / "two-pages.pdf")
    env = {**os.environ, "OCR_API_KEY": TEST_KEY}
    out = subprocess.run(["bash", "-c", curl], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert len(json.loads(out.stdout)["pages"]) == 2
    again = sent(stub_server)
    assert again["fields"] == asked["fields"] and again["filename"] == "two-pages.pdf"

    browser.el("input[name=code-lang][value=ts]").click()
    ts = browser.el("#code-text").get_attribute("textContent")
    assert f'fetch("{stub_server.url}/ocr"' in ts and 'form.append("page_images", "true");' in ts
    assert "process.env.OCR_API_KEY" in ts and TEST_KEY not in ts
    checked = type_check_script(ts, tmp_path)  # TypeScript, strict (it printed `result.text` of `any` before)
    assert checked.returncode == 0, f"the TypeScript snippet does not compile:\n{checked.stdout}{checked.stderr}"
    node = shutil.which("node")
    if node:  # the snippet is plain modern JavaScript too: run it
        (tmp_path / "request.mjs").write_text(ts, encoding="utf-8")
        out = subprocess.run([node, "request.mjs"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert "거래명세서" in out.stdout
        assert sent(stub_server)["fields"] == asked["fields"]
    # the copy button puts the snippet on the clipboard
    browser.driver.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"origin": stub_server.url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
    )
    browser.el("#code-copy").click()
    browser.wait(lambda: browser.el("#code-status").text, 5, "the copy status")
    assert browser.el("#code-status").text == "Copied to the clipboard."
    pasted = browser.driver.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, (e) => done('ERR ' + e));"
    )
    assert pasted == ts


def test_a_sample_is_read_with_one_click(browser: Browser, stub_server: Any) -> None:
    browser.open(stub_server.url)
    browser.set_key(TEST_KEY)
    samples = browser.els("#samples button.sample")
    assert [b.text for b in samples] == ["Korean invoice", "English invoice"]
    samples[0].click()
    browser.wait_done(30)
    assert browser.error_text() is None, browser.error_text()
    assert len(browser.els("#overlay .box")) == 10
    assert "korean_invoice.png" in browser.el("#file-info").text
    assert browser.el("#viewer").get_attribute("data-source") == "image"
    asked = sent(stub_server)
    assert asked["filename"] == "korean_invoice.png" and asked["fields"]["lang"] == "korean"
    # in Korean too
    browser.open(stub_server.url, ui_lang="ko")
    assert browser.el("#samples button.sample").text == "한국어 거래명세서"


def test_recent_runs_survive_a_reload_and_can_be_cleared(
    browser: Browser, stub_server: Any, korean_png: Path, two_page_pdf: Path
) -> None:
    read(browser, stub_server.url, korean_png)
    assert not browser.el("#history").get_attribute("hidden")
    browser.choose_file(two_page_pdf)
    browser.set_task("structure")
    browser.submit()
    browser.wait_done(30)
    d = browser.driver
    d.refresh()
    browser.wait(lambda: d.execute_script("return document.documentElement.dataset.ready"), 10, "reload")
    runs = browser.els("#history-list .run")
    assert len(runs) == 2
    assert "two-pages.pdf" in runs[0].text and "/structure" in runs[0].text and "2 page(s)" in runs[0].text
    assert "korean-invoice.png" in runs[1].text and "/ocr" in runs[1].text and "auto" in runs[1].text
    assert "주식회사 한빛소프트 거래명세서" in runs[1].text  # the start of the text
    stored = d.execute_script("return localStorage.getItem('ocr.history')")
    assert TEST_KEY not in stored and "base64" not in stored and len(stored) < 2000  # never the document or the key
    assert set(json.loads(stored)[0]) == {"name", "time", "endpoint", "lang", "pages", "excerpt"}
    # at most 20 entries
    count = d.execute_async_script(
        "const done = arguments[0]; import('/static/history.js').then((m) => {"
        " for (let i = 0; i < 25; i++) m.recordRun({name: `n${i}.png`, endpoint: '/ocr', lang: 'en', result: {text: 'x'}});"
        " done(m.loadRuns().length); });"
    )
    assert count == 20 and len(browser.els("#history-list .run")) == 20
    assert "n24.png" in browser.els("#history-list .run")[0].text
    browser.el("#history-clear").click()
    assert browser.el("#history-status").text == "History cleared."
    assert d.execute_script("return localStorage.getItem('ocr.history')") is None
    d.refresh()
    browser.wait(lambda: d.execute_script("return document.documentElement.dataset.ready"), 10, "reload")
    assert not browser.visible("#history")


def test_fields_show_their_label_or_their_name(browser: Browser, stub_server: Any, korean_png: Path) -> None:
    read(browser, stub_server.url, korean_png, "extraction")
    rows = browser.els("#fields-table tbody tr")
    assert rows[0].find_element("css selector", "th .field-link").text == "합계 금액"
    assert rows[0].find_element("css selector", "th").get_attribute("title") == "total_amount"
    assert rows[1].find_element("css selector", "th .field-link").text == "business_number"
    assert rows[2].find_element("css selector", "th").text == "invoice_number"


def test_the_samples_are_shipped_with_the_page(stub_server: Any) -> None:
    import httpx

    for name in ("korean_invoice.png", "english_invoice.png"):
        r = httpx.get(f"{stub_server.url}/static/samples/{name}", timeout=10)
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        assert r.content == (DATA / name).read_bytes()


def test_the_new_views_fit_a_400_px_screen(browser: Browser, stub_server: Any, two_page_pdf: Path) -> None:
    d = browser.driver
    d.set_window_size(400, 900)
    read(browser, stub_server.url, two_page_pdf, "structure")
    browser.el("#code-panel summary").click()
    browser.el("#tab-tables").click()
    assert browser.visible("#thumbs") and browser.visible("#code-text") and browser.visible("#history")
    assert d.execute_script("return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    d.execute_script("document.getElementById('code-panel').scrollIntoView()")
    browser.screenshot("web-mobile-code.png")


def test_word_boxes_on_request(browser: Browser, stub_server: Any, korean_png: Path) -> None:
    """`Word boxes` asks /ocr for words=true: each word gets its own box inside its line, named on hover,
    with a layer switch of its own; without it nothing changes."""
    from selenium.webdriver.common.action_chains import ActionChains

    read(browser, stub_server.url, korean_png)
    assert "words" not in sent(stub_server)["fields"]
    assert not browser.els("#overlay rect.word") and not browser.visible("#show-words-wrap")

    browser.el("details.more summary").click()
    browser.el("#words").click()
    browser.submit()
    browser.wait_done(30)
    assert browser.error_text() is None, browser.error_text()
    assert sent(stub_server)["fields"]["words"] == "true"
    words = browser.els("#overlay rect.word")
    expected = sum(len(line.split()) for line in KOREAN_SAMPLE)
    assert len(words) == expected > len(KOREAN_SAMPLE)
    assert browser.visible("#show-words-wrap")
    ActionChains(browser.driver).move_to_element(words[1]).perform()
    browser.wait(lambda: "Word 2 of" in browser.el("#tooltip").text, 5, "the word's tooltip")
    assert KOREAN_SAMPLE[0].split()[1] in browser.el("#tooltip").text and "line 1" in browser.el("#tooltip").text
    browser.screenshot("web-word-boxes.png")
    browser.el("#show-words").click()
    assert not any(w.is_displayed() for w in browser.els("#overlay rect.word"))
    assert all(b.is_displayed() for b in browser.els("#overlay .box"))  # the lines' boxes stay


def test_field_labels_on_the_page_never_cover_each_other(browser: Browser, stub_server: Any, korean_png: Path) -> None:
    """Fields on one line with labels wider than their boxes, and one on the line above: each label is placed
    where it covers no other (above its box, else below, else further out), and shows the field's label."""
    browser.open(stub_server.url)
    browser.choose_file(korean_png)
    browser.set_task("extraction")
    browser.set_key(TEST_KEY)
    browser.el("#fields").send_keys("manager,phone,fax,total")
    browser.submit()
    browser.wait_done(30)
    assert browser.error_text() is None, browser.error_text()
    tags = browser.els("#overlay .field-box text")
    assert [t.text for t in tags] == [
        "담당자 이름 (manager)",
        "대표 전화번호 (phone)",
        "팩스 번호 (fax number)",
        "합계 금액 (total amount)",
    ]
    rects = [t.rect for t in tags]

    def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
        return (
            a["x"] < b["x"] + b["width"] - 1
            and b["x"] < a["x"] + a["width"] - 1
            and a["y"] < b["y"] + b["height"] - 1
            and b["y"] < a["y"] + a["height"] - 1
        )

    pairs = [(i, j) for i in range(len(rects)) for j in range(i + 1, len(rects)) if overlap(rects[i], rects[j])]
    assert not pairs, (pairs, rects)
    browser.screenshot("web-field-labels.png")
