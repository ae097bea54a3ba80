"""Exact-field accuracy of extraction over documents whose values are known.

Used by the tests on rendered documents (layout geometry from the renderer) and reusable on real OCR
output: ``exact_field_accuracy([(doc, {"total_amount": 110000, ...}, "invoice"), ...], settings=s)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.features.extraction.normalize import values_match
from app.features.ocr.types import DocumentResult

if TYPE_CHECKING:
    from app.core.config import Settings
    from app.features.extraction.llm.base import LlmBackend

# (document, expected values) or (document, expected values, template name)
Case = tuple[DocumentResult, Mapping[str, Any]] | tuple[DocumentResult, Mapping[str, Any], str | None]


@dataclass
class AccuracyReport:
    total: int = 0
    correct: int = 0
    per_field: dict[str, list[int]] = field(default_factory=dict)  # name -> [correct, total]
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def to_markdown(self) -> str:
        rows = ["| field | correct | total | accuracy |", "|---|---:|---:|---:|"]
        for name, (ok, n) in sorted(self.per_field.items()):
            rows.append(f"| {name} | {ok} | {n} | {ok / n:.0%} |")
        rows.append(f"| **all** | **{self.correct}** | **{self.total}** | **{self.accuracy:.1%}** |")
        return "\n".join(rows)


def exact_field_accuracy(
    cases: Iterable[Case],
    *,
    settings: Settings,
    template: str | None = None,
    llm: LlmBackend | None = None,
    labels: Sequence[str] | None = None,
) -> AccuracyReport:
    """Run extraction on each document and count fields whose normalised value equals the expected one.

    ``expected`` maps field names to normalised values (ISO date string, digits, a number or
    ``{"amount", "currency"}`` for amounts, text) or to printed strings, which are normalised with the
    field's type first; ``None`` expects "not found". The template is the case's own, else ``template``,
    else the expected names are asked for as custom fields. Only expected names are scored.
    """
    from app.features.extraction import extract  # the package imports this module

    report = AccuracyReport()
    for i, case in enumerate(cases):
        doc, expected = case[0], case[1]
        tpl = (case[2] if len(case) == 3 else None) or template
        fields_arg = None if tpl else ",".join(expected)
        result = extract(doc, fields=fields_arg, template=tpl, settings=settings, llm=llm)
        for name, want in expected.items():
            got = result["fields"].get(name)
            stats = report.per_field.setdefault(name, [0, 0])
            stats[1] += 1
            report.total += 1
            ok = got is not None and values_match(got["type"], got["normalized"], want)
            if ok:
                stats[0] += 1
                report.correct += 1
            else:
                report.failures.append(
                    {
                        "case": labels[i] if labels and i < len(labels) else i,
                        "field": name,
                        "expected": want,
                        "got": None if got is None else got["normalized"],
                        "value": None if got is None else got["value"],
                    }
                )
    return report
