"""The caller's own field names, plausibility checks and totals arithmetic, as a caller sees them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.core.config import Settings
from app.features.extraction import extract
from app.features.extraction.checks import amount_problem, date_problem, id_problem
from app.features.extraction.concepts import ConceptIndex, name_words
from app.features.extraction.templates import load_templates
from app.features.ocr.types import DocumentResult
from tests.extraction.samples import blocks_document, krw


def fields_of(out: dict[str, Any]) -> dict[str, Any]:
    return out["fields"]


@pytest.mark.parametrize(
    ("name", "concept"),
    [
        ("date", "document_date"),
        ("issuedAt", "document_date"),
        ("작성일자", "document_date"),
        ("Date", "document_date"),
        ("business_registration_number", "business_number"),
        ("biz_reg_no", "business_number"),
        ("brn", "business_number"),
        ("사업자등록번호", "business_number"),
        ("customer_name", "buyer"),
        ("buyer", "buyer"),
        ("receipt_number", "document_number"),
        ("invoiceNo", "document_number"),
        ("Invoice #", "document_number"),
        ("tax", "tax"),
        ("vat_amount", "tax"),
        ("total_amount", "total"),
        ("amountDue", "total"),
        ("합계금액", "total"),
        ("결제금액", "total"),
        ("vendor_name", "vendor"),
        ("seller", "vendor"),
        ("supplier_phone", "phone"),
        ("대표자명", "representative"),
        ("approvalNo", "approval_number"),
    ],
)
def test_a_callers_name_means_its_concept(name: str, concept: str) -> None:
    found = ConceptIndex(load_templates()).match(name)
    assert found is not None and found.name == concept


def test_names_that_mean_no_concept_stay_the_callers_own() -> None:
    index = ConceptIndex(load_templates())
    assert index.match("po_number") is None
    assert index.match("favourite_colour") is None
    # a description names what the caller means: 담당자 is a person, not the phone the word "contact" labels
    assert index.match("contact", "담당자") is None
    assert index.match("when", "Invoice date") is not None


def test_name_words() -> None:
    assert name_words("invoiceNo") == ["invoice", "no"]
    assert name_words("VATAmount") == ["vat", "amount"]
    assert name_words("business_registration-number") == ["business", "registration", "number"]
    assert name_words("합계 금액") == ["합계", "금액"]


def test_the_issues_own_request_on_a_korean_statement(ko_doc: DocumentResult, settings: Settings) -> None:
    """Names the templates do not use find the values the template finds, and come back under the caller's names."""
    names = "date,business_registration_number,vendor,tax,total,supplierPhone"
    out = extract(ko_doc, fields=names, template=None, settings=settings)
    f = fields_of(out)
    assert list(f) == names.split(",")
    # each answer says what its name was understood as
    assert [f[n]["concept"] for n in f] == ["document_date", "business_number", "vendor", "tax", "total", "phone"]
    assert f["date"]["normalized"] == "2025-03-04"
    assert f["business_registration_number"]["normalized"] == "1234567890"
    assert f["vendor"]["value"] == "주식회사 한빛소프트"
    assert f["tax"]["normalized"] == krw(10_000)
    assert f["total"]["normalized"] == krw(110_000)
    assert f["supplierPhone"]["normalized"] == "+82212345678"


def test_english_invoice_with_camel_case_names(en_doc: DocumentResult, settings: Settings) -> None:
    out = extract(en_doc, fields='["invoiceNo", "issueDate", "amountDue", "Seller"]', template=None, settings=settings)
    template = extract(en_doc, fields=None, template="invoice", settings=settings)["fields"]
    f = fields_of(out)
    assert f["invoiceNo"]["normalized"] == template["invoice_number"]["normalized"] is not None
    assert f["issueDate"]["normalized"] == template["issue_date"]["normalized"] is not None
    assert f["amountDue"]["normalized"] == template["total_amount"]["normalized"] is not None
    assert f["Seller"]["value"] == template["vendor_name"]["value"] is not None


# ------------------------------------------------------------------------------------ the checks


def test_amount_digit_groups() -> None:
    assert amount_problem("1,023,000원") is None
    assert amount_problem("$1,234.50") is None
    assert amount_problem("1.234,50 €") is None
    assert amount_problem("12,5") is None  # a decimal comma
    assert "malformed" in (amount_problem("11023,000원") or "")
    assert "malformed" in (amount_problem("1,02,300") or "")


def test_dates_far_from_today() -> None:
    today = dt.date(2026, 12, 1)
    assert date_problem("2026-11-30", "document_date", today) is None
    assert "future" in (date_problem("2062-11-30", "document_date", today) or "")
    assert "before" in (date_problem("1926-11-30", "document_date", today) or "")
    assert date_problem("1926-11-30", None, today) is None  # a birth date may be old
    assert date_problem("2028-06-30", "due_date", today) is None


