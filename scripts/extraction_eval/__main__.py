"""Key-field extraction through the service: post every evaluation document (scripts/extraction_eval/
generator.py) to ``POST /extraction`` with the caller's ``fields`` and score what comes back.

    python -m scripts.extraction_eval                               # starts the service, dev + heldout
    python -m scripts.extraction_eval --url http://host:8080 --api-key KEY   # a running service
    python -m scripts.extraction_eval --json out.json               # keep raw responses + scores
    python -m scripts.extraction_eval --from-json out.json          # re-score saved responses
    python -m scripts.extraction_eval --ocr-cache artifacts/extraction-ocr --rescore   # rules only, in seconds
    python -m scripts.extraction_eval --failures                    # every missed field (dev; --reveal-held-out)
    python -m scripts.extraction_eval --save-images artifacts/extraction-eval-images
    python -m scripts.extraction_eval --write                       # the tables into docs/extraction.md
    python -m scripts.extraction_eval --splits dev,tune,heldout --ocr-cache DIR --freeze tests/data/extraction_eval.json.gz
                                   # the cases and their real OCR, for the threshold test (no OCR in the suite)

``--rescore`` posts each document once to ``POST /ocr`` (cached in the --ocr-cache folder by document id
and image hash; the service is started only when something is not cached) and runs
``app.features.extraction.extract`` in this process over the cached OCR: the working tree's rules,
re-scored without OCR. Scores: scripts/extraction_eval/score.py (exact and loose per field).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import hashlib
import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx

from scripts.bench import machine
from scripts.extraction_eval.generator import SPLITS, EvalDoc, split
from scripts.extraction_eval.score import HEADER, FieldScore, group_table, score_fields, summary_row
from scripts.ocr_eval.__main__ import REPO, service

DOC_PATH = REPO / "docs" / "extraction.md"
BEGIN, END = "<!-- extraction-eval:start -->", "<!-- extraction-eval:end -->"


def case(doc: EvalDoc, split_name: str) -> dict[str, Any]:
    """What scoring needs of a document (kept in --json, so --from-json needs no images)."""
    return {"id": doc.id, "split": split_name, "kind": doc.kind, "lang": doc.lang, "fields": doc.fields,
            "expected": doc.expected, "concepts": doc.concepts, "types": doc.types, "printed": doc.printed}  # fmt: skip


def _error(resp: httpx.Response) -> str:
    try:
        return str(resp.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return resp.text[:200]


async def post_all(
    url: str, headers: dict[str, str], docs: list[EvalDoc], route: str, concurrency: int
) -> list[dict[str, Any]]:
    """POST each document to ``route`` (/extraction with its fields, or /ocr); one row per document."""
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=900) as client:

        async def one(doc: EvalDoc) -> dict[str, Any]:
            data = {"lang": doc.api_lang} | ({"fields": doc.fields} if route == "/extraction" else {})
            async with sem:
                t0 = time.perf_counter()
                resp = await client.post(route, data=data, files={"file": (doc.filename, doc.data)})
                took = time.perf_counter() - t0
            print(f"[eval] {route} {doc.id}: {resp.status_code} in {took:.1f} s", file=sys.stderr)
            if resp.status_code != 200:
                return {"status": resp.status_code, "seconds": took, "error": _error(resp), "body": None}
            return {"status": 200, "seconds": took, "error": None, "body": resp.json()}

        return list(await asyncio.gather(*(one(d) for d in docs)))


# --------------------------------------------------------------------------- rescore: cached /ocr + in-process rules


def cache_path(folder: Path, doc: EvalDoc) -> Path:
    return folder / f"{doc.id}-{hashlib.sha256(doc.data).hexdigest()[:16]}.json"


def rebuild(body: dict[str, Any]) -> Any:
    """A DocumentResult from a POST /ocr body."""
    from app.features.ocr.types import DocumentResult, Line, PageResult, Unread

    pages = [PageResult(page=p["page"], width=p["width"], height=p["height"], rotation=p.get("rotation", 0),
                        source=p.get("source", "ocr"),
                        lines=[Line.from_box(ln["text"], ln["confidence"], ln["box"]) for ln in p["lines"]],
                        unread=[Unread.from_box(u["text"], u["confidence"], u["box"], u["reason"]) for u in p.get("unread", [])])
             for p in body["pages"]]  # fmt: skip
    return DocumentResult(
        lang=body["lang"], pages=pages, engine=body.get("engine", {}), timings_ms=body.get("timings_ms", {})
    )


def ocr_bodies(docs: list[EvalDoc], folder: Path, args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    folder.mkdir(parents=True, exist_ok=True)
    missing = [d for d in docs if not cache_path(folder, d).is_file()]
    if missing:
        print(f"[eval] OCR of {len(missing)} uncached documents via POST /ocr", file=sys.stderr)
        if args.url:
            rows = asyncio.run(post_all(args.url, _headers(args), missing, "/ocr", args.concurrency))
        else:
            with service({}) as (url, headers):
                rows = asyncio.run(post_all(url, headers, missing, "/ocr", args.concurrency))
        for d, row in zip(missing, rows, strict=True):
            if row["status"] != 200:
                raise SystemExit(f"/ocr failed for {d.id}: HTTP {row['status']} {row['error']}")
            cache_path(folder, d).write_text(json.dumps(row["body"], ensure_ascii=False), encoding="utf-8")
    return {d.id: json.loads(cache_path(folder, d).read_text(encoding="utf-8")) for d in docs}


def rescore(docs: list[EvalDoc], bodies: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    from app.core.config import load_settings
    from app.features.extraction import extract

    settings = load_settings(auth_mode="none", chatocr_enabled=False, _env_file=None)
    rows: list[dict[str, Any]] = []
    for d in docs:
        t0 = time.perf_counter()
        try:
            body = extract(rebuild(bodies[d.id]), fields=d.fields, template=None, settings=settings)
            rows.append({"status": 200, "seconds": time.perf_counter() - t0, "error": None, "body": body})
        except Exception as exc:  # a rule that raises is a result too
            rows.append({"status": 500, "seconds": time.perf_counter() - t0, "error": repr(exc)[:300], "body": None})
    return rows


# --------------------------------------------------------------------------- report


def compact_ocr(body: dict[str, Any]) -> dict[str, Any]:
    """What :func:`rebuild` needs of a POST /ocr body: the lines' text, confidence and box."""
    return {
        "lang": body["lang"],
        "engine": body.get("engine", {}),
        "pages": [
            {"page": p["page"], "width": p["width"], "height": p["height"], "rotation": p.get("rotation", 0),
             "source": p.get("source", "ocr"),
             "lines": [{"text": ln["text"], "confidence": round(float(ln["confidence"]), 4),
                        "box": [[round(float(x), 1), round(float(y), 1)] for x, y in ln["box"]]} for ln in p["lines"]]}
            for p in body["pages"]
        ],
    }  # fmt: skip


