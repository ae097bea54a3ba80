"""Table-method comparison behind the choices in docs/structure.md (run by hand, not by pytest):

    python -m tests.structure.measure

Renders the accuracy tables ruled and borderless (Korean and English cell text), reads each with the
real OCR engines, and scores every table-structure method alone: rows x cols exact, and cell-text
accuracy (a cell is right when its grid position holds the true text, whitespace aside). Also scores
rapid-table's own pipeline (SLANet + its OCR-to-cell matcher fed with the same OCR lines).
"""

from __future__ import annotations

import asyncio
import html.parser
import time
from typing import Any

import numpy as np

from app.documents.stream import PixelBudget
from app.documents.types import Limits
from app.engines.models import TABLE_MODEL
from app.engines.table import HybridTableRecognizer
from app.features.ocr.pipeline import OcrOptions
from app.features.structure.pipeline import structure_bytes
from app.serving.structure_tasks import structure_handlers
from tests.conftest import make_settings
from tests.render import to_bytes
from tests.structure import docs

LIMITS = Limits(max_bytes=50_000_000, max_pixels=40_000_000, max_pages=10)


class _Grid(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[tuple[str, int, int]]] = []
        self._cell: list[str] | None = None
        self._span = (1, 1)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag == "td":
            a = dict(attrs)
            self._span = (int(a.get("rowspan") or 1), int(a.get("colspan") or 1))
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self.rows:
            self.rows[-1].append(("".join(self._cell), *self._span))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_grid(text: str) -> tuple[list[list[str]], set[tuple[int, int, int, int]]]:
    """(rows x cols texts, spanning cells as (row, col, rowspan, colspan)) of an HTML table."""
    p = _Grid()
    p.feed(text)
    taken: set[tuple[int, int]] = set()
    cells: dict[tuple[int, int], str] = {}
    spans: set[tuple[int, int, int, int]] = set()
    for r, row in enumerate(p.rows):
        c = 0
        for t, rs, cs in row:
            while (r, c) in taken:
                c += 1
            cells[(r, c)] = t
            if rs > 1 or cs > 1:
                spans.add((r, c, rs, cs))
            for i in range(r, r + rs):
                for j in range(c, c + cs):
                    taken.add((i, j))
            c += cs
    n_rows = max((k[0] for k in taken), default=-1) + 1
    n_cols = max((k[1] for k in taken), default=-1) + 1
    return [[cells.get((r, c), "") for c in range(n_cols)] for r in range(n_rows)], spans


def truth_spans(truth: docs.TableTruth) -> set[tuple[int, int, int, int]]:
    return {(c.row, c.col, c.rowspan, c.colspan) for c in truth.cells if c.rowspan > 1 or c.colspan > 1}


def score(
    grid: list[list[str]] | None, spans: set[tuple[int, int, int, int]], truth: docs.TableTruth
) -> tuple[bool, int, int]:
    """(structure exact: rows, columns and merged cells, cells right, cells)."""
    grid_ok = grid is not None and len(grid) == truth.rows and all(len(r) == truth.cols for r in grid)
    right = 0
    for c in truth.cells:
        if grid_ok and grid is not None and "".join(grid[c.row][c.col].split()) == "".join(c.text.split()):
            right += 1
    return grid_ok and spans == truth_spans(truth), right, len(truth.cells)


class Direct:
    """A Submitter that runs tasks in this thread on one engine set, caching OCR work so every method
    sees the same lines; times the table-structure calls alone."""

    def __init__(self, engines: Any, table: Any) -> None:
        from app.serving.tasks import default_handlers

        self.engines = engines
        self.table = table
        self.handlers = {**default_handlers(), **structure_handlers()}
        self.cache: dict[tuple[str, str], Any] = {}
        self.table_ms = 0.0

    @staticmethod
    def _key(kind: str, payload: Any) -> tuple[str, str]:
        import hashlib

        h = hashlib.sha1()
        for arr in [payload.image] if kind in ("detect", "layout") else list(payload.crops):
            h.update(np.ascontiguousarray(arr).tobytes())
            h.update(str(arr.shape).encode())
        h.update(str(getattr(payload, "lang", "")).encode())
        return kind, h.hexdigest()

    async def submit(self, kind: str, payload: Any, deadline: float | None = None) -> Any:
        if kind == "table":
            t = time.perf_counter()
            out = self.table.recognize([payload.image], [payload.lines])[0]
            self.table_ms += (time.perf_counter() - t) * 1000
            return out
        key = self._key(kind, payload)
        if key not in self.cache:
            self.cache[key] = self.handlers[kind].run(self.engines, [payload])[0]
        return self.cache[key]


