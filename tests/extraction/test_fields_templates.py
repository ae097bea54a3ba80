"""The `fields` form value, built-in templates, and user templates from EXTRACTION_TEMPLATES_DIR."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.errors import AppError, ErrorCode
from app.features.extraction import available_templates, extract, resolve_fields
from app.features.extraction.fields import FieldRequest, guess_type, parse_fields, specs_for_requests
from app.features.extraction.templates import (
    BUILTIN_DIR,
    TemplateError,
    load_template_file,
    load_templates,
    parse_template,
)
from app.features.extraction.values import FIELD_TYPES
from tests.extraction.conftest import extraction_settings
from tests.extraction.samples import blocks_document

# ------------------------------------------------------------------------------------------ fields


def test_comma_list() -> None:
    assert [r.name for r in parse_fields("vendor_name, total_amount ,합계,  issue date")] == [
        "vendor_name",
        "total_amount",
        "합계",
        "issue date",
    ]


def test_json_array_and_object() -> None:
    assert parse_fields('["a", "b"]') == [FieldRequest("a"), FieldRequest("b")]
    got = parse_fields('{"po_number": "Purchase order number (PO No.)", "memo": null}')
    assert got == [FieldRequest("po_number", "Purchase order number (PO No.)"), FieldRequest("memo")]
    obj = parse_fields(json.dumps({"점검일": {"description": "점검 일자", "type": "date", "synonyms": ["점검일자"]}}))
    assert obj == [FieldRequest("점검일", "점검 일자", "date", ("점검일자",))]
    assert parse_fields('[{"name": "x", "description": "y"}]') == [FieldRequest("x", "y")]


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ('{"a": ', "not valid JSON"),
        ("[1, 2]", "must be strings"),
        ('"just a string"', None),  # not starting with [ or {: a single comma-list name with quotes
        ('{"a": 3}', "description string"),
        ('{"a": {"type": "colour"}}', "not one of"),
        ('{"a": {"bogus": 1}}', "unknown keys"),
        ("", "no field names"),
        (" , , ", "no field names"),
        ("a, a", "given twice"),
        ("a;drop table", "characters other than"),
        (",".join(f"f{i}" for i in range(51)), "at most 50"),
        ("x" * 65, "longer than"),
    ],
)
def test_bad_fields_are_invalid_parameter(raw: str, needle: str | None) -> None:
    if needle is None:
        with pytest.raises(AppError):
            parse_fields(raw)
        return
    with pytest.raises(AppError) as info:
        parse_fields(raw)
    assert info.value.code is ErrorCode.INVALID_PARAMETER
    assert info.value.status == 422
    assert needle in info.value.message
    assert info.value.message.startswith("fields:")


def test_guess_type() -> None:
    assert guess_type("contact_email") == "email"
    assert guess_type("supplier_business_number") == "biz_number"
    assert guess_type("delivery_date") == "date"
    assert guess_type("배송일자") == "date"
    assert guess_type("shipping_fee") == "amount"
    assert guess_type("po_number") == "id"
    assert guess_type("remarks", "free text") == "text"
    assert guess_type("x", "the customer's mobile phone") == "phone"


def test_known_field_names_inherit_template_specs() -> None:
    templates = load_templates()
    (total, custom) = specs_for_requests(
        [FieldRequest("total_amount"), FieldRequest("po_number", "Purchase order number (PO No.)")], templates
    )
    assert total.type == "amount" and "합계" in total.synonyms and total.prefer == "last"
    assert custom.type == "id"
    assert {"po_number", "po number", "PO No."} <= set(custom.synonyms)


# --------------------------------------------------------------------------------------- templates


def test_builtin_templates_load_and_validate() -> None:
    ts = load_templates()
    assert {"invoice", "receipt", "business_registration"} <= set(ts.names())
    assert ts.errors == []
    for name in ("invoice", "receipt", "business_registration"):
        t = ts.get(name)
        assert t is not None and t.fields and t.description
        for f in t.fields:
            assert f.type in FIELD_TYPES
            assert f.synonyms or f.patterns, f"{name}.{f.name} has no way to be found"
    assert {f.name for f in ts.get("invoice").fields} >= {  # type: ignore[union-attr]
        "vendor_name",
        "business_number",
        "issue_date",
        "total_amount",
    }
    for p in BUILTIN_DIR.glob("*.yaml"):
        assert load_template_file(p).name == p.stem


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ([], "must be a mapping"),
        ({"fields": []}, "non-empty list"),
        ({"fields": [{"type": "date"}]}, "'name'"),
        ({"fields": [{"name": "a", "type": "colour"}]}, "type 'colour'"),
        ({"fields": [{"name": "a", "prefer": "middle"}]}, "prefer"),
        ({"fields": [{"name": "a", "patterns": ["("]}]}, "bad regex"),
        ({"fields": [{"name": "a", "synonyms": [1, 2]}]}, "list of strings"),
        ({"fields": [{"name": "a", "colour": "red"}]}, "unknown keys"),
        ({"fields": [{"name": "a"}, {"name": "a"}]}, "duplicate"),
        ({"name": "bad name!", "fields": [{"name": "a"}]}, "must be letters"),
        ({"fields": [{"name": "a", "scan": "yes"}]}, "true or false"),
    ],
)
def test_template_validation_errors(data: object, needle: str) -> None:
    with pytest.raises(TemplateError) as info:
        parse_template(data, default_name="t")
    assert needle in str(info.value)


USER_TEMPLATE = """
name: purchase_order
description: 발주서
fields:
  - name: po_number
    type: id
    synonyms: [발주번호, PO No, PO number]
  - name: order_date
    type: date
    synonyms: [발주일, 발주일자, Order date]
  - name: supplier
    synonyms: [공급업체, Supplier]
  - name: order_total
    type: amount
    synonyms: [발주금액, 합계, Total]
    prefer: last