def test_codes_with_a_letter_among_digits() -> None:
    assert id_problem("INV-2024-0012") is None
    assert id_problem("TS-20240612-0045") is None
    assert "inside a run of digits" in (id_problem("INV-2O24-0012") or "")
    assert id_problem("A1B2C3") is None


def test_a_misread_amount_is_flagged_not_trusted(settings: Settings) -> None:
    doc = blocks_document([("합계금액", 80, 300), ("11023,000원", 500, 300)])
    f = fields_of(extract(doc, fields="total", template=None, settings=settings))["total"]
    assert f["value"] == "11023,000원"
    assert f["valid"] is False and f["confidence"] <= 0.5 and "malformed" in f["reason"]


def test_a_check_digit_failure_says_why(ko_doc: DocumentResult, settings: Settings) -> None:
    f = fields_of(extract(ko_doc, fields="사업자등록번호", template=None, settings=settings))["사업자등록번호"]
    assert f["valid"] is False and "check digit" in f["reason"] and f["confidence"] <= 0.5


def test_valid_fields_carry_no_reason(ko_doc: DocumentResult, settings: Settings) -> None:
    f = fields_of(extract(ko_doc, fields="total,date", template=None, settings=settings))
    assert "reason" not in f["total"] and "reason" not in f["date"]


# -------------------------------------------------------------------------------- totals arithmetic


def test_a_total_without_its_label_is_found_by_the_sum(settings: Settings) -> None:
    doc = blocks_document(
        [
            ("공급가액", 80, 300),
            ("250,000", 500, 300),
            ("부가세", 80, 360),
            ("25,000", 500, 360),
            ("275,000원", 500, 460),
        ]
    )
    f = fields_of(extract(doc, fields="total_amount", template=None, settings=settings))["total_amount"]
    assert f["normalized"] == krw(275_000) and f["valid"] is True
    assert 0 < f["confidence"] < 0.9 and f["bbox"] is not None


def test_a_total_from_amounts_alone(settings: Settings) -> None:
    """No label at all: the largest a + b = c with b a plausible tax on a."""
    doc = blocks_document(
        [
            ("Widget", 80, 200),
            ("$40.00", 700, 200),
            ("Gadget", 80, 260),
            ("$60.00", 700, 260),
            ("$100.00", 700, 340),
            ("$8.25", 700, 400),
            ("$108.25", 700, 460),
        ]
    )
    f = fields_of(extract(doc, fields="total,subtotal,tax", template=None, settings=settings))
    assert f["total"]["normalized"]["amount"] == 108.25
    assert f["subtotal"]["normalized"]["amount"] == 100.0
    assert f["tax"]["normalized"]["amount"] == 8.25


def test_totals_that_add_up_are_confirmed(settings: Settings) -> None:
    doc = blocks_document([("소계 100,000원", 80, 300), ("부가세 10,000원", 80, 360), ("합계 110,000원", 80, 420)])
    f = fields_of(extract(doc, fields="subtotal,tax,total", template=None, settings=settings))
    assert [f[k]["normalized"]["amount"] for k in ("subtotal", "tax", "total")] == [100_000, 10_000, 110_000]
    assert all(f[k]["valid"] is True and f[k]["confidence"] >= 0.9 for k in f)


def test_totals_that_do_not_add_up_are_flagged(settings: Settings) -> None:
    doc = blocks_document([("소계 100,000원", 80, 300), ("부가세 10,000원", 80, 360), ("합계 180,000원", 80, 420)])
    f = fields_of(extract(doc, fields="total", template=None, settings=settings))["total"]
    assert f["normalized"] == krw(180_000)
    assert f["valid"] is False and f["confidence"] <= 0.5 and "110,000" in f["reason"]


def test_a_wrong_total_is_replaced_by_the_printed_sum(settings: Settings) -> None:
    """The label's value (a misread 170,000) loses to the printed amount that makes the sum hold."""
    doc = blocks_document(
        [
            ("소계 100,000원", 80, 300),
            ("부가세 10,000원", 80, 360),
            ("합계 170,000원", 80, 420),
            ("입금 계좌 110-222-333444", 80, 480),
            ("110,000원", 600, 540),
        ]
    )
    f = fields_of(extract(doc, fields="grand_total", template=None, settings=settings))["grand_total"]
    assert f["normalized"] == krw(110_000) and f["valid"] is True


# ------------------------------------------------------------------------ the two blocks of a tax invoice

