"""Tables without ruling lines, found on the page by the alignment of their words.

Statements, invoices and receipts print item tables as aligned columns: text left-aligned, amounts
right-aligned, nothing drawn between them. The layout model often calls such a table text or a figure,
and the lines of text grouping cut it into column-wide blocks. This pass runs over the page's lines
before blocks are formed:

1. Lines are grouped into rows and each line's words are placed on the ink (words.py).
2. A header row is either three or more column headings from the vocabulary (text_tables.HEADINGS), or
   three or more short word groups without numbers separated by wide gaps (headings in no vocabulary).
   Each heading's extent is a column.
3. The rows under it are the table's as long as they follow closely, carry a number, and put words in
   two or more columns: each word goes to the column band its centre falls in (bands meet halfway
   between neighbouring headings).
4. Kept only when it looks printed as columns: neighbouring cells of a row are apart (more than a
   space), and in each column the cells share a left edge, a right edge or a centre (within a line
   height). Rows that merely flow after a header (single-spaced values, one line per row) fail this and
   are left to text_tables.py, which reads them from the right.

``table.method`` is ``text_alignment``; the words' positions give each cell its own box.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.features.ocr.types import Line
from app.features.ocr.words import Word, line_words
from app.features.structure.blocks import box_union, median_height, row_groups
from app.features.structure.text_tables import HEADINGS, MIN_COLUMNS, MIN_ROWS, heading_key, headings, is_number
from app.features.structure.types import CellResult, TableResult

METHOD = "text_alignment"
CHUNK_GAP = 0.9  # words closer than this many line heights belong to one heading or cell
ROW_GAP = 2.5  # the most blank space between two rows of one table, in line heights
ALIGN_TOLERANCE = 1.0  # cells of a column agree on an edge within this many line heights
FIT_TOLERANCE = 0.5  # a new row's cell is on its column's edge within this many line heights
MIN_ALIGNED = 0.8  # share of the body cells that must sit in aligned columns
MAX_HEADING_WORDS = 3
COLUMN_GAP = 0.6  # neighbouring cells of a row are at least this many line heights apart
NAME_GAP = 0.3  # ... a name and the amount after it at least a space
FAR = (
    1.5  # a line starting this many line heights beyond the last column (or ending before the first) is not the table's
)


@dataclass(slots=True)
class FoundTable:
    lines: list[int]  # indices of the page lines the table holds
    bbox: list[float]
    table: TableResult


@dataclass(slots=True)
class _Span:
    text: str
    x0: float
    x1: float


def _chunks(words: Sequence[Word], h: float) -> list[_Span]:
    out: list[_Span] = []
    for w in words:
        if out and w.x0 - out[-1].x1 < CHUNK_GAP * h:
            out[-1] = _Span(f"{out[-1].text} {w.text}", out[-1].x0, max(out[-1].x1, w.x1))
        else:
            out.append(_Span(w.text, w.x0, w.x1))
    return out


def header_columns(words: Sequence[Word], h: float) -> list[_Span] | None:
    """The columns a header row names, or None when the row is not a header."""
    known = _vocabulary_header(words)
    if known is not None:
        return known
    chunks = _spaced_apart([part for c in _chunks(words, h) for part in _known_apart(c, words)])
    if len(chunks) < MIN_COLUMNS:
        return None
    if any(is_number(t) for c in chunks for t in c.text.split()):
        return None
    if any(len(c.text.split()) > MAX_HEADING_WORDS for c in chunks):
        return None
    return chunks


SEPARATORS = {"|", "I", "l", "!", "¦", ":"}  # a printed column rule as the reader renders it
_EDGE = "|!¦:[]()"


def _vocabulary_header(words: Sequence[Word]) -> list[_Span] | None:
    """The columns of a header row made of vocabulary headings only (as printed, or letter-spaced and read
    with marks), else None."""
    heads = headings(" ".join(w.text for w in words))
    if heads is None:
        return _vocabulary_columns(words)
    cols, k = [], 0
    for head in heads:
        n = len(head.split())
        part = words[k : k + n]
        cols.append(_Span(head, part[0].x0, part[-1].x1))
        k += n
    return cols


def _vocabulary_columns(words: Sequence[Word]) -> list[_Span] | None:
    """A header row of vocabulary headings as a worn or small receipt prints and the reader renders it: its
    syllables spaced (``도 서 명``, ``금  액``), a rule between two read as ``I`` or ``|``, a mark glued to a
    heading (``!수량``). None unless every word is part of a heading or a rule."""
    out: list[_Span] = []
    k = 0
    while k < len(words):
        if words[k].text in SEPARATORS:
            k += 1
            continue
        for n in (3, 2, 1):
            part = words[k : k + n]
            if len(part) < n or (n > 1 and any(len(w.text) > 2 for w in part)):
                continue
            text = "".join(w.text for w in part).strip(_EDGE)
            if heading_key(text) in HEADINGS:
                out.append(_Span(text, part[0].x0, part[-1].x1))
                k += n
                break
        else:
            return None
    return out if len(out) >= MIN_COLUMNS else None


def _spaced_apart(chunks: list[_Span]) -> list[_Span]:
    """Headings as receipts letter-space them: ``금  액`` read as two groups is one heading when the two make
    one of the vocabulary; a lone rule between headings (``도서명 | 판매가``, read ``I``) is no column."""
    out: list[_Span] = []
    for c in chunks:
        if c.text in SEPARATORS:
            continue
        if out and heading_key(out[-1].text + c.text) in HEADINGS and len(heading_key(out[-1].text)) <= 2:
            out[-1] = _Span(f"{out[-1].text} {c.text}", out[-1].x0, c.x1)
            continue
        out.append(c)
    return out


def _known_apart(chunk: _Span, words: Sequence[Word]) -> list[_Span]:
    """A group of words that are each a heading of the vocabulary (``단가 수량`` printed close) as one column
    per heading."""
    parts = chunk.text.split()
    if len(parts) < 2 or any(heading_key(p) not in HEADINGS for p in parts):
        return [chunk]
    inside = [w for w in words if w.x0 >= chunk.x0 and w.x1 <= chunk.x1]
    return [_Span(w.text, w.x0, w.x1) for w in inside] if len(inside) == len(parts) else [chunk]


def _bands(cols: Sequence[_Span]) -> list[float]:
    """The x where each column's band ends (the last one is open)."""
    return [(a.x1 + b.x0) / 2 for a, b in itertools.pairwise(cols)]


