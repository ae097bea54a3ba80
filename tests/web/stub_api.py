"""A stand-in for the OCR API, shaped exactly as /work/shared/API.md describes, for the page's UI tests.

It recognises nothing: every upload "contains" the rendered Korean sample (and a PDF a second,
English page), at the places tests/render.py drew them. That makes the structure, extraction, jobs
and multi-page views testable in a browser deterministically and in a second, whatever state the
real engines are in. The real service is exercised by test_browser.py against `python -m app`.
"""

from __future__ import annotations

import base64
import functools
import io
import itertools
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.http.errors import install_error_handlers
from app.web import mount_web
from tests.conftest import TEST_KEY, make_settings
from tests.render import ENGLISH_SAMPLE, KOREAN_SAMPLE, render_lines

# Markdown as a layout pipeline might produce it, including hostile content that must stay inert.
STRUCTURE_MARKDOWN = """# 거래명세서

주식회사 한빛소프트 **서울특별시** 강남구

| 품목 | 수량 | 금액 |
|:---|---:|---:|
| 문서 인식 서비스 이용료 | 1 | 100,000원 |
| 부가가치세 | | 10,000원 |

<table><tr><th colspan="2" onclick="window.__pwned=1">합계</th></tr>
<tr><td>공급가액<img src=x onerror="window.__pwned=1"></td><td><script>window.__pwned=1</script>110,000원</td></tr>
<tr><td rowspan="javascript:1"><a href="javascript:window.__pwned=1">링크</a></td><td style="color:red">끝</td></tr></table>

- 담당자 김민수
- 전화 02-1234-5678

<img src=x onerror="window.__pwned=1"> [click](javascript:window.__pwned=1) <b>bold?</b>
"""


def _lines(sample: list[str], font_name: str, scale: float = 1.0) -> tuple[list[dict[str, Any]], int, int]:
    img, placed = render_lines(sample, font_name=font_name)
    lines = []
    for i, p in enumerate(placed):
        x0, y0, x1, y1 = (v * scale for v in p.bbox)
        conf = 0.62 if i == 3 else 0.97 - 0.001 * i
        lines.append(
            {
                "text": p.text,
                "confidence": conf,
                "box": [[x0, y0], [x1, y0], [x1, y1], [x0, y1]],
                "bbox": [x0, y0, x1, y1],
            }
        )
    return lines, round(img.width * scale), round(img.height * scale)


def _page(number: int, sample: list[str], font_name: str, scale: float) -> dict[str, Any]:
    lines, w, h = _lines(sample, font_name, scale)
    return {
        "page": number,
        "width": w,
        "height": h,
        "rotation": 0,
        "source": "ocr",
        "text": "\n".join(ln["text"] for ln in lines),
        "lines": lines,
        # one line below min_confidence on page 1 (the service reports it in `unread`)
        "unread": [
            {
                **lines[0],
                "text": "흐릿한 도장 자국",
                "confidence": 0.31,
                "reason": "low_confidence",
                "box": [[900, 60], [1100, 60], [1100, 90], [900, 90]],
                "bbox": [900, 60, 1100, 90],
            }
        ]
        if number == 1
        else [],
    }


@functools.cache
def page_image(sample: tuple[str, ...], font_name: str, width: int, height: int) -> dict[str, Any]:
    """The page as the service would send it with page_images=true: the rendered sample at the page's size."""
    img, _ = render_lines(list(sample), font_name=font_name)
    out = io.BytesIO()
    img.convert("RGB").resize((width, height)).save(out, "JPEG", quality=80)
    data = base64.b64encode(out.getvalue()).decode()
    return {"media_type": "image/jpeg", "width": width, "height": height, "scale": 1.0, "data": data}


def with_words(body: dict[str, Any]) -> dict[str, Any]:
    """words=true: each line's words, placed along its box by their share of its characters."""
    for page in body["pages"]:
        for line in page["lines"]:
            x0, y0, x1, y1 = line["bbox"]
            parts = line["text"].split()
            per_char = (x1 - x0) / max(1, sum(map(len, parts)) + len(parts) - 1)
            x, words = float(x0), []
            for part in parts:
                words.append({"text": part, "bbox": [round(x, 1), y0, round(x + per_char * len(part), 1), y1]})
                x += per_char * (len(part) + 1)
            line["words"] = words
    return body


def with_page_images(body: dict[str, Any]) -> dict[str, Any]:
    samples = [(tuple(KOREAN_SAMPLE), "nanum"), (tuple(ENGLISH_SAMPLE), "dejavu")]
    for page, (sample, font_name) in zip(body["pages"], samples, strict=False):
        page["image"] = page_image(sample, font_name, page["width"], page["height"])
    body["page_images_omitted"] = 0
    return body


