"""The `label` of each extracted field, over real HTTP: the template's or concept's label in the language
the caller prefers (Accept-Language), Korean by default for a Korean document, the caller's own names
made readable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.features.extraction.concepts import load_concepts
from app.features.extraction.labels import readable
from app.features.extraction.templates import BUILTIN_DIR, TemplateError, load_template_file, parse_template
from app.main import create_app
from tests.conftest import TEST_KEY, ThreadServer, make_settings
from tests.fakes import SlowFakeEngines
from tests.render import render_lines, to_bytes

KEY = {"x-api-key": TEST_KEY}


@pytest.fixture(scope="module")
def png() -> bytes:
    img, _ = render_lines(["합계 110,000원"], font_name="nanum", width=300, height=120, margin=10)
    return to_bytes(img)


@pytest.fixture(scope="module")
def templates_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("templates")
    (d / "purchase_order.json").write_text(
        json.dumps(
            {
                "fields": [
                    {"name": "po_number", "type": "id", "label": {"ko": "발주 번호", "en": "Purchase order number"}},
                    {"name": "delivery_site", "label": "Site"},
                    {"name": "remarks"},
                ]
            }
        )
    )
    return d


@pytest.fixture(scope="module")
def srv(templates_dir: Path) -> Iterator[ThreadServer]:
    settings = make_settings(extraction_templates_dir=str(templates_dir))
    with ThreadServer(create_app(settings, engine_factory=lambda: SlowFakeEngines())) as server:
        yield server


def _extract(srv: ThreadServer, png: bytes, headers: dict[str, str], **form: str) -> httpx.Response:
    r = httpx.post(
        srv.url + "/extraction",
        headers={**KEY, **headers},
        data=form,
        files={"file": ("a.png", png, "image/png")},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    assert "accept-language" in r.headers["vary"].lower()
    return r


def _labels(r: httpx.Response) -> dict[str, str]:
    return {name: f["label"] for name, f in r.json()["fields"].items()}


def test_template_labels_follow_accept_language(srv: ThreadServer, png: bytes) -> None:
    ko = _extract(srv, png, {"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.8"}, template="invoice", lang="en")
    en = _extract(srv, png, {"Accept-Language": "en-US,en;q=0.9,ko;q=0.5"}, template="invoice", lang="korean")
    assert ko.headers["content-language"] == "ko" and en.headers["content-language"] == "en"
    assert list(_labels(ko)) == list(_labels(en)) == list(ko.json()["fields"])  # same keys, same order
    assert _labels(ko)["total_amount"] == "합계 금액" and _labels(en)["total_amount"] == "Total amount"
    assert _labels(ko)["business_number"] == "사업자등록번호"
    assert _labels(en)["business_number"] == "Business registration number"
    assert _labels(ko)["buyer_name"] == "공급받는자 상호" and _labels(en)["buyer_name"] == "Buyer name"
    # everything else in the body is the same whatever the label language
    strip = [{k: v for k, v in f.items() if k != "label"} for f in ko.json()["fields"].values()]
    assert strip == [{k: v for k, v in f.items() if k != "label"} for f in en.json()["fields"].values()]


def test_without_accept_language_a_korean_document_gets_korean_labels(srv: ThreadServer, png: bytes) -> None:
    ko = _extract(srv, png, {}, template="receipt", lang="korean")
    en = _extract(srv, png, {}, template="receipt", lang="en")
    assert ko.headers["content-language"] == "ko" and en.headers["content-language"] == "en"
    assert _labels(ko)["approval_number"] == "승인 번호" and _labels(en)["approval_number"] == "Approval number"
    # a preference for neither language falls back the same way
    fr = _extract(srv, png, {"Accept-Language": "fr-FR"}, template="receipt", lang="korean")
    assert _labels(fr) == _labels(ko)


def test_callers_names_by_concept_or_made_readable(srv: ThreadServer, png: bytes) -> None:
    fields = "amountDue,supplier_business_number,buyer_phone,delivery_window_hours,배송메모"
    ko = _labels(_extract(srv, png, {"Accept-Language": "ko"}, fields=fields))
    en = _labels(_extract(srv, png, {"Accept-Language": "en"}, fields=fields))
    assert ko == {
        "amountDue": "합계 금액",
        "supplier_business_number": "사업자등록번호",
        "buyer_phone": "공급받는자 전화번호",
        "delivery_window_hours": "Delivery window hours",
        "배송메모": "배송메모",
    }
    assert en == {
        "amountDue": "Total amount",
        "supplier_business_number": "Business registration number",
        "buyer_phone": "Buyer phone number",
        "delivery_window_hours": "Delivery window hours",
        "배송메모": "배송메모",
    }


def test_a_user_templates_own_labels(srv: ThreadServer, png: bytes) -> None:
    ko = _labels(_extract(srv, png, {"Accept-Language": "ko"}, template="purchase_order"))
    en = _labels(_extract(srv, png, {"Accept-Language": "en"}, template="purchase_order"))
    assert ko == {"po_number": "발주 번호", "delivery_site": "Site", "remarks": "Remarks"}
    assert en == {"po_number": "Purchase order number", "delivery_site": "Site", "remarks": "Remarks"}


def test_every_builtin_field_and_concept_has_both_labels() -> None:
    for path in sorted(BUILTIN_DIR.glob("*.yaml")):
        for spec in load_template_file(path).fields:
            labels = dict(spec.label)
            assert set(labels) == {"ko", "en"}, (path.name, spec.name)
            assert any("가" <= c <= "힣" for c in labels["ko"]), (path.name, spec.name)
            assert labels["en"].isascii() and labels["en"][0].isupper(), (path.name, spec.name)
    for concept in load_concepts():
        assert set(dict(concept.label)) == {"ko", "en"}, concept.name


@pytest.mark.parametrize(
    ("label", "needle"),
    [
        (["Total"], "label must be a string or a mapping"),
        ({"ja": "合計"}, "unknown languages ['ja']"),
        ({"ko": ""}, "label.ko must be a non-empty string"),
    ],
)
def test_malformed_labels_name_the_file_and_field(label: object, needle: str) -> None:
    data = {"fields": [{"name": "total", "label": label}]}
    with pytest.raises(TemplateError, match=r"orders\.yaml") as info:
        parse_template(data, default_name="orders", source="orders.yaml")
    assert needle in str(info.value) and "(total)" in str(info.value)


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("supplier_tax_id", "Supplier tax id"),
        ("amountDue", "Amount due"),
        ("PO_number", "PO number"),
        ("invoice-ref no", "Invoice-ref no"),
        ("합계금액", "합계금액"),
    ],
)
def test_readable_names(name: str, label: str) -> None:
    assert readable(name) == label
