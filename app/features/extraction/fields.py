"""The ``fields`` form value: which fields the caller wants, and how each becomes a FieldSpec.

Accepted shapes (API.md, POST /extraction):

* comma-separated names: ``vendor, total_amount, 담당자``
* a JSON array of names: ``["vendor", "total_amount"]``
* a JSON object ``{name: description}``: ``{"po_number": "Purchase order number (PO No.)"}``; as an
  extension the value may also be an object ``{"description": ..., "type": ..., "synonyms": [...]}``.

A custom field whose name is a field of a template (``total_amount``) inherits that field's type and key
synonyms; otherwise its type is guessed from its name and description, and the name (underscores as
spaces) and a short description are used as key labels.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any

from app.core.errors import AppError, ErrorCode
from app.features.extraction.concepts import concept_index, name_words
from app.features.extraction.templates import FieldSpec, TemplateSet, with_extra_synonyms
from app.features.extraction.values import FIELD_TYPES

MAX_FIELDS = 50
MAX_NAME_LEN = 64
MAX_DESCRIPTION_LEN = 500
MAX_SYNONYMS = 20  # per field
MAX_FIELDS_CHARS = 64 * 1024  # the whole `fields` form value
_NAME_RE = re.compile(r"^[\w][\w .\-/()#]*$")


@dataclass(frozen=True, slots=True)
class FieldRequest:
    name: str
    description: str = ""
    type: str | None = None
    synonyms: tuple[str, ...] = ()


def _bad(message: str) -> AppError:
    return AppError(ErrorCode.INVALID_PARAMETER, f"fields: {message}")


def _check_name(name: Any) -> str:
    if not isinstance(name, str):
        raise _bad(f"field names must be strings, got {type(name).__name__}")
    name = name.strip()
    if not name:
        raise _bad("empty field name")
    if len(name) > MAX_NAME_LEN:
        raise _bad(f"field name longer than {MAX_NAME_LEN} characters: {name[:20]!r}…")
    if not _NAME_RE.match(name):
        raise _bad(f"field name {name!r} has characters other than letters, digits, space, _ - . / ( ) #")
    return name


def _from_object_value(name: str, value: Any) -> FieldRequest:
    if value is None:
        return FieldRequest(name)
    if isinstance(value, str):
        if len(value) > MAX_DESCRIPTION_LEN:
            raise _bad(f"description of {name!r} is longer than {MAX_DESCRIPTION_LEN} characters")
        return FieldRequest(name, value.strip())
    if isinstance(value, dict):
        unknown = set(value) - {"description", "type", "synonyms"}
        if unknown:
            raise _bad(f"{name!r}: unknown keys {sorted(unknown)} (allowed: description, type, synonyms)")
        desc = value.get("description") or ""
        type_ = value.get("type")
        syn = value.get("synonyms") or []
        if not isinstance(desc, str) or len(desc) > MAX_DESCRIPTION_LEN:
            raise _bad(f"{name!r}: description must be a string of at most {MAX_DESCRIPTION_LEN} characters")
        if type_ is not None and type_ not in FIELD_TYPES:
            raise _bad(f"{name!r}: type {type_!r} is not one of {', '.join(FIELD_TYPES)}")
        if not isinstance(syn, list) or not all(isinstance(s, str) for s in syn):
            raise _bad(f"{name!r}: synonyms must be a list of strings")
        if len(syn) > MAX_SYNONYMS or any(len(s) > MAX_NAME_LEN for s in syn):
            raise _bad(f"{name!r}: at most {MAX_SYNONYMS} synonyms of at most {MAX_NAME_LEN} characters each")
        return FieldRequest(name, desc.strip(), type_, tuple(s.strip() for s in syn if s.strip()))
    raise _bad(f"the value for {name!r} must be a description string (or an object), not {type(value).__name__}")


def parse_fields(raw: str | None) -> list[FieldRequest]:
    """Parse the form value; anything malformed raises AppError(INVALID_PARAMETER)."""
    if raw is None or not raw.strip():
        raise _bad("no field names given")
    text = raw.strip()
    if len(text) > MAX_FIELDS_CHARS:
        raise _bad(f"the fields value is {len(text)} characters; at most {MAX_FIELDS_CHARS} are accepted")
    requests: list[FieldRequest]
    if text[0] in "[{":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _bad(f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
        except RecursionError:
            raise _bad("the JSON is nested too deeply (an array of names or an object {name: description})") from None
        if isinstance(data, list):
            requests = []
            for item in data:
                if isinstance(item, dict) and "name" in item:  # [{"name": ..., "description": ...}]
                    name = _check_name(item["name"])
                    rest = {k: v for k, v in item.items() if k != "name"}
                    requests.append(_from_object_value(name, rest or None))
                else:
                    requests.append(FieldRequest(_check_name(item)))
        elif isinstance(data, dict):
            requests = [_from_object_value(_check_name(k), v) for k, v in data.items()]
        else:
            raise _bad("JSON must be an array of names or an object {name: description}")
    else:
        requests = [FieldRequest(_check_name(part)) for part in re.split(r"[,\n]", text) if part.strip()]
    if not requests:
        raise _bad("no field names given")
    seen: set[str] = set()
    unique: list[FieldRequest] = []
    for r in requests:
        if r.name in seen:
            raise _bad(f"field {r.name!r} is given twice")
        seen.add(r.name)
        unique.append(r)
    if len(unique) > MAX_FIELDS:
        raise _bad(f"at most {MAX_FIELDS} fields per request, got {len(unique)}")
    return unique


# Type guessing for custom fields. Strong markers anywhere in the name decide first; otherwise the
# head word decides, which is the last one that means something (English "amount_due", "issue_date";
# Korean compounds end with their head: "배송일자", "합계금액", "승인번호").
_STRONG_MARKERS: list[tuple[str, tuple[str, ...]]] = [
    ("biz_number", ("business_number", "business number", "registration_number", "brn", "사업자")),
    ("email", ("email", "e-mail", "e_mail", "이메일", "메일")),
    ("phone", ("phone", "telephone", "mobile", "fax", "전화", "연락처", "휴대폰", "팩스")),
]
_HEAD_WORDS: dict[str, str] = {
    **dict.fromkeys(("date", "dated", "day", "dob", "birthday", "deadline", "expiry"), "date"),
    **dict.fromkeys(
        (
            "amount",
            "total",
            "subtotal",
            "price",
            "tax",
            "vat",
            "gst",
            "fee",
            "cost",
            "balance",
            "sum",
            "charge",
        ),
        "amount",
    ),
    **dict.fromkeys(("qty", "quantity", "count"), "number"),
    **dict.fromkeys(("number", "no", "num", "id", "code", "ref", "reference"), "id"),
    "tel": "phone",
    "mail": "email",
}
_KO_HEADS: list[tuple[str, str]] = [
    ("연월일", "date"),
    ("일자", "date"),
    ("날짜", "date"),
    ("일시", "date"),
    ("기한", "date"),
    ("발행일", "date"),
    ("작성일", "date"),
    ("금액", "amount"),
    ("합계", "amount"),
    ("총액", "amount"),
    ("가액", "amount"),
    ("세액", "amount"),
    ("부가세", "amount"),
    ("단가", "amount"),
    ("요금", "amount"),
    ("수량", "number"),
    ("개수", "number"),
    ("번호", "id"),
    ("코드", "id"),
    ("일", "date"),  # 점검일, 납기일, 개업일
]


def _head_type(text: str) -> str | None:
    low = text.lower()
    words = re.findall(r"[a-z]+|[가-힣]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", text).lower())
    for w in reversed(words):
        if w in _HEAD_WORDS:
            return _HEAD_WORDS[w]
        for suffix, type_ in _KO_HEADS:
            if w.endswith(suffix):
                return type_
    return "id" if "#" in low else None


def guess_type(name: str, description: str = "") -> str:
    """A custom field's type from its name, else from its description; ``text`` when nothing says."""
    for text in (name, description):
        low = f" {text.lower()} "
        for type_, markers in _STRONG_MARKERS:
            if any(m in low for m in markers):
                return type_
        head = _head_type(text)
        if head:
            return head
    return "text"