def ocr_body(is_pdf: bool) -> dict[str, Any]:
    if is_pdf:  # a 150 dpi page rendered at 200 dpi
        pages = [_page(1, KOREAN_SAMPLE, "nanum", 200 / 150), _page(2, ENGLISH_SAMPLE, "dejavu", 200 / 150)]
    else:
        pages = [_page(1, KOREAN_SAMPLE, "nanum", 1.0)]
    return {
        "request_id": "stub",
        "lang": "korean",
        "engine": {"name": "stub", "backend": "none", "device": "cpu", "models": {}},
        "text": "\n\n".join(p["text"] for p in pages),
        "pages": pages,
        "timings_ms": {"decode": 1.0, "ocr": 2.0, "total": 3.0},
    }


def _cell(row: int, col: int, text: str, colspan: int = 1) -> dict[str, Any]:
    return {"row": row, "col": col, "rowspan": 1, "colspan": colspan, "text": text, "bbox": [0, 0, 1, 1]}


def structure_body(is_pdf: bool) -> dict[str, Any]:
    body = ocr_body(is_pdf)
    for page in body["pages"]:
        lines = page["lines"]
        page["blocks"] = [
            {"type": "title", "bbox": lines[0]["bbox"], "text": lines[0]["text"]},
            {
                "type": "table",
                "bbox": [lines[4]["bbox"][0], lines[4]["bbox"][1], lines[7]["bbox"][2], lines[7]["bbox"][3]],
                "text": "",
                "table": {
                    "rows": 4,
                    "cols": 3,
                    "method": "ruled",
                    "html": "<table><tr><td>품목</td></tr></table>",
                    "cells": [
                        _cell(0, 0, "품목"),
                        _cell(0, 1, "수량"),
                        _cell(0, 2, "금액"),
                        _cell(1, 0, '문서 인식 "프로" 이용료'),
                        _cell(1, 1, "1"),
                        _cell(1, 2, "100,000원"),
                        _cell(2, 0, "합계", colspan=2),
                        _cell(2, 2, "110,000원"),
                        # what a spreadsheet would run as a formula, beside a negative amount it must not touch
                        _cell(3, 0, '=HYPERLINK("http://evil.example","x")'),
                        _cell(3, 1, "-3"),
                        _cell(3, 2, "+82-2-1234-5678"),
                    ],
                },
            },
        ]
        page["markdown"] = STRUCTURE_MARKDOWN if page["page"] == 1 else "## Page two\n\nInvoice INV-2025-0042"
    body["markdown"] = "\n\n".join(f"<!-- page {p['page']} -->\n\n{p['markdown']}" for p in body["pages"])
    return body


def extraction_body() -> dict[str, Any]:
    lines, _, _ = _lines(KOREAN_SAMPLE, "nanum")
    total = lines[7]["bbox"]
    return {
        "request_id": "stub",
        "method": "rules",
        "fields": {
            "total_amount": {
                "value": "110,000",
                "normalized": {"amount": 110000.0, "currency": "KRW"},
                "confidence": 0.91,
                "page": 1,
                "bbox": total,
                "valid": True,
                "concept": "total",
                "label": "합계 금액",
            },
            "business_number": {
                "value": "123-45-67890",
                "normalized": "1234567890",
                "confidence": 0.5,
                "page": 1,
                "bbox": lines[2]["bbox"],
                "valid": False,
                "reason": "the check digit does not match: a digit is misread",
            },
            "invoice_number": {"value": None, "confidence": 0.0},
        },
        "text": "\n".join(KOREAN_SAMPLE),
    }


def crowded_fields_body() -> dict[str, Any]:
    """Three fields on one line, their boxes narrower than their labels, and one on the line above."""
    body = extraction_body()
    lines, _, _ = _lines(KOREAN_SAMPLE, "nanum")
    x0, y0, x1, y1 = lines[8]["bbox"]  # 담당자 김민수 전화 02-1234-5678
    step = (x1 - x0) / 3

    def field(i: int, label: str, value: str) -> dict[str, Any]:
        box = [x0 + i * step, y0, x0 + i * step + step * 0.6, y1]
        return {"value": value, "confidence": 0.9, "page": 1, "bbox": box, "label": label}

    body["fields"] = {
        "manager": field(0, "담당자 이름 (manager)", "김민수"),
        "phone": field(1, "대표 전화번호 (phone)", "02-1234-5678"),
        "fax": field(2, "팩스 번호 (fax number)", "02-1234-5679"),
        "total": {**body["fields"]["total_amount"], "label": "합계 금액 (total amount)"},
    }
    return body


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "request_id": "stub"}}, status_code=status)