"""


def test_user_template_dir(templates_dir: Path) -> None:
    (templates_dir / "purchase_order.yaml").write_text(USER_TEMPLATE, encoding="utf-8")
    (templates_dir / "broken.yaml").write_text("fields: [", encoding="utf-8")
    (templates_dir / "notes.txt").write_text("ignored", encoding="utf-8")
    settings = extraction_settings(extraction_templates_dir=templates_dir)
    assert "purchase_order" in available_templates(settings)
    assert "broken" not in available_templates(settings)
    assert any("broken.yaml" in e for e in load_templates(templates_dir).errors)

    doc = blocks_document(
        [
            ("발 주 서", 520, 60),
            ("발주번호", 80, 160),
            ("PO-2025-0117", 300, 160),
            ("발주일자", 80, 210),
            ("2025-05-20", 300, 210),
            ("공급업체", 80, 260),
            ("(주)하늘부품", 300, 260),
            ("합계", 700, 500),
            ("4,400,000원", 900, 500),
        ]
    )
    out = extract(doc, fields=None, template="purchase_order", settings=settings)
    assert out["template"] == "purchase_order"
    got = {k: v["normalized"] for k, v in out["fields"].items()}
    assert got == {
        "po_number": "PO-2025-0117",
        "order_date": "2025-05-20",
        "supplier": "(주)하늘부품",
        "order_total": {"amount": 4_400_000.0, "currency": "KRW"},
    }


def test_user_template_json_overrides_builtin_and_reloads(templates_dir: Path) -> None:
    settings = extraction_settings(extraction_templates_dir=templates_dir)
    assert next(f.name for f in resolve_fields(fields=None, template="receipt", settings=settings)[1]) == (
        "merchant_name"
    )
    spec = {"name": "receipt", "fields": [{"name": "total", "type": "amount", "synonyms": ["합계"]}]}
    (templates_dir / "my_receipt.json").write_text(json.dumps(spec), encoding="utf-8")
    name, specs, _ = resolve_fields(fields=None, template="receipt", settings=settings)
    assert name == "receipt" and [s.name for s in specs] == ["total"]


def test_templates_dir_from_environment(monkeypatch: pytest.MonkeyPatch, templates_dir: Path) -> None:
    (templates_dir / "purchase_order.yml").write_text(USER_TEMPLATE, encoding="utf-8")
    monkeypatch.setenv("EXTRACTION_TEMPLATES_DIR", str(templates_dir))
    assert "purchase_order" in available_templates(extraction_settings())


def test_exactly_one_of_fields_or_template(settings: object) -> None:
    doc = blocks_document([("합계 1,000원", 80, 80)])
    for kwargs, needle in (
        ({"fields": None, "template": None}, "either 'fields'"),
        ({"fields": "", "template": "  "}, "either 'fields'"),
        ({"fields": "total_amount", "template": "invoice"}, "not both"),
    ):
        with pytest.raises(AppError) as info:
            extract(doc, settings=settings, **kwargs)  # type: ignore[arg-type]
        assert info.value.code is ErrorCode.INVALID_PARAMETER
        assert needle in info.value.message


def test_unknown_template_lists_available(settings: object) -> None:
    doc = blocks_document([("합계 1,000원", 80, 80)])
    with pytest.raises(AppError) as info:
        extract(doc, fields=None, template="passport", settings=settings)  # type: ignore[arg-type]
    assert info.value.code is ErrorCode.INVALID_PARAMETER
    assert "passport" in info.value.message
    for name in ("invoice", "receipt", "business_registration"):
        assert name in info.value.message
    assert info.value.details == {"available_templates": sorted(info.value.details["available_templates"])}  # type: ignore[index]
