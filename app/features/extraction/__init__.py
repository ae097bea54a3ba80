"""Field extraction (POST /extraction): named values from an OCR'd document.

Entry points used by the API route (which runs them in a worker thread):

* :func:`extract` — rules always (offline, no network); when an LLM backend is given (or
  ``CHATOCR_ENABLED`` is set) the LLM answers too, its values are validated and grounded in the OCR
  text, and any LLM failure falls back to the rule result with ``"fallback": "llm_timeout" | ...``
  (``llm_unavailable`` at once, without a call, while the LLM server's probe says it is down).
* :func:`build_llm_backend` — the configured backend (Bedrock Converse or an OpenAI-compatible
  endpoint) or None when ``CHATOCR_ENABLED`` is false.
* :func:`exact_field_accuracy` — exact-field accuracy over documents with known values.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from typing import Any, TypeVar

from app.core.config import Settings
from app.core.errors import AppError, ErrorCode
from app.features.extraction.accuracy import AccuracyReport, exact_field_accuracy
from app.features.extraction.checks import INVALID_CONFIDENCE_CAP, check
from app.features.extraction.concepts import concept_index
from app.features.extraction.doctype import AUTO, detect_template
from app.features.extraction.fields import parse_fields, specs_for_requests
from app.features.extraction.labels import label_for, label_language
from app.features.extraction.line_items import line_items
from app.features.extraction.llm import server as llm_server
from app.features.extraction.llm.base import FallbackKind, LlmBackend, LlmError, LlmTimeout
from app.features.extraction.llm.prompt import build_prompt, parse_answer
from app.features.extraction.normalize import normalize, values_match
from app.features.extraction.parties import right_of_pair
from app.features.extraction.rules import RuleField, currency_hint, locate, run_rules
from app.features.extraction.templates import FieldSpec, TemplateSet, load_templates
from app.features.extraction.totals import ROLES, reconcile
from app.features.ocr.types import DocumentResult
from app.observability import metrics

__all__ = [
    "AccuracyReport",
    "LlmBackend",
    "available_templates",
    "build_llm_backend",
    "exact_field_accuracy",
    "extract",
    "resolve_fields",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

# confidence given to an LLM value that agrees with the rules, and to one the OCR text does not show
_AGREED_CONFIDENCE = 0.9
ITEM_TEMPLATES = ("invoice", "receipt")  # templates whose answer lists the item table's rows (line_items)
_UNGROUNDED_CONFIDENCE = 0.3
_HARD_TIMEOUT_GRACE_S = 0.25


def _templates(settings: Settings) -> TemplateSet:
    return load_templates(settings.extraction_templates_dir)


def available_templates(settings: Settings) -> list[str]:
    return _templates(settings).names()


def resolve_fields(
    *, fields: str | None, template: str | None, settings: Settings, doc: DocumentResult | None = None
) -> tuple[str | None, list[FieldSpec], TemplateSet]:
    """Validate the request's fields/template pair into field specs (AppError INVALID_PARAMETER if bad).

    ``template=auto`` picks the template the OCR'd ``doc`` looks like; without a document (the check the
    route makes before any OCR work) it is only validated."""
    fields = fields if fields is not None and fields.strip() else None
    template = template.strip() if template is not None and template.strip() else None
    if template == AUTO and fields is None:
        if doc is None:
            return AUTO, [], _templates(settings)
        template = detect_template(doc, _templates(settings).names())
    if fields is None and template is None:
        raise AppError(
            ErrorCode.INVALID_PARAMETER,
            "Give either 'fields' (names, a JSON array, or a JSON object {name: description}) or "
            "'template' (e.g. invoice, receipt, business_registration).",
        )
    if fields is not None and template is not None:
        raise AppError(ErrorCode.INVALID_PARAMETER, "Give either 'fields' or 'template', not both.")
    templates = _templates(settings)
    if template is not None:
        tpl = templates.get(template)
        if tpl is None:
            raise AppError(
                ErrorCode.INVALID_PARAMETER,
                f"Unknown template {template!r}; available: {', '.join(templates.names())}.",
                details={"available_templates": templates.names()},
            )
        concepts = concept_index(templates)
        specs = [replace(f, concept=f.concept or concepts.of_member(tpl.name, f.name)) for f in tpl.fields]
        return tpl.name, specs, templates
    return None, specs_for_requests(parse_fields(fields), templates), templates


def _with_totals(specs: list[FieldSpec], templates: TemplateSet) -> tuple[list[FieldSpec], dict[str, str]]:
    """The specs plus hidden ones for the totals roles nobody asked for (the arithmetic needs all three),
    and which field plays each role. Hidden names start with ``#``, which no requested name can."""
    roles = {s.concept: s.name for s in reversed(specs) if s.concept in ROLES and s.type == "amount"}
    if not roles:
        return specs, {}
    concepts = concept_index(templates)
    hidden = []
    for role in ROLES:
        concept = concepts.concepts.get(role)
        if role not in roles and concept is not None and (spec := concepts.spec(concept, f"#{role}")) is not None:
            hidden.append(spec)
            roles[role] = spec.name
    return [*specs, *hidden], roles


