"""Response models of POST /structure (OpenAPI): the /ocr body plus blocks, tables and Markdown."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.features.ocr.schemas import EngineModel, OcrPageModel

BlockType = Literal["title", "text", "table", "figure", "list", "header", "footer", "formula"]


class TableCellModel(BaseModel):
    row: int = Field(description="0-based row of the cell's top-left grid position")
    col: int = Field(description="0-based column of the cell's top-left grid position")
    rowspan: int = 1
    colspan: int = 1
    text: str
    bbox: list[float] = Field(description="[x0, y0, x1, y1] of the cell, page pixels")


class TableModel(BaseModel):
    rows: int
    cols: int
    method: str = Field(
        description="How the grid was found: `ruled` (table rules), `slanet` (SLANet model), "
        "`alignment` (text positions)"
    )
    html: str = Field(description="`<table>` with rowspan/colspan")
    cells: list[TableCellModel] = Field(description="Row-major; a merged cell appears once, at its top-left position")


class BlockModel(BaseModel):
    type: BlockType
    label: str = Field(description="The layout model's own class (or `lines`, `ruled_table`, ... when found otherwise)")
    bbox: list[float] = Field(description="[x0, y0, x1, y1], page pixels")
    score: float
    text: str = Field(description="The block's text; for a table, rows joined by newlines and cells by tabs")
    table: TableModel | None = None


class StructurePageModel(OcrPageModel):
    blocks: list[BlockModel] = Field(description="In reading order: headers, body (columns kept together), footers")
    markdown: str = Field(description="The page as Markdown (tables as pipe tables, or HTML when cells are merged)")


class StructureResponse(BaseModel):
    request_id: str | None
    lang: str
    engine: EngineModel
    text: str
    pages: list[StructurePageModel]
    markdown: str = Field(description="The whole document as Markdown; pages separated by `<!-- page N -->`")
    page_images_omitted: int | None = Field(
        None, description="Only with `page_images=true`: how many pages have `image: null`"
    )
    timings_ms: dict[str, float]