def assign(words: Sequence[Word], cols: Sequence[_Span], h: float) -> list[list[Word]] | None:
    """The row's words per column, or None when a word lies far outside the table. Words closer than a
    column gap go together (a description's words stay in one cell) to the column whose heading they
    overlap most; a group under several headings, or under none, is placed word by word by the bands."""
    if any(w.x1 < cols[0].x0 - 3 * h or w.x0 > cols[-1].x1 + 3 * h for w in words):
        return None
    bands = _bands(cols)
    out: list[list[Word]] = [[] for _ in cols]
    group: list[Word] = []
    for w in [*words, None]:
        if w is not None and (not group or w.x0 - group[-1].x1 < COLUMN_GAP * h):
            group.append(w)
            continue
        over = [max(0.0, min(group[-1].x1, c.x1) - max(group[0].x0, c.x0)) for c in cols]
        if sum(1 for v in over if v > 0) == 1:
            out[over.index(max(over))].extend(group)
        else:
            for g in group:
                out[next((j for j, end in enumerate(bands) if g.center < end), len(cols) - 1)].append(g)
        group = [w] if w is not None else []
    return out


def _aligned_share(body: Sequence[Sequence[Sequence[Word]]], h: float) -> float:
    total = aligned = 0
    for j in range(len(body[0])):
        cells = [c for row in body if (c := row[j])]
        total += len(cells)
        if len(cells) < 2 or min(_spreads(cells)) <= ALIGN_TOLERANCE * h:
            aligned += len(cells)
    return aligned / total if total else 0.0


def _apart(cells: Sequence[Sequence[Word]], h: float) -> bool:
    """Whether a row's filled cells leave room between them: table columns do, while a sentence or a row
    that flows (single spaces between the values) changes column at a space. A long item name may run up to
    its price (``골뱅이 비빔면 12,000``): a word followed by an amount needs only a space."""
    filled = [c for c in cells if c]
    return all(
        b[0].x0 - a[-1].x1 >= (NAME_GAP if _amount(b) and not _amount(a) else COLUMN_GAP) * h
        for a, b in itertools.pairwise(filled)
    )


def _amount(cell: Sequence[Word]) -> bool:
    return len(cell) == 1 and is_number(cell[0].text) and any(ch in cell[0].text for ch in ",.")


def _edges(cell: Sequence[Word]) -> tuple[float, float, float]:
    return cell[0].x0, cell[-1].x1, (cell[0].x0 + cell[-1].x1) / 2