def extract(
    doc: DocumentResult,
    *,
    fields: str | None,
    template: str | None,
    settings: Settings,
    llm: LlmBackend | None = None,
    label_lang: str | None = None,
) -> dict[str, Any]:
    """The POST /extraction body (without request_id) for an OCR'd document. Synchronous.

    ``label_lang`` (``ko`` / ``en``) is the language of the fields' labels; by default Korean for a
    document read as Korean, English otherwise."""
    template_name, specs, templates = resolve_fields(fields=fields, template=template, settings=settings, doc=doc)
    started = time.perf_counter()
    searched, roles = _with_totals(specs, templates)
    vocabulary = templates.vocabulary()
    rules = run_rules(doc, [s for s in searched if not s.paired], vocabulary)
    _buyer_side(doc, specs, rules, templates)
    currency = currency_hint(doc)
    reconcile(doc, rules, roles, currency)
    for s in specs:
        r = rules[s.name]
        valid, reason = check(s.type, s.concept, r.value, r.normalized, r.valid)
        if valid is False:
            r = replace(r, valid=False, reason=r.reason or reason, confidence=min(r.confidence, INVALID_CONFIDENCE_CAP))
        rules[s.name] = r
    out_fields = {s.name: _rule_output(s, rules[s.name]) for s in specs}
    body: dict[str, Any] = {"method": "rules", "template": template_name, "fields": out_fields}
    log.debug("extraction rules done", extra={"ms": round((time.perf_counter() - started) * 1000, 1)})

    backend = llm
    if backend is None and settings.chatocr_enabled:
        try:
            backend = build_llm_backend(settings)
        except Exception as exc:  # misconfiguration: rules still answer
            log.warning("extraction LLM backend unavailable", extra={"error": str(exc)[:300]})
            body["fallback"] = "llm_error"
    if backend is not None and any(p.lines for p in doc.pages):  # nothing to ask about a blank page
        health = llm_server.current() if backend.name == "openai" else None
        answer: dict[str, str | None] | None = None
        fallback: FallbackKind | None = "llm_unavailable"  # known down: no wait for a connect timeout
        if health is None or health.available:
            answer, fallback = _ask_llm(backend, doc, specs, settings.chatocr_timeout_s)
            if health is not None and fallback in (None, "llm_unavailable"):  # a call's news is a probe's
                health.report(fallback is None, error="an extraction call could not reach it")
        if fallback is not None:
            body["fallback"] = fallback
        elif answer is not None:
            body["method"] = "llm"
            for s in specs:
                body["fields"][s.name] = _merge(doc, s, rules[s.name], answer.get(s.name), currency)
    if "fallback" in body:
        metrics.LLM_FALLBACKS.labels(body["fallback"]).inc()
    lang = label_lang or label_language(None, doc.lang)
    for s in specs:  # which concept each name was understood as (a caller's check on `amountDue` → total)
        body["fields"][s.name]["concept"] = s.concept
        body["fields"][s.name]["label"] = label_for(s.label, s.name, lang, buyer=s.paired)
    if template_name in ITEM_TEMPLATES:
        body["line_items"] = line_items(doc, currency)
    body["text"] = doc.text
    return body


def _buyer_side(
    doc: DocumentResult, specs: list[FieldSpec], rules: dict[str, RuleField], templates: TemplateSet
) -> None:
    """Buyer-side fields from the right-hand block of same-row label pairs (parties.py), in place."""
    concepts = concept_index(templates)
    for s in specs:
        if s.paired:
            rules[s.name] = right_of_pair(doc, s, templates.vocabulary())
        elif s.side == "buyer" and rules[s.name].value is None and (vendor := concepts.concepts.get("vendor")):
            mirror = concepts.spec(vendor, s.name)
            if mirror is not None:
                rules[s.name] = right_of_pair(doc, mirror, templates.vocabulary())


def _rule_output(spec: FieldSpec, r: RuleField) -> dict[str, Any]:
    out = {
        "value": r.value,
        "normalized": r.normalized,
        "type": spec.type,
        "confidence": round(r.confidence, 3) if r.value is not None else 0.0,
        "page": r.page,
        "bbox": r.bbox,
        "valid": r.valid,
        "source": "rules" if r.value is not None else None,
    }
    if r.valid is False and r.reason:
        out["reason"] = r.reason
    return out


# --------------------------------------------------------------------------------------------- LLM


