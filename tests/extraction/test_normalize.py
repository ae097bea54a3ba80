"""Normalisers and validators on real-world Korean and English formats."""

from __future__ import annotations

import pytest

from app.features.extraction.amounts import find_amounts
from app.features.extraction.codes import biz_checksum_ok, find_biz_numbers, find_phones
from app.features.extraction.dates import find_dates
from app.features.extraction.normalize import normalize, values_match


def with_check_digit(nine: str) -> str:
    """Complete 9 digits into a valid business registration number (by trying the 10 check digits)."""
    valid = [nine + str(d) for d in range(10) if biz_checksum_ok(nine + str(d))]
    assert len(valid) == 1
    return valid[0]


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2025년 3월 4일", "2025-03-04"),
        ("2025년 03월 04일", "2025-03-04"),
        ("2025 년 03 월 04 일", "2025-03-04"),
        ("2025.03.04", "2025-03-04"),
        ("2025. 3. 4.", "2025-03-04"),
        ("2025-03-04", "2025-03-04"),
        ("2025/3/4", "2025-03-04"),
        ("2025-03-04 14:32:10", "2025-03-04"),
        ("25.03.04", "2025-03-04"),
        ("25-03-04", "2025-03-04"),
        ("Mar 4, 2025", "2025-03-04"),
        ("March 4, 2025", "2025-03-04"),
        ("March 4th, 2025", "2025-03-04"),
        ("Sept. 30, 2024", "2024-09-30"),
        ("4 March 2025", "2025-03-04"),
        ("04-Mar-2025", "2025-03-04"),
        ("4 Mar. 2025", "2025-03-04"),
        ("03/04/2025", "2025-03-04"),  # US month/day
        ("31/03/2025", "2025-03-31"),  # impossible as US: day/month
        ("04.03.2025", "2025-03-04"),  # European day.month
        ("03/04/25", "2025-03-04"),
        ("20250304", "2025-03-04"),
        ("발행일: 2024년 12월 31일(화)", "2024-12-31"),
        ("24/06/12 14:32", "2024-06-12"),  # a Korean receipt's yy/mm/dd (nearer today than 2012-06-24)
        ("12-Jun-24", "2024-06-12"),
        ("3rd of March, 2025", "2025-03-03"),
    ],
)
def test_dates_to_iso(raw: str, iso: str) -> None:
    assert normalize("date", raw) == (iso, True)


@pytest.mark.parametrize(
    "raw", ["2025년 2월 30일", "2025-13-01", "INV-2025-0042", "123-45-67890", "hello", "", "Room 12 Jun 24h"]
)
def test_non_dates(raw: str) -> None:
    assert normalize("date", raw) == (None, None)


def test_find_dates_positions() -> None:
    text = "기간 2025.01.01 ~ 2025.01.31"
    found = find_dates(text)
    assert [f.normalized for f in found] == ["2025-01-01", "2025-01-31"]
    assert text[found[1].start : found[1].end] == "2025.01.31"


@pytest.mark.parametrize(
    ("raw", "amount", "currency"),
    [
        ("125,000원", 125_000, "KRW"),
        ("125,000 원", 125_000, "KRW"),
        ("1,234,500원", 1_234_500, "KRW"),
        ("₩125,000", 125_000, "KRW"),
        ("₩ 125,000", 125_000, "KRW"),
        ("￦125,000", 125_000, "KRW"),  # full-width won sign
        ("KRW 125,000", 125_000, "KRW"),
        ("125,000 KRW", 125_000, "KRW"),
        ("금 일백만원", 1_000_000, "KRW"),
        ("일금 일십일만원정", 110_000, "KRW"),
        ("금 일백이십오만원정", 1_250_000, "KRW"),
        ("12만 5천원", 125_000, "KRW"),
        ("일억 이천만원", 120_000_000, "KRW"),
        ("$1,234.50", 1234.5, "USD"),
        ("USD 1,500.00", 1500.0, "USD"),
        ("US$ 99.99", 99.99, "USD"),
        ("1.234,50 €", 1234.5, "EUR"),
        ("€1,234.50", 1234.5, "EUR"),
        ("EUR 12,5", 12.5, "EUR"),
        ("¥3,000", 3000, "JPY"),
        ("£12.00", 12.0, "GBP"),
        ("-5,000원", -5000, "KRW"),
        ("₩1.234.567", 1_234_567, "KRW"),
    ],
)
def test_amounts(raw: str, amount: float, currency: str) -> None:
    norm, valid = normalize("amount", raw)
    assert valid is True
    assert norm == {"amount": float(amount), "currency": currency}


def test_amount_currency_hint_and_grouping() -> None:
    assert normalize("amount", "110,000", default_currency="KRW")[0] == {
        "amount": 110_000.0,
        "currency": "KRW",
    }
    assert normalize("amount", "1,200.00")[0] == {"amount": 1200.0, "currency": None}
    assert normalize("amount", "합계 없음") == (None, None)


