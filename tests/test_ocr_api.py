"""POST /ocr and /ocr/batch through `python -m app` with the real offline engines, over real HTTP:
real documents read right, every bad input gets its 4xx, and the service stays healthy afterwards."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.conftest import DATA, TEST_KEY, LiveServer, free_port
from tests.documents.pdfgen import TextLine, hand_pdf, pdfium_text_pdf
from tests.documents.test_safety import png_claiming
from tests.render import ENGLISH_SAMPLE, KOREAN_SAMPLE, images_to_pdf, render_lines, to_bytes

pytestmark = [pytest.mark.integration, pytest.mark.slow]
H = {"x-api-key": TEST_KEY}


def squash(s: str) -> str:
    return "".join(s.split())


@pytest.fixture(scope="module")
def srv() -> Iterator[LiveServer]:
    """A server of its own with small limits and its own TMPDIR, to check no temp file is left behind."""
    tmp = tempfile.mkdtemp(prefix="ocr-tmp-")
    data = tempfile.mkdtemp(prefix="ocr-data-")
    server = LiveServer(
        {
            "API_KEY": TEST_KEY,
            "MAX_UPLOAD_MB": "3",
            "MAX_PAGES": "12",
            "MAX_PIXELS": "20000000",
            "PDF_DPI": "100",
            "TMPDIR": tmp,
            "DATA_DIR": data,
        },
        free_port(),
    )
    server.tmpdir = Path(tmp)  # type: ignore[attr-defined]
    try:
        server.wait_ready(timeout=180)
        server.tmp_at_start = set(os.listdir(tmp))  # type: ignore[attr-defined]
        yield server
    finally:
        server.stop()


def post(srv: LiveServer, data: bytes, name: str = "doc.png", **form: str) -> httpx.Response:
    return httpx.post(
        srv.url + "/ocr", headers=H, files={"file": (name, data, "application/octet-stream")}, data=form, timeout=300
    )


def test_korean_sample_reads_right(srv: LiveServer) -> None:
    r = post(srv, (DATA / "korean_invoice.png").read_bytes(), lang="korean")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["lang"] == "korean" and body["request_id"] == r.headers["x-request-id"]
    page = body["pages"][0]
    assert page["source"] == "ocr" and page["rotation"] == 0
    got = [squash(line["text"]) for line in page["lines"]]
    want = [squash(t) for t in KOREAN_SAMPLE]
    matched = sum(1 for w in want if w in got)
    assert matched >= len(want) - 1, (got, want)  # lines in reading order, at most one off by a character
    assert squash(body["text"]).startswith(squash(KOREAN_SAMPLE[0]))
    for line in page["lines"]:
        x0, y0, x1, y1 = line["bbox"]
        assert 0 <= x0 < x1 <= page["width"] and 0 <= y0 < y1 <= page["height"]
        assert len(line["box"]) == 4 and 0.5 <= line["confidence"] <= 1.0
    assert set(body["timings_ms"]) >= {"decode", "ocr", "total"}
    assert body["engine"]["models"]["det"]


def test_ten_page_pdf_pages_and_selection(srv: LiveServer) -> None:
    pages = []
    for i in range(1, 11):
        lines = [f"Page {i} of the annual report", f"Total revenue {i * 1000:,} KRW"]
        pages.append(render_lines(lines, font_name="dejavu", width=900, height=400, size=28)[0])
    pdf = images_to_pdf(pages, dpi=100)
    r = post(srv, pdf, "report.pdf", lang="en")
    assert r.status_code == 200, r.text
    body = r.json()
    assert [p["page"] for p in body["pages"]] == list(range(1, 11))
    for i, p in enumerate(body["pages"], start=1):
        assert f"Page {i} of the annual report" in p["text"], p["text"]
        assert f"{i * 1000:,}" in p["text"]
    assert body["text"].count("\n\n") >= 9  # pages joined by a blank line

    sel = post(srv, pdf, "report.pdf", lang="en", pages="2-3,10")
    assert sel.status_code == 200
    assert [p["page"] for p in sel.json()["pages"]] == [2, 3, 10]
    assert "Page 10 of" in sel.json()["pages"][2]["text"]


def test_pdf_text_layer_is_used_and_said(srv: LiveServer) -> None:
    pdf = pdfium_text_pdf(
        [[TextLine("합계 110,000원", 72, 100, 16), TextLine("사업자등록번호 123-45-67890", 72, 140, 16)]]
    )
    r = post(srv, pdf, "t.pdf")
    assert r.status_code == 200, r.text
    page = r.json()["pages"][0]
    assert page["source"] == "text_layer"
    assert [line["text"] for line in page["lines"]] == ["합계 110,000원", "사업자등록번호 123-45-67890"]


def test_rotated_page_is_corrected(srv: LiveServer) -> None:
    img, _ = render_lines(ENGLISH_SAMPLE, font_name="dejavu", size=30)
    rotated = img.rotate(-90, expand=True)  # content turned 90° clockwise
    r = post(srv, to_bytes(rotated), lang="en")
    assert r.status_code == 200, r.text
    page = r.json()["pages"][0]
    assert page["rotation"] == 90
    assert "Invoice INV-2025-0042" in page["text"]
    off = post(srv, to_bytes(rotated), lang="en", detect_orientation="false")
    assert off.json()["pages"][0]["rotation"] == 0


def test_min_confidence_filters_lines(srv: LiveServer) -> None:
    data = (DATA / "english_invoice.png").read_bytes()
    everything = post(srv, data, lang="en", min_confidence="0").json()["pages"][0]["lines"]
    strict = post(srv, data, lang="en", min_confidence="0.999").json()["pages"][0]["lines"]
    assert len(strict) < len(everything)
    assert all(line["confidence"] >= 0.999 for line in strict)


BAD = [
    ("empty", b"", {}, 400, "empty_file"),
    ("garbage", b"this is not a document at all", {}, 415, "unsupported_media_type"),
    ("gif", b"GIF89a" + b"\0" * 64, {}, 415, "unsupported_media_type"),
    ("truncated png", None, {}, 400, "corrupt_document"),
    ("corrupt pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage", {}, 400, "corrupt_document"),
    ("encrypted pdf", None, {}, 400, "encrypted_document"),
    ("pixel bomb", png_claiming(60000, 60000), {}, 413, "too_many_pixels"),
    ("too big", b"\x89PNG\r\n\x1a\n" + b"\0" * (4 * 1024 * 1024), {}, 413, "file_too_large"),
    ("too many pages", None, {}, 413, "too_many_pages"),
    ("bad pages", None, {"pages": "3-1"}, 422, "invalid_parameter"),
    ("page out of range", None, {"pages": "9"}, 422, "invalid_parameter"),
    ("unknown language", None, {"lang": "klingon"}, 422, "unsupported_language"),
    ("bad min_confidence", None, {"min_confidence": "2"}, 422, "invalid_parameter"),
]


def _bad_payload(name: str, data: bytes | None) -> bytes:
    if data is not None:
        return data
    good = (DATA / "english_invoice.png").read_bytes()
    if name == "truncated png":
        return good[: len(good) // 3]
    if name == "encrypted pdf":
        return hand_pdf([[TextLine("secret", 72, 72)]], user_password="pw")
    if name == "too many pages":
        return images_to_pdf([Image.new("RGB", (100, 100), "white")] * 13)
    return images_to_pdf([Image.new("RGB", (200, 200), "white")] * 2)


@pytest.mark.parametrize(("name", "data", "form", "status", "code"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_gets_its_4xx(
    srv: LiveServer, name: str, data: bytes | None, form: dict, status: int, code: str
) -> None:
    r = post(srv, _bad_payload(name, data), **form)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["message"] and err["request_id"] == r.headers["x-request-id"]
    if code == "unsupported_language":
        assert "korean" in err["message"] and "en" in err["details"]["supported"]


def test_missing_file_field(srv: LiveServer) -> None:
    r = httpx.post(srv.url + "/ocr", headers=H, data={"lang": "en"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "missing_file"


def test_batch_each_file_has_its_status(srv: LiveServer) -> None:
    files = [
        ("files", ("ko.png", (DATA / "korean_invoice.png").read_bytes(), "image/png")),
        ("files", ("broken.pdf", b"%PDF-1.7 garbage", "application/pdf")),
        ("files", ("en.png", (DATA / "english_invoice.png").read_bytes(), "image/png")),
        ("files", ("note.txt", b"plain text", "text/plain")),
    ]
    r = httpx.post(srv.url + "/ocr/batch", headers=H, files=files, data={"lang": "korean"}, timeout=300)
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["filename"] for x in results] == ["ko.png", "broken.pdf", "en.png", "note.txt"]
    assert [x["status"] for x in results] == [200, 400, 200, 415]
    assert "합계" in results[0]["result"]["text"]
    assert results[1]["error"]["code"] == "corrupt_document"
    assert "Invoice" in results[2]["result"]["text"]

    too_many = [("files", (f"{i}.png", b"x", "image/png")) for i in range(11)]
    r = httpx.post(srv.url + "/ocr/batch", headers=H, files=too_many)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_many_files"


def test_still_healthy_and_no_temp_files_left(srv: LiveServer) -> None:
    # runs last in this module: everything above has gone through the same process
    assert httpx.get(srv.url + "/health").json()["status"] == "ok"
    assert srv.proc.poll() is None
    left = set(os.listdir(srv.tmpdir)) - srv.tmp_at_start  # type: ignore[attr-defined]
    assert left == set(), left
    ok = post(srv, (DATA / "english_invoice.png").read_bytes(), lang="en")
    assert ok.status_code == 200


def test_korean_text_via_make_smoke_targets(srv: LiveServer) -> None:
    """The smoke script operators run (make smoke-health / smoke-ocr / smoke-batch) passes against it."""
    from scripts import smoke

    for check in ("health", "ocr", "batch", "extraction", "structure"):
        assert smoke.main([check, "--base-url", srv.url, "--api-key", TEST_KEY]) == 0, check


def test_extraction_body_has_exactly_the_contract_keys(srv: LiveServer) -> None:
    """The response model documents /extraction without changing its body: no key added or dropped."""
    r = httpx.post(
        srv.url + "/extraction",
        headers=H,
        files={"file": ("inv.png", (DATA / "korean_invoice.png").read_bytes(), "image/png")},
        data={"fields": "vendor_name,사업자등록번호,no_such_field_here"},
        timeout=300,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert list(body) == ["request_id", "lang", "method", "template", "fields", "text", "timings_ms"]
    assert body["method"] == "rules" and body["template"] is None
    assert list(body["fields"]) == ["vendor_name", "사업자등록번호", "no_such_field_here"]
    keys = ["value", "normalized", "type", "confidence", "page", "bbox", "valid", "source", "concept", "label"]
    # `reason` is added exactly when `valid` is false (the sample's business number fails its check digit)
    assert all(list(f) == keys + (["reason"] if f["valid"] is False else []) for f in body["fields"].values())
    brn = body["fields"]["사업자등록번호"]
    assert brn["valid"] is False and "check digit" in brn["reason"] and brn["confidence"] <= 0.5
    assert body["fields"]["no_such_field_here"]["value"] is None
    assert "한빛소프트" in (body["fields"]["vendor_name"]["value"] or "")
    schema = httpx.get(srv.url + "/openapi.json").json()
    ok = schema["paths"]["/extraction"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["$ref"].endswith("/ExtractionResponse")


def test_extraction_of_unseen_documents_with_the_callers_names(srv: LiveServer) -> None:
    """Three documents of the held-out evaluation split, through the running service like any client."""
    from scripts.extraction_eval.generator import build, plan
    from scripts.extraction_eval.score import score_fields

    scores = []
    for i, (kind, lang) in list(enumerate(plan(202, 40)))[:3]:
        doc = build(202, i, kind, lang)
        r = httpx.post(
            srv.url + "/extraction",
            headers=H,
            files={"file": (doc.filename, doc.data)},
            data={"fields": doc.fields, "lang": doc.api_lang},
            timeout=300,
        )
        assert r.status_code == 200, r.text
        assert list(r.json()["fields"]) == list(doc.expected)  # the caller's names, in the caller's order
        scores += score_fields({"id": doc.id, "split": "heldout", "kind": kind, "lang": lang,
                                "expected": doc.expected, "concepts": doc.concepts, "types": doc.types},
                               r.json()["fields"])  # fmt: skip
    assert len(scores) >= 12
    assert sum(s.exact for s in scores) / len(scores) >= 0.8, [(s.doc, s.name, s.value) for s in scores if not s.exact]


def test_swagger_try_it_out_values_work_as_they_come(srv: LiveServer) -> None:
    """Every form field in /openapi.json has a default or an example, and those values, sent the way
    Swagger UI's "Try it out" sends them, are accepted (no `lang=string` 422)."""
    spec = httpx.get(srv.url + "/openapi.json").json()
    schemas = spec["components"]["schemas"]
    png = (DATA / "korean_invoice.png").read_bytes()
    for path in ("/ocr", "/structure", "/extraction"):
        ref = spec["paths"][path]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
        props = schemas[ref.rsplit("/", 1)[-1]]["properties"]
        form: dict[str, str] = {}
        for name, prop in props.items():
            if name == "file":
                continue
            assert "example" in prop or "default" in prop, (path, name, prop)
            value = prop.get("example", prop.get("default"))
            form[name] = str(value).lower() if isinstance(value, bool) else str(value)
        assert form["lang"] == "korean"
        r = httpx.post(srv.url + path, headers=H, files={"file": ("inv.png", png, "image/png")}, data=form, timeout=300)
        assert r.status_code == 200, (path, form, r.text[:300])
    example = spec["paths"]["/extraction"]["post"]["responses"]["200"]["content"]["application/json"]["example"]
    assert example["fields"]["total"]["normalized"] == {"amount": 110000.0, "currency": "KRW"}
    assert spec["paths"]["/ocr"]["post"]["responses"]["200"]["content"]["application/json"]["example"]["pages"]
