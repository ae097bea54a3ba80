"""The structure pipeline's results: cells, tables, blocks, pages, the document (``to_dict`` is the HTTP
shape, see app/features/structure/schemas.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median
from typing import Any

from app.features.ocr.types import DocumentResult, Line, PageResult, result_body
from app.features.structure import markdown as md

# --------------------------------------------------------------------------------------------------
# results


@dataclass(slots=True)
class CellResult:
    row: int
    col: int
    rowspan: int
    colspan: int
    text: str
    bbox: list[float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "col": self.col,
            "rowspan": self.rowspan,
            "colspan": self.colspan,
            "text": self.text,
            "bbox": [round(float(v), 1) for v in self.bbox],
        }


@dataclass(slots=True)
class TableResult:
    rows: int
    cols: int
    method: str
    cells: list[CellResult]

    @property
    def html(self) -> str:
        return md.table_html(self.rows, self.cols, self._md_cells())

    @property
    def markdown(self) -> str:
        return md.table_markdown(self.rows, self.cols, self._md_cells())

    def _md_cells(self) -> list[md.MdCell]:
        return [md.MdCell(c.row, c.col, c.rowspan, c.colspan, c.text) for c in self.cells]

    def grid(self) -> list[list[str]]:
        """rows x cols texts; a spanning cell's text at its top-left position."""
        out = [["" for _ in range(self.cols)] for _ in range(self.rows)]
        for c in self.cells:
            if 0 <= c.row < self.rows and 0 <= c.col < self.cols:
                out[c.row][c.col] = c.text
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "cols": self.cols,
            "method": self.method,
            "html": self.html,
            "cells": [c.to_dict() for c in self.cells],
        }


@dataclass(slots=True)
class Block:
    type: str
    label: str  # the layout model's label, or how the block was found (lines, ruled_table, ...)
    bbox: list[float]
    score: float
    lines: list[Line] = field(default_factory=list)
    table: TableResult | None = None
    size: float = 0.0  # median glyph (ink) height of the block's lines, px: the font size, roughly
    measure: float = 0.0  # the width a full line of text has in this block's column (wrapped prose fills it)
    slope: float = 0.0  # how the page's rows climb (dy/dx) on a slanted photo (skew.page_slope)

    @property
    def line_texts(self) -> list[str]:
        return [ln.text for ln in self.lines]

    @property
    def line_height(self) -> float:
        if self.size > 0:
            return self.size
        hs = [ln.bbox[3] - ln.bbox[1] for ln in self.lines]
        return float(median(hs)) if hs else 0.0

    @property
    def text(self) -> str:
        if self.table is not None:
            return "\n".join("\t".join(row) for row in self.table.grid())
        return "\n".join(self.line_texts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "label": self.label,
            "bbox": [round(float(v), 1) for v in self.bbox],
            "score": round(float(self.score), 4),
            "text": self.text,
            "table": self.table.to_dict() if self.table is not None else None,
        }


@dataclass(slots=True)
class StructurePage:
    result: PageResult
    blocks: list[Block]
    markdown: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = self.result.to_dict()
        out["blocks"] = [b.to_dict() for b in self.blocks]
        out["markdown"] = self.markdown
        return out


@dataclass(slots=True)
class StructureResult:
    document: DocumentResult
    pages: list[StructurePage]
    markdown: str
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def lang(self) -> str:
        return self.document.lang

    @property
    def engine(self) -> dict[str, Any]:
        return self.document.engine

    @property
    def text(self) -> str:
        return "\n\n".join(p.result.text for p in self.pages)

    def to_dict(self, request_id: str | None = None) -> dict[str, Any]:
        """The POST /structure response body (also what an async job stores as its result)."""
        pages = [p.to_dict() for p in self.pages]
        extra = self.document.extras()
        return result_body(request_id, self.lang, self.engine, pages, self.timings_ms, markdown=self.markdown, **extra)