def test_amount_finder_skips_percent_dates_and_words() -> None:
    found = find_amounts("부가가치세 10% 10,000원")
    assert [f.normalized["amount"] for f in found] == [10_000.0]
    assert find_amounts("2025.03.04") == []
    assert find_amounts("사원 명단") == []  # '사' is also the numeral 4
    glued = find_amounts("합계110,000원")
    assert glued[0].raw == "110,000원"


def test_weak_amounts_are_marked() -> None:
    found = find_amounts("수량 3 금액 45,000")
    assert [(f.normalized["amount"], f.strong) for f in found] == [(3.0, False), (45_000.0, True)]


def test_biz_checksum_known_numbers() -> None:
    # computed with the 1,3,7,1,3,7,1,3,5 weights
    for number in ("214-86-12341", "105-87-12345", "220-81-12341", "113-86-09878", "617-81-00016"):
        digits = number.replace("-", "")
        assert normalize("biz_number", number) == (digits, True)
    assert normalize("biz_number", "123-45-67890") == (
        "1234567890",
        False,
    )  # KOREAN_SAMPLE's: bad check digit
    assert normalize("biz_number", "214-86-12342") == ("2148612342", False)


@pytest.mark.parametrize("nine", ["101810000", "123456789", "999999999", "000000000", "617810001"])
def test_biz_check_digit_is_unique(nine: str) -> None:
    good = with_check_digit(nine)
    bad = [nine + str(d) for d in range(10) if nine + str(d) != good]
    assert all(not biz_checksum_ok(b) for b in bad)


def test_biz_formats() -> None:
    assert normalize("biz_number", "2148612341") == ("2148612341", True)
    assert normalize("biz_number", "214 86 12341") == ("2148612341", True)
    assert normalize("biz_number", "214-86-1234") == (None, None)
    strong = [f for f in find_biz_numbers("등록번호 214-86-12341 / 전화 0212345678") if f.strong]
    assert [f.normalized for f in strong] == ["2148612341"]


@pytest.mark.parametrize(
    ("raw", "e164", "valid"),
    [
        ("02-1234-5678", "+82212345678", True),
        ("(02) 1234-5678", "+82212345678", True),
        ("02)1234-5678", "+82212345678", True),
        ("010-1234-5678", "+821012345678", True),
        ("010.1234.5678", "+821012345678", True),
        ("01012345678", "+821012345678", True),
        ("+82 10 1234 5678", "+821012345678", True),
        ("+82-10-1234-5678", "+821012345678", True),
        ("+82 (0)10 1234 5678", "+821012345678", True),
        ("+82 2 1234 5678", "+82212345678", True),
        ("031-123-4567", "+82311234567", True),
        ("070-1234-5678", "+827012345678", True),
        ("1588-1234", "+8215881234", True),
        ("+1 (415) 555-0132", "+14155550132", True),
        ("(415) 555-0199", "+14155550199", True),
        ("TEL.02-555-1234", "+8225551234", True),
    ],
)
def test_phones(raw: str, e164: str, valid: bool) -> None:
    assert normalize("phone", raw) == (e164, valid)


def test_phone_finder_ignores_dates_and_biz_numbers() -> None:
    assert find_phones("사업자등록번호 123-45-67890 발행일 2025-03-04") == []
    assert [f.normalized for f in find_phones("담당자 김민수 전화 02-1234-5678")] == ["+82212345678"]


@pytest.mark.parametrize(
    ("raw", "email"),
    [
        ("billing@brightdata.example", "billing@brightdata.example"),
        ("Billing@BrightData.Example", "billing@brightdata.example"),
        ("E-mail: kim.minsu+tax@hanbit-soft.co.kr", "kim.minsu+tax@hanbit-soft.co.kr"),
        ("kim @ hanbit.co.kr", "kim@hanbit.co.kr"),
    ],
)
def test_emails(raw: str, email: str) -> None:
    assert normalize("email", raw) == (email, True)


def test_not_an_email() -> None:
    assert normalize("email", "kim at hanbit") == (None, None)


def test_ids_numbers_and_text() -> None:
    assert normalize("id", " #INV-2025-0042 ") == ("INV-2025-0042", None)
    assert normalize("number", "수량 1,200개") == (1200.0, True)
    assert normalize("text", "  주식회사   한빛소프트 : ") == ("주식회사 한빛소프트", None)
    assert normalize("date", None) == (None, None)


def test_values_match() -> None:
    assert values_match("amount", {"amount": 110000.0, "currency": "KRW"}, 110000)
    assert values_match("amount", {"amount": 110000.0, "currency": "KRW"}, "110,000원")
    assert not values_match("amount", {"amount": 110000.0, "currency": "KRW"}, {"amount": 110000, "currency": "USD"})
    assert values_match("date", "2025-03-04", "2025년 3월 4일")
    assert values_match("biz_number", "2148612341", "214-86-12341")
    assert values_match("text", "Bright Data Systems Ltd.", "bright data systems ltd")
    assert values_match("text", None, None)
    assert not values_match("text", None, "x")