def create_stub_app(
    *, structure: bool = True, extraction: bool = True, jobs: bool = True, settings: dict[str, Any] | None = None
) -> FastAPI:
    app = FastAPI()
    app.state.settings = make_settings(**(settings or {}))
    install_error_handlers(app)
    job_ids = itertools.count(1)
    job_state: dict[str, dict[str, Any]] = {}
    app.state.jobs = job_state  # tests look at it (the stub runs in the test process)
    requests: list[dict[str, Any]] = []
    app.state.requests = requests  # what each upload sent: path, form fields, file name

    async def authed(request: Request) -> JSONResponse | None:
        if request.headers.get("x-api-key") != TEST_KEY:
            return _error(401, "unauthenticated", "The API key is not valid.")
        return None

    async def upload(request: Request) -> tuple[bytes, dict[str, Any]]:
        form = await request.form()
        file = form.get("file")
        data = await file.read() if file is not None and hasattr(file, "read") else b""
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        requests.append({"path": request.url.path, "fields": fields, "filename": getattr(file, "filename", None)})
        return data, fields

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "models_loaded": True, "version": {"app": "stub"}}

    @app.post("/ocr")
    async def ocr(request: Request) -> Any:
        if (denied := await authed(request)) is not None:
            return denied
        data, form = await upload(request)
        if not data:
            return _error(400, "missing_file", "The form field 'file' is required.")
        body = ocr_body(data.startswith(b"%PDF"))
        if form.get("page_images") == "true":
            with_page_images(body)
        if form.get("words") == "true":
            with_words(body)
        if form.get("lang") == "auto":  # each page says what it was read as: Korean page 1, English page 2
            body["lang"] = "auto"
            for page, lang in zip(body["pages"], ("korean", "en"), strict=False):
                page["lang"] = lang
        first = re.fullmatch(r"(\d+)-\d+", form.get("pages", "").strip())
        if first:  # pages=2-3: the pages come back numbered as in the document
            for i, page in enumerate(body["pages"]):
                page["page"] = int(first.group(1)) + i
        return body

    if structure:

        @app.post("/structure")
        async def structure_route(request: Request) -> Any:
            if (denied := await authed(request)) is not None:
                return denied
            data, form = await upload(request)
            body = structure_body(data.startswith(b"%PDF"))
            return with_page_images(body) if form.get("page_images") == "true" else body

    if extraction:

        @app.post("/extraction")
        async def extraction_route(request: Request) -> Any:
            if (denied := await authed(request)) is not None:
                return denied
            _, fields = await upload(request)
            if not fields.get("template") and not fields.get("fields"):
                return _error(422, "invalid_parameter", "Send `fields` or `template`.")
            body = crowded_fields_body() if fields.get("fields") == "manager,phone,fax,total" else extraction_body()
            # as the service answers: the template used (auto: the one the 거래명세서 sample is), null for fields
            chosen = fields.get("template") or None
            body["template"] = "invoice" if chosen == "auto" else None if fields.get("fields") else chosen
            return body

    if jobs:

        @app.post("/jobs", status_code=202)
        async def create_job(request: Request) -> Any:
            if (denied := await authed(request)) is not None:
                return denied
            data, fields = await upload(request)
            job_id = f"job-{next(job_ids)}"
            job_state[job_id] = {"polls": 0, "task": fields.get("task", "ocr"), "pdf": data.startswith(b"%PDF")}
            return JSONResponse(
                {"job_id": job_id, "status": "queued"}, status_code=202, headers={"location": f"/jobs/{job_id}"}
            )

        @app.get("/jobs/{job_id}")
        async def get_job(job_id: str, request: Request) -> Any:
            if (denied := await authed(request)) is not None:
                return denied
            job = job_state.get(job_id)
            if job is None:
                return _error(404, "not_found", "No such job.")
            job["polls"] += 1
            total = 3
            if job.get("cancelled"):
                return {
                    "job_id": job_id,
                    "status": "cancelled",
                    "progress": {"done": 0, "total": total},
                    "result": None,
                    "error": None,
                }
            done = min(total, job["polls"] - 1)
            if job["polls"] <= total:
                status = "queued" if job["polls"] == 1 else "running"
                return {
                    "job_id": job_id,
                    "status": status,
                    "progress": {"done": done, "total": total},
                    "result": None,
                    "error": None,
                }
            task = job["task"]
            result = (
                structure_body(job["pdf"])
                if task == "structure"
                else extraction_body()
                if task == "extraction"
                else ocr_body(job["pdf"])
            )
            return {
                "job_id": job_id,
                "status": "succeeded",
                "progress": {"done": total, "total": total},
                "result": result,
                "error": None,
            }

        @app.post("/jobs/{job_id}/cancel")
        async def cancel_job(job_id: str, request: Request) -> Any:
            if (denied := await authed(request)) is not None:
                return denied
            job = job_state.get(job_id)
            if job is None:
                return _error(404, "not_found", "No such job.")
            job["cancelled"] = True
            return {"job_id": job_id, "status": "cancelled", "result": None, "error": None}

    mount_web(app)
    return app
