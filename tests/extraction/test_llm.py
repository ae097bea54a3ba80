"""LLM path: Bedrock Converse through botocore's Stubber, OpenAI-compatible through a real local server.

Both cover success (values validated, grounded in the OCR text and merged with the rules), bad JSON,
timeouts and errors; every failure answers with the rule result and says why in ``fallback``.
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import ANY, Stubber

from app.core.config import Settings
from app.features.extraction import build_llm_backend, extract
from app.features.extraction.llm.base import LlmBackend, LlmBadJson, LlmError
from app.features.extraction.llm.bedrock import BedrockBackend
from app.features.extraction.llm.openai_compat import OpenAICompatBackend, chat_url
from app.features.extraction.llm.prompt import build_prompt, layout_text, parse_answer
from app.features.extraction.templates import load_templates
from app.features.ocr.types import DocumentResult
from tests.extraction.conftest import ChatServer, extraction_settings

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"

# What a good model answers for KOREAN_SAMPLE with the invoice template: printed values, plus a few
# answers the merge must judge (one found only by the LLM, one invalid, one not in the text).
GOOD_ANSWER = {
    "vendor_name": "주식회사 한빛소프트",
    "business_number": "123-45-67890",
    "invoice_number": None,
    "issue_date": "2025년 3월 4일",
    "due_date": None,
    "subtotal": "100,000원",  # printed on the item line without a label: the rules find it by arithmetic
    "tax_amount": "10,000원",
    "total_amount": "110,000원",
    "phone": "02-1234-5678",
    "fax": "02-1234-5678-9999",  # not a phone number: rejected, the rules' null stands
    "email": "billing@hanbit.example",  # nowhere in the text and the rules found none: kept, low confidence
    "buyer_name": "김민수",  # printed, but no label of the buyer is: found only by the LLM
}


def rules_only(doc: DocumentResult, settings: Settings) -> dict[str, Any]:
    return extract(doc, fields=None, template="invoice", settings=settings)


def assert_llm_merge(out: dict[str, Any], doc: DocumentResult) -> None:
    assert out["method"] == "llm" and "fallback" not in out
    f = out["fields"]
    assert f["total_amount"]["normalized"] == {"amount": 110_000.0, "currency": "KRW"}
    assert f["total_amount"]["source"] == "llm+rules" and f["total_amount"]["confidence"] >= 0.9
    assert f["issue_date"]["normalized"] == "2025-03-04"
    assert f["business_number"]["normalized"] == "1234567890" and f["business_number"]["valid"] is False
    sub = f["subtotal"]  # total - tax, printed: the rules and the LLM agree
    assert sub["source"] == "llm+rules" and sub["normalized"] == {"amount": 100_000.0, "currency": "KRW"}
    buyer = f["buyer_name"]  # the LLM's printed value is placed where the OCR shows it
    assert buyer["source"] == "llm" and buyer["value"] == "김민수"
    assert buyer["page"] == 1 and buyer["bbox"] is not None and buyer["confidence"] <= 0.85
    assert f["fax"]["value"] is None  # invalid for the type
    assert f["email"]["normalized"] == "billing@hanbit.example" and f["email"]["confidence"] <= 0.3
    assert f["email"]["bbox"] is None
    assert out["text"] == doc.text


def assert_fallback(out: dict[str, Any], rules: dict[str, Any], kind: str) -> None:
    assert out["method"] == "rules"
    assert out["fallback"] == kind
    assert out["fields"] == rules["fields"]


# --------------------------------------------------------------------------------------- Bedrock


def converse_response(text: str) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 900, "outputTokens": 120, "totalTokens": 1020},
        "metrics": {"latencyMs": 850},
    }


@pytest.fixture
def bedrock() -> Any:
    client = boto3.client(
        "bedrock-runtime",
        region_name="ap-northeast-2",
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="secret",
    )
    with Stubber(client) as stubber:
        yield client, stubber, BedrockBackend(MODEL, region="ap-northeast-2", timeout_s=5, client=client)


EXPECTED_PARAMS = {"modelId": MODEL, "system": ANY, "messages": ANY, "inferenceConfig": ANY}


def test_bedrock_success(bedrock: Any, ko_doc: DocumentResult, settings: Settings) -> None:
    client, stubber, backend = bedrock
    seen: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.bedrock-runtime.Converse", lambda params, **_: seen.append(params)
    )
    answer = "```json\n" + json.dumps(GOOD_ANSWER, ensure_ascii=False) + "\n```"
    stubber.add_response("converse", converse_response(answer), EXPECTED_PARAMS)
    out = extract(ko_doc, fields=None, template="invoice", settings=settings, llm=backend)
    stubber.assert_no_pending_responses()
    assert_llm_merge(out, ko_doc)
    params = seen[0]
    user = params["messages"][0]["content"][0]["text"]
    assert "합계 110,000원" in user and "total_amount" in user and "[y=" in user
    assert params["inferenceConfig"]["temperature"] == 0.0
    assert "JSON" in params["system"][0]["text"]


def test_bedrock_bad_json(bedrock: Any, ko_doc: DocumentResult, settings: Settings) -> None:
    _, stubber, backend = bedrock
    stubber.add_response("converse", converse_response("I found: vendor is 한빛소프트, total 110,000"), EXPECTED_PARAMS)
    out = extract(ko_doc, fields=None, template="invoice", settings=settings, llm=backend)
    assert_fallback(out, rules_only(ko_doc, settings), "llm_bad_json")


def test_bedrock_read_timeout(bedrock: Any, ko_doc: DocumentResult, settings: Settings) -> None:
    client, _, backend = bedrock

    def read_timeout(**_: Any) -> None:
        raise ReadTimeoutError(endpoint_url="https://bedrock-runtime.ap-northeast-2.amazonaws.com/model/x/converse")

    # the stubbed client never reaches the network; raise where the HTTP read would have timed out
    client.meta.events.register("provide-client-params.bedrock-runtime.Converse", read_timeout)
    out = extract(ko_doc, fields=None, template="invoice", settings=settings, llm=backend)
    assert_fallback(out, rules_only(ko_doc, settings), "llm_timeout")


def test_bedrock_hard_deadline(bedrock: Any, ko_doc: DocumentResult) -> None:
    """A call that hangs past CHATOCR_TIMEOUT_S is abandoned; the request does not wait for it."""
    client, stubber, backend = bedrock
    settings = extraction_settings(chatocr_timeout_s=0.3)
    stubber.add_response("converse", converse_response(json.dumps(GOOD_ANSWER)), EXPECTED_PARAMS)
    client.meta.events.register("provide-client-params.bedrock-runtime.Converse", lambda **_: time.sleep(2.0))
    started = time.monotonic()
    out = extract(ko_doc, fields=None, template="invoice", settings=settings, llm=backend)
    assert time.monotonic() - started < 1.5
    assert_fallback(out, rules_only(ko_doc, settings), "llm_timeout")


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("ThrottlingException", 429, "llm_error"),
        ("AccessDeniedException", 403, "llm_error"),
        ("ValidationException", 400, "llm_error"),
        ("ModelTimeoutException", 408, "llm_timeout"),
    ],
)
def test_bedrock_client_errors(
    bedrock: Any, ko_doc: DocumentResult, settings: Settings, code: str, status: int, kind: str
) -> None:
    _, stubber, backend = bedrock
    stubber.add_client_error("converse", service_error_code=code, http_status_code=status)
    out = extract(ko_doc, fields=None, template="invoice", settings=settings, llm=backend)
    assert_fallback(out, rules_only(ko_doc, settings), kind)


def test_bedrock_backend_from_settings() -> None:
    assert build_llm_backend(extraction_settings()) is None
    backend = build_llm_backend(
        extraction_settings(
            chatocr_enabled=True, chatocr_backend="bedrock", aws_region="us-east-1", chatocr_timeout_s=7
        )
    )
    assert isinstance(backend, BedrockBackend) and isinstance(backend, LlmBackend)
    assert backend.model == MODEL
    assert backend.client.meta.region_name == "us-east-1"
    assert backend.client.meta.config.read_timeout == 7
    assert backend.client.meta.config.retries["total_max_attempts"] == 2


# ------------------------------------------------------------------------------- OpenAI-compatible


def openai_settings(server: ChatServer, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "chatocr_enabled": True,
        "chatocr_backend": "openai",
        "chatocr_api_base": server.url,
        "chatocr_api_token": "sk-test-0123",
        "chatocr_model": "qwen2.5-7b-instruct",
        "chatocr_timeout_s": 0.5,
    }
    base.update(overrides)
    return extraction_settings(**base)


def test_openai_success(chat_server: ChatServer, ko_doc: DocumentResult) -> None:
    chat_server.content = json.dumps(GOOD_ANSWER, ensure_ascii=False)
    settings = openai_settings(chat_server)
    out = extract(ko_doc, fields=None, template="invoice", settings=settings)  # backend built from settings
    assert_llm_merge(out, ko_doc)
    (req,) = chat_server.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["Authorization"] == "Bearer sk-test-0123"
    body = req["body"]
    assert body["model"] == "qwen2.5-7b-instruct" and body["temperature"] == 0
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "합계 110,000원" in body["messages"][1]["content"]


def test_openai_bad_json(chat_server: ChatServer, ko_doc: DocumentResult) -> None:
    chat_server.mode = "bad_json"
    settings = openai_settings(chat_server)
    out = extract(ko_doc, fields=None, template="invoice", settings=settings)
    assert_fallback(out, rules_only(ko_doc, settings), "llm_bad_json")


def test_openai_slow_server_times_out(chat_server: ChatServer, ko_doc: DocumentResult) -> None:
    chat_server.mode = "slow"
    chat_server.delay_s = 2.0
    settings = openai_settings(chat_server, chatocr_timeout_s=0.4)
    started = time.monotonic()
    out = extract(ko_doc, fields=None, template="invoice", settings=settings)
    assert time.monotonic() - started < 1.5
    assert_fallback(out, rules_only(ko_doc, settings), "llm_timeout")


def test_openai_http_500(chat_server: ChatServer, ko_doc: DocumentResult) -> None:
    chat_server.mode = "error500"
    settings = openai_settings(chat_server)
    out = extract(ko_doc, fields=None, template="invoice", settings=settings)
    assert_fallback(out, rules_only(ko_doc, settings), "llm_error")


def test_openai_not_a_chat_completion(chat_server: ChatServer, ko_doc: DocumentResult) -> None:
    chat_server.mode = "not_json"
    settings = openai_settings(chat_server)
    out = extract(ko_doc, fields=None, template="invoice", settings=settings)
    assert_fallback(out, rules_only(ko_doc, settings), "llm_error")


def test_openai_unreachable(ko_doc: DocumentResult) -> None:
    from tests.conftest import free_port

    settings = extraction_settings(
        chatocr_enabled=True, chatocr_backend="openai", chatocr_api_base=f"http://127.0.0.1:{free_port()}/v1"
    )
    out = extract(ko_doc, fields=None, template="invoice", settings=settings)
    # a refused connection (no probe here: each call tries) is the server being down, not a bad answer
    assert_fallback(out, rules_only(ko_doc, settings), "llm_unavailable")


def test_openai_misconfigured_is_a_fallback_not_a_500(ko_doc: DocumentResult) -> None:
    settings = extraction_settings(chatocr_enabled=True, chatocr_backend="openai", chatocr_api_base=None)
    out = extract(ko_doc, fields=None, template="invoice", settings=settings)
    assert_fallback(out, rules_only(ko_doc, settings), "llm_error")


def test_openai_custom_fields_and_no_token(chat_server: ChatServer, en_doc: DocumentResult) -> None:
    chat_server.content = 'Here you go:\n{"issuer": "Bright Data Systems Ltd.", "amount_due": 1500, "po": null}'
    settings = openai_settings(chat_server, chatocr_api_token=None)
    fields = json.dumps({"issuer": "Company that issued the invoice", "amount_due": "Total due", "po": "PO number"})
    out = extract(en_doc, fields=fields, template=None, settings=settings)
    assert out["method"] == "llm" and out["template"] is None
    assert "Authorization" not in chat_server.requests[0]["headers"]
    f = out["fields"]
    assert f["issuer"]["value"] == "Bright Data Systems Ltd." and f["issuer"]["page"] == 1
    assert f["amount_due"]["normalized"] == {"amount": 1500.0, "currency": "USD"}
    assert f["po"]["value"] is None
    prompt = chat_server.requests[0]["body"]["messages"][1]["content"]
    assert "Company that issued the invoice" in prompt


def test_llm_value_not_in_text_does_not_override_rules(chat_server: ChatServer, ko_doc: DocumentResult) -> None:
    chat_server.content = json.dumps({"total_amount": "999,000원", "issue_date": "2025-03-05"})
    out = extract(ko_doc, fields="total_amount,issue_date", template=None, settings=openai_settings(chat_server))
    assert out["method"] == "llm"
    assert out["fields"]["total_amount"]["normalized"]["amount"] == 110_000.0
    assert out["fields"]["total_amount"]["source"] == "rules"
    assert out["fields"]["issue_date"]["normalized"] == "2025-03-04"


def test_llm_grounds_reformatted_values(chat_server: ChatServer, ko_doc: DocumentResult) -> None:
    """A model that reformats (ISO date, bare number) is matched to the printed text by value."""
    chat_server.content = json.dumps({"issue_date": "2025-03-04", "service_fee": 100000})
    out = extract(ko_doc, fields="issue_date,service_fee", template=None, settings=openai_settings(chat_server))
    assert out["fields"]["issue_date"]["source"] == "llm+rules"
    fee = out["fields"]["service_fee"]  # no label of it is printed: only the LLM finds it
    assert fee["value"] == "100,000원" and fee["source"] == "llm" and fee["bbox"] is not None


def test_chat_url() -> None:
    assert chat_url("https://api.openai.com/v1") == "https://api.openai.com/v1/chat/completions"
    assert chat_url("http://vllm:8000/v1/") == "http://vllm:8000/v1/chat/completions"
    assert chat_url("http://x/v1/chat/completions") == "http://x/v1/chat/completions"
    assert OpenAICompatBackend("http://x/v1", "m", timeout_s=1).url == "http://x/v1/chat/completions"


# ------------------------------------------------------------------------------------------ prompt


def test_parse_answer_shapes() -> None:
    names = ["a", "b", "c"]
    assert parse_answer('{"a": "1", "b": null}', names) == {"a": "1", "b": None, "c": None}
    assert parse_answer('```json\n{"a": 12.5, "b": 3.0, "c": true}\n```', names) == {
        "a": "12.5",
        "b": "3",
        "c": None,
    }
    assert parse_answer('Sure.\n{"fields": {"a": "x"}}\nDone.', names)["a"] == "x"
    assert parse_answer('{"a": {"value": "v"}, "b": ["x"]}', names) == {"a": "v", "b": None, "c": None}
    for bad in ("", "no json here", "[1, 2]", '{"a": 1', '{"unrelated": 1}'):
        with pytest.raises(LlmBadJson):
            parse_answer(bad, names)
    assert issubclass(LlmBadJson, LlmError) and LlmBadJson("x").kind == "llm_bad_json"


def test_prompt_has_layout_rows(ko_doc: DocumentResult) -> None:
    specs = list(load_templates().get("invoice").fields)  # type: ignore[union-attr]
    system, user = build_prompt(ko_doc, specs)
    assert "JSON" in system
    assert "=== page 1 (1240x1754 px) ===" in user
    assert "x=80: 합계 110,000원" in user
    assert '"name": "total_amount"' in user
    assert len(layout_text(ko_doc, max_chars=50)) < 80