def _labels(name: str, description: str) -> list[str]:
    labels = [name]
    spaced = re.sub(r"[_\-]+", " ", name).strip()
    if spaced != name:
        labels.append(spaced)
    # a short description is usually the printed label itself ("Purchase order no.", "공급자 상호")
    if description and len(description) <= 24 and len(description.split()) <= 4:
        labels.append(description)
    for m in re.finditer(r"\(([^)]{1,24})\)", description):  # labels given in brackets: "(PO No.)"
        labels.append(m.group(1))
    return labels


_BUYER_WORDS = {"buyer", "customer", "client", "recipient", "purchaser", "payer", "billed", "bill"}
_BUYER_PREFIXES = ("공급받는자", "구매자", "매입자", "고객")


def buyer_side(name: str) -> str | None:
    """The rest of a name that asks for the buyer's copy of a field (``buyer_phone``, ``공급받는자 성명``)."""
    words = name_words(name)
    if len(words) > 1 and words[0] in _BUYER_WORDS:
        rest = words[2:] if words[:2] in (["bill", "to"], ["billed", "to"]) else words[1:]
        return " ".join(rest) or None
    compacted = "".join(words)
    for prefix in _BUYER_PREFIXES:
        if compacted.startswith(prefix) and len(compacted) > len(prefix) + 1:
            return compacted[len(prefix) :]
    return None


def specs_for_requests(requests: list[FieldRequest], templates: TemplateSet) -> list[FieldSpec]:
    """Each requested field as the spec the rules search with, under the caller's name.

    A name that means a known concept (``date``, ``amountDue``, ``사업자등록번호``; concepts.yaml) takes
    that concept's labels and fallbacks; any other name of a template field takes that field's; the
    rest are searched by their own words as labels, typed by :func:`guess_type`.
    """
    concepts = concept_index(templates)
    specs: list[FieldSpec] = []
    for r in requests:
        concept = concepts.match(r.name, r.description)
        paired = False
        if concept is None and (rest := buyer_side(r.name)) is not None:
            # "buyer_representative", "공급받는자 등록번호": the supplier's labels, the buyer's block
            concept = concepts.match(rest)
            paired = concept is not None and concept.name != "buyer"
        known = concepts.spec(concept, r.name) if concept is not None else None
        if known is not None and (paired or known.concept == "buyer"):
            known = replace(known, side="buyer", paired=paired)
        if known is None:
            known = templates.known_field(r.name)
        if known is not None:
            spec = with_extra_synonyms(replace(known, name=r.name), [*_labels(r.name, r.description), *r.synonyms])
            if r.description:
                spec = replace(spec, description=r.description)
            if r.type:
                spec = replace(spec, type=r.type)
        else:
            spec = FieldSpec(
                name=r.name,
                type=r.type or guess_type(r.name, r.description),
                description=r.description,
                synonyms=tuple(dict.fromkeys([*_labels(r.name, r.description), *r.synonyms])),
            )
        specs.append(spec)
    return specs
