"""The extraction evaluation set (scripts/extraction_eval/): deterministic documents whose expected values
are drawn on the page and add up, valid business numbers, well-formed requests, and the scorer's rules."""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from pathlib import Path

import pytest

from scripts.extraction_eval import values as V
from scripts.extraction_eval.__main__ import main, rebuild
from scripts.extraction_eval.callers import parse_fields
from scripts.extraction_eval.generator import KINDS, EvalDoc, generate, split
from scripts.extraction_eval.score import exact, fold, loose, score_fields


@pytest.fixture(scope="module")
def heldout() -> list[EvalDoc]:
    return split("heldout")


@pytest.fixture(scope="module")
def every_doc(heldout: list[EvalDoc]) -> list[EvalDoc]:
    return heldout + split("dev")


def _digest(docs: list[EvalDoc]) -> list[str]:
    return [hashlib.sha256(d.data + d.fields.encode() + repr(d.expected).encode()).hexdigest() for d in docs]


def test_same_seed_same_documents_other_seed_others() -> None:
    a, b, c = generate(7, 5), generate(7, 5), generate(8, 5)
    assert _digest(a) == _digest(b)
    assert [d.id for d in a] == [d.id for d in b]
    assert not set(_digest(a)) & set(_digest(c))


def test_every_kind_and_both_languages_in_heldout(heldout: list[EvalDoc]) -> None:
    assert len(heldout) == 40 and len({d.id for d in heldout}) == 40
    kinds = Counter(d.kind for d in heldout)
    langs = Counter(d.lang for d in heldout)
    assert set(kinds) == set(KINDS) and min(kinds.values()) >= 4, kinds
    assert langs["ko"] >= 12 and langs["en"] >= 12, langs
    assert {(d.kind, d.lang) for d in heldout} >= {(k, "ko") for k in KINDS} | {("invoice", "en"), ("receipt", "en")}
    assert any(d.scanned for d in heldout) and any(not d.scanned for d in heldout)


def test_receipts_are_narrow_and_pages_are_a4(heldout: list[EvalDoc]) -> None:
    for d in heldout:
        w, h = d.image.size
        assert (w <= 700 and h > w) if d.kind == "receipt" else (w, h) == (1240, 1754), d.id


def test_amounts_add_up(every_doc: list[EvalDoc]) -> None:
    checked = 0
    for d in every_doc:
        by = {c: d.expected[n] for n, c in d.concepts.items()}
        if {"subtotal", "tax", "total"} <= set(by):
            assert abs(by["subtotal"] + by["tax"] - by["total"]) < 0.006, d.id
            checked += 1
        if d.kind != "biz_reg":
            assert "total" in by, d.id  # every money document asks for its total
    assert checked >= 3


def test_business_numbers_carry_a_valid_check_digit(every_doc: list[EvalDoc]) -> None:
    r = random.Random(1)
    assert all(V.biz_valid(V.biz_number(r, corp=r.random() < 0.5)) for _ in range(500))
    assert V.biz_valid("220-81-62517") and not V.biz_valid("220-81-62518")
    for d in every_doc:
        for name, t in d.types.items():
            if t == "biz_number":
                assert len(d.expected[name]) == 10 and V.biz_valid(d.expected[name]), (d.id, name)


def test_every_expected_value_is_drawn_and_matches_its_print(every_doc: list[EvalDoc]) -> None:
    for d in every_doc:
        for name, want in d.expected.items():
            printed, t = d.printed[name], d.types[name]
            assert any(printed in line for line in d.drawn_lines), (d.id, name, printed)
            if t in {"text", "id"}:
                assert want == printed
            elif t == "email":
                assert want == printed.lower()
            elif t == "biz_number":
                assert want == "".join(c for c in printed if c.isdigit())
            else:  # amount, date, phone: the printed form carries the expected digits
                assert loose(t, want, {"value": printed}), (d.id, name, printed, want)


def test_the_request_names_exactly_the_expected_fields(every_doc: list[EvalDoc]) -> None:
    styles = Counter()
    for d in every_doc:
        names = parse_fields(d.fields)
        assert names == list(d.expected) == list(d.concepts) == list(d.types), d.id
        assert 4 <= len(names) <= 8 and len({n.lower() for n in names}) == len(names)
        if d.fields.startswith("{"):
            assert all(isinstance(v, str) and v for v in json.loads(d.fields).values())
            styles["json"] += 1
        styles["korean"] += any("가" <= c <= "힣" for n in names for c in n)
        styles["camel"] += any(n[:1].islower() and any(c.isupper() for c in n) for n in names)
    assert styles["json"] >= 5 and styles["korean"] >= 5 and styles["camel"] >= 5, styles


