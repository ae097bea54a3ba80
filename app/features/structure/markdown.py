"""Structure results -> Markdown a person or an LLM can read directly.

- titles: ``#`` for the document's largest title(s), ``##`` for the others;
- text: one paragraph per block; lists: ``- item`` (``1. item`` when the source was numbered);
- tables: a GitHub pipe table when the table is a plain grid, HTML (``<table>`` with
  rowspan/colspan) when it has merged cells, so nothing is lost;
- figures: ``*[Figure]*`` plus any text read inside; formulas: ``$$ … $$`` around the text read;
- headers and footers are left out (running heads and page numbers are noise for a reader); they
  stay in the page's ``blocks``.
Pages of a document are joined with an HTML comment ``<!-- page N -->`` so positions can be traced.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

_LIST_MARK = re.compile(r"^\s*(?:[-*•·●○◦▪■□‣⁃–—]|\(?\d{1,3}[.)]|\(?[a-zA-Z][.)]|[가-하][.)]|[①-⑳])\s*")
_NUMBERED = re.compile(r"^\s*\(?(\d{1,3})[.)]\s*")
_MD_SPECIAL_START = re.compile(r"^(\s*)([#>+=]|[-*](?=\s)|\d+[.)](?=\s))")


@dataclass(slots=True)
class MdCell:
    row: int
    col: int
    rowspan: int
    colspan: int
    text: str


def is_list_item(text: str) -> bool:
    return bool(_LIST_MARK.match(text)) and len(_LIST_MARK.sub("", text, count=1).strip()) > 0


def strip_list_mark(text: str) -> str:
    return _LIST_MARK.sub("", text, count=1).strip()


def escape_text(text: str) -> str:
    """Keep OCR text from being read as Markdown syntax at the start of a paragraph."""
    text = text.replace("\r", "")
    return _MD_SPECIAL_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def _cell_md(text: str) -> str:
    return " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|")


def table_html(rows: int, cols: int, cells: Sequence[MdCell]) -> str:
    by_row: dict[int, list[MdCell]] = {}
    for c in cells:
        by_row.setdefault(c.row, []).append(c)
    parts = ["<table>"]
    for r in range(rows):
        parts.append("<tr>")
        for c in sorted(by_row.get(r, []), key=lambda x: x.col):
            attrs = ""
            if c.rowspan > 1:
                attrs += f' rowspan="{c.rowspan}"'
            if c.colspan > 1:
                attrs += f' colspan="{c.colspan}"'
            parts.append(f"<td{attrs}>{html.escape(' '.join(c.text.split()), quote=False)}</td>")
        parts.append("</tr>")
    parts.append("</table>")
    return "".join(parts)


def table_markdown(rows: int, cols: int, cells: Sequence[MdCell]) -> str:
    """A pipe table for a plain grid; the HTML table when any cell spans rows or columns."""
    if rows < 1 or cols < 1:
        return ""
    if any(c.rowspan > 1 or c.colspan > 1 for c in cells):
        return table_html(rows, cols, cells)
    grid = [["" for _ in range(cols)] for _ in range(rows)]
    for c in cells:
        if 0 <= c.row < rows and 0 <= c.col < cols:
            grid[c.row][c.col] = _cell_md(c.text)
    lines = ["| " + " | ".join(grid[0]) + " |", "| " + " | ".join("---" for _ in range(cols)) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in grid[1:]]
    return "\n".join(lines)


def list_markdown(lines: Sequence[str]) -> str:
    items: list[tuple[str, str]] = []  # (marker, text)
    for ln in lines:
        if is_list_item(ln) or not items:
            m = _NUMBERED.match(ln)
            marker = f"{m.group(1)}." if m else "-"
            items.append((marker, strip_list_mark(ln) if is_list_item(ln) else ln.strip()))
        else:  # a wrapped continuation of the previous item
            marker, text = items[-1]
            items[-1] = (marker, f"{text} {ln.strip()}")
    return "\n".join(f"{marker} {escape_text(text)}" for marker, text in items)


def paragraph(lines: Sequence[str]) -> str:
    """Lines of one block joined into a paragraph (a hyphen that broke an English word is undone)."""
    out = ""
    for ln in (x.strip() for x in lines):
        if not ln:
            continue
        if out.endswith("-") and len(out) > 1 and out[-2].isalpha() and ln[:1].islower():
            out = out[:-1] + ln
        else:
            out = f"{out} {ln}" if out else ln
    return out


# a block is wrapped prose (its lines joined into one paragraph) when most of its lines run to within
# WRAP_FILL of its width; otherwise (addresses, key-value lines, item rows) every line keeps its break
WRAP_FILL = 0.9
WRAP_SHARE = 0.6


def text_lines(lines: Sequence[str], widths: Sequence[float] | None = None, measure: float = 0.0) -> str:
    """A text block's lines: joined into a paragraph when they are wrapped prose (see WRAP_FILL; ``measure``:
    how wide a full line is in the block's column, else its widest line), else one Markdown line each with
    a hard break ("two spaces, newline"), so that a page's lines stay lines."""
    kept = [(t.strip(), w) for t, w in zip(lines, widths or [0.0] * len(lines), strict=True) if t.strip()]
    if widths is None or len(kept) < 2:
        return escape_text(paragraph(lines))
    widest = max(measure, *(w for _, w in kept)) or 1.0
    full = sum(1 for _, w in kept[:-1] if w >= WRAP_FILL * widest)  # the last line of a paragraph is short
    if full >= WRAP_SHARE * (len(kept) - 1):
        return escape_text(paragraph(lines))
    return "  \n".join(escape_text(t) for t, _ in kept)


