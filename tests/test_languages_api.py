"""Languages over real HTTP (`python -m app`, the real offline engines): GET /languages, the 422s of an
unknown and of a not enabled `lang` on every route that takes one, a Tesseract-read language enabled by
OCR_LANGUAGES read end to end, and the start-up failure when its data is missing."""

from __future__ import annotations

import io
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from app.core import languages
from tests.conftest import REPO, TEST_KEY, LiveServer, ThreadServer, free_port, make_settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

H = {"x-api-key": TEST_KEY}
RAPIDOCR = REPO / "tests" / "engines" / "data" / "rapidocr"
ENABLED = "korean,en,th,el,arabic"
INSTALL_HINT = "install the test suite's language data with INSTALL_TEST_TOOLS=1 scripts/install.sh"
ROUTES = ("/ocr", "/ocr/batch", "/structure", "/extraction", "/jobs")


def wait_loaded(srv: LiveServer, timeout: float = 180.0) -> None:
    """Ready, or a test failure that says what is missing when the engines could not load."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if srv.proc.poll() is not None:
            raise RuntimeError(f"server exited with {srv.proc.returncode}:\n{srv.log()}")
        try:
            r = httpx.get(srv.url + "/health", timeout=2)
        except httpx.HTTPError:
            time.sleep(0.2)
            continue
        if r.status_code == 200:
            return
        if r.json().get("status") == "failed":
            pytest.fail(f"{r.json().get('error')}\n-> {INSTALL_HINT}", pytrace=False)
        time.sleep(0.2)
    raise TimeoutError(f"/health never answered 200:\n{srv.log()}")


@pytest.fixture(scope="module")
def srv() -> Iterator[LiveServer]:
    data_dir = tempfile.mkdtemp(prefix="ocr-lang-")
    server = LiveServer(
        {"AUTH_MODE": "api-key", "API_KEY": TEST_KEY, "LOG_FORMAT": "json", "DATA_DIR": data_dir,
         "OCR_LANGUAGES": ENABLED},
        free_port(),
    )  # fmt: skip
    try:
        wait_loaded(server)
        yield server
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 32), "white").save(buf, format="PNG")
    return buf.getvalue()


def post(srv: LiveServer, route: str, lang: str) -> httpx.Response:
    data = {"lang": lang}
    if route == "/extraction":
        data["template"] = "invoice"
    field = "files" if route == "/ocr/batch" else "file"
    return httpx.post(srv.url + route, headers=H, data=data, files={field: ("a.png", png(), "image/png")}, timeout=60)


def test_languages_needs_auth(srv: LiveServer) -> None:
    r = httpx.get(srv.url + "/languages")
    assert r.status_code == 401
    err = r.json()["error"]
    assert err["code"] == "unauthenticated" and err["request_id"] == r.headers["x-request-id"]
    assert httpx.get(srv.url + "/languages", headers={"x-api-key": "wrong"}).status_code == 401


def test_languages_lists_every_code_and_what_reads_it(srv: LiveServer) -> None:
    r = httpx.get(srv.url + "/languages", headers=H)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["default"] == "korean"
    rows = {row["code"]: row for row in body["languages"]}
    assert list(rows) == list(languages.CATALOGUE)
    assert all(
        set(row) == {"code", "name", "script", "enabled", "engine", "model", "package", "how_to_enable"}
        for row in rows.values()
    )
    assert rows["th"] == {
        "code": "th",
        "name": "Thai",
        "script": "Thai",
        "enabled": True,
        "engine": "tesseract",
        "model": "tesseract:tha",
        "package": "tesseract-ocr-tha",
        "how_to_enable": None,
    }
    assert rows["arabic"]["model"] == "tesseract:Arabic" and rows["arabic"]["package"] == "tesseract-ocr-script-arab"
    assert rows["ru"]["enabled"] is False and rows["ru"]["engine"] == "tesseract"
    assert rows["ru"]["how_to_enable"] == (
        "Russian (ru) is read with Tesseract's `rus` data: add ru to OCR_LANGUAGES and run scripts/install.sh "
        "(it installs tesseract-ocr-rus)"
    )
    for code in ("en", "ch", "japan", "latin", "fr", "de"):
        assert rows[code]["enabled"] is True and rows[code]["engine"] == "paddleocr", code
        assert rows[code]["model"] == "PP-OCRv6_small_rec" and rows[code]["package"] is None, code
    assert rows["korean"]["enabled"] is True and rows["korean"]["how_to_enable"] is None
    enabled = {code for code, row in rows.items() if row["enabled"]}
    assert enabled == set(languages.enabled_codes(ENABLED.split(",")))
    # the web page offers exactly the enabled languages
    page = httpx.get(srv.url + "/web/config").json()
    assert set(page["languages"]) == enabled | {"auto"} and page["languages"]["th"] == "Thai"
    assert next(iter(page["languages"])) == "auto" == page["page_lang"]  # Automatic first, the page's default


@pytest.mark.parametrize("route", ROUTES)
def test_unknown_language_is_422_unsupported_language(srv: LiveServer, route: str) -> None:
    r = post(srv, route, "klingon")
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "unsupported_language"
    assert "'klingon'" in err["message"] and "GET /languages" in err["message"]
    assert "th" in err["details"]["supported"] and "ru" not in err["details"]["supported"]
    assert post(srv, route, "thai").json()["error"]["message"].count("Did you mean th?") == 1


@pytest.mark.parametrize("route", ROUTES)
def test_language_not_enabled_is_422_naming_package_and_setting(srv: LiveServer, route: str) -> None:
    r = post(srv, route, "ru")
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "language_not_enabled"
    assert err["message"] == (
        "Russian (ru) is read with Tesseract's `rus` data: add ru to OCR_LANGUAGES and run scripts/install.sh "
        "(it installs tesseract-ocr-rus)."
    )
    assert err["details"] == {"lang": "ru", "setting": "OCR_LANGUAGES", "package": "tesseract-ocr-rus"}


@pytest.mark.parametrize(
    ("file", "lang", "text"),
    [
        ("th_rec.jpg", "th", "การแพทย์แผนจีนช่วยให้เด็กสมองพิการในคาซัคสถานกลับมาเดินได้"),
        ("el_rec.jpg", "el", "Ωραίος καιρός σήμερα."),
        ("arabic.png", "arabic", "امروز هوا خوبه."),  # right to left: logical order, spaces kept
    ],
)
def test_an_enabled_script_language_is_read_end_to_end(srv: LiveServer, file: str, lang: str, text: str) -> None:
    data = (RAPIDOCR / file).read_bytes()
    r = httpx.post(srv.url + "/ocr", headers=H, data={"lang": lang}, files={"file": (file, data)}, timeout=120)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["lang"] == lang and body["text"] == text
    entry = languages.CATALOGUE[lang]
    assert body["engine"]["name"] == "paddleocr+tesseract"
    assert body["engine"]["models"]["rec"].startswith("tesseract-") and body["engine"]["models"]["rec"].endswith(
        f":{entry.tesseract}"
    )


def test_openapi_documents_the_new_route_and_error(srv: LiveServer) -> None:
    spec = httpx.get(srv.url + "/openapi.json").json()
    op = spec["paths"]["/languages"]["get"]
    assert op["security"] and "401" in op["responses"]
    assert "language_not_enabled" in spec["paths"]["/ocr"]["post"]["responses"]["422"]["description"]


def test_missing_language_data_fails_the_start_naming_setting_and_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a machine without tesseract-ocr-tha (simulated: only an empty TESSDATA_DIR is searched) the engines
    do not load and /health says why: 503 `failed`, naming OCR_LANGUAGES and the package."""
    import app.engines.tesseract as tesseract
    from app.main import create_app

    monkeypatch.setattr(tesseract, "TESSDATA_CANDIDATES", ())
    monkeypatch.delenv("TESSDATA_PREFIX", raising=False)
    settings = make_settings(ocr_languages="th", tessdata_dir=tmp_path, data_dir=tmp_path / "data", det_workers=1)
    with ThreadServer(create_app(settings)) as server:
        deadline = time.monotonic() + 120
        while True:
            r = httpx.get(server.url + "/health", timeout=5)
            if r.json()["status"] != "loading" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert r.status_code == 503, r.text
        body = r.json()
        assert body["status"] == "failed"
        assert "OCR_LANGUAGES enables languages whose Tesseract data is not in TESSDATA_DIR=" in body["error"]
        assert "tesseract-ocr-tha (tha.traineddata: Thai (th))" in body["error"]
        r = httpx.post(server.url + "/ocr", headers=H, data={"lang": "en"}, files={"file": ("a.png", png())})
        assert r.status_code == 503 and r.json()["error"]["code"] == "not_ready"
        assert "tesseract-ocr-tha" in r.json()["error"]["message"]