TAX_INVOICE_BLOCKS = [
    ("세금계산서", 420, 60),
    ("(공급받는자 보관용)", 430, 110),
    ("등록번호", 80, 200), ("123-45-67891", 240, 200), ("등록번호", 660, 200), ("220-81-62517", 820, 200),
    ("상호", 80, 260), ("한빛상사", 240, 260), ("상호", 660, 260), ("다온물산", 820, 260),
    ("성명", 80, 320), ("김하늘", 240, 320), ("성명", 660, 320), ("이서준", 820, 320),
    ("업태", 80, 380), ("도소매", 240, 380), ("업태", 660, 380), ("서비스", 820, 380),
    ("이메일", 80, 440), ("contact@hanbit.example", 240, 440), ("이메일", 660, 440), ("info@daon.example", 820, 440),
]  # fmt: skip


def test_a_tax_invoices_supplier_is_left_and_its_buyer_right(settings: Settings) -> None:
    doc = blocks_document(TAX_INVOICE_BLOCKS, size=24)
    names = "registration_number,vendor,성명,업태,email,buyer,buyer_representative,공급받는자 등록번호,customer_email"
    f = fields_of(extract(doc, fields=names, template=None, settings=settings))
    assert f["registration_number"]["normalized"] == "1234567891"
    assert f["vendor"]["value"] == "한빛상사"  # not the copy mark under the title
    assert f["성명"]["value"] == "김하늘" and f["업태"]["value"] == "도소매"
    assert f["email"]["normalized"] == "contact@hanbit.example"  # "contact@" is not the label Contact
    assert f["buyer"]["value"] == "다온물산"
    assert f["buyer_representative"]["value"] == "이서준"
    assert f["공급받는자 등록번호"]["normalized"] == "2208162517"
    assert f["customer_email"]["normalized"] == "info@daon.example"


def test_a_buyer_field_without_a_twin_is_not_guessed(settings: Settings) -> None:
    """One block only: nothing says its 성명 is the buyer's."""
    doc = blocks_document([("상호", 80, 200), ("한빛상사", 240, 200), ("성명", 80, 260), ("김하늘", 240, 260)])
    f = fields_of(extract(doc, fields="buyer_representative,성명", template=None, settings=settings))
    assert f["buyer_representative"]["value"] is None
    assert f["성명"]["value"] == "김하늘"


def test_masked_card_numbers_come_back_whole(settings: Settings) -> None:
    doc = blocks_document([("Card: XXXX XXXX XXXX 4965", 80, 200), ("카드번호 5365-78**-****-8662", 80, 260)])
    f = fields_of(extract(doc, fields="card_number", template=None, settings=settings))
    assert f["card_number"]["value"] == "XXXX XXXX XXXX 4965"


# ------------------------------------------------------------------------------- sums that repair


def test_the_summary_box_wins_over_the_item_tables_header(settings: Settings) -> None:
    """공급가액 / 세액 are also column headers of the items: the values that add up to the total win."""
    doc = blocks_document(
        [
            ("품목", 80, 200),
            ("공급가액", 600, 200),
            ("세액", 860, 200),
            ("복사용지", 80, 250),
            ("63,000", 600, 250),
            ("6,300", 860, 250),
            ("외장 SSD", 80, 300),
            ("1,640,000", 600, 300),
            ("164,000", 860, 300),
            ("공급가액", 500, 420),
            ("1,703,000", 760, 420),
            ("세액", 500, 480),
            ("170,300", 760, 480),
            ("합계금액", 500, 540),
            ("1,873,300원", 760, 540),
        ]
    )
    f = fields_of(extract(doc, fields="supplyAmount,vat,total", template=None, settings=settings))
    assert [f[k]["normalized"]["amount"] for k in ("supplyAmount", "vat", "total")] == [1_703_000, 170_300, 1_873_300]
    assert all(f[k]["valid"] is True for k in f)


def test_a_won_sign_read_as_a_leading_one_is_undone(settings: Settings) -> None:
    """``\\3,610,000`` OCR'd as ``13,610,000`` in two places still adds up; 10 % VAT says which is right."""
    doc = blocks_document([("공급가액 13,610,000", 80, 300), ("부가세 361,000", 80, 360), ("합계 13,971,000", 80, 420)])
    f = fields_of(extract(doc, fields="subtotal,tax,total", template=None, settings=settings))
    assert f["subtotal"]["normalized"] == krw(3_610_000) and f["total"]["normalized"] == krw(3_971_000)
    assert f["tax"]["normalized"] == krw(361_000)


def test_a_sum_that_holds_with_an_odd_vat_is_not_confirmed(settings: Settings) -> None:
    doc = blocks_document([("공급가액 200,000원", 80, 300), ("부가세 7,000원", 80, 360), ("합계 207,000원", 80, 420)])
    f = fields_of(extract(doc, fields="subtotal,tax,total", template=None, settings=settings))
    assert f["total"]["normalized"] == krw(207_000)
    assert all(f[k]["confidence"] < 0.9 for k in f)