def _call_with_deadline(fn: Callable[[], T], timeout_s: float) -> T:
    """Run ``fn`` in a daemon thread and give up after ``timeout_s`` whatever the client library does."""
    box: dict[str, Any] = {}
    ctx = contextvars.copy_context()

    def target() -> None:
        try:
            box["value"] = ctx.run(fn)
        except BaseException as exc:  # handed to the caller
            box["error"] = exc

    thread = threading.Thread(target=target, name="extraction-llm", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise LlmTimeout(f"no answer within {timeout_s:g}s")
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


def _ask_llm(
    backend: LlmBackend, doc: DocumentResult, specs: list[FieldSpec], timeout_s: float
) -> tuple[dict[str, str | None] | None, FallbackKind | None]:
    system, user = build_prompt(doc, specs)
    started = time.perf_counter()
    try:
        text = _call_with_deadline(
            lambda: backend.complete(system, user, timeout_s=timeout_s), timeout_s + _HARD_TIMEOUT_GRACE_S
        )
        answer = parse_answer(text, [s.name for s in specs])
    except LlmError as exc:
        log.warning(
            "extraction LLM failed; falling back to rules",
            extra={"llm_backend": backend.name, "fallback": exc.kind, "error": str(exc)[:300]},
        )
        return None, exc.kind
    except Exception:  # a bug or an unexpected client error must not become a 500
        log.exception("extraction LLM crashed; falling back to rules", extra={"llm_backend": backend.name})
        return None, "llm_error"
    log.info(
        "extraction LLM answered",
        extra={"llm_backend": backend.name, "ms": round((time.perf_counter() - started) * 1000, 1)},
    )
    return answer, None


def _merge(
    doc: DocumentResult, spec: FieldSpec, rule: RuleField, llm_value: str | None, currency: str | None
) -> dict[str, Any]:
    """Trust the LLM's value only when it validates for the type; place it where the OCR text shows it."""
    base = _rule_output(spec, rule)
    if llm_value is None:
        return base
    normalized, valid = normalize(spec.type, llm_value, default_currency=currency)
    if normalized is None:
        return base  # not a date/amount/...: the rule result stands
    if rule.value is not None and values_match(spec.type, rule.normalized, normalized):
        conf = max(rule.confidence, _AGREED_CONFIDENCE) if rule.valid is not False else rule.confidence
        return {**base, "confidence": round(conf, 3), "source": "llm+rules"}
    where = locate(doc, spec.type, llm_value, normalized, default_currency=currency)
    if where is not None:
        return _checked(
            spec,
            {
                "value": where.raw or llm_value,
                "normalized": normalized,
                "type": spec.type,
                "confidence": round(0.85 * max(0.0, min(1.0, where.line_confidence)), 3),
                "page": where.page,
                "bbox": where.bbox,
                "valid": valid,
                "source": "llm",
            },
        )
    if rule.value is not None or valid is False:
        # the rules point at printed text, or the value fails its check, and the LLM's value is
        # nowhere in the text: not trusted
        return base
    return _checked(
        spec,
        {
            "value": llm_value,
            "normalized": normalized,
            "type": spec.type,
            "confidence": _UNGROUNDED_CONFIDENCE,
            "page": None,
            "bbox": None,
            "valid": valid,
            "source": "llm",
        },
    )


def _checked(spec: FieldSpec, out: dict[str, Any]) -> dict[str, Any]:
    """An LLM value through the same plausibility checks as a rule value."""
    valid, reason = check(spec.type, spec.concept, out["value"], out["normalized"], out["valid"])
    if valid is False:
        out = {**out, "valid": False, "confidence": min(out["confidence"], INVALID_CONFIDENCE_CAP)}
        if reason:
            out["reason"] = reason
    return out


def build_llm_backend(settings: Settings) -> LlmBackend | None:
    """The configured LLM backend, or None when CHATOCR_ENABLED is false. Cached per configuration."""
    if not settings.chatocr_enabled:
        return None
    return _build_backend(
        settings.chatocr_backend,
        settings.chatocr_model,
        settings.chatocr_api_base,
        settings.chatocr_api_token,
        settings.chatocr_timeout_s,
        settings.aws_region,
        settings.chatocr_max_tokens,
    )


@lru_cache(maxsize=4)
def _build_backend(
    kind: str, model: str, api_base: str | None, token: str | None, timeout_s: float, region: str, max_tokens: int
) -> LlmBackend:
    if kind == "openai":
        from app.features.extraction.llm.openai_compat import OpenAICompatBackend

        if not api_base:
            raise ValueError("CHATOCR_BACKEND=openai needs CHATOCR_API_BASE")
        return OpenAICompatBackend(api_base, model, token=token, timeout_s=timeout_s, max_tokens=max_tokens)
    from app.features.extraction.llm.bedrock import BedrockBackend

    return BedrockBackend(model, region=region, timeout_s=timeout_s, max_tokens=max_tokens)
