"""Accuracy through the service path: post every evaluation document to ``POST /ocr`` of a running
service and score what comes back (CER per language, per document kind, per split).

    python -m scripts.ocr_eval                          # starts the service (defaults), all sets
    python -m scripts.ocr_eval --sets real --failures   # ... and shows what was missed (dev files only)
    python -m scripts.ocr_eval --url http://host:8080 --api-key KEY   # a service that is already running
    python -m scripts.ocr_eval --env OCR_KOREAN_REC_MODEL=tesseract --name tesseract   # another configuration
    python -m scripts.ocr_eval --json out.json          # keep the raw responses; --from-json re-scores them
    python -m scripts.ocr_eval --write                  # regenerate the tables in docs/accuracy.md

The service is started exactly as ``make run`` would start it (``python -m app``), with ``--env``
overrides; the documents are sent as multipart uploads, like any client's. Scores (scripts/ocr_eval/score.py):
whole-text labels by CER; partial labels (real set) by the edit distance of each listed string to its
best-matching substring of the transcript, whitespace ignored, and the fraction found verbatim;
rendered pages also by the digit runs and Latin codes kept; RapidOCR images by their own assertion.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from scripts.bench import free_port, machine, start, stop
from scripts.ocr_eval.score import codes_kept, page_cer, partial_scores
from scripts.ocr_eval.sets import SETS, Doc, rapidocr_pass

REPO = Path(__file__).resolve().parents[2]
DOC_PATH = REPO / "docs" / "accuracy.md"
BEGIN, END = "<!-- generated:start -->", "<!-- generated:end -->"
KEY = "eval-key"


@dataclass
class Scored:
    doc: Doc
    status: int
    seconds: float
    text: str = ""
    lines: list[str] = field(default_factory=list)
    errors: int = 0
    chars: int = 0
    found: int = 0
    listed: int = 0
    codes: int = 0
    codes_total: int = 0
    passed: bool | None = None
    missed: list[str] = field(default_factory=list)
    error: str | None = None
    page_langs: list[str | None] = field(default_factory=list)  # the language each page was read as

    @property
    def cer(self) -> float:
        return self.errors / self.chars if self.chars else 0.0


# --------------------------------------------------------------------------- the service


@contextmanager
def service(env: dict[str, str]) -> Iterator[tuple[str, dict[str, str]]]:
    """``python -m app`` on a free loopback port with ``env`` on top of the defaults; stopped afterwards."""
    port = free_port()
    (REPO / "artifacts").mkdir(exist_ok=True)
    full = {"AUTH_MODE": "api-key", "API_KEY": KEY, "HOST": "127.0.0.1", "PORT": str(port), "LOG_LEVEL": "WARNING",
            "REQUEST_TIMEOUT_S": "600", **env}  # fmt: skip
    proc = start([sys.executable, "-m", "app"], port, full)
    try:
        yield f"http://127.0.0.1:{port}", {"x-api-key": KEY}
    finally:
        stop(proc)


async def post_all(
    url: str, headers: dict[str, str], docs: list[Doc], concurrency: int, lang: str | None = None
) -> list[Scored]:
    """Post every document (in its own language, or all in ``lang``, e.g. ``auto``) and collect the answers."""
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=900) as client:

        async def one(doc: Doc) -> Scored:
            async with sem:
                t0 = time.perf_counter()
                form = {"lang": lang or doc.lang}
                resp = await client.post("/ocr", data=form, files={"file": (doc.filename, doc.data)})
                took = time.perf_counter() - t0
            if resp.status_code != 200:
                try:
                    err = resp.json()["error"]["message"]
                except (ValueError, KeyError, TypeError):
                    err = resp.text[:200]
                return Scored(doc, resp.status_code, took, error=err)
            body = resp.json()
            lines = [ln["text"] for p in body["pages"] for ln in p["lines"]]
            langs = [p.get("lang") for p in body["pages"]]
            return Scored(doc, 200, took, text=body["text"], lines=lines, page_langs=langs)

        return list(await asyncio.gather(*(one(d) for d in docs)))


# --------------------------------------------------------------------------- scoring


def score(s: Scored) -> Scored:
    d = s.doc
    text = s.text if s.status == 200 else ""
    if d.reference is not None:
        s.errors, s.chars = page_cer(text, d.reference)
        if d.set == "rendered":
            s.codes, s.codes_total, lost = codes_kept(d.reference, text)
            s.missed = lost
    elif d.strings:
        s.errors, s.chars, s.found, s.listed, s.missed = partial_scores(d.strings, text)
    if d.label:
        s.passed = s.status == 200 and rapidocr_pass(d.label, s.lines)
        ref = d.label.get("image_text") or d.label.get("expected_text") or ""
        if ref:
            s.errors, s.chars = page_cer(" ".join(s.lines) if s.status == 200 else "", ref)
    return s


@dataclass
class Group:
    docs: int = 0
    errors: int = 0
    chars: int = 0
    found: int = 0
    listed: int = 0
    codes: int = 0
    codes_total: int = 0
    passed: int = 0
    judged: int = 0
    failed_requests: int = 0
    seconds: list[float] = field(default_factory=list)

    def add(self, s: Scored) -> None:
        self.docs += 1
        self.errors += s.errors
        self.chars += s.chars
        self.found += s.found
        self.listed += s.listed
        self.codes += s.codes
        self.codes_total += s.codes_total
        if s.passed is not None:
            self.judged += 1
            self.passed += int(s.passed)
        if s.status != 200:
            self.failed_requests += 1
        self.seconds.append(s.seconds)

    def row(self) -> list[str]:
        cer = f"{100 * self.errors / self.chars:.2f} %" if self.chars else "–"
        found = f"{self.found}/{self.listed} ({100 * self.found / self.listed:.0f} %)" if self.listed else "–"
        kept = f"{self.codes}/{self.codes_total}" if self.codes_total else "–"
        passes = f"{self.passed}/{self.judged}" if self.judged else "–"
        sec = f"{statistics.median(self.seconds):.2f}" if self.seconds else "–"
        return [str(self.docs), cer, found, kept, passes, str(self.failed_requests), sec]


HEADER = ["docs", "CER", "strings found", "codes kept", "passes", "non-200", "s/doc (median)"]


def groups(scored: Iterable[Scored], key: Any) -> dict[tuple[str, ...], Group]:
    out: dict[tuple[str, ...], Group] = defaultdict(Group)
    for s in scored:
        out[key(s)].add(s)
    return dict(sorted(out.items()))


def table(title: str, cols: list[str], rows: dict[tuple[str, ...], Group]) -> str:
    head = cols + HEADER
    lines = [f"### {title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for k, g in rows.items():
        lines.append("| " + " | ".join([*k, *g.row()]) + " |")
    return "\n".join(lines) + "\n"


def report(name: str, scored: list[Scored], *, per_file: bool = True) -> str:
    parts = [f"## {name}\n"]
    parts.append(table("By set, language and split", ["set", "lang", "split"],
                       groups(scored, lambda s: (s.doc.set, s.doc.lang, s.doc.split))))  # fmt: skip
    parts.append(table("By document kind", ["set", "lang", "kind"],
                       groups(scored, lambda s: (s.doc.set, s.doc.lang, s.doc.kind))))  # fmt: skip
    if per_file:
        lines = ["### By document", "", "| set | split | document | lang | CER | found | codes | pass | s |",
                 "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for s in sorted(scored, key=lambda s: (s.doc.set, s.doc.split, s.doc.name)):
            found = f"{s.found}/{s.listed}" if s.listed else "–"
            kept = f"{s.codes}/{s.codes_total}" if s.codes_total else "–"
            passed = "–" if s.passed is None else ("pass" if s.passed else "FAIL")
            cer = f"{100 * s.cer:.2f} %" if s.chars else "–"
            if s.status != 200:
                cer = f"{s.status}"
            lines.append(
                f"| {s.doc.set} | {s.doc.split} | {s.doc.name} | {s.doc.lang} | {cer} | {found} | {kept} | {passed} | {s.seconds:.2f} |"
            )
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def failures(scored: list[Scored], reveal_held_out: bool) -> str:
    out = []
    for s in scored:
        if s.doc.split == "held-out" and not reveal_held_out:
            continue
        if s.error:
            out.append(f"- {s.doc.name}: HTTP {s.status} {s.error}")
        elif s.missed or s.passed is False:
            shown = "; ".join(s.missed[:40])
            out.append(f"- {s.doc.name} ({100 * s.cer:.1f} %): missed {shown}")
            if s.passed is False:
                out.append(f"    got: {' | '.join(s.lines[:3])}")
    return "\n".join(out)


def write_doc(body: str) -> None:
    text = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.is_file() else f"# OCR accuracy\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text:
        text = text.rstrip() + f"\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1] if END in rest else ""
    DOC_PATH.write_text(f"{head}{BEGIN}\n{body.rstrip()}\n{END}{tail}", encoding="utf-8")


# --------------------------------------------------------------------------- main


def load_docs(names: list[str]) -> list[Doc]:
    docs: list[Doc] = []
    for n in names:
        if n not in SETS:
            raise SystemExit(f"unknown set {n!r}; sets: {', '.join(SETS)}")
        docs += SETS[n]()
    return docs


def to_json(scored: list[Scored]) -> list[dict[str, Any]]:
    return [{"set": s.doc.set, "name": s.doc.name, "status": s.status, "seconds": s.seconds, "text": s.text,
             "lines": s.lines, "error": s.error, "page_langs": s.page_langs} for s in scored]  # fmt: skip


def from_json(rows: list[dict[str, Any]], docs: list[Doc]) -> list[Scored]:
    by_key = {(d.set, d.name): d for d in docs}
    out = []
    for r in rows:
        d = by_key.get((r["set"], r["name"]))
        if d is not None:
            out.append(Scored(d, r["status"], r["seconds"], text=r["text"], lines=r["lines"], error=r["error"],
                              page_langs=r.get("page_langs", [])))  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default="real,rendered,rapidocr", help="comma-separated: real, rendered, rapidocr")
    ap.add_argument("--url", help="a running service (default: start one)")
    ap.add_argument("--api-key", default=os.environ.get("API_KEY", ""), help="for --url")
    ap.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="setting for the started service")
    ap.add_argument("--name", default="defaults", help="what to call this configuration in the report")
    ap.add_argument("--concurrency", type=int, default=2)
    ap.add_argument("--lang", help="send every document in this language (e.g. auto) instead of its own")
    ap.add_argument("--only", help="comma-separated document names (a quick look at a few)")
    ap.add_argument("--json", type=Path, help="write the raw responses here")
    ap.add_argument("--from-json", type=Path, help="score saved responses instead of calling a service")
    ap.add_argument("--failures", action="store_true", help="list missed strings and failed checks (dev files)")
    ap.add_argument("--reveal-held-out", action="store_true", help="also list failures on held-out files")
    ap.add_argument("--write", action="store_true", help="regenerate the tables in docs/accuracy.md")
    args = ap.parse_args(argv)

    docs = load_docs([s.strip() for s in args.sets.split(",") if s.strip()])
    if args.only:
        wanted = {n.strip() for n in args.only.split(",")}
        docs = [d for d in docs if d.name in wanted]
    if args.from_json:
        scored = from_json(json.loads(args.from_json.read_text(encoding="utf-8")), docs)
    else:
        env = dict(e.split("=", 1) for e in args.env)
        t0 = time.perf_counter()
        if args.url:
            headers = {"x-api-key": args.api_key} if args.api_key else {}
            scored = asyncio.run(post_all(args.url, headers, docs, args.concurrency, args.lang))
        else:
            with service(env) as (url, headers):
                scored = asyncio.run(post_all(url, headers, docs, args.concurrency, args.lang))
        print(f"[eval] {len(docs)} documents in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    scored = [score(s) for s in scored]
    if args.json:
        args.json.write_text(json.dumps(to_json(scored), ensure_ascii=False, indent=1), encoding="utf-8")
    body = report(args.name, scored)
    print(body)
    if args.failures:
        print("## Failures\n")
        print(failures(scored, args.reveal_held_out))
    if args.write:
        settings = ", ".join(args.env) or "the defaults"
        write_doc(f"Generated by `python -m scripts.ocr_eval --write` on {time.strftime('%Y-%m-%d')}: {machine()}; "
                  f"service started with {settings}.\n\n{body}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
