"""Error messages in the caller's language, over real HTTP: a caller whose Accept-Language prefers Korean
reads the envelope's message in Korean; code, status, headers and details stay as they are; everyone
else reads the English of the contract unchanged."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from app.core.i18n import has_hangul
from app.main import create_app
from tests.conftest import TEST_KEY, ThreadServer, make_settings
from tests.fakes import SlowFakeEngines
from tests.render import render_lines, to_bytes

KEY = {"x-api-key": TEST_KEY}
KO = {"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


@pytest.fixture(scope="module")
def png() -> bytes:
    img, _ = render_lines(["hello"], font_name="dejavu", width=300, height=120, margin=10)
    return to_bytes(img)


@pytest.fixture(scope="module")
def srv() -> Iterator[ThreadServer]:
    settings = make_settings(max_upload_mb=1)
    with ThreadServer(create_app(settings, engine_factory=lambda: SlowFakeEngines())) as server:
        yield server


def _error(r: httpx.Response, status: int, code: str, lang: str) -> str:
    assert r.status_code == status, r.text
    body = r.json()["error"]
    assert body["code"] == code
    assert body["request_id"] == r.headers["x-request-id"]
    assert r.headers["content-language"] == lang
    assert "accept-language" in r.headers["vary"].lower()
    message: str = body["message"]
    assert has_hangul(message) == (lang == "ko"), message
    return message


def _both(send: object, status: int, code: str) -> tuple[str, str, httpx.Response, httpx.Response]:
    """The same request as a Korean caller and as a caller who sends no preference."""
    assert callable(send)
    ko, en = send(KO), send({})
    return _error(ko, status, code, "ko"), _error(en, status, code, "en"), ko, en


def test_missing_and_wrong_api_keys(srv: ThreadServer, png: bytes) -> None:
    ko, en, _, _ = _both(
        lambda h: httpx.post(srv.url + "/ocr", headers=h, files={"file": ("a.png", png, "image/png")}),
        401,
        "unauthenticated",
    )
    assert ko == "x-api-key 헤더가 없습니다."
    assert en == "Missing x-api-key header."
    # a route without a body answers through the routes' dependency, the same way
    ko, en, k, _ = _both(
        lambda h: httpx.get(srv.url + "/jobs/abc", headers={**h, "x-api-key": "wrong"}), 401, "unauthenticated"
    )
    assert ko == "API 키가 유효하지 않습니다." and en == "The API key is not valid."
    assert k.headers["www-authenticate"] == "APIKey"


def test_size_limit_keeps_its_numbers(srv: ThreadServer) -> None:
    big = b"\0" * (3 * 2**20)
    ko, en, _, _ = _both(
        lambda h: httpx.post(srv.url + "/ocr", headers={**h, **KEY}, files={"file": ("a.png", big, "image/png")}),
        413,
        "file_too_large",
    )
    assert en.startswith("The request body is 3.0 MB; the limit for this endpoint is 2 MB")
    assert ko == "요청 본문이 3.0MB입니다. 이 엔드포인트의 한도는 2MB입니다(파일당 MAX_UPLOAD_MB)."


def test_unsupported_type_names_what_it_looks_like(srv: ThreadServer) -> None:
    gif = b"GIF89a" + b"\0" * 64
    ko, en, _, _ = _both(
        lambda h: httpx.post(srv.url + "/ocr", headers={**h, **KEY}, files={"file": ("a.gif", gif, "image/gif")}),
        415,
        "unsupported_media_type",
    )
    assert (
        en == "This looks like a GIF image, which is not supported. Accepted types: PNG, JPEG, TIFF, BMP, WebP or PDF."
    )
    assert (
        ko
        == "이 파일은 GIF 이미지인 것 같습니다. 이 형식은 지원하지 않습니다. 받는 형식: PNG, JPEG, TIFF, BMP, WebP, PDF."
    )


def test_page_range_error_keeps_the_page_and_the_count(srv: ThreadServer, png: bytes) -> None:
    ko, en, k, e = _both(
        lambda h: httpx.post(
            srv.url + "/ocr", headers={**h, **KEY}, data={"pages": "2-4"}, files={"file": ("a.png", png, "image/png")}
        ),
        422,
        "invalid_parameter",
    )
    assert en.startswith("Invalid `pages`: range '2-4' is past the end of the document. The document has 1 page;")
    assert ko.startswith(
        "`pages` 값이 올바르지 않습니다: '2-4' 범위가 문서의 마지막 페이지를 넘습니다. 문서는 모두 1페이지입니다."
    )
    assert k.json()["error"]["details"] == e.json()["error"]["details"] == {"parameter": "pages", "page_count": 1}


def test_form_validation_and_missing_file(srv: ThreadServer, png: bytes) -> None:
    ko, en, _, _ = _both(
        lambda h: httpx.post(
            srv.url + "/ocr",
            headers={**h, **KEY},
            data={"min_confidence": "2"},
            files={"file": ("a.png", png, "image/png")},
        ),
        422,
        "invalid_parameter",
    )
    assert en == "min_confidence: Input should be less than or equal to 1"
    assert ko == "min_confidence: 1 이하여야 합니다"
    ko, en, _, _ = _both(
        lambda h: httpx.post(srv.url + "/ocr", headers={**h, **KEY}, data={"lang": "korean"}), 400, "missing_file"
    )
    assert en == "file: Field required" and ko == "file: 필수 항목입니다"


def test_unknown_language_and_template(srv: ThreadServer, png: bytes) -> None:
    ko, en, _, _ = _both(
        lambda h: httpx.post(
            srv.url + "/ocr",
            headers={**h, **KEY},
            data={"lang": "klingon"},
            files={"file": ("a.png", png, "image/png")},
        ),
        422,
        "unsupported_language",
    )
    assert en.startswith("Unsupported language 'klingon': use a PaddleOCR `lang` code")
    assert ko.startswith("지원하지 않는 언어 'klingon'입니다.") and "GET /languages" in ko
    ko, en, _, _ = _both(
        lambda h: httpx.post(
            srv.url + "/extraction",
            headers={**h, **KEY},
            data={"template": "passport"},
            files={"file": ("a.png", png, "image/png")},
        ),
        422,
        "invalid_parameter",
    )
    assert en.startswith("Unknown template 'passport'; available: ")
    assert ko.startswith("알 수 없는 템플릿 'passport'입니다. 사용할 수 있는 템플릿: ") and "invoice" in ko


def test_unknown_route_and_method(srv: ThreadServer) -> None:
    ko, en, _, _ = _both(lambda h: httpx.get(srv.url + "/no-such-page", headers=h), 404, "not_found")
    assert en == "Not Found" and ko == "요청한 경로를 찾을 수 없습니다."
    ko, en, _, _ = _both(lambda h: httpx.get(srv.url + "/ocr", headers=h), 405, "method_not_allowed")
    assert en == "Method Not Allowed" and ko == "이 경로에서는 허용되지 않는 HTTP 메서드입니다."


def test_english_and_other_languages_read_the_contracts_english(srv: ThreadServer) -> None:
    for header in ("en", "fr-FR,de;q=0.9", "*", "ko;q=0, en"):
        r = httpx.get(srv.url + "/no-such-page", headers={"Accept-Language": header})
        assert _error(r, 404, "not_found", "en") == "Not Found"
    r = httpx.get(srv.url + "/no-such-page", headers={"Accept-Language": "fr, ko;q=0.3"})
    assert _error(r, 404, "not_found", "ko") == "요청한 경로를 찾을 수 없습니다."


def test_batch_file_errors_inside_a_200(srv: ThreadServer, png: bytes) -> None:
    files = [("files", ("a.png", png, "image/png")), ("files", ("empty.png", b"", "image/png"))]
    r = httpx.post(srv.url + "/ocr/batch", headers={**KO, **KEY}, files=files, timeout=30)
    assert r.status_code == 200, r.text
    bad = r.json()["results"][1]
    assert bad["status"] == 400 and bad["error"]["code"] == "empty_file"
    assert has_hangul(bad["error"]["message"]) and "'empty.png'" in bad["error"]["message"]


async def _post_many(url: str, png: bytes, n: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=url, headers={**KEY, **KO}, timeout=30) as c:
        return list(
            await asyncio.gather(*(c.post("/ocr", files={"file": ("a.png", png, "image/png")}) for _ in range(n)))
        )


def test_busy_service_answers_429_in_korean(png: bytes) -> None:
    settings = make_settings(max_concurrent_requests=1, queue_max_size=1, max_batch_size=1)
    with ThreadServer(create_app(settings, engine_factory=lambda: SlowFakeEngines(det_s=0.5))) as server:
        responses = asyncio.run(_post_many(server.url, png, 5))
    refused = [r for r in responses if r.status_code == 429]
    assert refused, [r.status_code for r in responses]
    for r in refused:
        message = _error(r, 429, "queue_full", "ko")
        assert message.startswith("대기열이 가득 찼습니다(대기 1건, 처리 중 1건).")
        assert int(r.headers["retry-after"]) >= 1


def test_deadline_answers_504_in_korean(png: bytes) -> None:
    settings = make_settings(request_timeout_s=0.3, max_batch_size=1)
    with ThreadServer(create_app(settings, engine_factory=lambda: SlowFakeEngines(det_s=1.0))) as server:
        r = httpx.post(server.url + "/ocr", headers={**KEY, **KO}, files={"file": ("a.png", png, "image/png")})
    assert _error(r, 504, "timeout", "ko") == "요청 처리 시간이 0.3초(REQUEST_TIMEOUT_S)를 넘었습니다."


def test_loading_service_answers_503_in_korean(png: bytes) -> None:
    settings = make_settings()
    with ThreadServer(create_app(settings, engine_factory=lambda: SlowFakeEngines(load_s=3.0))) as server:
        r = httpx.post(server.url + "/ocr", headers={**KEY, **KO}, files={"file": ("a.png", png, "image/png")})
        assert _error(r, 503, "not_ready", "ko") == "모델을 아직 불러오는 중입니다."
        assert r.headers["retry-after"] == "10"
