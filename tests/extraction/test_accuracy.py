"""Exact-field accuracy of the rules on rendered Korean and English invoices, receipts and a certificate.

The documents vary the layout: key and value on one line, value right of its key in a grid, value
below its key (stacked forms, table headers), amounts in a right-aligned column, and labels shared
by supplier and buyer. The figure is the one reported in docs/extraction.md and docs/accuracy.md.
"""

from __future__ import annotations

from app.core.config import Settings
from app.features.extraction import exact_field_accuracy
from tests.extraction.samples import (
    ACCURACY_SAMPLES,
    HELD_OUT_SAMPLES,
    KO_STATEMENT,
    blocks_document,
    sample_document,
)

MIN_ACCURACY = 0.90


def test_rules_accuracy_on_rendered_documents(settings: Settings) -> None:
    samples = ACCURACY_SAMPLES + HELD_OUT_SAMPLES
    assert len(samples) >= 6
    assert {s.lang for s in samples} == {"korean", "en"}
    assert {s.template for s in samples} >= {"invoice", "receipt"}
    report = exact_field_accuracy(
        [(sample_document(s), s.expected, s.template) for s in samples],
        settings=settings,
        labels=[s.name for s in samples],
    )
    print("\n" + report.to_markdown())
    assert report.total >= 80
    assert report.accuracy >= MIN_ACCURACY, report.failures
    for name, (ok, n) in report.per_field.items():
        assert n == 0 or ok / n >= 0.5, (name, report.failures)


def test_accuracy_counts_misses_and_custom_fields(settings: Settings) -> None:
    doc = sample_document(KO_STATEMENT)
    expected = {"total_amount": 110_000, "issue_date": "2025-03-05", "invoice_number": None}
    report = exact_field_accuracy([(doc, expected)], settings=settings)  # no template: custom fields
    assert (report.correct, report.total) == (2, 3)
    assert report.per_field["issue_date"] == [0, 1]
    (miss,) = report.failures
    assert miss["field"] == "issue_date" and miss["got"] == "2025-03-04"
    assert "| **all** | **2** | **3** |" in report.to_markdown()


def test_tesseract_style_noise(settings: Settings) -> None:
    """What Tesseract's Korean model really produced on these pages: spaced syllables, W for ₩,
    the time glued to the date."""
    doc = blocks_document(
        [
            ("주식회사 한 빛 소 프트 거 래 명세서", 80, 80),
            ("사 업 자 등 록 번호 123-45-67890", 80, 140),
            ("발행일", 80, 200),
            ("2025 년 3 월 4 일", 80, 245),
            ("거 래 일 시 : 2025-02-1114:32", 80, 320),
            ("총 청 구 금액", 900, 400),
            ("W3,520,000", 900, 445),
            ("마 포 세 무 서 장", 500, 900),
        ]
    )
    out = exact_field_accuracy(
        [
            (
                doc,
                {
                    "vendor_name": "주식회사 한빛소프트",
                    "business_number": "1234567890",
                    "issue_date": "2025-03-04",
                    "total_amount": {"amount": 3_520_000, "currency": "KRW"},
                },
                "invoice",
            ),
            (doc, {"transaction_date": "2025-02-11"}, "receipt"),
            (doc, {"tax_office": "마포세무서장"}, "business_registration"),
        ],
        settings=settings,
    )
    assert out.accuracy == 1.0, out.failures
