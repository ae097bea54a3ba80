"""lang=auto: each page read as the language it turns out to be in, reported per page (pages[].lang)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.engines.auto_lang import hangul_share, page_lang, script_lang
from scripts.ocr_eval.score import page_cer
from tests.conftest import DATA, LiveServer
from tests.render import ENGLISH_SAMPLE, KOREAN_SAMPLE, render_lines, to_bytes

# an English card slip: what the Korean reader turned into 'AUTH 0407의' on a real one
ENGLISH_SLIP = [
    "GREENLEAF MARKET",
    "Card Sale Approved",
    "VISA ************4821",
    "AUTH 040719  REF 88213",
    "Subtotal 42.50",
    "Sales Tax 3.40",
    "TOTAL USD 45.90",
    "Thank you for shopping with us",
]
# a Korean invoice with English and codes among its lines
MIXED = [*KOREAN_SAMPLE[:6], "Invoice No. INV-2024-0815", "Ship to: 221B Baker Street, London", *KOREAN_SAMPLE[6:9]]


def test_the_script_of_a_text_decides_its_language() -> None:
    assert hangul_share(["합계 110,000원", "VAT"]) == pytest.approx(3 / 6)
    assert hangul_share(["110,000", "2024-06-12"]) is None  # no letters at all
    assert hangul_share(["TOTAL 45.90", "AUTH 0407의"]) < 0.25
    assert [script_lang(t) for t in ("TOTAL 45.90", "合计 45.90", "お会計 45.90")] == ["en", "ch", "japan"]
    assert page_lang([("합계 110,000원", "korean"), ("VAT", "en"), ("공급가액", "korean")]) == "korean"
    assert page_lang([("", None)]) is None


def post(
    srv: LiveServer,
    headers: dict[str, str],
    data: bytes,
    lang: str,
    *,
    path: str = "/ocr",
    mime: str = "image/png",
    status: int = 200,
    **form: str,
) -> dict[str, Any]:
    """POST a document to ``path`` in ``lang``; the body, once the status is the one expected."""
    r = httpx.post(
        f"{srv.url}{path}",
        headers=headers,
        files={"file": ("doc", data, mime)},
        data={"lang": lang, **form},
        timeout=120,
    )
    assert r.status_code == status, r.text
    return dict(r.json())


@pytest.mark.integration
@pytest.mark.parametrize(
    ("name", "fixed"), [("english_invoice.png", "en"), ("korean_invoice.png", "korean")], ids=["english", "korean"]
)
def test_the_sample_invoices_read_as_the_right_fixed_language_does(
    live_server: LiveServer, api_headers: dict[str, str], name: str, fixed: str
) -> None:
    data = (DATA / name).read_bytes()
    auto, right = post(live_server, api_headers, data, "auto"), post(live_server, api_headers, data, fixed)
    assert auto["lang"] == "auto" and right["lang"] == fixed
    assert [p["lang"] for p in auto["pages"]] == [fixed] and [p["lang"] for p in right["pages"]] == [fixed]
    assert auto["text"] == right["text"]
    # the engine block names both readers
    assert {"rec", "rec_other"} <= set(auto["engine"]["models"])


@pytest.mark.integration
def test_an_english_slip_is_read_by_the_english_reader_not_the_korean_one(
    live_server: LiveServer, api_headers: dict[str, str]
) -> None:
    img, _ = render_lines(ENGLISH_SLIP, font_name="dejavu", size=28)
    data, reference = to_bytes(img), "\n".join(ENGLISH_SLIP)
    auto = post(live_server, api_headers, data, "auto")
    assert auto["pages"][0]["lang"] == "en"
    assert auto["text"] == post(live_server, api_headers, data, "en")["text"]
    errors, chars = page_cer(auto["text"], reference)
    korean_errors, _ = page_cer(post(live_server, api_headers, data, "korean")["text"], reference)
    assert errors <= korean_errors and errors / chars <= 0.01, auto["text"]


@pytest.mark.integration
def test_a_korean_page_with_english_lines_stays_korean(live_server: LiveServer, api_headers: dict[str, str]) -> None:
    img, _ = render_lines(MIXED, size=28)
    data = to_bytes(img)
    auto = post(live_server, api_headers, data, "auto")
    assert auto["pages"][0]["lang"] == "korean"
    assert auto["text"] == post(live_server, api_headers, data, "korean")["text"]
    assert "INV-2024-0815" in auto["text"]


@pytest.mark.integration
def test_a_pdf_reports_each_pages_language(live_server: LiveServer, api_headers: dict[str, str]) -> None:
    from tests.render import images_to_pdf

    pages = [render_lines(ENGLISH_SAMPLE[:8], font_name="dejavu")[0], render_lines(KOREAN_SAMPLE[:8])[0]]
    body = post(live_server, api_headers, images_to_pdf(pages), "auto", mime="application/pdf")
    assert [p["lang"] for p in body["pages"]] == ["en", "korean"]


@pytest.mark.integration
def test_auto_is_a_language_every_route_and_the_settings_accept(
    live_server: LiveServer, api_headers: dict[str, str]
) -> None:
    from app.core.config import load_settings

    assert load_settings(auth_mode="none", ocr_default_lang="auto").ocr_default_lang == "auto"
    img, _ = render_lines(ENGLISH_SLIP[:4], font_name="dejavu")
    for path, form in (("/structure", {}), ("/extraction", {"template": "auto"})):
        assert post(live_server, api_headers, to_bytes(img), "auto", path=path, **form)["lang"] == "auto"
    wrong = post(live_server, api_headers, to_bytes(img), "automatic", status=422)
    assert wrong["error"]["code"] == "unsupported_language"
    assert httpx.get(f"{live_server.url}/health").status_code == 200
    cfg = httpx.get(f"{live_server.url}/web/config").json()
    assert cfg["page_lang"] == "auto" and "auto" in cfg["languages"]


# an English invoice with a Korean supplier's lines (what the general reader cannot write)
ENGLISH_WITH_KOREAN = [
    "INVOICE INV-2025-0042",
    "Supplier:",
    "주식회사 한빛소프트",
    "서울특별시 강남구 테헤란로 123",
    "Bill to: Bright Data Systems Ltd.",
    "Item Document OCR service 1 x 1,200.00",
    "Subtotal 1,200.00",
    "Total USD 1,320.00",
    "Thank you for your business",
]


@pytest.mark.integration
def test_korean_lines_on_an_english_page_are_read_by_the_korean_reader(
    live_server: LiveServer, api_headers: dict[str, str]
) -> None:
    """Per line: the page is English (read by the general reader), and its Korean lines, which that reader
    cannot write, come from the Korean reader with lang korean; the English lines stay as `en` reads them."""
    img, _ = render_lines(ENGLISH_WITH_KOREAN, font_name="nanum", size=28)
    data = to_bytes(img)
    auto = post(live_server, api_headers, data, "auto")
    en = post(live_server, api_headers, data, "en")
    page = auto["pages"][0]
    assert page["lang"] == "en"
    by_text = {line["text"]: line.get("lang") for line in page["lines"]}
    assert by_text.get("주식회사 한빛소프트") == "korean", by_text
    assert any("테헤란로" in t and lang == "korean" for t, lang in by_text.items()), by_text
    errors, chars = page_cer(auto["text"], "\n".join(ENGLISH_WITH_KOREAN))
    en_errors, _ = page_cer(en["text"], "\n".join(ENGLISH_WITH_KOREAN))
    assert errors < en_errors and errors / chars <= 0.03, (auto["text"], en["text"])
    english = [line for line in page["lines"] if line.get("lang") == "en"]
    assert len(english) >= 6 and {line["text"] for line in english} <= {
        line["text"] for line in en["pages"][0]["lines"]
    }


def main() -> None:
    """``python -m tests.test_auto_lang``: the mixed pages' CER with lang=auto, en and korean through a started
    service (the figures of docs/accuracy.md)."""
    import shutil
    import tempfile

    from tests.conftest import TEST_KEY, free_port

    data_dir = tempfile.mkdtemp(prefix="ocr-auto-")
    srv = LiveServer({"AUTH_MODE": "api-key", "API_KEY": TEST_KEY, "DATA_DIR": data_dir}, free_port())
    try:
        srv.wait_ready(timeout=180)
        pages = [
            ("English invoice with Korean lines", ENGLISH_WITH_KOREAN, "nanum"),
            ("Korean invoice with English lines", MIXED, "nanum"),
            ("English card slip", ENGLISH_SLIP, "dejavu"),
        ]
        for name, lines, font_name in pages:
            img, _ = render_lines(lines, font_name=font_name, size=28)
            data, reference = to_bytes(img), "\n".join(lines)
            cers = []
            for lang in ("auto", "en", "korean"):
                errors, chars = page_cer(post(srv, {"x-api-key": TEST_KEY}, data, lang)["text"], reference)
                cers.append(f"{lang} {100 * errors / chars:.2f} %")
            print(f"{name}: " + ", ".join(cers))
    finally:
        srv.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