def test_scorer_rules() -> None:
    amount = {"value": "1,023,000원", "normalized": {"amount": 1023000.0, "currency": "KRW"}}
    assert exact("amount", 1023000.0, amount)
    assert not exact("amount", 1023000.0, {"value": "1,032,000", "normalized": {"amount": 1032000.0}})
    assert not loose("amount", 1023000.0, {"value": "1,032,000", "normalized": {"amount": 1032000.0}})
    assert loose("amount", 1023000.0, {"value": "합계 1,023,000", "normalized": None})
    assert exact("amount", 1234.5, {"value": "$1,234.50", "normalized": {"amount": 1234.5, "currency": "USD"}})
    # one character off: loose, not exact
    text = {"value": "주식회사 한빛상시", "normalized": "주식회사 한빛상시"}
    assert not exact("text", "주식회사 한빛상사", text) and loose("text", "주식회사 한빛상사", text)
    assert exact("text", "(주)대성테크", {"value": "(주) 대성테크", "normalized": "(주) 대성테크"})
    assert loose("text", "주식회사 한빛상사", {"value": "한빛상사", "normalized": "한빛상사"})
    assert not loose("text", "주식회사 한빛상사", {"value": "대성", "normalized": "대성"})
    assert exact("id", "INV-2024-0012", {"value": "inv 2024 0012", "normalized": "inv 2024 0012"})
    assert exact("date", "2024-06-12", {"value": "2024년 6월 12일", "normalized": "2024-06-12"})
    assert not exact("date", "2024-06-12", {"value": "2024년 6월 12일", "normalized": None})
    assert loose("date", "2024-06-12", {"value": "2024년 6월 12일", "normalized": None})
    assert loose("date", "2024-06-12", {"value": "June 12, 2024", "normalized": "2024-12-06"})
    assert exact("phone", "+82212345678", {"value": "02-1234-5678", "normalized": "+82212345678"})
    assert loose("phone", "+82212345678", {"value": "TEL 02-1234-5678", "normalized": None})
    assert exact("biz_number", "1234567890", {"value": "123-45-67890", "normalized": "1234567890"})
    assert exact("email", "sales@hanbit.co.kr", {"value": "Sales@Hanbit.co.kr", "normalized": "sales@hanbit.co.kr"})
    assert not exact("text", "x", None) and not loose("text", "abc", {"value": None, "confidence": 0.0})
    assert fold(" A-1/b ") == "a1b"


def test_scores_and_report_from_saved_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = {"id": "s1-000-invoice-ko", "split": "dev", "kind": "invoice", "lang": "ko", "fields": "total, 공급자",
           "expected": {"total": 110000.0, "공급자": "한빛상사"}, "concepts": {"total": "total", "공급자": "vendor"},
           "types": {"total": "amount", "공급자": "text"}, "printed": {}}  # fmt: skip
    fields = {"total": {"value": "110,000", "normalized": {"amount": 100000.0}, "confidence": 0.95, "valid": True},
              "공급자": {"value": "한빛상사", "normalized": "한빛상사", "confidence": 0.8, "valid": None}}  # fmt: skip
    scores = score_fields(doc, fields)
    assert [(s.exact, s.confidently_wrong, s.valid_wrong) for s in scores] == [
        (False, True, True),
        (True, False, False),
    ]
    saved = tmp_path / "run.json"
    row = {"case": doc, "status": 200, "seconds": 1.0, "error": None, "body": {"fields": fields}}
    saved.write_text(json.dumps({"meta": {"mode": "test", "commit": "abc"}, "docs": [row]}), encoding="utf-8")
    assert main(["--from-json", str(saved), "--splits", "dev", "--failures"]) == 0
    out = capsys.readouterr().out
    assert "| dev | 1 | 2 | 50.0 % | 100.0 % |" in out and "Confidently wrong" in out and "s1-000-invoice-ko" in out


def test_rebuild_turns_an_ocr_body_into_a_document() -> None:
    body = {"lang": "korean", "engine": {"name": "x"},
            "pages": [{"page": 1, "width": 100, "height": 50, "rotation": 0, "source": "ocr",
                       "lines": [{"text": "합계 1,000", "confidence": 0.9, "box": [[1, 2], [30, 2], [30, 12], [1, 12]]}],
                       "unread": []}]}  # fmt: skip
    doc = rebuild(body)
    assert doc.text == "합계 1,000" and doc.pages[0].lines[0].bbox == [1, 2, 30, 12]