def freeze(
    path: Path, docs: list[tuple[str, EvalDoc]], bodies: dict[str, dict[str, Any]], meta: dict[str, Any]
) -> None:
    """The cases with their real OCR output, gzipped: tests/extraction/test_eval_thresholds.py re-scores them."""
    data = {"meta": meta, "docs": [{"case": case(d, n), "ocr": compact_ocr(bodies[d.id])} for n, d in docs]}
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(raw, mtime=0))
    print(f"[eval] froze {len(docs)} documents into {path} ({path.stat().st_size // 1024} KB)", file=sys.stderr)


def commit() -> str:
    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True, check=False).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + (" + uncommitted changes" if git("status", "--porcelain") else "")


def report(rows: list[dict[str, Any]], scores: list[FieldScore], reveal: bool) -> str:
    splits = sorted({r["case"]["split"] for r in rows}, key=lambda s: list(SPLITS).index(s) if s in SPLITS else 9)
    head = ["split", "documents", *HEADER]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for sp in splits:
        docs = sum(r["case"]["split"] == sp for r in rows)
        out.append("| " + " | ".join(summary_row(sp, docs, [s for s in scores if s.split == sp])) + " |")
    failed = [r for r in rows if r["status"] != 200]
    parts = ["\n".join(out) + "\n"]
    if failed:
        parts.append(
            "Requests that failed: "
            + ", ".join(f"{r['case']['id']} (HTTP {r['status']}: {r['error']})" for r in failed)
            + "\n"
        )
    for sp in splits:
        mine = [s for s in scores if s.split == sp]
        parts.append(f"#### Split: {sp}\n")
        parts.append(group_table("By concept", "concept", mine, lambda s: s.concept))
        parts.append(group_table("By type", "type", mine, lambda s: s.type))
        parts.append(group_table("By kind", "kind", mine, lambda s: s.kind))
        parts.append(group_table("By language", "lang", mine, lambda s: s.lang))
        sure = [s for s in mine if s.confidently_wrong]
        parts.append(f"Confidently wrong (not exact, confidence ≥ 0.9): {len(sure)}; not exact with `valid: true`: "
                     f"{sum(s.valid_wrong for s in mine)}.\n")  # fmt: skip
        if sure and (sp != "heldout" or reveal):
            parts.append("\n".join(f"- {s.doc} `{s.name}` ({s.concept}): expected {s.expected!r}, got {s.value!r} → "
                                   f"{s.normalized!r} (confidence {s.confidence:.2f}, valid {s.valid})" for s in sure) + "\n")  # fmt: skip
    return "\n".join(parts)


