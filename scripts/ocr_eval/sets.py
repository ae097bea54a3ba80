"""The evaluation sets, as documents to post to the service with what to score them against.

- ``real``: real scans and photos (``tests/data/real-dev``, a copy of the team's real-dev set; labels
  and scoring rules in its README). Split once, by a rule fixed before any tuning, into ``dev`` (looked
  at, tuned on) and ``held-out`` (only aggregate numbers are ever read): a file is held out when the
  first hex digit of the SHA-256 of its *name* is 0, 1 or 2.
- ``rendered``: seeded business pages (``pages.py``), Korean in fonts the Korean reader never trained
  on, English in DejaVu; half clean, half "scanned".
- ``rapidocr``: the public RapidOCR test images (``tests/engines/data/rapidocr``), 23 images in 12
  languages, each with a pass rule (``rapidocr_pass``).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.ocr_eval.pages import rendered_pages
from scripts.ocr_eval.score import squash

REPO = Path(__file__).resolve().parents[2]
REAL_DIR = Path(os.environ.get("OCR_REAL_EVAL_DIR", REPO / "tests" / "data" / "real-dev"))
RAPIDOCR_DIR = REPO / "tests" / "engines" / "data" / "rapidocr"
HELD_OUT_DIGITS = "012"


@dataclass
class Doc:
    set: str  # real | rendered | rapidocr
    name: str
    lang: str
    kind: str  # document kind: receipt, form, screen, page, line, ...
    split: str  # dev | held-out | - (not split)
    data: bytes
    filename: str
    # scoring: exactly one of reference (whole text), strings (partial labels), label (RapidOCR rule)
    reference: str | None = None
    strings: list[str] = field(default_factory=list)
    label: dict[str, Any] = field(default_factory=dict)


def split_of(filename: str) -> str:
    return "held-out" if hashlib.sha256(filename.encode()).hexdigest()[0] in HELD_OUT_DIGITS else "dev"


def real_kind(filename: str) -> str:
    stem = filename.rsplit(".", 1)[0]
    if "receipt" in stem or "order_slip" in stem:
        return "receipt"
    if any(k in stem for k in ("appraisal", "invoice", "form", "table")):
        return "form"
    if "screenshot" in stem or "web" in stem:
        return "screen"
    return "page"


def real_set(directory: Path = REAL_DIR) -> list[Doc]:
    labels_path = directory / "labels.json"
    if not labels_path.is_file():
        raise FileNotFoundError(f"{labels_path} not found (set OCR_REAL_EVAL_DIR to the real-dev folder)")
    docs = []
    for lab in json.loads(labels_path.read_text(encoding="utf-8")):
        data = (directory / lab["file"]).read_bytes()
        doc = Doc("real", lab["file"], lab["lang"], real_kind(lab["file"]), split_of(lab["file"]), data, lab["file"])
        if lab["kind"] == "text":
            doc.reference = "\n".join(lab["lines"])
        else:
            doc.strings = list(lab["lines"])
        docs.append(doc)
    return docs


def rendered_set(korean: int = 12, english: int = 6, seed: int = 2026) -> list[Doc]:
    docs = []
    for page in rendered_pages("korean", korean, seed) + rendered_pages("en", english, seed):
        ext = "jpg" if page.variant == "scan" else "png"
        docs.append(Doc("rendered", page.name, page.lang, page.variant, "-", page.png, f"{page.name}.{ext}",
                        reference=page.reference))  # fmt: skip
    return docs


def rapidocr_set(directory: Path = RAPIDOCR_DIR) -> list[Doc]:
    docs = []
    for lab in json.loads((directory / "labels.json").read_text(encoding="utf-8")):
        data = (directory / lab["file"]).read_bytes()
        kind = "line" if lab["mode"] == "rec_only" else "image"
        docs.append(Doc("rapidocr", lab["file"], lab["lang"], kind, "-", data, lab["file"], label=lab))
    return docs


def rapidocr_pass(label: dict[str, Any], lines: list[str]) -> bool:
    """RapidOCR's own assertion, applied to what the service returned for the whole image.

    ``rec_only`` (a single-line image): the text (boxes joined) equals the asserted text or the text the
    image shows (``image_text``) or an asserted alternative, whitespace ignored. ``det_rec``: the first
    line is (or starts with) the asserted first line; an image with nothing asserted must give no text.
    """
    ci = bool(label.get("case_insensitive"))

    def norm(s: str) -> str:
        return squash(s).lower() if ci else squash(s)

    if label["mode"] == "rec_only":
        got = norm(" ".join(lines))
        wanted = [
            label["expected_text"],
            label.get("image_text", label["expected_text"]),
            *label.get("alternatives", []),
        ]
        return got in {norm(w) for w in wanted}
    if "expected_line_count" in label and len(lines) != label["expected_line_count"]:
        return False
    expected = label.get("expected_first_line")
    if expected is None:
        return not any(s.strip() for s in lines) if not label.get("expected_text") else False
    first = norm(lines[0]) if lines else ""
    return any(first == norm(w) or first.startswith(norm(w)) for w in [expected, *label.get("alternatives", [])])


SETS = {"real": real_set, "rendered": rendered_set, "rapidocr": rapidocr_set}