def _spreads(cells: Sequence[Sequence[Word]]) -> list[float]:
    """How far apart the cells' left edges, right edges and centres lie."""
    edges = [_edges(c) for c in cells]
    return [max(e[k] for e in edges) - min(e[k] for e in edges) for k in range(3)]


def _on_edge(cell: Sequence[Word], above: Sequence[Sequence[Word]], tol: float) -> bool:
    """Whether ``cell`` shares an edge (left, right or centre) on which the cells above it agree."""
    mine = _edges(cell)
    return any(
        spread <= tol and abs(mine[k] - float(np.median([_edges(c)[k] for c in above]))) <= tol
        for k, spread in enumerate(_spreads(above))
    )


def _fits(
    cells: Sequence[Sequence[Word]], cols: Sequence[_Span], body: Sequence[Sequence[Sequence[Word]]], h: float
) -> bool:
    """Whether each filled cell sits in its column: on the edge the cells above it share (left, right or
    centre), or, first in its column, under the heading (overlapping it). A totals row pushed out to the
    margin does not."""
    tol = FIT_TOLERANCE * h
    for j, ws in enumerate(cells):
        if not ws:
            continue
        above = [c for row in body if (c := row[j])]
        if not above:
            if min(ws[-1].x1, cols[j].x1) <= max(ws[0].x0, cols[j].x0):
                return False
            continue
        if not _on_edge(ws, above, tol) and not _on_edge(ws, above[-1:], tol):
            return False
    return True


def _row_cells(
    ws: Sequence[Word], cols: Sequence[_Span], body: Sequence[Sequence[Sequence[Word]]], h: float, named: bool
) -> list[list[Word]] | None:
    """The row's words per column when the row is one of the table's (a number, two or more columns filled,
    cells apart and on their columns' edges), else None. Under a name line (``named``) one number off the
    first column is enough: the name is the row's other cell."""
    cells = assign(ws, cols, h)
    if (
        cells is None
        or sum(1 for c in cells if c) < (1 if named and not cells[0] else 2)
        or not any(is_number(w.text) for w in ws)
        or not _apart(cells, h)
        or not _fits(cells, cols, body, h)
    ):
        return None
    return cells


def _name_line(ws: Sequence[Word], cols: Sequence[_Span], body: Sequence[Sequence[Sequence[Word]]], h: float) -> bool:
    """A line of words without a column gap, starting on the first column's left edge: an item's name printed
    on a line of its own (its price, count and amount on the next line), or an option under an item
    (``ICED/포장``, ``+ 시럽 1``)."""
    if not ws or any(b.x0 - a.x1 >= COLUMN_GAP * h for a, b in itertools.pairwise(ws)):
        return False
    firsts = [row[0][0].x0 for row in body if row[0]]
    if not firsts:  # the first row: under the heading, which may be centred over the column
        return ws[0].x0 <= cols[0].x0 + FIT_TOLERANCE * h and ws[-1].x1 > cols[0].x0
    return abs(ws[0].x0 - float(np.median(firsts))) <= FIT_TOLERANCE * h


def _body(
    words: Sequence[Sequence[Word]],
    whole: Sequence[bool],
    gaps: Sequence[float],
    start: int,
    cols: Sequence[_Span],
    h: float,
) -> tuple[list[list[list[Word]]], list[list[int]]]:
    """The table rows under the header at ``start - 1``: each row's words per column and the page rows it
    spans. Receipts print an item on two lines (its name, then price, count and amount with the first column
    empty or holding a product code) and options on lines of their own. A name line goes with the row under
    it when that row's first column is empty, or holds a code as the table's first item's did; else it is the
    row above's (an option, ``ICED/포장``). After the last row, one such line is an option of it when the table's
    items are on two lines; other lines there are not the table's. A row that lost words to text beyond the
    columns (``whole`` false: a total whose amount is pushed to the margin) is never a name line."""
    body: list[list[list[Word]]] = []
    spans: list[list[int]] = []
    names: list[int] = []  # pending name lines (page rows)
    coded = False  # the first item is a name line over a line with a code in the first column
    k = start
    while k < len(words) and gaps[k] <= ROW_GAP * h:
        if not words[k]:  # only text beside the table on this row (a menu board behind a receipt)
            k += 1
            continue
        cells = _row_cells(words[k], cols, body, h, bool(names))
        if cells is None:
            if len(names) < 2 and whole[k] and _name_line(words[k], cols, body, h):
                names.append(k)
                k += 1
                continue
            break
        span = [k]
        if names:
            filled = bool(cells[0])  # the numbers line has its first column: a product code
            coded = coded or (filled and not body)
            if filled and not coded:
                body[-1][0].extend(w for j in names for w in words[j])  # options of the row above
                spans[-1].extend(names)
            else:
                own = names[-1:] if body else names  # the item's name: the last line (both at the top)
                if body and len(names) > 1:
                    body[-1][0].extend(w for j in names[:-1] for w in words[j])
                    spans[-1].extend(names[:-1])
                cells[0] = [*(w for j in own for w in words[j]), *cells[0]]
                span = [*own, k]
            names = []
        spans.append(span)
        body.append(cells)
        k += 1
    # an option under the last item, itself on two lines, as close under it as its numbers were to its name
    # (a closing remark further down is not)
    if (
        len(names) == 1
        and spans
        and len(spans[-1]) > 1
        and gaps[names[0]] <= max(gaps[j] for j in spans[-1][1:]) + 0.5 * h
    ):
        body[-1][0].extend(words[names[0]])
        spans[-1].append(names[0])
    return body, spans


