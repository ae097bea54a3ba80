"""Prompt for LLM extraction (OCR text with its layout) and parsing of the model's JSON answer."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from app.features.extraction.llm.base import LlmBadJson
from app.features.extraction.templates import FieldSpec
from app.features.ocr.types import DocumentResult

MAX_PROMPT_CHARS = 24_000

SYSTEM_PROMPT = (
    "You extract fields from OCR output of business documents (Korean and English invoices, receipts, "
    "business registration certificates). You answer with one JSON object and nothing else. "
    "Copy each value exactly as it is printed in the OCR text (same digits, separators and currency "
    "signs); do not translate, reformat, compute or guess. If a field is not present, use null."
)

_TYPE_HINTS = {
    "text": "text as printed",
    "date": "a date as printed",
    "amount": "a money amount as printed, with its currency sign or unit if printed",
    "biz_number": "a Korean business registration number (000-00-00000)",
    "phone": "a telephone number as printed",
    "email": "an e-mail address",
    "number": "a number as printed",
    "id": "an identifier/code as printed",
}


def layout_text(doc: DocumentResult, max_chars: int = MAX_PROMPT_CHARS) -> str:
    """OCR lines grouped into visual rows; each row lists its lines left to right with their x position.

    ``[y=120] x=80: 합계 | x=900: 110,000원`` keeps enough geometry for the model to pair labels with
    values to their right or below, at a fraction of the tokens of full boxes.
    """
    out: list[str] = []
    for page in doc.pages:
        out.append(f"=== page {page.page} ({page.width}x{page.height} px) ===")
        lines = sorted(page.lines, key=lambda ln: ((ln.bbox[1] + ln.bbox[3]) / 2, ln.bbox[0]))
        rows: list[list[Any]] = []
        for ln in lines:
            cy = (ln.bbox[1] + ln.bbox[3]) / 2
            h = max(1.0, ln.bbox[3] - ln.bbox[1])
            if rows:
                last = rows[-1]
                lcy = (last[0].bbox[1] + last[0].bbox[3]) / 2
                if abs(cy - lcy) < 0.5 * h:
                    last.append(ln)
                    continue
            rows.append([ln])
        for row in rows:
            row.sort(key=lambda ln: ln.bbox[0])
            y = round(min(ln.bbox[1] for ln in row))
            cells = " | ".join(f"x={round(ln.bbox[0])}: {ln.text}" for ln in row)
            out.append(f"[y={y}] {cells}")
    text = "\n".join(out)
    if len(text) > max_chars:
        text = text[:max_chars] + "\n[... truncated ...]"
    return text


def build_prompt(doc: DocumentResult, specs: Sequence[FieldSpec]) -> tuple[str, str]:
    fields = []
    for s in specs:
        entry: dict[str, Any] = {"name": s.name, "type": _TYPE_HINTS.get(s.type, s.type)}
        if s.description:
            entry["description"] = s.description
        if s.synonyms:
            entry["labels"] = list(s.synonyms[:8])
        fields.append(entry)
    example = {s.name: None for s in specs}
    user = (
        "OCR text of the document. Each row is one visual line of a page: [y=top] then the text pieces "
        "left to right with their x position in pixels. Labels usually have their value to the right on "
        "the same row or directly below.\n\n"
        f"{layout_text(doc)}\n\n"
        "Fields to extract (labels are the words such a field is usually printed next to):\n"
        f"{json.dumps(fields, ensure_ascii=False, indent=1)}\n\n"
        "Answer with exactly one JSON object with these keys and string-or-null values, e.g.\n"
        f"{json.dumps(example, ensure_ascii=False)}"
    )
    return SYSTEM_PROMPT, user


_FENCE_RE = re.compile(r"```(?:json)?\s*(.*?)```", re.S | re.I)


def parse_answer(text: str, names: Sequence[str]) -> dict[str, str | None]:
    """The model's JSON object, restricted to the requested names; anything else raises LlmBadJson.

    Accepts a bare object, one inside a ```json fence or surrounded by prose; values must be
    strings, numbers or null (numbers become their text); missing names count as null.
    """
    candidates = [m.group(1) for m in _FENCE_RE.finditer(text)]
    stripped = text.strip()
    candidates.append(stripped)
    start, end = stripped.find("{"), stripped.rfind("}")
    if 0 <= start < end:
        candidates.append(stripped[start : end + 1])
    data: Any = None
    for c in candidates:
        try:
            data = json.loads(c)
        except (json.JSONDecodeError, ValueError):
            continue
        if isinstance(data, dict):
            break
        data = None
    if not isinstance(data, dict):
        raise LlmBadJson("the model's answer is not a JSON object")
    if isinstance(data.get("fields"), dict) and not any(n in data for n in names):
        data = data["fields"]  # {"fields": {...}} wrappers
    out: dict[str, str | None] = {}
    for name in names:
        value = data.get(name)
        if isinstance(value, dict) and "value" in value:  # {"name": {"value": "..."}}
            value = value["value"]
        if value is None or isinstance(value, bool):
            out[name] = None
        elif isinstance(value, str):
            out[name] = value.strip() or None
        elif isinstance(value, int | float):
            out[name] = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
        else:
            out[name] = None  # lists/objects are not values
    if data and not any(n in data for n in names):
        raise LlmBadJson("the model's JSON has none of the requested fields")
    return out
