"""Response model of POST /extraction: it documents the contract in OpenAPI (/docs) and checks what the
route returns."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ExtractedField(BaseModel):
    value: str | None = Field(description="The text as printed (null: not found)")
    normalized: Any = Field(
        None, description="By type: ISO date, {value, currency} for amounts, E.164 phone, digits of a business number"
    )
    type: str = Field(description="text, date, amount, biz_number, phone, email, number or id")
    confidence: float = Field(description="0 when not found")
    page: int | None = Field(None, description="1-based page of the value")
    bbox: list[float] | None = Field(None, description="[x0, y0, x1, y1] of the value on its page")
    valid: bool | None = Field(None, description="Whether the value passes its type's check (null: no check)")
    source: Literal["rules", "llm", "llm+rules"] | None = None
    concept: str | None = Field(
        None,
        description="The field concept the name was understood as (total, document_date, …); null: the name's own words",
    )
    label: str | None = Field(
        None,
        description="A human label of the field in the response's Content-Language (Accept-Language: ko or en; "
        "without it Korean when `lang` is Korean): the template's or concept's label, else the name made readable",
    )
    reason: str | None = Field(
        None, description="Present when valid is false: why the value looks wrong (check digit, sum, digit groups, …)"
    )


class LineItem(BaseModel):
    description: str = Field(description="The item's name as printed")
    quantity: float | None = Field(None, description="The count, when the table has a quantity column")
    unit_price: dict[str, Any] | None = Field(None, description="{amount, currency}, like an amount field's normalized")
    amount: dict[str, Any] | None = Field(None, description="The line's amount {amount, currency}")
    tax: dict[str, Any] | None = Field(None, description="The line's tax {amount, currency}, when a column has it")
    cells: dict[str, str] = Field(description="The row's cells by the table's headings, as printed")
    page: int = Field(description="1-based page")
    bbox: list[float] = Field(description="[x0, y0, x1, y1] of the row on its page")


class ExtractionResponse(BaseModel):
    request_id: str | None
    lang: str
    method: Literal["rules", "llm"]
    template: str | None = Field(None, description="The template used, null for the caller's own fields")
    fields: dict[str, ExtractedField] = Field(description="Keyed by the requested names, in the request's order")
    fallback: str | None = Field(
        None, description="Present when the LLM was configured but its answer was not used (llm_timeout, llm_error, …)"
    )
    line_items: list[LineItem] | None = Field(
        None,
        description="invoice and receipt templates: the rows of the document's item table (tables without rules; "
        "totals rows left out), in page order",
    )
    text: str
    timings_ms: dict[str, float]
