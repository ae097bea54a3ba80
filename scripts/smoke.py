"""Smoke checks against a running service. Each exits non-zero, loudly, on a wrong answer.

python scripts/smoke.py {health,ocr,batch,structure,extraction,gpu-verify} --base-url URL --api-key KEY
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
KOREAN_SAMPLE = DATA / "korean_invoice.png"
ENGLISH_SAMPLE = DATA / "english_invoice.png"

# words that must come back from the Korean sample (rendered from tests/render.py KOREAN_SAMPLE)
KOREAN_MUST = ["거래명세서", "123-45-67890", "2025년 3월 4일", "합계", "110,000원"]


class SmokeFailure(Exception):
    pass


def _norm(s: str) -> str:
    return unicodedata.normalize("NFC", s).replace(" ", "")


def expect(cond: bool, what: str, body: Any = None) -> None:
    if not cond:
        extra = (
            f"\n--- response ---\n{json.dumps(body, ensure_ascii=False, indent=1)[:3000]}" if body is not None else ""
        )
        raise SmokeFailure(what + extra)
    print(f"  ok  {what}")


def _client(args: argparse.Namespace) -> httpx.Client:
    headers = {"x-api-key": args.api_key} if args.api_key else {}
    if args.token:
        headers = {"authorization": f"Bearer {args.token}"}
    return httpx.Client(base_url=args.base_url.rstrip("/"), headers=headers, timeout=args.timeout)


def smoke_health(c: httpx.Client) -> None:
    r = c.get("/health")
    body = r.json()
    expect(r.status_code == 200, f"/health is 200 (got {r.status_code})", body)
    expect(body.get("status") == "ok" and body.get("models_loaded") is True, "status ok, models loaded", body)
    live = c.get("/health/live")
    expect(live.status_code == 200, "/health/live is 200")


def smoke_ocr(c: httpx.Client) -> None:
    with KOREAN_SAMPLE.open("rb") as f:
        r = c.post("/ocr", files={"file": (KOREAN_SAMPLE.name, f, "image/png")}, data={"lang": "korean"})
    body = r.json()
    expect(r.status_code == 200, f"/ocr is 200 (got {r.status_code})", body)
    text = _norm(body.get("text", ""))
    for word in KOREAN_MUST:
        expect(_norm(word) in text, f"text contains {word!r}", body if _norm(word) not in text else None)
    lines = body["pages"][0]["lines"]
    expect(len(lines) >= 8, f"{len(lines)} lines with boxes")
    expect(all(len(ln["box"]) == 4 and len(ln["bbox"]) == 4 for ln in lines), "every line has box and bbox")
    r = c.post("/ocr", files={"file": ("bad.png", b"not an image", "image/png")})
    expect(
        r.status_code == 415 and "error" in r.json(),
        f"garbage upload is 415 with the error envelope (got {r.status_code})",
    )


def smoke_batch(c: httpx.Client) -> None:
    files = [
        ("files", (KOREAN_SAMPLE.name, KOREAN_SAMPLE.read_bytes(), "image/png")),
        ("files", (ENGLISH_SAMPLE.name, ENGLISH_SAMPLE.read_bytes(), "image/png")),
        ("files", ("broken.pdf", b"%PDF-1.7\n garbage", "application/pdf")),
    ]
    r = c.post("/ocr/batch", files=files, data={"lang": "korean"})
    body = r.json()
    expect(r.status_code == 200, f"/ocr/batch is 200 (got {r.status_code})", body)
    statuses = [item["status"] for item in body["results"]]
    expect(statuses[:2] == [200, 200] and statuses[2] == 400, f"per-file statuses {statuses} == [200, 200, 400]", body)
    expect("합계" in body["results"][0]["result"]["text"], "first file's Korean text is right")
    expect("Invoice" in body["results"][1]["result"]["text"], "second file's English text is right")


STRUCTURE_SAMPLE = REPO / "tests" / "structure" / "data" / "korean_invoice_table.png"
# the item table drawn in that sample (tests/structure/docs.py KOREAN_INVOICE_TABLE)
STRUCTURE_TABLE = [
    ["품목", "수량", "단가", "금액"],
    ["문서 인식 서비스", "1", "100,000", "100,000"],
    ["유지보수", "2", "50,000", "100,000"],
    ["교육", "3", "30,000", "90,000"],
    ["합계", "", "", "290,000"],
]


def smoke_structure(c: httpx.Client) -> None:
    with STRUCTURE_SAMPLE.open("rb") as f:
        r = c.post("/structure", files={"file": (STRUCTURE_SAMPLE.name, f, "image/png")}, data={"lang": "korean"})
    body = r.json()
    expect(r.status_code == 200, f"/structure is 200 (got {r.status_code})", body)
    blocks = body["pages"][0]["blocks"]
    types = [b["type"] for b in blocks]
    expect(bool(types) and types[0] == "title", f"first block is the title (types {types})", body)
    tables = [b for b in blocks if b["type"] == "table"]
    expect(len(tables) == 1, f"one table block (got {len(tables)})", body)
    grid: dict[tuple[int, int], str] = {
        (cell["row"], cell["col"]): cell["text"] for cell in tables[0]["table"]["cells"]
    }
    for r_i, row in enumerate(STRUCTURE_TABLE):
        for c_i, want in enumerate(row):
            got = grid.get((r_i, c_i), "")
            expect(_norm(got) == _norm(want), f"cell ({r_i},{c_i}) == {want!r} (got {got!r})")
    md = body.get("markdown", "")
    expect(md.lstrip().startswith("# 거래명세서"), "Markdown starts with the title '# 거래명세서'", body)
    expect("| 문서 인식 서비스 | 1 | 100,000 | 100,000 |" in md, "Markdown holds the first item row", body)


def smoke_extraction(c: httpx.Client) -> None:
    with KOREAN_SAMPLE.open("rb") as f:
        r = c.post("/extraction", files={"file": (KOREAN_SAMPLE.name, f, "image/png")}, data={"template": "invoice"})
    body = r.json()
    expect(r.status_code == 200, f"/extraction is 200 (got {r.status_code})", body)
    fields = body["fields"]
    want = {"business_number": "1234567890", "issue_date": "2025-03-04"}
    for name, value in want.items():
        got = fields.get(name, {}).get("normalized")
        expect(got == value, f"{name} == {value!r} (got {got!r})", body if got != value else None)
    vendor = fields.get("vendor_name", {}).get("value") or ""
    expect(
        "한빛소프트" in vendor,
        f"vendor_name holds 한빛소프트 (got {vendor!r})",
        body if "한빛소프트" not in vendor else None,
    )
    total = fields.get("total_amount", {}).get("normalized") or {}
    expect(total.get("amount") == 110000, f"total_amount == 110000 (got {total})", body)


def smoke_gpu_verify(c: httpx.Client) -> None:
    h = c.get("/health").json()
    version = h.get("version", {})
    expect(version.get("compiled_with_cuda") is True, f"/health version.compiled_with_cuda is true ({version})", h)
    r = c.get("/debug/paddle")
    body = r.json()
    expect(r.status_code == 200, f"/debug/paddle is 200 (got {r.status_code})", body)
    expect(body.get("run_check") is True, "/debug/paddle run_check is true", body)
    expect(str(body.get("device", "")).startswith("gpu"), f"device is a GPU ({body.get('device')})", body)
    gpu = body.get("gpu") or {}
    print(f"  gpu: {gpu.get('name')} {gpu.get('memory_used_mb')}/{gpu.get('memory_total_mb')} MB")


CHECKS = {
    "health": smoke_health,
    "ocr": smoke_ocr,
    "batch": smoke_batch,
    "structure": smoke_structure,
    "extraction": smoke_extraction,
    "gpu-verify": smoke_gpu_verify,
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("check", choices=sorted(CHECKS))
    p.add_argument("--base-url", default="http://localhost:8080")
    p.add_argument("--api-key", default="")
    p.add_argument("--token", default="", help="Cognito JWT instead of an API key")
    p.add_argument("--timeout", type=float, default=120.0)
    args = p.parse_args(argv)
    print(f"smoke {args.check} against {args.base_url}")
    try:
        with _client(args) as c:
            CHECKS[args.check](c)
    except SmokeFailure as exc:
        print(f"FAIL {exc}", file=sys.stderr)
        return 1
    except httpx.HTTPError as exc:
        print(f"FAIL cannot reach {args.base_url}: {exc}", file=sys.stderr)
        return 1
    print(f"PASS smoke {args.check}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
