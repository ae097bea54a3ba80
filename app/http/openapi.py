"""The OpenAPI document as a person meets it in Swagger UI (/docs): "Try it out" works as it comes.

FastAPI describes an optional form field as ``anyOf: [string, null]``; Swagger UI fills such a field
with the literal ``string``, which the service rightly refuses (``lang=string`` is no language,
``pages=string`` no page range). Every optional text field of a form therefore gets an example that
works: the deployment's default language for ``lang``, a few field names for ``fields``, and an empty
value (the same as leaving it out) for the rest. Responses get a real example where the generated
sample would be placeholders.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.core.config import Settings

# form fields whose example is not "leave it empty", per route
_FORM_EXAMPLES = {"/extraction": {"fields": "date,total,vendor,business_number"}}

_OCR_EXAMPLE: dict[str, Any] = {
    "request_id": "3f2a9c1e6b7d4e0f",
    "lang": "korean",
    "engine": {
        "name": "paddleocr",
        "backend": "openvino",
        "device": "cpu",
        "models": {"det": "PP-OCRv6_small_det", "rec": "korean_PP-OCRv6_small_rec"},
    },
    "text": "거래명세서\n합계 110,000원",
    "pages": [
        {
            "page": 1,
            "width": 1240,
            "height": 1754,
            "rotation": 0,
            "source": "ocr",
            "text": "거래명세서\n합계 110,000원",
            "lines": [
                {
                    "text": "거래명세서",
                    "confidence": 0.9987,
                    "box": [[80, 80], [330, 80], [330, 118], [80, 118]],
                    "bbox": [80, 80, 330, 118],
                },
                {
                    "text": "합계 110,000원",
                    "confidence": 0.9954,
                    "box": [[80, 463], [291, 463], [291, 492], [80, 492]],
                    "bbox": [80, 463, 291, 492],
                },
            ],
            "unread": [],
        }
    ],
    "timings_ms": {"decode": 10.7, "ocr": 998.0, "total": 998.4},
}

_EXTRACTION_EXAMPLE: dict[str, Any] = {
    "request_id": "3f2a9c1e6b7d4e0f",
    "lang": "korean",
    "method": "rules",
    "template": None,
    "fields": {
        "total": {
            "value": "110,000원",
            "normalized": {"amount": 110000.0, "currency": "KRW"},
            "type": "amount",
            "confidence": 0.99,
            "page": 1,
            "bbox": [148.2, 463.0, 291.0, 492.0],
            "valid": True,
            "source": "rules",
            "concept": "total",
            "label": "합계 금액",
        },
        "business_number": {
            "value": "123-45-67890",
            "normalized": "1234567890",
            "type": "biz_number",
            "confidence": 0.5,
            "page": 1,
            "bbox": [260.0, 201.0, 452.0, 230.0],
            "valid": False,
            "source": "rules",
            "concept": "business_number",
            "label": "사업자등록번호",
            "reason": "the check digit does not match: a digit is misread or the number is not a business number",
        },
        "date": {
            "value": "2025년 3월 4일",
            "normalized": "2025-03-04",
            "type": "date",
            "confidence": 0.97,
            "page": 1,
            "bbox": [170.0, 250.0, 380.0, 279.0],
            "valid": True,
            "source": "rules",
            "concept": "document_date",
            "label": "날짜",
        },
        "vendor": {
            "value": None,
            "normalized": None,
            "type": "text",
            "confidence": 0.0,
            "page": None,
            "bbox": None,
            "valid": None,
            "source": None,
            "concept": "vendor",
            "label": "상호",
        },
    },
    "text": "주식회사 한빛소프트 거래명세서\n…",
    "timings_ms": {"decode": 10.7, "ocr": 998.0, "total": 998.4},
}

_RESPONSE_EXAMPLES = {("/ocr", "post"): _OCR_EXAMPLE, ("/extraction", "post"): _EXTRACTION_EXAMPLE}


def _is_optional_string(prop: dict[str, Any]) -> bool:
    alts = prop.get("anyOf", [])
    files = any("contentMediaType" in alt or alt.get("format") == "binary" for alt in alts)
    return {alt.get("type") for alt in alts} == {"string", "null"} and not files


def _form_schemas(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    schemas = spec.get("components", {}).get("schemas", {})
    out = []
    for path, ops in spec.get("paths", {}).items():
        for op in ops.values():
            content = op.get("requestBody", {}).get("content", {})
            for media, body in content.items():
                ref = body.get("schema", {}).get("$ref", "")
                if media.startswith("multipart/") and ref.rsplit("/", 1)[-1] in schemas:
                    out.append((path, schemas[ref.rsplit("/", 1)[-1]]))
    return out


def with_examples(spec: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """``spec`` with working examples on every optional form field and real examples on key responses."""
    for path, schema in _form_schemas(spec):
        examples = {"lang": settings.ocr_default_lang, **_FORM_EXAMPLES.get(path, {})}
        for name, prop in schema.get("properties", {}).items():
            if _is_optional_string(prop) and "example" not in prop:
                prop["example"] = examples.get(name, "")
    for (path, method), example in _RESPONSE_EXAMPLES.items():
        ok = spec.get("paths", {}).get(path, {}).get(method, {}).get("responses", {}).get("200", {})
        media = ok.get("content", {}).get("application/json")
        if media is not None:
            media["example"] = example
    return spec


def install_openapi(app: FastAPI, settings: Settings) -> None:
    """Serve the document with those examples (built once, like FastAPI's own)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                openapi_version=app.openapi_version,
            )
            app.openapi_schema = with_examples(spec, settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
