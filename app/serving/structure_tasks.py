"""Engine work of /structure, as batchable tasks for the worker threads (see app/serving/tasks.py).

- ``layout``: one upright page image -> typed regions (`engines.layout`), plus the ruled tables
  OpenCV finds on the page (`engines.table.find_tables`), so a table the layout model misses is
  still read. Pages of several requests are detected in one batch.
- ``table``: one table image + the boxes of its text lines -> the table's grid
  (`engines.table`). Tables of one page and of concurrent requests share a batch.

The lead registers these next to the OCR handlers: ``{**default_handlers(), **structure_handlers()}``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.engines.layout import LayoutRegion
from app.engines.table import Box, TableStructure
from app.observability import metrics


@dataclass(slots=True)
class LayoutJob:
    image: np.ndarray  # upright RGB page
    lines: list[Box] = field(default_factory=list)  # the page's text-line boxes (sizes the rule finder)
    find_tables: bool = True


@dataclass(slots=True)
class LayoutResult:
    regions: list[LayoutRegion]
    ruled_tables: list[Box]


@dataclass(slots=True)
class TableJob:
    image: np.ndarray  # the table's crop, RGB
    lines: list[Box]  # text-line boxes in crop coordinates


def _observe(stage: str, started: float) -> None:
    metrics.STAGE_SECONDS.labels(stage).observe(time.perf_counter() - started)


class LayoutHandler:
    def key(self, payload: LayoutJob) -> Any:
        return "layout"

    def size(self, payload: LayoutJob) -> int:
        return 1

    def run(self, engines: Any, payloads: Sequence[LayoutJob]) -> list[LayoutResult]:
        t = time.perf_counter()
        regions = engines.layout.detect([p.image for p in payloads])
        _observe("layout", t)
        out = []
        for p, regs in zip(payloads, regions, strict=True):
            grids: list[Box] = []
            if p.find_tables and engines.table is not None:
                grids = list(engines.table.find_tables(p.image, p.lines))
            out.append(LayoutResult(list(regs), grids))
        return out


class TableHandler:
    def key(self, payload: TableJob) -> Any:
        return "table"

    def size(self, payload: TableJob) -> int:
        return 1

    def run(self, engines: Any, payloads: Sequence[TableJob]) -> list[TableStructure]:
        t = time.perf_counter()
        out: list[TableStructure] = engines.table.recognize([p.image for p in payloads], [p.lines for p in payloads])
        _observe("table", t)
        return out


def structure_handlers() -> dict[str, Any]:
    return {"layout": LayoutHandler(), "table": TableHandler()}