def same_row(p: Sequence[float], q: Sequence[float], slope: float = 0.0) -> bool:
    """Whether two boxes share a row: their heights overlap by half, ``q`` moved along the page's slope (dy/dx
    of its rows on a slanted photo) to ``p``'s centre."""
    dy = slope * ((q[0] + q[2]) - (p[0] + p[2])) / 2
    overlap = min(p[3], q[3] - dy) - max(p[1], q[1] - dy)
    return overlap >= 0.5 * min(p[3] - p[1], q[3] - q[1])


def visual_rows(
    texts: Sequence[str], boxes: Sequence[Sequence[float]], slope: float = 0.0
) -> tuple[list[str], list[float]]:
    """A block's lines (in reading order: row by row, left to right) as the rows a reader sees: lines next to
    each other on one row (a label and its amount) are one Markdown line, separated by a space. Returns the
    rows' texts and widths: a one-piece row's width; a row of several pieces counts 0, since pieces apart
    are never a wrapped line of prose (text_lines keeps such rows as lines). On a slanted page (``slope``)
    rows are followed along the slope (same_row)."""
    rows: list[tuple[list[str], list[float]]] = []
    for text, box in zip(texts, boxes, strict=True):
        b = [float(v) for v in box]
        if rows:
            last = rows[-1][1]
            if b[0] >= last[2] - 2 and same_row(last, b, slope):
                rows[-1][0].append(text)
                rows[-1] = (rows[-1][0], [last[0], min(last[1], b[1]), b[2], max(last[3], b[3])])
                continue
        rows.append(([text], b))
    return [" ".join(t.strip() for t in ts) for ts, _ in rows], [r[2] - r[0] if len(ts) == 1 else 0.0 for ts, r in rows]


def join_pages(pages: Sequence[tuple[int, str]]) -> str:
    """(page number, page Markdown) pairs -> the document's Markdown."""
    if len(pages) == 1:
        return pages[0][1]
    return "\n\n".join(f"<!-- page {number} -->\n\n{md}".rstrip() for number, md in pages)


class _BlockLike(Protocol):
    type: str
    table: Any

    @property
    def text(self) -> str: ...

    @property
    def line_texts(self) -> list[str]: ...

    @property
    def line_height(self) -> float: ...


def block_markdown(block: _BlockLike, *, title_level: int = 2) -> str:
    kind = block.type
    if kind in ("header", "footer"):
        return ""
    if kind == "title":
        return f"{'#' * max(1, min(6, title_level))} {' '.join(block.text.split())}"
    if kind == "table" and block.table is not None:
        t = block.table
        return table_markdown(t.rows, t.cols, [MdCell(c.row, c.col, c.rowspan, c.colspan, c.text) for c in t.cells])
    if kind == "list":
        return list_markdown(block.line_texts or block.text.splitlines())
    if kind == "figure":
        inside = paragraph(block.line_texts)
        return f"*[Figure]* {escape_text(inside)}".rstrip() if inside else "*[Figure]*"
    if kind == "formula":
        inside = paragraph(block.line_texts)
        return f"$$ {inside} $$" if inside else ""
    boxes = [getattr(ln, "bbox", None) for ln in getattr(block, "lines", None) or []]
    if block.line_texts and boxes and all(b is not None and len(b) == 4 for b in boxes):
        texts, widths = visual_rows(block.line_texts, boxes, float(getattr(block, "slope", 0.0) or 0.0))  # type: ignore[arg-type]
        return text_lines(texts, widths, float(getattr(block, "measure", 0.0) or 0.0))
    return escape_text(paragraph(block.line_texts or block.text.splitlines()))


def page_markdown(blocks: Sequence[_BlockLike], *, top_title_height: float | None) -> str:
    """Blocks in reading order -> the page's Markdown. Titles at least 90% as tall as
    ``top_title_height`` (the document's tallest title) get ``#``, the others ``##``."""
    parts = []
    for b in blocks:
        level = 2
        if b.type == "title" and top_title_height and b.line_height >= 0.9 * top_title_height:
            level = 1
        md = block_markdown(b, title_level=level)
        if md:
            parts.append(md)
    return "\n\n".join(parts)