def _one_item(body: Sequence[Sequence[Sequence[Word]]], header: Sequence[Word]) -> bool:
    """A receipt of one item: a header of vocabulary headings over one row that fills three columns or more."""
    return len(body) == 1 and sum(1 for c in body[0] if c) >= MIN_COLUMNS and _vocabulary_header(header) is not None


def find_tables(lines: Sequence[Line], candidates: Sequence[int], gray: np.ndarray | None) -> list[FoundTable]:
    """Tables among the page lines ``candidates`` (indices into ``lines``), top to bottom."""
    sub = [lines[i] for i in candidates]
    if len(sub) < MIN_COLUMNS * (MIN_ROWS + 1):
        return []
    h = median_height(sub)
    rows = row_groups(sub)
    words = [
        sorted((w for j in row for w in line_words(sub[j], candidates[j], gray)), key=lambda w: w.x0) for row in rows
    ]
    tops = [min(sub[j].bbox[1] for j in row) for row in rows]
    bottoms = [max(sub[j].bbox[3] for j in row) for row in rows]
    gaps = [0.0, *(tops[k] - bottoms[k - 1] for k in range(1, len(rows)))]
    found: list[FoundTable] = []
    i = 0
    while i < len(rows):
        cols = header_columns(words[i], h) if words[i] else None
        if cols is None:
            i += 1
            continue
        # lines wholly beyond the columns are not the table's (text beside it, a menu behind a receipt)
        far = {
            c for c in candidates if lines[c].bbox[0] > cols[-1].x1 + FAR * h or lines[c].bbox[2] < cols[0].x0 - FAR * h
        }
        inside = [[w for w in ws if w.line not in far] for ws in words]
        whole = [len(a) == len(b) for a, b in zip(inside, words, strict=True)]
        body, spans = _body(inside, whole, gaps, i + 1, cols, h)
        while len(body) > MIN_ROWS and _aligned_share(body, h) < MIN_ALIGNED:
            body.pop()  # rows that drift off the columns at the end are not the table's
            spans.pop()
        if (len(body) < MIN_ROWS and not _one_item(body, words[i])) or _aligned_share(body, h) < MIN_ALIGNED:
            i += 1
            continue
        found.append(
            _table(
                [rows[i], *([j for k in span for j in rows[k] if candidates[j] not in far] for span in spans)],
                sub,
                candidates,
                cols,
                body,
            )
        )
        i = max(spans[-1]) + 1
    return found


def _table(
    rows: Sequence[Sequence[int]],
    sub: Sequence[Line],
    candidates: Sequence[int],
    cols: Sequence[_Span],
    body: Sequence[Sequence[Sequence[Word]]],
) -> FoundTable:
    cells: list[CellResult] = []
    for r, row in enumerate(rows):
        y0 = min(sub[j].bbox[1] for j in row)
        y1 = max(sub[j].bbox[3] for j in row)
        for c, col in enumerate(cols):
            if r == 0:
                text, x0, x1 = col.text, col.x0, col.x1
            else:
                ws = body[r - 1][c]
                text = " ".join(w.text for w in ws)
                x0, x1 = (ws[0].x0, ws[-1].x1) if ws else (col.x0, col.x1)
            cells.append(CellResult(r, c, 1, 1, text, [x0, y0, x1, y1]))
    members = sorted(candidates[j] for row in rows for j in row)
    bbox = box_union([sub[j].bbox for row in rows for j in row])
    return FoundTable(members, bbox, TableResult(rows=len(rows), cols=len(cols), method=METHOD, cells=cells))