def test_an_address_that_wraps_onto_the_next_line(settings: Settings) -> None:
    doc = blocks_document(
        [
            ("주소", 80, 300),
            ("경기도 수원시 영통구 광교로 342,", 240, 300),
            ("에이스타워 8층", 240, 345),
            ("전화", 80, 400),
            ("031-123-4567", 240, 400),
        ]
    )
    f = fields_of(extract(doc, fields="address,phone", template=None, settings=settings))
    assert f["address"]["value"] == "경기도 수원시 영통구 광교로 342 에이스타워 8층"
    assert f["phone"]["normalized"] == "+82311234567"


def test_an_address_does_not_swallow_the_next_label(settings: Settings) -> None:
    doc = blocks_document([("주소: 서울특별시 중구 세종대로 110", 80, 300), ("전화: 02-120-0000", 80, 345)])
    f = fields_of(extract(doc, fields="address", template=None, settings=settings))
    assert f["address"]["value"] == "서울특별시 중구 세종대로 110"


# --------------------------------------------------------------------- what real receipts taught


def test_a_receipts_own_date_is_the_one_with_a_time(settings: Settings) -> None:
    doc = blocks_document(
        [
            ("종로서적", 80, 100),
            ("정부정책으로 2012년 7월 1일부터", 80, 160),
            ("영수증 미지참시 교환 불가", 80, 200),
            ("2020-10-30 15:59:27", 80, 260),
            ("합계 16,000원", 80, 320),
        ]
    )
    f = fields_of(extract(doc, fields="date", template=None, settings=settings))["date"]
    assert f["normalized"] == "2020-10-30" and f["confidence"] < 0.9


def test_a_list_of_labels_in_a_notice_is_not_a_value(settings: Settings) -> None:
    doc = blocks_document(
        [("가맹점명, 가맹점주소가 실제와 다른 경우 신고안내", 80, 100), ("가맹점명: 가족약국", 80, 160)]
    )
    assert fields_of(extract(doc, fields="vendor", template=None, settings=settings))["vendor"]["value"] == "가족약국"


def test_a_logo_read_as_symbols_is_not_the_shop(settings: Settings) -> None:
    doc = blocks_document([("H●)TTROICKS", 80, 60), ("교보문고", 80, 120), ("사업자번호:102-81-11670", 80, 180)])
    assert fields_of(extract(doc, fields="vendor", template=None, settings=settings))["vendor"]["value"] == "교보문고"


def test_a_name_glued_to_its_business_number(settings: Settings) -> None:
    doc = blocks_document([("[매장명] 이안식당/295-08-02470", 80, 100), ("[TEL] 02-499-7333", 80, 160)])
    f = fields_of(extract(doc, fields="vendor,business_number", template=None, settings=settings))
    assert f["vendor"]["value"] == "이안식당"
    assert f["business_number"]["normalized"] == "2950802470"


def test_the_supplier_side_wins_over_a_valid_buyer_number(settings: Settings) -> None:
    """The supplier's number fails its check digit: it is still the supplier's, flagged, not the buyer's."""
    doc = blocks_document(
        [("등록번호", 80, 200), ("123-45-67890", 240, 200), ("등록번호", 660, 200), ("220-81-62517", 820, 200)]
    )
    f = fields_of(extract(doc, fields="business_number", template=None, settings=settings))["business_number"]
    assert f["normalized"] == "1234567890" and f["valid"] is False and f["confidence"] <= 0.5


# ----------------------------------------------------------------------------------- template=auto


@pytest.mark.parametrize(
    ("sample", "template"),
    [
        ("KO_STATEMENT", "invoice"),
        ("KO_TAX_INVOICE", "invoice"),
        ("EN_INVOICE_TABLE", "invoice"),
        ("KO_QUOTE", "invoice"),
        ("KO_RECEIPT", "receipt"),
        ("EN_RECEIPT", "receipt"),
        ("KO_CARD_SLIP", "receipt"),
        ("KO_BUSINESS_REGISTRATION", "business_registration"),
    ],
)
def test_template_auto_chooses_by_what_the_document_is(sample: str, template: str, settings: Settings) -> None:
    from tests.extraction import samples

    doc = samples.sample_document(getattr(samples, sample))
    out = extract(doc, fields=None, template="auto", settings=settings)
    assert out["template"] == template
    chosen = extract(doc, fields=None, template=template, settings=settings)
    assert out["fields"] == chosen["fields"]  # the same answer as naming the template


def test_template_auto_is_checked_before_any_ocr(settings: Settings) -> None:
    from app.features.extraction import resolve_fields

    name, specs, _ = resolve_fields(fields=None, template="auto", settings=settings)
    assert name == "auto" and specs == []
