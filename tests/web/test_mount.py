"""The page is served by the service itself, offline: GET /, /static/*, /web/config (no browser)."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.http.errors import install_error_handlers
from app.web import STATIC_DIR, mount_web
from tests.conftest import make_settings


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    app.state.settings = make_settings(max_upload_mb=7)
    install_error_handlers(app)
    mount_web(app)
    mount_web(app)  # idempotent
    return TestClient(app)


def test_index_is_the_page_with_security_headers(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/static/app.js">' in r.text
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert client.head("/").status_code == 200


def test_every_file_the_page_loads_is_served(client: TestClient) -> None:
    """The stylesheets and scripts index.html names, and every module those scripts import, answer 200."""
    import re

    page = client.get("/").text
    todo = re.findall(r'(?:href|src)="/static/([\w.-]+)"', page)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        r = client.get(f"/static/{name}")
        assert r.status_code == 200, name
        if name.endswith(".js"):
            todo += re.findall(r'^import [^;]*? from "\./([\w.-]+)";', r.text, flags=re.M | re.S)
    assert {"app.css", "form.css", "results.css", "app.js", "shared.js", "results.js", "progress.js"} <= seen
    assert {"api.js", "i18n.js", "markdown.js", "viewer.js"} <= seen
    assert {"i18n-ko.js", "lines.js", "pages.js", "tables.js", "snippet.js", "samples.js", "history.js"} <= seen
    assert {"upload.js", "panels.css"} <= seen


def test_the_sample_documents_ship_inside_the_package(client: TestClient) -> None:
    """The page's "Try a sample" documents are the README's, served from the package's own static folder."""
    from tests.conftest import DATA

    page = client.get("/").text
    names = re.findall(r'data-sample="([\w.-]+)"', page)
    assert names == ["korean_invoice.png", "english_invoice.png"]
    for name in names:
        shipped = STATIC_DIR / "samples" / name
        assert shipped.read_bytes() == (DATA / name).read_bytes()
        r = client.get(f"/static/samples/{name}")
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        assert r.headers["content-security-policy"].startswith("default-src 'self'")


def test_static_files_are_served_with_types(client: TestClient) -> None:
    for name, ctype in [
        ("app.js", "javascript"),
        ("api.js", "javascript"),
        ("viewer.js", "javascript"),
        ("markdown.js", "javascript"),
        ("i18n.js", "javascript"),
        ("shared.js", "javascript"),
        ("results.js", "javascript"),
        ("progress.js", "javascript"),
        ("app.css", "text/css"),
        ("form.css", "text/css"),
        ("results.css", "text/css"),
        ("favicon.svg", "image/svg+xml"),
    ]:
        r = client.get(f"/static/{name}")
        assert r.status_code == 200, name
        assert ctype in r.headers["content-type"], (name, r.headers["content-type"])
        assert r.headers["cache-control"] == "no-cache"
        assert "etag" in r.headers


def test_missing_static_file_is_an_error_envelope(client: TestClient) -> None:
    r = client.get("/static/nope.js")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
    assert client.get("/static/../__init__.py").status_code == 404


def test_config_tells_the_page_what_it_needs_and_nothing_secret(client: TestClient) -> None:
    r = client.get("/web/config")
    assert r.status_code == 200
    cfg = r.json()
    assert cfg["auth_mode"] == "api-key"
    assert cfg["default_lang"] == "korean"
    assert "korean" in cfg["languages"]
    assert cfg["max_upload_mb"] == 7
    assert "test-key" not in r.text and "api_key" not in cfg


def test_page_is_not_in_the_api_schema(client: TestClient) -> None:
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    assert "/" not in paths and "/web/config" not in paths


EXTERNAL = re.compile(r"""(?:https?:)?//(?!www\.w3\.org/2000/svg)[a-z0-9.-]+\.[a-z]{2,}""", re.IGNORECASE)


def test_page_works_offline_no_external_resources() -> None:
    """No CDN, no web fonts, no analytics: nothing in the page points off the service's origin."""
    files = sorted(f for f in STATIC_DIR.rglob("*") if f.suffix in {".html", ".js", ".css", ".svg"})
    assert {f.name for f in files} >= {"index.html", "app.js", "app.css"}
    for f in files:
        text = f.read_text(encoding="utf-8")
        hits = [m.group(0) for m in EXTERNAL.finditer(text)]
        assert not hits, f"{f.name} refers to {hits}"
        assert "@import" not in text and "url(http" not in text


def test_no_unsafe_html_sinks_in_the_page_code() -> None:
    """Untrusted text reaches the DOM only as text: no innerHTML/outerHTML/insertAdjacentHTML/document.write."""
    for f in STATIC_DIR.glob("*.js"):
        code = f.read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert sink not in code, f"{f.name} uses {sink}"


def test_create_app_serves_the_page() -> None:
    """mount_web on the real app factory (what create_app does, or the lead wires in)."""
    from app.main import create_app

    app = create_app(make_settings())
    mount_web(app)
    c = TestClient(app)  # no lifespan: the page needs no engines
    r = c.get("/")
    assert r.status_code == 200 and 'id="overlay"' in r.text
    assert c.get("/static/app.js").status_code == 200
    assert c.get("/web/config").json()["auth_mode"] == "api-key"


def test_every_interface_string_is_in_english_and_korean() -> None:
    """The keys the page uses (data-i18n attributes, t("key") calls) exist in both languages, and the
    two languages have the same keys."""
    en_src = (STATIC_DIR / "i18n.js").read_text(encoding="utf-8")
    en_block = en_src[en_src.index("  en: {") : en_src.index("  ko: KO")]
    en = set(re.findall(r"^    (\w+):", en_block, flags=re.M))
    ko = set(re.findall(r"^  (\w+):", (STATIC_DIR / "i18n-ko.js").read_text(encoding="utf-8"), flags=re.M))
    assert len(en) > 150 and en == ko, (sorted(en - ko), sorted(ko - en))
    used: set[str] = set()
    used |= set(re.findall(r'data-i18n(?:-[\w-]+)?="(\w+)"', (STATIC_DIR / "index.html").read_text(encoding="utf-8")))
    for f in STATIC_DIR.glob("*.js"):
        used |= set(re.findall(r'\bt\(\s*"(\w+)"', f.read_text(encoding="utf-8")))
    assert {"trySample", "tabTables", "downloadCsv", "codeTitle", "historyTitle", "thumbPage"} <= used
    assert not used - en, sorted(used - en)
