"""Scores for a table read back against the table drawn.

- **cell accuracy**: the share of the true grid's cells (empty ones included) whose text is found at the
  same column of the predicted row matched to it, whitespace aside. Rows are matched in order (an
  alignment that maximises the cells right), so a missing or extra row costs only its own cells.
- **TEDS-style structure score**: 1 - distance / max(nodes), where the trees are table → rows → cells and
  the distance aligns rows in order (a row inserted or deleted costs 1 + its cells) and, inside matched
  rows, cells in order (insert/delete 1, rename: the normalised edit distance of the two texts). This is
  an upper bound on the tree edit distance of TEDS (it never merges rows), so the score is a lower bound.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein

Grid = Sequence[Sequence[str]]


def _norm(text: str) -> str:
    return "".join(text.split())


def _row_hits(truth: Sequence[str], pred: Sequence[str]) -> int:
    return sum(1 for c, t in enumerate(truth) if (_norm(pred[c]) if c < len(pred) else "") == _norm(t))


def cell_accuracy(truth: Grid, pred: Grid) -> float:
    cells = sum(len(r) for r in truth)
    if not cells:
        return 1.0
    n, m = len(truth), len(pred)
    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            best[i][j] = max(best[i - 1][j], best[i][j - 1], best[i - 1][j - 1] + _row_hits(truth[i - 1], pred[j - 1]))
    return best[n][m] / cells


def _rename(a: str, b: str) -> float:
    a, b = _norm(a), _norm(b)
    if a == b:
        return 0.0
    return Levenshtein.distance(a, b) / max(len(a), len(b))


def _row_distance(a: Sequence[str], b: Sequence[str]) -> float:
    n, m = len(a), len(b)
    d = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        d[i][0] = float(i)
    for j in range(1, m + 1):
        d[0][j] = float(j)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + _rename(a[i - 1], b[j - 1]))
    return d[n][m]


def teds(truth: Grid, pred: Grid) -> float:
    n, m = len(truth), len(pred)
    d = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        d[i][0] = d[i - 1][0] + 1 + len(truth[i - 1])
    for j in range(1, m + 1):
        d[0][j] = d[0][j - 1] + 1 + len(pred[j - 1])
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i][j] = min(
                d[i - 1][j] + 1 + len(truth[i - 1]),
                d[i][j - 1] + 1 + len(pred[j - 1]),
                d[i - 1][j - 1] + _row_distance(truth[i - 1], pred[j - 1]),
            )
    nodes = max(1 + n + sum(len(r) for r in truth), 1 + m + sum(len(r) for r in pred))
    return max(0.0, 1.0 - d[n][m] / nodes)


def best_match(truth: Grid, tables: Sequence[Grid]) -> tuple[float, float, Grid | None]:
    """(cell accuracy, TEDS-style score, the table) of the predicted table that matches ``truth`` best;
    (0, 0, None) when no table came back."""
    best: tuple[float, float, Grid | None] = (0.0, 0.0, None)
    for t in tables:
        score = (cell_accuracy(truth, t), teds(truth, t), t)
        if score[:2] > best[:2]:
            best = score
    return best