def failures(scores: list[FieldScore], reveal: bool) -> str:
    shown = [s for s in scores if not s.exact and (s.split != "heldout" or reveal)]
    lines = [f"- {s.doc} | `{s.name}` ({s.concept}/{s.type}) | {s.outcome} | expected {s.expected!r} | got {s.value!r} → "
             f"{s.normalized!r} | conf {s.confidence:.2f} | valid {s.valid}" for s in shown]  # fmt: skip
    patterns = Counter((s.concept, s.kind, s.lang, s.outcome) for s in shown)
    lines += ["", "### Most common (concept, kind, lang, outcome)", ""]
    lines += [f"- {n} × {c} · {k} · {lg} · {o}" for (c, k, lg, o), n in patterns.most_common(25)]
    if not reveal:
        lines.append("\n(held-out failures hidden; --reveal-held-out shows them)")
    return "\n".join(lines)


def write_doc(body: str) -> None:
    text = DOC_PATH.read_text(encoding="utf-8")
    if BEGIN not in text:
        text = text.rstrip() + f"\n\n## Evaluation on unseen documents\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1] if END in rest else "\n"
    DOC_PATH.write_text(f"{head}{BEGIN}\n{body.rstrip()}\n{END}{tail}", encoding="utf-8")


def _headers(args: argparse.Namespace) -> dict[str, str]:
    return {"x-api-key": args.api_key} if args.api_key else {}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--splits", default="dev,heldout", help=f"comma-separated: {', '.join(SPLITS)}")
    ap.add_argument("--url", help="a running service (default: start one)")
    ap.add_argument("--api-key", default=os.environ.get("API_KEY", ""), help="for --url")
    ap.add_argument("--concurrency", type=int, default=2)
    ap.add_argument("--only", help="comma-separated document ids")
    ap.add_argument("--json", type=Path, help="write raw responses and scores here")
    ap.add_argument("--from-json", type=Path, help="re-score a --json file instead of calling anything")
    ap.add_argument("--ocr-cache", type=Path, help="folder of cached POST /ocr answers (for --rescore)")
    ap.add_argument("--rescore", action="store_true", help="cached /ocr + the rules in this process, no /extraction")
    ap.add_argument("--failures", action="store_true", help="every field that is not exact (dev split)")
    ap.add_argument("--reveal-held-out", action="store_true", help="also list held-out failures")
    ap.add_argument("--save-images", type=Path, help="write the documents (the bytes sent) here")
    ap.add_argument("--write", action="store_true", help="replace the tables in docs/extraction.md")
    ap.add_argument("--freeze", type=Path, help="with --rescore: write the cases and their OCR here (.json.gz)")
    args = ap.parse_args(argv)
    names = [s.strip() for s in args.splits.split(",") if s.strip()]
    if unknown := [n for n in names if n not in SPLITS]:
        raise SystemExit(f"unknown split(s) {unknown}; splits: {', '.join(SPLITS)}")
    if args.rescore and not args.ocr_cache:
        raise SystemExit("--rescore needs --ocr-cache DIR")
    if args.freeze and not args.rescore:
        raise SystemExit("--freeze needs --rescore --ocr-cache DIR")
    wanted = {x.strip() for x in args.only.split(",")} if args.only else None

    t0 = time.perf_counter()
    if args.from_json:
        saved = json.loads(args.from_json.read_text(encoding="utf-8"))
        rows = [
            r for r in saved["docs"] if r["case"]["split"] in names and (wanted is None or r["case"]["id"] in wanted)
        ]
        mode = f"re-scored from {args.from_json} ({saved['meta'].get('mode')}, commit {saved['meta'].get('commit')})"
    else:
        docs: list[tuple[str, EvalDoc]] = [(n, d) for n in names for d in split(n) if wanted is None or d.id in wanted]
        if args.save_images:
            args.save_images.mkdir(parents=True, exist_ok=True)
            for _, d in docs:
                (args.save_images / d.filename).write_bytes(d.data)
        plain = [d for _, d in docs]
        if args.rescore:
            bodies = ocr_bodies(plain, args.ocr_cache, args)
            results = rescore(plain, bodies)
            mode = f"rescore: cached POST /ocr ({args.ocr_cache}) + extract() in process"
            if args.freeze:
                freeze(
                    args.freeze,
                    docs,
                    bodies,
                    {"commit": commit(), "machine": machine(), "date": time.strftime("%Y-%m-%d")},
                )
        elif args.url:
            results = asyncio.run(post_all(args.url, _headers(args), plain, "/extraction", args.concurrency))
            mode = f"POST /extraction on {args.url}"
        else:
            with service({}) as (url, headers):
                results = asyncio.run(post_all(url, headers, plain, "/extraction", args.concurrency))
            mode = "POST /extraction, service started with the defaults"
        rows = [{"case": case(d, n), **res} for (n, d), res in zip(docs, results, strict=True)]
    scores = [s for r in rows for s in score_fields(r["case"], (r.get("body") or {}).get("fields"))]
    meta: dict[str, Any] = {"commit": commit(), "machine": machine(), "mode": mode, "date": time.strftime("%Y-%m-%d"),
            "seconds": round(time.perf_counter() - t0, 1)}  # fmt: skip
    print(f"[eval] commit {meta['commit']} · {meta['machine']} · {mode} · {meta['seconds']} s", file=sys.stderr)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        by_doc: dict[str, list[dict[str, Any]]] = {}
        for s in scores:
            by_doc.setdefault(s.doc, []).append(asdict(s))
        out = {"meta": meta, "docs": [{**r, "scores": by_doc.get(r["case"]["id"], [])} for r in rows]}
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    body = report(rows, scores, args.reveal_held_out)
    print(f"Commit {meta['commit']}; {meta['machine']}; {mode}.\n\n{body}")
    if args.failures:
        print("## Failures\n")
        print(failures(scores, args.reveal_held_out))
    if args.write:
        write_doc(f"Generated by `python -m scripts.extraction_eval --write` on {meta['date']}: commit {meta['commit']}; "
                  f"{meta['machine']}; {mode}.\n\n{body}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