async def run_method(direct: Direct, methods: tuple[str, ...], cases: list[tuple[str, docs.Page]]) -> dict[str, Any]:
    model = make_settings().models_dir / TABLE_MODEL
    direct.table = HybridTableRecognizer(slanet_model=model, methods=methods)
    direct.engines.table = direct.table
    direct.table_ms = 0.0
    out: dict[str, Any] = {"shape": 0, "right": 0, "cells": 0, "lines": [], "misses": []}
    for lang, page in cases:
        res = await structure_bytes(
            to_bytes(page.img),
            OcrOptions(lang, detect_orientation=False),
            direct,
            limits=LIMITS,
            budget=PixelBudget.for_request(make_settings()),
            pages=None,
            engine_info={},
        )
        tables = [b.table for b in res.pages[0].blocks if b.table is not None]
        grid = tables[0].grid() if tables else None
        spans = (
            {(c.row, c.col, c.rowspan, c.colspan) for c in tables[0].cells if c.rowspan > 1 or c.colspan > 1}
            if tables
            else set()
        )
        shape, right, n = score(grid, spans, page.truth.tables[0])
        out["shape"] += int(shape)
        out["right"] += right
        out["cells"] += n
        out["lines"].append(res.pages[0].result.lines)
        if right < n:
            out["misses"].append((page.truth.blocks[0], right, n))
    out["table_ms"] = direct.table_ms
    return out


def rapid_table_own(cases: list[tuple[str, docs.Page]], page_lines: list[Any], model: Any) -> dict[str, Any]:
    """rapid-table end to end (SLANet + its own matcher) on the truth's table crop, fed our OCR lines."""
    from rapid_table import ModelType, RapidTable, RapidTableInput

    rt = RapidTable(RapidTableInput(model_type=ModelType.PPSTRUCTURE_EN, model_dir_or_path=str(model), use_ocr=True))
    out = {"shape": 0, "right": 0, "cells": 0, "table_ms": 0.0}
    for (_, page), lines in zip(cases, page_lines, strict=True):
        truth = page.truth.tables[0]
        x0, y0, x1, y1 = (truth.bbox[0] - 6, truth.bbox[1] - 6, truth.bbox[2] + 6, truth.bbox[3] + 6)
        img = np.asarray(page.img)[y0:y1, x0:x1][:, :, ::-1].copy()
        inside = [
            ln
            for ln in lines
            if x0 <= (ln.bbox[0] + ln.bbox[2]) / 2 <= x1 and y0 <= (ln.bbox[1] + ln.bbox[3]) / 2 <= y1
        ]
        polys = np.array([[[p[0] - x0, p[1] - y0] for p in ln.box] for ln in inside], dtype=np.float32)
        t = time.perf_counter()
        res = rt(img, ocr_results=[(polys, tuple(ln.text for ln in inside), tuple(ln.confidence for ln in inside))])
        out["table_ms"] += (time.perf_counter() - t) * 1000
        shape, right, n = score(*html_grid(res.pred_htmls[0] or ""), truth)
        out["shape"] += int(shape)
        out["right"] += right
        out["cells"] += n
    return out


async def main() -> None:
    from app.engines.registry import build_engines

    settings = make_settings()
    model = settings.models_dir / TABLE_MODEL
    direct = Direct(build_engines(settings), None)  # the full set: layout and table engines included
    rows = []
    import sys

    kinds = sys.argv[1:] or ["ruled", "borderless"]
    for kind, ruled in (("ruled", True), ("borderless", False)):
        if kind not in kinds:
            continue
        cases = docs.accuracy_tables(ruled=ruled) + docs.hard_tables(ruled=ruled)
        lines = None
        for methods in (("ruled",), ("slanet",), ("alignment",), ("ruled", "slanet", "alignment")):
            r = await run_method(direct, methods, cases)
            lines = r["lines"]
            rows.append((kind, "+".join(methods), len(cases), r))
        assert lines is not None
        rows.append((kind, "rapid-table own matcher", len(cases), rapid_table_own(cases, lines, model)))
    print("| tables | method | structure exact (rows, cols, spans) | cell-text accuracy | structure ms/table |")
    print("|---|---|---|---|---|")
    for kind, name, n, r in rows:
        acc = r["right"] / max(1, r["cells"])
        print(
            f"| {kind} | {name} | {r['shape']}/{n} | {r['right']}/{r['cells']} = {acc:.1%} | {r['table_ms'] / n:.0f} |"
        )
    for kind, name, _, r in rows:
        if r.get("misses"):
            print(kind, name, r["misses"])
    timing(model)


def timing(model: Any, repeats: int = 5) -> None:
    """Median time of each structure method alone on the ruled and borderless table crops."""
    import statistics

    from app.engines.table import SlanetStructure, ruled_grid

    slanet = SlanetStructure(model)
    print("| tables | ruled grid (OpenCV) ms | SLANet ms (one framing) |")
    print("|---|---|---|")
    for kind, ruled in (("ruled", True), ("borderless", False)):
        per: dict[str, list[float]] = {"ruled": [], "slanet": []}
        for _, page in docs.accuracy_tables(ruled=ruled) + docs.hard_tables(ruled=ruled):
            t = page.truth.tables[0].bbox
            crop = np.ascontiguousarray(np.asarray(page.img)[t[1] - 6 : t[3] + 6, t[0] - 6 : t[2] + 6])
            for name, fn in (("ruled", lambda: ruled_grid(crop)), ("slanet", lambda: slanet(crop))):
                runs = []
                for _ in range(repeats):
                    t0 = time.perf_counter()
                    fn()
                    runs.append((time.perf_counter() - t0) * 1000)
                per[name].append(statistics.median(runs))
        print(f"| {kind} | {statistics.median(per['ruled']):.0f} | {statistics.median(per['slanet']):.0f} |")


if __name__ == "__main__":
    asyncio.run(main())
