"""Fixtures for the web page's tests: headless Chromium through Selenium, the real service with the
page mounted, a contract stub of the API, rendered Korean documents, and screenshots in artifacts/."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, TEST_KEY, LiveServer, ThreadServer, free_port
from tests.render import ENGLISH_SAMPLE, KOREAN_SAMPLE, images_to_pdf, render_lines, to_bytes

ARTIFACTS = REPO / "artifacts"

CHROME_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--lang=en-US",
    "--window-size=1440,1000",
]


def _find(env: str, names: list[str]) -> str | None:
    value = os.environ.get(env)
    if value:
        return value if Path(value).exists() else None
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_paths() -> tuple[str, str]:
    """(browser, driver) or skip with what is missing and how to get it."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.skip("selenium is not installed (pip install selenium; it is in the dev dependency group)")
    browsers = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
    driver = _find("CHROMEDRIVER", ["chromedriver"])
    gh_driver = Path(os.environ.get("CHROMEWEBDRIVER", "/nonexistent")) / "chromedriver"
    if not os.environ.get("CHROMEDRIVER") and gh_driver.exists():
        # GitHub's runners: Google Chrome with the driver of the same version
        driver = str(gh_driver)
        browsers = ["google-chrome", "google-chrome-stable", *browsers]
    browser = _find("CHROME_BIN", browsers)
    missing = [
        what
        for what, path in (
            ("chromium (apt-get install chromium)", browser),
            ("chromedriver (apt-get install chromium-driver)", driver),
        )
        if not path
    ]
    if missing:
        pytest.skip("browser tests need " + " and ".join(missing) + "; or set CHROME_BIN / CHROMEDRIVER")
    assert browser and driver
    return browser, driver


class Browser:
    """A thin helper over a Selenium Chrome driver, for the page's tests."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    def open(self, base_url: str, *, theme: str = "light", ui_lang: str = "en") -> None:
        from selenium.webdriver.support.ui import WebDriverWait

        d = self.driver
        d.get(base_url + "/")
        # every test starts from an empty session (no remembered key) and known preferences
        d.execute_script(
            "sessionStorage.clear(); localStorage.clear();"
            "localStorage.setItem('ocr.theme', arguments[0]); localStorage.setItem('ocr.uiLang', arguments[1]);",
            theme,
            ui_lang,
        )
        d.get(base_url + "/")
        WebDriverWait(d, 20).until(lambda drv: drv.execute_script("return document.documentElement.dataset.ready"))
        d.get_log("browser")  # start each test with an empty console

    def el(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def els(self, css: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def visible(self, css: str) -> bool:
        found = self.els(css)
        return bool(found) and found[0].is_displayed()

    def wait(self, cond: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = cond()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; page says: {self.status()}")
            time.sleep(0.1)

    def status(self) -> str:
        return str(
            self.driver.execute_script(
                "const e=document.getElementById('error'); const p=document.getElementById('progress-text');"
                "return JSON.stringify({error: e && !e.hidden ? e.innerText : null, progress: p && p.textContent});"
            )
        )

    def choose_file(self, path: Path) -> None:
        self.el("#file").send_keys(str(path))
        self.wait(lambda: self.el("#file-info").text.strip(), 10, "the file to be taken")

    def drop_file(self, path: Path, mime: str) -> None:
        """Drop a file on the drop zone like a drag from the desktop (a synthetic DataTransfer)."""
        import base64

        data = base64.b64encode(path.read_bytes()).decode()
        self.driver.execute_script(
            """
            const [b64, name, type] = arguments;
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name, { type }));
            const zone = document.getElementById('drop');
            for (const kind of ['dragenter', 'dragover', 'drop']) {
              zone.dispatchEvent(new DragEvent(kind, { dataTransfer: dt, bubbles: true, cancelable: true }));
            }
            """,
            data,
            path.name,
            mime,
        )
        self.wait(lambda: self.el("#file-info").text.strip(), 10, "the dropped file to be taken")

    def set_task(self, task: str) -> None:
        self.el(f"input[name=task][value={task}]").click()

    def set_key(self, key: str) -> None:
        box = self.el("#secret")
        box.clear()
        box.send_keys(key)

    def submit(self) -> None:
        self.el("#submit").click()

    def wait_done(self, timeout: float = 180.0) -> None:
        """Until the request has finished (results or an error)."""
        self.wait(
            lambda: self.driver.execute_script(
                "return !document.getElementById('submit').disabled && "
                "(!document.getElementById('error').hidden || !document.getElementById('copy').disabled) && "
                "!document.getElementById('viewer').dataset.pending"
            ),
            timeout,
            "the request to finish",
        )

    def wait_page(self, number: int, timeout: float = 10.0) -> None:
        """Until page ``number`` is drawn in the viewer (a page image is decoded first)."""
        self.wait(
            lambda: self.driver.execute_script(
                "const v = document.getElementById('viewer'); return v.dataset.page === arguments[0] && !v.dataset.pending",
                str(number),
            ),
            timeout,
            f"page {number} to be drawn",
        )

    def error_text(self) -> str | None:
        return None if self.el("#error").get_attribute("hidden") is not None else self.el("#error").text

    def canvas_luminance(self) -> dict[str, float]:
        """Mean luminance (0-255) of the page canvas: overall, and inside the boxes of the lines drawn over it
        (their page coordinates scaled to the canvas). A page image under the boxes is darker inside them."""
        return dict(
            self.driver.execute_script(
                """
                const c = document.getElementById('page-canvas');
                const vb = document.getElementById('overlay').getAttribute('viewBox').split(' ').map(Number);
                const k = c.width / vb[2];
                const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                const lum = (x, y) => { const i = 4 * (y * c.width + x); return (px[i] + px[i + 1] + px[i + 2]) / 3; };
                let all = 0;
                for (let y = 0; y < c.height; y += 2) for (let x = 0; x < c.width; x += 2) all += lum(x, y);
                all /= Math.ceil(c.height / 2) * Math.ceil(c.width / 2);
                let inside = 0, n = 0;
                for (const box of document.querySelectorAll('#overlay .box')) {
                  const b = box.getBBox();
                  for (let y = Math.floor(b.y * k); y < Math.min(c.height, (b.y + b.height) * k); y++)
                    for (let x = Math.floor(b.x * k); x < Math.min(c.width, (b.x + b.width) * k); x++) { inside += lum(x, y); n++; }
                }
                return {all, inside: n ? inside / n : 255, boxes: document.querySelectorAll('#overlay .box').length};
                """
            )
        )

    def console_errors(self) -> list[str]:
        return [e["message"] for e in self.driver.get_log("browser") if e.get("level") == "SEVERE"]

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        self.driver.save_screenshot(str(path))
        return path


@pytest.fixture(scope="session")
def chrome() -> Iterator[Any]:
    browser_bin, driver_bin = chromium_paths()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never go to the network
    profile = tempfile.mkdtemp(prefix="ocr-web-chrome-")
    downloads = tempfile.mkdtemp(prefix="ocr-web-downloads-")
    options = webdriver.ChromeOptions()
    options.binary_location = browser_bin
    for flag in [*CHROME_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"download.default_directory": downloads, "download.prompt_for_download": False}
    )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(driver_bin))
    driver.set_page_load_timeout(30)
    driver.downloads_dir = downloads  # type: ignore[attr-defined]
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
        shutil.rmtree(downloads, ignore_errors=True)


@pytest.fixture
def browser(chrome: Any) -> Iterator[Browser]:
    chrome.set_window_size(1440, 1000)
    yield Browser(chrome)


# --- servers ------------------------------------------------------------------------------------------


class WebLiveServer(LiveServer):
    """Like LiveServer (`python -m app`, real engines, real HTTP) but through tests.web.serve, which
    mounts the page when app/main.py does not do it yet."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = REPO / "artifacts" / f"server-web-{port}.log"
        self.log_path.parent.mkdir(exist_ok=True)
        self._log = open(self.log_path, "wb")
        full_env = {**os.environ, **env, "HOST": "127.0.0.1", "PORT": str(port)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.web.serve"],
            cwd=REPO,
            env=full_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )


def _main_mounts_web() -> bool:
    return "mount_web" in (REPO / "app" / "main.py").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Target:
    """A running service with the page: its base URL and an API key it accepts."""

    url: str
    key: str


@pytest.fixture(scope="session")
def web_server(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The real service serving the page.

    OCR_WEB_BASE_URL (+ OCR_WEB_API_KEY): an already running service (a dev server, a staging
    deployment). Otherwise `python -m app` with real engines: the shared live_server once create_app
    mounts the page, else an own one through tests.web.serve.
    """
    external = os.environ.get("OCR_WEB_BASE_URL")
    if external:
        yield Target(external.rstrip("/"), os.environ.get("OCR_WEB_API_KEY", TEST_KEY))
        return
    if _main_mounts_web():
        srv: LiveServer = request.getfixturevalue("live_server")
        yield Target(srv.url, TEST_KEY)
        return
    own = WebLiveServer({"AUTH_MODE": "api-key", "API_KEY": TEST_KEY, "LOG_FORMAT": "json"}, free_port())
    try:
        own.wait_ready(timeout=180)
        yield Target(own.url, TEST_KEY)
    finally:
        own.stop()


@pytest.fixture(scope="session")
def stub_server() -> Iterator[ThreadServer]:
    from tests.web.stub_api import create_stub_app

    with ThreadServer(create_stub_app()) as srv:
        yield srv


@pytest.fixture(scope="session")
def cognito_stub_server() -> Iterator[ThreadServer]:
    """The stub API as a service in AUTH_MODE=cognito would describe itself to the page."""
    from tests.web.stub_api import create_stub_app

    cognito = {
        "auth_mode": "cognito",
        "cognito_issuer": "https://cognito-idp.ap-northeast-2.amazonaws.com/ap-northeast-2_example",
        "cognito_audience": "example-client-id",
    }
    with ThreadServer(create_stub_app(settings=cognito)) as srv:
        yield srv


@pytest.fixture(scope="session")
def stub_server_without_routes() -> Iterator[ThreadServer]:
    """A service that has only /ocr (as before /structure, /extraction and /jobs existed)."""
    from tests.web.stub_api import create_stub_app

    with ThreadServer(create_stub_app(structure=False, extraction=False, jobs=False)) as srv:
        yield srv


# --- documents ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def korean_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Korean sample rendered as a PNG (its text is known exactly: tests/render.py KOREAN_SAMPLE)."""
    img, _ = render_lines(KOREAN_SAMPLE)
    path = tmp_path_factory.mktemp("web") / "korean-invoice.png"
    path.write_bytes(to_bytes(img))
    return path


@pytest.fixture(scope="session")
def two_page_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ko, _ = render_lines(KOREAN_SAMPLE)
    en, _ = render_lines(ENGLISH_SAMPLE, font_name="dejavu")
    path = tmp_path_factory.mktemp("web") / "two-pages.pdf"
    path.write_bytes(images_to_pdf([ko, en]))
    return path
